# The API checks its caller (issue 6, item 3): a host function handed a
# pointer the host did not give out, or no longer lets the plugin use (a
# store of a request that is over, a destroyed store, a response that is
# not the call's), or called where it has no meaning (a response outside a
# route handler), answers an error code with an error-log line naming the
# plugin and the function; the worker never crashes.  A store the plugin
# made itself works with every function that takes a store.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 43;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy; onload's response and palloc calls are refused (in
the canary and in the worker): onload is not a route handler
--- request eval
[::deploy("api_checks.c"), "GET /chk/result"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"created"/, qr/^later get=not run size=99$/]
--- grep_error_log eval
qr/cweb plugin "api_checks": cweb_(?:palloc|response_body)\(\): called outside a route handler.*/
--- grep_error_log_out eval
[qr/^(?:cweb plugin "api_checks": cweb_palloc\(\): called outside a route handler \(in onload\(\)\)\ncweb plugin "api_checks": cweb_response_body\(\): called outside a route handler \(in onload\(\)\)\n){1}$/,
 qr/^(?:cweb plugin "api_checks": cweb_palloc\(\): called outside a route handler \(in onload\(\)\)\ncweb plugin "api_checks": cweb_response_body\(\): called outside a route handler \(in onload\(\)\)\n){2}$/]
--- no_error_log
[alert]
exited on signal



=== TEST 2: a request's store handed to ASYNC work, which runs once the
handler has returned: refused there (the request may be gone)
--- reuse
--- request
GET /chk/later
--- response_body
scheduled rc=0 host=localhost
--- wait: 0.3
--- error_log eval
[qr/cweb plugin "api_checks": http_kv_get\(\): [0-9A-F]+ is not a store of this request nor one http_kv_create\(\) made/,
 qr/cweb plugin "api_checks": http_kv_size\(\): [0-9A-F]+ is not a store/]
--- no_error_log
[alert]
exited on signal



=== TEST 3: ... what the work got: nothing
--- reuse
--- request
GET /chk/result
--- response_body
later get=NULL size=0
--- no_error_log
[alert]
exited on signal



=== TEST 4: made-up stores, responses and requests, and a NULL store
--- reuse
--- request
GET /chk/fake
--- response_body
insert=-1 body=-1 header=-1 palloc=NULL null=NULL onload_palloc=NULL onload_body=-1
--- error_log eval
[qr/cweb plugin "api_checks": http_kv_insert\(\): [0-9A-F]+ is not a store of this request/,
 qr/cweb plugin "api_checks": cweb_response_body\(\): [0-9A-F]+ is not the response of this request/,
 qr/cweb plugin "api_checks": cweb_response_header\(\): [0-9A-F]+ is not the response of this request/,
 qr/cweb plugin "api_checks": cweb_palloc\(\): [0-9A-F]+ is not the request of this request/,
 'cweb plugin "api_checks": http_kv_get(): NULL store']
--- no_error_log
[alert]
exited on signal



=== TEST 5: a store of the plugin's own works with every function that
takes a store (map_* included); once destroyed it is refused
--- reuse
--- request
GET /chk/own
--- response_body
a=1 b=3 size=2 after destroy: size=0
--- error_log eval
qr/cweb plugin "api_checks": http_kv_size\(\): [0-9A-F]+ is not a store/
--- no_error_log
[alert]
exited on signal



=== TEST 6: res->headers pointed at the plugin's own store: sent
--- reuse
--- request
GET /chk/swap/own
--- response_headers
X-Own: yes
--- response_body
swapped
--- no_error_log
[alert]
exited on signal



=== TEST 7: ... at a made-up one: 500, the host never reads it
--- reuse
--- request
GET /chk/swap/fake
--- error_code: 500
--- error_log eval
qr/cweb plugin "api_checks" route "GET \/chk\/swap\/fake": res->headers \([0-9A-F]+\) is not a store of this request nor one http_kv_create\(\) made: answered 500/
--- no_error_log
[alert]
exited on signal

# The API checks where it is called from (issue 6, item 3; lua-nginx-module's
# ngx_http_lua_check_context() is the model): the host's functions run on
# the worker's event loop, inside a call of the host into the plugin of a
# kind the function allows.  A thread of the plugin's own and a signal
# handler that runs while the worker waits for events get an error code and
# an error-log line, never a race with the event loop.  A handler that
# loads another plugin through ctx->symbols->resolv() (that plugin's
# onload() runs inside the call) is still itself afterwards.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 29;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy a plugin and the peer it resolves (not loaded here yet)
--- request eval
[::deploy("api_context_peer.c"), ::deploy("api_context.c")]
--- error_code eval
[201, 201]
--- no_error_log
[error]
[alert]



=== TEST 2: resolv() loads the peer inside the call (its onload() uses the
API in its own INIT context); the handler is itself again afterwards: its
map_create() works, its log line names it, its response is its own
--- reuse
--- request
GET /ctx/resolv
--- response_headers
X-After: resolv
--- response_body
peer=42 map=ok header=0
--- error_log
cweb plugin "api_context": after resolv
cweb plugin "api_context_peer" version 1 loaded
--- no_error_log
called outside
[alert]
exited on signal



=== TEST 3: the same calls from a thread of the plugin's own are refused,
one error line each; on the event loop they work
--- reuse
--- request
GET /ctx/thread
--- response_body
thread map=NULL kv=NULL cache=NULL insert=-1
loop map=ok kv=ok cache=ok insert=0
--- grep_error_log eval
qr/cweb plugin: \S+\(\): called from a thread of the plugin's own; the host's functions run on the worker's event loop only/
--- grep_error_log_out
cweb plugin: map_create(): called from a thread of the plugin's own; the host's functions run on the worker's event loop only
cweb plugin: http_kv_get(): called from a thread of the plugin's own; the host's functions run on the worker's event loop only
cweb plugin: ctx->cache->get(): called from a thread of the plugin's own; the host's functions run on the worker's event loop only
cweb plugin: http_kv_insert(): called from a thread of the plugin's own; the host's functions run on the worker's event loop only
cweb plugin: cweb_log(): called from a thread of the plugin's own; the host's functions run on the worker's event loop only
--- error_log
cweb plugin "api_context": log from there
--- no_error_log
[alert]
exited on signal



=== TEST 4: a signal handler the plugin installed runs while the worker
waits for events (no call of the host into the plugin is running)
--- reuse
--- request
GET /ctx/arm
--- response_body
armed
--- wait: 0.4
--- no_error_log
[alert]
exited on signal



=== TEST 5: ... its map_create() was refused
--- reuse
--- request
GET /ctx/alarm
--- response_body
alarm ran=1 map=NULL
--- error_log
cweb plugin: map_create(): called outside any call of the host into the plugin (from a signal handler or atexit()?)
--- no_error_log
[alert]
exited on signal

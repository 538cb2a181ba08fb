# Memory the plugin touches is its own: response headers built from
# request data cannot split the response (CR, LF and other control bytes
# are refused: 500 + log, never sent); res->body may be swapped for a
# malloc()ed buffer of any size (the host free()s it, as c-web-modules
# does) or a string literal (not freed); a full 8 KB body is no overflow;
# cache entries a version set go when that version is unloaded, so the
# next version never follows a pointer into unmapped code.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 69;

cweb_blocks();

sub blob { return join '', map { chr(ord('a') + $_ % 26) } 0 .. 20479 }

run_tests();

__DATA__

=== TEST 1: deploy
--- request eval
::deploy("memory.c", V => 1)
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: the seed's pattern: free(res->body), then a 20 KB malloc()ed body
--- reuse
--- request
GET /mem/big
--- response_headers
Content-Length: 20480
--- response_body eval
::blob()
--- no_error_log
[error]
[alert]



=== TEST 3: a string literal as res->body is sent and not freed; a full
8 KB buffer is not an overflow
--- reuse
--- request eval
["GET /mem/literal", "GET /mem/full", "GET /mem/big", "GET /mem/literal"]
--- response_body eval
["a string literal\n", "x" x 8192, ::blob(), "a string literal\n"]
--- no_error_log
[error]
[alert]



=== TEST 4: a plugin's own Content-Length and Transfer-Encoding are not
sent: the host frames the body
--- reuse
--- request
GET /mem/framing
--- response_headers
Content-Length: 7
--- raw_response_headers_unlike: (?i)transfer-encoding|content-length: 1000
--- response_body
framed
--- no_error_log
[error]
[alert]



=== TEST 5: version 1 caches a pointer to its own static data
--- reuse
--- request eval
["GET /mem/cache-set", "GET /mem/cache-get"]
--- response_body eval
["set\n", "1 sees v1 data\n"]
--- no_error_log
[error]



=== TEST 6: version 2 replaces it: version 1 is unloaded and its cache
entries go with it; version 2 does not follow the dangling pointer
--- reuse
--- request eval
[::deploy("memory.c", V => 2), "GET /mem/cache-get", "GET /mem/cache-set",
 "GET /mem/cache-get"]
--- response_body_like eval
[qr/"version":2,.*"replaced"/, qr/^2 sees \(none\)$/, qr/^set$/,
 qr/^2 sees v2 data$/]
--- no_error_log
[error]
[alert]



=== TEST 7: a decoded query argument with CRLF in a header (http_kv_insert)
--- reuse
--- request
GET /mem/inject?v=ok%0d%0aSet-Cookie:%20pwned=1
--- error_code: 500
--- raw_response_headers_unlike: pwned
--- error_log
cweb plugin "memory" route "GET /mem/inject": response header "X-Echo" has a CR, LF or another byte not allowed there, not sent: answered 500



=== TEST 8: ... through cweb_response_header(), a bare LF
--- reuse
--- request
GET /mem/inject2?v=a%0aX-Evil:%201
--- error_code: 500
--- raw_response_headers_unlike: X-Evil
--- error_log
cweb plugin "memory" route "GET /mem/inject2": response header "X-Echo" has a CR, LF or another byte not allowed there, not sent: answered 500



=== TEST 9: ... a NUL cut short by C strings, another control byte, and a
header name that is not a token
--- reuse
--- request eval
["GET /mem/inject?v=a%00b", "GET /mem/inject?v=a%07b", "GET /mem/badname",
 "GET /mem/inject?v=tab%09ok"]
--- error_code eval
[200, 500, 500, 200]
--- response_headers eval
["X-Echo: a", "X-Echo:", "!Bad", "X-Echo: tab\tok"]
--- no_error_log
[alert]

# Behaviours that once had no test (issue 6, item 5: each of these could be
# broken with every suite green): the first value of a key stays
# (http_kv_insert), 204/304 answers carry no body and no Content-Length,
# regex routes match the whole path, plugin-owned stores and the values of
# host stores do not leak, and a WebSocket path conflicts with another
# plugin's WebSocket path or GET route.
#
# The blocks run on one server ("--- reuse"); those that log [error] on
# purpose (409) come last.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 176;

cweb_blocks();

# plugin NAME with the one WebSocket path PATH (t/plugins/route_ws.c)
sub route_ws {
    my ($name, $path) = @_;
    return ::deploy("route_ws.c", NAME => $name, WS => $path);
}

sub route_one {
    my ($name, $method, $path) = @_;
    return ::deploy("route_one.c", NAME => $name, METHOD => $method,
                    PATH => $path);
}

our @churn = map { "GET /g/churn" } 1 .. 20;

run_tests();

__DATA__

=== TEST 1: deploy
--- request eval
::deploy("guards.c")
--- error_code: 201
--- no_error_log
[error]
[alert]



=== TEST 2: http_kv_insert keeps the first value of a key (response headers,
names without case; a plugin-owned store; a query argument)
--- reuse
--- request
GET /g/first?q=given
--- response_headers
X-First: one
--- response_body
own k=a size=1, params q=given
--- no_error_log
[error]
[alert]



=== TEST 3: a 204 or 304 with a body: no body and no Content-Length (nor for
HEAD)
--- reuse
--- request eval
["GET /g/204", "GET /g/304", "HEAD /g/304", "HEAD /g/204"]
--- error_code eval
[204, 304, 304, 204]
--- response_headers eval
["!Content-Length", "!Content-Length", "!Content-Length", "!Content-Length"]
--- response_body eval
["", "", "", ""]
--- no_error_log
[error]
[alert]



=== TEST 4: ... nor to an HTTP/0.9 request, where nginx sends no header and
sets no header_only (a 200 still has its body)
--- reuse
--- raw_request eval
["GET /g/204\r\n", "GET /g/re/abc\r\n"]
--- http09
--- response_body eval
["", "anchored /g/re/abc\n"]
--- no_error_log
[error]
[alert]



=== TEST 5: a regex route matches the whole path, not a part of it (at its
end, or at its start when the literal prefix does not filter)
--- reuse
--- request eval
["GET /g/re/abc", "GET /g/re/abc1", "GET /g/re/abc/d", "GET /h/alt",
 "GET /x/g/alt", "GET /h/altx", "GET /g/alt/"]
--- error_code eval
[200, 404, 404, 200, 404, 404, 404]
--- response_body_like eval
[qr/^anchored \/g\/re\/abc$/, qr/404 Not Found/, qr/404 Not Found/,
 qr/^anchored \/h\/alt$/, qr/404 Not Found/, qr/404 Not Found/,
 qr/404 Not Found/]
--- no_error_log
[error]
[alert]



=== TEST 6: plugin-owned stores (http_kv_create/destroy) and values inserted
in response headers are freed: the worker's heap does not grow over 20
requests that each make 2000 stores and 4 headers of 64 KB allocations
--- reuse
--- request eval
["GET /g/churn", "GET /g/mark", @::churn, "GET /g/check"]
--- response_body eval
["churned\n", "marked\n", (map { "churned\n" } @::churn), "heap ok\n"]
--- no_error_log
[error]
[alert]



=== TEST 6b: a res->body buffer the plugin replaced by a string literal
without freeing it, or grew with realloc(), is the host's again: the heap
is marked ...
--- reuse
--- request
GET /g/mark
--- response_body
marked
--- no_error_log
[error]
[alert]



=== TEST 6c: ... 400 such requests later it has not grown (8 KB a request
before the host took its buffer back)
--- reuse
--- init
my $base = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/g";
my $out = `curl -s @{[ join ' ', map { "$base/literal $base/grown" } 1 .. 200 ]}`;
$out eq ("literal\ngrown\n" x 200) or die "unexpected answers: " . substr($out, 0, 200);
--- request
GET /g/check
--- response_body
heap ok
--- no_error_log
[error]
[alert]



=== TEST 7: a plugin with a WebSocket path only
--- reuse
--- request eval
::route_ws("g_ws", "/g/ws")
--- error_code: 201
--- response_body_like eval
qr/^\{"module":"g_ws","version":1,.*"websockets":\[\{"path":"\/g\/ws"\}\],.*"status":"created"\}$/
--- no_error_log
[error]
[alert]



=== TEST 8: another plugin with the same WebSocket path: 409
--- reuse
--- request eval
::route_ws("g_ws2", "/g/ws")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"g_ws2","reason":"g_ws: WebSocket /g/ws"}
--- error_log
cweb plugin "g_ws2" refused: route conflict with g_ws: WebSocket /g/ws, client:



=== TEST 9: a GET route on another plugin's WebSocket path: 409
--- reuse
--- request eval
::route_one("g_get", "GET", "/g/ws")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"g_get","reason":"g_ws: WebSocket /g/ws"}
--- error_log
cweb plugin "g_get" refused: route conflict with g_ws: WebSocket /g/ws, client:



=== TEST 10: ... a HEAD route too (a WebSocket handshake is a GET)
--- reuse
--- request eval
::route_one("g_head", "HEAD", "/g/ws")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"g_head","reason":"g_ws: WebSocket /g/ws"}
--- error_log
cweb plugin "g_head" refused: route conflict with g_ws: WebSocket /g/ws, client:



=== TEST 11: a WebSocket path equal to another plugin's GET route: 409
--- reuse
--- request eval
::route_ws("g_ws3", "/g/first")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"g_ws3","reason":"guards: GET /g/first"}
--- error_log
cweb plugin "g_ws3" refused: route conflict with guards: GET /g/first, client:

# The plugin API: what http_request_t carries, what http_response_t sends,
# routing (exact, regex, 404, 405), isolation between plugins.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 74;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy the echo plugin
--- request eval
::deploy("echo.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: method, path, query params (decoded), headers (case-insensitive)
--- reuse
--- more_headers
User-Agent: cweb-test
x-test: yes
--- request
GET /echo?a=1&b=two+words&c=%2Fx%26&d
--- response_body
{"body":"","content_length":0,"data":{},"method":"GET","params":{"a":"1","b":"two words","c":"/x&","d":""},"path":"/echo","ua":"cweb-test","x_test":"yes"}
--- response_headers
Content-Type: application/json
X-Echo: yes
--- no_error_log
[error]



=== TEST 3: urlencoded form body
--- reuse
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request
POST /echo
item=hello+world&n=42
--- response_body
{"body":"item=hello+world&n=42","content_length":21,"data":{"item":"hello world","n":"42"},"method":"POST","params":{},"path":"/echo","ua":null,"x_test":null}
--- no_error_log
[error]



=== TEST 4: multipart form body
--- reuse
--- more_headers
Content-Type: multipart/form-data; boundary=XX
--- request eval
"PUT /echo\n--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.txt\"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n--XX--"
--- response_body_like eval
qr/^\{"body":"--XX.*","content_length":\d+,"data":\{"a":"one","f":"file body"\},"method":"PUT",/
--- no_error_log
[error]



=== TEST 5: status enum and Location; 8 KB binary body with content_length
--- reuse
--- request eval
["POST /echo/created", "GET /echo/binary"]
--- error_code eval
[201, 200]
--- response_headers eval
["Location: /echo/1", "Content-Length: 8192"]
--- response_body eval
["created\n", CORE::join("", map { chr($_ % 256) } 0 .. 8191)]
--- no_error_log
[error]



=== TEST 6: any size with cweb_response_body(); HEAD has no body
--- reuse
--- request eval
["GET /echo/big", "HEAD /echo/big"]
--- response_headers eval
["Content-Length: 100000\nContent-Type: text/plain",
 "Content-Length: 100000"]
--- response_body eval
[CORE::join("", map { chr(97 + $_ % 26) } 0 .. 99999), ""]
--- no_error_log
[error]



=== TEST 7: regex routes, 404, 405
--- reuse
--- request eval
["GET /echo/re/123", "GET /echo/re/abc", "DELETE /echo", "GET /nothing"]
--- error_code eval
[200, 404, 405, 404]
--- response_body_like eval
[qr/^regex matched \/echo\/re\/123$/, qr/404/, qr/405/, qr/404/]
--- no_error_log
[error]



=== TEST 8: a handler returning -1 still sends its answer (c-web-modules
ignores the value), with a log line
--- reuse
--- request
GET /echo/fail
--- error_code: 200
--- response_body
--- error_log
cweb plugin "echo" route "GET /echo/fail" returned -1, its status and body are sent



=== TEST 9: two plugins with the same global name, and a function named
like an nginx export: each plugin sees its own
--- request eval
[::deploy("iso_a.c"), ::deploy("iso_b.c"), "GET /iso/a", "GET /iso/b",
 "GET /iso/a"]
--- error_code eval
[201, 201, 200, 200, 200]
--- response_body_like eval
[qr/"iso_a"/, qr/"iso_b"/, qr/^a 101 own 4242$/, qr/^b 201$/,
 qr/^a 102 own 4242$/]
--- no_error_log
[error]
[alert]



=== TEST 10: websockets/jobs declared like the seed's are accepted and listed;
cache, scheduler (ASYNC runs after the handler), symbols, jobs_create
--- request eval
[::deploy("shapes.c"), "GET /shapes", "GET /shapes"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[qr/"routes":\[\{"method":"GET","path":"\/shapes"\}\],"websockets":\[\{"path":"\/shapes\/ws"\}\],"jobs":\[\{"name":"sum"\}\],/,
 qr/^scheduled=0 answer=42 unknown=null jobs_create=0$/,
 qr/^scheduled=5 answer=42 unknown=null jobs_create=0$/]
--- no_error_log
[alert]

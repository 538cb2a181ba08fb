# POST /mgnt: upload, compile, validate, activate; every failure path
# answers JSON and leaves the running version active.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 106;

our $DefaultConfig = <<'_EOC_';
    location /mgnt {
        client_max_body_size 64k;
        client_body_buffer_size 64k;
        cweb_mgnt;
    }
    location / {
        cweb;
    }
_EOC_

cweb_blocks(config => $DefaultConfig);

our $hello_v1 = plugin_src("hello.c", V => 1);
our $hello_v2 = plugin_src("hello.c", V => 2);

run_tests();

__DATA__

=== TEST 1: deploy, serve, unchanged redeploy, replace
--- request eval
[::deploy("hello.c", V => 1), "GET /hello", ::deploy("hello.c", V => 1),
 ::deploy("hello.c", V => 2), "GET /hello"]
--- error_code eval
[201, 200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"module":"hello","version":1,"module_hash":"[0-9a-f]{64}","source_sha256":"[0-9a-f]{64}","routes":\[\{"method":"GET","path":"\/hello"\},\{"method":"POST","path":"\/hello\/post"\},\{"method":"GET","path":"\/hello\/workers"\}\],"websockets":\[\],"jobs":\[\],"compile_ms":\d+,"canary_ms":\d+,"status":"created"\}$/,
 qr/^hello 1 pid=\d+ hits=1$/,
 qr/^\{"module":"hello","version":1,.*"compile_ms":0,.*"status":"unchanged"\}$/,
 qr/^\{"module":"hello","version":2,.*"status":"replaced"\}$/,
 qr/^hello 2 pid=\d+ hits=1$/]
--- no_error_log
[error]
[alert]



=== TEST 2: compile error: 422 with file/line/column, old version stays
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 201
--- no_error_log
[error]



=== TEST 3: compile error (same server as TEST 2)
--- reuse
--- request eval
::deploy("broken.c")
--- error_code: 422
--- response_body_like eval
qr/^\{"error":"compile failed","diagnostics":\[\{"file":"module.c","line":6,"column":12,"severity":"error","message":"'no_such_variable' undeclared \(first use in this function\)"\}.*\],"output":"module.c: In function 'h':\\nmodule.c:6:12: error: /
--- error_log eval
qr/\[error\] .* cweb compile of "module.c" failed \(errors\)/



=== TEST 4: the old version still serves (same server)
--- reuse
--- request
GET /hello
--- response_body_like eval
qr/^hello 1 /
--- no_error_log
[alert]



=== TEST 5: multipart upload (-F code=@broken.c) names the file
--- more_headers
Content-Type: multipart/form-data; boundary=cwebXYZ
--- request eval
"POST /mgnt\n" . ::multipart("cwebXYZ", "code", "broken.c", ::plugin_src("broken.c"))
--- error_code: 422
--- response_body_like eval
qr/^\{"error":"compile failed","diagnostics":\[\{"file":"broken.c","line":6,"column":12,"severity":"error"/
--- error_log
cweb compile of "broken.c" failed (errors)



=== TEST 6: multipart upload of a good plugin
--- more_headers eval
["Content-Type: multipart/form-data; boundary=cwebXYZ", ""]
--- pipelined_requests eval
["POST /mgnt\n" . ::multipart("cwebXYZ", "code", "hello.c", $::hello_v1), "GET /hello"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"module":"hello","version":1,/, qr/^hello 1 /]
--- no_error_log
[error]



=== TEST 7: no config symbol
--- request eval
::deploy("nocfg.c")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"no \"config\" symbol: a plugin must define \"export module_t config\""}
--- error_log
cweb plugin from "module.c" refused: no "config" symbol



=== TEST 8: invalid module name
--- request eval
::deploy("badname.c")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"invalid module name \"bad/name\": use 1-127 bytes of UTF-8 text without control characters or \"/\", not \".\" or \"..\""}
--- error_log
refused: invalid module name "bad/name"



=== TEST 9: counts out of range
--- request eval
::deploy("toomany.c")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"counts out of range: size 11, ws_size 0, job_size 0 (each 0..10)"}
--- error_log
refused: counts out of range



=== TEST 10: a route under /jobs is refused
--- request eval
::deploy("jobsroute.c")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/jobs/mine\" is under /jobs, which the server owns"}
--- error_log
is under /jobs, which the server owns



=== TEST 11: a route another plugin serves: 409, the other stays
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 201



=== TEST 12: ... a second plugin with the same route gets 409
--- reuse
--- request eval
::deploy("conflict.c")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"conflict","reason":"hello: GET /hello"}
--- error_log
cweb plugin "conflict" refused: route conflict with hello: GET /hello



=== TEST 13: ... and the first one keeps serving, alone in the list
--- reuse
--- request eval
["GET /hello", "GET /mgnt"]
--- response_body_like eval
[qr/^hello 1 /,
 qr/^\{"modules":\[\{"module":"hello","version":1,"module_hash":"[0-9a-f]+","source_sha256":"[0-9a-f]+","routes":\[[^\]]*\],"websockets":\[\],"jobs":\[\],"compile_ms":\d+,"updated_at":\d+,"state":"active","name":"hello","author":"[^"]*","path":"[^"]*"\}\]\}$/]
--- no_error_log
[alert]



=== TEST 14: plugin built for another ABI version (against another
release's cweb.h) is refused
--- http_config
    cweb_cc $TEST_NGINX_CWEB_PLUGINS/oldabi-cc.sh;
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"plugin ABI version 999, this server supports 2; rebuild it against this server's cweb.h"}
--- error_log
refused: plugin ABI version 999, this server supports 2



=== TEST 14b: the ABI version is not a knob: -DCWEB_ABI_VERSION in
cweb_cflags does not change the stamp
--- http_config
    cweb_cflags -O2 -DCWEB_ABI_VERSION=999;
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 201
--- response_body_like: "status":"created"
--- no_error_log
[error]



=== TEST 14c: a plugin built with flags that change the layout of the
shared structures (-fshort-enums) is refused, naming what differs
--- http_config
    cweb_cflags -O2 -fshort-enums;
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"plugin built with another layout of the shared structures: sizeof(http_request_t) is 72 in the plugin, 80 here; rebuild it without flags that change struct layout"}
--- error_log
refused: plugin built with another layout of the shared structures



=== TEST 15: curl -d @file (newlines stripped) gets a hint
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
my $s = ::plugin_src("hello.c", V => 1); $s =~ s/[\r\n]//g; "POST /mgnt\n$s"
--- error_code: 400
--- response_body
{"error":"the source has no newlines: curl -d strips them from files","hint":"send the file with --data-binary @file.c or -F code=@file.c"}
--- no_error_log
[error]



=== TEST 16: --data-binary (form type, newlines kept) and --data-urlencode code=
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded", ""]
--- pipelined_requests eval
["POST /mgnt\n" . $::hello_v1,
 "POST /mgnt\ncode=" . ::urlencode($::hello_v2), "GET /hello"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[qr/"version":1,.*"created"/, qr/"version":2,.*"replaced"/, qr/^hello 2 /]
--- no_error_log
[error]



=== TEST 17: oversized upload: 413 as JSON
--- config
    location /mgnt {
        client_max_body_size 1k;
        cweb_mgnt;
    }
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 413
--- response_body
{"error":"request entity too large: raise client_max_body_size in this location"}
--- response_headers
Content-Type: application/json
--- error_log
client intended to send too large body



=== TEST 18: a body spooled to a temporary file compiles too
--- config
    location /mgnt {
        client_max_body_size 64k;
        client_body_buffer_size 1k;
        cweb_mgnt;
    }
    location / {
        cweb;
    }
--- request eval
"POST /mgnt\n" . ::plugin_src("hello.c", V => 1) . "/* " . ("x" x 8000) . " */\n"
--- error_code: 201
--- response_body_like eval
qr/"created"/
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[error]



=== TEST 19: empty upload
--- request
POST /mgnt
--- error_code: 400
--- response_body
{"error":"empty source: send a C file"}



=== TEST 20: compile timeout kills the compiler; old version stays
--- http_config
    cweb_cc $TEST_NGINX_CWEB_PLUGINS/slowcc.sh;
    cweb_compile_timeout 1s;
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 422
--- response_body
{"error":"compile timed out","timeout_ms":1000,"output":""}
--- timeout eval
# the 1 s deadline plus an upload and an answer, slow under valgrind
$ENV{TEST_NGINX_USE_VALGRIND} ? 10 : 2.5
--- error_log
cweb compile of "module.c" failed (timed out)
--- no_error_log
[alert]



=== TEST 21: a compile error quoting non-UTF-8 source is still a JSON 422
--- request eval
"POST /mgnt\n#include <cweb.h>\nint f(void) { return x\xe9y; }\n"
--- error_code: 422
--- response_body_like eval
qr/^\{"error":"compile failed","diagnostics":\[\{"file":"module.c","line":2,"column":23,"severity":"error","message":"stray '\\\\351' in program"\}/
--- no_error_log
[alert]



=== TEST 22: a module name that is not one, in the path
--- request eval
["GET /mgnt/%FF%22x", "DELETE /mgnt/a%2Fb", "GET /mgnt/a%09b"]
--- error_code eval
[400, 400, 400]
--- response_body eval
["{\"error\":\"invalid module name in the path\"}\n",
 "{\"error\":\"invalid module name in the path\"}\n",
 "{\"error\":\"invalid module name in the path\"}\n"]
--- no_error_log
[error]

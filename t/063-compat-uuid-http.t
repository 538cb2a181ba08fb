# uuid.h, http.h and cweb_config.h as c-web-modules documents them
# (a4a06d9): cweb_uuid_t and the uuid_* functions (valid, invalid and
# unterminated strings), http_methods[] and http_errors[] (upstream's
# status lines), transfer_encoding_chunked, the constants with this host's
# values, <ctype.h> through http.h; the plugin includes no <cweb.h>, uses
# uuid.h and db.h before anything else, and has a uuid_t of its own.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 27;

cweb_blocks();

our $Errors = CORE::join "", map { "$_\n" }
    "0=400 Bad Request", "1=101 Switching Protocols", "2=200 OK",
    "3=201 Created", "4=202 Accepted", "5=204 No Content",
    "6=301 Moved Permanently", "7=302 Found", "8=303 See Other",
    "9=304 Not Modified", "10=307 Temporary Redirect",
    "11=400 Bad Request", "12=401 Unauthorized", "13=403 Forbidden",
    "14=404 Not Found", "15=405 Method Not Allowed", "16=409 Conflict",
    "17=413 Payload Too Large", "18=414 URI Too Long",
    "19=415 Unsupported Media Type", "20=422 Unprocessable Entity",
    "21=426 Upgrade Required", "22=429 Too Many Requests",
    "23=500 Internal Server Error", "24=501 Not Implemented",
    "25=502 Bad Gateway", "26=503 Service Unavailable",
    "27=504 Gateway Timeout";

our $Tail = "GET POST PUT DELETE OPTIONS HEAD PATCH\n" . $Errors
    . "200 OK|302 Found|404 Not Found|500 Internal Server Error\n"
    . "MAX_ROUTES=10 MAX_WEBSOCKETS=10 MAX_JOBS=10 ROUTER_MAX_MODULES=256 "
    . "SO_PATH_MAX_LEN=256\n"
    . "DEFAULT_MAX_BODY_BYTES=1048576 REQUEST_BUFFER_SIZE=1081344 "
    . "DEFAULT_PORT=80 DEFAULT_DEV_THREAD_POOL_SIZE=1 "
    . "DEFAULT_PROD_THREAD_POOL_MULTIPLIER=1\n"
    . "ctype=10\n";

run_tests();

__DATA__

=== TEST 1: deploy: no <cweb.h>, uuid.h/db.h standalone, its own uuid_t
--- request eval
::deploy("compat_uuid_http.c")
--- error_code: 201
--- no_error_log
[error]
[alert]



=== TEST 2: uuid_from_string/is_valid/equal/c_str/clear, invalid strings
--- reuse
--- request
GET /compat/uuid
--- response_body
len=37 size=37 own=1234
lower=0 upper=0 valid=1/1 equal=0 self=1 null=0/0
str=123e4567-e89b-12d3-a456-426614174000
bad0=-1 kept=1
bad1=-1 kept=1
bad2=-1 kept=1
bad3=-1 kept=1
bad4=-1 kept=1
bad5=-1 kept=1
bad6=-1 kept=1
bad7=-1 kept=1
bad8=-1 kept=1
null_uuid=-1
unterminated=0 no_nul=0 cleared=0 str=[] null_str=[] valid_null=0
early=0 step=unset
--- no_error_log
[error]
[alert]



=== TEST 3: http_methods[], http_errors[], constants; transfer_encoding_chunked
--- reuse
--- request eval
["GET /compat/http",
 "DELETE /compat/http",
 "POST /compat/http\nplain",
 "POST /compat/http\n5\r\nhello\r\n3\r\n!!!\r\n0\r\n\r\n"]
--- more_headers eval
["", "", "", "Transfer-Encoding: chunked"]
--- response_body eval
["method=GET chunked=0 body=\n$::Tail",
 "method=DELETE chunked=0 body=\n$::Tail",
 "method=POST chunked=0 body=plain\n$::Tail",
 "method=POST chunked=1 body=hello!!!\n$::Tail"]
--- no_error_log
[error]
[alert]



=== TEST 4: jobs_create takes a cweb_uuid_t (a job no plugin declares is refused)
--- reuse
--- request
GET /compat/jobs
--- response_body
jobs_create=-1 valid=0
--- error_log
jobs_create("sum"): unknown job
--- no_error_log
[alert]

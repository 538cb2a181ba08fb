# vim:set ft= ts=4 sw=4 et:
#
# The example plugins in example-modules/: each block deploys one of them
# by POSTing its source to /mgnt, then uses it, all in one nginx.
#
#   make prove
#   TEST_NGINX_BINARY=/usr/sbin/nginx \
#   TEST_NGINX_LOAD_MODULES=$PWD/objs/ngx_cweb_module.so \
#       prove -I t/lib t/050-examples.t
#
# The examples keep their state in plugin globals, one copy per worker, so
# the blocks run a single worker: every request sees the same counter and
# the same list.  Each block has its own cweb_module_dir, *_temp in the
# server root, which both this runner and the CPAN Test::Nginx wipe when a
# block starts a new nginx (a plain "cweb" directory there would make them
# bail out: they refuse to remove a server root with unknown content).

use Test::Nginx::Socket;
use Cwd qw(abs_path);
use File::Basename qw(dirname);

repeat_each(1);             # the blocks are stateful: one run each
master_on();
workers(1);
no_long_string();
no_root_location();         # "location /" is ours
no_shuffle();

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_CWEB_ROOT} ||= abs_path(dirname(__FILE__) . '/..');


# the source of example-modules/NAME, as POSTed to /mgnt
sub example ($) {
    my $file = "$ENV{TEST_NGINX_CWEB_ROOT}/example-modules/$_[0]";
    open my $fh, '<', $file or die "cannot open $file: $!\n";
    local $/;
    my $src = <$fh>;
    close $fh;
    return $src;
}

# a multipart/form-data body, boundary "t050-boundary";
# parts: [name, value] or [name, value, filename]
sub multipart (@) {
    my $body = '';
    for my $part (@_) {
        my ($name, $value, $filename) = @$part;
        $body .= "--t050-boundary\r\n"
               . "Content-Disposition: form-data; name=\"$name\""
               . (defined $filename ? "; filename=\"$filename\"" : '')
               . "\r\n"
               . (defined $filename ? "Content-Type: text/x-csrc\r\n" : '')
               . "\r\n$value\r\n";
    }
    return $body . "--t050-boundary--\r\n";
}

# 80 KB of the bytes 0..255, over and over: ten times res->body
sub blob () {
    return join '', map { chr($_ % 256) } 0 .. 80 * 1024 - 1;
}


# Subtests per request: status + body + 2 no_error_log patterns, plus one
# per response_headers line.
#   TEST 1:  8 requests,  8 header lines
#   TEST 2: 15 requests, 30 header lines
#   TEST 3:  5 requests, 10 header lines
#   TEST 4:  9 requests, 10 header lines
#   TEST 5:  8 requests, 11 header lines
plan tests => repeat_each() * (4 * (8 + 15 + 5 + 9 + 8) + 8 + 30 + 10 + 10
                               + 11);

run_tests();

__DATA__

=== TEST 1: counter.c: deployed, counts, unchanged source keeps state, new version restarts
--- http_config
    cweb_module_dir $TEST_NGINX_SERVER_ROOT/cweb_temp;
    cweb_dev on;
--- config
    location /mgnt { cweb_mgnt; }
    location / { cweb; }
--- request eval
[
    "POST /mgnt\n" . main::example("counter.c"),
    "GET /counter",
    "GET /counter",
    "GET /counter",
    "POST /mgnt\n" . main::example("counter.c"),
    "GET /counter",
    "POST /mgnt\n" . main::example("counter.c") . "\n/* version 2 */",
    "GET /counter",
]
--- error_code eval
[201, 200, 200, 200, 200, 200, 200, 200]
--- response_headers eval
[
    "Content-Type: application/json",
    "Content-Type: text/plain",
    "Content-Type: text/plain",
    "Content-Type: text/plain",
    "Content-Type: application/json",
    "Content-Type: text/plain",
    "Content-Type: application/json",
    "Content-Type: text/plain",
]
--- response_body_like eval
[
    qr/^\{"module":"counter","version":1,.*"routes":\[\{"method":"GET","path":"\/counter"\}\].*"status":"created"\}$/,
    qr/^counter: 1\n\z/,
    qr/^counter: 2\n\z/,
    qr/^counter: 3\n\z/,
    qr/^\{"module":"counter","version":1,.*"status":"unchanged"\}$/,
    qr/^counter: 4\n\z/,
    qr/^\{"module":"counter","version":2,.*"status":"replaced"\}$/,
    qr/^counter: 1\n\z/,
]
--- no_error_log
[error]
[alert]
--- timeout: 30



=== TEST 2: json.c: urlencoded forms, query params, bounded list, header echo
--- http_config
    cweb_module_dir $TEST_NGINX_SERVER_ROOT/cweb_temp;
    cweb_dev on;
--- config
    location /mgnt { cweb_mgnt; }
    location / { cweb; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
x-request-id: t050-json
--- request eval
[
    "POST /mgnt\n" . main::example("json.c"),
    "GET /list",
    "POST /json/add\nitem=apple",
    "POST /json/add\nitem=green+pear&colour=green",
    "POST /json/add\nitem=kiwi%26lime",
    "POST /json/add\nname=nothing",
    "POST /json/add\nitem=",
    "GET /list?limit=2",
    "GET /list?limit=-1",
    "POST /json/add\nitem=plum",
    "POST /json/add\nitem=fig",
    "POST /json/add\nitem=lime",
    "GET /list",
    "GET /list?limit=10",
    "GET /json/add",
]
--- error_code eval
[201, 200, 201, 201, 201, 400, 400, 200, 400, 201, 201, 400, 200, 200, 405]
--- response_headers eval
[
    "Content-Type: application/json\n!X-Request-Id",
    ("Content-Type: application/json\nX-Request-Id: t050-json") x 13,
    "Content-Type: text/html\n!X-Request-Id",
]
--- response_body_like eval
[
    qr/^\{"module":"json","version":1,.*"routes":\[\{"method":"GET","path":"\/list"\},\{"method":"POST","path":"\/json\/add"\}\].*"status":"created"\}$/,
    qr/^\[\]\z/,
    qr/^\{"added":"apple","count":1\}\z/,
    qr/^\{"added":"green pear","count":2\}\z/,
    qr/^\{"added":"kiwi&lime","count":3\}\z/,
    qr/^\{"error":"missing form field \\"item\\"","max":5\}\z/,
    qr/^\{"error":"missing form field \\"item\\"","max":5\}\z/,
    qr/^\["apple","green pear"\]\z/,
    qr/^\{"error":"limit must be a number >= 0","limit":"-1"\}\z/,
    qr/^\{"added":"plum","count":4\}\z/,
    qr/^\{"added":"fig","count":5\}\z/,
    qr/^\{"error":"the list is full","max":5\}\z/,
    qr/^\["apple","green pear","kiwi&lime","plum","fig"\]\z/,
    qr/^\["apple","green pear","kiwi&lime","plum","fig"\]\z/,
    qr/405 Not Allowed/,
]
--- no_error_log
[error]
[alert]
--- timeout: 30



=== TEST 3: json.c: deployed as a multipart "code" part, multipart form fields
--- http_config
    cweb_module_dir $TEST_NGINX_SERVER_ROOT/cweb_temp;
    cweb_dev on;
--- config
    location /mgnt { cweb_mgnt; }
    location / { cweb; }
--- more_headers
Content-Type: multipart/form-data; boundary=t050-boundary
X-Request-Id: t050-multipart
--- request eval
[
    "POST /mgnt\n" . main::multipart(["code", main::example("json.c"), "json.c"]),
    "POST /json/add\n" . main::multipart(["item", "from multipart"]),
    "POST /json/add\n" . main::multipart(["note", "first"],
                                         ["item", "two words & more"]),
    "POST /json/add\n" . main::multipart(["note", "no item here"]),
    "GET /list?limit=5",
]
--- error_code eval
[201, 201, 201, 400, 200]
--- response_headers eval
[
    "Content-Type: application/json\n!X-Request-Id",
    ("Content-Type: application/json\nX-Request-Id: t050-multipart") x 4,
]
--- response_body_like eval
[
    qr/^\{"module":"json","version":1,.*"status":"created"\}$/,
    qr/^\{"added":"from multipart","count":1\}\z/,
    qr/^\{"added":"two words & more","count":2\}\z/,
    qr/^\{"error":"missing form field \\"item\\"","max":5\}\z/,
    qr/^\["from multipart","two words & more"\]\z/,
]
--- no_error_log
[error]
[alert]
--- timeout: 30



=== TEST 4: static.c: STATIC_ROOT from cweb_cflags, text, binary > 8 KB, 404, 403
--- http_config
    cweb_module_dir $TEST_NGINX_SERVER_ROOT/cweb_temp;
    cweb_dev on;
    cweb_cflags -O2 -g "-DSTATIC_ROOT=\"$TEST_NGINX_HTML_DIR/static\"";
--- config
    location /mgnt { cweb_mgnt; }
    location / { cweb; }
--- user_files eval
[
    ["static/hello.txt", "hello, static world\n"],
    ["static/data/blob.bin", main::blob()],
    ["static/site/index.html", "<!doctype html>\n<title>t050</title>\n"],
]
--- request eval
[
    "POST /mgnt\n" . main::example("static.c"),
    "GET /static/hello.txt",
    "GET /static/data/blob.bin",
    "GET /static/site/index.html",
    "GET /static/missing.txt",
    "GET /static/data",
    "GET /static/.../hello.txt",
    "GET /static/data/..blob.bin",
    "GET /static/../../etc/passwd",
]
--- error_code eval
[201, 200, 200, 200, 404, 404, 403, 403, 400]
--- response_headers eval
[
    "Content-Type: application/json",
    "Content-Type: text/plain",
    "Content-Type: application/octet-stream\nContent-Length: 81920",
    "Content-Type: text/html",
    "Content-Type: text/plain",
    "Content-Type: text/plain",
    "Content-Type: text/plain",
    "Content-Type: text/plain",
    "Content-Type: text/html",
]
--- response_body eval
[
    qr/^\{"module":"static","version":1,.*"routes":\[\{"method":"GET","path":"\/static\/\.\*"\}\].*"status":"created"\}$/,
    "hello, static world\n",
    main::blob(),
    "<!doctype html>\n<title>t050</title>\n",
    "not found\n",
    "not found\n",
    "forbidden\n",
    "forbidden\n",
    qr/400 Bad Request/,
]
--- no_error_log
[error]
[alert]
--- timeout: 30



=== TEST 5: uploads.c: a multipart upload validated (400 JSON naming the
field), a cookie, a JSON list (gzip'd when asked), a streamed CSV, the
form with the cookie's color, the count shared by all workers
--- http_config
    cweb_module_dir $TEST_NGINX_SERVER_ROOT/cweb_temp;
    cweb_dev on;
    cweb_shared_zone counters 1m;
--- config
    location /mgnt { cweb_mgnt; }
    location / { cweb; }
--- request eval
[
    "POST /mgnt\n" . main::example("uploads.c"),
    "POST /uploads\n" . main::multipart(["title", ' my "notes", v1 '],
        ["count", "3"], ["color", "green"], ["file", "a,b\n", "up.txt"]),
    "POST /uploads\n" . main::multipart(["title", "x"], ["count", "11"],
        ["color", "green"], ["file", "a", "up.txt"]),
    "POST /uploads\n" . main::multipart(["title", "x"], ["count", "1"],
        ["color", "red"]),
    "GET /uploads/list",
    "GET /uploads/export.csv",
    "GET /uploads",
    "GET /uploads/list",
]
--- more_headers eval
[
    "",
    "Content-Type: multipart/form-data; boundary=t050-boundary",
    "Content-Type: multipart/form-data; boundary=t050-boundary",
    "Content-Type: multipart/form-data; boundary=t050-boundary",
    "",
    "",
    "Cookie: upload_color=green",
    "Accept-Encoding: gzip",
]
--- error_code eval
[201, 201, 400, 400, 200, 200, 200, 200]
--- response_headers eval
[
    "Content-Type: application/json",
    "Content-Type: application/json\nSet-Cookie: upload_color=green; Max-Age=2592000; Path=/uploads; HttpOnly; SameSite=Lax",
    "Content-Type: application/json",
    "Content-Type: application/json",
    "Content-Type: application/json\n!Content-Encoding",
    "Content-Type: text/csv; charset=utf-8\nTransfer-Encoding: chunked",
    "Content-Type: text/html; charset=utf-8",
    "Content-Encoding: gzip",
]
--- response_body eval
[
    qr/^\{"module":"uploads","version":1,.*"status":"created"\}$/,
    qq({"id":1,"title":"my \\"notes\\", v1","count":3,"color":"green","file":"up.txt","size":4,"code":0}\n),
    qq({"code":-1,"error":"argument \\"count\\": out of range 1..10"}\n),
    qq({"code":-1,"error":"argument \\"file\\": missing (a file part)"}\n),
    qq([{"id":1,"title":"my \\"notes\\", v1","count":3,"color":"green","file":"up.txt","size":4}]\n),
    qq(id,title,count,color,file,size\r\n1,"my ""notes"", v1",3,"green","up.txt",4\r\n),
    qr{<option selected>green</option>.*<p id=count>1 uploads so far}s,
    qr/^\x1f\x8b/,
]
--- no_error_log
[error]
[alert]
--- timeout: 30

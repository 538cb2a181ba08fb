# One worker, a compiler that takes 3 s (cweb_cc wrapper): the worker
# keeps answering other requests long before the compile ends, and the
# upload then goes live.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
::skip_under_valgrind("its point is timing (answers within 0.5 s while a 3 s "
    . "compile runs); under valgrind even 2 s timed out (not diagnosed)");

master_on();
workers(1);
plan tests => repeat_each() * 21;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: a slow compile never blocks the (single) worker
--- http_config
    cweb_cc $TEST_NGINX_CWEB_PLUGINS/slowcc.sh;
--- init
::background("curl", "-s", "--data-binary", '@' . "$::CWEB_ROOT/t/plugins/hello.c",
           "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt");
select(undef, undef, undef, 0.5);
--- request eval
["GET /mgnt", "GET /hello", "GET /mgnt/hello"]
--- timeout: 0.5
--- error_code eval
[200, 404, 404]
--- response_body_like eval
[qr/^\{"modules":\[\]\}$/, qr/404 Not Found/, qr/^\{"error":"no plugin \\"hello\\""\}$/]
--- no_error_log
[error]



=== TEST 2: ... and the slow compile then goes live
--- init
sleep 4;
--- request
GET /hello
--- reuse
--- response_body_like eval
qr/^hello \@V\@ pid=\d+ hits=1$/
--- no_error_log
[error]
[alert]



=== TEST 3: a client that goes away during the compile takes its deploy
along: when the compiler is done, nothing goes live and nothing touches
the request that is gone
--- http_config
    cweb_cc $TEST_NGINX_CWEB_PLUGINS/slowcc.sh;
--- init
::background("curl", "-s", "--max-time", "1", "--data-binary",
             '@' . "$::CWEB_ROOT/t/plugins/hello.c",
             "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt");
sleep 4;
--- request eval
["GET /mgnt/hello", "GET /mgnt"]
--- error_code eval
[404, 200]
--- response_body_like eval
[qr/^\{"error":"no plugin \\"hello\\""\}$/, qr/^\{"modules":\[\]\}$/]
--- no_error_log
[alert]
exited on signal

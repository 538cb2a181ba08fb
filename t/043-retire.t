# A worker that recovered from a crash in plugin code retires: it stops
# accepting, finishes the requests it has and exits.  One that cannot
# finish (here a client that never sends the rest of its body) is killed
# by the watchdog after max(10 s, 2 x cweb_handler_timeout), so a crash
# never leaves a worker lingering; the master starts a new one.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 11;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: a good plugin and one that crashes
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("hello.c", V => 1), ::deploy("faulty.c", V => 1)]
--- error_code eval
[201, 201]
--- no_error_log
[error]



=== TEST 2: a client holds an upload open on the only worker, then a crash
there: the worker retires, but cannot finish
--- reuse
--- init
my $port = $ENV{TEST_NGINX_SERVER_PORT};
main::background("perl", "-MIO::Socket::INET", "-e",
    "my \$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:$port') or die;"
    . " print \$s qq{POST /hello/post HTTP/1.1\\r\\nHost: localhost\\r\\n"
    . "Content-Length: 4\\r\\n\\r\\nab}; sleep 14;");
select(undef, undef, undef, 0.5);
--- request
GET /faulty/crash
--- error_code: 500
--- response_body_like: "reason":"the plugin crashed while handling this request"
--- wait: 0.3
--- error_log eval
qr/cweb worker \d+ retires after SIGSEGV in plugin code/



=== TEST 3: ... the watchdog kills it after 10 s; the new worker answers
--- reuse
--- request
GET /hello
--- timeout: 14
--- error_code: 200
--- response_body_like: ^hello 1 
--- error_log eval
[qr/cweb watchdog: process \d+ has been retiring for \d+ ms, killing it/,
 qr/worker process \d+ exited on signal 9/]

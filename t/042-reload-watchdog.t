# nginx -s reload while a worker spins inside a plugin call: the old worker
# would never finish its request, so it would never exit.  The new helper
# watches the old workers too (the shared zone carries over) and kills it
# after cweb_handler_timeout; the new workers serve meanwhile.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
::skip_under_valgrind("the worker must die of the watchdog's SIGABRT within "
    . "its grace period, valgrind's signal delivery is slower (SIGKILL)");

master_on();
workers(1);
plan tests => repeat_each() * 16;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: a plugin with a route that never returns
--- http_config
    cweb_handler_timeout 1s;
--- request eval
::deploy("faulty.c", V => 1)
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: a request spins in the worker, nginx is reloaded: the new worker
answers at once, the old one is killed by the watchdog and exits
--- reuse
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
main::background("curl", "-s", "--max-time", "8", "$url/faulty/spin");
select(undef, undef, undef, 0.3);
kill 'HUP', main::nginx_pid();
select(undef, undef, undef, 2.5);
--- request
GET /faulty/ok
--- response_body_like eval
qr/^faulty 1 ok canary=0 /
--- error_log eval
[qr/cweb watchdog: process \d+ has been inside plugin code for \d+ ms \(cweb_handler_timeout 1000 ms\), killing it/,
 qr/worker process \d+ exited on signal 6/]



=== TEST 3: ... and /mgnt works on the new generation
--- reuse
--- request
GET /mgnt
--- response_body_like eval
qr/"module":"faulty".*"state":"active"/



=== TEST 4: the new helper recorded the fault in the database (it opened it
itself: the zone, and so the registry, were already there)
--- reuse
--- request
GET /mgnt/faulty
--- response_body_like eval
qr/"faults":\[\{"version":1,"at":\d+,"kind":"timeout","timeout_ms":1000,"route":"GET \/faulty\/spin","pid":\d+\}\],/
--- no_error_log
not persisted
faults are not recorded



=== TEST 5: two more timeouts after the reload quarantine version 1; there
is no earlier version, so it answers 503 (the new helper rolls back and
persists like the first one)
--- reuse
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
for (1 .. 2) {
    system("curl -s -o /dev/null --max-time 4 $url/faulty/spin");
}
select(undef, undef, undef, 0.5);
--- request eval
["GET /faulty/ok", "GET /mgnt/faulty"]
--- error_code eval
[503, 200]
--- response_body_like eval
[qr/^\{"error":"plugin unavailable","module":"faulty","version":1,/,
 qr/"state":"unavailable",.*"quarantine":\{"version":1,/]
--- timeout: 12

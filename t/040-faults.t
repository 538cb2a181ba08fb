# Faults of plugin code in the workers: a handler that segfaults, aborts,
# calls exit(), overflows its stack or res->body, or never returns costs
# the request that hit it (answered 500, or 504 by the watchdog), not
# nginx: a segfault is recovered (the worker answers, finishes its other
# requests and retires, the master starts a new one), abort() and exit()
# end the worker, which still answers; other plugins and /mgnt keep
# answering.
# cweb_fault_limit faults within cweb_fault_window quarantine the version
# and the previous good one is active again on every worker.

BEGIN { $ENV{TEST_NGINX_REUSE_PORT} = 1 }   # both workers get connections

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(2);
plan tests => repeat_each() * 180;

cweb_blocks();

# the dying worker's own raw answer (abort, exit)
our $Crash = qr/^\{"error":"plugin fault","reason":"the plugin crashed while handling this request"\}$/;

our $Onload = qr/^\{"error":"plugin fault","module":"wonky","version":2,"reason":"its onload\(\) crashed"\}$/;

# a recovered segfault: answered through nginx
sub segv { qr/^\{"error":"plugin fault","module":"$_[0]","version":$_[1],"reason":"the plugin crashed while handling this request"\}$/ }

# the cweb helper of the test server (a child of the master), by what
# error.log says of it (t/inc/cweb.pl): valgrind hides its title
sub helper_signal {
    my ($sig) = @_;
    my @h = ::helper_pids();
    die "expected one cweb helper under master " . ::nginx_pid()
        . ", found @h" unless @h == 1;
    kill $sig, @h;
}

# never leave it stopped, whatever failed
END { eval { helper_signal('CONT') } }

run_tests();

__DATA__

=== TEST 1: a well-behaved plugin, and two versions of one with faulty routes
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("hello.c", V => 1), ::deploy("faulty.c", V => 1),
 ::deploy("faulty.c", V => 2), "GET /faulty/ok"]
--- error_code eval
[201, 201, 200, 200]
--- response_body_like eval
[qr/"created"/, qr/"created"/, qr/"version":2,.*"replaced"/,
 qr/^faulty 2 ok canary=0 pid=\d+$/]
--- no_error_log
[error]
[alert]



=== TEST 2: a segfaulting handler: the request is answered 500 JSON, the
worker retires
--- reuse
--- request
GET /faulty/crash
--- error_code: 500
--- response_headers
Content-Type: application/json
Connection: close
--- response_body_like eval
::segv("faulty", 2)
--- wait: 0.3
--- error_log eval
['cweb plugin "faulty" version 2 route "GET /faulty/crash" crashed (SIGSEGV): a fault, answered 500',
 qr/cweb worker \d+ retires after SIGSEGV in plugin code: it finishes its requests and the master starts a new one/,
 qr/\[notice\] .*worker process \d+ exited with code 0/,
 qr/\[error\] .*cweb plugin "faulty" version 2 faulted: SIGSEGV in GET \/faulty\/crash \(process \d+\), 1 of 3 faults within 60000 ms/]



=== TEST 3: between faults, everything else answers
--- reuse
--- request eval
["GET /hello", "GET /mgnt", "GET /faulty/ok", "GET /hello"]
--- response_body_like eval
[qr/^hello 1 /, qr/^\{"modules":/, qr/^faulty 2 ok /, qr/^hello 1 /]
--- no_error_log
[crit]



=== TEST 4: two more crashes; the third quarantines version 2 at once, in
the worker that counted it: with the cweb helper frozen (it would make
version 1 active within 50 ms), version 2 is refused, not called again
--- reuse
--- init
::helper_signal('STOP');
--- request eval
["GET /faulty/crash", "GET /faulty/crash", "GET /faulty/ok",
 "GET /faulty/crash"]
--- error_code eval
[500, 500, 503, 503]
--- response_body_like eval
[::segv("faulty", 2), ::segv("faulty", 2),
 qr/^\{"error":"plugin quarantined","module":"faulty","version":2\}$/,
 qr/^\{"error":"plugin quarantined","module":"faulty","version":2\}$/]



=== TEST 5: ... the helper, going on, made version 1 active again
--- reuse
--- init
::helper_signal('CONT');
select(undef, undef, undef, 0.5);
--- request
GET /mgnt
--- response_body_like eval
qr/"module":"faulty","version":1,.*"state":"active"/
--- error_log eval
[qr/cweb plugin "faulty" version 2 faulted: SIGSEGV in GET \/faulty\/crash \(process \d+\), 3 of 3 faults within 60000 ms/,
 'cweb plugin "faulty" version 2 quarantined after 3 faults within 60000 ms; version 1 is active again']



=== TEST 6: every worker serves version 1; GET /mgnt/faulty shows the
faults and the quarantine
--- reuse
--- request eval
[("GET /faulty/ok") x 6, "GET /hello", "GET /mgnt/faulty"]
--- response_body_like eval
[(qr/^faulty 1 ok canary=0 /) x 6, qr/^hello 1 /,
 qr/^\{"module":"faulty","version":1,.*"state":"active","versions":\[\{"version":2,"module_hash":"[0-9a-f]{64}","source_sha256":"[0-9a-f]{64}","compile_ms":\d+,"created_at":\d+,"stored":true,"quarantined":true,"quarantined_at":\d+,"quarantine_reason":"version 2 quarantined after 3 faults within 60000 ms"\},\{"version":1,[^}]*"quarantined":false\}\],"faults":\[(?:\{"version":2,"at":\d+,"kind":"signal","signal":"SIGSEGV","route":"GET \/faulty\/crash","pid":\d+\},?){3}\],"quarantine":\{"version":2,"at":\d+,"reason":"version 2 quarantined after 3 faults within 60000 ms"\},"recent_faults":0\}$/]



=== TEST 7: exit(2) in a handler, twice: answered 500; the workers still
come back (nginx would not respawn a worker that exits with 2)
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("faulty.c", V => 1), "GET /faulty/exit", "GET /faulty/exit",
 "GET /faulty/exit", "GET /faulty/ok", "GET /faulty/ok"]
--- error_code eval
[201, 500, 500, 500, 503, 503]
--- response_body_like eval
[qr/"created"/, $::Crash, $::Crash, $::Crash,
 qr/^\{"error":"plugin (?:quarantined|unavailable)","module":"faulty","version":1(?:,"reason":"version 1 quarantined after 3 faults within 60000 ms")?\}$/,
 qr/^\{"error":"plugin (?:quarantined|unavailable)","module":"faulty","version":1(?:,"reason":"version 1 quarantined after 3 faults within 60000 ms")?\}$/]
--- no_error_log
cannot be respawned



=== TEST 8: exit() faults are recorded with their code; no good version to
fall back to: the routes answer 503 JSON
--- reuse
--- init
select(undef, undef, undef, 0.5);
--- request eval
["GET /faulty/ok", "GET /mgnt/faulty"]
--- error_code eval
[503, 200]
--- response_body_like eval
[qr/^\{"error":"plugin unavailable","module":"faulty","version":1,"reason":"version 1 quarantined after 3 faults within 60000 ms"\}$/,
 qr/"state":"unavailable","reason":"version 1 quarantined after 3 faults within 60000 ms".*"faults":\[(?:\{"version":1,"at":\d+,"kind":"exit","exit_code":2,"route":"GET \/faulty\/exit","pid":\d+\},?){3}\]/]
--- no_error_log
cannot be respawned



=== TEST 9: abort() (the worker ends, answering first) and a stack
overflow (recovered on the alternate signal stack) are answered 500 too
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("faulty.c", V => 1), "GET /faulty/abort", "GET /faulty/deep",
 "GET /hello/workers"]
--- error_code eval
[201, 500, 500, 404]
--- response_body_like eval
[qr/"created"/, $::Crash, ::segv("faulty", 1), qr/404 Not Found/]



=== TEST 10: ... and recorded as SIGABRT and SIGSEGV
--- reuse
--- init
select(undef, undef, undef, 0.5);
--- request
GET /mgnt/faulty
--- response_body_like eval
qr/"faults":\[\{"version":1,"at":\d+,"kind":"signal","signal":"SIGSEGV","route":"GET \/faulty\/deep","pid":\d+\},\{"version":1,"at":\d+,"kind":"signal","signal":"SIGABRT","route":"GET \/faulty\/abort","pid":\d+\}\],.*"recent_faults":2\}$/
--- error_log eval
[qr/worker process \d+ exited on signal 6/,
 qr/cweb worker \d+ retires after SIGSEGV in plugin code/]



=== TEST 11: writing past res->body is a fault answered 500; the worker
lives on, and the buffer it recycles has its guard again (the next calls
in that worker are no overflow)
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("faulty.c", V => 1), "GET /faulty/overflow", ("GET /faulty/ok") x 10]
--- error_code eval
[201, 500, (200) x 10]
--- response_body_like eval
[qr/"created"/,
 qr/^\{"error":"plugin fault","module":"faulty","version":1,"reason":"the handler wrote past res->body"\}$/,
 (qr/^faulty 1 ok canary=0 /) x 10]
--- no_error_log
exited on signal



=== TEST 12: ... and recorded as an overflow
--- reuse
--- init
select(undef, undef, undef, 0.5);
--- request
GET /mgnt/faulty
--- response_body_like eval
qr/"faults":\[\{"version":1,"at":\d+,"kind":"overflow","route":"GET \/faulty\/overflow","pid":\d+\}\],.*"recent_faults":1\}$/
--- error_log
cweb plugin "faulty" version 1 route "GET /faulty/overflow" wrote past res->body (8192 bytes): a fault, answered 500
--- no_error_log
exited on signal



=== TEST 13: a handler that never returns: the watchdog kills the worker
after cweb_handler_timeout, the request gets 504; meanwhile the other
worker answers /mgnt and other plugins
--- http_config
    cweb_handler_timeout 1s;
    cweb_fault_limit 2;
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
system("curl -s --data-binary \@$ENV{TEST_NGINX_CWEB_PLUGINS}/hello.c $url/mgnt > /dev/null");
open my $fh, '>', "$ENV{TEST_NGINX_SERVER_ROOT}/html/f.c" or die;
print $fh main::plugin_src("faulty.c", V => 1);
close $fh;
system("curl -s --data-binary \@$ENV{TEST_NGINX_SERVER_ROOT}/html/f.c $url/mgnt > /dev/null");
--- request
GET /faulty/spin
--- timeout: 5
--- error_code: 504
--- response_body
{"error":"plugin fault","reason":"the plugin did not answer within cweb_handler_timeout"}
--- wait: 0.3
--- error_log eval
[qr/cweb watchdog: process \d+ has been inside plugin code for \d+ ms \(cweb_handler_timeout 1000 ms\), killing it/,
 qr/cweb plugin "faulty" version 1 faulted: still running after 1000 ms in GET \/faulty\/spin \(process \d+\), 1 of 2/,
 qr/worker process \d+ exited on signal 6/]



=== TEST 14: two such requests at once hang both workers (or queue behind
each other on one: reuseport picks the worker), the watchdog kills them, so
/mgnt (served by the same workers) answers right after; the timeouts (the
limit is 2 here) quarantined version 1, which has no good version to fall
back to
--- reuse
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
main::background("curl", "-s", "--max-time", "5", "$url/faulty/spin")
    for 1 .. 2;
select(undef, undef, undef, 2.8);
--- request eval
["GET /mgnt/faulty", "GET /faulty/ok"]
--- timeout: 6
--- error_code eval
[200, 503]
--- response_body_like eval
[qr/"state":"unavailable","reason":"version 1 quarantined after 2 faults within 60000 ms".*"faults":\[(?:\{"version":1,"at":\d+,"kind":"timeout","timeout_ms":1000,"route":"GET \/faulty\/spin","pid":\d+\},?){2,3}\]/,
 qr/^\{"error":"plugin unavailable","module":"faulty","version":1,"reason":"version 1 quarantined after 2 faults within 60000 ms"\}$/]



=== TEST 15: ... and it can be deleted
--- reuse
--- request eval
["DELETE /mgnt/faulty", "GET /faulty/ok", "GET /hello"]
--- error_code eval
[200, 404, 200]
--- response_body_like eval
[qr/"deleted"/, qr/404 Not Found/, qr/^hello /]



=== TEST 16: a handler that blocks SIGABRT and spins: the watchdog's
SIGABRT cannot end it, its SIGKILL does a second later
--- http_config
    cweb_handler_timeout 1s;
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
open my $fh, '>', "$ENV{TEST_NGINX_SERVER_ROOT}/html/f.c" or die;
print $fh main::plugin_src("faulty.c", V => 1);
close $fh;
system("curl -s --data-binary \@$ENV{TEST_NGINX_SERVER_ROOT}/html/f.c $url/mgnt > /dev/null");
main::background("curl", "-s", "--max-time", "5", "$url/faulty/stubborn");
select(undef, undef, undef, 2.8);
--- request
GET /mgnt/faulty
--- response_body_like eval
qr/"faults":\[\{"version":1,"at":\d+,"kind":"timeout","timeout_ms":1000,"route":"GET \/faulty\/stubborn","pid":\d+\}\]/
--- error_log eval
[qr/cweb watchdog: process \d+ has been inside plugin code for \d+ ms \(cweb_handler_timeout 1000 ms\), killing it/,
 qr/cweb watchdog: process \d+ did not end on SIGABRT, killing it with SIGKILL/,
 qr/worker process \d+ exited on signal 9/]



=== TEST 17: an onload that crashes only in the workers (the canary passed
it): requests for that plugin are answered 500 until the version is
quarantined; other plugins were never touched (plugins load lazily)
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("hello.c", V => 1), ::deploy("faulty.c", NAME => "wonky", V => 1),
 ::deploy("faulty.c", NAME => "wonky", V => 2, MODE => "WORKER_ONLOAD_CRASH"),
 "GET /wonky/ok", "GET /hello", "GET /wonky/ok", "GET /wonky/ok"]
--- error_code eval
[201, 201, 200, 500, 200, 500, 500]
--- response_body_like eval
[qr/"created"/, qr/"created"/, qr/"replaced"/, $::Onload, qr/^hello 1 /,
 $::Onload, $::Onload]



=== TEST 18: ... onload faults, then version 1 is back
--- reuse
--- init
select(undef, undef, undef, 0.5);
--- request eval
["GET /wonky/ok", "GET /wonky/ok", "GET /mgnt/wonky"]
--- response_body_like eval
[qr/^wonky 1 ok canary=0 /, qr/^wonky 1 ok canary=0 /,
 qr/"faults":\[(?:\{"version":2,"at":\d+,"kind":"signal","signal":"SIGSEGV","route":"onload","pid":\d+\},?){3}\]/]

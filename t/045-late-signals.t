# A SIGABRT of the watchdog that reaches a worker after the call it was
# meant for has ended (the call finished between the watchdog's look and
# its signal) must not end the worker and all its connections: the
# watchdog sends it with sigqueue() carrying the call's start, and the
# worker's handler ignores one that names a call no longer running (and
# forgets the watchdog's mark, so a later overrun is handled as usual).
# Fault descriptions read the same in the error log as in canary answers.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 32;

cweb_blocks();

sub late { return ::deploy("late.c", NAME => "late", V => 1, MS => 1500) }

run_tests();

__DATA__

=== TEST 1: a plugin whose /late/slow blocks SIGABRT and runs 1.5 s
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::late(), "GET /late/ok"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"created"/, qr/^late 1 ok pid=\d+$/]
--- no_error_log
[error]



=== TEST 2: a queued SIGABRT that comes when no call runs at all (here
from a child the call forked) is ignored
--- reuse
--- request eval
["GET /late/after", "GET /late/ok"]
--- response_body_like eval
[qr/^late 1 after pid=\d+$/, qr/^late 1 ok pid=\d+$/]
--- wait: 0.6
--- no_error_log
exited on signal
[alert]



=== TEST 3: the call outlives cweb_handler_timeout: the watchdog sends
SIGABRT, which stays pending (blocked) while the call ends normally
--- reuse
--- request
GET /late/slow
--- timeout: 5
--- response_body_like eval
qr/^late 1 slow pid=\d+$/
--- error_log eval
qr/cweb watchdog: process \d+ has been inside plugin code for \d+ ms \(cweb_handler_timeout 1000 ms\), killing it/



=== TEST 4: the watchdog's SIGABRT arrives during a later call (unblocked
there): that call is not stuck, the worker answers and lives on
--- reuse
--- request eval
["GET /late/unblock", "GET /late/ok"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^late 1 unblocked pid=\d+$/, qr/^late 1 ok pid=\d+$/]
--- wait: 0.3
--- no_error_log
exited on signal
[alert]



=== TEST 5: ... so a later overrun in that worker is handled as usual: 504
and SIGABRT, no SIGKILL
--- reuse
--- request
GET /late/spin
--- timeout: 5
--- error_code: 504
--- response_body
{"error":"plugin fault","reason":"the plugin did not answer within cweb_handler_timeout"}
--- wait: 0.3
--- error_log eval
qr/worker process \d+ exited on signal 6/
--- no_error_log
did not end on SIGABRT



=== TEST 6: an exit() fault reads "exit code N" in the error log, as in a
canary's refusal
--- http_config
    cweb_handler_timeout 1s;
--- request eval
::deploy("faulty.c", V => 1)
--- error_code: 201



=== TEST 7: ... then faults with exit(2): the error log says "exit code 2"
--- reuse
--- request
GET /faulty/exit
--- error_code: 500
--- wait: 0.3
--- error_log eval
qr/cweb plugin "faulty" version 1 faulted: exit code 2 in GET \/faulty\/exit \(process \d+\)/

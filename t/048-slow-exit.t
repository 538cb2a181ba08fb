# A worker whose plugin calls exit() records that fault itself (its
# on_exit() hook), answers, and leaves; leaving can outlast
# cweb_handler_timeout (a core dump, valgrind's exit-time leak check; here
# strace holds its exit_group() for 3 s).  The watchdog still ends it, but
# the call has one fault, the exit, not also a timeout.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 8;

cweb_blocks();

our ($Worker, $Strace);

run_tests();

__DATA__

=== TEST 1: a plugin with an exit() route
--- http_config
    cweb_handler_timeout 1s;
--- request eval
::deploy("faulty.c", V => 1)
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: exit(2) in the handler while strace holds the worker's
exit_group() for 3 s: the request is answered 500
--- reuse
--- init
($::Worker) = ::started_worker_pids();
$::Strace = ::background("strace", "-qq", "-o", "/dev/null",
                         "-e", "trace=exit_group",
                         "-e", "inject=exit_group:delay_enter=3s",
                         "-p", $::Worker);
select(undef, undef, undef, 0.7);
--- request
GET /faulty/exit
--- timeout: 10
--- error_code: 500
--- response_body_like: ^\{"error":"plugin fault","reason":"the plugin crashed while handling this request"\}$



=== TEST 3: ... it was still inside the call at cweb_handler_timeout: the
watchdog ended it, and its one fault is the exit, not also a timeout
--- reuse
--- init
waitpid $::Strace, 0;
::wait_for(10, sub { (::proc_stat($::Worker))[0] eq "" });
--- request
GET /mgnt/faulty
--- response_body_like eval
qr/"faults":\[\{"version":1,"at":\d+,"kind":"exit","exit_code":2,"route":"GET \/faulty\/exit","pid":\d+\}\],/
--- error_log eval
[qr/cweb watchdog: process \d+ has been inside plugin code for \d+ ms \(cweb_handler_timeout 1000 ms\), killing it/,
 qr/faulted: exit code 2 in GET \/faulty\/exit .*, 1 of 3 faults/]

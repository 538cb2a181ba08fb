# The canary: every new version is loaded first in a throwaway process
# forked by the cweb helper (constructors, config, onload, unload,
# destructors).  A crash, a hang or exit() there refuses the upload with
# 422 JSON naming the signal, exit code or timeout and the phase; the
# running version stays active and no worker ever ran the new code.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(2);
plan tests => repeat_each() * 54;

cweb_blocks();

sub faulty { return ::deploy("faulty.c", V => 2, MODE => $_[0]) }

run_tests();

__DATA__

=== TEST 1: a good version 1: deployed, its onload ran in the canary
(cweb_is_canary() 1) and in the helper's canary process, not in a worker
--- http_config
    cweb_handler_timeout 1s;
--- request eval
::deploy("faulty.c", V => 1)
--- error_code: 201
--- response_body_like eval
qr/"version":1,.*"canary_ms":\d+,"status":"created"/
--- grep_error_log eval
qr/faulty 1 onload canary=\d|cweb helper started|cweb canary process \d+ started/
--- grep_error_log_out eval
qr/^cweb helper started\ncweb canary process \d+ started\nfaulty 1 onload canary=1\n$/
--- no_error_log
[error]
[alert]



=== TEST 2: ... and in the worker that serves it (canary 0)
--- reuse
--- request
GET /faulty/ok
--- response_body_like eval
qr/^faulty 1 ok canary=0 pid=\d+$/
--- grep_error_log eval
qr/faulty 1 onload canary=0/
--- grep_error_log_out
faulty 1 onload canary=0
--- no_error_log
[error]
[alert]



=== TEST 3: a constructor that segfaults
--- reuse
--- request eval
::faulty("CTOR_CRASH")
--- error_code: 422
--- response_body
{"error":"the plugin failed its canary","phase":"load","signal":"SIGSEGV"}
--- error_log
cweb plugin from "module.c" failed its canary during load: SIGSEGV
--- no_error_log
exited on signal



=== TEST 4: onload segfaults
--- reuse
--- request eval
::faulty("ONLOAD_CRASH")
--- error_code: 422
--- response_body
{"error":"the plugin failed its canary","phase":"onload","signal":"SIGSEGV"}
--- error_log
cweb plugin from "module.c" failed its canary during onload: SIGSEGV
--- no_error_log
exited on signal



=== TEST 5: onload calls abort()
--- reuse
--- request eval
::faulty("ONLOAD_ABORT")
--- error_code: 422
--- response_body
{"error":"the plugin failed its canary","phase":"onload","signal":"SIGABRT"}
--- error_log
cweb plugin from "module.c" failed its canary during onload: SIGABRT
--- no_error_log
exited on signal



=== TEST 6: onload calls exit(3)
--- reuse
--- request eval
::faulty("ONLOAD_EXIT")
--- error_code: 422
--- response_body
{"error":"the plugin failed its canary","phase":"onload","exit_code":3}
--- error_log
cweb plugin from "module.c" failed its canary during onload: exit code 3
--- no_error_log eval
qr/worker process \d+ exited/



=== TEST 7: onload never returns: killed at cweb_handler_timeout (1s)
--- reuse
--- request eval
::faulty("ONLOAD_HANG")
--- timeout: 5
--- error_code: 422
--- response_body
{"error":"the plugin failed its canary","phase":"onload","timeout_ms":1000}
--- error_log
cweb plugin from "module.c" failed its canary during onload: still running after 1000 ms
--- no_error_log
exited on signal



=== TEST 8: a destructor that segfaults (dlclose() in the canary)
--- reuse
--- request eval
::faulty("DTOR_CRASH")
--- error_code: 422
--- response_body
{"error":"the plugin failed its canary","phase":"dlclose","signal":"SIGSEGV"}
--- error_log
cweb plugin from "module.c" failed its canary during dlclose: SIGSEGV
--- no_error_log
exited on signal



=== TEST 9: version 1 stayed active on every worker; no refused version
was ever stored, no worker ever died
--- reuse
--- request eval
[("GET /faulty/ok") x 4, "GET /mgnt/faulty"]
--- response_body_like eval
[(qr/^faulty 1 ok canary=0 pid=\d+$/) x 4,
 qr/^\{"module":"faulty","version":1,.*"versions":\[\{"version":1,[^\]]*\],"faults":\[\],/]
--- no_error_log
exited on signal
faulty 2 onload canary=0

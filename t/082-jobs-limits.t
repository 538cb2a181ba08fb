# Durable jobs at their limits (issue 8): replay pages bounded by size as
# well as by count, emit_event() and set_result() bounded by
# cweb_job_max_payload, a worker that falls a whole event ring behind
# (cweb_event_zone 64k, the worker stopped while a job emits thousands of
# events) gives its followers every event anyway, read again from the
# store, and a worker out of connections refuses event streams without
# harm (a smoke test: nginx's own "worker_connections are not enough"
# alert is expected; the use after free a review found on that path, a
# replay's query failing at once, did not crash the worker here on the
# old code; it is fixed by reading, see ngx_cweb_jobs_query()).  One worker; malloc
# fills freed memory (MALLOC_PERTURB_).

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
require "$FindBin::Bin/inc/jobs.pl";

$ENV{MALLOC_PERTURB_} = 165;
our $JobsDir;
jobs_state_dir('t082');

our $Config = $main::JobsConfig;

master_on();
workers(1);
worker_connections(24);
plan tests => repeat_each() * (4 * 3 + 2);

cweb_blocks(module_dir => $JobsDir, config => $Config);
jobs_blocks(config => $Config);

run_tests();

__DATA__

=== TEST 1: events of 700 KB: a replay page holds what one message can (the rest is the next page); data or a result over cweb_job_max_payload is refused
--- http_config
    cweb_event_zone 64k;
--- jobs
deploy jobs_big.c
post b {"module":"jobs_big","job":"big","payload":{"n":6,"kb":700}}
wait b done 30
sseall b
wsall b
post h {"module":"jobs_big","job":"big","payload":{"n":1,"kb":1100}}
wait h done 30
get h state result
--- response_body
deploy 201
post b 200 {"job_uuid":"b","module_hash":"H","state":"pending"}
wait b done
sseall b 200: 9 events, the last done
wsall b: 9 events, the last done; close 1000 the job has ended
post h 200 {"job_uuid":"h","module_hash":"H","state":"pending"}
wait h done
get h 200 {"result":{"n":1,"refused":1},"state":"done"}
--- timeout: 60
--- error_log eval
qr/emit_event\("blob"\): the data is larger than cweb_job_max_payload \(1048576 bytes\)/
--- no_error_log
[alert]



=== TEST 2: the worker falls a whole event ring behind (stopped while a job emits 4,000 events into a 64 KB ring): its followers, over SSE and WebSocket, still get every event once and in order, read again from the store; a stream live again after that ends cleanly when its client goes
--- http_config
    cweb_event_zone 64k;
--- jobs
post r {"module":"jobs_big","job":"burst","payload":{"n":4000},"delay_ms":1500}
sse r 3 0 stop
post r2 {"module":"jobs_big","job":"burst","payload":{"n":4000},"delay_ms":1500}
ws r2 3 0 stop
post r3 {"module":"jobs_big","job":"burst","payload":{"n":4000,"then_ms":3000},"delay_ms":1500}
ssecut r3 4000
wait r3 done 20
--- response_body
post r 200 {"job_uuid":"r","module_hash":"H","state":"pending"}
sse r: 3 subscribers, each got the 4003 events after its start in order, once
post r2 200 {"job_uuid":"r2","module_hash":"H","state":"pending"}
ws r2: 3 subscribers, each got the 4003 events after its start in order, once
post r3 200 {"job_uuid":"r3","module_hash":"H","state":"pending"}
ssecut r3: the stream caught up, the client closed it
wait r3 done
--- timeout: 90
--- error_log eval
qr/fell behind the event ring and lost \d+ events/
--- no_error_log
[alert]
[crit]
exited on signal



=== TEST 3: more event streams than the worker has connections: the ones it cannot serve are refused or dropped, the worker lives, and /jobs answers after
--- http_config
    cweb_event_zone 64k;
--- jobs
post s {"module":"jobs_big","job":"sleep","payload":{"ms":4000}}
wait s running
connflood s 60
get s state
--- response_body
post s 200 {"job_uuid":"s","module_hash":"H","state":"pending"}
wait s running
connflood s: 60 streams opened and closed
get s 200 {"state":"running"}
--- timeout: 40
--- no_error_log
exited on signal
[emerg]

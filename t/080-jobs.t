# Durable jobs (issue 8): POST /jobs commits a job in the helper's store
# (jobs.db) before it answers, the helper's runner thread runs it in the
# version that was current when it was created, and GET /jobs/<uuid> shows
# its state, attempts and result.  Conversations through t/inc/jobs.pl;
# the state directory lives outside the server root so that a restart
# keeps it.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
require "$FindBin::Bin/inc/jobs.pl";

our $JobsDir;
jobs_state_dir('t080');

our $Config = $main::JobsConfig;

master_on();
workers(2);
plan tests => repeat_each() * (4 * 13 + 1 + 3 + 5 + 3 + 7 + 7 + 4 * 3 + 6 + 5 + 5);

cweb_blocks(module_dir => $JobsDir, config => $Config);
jobs_blocks(config => $Config);

run_tests();

__DATA__

=== TEST 1: a job is committed, runs on the helper and has its result
--- http_config
    cweb_job_max_payload 1k;
--- jobs
deploy jobs_test.c V=1
post a {"job":"echo","payload":{"x":[1,"two"]}}
wait a done
get a state result error attempts module version
list limit=5
post b {"module":"jobs_test","job":"echo"}
wait b done
get b result
list state=done&limit=1
--- response_body
deploy 201
post a 200 {"job_uuid":"a","module_hash":"H","state":"pending"}
wait a done
get a 200 {"attempts":[{"attempt":1,"ended_at":"T","error":null,"started_at":"T"}],"error":null,"module":"jobs_test","result":{"payload":{"x":[1,"two"]},"v":1},"state":"done","version":1}
list 200 a=done
post b 200 {"job_uuid":"b","module_hash":"H","state":"pending"}
wait b done
get b 200 {"result":{"payload":{},"v":1}}
list 200 b=done
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 2: bad input: JSON errors, never a lost job
--- reuse
--- jobs
http POST /jobs {"job":
http POST /jobs [1,2]
http POST /jobs {"payload":{}}
http POST /jobs {"job":"nope"}
http POST /jobs {"module":"nope","job":"echo"}
http POST /jobs {"module":7,"job":"echo"}
http POST /jobs {"job":"echo","delay_ms":-1}
http POST /jobs {"job":"echo","max_attempts":0}
http POST /jobs {"job":"echo","payload":"${x*1100}"}
http GET /jobs/not-a-uuid
http GET /jobs/00000000-0000-4000-8000-00000000000A
http GET /jobs/00000000-0000-4000-8000-000000000000
http POST /jobs/00000000-0000-4000-8000-000000000000/cancel
http GET /jobs?state=lost
http GET /jobs?limit=0
http DELETE /jobs
http GET /jobs/00000000-0000-4000-8000-000000000000/nothing
list state=pending
--- response_body
http POST /jobs 400 {"error":"the body must be a JSON object {\"module\",\"job\",\"payload\"}: unexpected token near end of file"}
http POST /jobs 400 {"error":"the body must be a JSON object {\"module\",\"job\",\"payload\"}"}
http POST /jobs 400 {"error":"\"job\" must be the name of a job (a string)"}
http POST /jobs 404 {"error":"unknown job"}
http POST /jobs 404 {"error":"unknown module"}
http POST /jobs 400 {"error":"\"module\" must be a plugin's name (a string)"}
http POST /jobs 400 {"error":"\"run_at\" (ms since the epoch) and \"delay_ms\" must be integers >= 0"}
http POST /jobs 400 {"error":"\"timeout_ms\" and \"max_attempts\" must be integers > 0"}
http POST /jobs 413 {"error":"the payload is larger than cweb_job_max_payload"}
http GET /jobs/not-a-uuid 400 {"error":"malformed job uuid"}
http GET /jobs/00000000-0000-4000-8000-00000000000A 400 {"error":"malformed job uuid"}
http GET /jobs/00000000-0000-4000-8000-000000000000 404 {"error":"unknown job"}
http POST /jobs/00000000-0000-4000-8000-000000000000/cancel 404 {"error":"unknown job"}
http GET /jobs?state=lost 400 {"error":"state= must be pending, running, done, failed or canceled"}
http GET /jobs?limit=0 400 {"error":"limit= must be 1..1000"}
http DELETE /jobs 405 {"error":"use POST /jobs, GET /jobs, GET /jobs/<uuid>, POST /jobs/<uuid>/cancel or GET /jobs/<uuid>/events"}
http GET /jobs/00000000-0000-4000-8000-000000000000/nothing 404 {"error":"no such jobs endpoint: POST /jobs, GET /jobs, GET /jobs/<uuid>, POST /jobs/<uuid>/cancel, GET /jobs/<uuid>/events, GET /jobs/ws?id=<uuid>"}
list 200 
--- no_error_log
[error]
[alert]



=== TEST 3: a job's own events, in order, between started and done
--- reuse
--- jobs
post p {"job":"progress","payload":{"n":3}}
wait p done
get p result
events p
--- response_body
post p 200 {"job_uuid":"p","module_hash":"H","state":"pending"}
wait p done
get p 200 {"result":{"steps":3}}
events p: created null, started {"attempt":1}, step {"i":1}, step {"i":2}, step {"i":3}, done {"steps":3}
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 4: cancel of a pending job (delay_ms) is immediate; it never runs; a second cancel is refused
--- reuse
--- jobs
post d {"job":"echo","delay_ms":1500}
get d state
cancel d
cancel d
sleep 2
get d state result attempts
events d
--- response_body
post d 200 {"job_uuid":"d","module_hash":"H","state":"pending"}
get d 200 {"state":"pending"}
cancel d 200 {"job_uuid":"d","state":"canceled"}
cancel d 409 {"error":"the job has finished","job_uuid":"d","state":"canceled"}
get d 200 {"attempts":[],"result":null,"state":"canceled"}
events d: created null, canceled null
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 5: cancel of a running job calls its version's cancel hook; it ends canceled and its result is dropped
--- reuse
--- jobs
post s {"job":"slow","payload":{"ms":8000}}
wait s running
cancel s
wait s canceled 5
get s state result
--- response_body
post s 200 {"job_uuid":"s","module_hash":"H","state":"pending"}
wait s running
cancel s 202 {"cancel_requested":true,"job_uuid":"s","state":"running"}
wait s canceled
get s 200 {"result":null,"state":"canceled"}
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 6: a deploy while jobs of the old version are pending and running: each runs (and ends) in the version current when it was created
--- reuse
--- jobs
post old {"job":"echo","delay_ms":1500}
post run {"job":"echo","payload":{"ms":1200}}
wait run running
deploy jobs_test.c V=2
post new {"job":"echo"}
wait new done
wait old done
get run state result version
get old result version
get new result version
--- response_body
post old 200 {"job_uuid":"old","module_hash":"H","state":"pending"}
post run 200 {"job_uuid":"run","module_hash":"H","state":"pending"}
wait run running
deploy 200
post new 200 {"job_uuid":"new","module_hash":"H","state":"pending"}
wait new done
wait old done
get run 200 {"result":{"payload":{"ms":1200},"v":1},"state":"done","version":1}
get old 200 {"result":{"payload":{},"v":1},"version":1}
get new 200 {"result":{"payload":{},"v":2},"version":2}
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 7: jobs_create() from a plugin's route: the uuid at once, the job committed and run; an unknown job and a bad payload refused
--- reuse
--- jobs
create pc /jt/jobs_test/create
wait pc done
get pc result module job
create other /jt/jobs_test/create?job=progress
wait other done
get other result
http GET /jt/jobs_test/bad
--- response_body
create pc 200 pc
wait pc done
get pc 200 {"job":"echo","module":"jobs_test","result":{"payload":{"from":"route"},"v":2}}
create other 200 other
wait other done
get other 200 {"result":{"steps":3}}
http GET /jt/jobs_test/bad 200 -1 -1
--- timeout: 30
--- error_log
jobs_create("no-such-job"): unknown job
jobs_create("echo"): the payload is not JSON
--- no_error_log
[alert]



=== TEST 8: how a run ends: an error, a non-zero return, a result that is not JSON, a built-in event type; a job due later is pending when nginx stops
--- reuse
--- jobs
post f {"job":"fail"}
post r {"job":"ret1"}
post j {"job":"badjson"}
post e {"job":"builtin"}
wait f failed
wait r failed
wait j done
wait e done
get f state error result attempts
get r state error
get j result
get e result
events f
events j
post rt {"job":"fail","max_attempts":2}
wait rt failed 15
get rt state error attempts
post later {"job":"echo","delay_ms":8000}
get later state
--- response_body
post f 200 {"job_uuid":"f","module_hash":"H","state":"pending"}
post r 200 {"job_uuid":"r","module_hash":"H","state":"pending"}
post j 200 {"job_uuid":"j","module_hash":"H","state":"pending"}
post e 200 {"job_uuid":"e","module_hash":"H","state":"pending"}
wait f failed
wait r failed
wait j done
wait e done
get f 200 {"attempts":[{"attempt":1,"ended_at":"T","error":"it failed on purpose","started_at":"T"}],"error":"it failed on purpose","result":null,"state":"failed"}
get r 200 {"error":"run() returned 1","state":"failed"}
get j 200 {"result":{"refused":true}}
get e 200 {"result":{"refused":true}}
events f: created null, started {"attempt":1}, failed {"error":"it failed on purpose"}
events j: created null, started {"attempt":1}, done {"refused":true}
post rt 200 {"job_uuid":"rt","module_hash":"H","state":"pending"}
wait rt failed
get rt 200 {"attempts":[{"attempt":1,"ended_at":"T","error":"it failed on purpose","started_at":"T"},{"attempt":2,"ended_at":"T","error":"it failed on purpose","started_at":"T"}],"error":"it failed on purpose","state":"failed"}
post later 200 {"job_uuid":"later","module_hash":"H","state":"pending"}
get later 200 {"state":"pending"}
--- timeout: 30
--- error_log
set_result(): not JSON
--- no_error_log
[alert]



=== TEST 9: events as text/event-stream: every follower, whenever it comes, gets every event once and in order; a reconnect resumes
--- reuse
--- jobs
post ev {"job":"progress","payload":{"n":300,"ms":0}}
sse ev 12 4
sse ev 3 0 since=4
http GET /jobs/00000000-0000-4000-8000-000000000000/events
http GET /jobs/00000000-0000-4000-8000-000000000000/events?since_event_id=x
--- response_body_like eval
qr{^post ev 200 \{"job_uuid":"ev","module_hash":"H","state":"pending"\}
sse ev: 12 subscribers, each got the 303 events after its start in order, once
sse ev: 3 subscribers, each got the 299 events after its event 4 in order, once
http GET /jobs/00000000-0000-4000-8000-000000000000/events 404 \{"error":"unknown job"\}
http GET /jobs/00000000-0000-4000-8000-000000000000/events\?since_event_id=x 400 \{"error":"since_event_id= and Last-Event-ID must be event ids \(integers >= 0\)"\}
$}
--- timeout: 60
--- no_error_log
[alert]



=== TEST 10: after a restart the pending job runs and the finished ones are still there
--- jobs
wait later done 20
get later state result version
get a state result
list state=canceled
--- response_body
wait later done
get later 200 {"result":{"payload":{},"v":2},"state":"done","version":2}
get a 200 {"result":{"payload":{"x":[1,"two"]},"v":1},"state":"done"}
list 200 s=canceled d=canceled
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 11: nginx -s reload while a job runs: the old helper puts it back, the new one runs it again
--- reuse
--- jobs
post rl {"job":"slow","payload":{"ms":1500}}
wait rl running
perl kill('HUP', main::nginx_pid())
wait rl done 20
get rl state result
events rl
--- response_body
post rl 200 {"job_uuid":"rl","module_hash":"H","state":"pending"}
wait rl running
perl 1
wait rl done
get rl 200 {"result":{"saw":"time"},"state":"done"}
events rl: created null, started {"attempt":1}, retry {"interrupted":true}, started {"attempt":1}, done {"saw":"time"}
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 12: kill -9 of the helper while a job runs: the job fails, the helper comes back and the queue goes on
--- reuse
--- jobs
post k9 {"job":"slow","payload":{"ms":8000}}
wait k9 running
perl kill('KILL', main::helper_pids())
wait k9 failed 20
get k9 state error
post next {"job":"echo"}
wait next done 20
--- response_body
post k9 200 {"job_uuid":"k9","module_hash":"H","state":"pending"}
wait k9 running
perl 1
wait k9 failed
get k9 200 {"error":"interrupted: the cweb helper died while it ran","state":"failed"}
post next 200 {"job_uuid":"next","module_hash":"H","state":"pending"}
wait next done
--- timeout: 40
--- error_log eval
qr/cache manager process \d+ exited on signal 9/
--- no_error_log
[emerg]
[crit]



=== TEST 13: /jobs is protected like /mgnt: without cweb_dev, the admin key is needed
--- http_config
    cweb_dev off;
    cweb_admin_key k3y-for-jobs;
--- jobs
http GET /jobs/00000000-0000-4000-8000-000000000000
http POST /jobs {"job":"echo"}
key wrong
http GET /jobs/00000000-0000-4000-8000-000000000000
key k3y-for-jobs
http GET /jobs/00000000-0000-4000-8000-000000000000
post k {"job":"echo"}
wait k done
wsopen id=k
key -
wsopen id=k
--- response_body
http GET /jobs/00000000-0000-4000-8000-000000000000 401 {"error":"missing admin key: send X-API-Key or Authorization: Bearer"}
http POST /jobs 401 {"error":"missing admin key: send X-API-Key or Authorization: Bearer"}
http GET /jobs/00000000-0000-4000-8000-000000000000 401 {"error":"wrong admin key"}
http GET /jobs/00000000-0000-4000-8000-000000000000 404 {"error":"unknown job"}
post k 200 {"job_uuid":"k","module_hash":"H","state":"pending"}
wait k done
wsopen id=k 101
wsopen id=k 401 {"error":"missing admin key: send X-API-Key or Authorization: Bearer"}
--- timeout: 30
--- no_error_log
[alert]



=== TEST 14: events over a WebSocket (/jobs/ws): every follower, whenever it comes, gets every event once and in order, from since_event_id; the same fan-out as the event stream's
--- jobs
post w {"job":"progress","payload":{"n":300,"ms":1}}
ws w 12 25
sse w 4 40
ws w 3 0 since=4
post big {"job":"progress","payload":{"n":6000,"ms":0}}
ws big 6 30
sse big 2 50
sseall w
sseall w 300
sseall w 303
wsall w
wsall w 303
wsopen id=w&since_event_id=0
wsopen id=w origin=http://127.0.0.1
wsopen id=w origin=http://evil.example
wsopen id=00000000-0000-4000-8000-000000000000
wsopen id=nope
wsopen id=w&since_event_id=x
http GET /jobs/ws
http POST /jobs/ws
http GET /jobs/ws?id=00000000-0000-4000-8000-000000000000
--- response_body
post w 200 {"job_uuid":"w","module_hash":"H","state":"pending"}
ws w: 12 subscribers, each got the 303 events after its start in order, once
sse w: 4 subscribers, each got the 303 events after its start in order, once
ws w: 3 subscribers, each got the 299 events after its event 4 in order, once
post big 200 {"job_uuid":"big","module_hash":"H","state":"pending"}
ws big: 6 subscribers, each got the 6003 events after its start in order, once
sse big: 2 subscribers, each got the 6003 events after its start in order, once
sseall w 200: 303 events, the last done
sseall w 200: 3 events, the last done
sseall w 204: 0 events
wsall w: 303 events, the last done; close 1000 the job has ended
wsall w: 0 events; close 1000 the job has ended
wsopen id=w&since_event_id=0 101
wsopen id=w 403 {"error":"browser requests are refused: the Origin is not listed in cweb_admin_origins"}
wsopen id=w 403 {"error":"browser requests are refused: the Origin is not listed in cweb_admin_origins"}
wsopen id=00000000-0000-4000-8000-000000000000 404 {"error":"unknown job"}
wsopen id=nope 400 {"error":"malformed job uuid"}
wsopen id=w&since_event_id=x 400 {"error":"since_event_id= must be an event id (an integer >= 0)"}
http GET /jobs/ws 400 {"error":"GET /jobs/ws needs ?id=<the job's uuid>"}
http POST /jobs/ws 405 {"error":"GET /jobs/ws?id=<uuid>: a WebSocket opens with a GET"}
http GET /jobs/ws?id=00000000-0000-4000-8000-000000000000 400 {"error":"not a WebSocket handshake: it needs \"Upgrade: websocket\" and \"Connection: upgrade\""}
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 15: a job that segfaults (in run() or in its cancel hook) takes the helper down: the job fails with its signal named, the fault counts against its version, the helper comes back and the queue goes on; jobs.crash is emptied once the recovery is committed
--- jobs
post cr {"job":"crash"}
wait cr failed 20
get cr state error
post after {"job":"echo","payload":{"x":2}}
wait after done 20
post cc {"job":"crashcancel","payload":{"ms":8000}}
wait cc running
cancel cc
wait cc canceled 20
get cc state error
run test ! -s "$TEST_NGINX_CWEB_STATE/jobs.crash"
--- response_body
post cr 200 {"job_uuid":"cr","module_hash":"H","state":"pending"}
wait cr failed
get cr 200 {"error":"crashed: signal 11 (SIGSEGV) in the job's code; the cweb helper died and was respawned","state":"failed"}
post after 200 {"job_uuid":"after","module_hash":"H","state":"pending"}
wait after done
post cc 200 {"job_uuid":"cc","module_hash":"H","state":"pending"}
wait cc running
cancel cc 202 {"cancel_requested":true,"job_uuid":"cc","state":"running"}
wait cc canceled
get cc 200 {"error":"crashed: signal 11 (SIGSEGV) in the job's code; the cweb helper died and was respawned","state":"canceled"}
run 0
--- timeout: 40
--- error_log eval
[qr/cache manager process \d+ exited on signal 11/,
 qr/cweb plugin "jobs_test" version \d+ faulted: SIGSEGV in a job \(process \d+\), 1 of 3 faults/,
 qr/cweb plugin "jobs_test" version \d+ faulted: SIGSEGV in a job \(process \d+\), 2 of 3 faults/]
--- no_error_log
[emerg]
[crit]



=== TEST 16: timeout_ms: a job over it is failed (or tried again while it has attempts), its cancel hook called, what it does after dropped, its runner back when it returns; a job that never returns makes the helper exit to be replaced
--- jobs
post to {"job":"slow","payload":{"ms":8000},"timeout_ms":300}
wait to failed 10
get to state error result
events to
post tr {"job":"slow","payload":{"ms":8000},"timeout_ms":200,"max_attempts":2}
wait tr failed 10
events tr
post back {"job":"echo","payload":{"x":3}}
wait back done 10
post sp {"job":"spin","timeout_ms":200}
wait sp failed 10
post q {"job":"echo","payload":{"x":4}}
wait q done 30
get sp state error
--- response_body
post to 200 {"job_uuid":"to","module_hash":"H","state":"pending"}
wait to failed
get to 200 {"error":"timed out: the job ran over its timeout_ms of 300 ms","result":null,"state":"failed"}
events to: created null, started {"attempt":1}, failed {"error":"timed out: the job ran over its timeout_ms of 300 ms"}
post tr 200 {"job_uuid":"tr","module_hash":"H","state":"pending"}
wait tr failed
events tr: created null, started {"attempt":1}, retry {"error":"timed out: the job ran over its timeout_ms of 200 ms","attempt":1,"run_at":T}, started {"attempt":2}, failed {"error":"timed out: the job ran over its timeout_ms of 200 ms"}
post back 200 {"job_uuid":"back","module_hash":"H","state":"pending"}
wait back done
post sp 200 {"job_uuid":"sp","module_hash":"H","state":"pending"}
wait sp failed
post q 200 {"job_uuid":"q","module_hash":"H","state":"pending"}
wait q done
get sp 200 {"error":"timed out: the job ran over its timeout_ms of 200 ms","state":"failed"}
--- timeout: 60
--- error_log eval
[qr/is over its timeout of 300 ms: failed, its cancel hook called/,
 qr/every runner thread is held by a job that timed out 10000 ms ago and has not returned: the helper exits to be replaced/,
 qr/cache manager process \d+ exited with code 1/]
--- no_error_log
[emerg]
[crit]



=== TEST 17: cancel races: a cancel right after the POST, while the job is pending, starting, running or ending, is answered as what happens
--- jobs
cancelrace 40
--- response_body_like eval
qr{^cancelrace: 40 jobs, each ended as its cancel answer said \((\d\d\d x\d+(, )?)+\), one final event each\n\z}
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 18: a version keeps its object while a job created for it is pending, whatever is deployed after it (only the newest versions keep theirs otherwise)
--- jobs
deploy jobs_test.c V=5
post kept {"job":"echo","delay_ms":8000}
deploy jobs_test.c V=6
deploy jobs_test.c V=7
deploy jobs_test.c V=8
deploy jobs_test.c V=9
wait kept done 20
get kept state result
--- response_body
deploy 200
post kept 200 {"job_uuid":"kept","module_hash":"H","state":"pending"}
deploy 200
deploy 200
deploy 200
deploy 200
wait kept done
get kept 200 {"result":{"payload":{},"v":5},"state":"done"}
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 19: a worker asks many questions at once on its connection to the helper: each answer reaches the request that asked it; job uuids are version 7 (time-ordered)
--- jobs
deploy jobs_test.c V=1
many 16
many 48
--- response_body
deploy 200
many: 16 created at once (version 7 uuids of now) and read back at once, each answer its own
many: 48 created at once (version 7 uuids of now) and read back at once, each answer its own
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 20: nginx -s reload while POSTs are in flight: what the old helper did not read it answers "again", the workers ask the new one, and every POST is answered 200 with its job stored once and run to done (none left running by the old helper)
--- jobs
deploy jobs_test.c V=1
reloadflood 3
--- response_body
deploy 200
reloadflood: every POST across the reload answered 200, each job stored once and done
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 21: a connection to jobs.sock that is not one of the workers' (a malformed question, a message too long): the helper closes it, logs why, and goes on
--- jobs
rawsock 0000000178
rawsock ffffffff00
post after {"job":"echo"}
wait after done
--- response_body
rawsock: the helper said hello, then closed it
rawsock: the helper said hello, then closed it
post after 200 {"job_uuid":"after","module_hash":"H","state":"pending"}
wait after done
--- timeout: 30
--- error_log
cweb jobs: a malformed question on jobs.sock
cweb jobs: a message of 4294967295 bytes, more than
--- no_error_log
[alert]
[crit]



=== TEST 22: an answer larger than the workers take (a list of many big results) is answered 500 by the helper, alone: the worker's connection and the other questions go on
--- http_config
    cweb_job_max_payload 1k;
--- jobs
deploy jobs_test.c V=1
bulk 80 950
http GET /jobs?limit=100
post after {"job":"echo"}
wait after done
--- response_body
deploy 200
bulk 80 done
http GET /jobs?limit=100 500 {"error":"the answer is larger than cweb_job_max_payload allows: ask for less"}
post after 200 {"job_uuid":"after","module_hash":"H","state":"pending"}
wait after done
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 23: jobs.db is checkpointed by a thread of the helper, not inside the commits that answer: after 1,200 jobs their pages are in jobs.db itself, and the WAL stayed near its 16 MB (under 32 MB; some 180 MB unchecked)
--- jobs
deploy jobs_test.c V=1
bulk 1200 10
perl my $s = -s "$main::JobsDir/jobs.db"; $s > 256 * 1024 ? "copied" : "jobs.db is $s bytes"
perl my $s = -s "$main::JobsDir/jobs.db-wal"; $s <= 32 * 1024 * 1024 ? "small" : "the WAL is $s bytes"
--- response_body
deploy 200
bulk 1200 done
perl copied
perl small
--- timeout: 60
--- error_log
cweb jobs: jobs.db is checkpointed by a thread of its own
--- no_error_log
[error]
[alert]



=== TEST 24: what a plugin gives emit_event() and set_result() is stored compact (progress writes them with spaces and newlines): announced as is to the follower subscribed before the job ran (its events live from the ring), and the same in a replay from jobs.db; the created event, with nobody following yet, is not announced at all
--- jobs
deploy jobs_test.c V=1
post p {"job":"progress","payload":{"n":2},"delay_ms":1500}
sseraw p
sseraw p
get p result
--- response_body
deploy 200
post p 200 {"job_uuid":"p","module_hash":"H","state":"pending"}
sseraw p 200
{"job_uuid":"p","event_id":I,"ts":T,"type":"created","data":null}
{"job_uuid":"p","event_id":I,"ts":T,"type":"started","data":{"attempt":1}}
{"job_uuid":"p","event_id":I,"ts":T,"type":"step","data":{"i":1}}
{"job_uuid":"p","event_id":I,"ts":T,"type":"step","data":{"i":2}}
{"job_uuid":"p","event_id":I,"ts":T,"type":"done","data":{"steps":2}}
sseraw p 200
{"job_uuid":"p","event_id":I,"ts":T,"type":"created","data":null}
{"job_uuid":"p","event_id":I,"ts":T,"type":"started","data":{"attempt":1}}
{"job_uuid":"p","event_id":I,"ts":T,"type":"step","data":{"i":1}}
{"job_uuid":"p","event_id":I,"ts":T,"type":"step","data":{"i":2}}
{"job_uuid":"p","event_id":I,"ts":T,"type":"done","data":{"steps":2}}
get p 200 {"result":{"steps":2}}
--- timeout: 30
--- error_log
cweb jobs: 1 event(s) not announced: no worker follows a job
--- no_error_log
[error]
[alert]

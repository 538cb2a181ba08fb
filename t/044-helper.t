# The cweb helper is one of nginx's own processes (a path manager): killed,
# the master starts it again; its canary process dies with it and is
# started again too.  A canary killed alone is started again by the
# helper.  Deploys and the watchdog work the same afterwards.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 15;

cweb_blocks();

# the processes by what error.log says of them (t/inc/cweb.pl), so that
# the suite runs under valgrind too, which hides their titles
sub helper { ::helper_pids() }

sub canary { ::canary_pids() }

# the state letter of a process, "" once it is gone
sub state { (::proc_stat($_[0]))[0] }

our @Killed;

run_tests();

__DATA__

=== TEST 1: a plugin, one helper with one canary
--- http_config
    cweb_handler_timeout 1s;
--- request eval
::deploy("faulty.c", V => 1)
--- error_code: 201
--- response_body_like: "created"
--- no_error_log
[error]
[alert]



=== TEST 2: the canary killed: the helper starts another one, and the next
deploy is tried in it
--- reuse
--- init
my @c = ::canary();
die "expected one canary, found @c" unless @c == 1;
kill 'KILL', @c;
@::Killed = @c;
select(undef, undef, undef, 0.5);
--- request eval
::deploy("faulty.c", V => 2)
--- error_code: 200
--- response_body_like: "status":"replaced"
--- grep_error_log eval
qr/cweb canary process \d+ started/
--- grep_error_log_out eval
qr/^cweb canary process \d+ started\ncweb canary process \d+ started\n$/



=== TEST 3: the helper killed: the master starts it again (with a canary of
its own); the old canary is gone with it
--- reuse
--- init
my @h = ::helper();
my @c = ::canary();
die "expected one helper and one canary" unless @h == 1 && @c == 1;
kill 'KILL', @h;
@::Killed = (@h, @c);
select(undef, undef, undef, 1.0);
--- request eval
::deploy("faulty.c", V => 3)
--- error_code: 200
--- response_body_like: "status":"replaced"
--- grep_error_log eval
qr/cweb helper started|cweb canary process \d+ started/
--- grep_error_log_out eval
qr/^cweb helper started\ncweb canary process \d+ started\ncweb canary process \d+ started\ncweb helper started\ncweb canary process \d+ started\n$/



=== TEST 4: ... the killed processes are gone, one helper and one canary
run; the new helper's watchdog ends a stuck call
--- reuse
--- init
for my $pid (@::Killed) {
    die "process $pid still runs" if ::state($pid) =~ /^[^ZX]$/;
}
my @h = ::helper();
my @c = ::canary();
die "expected one helper and one canary, found @h / @c" unless @h == 1 && @c == 1;
--- request
GET /faulty/spin
--- timeout: 5
--- error_code: 504
--- error_log eval
qr/cweb watchdog: process \d+ has been inside plugin code for \d+ ms \(cweb_handler_timeout 1000 ms\), killing it/



=== TEST 5: a worker killed from outside while inside a plugin call (no
handler of its own runs) is seen dead by the helper and the fault recorded
--- reuse
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
my $in = qr/cweb http: "\/faulty\/spin" -> plugin "faulty" version 3/;
my $before = ::log_count($in);
main::background("curl", "-s", "--max-time", "30", "$url/faulty/spin");
# the worker took the request up (a debug line; a worker that valgrind
# has just started takes seconds to), and went on into the plugin
::wait_for(20, sub { ::log_count($in) > $before });
select(undef, undef, undef, 0.4);
my @w = ::started_worker_pids();
die "expected one worker, found @w" unless @w == 1;
kill 'KILL', @w;
select(undef, undef, undef, 0.5);
--- request
GET /mgnt/faulty
--- response_body_like eval
qr/"faults":\[\{"version":3,"at":\d+,"kind":"died","route":"GET \/faulty\/spin","pid":\d+\},/
--- error_log eval
qr/cweb plugin "faulty" version 3 faulted: died in GET \/faulty\/spin \(process \d+\)/

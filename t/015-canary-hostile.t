# The canary against plugin code that attacks it instead of just failing:
# a constructor that closes the canary child's descriptors and never
# returns (the pipe reads EOF, the child lives on) and forks, one that
# forges the canary's result.  Each is refused with 422, no worker dies,
# and the next deploy is tried as usual.  Reloads (old and new helpers
# overlap, each with a canary on the same socket path) leave exactly one
# canary, and it is reachable.  A deploy queued behind a hanging one waits
# for it, and is then tried.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(2);
plan tests => repeat_each() * 45;

cweb_blocks();

our $PidFile = "$ENV{TEST_NGINX_SERVER_ROOT}/cweb_temp/hostile.pid";

sub hostile {
    my ($v, $mode) = @_;
    return ::deploy("hostile.c", V => $v, MODE => $mode // "NONE",
                    PIDFILE => $PidFile);
}

# the state letter of a process, "" once it is gone
sub state { (::proc_stat($_[0]))[0] }

# the canaries of helpers of ours, by what error.log says of them
# (t/inc/cweb.pl), so that the suite runs under valgrind, which hides
# their titles
sub canaries { ::canary_pids() }

# deploys with curl in the background, each from its own source file
sub deploy_in_background {
    my (@sources) = @_;
    my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt";
    my $n = 0;
    for my $src (@sources) {
        my $file = "$ENV{TEST_NGINX_SERVER_ROOT}/html/bg-" . $n++ . ".c";
        open my $fh, '>', $file or die "$file: $!";
        print $fh $src;
        close $fh;
        ::background("curl", "-s", "-o", "/dev/null", "--max-time", "10",
                     "--data-binary", "\@$file", $url);
    }
}

run_tests();

__DATA__

=== TEST 1: a good version 1
--- http_config
    cweb_handler_timeout 1s;
--- request eval
::hostile(1)
--- error_code: 201
--- response_body_like: "status":"created"
--- no_error_log
[error]
[alert]



=== TEST 2: a constructor closes every descriptor (the canary's pipe reads
EOF at once), forks, and spins: refused at cweb_handler_timeout
--- reuse
--- request eval
::hostile(2, "CLOSE_HANG")
--- timeout: 5
--- error_code: 422
--- response_body
{"error":"the plugin failed its canary","phase":"load","timeout_ms":1000}
--- error_log
cweb plugin from "module.c" failed its canary during load: still running after 1000 ms
--- no_error_log
exited on signal



=== TEST 3: ... the process it forked was killed with it (its process
group), and the next deploy is tried and goes live
--- reuse
--- init
open my $fh, '<', $::PidFile or die "no $::PidFile: $!";
my $pid = <$fh>;
chomp $pid;
for (1 .. 20) {
    last if ::state($pid) =~ /^[ZX]?$/;
    select(undef, undef, undef, 0.05);
}
if (::state($pid) !~ /^[ZX]?$/) {
    kill 'KILL', $pid;
    die "the plugin's own child $pid still runs";
}
--- request eval
::hostile(3)
--- timeout: 5
--- error_code: 200
--- response_body_like: "version":2,.*"status":"replaced"
--- no_error_log
[alert]
exited on signal



=== TEST 4: a constructor forges the canary's answer on every descriptor
(integer where a string goes): refused, no worker crashes
--- reuse
--- request eval
::hostile(4, "FORGE_CRASH")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"the canary's result was malformed"}
--- error_log
cweb plugin from "module.c" refused: the canary's result was malformed
--- no_error_log
exited on signal



=== TEST 5: a forged "ok" result of the wrong types: refused
--- reuse
--- request eval
::hostile(5, "FORGE_TYPES")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"the canary's result was malformed"}
--- error_log
cweb plugin from "module.c" refused: the canary's result was malformed
--- no_error_log
exited on signal



=== TEST 6: the next deploy goes live and serves
--- reuse
--- request eval
[::hostile(6), "GET /hostile/ok"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"version":3,.*"status":"replaced"/, qr/^hostile 6 ok$/]
--- no_error_log
[alert]
exited on signal



=== TEST 7: reloads: a fresh server with version 1
--- http_config
    cweb_handler_timeout 1s;
--- request eval
::hostile(1)
--- error_code: 201
--- response_body_like: "status":"created"
--- no_error_log
[error]
[alert]



=== TEST 8: nginx reloaded, the old helper gone: the deploy reaches the new
helper's canary, the only one
--- reuse
--- init
kill 'HUP', main::nginx_pid();
select(undef, undef, undef, 1.5);
my @c = ::canaries();
die "expected one canary, found @c" unless @c == 1;
--- request eval
::hostile(2)
--- timeout: 5
--- error_code: 200
--- response_body_like: "version":2,.*"status":"replaced"
--- no_error_log
[error]
[alert]



=== TEST 9: two reloads in a row: one canary, deploys work
--- reuse
--- init
kill 'HUP', main::nginx_pid();
select(undef, undef, undef, 0.1);
kill 'HUP', main::nginx_pid();
select(undef, undef, undef, 1.5);
my @c = ::canaries();
die "expected one canary, found @c" unless @c == 1;
--- request eval
::hostile(3)
--- timeout: 5
--- error_code: 200
--- response_body_like: "version":3,.*"status":"replaced"
--- no_error_log
[error]
[alert]



=== TEST 10: a deploy sent while others hang in onload() waits in the
canary's queue (canary_ms counts the wait), then is tried and goes live;
the hanging ones are refused at their own deadlines.  (The run's deadline
starts when the canary takes the request up; with fourteen such hangs
queued, deploys were timed out by their wait alone: 14 s, too slow here.)
--- reuse
--- init
my $compiled = sub {
    open my $fh, '<', "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log" or return 0;
    return scalar grep { /cweb compile: pid \d+ status 0 / } <$fh>;
};
my $before = $compiled->();
::deploy_in_background(map { ::plugin_src("faulty.c", V => $_, MODE => "ONLOAD_HANG") } qw(q r s));
# once the first hang is compiled (however long a loaded machine takes) it
# is in the canary; two more queue behind it: ours, compiled next,
# finds the canary busy for up to three handler timeouts
for (1 .. 100) {
    last if $compiled->() > $before;
    select(undef, undef, undef, 0.1);
}
--- request eval
::hostile(4)
--- timeout: 8
--- error_code: 200
--- response_body_like: "version":4,.*"canary_ms":\d{3,},"status":"replaced"
--- error_log
cweb plugin from "module.c" failed its canary during onload: still running after 1000 ms
--- no_error_log
cweb canary did not
[alert]

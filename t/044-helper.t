# The cweb helper is one of nginx's own processes (a path manager): killed,
# the master starts it again; its canary process dies with it and is
# started again too.  A canary killed alone is started again by the
# helper.  Deploys and the watchdog work the same afterwards.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
::skip_under_valgrind("it finds the helper and the canary by their process "
    . "titles, which valgrind hides");

master_on();
workers(1);
plan tests => repeat_each() * 15;

cweb_blocks();

# pids of the processes titled "nginx: <title>" under the test's master
sub titled {
    my ($title) = @_;
    my @pids;
    for my $dir (glob "/proc/[0-9]*") {
        open my $cmd, '<', "$dir/cmdline" or next;
        my $line = scalar <$cmd> // '';
        push @pids, (split m{/}, $dir)[-1] if $line =~ /^nginx: \Q$title\E/;
    }
    return @pids;
}

# this server's processes only: other nginx instances may run on the machine
sub ours { my ($title) = @_; my $m = ::nginx_pid(); grep { ppid($_) == $m } titled($title) }

sub helper { ours("cweb helper") }

sub ppid {
    open my $st, '<', "/proc/$_[0]/stat" or return 0;
    return (split ' ', scalar <$st>)[3];
}

# the state letter of a process, "" once it is gone
sub state {
    open my $st, '<', "/proc/$_[0]/stat" or return "";
    return (split ' ', scalar <$st>)[2];
}

sub canary { my @h = helper(); grep { ppid($_) == $h[0] } titled("cweb canary") }

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
main::background("curl", "-s", "--max-time", "3", "$url/faulty/spin");
select(undef, undef, undef, 0.4);
my @w = ::ours("worker process");
die "expected one worker, found @w" unless @w == 1;
kill 'KILL', @w;
select(undef, undef, undef, 0.5);
--- request
GET /mgnt/faulty
--- response_body_like eval
qr/"faults":\[\{"version":3,"at":\d+,"kind":"died","route":"GET \/faulty\/spin","pid":\d+\},/
--- error_log eval
qr/cweb plugin "faulty" version 3 faulted: died in GET \/faulty\/spin \(process \d+\)/

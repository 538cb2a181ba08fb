# t/inc/cweb.pl - helpers shared by the ngx_cweb suites (plain Perl, so the
# suites run under our t/lib runner and under the real Test::Nginx alike).

use strict;
use warnings;
use FindBin;
use Time::HiRes ();

our $CWEB_ROOT = $ENV{TEST_NGINX_CWEB_ROOT} || "$FindBin::Bin/..";

$ENV{TEST_NGINX_CWEB_ROOT} = $CWEB_ROOT;
$ENV{TEST_NGINX_CWEB_PLUGINS} = "$CWEB_ROOT/t/plugins";

# the source of t/plugins/NAME with @KEY@ placeholders replaced
# (faulty.c: MODE defaults to NONE and NAME to "faulty")
sub plugin_src {
    my ($name, %v) = @_;
    %v = (MODE => "NONE", NAME => "faulty", %v) if $name eq "faulty.c";
    my $path = $name =~ m{/} ? $name : "$CWEB_ROOT/t/plugins/$name";
    open my $fh, '<', $path or die "cannot open $path: $!";
    local $/;
    my $src = <$fh>;
    close $fh;
    $src =~ s/\@(\w+)\@/exists $v{$1} ? $v{$1} : "\@$1\@"/ge;
    return $src;
}

# a raw POST /mgnt request for Test::Nginx's "request" section
sub deploy {
    return "POST /mgnt\n" . plugin_src(@_);
}

# multipart/form-data body with one file part
sub multipart {
    my ($boundary, $field, $filename, $content) = @_;
    return "--$boundary\r\n"
         . "Content-Disposition: form-data; name=\"$field\"; "
         . "filename=\"$filename\"\r\n"
         . "Content-Type: text/x-csrc\r\n\r\n"
         . $content . "\r\n--$boundary--\r\n";
}

# run a command in the background (curl against the test server)
sub background {
    my @cmd = @_;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec @cmd or exit 127;
    }
    return $pid;
}

# the pid of the nginx master (or single process) of the test server
sub nginx_pid {
    my $file = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/nginx.pid";
    open my $fh, '<', $file or die "cannot open $file: $!";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

# what /proc/PID/stat calls an nginx process: under valgrind every process
# is valgrind's tool (and /proc/PID/cmdline is valgrind's command line, so
# nginx's process titles cannot be seen there at all)
our $ProcName = $ENV{TEST_NGINX_USE_VALGRIND} ? qr/^(?:nginx|memcheck)/
                                              : qr/nginx/;

# Under valgrind a suite that finds nginx's processes by their titles
# cannot run, nor can one whose timing valgrind's slowness breaks: it says
# why and skips all its tests (the real Test::Nginx understands this too)
sub skip_under_valgrind {
    my $why = shift;
    Test::More::plan(skip_all => "under valgrind: $why")
        if $ENV{TEST_NGINX_USE_VALGRIND};
}

# the state letter of a process ("" once it is gone) and its parent's pid
sub proc_stat {
    my $pid = shift;
    open my $fh, '<', "/proc/$pid/stat" or return ("", 0);
    my $line = <$fh> // '';
    return $line =~ /^\d+ \(.*\) (\S) (\d+)/ ? ($1, $2) : ("", 0);
}

# The test server's processes by what its error.log says of them, not by
# their titles (under valgrind /proc/PID/cmdline is valgrind's command
# line): the pids that lines matching $re name (their first capture, or
# else the pid that logged the line: nginx starts each with "PID#TID: "),
# of the processes that still run, as children of $parent.  The lines are
# notices, the level both runners log at: "start worker process PID" (the
# master), "cweb helper started" (the helper itself), "cweb canary
# process PID started" (the helper).
sub logged_pids {
    my ($re, $parent) = @_;
    my $log = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log";
    my %pids;
    open my $fh, '<', $log or die "cannot open $log: $!";
    while (my $line = <$fh>) {
        next unless $line =~ /^\S+ \S+ \[\w+\] (\d+)#\d+: (?:\*\d+ )?(.*)/;
        my ($by, $msg) = ($1, $2);
        $pids{defined $1 ? $1 : $by} = 1 if $msg =~ $re;
    }
    close $fh;
    return sort { $a <=> $b } grep {
        my ($state, $ppid) = proc_stat($_);
        $state =~ /^[^ZX]$/ && $ppid == $parent
    } keys %pids;
}

# CODE's value once it is true, tried every 50 ms for up to SECONDS (what
# nginx does within a fixed time takes longer under valgrind: wait for it
# to be done instead of a fixed time), or its last false value
sub wait_for {
    my ($seconds, $code) = @_;
    my $until = Time::HiRes::time() + $seconds;
    for (;;) {
        my $v = $code->();
        return $v if $v || Time::HiRes::time() >= $until;
        Time::HiRes::sleep(0.05);
    }
}

# how many lines of the test server's error.log match $re
sub log_count {
    my ($re) = @_;
    open my $fh, '<', "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log"
        or return 0;
    return scalar grep { $_ =~ $re } <$fh>;
}

# the cweb helpers of the test server (children of the master), their
# canaries, its workers
sub helper_pids { logged_pids(qr/^cweb helper started/, nginx_pid()) }

sub canary_pids {
    map { logged_pids(qr/^cweb canary process (\d+) started/, $_) }
        helper_pids();
}

sub started_worker_pids {
    logged_pids(qr/^start worker process (\d+)/, nginx_pid());
}

sub worker_pids {
    my $master = nginx_pid();
    my @pids;
    for my $stat (glob "/proc/[0-9]*/stat") {
        open my $fh, '<', $stat or next;
        my $line = <$fh>;
        next unless defined $line && $line =~ /^(\d+) \((.*)\) \S (\d+)/;
        my ($pid, $comm, $ppid) = ($1, $2, $3);
        push @pids, $pid if $ppid == $master && $comm =~ $ProcName;
    }
    return sort { $a <=> $b } @pids;
}

1;

sub urlencode {
    my $s = shift;
    $s =~ s/([^A-Za-z0-9\-_.~])/sprintf("%%%02X", ord $1)/ge;
    return $s;
}

our $CwebConfig = <<'_EOC_';
    location /mgnt {
        cweb_mgnt;
    }
    location / {
        cweb;
    }
_EOC_

# Under valgrind a block's client timeout is at least the run's (make
# valgrind: 20 s instead of 3): what takes nginx a second there takes it
# ten, and a block's own "--- timeout: 5" would undo the run's.  Without
# valgrind the block's timeout stands.
sub valgrind_timeout {
    my $block = shift;
    my $t = $block->timeout;
    return unless $ENV{TEST_NGINX_USE_VALGRIND} && defined $t;
    my $s = $t =~ /^([\d.]+)ms$/ ? $1 / 1000 : $t =~ /^([\d.]+)s?$/ ? $1 : 0;
    $block->set_value("timeout", timeout()) if $s < timeout();
}

# Block defaults for the cweb suites: file order, no default root location,
# the server config above (or
# config => ...), cweb_module_dir in servroot/cweb_temp (wiped per block by
# both test runners) or module_dir => ...; "cweb_dev on" (the suites deploy
# from loopback without a key) unless dev => 0 or the block sets cweb_dev;
# "--- reuse" keeps the running nginx (a block without config is not
# restarted by either runner).
sub cweb_blocks {
    my (%o) = @_;
    my $config = $o{config} // $CwebConfig;
    my $dir = $o{module_dir} // "cweb_temp";
    my $dev = $o{dev} // 1;

    # blocks build on each other (--- reuse); "location /" is ours
    no_shuffle();
    no_root_location();

    add_block_preprocessor(sub {
        my $block = shift;
        if (!defined $block->reuse && !defined $block->config) {
            $block->set_value("config", $config);
        }
        my $http = $block->http_config // "";
        $http = "    cweb_dev on;\n$http"
            if $dev && $http !~ /cweb_dev/;
        $http = "    cweb_module_dir $dir;\n$http"
            unless $http =~ /cweb_module_dir/;
        $block->set_value("http_config", $http);
        valgrind_timeout($block);
    });
}

# a free loopback port the kernel hands out (away from the TEST_NGINX_PORT
# of other runs), for a second listener of the nginx under test
sub free_port {
    require IO::Socket::INET;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "cannot find a free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# the DOM of URL after its script ran in headless Chromium (a fresh
# profile, bounded in time: $ChromiumTimeout seconds of real time,
# $ChromiumBudget ms of Chromium's virtual time, which stands still while
# a fetch or an EventSource is open); a DOM that does not match $done is
# reported with Chromium's stderr
our $ChromiumTimeout = 20;
our $ChromiumBudget = 5000;

sub chromium_dom {
    my ($url, $done, @args) = @_;
    require File::Temp;
    my $dir = File::Temp::tempdir("cweb-chromium-XXXXXX", TMPDIR => 1,
                                  CLEANUP => 1);

    my $pid = open(my $fh, '-|');
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>', "$dir/stderr";
        exec 'timeout', '-k', '2', $ChromiumTimeout, '/usr/bin/chromium',
             qw(--headless=old --no-sandbox --disable-gpu
                --disable-background-networking --disable-component-update
                --disable-sync --no-first-run),
             "--user-data-dir=$dir/profile", @args,
             "--virtual-time-budget=$ChromiumBudget", '--dump-dom', $url;
        exit 127;
    }

    local $/;
    my $dom = <$fh> // '';
    close $fh;

    if ($? != 0 || $dom !~ $done) {
        my $err = '';
        if (open my $e, '<', "$dir/stderr") {
            $err = <$e> // '';
            close $e;
        }
        Test::More::diag("chromium $url exited with status " . ($? >> 8)
                         . "\n--- dom\n$dom\n--- stderr (tail)\n"
                         . substr($err, -2000));
    }

    return $dom;
}

# the text of the <div id="out"> of URL's page in headless Chromium (see
# chromium_dom), which writes "done" there when it is
sub chromium_out {
    my ($url, @args) = @_;
    my $dom = chromium_dom($url, qr/\bdone\b/, @args);

    my ($out) = $dom =~ m{<div id="out">(.*?)</div>}s;
    return $out // '';
}

1;

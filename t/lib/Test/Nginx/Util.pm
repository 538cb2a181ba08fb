package Test::Nginx::Util;

# Server management half of ngx_cweb's local Test::Nginx replacement:
# global settings, nginx.conf generation, starting/stopping nginx and the
# per-block driver loop.  Request sending and the response checks live in
# Test::Nginx::Socket.  See t/lib/README for the supported feature set and
# the differences from the CPAN Test::Nginx (openresty/test-nginx).

use strict;
use warnings;

use Exporter ();
our @ISA = ('Exporter');

use File::Path qw(make_path remove_tree);
use File::Find ();
use File::Spec ();
use File::Temp ();
use IO::Socket::INET ();
use IO::Select ();
use List::Util qw(shuffle);
use POSIX qw(:sys_wait_h SIGQUIT SIGKILL SIGTERM SIGHUP SIGUSR1);
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(sleep time);
use Carp qw(croak);
use Test::More ();
use Test::Nginx::Valgrind ();

our $VERSION = '0.29';

# ---------------------------------------------------------------------------
# Settings (same names and environment variables as the CPAN module)
# ---------------------------------------------------------------------------

our $Verbose            = $ENV{TEST_NGINX_VERBOSE};
our $UseHup             = $ENV{TEST_NGINX_USE_HUP};
our $UseValgrind        = $ENV{TEST_NGINX_USE_VALGRIND};
our $ValgrindExitOnFirstErr = $ENV{TEST_NGINX_VALGRIND_EXIT_ON_FIRST_ERR};
our $LoadModules        = $ENV{TEST_NGINX_LOAD_MODULES};
our $NoShuffle          = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoNginxManager     = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $EventType          = $ENV{TEST_NGINX_EVENT_TYPE};
our $PostponeOutput     = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $Timeout            = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $CheckAccumErrLog   = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $Randomize          = $ENV{TEST_NGINX_RANDOMIZE};
our $NginxBinary        = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers            = 1;
our $WorkerConnections  = 64;
our $LogLevel           = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled      = 'on';
our $ServerPort         = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                          || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort || 1984;
our $ServerAddr         = '127.0.0.1';
our $ServerName         = 'localhost';
our $NoRootLocation     = 0;
our $TestNginxSleep     = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $WorkerUser         = $ENV{TEST_NGINX_WORKER_USER};
our $RepeatEach         = 1;
our $NoLongString;
our $ConfigPreamble     = '';
our $FilterHttpConfig;
our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;

# Hooks filled in by Test::Nginx::Socket.
our ($RunTestHelper, $CheckErrorLog, $CheckShutdownErrorLog);

# Run-time state.
our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);
our ($PrevConfig, $PrevBlock, $ConfigVersion);
our $ErrLogFilePos = 0;
our $FirstTime = 1;
our $InSubprocess;
our $RunTestsCalled;
our $ChildPid;            # nginx when it runs under valgrind (our child)

if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

# under valgrind nginx stays in the foreground (as our child), the master
# process setting is kept (like the CPAN module)
$DaemonEnabled = 'off' if $UseValgrind;

if ($Randomize) {
    $ServerPort = gen_rand_port(1000)
        or die "Cannot find an available listening port number.\n";
    $ServerPortForClient = $ServerPort;
}

our $ServRoot = $Randomize
    ? File::Spec->rel2abs("t/servroot_$ServerPort")
    : File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir    = File::Spec->catfile($ServRoot, 'html');
our $ConfDir    = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile   = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile    = File::Spec->catfile($LogDir, 'nginx.pid');

our @EXPORT = qw(
    env_to_nginx is_str check_accum_error_log is_running
    $NoLongString no_long_string $ServerAddr server_addr
    $ServerName server_name parse_time verbose sleep_time
    bail_out add_cleanup_handler access_log_data error_log_data
    setup_server_root write_config_file get_canon_version
    get_nginx_version trim show_all_chars parse_headers run_tests run_test
    get_pid_from_pidfile $ServerPortForClient $ServerPort $NginxVersion
    $PidFile $ServRoot $ConfFile $RunTestHelper $CheckErrorLog
    $CheckShutdownErrorLog $FilterHttpConfig $NoNginxManager $RepeatEach
    add_block_preprocessor timeout worker_connections workers master_on
    master_off config_preamble repeat_each master_process_enabled
    log_level no_shuffle no_root_location html_dir server_root server_port
    server_port_for_client no_nginx_manager use_hup
);

# ---------------------------------------------------------------------------
# Small setters/getters used from the test scripts
# ---------------------------------------------------------------------------

sub no_long_string ()       { $NoLongString = 1 }
sub no_shuffle ()           { $NoShuffle = 1 }
sub no_nginx_manager ()     { $NoNginxManager = 1 }
sub use_hup ()              { $UseHup = 1 }
sub no_root_location ()     { $NoRootLocation = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub master_on ()            { $MasterProcessEnabled = 'on' }
sub master_off ()           { $MasterProcessEnabled = 'off' }
sub config_preamble ($)     { $ConfigPreamble = shift }
sub html_dir ()             { $HtmlDir }
sub server_root ()          { $ServRoot }
sub sleep_time              { $TestNginxSleep }
sub verbose                 { $Verbose }
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift }

sub _getset {
    my ($ref, @args) = @_;
    $$ref = $args[0] if @args;
    return $$ref;
}

sub server_addr (@)            { _getset(\$ServerAddr, @_) }
sub server_name (@)            { _getset(\$ServerName, @_) }
sub timeout (@)                { _getset(\$Timeout, @_) }
sub server_port (@)            { _getset(\$ServerPort, @_) }
sub server_port_for_client (@) { _getset(\$ServerPortForClient, @_) }
sub repeat_each (@)            { _getset(\$RepeatEach, @_) }
sub worker_connections (@)     { _getset(\$WorkerConnections, @_) }
sub workers (@)                { _getset(\$Workers, @_) }
sub log_level (@)              { _getset(\$LogLevel, @_) }

sub master_process_enabled (@) {
    $MasterProcessEnabled = $_[0] ? 'on' : 'off' if @_;
    return $MasterProcessEnabled;
}

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" unless @_;
    for my $v (@_) {
        croak "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    return Test::More::is($got, $expected, $desc);
}

# "50ms" -> 0.05, "2s" -> 2, "1.5" -> 1.5
sub parse_time ($) {
    my $tm = shift;
    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
            $tm /= 1000;
        } else {
            $tm =~ s/([^_a-zA-Z])s$/$1/;
        }
    }
    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    return $s;
}

# "--- response_headers" text -> { name => value }; "!Name" -> { Name => undef }
sub parse_headers ($) {
    my $s = shift;
    my %headers;
    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        if ($line =~ s/^!\s*//) {
            $headers{$line} = undef;
        } else {
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $key = '' unless defined $key;
            $headers{$key} = $val;
        }
    }
    return \%headers;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the Nginx in PATH: "
                 . ($out // ''));
    }
    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)}s) {
        $OpenSSLVersion = get_canon_version($1, $2, $3);
    }
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub gen_rand_port {
    my ($tries, $used) = @_;
    $tries ||= 1000;
    $used ||= {};
    for (1 .. $tries) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};
        my $sock = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                         LocalPort => $port,
                                         Proto => 'tcp', ReuseAddr => 1);
        if ($sock) {
            close $sock;
            return $port;
        }
    }
    return undef;
}

# Replace $TEST_NGINX_FOO with $ENV{TEST_NGINX_FOO}; a missing variable is a
# fatal error, as in the CPAN module.  $TEST_NGINX_RAND_PORT_N gives a free
# port, stable within one block.
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            $val = $rand_ports->{$var} //= do {
                my %used = ($ServerPort => 1, map { $_ => 1 } values %$rand_ports);
                gen_rand_port(1000, \%used)
                    // bail_out("$name - Cannot find an available port for $var.\n");
            };
        } else {
            $val = $ENV{$var};
            bail_out("$name - No environment $var defined.\n") unless defined $val;
        }
        $val;
    }ge;

    return $text;
}

# ---------------------------------------------------------------------------
# Process helpers.  nginx daemonizes, so it is normally NOT our child; once it
# exits it may linger as a zombie until init reaps it.  A zombie counts as
# exited.  Every wait below is bounded.
# ---------------------------------------------------------------------------

sub is_running ($) {
    my $pid = shift;
    return 0 unless defined $pid && $pid =~ /^\d+$/ && $pid > 1;
    waitpid($pid, WNOHANG);     # reaps it if it happens to be our child
    return 0 unless kill 0, $pid;
    if (open my $fh, '<', "/proc/$pid/status") {
        while (my $line = <$fh>) {
            if ($line =~ /^State:\s*(\S)/) {
                return ($1 eq 'Z' || $1 eq 'X') ? 0 : 1;
            }
        }
        return 1;
    }
    return -d "/proc/$pid" ? 0 : 1;    # vanished between kill and open
}

sub _looks_like_nginx {
    my $pid = shift;
    open my $fh, '<', "/proc/$pid/cmdline" or return 1;   # no /proc: trust it
    my $cmd = do { local $/; <$fh> } // '';
    return $cmd =~ /nginx/;
}

sub wait_for_exit {
    my ($pid, $secs) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        return 1 unless is_running($pid);
        sleep 0.02;
    }
    return !is_running($pid);
}

sub kill_process ($$$) {
    my ($pid, $wait, $name) = @_;
    return unless is_running($pid);

    # valgrind's leak check at exit takes seconds, a SIGKILL would lose it
    my $secs = $wait ? timeout() : 0.5;
    $secs = $Test::Nginx::Valgrind::StopWait
        if $UseValgrind && $secs < $Test::Nginx::Valgrind::StopWait;
    kill SIGQUIT, $pid;
    return if wait_for_exit($pid, $secs);

    warn "$name - timeout when waiting for the process $pid to exit, "
         . "sending TERM\n";
    kill SIGTERM, $pid;
    return if wait_for_exit($pid, 2);

    warn "$name - WARNING: killing the process $pid with force...\n";
    my $pgrp = getpgrp($pid);
    kill SIGKILL, (defined $pgrp && $pgrp == $pid) ? -$pid : $pid;
    wait_for_exit($pid, 2)
        or warn "$name - WARNING: process $pid is still alive after SIGKILL\n";
}

sub get_pid_from_pidfile ($) {
    my $name = shift;
    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile for reading: $!");
    my $pid = do { local $/; <$in> } // '';
    close $in;
    $pid =~ s/\s+//g;
    return $pid;
}

# Stop the nginx recorded in our pid file (if it is alive and is an nginx).
sub stop_nginx {
    my $name = shift;
    return unless -f $PidFile;
    my $pid = get_pid_from_pidfile($name);
    if ($pid =~ /^\d+$/ && is_running($pid) && _looks_like_nginx($pid)) {
        kill_process($pid, 1, $name);
    }
    unlink $PidFile if -f $PidFile && !is_running($pid);
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub cleanup () {
    $_->() for @CleanupHandlers;
}

sub can_run {
    my $cmd = shift;
    if ($cmd =~ m{/}) {
        return (-f $cmd && -x $cmd) ? $cmd : undef;
    }
    for my $dir (split /:/, $ENV{PATH} || '') {
        next if $dir eq '';
        my $abs = File::Spec->catfile($dir, $cmd);
        return $abs if -f $abs && -x $abs;
    }
    return undef;
}

# ---------------------------------------------------------------------------
# Server root, user files, nginx.conf
# ---------------------------------------------------------------------------

sub setup_server_root ($) {
    my $first_time = shift;

    if (-d $ServRoot) {
        # only remove what we create ourselves, never arbitrary user data
        remove_tree($ConfDir, glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
        if ($UseHup) {
            # keep the pid file (and sockets/certs) of the running server
            File::Find::find({ bydepth => 1, no_chdir => 1, wanted => sub {
                return if -d $_;
                return if !$first_time
                          && /(?:\bnginx\.pid|\.sock|\.crt|\.key)$/;
                unlink $_ or warn "Failed to remove $_: $!\n";
            } }, $ServRoot);
        } else {
            remove_tree($HtmlDir, $LogDir);
            rmdir $ServRoot
                or bail_out("Can't remove $ServRoot (not empty?): $!");
        }
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir) {
        next if -d $dir;
        mkdir $dir or bail_out("Failed to do mkdir $dir: $!\n");
    }

    my $index = "$HtmlDir/index.html";
    open my $out, '>', $index or bail_out("Can't open $index for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
             . '<body>It works!</body></html>';
    close $out;

    mkdir $ConfDir or bail_out("Failed to do mkdir $ConfDir: $!\n");
}

# --- user_files
# >>> name [mtime as accepted by touch -t]
# content...
# or (eval) [[name, content, mtime], ...].  Relative names go to html_dir().
sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        for my $line (split /^/m, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, undef, $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        $body = '' unless defined $body;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/} && !-d $1) {
            make_path($1) or bail_out("$name - Cannot create directory $1");
        }
        $body = expand_env_in_text($body, $name, $rand_ports);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            my $cmd = "TZ=GMT touch -t '$date' '$path'";
            system($cmd) == 0
                or bail_out("Failed to run shell command: $cmd\n");
        }
    }
}

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;

    my $name = $block->name;
    master_on() if $UseHup;     # reloading is unreliable without a master

    my $expand = sub { expand_env_in_text($_[0], $name, $rand_ports) // '' };
    my $http_config      = $expand->($block->http_config);
    my $main_config      = $block->main_config // '';
    my $post_main_config = $expand->($block->post_main_config);
    my $err_log_file     = $block->error_log_file || $ErrLogFile;
    my $server_name      = $block->server_name // $ServerName;
    $config = '' unless defined $config;

    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;

    # Like the CPAN module: load_module lines are appended to main_config.
    if ($LoadModules) {
        my @mods = map { "load_module $_;" } grep { length } split /\s+/,
                   $LoadModules;
        $main_config .= join(' ', @mods);
    }
    $main_config = $expand->($main_config);

    my $extra_http = '';
    if (defined $PostponeOutput && $http_config !~ /\bpostpone_output\b/) {
        bail_out("Bad TEST_NGINX_POSTPONE_OUTPUT value: $PostponeOutput\n")
            if $PostponeOutput !~ /^\d+$/;
        $extra_http = "    postpone_output $PostponeOutput;\n";
    }

    my $listen = "$ServerAddr:$ServerPort";
    $listen .= ' reuseport' if $ENV{TEST_NGINX_REUSE_PORT};
    (my $quoted_name = $server_name) =~ s/(['\\])/\\$1/g;

    my $env_lines = join '', map {
        my $v = $_;
        $v = "'$v'" if $v =~ /\s/;
        "env $v;\n";
    } @EnvToNginx;

    my $conf = <<_EOC_;
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
$env_lines
$main_config

http {
    access_log $AccLogFile;

    default_type text/plain;
    keepalive_timeout  68;
$extra_http
$http_config

    server {
        listen          $listen;
        server_name     '$quoted_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

_EOC_

    if (!$NoRootLocation) {
        $conf .= <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    }
    $conf .= "    }\n";

    if ($UseHup) {
        $conf .= <<_EOC_;
    server {
        listen          $listen;
        server_name     'Test-Nginx';

        location = /ver {
            return 200 '$ConfigVersion';
        }
    }
_EOC_
    }

    $conf .= <<_EOC_;
}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
_EOC_
    $conf .= "    use $EventType;\n" if $EventType;
    $conf .= "}\n";
    $conf .= "env ASAN_OPTIONS;\nenv MOCKNOEAGAIN_VERBOSE;\nenv MOCKNOEAGAIN;\n";

    if (defined $WorkerUser) {
        $conf .= "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $conf .= "user root;\n";   # workers can then use files we create
    }

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out $conf;
    close $out;
}

# ---------------------------------------------------------------------------
# Log access
# ---------------------------------------------------------------------------

sub access_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $AccLogFile or return [];
    my @lines = <$in>;
    close $in;
    return \@lines;
}

# Lines of error.log written since the previous call within this block (or
# the whole file with check_accum_error_log()).
sub error_log_data () {
    # nginx may log in the log phase, after it has closed the connection
    sleep $TestNginxSleep * 3;
    open my $in, '<', $ErrLogFile or return undef;
    if (!$CheckAccumErrLog && $ErrLogFilePos > 0) {
        seek $in, $ErrLogFilePos, 0;
    }
    my @lines = <$in>;
    $ErrLogFilePos = tell($in) unless $CheckAccumErrLog;
    close $in;
    return \@lines;
}

# ---------------------------------------------------------------------------
# Starting nginx
# ---------------------------------------------------------------------------

sub port_accepts {
    my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                     PeerPort => $ServerPortForClient,
                                     Proto => 'tcp', Timeout => 0.5);
    return 0 unless $sock;
    close $sock;
    return 1;
}

# Runs the nginx binary once; returns ($status, $stderr_text).
sub _run_nginx_cmd {
    my $errfh = File::Temp->new();
    my $errname = $errfh->filename;
    my $cmd = "$NginxBinary -p $ServRoot/ -c $ConfFile";
    if ($UseValgrind) {
        $cmd = Test::Nginx::Valgrind::command($UseValgrind,
                                              $ValgrindExitOnFirstErr, $cmd);
        warn "running: $cmd\n" if $Verbose;
        $ChildPid = Test::Nginx::Valgrind::spawn($cmd);
        return (0, '', $cmd);
    }
    warn "running: $cmd\n" if $Verbose;
    # "daemon on" makes the command return at once; the time limit only
    # guards against a configuration that keeps nginx in the foreground
    my $limit = can_run('timeout') ? 'timeout 60 ' : '';
    system("$limit$cmd > /dev/null 2> $errname");
    my $status = $?;
    seek $errfh, 0, 0;
    my $err = do { local $/; <$errfh> } // '';
    print STDERR $err if length $err && $status == 0;
    return ($status, $err, $cmd);
}

# Start nginx from scratch.  Returns the exit status for --- must_die blocks.
sub start_nginx {
    my ($name, $must_die) = @_;

    can_run($NginxBinary)
        or bail_out("$name - Cannot find the nginx executable ($NginxBinary)");

    # the test's name tells whose valgrind report follows (as in CPAN's)
    warn "$name\n" if $UseValgrind && !defined $must_die;

    my $waited = 0;
    while (1) {
        my ($status, $err, $cmd) = _run_nginx_cmd();
        return ($status, $err) if defined $must_die;
        last if $status == 0;

        # a previous instance may still be releasing the port
        if ($err =~ /Address already in use/ && $waited < 10) {
            sleep 0.2;
            $waited += 0.2;
            next;
        }
        bail_out("$name - Cannot start nginx using command \"$cmd\" "
                 . "(status code $status): $err");
    }

    # With "daemon on" the listening socket exists before the command
    # returns; still, make sure before sending the first request.  Under
    # valgrind nginx is slow to get there, or may not get there at all.
    my $deadline = time + ($UseValgrind ? $Test::Nginx::Valgrind::StartWait
                                        : 5);
    while (time < $deadline) {
        last if -s $PidFile && port_accepts();
        if ($UseValgrind && !is_running($ChildPid)) {
            bail_out("$name - nginx under valgrind exited at start-up "
                     . "(status $?)");
        }
        sleep 0.02;
    }
    sleep $TestNginxSleep;
    return 0;
}

# --- shutdown_error_log of the previous block is checked once its server
# has been stopped (or reloaded: then the subtests are skipped).
sub check_prev_block_shutdown_error_log () {
    my $block = $PrevBlock;
    return unless defined $block && defined $block->shutdown_error_log;
    my $dry_run = ($UseHup || $ENV{TEST_NGINX_NO_CLEAN}) ? 1 : 0;
    $CheckShutdownErrorLog->($block, $dry_run);
}

sub gen_rand_str {
    my $len = shift;
    my @chars = ('A' .. 'Z', 'a' .. 'z', '0' .. '9');
    return join '', map { $chars[rand @chars] } 1 .. $len;
}

# HUP mode: wait until the reloaded configuration answers.
sub test_config_version {
    my $name = shift;
    my $deadline = time + 15;
    my $ok = 0;
    while (time < $deadline) {
        my $ver = _simple_get('/ver', 'Test-Nginx');
        if (defined $ver && $ver eq $ConfigVersion) {
            return if ++$ok >= 5;
            next;
        }
        $ok = 0;
        sleep 0.05;
    }
    Test::More->builder->no_ending(1);
    Test::More::fail("$name - failed to reload configuration");
}

sub _simple_get {
    my ($uri, $host) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                     PeerPort => $ServerPortForClient,
                                     Proto => 'tcp', Timeout => 1)
        or return undef;
    print $sock "GET $uri HTTP/1.0\r\nHost: $host\r\n\r\n";
    my $resp = '';
    my $deadline = time + 2;
    my $sel = IO::Select->new($sock);
    while (time < $deadline && $sel->can_read(0.5)) {
        my $n = sysread($sock, my $buf, 4096);
        last unless $n;
        $resp .= $buf;
    }
    close $sock;
    return $resp =~ /\r\n\r\n(.*)\z/s ? $1 : undef;
}

# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

sub run_tests () {
    $RunTestsCalled = 1;
    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        unless defined $ENV{TEST_NGINX_SERVER_PORT};

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value('name', $0 . ' ' . $block->name);
        run_test($block);
        $PrevBlock = $block;
    }

    cleanup();
}

# "N: <op> x.y.z" checks shared by skip_nginx and todo_nginx
sub _version_matches {
    my ($op, @v) = @_;
    my $ver = get_canon_version(@v);
    return 1 if !defined $NginxVersion && $op =~ /^</;
    return eval "$NginxVersion $op $ver";
}

sub _skip_or_todo {
    my $block = shift;
    my $name = $block->name;
    my ($count, $skip, $todo, $reason);

    if (defined(my $spec = $block->skip_eval)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- skip_eval spec: $spec");
        $count = $1;
        $reason = 'skip_eval';
        $skip = eval $2;
        bail_out("$name - skip_eval - failed to eval the Perl code \"$2\": $@")
            if $@;
    }
    if (defined(my $spec = $block->skip_nginx)) {
        $spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/
            or bail_out("$name - Invalid --- skip_nginx spec: $spec");
        $count = $1;
        $reason = $6 || "nginx version $2 $3.$4.$5";
        $skip = 1 if _version_matches($2, $3, $4, $5);
    }
    if (defined(my $spec = $block->todo_nginx)) {
        $spec =~ /^\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/
            or bail_out("$name - Invalid --- todo_nginx spec: $spec");
        $todo = 1 if _version_matches($1, $2, $3, $4);
        $reason = $5;
    }
    if (defined(my $spec = $block->todo)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- todo spec: $spec");
        ($todo, $count, $reason) = (1, $1, $2);
    }
    return ($count, $skip, $todo, $reason || 'various reasons');
}

sub run_test ($) {
    my $block = shift;
    return if defined $block->SKIP;

    my $name = $block->name;
    my $first_time = $FirstTime;
    $FirstTime = 0;

    my %rand_ports;
    my $config = expand_env_in_text($block->config, $name, \%rand_ports);

    local $LogLevel = $block->log_level || $LogLevel;

    # Decide whether nginx has to be (re)started for this block.  A block
    # without --- config keeps using the server of the previous block.
    my ($should_restart, $should_reconfig) = (1, 1);
    if (!defined $config) {
        if (!$NoNginxManager && !defined $PrevConfig) {
            bail_out("$name - No '--- config' section specified and could "
                     . "not get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?");
        }
        ($should_restart, $should_reconfig) = (0, 0);
    } elsif ($NoNginxManager) {
        Test::More::diag("NO_NGINX_MANAGER activated: config for $name ignored");
        ($should_restart, $should_reconfig) = (0, 0);
    } else {
        $should_reconfig = (!defined $PrevConfig || $config ne $PrevConfig);
        $should_restart = $should_reconfig || $ForceRestartOnTest;
    }

    my ($tests_to_skip, $should_skip, $should_todo, $reason) =
        _skip_or_todo($block);

    my $must_die = $block->must_die;
    if (defined $must_die) {
        local $UseHup;
        local $UseValgrind;     # like the CPAN module: never under valgrind
        local $DaemonEnabled = 'on';
        stop_nginx($name);
        check_prev_block_shutdown_error_log();
        $PrevConfig = $config;
        setup_server_root($first_time);
        write_user_files($block, \%rand_ports);
        write_config_file($block, $config, \%rand_ports);
        $ErrLogFilePos = 0;
        for my $i (0 .. $RepeatEach - 1) {
            my ($status, $err) = start_nginx($name, $must_die);
            if ($status == -1) {
                Test::More::fail("$name - failed to execute the nginx command line");
            } elsif (looks_like_number($must_die)) {
                Test::More::is($must_die, $status >> 8,
                               "$name - die with the expected exit code");
            } else {
                Test::More::isnt($status, 0, "$name - die as expected");
            }
            $CheckErrorLog->($block, undef, 0, $i, 0);
            if ($status == 0) {
                warn "WARNING: $name - nginx must die but it does not; killing it (req $i)\n";
                stop_nginx($name);
            }
        }
        return;
    }

    if (!$NoNginxManager && !$should_skip && $should_restart) {
        $ConfigVersion = gen_rand_str(10) if $UseHup;
        $PrevConfig = $config if $should_reconfig;

        my $reloaded;
        my $pid = -f $PidFile ? get_pid_from_pidfile($name) : '';
        if ($pid =~ /^\d+$/ && is_running($pid) && _looks_like_nginx($pid)) {
            if ($UseHup && !$first_time) {
                setup_server_root(0);
                write_user_files($block, \%rand_ports);
                write_config_file($block, $config, \%rand_ports);
                kill SIGUSR1, $pid;     # reopen the (deleted) log files
                sleep $TestNginxSleep;
                kill SIGHUP, $pid;
                sleep $TestNginxSleep * 3;
                if (defined $block->reload_fails) {
                    sleep 0.3;
                } else {
                    test_config_version($name);
                }
                $reloaded = 1;
            } else {
                kill_process($pid, 1, $name);
            }
        }
        unlink $PidFile if !$reloaded && -f $PidFile;
        check_prev_block_shutdown_error_log();

        if (!$reloaded) {
            setup_server_root($first_time);
            write_user_files($block, \%rand_ports);
            write_config_file($block, $config, \%rand_ports);
            start_nginx($name);
        }
    }

    if (defined(my $init = $block->init)) {
        eval $init;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;
    for my $i (1 .. $RepeatEach) {
        write_user_files($block, \%rand_ports) if $i > 1;

        if ($should_skip && defined $tests_to_skip) {
            SKIP: { Test::More::skip("$name - $reason", $tests_to_skip); }
        } elsif ($should_todo) {
            TODO: { Test::More::todo_skip("$name - $reason", $tests_to_skip); }
        } else {
            $RunTestHelper->($block, 0, $i - 1);
        }
    }

    if (my $total_errlog = $ENV{TEST_NGINX_ERROR_LOG}) {
        if (-s $ErrLogFile && open my $out, '>>', $total_errlog) {
            print $out "\n=== $0 $name\n";
            if (open my $in, '<', $ErrLogFile) {
                print $out $_ while <$in>;
                close $in;
            }
            close $out;
        }
    }
}

END {
    return if $InSubprocess || !$RunTestsCalled;
    local $?;     # keep Test::Builder's exit status
    cleanup();
    stop_nginx('END') if $UseValgrind || !$ENV{TEST_NGINX_NO_CLEAN};
    check_prev_block_shutdown_error_log();
    if ($Randomize && -d $ServRoot && $ServRoot =~ m{/t/servroot_\d+$}) {
        remove_tree($ServRoot);
    }
}

1;

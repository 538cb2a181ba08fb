# t/inc/jobs.pl - conversations with /jobs in a Test::Nginx block.  Plain
# Perl (HTTP::Tiny and JSON::PP are core modules) and standard sections
# only, so it works unchanged under t/lib and under the real Test::Nginx.
#
#   jobs_state_dir('t080');          # its state dir, outside the server
#                                    # root (a restart keeps it)
#   cweb_blocks(module_dir => $JobsDir, config => $JobsConfig);
#   jobs_blocks(config => $JobsConfig);  # after cweb_blocks()
#
#   === TEST 1: a job runs
#   --- jobs
#   deploy jobs_test.c V=1
#   post a {"job":"echo","payload":{"x":1}}
#   wait a done
#   get a
#   --- response_body
#   deploy 201
#   post a 200 {"job_uuid":"a","module_hash":"H","state":"pending"}
#   wait a done
#   get a 200 {...}
#
# The script runs in the block's "init" (after nginx started, before the
# request) and writes what each step saw to html/.jobs-transcript, which
# the block's request fetches (the same way as t/inc/ws.pl).  Steps:
#   deploy FILE [K=V ...]        POST /mgnt with t/plugins/FILE
#   post NAME JSON               POST /jobs; NAME stands for its uuid after
#   create NAME PATH             GET PATH, a plugin route that calls
#                                jobs_create() and answers the uuid
#   get NAME [FIELD ...]         GET /jobs/<uuid> (only those fields)
#   events NAME                  the job's events as jobs.db has them (type
#                                 and data; $main::JobsDir is the state dir)
#   wait NAME STATE [SECONDS]    until GET shows STATE (default 10 s)
#   cancel NAME                  POST /jobs/<uuid>/cancel
#   list QUERY                   GET /jobs?QUERY (states and names only)
#   http METHOD PATH [BODY]      any request: its status and body
#   sse NAME N [MS] [since=K]    N followers of GET /jobs/<uuid>/events (MS
#                                apart, Last-Event-ID: the job's K-th
#                                event): each must get the stored events
#                                after it, in order, once
#   ws NAME N [MS] [since=K]     the same over GET /jobs/ws?id=<uuid>
#                                &since_event_id=<the K-th event's id>;
#                                with "stop" (either), the workers are
#                                stopped while the job runs to its end
#   connflood NAME N             N event streams of the job at once, closed
#                                a second later
#   ssecut NAME N                one event stream of the job; the workers
#                                stopped until it has N events, so that they
#                                fall behind the ring; once the stream has
#                                caught up (event N), the client closes it
#                                while the job still runs
#   sseall NAME [K]              one GET /jobs/<uuid>/events (Last-Event-ID:
#                                the K-th event's id) read to its end: the
#                                status and how many events, the last type
#   wsall NAME [K]               the same over /jobs/ws: the events and how
#                                the server closed
#   sseraw NAME                  the same: its data lines as sent (the job's
#                                uuid, ts and event_id replaced by its
#                                name, T and I)
#   wsopen QUERY [origin=URL]    one WebSocket handshake to /jobs/ws?QUERY
#                                (from a page of URL): 101, or the refusal's
#                                status and body
#   cancelrace N                 N jobs (echo, 0-30 ms) each canceled right
#                                after its POST: each must end as its cancel
#                                answer said, with one final event
#   many N                       N POST /jobs (echo) in flight at once, then
#                                N GET /jobs/<uuid>: each answer must be
#                                its own request's; each uuid version 7,
#                                its time now
#   reloadflood SECONDS          POSTs kept 8 in flight for SECONDS, the
#                                master sent HUP (a reload: a new helper)
#                                a third of the way in: each must be
#                                answered 200, its job stored once and
#                                done (within 30 s)
#   bulk N BYTES                 N echo jobs with a payload string of BYTES,
#                                posted one after the other, until all done
#   rawsock HEX                  bytes (hex) written on a connection of its
#                                own to the helper's ipc/jobs.sock: what
#                                the helper wrote (its hello first) and
#                                whether it closed it within 2 s
#   run SHELL                    a command: its exit status
#   perl CODE                    Perl (kill a process of the server): its value
#   key KEY                      X-API-Key: KEY on the requests after it
#                                (key -: none)
#   sleep SECONDS
# ${c*N} in a step stands for N times the character c.
# Bodies are printed as canonical JSON: keys sorted, uuids replaced by their
# names, module_hash by "H", times (*_at, ts; run_at in events) by "T".

use strict;
use warnings;
use HTTP::Tiny;
use POSIX ();
use JSON::PP;
use Time::HiRes ();
use IO::Socket::INET;
use MIME::Base64 ();
use File::Path ();

our @JobsScripts;

# /mgnt, /jobs and the plugins' routes: what the jobs suites serve
our $JobsConfig = <<'_EOC_';
    location /mgnt {
        cweb_mgnt;
    }
    location /jobs {
        cweb_jobs;
    }
    location / {
        cweb;
    }
_EOC_

# a state directory of the suite's own (TEST_NGINX_CWEB_STATE, and
# $main::JobsDir), empty at its start and removed at its end
my $JobsDirOwner;

sub jobs_state_dir {
    my ($tag) = @_;
    $ENV{TEST_NGINX_CWEB_STATE} = "/tmp/ngx_cweb_${tag}_$$";
    $main::JobsDir = $ENV{TEST_NGINX_CWEB_STATE};
    $JobsDirOwner = $$;
    File::Path::remove_tree($main::JobsDir);
}

END {
    File::Path::remove_tree($main::JobsDir)
        if $main::JobsDir && defined $JobsDirOwner && $$ == $JobsDirOwner;
}

our $JobsLocation = <<'_EOC_';
    location = /.jobs-transcript {
        default_type text/plain;
        root html;
    }
_EOC_

sub jobs_blocks {
    my (%o) = @_;

    add_block_preprocessor(sub {
        my $block = shift;

        my $config = $block->config;
        if (!defined $config && !defined $block->reuse) {
            $config = $o{config} // $main::CwebConfig;
        }
        if (defined $config && $config !~ m{/\.jobs-transcript}) {
            $block->set_value("config", $config . $JobsLocation);
        }

        my $script = $block->jobs;
        return unless defined $script;

        push @JobsScripts, $script;
        my $init = $block->init // "";
        $block->set_value("init",
                          "$init\n;main::jobs_run($#JobsScripts);\n");
        $block->set_value("request", "GET /.jobs-transcript");
    });
}

our %JobsNames;     # uuid -> name, name -> uuid (for all the blocks)
our $JobsKey;       # the X-API-Key of the requests, after "key"

# a block that restarts nginx keeps the names: its jobs are the same

sub jobs_url {
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    return "http://127.0.0.1:$port$_[0]";
}

# a JSON text with uuids, hashes and times made stable
sub jobs_canon {
    my ($text) = @_;
    my $v = eval { JSON::PP->new->allow_nonref->decode($text) };
    return $text unless defined $v || $text eq 'null';
    my $walk;
    $walk = sub {
        my ($x, $key) = @_;
        if (ref $x eq 'HASH') {
            return { map { $_ => $walk->($x->{$_}, $_) } keys %$x };
        }
        if (ref $x eq 'ARRAY') {
            return [ map { $walk->($_, $key) } @$x ];
        }
        return $x unless defined $x && defined $key;
        return "T" if ($key =~ /_at$/ || $key eq 'ts') && $x =~ /^\d+$/;
        return "H" if $key eq 'module_hash';
        return $JobsNames{$x} // $x if $key eq 'job_uuid' || $key eq 'uuid';
        return $x;
    };
    return JSON::PP->new->canonical->allow_nonref->encode($walk->($v));
}

sub jobs_http {
    my ($method, $path, $body) = @_;
    my $http = HTTP::Tiny->new(timeout => 30);
    my %o;
    $o{content} = $body if defined $body;
    $o{headers} = { 'X-API-Key' => $JobsKey } if defined $JobsKey;
    my $res = $http->request($method, jobs_url($path), \%o);
    return ($res->{status}, $res->{content} // '');
}

sub jobs_get {
    my ($name) = @_;
    my ($status, $body) = jobs_http('GET', "/jobs/" . ($JobsNames{$name}
                                                       // $name));
    my $v = eval { decode_json($body) };
    return ($status, $body, $v);
}

sub jobs_step {
    my ($line) = @_;
    $line =~ s/\$\{(\w)\*(\d+)\}/$1 x $2/ge;     # ${x*2000}: 2000 x's
    my ($cmd, @a) = split ' ', $line, $line =~ /^http / ? 4 : 3;

    if ($cmd eq 'deploy') {
        my ($file, @kv) = split ' ', join(' ', @a);
        my %v = (NAME => 'jobs_test', map { split /=/, $_, 2 } @kv);
        my ($status) = jobs_http('POST', '/mgnt',
                                 main::plugin_src($file, %v));
        return "deploy $status";
    }
    if ($cmd eq 'post') {
        my ($name, $json) = @a;
        my ($status, $body) = jobs_http('POST', '/jobs', $json);
        my $v = eval { decode_json($body) };
        if ($v && $v->{job_uuid}) {
            $JobsNames{$name} = $v->{job_uuid};
            $JobsNames{$v->{job_uuid}} = $name;
        }
        return "post $name $status " . jobs_canon($body);
    }
    if ($cmd eq 'create') {
        my ($name, $path) = @a;
        my ($status, $body) = jobs_http('GET', $path);
        if ($status == 200 && $body =~ /^[0-9a-f-]{36}$/) {
            $JobsNames{$name} = $body;
            $JobsNames{$body} = $name;
            $body = $name;
        }
        return "create $name $status $body";
    }
    if ($cmd eq 'get') {
        my ($name, @fields) = split ' ', join(' ', @a);
        my ($status, $body, $v) = jobs_get($name);
        if (@fields && $v) {
            $body = encode_json({ map { $_ => $v->{$_} } @fields });
        }
        return "get $name $status " . jobs_canon($body);
    }
    if ($cmd eq 'wait') {
        my ($name, $state, $secs) = split ' ', join(' ', @a);
        my $until = Time::HiRes::time() + ($secs // 10);
        my $seen = '';
        while (Time::HiRes::time() < $until) {
            my ($status, $body, $v) = jobs_get($name);
            $seen = $v ? $v->{state} // 'none' : "HTTP $status";
            return "wait $name $state" if $seen eq $state;
            Time::HiRes::sleep(0.05);
        }
        return "wait $name $state: timed out, state $seen";
    }
    if ($cmd eq 'cancel') {
        my ($status, $body) = jobs_http('POST', "/jobs/"
                                        . ($JobsNames{$a[0]} // $a[0])
                                        . "/cancel");
        return "cancel $a[0] $status " . jobs_canon($body);
    }
    if ($cmd eq 'list') {
        my ($status, $body) = jobs_http('GET', "/jobs?" . ($a[0] // ''));
        my $v = eval { decode_json($body) };
        return "list $status " . jobs_canon($body) unless $v && $v->{jobs};
        return "list $status " . join(' ', map {
            ($JobsNames{$_->{job_uuid}} // '?') . "=$_->{state}"
        } @{$v->{jobs}});
    }
    if ($cmd eq 'events') {
        my $uuid = $JobsNames{$a[0]} // $a[0];
        my $db = "$main::JobsDir/jobs.db";
        my @rows = `sqlite3 -cmd '.timeout 5000' -separator ' ' '$db' "SELECT e.type, coalesce(e.data, 'null') FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.uuid = '$uuid' ORDER BY e.id"`;
        chomp @rows;
        s/"run_at":\d+/"run_at":T/g for @rows;      # a time
        return "events $a[0]: " . join(', ', @rows);
    }
    if ($cmd eq 'http') {
        my ($method, $path, $body) = @a;
        my ($status, $content) = jobs_http($method, $path, $body);
        return "http $method $path $status " . jobs_canon($content);
    }
    if ($cmd eq 'run') {
        my $rc = system('sh', '-c', join(' ', @a));
        return "run " . ($rc >> 8);
    }
    if ($cmd eq 'sse' || $cmd eq 'ws') {
        return jobs_follow($cmd, split ' ', join(' ', @a));
    }
    if ($cmd eq 'sseraw') {
        return jobs_sse_raw($a[0]);
    }
    if ($cmd eq 'sseall' || $cmd eq 'wsall') {
        return jobs_all($cmd, split ' ', join(' ', @a));
    }
    if ($cmd eq 'ssecut') {
        return jobs_sse_cut(split ' ', join(' ', @a));
    }
    if ($cmd eq 'connflood') {
        return jobs_conn_flood(split ' ', join(' ', @a));
    }
    if ($cmd eq 'cancelrace') {
        return jobs_cancel_race($a[0]);
    }
    if ($cmd eq 'bulk') {
        return jobs_bulk(@a);
    }
    if ($cmd eq 'rawsock') {
        return jobs_raw_sock($a[0]);
    }
    if ($cmd eq 'many') {
        return jobs_many($a[0]);
    }
    if ($cmd eq 'reloadflood') {
        return jobs_reload_flood($a[0]);
    }
    if ($cmd eq 'wsopen') {
        my ($q, $origin) = split ' ', join(' ', @a);
        $q =~ s/\b(id=)(\w+)\b/$1 . ($JobsNames{$2} \/\/ $2)/e;
        $origin = $origin && $origin =~ /^origin=(\S+)$/ ? $1 : undef;
        my ($sock, $status, $body) = jobs_ws_open("/jobs/ws?$q", $origin);
        close $sock if $sock;
        return "wsopen $a[0] $status" . ($sock ? '' : ' ' . jobs_canon($body));
    }
    if ($cmd eq 'key') {
        $JobsKey = $a[0] eq '-' ? undef : $a[0];
        return undef;
    }
    if ($cmd eq 'perl') {
        my $r = eval join(' ', @a);
        return "perl " . (defined $r ? $r : "undef: $@");
    }
    if ($cmd eq 'sleep') {
        Time::HiRes::sleep($a[0]);
        return undef;
    }
    return "unknown step: $line";
}

# one GET /jobs/<uuid>/events until the job's end: its "id type" lines
# pushed on @$got as they come
sub jobs_sse_read {
    my ($uuid, $headers, $got) = @_;
    my $buf = '';
    my $http = HTTP::Tiny->new(timeout => 30);
    $http->request('GET', jobs_url("/jobs/$uuid/events"), {
        headers => $headers,
        data_callback => sub {
            $buf .= $_[0];
            while ($buf =~ s/\A(.*?)\n\n//s) {
                my $ev = $1;
                next unless $ev =~ /^id: (\d+)\nevent: (\S+)\n/;
                push @$got, "$1 $2";
                die "end\n" if $2 =~ /^(done|failed|canceled)$/;
            }
        },
    });
}

# a WebSocket handshake: the socket after a 101, or its status and body
sub jobs_ws_open {
    my ($path, $origin) = @_;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 10)
        or return (undef, "connect: $!", '');
    my $key = MIME::Base64::encode_base64(join('', map { chr int rand 256 }
                                                   1 .. 16), '');
    print $sock "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n"
                . (defined $JobsKey ? "X-API-Key: $JobsKey\r\n" : '')
                . (defined $origin ? "Origin: $origin\r\n" : '')
                . "\r\n";
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        my $n = sysread($sock, $head, 4096, length $head);
        return (undef, 'closed', $head) unless $n;
    }
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my ($hdr, $rest) = split /\r\n\r\n/, $head, 2;
    if (($status // 0) != 101) {
        my ($len) = $hdr =~ /^Content-Length: (\d+)/mi;
        while (defined $len && length($rest) < $len) {
            sysread($sock, $rest, $len - length $rest, length $rest) or last;
        }
        if ($hdr =~ /^Transfer-Encoding: chunked/mi) {
            while ($rest !~ /(^|\r\n)0\r\n\r\n\z/) {
                sysread($sock, $rest, 4096, length $rest) or last;
            }
            my $body = '';
            while ($rest =~ s/\A([0-9a-f]+)\r\n//i && hex $1) {
                $body .= substr $rest, 0, hex $1, '';
                $rest =~ s/\A\r\n//;
            }
            $rest = $body;
        }
        return (undef, $status // 'none', $rest);
    }
    ${*$sock}{jobs_buf} = $rest;
    return ($sock, 101, '');
}

# the next message of a WebSocket (pings answered): (opcode, payload)
sub jobs_ws_message {
    my ($sock) = @_;
    my $buf = \${*$sock}{jobs_buf};
    for (;;) {
        if (length($$buf) >= 2) {
            my ($b0, $b1) = unpack 'C2', $$buf;
            my ($len, $off) = ($b1 & 127, 2);
            ($len, $off) = (unpack('n', substr $$buf, 2, 2), 4) if $len == 126;
            ($len, $off) = (unpack('Q>', substr $$buf, 2, 8), 10)
                if $len == 127;
            if (length($$buf) >= $off + $len && length($$buf) >= $off) {
                my $payload = substr $$buf, $off, $len;
                substr($$buf, 0, $off + $len) = '';
                my $op = $b0 & 15;
                if ($op == 9) {         # a ping: a masked pong
                    my $mask = pack 'N', int rand 2**32;
                    my $m = $payload ^ substr($mask x (1 + $len / 4), 0, $len);
                    print $sock pack('CC', 0x8a, 0x80 | $len) . $mask . $m;
                    next;
                }
                return ($op, $payload);
            }
        }
        my $n = sysread($sock, $$buf, 65536, length $$buf);
        return (-1, '') unless $n;
    }
}

# one /jobs/ws follower until the job's end: "id type" lines on @$got
sub jobs_ws_read {
    my ($uuid, $since, $got) = @_;
    my ($sock, $status, $body) = jobs_ws_open("/jobs/ws?id=$uuid"
                                              . "&since_event_id=$since");
    die "handshake $status $body\n" unless $sock;
    for (;;) {
        my ($op, $msg) = jobs_ws_message($sock);
        die "closed\n" if $op != 1;
        my $ev = decode_json($msg);
        push @$got, "$ev->{event_id} $ev->{type}";
        last if $ev->{type} =~ /^(done|failed|canceled)$/;
    }
    close $sock;
}

# sse|ws NAME N [STAGGER_MS] [since=K]: N followers of the job's events,
# started STAGGER_MS apart while it runs (from the id of its K-th event:
# Last-Event-ID or since_event_id=); each must get every stored event
# after that, in order, once
sub jobs_follow {
    my ($how, $name, $n, $stagger, @opts) = @_;
    my $uuid = $JobsNames{$name} // $name;
    my ($since) = map { /^since=(\d+)$/ ? $1 : () } @opts;
    my $stop = grep { $_ eq 'stop' } @opts;
    $since //= 0;
    my $dir = Test::Nginx::Util::html_dir();
    my @pids;
    for my $i (1 .. $n) {
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            # a follower that never sees the end must not hang the test
            my @got;
            eval {
                local $SIG{ALRM} = sub { die "timeout\n" };
                alarm 20;
                if ($how eq 'ws') {
                    jobs_ws_read($uuid, $since ? jobs_nth_id($uuid, $since)
                                               : 0, \@got);
                } else {
                    jobs_sse_read($uuid, $since
                        ? { 'Last-Event-ID' => jobs_nth_id($uuid, $since) }
                        : {}, \@got);
                }
                alarm 0;
            };
            # _exit: the test script's END blocks are the parent's
            open my $fh, '>', "$dir/.sse-$i" or POSIX::_exit(1);
            print $fh map { "$_\n" } @got;
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
        Time::HiRes::sleep(($stagger // 0) / 1000);
    }
    jobs_stopped_till_done($uuid) if $stop;
    waitpid($_, 0) for @pids;

    my $db = "$main::JobsDir/jobs.db";
    my @want = `sqlite3 -cmd '.timeout 5000' -separator ' ' '$db' "SELECT e.id, e.type FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.uuid = '$uuid' ORDER BY e.id"`;
    my $after = $since ? (split ' ', $want[$since - 1] // '0')[0] : 0;
    splice @want, 0, $since;
    chomp @want;
    for my $i (1 .. $n) {
        open my $fh, '<', "$dir/.sse-$i" or return "$how $name: subscriber $i wrote nothing";
        my @got = <$fh>;
        close $fh;
        chomp @got;
        return "$how $name: subscriber $i got [@got], the store has [@want]"
            unless "@got" eq "@want";
    }
    return "$how $name: $n subscribers, each got the " . scalar(@want)
           . " events after its " . ($since ? "event $since" : "start")
           . " in order, once";
}

# sseall|wsall NAME [K]: one follower from after the K-th event, to the
# end of the stream, which the server must end by itself
sub jobs_all {
    my ($how, $name, $k) = @_;
    my $uuid = $JobsNames{$name} // $name;
    my $since = $k ? jobs_nth_id($uuid, $k) : 0;
    my @types;
    if ($how eq 'sseall') {
        my $res = HTTP::Tiny->new(timeout => 20)->request('GET',
            jobs_url("/jobs/$uuid/events"),
            { headers => $since ? { 'Last-Event-ID' => $since } : {} });
        @types = ($res->{content} // "") =~ /^event: (\S+)$/mg;
        return "$how $name $res->{status}: " . scalar(@types) . " events"
               . (@types ? ", the last $types[-1]" : '');
    }
    my ($sock, $status, $body) = jobs_ws_open("/jobs/ws?id=$uuid"
                                              . "&since_event_id=$since");
    return "$how $name $status $body" unless $sock;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 20;
    my ($op, $msg);
    for (;;) {
        ($op, $msg) = eval { jobs_ws_message($sock) };
        last unless defined $op && $op == 1;
        push @types, decode_json($msg)->{type};
    }
    alarm 0;
    close $sock;
    my $close = ($op // -1) == 8 && length($msg) >= 2
                ? unpack('n', $msg) . ' ' . substr($msg, 2) : 'none';
    return "$how $name: " . scalar(@types) . " events"
           . (@types ? ", the last $types[-1]" : '') . "; close $close";
}

sub jobs_sse_raw {
    my ($name) = @_;
    my $uuid = $JobsNames{$name} // $name;
    my $res = HTTP::Tiny->new(timeout => 20)->request('GET',
        jobs_url("/jobs/$uuid/events"));
    my @data = ($res->{content} // "") =~ /^data: (.*)$/mg;
    for (@data) {
        s/\Q$uuid\E/$name/g;
        s/"ts":\d+/"ts":T/g;
        s/"event_id":\d+/"event_id":I/g;
    }
    return "sseraw $name $res->{status}\n" . join("\n", @data);
}

# "stop": the workers are stopped (SIGSTOP) while the job runs to its end,
# so that they fall behind the event ring, then go on
sub jobs_stopped_till_done {
    my ($uuid) = @_;
    my $db = "$main::JobsDir/jobs.db";
    Time::HiRes::sleep(0.5);
    my @w = main::started_worker_pids();   # not the helper: it runs the job
    kill 'STOP', @w;
    my $until = Time::HiRes::time() + 20;
    while (Time::HiRes::time() < $until) {
        my $state = `sqlite3 -cmd '.timeout 5000' '$db' "SELECT state FROM jobs WHERE uuid = '$uuid'"`;
        last if $state =~ /^(done|failed|canceled)$/;
        Time::HiRes::sleep(0.05);
    }
    Time::HiRes::sleep(0.3);
    kill 'CONT', @w;
}

# connflood NAME N: N event streams of the job opened at once (more than
# the worker has connections for), each read a moment, then all closed
sub jobs_conn_flood {
    my ($name, $n) = @_;
    my $uuid = $JobsNames{$name} // $name;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my @socks;
    for (1 .. $n) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Timeout => 2)
            or next;
        print $s "GET /jobs/$uuid/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        push @socks, $s;
    }
    Time::HiRes::sleep(1);
    close $_ for @socks;
    Time::HiRes::sleep(0.5);
    return "connflood $name: $n streams opened and closed";
}

sub jobs_sse_cut {
    my ($name, $n) = @_;
    my $uuid = $JobsNames{$name} // $name;
    my $db = "$main::JobsDir/jobs.db";
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5)
        or return "ssecut $name: connect: $!";
    print $s "GET /jobs/$uuid/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    Time::HiRes::sleep(0.5);
    my @w = main::started_worker_pids();
    kill 'STOP', @w;
    my $until = Time::HiRes::time() + 20;
    while (Time::HiRes::time() < $until) {
        my $k = `sqlite3 -cmd '.timeout 5000' '$db' "SELECT count(*) FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.uuid = '$uuid' AND e.type = 'tick'"`;
        last if $k >= $n;
        Time::HiRes::sleep(0.05);
    }
    kill 'CONT', @w;
    my $buf = '';
    $until = Time::HiRes::time() + 20;
    while (Time::HiRes::time() < $until && $buf !~ /"i":$n\b/) {
        my $got = sysread($s, $buf, 65536, length $buf);
        last unless $got;
    }
    my $caught = $buf =~ /"i":$n\b/ ? "caught up" : "did not catch up";
    close $s;
    Time::HiRes::sleep(0.5);
    return "ssecut $name: the stream $caught, the client closed it";
}

# cancelrace N: a cancel while the job is pending, starting, running or
# ending; 200 and 202 must end canceled, 409 (it had finished) done
sub jobs_cancel_race {
    my ($n) = @_;
    my $db = "$main::JobsDir/jobs.db";
    my %seen;
    for my $i (1 .. $n) {
        my $ms = ($i % 4) * 10;
        my ($st, $body) = jobs_http('POST', '/jobs',
                                    qq({"job":"echo","payload":{"ms":$ms}}));
        my $uuid = eval { decode_json($body)->{job_uuid} }
            or return "cancelrace: POST $st $body";
        my ($cst) = jobs_http('POST', "/jobs/$uuid/cancel");
        $seen{$cst}++;
        my $state = '';
        my $until = Time::HiRes::time() + 10;
        while (Time::HiRes::time() < $until) {
            my (undef, undef, $v) = jobs_get($uuid);
            $state = $v ? $v->{state} : '';
            last if $state =~ /^(done|failed|canceled)$/;
            Time::HiRes::sleep(0.02);
        }
        my $want = $cst == 409 ? 'done' : 'canceled';
        return "cancelrace: job $i (ms $ms) answered $cst to its cancel and "
               . "ended '$state'" unless $state eq $want;
        my @final = `sqlite3 -cmd '.timeout 5000' '$db' "SELECT e.type FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.uuid = '$uuid' AND e.type IN ('done','failed','canceled')"`;
        chomp @final;
        return "cancelrace: job $i has final events [@final], not [$want]"
            unless "@final" eq $want;
    }
    return "cancelrace: $n jobs, each ended as its cancel answer said ("
           . join(', ', map { "$_ x$seen{$_}" } sort keys %seen)
           . "), one final event each";
}

sub jobs_bulk {
    my ($n, $bytes) = @_;
    my $pad = 'p' x $bytes;
    my @uuids;
    for my $i (1 .. $n) {
        my ($st, $body) = jobs_http('POST', '/jobs',
                                    qq({"job":"echo","payload":{"s":"$pad"}}));
        my $u = eval { decode_json($body)->{job_uuid} }
            or return "bulk: POST $i answered $st $body";
        push @uuids, $u;
    }
    for my $u (@uuids) {
        my $until = Time::HiRes::time() + 20;
        my $state = '';
        while (Time::HiRes::time() < $until) {
            my (undef, undef, $v) = jobs_get($u);
            $state = $v ? $v->{state} : '';
            last if $state eq 'done';
            Time::HiRes::sleep(0.02);
        }
        return "bulk: job $u is '$state'" unless $state eq 'done';
    }
    return "bulk $n done";
}

sub jobs_raw_sock {
    my ($hex) = @_;
    require IO::Socket::UNIX;
    require IO::Select;
    my $path = "$main::JobsDir/ipc/jobs.sock";
    my $s = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Peer => $path)
        or return "rawsock: connect $path: $!";
    print $s pack('H*', $hex);
    my $sel = IO::Select->new($s);
    my ($got, $closed) = ('', 0);
    my $until = Time::HiRes::time() + 2;
    while (!$closed && Time::HiRes::time() < $until) {
        last unless $sel->can_read($until - Time::HiRes::time());
        my $n = sysread($s, my $buf, 65536);
        $closed = 1 unless $n;
        $got .= $buf if $n;
    }
    close $s;
    # its first message is {"hello":1}{} (ngx_cweb_jobs_proto.c)
    my $said = $got eq pack('N', 13) . '{"hello":1}{}' ? 'said hello'
             : length($got) ? 'wrote ' . length($got) . ' bytes' : 'said nothing';
    my $how = "$said, " . ($closed ? 'then closed it' : 'still open after 2 s');
    return "rawsock: the helper $how";
}

# one request on a socket of its own, sent; read with jobs_raw_answer()
sub jobs_raw_send {
    my ($method, $path, $body) = @_;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Proto => 'tcp')
        or die "connect: $!";
    $body //= '';
    my $key = defined $JobsKey ? "X-API-Key: $JobsKey\r\n" : '';
    print $sock "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\n$key"
                . "Content-Length: " . length($body) . "\r\n"
                . "Connection: close\r\n\r\n$body";
    return $sock;
}

# its status and body (the server closes after it)
sub jobs_raw_answer {
    my ($sock) = @_;
    local $/;
    my $res = <$sock> // '';
    close $sock;
    my ($st) = $res =~ m{^HTTP/1\.1 (\d+)};
    my (undef, $body) = split /\r\n\r\n/, $res, 2;
    return ($st // 0, $body // '');
}

# N at once: created, then read back, each answer matching its question
sub jobs_many {
    my ($n) = @_;
    my @socks = map { jobs_raw_send('POST', '/jobs',
                                    qq({"job":"echo"})) }
                1 .. $n;
    my @uuids;
    for my $i (1 .. $n) {
        my ($st, $body) = jobs_raw_answer($socks[$i - 1]);
        my $u = eval { decode_json($body)->{job_uuid} };
        return "many: POST $i answered $st $body" unless $st == 200 && $u;
        push @uuids, $u;
    }
    my %u = map { $_ => 1 } @uuids;
    return "many: " . scalar(keys %u) . " distinct uuids of $n" unless keys %u == $n;
    # version 7: the time in ms first (the store's uuid index grows at its end)
    for my $u (@uuids) {
        my ($t, $v) = $u =~ /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f])/;
        my $ms = hex($t) * 65536 + hex($v);
        my ($ver) = $u =~ /^.{14}(.)/;
        return "many: $u is not a version 7 uuid of now"
            unless $ver eq '7' && abs($ms / 1000 - time()) < 60;
    }
    @socks = map { jobs_raw_send('GET', "/jobs/$_") } @uuids;
    for my $i (1 .. $n) {
        my ($st, $body) = jobs_raw_answer($socks[$i - 1]);
        my $v = eval { decode_json($body) } || {};
        return "many: GET $i answered $st for job " . ($v->{job_uuid} // '?')
               . ", not $uuids[$i - 1]"
            unless $st == 200 && ($v->{job_uuid} // '') eq $uuids[$i - 1];
    }
    return "many: $n created at once (version 7 uuids of now) and read back at once, each answer its own";
}

# a reload amid POSTs: none lost, none answered other than 200, none twice
sub jobs_reload_flood {
    my ($secs) = @_;
    my $tag = "rf" . int(rand(1e9));
    my (%seen, @uuids, @inflight, $hup);
    my $t0 = Time::HiRes::time();
    my $i = 0;
    while (Time::HiRes::time() - $t0 < $secs || @inflight) {
        while (@inflight < 8 && Time::HiRes::time() - $t0 < $secs) {
            $i++;
            push @inflight, jobs_raw_send('POST', '/jobs',
                qq({"job":"echo","payload":{"tag":"$tag","i":$i}}));
        }
        if (!$hup && Time::HiRes::time() - $t0 > $secs / 3) {
            kill 'HUP', main::nginx_pid();
            $hup = 1;
        }
        my ($st, $body) = jobs_raw_answer(shift @inflight);
        $seen{$st}++;
        return "reloadflood: a POST answered $st $body" unless $st == 200;
        push @uuids, eval { decode_json($body)->{job_uuid} };
    }
    my $db = "$main::JobsDir/jobs.db";
    my $stored = `sqlite3 -cmd '.timeout 5000' '$db' "SELECT count(*), count(DISTINCT json_extract(payload, '\$.i')) FROM jobs WHERE json_extract(payload, '\$.tag') = '$tag'"`;
    chomp $stored;
    my ($rows, $distinct) = split /\|/, $stored;
    return "reloadflood: $i POSTs answered 200, the store has $rows jobs ($distinct distinct)"
        unless $rows == $i && $distinct == $i && @uuids == $i;
    # and each runs once to its end: none left running by the old helper
    # (the next one would fail it as interrupted), bounded
    my $states = '';
    for (1 .. 300) {
        $states = `sqlite3 -cmd '.timeout 5000' '$db' "SELECT group_concat(state || ':' || n) FROM (SELECT state, count(*) AS n FROM jobs WHERE json_extract(payload, '\$.tag') = '$tag' GROUP BY state ORDER BY state)"`;
        chomp $states;
        last if $states eq "done:$i";
        Time::HiRes::sleep(0.1);
    }
    return "reloadflood: the $i jobs ended $states, not all done"
        unless $states eq "done:$i";
    return "reloadflood: every POST across the reload answered 200, each job stored once and done";
}

# the id of the job's N-th stored event
sub jobs_nth_id {
    my ($uuid, $n) = @_;
    my $db = "$main::JobsDir/jobs.db";
    my $id = `sqlite3 -cmd '.timeout 5000' '$db' "SELECT e.id FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.uuid = '$uuid' ORDER BY e.id LIMIT 1 OFFSET $n - 1"`;
    chomp $id;
    return $id;
}

sub jobs_run {
    my ($n) = @_;
    my @out;
    for my $line (split /\n/, $JobsScripts[$n]) {
        next if $line =~ /^\s*(#|$)/;
        my $r = jobs_step($line);
        push @out, $r if defined $r;
    }
    my $file = Test::Nginx::Util::html_dir() . "/.jobs-transcript";
    open my $fh, '>', $file or die "cannot write $file: $!";
    print $fh map { "$_\n" } @out;
    close $fh;
}

1;

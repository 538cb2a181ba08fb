#!/usr/bin/perl
#
# bench/probe.pl - the timed part of bench/deploy: plain sockets and
# Time::HiRes, so no process is forked inside a measured interval.
#
#   probe.pl deploy PORT SRC ROUTE MARKER [CHECKS]
#       POSTs SRC to /mgnt, then GETs ROUTE on fresh connections, as fast
#       as it can, until the answer contains MARKER; then CHECKS (8) more
#       GETs, each on a fresh connection (so that both workers are likely
#       asked), which must all contain MARKER too.  Prints one line:
#         code=C status=S compile_ms=N canary_ms=N post_ms=F served_ms=F
#         polls=N
#         stale=N bad=N
#       post_ms: POST sent -> answer read; served_ms: POST sent -> first
#       GET with MARKER read; polls: GETs until then; stale: GETs after
#       that without MARKER; bad: non-2xx GETs.
#
#   probe.pl post PORT SRC
#       POSTs SRC once: code=C status=S compile_ms=N canary_ms=N post_ms=F
#
# Every socket operation is bounded: 30 s per request (the POST waits for
# the compiler), polling gives up after 10 s / 20000 GETs (served_ms=-1).

use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time);

$SIG{ALRM} = sub { die "probe.pl: timed out\n" };
alarm 120;

sub request {
    my ($port, $req) = @_;

    local $SIG{ALRM} = sub { die "probe.pl: request timed out\n" };
    alarm 30;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5)
        or die "probe.pl: connect 127.0.0.1:$port: $!\n";
    setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
    binmode $s;
    syswrite($s, $req) == length($req) or die "probe.pl: write: $!\n";

    my $resp = '';
    while (1) {
        my $n = sysread($s, $resp, 65536, length $resp);
        die "probe.pl: read: $!\n" unless defined $n;
        last if $n == 0;
    }
    close $s;
    alarm 120;

    my ($code) = $resp =~ m{^HTTP/1\.[01] (\d{3})};
    my (undef, $body) = split /\r\n\r\n/, $resp, 2;
    return ($code // 0, $body // '');
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or die "probe.pl: $file: $!\n";
    local $/;
    my $data = <$fh>;
    close $fh;
    return $data;
}

sub post {
    my ($port, $src) = @_;
    my $req = "POST /mgnt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            . "Content-Length: " . length($src) . "\r\n\r\n" . $src;

    my $t0 = time;
    my ($code, $body) = request($port, $req);
    my $t1 = time;

    my ($status) = $body =~ /"status"\s*:\s*"([^"]*)"/;
    my ($cms) = $body =~ /"compile_ms"\s*:\s*(\d+)/;
    my ($can) = $body =~ /"canary_ms"\s*:\s*(\d+)/;
    $status //= ($body =~ /"error"\s*:\s*"([^"]*)"/ ? "error:$1" : '-');
    $status =~ s/\s+/_/g;

    return ($t0, $t1, $code, $status, $cms // -1, $can // -1);
}

my $cmd = shift // '';

if ($cmd eq 'post') {
    my ($port, $file) = @ARGV;
    my ($t0, $t1, $code, $status, $cms, $can) = post($port, slurp($file));
    printf "code=%s status=%s compile_ms=%d canary_ms=%d post_ms=%.3f\n",
           $code, $status, $cms, $can, ($t1 - $t0) * 1000;
    exit 0;
}

if ($cmd eq 'deploy') {
    my ($port, $file, $route, $marker, $checks) = @ARGV;
    $checks //= 8;
    my $src = slurp($file);
    my $get = "GET $route HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

    my ($t0, $t1, $code, $status, $cms, $can) = post($port, $src);

    my ($t2, $polls, $stale, $bad) = (-1, 0, 0, 0);

    if ($code =~ /^2/) {
        while ($polls < 20000 && time - $t1 < 10) {
            my ($c, $b) = request($port, $get);
            $polls++;
            $bad++ if $c !~ /^2/;
            if ($c =~ /^2/ && index($b, $marker) >= 0) {
                $t2 = time;
                last;
            }
        }

        if ($t2 > 0) {
            for (1 .. $checks) {
                my ($c, $b) = request($port, $get);
                $bad++ if $c !~ /^2/;
                $stale++ if index($b, $marker) < 0;
            }
        }
    }

    printf "code=%s status=%s compile_ms=%d canary_ms=%d post_ms=%.3f"
           . " served_ms=%.3f polls=%d stale=%d bad=%d\n",
           $code, $status, $cms, $can, ($t1 - $t0) * 1000,
           $t2 > 0 ? ($t2 - $t0) * 1000 : -1, $polls, $stale, $bad;
    exit 0;
}

die "usage: probe.pl deploy PORT SRC ROUTE MARKER [CHECKS] | post PORT SRC\n";

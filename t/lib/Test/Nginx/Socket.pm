package Test::Nginx::Socket;

# ngx_cweb's local, dependency-free re-implementation of the CPAN module
# Test::Nginx::Socket (openresty/test-nginx 0.29).  Only Test::Base (Debian
# libtest-base-perl) and core Perl modules are needed.  Test files written for
# it must also pass under the real Test::Nginx, so section names, exported
# functions, environment variables and the number of subtests per block follow
# the real module.  See t/lib/README for details.

use strict;
use warnings;

# -base (lower case): inherit from Test::Base without Spiffy's source filter.
use Test::Base -base;

use Encode ();
use Digest::MD5 ();
use Digest::SHA ();
use IO::Select ();
use IO::Socket::INET ();
use List::Util qw(min);
use POSIX qw(EAGAIN EWOULDBLOCK EINTR);
use Time::HiRes qw(sleep time);

use Test::Nginx::Util;

our $VERSION = '0.29';

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test
    repeat_each config_preamble worker_connections
    master_process_enabled
    no_long_string workers master_on master_off
    log_level no_shuffle no_root_location use_hup
    server_name
    server_addr server_root html_dir server_port server_port_for_client
    timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_cleanup_handler
    add_response_body_check
);

our @ResponseBodyChecks;
our $TotalConnectingTimeouts = 0;

$RunTestHelper = \&run_test_helper;
$CheckErrorLog = \&check_error_log;
$CheckShutdownErrorLog = \&check_shutdown_error_log;

sub add_response_body_check ($) { push @ResponseBodyChecks, shift }
sub set_http_config_filter ($) { $FilterHttpConfig = shift }

# ---------------------------------------------------------------------------
# Building requests
# ---------------------------------------------------------------------------

# "--- more_headers" text -> ("Name: value\r\n"..., $is_chunked)
sub parse_more_headers ($) {
    my $in = shift;
    my ($out, $is_chunked) = ('', undef);
    for my $header (split /\n+/, $in) {
        next if $header =~ /^\s*#/;
        my ($key, $val) = split /:\s*/, $header, 2;
        $val = '' unless defined $val;
        $is_chunked = 1
            if lc($key) eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

# Turns a request spec "METHOD [URI [VERSION]]\n[body]" (possibly split into
# several packets) into a full HTTP request: the request line is normalized,
# Host/Connection (unless given in more_headers), the more_headers and an
# automatic Content-Length are added.  Packet boundaries are kept at the
# corresponding positions of the rewritten text.
sub build_request_from_packets ($$$$$) {
    my ($name, $more_headers, $is_chunked, $conn, $packets) = @_;

    my $orig = join '', @$packets;
    my ($first, $content) = $orig =~ /\A([^\n]*\n?)(.*)\z/s;

    $first =~ /^(\s*)(\S+)( *)(?:(\S+)( *))?(?:(\S+)( *))?(\s*)$/
        or bail_out("$name - Request line is not valid. Should be "
                    . "'meth [url [version]]' but got \"$first\".");
    my ($lead, $meth, $sp1, $url, $sp2, $ver, $sp3, $eol) =
        ($1, $2, $3, $4, $5, $6, $7, $8);

    if (!$is_chunked && length $content
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $content =~ s/^\s+|\s+$//gs;
        $more_headers .= "Content-Length: " . length($content) . "\r\n";
    }

    my $headers = '';
    $headers .= "Host: $ServerName\r\n"
        if $more_headers !~ /(?:^|\n)Host:/msi;
    $headers .= "Connection: $conn\r\n"
        if $more_headers !~ /(?:^|\n)Connection/msi;
    $headers .= "$more_headers\r\n";

    # [length in the original text, replacement text]
    my @segments = (
        [length $lead, ''],
        [length $meth, "$meth "],
        [length($sp1 // ''), ''],
        [length($url // ''), ($url // '/') . ' '],
        [length($sp2 // ''), ''],
        [length($ver // ''), ($ver // 'HTTP/1.1') . "\r\n"],
        [length($sp3 // '') + length($eol // ''), ''],
        [0, $headers],
        [length($orig) - length($first), $content],
    );

    my $new = join '', map { $_->[1] } @segments;
    return [$new] if @$packets <= 1;

    # map each original packet boundary to an offset in the new text
    my @cuts;
    my $pos = 0;
    for my $p (@$packets[0 .. $#$packets - 1]) {
        $pos += length $p;
        my ($o, $n) = (0, 0);
        for my $seg (@segments) {
            my ($olen, $txt) = @$seg;
            if ($o + $olen <= $pos) {
                $n += length $txt;
            } else {
                $n += min($pos - $o, length $txt) if $pos > $o;
                last;
            }
            $o += $olen;
        }
        push @cuts, $n;
    }

    my (@out, $prev);
    $prev = 0;
    for my $cut (@cuts, length $new) {
        $cut = $prev if $cut < $prev;
        push @out, substr($new, $prev, $cut - $prev);
        $prev = $cut;
    }
    return \@out;
}

sub _headers_for {
    my ($more_headers, $i, $what) = @_;
    if (ref $more_headers eq 'ARRAY') {
        my $hdr = $more_headers->[$i];
        bail_out("--- more_headers lacks data for the $what") unless defined $hdr;
        return parse_more_headers($hdr);
    }
    return parse_more_headers($more_headers);
}

# Returns a list of requests; each request is a list of packets
# ({ value => $bytes, delay_before => $secs }).
sub get_req_from_block ($) {
    my $block = shift;
    my $name = $block->name;
    my @req_list;

    if (defined(my $raw = $block->raw_request)) {
        # sent verbatim; an array is ONE request split into packets, of
        # strings only: the real runner sends a reference as "HASH(0x...)"
        # (packets with delays are written "--- request eval [[...]]")
        if (ref $raw eq 'ARRAY') {
            for my $elt (@$raw) {
                bail_out("$name - --- raw_request elements must be strings;"
                         . " use --- request eval [[\"...\", {value =>"
                         . " ..., delay_before => ...}]] for delays")
                    if ref $elt;
            }
            push @req_list, [map { { value => $_ } } @$raw];
        } else {
            push @req_list, [{ value => $raw }];
        }
        return \@req_list;
    }

    my $request;
    if (defined $block->request_eval) {
        Test::More::diag("$name - request_eval DEPRECATED. Use request eval instead.");
        $request = eval $block->request_eval;
        warn $@ if $@;
    } else {
        $request = $block->request;
        if (defined $request && !ref $request) {
            # leading comment lines and blank space are ignored
            1 while $request =~ s/^\s*#[^\n]+\s+|^\s+//gs;
        }
    }

    my $more_headers = $block->more_headers || '';

    if (my $reqs = $block->pipelined_requests) {
        bail_out("$name - invalid entries in --- pipelined_requests")
            unless ref $reqs eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my ($hdr, $chunked) = _headers_for($more_headers, $i,
                                               "$i pipelined request");
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            $all .= build_request_from_packets($name, $hdr, $chunked, $conn,
                                               [$reqs->[$i]])->[0];
        }
        return [[{ value => $all }]];
    }

    bail_out("$name - request empty") unless defined $request;

    my @specs = ref $request eq 'ARRAY' ? @$request : ($request);
    bail_out("$name - invalid ---request : MUST be string or array of requests")
        if ref $request && ref $request ne 'ARRAY';

    for my $i (0 .. $#specs) {
        my $one = $specs[$i];
        my ($hdr, $chunked) = _headers_for($more_headers, $i, "${i}th request");
        if (!ref $one) {
            my $r = build_request_from_packets($name, $hdr, $chunked, 'close',
                                               [$one]);
            push @req_list, [{ value => $r->[0] }];
        } elsif (ref $one eq 'ARRAY') {
            my @vals = map {
                !ref $_ ? $_
                : ref $_ eq 'HASH' ? $_->{value}
                : bail_out("$name - Invalid syntax. $_ should be a string or hash with value.")
            } @$one;
            my $parts = build_request_from_packets($name, $hdr, $chunked,
                                                   'close', \@vals);
            my @packets;
            for my $j (0 .. $#$parts) {
                my %p = ref $one->[$j] ? %{ $one->[$j] } : ();
                $p{value} = $parts->[$j];
                push @packets, \%p;
            }
            push @req_list, \@packets;
        } else {
            bail_out("$name - Invalid syntax. $one should be a string or an "
                     . "array of packets.");
        }
    }

    return \@req_list;
}

# ---------------------------------------------------------------------------
# Sending a request and reading the response
# ---------------------------------------------------------------------------

sub _connect {
    my ($addr, $timeout) = @_;
    my $deadline = time + 5;
    my $tries = 0;
    while (1) {
        my $sock = IO::Socket::INET->new(PeerAddr => $addr,
                                         PeerPort => $ServerPortForClient,
                                         Proto => 'tcp',
                                         Timeout => $timeout);
        return $sock if $sock;
        my $err = $!;
        return (undef, $err) if time >= $deadline;
        $tries++;
        my $wait = (sleep_time() + sleep_time() * $tries) * $tries / 2;
        sleep($wait > 0.5 ? 0.5 : $wait);
    }
}

# Sends the packets of one request over a new connection and returns
# ($raw_response, $is_head_request).  $timeout limits the idle time between
# two I/O events, like in the CPAN module.  On a timeout the socket is
# closed; unless the block has --- abort this is a test failure.
sub send_request ($$$$) {
    my ($req, $middle_delay, $timeout, $block) = @_;
    my $name = $block->name;
    my @packets = @$req;

    my $head_req = (join '', map { $_->{value} } @packets) =~ /^\s*HEAD\s+/;

    my $addr = $block->server_addr_for_client // $ServerAddr;
    my ($sock, $err) = _connect($addr, $timeout);
    if (!$sock) {
        my $msg = "$name - Can't connect to $addr:$ServerPortForClient: "
                  . "$err (aborted)\n";
        bail_out($msg) if ++$TotalConnectingTimeouts >= 3;
        Test::More->builder->no_ending(1);
        Test::More::fail($msg);
        return (undef, $head_req);
    }
    $sock->blocking(0);

    local $SIG{PIPE} = 'IGNORE';     # a closed peer gives EPIPE instead
    my $resp = '';
    my $cur = shift @packets;
    my ($wbuf, $woff) = ($cur->{value}, 0);
    my ($writing, $reading) = (1, 1);

    # hard limit for servers that keep trickling data (not in the CPAN module)
    my $deadline = time + ($timeout * 10 > 60 ? $timeout * 10 : 60);

    while ($writing || $reading) {
        my $rsel = IO::Select->new($sock);
        my $wsel = $writing ? IO::Select->new($sock) : undef;
        my ($r, $w) = IO::Select->select($rsel, $wsel, undef, $timeout);

        if ((!$r && !$w) || time > $deadline) {
            next if !$r && !$w && $! == EINTR && time <= $deadline;
            # timed out
            close $sock;
            if (!defined $block->abort) {
                Test::More->builder->no_ending(1);
                Test::More::fail("ERROR: client socket timed out - $name\n");
            } else {
                sleep 0.005;
            }
            return ($resp, $head_req);
        }

        if ($w && @$w) {
            WRITE: while (1) {
                if ($woff < length $wbuf) {
                    my $n = syswrite($sock, $wbuf, length($wbuf) - $woff, $woff);
                    if (!defined $n) {
                        last WRITE if $! == EAGAIN || $! == EWOULDBLOCK
                                      || $! == EINTR;
                        my $msg = "write failed: $!";
                        warn "$msg\n";
                        $resp = $msg unless length $resp;
                        close $sock;
                        return ($resp, $head_req);
                    }
                    $woff += $n;
                    next WRITE;
                }
                my $next = shift @packets;
                if (!$next) {
                    $writing = 0;
                    if (defined(my $how = $block->shutdown)) {
                        $how = 1 if $how !~ /\S/;
                        shutdown($sock, $how);
                    }
                    last WRITE;
                }
                my $delay = $next->{delay_before} // $middle_delay;
                sleep $delay if $delay;
                ($wbuf, $woff) = ($next->{value}, 0);
            }
        }

        if ($r && @$r) {
            while (1) {
                my $n = sysread($sock, my $buf, 4096);
                if (!defined $n) {
                    last if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                    warn "WARNING: $name - HTTP response read failure: $!\n";
                    ($reading, $writing) = (0, 0);
                    last;
                }
                if ($n == 0) {          # connection closed by nginx
                    ($reading, $writing) = (0, 0);
                    last;
                }
                $resp .= $buf;
            }
        }
    }

    close $sock;
    return ($resp, $head_req);
}

# Minimal stand-in for HTTP::Response (only what the checks need).
{
    package Test::Nginx::Socket::Response;

    sub new {
        my ($class, %args) = @_;
        return bless { code => undef, message => '', headers => [],
                       content => '', %args }, $class;
    }

    sub code {
        my $self = shift;
        $self->{code} = shift if @_;
        return $self->{code};
    }

    sub content {
        my $self = shift;
        $self->{content} = shift if @_;
        return $self->{content};
    }

    # case-insensitive; several headers of the same name are joined by ", "
    sub header {
        my ($self, $key) = @_;
        my @vals = map { $_->[1] } grep { lc $_->[0] eq lc $key }
                   @{ $self->{headers} };
        return @vals ? join(', ', @vals) : undef;
    }

    sub parse {
        my ($class, $str) = @_;
        my $self = $class->new;
        return $self unless defined $str && length $str;

        if ($str =~ s/\A([^\n]*)\n//) {
            my $line = $1;
            $line =~ s/\r\z//;
            if ($line =~ m{^(\S+/\S+)\s+(\S+)(?:\s+(.*))?$}) {
                $self->{code} = $2;
                $self->{message} = $3 // '';
            } elsif ($line =~ /^(\d{3})(?:\s+(.*))?$/) {
                $self->{code} = $1;
                $self->{message} = $2 // '';
            }
        } else {
            return $self;
        }

        while (length $str) {
            if ($str =~ s/\A\r?\n//) {
                last;                       # end of the header section
            } elsif ($str =~ s/\A([^\s:]+)[ \t]*:[ \t]?([^\n]*)\n?//) {
                my ($k, $v) = ($1, $2);
                $v =~ s/\r\z//;
                push @{ $self->{headers} }, [$k, $v];
            } elsif (@{ $self->{headers} }
                     && $str =~ s/\A[ \t]+([^\n]*)\n?//) {
                (my $v = $1) =~ s/\r\z//;
                $self->{headers}[-1][1] .= " $v";
            } else {
                last;
            }
        }
        $self->{content} = $str;
        return $self;
    }
}

# Returns ($res, $raw_headers, $left_over_bytes).
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;
    my $left;

    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';
    my $res = Test::Nginx::Socket::Response->parse($raw);

    my $code = $res->code;
    if (defined $code && $code !~ /^\d+$/) {
        $res->code(undef);
        undef $code;
    }
    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);

    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if (defined $enc && $enc eq 'chunked') {
        my $body = $res->content;
        my $decoded = '';
        my $fail = sub {
            Test::More->builder->no_ending(1);
            Test::More::fail("$name - $_[0]");
            return;
        };
        while (1) {
            if ($body =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $body =~ /\G(.+)/gcs;
                last;
            }
            if ($body =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                my $start = pos $body;
                return $fail->("invalid chunked data received (not enought "
                               . "octets for the data section)")
                    if length($body) - $start < $size;
                $decoded .= substr($body, $start, $size);
                pos($body) = $start + $size;
                return $fail->("invalid chunked data received (expected CRLF).")
                    unless $body =~ /\G\r\n/gc;
            } elsif ($body =~ /\G(.+)/gcs) {
                return $fail->("invalid chunked body received: $1");
            } else {
                return $fail->("no last chunk found - $body");
            }
        }
        $res->content($decoded);

    } elsif (defined $len && $len =~ /^\d+$/) {
        my $body = $res->content;
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
                 . "but got " . length($body) . "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

# ---------------------------------------------------------------------------
# Per-block driver: send every request, run the checks
# ---------------------------------------------------------------------------

sub run_test_helper ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    bail_out("$name - request empty") unless @$reqs;

    my $timeout = parse_time($block->timeout);
    $timeout = timeout() unless defined $timeout;

    my ($res, $need_array, $n);
    my $req_idx = 0;

    for my $one_req (@$reqs) {
        my ($raw, $head_req) = send_request($one_req,
                                            $block->raw_request_middle_delay,
                                            $timeout, $block);
        if ($block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = @$reqs > 1;
        }

        while (1) {
            $raw = '' unless defined $raw;
            my ($raw_headers, $left);

            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = Test::Nginx::Socket::Response->new(
                        code => 200, message => 'OK', content => $raw);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left) =
                        parse_response($name, $raw, $head_req);
                }
            }

            if (!$n) {
                if (defined $left && length $left) {
                    (my $l = $left) =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after last "
                         . "chunk in response: \"$l\"\n";
                }
            } else {
                $raw = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $req_idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $req_idx,
                                           $need_array);
                check_response_headers($block, $res, $raw_headers, $req_idx,
                                       $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $dry_run, $req_idx,
                                    $repeated_req_idx, $need_array);
            }

            if ($n || $req_idx < @$reqs - 1) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $repeated_req_idx,
                                $need_array);
                check_access_log($block, $repeated_req_idx)
                    unless defined $block->ignore_response;
            }

            $req_idx++;
            last unless $n;
        }
    }

    sleep $block->wait if $block->wait;

    if ($block->{stap}) {
        SKIP: {
            Test::More::skip("$name - stap_out - tests skipped due to "
                             . "env TEST_NGINX_USE_STAP is not set", 1);
        }
    }

    check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
    check_access_log($block, $repeated_req_idx)
        unless defined $block->ignore_response;
}

# ---------------------------------------------------------------------------
# Checks.  Every call below produces a fixed number of subtests so that
# "plan tests => ..." formulas agree with the CPAN module.
# ---------------------------------------------------------------------------

# Value of an expectation section for request #$req_idx of the block.
sub get_indexed_value ($$$$) {
    my ($name, $value, $req_idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$req_idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results "
                 . "should be arrays as well.");
    }
    return $value->[0] if ref $value eq 'ARRAY';
    return $value;
}

sub check_error_code ($$$$) {
    my ($block, $res, $req_idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    if (defined $block->error_code_like) {
        my $val = get_indexed_value($name, $block->error_code_like, $req_idx,
                                    $need_array);
        like($code, qr/$val/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        is($code, get_indexed_value($name, $block->error_code, $req_idx,
                                    $need_array),
           "$name - status code ok");
    } else {
        is($code, 200, "$name - status code ok");
    }
}

sub check_raw_response_headers ($$$$) {
    my ($block, $raw_headers, $req_idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers = '' unless defined $raw_headers;

    if (defined $block->raw_response_headers_like) {
        my $pat = get_indexed_value($name, $block->raw_response_headers_like,
                                    $req_idx, $need_array);
        like($raw_headers, qr/$pat/s, "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $pat = get_indexed_value($name, $block->raw_response_headers_unlike,
                                    $req_idx, $need_array);
        unlike($raw_headers, qr/$pat/s, "$name - raw resp headers unlike");
    }
}

# One subtest per header line; "!Name" means "Name" must be absent.
sub check_response_headers ($$$$$) {
    my ($block, $res, $raw_headers, $req_idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers = '' unless defined $raw_headers;

    if (defined $block->response_headers) {
        my $headers = parse_headers(get_indexed_value(
            $name, $block->response_headers, $req_idx, $need_array));
        for my $key (sort keys %$headers) {
            my $val = $headers->{$key};
            if (!defined $val) {
                unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                       "$name - header $key not present in the raw headers");
                next;
            }
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            is($actual, $val, "$name - header $key ok");
        }
    } elsif (defined $block->response_headers_like) {
        my $headers = parse_headers(get_indexed_value(
            $name, $block->response_headers_like, $req_idx, $need_array));
        for my $key (sort keys %$headers) {
            my $val = $headers->{$key} // '';
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            like($actual, qr/^$val$/, "$name - header $key like ok");
        }
    }
}

sub run_filter_helper ($$$) {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;
    return $filter->($content) if ref $filter eq 'CODE';
    bail_out("$name - the --- response_body_filters section only supports "
             . "subroutine reference values and string values") if ref $filter;

    my %builtin = (
        md5_hex  => \&Digest::MD5::md5_hex,
        sha1_hex => \&Digest::SHA::sha1_hex,
        uc       => sub { uc $_[0] },
        lc       => sub { lc $_[0] },
        ucfirst  => sub { ucfirst $_[0] },
        lcfirst  => sub { lcfirst $_[0] },
        length   => sub { length $_[0] },
    );
    my $f = $builtin{$filter}
        or bail_out("$name - unknown filter, \"$filter\", specified in the "
                    . "--- response_body_filters section");
    return $f->($content);
}

sub transform_response_body ($$$) {
    my ($block, $res, $req_idx) = @_;
    return unless defined $res && defined $res->content;
    my $filters = $block->response_body_filters;
    return unless defined $filters;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }
    if (ref $filters->[0] eq 'ARRAY') {      # one filter list per request
        $filters = $filters->[$req_idx];
        bail_out($block->name . " - the ---response_body_filters two-"
                 . "dimensional array unmatch the specified request($req_idx)")
            unless defined $filters;
    }

    my $content = $res->content;
    $content = run_filter_helper($block, $_, $content) for @$filters;
    $res->content($content);
}

sub check_response_body ($$$$$$) {
    my ($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->content : undef;
    if (defined $content) {
        $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
        $content =~ s/^Connection: TE, close\r\n//gms;
    }

    if (defined $block->response_body || defined $block->response_body_eval) {
        my $expected;
        if ($block->response_body_eval) {
            Test::More::diag("$name - response_body_eval is DEPRECATED. Use "
                             . "response_body eval instead.");
            $expected = eval get_indexed_value($name, $block->response_body_eval,
                                               $req_idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = get_indexed_value($name, $block->response_body,
                                          $req_idx, $need_array);
        }

        if ($block->charset) {
            Encode::from_to($expected, 'UTF-8', $block->charset);
        }
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }

        my $desc = "(repeated req $repeated_req_idx, req $req_idx)";
        if (ref $expected) {
            like($content, $expected, "$name - response_body - like $desc");
        } elsif ($NoLongString) {
            Test::More::is($content, $expected,
                           "$name - response_body - response is expected $desc");
        } else {
            is($content, $expected,
               "$name - response_body - response is expected $desc");
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $pats = $type eq 'like' ? $block->response_body_like
                                   : $block->response_body_unlike;
        my $pat = get_indexed_value($name, $pats, $req_idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content) // '';
        my $desc = "$name - response_body_$type - response is expected ($summary)";
        if ($type eq 'like') {
            like($content, qr/$pat/s, $desc);
        } else {
            unlike($content, qr/$pat/s, $desc);
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $req_idx,
                 $repeated_req_idx, $dry_run);
    }
}

sub fmt_str ($) {
    my $str = shift;
    chomp $str;
    $str =~ s/"/\\"/g;
    $str =~ s/\r/\\r/g;
    $str =~ s/\n/\\n/g;
    return $str;
}

# Section value -> list of patterns: text gives one literal per line, a qr//
# or an array (eval) gives regexes and/or literals.
sub _patterns {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub _line_matches {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ /$pat/ : $line =~ /\Q$pat\E/;
}

# One subtest per pattern: each must match some line.
sub _check_log_has {
    my ($name, $pats, $lines, $what, $idx) = @_;
    my $req = defined $idx ? " (req $idx)" : '';
    my @pending = @{ _patterns($pats) };
    for my $line (@$lines) {
        for my $pat (@pending) {
            next unless defined $pat;
            if (_line_matches($line, $pat)) {
                pass("$name - pattern \"$pat\" matches a line in $what$req");
                undef $pat;
            }
        }
    }
    for my $pat (grep { defined } @pending) {
        fail("$name - pattern \"$pat\" should match a line in $what$req");
    }
}

# One passing subtest per pattern, or one failing subtest per matching line.
sub _check_log_lacks {
    my ($name, $pats, $lines, $what, $idx) = @_;
    my $req = defined $idx ? " (req $idx)" : '';
    my @pats = grep { defined } @{ _patterns($pats) };
    my %found;
    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@pats) {
            next unless _line_matches($line, $pat);
            Test::More->builder->no_ending(1) if $found{$pat}++;
            my @more = @$lines[$i + 1 .. min($i + 9, $#$lines)];
            fail("$name - pattern \"" . fmt_str($pat) . "\" should not match "
                 . "any line in $what but matches line \"" . fmt_str($line)
                 . "\"$req\n" . join('', @more));
        }
    }
    for my $pat (@pats) {
        next if $found{$pat};
        pass("$name - pattern \"" . fmt_str($pat) . "\" does not match a line "
             . "in $what$req");
    }
}

sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines;
    my %quiet;      # severities the block itself checks for

    my $grep_pats = $block->grep_error_log;
    if (defined $grep_pats) {
        my $grep_pat = ref $grep_pats eq 'ARRAY'
                       ? $grep_pats->[$repeated_req_idx] : $grep_pats;
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but --- "
                 . "grep_error_log is defined") unless defined $expected;
        $expected = $expected->[$repeated_req_idx] if ref $expected eq 'ARRAY';

        $lines ||= error_log_data() || [];
        my $matched = '';
        for my $line (@$lines) {
            if (ref $grep_pat ? $line =~ /$grep_pat/ : $line =~ /\Q$grep_pat\E/) {
                $matched .= "$&\n" if $& !~ /\n/;
            }
        }
        my $desc = "$name - grep_error_log_out (req $repeated_req_idx)";
        if (ref $expected eq 'Regexp') {
            like($matched, $expected, $desc);
        } else {
            is($matched, $expected, $desc);
        }
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but --- "
                 . "grep_error_log_out is defined");
    }

    for my $section (qw(error_log no_error_log)) {
        my $pats = $block->$section;
        next unless defined $pats;
        for my $sev (qw(alert crit emerg)) {
            $quiet{$sev} = 1 if _value_contains($pats, "[$sev");
        }
        $lines ||= error_log_data() || [];
        if ($section eq 'error_log') {
            _check_log_has($name, $pats, $lines, 'error.log', $repeated_req_idx);
        } else {
            _check_log_lacks($name, $pats, $lines, 'error.log', $repeated_req_idx);
        }
    }

    # like the CPAN module: warn (but do not fail) on serious log entries
    $lines ||= error_log_data() || [];
    for my $line (@$lines) {
        for my $sev (qw(alert crit emerg)) {
            warn "WARNING: $name - " . fmt_str($line) . "\n"
                if !$quiet{$sev} && $line =~ /\[$sev\]/;
        }
        if ($line =~ /\bAssertion .*?failed\b/) {
            Test::More->builder->no_ending(1);
            chomp(my $l = $line);
            fail("$name - $l\n");
        }
    }
}

sub check_shutdown_error_log ($$) {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my @sections = grep { defined $block->$_ }
                   qw(no_shutdown_error_log shutdown_error_log);

    if ($dry_run) {
        my $n = 0;
        $n += @{ _patterns($block->$_) } for @sections;
        SKIP: { skip("$name - shutdown_error_log - tests skipped due to dry_run", $n) }
        return;
    }

    my $lines = error_log_data() || [];
    for my $section (@sections) {
        if ($section eq 'shutdown_error_log') {
            _check_log_has($name, $block->$section, $lines, 'error.log');
        } else {
            _check_log_lacks($name, $block->$section, $lines, 'error.log');
        }
    }
}

sub _value_contains {
    my ($val, $pat) = @_;
    return $val =~ /\Q$pat\E/ if !ref $val || ref $val eq 'Regexp';
    if (ref $val eq 'ARRAY') {
        _value_contains($_, $pat) && return 1 for @$val;
    }
    return 0;
}

sub check_access_log ($$) {
    my ($block, $repeated_req_idx) = @_;
    my $name = $block->name;
    my $lines;
    if (defined(my $pats = $block->access_log)) {
        $lines ||= access_log_data();
        _check_log_has($name, $pats, $lines, 'access.log', $repeated_req_idx);
    }
    if (defined(my $pats = $block->no_access_log)) {
        $lines ||= access_log_data();
        _check_log_lacks($name, $pats, $lines, 'access.log', $repeated_req_idx);
    }
}

1;

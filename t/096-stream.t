# Output of any size, streamed (issue 9, item 6): cweb_write/cweb_flush
# (chunked for HTTP/1.1, closed for HTTP/1.0, DATA frames for HTTP/2),
# cweb_stream() continuing a 100 MB answer in bounded memory for a slow
# client, cweb_send_file() in nginx's file buffers (ranges too),
# nginx's gzip on plugin answers and cweb_set_compression() off or at a
# level, a crash mid-stream cutting only that answer.

use Test::Nginx::Socket;
use FindBin;
use Time::HiRes ();
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan "no_plan";

our $H2 = main::free_port();
our $Lim = main::free_port();
our $Port = $ENV{TEST_NGINX_SERVER_PORT} || 1984;

our $Config = <<"C";
    listen 127.0.0.1:$H2 http2;
    location /mgnt { cweb_mgnt; }
    location / { cweb; }
C

# curl's output (body, or what -w asks for) of a URL of the test server
sub curl {
    my @args = @_;
    open my $fh, '-|', 'curl', '-s', '--max-time', '30', @args
        or die "curl: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    return $out;
}

# a 300,000-byte file of every byte value, for cweb_send_file()
our $Blob = "/tmp/cweb-t096-$$.bin";
our $BlobData = join("", map { chr($_ % 256) } 0 .. 299_999);
{
    open my $fh, '>', $Blob or die "cannot write $Blob: $!";
    print $fh $BlobData;
    close $fh;
    chmod 0644, $Blob;
}
our $Empty = "/tmp/cweb-t096-$$.empty";
{
    open my $fh, '>', $Empty or die "cannot write $Empty: $!";
    close $fh;
    chmod 0644, $Empty;
}
END { unlink $Blob if defined $Blob; unlink $Empty if defined $Empty }

sub rss {
    open my $fh, '<', "/proc/$_[0]/status" or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return 0;
}

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy the stream plugin (gzip on for text/plain here; a
second server with limit_rate)
--- http_config eval
"    gzip on;
    gzip_types text/plain;
    gzip_min_length 100;
    server {
        listen 127.0.0.1:$::Lim;
        limit_rate 1m;
        location / { cweb; }
    }
"
--- config eval: $::Config
--- request eval
::deploy("stream.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: writes, then what res->body holds, chunked for HTTP/1.1
--- reuse
--- request
GET /st/small
--- response_body
hello world!
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- no_error_log
[error]



=== TEST 3: ... for HTTP/1.0 the connection's end ends it; a HEAD gets
the header only
--- reuse
--- request eval
["GET /st/small HTTP/1.0", "HEAD /st/small"]
--- response_body eval
["hello world!\n", ""]
--- response_headers eval
["!Transfer-Encoding", "!Content-Length"]
--- no_error_log
[error]



=== TEST 4: cweb_stream(): 100 MB in 64 KB calls to a client reading at
40 MB/s; the worker's memory stays within 8 MB of where it was
--- reuse
--- init
my ($w) = main::started_worker_pids();
my $before = main::rss($w);
my $out = "/tmp/cweb-t096-$$.out";
my $pid = main::background("sh", "-c",
    "curl -s --limit-rate 40M http://127.0.0.1:$main::Port/st/big?mb=100 | wc -c > $out");
my $max = $before;
for (1 .. 40) {
    select(undef, undef, undef, 0.1);
    my $now = main::rss($w);
    $max = $now if $now > $max;
}
waitpid $pid, 0;
open my $fh, '<', $out or die "no output\n";
my $n = <$fh>;
$n =~ s/\s+//g;
unlink $out;
die "100 MB expected, got $n bytes\n" unless $n == 104857600;
die "the worker grew from $before to $max kB while streaming\n"
    if $max - $before > 8192;
--- request
GET /st/small
--- response_body
hello world!
--- no_error_log
[error]



=== TEST 5: HTTP/2: the stream in DATA frames, whole
--- reuse
--- init
my $h = main::curl('--http2-prior-knowledge', '-o', '/dev/null',
    '-w', '%{http_version} %{http_code} %{size_download}',
    "http://127.0.0.1:$main::H2/st/big?mb=20");
die "HTTP/2 stream: $h\n" unless $h eq '2 200 20971520';
my $s = main::curl('--http2-prior-knowledge', "http://127.0.0.1:$main::H2/st/small");
die "HTTP/2 small: $s\n" unless $s eq "hello world!\n";
--- request
GET /st/small
--- response_body
hello world!
--- no_error_log
[error]



=== TEST 6: the whole file, from the start
--- reuse
--- request eval
"GET /st/file?p=$::Blob"
--- response_headers
Content-Length: 300000
Accept-Ranges: bytes
--- response_body eval
$::BlobData
--- no_error_log
[alert]



=== TEST 7: compression: nginx's gzip takes a plugin's text (streamed or
not); cweb_set_compression(res, 0, 0) keeps it off; level 9 is ours;
without Accept-Encoding nothing is compressed
--- reuse
--- init
my $u = "http://127.0.0.1:$main::Port";
# (application/json is not in gzip_types here: only our level compresses it)
for my $case (["/st/text", "gzip"], ["/st/plain", "gzip"],
              ["/st/text?z=0", ""], ["/st/plain?z=0", ""],
              ["/st/text?type=application/json", ""],
              ["/st/text?z=1&level=9&type=application/json", "gzip"],
              ["/st/plain?z=1&level=1&type=application/json", "gzip"],
              ["/st/plain?z=1&level=0&type=application/json", ""]) {
    my ($path, $want) = @$case;
    my $h = main::curl('-H', 'Accept-Encoding: gzip', '-o', '/dev/null',
                       '-D', '-', "$u$path");
    my ($got) = $h =~ /^Content-Encoding: (\S+)\r$/mi;
    $got //= "";
    die "$path: Content-Encoding [$got], [$want] expected\n" unless $got eq $want;
    my $plain = main::curl("$u$path");
    my $unzipped = main::curl('-H', 'Accept-Encoding: gzip', '--compressed', "$u$path");
    die "$path: the compressed body is not the plain one\n"
        unless $plain eq $unzipped && length($plain) > 2000;
    my $h2 = main::curl('-o', '/dev/null', '-D', '-', "$u$path");
    die "$path: compressed for a client that did not ask\n"
        if $h2 =~ /^Content-Encoding/mi;
}
--- request
GET /st/text?z=1&level=9
--- response_body_like: \Aline 0000 of a text that compresses well, rc=0\n
--- no_error_log
[error]



=== TEST 8: limit_rate (its delay is the write event's timer): 2 MB at
1 MB/s arrive whole (the stream stalled for good)
--- reuse
--- init
my $r = main::curl('--max-time', '20', '-o', '/dev/null', '-w', '%{size_download}',
    "http://127.0.0.1:$main::Lim/st/big?mb=2");
die "2 MB expected under limit_rate, got $r\n" unless $r eq '2097152';
--- request
GET /st/small
--- response_body
hello world!
--- no_error_log
[error]



=== TEST 9: the 8 KB res->body of a call holds nothing of the last
call's: content_length past what was written sends zeros, never another
client's answer
--- reuse
--- request eval
["GET /st/misc?case=secret", "GET /st/misc?case=short"]
--- response_body eval
[("S" x 4000), "ok" . ("\0" x 98)]
--- no_error_log
[error]



=== TEST 10: an empty file: Content-Length 0, no "zero size buf" alert;
res->status 101 on a plain route is answered 500
--- reuse
--- request eval
["GET /st/file?p=$::Empty", "GET /st/misc?case=s101"]
--- error_code eval
[200, 500]
--- response_headers eval
["Content-Length: 0", ""]
--- no_error_log
[alert]
[error]



=== TEST 11: cweb_flush() sends the header: a header set after it is the
plugin's error, the answer goes on
--- reuse
--- request
GET /st/flush
--- response_body
ab flush=0 after=-1
--- response_headers
X-Before: yes
!X-After
--- error_log
cweb plugin "stream": cweb_response_header(): the header is already sent (the answer is being streamed)
--- no_error_log
[alert]



=== TEST 12: a file's range (nginx's range filter); a file that is not
there or no regular file is CWEB_DECLINED (the plugin answers 404)
--- reuse
--- request eval
["GET /st/file?p=$::Blob", "GET /st/file?p=/nonexistent", "GET /st/file?p=/tmp"]
--- more_headers eval
["Range: bytes=256-263", "", ""]
--- error_code eval
[206, 404, 404]
--- response_body eval
["\x00\x01\x02\x03\x04\x05\x06\x07", "no file (-5)\n", "no file (-5)\n"]
--- response_headers eval
["Content-Range: bytes 256-263/300000", "", ""]
--- no_error_log
[alert]



=== TEST 13: a relative path is the plugin's error
--- reuse
--- request
GET /st/file?p=relative.txt
--- error_code: 404
--- response_body
no file (-1)
--- error_log
cweb plugin "stream": cweb_send_file(): an absolute path is needed
--- no_error_log
[alert]



=== TEST 14: a level out of range is the plugin's error
--- reuse
--- request
GET /st/text?z=1&level=12
--- response_body_like: \Aline 0000 of a text that compresses well, rc=-1\n
--- error_log
cweb plugin "stream": cweb_set_compression(1, 12): the level is 1-9, or 0 for nginx's gzip settings
--- no_error_log
[alert]



=== TEST 15: a crash in the 20th call: that answer is cut short (no
chunked end), the fault is counted, the worker is replaced and serves on
--- reuse
--- init
my $r = main::curl('-o', '/dev/null', '-w', '%{http_code} %{size_download}',
    "http://127.0.0.1:$main::Port/st/big?mb=5&crash=20");
die "cut short expected: $r\n" unless $r =~ /^200 (\d+)$/ && $1 < 5 * 1024 * 1024;
--- request
GET /st/small
--- response_body
hello world!
--- error_log eval
[qr/cweb plugin "stream" version 1 route "GET \/st\/big" crashed \(SIGSEGV\): a fault, its answer cut short/,
 qr/cweb plugin "stream" version 1 faulted: SIGSEGV in GET \/st\/big/]
--- wait: 0.5



=== TEST 16: a bad header on a streamed answer: 500 before anything is
sent (the connection was dropped), without the good header before it
--- reuse
--- request
GET /st/misc?case=badhdr
--- error_code: 500
--- raw_response_headers_unlike: X-Evil|X-Good
--- error_log
response header "X-Bad" has a CR, LF or another byte not allowed there, not sent: answered 500
--- no_error_log
[alert]



=== TEST 17: res->body pointed at 10 bytes with a content_length of
256 MB: the copy is read as plugin code is, a fault (500, counted), not
the worker's death
--- reuse
--- request
GET /st/misc?case=foreign
--- error_code: 500
--- response_body_like: "error":"plugin fault"
--- error_log eval
qr/cweb plugin "stream" version 1 route "GET \/st\/misc" crashed \(SIGSEGV\): a fault, answered 500/
--- wait: 0.5



=== TEST 18: a server logging at notice (a debug line for every loop of
the next block's stream would fill the log)
--- log_level: notice
--- http_config
    gzip on;
--- config eval: $::Config
--- request eval
::deploy("stream.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 19: a stream function with nothing to say (CWEB_AGAIN, no
write) is called once a loop of the worker: other requests are answered
meanwhile (it was re-posted in the same pass, starving them)
--- reuse
--- init
my $out = "/tmp/cweb-t096-idle-$$.out";
my $pid = main::background("sh", "-c",
    "curl -s http://127.0.0.1:$main::Port/st/misc?case=idle\\&n=6000000 > $out");
select(undef, undef, undef, 0.2);
my $t0 = Time::HiRes::time();
my $small = main::curl('--max-time', '5', "http://127.0.0.1:$main::Port/st/small");
my $took = Time::HiRes::time() - $t0;
waitpid $pid, 0;
open my $fh, '<', $out or die "no idle output\n";
my $idle = <$fh> // '';
unlink $out;
die "idle stream: [$idle]\n" unless $idle eq "idle done\n";
die "a request during the idle stream: [$small] after $took s\n"
    unless $small eq "hello world!\n" && $took < 0.5;
--- request
GET /st/small
--- response_body
hello world!
--- no_error_log
[error]

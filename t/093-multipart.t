# Multipart parts (issue 9, item 4): every part of a multipart/form-data
# body with its name, file name, Content-Type and all its bytes (NUL
# bytes too), from a body in memory or spooled to a temp file (a 5 MB
# file part); req->data keeps the seed's C strings; cweb_form_max_parts
# and cweb_form_max_part_size answer 413 before the handler runs.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan "no_plan";

# a multipart body: [name, filename or undef, type or undef, bytes], ...
sub mp {
    my @parts = @_;
    my $body = "";
    for my $p (@parts) {
        my ($name, $file, $type, $data) = @$p;
        $body .= "--BoUnDaRy\r\nContent-Disposition: form-data; name=\"$name\""
               . (defined $file ? "; filename=\"$file\"" : "") . "\r\n"
               . (defined $type ? "Content-Type: $type\r\n" : "")
               . "\r\n$data\r\n";
    }
    return $body . "--BoUnDaRy--\r\n";
}

# 5 MB of every byte value, NULs included
our $Big = join("", map { chr($_ % 256) } 0 .. 255) x (5 * 4096);

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy the parts plugin (small limits here: 4 parts, 6 MB)
--- http_config
    cweb_form_max_parts 4;
    cweb_form_max_part_size 6m;
--- request eval
::deploy("parts.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: a text field, a binary file part with NUL bytes, an empty
file name; req->data cuts at the first NUL as the seed did
--- reuse
--- more_headers
Content-Type: multipart/form-data; boundary=BoUnDaRy
--- request eval
"POST /parts\n" . ::mp(["title", undef, undef, "hello"],
                      ["bin", "a.bin", "application/octet-stream", "ab\0cd\0\xff"],
                      ["empty", "", "text/plain", ""])
--- response_body
0 name=[title] file=[(none)] type=[(none)] len=5 nul=0 head=68656c6c6f tail=68656c6c6f data=5
1 name=[bin] file=[a.bin] type=[application/octet-stream] len=7 nul=2 head=616200636400ff tail=616200636400ff data=2
2 name=[empty] file=[] type=[text/plain] len=0 nul=0 head= tail= data=0
end rc=-5
--- no_error_log
[error]



=== TEST 3: by name: the first part of that name; none is CWEB_DECLINED
--- reuse
--- more_headers
Content-Type: multipart/form-data; boundary=BoUnDaRy
--- request eval
["POST /parts?name=f\n" . ::mp(["f", undef, undef, "one"], ["f", undef, undef, "two"]),
 "POST /parts?name=g\n" . ::mp(["f", undef, undef, "one"])]
--- response_body eval
["0 name=[f] file=[(none)] type=[(none)] len=3 nul=0 head=6f6e65 tail=6f6e65 data=3\nrc=0\n",
 "rc=-5\n"]
--- no_error_log
[error]



=== TEST 4: a 5 MB file part spooled to a temp file arrives whole
--- reuse
--- more_headers
Content-Type: multipart/form-data; boundary=BoUnDaRy
--- request eval
"POST /parts\n" . ::mp(["up", "big.bin", "application/octet-stream", $::Big])
--- response_body
0 name=[up] file=[big.bin] type=[application/octet-stream] len=5242880 nul=20480 head=0001020304050607 tail=f8f9fafbfcfdfeff data=0
end rc=-5
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[error]



=== TEST 5: not multipart, or a multipart body that does not parse: no
parts, the handler runs with its body
--- reuse
--- request eval
["POST /parts\na=1&b=2",
 "POST /parts\n--BoUnDaRy\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Content-Type: multipart/form-data; boundary=BoUnDaRy"]
--- response_body eval
["end rc=-5\n", "end rc=-5\n"]
--- no_error_log
[error]



=== TEST 6: more parts than cweb_form_max_parts: 413 before the handler
--- reuse
--- more_headers
Content-Type: multipart/form-data; boundary=BoUnDaRy
--- request eval
"POST /parts\n" . ::mp(map { ["p$_", undef, undef, "x"] } 1 .. 5)
--- error_code: 413
--- response_body
{"error":"form too large","module":"parts","version":1,"reason":"more than 4 parts (cweb_form_max_parts)"}
--- no_error_log
[alert]



=== TEST 7: a part over cweb_form_max_part_size: 413
--- reuse
--- more_headers
Content-Type: multipart/form-data; boundary=BoUnDaRy
--- request eval
"POST /parts\n" . ::mp(["a", undef, undef, "x"], ["b", "b.bin", undef, $::Big . $::Big])
--- error_code: 413
--- response_body
{"error":"form too large","module":"parts","version":1,"reason":"part 2 is 10485760 bytes, more than cweb_form_max_part_size (6291456)"}
--- no_error_log
[alert]



=== TEST 8: an urlencoded form of more fields than cweb_form_max_parts:
413 before the handler
--- reuse
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request
POST /parts
a=1&b=2&c=3&d=4&e=5
--- error_code: 413
--- response_body
{"error":"form too large","module":"parts","version":1,"reason":"more than 4 fields (cweb_form_max_parts)"}
--- no_error_log
[alert]

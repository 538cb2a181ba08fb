# A request is served entirely by the version current when it started; a
# retired version is unloaded only when its last user is done.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 14;

cweb_blocks();

our $port;

run_tests();

__DATA__

=== TEST 1: version 1 is live
--- request eval
[::deploy("hello.c", V => 1), "GET /hello"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"version":1,/, qr/^hello 1 /]
--- no_error_log
[error]



=== TEST 2: v2 deployed (and used) while a v1 request waits for its body
(v2's onload runs in the canary first, then in the worker)
--- reuse
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
my $src = "/tmp/cweb-t031-$$.c";
open my $fh, '>', $src or die; print $fh main::plugin_src("hello.c", V => 2);
close $fh;
main::background("sh", "-c", "sleep 0.5; curl -s --data-binary \@$src $url/mgnt;"
                 . " curl -s $url/hello; rm -f $src");
--- request eval
[["POST /hello/post\nab", {value => "cd", delay_before => 2.5}]]
--- timeout: 5
--- response_body
post 1 body=abcd
--- grep_error_log eval
qr/cweb plugin "hello" version 2 loaded|hello 2 (?:canary )?onload|hello 1 post handled|cweb plugin "hello" version 1 unloaded|hello 1 unload/
--- grep_error_log_out
hello 2 canary onload
hello 2 onload
cweb plugin "hello" version 2 loaded
hello 1 post handled
cweb plugin "hello" version 1 unloaded
hello 1 unload
--- no_error_log
[error]
[alert]



=== TEST 3: and then v2 serves
--- reuse
--- request
GET /hello
--- response_body_like eval
qr/^hello 2 pid=\d+ hits=2$/
--- no_error_log
[error]

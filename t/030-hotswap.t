# Hot swap across workers: once POST /mgnt has answered, the next request
# on any worker runs the new version; delete and version history.

BEGIN { $ENV{TEST_NGINX_REUSE_PORT} = 1 }   # both workers get connections

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(2);
plan tests => repeat_each() * 249;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: version 1 is served by both workers
--- request eval
[::deploy("hello.c", V => 1), ("GET /hello") x 20, "GET /hello/workers"]
--- error_code eval
[201, (200) x 21]
--- response_body_like eval
[qr/"version":1,.*"status":"created"/, (qr/^hello 1 pid=\d+ hits=\d+$/) x 20,
 qr/^1 served by 2$/]
--- no_error_log
[error]
[alert]



=== TEST 2: after the deploy answers, every request on every worker is v2
--- reuse
--- request eval
[::deploy("hello.c", V => 2), ("GET /hello") x 20, "GET /hello/workers"]
--- error_code eval
[200, (200) x 21]
--- response_body_like eval
[qr/"version":2,.*"status":"replaced"/, (qr/^hello 2 pid=\d+ hits=\d+$/) x 20,
 qr/^2 served by 2$/]
--- no_error_log
[error]
[alert]



=== TEST 3: delete unloads everywhere
--- reuse
--- request eval
["DELETE /mgnt/hello", ("GET /hello") x 6, "GET /mgnt", "GET /mgnt/hello",
 "DELETE /mgnt/hello"]
--- error_code eval
[200, (404) x 6, 200, 404, 404]
--- response_body_like eval
[qr/^\{"module":"hello","status":"deleted"\}$/, (qr/404 Not Found/) x 6,
 qr/^\{"modules":\[\]\}$/, qr/^\{"error":"no plugin \\"hello\\""\}$/,
 qr/^\{"error":"no plugin \\"hello\\""\}$/]
--- no_error_log
[error]
[alert]



=== TEST 4: a redeploy after delete gets the next version; history
--- reuse
--- request eval
[::deploy("hello.c", V => 1), "GET /hello", "GET /mgnt/hello"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[qr/"version":3,.*"status":"created"/, qr/^hello 1 /,
 qr/^\{"module":"hello","version":3,.*"versions":\[\{"version":3,"module_hash":"[0-9a-f]{64}","source_sha256":"[0-9a-f]{64}","compile_ms":\d+,"created_at":\d+,"stored":true,"quarantined":false\},\{"version":2,.*"stored":false,.*\},\{"version":1,.*"stored":false,.*\}\],"faults":\[\],"quarantine":null,"recent_faults":0\}$/]
--- no_error_log
[error]
[alert]



=== TEST 5: unknown method and bad names on /mgnt
--- reuse
--- request eval
["PUT /mgnt", "POST /mgnt/hello", "GET /mgnt/a/b"]
--- error_code eval
[405, 405, 400]
--- response_body eval
["{\"error\":\"use POST /mgnt, GET /mgnt[/<name>], DELETE /mgnt/<name> or POST /mgnt/<name>/rollback\"}\n",
 "{\"error\":\"use POST /mgnt, GET /mgnt[/<name>], DELETE /mgnt/<name> or POST /mgnt/<name>/rollback\"}\n",
 "{\"error\":\"invalid module name in the path\"}\n"]
--- no_error_log
[alert]



=== TEST 6: concurrent deploys on both workers: distinct plugins all land,
versions of one plugin are numbered uniquely and the newest wins
--- init
use File::Temp qw(tempdir);
my $dir = tempdir(CLEANUP => 1);
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt";
my @pids;
for my $i (1 .. 6) {
    my $src = main::plugin_src("hello.c", V => $i);
    $src =~ s/"hello"/"par$i"/; $src =~ s{"/hello}{"/par$i}g;
    open my $fh, '>', "$dir/p$i.c" or die; print $fh $src; close $fh;
    open $fh, '>', "$dir/h$i.c" or die;
    print $fh main::plugin_src("hello.c", V => $i); close $fh;
}
push @pids, main::background("curl", "-s", "--data-binary", "\@$dir/$_", $url)
    for map { ("p$_.c", "h$_.c") } 1 .. 6;
waitpid $_, 0 for @pids;
--- request eval
["GET /mgnt", "GET /mgnt/hello", "GET /par3/workers"]
--- response_body_like eval
[qr/^\{"modules":\[(?:\{"module":"(?:hello|par[1-6])",[^\]]*\],"websockets":\[\],"jobs":\[\],"compile_ms":\d+,"updated_at":\d+,"state":"active","name":"(?:hello|par[1-6])","author":"[^"]*","path":"[^"]*"\},?){7}\]\}$/,
 qr/^\{"module":"hello","version":6,.*"versions":\[\{"version":6,.*\},\{"version":5,.*\},\{"version":4,.*\},\{"version":3,.*\},\{"version":2,.*\},\{"version":1,.*\}\],"faults":\[\],.*\}$/,
 qr/^3 served by 0$/]
--- no_error_log
[error]
[alert]

# A worker killed (-9) while it holds the cluster-wide commit lock: the
# lock is taken over by the next deploy, which succeeds; the killed deploy
# never becomes live (version numbers are taken inside the commit's
# transaction, so it never had one and the next deploy is version 2).
#
# The commit is held open from outside: sqlite3 keeps an exclusive lock on
# cweb.db for 3 s, so the deploying worker waits inside its commit.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 13;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: version 1 is live
--- request eval
[::deploy("hello.c", V => 1), "GET /hello"]
--- error_code eval
[201, 200]
--- no_error_log
[error]



=== TEST 2: kill -9 during a commit; the next deploy takes the lock over
--- reuse
--- init
my $db = "$ENV{TEST_NGINX_SERVER_ROOT}/cweb_temp/cweb.db";
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt";
my $src = "$ENV{TEST_NGINX_SERVER_ROOT}/cweb_temp/h2.c";
open my $fh, '>', $src or die; print $fh main::plugin_src("hello.c", V => 2);
close $fh;
main::background("sh", "-c", "(echo 'BEGIN EXCLUSIVE;'; sleep 3;"
                 . " echo 'COMMIT;') | sqlite3 $db");
select(undef, undef, undef, 0.3);
main::background("curl", "-s", "--data-binary", "\@$src", $url);
select(undef, undef, undef, 1.0);          # compiled, waiting in the commit
kill 'KILL', main::worker_pids();
select(undef, undef, undef, 0.5);
--- request eval
[::deploy("hello.c", V => 3), "GET /hello", "GET /mgnt/hello"]
--- timeout: 10
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/"version":2,.*"status":"replaced"/, qr/^hello 3 /,
 qr/"version":2,.*"versions":\[\{"version":2,.*\},\{"version":1,.*\}\],"faults":\[\],.*\}$/]
--- no_error_log
[error]

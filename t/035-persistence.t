# Deployed plugins survive restart, nginx -s reload and kill -9 of a
# worker; cweb_purge_modules deletes compiled objects at shutdown and they
# are rebuilt from the stored sources at the next start.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

# the state dir lives outside the server root, which is wiped per block
$ENV{TEST_NGINX_CWEB_STATE} = "/tmp/ngx_cweb_t035_$$";
remove_tree($ENV{TEST_NGINX_CWEB_STATE});
END { remove_tree($ENV{TEST_NGINX_CWEB_STATE}) if $ENV{TEST_NGINX_CWEB_STATE} }

master_on();
workers(2);
plan tests => repeat_each() * 104 + 1;

cweb_blocks(module_dir => $ENV{TEST_NGINX_CWEB_STATE});

run_tests();

# objects of all but the 3 newest versions of a plugin are pruned
my @left = map { m{/(hello-v\d+)-} ? $1 : () }
           glob("$ENV{TEST_NGINX_CWEB_STATE}/so/hello-v*.so");
is("@left", "hello-v3 hello-v4 hello-v5", "old objects pruned, 3 kept");

__DATA__

=== TEST 1: deploy two plugins
--- request eval
[::deploy("hello.c", V => 1), ::deploy("echo.c"), "GET /hello"]
--- error_code eval
[201, 201, 200]
--- response_body_like eval
[qr/"created"/, qr/"created"/, qr/^hello 1 /]
--- no_error_log
[error]
[alert]



=== TEST 2: after a restart both are back (registry rebuilt from SQLite)
--- request eval
["GET /hello", "GET /echo?a=1", "GET /mgnt"]
--- response_body_like eval
[qr/^hello 1 /, qr/"params":\{"a":"1"\}/,
 qr/^\{"modules":\[\{"module":"echo","version":1,.*\},\{"module":"hello","version":1,.*\}\]\}$/]
--- no_error_log
[error]
[alert]



=== TEST 3: nginx -s reload keeps them (zone reused), and new deploys work
--- reuse
--- init
kill 'HUP', main::nginx_pid();
sleep 1;
--- request eval
["GET /hello", ::deploy("hello.c", V => 2), "GET /hello"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^hello 1 /, qr/"version":2,.*"replaced"/, qr/^hello 2 /]
--- no_error_log
[error]
[alert]



=== TEST 4: kill -9 of a worker: the respawned worker serves v2
--- reuse
--- init
my @w = main::worker_pids();
kill 'KILL', $w[0];
select(undef, undef, undef, 0.5);
--- request eval
[("GET /hello") x 10, "GET /hello/workers"]
--- response_body_like eval
[(qr/^hello 2 /) x 10, qr/^2 served by [123]$/]
--- no_error_log
[error]



=== TEST 5: cweb_purge_modules on: objects are deleted at shutdown
--- http_config
    cweb_purge_modules on;
--- request eval
["GET /hello", "GET /echo"]
--- response_body_like eval
[qr/^hello 2 /, qr/"method":"GET"/]
--- no_error_log
[error]



=== TEST 6: ... are rebuilt from the stored sources at the next start
--- request
GET /hello
--- response_body_like eval
qr/^hello 2 /
--- error_log
cweb plugin "hello" version 2: rebuilding
cweb plugin "echo" version 1: rebuilding
--- no_error_log
[alert]



=== TEST 7: ... with their history intact
--- reuse
--- request eval
["GET /echo", "GET /mgnt/hello"]
--- response_body_like eval
[qr/"method":"GET"/,
 qr/"version":2,.*"versions":\[\{"version":2,.*\},\{"version":1,.*\}\],"faults":\[\],.*\}$/]
--- no_error_log
[error]
[alert]



=== TEST 8: more versions; older objects are pruned (checked at the end)
--- reuse
--- request eval
[::deploy("hello.c", V => 3), ::deploy("hello.c", V => 4),
 ::deploy("hello.c", V => 5), "GET /hello"]
--- response_body_like eval
[qr/"version":3,/, qr/"version":4,/, qr/"version":5,/, qr/^hello 5 /]
--- no_error_log
[error]
[alert]

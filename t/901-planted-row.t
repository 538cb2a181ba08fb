# cweb.db can be written by the workers, so by any plugin: nothing read
# back from it may make nginx read or write a file it names.  Rows with a
# field not of the form ngx_cweb writes (a hash that is not 64 hex digits,
# an object name with a path in it, a manifest that does not parse) are
# refused with a CRIT line and skipped; so are a version outside
# 1..2^31-1 and a name that is not a plugin name even when the object name
# fits it (the row of "../evil5" would otherwise have its planted source
# compiled into so/../evil5-v1-....so, outside so/); a source planted as a
# symlink is never compiled.  The master never opens the database: the
# helper does, as the workers' user.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(make_path remove_tree);
use Digest::SHA qw(sha256_hex);
require "$FindBin::Bin/inc/cweb.pl";

my $state = "/tmp/ngx_cweb_t901_$$";
my $target = "/tmp/ngx_cweb_t901_target_$$";
remove_tree($state, $target);
make_path("$state/src", "$state/so", "$state/tmp", $target, { mode => 0700 });

# a root-only file a planted row points at
open my $fh, '>', "$target/secret" or die $!;
print $fh "the secret\n";
close $fh;
chmod 0600, "$target/secret";

my $hex = "0123456789abcdef" x 4;
my $src = "fedcba9876543210" x 4;
symlink "$target/secret", "$state/src/$src.c" or die $!;

# a regular source that compiles and declares the route its row names (the
# manifest as the canary writes it): only the name check keeps "../evil5"
# from being compiled and renamed to so/../evil5-v1-....so
my $evil5 = ::plugin_src("route_one.c", NAME => "evil5", METHOD => "GET",
                         PATH => "/evil5");
my $evil5_src = sha256_hex($evil5);
open $fh, '>', "$state/src/$evil5_src.c" or die $!;
print $fh $evil5;
close $fh;

my $m = "R GET /evil";
my $sql = <<"_SQL_";
CREATE TABLE modules (name TEXT PRIMARY KEY, version INTEGER NOT NULL,
  state TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE module_versions (name TEXT NOT NULL, version INTEGER NOT NULL,
  module_hash TEXT NOT NULL, source_sha256 TEXT NOT NULL,
  so_file TEXT NOT NULL, manifest TEXT NOT NULL, compile_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY (name, version));
INSERT INTO modules VALUES ('evil1', 1, 'active', 0), ('evil2', 1, 'active', 0),
  ('evil3', 1, 'active', 0), ('evil4', 1, 'active', 0),
  ('../evil5', 1, 'active', 0), ('evil6', 0, 'active', 0),
  ('evil7', 4294967296, 'active', 0);
INSERT INTO module_versions VALUES
  ('evil1', 1, '$hex', '../../../../$target/secret', 'evil1-v1-0123456789abcdef.so', '$m', 0, 0),
  ('evil2', 1, '$hex', '$src', '../../../$target/owned.so', '$m', 0, 0),
  ('evil3', 1, '$hex', '$src', 'evil3-v1-0123456789abcdef.so', 'R GET /evil3', 0, 0),
  ('evil4', 1, '$hex', '$src', 'evil4-v1-0123456789abcdef.so', 'R GET /jobs/x', 0, 0),
  ('../evil5', 1, '$hex', '$evil5_src', '../evil5-v1-0123456789abcdef.so', 'R GET /evil5' || char(10), 0, 0),
  ('evil6', 0, '$hex', '$src', 'evil6-v0-0123456789abcdef.so', 'R GET /evil6', 0, 0),
  ('evil7', 4294967296, '$hex', '$src', 'evil7-v4294967296-0123456789abcdef.so', 'R GET /evil7', 0, 0);
_SQL_
open my $sq, '|-', 'sqlite3', "$state/cweb.db" or die $!;
print $sq $sql;
close $sq or die "sqlite3 failed";

END { remove_tree($state, $target) if $state }

$ENV{TEST_NGINX_CWEB_STATE} = $state;
$ENV{TEST_NGINX_CWEB_TARGET} = $target;
$ENV{TEST_NGINX_CWEB_EVIL5_SRC} = $evil5_src;

master_on();
workers(1);
plan tests => repeat_each() * 44 + 5;

cweb_blocks(module_dir => $state);

run_tests();

__DATA__

=== TEST 1: every planted row is refused by the helper, with CRIT lines
--- init
# the helper reads the rows after start-up: slower under valgrind
select(undef, undef, undef, $ENV{TEST_NGINX_USE_VALGRIND} ? 5 : 0.5);
my $log = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log";
open my $fh, '<', $log or die $!;
my @crit = grep { /\[crit\] .*cweb database row/ } <$fh>;
close $fh;
my $master = main::nginx_pid();
my @by_master = grep { /\[crit\] $master#/ } @crit;
Test::More::is(scalar @crit, 6, "six rows refused");
Test::More::is(scalar @by_master, 0, "none of them by the master");
Test::More::ok(!-e "$ENV{TEST_NGINX_CWEB_TARGET}/owned.so",
               "nothing written where a row pointed");
--- request
GET /mgnt
--- response_body_like eval
qr/^\{"modules":\[\{"module":"evil3","version":1,.*"state":"unavailable","reason":"its object and its source are gone","name":"evil3","author":"[^"]*","path":"[^"]*"\}\]\}$/
--- error_log eval
[qr/\[crit\] .*cweb database row of plugin "evil1" version 1 is refused: a hash is not 64 hex digits/,
 qr/\[crit\] .*cweb database row of plugin "evil2" version 1 is refused: object name "\.\.\/\.\.\/\.\.\/.*owned\.so" is not "evil2-v1-0123456789abcdef\.so"/,
 qr/\[crit\] .*cweb database row of plugin "evil4" version 1 is refused: manifest refused: route path "\/jobs\/x" is under \/jobs, which the server owns/,
 qr/\[crit\] .*cweb database row of plugin "\.\.\/evil5" version 1 is refused: invalid plugin name/,
 qr/\[crit\] .*cweb database row of plugin "evil6" version 0 is refused: invalid version/,
 qr/\[crit\] .*cweb database row of plugin "evil7" version 4294967296 is refused: invalid version/,
 qr/\[crit\] .*cweb plugin "evil3" version 1: its object and its source are gone/]
--- no_error_log
rebuilding



=== TEST 2: the planted source (a symlink to a root-only file) was never
compiled or copied; the refused rows serve nothing
--- reuse
--- request eval
["GET /evil", "GET /evil3", "GET /jobs/x"]
--- error_code eval
[404, 503, 404]
--- response_body_like eval
[qr/404 Not Found/,
 qr/^\{"error":"plugin unavailable","module":"evil3","version":1,"reason":"its object and its source are gone"\}$/,
 qr/404 Not Found/]
--- no_error_log
the secret
cweb compile



=== TEST 3: real deploys still work next to the refused rows
--- reuse
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 201
--- response_body_like eval
qr/"version":1,.*"created"/



=== TEST 4: the row of "../evil5", whose object name fits that name, was
refused by the name check alone: its regular source was never compiled,
nothing was written outside so/ or where the rows point, and it serves
nothing; nor do the rows of versions 0 and 2^32
--- reuse
--- init
my $state = $ENV{TEST_NGINX_CWEB_STATE};
my @evil5 = map { glob("$_/*evil5*") } $state, "$state/so", "$state/tmp",
                                        "$state/..";
Test::More::is("@evil5", "", "no object of evil5 in the state directory or next to it");
my @target = glob("$ENV{TEST_NGINX_CWEB_TARGET}/*");
Test::More::is("@target", "$ENV{TEST_NGINX_CWEB_TARGET}/secret",
               "nothing written where a row pointed");
--- request eval
["GET /mgnt", "GET /evil5", "GET /evil6", "GET /evil7"]
--- error_code eval
[200, 404, 404, 404]
--- response_body_like eval
[qr/^\{"modules":\[\{"module":"evil3",(?:(?!"module").)*\},\{"module":"hello",(?:(?!"module").)*\}\]\}$/,
 qr/404 Not Found/, qr/404 Not Found/, qr/404 Not Found/]
--- no_error_log eval
[qr/cweb compile: pid \d+ ".*\Q$ENV{TEST_NGINX_CWEB_EVIL5_SRC}\E/,
 "rebuilding", "evil5-v1"]

# An upgrade of ngx_cweb to a build with another ABI or layout stamp: at
# the next start the helper finds, without loading them, the stored
# objects every worker's loader would refuse, and rebuilds them from their
# sources as it rebuilds missing ones (requests meanwhile wait, as for a
# missing object); without a source the version is unavailable, saying
# why.  An object with this server's stamp is kept as it is, also when
# its rows were written by an older schema (nothing of this is stored in
# the database: the stamp is read from the object's file).
#
# The runner gives no hook between a stop and the next start, so TEST 2
# replaces the objects under the running server (its worker keeps the ones
# it mapped) and TEST 3 is the next start.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

# the state dir lives outside the server root, which is wiped per block
my $state = "/tmp/ngx_cweb_t047_$$";
remove_tree($state);
END { remove_tree($state) if $state }

$ENV{TEST_NGINX_CWEB_STATE} = $state;

master_on();
workers(1);
plan tests => repeat_each() * 99 + 5;

cweb_blocks(module_dir => $state);

# the one stored object of plugin NAME version 1
sub object_of {
    my @so = glob("$ENV{TEST_NGINX_CWEB_STATE}/so/$_[0]-v1-*.so");
    die "not one object of $_[0]: @so" unless @so == 1;
    return $so[0];
}

# the stored source of plugin NAME version 1
sub source_of {
    my ($name) = @_;
    my $db = "$ENV{TEST_NGINX_CWEB_STATE}/cweb.db";
    my ($sha) = `sqlite3 $db "SELECT source_sha256 FROM module_versions WHERE name = '$name'"` =~ /^([0-9a-f]{64})$/m
        or die "no source of $name";
    return "$ENV{TEST_NGINX_CWEB_STATE}/src/$sha.c";
}

# plugin NAME's stored object replaced by one built from its stored source
# by CC (as another release of the host would have built it)
sub replace_object {
    my ($name, @cc) = @_;
    my $inc = "$ENV{TEST_NGINX_CWEB_ROOT}/include";
    my $so = object_of($name);
    my $tmp = "$ENV{TEST_NGINX_CWEB_STATE}/tmp/$name.foreign.so";
    system(@cc, "-std=gnu11", "-fPIC", "-shared", "-Wl,-Bsymbolic",
           "-I$inc", "-o", $tmp, source_of($name), "$inc/cweb_entry.c",
           qw(-ljansson -lsqlite3 -lssl -lcrypto -lm -lpthread)) == 0
        or die "cannot build the foreign object of $name";
    rename $tmp, $so or die "rename: $!";
}

run_tests();

# TEST 10 migrated the database of TEST 9 back to this build's schema
is(`sqlite3 $state/cweb.db "PRAGMA user_version"`, "2\n",
   "the database migrated to schema version 2");

__DATA__

=== TEST 1: deploy five plugins, each answers
--- request eval
[(map { ::deploy("route_one.c", NAME => $_, METHOD => "GET",
                 PATH => "/$_") } qw(upga upgj upgl upgs upgk)),
 "GET /upga", "GET /upgj", "GET /upgl", "GET /upgs", "GET /upgk"]
--- error_code eval
[201, 201, 201, 201, 201, 200, 200, 200, 200, 200]
--- response_body_like eval
[(qr/"created"/) x 5, qr/^upga \/upga$/, qr/^upgj \/upgj$/,
 qr/^upgl \/upgl$/, qr/^upgs \/upgs$/, qr/^upgk \/upgk$/]
--- no_error_log
[error]
[alert]



=== TEST 2: their objects are replaced by ones another build made: upga's
and upgs's against a cweb.h of ABI version 999, upgl's with a layout flag
(-fshort-enums); upgj's is cut short (its ELF header only); upgs's
source goes too; upgk's object stays
--- reuse
--- init
truncate(main::object_of("upgj"), 200) or die "truncate: $!";
main::replace_object("upga", "sh", "$ENV{TEST_NGINX_CWEB_PLUGINS}/oldabi-cc.sh");
main::replace_object("upgs", "sh", "$ENV{TEST_NGINX_CWEB_PLUGINS}/oldabi-cc.sh");
main::replace_object("upgl", "cc", "-fshort-enums");
unlink(main::source_of("upgs")) == 1 or die "cannot remove the source of upgs";
--- request
GET /upgk
--- response_body
upgk /upgk
--- no_error_log
[error]
[alert]



=== TEST 3: the next start rebuilds upga, upgj and upgl from their
sources, one after the other (the compiler takes 3 s: a request waits meanwhile, as for
a missing object), and keeps upgk's object
--- http_config
    cweb_cc $TEST_NGINX_CWEB_PLUGINS/slowcc.sh;
--- request
GET /upgl
--- timeout: 40
--- response_body
upgl /upgl
--- error_log eval
[qr/\[warn\] .*cweb plugin "upga" version 1: its object "upga-v1-[0-9a-f]+\.so" is not this server's: plugin ABI version 999, this server supports 2; rebuild it against this server's cweb\.h/,
 qr/\[warn\] .*cweb plugin "upgj" version 1: its object "upgj-v1-[0-9a-f]+\.so" is not this server's: not an ngx_cweb plugin \(no readable ABI stamp\)/,
 qr/\[warn\] .*cweb plugin "upgl" version 1: its object "upgl-v1-[0-9a-f]+\.so" is not this server's: plugin built with another layout of the shared structures: sizeof\(http_request_t\) is 72 in the plugin, 80 here/,
 'cweb plugin "upga" version 1: rebuilding',
 'cweb plugin "upgj" version 1: rebuilding',
 'cweb plugin "upgl" version 1: rebuilding',
 qr/cweb plugin "upga" version 1 rebuilt in \d+ ms/,
 qr/cweb plugin "upgj" version 1 rebuilt in \d+ ms/]
--- no_error_log
"upgk" version 1: its object
"upgk" version 1: rebuilding
could not be rebuilt
[error]
[alert]



=== TEST 4: ... upga answers from its rebuilt object; the helper, which
read the stamps, has no plugin object mapped (its canary child loads them)
--- reuse
--- init
if ($ENV{TEST_NGINX_USE_VALGRIND}) {
    Test::More::pass("the helper's title is valgrind's: not checked");
} else {
    my ($helper) = grep {
        open my $fh, '<', "/proc/$_/cmdline"; (<$fh> // '') =~ /cweb helper/
    } main::worker_pids();
    open my $maps, '<', "/proc/" . ($helper // 0) . "/maps"
        or die "no cweb helper: $!";
    my @so = grep { m{\Q$ENV{TEST_NGINX_CWEB_STATE}\E/(so|tmp)/} } <$maps>;
    Test::More::is("@so", "", "no plugin object mapped in the helper");
}
--- request
GET /upga
--- response_body
upga /upga
--- error_log eval
qr/cweb plugin "upgl" version 1 rebuilt in \d+ ms/
--- no_error_log
[error]
[alert]



=== TEST 5: ... upgj too
--- reuse
--- request
GET /upgj
--- response_body
upgj /upgj
--- no_error_log
[error]
[alert]



=== TEST 6: ... upgk from the object it had
--- reuse
--- request
GET /upgk
--- response_body
upgk /upgk
--- no_error_log
[error]
[alert]



=== TEST 7: ... and a version whose object is foreign and whose source is
gone is unavailable, saying why
--- reuse
--- request
GET /upgs
--- error_code: 503
--- response_body
{"error":"plugin unavailable","module":"upgs","version":1,"reason":"its object was built for another ABI of ngx_cweb and its source is gone"}
--- error_log eval
[qr/\[warn\] .*cweb plugin "upgs" version 1: its object "upgs-v1-[0-9a-f]+\.so" is not this server's: plugin ABI version 999/,
 qr/\[crit\] .*cweb plugin "upgs" version 1: its object was built for another ABI of ngx_cweb and its source is gone/]
--- no_error_log
[alert]



=== TEST 8: the rebuilt objects took the names their rows give, and the
start after is a plain one: nothing rebuilt
--- init
Test::More::ok(-f main::object_of($_), "one object of $_") for qw(upga upgj upgl);
--- request
GET /upga
--- response_body
upga /upga
--- no_error_log
"upga" version 1: its object
"upgj" version 1: its object
"upgl" version 1: its object
rebuilding
[error]
[alert]



=== TEST 9: the database is taken back to schema version 1 (as the first
release wrote it: no reason, pruned, quarantine columns)
--- reuse
--- init
my $db = "$ENV{TEST_NGINX_CWEB_STATE}/cweb.db";
system("sqlite3", $db, "ALTER TABLE modules DROP COLUMN reason;"
       . " ALTER TABLE module_versions DROP COLUMN pruned;"
       . " ALTER TABLE module_versions DROP COLUMN quarantined_at;"
       . " ALTER TABLE module_versions DROP COLUMN quarantine_reason;"
       . " PRAGMA user_version = 1;") == 0 or die "cannot downgrade $db";
--- request
GET /upgk
--- response_body
upgk /upgk
--- no_error_log
[alert]



=== TEST 10: ... at the next start its rows are migrated and the objects
with this server's stamp are loaded as they are, none rebuilt
--- request
GET /upgk
--- response_body
upgk /upgk
--- no_error_log
"upgk" version 1: its object
"upga" version 1: its object
rebuilding
[error]
[alert]



=== TEST 11: ... the others too
--- reuse
--- request
GET /upgl
--- response_body
upgl /upgl
--- no_error_log
[error]
[alert]

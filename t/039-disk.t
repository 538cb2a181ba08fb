# State on disk: tmp/ is swept at start of what dead processes left there;
# deleting a plugin removes the objects and sources of all its versions,
# pruning those of old versions (a source another stored version still
# uses stays); every rename a commit depends on, every unlink of a prune
# or a delete and the rename of an object the helper rebuilt are followed
# by an fsync of the directory that holds it.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(make_path remove_tree);
use POSIX ();
require "$FindBin::Bin/inc/cweb.pl";

my $state = "/tmp/ngx_cweb_t039_$$";
remove_tree($state);
make_path("$state/tmp", { mode => 0700 });

# files a killed upload left behind, files of live processes, junk
my $dead = fork() // die;
POSIX::_exit(0) if $dead == 0;
waitpid $dead, 0;
my %tmp = (
    "0123456789abcdef.$dead.3.so" => 0,
    ("ab" x 32) . ".$dead.c" => 0,
    "0123456789abcdef.$$.1.so" => 1,
    "junk-old" => 0,
    "junk-new" => 1,
);
for my $f (keys %tmp) {
    open my $fh, '>', "$state/tmp/$f" or die $!;
    close $fh;
}
my $old = time - 7200;
utime $old, $old, "$state/tmp/junk-old";

END { remove_tree($state) if $state }

$ENV{TEST_NGINX_CWEB_STATE} = $state;

master_on();
workers(1);
plan tests => repeat_each() * 20 + 24;

cweb_blocks(module_dir => $state);

sub files { my ($sub, $re) = @_; return sort grep { /$re/ } map { s{.*/}{}r } glob("$ENV{TEST_NGINX_CWEB_STATE}/$sub/*") }

# POST plugin route_one.c as NAME with the one route GET PATH; the answer
sub deploy_one {
    my ($name, $path) = @_;
    my $f = "$ENV{TEST_NGINX_SERVER_ROOT}/html/$name.c";
    open my $fh, '>', $f or die;
    print $fh plugin_src("route_one.c", NAME => $name, METHOD => "GET",
                         PATH => $path);
    close $fh;
    return `curl -s --data-binary \@$f http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt`;
}

# the cweb helper (a child of the master), by what error.log says of it
# (t/inc/cweb.pl): valgrind hides its title, and makes it slow to start
sub helper_pid { wait_for(10, sub { (helper_pids())[0] }) }

# strace -f of PID for the syscalls in TRACE while CODE runs: the lines
sub strace_during {
    my ($pid, $trace, $code) = @_;
    my $out = "$ENV{TEST_NGINX_SERVER_ROOT}/html/strace.$pid.out";
    my $st = background("strace", "-f", "-y", "-qq", "-o", $out,
                        "-e", "trace=$trace", "-p", $pid);
    select(undef, undef, undef, 0.7);
    $code->();
    select(undef, undef, undef, 0.3);
    kill 'INT', $st;
    waitpid $st, 0;
    open my $fh, '<', $out or die "no strace output: $!";
    my @calls = <$fh>;
    close $fh;
    return @calls;
}

run_tests();

__DATA__

=== TEST 1: at start, tmp/ keeps only files of live processes and recent ones
--- init
select(undef, undef, undef, 0.5);
my @left = main::files("tmp", qr/./);
Test::More::is("@left", join(' ', sort("0123456789abcdef.$$.1.so", "junk-new")),
               "tmp/ swept: dead pids and old junk gone");
--- request
GET /mgnt
--- response_body
{"modules":[]}
--- error_log eval
qr/cweb removed 3 files left in ".*\/tmp"/



=== TEST 2: every rename of a commit is followed by an fsync of its
directory (strace on the worker, whose pool thread commits)
--- reuse
--- init
my ($worker) = main::started_worker_pids();
my $out = "$ENV{TEST_NGINX_SERVER_ROOT}/html/strace.out";
my $st = main::background("strace", "-f", "-y", "-qq", "-o", $out,
                          "-e", "trace=rename,renameat,renameat2,fsync",
                          "-p", $worker);
select(undef, undef, undef, 0.7);
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt";
open my $fh, '>', "$ENV{TEST_NGINX_SERVER_ROOT}/html/p1.c" or die;
print $fh main::plugin_src("faulty.c", NAME => "diskp", V => 1);
close $fh;
system("curl -s -o /dev/null --data-binary \@$ENV{TEST_NGINX_SERVER_ROOT}/html/p1.c $url");
select(undef, undef, undef, 0.3);
kill 'INT', $st;
waitpid $st, 0;
open $fh, '<', $out or die "no strace output: $!";
my @calls = <$fh>;
close $fh;
my ($ren) = grep { $calls[$_] =~ /rename.*\/tmp\/.*\/so\/diskp-v1-/ } 0 .. $#calls;
Test::More::ok(defined $ren, "the object is renamed into so/");
my @after = defined $ren ? @calls[$ren .. $#calls] : ();
Test::More::ok((grep { /fsync\(\d+<[^>]*\/so>\)/ } @after), "so/ fsync()ed after it");
Test::More::ok((grep { /fsync\(\d+<[^>]*\/src>\)/ } @after), "src/ fsync()ed too");
my ($from) = defined $ren ? $calls[$ren] =~ /"([^"]*\/tmp\/[^"]*)"/ : ();
Test::More::ok(defined $from && (grep { /fsync\(\d+<\Q$from\E>\)/ } @calls[0 .. $ren]),
               "the object itself fsync()ed, before it takes its name");
--- request
GET /diskp/ok
--- response_body_like eval
qr/^diskp 1 ok /



=== TEST 3: pruning: with four versions the oldest loses its object and
its source; a source a stored version shares stays
--- reuse
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt";
my %sha;
for my $v (2, 3, 1, 4) {
    my $f = "$ENV{TEST_NGINX_SERVER_ROOT}/html/p$v.c";
    open my $fh, '>', $f or die;
    print $fh main::plugin_src("faulty.c", NAME => "diskp", V => $v);
    close $fh;
    my $a = `curl -s --data-binary \@$f $url`;
    ($sha{$v}) = $a =~ /"source_sha256":"([0-9a-f]{64})"/;
}
# versions 1..5 hold sources 1 2 3 1 4: version 1 and 2 are pruned; the
# source of 1 stays (version 4 uses it), the one of 2 goes
my @so = main::files("so", qr/^diskp-/);
Test::More::is(join(' ', map { /-v(\d+)-/ } @so), "3 4 5", "objects of 3, 4, 5 kept");
Test::More::ok(-e "$ENV{TEST_NGINX_CWEB_STATE}/src/$sha{1}.c", "shared source kept");
Test::More::ok(!-e "$ENV{TEST_NGINX_CWEB_STATE}/src/$sha{2}.c", "pruned source gone");
Test::More::ok(-e "$ENV{TEST_NGINX_CWEB_STATE}/src/$sha{4}.c", "active source kept");
--- request
GET /mgnt/diskp
--- response_body_like eval
qr/"versions":\[\{"version":5,[^}]*"stored":true[^}]*\},\{"version":4,[^}]*"stored":true[^}]*\},\{"version":3,[^}]*"stored":true[^}]*\},\{"version":2,[^}]*"stored":false[^}]*\},\{"version":1,[^}]*"stored":false/



=== TEST 4: delete removes every object and source of the plugin
--- reuse
--- init
my @src = main::files("src", qr/\.c$/);
Test::More::ok(@src > 0, "sources before");
--- request
DELETE /mgnt/diskp
--- response_body
{"module":"diskp","status":"deleted"}



=== TEST 5: ... nothing of it is left
--- reuse
--- init
my @so = main::files("so", qr/^diskp-/);
my @src = main::files("src", qr/\.c$/);
Test::More::is(scalar @so, 0, "no object left");
Test::More::is(scalar @src, 0, "no source left");
--- request
GET /mgnt/diskp
--- error_code: 404
--- response_body
{"error":"no plugin \"diskp\""}



=== TEST 6: pruning and delete: the unlinks in so/ are followed by an fsync
of so/ (strace on the worker)
--- reuse
--- init
main::deploy_one("diskq", "/diskq/$_") for 1 .. 3;
my @calls = main::strace_during((main::started_worker_pids())[0],
                                "unlink,unlinkat,fsync", sub {
    main::deploy_one("diskq", "/diskq/4");      # prunes version 1
    system("curl -s -o /dev/null -X DELETE "
           . "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt/diskq");
});
my $so = qr/fsync\(\d+<[^>]*\/so>\)/;
my ($pruned) = grep { $calls[$_] =~ /unlink.*\/so\/diskq-v1-/ } 0 .. $#calls;
my @deleted = grep { $calls[$_] =~ /unlink.*\/so\/diskq-v[234]-/ } 0 .. $#calls;
Test::More::ok(defined $pruned, "prune: the object of version 1 is unlinked");
Test::More::ok(defined $pruned && @deleted && $deleted[0] > $pruned
               && (grep { /$so/ } @calls[$pruned .. $deleted[0]]),
               "prune: so/ fsync()ed after it, before the delete");
Test::More::is(scalar @deleted, 3, "delete: the objects of versions 2-4 are unlinked");
Test::More::ok(@deleted && (grep { /$so/ } @calls[$deleted[-1] .. $#calls]),
               "delete: so/ fsync()ed after them");
my ($src) = reverse grep { $calls[$_] =~ /unlink.*\/src\/[0-9a-f]{64}\.c"/ } 0 .. $#calls;
Test::More::ok(defined $src && (grep { /fsync\(\d+<[^>]*\/src>\)/ } @calls[$src .. $#calls]),
               "delete: src/ fsync()ed after its unlinks");
# for TEST 7: a plugin whose object is gone when nginx next starts
main::deploy_one("diskr", "/diskr") =~ /"created"/ or die "diskr not deployed";
unlink(glob("$ENV{TEST_NGINX_CWEB_STATE}/so/diskr-v1-*.so")) == 1 or die "no object";
--- request
GET /mgnt/diskq
--- error_code: 404
--- response_body
{"error":"no plugin \"diskq\""}



=== TEST 7: an object the helper rebuilds (deleted before the restart) is
renamed into so/, then so/ is fsync()ed (strace on the helper; the compiler
takes 3 s)
--- http_config
    cweb_cc $TEST_NGINX_CWEB_PLUGINS/slowcc.sh;
--- init
my $helper = main::helper_pid();
Test::More::ok(defined $helper, "the cweb helper is running");
my $log = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log";
my $rebuilt;
my @calls = main::strace_during($helper // 0,
                                "rename,renameat,renameat2,fsync", sub {
    for (1 .. 100) {
        open my $fh, '<', $log or die $!;
        last if $rebuilt = grep { /cweb plugin "diskr" version 1 rebuilt in/ } <$fh>;
        select(undef, undef, undef, 0.1);
    }
});
Test::More::ok($rebuilt, "diskr version 1 rebuilt");
my ($ren) = grep { $calls[$_] =~ /rename.*\/tmp\/.*\/so\/diskr-v1-/ } 0 .. $#calls;
Test::More::ok(defined $ren, "the rebuilt object is renamed into so/");
Test::More::ok(defined $ren && (grep { /fsync\(\d+<[^>]*\/so>\)/ } @calls[$ren .. $#calls]),
               "so/ fsync()ed after it");
my ($from) = defined $ren ? $calls[$ren] =~ /"([^"]*\/tmp\/[^"]*)"/ : ();
Test::More::ok(defined $from && (grep { /fsync\(\d+<\Q$from\E>\)/ } @calls[0 .. $ren]),
               "the rebuilt object fsync()ed before it takes the name its row has");
# for TEST 8: a plugin whose object is gone and whose source now crashes in
# onload(), so its rebuild fails the canary
main::deploy_one("disks", "/disks") =~ /"created"/ or die "disks not deployed";
unlink(glob("$ENV{TEST_NGINX_CWEB_STATE}/so/disks-v1-*.so")) == 1 or die "no object";
my ($disks_src) = `sqlite3 $ENV{TEST_NGINX_CWEB_STATE}/cweb.db "SELECT source_sha256 FROM module_versions WHERE name = 'disks'"` =~ /^([0-9a-f]{64})$/m
    or die "no source of disks";
open my $src, '>', "$ENV{TEST_NGINX_CWEB_STATE}/src/$disks_src.c" or die $!;
print $src main::plugin_src("faulty.c", NAME => "disks", MODE => "ONLOAD_CRASH");
close $src;
--- request
GET /diskr
--- response_body
diskr /diskr
--- no_error_log
could not be rebuilt
[alert]



=== TEST 8: a rebuild that fails (here its canary) leaves nothing of its
compiler output in tmp/
--- init
my $log = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log";
my $failed;
for (1 .. 100) {
    open my $fh, '<', $log or die $!;
    last if $failed = grep { /cweb plugin "disks" version 1 could not be rebuilt/ } <$fh>;
    select(undef, undef, undef, 0.1);
}
Test::More::ok($failed, "the rebuild of disks failed");
my @left = main::files("tmp", qr/\.r\d+\.so$/);
Test::More::is("@left", "", "no rebuilt object left in tmp/");
--- request
GET /disks
--- error_code: 503
--- response_body
{"error":"plugin unavailable","module":"disks","version":1,"reason":"it could not be rebuilt: the rebuilt object failed its canary"}
--- error_log
cweb plugin "disks" version 1 could not be rebuilt: the rebuilt object failed its canary

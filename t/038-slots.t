# The shared registry has 256 slots; a slot is freed when its plugin is
# deleted and deleted plugins are not brought back at start, so any number
# of plugins may come and go over time.  A fault of a deleted plugin's code
# that comes late (a call still running when it was deleted) is not counted
# against the plugin that took its slot since, though both have version 1.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

$ENV{TEST_NGINX_CWEB_STATE} = "/tmp/ngx_cweb_t038_$$";
remove_tree($ENV{TEST_NGINX_CWEB_STATE});
END { remove_tree($ENV{TEST_NGINX_CWEB_STATE}) if $ENV{TEST_NGINX_CWEB_STATE} }

master_on();
workers(2);
plan tests => repeat_each() * 28 + 1;

cweb_blocks(module_dir => $ENV{TEST_NGINX_CWEB_STATE});

run_tests();

__DATA__

=== TEST 1: 300 distinct plugins deployed and deleted, three at a time
--- http_config
    cweb_cflags "-O0";
--- init
use File::Temp qw(tempdir);
my $dir = tempdir(CLEANUP => 1);
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt";
my $failed = 0;
for my $batch (0 .. 99) {
    my @pids;
    for my $i (map { $batch * 3 + $_ } 1 .. 3) {
        my $name = sprintf "s%03d", $i;
        my $src = main::plugin_src("hello.c", V => $i);
        $src =~ s/"hello"/"$name"/; $src =~ s{"/hello}{"/$name}g;
        open my $fh, '>', "$dir/$name.c" or die; print $fh $src; close $fh;
        push @pids, main::background("sh", "-c",
            "curl -sf -o /dev/null --data-binary \@$dir/$name.c $url"
            . " && curl -sf -o /dev/null -X DELETE $url/$name");
    }
    for (@pids) { waitpid $_, 0; $failed++ if $? }
}
Test::More::is($failed, 0, "300 deploys and deletes answered 2xx");
--- request eval
["GET /mgnt", ::deploy("hello.c", V => 1), "GET /hello", "GET /s300"]
--- timeout: 10
--- error_code eval
[200, 201, 200, 404]
--- response_body_like eval
[qr/^\{"modules":\[\]\}$/, qr/"module":"hello","version":1,.*"created"/,
 qr/^hello 1 /, qr/404 Not Found/]
--- no_error_log
registry is full
[alert]



=== TEST 2: after a restart only the live plugin is back
--- http_config
    cweb_cflags "-O0";
--- request eval
["GET /mgnt", "GET /hello"]
--- response_body_like eval
[qr/^\{"modules":\[\{"module":"hello","version":1,(?!.*"module":).*"state":"active","name":"hello","author":"[^"]*","path":"[^"]*"\}\]\}$/,
 qr/^hello 1 /]
--- no_error_log
[alert]



=== TEST 3: a call of plugin latea sleeps, then segfaults; meanwhile latea
is deleted and lateb (version 1 too) takes its slot: lateb is not charged
with the fault (with cweb_fault_limit 1 it would be quarantined)
--- http_config
    cweb_cflags "-O0";
    cweb_fault_limit 1;
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
my $html = "$ENV{TEST_NGINX_SERVER_ROOT}/html";
open my $fh, '>', "$html/latea.c" or die;
print $fh main::plugin_src("late.c", NAME => "latea", V => 1, MS => 1500);
close $fh;
open $fh, '>', "$html/lateb.c" or die;
print $fh main::plugin_src("route_one.c", NAME => "lateb", METHOD => "GET",
                           PATH => "/lateb");
close $fh;
`curl -s --data-binary \@$html/latea.c $url/mgnt` =~ /"version":1,.*"created"/
    or die "latea not deployed";
main::background("curl", "-s", "--max-time", "5", "$url/latea/sleepy");
select(undef, undef, undef, 0.4);
`curl -s -X DELETE $url/mgnt/latea` =~ /"deleted"/ or die "latea not deleted";
`curl -s --data-binary \@$html/lateb.c $url/mgnt` =~ /"version":1,.*"created"/
    or die "lateb not deployed";
select(undef, undef, undef, 2.0);
--- request
GET /lateb
--- response_body
lateb /lateb
--- error_log eval
qr/\[notice\] .*cweb fault in registry slot \d+ \(version 1\) is not recorded: the plugin that faulted was deleted/
--- no_error_log
quarantined



=== TEST 4: ... its history has no fault
--- reuse
--- request
GET /mgnt/lateb
--- response_body_like eval
qr/^\{"module":"lateb","version":1,.*"state":"active","versions":\[[^\]]*\],"faults":\[\],"quarantine":null,"recent_faults":0\}$/

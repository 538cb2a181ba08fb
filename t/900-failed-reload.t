# Regression: a reload that fails after the new cweb zone was set up (here:
# a listen that cannot bind) is rolled back; a worker respawned afterwards
# must use the live cycle's registry, not the rolled-back one (it answered
# 404 for every plugin route).

use Test::Nginx::Socket;
use FindBin;
use IO::Socket::INET;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 13;

cweb_blocks();

our $hold;

run_tests();

__DATA__

=== TEST 1: a plugin is live
--- request eval
[::deploy("hello.c", V => 1), "GET /hello"]
--- error_code eval
[201, 200]
--- no_error_log
[error]



=== TEST 2: failed reload (new zone size, a port in use), then kill -9
--- reuse
--- init
$main::hold = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 1) or die "listen: $!";
my $port = $main::hold->sockport;
my $conf = "$ENV{TEST_NGINX_SERVER_ROOT}/conf/nginx.conf";
open my $in, '<', $conf or die; local $/; my $c = <$in>; close $in;
$c =~ s/^http \{/http {\n    cweb_zone 2m;\n    server { listen 127.0.0.1:$port; }/m
    or die "no http block in $conf";
open my $out, '>', $conf or die; print $out $c; close $out;
kill 'HUP', main::nginx_pid();
sleep 4;                                 # nginx retries bind() for 2.5 s
kill 'KILL', main::worker_pids();
select(undef, undef, undef, 0.5);
--- request
GET /hello
--- response_body_like eval
qr/^hello 1 /
--- error_log
still could not bind()



=== TEST 3: ... and deploys keep working there
--- reuse
--- request eval
[::deploy("hello.c", V => 2), "GET /hello"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"version":2,.*"replaced"/, qr/^hello 2 /]
--- no_error_log
[error]

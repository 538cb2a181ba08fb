# cweb_compile_processes is the compiler's RLIMIT_NPROC.  The kernel does
# not apply it to root, so these workers run as nobody (as in production,
# where they run as the "user" of nginx.conf); it counts every process of
# that user, nginx's workers and the cweb helper included.

BEGIN { $ENV{TEST_NGINX_WORKER_USER} = "nobody nogroup" }

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

# the state directory where nobody can reach it (a server root may sit in
# a 0700 directory); nginx creates it, owned by the workers' user
my $state = "/tmp/ngx_cweb_t014_$$";
remove_tree($state);
END { remove_tree($state) if $state }

master_on();
workers(1);
plan tests => repeat_each() * 7;

cweb_blocks(module_dir => $state);

run_tests();

__DATA__

=== TEST 1: the default leaves room to compile
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: cweb_compile_processes 1: the compiler cannot start its passes
(cc1, as, ld), the upload is refused
--- http_config
    cweb_compile_processes 1;
--- request eval
::deploy("hello.c", V => 2)
--- error_code: 422
--- response_body_like: ^\{"error":"compile failed",.*"output":"[^"]*(?:fork|Resource temporarily unavailable)
--- error_log
cweb compile of "module.c" failed



=== TEST 3: ... and nothing was published: version 1 serves
--- reuse
--- request
GET /hello
--- response_body_like: ^hello 1 

# The management locations are a property of the running configuration:
# a route under one is refused when a version is deployed, but a version
# stored before the location was added is still restored (its routes there
# are simply never served) instead of being dropped as a damaged row.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 21;

# a state directory that survives the configuration change between blocks
my $state = "/tmp/ngx_cweb_t056_$$";
remove_tree($state);
END { remove_tree($state) if $state }

our $Admin = <<'_EOC_';
    location /mgnt {
        cweb_mgnt;
    }
    location /adm {
        cweb_mgnt;
    }
    location / {
        cweb;
    }
_EOC_

cweb_blocks(module_dir => $state);

sub route_adm {
    return ::deploy("route_one.c", NAME => "route_adm", METHOD => "GET",
                    PATH => "/adm/x");
}

run_tests();

__DATA__

=== TEST 1: without a management location at /adm, /adm/x is a route
--- request eval
[::route_adm(), "GET /adm/x"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"created"/, qr{^route_adm /adm/x$}]
--- no_error_log
[error]



=== TEST 2: /adm becomes a management location: the stored version is
restored all the same (listed, no row refused)
--- config eval
$::Admin
--- request
GET /mgnt
--- response_body_like: "module":"route_adm","version":1,.*"state":"active"
--- no_error_log
[crit]
[error]



=== TEST 3: ... but a new version with that route is refused
--- config eval
$::Admin
--- request eval
::route_adm() . "/* version 2 */\n"
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/adm/x\" is under the management location \"/adm\", where it is never served"}



=== TEST 4: version 2 moves the route out from under /adm; a rollback to
version 1 is refused: its route would be under the management location
--- config eval
$::Admin
--- request eval
[::deploy("route_one.c", NAME => "route_adm", METHOD => "GET",
          PATH => "/other/y"),
 "POST /mgnt/route_adm/rollback\n{\"version\": 1}", "GET /other/y"]
--- error_code eval
[200, 409, 200]
--- response_body_like eval
[qr/"version":2,.*"replaced"/,
 qr/^\{"error":"route path \\"\/adm\/x\\" is under the management location \\"\/adm\\", where it is never served"\}$/,
 qr{^route_adm /other/y$}]
--- no_error_log
[alert]

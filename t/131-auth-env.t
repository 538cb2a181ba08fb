# CWEB_ADMIN_KEY in the master's environment is the admin key when
# cweb_admin_key is not set; the directive wins over it.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

BEGIN { $ENV{CWEB_ADMIN_KEY} = "from-env-key" }

plan tests => repeat_each() * 8;

cweb_blocks(dev => 0);

run_tests();

__DATA__

=== TEST 1: the environment's key is required
--- more_headers eval
["", "X-API-Key: from-env-key"]
--- pipelined_requests eval
["GET /mgnt", "GET /mgnt"]
--- error_code eval
[401, 200]
--- no_error_log
[error]



=== TEST 2: cweb_admin_key overrides the environment
--- http_config
    cweb_admin_key conf-key;
--- more_headers eval
["X-API-Key: from-env-key", "X-API-Key: conf-key"]
--- pipelined_requests eval
["GET /mgnt", "GET /mgnt"]
--- error_code eval
[401, 200]
--- no_error_log
[error]

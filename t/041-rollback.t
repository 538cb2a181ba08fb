# Quarantine is persistent: a restart does not bring the faulty version
# back.  A new deploy lifts it.  POST /mgnt/<name>/rollback re-activates a
# stored earlier version on every worker without a compile, also across a
# restart; refusals are JSON.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

# the state dir lives outside the server root, which is wiped per block
$ENV{TEST_NGINX_CWEB_STATE} = "/tmp/ngx_cweb_t041_$$";
remove_tree($ENV{TEST_NGINX_CWEB_STATE});
END { remove_tree($ENV{TEST_NGINX_CWEB_STATE}) if $ENV{TEST_NGINX_CWEB_STATE} }

master_on();
workers(2);
plan tests => repeat_each() * 120;

cweb_blocks(module_dir => $ENV{TEST_NGINX_CWEB_STATE});

sub lonely { return ::deploy("faulty.c", NAME => "lonely", V => $_[0]) }

our $Quarantined = '{"error":"plugin unavailable","module":"lonely","version":1,"reason":"version 1 quarantined after 3 faults within 60000 ms"}' . "\n";

run_tests();

__DATA__

=== TEST 1: the only version of a plugin faults three times
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::lonely(1), ("GET /lonely/crash") x 3]
--- error_code eval
[201, 500, 500, 500]



=== TEST 2: its routes answer 503 JSON with the reason
--- reuse
--- init
select(undef, undef, undef, 0.5);
--- request eval
["GET /lonely/ok", "GET /lonely/ok", "GET /mgnt"]
--- error_code eval
[503, 503, 200]
--- response_body_like eval
[qr/^\Q$::Quarantined\E$/, qr/^\Q$::Quarantined\E$/,
 qr/^\{"modules":\[\{"module":"lonely","version":1,.*"state":"unavailable","reason":"version 1 quarantined after 3 faults within 60000 ms","name":"lonely","author":"[^"]*","path":"[^"]*"\}\]\}$/]



=== TEST 3: after a restart it is still quarantined
--- http_config
    cweb_handler_timeout 1s;
--- request eval
["GET /lonely/ok", "GET /mgnt/lonely"]
--- error_code eval
[503, 200]
--- response_body_like eval
[qr/^\Q$::Quarantined\E$/,
 qr/"state":"unavailable".*"quarantine":\{"version":1,"at":\d+,"reason":"version 1 quarantined after 3 faults within 60000 ms"\}/]
--- no_error_log
[alert]



=== TEST 4: a rollback has nothing to go back to
--- reuse
--- request eval
["POST /mgnt/lonely/rollback", "POST /mgnt/lonely/rollback\n{\"version\": 1}",
 "POST /mgnt/nosuch/rollback", "POST /mgnt/lonely/rollback\n{\"version\": 7}",
 "POST /mgnt/lonely/rollback\nnonsense", "POST /mgnt/lonely/rollback\n{\"version\": -1}",
 "GET /mgnt/lonely/rollback", "POST /mgnt/lonely/undo"]
--- error_code eval
[409, 409, 404, 404, 400, 400, 405, 400]
--- response_body eval
["{\"error\":\"plugin \\\"lonely\\\" has no earlier good version stored\"}\n",
 "{\"error\":\"version 1 of \\\"lonely\\\" is quarantined\"}\n",
 "{\"error\":\"no plugin \\\"nosuch\\\"\"}\n",
 "{\"error\":\"plugin \\\"lonely\\\" has no version 7\"}\n",
 "{\"error\":\"the body must be empty or {\\\"version\\\": <a positive number>}\"}\n",
 "{\"error\":\"the body must be empty or {\\\"version\\\": <a positive number>}\"}\n",
 "{\"error\":\"use POST /mgnt, GET /mgnt[/<name>], DELETE /mgnt/<name> or POST /mgnt/<name>/rollback\"}\n",
 "{\"error\":\"invalid module name in the path\"}\n"]
--- no_error_log
[alert]



=== TEST 5: deploying a fixed version lifts the quarantine
--- reuse
--- request eval
[::lonely(2), "GET /lonely/ok", "GET /lonely/ok"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/"version":2,.*"status":"replaced"/, qr/^lonely 2 ok canary=0 /,
 qr/^lonely 2 ok canary=0 /]
--- no_error_log
[error]
[alert]



=== TEST 6: a third version, then back to the previous good one (2), by
hand; every worker serves it at once
--- reuse
--- request eval
[::lonely(3), "GET /lonely/ok", "POST /mgnt/lonely/rollback",
 ("GET /lonely/ok") x 4, "POST /mgnt/lonely/rollback\n{\"version\": 2}"]
--- error_code eval
[200, 200, 200, (200) x 4, 409]
--- response_body_like eval
[qr/"version":3,.*"replaced"/, qr/^lonely 3 ok /,
 qr/^\{"module":"lonely","version":2,"from":3,"status":"rolled back"\}$/,
 (qr/^lonely 2 ok canary=0 /) x 4,
 qr/^\{"error":"version 2 is already active"\}$/]
--- no_error_log
[error]
[alert]



=== TEST 7: a rollback survives a restart; and forward again to 3
--- http_config
    cweb_handler_timeout 1s;
--- request eval
["GET /lonely/ok", "GET /mgnt/lonely",
 "POST /mgnt/lonely/rollback\n{\"version\": 3}", "GET /lonely/ok"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^lonely 2 ok /, qr/^\{"module":"lonely","version":2,.*"state":"active"/,
 qr/^\{"module":"lonely","version":3,"from":2,"status":"rolled back"\}$/,
 qr/^lonely 3 ok /]
--- no_error_log
[error]
[alert]



=== TEST 8: only stored versions: with 5 versions, 1 and 2 are pruned
(3 objects are kept per plugin)
--- reuse
--- request eval
[::lonely(4), ::lonely(5), "POST /mgnt/lonely/rollback\n{\"version\": 2}",
 "POST /mgnt/lonely/rollback\n{\"version\": 3}", "GET /lonely/ok"]
--- error_code eval
[200, 200, 409, 200, 200]
--- response_body_like eval
[qr/"version":4,/, qr/"version":5,/,
 qr/^\{"error":"version 2 of \\"lonely\\" is no longer stored"\}$/,
 qr/^\{"module":"lonely","version":3,"from":5,"status":"rolled back"\}$/,
 qr/^lonely 3 ok /]
--- no_error_log
[error]
[alert]

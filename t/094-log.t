# cweb_log (issue 9, item 8): every AG_Web level onto nginx's error_log
# levels, with the plugin's name, and in a request with nginx's
# connection number and the request's context; error_log's threshold
# applies; AG_Web's query/worker/event levels tagged.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan "no_plan";

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy
--- request eval
::deploy("logger.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: every level in a request: nginx's level, "*<connection>",
the plugin, the text, then client and request (nginx writes no context
after a debug line); onload's line (the version is loaded at its first
request) has no connection: it is no request's
--- reuse
--- request
GET /log
--- response_body
logged
--- error_log eval
[qr/\[notice\] \d+#\d+: cweb plugin "logger": loaded in a worker$/,
 qr/\[emerg\] \d+#\d+: \*\d+ cweb plugin "logger": m-emerg, client: 127\.0\.0\.1, server: localhost, request: "GET \/log HTTP\/1\.1"/,
 qr/\[alert\] \d+#\d+: \*\d+ cweb plugin "logger": m-alert, client/,
 qr/\[crit\] \d+#\d+: \*\d+ cweb plugin "logger": m-crit, client/,
 qr/\[error\] \d+#\d+: \*\d+ cweb plugin "logger": m-err 4, client/,
 qr/\[warn\] \d+#\d+: \*\d+ cweb plugin "logger": m-warn, client/,
 qr/\[notice\] \d+#\d+: \*\d+ cweb plugin "logger": m-notice, client/,
 qr/\[info\] \d+#\d+: \*\d+ cweb plugin "logger": m-info, client/,
 qr/\[debug\] \d+#\d+: \*\d+ cweb plugin "logger": m-debug$/,
 qr/\[debug\] \d+#\d+: \*\d+ cweb plugin "logger": query: m-query$/,
 qr/\[error\] \d+#\d+: \*\d+ cweb plugin "logger": worker: m-worker, client/,
 qr/\[error\] \d+#\d+: \*\d+ cweb plugin "logger": event: m-event, client/,
 qr/\[error\] \d+#\d+: \*\d+ cweb plugin "logger": m-42, client/]



=== TEST 3: a server whose error_log threshold is warn
--- log_level: warn
--- request eval
::deploy("logger.c")
--- error_code: 201



=== TEST 4: ... what is below the threshold is not written
--- reuse
--- request
GET /log
--- response_body
logged
--- error_log eval
[qr/\[warn\] .*cweb plugin "logger": m-warn/,
 qr/\[error\] .*cweb plugin "logger": event: m-event/]
--- no_error_log
m-notice
m-info
m-debug
m-query
loaded in a worker

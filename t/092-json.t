# JSON answers (issue 9, item 5): cweb_json_answer() of any jansson
# value; routes flagged CWEB_JSON_STATUS answer {"code":0} or
# {"code":<rc>,"error":"<text>"} from the handler's return value, routes
# flagged CWEB_JSON wrap the handler's object with code (and error); the
# error text from cweb_set_error(), else the latest cweb_arg_*() failure;
# Content-Type set, text that is not UTF-8 kept JSON.  The blocks that
# make the plugin fail (error-log lines) come last.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan "no_plan";

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy the toolkit plugin
--- request eval
::deploy("toolkit.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: CWEB_JSON_STATUS: success is {"code":0}, whatever the body
--- reuse
--- request
GET /tk/js?case=ok
--- response_body
{"code":0}
--- response_headers
Content-Type: application/json
--- no_error_log
[error]



=== TEST 3: ... a failure carries the return value and cweb_set_error()'s
text (no error-log line: it is the answer)
--- reuse
--- request eval
["GET /tk/js?case=fail", "GET /tk/js?case=failcode"]
--- error_code eval
[200, 200]
--- response_body eval
["{\"code\":-1,\"error\":\"no such item 42\"}\n",
 "{\"code\":-7,\"error\":\"the handler failed\"}\n"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json"]
--- no_error_log
[error]



=== TEST 4: ... the latest typed argument's failure is the error text
--- reuse
--- request eval
["GET /tk/js?case=arg&n=9", "GET /tk/js?case=arg", "GET /tk/js?case=arg&n=3"]
--- response_body eval
["{\"code\":-1,\"error\":\"argument \\\"n\\\": out of range 1..5\"}\n",
 "{\"code\":-1,\"error\":\"argument \\\"n\\\": missing\"}\n",
 "{\"code\":0}\n"]
--- no_error_log
[error]



=== TEST 5: ... bytes that are not UTF-8 become "?", quotes are escaped,
the status is res->status's
--- reuse
--- request
GET /tk/js?case=utf8
--- error_code: 422
--- response_body
{"code":-1,"error":"bad ?? bytes \"quoted\" <b>"}
--- no_error_log
[error]



=== TEST 6: CWEB_JSON: the handler's object (cweb_json_answer()) with
"code" added (its own "code" overwritten, in its place)
--- reuse
--- request
GET /tk/jo?case=value
--- response_body
{"name":"café","list":[1,2],"code":0}
--- response_headers
Content-Type: application/json
--- no_error_log
[error]



=== TEST 7: ... on failure "code" and "error" added to what it built; an
empty body is {}
--- reuse
--- request eval
["GET /tk/jo?case=valuefail", "GET /tk/jo?case=fail"]
--- response_body eval
["{\"partial\":1,\"code\":-2,\"error\":\"half done\"}\n",
 "{\"code\":-1,\"error\":\"no such item 42\"}\n"]
--- no_error_log
[error]



=== TEST 8: ... an object the handler wrote into res->body
--- reuse
--- request
GET /tk/jo?case=text
--- response_body
{"from":"body","code":0}
--- no_error_log
[error]



=== TEST 9: cweb_json_answer() on a route without a flag: any value,
JSON's Content-Type; NULL is the plugin's error
--- reuse
--- request
GET /tk/any
--- response_body
["x",1]
--- response_headers
Content-Type: application/json
--- error_log
cweb plugin "toolkit": cweb_json_answer(): NULL value (a jansson constructor that failed?)
--- no_error_log
[alert]



=== TEST 10: CWEB_JSON: a success whose body is not a JSON object is
the plugin's fault: 500 and an error-log line
--- reuse
--- request eval
["GET /tk/jo?case=ok", "GET /tk/jo?case=notobject"]
--- error_code eval
[500, 500]
--- error_log
cweb plugin "toolkit" route "GET /tk/jo" (CWEB_JSON) answered a body that is not a JSON object: answered 500
--- no_error_log
[alert]



=== TEST 11: a route flag this host does not know, or both envelopes:
refused at deploy
--- reuse
--- request eval
[::deploy("json_flags.c", FLAGS => "0x1"),
 ::deploy("json_flags.c", FLAGS => "CWEB_JSON|CWEB_JSON_STATUS")]
--- error_code eval
[422, 422]
--- response_body eval
["{\"error\":\"invalid plugin\",\"reason\":\"route 0 has flags 0x1: known are CWEB_JSON_STATUS (0x100) or CWEB_JSON (0x200), one of them\"}\n",
 "{\"error\":\"invalid plugin\",\"reason\":\"route 0 has flags 0x300: known are CWEB_JSON_STATUS (0x100) or CWEB_JSON (0x200), one of them\"}\n"]
--- no_error_log
[alert]



=== TEST 12: cweb_write() on an envelope route is refused: the answer is
the envelope
--- reuse
--- request
GET /tk/js?case=write
--- response_body
{"code":-1,"error":"write=-1"}
--- error_log
cweb plugin "toolkit": cweb_write(): a CWEB_JSON or CWEB_JSON_STATUS route answers its envelope (cweb_json_answer())
--- no_error_log
[alert]

# Route paths: regexes refused at deploy time (backreferences, /jobs, the
# management location, judged by what they can match), conflicts between
# plugins, precedence, HEAD/404/405, the prefix index and the PCRE2 match
# limit.  The index is checked here for what it must not lose; what it
# saves (a miss does not walk every regex) is measured by bench/routes.
#
# Blocks with "--- reuse" run on the server of the block before them, and
# error.log is not cut between them: in each such chain the blocks that log
# [error] on purpose (409, 422) come after those asserting there is none.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 367;

cweb_blocks();

# plugin NAME with the one route METHOD PATH (t/plugins/route_one.c)
sub route_one {
    my ($name, $method, $path) = @_;
    $path =~ s/(["\\])/\\$1/g;
    return ::deploy("route_one.c", NAME => $name, METHOD => $method,
                    PATH => $path);
}

# plugin NAME with the one WebSocket path PATH (t/plugins/route_ws.c)
sub route_ws {
    my ($name, $path) = @_;
    return ::deploy("route_ws.c", NAME => $name, WS => $path);
}

# exponential backtracking for "/r/([a-z]*)*y": it has the "y" PCRE2 looks
# for before matching, then fails at the "!"
our $bomb = "/r/" . ("a" x 40) . "y!";
# ... short enough to end as a plain no-match under PCRE2's default match
# limit (10,000,000: up to 20 a's), not under ours (100,000: 14 a's and up)
our $bomb18 = "/r/" . ("a" x 18) . "y!";

run_tests();

__DATA__

=== TEST 1: overlapping routes inside one plugin are accepted, in order
--- request eval
::deploy("route_main.c", V => 1)
--- error_code: 201
--- response_body_like eval
qr/^\{"module":"route_main","version":1,.*"routes":\[\{"method":"GET","path":"\/rm\/item\/\[a-z\]\+"\},\{"method":"GET","path":"\/rm\/item\/new"\},\{"method":"POST","path":"\/rm\/item\/postonly"\},\{"method":"GET","path":"\/rm\/\.\*"\},\{"method":"GET","path":"\/rn\/\.\+"\},\{"method":"GET","path":"\/rn\/deep\/\[0-9\]\+"\},\{"method":"POST","path":"\/rp\/\[0-9\]\+"\},\{"method":"GET","path":"\/rh\/\[0-9\]\+"\},\{"method":"GET","path":"\/rx"\}\],.*"status":"created"\}$/
--- no_error_log
[error]
[alert]



=== TEST 2: an exact route beats a regex, even one declared before it
--- reuse
--- request eval
["GET /rm/item/new", "GET /rm/item/news"]
--- response_body eval
["exact-new 1 /rm/item/new\n", "item-az 1 /rm/item/news\n"]
--- no_error_log
[error]
[alert]



=== TEST 3: among regexes, declaration order, whatever their literal prefixes
--- reuse
--- request eval
["GET /rm/item/abc", "GET /rm/item/ABC", "GET /rn/deep/12"]
--- response_body eval
["item-az 1 /rm/item/abc\n", "rm-any 1 /rm/item/ABC\n",
 "rn-any 1 /rn/deep/12\n"]
--- no_error_log
[error]
[alert]



=== TEST 4: a GET route (exact or regex) answers HEAD, without the body
--- reuse
--- request eval
["HEAD /rm/item/new", "HEAD /rh/5"]
--- response_headers eval
["Content-Length: 25", "Content-Length: 11"]
--- response_body eval
["", ""]
--- no_error_log
[error]
[alert]



=== TEST 5: a path that exists for other methods only answers 405
--- reuse
--- request eval
["GET /rp/12", "HEAD /rp/12", "POST /rh/5", "DELETE /rm/item/postonly",
 "PUT /rx", "POST /rm/item/new"]
--- error_code eval
[405, 405, 405, 405, 405, 405]
--- response_body_like eval
[qr/<title>405 Not Allowed<\/title>/, qr/^$/,
 qr/<title>405 Not Allowed<\/title>/, qr/<title>405 Not Allowed<\/title>/,
 qr/<title>405 Not Allowed<\/title>/, qr/<title>405 Not Allowed<\/title>/]
--- no_error_log
[error]
[alert]



=== TEST 6: a path no route matches for any method answers 404
--- reuse
--- request eval
["GET /rp/abc", "GET /rn/", "GET /rh/5x", "GET /nothing", "POST /rp/abc"]
--- error_code eval
[404, 404, 404, 404, 404]
--- response_body_like eval
[qr/<title>404 Not Found<\/title>/, qr/<title>404 Not Found<\/title>/,
 qr/<title>404 Not Found<\/title>/, qr/<title>404 Not Found<\/title>/,
 qr/<title>404 Not Found<\/title>/]
--- no_error_log
[error]
[alert]



=== TEST 7: an exact path served for POST only: POST gets it, GET the regex
--- reuse
--- request eval
["POST /rm/item/postonly", "GET /rm/item/postonly", "POST /rp/12"]
--- response_body eval
["exact-post 1 /rm/item/postonly\n", "item-az 1 /rm/item/postonly\n",
 "rp-post 1 /rp/12\n"]
--- no_error_log
[error]
[alert]



=== TEST 8: no conflict for another method, nor for a disjoint regex with
the same prefix; each plugin serves its own
--- reuse
--- request eval
[::route_one("route_put", "PUT", "/rm/item/[a-z]+"),
 ::route_one("route_az", "GET", "/rh/[a-z]+"),
 "PUT /rm/item/abc", "GET /rm/item/abc", "GET /rh/abc", "GET /rh/5"]
--- error_code eval
[201, 201, 200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"module":"route_put","version":1,.*"status":"created"\}$/,
 qr/^\{"module":"route_az","version":1,.*"status":"created"\}$/,
 qr/^route_put \/rm\/item\/abc$/, qr/^item-az 1 \/rm\/item\/abc$/,
 qr/^route_az \/rh\/abc$/, qr/^rh 1 \/rh\/5$/]
--- no_error_log
[error]
[alert]



=== TEST 9: a plugin with a WebSocket path only
--- reuse
--- request eval
::route_ws("route_chat", "/ws/chat")
--- error_code: 201
--- response_body_like eval
qr/^\{"module":"route_chat","version":1,.*"routes":\[\],"websockets":\[\{"path":"\/ws\/chat"\}\],.*"status":"created"\}$/
--- no_error_log
[error]
[alert]



=== TEST 10: a WebSocket path does not block a POST route with its path
--- reuse
--- request eval
[::route_one("route_wspost", "POST", "/ws/chat"), "POST /ws/chat"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/^\{"module":"route_wspost","version":1,.*"status":"created"\}$/,
 qr/^route_wspost \/ws\/chat$/]
--- no_error_log
[error]
[alert]



=== TEST 11: a new version of route_main does not conflict with itself
--- reuse
--- request eval
[::deploy("route_main.c", V => 2), "GET /rm/item/abc", "PUT /rm/item/abc",
 "GET /rm/item/new"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"module":"route_main","version":2,.*"status":"replaced"\}$/,
 qr/^item-az 2 \/rm\/item\/abc$/, qr/^route_put \/rm\/item\/abc$/,
 qr/^exact-new 2 \/rm\/item\/new$/]
--- no_error_log
[error]
[alert]



=== TEST 12: route_main, and a plugin with a WebSocket path only
--- request eval
[::deploy("route_main.c", V => 1), ::route_ws("route_chat", "/ws/chat")]
--- error_code eval
[201, 201]
--- response_body_like eval
[qr/^\{"module":"route_main","version":1,.*"status":"created"\}$/,
 qr/^\{"module":"route_chat","version":1,.*"status":"created"\}$/]
--- no_error_log
[error]
[alert]



=== TEST 13: another plugin with the same exact route: 409
--- reuse
--- request eval
::route_one("route_dup", "GET", "/rx")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"route_dup","reason":"route_main: GET /rx"}
--- error_log
cweb plugin "route_dup" refused: route conflict with route_main: GET /rx, client:



=== TEST 14: an exact route that would shadow another plugin's regex: 409
--- reuse
--- request eval
::route_one("route_shadow", "GET", "/rm/item/abc")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"route_shadow","reason":"route_main: GET /rm/item/[a-z]+ overlaps /rm/item/abc (both match \"/rm/item/abc\")"}
--- error_log
cweb plugin "route_shadow" refused: route conflict with route_main: GET /rm/item/[a-z]+ overlaps /rm/item/abc (both match "/rm/item/abc"), client:



=== TEST 15: ... the regex keeps answering that path; route_shadow is unknown
--- reuse
--- request eval
["GET /rm/item/abc", "GET /mgnt/route_shadow"]
--- error_code eval
[200, 404]
--- response_body eval
["item-az 1 /rm/item/abc\n", "{\"error\":\"no plugin \\\"route_shadow\\\"\"}\n"]
--- no_error_log
[alert]



=== TEST 16: a regex that can match another plugin's exact route: 409
--- reuse
--- request eval
::route_one("route_rgx", "GET", "/r[x]")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"route_rgx","reason":"route_main: GET /rx overlaps /r[x] (both match \"/rx\")"}
--- error_log
cweb plugin "route_rgx" refused: route conflict with route_main: GET /rx overlaps /r[x] (both match "/rx"), client:



=== TEST 17: two regexes with a common match, the shortest one quoted: 409
--- reuse
--- request eval
::route_one("route_rr", "GET", "/rn/(x|deep)/[0-9]*")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"route_rr","reason":"route_main: GET /rn/.+ overlaps /rn/(x|deep)/[0-9]* (both match \"/rn/x/\")"}
--- error_log
cweb plugin "route_rr" refused: route conflict with route_main: GET /rn/.+ overlaps /rn/(x|deep)/[0-9]* (both match "/rn/x/"), client:



=== TEST 18: HEAD meets GET: 409
--- reuse
--- request eval
::route_one("route_head", "HEAD", "/rh/7")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"route_head","reason":"route_main: GET /rh/[0-9]+ overlaps /rh/7 (both match \"/rh/7\")"}
--- error_log
cweb plugin "route_head" refused: route conflict with route_main: GET /rh/[0-9]+ overlaps /rh/7 (both match "/rh/7"), client:



=== TEST 19: a WebSocket path counts as a GET route: 409
--- reuse
--- request eval
::route_ws("route_ws", "/rh/0")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"route_ws","reason":"route_main: GET /rh/[0-9]+ overlaps /rh/0 (both match \"/rh/0\")"}
--- error_log
cweb plugin "route_ws" refused: route conflict with route_main: GET /rh/[0-9]+ overlaps /rh/0 (both match "/rh/0"), client:



=== TEST 20: a WebSocket path blocks a GET regex that can match it: 409
--- reuse
--- request eval
::route_one("route_wsget", "GET", "/ws/[a-z]+")
--- error_code: 409
--- response_body
{"error":"route conflict","module":"route_wsget","reason":"route_chat: WebSocket /ws/chat overlaps /ws/[a-z]+ (both match \"/ws/chat\")"}
--- error_log
cweb plugin "route_wsget" refused: route conflict with route_chat: WebSocket /ws/chat overlaps /ws/[a-z]+ (both match "/ws/chat"), client:



=== TEST 21: regexes filed anywhere in the prefix index are all found, and
match the whole decoded path
--- request eval
[::deploy("route_trie.c"), "GET /t/y/z", "GET /t/x", "GET /t/a", "GET /t/ab",
 "GET /t/a/b/c/7", "GET /u/q3", "GET /t/q4", "GET /t/pppq", "GET /t/.x.y",
 "GET /t/%70%70q", "GET /t/ax.y", "GET /t/a/b/c/", "GET /t/y", "GET /t/xjunk",
 "GET /a/t/y/z"]
--- error_code eval
[201, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 404, 404, 404,
 404]
--- response_body_like eval
[qr/"status":"created"/, qr/^alt \/t\/y\/z$/, qr/^alt \/t\/x$/,
 qr/^anchored \/t\/a$/, qr/^anchored \/t\/ab$/, qr/^deep \/t\/a\/b\/c\/7$/,
 qr/^group \/u\/q3$/, qr/^group \/t\/q4$/, qr/^plus \/t\/pppq$/,
 qr/^literal \/t\/\.x\.y$/, qr/^plus \/t\/ppq$/, qr/404 Not Found/,
 qr/404 Not Found/, qr/404 Not Found/, qr/404 Not Found/, qr/404 Not Found/]
--- no_error_log
[error]
[alert]



=== TEST 22: a regex that backtracks without end is accepted and matches
--- request eval
[::route_one("route_bomb", "GET", "/r/([a-z]*)*y"), "GET /r/abcy"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"status":"created"/, qr/^route_bomb \/r\/abcy$/]
--- no_error_log
[error]
[alert]
gave up on



=== TEST 23: ... the PCRE2 match limit stops it: a quick 404 and a warning
--- reuse
--- timeout: 2
--- request eval
"GET $::bomb"
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
qr{\[warn\] .*\Qcweb route "/r/([a-z]*)*y" of plugin "route_bomb" gave up on "$::bomb" (pcre2_match() -47: match limit exceeded), client:\E}
--- no_error_log
[error]
[alert]



=== TEST 24: ... and it is our match limit, not PCRE2's default, that
stops a shorter one
--- reuse
--- timeout: 2
--- request eval
"GET $::bomb18"
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
qr{\[warn\] .*\Qcweb route "/r/([a-z]*)*y" of plugin "route_bomb" gave up on "$::bomb18" (pcre2_match() -47: match limit exceeded), client:\E}
--- no_error_log
[error]
[alert]



=== TEST 25: ... and the worker goes on serving
--- reuse
--- timeout: 2
--- request
GET /r/xyzy
--- response_body
route_bomb /r/xyzy
--- no_error_log
[error]
[alert]



=== TEST 26: next to /jobs but never under it: accepted and served
--- request eval
[::route_one("route_jobz", "GET", "/jobz"), ::route_one("route_job", "GET", "/job"),
 ::route_one("route_jobsx", "GET", "/jobs[^/].*"), "GET /jobz", "GET /job",
 "GET /jobsa/b"]
--- error_code eval
[201, 201, 201, 200, 200, 200]
--- response_body_like eval
[qr/"status":"created"/, qr/"status":"created"/, qr/"status":"created"/,
 qr/^route_jobz \/jobz$/, qr/^route_job \/job$/,
 qr/^route_jobsx \/jobsa\/b$/]
--- no_error_log
[error]
[alert]



=== TEST 27: next to /mgnt but never under it: accepted and served
--- reuse
--- request eval
[::route_one("route_mgn", "GET", "/mgn"), ::route_one("route_mgz", "GET", "/mg[o-z]t.*"),
 "GET /mgn", "GET /mgzt/x"]
--- error_code eval
[201, 201, 200, 200]
--- response_body_like eval
[qr/"status":"created"/, qr/"status":"created"/, qr/^route_mgn \/mgn$/,
 qr/^route_mgz \/mgzt\/x$/]
--- no_error_log
[error]
[alert]



=== TEST 28: the anchors c-web-modules adds itself ("^<path>$") may be
spelled out, and a pattern may start with a group
--- reuse
--- request eval
[::route_one("route_anch", "GET", "^/anch/[0-9]+\$"),
 ::route_one("route_grp", "GET", "(/g1|/g2)/x"),
 "GET /anch/12", "GET /anch/12x", "GET /g2/x", "GET /g3/x"]
--- error_code eval
[201, 201, 200, 404, 200, 404]
--- response_body_like eval
[qr/"status":"created"/, qr/"status":"created"/, qr/^route_anch \/anch\/12$/,
 qr/404/, qr/^route_grp \/g2\/x$/, qr/404/]
--- no_error_log
[error]
[alert]



=== TEST 29: a backreference is refused
--- reuse
--- request eval
::route_one("route_br", "GET", '/b/(x)\1')
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route \"/b/(x)\\1\" is refused: backreference \\1 is not supported at offset 6"}
--- error_log
cweb plugin from "module.c" refused: route "/b/(x)\1" is refused: backreference \1 is not supported at offset 6, client:



=== TEST 30: a regex that can match /jobs/...: refused
--- reuse
--- request eval
::route_one("route_jobs", "GET", "/job[s]/.*")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/job[s]/.*\" is under /jobs, which the server owns"}
--- error_log
cweb plugin from "module.c" refused: route path "/job[s]/.*" is under /jobs, which the server owns, client:



=== TEST 31: a regex that can match /jobs itself: refused
--- reuse
--- request eval
::route_one("route_jobs", "GET", "/(j|x)obs")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/(j|x)obs\" is under /jobs, which the server owns"}
--- error_log
cweb plugin from "module.c" refused: route path "/(j|x)obs" is under /jobs, which the server owns, client:



=== TEST 32: the exact route /jobs: refused
--- reuse
--- request eval
::route_one("route_jobs", "GET", "/jobs")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/jobs\" is under /jobs, which the server owns"}
--- error_log
cweb plugin from "module.c" refused: route path "/jobs" is under /jobs, which the server owns, client:



=== TEST 33: "/jobs.x" can match "/jobs/x": refused
--- reuse
--- request eval
::route_one("route_jobs", "GET", "/jobs.x")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/jobs.x\" is under /jobs, which the server owns"}
--- error_log
cweb plugin from "module.c" refused: route path "/jobs.x" is under /jobs, which the server owns, client:



=== TEST 34: spelled-out anchors do not hide /jobs: refused
--- reuse
--- request eval
::route_one("route_jobs", "GET", "^/jobs/.*\$")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"^/jobs/.*$\" is under /jobs, which the server owns"}
--- error_log
cweb plugin from "module.c" refused: route path "^/jobs/.*$" is under /jobs, which the server owns, client:



=== TEST 35: the management location itself: refused
--- reuse
--- request eval
::route_one("route_mgnt", "GET", "/mgnt")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/mgnt\" is under the management location \"/mgnt\", where it is never served"}
--- error_log
cweb plugin from "module.c" refused: route path "/mgnt" is under the management location "/mgnt", where it is never served, client:



=== TEST 36: "/mgntx" is in the prefix location /mgnt: refused
--- reuse
--- request eval
::route_one("route_mgnt", "GET", "/mgntx")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/mgntx\" is under the management location \"/mgnt\", where it is never served"}
--- error_log
cweb plugin from "module.c" refused: route path "/mgntx" is under the management location "/mgnt", where it is never served, client:



=== TEST 37: a regex that can match under /mgnt: refused
--- reuse
--- request eval
::route_one("route_mgnt", "GET", "/mgn(t|u)/v[0-9]")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/mgn(t|u)/v[0-9]\" is under the management location \"/mgnt\", where it is never served"}
--- error_log
cweb plugin from "module.c" refused: route path "/mgn(t|u)/v[0-9]" is under the management location "/mgnt", where it is never served, client:



=== TEST 38: "/admin.+" cannot match the exact location = /admin: accepted
--- config
    location /mgnt {
        cweb_mgnt;
    }
    location = /admin {
        cweb_mgnt;
    }
    location / {
        cweb;
    }
--- request eval
[::route_one("route_admin", "GET", "/admin.+"), "GET /admin/x"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"status":"created"/, qr/^route_admin \/admin\/x$/]
--- no_error_log
[error]
[alert]



=== TEST 39: ... "/admi[n]" can: refused
--- reuse
--- request eval
::route_one("route_admin2", "GET", "/admi[n]")
--- error_code: 422
--- response_body
{"error":"invalid plugin","reason":"route path \"/admi[n]\" is under the management location \"/admin\", where it is never served"}
--- error_log
cweb plugin from "module.c" refused: route path "/admi[n]" is under the management location "/admin", where it is never served, client:

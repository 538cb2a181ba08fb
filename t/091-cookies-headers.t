# Cookies, headers and status (issue 9, items 2 and 3): a request's
# cookie by its exact name; Set-Cookie with Expires / Max-Age, Domain,
# Path, Secure, HttpOnly, SameSite, safe defaults, deletion; names,
# values and attributes checked (CR, LF, ";", control bytes: the plugin's
# error, never a header); headers set (replacing) and appended; any final
# status with nginx's reason phrase or the plugin's.  The blocks that
# make the plugin fail (error-log lines) come last: a reused nginx's log
# holds every block's lines.

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



=== TEST 2: a request's cookies: exact names (RFC 6265), the first of a
name, in any of several Cookie lines; none is CWEB_DECLINED (-5)
--- reuse
--- request eval
["GET /tk/cookie?name=sid", "GET /tk/cookie?name=SID",
 "GET /tk/cookie?name=Sid", "GET /tk/cookie?name=late",
 "GET /tk/cookie?name=e", "GET /tk/cookie?name=q"]
--- more_headers
Cookie: a=1; sid=abc; SID=upper; sid=second; e=
Cookie: late=x=y; q="quoted"
--- response_body eval
["rc=0 value=[abc]\n", "rc=0 value=[upper]\n", "rc=-5 value=[(null)]\n",
 "rc=0 value=[x=y]\n", "rc=0 value=[]\n", "rc=0 value=[\"quoted\"]\n"]
--- no_error_log
[error]



=== TEST 3: no Cookie header at all
--- reuse
--- request
GET /tk/cookie?name=sid
--- response_body
rc=-5 value=[(null)]
--- no_error_log
[error]



=== TEST 4: set with the defaults (attrs NULL): Path=/; HttpOnly;
SameSite=Lax
--- reuse
--- request
GET /tk/setcookie?case=default
--- response_body
rc=0 rc2=0
--- raw_response_headers_like chop
\r\nSet-Cookie: sid=abc123; Path=/; HttpOnly; SameSite=Lax\r\n
--- no_error_log
[error]



=== TEST 5: every attribute; nginx's cookie date for Expires
--- reuse
--- request
GET /tk/setcookie?case=full
--- response_body
rc=0 rc2=0
--- raw_response_headers_like chop
\r\nSet-Cookie: pref=dark; Expires=Tue, 14-Nov-23 22:13:20 GMT; Max-Age=3600; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict\r\n
--- no_error_log
[error]



=== TEST 6: two cookies are two Set-Cookie lines; an empty attrs struct
sends the pair alone
--- reuse
--- request eval
["GET /tk/setcookie?case=two", "GET /tk/setcookie?case=plain"]
--- raw_response_headers_like eval
["\r\nSet-Cookie: a=1; Path=/; HttpOnly; SameSite=Lax\r\nSet-Cookie: b=2; Path=/; HttpOnly; SameSite=Lax\r\n",
 "\r\nSet-Cookie: p=v\r\n"]
--- no_error_log
[error]



=== TEST 7: delete: empty value, Max-Age=0 and an Expires in 1970 with
the path it was set with
--- reuse
--- request
GET /tk/setcookie?case=del
--- raw_response_headers_like chop
\r\nSet-Cookie: sid=; Expires=Thu, 01-Jan-70 00:00:01 GMT; Max-Age=0; Path=/\r\n
--- no_error_log
[error]



=== TEST 8: a value with ";" and a space, cweb_url_escape()d, is fine
--- reuse
--- request
GET /tk/setcookie?case=escaped&v=a%3Bb%20c
--- response_body
rc=0 rc2=0
--- raw_response_headers_like chop
\r\nSet-Cookie: v=a%3Bb%20c; Path=/; HttpOnly; SameSite=Lax\r\n
--- no_error_log
[error]



=== TEST 9: headers appended (two lines of one name) and set
--- reuse
--- request
GET /tk/hdr?case=add
--- response_body
rc=0 rc2=0 rc3=0
--- raw_response_headers_like chop
\r\nX-Single: s\r\n(?:.*\r\n)?X-Multi: one\r\nX-Multi: two\r\n
--- no_error_log
[error]



=== TEST 10: a set replaces what was appended under that name, in any
case
--- reuse
--- request
GET /tk/hdr?case=replace
--- response_body
rc=0 rc2=0 rc3=0
--- raw_response_headers_like chop
\r\nX-MULTI: only\r\n
--- raw_response_headers_unlike chop
(?i)x-multi: (?:one|two)
--- no_error_log
[error]



=== TEST 11: any final status, nginx's reason phrase or the plugin's;
it wins over res->status
--- reuse
--- request eval
["GET /tk/hdr?case=status&v=418&reason=I%27m%20a%20teapot",
 "GET /tk/hdr?case=status&v=404",
 "GET /tk/hdr?case=status&v=299",
 "GET /tk/hdr?case=status&v=599&reason=Custom",
 "GET /tk/hdr?case=status&v=201&reason="]
--- error_code eval
[418, 404, 299, 599, 201]
--- raw_response_headers_like eval
["^HTTP/1.1 418 I'm a teapot\r\n", "^HTTP/1.1 404 Not Found\r\n",
 "^HTTP/1.1 299 ", "^HTTP/1.1 599 Custom\r\n", "^HTTP/1.1 201 \r\n"]
--- response_body eval
["rc=0 rc2=0 rc3=0\n", "rc=0 rc2=0 rc3=0\n", "rc=0 rc2=0 rc3=0\n",
 "rc=0 rc2=0 rc3=0\n", "rc=0 rc2=0 rc3=0\n"]
--- no_error_log
[error]



=== TEST 12: a cookie value with ";" is refused, the byte named; no Set-Cookie goes out
--- reuse
--- request
GET /tk/setcookie?case=value&v=a%3Bb
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
Set-Cookie
--- error_log eval
qr/cweb plugin "toolkit": cweb_cookie_set\("v"\): cookie value has byte 0x3b at offset 1, which RFC 6265 does not allow there, not set/
--- no_error_log
[alert]



=== TEST 13: ... with CR LF (a header injection)
--- reuse
--- request
GET /tk/setcookie?case=value&v=a%0D%0ASet-Cookie:%20evil=1
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
(?i)set-cookie|evil
--- error_log eval
qr/cweb plugin "toolkit": cweb_cookie_set\("v"\): cookie value has byte 0x0d at offset 1, which RFC 6265 does not allow there, not set/
--- no_error_log
[alert]



=== TEST 14: ... with a space
--- reuse
--- request
GET /tk/setcookie?case=value&v=a%20b
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
Set-Cookie
--- error_log eval
qr/cweb_cookie_set\("v"\): cookie value has byte 0x20 at offset 1, which RFC 6265 does not allow there, not set/
--- no_error_log
[alert]



=== TEST 15: ... with a control byte
--- reuse
--- request
GET /tk/setcookie?case=value&v=a%01
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
Set-Cookie
--- error_log eval
qr/cweb_cookie_set\("v"\): cookie value has byte 0x01 at offset 1, which RFC 6265 does not allow there, not set/
--- no_error_log
[alert]



=== TEST 16: a cookie name that is no token
--- reuse
--- request
GET /tk/setcookie?case=name&v=a%3Db
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
Set-Cookie
--- error_log eval
qr/cweb_cookie_set\("a=b"\): cookie name has byte 0x3d at offset 1, which RFC 6265 does not allow there, not set/
--- no_error_log
[alert]



=== TEST 17: an empty cookie name
--- reuse
--- request
GET /tk/setcookie?case=name&v=
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
Set-Cookie
--- error_log eval
qr/cweb_cookie_set\(""\): an empty cookie name, not set/
--- no_error_log
[alert]



=== TEST 18: a Path with ";"
--- reuse
--- request
GET /tk/setcookie?case=path&v=/a%3Bb
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
Set-Cookie
--- error_log eval
qr/cweb_cookie_set\("p"\): Path has byte 0x3b at offset 2, which RFC 6265 does not allow there, not set/
--- no_error_log
[alert]



=== TEST 19: SameSite=None without Secure is refused, with it set
--- reuse
--- request
GET /tk/setcookie?case=none
--- response_body
rc=-1 rc2=0
--- raw_response_headers_like chop
\r\nSet-Cookie: x=1; Secure; SameSite=None\r\n
--- raw_response_headers_unlike chop
Set-Cookie: x=1; SameSite
--- error_log eval
qr/cweb_cookie_set\("x"\): SameSite=None needs secure, not set/
--- no_error_log
[alert]



=== TEST 20: an unknown same_site, a negative max_age, an expires after 9999
--- reuse
--- request
GET /tk/setcookie?case=badattr
--- response_body
rc=-1 rc2=-11
--- raw_response_headers_like chop
200 OK
--- raw_response_headers_unlike chop
Set-Cookie
--- error_log eval
qr/cweb_cookie_set\("x"\): a negative max_age, an expires before 1970 or after 9999, or an unknown same_site \(9\), not set/
--- no_error_log
[alert]



=== TEST 21: a value with CR LF, a name that is no token, a NULL value:
refused when added, the answer goes out without them
--- reuse
--- request
GET /tk/hdr?case=badvalue&v=a%0D%0AX-Evil:%201
--- response_body
rc=-1 rc2=-1 rc3=-1
--- raw_response_headers_unlike chop
(?i)x-evil|x-bad|x-null
--- error_log eval
[qr/cweb plugin "toolkit": cweb_response_header_add\("X-Bad"\): the name is no token, or the value has a CR, LF or another byte not allowed there, not added/,
 qr/cweb_response_header_add\("X Bad"\): the name is no token/,
 qr/cweb_response_header_add\("X-Null"\): NULL name or value, not added/]
--- no_error_log
[alert]



=== TEST 22: the host's framing headers are not added
--- reuse
--- request
GET /tk/hdr?case=framing
--- response_body
rc=-1 rc2=-1 rc3=-1
--- raw_response_headers_like chop
Content-Length: 20\r\n
--- raw_response_headers_unlike chop
(?i)chunked|text/html
--- error_log eval
qr/cweb_response_header_add\("Content-Length"\): the host frames the body/
--- no_error_log
[alert]



=== TEST 23: status 100 (interim) is refused, the answer is res->status's
--- reuse
--- request
GET /tk/hdr?case=status&v=100
--- error_code: 200
--- response_body
rc=-1 rc2=0 rc3=0
--- error_log eval
qr/cweb_response_status\(100\): not a final status \(200-599; 1xx are interim answers\)/
--- no_error_log
[alert]



=== TEST 24: ... 199
--- reuse
--- request
GET /tk/hdr?case=status&v=199
--- error_code: 200
--- response_body
rc=-1 rc2=0 rc3=0
--- error_log eval
qr/cweb_response_status\(199\): not a final status \(200-599; 1xx are interim answers\)/
--- no_error_log
[alert]



=== TEST 25: ... 600
--- reuse
--- request
GET /tk/hdr?case=status&v=600
--- error_code: 200
--- response_body
rc=-1 rc2=0 rc3=0
--- error_log eval
qr/cweb_response_status\(600\): not a final status \(200-599; 1xx are interim answers\)/
--- no_error_log
[alert]



=== TEST 26: ... -1
--- reuse
--- request
GET /tk/hdr?case=status&v=-1
--- error_code: 200
--- response_body
rc=-1 rc2=0 rc3=0
--- error_log eval
qr/cweb_response_status\(-1\): not a final status \(200-599; 1xx are interim answers\)/
--- no_error_log
[alert]



=== TEST 27: a reason with CR LF
--- reuse
--- request
GET /tk/hdr?case=status&v=400&reason=a%0D%0AX-Evil:%201
--- error_code: 200
--- response_body
rc=-1 rc2=0 rc3=0
--- raw_response_headers_unlike chop
(?i)x-evil
--- error_log eval
qr/cweb_response_status\(400\): the reason has a CR, LF, control or non-ASCII byte/
--- no_error_log
[alert]



=== TEST 28: a reason of 65 bytes
--- reuse
--- request
GET /tk/hdr?case=status&v=400&reason=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
--- error_code: 200
--- response_body
rc=-1 rc2=0 rc3=0
--- error_log eval
qr/cweb_response_status\(400\): the reason is 65 bytes, longer than 64/
--- no_error_log
[alert]



=== TEST 29: hop-by-hop headers (Connection, Upgrade, Keep-Alive) are
the connection's: not added
--- reuse
--- request
GET /tk/hdr?case=hop
--- response_body
rc=-1 rc2=-1 rc3=-1
--- raw_response_headers_unlike chop
(?i)h2c|timeout=5
--- error_log
cweb_response_header_add("Upgrade"): a hop-by-hop header is the connection's (nginx's), not an answer's; not added
--- no_error_log
[alert]

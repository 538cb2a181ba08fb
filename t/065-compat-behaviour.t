# c-web-modules behaviour that our isolation and naming once changed:
# ctx->symbols->resolv() finds any global of another plugin (without
# letting a plugin interpose on nginx or on other plugins), module names
# such as "My Module", the upstream fields of GET /mgnt, and a negative
# handler return that still sends the plugin's answer.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

# outside the server root, which is wiped per block: TEST 6 restarts
$ENV{TEST_NGINX_CWEB_STATE} = "/tmp/ngx_cweb_t065_$$";
remove_tree($ENV{TEST_NGINX_CWEB_STATE});
END { remove_tree($ENV{TEST_NGINX_CWEB_STATE}) if $ENV{TEST_NGINX_CWEB_STATE} }

plan tests => repeat_each() * 130;

cweb_blocks(module_dir => $ENV{TEST_NGINX_CWEB_STATE});

run_tests();

__DATA__

=== TEST 1: resolv() finds plain globals of another plugin; each plugin
keeps its own compat_twice; missing module or symbol, the host's entry
symbols, and the global scope give NULL
--- request eval
[::deploy("compat_sym_lib.c"), ::deploy("compat_sym_user.c"),
 "GET /compat/user", "GET /compat/user", "GET /compat/lib"]
--- error_code eval
[201, 201, 200, 200, 200]
--- response_body_like eval
[qr/"created"/, qr/"created"/,
 qr/^own=15 lib=10 only=41 counter=41 nomod=null nosym=null api=null bind=null abi=null global=null$/,
 qr/^own=15 lib=10 only=42 counter=42 nomod=null nosym=null api=null bind=null abi=null global=null$/,
 qr/^lib twice\(5\)=10$/]
--- no_error_log
[error]
[alert]



=== TEST 2: a plugin's own malloc, ngx_pagesize and ngx_palloc serve only
that plugin: nginx, the host API and the other plugins keep theirs
--- reuse
--- request eval
[::deploy("compat_interpose.c"), "GET /compat/interpose",
 "GET /compat/interpose", "GET /compat/user", "GET /compat/lib",
 "GET /mgnt"]
--- error_code eval
[201, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/"created"/,
 qr/^malloc calls=1 own=yes pagesize=8 ngx_palloc=own host=ok$/,
 qr/^malloc calls=2 own=yes pagesize=9 ngx_palloc=own host=ok$/,
 qr/^own=15 lib=10 only=43 /, qr/^lib twice\(5\)=10$/,
 qr/"module":"compat_interpose"/]
--- no_error_log
[error]
[alert]



=== TEST 3: resolv() with a NULL module or symbol: NULL and a log line
--- reuse
--- request
GET /compat/user/null
--- error_code: 200
--- response_body
null module=null symbol=null
--- error_log
cweb ctx->symbols->resolv() called with a NULL module
cweb ctx->symbols->resolv() called with a NULL symbol



=== TEST 4: "My Module" deploys, serves, and is reached by its URL-encoded
name (GET, a new version, rollback)
--- request eval
[::deploy("compat_names.c", V => 1), "GET /compat/names",
 "GET /mgnt/My%20Module", ::deploy("compat_names.c", V => 2),
 "GET /compat/names", "POST /mgnt/My%20Module/rollback",
 "GET /compat/names"]
--- error_code eval
[201, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"module":"My Module","version":1,.*"status":"created"\}$/,
 qr/^my module 1$/,
 qr/^\{"module":"My Module","version":1,.*"state":"active","versions":\[\{"version":1,/,
 qr/^\{"module":"My Module","version":2,.*"status":"replaced"\}$/,
 qr/^my module 2$/, qr/"version":1/, qr/^my module 1$/]
--- no_error_log
[error]
[alert]



=== TEST 5: GET /mgnt items carry c-web-modules' name, author and path
next to our own fields; the object file name encodes the space
--- reuse
--- request
GET /mgnt
--- error_code: 200
--- response_body_like
^\{"modules":\[.*\{"module":"My Module","version":1,"module_hash":"[0-9a-f]{64}","source_sha256":"[0-9a-f]{64}","routes":\[\{"method":"GET","path":"\/compat\/names"\}\],"websockets":\[\],"jobs":\[\],"compile_ms":\d+,"updated_at":\d+,"state":"active","name":"My Module","author":"Jane Doe","path":"\/[^"]*\/so\/My%20Module-v1-[0-9a-f]{16}\.so"\}.*\]\}$
--- no_error_log
[error]
[alert]



=== TEST 6: after a restart "My Module" is back at the version rolled back
to; DELETE by its URL-encoded name unloads it
--- request eval
["GET /compat/names", "GET /mgnt/My%20Module", "DELETE /mgnt/My%20Module",
 "GET /compat/names", "GET /mgnt/My%20Module"]
--- error_code eval
[200, 200, 200, 404, 404]
--- response_body_like eval
[qr/^my module 1$/, qr/"module":"My Module","version":1,.*"state":"active"/,
 qr/"My Module"/, qr/404/, qr/^\{"error":"no plugin \\"My Module\\""\}$/]
--- no_error_log
[error]
[alert]



=== TEST 7: a name with a control byte is refused, with the exact reason
--- request eval
::deploy("compat_badname.c", NAME => '"bad\\tname"')
--- error_code: 422
--- response_body eval
'{"error":"invalid plugin","reason":"invalid module name \"bad\\tname\": use 1-127 bytes of UTF-8 text without control characters or \"/\", not \".\" or \"..\""}' . "\n"
--- error_log eval
qr/cweb plugin from "module.c" refused: invalid module name "bad\tname": use 1-127 bytes/



=== TEST 8: "..", bytes that are not UTF-8, and URLs with "/" or a control
byte in the name are refused
--- request eval
[::deploy("compat_badname.c", NAME => '".."'),
 ::deploy("compat_badname.c", NAME => '"bad\\xffname"'),
 "GET /mgnt/a%2Fb", "GET /mgnt/%01", "DELETE /mgnt/My%0AModule"]
--- error_code eval
[422, 422, 400, 400, 400]
--- response_body eval
['{"error":"invalid plugin","reason":"invalid module name \"..\": use 1-127 bytes of UTF-8 text without control characters or \"/\", not \".\" or \"..\""}' . "\n",
 '{"error":"invalid plugin","reason":"invalid module name \"bad?name\": use 1-127 bytes of UTF-8 text without control characters or \"/\", not \".\" or \"..\""}' . "\n",
 '{"error":"invalid module name in the path"}' . "\n",
 '{"error":"invalid module name in the path"}' . "\n",
 '{"error":"invalid module name in the path"}' . "\n"]



=== TEST 9: a name of 128 bytes (no room for its NUL) is over the limit
--- request eval
::deploy("compat_badname.c", NAME => '"' . ("x" x 128) . '"')
--- error_code: 422
--- response_body eval
'{"error":"invalid plugin","reason":"invalid module name \"' . ("x" x 32) . '...\": longer than 127 bytes"}' . "\n"
--- error_log eval
qr/refused: invalid module name "x{32}\.\.\.": longer than 127 bytes/



=== TEST 10: a handler that answers and returns -1: its status, headers
and body are sent, with an error-log line
--- request eval
[::deploy("compat_negative.c"), "GET /compat/negative"]
--- error_code eval
[201, 404]
--- raw_response_headers_like eval
[qr/201 Created/, qr/\r\nX-Compat: yes\r\n/]
--- response_body_like eval
[qr/"created"/, qr/^not here\n$/]
--- no_error_log
[alert]



=== TEST 11: the -1 of TEST 10 is logged as an error of the route
--- reuse
--- request
GET /compat/negative
--- error_code: 404
--- response_body
not here
--- error_log eval
qr/\[error\] .*cweb plugin "compat_negative" route "GET \/compat\/negative" returned -1, its status and body are sent/



=== TEST 12: another negative value with the default status: 200 and the
body written so far
--- reuse
--- request
GET /compat/negative/partial
--- error_code: 200
--- response_body
partial answer
--- error_log
cweb plugin "compat_negative" route "GET /compat/negative/partial" returned -2, its status and body are sent

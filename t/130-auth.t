# Admin credentials on cweb_mgnt: cweb_admin_key via X-API-Key or Bearer,
# loopback-only without a key, cweb_dev; 401 JSON.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 59;

# realip turns X-Real-IP into the client address: a remote client
our $DefaultConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    location /mgnt {
        cweb_mgnt;
    }
    location / {
        cweb;
    }
_EOC_

cweb_blocks(config => $DefaultConfig);

run_tests();

__DATA__

=== TEST 1: no key: loopback clients are let in
--- request
GET /mgnt
--- response_body
{"modules":[]}
--- no_error_log
[error]



=== TEST 2: no key: a remote client is refused
--- more_headers
X-Real-IP: 10.1.2.3
--- request
GET /mgnt
--- error_code: 401
--- response_body
{"error":"no admin key is configured (cweb_admin_key), so only loopback clients may use this endpoint"}
--- response_headers
Content-Type: application/json
WWW-Authenticate: Bearer realm="cweb"
--- error_log
cweb mgnt: no admin key is configured



=== TEST 3: with a key, a request without it is refused, even on loopback
--- http_config
    cweb_admin_key s3cret-key;
--- request
GET /mgnt
--- error_code: 401
--- response_body
{"error":"missing admin key: send X-API-Key or Authorization: Bearer"}
--- error_log
cweb mgnt: missing admin key



=== TEST 4: wrong key (X-API-Key): 401, and the upload is not compiled
--- reuse
--- more_headers
X-API-Key: s3cret-kez
--- request eval
::deploy("hello.c", V => 1)
--- error_code: 401
--- response_body
{"error":"wrong admin key"}
--- error_log
cweb mgnt: wrong admin key
--- no_error_log
cweb compile



=== TEST 5: right key (X-API-Key) deploys; Bearer works; wrong Bearer not
--- reuse
--- more_headers eval
["X-API-Key: s3cret-key", "Authorization: Bearer s3cret-key",
 "Authorization: Bearer s3cret", "Authorization: Basic czNjcmV0LWtleQ==",
 "X-Real-IP: 10.9.9.9\nX-API-Key: s3cret-key", ""]
--- pipelined_requests eval
[::deploy("hello.c", V => 1), "GET /mgnt/hello", "GET /mgnt", "GET /mgnt",
 "DELETE /mgnt/hello", "GET /hello"]
--- error_code eval
[201, 200, 401, 401, 200, 404]
--- response_body_like eval
[qr/"created"/, qr/"module":"hello"/, qr/wrong admin key/,
 qr/missing admin key/, qr/"deleted"/, qr/404/]
--- no_error_log
[error]



=== TEST 6: cweb_dev on: loopback without a key, remote still needs it
--- http_config
    cweb_admin_key s3cret-key;
    cweb_dev on;
--- more_headers eval
["", "X-Real-IP: 10.1.2.3", "X-Real-IP: 10.1.2.3\nX-API-Key: s3cret-key"]
--- pipelined_requests eval
["GET /mgnt", "GET /mgnt", "GET /mgnt"]
--- error_code eval
[200, 401, 200]
--- response_body eval
["{\"modules\":[]}\n", "{\"error\":\"missing admin key: send X-API-Key or Authorization: Bearer\"}\n",
 "{\"modules\":[]}\n"]
--- no_error_log
[error]



=== TEST 7: IPv4-mapped and other 127/8 addresses are loopback
--- more_headers eval
["X-Real-IP: 127.0.0.2", "X-Real-IP: ::1", "X-Real-IP: ::ffff:127.0.0.1",
 "X-Real-IP: ::ffff:10.0.0.1"]
--- pipelined_requests eval
["GET /mgnt", "GET /mgnt", "GET /mgnt", "GET /mgnt"]
--- error_code eval
[200, 200, 200, 401]
--- no_error_log
[error]



=== TEST 8: a refused upload's body is discarded: the next request on the
same connection is parsed correctly
--- http_config
    cweb_admin_key s3cret-key;
--- more_headers eval
["X-API-Key: wrong", "X-API-Key: s3cret-key", "X-API-Key: s3cret-key"]
--- pipelined_requests eval
[::deploy("hello.c", V => 1), "PUT /mgnt\nnot a plugin", "GET /mgnt"]
--- error_code eval
[401, 405, 200]
--- response_body eval
["{\"error\":\"wrong admin key\"}\n",
 "{\"error\":\"use POST /mgnt, GET /mgnt[/<name>] or DELETE /mgnt/<name>\"}\n",
 "{\"modules\":[]}\n"]
--- no_error_log
[alert]

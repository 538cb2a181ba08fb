# Who may use cweb_mgnt: with cweb_admin_key, X-API-Key or Bearer; without
# one only with "cweb_dev on", and then only local clients (loopback or
# unix socket, no forwarding headers); realip cannot make a remote client
# local.  Refusals are JSON: 401 for a missing or wrong key, 403 when no
# credential could help.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 108;

# realip turns X-Real-IP into the client address: a remote client; /unix
# reaches the same API through a unix-socket listener (no proxy headers),
# /unix-fwd the same way with X-Forwarded-For added
our $DefaultConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    location /mgnt {
        cweb_mgnt;
    }
    location /unix/ {
        proxy_pass http://unix:$TEST_NGINX_SERVER_ROOT/logs/mgnt.sock:/;
    }
    location /unix-fwd/ {
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_pass http://unix:$TEST_NGINX_SERVER_ROOT/logs/mgnt.sock:/;
    }
    location / {
        cweb;
    }
_EOC_

our $UnixServer = <<'_EOC_';
    server {
        listen unix:$TEST_NGINX_SERVER_ROOT/logs/mgnt.sock;
        location /mgnt {
            cweb_mgnt;
        }
    }
_EOC_

cweb_blocks(config => $DefaultConfig, dev => 0);

run_tests();

__DATA__

=== TEST 1: no key, no cweb_dev: refused, even on loopback; nothing compiled
--- request eval
["GET /mgnt", ::deploy("hello.c", V => 1)]
--- error_code eval
[403, 403]
--- response_body eval
["{\"error\":\"no admin key is configured: set cweb_admin_key (or CWEB_ADMIN_KEY), or cweb_dev on for local development\"}\n",
 "{\"error\":\"no admin key is configured: set cweb_admin_key (or CWEB_ADMIN_KEY), or cweb_dev on for local development\"}\n"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json"]
--- error_log
cweb mgnt: no admin key is configured
--- no_error_log
cweb compile



=== TEST 2: cweb_dev on, no key: loopback clients are let in
--- http_config
    cweb_dev on;
--- request eval
["GET /mgnt", ::deploy("hello.c", V => 1), "GET /hello"]
--- error_code eval
[200, 201, 200]
--- response_body_like eval
[qr/^\{"modules":\[\]\}$/, qr/"status":"created"/, qr/^hello 1 /]
--- no_error_log
[error]



=== TEST 3: cweb_dev on, no key: a remote client (realip) is refused
--- reuse
--- more_headers
X-Real-IP: 10.1.2.3
--- request
GET /mgnt
--- error_code: 403
--- response_body
{"error":"without an admin key only local clients may use this endpoint (loopback or unix socket, a loopback Host, no forwarding headers, no PROXY protocol)"}
--- error_log
cweb mgnt: without an admin key only local clients



=== TEST 4: cweb_dev on, no key: forwarding headers make a loopback peer
non-local (a proxy on this host, or realip saying 127.0.0.2)
--- reuse
--- more_headers eval
["X-Real-IP: 127.0.0.2", "X-Forwarded-For: 127.0.0.1",
 "Forwarded: for=127.0.0.1", "X-Real-IP: ::ffff:127.0.0.1"]
--- pipelined_requests eval
["GET /mgnt", "GET /mgnt", "GET /mgnt", "GET /mgnt"]
--- error_code eval
[403, 403, 403, 403]
--- response_body_like eval
[qr/only local clients/, qr/only local clients/, qr/only local clients/,
 qr/only local clients/]
--- no_error_log
[alert]



=== TEST 5: cweb_dev on, no key: a Host that is not the loopback (a page
on a rebound DNS name is same-origin with /mgnt) is not local; localhost,
*.localhost, 127.x and [::1] are
--- reuse
--- more_headers eval
["Host: evil.example", "Host: 10.0.0.1:8080", "Host: localhost.evil.example",
 "Host: localhost:8080", "Host: app.localhost", "Host: 127.0.0.2:1984",
 "Host: [::1]:1984"]
--- pipelined_requests eval
[("GET /mgnt") x 7]
--- error_code eval
[403, 403, 403, 200, 200, 200, 200]
--- response_body_like eval
[qr/only local clients/, qr/only local clients/, qr/only local clients/,
 qr/"modules"/, qr/"modules"/, qr/"modules"/, qr/"modules"/]
--- no_error_log
[alert]



=== TEST 6: cweb_dev on, no key: a unix-socket client is local; the same
request through a proxy that adds X-Forwarded-For is not
--- http_config eval
"    cweb_dev on;\n$::UnixServer"
--- request eval
["GET /unix/mgnt", "GET /unix-fwd/mgnt"]
--- error_code eval
[200, 403]
--- response_body_like eval
[qr/^\{"modules":\[\]\}$/, qr/only local clients/]
--- no_error_log
[alert]



=== TEST 7: with a key, a request without it is refused, even on loopback
--- http_config
    cweb_admin_key s3cret-key;
--- request
GET /mgnt
--- error_code: 401
--- response_body
{"error":"missing admin key: send X-API-Key or Authorization: Bearer"}
--- response_headers
WWW-Authenticate: Bearer realm="cweb"
--- error_log
cweb mgnt: missing admin key



=== TEST 8: wrong key (X-API-Key): 401, and the upload is not compiled
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



=== TEST 9: right key (X-API-Key) deploys; Bearer works; wrong Bearer not;
a remote client with the key is fine
--- reuse
--- more_headers eval
["X-API-Key: s3cret-key", "Authorization: Bearer s3cret-key",
 "Authorization: Bearer s3cret", "Authorization: Basic czNjcmV0LWtleQ==",
 "X-Real-IP: 10.9.9.9\nX-API-Key: s3cret-key", "X-API-Key: s3cret-key", ""]
--- pipelined_requests eval
[::deploy("hello.c", V => 1), "GET /mgnt/hello", "GET /mgnt", "GET /mgnt",
 "GET /mgnt", "DELETE /mgnt/hello", "GET /hello"]
--- error_code eval
[201, 200, 401, 401, 200, 200, 404]
--- response_body_like eval
[qr/"created"/, qr/"module":"hello"/, qr/wrong admin key/,
 qr/missing admin key/, qr/"modules"/, qr/"deleted"/, qr/404/]
--- no_error_log
[error]



=== TEST 10: cweb_dev on with a key: local clients need no key, remote ones do
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



=== TEST 11: a refused upload's body is discarded: the next request on the
same connection is parsed correctly
--- http_config
    cweb_admin_key s3cret-key;
--- more_headers eval
["X-API-Key: wrong", "X-API-Key: s3cret-key", "X-API-Key: s3cret-key"]
--- pipelined_requests eval
[::deploy("hello.c", V => 1), "GET /mgnt", "GET /mgnt"]
--- error_code eval
[401, 200, 200]
--- response_body eval
["{\"error\":\"wrong admin key\"}\n", "{\"modules\":[]}\n",
 "{\"modules\":[]}\n"]
--- no_error_log
[error]

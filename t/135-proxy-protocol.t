# A listener with the PROXY protocol: the peer address nginx reports is
# whatever the proxy in front claims, so a keyless request over such a
# listener is never local, even when the claimed and the real address are
# both loopback.  With the key it is accepted.  The client connects to the
# proxy_protocol listener of http_config (TEST_NGINX_CLIENT_PORT).

BEGIN {
    $ENV{TEST_NGINX_CLIENT_PORT} = ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 13;
}

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 9;

our $Server = <<"_EOC_";
    server {
        listen 127.0.0.1:$ENV{TEST_NGINX_CLIENT_PORT} proxy_protocol;
        server_name localhost;
        location /mgnt {
            cweb_mgnt;
        }
    }
_EOC_

sub proxied {
    my ($from, $request, $headers) = @_;
    return "PROXY TCP4 $from 127.0.0.1 40000 80\r\n"
         . "$request HTTP/1.1\r\nHost: localhost\r\n$headers"
         . "Connection: close\r\n\r\n";
}

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: cweb_dev on, no key: a PROXY header claiming 127.0.0.1 is not local
--- http_config eval
"    cweb_dev on;\n$::Server"
--- raw_request eval
::proxied("127.0.0.1", "GET /mgnt", "")
--- error_code: 403
--- response_body
{"error":"without an admin key only local clients may use this endpoint (loopback or unix socket, a loopback Host, no forwarding headers, no PROXY protocol)"}
--- no_error_log
[alert]



=== TEST 2: ... nor one claiming a remote address
--- http_config eval
"    cweb_dev on;\n$::Server"
--- raw_request eval
::proxied("192.0.2.7", "GET /mgnt", "")
--- error_code: 403
--- response_body_like: only local clients
--- no_error_log
[alert]



=== TEST 3: with the key it is accepted
--- http_config eval
"    cweb_dev on;\n    cweb_admin_key pp-key;\n$::Server"
--- raw_request eval
::proxied("192.0.2.7", "GET /mgnt", "X-API-Key: pp-key\r\n")
--- error_code: 200
--- response_body
{"modules":[]}
--- no_error_log
[error]

# vim:set ft= ts=4 sw=4 et:
#
# Self-test of the test scaffold (t/lib/Test/Nginx/Socket.pm).  Uses only
# stock nginx directives, so it needs no module of ours, and it must pass
# unchanged under the CPAN Test::Nginx::Socket as well.
#
#   TEST_NGINX_BINARY=/usr/sbin/nginx prove -I t/lib t/000-harness.t

use Test::Nginx::Socket;

repeat_each(2);
master_on();
workers(2);
log_level('debug');
no_long_string();
no_root_location();
no_shuffle();
env_to_nginx('CWEB_HARNESS=1');

# like in the CPAN module, TEST_NGINX_HTML_DIR is not set automatically
$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_CWEB_WORD} = 'bird';

add_block_preprocessor(sub {
    my $block = shift;
    # custom section "--- get_uri: /x" means "--- request: GET /x"
    if (defined $block->get_uri) {
        $block->set_value('request', 'GET ' . $block->get_uri);
    }
});

# 19 blocks (the SKIP one does not count); most blocks run 2 subtests per
# repeated request; the 2 shutdown_error_log subtests run once per block
plan tests => repeat_each() * (2 * blocks() + 24) + 2;

run_tests();

__DATA__

=== TEST 1: plain return
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: no --- config: the server of the previous block is reused
--- request
    # comment lines before the request line are ignored
    GET /t
--- response_body
hello



=== TEST 3: response headers, more_headers, absent header
--- config
    location = /h {
        add_header X-Foo bar;
        add_header X-Echo $http_x_test;
        return 200 "h";
    }
--- more_headers
X-Test: abc
--- request
GET /h
--- response_headers
X-Foo: bar
X-Echo: abc
!X-Missing
Content-Type: text/plain
--- response_body chomp
h
--- shutdown_error_log
gracefully shutting down
--- no_shutdown_error_log
[alert]



=== TEST 4: several requests in one block
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 404; }
    location = /c { return 201 "c"; }
--- request eval
["GET /a", "GET /b", "GET /c"]
--- error_code eval
[200, 404, 201]
--- response_body eval
["a\n", qr/404 Not Found/, "c"]
--- no_error_log
[emerg]



=== TEST 5: error_log / no_error_log with eval pattern lists
--- config
    location /static/ {
        root $TEST_NGINX_HTML_DIR;
    }
--- request
GET /static/nope.txt
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
[qr/open\(\) ".*nope\.txt" failed/, "No such file or directory"]
--- no_error_log eval
[qr/\[alert\]/, "[crit]"]



=== TEST 6: user_files
--- config
    location /files/ {
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files
>>> foo.txt
hello from foo
>>> sub/bar.txt
bar!
--- request eval
["GET /files/foo.txt", "GET /files/sub/bar.txt"]
--- response_body eval
["hello from foo\n", "bar!\n"]



=== TEST 7: raw_request
--- config
    location = /t { return 200 "raw\n"; }
--- raw_request eval
"GET /t HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- response_body
raw



=== TEST 8: raw_request split into packets
--- config
    location = /t { return 200 "raw2\n"; }
--- raw_request eval
["GET /t HTTP/1.1\r\nHost: loc",
 "alhost\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.1
--- response_body
raw2



=== TEST 9: request body in two packets, automatic Content-Length
--- config
    location = /len {
        proxy_pass http://127.0.0.1:$server_port/back;
    }
    location = /back {
        return 200 "cl=$http_content_length\n";
    }
--- request eval
[["POST /len\nhel", {value => "lo", delay_before => 0.2}]]
--- response_body
cl=5
--- timeout: 2



=== TEST 10: timeout + abort on a slow response
--- config
    location = /big.txt {
        root $TEST_NGINX_HTML_DIR;
        limit_rate_after 1000;
        limit_rate 100;
    }
--- user_files eval
[["big.txt", "x" x 4000]]
--- request
GET /big.txt
--- timeout: 500ms
--- abort
--- response_body_like: ^x+$



=== TEST 11: init and wait
--- config
    location = /init.txt {
        root $TEST_NGINX_HTML_DIR;
    }
--- init
my $file = html_dir() . "/init.txt";
open my $fh, '>', $file or die "cannot open $file: $!";
print $fh "from init\n";
close $fh;
--- request
GET /init.txt
--- wait: 0.1
--- response_body
from init



=== TEST 12: main_config, http_config, $TEST_NGINX_* and $ServerPort
--- main_config
worker_rlimit_nofile 1024;
--- http_config
    map $uri $mapped {
        default "mapped-$TEST_NGINX_CWEB_WORD";
    }
--- config
    location = /m {
        return 200 "$mapped port=$TEST_NGINX_SERVER_PORT\n";
    }
--- request
GET /m
--- response_body
mapped-bird port=$ServerPort



=== TEST 13: Host from more_headers replaces the default one
--- config
    location = /host { return 200 "host=$host\n"; }
--- more_headers
Host: other.example
--- request
GET /host
--- response_body
host=other.example



=== TEST 14: redirect, $ServerPort in response_headers
--- config
    location = /r { return 302 /elsewhere; }
--- request
GET /r
--- error_code eval
302
--- response_headers
Location: http://localhost:$ServerPort/elsewhere
--- response_body_like chomp
302 Found



=== TEST 15: pipelined requests
--- config
    location = /a { return 200 "a\n"; }
    location = /c { return 201 "c"; }
--- pipelined_requests eval
["GET /a", "GET /c"]
--- error_code eval
[200, 201]
--- response_body eval
["a\n", "c"]



=== TEST 16: *_like sections, body filters, access_log, grep_error_log
--- config
    location = /t2 { return 200 "Hello\n"; }
--- request
GET /t2
--- error_code_like: ^2\d\d$
--- response_headers_like
Content-Type: text/.*
--- raw_response_headers_like: Server: nginx
--- response_body_filters
uc
--- response_body
HELLO
--- access_log
GET /t2 HTTP/1.1
--- grep_error_log chop
http request line: "GET /t2 HTTP/1.1"
--- grep_error_log_out
http request line: "GET /t2 HTTP/1.1"



=== TEST 17: must_die
--- config
    location = /bad {
        return a b c;
    }
--- request
GET /bad
--- must_die



=== TEST 18: skip_eval
--- config
    location = /t { return 200 "never requested\n"; }
--- request
GET /t
--- response_body
not this
--- skip_eval: 2: 1



=== TEST 19: section added by a block preprocessor
--- config
    location = /t19 { return 200 "nineteen\n"; }
--- get_uri: /t19
--- response_body
nineteen



=== TEST 20: SKIP
--- config
    location = /t { return 500; }
--- request
GET /t
--- response_body
never
--- SKIP

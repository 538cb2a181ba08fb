# Hostile clients and plugins against the plugin WebSockets (issue 7's
# attacker review): each block is a reproduction of a bug the review found
# and asserts the right behaviour (each failed before its fix).
# Helpers: t/plugins/ws_review.c (hostile handlers), t/ws-hostile/*.py
# (raw-socket clients cweb-ws cannot play: pipelining, RSS checks).

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
require "$FindBin::Bin/inc/ws.pl";

master_on();
workers(1);
plan "no_plan";

our $Py = "python3 $FindBin::Bin/ws-hostile";
our $Port = Test::Nginx::Util::server_port();
our $Root = $Test::Nginx::Util::ServRoot;

ws_blocks();
cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy the hostile plugin
--- http_config
    cweb_websocket_max_queue 64k;
    cweb_websocket_deflate on;
--- request eval
::deploy("ws_review.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: a client that pings and never reads the pongs: one pong waits
at most (the latest ping's), the worker does not grow (it grew ~1.8x
what the client sent while every pong was queued)
--- reuse
--- ws eval
"run $::Py/pingflood.py $::Port $::Root 200000
"
--- response_body_like: \Apingflood: 200000 pings[^\n]*\n\z
--- no_error_log
[alert]



=== TEST 3: permessage-deflate: a client that sends the first
compressed fragment and goes, or a corrupt compressed message (1007),
leaves no zlib state behind (the cleanup frees the inflater)
--- reuse
--- ws eval
"run $::Py/zleak.py $::Port $::Root 500 frag
run $::Py/zleak.py $::Port $::Root 500 bad
"
--- response_body_like: \Azleak frag: [^\n]*\nzleak bad: [^\n]*\n\z
--- no_error_log
[alert]



=== TEST 4: a frame sent with the handshake that does not fit in the
header buffer (client_header_buffer_size 1k): its rest is read at once
(a read is posted), not when the client sends something else
--- reuse
--- ws eval
"run $::Py/pipelined.py $::Port 100
run $::Py/pipelined.py $::Port 2000
"
--- response_body
pipelined 100: 100 bytes echoed
pipelined 2000: 2000 bytes echoed
--- no_error_log
[alert]



=== TEST 5: handshake + frame of exactly 1024 bytes: the bytes that came
with the handshake are fed from the worker's buffer, so the message's NUL
is never written past nginx's 1k header buffer (under make valgrind an
"Invalid write of size 1" showed it)
--- reuse
--- ws eval
"run $::Py/edge1024.py $::Port
"
--- response_body
edge1024: echo ok
--- no_error_log
[alert]



=== TEST 6: on_open calls ws->close(): a client that does not answer the
Close is dropped after NGX_CWEB_WS_CLOSE_WAIT (5 s), not after
cweb_websocket_ping_interval (the takeover re-armed the timer)
--- reuse
--- ws eval
"run $::Py/closewait.py $::Port /r/badclose close-all
run $::Py/closewait.py $::Port /r/openclose
"
--- response_body
closewait /r/badclose: close, eof after < 6.5 s
closewait /r/openclose: close, eof after < 6.5 s



=== TEST 7: the plugin closes while the client still has data in
flight, then the client's Close: the data is read and dropped, the Close
is heard, the connection ends at once (it waited NGX_CWEB_WS_CLOSE_WAIT)
--- reuse
--- ws
connect A /r/badclose
A send text close-all
A send text@60000 a
A send text@60000 a
A send text@60000 a
A send text@60000 a
A close 1000
A expect close 1000
A timeout 1500
A expect eof
--- response_body
A HTTP/1.1 101 Switching Protocols
A close 1000
A eof



=== TEST 7b: deploy ws_test too (another plugin)
--- reuse
--- request eval
::deploy("ws_test.c", NAME => "ws_test", TAG => "")
--- error_code: 201



=== TEST 7c: a stale websocket_t* kept by one plugin never reaches
another plugin's client (refused: another plugin's, and a closed
connection's memory is not reused for the next 256)
--- reuse
--- ws eval
"run $::Py/aba.py $::Port /ws/echo
"
--- response_body
aba: the victim on /ws/echo received b''



=== TEST 7a: the compressor's output buffer (ngx_cweb_ws_zbuf) does not
keep the size of the largest message ever compressed
--- reuse
--- ws eval
"run $::Py/zbuf.py $::Port $::Root
"
--- response_body_like: \Azbuf: [^\n]*\n\z
--- no_error_log
[alert]



=== TEST 8: a new server: send_timeout 2s, a large queue
--- http_config
    cweb_websocket_max_queue 32m;
    send_timeout 2s;
--- request eval
::deploy("ws_review.c")
--- error_code: 201



=== TEST 9: a client that reads steadily (~1.5 MB/s) gets a 13 MB burst:
send_timeout is the time between two writes, re-armed on progress (it
was armed once, when the queue became non-empty)
--- reuse
--- ws eval
"run $::Py/slowreader.py $::Port 200
"
--- response_body_like: \Aslowreader: read \d+ of 13108000 bytes[^\n]*\n\z
--- no_error_log
[alert]

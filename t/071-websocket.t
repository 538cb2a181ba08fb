# Plugin WebSockets (issue 7): the handshake matrix, framing edge cases,
# the close handshake, protocol errors with their close codes, handlers
# that send, close and crash, the chat pattern (ws->send on another
# connection), backpressure (cweb_websocket_max_queue), hot swap of the
# handlers and a reload.  Conversations are held by objs/cweb-ws
# (t/inc/ws.pl: a block's "ws" script, its transcript is the body).

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
require "$FindBin::Bin/inc/ws.pl";

master_on();
workers(1);
plan tests => repeat_each() * 81;

# a second listener, HTTP/2 without TLS (prior knowledge), on a free port
$ENV{TEST_NGINX_CWEB_H2_PORT} ||= ::free_port();

our $Mgnt = "http://127.0.0.1:" . Test::Nginx::Util::server_port() . "/mgnt";
our $Src = "$FindBin::Bin/plugins/ws_test.c";

# a deploy of ws_test.c from inside a conversation (hot swap)
sub deploy_cmd {
    my ($tag, $sed) = @_;
    $sed //= "";
    return "run sed 's/\@NAME\@/ws_test/; s/\@TAG\@/$tag/g; $sed' $Src"
         . " | curl -s -o /dev/null -w '' --data-binary \@- $Mgnt\n";
}

ws_blocks();
cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy
--- http_config
    cweb_websocket_max_queue 64k;
    server {
        listen 127.0.0.1:$TEST_NGINX_CWEB_H2_PORT http2;
        location / {
            cweb;
        }
    }
--- request eval
::deploy("ws_test.c", NAME => "ws_test", TAG => "")
--- error_code: 201
--- response_body_like: "websockets":\[\{"path":"/ws/echo"\}
--- no_error_log
[error]
[alert]



=== TEST 2: echo; sizes 0, 125, 126, 127, 65535, 65536 and 1 MiB (the
7, 16 and 64-bit lengths, cweb_websocket_max_message's default); the
close handshake; the accept of RFC 6455's example key
--- reuse
--- ws_path: /ws/echo
--- ws_opts: --key dGhlIHNhbXBsZSBub25jZQ== --show Sec-WebSocket-Accept --show Upgrade
--- ws
send text hello
expect text hello
send text \e
expect text \e
send text@125 a
expect text@125 a
send binary@126 00
expect text@126 \x00
send text@127 b
expect text@127 b
send text@65535 c
expect text@65535 c
send text@65536 d
expect text@65536 d
send text@1048576 e
expect text@1048576 e
close 1000 bye
expect close 1000
expect eof
--- response_body
HTTP/1.1 101 Switching Protocols
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
Upgrade: websocket
text hello
text
text@125 a
text@126 \x00
text@127 b
text@65535 c
text@65536 d
text@1048576 e
close 1000
eof
--- no_error_log
[error]
[alert]



=== TEST 3: fragments with a ping between them, a code point split across
fragments and across reads, frames sent 3 bytes at a time, bytes sent
with the handshake
--- reuse
--- ws_path: /ws/echo
--- ws
frag text one- +ping:p two- three
expect pong p
expect text one-two-three
frag text-hex c3 a9
expect text \xc3\xa9
split 3
send text partial
expect text partial
--- response_body
HTTP/1.1 101 Switching Protocols
pong p
text one-two-three
text \xc3\xa9
text partial
--- no_error_log
[error]
[alert]



=== TEST 4: the handshake matrix: another version is 426 naming 13; no
key, a key that is not 16 bytes, HTTP/1.0, HTTP/2, no Upgrade: 400; a page of
another origin: 403; this server's own origin: 101
--- reuse
--- ws_path: /ws/echo
--- ws
connect V /ws/echo --version 8 --show Sec-WebSocket-Version
expect status 426
connect K /ws/echo --no-key
expect status 400
connect S /ws/echo --key c2hvcnQ=
expect status 400
connect H /ws/echo --http10
expect status 400
run test "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge -H 'Upgrade: websocket' -H 'Connection: upgrade' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 13' http://127.0.0.1:$TEST_NGINX_CWEB_H2_PORT/ws/echo)" = 400
header Upgrade: h2c
connect U /ws/echo
expect status 400
header Upgrade: websocket
header Origin: http://evil.example
connect O /ws/echo
expect status 403
header Host: app.example
header Origin: https://app.example
connect P /ws/echo
P send text same-origin
P expect text same-origin
--- response_body
V HTTP/1.1 426 Upgrade Required
V Sec-WebSocket-Version: 13
K HTTP/1.1 400 Bad Request
S HTTP/1.1 400 Bad Request
H HTTP/1.1 400 Bad Request
U HTTP/1.1 400 Bad Request
O HTTP/1.1 403 Forbidden
P HTTP/1.1 101 Switching Protocols
P text same-origin
--- no_error_log
[alert]



=== TEST 5: protocol errors and their close codes: an unmasked frame,
a reserved opcode, RSV1 without permessage-deflate, a fragmented ping,
a ping of 126 bytes: 1002; invalid UTF-8 in a text: 1007
--- reuse
--- ws_path: /ws/echo
--- ws
connect A
A raw 8105616263646566
A expect close 1002
A expect eof
connect B
B frame op=3 t:x
B expect close 1002
connect C
C frame rsv=4 t:x
C expect close 1002
connect D
D frame fin=0 op=9 t:x
D expect close 1002
connect E
E send binary@1 00
E expect text \x00
E frame op=9 t:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
E expect close 1002
connect F
F send text-hex ff fe
F expect close 1007
F expect eof
--- response_body
A HTTP/1.1 101 Switching Protocols
A close 1002 unmasked frame
A eof
B HTTP/1.1 101 Switching Protocols
B close 1002 reserved opcode
C HTTP/1.1 101 Switching Protocols
C close 1002 rsv1 without permessage-deflate
D HTTP/1.1 101 Switching Protocols
D close 1002 fragmented control frame
E HTTP/1.1 101 Switching Protocols
E text \x00
E close 1002 control frame too long
F HTTP/1.1 101 Switching Protocols
F close 1007 invalid utf-8 in text
F eof
--- no_error_log
[alert]
[error]



=== TEST 6: a message over cweb_websocket_max_message is refused from its
header (1009); a close code that may not be sent (1005) and a 1-byte
close payload: 1002; invalid UTF-8 in a close reason: 1007; the client's
close without a code is answered without one; the close code classes
(3000-4999 and the registered 1012-1014 are echoed; below 1000, 1004,
1015, 2999, 5000 and up are 1002)
--- reuse
--- ws_path: /ws/echo
--- ws
connect A
A send text@1048577 x
A expect close 1009
connect B
B close 1005
B expect close 1002
connect C
C close-raw 03
C expect close 1002
connect D
D close-raw 03e8ff
D expect close 1007
connect E
E close
E expect close none
E expect eof
connect F
F close 3000 app
F expect close 3000
connect G
G close 4999
G expect close 4999
connect H
H close 1014
H expect close 1014
connect I
I close 999
I expect close 1002
connect J
J close 1004
J expect close 1002
connect K
K close 1015
K expect close 1002
connect L
L close 2999
L expect close 1002
connect M
M close 5000
M expect close 1002
--- response_body
A HTTP/1.1 101 Switching Protocols
A close 1009 message too big
B HTTP/1.1 101 Switching Protocols
B close 1002 invalid close code
C HTTP/1.1 101 Switching Protocols
C close 1002 close frame of 1 byte
D HTTP/1.1 101 Switching Protocols
D close 1007 invalid utf-8 in close reason
E HTTP/1.1 101 Switching Protocols
E close
E eof
F HTTP/1.1 101 Switching Protocols
F close 3000
G HTTP/1.1 101 Switching Protocols
G close 4999
H HTTP/1.1 101 Switching Protocols
H close 1014
I HTTP/1.1 101 Switching Protocols
I close 1002 invalid close code
J HTTP/1.1 101 Switching Protocols
J close 1002 invalid close code
K HTTP/1.1 101 Switching Protocols
K close 1002 invalid close code
L HTTP/1.1 101 Switching Protocols
L close 1002 invalid close code
M HTTP/1.1 101 Switching Protocols
M close 1002 invalid close code
--- no_error_log
[alert]
[error]



=== TEST 7: handlers: on_open sends before anything (it follows the
101); on_open that closes
--- reuse
--- ws
connect G /ws/greet
G expect text welcome
G send text x
G expect text x
connect C /ws/close
C expect text bye
C expect close 1000
C expect eof
--- response_body
G HTTP/1.1 101 Switching Protocols
G text welcome
G text x
C HTTP/1.1 101 Switching Protocols
C text bye
C close 1000
C eof
--- no_error_log
[alert]
[error]



=== TEST 8: the seed's chat pattern: a handler sends on every open
connection; on_close of one tells the others
--- reuse
--- ws
connect A /ws/chat
connect B /ws/chat
A send text hi
A expect text hi
B expect text hi
B send text ho
A expect text ho
B expect text ho
B disconnect
A expect text left
--- response_body
A HTTP/1.1 101 Switching Protocols
B HTTP/1.1 101 Switching Protocols
A text hi
B text hi
A text ho
B text ho
A text left
--- no_error_log
[alert]
[error]



=== TEST 9: backpressure: a client that does not read is closed with
1008 once cweb_websocket_max_queue (64k here) is queued for it; one that
reads gets everything; the stalled one delays no other
--- reuse
--- ws
connect R /ws/flood
R send text 500
R await text@1024 x
connect S /ws/flood --rcvbuf 4096
S stall
S send text 5000
connect Q /ws/echo
Q send text not-delayed
Q expect text not-delayed
sleep 500
S resume
S await close 1008
--- response_body
R HTTP/1.1 101 Switching Protocols
R text@1024 x
S HTTP/1.1 101 Switching Protocols
Q HTTP/1.1 101 Switching Protocols
Q text not-delayed
S close 1008 the client does not read
--- error_log eval
qr/\[warn\] .*cweb websocket "\/ws\/flood": the client does not read, \d+ bytes are queued for it \(cweb_websocket_max_queue 65536\): closed 1008/
--- no_error_log
[alert]



=== TEST 10: on_open reads its request (path, query, headers) and picks
one of the offered subprotocols; later the request is gone (NULL with an
error line); binary frames and pings from the plugin
--- reuse
--- ws
header Sec-WebSocket-Protocol: chat.v1, chat.v2
header X-Who: me
connect A /ws/info?name=ann --show Sec-WebSocket-Protocol
A expect text path=/ws/info name=ann who=me ws=1 proto=0
A send text x
A expect text later=NULL
A expect binary 0001ff
A expect ping pp
header Sec-WebSocket-Protocol: other
connect B /ws/info --show Sec-WebSocket-Protocol
B expect text path=/ws/info name=- who=me ws=1 proto=-1
--- response_body
A HTTP/1.1 101 Switching Protocols
A Sec-WebSocket-Protocol: chat.v2
A text path=/ws/info name=ann who=me ws=1 proto=0
A text later=NULL
A binary 0001ff
A ping pp
B HTTP/1.1 101 Switching Protocols
B Sec-WebSocket-Protocol: (none)
B text path=/ws/info name=- who=me ws=1 proto=-1
--- error_log
cweb plugin "ws_test": cweb_ws_request(): only in on_open
cweb plugin "ws_test": cweb_ws_protocol(): "chat.v2" was not offered
--- no_error_log
[alert]



=== TEST 11: ws->send of invalid UTF-8 is refused: -1 and an error line
(the blocks from here on log errors on purpose)
--- reuse
--- ws_path: /ws/utf8
--- ws
send text go
expect text send rc=-1
--- response_body
HTTP/1.1 101 Switching Protocols
text send rc=-1
--- error_log
cweb plugin "ws_test": ws->send(): the message is not UTF-8 text
--- no_error_log
[alert]



=== TEST 12: hot swap: a deploy keeps the connection and its next message
runs the new version's handler; a version without the path closes it
with 1001; the chat's on_close ran for the old connection
--- reuse
--- ws eval
"connect A /ws/echo
A send text one
A expect text one
" . ::deploy_cmd("v2:") . "A send text two
A expect text v2:two
" . ::deploy_cmd("v3:", 's|\"/ws/echo\"|\"/ws/echo-moved\"|') . "A send text three
A expect close 1001
A expect eof
connect B /ws/echo-moved
B send text four
B expect text v3:four
"
--- response_body
A HTTP/1.1 101 Switching Protocols
A text one
A text v2:two
A close 1001 the plugin no longer serves this path
A eof
B HTTP/1.1 101 Switching Protocols
B text v3:four
--- error_log
cweb plugin "ws_test" version 2 active
cweb plugin "ws_test" version 3 active
--- no_error_log
[alert]



=== TEST 13: a reload: the old worker closes its WebSockets with 1001 and
exits (no open socket left behind); the new one serves
--- reuse
--- ws eval
"connect A /ws/greet
A expect text welcome
run kill -HUP \$(cat $Test::Nginx::Util::ServRoot/logs/nginx.pid)
A expect close 1001
A close 1001
A expect eof
sleep 500
connect B /ws/echo-moved
B send text after
B expect text v3:after
"
--- response_body
A HTTP/1.1 101 Switching Protocols
A text welcome
A close 1001 going away
A eof
B HTTP/1.1 101 Switching Protocols
B text v3:after
--- wait: 0.5
--- no_error_log
[alert]
open socket



=== TEST 14: a handler that crashes: its connection is closed with 1011,
the fault counts for the version (the worker retires, closing its other
WebSockets with 1001); the next connection is served by a new worker
--- reuse
--- ws
connect O /ws/echo-moved
O send text x
O expect text v3:x
connect A /ws/fault
A send text crash
A expect close 1011
O expect close 1001
sleep 500
connect B /ws/fault
B send text ok
B expect text ok
--- response_body
O HTTP/1.1 101 Switching Protocols
O text v3:x
A HTTP/1.1 101 Switching Protocols
A close 1011 the plugin failed
O close 1001 going away
B HTTP/1.1 101 Switching Protocols
B text ok
--- error_log eval
[qr/cweb plugin "ws_test" websocket "\/ws\/fault": on_message crashed \(SIGSEGV\): a fault/,
 qr/cweb plugin "ws_test" version 3 faulted: SIGSEGV in websocket \/ws\/fault/]
--- no_error_log
[alert]



=== TEST 15: kill -9 of the worker drops only its connections: the
client sees the end, a new worker serves the next one, /mgnt answers
--- reuse
--- ws eval
"connect A /ws/echo-moved
A send text before
A expect text v3:before
run kill -9 \$(grep -o 'start worker process [0-9]*' $Test::Nginx::Util::ServRoot/logs/error.log | tail -n 1 | cut -d' ' -f4)
A expect eof
sleep 500
connect B /ws/echo-moved
B send text after
B expect text v3:after
run test \$(curl -s -o /dev/null -w '%{http_code}' $::Mgnt) = 200
"
--- response_body
A HTTP/1.1 101 Switching Protocols
A text v3:before
A eof
B HTTP/1.1 101 Switching Protocols
B text v3:after



=== TEST 16: with cweb_websocket_deflate on: deploy again (a new server)
--- http_config
    cweb_websocket_deflate on;
    cweb_websocket_max_message 1k;
    cweb_websocket_max_queue 16m;
    cweb_handler_timeout 1s;
    send_timeout 1s;
--- request eval
::deploy("ws_test.c", NAME => "ws_test", TAG => "")
--- error_code: 201
--- no_error_log
[error]



=== TEST 17: permessage-deflate is agreed without context takeover both
ways; a compressed message is inflated (RFC 7692's "Hello"); inflated
text is checked as UTF-8 (1007); a message that inflates past
cweb_websocket_max_message closes 1009 (a deflate bomb stops there); a
client that does not offer it gets plain frames
--- reuse
--- ws_path: /ws/echo
--- ws
header Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits
connect A /ws/echo --show Sec-WebSocket-Extensions
A frame rsv=4 f248cdc9c90700
A expect text Hello
A send text plain
A expect text plain
connect B /ws/echo
B frame rsv=4 faff0f00
B expect close 1007
connect C /ws/echo
C frame rsv=4 4a4c1c05a360148c8251300a46c150070000
C expect close 1009
connect E /ws/echo
E frame rsv=4 ff
E expect close 1007
header -Sec-WebSocket-Extensions
connect D /ws/echo --show Sec-WebSocket-Extensions
D frame rsv=4 f248cdc9c90700
D expect close 1002
--- response_body
A HTTP/1.1 101 Switching Protocols
A Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover
A text Hello
A text plain
B HTTP/1.1 101 Switching Protocols
B close 1007 invalid utf-8 in text
C HTTP/1.1 101 Switching Protocols
C close 1009 message too big
E HTTP/1.1 101 Switching Protocols
E close 1007 the compressed message cannot be inflated
D HTTP/1.1 101 Switching Protocols
D Sec-WebSocket-Extensions: (none)
D close 1002 rsv1 without permessage-deflate
--- no_error_log
[alert]
[error]



=== TEST 18: a handler that never returns: the watchdog ends the call
after cweb_handler_timeout (the worker dies: its last words to the
client are a Close 1011) and the timeout counts as a fault of the
version
--- reuse
--- ws
connect A /ws/fault
A send text spin
A await close 1011
--- response_body
A HTTP/1.1 101 Switching Protocols
A close 1011 the plugin failed
--- error_log eval
qr/cweb plugin "ws_test" version 1 faulted: still running after 1000 ms in websocket \/ws\/fault/



=== TEST 19: send_timeout: a client that stops reading while less than
cweb_websocket_max_queue is queued for it is dropped once a write has
waited send_timeout (1s here)
--- reuse
--- ws
connect S /ws/flood --rcvbuf 4096
S stall
S send text 8000
sleep 2500
S resume
S await eof
--- response_body
S HTTP/1.1 101 Switching Protocols
S eof
--- error_log
cweb websocket "/ws/flood": the client did not read within send_timeout
--- no_error_log
closed 1008



=== TEST 20: a new server: pings every 500 ms; the websocket.c example
--- http_config
    cweb_websocket_ping_interval 500ms;
--- request eval
[::deploy("ws_test.c", NAME => "ws_test", TAG => ""),
 ::deploy("$ENV{TEST_NGINX_CWEB_ROOT}/example-modules/websocket.c")]
--- error_code eval
[201, 201]
--- no_error_log
[error]



=== TEST 21: the server pings a quiet client every
cweb_websocket_ping_interval; one that answers stays; one silent for two
intervals is closed with 1001 "idle"; the example answers "You: ..."
--- reuse
--- ws
connect E /websocket
E send text hi
E expect text You: hi
connect A /ws/echo
A autopong off
A expect ping
A pong
A expect ping
A pong
A send text still-here
A expect text still-here
connect S /ws/echo
S autopong off
S await close 1001
--- response_body
E HTTP/1.1 101 Switching Protocols
E text You: hi
A HTTP/1.1 101 Switching Protocols
A ping
A ping
A text still-here
S HTTP/1.1 101 Switching Protocols
S close 1001 idle
--- no_error_log
[error]
[alert]

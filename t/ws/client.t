# cweb-ws, the suites' WebSocket client, against the echo stand-in
# objs/ws-echo (not nginx: nginx only serves the transcript, see
# t/inc/ws.pl): the script steps, the transcript, the failure report,
# two connections at once.  It proves the pattern the WebSocket suites
# use, under t/lib and under the real Test::Nginx.

use Test::Nginx::Socket 'no_plan';
use FindBin;
require "$FindBin::Bin/../inc/ws.pl";

no_shuffle();
ws_blocks(config => "");
ws_echo_start();

run_tests();

__DATA__

=== TEST 1: a text echoed, the close handshake, the accept checked
--- ws_opts: --key dGhlIHNhbXBsZSBub25jZQ== --show Sec-WebSocket-Accept
--- ws
send text hello
expect text hello
close 1000 bye
expect close 1000 bye
expect eof
--- response_body
HTTP/1.1 101 Switching Protocols
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
text hello
close 1000 bye
eof
--- no_error_log
[error]



=== TEST 2: the length forms: 0, 125, 126, 127, 65535, 65536, 1 MiB
--- ws
send text \e
expect text \e
send text@125 a
expect text@125 a
send binary@126 00
expect binary@126 00
send text@127 b
expect text-len 127
send binary@65535 ff
expect binary-len 65535
send binary@65536 01
expect binary@65536 01
send text@1048576 A
expect text@1048576 A
--- response_body
HTTP/1.1 101 Switching Protocols
text
text@125 a
binary@126 00
text@127 b
binary@65535 ff
binary@65536 01
text@1048576 A



=== TEST 3: fragments with a ping between them, a code point split
across fragments, a frame sent 3 bytes at a time
--- ws
frag text hel +ping:p1 lo \sworld
expect pong p1
expect text hello world
frag text-hex 61ce ba62
expect text a\xce\xbab
split 3 5
send text in pieces
expect text in pieces
frame fin=0 op=2 00
frame op=0 01
expect binary 0001
--- response_body
HTTP/1.1 101 Switching Protocols
pong p1
text hello world
text a\xce\xbab
text in pieces
binary 0001



=== TEST 4: an unmasked frame (raw bytes) gets close 1002
--- ws
raw 81 02 68 69
expect close 1002
expect eof
--- response_body
HTTP/1.1 101 Switching Protocols
close 1002
eof



=== TEST 5: no key: no 101
--- ws_opts: --no-key
--- ws
expect status 400
expect header Connection: close
expect eof
--- response_body
HTTP/1.1 400 Bad Request
eof



=== TEST 6: two connections at once, each with its own events
--- ws
connect A /a
connect B /b
A send text from a
B send text from b
B expect text from b
A expect text from a
A close 1000
B ping b
B expect pong b
A expect close 1000
A expect eof
--- response_body
A HTTP/1.1 101 Switching Protocols
B HTTP/1.1 101 Switching Protocols
B text from b
A text from a
B pong b
A close 1000
A eof



=== TEST 7: a failed expect is in the transcript, with its line
--- ws
send text hi
expect text other
send text never sent
--- response_body
HTTP/1.1 101 Switching Protocols
text hi
cweb-ws: FAIL line 2: got the event above
cweb-ws: line 2: expect: failed: expect text other



=== TEST 8: await skips what does not match; recv prints what comes
--- ws
send text 1
send text 2
send text 3
await text 3
ping x
recv 2
--- response_body
HTTP/1.1 101 Switching Protocols
text 3
pong x
nothing



=== TEST 9: a stalled connection reads nothing until it resumes
--- ws
stall
send text queued
expect nothing 300
resume
expect text queued
--- response_body
HTTP/1.1 101 Switching Protocols
text queued



=== TEST 10: the handshake matrix's options reach the server: version 8
--- ws_opts: --version 8 --show Connection
--- ws
expect status 400
--- response_body
HTTP/1.1 400 Bad Request
Connection: close

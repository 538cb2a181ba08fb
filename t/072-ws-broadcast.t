# cweb_ws_broadcast() (issue 7 item 6): a message for every open WebSocket
# of a plugin's path in every worker, through the event ring and the
# doorbells (src/ngx_cweb_ipc.c).  Two workers and reuseport, so that the
# connections of a block land on both (each connection's on_open tells
# its worker's pid, and the blocks check that two pids served them).

BEGIN { $ENV{TEST_NGINX_REUSE_PORT} = 1 }

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";
require "$FindBin::Bin/inc/ws.pl";

master_on();
workers(2);
plan tests => repeat_each() * 41;

our $Port = Test::Nginx::Util::server_port();
our $Mgnt = "http://127.0.0.1:$Port/mgnt";
our $Src = "$FindBin::Bin/plugins/ws_bcast.c";
our $N = 12;

# "within milliseconds" (the doorbells; the fallback poll takes 1 s):
# valgrind slows everything, there only delivery is checked
our $Quick = $ENV{TEST_NGINX_USE_VALGRIND} ? 5000 : 300;

# a respawned worker is up; the old workers of a reload outlive their
# close by 1 s, under valgrind often not long enough for the new ones
our $Respawn = $ENV{TEST_NGINX_USE_VALGRIND} ? 3000 : 500;
our $OldGot = $ENV{TEST_NGINX_USE_VALGRIND} ? '\d+' : '[12]';

# a deploy from inside a conversation (a block of its own config)
our $Deploy = "run curl -s -o /dev/null --data-binary \@$Src $Mgnt\n";

# N connections C1..CN on /ws/room, each telling its pid
sub room {
    my ($n) = @_;
    return join "", map { "connect C$_ /ws/room\nC$_ recv\n" } 1 .. $n;
}

sub room_out {
    my ($n) = @_;
    return join "", map { "C$_ HTTP/1.1 101 Switching Protocols\n"
                          . "C$_ text pid \\d+\n" } 1 .. $n;
}

# every connection expects it
sub all {
    my ($n, $what) = @_;
    return join "", map { "C$_ expect $what\n" } 1 .. $n;
}

sub all_out {
    my ($n, $what) = @_;
    return join "", map { "C$_ $what\n" } 1 .. $n;
}

# prints whether a worker that was shutting down (a reload's old one)
# delivered event N: it read the ring it shares with the new workers
sub old_delivered {
    my ($n) = @_;
    my $log = "$Test::Nginx::Util::ServRoot/logs/error.log";
    return "run awk '/gracefully shutting down/ { old[\$4] = 1 }"
         . " /cweb ipc: event $n of kind 1,/ && (\$4 in old) { n++ }"
         . " END { print \"old workers delivering event $n: \" n + 0 }'"
         . " $log\n";
}

# the connections were served by (at least) two workers
our $TwoPids = '(?=(?s:.*?text pid (\d+)\n.*text pid (?!\1\n)\d+\n))';

ws_blocks();
cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy
--- request eval
::deploy("ws_bcast.c")
--- error_code: 201
--- response_body_like: "websockets":\[\{"path":"/ws/room"\},\{"path":"/ws/other"\}\]
--- no_error_log
[error]
[alert]



=== TEST 2: a broadcast from a handler reaches every connection of the
path on both workers, the caller's too, within 300 ms (the doorbells: the
fallback poll is 1 s), and none of another path; one from that path
reaches only it; frames are built once per worker
--- reuse
--- ws eval
::room($::N) . "connect X /ws/other
X recv
timeout $::Quick
C1 send text broadcast hello
C1 expect text rc=0
" . ::all($::N, "text hello") . "X expect nothing 300
X send text other hi
X expect text rc=0
X expect text hi
C2 send text broadcast end
C2 expect text rc=0
" . ::all($::N, "text end") . "X expect nothing 300
"
--- response_body_like eval
qr/^$::TwoPids${\ ::room_out($::N)}X HTTP\/1.1 101 Switching Protocols
X text pid \d+
C1 text rc=0
${\ ::all_out($::N, "text hello")}X text rc=0
X text hi
C2 text rc=0
${\ ::all_out($::N, "text end")}$/
--- error_log eval
[qr/cweb websocket: broadcast on "\/ws\/room" of 5 bytes to \d+ connections, 1 frames built/,
 qr/cweb websocket: broadcast on "\/ws\/other" of 2 bytes to 1 connections, 1 frames built/]
--- no_error_log
[error]
[alert]



=== TEST 3: a binary broadcast, a large one (512 KiB), and one from a
route handler reach every connection
--- reuse
--- ws eval
::room(4) . "C1 send text binary abc
C1 expect text rc=0
" . ::all(4, "binary 616263") . "C2 send text big 524288
C2 expect text rc=0
" . ::all(4, "text\@524288 b") . "run curl -s -o /dev/null http://127.0.0.1:$::Port/bcast?m=from-route
" . ::all(4, "text from-route")
--- response_body_like eval
qr/^${\ ::room_out(4)}C1 text rc=0
${\ ::all_out(4, "binary 616263")}C2 text rc=0
${\ ::all_out(4, "text\@524288 b")}${\ ::all_out(4, "text from-route")}$/
--- no_error_log
[error]
[alert]



=== TEST 4: refused with -1 and an error line, nothing sent: text that is
not UTF-8, a path the plugin does not declare, another opcode, more than
a quarter of cweb_event_zone
--- reuse
--- ws eval
::room(2) . "C1 send text badutf8
C1 expect text rc=-1
C1 send text nope x
C1 expect text rc=-1
C1 send text opcode
C1 expect text rc=-1
C1 send text big 1048576
C1 expect text rc=-1
C1 expect nothing 300
C2 expect nothing 300
"
--- response_body_like eval
qr/^${\ ::room_out(2)}C1 text rc=-1
C1 text rc=-1
C1 text rc=-1
C1 text rc=-1
$/
--- error_log eval
[qr/cweb plugin "ws_bcast": cweb_ws_broadcast\(\): the message is not UTF-8 text/,
 qr/cweb plugin "ws_bcast": cweb_ws_broadcast\(\): not a WebSocket path of this plugin's module_t.websockets\[\]/,
 qr/cweb plugin "ws_bcast": cweb_ws_broadcast\(\): the opcode is neither CWEB_WS_TEXT nor CWEB_WS_BINARY/,
 qr/cweb plugin "ws_bcast": cweb_ws_broadcast\(\): a message of 1048576 bytes is larger than cweb_event_zone takes \(\d+ bytes with the path\)/]
--- no_error_log
[alert]



=== TEST 5: kill -9 of a worker (one with a doorbell in ipc/): its socket
is left behind; the next broadcast drops it and still reaches the others
--- reuse
--- ws eval
"run kill -9 \$(ls $Test::Nginx::Util::ServRoot/cweb_temp/ipc | sed -n '1s/[.]sock\$//p')
sleep $::Respawn
" . ::room(4) . "C1 send text broadcast after-kill
C1 expect text rc=0
" . ::all(4, "text after-kill")
--- response_body_like eval
qr/^${\ ::room_out(4)}C1 text rc=0
${\ ::all_out(4, "text after-kill")}$/
--- error_log eval
qr/\[notice\] .*cweb ipc: process \d+ is gone, its doorbell dropped/
--- no_error_log
sendto() to the cweb doorbell



=== TEST 6: a reload while connected: the old workers close with 1001 and
leave the peer table themselves; the zone is reused, so its sequence
goes on in the new workers, which deliver, and the old ones (kept a second
by clients that do not answer their close) get the new workers' events
too
--- http_config
    cweb_event_zone 2m;
--- ws eval
"$::Deploy" . ::room(2) . "C1 autoclose off
C2 autoclose off
C1 send text broadcast before
C1 expect text rc=0
" . ::all(2, "text before") . "run kill -HUP \$(cat $Test::Nginx::Util::ServRoot/logs/nginx.pid)
" . ::all(2, "close 1001") . "connect D1 /ws/room
D1 recv
connect D2 /ws/room
D2 recv
D1 send text broadcast after
D1 expect text rc=0
D1 expect text after
D2 expect text after
sleep 1500
" . ::old_delivered(2)
--- response_body_like eval
qr/^${\ ::room_out(2)}C1 text rc=0
${\ ::all_out(2, "text before")}${\ ::all_out(2, "close 1001 going away")}D1 HTTP\/1.1 101 Switching Protocols
D1 text pid \d+
D2 HTTP\/1.1 101 Switching Protocols
D2 text pid \d+
D1 text rc=0
D1 text after
D2 text after
old workers delivering event 2: $::OldGot
$/
--- grep_error_log eval
qr/cweb ipc: event \d+ of kind 1 published/
--- grep_error_log_out
cweb ipc: event 1 of kind 1 published
cweb ipc: event 2 of kind 1 published
--- no_error_log
[error]
[alert]
doorbell dropped



=== TEST 7: a worker that falls a ring behind (a handler that broadcasts
100 KB at once into a 32k zone) loses the oldest, says how many at warn,
and delivers the rest; a message over a quarter of this ring is refused
--- http_config
    cweb_event_zone 32k;
--- ws eval
"$::Deploy" . "connect A /ws/room
A recv
A send text many 100 1000
A expect text rc=0
A await text\@1000 V
A send text big 8000
A expect text rc=-1
"
--- response_body_like eval
qr/^A HTTP\/1.1 101 Switching Protocols
A text pid \d+
A text rc=0
A text\@1000 V
A text rc=-1
$/
--- error_log eval
[qr/\[warn\] .*cweb ipc: this process fell behind the event ring and lost \d+ events \(cweb_event_zone 32768 is small for their rate\)/,
 qr/cweb_ws_broadcast\(\): a message of 8000 bytes is larger than cweb_event_zone takes/]
--- no_error_log
[alert]



=== TEST 8: with permessage-deflate, a worker compresses a broadcast once
for all its connections that agreed to it (and frames it plainly once
for the others): never more than 2 frames built per worker for 6 + 2
connections (cweb-ws reads no compressed frames: an RSV1 frame is its
"error reserved bits set")
--- http_config
    cweb_websocket_deflate on;
--- ws eval
"$::Deploy" . "header Sec-WebSocket-Extensions: permessage-deflate
" . ::room(6) . "header -Sec-WebSocket-Extensions
connect P1 /ws/room
P1 recv
connect P2 /ws/room
P2 recv
P1 send text big 200
P1 expect text rc=0
P1 expect text\@200 b
P2 expect text\@200 b
" . ::all(6, "error")
--- response_body_like eval
qr/^${\ ::room_out(6)}P1 HTTP\/1.1 101 Switching Protocols
P1 text pid \d+
P2 HTTP\/1.1 101 Switching Protocols
P2 text pid \d+
P1 text rc=0
P1 text\@200 b
P2 text\@200 b
${\ ::all_out(6, "error reserved bits set: error")}$/
--- error_log eval
qr/cweb websocket: broadcast on "\/ws\/room" of 200 bytes to \d+ connections, [12] frames built/
--- no_error_log eval
[qr/connections, [3-9] frames built/, "[alert]"]

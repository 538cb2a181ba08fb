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
plan tests => repeat_each() * 44;

our $Port = Test::Nginx::Util::server_port();
our $Mgnt = "http://127.0.0.1:$Port/mgnt";
our $Src = "$FindBin::Bin/plugins/ws_bcast.c";
our $N = 12;

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
path on both workers, the caller's too, and none of another path; one
from that path reaches only it; frames are built once per worker
--- reuse
--- ws eval
::room($::N) . "connect X /ws/other
X recv
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

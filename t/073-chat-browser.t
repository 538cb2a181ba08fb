# The chat example (example-modules/chat.c) in a real browser: headless
# Chromium loads a page that opens two WebSockets as two users (ann, bob)
# on two nginx workers' listener, each sends once, and the page writes what
# each socket received into the DOM.  The messages reach both users through
# cweb_ws_broadcast(), whichever worker holds their connection.  The chat's
# own page (GET /chat) is served by its route.
#
# The two users are two sockets of one page; with 2 workers they may land
# on one worker or on two (t/072 proves the delivery across workers).
#
# Needs /usr/bin/chromium (Debian package chromium); without it every test
# is skipped.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

my $init_tests = 2;
my $tests = 12;

our $Chromium = '/usr/bin/chromium';

if (!-x $Chromium) {
    plan tests => $init_tests + $tests;
    SKIP: {
        skip "$Chromium is not installed (Debian package chromium)",
             $init_tests + $tests;
    }
    exit 0;
}

master_on();
workers(2);
plan tests => $init_tests + repeat_each() * $tests;

our $Config = <<'_EOC_';
    location /mgnt {
        cweb_mgnt;
    }
    location /page/ {
        alias $TEST_NGINX_SERVER_ROOT/html/;
    }
    location /slow/ {
        alias $TEST_NGINX_SERVER_ROOT/html/;
        limit_rate 100;
    }
    location = /favicon.ico {
        return 204;
    }
    location / {
        cweb;
    }
_EOC_

# two users, one step at a time: ann joins, bob joins, ann speaks, bob
# speaks; the page writes both transcripts and "done"
our $Page = <<'_EOP_';
<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>cweb chat test</title></head>
<body>
<div id="out">waiting</div>
<script>
var out = document.getElementById('out');
var got = {ann: [], bob: []};
var sock = {};
var stage = 0;

function open(name) {
    var ws = new WebSocket('ws://' + location.host + '/chat/ws?name=' + name);
    ws.onmessage = function (e) { got[name].push(e.data); step(); };
    ws.onerror = function () { out.textContent = 'error ' + name + ' done'; };
    sock[name] = ws;
}

function step() {
    if (stage === 0 && got.ann.length === 1) {
        stage = 1;
        open('bob');
    } else if (stage === 1 && got.ann.length === 2 && got.bob.length === 1) {
        stage = 2;
        sock.ann.send('hello from ann');
    } else if (stage === 2 && got.ann.length === 3 && got.bob.length === 2) {
        stage = 3;
        sock.bob.send('hi from bob');
    } else if (stage === 3 && got.ann.length === 4 && got.bob.length === 3) {
        stage = 4;
        out.textContent = 'ann: ' + got.ann.join(' | ') + ' ## bob: '
                          + got.bob.join(' | ') + ' ## done';
        finished = true;
    }
}

/*
 * Chromium's virtual time (--virtual-time-budget) does not wait for
 * WebSocket messages, only for pending fetches: one slow fetch (100
 * bytes at 100 bytes/s) is kept pending until the page is done
 */
var finished = false;

function hold() {
    if (!finished) {
        fetch('/slow/slow.txt?' + Math.random())
        .then(function (r) { return r.text(); }).then(hold, hold);
    }
}

hold();
open('ann');
</script>
</body>
</html>
_EOP_


sub chat_in_browser {
    my $out = ::chromium_out("http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}"
                       . "/page/chat-test.html");
    like($out, qr/ done$/, "the page ran to its end");
    is($out, "ann: * ann joined | * bob joined | ann: hello from ann"
             . " | bob: hi from bob ## bob: * bob joined"
             . " | ann: hello from ann | bob: hi from bob ## done",
       "both users saw the joins and both messages, in order");
}

cweb_blocks(config => $Config);

run_tests();

__DATA__

=== TEST 1: deploy the chat example; its page is served by its route
--- user_files eval
[["chat-test.html", $::Page], ["slow.txt", "x" x 100]]
--- request eval
[::deploy("$ENV{TEST_NGINX_CWEB_ROOT}/example-modules/chat.c"), "GET /chat"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"websockets":\[\{"path":"\/chat\/ws"\}\]/, qr/new WebSocket\(/]
--- no_error_log
[error]
[alert]



=== TEST 2: two users in Chromium see each other's messages
--- reuse
--- init
main::chat_in_browser();
--- request
GET /page/chat-test.html
--- response_body_like: new WebSocket
--- no_error_log
[error]
[alert]

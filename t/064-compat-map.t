# c-web-modules' map.h, container.h and scheduler.h: maps (create, insert,
# get, remove, size, destroy; duplicates, growth, bad arguments refused
# with an error line), ctx->cache shared by two plugins of one worker with
# a version's entries gone once it is unloaded, a plugin's own container,
# scheduler_add on ctx->scheduler, what the host refuses, and each header
# compiling on its own.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 103;

cweb_blocks();

sub refused {
    return '{"error":"invalid plugin","reason":"no \"config\" symbol: a '
         . 'plugin must define \"export module_t config\""}' . "\n";
}

run_tests();

__DATA__

=== TEST 1: deploy compat_map (version 1) and compat_map_peer, warning-free
--- http_config
    cweb_cflags -O2 -Wall -Werror;
--- request eval
[::deploy("compat_map.c", V => 1), ::deploy("compat_map_peer.c")]
--- error_code eval
[201, 201]
--- no_error_log
[error]
[alert]



=== TEST 2: a map: missing keys, a duplicate key replaces, remove, growth
past the initial capacity, keys copied, NULL values
--- reuse
--- request
GET /compat/map
--- response_body
create cap=8 size=0
insert=0 get=1 missing=null
dup=0 size=1 get=2
remove=0 again=3 get=null size=0
grow=0 size=100 grown=yes all=ok
half=0 size=50 rest=ok
key copied=yes
null value=0 size=52 get=null
--- no_error_log
[error]
[alert]



=== TEST 3: a container of the plugin's own works as upstream's
--- reuse
--- request
GET /compat/own
--- response_body
init=0 set=0 get=one size=1 remove=0 again=3 shutdown data=null
--- no_error_log
[error]
[alert]



=== TEST 4: scheduler_add on ctx->scheduler: SYNC runs at once, ASYNC after
the handler returned (pending until then)
--- reuse
--- request eval
["GET /compat/sched", "GET /compat/sched"]
--- response_body eval
["add=0/0 sync=1 async=0 pending=1\n", "add=0/0 sync=2 async=1 pending=1\n"]
--- no_error_log
[error]
[alert]



=== TEST 5: ctx->cache across two plugins of the worker: container_set,
map_insert on ctx->cache->data, ->set and onload's entry all seen by the
other plugin's container_get / map_get / ->get
--- reuse
--- request eval
["GET /compat/cache/set", "GET /peer/set", "GET /peer/get", "GET /peer/map"]
--- response_body eval
["set=0 direct=0 seed=0\n", "set=0\n",
 "entry=v1 entry direct=v1 direct seed=v1 seed onload=v1 onload own=peer data\n",
 "size=1 from=v1\n"]
--- no_error_log
[error]
[alert]



=== TEST 6: version 2 of compat_map is deployed: every entry version 1 set
is gone (its strings were in its unloaded code), the peer's entry stays
(version 2 is loaded, and its onload() run, on its first request)
--- reuse
--- request eval
[::deploy("compat_map.c", V => 2), "GET /peer/get"]
--- response_body_like eval
[qr/"version":2,.*"replaced"/,
 qr/^entry=\(none\) direct=\(none\) seed=\(none\) onload=\(none\) own=peer data$/]
--- no_error_log
[error]
[alert]



=== TEST 7: the map version 1 left behind went with it: the peer's pointer
to it is refused, not followed
--- reuse
--- request
GET /peer/map
--- response_body
size=0 from=(none)
--- error_log eval
[qr/cweb plugin "compat_map_peer": map_size\(\): [0-9A-F]+ is not a map of this process/,
 qr/cweb plugin "compat_map_peer": map_get\(\): [0-9A-F]+ is not a map of this process/]
--- no_error_log
[alert]



=== TEST 8: version 2 sets its entries
--- reuse
--- request eval
["GET /compat/cache/set", "GET /peer/get"]
--- response_body eval
["set=0 direct=0 seed=0\n",
 "entry=v2 entry direct=v2 direct seed=v2 seed onload=v2 onload own=peer data\n"]
--- no_error_log
[alert]



=== TEST 9: the host's cache and scheduler are not the plugin's to create
or destroy: refused with a line each, and the cache still works
--- reuse
--- request
GET /compat/refuse
--- response_body
container_init=-1
scheduler_init=-1
cache still set=0 get=yes remove=0
onload entry=v2 onload
--- error_log
cweb plugin "compat_map": container_init(): ctx->cache belongs to the host, not initialised again
cweb plugin "compat_map": container_shutdown(): ctx->cache belongs to the host, not destroyed
cweb plugin "compat_map": map_destroy(): ctx->cache->data belongs to the host, not destroyed
cweb plugin "compat_map": scheduler_init(): ctx->scheduler belongs to the host, refused
cweb plugin "compat_map": scheduler_shutdown(): ctx->scheduler belongs to the host, refused
cweb plugin "compat_map": scheduler_request_stop(): ctx->scheduler belongs to the host, refused
cweb plugin "compat_map": scheduler_cancel(): ctx->scheduler belongs to the host, refused
--- no_error_log
[alert]



=== TEST 10: NULL, a map the host did not create, a destroyed map, an
uninitialised container, a bad scheduler call: error codes and a line each
--- reuse
--- request
GET /compat/map/misuse
--- response_body
create0=null
insert null map=1 key=1
get null map=null key=null
remove null map=1 key=1
size null=0
not a map insert=1 size=0
destroyed get=null insert=1
container null=1 name=1 value=1 get=null
container uninit=1 missing=3
scheduler null=-1 work=-1 state=-1 own=-1 pending=0
--- error_log eval
['cweb plugin "compat_map": map_create(): initial capacity 0 is out of range',
 'cweb plugin "compat_map": map_insert(): NULL map',
 'cweb plugin "compat_map": map_insert(): NULL key',
 'cweb plugin "compat_map": map_get(): NULL map',
 'cweb plugin "compat_map": map_get(): NULL key',
 'cweb plugin "compat_map": map_remove(): NULL map',
 'cweb plugin "compat_map": map_remove(): NULL key',
 'cweb plugin "compat_map": map_size(): NULL map',
 qr/map_insert\(\): [0-9A-F]+ is not a map of this process \(not from map_create\(\), or destroyed\)/,
 qr/map_size\(\): [0-9A-F]+ is not a map of this process/,
 qr/map_get\(\): [0-9A-F]+ is not a map of this process/,
 'cweb plugin "compat_map": container_set(): NULL container',
 'cweb plugin "compat_map": container_set(): NULL name',
 'cweb plugin "compat_map": container_set(): NULL value',
 'cweb plugin "compat_map": container_get(): NULL container',
 'cweb plugin "compat_map": container_set(): container not initialised (container_init())',
 'cweb plugin "compat_map": scheduler_add(): NULL scheduler',
 'cweb plugin "compat_map": scheduler_add(): NULL work',
 'cweb plugin "compat_map": scheduler_add(): state 7 is neither ASYNC nor SYNC',
 'cweb plugin "compat_map": scheduler_init(): not ctx->scheduler (the only scheduler there is)',
 'cweb plugin "compat_map": scheduler_pending_count(): not ctx->scheduler']
--- no_error_log
[alert]



=== TEST 11: a file that includes only <map.h>, <container.h> or
<scheduler.h> compiles and links warning-free (refused for having no config)
--- reuse
--- request eval
[::deploy("compat_hdr.c", HDR => "map.h"),
 ::deploy("compat_hdr.c", HDR => "container.h"),
 ::deploy("compat_hdr.c", HDR => "scheduler.h")]
--- error_code eval
[422, 422, 422]
--- response_body eval
[::refused(), ::refused(), ::refused()]
--- error_log
refused: no "config" symbol
--- no_error_log
[alert]

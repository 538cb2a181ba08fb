# c-web-modules' utility headers and server-internal headers: list.h
# (newest first, remove of a missing item, LIST_FOREACH_SAFE removing
# every node, one node, none), queue.h (FIFO with wrap-around, full and
# empty statuses, try_ variants, the blocking variants answering instead
# of waiting, NULLs), defer.h (latest first at scope exit, on return and
# break), pool.h (thread_pool_init refused, tasks dropped with an error
# line); every header compiling alone, and a server function refused at
# compile time.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 72;

cweb_blocks();

sub refused {
    return '{"error":"invalid plugin","reason":"no \"config\" symbol: a '
         . 'plugin must define \"export module_t config\""}' . "\n";
}

our @Internal = qw(router.h ws.h active_conn.h engine.h server.h shutdown.h
                   libevent.h);
our @Util = qw(list.h queue.h pool.h defer.h);

# a plugin that calls one of upstream's server functions
our $ServerCall = <<'_EOC_';
#include <cweb.h>
#include <router.h>

static int
h(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    return router_init(NULL, NULL, "routes", "modules", 0, ctx);
}

export module_t  config = {
    .name = "server_call",
    .routes = { { "/server_call", "GET", h, NONE } },
    .size = 1,
};
_EOC_

# a plugin whose own functions have list.h's and queue.h's names
our $OwnNames = <<'_EOC_';
#include <cweb.h>

struct list { int own; };

struct list *
list_create(void)
{
    static struct list  l = { 1 };

    return &l;
}

size_t
queue_size(void *q)
{
    return 42;
}

static int
h(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "%s list_create own "
             "queue_size=%zu\n", list_create()->own ? "own" : "ours",
             queue_size(NULL));
    return 0;
}

export module_t  config = {
    .name = "own_names",
    .routes = { { "/own_names", "GET", h, NONE } },
    .size = 1,
};
_EOC_

run_tests();

__DATA__

=== TEST 1: deploy the utility headers' plugin
--- request eval
::deploy("compat_util.c")
--- error_code: 201
--- no_error_log
[error]
[alert]



=== TEST 2: list.h: newest first, remove of a missing item is 0,
LIST_FOREACH_SAFE visits every node while removing each (one, none)
--- reuse
--- request
GET /util/list
--- response_body
iterate=cba size=3
remove missing=0 size=3
remove b=1 again=0 size=2
foreach=ca safe-remove-all=dca size=0 head=NULL
safe-one=1 safe-empty=0 remove-empty=0 null=0
--- no_error_log
[error]
[alert]



=== TEST 3: queue.h: FIFO across the wrap-around, full and empty
statuses, try_ variants, NULL
--- reuse
--- request
GET /util/queue
--- response_body
create0=NULL
empty: try_dequeue=EMPTY item=NULL size=0
enqueue=OK try_enqueue=OK full: try_enqueue=FULL size=2
dequeue=OK:1 wrap enqueue=OK try_dequeue=OK:2 dequeue=OK:3 size=0
null size=0
--- no_error_log
[error]
[alert]



=== TEST 4: defer.h: latest first at scope exit, on return (seeing the
variable's value then), once per loop iteration and on break
--- reuse
--- request
GET /util/defer
--- response_body
order=body.second.first.
exit=return.v2.|end.v3.
loop=i.d.break.d.
--- no_error_log
[error]
[alert]



=== TEST 5: queue.h: queue_enqueue on a full queue and queue_dequeue on
an empty one answer at once, with an error line; NULLs are QUEUE_ERROR
--- reuse
--- request
GET /util/queue_bad
--- response_body
empty dequeue=EMPTY full enqueue=FULL size=1
null: enqueue=ERROR try_enqueue=ERROR dequeue=ERROR try_dequeue=ERROR item=ERROR
--- error_log
cweb plugin "compat_util": queue_dequeue(): the queue is empty; waiting for an item would stall the worker, QUEUE_EMPTY instead
cweb plugin "compat_util": queue_enqueue(): the queue is full; waiting for room would stall the worker, QUEUE_FULL instead
cweb plugin "compat_util": queue_enqueue(): queue is NULL
cweb plugin "compat_util": queue_try_enqueue(): queue is NULL
cweb plugin "compat_util": queue_dequeue(): queue is NULL
cweb plugin "compat_util": queue_try_dequeue(): queue is NULL
cweb plugin "compat_util": queue_try_dequeue(): item is NULL
--- no_error_log
[alert]



=== TEST 6: pool.h: thread_pool_init is refused with an error line, a
task is dropped (not run), the rest answer as for upstream's NULL pool
--- reuse
--- request
GET /util/pool
--- response_body
init=NULL
ran=0 pending=0 full=0
destroyed
--- error_log
cweb plugin "compat_util": thread_pool_init(4) refused: plugin threads would outlive the version's unload; use scheduler_add(ASYNC)
cweb plugin "compat_util": thread_pool_add_task(): no thread pool, the task is dropped
--- no_error_log
[alert]



=== TEST 7: each utility header and each server-internal header alone
compiles and links warning-free (refused for having no config)
--- reuse
--- request eval
[map { ::deploy("compat_hdr.c", HDR => $_) } @::Util, @::Internal]
--- error_code eval
[map { 422 } @::Util, @::Internal]
--- response_body eval
[map { ::refused() } @::Util, @::Internal]
--- no_error_log
[alert]



=== TEST 8: a call of upstream's server functions is refused at compile
time, not at load
--- reuse
--- request eval
"POST /mgnt\n$::ServerCall"
--- error_code: 422
--- response_body_like
^\{"error":"compile failed","diagnostics":\[\{"file":"module.c","line":7,"column":12,"severity":"(warning|error)","message":"implicit declaration of function 'router_init'.*undefined reference to `router_init'.*
--- no_error_log
[alert]



=== TEST 9: a plugin with functions of its own named like list.h's and
queue.h's links and calls its own (ours are weak)
--- reuse
--- request eval
["POST /mgnt\n$::OwnNames", "GET /own_names"]
--- error_code eval
[201, 200]
--- response_body eval
[qr/"module":"own_names".*"status":"created"/, "own list_create own queue_size=42\n"]
--- no_error_log
[alert]

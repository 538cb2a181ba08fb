# State shared by all workers (issue 9, item 7): cweb_shared_zone and
# cweb_shared_get/set/add/replace/incr/delete of strings and numbers with
# a TTL, every worker seeing one value (two workers here), LRU eviction
# when full (logged, never silent), kept across nginx -s reload; the
# shared counter example counts across workers.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(2);
plan "no_plan";

our $Zones = <<'Z';
    cweb_shared_zone kv 1m;
    cweb_shared_zone tiny 32k;
    cweb_shared_zone counters 1m;
Z

# a request to a worker that is not the last one's: new connections go to
# either, so a value set by one and read by the other proves the sharing
sub ex {
    my $file = "$ENV{TEST_NGINX_CWEB_ROOT}/example-modules/$_[0]";
    open my $fh, '<', $file or die "cannot open $file: $!\n";
    local $/;
    return <$fh>;
}

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy the test plugin and the shared counter example
--- http_config eval: $::Zones
--- request eval
[::deploy("shared.c"), "POST /mgnt\n" . ::ex("shared_counter.c")]
--- error_code eval
[201, 201]
--- no_error_log
[error]



=== TEST 2: strings: set, get, replace, add, delete; any bytes
--- reuse
--- request eval
["GET /sh?op=get&k=a",
 "GET /sh?op=set&k=a&v=one",
 "GET /sh?op=get&k=a",
 "GET /sh?op=add&k=a&v=two",
 "GET /sh?op=replace&k=a&v=three",
 "GET /sh?op=get&k=a",
 "GET /sh?op=replace&k=b&v=x",
 "GET /sh?op=add&k=b&v=x",
 "GET /sh?op=del&k=b",
 "GET /sh?op=del&k=b",
 "GET /sh?op=get&k=b",
 "GET /sh?op=bin&k=c",
 "GET /sh?op=get&k=c",
 "GET /sh?op=set&k=d&v=0123456789012345678901234567890123456789012345678901234567890123456789",
 "GET /sh?op=get&k=d"]
--- response_body eval
["rc=-5 len=0 value=[]\n",
 "rc=0\n",
 "rc=0 len=3 value=[one]\n",
 "rc=-5\n",
 "rc=0\n",
 "rc=0 len=5 value=[three]\n",
 "rc=-5\n",
 "rc=0\n",
 "rc=0\n",
 "rc=-5\n",
 "rc=-5 len=0 value=[]\n",
 "rc=0\n",
 "rc=0 len=3 value=[a\\x00b]\n",
 "rc=0\n",
 "rc=-2 len=70 value=[]\n"]
--- no_error_log
[error]



=== TEST 3: numbers: incr from nothing, set, add; a string is not a number
to get_num, a number no string to get
--- reuse
--- request eval
["GET /sh?op=incr&k=n&n=5",
 "GET /sh?op=incr&k=n&n=-7",
 "GET /sh?op=getnum&k=n",
 "GET /sh?op=setnum&k=n&n=9223372036854775807",
 "GET /sh?op=incr&k=n&n=1",
 "GET /sh?op=addnum&k=n&n=1",
 "GET /sh?op=getnum&k=a",
 "GET /sh?op=get&k=n"]
--- response_body eval
["rc=0 value=5\n",
 "rc=0 value=-2\n",
 "rc=0 value=-2\n",
 "rc=0\n",
 "rc=0 value=-9223372036854775808\n",
 "rc=-5\n",
 "rc=-5 value=-1\n",
 "rc=-5 len=0 value=[]\n"]
--- no_error_log
[error]



=== TEST 4: a TTL: there until it expires; incr keeps the expiry
--- reuse
--- request eval
["GET /sh?op=set&k=t&v=soon&ttl=1000",
 "GET /sh?op=setnum&k=tn&n=1&ttl=1000",
 "GET /sh?op=incr&k=tn&n=1",
 "GET /sh?op=get&k=t"]
--- response_body eval
["rc=0\n", "rc=0\n", "rc=0 value=2\n", "rc=0 len=4 value=[soon]\n"]
--- no_error_log
[error]



=== TEST 5: ... gone after it
--- reuse
--- init
select(undef, undef, undef, 1.2);
--- request eval
["GET /sh?op=get&k=t", "GET /sh?op=getnum&k=tn", "GET /sh?op=add&k=t&v=again",
 "GET /sh?op=get&k=t"]
--- response_body eval
["rc=-5 len=0 value=[]\n", "rc=-5 value=-1\n", "rc=0\n",
 "rc=0 len=5 value=[again]\n"]
--- no_error_log
[error]



=== TEST 6: both workers see one value: 40 increments over new
connections (either worker takes each) add up; the example says so too
--- reuse
--- request eval
[(map { "GET /sh?op=incr&k=both&n=1" } 1 .. 40), "GET /sh?op=getnum&k=both",
 "GET /shared_counter", "GET /shared_counter", "GET /shared_counter"]
--- response_body eval
[(map { "rc=0 value=$_\n" } 1 .. 40), "rc=0 value=40\n",
 "shared counter: 1\n", "shared counter: 2\n", "shared counter: 3\n"]
--- no_error_log
[error]



=== TEST 7: ... and both answered some of them (the access log's pids)
--- reuse
--- request
GET /sh?op=getnum&k=both
--- response_body
rc=0 value=40
--- init
my @pids = main::logged_pids(qr{cweb http: "/sh" -> plugin "shared"},
                             main::nginx_pid());
die "both workers should have answered /sh, these did: @pids\n"
    unless @pids == 2;
--- no_error_log
[error]



=== TEST 8: a full zone evicts the least recently used: 100 values of
1000 bytes into 32k, "keep" read after every store; a warning says so
(once a second at most)
--- reuse
--- request eval
"GET /sh?op=set&z=tiny&k=keep&v=me"
--- response_body
rc=0
--- no_error_log
[error]



=== TEST 9: ...
--- reuse
--- request
GET /sh?op=fill&z=tiny&k=keep&n=100&ttl=1000
--- response_body
rc=0
--- error_log eval
qr/\[warn\] .*cweb_shared_zone "tiny" is full: \d+ least recently used entries evicted to store "f\d+" \(\d+ since the zone was made\); a larger zone keeps them/
--- no_error_log
[error]



=== TEST 10: ... the one read after every store stays, the first ones
went, the last one is there
--- reuse
--- request eval
["GET /sh?op=get&z=tiny&k=keep",
 "GET /sh?op=get&z=tiny&k=f0",
 "GET /sh?op=get&z=tiny&k=f99"]
--- response_body eval
["rc=0 len=2 value=[me]\n", "rc=-5 len=0 value=[]\n",
 "rc=-2 len=1000 value=[]\n"]
--- no_error_log
[error]



=== TEST 11: nginx -s reload keeps the entries
--- reuse
--- init
kill 'HUP', main::nginx_pid();
select(undef, undef, undef, 1.5);
--- request eval
["GET /sh?op=get&k=a", "GET /sh?op=getnum&k=both", "GET /shared_counter"]
--- response_body eval
["rc=0 len=5 value=[three]\n", "rc=0 value=40\n", "shared counter: 4\n"]
--- no_error_log
[alert]



=== TEST 12: a value larger than the empty zone: CWEB_ERROR with an
error-log line
--- reuse
--- request
GET /sh?op=huge&z=tiny&k=h
--- response_body
rc=-1
--- error_log eval
qr/cweb plugin "shared": cweb_shared_zone "tiny": no room for "h" \(1048576 bytes\) even when empty/
--- no_error_log
[alert]



=== TEST 13: ... and the zone is as it was (a store too large for it
evicted everything before giving up)
--- reuse
--- request
GET /sh?op=get&z=tiny&k=keep
--- response_body
rc=0 len=2 value=[me]
--- no_error_log
[alert]



=== TEST 14: an unknown zone
--- reuse
--- request
GET /sh?op=get&z=nope&k=a
--- response_body
rc=-1 len=0 value=[]
--- error_log eval
qr/cweb plugin "shared": cweb_shared_get\(\): no cweb_shared_zone "nope" in nginx.conf/
--- no_error_log
[alert]



=== TEST 15: an empty key
--- reuse
--- request
GET /sh?op=set&k=&v=x
--- response_body
rc=-1
--- error_log eval
qr/cweb plugin "shared": cweb_shared_set\("kv"\): a key of 1-65535 bytes is needed/
--- no_error_log
[alert]



=== TEST 16: incr of a string (the output untouched)
--- reuse
--- request
GET /sh?op=incr&k=a&n=1
--- response_body
rc=-1 value=1
--- error_log eval
qr/cweb plugin "shared": cweb_shared_incr\("kv", "a"\): the value is a string, not a number/
--- no_error_log
[alert]



=== TEST 17: the canary (a version on trial) may not touch the zones:
its onload's call is refused there, the workers' counts
--- reuse
--- request eval
"POST /mgnt\n#include <cweb.h>
static void up(struct cweb_context *ctx) {
    (void) cweb_shared_incr(\"kv\", \"loads\", 1, NULL);
}
static int h(struct cweb_context *ctx, http_request_t *req, http_response_t *res) {
    return 0;
}
export module_t config = { .name = \"loads\", .size = 1, .onload = up,
    .routes = { { \"/loads\", \"GET\", h, NONE } } };
"
--- error_code: 201
--- error_log
cweb plugin "loads": cweb_shared_incr(): not in the canary (cweb_is_canary())
--- no_error_log
[alert]

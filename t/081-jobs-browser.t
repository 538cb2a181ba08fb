# The job_progress example (example-modules/job_progress.c) in a real
# browser: headless Chromium loads its page (GET /progress), which POSTs a
# job to /jobs and follows it with EventSource('/jobs/<uuid>/events'),
# one <li> per progress event (keyed by event id), then the result.  The
# test reads the dumped DOM: every step 1..N once, in order, the result,
# no event seen twice, how many times the stream was opened.
#
# Reconnects, mid-job:
#   - the workers are ended (SIGTERM, the master starts new ones): the
#     stream breaks and the browser's own EventSource reconnects with
#     Last-Event-ID (the access log of /jobs shows the header);
#   - the page's ?reopen=K closes its EventSource every K events and opens
#     a new one with ?since_event_id=<the last id it has>;
#   - nginx -s reload: the job is interrupted and runs again (a new
#     attempt from step 1); the page greys the interrupted attempt's steps.
#     The quitting worker ends its event streams at once, so the page's
#     EventSource reconnects to a new worker.
#
# The page's POST /jobs is a browser request: the page's origin is listed
# in cweb_admin_origins.  Needs /usr/bin/chromium (Debian package
# chromium); without it every test is skipped.

use Test::Nginx::Socket;
use FindBin;
use POSIX ();
use Time::HiRes ();
require "$FindBin::Bin/inc/cweb.pl";
require "$FindBin::Bin/inc/jobs.pl";

# the tests of the blocks' init code (page_ok and more), Test::Nginx's
my $init_tests = 6 + (6 + 1) + (6 + 1) + (6 + 2);
my $tests = 2 * 4 + 4 + 4 * 4;

our $Chromium = '/usr/bin/chromium';

if (!-x $Chromium) {
    plan tests => $init_tests + $tests;
    SKIP: {
        skip "$Chromium is not installed (Debian package chromium)",
             $init_tests + $tests;
    }
    exit 0;
}

our $JobsDir;
jobs_state_dir('t081');

master_on();
workers(2);
plan tests => $init_tests + repeat_each() * $tests;

our $Config = <<'_EOC_';
    location /mgnt {
        cweb_mgnt;
    }
    location /jobs {
        access_log logs/jobs.log jobs;
        cweb_jobs;
    }
    location = /favicon.ico {
        return 204;
    }
    location / {
        cweb;
    }
_EOC_

our $HttpConfig = <<'_EOC_';
    cweb_admin_origins http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    log_format jobs '$request_method $request_uri lei=$http_last_event_id';
_EOC_

# Chromium's virtual time stands still while the EventSource is open: the
# budget is spent only while the page waits for nothing (EventSource's 3 s
# before a reconnect)
{
    no warnings 'once';
    $main::ChromiumBudget = 30000;
    $main::ChromiumTimeout = 40;
}

sub jobs_db {
    my ($sql) = @_;
    my $v = `sqlite3 -cmd '.timeout 5000' '$JobsDir/jobs.db' "$sql" 2>/dev/null`;
    chomp $v;
    return $v =~ /^\d+$/ ? $v : 0;
}

# a child that runs CODE once a job newer than those there are now (the
# page's) has stored AFTER progress events (it waits 20 s at most)
sub when_steps {
    my ($after, $code) = @_;
    my $last = jobs_db("SELECT coalesce(max(id), 0) FROM jobs");
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    return $pid if $pid;
    main::wait_for(20, sub {
        jobs_db("SELECT count(*) FROM job_events WHERE type = 'progress'"
                . " AND job_id > $last") >= $after
    });
    $code->();
    POSIX::_exit(0);
}

# the page /progress?QUERY in Chromium, with ACTION done in the middle of
# the job (after AFTER steps): what its DOM shows
sub progress_page {
    my ($query, $after, $action) = @_;
    my $killer = $action ? when_steps($after, $action) : undef;
    my $dom = main::chromium_dom("http://127.0.0.1:"
                                 . "$ENV{TEST_NGINX_SERVER_PORT}/progress?"
                                 . $query,
                                 qr{<span id="status">done</span>});
    waitpid($killer, 0) if $killer;

    my %p;
    ($p{uuid}) = $dom =~ m{<code id="job">([0-9a-f-]{36})</code>};
    ($p{status}) = $dom =~ m{<span id="status">(.*?)</span>}s;
    ($p{result}) = $dom =~ m{<code id="result">(.*?)</code>}s;
    ($p{opens}) = $dom =~ m{<span id="opens">(\d+)</span>};
    ($p{dups}) = $dom =~ m{<span id="dups">(\d+)</span>};
    $p{items} = [];
    while ($dom =~ m{<li id="ev-(\d+)"( class="old")?>step (\d+) of (\d+)</li>}g) {
        push @{$p{items}}, { id => $1, old => $2 ? 1 : 0, step => $3,
                             of => $4 };
    }
    $p{uuid} //= '?';
    return \%p;
}

# six tests: the page is done with the result, the current attempt's
# steps are 1..N once and in order, event ids only grow, nothing was seen
# twice, and the stream was opened OPENS times (">=K": at least K)
sub page_ok {
    my ($p, $n, $opens, $name) = @_;
    my @cur = grep { !$_->{old} } @{$p->{items}};
    my @ids = map { $_->{id} } @{$p->{items}};

    is($p->{status}, 'done', "$name: the page says done");
    is($p->{result}, "{\"steps\":$n}", "$name: the result");
    is(join(' ', map { "$_->{step}/$_->{of}" } @cur),
       join(' ', map { "$_/$n" } 1 .. $n),
       "$name: every progress event 1..$n, once, in order");
    ok(!grep({ $ids[$_] <= $ids[$_ - 1] } 1 .. $#ids),
       "$name: one <li> per event id, the ids in order")
        or Test::More::diag("ids: @ids");
    is($p->{dups}, 0, "$name: no event reached the page twice");
    if ($opens =~ /^>=(\d+)$/) {
        Test::More::cmp_ok($p->{opens} // 0, '>=', $1,
                           "$name: the stream was opened at least $1 times");
    } else {
        is($p->{opens}, $opens, "$name: the stream was opened $opens times");
    }
}

# the lines of logs/jobs.log of GET /jobs/UUID/events, once the page's
# streams have ended and were logged (at most 5 s)
sub event_requests {
    my ($uuid, $count) = @_;
    my $log = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/jobs.log";
    my @lines;
    main::wait_for(5, sub {
        open my $fh, '<', $log or return 0;
        @lines = grep { m{^GET /jobs/\Q$uuid\E/events} } <$fh>;
        chomp @lines;
        return @lines >= $count;
    });
    return @lines;
}

# the step shown for the event ID (undef when none)
sub step_of {
    my ($p, $id) = @_;
    my ($it) = grep { $_->{id} == $id } @{$p->{items}};
    return $it ? $it->{step} : undef;
}

sub plain_run {
    my $p = progress_page("steps=20&ms=50");
    page_ok($p, 20, 1, "plain");
}

# the workers end (SIGTERM) after 8 of 30 steps: the master starts new
# ones, the browser reconnects by itself with Last-Event-ID
sub workers_ended {
    my $p = progress_page("steps=30&ms=100", 8, sub {
        kill 'TERM', main::started_worker_pids();
    });
    page_ok($p, 30, ">=2", "workers ended");

    my @resumed = grep { /lei=(\d+)$/ } event_requests($p->{uuid}, 1);
    my ($lei) = ($resumed[0] // '') =~ /lei=(\d+)$/;
    my $step = defined $lei ? step_of($p, $lei) : undef;
    ok(defined $step && $step >= 1 && $step < 30,
       "workers ended: EventSource reconnected with the Last-Event-ID of a"
       . " step in the middle of the job")
        or Test::More::diag("requests: @resumed; step "
                            . ($step // 'none'));
}

# the page reopens its EventSource every 7 events, with ?since_event_id=
sub page_reopens {
    my $p = progress_page("steps=30&ms=30&reopen=7");
    page_ok($p, 30, 5, "reopen");

    my @since = map { /since_event_id=(\d+)/ ? $1 : () }
                event_requests($p->{uuid}, 5);
    my @steps = map { step_of($p, $_) // '?' } @since;
    is("@steps", "7 14 21 28",
       "reopen: since_event_id= was the id of steps 7, 14, 21, 28");
}

# nginx -s reload after 4 of 20 steps: the job runs again from step 1
sub reloaded {
    my $p = progress_page("steps=20&ms=150", 4, sub {
        kill 'HUP', main::nginx_pid();
    });
    page_ok($p, 20, ">=1", "reload");

    my @old = map { $_->{step} } grep { $_->{old} } @{$p->{items}};
    ok(@old >= 4 && "@old" eq join(' ', 1 .. @old),
       "reload: the interrupted attempt's steps 1..k are shown greyed, once")
        or Test::More::diag("interrupted attempt: @old");

    Test::More::cmp_ok($p->{opens} // 0, '>=', 2,
                       "reload: the old worker ended the stream and the"
                       . " page reconnected to a new one");
}

cweb_blocks(module_dir => $JobsDir, config => $Config);
jobs_blocks(config => $Config);

run_tests();

__DATA__

=== TEST 1: deploy the job_progress example; its page is served by its route
--- http_config eval
$::HttpConfig
--- request eval
[::deploy("$ENV{TEST_NGINX_CWEB_ROOT}/example-modules/job_progress.c"),
 "GET /progress"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"jobs":\[\{"name":"progress"\}\]/, qr/new EventSource\(/]
--- no_error_log
[error]
[alert]



=== TEST 2: the job's payload is bounded; the defaults; its events; a cancel stops it
--- reuse
--- jobs
post s0 {"job":"progress","payload":{"steps":0}}
post s1 {"job":"progress","payload":{"steps":1001}}
post m0 {"job":"progress","payload":{"ms":-1}}
post m1 {"job":"progress","payload":{"steps":2,"ms":2001}}
post sx {"job":"progress","payload":{"steps":"3"}}
post ar {"job":"progress","payload":[3]}
wait s0 failed
wait s1 failed
wait m0 failed
wait m1 failed
wait sx failed
wait ar failed
get s0 error
get ar error
post ok {"module":"job_progress","job":"progress","payload":{"steps":3,"ms":0}}
wait ok done
get ok result
events ok
post df {"job":"progress"}
wait df done 20
get df result
post c {"job":"progress","payload":{"steps":1000,"ms":20}}
wait c running
cancel c
wait c canceled 5
get c state result
--- response_body
post s0 200 {"job_uuid":"s0","module_hash":"H","state":"pending"}
post s1 200 {"job_uuid":"s1","module_hash":"H","state":"pending"}
post m0 200 {"job_uuid":"m0","module_hash":"H","state":"pending"}
post m1 200 {"job_uuid":"m1","module_hash":"H","state":"pending"}
post sx 200 {"job_uuid":"sx","module_hash":"H","state":"pending"}
post ar 200 {"job_uuid":"ar","module_hash":"H","state":"pending"}
wait s0 failed
wait s1 failed
wait m0 failed
wait m1 failed
wait sx failed
wait ar failed
get s0 200 {"error":"the payload must be {\"steps\": 1..1000, \"ms\": 0..2000} (integers)"}
get ar 200 {"error":"the payload must be {\"steps\": 1..1000, \"ms\": 0..2000} (integers)"}
post ok 200 {"job_uuid":"ok","module_hash":"H","state":"pending"}
wait ok done
get ok 200 {"result":{"steps":3}}
events ok: created null, started {"attempt":1}, progress {"step":1,"of":3}, progress {"step":2,"of":3}, progress {"step":3,"of":3}, done {"steps":3}
post df 200 {"job_uuid":"df","module_hash":"H","state":"pending"}
wait df done
get df 200 {"result":{"steps":20}}
post c 200 {"job_uuid":"c","module_hash":"H","state":"pending"}
wait c running
cancel c 202 {"cancel_requested":true,"job_uuid":"c","state":"running"}
wait c canceled
get c 200 {"result":null,"state":"canceled"}
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 3: the page in Chromium shows every progress event once, in order, and the result
--- reuse
--- init
main::plain_run();
--- request
GET /progress
--- response_body_like: new EventSource
--- no_error_log
[error]
[alert]



=== TEST 4: the workers end mid-job: the browser's own EventSource reconnect (Last-Event-ID) resumes without gap or duplicate
--- reuse
--- init
main::workers_ended();
--- request
GET /progress
--- response_body_like: new EventSource
--- no_error_log
[error]
[alert]



=== TEST 5: the page reopens its stream with ?since_event_id= every 7 events: no gap, no duplicate
--- reuse
--- init
main::page_reopens();
--- request
GET /progress
--- response_body_like: new EventSource
--- no_error_log
[error]
[alert]



=== TEST 6: nginx -s reload mid-job: the job runs again; the page shows the interrupted attempt apart and the new one whole
--- reuse
--- init
main::reloaded();
--- request
GET /progress
--- response_body_like: new EventSource
--- no_error_log
[error]
[alert]

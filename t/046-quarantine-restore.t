# A quarantine is one transaction: the quarantine of the version and the
# activation of the fallback (or the plugin becoming unavailable) are
# written together or not at all.  And a database in which the current
# version of a plugin is quarantined anyway (a quarantine half written by
# an older build, a crash between two writes) never serves that version
# again after a restart: it is restored unavailable, with the quarantine's
# reason, and can be rolled back from there.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

$ENV{TEST_NGINX_CWEB_STATE} = "/tmp/ngx_cweb_t046_$$";
remove_tree($ENV{TEST_NGINX_CWEB_STATE});
END { remove_tree($ENV{TEST_NGINX_CWEB_STATE}) if $ENV{TEST_NGINX_CWEB_STATE} }

master_on();
workers(1);
plan tests => repeat_each() * 33 + 1;

cweb_blocks(module_dir => $ENV{TEST_NGINX_CWEB_STATE});

# SQL on the state database, with the sqlite3 CLI; its output (it waits
# up to 5 s for a lock the helper holds, as nginx's own connections do)
sub sql {
    my ($q) = @_;
    my $db = "$ENV{TEST_NGINX_CWEB_STATE}/cweb.db";
    open my $sq, '-|', 'sqlite3', '-cmd', '.timeout 5000', $db, $q
        or die "sqlite3: $!";
    local $/;
    my $out = <$sq> // '';
    close $sq or die "sqlite3 failed: $q";
    $out =~ s/\s+\z//;
    return $out;
}

our $Reason = "version 2 quarantined after 3 faults within 60000 ms";

run_tests();

__DATA__

=== TEST 1: two versions of a plugin, the second active
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("faulty.c", NAME => "half", V => 1),
 ::deploy("faulty.c", NAME => "half", V => 2), "GET /half/ok"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[qr/"created"/, qr/"replaced"/, qr/^half 2 ok /]



=== TEST 2: a quarantine half written: version 2 is quarantined in the
database, but the plugin's row still names it, active
--- reuse
--- init
main::sql("UPDATE module_versions SET quarantined_at = strftime('%s', 'now'),"
          . " quarantine_reason = '$::Reason'"
          . " WHERE name = 'half' AND version = 2");
--- request
GET /half/ok
--- response_body_like eval
qr/^half 2 ok /



=== TEST 3: after a restart, version 2 is not served: the plugin is
unavailable, with the quarantine's reason
--- http_config
    cweb_handler_timeout 1s;
--- request
GET /half/ok
--- error_code: 503
--- response_body eval
"{\"error\":\"plugin unavailable\",\"module\":\"half\",\"version\":2,\"reason\":\"$::Reason\"}\n"
--- error_log eval
qr/\[warn\] .*cweb plugin "half" version 2 is quarantined, restored unavailable/



=== TEST 4: ... and it can be rolled back to version 1
--- reuse
--- request eval
["GET /mgnt/half", "POST /mgnt/half/rollback", "GET /half/ok"]
--- response_body_like eval
[qr/"state":"unavailable","reason":"\Q$::Reason\E".*"quarantine":\{"version":2,/,
 qr/^\{"module":"half","version":1,"from":2,"status":"rolled back"\}$/,
 qr/^half 1 ok /]
--- no_error_log
[alert]



=== TEST 5: a plugin with two versions, the second active
--- http_config
    cweb_handler_timeout 1s;
--- request eval
[::deploy("faulty.c", NAME => "trig", V => 1),
 ::deploy("faulty.c", NAME => "trig", V => 2), "GET /trig/ok"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[qr/"created"/, qr/"replaced"/, qr/^trig 2 ok /]



=== TEST 6: a write of its modules row will fail (a trigger planted in the
database); version 2 faults three times
--- reuse
--- init
main::sql("CREATE TRIGGER t046_fail BEFORE UPDATE ON modules"
          . " WHEN NEW.name = 'trig' BEGIN"
          . " SELECT RAISE(ABORT, 'planted failure'); END");
--- request eval
[("GET /trig/crash") x 3]
--- error_code eval
[500, 500, 500]



=== TEST 7: the quarantine could not write the modules row: it says so, and
the version is not served
--- reuse
--- init
# the helper's watchdog quarantines on its next tick, which valgrind can
# delay by seconds
main::wait_for(10, sub {
    main::log_count(qr/cweb plugin "trig" version 2 quarantined after/)
});
--- request
GET /trig/ok
--- error_code: 503
--- response_body_like eval
qr/^\{"error":"plugin (?:quarantined|unavailable)","module":"trig","version":2/
--- error_log eval
qr/\[crit\] .*cweb plugin "trig" version 2 quarantined after 3 faults within 60000 ms, not persisted: planted failure/



=== TEST 8: ... and nothing of it was persisted: the database never holds
the quarantine without the fallback
--- reuse
--- init
Test::More::is(main::sql("SELECT v.quarantined_at != 0, m.version, m.state"
                         . " FROM modules m JOIN module_versions v"
                         . " ON v.name = m.name AND v.version = 2"
                         . " WHERE m.name = 'trig'"),
               "0|2|active", "no quarantine without its fallback");
main::sql("DROP TRIGGER t046_fail");
--- request
GET /mgnt/trig
--- error_code: 200

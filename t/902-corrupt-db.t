# A database that cannot be used (not SQLite, damaged, unreadable) must not
# keep nginx from starting: plugins are disabled, the helper logs CRIT,
# /mgnt and plugin routes answer 503 JSON saying why, everything else of
# nginx serves.  Once the file is fixed, a reload brings plugins back.
# A file that opens is not trusted yet: a damaged b-tree page that loading
# the registry never reads (one of module_faults) is found by PRAGMA
# quick_check before anything is loaded.

use Test::Nginx::Socket;
use FindBin;
use File::Path qw(make_path remove_tree);
require "$FindBin::Bin/inc/cweb.pl";

# a state dir prepared before nginx starts, outside the wiped server root
my $state = "/tmp/ngx_cweb_t902_$$";
remove_tree($state);
make_path($state, { mode => 0700 });
open my $fh, '>', "$state/cweb.db" or die $!;
print $fh "this is not an SQLite database, just bytes\n" x 200;
close $fh;

# a second state dir: a cweb.db of the schema ngx_cweb_store.c creates
# (user_version 2, WAL), several pages big with its module_faults rows,
# whose last page (a module_faults leaf) is then overwritten with zeros
my $damaged = "/tmp/ngx_cweb_t902_damaged_$$";
remove_tree($damaged);
make_path($damaged, { mode => 0700 });
my $sql = <<'_SQL_';
PRAGMA journal_mode=WAL;
CREATE TABLE modules (name TEXT PRIMARY KEY, version INTEGER NOT NULL,
  state TEXT NOT NULL, updated_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '');
CREATE TABLE module_versions (name TEXT NOT NULL, version INTEGER NOT NULL,
  module_hash TEXT NOT NULL, source_sha256 TEXT NOT NULL,
  so_file TEXT NOT NULL, manifest TEXT NOT NULL, compile_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL, pruned INTEGER NOT NULL DEFAULT 0,
  quarantined_at INTEGER NOT NULL DEFAULT 0,
  quarantine_reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (name, version));
CREATE TABLE module_faults (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  version INTEGER NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL,
  signal INTEGER, exit_code INTEGER, timeout_ms INTEGER, route TEXT,
  pid INTEGER);
CREATE INDEX module_faults_name ON module_faults (name, id);
PRAGMA user_version = 2;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
INSERT INTO modules SELECT 'old' || i, 1, 'deleted', 0, '' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
INSERT INTO module_versions SELECT 'old' || i, 1, printf('%064x', i),
  printf('%064x', i), printf('old%d-v1-%016x.so', i, i),
  'R GET /old' || i || char(10), 0, 0, 1, 0, '' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
INSERT INTO module_faults (name, version, at, kind, signal, route, pid)
  SELECT 'old' || (i % 8 + 1), 1, i, 'crash', 11,
  '/old' || (i % 8 + 1) || '/a/route/long/enough/to/fill/a/few/pages', i
  FROM n;
_SQL_
open my $sq, '|-', 'sqlite3', "$damaged/cweb.db" or die $!;
print $sq $sql;
close $sq or die "sqlite3 failed";
my ($page_size, $pages) = split ' ', `sqlite3 $damaged/cweb.db "PRAGMA page_size" "PRAGMA page_count"`;
die "cweb.db is only $pages pages" unless $pages >= 8;
system("dd", "if=/dev/zero", "of=$damaged/cweb.db", "bs=$page_size",
       "seek=" . ($pages - 1), "count=1", "conv=notrunc", "status=none") == 0
    or die "dd failed";
our $DamagedPage = $pages;

END { remove_tree($state, $damaged) if $state }

$ENV{TEST_NGINX_CWEB_STATE} = $state;
$ENV{TEST_NGINX_CWEB_DAMAGED} = $damaged;

master_on();
workers(2);
plan tests => repeat_each() * 38;

our $Config = <<'_EOC_';
    location = /plain {
        return 200 "plain\n";
    }
    location /mgnt {
        cweb_mgnt;
    }
    location / {
        cweb;
    }
_EOC_

cweb_blocks(module_dir => $state, config => $Config);

our $Disabled = qr/^\{"error":"plugins are disabled","reason":"database \\"\Q$state\E\/cweb\.db\\" is unusable: file is not a database"\}$/;

our $Damaged = "{\"error\":\"plugins are disabled\",\"reason\":\"the database "
             . "is damaged: *** in database main *** Page $DamagedPage: "
             . "btreeInitPage() returns error code 11\"}\n";

run_tests();

__DATA__

=== TEST 1: nginx starts; the helper says why plugins are off
--- request
GET /plain
--- response_body
plain
--- wait: 0.3
--- error_log eval
qr/\[crit\] \d+#\d+: cweb plugins are disabled: database ".*\/cweb\.db" is unusable: file is not a database/
--- no_error_log
[emerg]
[alert]



=== TEST 2: /mgnt (any method) and plugin routes answer 503 JSON; the rest
of nginx is untouched
--- reuse
--- request eval
["GET /mgnt", ::deploy("hello.c", V => 1), "GET /hello", "GET /plain"]
--- error_code eval
[503, 503, 503, 200]
--- response_body_like eval
[$::Disabled, $::Disabled, $::Disabled, qr/^plain$/]
--- no_error_log
[alert]



=== TEST 3: the file is replaced by nothing (a new database); a reload
enables plugins again
--- reuse
--- init
unlink "$ENV{TEST_NGINX_CWEB_STATE}/cweb.db";
kill 'HUP', main::nginx_pid();
select(undef, undef, undef, 1.5);
--- request eval
["GET /mgnt", ::deploy("hello.c", V => 1), "GET /hello"]
--- error_code eval
[200, 201, 200]
--- response_body_like eval
[qr/^\{"modules":\[\]\}$/, qr/"created"/, qr/^hello 1 /]



=== TEST 4: a database that opens but has a damaged page: PRAGMA
quick_check refuses it before the registry is loaded; nginx serves
--- http_config
    cweb_module_dir $TEST_NGINX_CWEB_DAMAGED;
--- request
GET /plain
--- response_body
plain
--- wait: 0.3
--- error_log eval
qr/\[crit\] \d+#\d+: cweb plugins are disabled: the database is damaged: \*\*\* in database main \*\*\* Page $::DamagedPage: btreeInitPage\(\) returns error code 11$/
--- no_error_log
cweb registry restored
[emerg]
[alert]



=== TEST 5: ... /mgnt and plugin routes answer 503 JSON with the
quick_check reason
--- reuse
--- request eval
["GET /mgnt", ::deploy("hello.c", V => 1), "GET /hello"]
--- error_code eval
[503, 503, 503]
--- response_body eval
[($::Damaged) x 3]
--- no_error_log
[alert]

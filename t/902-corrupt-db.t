# A database that cannot be used (not SQLite, damaged, unreadable) must not
# keep nginx from starting: plugins are disabled, the helper logs CRIT,
# /mgnt and plugin routes answer 503 JSON saying why, everything else of
# nginx serves.  Once the file is fixed, a reload brings plugins back.

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
END { remove_tree($state) if $state }

$ENV{TEST_NGINX_CWEB_STATE} = $state;

master_on();
workers(2);
plan tests => repeat_each() * 23;

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

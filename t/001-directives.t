# Directives: every bad value fails `nginx -t` with an [emerg] naming the
# directive; `nginx -t` leaves the state directory alone; values take
# effect.

use Test::Nginx::Socket;
use FindBin;
use File::Temp qw(tempdir);
require "$FindBin::Bin/inc/cweb.pl";


my @bad = (
    [http => 'cweb_zone 100k;',
     qr/\[emerg\] .*"cweb_zone" size 102400 is too small, at least 512k is needed/],
    [http => 'cweb_zone lots;',
     qr/\[emerg\] .*"cweb_zone" directive invalid value/],
    [http => 'cweb_event_zone 16k;',
     qr/\[emerg\] .*"cweb_event_zone" size 16384 is too small, at least 32k is needed/],
    [http => 'cweb_compile_timeout 0;',
     qr/\[emerg\] .*"cweb_compile_timeout" must be positive/],
    [http => 'cweb_compile_timeout soon;',
     qr/\[emerg\] .*"cweb_compile_timeout" directive invalid value/],
    [http => 'cweb_admin_key "";',
     qr/\[emerg\] .*"cweb_admin_key" must not be empty/],
    [http => 'cweb_module_dir "";',
     qr/\[emerg\] .*"cweb_module_dir" must not be empty/],
    [http => 'cweb_database "";',
     qr/\[emerg\] .*"cweb_database" must not be empty/],
    [http => 'cweb_cc "";',
     qr/\[emerg\] .*"cweb_cc" arguments must not be empty/],
    [http => 'cweb_cflags -O1 "";',
     qr/\[emerg\] .*"cweb_cflags" arguments must not be empty/],
    [http => 'cweb_cflags -O1; cweb_cflags -O2;',
     qr/\[emerg\] .*"cweb_cflags" directive is duplicate/],
    [http => 'cweb_cc "   ";',
     qr/\[emerg\] .*"cweb_cc" must name a compiler/],
    [http => 'cweb_dev maybe;',
     qr/\[emerg\] .*invalid value "maybe" in "cweb_dev" directive, it must be "on" or "off"/],
    [http => 'cweb_purge_modules yes;',
     qr/\[emerg\] .*invalid value "yes" in "cweb_purge_modules" directive/],
    [http => 'cweb_cflags;',
     qr/\[emerg\] .*invalid number of arguments in "cweb_cflags" directive/],
    [server => 'cweb_zone 1m;',
     qr/\[emerg\] .*"cweb_zone" directive is not allowed here/],
    [location => 'cweb on;',
     qr/\[emerg\] .*invalid number of arguments in "cweb" directive/],
    [location => 'cweb; cweb_mgnt;',
     qr/\[emerg\] .*"cweb_mgnt" directive is duplicate/],
    [http => 'cweb_handler_timeout 0;',
     qr/\[emerg\] .*"cweb_handler_timeout" must be positive/],
    [http => 'cweb_handler_timeout forever;',
     qr/\[emerg\] .*"cweb_handler_timeout" directive invalid value/],
    [http => 'cweb_shared_zone kv 16k;',
     qr/\[emerg\] .*"cweb_shared_zone" directive has a size below 32k/],
    [http => 'cweb_shared_zone k/v 1m;',
     qr/\[emerg\] .*"cweb_shared_zone" directive needs a name of 1-64 letters, digits/],
    [http => 'cweb_shared_zone kv 1m; cweb_shared_zone kv 2m;',
     qr/\[emerg\] .*"cweb_shared_zone" directive is duplicate/],
    [http => 'cweb_shared_zone kv;',
     qr/\[emerg\] .*invalid number of arguments in "cweb_shared_zone" directive/],
    [server => 'cweb_shared_zone kv 1m;',
     qr/\[emerg\] .*"cweb_shared_zone" directive is not allowed here/],
    [http => 'cweb_form_max_parts 0;',
     qr/\[emerg\] .*"cweb_form_max_parts" must be between 1 and 10000/],
    [http => 'cweb_form_max_parts 10001;',
     qr/\[emerg\] .*"cweb_form_max_parts" must be between 1 and 10000/],
    [http => 'cweb_form_max_part_size lots;',
     qr/\[emerg\] .*"cweb_form_max_part_size" directive invalid value/],
    [location => 'cweb_form_max_parts 5;',
     qr/\[emerg\] .*"cweb_form_max_parts" directive is not allowed here/],
    [http => 'cweb_fault_limit 0;',
     qr/\[emerg\] .*"cweb_fault_limit" must be between 1 and 32/],
    [http => 'cweb_fault_limit 33;',
     qr/\[emerg\] .*"cweb_fault_limit" must be between 1 and 32/],
    [http => 'cweb_fault_window 0;',
     qr/\[emerg\] .*"cweb_fault_window" must be positive/],
    [http => 'cweb_compile_memory 1k;',
     qr/\[emerg\] .*"cweb_compile_memory" must be at least 64k/],
    [http => 'cweb_compile_file_size lots;',
     qr/\[emerg\] .*"cweb_compile_file_size" directive invalid value/],
    [http => 'cweb_compile_processes 0;',
     qr/\[emerg\] .*"cweb_compile_processes" must be between 1 and 1000000/],
    [http => 'cweb_max_object_size 10;',
     qr/\[emerg\] .*"cweb_max_object_size" must be at least 64k/],
    [http => 'cweb_module_dir /tmp/' . ('d' x 95) . ';',
     qr/\[emerg\] .*"cweb_module_dir" "\/tmp\/d{95}" is too long: the canary's unix socket in it allows at most 95 bytes/],
    [http => 'cweb_module_dir /tmp/' . ('d' x 86) . ';',
     qr/\[emerg\] .*"cweb_module_dir" "\/tmp\/d{86}" is too long: the doorbell sockets in it allow at most 90 bytes/],
    [http => 'cweb_admin_origins;',
     qr/\[emerg\] .*invalid number of arguments in "cweb_admin_origins" directive/],
);

plan tests => repeat_each() * 6 + 2 * @bad + 3;

cweb_blocks();

my $nginx = $ENV{TEST_NGINX_BINARY} || 'nginx';
my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');

sub nginx_t {
    my (%conf) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $state = $conf{http} =~ /cweb_module_dir/ ? ""
                : "cweb_module_dir $dir/state;";
    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh "load_module $_;\n" for @modules;
    print $fh "error_log $dir/error.log;\npid $dir/nginx.pid;\n",
              "events { worker_connections 64; }\n",
              "http {\n    $state\n",
              "    client_body_temp_path $dir/body;\n",
              "    $conf{http}\n",
              "    server {\n        listen 127.0.0.1:1;\n        $conf{server}\n",
              "        location /mgnt { cweb_mgnt; }\n",
              "        location / { $conf{location} }\n    }\n}\n";
    close $fh;
    my $out = `$nginx -t -p $dir/ -c $dir/nginx.conf 2>&1`;
    return ($? >> 8, $out, $dir);
}

for my $case (@bad) {
    my ($where, $text, $re) = @$case;
    my %conf = (http => '', server => '', location => 'cweb;');
    $conf{$where} = $text;
    $conf{location} = $text if $where eq 'location';
    my ($rc, $out) = nginx_t(%conf);
    isnt($rc, 0, "nginx -t fails for: $text");
    like($out, $re, "the [emerg] names the directive: $text");
}

{
    my ($rc, $out, $dir) = nginx_t(http => 'cweb_zone 2m; cweb_dev on;',
                                   server => '', location => 'cweb;');
    is($rc, 0, "a good configuration passes nginx -t") or diag $out;
    like($out, qr/test is successful/, "nginx -t says so");
    ok(!-e "$dir/state/cweb.db", "nginx -t does not create the database");
}

run_tests();

__DATA__

=== TEST 1: every directive set to a non-default value still deploys
--- http_config
    cweb_zone 2m;
    cweb_event_zone 8m;
    cweb_database cweb_temp/registry.db;
    cweb_cc cc;
    cweb_cflags -O1 -Wall;
    cweb_compile_timeout 20s;
    cweb_compile_memory 512m;
    cweb_compile_file_size 32m;
    cweb_compile_processes 512;
    cweb_max_object_size 16m;
    cweb_handler_timeout 5s;
    cweb_shared_zone state 64k;
    cweb_shared_zone more 1m;
    cweb_form_max_parts 16;
    cweb_form_max_part_size 1m;
    cweb_fault_limit 5;
    cweb_fault_window 2m;
    cweb_admin_key k3y-k3y-k3y;
    cweb_admin_origins http://localhost:8080 https://admin.example.com;
    cweb_dev on;
    cweb_purge_modules off;
--- config
    location /mgnt {
        cweb_mgnt;
    }
    location / {
        cweb;
    }
--- request eval
[::deploy("hello.c", V => 1), "GET /hello"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"created"/, qr/^hello 1 /]
--- no_error_log
[error]

# nginx -s reload while an upload is compiling: the old worker finishes the
# upload (compile, commit, answer) before it exits, and the new workers
# serve the result.

use Test::Nginx::Socket;
use FindBin;
use File::Temp qw(tempdir);
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan tests => repeat_each() * 8;

cweb_blocks();

our $out_dir = tempdir(CLEANUP => 1);

run_tests();

__DATA__

=== TEST 1: deploy during a reload (the compiler takes 3 s)
--- http_config
    cweb_cc $TEST_NGINX_CWEB_PLUGINS/slowcc.sh;
--- init
my $out = "$main::out_dir/post.json";
my $src = "$main::out_dir/hello.c";
open my $fh, '>', $src or die; print $fh main::plugin_src("hello.c", V => 1);
close $fh;
my $pid = main::background("curl", "-s", "-o", $out, "--data-binary", "\@$src",
    "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/mgnt");
select(undef, undef, undef, 0.7);
kill 'HUP', main::nginx_pid();
waitpid $pid, 0;
open $fh, '<', $out or die "no answer to the upload\n";
my $answer = <$fh>;
die "the upload was not answered with a new version: $answer\n"
    unless $answer =~ /"status":"created"/;
--- request eval
["GET /hello", "GET /mgnt/hello"]
--- timeout: 5
--- response_body_like eval
[qr/^hello 1 /, qr/^\{"module":"hello","version":1,/]
--- no_error_log
[alert]
[error]

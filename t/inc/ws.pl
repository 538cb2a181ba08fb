# t/inc/ws.pl - WebSocket conversations in a Test::Nginx block, through
# objs/cweb-ws (t/ws/README).  Plain Perl and standard sections only, so
# it works unchanged under t/lib and under the real Test::Nginx.
#
#   ws_blocks();                     # after `use Test::Nginx::Socket`
#
#   === TEST 1: echo
#   --- ws_path: /echo               (default /)
#   --- ws_opts: --version 8         (cweb-ws options, optional)
#   --- ws
#   send text hello
#   expect text hello
#   --- response_body
#   HTTP/1.1 101 Switching Protocols
#   text hello
#
# How: "ws" is the client's script.  A block preprocessor turns it into an
# "init" (the real Test::Nginx and ours run init after nginx has started
# for the block and before its request; the "eval" of a request section
# would run before nginx starts) that runs the client to its end and
# writes its transcript (stdout and stderr, so a FAIL line shows in the
# diff) to html/.ws-transcript, and into the request "GET /.ws-transcript",
# served by a location the preprocessor adds to the block's config: the
# transcript is the response body the block's response_body checks.  The
# error log checks see the conversation's lines (the first check of a
# block reads the log from the start).  init runs once per block, so a
# conversation is not repeated by repeat_each().

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);

our $WsRoot = $ENV{TEST_NGINX_CWEB_ROOT}
              || dirname(dirname(dirname(abs_path(__FILE__))));
our $WsClient = "$WsRoot/objs/cweb-ws";
our $WsPort;                    # another server than nginx (t/ws/client.t)
our @WsScripts;

our $WsLocation = <<'_EOC_';
    location = /.ws-transcript {
        default_type text/plain;
        root html;
    }
_EOC_

# the preprocessor; config => ... is the default config of a block (a
# cweb suite's, when t/inc/cweb.pl is loaded), order with cweb_blocks()
# does not matter
sub ws_blocks {
    my (%o) = @_;

    add_block_preprocessor(sub {
        my $block = shift;

        # every block's server has the transcript's location: a "reuse"
        # block keeps the server of a block that may have had no "ws"
        my $config = $block->config;
        if (!defined $config && !defined $block->reuse) {
            $config = $o{config} // $main::CwebConfig;
        }
        if (defined $config && $config !~ m{/\.ws-transcript}) {
            $block->set_value("config", $config . $WsLocation);
        }

        my $script = $block->ws;
        return unless defined $script;

        push @WsScripts, [$script, $block->ws_path // "/",
                          $block->ws_opts // ""];
        my $init = $block->init // "";
        $block->set_value("init", "$init\n;main::ws_run($#WsScripts);\n");
        $block->set_value("request", "GET /.ws-transcript");
    });
}

# runs script N of the file against the test server (or $WsPort)
sub ws_run {
    my ($n) = @_;
    my ($script, $path, $opts) = @{$WsScripts[$n]};
    my $html = Test::Nginx::Util::html_dir();
    my $port = $WsPort // Test::Nginx::Util::server_port();

    die "no $WsClient: make ws-client\n" unless -x $WsClient;

    # the suites' client timeout (e.g. raised under valgrind) is ours too
    $opts = sprintf("--timeout %d %s", $ENV{TEST_NGINX_TIMEOUT} * 1000, $opts)
        if $ENV{TEST_NGINX_TIMEOUT};

    open my $fh, '>', "$html/.ws-script" or die "$html/.ws-script: $!";
    print $fh $script;
    close $fh;

    system("$WsClient $opts 127.0.0.1 $port '$path' $html/.ws-script"
           . " > $html/.ws-transcript 2>&1");

    if ($? & 127) {
        open $fh, '>>', "$html/.ws-transcript" or die;
        print $fh "cweb-ws killed by signal " . ($? & 127) . "\n";
        close $fh;
    }
}

# the echo stand-in (objs/ws-echo) on a free loopback port, for the
# client's own suite; stopped (by its pid) when the test file ends
# (its pipe stays open: closing it would wait for the server to end)
our ($WsEchoPid, $WsEchoOut);

sub ws_echo_start {
    $WsEchoPid = open($WsEchoOut, '-|', "$WsRoot/objs/ws-echo",
                      "--duration-max", "300")
        or die "cannot start $WsRoot/objs/ws-echo: $!";
    my $line = <$WsEchoOut> // die "ws-echo said nothing\n";
    ($WsPort) = $line =~ /^port (\d+)/ or die "ws-echo: $line";
    return $WsPort;
}

END {
    if ($WsEchoPid) {
        kill 'TERM', $WsEchoPid;
        waitpid $WsEchoPid, 0;
    }
}

1;

# conf/nginx-production.conf as shipped (its http block, with paths and
# ports moved into the test's prefix): /mgnt lives only on the unix-socket
# server and needs the key there too (no cweb_dev: a keyless request is
# refused even from the socket); the public TLS server serves plugin routes
# and has no /mgnt; port 80 redirects.  The test server reaches the socket
# and the TLS port through proxy_pass, as a local client would.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 27;

our $Key = "production-key-0123456789abcdef";
our $TlsPort = ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 11;
our $HttpPort = ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 12;
our $Certs;

# a self-signed certificate, outside the servroot (the runners wipe it)
sub certs {
    return $Certs if $Certs;
    $Certs = "/tmp/cweb-t134-$$";
    mkdir $Certs, 0700 or die "mkdir $Certs: $!";
    system("openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
           . "-subj /CN=example.com -keyout $Certs/server.key "
           . "-out $Certs/server.crt >/dev/null 2>&1") == 0
        or die "openssl req failed";
    return $Certs;
}

END { system("rm", "-rf", $Certs) if $Certs && $Certs =~ m{^/tmp/cweb-t134-} }

# the http { } block of the shipped file, moved into the prefix
sub production_http {
    my $file = "$FindBin::Bin/../conf/nginx-production.conf";
    open my $fh, '<', $file or die "cannot open $file: $!";
    my $conf = do { local $/; <$fh> };
    close $fh;

    $conf =~ /^http \{\n(.*)^\}\n/ms or die "no http block in $file";
    my $http = $1;
    my $dir = certs();
    my $root = $ENV{TEST_NGINX_SERVER_ROOT};

    # the test runner's own http block has these
    $http =~ s/^\s*(default_type|access_log)\s.*\n//mg;
    $http =~ s{/var/lib/cweb}{cweb_temp}g;
    $http =~ s{/run/cweb/mgnt\.sock}{$root/logs/mgnt.sock}g;
    $http =~ s{listen\s+443 ssl http2;}{listen 127.0.0.1:$TlsPort ssl http2;}
        or die "no TLS listen in $file";
    $http =~ s{listen\s+80;}{listen 127.0.0.1:$HttpPort;}
        or die "no port 80 listen in $file";
    $http =~ s{/etc/nginx/cweb/}{$dir/}g;
    $http =~ /cweb_dev/ and die "$file sets cweb_dev";
    return $http;
}

# the test server: a local client of the socket and of the TLS port
our $Config = <<"_EOC_";
    location /unix/ {
        proxy_pass http://unix:\$TEST_NGINX_SERVER_ROOT/logs/mgnt.sock:/;
    }
    location /tls/ {
        proxy_pass https://127.0.0.1:$TlsPort/;
        proxy_set_header Host example.com;
        proxy_ssl_verify off;
    }
    location /plain/ {
        proxy_pass http://127.0.0.1:$HttpPort/;
        proxy_set_header Host example.com;
    }
_EOC_

no_shuffle();
no_root_location();

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->reuse) {
        # the master reads it at start, before any "--- init" would run
        if ($block->name =~ /no key in the environment/) {
            delete $ENV{CWEB_ADMIN_KEY};
        } else {
            $ENV{CWEB_ADMIN_KEY} = $Key;
        }
        $block->set_value("http_config", production_http());
        $block->set_value("config", $Config);
    }
});

run_tests();

__DATA__

=== TEST 1: no key in the environment: /mgnt is closed, even to a client
of the unix socket (the production config has no cweb_dev)
--- request eval
["GET /unix/mgnt", ::deploy("hello.c") =~ s{^POST /mgnt}{POST /unix/mgnt}r]
--- error_code eval
[403, 403]
--- response_body eval
["{\"error\":\"no admin key is configured: set cweb_admin_key (or CWEB_ADMIN_KEY), or cweb_dev on for local development\"}\n",
 "{\"error\":\"no admin key is configured: set cweb_admin_key (or CWEB_ADMIN_KEY), or cweb_dev on for local development\"}\n"]
--- no_error_log
[alert]
[emerg]



=== TEST 2: with CWEB_ADMIN_KEY (env CWEB_ADMIN_KEY in the file): keyless
is refused on the socket, the key deploys
--- more_headers eval
["", "X-API-Key: $::Key"]
--- request eval
["GET /unix/mgnt", ::deploy("hello.c") =~ s{^POST /mgnt}{POST /unix/mgnt}r]
--- error_code eval
[401, 201]
--- no_error_log
[alert]
[emerg]



=== TEST 3: the public TLS server serves the plugin and has no /mgnt (a
plugin 404, not the API), with or without the key; port 80 redirects
--- reuse
--- more_headers eval
["", "", "X-API-Key: $::Key", ""]
--- request eval
["GET /tls/hello", "GET /tls/mgnt", "GET /tls/mgnt", "GET /plain/hello"]
--- error_code eval
[200, 404, 404, 301]
--- response_body_like eval
[qr/^hello/, qr/^(?!.*"modules")/s, qr/^(?!.*"modules")/s, qr/301/]
--- response_headers eval
["", "", "", "Location: https://example.com/hello"]
--- no_error_log
[alert]

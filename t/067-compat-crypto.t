# crypto.h and jobs.h as c-web-modules documents them (a4a06d9):
# ctx->crypto signs and verifies with the key pair of
# cweb_crypto_certificate/cweb_crypto_certificate_key (byte for byte what
# "openssl dgst -sha256 -sign key | openssl base64" writes), tampered
# tokens and signatures fail, bad arguments are refused with an error
# line, a plugin's own struct crypto (crypto_init/crypto_shutdown), no key
# configured, files that do not load are an [emerg] naming the directive;
# jobs_bind refused, ctx->jobs NULL; crypto.h and jobs.h compile alone.

use Test::Nginx::Socket;
use FindBin;
use File::Temp qw(tempdir);
require "$FindBin::Bin/inc/cweb.pl";

# throwaway key pairs a and b, made with the openssl CLI; nginx reads them
# from the servroot (user_files: the runners wipe it between blocks)
our $Tmp = tempdir(CLEANUP => 1);
our %Pem;

sub sh {
    my $cmd = shift;
    my $out = `$cmd 2>/dev/null`;
    die "failed: $cmd" if $?;
    return $out;
}

for my $k ("a", "b") {
    sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
       . "-subj /CN=$k.example -keyout $Tmp/$k.key -out $Tmp/$k.crt");
    for my $ext ("key", "crt") {
        open my $fh, '<', "$Tmp/$k.$ext" or die "$Tmp/$k.$ext: $!";
        local $/;
        $Pem{"$k.$ext"} = <$fh>;
    }
}

sub pem_files { return [map { [$_, $Pem{$_}] } sort keys %Pem] }

# a token's signature by key a, as the openssl CLI writes it
sub cli_sign {
    my $token = shift;
    open my $fh, '>', "$Tmp/token" or die "$Tmp/token: $!";
    print $fh $token;
    close $fh;
    return sh("openssl dgst -sha256 -sign $Tmp/a.key $Tmp/token "
              . "| openssl base64");
}

our %Sig = map { $_ => cli_sign($_) } ("hello world", "user=42;exp=1", "");

# coreutils' base64 wraps at 76, OpenSSL's (and upstream's BIO) at 64
for my $t (CORE::keys %Sig) {
    (my $flat = $Sig{$t}) =~ s/\n//g;
    open my $fh, '>', "$Tmp/token" or die;
    print $fh $t;
    close $fh;
    my $gnu = sh("openssl dgst -sha256 -sign $Tmp/a.key $Tmp/token "
                 . "| base64 -w0");
    die "openssl base64 and base64 disagree" unless $gnu eq $flat;
}

our $Root = $ENV{TEST_NGINX_SERVER_ROOT} // "";

our $Crypto = <<'_EOC_';
    cweb_crypto_certificate ../html/a.crt;
    cweb_crypto_certificate_key ../html/a.key;
_EOC_

# nginx -t on a configuration that must fail (t/001-directives.t's way)
my $nginx = $ENV{TEST_NGINX_BINARY} || 'nginx';
my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');

sub nginx_t {
    my $http = shift;
    my $dir = tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh "load_module $_;\n" for @modules;
    print $fh "error_log $dir/error.log;\npid $dir/nginx.pid;\n",
              "events { worker_connections 64; }\n",
              "http {\n    cweb_module_dir $dir/state;\n",
              "    client_body_temp_path $dir/body;\n    $http\n",
              "    server {\n        listen 127.0.0.1:1;\n",
              "        location / { cweb; }\n    }\n}\n";
    close $fh;
    my $out = `$nginx -t -p $dir/ -c $dir/nginx.conf 2>&1`;
    return ($? >> 8, $out);
}

my @bad = (
    ["cweb_crypto_certificate $Tmp/a.crt; "
     . "cweb_crypto_certificate_key /nonexistent/a.key;",
     qr{\[emerg\] .*"cweb_crypto_certificate_key" "/nonexistent/a\.key" cannot be loaded: error:80000002:system library::No such file or directory in }],
    ["cweb_crypto_certificate $Tmp/a.key; "
     . "cweb_crypto_certificate_key $Tmp/a.key;",
     qr{\[emerg\] .*"cweb_crypto_certificate" "\Q$Tmp\E/a\.key" cannot be loaded: error:0480006C:PEM routines::no start line in }],
    ["cweb_crypto_certificate $Tmp/a.crt; "
     . "cweb_crypto_certificate_key $Tmp/b.key;",
     qr{\[emerg\] .*"cweb_crypto_certificate_key" "\Q$Tmp\E/b\.key" cannot be loaded: error:05800074:x509 certificate routines::key values mismatch in }],
    ["cweb_crypto_certificate_key $Tmp/a.key; "
     . "cweb_crypto_certificate $Tmp/b.crt;",
     qr{\[emerg\] .*"cweb_crypto_certificate_key" "\Q$Tmp\E/a\.key" does not match "cweb_crypto_certificate" "\Q$Tmp\E/b\.crt" in }],
    ["cweb_crypto_certificate $Tmp/a.crt;",
     qr{\[emerg\] .*"cweb_crypto_certificate" and "cweb_crypto_certificate_key" go together in }],
    ["cweb_crypto_certificate_key $Tmp/a.key;",
     qr{\[emerg\] .*"cweb_crypto_certificate" and "cweb_crypto_certificate_key" go together in }],
    ["cweb_crypto_certificate $Tmp/a.crt; cweb_crypto_certificate $Tmp/a.crt;",
     qr{\[emerg\] .*"cweb_crypto_certificate" directive is duplicate in }],
    ["cweb_crypto_certificate_key;",
     qr{\[emerg\] .*invalid number of arguments in "cweb_crypto_certificate_key" directive}],
);

plan tests => repeat_each() * 70 + 2 * @bad + 1;

for my $case (@bad) {
    my ($text, $re) = @$case;
    my ($rc, $out) = nginx_t($text);
    isnt($rc, 0, "nginx -t fails for: $text");
    like($out, $re, "the [emerg] names the directive: $text");
}

{
    my ($rc, $out) = nginx_t("cweb_crypto_certificate_key $Tmp/a.key; "
                             . "cweb_crypto_certificate $Tmp/a.crt;");
    is($rc, 0, "a matching pair passes nginx -t in either order") or diag $out;
}

cweb_blocks();

sub refused {
    return '{"error":"invalid plugin","reason":"no \"config\" symbol: a '
         . 'plugin must define \"export module_t config\""}' . "\n";
}

run_tests();

__DATA__

=== TEST 1: deploy compat_crypto with a key pair configured, warning-free
--- http_config eval
$::Crypto . "    cweb_cflags -O2 -Wall -Werror;\n"
--- user_files eval
::pem_files()
--- request eval
::deploy("compat_crypto.c")
--- error_code: 201
--- no_error_log
[error]
[alert]



=== TEST 2: ctx->crypto is loaded: the two files' full paths, an SSL_CTX
holding the key; OpenSSL's names reach the plugin through crypto.h
--- reuse
--- request
GET /crypto/info
--- response_body eval
"status=CRYPTO_LOADED ctx=set ops=set/set\n"
. "certificate=$::Root/conf/../html/a.crt\n"
. "private_key=$::Root/conf/../html/a.key\n"
. "key_in_ctx=yes\n"
. "sha256(abc)/32=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
--- no_error_log
[error]
[alert]



=== TEST 3: sign_token writes what "openssl dgst -sha256 -sign | openssl
base64" writes, returns its length, and verify_token accepts it
--- reuse
--- request eval
["GET /crypto/sign?token=hello%20world",
 "GET /crypto/sign?token=user%3D42%3Bexp%3D1",
 "GET /crypto/sign?token="]
--- response_body eval
["n=350 verify=0\n" . $::Sig{"hello world"},
 "n=350 verify=0\n" . $::Sig{"user=42;exp=1"},
 "n=350 verify=0\n" . $::Sig{""}]
--- no_error_log
[error]
[alert]



=== TEST 4: round trip; a changed token, a shorter one, a changed, cut,
empty or non-base64 signature fail; line breaks are optional; none of it
is the plugin's error
--- reuse
--- request
GET /crypto/roundtrip
--- response_body
sign=350 strlen=350 verify=0
tampered_token=-1 shorter=-1
tampered_signature=-1 not_base64=-1 empty=-1 truncated=-1
one_line=0
--- no_error_log
[error]
[alert]



=== TEST 5: bad arguments: buffers too small (the NUL counts), NULLs, a
copy or a zeroed struct crypto, crypto_init/crypto_shutdown on
ctx->crypto; ctx->crypto still signs, whatever the plugin wrote into it
--- reuse
--- request
GET /crypto/bad
--- response_body
need=351 exact=350 short=-1 zero=-1
null_token=-1 null_out=-1 null_crypto=-1
verify_null_sig=-1 verify_null_token=-1 verify_null_crypto=-1
copy=-1 zero=-1
init_ctx=-1 after_shutdown=CRYPTO_LOADED signs=1
overwritten_signs=1
--- error_log eval
['cweb plugin "compat_crypto": sign_token(): signed_token_len 350 is too small, the signed token takes 351 bytes',
 'cweb plugin "compat_crypto": sign_token(): signed_token_len 0 is too small, the signed token takes 351 bytes',
 'cweb plugin "compat_crypto": sign_token(): token is NULL',
 'cweb plugin "compat_crypto": sign_token(): signed_token is NULL',
 'cweb plugin "compat_crypto": sign_token(): crypto is NULL',
 'cweb plugin "compat_crypto": verify_token(): signed_token is NULL',
 'cweb plugin "compat_crypto": verify_token(): token is NULL',
 'cweb plugin "compat_crypto": verify_token(): crypto is NULL',
 qr/cweb plugin "compat_crypto": sign_token\(\): [0-9A-F]+ is neither ctx->crypto nor a struct crypto that crypto_init\(\) made ready/,
 qr/cweb plugin "compat_crypto": verify_token\(\): [0-9A-F]+ is neither ctx->crypto nor a struct crypto that crypto_init\(\) made ready/,
 'cweb plugin "compat_crypto": crypto_init(): refused on ctx->crypto: its key pair is the host\'s (cweb_crypto_certificate)',
 'cweb plugin "compat_crypto": crypto_shutdown(): refused on ctx->crypto: its key pair is the host\'s (cweb_crypto_certificate)']
--- no_error_log
[alert]



=== TEST 6: a struct crypto of the plugin's own: crypto_init keeps the
pointers given, signs with its own key (not ctx->crypto's), shutdown
forgets it (twice is refused), a missing file, a key that does not match,
NULL
--- reuse
--- request eval
"GET /crypto/own?cert=$::Root/html/b.crt&key=$::Root/html/b.key&other=$::Root/html/a.key"
--- response_body
init=0 status=1 same_paths=1 ctx=set
sign=350 verify=0 by_ctx_crypto=-1
shutdown status=0 ctx=null sign=-1
bad_file=-1 status=0
mismatch=-1
null=-1
again=0
--- error_log eval
[qr/cweb plugin "compat_crypto": sign_token\(\): [0-9A-F]+ is neither ctx->crypto nor a struct crypto that crypto_init\(\) made ready/,
 qr/cweb plugin "compat_crypto": crypto_shutdown\(\): [0-9A-F]+ is not a struct crypto that crypto_init\(\) made ready/,
 'cweb plugin "compat_crypto": crypto_init(): "/nonexistent/own.crt" cannot be loaded: error:80000002:system library::No such file or directory',
 qr/cweb plugin "compat_crypto": crypto_init\(\): "\S+\/html\/a\.key" cannot be loaded: error:05800074:x509 certificate routines::key values mismatch/,
 'cweb plugin "compat_crypto": crypto_init(): crypto is NULL']
--- no_error_log
[alert]



=== TEST 7: jobs.h: jobs_bind is refused (the host owns the job system),
ctx->jobs is NULL
--- reuse
--- request
GET /crypto/jobs
--- response_body
jobs=null
--- error_log
cweb plugin "compat_crypto": jobs_bind() refused: the host owns the job system
--- no_error_log
[alert]



=== TEST 8: a file that includes only <crypto.h> or <jobs.h> compiles
and links warning-free (refused for having no config)
--- reuse
--- request eval
[::deploy("compat_hdr.c", HDR => "crypto.h"),
 ::deploy("compat_hdr.c", HDR => "jobs.h")]
--- error_code eval
[422, 422]
--- response_body eval
[::refused(), ::refused()]
--- error_log
refused: no "config" symbol
--- no_error_log
[alert]



=== TEST 9: no key pair configured: deploy
--- request eval
::deploy("compat_crypto.c")
--- error_code: 201
--- no_error_log
[error]
[alert]



=== TEST 10: no key pair configured: CRYPTO_FAILURE, no paths, no ctx
--- reuse
--- request
GET /crypto/info
--- response_body
status=CRYPTO_FAILURE ctx=null ops=set/set
certificate=null
private_key=null
key_in_ctx=no
sha256(abc)/32=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
--- no_error_log
[error]
[alert]



=== TEST 11: no key pair configured: sign and verify answer -1 with an
error line
--- reuse
--- request
GET /crypto/sign?token=x
--- response_body
n=-1 verify=-1
--- error_log
cweb plugin "compat_crypto": sign_token(): ctx->crypto has no key: "cweb_crypto_certificate" and "cweb_crypto_certificate_key" are not set
cweb plugin "compat_crypto": verify_token(): ctx->crypto has no key: "cweb_crypto_certificate" and "cweb_crypto_certificate_key" are not set
--- no_error_log
[alert]

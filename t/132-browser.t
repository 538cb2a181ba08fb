# Browsers never reach cweb_mgnt: an Origin that cweb_admin_origins does not
# list, or Sec-Fetch-Site other than same-origin / none, is refused with 403
# before the key is looked at and before the body is read, so a page on
# another site cannot make a visitor's browser deploy code (the text/plain
# and multipart form POSTs it may send without a CORS preflight), whatever
# the key or cweb_dev setting.  Requests without these headers (curl,
# scripts) are unaffected.  t/133-browser-chromium.t does the same with a
# real browser.

use Test::Nginx::Socket;
use FindBin;
use File::Temp qw(tempdir);
require "$FindBin::Bin/inc/cweb.pl";

our $OriginBody = "{\"error\":\"browser requests are refused: the Origin "
                . "is not listed in cweb_admin_origins\"}\n";
our $OriginLog = "cweb mgnt: browser requests are refused: the Origin is "
               . "not listed in cweb_admin_origins";
our $SiteBody = "{\"error\":\"cross-site browser requests are refused "
              . "(Sec-Fetch-Site)\"}\n";
our $SiteLog = "cweb mgnt: cross-site browser requests are refused "
             . "(Sec-Fetch-Site)";

our $WithKey = "    cweb_admin_key s3cret-key;\n";
our $WithOrigins = $WithKey . "    cweb_admin_origins https://admin.example.com "
                 . "http://127.0.0.1:8080;\n";
our $Dev = "    cweb_dev on;\n";

our $Key = "X-API-Key: s3cret-key";
our $Evil = "Origin: http://evil.example";
our $Boundary = "----WebKitFormBoundaryCsrf0123456789";
our $FormType = "Content-Type: multipart/form-data; boundary=$Boundary";

# what a hostile page would deploy, and what the legitimate tests deploy
our $Pwned = ::plugin_src("browser_csrf.c", NAME => "pwned");
our $Ok = ::plugin_src("browser_csrf.c", NAME => "browser_ok");

# the body of <form enctype="multipart/form-data"><textarea name="code">:
# a plain field, no filename (browsers send textarea newlines as CRLF)
sub form_upload {
    my ($src) = @_;
    (my $crlf = $src) =~ s/\r?\n/\r\n/g;
    return "POST /mgnt\n"
         . "--$Boundary\r\n"
         . "Content-Disposition: form-data; name=\"code\"\r\n\r\n"
         . $crlf . "\r\n--$Boundary--\r\n";
}

# the text/plain POST of fetch(..., {mode: "no-cors", body: src})
sub text_upload {
    return "POST /mgnt\n" . $_[0];
}


# cweb_admin_origins values: nginx -t as in t/001-directives.t
my @bad = (
    'https://admin.example.com/',
    'admin.example.com',
    'null',
    '"*"',
    'https://',
    'https://admin.example.com http://127.0.0.1:8080/',
    'https://admin.example.com/admin',
    'https://admin.example.com?x',
    'localhost:8080',
    'https:',
    '"https://a.example https://b.example"',
    'https://a.example:99999',
    'https://a.example:',
    ':abc',
);

plan tests => repeat_each() * 229 + 2 * @bad + 4;

my $nginx = $ENV{TEST_NGINX_BINARY} || 'nginx';
my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');

sub nginx_t {
    my ($http) = @_;
    my $dir = tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh "load_module $_;\n" for @modules;
    print $fh "error_log $dir/error.log;\npid $dir/nginx.pid;\n",
              "events { worker_connections 64; }\n",
              "http {\n    cweb_module_dir $dir/state;\n",
              "    client_body_temp_path $dir/body;\n",
              "    $http\n",
              "    server {\n        listen 127.0.0.1:1;\n",
              "        location /mgnt { cweb_mgnt; }\n    }\n}\n";
    close $fh;
    my $out = `$nginx -t -p $dir/ -c $dir/nginx.conf 2>&1`;
    return ($? >> 8, $out);
}

# the [emerg] for the first argument that is not an origin (as the parser
# sees it: without quotes)
sub emerg_re {
    my ($args) = @_;
    my @values = $args =~ /"/ ? ($args =~ s/"//gr) : split ' ', $args;
    my ($value) = grep { !m{^https?://[^/]+$} } @values;
    $value //= $values[0];
    my $msg = "\"cweb_admin_origins\": \"$value\" is not an origin "
            . "(scheme://host[:port], no path)";
    return qr/\[emerg\] .*\Q$msg\E/;
}

for my $value (@bad) {
    my ($rc, $out) = nginx_t("cweb_admin_origins $value;");
    isnt($rc, 0, "nginx -t fails for cweb_admin_origins $value");
    like($out, emerg_re($value), "the [emerg] names the value: $value")
        or diag $out;
}

{
    my ($rc, $out) = nginx_t("cweb_admin_origins https://admin.example.com "
                             . "http://127.0.0.1:8080;");
    is($rc, 0, "good cweb_admin_origins values pass nginx -t") or diag $out;
    like($out, qr/test is successful/, "nginx -t says so");

    ($rc, $out) = nginx_t("cweb_admin_origins https://a.example;\n"
                          . "    cweb_admin_origins https://b.example;");
    isnt($rc, 0, "a second cweb_admin_origins fails nginx -t");
    like($out, qr/\[emerg\] .*"cweb_admin_origins" directive is duplicate/,
         "the [emerg] says it is a duplicate") or diag $out;
}

# Each refusal block starts its own nginx: the first log check of a block
# reads the whole error.log, so "no cweb compile" and the reason lines are
# about that block alone; the blocks that deploy come last in their group
# (--- reuse).  "Before the body is read": nginx logs "http set discard
# body" when the body is thrown away and "http request body content length
# filter" only when it is read for a handler (debug log).
cweb_blocks(dev => 0);

run_tests();

__DATA__

=== TEST 1: key: a foreign Origin is refused even with the right key, before
the body is read; nothing is compiled
--- http_config eval
$::WithKey
--- more_headers eval
"$::Evil\n$::Key"
--- request eval
::text_upload($::Pwned)
--- error_code: 403
--- response_body eval
$::OriginBody
--- response_headers
Content-Type: application/json
--- error_log eval
[$::OriginLog, "http set discard body"]
--- no_error_log
cweb compile
http request body content length filter
[alert]



=== TEST 2: key: GET /mgnt and GET /mgnt/<name> from a foreign Origin are
refused too, with X-API-Key or Bearer
--- http_config eval
$::WithKey
--- more_headers eval
["$::Evil\n$::Key", "$::Evil\nAuthorization: Bearer s3cret-key"]
--- request eval
["GET /mgnt", "GET /mgnt/pwned"]
--- error_code eval
[403, 403]
--- response_body eval
[$::OriginBody, $::OriginBody]
--- error_log eval
$::OriginLog



=== TEST 3: key: "Origin: null" (sandboxed frames, file: and data: pages) is
refused with the right key
--- http_config eval
$::WithKey
--- more_headers eval
"Origin: null\n$::Key"
--- request eval
::text_upload($::Pwned)
--- error_code: 403
--- response_body eval
$::OriginBody
--- error_log eval
$::OriginLog
--- no_error_log
cweb compile



=== TEST 4: key: Sec-Fetch-Site cross-site and same-site are refused with the
right key (and without any Origin)
--- http_config eval
$::WithKey
--- more_headers eval
["Sec-Fetch-Site: cross-site\n$::Key", "Sec-Fetch-Site: same-site\n$::Key"]
--- request eval
[::text_upload($::Pwned), ::text_upload($::Pwned)]
--- error_code eval
[403, 403]
--- response_body eval
[$::SiteBody, $::SiteBody]
--- error_log eval
$::SiteLog
--- no_error_log
cweb compile



=== TEST 5: key: the CSRF shapes from http://evil.example (a text/plain POST
of the source, a multipart form with a "code" field) get 403, not 401: the
key is never looked at; nothing is compiled
--- http_config eval
$::WithKey
--- more_headers eval
["$::Evil\nContent-Type: text/plain", "$::Evil\n$::FormType"]
--- request eval
[::text_upload($::Pwned), ::form_upload($::Pwned)]
--- error_code eval
[403, 403]
--- response_body eval
[$::OriginBody, $::OriginBody]
--- error_log eval
$::OriginLog
--- no_error_log
cweb compile



=== TEST 6: key: Sec-Fetch-Site same-origin and none are let through to the
key check; the CSRF shapes of TEST 5 deployed nothing
--- reuse
--- more_headers eval
["Sec-Fetch-Site: same-origin\n$::Key", "Sec-Fetch-Site: same-origin\n$::Key",
 "Sec-Fetch-Site: none\n$::Key", "Sec-Fetch-Site: none", ""]
--- request eval
["GET /mgnt", ::text_upload($::Ok), "GET /mgnt", "GET /mgnt", "GET /browser_ok"]
--- error_code eval
[200, 201, 200, 401, 200]
--- response_body_like eval
[qr/^\{"modules":\[\]\}$/, qr/"module":"browser_ok".*"status":"created"/,
 qr/^\{"modules":\[\{.*"browser_ok".*\]\}$/, qr/missing admin key/,
 qr/^browser_ok deployed$/]
--- no_error_log
[error]
[alert]



=== TEST 7: key: a same-origin POST carries an Origin; unless it is listed
the request is refused (Sec-Fetch-Site does not vouch for it)
--- http_config eval
$::WithKey
--- more_headers eval
"Sec-Fetch-Site: same-origin\n"
. "Origin: http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}\n$::Key"
--- request eval
::text_upload($::Pwned)
--- error_code: 403
--- response_body eval
$::OriginBody
--- error_log eval
$::OriginLog
--- no_error_log
cweb compile



=== TEST 8: cweb_admin_origins: a listed Origin with the key is allowed (the
match ignores case), with or without Sec-Fetch-Site: same-origin
--- http_config eval
$::WithOrigins
--- more_headers eval
["Origin: https://admin.example.com\n$::Key",
 "Origin: HTTP://127.0.0.1:8080\n$::Key",
 "Origin: https://Admin.Example.COM\nSec-Fetch-Site: same-origin\n$::Key"]
--- request eval
[::text_upload($::Ok), "GET /mgnt", "GET /mgnt/browser_ok"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[qr/"status":"created"/, qr/^\{"modules":\[\{.*"browser_ok".*\]\}$/,
 qr/"module":"browser_ok"/]
--- no_error_log
[error]
[alert]



=== TEST 9: cweb_admin_origins: unlisted Origins are refused with the key:
other scheme, explicit default port, other port, no port, prefix, suffix,
trailing slash, null, empty
--- http_config eval
$::WithOrigins
--- more_headers eval
[map { "Origin: $_\n$::Key" }
 "http://admin.example.com", "https://admin.example.com:443",
 "http://127.0.0.1:8081", "http://127.0.0.1", "https://admin.example.co",
 "https://admin.example.com.evil.example", "https://admin.example.com/",
 "null", ""]
--- request eval
[map { ::text_upload($::Pwned) } 1 .. 9]
--- error_code eval
[(403) x 9]
--- response_body eval
[($::OriginBody) x 9]
--- error_log eval
$::OriginLog
--- no_error_log
cweb compile



=== TEST 10: cweb_admin_origins: a listed Origin does not replace the key
--- http_config eval
$::WithOrigins
--- more_headers eval
["Origin: https://admin.example.com",
 "Origin: https://admin.example.com\nX-API-Key: s3cret-kez"]
--- request eval
[::text_upload($::Pwned), ::text_upload($::Pwned)]
--- error_code eval
[401, 401]
--- response_body eval
["{\"error\":\"missing admin key: send X-API-Key or Authorization: Bearer\"}\n",
 "{\"error\":\"wrong admin key\"}\n"]
--- no_error_log
cweb compile



=== TEST 11: cweb_admin_origins: a listed Origin does not override
Sec-Fetch-Site: cross-site or same-site from it is refused, key or not
--- http_config eval
$::WithOrigins
--- more_headers eval
["Origin: https://admin.example.com\nSec-Fetch-Site: cross-site\n$::Key",
 "Origin: https://admin.example.com\nSec-Fetch-Site: same-site\n$::Key"]
--- request eval
[::text_upload($::Pwned), ::text_upload($::Pwned)]
--- error_code eval
[403, 403]
--- response_body eval
[$::SiteBody, $::SiteBody]
--- error_log eval
$::SiteLog
--- no_error_log
cweb compile



=== TEST 12: cweb_dev on, no key: a page on another site POSTs the source as
text/plain: 403, nothing compiled
--- http_config eval
$::Dev
--- more_headers eval
"$::Evil\nContent-Type: text/plain"
--- request eval
::text_upload($::Pwned)
--- error_code: 403
--- response_body eval
$::OriginBody
--- response_headers
Content-Type: application/json
--- error_log eval
[$::OriginLog, "http set discard body"]
--- no_error_log
cweb compile
http request body content length filter
[alert]



=== TEST 13: cweb_dev on, no key: a page on another site submits a
multipart/form-data form with a "code" field: 403, nothing compiled
--- http_config eval
$::Dev
--- more_headers eval
"$::Evil\n$::FormType"
--- request eval
::form_upload($::Pwned)
--- error_code: 403
--- response_body eval
$::OriginBody
--- error_log eval
[$::OriginLog, "http set discard body"]
--- no_error_log
cweb compile
http request body content length filter
[alert]



=== TEST 14: cweb_dev on, no key: Origin null, the same host on another port,
and this very origin (unlisted) are refused
--- http_config eval
$::Dev
--- more_headers eval
["Origin: null",
 "Origin: http://127.0.0.1:" . ($ENV{TEST_NGINX_SERVER_PORT} + 1),
 "Origin: http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}"]
--- request eval
[::text_upload($::Pwned), ::form_upload($::Pwned), ::text_upload($::Pwned)]
--- error_code eval
[403, 403, 403]
--- response_body eval
[$::OriginBody, $::OriginBody, $::OriginBody]
--- error_log eval
$::OriginLog
--- no_error_log
cweb compile



=== TEST 15: cweb_dev on, no key: Sec-Fetch-Site cross-site and same-site are
refused, alone or with an Origin (what a browser sends: Sec-Fetch-Site is
checked first)
--- http_config eval
$::Dev
--- more_headers eval
["Sec-Fetch-Site: cross-site", "Sec-Fetch-Site: same-site",
 "Sec-Fetch-Site: same-site\nSec-Fetch-Mode: no-cors\n"
 . "Origin: http://127.0.0.1:" . ($ENV{TEST_NGINX_SERVER_PORT} + 1)
 . "\nContent-Type: text/plain",
 "Sec-Fetch-Site: cross-site\nSec-Fetch-Mode: navigate\n$::Evil\n$::FormType"]
--- request eval
[::text_upload($::Pwned), ::text_upload($::Pwned), ::text_upload($::Pwned),
 ::form_upload($::Pwned)]
--- error_code eval
[403, 403, 403, 403]
--- response_body eval
[$::SiteBody, $::SiteBody, $::SiteBody, $::SiteBody]
--- error_log eval
$::SiteLog
--- no_error_log
cweb compile



=== TEST 16: cweb_dev on, no key: GET /mgnt from a foreign Origin is refused
(the plugin list is not readable either)
--- http_config eval
$::Dev
--- more_headers eval
[$::Evil, "$::Evil\nSec-Fetch-Site: none"]
--- request eval
["GET /mgnt", "GET /mgnt/pwned"]
--- error_code eval
[403, 403]
--- response_body eval
[$::OriginBody, $::OriginBody]
--- error_log eval
$::OriginLog



=== TEST 17: cweb_dev on, no key: a refused upload's body is discarded: the
next request on the same connection is parsed correctly
--- http_config eval
$::Dev
--- more_headers eval
["$::Evil\n$::FormType", ""]
--- pipelined_requests eval
[::form_upload($::Pwned), "GET /mgnt"]
--- error_code eval
[403, 200]
--- response_body eval
[$::OriginBody, "{\"modules\":[]}\n"]
--- no_error_log
cweb compile
[alert]



=== TEST 18: cweb_dev on, no key: requests without the headers, or with
Sec-Fetch-Site none / same-origin, are allowed; the form shape deploys then;
the refused form of TEST 17 deployed nothing
--- reuse
--- more_headers eval
["", "Sec-Fetch-Site: none", "Sec-Fetch-Site: same-origin\n$::FormType", "",
 "Sec-Fetch-Site: same-origin"]
--- request eval
["GET /mgnt", "GET /mgnt", ::form_upload($::Ok), "GET /browser_ok",
 "GET /mgnt"]
--- error_code eval
[200, 200, 201, 200, 200]
--- response_body_like eval
[qr/^\{"modules":\[\]\}$/, qr/^\{"modules":\[\]\}$/,
 qr/"module":"browser_ok".*"status":"created"/, qr/^browser_ok deployed$/,
 qr/^\{"modules":\[\{"module":"browser_ok".*\]\}$/]
--- no_error_log
[error]
[alert]



=== TEST 19: cweb_admin_key and cweb_dev on: a loopback client needs no key,
but a foreign Origin is still refused
--- http_config
    cweb_admin_key s3cret-key;
    cweb_dev on;
--- request eval
[::text_upload($::Pwned), ::form_upload($::Pwned), "GET /mgnt"]
--- more_headers eval
["$::Evil\nContent-Type: text/plain", "$::Evil\n$::Key\n$::FormType", ""]
--- error_code eval
[403, 403, 200]
--- response_body eval
[$::OriginBody, $::OriginBody, "{\"modules\":[]}\n"]
--- no_error_log
cweb compile
[alert]



=== TEST 20: no key, no cweb_dev: a browser request gets the browser reason
(checked first), not the configuration hint
--- more_headers eval
$::Evil
--- request eval
::text_upload($::Pwned)
--- error_code: 403
--- response_body eval
$::OriginBody
--- error_log eval
$::OriginLog
--- no_error_log
cweb compile



=== TEST 21: cweb_admin_origins: every Origin header counts: a listed one
next to an unlisted one is refused with the key, in either order
--- http_config eval
$::WithOrigins
--- more_headers eval
["Origin: https://admin.example.com\n$::Evil\n$::Key",
 "$::Evil\nOrigin: https://admin.example.com\n$::Key"]
--- request eval
[::text_upload($::Pwned), ::text_upload($::Pwned)]
--- error_code eval
[403, 403]
--- response_body eval
[$::OriginBody, $::OriginBody]
--- error_log eval
$::OriginLog
--- no_error_log
cweb compile



=== TEST 22: cweb_admin_origins: every Sec-Fetch-Site header counts:
same-origin next to cross-site is refused with the key, in either order
--- http_config eval
$::WithOrigins
--- more_headers eval
["Sec-Fetch-Site: same-origin\nSec-Fetch-Site: cross-site\n$::Key",
 "Sec-Fetch-Site: cross-site\nSec-Fetch-Site: same-origin\n$::Key"]
--- request eval
[::text_upload($::Pwned), ::text_upload($::Pwned)]
--- error_code eval
[403, 403]
--- response_body eval
[$::SiteBody, $::SiteBody]
--- error_log eval
$::SiteLog
--- no_error_log
cweb compile

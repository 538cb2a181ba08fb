# The browser refusal of cweb_mgnt (t/132-browser.t) in a real browser:
# headless Chromium visits a hostile page served by the same nginx on a
# second port (another origin on the same host) while /mgnt runs in the most
# exposed development setup, "cweb_dev on" without a key, where a loopback
# browser would otherwise be let in.  The page fires the requests a page may
# send to another origin without a CORS preflight: a no-cors fetch POST of
# the C source as text/plain and an auto-submitted multipart/form-data form
# with a textarea "code", each to http://127.0.0.1:PORT/mgnt (Chromium sends
# Sec-Fetch-Site: same-site there) and to http://mgnt.test:PORT/mgnt (mapped
# to 127.0.0.1; a host that is not "potentially trustworthy" gets no
# Sec-Fetch-* headers, so only the Origin check can refuse it, as for
# browsers without Fetch Metadata).  Nothing may be deployed.  The positive
# control loads the same page from /mgnt's own origin, listed in
# cweb_admin_origins, and deploys with a same-origin fetch: the browser
# really sends what the page says.
#
# Needs /usr/bin/chromium (Debian package chromium); without it every test
# is skipped.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

my $init_tests = 11;       # run once per block, whatever repeat_each
my $tests = 19;

our $Chromium = '/usr/bin/chromium';

if (!-x $Chromium) {
    plan tests => $init_tests + $tests;
    SKIP: {
        skip "$Chromium is not installed (Debian package chromium)",
             $init_tests + $tests;
    }
    exit 0;
}

plan tests => $init_tests + repeat_each() * $tests;

our $OriginLog = "cweb mgnt: browser requests are refused: the Origin is "
               . "not listed in cweb_admin_origins";
our $SiteLog = "cweb mgnt: cross-site browser requests are refused "
             . "(Sec-Fetch-Site)";

# the attacker's origin: a second listener of the nginx under test, on a
# port the kernel hands out (away from the TEST_NGINX_PORT of other runs)
$ENV{TEST_NGINX_CWEB_ATTACKER_PORT} ||= ::free_port();

our $Attacker = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_CWEB_ATTACKER_PORT;
        server_name attacker;
        log_not_found off;

        location / {
            root $TEST_NGINX_SERVER_ROOT/html;
        }
    }
_EOC_

# /mgnt's own origin serves the page under /page/ for the positive control
our $Config = <<'_EOC_';
    location /mgnt {
        cweb_mgnt;
    }
    location /page/ {
        alias $TEST_NGINX_SERVER_ROOT/html/;
    }
    location = /favicon.ico {
        return 204;
    }
    location / {
        cweb;
    }
_EOC_

sub html_escape {
    my ($s) = @_;
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    $s =~ s/"/&quot;/g;
    return $s;
}

# ?name=N: the plugin's name (default pwned); ?mode=control: a same-origin
# fetch to /mgnt instead of the attack.  The page writes what it saw into
# div#out and "done" once every request has completed.
our $Src = html_escape(::plugin_src("browser_csrf.c"));
our $Page = <<"_EOP_";
<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>cweb CSRF test page</title></head>
<body>
<div id="out">fired:</div>
<form id="form0" method="post" enctype="multipart/form-data" target="sink0"
      action="http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/mgnt">
<textarea name="code">$Src</textarea>
</form>
<iframe name="sink0" id="sink0" style="display:none"></iframe>
<form id="form1" method="post" enctype="multipart/form-data" target="sink1"
      action="http://mgnt.test:\$TEST_NGINX_SERVER_PORT/mgnt">
<textarea name="code">$Src</textarea>
</form>
<iframe name="sink1" id="sink1" style="display:none"></iframe>
<script>
var q = new URLSearchParams(location.search);
var name = q.get('name') || 'pwned';
var out = document.getElementById('out');
var forms = [document.getElementById('form0'), document.getElementById('form1')];
var src, pending;

function log(s) {
    out.appendChild(document.createTextNode(' ' + s));
}

function fired(s) {
    log(s);
    if (--pending === 0) {
        log('done');
    }
}

forms.forEach(function (f) {
    f.code.value = f.code.value.replace(/\@NAME\@/g, name);
});
src = forms[0].code.value;

if (q.get('mode') === 'control') {
    pending = 1;
    fetch('/mgnt', {method: 'POST', body: src,
                    headers: {'Content-Type': 'text/plain'}})
    .then(function (r) {
        return r.text().then(function (t) {
            fired('status=' + r.status + ' ' + t.trim());
        });
    }, function (e) {
        fired('error=' + e);
    });

} else {
    pending = 4;
    forms.forEach(function (f, i) {
        fetch(f.action, {method: 'POST', mode: 'no-cors', body: src,
                         headers: {'Content-Type': 'text/plain'}})
        .then(function (r) {
            fired('fetch' + i + '=' + r.type);
        }, function (e) {
            fired('fetch' + i + '=error');
        });

        document.getElementById('sink' + i).onload = function () {
            fired('form' + i + '=loaded');
        };
        f.submit();
    });
}
</script>
</body>
</html>
_EOP_

# the DOM's <div id="out"> after the page ran (t/inc/cweb.pl)
sub chromium {
    my ($url) = @_;
    return ::chromium_out($url, '--host-resolver-rules=MAP mgnt.test 127.0.0.1');
}

# the attack page ran to its end and every request completed
sub attack {
    my ($what) = @_;
    my $out = chromium("http://127.0.0.1:$ENV{TEST_NGINX_CWEB_ATTACKER_PORT}"
                       . "/attack.html");
    like($out, qr/ done$/, "$what: the page fired every request");
    my @fired = sort grep { /=/ } split ' ', $out;
    is("@fired", "fetch0=opaque fetch1=opaque form0=loaded form1=loaded",
       "$what: two no-cors fetches and two form posts completed");
}

sub count_lines {
    my ($file, $re) = @_;
    open my $fh, '<', "$ENV{TEST_NGINX_SERVER_ROOT}/logs/$file"
        or die "cannot open logs/$file: $!";
    my $n = grep { /$re/ } <$fh>;
    close $fh;
    return $n;
}

# each of the 4 requests reached /mgnt and was refused: 2 carried
# Sec-Fetch-Site: same-site (127.0.0.1), 2 only an Origin (mgnt.test)
sub refused {
    my ($what) = @_;
    is(count_lines('access.log', qr{"POST /mgnt HTTP/1\.1" 403 }), 4,
       "$what: 4 POST /mgnt answered 403");
    is(count_lines('error.log', qr/\Q$SiteLog\E/), 2,
       "$what: 2 refused for Sec-Fetch-Site");
    is(count_lines('error.log', qr/\Q$OriginLog\E/), 2,
       "$what: 2 refused for their Origin");
}

sub control {
    my $out = chromium("http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}"
                       . "/page/attack.html?mode=control&name=browser_ok");
    like($out, qr/^fired: status=201 \{.*"module":"browser_ok".*"status":"created".*\} done$/,
         "control: the same-origin fetch from a listed origin deployed");
}

cweb_blocks(config => $Config, dev => 0);

run_tests();

__DATA__

=== TEST 1: cweb_dev on, no key: a page on another origin (same host, other
port) cannot make the browser deploy; nothing is compiled
--- http_config eval
"    cweb_dev on;\n$::Attacker"
--- user_files eval
[["attack.html", $::Page]]
--- init
::attack("attack");
::refused("attack");
--- request
GET /mgnt
--- response_body
{"modules":[]}
--- error_log eval
[$::SiteLog, $::OriginLog]
--- no_error_log
cweb compile
[error]
[alert]



=== TEST 2: positive control: the same page on /mgnt's own origin, listed in
cweb_admin_origins, deploys with a same-origin fetch; the attack from the
other port is still refused
--- http_config eval
"    cweb_dev on;\n"
. "    cweb_admin_origins http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;\n"
. $::Attacker
--- user_files eval
[["attack.html", $::Page]]
--- init
::control();
::attack("attack with a listed origin");
::refused("attack with a listed origin");
--- request
GET /mgnt
--- response_body_like
^\{"modules":\[\{"module":"browser_ok",.*\}\]\}$
--- error_log eval
[$::SiteLog, $::OriginLog]
--- no_error_log
[error]
[alert]



=== TEST 3: the control's plugin serves its route; the attack's does not exist
--- reuse
--- request eval
["GET /browser_ok", "GET /pwned"]
--- error_code eval
[200, 404]
--- response_body_like eval
[qr/^browser_ok deployed$/, qr/./]
--- no_error_log
[alert]

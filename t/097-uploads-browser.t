# example-modules/uploads.c in a real browser (issue 9, item 9): headless
# Chromium loads a page that uploads a file part with fetch() and
# FormData (a Blob with a NUL byte), sends a bad count (400 JSON), reads
# the JSON list (gzip'd by the plugin, decoded by the browser), the CSV
# export (streamed) and the form, whose preselected color comes from the
# cookie the upload set.  The test reads the dumped DOM.  Needs
# /usr/bin/chromium (Debian package chromium); without it the test is
# skipped.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

our $Chromium = '/usr/bin/chromium';

if (!-x $Chromium) {
    plan skip_all => "$Chromium is not installed (Debian package chromium)";
}

master_on();
workers(1);
plan "no_plan";

our $Page = <<'_EOP_';
<!doctype html>
<pre id="out"></pre>
<script>
(async () => {
  const out = [];
  const up = (fields) => {
    const f = new FormData();
    for (const [k, v] of fields) f.append(k, ...v);
    return fetch('/uploads', {method: 'POST', body: f});
  };
  let r = await up([['title', [' browser "one" ']], ['count', ['2']],
                    ['color', ['blue']],
                    ['file', [new Blob(['a\0b,c']), 'b.bin']]]);
  out.push('upload ' + r.status + ' ' + (await r.text()).trim());
  r = await up([['title', ['x']], ['count', ['0']], ['color', ['blue']],
                ['file', [new Blob(['z']), 'z.txt']]]);
  out.push('bad ' + r.status + ' ' + (await r.text()).trim());
  r = await fetch('/uploads/list');
  out.push('list ' + r.status + ' ' + (r.headers.get('content-encoding') || '-')
           + ' ' + (await r.text()).trim());
  r = await fetch('/uploads/export.csv');
  out.push('csv ' + r.status + ' ' + JSON.stringify(await r.text()));
  r = await fetch('/uploads');
  const m = (await r.text()).match(/<option selected>(\w+)</);
  out.push('form ' + (m ? m[1] : 'none'));
  document.getElementById('out').textContent = out.join('\n');
  document.title = 'done';
})().catch(e => { document.title = 'done'; document.body.append('error ' + e); });
</script>
_EOP_

our $Config = <<'_EOC_';
    location /mgnt { cweb_mgnt; }
    location = /uploads-test.html { root html; }
    location / { cweb; }
_EOC_

sub ex {
    my $file = "$ENV{TEST_NGINX_CWEB_ROOT}/example-modules/$_[0]";
    open my $fh, '<', $file or die "cannot open $file: $!\n";
    local $/;
    return <$fh>;
}

cweb_blocks(config => $Config);

run_tests();

__DATA__

=== TEST 1: deploy uploads.c
--- http_config
    cweb_shared_zone counters 1m;
--- user_files eval
[["uploads-test.html", $::Page]]
--- request eval
"POST /mgnt\n" . ::ex("uploads.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: the page's requests in Chromium: the upload, the 400, the
gzip'd list, the streamed CSV, the cookie's color in the form
--- reuse
--- init
my $dom = main::chromium_dom("http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/uploads-test.html",
                             qr{<title>done</title>});
my ($out) = $dom =~ m{<pre id="out">(.*?)</pre>}s;
$out //= "(no output) $dom";
$out =~ s/&quot;/"/g;
$out =~ s/&lt;/</g;
$out =~ s/&gt;/>/g;
$out =~ s/&amp;/&/g;
my $want = join "\n",
    'upload 201 {"id":1,"title":"browser \"one\"","count":2,"color":"blue","file":"b.bin","size":5,"code":0}',
    'bad 400 {"code":-1,"error":"argument \"count\": out of range 1..10"}',
    'list 200 gzip [{"id":1,"title":"browser \"one\"","count":2,"color":"blue","file":"b.bin","size":5}]',
    'csv 200 "id,title,count,color,file,size\r\n1,\"browser \"\"one\"\"\",2,\"blue\",\"b.bin\",5\r\n"',
    'form blue';
if ($out ne $want) {
    Test::More::diag("the page says:\n$out\n\nexpected:\n$want\n");
    die "the page's answers are not the expected ones (see above)\n";
}
--- request
GET /uploads/list
--- response_body_like: "title":"browser \\"one\\""
--- no_error_log
[error]

# Typed arguments and URL escaping (issue 9, item 1): every number type
# with and without bounds, bool, enum, range, strings with a maximum
# length, trimmed; from the query, urlencoded and multipart forms; each
# failure a code and a message naming the argument and why, ready for a
# 400 JSON answer.  t/plugins/toolkit.c answers what each call returned.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

master_on();
workers(1);
plan "no_plan";

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy the toolkit plugin
--- request eval
::deploy("toolkit.c")
--- error_code: 201
--- no_error_log
[error]



=== TEST 2: numbers of every type at their limits and bounds
--- reuse
--- request eval
["GET /tk/arg?t=int&v=-42",
 "GET /tk/arg?t=int&v=%2B2147483647",
 "GET /tk/arg?t=int&v=-2147483648",
 "GET /tk/arg?t=uint&v=4294967295",
 "GET /tk/arg?t=int64&v=-9223372036854775808",
 "GET /tk/arg?t=uint64&v=18446744073709551615",
 "GET /tk/arg?t=float&v=0.25",
 "GET /tk/arg?t=double&v=-1e300",
 "GET /tk/arg?t=int_r&v=10",
 "GET /tk/arg?t=int_r&v=1",
 "GET /tk/arg?t=uint_r&v=5",
 "GET /tk/arg?t=int64_r&v=-5000000000",
 "GET /tk/arg?t=uint64_r&v=20",
 "GET /tk/arg?t=float_r&v=1",
 "GET /tk/arg?t=double_r&v=-1.5"]
--- error_code eval
[(200) x 15]
--- response_body eval
["rc=0 out=-42 err=-\n",
 "rc=0 out=2147483647 err=-\n",
 "rc=0 out=-2147483648 err=-\n",
 "rc=0 out=4294967295 err=-\n",
 "rc=0 out=-9223372036854775808 err=-\n",
 "rc=0 out=18446744073709551615 err=-\n",
 "rc=0 out=0.25 err=-\n",
 "rc=0 out=-1e+300 err=-\n",
 "rc=0 out=10 err=-\n",
 "rc=0 out=1 err=-\n",
 "rc=0 out=5 err=-\n",
 "rc=0 out=-5000000000 err=-\n",
 "rc=0 out=20 err=-\n",
 "rc=0 out=1 err=-\n",
 "rc=0 out=-1.5 err=-\n"]
--- no_error_log
[error]



=== TEST 3: outside the type's limits or the bounds: CWEB_ARG_RANGE
(-22), the output untouched, the range in the message
--- reuse
--- request eval
["GET /tk/arg?t=int&v=2147483648",
 "GET /tk/arg?t=int&v=-99999999999999999999",
 "GET /tk/arg?t=uint&v=4294967296",
 "GET /tk/arg?t=int64&v=9223372036854775808",
 "GET /tk/arg?t=uint64&v=18446744073709551616",
 "GET /tk/arg?t=float&v=1e39",
 "GET /tk/arg?t=double&v=1e400",
 "GET /tk/arg?t=int_r&v=11",
 "GET /tk/arg?t=int_r&v=0",
 "GET /tk/arg?t=uint_r&v=7",
 "GET /tk/arg?t=int64_r&v=5000000001",
 "GET /tk/arg?t=uint64_r&v=9",
 "GET /tk/arg?t=float_r&v=1.01",
 "GET /tk/arg?t=double_r&v=1.6"]
--- error_code eval
[(400) x 14]
--- response_body eval
["rc=-22 out=0 err=argument \"v\": out of range -2147483648..2147483647\n",
 "rc=-22 out=0 err=argument \"v\": out of range -2147483648..2147483647\n",
 "rc=-22 out=0 err=argument \"v\": out of range 0..4294967295\n",
 "rc=-22 out=0 err=argument \"v\": out of range -9223372036854775808..9223372036854775807\n",
 "rc=-22 out=0 err=argument \"v\": out of range 0..18446744073709551615\n",
 "rc=-22 out=0 err=argument \"v\": out of range of a float\n",
 "rc=-22 out=0 err=argument \"v\": out of range of a double\n",
 "rc=-22 out=0 err=argument \"v\": out of range 1..10\n",
 "rc=-22 out=0 err=argument \"v\": out of range 1..10\n",
 "rc=-22 out=0 err=argument \"v\": out of range 5..6\n",
 "rc=-22 out=0 err=argument \"v\": out of range -5000000000..5000000000\n",
 "rc=-22 out=0 err=argument \"v\": out of range 10..20\n",
 "rc=-22 out=0 err=argument \"v\": out of range 0..1\n",
 "rc=-22 out=0 err=argument \"v\": out of range -1.5..1.5\n"]
--- no_error_log
[error]



=== TEST 4: not numbers: CWEB_ARG_INVALID (-21); empty, words, space
around, hex, inf, nan, a fraction for an integer, a sign for an unsigned
--- reuse
--- request eval
["GET /tk/arg?t=int&v=",
 "GET /tk/arg?t=int&v=abc",
 "GET /tk/arg?t=int&v=%205",
 "GET /tk/arg?t=int&v=5%20",
 "GET /tk/arg?t=int&v=0x10",
 "GET /tk/arg?t=int&v=1.5",
 "GET /tk/arg?t=int64&v=12abc",
 "GET /tk/arg?t=uint&v=-1",
 "GET /tk/arg?t=uint64&v=-0",
 "GET /tk/arg?t=double&v=nan",
 "GET /tk/arg?t=double&v=inf",
 "GET /tk/arg?t=float&v=0x1p3",
 "GET /tk/arg?t=double&v=1.2.3"]
--- error_code eval
[(400) x 13]
--- response_body eval
["rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not an integer\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not an unsigned number\n",
 "rc=-21 out=0 err=argument \"v\": not an unsigned number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n",
 "rc=-21 out=0 err=argument \"v\": not a number\n"]
--- no_error_log
[error]



=== TEST 5: missing: CWEB_ARG_MISSING (-20) for every kind
--- reuse
--- request eval
["GET /tk/arg?t=int",
 "GET /tk/arg?t=double_r&w=1",
 "GET /tk/arg?t=str",
 "GET /tk/arg?t=bool",
 "GET /tk/arg?t=enum",
 "GET /tk/arg?t=range"]
--- error_code eval
[(400) x 6]
--- response_body eval
["rc=-20 out=0 err=argument \"v\": missing\n",
 "rc=-20 out=0 err=argument \"v\": missing\n",
 "rc=-20 out=[(null)] err=argument \"v\": missing\n",
 "rc=-20 out=7 err=argument \"v\": missing\n",
 "rc=-20 out=99 err=argument \"v\": missing\n",
 "rc=-20 out=0..0 err=argument \"v\": missing\n"]
--- no_error_log
[error]



=== TEST 6: strings with a maximum length (8; trimmed: 4)
--- reuse
--- request eval
["GET /tk/arg?t=str&v=abcdefgh",
 "GET /tk/arg?t=str&v=abcdefghi",
 "GET /tk/arg?t=str&v=",
 "GET /tk/arg?t=str&v=%20a%20",
 "GET /tk/arg?t=trim&v=%20%20ab%09%20",
 "GET /tk/arg?t=trim&v=%20abcd%20",
 "GET /tk/arg?t=trim&v=%20abcde%20",
 "GET /tk/arg?t=trim&v=%20%20"]
--- error_code eval
[200, 400, 200, 200, 200, 200, 400, 200]
--- response_body eval
["rc=0 out=[abcdefgh] err=-\n",
 "rc=-21 out=[(null)] err=argument \"v\": longer than 8 bytes\n",
 "rc=0 out=[] err=-\n",
 "rc=0 out=[ a ] err=-\n",
 "rc=0 out=[ab] err=-\n",
 "rc=0 out=[abcd] err=-\n",
 "rc=-21 out=[(null)] err=argument \"v\": longer than 4 bytes\n",
 "rc=0 out=[] err=-\n"]
--- no_error_log
[error]



=== TEST 7: bool, enum (the index in a list) and a "<min>-<max>" range
--- reuse
--- request eval
["GET /tk/arg?t=bool&v=on",
 "GET /tk/arg?t=bool&v=TRUE",
 "GET /tk/arg?t=bool&v=0",
 "GET /tk/arg?t=bool&v=No",
 "GET /tk/arg?t=bool&v=2",
 "GET /tk/arg?t=enum&v=green",
 "GET /tk/arg?t=enum&v=Green",
 "GET /tk/arg?t=range&v=1-10",
 "GET /tk/arg?t=range&v=-5--1",
 "GET /tk/arg?t=range&v=7-3",
 "GET /tk/arg?t=range&v=7",
 "GET /tk/arg?t=range&v=a-b"]
--- error_code eval
[200, 200, 200, 200, 400, 200, 400, 200, 200, 400, 400, 400]
--- response_body eval
["rc=0 out=1 err=-\n",
 "rc=0 out=1 err=-\n",
 "rc=0 out=0 err=-\n",
 "rc=0 out=0 err=-\n",
 "rc=-21 out=7 err=argument \"v\": not a boolean (1/0, true/false, yes/no, on/off)\n",
 "rc=0 out=1 err=-\n",
 "rc=-21 out=99 err=argument \"v\": not one of red, green, blue\n",
 "rc=0 out=1..10 err=-\n",
 "rc=0 out=-5..-1 err=-\n",
 "rc=-22 out=0..0 err=argument \"v\": not a range: 7 is above 3\n",
 "rc=-21 out=0..0 err=argument \"v\": not a range <min>-<max>\n",
 "rc=-21 out=0..0 err=argument \"v\": not a range <min>-<max> of integers\n"]
--- no_error_log
[error]



=== TEST 8: from an urlencoded form; the query's wins over the form's
--- reuse
--- request eval
["POST /tk/arg?t=int\nv=5&w=6",
 "POST /tk/arg?t=int&v=1\nv=2",
 "POST /tk/arg?t=trim\nv=+x+y+"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- response_body eval
["rc=0 out=5 err=-\n",
 "rc=0 out=1 err=-\n",
 "rc=0 out=[x y] err=-\n"]
--- no_error_log
[error]



=== TEST 9: from a multipart field
--- reuse
--- request eval
"POST /tk/arg?t=uint_r\n--XyZ\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n6\r\n--XyZ--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZ
--- response_body
rc=0 out=6 err=-
--- no_error_log
[error]



=== TEST 10: the first failure of several reads, answered as 400 JSON;
a read that succeeds clears what an earlier one found
--- reuse
--- request eval
["GET /tk/many?a=1&b=2&c=0.5",
 "GET /tk/many?a=1&b=200&c=0.5",
 "GET /tk/many?b=2&c=0.5",
 "GET /tk/many?a=1&b=2&c=x"]
--- error_code eval
[200, 400, 400, 400]
--- response_body eval
["{\"code\":0,\"a\":1,\"b\":2,\"c\":0.5}\n",
 "{\"code\":-22,\"error\":\"argument \\\"b\\\": out of range 0..100\"}\n",
 "{\"code\":-20,\"error\":\"argument \\\"a\\\": missing\"}\n",
 "{\"code\":-21,\"error\":\"argument \\\"c\\\": not a number\"}\n"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json", "Content-Type: application/json"]
--- no_error_log
[error]



=== TEST 11: URL escaping: every byte but A-Z a-z 0-9 - . _ ~ as %XX;
unescaping as nginx does, "+" kept, %00 as "_", a malformed escape
dropped; a NULL string is the plugin's error
--- reuse
--- request
GET /tk/esc?s=a%20b%26c%2Fd~e.f_g-h%C3%A9%3D%25%2B&u=x%2541%2500y%25zz%2B1
--- response_body
esc=[a%20b%26c%2Fd~e.f_g-h%C3%A9%3D%25%2B] unesc=[xA_yzz+1] null=NULL
--- error_log
cweb plugin "toolkit": cweb_url_escape(): NULL string
--- no_error_log
[alert]

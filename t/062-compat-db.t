# ctx->database as c-web-modules documents it (struct sqldb, a4a06d9):
# upstream's webui-style plugin code (prepare / bind / step / column /
# finalize, exec with a callback, reset, changes, last_insert_rowid) over
# a CRUD table with bound parameters; bad handles and statements are
# refused with SQLITE_MISUSE and a log line, and the worker carries on;
# sqldb_init/sqldb_shutdown are refused (the host owns the connection).

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 75;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: deploy a plugin written against upstream's db.h
--- request eval
::deploy("compat_db.c")
--- error_code: 201
--- no_error_log
[error]
[alert]



=== TEST 2: create, read, update, delete with bound parameters
--- reuse
--- request eval
["POST /compat_db/items?name=apple&qty=3",
 "POST /compat_db/items?name=pear&qty=7",
 "POST /compat_db/items?name=it%27s%3B%20DROP%20TABLE%20x%3B--&qty=1",
 "POST /compat_db/items?qty=4",
 "GET /compat_db/items",
 "PUT /compat_db/items?id=2&qty=9",
 "PUT /compat_db/items?id=99&qty=1",
 "DELETE /compat_db/items?name=apple",
 "DELETE /compat_db/items?name=apple",
 "GET /compat_db/items?min=4"]
--- error_code eval
[201, 201, 201, 201, 200, 200, 200, 200, 200, 200]
--- response_body eval
["id=1 changes=1\n",
 "id=2 changes=1\n",
 "id=3 changes=1\n",
 "id=4 changes=1\n",
 "columns=3\n1|apple|3\n2|pear|7\n3|it's; DROP TABLE x;--|1\n4|(null)|4\n"
 . "total=4\n",
 "step=done changes=1\n",
 "step=done changes=0\n",
 "step=done changes=1\n",
 "step=done changes=0\n",
 "columns=3\n2|pear|9\n4|(null)|4\ntotal=3\n"]
--- no_error_log
[error]
[alert]



=== TEST 3: one statement reset and bound again per row; a plugin's
destructor runs once per bind, after the text was copied
--- reuse
--- request eval
["POST /compat_db/batch", "GET /compat_db/items?min=100"]
--- response_body eval
["b1:done:5 reset=0\nb2:done:6 reset=0\nb3:done:7 reset=0\nscrubbed=3\n",
 "columns=3\n5|b1|100\n6|b2|101\n7|b3|102\ntotal=6\n"]
--- no_error_log
[error]
[alert]



=== TEST 4: bad handles, statements and SQL are refused with a log line
(a refused bind_text still calls the plugin's destructor, as SQLite does)
--- reuse
--- request
GET /compat_db/misuse
--- response_body eval
"finalize=0 again=21 step_null=21 step_made_up=21 text=null int=0 "
 . "count=0 reset=21 bind=21/21 exec_fake=21 prepare_fake=21 "
 . "changes_fake=-1 rowid_fake=-1 bad_sql=1 init=-1 scrubbed=1\n"
--- error_log eval
[qr/cweb plugin "compat_db": ctx->database->finalize\(\): [0-9A-F]+ is not an open statement of ctx->database/,
 'cweb plugin "compat_db": ctx->database->step(): 0000000000000000 is not an open statement of ctx->database',
 qr/ctx->database->step\(\): [0-9A-F]+ is not an open statement/,
 qr/ctx->database->column_text\(\): [0-9A-F]+ is not an open statement/,
 qr/ctx->database->column_int\(\): [0-9A-F]+ is not an open statement/,
 qr/ctx->database->column_count\(\): [0-9A-F]+ is not an open statement/,
 qr/ctx->database->reset\(\): [0-9A-F]+ is not an open statement/,
 qr/ctx->database->bind_text\(\): [0-9A-F]+ is not an open statement/,
 qr/ctx->database->bind_int\(\): [0-9A-F]+ is not an open statement/,
 'cweb plugin "compat_db": ctx->database->exec(): the handle is not ctx->database',
 'cweb plugin "compat_db": ctx->database->prepare(): the handle is not ctx->database',
 'cweb plugin "compat_db": ctx->database->changes(): the handle is not ctx->database',
 'cweb plugin "compat_db": ctx->database->last_insert_rowid(): the handle is not ctx->database',
 'cweb plugin "compat_db": ctx->database->exec(): near "BOGUS": syntax error',
 'cweb plugin "compat_db": sqldb_init("other.db") refused: the host opens ctx->database',
 'cweb plugin "compat_db": sqldb_shutdown() refused: the host closes ctx->database']
--- no_error_log
[alert]
[crit]



=== TEST 5: after the refusals the connection still serves (and is open)
(the block's log still holds TEST 4's errors: no worker died)
--- reuse
--- request
GET /compat_db/items?min=9
--- response_body
columns=3
2|pear|9
5|b1|100
6|b2|101
7|b3|102
total=6
--- no_error_log
[alert]
[crit]

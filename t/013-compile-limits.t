# The compiler runs under resource limits (cweb_compile_memory, _file_size,
# _processes, CPU = cweb_compile_timeout): a hostile source fails fast
# instead of eating the machine; objects over cweb_max_object_size are
# refused by the canary, which hashes the object off the event loop.

use Test::Nginx::Socket;
use FindBin;
require "$FindBin::Bin/inc/cweb.pl";

plan tests => repeat_each() * 13;

cweb_blocks();

run_tests();

__DATA__

=== TEST 1: #include "/dev/zero": cc1 hits cweb_compile_memory in a moment,
long before the 30 s compile timeout
--- http_config
    cweb_compile_memory 256m;
--- request
POST /mgnt
#include "/dev/zero"
--- timeout: 15
--- error_code: 422
--- response_body_like eval
qr/^\{"error":"compile failed","diagnostics":\[.*\],"output":".*(?:out of memory|memory exhausted|cannot allocate|virtual memory exhausted).*"\}$/s
--- error_log
cweb compile of "module.c" failed (errors)



=== TEST 2: an object bigger than cweb_compile_file_size: the linker is
stopped (SIGXFSZ) and the upload refused
--- http_config
    cweb_compile_file_size 1m;
--- request eval
::deploy("bigdata.c", KB => 4096)
--- timeout: 15
--- error_code: 422
--- response_body_like eval
qr/^\{"error":"compile failed",/
--- error_log
cweb compile of "module.c" failed (errors)



=== TEST 3: an object over cweb_max_object_size is refused by the canary
--- http_config
    cweb_max_object_size 100k;
--- request eval
::deploy("bigdata.c", KB => 200)
--- error_code: 422
--- response_body_like eval
qr/^\{"error":"invalid plugin","reason":"the object is \d+ bytes, more than cweb_max_object_size \(102400\)"\}$/
--- error_log eval
qr/cweb plugin from "module.c" refused: the object is \d+ bytes, more than cweb_max_object_size \(102400\)/



=== TEST 4: ... one under it deploys and serves
--- reuse
--- request eval
[::deploy("bigdata.c", KB => 20), "GET /bigdata"]
--- error_code eval
[201, 200]
--- response_body_like eval
[qr/"created"/, qr/^20480 1$/]

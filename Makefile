# ngx_cweb - build, run and test.
#
#   make          objs/ngx_cweb_module.so (NGINX_SRC=<nginx source tree>)
#   make run      install missing packages, build, nginx on 127.0.0.1:8080
#   make test     install missing packages, build, unit tests + t/*.t
#   make bench    benchmarks (bench/http, deploy, instructions, faults,
#                 routes, ws, jobs, jobs-store, jobs-fanout); not in test
#   make valgrind the suites under memcheck (VALGRIND_SUITES=t/060-api.t
#                 ...); fails on invalid accesses and definite leaks

SHELL        := /bin/bash
NGINX_SRC    ?= /usr/share/nginx/src
NGINX_BIN    ?= /usr/sbin/nginx
BUILD        := build
# one configured copy per source tree, so NGINX_SRC=... never reuses another
NGX_BUILD    := $(BUILD)/nginx$(subst /,_,$(abspath $(NGINX_SRC)))
MODULE       := objs/ngx_cweb_module.so
RUN_PREFIX   := $(CURDIR)/$(BUILD)/run

# Debian packages the build, the tests and `make run` need (chromium: the
# browser suites, t/133; openssl: t/134's certificate; strace: t/039;
# libelf-dev: elfutils' libelf, which reads a stored object's ABI stamp;
# python3: the raw WebSocket clients of t/074)
DEB_PKGS     := nginx nginx-dev libsqlite3-dev libjansson-dev libssl-dev \
                zlib1g-dev libpcre2-dev libelf-dev gcc make perl libtest-base-perl \
                curl procps sqlite3 strace chromium openssl python3
BENCH_PKGS   := wrk libnginx-mod-http-lua libnginx-mod-http-js valgrind iproute2
# bench/ws's peer: lua-resty-websocket, Debian's lua-nginx-websocket (pure
# Lua).  The package depends on nginx-extras (some 30 other nginx modules),
# so unless it is installed its .deb is fetched with apt-get download and
# unpacked under build/ instead (bench/ws looks in both places)
LUA_WS_PKG   := lua-nginx-websocket
LUA_WS_DIR   := $(BUILD)/lua-nginx-websocket
# what the real Test::Nginx (openresty/test-nginx, a checkout given to
# ../shared/tools/real-test-nginx) needs beyond DEB_PKGS
REAL_PKGS    := libtest-longstring-perl liblist-moreutils-perl \
                libtext-diff-perl liburi-perl libhttp-message-perl \
                libipc-run-perl libwww-perl util-linux iproute2

# `make valgrind`: valgrind.suppress holds nginx/OpenSSL/SQLite/loader
# noise only, t/lib/fixtures.suppress the deliberate faults of the test
# plugins; plugins are dlclose()d, --keep-debuginfo keeps their frames.
# Memcheck's malloc replaces glibc's only (somalloc=nouserintercepts): by
# default it takes over every global function of that family in any
# object, so t/065's plugin, which defines its own malloc(), got memcheck's
# (its count stayed 0, and what it took was reported lost).  A plugin's
# hidden free()/realloc() were never taken over.
# The same options work with the real Test::Nginx (a TEST_NGINX_USE_VALGRIND
# that is not a number is passed to valgrind as it is).
VALGRIND_PKGS   := valgrind
VALGRIND_SUITES ?= $(wildcard t/[0-9]*.t)
VALGRIND_LOGS   := $(CURDIR)/$(BUILD)/valgrind
VALGRIND_OPTS   := --tool=memcheck --leak-check=full --keep-debuginfo=yes \
                   --show-possibly-lost=no --errors-for-leak-kinds=definite \
                   --num-callers=100 --gen-suppressions=all \
                   --soname-synonyms=somalloc=nouserintercepts \
                   --suppressions=$(CURDIR)/valgrind.suppress \
                   --suppressions=$(CURDIR)/t/lib/fixtures.suppress
# Each suite's log directory is writable by all (sticky): valgrind opens
# the log of a forked child (%p) in the child, and a child of a worker or
# the helper running as nobody (t/014) could not, so it exited 1 before it
# exec()ed the compiler, and a canary died at birth.

# seconds a client waits for nginx under valgrind (the suites' default: 3)
VALGRIND_TIMEOUT ?= 20

# the WebSocket client of the suites and of bench/ws (t/ws/README), and the
# echo stand-in its own suite and measurements run against
WS_CLIENT    := objs/cweb-ws
WS_ECHO      := objs/ws-echo
WS_SRCS      := t/ws/cweb-ws.c t/ws/ws_client_conn.c t/ws/ws_client_steps.c \
                t/ws/ws_client_expect.c t/ws/ws_client_util.c \
                t/ws/ws_client_bench.c t/ws/ws_client_frame.c
WS_CFLAGS    := -std=gnu11 -Wall -Wextra -Werror -O2 -g

UNIT_TESTS   := $(patsubst t/unit/%.c,objs/unit/%,$(wildcard t/unit/test_*.c))

# the real Test::Nginx wins when it is installed
PROVE_INC    := $(shell perl -MTest::Nginx::Socket -e1 2>/dev/null \
                  || echo "-I t/lib")

.PHONY: all deps bench-deps bench-ws-deps real-deps valgrind-deps run test unit \
        compat-check prove bench valgrind clean ws-client FORCE

all: $(MODULE)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq $$missing; \
	fi

bench-deps: deps
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(BENCH_PKGS)"

bench-ws-deps: bench-deps
	@dpkg-query -W -f='$${Status}' $(LUA_WS_PKG) 2>/dev/null \
	    | grep -q 'ok installed' \
	|| test -f $(LUA_WS_DIR)/usr/share/lua/5.1/nginx/websocket/server.lua \
	|| { rm -rf $(LUA_WS_DIR).tmp && mkdir -p $(LUA_WS_DIR).tmp \
	     && chmod 755 $(LUA_WS_DIR).tmp \
	     && (cd $(LUA_WS_DIR).tmp && apt-get download -q $(LUA_WS_PKG)) \
	     && dpkg -x $(LUA_WS_DIR).tmp/$(LUA_WS_PKG)_*.deb $(LUA_WS_DIR).tmp \
	     && rm -f $(LUA_WS_DIR).tmp/$(LUA_WS_PKG)_*.deb \
	     && rm -rf $(LUA_WS_DIR) && mv $(LUA_WS_DIR).tmp $(LUA_WS_DIR) \
	     && echo "unpacked $(LUA_WS_PKG) in $(LUA_WS_DIR)"; }

real-deps: deps
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(REAL_PKGS)"

valgrind-deps: deps
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(VALGRIND_PKGS)"

$(NGX_BUILD)/.configured: config
	@test -x $(NGINX_SRC)/configure || { echo "no nginx source tree at" \
	    "$(NGINX_SRC): install nginx-dev (make deps) or set NGINX_SRC"; \
	    exit 1; }
	rm -rf $(NGX_BUILD) && mkdir -p $(BUILD)
	cp -a $(NGINX_SRC) $(NGX_BUILD)
	cd $(NGX_BUILD) && \
	if [ -f conf_flags ]; then . ./conf_flags; \
	else NGX_CONF_FLAGS=(--with-compat --with-threads); fi && \
	./configure "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(CURDIR) \
	    > configure.log 2>&1 || { tail -30 configure.log; exit 1; }
	touch $@

# nginx's own make is incremental; the result replaces objs/ only when it
# differs (another NGINX_SRC), and through a new inode: nginx processes
# that have the old file mapped keep running
$(MODULE): $(NGX_BUILD)/.configured FORCE
	$(MAKE) -C $(NGX_BUILD) -f objs/Makefile modules
	@mkdir -p objs
	@cmp -s $(NGX_BUILD)/objs/ngx_cweb_module.so $@ \
	    || { cp $(NGX_BUILD)/objs/ngx_cweb_module.so $@.tmp \
	         && mv -f $@.tmp $@ && echo "installed $@"; }

FORCE:

ws-client: $(WS_CLIENT) $(WS_ECHO)

$(WS_CLIENT): $(WS_SRCS) t/ws/ws_client.h t/ws/ws_client_frame.h
	@mkdir -p objs
	cc $(WS_CFLAGS) -o $@ $(WS_SRCS) -lcrypto

$(WS_ECHO): t/ws/ws-echo.c
	@mkdir -p objs
	cc $(WS_CFLAGS) -o $@ $< -lcrypto

# the pure parsers run under AddressSanitizer and UBSan
UNIT_CFLAGS  := -std=c11 -Wall -Wextra -Werror -g \
                -fsanitize=address,undefined -fno-sanitize-recover=all

objs/unit/%: t/unit/%.c t/unit/check.h src/ngx_cweb_multipart.c src/ngx_cweb_diag.c \
	    src/ngx_cweb_ere.c src/ngx_cweb_ere_nfa.c src/ngx_cweb_ws_deflate.c \
	    src/ngx_cweb_ws_deflate.h t/ws/ws_client_frame.c \
	    src/ngx_cweb_ws_frame.c src/ngx_cweb_ws_frame.h t/unit/ws_stream.h \
	    src/ngx_cweb_ipc_ring.c src/ngx_cweb_ipc_ring.h \
	    src/ngx_cweb_arg.c src/ngx_cweb_arg.h
	mkdir -p objs/unit
	cc $(UNIT_CFLAGS) -Isrc -It/ws -o $@ $< \
	    $(if $(findstring ws_client,$*),t/ws/ws_client_frame.c) \
	    $(if $(findstring multipart,$*),src/ngx_cweb_multipart.c) \
	    $(if $(findstring diag,$*),src/ngx_cweb_diag.c) \
	    $(if $(findstring _ere,$*),src/ngx_cweb_ere.c src/ngx_cweb_ere_nfa.c) \
	    $(if $(findstring ws_deflate,$*),src/ngx_cweb_ws_deflate.c -lz) \
	    $(if $(filter test_ws_frame test_ws_utf8,$*),src/ngx_cweb_ws_frame.c) \
	    $(if $(findstring ipc_ring,$*),src/ngx_cweb_ipc_ring.c) \
	    $(if $(filter test_arg,$*),src/ngx_cweb_arg.c -lm)

# the router needs nginx's types: the headers of the configured tree, and
# the few nginx functions it calls stubbed in the test itself
NGX_INCS     := $(addprefix -I$(NGX_BUILD)/src/,core event event/modules \
                  os/unix http http/modules http/v2) -I$(NGX_BUILD)/objs \
                -Iinclude

objs/unit/test_router: t/unit/test_router.c t/unit/check.h src/ngx_cweb_router.c \
	    src/ngx_cweb_ere.c src/ngx_cweb_ere_nfa.c $(NGX_BUILD)/.configured
	mkdir -p objs/unit
	cc $(UNIT_CFLAGS:-std=c11=-std=gnu11) -Wno-unused-parameter -Isrc \
	    $(NGX_INCS) -o $@ $< src/ngx_cweb_router.c src/ngx_cweb_ere.c \
	    src/ngx_cweb_ere_nfa.c -lpcre2-8

# the stamp reader reads a plugin object built with the host's flags
objs/unit/test_elf: t/unit/test_elf.c t/unit/check.h src/ngx_cweb_elf.c \
	    include/cweb.h include/cweb_entry.c $(NGX_BUILD)/.configured
	mkdir -p objs/unit
	cc -std=gnu11 -fPIC -shared -Wl,-Bsymbolic -Iinclude \
	    -o objs/unit/stamp.so t/plugins/route_one.c include/cweb_entry.c \
	    -ljansson -lsqlite3 -lssl -lcrypto -lm -lpthread
	cc $(UNIT_CFLAGS:-std=c11=-std=gnu11) -Wno-unused-parameter -Isrc \
	    $(NGX_INCS) -o $@ $< src/ngx_cweb_elf.c -lelf

# a message's head: pure C on jansson
objs/unit/test_jobs_head: t/unit/test_jobs_head.c t/unit/check.h \
	    src/ngx_cweb_jobs_head.c src/ngx_cweb_jobs_head.h
	mkdir -p objs/unit
	cc $(UNIT_CFLAGS) -Isrc -o $@ $< src/ngx_cweb_jobs_head.c -ljansson

# the jobs store is pure C on SQLite and jansson: it links alone
JSTORE_SRCS  := src/ngx_cweb_jobs_store.c src/ngx_cweb_jobs_store_end.c \
                src/ngx_cweb_jobs_store_read.c src/ngx_cweb_jobs_store_wal.c \
                src/ngx_cweb_jobs_store_ev.c

objs/unit/test_jobs_store: t/unit/test_jobs_store.c t/unit/check.h \
	    $(JSTORE_SRCS) src/ngx_cweb_jobs_store.h \
	    src/ngx_cweb_jobs_store_int.h
	mkdir -p objs/unit
	cc $(UNIT_CFLAGS) -Isrc -o $@ $< $(JSTORE_SRCS) -lsqlite3 -ljansson

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "# $$t"; $$t || exit 1; done

prove: $(MODULE) $(WS_CLIENT) $(WS_ECHO)
	TEST_NGINX_BINARY=$(NGINX_BIN) \
	TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(MODULE) \
	TEST_NGINX_CWEB_ROOT=$(CURDIR) \
	prove $(PROVE_INC) -r t/

test: deps
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory compat-check
	$(MAKE) --no-print-directory prove

# the compatibility plugins compile against our headers, no implicit names
compat-check:
	bash t/compat-check

# one suite after the other, each with its own log directory (one log per
# process); a suite fails when a test fails or valgrind reports an error
valgrind: valgrind-deps $(MODULE)
	@failed=""; for t in $(VALGRIND_SUITES); do \
	    logs=$(VALGRIND_LOGS)/$$(basename $$t .t); \
	    rm -rf $$logs && mkdir -p $$logs && chmod 1777 $$logs || exit 1; \
	    echo "# valgrind: $$t (logs: $$logs)"; \
	    TEST_NGINX_BINARY=$(NGINX_BIN) \
	    TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(MODULE) \
	    TEST_NGINX_CWEB_ROOT=$(CURDIR) \
	    TEST_NGINX_TIMEOUT=$${TEST_NGINX_TIMEOUT:-$(VALGRIND_TIMEOUT)} \
	    TEST_NGINX_USE_VALGRIND="$(VALGRIND_OPTS) --log-file=$$logs/%p.log" \
	    prove $(PROVE_INC) $$t || failed="$$failed $$t(tests)"; \
	    perl t/lib/valgrind-report $$logs $$t \
	        || failed="$$failed $$t(valgrind)"; \
	done; \
	if [ -n "$$failed" ]; then echo "valgrind: FAILED:$$failed"; exit 1; fi; \
	echo "valgrind: all suites clean"

run: deps $(MODULE)
	mkdir -p $(RUN_PREFIX)/logs $(RUN_PREFIX)/modules $(RUN_PREFIX)/temp
	cp $(MODULE) $(RUN_PREFIX)/modules/ngx_cweb_module.so.tmp
	mv -f $(RUN_PREFIX)/modules/ngx_cweb_module.so.tmp \
	    $(RUN_PREFIX)/modules/ngx_cweb_module.so
	$(NGINX_BIN) -p $(RUN_PREFIX)/ -c $(CURDIR)/conf/nginx.conf \
	    -g 'daemon off;'

bench: bench-ws-deps $(MODULE) $(WS_CLIENT)
	bench/http
	bench/deploy
	bench/instructions
	bench/faults
	bench/routes
	bench/ws
	bench/ws-instructions
	bench/jobs
	bench/jobs-store
	bench/jobs-instructions
	bench/jobs-fanout

clean:
	rm -rf objs $(BUILD) t/servroot*

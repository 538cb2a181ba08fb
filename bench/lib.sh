# shellcheck shell=bash
#
# bench/lib.sh - helpers shared by bench/http and bench/deploy (sourced).
#
# Provides: settings from the environment (NGINX, MODULE), a private prefix
# under a mktemp dir, one nginx started in the foreground as our child and
# stopped by its PID on exit, worker PIDs and their CPU ticks, wrk output
# parsing and small statistics (median, percentiles, ratios).
#
# Nothing here builds anything or touches files outside the mktemp dir.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

NGINX=${NGINX:-/usr/sbin/nginx}
MODULE=${MODULE:-$REPO_DIR/objs/ngx_cweb_module.so}
KEEP=${KEEP:-0}

BENCH_TMP=""
NGINX_PID=""
BG_PIDS=()
CLK_TCK=$(getconf CLK_TCK)    # used by the scripts
export CLK_TCK


die() {
    echo "bench: error: $*" >&2
    exit 2
}

note() {
    echo "# $*"
}


# "5", "5s" -> 5 (whole seconds)
secs() {
    local v=${1%s}
    [[ $v =~ ^[0-9]+$ && $v -gt 0 ]] || die "bad duration \"$1\" (want N or Ns)"
    echo "$v"
}

posint() {    # posint NAME VALUE
    [[ $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || die "$1 must be a positive integer, not \"$2\""
}


check_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 \
            || die "\"$t\" not found: run \`make bench-deps\` (installs wrk, lua, njs)"
    done
    [ -x "$NGINX" ] || die "nginx binary \"$NGINX\" not found (set NGINX=...)"
}

check_module() {
    [ -f "$MODULE" ] || die "module \"$MODULE\" not found: run \`make\` first (or set MODULE=...)"
    local newer
    newer=$(find "$REPO_DIR/src" "$REPO_DIR/include" "$REPO_DIR/ngx_cweb_module.c" \
                -newer "$MODULE" -type f 2>/dev/null | head -3 || true)
    if [ -n "$newer" ]; then
        echo "bench: warning: sources newer than $MODULE (run \`make\`):" "${newer//$'\n'/ }" >&2
    fi
}

check_port_free() {
    local rc=0
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" || rc=$?
    # 7: could not connect, i.e. nothing listens there
    [ "$rc" -eq 7 ] || die "port 127.0.0.1:$1 is in use (set PORT=...)"
}


# the private prefix: $BENCH_TMP/{logs,temp,cweb,...}
bench_setup() {
    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cweb-bench.XXXXXX")
    # started as root, the workers run as "nobody": they must be able to
    # reach the prefix (mktemp makes it 0700)
    chmod 755 "$BENCH_TMP"
    mkdir -p "$BENCH_TMP/logs" "$BENCH_TMP/temp" "$BENCH_TMP/modules"
    copy_module
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local rc=$? p
    trap - EXIT
    for p in "${BG_PIDS[@]}"; do
        kill -INT "$p" 2>/dev/null || true
    done
    stop_nginx
    for p in "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ]; then
        if [ "$KEEP" = 1 ] || [ "$rc" -eq 2 ]; then
            echo "# prefix kept: $BENCH_TMP (error log: $BENCH_TMP/logs/error.log)" >&2
        else
            rm -rf "$BENCH_TMP"
        fi
    fi
    exit "$rc"
}


# stop_nginx: our nginx (SIGTERM, SIGKILL after 10 s), by its PID
stop_nginx() {
    local i
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -TERM "$NGINX_PID" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    NGINX_PID=""
}

# nginx_test CONF: does this configuration pass `nginx -t`?
nginx_test() {
    "$NGINX" -t -q -p "$BENCH_TMP/" -c "$1" >"$BENCH_TMP/logs/test.out" 2>&1
}

# start_nginx CONF PORT [PATH]: nginx in the foreground (daemon off) as our child,
# so $NGINX_PID is the master for sure; waits until PORT answers
start_nginx() {
    local conf=$1 port=$2 probe=${3:-/} i
    "$NGINX" -p "$BENCH_TMP/" -c "$conf" -g 'daemon off;' \
        >>"$BENCH_TMP/logs/stderr.log" 2>&1 &
    NGINX_PID=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$NGINX_PID" 2>/dev/null; then
            tail -20 "$BENCH_TMP/logs/stderr.log" "$BENCH_TMP/logs/error.log" >&2 2>/dev/null || true
            die "nginx exited at startup"
        fi
        if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port$probe"; then
            [ -n "$(worker_pids)" ] && return 0
        fi
        sleep 0.1
    done
    die "nginx did not answer on 127.0.0.1:$port within 10 s"
}

# worker PIDs of our master, sorted, one line
worker_pids() {
    ps -o pid=,args= --ppid "$NGINX_PID" 2>/dev/null \
        | awk '/worker process/ { print $1 }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# the cweb helper of our master
helper_pid() {
    ps -o pid=,args= --ppid "$NGINX_PID" 2>/dev/null \
        | awk '/cweb helper/ { print $1; exit }'
}

# cpu_ticks PID...: sum of utime+stime (clock ticks) of those processes
cpu_ticks() {
    local p files=()
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] && files+=("/proc/$p/stat")
    done
    [ ${#files[@]} -gt 0 ] || { echo 0; return; }
    # fields after "pid (comm) ": 12 utime, 13 stime
    awk '{ sub(/^.*\) /, ""); s += $12 + $13 } END { print s + 0 }' "${files[@]}" 2>/dev/null
}


# wrk_field FILE requests|rps|non2xx|sockerr|latency
wrk_field() {
    case $2 in
    requests) awk '/ requests in /       { print $1; f = 1 } END { if (!f) print 0 }' "$1" ;;
    rps)      awk '/^Requests\/sec:/     { print $2; f = 1 } END { if (!f) print 0 }' "$1" ;;
    non2xx)   awk '/Non-2xx or 3xx/      { print $NF; f = 1 } END { if (!f) print 0 }' "$1" ;;
    sockerr)  awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10; f = 1 }
                   END { if (!f) print 0 }' "$1" ;;
    latency)  awk '$1 == "Latency" { print $2; f = 1 } END { if (!f) print "-" }' "$1" ;;
    esac
}


# statistics over the arguments (numbers)
median() {
    [ $# -gt 0 ] || { echo nan; return; }
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "nan"; exit }
              if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# pct P N...: nearest-rank percentile
pct() {
    local p=$1
    shift
    [ $# -gt 0 ] || { echo nan; return; }
    printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 }
        END { if (NR == 0) { print "nan"; exit }
              i = int(p / 100 * NR); if (i < p / 100 * NR) i++;
              if (i < 1) i = 1; print v[i] }'
}

minof() { [ $# -gt 0 ] || { echo nan; return; }; printf '%s\n' "$@" | sort -g | head -1; }
maxof() { [ $# -gt 0 ] || { echo nan; return; }; printf '%s\n' "$@" | sort -g | tail -1; }

# calc EXPR: awk arithmetic, e.g. calc "3 / 4" -> 0.75
calc() { awk "BEGIN { printf \"%.6g\n\", $1 }"; }

# fmt FORMAT NUMBER: printf via awk (handles "nan")
fmt() { awk -v f="$1" -v n="$2" 'BEGIN { if (n == "nan" || n == "") print "-"; else printf f "\n", n }'; }

# meets VALUE OP LIMIT -> MET / MISSED
meets() {
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        if (v == "nan" || v == "") { print "n/a"; exit }
        ok = (op == "<=") ? v <= l : (op == ">=") ? v >= l : (op == "==") ? v == l : 0;
        print ok ? "MET" : "MISSED" }'
}

print_versions() {
    local v
    note "nginx:  $("$NGINX" -v 2>&1 | sed 's/^nginx version: //') ($NGINX)"
    v=$(wrk -v 2>&1 | head -1 | awk '{ print $2 }' || true)
    note "wrk:    ${v:-?}"
    note "curl:   $(curl --version | head -1 | awk '{ print $2 }')"
    note "module: $MODULE ($(date -r "$MODULE" "+%F %T"), sha256 $(sha256sum "$MODULE_LOADED" | cut -c1-12)), loaded from a copy in the prefix"
    note "host:   $(uname -sr), $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# rss_kb PID...: resident memory of each process, "kB kB ..."
rss_kb() {
    local p
    for p in "$@"; do
        awk '/^VmRSS:/ { printf "%s ", $2 }' "/proc/$p/status" 2>/dev/null || true
    done | sed 's/ $//'
}

# mapped_files DIR PID...: distinct files under DIR mapped by each process
mapped_files() {
    local dir=$1 p
    shift
    for p in "$@"; do
        awk -v d="$dir" 'index($6, d) == 1 { print $6 }' "/proc/$p/maps" 2>/dev/null \
            | sort -u | wc -l
    done | tr '\n' ' ' | sed 's/ $//'
}

# nginx loads a private copy of the module: `make` rewrites
# objs/ngx_cweb_module.so in place, and a process that has the file mapped
# then dies of SIGBUS/SIGSEGV.  Sets MODULE_LOADED.
copy_module() {
    local i
    MODULE_LOADED=$BENCH_TMP/modules/ngx_cweb_module.so
    for ((i = 0; i < 10; i++)); do
        cp "$MODULE" "$MODULE_LOADED.tmp" 2>/dev/null \
            && sleep 0.2 && cmp -s "$MODULE" "$MODULE_LOADED.tmp" \
            && mv "$MODULE_LOADED.tmp" "$MODULE_LOADED" && return 0
        sleep 1    # being rebuilt right now
    done
    die "could not copy $MODULE (is it being rebuilt?)"
}

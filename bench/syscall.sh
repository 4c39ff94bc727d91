#!/usr/bin/env bash
# make bench-syscall: ns per syscall for no agent, aisec-rt attached with the
# process unwatched (with and without SQL capture), and aisec-rt watching the
# process, measured in one run; printed as a table of ns and ratios to the
# no-agent baseline. BENCH_JSON=file also writes the numbers as JSON.
# Usage: bench/syscall.sh [path/to/aisec-rt] [iterations]
set -euo pipefail
BIN=$(readlink -f "${1:-build/aisec-rt}")
N=${2:-200000}
OUT=${OUTPUT:-build}
WORK=$(mktemp -d /tmp/aisec-bench.XXXXXX)
AGENT=""
cleanup() { [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench: run as root"; exit 1; }
cc -O2 -o "$WORK/syscall" "$(dirname "$0")/syscall.c"

run_plain() { "$WORK/syscall" -n "$N" >"$WORK/$1"; }
# Agent attached, watching an idle process: this one is unwatched.
run_unwatched() {
	sleep 600 & local idle=$!
	"$BIN" watch "$idle" "${@:2}" -o "$WORK/idle-events.txt" 2>"$WORK/agent.log" & AGENT=$!
	for _ in $(seq 100); do grep -q "watching pid" "$WORK/agent.log" && break; sleep 0.1; done
	"$WORK/syscall" -n "$N" >"$WORK/$1"
	kill "$AGENT" "$idle"; wait "$AGENT" 2>/dev/null || true; AGENT=""
}
# Agent watching the benchmark itself: every hooked syscall is recorded.
run_watched() {
	rm -f "$WORK/go"; mkfifo "$WORK/go"
	"$WORK/syscall" -n "$N" -w "$WORK/go" >"$WORK/$1" & local me=$!
	"$BIN" watch "$me" "${@:2}" -o "$WORK/events.txt" 2>"$WORK/agent.log" & AGENT=$!
	for _ in $(seq 100); do grep -q "watching pid" "$WORK/agent.log" && break; sleep 0.1; done
	echo go >"$WORK/go"
	wait "$me"
	wait "$AGENT" 2>/dev/null || true; AGENT=""
	grep "records dropped" "$WORK/agent.log" | sed 's/^aisec-rt: /  watched run: /'
}

run_plain base
run_unwatched unwatched --no-sql
run_unwatched unwatched_sql
run_watched watched --no-sql
run_plain base2

printf '\n%-16s %10s %12s %12s %12s %10s\n' "ns per op" "no agent" "unwatched" "unw.+SQL" "watched" "watched/x"
for op in write openat+close connect+close; do
	b=$(awk -v o="$op" '$1==o{print $2}' "$WORK/base" "$WORK/base2" | sort -n | head -1)
	u=$(awk -v o="$op" '$1==o{print $2}' "$WORK/unwatched")
	s=$(awk -v o="$op" '$1==o{print $2}' "$WORK/unwatched_sql")
	w=$(awk -v o="$op" '$1==o{print $2}' "$WORK/watched")
	printf '%-16s %10s %6s (+%3d) %6s (+%3d) %6s (+%4d) %9.2fx\n' "$op" "$b" "$u" $((u - b)) "$s" $((s - b)) "$w" $((w - b)) \
		"$(awk -v w="$w" -v b="$b" 'BEGIN { print w / b }')"
	[ -n "${BENCH_JSON:-}" ] && printf '{"op":"%s","base_ns":%s,"unwatched_ns":%s,"unwatched_sql_ns":%s,"watched_ns":%s}\n' \
		"$op" "$b" "$u" "$s" "$w" >>"$BENCH_JSON"
done
echo
echo "machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "method: median of 7 rounds, pinned to CPU 1; baseline = best of two no-agent runs (before and after)"

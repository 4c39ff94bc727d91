#!/usr/bin/env bash
# bench/profile-open.sh: what an openat+close costs with aisec-rt attached,
# taken apart. Not part of make bench (needs perf; run it by hand as root).
# bench/evgen makes openat+close in a tight loop on the last CPU for each
# case: no agent, agent attached with the process unwatched (--no-sql),
# agent watching it (--no-sql, events to /dev/null), and the same two for
# libbpf-tools opensnoop -p when installed. Per case it reports ns per
# open+close and, from `perf record -e cpu-clock -g` of that CPU, the ns spent
# (share of samples x ns per op, callees included) in: the syscall slow path
# (syscall_exit_work), the classic syscall tracepoint (perf_syscall_exit /
# perf_syscall_enter), BPF dispatch (trace_call_bpf), each BPF program and the
# helpers it calls; then, with BPF run-time statistics on (BPF_ENABLE_STATS:
# on while this script holds it, it never turns off someone else's), the
# kernel's own ns per run of every BPF program that ran. Programs other than
# the tool's (another tracer on the machine) are listed too: their cost is in
# every case, including "no agent".
# Usage: bench/profile-open.sh [path/to/aisec-rt] [seconds per case]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
BIN=$(readlink -f "${1:-build/aisec-rt}")
SECS=${2:-3}
bench_require_root
bench_have perf || { echo "profile-open: needs perf (Debian package linux-perf)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/aisec-prof.XXXXXX)
cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
cc -O2 -o "$WORK/evgen" "$HERE/evgen.c"
LOAD_CPU=$(bench_cpu_load)
OPENSNOOP=$(bench_libbpf_tool opensnoop)

# One case: sets NS (ns per open+close) and leaves $WORK/$case.perf (perf
# data, when PERF=1) or $WORK/$case.s0/.s1 (program statistics, PERF=0).
run_case() {
	local c=$1 gen tool="" idle="" p=""
	"$WORK/evgen" -r 0 -d "$SECS" -c "$LOAD_CPU" -H >"$WORK/gen.out" &
	gen=$!
	bench_wait_for "$WORK/gen.out" "^evgen: ready" 10 "$gen"
	case $c in
	unwatched | opensnoop-unwatched)
		sleep 600 &
		idle=$!
		;;
	esac
	case $c in
	unwatched) "$BIN" watch "$idle" --no-sql -o /dev/null 2>"$WORK/tool.err" & tool=$! ;;
	watched) "$BIN" watch "$gen" --no-sql -o /dev/null 2>"$WORK/tool.err" & tool=$! ;;
	opensnoop-unwatched) "$OPENSNOOP" -p "$idle" >/dev/null 2>"$WORK/tool.err" & tool=$! ;;
	opensnoop-watched) "$OPENSNOOP" -p "$gen" >/dev/null 2>"$WORK/tool.err" & tool=$! ;;
	esac
	case $c in
	unwatched | watched) bench_wait_for "$WORK/tool.err" "watching pid" 30 "$tool" ;;
	opensnoop-*) bench_wait_epoll "$tool" 60 ;;
	esac
	sleep 0.3
	if [ "$PERF" = 1 ]; then
		perf record -q -o "$WORK/$c.perf" -e cpu-clock -F 4999 -g -C "$LOAD_CPU" -- sleep "$(awk -v s="$SECS" 'BEGIN { print s - 0.5 }')" 2>/dev/null &
		p=$!
	else
		prog_stats >"$WORK/$c.s0"
	fi
	kill -USR1 "$gen"
	bench_wait_for "$WORK/gen.out" "^evgen: done" $((${SECS%.*} + 30)) "$gen"
	if [ "$PERF" = 1 ]; then wait "$p"; else prog_stats >"$WORK/$c.s1"; fi
	NS=$(awk '/^evgen: done/ { printf "%.0f\n", 1e9 / $10 }' "$WORK/gen.out")
	[ -n "$tool" ] && kill -INT "$tool"
	kill "$gen" $idle 2>/dev/null || true
	wait 2>/dev/null || true
}

prog_stats() {
	bpftool prog show --json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    print(p["id"], p.get("name", "-"), p.get("run_cnt", 0), p.get("run_time_ns", 0))'
}

# ns spent under each symbol of interest (callees included) for one case.
breakdown() {
	local c=$1 ns=$2
	perf report -i "$WORK/$c.perf" --children --sort sym --stdio -g none 2>/dev/null |
		awk -v ns="$ns" '
		/^#/ || NF < 4 { next }
		{ sym = $NF; ch = $1; sub(/%/, "", ch) }
		sym ~ /^(syscall_exit_work|syscall_trace_enter|perf_syscall_exit|perf_syscall_enter|trace_call_bpf|bpf_trace_run[0-9]|bpf_probe_read_kernel|bpf_probe_read_user_str|bpf_get_current_comm|bpf_get_current_cgroup_id|bpf_task_pt_regs|bpf_ringbuf_output|bpf_ringbuf_query|bpf_ringbuf_reserve|bpf_ringbuf_submit|bpf_ktime_get_boot_ns|bpf_perf_event_output_tp|irq_work_queue|__bpf_get_stack|__x64_sys_openat|__x64_sys_close)$/ || sym ~ /^bpf_prog_/ {
			printf "    %-58s %6.0f ns  (%5.2f%%)\n", sym, ch * ns / 100, ch
		}'
}

CASES=(none unwatched watched)
[ -n "$OPENSNOOP" ] && CASES+=(opensnoop-unwatched opensnoop-watched)

# Phase 2 (this script run again while holding BPF_ENABLE_STATS): the
# kernel's ns per run of each program, without perf sampling.
if [ "${PROFILE_PHASE:-}" = stats ]; then
	PERF=0
	echo
	echo "  BPF programs, kernel run time per run (BPF_ENABLE_STATS; includes the ~2 clock reads it adds):"
	for c in "${CASES[@]:1}"; do
		run_case "$c"
		join <(sort "$WORK/$c.s0") <(sort "$WORK/$c.s1") |
			awk -v c="$c" '{ n = $6 - $3; t = $7 - $4; if (n > 1000) printf "    %-20s %-40s %9d runs %7.1f ns/run\n", c, $1 " " $2, n, t / n }'
	done
	exit 0
fi

echo "profile-open: openat+close of /etc/hostname in a tight loop on CPU $LOAD_CPU, $SECS s a case"
declare -A NSOF=()
PERF=1
for c in "${CASES[@]}"; do
	run_case "$c"
	NSOF[$c]=$NS
	echo
	echo "  $c: $NS ns per open+close ($(bench_plus "$NS" "${NSOF[none]}" | sed 's/^[0-9]* //') over none); perf, callees included:"
	breakdown "$c" "$NS"
done
PROFILE_PHASE=stats python3 -c '
import ctypes, os, platform, subprocess, sys
nr = {"x86_64": 321, "aarch64": 280}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(16)   # enable_stats.type = BPF_STATS_RUN_TIME
if libc.syscall(nr, 32, attr, 16) < 0:   # BPF_ENABLE_STATS: on while this process lives
    sys.exit("BPF_ENABLE_STATS: " + os.strerror(ctypes.get_errno()))
sys.exit(subprocess.call(sys.argv[1:]))' bash "$0" "$BIN" "$SECS"
echo
bench_machine

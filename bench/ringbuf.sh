#!/usr/bin/env bash
# make bench-ringbuf: how many events a second aisec-rt takes from the ring
# buffer, decodes, enriches, runs its detectors and correlation on and
# formats as JSON, with no record dropped; and what that costs the agent in
# CPU time and memory at 1k, 10k and 100k events a second.
# The load is bench/evgen: a watched process making openat+close of an
# existing file at a set rate; it counts its opens so the agent's count is
# checked against them. The rate is raised step by step until the agent
# drops records (its summary: "records dropped: N (ring buffer full ...)") or
# the generator cannot go faster; the last step is a tight loop across one
# process per CPU left to the load. The peers (libbpf-tools opensnoop -p and
# a bpftrace one-liner printing each open) get the same steps.
# The agent or peer is pinned to CPU 0, the load to the last CPU.
# Table: what / baseline / aisec-rt / peer / ratio; BENCH_JSON=file appends
# the numbers as JSON lines.
# Usage: bench/ringbuf.sh [path/to/aisec-rt] [seconds per step]
#        BENCH_SMOKE=1: 1 s steps, two rates (the test suite's smoke run)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
BIN=$(readlink -f "${1:-build/aisec-rt}")
STEP_S=${2:-5}        # one step of the rate search
COST_S=$((STEP_S * 2)) # one CPU/RSS measurement
START_RATE=10000
MAX_STEPS=8
COST_RATES=(1000 10000 100000)
if bench_smoke; then
	STEP_S=${2:-0.5}
	COST_S=0.5
	MAX_STEPS=1
	COST_RATES=(1000)
fi
WORK=$(mktemp -d /tmp/aisec-bench-rb.XXXXXX)
# On exit: kill what this script started and has not reaped yet.
cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
bench_require_root
[ -x "$BIN" ] || { echo "bench: no agent binary at $BIN (make build/aisec-rt)" >&2; exit 1; }
cc -O2 -o "$WORK/evgen" "$HERE/evgen.c"
TOOL_CPU=$(bench_cpu_agent)
LOAD_PROCS=$(($(nproc) > 1 ? $(nproc) - 1 : 1))
LOAD_CPUS=$(seq -s, $(($(nproc) > 1 ? 1 : 0)) $(($(nproc) - 1)))
HZ=$(getconf CLK_TCK)
# The agent as a user runs it with findings: every open is decoded, its
# process enriched, matched against the findings' files, given to the
# path-traversal detector and written as aisec.event.v1 JSON.
AGENT_ARGS=(-f json -o /dev/null --rules "$ROOT/rules" --findings "$ROOT/examples/vulnerable-app/findings.sarif"
	--source-root "$ROOT/examples/vulnerable-app")
cat >"$WORK/peer.bt" <<'EOF'
tracepoint:syscalls:sys_enter_openat /pid == $1/ { @path[tid] = args->filename; }
tracepoint:syscalls:sys_exit_openat /pid == $1/ {
	printf("open %d %s %d %s\n", pid, comm, args->ret, str(@path[tid])); delete(@path[tid]);
}
EOF

# Stop and reap the processes given (a tool first: SIGINT lets it detach).
stop() {
	kill -INT "$1" 2>/dev/null || true
	[ $# -gt 1 ] && { kill "${@:2}" 2>/dev/null || true; }
	wait "$@" 2>/dev/null || true
}

# One run: TOOL (aisec-rt, opensnoop or bpftrace) watching evgen with RATE
# (0 = tight loop) for SECS over PROCS processes. Sets R_MADE (opens made),
# R_RATE (opens a second made), R_SEEN (events the tool reported), R_DROP
# (records it lost: the agent's ring-buffer drops; for a peer, made - seen),
# R_CPU (tool CPU seconds during the load), R_HWM (tool peak RSS, kB).
# Returns 1 when the tool cannot run.
load() {
	local tool=$1 rate=$2 secs=$3 procs=$4 gen tpid t0 t1 line
	R_MADE=0 R_RATE=0 R_SEEN=0 R_DROP=0 R_CPU=0 R_HWM=0
	"$WORK/evgen" -r "$rate" -d "$secs" -p "$procs" -c "$LOAD_CPUS" -H >"$WORK/gen.out" 2>&1 &
	gen=$!
	bench_wait_for "$WORK/gen.out" "^evgen: ready" 10 "$gen" || { cat "$WORK/gen.out" >&2; stop "$gen"; return 1; }
	case $tool in
	aisec-rt)
		bench_pin "$TOOL_CPU" "$BIN" watch "$gen" "${AGENT_ARGS[@]}" >"$WORK/tool.out" 2>"$WORK/tool.err" &
		tpid=$!
		if ! bench_wait_for "$WORK/tool.err" "watching pid" 30 "$tpid"; then
			echo "  aisec-rt did not start: $(tail -1 "$WORK/tool.err")" >&2
			stop "$tpid" "$gen"
			return 1
		fi
		;;
	opensnoop)
		bench_pin "$TOOL_CPU" "$OPENSNOOP" -p "$gen" >"$WORK/tool.out" 2>"$WORK/tool.err" &
		tpid=$!
		;;
	bpftrace)
		bench_pin "$TOOL_CPU" bpftrace "$WORK/peer.bt" "$gen" >"$WORK/tool.out" 2>"$WORK/tool.err" &
		tpid=$!
		;;
	esac
	if [ "$tool" != aisec-rt ] && ! bench_wait_epoll "$tpid" 60; then
		echo "  $tool: cannot run here: $(grep -v RLIMIT_MEMLOCK "$WORK/tool.err" | tail -1)"
		stop "$tpid" "$gen"
		return 1
	fi
	sleep 0.2
	t0=$(bench_cpu_ticks "$tpid")
	kill -USR1 "$gen"
	if ! bench_wait_for "$WORK/gen.out" "^evgen: done" $((${secs%.*} + 30)) "$gen"; then
		cat "$WORK/gen.out" >&2
		stop "$tpid" "$gen"
		return 1
	fi
	# Let the tool read what is still buffered (the agent polls every 100 ms).
	sleep 0.5
	kill -0 "$tpid" 2>/dev/null ||
		echo "  note: $tool exited before the load ended: $(grep -v '^ *$' "$WORK/tool.err" | tail -3 | tr '\n' ' ')"
	t1=$(bench_cpu_ticks "$tpid")
	R_HWM=$(bench_hwm_kb "$tpid")
	R_CPU=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN { printf "%.2f\n", (b - a) / hz }')
	line=$(grep "^evgen: done" "$WORK/gen.out")
	R_MADE=$(awk '{ print $4 }' <<<"$line")
	R_RATE=$(awk '{ print $10 }' <<<"$line")
	if [ "$tool" = aisec-rt ]; then
		kill -TERM "$gen" # the tree exits: the agent drains, prints its summary and exits
		wait "$gen" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
		R_SEEN=$(sed -n 's/.*summary: .* open \([0-9]*\),.*/\1/p' "$WORK/tool.err")
		R_DROP=$(sed -n 's/.*records dropped: [0-9]* (ring buffer full \([0-9]*\),.*/\1/p' "$WORK/tool.err")
		R_SEEN=${R_SEEN:-0} R_DROP=${R_DROP:-0}
		if [ $((R_SEEN + R_DROP)) -ne "$R_MADE" ]; then
			echo "  note: aisec-rt counted $R_SEEN opens + $R_DROP dropped records, evgen made $R_MADE; the agent said:"
			grep -E 'summary|dropped|exited|stopping|error' "$WORK/tool.err" | sed 's/^/    /'
		fi
	else
		kill -INT "$tpid"
		# bpftrace has been seen to hang on exit here: SIGKILL after 10 s.
		for _ in $(seq 100); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
		kill -TERM "$gen"
		wait "$gen" 2>/dev/null || true
		R_SEEN=$(grep -c "/etc/hostname" "$WORK/tool.out" || true)
		R_DROP=$((R_MADE - R_SEEN))
	fi
	return 0
}

step_line() {
	printf '  %-9s %-18s made %8d (%d/s), reported %8d, dropped %d\n' "$tool" "$1:" "$R_MADE" "$R_RATE" "$R_SEEN" "$R_DROP"
}

# The rate search for TOOL: sets BEST (highest rate in opens/s with no drop),
# BEST_LIMITED (1 when the generator, not the tool, set the limit) and
# prints one line per step.
search() {
	local tool=$1 rate=$START_RATE good=0 bad=0 step mid procs
	BEST=0 BEST_LIMITED=0
	for ((step = 0; step < MAX_STEPS; step++)); do
		load "$tool" "$rate" "$STEP_S" 1 || return 1
		step_line "target $rate/s"
		if [ "$R_DROP" -gt 0 ]; then
			bad=$rate
			break
		fi
		[ "$R_RATE" -gt "$good" ] && good=$R_RATE
		if [ "$R_RATE" -lt $((rate * 9 / 10)) ]; then
			BEST_LIMITED=1 # the generator cannot go faster under this tool
			break
		fi
		rate=$((rate * 2))
	done
	# Between the last good and the first bad rate: two bisection steps.
	for ((step = 0; bad > 0 && step < (MAX_STEPS > 2 ? 2 : 0); step++)); do
		mid=$(((good + bad) / 2))
		load "$tool" "$mid" "$STEP_S" 1 || return 1
		step_line "target $mid/s"
		if [ "$R_DROP" -gt 0 ]; then
			bad=$mid
		elif [ "$R_RATE" -gt "$good" ]; then
			good=$R_RATE
		fi
	done
	BEST=$good
	# Last step: a tight loop on every CPU left to the load (one process for
	# a peer: it filters on one pid and cannot follow forks).
	if [ "$bad" -eq 0 ]; then
		procs=$LOAD_PROCS
		[ "$tool" = aisec-rt ] || procs=1
		load "$tool" 0 "$STEP_S" "$procs" || return 1
		step_line "tight loop x$procs"
		if [ "$R_DROP" -eq 0 ] && [ "$R_RATE" -gt "$BEST" ]; then
			BEST=$R_RATE
			BEST_LIMITED=1
		fi
	fi
	return 0
}

OPENSNOOP=$(bench_libbpf_tool opensnoop)
PEERS=()
if [ -n "$OPENSNOOP" ]; then PEERS+=(opensnoop); else echo "  opensnoop: not installed (Debian package libbpf-tools; make bench-deps): skipped"; fi
if bench_have bpftrace; then PEERS+=(bpftrace); else echo "  bpftrace: not installed (Debian package bpftrace; make bench-deps): skipped"; fi
echo "bench-ringbuf: $STEP_S s a step, $COST_S s a cost measurement${BENCH_SMOKE:+ (smoke run)}; tool on CPU $TOOL_CPU, load on CPU(s) $LOAD_CPUS"
bench_check_quiet

# Baseline: what the generator makes with nothing watching it.
"$WORK/evgen" -r 0 -d "$STEP_S" -p "$LOAD_PROCS" -c "$LOAD_CPUS" >"$WORK/gen.out" &
gen=$!
bench_wait_for "$WORK/gen.out" "^evgen: ready" 10 "$gen"
kill -USR1 "$gen"
wait "$gen"
BASE_RATE=$(awk '/^evgen: done/ { print $10 }' "$WORK/gen.out")
echo "  no tool   tight loop x$LOAD_PROCS: made $BASE_RATE/s"

declare -A MAXR=() LIMITED=() CPU=() HWM=() DROPS=() NSPE=() MADE=()
for tool in aisec-rt "${PEERS[@]}"; do
	if search "$tool"; then
		MAXR[$tool]=$BEST LIMITED[$tool]=$BEST_LIMITED
	else
		MAXR[$tool]=n/a LIMITED[$tool]=0
	fi
	for rate in "${COST_RATES[@]}"; do
		[ "${MAXR[$tool]}" = n/a ] && break
		load "$tool" "$rate" "$COST_S" 1 || break
		CPU[$tool,$rate]=$(awk -v c="$R_CPU" -v s="$COST_S" 'BEGIN { printf "%.1f\n", 100 * c / s }')
		HWM[$tool,$rate]=$(awk -v k="$R_HWM" 'BEGIN { printf "%.1f\n", k / 1024 }')
		DROPS[$tool,$rate]=$R_DROP
		MADE[$tool,$rate]=$R_RATE
		NSPE[$tool,$rate]=$(awk -v c="$R_CPU" -v n="$R_SEEN" 'BEGIN { if (n > 0) printf "%.0f\n", c * 1e9 / n; else print "n/a" }')
		printf '  %-9s %6d/s for %s s: CPU %5.2f s (%s%%), peak RSS %s MB, reported %d of %d, dropped %d\n' "$tool" \
			"$rate" "$COST_S" "$R_CPU" "${CPU[$tool,$rate]}" "${HWM[$tool,$rate]}" "$R_SEEN" "$R_MADE" "$R_DROP"
	done
done

# A cell: the value, marked when the tool dropped events there or when the
# generator could not make the rate under it (then the rate it made).
cell() {
	local v=${1:-n/a} d=${2:-0} made=${3:-0} rate=${4:-0}
	[ "$v" = n/a ] && { echo n/a; return; }
	[ "$d" != 0 ] && v="$v ($d lost)"
	[ "$made" -lt $((rate * 9 / 10)) ] && v="$v (at $made/s)"
	echo "$v"
}
max_cell() { local v=${MAXR[$1]:-n/a}; [ "$v" != n/a ] && [ "${LIMITED[$1]}" = 1 ] && v=">=$v"; echo "$v"; }

bench_table_head "events a second with no drop; tool CPU and peak RSS at fixed rates (ratio = aisec-rt / peer)"
for p in "${PEERS[@]:-}"; do
	[ -z "$p" ] && continue
	bench_row "open events/s, 0 dropped / $p" "$BASE_RATE" "$(max_cell aisec-rt)" "$(max_cell "$p")" \
		"$(bench_ratio "${MAXR[aisec-rt]}" "${MAXR[$p]}")"
done
[ ${#PEERS[@]} -eq 0 ] && bench_row "open events/s, 0 dropped" "$BASE_RATE" "$(max_cell aisec-rt)" - -
bench_json ringbuf what=max_events_per_s tool=aisec-rt baseline="$BASE_RATE" value="${MAXR[aisec-rt]}" \
	generator_limited="${LIMITED[aisec-rt]}" step_s="$STEP_S"
for p in "${PEERS[@]:-}"; do
	[ -z "$p" ] && continue
	bench_json ringbuf what=max_events_per_s tool="$p" baseline="$BASE_RATE" value="${MAXR[$p]}" \
		generator_limited="${LIMITED[$p]}" step_s="$STEP_S"
done
for rate in "${COST_RATES[@]}"; do
	for what in cpu nspe rss; do
		for p in "${PEERS[@]:-}"; do
			if [ $what = cpu ]; then
				a=${CPU[aisec-rt,$rate]:-n/a} b=${CPU[$p,$rate]:-n/a} label="CPU % at $rate/s"
			elif [ $what = nspe ]; then
				a=${NSPE[aisec-rt,$rate]:-n/a} b=${NSPE[$p,$rate]:-n/a} label="CPU ns per event at $rate/s"
			else
				a=${HWM[aisec-rt,$rate]:-n/a} b=${HWM[$p,$rate]:-n/a} label="peak RSS MB at $rate/s"
			fi
			[ -n "$p" ] && label="$label / $p"
			bench_row "$label" - "$(cell "$a" "${DROPS[aisec-rt,$rate]:-0}" "${MADE[aisec-rt,$rate]:-0}" "$rate")" \
				"$([ -n "$p" ] && cell "$b" "${DROPS[$p,$rate]:-0}" "${MADE[$p,$rate]:-0}" "$rate" || echo -)" \
				"$(bench_ratio "$a" "$b")"
		done
	done
done
for tool in aisec-rt "${PEERS[@]}"; do
	for rate in "${COST_RATES[@]}"; do
		[ -n "${CPU[$tool,$rate]:-}" ] || continue
		bench_json ringbuf what=cost tool="$tool" rate="$rate" secs="$COST_S" cpu_pct="${CPU[$tool,$rate]}" \
			cpu_ns_per_event="${NSPE[$tool,$rate]}" peak_rss_mb="${HWM[$tool,$rate]}" dropped="${DROPS[$tool,$rate]}" \
			made_per_s="${MADE[$tool,$rate]}"
	done
done
echo
# The budget (../shared/DESIGN.md, issue P6), as measured here.
m=${MAXR[aisec-rt]:-n/a}
if [ "$m" = n/a ]; then
	echo "budget: >= 1.5 M events/s with 0 drops: not measured (the agent did not run)"
elif [ "$m" -ge 1500000 ]; then
	echo "budget: >= 1.5 M events/s with 0 drops: met ($m/s)"
elif [ "${LIMITED[aisec-rt]}" = 1 ]; then
	n=${NSPE[aisec-rt,100000]:-n/a}
	echo -n "budget: >= 1.5 M events/s with 0 drops: not measurable here (the generator made $m/s, all taken)"
	if [ "$n" = n/a ]; then echo; else
		awk -v n="$n" 'BEGIN { printf "; at %d ns of agent CPU an event (100k/s) one core would take %.2f M/s\n", n, 1e3 / n }'
	fi
else
	echo "budget: >= 1.5 M events/s with 0 drops: MISSED ($m/s, then drops)"
fi
c=${CPU[aisec-rt,10000]:-n/a} r=${HWM[aisec-rt,10000]:-n/a}
if [ "$c" = n/a ] || [ "$r" = n/a ]; then
	echo "budget: <= 5% of a core and <= 48 MiB RSS at 10k events/s: not measured"
elif awk -v c="$c" -v r="$r" 'BEGIN { exit !(c <= 5 && r <= 48 * 1.048576) }'; then
	echo "budget: <= 5% of a core and <= 48 MiB RSS at 10k events/s: met ($c%, $r MB)"
else
	echo "budget: <= 5% of a core and <= 48 MiB RSS at 10k events/s: MISSED ($c%, $r MB)"
fi
echo "method: evgen makes openat+close of /etc/hostname; rate search from $START_RATE/s doubling, $STEP_S s a step,"
echo "  until drops (then 2 bisection steps) or the generator falls short (>=: generator-limited, the tool kept up);"
echo "  baseline = opens/s the generator makes alone; CPU = utime+stime of the tool over the $COST_S s load"
echo "  (/proc/PID/stat), ns per event = that CPU time / events reported (1e9 / it = what one core of the tool"
echo "  could take if the load could go faster than the generator here), RSS = VmHWM; aisec-rt runs: watch PID ${AGENT_ARGS[*]//$ROOT\//}"
bench_machine

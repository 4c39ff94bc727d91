#!/usr/bin/env bash
# make bench-syscall: ns per syscall for no agent, aisec-rt attached with the
# process unwatched (with and without SQL capture), aisec-rt watching the
# process (with and without SQL capture), and the peers doing the same job in the same run: bpftrace
# recording every open and connect of the process to userspace, libbpf-tools
# opensnoop -p and tcpconnect -p. Each peer is measured twice like aisec-rt:
# filtering on another process (unwatched) and recording this one (watched).
# A peer that is missing or cannot attach is reported and skipped.
# Table: what / baseline / aisec-rt / peer / ratio (aisec-rt's added ns over
# the peer's); BENCH_JSON=file appends the numbers as JSON lines.
# Usage: bench/syscall.sh [path/to/aisec-rt] [iterations]
#        BENCH_SMOKE=1: 2000 iterations, 1 round (the test suite's smoke run)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
BIN=$(readlink -f "${1:-build/aisec-rt}")
N=${2:-200000}
ROUNDS=7
if bench_smoke; then
	N=${2:-2000}
	ROUNDS=1
fi
WORK=$(mktemp -d /tmp/aisec-bench.XXXXXX)
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
cc -O2 -o "$WORK/syscall" "$HERE/syscall.c"
# The driver on the last CPU, the agent or peer on CPU 0 (the same for all).
TOOL_CPU=$(bench_cpu_agent)
DRIVER=("$WORK/syscall" -n "$N" -r "$ROUNDS" -c "$(bench_cpu_load)")
OPENS=$((ROUNDS * (N / 4)))
CONNECTS=$((ROUNDS * (N / 40)))
QUERIES=$((ROUNDS * (N / 10)))

# The bpftrace peer: what aisec-rt records for an open (pid, comm, return,
# path) and a connect (pid, comm, return, IPv4 address and port), one line to
# userspace per event, filtered in the kernel on the process ($1). bpftrace
# needs enter+exit pairs for that (arguments are gone at exit).
cat >"$WORK/peer.bt" <<'EOF'
tracepoint:syscalls:sys_enter_openat /pid == $1/ { @path[tid] = args->filename; }
tracepoint:syscalls:sys_exit_openat /pid == $1/ {
	printf("open %d %s %d %s\n", pid, comm, args->ret, str(@path[tid])); delete(@path[tid]);
}
tracepoint:syscalls:sys_enter_connect /pid == $1/ { @sa[tid] = args->uservaddr; }
tracepoint:syscalls:sys_exit_connect /pid == $1/ {
	$s = (struct sockaddr_in *)@sa[tid];
	printf("connect %d %s %d %s %d\n", pid, comm, args->ret, ntop(2, $s->sin_addr.s_addr), $s->sin_port);
	delete(@sa[tid]);
}
EOF

run_plain() { "${DRIVER[@]}" >"$WORK/$1"; }

# A no-agent run after every case: each case is compared with the no-agent
# runs just before and after it (the lower), so drift of a busy machine
# shifts a case and its baseline together.
NBASE=0
declare -A BASE_OF=()
baseline_after() {
	[ -f "$WORK/$1" ] || return 0
	NBASE=$((NBASE + 1))
	run_plain "base$NBASE"
	BASE_OF[$1]="base$((NBASE - 1)) base$NBASE"
}

# Agent attached, watching an idle process: the driver is unwatched.
run_unwatched() {
	local agent
	sleep 600 &
	local idle=$!
	bench_pin "$TOOL_CPU" "$BIN" watch "$idle" "${@:2}" -o "$WORK/idle-events.txt" 2>"$WORK/agent.log" &
	agent=$!
	bench_wait_for "$WORK/agent.log" "watching pid" 30 "$agent" || { cat "$WORK/agent.log" >&2; exit 1; }
	"${DRIVER[@]}" >"$WORK/$1"
	kill "$agent" "$idle"
	wait "$agent" 2>/dev/null || true
}

# Agent watching the driver itself: every hooked syscall is recorded.
run_watched() {
	local me agent
	rm -f "$WORK/go"
	mkfifo "$WORK/go"
	"${DRIVER[@]}" -w "$WORK/go" >"$WORK/$1" &
	me=$!
	bench_pin "$TOOL_CPU" "$BIN" watch "$me" "${@:2}" -o "$WORK/events.txt" 2>"$WORK/agent.log" &
	agent=$!
	bench_wait_for "$WORK/agent.log" "watching pid" 30 "$agent" || { cat "$WORK/agent.log" >&2; exit 1; }
	echo go >"$WORK/go"
	wait "$me"
	wait "$agent" 2>/dev/null || true
	AISEC_SEEN="$(grep -c '/etc/hostname' "$WORK/events.txt" || true) of $OPENS opens"
	AISEC_SEEN+=", $(grep -c '^[0-9:.]* *connect .* connect inet 127\.0\.0\.1:' "$WORK/events.txt" || true) of $CONNECTS connects"
	AISEC_SEEN+=", $(grep -c ' sql .*SELECT 1;' "$WORK/events.txt" || true) of $QUERIES queries"
	AISEC_SEEN+=", $(sed -n 's/^aisec-rt: records dropped: \([0-9]*\).*/\1/p' "$WORK/agent.log") dropped"
}

# A peer tool: $1 = result name, $2 = "watched" (the peer filters on the
# driver) or "unwatched" (on an idle process), then its command line with
# {PID} for the process to filter on. Returns 1 (and says why) when the peer
# cannot run; its result file is then absent.
run_peer() {
	local name=$1 mode=$2 me="" target peer
	shift 2
	rm -f "$WORK/go" "$WORK/$name"
	if [ "$mode" = watched ]; then
		mkfifo "$WORK/go"
		"${DRIVER[@]}" -w "$WORK/go" >"$WORK/$name.tmp" &
		me=$!
		target=$me
	else
		sleep 600 &
		target=$!
	fi
	bench_pin "$TOOL_CPU" "${@//\{PID\}/$target}" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	peer=$!
	if ! bench_wait_epoll "$peer" 60; then
		echo "  $name: cannot run here: $(grep -v -e RLIMIT_MEMLOCK -e '^libbpf: prog' "$WORK/$name.err" | tail -1)"
		kill "$peer" "$target" 2>/dev/null || true
		wait "$peer" "$target" 2>/dev/null || true
		return 1
	fi
	sleep 0.2 # event loop reached; let the first poll settle
	if [ "$mode" = watched ]; then
		echo go >"$WORK/go"
		wait "$me"
		mv "$WORK/$name.tmp" "$WORK/$name"
	else
		"${DRIVER[@]}" >"$WORK/$name"
		kill "$target"
	fi
	kill -INT "$peer"
	# bpftrace has been seen to hang on exit here: SIGKILL after 10 s.
	for _ in $(seq 100); do kill -0 "$peer" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$peer" 2>/dev/null || true
	wait "$peer" 2>/dev/null || true
	if [ "$mode" = watched ]; then
		PEER_SEEN[$name]="$(grep -c -e '/etc/hostname' -e '^connect ' -e ' 127\.0\.0\.1 ' "$WORK/$name.out" || true) events recorded"
		PEER_SEEN[$name]+=" ($OPENS opens, $CONNECTS connects made)"
		grep -qi lost "$WORK/$name.out" "$WORK/$name.err" &&
			PEER_SEEN[$name]+=", lost: $(grep -hi lost "$WORK/$name.out" "$WORK/$name.err" | head -3 | tr '\n' ' ')"
	fi
	return 0
}

declare -A PEER_SEEN=()
AISEC_SEEN=""
OPENSNOOP=$(bench_libbpf_tool opensnoop)
TCPCONNECT=$(bench_libbpf_tool tcpconnect)
echo "bench-syscall: $N iterations, $ROUNDS rounds${BENCH_SMOKE:+ (smoke run)}"
bench_check_quiet

run_plain base0
run_unwatched unwatched --no-sql
baseline_after unwatched
run_unwatched unwatched_sql
baseline_after unwatched_sql
run_watched watched --no-sql
baseline_after watched
echo "  aisec-rt watched: $AISEC_SEEN"
run_watched watched_sql
baseline_after watched_sql
echo "  aisec-rt watched, SQL capture: $AISEC_SEEN"
PEERS=()
if [ -n "$OPENSNOOP" ]; then
	# Its output is fully buffered in a file, like the agent's.
	run_peer opensnoop_unw unwatched "$OPENSNOOP" -p "{PID}" || true
	baseline_after opensnoop_unw
	run_peer opensnoop_w watched "$OPENSNOOP" -p "{PID}" || true
	baseline_after opensnoop_w
	PEERS+=(opensnoop)
else
	echo "  opensnoop: not installed (Debian package libbpf-tools; make bench-deps): skipped"
fi
if [ -n "$TCPCONNECT" ]; then
	run_peer tcpconnect_unw unwatched "$TCPCONNECT" -p "{PID}" || true
	baseline_after tcpconnect_unw
	run_peer tcpconnect_w watched "$TCPCONNECT" -p "{PID}" || true
	baseline_after tcpconnect_w
	PEERS+=(tcpconnect)
else
	echo "  tcpconnect: not installed (Debian package libbpf-tools; make bench-deps): skipped"
fi
if bench_have bpftrace; then
	run_peer bpftrace_unw unwatched bpftrace "$WORK/peer.bt" "{PID}" || true
	baseline_after bpftrace_unw
	run_peer bpftrace_w watched bpftrace "$WORK/peer.bt" "{PID}" || true
	baseline_after bpftrace_w
	PEERS+=(bpftrace)
else
	echo "  bpftrace: not installed (Debian package bpftrace; make bench-deps): skipped"
fi
for k in "${!PEER_SEEN[@]}"; do echo "  $k: ${PEER_SEEN[$k]}"; done

# The baseline of a case: the lower of the no-agent runs around it.
base() {
	local f out=""
	for f in ${BASE_OF[$2]:-}; do out+=" $WORK/$f"; done
	[ -n "$out" ] || { echo n/a; return; }
	# shellcheck disable=SC2086
	awk -v o="$1" '$1==o{print $2}' $out | sort -n | head -1
}
val() { [ -f "$WORK/$2" ] && awk -v o="$1" '$1==o{print $2}' "$WORK/$2" || echo n/a; }
# One row: op, case label, aisec-rt result file, peer name, peer result file.
row() {
	local op=$1 label=$2 a b p pb=0 pcell="-" ratio="-" peer=$4
	b=$(base "$op" "$3")
	a=$(val "$op" "$3")
	if [ "$peer" != - ]; then
		p=$(val "$op" "$5")
		pb=$(base "$op" "$5")
		pcell=$(bench_plus "$p" "$pb")
		[ "$p" != n/a ] && ratio=$(bench_ratio $((a - b)) $((p - pb)))
		label="$label / $peer"
	else
		p=-
	fi
	bench_row "$op, $label" "$b" "$(bench_plus "$a" "$b")" "$pcell" "$ratio"
	bench_json syscall op="$op" case="${label%% /*}" peer="$peer" baseline_ns="$b" aisec_ns="$a" \
		aisec_added_ns=$((a - b)) peer_ns="$p" peer_baseline_ns="$([ "$p" = - ] || [ "$p" = n/a ] && echo - || echo "$pb")" \
		peer_added_ns="$([ "$p" = - ] || [ "$p" = n/a ] && echo - || echo $((p - pb)))" \
		ratio="$ratio"
}

bench_table_head "ns per operation (median of $ROUNDS rounds; ratio = aisec-rt's added ns / the peer's)"
row write unwatched unwatched -
row write "unwatched, SQL capture" unwatched_sql -
row write watched watched -
row write "watched, SQL capture" watched_sql -
row openat+close unwatched unwatched -
row openat+close "unwatched, SQL capture" unwatched_sql -
for p in "${PEERS[@]}"; do
	case $p in opensnoop | bpftrace) row openat+close unwatched unwatched "$p" "${p}_unw" ;; esac
done
row openat+close watched watched -
for p in "${PEERS[@]}"; do
	case $p in opensnoop | bpftrace) row openat+close watched watched "$p" "${p}_w" ;; esac
done
row openat+close "watched, SQL capture" watched_sql -
for p in "${PEERS[@]}"; do
	case $p in opensnoop | bpftrace) row openat+close "watched, SQL capture" watched_sql "$p" "${p}_w" ;; esac
done
row connect+close unwatched unwatched -
row connect+close "unwatched, SQL capture" unwatched_sql -
for p in "${PEERS[@]}"; do
	case $p in tcpconnect | bpftrace) row connect+close unwatched unwatched "$p" "${p}_unw" ;; esac
done
row connect+close watched watched -
for p in "${PEERS[@]}"; do
	case $p in tcpconnect | bpftrace) row connect+close watched watched "$p" "${p}_w" ;; esac
done
row connect+close "watched, SQL capture" watched_sql -
# A database round trip over a unix socket (the driver's own "server" end):
# not hooked without SQL capture; with it, the two calls on the client's
# socket are recorded and the server end's two take the non-database path.
row query+reply "unwatched, SQL capture" unwatched_sql -
row query+reply "watched (--no-sql: not captured)" watched -
row query+reply "watched, SQL capture (2 records)" watched_sql -
echo
# The budget (../shared/DESIGN.md, issue P6), as measured here. An openat+close
# row is two syscalls: close is not hooked, so it costs what an unhooked
# write does (the write rows of the same mode).
added() { local a b; a=$(val "$1" "$2"); b=$(base "$1" "$2"); { [ "$a" = n/a ] || [ "$b" = n/a ]; } && echo n/a || echo $((a - b)); }
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v == "n/a") print "not measured"; else if (v <= lim) print "met"; else print "MISSED" }'; }
w_sql=$(added write unwatched_sql) w_tp=$(added write unwatched)
o_tp=$(added openat+close unwatched)
[ "$o_tp" != n/a ] && [ "$w_tp" != n/a ] && o_tp=$((o_tp - w_tp))
echo "budget: hooked syscall, unwatched process, <= +140 ns: with SQL capture (write) +$w_sql: $(verdict "$w_sql" 140);" \
	"--no-sql (openat: openat+close less an unhooked close) +$o_tp: $(verdict "$o_tp" 140)"
echo "budget: syscall not hooked, 0 ns: --no-sql (write) +$w_tp; with SQL capture every syscall runs the dispatcher (+$w_sql):" \
	"$(verdict "$w_tp" 0)"
wo_sql=$(added openat+close watched_sql) wo_tp=$(added openat+close watched)
echo "budget: recorded open, watched, <= +700 ns (openat+close): with SQL capture +$wo_sql: $(verdict "$wo_sql" 700);" \
	"--no-sql +$wo_tp: $(verdict "$wo_tp" 700)"
if [[ " ${PEERS[*]:-} " == *" opensnoop "* ]]; then
	os=$(added openat+close opensnoop_w)
	for c in "SQL capture:$wo_sql" "--no-sql:$wo_tp"; do
		a=${c#*:}
		x=$(awk -v p="$os" -v a="$a" 'BEGIN { if (p == "n/a" || a == "n/a" || a <= 0) print "n/a"; else printf "%.1f", p / a }')
		echo "budget: >= 12x cheaper than opensnoop per recorded open, ${c%%:*}: ${x}x:" \
			"$(awk -v x="$x" 'BEGIN { if (x == "n/a") print "not measured"; else if (x >= 12) print "met"; else print "MISSED" }')"
	done
else
	echo "budget: >= 12x cheaper than opensnoop per recorded open: not measured (opensnoop missing)"
fi
echo "method: $N writes, $((N / 4)) opens, $((N / 40)) connects, $((N / 10)) query+reply a round, $ROUNDS rounds, median;"
echo "  driver pinned to CPU $(bench_cpu_load),"
echo "  aisec-rt and the peers to CPU $TOOL_CPU;"
echo "  baseline = the lower of the no-agent runs just before and after the case (a peer's added ns is taken"
echo "  against its own); aisec-rt watched and the peers' watched rows"
echo "  record every open/connect of the driver; unwatched rows filter on another (idle) process; n/a = peer could not run"
bench_machine

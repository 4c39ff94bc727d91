#!/usr/bin/env bash
# make bench-sql: what capturing every SQL statement costs a database client.
# pgbench (PostgreSQL 15, one client) against a throwaway cluster on a unix
# socket, a fixed number of transactions per run, without the agent and with
# `aisec-rt watch` on pgbench from its first instruction (JSON events to a
# file). Runs alternate (baseline, agent, baseline, agent, ...) and the table
# shows medians. Beside TPS it reports the CPU time pgbench and PostgreSQL
# spent per transaction (less disturbed by other load than TPS), the agent's
# own CPU time, and checks that every statement pgbench sent became an sql
# event with outcome ok.
#
# Usage: bench/sql.sh [path/to/aisec-rt]
# Environment:
#   BENCH_SMOKE=1        tiny counts, one round, two workloads (the test suite's smoke run)
#   BENCH_ROUNDS=N       baseline/agent pairs per workload (default 5)
#   BENCH_SQL_SELECT_T=N transactions per select-only run (default 50000)
#   BENCH_SQL_TPCB_T=N   transactions per TPC-B run (default 10000)
#   BENCH_SQL_WORKLOADS  a subset of: select-simple select-extended select-prepared tpcb-simple tpcb-prepared
#   BENCH_AGENT_CPU=N    the CPU the agent is pinned to (default bench_cpu_agent, 0; "any" = not pinned);
#                        pgbench and PostgreSQL are pinned to bench_cpu_load (the last CPU)
#   BENCH_AGENT_ARGS=... extra arguments for aisec-rt watch (e.g. "--sql-text redacted")
#   BENCH_BPF_STATS=1    also report the kernel time of aisec-rt's BPF programs per statement, from
#                        kernel.bpf_stats_enabled (itself ~20 ns a program run: leave off for TPS); all
#                        runs of the programs count, other processes' syscalls included
#   BENCH_JSON=FILE      append the results as JSON lines (bench_json, part "sql")
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
# shellcheck source=bench/pg.sh
. "$HERE/pg.sh"
BIN=$(readlink -f "${1:-build/aisec-rt}")
ROUNDS=${BENCH_ROUNDS:-5}
T_SELECT=${BENCH_SQL_SELECT_T:-50000}
T_TPCB=${BENCH_SQL_TPCB_T:-10000}
WORKLOADS=${BENCH_SQL_WORKLOADS:-select-simple select-extended select-prepared tpcb-simple tpcb-prepared}
if bench_smoke; then
	# Both counting paths (query events; parse + execute events), 1 and 7 statements a transaction.
	ROUNDS=1 T_SELECT=300 T_TPCB=100 WORKLOADS=${BENCH_SQL_WORKLOADS:-select-simple tpcb-prepared}
fi
CPU=$(bench_cpu_load)
AGENT_CPU=${BENCH_AGENT_CPU:-$(bench_cpu_agent)}
read -r -a AGENT_ARGS <<<"${BENCH_AGENT_ARGS:-}"
PGBENCH=$PGBIN/pgbench
PYTHON=/usr/bin/python3
CLK_TCK=$(getconf CLK_TCK)
BPF_STATS_WAS=""

bench_require_root
[ -x "$BIN" ] || { echo "bench: no agent binary at $BIN (make build/aisec-rt)" >&2; exit 1; }
[ -x "$PGBENCH" ] || { echo "bench: $PGBENCH missing (Debian package postgresql-15)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/aisec-bench-sql.XXXXXX)
AGENT="" GATE=""
cleanup() {
	set +e
	[ -n "$GATE" ] && kill "$GATE" 2>/dev/null
	[ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null
	wait 2>/dev/null
	pg_stop
	[ -n "$BPF_STATS_WAS" ] && sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_WAS"
	rm -rf "$WORK"
}
trap cleanup EXIT

# pgbench arguments, statements per transaction, transactions: per workload.
wl_args() {
	case "$1" in
	select-simple) echo "-S -M simple" ;;
	select-extended) echo "-S -M extended" ;;
	select-prepared) echo "-S -M prepared" ;;
	tpcb-simple) echo "-M simple" ;;
	tpcb-prepared) echo "-M prepared" ;;
	*) echo "bench: unknown workload $1" >&2; exit 2 ;;
	esac
}
# pgbench's built-in scripts: select-only is 1 SELECT; "TPC-B (sort of)" is
# BEGIN, 3 UPDATEs, 1 SELECT, 1 INSERT and END: 7 statements a transaction.
wl_stmts() { case "$1" in select-*) echo 1 ;; *) echo 7 ;; esac; }
wl_txns() { case "$1" in select-*) echo "$T_SELECT" ;; *) echo "$T_TPCB" ;; esac; }
wl_title() { case "$1" in select-*) echo "select-only, ${1#select-}" ;; tpcb-*) echo "TPC-B, ${1#tpcb-}" ;; esac; }

# Sum of run_time_ns and run_cnt over the BPF programs the agent holds open
# (their ids from its fdinfo: other agents on the machine are not counted).
bpf_time() {
	local ids id t=0 c=0 line
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un)
	for id in $ids; do
		line=$(bpftool prog show id "$id" 2>/dev/null | grep -o 'run_time_ns [0-9]* run_cnt [0-9]*' || true)
		[ -n "$line" ] || continue
		# shellcheck disable=SC2086 # "run_time_ns T run_cnt C" split into $1..$4
		set -- $line
		t=$((t + $2)) c=$((c + $4))
	done
	echo "$t $c"
}

# CPU seconds of the server's exited processes so far: the postmaster's
# cutime + cstime, read once no client backend is left to be reaped.
pg_cpu() {
	local pm
	pm=$(head -n 1 "$PG_DIR/postmaster.pid")
	for _ in $(seq 100); do pgrep -P "$pm" -f '\[local\]' >/dev/null || break; sleep 0.02; done
	sed 's/^.*) //' "/proc/$pm/stat" | awk -v t="$CLK_TCK" '{ print ($14 + $15) / t }'
}

# Count the sql events of pgbench's statements in the agent's JSON output:
# prints "<statements captured> <parse events> <not ok>". A statement is a
# `query` (simple protocol) or `execute` (extended/prepared) event whose text
# is one of the built-in scripts' statements; pgbench's own set-up queries
# (scale and partition look-ups on its first connection) are left out.
count_sql() {
	"$PYTHON" - "$1" <<'PY'
import json, sys
WORKLOAD = ("SELECT abalance", "BEGIN", "END", "UPDATE pgbench_", "INSERT INTO pgbench_history")
stmts = parses = bad = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        e = json.loads(line)
        if e.get("kind") != "sql":
            continue
        s = e["sql"]
        if not s.get("query", "").startswith(WORKLOAD):
            continue
        if s["message"] == "parse":
            parses += 1
        elif s["message"] in ("query", "execute"):
            stmts += 1
            if s.get("outcome") != "ok":
                bad += 1
print(stmts, parses, bad)
PY
}

# One pgbench run: $1 = base|agent, $2 = workload, $3 = run number. pgbench
# starts behind a gate (a bash pinned to $CPU that waits on a fifo, then runs
# pgbench, records its CPU time with `times`, and waits again) so the agent can
# watch it from its first instruction and its CPU time can be read while it
# still runs. Appends to $WORK/<workload>.<kind> one line:
#   tps pgbench_cpu_s postgres_cpu_s [captured parses notok expected agent_cpu_s drops bpf_ns bpf_cnt]
run_one() {
	local kind=$1 wl=$2 n=$3 txns stmts dir c0=0 c1=0 b0="0 0" b1="0 0" rc p0 p1 line
	dir="$WORK/run-$wl-$kind-$n"
	txns=$(wl_txns "$wl") stmts=$(wl_stmts "$wl")
	mkdir -p "$dir"
	# Same starting state for every run: no dead tuples in the small tables, empty history, no checkpoint due.
	pg_psql -c "VACUUM pgbench_branches" -c "VACUUM pgbench_tellers" -c "TRUNCATE pgbench_history" -c "CHECKPOINT"
	p0=$(pg_cpu)
	mkfifo "$dir/go" "$dir/done"
	# shellcheck disable=SC2046,SC2016 # the workload's arguments split on purpose; $1.. are the gate's
	bench_pin "$CPU" bash -c 'g=$1 d=$2 o=$3 t=$4; shift 4; read -r x <"$g"; "$@" >"$o" 2>&1; rc=$?; times >"$t"; echo $rc >"$d"; read -r x <"$g"' \
		gate "$dir/go" "$dir/done" "$dir/pgbench.out" "$dir/times" \
		"$PGBENCH" -n $(wl_args "$wl") -c 1 -j 1 -t "$txns" -h "$PG_SOCK" -p "$PG_PORT" -U postgres postgres &
	GATE=$!
	if [ "$kind" = agent ]; then
		if [ "$AGENT_CPU" = any ]; then
			"$BIN" watch "$GATE" -f json -o "$dir/events.json" --rules "$HERE/../rules" "${AGENT_ARGS[@]}" 2>"$dir/agent.log" &
		else
			bench_pin "$AGENT_CPU" "$BIN" watch "$GATE" -f json -o "$dir/events.json" --rules "$HERE/../rules" \
				"${AGENT_ARGS[@]}" 2>"$dir/agent.log" &
		fi
		AGENT=$!
		bench_wait_for "$dir/agent.log" "watching pid" 30 "$AGENT" ||
			{ cat "$dir/agent.log" >&2; echo "bench: the agent did not start" >&2; exit 1; }
		c0=$(bench_cpu_ticks "$AGENT")
		if [ -n "$BPF_STATS_WAS" ]; then b0=$(bpf_time "$AGENT"); fi
	fi
	echo go >"$dir/go"
	read -r rc <"$dir/done"
	if [ "$kind" = agent ]; then
		c1=$(bench_cpu_ticks "$AGENT")
		if [ -n "$BPF_STATS_WAS" ]; then b1=$(bpf_time "$AGENT"); fi
	fi
	echo go >"$dir/go"
	wait "$GATE"
	GATE=""
	[ "$rc" = 0 ] || { cat "$dir/pgbench.out" >&2; echo "bench: pgbench failed ($wl)" >&2; exit 1; }
	p1=$(pg_cpu)
	# times: the gate's own line, then its children's (pgbench): "XmY.YYYs XmZ.ZZZs".
	line="$(awk '/^tps = / { print $3 }' "$dir/pgbench.out") \
$(awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$dir/times") \
$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')"
	if [ "$kind" = agent ]; then
		wait "$AGENT" || { cat "$dir/agent.log" >&2; echo "bench: the agent failed" >&2; exit 1; }
		AGENT=""
		local drops
		drops=$(sed -n 's/^aisec-rt: records dropped: \([0-9]*\).*/\1/p' "$dir/agent.log")
		# shellcheck disable=SC2086 # "time count" pairs split into $1..$4
		set -- $b0 $b1
		line="$line $(count_sql "$dir/events.json") $((txns * stmts)) \
$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }') ${drops:-?} $(($3 - $1)) $(($4 - $2))"
	fi
	echo "$line" >>"$WORK/$wl.$kind"
	rm -rf "$dir"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Median of column $1 of file $2, times $3 (default 1).
col() { awk -v c="$1" -v m="${3:-1}" '{ print $c * m }' "$2" | median; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "-" }'; }

# --- set-up: the cluster, pgbench's tables at scale 1 (100000 accounts) ---
pg_start "$WORK" "$CPU"
"$PGBENCH" -i -q -s 1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres postgres >"$WORK/init.log" 2>&1 ||
	{ cat "$WORK/init.log" >&2; echo "bench: pgbench -i failed" >&2; exit 1; }
if [ -n "${BENCH_BPF_STATS:-}" ]; then
	BPF_STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
fi

echo "bench-sql: $ROUNDS round(s) of $WORKLOADS; select-only $T_SELECT, TPC-B $T_TPCB transactions a run"
for r in $(seq "$ROUNDS"); do
	for wl in $WORKLOADS; do
		run_one base "$wl" "$r"
		run_one agent "$wl" "$r"
	done
	echo "  round $r/$ROUNDS done"
done

# --- the table ---
bench_table_head "pgbench, one client, medians of $ROUNDS alternating runs (ratio = aisec-rt / baseline)"
all_captured=1 budget_ok=1
for wl in $WORKLOADS; do
	title=$(wl_title "$wl") txns=$(wl_txns "$wl") stmts=$(wl_stmts "$wl")
	B="$WORK/$wl.base" A="$WORK/$wl.agent"
	b=$(col 1 "$B") a=$(col 1 "$A") ratio=$(ratio3 "$(col 1 "$A")" "$(col 1 "$B")")
	bench_row "$title: TPS" "$(printf '%.0f' "$b")" "$(printf '%.0f' "$a")" - "$ratio"
	bench_json sql workload="$wl" what=tps baseline="$b" aisec_rt="$a" peer=- ratio="$ratio" \
		baseline_runs="$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }' "$B")" \
		aisec_rt_runs="$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }' "$A")"
	if [ "$wl" = select-simple ] && awk -v r="$ratio" 'BEGIN { exit !(r < 0.97) }'; then budget_ok=0; fi
	added=$(awk -v a="$a" -v b="$b" -v s="$stmts" 'BEGIN { printf "%.2f", (1 / a - 1 / b) * 1e6 / s }')
	bench_row "  time added per statement, us" - "$added" - -
	bench_json sql workload="$wl" what=added_us_per_statement aisec_rt="$added"
	# CPU time of the client and of the server per transaction.
	for c in 2:pgbench 3:postgres; do
		b=$(col "${c%%:*}" "$B" "$(awk -v t="$txns" 'BEGIN { print 1e6 / t }')")
		a=$(col "${c%%:*}" "$A" "$(awk -v t="$txns" 'BEGIN { print 1e6 / t }')")
		r=$(ratio3 "$a" "$b")
		bench_row "  ${c#*:} CPU, us per transaction" "$(printf '%.1f' "$b")" "$(printf '%.1f' "$a")" - "$r"
		bench_json sql workload="$wl" what="${c#*:}_cpu_us_per_transaction" baseline="$b" aisec_rt="$a" peer=- ratio="$r"
	done
	# Capture: the worst run counts; every run must have every statement.
	read -r got parses notok want drops < <(awk 'NR == 1 || $4 < g { g = $4; p = $5; n = $6; w = $7; d = $9 } END { print g, p, n, w, d }' "$A")
	cap=$(awk -v g="$got" -v w="$want" 'BEGIN { printf "%.4f", g / w }')
	bench_row "  statements captured (worst run)" "$want" "$got" - "$cap"
	bench_json sql workload="$wl" what=statements_captured baseline="$want" aisec_rt="$got" peer=- ratio="$cap" \
		parse_events="$parses" not_ok="$notok" records_dropped="$drops"
	if [ "$got" != "$want" ] || [ "$notok" != 0 ]; then all_captured=0; fi
	cpu=$(col 8 "$A")
	us=$(awk -v c="$cpu" -v w="$want" 'BEGIN { printf "%.2f", c * 1e6 / w }')
	share=$(awk -v c="$cpu" -v t="$txns" -v a="$(col 1 "$A")" 'BEGIN { printf "%.1f", 100 * c / (t / a) }')
	bench_row "  agent CPU, us per statement" - "$us" - -
	bench_row "  agent CPU, % of one CPU" - "$share" - -
	bench_json sql workload="$wl" what=agent_cpu_us_per_statement aisec_rt="$us" agent_cpu_percent="$share"
	if [ -n "$BPF_STATS_WAS" ]; then
		bns=$(awk -v w="$want" '{ t += $10 } END { printf "%.0f", t / NR / w }' "$A")
		brun=$(awk '{ t += $10; c += $11 } END { printf "%.0f", t / (c ? c : 1) }' "$A")
		bench_row "  BPF ns per statement (ns per program run)" - "$bns ($brun)" - -
		bench_json sql workload="$wl" what=bpf_ns_per_statement aisec_rt="$bns" bpf_ns_per_run="$brun"
	fi
done
echo
for wl in $WORKLOADS; do
	printf '  %-16s TPS per run: baseline %s; aisec-rt %s\n' "$wl" "$(awk '{ printf "%.0f ", $1 }' "$WORK/$wl.base")" \
		"$(awk '{ printf "%.0f ", $1 }' "$WORK/$wl.agent")"
done
echo "method: pgbench -n -c 1 -j 1 -t N over a unix socket, pgbench and PostgreSQL pinned to CPU $CPU, the agent to" \
	"$([ "$AGENT_CPU" = any ] && echo "no CPU" || echo "CPU $AGENT_CPU");"
echo "  agent = aisec-rt watch <pgbench> -f json -o FILE${AGENT_ARGS[*]:+ ${AGENT_ARGS[*]}}, from pgbench's first instruction;"
echo "  fsync and autovacuum off, VACUUM + CHECKPOINT before every run"
if [ "$all_captured" = 1 ]; then
	echo "capture: every statement of every agent run was an sql event with outcome ok"
else
	echo "capture: MISSED statements (see the 'statements captured' rows)"
fi
if [[ " $WORKLOADS " == *" select-simple "* ]]; then
	if [ "$budget_ok" = 1 ]; then echo "budget: select-only simple >= 97% of baseline TPS: met"; else
		echo "budget: select-only simple >= 97% of baseline TPS: MISSED"; fi
fi
bench_machine

#!/usr/bin/env bash
# make bench-e2e: what aisec-rt costs a real service. The demo's Flask +
# psycopg2 service (examples/vulnerable-app) on a throwaway PostgreSQL, set up
# as examples/demo.sh does (own network namespace, unix-socket database), is
# loaded with benign requests by bench/httpload (closed loop, per-request
# latency) without the agent and with `aisec-rt watch` on the service from its
# first instruction, the demo's findings loaded (JSON events and evidence to
# files). Runs alternate (baseline, agent, ...); the table shows medians of
# requests per second, of each run's p50 and p99 latency and of the service's
# CPU time per request, the agent's CPU time, and checks that every SQL
# statement the requests caused became an sql event with outcome ok.
#
# Usage: bench/e2e.sh [path/to/aisec-rt] [path/to/httpload]
# Environment:
#   BENCH_SMOKE=1         tiny counts, one round (the test suite's smoke run)
#   BENCH_ROUNDS=N        baseline/agent pairs (default 5)
#   BENCH_E2E_N=N         timed requests per run (default 5000), after BENCH_E2E_WARMUP (default 300)
#   BENCH_E2E_CONNS=C     concurrent connections (default 1)
#   BENCH_AGENT_CPU=N     the CPU the agent is pinned to (default bench_cpu_agent, 0; "any" = not pinned);
#                         the service and PostgreSQL run on bench_cpu_load (the last CPU), the load
#                         generator on the agent's CPU (it mostly waits)
#   BENCH_JSON=FILE       append the results as JSON lines (bench_json, part "e2e")
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
# shellcheck source=bench/pg.sh
. "$HERE/pg.sh"
BIN=$(readlink -f "${1:-build/aisec-rt}")
LOAD=$(readlink -f "${2:-build/bench/httpload}")
APPDIR=$(cd "$HERE/../examples/vulnerable-app" && pwd)
ROUNDS=${BENCH_ROUNDS:-5}
N=${BENCH_E2E_N:-5000}
WARMUP=${BENCH_E2E_WARMUP:-300}
CONNS=${BENCH_E2E_CONNS:-1}
if bench_smoke; then
	ROUNDS=1 N=300 WARMUP=30
fi
APP_CPU=$(bench_cpu_load)
AGENT_CPU=${BENCH_AGENT_CPU:-$(bench_cpu_agent)}
LOAD_CPU=$(bench_cpu_agent)
PYTHON=/usr/bin/python3 # has Debian's flask and psycopg2; never the python3 on PATH
PORT=8080
CLK_TCK=$(getconf CLK_TCK)
# The demo's benign requests that stay inside the service (the shell-out
# /lookup and the self-fetching /fetch are left out: they would measure
# fork+exec and a second request). Two of the five run SQL.
PATHS=(/health /users/1 "/user?name=alice" /files "/file?name=readme.txt")

bench_require_root
[ -x "$BIN" ] || { echo "bench: no agent binary at $BIN (make build/aisec-rt)" >&2; exit 1; }
[ -x "$LOAD" ] || { echo "bench: no load generator at $LOAD (make build/bench/httpload)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/aisec-bench-e2e.XXXXXX)
NS="aisec-bench-$$"
AGENT="" APP="" NS_UP=""
cleanup() {
	set +e
	[ -n "$APP" ] && kill "$APP" 2>/dev/null
	[ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null
	[ -n "$NS_UP" ] && ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	pg_stop
	[ -n "$NS_UP" ] && ip netns delete "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }

# Statements the requests caused, from the agent's JSON output: the sql
# events of the two SQL endpoints' SELECTs (the service's start-up DDL and
# INSERT are not counted). Prints "<count> <not ok>".
count_sql() {
	"$PYTHON" - "$1" <<'PY'
import json, sys
n = bad = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        e = json.loads(line)
        if e.get("kind") != "sql" or e["sql"]["message"] not in ("query", "execute"):
            continue
        if e["sql"].get("query", "").startswith("SELECT id, name FROM users WHERE"):
            n += 1
            if e["sql"].get("outcome") != "ok":
                bad += 1
print(n, bad)
PY
}

# One run: $1 = base|agent, $2 = run number. The service starts behind a
# gate (a shell waiting on a fifo, then exec'ing Python, as demo.sh does),
# so the agent sees it from its first instruction; it is stopped after the
# load. Appends to $WORK/<kind> one line:
#   rps p50_us p99_us service_cpu_s [sql_captured not_ok sql_expected agent_cpu_s drops]
run_one() {
	local kind=$1 n=$2 dir c0=0 c1=0 s0 s1 out line
	dir="$WORK/run-$kind-$n"
	mkdir -p "$dir"
	mkfifo "$dir/go"
	# ip netns exec, env, taskset and sh all exec: $! is the service's own pid.
	# shellcheck disable=SC2016 # $1..$3 are the gate shell's
	ip netns exec "$NS" env AISEC_DEMO_DSN="host=$PG_SOCK port=$PG_PORT dbname=postgres user=postgres" \
		AISEC_DEMO_PORT=$PORT taskset -c "$APP_CPU" sh -c 'read x < "$1"; exec "$2" "$3/app.py"' \
		sh "$dir/go" "$PYTHON" "$APPDIR" >"$dir/app.log" 2>&1 &
	APP=$!
	if [ "$kind" = agent ]; then
		local watch=("$BIN" watch "$APP" --findings "$APPDIR/findings.sarif" --source-root "$APPDIR"
			--rules "$HERE/../rules" -f json -o "$dir/events.json" --evidence "$dir/evidence.json")
		if [ "$AGENT_CPU" = any ]; then
			"${watch[@]}" 2>"$dir/agent.log" &
		else
			bench_pin "$AGENT_CPU" "${watch[@]}" 2>"$dir/agent.log" &
		fi
		AGENT=$!
		bench_wait_for "$dir/agent.log" "watching pid" 30 "$AGENT" ||
			{ cat "$dir/agent.log" >&2; echo "bench: the agent did not start" >&2; exit 1; }
	fi
	echo go >"$dir/go"
	for _ in $(seq 200); do
		in_ns curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
		sleep 0.05
	done
	# Answered, and by this run's service (the namespace is ours, but be sure).
	if ! in_ns curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || ! kill -0 "$APP" 2>/dev/null; then
		cat "$dir/app.log" >&2; echo "bench: the service did not start" >&2; exit 1
	fi
	s0=$(bench_cpu_ticks "$APP")
	if [ "$kind" = agent ]; then c0=$(bench_cpu_ticks "$AGENT"); fi
	if ! out=$(in_ns taskset -c "$LOAD_CPU" "$LOAD" -p "$PORT" -c "$CONNS" -n "$N" -w "$WARMUP" -v "${PATHS[@]}"); then
		echo "$out" >&2; tail -n 20 "$dir/app.log" >&2; echo "bench: requests failed" >&2; exit 1
	fi
	if [ "$kind" = agent ]; then c1=$(bench_cpu_ticks "$AGENT"); fi
	s1=$(bench_cpu_ticks "$APP")
	kill "$APP"
	wait "$APP" 2>/dev/null || true
	APP=""
	line="$(echo "$out" | awk '$1 == "requests" { print $8, $10, $14 }') $(awk -v a="$s0" -v b="$s1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')"
	if [ "$kind" = agent ]; then
		wait "$AGENT" || { cat "$dir/agent.log" >&2; echo "bench: the agent failed" >&2; exit 1; }
		AGENT=""
		# Requests to the SQL endpoints, warm-up included (httpload -v counts them per path).
		local want drops
		want=$(echo "$out" | awk '$1 == "path" && ($2 ~ /^\/users\// || $2 ~ /^\/user\?/) { s += $3 } END { print s + 0 }')
		drops=$(sed -n 's/^aisec-rt: records dropped: \([0-9]*\).*/\1/p' "$dir/agent.log")
		line="$line $(count_sql "$dir/events.json") $want $(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }') ${drops:-?}"
	fi
	echo "$line" >>"$WORK/$kind"
	rm -rf "$dir"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" -v m="${3:-1}" '{ print $c * m }' "$2" | median; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "-" }'; }

# --- set-up: a network namespace (the service's port collides with nothing), PostgreSQL ---
ip netns add "$NS"
NS_UP=1
in_ns ip link set lo up
pg_start "$WORK" "$APP_CPU"

echo "bench-e2e: $ROUNDS round(s) of $N requests ($WARMUP warm-up) on $CONNS connection(s): ${PATHS[*]}"
for r in $(seq "$ROUNDS"); do
	run_one base "$r"
	run_one agent "$r"
	echo "  round $r/$ROUNDS done"
done

# --- the table ---
B="$WORK/base" A="$WORK/agent"
bench_table_head "demo service under load, medians of $ROUNDS alternating runs (ratio = aisec-rt / baseline)"
b=$(col 1 "$B") a=$(col 1 "$A") ratio=$(ratio3 "$(col 1 "$A")" "$(col 1 "$B")")
bench_row "requests per second" "$(printf '%.0f' "$b")" "$(printf '%.0f' "$a")" - "$ratio"
bench_json e2e what=rps baseline="$b" aisec_rt="$a" peer=- ratio="$ratio" \
	baseline_runs="$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }' "$B")" \
	aisec_rt_runs="$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }' "$A")"
for p in 2:p50 3:p99; do
	b=$(col "${p%%:*}" "$B") a=$(col "${p%%:*}" "$A") ratio=$(ratio3 "$a" "$b")
	bench_row "latency ${p#*:}, us" "$(printf '%.0f' "$b")" "$(printf '%.0f' "$a")" - "$ratio"
	bench_json e2e what="latency_${p#*:}_us" baseline="$b" aisec_rt="$a" peer=- ratio="$ratio"
done
b=$(col 4 "$B" "$(awk -v n="$N" 'BEGIN { print 1e6 / n }')") a=$(col 4 "$A" "$(awk -v n="$N" 'BEGIN { print 1e6 / n }')")
ratio=$(ratio3 "$a" "$b")
bench_row "service CPU, us per request" "$(printf '%.0f' "$b")" "$(printf '%.0f' "$a")" - "$ratio"
bench_json e2e what=service_cpu_us_per_request baseline="$b" aisec_rt="$a" peer=- ratio="$ratio"
read -r got notok want drops < <(awk 'NR == 1 || $5 - $7 < m { m = $5 - $7; g = $5; n = $6; w = $7; d = $9 } END { print g, n, w, d }' "$A")
cap=$(awk -v g="$got" -v w="$want" 'BEGIN { printf "%.4f", g / w }')
bench_row "SQL statements captured (worst run)" "$want" "$got" - "$cap"
bench_json e2e what=statements_captured baseline="$want" aisec_rt="$got" peer=- ratio="$cap" not_ok="$notok" records_dropped="$drops"
cpu=$(col 8 "$A")
us=$(awk -v c="$cpu" -v n="$N" 'BEGIN { printf "%.1f", c * 1e6 / n }')
share=$(awk -v c="$cpu" -v n="$N" -v a="$(col 1 "$A")" 'BEGIN { printf "%.1f", 100 * c / (n / a) }')
bench_row "agent CPU, us per request" - "$us" - -
bench_row "agent CPU, % of one CPU" - "$share" - -
bench_json e2e what=agent_cpu_us_per_request aisec_rt="$us" agent_cpu_percent="$share"
echo
printf '  per run (rps p50 p99): baseline %s; aisec-rt %s\n' "$(awk '{ printf "[%.0f %.0f %.0f] ", $1, $2, $3 }' "$B")" \
	"$(awk '{ printf "[%.0f %.0f %.0f] ", $1, $2, $3 }' "$A")"
echo "method: httpload -c $CONNS -n $N -w $WARMUP over loopback in a network namespace, a new TCP connection per request"
echo "  (Werkzeug's server closes every connection); service and PostgreSQL pinned to CPU $APP_CPU, load generator to"
echo "  CPU $LOAD_CPU, the agent to $([ "$AGENT_CPU" = any ] && echo "no CPU" || echo "CPU $AGENT_CPU"); the service is restarted for every run;"
echo "  agent = aisec-rt watch <service> --findings examples/vulnerable-app/findings.sarif -f json -o FILE --evidence FILE"
if [ "$got" = "$want" ] && [ "$notok" = 0 ]; then
	echo "capture: every SQL statement of every agent run was an sql event with outcome ok"
else
	echo "capture: MISSED statements (see the 'SQL statements captured' row)"
fi
bench_machine

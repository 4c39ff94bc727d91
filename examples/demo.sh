#!/usr/bin/env bash
# make demo: a deliberately vulnerable Flask service on PostgreSQL, its static
# findings (SARIF), aisec-rt watching it from its first instruction, benign
# traffic, then four attacks, and the table of which findings were proven.
#
# Usage: examples/demo.sh [path/to/aisec-rt] [--benign-only] [--evidence FILE] [--quiet]
#   --benign-only   send only the benign requests (the tests use it: nothing may be confirmed)
#   --evidence F    keep the evidence records (aisec.evidence.v1 NDJSON) in F
# Everything runs on loopback and inside a network namespace the demo creates,
# where 169.254.169.254 (the cloud metadata address the SSRF attack aims at) is
# a local fake; nothing else is contacted.
set -euo pipefail
BIN=build/aisec-rt BENIGN_ONLY="" EVIDENCE_OUT="" QUIET=""
while [ $# -gt 0 ]; do
	case "$1" in
	--benign-only) BENIGN_ONLY=1 ;;
	--evidence) EVIDENCE_OUT=$2; shift ;;
	--quiet) QUIET=1 ;;
	*) BIN=$1 ;;
	esac
	shift
done
BIN=$(readlink -f "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
APPDIR="$HERE/vulnerable-app"
WORK=$(mktemp -d /tmp/aisec-demo.XXXXXX)
NS="aisec-demo-$$"
PGBIN=/usr/lib/postgresql/15/bin
AGENT_PID="" PG_UP="" NS_UP=""
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null || true
	[ -n "$NS_UP" ] && { ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true; }
	[ -n "$PG_UP" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	[ -n "$NS_UP" ] && ip netns delete "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "demo: $*" >&2; exit 1; }
b=$(tput bold 2>/dev/null || true) r=$(tput sgr0 2>/dev/null || true)
say() { [ -n "$QUIET" ] || printf '%s\n' "$*"; }
step() { [ -n "$QUIET" ] || printf '\n%s== %s ==%s\n' "$b" "$*" "$r"; }
in_ns() { ip netns exec "$NS" "$@"; }

[ "$(id -u)" = 0 ] || fail "run as root (loading BPF and creating a network namespace need it)"
[ -x "$BIN" ] || fail "$BIN not built; run make first"

step "1. a network namespace with a fake cloud metadata service at 169.254.169.254"
ip netns add "$NS"
NS_UP=1
in_ns ip link set lo up
in_ns ip addr add 169.254.169.254/32 dev lo
mkdir -p "$WORK/meta/latest/meta-data/iam/security-credentials"
echo "demo-role: AKIA-FAKE-DEMO-KEY" >"$WORK/meta/latest/meta-data/iam/security-credentials/demo-role"
in_ns /usr/bin/python3 -m http.server --bind 169.254.169.254 --directory "$WORK/meta" 80 >/dev/null 2>&1 &

step "2. PostgreSQL (temporary, unix socket only)"
chmod 755 "$WORK"
install -d -o postgres -g postgres "$WORK/pg" "$WORK/sock"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
	-o "-k $WORK/sock -c listen_addresses=''" start >/dev/null || { cat "$WORK/pg/log"; fail "PostgreSQL did not start"; }
PG_UP=1
PGPORT=5432

step "3. the service, watched by aisec-rt from before its first instruction"
# The service waits on a fifo until the agent is attached, then execs Python:
# the agent sees it load app.py (reachability) and open its DB connection.
mkfifo "$WORK/go"
in_ns env AISEC_DEMO_DSN="host=$WORK/sock port=$PGPORT dbname=postgres user=postgres" AISEC_DEMO_PORT=8080 \
	sh -c 'read x < "$1"; exec /usr/bin/python3 "$2/app.py"' sh "$WORK/go" "$APPDIR" >"$WORK/app.log" 2>&1 &
APP_PID=$!
"$BIN" watch "$APP_PID" --findings "$APPDIR/findings.sarif" --source-root "$APPDIR" --rules "$HERE/../rules" \
	--evidence "$WORK/evidence.json" --output "$WORK/events.txt" 2>"$WORK/agent.log" &
AGENT_PID=$!
for _ in $(seq 100); do grep -q "watching pid" "$WORK/agent.log" && break; sleep 0.1; done
grep -q "watching pid" "$WORK/agent.log" || { cat "$WORK/agent.log"; fail "the agent did not start"; }
echo go >"$WORK/go"
for _ in $(seq 100); do in_ns curl -sf http://127.0.0.1:8080/health >/dev/null 2>&1 && break; sleep 0.1; done
in_ns curl -sf http://127.0.0.1:8080/health >/dev/null || { cat "$WORK/app.log"; fail "the service did not start"; }
[ -n "$QUIET" ] || sed 's/^/    /' "$WORK/agent.log"

get() { printf '    GET %-58s -> %s\n' "$1" "$(in_ns curl -s --max-time 5 "http://127.0.0.1:8080$1" | tr '\n' ' ' | cut -c1-60)"; }
step "4. benign traffic"
for u in /health /users/1 "/user?name=alice" "/user?name=bob" "/lookup?host=localhost" /files "/file?name=readme.txt" \
	"/fetch?url=http://127.0.0.1:8080/health"; do
	if [ -n "$QUIET" ]; then get "$u" >/dev/null; else get "$u"; fi
done

if [ -z "$BENIGN_ONLY" ]; then
	step "5. attacks"
	for u in "/user?name=nobody'%20OR%20'1'='1" "/lookup?host=localhost;id" "/file?name=../../../../../etc/shadow" \
		"/fetch?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/demo-role"; do
		if [ -n "$QUIET" ]; then get "$u" >/dev/null; else get "$u"; fi
	done
fi

sleep 0.5
kill -INT "$AGENT_PID"
wait "$AGENT_PID" || true
AGENT_PID=""
[ -n "$EVIDENCE_OUT" ] && cp "$WORK/evidence.json" "$EVIDENCE_OUT"

step "6. what aisec-rt proved"
if [ -z "$QUIET" ]; then
	grep '>>> EVIDENCE' "$WORK/events.txt" | sed 's/^/    /' || true
	sed -n '/^finding /,/^aisec-rt: summary/p' "$WORK/agent.log" | grep -v '^aisec-rt: summary' | sed 's/^/    /'
	cat <<MSG

${b}Reading it:${r} five static findings went in (CodeQL, examples/vulnerable-app/findings.sarif).
The service loaded app.py, so its four findings are reachable; scripts/migrate.py was never loaded, so its
SQL injection finding stays unobserved: one less to triage. Each attack proved exactly its finding:
a tautology reached PostgreSQL (CWE-89), a shell ran 'id' (CWE-78), the service opened /etc/shadow through
../ (CWE-22), and it connected to the metadata address (CWE-918). Evidence records: aisec.evidence.v1
(docs/evidence.md); back into SARIF with: aisec-rt triage --findings F.sarif --evidence E.ndjson -o out.sarif
MSG
fi

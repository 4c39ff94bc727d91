#!/usr/bin/env bash
# make demo: start a deliberately vulnerable service, watch it with aisec-rt,
# send benign requests and then two attacks, and show what the agent saw.
# Usage: examples/demo.sh [path/to/aisec-rt]
set -euo pipefail
BIN=$(readlink -f "${1:-build/aisec-rt}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/aisec-demo.XXXXXX)
APP_PID="" AGENT_PID="" PG_UP=""
PGBIN=/usr/lib/postgresql/15/bin
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null || true
	[ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
	[ -n "$PG_UP" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "demo: $*" >&2; exit 1; }
b=$(tput bold 2>/dev/null || true) r=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s== %s ==%s\n' "$b" "$*" "$r"; }

[ "$(id -u)" = 0 ] || { echo "demo: run as root (loading BPF needs it)"; exit 1; }
[ -x "$BIN" ] || { echo "demo: $BIN not built; run make first"; exit 1; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
PGPORT=$(free_port)

step "1. start PostgreSQL (temporary, unix socket in $WORK/sock) and the vulnerable service on 127.0.0.1:$PORT"
chmod 755 "$WORK"
install -d -o postgres -g postgres "$WORK/pg" "$WORK/sock"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
	-o "-k $WORK/sock -p $PGPORT -c listen_addresses=''" start >/dev/null || { cat "$WORK/pg/log"; fail "PostgreSQL did not start"; }
PG_UP=1
AISEC_DEMO_DSN="host=$WORK/sock port=$PGPORT dbname=postgres user=postgres" \
	/usr/bin/python3 "$HERE/vulnerable-app/app.py" "$PORT" &
APP_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
echo "service pid $APP_PID"

step "2. aisec-rt watch $APP_PID"
"$BIN" watch "$APP_PID" --output "$WORK/events.txt" 2>"$WORK/agent.log" &
AGENT_PID=$!
for _ in $(seq 100); do grep -q "watching pid" "$WORK/agent.log" && break; sleep 0.1; done
grep -q "watching pid" "$WORK/agent.log" || { cat "$WORK/agent.log"; exit 1; }
sed 's/^/    /' "$WORK/agent.log"

step "3. benign traffic"
for u in "/health" "/lookup?host=localhost" "/file?name=readme.txt" "/user?name=alice"; do
	printf '    GET %-40s -> %s\n' "$u" "$(curl -s "http://127.0.0.1:$PORT$u" | head -1)"
done

step "4. attacks"
ATTACK1="/lookup?host=localhost;id;cat%20/etc/passwd"
ATTACK2="/file?name=../../../../../etc/shadow"
ATTACK3="/user?name=nobody'%20OR%20'1'='1"
printf '    GET %s\n      -> %s\n' "$ATTACK1" "$(curl -s "http://127.0.0.1:$PORT$ATTACK1" | sed -n 2p)"
printf '    GET %s\n      -> %s\n' "$ATTACK2" "$(curl -s "http://127.0.0.1:$PORT$ATTACK2" | head -1)"
printf '    GET %s\n      -> %s\n' "$ATTACK3" "$(curl -s "http://127.0.0.1:$PORT$ATTACK3" | tr '\n' ' ')"

sleep 0.5
kill -INT "$AGENT_PID"
wait "$AGENT_PID" || true
AGENT_PID=""

step "5. what aisec-rt saw the service do"
echo "    processes it started (exec):"
grep ' exec ' "$WORK/events.txt" | sed 's/^/      /' || true
echo "    SQL it sent to PostgreSQL (the connection was opened before the agent started):"
grep ' sql ' "$WORK/events.txt" | grep -v 'CREATE\|INSERT' | sed 's/^/      /' || true
echo "    sensitive files it opened:"
grep -E ' open .*"(/etc/passwd|/etc/shadow|[^"]*\.\./[^"]*)"' "$WORK/events.txt" | sed 's/^/      /' || true
echo
sed -n '/summary:/,$p' "$WORK/agent.log" | sed 's/^/    /'
cat <<MSG

${b}Reading it:${r} the benign requests opened only files/readme.txt, ran
'getent hosts localhost' and looked up alice. The attacks made the Python
service run a shell with 'id' and 'cat /etc/passwd' appended (command
injection, CWE-78), open files/../../../../../etc/shadow (path traversal,
CWE-22), and send PostgreSQL a WHERE clause that is always true (SQL
injection, CWE-89): each is one line above, with the process, its parent and
the exact arguments or SQL.
Full event log format: docs/events.md. JSON: aisec-rt watch <pid> --format json.
MSG

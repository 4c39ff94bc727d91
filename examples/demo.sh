#!/usr/bin/env bash
# make demo: start a deliberately vulnerable service, watch it with aisec-rt,
# send benign requests and then two attacks, and show what the agent saw.
# Usage: examples/demo.sh [path/to/aisec-rt]
set -euo pipefail
BIN=$(readlink -f "${1:-build/aisec-rt}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/aisec-demo.XXXXXX)
APP_PID="" AGENT_PID=""
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null || true
	[ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
b=$(tput bold 2>/dev/null || true) r=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s== %s ==%s\n' "$b" "$*" "$r"; }

[ "$(id -u)" = 0 ] || { echo "demo: run as root (loading BPF needs it)"; exit 1; }
[ -x "$BIN" ] || { echo "demo: $BIN not built; run make first"; exit 1; }

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
step "1. start the vulnerable service (examples/vulnerable-app/app.py) on 127.0.0.1:$PORT"
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
for u in "/health" "/lookup?host=localhost" "/file?name=readme.txt"; do
	printf '    GET %-40s -> %s\n' "$u" "$(curl -s "http://127.0.0.1:$PORT$u" | head -1)"
done

step "4. attacks"
ATTACK1="/lookup?host=localhost;id;cat%20/etc/passwd"
ATTACK2="/file?name=../../../../../etc/shadow"
printf '    GET %s\n      -> %s\n' "$ATTACK1" "$(curl -s "http://127.0.0.1:$PORT$ATTACK1" | sed -n 2p)"
printf '    GET %s\n      -> %s\n' "$ATTACK2" "$(curl -s "http://127.0.0.1:$PORT$ATTACK2" | head -1)"

sleep 0.5
kill -INT "$AGENT_PID"
wait "$AGENT_PID" || true
AGENT_PID=""

step "5. what aisec-rt saw the service do"
echo "    processes it started (exec):"
grep ' exec ' "$WORK/events.txt" | sed 's/^/      /' || true
echo "    sensitive files it opened:"
grep -E ' open .*"(/etc/passwd|/etc/shadow|[^"]*\.\./[^"]*)"' "$WORK/events.txt" | sed 's/^/      /' || true
echo
sed -n '/summary:/,$p' "$WORK/agent.log" | sed 's/^/    /'
cat <<MSG

${b}Reading it:${r} the benign requests opened only files/readme.txt and ran
'getent hosts localhost'. The attacks made the Python service run a shell with
'id' and 'cat /etc/passwd' appended (command injection, CWE-78) and open
files/../../../../../etc/shadow (path traversal, CWE-22): each is one line
above, with the process, its parent and the exact arguments.
Full event log format: docs/events.md. JSON: aisec-rt watch <pid> --format json.
MSG

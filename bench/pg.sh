#!/usr/bin/env bash
# Sourced by bench/sql.sh and bench/e2e.sh: a throwaway PostgreSQL 15 cluster
# for one benchmark run, in a directory of the caller's, on a unix socket only
# (no TCP port to collide with anything else on the machine), tuned for CPU-bound
# runs (fsync and synchronous_commit off, so disk latency does not swamp the
# agent's cost; autovacuum off, so no worker wakes up in the middle of a timed
# run: bench/sql.sh vacuums between runs). initdb and postgres run as the
# Debian "postgres" user, as examples/demo.sh and tests/lib/dbserver.c do.
#
#   pg_start DIR [CPULIST]   cluster in DIR/pg, socket in DIR/sock (port 5432:
#                            the socket is DIR/sock/.s.PGSQL.5432, which aisec-rt's
#                            default --db-socket pattern matches); the server and
#                            every backend it forks are pinned to CPULIST if given.
#                            Sets PG_DIR, PG_SOCK, PG_PORT, PGBIN.
#   pg_stop                  fast shutdown; safe to call twice or when never started.
#   pg_psql SQL...           psql -X -q as postgres against it (stdout kept).

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_DIR="" PG_SOCK="" PG_PORT=5432

pg_start() {
	local dir=$1 cpus=${2:-}
	local pin=()
	[ -n "$cpus" ] && pin=(taskset -c "$cpus")
	chmod 755 "$dir"
	install -d -o postgres -g postgres "$dir/pg" "$dir/sock"
	runuser -u postgres -- "$PGBIN/initdb" -D "$dir/pg" -A trust -U postgres >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; echo "bench: initdb failed" >&2; return 1; }
	PG_DIR="$dir/pg" PG_SOCK="$dir/sock"
	# pg_ctl forks the postmaster: the affinity set here is inherited by it and its backends.
	"${pin[@]}" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/log" -w -o \
		"-k $PG_SOCK -p $PG_PORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB -c autovacuum=off" \
		start >/dev/null || { tail -n 20 "$PG_DIR/log" >&2; PG_DIR=""; echo "bench: PostgreSQL did not start" >&2; return 1; }
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
	PG_DIR=""
}

pg_psql() {
	runuser -u postgres -- "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres "$@"
}

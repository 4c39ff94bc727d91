/*
 * dbserver: real PostgreSQL 15 and MariaDB servers for the root-only tests,
 * run from the Debian packages (postgresql-15, mariadb-server, mariadb-client,
 * openssl; `make deps` installs them) in a fresh temporary directory each,
 * listening on a free 127.0.0.1 TCP port and on a Unix socket in that directory.
 *
 * Every started server is registered so it is stopped and its directory
 * removed even when a test fails: by dbserver_stop(), by dbserver_stop_all()
 * (use dbserver_group_teardown as, or from, the cmocka group teardown), by an
 * atexit handler, by a SIGINT/SIGTERM/SIGHUP/SIGABRT handler (installed only
 * where the disposition is the default; it stops the servers and re-raises),
 * and, if the test process is killed outright, by the kernel: each server
 * gets a parent-death signal. Servers run in their own session, so a Ctrl-C
 * on the terminal reaches the test, not them.
 *
 * What a started server holds (auth is real, data is empty):
 *   PostgreSQL: superuser "postgres", role "app" (password DBSERVER_APP_PASSWORD),
 *     database "appdb" owned by app; pg_hba trust for the socket and 127.0.0.1.
 *     With tls: ssl=on and TCP is hostssl only (plaintext TCP is refused).
 *     initdb and postgres run as the Debian "postgres" user (PostgreSQL refuses root).
 *   MariaDB: root over the socket by unix_socket auth; user app@'%', app@127.0.0.1
 *     and app@localhost with password DBSERVER_APP_PASSWORD and all privileges on
 *     appdb. With tls: --ssl-cert/--ssl-key and the TCP accounts REQUIRE SSL.
 *   TLS uses a self-signed RSA certificate for CN=localhost made with the openssl CLI.
 *
 * A failed start prints its reason (with the tail of the server's log) through
 * cmocka's print_error and keeps it for dbserver_last_error().
 */
#ifndef AISEC_DBSERVER_H
#define AISEC_DBSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DBSERVER_PG_BINDIR "/usr/lib/postgresql/15/bin"
#define DBSERVER_PYTHON "/usr/bin/python3" /* has python3-psycopg2; never the python3 on PATH */
#define DBSERVER_DB "appdb"
#define DBSERVER_PG_USER "postgres"
#define DBSERVER_APP_USER "app"
#define DBSERVER_APP_PASSWORD "app-secret"

enum dbserver_kind {
	DB_POSTGRES = 1,
	DB_MARIADB,
};

/* One server. Zero it before a start; set port first to force that port. */
struct dbserver {
	enum dbserver_kind kind;
	char dir[256];            /* the temporary directory (data/, server.log, cert, sockets) */
	char socket_dir[256];     /* directory of the Unix socket (= dir); PG's "host" for it */
	char socket_path[256];    /* the socket itself: dir/.s.PGSQL.<port> or dir/mysql.sock */
	char log_path[256];       /* the server's stdout and stderr */
	int port;                 /* TCP port on 127.0.0.1 */
	pid_t pid;                /* postmaster or mariadbd; 0 once stopped */
	bool tls;
	char cert[256], key[256]; /* PEM files when tls */
	double start_s;           /* seconds the start took, initdb included */
};

/* Create, start and wait until PostgreSQL accepts connections on the port and
 * the socket (up to 20 s), then create role app and database appdb.
 * Returns 0, or a negative errno (-EADDRINUSE when the port is taken, -ENOENT
 * when a package or the postgres user is missing, -ETIMEDOUT, -EIO) after
 * removing everything it made. A port picked here that someone takes in the
 * meantime is retried with another; a port the caller set is not. */
int dbserver_start_postgres(struct dbserver *db, bool tls);

/* Same for MariaDB: mariadb-install-db, then mariadbd --user=root, then the
 * app users and database appdb created over the socket as root. */
int dbserver_start_mariadb(struct dbserver *db, bool tls);

/* Stop the server (PostgreSQL: SIGINT, fast shutdown; MariaDB: SIGTERM), wait
 * up to 10 s, then SIGKILL its whole process group; remove its directory.
 * Safe on a zeroed, failed or already stopped server. */
void dbserver_stop(struct dbserver *db);

/* Stop every server this process started and has not stopped. */
void dbserver_stop_all(void);

/* cmocka group teardown: dbserver_stop_all(); returns 0. */
int dbserver_group_teardown(void **state);

/* The reason of the last failed start ("" if none). */
const char *dbserver_last_error(void);

/* libpq conninfo for database appdb as user postgres, over the socket or over
 * TCP (sslmode=require on a TLS server, sslmode=disable otherwise). */
int dbserver_pg_conninfo(const struct dbserver *db, bool use_socket, char *buf, size_t len);

/* Run sql with psql (-X -A -t, ON_ERROR_STOP, VERBOSITY=verbose so errors carry
 * their SQLSTATE) using dbserver_pg_conninfo. out gets stdout followed by
 * stderr. Returns psql's exit status (0 ok, 1 or 3 on error, 2 no connection),
 * or a negative errno when psql could not run. */
int dbserver_psql(const struct dbserver *db, bool use_socket, const char *sql, char *out, size_t outlen);

/* Run sql with the mariadb client (-B -N) as user app on database appdb, over
 * the socket or TCP (--ssl on a TLS server). out and the result as above;
 * errors look like "ERROR 1064 (42000) at line 1: ...". */
int dbserver_mariadb(const struct dbserver *db, bool use_socket, const char *sql, char *out, size_t outlen);

#endif /* AISEC_DBSERVER_H */

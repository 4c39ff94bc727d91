/*
 * Integration: the dbserver test harness (tests/lib/dbserver.c) starts real
 * PostgreSQL 15 and MariaDB servers, plain and with TLS, that answer psql,
 * psycopg2 and the mariadb client over TCP and over their Unix socket, report
 * SQL errors with their codes, really negotiate TLS, fail cleanly on a busy
 * port, and leave no directory and no process behind once stopped.
 *
 * Each server starts once, at the first test that needs it, and is stopped by
 * the last test (which checks the cleanup) or else by the group teardown.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dbserver.h"
#include "testutil.h"

/* A server started on first use; rc remembers a failed start so later tests fail fast. */
struct lazy {
	const char *name;
	bool postgres, tls, tried;
	int rc;
	struct dbserver db;
};

static struct lazy pg = { .name = "postgres", .postgres = true };
static struct lazy my = { .name = "mariadb" };
static struct lazy pg_tls = { .name = "postgres+tls", .postgres = true, .tls = true };
static struct lazy my_tls = { .name = "mariadb+tls", .tls = true };

static struct dbserver *need(struct lazy *l)
{
	tu_require_root();
	if (!l->tried) {
		l->tried = true;
		l->rc = l->postgres ? dbserver_start_postgres(&l->db, l->tls) : dbserver_start_mariadb(&l->db, l->tls);
		if (l->rc == 0)
			print_message("%s: started in %.2f s (port %d, socket %s)\n", l->name, l->db.start_s,
				      l->db.port, l->db.socket_path);
	}
	if (l->rc)
		fail_msg("%s did not start (%d): %s", l->name, l->rc, dbserver_last_error());
	assert_true(l->db.pid > 0);
	assert_int_equal(kill(l->db.pid, 0), 0);
	return &l->db;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Processes whose command line mentions needle. */
static int procs_mentioning(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], buf[8192];
		ssize_t len;
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (strstr(buf, needle))
			n++;
	}
	closedir(d);
	return n;
}

/* Nothing of a server left: directory, process, process group, command lines. */
static void assert_gone(const char *dir, pid_t pid)
{
	struct stat st;

	assert_true(dir[0] != '\0');
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	if (pid > 0) {
		assert_int_equal(kill(pid, 0), -1);
		assert_int_equal(errno, ESRCH);
		/* The server's session: PostgreSQL backends, helpers. */
		assert_int_equal(kill(-pid, 0), -1);
		assert_int_equal(errno, ESRCH);
	}
	assert_int_equal(procs_mentioning(dir), 0);
}

static void test_pg_select_tcp_and_socket(void **state)
{
	struct dbserver *db = need(&pg);
	char out[4096];

	(void)state;
	/* inet_client_addr() tells which transport carried the query. */
	assert_int_equal(dbserver_psql(db, false, "select 1, inet_client_addr(), current_database()", out, sizeof(out)),
			 0);
	assert_string_equal(out, "1|127.0.0.1|appdb\n");
	assert_int_equal(dbserver_psql(db, true, "select 1, inet_client_addr(), current_database()", out, sizeof(out)),
			 0);
	assert_string_equal(out, "1||appdb\n");
	/* The role the harness created, and no TLS on a plain server. */
	assert_int_equal(
	    dbserver_psql(db, false, "select rolcanlogin from pg_roles where rolname = 'app'", out, sizeof(out)), 0);
	assert_string_equal(out, "t\n");
	assert_int_equal(dbserver_psql(db, false, "show ssl", out, sizeof(out)), 0);
	assert_string_equal(out, "off\n");
}

static void test_pg_syntax_error(void **state)
{
	struct dbserver *db = need(&pg);
	char out[4096];
	int rc;

	(void)state;
	rc = dbserver_psql(db, false, "selec 1", out, sizeof(out));
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "ERROR:  42601: syntax error at or near \"selec\""));
}

static void test_pg_psycopg2(void **state)
{
	struct dbserver *db = need(&pg);
	static const char script[] =
	    "import sys, psycopg2\n"
	    "conn = psycopg2.connect(sys.argv[1])\n"
	    "cur = conn.cursor()\n"
	    "cur.execute('select %s::int + %s::int, %s::text, inet_client_addr()', (40, 2, \"it's\"))\n"
	    "print('|'.join(str(v) for v in cur.fetchone()))\n";
	char conninfo[600], out[4096], err[4096];
	const char *argv[] = { DBSERVER_PYTHON, "-c", script, conninfo, NULL };

	(void)state;
	assert_int_equal(dbserver_pg_conninfo(db, false, conninfo, sizeof(conninfo)), 0);
	if (tu_run(argv, out, sizeof(out), err, sizeof(err)) != 0)
		fail_msg("python3 psycopg2: %s%s", out, err);
	assert_string_equal(out, "42|it's|127.0.0.1\n");
}

static void test_mariadb_select_tcp_and_socket(void **state)
{
	struct dbserver *db = need(&my);
	char out[4096];

	(void)state;
	/* The account that matched shows the transport: 127.0.0.1 over TCP, localhost over the socket. */
	assert_int_equal(dbserver_mariadb(db, false, "select 1, current_user(), database()", out, sizeof(out)), 0);
	assert_string_equal(out, "1\tapp@127.0.0.1\tappdb\n");
	assert_int_equal(dbserver_mariadb(db, true, "select 1, current_user(), database()", out, sizeof(out)), 0);
	assert_string_equal(out, "1\tapp@localhost\tappdb\n");
	assert_int_equal(dbserver_mariadb(db, false, "show session status like 'Ssl_cipher'", out, sizeof(out)), 0);
	assert_string_equal(out, "Ssl_cipher\t\n");
}

static void test_mariadb_syntax_error(void **state)
{
	struct dbserver *db = need(&my);
	char out[4096];

	(void)state;
	assert_int_equal(dbserver_mariadb(db, false, "selec 1", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "ERROR 1064 (42000) at line 1: You have an error in your SQL syntax"));
}

static void test_pg_tls(void **state)
{
	struct dbserver *db = need(&pg_tls);
	char conninfo[600], out[4096], err[4096];
	const char *argv[] = { DBSERVER_PG_BINDIR "/psql", "-X", "-A", "-t", "-d", conninfo, "-c", "select 1", NULL };

	(void)state;
	assert_int_equal(dbserver_psql(db, false, "show ssl", out, sizeof(out)), 0);
	assert_string_equal(out, "on\n");
	/* This very connection negotiated TLS (sslmode=require). */
	assert_int_equal(dbserver_psql(db, false, "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()",
				       out, sizeof(out)),
			 0);
	assert_true(strncmp(out, "t|TLSv1.", 8) == 0);
	/* The socket stays plain. */
	assert_int_equal(
	    dbserver_psql(db, true, "select ssl from pg_stat_ssl where pid = pg_backend_pid()", out, sizeof(out)), 0);
	assert_string_equal(out, "f\n");
	/* Plaintext TCP is refused by pg_hba (hostssl only). */
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=postgres dbname=appdb sslmode=disable",
		 db->port);
	assert_int_equal(tu_run(argv, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "no encryption"));
}

static void test_mariadb_tls(void **state)
{
	struct dbserver *db = need(&my_tls);
	char port[16], out[4096], err[4096];
	const char *argv[] = { "/usr/bin/mariadb", "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", port,
			       "--skip-ssl", "-u", DBSERVER_APP_USER, "--password=" DBSERVER_APP_PASSWORD,
			       "-e", "select 1", NULL };

	(void)state;
	assert_int_equal(dbserver_mariadb(db, false, "show session status like 'Ssl_cipher'", out, sizeof(out)), 0);
	assert_true(strncmp(out, "Ssl_cipher\t", 11) == 0);
	assert_true(strlen(out) > 12); /* a cipher name, then the newline */
	assert_int_equal(dbserver_mariadb(db, false, "show session status like 'Ssl_version'", out, sizeof(out)), 0);
	assert_true(strncmp(out, "Ssl_version\tTLSv1.", 18) == 0);
	/* The TCP accounts REQUIRE SSL: a plaintext login is denied. */
	snprintf(port, sizeof(port), "%d", db->port);
	assert_int_equal(tu_run(argv, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "ERROR 1045"));
}

/* Hold a port, then ask for a server on it: a readable error, nothing left. */
static void busy_port_case(bool postgres)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct dbserver db = { 0 };
	char want[64];
	int s, rc;

	tu_require_root();
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	db.port = ntohs(a.sin_port);

	rc = postgres ? dbserver_start_postgres(&db, false) : dbserver_start_mariadb(&db, false);
	close(s);
	assert_int_equal(rc, -EADDRINUSE);
	snprintf(want, sizeof(want), "on 127.0.0.1:%d ", db.port);
	assert_non_null(strstr(dbserver_last_error(), want));
	assert_non_null(strstr(dbserver_last_error(), "(port already in use)"));
	assert_non_null(strstr(dbserver_last_error(), "Address already in use")); /* from the server's own log */
	assert_int_equal(db.pid, 0);
	assert_gone(db.dir, 0);
	dbserver_stop(&db); /* harmless after a failed start */
}

static void test_busy_port_postgres(void **state)
{
	(void)state;
	busy_port_case(true);
}

static void test_busy_port_mariadb(void **state)
{
	(void)state;
	busy_port_case(false);
}

/* Last: stop every server started above; nothing may remain. */
static void test_stop_removes_everything(void **state)
{
	struct lazy *all[] = { &pg, &my, &pg_tls, &my_tls };
	bool any = false;

	(void)state;
	tu_require_root();
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct dbserver *db = &all[i]->db;
		char dir[256];
		pid_t pid = db->pid;
		double t0;

		if (!all[i]->tried || all[i]->rc)
			continue;
		any = true;
		snprintf(dir, sizeof(dir), "%s", db->dir);
		assert_true(procs_mentioning(dir) > 0);
		t0 = now_s();
		dbserver_stop(db);
		print_message("%s: stopped in %.2f s\n", all[i]->name, now_s() - t0);
		assert_int_equal(db->pid, 0);
		assert_gone(dir, pid);
		dbserver_stop(db); /* idempotent */
	}
	assert_true(any);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pg_select_tcp_and_socket),
	    cmocka_unit_test(test_pg_syntax_error),
	    cmocka_unit_test(test_pg_psycopg2),
	    cmocka_unit_test(test_mariadb_select_tcp_and_socket),
	    cmocka_unit_test(test_mariadb_syntax_error),
	    cmocka_unit_test(test_pg_tls),
	    cmocka_unit_test(test_mariadb_tls),
	    cmocka_unit_test(test_busy_port_postgres),
	    cmocka_unit_test(test_busy_port_mariadb),
	    cmocka_unit_test(test_stop_removes_everything),
	};

	return cmocka_run_group_tests(tests, NULL, dbserver_group_teardown);
}

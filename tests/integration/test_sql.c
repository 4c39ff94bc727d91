/*
 * Integration: SQL capture against real servers and real clients. Each client
 * runs as a fresh process that `aisec-rt watch` follows from before its exec;
 * the sql events in the agent's NDJSON output are asserted exactly: query
 * text, outcome, SQLSTATE / error code, truncation, users, databases, servers.
 * PostgreSQL 15 and MariaDB run from Debian's packages in temporary
 * directories (tests/lib/dbserver), on 127.0.0.1 and on a unix socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "dbserver.h"
#include "testutil.h"

static struct dbserver pg, my, pg_tls, my_tls;
static char *tmp;

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0; /* each test then skips or fails per tu_require_root */
	tmp = tu_tmpdir();
	if (!tmp)
		return -1;
	if (dbserver_start_postgres(&pg, false) || dbserver_start_mariadb(&my, false) ||
	    dbserver_start_postgres(&pg_tls, true) || dbserver_start_mariadb(&my_tls, true)) {
		print_error("cannot start the database servers: %s\n", dbserver_last_error());
		dbserver_stop_all();
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	dbserver_group_teardown(state);
	if (tmp) {
		tu_rmtree(tmp);
		free(tmp);
	}
	return 0;
}

/* Run argv as a process watched from before its exec; the agent's events
 * (and only those of that tree) come back as a cJSON array. extra: more
 * agent arguments (NULL-terminated) or NULL. */
static cJSON *run_watched(const char *const *argv, const char *const *extra, int *client_status)
{
	char out[512], pidstr[16];
	const char *args[40] = { "watch", pidstr, "--format", "json", "--output", out };
	struct tu_agent agent;
	int go[2], n = 6, rc, status;
	static int seq;
	pid_t child;
	cJSON *events;
	char c;

	static char ports[4][32];
	const struct dbserver *dbs[4] = { &pg, &pg_tls, &my, &my_tls };

	snprintf(out, sizeof(out), "%s/events-%d.json", tmp, seq++);
	/* The test servers listen on free ports, not on 5432 and 3306. */
	for (int i = 0; i < 4; i++) {
		snprintf(ports[i], sizeof(ports[i]), "%d=%s", dbs[i]->port, dbs[i]->kind == DB_POSTGRES ? "postgres" : "mysql");
		args[n++] = "--db-port";
		args[n++] = ports[i];
	}
	for (int i = 0; extra && extra[i] && n < 38; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int devnull = open("/dev/null", O_RDWR);

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(120);
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(go[0]);
	snprintf(pidstr, sizeof(pidstr), "%d", child);
	rc = tu_agent_start(&agent, "watching pid", 30, args);
	if (rc) {
		print_error("agent stderr:\n%s\n", agent.err);
		kill(child, SIGKILL);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(child, &status, 0), child);
	*client_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	rc = tu_agent_wait(&agent, 30);
	if (rc != 0)
		print_error("agent exit %d, stderr:\n%s\n", rc, agent.err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(agent.err, "records dropped: 0 "));
	if (getenv("AISEC_TEST_VERBOSE"))
		print_message("agent stderr:\n%s\n", agent.err);
	events = tu_read_ndjson(out);
	assert_non_null(events);
	return events;
}

/* The sql events, in order. */
static int sql_events(cJSON *events, cJSON **out, int max)
{
	int n = 0;
	cJSON *e;

	cJSON_ArrayForEach(e, events)
	{
		cJSON *kind = cJSON_GetObjectItem(e, "kind"); /* evidence records have none */

		if (cJSON_IsString(kind) && strcmp(kind->valuestring, "sql") == 0 && n < max)
			out[n++] = cJSON_GetObjectItem(e, "sql");
	}
	return n;
}

/* The first sql event with this message kind (any when NULL) whose query
 * equals text (NULL if none). */
static cJSON *find_msg(cJSON *events, const char *message, const char *text)
{
	cJSON *list[256];
	int n = sql_events(events, list, 256);

	for (int i = 0; i < n; i++) {
		cJSON *q = cJSON_GetObjectItem(list[i], "query");
		cJSON *m = cJSON_GetObjectItem(list[i], "message");

		if (cJSON_IsString(q) && strcmp(q->valuestring, text) == 0 &&
		    (!message || strcmp(m->valuestring, message) == 0))
			return list[i];
	}
	return NULL;
}

static cJSON *find_query(cJSON *events, const char *text)
{
	return find_msg(events, NULL, text);
}

/* All sql objects as one string (exec argv elsewhere in the output may hold
 * the same text, since the clients get their SQL on the command line). */
static char *sql_dump(cJSON *events)
{
	cJSON *list[256], *arr = cJSON_CreateArray();
	int n = sql_events(events, list, 256);
	char *s;

	for (int i = 0; i < n; i++)
		cJSON_AddItemReferenceToArray(arr, list[i]);
	s = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return s;
}

static const char *s_(cJSON *o, const char *k)
{
	cJSON *x = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(x) ? x->valuestring : "(absent)";
}

static long n_(cJSON *o, const char *k)
{
	cJSON *x = cJSON_GetObjectItem(o, k);

	assert_true(cJSON_IsNumber(x));
	return (long)x->valuedouble;
}

static void dump(cJSON *events)
{
	cJSON *list[256];
	int n = sql_events(events, list, 256);

	for (int i = 0; i < n; i++) {
		char *s = cJSON_PrintUnformatted(list[i]);

		print_message("  sql[%d] %.400s\n", i, s);
		free(s);
	}
}

static void pg_conninfo(const struct dbserver *db, bool sock, char *buf, size_t len)
{
	assert_int_equal(dbserver_pg_conninfo(db, sock, buf, len), 0);
}

/* psql over TCP and over the socket: simple query, syntax error. */
static void test_pg_simple_and_error(void **state)
{
	char ci[512], ci_sock[512], server[64];
	int st;
	cJSON *ev, *q;

	(void)state;
	tu_require_root();
	pg_conninfo(&pg, false, ci, sizeof(ci));
	pg_conninfo(&pg, true, ci_sock, sizeof(ci_sock));
	{
		const char *argv[] = { DBSERVER_PG_BINDIR "/psql", "-X", "-d", ci, "-c", "SELECT 41 + 1 AS answer",
				       "-c", "SELEC oops", NULL };

		ev = run_watched(argv, NULL, &st);
	}
	dump(ev);
	assert_int_not_equal(st, 0); /* the second command fails */
	q = find_query(ev, "SELECT 41 + 1 AS answer");
	assert_non_null(q);
	assert_string_equal(s_(q, "dialect"), "postgres");
	assert_string_equal(s_(q, "message"), "query");
	assert_string_equal(s_(q, "outcome"), "ok");
	assert_string_equal(s_(q, "command_tag"), "SELECT 1");
	assert_int_equal(n_(q, "rows"), 1);
	assert_string_equal(s_(q, "user"), "postgres");
	assert_string_equal(s_(q, "database"), "appdb");
	assert_string_equal(s_(q, "application_name"), "psql");
	snprintf(server, sizeof(server), "127.0.0.1:%d", pg.port);
	assert_string_equal(s_(q, "server"), server);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(q, "query_truncated")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(q, "startup_seen")));
	assert_true(n_(q, "latency_us") >= 0);
	q = find_query(ev, "SELEC oops");
	assert_non_null(q);
	assert_string_equal(s_(q, "outcome"), "error");
	assert_string_equal(s_(q, "sqlstate"), "42601");
	assert_non_null(strstr(s_(q, "error"), "syntax error"));
	cJSON_Delete(ev);

	/* The same over the unix socket. */
	{
		const char *argv[] = { DBSERVER_PG_BINDIR "/psql", "-X", "-d", ci_sock, "-c", "SELECT 'over the socket'",
				       NULL };

		ev = run_watched(argv, NULL, &st);
	}
	assert_int_equal(st, 0);
	q = find_query(ev, "SELECT 'over the socket'");
	assert_non_null(q);
	assert_string_equal(s_(q, "outcome"), "ok");
	assert_string_equal(s_(q, "server"), pg.socket_path);
	assert_string_equal(s_(q, "user"), "postgres");
	cJSON_Delete(ev);
}

/* pgbench -M extended: Parse with $1, Bind with a value not captured; and a
 * pipeline of two queries sent together. */
static void test_pg_extended_and_pipeline(void **state)
{
	char ci[512], script[512], pipe_script[512];
	const char *pipe_body = "\\startpipeline\nSELECT 11 AS first;\nSELECT 22 AS second;\n\\endpipeline\n";
	FILE *f;
	int st;
	cJSON *ev, *q;

	(void)state;
	tu_require_root();
	pg_conninfo(&pg, false, ci, sizeof(ci));
	snprintf(script, sizeof(script), "%s/ext.sql", tmp);
	snprintf(pipe_script, sizeof(pipe_script), "%s/pipe.sql", tmp);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("\\set uid 4242\nSELECT :uid::int + 1 AS next_id\n", f);
	fclose(f);
	f = fopen(pipe_script, "w");
	assert_non_null(f);
	fputs(pipe_body, f);
	fclose(f);
	{
		const char *argv[] = { DBSERVER_PG_BINDIR "/pgbench", "-n", "-M", "extended", "-t", "1", "-f", script,
				       ci, NULL };

		ev = run_watched(argv, NULL, &st);
	}
	dump(ev);
	assert_int_equal(st, 0);
	/* pgbench keeps the script's line end; Parse, then Bind+Execute. */
	q = find_msg(ev, "parse", "SELECT $1::int + 1 AS next_id\n");
	assert_non_null(q);
	assert_string_equal(s_(q, "outcome"), "ok");
	q = find_msg(ev, "execute", "SELECT $1::int + 1 AS next_id\n");
	assert_non_null(q);
	assert_string_equal(s_(q, "dialect"), "postgres");
	assert_string_equal(s_(q, "message"), "execute");
	assert_string_equal(s_(q, "outcome"), "ok");
	assert_int_equal(n_(q, "param_count"), 1);
	assert_int_equal((long)cJSON_GetArrayItem(cJSON_GetObjectItem(q, "param_lengths"), 0)->valuedouble, 4);
	assert_null(cJSON_GetObjectItem(q, "param_values"));
	{
		/* The bound value appears nowhere in the output. */
		char *all = sql_dump(ev);

		assert_null(strstr(all, "4242"));
		free(all);
	}
	cJSON_Delete(ev);

	{
		const char *argv[] = { DBSERVER_PG_BINDIR "/pgbench", "-n", "-M", "extended", "-t", "1", "-f", pipe_script,
				       ci, NULL };

		ev = run_watched(argv, NULL, &st);
	}
	dump(ev);
	assert_int_equal(st, 0);
	q = find_msg(ev, "execute", "SELECT 11 AS first;");
	assert_non_null(q);
	assert_string_equal(s_(q, "outcome"), "ok");
	q = find_msg(ev, "execute", "SELECT 22 AS second;");
	assert_non_null(q);
	assert_string_equal(s_(q, "outcome"), "ok");
	cJSON_Delete(ev);
}

/* A 100 KB query: cut at the capture size, flagged, true length reported. */
static void big_query(char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "SELECT length('");

	while (n < len - 8)
		buf[n++] = 'x';
	memcpy(buf + n, "') AS l", 8);
}

static void test_pg_big_query(void **state)
{
	static char sql[100 * 1024];
	char ci[512];
	int st;
	cJSON *ev, *list[64], *q = NULL;
	int n;

	(void)state;
	tu_require_root();
	big_query(sql, sizeof(sql));
	pg_conninfo(&pg, false, ci, sizeof(ci));
	{
		const char *argv[] = { DBSERVER_PG_BINDIR "/psql", "-X", "-d", ci, "-c", sql, "-c", "SELECT 'after'", NULL };

		ev = run_watched(argv, NULL, &st);
	}
	assert_int_equal(st, 0);
	n = sql_events(ev, list, 64);
	for (int i = 0; i < n; i++)
		if (strncmp(s_(list[i], "query"), "SELECT length('xxx", 18) == 0)
			q = list[i];
	assert_non_null(q);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(q, "query_truncated")));
	assert_int_equal(n_(q, "query_bytes"), strlen(sql));
	assert_true(strlen(s_(q, "query")) < strlen(sql));
	assert_string_equal(s_(q, "outcome"), "ok");
	/* The stream is still in sync after it. */
	q = find_query(ev, "SELECT 'after'");
	assert_non_null(q);
	assert_string_equal(s_(q, "outcome"), "ok");
	cJSON_Delete(ev);
}

/* A connection opened before the agent started (a pool): psycopg2 connects,
 * says so, waits; only then is it watched; its query is still captured. */
static void test_pg_connection_before_agent(void **state)
{
	char ci[512], pidstr[16], out[512], ready[8];
	const char *code =
		"import sys, psycopg2\n"
		"c = psycopg2.connect(sys.argv[1])\n"
		"c.autocommit = True\n"
		"print('ready', flush=True)\n"
		"sys.stdin.readline()\n"
		"cur = c.cursor()\n"
		"cur.execute(\"SELECT %s || '-pooled' AS v\", ('conn',))\n"
		"print(cur.fetchone()[0], flush=True)\n";
	struct tu_agent agent;
	int in[2], outp[2], status, rc;
	pid_t child;
	cJSON *ev, *q;

	(void)state;
	tu_require_root();
	pg_conninfo(&pg, false, ci, sizeof(ci));
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(outp), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		close(in[1]);
		close(outp[0]);
		execl(DBSERVER_PYTHON, DBSERVER_PYTHON, "-c", code, ci, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	assert_int_equal(read(outp[0], ready, 6), 6);
	assert_memory_equal(ready, "ready\n", 6);

	snprintf(pidstr, sizeof(pidstr), "%d", child);
	snprintf(out, sizeof(out), "%s/pooled.json", tmp);
	{
		char port[32];
		const char *args[] = { "watch", pidstr, "--format", "json", "--output", out, "--db-port", port, NULL };

		snprintf(port, sizeof(port), "%d=postgres", pg.port);
		rc = tu_agent_start(&agent, "watching pid", 30, args);
		if (rc)
			kill(child, SIGKILL);
		assert_int_equal(rc, 0);
	}
	assert_int_equal(write(in[1], "\n", 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(tu_agent_wait(&agent, 30), 0);
	ev = tu_read_ndjson(out);
	assert_non_null(ev);
	dump(ev);
	/* psycopg2 interpolates client-side: a simple query with the literal inline. */
	q = find_query(ev, "SELECT 'conn' || '-pooled' AS v");
	assert_non_null(q);
	assert_string_equal(s_(q, "message"), "query");
	assert_string_equal(s_(q, "outcome"), "ok");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(q, "startup_seen")));
	cJSON_Delete(ev);
	close(in[1]);
	close(outp[0]);
}

/* TLS: reported as encrypted once, and no query text made of ciphertext. */
static void test_pg_tls(void **state)
{
	char ci[512];
	int st, n;
	cJSON *ev, *list[64];

	(void)state;
	tu_require_root();
	pg_conninfo(&pg_tls, false, ci, sizeof(ci));
	assert_non_null(strstr(ci, "sslmode=require"));
	{
		const char *argv[] = { DBSERVER_PG_BINDIR "/psql", "-X", "-d", ci, "-c", "SELECT 'secret-query'", NULL };

		ev = run_watched(argv, NULL, &st);
	}
	dump(ev);
	assert_int_equal(st, 0);
	n = sql_events(ev, list, 64);
	assert_int_equal(n, 1);
	assert_string_equal(s_(list[0], "message"), "encrypted");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(list[0], "encrypted")));
	assert_null(cJSON_GetObjectItem(list[0], "query"));
	{
		char *all = sql_dump(ev);

		assert_null(strstr(all, "secret-query"));
		free(all);
	}
	cJSON_Delete(ev);
}

/* --sql-text redacted and none. */
static void test_pg_redaction(void **state)
{
	char ci[512];
	int st;
	cJSON *ev, *list[64];
	const char *redacted[] = { "--sql-text", "redacted", NULL };
	const char *none[] = { "--sql-text", "none", NULL };
	int n;

	(void)state;
	tu_require_root();
	pg_conninfo(&pg, false, ci, sizeof(ci));
	{
		const char *argv[] = { DBSERVER_PG_BINDIR "/psql", "-X", "-d", ci, "-c",
				       "SELECT 'alice' AS name, 42 AS n", NULL };

		ev = run_watched(argv, redacted, &st);
		assert_int_equal(st, 0);
		assert_non_null(find_query(ev, "SELECT ? AS name, ? AS n"));
		{
			char *all = sql_dump(ev);

			assert_null(strstr(all, "alice"));
			free(all);
		}
		cJSON_Delete(ev);
		ev = run_watched(argv, none, &st);
		assert_int_equal(st, 0);
		n = sql_events(ev, list, 64);
		assert_true(n >= 1);
		for (int i = 0; i < n; i++)
			assert_null(cJSON_GetObjectItem(list[i], "query"));
		cJSON_Delete(ev);
	}
}

static void mariadb_argv(const struct dbserver *db, bool sock, const char *sql, const char **argv, char *portbuf)
{
	int n = 0;

	argv[n++] = "/usr/bin/mariadb";
	argv[n++] = "-B";
	argv[n++] = "-N";
	argv[n++] = "-u" DBSERVER_APP_USER;
	argv[n++] = "-p" DBSERVER_APP_PASSWORD;
	if (sock) {
		argv[n++] = "-S";
		argv[n++] = db->socket_path;
	} else {
		snprintf(portbuf, 16, "%d", db->port);
		argv[n++] = "-h127.0.0.1";
		argv[n++] = "-P";
		argv[n++] = portbuf;
		argv[n++] = db->tls ? "--ssl" : "--skip-ssl";
	}
	argv[n++] = DBSERVER_DB;
	argv[n++] = "-e";
	argv[n++] = sql;
	argv[n] = NULL;
}

static void test_mariadb(void **state)
{
	static char big[100 * 1024];
	const char *argv[24];
	char port[16], server[64];
	int st, n;
	cJSON *ev, *q, *list[64];

	(void)state;
	tu_require_root();
	/* TCP: ok query and a syntax error in one session. */
	mariadb_argv(&my, false, "SELECT 6 * 7 AS answer; SELEC oops", argv, port);
	ev = run_watched(argv, NULL, &st);
	dump(ev);
	assert_int_not_equal(st, 0);
	snprintf(server, sizeof(server), "127.0.0.1:%d", my.port);
	q = find_query(ev, "SELECT 6 * 7 AS answer");
	assert_non_null(q);
	assert_string_equal(s_(q, "dialect"), "mysql");
	assert_string_equal(s_(q, "message"), "query");
	assert_string_equal(s_(q, "outcome"), "ok");
	assert_int_equal(n_(q, "rows"), 1);
	assert_string_equal(s_(q, "user"), "app");
	assert_string_equal(s_(q, "database"), "appdb");
	assert_string_equal(s_(q, "server"), server);
	q = find_query(ev, "SELEC oops");
	assert_non_null(q);
	assert_string_equal(s_(q, "outcome"), "error");
	assert_int_equal(n_(q, "error_code"), 1064);
	assert_string_equal(s_(q, "sqlstate"), "42000");
	assert_non_null(strstr(s_(q, "error"), "SQL syntax"));
	cJSON_Delete(ev);

	/* Unix socket. */
	mariadb_argv(&my, true, "SELECT 'via socket'", argv, port);
	ev = run_watched(argv, NULL, &st);
	assert_int_equal(st, 0);
	q = find_query(ev, "SELECT 'via socket'");
	assert_non_null(q);
	assert_string_equal(s_(q, "server"), my.socket_path);
	assert_string_equal(s_(q, "outcome"), "ok");
	cJSON_Delete(ev);

	/* 100 KB query. */
	big_query(big, sizeof(big));
	mariadb_argv(&my, false, big, argv, port);
	ev = run_watched(argv, NULL, &st);
	assert_int_equal(st, 0);
	n = sql_events(ev, list, 64);
	q = NULL;
	for (int i = 0; i < n; i++)
		if (strncmp(s_(list[i], "query"), "SELECT length('xxx", 18) == 0)
			q = list[i];
	assert_non_null(q);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(q, "query_truncated")));
	assert_int_equal(n_(q, "query_bytes"), strlen(big));
	assert_string_equal(s_(q, "outcome"), "ok");
	cJSON_Delete(ev);

	/* TLS. */
	mariadb_argv(&my_tls, false, "SELECT 'secret-query'", argv, port);
	ev = run_watched(argv, NULL, &st);
	dump(ev);
	assert_int_equal(st, 0);
	n = sql_events(ev, list, 64);
	assert_int_equal(n, 1);
	assert_string_equal(s_(list[0], "message"), "encrypted");
	{
		char *all = sql_dump(ev);

		assert_null(strstr(all, "secret-query"));
		free(all);
	}
	cJSON_Delete(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_simple_and_error),
		cmocka_unit_test(test_pg_extended_and_pipeline),
		cmocka_unit_test(test_pg_big_query),
		cmocka_unit_test(test_pg_connection_before_agent),
		cmocka_unit_test(test_pg_tls),
		cmocka_unit_test(test_pg_redaction),
		cmocka_unit_test(test_mariadb),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

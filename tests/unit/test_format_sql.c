/*
 * Unit tests for the sql events of agent/format.c: the "sql" object of the
 * aisec.event.v1 JSON line and the text line, for events built by hand
 * (struct sql_event with its struct sql_query and struct sql_session) as
 * sqlcap hands them over. Every JSON line is parsed with cJSON and the "sql"
 * object's keys are compared in order, so a key that should be absent is
 * caught too; every value is compared exactly. Text lines are compared whole.
 * Both kinds of line must be one line: no raw control byte, one newline at
 * the end. Text times are local: main() sets TZ=UTC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"

/* Boot time 5.123456789 s; the wall clock then read 2025-11-25T12:00:00.123456789Z. */
#define TS_BOOT 5123456789ull
#define BOOT_TO_WALL (1764072000000000000ll - 5000000000ll)
#define PREFIX "12:00:00.123456 sql     psql[4242] ppid=4000 uid=0 "

/* One sql event and the record it came with; the pointers point inside. */
struct fx {
	struct aisec_hdr h;
	struct event ev;
	struct sql_query q;
	struct sql_session s;
	struct sql_event se;
	struct enriched e;
	struct strbuf scratch;
	struct format_ctx fc;
};

/* A PostgreSQL simple query that succeeded, as in docs/events.md. */
static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->h.ts_ns = TS_BOOT;
	f->h.kind = AISEC_EV_PAYLOAD;
	f->h.pid = 4242;
	f->h.tid = 4242;
	f->h.ppid = 4000;
	f->h.uid = 0;
	f->h.cgroup_id = 1;
	f->ev.hdr = &f->h;
	f->ev.kind = AISEC_EV_PAYLOAD;
	strcpy(f->ev.comm, "psql");

	f->q.kind = SQL_MSG_QUERY;
	f->q.text = "SELECT 41 + 1 AS answer";
	f->q.text_len = 23;
	f->q.text_total = 23;
	f->q.statement = "";
	f->q.portal = "";
	f->q.param_count = -1;
	f->q.outcome = SQL_OUTCOME_OK;
	f->q.error_message = "";
	f->q.command_tag = "SELECT 1";
	f->q.rows = 1;
	f->q.ts_request = 1000000000ull;
	f->q.ts_response = 1000412000ull;

	f->s.dialect = SQL_DIALECT_POSTGRES;
	f->s.user = "postgres";
	f->s.database = "appdb";
	f->s.application_name = "psql";
	f->s.startup_seen = true;
	f->s.server_version = "16.4";

	f->se.q = &f->q;
	f->se.s = &f->s;
	f->se.dialect = SQL_DIALECT_POSTGRES;
	f->se.server = "127.0.0.1:39045";
	f->se.conn_id = 51514;
	f->se.pid = 4242;
	f->se.tid = 4242;

	f->e.ev = &f->ev;
	f->e.sql = &f->se;

	f->fc.host = "node-1";
	f->fc.boot_to_wall_ns = BOOT_TO_WALL;
	f->fc.sql_text = SQL_TEXT_FULL;
	f->fc.scratch = &f->scratch;
}

static void fx_free(struct fx *f)
{
	strbuf__free(&f->scratch);
}

/* The line is one line: no control byte (for text, no DEL either: JSON
 * allows it raw), then exactly one '\n'. Returns a copy without it. */
static char *one_line(const struct strbuf *out, bool text)
{
	char *s;

	assert_false(out->oom);
	assert_true(out->len >= 2);
	assert_int_equal(strlen(out->data), out->len);
	assert_int_equal(out->data[out->len - 1], '\n');
	for (size_t i = 0; i + 1 < out->len; i++) {
		unsigned char c = (unsigned char)out->data[i];

		if (c < 0x20 || (text && c == 0x7f))
			fail_msg("raw control byte 0x%02x at %zu in: %s", c, i, out->data);
	}
	s = strndup(out->data, out->len - 1);
	assert_non_null(s);
	return s;
}

/* format__json, parsed; *sql gets its "sql" object. */
static cJSON *json_of(struct fx *f, const cJSON **sql)
{
	static const char *const top[] = {"schema", "time", "boot_ns", "kind", "host", "process", "sql"};
	struct strbuf out = STRBUF_INIT;
	const cJSON *it;
	cJSON *root;
	char *line;
	size_t n = 0;

	format__json(&out, &f->fc, &f->e);
	line = one_line(&out, false);
	root = cJSON_ParseWithOpts(line, NULL, true);
	if (!root)
		fail_msg("not JSON: %s", line);
	cJSON_ArrayForEach(it, root)
	{
		assert_true(n < sizeof(top) / sizeof(top[0]));
		assert_string_equal(it->string, top[n++]);
	}
	assert_int_equal(n, sizeof(top) / sizeof(top[0]));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "kind")->valuestring, "sql");
	assert_int_equal(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "process"), "pid")->valuedouble,
	    4242);
	*sql = cJSON_GetObjectItemCaseSensitive(root, "sql");
	assert_true(cJSON_IsObject(*sql));
	free(line);
	strbuf__free(&out);
	return root;
}

/* The JSON line as written, without its newline. */
static char *json_raw(struct fx *f)
{
	struct strbuf out = STRBUF_INIT;
	char *line;

	format__json(&out, &f->fc, &f->e);
	line = one_line(&out, false);
	strbuf__free(&out);
	return line;
}

/* format__text without its time/kind/process prefix (checked here). */
static char *text_of(struct fx *f)
{
	struct strbuf out = STRBUF_INIT;
	char *line, *rest;

	format__text(&out, &f->fc, &f->e);
	line = one_line(&out, true);
	if (strncmp(line, PREFIX, strlen(PREFIX)) != 0)
		fail_msg("prefix: %s", line);
	rest = strdup(line + strlen(PREFIX));
	assert_non_null(rest);
	free(line);
	strbuf__free(&out);
	return rest;
}

/* The object's keys are exactly keys (NULL-terminated), in this order. */
static void expect_keys(const cJSON *o, const char *const *keys)
{
	const cJSON *it;
	size_t n = 0;

	cJSON_ArrayForEach(it, o)
	{
		if (!keys[n])
			fail_msg("unexpected key \"%s\"", it->string);
		if (strcmp(it->string, keys[n]) != 0)
			fail_msg("key %zu: \"%s\", expected \"%s\"", n, it->string, keys[n]);
		n++;
	}
	if (keys[n])
		fail_msg("missing key \"%s\"", keys[n]);
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v))
		fail_msg("\"%s\" is not a string", key);
	return v->valuestring;
}

static double jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is not a number", key);
	return v->valuedouble;
}

static bool jbool(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsBool(v))
		fail_msg("\"%s\" is not a boolean", key);
	return cJSON_IsTrue(v);
}

/* The keys every event with a query has, around its message-specific ones. */
#define HEAD "dialect", "message", "query", "query_truncated", "query_bytes"
#define SESSION "user", "database", "application_name", "server", "connection", "encrypted", "startup_seen"
#define SESSION_NOAPP "user", "database", "server", "connection", "encrypted", "startup_seen"

static void expect_session(const cJSON *sql, const char *user, const char *db, const char *server, double conn,
			   bool startup_seen)
{
	assert_string_equal(jstr(sql, "user"), user);
	assert_string_equal(jstr(sql, "database"), db);
	assert_string_equal(jstr(sql, "server"), server);
	assert_true(jnum(sql, "connection") == conn);
	assert_false(jbool(sql, "encrypted"));
	assert_true(jbool(sql, "startup_seen") == startup_seen);
}

/* ---- tests ---- */

static void test_pg_query_ok(void **state)
{
	static const char *const keys[] = {HEAD, SESSION, "outcome", "command_tag", "rows", "latency_us", NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "dialect"), "postgres");
	assert_string_equal(jstr(sql, "message"), "query");
	assert_string_equal(jstr(sql, "query"), "SELECT 41 + 1 AS answer");
	assert_false(jbool(sql, "query_truncated"));
	assert_true(jnum(sql, "query_bytes") == 23);
	expect_session(sql, "postgres", "appdb", "127.0.0.1:39045", 51514, true);
	assert_string_equal(jstr(sql, "application_name"), "psql");
	assert_string_equal(jstr(sql, "outcome"), "ok");
	assert_string_equal(jstr(sql, "command_tag"), "SELECT 1");
	assert_true(jnum(sql, "rows") == 1);
	assert_true(jnum(sql, "latency_us") == 412);
	cJSON_Delete(root);

	text = text_of(&f);
	assert_string_equal(
	    text, "postgres postgres@appdb 127.0.0.1:39045 query \"SELECT 41 + 1 AS answer\" = ok SELECT 1 (0.412 ms)");
	free(text);
	fx_free(&f);
}

static void test_pg_error(void **state)
{
	static const char *const keys[] = {HEAD, SESSION, "outcome", "sqlstate", "error", "latency_us", NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.q.text = "SELEC 1";
	f.q.text_len = f.q.text_total = 7;
	f.q.outcome = SQL_OUTCOME_ERROR;
	strcpy(f.q.sqlstate, "42601");
	f.q.error_message = "syntax error at or near \"SELEC\"";
	f.q.command_tag = "";
	f.q.rows = 0;
	f.q.ts_response = f.q.ts_request + 250000;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "outcome"), "error");
	assert_string_equal(jstr(sql, "sqlstate"), "42601");
	assert_string_equal(jstr(sql, "error"), "syntax error at or near \"SELEC\"");
	assert_true(jnum(sql, "latency_us") == 250);
	assert_true(jnum(sql, "query_bytes") == 7);
	cJSON_Delete(root);

	text = text_of(&f);
	assert_string_equal(text, "postgres postgres@appdb 127.0.0.1:39045 query \"SELEC 1\" = error 42601 "
				  "\"syntax error at or near \\\"SELEC\\\"\" (0.250 ms)");
	free(text);
	fx_free(&f);
}

static void test_mysql_error(void **state)
{
	static const char *const keys[] = {HEAD,	 SESSION_NOAPP, "outcome",    "sqlstate",
					   "error_code", "error",	"latency_us", NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.se.dialect = f.s.dialect = SQL_DIALECT_MYSQL;
	f.se.server = "[::1]:3306";
	f.s.user = "app";
	f.s.database = "shop";
	f.s.application_name = "";
	f.q.text = "SELEC 1";
	f.q.text_len = f.q.text_total = 7;
	f.q.outcome = SQL_OUTCOME_ERROR;
	strcpy(f.q.sqlstate, "42000");
	f.q.error_code = 1064;
	f.q.error_message = "You have an error in your SQL syntax";
	f.q.command_tag = "";
	f.q.rows = 0;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "dialect"), "mysql");
	expect_session(sql, "app", "shop", "[::1]:3306", 51514, true);
	assert_string_equal(jstr(sql, "outcome"), "error");
	assert_string_equal(jstr(sql, "sqlstate"), "42000");
	assert_true(jnum(sql, "error_code") == 1064);
	assert_string_equal(jstr(sql, "error"), "You have an error in your SQL syntax");
	cJSON_Delete(root);

	text = text_of(&f);
	assert_string_equal(text, "mysql app@shop [::1]:3306 query \"SELEC 1\" = error 1064 42000 "
				  "\"You have an error in your SQL syntax\" (0.412 ms)");
	free(text);

	f.q.error_code = 1146;
	strcpy(f.q.sqlstate, "42S02");
	f.q.error_message = "Table 'shop.x' doesn't exist";
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_true(jnum(sql, "error_code") == 1146);
	assert_string_equal(jstr(sql, "sqlstate"), "42S02");
	assert_string_equal(jstr(sql, "error"), "Table 'shop.x' doesn't exist");
	cJSON_Delete(root);
	text = text_of(&f);
	assert_non_null(strstr(text, " = error 1146 42S02 \"Table 'shop.x' doesn't exist\" (0.412 ms)"));
	free(text);
	fx_free(&f);
}

/* MySQL OK: no tag, the affected rows; init_db: no statement, no param_count. */
static void test_mysql_ok_and_init_db(void **state)
{
	static const char *const keys[] = {HEAD, SESSION_NOAPP, "outcome", "rows", "latency_us", NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.se.dialect = f.s.dialect = SQL_DIALECT_MYSQL;
	f.se.server = "/run/mysqld/mysqld.sock";
	f.s.user = "app";
	f.s.database = "";
	f.s.application_name = "";
	f.q.text = "UPDATE t SET a = 1";
	f.q.text_len = f.q.text_total = 18;
	f.q.command_tag = "";
	f.q.rows = 3;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	expect_session(sql, "app", "", "/run/mysqld/mysqld.sock", 51514, true);
	assert_true(jnum(sql, "rows") == 3);
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(text,
			    "mysql app@? /run/mysqld/mysqld.sock query \"UPDATE t SET a = 1\" = ok rows=3 (0.412 ms)");
	free(text);

	f.q.kind = SQL_MSG_INIT_DB;
	f.q.text = "shop";
	f.q.text_len = f.q.text_total = 4;
	f.q.rows = 0;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "message"), "init_db");
	assert_string_equal(jstr(sql, "query"), "shop");
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(text, "mysql app@? /run/mysqld/mysqld.sock init_db \"shop\" = ok rows=0 (0.412 ms)");
	free(text);
	fx_free(&f);
}

static const char *const VALUES[] = {"1234", "", "alice"};

static void fx_execute(struct fx *f)
{
	f->q.kind = SQL_MSG_EXECUTE;
	f->q.text = "SELECT * FROM t WHERE id = $1 AND note = $2 AND name = $3";
	f->q.text_len = f->q.text_total = strlen(f->q.text);
	f->q.statement = "s1";
	f->q.param_count = 3;
	f->q.param_lengths[0] = 4;
	f->q.param_lengths[1] = -1;
	f->q.param_lengths[2] = 5;
	f->q.param_lengths[3] = 99; /* beyond param_count: never shown */
	f->q.param_types[0] = 23;
}

static void expect_int_array(const cJSON *o, const char *key, const int *want, size_t n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsArray(a));
	assert_int_equal(cJSON_GetArraySize(a), n);
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetArrayItem(a, (int)i);

		assert_true(cJSON_IsNumber(v));
		assert_true(v->valuedouble == want[i]);
	}
}

/* param_values only when the decoder kept them AND --sql-text is full. */
static void test_pg_execute_params(void **state)
{
	static const char *const with_values[] = {HEAD,		  "statement",	"param_count", "param_lengths",
						  "param_values", SESSION,	"outcome",     "command_tag",
						  "rows",	  "latency_us", NULL};
	static const char *const without[] = {HEAD,	 "statement",	"param_count", "param_lengths", SESSION,
					      "outcome", "command_tag", "rows",	       "latency_us",	NULL};
	static const char *const no_text[] = {
	    "dialect", "message", "query_truncated", "query_bytes", "statement",  "param_count", "param_lengths",
	    SESSION,   "outcome", "command_tag",     "rows",	    "latency_us", NULL};
	static const int lengths[] = {4, -1, 5};
	static const struct {
		bool kept;
		enum sql_text_mode mode;
		const char *const *keys;
		const char *text;
	} cases[] = {
	    {true, SQL_TEXT_FULL, with_values,
	     " stmt=s1 \"SELECT * FROM t WHERE id = $1 AND note = $2 AND name = $3\" params=3"},
	    {false, SQL_TEXT_FULL, without,
	     " stmt=s1 \"SELECT * FROM t WHERE id = $1 AND note = $2 AND name = $3\" params=3"},
	    {true, SQL_TEXT_REDACTED, without,
	     " stmt=s1 \"SELECT * FROM t WHERE id = $1 AND note = $2 AND name = $3\" params=3"},
	    {true, SQL_TEXT_NONE, no_text, " stmt=s1 params=3"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		const cJSON *sql, *vals;
		cJSON *root;
		char *text, want[256];

		fx_init(&f);
		fx_execute(&f);
		f.fc.sql_text = cases[i].mode;
		if (cases[i].kept)
			f.q.param_values = VALUES;
		root = json_of(&f, &sql);
		expect_keys(sql, cases[i].keys);
		assert_string_equal(jstr(sql, "message"), "execute");
		assert_string_equal(jstr(sql, "statement"), "s1");
		assert_true(jnum(sql, "param_count") == 3);
		expect_int_array(sql, "param_lengths", lengths, 3);
		vals = cJSON_GetObjectItemCaseSensitive(sql, "param_values");
		if (cases[i].keys == with_values) {
			assert_true(cJSON_IsArray(vals));
			assert_int_equal(cJSON_GetArraySize(vals), 3);
			for (int k = 0; k < 3; k++)
				assert_string_equal(cJSON_GetArrayItem(vals, k)->valuestring, VALUES[k]);
		}
		if (cases[i].mode != SQL_TEXT_NONE)
			assert_string_equal(jstr(sql, "query"), f.q.text);
		cJSON_Delete(root);

		text = text_of(&f);
		snprintf(want, sizeof(want),
			 "postgres postgres@appdb 127.0.0.1:39045 execute%s = ok SELECT 1 (0.412 ms)", cases[i].text);
		assert_string_equal(text, want);
		/* Values never appear in text lines. */
		assert_null(strstr(text, "alice"));
		free(text);
		fx_free(&f);
	}
}

/* More values than kept: the count is exact, the arrays hold SQL_MAX_PARAMS;
 * none; and a count the decoder lost. */
static void test_pg_execute_param_counts(void **state)
{
	static const char *vals[SQL_MAX_PARAMS];
	int lengths[SQL_MAX_PARAMS];
	struct fx f;
	const cJSON *sql, *a;
	cJSON *root;

	(void)state;
	fx_init(&f);
	fx_execute(&f);
	f.q.param_count = 40;
	for (int i = 0; i < SQL_MAX_PARAMS; i++) {
		f.q.param_lengths[i] = lengths[i] = i;
		vals[i] = i % 2 ? "odd" : "even";
	}
	f.q.param_values = vals;
	root = json_of(&f, &sql);
	assert_true(jnum(sql, "param_count") == 40);
	expect_int_array(sql, "param_lengths", lengths, SQL_MAX_PARAMS);
	a = cJSON_GetObjectItemCaseSensitive(sql, "param_values");
	assert_int_equal(cJSON_GetArraySize(a), SQL_MAX_PARAMS);
	assert_string_equal(cJSON_GetArrayItem(a, SQL_MAX_PARAMS - 1)->valuestring, "odd");
	cJSON_Delete(root);

	/* No parameters: empty arrays. */
	f.q.param_count = 0;
	root = json_of(&f, &sql);
	assert_true(jnum(sql, "param_count") == 0);
	expect_int_array(sql, "param_lengths", lengths, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sql, "param_values")), 0);
	cJSON_Delete(root);

	/* The Bind was not captured far enough to know the count (pgwire: -1). */
	f.q.param_count = -1;
	root = json_of(&f, &sql);
	assert_null(cJSON_GetObjectItemCaseSensitive(sql, "param_count"));
	assert_null(cJSON_GetObjectItemCaseSensitive(sql, "param_lengths"));
	assert_null(cJSON_GetObjectItemCaseSensitive(sql, "param_values"));
	assert_string_equal(jstr(sql, "statement"), "s1");
	cJSON_Delete(root);
	fx_free(&f);
}

/* parse (PG and MySQL) and MySQL execute: statement and count, no lengths. */
static void test_parse_and_mysql_execute(void **state)
{
	static const char *const keys[] = {HEAD,	  "statement", "param_count", SESSION, "outcome",
					   "command_tag", "rows",      "latency_us",  NULL};
	static const char *const my_keys[] = {HEAD,	 "statement", "param_count", SESSION_NOAPP,
					      "outcome", "rows",      "latency_us",  NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.q.kind = SQL_MSG_PARSE;
	f.q.text = "SELECT $1::int";
	f.q.text_len = f.q.text_total = 14;
	f.q.statement = "";
	f.q.param_count = 1;
	f.q.command_tag = "PARSE";
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "message"), "parse");
	assert_string_equal(jstr(sql, "statement"), "");
	assert_true(jnum(sql, "param_count") == 1);
	cJSON_Delete(root);
	text = text_of(&f);
	/* The unnamed statement is not shown. */
	assert_string_equal(
	    text, "postgres postgres@appdb 127.0.0.1:39045 parse \"SELECT $1::int\" params=1 = ok PARSE (0.412 ms)");
	free(text);

	f.se.dialect = f.s.dialect = SQL_DIALECT_MYSQL;
	f.s.application_name = "";
	f.q.kind = SQL_MSG_EXECUTE;
	f.q.text = "SELECT ? + ?";
	f.q.text_len = f.q.text_total = 12;
	f.q.statement = "7";
	f.q.param_count = 2;
	f.q.param_lengths[0] = 8;
	f.q.param_values = VALUES; /* never set for MySQL; ignored if it were */
	f.q.command_tag = "";
	f.q.rows = 1;
	root = json_of(&f, &sql);
	expect_keys(sql, my_keys);
	assert_string_equal(jstr(sql, "dialect"), "mysql");
	assert_string_equal(jstr(sql, "message"), "execute");
	assert_string_equal(jstr(sql, "statement"), "7");
	assert_true(jnum(sql, "param_count") == 2);
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(
	    text,
	    "mysql postgres@appdb 127.0.0.1:39045 execute stmt=7 \"SELECT ? + ?\" params=2 = ok rows=1 (0.412 ms)");
	free(text);
	fx_free(&f);
}

static void test_encrypted_notice(void **state)
{
	static const char *const keys[] = {"dialect", "message", SESSION_NOAPP, NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.se.q = NULL;
	f.se.server = "/var/run/postgresql/.s.PGSQL.5432";
	f.s.user = "";
	f.s.database = "";
	f.s.application_name = "";
	f.s.startup_seen = false;
	f.s.encrypted = true;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "dialect"), "postgres");
	assert_string_equal(jstr(sql, "message"), "encrypted");
	assert_string_equal(jstr(sql, "user"), "");
	assert_string_equal(jstr(sql, "database"), "");
	assert_string_equal(jstr(sql, "server"), "/var/run/postgresql/.s.PGSQL.5432");
	assert_true(jnum(sql, "connection") == 51514);
	assert_true(jbool(sql, "encrypted"));
	assert_false(jbool(sql, "startup_seen"));
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(text, "postgres /var/run/postgresql/.s.PGSQL.5432 encrypted");
	free(text);

	/* A MySQL session that went TLS after its startup was seen. */
	f.se.dialect = f.s.dialect = SQL_DIALECT_MYSQL;
	f.s.user = "app";
	f.s.startup_seen = true;
	f.se.server = "10.1.2.3:3306";
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "dialect"), "mysql");
	assert_string_equal(jstr(sql, "user"), "app");
	assert_true(jbool(sql, "startup_seen"));
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(text, "mysql app@? 10.1.2.3:3306 encrypted");
	free(text);
	fx_free(&f);
}

static void test_truncated(void **state)
{
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text, *sqltext = malloc(4088), *want = malloc(8192);

	(void)state;
	assert_non_null(sqltext);
	assert_non_null(want);
	memset(sqltext, 'x', 4087);
	memcpy(sqltext, "INSERT INTO t VALUES ('", 23);
	sqltext[4087] = '\0';
	fx_init(&f);
	f.q.text = sqltext;
	f.q.text_len = 4087;
	f.q.text_total = 102400;
	f.q.truncated = true;
	f.q.command_tag = "INSERT 0 1";
	root = json_of(&f, &sql);
	assert_true(jbool(sql, "query_truncated"));
	assert_true(jnum(sql, "query_bytes") == 102400);
	assert_int_equal(strlen(jstr(sql, "query")), 4087);
	assert_string_equal(jstr(sql, "query"), sqltext);
	cJSON_Delete(root);
	text = text_of(&f);
	snprintf(
	    want, 8192,
	    "postgres postgres@appdb 127.0.0.1:39045 query \"%s\" [4087 of 102400 bytes] = ok INSERT 0 1 (0.412 ms)",
	    sqltext);
	assert_string_equal(text, want);
	free(text);

	/* Redacted: the unterminated literal is gone, the marker stays. */
	f.fc.sql_text = SQL_TEXT_REDACTED;
	root = json_of(&f, &sql);
	assert_string_equal(jstr(sql, "query"), "INSERT INTO t VALUES (?");
	assert_true(jbool(sql, "query_truncated"));
	assert_true(jnum(sql, "query_bytes") == 102400);
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(text, "postgres postgres@appdb 127.0.0.1:39045 query \"INSERT INTO t VALUES (?\" "
				  "[4087 of 102400 bytes] = ok INSERT 0 1 (0.412 ms)");
	free(text);
	fx_free(&f);
	free(sqltext);
	free(want);
}

static void test_latency(void **state)
{
	static const struct {
		__u64 req, resp;
		double us; /* -1: absent */
		const char *tail;
	} cases[] = {
	    {1000, 413999, 412, " (0.413 ms)"},
	    {7000000, 7000000, 0, " (0.000 ms)"},
	    {7000000, 9500000000ull, 9493000, " (9493.000 ms)"},
	    {5000, 0, -1, ""},
	    {5000, 4000, -1, ""},
	    {0, 0, -1, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		const cJSON *sql;
		cJSON *root;
		char *text, want[256];

		fx_init(&f);
		f.q.ts_request = cases[i].req;
		f.q.ts_response = cases[i].resp;
		root = json_of(&f, &sql);
		if (cases[i].us < 0)
			assert_null(cJSON_GetObjectItemCaseSensitive(sql, "latency_us"));
		else
			assert_true(jnum(sql, "latency_us") == cases[i].us);
		cJSON_Delete(root);
		text = text_of(&f);
		snprintf(want, sizeof(want),
			 "postgres postgres@appdb 127.0.0.1:39045 query \"SELECT 41 + 1 AS answer\" = ok SELECT 1%s",
			 cases[i].tail);
		assert_string_equal(text, want);
		free(text);
		fx_free(&f);
	}
}

/* Unknown outcome (connection closed): no error keys, no rows, no latency. */
static void test_unknown_outcome(void **state)
{
	static const char *const keys[] = {HEAD, SESSION, "outcome", NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.q.outcome = SQL_OUTCOME_UNKNOWN;
	f.q.command_tag = "";
	f.q.rows = 0;
	f.q.ts_response = 0;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "outcome"), "unknown");
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(text,
			    "postgres postgres@appdb 127.0.0.1:39045 query \"SELECT 41 + 1 AS answer\" = unknown");
	free(text);
	fx_free(&f);
}

static void test_redacted(void **state)
{
	static const char *const keys[] = {HEAD, SESSION, "outcome", "command_tag", "rows", "latency_us", NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.fc.sql_text = SQL_TEXT_REDACTED;
	f.q.text = "SELECT * FROM t WHERE a = 'x' AND b = 42";
	f.q.text_len = f.q.text_total = 40;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_string_equal(jstr(sql, "query"), "SELECT * FROM t WHERE a = ? AND b = ?");
	assert_true(jnum(sql, "query_bytes") == 40);
	assert_false(jbool(sql, "query_truncated"));
	cJSON_Delete(root);
	/* Exactly the redacted text: nothing after it (cJSON would stop at a NUL). */
	text = json_raw(&f);
	assert_non_null(strstr(text, ",\"query\":\"SELECT * FROM t WHERE a = ? AND b = ?\",\"query_truncated\":"));
	assert_null(strstr(text, "'x'"));
	free(text);
	text = text_of(&f);
	assert_string_equal(text,
			    "postgres postgres@appdb 127.0.0.1:39045 query \"SELECT * FROM t WHERE a = ? AND b = ?\" "
			    "= ok SELECT 1 (0.412 ms)");
	free(text);

	/* The scratch buffer is reused: a shorter query leaves nothing of the longer one. */
	f.q.text = "SELECT 'y'";
	f.q.text_len = f.q.text_total = 10;
	root = json_of(&f, &sql);
	assert_string_equal(jstr(sql, "query"), "SELECT ?");
	cJSON_Delete(root);
	/* MySQL strings in double quotes are literals too. */
	f.se.dialect = SQL_DIALECT_MYSQL;
	f.q.text = "SELECT \"secret\", `col` FROM t";
	f.q.text_len = f.q.text_total = strlen(f.q.text);
	text = text_of(&f);
	assert_null(strstr(text, "secret"));
	assert_non_null(strstr(text, " query \"SELECT ?, `col` FROM t\" "));
	free(text);
	fx_free(&f);
}

static void test_text_none(void **state)
{
	static const char *const keys[] = {"dialect",	 "message", "query_truncated", "query_bytes",
					   SESSION,	 "outcome", "command_tag",     "rows",
					   "latency_us", NULL};
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.fc.sql_text = SQL_TEXT_NONE;
	f.fc.scratch = NULL;
	root = json_of(&f, &sql);
	expect_keys(sql, keys);
	assert_true(jnum(sql, "query_bytes") == 23);
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(text, "postgres postgres@appdb 127.0.0.1:39045 query = ok SELECT 1 (0.412 ms)");
	free(text);
	fx_free(&f);
}

/* Everything that came off the wire may hold any byte: the text line stays
 * one line without terminal escapes, the JSON keeps the exact bytes. */
static void test_control_bytes(void **state)
{
	static const char query[] = "SELECT 1;\n\x1b[2J\x1b]0;pwned\x07\t\r--\x7f\"\\";
	struct fx f;
	const cJSON *sql;
	cJSON *root;
	char *text;

	(void)state;
	fx_init(&f);
	f.q.text = query;
	f.q.text_len = f.q.text_total = sizeof(query) - 1;
	f.q.outcome = SQL_OUTCOME_ERROR;
	f.q.command_tag = "";
	strcpy(f.q.sqlstate, "4\x1b\n01");
	f.q.error_message = "bad\ninput\x1b[0m";
	f.s.user = "ev\x1b[31mil\n";
	f.s.database = "d\rb";
	f.s.application_name = "app\x1b";
	root = json_of(&f, &sql);
	assert_string_equal(jstr(sql, "query"), query);
	assert_string_equal(jstr(sql, "error"), "bad\ninput\x1b[0m");
	assert_string_equal(jstr(sql, "user"), "ev\x1b[31mil\n");
	assert_string_equal(jstr(sql, "database"), "d\rb");
	assert_string_equal(jstr(sql, "application_name"), "app\x1b");
	assert_string_equal(jstr(sql, "sqlstate"), "4\x1b\n01");
	cJSON_Delete(root);
	text = text_of(&f);
	assert_string_equal(
	    text, "postgres ev\\x1b[31mil\\x0a@d\\x0db 127.0.0.1:39045 query "
		  "\"SELECT 1;\\x0a\\x1b[2J\\x1b]0;pwned\\x07\\x09\\x0d--\\x7f\\\"\\\\\" = error 4\\x1b\\x0a01 "
		  "\"bad\\x0ainput\\x1b[0m\" (0.412 ms)");
	free(text);

	/* Statement names and tags come off the wire as well. */
	f.q.kind = SQL_MSG_EXECUTE;
	f.q.text = "";
	f.q.text_len = f.q.text_total = 0;
	f.q.statement = "s\n1";
	f.q.param_count = 0;
	f.q.outcome = SQL_OUTCOME_OK;
	f.q.command_tag = "SELECT\x1b 1";
	f.s.user = "u";
	f.s.database = "d";
	text = text_of(&f);
	assert_string_equal(text,
			    "postgres u@d 127.0.0.1:39045 execute stmt=s\\x0a1 \"\" = ok SELECT\\x1b 1 (0.412 ms)");
	free(text);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pg_query_ok),
	    cmocka_unit_test(test_pg_error),
	    cmocka_unit_test(test_mysql_error),
	    cmocka_unit_test(test_mysql_ok_and_init_db),
	    cmocka_unit_test(test_pg_execute_params),
	    cmocka_unit_test(test_pg_execute_param_counts),
	    cmocka_unit_test(test_parse_and_mysql_execute),
	    cmocka_unit_test(test_encrypted_notice),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_latency),
	    cmocka_unit_test(test_unknown_outcome),
	    cmocka_unit_test(test_redacted),
	    cmocka_unit_test(test_text_none),
	    cmocka_unit_test(test_control_bytes),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

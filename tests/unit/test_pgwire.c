/*
 * Unit tests for agent/pgwire.c: the PostgreSQL v3 protocol decoder.
 *
 * Each test builds a conversation as a list of feeds (direction, bytes, how
 * many bytes the syscall really moved, timestamp) with small message
 * builders, runs it through a decoder and checks every report. Every stream
 * is also replayed split at each byte position of every feed and fed byte by
 * byte, and must give exactly the same reports, session and counters. Each
 * piece is copied into an exactly-sized heap buffer so ASan flags any read
 * past what the decoder was given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire.h"

/* ---- byte builders ---- */

struct bb {
	unsigned char *p;
	size_t len;
	size_t cap;
	size_t start; /* of the message being built */
};

static void bb_put(struct bb *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void bb_u8(struct bb *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	bb_put(b, &c, 1);
}

static void bb_be16(struct bb *b, unsigned v)
{
	bb_u8(b, v >> 8);
	bb_u8(b, v);
}

static void bb_be32(struct bb *b, uint32_t v)
{
	bb_u8(b, v >> 24);
	bb_u8(b, v >> 16);
	bb_u8(b, v >> 8);
	bb_u8(b, v);
}

static void bb_str(struct bb *b, const char *s)
{
	bb_put(b, s, strlen(s) + 1);
}

static void bb_fill(struct bb *b, char c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		bb_u8(b, (unsigned char)c);
}

static void patch32(struct bb *b, size_t at, uint32_t v)
{
	b->p[at] = v >> 24;
	b->p[at + 1] = v >> 16;
	b->p[at + 2] = v >> 8;
	b->p[at + 3] = v;
}

/* type 0: the untyped startup packet */
static void begin(struct bb *b, char type)
{
	if (type)
		bb_u8(b, (unsigned char)type);
	b->start = b->len;
	bb_be32(b, 0);
}

static void end(struct bb *b)
{
	patch32(b, b->start, (uint32_t)(b->len - b->start));
}

/* Frontend messages. */

/* kv: key, value, ..., NULL */
static void fe_startup(struct bb *b, const char *const *kv)
{
	begin(b, 0);
	bb_be32(b, 196608);
	for (; *kv; kv++)
		bb_str(b, *kv);
	bb_u8(b, 0);
	end(b);
}

static void fe_code(struct bb *b, uint32_t code)
{
	begin(b, 0);
	bb_be32(b, code);
	end(b);
}

static void fe_ssl(struct bb *b)
{
	fe_code(b, 80877103);
}

static void fe_gssenc(struct bb *b)
{
	fe_code(b, 80877104);
}

static void fe_query(struct bb *b, const char *sql)
{
	begin(b, 'Q');
	bb_str(b, sql);
	end(b);
}

static void fe_parse(struct bb *b, const char *name, const char *sql, int n, const uint32_t *oids)
{
	int i;

	begin(b, 'P');
	bb_str(b, name);
	bb_str(b, sql);
	bb_be16(b, (unsigned)n);
	for (i = 0; i < n; i++)
		bb_be32(b, oids[i]);
	end(b);
}

/* Values as C strings (NULL: SQL NULL); nf formats from fmts; binary values given as text here too. */
static void fe_bind(struct bb *b, const char *portal, const char *stmt, int nf, const int *fmts, int np,
		    const char *const *vals)
{
	int i;

	begin(b, 'B');
	bb_str(b, portal);
	bb_str(b, stmt);
	bb_be16(b, (unsigned)nf);
	for (i = 0; i < nf; i++)
		bb_be16(b, (unsigned)fmts[i]);
	bb_be16(b, (unsigned)np);
	for (i = 0; i < np; i++) {
		if (!vals[i]) {
			bb_be32(b, 0xffffffffu);
			continue;
		}
		bb_be32(b, (uint32_t)strlen(vals[i]));
		bb_put(b, vals[i], strlen(vals[i]));
	}
	bb_be16(b, 1);
	bb_be16(b, 0);
	end(b);
}

static void fe_describe(struct bb *b, char what, const char *name)
{
	begin(b, 'D');
	bb_u8(b, (unsigned char)what);
	bb_str(b, name);
	end(b);
}

static void fe_close(struct bb *b, char what, const char *name)
{
	begin(b, 'C');
	bb_u8(b, (unsigned char)what);
	bb_str(b, name);
	end(b);
}

static void fe_execute(struct bb *b, const char *portal, uint32_t maxrows)
{
	begin(b, 'E');
	bb_str(b, portal);
	bb_be32(b, maxrows);
	end(b);
}

static void fe_empty(struct bb *b, char type)
{
	begin(b, type);
	end(b);
}

static void fe_sync(struct bb *b)
{
	fe_empty(b, 'S');
}

static void fe_copy_data(struct bb *b, const char *row)
{
	begin(b, 'd');
	bb_put(b, row, strlen(row));
	end(b);
}

/* Backend messages. */

static void be_auth_ok(struct bb *b)
{
	begin(b, 'R');
	bb_be32(b, 0);
	end(b);
}

static void be_param(struct bb *b, const char *name, const char *val)
{
	begin(b, 'S');
	bb_str(b, name);
	bb_str(b, val);
	end(b);
}

static void be_key(struct bb *b)
{
	begin(b, 'K');
	bb_be32(b, 4242);
	bb_be32(b, 0x5eed1234);
	end(b);
}

static void be_ready(struct bb *b, char status)
{
	begin(b, 'Z');
	bb_u8(b, (unsigned char)status);
	end(b);
}

static void be_row_desc(struct bb *b, const char *col)
{
	begin(b, 'T');
	bb_be16(b, 1);
	bb_str(b, col);
	bb_be32(b, 16384); /* table oid */
	bb_be16(b, 1);
	bb_be32(b, 23); /* int4 */
	bb_be16(b, 4);
	bb_be32(b, 0xffffffffu);
	bb_be16(b, 0);
	end(b);
}

static void be_data_row(struct bb *b, const char *val)
{
	begin(b, 'D');
	bb_be16(b, 1);
	bb_be32(b, (uint32_t)strlen(val));
	bb_put(b, val, strlen(val));
	end(b);
}

static void be_complete(struct bb *b, const char *tag)
{
	begin(b, 'C');
	bb_str(b, tag);
	end(b);
}

static void be_error(struct bb *b, const char *code, const char *msg)
{
	begin(b, 'E');
	bb_u8(b, 'S');
	bb_str(b, "ERROR");
	bb_u8(b, 'V');
	bb_str(b, "ERROR");
	bb_u8(b, 'C');
	bb_str(b, code);
	bb_u8(b, 'M');
	bb_str(b, msg);
	bb_u8(b, 'F');
	bb_str(b, "postgres.c");
	bb_u8(b, 'L');
	bb_str(b, "1188");
	bb_u8(b, 'R');
	bb_str(b, "exec_simple_query");
	bb_u8(b, 0);
	end(b);
}

static void be_notice(struct bb *b, const char *msg)
{
	begin(b, 'N');
	bb_u8(b, 'S');
	bb_str(b, "NOTICE");
	bb_u8(b, 'C');
	bb_str(b, "00000");
	bb_u8(b, 'M');
	bb_str(b, msg);
	bb_u8(b, 0);
	end(b);
}

static void be_empty(struct bb *b, char type)
{
	begin(b, type);
	end(b);
}

/* A select answer: RowDescription, n DataRows, CommandComplete "SELECT n". */
static void be_select(struct bb *b, int n)
{
	char tag[32];
	int i;

	be_row_desc(b, "a");
	for (i = 0; i < n; i++)
		be_data_row(b, "1");
	snprintf(tag, sizeof(tag), "SELECT %d", n);
	be_complete(b, tag);
}

/* ---- conversations ---- */

#define MAX_EV 256

struct ev {
	enum sql_dir dir;
	unsigned char *data;
	size_t len;
	size_t total;
	__u64 ts;
};

struct conv {
	struct ev ev[MAX_EV];
	int n;
	bool no_close; /* do not call pgwire__close at the end */
};

/* The bytes built so far become one feed with `extra` bytes lost after them; ts = 100 * (index + 1). */
static void add_gap(struct conv *c, enum sql_dir dir, struct bb *b, size_t extra)
{
	struct ev *e;

	assert_true(c->n < MAX_EV);
	e = &c->ev[c->n];
	e->dir = dir;
	e->data = b->p;
	e->len = b->len;
	e->total = b->len + extra;
	e->ts = 100 * (__u64)(c->n + 1);
	c->n++;
	memset(b, 0, sizeof(*b));
}

static void cli(struct conv *c, struct bb *b)
{
	add_gap(c, SQL_DIR_TO_SERVER, b, 0);
}

static void srv(struct conv *c, struct bb *b)
{
	add_gap(c, SQL_DIR_TO_CLIENT, b, 0);
}

static __u64 ts_of(int i)
{
	return 100 * (__u64)(i + 1);
}

static void conv_free(struct conv *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->ev[i].data);
	c->n = 0;
}

/* ---- what a run produced ---- */

#define MAX_REC 128

struct rec {
	enum sql_msg_kind kind;
	char *text;
	size_t text_len;
	size_t text_total;
	bool truncated;
	char *statement;
	char *portal;
	int param_count;
	__u32 types[SQL_MAX_PARAMS];
	__s32 lengths[SQL_MAX_PARAMS];
	int nvalues; /* -1: param_values NULL */
	char *values[SQL_MAX_PARAMS];
	enum sql_outcome outcome;
	char sqlstate[6];
	char *error_message;
	char *command_tag;
	__u64 rows;
	__u64 ts_request;
	__u64 ts_response;
};

struct result {
	struct rec r[MAX_REC];
	int n;
	struct sqlwire_stats stats;
	int startups;
	int encrypted;
	int eproto; /* feeds that returned -EPROTO */
	char user[128], database[128], appname[128], version[128];
	bool startup_seen, session_encrypted;
	bool keep_values;
};

static void rec_free(struct rec *r)
{
	int i;

	free(r->text);
	free(r->statement);
	free(r->portal);
	free(r->error_message);
	free(r->command_tag);
	for (i = 0; i < r->nvalues; i++)
		free(r->values[i]);
}

static void result_free(struct result *res)
{
	int i;

	for (i = 0; i < res->n; i++)
		rec_free(&res->r[i]);
	res->n = 0;
}

static char *dup_checked(const char *s)
{
	char *d;

	assert_non_null(s);
	d = strdup(s);
	assert_non_null(d);
	return d;
}

/* The callback checks what every report must satisfy, then keeps a deep copy. */
static void on_query(void *ctx, const struct sql_query *q, const struct sql_session *s)
{
	struct result *res = ctx;
	struct rec *r;
	int i, n;

	assert_true(res->n < MAX_REC);
	assert_non_null(q->text);
	assert_int_equal(q->text[q->text_len], '\0');
	assert_int_equal(strlen(q->text), q->text_len);
	assert_true(q->text_len <= q->text_total);
	assert_int_equal(q->truncated, q->text_len < q->text_total);
	assert_true(q->outcome == SQL_OUTCOME_OK || q->outcome == SQL_OUTCOME_ERROR ||
		    q->outcome == SQL_OUTCOME_UNKNOWN);
	if (q->outcome != SQL_OUTCOME_ERROR)
		assert_string_equal(q->sqlstate, "");
	if (q->outcome == SQL_OUTCOME_UNKNOWN)
		assert_int_equal(q->ts_response, 0);
	assert_int_equal(q->error_code, 0);
	assert_non_null(s);
	assert_int_equal(s->dialect, SQL_DIALECT_POSTGRES);

	r = &res->r[res->n++];
	memset(r, 0, sizeof(*r));
	r->kind = q->kind;
	r->text = dup_checked(q->text);
	r->text_len = q->text_len;
	r->text_total = q->text_total;
	r->truncated = q->truncated;
	r->statement = dup_checked(q->statement);
	r->portal = dup_checked(q->portal);
	r->param_count = q->param_count;
	memcpy(r->types, q->param_types, sizeof(r->types));
	memcpy(r->lengths, q->param_lengths, sizeof(r->lengths));
	r->nvalues = -1;
	if (q->param_values) {
		assert_true(res->keep_values);
		n = q->param_count < SQL_MAX_PARAMS ? q->param_count : SQL_MAX_PARAMS;
		r->nvalues = n < 0 ? 0 : n;
		for (i = 0; i < r->nvalues; i++)
			r->values[i] = dup_checked(q->param_values[i]);
	}
	r->outcome = q->outcome;
	memcpy(r->sqlstate, q->sqlstate, sizeof(r->sqlstate));
	r->error_message = dup_checked(q->error_message);
	r->command_tag = dup_checked(q->command_tag);
	r->rows = q->rows;
	r->ts_request = q->ts_request;
	r->ts_response = q->ts_response;
}

static void on_session(void *ctx, enum sql_session_event ev, const struct sql_session *s)
{
	struct result *res = ctx;

	if (ev == SQL_SESSION_STARTUP)
		res->startups++;
	else if (ev == SQL_SESSION_ENCRYPTED)
		res->encrypted++;
	else
		fail_msg("unknown session event %d", ev);
}

/* Feed one piece from an exactly-sized heap copy. */
static void feed_piece(struct pgwire *pw, struct result *res, const struct ev *e, size_t off, size_t len, size_t total)
{
	unsigned char *copy = NULL;
	int ret;

	if (len) {
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, e->data + off, len);
	}
	ret = pgwire__feed(pw, e->dir, copy, len, total, e->ts);
	if (ret == -EPROTO)
		res->eproto++;
	else
		assert_int_equal(ret, 0);
	free(copy);
}

enum split { WHOLE, AT_K, BYTES };

static void run(const struct conv *c, const struct sqlwire_limits *lim, enum split mode, size_t k, struct result *res)
{
	struct sqlwire_callbacks cb = {on_query, on_session, res};
	const struct sql_session *s;
	struct pgwire *pw;
	const struct ev *e;
	size_t off;
	int i;

	memset(res, 0, sizeof(*res));
	res->keep_values = lim && lim->keep_param_values;
	pw = pgwire__new(lim, &cb);
	assert_non_null(pw);
	for (i = 0; i < c->n; i++) {
		e = &c->ev[i];
		if (mode == WHOLE || e->len <= 1 || (mode == AT_K && e->len <= k)) {
			feed_piece(pw, res, e, 0, e->len, e->total);
		} else if (mode == AT_K) {
			feed_piece(pw, res, e, 0, k, k);
			feed_piece(pw, res, e, k, e->len - k, e->total - k);
		} else {
			for (off = 0; off + 1 < e->len; off++)
				feed_piece(pw, res, e, off, 1, 1);
			feed_piece(pw, res, e, off, 1, e->total - off);
		}
	}
	if (!c->no_close)
		pgwire__close(pw);
	pgwire__stats(pw, &res->stats);
	s = pgwire__session(pw);
	snprintf(res->user, sizeof(res->user), "%s", s->user);
	snprintf(res->database, sizeof(res->database), "%s", s->database);
	snprintf(res->appname, sizeof(res->appname), "%s", s->application_name);
	snprintf(res->version, sizeof(res->version), "%s", s->server_version);
	res->startup_seen = s->startup_seen;
	res->session_encrypted = s->encrypted;
	pgwire__free(pw);
}

#define SAME(field, fmt)                                                                                               \
	do {                                                                                                           \
		if (a->field != b->field)                                                                              \
			fail_msg("%s k=%zu report %d: " #field " " fmt " != " fmt, how, k, i, a->field, b->field);     \
	} while (0)
#define SAME_STR(field)                                                                                                \
	do {                                                                                                           \
		if (strcmp(a->field, b->field))                                                                        \
			fail_msg("%s k=%zu report %d: " #field " \"%.60s\" != \"%.60s\"", how, k, i, a->field,         \
				 b->field);                                                                            \
	} while (0)

static void same_rec(const struct rec *a, const struct rec *b, const char *how, size_t k, int i)
{
	int j;

	SAME(kind, "%d");
	SAME_STR(text);
	SAME(text_len, "%zu");
	SAME(text_total, "%zu");
	SAME(truncated, "%d");
	SAME_STR(statement);
	SAME_STR(portal);
	SAME(param_count, "%d");
	SAME(nvalues, "%d");
	SAME(outcome, "%d");
	SAME_STR(sqlstate);
	SAME_STR(error_message);
	SAME_STR(command_tag);
	SAME(rows, "%llu");
	SAME(ts_request, "%llu");
	SAME(ts_response, "%llu");
	for (j = 0; j < SQL_MAX_PARAMS; j++) {
		SAME(types[j], "%u");
		SAME(lengths[j], "%d");
	}
	for (j = 0; j < a->nvalues; j++)
		SAME_STR(values[j]);
}

static void same_result(const struct result *a, const struct result *b, const char *how, size_t k)
{
	int i = -1;

	SAME(n, "%d");
	for (i = 0; i < a->n; i++)
		same_rec(&a->r[i], &b->r[i], how, k, i);
	i = -1;
	SAME(stats.messages, "%llu");
	SAME(stats.queries, "%llu");
	SAME(stats.parse_errors, "%llu");
	SAME(stats.gaps, "%llu");
	SAME(stats.resyncs, "%llu");
	SAME(stats.dropped_pending, "%llu");
	SAME(startups, "%d");
	SAME(encrypted, "%d");
	SAME(eproto, "%d");
	SAME_STR(user);
	SAME_STR(database);
	SAME_STR(appname);
	SAME_STR(version);
	SAME(startup_seen, "%d");
	SAME(session_encrypted, "%d");
}

/*
 * Run the conversation whole into *out, then split at every position k of
 * every feed (all k up to 600, every 97th beyond, to keep large feeds
 * affordable) and byte by byte: all must agree with the whole run.
 */
static void check_conv(const struct conv *c, const struct sqlwire_limits *lim, struct result *out)
{
	struct result *other = calloc(1, sizeof(*other));
	size_t k, maxlen = 0;
	int i;

	assert_non_null(other);
	run(c, lim, WHOLE, 0, out);
	for (i = 0; i < c->n; i++) {
		if (c->ev[i].len > maxlen)
			maxlen = c->ev[i].len;
	}
	for (k = 1; k < maxlen; k += k < 600 ? 1 : 97) {
		run(c, lim, AT_K, k, other);
		same_result(out, other, "split", k);
		result_free(other);
	}
	run(c, lim, BYTES, 0, other);
	same_result(out, other, "bytes", 0);
	result_free(other);
	free(other);
}

static void expect_ok(const struct rec *r, enum sql_msg_kind kind, const char *text, const char *tag, __u64 rows)
{
	assert_int_equal(r->kind, kind);
	assert_string_equal(r->text, text);
	assert_int_equal(r->text_len, strlen(text));
	assert_int_equal(r->text_total, strlen(text));
	assert_false(r->truncated);
	assert_int_equal(r->outcome, SQL_OUTCOME_OK);
	assert_string_equal(r->sqlstate, "");
	assert_string_equal(r->error_message, "");
	assert_string_equal(r->command_tag, tag);
	assert_int_equal(r->rows, rows);
}

static void expect_unknown(const struct rec *r, enum sql_msg_kind kind, const char *text)
{
	assert_int_equal(r->kind, kind);
	assert_string_equal(r->text, text);
	assert_int_equal(r->outcome, SQL_OUTCOME_UNKNOWN);
	assert_int_equal(r->ts_response, 0);
	assert_string_equal(r->command_tag, "");
}

/* A query of n bytes, varied so a misplaced copy shows. */
static char *big_sql(size_t n)
{
	char *s = malloc(n + 1);
	size_t i;

	assert_non_null(s);
	memcpy(s, "SELECT '", 8);
	for (i = 8; i < n - 1; i++)
		s[i] = (char)('a' + i % 26);
	s[n - 1] = '\'';
	s[n] = '\0';
	return s;
}

/* key, value pairs as libpq sends them */
static const char *const LOGIN[] = {
    "user", "app",	 "database", "shop", "application_name", "billing", "client_encoding",
    "UTF8", "DateStyle", "ISO",	     NULL,
};

/* ---- tests ---- */

static void test_startup_session(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_startup(&b, LOGIN);
	cli(&c, &b);
	be_auth_ok(&b);
	be_param(&b, "application_name", "billing");
	be_param(&b, "server_version", "15.4 (Debian 15.4-1)");
	be_key(&b);
	be_ready(&b, 'I');
	srv(&c, &b);
	fe_query(&b, "SELECT 1");
	cli(&c, &b);
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	fe_query(&b, "SET application_name = 'billing-worker'");
	cli(&c, &b);
	be_complete(&b, "SET");
	be_param(&b, "application_name", "billing-worker");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);

	assert_int_equal(res.startups, 1);
	assert_int_equal(res.encrypted, 0);
	assert_true(res.startup_seen);
	assert_false(res.session_encrypted);
	assert_string_equal(res.user, "app");
	assert_string_equal(res.database, "shop");
	assert_string_equal(res.appname, "billing-worker");
	assert_string_equal(res.version, "15.4 (Debian 15.4-1)");
	assert_int_equal(res.n, 2);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "SELECT 1", "SELECT 1", 1);
	assert_string_equal(res.r[0].statement, "");
	assert_int_equal(res.r[0].param_count, -1);
	assert_int_equal(res.r[0].ts_request, ts_of(2));
	assert_int_equal(res.r[0].ts_response, ts_of(3));
	/* startup + 5 server + Q + 4 server + Q + 3 server */
	assert_int_equal(res.stats.messages, 15);
	assert_int_equal(res.stats.queries, 2);
	assert_int_equal(res.stats.parse_errors, 0);
	assert_int_equal(res.eproto, 0);
	result_free(&res);
	conv_free(&c);
}

static void test_startup_database_defaults_to_user(void **state)
{
	static const char *const kv[] = {"user", "postgres", NULL};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_startup(&b, kv);
	cli(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.startups, 1);
	assert_string_equal(res.user, "postgres");
	assert_string_equal(res.database, "postgres");
	assert_string_equal(res.appname, "");
	assert_int_equal(res.n, 0);
	result_free(&res);
	conv_free(&c);
}

/* TLS bytes that would decode as queries if the decoder kept going. */
static void tls_records(struct bb *b, bool client)
{
	static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x00, 0x20};

	bb_put(b, hello, sizeof(hello));
	if (client)
		bb_u8(b, 0x01);
	fe_query(b, "SELECT 'inside tls'");
	be_complete(b, "SELECT 1");
	bb_fill(b, '\x17', 9);
}

static void test_ssl_accepted(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_ssl(&b);
	cli(&c, &b);
	bb_u8(&b, 'S');
	srv(&c, &b);
	tls_records(&b, true);
	cli(&c, &b);
	tls_records(&b, false);
	srv(&c, &b);
	bb_u8(&b, 'Q');
	add_gap(&c, SQL_DIR_TO_SERVER, &b, 5000);
	check_conv(&c, NULL, &res);

	assert_true(res.session_encrypted);
	assert_int_equal(res.encrypted, 1);
	assert_int_equal(res.startups, 0);
	assert_true(res.startup_seen);
	assert_string_equal(res.user, "");
	assert_int_equal(res.n, 0);
	assert_int_equal(res.stats.parse_errors, 0);
	assert_int_equal(res.stats.messages, 2);
	assert_int_equal(res.eproto, 0);
	result_free(&res);
	conv_free(&c);
}

static void test_ssl_refused_then_startup(void **state)
{
	static const char *const kv[] = {"user", "u1", "database", "d1", NULL};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	/* libpq's order with gssencmode=prefer and sslmode=prefer against a plain server */
	fe_gssenc(&b);
	cli(&c, &b);
	bb_u8(&b, 'N');
	srv(&c, &b);
	fe_ssl(&b);
	cli(&c, &b);
	bb_u8(&b, 'N');
	srv(&c, &b);
	fe_startup(&b, kv);
	cli(&c, &b);
	be_auth_ok(&b);
	be_ready(&b, 'I');
	srv(&c, &b);
	fe_query(&b, "DELETE FROM t");
	cli(&c, &b);
	be_complete(&b, "DELETE 4");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);

	assert_false(res.session_encrypted);
	assert_int_equal(res.encrypted, 0);
	assert_int_equal(res.startups, 1);
	assert_string_equal(res.user, "u1");
	assert_string_equal(res.database, "d1");
	assert_int_equal(res.n, 1);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "DELETE FROM t", "DELETE 4", 4);
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
}

static void test_direct_tls(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	/* PostgreSQL 17 sslnegotiation=direct: the client starts with a ClientHello */
	tls_records(&b, true);
	cli(&c, &b);
	tls_records(&b, false);
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_true(res.session_encrypted);
	assert_int_equal(res.encrypted, 1);
	assert_false(res.startup_seen);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
}

struct tag_case {
	const char *tag;
	__u64 rows;
};

static void test_simple_query_tags(void **state)
{
	static const struct tag_case cases[] = {
	    {"SELECT 3", 3},
	    {"INSERT 0 1", 1},
	    {"INSERT 0 250", 250},
	    {"UPDATE 2", 2},
	    {"DELETE 0", 0},
	    {"MERGE 7", 7},
	    {"COPY 10", 10},
	    {"FETCH 5", 5},
	    {"CREATE TABLE", 0},
	    {"BEGIN", 0},
	    {"FOO1", 0},
	    {"SELECT 18446744073709551615", UINT64_MAX},
	    {"SELECT 99999999999999999999999", UINT64_MAX},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result res;
		struct conv c = {0};
		struct bb b = {0};

		fe_query(&b, "SELECT a FROM t");
		cli(&c, &b);
		be_row_desc(&b, "a");
		be_data_row(&b, "1");
		be_complete(&b, cases[i].tag);
		be_ready(&b, 'I');
		srv(&c, &b);
		check_conv(&c, NULL, &res);
		assert_int_equal(res.n, 1);
		expect_ok(&res.r[0], SQL_MSG_QUERY, "SELECT a FROM t", cases[i].tag, cases[i].rows);
		assert_int_equal(res.r[0].ts_request, ts_of(0));
		assert_int_equal(res.r[0].ts_response, ts_of(1));
		result_free(&res);
		conv_free(&c);
	}
}

static void test_syntax_error(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "SELEC 1");
	cli(&c, &b);
	be_error(&b, "42601", "syntax error at or near \"SELEC\"");
	srv(&c, &b);
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.r[0].kind, SQL_MSG_QUERY);
	assert_string_equal(res.r[0].text, "SELEC 1");
	assert_int_equal(res.r[0].outcome, SQL_OUTCOME_ERROR);
	assert_string_equal(res.r[0].sqlstate, "42601");
	assert_string_equal(res.r[0].error_message, "syntax error at or near \"SELEC\"");
	assert_string_equal(res.r[0].command_tag, "");
	assert_int_equal(res.r[0].rows, 0);
	assert_int_equal(res.r[0].ts_request, ts_of(0));
	assert_int_equal(res.r[0].ts_response, ts_of(1));
	result_free(&res);
	conv_free(&c);
}

static void test_multi_statement(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "INSERT INTO t VALUES (1); UPDATE t SET a = 2; SELECT a FROM t");
	cli(&c, &b);
	be_complete(&b, "INSERT 0 1");
	be_complete(&b, "UPDATE 1");
	srv(&c, &b);
	be_notice(&b, "just saying");
	be_select(&b, 3);
	srv(&c, &b);
	be_ready(&b, 'I');
	srv(&c, &b);
	/* an error in the middle stops the rest and is the outcome */
	fe_query(&b, "INSERT INTO t VALUES (2); SELECT 1/0; SELECT 2");
	cli(&c, &b);
	be_complete(&b, "INSERT 0 1");
	be_error(&b, "22012", "division by zero");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);

	assert_int_equal(res.n, 2);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "INSERT INTO t VALUES (1); UPDATE t SET a = 2; SELECT a FROM t", "SELECT 3",
		  3);
	assert_int_equal(res.r[0].ts_response, ts_of(2));
	assert_int_equal(res.r[1].outcome, SQL_OUTCOME_ERROR);
	assert_string_equal(res.r[1].sqlstate, "22012");
	assert_string_equal(res.r[1].error_message, "division by zero");
	assert_string_equal(res.r[1].command_tag, "");
	assert_int_equal(res.r[1].ts_response, ts_of(5));
	result_free(&res);
	conv_free(&c);
}

static void test_empty_query(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "");
	cli(&c, &b);
	be_empty(&b, 'I');
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 1);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "", "", 0);
	assert_int_equal(res.r[0].ts_response, ts_of(1));
	result_free(&res);
	conv_free(&c);
}

static void test_copy_in(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "COPY t FROM STDIN");
	cli(&c, &b);
	begin(&b, 'G');
	bb_u8(&b, 0);
	bb_be16(&b, 1);
	bb_be16(&b, 0);
	end(&b);
	srv(&c, &b);
	fe_copy_data(&b, "1\tone\n");
	fe_copy_data(&b, "2\ttwo\n");
	fe_empty(&b, 'c');
	cli(&c, &b);
	be_complete(&b, "COPY 2");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 1);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "COPY t FROM STDIN", "COPY 2", 2);
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
}

#define SQL_TWO_PARAMS "SELECT name FROM users WHERE id = $1 AND role = $2"

static void build_extended(struct conv *c)
{
	static const uint32_t oids[] = {23, 25};
	static const char *const vals[] = {"42", "admin"};
	struct bb b = {0};

	fe_parse(&b, "", SQL_TWO_PARAMS, 2, oids);
	fe_bind(&b, "", "", 0, NULL, 2, vals);
	fe_describe(&b, 'P', "");
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_row_desc(&b, "name");
	be_data_row(&b, "alice");
	be_complete(&b, "SELECT 1");
	be_ready(&b, 'I');
	srv(c, &b);
}

static void check_extended(const struct result *res)
{
	const struct rec *p = &res->r[0], *x = &res->r[1];

	assert_int_equal(res->n, 2);
	expect_ok(p, SQL_MSG_PARSE, SQL_TWO_PARAMS, "", 0);
	assert_string_equal(p->statement, "");
	assert_string_equal(p->portal, "");
	assert_int_equal(p->param_count, 2);
	assert_int_equal(p->types[0], 23);
	assert_int_equal(p->types[1], 25);
	assert_int_equal(p->types[2], 0);
	assert_int_equal(p->nvalues, -1);
	assert_int_equal(p->ts_request, ts_of(0));
	assert_int_equal(p->ts_response, ts_of(1));

	expect_ok(x, SQL_MSG_EXECUTE, SQL_TWO_PARAMS, "SELECT 1", 1);
	assert_string_equal(x->statement, "");
	assert_string_equal(x->portal, "");
	assert_int_equal(x->param_count, 2);
	assert_int_equal(x->lengths[0], 2);
	assert_int_equal(x->lengths[1], 5);
	assert_int_equal(x->types[0], 23);
	assert_int_equal(x->types[1], 25);
	assert_int_equal(x->ts_request, ts_of(0));
	assert_int_equal(x->ts_response, ts_of(1));
}

static void test_extended_lengths_only(void **state)
{
	struct result res;
	struct conv c = {0};

	build_extended(&c);
	check_conv(&c, NULL, &res);
	check_extended(&res);
	assert_int_equal(res.r[1].nvalues, -1);
	assert_int_equal(res.stats.messages, 11);
	result_free(&res);
	conv_free(&c);
}

static void test_extended_values(void **state)
{
	struct sqlwire_limits lim = {.keep_param_values = true};
	struct result res;
	struct conv c = {0};

	build_extended(&c);
	check_conv(&c, &lim, &res);
	check_extended(&res);
	assert_int_equal(res.r[1].nvalues, 2);
	assert_string_equal(res.r[1].values[0], "42");
	assert_string_equal(res.r[1].values[1], "admin");
	result_free(&res);
	conv_free(&c);
}

static void test_bind_null_and_binary(void **state)
{
	static const uint32_t oids[] = {25, 23, 25};
	static const int fmts[] = {0, 1, 0};
	static const char *const vals[] = {"O'Reilly", "\x01\x02\x03\x04", NULL};
	struct sqlwire_limits lim = {.keep_param_values = true};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_parse(&b, "", "INSERT INTO t VALUES ($1, $2, $3)", 3, oids);
	fe_bind(&b, "", "", 3, fmts, 3, vals);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_complete(&b, "INSERT 0 1");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, &lim, &res);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.r[1].param_count, 3);
	assert_int_equal(res.r[1].lengths[0], 8);
	assert_int_equal(res.r[1].lengths[1], 4);
	assert_int_equal(res.r[1].lengths[2], -1);
	assert_int_equal(res.r[1].nvalues, 3);
	assert_string_equal(res.r[1].values[0], "O'Reilly");
	assert_string_equal(res.r[1].values[1], "");
	assert_string_equal(res.r[1].values[2], "");
	expect_ok(&res.r[1], SQL_MSG_EXECUTE, "INSERT INTO t VALUES ($1, $2, $3)", "INSERT 0 1", 1);
	result_free(&res);
	conv_free(&c);
}

static void test_named_statement(void **state)
{
	static const uint32_t oid[] = {23};
	static const char *const seven[] = {"7"};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	/* PQprepare + PQdescribePrepared */
	fe_parse(&b, "sel_user", "SELECT * FROM users WHERE id = $1", 1, oid);
	fe_describe(&b, 'S', "sel_user");
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	begin(&b, 't');
	bb_be16(&b, 1);
	bb_be32(&b, 23);
	end(&b);
	be_row_desc(&b, "id");
	be_ready(&b, 'I');
	srv(&c, &b);
	/* an unnamed statement in between does not clobber it */
	fe_parse(&b, "", "SELECT 1", 0, NULL);
	fe_bind(&b, "", "", 0, NULL, 0, NULL);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	/* PQexecPrepared */
	fe_bind(&b, "", "sel_user", 0, NULL, 1, seven);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '2');
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	/* DEALLOCATE through Close: the statement is gone */
	fe_close(&b, 'S', "sel_user");
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '3');
	be_ready(&b, 'I');
	srv(&c, &b);
	fe_bind(&b, "", "sel_user", 0, NULL, 1, seven);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_error(&b, "26000", "prepared statement \"sel_user\" does not exist");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);

	assert_int_equal(res.n, 5);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "SELECT * FROM users WHERE id = $1", "", 0);
	assert_string_equal(res.r[0].statement, "sel_user");
	assert_int_equal(res.r[0].param_count, 1);
	expect_ok(&res.r[1], SQL_MSG_PARSE, "SELECT 1", "", 0);
	assert_int_equal(res.r[1].param_count, 0);
	expect_ok(&res.r[2], SQL_MSG_EXECUTE, "SELECT 1", "SELECT 1", 1);
	assert_int_equal(res.r[2].param_count, 0);
	expect_ok(&res.r[3], SQL_MSG_EXECUTE, "SELECT * FROM users WHERE id = $1", "SELECT 1", 1);
	assert_string_equal(res.r[3].statement, "sel_user");
	assert_int_equal(res.r[3].param_count, 1);
	assert_int_equal(res.r[3].lengths[0], 1);
	assert_int_equal(res.r[3].types[0], 23);
	assert_int_equal(res.r[3].ts_request, ts_of(4));
	assert_int_equal(res.r[4].kind, SQL_MSG_EXECUTE);
	assert_string_equal(res.r[4].text, "");
	assert_int_equal(res.r[4].text_total, 0);
	assert_string_equal(res.r[4].statement, "sel_user");
	assert_int_equal(res.r[4].outcome, SQL_OUTCOME_ERROR);
	assert_string_equal(res.r[4].sqlstate, "26000");
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
}

/* Named statements are bounded: past 64 of them, or 256 KB of text, the oldest is forgotten. */
static void test_statement_map_bounded(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};
	char name[16], sql[64], *big;
	int i;

	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		fe_parse(&b, name, sql, 0, NULL);
		fe_sync(&b);
		cli(&c, &b);
		be_empty(&b, '1');
		be_ready(&b, 'I');
		srv(&c, &b);
	}
	for (i = 0; i < 70; i += 69) {
		snprintf(name, sizeof(name), "s%d", i);
		fe_bind(&b, "", name, 0, NULL, 0, NULL);
		fe_execute(&b, "", 0);
		fe_sync(&b);
		cli(&c, &b);
		be_empty(&b, '2');
		be_select(&b, 1);
		be_ready(&b, 'I');
		srv(&c, &b);
	}
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 72);
	expect_ok(&res.r[70], SQL_MSG_EXECUTE, "", "SELECT 1", 1);
	assert_string_equal(res.r[70].statement, "s0");
	expect_ok(&res.r[71], SQL_MSG_EXECUTE, "SELECT 69", "SELECT 1", 1);
	assert_string_equal(res.r[71].statement, "s69");
	result_free(&res);
	conv_free(&c);

	/* 20 statements of 16000 bytes: over the 256 KB budget, the first ones go */
	big = big_sql(16000);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "big%d", i);
		big[7] = (char)('A' + i);
		fe_parse(&b, name, big, 0, NULL);
		cli(&c, &b);
	}
	for (i = 0; i < 20; i += 19) {
		snprintf(name, sizeof(name), "big%d", i);
		fe_bind(&b, "", name, 0, NULL, 0, NULL);
		fe_execute(&b, "", 0);
		cli(&c, &b);
	}
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 22);
	expect_unknown(&res.r[20], SQL_MSG_EXECUTE, "");
	assert_int_equal(res.r[21].text_len, 16000);
	assert_int_equal(res.r[21].text[7], 'A' + 19);
	result_free(&res);
	conv_free(&c);
	free(big);
}

/* A portal keeps the statement version it was bound to, even when the unnamed statement is replaced. */
static void test_portal_keeps_statement(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_parse(&b, "", "SELECT 1 AS a", 0, NULL);
	fe_bind(&b, "c1", "", 0, NULL, 0, NULL);
	fe_parse(&b, "", "SELECT 2 AS b", 0, NULL);
	fe_execute(&b, "c1", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_empty(&b, '1');
	be_data_row(&b, "1");
	be_complete(&b, "SELECT 1");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 3);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "SELECT 1 AS a", "", 0);
	expect_ok(&res.r[1], SQL_MSG_PARSE, "SELECT 2 AS b", "", 0);
	expect_ok(&res.r[2], SQL_MSG_EXECUTE, "SELECT 1 AS a", "SELECT 1", 1);
	assert_string_equal(res.r[2].portal, "c1");
	result_free(&res);
	conv_free(&c);
}

static void test_portal_suspended(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_parse(&b, "", "SELECT g FROM generate_series(1, 3) g", 0, NULL);
	fe_bind(&b, "c1", "", 0, NULL, 0, NULL);
	fe_execute(&b, "c1", 2);
	fe_empty(&b, 'H');
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_data_row(&b, "1");
	be_data_row(&b, "2");
	be_empty(&b, 's');
	srv(&c, &b);
	fe_execute(&b, "c1", 2);
	fe_sync(&b);
	cli(&c, &b);
	be_data_row(&b, "3");
	be_complete(&b, "SELECT 1");
	be_ready(&b, 'I');
	srv(&c, &b);
	/* once closed, the portal's statement is forgotten */
	fe_close(&b, 'P', "c1");
	fe_execute(&b, "c1", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '3');
	be_error(&b, "34000", "portal \"c1\" does not exist");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 4);
	assert_int_equal(res.r[3].kind, SQL_MSG_EXECUTE);
	assert_string_equal(res.r[3].text, "");
	assert_string_equal(res.r[3].portal, "c1");
	assert_string_equal(res.r[3].sqlstate, "34000");
	expect_ok(&res.r[1], SQL_MSG_EXECUTE, "SELECT g FROM generate_series(1, 3) g", "", 2);
	assert_int_equal(res.r[1].ts_response, ts_of(1));
	expect_ok(&res.r[2], SQL_MSG_EXECUTE, "SELECT g FROM generate_series(1, 3) g", "SELECT 1", 1);
	assert_int_equal(res.r[2].ts_request, ts_of(2));
	result_free(&res);
	conv_free(&c);
}

static void test_extended_error_skips_to_sync(void **state)
{
	static const uint32_t oid[] = {23};
	static const char *const zero[] = {"0"};
	static const char *const two[] = {"2"};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	/* a batch of two statements before one Sync, like a JDBC batch */
	fe_parse(&b, "", "SELECT 1 / $1", 1, oid);
	fe_bind(&b, "", "", 0, NULL, 1, zero);
	fe_execute(&b, "", 0);
	fe_parse(&b, "", "UPDATE t SET a = $1", 1, oid);
	fe_bind(&b, "", "", 0, NULL, 1, two);
	fe_execute(&b, "", 0);
	cli(&c, &b);
	/* a simple query inside the batch is skipped too */
	fe_query(&b, "SELECT 'skipped'");
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_error(&b, "22012", "division by zero");
	srv(&c, &b);
	be_ready(&b, 'I');
	srv(&c, &b);
	/* after ReadyForQuery everything is back to normal */
	fe_parse(&b, "", "UPDATE t SET a = $1", 1, oid);
	fe_bind(&b, "", "", 0, NULL, 1, two);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_complete(&b, "UPDATE 3");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);

	assert_int_equal(res.n, 7);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "SELECT 1 / $1", "", 0);
	assert_int_equal(res.r[1].kind, SQL_MSG_EXECUTE);
	assert_string_equal(res.r[1].text, "SELECT 1 / $1");
	assert_int_equal(res.r[1].outcome, SQL_OUTCOME_ERROR);
	assert_string_equal(res.r[1].sqlstate, "22012");
	assert_int_equal(res.r[1].ts_response, ts_of(2));
	expect_unknown(&res.r[2], SQL_MSG_PARSE, "UPDATE t SET a = $1");
	expect_unknown(&res.r[3], SQL_MSG_EXECUTE, "UPDATE t SET a = $1");
	expect_unknown(&res.r[4], SQL_MSG_QUERY, "SELECT 'skipped'");
	expect_ok(&res.r[5], SQL_MSG_PARSE, "UPDATE t SET a = $1", "", 0);
	expect_ok(&res.r[6], SQL_MSG_EXECUTE, "UPDATE t SET a = $1", "UPDATE 3", 3);
	result_free(&res);
	conv_free(&c);
}

/* The Sync was lost in a gap: at ReadyForQuery what the error made the server skip is UNKNOWN. */
static void test_extended_error_sync_lost(void **state)
{
	static const char *const zero[] = {"0"};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_parse(&b, "", "SELECT 1 / $1", 0, NULL);
	fe_bind(&b, "", "", 0, NULL, 1, zero);
	fe_execute(&b, "", 0);
	fe_parse(&b, "", "SELECT 'next'", 0, NULL);
	fe_bind(&b, "", "", 0, NULL, 0, NULL);
	fe_execute(&b, "", 0);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, 5);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_error(&b, "22012", "division by zero");
	be_ready(&b, 'I');
	srv(&c, &b);
	fe_query(&b, "SELECT 9");
	cli(&c, &b);
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 5);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "SELECT 1 / $1", "", 0);
	assert_int_equal(res.r[1].outcome, SQL_OUTCOME_ERROR);
	expect_unknown(&res.r[2], SQL_MSG_PARSE, "SELECT 'next'");
	expect_unknown(&res.r[3], SQL_MSG_EXECUTE, "SELECT 'next'");
	expect_ok(&res.r[4], SQL_MSG_QUERY, "SELECT 9", "SELECT 1", 1);
	assert_int_equal(res.stats.resyncs, 1);
	result_free(&res);
	conv_free(&c);
}

static void test_bind_error_fails_execute(void **state)
{
	static const uint32_t oid[] = {23};
	static const char *const inj[] = {"1 OR 1=1"};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_parse(&b, "", "SELECT * FROM t WHERE id = $1", 1, oid);
	fe_bind(&b, "", "", 0, NULL, 1, inj);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_error(&b, "22P02", "invalid input syntax for type integer: \"1 OR 1=1\"");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 2);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "SELECT * FROM t WHERE id = $1", "", 0);
	assert_int_equal(res.r[1].outcome, SQL_OUTCOME_ERROR);
	assert_string_equal(res.r[1].sqlstate, "22P02");
	assert_string_equal(res.r[1].error_message, "invalid input syntax for type integer: \"1 OR 1=1\"");
	assert_int_equal(res.r[1].lengths[0], 8);
	result_free(&res);
	conv_free(&c);
}

static void test_pipelined_simple(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "SELECT 1");
	fe_query(&b, "UPDATE t SET a = 1");
	cli(&c, &b);
	be_select(&b, 1);
	be_ready(&b, 'I');
	be_complete(&b, "UPDATE 5");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 2);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "SELECT 1", "SELECT 1", 1);
	expect_ok(&res.r[1], SQL_MSG_QUERY, "UPDATE t SET a = 1", "UPDATE 5", 5);
	result_free(&res);
	conv_free(&c);
}

static void test_pipelined_extended(void **state)
{
	static const uint32_t oid[] = {25};
	static const char *const v1[] = {"a"}, *const v2[] = {"bb"};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_parse(&b, "", "INSERT INTO t VALUES ($1)", 1, oid);
	fe_bind(&b, "", "", 0, NULL, 1, v1);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	fe_parse(&b, "", "DELETE FROM t WHERE b = $1", 1, oid);
	fe_bind(&b, "", "", 0, NULL, 1, v2);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_complete(&b, "INSERT 0 1");
	be_ready(&b, 'I');
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_complete(&b, "DELETE 2");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 4);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "INSERT INTO t VALUES ($1)", "", 0);
	expect_ok(&res.r[1], SQL_MSG_EXECUTE, "INSERT INTO t VALUES ($1)", "INSERT 0 1", 1);
	assert_int_equal(res.r[1].lengths[0], 1);
	expect_ok(&res.r[2], SQL_MSG_PARSE, "DELETE FROM t WHERE b = $1", "", 0);
	expect_ok(&res.r[3], SQL_MSG_EXECUTE, "DELETE FROM t WHERE b = $1", "DELETE 2", 2);
	assert_int_equal(res.r[3].lengths[0], 2);
	result_free(&res);
	conv_free(&c);
}

static void test_response_split_across_feeds(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};
	size_t cut;

	fe_query(&b, "SELECT a FROM t");
	cli(&c, &b);
	be_select(&b, 2);
	be_ready(&b, 'I');
	/* cut inside the second DataRow: two reads of the same answer */
	cut = b.len - 22;
	{
		struct bb tail = {0};

		bb_put(&tail, b.p + cut, b.len - cut);
		b.len = cut;
		srv(&c, &b);
		srv(&c, &tail);
	}
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 1);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "SELECT a FROM t", "SELECT 2", 2);
	assert_int_equal(res.r[0].ts_response, ts_of(2));
	result_free(&res);
	conv_free(&c);
}

static void test_big_query_with_gap(void **state)
{
	const size_t n = 100 * 1024;
	char *sql = big_sql(n);
	struct result res;
	struct conv c = {0};
	struct bb b = {0}, msg = {0};

	/* one write of the whole message, of which the kernel captured 4096 bytes */
	fe_query(&msg, sql);
	bb_put(&b, msg.p, 4096);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, msg.len - 4096);
	fe_query(&b, "SELECT 2");
	cli(&c, &b);
	be_select(&b, 0);
	be_ready(&b, 'I');
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);

	assert_int_equal(res.n, 2);
	assert_int_equal(res.r[0].text_len, 4096 - 5);
	assert_int_equal(res.r[0].text_total, n);
	assert_true(res.r[0].truncated);
	assert_memory_equal(res.r[0].text, sql, 4096 - 5);
	assert_int_equal(res.r[0].outcome, SQL_OUTCOME_OK);
	assert_string_equal(res.r[0].command_tag, "SELECT 0");
	assert_int_equal(res.r[0].ts_request, ts_of(0));
	expect_ok(&res.r[1], SQL_MSG_QUERY, "SELECT 2", "SELECT 1", 1);
	assert_int_equal(res.stats.gaps, 1);
	assert_int_equal(res.stats.resyncs, 0);
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
	free(msg.p);
	free(sql);
}

/* The same message written in three syscalls, each captured only in part; max_text cuts further. */
static void test_big_query_many_feeds(void **state)
{
	struct sqlwire_limits lim = {.max_text = 1000};
	const size_t n = 100 * 1024;
	char *sql = big_sql(n);
	struct result res;
	struct conv c = {0};
	struct bb b = {0}, msg = {0};

	fe_query(&msg, sql);
	bb_put(&b, msg.p, 600);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, 40000 - 600);
	bb_put(&b, msg.p + 40000, 700);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, 40000 - 700);
	bb_put(&b, msg.p + 80000, 500);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, msg.len - 80000 - 500);
	fe_query(&b, "SELECT 2");
	cli(&c, &b);
	be_select(&b, 0);
	be_ready(&b, 'I');
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, &lim, &res);

	assert_int_equal(res.n, 2);
	assert_int_equal(res.r[0].text_len, 595);
	assert_int_equal(res.r[0].text_total, n);
	assert_true(res.r[0].truncated);
	assert_memory_equal(res.r[0].text, sql, 595);
	assert_int_equal(res.r[0].ts_request, ts_of(2));
	expect_ok(&res.r[1], SQL_MSG_QUERY, "SELECT 2", "SELECT 1", 1);
	assert_int_equal(res.stats.gaps, 3);
	assert_int_equal(res.stats.resyncs, 0);
	result_free(&res);
	conv_free(&c);

	/* all bytes captured but over max_text: cut at max_text, nothing buffered past it */
	bb_put(&b, msg.p, 30000);
	cli(&c, &b);
	bb_put(&b, msg.p + 30000, msg.len - 30000);
	cli(&c, &b);
	be_select(&b, 0);
	be_ready(&b, 'I');
	srv(&c, &b);
	run(&c, &lim, WHOLE, 0, &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.r[0].text_len, 1000);
	assert_int_equal(res.r[0].text_total, n);
	assert_memory_equal(res.r[0].text, sql, 1000);
	result_free(&res);
	run(&c, &lim, BYTES, 0, &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.r[0].text_len, 1000);
	assert_int_equal(res.r[0].text_total, n);
	result_free(&res);
	conv_free(&c);
	free(msg.p);
	free(sql);
}

/* Parse and Bind captured only in part: what could be seen, and -1/-2 for what could not. */
static void test_parse_bind_partly_captured(void **state)
{
	static const uint32_t oid[] = {25}, oids2[] = {23, 23};
	static const char *const vals[] = {"42", NULL, NULL};
	struct sqlwire_limits lim = {.keep_param_values = true};
	char *sql = big_sql(500), *blob = big_sql(1000);
	struct result res;
	struct conv c = {0};
	struct bb b = {0}, msg = {0};
	size_t cut;

	/* Parse with 500 bytes of text and one type, 100 body bytes captured */
	fe_parse(&msg, "", sql, 1, oid);
	bb_put(&b, msg.p, 105);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, msg.len - 105);
	msg.len = 0;
	/* Bind of "42", a 1000-byte value and a NULL, cut inside the big value */
	{
		const char *v[] = {vals[0], blob, vals[2]};

		fe_bind(&msg, "", "", 0, NULL, 3, v);
	}
	cut = 5 + 2 + 2 + 2 + 6 + 4 + 10;
	bb_put(&b, msg.p, cut);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, msg.len - cut);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_complete(&b, "SELECT 0");
	be_ready(&b, 'I');
	srv(&c, &b);
	/* a Bind cut before its parameter count */
	msg.len = 0;
	fe_bind(&msg, "", "", 0, NULL, 1, vals);
	bb_put(&b, msg.p, 7);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, msg.len - 7);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '2');
	be_complete(&b, "SELECT 0");
	be_ready(&b, 'I');
	srv(&c, &b);
	/* a Parse cut inside its type OIDs: the count is known, the unseen types are 0 */
	msg.len = 0;
	fe_parse(&msg, "s2", "SELECT $1, $2", 2, oids2);
	bb_put(&b, msg.p, msg.len - 3);
	add_gap(&c, SQL_DIR_TO_SERVER, &b, 3);
	check_conv(&c, &lim, &res);

	assert_int_equal(res.n, 4);
	expect_unknown(&res.r[3], SQL_MSG_PARSE, "SELECT $1, $2");
	assert_string_equal(res.r[3].statement, "s2");
	assert_int_equal(res.r[3].param_count, 2);
	assert_int_equal(res.r[3].types[0], 23);
	assert_int_equal(res.r[3].types[1], 0);
	assert_false(res.r[3].truncated);
	assert_int_equal(res.r[0].kind, SQL_MSG_PARSE);
	assert_int_equal(res.r[0].text_len, 99);
	assert_memory_equal(res.r[0].text, sql, 99);
	/* the unseen type OID counts as text: an upper bound */
	assert_int_equal(res.r[0].text_total, 504);
	assert_true(res.r[0].truncated);
	assert_int_equal(res.r[0].param_count, -1);
	assert_int_equal(res.r[0].types[0], 0);
	assert_int_equal(res.r[0].outcome, SQL_OUTCOME_OK);

	assert_int_equal(res.r[1].kind, SQL_MSG_EXECUTE);
	assert_int_equal(res.r[1].text_len, 99);
	assert_int_equal(res.r[1].text_total, 504);
	assert_int_equal(res.r[1].param_count, 3);
	assert_int_equal(res.r[1].lengths[0], 2);
	assert_int_equal(res.r[1].lengths[1], 1000);
	assert_int_equal(res.r[1].lengths[2], -2);
	assert_int_equal(res.r[1].nvalues, 3);
	assert_string_equal(res.r[1].values[0], "42");
	assert_string_equal(res.r[1].values[1], "");
	assert_string_equal(res.r[1].values[2], "");
	assert_int_equal(res.r[1].outcome, SQL_OUTCOME_OK);

	assert_int_equal(res.r[2].kind, SQL_MSG_EXECUTE);
	assert_int_equal(res.r[2].param_count, -1);
	assert_int_equal(res.r[2].nvalues, -1);
	assert_int_equal(res.r[2].text_total, 504);
	assert_int_equal(res.stats.parse_errors, 0);
	assert_int_equal(res.stats.resyncs, 0);
	result_free(&res);
	conv_free(&c);
	free(msg.p);
	free(blob);
	free(sql);
}

static void test_gap_past_message(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0}, hidden = {0};
	char *sql = big_sql(1000);

	/* Q1 whole, 3 bytes of Q2, then Q2's rest and Q3 lost */
	fe_query(&b, "SELECT 1");
	fe_query(&hidden, "SELECT 'two'");
	bb_put(&b, hidden.p, 3);
	fe_query(&hidden, "SELECT 'three'");
	add_gap(&c, SQL_DIR_TO_SERVER, &b, hidden.len - 3);
	be_select(&b, 1);
	be_ready(&b, 'I');
	be_select(&b, 1);
	be_ready(&b, 'I');
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	/* a big query captured in part, its gap running into a hidden Sync */
	fe_query(&b, sql);
	b.len = 200;
	add_gap(&c, SQL_DIR_TO_SERVER, &b, 1006 - 200 + 5);
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	fe_query(&b, "SELECT 4");
	cli(&c, &b);
	be_select(&b, 4);
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);

	assert_int_equal(res.n, 3);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "SELECT 1", "SELECT 1", 1);
	assert_int_equal(res.r[1].text_len, 195);
	assert_int_equal(res.r[1].text_total, 1000);
	assert_memory_equal(res.r[1].text, sql, 195);
	assert_int_equal(res.r[1].outcome, SQL_OUTCOME_OK);
	expect_ok(&res.r[2], SQL_MSG_QUERY, "SELECT 4", "SELECT 4", 4);
	assert_int_equal(res.stats.gaps, 2);
	assert_int_equal(res.stats.resyncs, 2);
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
	free(hidden.p);
	free(sql);
}

/* Lost server bytes: what was pending is reported UNKNOWN, later requests decode normally. */
static void test_server_gap(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "SELECT a FROM big");
	cli(&c, &b);
	be_select(&b, 50);
	be_ready(&b, 'I');
	b.len = 60;
	add_gap(&c, SQL_DIR_TO_CLIENT, &b, 5000);
	fe_query(&b, "SELECT 5");
	cli(&c, &b);
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 2);
	expect_unknown(&res.r[0], SQL_MSG_QUERY, "SELECT a FROM big");
	expect_ok(&res.r[1], SQL_MSG_QUERY, "SELECT 5", "SELECT 1", 1);
	assert_int_equal(res.stats.resyncs, 1);
	result_free(&res);
	conv_free(&c);
}

static void test_mid_stream(void **state)
{
	static const char *const v[] = {"9", NULL};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	/* the tail of an answer to something we never saw */
	be_complete(&b, "SELECT 1");
	be_ready(&b, 'I');
	srv(&c, &b);
	fe_query(&b, "SELECT now()");
	cli(&c, &b);
	be_select(&b, 1);
	be_ready(&b, 'I');
	srv(&c, &b);
	/* a statement prepared before we joined */
	fe_bind(&b, "", "S_1", 0, NULL, 2, v);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '2');
	be_complete(&b, "UPDATE 1");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_false(res.startup_seen);
	assert_int_equal(res.startups, 0);
	assert_string_equal(res.user, "");
	assert_string_equal(res.database, "");
	assert_int_equal(res.n, 2);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "SELECT now()", "SELECT 1", 1);
	expect_ok(&res.r[1], SQL_MSG_EXECUTE, "", "UPDATE 1", 1);
	assert_string_equal(res.r[1].statement, "S_1");
	assert_int_equal(res.r[1].param_count, 2);
	assert_int_equal(res.r[1].lengths[0], 1);
	assert_int_equal(res.r[1].lengths[1], -1);
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
}

struct bad_case {
	const char *name;
	enum sql_dir dir;
	char type; /* 0: untyped startup packet */
	const char *body;
	size_t body_len;
	long long len; /* length field; -1: the right one */
};

#define BAD(n, d, t, b, l)                                                                                             \
	{                                                                                                              \
		n, d, t, b, sizeof(b) - 1, l                                                                           \
	}
#define C2S SQL_DIR_TO_SERVER
#define S2C SQL_DIR_TO_CLIENT

/* Malformed input always ends its feed, so every split sees the same error. */
static const struct bad_case bad_cases[] = {
    BAD("Q length 0", C2S, 'Q', "", 0),
    BAD("Q length 3", C2S, 'Q', "", 3),
    BAD("Q length 0x7fffffff", C2S, 'Q', "", 0x7fffffff),
    BAD("Q length 1 GiB + 1", C2S, 'Q', "", 0x40000001),
    BAD("unknown type", C2S, '#', "", -1),
    BAD("type 0x01", C2S, 1, "", -1),
    BAD("Sync with a body", C2S, 'S', "", 5),
    BAD("Q without NUL", C2S, 'Q', "SELECT 1", -1),
    BAD("Parse absurd nparams", C2S, 'P', "\0SELECT $1\0\x75\x30\0\0\0\x17", -1),
    BAD("Parse negative nparams", C2S, 'P', "\0SELECT 1\0\xff\xff", -1),
    BAD("Parse name without NUL", C2S, 'P', "stmt", -1),
    BAD("Parse text without NUL", C2S, 'P', "s1\0SELECT 1", -1),
    BAD("Parse without nparams", C2S, 'P', "\0SELECT 1\0", -1),
    BAD("Bind value past the end", C2S, 'B',
	"\0\0\0\0\0\1\0\0\x03\xe8"
	"abc",
	-1),
    BAD("Bind length -2", C2S, 'B', "\0\0\0\0\0\1\xff\xff\xff\xfe\0\0", -1),
    BAD("Bind absurd nparams", C2S, 'B', "\0\0\0\0\x7f\xff\0\0\0\1", -1),
    BAD("Bind negative nformats", C2S, 'B', "\0\0\xff\xff", -1),
    BAD("Bind portal without NUL", C2S, 'B', "p1", -1),
    BAD("Execute without NUL", C2S, 'E', "abc", -1),
    BAD("Execute without maxrows", C2S, 'E', "\0", -1),
    BAD("Close empty", C2S, 'C', "", -1),
    BAD("Describe without NUL", C2S, 'D', "Sabc", -1),
    BAD("startup length 5", C2S, 0, "", 5),
    BAD("startup length 20000", C2S, 0, "", 20000),
    BAD("startup protocol 2.0", C2S, 0, "\0\2\0\0user\0x\0\0", -1),
    BAD("startup key without NUL", C2S, 0, "\0\3\0\0user", -1),
    BAD("SSLRequest too long", C2S, 0, "\x04\xd2\x16\x2fxxxx", -1),
    BAD("ReadyForQuery length 6", S2C, 'Z', "", 6),
    BAD("ParseComplete length 5", S2C, '1', "", 5),
    BAD("server unknown type", S2C, 'x', "", -1),
    BAD("ErrorResponse unterminated", S2C, 'E', "SERROR\0C42601\0", -1),
    BAD("ErrorResponse field without NUL", S2C, 'E', "SERROR", -1),
    BAD("CommandComplete without NUL", S2C, 'C', "SELECT 1", -1),
    BAD("ParameterStatus without value NUL", S2C, 'S',
	"server_version\0"
	"15",
	-1),
};

static void test_malformed(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct result res;
		struct conv c = {0};
		struct bb b = {0};

		print_message("case: %s\n", bc->name);
		if (bc->dir == S2C) {
			fe_query(&b, "SELECT 1");
			cli(&c, &b);
		}
		begin(&b, bc->type);
		bb_put(&b, bc->body, bc->body_len);
		end(&b);
		if (bc->len >= 0)
			patch32(&b, b.start, (uint32_t)bc->len);
		add_gap(&c, bc->dir, &b, 0);
		fe_query(&b, "SELECT 2");
		cli(&c, &b);
		be_select(&b, 1);
		be_ready(&b, 'I');
		srv(&c, &b);
		check_conv(&c, NULL, &res);

		assert_int_equal(res.stats.parse_errors, 1);
		assert_int_equal(res.eproto, 1);
		assert_int_equal(res.stats.resyncs, 1);
		assert_int_equal(res.startups, 0);
		if (bc->dir == S2C) {
			/* what was pending lost its answer */
			assert_int_equal(res.n, 2);
			expect_unknown(&res.r[0], SQL_MSG_QUERY, "SELECT 1");
			expect_ok(&res.r[1], SQL_MSG_QUERY, "SELECT 2", "SELECT 1", 1);
		} else {
			assert_int_equal(res.n, 1);
			expect_ok(&res.r[0], SQL_MSG_QUERY, "SELECT 2", "SELECT 1", 1);
		}
		result_free(&res);
		conv_free(&c);
	}
}

static void test_truncated_then_close(void **state)
{
	static const char *const v[] = {"1"};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	/* a Query whose header promises 100 bytes, 30 of which arrive before the close */
	begin(&b, 'Q');
	bb_put(&b, "SELECT * FROM accounts WHERE ", 29);
	patch32(&b, b.start, 104);
	cli(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 1);
	expect_unknown(&res.r[0], SQL_MSG_QUERY, "SELECT * FROM accounts WHERE ");
	assert_int_equal(res.r[0].text_total, 99);
	assert_true(res.r[0].truncated);
	assert_int_equal(res.r[0].ts_request, ts_of(0));
	result_free(&res);
	conv_free(&c);

	/* Parse/Bind/Execute sent, Sync cut short: two requests with no answer */
	fe_parse(&b, "", "SELECT $1", 0, NULL);
	fe_bind(&b, "", "", 0, NULL, 1, v);
	fe_execute(&b, "", 0);
	bb_put(&b, "S\0\0", 3);
	cli(&c, &b);
	be_empty(&b, '1');
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 2);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "SELECT $1", "", 0);
	expect_unknown(&res.r[1], SQL_MSG_EXECUTE, "SELECT $1");
	assert_int_equal(res.r[1].lengths[0], 1);
	result_free(&res);
	conv_free(&c);

	/* the CommandComplete came but not the ReadyForQuery: the outcome heard stands */
	fe_query(&b, "UPDATE t SET a = 1");
	cli(&c, &b);
	be_complete(&b, "UPDATE 9");
	srv(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 1);
	expect_ok(&res.r[0], SQL_MSG_QUERY, "UPDATE t SET a = 1", "UPDATE 9", 9);
	result_free(&res);
	conv_free(&c);
}

static void test_close_reports_pending(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "SELECT pg_sleep(10)");
	fe_query(&b, "SELECT 2");
	cli(&c, &b);
	check_conv(&c, NULL, &res);
	assert_int_equal(res.n, 2);
	expect_unknown(&res.r[0], SQL_MSG_QUERY, "SELECT pg_sleep(10)");
	expect_unknown(&res.r[1], SQL_MSG_QUERY, "SELECT 2");
	assert_int_equal(res.r[1].ts_request, ts_of(0));
	assert_int_equal(res.stats.queries, 2);
	assert_int_equal(res.stats.dropped_pending, 0);
	result_free(&res);

	/* free without close reports nothing */
	c.no_close = true;
	run(&c, NULL, WHOLE, 0, &res);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.stats.queries, 0);
	result_free(&res);
	conv_free(&c);
}

static void test_pending_overflow(void **state)
{
	struct sqlwire_limits lim = {.max_pending = 2};
	struct result res;
	struct conv c = {0};
	struct bb b = {0};

	fe_query(&b, "SELECT 1");
	fe_query(&b, "SELECT 2");
	fe_query(&b, "SELECT 3");
	cli(&c, &b);
	be_complete(&b, "SELECT 1");
	be_ready(&b, 'I');
	be_complete(&b, "SELECT 2");
	be_ready(&b, 'I');
	be_complete(&b, "SELECT 3");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, &lim, &res);
	/* the oldest went at once; the others still get their own answers */
	assert_int_equal(res.n, 3);
	expect_unknown(&res.r[0], SQL_MSG_QUERY, "SELECT 1");
	expect_ok(&res.r[1], SQL_MSG_QUERY, "SELECT 2", "SELECT 2", 2);
	expect_ok(&res.r[2], SQL_MSG_QUERY, "SELECT 3", "SELECT 3", 3);
	assert_int_equal(res.stats.dropped_pending, 1);
	result_free(&res);
	conv_free(&c);

	/* one slot: the Execute pushes the Parse out, ParseComplete still goes to the Parse */
	lim.max_pending = 1;
	fe_parse(&b, "", "SELECT 7", 0, NULL);
	fe_bind(&b, "", "", 0, NULL, 0, NULL);
	fe_execute(&b, "", 0);
	fe_sync(&b);
	cli(&c, &b);
	be_empty(&b, '1');
	be_empty(&b, '2');
	be_complete(&b, "SELECT 1");
	be_ready(&b, 'I');
	srv(&c, &b);
	check_conv(&c, &lim, &res);
	assert_int_equal(res.n, 2);
	expect_unknown(&res.r[0], SQL_MSG_PARSE, "SELECT 7");
	expect_ok(&res.r[1], SQL_MSG_EXECUTE, "SELECT 7", "SELECT 1", 1);
	assert_int_equal(res.stats.dropped_pending, 1);
	result_free(&res);
	conv_free(&c);
}

/*
 * Real bytes: pgbench 15 -M extended running a pipeline (SELECT 1; SELECT 1/0;
 * SELECT 3) against PostgreSQL 15.18 over a unix socket, taken with
 * strace -xx from libpq's sendto/recvfrom calls.
 */
static const unsigned char real_pipe_0[] = {
    0x00, 0x00, 0x00, 0x42, 0x00, 0x03, 0x00, 0x00, 0x75, 0x73, 0x65, 0x72, 0x00, 0x70, 0x6f, 0x73, 0x74,
    0x67, 0x72, 0x65, 0x73, 0x00, 0x64, 0x61, 0x74, 0x61, 0x62, 0x61, 0x73, 0x65, 0x00, 0x70, 0x6f, 0x73,
    0x74, 0x67, 0x72, 0x65, 0x73, 0x00, 0x61, 0x70, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e,
    0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x70, 0x67, 0x62, 0x65, 0x6e, 0x63, 0x68, 0x00, 0x00,
};
static const unsigned char real_pipe_1[] = {
    0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x53, 0x00, 0x00, 0x00, 0x1d, 0x61, 0x70, 0x70, 0x6c, 0x69,
    0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x70, 0x67, 0x62, 0x65, 0x6e, 0x63, 0x68,
    0x00, 0x53, 0x00, 0x00, 0x00, 0x19, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x5f, 0x65, 0x6e, 0x63, 0x6f, 0x64, 0x69,
    0x6e, 0x67, 0x00, 0x55, 0x54, 0x46, 0x38, 0x00, 0x53, 0x00, 0x00, 0x00, 0x17, 0x44, 0x61, 0x74, 0x65, 0x53, 0x74,
    0x79, 0x6c, 0x65, 0x00, 0x49, 0x53, 0x4f, 0x2c, 0x20, 0x4d, 0x44, 0x59, 0x00, 0x53, 0x00, 0x00, 0x00, 0x26, 0x64,
    0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x5f, 0x74, 0x72, 0x61, 0x6e, 0x73, 0x61, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x5f,
    0x72, 0x65, 0x61, 0x64, 0x5f, 0x6f, 0x6e, 0x6c, 0x79, 0x00, 0x6f, 0x66, 0x66, 0x00, 0x53, 0x00, 0x00, 0x00, 0x17,
    0x69, 0x6e, 0x5f, 0x68, 0x6f, 0x74, 0x5f, 0x73, 0x74, 0x61, 0x6e, 0x64, 0x62, 0x79, 0x00, 0x6f, 0x66, 0x66, 0x00,
    0x53, 0x00, 0x00, 0x00, 0x19, 0x69, 0x6e, 0x74, 0x65, 0x67, 0x65, 0x72, 0x5f, 0x64, 0x61, 0x74, 0x65, 0x74, 0x69,
    0x6d, 0x65, 0x73, 0x00, 0x6f, 0x6e, 0x00, 0x53, 0x00, 0x00, 0x00, 0x1b, 0x49, 0x6e, 0x74, 0x65, 0x72, 0x76, 0x61,
    0x6c, 0x53, 0x74, 0x79, 0x6c, 0x65, 0x00, 0x70, 0x6f, 0x73, 0x74, 0x67, 0x72, 0x65, 0x73, 0x00, 0x53, 0x00, 0x00,
    0x00, 0x14, 0x69, 0x73, 0x5f, 0x73, 0x75, 0x70, 0x65, 0x72, 0x75, 0x73, 0x65, 0x72, 0x00, 0x6f, 0x6e, 0x00, 0x53,
    0x00, 0x00, 0x00, 0x19, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x5f, 0x65, 0x6e, 0x63, 0x6f, 0x64, 0x69, 0x6e, 0x67,
    0x00, 0x55, 0x54, 0x46, 0x38, 0x00, 0x53, 0x00, 0x00, 0x00, 0x32, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x5f, 0x76,
    0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x00, 0x31, 0x35, 0x2e, 0x31, 0x38, 0x20, 0x28, 0x44, 0x65, 0x62, 0x69, 0x61,
    0x6e, 0x20, 0x31, 0x35, 0x2e, 0x31, 0x38, 0x2d, 0x30, 0x2b, 0x64, 0x65, 0x62, 0x31, 0x32, 0x75, 0x31, 0x29, 0x00,
    0x53, 0x00, 0x00, 0x00, 0x23, 0x73, 0x65, 0x73, 0x73, 0x69, 0x6f, 0x6e, 0x5f, 0x61, 0x75, 0x74, 0x68, 0x6f, 0x72,
    0x69, 0x7a, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x00, 0x70, 0x6f, 0x73, 0x74, 0x67, 0x72, 0x65, 0x73, 0x00, 0x53, 0x00,
    0x00, 0x00, 0x23, 0x73, 0x74, 0x61, 0x6e, 0x64, 0x61, 0x72, 0x64, 0x5f, 0x63, 0x6f, 0x6e, 0x66, 0x6f, 0x72, 0x6d,
    0x69, 0x6e, 0x67, 0x5f, 0x73, 0x74, 0x72, 0x69, 0x6e, 0x67, 0x73, 0x00, 0x6f, 0x6e, 0x00, 0x53, 0x00, 0x00, 0x00,
    0x15, 0x54, 0x69, 0x6d, 0x65, 0x5a, 0x6f, 0x6e, 0x65, 0x00, 0x45, 0x74, 0x63, 0x2f, 0x55, 0x54, 0x43, 0x00, 0x4b,
    0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x42, 0x95, 0xea, 0xdc, 0x9e, 0x2e, 0x5a, 0x00, 0x00, 0x00, 0x05, 0x49,
};
static const unsigned char real_pipe_2[] = {
    0x50, 0x00, 0x00, 0x00, 0x11, 0x00, 0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x31, 0x3b, 0x00, 0x00, 0x00,
    0x42, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x44, 0x00, 0x00,
    0x00, 0x06, 0x50, 0x00, 0x45, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00,
    0x13, 0x00, 0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x31, 0x2f, 0x30, 0x3b, 0x00, 0x00, 0x00, 0x42, 0x00,
    0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00, 0x06,
    0x50, 0x00, 0x45, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x11, 0x00,
    0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x33, 0x3b, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x00, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00, 0x06, 0x50, 0x00, 0x45, 0x00,
    0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53, 0x00, 0x00, 0x00, 0x04,
};
static const unsigned char real_pipe_3[] = {
    0x31, 0x00, 0x00, 0x00, 0x04, 0x32, 0x00, 0x00, 0x00, 0x04, 0x54, 0x00, 0x00, 0x00, 0x21, 0x00, 0x01, 0x3f, 0x63,
    0x6f, 0x6c, 0x75, 0x6d, 0x6e, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x17, 0x00, 0x04,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x31, 0x43,
    0x00, 0x00, 0x00, 0x0d, 0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x31, 0x00, 0x31, 0x00, 0x00, 0x00, 0x04, 0x45,
    0x00, 0x00, 0x00, 0x41, 0x53, 0x45, 0x52, 0x52, 0x4f, 0x52, 0x00, 0x56, 0x45, 0x52, 0x52, 0x4f, 0x52, 0x00, 0x43,
    0x32, 0x32, 0x30, 0x31, 0x32, 0x00, 0x4d, 0x64, 0x69, 0x76, 0x69, 0x73, 0x69, 0x6f, 0x6e, 0x20, 0x62, 0x79, 0x20,
    0x7a, 0x65, 0x72, 0x6f, 0x00, 0x46, 0x69, 0x6e, 0x74, 0x2e, 0x63, 0x00, 0x4c, 0x38, 0x36, 0x39, 0x00, 0x52, 0x69,
    0x6e, 0x74, 0x34, 0x64, 0x69, 0x76, 0x00, 0x00, 0x5a, 0x00, 0x00, 0x00, 0x05, 0x49,
};
static const unsigned char real_pipe_4[] = {
    0x58, 0x00, 0x00, 0x00, 0x04,
};
static const struct {
	enum sql_dir dir;
	const unsigned char *bytes;
	size_t len;
} real_pipe[] = {
    {SQL_DIR_TO_SERVER, real_pipe_0, sizeof(real_pipe_0)}, {SQL_DIR_TO_CLIENT, real_pipe_1, sizeof(real_pipe_1)},
    {SQL_DIR_TO_SERVER, real_pipe_2, sizeof(real_pipe_2)}, {SQL_DIR_TO_CLIENT, real_pipe_3, sizeof(real_pipe_3)},
    {SQL_DIR_TO_SERVER, real_pipe_4, sizeof(real_pipe_4)},
};

static void test_real_pgbench_pipeline(void **state)
{
	struct result res;
	struct conv c = {0};
	struct bb b = {0};
	size_t i;

	for (i = 0; i < sizeof(real_pipe) / sizeof(real_pipe[0]); i++) {
		bb_put(&b, real_pipe[i].bytes, real_pipe[i].len);
		add_gap(&c, real_pipe[i].dir, &b, 0);
	}
	check_conv(&c, NULL, &res);
	assert_int_equal(res.startups, 1);
	assert_string_equal(res.user, "postgres");
	assert_string_equal(res.database, "postgres");
	assert_string_equal(res.appname, "pgbench");
	assert_string_equal(res.version, "15.18 (Debian 15.18-0+deb12u1)");
	assert_int_equal(res.n, 6);
	expect_ok(&res.r[0], SQL_MSG_PARSE, "SELECT 1;", "", 0);
	assert_int_equal(res.r[0].param_count, 0);
	expect_ok(&res.r[1], SQL_MSG_EXECUTE, "SELECT 1;", "SELECT 1", 1);
	expect_ok(&res.r[2], SQL_MSG_PARSE, "SELECT 1/0;", "", 0);
	assert_int_equal(res.r[3].kind, SQL_MSG_EXECUTE);
	assert_string_equal(res.r[3].text, "SELECT 1/0;");
	assert_int_equal(res.r[3].outcome, SQL_OUTCOME_ERROR);
	assert_string_equal(res.r[3].sqlstate, "22012");
	assert_string_equal(res.r[3].error_message, "division by zero");
	assert_int_equal(res.r[3].ts_request, ts_of(2));
	assert_int_equal(res.r[3].ts_response, ts_of(3));
	expect_unknown(&res.r[4], SQL_MSG_PARSE, "SELECT 3;");
	expect_unknown(&res.r[5], SQL_MSG_EXECUTE, "SELECT 3;");
	assert_int_equal(res.stats.parse_errors, 0);
	result_free(&res);
	conv_free(&c);
}

struct startup_case {
	const char *name;
	const char *bytes;
	size_t len;
	bool want;
};

#define SC(n, b, w)                                                                                                    \
	{                                                                                                              \
		n, b, sizeof(b) - 1, w                                                                                 \
	}

static const struct startup_case startup_cases[] = {
    SC("StartupMessage 3.0", "\0\0\0\x14\0\3\0\0user\0alice\0\0", true),
    SC("StartupMessage 3.2", "\0\0\0\x14\0\3\0\2user\0alice\0\0", true),
    SC("first 8 bytes only", "\0\0\0\x17\0\3\0\0", true),
    SC("SSLRequest", "\0\0\0\x08\x04\xd2\x16\x2f", true),
    SC("GSSENCRequest", "\0\0\0\x08\x04\xd2\x16\x30", true),
    SC("CancelRequest", "\0\0\0\x10\x04\xd2\x16\x2e\0\0\x10\x92\x12\x34\x56\x78", true),
    SC("7 bytes", "\0\0\0\x08\x04\xd2\x16", false),
    SC("empty", "", false),
    SC("a Query", "Q\0\0\0\x0dSELECT 1\0", false),
    SC("TLS ClientHello", "\x16\x03\x01\x02\0\x01\0\x01\xfc\x03\x03", false),
    SC("protocol 2.0", "\0\0\0\x17\0\2\0\0user\0alice\0\0", false),
    SC("protocol 4.0", "\0\0\0\x17\0\4\0\0user\0alice\0\0", false),
    SC("SSLRequest with length 16", "\0\0\0\x10\x04\xd2\x16\x2f", false),
    SC("startup length 8", "\0\0\0\x08\0\3\0\0", false),
    SC("startup length 10001", "\0\0\x27\x11\0\3\0\0", false),
    SC("CancelRequest length 8", "\0\0\0\x08\x04\xd2\x16\x2e", false),
    SC("MySQL greeting",
       "\x4a\0\0\0\x0a"
       "8.0.36\0",
       false),
    SC("HTTP", "GET / HTTP/1.1\r\n", false),
};

static void test_looks_like_startup(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(startup_cases) / sizeof(startup_cases[0]); i++) {
		const struct startup_case *sc = &startup_cases[i];
		unsigned char *copy = malloc(sc->len ? sc->len : 1);

		assert_non_null(copy);
		memcpy(copy, sc->bytes, sc->len);
		if (pgwire__looks_like_startup(copy, sc->len) != sc->want)
			fail_msg("%s: want %d", sc->name, sc->want);
		free(copy);
	}
	assert_false(pgwire__looks_like_startup(NULL, 0));
}

static void test_api_edges(void **state)
{
	struct sqlwire_stats st;
	struct pgwire *pw;
	struct result res;
	struct sqlwire_callbacks cb = {on_query, NULL, &res};

	memset(&res, 0, sizeof(res));
	pgwire__free(NULL);
	pgwire__close(NULL);
	pw = pgwire__new(NULL, &cb);
	assert_non_null(pw);
	assert_int_equal(pgwire__feed(pw, SQL_DIR_TO_SERVER, NULL, 1, 1, 0), -EINVAL);
	assert_int_equal(pgwire__feed(pw, (enum sql_dir)7, "Q", 1, 1, 0), -EINVAL);
	assert_int_equal(pgwire__feed(pw, SQL_DIR_TO_SERVER, NULL, 0, 0, 0), 0);
	/* total < len is read as total == len: no gap */
	assert_int_equal(pgwire__feed(pw, SQL_DIR_TO_SERVER, "S\0\0\0\4", 5, 2, 0), 0);
	pgwire__stats(pw, &st);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(pgwire__session(pw)->dialect, SQL_DIALECT_POSTGRES);
	assert_non_null(pgwire__session(pw)->server_version);
	pgwire__close(pw);
	pgwire__close(pw);
	pgwire__free(pw);
	assert_int_equal(res.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_startup_session),
	    cmocka_unit_test(test_startup_database_defaults_to_user),
	    cmocka_unit_test(test_ssl_accepted),
	    cmocka_unit_test(test_ssl_refused_then_startup),
	    cmocka_unit_test(test_direct_tls),
	    cmocka_unit_test(test_simple_query_tags),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_multi_statement),
	    cmocka_unit_test(test_empty_query),
	    cmocka_unit_test(test_copy_in),
	    cmocka_unit_test(test_extended_lengths_only),
	    cmocka_unit_test(test_extended_values),
	    cmocka_unit_test(test_bind_null_and_binary),
	    cmocka_unit_test(test_named_statement),
	    cmocka_unit_test(test_statement_map_bounded),
	    cmocka_unit_test(test_portal_keeps_statement),
	    cmocka_unit_test(test_portal_suspended),
	    cmocka_unit_test(test_extended_error_skips_to_sync),
	    cmocka_unit_test(test_extended_error_sync_lost),
	    cmocka_unit_test(test_bind_error_fails_execute),
	    cmocka_unit_test(test_pipelined_simple),
	    cmocka_unit_test(test_pipelined_extended),
	    cmocka_unit_test(test_response_split_across_feeds),
	    cmocka_unit_test(test_big_query_with_gap),
	    cmocka_unit_test(test_big_query_many_feeds),
	    cmocka_unit_test(test_parse_bind_partly_captured),
	    cmocka_unit_test(test_gap_past_message),
	    cmocka_unit_test(test_server_gap),
	    cmocka_unit_test(test_mid_stream),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_truncated_then_close),
	    cmocka_unit_test(test_close_reports_pending),
	    cmocka_unit_test(test_pending_overflow),
	    cmocka_unit_test(test_real_pgbench_pipeline),
	    cmocka_unit_test(test_looks_like_startup),
	    cmocka_unit_test(test_api_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

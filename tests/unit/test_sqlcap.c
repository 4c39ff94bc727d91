/*
 * Unit tests for agent/sqlcap.c: the connection table between payload
 * records and the protocol decoders. Each test builds struct aisec_payload
 * records by hand, as the kernel sends them (a heap block of exactly the
 * header plus the captured bytes), carrying real PostgreSQL or MySQL bytes,
 * and checks what comes out of the sqlcap callback: dialect, server string,
 * connection id, the writer's pid and what the decoder said about the query;
 * the unix-socket verdicts and patterns; the LRU bound; closing by process
 * exit and at free; and the counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sqlcap.h"

/* ---- bytes ---- */

struct bb {
	unsigned char *p;
	size_t len, cap;
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

static void bb_be32(struct bb *b, uint32_t v)
{
	bb_u8(b, v >> 24);
	bb_u8(b, v >> 16);
	bb_u8(b, v >> 8);
	bb_u8(b, v);
}

static void bb_le(struct bb *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		bb_u8(b, (unsigned)(v >> (8 * i)));
}

static void bb_cstr(struct bb *b, const char *s)
{
	bb_put(b, s, strlen(s) + 1);
}

static void bb_raw(struct bb *b, const char *s)
{
	bb_put(b, s, strlen(s));
}

static void bb_free(struct bb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- PostgreSQL messages ---- */

static void pg_begin(struct bb *b, char type)
{
	bb_u8(b, (unsigned char)type);
	b->start = b->len;
	bb_be32(b, 0);
}

static void pg_end(struct bb *b)
{
	uint32_t n = (uint32_t)(b->len - b->start);

	b->p[b->start] = (unsigned char)(n >> 24);
	b->p[b->start + 1] = (unsigned char)(n >> 16);
	b->p[b->start + 2] = (unsigned char)(n >> 8);
	b->p[b->start + 3] = (unsigned char)n;
}

static void pg_startup(struct bb *b, const char *user, const char *db, const char *app)
{
	b->start = b->len;
	bb_be32(b, 0);
	bb_be32(b, 196608);
	bb_cstr(b, "user");
	bb_cstr(b, user);
	bb_cstr(b, "database");
	bb_cstr(b, db);
	if (app) {
		bb_cstr(b, "application_name");
		bb_cstr(b, app);
	}
	bb_u8(b, 0);
	pg_end(b);
}

static void pg_ssl_request(struct bb *b)
{
	bb_be32(b, 8);
	bb_be32(b, 80877103);
}

static void pg_query(struct bb *b, const char *sql)
{
	pg_begin(b, 'Q');
	bb_cstr(b, sql);
	pg_end(b);
}

static void pg_auth_ok(struct bb *b)
{
	pg_begin(b, 'R');
	bb_be32(b, 0);
	pg_end(b);
}

static void pg_ready(struct bb *b)
{
	pg_begin(b, 'Z');
	bb_u8(b, 'I');
	pg_end(b);
}

static void pg_complete(struct bb *b, const char *tag)
{
	pg_begin(b, 'C');
	bb_cstr(b, tag);
	pg_end(b);
}

static void pg_error(struct bb *b, const char *code, const char *msg)
{
	pg_begin(b, 'E');
	bb_u8(b, 'S');
	bb_cstr(b, "ERROR");
	bb_u8(b, 'V');
	bb_cstr(b, "ERROR");
	bb_u8(b, 'C');
	bb_cstr(b, code);
	bb_u8(b, 'M');
	bb_cstr(b, msg);
	bb_u8(b, 'P');
	bb_cstr(b, "1");
	bb_u8(b, 0);
	pg_end(b);
}

/* ---- MySQL packets ---- */

#define C_MYSQL 0x1ULL
#define C_WITH_DB 0x8ULL
#define C_PROTOCOL_41 0x200ULL
#define C_TRANSACTIONS 0x2000ULL
#define C_SECURE 0x8000ULL
#define C_PLUGIN_AUTH 0x80000ULL
#define MY_CAPS (C_MYSQL | C_WITH_DB | C_PROTOCOL_41 | C_TRANSACTIONS | C_SECURE | C_PLUGIN_AUTH)

static void my_begin(struct bb *b, unsigned seq)
{
	b->start = b->len;
	bb_le(b, 0, 3);
	bb_u8(b, seq);
}

static void my_end(struct bb *b)
{
	size_t n = b->len - b->start - 4;

	b->p[b->start] = (unsigned char)n;
	b->p[b->start + 1] = (unsigned char)(n >> 8);
	b->p[b->start + 2] = (unsigned char)(n >> 16);
}

static void my_greeting(struct bb *b)
{
	my_begin(b, 0);
	bb_u8(b, 10);
	bb_cstr(b, "8.0.36");
	bb_le(b, 77, 4);
	bb_raw(b, "12345678");
	bb_u8(b, 0);
	bb_le(b, MY_CAPS, 2);
	bb_u8(b, 45);
	bb_le(b, 0x0002, 2);
	bb_le(b, MY_CAPS >> 16, 2);
	bb_u8(b, 21);
	for (int i = 0; i < 10; i++)
		bb_u8(b, 0);
	bb_raw(b, "9abcdefghijk");
	bb_u8(b, 0);
	bb_cstr(b, "mysql_native_password");
	my_end(b);
}

static void my_handshake_response(struct bb *b, const char *user, const char *db)
{
	my_begin(b, 1);
	bb_le(b, MY_CAPS, 4);
	bb_le(b, 16777216, 4);
	bb_u8(b, 45);
	for (int i = 0; i < 23; i++)
		bb_u8(b, 0);
	bb_cstr(b, user);
	bb_u8(b, 4);
	bb_raw(b, "\x01\x02\x03\x04");
	bb_cstr(b, db);
	bb_cstr(b, "mysql_native_password");
	my_end(b);
}

static void my_ok(struct bb *b, unsigned seq, unsigned affected)
{
	my_begin(b, seq);
	bb_u8(b, 0);
	bb_u8(b, affected); /* lenenc, < 251 */
	bb_u8(b, 0);
	bb_le(b, 0x0002, 2);
	bb_le(b, 0, 2);
	my_end(b);
}

static void my_err(struct bb *b, unsigned seq, unsigned code, const char *state, const char *msg)
{
	my_begin(b, seq);
	bb_u8(b, 0xff);
	bb_le(b, code, 2);
	bb_u8(b, '#');
	bb_raw(b, state);
	bb_raw(b, msg);
	my_end(b);
}

static void my_query(struct bb *b, const char *sql)
{
	my_begin(b, 0);
	bb_u8(b, 0x03);
	bb_raw(b, sql);
	my_end(b);
}

/* ---- what the callback saw ---- */

struct rec {
	bool is_query; /* false: the encryption notice */
	enum sql_dialect dialect;
	char server[512];
	__u64 conn_id;
	__u32 pid, tid;
	enum sql_msg_kind kind;
	char text[512];
	size_t text_len, text_total;
	bool truncated;
	enum sql_outcome outcome;
	char sqlstate[6];
	int error_code;
	char error[256];
	char tag[64];
	__u64 rows;
	__u64 ts_request, ts_response;
	char user[64], database[64], app[64];
	bool startup_seen, encrypted;
};

#define MAX_RECS 64

struct sink {
	struct rec r[MAX_RECS];
	size_t n;
};

static void copy_str(char *dst, size_t len, const char *src)
{
	assert_non_null(src);
	assert_true(strlen(src) < len);
	strcpy(dst, src);
}

static void on_event(void *ctx, const struct sql_event *ev)
{
	struct sink *sk = ctx;
	struct rec *r;

	assert_true(sk->n < MAX_RECS);
	r = &sk->r[sk->n++];
	memset(r, 0, sizeof(*r));
	r->dialect = ev->dialect;
	copy_str(r->server, sizeof(r->server), ev->server);
	r->conn_id = ev->conn_id;
	r->pid = ev->pid;
	r->tid = ev->tid;
	assert_non_null(ev->s);
	copy_str(r->user, sizeof(r->user), ev->s->user);
	copy_str(r->database, sizeof(r->database), ev->s->database);
	copy_str(r->app, sizeof(r->app), ev->s->application_name);
	r->startup_seen = ev->s->startup_seen;
	r->encrypted = ev->s->encrypted;
	if (!ev->q)
		return;
	r->is_query = true;
	r->kind = ev->q->kind;
	copy_str(r->text, sizeof(r->text), ev->q->text);
	r->text_len = ev->q->text_len;
	r->text_total = ev->q->text_total;
	r->truncated = ev->q->truncated;
	r->outcome = ev->q->outcome;
	memcpy(r->sqlstate, ev->q->sqlstate, sizeof(r->sqlstate));
	r->error_code = ev->q->error_code;
	copy_str(r->error, sizeof(r->error), ev->q->error_message);
	copy_str(r->tag, sizeof(r->tag), ev->q->command_tag);
	r->rows = ev->q->rows;
	r->ts_request = ev->q->ts_request;
	r->ts_response = ev->q->ts_response;
}

/* ---- payload records ---- */

/* The socket a record comes from. */
struct peer {
	__u64 ino;
	__u16 family;
	const char *ip; /* inet: text form */
	__u16 port;
	const char *path; /* unix: the server's path */
	size_t path_len;  /* unix_len; 0: strlen + 1, as the kernel reports a bound path */
	__u8 dialect;	  /* enum aisec_dialect */
};

static const struct peer PG4 = {1001, AF_INET, "127.0.0.1", 5432, NULL, 0, AISEC_DIALECT_POSTGRES};
static const struct peer PG6 = {1002, AF_INET6, "::1", 5432, NULL, 0, AISEC_DIALECT_POSTGRES};
static const struct peer MY6 = {1003, AF_INET6, "::1", 3306, NULL, 0, AISEC_DIALECT_MYSQL};

#define W 0 /* written: client to server */
#define R 1 /* read: server to client */

/* A record of exactly its real size, as events__decode hands it over:
 * captured bytes of data of a syscall that moved ret bytes. */
static struct aisec_payload *mk(const struct peer *pe, __u32 pid, int dir, __u64 ts, const void *data, size_t captured,
				size_t ret)
{
	size_t size = offsetof(struct aisec_payload, data) + captured;
	struct aisec_payload *p = malloc(size);

	assert_non_null(p);
	memset(p, 0, size);
	p->hdr.ts_ns = ts;
	p->hdr.kind = AISEC_EV_PAYLOAD;
	p->hdr.size = (__u32)size;
	p->hdr.pid = pid;
	p->hdr.tid = pid + 1;
	p->sock_ino = pe->ino;
	p->ret = (__s64)ret;
	p->fd = 7;
	p->captured = (__u32)captured;
	p->family = pe->family;
	p->dir = (__u8)dir;
	p->dialect = pe->dialect;
	if (pe->family == AF_UNIX) {
		size_t n = pe->path_len ? pe->path_len : strlen(pe->path) + 1;

		assert_true(n <= AISEC_UNIX_PATH_MAX);
		memcpy(p->unix_path, pe->path, n);
		p->unix_len = (__u16)n;
	} else {
		p->port = pe->port;
		assert_int_equal(inet_pton(pe->family, pe->ip, p->addr), 1);
	}
	if (captured)
		memcpy(p->data, data, captured);
	return p;
}

/* Hand one record to sqlcap; its return value, verdict set when 1. */
static int send_part(struct sqlcap *sc, const struct peer *pe, __u32 pid, int dir, __u64 ts, const struct bb *b,
		     size_t captured, __u8 *verdict)
{
	struct aisec_payload *p = mk(pe, pid, dir, ts, b->p, captured, b->len);
	int rc = sqlcap__on_payload(sc, p, verdict);

	free(p);
	return rc;
}

/* One whole syscall on a socket the kernel classified: returns 0. Empties b. */
static void xfer(struct sqlcap *sc, const struct peer *pe, __u32 pid, int dir, __u64 ts, struct bb *b)
{
	__u8 verdict = 0xee;

	assert_int_equal(send_part(sc, pe, pid, dir, ts, b, b->len, &verdict), 0);
	assert_int_equal(verdict, 0xee);
	b->len = 0;
}

/* A PostgreSQL session up to ReadyForQuery, written and read by pid. */
static void pg_login(struct sqlcap *sc, const struct peer *pe, __u32 pid, const char *user)
{
	struct bb b = {0};

	pg_startup(&b, user, "appdb", "psql");
	xfer(sc, pe, pid, W, 1000, &b);
	pg_auth_ok(&b);
	pg_ready(&b);
	xfer(sc, pe, pid, R, 2000, &b);
	bb_free(&b);
}

static void pg_send_query(struct sqlcap *sc, const struct peer *pe, __u32 pid, __u64 ts, const char *sql)
{
	struct bb b = {0};

	pg_query(&b, sql);
	xfer(sc, pe, pid, W, ts, &b);
	bb_free(&b);
}

static void pg_reply_ok(struct sqlcap *sc, const struct peer *pe, __u32 pid, __u64 ts, const char *tag)
{
	struct bb b = {0};

	pg_complete(&b, tag);
	pg_ready(&b);
	xfer(sc, pe, pid, R, ts, &b);
	bb_free(&b);
}

static struct sqlcap *new_sc(struct sink *sk, size_t max_conns)
{
	struct sqlcap_opts o = {.max_conns = max_conns};
	struct sqlcap *sc;

	memset(sk, 0, sizeof(*sk));
	sc = sqlcap__new(&o, on_event, sk);
	assert_non_null(sc);
	return sc;
}

static void expect_query(const struct rec *r, __u64 conn, __u32 pid, const char *text, enum sql_outcome outcome)
{
	assert_true(r->is_query);
	assert_int_equal(r->conn_id, conn);
	assert_int_equal(r->pid, pid);
	assert_int_equal(r->tid, pid + 1);
	assert_int_equal(r->kind, SQL_MSG_QUERY);
	assert_string_equal(r->text, text);
	assert_int_equal(r->outcome, outcome);
}

/* ---- tests ---- */

static void test_pg_inet_query_ok(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct sqlcap_stats st;
	struct bb b = {0};

	(void)state;
	pg_login(sc, &PG4, 4242, "postgres");
	assert_int_equal(sk.n, 0);
	pg_send_query(sc, &PG4, 4242, 5000000, "SELECT 41 + 1 AS answer");
	assert_int_equal(sk.n, 0);
	/* The reply is read by another thread group (a pool worker): the
	 * request's writer is who the event names. */
	pg_complete(&b, "SELECT 1");
	pg_ready(&b);
	xfer(sc, &PG4, 5555, R, 5412000, &b);
	assert_int_equal(sk.n, 1);
	expect_query(&sk.r[0], 1001, 4242, "SELECT 41 + 1 AS answer", SQL_OUTCOME_OK);
	assert_int_equal(sk.r[0].dialect, SQL_DIALECT_POSTGRES);
	assert_string_equal(sk.r[0].server, "127.0.0.1:5432");
	assert_string_equal(sk.r[0].tag, "SELECT 1");
	assert_int_equal(sk.r[0].rows, 1);
	assert_int_equal(sk.r[0].text_total, 23);
	assert_false(sk.r[0].truncated);
	assert_int_equal(sk.r[0].ts_request, 5000000);
	assert_int_equal(sk.r[0].ts_response, 5412000);
	assert_string_equal(sk.r[0].user, "postgres");
	assert_string_equal(sk.r[0].database, "appdb");
	assert_string_equal(sk.r[0].app, "psql");
	assert_true(sk.r[0].startup_seen);
	assert_false(sk.r[0].encrypted);

	/* Another process writes the next request on the same connection. */
	pg_send_query(sc, &PG4, 7777, 6000000, "SELECT 2");
	pg_reply_ok(sc, &PG4, 4242, 6100000, "SELECT 1");
	assert_int_equal(sk.n, 2);
	expect_query(&sk.r[1], 1001, 7777, "SELECT 2", SQL_OUTCOME_OK);

	sqlcap__stats(sc, &st);
	assert_int_equal(st.payloads, 6);
	assert_int_equal(st.conns_opened, 1);
	assert_int_equal(st.conns_evicted, 0);
	assert_int_equal(st.queries, 2);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.parse_errors, 0);
	assert_int_equal(st.not_db, 0);
	sqlcap__free(sc);
	assert_int_equal(sk.n, 2); /* nothing was pending */
	bb_free(&b);
}

/* A connection first seen on a read takes the reader's pid until someone writes. */
static void test_pg_first_seen_reading(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct bb b = {0};

	(void)state;
	pg_ready(&b);
	xfer(sc, &PG4, 300, R, 100, &b);
	/* A later read by someone else keeps it. */
	pg_ready(&b);
	xfer(sc, &PG4, 301, R, 150, &b);
	sqlcap__on_exit(sc, 301);
	pg_send_query(sc, &PG4, 302, 200, "SELECT 1");
	sqlcap__on_exit(sc, 300); /* no longer the connection's process */
	assert_int_equal(sk.n, 0);
	sqlcap__on_exit(sc, 302);
	assert_int_equal(sk.n, 1);
	expect_query(&sk.r[0], 1001, 302, "SELECT 1", SQL_OUTCOME_UNKNOWN);
	assert_false(sk.r[0].startup_seen);
	assert_string_equal(sk.r[0].user, "");
	sqlcap__free(sc);
	bb_free(&b);
}

static void test_pg_syntax_error(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct bb b = {0};

	(void)state;
	pg_login(sc, &PG6, 31, "alice");
	pg_send_query(sc, &PG6, 31, 9000, "SELEC 1");
	pg_error(&b, "42601", "syntax error at or near \"SELEC\"");
	pg_ready(&b);
	xfer(sc, &PG6, 31, R, 9500, &b);
	assert_int_equal(sk.n, 1);
	expect_query(&sk.r[0], 1002, 31, "SELEC 1", SQL_OUTCOME_ERROR);
	assert_int_equal(sk.r[0].dialect, SQL_DIALECT_POSTGRES);
	assert_string_equal(sk.r[0].server, "[::1]:5432");
	assert_string_equal(sk.r[0].sqlstate, "42601");
	assert_int_equal(sk.r[0].error_code, 0);
	assert_string_equal(sk.r[0].error, "syntax error at or near \"SELEC\"");
	assert_string_equal(sk.r[0].tag, "");
	assert_string_equal(sk.r[0].user, "alice");
	assert_int_equal(sk.r[0].ts_response, 9500);
	sqlcap__free(sc);
	bb_free(&b);
}

static void test_mysql_inet6(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct sqlcap_stats st;
	struct bb b = {0};

	(void)state;
	my_greeting(&b);
	xfer(sc, &MY6, 900, R, 10, &b);
	my_handshake_response(&b, "app", "shop");
	xfer(sc, &MY6, 900, W, 20, &b);
	my_ok(&b, 2, 0);
	xfer(sc, &MY6, 900, R, 30, &b);
	assert_int_equal(sk.n, 0);

	my_query(&b, "UPDATE t SET a = 1");
	xfer(sc, &MY6, 900, W, 40, &b);
	my_ok(&b, 1, 3);
	xfer(sc, &MY6, 900, R, 50, &b);
	assert_int_equal(sk.n, 1);
	expect_query(&sk.r[0], 1003, 900, "UPDATE t SET a = 1", SQL_OUTCOME_OK);
	assert_int_equal(sk.r[0].dialect, SQL_DIALECT_MYSQL);
	assert_string_equal(sk.r[0].server, "[::1]:3306");
	assert_int_equal(sk.r[0].rows, 3);
	assert_string_equal(sk.r[0].user, "app");
	assert_string_equal(sk.r[0].database, "shop");
	assert_true(sk.r[0].startup_seen);

	my_query(&b, "SELEC 1");
	xfer(sc, &MY6, 901, W, 60, &b);
	my_err(&b, 1, 1064, "42000", "You have an error in your SQL syntax");
	xfer(sc, &MY6, 900, R, 70, &b);
	assert_int_equal(sk.n, 2);
	expect_query(&sk.r[1], 1003, 901, "SELEC 1", SQL_OUTCOME_ERROR);
	assert_int_equal(sk.r[1].dialect, SQL_DIALECT_MYSQL);
	assert_int_equal(sk.r[1].error_code, 1064);
	assert_string_equal(sk.r[1].sqlstate, "42000");
	assert_string_equal(sk.r[1].error, "You have an error in your SQL syntax");
	assert_int_equal(sk.r[1].ts_request, 60);
	assert_int_equal(sk.r[1].ts_response, 70);

	sqlcap__free_report(sc, &st);
	assert_int_equal(sk.n, 2);
	assert_int_equal(st.payloads, 7);
	assert_int_equal(st.conns_opened, 1);
	assert_int_equal(st.queries, 2);
	assert_int_equal(st.parse_errors, 0);
	bb_free(&b);
}

/* The server accepts SSL: one notice with q == NULL, then nothing decoded. */
static void test_pg_encrypted_notice(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct sqlcap_stats st;
	struct bb b = {0};

	(void)state;
	pg_ssl_request(&b);
	xfer(sc, &PG4, 66, W, 10, &b);
	bb_u8(&b, 'S');
	xfer(sc, &PG4, 66, R, 20, &b);
	assert_int_equal(sk.n, 1);
	assert_false(sk.r[0].is_query);
	assert_true(sk.r[0].encrypted);
	assert_int_equal(sk.r[0].conn_id, 1001);
	assert_int_equal(sk.r[0].pid, 66);
	assert_int_equal(sk.r[0].dialect, SQL_DIALECT_POSTGRES);
	assert_string_equal(sk.r[0].server, "127.0.0.1:5432");
	bb_raw(&b, "\x16\x03\x01\x00\x05hello");
	xfer(sc, &PG4, 66, W, 30, &b);
	assert_int_equal(sk.n, 1);
	sqlcap__free_report(sc, &st);
	assert_int_equal(sk.n, 1);
	assert_int_equal(st.queries, 0); /* the notice is not a query */
	bb_free(&b);
}

struct unix_case {
	const char *path;
	size_t path_len;
	__u8 verdict;
	enum sql_dialect dialect;
};

static void test_unix_verdicts(void **state)
{
	static const struct unix_case cases[] = {
	    {"/var/run/postgresql/.s.PGSQL.5432", 0, AISEC_DIALECT_POSTGRES, SQL_DIALECT_POSTGRES},
	    {"/tmp/.s.PGSQL.6543", 18, AISEC_DIALECT_POSTGRES, SQL_DIALECT_POSTGRES}, /* no NUL in unix_len */
	    {"/run/mysqld/mysqld.sock", 0, AISEC_DIALECT_MYSQL, SQL_DIALECT_MYSQL},
	    {"/var/lib/mysql/mysql.sock", 0, AISEC_DIALECT_MYSQL, SQL_DIALECT_MYSQL},
	    {"/tmp/app.sock", 0, AISEC_DIALECT_NONE, SQL_DIALECT_UNKNOWN},
	    {"/tmp/.s.PGSQL.5432.lock", 0, AISEC_DIALECT_POSTGRES, SQL_DIALECT_POSTGRES}, /* glob is .s.PGSQL.* */
	    {"/srv/.s.PGSQL.5432/app.sock", 0, AISEC_DIALECT_NONE, SQL_DIALECT_UNKNOWN},  /* basename only */
	    {"/run/mysql.sock.d/x", 0, AISEC_DIALECT_NONE, SQL_DIALECT_UNKNOWN},
	    {"/run/app/mysql-exporter", 0, AISEC_DIALECT_NONE, SQL_DIALECT_UNKNOWN},
	    {"\0abstract.s.PGSQL.1", 20, AISEC_DIALECT_NONE, SQL_DIALECT_UNKNOWN},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct unix_case *c = &cases[i];
		struct peer pe = {5000 + i, AF_UNIX, NULL, 0, c->path, c->path_len, AISEC_DIALECT_UNKNOWN};
		struct sink sk;
		struct sqlcap *sc = new_sc(&sk, 0);
		struct sqlcap_stats st;
		struct bb b = {0};
		__u8 verdict = 0xee;
		bool db = c->dialect != SQL_DIALECT_UNKNOWN;

		if (c->path[0])
			assert_int_equal(sqlcap__classify_unix(sc, c->path), c->dialect);
		if (c->dialect == SQL_DIALECT_MYSQL)
			my_query(&b, "SELECT 1");
		else
			pg_query(&b, "SELECT 1");
		assert_int_equal(send_part(sc, &pe, 40, W, 100, &b, b.len, &verdict), 1);
		assert_int_equal(verdict, c->verdict);
		sqlcap__stats(sc, &st);
		assert_int_equal(st.payloads, 1);
		assert_int_equal(st.conns_opened, db ? 1 : 0);
		assert_int_equal(st.not_db, db ? 0 : 1);
		/* The kernel now knows: later records carry the dialect. */
		pe.dialect = c->verdict;
		verdict = 0xee;
		assert_int_equal(send_part(sc, &pe, 40, W, 200, &b, b.len, &verdict), 0);
		assert_int_equal(verdict, 0xee);
		sqlcap__stats(sc, &st);
		assert_int_equal(st.conns_opened, db ? 1 : 0);
		assert_int_equal(sk.n, 0);
		sqlcap__free(sc);
		/* Two requests pending on the one connection, none on a non-database. */
		assert_int_equal(sk.n, db ? 2 : 0);
		for (size_t k = 0; k < sk.n; k++) {
			expect_query(&sk.r[k], pe.ino, 40, "SELECT 1", SQL_OUTCOME_UNKNOWN);
			assert_int_equal(sk.r[k].dialect, c->dialect);
			assert_string_equal(sk.r[k].server, c->path);
		}
		bb_free(&b);
	}
}

/* A unix socket found not to be a database opens nothing, and is decided
 * again if the kernel asks again (its verdict map may have been full). */
static void test_unix_not_db(void **state)
{
	struct peer pe = {77, AF_UNIX, NULL, 0, "/tmp/app.sock", 0, AISEC_DIALECT_UNKNOWN};
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct sqlcap_stats st;
	struct bb b = {0};
	__u8 verdict = 0xee;

	(void)state;
	bb_raw(&b, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(send_part(sc, &pe, 40, W, 1, &b, b.len, &verdict), 1);
	assert_int_equal(verdict, AISEC_DIALECT_NONE);
	verdict = 0xee;
	assert_int_equal(send_part(sc, &pe, 40, R, 2, &b, b.len, &verdict), 1);
	assert_int_equal(verdict, AISEC_DIALECT_NONE);
	/* A record with dialect NONE is nothing to decode either. */
	pe.dialect = AISEC_DIALECT_NONE;
	verdict = 0xee;
	assert_int_equal(send_part(sc, &pe, 40, W, 3, &b, b.len, &verdict), 0);
	assert_int_equal(verdict, 0xee);
	sqlcap__free_report(sc, &st);
	assert_int_equal(st.payloads, 3);
	assert_int_equal(st.not_db, 2);
	assert_int_equal(st.conns_opened, 0);
	assert_int_equal(st.parse_errors, 0);
	assert_int_equal(sk.n, 0);
	bb_free(&b);
}

static void test_parse_pattern(void **state)
{
	static const char *const bad[] = {
	    "*.pg", "=postgres", "*.pg=", "*.pg=oracle", "*.pg=Postgres", "*.pg=postgres ", "",
	};
	struct sqlcap_pattern p;
	char arg[64];

	(void)state;
	strcpy(arg, "*.pg=postgres");
	assert_int_equal(sqlcap__parse_pattern(arg, &p), 0);
	assert_string_equal(p.glob, "*.pg");
	assert_ptr_equal(p.glob, arg);
	assert_int_equal(p.dialect, SQL_DIALECT_POSTGRES);
	strcpy(arg, "/srv/db/*=mysql");
	assert_int_equal(sqlcap__parse_pattern(arg, &p), 0);
	assert_string_equal(p.glob, "/srv/db/*");
	assert_int_equal(p.dialect, SQL_DIALECT_MYSQL);
	strcpy(arg, "*maria*=mariadb");
	assert_int_equal(sqlcap__parse_pattern(arg, &p), 0);
	assert_int_equal(p.dialect, SQL_DIALECT_MYSQL);
	strcpy(arg, "pg=x=postgresql"); /* the last '=' splits */
	assert_int_equal(sqlcap__parse_pattern(arg, &p), 0);
	assert_string_equal(p.glob, "pg=x");
	assert_int_equal(p.dialect, SQL_DIALECT_POSTGRES);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(arg, bad[i]);
		p.glob = "untouched";
		assert_int_equal(sqlcap__parse_pattern(arg, &p), -EINVAL);
		assert_string_equal(p.glob, "untouched");
		/* Left whole, for the error message that quotes it. */
		assert_string_equal(arg, bad[i]);
	}
}

static void test_custom_patterns(void **state)
{
	char a1[] = "*.pg=postgres", a2[] = "/srv/db/*.sock=mysql";
	struct sqlcap_opts o = {0};
	struct peer pe = {88, AF_UNIX, NULL, 0, "/home/u/app.pg", 0, AISEC_DIALECT_UNKNOWN};
	struct sink sk = {0};
	struct sqlcap *sc;
	struct bb b = {0};
	__u8 verdict = 0xee;

	(void)state;
	assert_int_equal(sqlcap__parse_pattern(a1, &o.patterns[0]), 0);
	assert_int_equal(sqlcap__parse_pattern(a2, &o.patterns[1]), 0);
	o.n_patterns = 2;
	sc = sqlcap__new(&o, on_event, &sk);
	assert_non_null(sc);
	assert_int_equal(sqlcap__classify_unix(sc, "/home/u/app.pg"), SQL_DIALECT_POSTGRES);
	assert_int_equal(sqlcap__classify_unix(sc, "app.pg"), SQL_DIALECT_POSTGRES);
	assert_int_equal(sqlcap__classify_unix(sc, "/home/u/app.pg.bak"), SQL_DIALECT_UNKNOWN);
	/* With a '/', the pattern is matched against the full path. */
	assert_int_equal(sqlcap__classify_unix(sc, "/srv/db/main.sock"), SQL_DIALECT_MYSQL);
	assert_int_equal(sqlcap__classify_unix(sc, "/other/srv/db/main.sock"), SQL_DIALECT_UNKNOWN);
	assert_int_equal(sqlcap__classify_unix(sc, "main.sock"), SQL_DIALECT_UNKNOWN);
	/* The defaults are replaced, not extended. */
	assert_int_equal(sqlcap__classify_unix(sc, "/var/run/postgresql/.s.PGSQL.5432"), SQL_DIALECT_UNKNOWN);
	assert_int_equal(sqlcap__classify_unix(sc, "/run/mysqld/mysqld.sock"), SQL_DIALECT_UNKNOWN);

	pg_query(&b, "SELECT 1");
	assert_int_equal(send_part(sc, &pe, 40, W, 1, &b, b.len, &verdict), 1);
	assert_int_equal(verdict, AISEC_DIALECT_POSTGRES);
	pe.ino = 89;
	pe.path = "/srv/db/main.sock";
	assert_int_equal(send_part(sc, &pe, 40, W, 1, &b, b.len, &verdict), 1);
	assert_int_equal(verdict, AISEC_DIALECT_MYSQL);
	pe.ino = 90;
	pe.path = "/run/mysqld/mysqld.sock";
	assert_int_equal(send_part(sc, &pe, 40, W, 1, &b, b.len, &verdict), 1);
	assert_int_equal(verdict, AISEC_DIALECT_NONE);
	sqlcap__free(sc);
	bb_free(&b);

	/* More patterns than fit. */
	o.n_patterns = SQLCAP_MAX_PATTERNS + 1;
	errno = 0;
	assert_null(sqlcap__new(&o, on_event, &sk));
	assert_int_equal(errno, EINVAL);
	o.n_patterns = SQLCAP_MAX_PATTERNS;
	for (size_t i = 2; i < SQLCAP_MAX_PATTERNS; i++)
		o.patterns[i] = o.patterns[0];
	sc = sqlcap__new(&o, on_event, &sk);
	assert_non_null(sc);
	sqlcap__free(sc);
}

static struct peer conn_n(int i)
{
	struct peer pe = {(__u64)i, AF_INET, "10.0.0.9", 5432, NULL, 0, AISEC_DIALECT_POSTGRES};

	return pe;
}

static void text_n(char *buf, size_t len, int i)
{
	snprintf(buf, len, "SELECT %d", i);
}

/* max_conns = 4: ten connections, each with one request pending. */
static void test_lru_bound(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 4);
	struct sqlcap_stats st;
	char sql[32];

	(void)state;
	for (int i = 1; i <= 10; i++) {
		struct peer pe = conn_n(i);

		pg_login(sc, &pe, 100 + i, "u");
		text_n(sql, sizeof(sql), i);
		pg_send_query(sc, &pe, 100 + i, 1000 * i, sql);
		sqlcap__stats(sc, &st);
		assert_int_equal(st.conns_opened, i);
		assert_int_equal(st.conns_evicted, i > 4 ? i - 4 : 0);
		/* Opening connection i closed connection i - 4, reporting its query. */
		assert_int_equal(sk.n, i > 4 ? i - 4 : 0);
	}
	for (int i = 1; i <= 6; i++) {
		text_n(sql, sizeof(sql), i);
		expect_query(&sk.r[i - 1], i, 100 + i, sql, SQL_OUTCOME_UNKNOWN);
		assert_int_equal(sk.r[i - 1].ts_response, 0);
		assert_string_equal(sk.r[i - 1].server, "10.0.0.9:5432");
	}
	/* The four most recent still decode, in any order. */
	for (int i = 10; i >= 7; i--) {
		struct peer pe = conn_n(i);

		pg_reply_ok(sc, &pe, 100 + i, 50000 + i, "SELECT 1");
		text_n(sql, sizeof(sql), i);
		assert_int_equal(sk.n, 6 + 11 - i);
		expect_query(&sk.r[sk.n - 1], i, 100 + i, sql, SQL_OUTCOME_OK);
		assert_string_equal(sk.r[sk.n - 1].user, "u");
		assert_true(sk.r[sk.n - 1].startup_seen);
	}
	sqlcap__stats(sc, &st);
	assert_int_equal(st.conns_opened, 10);
	assert_int_equal(st.conns_evicted, 6);
	assert_int_equal(st.queries, 10);
	sqlcap__free_report(sc, &st);
	assert_int_equal(sk.n, 10);
	assert_int_equal(st.conns_evicted, 6);
	assert_int_equal(st.payloads, 10 * 3 + 4);
}

/* A connection used recently is not the one closed for space. */
static void test_lru_order(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 3);
	struct peer p1 = conn_n(1), p2 = conn_n(2), p3 = conn_n(3), p4 = conn_n(4), p5 = conn_n(5);
	struct sqlcap_stats st;

	(void)state;
	pg_send_query(sc, &p1, 11, 1, "SELECT 1");
	pg_send_query(sc, &p2, 12, 2, "SELECT 2");
	pg_send_query(sc, &p3, 13, 3, "SELECT 3");
	/* Touch 1 (a read), then open 4: 2 is the least recently used. */
	pg_reply_ok(sc, &p1, 11, 4, "SELECT 1");
	assert_int_equal(sk.n, 1);
	pg_send_query(sc, &p4, 14, 5, "SELECT 4");
	assert_int_equal(sk.n, 2);
	expect_query(&sk.r[1], 2, 12, "SELECT 2", SQL_OUTCOME_UNKNOWN);
	/* Touch 3 (a write); open 5: now 1 is the oldest. */
	pg_send_query(sc, &p3, 13, 6, "SELECT 33");
	pg_send_query(sc, &p5, 15, 7, "SELECT 5");
	sqlcap__stats(sc, &st);
	assert_int_equal(st.conns_evicted, 2);
	assert_int_equal(sk.n, 2); /* 1 had nothing pending */
	pg_reply_ok(sc, &p3, 13, 8, "SELECT 1");
	assert_int_equal(sk.n, 3);
	expect_query(&sk.r[2], 3, 13, "SELECT 3", SQL_OUTCOME_OK);
	sqlcap__stats(sc, &st);
	assert_int_equal(st.conns_opened, 5);
	/* 1 comes back as a new connection, closing 4. */
	pg_send_query(sc, &p1, 11, 9, "SELECT 11");
	sqlcap__stats(sc, &st);
	assert_int_equal(st.conns_opened, 6);
	assert_int_equal(st.conns_evicted, 3);
	assert_int_equal(sk.n, 4);
	expect_query(&sk.r[3], 4, 14, "SELECT 4", SQL_OUTCOME_UNKNOWN);
	sqlcap__free(sc);
	/* Left at the end: 3's second query, 5's and 1's. */
	assert_int_equal(sk.n, 7);
}

static void test_on_exit(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct peer a = conn_n(1), b = conn_n(2), c = conn_n(3), d = conn_n(4), e = conn_n(5);
	struct sqlcap_stats st;
	bool seen1 = false, seen3 = false;

	(void)state;
	pg_send_query(sc, &a, 100, 1, "SELECT 'a'");
	pg_send_query(sc, &b, 200, 2, "SELECT 'b'");
	pg_send_query(sc, &c, 100, 3, "SELECT 'c'");
	/* d: 100 wrote, then 300 did: 300's connection now. */
	pg_send_query(sc, &d, 100, 4, "SELECT 'd1'");
	pg_send_query(sc, &d, 300, 5, "SELECT 'd2'");
	/* e: written by 300, its reply read by 100. */
	pg_send_query(sc, &e, 300, 6, "SELECT 'e'");
	pg_reply_ok(sc, &e, 100, 7, "SELECT 1");
	assert_int_equal(sk.n, 1);

	sqlcap__on_exit(sc, 100);
	assert_int_equal(sk.n, 3);
	for (size_t i = 1; i < 3; i++) {
		assert_int_equal(sk.r[i].pid, 100);
		assert_int_equal(sk.r[i].outcome, SQL_OUTCOME_UNKNOWN);
		if (sk.r[i].conn_id == 1) {
			assert_string_equal(sk.r[i].text, "SELECT 'a'");
			seen1 = true;
		} else {
			assert_int_equal(sk.r[i].conn_id, 3);
			assert_string_equal(sk.r[i].text, "SELECT 'c'");
			seen3 = true;
		}
	}
	assert_true(seen1 && seen3);
	sqlcap__on_exit(sc, 100); /* nothing left of it */
	sqlcap__on_exit(sc, 999);
	assert_int_equal(sk.n, 3);

	/* The others still decode. */
	pg_reply_ok(sc, &b, 200, 8, "SELECT 1");
	assert_int_equal(sk.n, 4);
	expect_query(&sk.r[3], 2, 200, "SELECT 'b'", SQL_OUTCOME_OK);
	pg_reply_ok(sc, &d, 300, 9, "SELECT 1");
	assert_int_equal(sk.n, 5);
	expect_query(&sk.r[4], 4, 300, "SELECT 'd1'", SQL_OUTCOME_OK);
	/* A record on a closed connection opens it anew. */
	pg_send_query(sc, &a, 101, 10, "SELECT 'a2'");
	sqlcap__stats(sc, &st);
	assert_int_equal(st.conns_opened, 6);
	assert_int_equal(st.conns_evicted, 0);

	sqlcap__on_exit(sc, 300);
	assert_int_equal(sk.n, 6);
	expect_query(&sk.r[5], 4, 300, "SELECT 'd2'", SQL_OUTCOME_UNKNOWN);
	sqlcap__free(sc);
	assert_int_equal(sk.n, 7);
	expect_query(&sk.r[6], 1, 101, "SELECT 'a2'", SQL_OUTCOME_UNKNOWN);
}

static void test_free_reports_pending(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 0);
	struct sqlcap_stats st;
	struct bb b = {0};

	(void)state;
	pg_login(sc, &PG4, 10, "pgu");
	pg_send_query(sc, &PG4, 10, 100, "SELECT pg_sleep(10)");
	my_greeting(&b);
	xfer(sc, &MY6, 20, R, 1, &b);
	my_handshake_response(&b, "myu", "mydb");
	xfer(sc, &MY6, 20, W, 2, &b);
	my_ok(&b, 2, 0);
	xfer(sc, &MY6, 20, R, 3, &b);
	my_query(&b, "SELECT SLEEP(10)");
	xfer(sc, &MY6, 20, W, 4, &b);
	assert_int_equal(sk.n, 0);
	sqlcap__free_report(sc, &st);
	assert_int_equal(sk.n, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct rec *r = &sk.r[i];

		assert_int_equal(r->outcome, SQL_OUTCOME_UNKNOWN);
		assert_int_equal(r->ts_response, 0);
		if (r->dialect == SQL_DIALECT_POSTGRES) {
			expect_query(r, 1001, 10, "SELECT pg_sleep(10)", SQL_OUTCOME_UNKNOWN);
			assert_string_equal(r->server, "127.0.0.1:5432");
			assert_string_equal(r->user, "pgu");
		} else {
			assert_int_equal(r->dialect, SQL_DIALECT_MYSQL);
			expect_query(r, 1003, 20, "SELECT SLEEP(10)", SQL_OUTCOME_UNKNOWN);
			assert_string_equal(r->server, "[::1]:3306");
			assert_string_equal(r->user, "myu");
		}
	}
	assert_int_not_equal(sk.r[0].dialect, sk.r[1].dialect);
	/* The counters include what the close reported. */
	assert_int_equal(st.queries, 2);
	assert_int_equal(st.conns_opened, 2);
	assert_int_equal(st.payloads, 7);
	sqlcap__free(NULL);
	sqlcap__free_report(NULL, &st);
	bb_free(&b);
}

/* captured < ret: counted as a gap; the decoder reports the query cut. */
static void test_gaps_and_parse_errors(void **state)
{
	struct sink sk;
	struct sqlcap *sc = new_sc(&sk, 2);
	struct sqlcap_stats st;
	struct bb b = {0};
	char sql[200];
	__u8 verdict = 0xee;
	struct peer bad = conn_n(50);

	(void)state;
	memset(sql, 'x', sizeof(sql) - 1);
	memcpy(sql, "SELECT '", 8);
	sql[sizeof(sql) - 2] = '\'';
	sql[sizeof(sql) - 1] = '\0';
	pg_login(sc, &PG4, 10, "u");
	pg_query(&b, sql);
	/* 5 header bytes + 40 bytes of text captured of 5 + 200. */
	assert_int_equal(send_part(sc, &PG4, 10, W, 100, &b, 45, &verdict), 0);
	b.len = 0;
	pg_reply_ok(sc, &PG4, 10, 200, "SELECT 1");
	assert_int_equal(sk.n, 1);
	assert_true(sk.r[0].truncated);
	assert_int_equal(sk.r[0].text_len, 40);
	assert_int_equal(sk.r[0].text_total, 199);
	assert_int_equal(sk.r[0].outcome, SQL_OUTCOME_OK);
	assert_int_equal(strncmp(sk.r[0].text, sql, 40), 0);
	sqlcap__stats(sc, &st);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.parse_errors, 0);

	/* A read with nothing captured at all is a gap too. */
	pg_ready(&b);
	assert_int_equal(send_part(sc, &PG4, 10, R, 300, &b, 0, &verdict), 0);
	b.len = 0;
	sqlcap__stats(sc, &st);
	assert_int_equal(st.gaps, 2);
	assert_int_equal(st.payloads, 5);

	/* A malformed message (a 'Q' with length 2) on another connection. */
	bb_raw(&b, "Q");
	bb_be32(&b, 2);
	xfer(sc, &bad, 10, W, 400, &b);
	sqlcap__stats(sc, &st);
	assert_int_equal(st.parse_errors, 1);
	assert_int_equal(st.gaps, 2);
	/* Its count survives the connection: closed by exit (both pid 10)... */
	sqlcap__on_exit(sc, 10);
	sqlcap__stats(sc, &st);
	assert_int_equal(st.parse_errors, 1);
	/* ... and by eviction, summed with the open ones. */
	bb_raw(&b, "Q");
	bb_be32(&b, 3);
	xfer(sc, &bad, 11, W, 500, &b);
	bad = conn_n(51);
	bb_raw(&b, "Q");
	bb_be32(&b, 1);
	xfer(sc, &bad, 11, W, 600, &b);
	bad = conn_n(52);
	pg_query(&b, "SELECT 1");
	xfer(sc, &bad, 11, W, 700, &b); /* evicts 50 */
	sqlcap__stats(sc, &st);
	assert_int_equal(st.conns_evicted, 1);
	assert_int_equal(st.parse_errors, 3);
	sqlcap__free_report(sc, &st);
	assert_int_equal(st.parse_errors, 3);
	assert_int_equal(st.gaps, 2);
	assert_int_equal(st.payloads, 9);
	assert_int_equal(st.conns_opened, 5);
	assert_int_equal(st.conns_evicted, 1);
	assert_int_equal(st.queries, 2); /* the cut one, and 52's at free */
	assert_int_equal(sk.n, 2);
	expect_query(&sk.r[1], 52, 11, "SELECT 1", SQL_OUTCOME_UNKNOWN);
	bb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pg_inet_query_ok),
	    cmocka_unit_test(test_pg_first_seen_reading),
	    cmocka_unit_test(test_pg_syntax_error),
	    cmocka_unit_test(test_mysql_inet6),
	    cmocka_unit_test(test_pg_encrypted_notice),
	    cmocka_unit_test(test_unix_verdicts),
	    cmocka_unit_test(test_unix_not_db),
	    cmocka_unit_test(test_parse_pattern),
	    cmocka_unit_test(test_custom_patterns),
	    cmocka_unit_test(test_lru_bound),
	    cmocka_unit_test(test_lru_order),
	    cmocka_unit_test(test_on_exit),
	    cmocka_unit_test(test_free_reports_pending),
	    cmocka_unit_test(test_gaps_and_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

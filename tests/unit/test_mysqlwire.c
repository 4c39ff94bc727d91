/*
 * Unit tests for agent/mysqlwire.c: the MySQL/MariaDB decoder.
 *
 * Streams are built packet by packet with small helpers (or taken from real
 * MariaDB 10.11 traffic recorded on a private server), then fed as the
 * kernel would: one feed per syscall, optionally with only a prefix
 * captured. Every stream is run whole, then with each feed split in two at
 * every byte, then byte by byte, and must give identical reports, session
 * and statistics (feeds where the decoder picks up sync after a loss are
 * kept whole: where they start is what they mean). Every byte handed to the
 * decoder sits in a heap buffer of exactly its size, so ASan flags any read
 * past what was captured.
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

#include "mysqlwire.h"

/* Capability flags, as on the wire. */
#define C_MYSQL 0x1ULL
#define C_WITH_DB 0x8ULL
#define C_LOCAL_FILES 0x80ULL
#define C_PROTOCOL_41 0x200ULL
#define C_SSL 0x800ULL
#define C_TRANSACTIONS 0x2000ULL
#define C_SECURE 0x8000ULL
#define C_MULTI_STATEMENTS 0x10000ULL
#define C_MULTI_RESULTS 0x20000ULL
#define C_PLUGIN_AUTH 0x80000ULL
#define C_ATTRS 0x100000ULL
#define C_LENENC_AUTH 0x200000ULL
#define C_SESSION_TRACK 0x800000ULL
#define C_DEPRECATE_EOF 0x1000000ULL
#define C_QUERY_ATTRIBUTES 0x8000000ULL

#define CAPS                                                                                                           \
	(C_MYSQL | C_WITH_DB | C_PROTOCOL_41 | C_TRANSACTIONS | C_SECURE | C_MULTI_STATEMENTS | C_MULTI_RESULTS |      \
	 C_PLUGIN_AUTH | C_ATTRS | C_LENENC_AUTH | C_SESSION_TRACK)

#define ST_AUTOCOMMIT 0x0002
#define ST_MORE_RESULTS 0x0008
#define ST_STATE_CHANGED 0x4000

#define TO_SERVER SQL_DIR_TO_SERVER
#define TO_CLIENT SQL_DIR_TO_CLIENT

/* ---- bytes ---- */

struct bytes {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct bytes *b, const void *d, size_t n)
{
	size_t cap;

	if (b->n + n > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->n + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void u8(struct bytes *b, unsigned int v)
{
	unsigned char c = (unsigned char)v;

	put(b, &c, 1);
}

static void le(struct bytes *b, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		u8(b, (unsigned int)(v >> (8 * i)));
}

static void lenenc(struct bytes *b, uint64_t v)
{
	if (v < 0xfb) {
		u8(b, (unsigned int)v);
	} else if (v < 1 << 16) {
		u8(b, 0xfc);
		le(b, v, 2);
	} else if (v < 1 << 24) {
		u8(b, 0xfd);
		le(b, v, 3);
	} else {
		u8(b, 0xfe);
		le(b, v, 8);
	}
}

static void str(struct bytes *b, const char *s)
{
	put(b, s, strlen(s));
}

static void cstr(struct bytes *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

static void lstr(struct bytes *b, const char *s)
{
	lenenc(b, strlen(s));
	str(b, s);
}

static void zeros(struct bytes *b, size_t n)
{
	while (n--)
		u8(b, 0);
}

static void hex(struct bytes *b, const char *h)
{
	unsigned int v;

	for (; h[0] && h[1]; h += 2) {
		assert_int_equal(sscanf(h, "%2x", &v), 1);
		u8(b, v);
	}
}

static void bfree(struct bytes *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* A packet: begin() reserves the header, end() writes the payload length. */
static size_t begin(struct bytes *b, unsigned int seq)
{
	size_t at = b->n;

	le(b, 0, 3);
	u8(b, seq);
	return at;
}

static void end(struct bytes *b, size_t at)
{
	size_t n = b->n - at - 4;

	assert_true(n < 0xffffff);
	b->p[at] = (unsigned char)n;
	b->p[at + 1] = (unsigned char)(n >> 8);
	b->p[at + 2] = (unsigned char)(n >> 16);
}

/* ---- packets ---- */

/* HandshakeV10. caps without C_MYSQL carries MariaDB's extended caps (>> 32). */
static void greeting(struct bytes *b, const char *version, uint64_t caps)
{
	size_t at = begin(b, 0);

	u8(b, 10);
	cstr(b, version);
	le(b, 77, 4);
	str(b, "12345678");
	u8(b, 0);
	le(b, caps, 2);
	u8(b, 45);
	le(b, ST_AUTOCOMMIT, 2);
	le(b, caps >> 16, 2);
	u8(b, 21);
	zeros(b, 6);
	le(b, (caps & C_MYSQL) ? 0 : caps >> 32, 4);
	str(b, "9abcdefghijk");
	u8(b, 0);
	cstr(b, "mysql_native_password");
	end(b, at);
}

static void handshake_response(struct bytes *b, unsigned int seq, uint64_t caps, const char *user, const char *db,
			       const char *program)
{
	struct bytes attrs = {0};
	size_t at = begin(b, seq);

	le(b, caps, 4);
	le(b, 16777216, 4);
	u8(b, 45);
	zeros(b, 19);
	le(b, caps >> 32, 4);
	cstr(b, user);
	if (caps & C_LENENC_AUTH) {
		lenenc(b, 20);
		str(b, "\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x01\x02\x03\x04\x05");
	} else if (caps & C_SECURE) {
		u8(b, 4);
		str(b, "\x01\x02\x03\x04");
	} else {
		cstr(b, "scrambled");
	}
	if (caps & C_WITH_DB)
		cstr(b, db);
	if (caps & C_PLUGIN_AUTH)
		cstr(b, "mysql_native_password");
	if (caps & C_ATTRS) {
		lstr(&attrs, "_os");
		lstr(&attrs, "Linux");
		lstr(&attrs, "program_name");
		lstr(&attrs, program);
		lenenc(b, attrs.n);
		put(b, attrs.p, attrs.n);
		bfree(&attrs);
	}
	end(b, at);
}

static void ok(struct bytes *b, unsigned int seq, uint64_t affected, unsigned int status)
{
	size_t at = begin(b, seq);

	u8(b, 0);
	lenenc(b, affected);
	lenenc(b, 0);
	le(b, status, 2);
	le(b, 0, 2);
	end(b, at);
}

/* OK with session-state information naming the new schema. */
static void ok_schema(struct bytes *b, unsigned int seq, const char *schema)
{
	struct bytes data = {0}, entry = {0};
	size_t at = begin(b, seq);

	u8(b, 0);
	lenenc(b, 0);
	lenenc(b, 0);
	le(b, ST_AUTOCOMMIT | ST_STATE_CHANGED, 2);
	le(b, 0, 2);
	lstr(b, "");
	lstr(&data, schema);
	u8(&entry, 1);
	lenenc(&entry, data.n);
	put(&entry, data.p, data.n);
	lenenc(b, entry.n);
	put(b, entry.p, entry.n);
	end(b, at);
	bfree(&data);
	bfree(&entry);
}

static void err(struct bytes *b, unsigned int seq, unsigned int code, const char *state, const char *msg)
{
	size_t at = begin(b, seq);

	u8(b, 0xff);
	le(b, code, 2);
	u8(b, '#');
	str(b, state);
	str(b, msg);
	end(b, at);
}

static void eof(struct bytes *b, unsigned int seq, unsigned int status)
{
	size_t at = begin(b, seq);

	u8(b, 0xfe);
	le(b, 0, 2);
	le(b, status, 2);
	end(b, at);
}

/* The OK packet (0xfe header) ending a result set under CLIENT_DEPRECATE_EOF. */
static void ok_end(struct bytes *b, unsigned int seq, unsigned int status)
{
	size_t at = begin(b, seq);

	u8(b, 0xfe);
	lenenc(b, 0);
	lenenc(b, 0);
	le(b, status, 2);
	le(b, 0, 2);
	end(b, at);
}

static void coldef(struct bytes *b, unsigned int seq, const char *name)
{
	size_t at = begin(b, seq);

	lstr(b, "def");
	lstr(b, "shop");
	lstr(b, "orders");
	lstr(b, "orders");
	lstr(b, name);
	lstr(b, name);
	lenenc(b, 0x0c);
	le(b, 45, 2);
	le(b, 80, 4);
	u8(b, 0xfd);
	le(b, 0, 2);
	u8(b, 0);
	le(b, 0, 2);
	end(b, at);
}

static void one(struct bytes *b, unsigned int seq, const void *payload, size_t n)
{
	size_t at = begin(b, seq);

	put(b, payload, n);
	end(b, at);
}

/* A command: its byte, then text. */
static void command(struct bytes *b, unsigned int cmd, const char *text)
{
	size_t at = begin(b, 0);

	u8(b, cmd);
	str(b, text);
	end(b, at);
}

/*
 * A text result set of ncols columns and nrows rows ("r<i>c<j>", every third
 * value NULL) ending with status; EOF packets unless deprecate. Returns the
 * next sequence id.
 */
static unsigned int result_set(struct bytes *b, unsigned int seq, int ncols, int nrows, bool deprecate,
			       unsigned int status)
{
	char name[32];
	size_t at;
	int i, j;

	at = begin(b, seq++);
	lenenc(b, (uint64_t)ncols);
	end(b, at);
	for (j = 0; j < ncols; j++) {
		snprintf(name, sizeof(name), "col%d", j);
		coldef(b, seq++, name);
	}
	if (!deprecate)
		eof(b, seq++, ST_AUTOCOMMIT);
	for (i = 0; i < nrows; i++) {
		at = begin(b, seq++);
		for (j = 0; j < ncols; j++) {
			if ((i + j) % 3 == 2) {
				u8(b, 0xfb);
			} else {
				snprintf(name, sizeof(name), "r%dc%d", i, j);
				lstr(b, name);
			}
		}
		end(b, at);
	}
	if (deprecate)
		ok_end(b, seq++, status);
	else
		eof(b, seq++, status);
	return seq & 0xff;
}

static void prepare_ok(struct bytes *b, unsigned int seq, uint32_t id, unsigned int ncols, unsigned int nparams)
{
	size_t at = begin(b, seq);

	u8(b, 0);
	le(b, id, 4);
	le(b, ncols, 2);
	le(b, nparams, 2);
	u8(b, 0);
	le(b, 0, 2);
	end(b, at);
}

/* ---- scripts: one feed per syscall ---- */

#define MAX_FEEDS 1024

struct feed {
	int dir;
	unsigned char *p;
	size_t len, total;
	bool nosplit; /* where it starts matters: the decoder resyncs there */
};

struct script {
	struct feed f[MAX_FEEDS];
	size_t n;
	struct sqlwire_limits lim;
};

static struct script *script_new(void)
{
	struct script *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void script_free(struct script *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->f[i].p);
	free(s);
}

/* Append b as one syscall that moved total bytes (0: b->n) of which the
 * first captured (or all) were captured; b is emptied for reuse. */
static void feed_ex(struct script *s, int dir, struct bytes *b, size_t captured, size_t total, bool nosplit)
{
	struct feed *f = &s->f[s->n++];

	assert_true(s->n <= MAX_FEEDS);
	if (!total)
		total = b->n;
	if (captured > b->n)
		captured = b->n;
	f->dir = dir;
	f->len = captured;
	f->total = total;
	f->nosplit = nosplit;
	f->p = malloc(captured ? captured : 1);
	assert_non_null(f->p);
	memcpy(f->p, b->p, captured);
	b->n = 0;
}

static void cli(struct script *s, struct bytes *b)
{
	feed_ex(s, TO_SERVER, b, b->n, 0, false);
}

static void srv(struct script *s, struct bytes *b)
{
	feed_ex(s, TO_CLIENT, b, b->n, 0, false);
}

/* The feeds of a recorded trace: "C<hex>" written by the client, "S<hex>" read. */
static void trace(struct script *s, const char *const *t)
{
	struct bytes b = {0};

	for (; *t; t++) {
		hex(&b, *t + 1);
		feed_ex(s, **t == 'C' ? TO_SERVER : TO_CLIENT, &b, b.n, 0, false);
	}
	bfree(&b);
}

/* Greeting, handshake response, OK: a logged-in session. */
static void login(struct script *s, uint64_t caps, const char *db)
{
	struct bytes b = {0};

	greeting(&b, "8.0.36", caps | C_DEPRECATE_EOF | C_QUERY_ATTRIBUTES | C_SSL);
	srv(s, &b);
	handshake_response(&b, 1, caps, "app", db, "billing");
	cli(s, &b);
	ok(&b, 2, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	bfree(&b);
}

/* ---- running and recording ---- */

struct rec {
	int kind;
	char *text;
	size_t text_len, text_total;
	bool truncated;
	char statement[16];
	int param_count;
	__u32 types[SQL_MAX_PARAMS];
	__s32 lengths[SQL_MAX_PARAMS];
	int outcome;
	char sqlstate[6];
	int error_code;
	char *message;
	__u64 rows, ts_request, ts_response;
	char database[64];
};

#define MAX_RECS 1024

struct run {
	struct rec q[MAX_RECS];
	size_t nq;
	int ev[16];
	size_t nev;
	char *log;
	size_t loglen, logcap;
	int ret[MAX_FEEDS];
	struct sqlwire_stats st;
	bool startup_seen, encrypted;
	char user[64], database[64], app[64], version[64];
};

static void append_log(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(r->log ? r->log + r->loglen : NULL, r->log ? r->logcap - r->loglen : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (r->log && (size_t)n < r->logcap - r->loglen)
			break;
		r->logcap = r->logcap ? r->logcap * 2 + (size_t)n : 4096 + (size_t)n;
		r->log = realloc(r->log, r->logcap);
		assert_non_null(r->log);
	}
	r->loglen += (size_t)n;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	assert_non_null(d);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Every report, whatever the input, satisfies the contract of sqlwire.h. */
static void on_query(void *ctx, const struct sql_query *q, const struct sql_session *s)
{
	struct run *r = ctx;
	struct rec *c;
	int i;

	assert_non_null(q->text);
	assert_int_equal(q->text[q->text_len], '\0');
	assert_true(q->text_len <= q->text_total);
	assert_int_equal(q->truncated, q->text_len < q->text_total);
	assert_non_null(q->statement);
	assert_string_equal(q->portal, "");
	assert_string_equal(q->command_tag, "");
	assert_non_null(q->error_message);
	assert_null(q->param_values);
	assert_non_null(memchr(q->sqlstate, '\0', sizeof(q->sqlstate)));
	assert_true(q->outcome >= SQL_OUTCOME_OK && q->outcome <= SQL_OUTCOME_UNKNOWN);
	assert_int_equal(q->outcome == SQL_OUTCOME_UNKNOWN, q->ts_response == 0);
	assert_true(q->ts_request > 0);
	assert_true(q->param_count >= -1);
	if (q->kind == SQL_MSG_QUERY || q->kind == SQL_MSG_INIT_DB)
		assert_int_equal(q->param_count, -1);
	if (q->outcome != SQL_OUTCOME_ERROR) {
		assert_int_equal(q->error_code, 0);
		assert_string_equal(q->sqlstate, "");
	}
	assert_int_equal(s->dialect, SQL_DIALECT_MYSQL);
	assert_true(r->nq < MAX_RECS);
	c = &r->q[r->nq++];
	c->kind = q->kind;
	c->text = dup_n(q->text, q->text_len);
	c->text_len = q->text_len;
	c->text_total = q->text_total;
	c->truncated = q->truncated;
	snprintf(c->statement, sizeof(c->statement), "%s", q->statement);
	c->param_count = q->param_count;
	memcpy(c->types, q->param_types, sizeof(c->types));
	memcpy(c->lengths, q->param_lengths, sizeof(c->lengths));
	c->outcome = q->outcome;
	memcpy(c->sqlstate, q->sqlstate, sizeof(c->sqlstate));
	c->error_code = q->error_code;
	c->message = dup_n(q->error_message, strlen(q->error_message));
	c->rows = q->rows;
	c->ts_request = q->ts_request;
	c->ts_response = q->ts_response;
	snprintf(c->database, sizeof(c->database), "%s", s->database);
	append_log(r, "Q %d [%s] %zu/%zu stmt=%s pc=%d", q->kind, q->text, q->text_len, q->text_total, q->statement,
		   q->param_count);
	for (i = 0; i < SQL_MAX_PARAMS; i++) {
		if (q->param_types[i] || q->param_lengths[i])
			append_log(r, " p%d=%x/%d", i, q->param_types[i], q->param_lengths[i]);
	}
	append_log(r, " out=%d %s %d [%s] rows=%llu ts=%llu/%llu db=%s\n", q->outcome, q->sqlstate, q->error_code,
		   q->error_message, (unsigned long long)q->rows, (unsigned long long)q->ts_request,
		   (unsigned long long)q->ts_response, s->database);
}

static void on_session(void *ctx, enum sql_session_event ev, const struct sql_session *s)
{
	struct run *r = ctx;

	assert_true(r->nev < 16);
	r->ev[r->nev++] = ev;
	append_log(r, "S %d user=%s db=%s app=%s ver=%s start=%d enc=%d\n", ev, s->user, s->database,
		   s->application_name, s->server_version, s->startup_seen, s->encrypted);
}

static int feed_copy(struct mysqlwire *mw, int dir, const unsigned char *p, size_t len, size_t total, __u64 ts)
{
	unsigned char *c = malloc(len ? len : 1);
	int ret;

	assert_non_null(c);
	memcpy(c, p, len);
	ret = mysqlwire__feed(mw, dir, c, len, total, ts);
	free(c);
	assert_true(ret == 0 || ret == -EPROTO);
	return ret;
}

enum mode { WHOLE, SPLIT_ONE, BYTES };

/* Run the script: WHOLE, or feed `which` split at k (SPLIT_ONE), or every
 * feed byte by byte (BYTES). Ends with mysqlwire__close. */
static struct run *run(const struct script *s, enum mode mode, size_t which, size_t k)
{
	struct sqlwire_callbacks cb = {.on_query = on_query, .on_session = on_session};
	const struct sql_session *ss;
	struct run *r = calloc(1, sizeof(*r));
	struct mysqlwire *mw;
	const struct feed *f;
	size_t i, j;
	__u64 ts;
	int ret;

	assert_non_null(r);
	cb.ctx = r;
	mw = mysqlwire__new(&s->lim, &cb);
	assert_non_null(mw);
	for (i = 0; i < s->n; i++) {
		f = &s->f[i];
		ts = 1000 * (i + 1);
		if (f->nosplit || f->len < 2 || mode == WHOLE || (mode == SPLIT_ONE && i != which)) {
			ret = feed_copy(mw, f->dir, f->p, f->len, f->total, ts);
		} else if (mode == SPLIT_ONE) {
			ret = feed_copy(mw, f->dir, f->p, k, k, ts);
			ret |= feed_copy(mw, f->dir, f->p + k, f->len - k, f->total - k, ts);
		} else {
			for (ret = 0, j = 0; j < f->len; j++)
				ret |= feed_copy(mw, f->dir, f->p + j, 1, j + 1 < f->len ? 1 : f->total - j, ts);
		}
		r->ret[i] = ret ? -EPROTO : 0;
	}
	mysqlwire__close(mw);
	mysqlwire__stats(mw, &r->st);
	ss = mysqlwire__session(mw);
	r->startup_seen = ss->startup_seen;
	r->encrypted = ss->encrypted;
	snprintf(r->user, sizeof(r->user), "%s", ss->user);
	snprintf(r->database, sizeof(r->database), "%s", ss->database);
	snprintf(r->app, sizeof(r->app), "%s", ss->application_name);
	snprintf(r->version, sizeof(r->version), "%s", ss->server_version);
	append_log(r, "end user=%s db=%s app=%s ver=%s start=%d enc=%d\n", r->user, r->database, r->app, r->version,
		   r->startup_seen, r->encrypted);
	mysqlwire__free(mw);
	return r;
}

static void run_free(struct run *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nq; i++) {
		free(r->q[i].text);
		free(r->q[i].message);
	}
	free(r->log);
	free(r);
}

static void same(const struct run *a, const struct run *b, const char *how, size_t i, size_t k)
{
	if (strcmp(a->log, b->log) || memcmp(&a->st, &b->st, sizeof(a->st)) || memcmp(a->ret, b->ret, sizeof(a->ret)))
		fail_msg("%s (feed %zu at %zu) differs:\n--- whole\n%s--- split\n%s", how, i, k, a->log, b->log);
}

/* Run s whole, then split at every byte of every feed, then byte by byte:
 * all must agree. Returns the whole run. */
static struct run *check(const struct script *s)
{
	struct run *whole = run(s, WHOLE, 0, 0), *r;
	size_t i, k;

	for (i = 0; i < s->n; i++) {
		if (s->f[i].nosplit)
			continue;
		for (k = 1; k < s->f[i].len; k++) {
			r = run(s, SPLIT_ONE, i, k);
			same(whole, r, "split", i, k);
			run_free(r);
		}
	}
	r = run(s, BYTES, 0, 0);
	same(whole, r, "byte by byte", 0, 0);
	run_free(r);
	return whole;
}

static void assert_query(const struct rec *q, int kind, const char *text, int outcome, __u64 rows)
{
	assert_int_equal(q->kind, kind);
	assert_string_equal(q->text, text);
	assert_int_equal(q->text_len, strlen(text));
	assert_int_equal(q->outcome, outcome);
	assert_int_equal(q->rows, rows);
}

/* mariadb 10.11 CLI: login with -D mysql, a UNION with a NULL, SELECT DATABASE(), USE test, a syntax error, quit */
static const char *const trace_cli[] = {
    "S640000000a352e352e352d31302e31312e31392d4d6172696144422d302b64656231327531000b0000002b79427a636"
    "03a4100fef72d0200ff81150000000000001d0000007343357e3d5162764b554745006d7973716c5f6e61746976655f7"
    "0617373776f726400",
    "Cab0000018ca2bf000000100021000000000000000000000000000000000000001d000000726f6f7400006d7973716c0"
    "06d7973716c5f6e61746976655f70617373776f72640068035f6f73054c696e75780c5f636c69656e745f6e616d650a6"
    "c69626d617269616462045f7069640531333131330f5f636c69656e745f76657273696f6e06332e332e3230095f706c6"
    "174666f726d067838365f36340c70726f6772616d5f6e616d65056d7973716c",
    "S110000020000000240000000080106056d7973716c",
    "C230000000373656c65637420312c2022612220756e696f6e2073656c65637420322c204e554c4c",
    "S020000010201190000020364656600000001310131000c3f00020000000301000000001900000303646566000000016"
    "10161000c210003000000fd000000000005000004fe000022000400000501310161030000060132fb05000007fe00002"
    "200",
    "C120000000353454c4543542044415441424153452829",
    "S02000001010121000002036465660000000a4441544142415345282900000c2100c0000000fd000027000005000003f"
    "e0000020006000004056d7973716c05000005fe00000200",
    "C050000000274657374",
    "S1000000100000002400000000701050474657374",
    "C080000000373656c65632031",
    "Sa4000001ff2804233432303030596f75206861766520616e206572726f7220696e20796f75722053514c2073796e746"
    "1783b20636865636b20746865206d616e75616c207468617420636f72726573706f6e647320746f20796f7572204d617"
    "269614442207365727665722076657273696f6e20666f72207468652072696768742073796e74617820746f207573652"
    "06e656172202773656c6563203127206174206c696e652031",
    "C0100000001",
    NULL,
};

/* raw client against MariaDB 10.11, EOF packets: DDL/DML, result sets, multi-statement, errors, COM_INIT_DB, USE, ping,
 * prepare/execute x2/close, failed prepare */
static const char *const trace_eof[] = {
    "S640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465623132753100050000007972517e462"
    "2764d00fef72d0200ff81150000000000001d0000005f744b595c427443326f5a55006d7973716c5f6e61746976655f7"
    "0617373776f726400",
    "C560000018ca2bf00000000012d000000000000000000000000000000000000001d000000726f6f74000074657374006"
    "d7973716c5f6e61746976655f70617373776f726400140c70726f6772616d5f6e616d6506726177636c69",
    "S1000000200000002400000000701050474657374",
    "C4400000003435245415445205441424c45204946204e4f542045584953545320742028696420494e54205052494d415"
    "259204b45592c206e616d6520564152434841522832302929",
    "S0700000100000002000000",
    "C0e0000000344454c4554452046524f4d2074",
    "S0700000100000022000000",
    "C2e00000003494e5345525420494e544f20742056414c5545532028312c276127292c28322c4e554c4c292c28332c276"
    "32729",
    "S2e00000100030002000000265265636f7264733a203320204475706c6963617465733a203020205761726e696e67733"
    "a2030",
    "C230000000353454c4543542069642c206e616d652046524f4d2074204f52444552204259206964",
    "S0200000102012100000203646566047465737401740174026964026964000c3f000b000000030350000000250000030"
    "3646566047465737401740174046e616d65046e616d65000c2d0050000000fd000000000005000004fe0000220004000"
    "00501310161030000060132fb040000070133016305000008fe00002200",
    "C1f0000000353454c454354202a2046524f4d2074205748455245206964203e20313030",
    "S0200000102012100000203646566047465737401740174026964026964000c3f000b000000030350000000250000030"
    "3646566047465737401740174046e616d65046e616d65000c2d0050000000fd000000000005000004fe0000020005000"
    "005fe00000200",
    "C3a0000000353454c45435420313b20555044415445207420534554206e616d65203d206e616d6520574845524520696"
    "4203c20333b2053454c4543542032",
    "S0200000101011800000203646566000000013100000c3f000100000003810000000005000003fe00000a00020000040"
    "13105000005fe00000a00300000060000000a00000028526f7773206d6174636865643a203220204368616e6765643a2"
    "03020205761726e696e67733a20300200000701011800000803646566000000013200000c3f000100000003810000000"
    "005000009fe000002000200000a01320500000bfe00000200",
    "C080000000373656c65632031",
    "Sa4000001ff2804233432303030596f75206861766520616e206572726f7220696e20796f75722053514c2073796e746"
    "1783b20636865636b20746865206d616e75616c207468617420636f72726573706f6e647320746f20796f7572204d617"
    "269614442207365727665722076657273696f6e20666f72207468652072696768742073796e74617820746f207573652"
    "06e656172202773656c6563203127206174206c696e652031",
    "C06000000026d7973716c",
    "S110000010000000240000000080106056d7973716c",
    "C09000000026e6f737563686462",
    "S24000001ff1904233432303030556e6b6e6f776e20646174616261736520276e6f73756368646227",
    "C09000000035553452074657374",
    "S1000000100000002400000000701050474657374",
    "C010000000e",
    "S0700000100000002000000",
    "C2f0000001653454c454354203f202b203120415320612c203f20415320622c20434f4e434154283f2c2022782229204"
    "1532063",
    "S0c0000010001000000030003000000001800000203646566000000013f00000c3f00000000000680000000001800000"
    "303646566000000016200000c3f00000000000680000000001800000403646566000000013f00000c3f0000000000068"
    "00000000005000005fe000002001800000603646566000000016100000c3f00110000000580000000001800000703646"
    "566000000016200000c3f00000000000680000000001800000803646566000000016300000c2d0004000000fd0000270"
    "00005000009fe00000200",
    "C200000001701000000000100000004010800fd00fd0029000000000000000568656c6c6f",
    "S0200000103011800000203646566000000016100000c3f0016000000088000000000180000030364656600000001620"
    "0000c2d0014000000fd01002700001800000403646566000000016300000c2d0004000000fd000027000005000005fe0"
    "00002001000000600102a000000000000000568656c6c6f05000007fe00000200",
    "C190000001701000000000100000000000700000000000000026869017a",
    "S0200000103011800000203646566000000016100000c3f0016000000088000000000180000030364656600000001620"
    "0000c2d0008000000fd01002700001800000403646566000000016300000c2d0008000000fd000027000005000005fe0"
    "00002001000000600000800000000000000026869027a7805000007fe00000200",
    "C050000001901000000",
    "C1800000016555044415445206e6f73756368205345542078203d203f",
    "S2a000001ff7a042334325330325461626c652027746573742e6e6f737563682720646f65736e2774206578697374",
    NULL,
};

/* the same with CLIENT_DEPRECATE_EOF negotiated */
static const char *const trace_deprecate[] = {
    "S640000000a352e352e352d31302e31312e31392d4d6172696144422d302b64656231327531000600000040263c3e5f4"
    "4733b00fef72d0200ff81150000000000001d0000006921655a724f727265272c47006d7973716c5f6e61746976655f7"
    "0617373776f726400",
    "C560000018ca2bf01000000012d000000000000000000000000000000000000001d000000726f6f74000074657374006"
    "d7973716c5f6e61746976655f70617373776f726400140c70726f6772616d5f6e616d6506726177636c69",
    "S1000000200000002400000000701050474657374",
    "C4400000003435245415445205441424c45204946204e4f542045584953545320742028696420494e54205052494d415"
    "259204b45592c206e616d6520564152434841522832302929",
    "S0700000100000002000100",
    "C0e0000000344454c4554452046524f4d2074",
    "S0700000100030022000000",
    "C2e00000003494e5345525420494e544f20742056414c5545532028312c276127292c28322c4e554c4c292c28332c276"
    "32729",
    "S2e00000100030002000000265265636f7264733a203320204475706c6963617465733a203020205761726e696e67733"
    "a2030",
    "C230000000353454c4543542069642c206e616d652046524f4d2074204f52444552204259206964",
    "S0200000102012100000203646566047465737401740174026964026964000c3f000b000000030350000000250000030"
    "3646566047465737401740174046e616d65046e616d65000c2d0050000000fd000000000004000004013101610300000"
    "50132fb040000060133016307000007fe000022000000",
    "C1f0000000353454c454354202a2046524f4d2074205748455245206964203e20313030",
    "S0200000102012100000203646566047465737401740174026964026964000c3f000b000000030350000000250000030"
    "3646566047465737401740174046e616d65046e616d65000c2d0050000000fd000000000007000004fe000002000000",
    "C3a0000000353454c45435420313b20555044415445207420534554206e616d65203d206e616d6520574845524520696"
    "4203c20333b2053454c4543542032",
    "S0200000101011800000203646566000000013100000c3f000100000003810000000002000003013107000004fe00000"
    "a000000300000050000000a00000028526f7773206d6174636865643a203220204368616e6765643a203020205761726"
    "e696e67733a20300200000601011800000703646566000000013200000c3f00010000000381000000000200000801320"
    "7000009fe000002000000",
    "C080000000373656c65632031",
    "Sa4000001ff2804233432303030596f75206861766520616e206572726f7220696e20796f75722053514c2073796e746"
    "1783b20636865636b20746865206d616e75616c207468617420636f72726573706f6e647320746f20796f7572204d617"
    "269614442207365727665722076657273696f6e20666f72207468652072696768742073796e74617820746f207573652"
    "06e656172202773656c6563203127206174206c696e652031",
    "C06000000026d7973716c",
    "S110000010000000240000000080106056d7973716c",
    "C09000000026e6f737563686462",
    "S24000001ff1904233432303030556e6b6e6f776e20646174616261736520276e6f73756368646227",
    "C09000000035553452074657374",
    "S1000000100000002400000000701050474657374",
    "C010000000e",
    "S0700000100000002000000",
    "C2f0000001653454c454354203f202b203120415320612c203f20415320622c20434f4e434154283f2c2022782229204"
    "1532063",
    "S0c0000010001000000030003000000001800000203646566000000013f00000c3f00000000000680000000001800000"
    "303646566000000016200000c3f00000000000680000000001800000403646566000000013f00000c3f0000000000068"
    "0000000001800000503646566000000016100000c3f00110000000580000000001800000603646566000000016200000"
    "c3f00000000000680000000001800000703646566000000016300000c2d0004000000fd0000270000",
    "C200000001701000000000100000004010800fd00fd0029000000000000000568656c6c6f",
    "S0200000103011800000203646566000000016100000c3f0016000000088000000000180000030364656600000001620"
    "0000c2d0014000000fd01002700001800000403646566000000016300000c2d0004000000fd000027000010000005001"
    "02a000000000000000568656c6c6f07000006fe000002000000",
    "C190000001701000000000100000000000700000000000000026869017a",
    "S0200000103011800000203646566000000016100000c3f0016000000088000000000180000030364656600000001620"
    "0000c2d0008000000fd01002700001800000403646566000000016300000c2d0008000000fd000027000010000005000"
    "00800000000000000026869027a7807000006fe000002000000",
    "C050000001901000000",
    "C1800000016555044415445206e6f73756368205345542078203d203f",
    "S2a000001ff7a042334325330325461626c652027746573742e6e6f737563682720646f65736e2774206578697374",
    NULL,
};

/* LOCAL INFILE (with a MariaDB progress packet), STATISTICS, FIELD_LIST, pipelined PREPARE+EXECUTE(-1), cursor
 * EXECUTE+FETCH, STMT_RESET, CHANGE_USER with auth switch, RESET_CONNECTION */
static const char *const trace_misc[] = {
    "S640000000a352e352e352d31302e31312e31392d4d6172696144422d302b64656231327531000a0000003836453b343"
    "54d6400fef72d0200ff81150000000000001d0000002f5b5d416d225e342a732662006d7973716c5f6e61746976655f7"
    "0617373776f726400",
    "C560000018ca2bf00000000012d000000000000000000000000000000000000001d000000726f6f74000074657374006"
    "d7973716c5f6e61746976655f70617373776f726400140c70726f6772616d5f6e616d6506726177636c69",
    "S1000000200000002400000000701050474657374",
    "C4a000000034c4f41442044415441204c4f43414c20494e46494c4520272f746d702f782e6373762720494e544f20544"
    "1424c452074204649454c4453205445524d494e4154454420425920272c27",
    "S0b000001fb2f746d702f782e637376",
    "C1100000231302c74656e0a31312c656c6576656e0a",
    "C00000003",
    "S19000004ffffff0102020000000f456e642062756c6b20696e7365727437000005000000020002002f5265636f72647"
    "33a2032202044656c657465643a20302020536b69707065643a203220205761726e696e67733a2032",
    "C0100000009",
    "S72000001557074696d653a203535352020546872656164733a203220205175657374696f6e733a2037392020536c6f7"
    "720717565726965733a203020204f70656e733a20323120204f70656e207461626c65733a20313420205175657269657"
    "320706572207365636f6e64206176673a20302e313432",
    "C03000000047400",
    "S2300000103646566047465737401740174026964026964000c3f000b000000030350000000013026000002036465660"
    "47465737401740174046e616d65046e616d65000c2d0050000000fd0000000000fb05000003fe00000200",
    "C200000001653454c454354206e616d652046524f4d2074205748455245206964203d203f1200000017ffffffff00010"
    "00000000103000a000000",
    "S0c0000010005000000010001000000001800000203646566000000013f00000c3f00000000000680000000000500000"
    "3fe000002002500000403646566047465737401740174046e616d65046e616d65000c2d0050000000fd0000000000050"
    "00005fe0000020002000001010005000002fe000002000600000300000374656e05000004fe00000200",
    "C110000001653454c4543542069642046524f4d2074",
    "S0c0000010006000000010000000000002100000203646566047465737401740174026964026964000c3f000b0000000"
    "3035000000005000003fe00000200",
    "C0a00000017060000000101000000",
    "S0200000101012100000203646566047465737401740174026964026964000c3f000b00000003011000000005000003f"
    "e00006200",
    "C090000001c0600000064000000",
    "S0600000100000100000006000002000002000000060000030000030000000600000400000a0000000600000500000b0"
    "0000005000006fe00008200",
    "C050000001a06000000",
    "S0700000100000002000000",
    "C2600000011726f6f7400006d7973716c002d006d7973716c5f6e61746976655f70617373776f72640000",
    "S2c000001fe6d7973716c5f6e61746976655f70617373776f7264003836453b34354d642f5b5d416d225e342a7326620"
    "0",
    "C00000002",
    "S110000030000000240000000080106056d7973716c",
    "C010000001f",
    "S0700000100000002000000",
    NULL,
};

/* ---- login, session, encryption ---- */

static void test_login_session(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "UPDATE orders SET paid = 1 WHERE id = 7");
	cli(s, &b);
	ok(&b, 1, 1, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_true(r->startup_seen);
	assert_false(r->encrypted);
	assert_string_equal(r->user, "app");
	assert_string_equal(r->database, "shop");
	assert_string_equal(r->app, "billing");
	assert_string_equal(r->version, "8.0.36");
	assert_int_equal(r->nev, 1);
	assert_int_equal(r->ev[0], SQL_SESSION_STARTUP);
	/* The event comes with user and database already known. */
	assert_non_null(strstr(r->log, "S 1 user=app db=shop app=billing ver=8.0.36 start=1 enc=0\n"));
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "UPDATE orders SET paid = 1 WHERE id = 7", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->q[0].ts_request, 4000);
	assert_int_equal(r->q[0].ts_response, 5000);
	assert_int_equal(r->st.messages, 5);
	assert_int_equal(r->st.queries, 1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* Authentication switch and a failed login; no database in the response. */
static void test_login_auth_switch_and_denied(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	size_t at;
	struct run *r;

	(void)state;
	greeting(&b, "5.7.44-log", CAPS);
	srv(s, &b);
	handshake_response(&b, 1, CAPS & ~C_WITH_DB & ~C_LENENC_AUTH, "reporter", "", "cron");
	cli(s, &b);
	at = begin(&b, 2);
	u8(&b, 0xfe);
	cstr(&b, "caching_sha2_password");
	str(&b, "0123456789abcdefghij");
	end(&b, at);
	srv(s, &b);
	one(&b, 3, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13", 20);
	cli(s, &b);
	one(&b, 4, "\x01\x03", 2); /* fast auth success */
	srv(s, &b);
	ok(&b, 5, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_string_equal(r->user, "reporter");
	assert_string_equal(r->database, "");
	assert_string_equal(r->app, "cron");
	assert_string_equal(r->version, "5.7.44-log");
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);

	s = script_new();
	greeting(&b, "8.0.36", CAPS);
	srv(s, &b);
	handshake_response(&b, 1, CAPS, "intruder", "mysql", "x");
	cli(s, &b);
	err(&b, 2, 1045, "28000", "Access denied for user 'intruder'@'localhost' (using password: YES)");
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 0);
	assert_int_equal(r->nev, 1);
	assert_string_equal(r->user, "intruder");
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_ssl_request_encrypted(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;
	size_t at, i;

	(void)state;
	greeting(&b, "8.0.36", CAPS | C_SSL);
	srv(s, &b);
	at = begin(&b, 1);
	le(&b, CAPS | C_SSL, 4);
	le(&b, 16777216, 4);
	u8(&b, 45);
	zeros(&b, 23);
	end(&b, at);
	cli(s, &b);
	/* TLS records from here: a ClientHello, ServerHello, then data that
	 * would look like packets if decoded. */
	put(&b, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
	for (i = 0; i < 300; i++)
		u8(&b, (unsigned int)(i * 37 + 11));
	cli(s, &b);
	put(&b, "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03", 11);
	for (i = 0; i < 200; i++)
		u8(&b, (unsigned int)(i * 91 + 3));
	srv(s, &b);
	command(&b, 0x03, "SELECT secret FROM vault");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_true(r->encrypted);
	assert_true(r->startup_seen);
	assert_int_equal(r->nev, 1);
	assert_int_equal(r->ev[0], SQL_SESSION_ENCRYPTED);
	assert_int_equal(r->nq, 0);
	assert_string_equal(r->user, "");
	assert_int_equal(r->st.messages, 2);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* Compression negotiated: nothing after authentication is decoded. */
static void test_compressed_not_decoded(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	greeting(&b, "8.0.36", CAPS | 0x20);
	srv(s, &b);
	handshake_response(&b, 1, CAPS | 0x20, "app", "shop", "etl");
	cli(s, &b);
	ok(&b, 2, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	put(&b, "\x0d\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x03SELECT 1", 20);
	cli(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 0);
	assert_string_equal(r->user, "app");
	assert_int_equal(r->st.parse_errors, 0);
	assert_int_equal(r->st.messages, 3);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* ---- queries ---- */

static void test_query_ok_affected(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "INSERT INTO orders (id) VALUES (1),(2),(3)");
	cli(s, &b);
	ok(&b, 1, 3, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "DELETE FROM audit");
	cli(s, &b);
	ok(&b, 1, 70000, ST_AUTOCOMMIT); /* 0xfc-encoded */
	srv(s, &b);
	command(&b, 0x0e, ""); /* COM_PING: followed, not reported */
	cli(s, &b);
	ok(&b, 1, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "UPDATE big SET x = 1");
	cli(s, &b);
	ok(&b, 1, 5000000000ULL, ST_AUTOCOMMIT); /* 0xfe-encoded */
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_QUERY, "INSERT INTO orders (id) VALUES (1),(2),(3)", SQL_OUTCOME_OK, 3);
	assert_query(&r->q[1], SQL_MSG_QUERY, "DELETE FROM audit", SQL_OUTCOME_OK, 70000);
	assert_query(&r->q[2], SQL_MSG_QUERY, "UPDATE big SET x = 1", SQL_OUTCOME_OK, 5000000000ULL);
	assert_false(r->q[0].truncated);
	assert_int_equal(r->q[0].text_total, r->q[0].text_len);
	assert_string_equal(r->q[0].statement, "");
	assert_int_equal(r->q[0].param_count, -1);
	assert_int_equal(r->q[2].ts_request, 10000);
	assert_int_equal(r->q[2].ts_response, 11000);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_query_result_set_eof(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT id, total, note FROM orders");
	cli(s, &b);
	result_set(&b, 1, 3, 5, false, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT id FROM orders WHERE 0");
	cli(s, &b);
	result_set(&b, 1, 1, 0, false, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT COUNT(*) FROM orders");
	cli(s, &b);
	result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT id, total, note FROM orders", SQL_OUTCOME_OK, 5);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT id FROM orders WHERE 0", SQL_OUTCOME_OK, 0);
	assert_query(&r->q[2], SQL_MSG_QUERY, "SELECT COUNT(*) FROM orders", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_query_result_set_deprecate_eof(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS | C_DEPRECATE_EOF, "shop");
	command(&b, 0x03, "SELECT id, total, note FROM orders");
	cli(s, &b);
	result_set(&b, 1, 3, 5, true, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT id FROM orders WHERE 0");
	cli(s, &b);
	result_set(&b, 1, 1, 0, true, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 1 FROM dual");
	cli(s, &b);
	result_set(&b, 1, 1, 1, true, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT id, total, note FROM orders", SQL_OUTCOME_OK, 5);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT id FROM orders WHERE 0", SQL_OUTCOME_OK, 0);
	assert_query(&r->q[2], SQL_MSG_QUERY, "SELECT 1 FROM dual", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_query_syntax_error(void **state)
{
	static const char msg[] = "You have an error in your SQL syntax; check the manual that corresponds to your "
				  "MySQL server version for the right syntax to use near 'SELEC * FROM t' at line 1";
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELEC * FROM t");
	cli(s, &b);
	err(&b, 1, 1064, "42000", msg);
	srv(s, &b);
	/* An ERR may also end a result set that has started. */
	command(&b, 0x03, "SELECT slow() FROM big");
	cli(s, &b);
	result_set(&b, 1, 1, 2, false, ST_AUTOCOMMIT);
	b.n -= 9; /* drop the final EOF */
	err(&b, 6, 1317, "70100", "Query execution was interrupted");
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELEC * FROM t", SQL_OUTCOME_ERROR, 0);
	assert_int_equal(r->q[0].error_code, 1064);
	assert_string_equal(r->q[0].sqlstate, "42000");
	assert_string_equal(r->q[0].message, msg);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT slow() FROM big", SQL_OUTCOME_ERROR, 2);
	assert_int_equal(r->q[1].error_code, 1317);
	assert_string_equal(r->q[1].sqlstate, "70100");
	assert_string_equal(r->q[1].message, "Query execution was interrupted");
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_init_db(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x02, "inventory");
	cli(s, &b);
	ok(&b, 1, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x02, "nosuch");
	cli(s, &b);
	err(&b, 1, 1049, "42000", "Unknown database 'nosuch'");
	srv(s, &b);
	command(&b, 0x03, "USE archive");
	cli(s, &b);
	ok_schema(&b, 1, "archive");
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_INIT_DB, "inventory", SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[0].database, "inventory"); /* already updated when reported */
	assert_query(&r->q[1], SQL_MSG_INIT_DB, "nosuch", SQL_OUTCOME_ERROR, 0);
	assert_int_equal(r->q[1].error_code, 1049);
	assert_string_equal(r->q[1].database, "inventory");
	assert_query(&r->q[2], SQL_MSG_QUERY, "USE archive", SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[2].database, "archive");
	assert_string_equal(r->database, "archive");
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* ---- prepared statements ---- */

static void binary_row(struct bytes *b, unsigned int seq, uint64_t id, const char *status)
{
	size_t at = begin(b, seq);

	u8(b, 0x00);
	u8(b, 0x00); /* NULL bitmap: 2 columns + 2 reserved bits */
	le(b, id, 8);
	lstr(b, status);
	end(b, at);
}

/* COM_STMT_EXECUTE of id with a LONGLONG and a VAR_STRING (NULL when !s). */
static void execute(struct bytes *b, uint32_t id, bool types, uint64_t v, const char *sv)
{
	size_t at = begin(b, 0);

	u8(b, 0x17);
	le(b, id, 4);
	u8(b, 0);
	le(b, 1, 4);
	u8(b, sv ? 0x00 : 0x02);
	u8(b, types);
	if (types) {
		le(b, 0x08, 2);
		le(b, 0xfd, 2);
	}
	le(b, v, 8);
	if (sv)
		lstr(b, sv);
	end(b, at);
}

static void test_prepare_execute_close(void **state)
{
	static const char sql[] = "SELECT id, status FROM orders WHERE customer = ? AND status = ?";
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;
	size_t at;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x16, sql);
	cli(s, &b);
	prepare_ok(&b, 1, 7, 2, 2);
	coldef(&b, 2, "?");
	coldef(&b, 3, "?");
	eof(&b, 4, ST_AUTOCOMMIT);
	coldef(&b, 5, "id");
	coldef(&b, 6, "status");
	eof(&b, 7, ST_AUTOCOMMIT);
	srv(s, &b);
	execute(&b, 7, true, 42, "paid");
	cli(s, &b);
	at = begin(&b, 1);
	u8(&b, 2);
	end(&b, at);
	coldef(&b, 2, "id");
	coldef(&b, 3, "status");
	eof(&b, 4, ST_AUTOCOMMIT);
	binary_row(&b, 5, 1001, "paid");
	binary_row(&b, 6, 1002, "paid");
	eof(&b, 7, ST_AUTOCOMMIT);
	srv(s, &b);
	/* Again, types not re-sent, second value NULL. */
	execute(&b, 7, false, 43, NULL);
	cli(s, &b);
	at = begin(&b, 1);
	u8(&b, 2);
	end(&b, at);
	coldef(&b, 2, "id");
	coldef(&b, 3, "status");
	eof(&b, 4, ST_AUTOCOMMIT);
	eof(&b, 5, ST_AUTOCOMMIT);
	srv(s, &b);
	at = begin(&b, 0);
	u8(&b, 0x19);
	le(&b, 7, 4);
	end(&b, at);
	cli(s, &b);
	/* After the close the text is forgotten; the count is read off the packet. */
	execute(&b, 7, true, 44, "void");
	cli(s, &b);
	err(&b, 1, 1243, "HY000", "Unknown prepared statement handler (7) given to mysqld_stmt_execute");
	srv(s, &b);
	command(&b, 0x16, "SELEC ?");
	cli(s, &b);
	err(&b, 1, 1064, "42000", "You have an error in your SQL syntax");
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 5);
	assert_query(&r->q[0], SQL_MSG_PARSE, sql, SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[0].statement, "7");
	assert_int_equal(r->q[0].param_count, 2);

	assert_query(&r->q[1], SQL_MSG_EXECUTE, sql, SQL_OUTCOME_OK, 2);
	assert_string_equal(r->q[1].statement, "7");
	assert_int_equal(r->q[1].param_count, 2);
	assert_int_equal(r->q[1].types[0], 0x08);
	assert_int_equal(r->q[1].types[1], 0xfd);
	assert_int_equal(r->q[1].lengths[0], 8);
	assert_int_equal(r->q[1].lengths[1], 4);
	assert_int_equal(r->q[1].ts_request, 6000);

	assert_query(&r->q[2], SQL_MSG_EXECUTE, sql, SQL_OUTCOME_OK, 0);
	assert_int_equal(r->q[2].param_count, 2);
	assert_int_equal(r->q[2].types[0], 0x08); /* remembered */
	assert_int_equal(r->q[2].types[1], 0xfd);
	assert_int_equal(r->q[2].lengths[0], 8);
	assert_int_equal(r->q[2].lengths[1], -1);

	assert_query(&r->q[3], SQL_MSG_EXECUTE, "", SQL_OUTCOME_ERROR, 0);
	assert_string_equal(r->q[3].statement, "7");
	assert_int_equal(r->q[3].param_count, 2);
	assert_int_equal(r->q[3].lengths[1], 4);
	assert_int_equal(r->q[3].error_code, 1243);

	assert_query(&r->q[4], SQL_MSG_PARSE, "SELEC ?", SQL_OUTCOME_ERROR, 0);
	assert_string_equal(r->q[4].statement, "");
	assert_int_equal(r->q[4].param_count, -1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* Statements remembered are bounded: by text (16 x max_text) and count (256). */
static void test_statement_map_bounded(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	char sql[64];
	struct run *r;
	int i;

	(void)state;
	s->lim.max_text = 16; /* 256 bytes of statement text */
	login(s, CAPS | C_DEPRECATE_EOF, "shop");
	for (i = 1; i <= 20; i++) {
		snprintf(sql, sizeof(sql), "SELECT %08d+?", i); /* 16 bytes */
		command(&b, 0x16, sql);
		cli(s, &b);
		prepare_ok(&b, 1, (uint32_t)i, 0, 1);
		coldef(&b, 2, "?");
		srv(s, &b);
	}
	execute(&b, 1, true, 1, "a");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	execute(&b, 20, true, 1, "a");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	execute(&b, 5, true, 1, "a");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 23);
	assert_string_equal(r->q[19].text, "SELECT 00000020+");
	assert_string_equal(r->q[20].text, ""); /* the oldest went first */
	assert_string_equal(r->q[20].statement, "1");
	assert_string_equal(r->q[21].text, "SELECT 00000020+");
	assert_string_equal(r->q[22].text, "SELECT 00000005+");
	run_free(r);
	script_free(s);

	/* 300 statements: the 256 most recent stay. Run whole and byte by byte. */
	s = script_new();
	login(s, CAPS | C_DEPRECATE_EOF, "shop");
	for (i = 1; i <= 300; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		command(&b, 0x16, sql);
		cli(s, &b);
		prepare_ok(&b, 1, (uint32_t)i, 1, 0);
		coldef(&b, 2, "x");
		srv(s, &b);
	}
	for (i = 44; i <= 46; i++) {
		execute(&b, (uint32_t)i, true, 1, "a");
		b.n -= 16; /* no parameters: the 10-byte header only */
		b.p[0] = 10;
		cli(s, &b);
		ok(&b, 1, 0, 0);
		srv(s, &b);
	}
	r = run(s, WHOLE, 0, 0);
	{
		struct run *bytes = run(s, BYTES, 0, 0);

		same(r, bytes, "byte by byte", 0, 0);
		run_free(bytes);
	}
	assert_int_equal(r->nq, 303);
	assert_string_equal(r->q[300].text, ""); /* 1..44 were evicted */
	assert_string_equal(r->q[300].statement, "44");
	assert_string_equal(r->q[301].text, "SELECT 45");
	assert_string_equal(r->q[302].text, "SELECT 46");
	assert_int_equal(r->q[302].param_count, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* An EXECUTE whose prepare we never saw: count inferred from the packet. */
static void test_execute_prepare_unseen(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;
	size_t at;

	(void)state;
	execute(&b, 3, true, 9, "abc");
	cli(s, &b);
	ok(&b, 1, 1, 0);
	srv(s, &b);
	execute(&b, 3, false, 9, "abc"); /* no types: count unknowable */
	cli(s, &b);
	ok(&b, 1, 1, 0);
	srv(s, &b);
	at = begin(&b, 0);
	u8(&b, 0x17);
	le(&b, 4, 4);
	u8(&b, 0);
	le(&b, 1, 4);
	end(&b, at);
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_EXECUTE, "", SQL_OUTCOME_OK, 1);
	assert_string_equal(r->q[0].statement, "3");
	assert_int_equal(r->q[0].param_count, 2);
	assert_int_equal(r->q[0].types[0], 0x08);
	assert_int_equal(r->q[0].types[1], 0xfd);
	assert_int_equal(r->q[0].lengths[1], 3);
	assert_int_equal(r->q[1].param_count, -1);
	assert_int_equal(r->q[2].param_count, 0);
	assert_string_equal(r->q[2].statement, "4");
	assert_false(r->startup_seen);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* ---- multi-results ---- */

static void test_multi_results(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	unsigned int seq;
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT 1; UPDATE orders SET x = 1 WHERE id < 3; SELECT a, b FROM t");
	cli(s, &b);
	seq = result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT | ST_MORE_RESULTS);
	srv(s, &b);
	ok(&b, seq++, 2, ST_AUTOCOMMIT | ST_MORE_RESULTS);
	srv(s, &b);
	result_set(&b, seq, 2, 4, false, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 2");
	cli(s, &b);
	result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 1; UPDATE orders SET x = 1 WHERE id < 3; SELECT a, b FROM t",
		     SQL_OUTCOME_OK, 1 + 2 + 4);
	assert_int_equal(r->q[0].ts_response, 7000); /* at the last result */
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 2", SQL_OUTCOME_OK, 1);
	run_free(r);
	script_free(s);

	/* CALL under CLIENT_DEPRECATE_EOF: a result set, then the final OK; an
	 * error in the middle ends it. */
	s = script_new();
	login(s, CAPS | C_DEPRECATE_EOF, "shop");
	command(&b, 0x03, "CALL report(2024)");
	cli(s, &b);
	seq = result_set(&b, 1, 2, 3, true, ST_AUTOCOMMIT | ST_MORE_RESULTS);
	ok(&b, seq, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 1; SELECT * FROM missing; SELECT 3");
	cli(s, &b);
	seq = result_set(&b, 1, 1, 1, true, ST_AUTOCOMMIT | ST_MORE_RESULTS);
	err(&b, seq, 1146, "42S02", "Table 'shop.missing' doesn't exist");
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "CALL report(2024)", SQL_OUTCOME_OK, 3);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 1; SELECT * FROM missing; SELECT 3", SQL_OUTCOME_ERROR, 1);
	assert_int_equal(r->q[1].error_code, 1146);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* ---- gaps and sync ---- */

static void big_query(struct bytes *b, size_t text_len)
{
	size_t at = begin(b, 0), i;

	u8(b, 0x03);
	str(b, "INSERT INTO blobs VALUES ('");
	for (i = 27 + 2; i < text_len; i++)
		u8(b, 'a' + (unsigned int)(i % 26));
	str(b, "')");
	end(b, at);
}

/* A 100 KB query of which the kernel captured 4096 bytes. */
static void test_large_query_gap(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0}, q = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	big_query(&q, 102400);
	assert_int_equal(q.n, 4 + 1 + 102400);
	put(&b, q.p, q.n);
	feed_ex(s, TO_SERVER, &b, 4096, 0, false);
	ok(&b, 1, 1, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_int_equal(r->q[0].kind, SQL_MSG_QUERY);
	assert_int_equal(r->q[0].text_len, 4096 - 5);
	assert_int_equal(r->q[0].text_total, 102400);
	assert_true(r->q[0].truncated);
	assert_memory_equal(r->q[0].text, q.p + 5, 4096 - 5);
	assert_int_equal(r->q[0].outcome, SQL_OUTCOME_OK);
	assert_int_equal(r->q[0].rows, 1);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->st.gaps, 1);
	assert_int_equal(r->st.resyncs, 0);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);

	/* Written in three syscalls, each captured in part: the rest of the
	 * packet is skipped across feeds; max_text bounds the text kept. */
	s = script_new();
	s->lim.max_text = 100;
	login(s, CAPS, "shop");
	put(&b, q.p, 65536);
	feed_ex(s, TO_SERVER, &b, 4096, 0, false);
	put(&b, q.p + 65536, 32768);
	feed_ex(s, TO_SERVER, &b, 4096, 0, false);
	put(&b, q.p + 98304, q.n - 98304);
	feed_ex(s, TO_SERVER, &b, 4096, 0, false);
	ok(&b, 1, 1, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 2");
	cli(s, &b);
	ok(&b, 1, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_int_equal(r->q[0].text_len, 100);
	assert_int_equal(r->q[0].text_total, 102400);
	assert_true(r->q[0].truncated);
	assert_memory_equal(r->q[0].text, q.p + 5, 100);
	assert_int_equal(r->q[0].ts_request, 6000); /* the feed that completed it */
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 2", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->st.gaps, 3);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&q);
	bfree(&b);
}

/* max_message bounds what is kept of a message, whether it arrived whole in
 * one feed or was assembled from several; max_text bounds the text. */
static void test_limits(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0}, q = {0};
	struct run *r;

	(void)state;
	s->lim.max_message = 100;
	s->lim.max_text = 1000;
	login(s, CAPS, "shop");
	big_query(&q, 300);
	put(&b, q.p, q.n);
	cli(s, &b);
	ok(&b, 1, 1, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	ok(&b, 1, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_int_equal(r->q[0].text_len, 99);
	assert_int_equal(r->q[0].text_total, 300);
	assert_memory_equal(r->q[0].text, q.p + 5, 99);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 0);
	run_free(r);
	script_free(s);
	bfree(&q);
	bfree(&b);
}

/* A payload of 0xffffff bytes continues in the next packet. */
static void test_continued_packet(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	le(&b, 0xffffff, 3);
	u8(&b, 0);
	u8(&b, 0x03);
	str(&b, "INSERT INTO t VALUES ('");
	while (b.n < 4 + 8192)
		u8(&b, 'z');
	feed_ex(s, TO_SERVER, &b, 4096, 4 + 0xffffff, false);
	le(&b, 10, 3);
	u8(&b, 1);
	str(&b, "zzzzzzzz')");
	cli(s, &b);
	ok(&b, 2, 1, ST_AUTOCOMMIT);
	srv(s, &b);
	/* A continuation whose sequence id jumps is malformed. */
	le(&b, 0xffffff, 3);
	u8(&b, 0);
	u8(&b, 0x03);
	feed_ex(s, TO_SERVER, &b, 5, 4 + 0xffffff, false);
	le(&b, 3, 3);
	u8(&b, 7);
	str(&b, "x')");
	feed_ex(s, TO_SERVER, &b, b.n, 0, true); /* the error is at its start */
	command(&b, 0x03, "SELECT 3");
	cli(s, &b);
	ok(&b, 1, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_int_equal(r->q[0].text_total, 0xffffff - 1 + 10);
	assert_int_equal(r->q[0].text_len, 4096 - 5);
	assert_int_equal(r->q[0].outcome, SQL_OUTCOME_OK);
	assert_int_equal(r->q[0].ts_request, 5000);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 3", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->ret[7], -EPROTO);
	assert_int_equal(r->st.parse_errors, 1);
	assert_int_equal(r->st.resyncs, 1);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* Two queries in one write, the gap running past the first: the second is
 * lost, decoding resumes at the next write. */
static void test_gap_past_packet_resync(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT 1");
	command(&b, 0x03, "SELECT 2");
	feed_ex(s, TO_SERVER, &b, 6, 0, false);
	result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT);
	result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 3");
	cli(s, &b);
	ok(&b, 1, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "S", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->q[0].text_total, 8);
	assert_true(r->q[0].truncated);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 3", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->st.gaps, 1);
	assert_int_equal(r->st.resyncs, 1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/*
 * A big result set read in chunks, each captured in part. When the chunks
 * start at packet boundaries, decoding resumes after each gap (rows exact
 * when the sequence ids leave no doubt, else 0); when they do not, the
 * command is reported UNKNOWN once the next one is sent.
 */
static void big_result(struct script *s, const struct bytes *res, const size_t *cuts, size_t ncuts,
		       const size_t *captured)
{
	struct bytes b = {0};
	size_t i, from, to;

	for (i = 0; i <= ncuts; i++) {
		from = i ? cuts[i - 1] : 0;
		to = i < ncuts ? cuts[i] : res->n;
		put(&b, res->p + from, to - from);
		/* After the first, where a chunk starts is what resync looks at. */
		feed_ex(s, TO_CLIENT, &b, captured[i], 0, i > 0);
	}
	bfree(&b);
}

/* Offset of the end of packet number k (0-based) in res. */
static size_t packet_end(const struct bytes *res, int k)
{
	size_t pos = 0;

	for (; k >= 0; k--)
		pos += 4 + (res->p[pos] | res->p[pos + 1] << 8 | (size_t)res->p[pos + 2] << 16);
	return pos;
}

static void test_result_set_gap_resume(void **state)
{
	struct bytes res = {0}, b = {0};
	size_t cuts[3], cap[3], at;
	struct script *s;
	struct run *r;
	int i;

	(void)state;
	result_set(&res, 1, 2, 200, false, ST_AUTOCOMMIT); /* packets: 1 + 2 + 1 + 200 + 1 */

	/* Small gaps at packet boundaries: rows exact. */
	s = script_new();
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT a, b FROM big");
	cli(s, &b);
	cuts[0] = packet_end(&res, 60);
	cuts[1] = packet_end(&res, 190);
	cap[0] = cuts[0] - 300;
	cap[1] = cuts[1] - cuts[0] - 300;
	cap[2] = SIZE_MAX;
	big_result(s, &res, cuts, 2, cap);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT a, b FROM big", SQL_OUTCOME_OK, 200);
	assert_int_equal(r->q[0].ts_response, 7000);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->st.gaps, 2);
	assert_int_equal(r->st.resyncs, 2);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);

	/* Large gaps: more than 256 packets might fit, rows unknown (0). */
	s = script_new();
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT a, b FROM big");
	cli(s, &b);
	cuts[0] = packet_end(&res, 150);
	cap[0] = 200;
	cap[1] = SIZE_MAX;
	big_result(s, &res, cuts, 1, cap);
	r = check(s);
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT a, b FROM big", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->st.resyncs, 1);
	run_free(r);
	script_free(s);

	/* Chunks cut inside packets: no resync until the next command. */
	s = script_new();
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT a, b FROM big");
	cli(s, &b);
	cuts[0] = packet_end(&res, 60) + 5;
	cuts[1] = packet_end(&res, 120) + 7;
	cap[0] = cap[1] = cap[2] = 1000;
	big_result(s, &res, cuts, 2, cap);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	result_set(&b, 1, 1, 1, false, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT a, b FROM big", SQL_OUTCOME_UNKNOWN, 0);
	assert_int_equal(r->q[0].ts_response, 0);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->st.resyncs, 1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);

	/* Values that look like packet headers where the chunks start: the
	 * next header does not chain (even rows), or the one packet does not
	 * end the feed (odd rows). Nothing of those chunks is decoded. */
	res.n = 0;
	at = begin(&res, 1);
	u8(&res, 2);
	end(&res, at);
	coldef(&res, 2, "a");
	coldef(&res, 3, "b");
	eof(&res, 4, ST_AUTOCOMMIT);
	for (i = 0; i < 200; i++) {
		at = begin(&res, 5 + i);
		if (i % 2 == 0)
			put(&res, "\x05\x01\x00\x00\x07Z\x05\x01\x00\x00\x08Z", 12);
		else
			put(&res, "\x14\x14\x00\x00\x07ZZZZZZZZZZZZZZZZ\x01x", 23);
		end(&res, at);
	}
	eof(&res, 205, ST_AUTOCOMMIT);
	s = script_new();
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT a, b FROM big");
	cli(s, &b);
	cuts[0] = packet_end(&res, 101) + 5; /* row 98 */
	cuts[1] = packet_end(&res, 180) + 5; /* row 177 */
	cap[0] = 100;
	cap[1] = 150;
	cap[2] = 26;
	big_result(s, &res, cuts, 2, cap);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT a, b FROM big", SQL_OUTCOME_UNKNOWN, 0);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 0);
	/* login 3, query 1, column count and definitions captured, the EOF
	 * delivered at the gap, then SELECT 1 and its OK. */
	assert_int_equal(r->st.messages, 3 + 1 + 4 + 2);
	assert_int_equal(r->st.resyncs, 1);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&res);
	bfree(&b);
}

/* Joined an established connection: no greeting, responses to unseen
 * commands ignored, capabilities guessed from the packets. */
static void test_mid_stream_start(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0}, rs = {0};
	struct run *r;
	size_t at;

	(void)state;
	/* The tail of a result set to a command we never saw. */
	result_set(&rs, 1, 2, 3, false, ST_AUTOCOMMIT);
	put(&b, rs.p + packet_end(&rs, 4), rs.n - packet_end(&rs, 4));
	srv(s, &b);
	command(&b, 0x03, "SELECT a, b FROM t");
	cli(s, &b);
	result_set(&b, 1, 2, 3, false, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT c FROM u WHERE 0");
	cli(s, &b);
	result_set(&b, 1, 1, 0, false, ST_AUTOCOMMIT);
	srv(s, &b);
	/* Query attributes (MySQL 8.0.23+): no parameters, one set. */
	at = begin(&b, 0);
	put(&b, "\x03\x00\x01SELECT 9", 11);
	end(&b, at);
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT a, b FROM t", SQL_OUTCOME_OK, 3);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT c FROM u WHERE 0", SQL_OUTCOME_OK, 0);
	assert_query(&r->q[2], SQL_MSG_QUERY, "SELECT 9", SQL_OUTCOME_OK, 0);
	assert_false(r->startup_seen);
	assert_string_equal(r->user, "");
	assert_int_equal(r->nev, 0);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);

	/* The same against a server using CLIENT_DEPRECATE_EOF. */
	s = script_new();
	command(&b, 0x03, "SELECT c FROM u WHERE 0");
	cli(s, &b);
	result_set(&b, 1, 1, 0, true, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT a, b FROM t");
	cli(s, &b);
	result_set(&b, 1, 2, 4, true, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT c FROM u WHERE 0", SQL_OUTCOME_OK, 0);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT a, b FROM t", SQL_OUTCOME_OK, 4);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&rs);
	bfree(&b);
}

static void test_query_attributes(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;
	size_t at;

	(void)state;
	login(s, CAPS | C_QUERY_ATTRIBUTES, "shop");
	at = begin(&b, 0);
	put(&b, "\x03\x00\x01SELECT 1", 11);
	end(&b, at);
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	/* Two attributes, one NULL: bitmap, bound flag, type + name each, value. */
	at = begin(&b, 0);
	u8(&b, 0x03);
	lenenc(&b, 2);
	lenenc(&b, 1);
	u8(&b, 0x02);
	u8(&b, 1);
	le(&b, 0xfe, 2);
	lstr(&b, "traceparent");
	le(&b, 0x03, 2);
	lstr(&b, "retries");
	lstr(&b, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	str(&b, "SELECT 2");
	end(&b, at);
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	/* The same, captured only up to the middle of the attributes: where the
	 * text starts is unknown. */
	at = begin(&b, 0);
	u8(&b, 0x03);
	lenenc(&b, 1);
	lenenc(&b, 1);
	u8(&b, 0x00);
	u8(&b, 1);
	le(&b, 0xfe, 2);
	lstr(&b, "traceparent");
	lstr(&b, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	str(&b, "SELECT 3");
	end(&b, at);
	feed_ex(s, TO_SERVER, &b, 20, 0, false);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 0);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 2", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->q[1].text_total, 8);
	assert_query(&r->q[2], SQL_MSG_QUERY, "", SQL_OUTCOME_OK, 0);
	assert_true(r->q[2].truncated);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_pipelined(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "UPDATE a SET x = 1");
	command(&b, 0x03, "SELECT x FROM a");
	command(&b, 0x03, "DELETE FROM a");
	cli(s, &b);
	ok(&b, 1, 4, 0);
	result_set(&b, 1, 1, 2, false, ST_AUTOCOMMIT);
	srv(s, &b);
	err(&b, 1, 1205, "HY000", "Lock wait timeout exceeded; try restarting transaction");
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_QUERY, "UPDATE a SET x = 1", SQL_OUTCOME_OK, 4);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT x FROM a", SQL_OUTCOME_OK, 2);
	assert_query(&r->q[2], SQL_MSG_QUERY, "DELETE FROM a", SQL_OUTCOME_ERROR, 0);
	assert_int_equal(r->q[2].ts_request, 4000);
	assert_int_equal(r->q[2].ts_response, 6000);
	run_free(r);
	script_free(s);

	/* More pending than max_pending: the oldest are reported UNKNOWN. */
	s = script_new();
	s->lim.max_pending = 2;
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT 1");
	command(&b, 0x0e, "");
	command(&b, 0x03, "SELECT 2");
	command(&b, 0x03, "SELECT 3");
	cli(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_UNKNOWN, 0);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT 2", SQL_OUTCOME_UNKNOWN, 0);
	assert_query(&r->q[2], SQL_MSG_QUERY, "SELECT 3", SQL_OUTCOME_UNKNOWN, 0);
	assert_int_equal(r->st.dropped_pending, 1); /* SELECT 1; the ping is not a request we report */
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_close_reports_unknown(void **state)
{
	struct sqlwire_callbacks cb = {.on_query = on_query, .on_session = on_session};
	struct run *r = calloc(1, sizeof(*r));
	struct bytes b = {0};
	struct mysqlwire *mw;

	(void)state;
	assert_non_null(r);
	cb.ctx = r;
	mw = mysqlwire__new(NULL, &cb);
	assert_non_null(mw);
	command(&b, 0x03, "SELECT SLEEP(100)");
	assert_int_equal(feed_copy(mw, TO_SERVER, b.p, b.n, b.n, 42), 0);
	assert_int_equal(r->nq, 0);
	mysqlwire__close(mw);
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT SLEEP(100)", SQL_OUTCOME_UNKNOWN, 0);
	assert_int_equal(r->q[0].ts_request, 42);
	assert_int_equal(r->q[0].ts_response, 0);
	mysqlwire__close(mw);
	assert_int_equal(r->nq, 1);
	mysqlwire__free(mw);
	mysqlwire__free(NULL);
	mysqlwire__close(NULL);
	run_free(r);
	bfree(&b);
}

static void test_invalid_arguments(void **state)
{
	struct mysqlwire *mw = mysqlwire__new(NULL, NULL);
	struct sqlwire_stats st;
	unsigned char x = 0;

	(void)state;
	assert_non_null(mw);
	assert_int_equal(mysqlwire__feed(NULL, TO_SERVER, &x, 1, 1, 0), -EINVAL);
	assert_int_equal(mysqlwire__feed(mw, TO_SERVER, &x, 2, 1, 0), -EINVAL);
	assert_int_equal(mysqlwire__feed(mw, TO_SERVER, NULL, 1, 1, 0), -EINVAL);
	assert_int_equal(mysqlwire__feed(mw, (enum sql_dir)7, &x, 1, 1, 0), -EINVAL);
	assert_int_equal(mysqlwire__feed(mw, TO_SERVER, NULL, 0, 0, 0), 0);
	assert_null(mysqlwire__session(NULL));
	mysqlwire__stats(mw, &st);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.gaps, 0);
	mysqlwire__free(mw);
}

/* ---- malformed input: counted, -EPROTO, resync at the next feed ---- */

static void test_malformed_client(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	le(&b, 0, 4); /* length 0, sequence 0 */
	cli(s, &b);
	command(&b, 0x42, "what"); /* no such command */
	cli(s, &b);
	command(&b, 0x03, "SELECT 1");
	b.p[3] = 5; /* a command starts at sequence 0 */
	cli(s, &b);
	command(&b, 0x17, "\x01\x00"); /* COM_STMT_EXECUTE shorter than its header */
	cli(s, &b);
	command(&b, 0x03, "SELECT 2");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->ret[3], -EPROTO);
	assert_int_equal(r->ret[4], -EPROTO);
	assert_int_equal(r->ret[5], -EPROTO);
	assert_int_equal(r->ret[6], -EPROTO);
	assert_int_equal(r->ret[7], 0);
	assert_int_equal(r->st.parse_errors, 4);
	assert_int_equal(r->st.resyncs, 4);
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 2", SQL_OUTCOME_OK, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* A server packet that breaks the protocol: the command is reported UNKNOWN
 * when the next one is sent, which is then decoded normally. */
static void malformed_reply(const void *payload, size_t n, unsigned int seq, uint64_t extra_caps)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	login(s, CAPS | extra_caps, "shop");
	command(&b, 0x03, "SELECT broken");
	cli(s, &b);
	one(&b, seq, payload, n);
	srv(s, &b);
	command(&b, 0x03, "SELECT fine");
	cli(s, &b);
	result_set(&b, 1, 2, 2, extra_caps & C_DEPRECATE_EOF, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->ret[4], -EPROTO);
	assert_int_equal(r->st.parse_errors, 1);
	assert_int_equal(r->st.resyncs, 1);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT broken", SQL_OUTCOME_UNKNOWN, 0);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT fine", SQL_OUTCOME_OK, 2);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_malformed_server(void **state)
{
	(void)state;
	/* Sequence id jumps. */
	malformed_reply("\x00\x00\x00\x02\x00\x00\x00", 7, 5, 0);
	/* ERR shorter than 3 bytes. */
	malformed_reply("\xff\x28", 2, 1, 0);
	/* Length 0. */
	malformed_reply("", 0, 1, 0);
	/* Length-encoded integers running past the packet. */
	malformed_reply("\x00\xfc\x01", 3, 1, 0);
	malformed_reply("\x00\x00\xfe\x01\x02", 5, 1, 0);
	malformed_reply("\xfd\x01\x00", 3, 1, 0);
	/* Session state longer than the packet. */
	malformed_reply("\x00\x00\x00\x02\x40\x00\x00\x00\x09\x01\x05", 11, 1, 0);
	/* Absurd column counts: 2^40, 70000, and a column count followed by junk. */
	malformed_reply("\xfe\x00\x00\x00\x00\x00\x01\x00\x00", 9, 1, 0);
	malformed_reply("\xfd\x70\x11\x01", 4, 1, 0);
	malformed_reply("\x02\x01\x01", 3, 1, 0);
	/* 0xfe first, 9 bytes or more: neither an EOF nor a column count. */
	malformed_reply("\xfe\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10, 1, 0);
}

/* Malformed within a result set, and server garbage before any command. */
static void test_malformed_result_set(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	login(s, CAPS, "shop");
	command(&b, 0x03, "SELECT a FROM t");
	cli(s, &b);
	result_set(&b, 1, 1, 3, false, ST_AUTOCOMMIT);
	b.p[packet_end(&b, 4) + 3] = 9; /* second row: sequence 6 becomes 9 */
	b.n = packet_end(&b, 5);
	srv(s, &b);
	command(&b, 0x03, "SELECT b FROM t");
	cli(s, &b);
	result_set(&b, 1, 1, 3, false, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->ret[4], -EPROTO);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT a FROM t", SQL_OUTCOME_UNKNOWN, 0);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT b FROM t", SQL_OUTCOME_OK, 3);
	assert_int_equal(r->st.parse_errors, 1);
	run_free(r);
	script_free(s);

	/* A greeting-looking packet that is not one, then a handshake response
	 * where the greeting was due: both dealt with, the session goes on. */
	s = script_new();
	one(&b, 0, "\x0a\x35\x2e", 3);
	srv(s, &b);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 1);
	assert_false(r->startup_seen);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 0);
	run_free(r);
	script_free(s);

	/* A handshake response that is not one, after a greeting. */
	s = script_new();
	greeting(&b, "8.0.36", CAPS);
	srv(s, &b);
	one(&b, 1, "\x05\x00\x00\x00", 4);
	cli(s, &b);
	r = check(s);
	assert_int_equal(r->ret[1], -EPROTO);
	assert_int_equal(r->st.parse_errors, 1);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_looks_like_greeting(void **state)
{
	struct {
		const char *name;
		const char *hex;
		bool yes;
	} cases[] = {
	    {"MariaDB 10.11 greeting",
	     "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b64656231327531000400000033", true},
	    {"MySQL 8 greeting, first bytes only", "4a0000000a382e302e3336", true},
	    {"header and protocol only", "4a0000000a", true},
	    {"sequence 1", "4a0000010a382e302e333600", false},
	    {"protocol 9", "4a000000093800", false},
	    {"payload too short for a greeting", "050000000a382e3000", false},
	    {"payload implausibly long", "ffff00000a382e3000", false},
	    {"version not printable", "4a0000000a38010200", false},
	    {"version not starting with a digit", "4a0000000a76382e3000", false},
	    {"empty version", "4a0000000a00", false},
	    {"version not terminated in the packet", "140000000a3131313131313131313131313131313131313131313131", false},
	    {"ERR instead of a greeting", "17000000ff6a04486f7374", false},
	    {"PostgreSQL StartupMessage", "0000004f00030000757365720061707000", false},
	    {"TLS ClientHello", "1603010200010001fc0303", false},
	    {"4 bytes", "4a000000", false},
	};
	struct bytes b = {0};
	unsigned char *copy;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b.n = 0;
		hex(&b, cases[i].hex);
		copy = malloc(b.n);
		assert_non_null(copy);
		memcpy(copy, b.p, b.n);
		if (mysqlwire__looks_like_greeting(copy, b.n) != cases[i].yes)
			fail_msg("%s: expected %d", cases[i].name, cases[i].yes);
		free(copy);
	}
	assert_false(mysqlwire__looks_like_greeting(NULL, 10));
	assert_false(mysqlwire__looks_like_greeting("", 0));
	bfree(&b);
}

/* ---- recorded MariaDB 10.11 traffic ---- */

static void test_real_cli(void **state)
{
	struct script *s = script_new();
	struct run *r;

	(void)state;
	trace(s, trace_cli);
	r = check(s);
	assert_true(r->startup_seen);
	assert_string_equal(r->user, "root");
	assert_string_equal(r->database, "test");
	assert_string_equal(r->app, "mysql");
	assert_string_equal(r->version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
	assert_int_equal(r->nq, 4);
	assert_query(&r->q[0], SQL_MSG_QUERY, "select 1, \"a\" union select 2, NULL", SQL_OUTCOME_OK, 2);
	assert_query(&r->q[1], SQL_MSG_QUERY, "SELECT DATABASE()", SQL_OUTCOME_OK, 1);
	assert_string_equal(r->q[1].database, "mysql");
	assert_query(&r->q[2], SQL_MSG_INIT_DB, "test", SQL_OUTCOME_OK, 0);
	assert_query(&r->q[3], SQL_MSG_QUERY, "selec 1", SQL_OUTCOME_ERROR, 0);
	assert_int_equal(r->q[3].error_code, 1064);
	assert_string_equal(r->q[3].sqlstate, "42000");
	assert_string_equal(r->q[3].message, "You have an error in your SQL syntax; check the manual that corresponds "
					     "to your MariaDB server version for the right syntax to use near "
					     "'selec 1' at line 1");
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
}

static void check_real_binary(const char *const *t, __u64 deleted)
{
	static const char sql[] = "SELECT ? + 1 AS a, ? AS b, CONCAT(?, \"x\") AS c";
	struct script *s = script_new();
	struct run *r;

	trace(s, t);
	r = check(s);
	assert_string_equal(r->app, "rawcli");
	assert_int_equal(r->nq, 14);
	assert_query(&r->q[1], SQL_MSG_QUERY, "DELETE FROM t", SQL_OUTCOME_OK, deleted);
	assert_query(&r->q[2], SQL_MSG_QUERY, "INSERT INTO t VALUES (1,'a'),(2,NULL),(3,'c')", SQL_OUTCOME_OK, 3);
	assert_query(&r->q[3], SQL_MSG_QUERY, "SELECT id, name FROM t ORDER BY id", SQL_OUTCOME_OK, 3);
	assert_query(&r->q[4], SQL_MSG_QUERY, "SELECT * FROM t WHERE id > 100", SQL_OUTCOME_OK, 0);
	/* 1 row, 0 rows changed (MariaDB counts changed, not matched), 1 row. */
	assert_query(&r->q[5], SQL_MSG_QUERY, "SELECT 1; UPDATE t SET name = name WHERE id < 3; SELECT 2",
		     SQL_OUTCOME_OK, 2);
	assert_int_equal(r->q[6].error_code, 1064);
	assert_query(&r->q[7], SQL_MSG_INIT_DB, "mysql", SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[7].database, "mysql");
	assert_query(&r->q[8], SQL_MSG_INIT_DB, "nosuchdb", SQL_OUTCOME_ERROR, 0);
	assert_int_equal(r->q[8].error_code, 1049);
	assert_string_equal(r->q[8].database, "mysql");
	assert_query(&r->q[9], SQL_MSG_QUERY, "USE test", SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[9].database, "test"); /* from the session-state schema */
	assert_query(&r->q[10], SQL_MSG_PARSE, sql, SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[10].statement, "1");
	assert_int_equal(r->q[10].param_count, 3);
	assert_query(&r->q[11], SQL_MSG_EXECUTE, sql, SQL_OUTCOME_OK, 1);
	assert_string_equal(r->q[11].statement, "1");
	assert_int_equal(r->q[11].param_count, 3);
	assert_int_equal(r->q[11].types[0], 0x08);
	assert_int_equal(r->q[11].types[1], 0xfd);
	assert_int_equal(r->q[11].lengths[0], 8);
	assert_int_equal(r->q[11].lengths[1], 5);
	assert_int_equal(r->q[11].lengths[2], -1);
	assert_query(&r->q[12], SQL_MSG_EXECUTE, sql, SQL_OUTCOME_OK, 1);
	assert_int_equal(r->q[12].types[2], 0xfd);
	assert_int_equal(r->q[12].lengths[1], 2);
	assert_int_equal(r->q[12].lengths[2], 1);
	assert_query(&r->q[13], SQL_MSG_PARSE, "UPDATE nosuch SET x = ?", SQL_OUTCOME_ERROR, 0);
	assert_int_equal(r->q[13].error_code, 1146);
	assert_string_equal(r->q[13].sqlstate, "42S02");
	assert_string_equal(r->q[13].statement, "");
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
}

static void test_real_binary_protocol(void **state)
{
	(void)state;
	check_real_binary(trace_eof, 0);
	check_real_binary(trace_deprecate, 3);
}

static void test_real_misc(void **state)
{
	struct script *s = script_new();
	struct run *r;

	(void)state;
	trace(s, trace_misc);
	r = check(s);
	assert_int_equal(r->nq, 5);
	/* The file is sent, a MariaDB progress packet (ERR 0xffff) goes by. */
	assert_query(&r->q[0], SQL_MSG_QUERY,
		     "LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE t FIELDS TERMINATED BY ','", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->q[0].ts_response, 8000);
	/* PREPARE and EXECUTE(-1) pipelined in one write. */
	assert_query(&r->q[1], SQL_MSG_PARSE, "SELECT name FROM t WHERE id = ?", SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[1].statement, "5");
	assert_query(&r->q[2], SQL_MSG_EXECUTE, "SELECT name FROM t WHERE id = ?", SQL_OUTCOME_OK, 1);
	assert_string_equal(r->q[2].statement, "5");
	assert_int_equal(r->q[2].param_count, 1);
	assert_int_equal(r->q[2].types[0], 0x03);
	assert_int_equal(r->q[2].lengths[0], 4);
	/* Cursor: the EXECUTE ends at the definitions, rows come by FETCH. */
	assert_query(&r->q[4], SQL_MSG_EXECUTE, "SELECT id FROM t", SQL_OUTCOME_OK, 0);
	/* COM_CHANGE_USER with an auth switch: user and database again. */
	assert_int_equal(r->nev, 2);
	assert_int_equal(r->ev[1], SQL_SESSION_STARTUP);
	assert_string_equal(r->database, "mysql");
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
}

/* Joined during the handshake: response without greeting, authentication
 * data, a refused connection, an OK that was not captured. */
static void test_handshake_pieces(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;

	(void)state;
	handshake_response(&b, 1, CAPS, "late", "reports", "cron");
	cli(s, &b);
	ok(&b, 2, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 1");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_true(r->startup_seen);
	assert_string_equal(r->user, "late");
	assert_string_equal(r->database, "reports");
	assert_string_equal(r->version, "");
	assert_int_equal(r->nev, 1);
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 1", SQL_OUTCOME_OK, 0);
	run_free(r);
	script_free(s);

	s = script_new();
	one(&b, 3, "\x8e\x1b\x42\x77\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 20);
	cli(s, &b);
	ok(&b, 4, 0, ST_AUTOCOMMIT);
	srv(s, &b);
	command(&b, 0x03, "SELECT 2");
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_false(r->startup_seen);
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 2", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);

	s = script_new();
	err(&b, 0, 1040, "08004", "Too many connections");
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 0);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);

	s = script_new();
	greeting(&b, "10.6.18-MariaDB", CAPS & ~C_MYSQL);
	srv(s, &b);
	handshake_response(&b, 1, CAPS & ~C_ATTRS, "svc", "shop", "");
	cli(s, &b);
	command(&b, 0x03, "SELECT 3"); /* the OK before it was not captured */
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_string_equal(r->version, "10.6.18-MariaDB");
	assert_string_equal(r->app, "");
	assert_int_equal(r->nq, 1);
	assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT 3", SQL_OUTCOME_OK, 0);
	run_free(r);
	script_free(s);

	/* A replication client: nothing after COM_BINLOG_DUMP is decoded. */
	s = script_new();
	login(s, CAPS, "");
	command(&b, 0x12, "\x04\x00\x00\x00\x00\x00\x02\x00\x00\x00");
	cli(s, &b);
	one(&b, 1, "\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x2c", 11);
	srv(s, &b);
	command(&b, 0x03, "SELECT 4");
	cli(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 0);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* A prepare seen mid-stream: whether EOF packets follow the definitions is
 * learnt from them. */
static void mid_stream_prepare(bool deprecate)
{
	struct script *s = script_new();
	struct bytes b = {0};
	unsigned int seq = 2;
	struct run *r;
	size_t at;

	command(&b, 0x16, "SELECT name, total FROM orders WHERE id = ?");
	cli(s, &b);
	prepare_ok(&b, 1, 12, 2, 1);
	coldef(&b, seq++, "?");
	if (!deprecate)
		eof(&b, seq++, ST_AUTOCOMMIT);
	coldef(&b, seq++, "name");
	coldef(&b, seq++, "total");
	if (!deprecate)
		eof(&b, seq++, ST_AUTOCOMMIT);
	srv(s, &b);
	at = begin(&b, 0);
	u8(&b, 0x17);
	le(&b, 12, 4);
	u8(&b, 0);
	le(&b, 1, 4);
	u8(&b, 0);
	u8(&b, 1);
	le(&b, 0x03, 2);
	le(&b, 77, 4);
	end(&b, at);
	cli(s, &b);
	at = begin(&b, 1);
	u8(&b, 2);
	end(&b, at);
	seq = 2;
	coldef(&b, seq++, "name");
	coldef(&b, seq++, "total");
	if (!deprecate)
		eof(&b, seq++, ST_AUTOCOMMIT);
	binary_row(&b, seq++, 5, "ada");
	if (deprecate)
		ok_end(&b, seq++, ST_AUTOCOMMIT);
	else
		eof(&b, seq++, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[0], SQL_MSG_PARSE, "SELECT name, total FROM orders WHERE id = ?", SQL_OUTCOME_OK, 0);
	assert_string_equal(r->q[0].statement, "12");
	assert_int_equal(r->q[0].param_count, 1);
	assert_query(&r->q[1], SQL_MSG_EXECUTE, "SELECT name, total FROM orders WHERE id = ?", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->q[1].types[0], 0x03);
	assert_int_equal(r->q[1].lengths[0], 4);
	assert_int_equal(r->st.parse_errors, 0);
	run_free(r);
	script_free(s);
	bfree(&b);
}

static void test_mid_stream_prepare(void **state)
{
	(void)state;
	mid_stream_prepare(false);
	mid_stream_prepare(true);
}

/* Parameter types and value lengths; query attributes; MariaDB bulk. */
static void test_execute_parameters(void **state)
{
	struct script *s = script_new();
	struct bytes b = {0};
	struct run *r;
	size_t at, i;

	(void)state;
	login(s, CAPS | C_DEPRECATE_EOF, "shop");
	command(&b, 0x16, "INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)");
	cli(s, &b);
	prepare_ok(&b, 1, 3, 0, 6);
	for (i = 0; i < 6; i++)
		coldef(&b, 2 + (unsigned int)i, "?");
	srv(s, &b);
	at = begin(&b, 0);
	u8(&b, 0x17);
	le(&b, 3, 4);
	u8(&b, 0);
	le(&b, 1, 4);
	u8(&b, 0x10); /* the fifth is NULL */
	u8(&b, 1);
	le(&b, 0x8001, 2); /* unsigned TINY */
	le(&b, 0x02, 2);   /* SHORT */
	le(&b, 0x05, 2);   /* DOUBLE */
	le(&b, 0x0c, 2);   /* DATETIME */
	le(&b, 0x06, 2);   /* NULL */
	le(&b, 0xfc, 2);   /* BLOB */
	u8(&b, 200);
	le(&b, 7, 2);
	le(&b, 0x4009000000000000ULL, 8);
	u8(&b, 7);
	put(&b, "\xe8\x07\x02\x1d\x0c\x22\x38", 7);
	lenenc(&b, 300);
	for (i = 0; i < 300; i++)
		u8(&b, (unsigned int)i);
	end(&b, at);
	cli(s, &b);
	ok(&b, 1, 1, ST_AUTOCOMMIT);
	srv(s, &b);
	/* MariaDB COM_STMT_BULK_EXECUTE with types, three rows. */
	at = begin(&b, 0);
	u8(&b, 0xfa);
	le(&b, 3, 4);
	le(&b, 128, 2);
	for (i = 0; i < 6; i++)
		le(&b, i == 5 ? 0xfe : 0x03, 2);
	put(&b, "\x01\x02\x03", 3);
	end(&b, at);
	cli(s, &b);
	ok(&b, 1, 3, ST_AUTOCOMMIT);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 3);
	assert_query(&r->q[1], SQL_MSG_EXECUTE, "INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)", SQL_OUTCOME_OK, 1);
	assert_int_equal(r->q[1].param_count, 6);
	assert_int_equal(r->q[1].types[0], 0x8001);
	assert_int_equal(r->q[1].types[3], 0x0c);
	assert_int_equal(r->q[1].types[5], 0xfc);
	assert_int_equal(r->q[1].lengths[0], 1);
	assert_int_equal(r->q[1].lengths[1], 2);
	assert_int_equal(r->q[1].lengths[2], 8);
	assert_int_equal(r->q[1].lengths[3], 7);
	assert_int_equal(r->q[1].lengths[4], -1);
	assert_int_equal(r->q[1].lengths[5], 300);
	assert_query(&r->q[2], SQL_MSG_EXECUTE, "INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)", SQL_OUTCOME_OK, 3);
	assert_int_equal(r->q[2].param_count, 6);
	assert_int_equal(r->q[2].types[0], 0x03);
	assert_int_equal(r->q[2].types[5], 0xfe);
	assert_int_equal(r->q[2].lengths[0], 0);
	run_free(r);
	script_free(s);

	/* Query attributes: the count sent, names after the types. */
	s = script_new();
	login(s, CAPS | C_QUERY_ATTRIBUTES, "shop");
	command(&b, 0x16, "SELECT ?");
	cli(s, &b);
	prepare_ok(&b, 1, 9, 1, 1);
	coldef(&b, 2, "?");
	eof(&b, 3, 0);
	coldef(&b, 4, "?");
	eof(&b, 5, 0);
	srv(s, &b);
	at = begin(&b, 0);
	u8(&b, 0x17);
	le(&b, 9, 4);
	u8(&b, 0x08); /* PARAMETER_COUNT_AVAILABLE */
	le(&b, 1, 4);
	lenenc(&b, 2);
	u8(&b, 0);
	u8(&b, 1);
	le(&b, 0x03, 2);
	lstr(&b, "");
	le(&b, 0xfd, 2);
	lstr(&b, "trace_id");
	le(&b, 41, 4);
	lstr(&b, "abc");
	end(&b, at);
	cli(s, &b);
	ok(&b, 1, 0, 0);
	srv(s, &b);
	r = check(s);
	assert_int_equal(r->nq, 2);
	assert_query(&r->q[1], SQL_MSG_EXECUTE, "SELECT ?", SQL_OUTCOME_OK, 0);
	assert_int_equal(r->q[1].param_count, 2);
	assert_int_equal(r->q[1].types[1], 0xfd);
	assert_int_equal(r->q[1].lengths[0], 4);
	assert_int_equal(r->q[1].lengths[1], 3);
	run_free(r);
	script_free(s);
	bfree(&b);
}

/* Sync lost inside the column definitions, or inside a packet header. */
static void test_resume_in_definitions(void **state)
{
	struct bytes res = {0}, b = {0};
	size_t cuts[1], cap[2];
	struct script *s;
	struct run *r;
	int variant;

	(void)state;
	result_set(&res, 1, 300, 2, false, ST_AUTOCOMMIT); /* 1 + 300 + 1 + 2 + 1 packets */
	for (variant = 0; variant < 3; variant++) {
		s = script_new();
		login(s, CAPS, "shop");
		command(&b, 0x03, "SELECT * FROM wide");
		cli(s, &b);
		switch (variant) {
		case 0: /* gap inside the definitions */
			cuts[0] = packet_end(&res, 100);
			cap[0] = cuts[0] - 200;
			break;
		case 1: /* gap over the last definitions and their EOF */
			cuts[0] = packet_end(&res, 301);
			cap[0] = cuts[0] - 120;
			break;
		default: /* captured up to the middle of a header */
			cuts[0] = packet_end(&res, 120);
			cap[0] = packet_end(&res, 110) + 2;
			break;
		}
		cap[1] = SIZE_MAX;
		big_result(s, &res, cuts, 1, cap);
		r = check(s);
		assert_int_equal(r->nq, 1);
		assert_query(&r->q[0], SQL_MSG_QUERY, "SELECT * FROM wide", SQL_OUTCOME_OK, 2);
		assert_int_equal(r->st.resyncs, 1);
		assert_int_equal(r->st.parse_errors, 0);
		run_free(r);
		script_free(s);
	}
	bfree(&res);
	bfree(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_login_session),
	    cmocka_unit_test(test_login_auth_switch_and_denied),
	    cmocka_unit_test(test_ssl_request_encrypted),
	    cmocka_unit_test(test_compressed_not_decoded),
	    cmocka_unit_test(test_query_ok_affected),
	    cmocka_unit_test(test_query_result_set_eof),
	    cmocka_unit_test(test_query_result_set_deprecate_eof),
	    cmocka_unit_test(test_query_syntax_error),
	    cmocka_unit_test(test_init_db),
	    cmocka_unit_test(test_prepare_execute_close),
	    cmocka_unit_test(test_statement_map_bounded),
	    cmocka_unit_test(test_execute_prepare_unseen),
	    cmocka_unit_test(test_multi_results),
	    cmocka_unit_test(test_large_query_gap),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_continued_packet),
	    cmocka_unit_test(test_gap_past_packet_resync),
	    cmocka_unit_test(test_result_set_gap_resume),
	    cmocka_unit_test(test_mid_stream_start),
	    cmocka_unit_test(test_query_attributes),
	    cmocka_unit_test(test_pipelined),
	    cmocka_unit_test(test_close_reports_unknown),
	    cmocka_unit_test(test_invalid_arguments),
	    cmocka_unit_test(test_malformed_client),
	    cmocka_unit_test(test_malformed_server),
	    cmocka_unit_test(test_malformed_result_set),
	    cmocka_unit_test(test_handshake_pieces),
	    cmocka_unit_test(test_mid_stream_prepare),
	    cmocka_unit_test(test_execute_parameters),
	    cmocka_unit_test(test_resume_in_definitions),
	    cmocka_unit_test(test_looks_like_greeting),
	    cmocka_unit_test(test_real_cli),
	    cmocka_unit_test(test_real_binary_protocol),
	    cmocka_unit_test(test_real_misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

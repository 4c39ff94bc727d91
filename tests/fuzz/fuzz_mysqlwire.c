/*
 * libFuzzer target for agent/mysqlwire.c. The input is a sequence of feeds,
 * so the fuzzer explores how bytes are split between syscalls and where the
 * kernel stopped capturing, not only the bytes themselves:
 *
 *   byte 0          limits: bit 0 max_text 16, bit 1 max_pending 2,
 *                   bit 2 max_message 64 (defaults otherwise)
 *   then records    flags (bit 0: direction; bits 1-2: gap kind, 0 none,
 *                   1 small, 2 medium, 3 large; bits 3-7: gap size),
 *                   length (2 bytes, little-endian), that many bytes
 *
 * Each feed is copied into a heap buffer of exactly its size. Checked:
 * - every report and session event satisfies the contract of sqlwire.h
 *   (NUL-terminated strings of the stated lengths, truncated iff text_len <
 *   text_total, text within max_text, statement a decimal id or "", outcome
 *   UNKNOWN iff no response time, ...), and every byte it points to is read;
 * - feed returns 0 or -EPROTO, and parse_errors counts the -EPROTO; gaps
 *   counts the feeds with total > len; queries counts the reports;
 * - close reports at most max_pending commands, and a second close none;
 * - the same feeds without gaps, whole and cut into pieces, give the same
 *   reports whenever neither run lost sync (no parse error, no resync).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *	-Iagent tests/fuzz/fuzz_mysqlwire.c agent/mysqlwire.c -o fuzz_mysqlwire
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysqlwire.h"

#define MAX_FEEDS 4096

struct feed {
	int dir;
	const uint8_t *p;
	size_t len, total;
};

struct state {
	struct sqlwire_limits lim;
	size_t max_text;
	__u64 queries;
	__u64 unknown;
	char *log;
	size_t loglen, logcap;
};

static void put_log(struct state *st, const void *p, size_t n)
{
	size_t cap;
	char *nl;

	if (st->loglen + n > st->logcap) {
		cap = st->logcap ? st->logcap * 2 : 4096;
		while (cap < st->loglen + n)
			cap *= 2;
		nl = realloc(st->log, cap);
		if (!nl)
			abort();
		st->log = nl;
		st->logcap = cap;
	}
	memcpy(st->log + st->loglen, p, n);
	st->loglen += n;
}

/* Read every byte of a string of known length: ASan checks the pointer. */
static size_t touch(const char *s, size_t n)
{
	size_t i, sum = 0;

	for (i = 0; i <= n; i++)
		sum += (unsigned char)s[i];
	if (s[n] != '\0')
		abort();
	return sum;
}

static void check_session(const struct sql_session *s)
{
	if (!s || s->dialect != SQL_DIALECT_MYSQL || !s->user || !s->database || !s->application_name ||
	    !s->server_version)
		abort();
	touch(s->user, strlen(s->user));
	touch(s->database, strlen(s->database));
	touch(s->application_name, strlen(s->application_name));
	touch(s->server_version, strlen(s->server_version));
	if (s->encrypted && !s->startup_seen)
		abort();
}

static void on_query(void *ctx, const struct sql_query *q, const struct sql_session *s)
{
	struct state *st = ctx;
	size_t i, n;

	if (!q || q->kind < SQL_MSG_QUERY || q->kind > SQL_MSG_INIT_DB)
		abort();
	if (!q->text || q->text_len > q->text_total || q->truncated != (q->text_len < q->text_total) ||
	    q->text_len > st->max_text)
		abort();
	touch(q->text, q->text_len);
	if (!q->statement || !q->portal || !q->error_message || !q->command_tag || q->param_values)
		abort();
	n = strlen(q->statement);
	if (n > 10 || q->portal[0] || q->command_tag[0])
		abort();
	for (i = 0; i < n; i++) {
		if (q->statement[i] < '0' || q->statement[i] > '9')
			abort();
	}
	if ((q->kind == SQL_MSG_QUERY || q->kind == SQL_MSG_INIT_DB) && (n || q->param_count != -1))
		abort();
	if (q->param_count < -1 || !memchr(q->sqlstate, '\0', sizeof(q->sqlstate)))
		abort();
	touch(q->error_message, strlen(q->error_message));
	switch (q->outcome) {
	case SQL_OUTCOME_OK:
	case SQL_OUTCOME_ERROR:
		if (!q->ts_response)
			abort();
		break;
	case SQL_OUTCOME_UNKNOWN:
		if (q->ts_response || q->rows)
			abort();
		st->unknown++;
		break;
	default:
		abort();
	}
	if (q->outcome != SQL_OUTCOME_ERROR && (q->error_code || q->sqlstate[0] || q->error_message[0]))
		abort();
	if (!q->ts_request || (q->ts_response && q->ts_request > q->ts_response))
		abort();
	check_session(s);
	st->queries++;
	put_log(st, &q->kind, sizeof(q->kind));
	put_log(st, q->text, q->text_len);
	put_log(st, &q->text_total, sizeof(q->text_total));
	put_log(st, q->statement, n + 1);
	put_log(st, &q->param_count, sizeof(q->param_count));
	put_log(st, q->param_types, sizeof(q->param_types));
	put_log(st, q->param_lengths, sizeof(q->param_lengths));
	put_log(st, &q->outcome, sizeof(q->outcome));
	put_log(st, q->sqlstate, sizeof(q->sqlstate));
	put_log(st, &q->error_code, sizeof(q->error_code));
	put_log(st, q->error_message, strlen(q->error_message) + 1);
	put_log(st, &q->rows, sizeof(q->rows));
	put_log(st, &q->ts_request, sizeof(q->ts_request));
	put_log(st, &q->ts_response, sizeof(q->ts_response));
	put_log(st, s->database, strlen(s->database) + 1);
}

static void on_session(void *ctx, enum sql_session_event ev, const struct sql_session *s)
{
	struct state *st = ctx;

	if (ev != SQL_SESSION_STARTUP && ev != SQL_SESSION_ENCRYPTED)
		abort();
	/* STARTUP may come mid-stream (COM_CHANGE_USER); TLS only at the start. */
	if ((ev == SQL_SESSION_ENCRYPTED) != s->encrypted || (ev == SQL_SESSION_ENCRYPTED && !s->startup_seen))
		abort();
	check_session(s);
	put_log(st, &ev, sizeof(ev));
	put_log(st, s->user, strlen(s->user) + 1);
	put_log(st, s->database, strlen(s->database) + 1);
}

static int feed_copy(struct mysqlwire *mw, int dir, const uint8_t *p, size_t len, size_t total, __u64 ts)
{
	uint8_t *c = malloc(len ? len : 1);
	int ret;

	if (!c)
		abort();
	memcpy(c, p, len);
	ret = mysqlwire__feed(mw, dir, c, len, total, ts);
	free(c);
	if (ret != 0 && ret != -EPROTO)
		abort();
	return ret;
}

/*
 * Feed all; piece > 0 cuts every feed into pieces of at most that many bytes
 * (the gap, if any, goes with the last). Returns the stats; st gets the log.
 */
static void run(const struct feed *f, size_t n, bool gaps, size_t piece, struct state *st, struct sqlwire_stats *out)
{
	struct sqlwire_callbacks cb = {.on_query = on_query, .on_session = on_session, .ctx = st};
	__u64 errors = 0, gapped = 0, before;
	size_t i, off, k, total;
	struct mysqlwire *mw;

	mw = mysqlwire__new(&st->lim, &cb);
	if (!mw)
		return;
	for (i = 0; i < n; i++) {
		total = gaps ? f[i].total : f[i].len;
		gapped += total > f[i].len;
		if (!piece || f[i].len <= piece) {
			errors += feed_copy(mw, f[i].dir, f[i].p, f[i].len, total, 1000 * (i + 1)) != 0;
			continue;
		}
		for (off = 0; off < f[i].len; off += k) {
			k = f[i].len - off < piece ? f[i].len - off : piece;
			errors += feed_copy(mw, f[i].dir, f[i].p + off, k, off + k < f[i].len ? k : total - off,
					    1000 * (i + 1)) != 0;
		}
	}
	before = st->unknown;
	mysqlwire__close(mw);
	if (st->unknown - before > st->lim.max_pending)
		abort();
	mysqlwire__stats(mw, out);
	before = st->queries;
	mysqlwire__close(mw);
	if (st->queries != before)
		abort();
	if (out->parse_errors != errors || out->gaps != gapped || out->queries != st->queries ||
	    out->dropped_pending > out->queries)
		abort();
	check_session(mysqlwire__session(mw));
	mysqlwire__free(mw);
}

static void state_init(struct state *st, uint8_t cfg)
{
	memset(st, 0, sizeof(*st));
	if (cfg & 1)
		st->lim.max_text = 16;
	if (cfg & 2)
		st->lim.max_pending = 2;
	if (cfg & 4)
		st->lim.max_message = 64;
	st->max_text = st->lim.max_text ? st->lim.max_text : 16384;
	if (!st->lim.max_pending)
		st->lim.max_pending = 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct feed f[MAX_FEEDS];
	struct sqlwire_stats a, b;
	struct state st, whole, cut;
	size_t n = 0, pos = 1, len, gap, piece;
	uint8_t flags;

	if (size < 1)
		return 0;
	while (pos + 3 <= size && n < MAX_FEEDS) {
		flags = data[pos];
		len = data[pos + 1] | (size_t)data[pos + 2] << 8;
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		switch ((flags >> 1) & 3) {
		case 0:
			gap = 0;
			break;
		case 1:
			gap = flags >> 3;
			break;
		case 2:
			gap = (size_t)(flags >> 3) * 997;
			break;
		default:
			gap = (size_t)(flags >> 3) << 20;
			break;
		}
		f[n].dir = flags & 1;
		f[n].p = data + pos;
		f[n].len = len;
		f[n].total = len + gap;
		n++;
		pos += len;
	}

	state_init(&st, data[0]);
	run(f, n, true, 0, &st, &a);
	free(st.log);

	/* Without gaps, whole and in pieces: the same unless sync was lost. */
	state_init(&whole, data[0]);
	run(f, n, false, 0, &whole, &a);
	piece = 1 + (data[0] >> 3) % 7;
	state_init(&cut, data[0]);
	run(f, n, false, piece, &cut, &b);
	if (!a.parse_errors && !a.resyncs && !b.parse_errors && !b.resyncs &&
	    (whole.loglen != cut.loglen || (whole.loglen && memcmp(whole.log, cut.log, whole.loglen))))
		abort();
	free(whole.log);
	free(cut.log);
	return 0;
}

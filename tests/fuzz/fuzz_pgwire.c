/*
 * libFuzzer target for agent/pgwire.c. The input is a configuration byte
 * then a sequence of feeds, so the fuzzer explores splits, gaps, closes and
 * both directions:
 *
 *   config: bit 0 keep_param_values, bit 1 tiny limits (max_text 16,
 *           max_pending 2, max_message 32), bit 2 small limits (max_text 300,
 *           max_pending 5, max_message 400)
 *   feed:   ctl, len, [gap], len bytes
 *           ctl bit 0: direction (1: to the client); bit 1: a gap byte g
 *           follows, lost bytes = g < 200 ? g : (g - 199) * 4096; bit 2:
 *           pgwire__close() after this feed
 *
 * Each report must satisfy what the decoder guarantees:
 * - text is non-NULL, NUL-terminated, free of embedded NULs
 *   (strlen(text) == text_len), text_len <= max_text and <= text_total, and
 *   truncated == (text_len < text_total);
 * - statement, portal, error_message, command_tag are non-NULL strings and
 *   sqlstate holds its NUL; QUERY has no statement, portal or parameters;
 * - param_count >= -1, lengths >= -2, param_values only for EXECUTE with
 *   keep_param_values, each a string, all together within max_text;
 * - UNKNOWN has no response data; OK has no error; ERROR has no tag;
 *   ts_request <= ts_response <= the current feed's ts when answered.
 * The counters agree with the callbacks and return values. And when a run
 * had no parse error, replaying it with every feed split into single bytes
 * (each gap kept after the feed's last byte) gives the very same reports,
 * session and counters.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_pgwire.c agent/pgwire.c -o fuzz_pgwire
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire.h"

struct run {
	struct sqlwire_limits lim;
	__u64 now;     /* ts of the feed in progress */
	__u64 reports; /* callbacks seen */
	__u64 hash;    /* of everything reported */
	int startups;
	int encrypted;
};

static void mix(struct run *r, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		r->hash = (r->hash ^ b[i]) * 1099511628211ull;
}

static void mix_str(struct run *r, const char *s)
{
	mix(r, s, strlen(s) + 1);
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void on_query(void *ctx, const struct sql_query *q, const struct sql_session *s)
{
	struct run *r = ctx;
	size_t total = 0;
	int i, n;

	check(q->kind == SQL_MSG_QUERY || q->kind == SQL_MSG_PARSE || q->kind == SQL_MSG_EXECUTE);
	check(q->text && q->text[q->text_len] == '\0' && strlen(q->text) == q->text_len);
	check(q->text_len <= r->lim.max_text && q->text_len <= q->text_total);
	check(q->truncated == (q->text_len < q->text_total));
	check(q->statement && q->portal && q->error_message && q->command_tag);
	check(memchr(q->sqlstate, 0, sizeof(q->sqlstate)) != NULL);
	check(q->param_count >= -1 && q->param_count <= 32767);
	check(q->error_code == 0);
	if (q->kind == SQL_MSG_QUERY)
		check(q->param_count == -1 && !q->statement[0] && !q->portal[0] && !q->param_values);
	if (q->kind != SQL_MSG_EXECUTE)
		check(!q->portal[0]);
	n = q->param_count < SQL_MAX_PARAMS ? q->param_count : SQL_MAX_PARAMS;
	for (i = 0; i < n; i++)
		check(q->param_lengths[i] >= -2);
	if (q->param_values) {
		check(q->kind == SQL_MSG_EXECUTE && r->lim.keep_param_values);
		for (i = 0; i < n; i++) {
			check(q->param_values[i] != NULL);
			total += strlen(q->param_values[i]);
		}
		check(total <= r->lim.max_text);
	}
	switch (q->outcome) {
	case SQL_OUTCOME_UNKNOWN:
		check(q->ts_response == 0 && !q->sqlstate[0] && !q->command_tag[0] && !q->error_message[0]);
		check(q->rows == 0);
		break;
	case SQL_OUTCOME_OK:
		check(!q->sqlstate[0] && !q->error_message[0]);
		check(q->ts_request <= q->ts_response && q->ts_response <= r->now);
		break;
	case SQL_OUTCOME_ERROR:
		check(!q->command_tag[0] && q->rows == 0);
		check(q->ts_request <= q->ts_response && q->ts_response <= r->now);
		break;
	default:
		abort();
	}
	check(q->ts_request >= 1 && q->ts_request <= r->now);
	check(s && s->user && s->database && s->application_name && s->server_version);

	r->reports++;
	mix(r, &q->kind, sizeof(q->kind));
	mix_str(r, q->text);
	mix(r, &q->text_total, sizeof(q->text_total));
	mix_str(r, q->statement);
	mix_str(r, q->portal);
	mix(r, &q->param_count, sizeof(q->param_count));
	mix(r, q->param_types, sizeof(q->param_types));
	mix(r, q->param_lengths, sizeof(q->param_lengths));
	for (i = 0; q->param_values && i < n; i++)
		mix_str(r, q->param_values[i]);
	mix(r, &q->outcome, sizeof(q->outcome));
	mix_str(r, q->sqlstate);
	mix_str(r, q->error_message);
	mix_str(r, q->command_tag);
	mix(r, &q->rows, sizeof(q->rows));
	mix(r, &q->ts_request, sizeof(q->ts_request));
	mix(r, &q->ts_response, sizeof(q->ts_response));
}

static void on_session(void *ctx, enum sql_session_event ev, const struct sql_session *s)
{
	struct run *r = ctx;

	check(s && s->user && s->database);
	if (ev == SQL_SESSION_STARTUP) {
		r->startups++;
	} else {
		check(ev == SQL_SESSION_ENCRYPTED && s->encrypted);
		/* once */
		check(++r->encrypted == 1);
	}
}

static int feed_copy(struct pgwire *pw, enum sql_dir dir, const uint8_t *data, size_t len, size_t total, __u64 ts)
{
	/* exactly sized, so ASan catches any read past it */
	uint8_t *copy = len ? malloc(len) : NULL;
	int ret;

	if (len && !copy)
		return 0;
	if (len)
		memcpy(copy, data, len);
	ret = pgwire__feed(pw, dir, copy, len, total, ts);
	free(copy);
	check(ret == 0 || ret == -EPROTO);
	return ret;
}

/* Replay the input; byte_split feeds every chunk one byte at a time. Returns the parse errors. */
static __u64 replay(const uint8_t *data, size_t size, bool byte_split, struct run *r, struct sqlwire_stats *st,
		    __u64 *session_hash)
{
	struct sqlwire_callbacks cb = {on_query, on_session, r};
	const struct sql_session *s;
	struct pgwire *pw;
	size_t off = 1, len, gap, i, closes = 0;
	__u64 eproto = 0;
	uint8_t cfg = data[0], ctl;
	enum sql_dir dir;

	memset(r, 0, sizeof(*r));
	r->hash = 1469598103934665603ull;
	r->lim.keep_param_values = cfg & 1;
	if (cfg & 2) {
		r->lim.max_text = 16;
		r->lim.max_pending = 2;
		r->lim.max_message = 32;
	} else if (cfg & 4) {
		r->lim.max_text = 300;
		r->lim.max_pending = 5;
		r->lim.max_message = 400;
	}
	pw = pgwire__new(&r->lim, &cb);
	if (!pw)
		return 0;
	if (!r->lim.max_text)
		r->lim.max_text = 16384;

	while (off + 2 <= size) {
		ctl = data[off];
		len = data[off + 1];
		off += 2;
		gap = 0;
		if (ctl & 2) {
			if (off >= size)
				break;
			gap = data[off] < 200 ? data[off] : (size_t)(data[off] - 199) * 4096;
			off++;
		}
		if (len > size - off)
			len = size - off;
		dir = (ctl & 1) ? SQL_DIR_TO_CLIENT : SQL_DIR_TO_SERVER;
		r->now++;
		if (!byte_split || len <= 1) {
			eproto += feed_copy(pw, dir, data + off, len, len + gap, r->now) < 0;
		} else {
			for (i = 0; i + 1 < len; i++)
				eproto += feed_copy(pw, dir, data + off + i, 1, 1, r->now) < 0;
			eproto += feed_copy(pw, dir, data + off + i, 1, 1 + gap, r->now) < 0;
		}
		off += len;
		pgwire__stats(pw, st);
		check(st->queries == r->reports);
		check(st->parse_errors >= eproto && st->parse_errors - eproto <= closes);
		if (ctl & 4) {
			pgwire__close(pw);
			closes++;
			pgwire__stats(pw, st);
			check(st->queries == r->reports);
		}
	}
	pgwire__close(pw);
	pgwire__stats(pw, st);
	check(st->queries == r->reports);
	check(st->resyncs <= st->parse_errors + st->gaps);
	s = pgwire__session(pw);
	check(s->dialect == SQL_DIALECT_POSTGRES && s->encrypted == (r->encrypted == 1));
	*session_hash = 0;
	{
		struct run h = {.hash = 1469598103934665603ull};

		mix_str(&h, s->user);
		mix_str(&h, s->database);
		mix_str(&h, s->application_name);
		mix_str(&h, s->server_version);
		mix(&h, &s->startup_seen, sizeof(s->startup_seen));
		mix(&h, &s->encrypted, sizeof(s->encrypted));
		*session_hash = h.hash;
	}
	pgwire__free(pw);
	return st->parse_errors;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sqlwire_stats sa, sb;
	struct run a, b;
	__u64 ha, hb;

	check(!pgwire__looks_like_startup(data, size < 8 ? size : 7));
	if (size < 1)
		return 0;
	if (replay(data, size, false, &a, &sa, &ha) != 0)
		return 0;
	/* no parse error: splitting every feed into bytes changes nothing */
	replay(data, size, true, &b, &sb, &hb);
	check(a.hash == b.hash && a.reports == b.reports && ha == hb);
	check(a.startups == b.startups && a.encrypted == b.encrypted);
	check(sa.messages == sb.messages && sa.queries == sb.queries && sb.parse_errors == 0);
	check(sa.gaps == sb.gaps && sa.resyncs == sb.resyncs && sa.dropped_pending == sb.dropped_pending);
	return 0;
}

/*
 * pgwire: PostgreSQL frontend/backend protocol v3 decoder for one connection.
 *
 * Framing. Each direction is a stream of messages: a type byte and a
 * big-endian int32 length counting itself but not the type byte; the
 * client's first message (StartupMessage, SSLRequest, GSSENCRequest,
 * CancelRequest) has no type byte, and the server answers SSLRequest and
 * GSSENCRequest with one bare byte. A message whose body is wholly inside
 * one feed is decoded in place; one that spans feeds is buffered, but only
 * the prefix the decoder needs (limits.max_message, and max_text + 1 for a
 * Query), so memory stays bounded and a large message costs no more than
 * skipping its bytes.
 *
 * Gaps. A feed with total > len lost its last total - len bytes. Inside a
 * message of known length the gap is skipped and the message is decoded
 * from the prefix it kept (a Query is reported truncated with its true
 * length). A gap that runs past the message end, or starts where a header
 * should be, loses sync: the direction resumes at its next feed. Losing the
 * server direction reports every pending request (responses were lost);
 * losing the client direction keeps them (their responses will come).
 *
 * Matching responses. Requests that await an answer are queued in order:
 * Query (done at ReadyForQuery, with the last CommandComplete or the error),
 * Parse (done at ParseComplete or error), Execute (done at CommandComplete,
 * EmptyQueryResponse, PortalSuspended or error), plus silent markers for
 * Sync and FunctionCall, which the server answers with ReadyForQuery. Bind,
 * Describe and Close are not queued: an error they cause lands on the next
 * queued request (a Bind error thus fails its Execute, which is what the
 * application saw) or starts the skip when nothing is queued before Sync.
 * After an error in the extended protocol the server ignores everything up
 * to Sync; those requests are reported UNKNOWN at the ReadyForQuery.
 * Responses that arrive while nothing is pending are ignored (the decoder
 * joined mid-stream or lost the requests in a gap).
 *
 * Decisions on the ambiguous cases:
 * - Pending overflow: the oldest request still waiting is reported UNKNOWN
 *   and counted in dropped_pending, but its place in the queue is kept as a
 *   "ghost" with no payload, so its responses are still consumed and do not
 *   shift onto later requests. The queue of markers is bounded too
 *   (4 * max_pending + 16); past that the oldest marker is dropped outright.
 * - Statement texts are kept per connection for the unnamed statement and up
 *   to STMT_SLOTS named ones (at most STMT_TEXT_BUDGET bytes of text, oldest
 *   evicted first); a Parse replaces a statement of the same name, Close
 *   forgets it. A Bind copies the statement's text into its portal (the
 *   unnamed one and up to PORTAL_SLOTS - 1 named ones), so a later Parse
 *   does not change what an already bound portal reports (JDBC fetches
 *   from a named portal while other statements run). Names of NAME_LEN
 *   bytes or more are not tracked.
 * - Query text stops at the first NUL, so text never holds an embedded NUL
 *   and strlen(text) == text_len <= max_text.
 * - A Parse whose end was not captured reports param_count -1, and its
 *   text_total counts the rest of the message (an upper bound: the declared
 *   parameter types it could not see are counted as text).
 * - A Bind whose values were only partly captured reports the exact count
 *   when it was seen, -2 as the length of each value it could not see, and
 *   param_count -1 when even the count was lost. With keep_param_values,
 *   the values of one Bind share max_text bytes (each NUL-terminated, the
 *   later ones cut short or "" once it is used up); NULL, binary and
 *   uncaptured values are "".
 * - The database defaults to the user name when the StartupMessage has
 *   none, as the server does. startup_seen is also set by SSLRequest,
 *   GSSENCRequest and CancelRequest (the protocol start was captured).
 *   A client whose first bytes are a TLS record (PG17 direct SSL) makes the
 *   session encrypted. application_name follows ParameterStatus.
 * - A Query whose CommandComplete arrived but whose ReadyForQuery did not
 *   (connection closed, server direction lost) is reported with the outcome
 *   it heard, not UNKNOWN.
 * - A message that is malformed inside (a string without its NUL, a length
 *   past the message end, negative counts) is a parse error like a bad
 *   header: counted, -EPROTO, resync at the next feed of that direction.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire.h"

#define DEFAULT_MAX_TEXT 16384
#define DEFAULT_MAX_PENDING 64
#define DEFAULT_MAX_MESSAGE 65536

#define MAX_MSG_LEN (1u << 30) /* the server rejects longer messages (PqRecvLength checks) */
#define MAX_STARTUP_LEN 10000  /* MAX_STARTUP_PACKET_LENGTH in the server */

#define CODE_CANCEL 80877102u
#define CODE_SSL 80877103u
#define CODE_GSSENC 80877104u
#define CODE_MAJOR_3 3u

#define TLS_HANDSHAKE 0x16 /* first byte of a TLS record carrying a ClientHello */

#define NAME_LEN 64 /* statement and portal names kept, with the NUL */
#define SESS_STR_LEN 128
#define TAG_LEN 64
#define ERRMSG_LEN 1024
#define STMT_SLOTS 64
#define STMT_TEXT_BUDGET (256 * 1024)
#define PORTAL_SLOTS 4

enum mark_kind {
	MK_QUERY,
	MK_PARSE,
	MK_EXECUTE,
	MK_SYNC,     /* silent: ends an extended-protocol batch */
	MK_FUNCTION, /* silent: FunctionCall, answered like a simple query */
};

/* One queued request; slot -1: no payload (marker) or already reported (ghost). */
struct mark {
	unsigned char kind;
	int slot;
};

/* The payload of a request to report. */
struct pending {
	char *text;
	size_t text_cap;
	size_t text_len;
	size_t text_total;
	char statement[NAME_LEN];
	char portal[NAME_LEN];
	int param_count;
	__u32 types[SQL_MAX_PARAMS];
	__s32 lengths[SQL_MAX_PARAMS];
	bool has_values;
	char *values;
	size_t values_cap;
	size_t value_off[SQL_MAX_PARAMS];
	__u64 ts_request;
};

/* What the server said so far about the request at the head of the queue. */
struct response {
	enum sql_outcome outcome; /* 0 until it heard something */
	char sqlstate[6];
	char message[ERRMSG_LEN];
	char tag[TAG_LEN];
	__u64 rows;
	__u64 datarows;
	__u64 ts;
};

struct stmt {
	__u64 gen; /* 0: free */
	__u32 hash;
	char name[NAME_LEN];
	char *text;
	size_t text_cap;
	size_t text_len;
	size_t text_total;
	int nparams;
	__u32 types[SQL_MAX_PARAMS];
};

struct portal {
	__u64 stamp; /* 0: free; else last use, for replacement */
	char name[NAME_LEN];
	char statement[NAME_LEN];
	bool stmt_known;
	char *text; /* the statement's text when bound: a later Parse does not change the portal */
	size_t text_cap;
	size_t text_len;
	size_t text_total;
	__u32 types[SQL_MAX_PARAMS];
	int param_count;
	__s32 lengths[SQL_MAX_PARAMS];
	bool has_values;
	char *values;
	size_t values_cap;
	size_t value_off[SQL_MAX_PARAMS];
};

struct stream {
	unsigned char hdr[5];
	unsigned char hdr_have;
	unsigned char hdr_need; /* 5, or 4 for the untyped startup packet */
	unsigned char type;	/* 0: startup packet */
	bool in_body;
	bool lost;	     /* resume at the next feed */
	bool expect_startup; /* client: a startup packet or TLS may come next */
	bool expect_answer;  /* server: the one-byte answer to SSL/GSSENC */
	size_t body_len;
	size_t body_seen; /* captured or skipped */
	size_t kept;	  /* prefix of the body in buf */
	size_t keep;	  /* how much of the body to keep */
	bool hole;	  /* some of the body was not captured */
	unsigned char *buf;
	size_t cap;
	__u64 ts; /* of the last feed */
};

struct pgwire {
	struct sqlwire_limits lim;
	struct sqlwire_callbacks cb;
	struct sql_session session;
	char user[SESS_STR_LEN];
	char database[SESS_STR_LEN];
	char application_name[SESS_STR_LEN];
	char server_version[SESS_STR_LEN];
	struct sqlwire_stats stats;
	struct stream st[2];
	bool skip; /* the server skips to Sync after an extended-protocol error */

	struct mark *ring;
	size_t ring_cap;
	size_t ring_head;
	size_t ring_count;
	struct pending **slots; /* max_pending, allocated on first use */
	size_t nslots;
	int *free_slots;
	size_t nfree;
	struct response resp;

	struct stmt unnamed;
	struct stmt *named; /* STMT_SLOTS, allocated on the first named Parse */
	size_t named_bytes;
	struct portal portals[PORTAL_SLOTS];
	__u64 gen;
};

/* A message handed to a handler: a prefix of its body (all of it when avail == len). */
struct msg {
	unsigned char type;
	const unsigned char *body;
	size_t avail;
	size_t len;
	__u64 ts;
};

struct reader {
	const unsigned char *p;
	size_t len;
	size_t off;
};

static const char empty[] = "";

static __u32 be32(const unsigned char *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static int be16s(const unsigned char *p)
{
	return (int16_t)(uint16_t)(p[0] << 8 | p[1]);
}

static bool whole(const struct msg *m)
{
	return m->avail == m->len;
}

static size_t rd_left(const struct reader *r)
{
	return r->len - r->off;
}

/* The C string at the cursor, or NULL when its NUL is not within the bytes we have. */
static const char *rd_cstr(struct reader *r, size_t *slen)
{
	const unsigned char *s = r->p + r->off, *nul;

	if (r->off >= r->len)
		return NULL;
	nul = memchr(s, 0, r->len - r->off);
	if (!nul)
		return NULL;
	*slen = (size_t)(nul - s);
	r->off += *slen + 1;
	return (const char *)s;
}

static bool rd_i16(struct reader *r, int *v)
{
	if (rd_left(r) < 2)
		return false;
	*v = be16s(r->p + r->off);
	r->off += 2;
	return true;
}

static bool rd_i32(struct reader *r, __s32 *v)
{
	if (rd_left(r) < 4)
		return false;
	*v = (__s32)be32(r->p + r->off);
	r->off += 4;
	return true;
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Copy a string of len bytes into a fixed buffer of size n, cut to fit. */
static void copy_str(char *dst, size_t n, const char *src, size_t len)
{
	len = min_sz(len, n - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Copy len bytes into a growable buffer and NUL-terminate; returns the bytes kept (fewer on ENOMEM). */
static size_t store(char **buf, size_t *cap, const void *src, size_t len)
{
	size_t ncap;
	char *p;

	if (len + 1 > *cap) {
		ncap = *cap ? *cap : 64;
		while (ncap < len + 1)
			ncap *= 2;
		p = realloc(*buf, ncap);
		if (p) {
			*buf = p;
			*cap = ncap;
		}
		if (!*cap)
			return 0;
		len = min_sz(len, *cap - 1);
	}
	if (len)
		memcpy(*buf, src, len);
	(*buf)[len] = '\0';
	return len;
}

static __u32 hash_name(const char *s, size_t len)
{
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Rows from a CommandComplete tag: its last word when that is a number ("INSERT 0 1" -> 1). */
static __u64 tag_rows(const char *tag, size_t len)
{
	size_t i = len;
	__u64 rows = 0;

	while (i > 0 && tag[i - 1] >= '0' && tag[i - 1] <= '9')
		i--;
	if (i == len || (i > 0 && tag[i - 1] != ' '))
		return 0;
	for (; i < len; i++) {
		if (rows > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		rows = rows * 10 + (__u64)(tag[i] - '0');
	}
	return rows;
}

/* ---- reporting and the queue of pending requests ---- */

static struct mark *ring_at(struct pgwire *pw, size_t i)
{
	return &pw->ring[(pw->ring_head + i) % pw->ring_cap];
}

static struct mark *head(struct pgwire *pw)
{
	return pw->ring_count ? ring_at(pw, 0) : NULL;
}

static void resp_reset(struct response *r)
{
	r->outcome = 0;
	r->sqlstate[0] = '\0';
	r->message[0] = '\0';
	r->tag[0] = '\0';
	r->rows = 0;
	r->datarows = 0;
	r->ts = 0;
}

static void report(struct pgwire *pw, const struct mark *mk, const struct response *r)
{
	const struct pending *e = pw->slots[mk->slot];
	const char *vals[SQL_MAX_PARAMS];
	struct sql_query q;
	int i, n;

	memset(&q, 0, sizeof(q));
	q.kind = mk->kind == MK_QUERY ? SQL_MSG_QUERY : mk->kind == MK_PARSE ? SQL_MSG_PARSE : SQL_MSG_EXECUTE;
	q.text = e->text ? e->text : empty;
	q.text_len = e->text ? e->text_len : 0;
	q.text_total = e->text_total < q.text_len ? q.text_len : e->text_total;
	q.truncated = q.text_len < q.text_total;
	q.statement = e->statement;
	q.portal = e->portal;
	q.param_count = e->param_count;
	memcpy(q.param_types, e->types, sizeof(q.param_types));
	memcpy(q.param_lengths, e->lengths, sizeof(q.param_lengths));
	if (e->has_values) {
		n = e->param_count < SQL_MAX_PARAMS ? e->param_count : SQL_MAX_PARAMS;
		for (i = 0; i < n; i++)
			vals[i] = e->values ? e->values + e->value_off[i] : empty;
		q.param_values = vals;
	}
	q.error_message = empty;
	q.command_tag = empty;
	q.ts_request = e->ts_request;
	if (r && r->outcome) {
		q.outcome = r->outcome;
		memcpy(q.sqlstate, r->sqlstate, sizeof(q.sqlstate));
		q.error_message = r->message;
		q.command_tag = r->tag;
		q.rows = r->rows;
		q.ts_response = r->ts;
	} else {
		q.outcome = SQL_OUTCOME_UNKNOWN;
	}
	pw->stats.queries++;
	if (pw->cb.on_query)
		pw->cb.on_query(pw->cb.ctx, &q, &pw->session);
}

static void release_slot(struct pgwire *pw, struct mark *mk)
{
	pw->free_slots[pw->nfree++] = mk->slot;
	mk->slot = -1;
}

/* Remove the head; report it (with what the server said when use_resp) unless it is a marker or ghost. */
static void pop_head(struct pgwire *pw, bool use_resp)
{
	struct mark *mk = ring_at(pw, 0);

	if (mk->slot >= 0) {
		report(pw, mk, use_resp ? &pw->resp : NULL);
		release_slot(pw, mk);
	}
	pw->ring_head = (pw->ring_head + 1) % pw->ring_cap;
	pw->ring_count--;
	resp_reset(&pw->resp);
}

/* Report everything pending (the head with what it heard) and empty the queue. */
static void flush_pending(struct pgwire *pw)
{
	bool first = true;

	while (pw->ring_count) {
		pop_head(pw, first);
		first = false;
	}
	pw->skip = false;
}

/* A free payload slot; when all are taken, the oldest waiting request is reported UNKNOWN and ghosted. */
static int alloc_slot(struct pgwire *pw)
{
	struct mark *mk;
	size_t i;

	if (pw->nfree)
		return pw->free_slots[--pw->nfree];
	if (pw->nslots < pw->lim.max_pending) {
		pw->slots[pw->nslots] = calloc(1, sizeof(struct pending));
		if (!pw->slots[pw->nslots])
			return -1;
		return (int)pw->nslots++;
	}
	for (i = 0; i < pw->ring_count; i++) {
		mk = ring_at(pw, i);
		if (mk->slot < 0)
			continue;
		report(pw, mk, NULL);
		release_slot(pw, mk);
		pw->stats.dropped_pending++;
		return pw->free_slots[--pw->nfree];
	}
	return -1;
}

/* Queue a request; its payload to fill, or NULL for markers (and when memory ran out: a ghost). */
static struct pending *push(struct pgwire *pw, enum mark_kind kind, bool payload)
{
	struct mark *mk;
	struct pending *e;
	int slot = -1;

	if (pw->ring_count == pw->ring_cap) {
		if (ring_at(pw, 0)->slot >= 0)
			pw->stats.dropped_pending++;
		pop_head(pw, false);
	}
	if (payload)
		slot = alloc_slot(pw);
	mk = ring_at(pw, pw->ring_count++);
	mk->kind = (unsigned char)kind;
	mk->slot = slot;
	if (slot < 0)
		return NULL;
	e = pw->slots[slot];
	e->text_len = 0;
	e->text_total = 0;
	if (e->text)
		e->text[0] = '\0';
	e->statement[0] = '\0';
	e->portal[0] = '\0';
	e->param_count = -1;
	memset(e->types, 0, sizeof(e->types));
	memset(e->lengths, 0, sizeof(e->lengths));
	e->has_values = false;
	return e;
}

static void set_text(struct pgwire *pw, struct pending *e, const char *text, size_t len, size_t total)
{
	len = min_sz(len, pw->lim.max_text);
	e->text_len = store(&e->text, &e->text_cap, text, len);
	e->text_total = total;
}

/* ---- statements and portals ---- */

static struct stmt *stmt_at(struct pgwire *pw, int idx)
{
	if (idx == 0)
		return &pw->unnamed;
	if (idx > 0 && idx <= STMT_SLOTS && pw->named)
		return &pw->named[idx - 1];
	return NULL;
}

static int stmt_find(struct pgwire *pw, const char *name, size_t len)
{
	__u32 h;
	int i;

	if (len == 0)
		return pw->unnamed.gen ? 0 : -1;
	if (len >= NAME_LEN || !pw->named)
		return -1;
	h = hash_name(name, len);
	for (i = 0; i < STMT_SLOTS; i++) {
		struct stmt *st = &pw->named[i];

		if (st->gen && st->hash == h && strlen(st->name) == len && !memcmp(st->name, name, len))
			return i + 1;
	}
	return -1;
}

static void stmt_evict(struct pgwire *pw, struct stmt *st)
{
	pw->named_bytes -= st->text_cap;
	free(st->text);
	st->text = NULL;
	st->text_cap = 0;
	st->gen = 0;
}

/* Forget a named statement (Close); the unnamed one just becomes unknown. */
static void stmt_remove(struct pgwire *pw, const char *name, size_t len)
{
	int idx = stmt_find(pw, name, len);

	if (idx == 0)
		pw->unnamed.gen = 0;
	else if (idx > 0)
		stmt_evict(pw, &pw->named[idx - 1]);
}

/* Make room for a named statement's text within the budget, evicting the oldest others. */
static void stmt_budget(struct pgwire *pw, struct stmt *keep, size_t need)
{
	size_t budget = STMT_TEXT_BUDGET > pw->lim.max_text + 1 ? STMT_TEXT_BUDGET : pw->lim.max_text + 1;
	struct stmt *old;
	int i;

	while (pw->named_bytes - keep->text_cap + need > budget) {
		old = NULL;
		for (i = 0; i < STMT_SLOTS; i++) {
			struct stmt *st = &pw->named[i];

			if (st != keep && st->gen && st->text_cap && (!old || st->gen < old->gen))
				old = st;
		}
		if (!old)
			return;
		stmt_evict(pw, old);
	}
}

/* A named statement's text, allocated to size: the budget counts what is allocated. */
static void stmt_set_text(struct pgwire *pw, struct stmt *st, const char *text, size_t len)
{
	char *p;

	if (len + 1 > st->text_cap) {
		stmt_budget(pw, st, len + 1);
		p = realloc(st->text, len + 1);
		if (p) {
			pw->named_bytes += len + 1 - st->text_cap;
			st->text = p;
			st->text_cap = len + 1;
		}
	}
	st->text_len = 0;
	if (!st->text_cap)
		return;
	len = min_sz(len, st->text_cap - 1);
	memcpy(st->text, text, len);
	st->text[len] = '\0';
	st->text_len = len;
}

/* Record a Parse: the slot of its statement (replacing one of the same name), or -1 when not tracked. */
static int stmt_store(struct pgwire *pw, const char *name, size_t len, const char *text, size_t text_len,
		      size_t text_total, int nparams, const __u32 *types)
{
	struct stmt *st = NULL;
	int idx, i;

	idx = len ? stmt_find(pw, name, len) : 0;
	if (idx < 0) {
		if (len >= NAME_LEN)
			return -1;
		if (!pw->named) {
			pw->named = calloc(STMT_SLOTS, sizeof(*pw->named));
			if (!pw->named)
				return -1;
		}
		for (i = 0; i < STMT_SLOTS; i++) {
			if (!pw->named[i].gen) {
				st = &pw->named[i];
				break;
			}
			if (!st || pw->named[i].gen < st->gen)
				st = &pw->named[i];
		}
		if (st->gen)
			stmt_evict(pw, st);
		idx = (int)(st - pw->named) + 1;
		copy_str(st->name, sizeof(st->name), name, len);
		st->hash = hash_name(name, len);
	}
	st = stmt_at(pw, idx);
	text_len = min_sz(text_len, pw->lim.max_text);
	if (idx == 0)
		/* replaced by nearly every query of some drivers: grow, never shrink */
		st->text_len = store(&st->text, &st->text_cap, text, text_len);
	else
		stmt_set_text(pw, st, text, text_len);
	st->text_total = text_total;
	st->nparams = nparams;
	memcpy(st->types, types, sizeof(st->types));
	st->gen = ++pw->gen;
	return idx;
}

static struct portal *portal_find(struct pgwire *pw, const char *name, size_t len)
{
	int i;

	if (len >= NAME_LEN)
		return NULL;
	for (i = 0; i < PORTAL_SLOTS; i++) {
		struct portal *pt = &pw->portals[i];

		if (pt->stamp && strlen(pt->name) == len && !memcmp(pt->name, name, len))
			return pt;
	}
	return NULL;
}

/* The portal a Bind (re)defines: the same name, else a free slot, else the least recently used. */
static struct portal *portal_take(struct pgwire *pw, const char *name, size_t len)
{
	struct portal *pt;
	int i;

	if (len >= NAME_LEN)
		return NULL;
	pt = portal_find(pw, name, len);
	if (!pt) {
		/* free slots have stamp 0, so they come first */
		pt = &pw->portals[0];
		for (i = 1; i < PORTAL_SLOTS; i++) {
			if (pw->portals[i].stamp < pt->stamp)
				pt = &pw->portals[i];
		}
	}
	copy_str(pt->name, sizeof(pt->name), name, len);
	pt->stamp = ++pw->gen;
	return pt;
}

/* ---- client messages ---- */

static void set_session_str(char *dst, const char *src, size_t len)
{
	copy_str(dst, SESS_STR_LEN, src, len);
}

static void set_encrypted(struct pgwire *pw)
{
	if (pw->session.encrypted)
		return;
	pw->session.encrypted = true;
	if (pw->cb.on_session)
		pw->cb.on_session(pw->cb.ctx, SQL_SESSION_ENCRYPTED, &pw->session);
}

static int on_startup(struct pgwire *pw, const struct msg *m)
{
	struct reader r = {m->body, m->avail, 4};
	const char *key, *val;
	size_t klen, vlen;
	__u32 code;

	if (m->avail < 4)
		return 0;
	code = be32(m->body);
	if (code == CODE_SSL || code == CODE_GSSENC) {
		if (m->len != 4)
			return -EPROTO;
		pw->session.startup_seen = true;
		pw->st[SQL_DIR_TO_SERVER].expect_startup = true;
		pw->st[SQL_DIR_TO_CLIENT].expect_answer = true;
		return 0;
	}
	if (code == CODE_CANCEL) {
		/* 12 bytes of body; protocol 3.2 allows longer secret keys */
		if (m->len < 12)
			return -EPROTO;
		pw->session.startup_seen = true;
		return 0;
	}
	if (code >> 16 != CODE_MAJOR_3)
		return -EPROTO;
	for (;;) {
		key = rd_cstr(&r, &klen);
		if (!key) {
			if (whole(m))
				return -EPROTO;
			break;
		}
		if (klen == 0)
			break;
		val = rd_cstr(&r, &vlen);
		if (!val) {
			if (whole(m))
				return -EPROTO;
			break;
		}
		if (klen == 4 && !memcmp(key, "user", 4))
			set_session_str(pw->user, val, vlen);
		else if (klen == 8 && !memcmp(key, "database", 8))
			set_session_str(pw->database, val, vlen);
		else if (klen == 16 && !memcmp(key, "application_name", 16))
			set_session_str(pw->application_name, val, vlen);
	}
	if (!pw->database[0])
		set_session_str(pw->database, pw->user, strlen(pw->user));
	pw->session.startup_seen = true;
	if (pw->cb.on_session)
		pw->cb.on_session(pw->cb.ctx, SQL_SESSION_STARTUP, &pw->session);
	return 0;
}

static int on_query(struct pgwire *pw, const struct msg *m)
{
	const unsigned char *nul = m->avail ? memchr(m->body, 0, m->avail) : NULL;
	struct pending *e;
	size_t n, total;

	if (nul) {
		n = (size_t)(nul - m->body);
		total = n;
	} else if (whole(m)) {
		return -EPROTO;
	} else {
		n = m->avail;
		total = m->len - 1;
	}
	e = push(pw, MK_QUERY, true);
	if (!e)
		return 0;
	set_text(pw, e, (const char *)m->body, n, total);
	e->ts_request = m->ts;
	return 0;
}

static int on_parse(struct pgwire *pw, const struct msg *m)
{
	struct reader r = {m->body, m->avail, 0};
	__u32 types[SQL_MAX_PARAMS] = {0};
	const char *name, *text = empty;
	size_t name_len = 0, text_len = 0, text_total = 0;
	int nparams = -1, n, i;
	struct pending *e;
	__s32 oid;

	name = rd_cstr(&r, &name_len);
	if (!name && whole(m))
		return -EPROTO;
	if (name) {
		text = rd_cstr(&r, &text_len);
		if (text) {
			text_total = text_len;
			if (rd_i16(&r, &n)) {
				if (n < 0)
					return -EPROTO;
				for (i = 0; i < n; i++) {
					if (!rd_i32(&r, &oid))
						break;
					if (i < SQL_MAX_PARAMS)
						types[i] = (__u32)oid;
				}
				if (i < n && whole(m))
					return -EPROTO;
				nparams = n;
			} else if (whole(m)) {
				return -EPROTO;
			}
		} else if (whole(m)) {
			return -EPROTO;
		} else {
			/* the text runs past what we have; its NUL and the int16 count follow it */
			text = (const char *)m->body + r.off;
			text_len = rd_left(&r);
			text_total = m->len - r.off >= 3 ? m->len - r.off - 3 : text_len;
			if (text_total < text_len)
				text_total = text_len;
		}
		stmt_store(pw, name, name_len, text, text_len, text_total, nparams, types);
	}
	e = push(pw, MK_PARSE, true);
	if (!e)
		return 0;
	if (name)
		copy_str(e->statement, sizeof(e->statement), name, name_len);
	set_text(pw, e, text, text_len, text_total);
	e->param_count = nparams;
	memcpy(e->types, types, sizeof(types));
	e->ts_request = m->ts;
	return 0;
}

static int on_bind(struct pgwire *pw, const struct msg *m)
{
	struct reader r = {m->body, m->avail, 0};
	const unsigned char *fmts = NULL, *vptr[SQL_MAX_PARAMS];
	__s32 lengths[SQL_MAX_PARAMS], vlen;
	const char *pname, *sname = NULL;
	size_t plen, slen = 0, budget, off, n;
	int nf = 0, np = -1, nr, i, fmt, seen = 0;
	struct portal *pt;

	pname = rd_cstr(&r, &plen);
	if (!pname) {
		if (whole(m))
			return -EPROTO;
		/* some portal was rebound but we cannot tell which: forget them all */
		for (i = 0; i < PORTAL_SLOTS; i++)
			pw->portals[i].stamp = 0;
		return 0;
	}
	for (i = 0; i < SQL_MAX_PARAMS; i++)
		lengths[i] = -2;
	sname = rd_cstr(&r, &slen);
	if (!sname)
		goto partial;
	if (!rd_i16(&r, &nf))
		goto partial;
	if (nf < 0)
		return -EPROTO;
	if (rd_left(&r) < (size_t)nf * 2)
		goto partial;
	fmts = r.p + r.off;
	r.off += (size_t)nf * 2;
	if (!rd_i16(&r, &np))
		goto partial;
	if (np < 0)
		return -EPROTO;
	for (seen = 0; seen < np; seen++) {
		if (!rd_i32(&r, &vlen))
			goto partial;
		if (vlen < -1)
			return -EPROTO;
		if (seen < SQL_MAX_PARAMS) {
			lengths[seen] = vlen;
			vptr[seen] = NULL;
		}
		if (vlen <= 0)
			continue;
		if (rd_left(&r) < (size_t)vlen) {
			seen++;
			goto partial;
		}
		if (seen < SQL_MAX_PARAMS)
			vptr[seen] = r.p + r.off;
		r.off += (size_t)vlen;
	}
	if (!rd_i16(&r, &nr))
		goto partial;
	if (nr < 0 || rd_left(&r) < (size_t)nr * 2)
		return -EPROTO;
	goto commit;
partial:
	if (whole(m))
		return -EPROTO;
commit:
	pt = portal_take(pw, pname, plen);
	if (!pt)
		return 0;
	pt->statement[0] = '\0';
	pt->stmt_known = false;
	if (sname) {
		const struct stmt *st = stmt_at(pw, stmt_find(pw, sname, slen));

		copy_str(pt->statement, sizeof(pt->statement), sname, slen);
		if (st) {
			pt->text_len =
			    store(&pt->text, &pt->text_cap, st->text ? st->text : empty, st->text ? st->text_len : 0);
			pt->text_total = st->text_total;
			memcpy(pt->types, st->types, sizeof(pt->types));
			pt->stmt_known = true;
		}
	}
	pt->param_count = np;
	memcpy(pt->lengths, lengths, sizeof(lengths));
	pt->has_values = false;
	if (!pw->lim.keep_param_values || np < 0)
		return 0;
	/* values share max_text bytes; one slot per value, "" when unknown, NULL, binary or out of room */
	n = (size_t)(np < SQL_MAX_PARAMS ? np : SQL_MAX_PARAMS);
	budget = pw->lim.max_text + n;
	if (budget + 1 > pt->values_cap) {
		char *p = realloc(pt->values, budget + 1);

		if (!p)
			return 0;
		pt->values = p;
		pt->values_cap = budget + 1;
	}
	off = 0;
	for (i = 0; i < (int)n; i++) {
		size_t room = budget - off - (n - (size_t)i), len = 0;

		fmt = nf == 0 ? 0 : nf == 1 ? be16s(fmts) : i < nf ? be16s(fmts + 2 * i) : 0;
		if (i < seen && lengths[i] > 0 && vptr[i] && fmt == 0) {
			const unsigned char *nul = memchr(vptr[i], 0, (size_t)lengths[i]);

			len = nul ? (size_t)(nul - vptr[i]) : (size_t)lengths[i];
			len = min_sz(len, room);
			memcpy(pt->values + off, vptr[i], len);
		}
		pt->value_off[i] = off;
		pt->values[off + len] = '\0';
		off += len + 1;
	}
	pt->has_values = true;
	return 0;
}

static int on_execute(struct pgwire *pw, const struct msg *m)
{
	struct reader r = {m->body, m->avail, 0};
	const struct portal *pt = NULL;
	const char *pname;
	struct pending *e;
	size_t plen, i, n;

	pname = rd_cstr(&r, &plen);
	if (whole(m) && (!pname || rd_left(&r) < 4))
		return -EPROTO;
	e = push(pw, MK_EXECUTE, true);
	if (!e)
		return 0;
	e->ts_request = m->ts;
	if (!pname)
		return 0;
	copy_str(e->portal, sizeof(e->portal), pname, plen);
	pt = portal_find(pw, pname, plen);
	if (!pt)
		return 0;
	memcpy(e->statement, pt->statement, sizeof(e->statement));
	e->param_count = pt->param_count;
	memcpy(e->lengths, pt->lengths, sizeof(e->lengths));
	if (pt->stmt_known) {
		set_text(pw, e, pt->text ? pt->text : empty, pt->text ? pt->text_len : 0, pt->text_total);
		memcpy(e->types, pt->types, sizeof(e->types));
	}
	if (pt->has_values) {
		n = (size_t)(pt->param_count < SQL_MAX_PARAMS ? pt->param_count : SQL_MAX_PARAMS);
		/* the last value's NUL ends the used part of the buffer */
		i = n ? pt->value_off[n - 1] + strlen(pt->values + pt->value_off[n - 1]) + 1 : 0;
		if (i && store(&e->values, &e->values_cap, pt->values, i - 1) != i - 1)
			return 0;
		memcpy(e->value_off, pt->value_off, sizeof(e->value_off));
		e->has_values = true;
	}
	return 0;
}

/* Close and Describe: 'S' or 'P' and a name. */
static int on_close(struct pgwire *pw, const struct msg *m)
{
	struct reader r = {m->body, m->avail, 1};
	const char *name;
	size_t len;
	struct portal *pt;

	if (m->avail < 1)
		return whole(m) ? -EPROTO : 0;
	name = rd_cstr(&r, &len);
	if (!name)
		return whole(m) ? -EPROTO : 0;
	if (m->type != 'C')
		return 0;
	if (m->body[0] == 'S') {
		stmt_remove(pw, name, len);
	} else if (m->body[0] == 'P') {
		pt = portal_find(pw, name, len);
		if (pt)
			pt->stamp = 0;
	}
	return 0;
}

static int client_msg(struct pgwire *pw, const struct msg *m)
{
	switch (m->type) {
	case 0:
		return on_startup(pw, m);
	case 'Q':
		return on_query(pw, m);
	case 'P':
		return on_parse(pw, m);
	case 'B':
		return on_bind(pw, m);
	case 'E':
		return on_execute(pw, m);
	case 'C':
	case 'D':
		return on_close(pw, m);
	case 'S':
		push(pw, MK_SYNC, false);
		return 0;
	case 'F':
		push(pw, MK_FUNCTION, false);
		return 0;
	default:
		return 0;
	}
}

/* ---- server messages ---- */

static int on_error(struct pgwire *pw, const struct msg *m)
{
	struct reader r = {m->body, m->avail, 0};
	const char *s, *state = empty, *text = empty;
	size_t len, state_len = 0, text_len = 0;
	struct mark *mk;
	unsigned char field;

	for (;;) {
		if (!rd_left(&r)) {
			if (whole(m))
				return -EPROTO;
			break;
		}
		field = r.p[r.off++];
		if (!field)
			break;
		s = rd_cstr(&r, &len);
		if (!s) {
			if (whole(m))
				return -EPROTO;
			break;
		}
		if (field == 'C') {
			state = s;
			state_len = len;
		} else if (field == 'M') {
			text = s;
			text_len = len;
		}
	}
	mk = head(pw);
	if (!mk || pw->skip)
		return 0;
	if (mk->kind == MK_FUNCTION)
		return 0;
	if (mk->kind == MK_SYNC) {
		pw->skip = true;
		return 0;
	}
	pw->resp.outcome = SQL_OUTCOME_ERROR;
	copy_str(pw->resp.sqlstate, sizeof(pw->resp.sqlstate), state, state_len);
	copy_str(pw->resp.message, sizeof(pw->resp.message), text, text_len);
	pw->resp.tag[0] = '\0';
	pw->resp.rows = 0;
	pw->resp.ts = m->ts;
	if (mk->kind != MK_QUERY) {
		pop_head(pw, true);
		pw->skip = true;
	}
	return 0;
}

/* CommandComplete, EmptyQueryResponse, PortalSuspended. */
static int on_complete(struct pgwire *pw, const struct msg *m)
{
	const unsigned char *nul = m->avail ? memchr(m->body, 0, m->avail) : NULL;
	size_t len = nul ? (size_t)(nul - m->body) : m->avail;
	struct mark *mk;

	if (m->type == 'C' && !nul && whole(m))
		return -EPROTO;
	mk = head(pw);
	if (!mk || pw->skip || (mk->kind != MK_QUERY && mk->kind != MK_EXECUTE))
		return 0;
	if (pw->resp.outcome == SQL_OUTCOME_ERROR)
		return 0;
	pw->resp.outcome = SQL_OUTCOME_OK;
	pw->resp.ts = m->ts;
	if (m->type == 'C') {
		copy_str(pw->resp.tag, sizeof(pw->resp.tag), (const char *)m->body, len);
		pw->resp.rows = tag_rows((const char *)m->body, len);
	} else {
		pw->resp.tag[0] = '\0';
		pw->resp.rows = m->type == 's' ? pw->resp.datarows : 0;
	}
	if (mk->kind == MK_EXECUTE)
		pop_head(pw, true);
	return 0;
}

/* ReadyForQuery: the server is done with everything up to a Query, Sync or FunctionCall. */
static void on_ready(struct pgwire *pw)
{
	size_t i, n = pw->ring_count;
	struct mark *mk;

	for (i = 0; i < n; i++) {
		mk = ring_at(pw, i);
		if (mk->kind == MK_SYNC || (!pw->skip && (mk->kind == MK_QUERY || mk->kind == MK_FUNCTION)))
			break;
	}
	if (i == n) {
		/* its Sync was not seen: after an error, what we queued was skipped; else it is not ours */
		if (pw->skip)
			flush_pending(pw);
		pw->skip = false;
		return;
	}
	while (i--)
		pop_head(pw, false);
	pop_head(pw, true);
	pw->skip = false;
}

static int on_parameter_status(struct pgwire *pw, const struct msg *m)
{
	struct reader r = {m->body, m->avail, 0};
	const char *name, *val;
	size_t nlen, vlen;

	name = rd_cstr(&r, &nlen);
	val = name ? rd_cstr(&r, &vlen) : NULL;
	if (!val)
		return whole(m) ? -EPROTO : 0;
	if (nlen == 14 && !memcmp(name, "server_version", 14))
		set_session_str(pw->server_version, val, vlen);
	else if (nlen == 16 && !memcmp(name, "application_name", 16))
		set_session_str(pw->application_name, val, vlen);
	return 0;
}

static int server_msg(struct pgwire *pw, const struct msg *m)
{
	struct mark *mk;

	switch (m->type) {
	case 'E':
		return on_error(pw, m);
	case 'C':
	case 'I':
	case 's':
		return on_complete(pw, m);
	case 'Z':
		on_ready(pw);
		return 0;
	case '1':
		mk = head(pw);
		if (mk && !pw->skip && mk->kind == MK_PARSE) {
			pw->resp.outcome = SQL_OUTCOME_OK;
			pw->resp.ts = m->ts;
			pop_head(pw, true);
		}
		return 0;
	case 'D':
		mk = head(pw);
		if (mk && (mk->kind == MK_QUERY || mk->kind == MK_EXECUTE))
			pw->resp.datarows++;
		return 0;
	case 'S':
		return on_parameter_status(pw, m);
	default:
		return 0;
	}
}

/* ---- framing ---- */

static bool type_ok(enum sql_dir dir, unsigned char t, __u32 len)
{
	if (dir == SQL_DIR_TO_SERVER) {
		switch (t) {
		case 'S': /* Sync */
		case 'H': /* Flush */
		case 'X': /* Terminate */
		case 'c': /* CopyDone */
			return len == 4;
		case 'Q':
		case 'P':
		case 'B':
		case 'E':
		case 'C':
		case 'D':
		case 'F':
		case 'd':
		case 'f':
		case 'p':
			return true;
		}
		return false;
	}
	switch (t) {
	case 'Z':
		return len == 5;
	case '1':
	case '2':
	case '3':
	case 'n':
	case 'I':
	case 's':
	case 'c':
		return len == 4;
	case 't':
	case 'R':
	case 'K':
	case 'S':
	case 'E':
	case 'N':
	case 'C':
	case 'T':
	case 'D':
	case 'G':
	case 'H':
	case 'W':
	case 'd':
	case 'A':
	case 'V':
	case 'v':
		return true;
	}
	return false;
}

/* How much of a body to keep: what its handler reads, never more than max_message. */
static size_t keep_for(const struct pgwire *pw, enum sql_dir dir, unsigned char type, size_t body_len)
{
	size_t keep = min_sz(body_len, pw->lim.max_message);

	if (dir == SQL_DIR_TO_SERVER) {
		switch (type) {
		case 0:
			return body_len;
		case 'Q':
			return min_sz(keep, pw->lim.max_text + 1);
		case 'P':
		case 'B':
		case 'E':
		case 'C':
		case 'D':
			return keep;
		}
		return 0; /* data, passwords, copy: never kept */
	}
	switch (type) {
	case 'E':
	case 'C':
	case 'S':
	case 'Z':
		return keep;
	}
	return 0;
}

static void stream_reset(struct stream *s)
{
	s->hdr_have = 0;
	s->in_body = false;
	s->hole = false;
	s->body_len = 0;
	s->body_seen = 0;
	s->kept = 0;
	s->keep = 0;
}

static int dispatch(struct pgwire *pw, enum sql_dir dir, const unsigned char *body, size_t avail, __u64 ts)
{
	struct stream *s = &pw->st[dir];
	struct msg m = {s->type, body, avail, s->body_len, ts};

	pw->stats.messages++;
	if (dir == SQL_DIR_TO_SERVER)
		return client_msg(pw, &m);
	return server_msg(pw, &m);
}

/* Sync is lost in one direction until its next feed. */
static void lose(struct pgwire *pw, enum sql_dir dir)
{
	struct stream *s = &pw->st[dir];

	stream_reset(s);
	s->lost = true;
	s->expect_startup = false;
	s->expect_answer = false;
	if (dir == SQL_DIR_TO_CLIENT)
		flush_pending(pw);
}

/*
 * First byte of a message: decides between a startup packet, a TLS record,
 * the answer to SSLRequest and a typed message. 1: that byte was the whole
 * message; 0: a header starts (or the session became encrypted).
 */
static int start_message(struct pgwire *pw, enum sql_dir dir, unsigned char c)
{
	struct stream *s = &pw->st[dir];

	s->hdr_need = 5;
	if (s->expect_startup) {
		s->expect_startup = false;
		pw->st[SQL_DIR_TO_CLIENT].expect_answer = false;
		if (c == 0) {
			s->hdr_need = 4;
		} else if (c == TLS_HANDSHAKE) {
			set_encrypted(pw);
		}
	} else if (s->expect_answer) {
		s->expect_answer = false;
		if (c == 'S' || c == 'G') {
			pw->stats.messages++;
			set_encrypted(pw);
		} else if (c == 'N') {
			pw->stats.messages++;
			return 1;
		}
	}
	return 0;
}

static int parse_header(struct pgwire *pw, enum sql_dir dir)
{
	struct stream *s = &pw->st[dir];
	__u32 len;

	if (s->hdr_need == 4) {
		len = be32(s->hdr);
		if (len < 8 || len > MAX_STARTUP_LEN)
			return -EPROTO;
		s->type = 0;
	} else {
		len = be32(s->hdr + 1);
		s->type = s->hdr[0];
		if (len < 4 || len > MAX_MSG_LEN || !type_ok(dir, s->type, len))
			return -EPROTO;
	}
	s->body_len = len - 4;
	s->body_seen = 0;
	s->kept = 0;
	s->hole = false;
	s->keep = keep_for(pw, dir, s->type, s->body_len);
	s->in_body = true;
	return 0;
}

/* Make room to buffer s->keep bytes; on failure keep less (the message then reads as truncated). */
static void reserve(struct stream *s)
{
	size_t cap;
	unsigned char *p;

	if (s->keep <= s->cap)
		return;
	cap = s->cap ? s->cap : 256;
	while (cap < s->keep)
		cap *= 2;
	p = realloc(s->buf, cap);
	if (!p) {
		s->keep = s->cap;
		return;
	}
	s->buf = p;
	s->cap = cap;
}

/* Decode captured bytes. */
static int consume(struct pgwire *pw, enum sql_dir dir, const unsigned char *p, size_t n, __u64 ts)
{
	struct stream *s = &pw->st[dir];
	size_t take, avail;
	int ret;

	while (n > 0 && !pw->session.encrypted) {
		if (!s->in_body) {
			if (s->hdr_have == 0) {
				if (start_message(pw, dir, *p) == 1) {
					p++;
					n--;
					continue;
				}
				if (pw->session.encrypted)
					break;
			}
			take = min_sz(n, (size_t)(s->hdr_need - s->hdr_have));
			memcpy(s->hdr + s->hdr_have, p, take);
			s->hdr_have += (unsigned char)take;
			p += take;
			n -= take;
			if (s->hdr_have < s->hdr_need)
				break;
			ret = parse_header(pw, dir);
			if (ret < 0)
				return ret;
			if (n >= s->body_len) {
				/* the whole body is here: decode it in place */
				avail = min_sz(s->body_len, s->keep);
				take = s->body_len;
				ret = dispatch(pw, dir, p, avail, ts);
				stream_reset(s);
				p += take;
				n -= take;
				if (ret < 0)
					return ret;
				continue;
			}
			reserve(s);
		}
		take = min_sz(n, s->body_len - s->body_seen);
		if (!s->hole && s->kept < s->keep) {
			avail = min_sz(take, s->keep - s->kept);
			memcpy(s->buf + s->kept, p, avail);
			s->kept += avail;
		}
		s->body_seen += take;
		p += take;
		n -= take;
		if (s->body_seen == s->body_len) {
			ret = dispatch(pw, dir, s->buf, s->kept, ts);
			stream_reset(s);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* The last gap bytes of the feed were not captured. */
static int skip_gap(struct pgwire *pw, enum sql_dir dir, size_t gap, __u64 ts)
{
	struct stream *s = &pw->st[dir];
	size_t rest;
	int ret = 0;

	if (!s->in_body) {
		lose(pw, dir);
		return 0;
	}
	rest = s->body_len - s->body_seen;
	s->hole = true;
	if (gap < rest) {
		s->body_seen += gap;
		return 0;
	}
	/* the message ends inside the gap: decode what we kept */
	s->body_seen = s->body_len;
	ret = dispatch(pw, dir, s->buf, s->kept, ts);
	stream_reset(s);
	if (gap > rest)
		lose(pw, dir);
	return ret;
}

/*
 * Decode one syscall's bytes; reports fire from inside the call. 0, also for
 * every feed once the session is encrypted; -EPROTO after a malformed
 * message (counted; the rest of this feed is dropped and the direction
 * resumes at its next feed); -EINVAL for a NULL decoder, an unknown
 * direction or NULL data with len > 0. total < len is read as total == len.
 */
int pgwire__feed(struct pgwire *pw, enum sql_dir dir, const void *data, size_t len, size_t total, __u64 ts)
{
	struct stream *s;
	int ret;

	if (!pw || (dir != SQL_DIR_TO_SERVER && dir != SQL_DIR_TO_CLIENT) || (!data && len))
		return -EINVAL;
	if (total < len)
		total = len;
	if (total > len)
		pw->stats.gaps++;
	if (pw->session.encrypted)
		return 0;
	s = &pw->st[dir];
	s->ts = ts;
	if (s->lost) {
		s->lost = false;
		pw->stats.resyncs++;
	}
	ret = consume(pw, dir, data, len, ts);
	if (ret == 0 && total > len && !pw->session.encrypted)
		ret = skip_gap(pw, dir, total - len, ts);
	if (ret < 0) {
		pw->stats.parse_errors++;
		lose(pw, dir);
		return -EPROTO;
	}
	return 0;
}

/*
 * Report every pending request, oldest first: UNKNOWN, or the outcome already
 * heard for a Query whose ReadyForQuery never came. A request the client was
 * still sending is reported too (truncated). The decoder stays usable.
 * Accepts NULL.
 */
void pgwire__close(struct pgwire *pw)
{
	struct stream *s;

	if (!pw)
		return;
	/* a request cut short by the close was still sent (in part): report it */
	s = &pw->st[SQL_DIR_TO_SERVER];
	if (s->in_body && !pw->session.encrypted) {
		if (dispatch(pw, SQL_DIR_TO_SERVER, s->buf, s->kept, s->ts) < 0)
			pw->stats.parse_errors++;
	}
	stream_reset(s);
	stream_reset(&pw->st[SQL_DIR_TO_CLIENT]);
	flush_pending(pw);
}

/* A decoder for one connection; lim and cb are copied (NULL: defaults, no callbacks). NULL and errno on failure. */
struct pgwire *pgwire__new(const struct sqlwire_limits *lim, const struct sqlwire_callbacks *cb)
{
	struct pgwire *pw;

	pw = calloc(1, sizeof(*pw));
	if (!pw)
		return NULL;
	if (lim)
		pw->lim = *lim;
	if (!pw->lim.max_text)
		pw->lim.max_text = DEFAULT_MAX_TEXT;
	if (!pw->lim.max_pending)
		pw->lim.max_pending = DEFAULT_MAX_PENDING;
	if (!pw->lim.max_message)
		pw->lim.max_message = DEFAULT_MAX_MESSAGE;
	if (cb)
		pw->cb = *cb;
	pw->ring_cap = pw->lim.max_pending * 4 + 16;
	pw->ring = calloc(pw->ring_cap, sizeof(*pw->ring));
	pw->slots = calloc(pw->lim.max_pending, sizeof(*pw->slots));
	pw->free_slots = calloc(pw->lim.max_pending, sizeof(*pw->free_slots));
	if (!pw->ring || !pw->slots || !pw->free_slots)
		goto cleanup;
	pw->session.dialect = SQL_DIALECT_POSTGRES;
	pw->session.user = pw->user;
	pw->session.database = pw->database;
	pw->session.application_name = pw->application_name;
	pw->session.server_version = pw->server_version;
	pw->st[SQL_DIR_TO_SERVER].expect_startup = true;
	return pw;

cleanup:
	pgwire__free(pw);
	errno = ENOMEM;
	return NULL;
}

/* Free the decoder without reporting what is pending. Accepts NULL. */
void pgwire__free(struct pgwire *pw)
{
	size_t i;

	if (!pw)
		return;
	for (i = 0; i < pw->nslots; i++) {
		free(pw->slots[i]->text);
		free(pw->slots[i]->values);
		free(pw->slots[i]);
	}
	if (pw->named) {
		for (i = 0; i < STMT_SLOTS; i++)
			free(pw->named[i].text);
		free(pw->named);
	}
	for (i = 0; i < PORTAL_SLOTS; i++) {
		free(pw->portals[i].text);
		free(pw->portals[i].values);
	}
	free(pw->unnamed.text);
	free(pw->st[0].buf);
	free(pw->st[1].buf);
	free(pw->free_slots);
	free(pw->slots);
	free(pw->ring);
	free(pw);
}

/* The session as known so far; valid until pgwire__free. */
const struct sql_session *pgwire__session(const struct pgwire *pw)
{
	return &pw->session;
}

/* Copy the counters. */
void pgwire__stats(const struct pgwire *pw, struct sqlwire_stats *out)
{
	*out = pw->stats;
}

/*
 * True when the first 8 bytes are the header of a StartupMessage 3.x,
 * SSLRequest, GSSENCRequest or CancelRequest with a length the server
 * accepts for it; false with fewer than 8 bytes (a TLS ClientHello is not
 * PostgreSQL-specific, so direct SSL is not recognised here).
 */
bool pgwire__looks_like_startup(const void *data, size_t len)
{
	const unsigned char *p = data;
	__u32 mlen, code;

	if (!p || len < 8)
		return false;
	mlen = be32(p);
	code = be32(p + 4);
	if (code == CODE_SSL || code == CODE_GSSENC)
		return mlen == 8;
	if (code == CODE_CANCEL)
		return mlen >= 16 && mlen <= 256 + 12;
	/* protocol 3.x: parameters follow, ended by a NUL, within the server's limit */
	return code >> 16 == CODE_MAJOR_3 && mlen >= 9 && mlen <= MAX_STARTUP_LEN;
}

/*
 * mysqlwire: MySQL / MariaDB client/server protocol decoder for one
 * connection (mysqlwire.h says what is decoded, sqlwire.h the contract).
 *
 * Three layers:
 * - A packet reader per direction turns feeds into messages (one packet, or
 *   several when payloads of 0xffffff bytes continue). A message lying whole
 *   in one feed is handed over in place; one spanning feeds is copied, up to
 *   a bounded prefix, into a per-direction buffer that grows once and is
 *   reused, so ordinary traffic allocates nothing per packet. A gap inside a
 *   packet of known length is skipped: the message is delivered with its
 *   true length and the captured prefix. A gap running past it loses sync.
 * - The connection phase: greeting, HandshakeResponse41 or SSLRequest,
 *   authentication exchange (auth switch / more data), then commands.
 * - Commands awaiting their response, oldest first, in a FIFO bounded by
 *   max_pending (one in practice; clients may pipeline), and the state of
 *   the response being read for the oldest (result set, prepare OK, ...).
 *
 * Decisions:
 * - Clients read server bytes in arbitrary chunks (a buffered read may end
 *   inside a packet). After losing sync in that direction in the middle of a
 *   result set, the decoder resumes at a later feed only if its packet
 *   headers chain (consecutive sequence ids); the sequence id then says how
 *   many packets were skipped when the skipped byte count makes that
 *   unambiguous, else rows is reported 0. Otherwise it waits for the
 *   client's next command: the previous response was necessarily read whole
 *   before it, so the next server byte starts a packet. The command whose
 *   response was lost is then reported UNKNOWN (as is one whose response was
 *   partly read when the next command arrived with nothing pipelined).
 * - Client bytes are written whole messages at a time: that direction
 *   resumes at the next feed.
 * - Multi-results (SERVER_MORE_RESULTS_EXISTS): one report at the last
 *   result; rows is the sum over the results of rows returned and affected.
 * - PARSE is reported at COM_STMT_PREPARE_OK (the definitions after it are
 *   skipped) or ERR; param_count is -1 when the prepare failed. EXECUTE:
 *   param_count from the prepare (or the count sent with query attributes, or
 *   inferred from the packet when the prepare was not seen but types were
 *   sent), -1 when unknown; param_types are the 2-byte type fields (0x8000
 *   set = unsigned), remembered from an earlier execution when not re-sent;
 *   param_lengths are value byte lengths, -1 for NULL.
 * - Prepared statements are remembered (id -> text, parameter count, types)
 *   for at most STMT_MAX statements and STMT_TEXT_MULT * max_text bytes of
 *   text, least recently used out first. MariaDB's statement id -1 means the
 *   last one prepared.
 * - The database follows COM_INIT_DB, COM_CHANGE_USER and the schema the
 *   server reports in OK packets' session-state information (USE ...).
 *   COM_CHANGE_USER that succeeds updates the user and raises
 *   SQL_SESSION_STARTUP again; connection attribute program_name is the
 *   application name.
 * - Not decoded: compressed connections (after authentication), the
 *   replication stream after COM_BINLOG_DUMP, pre-4.1 handshakes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysqlwire.h"

#define PKT_MAX 0xffffffu /* a payload this long continues in the next packet */

#define DEF_MAX_TEXT 16384
#define DEF_MAX_PENDING 64
#define DEF_MAX_MESSAGE 65536
/* Server messages we read fully are small (OK, ERR, EOF, counts); rows and
 * definitions only need their first bytes. */
#define SERVER_KEEP 4096
/* More columns than this in a result set is not a result set. */
#define MAX_COLUMNS 65535
/* Parameters of a COM_QUERY with query attributes parsed to find the text. */
#define MAX_ATTRS 256
/* Parameter counts tried when inferring one from a COM_STMT_EXECUTE. */
#define MAX_INFER_PARAMS 256
#define STMT_MAX 256
#define STMT_TEXT_MULT 16
#define NAME_LEN 256
#define VERSION_LEN 128
#define ERRMSG_LEN 512
#define PEND_MIN 2

/* Capability flags. */
#define CLIENT_MYSQL 0x1ULL /* CLIENT_LONG_PASSWORD; MariaDB servers clear it */
#define CLIENT_CONNECT_WITH_DB 0x8ULL
#define CLIENT_COMPRESS 0x20ULL
#define CLIENT_PROTOCOL_41 0x200ULL
#define CLIENT_SSL 0x800ULL
#define CLIENT_SECURE_CONNECTION 0x8000ULL
#define CLIENT_PLUGIN_AUTH 0x80000ULL
#define CLIENT_CONNECT_ATTRS 0x100000ULL
#define CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA 0x200000ULL
#define CLIENT_SESSION_TRACK 0x800000ULL
#define CLIENT_DEPRECATE_EOF 0x1000000ULL
#define CLIENT_ZSTD_COMPRESSION 0x4000000ULL
#define CLIENT_QUERY_ATTRIBUTES 0x8000000ULL

/* Server status flags. */
#define SERVER_MORE_RESULTS_EXISTS 0x0008
#define SERVER_STATUS_CURSOR_EXISTS 0x0040
#define SERVER_SESSION_STATE_CHANGED 0x4000
#define SESSION_TRACK_SCHEMA 1

/* COM_STMT_EXECUTE flags. */
#define PARAMETER_COUNT_AVAILABLE 0x08
/* COM_STMT_BULK_EXECUTE flags. */
#define BULK_SEND_TYPES 128

enum {
	COM_QUIT = 0x01,
	COM_INIT_DB = 0x02,
	COM_QUERY = 0x03,
	COM_FIELD_LIST = 0x04,
	COM_CREATE_DB = 0x05,
	COM_DROP_DB = 0x06,
	COM_REFRESH = 0x07,
	COM_SHUTDOWN = 0x08,
	COM_STATISTICS = 0x09,
	COM_PROCESS_INFO = 0x0a,
	COM_PROCESS_KILL = 0x0c,
	COM_DEBUG = 0x0d,
	COM_PING = 0x0e,
	COM_CHANGE_USER = 0x11,
	COM_BINLOG_DUMP = 0x12,
	COM_TABLE_DUMP = 0x13,
	COM_REGISTER_SLAVE = 0x15,
	COM_STMT_PREPARE = 0x16,
	COM_STMT_EXECUTE = 0x17,
	COM_STMT_SEND_LONG_DATA = 0x18,
	COM_STMT_CLOSE = 0x19,
	COM_STMT_RESET = 0x1a,
	COM_SET_OPTION = 0x1b,
	COM_STMT_FETCH = 0x1c,
	COM_BINLOG_DUMP_GTID = 0x1e,
	COM_RESET_CONNECTION = 0x1f,
	COM_STMT_BULK_EXECUTE = 0xfa,
};

/* Handler results besides 0 and -EPROTO: sync is lost, nothing malformed. */
#define LOSE 1
#define SKIPPED_UNKNOWN UINT64_MAX

enum phase {
	PH_START = 0, /* nothing seen yet */
	PH_GREETED,   /* greeting seen, handshake response expected */
	PH_AUTH,      /* handshake response seen, authentication under way */
	PH_COMMAND,   /* command phase, or joined mid-stream */
	PH_OPAQUE,    /* encrypted, compressed or replication: not decoded */
};

enum eof_mode { EOF_UNKNOWN = 0, EOF_SENT, EOF_DEPRECATED };

enum resp_state {
	RS_START = 0, /* first packet of a (next) result expected */
	RS_COLS,      /* column definitions */
	RS_COLS_EOF,  /* the EOF after them, unless deprecated */
	RS_ROWS,      /* rows until EOF / OK / ERR */
	RS_INFILE,    /* LOCAL INFILE: the client sends the file, then OK/ERR */
	RS_AUTH,      /* COM_CHANGE_USER authentication exchange */
	RS_FIELDS,    /* COM_FIELD_LIST: definitions until EOF */
	RS_STREAM,    /* never ends (replication) */
};

struct msg {
	const unsigned char *p;
	size_t kept;		/* bytes at p: a prefix of the payload */
	size_t total;		/* payload length on the wire */
	unsigned char seq;	/* first packet's sequence id */
	unsigned char last_seq; /* last packet's */
};

struct reader {
	unsigned char hdr[4];
	unsigned int hdr_have; /* header bytes collected */
	bool in_body;	       /* inside a packet's payload */
	bool in_msg;	       /* a message is being assembled (spans feeds or packets) */
	bool holed;	       /* bytes of that message were not captured */
	bool lost;	       /* sync lost: resume at a later feed */
	unsigned char seq;     /* current (last) packet's sequence id */
	unsigned char first_seq;
	size_t pkt_len;
	size_t pkt_left; /* payload bytes of the packet still to come */
	size_t msg_total;
	size_t kept;
	size_t keep_max;
	unsigned char *buf;
	size_t buf_cap;
	__u64 skipped; /* bytes passed since the last known packet end, while lost */
};

struct pending {
	unsigned char cmd;
	int kind; /* enum sql_msg_kind, 0: followed but not reported */
	enum resp_state rs;
	bool started;	   /* response bytes seen or lost */
	bool rows_unknown; /* rows of the response were lost */
	bool stmt_known;   /* stmt_id valid */
	unsigned char next_seq;
	__u32 stmt_id;
	__u16 flags;
	int nparams; /* PARSE: from COM_STMT_PREPARE_OK */
	__u64 cols_left;
	__u64 rows;
	__u64 ts_request;
	char *text; /* QUERY/PARSE/INIT_DB text; EXECUTE: bytes after the fixed header */
	size_t text_cap;
	size_t text_len;
	size_t text_total;
};

struct stmt {
	bool used;
	bool have_types;
	__u32 id;
	int nparams;
	__u64 stamp; /* LRU clock */
	char *text;
	size_t text_cap;
	size_t text_len;
	size_t text_total;
	__u16 types[SQL_MAX_PARAMS];
};

enum tr_eof { TR_NO = 0, TR_YES, TR_MAYBE };

/* Definitions following a COM_STMT_PREPARE_OK already reported. */
struct trailer {
	bool active;
	unsigned char seq;
	int group;
	__u64 left[2];
	enum tr_eof eof[2];
};

struct errinfo {
	int code;
	char sqlstate[6];
	const char *message;
};

struct mysqlwire {
	struct sqlwire_limits lim;
	struct sqlwire_callbacks cb;
	struct sqlwire_stats stats;
	struct sql_session session;
	enum phase phase;
	bool caps_known; /* from a handshake response */
	bool greeted;
	__u64 server_caps;
	__u64 caps; /* negotiated */
	enum eof_mode eof_mode;
	struct reader rd[2];
	struct pending *pend;
	size_t pend_cap;
	size_t pend_head;
	size_t pend_count;
	struct trailer tr;
	struct stmt *stmts;
	size_t stmt_cap;
	size_t stmt_bytes;
	__u64 stmt_clock;
	bool last_prep_known;
	__u32 last_prep_id;
	char user[NAME_LEN];
	char database[NAME_LEN];
	char app[NAME_LEN];
	char version[VERSION_LEN];
	char errmsg[ERRMSG_LEN];
	char cu_user[NAME_LEN]; /* COM_CHANGE_USER awaiting its answer */
	char cu_db[NAME_LEN];
};

/* ---- bounded reading of one message ---- */

/* A cursor over a message: bytes [0, kept) are readable, the wire had
 * total. Reads return 0, 1 when the bytes were not captured (kept < total),
 * -1 when they lie past the message (malformed). */
struct cur {
	const unsigned char *p;
	size_t kept;
	size_t total;
	size_t off;
};

static void cur_init(struct cur *c, const struct msg *m, size_t off)
{
	c->p = m->p;
	c->kept = m->kept;
	c->total = m->total;
	c->off = off <= m->kept ? off : m->kept;
}

static int cur_need(const struct cur *c, __u64 n)
{
	if (n > c->total - c->off)
		return -1;
	if (n > c->kept - c->off)
		return 1;
	return 0;
}

static int cur_skip(struct cur *c, __u64 n)
{
	int r = cur_need(c, n);

	if (!r)
		c->off += n;
	return r;
}

static int cur_u8(struct cur *c, unsigned int *v)
{
	int r = cur_need(c, 1);

	if (!r)
		*v = c->p[c->off++];
	return r;
}

static __u64 le(const unsigned char *p, unsigned int n)
{
	__u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}

static int cur_le(struct cur *c, unsigned int n, __u64 *v)
{
	int r = cur_need(c, n);

	if (!r) {
		*v = le(c->p + c->off, n);
		c->off += n;
	}
	return r;
}

/* Length-encoded integer; 0xfb (NULL) and 0xff are not integers. */
static int cur_lenenc(struct cur *c, __u64 *v)
{
	unsigned int n;
	int r = cur_need(c, 1);

	if (r)
		return r;
	switch (c->p[c->off]) {
	case 0xfb:
	case 0xff:
		return -1;
	case 0xfc:
		n = 2;
		break;
	case 0xfd:
		n = 3;
		break;
	case 0xfe:
		n = 8;
		break;
	default:
		*v = c->p[c->off++];
		return 0;
	}
	r = cur_need(c, 1 + n);
	if (r)
		return r;
	*v = le(c->p + c->off + 1, n);
	c->off += 1 + n;
	return 0;
}

/* NUL-terminated string: *s and *n set, cursor past the NUL. */
static int cur_cstr(struct cur *c, const unsigned char **s, size_t *n)
{
	const unsigned char *nul = memchr(c->p + c->off, 0, c->kept - c->off);

	if (!nul)
		return c->kept < c->total ? 1 : -1;
	*s = c->p + c->off;
	*n = (size_t)(nul - *s);
	c->off += *n + 1;
	return 0;
}

/* Length-encoded string. */
static int cur_lstr(struct cur *c, const unsigned char **s, size_t *n)
{
	__u64 len;
	int r = cur_lenenc(c, &len);

	if (r)
		return r;
	r = cur_need(c, len);
	if (r)
		return r;
	*s = c->p + c->off;
	*n = (size_t)len;
	c->off += len;
	return 0;
}

static void set_str(char *dst, size_t cap, const void *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Skip one binary-protocol value of type t (low byte of the 2-byte type).
 * *len gets the value's byte length. -2: a type whose size is unknown.
 */
static int skip_value(struct cur *c, unsigned int t, __u64 *len)
{
	unsigned int n;
	int r;

	switch (t) {
	case 0x06: /* NULL */
		*len = 0;
		return 0;
	case 0x01: /* TINY */
		*len = 1;
		return cur_skip(c, 1);
	case 0x02: /* SHORT */
	case 0x0d: /* YEAR */
		*len = 2;
		return cur_skip(c, 2);
	case 0x03: /* LONG */
	case 0x04: /* FLOAT */
	case 0x09: /* INT24 */
		*len = 4;
		return cur_skip(c, 4);
	case 0x05: /* DOUBLE */
	case 0x08: /* LONGLONG */
		*len = 8;
		return cur_skip(c, 8);
	case 0x07: /* TIMESTAMP */
	case 0x0a: /* DATE */
	case 0x0b: /* TIME */
	case 0x0c: /* DATETIME */
	case 0x0e: /* NEWDATE */
	case 0x11: /* TIMESTAMP2 */
	case 0x12: /* DATETIME2 */
	case 0x13: /* TIME2 */
		r = cur_u8(c, &n);
		if (r)
			return r;
		*len = n;
		return cur_skip(c, n);
	case 0x00: /* DECIMAL */
	case 0x0f: /* VARCHAR */
	case 0x10: /* BIT */
	case 0xf5: /* JSON */
	case 0xf6: /* NEWDECIMAL */
	case 0xf7: /* ENUM */
	case 0xf8: /* SET */
	case 0xf9: /* TINY_BLOB */
	case 0xfa: /* MEDIUM_BLOB */
	case 0xfb: /* LONG_BLOB */
	case 0xfc: /* BLOB */
	case 0xfd: /* VAR_STRING */
	case 0xfe: /* STRING */
	case 0xff: /* GEOMETRY */
		r = cur_lenenc(c, len);
		if (r)
			return r;
		return cur_skip(c, *len);
	default:
		return -2;
	}
}

static bool known_type(unsigned int t)
{
	return t <= 0x13 || t >= 0xf5;
}

/* ---- packet reader ---- */

static void rd_reset(struct reader *r)
{
	r->hdr_have = 0;
	r->in_body = false;
	r->in_msg = false;
	r->holed = false;
	r->lost = false;
	r->pkt_len = r->pkt_left = 0;
	r->msg_total = r->kept = 0;
	r->skipped = 0;
}

static bool rd_clean(const struct reader *r)
{
	return !r->lost && !r->in_body && !r->in_msg && r->hdr_have == 0;
}

/* Keep n more payload bytes of the message being assembled. */
static void rd_keep(struct reader *r, const unsigned char *p, size_t n)
{
	size_t room, cap;
	unsigned char *nb;

	if (!n || r->holed || r->kept >= r->keep_max)
		return;
	room = r->keep_max - r->kept;
	if (n > room)
		n = room;
	if (r->kept + n > r->buf_cap) {
		cap = r->buf_cap ? r->buf_cap : 256;
		while (cap < r->kept + n)
			cap *= 2;
		if (cap > r->keep_max)
			cap = r->keep_max;
		nb = realloc(r->buf, cap);
		if (!nb) {
			/* Deliver what we have, as if the rest was not captured. */
			r->holed = true;
			return;
		}
		r->buf = nb;
		r->buf_cap = cap;
	}
	memcpy(r->buf + r->kept, p, n);
	r->kept += n;
}

static int on_message(struct mysqlwire *mw, enum sql_dir dir, const struct msg *m, __u64 ts);

/* The current packet is complete: deliver the message unless it continues. */
static int rd_end_packet(struct mysqlwire *mw, enum sql_dir dir, __u64 ts)
{
	struct reader *r = &mw->rd[dir];
	struct msg m;

	r->in_body = false;
	if (r->pkt_len == PKT_MAX)
		return 0;
	r->in_msg = false;
	m.p = r->buf;
	m.kept = r->kept;
	m.total = r->msg_total;
	m.seq = r->first_seq;
	m.last_seq = r->seq;
	return on_message(mw, dir, &m, ts);
}

/* Captured bytes of one feed. */
static int rd_bytes(struct mysqlwire *mw, enum sql_dir dir, const unsigned char *data, size_t len, __u64 ts)
{
	struct reader *r = &mw->rd[dir];
	size_t pos = 0, take, plen;
	unsigned char seq;
	struct msg m;
	int ret;

	while (pos < len) {
		if (!r->in_body) {
			take = 4 - r->hdr_have;
			if (take > len - pos)
				take = len - pos;
			memcpy(r->hdr + r->hdr_have, data + pos, take);
			r->hdr_have += take;
			pos += take;
			if (r->hdr_have < 4)
				break;
			r->hdr_have = 0;
			plen = (size_t)le(r->hdr, 3);
			seq = r->hdr[3];
			if (r->in_msg) {
				/* Packets of one message are numbered consecutively. */
				if (seq != (unsigned char)(r->seq + 1))
					return -EPROTO;
			} else if (plen < PKT_MAX && len - pos >= plen) {
				/* Whole in this feed: no copy. */
				r->seq = seq;
				m.p = data + pos;
				m.kept = plen < r->keep_max ? plen : r->keep_max;
				m.total = plen;
				m.seq = m.last_seq = seq;
				pos += plen;
				ret = on_message(mw, dir, &m, ts);
				if (ret)
					return ret;
				if (mw->phase == PH_OPAQUE || r->lost)
					return 0;
				continue;
			} else {
				r->in_msg = true;
				r->first_seq = seq;
				r->msg_total = 0;
				r->kept = 0;
				r->holed = false;
			}
			r->seq = seq;
			r->pkt_len = r->pkt_left = plen;
			r->msg_total += plen;
			r->in_body = true;
		}
		take = r->pkt_left;
		if (take > len - pos)
			take = len - pos;
		rd_keep(r, data + pos, take);
		pos += take;
		r->pkt_left -= take;
		if (r->pkt_left == 0) {
			ret = rd_end_packet(mw, dir, ts);
			if (ret)
				return ret;
			if (mw->phase == PH_OPAQUE || r->lost)
				return 0;
		}
	}
	/* A zero-length packet completes with its header. */
	if (r->in_body && r->pkt_left == 0)
		return rd_end_packet(mw, dir, ts);
	return 0;
}

static void lose(struct mysqlwire *mw, enum sql_dir dir, __u64 skipped);

/* gap bytes moved but not captured, after the captured ones. */
static int rd_gap(struct mysqlwire *mw, enum sql_dir dir, size_t gap, __u64 ts)
{
	struct reader *r = &mw->rd[dir];
	struct msg m;
	int ret;

	if (!r->in_body) {
		lose(mw, dir, (__u64)r->hdr_have + gap);
		return 0;
	}
	r->holed = true;
	if (gap <= r->pkt_left) {
		r->pkt_left -= gap;
		return r->pkt_left ? 0 : rd_end_packet(mw, dir, ts);
	}
	gap -= r->pkt_left;
	r->pkt_left = 0;
	if (r->pkt_len < PKT_MAX) {
		ret = rd_end_packet(mw, dir, ts);
	} else {
		/* Its continuation packets are in the gap: what we know of it. */
		r->in_body = r->in_msg = false;
		m.p = r->buf;
		m.kept = r->kept;
		m.total = r->msg_total;
		m.seq = r->first_seq;
		m.last_seq = r->seq;
		ret = on_message(mw, dir, &m, ts);
	}
	if (!ret && mw->phase != PH_OPAQUE && !r->lost)
		lose(mw, dir, gap);
	return ret;
}

/* ---- session ---- */

static void session_event(struct mysqlwire *mw, enum sql_session_event ev)
{
	if (mw->cb.on_session)
		mw->cb.on_session(mw->cb.ctx, ev, &mw->session);
}

static void set_database(struct mysqlwire *mw, const void *s, size_t n)
{
	set_str(mw->database, sizeof(mw->database), s, n);
}

/* ---- prepared statements ---- */

static struct stmt *stmt_find(struct mysqlwire *mw, __u32 id)
{
	size_t i;

	for (i = 0; i < mw->stmt_cap; i++) {
		if (mw->stmts[i].used && mw->stmts[i].id == id)
			return &mw->stmts[i];
	}
	return NULL;
}

static void stmt_drop(struct mysqlwire *mw, struct stmt *st)
{
	mw->stmt_bytes -= st->text_len;
	st->used = false;
	st->text_len = 0;
}

static struct stmt *stmt_lru(struct mysqlwire *mw)
{
	struct stmt *old = NULL;
	size_t i;

	for (i = 0; i < mw->stmt_cap; i++) {
		if (mw->stmts[i].used && (!old || mw->stmts[i].stamp < old->stamp))
			old = &mw->stmts[i];
	}
	return old;
}

/* A slot for statement id (an old one with the same id is replaced). */
static struct stmt *stmt_slot(struct mysqlwire *mw, __u32 id)
{
	struct stmt *st = stmt_find(mw, id), *ns;
	size_t i, cap;

	if (st) {
		stmt_drop(mw, st);
		return st;
	}
	for (i = 0; i < mw->stmt_cap; i++) {
		if (!mw->stmts[i].used)
			return &mw->stmts[i];
	}
	if (mw->stmt_cap < STMT_MAX) {
		cap = mw->stmt_cap ? mw->stmt_cap * 2 : 8;
		if (cap > STMT_MAX)
			cap = STMT_MAX;
		ns = realloc(mw->stmts, cap * sizeof(*ns));
		if (ns) {
			memset(ns + mw->stmt_cap, 0, (cap - mw->stmt_cap) * sizeof(*ns));
			mw->stmts = ns;
			st = &ns[mw->stmt_cap];
			mw->stmt_cap = cap;
			return st;
		}
	}
	st = stmt_lru(mw);
	if (st)
		stmt_drop(mw, st);
	return st;
}

static void stmt_add(struct mysqlwire *mw, __u32 id, int nparams, const char *text, size_t len, size_t total)
{
	size_t budget = mw->lim.max_text * STMT_TEXT_MULT;
	struct stmt *st = stmt_slot(mw, id), *old;
	char *nt;

	if (!st)
		return;
	/* Texts kept stay within budget: oldest statements go first. */
	while (mw->stmt_bytes + len > budget && (old = stmt_lru(mw)))
		stmt_drop(mw, old);
	if (len + 1 > st->text_cap) {
		nt = realloc(st->text, len + 1);
		if (!nt)
			len = 0;
		else {
			st->text = nt;
			st->text_cap = len + 1;
		}
	}
	if (st->text) {
		memcpy(st->text, text, len);
		st->text[len] = '\0';
	}
	st->used = true;
	st->id = id;
	st->nparams = nparams;
	st->have_types = false;
	st->text_len = len;
	st->text_total = total;
	st->stamp = ++mw->stmt_clock;
	mw->stmt_bytes += len;
}

static void stmt_clear(struct mysqlwire *mw)
{
	size_t i;

	for (i = 0; i < mw->stmt_cap; i++) {
		if (mw->stmts[i].used)
			stmt_drop(mw, &mw->stmts[i]);
	}
	mw->last_prep_known = false;
}

/* ---- pending commands ---- */

static struct pending *head(struct mysqlwire *mw)
{
	return mw->pend_count ? &mw->pend[mw->pend_head] : NULL;
}

static bool pend_grow(struct mysqlwire *mw)
{
	size_t cap = mw->pend_cap ? mw->pend_cap * 2 : PEND_MIN, i;
	struct pending *np;

	if (cap > mw->lim.max_pending)
		cap = mw->lim.max_pending;
	if (cap <= mw->pend_cap)
		return false;
	np = calloc(cap, sizeof(*np));
	if (!np)
		return false;
	/* Oldest first from index 0; slots keep their text buffers. */
	for (i = 0; i < mw->pend_cap; i++)
		np[i] = mw->pend[(mw->pend_head + i) % mw->pend_cap];
	free(mw->pend);
	mw->pend = np;
	mw->pend_cap = cap;
	mw->pend_head = 0;
	return true;
}

/* Copy n bytes (of total on the wire) as the slot's text, bounded by max_text. */
static void pend_text(struct mysqlwire *mw, struct pending *p, const void *s, size_t n, size_t total)
{
	char *nt;
	size_t cap;

	if (n > mw->lim.max_text)
		n = mw->lim.max_text;
	if (n + 1 > p->text_cap) {
		cap = p->text_cap ? p->text_cap : 64;
		while (cap < n + 1)
			cap *= 2;
		nt = realloc(p->text, cap);
		if (!nt) {
			n = p->text_cap ? p->text_cap - 1 : 0;
		} else {
			p->text = nt;
			p->text_cap = cap;
		}
	}
	if (p->text) {
		if (n)
			memcpy(p->text, s, n);
		p->text[n] = '\0';
	}
	p->text_len = n;
	p->text_total = total;
}

/* ---- reporting ---- */

static void fmt_id(char *buf, size_t cap, __u32 id)
{
	snprintf(buf, cap, "%u", id);
}

/*
 * The prepare of a COM_STMT_EXECUTE was not seen: find the one parameter
 * count for which the bytes after its fixed header parse exactly (types
 * sent, values sized by them). -1 when none, or when not captured whole.
 */
static int infer_params(const struct pending *p)
{
	struct msg m = {.p = (const unsigned char *)p->text, .kept = p->text_len, .total = p->text_total};
	size_t n, nb, i;
	unsigned int t;
	__u64 len;
	struct cur c;

	if (p->text_len < p->text_total)
		return -1;
	if (p->text_total == 0)
		return 0;
	for (n = 1; n <= MAX_INFER_PARAMS; n++) {
		nb = (n + 7) / 8;
		if (nb + 1 + 2 * n > p->text_len)
			break;
		if (m.p[nb] != 1)
			continue;
		/* Unused bits of the NULL bitmap are zero. */
		if ((n % 8) && (m.p[nb - 1] >> (n % 8)))
			continue;
		for (i = 0; i < n; i++) {
			t = m.p[nb + 1 + 2 * i];
			if (!known_type(t) || (m.p[nb + 2 + 2 * i] & 0x3f))
				break;
		}
		if (i < n)
			continue;
		cur_init(&c, &m, nb + 1 + 2 * n);
		for (i = 0; i < n; i++) {
			if (m.p[i / 8] & (1u << (i % 8)))
				continue;
			if (skip_value(&c, m.p[nb + 1 + 2 * i], &len))
				break;
		}
		if (i == n && c.off == c.total)
			return (int)n;
	}
	return -1;
}

/*
 * Parameters of a COM_STMT_EXECUTE (or MariaDB bulk execute): p->text holds
 * the bytes after the fixed header, p->text_total of them on the wire; st is
 * the prepared statement when known.
 */
static void fill_execute(struct mysqlwire *mw, struct pending *p, struct stmt *st, struct sql_query *q)
{
	struct msg m = {.p = (const unsigned char *)p->text, .kept = p->text_len, .total = p->text_total};
	bool qa = mw->caps_known && (mw->caps & CLIENT_QUERY_ATTRIBUTES), have_types = false;
	__u16 types[SQL_MAX_PARAMS] = {0}, sent[SQL_MAX_PARAMS] = {0};
	const unsigned char *bitmap, *name;
	long long n = st ? st->nparams : -1;
	size_t i, nb, namelen;
	__u64 v, len;
	struct cur c;

	if (st && st->have_types) {
		memcpy(types, st->types, sizeof(types));
		have_types = true;
	}
	cur_init(&c, &m, 0);
	if (p->cmd == COM_STMT_BULK_EXECUTE) {
		/* MariaDB bulk: types when sent, then rows of values (not measured). */
		if ((p->flags & BULK_SEND_TYPES) && n > 0) {
			for (i = 0; i < (size_t)n && i < SQL_MAX_PARAMS; i++) {
				if (cur_le(&c, 2, &v))
					break;
				types[i] = (__u16)v;
			}
			have_types = true;
		}
		goto out;
	}
	if (qa && (n > 0 || (p->flags & PARAMETER_COUNT_AVAILABLE))) {
		/* Query attributes: the count sent overrides the prepare's. */
		if (cur_lenenc(&c, &v) || v > 65535)
			goto out;
		n = (long long)v;
	} else if (n < 0 && !qa && p->stmt_known) {
		n = infer_params(p);
	}
	if (n <= 0)
		goto out;
	nb = (size_t)((n + 7) / 8);
	if (cur_need(&c, nb + 1))
		goto out;
	bitmap = c.p + c.off;
	c.off += nb;
	if (c.p[c.off++] == 1) {
		/* Types (re)sent with this execution. */
		for (i = 0; i < (size_t)n; i++) {
			if (cur_le(&c, 2, &v))
				goto out;
			if (i < SQL_MAX_PARAMS)
				sent[i] = (__u16)v;
			if (qa && cur_lstr(&c, &name, &namelen))
				goto out;
		}
		memcpy(types, sent, sizeof(types));
		have_types = true;
		if (st) {
			memcpy(st->types, sent, sizeof(sent));
			st->have_types = true;
		}
	}
	for (i = 0; i < (size_t)n && i < SQL_MAX_PARAMS; i++) {
		if (bitmap[i / 8] & (1u << (i % 8))) {
			q->param_lengths[i] = -1;
			continue;
		}
		if (!have_types || skip_value(&c, types[i] & 0xff, &len))
			break;
		q->param_lengths[i] = len > INT32_MAX ? INT32_MAX : (__s32)len;
	}
out:
	q->param_count = n < 0 ? -1 : (int)n;
	if (have_types) {
		for (i = 0; i < (size_t)q->param_count && i < SQL_MAX_PARAMS; i++)
			q->param_types[i] = types[i];
	}
}

/* Report the oldest pending command and drop it. */
static void complete(struct mysqlwire *mw, enum sql_outcome outcome, const struct errinfo *err, __u64 ts)
{
	struct pending *p = head(mw), tmp;
	struct sql_query q;
	struct stmt *st = NULL;
	char stmtbuf[16];
	__u32 id;

	if (!p)
		return;
	if (p->kind) {
		memset(&q, 0, sizeof(q));
		q.kind = p->kind;
		q.text = p->text ? p->text : "";
		q.text_len = p->text ? p->text_len : 0;
		q.text_total = p->text_total;
		q.statement = "";
		q.portal = "";
		q.param_count = -1;
		q.param_values = NULL;
		q.outcome = outcome;
		q.error_message = "";
		q.command_tag = "";
		q.rows = p->rows_unknown || outcome == SQL_OUTCOME_UNKNOWN ? 0 : p->rows;
		q.ts_request = p->ts_request;
		q.ts_response = outcome == SQL_OUTCOME_UNKNOWN ? 0 : ts;
		stmtbuf[0] = '\0';
		if (p->kind == SQL_MSG_PARSE) {
			if (p->stmt_known) {
				fmt_id(stmtbuf, sizeof(stmtbuf), p->stmt_id);
				q.param_count = p->nparams;
			}
			q.rows = 0;
		} else if (p->kind == SQL_MSG_EXECUTE) {
			id = p->stmt_id;
			if (id == UINT32_MAX && mw->last_prep_known)
				id = mw->last_prep_id;
			if (p->stmt_known && id != UINT32_MAX) {
				fmt_id(stmtbuf, sizeof(stmtbuf), id);
				st = stmt_find(mw, id);
			}
			if (st) {
				st->stamp = ++mw->stmt_clock;
				q.text = st->text ? st->text : "";
				q.text_len = st->text ? st->text_len : 0;
				q.text_total = st->text_total;
			} else {
				q.text = "";
				q.text_len = q.text_total = 0;
			}
			fill_execute(mw, p, st, &q);
		}
		q.statement = stmtbuf;
		q.truncated = q.text_len < q.text_total;
		if (err) {
			q.error_code = err->code;
			memcpy(q.sqlstate, err->sqlstate, sizeof(q.sqlstate));
			q.error_message = err->message;
		}
		mw->stats.queries++;
		if (mw->cb.on_query)
			mw->cb.on_query(mw->cb.ctx, &q, &mw->session);
	}
	/* Pop, keeping the slot's buffer for reuse. */
	tmp = *p;
	memset(p, 0, sizeof(*p));
	p->text = tmp.text;
	p->text_cap = tmp.text_cap;
	mw->pend_head = (mw->pend_head + 1) % mw->pend_cap;
	mw->pend_count--;
}

/* ---- server messages ---- */

struct okinfo {
	__u64 affected;
	unsigned int status;
	const unsigned char *schema; /* SESSION_TRACK_SCHEMA, when sent */
	size_t schema_len;
};

/* Session-state information of an OK packet: the schema when it changed. */
static int parse_session_state(const unsigned char *s, size_t n, struct okinfo *ok)
{
	struct msg m = {.p = s, .kept = n, .total = n};
	const unsigned char *data, *name;
	size_t dlen, nlen;
	unsigned int type;
	struct msg sub;
	struct cur c, d;
	int r;

	cur_init(&c, &m, 0);
	while (c.off < c.total) {
		r = cur_u8(&c, &type);
		if (!r)
			r = cur_lstr(&c, &data, &dlen);
		if (r)
			return r;
		if (type != SESSION_TRACK_SCHEMA)
			continue;
		sub.p = data;
		sub.kept = sub.total = dlen;
		cur_init(&d, &sub, 0);
		r = cur_lstr(&d, &name, &nlen);
		if (r)
			return r;
		ok->schema = name;
		ok->schema_len = nlen;
	}
	return 0;
}

/* OK packet (header 0x00, or 0xfe ending a result set): -1 when malformed. */
static int parse_ok(const struct mysqlwire *mw, const struct msg *m, struct okinfo *ok)
{
	const unsigned char *s;
	__u64 v;
	size_t n;
	struct cur c;
	int r;

	memset(ok, 0, sizeof(*ok));
	cur_init(&c, m, 1);
	r = cur_lenenc(&c, &ok->affected);
	if (!r)
		r = cur_lenenc(&c, &v);
	if (r)
		return r < 0 ? -1 : 0;
	/* Status and warnings: absent only from pre-4.1 servers. */
	if (cur_le(&c, 2, &v))
		return 0;
	ok->status = (unsigned int)v;
	if (cur_skip(&c, 2))
		return 0;
	if (!mw->caps_known || !(mw->caps & CLIENT_SESSION_TRACK) || c.off == c.total)
		return 0;
	r = cur_lstr(&c, &s, &n); /* human-readable info */
	if (!r && (ok->status & SERVER_SESSION_STATE_CHANGED))
		r = cur_lstr(&c, &s, &n);
	if (!r && (ok->status & SERVER_SESSION_STATE_CHANGED))
		r = parse_session_state(s, n, ok);
	return r < 0 ? -1 : 0;
}

static bool is_sqlstate(const unsigned char *s)
{
	int i;

	for (i = 0; i < 5; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	}
	return true;
}

/* ERR packet: -1 when too short to be one. */
static int parse_err(struct mysqlwire *mw, const struct msg *m, struct errinfo *e)
{
	size_t off = 3;

	memset(e, 0, sizeof(*e));
	if (m->total < 3)
		return -1;
	e->message = "";
	if (m->kept < 3)
		return 0;
	e->code = (int)le(m->p + 1, 2);
	if (m->kept >= 9 && m->p[3] == '#' && is_sqlstate(m->p + 4)) {
		memcpy(e->sqlstate, m->p + 4, 5);
		off = 9;
	}
	set_str(mw->errmsg, sizeof(mw->errmsg), m->p + off, m->kept - off);
	e->message = mw->errmsg;
	return 0;
}

static enum resp_state after_cols(const struct mysqlwire *mw)
{
	return mw->eof_mode == EOF_DEPRECATED ? RS_ROWS : RS_COLS_EOF;
}

/* k packets of the response went by unseen (sequence ids say so). */
static void advance(struct mysqlwire *mw, struct pending *h, unsigned int k)
{
	__u64 n;

	while (k > 0) {
		switch (h->rs) {
		case RS_COLS:
			n = h->cols_left < k ? h->cols_left : k;
			h->cols_left -= n;
			k -= (unsigned int)n;
			if (!h->cols_left)
				h->rs = after_cols(mw);
			break;
		case RS_COLS_EOF:
			if (mw->eof_mode != EOF_SENT)
				h->rows_unknown = true;
			h->rs = RS_ROWS;
			k--;
			break;
		default:
			h->rows += k;
			k = 0;
			break;
		}
	}
}

static bool resumable(const struct pending *h)
{
	return h->rs == RS_COLS || h->rs == RS_COLS_EOF || h->rs == RS_ROWS;
}

static void apply_ok(struct mysqlwire *mw, const struct okinfo *ok)
{
	if (ok->schema)
		set_database(mw, ok->schema, ok->schema_len);
}

static int resp_ok(struct mysqlwire *mw, struct pending *h, const struct msg *m, __u64 ts)
{
	struct okinfo ok;

	if (parse_ok(mw, m, &ok))
		return -EPROTO;
	h->rows += ok.affected;
	switch (h->cmd) {
	case COM_INIT_DB:
		if (h->text)
			set_database(mw, h->text, h->text_len);
		break;
	case COM_CHANGE_USER:
		set_str(mw->user, sizeof(mw->user), mw->cu_user, strlen(mw->cu_user));
		set_database(mw, mw->cu_db, strlen(mw->cu_db));
		break;
	case COM_RESET_CONNECTION:
		stmt_clear(mw);
		break;
	}
	apply_ok(mw, &ok);
	if (h->cmd == COM_CHANGE_USER)
		session_event(mw, SQL_SESSION_STARTUP);
	if (ok.status & SERVER_MORE_RESULTS_EXISTS) {
		h->rs = RS_START;
		return 0;
	}
	complete(mw, SQL_OUTCOME_OK, NULL, ts);
	return 0;
}

static int resp_err(struct mysqlwire *mw, const struct msg *m, __u64 ts)
{
	struct errinfo e;

	if (parse_err(mw, m, &e))
		return -EPROTO;
	/* MariaDB progress report (CLIENT_PROGRESS), not an error. */
	if (e.code == 0xffff)
		return 0;
	/* MariaDB: statement id -1 no longer names one after a failed prepare. */
	if (head(mw)->cmd == COM_STMT_PREPARE)
		mw->last_prep_known = false;
	complete(mw, SQL_OUTCOME_ERROR, &e, ts);
	return 0;
}

/* EOF or OK(0xfe) ending a result set, or an EOF answering a command. */
static int resp_end(struct mysqlwire *mw, struct pending *h, const struct msg *m, __u64 ts)
{
	struct okinfo ok;
	unsigned int status = 0;

	if (mw->eof_mode == EOF_DEPRECATED || (mw->eof_mode == EOF_UNKNOWN && m->total >= 7)) {
		if (parse_ok(mw, m, &ok))
			return -EPROTO;
		apply_ok(mw, &ok);
		status = ok.status;
	} else if (m->kept >= 5) {
		status = (unsigned int)le(m->p + 3, 2);
	}
	if (status & SERVER_MORE_RESULTS_EXISTS) {
		h->rs = RS_START;
		return 0;
	}
	complete(mw, SQL_OUTCOME_OK, NULL, ts);
	return 0;
}

static void trailer_set(struct mysqlwire *mw, int g, __u64 count)
{
	mw->tr.left[g] = count;
	if (!count)
		mw->tr.eof[g] = TR_NO;
	else if (mw->eof_mode == EOF_SENT)
		mw->tr.eof[g] = TR_YES;
	else if (mw->eof_mode == EOF_DEPRECATED)
		mw->tr.eof[g] = TR_NO;
	else
		mw->tr.eof[g] = TR_MAYBE;
}

static int resp_prepare_ok(struct mysqlwire *mw, struct pending *h, const struct msg *m, __u64 ts)
{
	__u64 ncols, nparams;
	bool meta = true;

	if (m->total < 12)
		return -EPROTO;
	if (m->kept < 12)
		return LOSE;
	h->stmt_id = (__u32)le(m->p + 1, 4);
	ncols = le(m->p + 5, 2);
	nparams = le(m->p + 7, 2);
	/* MySQL 8 CLIENT_OPTIONAL_RESULTSET_METADATA: whether definitions follow. */
	if (m->total >= 13 && m->kept >= 13)
		meta = m->p[12] != 0;
	h->stmt_known = true;
	h->nparams = (int)nparams;
	stmt_add(mw, h->stmt_id, h->nparams, h->text ? h->text : "", h->text ? h->text_len : 0, h->text_total);
	mw->last_prep_known = true;
	mw->last_prep_id = h->stmt_id;
	memset(&mw->tr, 0, sizeof(mw->tr));
	if (meta) {
		trailer_set(mw, 0, nparams);
		trailer_set(mw, 1, ncols);
		mw->tr.active = nparams || ncols;
		mw->tr.seq = (unsigned char)(m->last_seq + 1);
	}
	complete(mw, SQL_OUTCOME_OK, NULL, ts);
	return 0;
}

static bool trailer_done(const struct trailer *tr)
{
	return tr->group >= 2 || (tr->group == 1 && !tr->left[1] && tr->eof[1] == TR_NO);
}

/* A definition following a prepare OK: true when m was one. */
static bool trailer_take(struct mysqlwire *mw, const struct msg *m)
{
	struct trailer *tr = &mw->tr;
	bool eof = m->kept >= 1 && m->p[0] == 0xfe && m->total < 9;
	int g;

	if (m->seq != tr->seq) {
		tr->active = false;
		return false;
	}
	while (tr->group < 2) {
		g = tr->group;
		if (tr->left[g]) {
			tr->left[g]--;
			goto taken;
		}
		if (tr->eof[g] == TR_YES || (tr->eof[g] == TR_MAYBE && eof && m->total < 7)) {
			if (tr->eof[g] == TR_MAYBE)
				mw->eof_mode = EOF_SENT;
			tr->eof[g] = TR_NO;
			goto taken;
		}
		if (tr->eof[g] == TR_MAYBE)
			mw->eof_mode = EOF_DEPRECATED;
		tr->eof[g] = TR_NO;
		tr->group++;
	}
	tr->active = false;
	return false;
taken:
	tr->seq = (unsigned char)(m->last_seq + 1);
	if (!tr->left[tr->group] && tr->eof[tr->group] == TR_NO && tr->group == 0 && !tr->left[1] &&
	    tr->eof[1] == TR_NO)
		tr->group = 2;
	if (trailer_done(tr))
		tr->active = false;
	return true;
}

/* Column count packet: count, then MariaDB/MySQL "metadata follows" byte. */
static int resp_columns(struct mysqlwire *mw, struct pending *h, const struct msg *m)
{
	unsigned int meta = 1;
	struct cur c;
	__u64 n;
	int r;

	cur_init(&c, m, 0);
	r = cur_lenenc(&c, &n);
	if (r)
		return r < 0 ? -EPROTO : LOSE;
	if (c.total - c.off > 1)
		return -EPROTO;
	if (c.total - c.off == 1) {
		if (cur_u8(&c, &meta))
			return LOSE;
		if (meta > 1)
			return -EPROTO;
	}
	if (n == 0 || n > MAX_COLUMNS)
		return -EPROTO;
	h->cols_left = meta ? n : 0;
	h->rs = h->cols_left ? RS_COLS : after_cols(mw);
	return 0;
}

static int resp_start(struct mysqlwire *mw, struct pending *h, const struct msg *m, __u64 ts)
{
	switch (m->p[0]) {
	case 0x00:
		if (h->cmd == COM_STMT_PREPARE)
			return resp_prepare_ok(mw, h, m, ts);
		return resp_ok(mw, h, m, ts);
	case 0xff:
		return resp_err(mw, m, ts);
	case 0xfe:
		if (h->cmd == COM_CHANGE_USER) {
			h->rs = RS_AUTH; /* auth switch */
			return 0;
		}
		if (m->total < 9)
			return resp_end(mw, h, m, ts);
		return -EPROTO;
	case 0xfb:
		if (h->cmd != COM_QUERY)
			return -EPROTO;
		h->rs = RS_INFILE;
		return 0;
	}
	switch (h->cmd) {
	case COM_STATISTICS:
		complete(mw, SQL_OUTCOME_OK, NULL, ts);
		return 0;
	case COM_CHANGE_USER:
		if (m->p[0] != 0x01)
			return -EPROTO;
		h->rs = RS_AUTH;
		return 0;
	case COM_FIELD_LIST:
		h->rs = RS_FIELDS;
		return 0;
	case COM_QUERY:
	case COM_STMT_EXECUTE:
	case COM_STMT_BULK_EXECUTE:
	case COM_PROCESS_INFO:
		return resp_columns(mw, h, m);
	default:
		return -EPROTO;
	}
}

static int resp_rows(struct mysqlwire *mw, struct pending *h, const struct msg *m, __u64 ts)
{
	/* A row starting with 0xfe has a 16 MB field: its packet is full size. */
	if (m->p[0] == 0xfe && m->total < PKT_MAX)
		return resp_end(mw, h, m, ts);
	if (m->p[0] == 0xff)
		return resp_err(mw, m, ts);
	h->rows++;
	return 0;
}

/* A server message in the command phase. */
static int on_response(struct mysqlwire *mw, const struct msg *m, __u64 ts)
{
	struct pending *h;
	bool eof;

	if (mw->tr.active && trailer_take(mw, m))
		return 0;
	h = head(mw);
	if (!h)
		return 0; /* answers a command we did not see */
	if (m->seq != h->next_seq)
		return -EPROTO;
	h->next_seq = (unsigned char)(m->last_seq + 1);
	h->started = true;
	if (m->total == 0)
		return -EPROTO;
	if (m->kept == 0) {
		/* Only the header was captured. */
		if (!resumable(h))
			return LOSE;
		advance(mw, h, 1);
		return 0;
	}
	switch (h->rs) {
	case RS_START:
		return resp_start(mw, h, m, ts);
	case RS_COLS:
		if (!--h->cols_left)
			h->rs = after_cols(mw);
		return 0;
	case RS_COLS_EOF:
		eof = m->p[0] == 0xfe && m->total < (mw->eof_mode == EOF_SENT ? 9u : 7u);
		if (eof) {
			mw->eof_mode = EOF_SENT;
			/* A cursor was opened: rows come with COM_STMT_FETCH. */
			if (m->kept >= 5 && (le(m->p + 3, 2) & SERVER_STATUS_CURSOR_EXISTS)) {
				complete(mw, SQL_OUTCOME_OK, NULL, ts);
				return 0;
			}
			h->rs = RS_ROWS;
			return 0;
		}
		if (mw->eof_mode == EOF_SENT)
			return -EPROTO;
		mw->eof_mode = EOF_DEPRECATED;
		h->rs = RS_ROWS;
		return resp_rows(mw, h, m, ts);
	case RS_ROWS:
		return resp_rows(mw, h, m, ts);
	case RS_INFILE:
	case RS_AUTH:
		if (m->p[0] == 0x00)
			return resp_ok(mw, h, m, ts);
		if (m->p[0] == 0xff)
			return resp_err(mw, m, ts);
		return h->rs == RS_AUTH ? 0 : -EPROTO;
	case RS_FIELDS:
		if (m->p[0] == 0xfe && m->total < 9) {
			complete(mw, SQL_OUTCOME_OK, NULL, ts);
			return 0;
		}
		if (m->p[0] == 0xff)
			return resp_err(mw, m, ts);
		return 0;
	case RS_STREAM:
		return 0;
	}
	return 0;
}

/* Protocol::HandshakeV10. */
static int parse_greeting(struct mysqlwire *mw, const struct msg *m)
{
	const unsigned char *ver;
	__u64 low, high = 0, ext = 0;
	size_t vlen;
	struct cur c;

	cur_init(&c, m, 1);
	if (cur_cstr(&c, &ver, &vlen) || cur_skip(&c, 4 + 8 + 1) || cur_le(&c, 2, &low))
		return -1;
	/* charset, status, capabilities high, auth data length, reserved */
	if (!cur_need(&c, 1 + 2 + 2 + 1 + 10)) {
		high = le(c.p + c.off + 3, 2);
		/* MariaDB: extended capabilities in the last 4 reserved bytes. */
		if (!(low & CLIENT_MYSQL))
			ext = le(c.p + c.off + 12, 4);
	}
	set_str(mw->version, sizeof(mw->version), ver, vlen);
	mw->server_caps = low | high << 16 | ext << 32;
	mw->greeted = true;
	mw->session.startup_seen = true;
	mw->phase = PH_GREETED;
	return 0;
}

static void parse_attrs(struct mysqlwire *mw, const unsigned char *s, size_t n)
{
	struct msg m = {.p = s, .kept = n, .total = n};
	const unsigned char *k, *v;
	size_t kl, vl;
	struct cur c;

	cur_init(&c, &m, 0);
	while (c.off < c.total) {
		if (cur_lstr(&c, &k, &kl) || cur_lstr(&c, &v, &vl))
			return;
		if (kl == 12 && !memcmp(k, "program_name", 12))
			set_str(mw->app, sizeof(mw->app), v, vl);
	}
}

static bool looks_like_response(const struct msg *m)
{
	size_t i;

	if (m->total < 32 || m->kept < 32 || !(le(m->p, 4) & CLIENT_PROTOCOL_41))
		return false;
	/* Filler: zeros (MariaDB uses the last 4 bytes for its capabilities). */
	for (i = 9; i < 28; i++) {
		if (m->p[i])
			return false;
	}
	return true;
}

/* HandshakeResponse41, or the SSLRequest that starts TLS. */
static int handshake_response(struct mysqlwire *mw, const struct msg *m)
{
	const unsigned char *s;
	unsigned int alen;
	__u64 caps, v;
	struct cur c;
	size_t n;
	int r;

	if (m->total < 32)
		return -EPROTO;
	mw->session.startup_seen = true;
	if (m->kept < 32) {
		mw->phase = PH_AUTH;
		return 0;
	}
	caps = le(m->p, 4);
	if (!(caps & CLIENT_PROTOCOL_41))
		return -EPROTO; /* pre-4.1 clients are not decoded */
	if (m->total == 32) {
		if (!(caps & CLIENT_SSL))
			return -EPROTO;
		mw->session.encrypted = true;
		mw->phase = PH_OPAQUE;
		session_event(mw, SQL_SESSION_ENCRYPTED);
		return 0;
	}
	caps |= le(m->p + 28, 4) << 32;
	mw->caps = mw->greeted ? caps & mw->server_caps : caps;
	mw->caps_known = true;
	mw->eof_mode = (mw->caps & CLIENT_DEPRECATE_EOF) ? EOF_DEPRECATED : EOF_SENT;
	mw->phase = PH_AUTH;
	cur_init(&c, m, 32);
	r = cur_cstr(&c, &s, &n);
	if (r)
		goto out;
	set_str(mw->user, sizeof(mw->user), s, n);
	if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
		r = cur_lstr(&c, &s, &n);
	} else if (caps & CLIENT_SECURE_CONNECTION) {
		r = cur_u8(&c, &alen);
		if (!r)
			r = cur_skip(&c, alen);
	} else {
		r = cur_cstr(&c, &s, &n);
	}
	if (!r && (caps & CLIENT_CONNECT_WITH_DB)) {
		r = cur_cstr(&c, &s, &n);
		if (!r)
			set_database(mw, s, n);
	}
	if (!r && (caps & CLIENT_PLUGIN_AUTH) && c.off < c.total)
		r = cur_cstr(&c, &s, &n);
	if (!r && (caps & CLIENT_CONNECT_ATTRS) && c.off < c.total) {
		r = cur_lenenc(&c, &v);
		if (!r && v <= c.total - c.off) {
			/* Attributes captured in part are read as far as they go. */
			n = (size_t)(v < c.kept - c.off ? v : c.kept - c.off);
			parse_attrs(mw, c.p + c.off, n);
		} else if (!r) {
			r = -1;
		}
	}
out:
	session_event(mw, SQL_SESSION_STARTUP);
	return r < 0 ? -EPROTO : 0;
}

/* A server message during authentication. */
static int on_auth_reply(struct mysqlwire *mw, const struct msg *m)
{
	struct okinfo ok;

	if (m->total == 0)
		return -EPROTO;
	if (m->kept == 0)
		return 0;
	switch (m->p[0]) {
	case 0x00:
		if (parse_ok(mw, m, &ok))
			return -EPROTO;
		apply_ok(mw, &ok);
		/* Compression starts now: not decoded. */
		mw->phase = (mw->caps & (CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION)) ? PH_OPAQUE : PH_COMMAND;
		return 0;
	case 0xff:
		mw->phase = PH_COMMAND; /* access denied: the server closes */
		return 0;
	default:
		return 0; /* auth switch (0xfe), more data (0x01) */
	}
}

static int on_server(struct mysqlwire *mw, const struct msg *m, __u64 ts)
{
	switch (mw->phase) {
	case PH_START:
		if (m->seq == 0 && m->kept && m->p[0] == 0x0a && !parse_greeting(mw, m))
			return 0;
		if (m->seq == 0 && m->kept && m->p[0] == 0xff)
			return 0;	/* connection refused before the greeting */
		mw->phase = PH_COMMAND; /* joined mid-stream */
		return on_response(mw, m, ts);
	case PH_AUTH:
		return on_auth_reply(mw, m);
	case PH_COMMAND:
		return on_response(mw, m, ts);
	default:
		return 0;
	}
}

/* ---- client messages ---- */

static bool valid_command(unsigned int c)
{
	switch (c) {
	case 0x00:	      /* COM_SLEEP */
	case 0x0b:	      /* COM_CONNECT */
	case 0x0f:	      /* COM_TIME */
	case 0x10:	      /* COM_DELAYED_INSERT */
	case 0x14:	      /* COM_CONNECT_OUT */
	case 0x1d:	      /* COM_DAEMON */
		return false; /* server-internal */
	default:
		return c <= COM_RESET_CONNECTION || c == COM_STMT_BULK_EXECUTE;
	}
}

/*
 * Where a COM_QUERY's text starts: after the query attributes when
 * CLIENT_QUERY_ATTRIBUTES was negotiated (or, joined mid-stream, when the
 * bytes look like them: SQL text never starts with a control byte).
 * 0 and *off, 1 when not captured, -1 when malformed.
 */
static int attrs_end(const struct msg *m, size_t *off)
{
	__u16 types[MAX_ATTRS];
	const unsigned char *bitmap, *name;
	__u64 count, sets, len, v;
	size_t i, nb, nl;
	struct cur c;
	int r;

	cur_init(&c, m, 1);
	r = cur_lenenc(&c, &count);
	if (!r)
		r = cur_lenenc(&c, &sets);
	if (r)
		return r;
	if (count > 65535)
		return -1;
	if (count > MAX_ATTRS)
		return 1;
	if (count) {
		nb = (size_t)(count + 7) / 8;
		r = cur_need(&c, nb + 1);
		if (r)
			return r;
		bitmap = c.p + c.off;
		c.off += nb;
		if (c.p[c.off++] != 1)
			return -1;
		for (i = 0; i < count; i++) {
			r = cur_le(&c, 2, &v);
			if (!r)
				r = cur_lstr(&c, &name, &nl);
			if (r)
				return r;
			types[i] = (__u16)v;
		}
		for (i = 0; i < count; i++) {
			if (bitmap[i / 8] & (1u << (i % 8)))
				continue;
			r = skip_value(&c, types[i] & 0xff, &len);
			if (r)
				return r == -2 ? 1 : r;
		}
	}
	*off = c.off;
	return 0;
}

static int query_offset(const struct mysqlwire *mw, const struct msg *m, size_t *off)
{
	size_t o;

	*off = 1;
	if (mw->caps_known)
		return (mw->caps & CLIENT_QUERY_ATTRIBUTES) ? attrs_end(m, off) : 0;
	if (m->kept >= 3 && m->p[1] < 0x09 && m->p[2] == 0x01 && !attrs_end(m, &o))
		*off = o;
	return 0;
}

/* A command arrives: settle what the previous one left. */
static void before_command(struct mysqlwire *mw)
{
	struct reader *r = &mw->rd[SQL_DIR_TO_CLIENT];
	struct pending *h = head(mw);

	/* Nothing pipelined and its response partly read, or lost: the client
	 * read it whole before writing this, so its end is what we missed. */
	if (h && mw->pend_count == 1 && (h->started || r->lost))
		complete(mw, SQL_OUTCOME_UNKNOWN, NULL, 0);
	if (mw->pend_count)
		return;
	/* The server's next byte starts the answer to this command. */
	if (r->lost)
		mw->stats.resyncs++;
	if (!rd_clean(r))
		rd_reset(r);
	mw->tr.active = false;
}

static struct pending *push(struct mysqlwire *mw, unsigned char cmd, int kind, const struct msg *m, __u64 ts)
{
	struct pending *p;
	bool reported;

	if (mw->pend_count == mw->pend_cap && !pend_grow(mw)) {
		if (!mw->pend_count)
			return NULL;
		reported = head(mw)->kind != 0;
		complete(mw, SQL_OUTCOME_UNKNOWN, NULL, 0);
		if (reported)
			mw->stats.dropped_pending++;
	}
	p = &mw->pend[(mw->pend_head + mw->pend_count) % mw->pend_cap];
	mw->pend_count++;
	p->cmd = cmd;
	p->kind = kind;
	p->rs = cmd == COM_STMT_FETCH ? RS_ROWS : RS_START;
	p->started = p->rows_unknown = p->stmt_known = false;
	p->next_seq = (unsigned char)(m->last_seq + 1);
	p->stmt_id = 0;
	p->flags = 0;
	p->nparams = -1;
	p->cols_left = p->rows = 0;
	p->ts_request = ts;
	p->text_len = p->text_total = 0;
	if (p->text)
		p->text[0] = '\0';
	return p;
}

/* COM_CHANGE_USER: user and database, applied when the server says OK. */
static int change_user(struct mysqlwire *mw, const struct msg *m)
{
	const unsigned char *s;
	unsigned int alen;
	struct cur c;
	size_t n;
	int r;

	mw->cu_user[0] = mw->cu_db[0] = '\0';
	cur_init(&c, m, 1);
	r = cur_cstr(&c, &s, &n);
	if (r)
		return r;
	set_str(mw->cu_user, sizeof(mw->cu_user), s, n);
	if (!mw->caps_known || (mw->caps & CLIENT_SECURE_CONNECTION)) {
		r = cur_u8(&c, &alen);
		if (!r)
			r = cur_skip(&c, alen);
	} else {
		r = cur_cstr(&c, &s, &n);
	}
	if (!r)
		r = cur_cstr(&c, &s, &n);
	if (!r)
		set_str(mw->cu_db, sizeof(mw->cu_db), s, n);
	return r;
}

static int command(struct mysqlwire *mw, const struct msg *m, __u64 ts)
{
	struct pending *h = head(mw), *p;
	struct stmt *st;
	unsigned char c;
	size_t off;
	int r;

	/* LOCAL INFILE contents, and change-user authentication data, continue
	 * the command's sequence. */
	if (h && (h->rs == RS_INFILE || h->rs == RS_AUTH) && m->seq == h->next_seq) {
		h->next_seq = (unsigned char)(m->last_seq + 1);
		return 0;
	}
	if (m->seq != 0 || m->total == 0)
		return -EPROTO;
	if (m->kept == 0)
		return 0; /* command byte not captured */
	c = m->p[0];
	if (!valid_command(c))
		return -EPROTO;
	switch (c) {
	case COM_STMT_EXECUTE:
		if (m->total < 10)
			return -EPROTO;
		break;
	case COM_STMT_BULK_EXECUTE:
	case COM_STMT_SEND_LONG_DATA:
		if (m->total < 7)
			return -EPROTO;
		break;
	case COM_STMT_CLOSE:
	case COM_STMT_RESET:
	case COM_STMT_FETCH:
		if (m->total < 5)
			return -EPROTO;
		break;
	}
	before_command(mw);
	switch (c) {
	case COM_QUIT:
	case COM_STMT_SEND_LONG_DATA:
		return 0; /* no response */
	case COM_STMT_CLOSE:
		if (m->kept >= 5 && (st = stmt_find(mw, (__u32)le(m->p + 1, 4))))
			stmt_drop(mw, st);
		return 0;
	case COM_BINLOG_DUMP:
	case COM_BINLOG_DUMP_GTID:
		mw->phase = PH_OPAQUE; /* a replication stream from here */
		return 0;
	case COM_QUERY:
		r = query_offset(mw, m, &off);
		if (r < 0)
			return -EPROTO;
		p = push(mw, c, SQL_MSG_QUERY, m, ts);
		if (p && !r)
			pend_text(mw, p, m->p + off, m->kept - off, m->total - off);
		else if (p)
			pend_text(mw, p, "", 0, m->total - 1); /* attributes not captured whole */
		return 0;
	case COM_INIT_DB:
	case COM_STMT_PREPARE:
		p = push(mw, c, c == COM_INIT_DB ? SQL_MSG_INIT_DB : SQL_MSG_PARSE, m, ts);
		if (p)
			pend_text(mw, p, m->p + 1, m->kept - 1, m->total - 1);
		return 0;
	case COM_STMT_EXECUTE:
	case COM_STMT_BULK_EXECUTE:
		off = c == COM_STMT_EXECUTE ? 10 : 7;
		p = push(mw, c, SQL_MSG_EXECUTE, m, ts);
		if (p && m->kept >= off) {
			p->stmt_id = (__u32)le(m->p + 1, 4);
			p->stmt_known = true;
			p->flags = (__u16)(c == COM_STMT_EXECUTE ? m->p[5] : le(m->p + 5, 2));
			pend_text(mw, p, m->p + off, m->kept - off, m->total - off);
		}
		return 0;
	case COM_CHANGE_USER:
		if (change_user(mw, m) < 0)
			return -EPROTO;
		push(mw, c, 0, m, ts);
		return 0;
	default:
		push(mw, c, 0, m, ts);
		return 0;
	}
}

static int on_client(struct mysqlwire *mw, const struct msg *m, __u64 ts)
{
	switch (mw->phase) {
	case PH_START:
		if (m->seq == 1 && looks_like_response(m))
			return handshake_response(mw, m);
		if (m->seq == 0 && m->kept && valid_command(m->p[0])) {
			mw->phase = PH_COMMAND; /* joined mid-stream */
			return command(mw, m, ts);
		}
		return 0;
	case PH_GREETED:
		if (m->seq != 1)
			return -EPROTO;
		return handshake_response(mw, m);
	case PH_AUTH:
		/* A command: the end of authentication was not captured. */
		if (m->seq == 0 && m->kept && valid_command(m->p[0])) {
			mw->phase = PH_COMMAND;
			return command(mw, m, ts);
		}
		return 0; /* authentication data */
	case PH_COMMAND:
		return command(mw, m, ts);
	default:
		return 0;
	}
}

static int on_message(struct mysqlwire *mw, enum sql_dir dir, const struct msg *m, __u64 ts)
{
	if (mw->phase == PH_OPAQUE)
		return 0;
	mw->stats.messages++;
	return dir == SQL_DIR_TO_SERVER ? on_client(mw, m, ts) : on_server(mw, m, ts);
}

/* ---- sync ---- */

static void lose(struct mysqlwire *mw, enum sql_dir dir, __u64 skipped)
{
	struct reader *r = &mw->rd[dir];
	struct pending *h = head(mw);

	rd_reset(r);
	r->lost = true;
	r->skipped = skipped;
	if (dir == SQL_DIR_TO_CLIENT && mw->phase == PH_COMMAND) {
		if (h)
			h->started = true;
		mw->tr.active = false;
	}
}

/*
 * Whether a feed starts at a packet boundary: its packet headers chain with
 * consecutive sequence ids (two at least, or one packet filling the feed).
 */
static bool chain_ok(const unsigned char *p, size_t len, size_t total)
{
	size_t pos = 0, plen, n = 0;
	unsigned char seq = 0;

	while (len - pos >= 4) {
		plen = (size_t)le(p + pos, 3);
		if (n && p[pos + 3] != (unsigned char)(seq + 1))
			return false;
		seq = p[pos + 3];
		n++;
		if (plen >= PKT_MAX || plen > len - pos - 4) {
			pos = len + 1;
			break;
		}
		pos += 4 + plen;
	}
	return n >= 2 || (n == 1 && pos == len && len == total);
}

/* A feed of a lost direction: whether to decode it. */
static bool try_resync(struct mysqlwire *mw, enum sql_dir dir, const unsigned char *p, size_t len, size_t total)
{
	struct reader *r = &mw->rd[dir];
	struct pending *h = head(mw);
	unsigned int k;

	if (dir == SQL_DIR_TO_SERVER || mw->phase != PH_COMMAND)
		goto resync;
	/* Server bytes: only within a result set whose packets chain on. */
	if (!h || !resumable(h) || !chain_ok(p, len, total))
		return false;
	k = (unsigned char)(p[3] - h->next_seq);
	if (r->skipped != SKIPPED_UNKNOWN && r->skipped < 4ULL * k)
		return false; /* k packets cannot fit in the bytes skipped */
	if (r->skipped != SKIPPED_UNKNOWN && r->skipped < 4ULL * (k + 256)) {
		advance(mw, h, k);
	} else {
		/* As many packets modulo 256: rows unknown; position too unless in rows. */
		if (h->rs != RS_ROWS)
			return false;
		h->rows_unknown = true;
	}
	h->next_seq = p[3];
resync:
	rd_reset(r);
	mw->stats.resyncs++;
	return true;
}

/* ---- interface ---- */

/*
 * A decoder for one connection. lim may be NULL, and zero fields take the
 * defaults of sqlwire.h; callbacks are copied. Allocates only this struct:
 * buffers come when traffic needs them. NULL and errno = ENOMEM on failure.
 */
struct mysqlwire *mysqlwire__new(const struct sqlwire_limits *lim, const struct sqlwire_callbacks *cb)
{
	struct mysqlwire *mw = calloc(1, sizeof(*mw));
	size_t keep;

	if (!mw) {
		errno = ENOMEM;
		return NULL;
	}
	if (lim)
		mw->lim = *lim;
	if (!mw->lim.max_text)
		mw->lim.max_text = DEF_MAX_TEXT;
	if (!mw->lim.max_pending)
		mw->lim.max_pending = DEF_MAX_PENDING;
	if (!mw->lim.max_message)
		mw->lim.max_message = DEF_MAX_MESSAGE;
	if (cb)
		mw->cb = *cb;
	/* Fixed headers (prepare OK, execute, handshake) must fit. */
	keep = mw->lim.max_message < 64 ? 64 : mw->lim.max_message;
	mw->rd[SQL_DIR_TO_SERVER].keep_max = keep;
	mw->rd[SQL_DIR_TO_CLIENT].keep_max = keep < SERVER_KEEP ? keep : SERVER_KEEP;
	mw->session.dialect = SQL_DIALECT_MYSQL;
	mw->session.user = mw->user;
	mw->session.database = mw->database;
	mw->session.application_name = mw->app;
	mw->session.server_version = mw->version;
	return mw;
}

/* Frees everything without reporting pending commands. Accepts NULL. */
void mysqlwire__free(struct mysqlwire *mw)
{
	size_t i;

	if (!mw)
		return;
	for (i = 0; i < mw->stmt_cap; i++)
		free(mw->stmts[i].text);
	free(mw->stmts);
	for (i = 0; i < mw->pend_cap; i++)
		free(mw->pend[i].text);
	free(mw->pend);
	free(mw->rd[0].buf);
	free(mw->rd[1].buf);
	free(mw);
}

/*
 * One syscall's bytes: len captured at data, total moved. Reports are made
 * from inside, through the callbacks. 0; -EPROTO after a malformed packet
 * (counted in parse_errors; that direction resumes at a later feed);
 * -EINVAL for a NULL decoder, an unknown direction, NULL data with len > 0,
 * or total < len (nothing is decoded then).
 */
int mysqlwire__feed(struct mysqlwire *mw, enum sql_dir dir, const void *data, size_t len, size_t total, __u64 ts)
{
	struct reader *r;
	int ret;

	if (!mw || (dir != SQL_DIR_TO_SERVER && dir != SQL_DIR_TO_CLIENT) || (len && !data) || total < len)
		return -EINVAL;
	if (total > len)
		mw->stats.gaps++;
	if (mw->phase == PH_OPAQUE)
		return 0;
	r = &mw->rd[dir];
	if (r->lost && !try_resync(mw, dir, data, len, total)) {
		r->skipped = r->skipped > SKIPPED_UNKNOWN - total ? SKIPPED_UNKNOWN : r->skipped + total;
		return 0;
	}
	ret = rd_bytes(mw, dir, data, len, ts);
	if (!ret && total > len && !r->lost && mw->phase != PH_OPAQUE)
		ret = rd_gap(mw, dir, total - len, ts);
	if (ret < 0) {
		mw->stats.parse_errors++;
		lose(mw, dir, SKIPPED_UNKNOWN);
		return -EPROTO;
	}
	if (ret > 0)
		lose(mw, dir, SKIPPED_UNKNOWN);
	return 0;
}

/* Every command still awaiting its response is reported UNKNOWN, oldest
 * first; a second call reports nothing. Accepts NULL. */
void mysqlwire__close(struct mysqlwire *mw)
{
	if (!mw)
		return;
	while (mw->pend_count)
		complete(mw, SQL_OUTCOME_UNKNOWN, NULL, 0);
	mw->tr.active = false;
}

/* The session as known so far, valid until mysqlwire__free; NULL for NULL. */
const struct sql_session *mysqlwire__session(const struct mysqlwire *mw)
{
	return mw ? &mw->session : NULL;
}

/* Counters since mysqlwire__new into *out (zeros for a NULL decoder). */
void mysqlwire__stats(const struct mysqlwire *mw, struct sqlwire_stats *out)
{
	if (!out)
		return;
	if (mw)
		*out = mw->stats;
	else
		memset(out, 0, sizeof(*out));
}

/*
 * Whether the first bytes a server sent start a HandshakeV10: sequence 0,
 * protocol 10, a plausible payload length, and a server version of
 * printable characters starting with a digit, NUL-terminated inside the
 * payload (or cut by the end of what was captured).
 */
bool mysqlwire__looks_like_greeting(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t plen, i;

	if (!p || len < 5 || p[3] != 0 || p[4] != 10)
		return false;
	plen = (size_t)le(p, 3);
	/* Protocol 10, the server version, then 15 bytes at least (connection
	 * id, auth data, filler, capabilities). */
	if (plen < 18 || plen > 1024)
		return false;
	for (i = 5; i < len && i < 4 + plen; i++) {
		if (p[i] == '\0')
			return i > 5 && plen >= i - 4 + 1 + 15;
		if (p[i] < 0x20 || p[i] > 0x7e || (i == 5 && (p[i] < '0' || p[i] > '9')))
			return false;
	}
	return i == len; /* captured bytes end inside the version */
}

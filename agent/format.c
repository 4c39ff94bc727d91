/*
 * format: text and JSON renderings of events (schema aisec.event.v1).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "format.h"
#include "jsonw.h"
#include "netfmt.h"
#include "sqllex.h"

/* "YYYY-MM-DDTHH:MM:SS": 19 bytes for every time a __u64 of ns can hold
 * (years 1970 to 2554). */
#define RFC3339_SECS_LEN 19
/* The whole text: seconds, '.', 9 digits, 'Z'. */
#define RFC3339_LEN (RFC3339_SECS_LEN + 11)

/*
 * The seconds part of the last two distinct seconds this thread formatted.
 * Events come nearly in time order, so it changes about once a second, and
 * gmtime_r with strftime for every event cost more than the rest of the
 * time field; two entries so that events alternating across a second
 * boundary (or an evidence record's time between its event's) still hit.
 * Per thread, so format__rfc3339 needs no lock and no caller state (the
 * format_ctx callers pass is const). An entry is empty while its text is "".
 */
struct rfc3339_cache {
	__u64 secs[2];
	char text[2][RFC3339_SECS_LEN + 1];
	unsigned last; /* the entry used last; a miss fills the other */
};

static _Thread_local struct rfc3339_cache rfc3339_cache;

/* The seconds part for secs, from the cache or made and cached. */
static const char *rfc3339_secs(__u64 secs)
{
	struct rfc3339_cache *c = &rfc3339_cache;
	time_t t = (time_t)secs;
	struct tm tm;
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (c->text[i][0] && c->secs[i] == secs) {
			c->last = i;
			return c->text[i];
		}
	}
	i = !c->last;
	gmtime_r(&t, &tm);
	if (strftime(c->text[i], sizeof(c->text[i]), "%Y-%m-%dT%H:%M:%S", &tm) != RFC3339_SECS_LEN) {
		/* Cannot happen for a __u64 of ns; not cached if it does. */
		c->text[i][0] = '\0';
		return NULL;
	}
	c->secs[i] = secs;
	c->last = i;
	return c->text[i];
}

/* The whole text made from scratch; as snprintf cuts it when len is short. */
static void rfc3339_uncached(char *buf, size_t len, __u64 wall_ns)
{
	time_t secs = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09lluZ", (unsigned long long)(wall_ns % 1000000000ull));
}

void format__rfc3339(char *buf, size_t len, __u64 wall_ns)
{
	const char *secs = len > RFC3339_LEN ? rfc3339_secs(wall_ns / 1000000000ull) : NULL;
	unsigned ns = (unsigned)(wall_ns % 1000000000ull);

	if (!secs) {
		rfc3339_uncached(buf, len, wall_ns);
		return;
	}
	memcpy(buf, secs, RFC3339_SECS_LEN);
	buf[RFC3339_SECS_LEN] = '.';
	for (size_t i = RFC3339_LEN - 2; i > RFC3339_SECS_LEN; i--) {
		buf[i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	buf[RFC3339_LEN - 1] = 'Z';
	buf[RFC3339_LEN] = '\0';
}

const char *format__errno_name(__s64 ret)
{
	const char *name;

	if (ret >= 0)
		return "";
	/* Errnos are 1..4095; anything further down would be named after its
	 * low 32 bits (and -INT64_MIN overflows). */
	if (ret < -4095)
		return "E?";
	name = strerrorname_np((int)-ret);
	return name ? name : "E?";
}

/* Append s at buf + n (the caller made room); returns the new length. */
static size_t append_str(char *buf, size_t n, const char *s)
{
	size_t l = strlen(s);

	memcpy(buf + n, s, l);
	return n + l;
}

/* Append v in base 8 or 16 (lowercase), zero-padded to at least min digits
 * as "%0*llo" / "%0*llx" would, at buf + n (room for 22 digits); returns the
 * new length. */
static size_t append_digits(char *buf, size_t n, __u64 v, unsigned base, size_t min)
{
	char tmp[24];
	size_t k = 0;

	do {
		tmp[k++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (k < min)
		tmp[k++] = '0';
	while (k)
		buf[n++] = tmp[--k];
	return n;
}

void format__open_flags(char *buf, size_t len, __u64 flags)
{
	static const struct {
		__u64 bit;
		const char *name;
	} bits[] = {
		{ O_TMPFILE, "O_TMPFILE" },     { O_CREAT, "O_CREAT" },         { O_EXCL, "O_EXCL" },         { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" },         { O_APPEND, "O_APPEND" },     { O_NONBLOCK, "O_NONBLOCK" },
		{ O_SYNC, "O_SYNC" },         { O_DSYNC, "O_DSYNC" },       { O_ASYNC, "O_ASYNC" },
		{ O_DIRECT, "O_DIRECT" },       { 0100000, "O_LARGEFILE" },   { O_DIRECTORY, "O_DIRECTORY" },
		{ O_NOFOLLOW, "O_NOFOLLOW" },   { O_NOATIME, "O_NOATIME" },   { O_CLOEXEC, "O_CLOEXEC" },
		{ O_PATH, "O_PATH" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	/* The longest text, every name and unknown bits, is 184 bytes. */
	char full[256];
	size_t n;
	__u64 rest;

	if (len == 0)
		return;
	/* Built whole without printf (it runs for every open event), then cut
	 * to the buffer as snprintf would: the first len - 1 bytes. */
	n = append_str(full, 0, acc[flags & O_ACCMODE]);
	rest = flags & ~(__u64)O_ACCMODE;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		/* O_SYNC contains O_DSYNC and O_TMPFILE contains O_DIRECTORY: match whole. */
		if ((rest & bits[i].bit) == bits[i].bit) {
			full[n++] = '|';
			n = append_str(full, n, bits[i].name);
			rest &= ~bits[i].bit;
		}
	}
	if (rest) {
		n = append_str(full, n, "|0x");
		n = append_digits(full, n, rest, 16, 1);
	}
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, full, n);
	buf[n] = '\0';
}

/* Bytes a shell word can hold unquoted. */
static bool shell_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("@%_+=:,./-", c);
}

void format__shell_words(struct strbuf *out, const char *const *argv, size_t argc)
{
	for (size_t i = 0; i < argc; i++) {
		const unsigned char *a = (const unsigned char *)argv[i];
		bool safe = *a != '\0', printable = true;

		for (const unsigned char *p = a; *p; p++) {
			if (!shell_safe(*p))
				safe = false;
			if (*p < 0x20 || *p >= 0x7f)
				printable = false;
		}
		if (i)
			strbuf__putc(out, ' ');
		if (safe) {
			strbuf__puts(out, argv[i]);
		} else if (printable) {
			strbuf__putc(out, '\'');
			for (const unsigned char *p = a; *p; p++) {
				if (*p == '\'')
					strbuf__puts(out, "'\\''");
				else
					strbuf__putc(out, (char)*p);
			}
			strbuf__putc(out, '\'');
		} else {
			strbuf__puts(out, "$'");
			for (const unsigned char *p = a; *p; p++) {
				if (*p == '\'' || *p == '\\')
					strbuf__printf(out, "\\%c", *p);
				else if (*p < 0x20 || *p >= 0x7f)
					strbuf__printf(out, "\\x%02x", *p);
				else
					strbuf__putc(out, (char)*p);
			}
			strbuf__putc(out, '\'');
		}
	}
}

/* A string for one text line: non-printable bytes as \xNN, '"' and '\\' escaped. */
static void text_escaped(struct strbuf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf__printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			strbuf__printf(out, "\\x%02x", *p);
		else
			strbuf__putc(out, (char)*p);
	}
}

/* The same, in double quotes. */
static void text_quoted(struct strbuf *out, const char *s)
{
	strbuf__putc(out, '"');
	text_escaped(out, s);
	strbuf__putc(out, '"');
}

/* "@name" / "/path" of a net record's unix address. */
static void unix_name(char *buf, size_t len, const struct aisec_net *n)
{
	netfmt__unix_path(buf, len, n->unix_path, n->unix_len);
}

static void json_net(struct jsonw *w, const struct event *ev)
{
	const struct aisec_net *n = ev->raw.net;
	char a[NETFMT_MAX];

	jsonw__obj_open(w, "net");
	jsonw__str(w, "syscall", events__syscall_name(n->hdr.syscall));
	jsonw__int(w, "fd", n->fd);
	jsonw__int(w, "ret", n->ret);
	if (n->ret < 0)
		jsonw__str(w, "error", format__errno_name(n->ret));
	jsonw__str(w, "family", netfmt__family(n->family));
	if (*netfmt__sock_type(n->sock_type))
		jsonw__str(w, "sock_type", netfmt__sock_type(n->sock_type));
	if (n->family == AF_UNIX) {
		unix_name(a, sizeof(a), n);
		jsonw__str(w, "unix_path", a);
	} else if (n->family == AF_INET || n->family == AF_INET6) {
		/* connect/accept: the remote end; bind/listen: the local one. */
		if (ev->kind == AISEC_EV_CONNECT || ev->kind == AISEC_EV_ACCEPT) {
			netfmt__addr(a, sizeof(a), n->family, n->addr);
			jsonw__str(w, "addr", a);
			jsonw__uint(w, "port", n->port);
		}
		netfmt__addr(a, sizeof(a), n->family, n->laddr);
		jsonw__str(w, "local_addr", a);
		jsonw__uint(w, "local_port", n->lport);
	}
	if (ev->kind == AISEC_EV_LISTEN)
		jsonw__uint(w, "backlog", n->backlog);
	jsonw__obj_close(w);
}

static const char *sql_message_name(const struct sql_event *se)
{
	if (!se->q)
		return "encrypted";
	switch (se->q->kind) {
	case SQL_MSG_QUERY:
		return "query";
	case SQL_MSG_PARSE:
		return "parse";
	case SQL_MSG_EXECUTE:
		return "execute";
	case SQL_MSG_INIT_DB:
		return "init_db";
	default:
		return "unknown";
	}
}

static const char *sql_outcome_name(enum sql_outcome o)
{
	return o == SQL_OUTCOME_OK ? "ok" : o == SQL_OUTCOME_ERROR ? "error" : "unknown";
}

/* The query text as the --sql-text mode allows; NULL for none. */
static const char *sql_text(const struct format_ctx *fc, const struct sql_event *se, size_t *len)
{
	const struct sql_query *q = se->q;

	if (fc->sql_text == SQL_TEXT_NONE)
		return NULL;
	if (fc->sql_text == SQL_TEXT_REDACTED) {
		/* Fail closed: without a buffer to redact into, no text at all. */
		if (!fc->scratch)
			return NULL;
		/* Each literal becomes one '?': the result is never longer. */
		strbuf__reset(fc->scratch);
		strbuf__append(fc->scratch, q->text, q->text_len);
		if (fc->scratch->oom)
			return NULL;
		*len = sqllex__redact(q->text, q->text_len, se->dialect, fc->scratch->data, fc->scratch->cap);
		if (*len >= fc->scratch->cap)
			*len = fc->scratch->cap - 1;
		return fc->scratch->data;
	}
	*len = q->text_len;
	return q->text;
}

static void json_sql(struct jsonw *w, const struct format_ctx *fc, const struct sql_event *se)
{
	const struct sql_query *q = se->q;
	const struct sql_session *s = se->s;
	const char *text;
	size_t tlen = 0;

	jsonw__obj_open(w, "sql");
	jsonw__str(w, "dialect", sqlcap__dialect_name(se->dialect));
	jsonw__str(w, "message", sql_message_name(se));
	if (q) {
		text = sql_text(fc, se, &tlen);
		if (text)
			jsonw__strn(w, "query", text, tlen);
		jsonw__bool(w, "query_truncated", q->truncated);
		jsonw__uint(w, "query_bytes", q->text_total);
		if (q->kind != SQL_MSG_QUERY && q->kind != SQL_MSG_INIT_DB)
			jsonw__str(w, "statement", q->statement);
		if (q->param_count >= 0) {
			jsonw__int(w, "param_count", q->param_count);
			if (q->kind == SQL_MSG_EXECUTE && se->dialect == SQL_DIALECT_POSTGRES) {
				jsonw__arr_open(w, "param_lengths");
				for (int i = 0; i < q->param_count && i < SQL_MAX_PARAMS; i++)
					jsonw__int(w, NULL, q->param_lengths[i]);
				jsonw__arr_close(w);
				if (q->param_values && fc->sql_text == SQL_TEXT_FULL) {
					jsonw__arr_open(w, "param_values");
					for (int i = 0; i < q->param_count && i < SQL_MAX_PARAMS; i++)
						jsonw__str(w, NULL, q->param_values[i]);
					jsonw__arr_close(w);
				}
			}
		}
	}
	jsonw__str(w, "user", s ? s->user : "");
	jsonw__str(w, "database", s ? s->database : "");
	if (s && s->application_name && *s->application_name)
		jsonw__str(w, "application_name", s->application_name);
	jsonw__str(w, "server", se->server);
	jsonw__uint(w, "connection", se->conn_id);
	jsonw__bool(w, "encrypted", s && s->encrypted);
	jsonw__bool(w, "startup_seen", s && s->startup_seen);
	if (q) {
		jsonw__str(w, "outcome", sql_outcome_name(q->outcome));
		if (q->outcome == SQL_OUTCOME_ERROR) {
			jsonw__str(w, "sqlstate", q->sqlstate);
			if (se->dialect == SQL_DIALECT_MYSQL)
				jsonw__int(w, "error_code", q->error_code);
			jsonw__str(w, "error", q->error_message ? q->error_message : "");
		}
		if (q->command_tag && *q->command_tag)
			jsonw__str(w, "command_tag", q->command_tag);
		if (q->outcome == SQL_OUTCOME_OK)
			jsonw__uint(w, "rows", q->rows);
		if (q->ts_response && q->ts_response >= q->ts_request)
			jsonw__uint(w, "latency_us", (q->ts_response - q->ts_request) / 1000);
	}
	jsonw__obj_close(w);
}

static void text_sql(struct strbuf *out, const struct format_ctx *fc, const struct sql_event *se)
{
	const struct sql_query *q = se->q;
	const struct sql_session *s = se->s;
	const char *text;
	size_t tlen = 0;

	strbuf__printf(out, "%s ", sqlcap__dialect_name(se->dialect));
	/* Names, tags and states come off the wire, written by the watched
	 * client or its server: escaped like comm, so they cannot break the line. */
	if (s && *s->user) {
		text_escaped(out, s->user);
		strbuf__putc(out, '@');
		text_escaped(out, *s->database ? s->database : "?");
		strbuf__putc(out, ' ');
	}
	strbuf__printf(out, "%s %s", se->server, sql_message_name(se));
	if (!q)
		return;
	if (q->kind != SQL_MSG_QUERY && q->kind != SQL_MSG_INIT_DB && *q->statement) {
		strbuf__puts(out, " stmt=");
		text_escaped(out, q->statement);
	}
	text = sql_text(fc, se, &tlen);
	if (text) {
		struct strbuf t = STRBUF_INIT;

		strbuf__append(&t, text, tlen);
		strbuf__putc(out, ' ');
		text_quoted(out, t.data ? t.data : "");
		strbuf__free(&t);
	}
	if (q->truncated)
		strbuf__printf(out, " [%zu of %zu bytes]", q->text_len, q->text_total);
	if (q->param_count > 0)
		strbuf__printf(out, " params=%d", q->param_count);
	strbuf__printf(out, " = %s", sql_outcome_name(q->outcome));
	if (q->outcome == SQL_OUTCOME_ERROR) {
		if (se->dialect == SQL_DIALECT_MYSQL)
			strbuf__printf(out, " %d", q->error_code);
		strbuf__putc(out, ' ');
		text_escaped(out, q->sqlstate);
		strbuf__putc(out, ' ');
		text_quoted(out, q->error_message ? q->error_message : "");
	} else if (q->command_tag && *q->command_tag) {
		strbuf__putc(out, ' ');
		text_escaped(out, q->command_tag);
	} else if (q->outcome == SQL_OUTCOME_OK) {
		strbuf__printf(out, " rows=%llu", (unsigned long long)q->rows);
	}
	if (q->ts_response && q->ts_response >= q->ts_request)
		strbuf__printf(out, " (%.3f ms)", (double)(q->ts_response - q->ts_request) / 1e6);
}

/* "k8s": pod and container identity (run only; null when unknown). */
static void json_k8s(struct jsonw *w, const struct pod_meta *pod)
{
	if (!pod || !pod->source) {
		jsonw__null(w, "k8s");
		return;
	}
	jsonw__obj_open(w, "k8s");
	jsonw__str(w, "namespace", pod->namespace_);
	jsonw__str(w, "pod", pod->pod);
	jsonw__str(w, "pod_uid", pod->pod_uid);
	jsonw__str(w, "container", pod->container);
	jsonw__str(w, "image", pod->image);
	jsonw__obj_open(w, "labels");
	for (size_t i = 0; i < pod->nlabels && i < PODMETA_MAX_LABELS; i++)
		jsonw__str(w, pod->labels[i].key, pod->labels[i].value);
	jsonw__obj_close(w);
	jsonw__str(w, "source", pod->source);
	jsonw__obj_close(w);
}

/* exe, cmdline, cwd: "" for a process the cache does not know. */
static void json_files(struct jsonw *w, const struct proc_info *p)
{
	jsonw__str(w, "exe", p ? p->exe : "");
	jsonw__str(w, "cmdline", p ? p->cmdline : "");
	jsonw__str(w, "cwd", p ? p->cwd : "");
}

/* cgroup and container. */
static void json_cgroup(struct jsonw *w, const struct proc_info *p)
{
	jsonw__str(w, "cgroup", p ? p->cgroup : "");
	if (p && p->container.runtime != CONTAINER_NONE) {
		jsonw__obj_open(w, "container");
		jsonw__str(w, "id", p->container.id);
		jsonw__str(w, "runtime", container__runtime_name(p->container.runtime));
		jsonw__obj_close(w);
	} else {
		jsonw__null(w, "container");
	}
}

/* The ancestors, each with what the cache has on it (procs may be NULL). */
static void json_ancestry(struct jsonw *w, const struct proc_cache *procs, const __u32 *pids, size_t n)
{
	jsonw__arr_open(w, "ancestry");
	for (size_t i = 0; i < n; i++) {
		const struct proc_info *a = procs ? proc_cache__peek(procs, pids[i]) : NULL;

		jsonw__obj_open(w, NULL);
		jsonw__uint(w, "pid", pids[i]);
		jsonw__str(w, "comm", a ? a->comm : "");
		jsonw__str(w, "exe", a ? a->exe : "");
		jsonw__obj_close(w);
	}
	jsonw__arr_close(w);
}

/* ---- the process fragment cache (see format.h) ---- */

/* A power of two, so the slot of a pid is a mask. */
#define FORMAT_CACHE_SLOTS 256

struct fragment_slot {
	const struct proc_cache *procs; /* what it was built against; NULL: empty */
	__u64 generation;		/* procs' generation then */
	__u32 pid;			/* the events' pid */
	const struct proc_info *proc;	/* files and cgroup hold this entry's members; NULL: they hold nothing */
	bool have_ancestry;		/* lineage holds the ancestry of the pids below */
	size_t nancestry;
	__u32 ancestry[PROC_ANCESTRY_MAX];
	struct strbuf files;   /* "exe":...,"cmdline":...,"cwd":... */
	struct strbuf cgroup;  /* "cgroup":...,"container":... */
	struct strbuf lineage; /* "ancestry":[...] */
};

struct format_cache {
	struct fragment_slot slots[FORMAT_CACHE_SLOTS];
	__u64 renders;
};

struct format_cache *format_cache__new(void)
{
	struct format_cache *c = calloc(1, sizeof(*c));

	if (!c)
		errno = ENOMEM;
	return c;
}

void format_cache__free(struct format_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < FORMAT_CACHE_SLOTS; i++) {
		strbuf__free(&cache->slots[i].files);
		strbuf__free(&cache->slots[i].cgroup);
		strbuf__free(&cache->slots[i].lineage);
	}
	free(cache);
}

__u64 format_cache__renders(const struct format_cache *cache)
{
	return cache->renders;
}

/* The slot for an event of pid, emptied first when the process cache it was
 * built against may have changed since; NULL when fc caches nothing. */
static struct fragment_slot *slot_for(const struct format_ctx *fc, __u32 pid)
{
	struct fragment_slot *s;
	__u64 gen;

	if (!fc->cache || !fc->procs)
		return NULL;
	gen = proc_cache__generation(fc->procs);
	s = &fc->cache->slots[pid & (FORMAT_CACHE_SLOTS - 1)];
	if (s->procs != fc->procs || s->generation != gen || s->pid != pid) {
		s->procs = fc->procs;
		s->generation = gen;
		s->pid = pid;
		s->proc = NULL;
		s->have_ancestry = false;
	}
	return s;
}

/* Whether s holds the files and cgroup members of p, rendering them when
 * not yet. p is an entry of s->procs, unchanged since s->generation. */
static bool proc_fragments(struct format_cache *c, struct fragment_slot *s, const struct proc_info *p)
{
	struct jsonw fw;

	if (s->proc == p)
		return true;
	c->renders++;
	strbuf__reset(&s->files);
	jsonw__init(&fw, &s->files);
	json_files(&fw, p);
	strbuf__reset(&s->cgroup);
	jsonw__init(&fw, &s->cgroup);
	json_cgroup(&fw, p);
	/* Out of memory: the text is cut short, so it is not kept. */
	s->proc = s->files.oom || s->cgroup.oom ? NULL : p;
	return s->proc != NULL;
}

/* Whether s holds the ancestry member of e, rendering it when not yet. */
static bool ancestry_fragment(struct format_cache *c, struct fragment_slot *s, const struct enriched *e)
{
	struct jsonw fw;

	if (e->nancestry > PROC_ANCESTRY_MAX)
		return false;
	if (s->have_ancestry && s->nancestry == e->nancestry &&
	    !memcmp(s->ancestry, e->ancestry, e->nancestry * sizeof(e->ancestry[0])))
		return true;
	c->renders++;
	strbuf__reset(&s->lineage);
	jsonw__init(&fw, &s->lineage);
	json_ancestry(&fw, s->procs, e->ancestry, e->nancestry);
	s->nancestry = e->nancestry;
	memcpy(s->ancestry, e->ancestry, e->nancestry * sizeof(e->ancestry[0]));
	s->have_ancestry = !s->lineage.oom;
	return s->have_ancestry;
}

/*
 * The pid to comm members come with the event (the header); k8s comes from
 * the pod, which the process cache does not hold: both are written every
 * time. The rest is a function of the process cache alone and comes from
 * fc->cache when it has it.
 */
static void json_process(struct jsonw *w, const struct format_ctx *fc, const struct enriched *e)
{
	const struct aisec_hdr *h = e->ev->hdr;
	const struct proc_info *p = e->proc;
	struct fragment_slot *s = slot_for(fc, h->pid);
	/* An entry of fc->procs only: nothing tells when any other proc_info changes. */
	bool have_proc = s && p && proc_cache__holds(fc->procs, p) && proc_fragments(fc->cache, s, p);

	jsonw__obj_open(w, "process");
	jsonw__uint(w, "pid", h->pid);
	jsonw__uint(w, "tid", h->tid);
	jsonw__uint(w, "ppid", h->ppid);
	jsonw__uint(w, "uid", h->uid);
	jsonw__str(w, "comm", e->ev->comm);
	if (have_proc)
		jsonw__members(w, s->files.data, s->files.len);
	else
		json_files(w, p);
	jsonw__uint(w, "cgroup_id", h->cgroup_id);
	if (have_proc)
		jsonw__members(w, s->cgroup.data, s->cgroup.len);
	else
		json_cgroup(w, p);
	if (e->service || e->pod)
		json_k8s(w, e->pod);
	if (s && ancestry_fragment(fc->cache, s, e))
		jsonw__members(w, s->lineage.data, s->lineage.len);
	else
		json_ancestry(w, fc->procs, e->ancestry, e->nancestry);
	jsonw__obj_close(w);
}

void format__json(struct strbuf *out, const struct format_ctx *fc, const struct enriched *e)
{
	const struct event *ev = e->ev;
	const struct aisec_hdr *h = ev->hdr;
	struct jsonw w;
	char ts[48], flags[256], mode[32];

	format__rfc3339(ts, sizeof(ts), h->ts_ns + (__u64)fc->boot_to_wall_ns);
	jsonw__init(&w, out);
	jsonw__obj_open(&w, NULL);
	jsonw__str(&w, "schema", FORMAT_EVENT_SCHEMA);
	jsonw__str(&w, "time", ts);
	jsonw__uint(&w, "boot_ns", h->ts_ns);
	jsonw__str(&w, "kind", e->sql ? "sql" : events__kind_name(ev->kind));
	jsonw__str(&w, "host", fc->host ? fc->host : "");
	if (e->service)
		jsonw__str(&w, "service", e->service);
	json_process(&w, fc, e);

	if (e->sql) {
		json_sql(&w, fc, e->sql);
		jsonw__obj_close(&w);
		strbuf__putc(out, '\n');
		return;
	}
	switch (ev->kind) {
	case AISEC_EV_EXEC:
		jsonw__obj_open(&w, "exec");
		jsonw__str(&w, "filename", ev->filename);
		jsonw__bool(&w, "filename_truncated", ev->filename_truncated);
		jsonw__arr_open(&w, "argv");
		for (size_t i = 0; i < ev->argc; i++)
			jsonw__str(&w, NULL, ev->argv[i]);
		jsonw__arr_close(&w);
		jsonw__bool(&w, "argv_truncated", ev->argv_truncated);
		jsonw__uint(&w, "argv_bytes", ev->raw.exec->argv_total);
		jsonw__obj_close(&w);
		break;
	case AISEC_EV_FORK:
		jsonw__obj_open(&w, "fork");
		jsonw__uint(&w, "parent_pid", h->ppid);
		jsonw__uint(&w, "parent_tid", ev->raw.fork->parent_tid);
		jsonw__obj_close(&w);
		break;
	case AISEC_EV_EXIT:
		jsonw__obj_open(&w, "exit");
		jsonw__int(&w, "code", ev->exit_code);
		jsonw__int(&w, "signal", ev->exit_signal);
		if (ev->exit_signal) {
			const char *abbrev = sigabbrev_np(ev->exit_signal);
			char name[32] = "";

			if (abbrev)
				snprintf(name, sizeof(name), "SIG%s", abbrev);
			jsonw__str(&w, "signal_name", name);
		}
		jsonw__bool(&w, "core_dumped", ev->core_dumped);
		jsonw__obj_close(&w);
		break;
	case AISEC_EV_OPEN: {
		const struct aisec_open *o = ev->raw.open;

		format__open_flags(flags, sizeof(flags), o->flags);
		jsonw__obj_open(&w, "open");
		jsonw__str(&w, "syscall", events__syscall_name(h->syscall));
		jsonw__str(&w, "path", ev->path);
		jsonw__bool(&w, "path_truncated", ev->path_truncated);
		jsonw__int(&w, "dirfd", o->dirfd);
		jsonw__str(&w, "flags", flags);
		jsonw__uint(&w, "flags_raw", o->flags);
		mode[append_digits(mode, 0, o->mode, 8, 4)] = '\0';
		jsonw__str(&w, "mode", mode);
		if (h->syscall == AISEC_SYS_OPENAT2)
			jsonw__uint(&w, "resolve", o->resolve);
		jsonw__int(&w, "ret", o->ret);
		if (o->ret < 0)
			jsonw__str(&w, "error", format__errno_name(o->ret));
		jsonw__obj_close(&w);
		break;
	}
	case AISEC_EV_CONNECT:
	case AISEC_EV_ACCEPT:
	case AISEC_EV_BIND:
	case AISEC_EV_LISTEN:
		json_net(&w, ev);
		break;
	default:
		/* No payload object for kinds rendered elsewhere (payload records):
		 * their raw member is not a net record. */
		break;
	}
	if (h->flags & AISEC_F_READ_FAIL)
		jsonw__bool(&w, "incomplete", true);
	jsonw__obj_close(&w);
	strbuf__putc(out, '\n');
}

void format__text(struct strbuf *out, const struct format_ctx *fc, const struct enriched *e)
{
	const struct event *ev = e->ev;
	const struct aisec_hdr *h = ev->hdr;
	const struct proc_info *p = e->proc;
	__u64 wall = h->ts_ns + (__u64)fc->boot_to_wall_ns;
	time_t secs = (time_t)(wall / 1000000000ull);
	const char *bold = fc->color ? "\033[1m" : "", *reset = fc->color ? "\033[0m" : "";
	char tbuf[16], a[NETFMT_MAX], flags[256];
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	strbuf__printf(out, "%s.%06llu %s%-7s%s ", tbuf, (unsigned long long)(wall % 1000000000ull) / 1000, bold,
		       e->sql ? "sql" : events__kind_name(ev->kind), reset);
	/* comm is chosen by the traced program (prctl): escaped, so it cannot
	 * break the line or send terminal escapes. */
	text_escaped(out, ev->comm);
	strbuf__printf(out, "[%u] ppid=%u uid=%u", h->pid, h->ppid, h->uid);
	if (p && p->container.runtime != CONTAINER_NONE)
		strbuf__printf(out, " ctr=%.12s", p->container.id);
	strbuf__putc(out, ' ');

	if (e->sql) {
		text_sql(out, fc, e->sql);
		strbuf__putc(out, '\n');
		return;
	}
	switch (ev->kind) {
	case AISEC_EV_EXEC:
		text_quoted(out, ev->filename);
		if (ev->filename_truncated)
			strbuf__puts(out, " [filename truncated]");
		strbuf__putc(out, ' ');
		format__shell_words(out, ev->argv, ev->argc);
		if (ev->argv_truncated)
			strbuf__puts(out, " [argv truncated]");
		break;
	case AISEC_EV_FORK:
		strbuf__printf(out, "child of %u", h->ppid);
		break;
	case AISEC_EV_EXIT:
		if (ev->exit_signal)
			strbuf__printf(out, "killed by SIG%s%s", sigabbrev_np(ev->exit_signal) ?: "?",
				       ev->core_dumped ? " (core dumped)" : "");
		else
			strbuf__printf(out, "code=%d", ev->exit_code);
		break;
	case AISEC_EV_OPEN: {
		const struct aisec_open *o = ev->raw.open;

		format__open_flags(flags, sizeof(flags), o->flags);
		strbuf__printf(out, "%s ", events__syscall_name(h->syscall));
		text_quoted(out, ev->path);
		if (ev->path_truncated)
			strbuf__puts(out, " [path truncated]");
		strbuf__printf(out, " %s", flags);
		if ((o->flags & O_CREAT) || (o->flags & O_TMPFILE) == O_TMPFILE)
			strbuf__printf(out, " mode=%04llo", (unsigned long long)o->mode);
		if (o->ret < 0)
			strbuf__printf(out, " = %lld %s", (long long)o->ret, format__errno_name(o->ret));
		else
			strbuf__printf(out, " = %lld", (long long)o->ret);
		break;
	}
	case AISEC_EV_CONNECT:
	case AISEC_EV_ACCEPT:
	case AISEC_EV_BIND:
	case AISEC_EV_LISTEN: {
		const struct aisec_net *n = ev->raw.net;
		bool remote = ev->kind == AISEC_EV_CONNECT || ev->kind == AISEC_EV_ACCEPT;

		strbuf__printf(out, "%s %s", events__syscall_name(h->syscall), netfmt__family(n->family));
		if (n->family == AF_UNIX || n->family == AF_INET || n->family == AF_INET6)
			strbuf__putc(out, ' ');
		if (n->family == AF_UNIX) {
			/* netfmt already wrote it as printable ASCII. */
			unix_name(a, sizeof(a), n);
			strbuf__printf(out, "\"%s\"", a);
		} else if (remote) {
			netfmt__endpoint(a, sizeof(a), n->family, n->addr, n->port);
			strbuf__puts(out, a);
			netfmt__endpoint(a, sizeof(a), n->family, n->laddr, n->lport);
			if (*a)
				strbuf__printf(out, " local=%s", a);
		} else {
			netfmt__endpoint(a, sizeof(a), n->family, n->laddr, n->lport);
			strbuf__puts(out, a);
		}
		if (ev->kind == AISEC_EV_LISTEN)
			strbuf__printf(out, " backlog=%u", n->backlog);
		strbuf__printf(out, " fd=%d", n->fd);
		if (n->ret < 0)
			strbuf__printf(out, " = %lld %s", (long long)n->ret, format__errno_name(n->ret));
		else
			strbuf__printf(out, " = %lld", (long long)n->ret);
		break;
	}
	default:
		break;
	}
	if (h->flags & AISEC_F_READ_FAIL)
		strbuf__puts(out, " [incomplete]");
	strbuf__putc(out, '\n');
}

static void json_cwes(struct jsonw *w, const char *key, const int *cwes, size_t n)
{
	jsonw__arr_open(w, key);
	for (size_t i = 0; i < n; i++)
		jsonw__int(w, NULL, cwes[i]);
	jsonw__arr_close(w);
}

void format__evidence_json(struct strbuf *out, const struct format_ctx *fc, const struct format_service *svc,
			   const struct correlate_evidence *ev, __u64 wall_ns, const char *event_json, size_t n)
{
	const struct finding *f = ev->finding;
	struct jsonw w;
	char ts[48];

	format__rfc3339(ts, sizeof(ts), wall_ns);
	jsonw__init(&w, out);
	jsonw__obj_open(&w, NULL);
	jsonw__str(&w, "schema", FORMAT_EVIDENCE_SCHEMA);
	jsonw__str(&w, "time", ts);
	jsonw__str(&w, "host", fc->host ? fc->host : "");
	jsonw__obj_open(&w, "agent");
	jsonw__str(&w, "version", AISEC_VERSION);
	jsonw__str(&w, "id", svc && svc->agent_id ? svc->agent_id : "");
	jsonw__uint(&w, "seq", svc ? svc->seq : 0);
	jsonw__obj_close(&w);
	jsonw__obj_open(&w, "service");
	if (svc && svc->name)
		jsonw__str(&w, "name", svc->name);
	jsonw__uint(&w, "pid", svc ? svc->pid : 0);
	jsonw__str(&w, "comm", svc && svc->comm ? svc->comm : "");
	jsonw__str(&w, "exe", svc && svc->exe ? svc->exe : "");
	if (svc && svc->name)
		json_k8s(&w, svc->pod);
	jsonw__obj_close(&w);
	if (f) {
		jsonw__obj_open(&w, "finding");
		jsonw__str(&w, "tool", f->tool);
		jsonw__str(&w, "rule_id", f->rule_id);
		json_cwes(&w, "cwe", f->cwes, f->ncwes);
		jsonw__str(&w, "uri", f->uri);
		jsonw__int(&w, "line", f->start_line);
		jsonw__str(&w, "fingerprint", f->fingerprint);
		jsonw__str(&w, "sarif_file", f->file);
		jsonw__str(&w, "level", f->level);
		jsonw__str(&w, "message", f->message);
		jsonw__obj_close(&w);
	} else {
		jsonw__null(&w, "finding");
	}
	jsonw__str(&w, "status", finding__status_name(ev->status));
	jsonw__str(&w, "previous_status", finding__status_name(ev->previous));
	jsonw__str(&w, "detector", ev->detector);
	json_cwes(&w, "cwe", ev->cwes, ev->ncwes);
	jsonw__str(&w, "reason", ev->reason);
	jsonw__int(&w, "confidence", ev->confidence);
	jsonw__str(&w, "severity", ev->severity ? ev->severity : "");
	jsonw__arr_open(&w, "events");
	if (event_json && n)
		jsonw__raw(&w, NULL, event_json, n);
	jsonw__arr_close(&w);
	jsonw__obj_close(&w);
	strbuf__putc(out, '\n');
}

void format__evidence_text(struct strbuf *out, const struct format_ctx *fc, const struct correlate_evidence *ev,
			   __u64 wall_ns)
{
	const struct finding *f = ev->finding;
	const char *hi = fc->color ? (ev->status == FINDING_CONFIRMED ? "\033[1;31m" : "\033[1;33m") : "";
	const char *reset = fc->color ? "\033[0m" : "";
	time_t secs = (time_t)(wall_ns / 1000000000ull);
	char tbuf[16];
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	strbuf__printf(out, "%s.%06llu %s>>> EVIDENCE %s%s", tbuf, (unsigned long long)(wall_ns % 1000000000ull) / 1000,
		       hi, finding__status_name(ev->status), reset);
	for (size_t i = 0; i < ev->ncwes; i++)
		strbuf__printf(out, "%sCWE-%d", i ? "," : " ", ev->cwes[i]);
	if (f) {
		strbuf__puts(out, " ");
		text_escaped(out, f->uri);
		strbuf__printf(out, ":%d (", f->start_line);
		text_escaped(out, f->tool);
		strbuf__putc(out, ' ');
		text_escaped(out, f->rule_id);
		strbuf__putc(out, ')');
	} else {
		strbuf__puts(out, " no static finding");
	}
	strbuf__printf(out, " [%s, confidence %d]: ", ev->detector, ev->confidence);
	text_escaped(out, ev->reason);
	strbuf__putc(out, '\n');
}

/*
 * sqlcap: connection table and dialect dispatch for SQL capture.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mysqlwire.h"
#include "netfmt.h"
#include "pgwire.h"
#include "sqlcap.h"

#define NIL ((size_t)-1)

struct conn {
	__u64 ino;                 /* 0: free slot */
	enum sql_dialect dialect;
	union {
		struct pgwire *pg;
		struct mysqlwire *my;
	} dec;
	char server[NETFMT_MAX];
	__u32 pid, tid;
	size_t lru_prev, lru_next; /* most recent at head */
	size_t hnext;              /* hash chain */
	struct sqlcap *sc;         /* back pointer for decoder callbacks */
};

struct sqlcap {
	struct sqlcap_opts opts;
	sqlcap_event_fn fn;
	void *ctx;
	struct conn *conns;
	size_t nconns, max;
	size_t *buckets, nbuckets;
	size_t lru_head, lru_tail, free_head;
	struct sqlcap_stats st;
	struct sqlwire_stats closed; /* decoder counters of closed connections */
};

const char *sqlcap__dialect_name(enum sql_dialect d)
{
	switch (d) {
	case SQL_DIALECT_POSTGRES:
		return "postgres";
	case SQL_DIALECT_MYSQL:
		return "mysql";
	default:
		return "unknown";
	}
}

int sqlcap__parse_pattern(char *arg, struct sqlcap_pattern *p)
{
	char *eq = strrchr(arg, '=');

	if (!eq || eq == arg)
		return -EINVAL;
	/* arg is cut only on success: a caller's error message quotes it whole. */
	if (strcmp(eq + 1, "postgres") == 0 || strcmp(eq + 1, "postgresql") == 0)
		p->dialect = SQL_DIALECT_POSTGRES;
	else if (strcmp(eq + 1, "mysql") == 0 || strcmp(eq + 1, "mariadb") == 0)
		p->dialect = SQL_DIALECT_MYSQL;
	else
		return -EINVAL;
	*eq = '\0';
	p->glob = arg;
	return 0;
}

static size_t hash_ino(const struct sqlcap *sc, __u64 ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 32) % sc->nbuckets;
}

static void lru_unlink(struct sqlcap *sc, size_t i)
{
	struct conn *c = &sc->conns[i];

	if (c->lru_prev != NIL)
		sc->conns[c->lru_prev].lru_next = c->lru_next;
	else
		sc->lru_head = c->lru_next;
	if (c->lru_next != NIL)
		sc->conns[c->lru_next].lru_prev = c->lru_prev;
	else
		sc->lru_tail = c->lru_prev;
}

static void lru_push(struct sqlcap *sc, size_t i)
{
	struct conn *c = &sc->conns[i];

	c->lru_prev = NIL;
	c->lru_next = sc->lru_head;
	if (sc->lru_head != NIL)
		sc->conns[sc->lru_head].lru_prev = i;
	sc->lru_head = i;
	if (sc->lru_tail == NIL)
		sc->lru_tail = i;
}

static size_t find(const struct sqlcap *sc, __u64 ino)
{
	for (size_t i = sc->buckets[hash_ino(sc, ino)]; i != NIL; i = sc->conns[i].hnext)
		if (sc->conns[i].ino == ino)
			return i;
	return NIL;
}

static void emit(struct conn *c, const struct sql_query *q, const struct sql_session *s)
{
	struct sql_event ev = {
		.q = q,
		.s = s,
		.dialect = c->dialect,
		.server = c->server,
		.conn_id = c->ino,
		.pid = c->pid,
		.tid = c->tid,
	};

	if (q)
		c->sc->st.queries++;
	c->sc->fn(c->sc->ctx, &ev);
}

static void on_query(void *ctx, const struct sql_query *q, const struct sql_session *s)
{
	emit(ctx, q, s);
}

static void on_session(void *ctx, enum sql_session_event what, const struct sql_session *s)
{
	if (what == SQL_SESSION_ENCRYPTED)
		emit(ctx, NULL, s);
}

static void add_stats(struct sqlwire_stats *to, const struct sqlwire_stats *from)
{
	to->messages += from->messages;
	to->queries += from->queries;
	to->parse_errors += from->parse_errors;
	to->gaps += from->gaps;
	to->resyncs += from->resyncs;
	to->dropped_pending += from->dropped_pending;
}

/* Close a connection: pending queries are reported, the slot freed. */
static void conn_close(struct sqlcap *sc, size_t i)
{
	struct conn *c = &sc->conns[i];
	struct sqlwire_stats ws = { 0 };
	size_t *pp = &sc->buckets[hash_ino(sc, c->ino)];

	if (c->dialect == SQL_DIALECT_POSTGRES) {
		pgwire__close(c->dec.pg);
		pgwire__stats(c->dec.pg, &ws);
		pgwire__free(c->dec.pg);
	} else {
		mysqlwire__close(c->dec.my);
		mysqlwire__stats(c->dec.my, &ws);
		mysqlwire__free(c->dec.my);
	}
	add_stats(&sc->closed, &ws);
	while (*pp != i)
		pp = &sc->conns[*pp].hnext;
	*pp = c->hnext;
	lru_unlink(sc, i);
	c->ino = 0;
	c->hnext = sc->free_head;
	sc->free_head = i;
	sc->nconns--;
}

static size_t conn_open(struct sqlcap *sc, const struct aisec_payload *p, enum sql_dialect d)
{
	struct sqlwire_callbacks cb = { .on_query = on_query, .on_session = on_session };
	struct conn *c;
	size_t i, b;

	if (sc->free_head == NIL) {
		conn_close(sc, sc->lru_tail);
		sc->st.conns_evicted++;
	}
	i = sc->free_head;
	c = &sc->conns[i];
	sc->free_head = c->hnext;
	memset(c, 0, sizeof(*c));
	c->sc = sc;
	cb.ctx = c;
	c->dialect = d;
	if (d == SQL_DIALECT_POSTGRES)
		c->dec.pg = pgwire__new(&sc->opts.limits, &cb);
	else
		c->dec.my = mysqlwire__new(&sc->opts.limits, &cb);
	if (!c->dec.pg) {
		c->hnext = sc->free_head;
		sc->free_head = i;
		return NIL;
	}
	c->ino = p->sock_ino;
	if (p->family == AF_UNIX)
		netfmt__unix_path(c->server, sizeof(c->server), p->unix_path, p->unix_len);
	else
		netfmt__endpoint(c->server, sizeof(c->server), p->family, p->addr, p->port);
	b = hash_ino(sc, c->ino);
	c->hnext = sc->buckets[b];
	sc->buckets[b] = i;
	lru_push(sc, i);
	sc->nconns++;
	sc->st.conns_opened++;
	return i;
}

struct sqlcap *sqlcap__new(const struct sqlcap_opts *opts, sqlcap_event_fn fn, void *ctx)
{
	static const struct sqlcap_pattern defaults[] = {
		{ ".s.PGSQL.*", SQL_DIALECT_POSTGRES },
		{ "*mysql*.sock", SQL_DIALECT_MYSQL },
	};
	struct sqlcap *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	if (opts)
		sc->opts = *opts;
	if (sc->opts.n_patterns == 0) {
		memcpy(sc->opts.patterns, defaults, sizeof(defaults));
		sc->opts.n_patterns = sizeof(defaults) / sizeof(defaults[0]);
	}
	if (sc->opts.n_patterns > SQLCAP_MAX_PATTERNS) {
		free(sc);
		errno = EINVAL;
		return NULL;
	}
	sc->fn = fn;
	sc->ctx = ctx;
	sc->max = sc->opts.max_conns ? sc->opts.max_conns : 1024;
	sc->nbuckets = sc->max * 2;
	sc->conns = calloc(sc->max, sizeof(*sc->conns));
	sc->buckets = malloc(sc->nbuckets * sizeof(*sc->buckets));
	if (!sc->conns || !sc->buckets) {
		sqlcap__free(sc);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < sc->nbuckets; i++)
		sc->buckets[i] = NIL;
	for (size_t i = 0; i < sc->max; i++)
		sc->conns[i].hnext = i + 1 < sc->max ? i + 1 : NIL;
	sc->free_head = 0;
	sc->lru_head = sc->lru_tail = NIL;
	return sc;
}

void sqlcap__free_report(struct sqlcap *sc, struct sqlcap_stats *st)
{
	if (!sc)
		return;
	while (sc->conns && sc->lru_head != NIL)
		conn_close(sc, sc->lru_head);
	if (st)
		sqlcap__stats(sc, st);
	free(sc->conns);
	free(sc->buckets);
	free(sc);
}

void sqlcap__free(struct sqlcap *sc)
{
	sqlcap__free_report(sc, NULL);
}

enum sql_dialect sqlcap__classify_unix(const struct sqlcap *sc, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sc->opts.n_patterns; i++) {
		const struct sqlcap_pattern *p = &sc->opts.patterns[i];
		const char *subject = strchr(p->glob, '/') ? path : base;

		if (fnmatch(p->glob, subject, 0) == 0)
			return p->dialect;
	}
	return SQL_DIALECT_UNKNOWN;
}

int sqlcap__on_payload(struct sqlcap *sc, const struct aisec_payload *p, __u8 *verdict)
{
	enum sql_dialect d;
	size_t i;
	int decided = 0;

	sc->st.payloads++;
	if (p->captured < (__u64)p->ret)
		sc->st.gaps++;
	i = find(sc, p->sock_ino);
	if (i == NIL) {
		if (p->dialect == AISEC_DIALECT_UNKNOWN) {
			/* A unix socket the kernel has not seen classified: decide once. */
			char path[AISEC_UNIX_PATH_MAX + 1];

			memcpy(path, p->unix_path, p->unix_len);
			path[p->unix_len] = '\0';
			d = path[0] ? sqlcap__classify_unix(sc, path) : SQL_DIALECT_UNKNOWN;
			*verdict = d == SQL_DIALECT_POSTGRES ? AISEC_DIALECT_POSTGRES
				   : d == SQL_DIALECT_MYSQL  ? AISEC_DIALECT_MYSQL
							     : AISEC_DIALECT_NONE;
			decided = 1;
			if (d == SQL_DIALECT_UNKNOWN) {
				sc->st.not_db++;
				return decided;
			}
		} else if (p->dialect == AISEC_DIALECT_POSTGRES) {
			d = SQL_DIALECT_POSTGRES;
		} else if (p->dialect == AISEC_DIALECT_MYSQL) {
			d = SQL_DIALECT_MYSQL;
		} else {
			return 0;
		}
		i = conn_open(sc, p, d);
		if (i == NIL)
			return decided;
	} else if (sc->lru_head != i) {
		lru_unlink(sc, i);
		lru_push(sc, i);
	}

	{
		struct conn *c = &sc->conns[i];
		enum sql_dir dir = p->dir ? SQL_DIR_TO_CLIENT : SQL_DIR_TO_SERVER;

		if (dir == SQL_DIR_TO_SERVER) {
			c->pid = p->hdr.pid;
			c->tid = p->hdr.tid;
		} else if (!c->pid) {
			c->pid = p->hdr.pid;
			c->tid = p->hdr.tid;
		}
		if (c->dialect == SQL_DIALECT_POSTGRES)
			pgwire__feed(c->dec.pg, dir, p->data, p->captured, (size_t)p->ret, p->hdr.ts_ns);
		else
			mysqlwire__feed(c->dec.my, dir, p->data, p->captured, (size_t)p->ret, p->hdr.ts_ns);
	}
	return decided;
}

void sqlcap__on_exit(struct sqlcap *sc, __u32 pid)
{
	size_t i = sc->lru_head;

	while (i != NIL) {
		size_t next = sc->conns[i].lru_next;

		if (sc->conns[i].pid == pid)
			conn_close(sc, i);
		i = next;
	}
}

void sqlcap__stats(const struct sqlcap *sc, struct sqlcap_stats *out)
{
	struct sqlwire_stats total = sc->closed;

	for (size_t i = sc->lru_head; i != NIL; i = sc->conns[i].lru_next) {
		struct sqlwire_stats ws = { 0 };

		if (sc->conns[i].dialect == SQL_DIALECT_POSTGRES)
			pgwire__stats(sc->conns[i].dec.pg, &ws);
		else
			mysqlwire__stats(sc->conns[i].dec.my, &ws);
		add_stats(&total, &ws);
	}
	*out = sc->st;
	out->parse_errors = total.parse_errors;
}

/*
 * sqlcap: database sessions rebuilt from DB-socket payload records. One
 * decoder (pgwire or mysqlwire) per connection, keyed by the socket's inode;
 * the dialect comes from the kernel (TCP port map) or, for unix sockets, from
 * the peer path matched against patterns here. Completed queries go out as
 * struct sql_event. Memory is bounded: at most max_conns connections (least
 * recently used closed first), each decoder bounded by its limits.
 */
#ifndef AISEC_SQLCAP_H
#define AISEC_SQLCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "aisec/events.h"
#include "sqlwire.h"

#define SQLCAP_MAX_PATTERNS 16

struct sqlcap_pattern {
	const char *glob;          /* fnmatch pattern on the socket path's basename (full path if it has a '/') */
	enum sql_dialect dialect;
};

struct sqlcap_opts {
	struct sqlcap_pattern patterns[SQLCAP_MAX_PATTERNS];
	size_t n_patterns;         /* 0 = ".s.PGSQL.*" postgres, "*mysql*.sock" mysql */
	size_t max_conns;          /* 0 = 1024 */
	struct sqlwire_limits limits;
};

/* One query (q != NULL) or the notice that a connection went encrypted (q == NULL). */
struct sql_event {
	const struct sql_query *q;
	const struct sql_session *s;
	enum sql_dialect dialect;
	const char *server;        /* "127.0.0.1:5432", "[::1]:3306" or the unix socket path */
	__u64 conn_id;             /* socket inode */
	__u32 pid;                 /* process that sent the request (last writer on the connection) */
	__u32 tid;
};

typedef void (*sqlcap_event_fn)(void *ctx, const struct sql_event *ev);

struct sqlcap_stats {
	__u64 payloads;            /* payload records handled */
	__u64 conns_opened;
	__u64 conns_evicted;       /* closed for space */
	__u64 queries;
	__u64 parse_errors;        /* summed over decoders, closed ones included */
	__u64 gaps;                /* syscalls captured partially */
	__u64 not_db;              /* payloads of unix sockets found not to be databases */
};

struct sqlcap;

/* NULL and errno set on failure (EINVAL: bad pattern). */
struct sqlcap *sqlcap__new(const struct sqlcap_opts *opts, sqlcap_event_fn fn, void *ctx);

/* Close every connection (pending queries reported UNKNOWN) and free. Accepts NULL. */
void sqlcap__free(struct sqlcap *sc);

/* Same, and the final counters (after those reports) into *st. */
void sqlcap__free_report(struct sqlcap *sc, struct sqlcap_stats *st);

/* Dialect of a unix socket path by the patterns, SQL_DIALECT_UNKNOWN when none matches. */
enum sql_dialect sqlcap__classify_unix(const struct sqlcap *sc, const char *path);

/* Handle one payload record. When its unix socket was not classified by the
 * kernel yet, *verdict gets the aisec_dialect the kernel should remember for
 * that path and the function returns 1; otherwise 0. */
int sqlcap__on_payload(struct sqlcap *sc, const struct aisec_payload *p, __u8 *verdict);

/* The process exited: close the connections it last wrote on. */
void sqlcap__on_exit(struct sqlcap *sc, __u32 pid);

void sqlcap__stats(const struct sqlcap *sc, struct sqlcap_stats *out);

/* Parse "GLOB=postgres|mysql" into p (glob points into arg). 0 or -EINVAL. */
int sqlcap__parse_pattern(char *arg, struct sqlcap_pattern *p);

/* "postgres", "mysql" or "unknown". */
const char *sqlcap__dialect_name(enum sql_dialect d);

#endif /* AISEC_SQLCAP_H */

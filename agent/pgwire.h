/*
 * pgwire: PostgreSQL frontend/backend protocol v3 decoder for one connection
 * (see sqlwire.h for the contract shared with mysqlwire).
 *
 * Client side: StartupMessage (user, database, application_name),
 * SSLRequest / GSSENCRequest (the server's 'S'/'G' answer makes the session
 * encrypted; 'N' keeps it plain), CancelRequest, 'Q' Query, 'P' Parse
 * (statement, query, parameter type OIDs), 'B' Bind (portal, statement,
 * parameter count and lengths, values only when configured), 'E' Execute,
 * 'S' Sync, 'C' Close, 'X' Terminate; others counted and skipped.
 * Server side: 'E' ErrorResponse (SQLSTATE 'C', message 'M'), 'C'
 * CommandComplete, 'Z' ReadyForQuery, '1' ParseComplete, '2' BindComplete,
 * 'T'/'D' rows, 'I' EmptyQueryResponse, 'S' ParameterStatus, 'R', 'K', 'N'...
 * A simple query completes at its CommandComplete or ErrorResponse (several
 * statements in one 'Q' give one report, with the last tag or the error);
 * an extended query (P/B/E...S) completes the same way, and after an error
 * the server skips to Sync: requests in between are reported UNKNOWN.
 * PARSE is reported when its ParseComplete or error arrives; EXECUTE carries
 * the statement's text when its Parse was seen on this connection.
 * A Bind only partly captured gives param_lengths -2 for each value it could
 * not see (param_count stays exact when the count was seen, else -1);
 * param_values, when kept, has min(param_count, SQL_MAX_PARAMS) entries.
 */
#ifndef AISEC_PGWIRE_H
#define AISEC_PGWIRE_H

#include "sqlwire.h"

struct pgwire;

/* NULL and errno set on allocation failure. lim may be NULL (defaults). */
struct pgwire *pgwire__new(const struct sqlwire_limits *lim, const struct sqlwire_callbacks *cb);

/* Free; pending requests are not reported (call pgwire__close first for that). Accepts NULL. */
void pgwire__free(struct pgwire *pw);

/* Feed one syscall's bytes: len captured of total moved (total >= len).
 * ts: the syscall's boot-time ns. 0, or -EPROTO after a malformed message
 * (counted; the decoder resyncs at the next feed of that direction). */
int pgwire__feed(struct pgwire *pw, enum sql_dir dir, const void *data, size_t len, size_t total, __u64 ts);

/* The connection is gone: report every pending request as UNKNOWN. */
void pgwire__close(struct pgwire *pw);

const struct sql_session *pgwire__session(const struct pgwire *pw);
void pgwire__stats(const struct pgwire *pw, struct sqlwire_stats *out);

/* Whether the first bytes a client sent look like the start of a PostgreSQL
 * connection (StartupMessage, SSLRequest, GSSENCRequest or CancelRequest). */
bool pgwire__looks_like_startup(const void *data, size_t len);

#endif /* AISEC_PGWIRE_H */

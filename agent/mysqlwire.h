/*
 * mysqlwire: MySQL / MariaDB client/server protocol decoder for one
 * connection (see sqlwire.h for the contract shared with pgwire).
 *
 * Packets: 3-byte little-endian length, 1-byte sequence id, payload; a
 * payload of 0xffffff bytes continues in the next packet.
 * Server greeting (protocol 10: server version, capabilities, connection id);
 * client HandshakeResponse41 (capabilities, user, auth skipped, database when
 * CLIENT_CONNECT_WITH_DB) or the short SSLRequest with CLIENT_SSL, after which
 * the session is encrypted. Commands: COM_QUERY (0x03), COM_STMT_PREPARE
 * (0x16), COM_STMT_EXECUTE (0x17: statement id, parameter count from the
 * prepare response, types when sent), COM_INIT_DB (0x02), COM_STMT_CLOSE
 * (0x19, no response), COM_QUIT (0x01), COM_PING (0x0e); others skipped.
 * Responses: OK (0x00, affected rows), ERR (0xff: error code, '#' + SQLSTATE
 * when present, message), EOF (0xfe, short), result sets (column count,
 * column definitions, EOF unless CLIENT_DEPRECATE_EOF, rows, terminator),
 * COM_STMT_PREPARE_OK (statement id, column and parameter counts, then their
 * definitions). One command is outstanding at a time in this protocol; a
 * command completes at its OK, ERR or result-set terminator.
 */
#ifndef AISEC_MYSQLWIRE_H
#define AISEC_MYSQLWIRE_H

#include "sqlwire.h"

struct mysqlwire;

/* NULL and errno set on allocation failure. lim may be NULL (defaults). */
struct mysqlwire *mysqlwire__new(const struct sqlwire_limits *lim, const struct sqlwire_callbacks *cb);

/* Free; pending requests are not reported (call mysqlwire__close first). Accepts NULL. */
void mysqlwire__free(struct mysqlwire *mw);

/* Feed one syscall's bytes: len captured of total moved (total >= len).
 * ts: the syscall's boot-time ns. 0, or -EPROTO after a malformed packet
 * (counted; the decoder resyncs at the next feed of that direction). */
int mysqlwire__feed(struct mysqlwire *mw, enum sql_dir dir, const void *data, size_t len, size_t total, __u64 ts);

/* The connection is gone: report the outstanding command as UNKNOWN. */
void mysqlwire__close(struct mysqlwire *mw);

const struct sql_session *mysqlwire__session(const struct mysqlwire *mw);
void mysqlwire__stats(const struct mysqlwire *mw, struct sqlwire_stats *out);

/* Whether the first bytes a server sent look like a MySQL greeting (packet
 * with sequence 0 and protocol version 10). */
bool mysqlwire__looks_like_greeting(const void *data, size_t len);

#endif /* AISEC_MYSQLWIRE_H */

/*
 * sqlwire: what the PostgreSQL (pgwire) and MySQL/MariaDB (mysqlwire)
 * decoders share. A decoder follows one connection: it is fed each syscall's
 * bytes in order, per direction, and reports every query once its outcome is
 * known, plus the session facts (user, database, encryption).
 *
 * The kernel captures only the first N bytes of each syscall, so a feed can
 * come with a gap: `total` bytes moved, `len` of them captured. A decoder
 * skips a gap that lies inside a message whose length it knows (the query is
 * then reported truncated, with its true length); a gap that runs past the
 * message makes it lose sync, and it resumes at the next feed of that
 * direction, which starts at a message boundary for every client library we
 * know. Decoders start wherever the stream is (a connection opened before the
 * agent): they recognise a protocol start when they see one and otherwise
 * decode messages as they come, ignoring responses to requests they never saw.
 *
 * Decoders never read outside what they were given, bound their memory by
 * struct sqlwire_limits, and count what they could not parse.
 */
#ifndef AISEC_SQLWIRE_H
#define AISEC_SQLWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum sql_dialect {
	SQL_DIALECT_UNKNOWN = 0,
	SQL_DIALECT_POSTGRES = 1,
	SQL_DIALECT_MYSQL = 2,
};

enum sql_dir {
	SQL_DIR_TO_SERVER = 0, /* bytes the client wrote */
	SQL_DIR_TO_CLIENT = 1, /* bytes the client read */
};

enum sql_msg_kind {
	SQL_MSG_QUERY = 1,   /* PG 'Q', MySQL COM_QUERY: SQL with literals inline */
	SQL_MSG_PARSE = 2,   /* PG 'P', MySQL COM_STMT_PREPARE: SQL with placeholders */
	SQL_MSG_EXECUTE = 3, /* PG 'B'+'E' of a statement, MySQL COM_STMT_EXECUTE */
	SQL_MSG_INIT_DB = 4, /* MySQL COM_INIT_DB: text is the database name */
};

enum sql_outcome {
	SQL_OUTCOME_OK = 1,
	SQL_OUTCOME_ERROR = 2,
	SQL_OUTCOME_UNKNOWN = 3, /* connection closed, sync lost or pending queue overflow */
};

#define SQL_MAX_PARAMS 32 /* parameter types/lengths kept per query; count is exact */

/* One request and its outcome. Pointers are valid during the callback only. */
struct sql_query {
	enum sql_msg_kind kind;
	const char *text;         /* NUL-terminated, "" when unknown (e.g. EXECUTE of a statement prepared before us) */
	size_t text_len;          /* bytes in text */
	size_t text_total;        /* true length on the wire (>= text_len) */
	bool truncated;           /* text_len < text_total */
	const char *statement;    /* PG statement name ("" = unnamed); MySQL statement id in decimal; "" for QUERY */
	const char *portal;       /* PG portal of an EXECUTE ("" = unnamed); "" otherwise */
	int param_count;          /* PARSE: declared/placeholder count; EXECUTE: values bound; -1 for QUERY/INIT_DB */
	__u32 param_types[SQL_MAX_PARAMS];  /* PG PARSE: type OIDs (0 = unspecified); MySQL EXECUTE: type codes */
	__s32 param_lengths[SQL_MAX_PARAMS]; /* PG EXECUTE: byte length of each bound value, -1 = NULL */
	const char *const *param_values;     /* PG EXECUTE when limits.keep_param_values: NUL-terminated, text format
						 only (binary as ""), NULL otherwise */
	enum sql_outcome outcome;
	char sqlstate[6];         /* "42601"; "" when ok or unknown */
	int error_code;           /* MySQL error number (1064); 0 for PG and when ok */
	const char *error_message;/* server's message, "" when none */
	const char *command_tag;  /* PG CommandComplete tag ("INSERT 0 1"), "" otherwise */
	__u64 rows;               /* rows returned (SELECT) or affected, when the server said; else 0 */
	__u64 ts_request;         /* ts of the feed that completed the request message */
	__u64 ts_response;        /* ts of the feed with the outcome; 0 when unknown */
};

/* What is known about the session. Strings are "" until seen. */
struct sql_session {
	enum sql_dialect dialect;
	const char *user;
	const char *database;     /* MySQL: updated by COM_INIT_DB that succeeded */
	const char *application_name;
	bool startup_seen;        /* the protocol start was captured (else: joined mid-stream) */
	bool encrypted;           /* TLS/GSS negotiated: nothing after it is decoded */
	const char *server_version; /* MySQL greeting / PG ParameterStatus server_version, "" when unseen */
};

enum sql_session_event {
	SQL_SESSION_STARTUP = 1,   /* user/database now known */
	SQL_SESSION_ENCRYPTED = 2, /* the connection switched to TLS (or GSS): its bytes are opaque from here */
};

struct sqlwire_limits {
	size_t max_text;          /* query text bytes kept per query; 0 = 16384 */
	size_t max_pending;       /* requests awaiting an outcome per connection; 0 = 64 */
	size_t max_message;       /* bytes buffered for one message that spans feeds; 0 = 65536 (longer
				     messages are skipped past their kept prefix, never buffered whole) */
	bool keep_param_values;   /* PG Bind values (default false: lengths only) */
};

struct sqlwire_stats {
	__u64 messages;       /* protocol messages decoded, both directions */
	__u64 queries;        /* queries reported */
	__u64 parse_errors;   /* malformed or implausible messages (each also makes the decoder resync) */
	__u64 gaps;           /* feeds with total > len */
	__u64 resyncs;        /* times sync was lost and picked up at a feed boundary */
	__u64 dropped_pending;/* requests reported UNKNOWN because the pending queue was full */
};

struct sqlwire_callbacks {
	void (*on_query)(void *ctx, const struct sql_query *q, const struct sql_session *s);
	void (*on_session)(void *ctx, enum sql_session_event ev, const struct sql_session *s); /* may be NULL */
	void *ctx;
};

#endif /* AISEC_SQLWIRE_H */

/*
 * watch: `aisec-rt watch <pid>`: follow one process and all its descendants,
 * print their events, end on a signal, a time limit, or when the tree is gone.
 */
#ifndef AISEC_WATCH_H
#define AISEC_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "analyze.h"
#include "format.h"
#include "loader.h"
#include "sink_kafka.h"
#include "sqlcap.h"

enum watch_format {
	WATCH_FORMAT_TEXT = 0,
	WATCH_FORMAT_JSON = 1,
};

struct watch_opts {
	__u32 pid;
	enum watch_format format;
	const char *output;     /* NULL or "-" = stdout */
	double duration_s;      /* 0 = no limit */
	size_t ringbuf_bytes;   /* 0 = loader default */
	unsigned poll_ms;       /* 0 = 100 */
	size_t proc_cache_max;  /* 0 = 8192 */
	const char *procfs;     /* NULL = "/proc" */

	/* SQL capture on database sockets */
	bool no_sql;                       /* do not capture DB traffic */
	enum sql_text_mode sql_text;       /* default SQL_TEXT_FULL */
	__u32 payload_bytes;               /* 0 = 4096 */
	struct loader_db_port db_ports[LOADER_MAX_DB_PORTS];
	size_t n_db_ports;                 /* 0 = 5432 postgres, 3306 mysql */
	struct sqlcap_pattern db_sockets[SQLCAP_MAX_PATTERNS];
	size_t n_db_sockets;               /* 0 = .s.PGSQL.* postgres, *mysql*.sock mysql */
	bool sql_param_values;             /* report PostgreSQL bind values (off by default) */

	/* Static findings and detection */
	const char *findings[ANALYZE_MAX_FINDINGS_FILES]; /* SARIF files */
	size_t n_findings;
	const char *rules_dir;             /* NULL: default search (see analyze.h) */
	const char *source_root;           /* root the SARIF uris are relative to */
	const char *evidence_path;         /* also write evidence records here (NDJSON) */

	/* Kafka (evidence records) */
	const char *kafka_brokers;         /* NULL: no Kafka */
	const char *kafka_topic;
	const char *kafka_conf[SINK_KAFKA_MAX_CONF]; /* "key=value" librdkafka properties */
	size_t n_kafka_conf;
	const char *spool_dir;             /* NULL: /var/lib/aisec-rt/spool */
	const char *kafka_events_topic;    /* raw events too, to this topic; NULL: off */
	double kafka_events_rate;          /* most raw events sent per second; 0 = 1000 */
};

/* Run the watch. Returns the process exit code: 0 ok, 1 runtime error, 2 bad
 * input (unknown pid, unusable output path), with the reason logged. */
int watch__run(const struct watch_opts *opts);

#endif /* AISEC_WATCH_H */

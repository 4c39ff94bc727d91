/*
 * sink_kafka: evidence to Kafka without loss. An idempotent librdkafka
 * producer (acks=all, enable.idempotence=true, compression on; any
 * librdkafka property passes through), delivery tracked per record; records
 * that cannot be delivered (broker unreachable, delivery failed, shutdown
 * timeout) go to a disk spool (spool.h) and are replayed in order, before new
 * records, once delivery works again.
 *
 * Ordering: one partition per key is Kafka's guarantee; with idempotence and
 * the replay-before-new rule, records of one key arrive in the order they
 * were handed in, each exactly once, across broker outages and agent restarts
 * (a record spooled by a run killed with SIGKILL is delivered by the next).
 */
#ifndef AISEC_SINK_KAFKA_H
#define AISEC_SINK_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define SINK_KAFKA_MAX_CONF 64

struct sink_kafka_opts {
	const char *brokers;                 /* bootstrap.servers */
	const char *topic;
	const char *conf[SINK_KAFKA_MAX_CONF]; /* "key=value" librdkafka properties, applied after the defaults */
	size_t nconf;
	const char *spool_dir;               /* NULL: /var/lib/aisec-rt/spool */
	__u64 spool_max_bytes;               /* 0: 256 MiB */
	int flush_timeout_ms;                /* shutdown: wait this long for deliveries, then spool; 0: 5000 */
	const char *host;                    /* header "host" */
	const char *agent_version;           /* header "agent-version" */
};

struct sink_kafka_stats {
	__u64 produced;      /* handed to librdkafka */
	__u64 delivered;     /* acknowledged by the broker */
	__u64 spooled;       /* written to the spool */
	__u64 replayed;      /* delivered from the spool */
	__u64 dropped;       /* removed from a full spool (oldest first) */
	__u64 failed;        /* delivery reports with an error (those records were spooled) */
	__u64 corrupt;       /* bad spool frames skipped (each logged with file and offset) */
};

struct sink_kafka;

/* Create the producer (no connection is needed yet) and open the spool;
 * records a previous run left are replayed first. NULL with a reason in err
 * (bad property "key=value: librdkafka's message", spool directory unusable). */
struct sink_kafka *sink_kafka__open(const struct sink_kafka_opts *o, char *err, size_t errlen);

/* Send one record: key (may be NULL), value, and the schema name and version
 * for the headers ("schema" = "aisec.evidence.v1" style name, "schema-version"). 0, or -errno
 * when even the spool could not take it (then it is counted as dropped and logged). */
int sink_kafka__send(struct sink_kafka *k, const void *key, size_t key_len, const void *val, size_t val_len,
		     const char *schema);

/* Serve delivery reports and move spooled records on when delivery works.
 * Call often (the watch loop does, every poll). Never blocks longer than timeout_ms. */
void sink_kafka__poll(struct sink_kafka *k, int timeout_ms);

/* Flush within the timeout, spool what is left, close. Accepts NULL. */
void sink_kafka__close(struct sink_kafka *k);

void sink_kafka__stats(const struct sink_kafka *k, struct sink_kafka_stats *out);

#endif /* AISEC_SINK_KAFKA_H */

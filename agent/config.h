/*
 * config: `aisec-rt run --config FILE`: the node agent's JSON configuration,
 * parsed and validated with cJSON. Every error names the file, the key (as a
 * JSON path) and the problem: "agent.json: $.services[1].match.cgroup_prefix:
 * expected a string". Unknown keys are errors (typos). docs/configuration.md
 * documents every key with its default.
 *
 * Shape:
 * {
 *   "services": [                      at least one
 *     { "name": "orders",              unique, [a-z0-9-]+
 *       "match": {                      at least one criterion; all given must hold
 *         "namespace": "shop",          Kubernetes namespace
 *         "pod_labels": {"app": "orders"},
 *         "image": "registry/orders:*", glob on the container image
 *         "cgroup_prefix": "/kubepods.slice/...",
 *         "exe": "/usr/bin/python3*",   glob on the executable path
 *         "cwd_prefix": "/srv/orders"
 *       },
 *       "findings": ["/etc/aisec/orders.sarif"],   SARIF files (may be empty)
 *       "source_root": "/srv/orders"               optional
 *     } ],
 *   "db": { "ports": {"5432": "postgres", "3306": "mysql"},
 *           "sockets": {".s.PGSQL.*": "postgres", "*mysql*.sock": "mysql"},
 *           "payload_bytes": 4096, "sql_text": "redacted" },
 *   "sinks": { "stdout": false, "file": "/var/log/aisec/evidence.ndjson", "events": null,
 *              "kafka": { "brokers": "...", "topic": "...", "conf": {"k": "v"},
 *                         "spool_dir": "/var/lib/aisec-rt/spool",
 *                         "events_topic": null, "events_rate": 1000 } },
 *   "limits": { "ringbuf_bytes": 8388608, "proc_cache": 8192, "sql_connections": 1024,
 *               "spool_bytes": 268435456 },
 *   "rules_dir": "/usr/local/share/aisec-rt/rules",
 *   "metrics": { "listen": "127.0.0.1:9464" },
 *   "runtime": { "containerd_root": "...", "crio_root": "...", "docker_root": "..." },
 *   "kubelet": { "url": "https://127.0.0.1:10250/pods", "token_file": "...", "ca_file": "...", "insecure_tls": false, "refresh_seconds": 30 }
 * }
 */
#ifndef AISEC_CONFIG_H
#define AISEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define CONFIG_MAX_SERVICES 64
#define CONFIG_MAX_LABELS 16
#define CONFIG_MAX_FINDINGS 16
#define CONFIG_MAX_DB 16
#define CONFIG_MAX_KAFKA_CONF 64

struct config_kv {
	char *key;
	char *value;
};

struct config_service {
	char *name;
	char *namespace_;          /* NULL when not a criterion */
	struct config_kv labels[CONFIG_MAX_LABELS];
	size_t nlabels;
	char *image;               /* glob */
	char *cgroup_prefix;
	char *exe;                 /* glob */
	char *cwd_prefix;
	char *findings[CONFIG_MAX_FINDINGS];
	size_t nfindings;
	char *source_root;
};

struct config {
	char *file;
	struct config_service services[CONFIG_MAX_SERVICES];
	size_t nservices;
	struct config_kv db_ports[CONFIG_MAX_DB];   /* value "postgres" | "mysql" */
	size_t ndb_ports;
	struct config_kv db_sockets[CONFIG_MAX_DB];
	size_t ndb_sockets;
	__u32 payload_bytes;       /* default 4096 */
	char *sql_text;            /* "full" | "redacted" | "none"; default "redacted" for run */
	bool sink_stdout;
	char *sink_file;           /* evidence, appended as NDJSON */
	char *sink_events;         /* events of the selected services, appended as NDJSON; NULL: none */
	char *kafka_brokers, *kafka_topic, *kafka_spool_dir, *kafka_events_topic;
	struct config_kv kafka_conf[CONFIG_MAX_KAFKA_CONF];
	size_t nkafka_conf;
	double kafka_events_rate;
	__u64 ringbuf_bytes, spool_bytes;
	__u32 proc_cache, sql_connections;
	char *rules_dir;
	char *metrics_listen;      /* default "127.0.0.1:9464" */
	char *kubelet_url, *kubelet_token_file, *kubelet_ca_file;
	__u32 kubelet_refresh_seconds;
	bool kubelet_insecure_tls; /* do not verify the kubelet's certificate */
	/* Container runtime metadata directories (podmeta.h); NULL: the defaults. */
	char *runtime_containerd_root, *runtime_crio_root, *runtime_docker_root;
};

/* Parse and validate path into a new config. NULL with "file: $.path: problem"
 * (or "file:line:column: invalid JSON") in err and errno set. */
struct config *config__load(const char *path, char *err, size_t errlen);

/* The same from a buffer (name for messages); for tests and fuzzing. */
struct config *config__parse(const char *name, const char *buf, size_t len, char *err, size_t errlen);

void config__free(struct config *c);

#endif /* AISEC_CONFIG_H */

/*
 * run: `aisec-rt run --config FILE`, the node agent. Watches the services the
 * config names (selected in the kernel by cgroup, and by process for host
 * services), each with its own static findings; writes their evidence to the
 * configured sinks; serves /healthz and /metrics; reloads config, rules and
 * findings on SIGHUP without losing finding state or detaching; drains and
 * exits on SIGTERM / SIGINT.
 */
#ifndef AISEC_RUN_H
#define AISEC_RUN_H

#include <stdbool.h>

struct run_opts {
	const char *config;      /* the JSON config (docs/configuration.md); required */
	const char *procfs;      /* NULL: /proc */
	const char *cgroup_root; /* the cgroup2 mount; NULL: /sys/fs/cgroup */
	bool keep_caps;          /* do not drop capabilities after attaching (debugging) */
	bool check_only;         /* validate config, rules and findings, then exit */
	unsigned poll_ms;        /* 0: 100 */
	double duration_s;       /* 0: until a signal */
};

/* Exit code: 0 ok, 1 runtime error, 2 bad config / input (reason logged). */
int run__run(const struct run_opts *o);

#endif /* AISEC_RUN_H */

/*
 * loader: the one place that talks to libbpf. Opens the skeleton, applies
 * settings, loads and attaches every program, owns the ring buffer and the
 * watched-process bitmap, and reads the per-CPU drop counters. Everything else in
 * the agent sees records as (data, size) through a callback.
 */
#ifndef AISEC_LOADER_H
#define AISEC_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "aisec/events.h"

#define LOADER_MAX_DB_PORTS 16

struct loader_db_port {
	__u16 port;
	__u8 dialect;           /* enum aisec_dialect */
};

struct loader_opts {
	size_t ringbuf_bytes;   /* power of two >= page size; 0 = 8 MiB */
	size_t wakeup_bytes;    /* force a wakeup past this much unread data; 0 = ringbuf/4 */
	bool sql;               /* load the DB-socket payload hooks (read/write & co.) */
	__u32 payload_bytes;    /* bytes captured per DB-socket syscall, 1..AISEC_PAYLOAD_MAX; 0 = 4096 */
	struct loader_db_port db_ports[LOADER_MAX_DB_PORTS];
	size_t n_db_ports;      /* 0 = 5432 postgres and 3306 mysql */
	/* Selection by cgroup (the node agent, `run`): an exec of a process that
	 * is not watched looks up its cgroup id in the kernel's cgroup map:
	 * AISEC_CG_SELECT watches it (exec record sent as usual), AISEC_CG_IGNORE
	 * ends there, AISEC_CG_PER_PROCESS or no entry sends the exec record with
	 * AISEC_F_SELECT set so the agent decides. A process moved into a SELECT
	 * cgroup (cgroup_attach_task) is watched from then on. Every removed
	 * cgroup is reported (AISEC_EV_CGROUP_GONE) after the kernel deleted its
	 * entry, if it had one. Only the cgroup v2 hierarchy counts.
	 * Off (watch): none of this runs and no such records come. */
	bool select;
	/* Load the SQL handlers built for kernels without the bpf_rdonly_cast
	 * kfunc (before 6.2) even where it exists: a probe read per socket
	 * field instead of plain loads (tests cover both kinds this way). */
	bool bpf_compat;
};

/* Called for each record; return 0 to go on, non-zero to stop this drain. */
typedef int (*loader_record_fn)(void *ctx, const void *data, size_t size);

struct loader;

/* Check privileges and BTF, mount tracefs if needed, load and attach every
 * program. NULL on failure with a one-line reason in err (naming the missing
 * capability, missing BTF, or the program the kernel rejected) and errno set. */
struct loader *loader__open(const struct loader_opts *opts, loader_record_fn fn, void *ctx, char *err,
			    size_t errlen);

/* Detach everything and free. Accepts NULL. */
void loader__free(struct loader *ld);

/* Add / remove a tgid from the kernel's watched set (a bitmap over every
 * possible pid, shared with the kernel). 0, or -ERANGE past PID_MAX_LIMIT. */
int loader__watch(struct loader *ld, __u32 tgid);
int loader__unwatch(struct loader *ld, __u32 tgid);

/* Up to max tgids of the watched set into out, ascending; returns how many. */
size_t loader__watched(struct loader *ld, __u32 *out, size_t max);

/* Record whether unix sockets whose peer is bound at path are databases
 * (dialect) or not (AISEC_DIALECT_NONE), so the kernel stops sending the
 * payloads of those that are not. path: the sun_path, up to 108 bytes.
 * Open sockets the kernel already classified under another verdict for the
 * path are classified again at their next call (a walk over the kernel's
 * socket classes, skipped when this verdict was just set for the path). */
int loader__set_unix_verdict(struct loader *ld, const char *path, size_t len, __u8 dialect);

/* Wait up to timeout_ms for a wakeup, then consume every record available
 * (records submitted without a wakeup included). Returns records consumed,
 * or -errno (-EINTR when a signal arrived). */
int loader__poll(struct loader *ld, int timeout_ms);

/* Set / delete the kernel's verdict for cgroup id (enum aisec_cg_verdict). 0 or -errno
 * (-ENOSPC: the map is full, AISEC_CG_MAX_ENTRIES; -EINVAL: not a verdict;
 * delete: -ENOENT when the id has none, e.g. the kernel already dropped it
 * when the cgroup was removed). */
int loader__set_cgroup_verdict(struct loader *ld, __u64 cgroup_id, __u8 verdict);
int loader__del_cgroup_verdict(struct loader *ld, __u64 cgroup_id);
/* Delete every verdict (config reload). 0 or -errno. */
int loader__clear_cgroup_verdicts(struct loader *ld);

/* Every process (thread-group leader) alive now, with its cgroup v2 id, from
 * a BPF task iterator. tgid and id are the kernel's own, as in the records,
 * whatever pid or cgroup namespace the agent is in; the processes listed are
 * those its pid namespace sees (all, on the host or with hostPID). fn is
 * called once per process; 0 or -errno. */
int loader__tasks(struct loader *ld, void (*fn)(void *ctx, __u32 tgid, __u64 cgroup_id), void *ctx);

/* The per-CPU counters, not summed: out[cpu][stat] for cpu < *ncpus (set to
 * the number of possible CPUs, at most max_cpus). 0 or -errno. */
int loader__stats_percpu(struct loader *ld, __u64 (*out)[AISEC_STAT_MAX], size_t max_cpus, size_t *ncpus);

/* Bytes written to the ring buffer and not consumed yet (each record counts
 * with the ring's 8-byte header, rounded up to 8). */
size_t loader__ringbuf_unread(const struct loader *ld);

/* Sum of the per-CPU counters (enum aisec_stat) over all CPUs. 0 or -errno. */
int loader__stats(struct loader *ld, __u64 out[AISEC_STAT_MAX]);

/* The ring buffer's size in bytes. */
size_t loader__ringbuf_size(const struct loader *ld);

#endif /* AISEC_LOADER_H */

/*
 * proc: the process cache that enriches events. Keyed by tgid, bounded, with
 * least-recently-used eviction when full and eviction on process exit. Entries
 * come from /proc (processes already running when the agent starts, and
 * ancestors outside the watched tree) or from fork/exec events (processes too
 * short-lived for /proc to be read).
 *
 * The procfs root is a parameter so unit tests can build a fake /proc tree.
 */
#ifndef AISEC_PROC_H
#define AISEC_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "container.h"

#define PROC_COMM_LEN 16
#define PROC_PATH_LEN 512
#define PROC_CMDLINE_LEN 1024
#define PROC_ANCESTRY_MAX 8

struct proc_info {
	__u32 pid;                      /* tgid */
	__u32 ppid;
	__u32 uid;                      /* real uid */
	char comm[PROC_COMM_LEN];
	char exe[PROC_PATH_LEN];        /* "" when unknown */
	char cmdline[PROC_CMDLINE_LEN]; /* argv joined by single spaces, "" when unknown */
	char cwd[PROC_PATH_LEN];        /* "" when unknown */
	char cgroup[PROC_PATH_LEN];     /* cgroup v2 path (or first v1 path), "" when unknown */
	struct container_ref container;
	bool cmdline_truncated;
	bool from_procfs;               /* false: built from events only */
};

struct proc_cache;

/* A cache reading procfs_root (normally "/proc") holding at most max_entries
 * processes (>= 16). NULL and errno set on failure. */
struct proc_cache *proc_cache__new(const char *procfs_root, size_t max_entries);

/* Free the cache and every entry. Accepts NULL. */
void proc_cache__free(struct proc_cache *cache);

/* The entry for pid: from the cache, else read from procfs and inserted.
 * NULL when the process is in neither. The pointer stays valid until the
 * next call that inserts or evicts (any call except proc_cache__peek). */
const struct proc_info *proc_cache__get(struct proc_cache *cache, __u32 pid);

/* The cached entry for pid without touching procfs or the LRU order; NULL if absent. */
const struct proc_info *proc_cache__peek(const struct proc_cache *cache, __u32 pid);

/* A fork seen in the kernel: child starts as a copy of parent (exe, cmdline,
 * cwd, cgroup, container), with its own pid/ppid/comm. If the parent is not
 * cached it is loaded from procfs first; if that fails too, the child entry
 * holds only what the event gave. */
void proc_cache__on_fork(struct proc_cache *cache, __u32 child, __u32 parent, __u32 uid, const char *comm);

/* An exec seen in the kernel: exe becomes filename (made absolute against the
 * entry's cwd when relative), cmdline becomes argv joined by spaces (argv is
 * argc NUL-terminated strings), comm as given. The cwd is refreshed from
 * /proc/<pid>/cwd first when the process is still there. exe is never taken
 * from /proc/<pid>/exe here, so it does not depend on how late the event is
 * read. Creates the entry when missing. */
void proc_cache__on_exec(struct proc_cache *cache, __u32 pid, __u32 ppid, __u32 uid, const char *comm,
			 const char *filename, const char *const *argv, size_t argc);

/* The process exited: drop its entry. */
void proc_cache__on_exit(struct proc_cache *cache, __u32 pid);

/* Fill pids[] with the ancestors of pid, parent first, at most max (<=
 * PROC_ANCESTRY_MAX) entries, stopping at pid 1, pid 0, a loop, or an ancestor
 * found neither in the cache nor in procfs. Loads ancestors as needed.
 * Returns the count. */
size_t proc_cache__ancestry(struct proc_cache *cache, __u32 pid, __u32 *pids, size_t max);

/* Entries in the cache now, and evictions because the bound was hit. */
size_t proc_cache__size(const struct proc_cache *cache);
__u64 proc_cache__evictions(const struct proc_cache *cache);

/*
 * A number that changes whenever anything a reader can see changes: an
 * entry's content, or which pid has an entry (a procfs load, fork, exec,
 * exit, eviction or reuse of a slot). Lookups that find a cached entry
 * (proc_cache__get hits, peek, ancestry over cached pids) leave it as it is.
 * So while it stays the same, every entry pointer still holds the same
 * content for the same pid, and every peek gives the same answer: what was
 * computed from the cache can be kept until it changes. Never wraps (64 bits).
 */
__u64 proc_cache__generation(const struct proc_cache *cache);

/* Whether info is one of cache's entries (a pointer get or peek returned),
 * as opposed to a proc_info held anywhere else. */
bool proc_cache__holds(const struct proc_cache *cache, const struct proc_info *info);

/* Every live descendant of root (children, grandchildren, ...) found by
 * scanning procfs_root/<pid>/stat. *out is malloc'd (caller frees) and holds
 * *count pids, root itself not included. 0 or -errno. */
int proc__descendants(const char *procfs_root, __u32 root, __u32 **out, size_t *count);

/* Whether procfs_root/<pid> exists (a live or zombie process). */
bool proc__exists(const char *procfs_root, __u32 pid);

#endif /* AISEC_PROC_H */

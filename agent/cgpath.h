/*
 * cgpath: cgroup v2 ids and paths. The kernel names a cgroup by its id (the
 * inode number of its directory in cgroupfs); people and the config name it by
 * path ("/kubepods.slice/.../cri-containerd-<id>.scope"). This maps one to the
 * other by looking at the cgroup2 mount the agent sees (normally
 * /sys/fs/cgroup, the host's in a DaemonSet), which is right in any cgroup
 * namespace, unlike /proc/<pid>/cgroup.
 */
#ifndef AISEC_CGPATH_H
#define AISEC_CGPATH_H

#include <stddef.h>
#include <linux/types.h>

struct cgpath;

/* root: the cgroup2 mount; NULL: /sys/fs/cgroup, or /sys/fs/cgroup/unified
 * when only that one is cgroup2 (systemd's "hybrid" layout, where the v1
 * controllers sit in /sys/fs/cgroup). Any directory works (tests use plain
 * ones). max: cached ids (0: 16384). NULL with errno set when root cannot be
 * opened as a directory (ENOTDIR, ENOENT, ...). Nothing is read before the
 * first miss. One thread uses a struct cgpath. */
struct cgpath *cgpath__new(const char *root, size_t max);
void cgpath__free(struct cgpath *c);

/* The path of cgroup id, relative to the root and starting with "/" ("/" for
 * the root itself), into buf. 0; -ENOENT when no cgroup has that id;
 * -ENAMETOOLONG when the path does not fit len (buf then holds ""); another
 * -errno when the tree cannot be read.
 * A cached answer is checked with one fstatat() (a cgroup removed or renamed
 * since counts as a miss). A miss walks the whole tree once, not following
 * symbolic links nor leaving the root's file system, and the cache becomes
 * what the walk found (removed cgroups drop out); at most one walk a second:
 * a miss within a second of the end of the last walk is -ENOENT at once. When the tree
 * holds more than max cgroups, the cache keeps the first max-1 found and the
 * one asked for. */
int cgpath__path(struct cgpath *c, __u64 id, char *buf, size_t len);

/* The id of the cgroup at path (relative to the root: "/", "/a/b"; repeated
 * and trailing slashes are ignored), cached. 0; -EINVAL for a relative path
 * or a "." or ".." component; -ENOTDIR when path is not a directory on the
 * root's file system; -ENOENT and other stat errors. Never walks the tree. */
int cgpath__id(struct cgpath *c, const char *path, __u64 *id);

/* The cgroup is gone: forget it (nothing when it is not cached). */
void cgpath__forget(struct cgpath *c, __u64 id);

/* Cached entries, and full walks of the tree so far. */
size_t cgpath__size(const struct cgpath *c);
__u64 cgpath__rescans(const struct cgpath *c);

#endif /* AISEC_CGPATH_H */

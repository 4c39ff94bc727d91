/*
 * cgpath: cgroup v2 id <-> path, from the cgroup2 mount.
 *
 * On cgroup2 the id the kernel reports (bpf_get_current_cgroup_id, the
 * cgroup_id of tracepoints) is the kernfs node id, which is also the st_ino of
 * the cgroup's directory (on 64-bit machines; kernfs ids are never reused
 * while the machine runs). So id -> path is a directory walk, and
 * path -> id a stat.
 *
 * Cache: a chained hash table of id -> path, at most max entries. A miss walks
 * the whole tree once (at most once a second) and rebuilds the table from what
 * it finds, so cgroups removed since drop out too. The walk does not follow
 * symbolic links and stays on the root's file system. A hit is checked with
 * one fstatat() that the path still names that directory (a cgroup may have
 * been removed or renamed since): a hit is never a stale answer.
 *
 * Not thread-safe: one thread owns a struct cgpath.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgpath.h"
#include "log.h"

#define DEFAULT_ROOT "/sys/fs/cgroup"
/* systemd's "hybrid" layout: v1 controllers in /sys/fs/cgroup, v2 here. */
#define HYBRID_ROOT "/sys/fs/cgroup/unified"
#define DEFAULT_MAX 16384
#define MAX_BUCKETS (1u << 20)
#define RESCAN_INTERVAL_NS 1000000000LL
/* Deeper cgroups are not walked: one open directory per level. Real trees
 * are some ten levels deep (kubepods.slice/.../<container>.scope/...). */
#define MAX_DEPTH 64

struct entry {
	struct entry *next;
	__u64 id;
	char path[]; /* "/" or "/a/b" */
};

struct cgpath {
	char *root;
	int rootfd; /* O_PATH, the root directory */
	dev_t dev;  /* the root's file system: the walk stays on it */
	struct entry **buckets;
	size_t mask; /* bucket count - 1 */
	size_t n, max;
	__u64 rescans;
	long long last_scan_ns; /* CLOCK_MONOTONIC; -1: never */
};

/* One walk of the tree, building a new table into buckets. */
struct walk {
	struct cgpath *c;
	struct entry **buckets;
	size_t n;
	__u64 want; /* the id asked for (0: none); always gets a slot */
	bool found;
	char *out;
	size_t outlen;
	int outerr; /* 0, or -ENAMETOOLONG when want's path did not fit out */
	int err;    /* fatal: -ENOMEM */
	char path[PATH_MAX];
	size_t len;
};

static size_t bucket(size_t mask, __u64 id)
{
	__u64 h = id * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & mask;
}

static struct entry **find_link(struct entry **buckets, size_t mask, __u64 id)
{
	struct entry **link = &buckets[bucket(mask, id)];

	while (*link && (*link)->id != id)
		link = &(*link)->next;
	return link;
}

static struct entry *new_entry(__u64 id, const char *path)
{
	size_t len = strlen(path);
	struct entry *e = malloc(sizeof(*e) + len + 1);

	if (!e)
		return NULL;
	e->next = NULL;
	e->id = id;
	memcpy(e->path, path, len + 1);
	return e;
}

static void free_table(struct entry **buckets, size_t mask)
{
	struct entry *e, *next;
	size_t i;

	if (!buckets)
		return;
	for (i = 0; i <= mask; i++) {
		for (e = buckets[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(buckets);
}

/* Copy path into buf: 0 or -ENAMETOOLONG (buf then holds ""). */
static int copy_out(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(buf, path, n + 1);
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* path ("/" or "/a/b") relative to the root fd: "." or "a/b". */
static const char *relative(const char *path)
{
	return path[1] ? path + 1 : ".";
}

/* Whether path still names the directory with this id. */
static bool still_there(const struct cgpath *c, const char *path, __u64 id)
{
	struct stat st;

	if (fstatat(c->rootfd, relative(path), &st, AT_SYMLINK_NOFOLLOW))
		return false;
	return S_ISDIR(st.st_mode) && st.st_dev == c->dev && (__u64)st.st_ino == id;
}

/* Cache id -> path in the live table: replace, or add while there is room. */
static void put(struct cgpath *c, __u64 id, const char *path)
{
	struct entry **link = find_link(c->buckets, c->mask, id);
	struct entry *e;

	if (*link && !strcmp((*link)->path, path))
		return;
	if (!*link && c->n >= c->max)
		return;
	e = new_entry(id, path);
	if (!e)
		return; /* only a cache: the answer was given already */
	if (*link) {
		e->next = (*link)->next;
		free(*link);
	} else {
		c->n++;
	}
	*link = e;
}

static void record(struct walk *w, __u64 id)
{
	struct entry **link;
	struct entry *e;
	bool reserve;

	if (id == w->want && !w->found) {
		w->found = true;
		w->outerr = copy_out(w->path, w->out, w->outlen);
	}
	/* Until the wanted id is seen, one slot stays free for it. */
	reserve = w->want && !w->found;
	if (w->n + reserve >= w->c->max)
		return;
	link = find_link(w->buckets, w->c->mask, id);
	if (*link)
		return; /* the same directory seen twice (a bind mount): keep the first */
	e = new_entry(id, w->path);
	if (!e) {
		w->err = -ENOMEM;
		return;
	}
	*link = e;
	w->n++;
}

/* Walk the directory dfd (whose path is w->path), taking ownership of dfd. */
static void walk_dir(struct walk *w, int dfd, unsigned int depth)
{
	struct dirent *de;
	struct stat st;
	size_t len = w->len, nlen;
	DIR *dir;
	int fd;

	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return;
	}
	while (!w->err && (de = readdir(dir))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nlen = strlen(de->d_name);
		if (len + 1 + nlen >= sizeof(w->path)) {
			log_debug("cgroup %s%s/%s: path too long, not walked", w->c->root, w->path, de->d_name);
			continue;
		}
		/* O_NOFOLLOW: a symbolic link (DT_UNKNOWN) fails here. */
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* removed since readdir, or not ours to read */
		if (fstat(fd, &st) || st.st_dev != w->c->dev) {
			close(fd);
			continue;
		}
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, nlen + 1);
		w->len = len + 1 + nlen;
		record(w, (__u64)st.st_ino);
		if (depth + 1 < MAX_DEPTH)
			walk_dir(w, fd, depth + 1);
		else
			close(fd);
		w->len = len;
		w->path[len] = '\0';
	}
	closedir(dir);
}

/* Walk the tree into a new table that replaces the cached one. want's path
 * goes into out. 0 (found or not: see w->found), or -errno when the tree
 * could not be read (the old table then stays). */
static int rescan(struct cgpath *c, __u64 want, char *out, size_t outlen, bool *found)
{
	struct walk *w;
	struct stat st;
	int fd, err = 0;

	c->rescans++;
	*found = false;
	w = calloc(1, sizeof(*w));
	if (!w) {
		c->last_scan_ns = now_ns();
		return -ENOMEM;
	}
	w->c = c;
	w->want = want;
	w->out = out;
	w->outlen = outlen;
	w->buckets = calloc(c->mask + 1, sizeof(*w->buckets));
	if (!w->buckets) {
		err = -ENOMEM;
		goto cleanup;
	}
	fd = openat(c->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		log_warn("cannot read the cgroup tree %s: %s", c->root, strerror(-err));
		if (fd >= 0)
			close(fd);
		goto cleanup;
	}
	strcpy(w->path, "/");
	record(w, (__u64)st.st_ino);
	w->path[0] = '\0'; /* children append "/name" */
	walk_dir(w, fd, 0);
	if (w->err) {
		err = w->err;
		log_warn("cannot cache the cgroup tree %s: %s", c->root, strerror(-err));
		goto cleanup;
	}
	free_table(c->buckets, c->mask);
	c->buckets = w->buckets;
	c->n = w->n;
	w->buckets = NULL;
	*found = w->found;
	err = w->found ? w->outerr : 0;
cleanup:
	/* From the end of the walk: a long walk still leaves a second's rest. */
	c->last_scan_ns = now_ns();
	free_table(w->buckets, c->mask);
	free(w);
	return err;
}

static bool is_cgroup2(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static const char *default_root(void)
{
	if (!is_cgroup2(DEFAULT_ROOT) && is_cgroup2(HYBRID_ROOT))
		return HYBRID_ROOT;
	return DEFAULT_ROOT;
}

struct cgpath *cgpath__new(const char *root, size_t max)
{
	struct cgpath *c;
	struct stat st;
	size_t nbuckets;
	int err;

	if (!root)
		root = default_root();
	if (!max)
		max = DEFAULT_MAX;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->rootfd = -1;
	c->max = max;
	c->last_scan_ns = -1;
	for (nbuckets = 16; nbuckets < max && nbuckets < MAX_BUCKETS; nbuckets *= 2)
		;
	c->mask = nbuckets - 1;
	c->root = strdup(root);
	c->buckets = calloc(nbuckets, sizeof(*c->buckets));
	if (!c->root || !c->buckets) {
		err = ENOMEM;
		goto cleanup;
	}
	c->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0 || fstat(c->rootfd, &st)) {
		err = errno;
		goto cleanup;
	}
	c->dev = st.st_dev;
	return c;
cleanup:
	cgpath__free(c);
	errno = err;
	return NULL;
}

void cgpath__free(struct cgpath *c)
{
	if (!c)
		return;
	free_table(c->buckets, c->mask);
	if (c->rootfd >= 0)
		close(c->rootfd);
	free(c->root);
	free(c);
}

int cgpath__path(struct cgpath *c, __u64 id, char *buf, size_t len)
{
	struct entry **link;
	struct entry *e;
	bool found;
	int err;

	if (!c || (!buf && len))
		return -EINVAL;
	if (!id)
		return -ENOENT;
	link = find_link(c->buckets, c->mask, id);
	e = *link;
	if (e) {
		if (still_there(c, e->path, id))
			return copy_out(e->path, buf, len);
		/* Removed or renamed since: a miss. */
		*link = e->next;
		free(e);
		c->n--;
	}
	if (c->last_scan_ns >= 0 && now_ns() - c->last_scan_ns < RESCAN_INTERVAL_NS)
		return -ENOENT;
	err = rescan(c, id, buf, len, &found);
	if (err)
		return err;
	return found ? 0 : -ENOENT;
}

/* path ("/a//b/") as the walk spells it ("/a/b") into out (PATH_MAX bytes).
 * -EINVAL when not absolute or with a "." or ".." component. */
static int normalize(const char *path, char *out)
{
	const char *p = path, *end;
	size_t n, len = 0;

	if (path[0] != '/')
		return -EINVAL;
	for (;;) {
		p += strspn(p, "/");
		if (!*p)
			break;
		end = strchrnul(p, '/');
		n = end - p;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		if (len + 1 + n >= PATH_MAX)
			return -ENAMETOOLONG;
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		p = end;
	}
	if (!len)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}

int cgpath__id(struct cgpath *c, const char *path, __u64 *id)
{
	char norm[PATH_MAX];
	struct stat st;
	int err;

	if (!c || !path || !id)
		return -EINVAL;
	err = normalize(path, norm);
	if (err)
		return err;
	if (fstatat(c->rootfd, relative(norm), &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_dev != c->dev)
		return -ENOTDIR;
	*id = (__u64)st.st_ino;
	put(c, *id, norm);
	return 0;
}

void cgpath__forget(struct cgpath *c, __u64 id)
{
	struct entry **link;
	struct entry *e;

	if (!c)
		return;
	link = find_link(c->buckets, c->mask, id);
	e = *link;
	if (!e)
		return;
	*link = e->next;
	free(e);
	c->n--;
}

size_t cgpath__size(const struct cgpath *c)
{
	return c ? c->n : 0;
}

__u64 cgpath__rescans(const struct cgpath *c)
{
	return c ? c->rescans : 0;
}

/*
 * proc: the process cache behind event enrichment, and the procfs readers it
 * uses (stat, status, cmdline, exe/cwd links, cgroup).
 *
 * Layout: every slot is allocated up front, so neither a hit nor an insert
 * allocates. Each slot has a small node (pid, hash-chain link, LRU links) kept
 * in its own array, apart from the large proc_info records, so a lookup walks
 * only a few cache lines and touches one proc_info: the one it returns. The
 * hash table holds slot indices, chained through the nodes, with at least
 * twice as many buckets as slots so chains stay short. The LRU list is doubly
 * linked through the nodes: head is the most recently used slot, tail the next
 * to evict. Free slots are chained through their LRU "next" link.
 *
 * A hit (proc_cache__get on a cached pid) is a hash, a short chain walk and
 * four link updates: no allocation, no I/O, no formatting.
 *
 * The generation counts changes of content: every write to a proc_info goes
 * through entry_for_write() and every change of which pid a slot holds
 * through take_slot() or release_slot(), and those three are where it is
 * incremented. LRU moves (touch) change nothing a reader sees and leave it.
 *
 * Not thread-safe: the cache belongs to the one thread that consumes events.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

#define NIL UINT32_MAX

/* uid when status could not be read: the kernel's own "no uid" value. */
#define UID_UNKNOWN ((__u32)-1)

#define MIN_ENTRIES 16
/* The kernel's PID_MAX_LIMIT: a larger cache could never fill. */
#define MAX_ENTRIES (1u << 22)

/* A real stat line is a few hundred bytes; status has Uid: near the top. */
#define STAT_BUF_LEN 2048
#define STATUS_BUF_LEN 4096
#define CGROUP_BUF_LEN 8192
/* How far past PROC_CMDLINE_LEN to look for a non-NUL byte (more argv)
 * before calling the command line complete. */
#define CMDLINE_LOOKAHEAD 4096

struct node {
	__u32 pid;
	__u32 hnext; /* next slot in the same bucket */
	__u32 prev;  /* LRU: towards the head (more recent) */
	__u32 next;  /* LRU: towards the tail; free list link when free */
};

struct proc_cache {
	char *root;
	struct node *nodes;
	struct proc_info *infos;
	__u32 *buckets;
	unsigned int shift; /* 32 - log2(bucket count) */
	__u32 cap;
	__u32 size;
	__u32 head; /* most recently used */
	__u32 tail; /* least recently used */
	__u32 free_head;
	__u64 evictions;
	__u64 generation;	  /* see proc_cache__generation */
	struct proc_info scratch; /* a procfs read lands here before it is known to succeed */
};

/* Copy src into dst (size bytes), always terminated. True when src did not fit. */
static bool copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	bool truncated = n >= size;

	if (truncated)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return truncated;
}

/* ---- hash table and LRU list ---- */

static __u32 bucket_of(const struct proc_cache *c, __u32 pid)
{
	/* Fibonacci hashing: pids are dense and sequential, the top bits mix well. */
	return (__u32)(pid * 2654435769u) >> c->shift;
}

static __u32 find(const struct proc_cache *c, __u32 pid)
{
	__u32 i;

	for (i = c->buckets[bucket_of(c, pid)]; i != NIL; i = c->nodes[i].hnext)
		if (c->nodes[i].pid == pid)
			return i;
	return NIL;
}

static void hash_link(struct proc_cache *c, __u32 i)
{
	__u32 *b = &c->buckets[bucket_of(c, c->nodes[i].pid)];

	c->nodes[i].hnext = *b;
	*b = i;
}

static void hash_unlink(struct proc_cache *c, __u32 i)
{
	__u32 *p = &c->buckets[bucket_of(c, c->nodes[i].pid)];

	while (*p != i)
		p = &c->nodes[*p].hnext;
	*p = c->nodes[i].hnext;
}

static void lru_unlink(struct proc_cache *c, __u32 i)
{
	struct node *n = &c->nodes[i];

	if (n->prev != NIL)
		c->nodes[n->prev].next = n->next;
	else
		c->head = n->next;
	if (n->next != NIL)
		c->nodes[n->next].prev = n->prev;
	else
		c->tail = n->prev;
}

static void lru_push_front(struct proc_cache *c, __u32 i)
{
	struct node *n = &c->nodes[i];

	n->prev = NIL;
	n->next = c->head;
	if (c->head != NIL)
		c->nodes[c->head].prev = i;
	else
		c->tail = i;
	c->head = i;
}

static void touch(struct proc_cache *c, __u32 i)
{
	if (c->head == i)
		return;
	lru_unlink(c, i);
	lru_push_front(c, i);
}

/* Slot i's proc_info, to be written: the one way to write an entry, so the
 * generation moves with every write. */
static struct proc_info *entry_for_write(struct proc_cache *c, __u32 i)
{
	c->generation++;
	return &c->infos[i];
}

/* A slot for pid (which must not be cached), linked in as most recently used;
 * evicts the least recently used entry when full. The proc_info is not
 * initialised. */
static __u32 take_slot(struct proc_cache *c, __u32 pid)
{
	__u32 i;

	/* A pid now has an entry, and an evicted one may have lost its own. */
	c->generation++;
	if (c->free_head != NIL) {
		i = c->free_head;
		c->free_head = c->nodes[i].next;
	} else {
		i = c->tail;
		hash_unlink(c, i);
		lru_unlink(c, i);
		c->size--;
		c->evictions++;
	}
	c->nodes[i].pid = pid;
	hash_link(c, i);
	lru_push_front(c, i);
	c->size++;
	return i;
}

static void release_slot(struct proc_cache *c, __u32 i)
{
	c->generation++;
	hash_unlink(c, i);
	lru_unlink(c, i);
	c->nodes[i].next = c->free_head;
	c->free_head = i;
	c->size--;
}

/* ---- procfs readers ---- */

static int open_pid_dir(const char *root, __u32 pid)
{
	char path[PATH_MAX];
	int n, fd;

	n = snprintf(path, sizeof(path), "%s/%u", root, pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Read up to size bytes of dirfd/name into buf. Byte count or -errno. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += n;
	}
cleanup:
	close(fd);
	return err ? err : (ssize_t)len;
}

/* Text variant: at most size - 1 bytes, NUL-terminated. */
static ssize_t read_text_at(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n = read_at(dirfd, name, buf, size - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

static int parse_u32(const char *s, char **end, __u32 *out)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno || v > UINT32_MAX)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

/*
 * "pid (comm) state ppid ...". comm may hold spaces, parentheses and even
 * newlines, so it runs from the first '(' to the LAST ')' of the line.
 */
static int parse_stat(const char *buf, char *comm, size_t comm_size, char *state, __u32 *ppid)
{
	const char *open = strchr(buf, '(');
	const char *close = strrchr(buf, ')');
	const char *p;
	size_t n;

	if (!open || !close || close < open)
		return -EINVAL;
	p = close + 1;
	if (*p++ != ' ' || !*p || *p == ' ')
		return -EINVAL;
	if (state)
		*state = *p;
	p++;
	if (*p++ != ' ' || parse_u32(p, NULL, ppid))
		return -EINVAL;
	if (comm) {
		n = close - open - 1;
		if (n >= comm_size)
			n = comm_size - 1;
		memcpy(comm, open + 1, n);
		comm[n] = '\0';
	}
	return 0;
}

/* Real uid: the first number of the "Uid:" line of status. */
static __u32 read_uid(int dirfd)
{
	char buf[STATUS_BUF_LEN];
	const char *line;
	__u32 uid;

	if (read_text_at(dirfd, "status", buf, sizeof(buf)) < 0)
		return UID_UNKNOWN;
	if (!strncmp(buf, "Uid:", 4))
		line = buf;
	else if ((line = strstr(buf, "\nUid:")))
		line++;
	else
		return UID_UNKNOWN;
	line += 4;
	line += strspn(line, " \t");
	return parse_u32(line, NULL, &uid) ? UID_UNKNOWN : uid;
}

/*
 * cmdline holds argv as NUL-terminated strings. Join with single spaces, drop
 * trailing NULs, keep at most size - 1 bytes. It is truncated when a
 * non-NUL byte follows what was kept; only CMDLINE_LOOKAHEAD more bytes are
 * read to find one, which bounds the I/O for huge argument lists.
 */
static void read_cmdline(int dirfd, char *out, size_t size, bool *truncated)
{
	char buf[PROC_CMDLINE_LEN];
	char more[CMDLINE_LOOKAHEAD];
	bool beyond = false;
	size_t len, i;
	ssize_t n;
	int fd;

	out[0] = '\0';
	*truncated = false;
	fd = openat(dirfd, "cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = 0;
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	if (len == sizeof(buf)) {
		do
			n = read(fd, more, sizeof(more));
		while (n < 0 && errno == EINTR);
		for (i = 0; n > 0 && i < (size_t)n && !beyond; i++)
			beyond = more[i] != '\0';
	}
	close(fd);
	if (!beyond)
		while (len > 0 && buf[len - 1] == '\0')
			len--;
	if (len > size - 1) {
		len = size - 1;
		beyond = true;
	}
	for (i = 0; i < len; i++)
		out[i] = buf[i] ? buf[i] : ' ';
	out[len] = '\0';
	*truncated = beyond;
}

/* Link target into out, "" when unreadable (missing, or not ours to ptrace). */
static int read_link(int dirfd, const char *name, char *out, size_t size)
{
	ssize_t n = readlinkat(dirfd, name, out, size - 1);

	if (n < 0) {
		out[0] = '\0';
		return -errno;
	}
	out[n] = '\0';
	return 0;
}

/* From "id:controllers:path" lines keep the v2 path ("0::/path"), else the
 * first v1 path; the container is looked for over all lines. */
static void read_cgroup(int dirfd, struct proc_info *info)
{
	char buf[CGROUP_BUF_LEN];
	const char *line, *end, *c1, *c2;
	bool have_v1 = false, v2;
	ssize_t n;
	size_t len;

	n = read_text_at(dirfd, "cgroup", buf, sizeof(buf));
	if (n <= 0)
		return;
	/* A full buffer may end mid-line: drop the partial line. */
	if ((size_t)n == sizeof(buf) - 1) {
		char *last = strrchr(buf, '\n');

		if (last)
			last[1] = '\0';
	}
	for (line = buf; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		c1 = memchr(line, ':', end - line);
		c2 = c1 ? memchr(c1 + 1, ':', end - c1 - 1) : NULL;
		if (!c2)
			continue;
		v2 = c1 == line + 1 && line[0] == '0' && c2 == c1 + 1;
		if (!v2 && have_v1)
			continue;
		len = end - (c2 + 1);
		if (len >= sizeof(info->cgroup))
			len = sizeof(info->cgroup) - 1;
		memcpy(info->cgroup, c2 + 1, len);
		info->cgroup[len] = '\0';
		if (v2)
			break;
		have_v1 = true;
	}
	if (container__from_proc_cgroup(buf, &info->container) != 1)
		memset(&info->container, 0, sizeof(info->container));
}

/* Everything procfs has about pid, into *info. Only stat is required: the
 * other files may be unreadable (permissions) or gone (the process exited
 * between reads). 0 or -errno. */
static int load_procfs(const char *root, __u32 pid, struct proc_info *info)
{
	char buf[STAT_BUF_LEN];
	int dirfd, err;
	ssize_t n;

	dirfd = open_pid_dir(root, pid);
	if (dirfd < 0)
		return dirfd;
	memset(info, 0, sizeof(*info));
	info->pid = pid;
	n = read_text_at(dirfd, "stat", buf, sizeof(buf));
	if (n < 0) {
		err = (int)n;
		goto cleanup;
	}
	err = parse_stat(buf, info->comm, sizeof(info->comm), NULL, &info->ppid);
	if (err) {
		log_debug("%s/%u/stat: unparsable, process skipped", root, pid);
		goto cleanup;
	}
	info->uid = read_uid(dirfd);
	read_cmdline(dirfd, info->cmdline, sizeof(info->cmdline), &info->cmdline_truncated);
	read_link(dirfd, "exe", info->exe, sizeof(info->exe));
	read_link(dirfd, "cwd", info->cwd, sizeof(info->cwd));
	read_cgroup(dirfd, info);
	info->from_procfs = true;
	err = 0;
cleanup:
	close(dirfd);
	return err;
}

/* ---- the cache ---- */

struct proc_cache *proc_cache__new(const char *procfs_root, size_t max_entries)
{
	struct proc_cache *c = NULL;
	size_t nbuckets;
	unsigned int bits;
	__u32 i;
	int err;

	err = EINVAL;
	if (!procfs_root)
		goto cleanup;
	if (max_entries < MIN_ENTRIES || max_entries > MAX_ENTRIES) {
		log_err("proc cache: size %zu out of range: give between %d and %u entries", max_entries, MIN_ENTRIES,
			MAX_ENTRIES);
		goto cleanup;
	}
	err = ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto cleanup;
	for (bits = 1; ((size_t)1 << bits) < 2 * max_entries; bits++)
		;
	nbuckets = (size_t)1 << bits;
	c->shift = 32 - bits;
	c->cap = (__u32)max_entries;
	c->root = strdup(procfs_root);
	c->nodes = calloc(max_entries, sizeof(*c->nodes));
	/* calloc'd, so pages of slots never used are never touched. */
	c->infos = calloc(max_entries, sizeof(*c->infos));
	c->buckets = malloc(nbuckets * sizeof(*c->buckets));
	if (!c->root || !c->nodes || !c->infos || !c->buckets) {
		log_err("proc cache: out of memory for %zu entries", max_entries);
		goto cleanup;
	}
	for (i = 0; i < nbuckets; i++)
		c->buckets[i] = NIL;
	for (i = 0; i < c->cap; i++)
		c->nodes[i].next = i + 1 < c->cap ? i + 1 : NIL;
	c->free_head = 0;
	c->head = NIL;
	c->tail = NIL;
	return c;
cleanup:
	proc_cache__free(c);
	errno = err;
	return NULL;
}

void proc_cache__free(struct proc_cache *cache)
{
	if (!cache)
		return;
	free(cache->buckets);
	free(cache->infos);
	free(cache->nodes);
	free(cache->root);
	free(cache);
}

const struct proc_info *proc_cache__get(struct proc_cache *cache, __u32 pid)
{
	__u32 i = find(cache, pid);

	if (i != NIL) {
		touch(cache, i);
		return &cache->infos[i];
	}
	if (load_procfs(cache->root, pid, &cache->scratch))
		return NULL;
	i = take_slot(cache, pid);
	*entry_for_write(cache, i) = cache->scratch;
	return &cache->infos[i];
}

const struct proc_info *proc_cache__peek(const struct proc_cache *cache, __u32 pid)
{
	__u32 i = find(cache, pid);

	return i == NIL ? NULL : &cache->infos[i];
}

void proc_cache__on_fork(struct proc_cache *cache, __u32 child, __u32 parent, __u32 uid, const char *comm)
{
	const struct proc_info *p;
	struct proc_info *ci;
	__u32 i;

	if (child == parent)
		return;
	/* The parent ends up most recently used, so taking a slot for the
	 * child (which evicts the tail of >= 16 entries) cannot evict it. */
	p = proc_cache__get(cache, parent);
	i = find(cache, child);
	if (i == NIL)
		i = take_slot(cache, child);
	else
		touch(cache, i);
	ci = entry_for_write(cache, i);
	if (p)
		*ci = *p;
	else
		memset(ci, 0, sizeof(*ci));
	ci->pid = child;
	ci->ppid = parent;
	ci->uid = uid;
	ci->from_procfs = false;
	if (comm)
		copy_str(ci->comm, sizeof(ci->comm), comm);
}

/* filename made absolute against cwd when relative and cwd is known; a
 * leading "./" is dropped so "./x" in /srv reads "/srv/x". */
static void set_exe(struct proc_info *e, const char *filename)
{
	size_t n;

	if (!filename) {
		e->exe[0] = '\0';
		return;
	}
	if (filename[0] == '/' || !e->cwd[0] || !filename[0]) {
		copy_str(e->exe, sizeof(e->exe), filename);
		return;
	}
	while (filename[0] == '.' && filename[1] == '/')
		for (filename += 2; *filename == '/'; filename++)
			;
	/* e->exe and e->cwd are distinct buffers, so build in place. */
	copy_str(e->exe, sizeof(e->exe), e->cwd);
	n = strlen(e->exe);
	if (n > 0 && e->exe[n - 1] != '/' && n + 1 < sizeof(e->exe)) {
		e->exe[n++] = '/';
		e->exe[n] = '\0';
	}
	copy_str(e->exe + n, sizeof(e->exe) - n, filename);
}

/* argv joined by single spaces into out; true when it did not fit. */
static bool join_argv(char *out, size_t size, const char *const *argv, size_t argc)
{
	bool truncated = false;
	size_t len = 0, n, k;
	const char *a;

	for (k = 0; argv && k < argc && !truncated; k++) {
		a = argv[k] ? argv[k] : "";
		if (k > 0) {
			if (len == size - 1) {
				truncated = true;
				break;
			}
			out[len++] = ' ';
		}
		n = strlen(a);
		if (n > size - 1 - len) {
			n = size - 1 - len;
			truncated = true;
		}
		memcpy(out + len, a, n);
		len += n;
	}
	out[len] = '\0';
	return truncated;
}

void proc_cache__on_exec(struct proc_cache *cache, __u32 pid, __u32 ppid, __u32 uid, const char *comm,
			 const char *filename, const char *const *argv, size_t argc)
{
	struct proc_info *e;
	char link[PROC_PATH_LEN];
	__u32 i;
	int dirfd;

	i = find(cache, pid);
	if (i != NIL) {
		touch(cache, i);
	} else if (!load_procfs(cache->root, pid, &cache->scratch)) {
		/* procfs gives the cwd (for a relative filename) and the cgroup. */
		i = take_slot(cache, pid);
		*entry_for_write(cache, i) = cache->scratch;
	} else {
		i = take_slot(cache, pid);
		e = entry_for_write(cache, i);
		memset(e, 0, sizeof(*e));
		e->pid = pid;
	}
	e = entry_for_write(cache, i);
	e->ppid = ppid;
	e->uid = uid;
	if (comm)
		copy_str(e->comm, sizeof(e->comm), comm);
	e->cmdline_truncated = join_argv(e->cmdline, sizeof(e->cmdline), argv, argc);

	/* chdir is not traced: take the cwd from procfs when the process is
	 * still there, so a relative filename resolves against the right one. */
	dirfd = open_pid_dir(cache->root, pid);
	if (dirfd >= 0) {
		if (!read_link(dirfd, "cwd", link, sizeof(link)))
			memcpy(e->cwd, link, sizeof(link));
		close(dirfd);
	}
	/* exe is the filename execve got, never /proc/<pid>/exe: the process
	 * may be gone by the time the event is read, and the answer must not
	 * depend on that race. */
	set_exe(e, filename);
}

void proc_cache__on_exit(struct proc_cache *cache, __u32 pid)
{
	__u32 i = find(cache, pid);

	if (i != NIL)
		release_slot(cache, i);
}

/*
 * Pid 1 is included when the chain reaches it (it is the last ancestor, and
 * "started by init" or "by the container's init" is worth reporting); pid 0
 * (the idle task, parent of 1 and kthreadd) is not. Every returned pid was
 * found in the cache or procfs, so callers can look each one up; an ancestor
 * that cannot be found ends the chain without being included.
 */
size_t proc_cache__ancestry(struct proc_cache *cache, __u32 pid, __u32 *pids, size_t max)
{
	const struct proc_info *cur;
	__u32 next;
	size_t n = 0, k;

	if (max > PROC_ANCESTRY_MAX)
		max = PROC_ANCESTRY_MAX;
	cur = proc_cache__get(cache, pid);
	while (cur && n < max) {
		next = cur->ppid;
		if (next == 0 || next == pid)
			break;
		for (k = 0; k < n; k++)
			if (pids[k] == next)
				return n;
		cur = proc_cache__get(cache, next);
		if (!cur)
			break;
		pids[n++] = next;
		if (next == 1)
			break;
	}
	return n;
}

size_t proc_cache__size(const struct proc_cache *cache)
{
	return cache->size;
}

__u64 proc_cache__evictions(const struct proc_cache *cache)
{
	return cache->evictions;
}

__u64 proc_cache__generation(const struct proc_cache *cache)
{
	return cache->generation;
}

bool proc_cache__holds(const struct proc_cache *cache, const struct proc_info *info)
{
	/* Compared as integers: relational operators on pointers into
	 * different objects are undefined. */
	uintptr_t off = (uintptr_t)info - (uintptr_t)cache->infos;

	return off < (uintptr_t)cache->cap * sizeof(*cache->infos) && off % sizeof(*cache->infos) == 0;
}

/* ---- procfs scans ---- */

struct pid_pair {
	__u32 pid;
	__u32 ppid;
	bool taken;
};

static int cmp_by_ppid(const void *a, const void *b)
{
	const struct pid_pair *x = a, *y = b;

	if (x->ppid != y->ppid)
		return x->ppid < y->ppid ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Directory name of a process: decimal, no sign, no leading zero. */
static bool pid_name(const char *name, __u32 *pid)
{
	char *end;

	if (name[0] < '1' || name[0] > '9')
		return false;
	return !parse_u32(name, &end, pid) && *end == '\0';
}

/* First index in the sorted pairs whose ppid is >= ppid. */
static size_t lower_bound(const struct pid_pair *pairs, size_t n, __u32 ppid)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pairs[mid].ppid < ppid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Zombies are kept: a thread-group leader whose own thread exited shows "Z"
 * while its other threads (and children) live on. *out is NULL when *count
 * is 0. The result is breadth-first: children, then grandchildren, each
 * generation in ascending pid order of its parents' children.
 */
int proc__descendants(const char *procfs_root, __u32 root, __u32 **out, size_t *count)
{
	struct pid_pair *pairs = NULL, *grown;
	char name[32], buf[STAT_BUF_LEN];
	size_t n = 0, cap = 0, found = 0, head = 0, j;
	__u32 *res = NULL, pid, ppid, cur;
	struct dirent *de;
	DIR *dir = NULL;
	int err = 0;

	if (!procfs_root || !out || !count)
		return -EINVAL;
	*out = NULL;
	*count = 0;
	dir = opendir(procfs_root);
	if (!dir) {
		err = -errno;
		log_warn("cannot list %s: %s", procfs_root, strerror(-err));
		goto cleanup;
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de)
			break;
		if (!pid_name(de->d_name, &pid))
			continue;
		snprintf(name, sizeof(name), "%u/stat", pid);
		/* A process that exited since readdir has no stat: skip it. */
		if (read_text_at(dirfd(dir), name, buf, sizeof(buf)) < 0 || parse_stat(buf, NULL, 0, NULL, &ppid))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(pairs, cap * sizeof(*pairs));
			if (!grown) {
				err = -ENOMEM;
				goto cleanup;
			}
			pairs = grown;
		}
		pairs[n++] = (struct pid_pair){.pid = pid, .ppid = ppid};
	}
	if (errno) {
		err = -errno;
		log_warn("cannot list %s: %s", procfs_root, strerror(-err));
		goto cleanup;
	}
	if (!n)
		goto cleanup;
	qsort(pairs, n, sizeof(*pairs), cmp_by_ppid);
	/* res is also the BFS queue. Each pair is taken at most once, so a
	 * pid loop (pid reuse between reads) still ends, with at most n pids. */
	res = malloc(n * sizeof(*res));
	if (!res) {
		err = -ENOMEM;
		goto cleanup;
	}
	cur = root;
	for (;;) {
		for (j = lower_bound(pairs, n, cur); j < n && pairs[j].ppid == cur; j++) {
			if (pairs[j].taken || pairs[j].pid == root)
				continue;
			pairs[j].taken = true;
			res[found++] = pairs[j].pid;
		}
		if (head == found)
			break;
		cur = res[head++];
	}
	if (found) {
		*out = res;
		*count = found;
		res = NULL;
	}
cleanup:
	free(res);
	free(pairs);
	if (dir)
		closedir(dir);
	return err;
}

bool proc__exists(const char *procfs_root, __u32 pid)
{
	char path[PATH_MAX];
	struct stat st;
	int n;

	if (!procfs_root)
		return false;
	n = snprintf(path, sizeof(path), "%s/%u", procfs_root, pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * BPF test of selection by cgroup (the node agent, `run`): the test makes its
 * own cgroups <cgroup2>/aisec-test-select-<pid>/{a,b,c,d}, sets verdicts
 * a=SELECT, b=IGNORE, c none, and checks what the kernel sends for children
 * that move into them and exec /bin/true: watched and reported (a, and d set
 * to SELECT only after the move, so the exec hook decides), nothing (b), an
 * exec record marked AISEC_F_SELECT and no exit (c). A running process moved
 * into a is watched; a removed cgroup loses its verdict and is reported; the
 * task iterator lists processes with their cgroup ids; the per-CPU counters
 * and the unread byte count read back. With select off none of it happens.
 * Only records of the test's own children and cgroups are looked at: the
 * whole machine is traced.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "events.h"
#include "loader.h"
#include "testutil.h"

enum { CG_A, CG_B, CG_C, CG_D, CG_N };
static const char *const cg_names[CG_N] = { "a", "b", "c", "d" };

#define MAX_KIDS 16
#define MAX_RECS 256

/* What the test keeps of one record. */
struct rec {
	__u32 kind, pid, flags;
	__u64 cgroup_id;
	char filename[64];
	int exit_signal, exit_code;
};

struct fixture {
	char root[256];                 /* the cgroup2 mount */
	char base[512];                 /* <root>/aisec-test-select-<pid> */
	char dir[CG_N][600];
	__u64 ino[CG_N];                /* cgroup ids: inode numbers of the dirs */
	bool removed[CG_N];
	pid_t kids[MAX_KIDS];           /* every child made, for filtering records */
	bool reaped[MAX_KIDS];          /* the others are killed and reaped in teardown */
	size_t nkids;
	struct loader *ld;
	struct rec recs[MAX_RECS];      /* records of our children and cgroups */
	size_t nrecs;
	bool overflow;
	size_t rb_bytes;                /* ring-buffer bytes of every record consumed */
};

static bool ours(const struct fixture *f, const struct aisec_hdr *h)
{
	if (h->kind == AISEC_EV_CGROUP_GONE) {
		for (int i = 0; i < CG_N; i++)
			if (h->cgroup_id == f->ino[i])
				return true;
		return false;
	}
	for (size_t i = 0; i < f->nkids; i++)
		if (h->pid == (__u32)f->kids[i])
			return true;
	return false;
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct fixture *f = ctx;
	static struct event ev; /* large: not on the stack */
	struct rec *r;

	assert_int_equal(events__decode(data, size, &ev), 0);
	/* The ring buffer's own 8-byte header, then the record, 8-aligned. */
	f->rb_bytes += (8 + size + 7) & ~(size_t)7;
	if (!ours(f, ev.hdr))
		return 0;
	if (f->nrecs == MAX_RECS) {
		f->overflow = true;
		return 0;
	}
	r = &f->recs[f->nrecs++];
	memset(r, 0, sizeof(*r));
	r->kind = ev.kind;
	r->pid = ev.hdr->pid;
	r->flags = ev.hdr->flags;
	r->cgroup_id = ev.hdr->cgroup_id;
	if (ev.kind == AISEC_EV_EXEC)
		snprintf(r->filename, sizeof(r->filename), "%s", ev.filename);
	if (ev.kind == AISEC_EV_EXIT) {
		r->exit_signal = ev.exit_signal;
		r->exit_code = ev.exit_code;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Consume records for ms milliseconds. */
static void drain(struct fixture *f, int ms)
{
	double end = now_s() + ms / 1000.0;

	do
		assert_true(loader__poll(f->ld, 20) >= 0);
	while (now_s() < end);
}

static size_t count(const struct fixture *f, __u32 kind, pid_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nrecs; i++)
		if (f->recs[i].kind == kind && f->recs[i].pid == (__u32)pid)
			n++;
	return n;
}

static size_t count_pid(const struct fixture *f, pid_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nrecs; i++)
		if (f->recs[i].kind != AISEC_EV_CGROUP_GONE && f->recs[i].pid == (__u32)pid)
			n++;
	return n;
}

static const struct rec *find(const struct fixture *f, __u32 kind, pid_t pid)
{
	for (size_t i = 0; i < f->nrecs; i++)
		if (f->recs[i].kind == kind && f->recs[i].pid == (__u32)pid)
			return &f->recs[i];
	return NULL;
}

static const struct rec *find_gone(const struct fixture *f, __u64 cgroup_id)
{
	for (size_t i = 0; i < f->nrecs; i++)
		if (f->recs[i].kind == AISEC_EV_CGROUP_GONE && f->recs[i].cgroup_id == cgroup_id)
			return &f->recs[i];
	return NULL;
}

/* Poll until a record of kind for pid arrived (up to 5 s). */
static const struct rec *wait_rec(struct fixture *f, __u32 kind, pid_t pid)
{
	double end = now_s() + 5;
	const struct rec *r;

	while (!(r = find(f, kind, pid)) && now_s() < end)
		assert_true(loader__poll(f->ld, 20) >= 0);
	return r;
}

static bool is_watched(struct fixture *f, pid_t pid)
{
	static __u32 pids[65536];
	size_t n = loader__watched(f->ld, pids, sizeof(pids) / sizeof(pids[0]));

	for (size_t i = 0; i < n; i++)
		if (pids[i] == (__u32)pid)
			return true;
	return false;
}

static bool is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static __u64 ino_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

/* Move pid into the cgroup at dir. 0 or -errno. */
static int cg_move(const char *dir, pid_t pid)
{
	char path[700], buf[32];
	int fd, n, rc = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(fd, buf, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

/* rmdir a cgroup, waiting out the moment its last task is still leaving. */
static int cg_rmdir(const char *dir)
{
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

static void kill_kids(struct fixture *f)
{
	for (size_t i = 0; i < f->nkids; i++) {
		if (f->reaped[i])
			continue;
		kill(f->kids[i], SIGKILL);
		waitpid(f->kids[i], NULL, 0);
		f->reaped[i] = true;
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	/* Not root: nothing to make; the test itself skips or fails (CI). */
	if (geteuid() != 0)
		return 0;
	if (is_cgroup2("/sys/fs/cgroup"))
		snprintf(f->root, sizeof(f->root), "/sys/fs/cgroup");
	else if (is_cgroup2("/sys/fs/cgroup/unified")) /* systemd's hybrid layout */
		snprintf(f->root, sizeof(f->root), "/sys/fs/cgroup/unified");
	else
		fail_msg("no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified");
	snprintf(f->base, sizeof(f->base), "%s/aisec-test-select-%d", f->root, (int)getpid());
	if (mkdir(f->base, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", f->base, strerror(errno));
	for (int i = 0; i < CG_N; i++) {
		snprintf(f->dir[i], sizeof(f->dir[i]), "%s/%s", f->base, cg_names[i]);
		if (mkdir(f->dir[i], 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", f->dir[i], strerror(errno));
		f->ino[i] = ino_of(f->dir[i]);
	}
	return 0;
}

/* Runs after a failed test too: no child and no cgroup is left behind. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = 0;

	if (!f)
		return 0;
	kill_kids(f);
	loader__free(f->ld);
	for (int i = 0; i < CG_N; i++) {
		if (f->dir[i][0] && cg_rmdir(f->dir[i])) {
			fprintf(stderr, "cannot remove %s: %s\n", f->dir[i], strerror(errno));
			rc = -1;
		}
	}
	if (f->base[0] && cg_rmdir(f->base)) {
		fprintf(stderr, "cannot remove %s: %s\n", f->base, strerror(errno));
		rc = -1;
	}
	free(f);
	return rc;
}

static void open_loader(struct fixture *f, bool select)
{
	struct loader_opts o = { .ringbuf_bytes = 4 << 20, .select = select };
	char err[512] = "";

	f->ld = loader__open(&o, on_record, f, err, sizeof(err));
	if (!f->ld)
		fail_msg("loader__open (select %s): %s", select ? "on" : "off", err);
}

static pid_t add_kid(struct fixture *f, pid_t pid)
{
	assert_true(pid > 0);
	assert_true(f->nkids < MAX_KIDS);
	f->kids[f->nkids++] = pid;
	return pid;
}

/* A child that moves itself into the cgroup at dir, then (when go_fd >= 0)
 * says so on moved_fd and waits for a byte on go_fd, then execs /bin/true. */
static pid_t spawn_exec(struct fixture *f, const char *dir, int moved_fd, int go_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		char c = 0;

		if (cg_move(dir, getpid()))
			_exit(126);
		if (go_fd >= 0 && (write(moved_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1))
			_exit(125);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	return add_kid(f, pid);
}

/* A child that only sleeps, until killed. */
static pid_t spawn_sleeper(struct fixture *f)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return add_kid(f, pid);
}

static void mark_reaped(struct fixture *f, pid_t pid)
{
	for (size_t i = 0; i < f->nkids; i++)
		if (f->kids[i] == pid)
			f->reaped[i] = true;
}

static void reap_ok(struct fixture *f, pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	mark_reaped(f, pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child %d: wait status %#x (126: cannot join its cgroup)", (int)pid, st);
}

static void reap_killed(struct fixture *f, pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	mark_reaped(f, pid);
}

struct task_seen {
	pid_t pid;              /* looked for */
	pid_t tid;              /* a thread of ours: must not be listed */
	size_t n, hits, tid_hits;
	__u64 cgroup_id;
};

static void on_task(void *ctx, __u32 tgid, __u64 cgroup_id)
{
	struct task_seen *t = ctx;

	t->n++;
	if (tgid == (__u32)t->pid) {
		t->hits++;
		t->cgroup_id = cgroup_id;
	}
	if (t->tid && tgid == (__u32)t->tid)
		t->tid_hits++;
}

static void *idle_thread(void *arg)
{
	pid_t *tid = arg;

	__atomic_store_n(tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

/* Our own cgroup's id: the inode of <cgroup2>/<path in /proc/self/cgroup>. */
static __u64 own_cgroup_id(const struct fixture *f)
{
	char line[512], path[1024] = "";
	FILE *fp = fopen("/proc/self/cgroup", "re");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(path, sizeof(path), "%s%s", f->root, line + 3);
		}
	}
	fclose(fp);
	if (!path[0])
		fail_msg("no cgroup v2 line (0::) in /proc/self/cgroup");
	return ino_of(path);
}

/* Selection on: cases 1-7 of the brief, one loader. */
static void test_select_on(void **state)
{
	struct fixture *f = *state;
	int moved[2], go[2];
	const struct rec *r;
	pid_t pid, sl_a, sl_b, sl_c;
	char c = 0;

	tu_require_root();
	open_loader(f, true);
	assert_int_equal(loader__set_cgroup_verdict(f->ld, f->ino[CG_A], AISEC_CG_SELECT), 0);
	assert_int_equal(loader__set_cgroup_verdict(f->ld, f->ino[CG_B], AISEC_CG_IGNORE), 0);

	/* 1. SELECT: the move itself watches it; exec and exit are reported as usual. */
	pid = spawn_exec(f, f->dir[CG_A], -1, -1);
	reap_ok(f, pid);
	r = wait_rec(f, AISEC_EV_EXIT, pid);
	assert_non_null(r);
	assert_int_equal(r->exit_code, 0);
	r = find(f, AISEC_EV_EXEC, pid);
	assert_non_null(r);
	assert_int_equal(r->flags & AISEC_F_SELECT, 0);
	assert_string_equal(r->filename, "/bin/true");
	assert_int_equal(r->cgroup_id, f->ino[CG_A]);
	assert_int_equal(count(f, AISEC_EV_EXEC, pid), 1);
	assert_false(is_watched(f, pid));

	/* 1b. Moved while d has no verdict (not watched), d set to SELECT, then
	 * exec: the exec hook's lookup watches it. */
	assert_int_equal(pipe2(moved, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = spawn_exec(f, f->dir[CG_D], moved[1], go[0]);
	assert_int_equal(read(moved[0], &c, 1), 1);
	assert_false(is_watched(f, pid));
	assert_int_equal(loader__set_cgroup_verdict(f->ld, f->ino[CG_D], AISEC_CG_SELECT), 0);
	assert_int_equal(write(go[1], &c, 1), 1);
	reap_ok(f, pid);
	close(moved[0]);
	close(moved[1]);
	close(go[0]);
	close(go[1]);
	r = wait_rec(f, AISEC_EV_EXIT, pid);
	assert_non_null(r);
	r = find(f, AISEC_EV_EXEC, pid);
	assert_non_null(r);
	assert_int_equal(r->flags & AISEC_F_SELECT, 0);
	assert_int_equal(r->cgroup_id, f->ino[CG_D]);

	/* 2. IGNORE: nothing at all. */
	pid = spawn_exec(f, f->dir[CG_B], -1, -1);
	reap_ok(f, pid);
	drain(f, 300);
	assert_int_equal(count_pid(f, pid), 0);
	assert_false(is_watched(f, pid));

	/* 3. No verdict: the exec for the agent to decide, and nothing after. */
	pid = spawn_exec(f, f->dir[CG_C], -1, -1);
	reap_ok(f, pid);
	r = wait_rec(f, AISEC_EV_EXEC, pid);
	assert_non_null(r);
	assert_int_equal(r->flags & AISEC_F_SELECT, AISEC_F_SELECT);
	assert_string_equal(r->filename, "/bin/true");
	assert_int_equal(r->cgroup_id, f->ino[CG_C]);
	drain(f, 300);
	assert_int_equal(count(f, AISEC_EV_EXIT, pid), 0);
	assert_int_equal(count_pid(f, pid), 1);

	/* 4. A running process moved into a SELECT cgroup is watched from then
	 * on; into IGNORE or no verdict it is not. */
	sl_a = spawn_sleeper(f);
	sl_b = spawn_sleeper(f);
	sl_c = spawn_sleeper(f);
	assert_false(is_watched(f, sl_a));
	assert_int_equal(cg_move(f->dir[CG_A], sl_a), 0);
	assert_int_equal(cg_move(f->dir[CG_B], sl_b), 0);
	assert_int_equal(cg_move(f->dir[CG_C], sl_c), 0);
	assert_true(is_watched(f, sl_a));
	assert_false(is_watched(f, sl_b));
	assert_false(is_watched(f, sl_c));

	/* 6. The task iterator: the sleepers with their new cgroups, ourselves
	 * with ours, and no thread that is not a group leader. */
	{
		struct task_seen t = { .pid = sl_a };
		pthread_t th;
		pid_t tid = 0;

		assert_int_equal(loader__tasks(f->ld, on_task, &t), 0);
		assert_true(t.n > 2);
		assert_int_equal(t.hits, 1);
		assert_int_equal(t.cgroup_id, f->ino[CG_A]);
		memset(&t, 0, sizeof(t));
		t.pid = sl_c;
		assert_int_equal(loader__tasks(f->ld, on_task, &t), 0);
		assert_int_equal(t.hits, 1);
		assert_int_equal(t.cgroup_id, f->ino[CG_C]);

		assert_int_equal(pthread_create(&th, NULL, idle_thread, &tid), 0);
		while (!__atomic_load_n(&tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		memset(&t, 0, sizeof(t));
		t.pid = getpid();
		t.tid = tid;
		assert_int_equal(loader__tasks(f->ld, on_task, &t), 0);
		assert_int_equal(t.hits, 1);
		assert_int_equal(t.tid_hits, 0);
		assert_int_equal(t.cgroup_id, own_cgroup_id(f));
		pthread_cancel(th);
		pthread_join(th, NULL);
	}

	/* 4, continued: the watched sleeper's death is reported, the others' not. */
	reap_killed(f, sl_a);
	reap_killed(f, sl_b);
	reap_killed(f, sl_c);
	r = wait_rec(f, AISEC_EV_EXIT, sl_a);
	assert_non_null(r);
	assert_int_equal(r->exit_signal, SIGKILL);
	assert_int_equal(r->cgroup_id, f->ino[CG_A]);
	assert_false(is_watched(f, sl_a));
	drain(f, 200);
	assert_int_equal(count_pid(f, sl_b), 0);
	assert_int_equal(count_pid(f, sl_c), 0);

	/* 5. Removing a cgroup deletes its verdict in the kernel and reports it;
	 * one without a verdict is reported too (the agent may know its path). */
	assert_int_equal(loader__del_cgroup_verdict(f->ld, f->ino[CG_D]), 0);
	assert_int_equal(loader__del_cgroup_verdict(f->ld, f->ino[CG_D]), -ENOENT);
	assert_int_equal(cg_rmdir(f->dir[CG_A]), 0);
	assert_int_equal(cg_rmdir(f->dir[CG_C]), 0);
	drain(f, 200);
	r = find_gone(f, f->ino[CG_A]);
	assert_non_null(r);
	assert_int_equal(r->pid, (__u32)getpid());
	assert_non_null(find_gone(f, f->ino[CG_C]));
	assert_null(find_gone(f, f->ino[CG_B]));
	assert_int_equal(loader__del_cgroup_verdict(f->ld, f->ino[CG_A]), -ENOENT);
	assert_int_equal(loader__del_cgroup_verdict(f->ld, f->ino[CG_B]), 0);

	/* 7. Per-CPU counters: every possible CPU, or as many as asked for. */
	{
		int possible = libbpf_num_possible_cpus();
		__u64(*pc)[AISEC_STAT_MAX] = calloc((size_t)possible, sizeof(*pc));
		__u64 sum[AISEC_STAT_MAX] = { 0 }, st[AISEC_STAT_MAX];
		size_t n = 0;

		assert_true(possible > 0);
		assert_non_null(pc);
		assert_int_equal(loader__stats_percpu(f->ld, pc, (size_t)possible + 4, &n), 0);
		assert_int_equal(n, (size_t)possible);
		for (size_t cpu = 0; cpu < n; cpu++)
			for (int k = 0; k < AISEC_STAT_MAX; k++)
				sum[k] += pc[cpu][k];
		/* Counters only grow: a later sum is at least this one. */
		assert_int_equal(loader__stats(f->ld, st), 0);
		for (int k = 0; k < AISEC_STAT_MAX; k++)
			assert_true(st[k] >= sum[k]);
		assert_int_equal(loader__stats_percpu(f->ld, pc, 1, &n), 0);
		assert_int_equal(n, 1);
		free(pc);
	}
	assert_false(f->overflow);
}

/* Selection off (a loader opened after the first one was freed): execs in a
 * cgroup without a verdict, moves into a SELECT cgroup and rmdirs yield
 * nothing. Then the ring buffer's unread byte count. */
static void test_select_off(void **state)
{
	struct fixture *f = *state;
	pid_t pid, sl;
	char path[128];
	size_t unread;

	tu_require_root();
	open_loader(f, false);
	/* The map is there either way; only the hooks that read it are not. */
	assert_int_equal(loader__set_cgroup_verdict(f->ld, f->ino[CG_A], AISEC_CG_SELECT), 0);

	pid = spawn_exec(f, f->dir[CG_C], -1, -1);
	reap_ok(f, pid);
	sl = spawn_sleeper(f);
	assert_int_equal(cg_move(f->dir[CG_A], sl), 0);
	assert_false(is_watched(f, sl));
	pid = spawn_exec(f, f->dir[CG_A], -1, -1);
	reap_ok(f, pid);
	reap_killed(f, sl);
	assert_int_equal(cg_rmdir(f->dir[CG_C]), 0);
	drain(f, 300);
	assert_int_equal(f->nrecs, 0);

	/* 7. Unread bytes: 0 once drained (nothing is watched, so nothing
	 * comes); then exactly the bytes of the records we leave waiting. */
	drain(f, 50);
	assert_int_equal(loader__ringbuf_unread(f->ld), 0);
	snprintf(path, sizeof(path), "/nonexistent/aisec-select-test-%d", getpid());
	assert_int_equal(loader__watch(f->ld, (__u32)getpid()), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(open(path, O_RDONLY | O_CLOEXEC), -1);
	assert_int_equal(loader__unwatch(f->ld, (__u32)getpid()), 0);
	unread = loader__ringbuf_unread(f->ld);
	assert_true(unread > 0);
	f->rb_bytes = 0;
	drain(f, 50);
	assert_int_equal(unread, f->rb_bytes);
	assert_int_equal(loader__ringbuf_unread(f->ld), 0);
}

/* The verdict map from userspace: bad values, a full map, clearing it. */
static void test_verdict_map(void **state)
{
	struct fixture *f = *state;
	const __u64 fake = 1ULL << 62; /* ids no cgroup has */

	tu_require_root();
	open_loader(f, true);
	assert_int_equal(loader__set_cgroup_verdict(f->ld, fake, 3), -EINVAL);
	assert_int_equal(loader__del_cgroup_verdict(f->ld, fake), -ENOENT);
	assert_int_equal(loader__clear_cgroup_verdicts(f->ld), 0);
	for (__u64 i = 0; i < AISEC_CG_MAX_ENTRIES; i++)
		assert_int_equal(loader__set_cgroup_verdict(f->ld, fake + i, (__u8)(i % 3)), 0);
	assert_int_equal(loader__set_cgroup_verdict(f->ld, fake + AISEC_CG_MAX_ENTRIES, AISEC_CG_SELECT), -ENOSPC);
	/* Replacing a verdict needs no new entry. */
	assert_int_equal(loader__set_cgroup_verdict(f->ld, fake, AISEC_CG_PER_PROCESS), 0);
	assert_int_equal(loader__clear_cgroup_verdicts(f->ld), 0);
	for (__u64 i = 0; i < AISEC_CG_MAX_ENTRIES; i += 997)
		assert_int_equal(loader__del_cgroup_verdict(f->ld, fake + i), -ENOENT);
	assert_int_equal(loader__set_cgroup_verdict(f->ld, fake + AISEC_CG_MAX_ENTRIES, AISEC_CG_SELECT), 0);
	assert_int_equal(loader__clear_cgroup_verdicts(f->ld), 0);
	assert_int_equal(loader__del_cgroup_verdict(f->ld, fake + AISEC_CG_MAX_ENTRIES), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdict_map, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

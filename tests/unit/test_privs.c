/*
 * Unit tests for agent/privs.c.
 *
 * Without root: status parsing (a fake procfs), capability names, the
 * runtime set's value, and the drop's refusals that change nothing.
 *
 * As root (skipped otherwise), every drop in a forked child so this process
 * keeps its capabilities:
 *  - the runtime set: the child's status shows eff == prm == bnd == the set,
 *    inh == amb == 0, no_new_privs; what was dropped is gone (mount, setuid,
 *    chown, writing another user's file, kill, raising a capability again,
 *    the bounding set, an execve);
 *  - what the agent reads of another user's processes, tried with no
 *    capability, cap_sys_ptrace alone, cap_dac_read_search alone and both,
 *    against two targets: a process exec'd as nobody (dumpable, like a
 *    container's workload) and one that setuid() to nobody without exec
 *    (not dumpable, like a daemon that dropped root). The result is printed
 *    as a table, then what each read needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"
#include "testutil.h"

#define NOBODY 65534
#define BIT(c) (1ULL << (c))
#define PUBLIC_TEXT "public\n"
#define SECRET_TEXT "secret\n"

/* ---- helpers ---- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Wait for pid; its exit status, or 128 + signal. */
static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- without root ---- */

static void test_runtime_set(void **state)
{
	char names[128];

	(void)state;
	assert_int_equal(privs__runtime_set(), BIT(CAP_BPF) | BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH));
	privs__names(privs__runtime_set(), names, sizeof(names));
	print_message("runtime set: %s\n", names);
}

static void test_names(void **state)
{
	char buf[64];

	(void)state;
	privs__names(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	privs__names(BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH), buf, sizeof(buf));
	assert_string_equal(buf, "cap_dac_read_search,cap_sys_ptrace");
	privs__names(BIT(CAP_CHOWN) | BIT(CAP_BPF) | BIT(63), buf, sizeof(buf));
	assert_string_equal(buf, "cap_chown,cap_bpf,63");
	/* cut between names */
	privs__names(BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH), buf, 34);
	assert_string_equal(buf, "cap_dac_read_search");
	privs__names(BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH), buf, 35);
	assert_string_equal(buf, "cap_dac_read_search,cap_sys_ptrace");
	privs__names(BIT(CAP_SYS_PTRACE), buf, 5);
	assert_string_equal(buf, "");
	privs__names(BIT(CAP_SYS_PTRACE), NULL, 0);
}

static void put_status(const char *procfs, const char *pid, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", procfs, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/status", procfs, pid);
	write_file(path, text, 0644);
}

static void test_read(void **state)
{
	char *procfs = tu_tmpdir();
	struct privs_caps caps, again;

	(void)state;
	assert_non_null(procfs);
	put_status(procfs, "42",
		   "Name:\tx\nUmask:\t0022\nCapInh:\t0000000000000001\nCapPrm:\t000001ffffffffff\n"
		   "CapEff:\t0000000000080004\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n"
		   "NoNewPrivs:\t1\nSeccomp:\t0\n");
	assert_int_equal(privs__read(procfs, 42, &caps), 0);
	assert_int_equal(caps.inh, 1);
	assert_int_equal(caps.prm, 0x1ffffffffffULL);
	assert_int_equal(caps.eff, 0x80004ULL);
	assert_int_equal(caps.bnd, 0x1fffeffffffULL);
	assert_int_equal(caps.amb, 0);
	assert_int_equal(caps.no_new_privs, 1);

	/* "self" for pid 0; no NoNewPrivs line: -1 */
	put_status(procfs, "self",
		   "CapInh:\t0\nCapPrm:\tA\nCapEff:\ta\nCapBnd:\tffffffffffffffff\nCapAmb:\t0000000000000002\n");
	assert_int_equal(privs__read(procfs, 0, &caps), 0);
	assert_int_equal(caps.prm, 10);
	assert_int_equal(caps.eff, 10);
	assert_int_equal(caps.bnd, UINT64_MAX);
	assert_int_equal(caps.amb, 2);
	assert_int_equal(caps.no_new_privs, -1);

	/* a key is a whole key: "CapEffX" is not "CapEff" */
	put_status(procfs, "43", "CapInh:\t0\nCapPrm:\t0\nCapEffX:\t1\nCapBnd:\t0\nCapAmb:\t0\n");
	assert_int_equal(privs__read(procfs, 43, &caps), -EINVAL);
	put_status(procfs, "44", "CapInh:\t0\nCapPrm:\t0\nCapEff:\t1\nCapBnd:\t0\n"); /* no CapAmb */
	assert_int_equal(privs__read(procfs, 44, &caps), -EINVAL);
	put_status(procfs, "45", "CapInh:\t0\nCapPrm:\txyz\nCapEff:\t1\nCapBnd:\t0\nCapAmb:\t0\n");
	assert_int_equal(privs__read(procfs, 45, &caps), -EINVAL);
	put_status(procfs, "46", "CapInh:\t0\nCapPrm:\t12 34\nCapEff:\t1\nCapBnd:\t0\nCapAmb:\t0\n");
	assert_int_equal(privs__read(procfs, 46, &caps), -EINVAL);
	put_status(procfs, "47", "CapInh:\t0\nCapPrm:\t10000000000000000\nCapEff:\t1\nCapBnd:\t0\nCapAmb:\t0\n");
	assert_int_equal(privs__read(procfs, 47, &caps), -EINVAL);
	assert_int_equal(privs__read(procfs, 99, &caps), -ENOENT);
	assert_int_equal(privs__read(procfs, 42, NULL), -EINVAL);
	assert_int_equal(privs__read(procfs, -1, &caps), -EINVAL);

	/* the real thing: NULL is /proc, 0 is self */
	assert_int_equal(privs__read(NULL, 0, &caps), 0);
	assert_int_equal(privs__read("/proc", getpid(), &again), 0);
	assert_true(caps.eff == again.eff && caps.prm == again.prm && caps.inh == again.inh &&
		    caps.bnd == again.bnd && caps.amb == again.amb && caps.no_new_privs == again.no_new_privs);
	assert_true(caps.no_new_privs == 0 || caps.no_new_privs == 1);
	assert_int_equal(caps.eff & ~caps.prm, 0);

	tu_rmtree(procfs);
	free(procfs);
}

static void *idle_thread(void *arg)
{
	char c;

	return (void *)(intptr_t)read(*(int *)arg, &c, 1);
}

/* Refusals checked before anything changes; in a child all the same. */
static void test_drop_refusals(void **state)
{
	char err[256], want[256], *name;
	struct privs_caps caps;
	int p[2], rc, c, bad = 0;
	pthread_t t;
	pid_t pid;

	(void)state;
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rc = privs__drop_to(BIT(63), err, sizeof(err));
		if (rc != -EINVAL || !strstr(err, "keeping capability 63: unknown to this kernel")) {
			printf("unknown capability: %d \"%s\"\n", rc, err);
			bad++;
		}
		/* the first capability this process does not have, if any */
		for (c = 0; privs__read(NULL, 0, &caps) == 0 && c < cap_max_bits(); c++) {
			if (caps.prm & BIT(c))
				continue;
			name = cap_to_name(c);
			snprintf(want, sizeof(want), "keeping %s: the process does not have it: Operation not permitted",
				 name);
			cap_free(name);
			rc = privs__drop_to(BIT(c), err, sizeof(err));
			if (rc != -EPERM || strcmp(err, want)) {
				printf("capability not held: %d \"%s\"\n", rc, err);
				bad++;
			}
			break;
		}
		if (pipe(p) || pthread_create(&t, NULL, idle_thread, &p[0])) {
			printf("no thread\n");
			_exit(99);
		}
		rc = privs__drop_to(0, err, sizeof(err));
		if (rc != -EBUSY || !strstr(err, "2 threads are running")) {
			printf("threads: %d \"%s\"\n", rc, err);
			bad++;
		}
		/* nothing changed by any of these */
		if (privs__read(NULL, 0, &caps) || caps.no_new_privs != 0) {
			printf("no_new_privs set by a refused drop\n");
			bad++;
		}
		fflush(stdout);
		_exit(bad);
	}
	assert_int_equal(wait_child(pid), 0);
}

/* ---- as root: what the capabilities allow ---- */

struct target {
	const char *name;
	pid_t pid;
	char exe[PATH_MAX]; /* what /proc/<pid>/exe must say */
};

struct world {
	bool skip;
	char *dir;    /* owned by nobody, 0755: the targets' cwd and "source" */
	char *procfs; /* root's scratch directory */
	struct target t[2];
};

#define NTARGETS 2

enum { T_EXEC, T_SETUID };

/* Become nobody in dir; then exec sleep (T_EXEC) or sleep as we are. fd:
 * written (T_SETUID) or closed by the exec (T_EXEC) when ready. */
static void become_target(int kind, const char *dir, int fd)
{
	char c = 1;

	if (chdir(dir) || setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(97);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* cleared by setuid: set after */
	if (kind == T_EXEC) {
		execl("/bin/sleep", "sleep", "120", (char *)NULL);
		_exit(98);
	}
	if (write(fd, &c, 1) != 1)
		_exit(96);
	sleep(120);
	_exit(0);
}

static int start_target(struct world *w, int kind)
{
	struct target *t = &w->t[kind];
	char c;
	int p[2];
	ssize_t n;

	t->name = kind == T_EXEC ? "exec'd as nobody" : "setuid nobody, no exec";
	if (kind == T_EXEC) {
		if (!realpath("/bin/sleep", t->exe))
			return -1;
	} else if (readlink("/proc/self/exe", t->exe, sizeof(t->exe) - 1) < 0) {
		return -1;
	}
	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stdout);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		close(p[0]);
		become_target(kind, w->dir, p[1]);
	}
	close(p[1]);
	/* T_EXEC: EOF when the exec closed the pipe; T_SETUID: one byte. */
	do
		n = read(p[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if ((kind == T_EXEC && n != 0) || (kind == T_SETUID && n != 1))
		return -1;
	return kill(t->pid, 0);
}

static int setup_world(void **state)
{
	static const __u64 needed = BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_SETPCAP) | BIT(CAP_CHOWN) |
				    BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_KILL);
	struct world *w = calloc(1, sizeof(*w));
	struct privs_caps caps;
	char path[PATH_MAX];

	if (!w)
		return -1;
	*state = w;
	if (geteuid() != 0 || privs__read(NULL, 0, &caps) || (caps.eff & needed) != needed) {
		w->skip = true;
		return 0;
	}
	w->dir = tu_tmpdir();
	w->procfs = tu_tmpdir();
	if (!w->dir || !w->procfs)
		return -1;
	snprintf(path, sizeof(path), "%s/public.txt", w->dir);
	write_file(path, PUBLIC_TEXT, 0644);
	if (chown(path, NOBODY, NOBODY))
		return -1;
	snprintf(path, sizeof(path), "%s/secret.txt", w->dir);
	write_file(path, SECRET_TEXT, 0600);
	if (chown(path, NOBODY, NOBODY) || chown(w->dir, NOBODY, NOBODY) || chmod(w->dir, 0755))
		return -1;
	if (start_target(w, T_EXEC) || start_target(w, T_SETUID))
		return -1;
	return 0;
}

/* Only whether the drop tests can run. */
static int setup_root(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct privs_caps caps;

	if (!w)
		return -1;
	*state = w;
	w->skip = geteuid() != 0 || privs__read(NULL, 0, &caps) || !(caps.eff & BIT(CAP_SETPCAP));
	return 0;
}

static int teardown_world(void **state)
{
	struct world *w = *state;
	int i;

	if (!w)
		return 0;
	for (i = 0; i < NTARGETS; i++) {
		if (w->t[i].pid > 0) {
			kill(w->t[i].pid, SIGKILL);
			wait_child(w->t[i].pid);
		}
	}
	tu_rmtree(w->dir);
	tu_rmtree(w->procfs);
	free(w->dir);
	free(w->procfs);
	free(w);
	return 0;
}

/* ---- the reads: 0 when it works (and says what it must), -errno ---- */

static int read_proc(const struct target *t, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)t->pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n > 0 ? 0 : -ENODATA;
}

static int c_status(const struct target *t, const char *dir)
{
	char buf[4096];
	int rc = read_proc(t, "status", buf, sizeof(buf));

	return rc ? rc : strstr(buf, "\nUid:\t65534\t") ? 0 : -EPROTO;
}

static int c_cmdline(const struct target *t, const char *dir)
{
	char buf[4096];

	return read_proc(t, "cmdline", buf, sizeof(buf));
}

static int c_stat(const struct target *t, const char *dir)
{
	char buf[4096];

	return read_proc(t, "stat", buf, sizeof(buf));
}

static int c_cgroup(const struct target *t, const char *dir)
{
	char buf[4096];

	return read_proc(t, "cgroup", buf, sizeof(buf));
}

static int link_is(const struct target *t, const char *name, const char *want)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)t->pid, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return strcmp(buf, want) ? -EPROTO : 0;
}

static int c_exe(const struct target *t, const char *dir)
{
	return link_is(t, "exe", t->exe);
}

static int c_cwd(const struct target *t, const char *dir)
{
	return link_is(t, "cwd", dir);
}

static int read_is(const char *path, const char *want)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return strcmp(buf, want) ? -EPROTO : 0;
}

static int c_root_public(const struct target *t, const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/%d/root%s/public.txt", (int)t->pid, dir);
	return read_is(path, PUBLIC_TEXT);
}

static int c_root_secret(const struct target *t, const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/%d/root%s/secret.txt", (int)t->pid, dir);
	return read_is(path, SECRET_TEXT);
}

static int c_fd_list(const struct target *t, const char *dir)
{
	char path[64];
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)t->pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 2 ? 0 : -ENODATA;
}

static int c_secret_file(const struct target *t, const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/secret.txt", dir);
	return read_is(path, SECRET_TEXT);
}

/*
 * Each read, and what it gives per target ([T_EXEC], [T_SETUID]) for each
 * set in `sets` order: 'y' works, 'n' EACCES. These are the kernel's rules:
 *  - /proc/<pid>/{status,cmdline,stat,cgroup} are 0444: no check;
 *  - exe, cwd and root are followed only after ptrace_may_access(READ):
 *    another uid, or a non-dumpable process, needs cap_sys_ptrace;
 *  - /proc/<pid>/fd is 0500, owned by the process's uid (root's when it is
 *    not dumpable), and the owner alone may list it: cap_dac_read_search
 *    for another user's dumpable process;
 *  - a 0600 file of another user, directly or through /proc/<pid>/root,
 *    needs cap_dac_read_search (the latter cap_sys_ptrace too).
 */
static const struct check {
	const char *what;
	const char *agent_use; /* who reads it after the drop; "" for nobody yet */
	int (*fn)(const struct target *t, const char *dir);
	const char *expect[NTARGETS];
} checks[] = {
	{ "read /proc/<pid>/status", "proc.c", c_status, { "yyyy", "yyyy" } },
	{ "read /proc/<pid>/cmdline", "proc.c", c_cmdline, { "yyyy", "yyyy" } },
	{ "read /proc/<pid>/stat", "proc.c, watch.c", c_stat, { "yyyy", "yyyy" } },
	{ "read /proc/<pid>/cgroup", "proc.c", c_cgroup, { "yyyy", "yyyy" } },
	{ "readlink /proc/<pid>/exe", "proc.c, run.c", c_exe, { "nyny", "nyny" } },
	{ "readlink /proc/<pid>/cwd", "proc.c, run.c", c_cwd, { "nyny", "nyny" } },
	{ "read /proc/<pid>/root/<0644 file>", "docs/deploy.md: source files", c_root_public, { "nyny", "nyny" } },
	{ "read /proc/<pid>/root/<0600 file>", "docs/deploy.md: source files", c_root_secret, { "nnny", "nnny" } },
	{ "list /proc/<pid>/fd", "", c_fd_list, { "nnyy", "yyyy" } },
	{ "read another user's 0600 file", "run.c: SIGHUP reload of config, rules, findings", c_secret_file, { "nnyy", "nnyy" } },
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

static const struct {
	const char *name;
	__u64 keep;
} sets[] = {
	{ "none", 0 },
	{ "ptrace", BIT(CAP_SYS_PTRACE) },
	{ "dac", BIT(CAP_DAC_READ_SEARCH) },
	{ "both", BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH) },
};

#define NSETS (sizeof(sets) / sizeof(sets[0]))

/* In a dropped child: a failed check prints and counts. */
#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			printf("  FAIL (%s:%d): ", __FILE__, __LINE__);                                                \
			printf(__VA_ARGS__);                                                                           \
			printf("\n");                                                                                  \
			bad++;                                                                                         \
		}                                                                                                      \
	} while (0)

/* After the drop to keep: every set as it should be. */
static int check_sets(__u64 keep)
{
	struct privs_caps caps;
	int bad = 0, c;

	CHECK(privs__read(NULL, 0, &caps) == 0, "privs__read self");
	CHECK(caps.eff == keep && caps.prm == keep && caps.bnd == keep, "eff %llx prm %llx bnd %llx, want %llx",
	      (unsigned long long)caps.eff, (unsigned long long)caps.prm, (unsigned long long)caps.bnd,
	      (unsigned long long)keep);
	CHECK(caps.inh == 0 && caps.amb == 0, "inh %llx amb %llx", (unsigned long long)caps.inh,
	      (unsigned long long)caps.amb);
	CHECK(caps.no_new_privs == 1, "no_new_privs %d", caps.no_new_privs);
	for (c = 0; c < 64; c++) {
		if (prctl(PR_CAPBSET_READ, c) == 1)
			CHECK(keep & BIT(c), "capability %d still in the bounding set", c);
	}
	return bad;
}

/* What was dropped is gone: each of these needs a capability not kept. */
static int check_gone(struct world *w, __u64 keep)
{
	char path[PATH_MAX], err[256], buf[8192];
	struct privs_caps caps;
	int bad = 0, p[2], fd;
	ssize_t n, len = 0;
	pid_t pid;

	errno = 0;
	CHECK(mount("none", w->procfs, "tmpfs", 0, NULL) == -1 && errno == EPERM, "mount: %s (cap_sys_admin)",
	      strerror(errno));
	errno = 0;
	CHECK(setuid(1) == -1 && errno == EPERM, "setuid(1): %s (cap_setuid)", strerror(errno));
	CHECK(getuid() == 0 && geteuid() == 0, "still uid 0");
	snprintf(path, sizeof(path), "%s/secret.txt", w->dir);
	errno = 0;
	CHECK(chown(path, 0, 0) == -1 && errno == EPERM, "chown: %s (cap_chown)", strerror(errno));
	errno = 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(fd == -1 && errno == EACCES, "open for writing another user's 0600 file: %s (cap_dac_override)",
	      strerror(errno));
	if (fd >= 0)
		close(fd);
	errno = 0;
	CHECK(kill(w->t[T_EXEC].pid, 0) == -1 && errno == EPERM, "kill(nobody's process, 0): %s (cap_kill)",
	      strerror(errno));
	/* asking for a capability back */
	n = privs__drop_to(keep | BIT(CAP_SYS_ADMIN), err, sizeof(err));
	CHECK(n == -EPERM && !strcmp(err, "keeping cap_sys_admin: the process does not have it: Operation not "
					  "permitted"),
	      "drop_to(+cap_sys_admin): %zd \"%s\"", n, err);
	/* an execve (root's, no file capabilities) gets the bounding set: the
	 * kept set again, nothing more. Its status lands in a fake procfs. */
	if (pipe2(p, O_CLOEXEC)) {
		CHECK(0, "pipe");
		return bad;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(p[0]);
	buf[len] = '\0';
	CHECK(pid > 0 && wait_child(pid) == 0, "cat /proc/self/status");
	snprintf(path, sizeof(path), "%s/1", w->procfs);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/1/status", w->procfs);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, buf, len) == len, "write %s", path);
	if (fd >= 0)
		close(fd);
	CHECK(privs__read(w->procfs, 1, &caps) == 0, "privs__read of the exec'd status");
	CHECK(caps.eff == keep && caps.prm == keep && caps.bnd == keep && !caps.inh && !caps.amb &&
		      caps.no_new_privs == 1,
	      "after execve: eff %llx prm %llx bnd %llx inh %llx amb %llx nnp %d", (unsigned long long)caps.eff,
	      (unsigned long long)caps.prm, (unsigned long long)caps.bnd, (unsigned long long)caps.inh,
	      (unsigned long long)caps.amb, caps.no_new_privs);
	return bad;
}

/* Drop to sets[s] in a child, run every check on every target, send the
 * results up the pipe; the exit status counts what went wrong otherwise. */
static int run_set(struct world *w, size_t s, int out)
{
	int results[NCHECKS][NTARGETS];
	char err[256];
	size_t i, j;
	int bad = 0, rc;

	rc = privs__drop_to(sets[s].keep, err, sizeof(err));
	if (rc) {
		printf("  FAIL: privs__drop_to(%s): %s\n", sets[s].name, err);
		return 100;
	}
	bad += check_sets(sets[s].keep);
	for (i = 0; i < NCHECKS; i++) {
		for (j = 0; j < NTARGETS; j++)
			results[i][j] = checks[i].fn(&w->t[j], w->dir);
	}
	if (write(out, results, sizeof(results)) != (ssize_t)sizeof(results))
		bad++;
	if (sets[s].keep == privs__runtime_set())
		bad += check_gone(w, sets[s].keep);
	return bad;
}

static const char *result_name(int rc)
{
	const char *name;

	if (rc == 0)
		return "ok";
	name = strerrorname_np(-rc);
	return name ? name : "?";
}

/* The smallest of the sets a read works with, as words. */
static const char *needs(int results[NSETS][NCHECKS][NTARGETS], size_t i, size_t j)
{
	if (!results[0][i][j])
		return "nothing";
	if (!results[1][i][j])
		return "cap_sys_ptrace";
	if (!results[2][i][j])
		return "cap_dac_read_search";
	if (!results[3][i][j])
		return "cap_sys_ptrace + cap_dac_read_search";
	return "fails even with both";
}

static void test_capability_needs(void **state)
{
	static int results[NSETS][NCHECKS][NTARGETS];
	struct world *w = *state;
	size_t s, i, j;
	int p[2], mismatches = 0, status;
	ssize_t n;
	pid_t pid;

	if (w->skip) {
		print_message("needs root with cap_setuid, cap_setgid, cap_setpcap, cap_chown, cap_kill, "
			      "cap_sys_ptrace, cap_dac_read_search: skipped\n");
		skip();
	}
	/* With every capability, every read works: the checks are right. */
	for (i = 0; i < NCHECKS; i++) {
		for (j = 0; j < NTARGETS; j++) {
			int rc = checks[i].fn(&w->t[j], w->dir);

			if (rc)
				fail_msg("%s on %s, with every capability: %s", checks[i].what, w->t[j].name,
					 result_name(rc));
		}
	}
	for (s = 0; s < NSETS; s++) {
		assert_int_equal(pipe(p), 0);
		fflush(stdout);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			status = run_set(w, s, p[1]);
			fflush(stdout);
			_exit(status);
		}
		close(p[1]);
		n = read(p[0], results[s], sizeof(results[s]));
		close(p[0]);
		status = wait_child(pid);
		if (status)
			fail_msg("the child dropped to \"%s\" failed (status %d): see above", sets[s].name, status);
		assert_int_equal(n, sizeof(results[s]));
	}

	print_message("\nWhat a process keeping only these capabilities can read (uid 0, no_new_privs):\n");
	print_message("%-36s  %-27s  %-27s\n", "", w->t[T_EXEC].name, w->t[T_SETUID].name);
	print_message("%-36s ", "");
	for (j = 0; j < NTARGETS; j++) {
		for (s = 0; s < NSETS; s++)
			print_message(" %-6s", sets[s].name);
		print_message(" ");
	}
	print_message("\n");
	for (i = 0; i < NCHECKS; i++) {
		print_message("%-36s ", checks[i].what);
		for (j = 0; j < NTARGETS; j++) {
			for (s = 0; s < NSETS; s++) {
				int rc = results[s][i][j];
				bool want_ok = checks[i].expect[j][s] == 'y';
				bool match = want_ok ? rc == 0 : rc == -EACCES;

				print_message(" %-6s", result_name(rc));
				if (!match)
					mismatches++;
			}
			print_message(" ");
		}
		print_message("\n");
	}
	print_message("\nEstablished needs, reading another user's process:\n");
	print_message("  %-36s %-37s %-37s %s\n", "", w->t[T_EXEC].name, w->t[T_SETUID].name, "read by");
	for (i = 0; i < NCHECKS; i++)
		print_message("  %-36s %-37s %-37s %s\n", checks[i].what, needs(results, i, 0), needs(results, i, 1),
			      checks[i].agent_use[0] ? checks[i].agent_use : "no agent code yet");
	print_message("\n");
	if (mismatches) {
		for (i = 0; i < NCHECKS; i++) {
			for (j = 0; j < NTARGETS; j++) {
				for (s = 0; s < NSETS; s++) {
					int rc = results[s][i][j];

					if ((checks[i].expect[j][s] == 'y') != (rc == 0) ||
					    (rc && rc != -EACCES))
						print_error("%s, %s, %s: %s, expected %s\n", checks[i].what,
							    w->t[j].name, sets[s].name, result_name(rc),
							    checks[i].expect[j][s] == 'y' ? "ok" : "EACCES");
				}
			}
		}
	}
	assert_int_equal(mismatches, 0);
}

/* Without cap_setpcap the bounding set cannot shrink: the error says so. */
static void test_drop_without_setpcap(void **state)
{
	struct world *w = *state;
	char err[256];
	int rc, bad = 0;
	pid_t pid;

	if (w->skip) {
		print_message("needs root with cap_setpcap: skipped\n");
		skip();
	}
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CHECK(privs__drop_to(BIT(CAP_SYS_PTRACE), err, sizeof(err)) == 0, "first drop: %s", err);
		/* the same set again needs nothing */
		rc = privs__drop_to(BIT(CAP_SYS_PTRACE), err, sizeof(err));
		CHECK(rc == 0, "same set again: %d \"%s\"", rc, err);
		bad += check_sets(BIT(CAP_SYS_PTRACE));
		/* Without cap_setpcap (as in the DaemonSet): effective and
		 * permitted still drop, the bounding set stays as given. */
		rc = privs__drop_to(0, err, sizeof(err));
		CHECK(rc == 0, "drop without cap_setpcap: %d \"%s\"", rc, err);
		{
			struct privs_caps pc;

			CHECK(privs__read(NULL, 0, &pc) == 0, "reading status");
			CHECK(pc.eff == 0 && pc.prm == 0 && pc.bnd == BIT(CAP_SYS_PTRACE) && pc.no_new_privs == 1,
			      "after: eff %llx prm %llx bnd %llx", (unsigned long long)pc.eff,
			      (unsigned long long)pc.prm, (unsigned long long)pc.bnd);
		}
		fflush(stdout);
		_exit(bad);
	}
	assert_int_equal(wait_child(pid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_set),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_drop_refusals),
		cmocka_unit_test_setup_teardown(test_capability_needs, setup_world, teardown_world),
		cmocka_unit_test_setup_teardown(test_drop_without_setpcap, setup_root, teardown_world),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

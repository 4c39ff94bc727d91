/*
 * Unit tests for agent/proc.c: the procfs readers, the bounded LRU process
 * cache, the fork/exec/exit updates, ancestry and descendant scans. Every test
 * builds its own fake procfs tree under a mkdtemp() directory (no root, no
 * real /proc) and removes it afterwards.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "proc.h"
#include "testutil.h"

#define UID_UNKNOWN ((__u32)-1)

struct fake_proc {
	__u32 pid;
	__u32 ppid;
	const char *comm;    /* NULL: no stat file */
	const char *status;  /* NULL: no status file */
	const char *cmdline; /* raw bytes, NUL-separated; NULL: no file */
	size_t cmdline_len;
	const char *exe; /* symlink targets; NULL: no link */
	const char *cwd;
	const char *cgroup; /* NULL: no file */
};

static void make_proc(const char *root, const struct fake_proc *p)
{
	char dir[256], buf[512], path[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%u", root, p->pid);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (p->comm) {
		snprintf(buf, sizeof(buf), "%u (%s) S %u %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123 1000 50\n",
			 p->pid, p->comm, p->ppid, p->pid, p->pid);
		tu_write_file(dir, "stat", buf, strlen(buf));
		snprintf(buf, sizeof(buf), "%s\n", p->comm);
		tu_write_file(dir, "comm", buf, strlen(buf));
	}
	if (p->status)
		tu_write_file(dir, "status", p->status, strlen(p->status));
	if (p->cmdline)
		tu_write_file(dir, "cmdline", p->cmdline, p->cmdline_len);
	if (p->cgroup)
		tu_write_file(dir, "cgroup", p->cgroup, strlen(p->cgroup));
	if (p->exe) {
		snprintf(path, sizeof(path), "%s/exe", dir);
		assert_int_equal(symlink(p->exe, path), 0);
	}
	if (p->cwd) {
		snprintf(path, sizeof(path), "%s/cwd", dir);
		assert_int_equal(symlink(p->cwd, path), 0);
	}
}

/* A process with just a stat file: enough for the cache to load it. */
static void make_simple(const char *root, __u32 pid, __u32 ppid)
{
	struct fake_proc p = {.pid = pid, .ppid = ppid, .comm = "sh"};

	make_proc(root, &p);
}

static void remove_path(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(unlink(path), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	char *root = strdup("/tmp/aisec-proc-test.XXXXXX");

	if (!root || !mkdtemp(root)) {
		free(root);
		return -1;
	}
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	char *root = *state;
	int err = nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(root);
	return err;
}

static const char status_1000[] = "Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t100\nPid:\t100\n"
				  "PPid:\t42\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";

static void test_new_rejects_bad_args(void **state)
{
	errno = 0;
	assert_null(proc_cache__new(*state, 15));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(proc_cache__new(NULL, 64));
	assert_int_equal(errno, EINVAL);
	proc_cache__free(NULL);
}

static void test_stat_comm_with_spaces_and_parens(void **state)
{
	static const char cmd[] = "/bin/sh\0-c\0echo hi\0";
	struct fake_proc p = {
	    .pid = 100,
	    .ppid = 42,
	    .comm = "(a) b)",
	    .status = status_1000,
	    .cmdline = cmd,
	    .cmdline_len = sizeof(cmd) - 1,
	    .exe = "/usr/bin/dash",
	    .cwd = "/home/u",
	    .cgroup = "0::/user.slice/user-1000.slice/session-1.scope\n",
	};
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e;

	assert_non_null(c);
	make_proc(*state, &p);
	e = proc_cache__get(c, 100);
	assert_non_null(e);
	assert_int_equal(e->pid, 100);
	assert_int_equal(e->ppid, 42);
	assert_string_equal(e->comm, "(a) b)");
	assert_int_equal(e->uid, 1000);
	assert_string_equal(e->cmdline, "/bin/sh -c echo hi");
	assert_false(e->cmdline_truncated);
	assert_string_equal(e->exe, "/usr/bin/dash");
	assert_string_equal(e->cwd, "/home/u");
	assert_string_equal(e->cgroup, "/user.slice/user-1000.slice/session-1.scope");
	assert_true(e->from_procfs);
	assert_int_equal(proc_cache__size(c), 1);
	proc_cache__free(c);
}

/* A comm with a ")" followed by what looks like more fields. */
static void test_stat_comm_tricky(void **state)
{
	struct fake_proc p = {.pid = 101, .ppid = 7, .comm = ") S 99 ("};
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e;

	assert_non_null(c);
	make_proc(*state, &p);
	e = proc_cache__get(c, 101);
	assert_non_null(e);
	assert_string_equal(e->comm, ") S 99 (");
	assert_int_equal(e->ppid, 7);
	proc_cache__free(c);
}

static void test_stat_malformed(void **state)
{
	char dir[PATH_MAX];
	struct proc_cache *c = proc_cache__new(*state, 16);

	assert_non_null(c);
	snprintf(dir, sizeof(dir), "%s/102", (char *)*state);
	assert_int_equal(mkdir(dir, 0755), 0);
	tu_write_file(dir, "stat", "102 (no close paren S 1 1", 25);
	assert_null(proc_cache__get(c, 102));
	snprintf(dir, sizeof(dir), "%s/103", (char *)*state);
	assert_int_equal(mkdir(dir, 0755), 0);
	tu_write_file(dir, "stat", "103 (x) S -1 1", 14);
	assert_null(proc_cache__get(c, 103));
	assert_int_equal(proc_cache__size(c), 0);
	proc_cache__free(c);
}

static void test_missing_files(void **state)
{
	struct fake_proc bare = {.pid = 200, .ppid = 1, .comm = "bare"};
	struct fake_proc nostat = {.pid = 201, .ppid = 1, .status = status_1000};
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e;

	assert_non_null(c);
	make_proc(*state, &bare);
	make_proc(*state, &nostat);
	e = proc_cache__get(c, 200);
	assert_non_null(e);
	assert_string_equal(e->comm, "bare");
	assert_int_equal(e->uid, UID_UNKNOWN);
	assert_string_equal(e->cmdline, "");
	assert_string_equal(e->exe, "");
	assert_string_equal(e->cwd, "");
	assert_string_equal(e->cgroup, "");
	assert_int_equal(e->container.runtime, CONTAINER_NONE);
	/* stat is the one file an entry needs. */
	assert_null(proc_cache__get(c, 201));
	/* No directory at all. */
	assert_null(proc_cache__get(c, 202));
	assert_null(proc_cache__peek(c, 202));
	assert_int_equal(proc_cache__size(c), 1);
	proc_cache__free(c);
}

static const struct proc_info *load_cmdline(struct proc_cache *c, const char *root, __u32 pid, const char *data,
					    size_t len)
{
	struct fake_proc p = {.pid = pid, .ppid = 1, .comm = "c", .cmdline = data, .cmdline_len = len};

	make_proc(root, &p);
	return proc_cache__get(c, pid);
}

static void test_cmdline(void **state)
{
	char *big = malloc(6000);
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e;

	assert_non_null(big);
	assert_non_null(c);
	/* Kernel thread: empty file. */
	e = load_cmdline(c, *state, 300, "", 0);
	assert_non_null(e);
	assert_string_equal(e->cmdline, "");
	assert_false(e->cmdline_truncated);
	/* Several trailing NULs; an empty argument in the middle is kept. */
	e = load_cmdline(c, *state, 301, "a\0\0b\0\0\0", 7);
	assert_non_null(e);
	assert_string_equal(e->cmdline, "a  b");
	assert_false(e->cmdline_truncated);
	/* Rewritten by setproctitle: no NULs at all. */
	e = load_cmdline(c, *state, 302, "nginx: worker", 13);
	assert_non_null(e);
	assert_string_equal(e->cmdline, "nginx: worker");

	/* Exactly PROC_CMDLINE_LEN - 1 bytes plus the final NUL: fits. */
	memset(big, 'x', PROC_CMDLINE_LEN - 1);
	big[PROC_CMDLINE_LEN - 1] = '\0';
	e = load_cmdline(c, *state, 303, big, PROC_CMDLINE_LEN);
	assert_non_null(e);
	assert_int_equal(strlen(e->cmdline), PROC_CMDLINE_LEN - 1);
	assert_false(e->cmdline_truncated);
	/* ... followed by many NULs only: still fits. */
	memset(big + PROC_CMDLINE_LEN, 0, 100);
	e = load_cmdline(c, *state, 304, big, PROC_CMDLINE_LEN + 100);
	assert_non_null(e);
	assert_int_equal(strlen(e->cmdline), PROC_CMDLINE_LEN - 1);
	assert_false(e->cmdline_truncated);
	/* One byte too many. */
	memset(big, 'y', PROC_CMDLINE_LEN);
	big[PROC_CMDLINE_LEN] = '\0';
	e = load_cmdline(c, *state, 305, big, PROC_CMDLINE_LEN + 1);
	assert_non_null(e);
	assert_int_equal(strlen(e->cmdline), PROC_CMDLINE_LEN - 1);
	assert_int_equal(e->cmdline[0], 'y');
	assert_true(e->cmdline_truncated);
	/* Much longer, several args: joined then cut. */
	for (size_t i = 0; i < 6000; i++)
		big[i] = i % 10 == 9 ? '\0' : 'a' + i % 10;
	e = load_cmdline(c, *state, 306, big, 6000);
	assert_non_null(e);
	assert_int_equal(strlen(e->cmdline), PROC_CMDLINE_LEN - 1);
	assert_memory_equal(e->cmdline, "abcdefghi abcdefghi ", 20);
	assert_true(e->cmdline_truncated);
	/* The first PROC_CMDLINE_LEN bytes end in NULs, then a real argument. */
	memset(big, 0, 2000);
	big[0] = 'p';
	big[1500] = 'q';
	e = load_cmdline(c, *state, 307, big, 2000);
	assert_non_null(e);
	assert_int_equal(e->cmdline[0], 'p');
	assert_int_equal(strlen(e->cmdline), PROC_CMDLINE_LEN - 1);
	assert_true(e->cmdline_truncated);
	free(big);
	proc_cache__free(c);
}

static void test_cgroup_v1_and_container(void **state)
{
	static const char v1[] = "12:pids:/docker/"
				 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
				 "11:memory:/other\n"
				 "garbage line\n";
	static const char hybrid[] = "1:name=systemd:/init.scope\n0::/init.scope/sub\n";
	struct fake_proc a = {.pid = 400, .ppid = 1, .comm = "a", .cgroup = v1};
	struct fake_proc b = {.pid = 401, .ppid = 1, .comm = "b", .cgroup = hybrid};
	struct proc_cache *c = proc_cache__new(*state, 16);
	struct container_ref want;
	const struct proc_info *e;

	assert_non_null(c);
	make_proc(*state, &a);
	make_proc(*state, &b);
	e = proc_cache__get(c, 400);
	assert_non_null(e);
	assert_string_equal(e->cgroup, "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* The container module's verdict on the whole file lands in the entry. */
	memset(&want, 0x5a, sizeof(want));
	assert_int_equal(container__from_proc_cgroup(v1, &want), 1);
	assert_int_equal(want.runtime, CONTAINER_DOCKER);
	assert_int_equal(e->container.runtime, CONTAINER_DOCKER);
	assert_string_equal(e->container.id, want.id);
	e = proc_cache__get(c, 401);
	assert_non_null(e);
	assert_string_equal(e->cgroup, "/init.scope/sub");
	assert_int_equal(e->container.runtime, CONTAINER_NONE);
	assert_string_equal(e->container.id, "");
	proc_cache__free(c);
}

/* A hit must not read procfs: the files are gone, the entry still answers. */
static void test_get_hit_is_cached(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e1, *e2;

	assert_non_null(c);
	make_simple(*state, 500, 1);
	e1 = proc_cache__get(c, 500);
	assert_non_null(e1);
	remove_path(*state, "500/stat");
	e2 = proc_cache__get(c, 500);
	assert_ptr_equal(e1, e2);
	assert_ptr_equal(proc_cache__peek(c, 500), e1);
	assert_int_equal(proc_cache__size(c), 1);
	proc_cache__free(c);
}

static void test_ancestry_chain_capped(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 64);
	__u32 pids[20];
	size_t n, i;

	assert_non_null(c);
	make_simple(*state, 1, 0);
	make_simple(*state, 1000, 1);
	for (i = 1; i < 10; i++)
		make_simple(*state, 1000 + i, 1000 + i - 1);
	/* max above PROC_ANCESTRY_MAX is clamped; the rest is not written. */
	memset(pids, 0xff, sizeof(pids));
	n = proc_cache__ancestry(c, 1009, pids, 20);
	assert_int_equal(n, PROC_ANCESTRY_MAX);
	for (i = 0; i < n; i++)
		assert_int_equal(pids[i], 1008 - i);
	assert_int_equal(pids[PROC_ANCESTRY_MAX], UINT32_MAX);
	n = proc_cache__ancestry(c, 1009, pids, 3);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 1008);
	assert_int_equal(pids[2], 1006);
	/* Short chain: ends with pid 1, and not pid 0. */
	n = proc_cache__ancestry(c, 1002, pids, PROC_ANCESTRY_MAX);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 1001);
	assert_int_equal(pids[1], 1000);
	assert_int_equal(pids[2], 1);
	assert_int_equal(proc_cache__ancestry(c, 1, pids, PROC_ANCESTRY_MAX), 0);
	assert_int_equal(proc_cache__ancestry(c, 1009, pids, 0), 0);
	proc_cache__free(c);
}

static void test_ancestry_loops_and_unknown(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 16);
	__u32 pids[PROC_ANCESTRY_MAX];
	size_t n;

	assert_non_null(c);
	make_simple(*state, 600, 601);
	make_simple(*state, 601, 600);
	make_simple(*state, 602, 602);
	make_simple(*state, 610, 611);
	make_simple(*state, 611, 612);
	make_simple(*state, 612, 611);
	make_simple(*state, 620, 999); /* 999 exists nowhere */
	n = proc_cache__ancestry(c, 600, pids, PROC_ANCESTRY_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], 601);
	assert_int_equal(proc_cache__ancestry(c, 602, pids, PROC_ANCESTRY_MAX), 0);
	/* A loop above the start: each pid once. */
	n = proc_cache__ancestry(c, 610, pids, PROC_ANCESTRY_MAX);
	assert_int_equal(n, 2);
	assert_int_equal(pids[0], 611);
	assert_int_equal(pids[1], 612);
	assert_int_equal(proc_cache__ancestry(c, 620, pids, PROC_ANCESTRY_MAX), 0);
	assert_int_equal(proc_cache__ancestry(c, 998, pids, PROC_ANCESTRY_MAX), 0);
	proc_cache__free(c);
}

/* Ancestors known only from fork events (never in procfs) are followed. */
static void test_ancestry_from_events(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 16);
	__u32 pids[PROC_ANCESTRY_MAX];

	assert_non_null(c);
	make_simple(*state, 700, 1);
	proc_cache__on_fork(c, 701, 700, 0, "a");
	proc_cache__on_fork(c, 702, 701, 0, "b");
	assert_int_equal(proc_cache__ancestry(c, 702, pids, PROC_ANCESTRY_MAX), 2);
	assert_int_equal(pids[0], 701);
	assert_int_equal(pids[1], 700);
	proc_cache__free(c);
}

static void test_fork_inherits(void **state)
{
	static const char cmd[] = "python3\0app.py\0";
	struct fake_proc p = {
	    .pid = 800,
	    .ppid = 1,
	    .comm = "python3",
	    .status = status_1000,
	    .cmdline = cmd,
	    .cmdline_len = sizeof(cmd) - 1,
	    .exe = "/usr/bin/python3.11",
	    .cwd = "/srv/app",
	    .cgroup = "0::/system.slice/app.service\n",
	};
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e, *parent;

	assert_non_null(c);
	make_proc(*state, &p);
	proc_cache__on_fork(c, 801, 800, 1001, "worker");
	parent = proc_cache__peek(c, 800);
	assert_non_null(parent);
	assert_int_equal(parent->pid, 800);
	e = proc_cache__peek(c, 801);
	assert_non_null(e);
	assert_int_equal(e->pid, 801);
	assert_int_equal(e->ppid, 800);
	assert_int_equal(e->uid, 1001);
	assert_string_equal(e->comm, "worker");
	assert_string_equal(e->exe, "/usr/bin/python3.11");
	assert_string_equal(e->cmdline, "python3 app.py");
	assert_string_equal(e->cwd, "/srv/app");
	assert_string_equal(e->cgroup, "/system.slice/app.service");
	assert_false(e->from_procfs);
	/* comm NULL: keep the parent's; a grandchild inherits from the child. */
	proc_cache__on_fork(c, 802, 801, 5, NULL);
	e = proc_cache__peek(c, 802);
	assert_non_null(e);
	assert_string_equal(e->comm, "worker");
	assert_string_equal(e->exe, "/usr/bin/python3.11");
	/* comm longer than the field is cut. */
	proc_cache__on_fork(c, 803, 800, 0, "a-very-long-command-name");
	e = proc_cache__peek(c, 803);
	assert_non_null(e);
	assert_string_equal(e->comm, "a-very-long-com");
	/* Parent unknown everywhere: only what the event gave. */
	proc_cache__on_fork(c, 901, 900, 33, "orphan");
	e = proc_cache__peek(c, 901);
	assert_non_null(e);
	assert_int_equal(e->ppid, 900);
	assert_int_equal(e->uid, 33);
	assert_string_equal(e->comm, "orphan");
	assert_string_equal(e->exe, "");
	assert_string_equal(e->cmdline, "");
	assert_null(proc_cache__peek(c, 900));
	/* A reused pid: the old entry is replaced, not kept. */
	proc_cache__on_fork(c, 801, 901, 7, "reused");
	e = proc_cache__peek(c, 801);
	assert_non_null(e);
	assert_int_equal(e->ppid, 901);
	assert_string_equal(e->exe, "");
	assert_int_equal(proc_cache__size(c), 5);
	proc_cache__free(c);
}

static void test_exec_paths(void **state)
{
	static const char *const argv[] = {"./x", "--flag", "value with space"};
	/* Parent in procfs with cwd /home/u; children exist only as events. */
	struct fake_proc p = {.pid = 1100, .ppid = 1, .comm = "bash", .cwd = "/home/u", .exe = "/bin/bash"};
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e;

	assert_non_null(c);
	make_proc(*state, &p);
	proc_cache__on_fork(c, 1101, 1100, 1000, "bash");
	proc_cache__on_exec(c, 1101, 1100, 1000, "x", "./x", argv, 3);
	e = proc_cache__peek(c, 1101);
	assert_non_null(e);
	assert_string_equal(e->exe, "/home/u/x");
	assert_string_equal(e->cmdline, "./x --flag value with space");
	assert_false(e->cmdline_truncated);
	assert_string_equal(e->comm, "x");

	proc_cache__on_fork(c, 1102, 1100, 1000, "bash");
	proc_cache__on_exec(c, 1102, 1100, 1000, "x", "bin/x", argv, 1);
	e = proc_cache__peek(c, 1102);
	assert_non_null(e);
	assert_string_equal(e->exe, "/home/u/bin/x");
	assert_string_equal(e->cmdline, "./x");

	proc_cache__on_fork(c, 1103, 1100, 1000, "bash");
	proc_cache__on_exec(c, 1103, 1100, 1000, "ls", "/usr/bin/ls", argv, 0);
	e = proc_cache__peek(c, 1103);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/bin/ls");
	assert_string_equal(e->cmdline, "");

	/* No cwd known, no procfs: the relative name is kept as given. */
	proc_cache__on_exec(c, 1200, 1, 0, "y", "./y", argv, 1);
	e = proc_cache__peek(c, 1200);
	assert_non_null(e);
	assert_int_equal(e->pid, 1200);
	assert_int_equal(e->ppid, 1);
	assert_string_equal(e->exe, "./y");
	assert_false(e->from_procfs);
	proc_cache__free(c);
}

static void test_exec_cwd_root_and_refresh(void **state)
{
	static const char *const argv[] = {"z"};
	struct fake_proc p = {.pid = 1300, .ppid = 1, .comm = "init", .cwd = "/"};
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e;
	char path[PATH_MAX];

	assert_non_null(c);
	make_proc(*state, &p);
	proc_cache__on_fork(c, 1301, 1300, 0, "init");
	proc_cache__on_exec(c, 1301, 1300, 0, "z", "z", argv, 1);
	e = proc_cache__peek(c, 1301);
	assert_non_null(e);
	assert_string_equal(e->exe, "/z");

	/* procfs has the process after exec: its cwd wins, exe stays the event's. */
	make_simple(*state, 1302, 1300);
	snprintf(path, sizeof(path), "%s/1302/exe", (char *)*state);
	assert_int_equal(symlink("/opt/real/z", path), 0);
	snprintf(path, sizeof(path), "%s/1302/cwd", (char *)*state);
	assert_int_equal(symlink("/var/tmp", path), 0);
	proc_cache__on_fork(c, 1302, 1300, 0, "init");
	proc_cache__on_exec(c, 1302, 1300, 0, "z", "z", argv, 1);
	e = proc_cache__peek(c, 1302);
	assert_non_null(e);
	assert_string_equal(e->exe, "/var/tmp/z");
	assert_string_equal(e->cwd, "/var/tmp");

	/* Not cached before the exec: loaded from procfs, then updated. */
	make_simple(*state, 1303, 1300);
	snprintf(path, sizeof(path), "%s/1303/cwd", (char *)*state);
	assert_int_equal(symlink("/data", path), 0);
	proc_cache__on_exec(c, 1303, 1300, 0, "z", "./z", argv, 1);
	e = proc_cache__peek(c, 1303);
	assert_non_null(e);
	assert_string_equal(e->exe, "/data/z");
	assert_string_equal(e->cwd, "/data");
	assert_true(e->from_procfs);
	proc_cache__free(c);
}

static void test_exec_argv_truncated(void **state)
{
	char *arg = malloc(PROC_CMDLINE_LEN);
	const char *argv[3];
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e;

	assert_non_null(arg);
	assert_non_null(c);
	memset(arg, 'q', PROC_CMDLINE_LEN - 3);
	arg[PROC_CMDLINE_LEN - 3] = '\0';
	/* 1021 + " a" = 1023: exactly fits. */
	argv[0] = arg;
	argv[1] = "a";
	argv[2] = "b";
	proc_cache__on_exec(c, 1400, 1, 0, "q", "/q", argv, 2);
	e = proc_cache__peek(c, 1400);
	assert_non_null(e);
	assert_int_equal(strlen(e->cmdline), PROC_CMDLINE_LEN - 1);
	assert_false(e->cmdline_truncated);
	proc_cache__on_exec(c, 1400, 1, 0, "q", "/q", argv, 3);
	e = proc_cache__peek(c, 1400);
	assert_non_null(e);
	assert_int_equal(strlen(e->cmdline), PROC_CMDLINE_LEN - 1);
	assert_string_equal(e->cmdline + PROC_CMDLINE_LEN - 3, " a");
	assert_true(e->cmdline_truncated);
	/* The last argument only partly fits: cut inside it. */
	argv[1] = "abc";
	proc_cache__on_exec(c, 1400, 1, 0, "q", "/q", argv, 2);
	e = proc_cache__peek(c, 1400);
	assert_non_null(e);
	assert_string_equal(e->cmdline + PROC_CMDLINE_LEN - 3, " a");
	assert_true(e->cmdline_truncated);
	free(arg);
	proc_cache__free(c);
}

static void test_exit_evicts(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 16);

	assert_non_null(c);
	make_simple(*state, 1500, 1);
	assert_non_null(proc_cache__get(c, 1500));
	proc_cache__on_fork(c, 1501, 1500, 0, "kid");
	assert_int_equal(proc_cache__size(c), 2);
	proc_cache__on_exit(c, 1501);
	assert_null(proc_cache__peek(c, 1501));
	assert_non_null(proc_cache__peek(c, 1500));
	assert_int_equal(proc_cache__size(c), 1);
	proc_cache__on_exit(c, 1501);
	proc_cache__on_exit(c, 4242);
	assert_int_equal(proc_cache__size(c), 1);
	/* An exit is not an eviction for lack of room. */
	assert_int_equal(proc_cache__evictions(c), 0);
	/* After the exit, a get for the pid reads procfs again. */
	remove_path(*state, "1500/stat");
	proc_cache__on_exit(c, 1500);
	assert_null(proc_cache__get(c, 1500));
	assert_int_equal(proc_cache__size(c), 0);
	proc_cache__free(c);
}

static void test_lru_bound(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 16);
	__u32 pid;

	assert_non_null(c);
	for (pid = 2; pid < 1002; pid++) {
		proc_cache__on_fork(c, pid, 1, 0, "p");
		assert_true(proc_cache__size(c) <= 16);
	}
	assert_int_equal(proc_cache__size(c), 16);
	assert_int_equal(proc_cache__evictions(c), 1000 - 16);
	for (pid = 2; pid < 1002 - 16; pid++)
		assert_null(proc_cache__peek(c, pid));
	for (pid = 1002 - 16; pid < 1002; pid++)
		assert_non_null(proc_cache__peek(c, pid));
	proc_cache__free(c);
}

/* get refreshes recency, peek does not. */
static void test_lru_order(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 16);
	__u32 pid;

	assert_non_null(c);
	for (pid = 1; pid <= 16; pid++)
		proc_cache__on_fork(c, 100 + pid, 1, 0, "p");
	assert_int_equal(proc_cache__evictions(c), 0);
	assert_non_null(proc_cache__get(c, 101));  /* 101 now most recent */
	assert_non_null(proc_cache__peek(c, 102)); /* 102 still least recent */
	proc_cache__on_fork(c, 200, 1, 0, "p");
	assert_null(proc_cache__peek(c, 102));
	assert_non_null(proc_cache__peek(c, 101));
	proc_cache__on_fork(c, 201, 1, 0, "p");
	assert_null(proc_cache__peek(c, 103));
	assert_non_null(proc_cache__peek(c, 101));
	assert_int_equal(proc_cache__evictions(c), 2);
	/* A freed slot is reused before anything is evicted. */
	proc_cache__on_exit(c, 110);
	proc_cache__on_fork(c, 202, 1, 0, "p");
	assert_int_equal(proc_cache__evictions(c), 2);
	assert_non_null(proc_cache__peek(c, 104));
	assert_int_equal(proc_cache__size(c), 16);
	proc_cache__free(c);
}

/* The generation moves on every call that changes what a reader can see,
 * and only then. */
#define GEN_MOVES(c, call)                                                                                             \
	do {                                                                                                           \
		__u64 g_ = proc_cache__generation(c);                                                                  \
		call;                                                                                                  \
		assert_true(proc_cache__generation(c) > g_);                                                           \
	} while (0)
#define GEN_STAYS(c, call)                                                                                             \
	do {                                                                                                           \
		__u64 g_ = proc_cache__generation(c);                                                                  \
		call;                                                                                                  \
		assert_true(proc_cache__generation(c) == g_);                                                          \
	} while (0)

static void test_generation(void **state)
{
	static const char *const argv[] = {"x"};
	struct proc_cache *c = proc_cache__new(*state, 16);
	const struct proc_info *e = NULL;
	__u32 pids[PROC_ANCESTRY_MAX];
	__u32 pid;

	assert_non_null(c);
	make_simple(*state, 2000, 1);
	make_simple(*state, 1, 0);
	/* A load from procfs (a get that misses, or one for an ancestor). */
	GEN_MOVES(c, e = proc_cache__get(c, 2000));
	assert_non_null(e);
	GEN_MOVES(c, assert_int_equal(proc_cache__ancestry(c, 2000, pids, PROC_ANCESTRY_MAX), 1));
	/* Lookups of cached entries, and misses that find nothing either. */
	GEN_STAYS(c, assert_ptr_equal(proc_cache__get(c, 2000), e));
	GEN_STAYS(c, assert_ptr_equal(proc_cache__peek(c, 2000), e));
	GEN_STAYS(c, assert_int_equal(proc_cache__ancestry(c, 2000, pids, PROC_ANCESTRY_MAX), 1));
	GEN_STAYS(c, assert_null(proc_cache__peek(c, 2001)));
	GEN_STAYS(c, assert_null(proc_cache__get(c, 2001)));
	GEN_STAYS(c, assert_int_equal(proc_cache__size(c), 2));
	/* fork: a new child, then again into the same (reused) pid. */
	GEN_MOVES(c, proc_cache__on_fork(c, 2001, 2000, 0, "kid"));
	GEN_MOVES(c, proc_cache__on_fork(c, 2001, 2000, 0, "kid2"));
	GEN_STAYS(c, proc_cache__on_fork(c, 2000, 2000, 0, "self"));
	/* exec of a cached process, and of one the cache has to create. */
	GEN_MOVES(c, proc_cache__on_exec(c, 2001, 2000, 0, "x", "/bin/x", argv, 1));
	GEN_MOVES(c, proc_cache__on_exec(c, 2002, 2000, 0, "x", "/bin/x", argv, 1));
	/* exit of a cached process; of one not cached, nothing changes. */
	GEN_MOVES(c, proc_cache__on_exit(c, 2002));
	GEN_STAYS(c, proc_cache__on_exit(c, 2002));
	/* Eviction: a full cache gives the least recent slot to a new pid. */
	for (pid = 3000; proc_cache__size(c) < 16; pid++)
		proc_cache__on_fork(c, pid, 2000, 0, "p");
	assert_int_equal(proc_cache__evictions(c), 0);
	GEN_MOVES(c, proc_cache__on_fork(c, 4000, 2000, 0, "p"));
	assert_int_equal(proc_cache__evictions(c), 1);
	GEN_STAYS(c, proc_cache__free(NULL));
	proc_cache__free(c);
}

/* holds: the cache's own entries only. */
static void test_holds(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 16), *other = proc_cache__new(*state, 16);
	struct proc_info mine = {0};
	const struct proc_info *e, *last = NULL, *first = NULL;

	assert_non_null(c);
	assert_non_null(other);
	for (__u32 pid = 10; pid < 26; pid++) {
		proc_cache__on_fork(c, pid, 1, 0, "p");
		e = proc_cache__peek(c, pid);
		assert_true(proc_cache__holds(c, e));
		assert_false(proc_cache__holds(other, e));
		if (!last || (uintptr_t)e > (uintptr_t)last)
			last = e;
		if (!first || (uintptr_t)e < (uintptr_t)first)
			first = e;
	}
	assert_false(proc_cache__holds(c, &mine));
	assert_false(proc_cache__holds(c, NULL));
	/* Not the start of an entry; just past the last and before the first. */
	assert_false(proc_cache__holds(c, (const struct proc_info *)((const char *)e + 1)));
	assert_false(proc_cache__holds(c, (const struct proc_info *)((uintptr_t)last + sizeof(*last))));
	assert_false(proc_cache__holds(c, (const struct proc_info *)((uintptr_t)first - sizeof(*first))));
	proc_cache__free(other);
	proc_cache__free(c);
}

/* Many pids sharing buckets, removed from the middle of chains. */
static void test_hash_churn(void **state)
{
	struct proc_cache *c = proc_cache__new(*state, 4096);
	__u32 i;

	assert_non_null(c);
	for (i = 0; i < 4096; i++)
		proc_cache__on_fork(c, 2 + i * 4096, 1, 0, "p");
	for (i = 0; i < 4096; i += 2)
		proc_cache__on_exit(c, 2 + i * 4096);
	assert_int_equal(proc_cache__size(c), 2048);
	for (i = 0; i < 4096; i++) {
		const struct proc_info *e = proc_cache__peek(c, 2 + i * 4096);

		if (i % 2) {
			assert_non_null(e);
			assert_int_equal(e->pid, 2 + i * 4096);
		} else {
			assert_null(e);
		}
	}
	assert_int_equal(proc_cache__evictions(c), 0);
	proc_cache__free(c);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void test_descendants(void **state)
{
	char path[PATH_MAX];
	__u32 *out = NULL;
	size_t count = 99;

	/* 10 -> {11, 12}, 11 -> 13, 13 -> 14; unrelated 20 -> 21; 1 -> {10, 20}. */
	make_simple(*state, 1, 0);
	make_simple(*state, 10, 1);
	make_simple(*state, 11, 10);
	make_simple(*state, 12, 10);
	make_simple(*state, 13, 11);
	make_simple(*state, 14, 13);
	make_simple(*state, 20, 1);
	make_simple(*state, 21, 20);
	/* Noise a real /proc has, and a process that vanished mid-scan. */
	snprintf(path, sizeof(path), "%s/self", (char *)*state);
	assert_int_equal(mkdir(path, 0755), 0);
	tu_write_file(*state, "uptime", "1.0 2.0\n", 8);
	snprintf(path, sizeof(path), "%s/15", (char *)*state);
	assert_int_equal(mkdir(path, 0755), 0);
	/* Not a pid name (leading zero), though its stat names 14 as parent. */
	snprintf(path, sizeof(path), "%s/016", (char *)*state);
	assert_int_equal(mkdir(path, 0755), 0);
	tu_write_file(path, "stat", "16 (x) S 14 1", 13);

	assert_int_equal(proc__descendants(*state, 10, &out, &count), 0);
	assert_non_null(out);
	assert_int_equal(count, 4);
	/* Breadth first: children before grandchildren. */
	assert_int_equal(out[0], 11);
	assert_int_equal(out[1], 12);
	assert_int_equal(out[2], 13);
	assert_int_equal(out[3], 14);
	free(out);

	assert_int_equal(proc__descendants(*state, 1, &out, &count), 0);
	assert_int_equal(count, 7);
	qsort(out, count, sizeof(*out), cmp_u32);
	assert_int_equal(out[0], 10);
	assert_int_equal(out[5], 20);
	assert_int_equal(out[6], 21);
	free(out);

	/* A leaf, and a pid that does not exist. */
	assert_int_equal(proc__descendants(*state, 14, &out, &count), 0);
	assert_int_equal(count, 0);
	assert_null(out);
	assert_int_equal(proc__descendants(*state, 777, &out, &count), 0);
	assert_int_equal(count, 0);
}

static void test_descendants_loop(void **state)
{
	__u32 *out = NULL;
	size_t count = 0;

	make_simple(*state, 30, 31);
	make_simple(*state, 31, 32);
	make_simple(*state, 32, 31);
	make_simple(*state, 33, 32);
	assert_int_equal(proc__descendants(*state, 30, &out, &count), 0);
	assert_int_equal(count, 0);
	/* 30 hangs off the loop: 31 -> {30, 32}, 32 -> {31 (the root), 33}. */
	assert_int_equal(proc__descendants(*state, 31, &out, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(out[0], 30);
	assert_int_equal(out[1], 32);
	assert_int_equal(out[2], 33);
	free(out);
}

static void test_descendants_errors(void **state)
{
	char path[PATH_MAX];
	__u32 *out = (__u32 *)1;
	size_t count = 5;

	snprintf(path, sizeof(path), "%s/nope", (char *)*state);
	assert_int_equal(proc__descendants(path, 1, &out, &count), -ENOENT);
	assert_null(out);
	assert_int_equal(count, 0);
	assert_int_equal(proc__descendants(NULL, 1, &out, &count), -EINVAL);
}

static void test_exists(void **state)
{
	make_simple(*state, 1600, 1);
	tu_write_file(*state, "1601", "not a dir", 9);
	assert_true(proc__exists(*state, 1600));
	assert_false(proc__exists(*state, 1601));
	assert_false(proc__exists(*state, 1602));
	assert_false(proc__exists(NULL, 1600));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_new_rejects_bad_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stat_comm_with_spaces_and_parens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stat_comm_tricky, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stat_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmdline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cgroup_v1_and_container, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get_hit_is_cached, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ancestry_chain_capped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ancestry_loops_and_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ancestry_from_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_inherits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_cwd_root_and_refresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_argv_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exit_evicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lru_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lru_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash_churn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_descendants, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_descendants_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_descendants_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exists, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

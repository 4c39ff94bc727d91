/*
 * Unit tests for the format_cache of agent/format.c: the members of the
 * "process" object rendered once per process and reused while the process
 * cache's generation stays the same. Every line made through the cache is
 * compared byte for byte with the line the same event makes without one, and
 * format_cache__renders tells whether it was rendered or reused. Entries come
 * from a fake procfs under a mkdtemp() directory and from fork/exec/exit
 * calls, as enrich__event makes them; no root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "testutil.h"

#define ID_DOCKER "cb2a1d3f19a4a2423ac93d7eb9efa2d0ab582a88e8e2bcc91aff4f34d8504c85"

struct fixture {
	char root[64]; /* the fake procfs */
	struct proc_cache *procs;
	struct format_cache *cache;
	struct format_ctx fc;  /* with the cache */
	struct aisec_open rec; /* the event's record; hdr.pid etc. set per test */
	struct event ev;
	struct strbuf with, without;
};

/* A fake procfs entry: stat, cmdline (NUL-separated, len bytes), cgroup, and
 * the exe and cwd links; replaces what was there. */
static void make_proc(const char *root, __u32 pid, __u32 ppid, const char *comm, const char *exe, const char *cmdline,
		      size_t len, const char *cwd, const char *cgroup)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], buf[512];

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	snprintf(buf, sizeof(buf), "%u (%s) S %u %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123 1000 50\n", pid,
		 comm, ppid, pid, pid);
	tu_write_file(dir, "stat", buf, strlen(buf));
	tu_write_file(dir, "cmdline", cmdline, len);
	snprintf(buf, sizeof(buf), "0::%s\n", cgroup);
	tu_write_file(dir, "cgroup", buf, strlen(buf));
	snprintf(path, sizeof(path), "%s/exe", dir);
	unlink(path);
	assert_int_equal(symlink(exe, path), 0);
	snprintf(path, sizeof(path), "%s/cwd", dir);
	unlink(path);
	assert_int_equal(symlink(cwd, path), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Processes 1 (init) <- 4000 (bash) <- 4321 (python3, in a docker
 * container, with bytes to escape in its cmdline). */
static int setup(void **state)
{
	static const char init_argv[] = "/sbin/init", bash_argv[] = "-bash",
			  py_argv[] = "python3\0-c\0print(\"h\u00e9\")\t\x01";
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->root, "/tmp/aisec-fmtcache-test.XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	make_proc(f->root, 1, 0, "systemd", "/sbin/init", init_argv, sizeof(init_argv), "/", "/init.scope");
	make_proc(f->root, 4000, 1, "bash", "/usr/bin/bash", bash_argv, sizeof(bash_argv), "/root", "/user.slice");
	make_proc(f->root, 4321, 4000, "python3", "/usr/bin/python3.11", py_argv, sizeof(py_argv), "/srv/app",
		  "/system.slice/docker-" ID_DOCKER ".scope");
	f->procs = proc_cache__new(f->root, 16);
	f->cache = format_cache__new();
	if (!f->procs || !f->cache)
		return -1;
	f->fc = (struct format_ctx){
	    .procs = f->procs, .cache = f->cache, .host = "node-1", .boot_to_wall_ns = 1764072000000000000ll};
	f->rec.hdr.ts_ns = 5123456789ull;
	f->rec.hdr.cgroup_id = 777;
	f->rec.hdr.kind = AISEC_EV_OPEN;
	f->rec.hdr.syscall = AISEC_SYS_OPENAT;
	f->rec.hdr.size = (__u32)(offsetof(struct aisec_open, path) + 9);
	f->rec.hdr.pid = 4321;
	f->rec.hdr.tid = 4321;
	f->rec.hdr.ppid = 4000;
	memcpy(f->rec.hdr.comm, "python3", 8);
	f->rec.path_len = 9;
	memcpy(f->rec.path, "/etc/hbx", 9);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int err = nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	proc_cache__free(f->procs);
	format_cache__free(f->cache);
	strbuf__free(&f->with);
	strbuf__free(&f->without);
	free(f);
	return err;
}

/* The event of pid (tid, comm as given), enriched as enrich__event does it
 * for an open. */
static struct enriched enrich(struct fixture *f, __u32 pid, __u32 tid, const char *comm)
{
	struct enriched e = {.ev = &f->ev};

	f->rec.hdr.pid = pid;
	f->rec.hdr.tid = tid;
	memset(f->rec.hdr.comm, 0, sizeof(f->rec.hdr.comm));
	memcpy(f->rec.hdr.comm, comm, strlen(comm));
	assert_int_equal(events__decode(&f->rec, f->rec.hdr.size, &f->ev), 0);
	e.proc = proc_cache__get(f->procs, pid);
	e.nancestry = proc_cache__ancestry(f->procs, pid, e.ancestry, PROC_ANCESTRY_MAX);
	e.proc = proc_cache__peek(f->procs, pid);
	return e;
}

/* e as a JSON line through the cache, after checking it is byte for byte the
 * line made without one; *renders: how many renders it took. */
static const char *line(struct fixture *f, const struct enriched *e, __u64 *renders)
{
	struct format_ctx plain = f->fc;
	__u64 before = format_cache__renders(f->cache);

	plain.cache = NULL;
	strbuf__reset(&f->without);
	format__json(&f->without, &plain, e);
	strbuf__reset(&f->with);
	format__json(&f->with, &f->fc, e);
	*renders = format_cache__renders(f->cache) - before;
	assert_false(f->with.oom);
	assert_int_equal(f->with.len, f->without.len);
	assert_string_equal(f->with.data, f->without.data);
	return f->with.data;
}

static void assert_has(const char *line, const char *part)
{
	if (!strstr(line, part))
		fail_msg("%s not in %s", part, line);
}

/* Rendered once, then reused by the next events of the process, whose own
 * members (tid, comm, the header's cgroup id) are still written per event. */
static void test_reuse(void **state)
{
	struct fixture *f = *state;
	struct enriched e = enrich(f, 4321, 4321, "python3");
	const char *l;
	__u64 r;

	l = line(f, &e, &r);
	assert_int_equal(r, 2); /* exe..container, and the ancestry */
	assert_has(l, "\"comm\":\"python3\",\"exe\":\"/usr/bin/python3.11\",\"cmdline\":\"python3 -c "
		      "print(\\\"h\u00e9\\\")\\t\\u0001\",\"cwd\":\"/srv/app\",\"cgroup_id\":777,\"cgroup\":"
		      "\"/system.slice/docker-" ID_DOCKER ".scope\",\"container\":{\"id\":\"" ID_DOCKER
		      "\",\"runtime\":\"docker\"},\"ancestry\":[{\"pid\":4000,\"comm\":\"bash\",\"exe\":"
		      "\"/usr/bin/bash\"},{\"pid\":1,\"comm\":\"systemd\",\"exe\":\"/sbin/init\"}]}");
	for (int i = 0; i < 3; i++) {
		e = enrich(f, 4321, 4400 + i, i == 1 ? "worker\"1" : "python3");
		f->rec.hdr.cgroup_id = 900 + i;
		l = line(f, &e, &r);
		assert_int_equal(r, 0);
		assert_has(l, i == 1 ? "\"tid\":4401," : "\"tid\":44");
		assert_has(l, i == 1 ? "\"comm\":\"worker\\\"1\",\"exe\"" : "\"comm\":\"python3\",\"exe\"");
	}
	assert_has(l, "\"cgroup_id\":902,\"cgroup\":");
	/* With a service and pod (k8s between the reused members) and without. */
	e.service = "api";
	l = line(f, &e, &r);
	assert_int_equal(r, 0);
	assert_has(l, "\"container\":{\"id\":\"" ID_DOCKER "\",\"runtime\":\"docker\"},\"k8s\":null,\"ancestry\":[");
	/* Other processes have slots of their own. */
	e = enrich(f, 4000, 4000, "bash");
	l = line(f, &e, &r);
	assert_int_equal(r, 2);
	assert_has(l, "\"exe\":\"/usr/bin/bash\",\"cmdline\":\"-bash\",\"cwd\":\"/root\"");
	e = enrich(f, 4321, 4321, "python3");
	line(f, &e, &r);
	assert_int_equal(r, 0);
}

/* An exec changes exe and cmdline: the next event shows them. */
static void test_exec(void **state)
{
	static const char *const argv[] = {"node", "server.js"};
	struct fixture *f = *state;
	struct enriched e = enrich(f, 4321, 4321, "python3");
	const char *l;
	__u64 r;

	line(f, &e, &r);
	proc_cache__on_exec(f->procs, 4321, 4000, 0, "node", "/usr/bin/node", argv, 2);
	e = enrich(f, 4321, 4321, "node");
	l = line(f, &e, &r);
	assert_int_equal(r, 2);
	assert_has(l, "\"exe\":\"/usr/bin/node\",\"cmdline\":\"node server.js\",\"cwd\":\"/srv/app\"");
	e = enrich(f, 4321, 4321, "node");
	line(f, &e, &r);
	assert_int_equal(r, 0);
}

/* A fork: the child's events show its own entry (a copy of the parent's),
 * and the parent's next event is rendered again, the same. */
static void test_fork(void **state)
{
	struct fixture *f = *state;
	struct enriched e = enrich(f, 4321, 4321, "python3");
	const char *l;
	char before[4096];
	__u64 r;

	l = line(f, &e, &r);
	snprintf(before, sizeof(before), "%s", l);
	proc_cache__on_fork(f->procs, 4322, 4321, 0, "python3");
	e = enrich(f, 4322, 4322, "python3");
	l = line(f, &e, &r);
	assert_int_equal(r, 2);
	assert_has(l, "\"pid\":4322,");
	assert_has(l, "\"exe\":\"/usr/bin/python3.11\"");
	assert_has(l,
		   "\"ancestry\":[{\"pid\":4321,\"comm\":\"python3\",\"exe\":\"/usr/bin/python3.11\"},{\"pid\":4000,");
	e = enrich(f, 4321, 4321, "python3");
	l = line(f, &e, &r);
	assert_int_equal(r, 2);
	assert_string_equal(l, before);
}

/* The pid of an exited process used again: by a fork into the free slot the
 * exit left (the same proc_info, other content), and by a new process loaded
 * from procfs. */
static void test_pid_reuse(void **state)
{
	static const char argv[] = "redis-server\0*:6379";
	struct fixture *f = *state;
	struct enriched e = enrich(f, 4321, 4321, "python3"); /* all but 4322 cached */
	const struct proc_info *first;
	const char *l;
	__u64 r;

	e = enrich(f, 4322, 4322, "x");
	assert_null(e.proc);
	proc_cache__on_fork(f->procs, 4322, 4000, 0, "bash");
	e = enrich(f, 4322, 4322, "bash");
	first = e.proc;
	l = line(f, &e, &r);
	assert_has(l, "\"exe\":\"/usr/bin/bash\"");
	proc_cache__on_exit(f->procs, 4322);
	proc_cache__on_fork(f->procs, 4322, 4321, 0, "python3");
	e = enrich(f, 4322, 4322, "python3");
	assert_ptr_equal(e.proc, first); /* the slot the exit freed */
	l = line(f, &e, &r);
	assert_int_equal(r, 2);
	assert_has(l, "\"exe\":\"/usr/bin/python3.11\"");
	assert_has(l, "\"ancestry\":[{\"pid\":4321,");

	/* 4321 exits; a new process gets its pid, read from procfs. */
	proc_cache__on_exit(f->procs, 4321);
	make_proc(f->root, 4321, 1, "redis-server", "/usr/bin/redis-server", argv, sizeof(argv), "/var/lib/redis",
		  "/system.slice/redis.service");
	e = enrich(f, 4321, 4321, "redis-server");
	l = line(f, &e, &r);
	assert_int_equal(r, 2);
	assert_has(l,
		   "\"exe\":\"/usr/bin/redis-server\",\"cmdline\":\"redis-server *:6379\",\"cwd\":"
		   "\"/var/lib/redis\",\"cgroup_id\":777,\"cgroup\":\"/system.slice/redis.service\",\"container\":null,"
		   "\"ancestry\":[{\"pid\":1,\"comm\":\"systemd\",\"exe\":\"/sbin/init\"}]}");
	/* The child forked before still names its parent by pid; the entry
	 * under that pid is now redis: what the cache says. */
	e = enrich(f, 4322, 4322, "python3");
	l = line(f, &e, &r);
	assert_has(l, "\"ancestry\":[{\"pid\":4321,\"comm\":\"redis-server\",\"exe\":\"/usr/bin/redis-server\"}");
}

/* An ancestor's exec: the ancestry pids are the same, its exe is not. */
static void test_ancestor_exec(void **state)
{
	static const char *const argv[] = {"zsh"};
	struct fixture *f = *state;
	struct enriched e = enrich(f, 4321, 4321, "python3");
	const char *l;
	__u64 r;

	line(f, &e, &r);
	proc_cache__on_exec(f->procs, 4000, 1, 0, "zsh", "/usr/bin/zsh", argv, 1);
	e = enrich(f, 4321, 4321, "python3");
	assert_int_equal(e.nancestry, 2);
	l = line(f, &e, &r);
	assert_int_equal(r, 2);
	assert_has(l, "\"ancestry\":[{\"pid\":4000,\"comm\":\"zsh\",\"exe\":\"/usr/bin/zsh\"},{\"pid\":1,");
}

/* Another list of ancestor pids with the process cache unchanged: only the
 * ancestry is rendered again. */
static void test_ancestry_list(void **state)
{
	struct fixture *f = *state;
	struct enriched e = enrich(f, 4321, 4321, "python3");
	__u64 gen;
	const char *l;
	__u64 r;

	line(f, &e, &r);
	gen = proc_cache__generation(f->procs);
	e.nancestry = 1;
	l = line(f, &e, &r);
	assert_int_equal(r, 1);
	assert_has(l, "\"ancestry\":[{\"pid\":4000,\"comm\":\"bash\",\"exe\":\"/usr/bin/bash\"}]}");
	e.ancestry[0] = 1;
	l = line(f, &e, &r);
	assert_int_equal(r, 1);
	assert_has(l, "\"ancestry\":[{\"pid\":1,\"comm\":\"systemd\",\"exe\":\"/sbin/init\"}]}");
	e.nancestry = 0;
	l = line(f, &e, &r);
	assert_int_equal(r, 1);
	assert_has(l, "\"ancestry\":[]}");
	line(f, &e, &r);
	assert_int_equal(r, 0);
	assert_int_equal(proc_cache__generation(f->procs), gen);
}

/* Unknown processes, proc_infos that are not the cache's own, no process
 * cache at all, and pids sharing a slot: the same bytes every time. */
static void test_uncached_cases(void **state)
{
	struct fixture *f = *state;
	struct enriched e = enrich(f, 5000, 5000, "ghost");
	struct proc_info mine;
	const char *l;
	__u64 r;

	/* Unknown: the members empty, as without a cache. */
	assert_null(e.proc);
	assert_int_equal(e.nancestry, 0);
	l = line(f, &e, &r);
	assert_has(l, "\"comm\":\"ghost\",\"exe\":\"\",\"cmdline\":\"\",\"cwd\":\"\",\"cgroup_id\":777,\"cgroup\":\"\","
		      "\"container\":null,\"ancestry\":[]}");

	/* A copy of an entry: changed between events, never reused. */
	e = enrich(f, 4321, 4321, "python3");
	mine = *e.proc;
	e.proc = &mine;
	line(f, &e, &r);
	assert_int_equal(r, 1); /* the ancestry only */
	snprintf(mine.exe, sizeof(mine.exe), "/opt/other");
	l = line(f, &e, &r);
	assert_int_equal(r, 0);
	assert_has(l, "\"exe\":\"/opt/other\"");

	/* A cache but no process cache: nothing is cached. */
	e = enrich(f, 4321, 4321, "python3");
	f->fc.procs = NULL;
	line(f, &e, &r);
	line(f, &e, &r);
	assert_int_equal(r, 0);
	f->fc.procs = f->procs;

	/* 4321 and 4321 + 256 share a slot: each takes it from the other. */
	proc_cache__on_fork(f->procs, 4321 + 256, 4000, 0, "bash");
	for (int i = 0; i < 4; i++) {
		e = enrich(f, i & 1 ? 4321 + 256 : 4321, 1, "c");
		l = line(f, &e, &r);
		assert_int_equal(r, 2);
		assert_has(l, i & 1 ? "\"exe\":\"/usr/bin/bash\"" : "\"exe\":\"/usr/bin/python3.11\"");
	}
	format_cache__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pid_reuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ancestor_exec, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ancestry_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uncached_cases, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

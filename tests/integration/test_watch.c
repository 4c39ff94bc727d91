/*
 * Integration: the real binary with the real BPF programs. A watched child
 * opens, connects, binds, listens, accepts, forks a grandchild that runs
 * /bin/sh -c (which runs cat), and exits 3; a sibling outside the tree does the
 * same opens and connects. Every event of the tree is asserted field by field
 * against what the child itself saw, and the sibling must yield nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/openat2.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <linux/securebits.h>

#include <linux/types.h>
#include "aisec/events.h"
#include "testutil.h"

#define SH_SCRIPT "cat /etc/hostname >/dev/null; exit 7"

/* What the watched child saw, sent back to the test over a pipe. */
struct child_report {
	int existing_fd;
	int missing_ret;        /* -errno */
	int tcp_ret;
	int nb_ret;             /* non-blocking connect: 0 or -EINPROGRESS */
	int unix_ret;
	int v6_ret;
	int listen_port;        /* the child's own listener */
	int client_port;        /* local port of the child's client socket */
	int accept_fd;
	int tcp_fd, nb_fd, unix_fd, v6_fd, listen_fd, client_fd;
	pid_t grandchild;
	pid_t bigargv;          /* a second child that execs /bin/true with a 6000-byte argument */
	int openat2_fd;
	int open_fd, creat_fd;  /* legacy open(2) and creat(2) */
};

#define BIG_ARG_LEN 6000

struct fixture {
	char *dir;
	char existing[256], missing[256], sock_path[256], out[256];
	int tcp_ls, unix_ls, v6_ls;
	int tcp_port, v6_port;
	pid_t kids[4];          /* killed in teardown, so a failed test leaves none behind */
};

static int tcp_listener(int family, int *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
	}
	assert_true(s >= 0);
	assert_int_equal(bind(s, (void *)&ss, len), 0);
	assert_int_equal(listen(s, 16), 0);
	assert_int_equal(getsockname(s, (void *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return s;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd;

	f->dir = tu_tmpdir();
	assert_non_null(f->dir);
	snprintf(f->existing, sizeof(f->existing), "%s/existing.txt", f->dir);
	snprintf(f->missing, sizeof(f->missing), "%s/missing.txt", f->dir);
	snprintf(f->sock_path, sizeof(f->sock_path), "%s/app.sock", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/events.json", f->dir);
	fd = open(f->existing, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hi\n", 3), 3);
	close(fd);
	f->tcp_ls = tcp_listener(AF_INET, &f->tcp_port);
	f->v6_ls = tcp_listener(AF_INET6, &f->v6_port);
	f->unix_ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(un.sun_path, f->sock_path);
	assert_int_equal(bind(f->unix_ls, (void *)&un, sizeof(un)), 0);
	assert_int_equal(listen(f->unix_ls, 16), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++) {
		if (f->kids[i] > 0) {
			kill(f->kids[i], SIGKILL);
			waitpid(f->kids[i], NULL, 0);
		}
	}
	close(f->tcp_ls);
	close(f->v6_ls);
	close(f->unix_ls);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int connect_to(int family, int port, const char *path, int flags, int *ret)
{
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*ret = connect(s, (void *)&a, sizeof(a)) ? -errno : 0;
	} else if (family == AF_INET6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_loopback };

		*ret = connect(s, (void *)&a, sizeof(a)) ? -errno : 0;
	} else {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		strcpy(a.sun_path, path);
		*ret = connect(s, (void *)&a, sizeof(a)) ? -errno : 0;
	}
	return s;
}

/* The watched child: wait for go, do everything, report, exit 3. */
static void child_main(struct fixture *f, int go_fd, int report_fd)
{
	struct child_report r = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char c;
	int status;

	if (read(go_fd, &c, 1) != 1)
		_exit(100);
	r.existing_fd = openat(AT_FDCWD, f->existing, O_RDONLY | O_CLOEXEC);
	r.missing_ret = openat(AT_FDCWD, f->missing, O_RDONLY) < 0 ? -errno : 0;
	{
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };

		r.openat2_fd = (int)syscall(SYS_openat2, AT_FDCWD, f->existing, &how, sizeof(how));
	}
	r.open_fd = (int)syscall(SYS_open, f->existing, O_RDONLY);
	r.creat_fd = (int)syscall(SYS_creat, f->missing, 0600);
	r.tcp_fd = connect_to(AF_INET, f->tcp_port, NULL, 0, &r.tcp_ret);
	r.nb_fd = connect_to(AF_INET, f->tcp_port, NULL, SOCK_NONBLOCK, &r.nb_ret);
	r.unix_fd = connect_to(AF_UNIX, 0, f->sock_path, 0, &r.unix_ret);
	r.v6_fd = connect_to(AF_INET6, f->v6_port, NULL, 0, &r.v6_ret);

	/* Its own listener: bind to port 0, listen 7, connect, accept. */
	r.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(r.listen_fd, (void *)&a, sizeof(a)) || listen(r.listen_fd, 7) ||
	    getsockname(r.listen_fd, (void *)&a, &len))
		_exit(101);
	r.listen_port = ntohs(a.sin_port);
	r.client_fd = connect_to(AF_INET, r.listen_port, NULL, 0, &status);
	len = sizeof(a);
	getsockname(r.client_fd, (void *)&a, &len);
	r.client_port = ntohs(a.sin_port);
	r.accept_fd = accept4(r.listen_fd, NULL, NULL, SOCK_CLOEXEC);

	r.grandchild = fork();
	if (r.grandchild == 0) {
		execl("/bin/sh", "/bin/sh", "-c", SH_SCRIPT, (char *)NULL);
		_exit(127);
	}
	waitpid(r.grandchild, &status, 0);

	r.bigargv = fork();
	if (r.bigargv == 0) {
		static char big[BIG_ARG_LEN + 1];

		memset(big, 'A', BIG_ARG_LEN);
		execl("/bin/true", "/bin/true", big, (char *)NULL);
		_exit(127);
	}
	waitpid(r.bigargv, &status, 0);
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		_exit(102);
	_exit(3);
}

/* A process outside the watched tree doing the same things. */
static void sibling_main(struct fixture *f, int go_fd)
{
	char c;
	int ret;

	if (read(go_fd, &c, 1) != 1)
		_exit(100);
	close(openat(AT_FDCWD, f->existing, O_RDONLY));
	close(connect_to(AF_INET, f->tcp_port, NULL, 0, &ret));
	if (fork() == 0) {
		execl("/bin/sh", "/bin/sh", "-c", "exit 0", (char *)NULL);
		_exit(127);
	}
	wait(NULL);
	_exit(5);
}

/* Events of one pid and kind, in order. */
static bool is_event(cJSON *e)
{
	cJSON *s = cJSON_GetObjectItem(e, "schema");

	return cJSON_IsString(s) && strcmp(s->valuestring, "aisec.event.v1") == 0;
}

static int collect(cJSON *events, long pid, const char *kind, cJSON **out, int max)
{
	int n = 0;
	cJSON *e;

	cJSON_ArrayForEach(e, events)
	{
		if (!is_event(e))
			continue;
		cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "process"), "pid");

		if (p && (long)p->valuedouble == pid && strcmp(cJSON_GetObjectItem(e, "kind")->valuestring, kind) == 0 &&
		    n < max)
			out[n++] = e;
	}
	return n;
}

static const char *jstr(cJSON *obj, const char *a, const char *b)
{
	cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, a), b);

	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static long jnum(cJSON *obj, const char *a, const char *b)
{
	cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, a), b);

	assert_true(cJSON_IsNumber(x));
	return (long)x->valuedouble;
}

/* The net event of pid on fd with the given kind. */
static cJSON *net_on_fd(cJSON *events, long pid, const char *kind, int fd)
{
	cJSON *list[64];
	int n = collect(events, pid, kind, list, 64);

	for (int i = 0; i < n; i++)
		if (jnum(list[i], "net", "fd") == fd)
			return list[i];
	return NULL;
}

static void accept_and_close(int ls, int count)
{
	for (int i = 0; i < count; i++) {
		int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

		if (c >= 0)
			close(c);
	}
}

static void test_watch_tree(void **state)
{
	struct fixture *f = *state;
	int go[2], sgo[2], rep[2], status, rc;
	struct child_report r;
	struct tu_agent agent;
	pid_t child, sibling;
	char pidstr[16];
	cJSON *events, *ev, *list[64], *argv;
	int n;

	tu_require_root();
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(sgo), 0);
	assert_int_equal(pipe(rep), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(go[1]);
		close(rep[0]);
		close(sgo[0]);
		close(sgo[1]);
		child_main(f, go[0], rep[1]);
	}
	f->kids[0] = child;
	sibling = fork();
	assert_true(sibling >= 0);
	if (sibling == 0) {
		close(sgo[1]);
		close(go[1]);
		close(rep[0]);
		close(rep[1]);
		sibling_main(f, sgo[0]);
	}
	f->kids[1] = sibling;
	close(go[0]);
	close(sgo[0]);
	close(rep[1]);

	snprintf(pidstr, sizeof(pidstr), "%d", child);
	{
		const char *args[] = { "watch", pidstr, "--format", "json", "--output", f->out, NULL };

		rc = tu_agent_start(&agent, "watching pid", 30, args);
		if (rc)
			print_error("agent stderr:\n%s\n", agent.err);
		assert_int_equal(rc, 0);
	}
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(write(sgo[1], "g", 1), 1);
	/* Serve the connections made to the test's listeners. */
	accept_and_close(f->tcp_ls, 3);
	accept_and_close(f->unix_ls, 1);
	accept_and_close(f->v6_ls, 1);
	assert_int_equal(read(rep[0], &r, sizeof(r)), sizeof(r));
	assert_int_equal(waitpid(child, &status, 0), child);
	f->kids[0] = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_int_equal(waitpid(sibling, &status, 0), sibling);
	f->kids[1] = 0;

	/* The tree is gone: the agent ends by itself and publishes the file. */
	rc = tu_agent_wait(&agent, 30);
	if (rc != 0)
		print_error("agent exit %d, stderr:\n%s\n", rc, agent.err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(agent.err, "watched process tree has exited"));
	assert_non_null(strstr(agent.err, "records dropped: 0 "));
	events = tu_read_ndjson(f->out);
	assert_non_null(events);

	/* Every event record is of the watched tree only (the others are
	 * evidence records from the detectors, which have their own tests). */
	cJSON_ArrayForEach(ev, events)
	{
		long pid;

		if (!is_event(ev)) {
			assert_string_equal(cJSON_GetObjectItem(ev, "schema")->valuestring, "aisec.evidence.v1");
			continue;
		}
		pid = jnum(ev, "process", "pid");
		assert_true(pid == child || pid == r.grandchild || pid == r.bigargv ||
			    jnum(ev, "process", "ppid") == r.grandchild);
		assert_int_not_equal(pid, sibling);
		assert_int_not_equal(pid, getpid());
	}

	/* open: existing file, flags and fd. */
	n = collect(events, child, "open", list, 64);
	ev = NULL;
	for (int i = 0; i < n; i++)
		if (strcmp(jstr(list[i], "open", "path"), f->existing) == 0 &&
		    strcmp(jstr(list[i], "open", "syscall"), "openat") == 0)
			ev = list[i];
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "open", "flags"), "O_RDONLY|O_CLOEXEC");
	assert_int_equal(jnum(ev, "open", "flags_raw"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(jnum(ev, "open", "dirfd"), AT_FDCWD);
	assert_int_equal(jnum(ev, "open", "ret"), r.existing_fd);
	assert_true(r.existing_fd >= 0);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "open"), "path_truncated")));
	/* Enrichment of the watched child. */
	assert_int_equal(jnum(ev, "process", "ppid"), getpid());
	assert_int_equal(jnum(ev, "process", "uid"), 0);
	assert_non_null(strstr(jstr(ev, "process", "exe"), "test_watch"));
	assert_non_null(strstr(jstr(ev, "process", "cmdline"), "test_watch"));
	assert_true(jstr(ev, "process", "cwd")[0] == '/');
	assert_true(jnum(ev, "process", "cgroup_id") > 0);
	{
		cJSON *anc = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "process"), "ancestry");

		assert_true(cJSON_GetArraySize(anc) >= 1);
		assert_int_equal((long)cJSON_GetObjectItem(cJSON_GetArrayItem(anc, 0), "pid")->valuedouble, getpid());
	}

	/* open: the missing file fails with ENOENT. */
	ev = NULL;
	for (int i = 0; i < n; i++)
		if (strcmp(jstr(list[i], "open", "path"), f->missing) == 0 &&
		    strcmp(jstr(list[i], "open", "syscall"), "openat") == 0)
			ev = list[i];
	assert_non_null(ev);
	assert_int_equal(r.missing_ret, -ENOENT);
	assert_int_equal(jnum(ev, "open", "ret"), -ENOENT);
	assert_string_equal(jstr(ev, "open", "error"), "ENOENT");
	assert_string_equal(jstr(ev, "open", "flags"), "O_RDONLY");

	/* openat2: flags from struct open_how, resolve flags kept. */
	n = collect(events, child, "open", list, 64);
	ev = NULL;
	for (int i = 0; i < n; i++)
		if (strcmp(jstr(list[i], "open", "syscall"), "openat2") == 0)
			ev = list[i];
	assert_non_null(ev);
	assert_true(r.openat2_fd >= 0);
	assert_string_equal(jstr(ev, "open", "path"), f->existing);
	assert_string_equal(jstr(ev, "open", "flags"), "O_RDONLY|O_CLOEXEC");
	assert_int_equal(jnum(ev, "open", "resolve"), RESOLVE_NO_SYMLINKS);
	assert_int_equal(jnum(ev, "open", "ret"), r.openat2_fd);

	/* Legacy open(2) and creat(2). */
	ev = NULL;
	for (int i = 0; i < n; i++)
		if (strcmp(jstr(list[i], "open", "syscall"), "open") == 0)
			ev = list[i];
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "open", "path"), f->existing);
	assert_string_equal(jstr(ev, "open", "flags"), "O_RDONLY");
	assert_int_equal(jnum(ev, "open", "ret"), r.open_fd);
	assert_true(r.open_fd >= 0);
	ev = NULL;
	for (int i = 0; i < n; i++)
		if (strcmp(jstr(list[i], "open", "syscall"), "creat") == 0)
			ev = list[i];
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "open", "path"), f->missing);
	assert_string_equal(jstr(ev, "open", "flags"), "O_WRONLY|O_CREAT|O_TRUNC");
	assert_string_equal(jstr(ev, "open", "mode"), "0600");
	assert_int_equal(jnum(ev, "open", "ret"), r.creat_fd);
	assert_true(r.creat_fd >= 0);

	/* exec with an argv larger than the kernel captures: cut, flagged, real size kept. */
	assert_int_equal(collect(events, r.bigargv, "exec", list, 64), 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(list[0], "exec"), "argv_truncated")));
	assert_int_equal(jnum(list[0], "exec", "argv_bytes"), sizeof("/bin/true") + BIG_ARG_LEN + 1);
	argv = cJSON_GetObjectItem(cJSON_GetObjectItem(list[0], "exec"), "argv");
	assert_int_equal(cJSON_GetArraySize(argv), 2);
	assert_string_equal(cJSON_GetArrayItem(argv, 0)->valuestring, "/bin/true");
	assert_int_equal(strlen(cJSON_GetArrayItem(argv, 1)->valuestring), AISEC_EXEC_ARGV_MAX - sizeof("/bin/true"));

	/* connect: IPv4 blocking and non-blocking, unix, IPv6. */
	ev = net_on_fd(events, child, "connect", r.tcp_fd);
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "net", "family"), "inet");
	assert_string_equal(jstr(ev, "net", "addr"), "127.0.0.1");
	assert_int_equal(jnum(ev, "net", "port"), f->tcp_port);
	assert_int_equal(jnum(ev, "net", "ret"), 0);
	assert_string_equal(jstr(ev, "net", "sock_type"), "stream");
	assert_int_equal(r.tcp_ret, 0);

	ev = net_on_fd(events, child, "connect", r.nb_fd);
	assert_non_null(ev);
	assert_int_equal(jnum(ev, "net", "ret"), r.nb_ret);
	assert_true(r.nb_ret == 0 || r.nb_ret == -EINPROGRESS);
	if (r.nb_ret == -EINPROGRESS)
		assert_string_equal(jstr(ev, "net", "error"), "EINPROGRESS");

	ev = net_on_fd(events, child, "connect", r.unix_fd);
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "net", "family"), "unix");
	assert_string_equal(jstr(ev, "net", "unix_path"), f->sock_path);
	assert_int_equal(jnum(ev, "net", "ret"), 0);
	assert_int_equal(r.unix_ret, 0);

	ev = net_on_fd(events, child, "connect", r.v6_fd);
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "net", "family"), "inet6");
	assert_string_equal(jstr(ev, "net", "addr"), "::1");
	assert_int_equal(jnum(ev, "net", "port"), f->v6_port);
	assert_int_equal(jnum(ev, "net", "ret"), r.v6_ret);
	assert_int_equal(r.v6_ret, 0);

	/* bind (port 0 resolved), listen, accept with the peer's address. */
	ev = net_on_fd(events, child, "bind", r.listen_fd);
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "net", "local_addr"), "127.0.0.1");
	assert_int_equal(jnum(ev, "net", "local_port"), r.listen_port);
	assert_int_equal(jnum(ev, "net", "ret"), 0);
	ev = net_on_fd(events, child, "listen", r.listen_fd);
	assert_non_null(ev);
	assert_int_equal(jnum(ev, "net", "backlog"), 7);
	assert_int_equal(jnum(ev, "net", "local_port"), r.listen_port);
	ev = net_on_fd(events, child, "accept", r.listen_fd);
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "net", "syscall"), "accept4");
	assert_int_equal(jnum(ev, "net", "ret"), r.accept_fd);
	assert_string_equal(jstr(ev, "net", "addr"), "127.0.0.1");
	assert_int_equal(jnum(ev, "net", "port"), r.client_port);
	assert_int_equal(jnum(ev, "net", "local_port"), r.listen_port);

	/* The grandchild: fork, exec of /bin/sh -c with exact argv, exit 7. */
	assert_int_equal(collect(events, r.grandchild, "fork", list, 64), 1);
	assert_int_equal(jnum(list[0], "fork", "parent_pid"), child);
	assert_int_equal(jnum(list[0], "process", "ppid"), child);
	assert_int_equal(collect(events, r.grandchild, "exec", list, 64), 1);
	assert_string_equal(jstr(list[0], "exec", "filename"), "/bin/sh");
	argv = cJSON_GetObjectItem(cJSON_GetObjectItem(list[0], "exec"), "argv");
	assert_int_equal(cJSON_GetArraySize(argv), 3);
	assert_string_equal(cJSON_GetArrayItem(argv, 0)->valuestring, "/bin/sh");
	assert_string_equal(cJSON_GetArrayItem(argv, 1)->valuestring, "-c");
	assert_string_equal(cJSON_GetArrayItem(argv, 2)->valuestring, SH_SCRIPT);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(list[0], "exec"), "argv_truncated")));
	/* exe of an exec seen live is the filename execve got. */
	assert_string_equal(jstr(list[0], "process", "exe"), "/bin/sh");
	assert_int_equal(collect(events, r.grandchild, "exit", list, 64), 1);
	assert_int_equal(jnum(list[0], "exit", "code"), 7);
	assert_int_equal(jnum(list[0], "exit", "signal"), 0);

	/* The great-grandchild cat, forked by sh: followed too. */
	{
		cJSON *e2;
		long cat_pid = 0;

		cJSON_ArrayForEach(e2, events)
		{
			if (is_event(e2) && strcmp(cJSON_GetObjectItem(e2, "kind")->valuestring, "exec") == 0 &&
			    jnum(e2, "process", "ppid") == r.grandchild)
				cat_pid = jnum(e2, "process", "pid");
		}
		assert_true(cat_pid > 0);
		assert_int_equal(collect(events, cat_pid, "exec", list, 64), 1);
		argv = cJSON_GetObjectItem(cJSON_GetObjectItem(list[0], "exec"), "argv");
		assert_int_equal(cJSON_GetArraySize(argv), 2);
		assert_string_equal(cJSON_GetArrayItem(argv, 0)->valuestring, "cat");
		assert_string_equal(cJSON_GetArrayItem(argv, 1)->valuestring, "/etc/hostname");
		n = collect(events, cat_pid, "open", list, 64);
		ev = NULL;
		for (int i = 0; i < n; i++)
			if (strcmp(jstr(list[i], "open", "path"), "/etc/hostname") == 0)
				ev = list[i];
		assert_non_null(ev);
		assert_true(jnum(ev, "open", "ret") >= 0);
		{
			cJSON *anc = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "process"), "ancestry");

			assert_true(cJSON_GetArraySize(anc) >= 3);
			assert_int_equal((long)cJSON_GetObjectItem(cJSON_GetArrayItem(anc, 0), "pid")->valuedouble,
					 r.grandchild);
			assert_int_equal((long)cJSON_GetObjectItem(cJSON_GetArrayItem(anc, 1), "pid")->valuedouble,
					 child);
		}
		assert_int_equal(collect(events, cat_pid, "exit", list, 64), 1);
		assert_int_equal(jnum(list[0], "exit", "code"), 0);
	}

	/* The child's own exit code. */
	assert_int_equal(collect(events, child, "exit", list, 64), 1);
	assert_int_equal(jnum(list[0], "exit", "code"), 3);

	cJSON_Delete(events);
	close(go[1]);
	close(sgo[1]);
	close(rep[0]);
}

/* Unknown pid: exit 2, one line naming it, no output file. */
static void test_unknown_pid(void **state)
{
	struct fixture *f = *state;
	char out[4096], err[4096];
	const char *argv[] = { tu_binary(), "watch", "4194000", "--output", f->out, NULL };
	struct stat st;

	argv[0] = tu_binary();
	assert_int_equal(tu_run(argv, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "no process with pid 4194000"));
	assert_null(strchr(err, '\n') == NULL ? NULL : strchr(strchr(err, '\n') + 1, '\n'));
	assert_int_not_equal(stat(f->out, &st), 0);
}

/* Bad findings or rules: exit 2 with one line naming the file and the
 * JSON path (or line:column), before anything is loaded or written. */
static void test_bad_findings_and_rules(void **state)
{
	struct fixture *f = *state;
	char out[4096], err[4096], pidstr[16];
	const char *shape[] = { tu_binary(), "watch", pidstr, "--findings",
				"tests/fixtures/sarif/location-wrong-type.sarif", "--output", f->out, NULL };
	const char *syntax[] = { tu_binary(), "watch", pidstr, "--findings", "tests/fixtures/sarif/not-json.sarif", NULL };
	const char *missing[] = { tu_binary(), "watch", pidstr, "--findings", "/nonexistent/x.sarif", NULL };
	const char *rules[] = { tu_binary(), "watch", pidstr, "--rules", f->dir, NULL };
	struct stat st;

	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	assert_int_equal(tu_run(shape, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "location-wrong-type.sarif: $.runs[0].results[3].locations[0].physicalLocation: "
				    "expected an object"));
	assert_int_not_equal(stat(f->out, &st), 0);
	assert_int_equal(tu_run(syntax, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "not-json.sarif:8:11: invalid JSON"));
	assert_int_equal(tu_run(missing, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "/nonexistent/x.sarif"));
	/* A rules directory without any rule file. */
	assert_int_equal(tu_run(rules, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "no rule files"));
}

/* Usage errors: exit 2 with a reason. */
static void test_usage_errors(void **state)
{
	char out[4096], err[4096];
	const char *bad_format[] = { tu_binary(), "watch", "1", "--format", "xml", NULL };
	const char *no_pid[] = { tu_binary(), "watch", NULL };
	const char *bad_pid[] = { tu_binary(), "watch", "12ab", NULL };
	const char *bad_cmd[] = { tu_binary(), "frobnicate", NULL };
	const char *version[] = { tu_binary(), "version", NULL };

	(void)state;
	assert_int_equal(tu_run(bad_format, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "--format must be text or json"));
	assert_int_equal(tu_run(no_pid, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "watch needs a pid"));
	assert_int_equal(tu_run(bad_pid, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "'12ab' is not a pid"));
	assert_int_equal(tu_run(bad_cmd, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
	assert_int_equal(tu_run(version, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "aisec-rt 0."));
}

/* SIGTERM while watching a long-lived process: clean stop, complete file;
 * text output by default; the summary reports counts. */
static void test_sigterm_and_text(void **state)
{
	struct fixture *f = *state;
	struct tu_agent agent;
	char pidstr[16], buf[8192];
	pid_t sleeper;
	int rc, status, fd;
	ssize_t n;

	tu_require_root();
	sleeper = fork();
	if (sleeper == 0) {
		/* Open the existing file every 50 ms until killed. */
		for (;;) {
			close(open(f->existing, O_RDONLY));
			usleep(50000);
		}
	}
	f->kids[0] = sleeper;
	snprintf(pidstr, sizeof(pidstr), "%d", sleeper);
	{
		const char *args[] = { "watch", pidstr, "--output", f->out, NULL };

		rc = tu_agent_start(&agent, "watching pid", 30, args);
		if (rc)
			print_error("agent stderr:\n%s\n", agent.err);
		assert_int_equal(rc, 0);
	}
	usleep(400000);
	kill(agent.pid, SIGTERM);
	rc = tu_agent_wait(&agent, 30);
	kill(sleeper, SIGKILL);
	waitpid(sleeper, &status, 0);
	f->kids[0] = 0;
	assert_int_equal(rc, 0);
	assert_non_null(strstr(agent.err, "stopping on"));
	assert_non_null(strstr(agent.err, "summary: "));
	fd = open(f->out, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(buf[n - 1], '\n');
	assert_non_null(strstr(buf, "open "));
	assert_non_null(strstr(buf, f->existing));
	assert_non_null(strstr(buf, "O_RDONLY = "));
	unlink(f->out);
}

/* Without capabilities the agent says which one is missing, exits 1, and
 * publishes no output file. */
static void test_missing_capability(void **state)
{
	struct fixture *f = *state;
	struct tu_agent agent;
	char pidstr[16];
	struct stat st;
	int pfd[2], status;
	pid_t child;

	tu_require_root();
	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Drop every capability (all sets), then run the agent as root-without-caps. */
		cap_t none = cap_init();
		const char *argv[] = { tu_binary(), "watch", pidstr, "--output", f->out, NULL };

		/* NOROOT: an exec as uid 0 must not hand the capabilities back. */
		if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED) || !none || cap_set_proc(none))
			_exit(120);
		dup2(pfd[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	memset(&agent, 0, sizeof(agent));
	agent.pid = child;
	agent.err_fd = pfd[0];
	status = tu_agent_wait(&agent, 30);
	assert_int_equal(status, 1);
	assert_non_null(strstr(agent.err, "CAP_BPF"));
	assert_int_not_equal(stat(f->out, &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_watch_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_findings_and_rules, setup, teardown),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test_setup_teardown(test_sigterm_and_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_capability, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * BPF load and ring-buffer test: every program loads (a verifier rejection
 * fails here) and attaches; a watched thread's openat and connect arrive as
 * exact records, header included; an unwatched one yields nothing; the drop
 * counters read back. Both ways into the syscall handlers: one tracepoint
 * per syscall (--no-sql) and the sys_exit dispatcher (SQL capture).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "events.h"
#include "loader.h"
#include "testutil.h"

struct seen {
	int opens;              /* open records whose path is ours */
	int other_pid;          /* records from any other process: must stay 0 */
	char path[256];
	struct event ev;
	__s64 ret;
	__u32 pid, tid, flags, ppid, uid;
	int connects;           /* connect records to connect_port */
	__u16 connect_port;
	__s64 connect_ret;
};

static int on_record(void *ctx, const void *data, size_t size)
{
	struct seen *s = ctx;

	assert_int_equal(events__decode(data, size, &s->ev), 0);
	if (s->ev.hdr->pid != (__u32)getpid()) {
		s->other_pid++;
		return 0;
	}
	if (s->ev.kind == AISEC_EV_OPEN && strcmp(s->ev.path, s->path) == 0) {
		s->opens++;
		s->ret = s->ev.raw.open->ret;
		s->pid = s->ev.hdr->pid;
		s->tid = s->ev.hdr->tid;
		s->flags = (__u32)s->ev.raw.open->flags;
		s->ppid = s->ev.hdr->ppid;
		s->uid = s->ev.hdr->uid;
	}
	if (s->ev.kind == AISEC_EV_CONNECT && s->ev.raw.net->port == s->connect_port) {
		s->connects++;
		s->connect_ret = s->ev.raw.net->ret;
	}
	return 0;
}

/* A loopback port nothing listens on: bound, then closed. */
static __u16 closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (void *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (void *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int connect_to(__u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (void *)&a, sizeof(a));
	close(fd);
	return rc;
}

/* state: NULL for the tracepoints (--no-sql), non-NULL for the dispatcher. */
static void test_load_and_record(void **state)
{
	struct seen s = { 0 };
	struct loader_opts o = { .ringbuf_bytes = 1 << 20, .sql = *state != NULL };
	struct loader *ld;
	__u64 st[AISEC_STAT_MAX];
	__u32 pids[4];
	char err[512] = "";
	int fd;

	tu_require_root();
	s.connect_port = closed_port();
	ld = loader__open(&o, on_record, &s, err, sizeof(err));
	if (!ld)
		fail_msg("loader__open: %s", err);
	assert_int_equal(loader__ringbuf_size(ld), 1 << 20);
	assert_int_equal(loader__watched(ld, pids, 4), 0);
	snprintf(s.path, sizeof(s.path), "/nonexistent/aisec-load-test-%d", getpid());

	/* Unwatched: the open leaves no record. */
	fd = open(s.path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(fd, -1);
	assert_int_equal(connect_to(s.connect_port), -1);
	assert_true(loader__poll(ld, 50) >= 0);
	assert_int_equal(s.opens, 0);
	assert_int_equal(s.connects, 0);

	/* Watched: exactly one record with the syscall's own result. */
	assert_int_equal(loader__watch(ld, (__u32)getpid()), 0);
	assert_int_equal(loader__watched(ld, pids, 4), 1);
	assert_int_equal(pids[0], (__u32)getpid());
	fd = open(s.path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(fd, -1);
	assert_true(loader__poll(ld, 50) >= 0);
	assert_int_equal(s.opens, 1);
	assert_int_equal(s.ret, -ENOENT);
	assert_int_equal(s.pid, (__u32)getpid());
	assert_int_equal(s.tid, (__u32)syscall(SYS_gettid));
	assert_int_equal(s.flags, O_RDONLY | O_CLOEXEC);
	assert_int_equal(s.ppid, (__u32)getppid());
	assert_int_equal(s.uid, (__u32)getuid());
	assert_string_equal(s.ev.comm, "test_load");
	assert_int_equal(connect_to(s.connect_port), -1);
	assert_true(loader__poll(ld, 50) >= 0);
	assert_int_equal(s.connects, 1);
	assert_int_equal(s.connect_ret, -ECONNREFUSED);

	/* Unwatched again: nothing more. */
	assert_int_equal(loader__unwatch(ld, (__u32)getpid()), 0);
	fd = open(s.path, O_RDONLY);
	assert_int_equal(fd, -1);
	assert_true(loader__poll(ld, 50) >= 0);
	assert_int_equal(s.opens, 1);
	assert_int_equal(s.other_pid, 0);

	assert_int_equal(loader__stats(ld, st), 0);
	assert_int_equal(st[AISEC_STAT_RB_DROP], 0);
	assert_int_equal(st[AISEC_STAT_WATCH_FULL], 0);
	loader__free(ld);
}

/* A ring buffer size that is not a power of two is refused with a reason. */
static void test_bad_ringbuf_size(void **state)
{
	struct loader_opts o = { .ringbuf_bytes = 3 * 4096 };
	char err[512] = "";

	(void)state;
	tu_require_root();
	assert_null(loader__open(&o, on_record, NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "power of two"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{ "test_load_and_record_tracepoints", test_load_and_record, NULL, NULL, NULL },
		{ "test_load_and_record_dispatcher", test_load_and_record, NULL, NULL, (void *)1 },
		cmocka_unit_test(test_bad_ringbuf_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * DB-socket payload capture in the kernel: for a watched process, every
 * syscall that moves bytes on a socket whose peer is a configured database
 * port (or a unix path not ruled out) yields one payload record with the
 * exact bytes (first payload_bytes of them) and the true count; other sockets,
 * files and unwatched processes yield none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "events.h"
#include "loader.h"
#include "testutil.h"

#define MAXREC 64
#define PAYLOAD_BYTES 1024

struct rec {
	struct aisec_payload hdr; /* fields only; data copied below */
	char data[AISEC_PAYLOAD_MAX];
};

struct seen {
	struct rec r[MAXREC];
	int n;
	int other;              /* non-payload records of ours */
};

static int on_record(void *ctx, const void *data, size_t size)
{
	struct seen *s = ctx;
	struct event ev;

	assert_int_equal(events__decode(data, size, &ev), 0);
	if (ev.kind == AISEC_EV_OPEN)
		return 0; /* the /dev/null open below */
	if (ev.kind != AISEC_EV_PAYLOAD) {
		s->other++;
		return 0;
	}
	assert_true(s->n < MAXREC);
	memcpy(&s->r[s->n].hdr, ev.raw.payload, offsetof(struct aisec_payload, data));
	memcpy(s->r[s->n].data, ev.raw.payload->data, ev.raw.payload->captured);
	s->n++;
	return 0;
}

static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (void *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(getsockname(s, (void *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static int connect_tcp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(s, (void *)&a, sizeof(a)), 0);
	return s;
}

static void fill(char *buf, size_t n, char seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(seed + i % 23);
}

/* Each test runs twice: with the SQL handlers for kernels that have
 * bpf_rdonly_cast (typed loads; the loader falls back to the others where it
 * is missing) and with the _compat ones, forced. */
static bool use_compat(void **state)
{
	return state && *state;
}

static void test_tcp_payloads(void **state)
{
	static struct seen s;
	static char big[20000], got[20000];
	struct loader_opts o = { .ringbuf_bytes = 4 << 20, .sql = true, .payload_bytes = PAYLOAD_BYTES,
				 .bpf_compat = use_compat(state) };
	char err[512] = "", a[100], b[7], c[50], reply[64];
	struct iovec iov[3];
	struct msghdr mh = { 0 };
	struct loader *ld;
	int ls, other_ls, port, other_port, cli, srv, other_cli, other_srv, fd;
	__u64 st[AISEC_STAT_MAX];

	tu_require_root();
	memset(&s, 0, sizeof(s));
	ls = listener(&port);
	other_ls = listener(&other_port);
	o.db_ports[0].port = (__u16)port;
	o.db_ports[0].dialect = AISEC_DIALECT_POSTGRES;
	o.n_db_ports = 1;
	ld = loader__open(&o, on_record, &s, err, sizeof(err));
	if (!ld)
		fail_msg("loader__open: %s", err);
	cli = connect_tcp(port);
	srv = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	other_cli = connect_tcp(other_port);
	other_srv = accept4(other_ls, NULL, NULL, SOCK_CLOEXEC);
	fill(a, sizeof(a), 'a');
	fill(b, sizeof(b), 'B');
	fill(c, sizeof(c), '0');
	fill(big, sizeof(big), 'k');

	/* Unwatched: nothing. */
	assert_int_equal(write(cli, a, sizeof(a)), sizeof(a));
	assert_int_equal(read(srv, got, sizeof(got)), sizeof(a));
	assert_true(loader__poll(ld, 20) >= 0);
	assert_int_equal(s.n, 0);

	assert_int_equal(loader__watch(ld, (__u32)getpid()), 0);
	/* 0: write */
	assert_int_equal(write(cli, a, sizeof(a)), sizeof(a));
	/* 1: writev over three vectors */
	iov[0] = (struct iovec){ a, 10 };
	iov[1] = (struct iovec){ b, sizeof(b) };
	iov[2] = (struct iovec){ c, sizeof(c) };
	assert_int_equal(writev(cli, iov, 3), 10 + sizeof(b) + sizeof(c));
	/* 2: sendmsg */
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	assert_int_equal(sendmsg(cli, &mh, 0), 10 + sizeof(b));
	/* 3: sendto, larger than the capture: cut at PAYLOAD_BYTES, true size kept */
	{
		size_t off = 0;

		while (off < sizeof(big)) {
			ssize_t n = sendto(cli, big + off, sizeof(big) - off, 0, NULL, 0);

			assert_true(n > 0);
			off += (size_t)n;
			/* Drain as we go so the send never blocks. */
			while (recv(srv, got, sizeof(got), MSG_DONTWAIT) > 0)
				;
		}
	}
	/* Reads of the server's reply: read, recvfrom, readv, recvmsg. */
	memcpy(reply, "reply-0123456789", 16);
	assert_int_equal(write(srv, reply, 16), 16);
	usleep(10000);
	assert_int_equal(read(cli, got, 4), 4);
	assert_int_equal(recvfrom(cli, got, 4, 0, NULL, NULL), 4);
	iov[0] = (struct iovec){ got, 2 };
	iov[1] = (struct iovec){ got + 100, 2 };
	assert_int_equal(readv(cli, iov, 2), 4);
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	iov[0] = (struct iovec){ got, 100 };
	assert_int_equal(recvmsg(cli, &mh, 0), 4);
	/* Not a database: another port, a file, a failed read. */
	assert_int_equal(write(other_cli, a, sizeof(a)), sizeof(a));
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_int_equal(write(fd, a, sizeof(a)), sizeof(a));
	close(fd);
	assert_int_equal(recv(cli, got, 10, MSG_DONTWAIT), -1);
	assert_int_equal(loader__unwatch(ld, (__u32)getpid()), 0);
	assert_true(loader__poll(ld, 50) >= 0);

	assert_int_equal(s.other, 0);
	{
		int sends = 0, i;

		/* write, writev, sendmsg, then the sendto calls of the big buffer. */
		assert_true(s.n >= 8);
		assert_int_equal(s.r[0].hdr.hdr.syscall, AISEC_SYS_WRITE);
		assert_int_equal(s.r[0].hdr.ret, sizeof(a));
		assert_int_equal(s.r[0].hdr.captured, sizeof(a));
		assert_memory_equal(s.r[0].data, a, sizeof(a));
		assert_int_equal(s.r[0].hdr.dir, 0);
		assert_int_equal(s.r[0].hdr.dialect, AISEC_DIALECT_POSTGRES);
		assert_int_equal(s.r[0].hdr.port, port);
		assert_int_equal(s.r[0].hdr.family, AF_INET);
		assert_int_equal(s.r[0].hdr.fd, cli);
		assert_true(s.r[0].hdr.sock_ino > 0);

		assert_int_equal(s.r[1].hdr.hdr.syscall, AISEC_SYS_WRITEV);
		assert_int_equal(s.r[1].hdr.captured, 10 + sizeof(b) + sizeof(c));
		assert_memory_equal(s.r[1].data, a, 10);
		assert_memory_equal(s.r[1].data + 10, b, sizeof(b));
		assert_memory_equal(s.r[1].data + 10 + sizeof(b), c, sizeof(c));
		assert_int_equal(s.r[1].hdr.sock_ino, s.r[0].hdr.sock_ino);

		assert_int_equal(s.r[2].hdr.hdr.syscall, AISEC_SYS_SENDMSG);
		assert_int_equal(s.r[2].hdr.captured, 10 + sizeof(b));
		assert_memory_equal(s.r[2].data + 10, b, sizeof(b));

		for (i = 3; i < s.n && s.r[i].hdr.hdr.syscall == AISEC_SYS_SENDTO; i++) {
			sends++;
			assert_true(s.r[i].hdr.captured <= PAYLOAD_BYTES);
			assert_true(s.r[i].hdr.captured == PAYLOAD_BYTES || s.r[i].hdr.captured == s.r[i].hdr.ret);
		}
		assert_true(sends >= 1);
		assert_int_equal(s.r[3].hdr.captured, PAYLOAD_BYTES);
		assert_true(s.r[3].hdr.ret > PAYLOAD_BYTES);
		assert_memory_equal(s.r[3].data, big, PAYLOAD_BYTES);

		/* The four reads, in order, each 4 bytes of the reply. */
		assert_int_equal(s.n, i + 4);
		assert_int_equal(s.r[i].hdr.hdr.syscall, AISEC_SYS_READ);
		assert_int_equal(s.r[i + 1].hdr.hdr.syscall, AISEC_SYS_RECVFROM);
		assert_int_equal(s.r[i + 2].hdr.hdr.syscall, AISEC_SYS_READV);
		assert_int_equal(s.r[i + 3].hdr.hdr.syscall, AISEC_SYS_RECVMSG);
		for (int k = 0; k < 4; k++) {
			assert_int_equal(s.r[i + k].hdr.dir, 1);
			assert_int_equal(s.r[i + k].hdr.ret, 4);
			assert_int_equal(s.r[i + k].hdr.captured, 4);
			assert_memory_equal(s.r[i + k].data, reply + 4 * k, 4);
		}
	}
	assert_int_equal(loader__stats(ld, st), 0);
	assert_int_equal(st[AISEC_STAT_RB_DROP], 0);
	assert_int_equal(st[AISEC_STAT_READ_FAIL], 0);
	loader__free(ld);
	close(cli);
	close(srv);
	close(other_cli);
	close(other_srv);
	close(ls);
	close(other_ls);
}

/* The kernel remembers each socket's class by its struct sock, checked
 * against the inode number: a database connection closed and a plain one
 * opened in its place (same fd, often the same freed sock memory) must not
 * inherit the database's class, nor the other way round. */
static void test_socket_reuse(void **state)
{
	static struct seen s;
	struct loader_opts o = { .ringbuf_bytes = 1 << 20, .sql = true, .bpf_compat = use_compat(state) };
	char err[512] = "", got[64];
	int db_ls, other_ls, db_port, other_port;
	struct loader *ld;

	tu_require_root();
	memset(&s, 0, sizeof(s));
	db_ls = listener(&db_port);
	other_ls = listener(&other_port);
	o.db_ports[0].port = (__u16)db_port;
	o.db_ports[0].dialect = AISEC_DIALECT_POSTGRES;
	o.n_db_ports = 1;
	ld = loader__open(&o, on_record, &s, err, sizeof(err));
	if (!ld)
		fail_msg("loader__open: %s", err);
	assert_int_equal(loader__watch(ld, (__u32)getpid()), 0);
	for (int i = 0; i < 20; i++) {
		int other_first = i % 2, fds[2], srv[2];

		for (int k = 0; k < 2; k++) {
			bool db = k != other_first;

			fds[k] = connect_tcp(db ? db_port : other_port);
			srv[k] = accept4(db ? db_ls : other_ls, NULL, NULL, SOCK_CLOEXEC);
			assert_int_equal(write(fds[k], db ? "db" : "no", 2), 2);
			assert_int_equal(read(srv[k], got, sizeof(got)), 2);
			close(fds[k]);
			close(srv[k]);
		}
	}
	assert_int_equal(loader__unwatch(ld, (__u32)getpid()), 0);
	assert_true(loader__poll(ld, 50) >= 0);
	assert_int_equal(s.n, 20);
	for (int i = 0; i < s.n; i++) {
		assert_int_equal(s.r[i].hdr.port, db_port);
		assert_memory_equal(s.r[i].data, "db", 2);
		if (i)
			assert_true(s.r[i].hdr.sock_ino != s.r[i - 1].hdr.sock_ino);
	}
	loader__free(ld);
	close(db_ls);
	close(other_ls);
}

/* Unix sockets: a path the agent has not ruled on comes with dialect UNKNOWN
 * and the path; once ruled out (NONE) its payloads stop; a path ruled a
 * database comes with that dialect. */
static void test_unix_verdicts(void **state)
{
	static struct seen s;
	struct loader_opts o = { .ringbuf_bytes = 1 << 20, .sql = true, .bpf_compat = use_compat(state) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char err[512] = "", *dir, path[108], got[64];
	struct loader *ld;
	int ls, cli, srv;

	tu_require_root();
	memset(&s, 0, sizeof(s));
	dir = tu_tmpdir();
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/.s.PGSQL.5432", dir);
	strcpy(un.sun_path, path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(ls, (void *)&un, sizeof(un)), 0);
	assert_int_equal(listen(ls, 4), 0);
	cli = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(cli, (void *)&un, sizeof(un)), 0);
	srv = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

	ld = loader__open(&o, on_record, &s, err, sizeof(err));
	if (!ld)
		fail_msg("loader__open: %s", err);
	/* The connection predates the agent: still captured, decided from the socket. */
	assert_int_equal(loader__watch(ld, (__u32)getpid()), 0);
	assert_int_equal(write(cli, "one", 3), 3);
	assert_true(loader__poll(ld, 20) >= 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].hdr.dialect, AISEC_DIALECT_UNKNOWN);
	assert_int_equal(s.r[0].hdr.family, AF_UNIX);
	assert_int_equal(s.r[0].hdr.unix_len, strlen(path) + 1);
	assert_string_equal(s.r[0].hdr.unix_path, path);
	assert_memory_equal(s.r[0].data, "one", 3);

	assert_int_equal(loader__set_unix_verdict(ld, path, strlen(path), AISEC_DIALECT_MYSQL), 0);
	assert_int_equal(write(cli, "two", 3), 3);
	assert_int_equal(read(srv, got, sizeof(got)), 6);
	assert_int_equal(write(srv, "back", 4), 4);
	assert_int_equal(read(cli, got, sizeof(got)), 4);
	assert_true(loader__poll(ld, 20) >= 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[1].hdr.dialect, AISEC_DIALECT_MYSQL);
	assert_int_equal(s.r[2].hdr.dir, 1);
	assert_memory_equal(s.r[2].data, "back", 4);

	assert_int_equal(loader__set_unix_verdict(ld, path, strlen(path), AISEC_DIALECT_NONE), 0);
	assert_int_equal(write(cli, "three", 5), 5);
	assert_true(loader__poll(ld, 20) >= 0);
	assert_int_equal(s.n, 3);
	/* The same verdict again changes nothing; back to a database, the
	 * connection (remembered as not one meanwhile) is captured again. */
	assert_int_equal(loader__set_unix_verdict(ld, path, strlen(path), AISEC_DIALECT_NONE), 0);
	assert_int_equal(write(cli, "four", 4), 4);
	assert_true(loader__poll(ld, 20) >= 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(loader__set_unix_verdict(ld, path, strlen(path), AISEC_DIALECT_POSTGRES), 0);
	assert_int_equal(write(cli, "five", 4), 4);
	assert_true(loader__poll(ld, 20) >= 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.r[3].hdr.dialect, AISEC_DIALECT_POSTGRES);
	assert_memory_equal(s.r[3].data, "five", 4);
	assert_int_equal(loader__set_unix_verdict(ld, path, strlen(path), AISEC_DIALECT_NONE), 0);
	assert_int_equal(write(cli, "six", 3), 3);
	assert_true(loader__poll(ld, 20) >= 0);
	assert_int_equal(s.n, 4);
	loader__free(ld);
	close(cli);
	close(srv);
	close(ls);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_tcp_payloads, NULL),
		{ "test_tcp_payloads_compat", test_tcp_payloads, NULL, NULL, (void *)1 },
		cmocka_unit_test_prestate(test_socket_reuse, NULL),
		{ "test_socket_reuse_compat", test_socket_reuse, NULL, NULL, (void *)1 },
		cmocka_unit_test_prestate(test_unix_verdicts, NULL),
		{ "test_unix_verdicts_compat", test_unix_verdicts, NULL, NULL, (void *)1 },
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

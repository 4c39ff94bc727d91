/*
 * bench/syscall: cost of the syscalls aisec-rt hooks, as seen by the process
 * making them. Pinned to one CPU; each case runs ROUNDS rounds of N
 * iterations and reports the median ns per iteration.
 *
 *   usage: syscall [-n N] [-r ROUNDS] [-c CPU] [-w FIFO] [-o CASE]
 *   -w FIFO: wait until a line can be read from FIFO before measuring (so an
 *            agent can attach to this very process first).
 *   -o CASE: run only this case (e.g. query+reply); default all.
 * Output: one line per case, "case ns_per_op".
 *
 * Cases: write(2) of one byte to /dev/null; openat+close of /etc/hostname;
 * connect+close (and the accept) over loopback TCP; query+reply: a
 * PostgreSQL simple query ("Q") sent over a unix socket named like a
 * PostgreSQL server's (.s.PGSQL.5432, which aisec-rt's default --db-socket
 * pattern matches), read by this process's own "server" end, answered with
 * CommandComplete + ReadyForQuery and read back: four syscalls, two of them
 * on the database client's socket (what SQL capture records).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int lfd = -1;
static struct sockaddr_in laddr;

static void op_write(int fd)
{
	if (write(fd, "x", 1) != 1)
		abort();
}

static void op_open(int fd)
{
	(void)fd;
	close(openat(AT_FDCWD, "/etc/hostname", O_RDONLY));
}

static void op_connect(int fd)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)fd;
	if (connect(s, (void *)&laddr, sizeof(laddr)))
		abort();
	close(s);
	close(accept(lfd, NULL, NULL));
}

static int db_cli = -1, db_srv = -1;

static const char query_msg[] = "Q\0\0\0\x0eSELECT 1;";              /* length 14: itself + text + NUL */
static const char reply_msg[] = "C\0\0\0\x0dSELECT 1\0Z\0\0\0\x05I"; /* CommandComplete, ReadyForQuery */

static void op_query(int fd)
{
	char buf[64];

	(void)fd;
	if (send(db_cli, query_msg, sizeof(query_msg), 0) != (ssize_t)sizeof(query_msg) ||
	    recv(db_srv, buf, sizeof(buf), 0) != (ssize_t)sizeof(query_msg) ||
	    send(db_srv, reply_msg, sizeof(reply_msg) - 1, 0) != (ssize_t)sizeof(reply_msg) - 1 ||
	    recv(db_cli, buf, sizeof(buf), 0) != (ssize_t)sizeof(reply_msg) - 1)
		abort();
}

/* The unix socket pair of op_query, in a fresh directory (removed again
 * once connected: the sockets keep the peer's name). 0 or -1. */
static int db_pair(void)
{
	char dir[] = "/tmp/aisec-bench-db.XXXXXX";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l;

	if (!mkdtemp(dir))
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/.s.PGSQL.5432", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	db_cli = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || db_cli < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    connect(db_cli, (void *)&a, sizeof(a)) || (db_srv = accept(l, NULL, NULL)) < 0)
		return -1;
	close(l);
	unlink(a.sun_path);
	rmdir(dir);
	return 0;
}

static double measure(void (*op)(int), int fd, int n, int rounds)
{
	double r[64];

	for (int k = 0; k < rounds; k++) {
		double t = now_ns();

		for (int i = 0; i < n; i++)
			op(fd);
		r[k] = (now_ns() - t) / n;
	}
	qsort(r, (size_t)rounds, sizeof(r[0]), cmp);
	return r[rounds / 2];
}

int main(int argc, char **argv)
{
	int n = 200000, rounds = 7, cpu = 1, c, fd;
	const char *fifo = NULL, *only = NULL;
	socklen_t len = sizeof(laddr);
	cpu_set_t set;

	while ((c = getopt(argc, argv, "n:r:c:w:o:")) != -1) {
		if (c == 'n')
			n = atoi(optarg);
		else if (c == 'r')
			rounds = atoi(optarg) > 63 ? 63 : atoi(optarg);
		else if (c == 'c')
			cpu = atoi(optarg);
		else if (c == 'w')
			fifo = optarg;
		else if (c == 'o')
			only = optarg;
		else
			return 2;
	}
	if (n <= 0 || rounds <= 0)
		return 2;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (fifo) {
		char line[16];
		FILE *f = fopen(fifo, "r");

		if (!f || !fgets(line, sizeof(line), f))
			return 1;
		fclose(f);
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	laddr.sin_family = AF_INET;
	laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (void *)&laddr, sizeof(laddr)) || listen(lfd, 128) || getsockname(lfd, (void *)&laddr, &len))
		return 1;
	fd = open("/dev/null", O_WRONLY);
	if (db_pair())
		return 1;
#define CASE(name, op, iters)                                                                                          \
	do {                                                                                                           \
		if (!only || strcmp(only, name) == 0)                                                                  \
			printf("%s %.0f\n", name, measure(op, fd, iters, rounds));                                     \
	} while (0)
	CASE("write", op_write, n);
	CASE("openat+close", op_open, n / 4);
	CASE("connect+close", op_connect, n / 40);
	CASE("query+reply", op_query, n / 10);
#undef CASE
	return 0;
}

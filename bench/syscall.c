/*
 * bench/syscall: cost of the syscalls aisec-rt hooks, as seen by the process
 * making them. Pinned to one CPU; each case runs ROUNDS rounds of N
 * iterations and reports the median ns per iteration.
 *
 *   usage: syscall [-n N] [-r ROUNDS] [-c CPU] [-w FIFO]
 *   -w FIFO: wait until a line can be read from FIFO before measuring (so an
 *            agent can attach to this very process first).
 * Output: one line per case, "case ns_per_op".
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
	const char *fifo = NULL;
	socklen_t len = sizeof(laddr);
	cpu_set_t set;

	while ((c = getopt(argc, argv, "n:r:c:w:")) != -1) {
		if (c == 'n')
			n = atoi(optarg);
		else if (c == 'r')
			rounds = atoi(optarg) > 63 ? 63 : atoi(optarg);
		else if (c == 'c')
			cpu = atoi(optarg);
		else if (c == 'w')
			fifo = optarg;
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
	printf("write %.0f\n", measure(op_write, fd, n, rounds));
	printf("openat+close %.0f\n", measure(op_open, fd, n / 4, rounds));
	printf("connect+close %.0f\n", measure(op_connect, fd, n / 40, rounds));
	return 0;
}

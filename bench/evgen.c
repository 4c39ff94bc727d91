/*
 * bench/evgen: an event generator for bench/ringbuf.sh. A process tree that
 * a watcher (aisec-rt watch, or a peer tool filtering on its pid) attaches to
 * before it starts, then makes openat(2)+close(2) of an existing file at a
 * target rate, or as fast as it can, and says exactly how many opens it made
 * so the watcher's count can be checked against it.
 *
 *   usage: evgen [-r RATE] [-d SECONDS] [-p PROCS] [-c CPU[,CPU...]] [-f FILE] [-H]
 *   -r RATE   opens per second in total, spread over the processes; 0 (the
 *             default) = a tight loop, as fast as possible
 *   -d SECS   how long to make opens (default 5)
 *   -p PROCS  worker processes (default 1: this process does the work itself,
 *             so a tool that filters on one pid sees it; more are forked when
 *             the run starts, so a watcher that follows forks sees them too)
 *   -c CPUS   pin worker i to the i-th CPU of the list (round robin)
 *   -f FILE   the file to open (default /etc/hostname)
 *   -H        after the run, hold (stay alive) until SIGTERM or SIGUSR2, so
 *             the watcher still runs while its CPU time and RSS are read
 * Start: prints "evgen: ready pid P" and waits for SIGUSR1; nothing is opened
 * before. End: prints "evgen: done opens N errors E secs S rate R" (R = N/S,
 * opens a second actually made). stdout is flushed after each line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 256

struct result {
	long long opens;
	long long errors;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("evgen: sched_setaffinity");
}

static void one_open(const char *path, struct result *r)
{
	int fd = openat(AT_FDCWD, path, O_RDONLY);

	r->opens++;
	if (fd < 0)
		r->errors++;
	else
		close(fd);
}

/* Opens from start to end at rate a second (0: as fast as possible). Paced
 * in batches of about a millisecond of work, so timer slack does not cap the
 * rate and the sleeps cost little at high rates. */
static struct result work(const char *path, double rate, double start, double end)
{
	struct result r = { 0 };

	if (rate <= 0) {
		while (now_s() < end)
			for (int i = 0; i < 256; i++)
				one_open(path, &r);
		return r;
	}
	for (;;) {
		double t = now_s();
		long long owed;

		if (t >= end)
			break;
		owed = (long long)((t - start) * rate) + 1;
		while (r.opens < owed)
			one_open(path, &r);
		/* Next wake-up: when about 1 ms more of opens is owed. */
		{
			double batch = rate / 1000 < 1 ? 1 : rate / 1000;
			double next = start + ((double)r.opens + batch - 1) / rate;

			if (next > end)
				next = end;
			sleep_until(next);
		}
	}
	return r;
}

int main(int argc, char **argv)
{
	double rate = 0, secs = 5, start, end, took;
	int procs = 1, ncpus = 0, cpus[MAX_PROCS], c, hold = 0, fds[2], sig;
	const char *path = "/etc/hostname";
	struct result total = { 0 };
	sigset_t set;

	while ((c = getopt(argc, argv, "r:d:p:c:f:H")) != -1) {
		switch (c) {
		case 'r':
			rate = atof(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 'c':
			for (char *s = strtok(optarg, ","); s && ncpus < MAX_PROCS; s = strtok(NULL, ","))
				cpus[ncpus++] = atoi(s);
			break;
		case 'f':
			path = optarg;
			break;
		case 'H':
			hold = 1;
			break;
		default:
			fprintf(stderr, "usage: evgen [-r RATE] [-d SECONDS] [-p PROCS] [-c CPUS] [-f FILE] [-H]\n");
			return 2;
		}
	}
	if (procs < 1 || procs > MAX_PROCS || secs <= 0 || rate < 0 || access(path, R_OK)) {
		fprintf(stderr, "evgen: bad arguments (procs 1..%d, seconds > 0, rate >= 0, a readable file)\n",
			MAX_PROCS);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe(fds))
		return 1;
	printf("evgen: ready pid %d\n", (int)getpid());
	fflush(stdout);
	do {
		if (sigwait(&set, &sig))
			return 1;
		if (sig != SIGUSR1)
			return 0;
	} while (sig != SIGUSR1);

	start = now_s();
	end = start + secs;
	if (procs == 1) {
		pin(ncpus ? cpus[0] : -1);
		total = work(path, rate, start, end);
	} else {
		for (int i = 0; i < procs; i++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("evgen: fork");
				return 1;
			}
			if (pid == 0) {
				struct result r;

				pin(ncpus ? cpus[i % ncpus] : -1);
				r = work(path, rate / procs, start, end);
				if (write(fds[1], &r, sizeof(r)) != sizeof(r))
					_exit(1);
				_exit(0);
			}
		}
		for (int i = 0; i < procs; i++) {
			struct result r;

			if (read(fds[0], &r, sizeof(r)) != sizeof(r)) {
				fprintf(stderr, "evgen: a worker died\n");
				return 1;
			}
			total.opens += r.opens;
			total.errors += r.errors;
		}
		while (wait(NULL) > 0)
			;
	}
	took = now_s() - start;
	printf("evgen: done opens %lld errors %lld secs %.3f rate %.0f\n", total.opens, total.errors, took,
	       (double)total.opens / took);
	fflush(stdout);
	if (hold) {
		sigdelset(&set, SIGUSR1);
		sigwait(&set, &sig);
	}
	return total.errors ? 1 : 0;
}

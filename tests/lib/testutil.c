/*
 * testutil: helpers for tests that run as root against the real agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "testutil.h"

void tu_require_root(void)
{
	const char *ci = getenv("CI");

	if (geteuid() == 0)
		return;
	if (ci && strcmp(ci, "true") == 0)
		fail_msg("this test needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and CI=true forbids skipping");
	print_message("not root: skipping (run as root to load BPF)\n");
	skip();
}

const char *tu_binary(void)
{
	static char path[4096];
	const char *b = getenv("AISEC_BUILD");

	snprintf(path, sizeof(path), "%s/aisec-rt", b && *b ? b : "build");
	return path;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what stderr has within ms milliseconds; false at EOF. */
static bool read_err(struct tu_agent *a, int ms)
{
	struct pollfd p = { .fd = a->err_fd, .events = POLLIN };
	ssize_t n;

	if (a->err_fd < 0)
		return false;
	if (poll(&p, 1, ms) <= 0)
		return true;
	if (a->err_len + 1 >= sizeof(a->err)) {
		char sink[4096];

		return read(a->err_fd, sink, sizeof(sink)) > 0;
	}
	n = read(a->err_fd, a->err + a->err_len, sizeof(a->err) - 1 - a->err_len);
	if (n <= 0) {
		close(a->err_fd);
		a->err_fd = -1;
		return false;
	}
	a->err_len += (size_t)n;
	a->err[a->err_len] = '\0';
	return true;
}

int tu_agent_start_argv(struct tu_agent *a, const char *ready_text, double timeout_s, const char *const *argv)
{
	int pfd[2];
	double end = now_s() + timeout_s;

	memset(a, 0, sizeof(*a));
	a->err_fd = -1;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	a->pid = fork();
	if (a->pid < 0)
		return -errno;
	if (a->pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	a->err_fd = pfd[0];
	while (now_s() < end) {
		if (ready_text && strstr(a->err, ready_text))
			return 0;
		if (!read_err(a, 50))
			break;
	}
	return ready_text && strstr(a->err, ready_text) ? 0 : -ETIMEDOUT;
}

int tu_agent_start(struct tu_agent *a, const char *ready_text, double timeout_s, const char *const *args)
{
	const char *argv[64];
	size_t n = 0;

	argv[n++] = tu_binary();
	for (; args[n - 1] && n < 63; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	return tu_agent_start_argv(a, ready_text, timeout_s, argv);
}

int tu_agent_wait_text(struct tu_agent *a, size_t from, const char *text, double timeout_s)
{
	double end = now_s() + timeout_s;

	for (;;) {
		if (from <= a->err_len && strstr(a->err + from, text))
			return 0;
		if (now_s() >= end)
			return -ETIMEDOUT;
		if (!read_err(a, 50))
			return -ECHILD; /* stderr closed: it exited (tu_agent_wait reaps it) */
	}
}

int tu_agent_wait(struct tu_agent *a, double timeout_s)
{
	double end = now_s() + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(a->pid, &status, WNOHANG);

		if (r == a->pid) {
			while (read_err(a, 0))
				;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		if (now_s() >= end) {
			kill(a->pid, SIGKILL);
			waitpid(a->pid, &status, 0);
			while (read_err(a, 0))
				;
			return -1;
		}
		if (!read_err(a, 20))
			usleep(20000);
	}
}

struct cJSON *tu_read_ndjson(const char *path)
{
	FILE *f = fopen(path, "r");
	cJSON *arr;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;

	if (!f) {
		print_error("cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	arr = cJSON_CreateArray();
	while ((n = getline(&line, &cap, f)) > 0) {
		cJSON *obj;

		lineno++;
		if (line[n - 1] != '\n') {
			print_error("%s:%d: last line has no newline (partial write)\n", path, lineno);
			goto bad;
		}
		obj = cJSON_Parse(line);
		if (!obj) {
			print_error("%s:%d: not JSON: %s", path, lineno, line);
			goto bad;
		}
		cJSON_AddItemToArray(arr, obj);
	}
	free(line);
	fclose(f);
	return arr;
bad:
	free(line);
	fclose(f);
	cJSON_Delete(arr);
	return NULL;
}

/* Read both pipes until EOF. */
static void drain2(int fo, char *out, size_t oc, int fe, char *err, size_t ec)
{
	size_t ol = 0, el = 0;
	struct pollfd p[2] = { { .fd = fo, .events = POLLIN }, { .fd = fe, .events = POLLIN } };

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, 30000) <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			char buf[4096], *dst = i ? err : out;
			size_t *len = i ? &el : &ol, cap = i ? ec : oc;
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				continue;
			}
			if (cap && *len + 1 < cap) {
				size_t take = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;

				memcpy(dst + *len, buf, take);
				*len += take;
			}
		}
	}
	if (oc)
		out[ol] = '\0';
	if (ec)
		err[el] = '\0';
}

int tu_run(const char *const *argv, char *out, size_t out_cap, char *err, size_t err_cap)
{
	int po[2], pe[2], status;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	drain2(po[0], out, out_cap, pe[0], err, err_cap);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *tu_tmpdir(void)
{
	char *d = strdup("/tmp/aisec-test.XXXXXX");

	if (!d || !mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

void tu_rmtree(const char *dir)
{
	const char *argv[] = { "/bin/rm", "-rf", dir, NULL };

	if (dir && strncmp(dir, "/tmp/aisec-test.", 16) == 0)
		tu_run(argv, NULL, 0, NULL, 0);
}

void tu_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", name);
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * testutil: shared helpers for the root-only tests (tests/bpf, tests/integration):
 * privilege gate, running the real aisec-rt binary, reading its NDJSON output.
 * Include after <cmocka.h>.
 */
#ifndef AISEC_TESTUTIL_H
#define AISEC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cJSON;

/* Skip when not root, except under CI=true where it fails the test. */
void tu_require_root(void);

/* Path of the built binary: $AISEC_BUILD/aisec-rt (default build/aisec-rt). */
const char *tu_binary(void);

/* A running agent started by tu_agent_start. */
struct tu_agent {
	pid_t pid;
	int err_fd;         /* read end of its stderr */
	char err[65536];    /* stderr read so far */
	size_t err_len;
};

/* Start `aisec-rt <args...>` (NULL-terminated) with stderr piped to us and
 * wait until its stderr shows ready_text (or it exits, or timeout_s passes).
 * Returns 0 when ready_text was seen. */
int tu_agent_start(struct tu_agent *a, const char *ready_text, double timeout_s, const char *const *args);

/* The same for any program (argv[0] an absolute path), e.g. the agent
 * under a wrapper. */
int tu_agent_start_argv(struct tu_agent *a, const char *ready_text, double timeout_s, const char *const *argv);

/* Keep reading the agent's stderr until text appears at or after offset
 * from (a->err_len taken before the action that causes it). 0 when seen,
 * -ETIMEDOUT, or -ECHILD when the agent exited (reap it with tu_agent_wait). */
int tu_agent_wait_text(struct tu_agent *a, size_t from, const char *text, double timeout_s);

/* Wait for the agent to exit on its own within timeout_s (SIGKILL after),
 * reading the rest of stderr. Returns its exit status (0..255), 128+signal,
 * or -1 on timeout. */
int tu_agent_wait(struct tu_agent *a, double timeout_s);

/* Parse a file of JSON lines into a cJSON array (every line must parse;
 * returns NULL and prints the bad line number otherwise). */
struct cJSON *tu_read_ndjson(const char *path);

/* Run argv (NULL-terminated) to completion, capturing stdout and stderr
 * (each NUL-terminated, truncated to cap). Returns exit status or 128+signal. */
int tu_run(const char *const *argv, char *out, size_t out_cap, char *err, size_t err_cap);

/* Write len bytes of data to dir/name (or to name when dir is NULL),
 * replacing the file; a failure fails the test. */
void tu_write_file(const char *dir, const char *name, const void *data, size_t len);

/* A fresh temporary directory (mkdtemp under /tmp) and its recursive removal. */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);

#endif /* AISEC_TESTUTIL_H */

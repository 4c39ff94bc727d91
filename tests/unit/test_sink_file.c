/*
 * Unit tests for agent/sink_file.c: a file output appears only when committed
 * (written under a hidden temporary name in the same directory, then renamed),
 * abort and every error leave nothing behind, bad paths are refused up front
 * with the path in the message, and "-" / NULL write to stdout. Each test works
 * in its own mkdtemp() directory; stdout tests redirect fd 1 to a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink_file.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	char *dir = strdup("/tmp/aisec-sink-test.XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *dir = *state;
	int err = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(dir);
	return err;
}

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", dir, name) < len);
}

/* The names in dir, sorted, joined by "/" (e.g. "a/b"); "" when empty. */
static void list_dir(const char *dir, char *out, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t o = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "/" : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	assert_true(o < len);
}

/* The one temporary file in dir: ".<base>.XXXXXX". */
static void expect_only_temp(const char *dir, const char *base)
{
	char names[512], prefix[256];
	size_t plen;

	list_dir(dir, names, sizeof(names));
	plen = (size_t)snprintf(prefix, sizeof(prefix), ".%s.", base);
	if (strncmp(names, prefix, plen) != 0 || strlen(names) != plen + 6 || strchr(names, '/'))
		fail_msg("want only a temporary %sXXXXXX in %s, found \"%s\"", prefix, dir, names);
}

/* The whole file, NUL-terminated; caller frees. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void write_str(struct sink_file *s, const char *str)
{
	assert_int_equal(sink_file__write(s, str, strlen(str)), 0);
}

static void test_commit_publishes(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], tmp[PATH_MAX], names[512], err[256] = "", *got;
	struct sink_file *s;
	struct stat st;

	path_in(path, sizeof(path), dir, "events.json");
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(access(path, F_OK), -1);
	expect_only_temp(dir, "events.json");

	write_str(s, "{\"a\":1}\n");
	write_str(s, "{\"b\":2}\n");
	assert_int_equal(sink_file__flush(s), 0);
	/* Flushed lines go to the temporary file; the final name still does not exist. */
	assert_int_equal(access(path, F_OK), -1);
	list_dir(dir, names, sizeof(names));
	path_in(tmp, sizeof(tmp), dir, names);
	got = slurp(tmp, NULL);
	assert_string_equal(got, "{\"a\":1}\n{\"b\":2}\n");
	free(got);
	write_str(s, "{\"c\":3}\n");
	assert_int_equal(access(path, F_OK), -1);

	assert_int_equal(sink_file__commit(s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	got = slurp(path, NULL);
	assert_string_equal(got, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	free(got);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "events.json");
	/* Readable by others, like a file created under the usual umask. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_commit_empty_and_large(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[256];
	struct sink_file *s;
	char *line, *got;
	size_t len, total = 0;

	/* Nothing written: an empty file is still published. */
	path_in(path, sizeof(path), dir, "empty");
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), 0);
	got = slurp(path, &len);
	assert_int_equal(len, 0);
	free(got);

	/* Much more than the stdio buffer, in lines of different lengths. */
	path_in(path, sizeof(path), dir, "large");
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	line = malloc(5000);
	assert_non_null(line);
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)(i * 37 % 4000) + 1;

		memset(line, 'a' + i % 26, n - 1);
		line[n - 1] = '\n';
		assert_int_equal(sink_file__write(s, line, n), 0);
		total += n;
	}
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), 0);
	got = slurp(path, &len);
	assert_int_equal(len, total);
	/* Spot-check the order: the first line, then the start of the second. */
	assert_int_equal(got[0], '\n');
	assert_int_equal(got[1], 'b');
	assert_int_equal(got[len - 1], '\n');
	free(got);
	free(line);
}

/* Lines are batched in a 64 KiB buffer: nothing reaches the file before a flush. */
static void test_buffered_until_flush(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], tmp[PATH_MAX], names[512], err[256], *chunk;
	struct sink_file *s;
	struct stat st;

	path_in(path, sizeof(path), dir, "batched");
	chunk = malloc(40000);
	assert_non_null(chunk);
	memset(chunk, 'q', 40000);
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	list_dir(dir, names, sizeof(names));
	path_in(tmp, sizeof(tmp), dir, names);
	assert_int_equal(sink_file__write(s, chunk, 20000), 0);
	assert_int_equal(sink_file__write(s, chunk, 40000), 0);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(sink_file__flush(s), 0);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_size, 60000);
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 60000);
	free(chunk);
}

static void test_replaces_existing_atomically(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[256], names[512], *got;
	struct sink_file *s;
	FILE *f;

	path_in(path, sizeof(path), dir, "out");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);

	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	write_str(s, "new\n");
	assert_int_equal(sink_file__flush(s), 0);
	/* Until the commit, readers see the old file whole. */
	got = slurp(path, NULL);
	assert_string_equal(got, "old\n");
	free(got);
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), 0);
	got = slurp(path, NULL);
	assert_string_equal(got, "new\n");
	free(got);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "out");
}

static void test_abort_leaves_nothing(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[256], names[512], *got;
	struct sink_file *s;
	FILE *f;

	path_in(path, sizeof(path), dir, "aborted.json");
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	write_str(s, "line\n");
	assert_int_equal(sink_file__flush(s), 0);
	sink_file__abort(s);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "");

	/* An existing file is left as it was. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("keep\n", f);
	fclose(f);
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	write_str(s, "lost\n");
	sink_file__abort(s);
	got = slurp(path, NULL);
	assert_string_equal(got, "keep\n");
	free(got);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "aborted.json");

	sink_file__abort(NULL);
}

static void test_directory_refused(void **state)
{
	const char *dir = *state;
	char sub[PATH_MAX], err[512] = "", names[512];

	path_in(sub, sizeof(sub), dir, "adir");
	assert_int_equal(mkdir(sub, 0755), 0);
	errno = 0;
	assert_null(sink_file__open(sub, err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
	assert_non_null(strstr(err, "cannot create output file"));
	assert_non_null(strstr(err, sub));
	/* No temporary file left in the parent or the directory. */
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "adir");
	list_dir(sub, names, sizeof(names));
	assert_string_equal(names, "");

	/* The same directory named with a trailing slash. */
	strcat(sub, "/");
	err[0] = '\0';
	assert_null(sink_file__open(sub, err, sizeof(err)));
	assert_non_null(strstr(err, sub));
}

static void test_missing_directory(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[512] = "", names[512];

	path_in(path, sizeof(path), dir, "no/such/dir/out.json");
	errno = 0;
	assert_null(sink_file__open(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "cannot create output file"));
	assert_non_null(strstr(err, path));
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "");

	/* A short error buffer is cut, still terminated. */
	memset(err, 'x', sizeof(err));
	assert_null(sink_file__open(path, err, 8));
	assert_int_equal(strlen(err), 7);
}

static void test_relative_path(void **state)
{
	const char *dir = *state;
	char cwd[PATH_MAX], err[256], names[512], *got;
	struct sink_file *s;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	s = sink_file__open("rel.out", err, sizeof(err));
	assert_non_null(s);
	expect_only_temp(".", "rel.out");
	write_str(s, "r\n");
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), 0);
	got = slurp("rel.out", NULL);
	assert_string_equal(got, "r\n");
	free(got);
	assert_int_equal(chdir(cwd), 0);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "rel.out");
}

/* The final name became a directory while writing: the rename fails, nothing is published. */
static void test_commit_rename_fails(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[512] = "", names[512];
	struct sink_file *s;

	path_in(path, sizeof(path), dir, "late");
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	write_str(s, "x\n");
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "cannot write output file"));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "nothing written there"));
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "late");
}

/* Run with a 4 KiB file size limit, SIGXFSZ ignored, so writes fail with EFBIG. */
struct fsize_guard {
	struct rlimit old;
	void (*old_handler)(int);
};

static void fsize_limit(struct fsize_guard *g)
{
	struct rlimit lim;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &g->old), 0);
	lim = g->old;
	lim.rlim_cur = 4096;
	g->old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static void fsize_restore(struct fsize_guard *g)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &g->old), 0);
	signal(SIGXFSZ, g->old_handler);
}

static void test_write_error_sticks(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[512] = "", names[512], *big;
	struct sink_file *s;
	struct fsize_guard g;
	int rc;

	path_in(path, sizeof(path), dir, "big");
	big = malloc(1 << 17);
	assert_non_null(big);
	memset(big, 'b', 1 << 17);
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	fsize_limit(&g);
	rc = sink_file__write(s, big, 1 << 17);
	fsize_restore(&g);
	assert_int_equal(rc, -EFBIG);
	/* Every later call fails the same way, even with room again. */
	assert_int_equal(sink_file__write(s, "x\n", 2), -EFBIG);
	assert_int_equal(sink_file__flush(s), -EFBIG);
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "cannot write output file"));
	assert_non_null(strstr(err, path));
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "");
	free(big);
}

/* Buffered lines that cannot be flushed at commit: nothing published. */
static void test_commit_flush_fails(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[512] = "", names[512], *chunk;
	struct sink_file *s;
	struct fsize_guard g;
	int rc;

	path_in(path, sizeof(path), dir, "late-error");
	chunk = malloc(8192);
	assert_non_null(chunk);
	memset(chunk, 'c', 8192);
	s = sink_file__open(path, err, sizeof(err));
	assert_non_null(s);
	/* Less than the stdio buffer: stays in memory until the commit. */
	assert_int_equal(sink_file__write(s, chunk, 8192), 0);
	fsize_limit(&g);
	rc = sink_file__commit(s, err, sizeof(err));
	fsize_restore(&g);
	assert_int_equal(rc, -EFBIG);
	assert_non_null(strstr(err, path));
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "");
	free(chunk);
}

/* Point fd 1 at a fresh file in dir; returns the saved fd 1. */
static int stdout_to(const char *file)
{
	int saved, fd;

	assert_int_equal(fflush(stdout), 0);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	return saved;
}

static void stdout_restore(int saved)
{
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
}

static void test_stdout(void **state)
{
	static const char *const names[] = {"-", NULL};
	const char *dir = *state;
	char file[PATH_MAX], err[256], listing[512], *got;

	path_in(file, sizeof(file), dir, "captured");
	for (size_t i = 0; i < 2; i++) {
		struct sink_file *s;
		int saved = stdout_to(file), rc;

		s = sink_file__open(names[i], err, sizeof(err));
		if (s) {
			write_str(s, "one\n");
			write_str(s, "two\n");
			rc = sink_file__commit(s, err, sizeof(err));
		} else {
			rc = -1;
		}
		stdout_restore(saved);
		assert_int_equal(rc, 0);
		got = slurp(file, NULL);
		assert_string_equal(got, "one\ntwo\n");
		free(got);
		/* Nothing else created: no file named "-", no temporary. */
		list_dir(dir, listing, sizeof(listing));
		assert_string_equal(listing, "captured");
	}

	/* Abort on stdout still delivers what was written. */
	{
		int saved = stdout_to(file);
		struct sink_file *s = sink_file__open("-", err, sizeof(err));

		if (s) {
			write_str(s, "kept\n");
			sink_file__abort(s);
		}
		stdout_restore(saved);
		assert_non_null(s);
		got = slurp(file, NULL);
		assert_string_equal(got, "kept\n");
		free(got);
	}
}

/* A device is written in place: /dev/null stays a character device. */
static void test_device_written_in_place(void **state)
{
	char err[256] = "";
	struct sink_file *s;
	struct stat st;

	(void)state;
	s = sink_file__open("/dev/null", err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(sink_file__write(s, "line\n", 5), 0);
	assert_int_equal(sink_file__commit(s, err, sizeof(err)), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	s = sink_file__open("/dev/null", err, sizeof(err));
	assert_non_null(s);
	sink_file__abort(s);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_written_in_place),
	    cmocka_unit_test_setup_teardown(test_commit_publishes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_empty_and_large, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_buffered_until_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replaces_existing_atomically, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_rename_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_error_sticks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_flush_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stdout, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

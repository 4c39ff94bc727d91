/*
 * Unit tests for agent/events.c: ring-buffer records built by hand exactly as
 * the kernel sends them (hdr.size = the bytes really sent; exec and open
 * records end right after their last used byte), each copied into a heap
 * block of exactly that size so ASan flags any read past the record. Covers
 * argv splitting and truncation, string fields with and without their NUL,
 * exit status decoding, and every size, kind and header check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "rowcheck.h"

#define EXEC_FIXED offsetof(struct aisec_exec, argv)
#define OPEN_FIXED offsetof(struct aisec_open, path)
/* Every record fits, with room to build ones that claim more than the maximum. */
#define TMPL_MAX (sizeof(struct aisec_exec) + 64)

static void *tmpl_new(void)
{
	void *t = calloc(1, TMPL_MAX);

	assert_non_null(t);
	return t;
}

static void fill_hdr(struct aisec_hdr *h, __u32 kind, size_t size)
{
	h->ts_ns = 123456789;
	h->cgroup_id = 4242;
	h->kind = kind;
	h->size = (__u32)size;
	h->pid = 100;
	h->tid = 101;
	h->ppid = 99;
	h->uid = 1000;
	memcpy(h->comm, "bash", 5);
}

/* The first size bytes of tmpl in a heap block of exactly size bytes. */
static void *record(const void *tmpl, size_t size)
{
	void *r = malloc(size);

	if (size)
		assert_non_null(r);
	memcpy(r, tmpl, size);
	return r;
}

/* A decode target full of garbage, so a field the decoder forgets shows. */
static struct event *event_new(void)
{
	struct event *ev = malloc(sizeof(*ev));

	assert_non_null(ev);
	memset(ev, 0x5a, sizeof(*ev));
	return ev;
}

struct exec_spec {
	const char *filename; /* filename_len bytes are copied and sent */
	size_t filename_len;
	const char *argv;
	size_t argv_len;
	__u64 argv_total; /* 0: argv_len */
	__u16 flags;
};

static void *exec_record(const struct exec_spec *s, size_t *size)
{
	struct aisec_exec *t = tmpl_new();
	void *r;

	*size = EXEC_FIXED + s->argv_len;
	assert_true(*size <= TMPL_MAX);
	fill_hdr(&t->hdr, AISEC_EV_EXEC, *size);
	t->hdr.flags = s->flags;
	t->filename_len = (__u32)s->filename_len;
	memcpy(t->filename, s->filename, s->filename_len < sizeof(t->filename) ? s->filename_len : sizeof(t->filename));
	t->argv_len = (__u32)s->argv_len;
	t->argv_total = s->argv_total ? s->argv_total : s->argv_len;
	memcpy((char *)t + EXEC_FIXED, s->argv, s->argv_len);
	r = record(t, *size);
	free(t);
	return r;
}

static void *open_record(const char *path, size_t path_len, __u16 flags, size_t *size)
{
	struct aisec_open *t = tmpl_new();
	void *r;

	*size = OPEN_FIXED + path_len;
	assert_true(*size <= TMPL_MAX);
	fill_hdr(&t->hdr, AISEC_EV_OPEN, *size);
	t->hdr.syscall = AISEC_SYS_OPENAT;
	t->hdr.flags = flags;
	t->ret = -13;
	t->dirfd = -100;
	t->path_len = (__u32)path_len;
	t->flags = 0101;
	t->mode = 0644;
	memcpy((char *)t + OPEN_FIXED, path, path_len);
	r = record(t, *size);
	free(t);
	return r;
}

/* ---- exec ---- */

struct exec_case {
	const char *name;
	struct exec_spec in;
	int rc;
	const char *filename;
	bool filename_truncated;
	size_t argc;
	const char *args[4];
	bool argv_truncated;
};

/* Designated fields of an exec_spec from byte string literals (length without the implicit NUL). */
#define FN(s) .filename = s, .filename_len = sizeof(s) - 1
#define AV(s) .argv = s, .argv_len = sizeof(s) - 1
#define ARGS(...) .argc = sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *), .args = {__VA_ARGS__}

static const struct exec_case exec_cases[] = {
    {.name = "sh -c",
     .in = {FN("/bin/sh\0"), AV("sh\0-c\0echo hi\0")},
     .filename = "/bin/sh",
     ARGS("sh", "-c", "echo hi")},
    {.name = "empty argument in the middle",
     .in = {FN("/bin/x\0"), AV("a\0\0b\0")},
     .filename = "/bin/x",
     ARGS("a", "", "b")},
    {.name = "empty arguments at the end",
     .in = {FN("/bin/x\0"), AV("a\0\0\0")},
     .filename = "/bin/x",
     ARGS("a", "", "")},
    {.name = "a single empty argument", .in = {FN("/bin/x\0"), AV("\0")}, .filename = "/bin/x", ARGS("")},
    {.name = "no argv at all", .in = {FN("/bin/x\0"), AV("")}, .filename = "/bin/x", .argc = 0},
    {.name = "argv cut by the kernel inside the last argument",
     .in = {FN("/bin/sh\0"), AV("sh\0-c\0ech"), .argv_total = 5000, .flags = AISEC_F_TRUNC_ARGV},
     .filename = "/bin/sh",
     ARGS("sh", "-c", "ech"),
     .argv_truncated = true},
    {.name = "argv_total larger than argv_len, no flag",
     .in = {FN("/bin/x\0"), AV("a\0b\0"), .argv_total = 10},
     .filename = "/bin/x",
     ARGS("a", "b"),
     .argv_truncated = true},
    {.name = "truncation flag alone",
     .in = {FN("/bin/x\0"), AV("a\0"), .flags = AISEC_F_TRUNC_ARGV},
     .filename = "/bin/x",
     ARGS("a"),
     .argv_truncated = true},
    {.name = "argv_total equal to argv_len",
     .in = {FN("/bin/x\0"), AV("a\0b\0"), .argv_total = 4},
     .filename = "/bin/x",
     ARGS("a", "b")},
    {.name = "filename unreadable", .in = {FN(""), AV("x\0")}, .filename = "", ARGS("x")},
    {.name = "filename with a NUL before its length",
     .in = {FN("/bin\0xx\0"), AV("x\0")},
     .filename = "/bin",
     ARGS("x")},
    {.name = "filename cut by the kernel",
     .in = {FN("/very/lo\0"), AV("lo\0"), .flags = AISEC_F_TRUNC_PATH},
     .filename = "/very/lo",
     .filename_truncated = true,
     ARGS("lo")},
    {.name = "utf-8 and control bytes pass through",
     .in = {FN("/bin/\xc3\xa9\0"), AV("\x01\n\0\xff\0")},
     .filename = "/bin/\xc3\xa9",
     ARGS("\x01\n", "\xff")},
    {.name = "filename without its NUL", .in = {FN("/bin/sh"), AV("sh\0")}, .rc = -EINVAL},
    {.name = "filename of one byte that is not NUL", .in = {FN("x"), AV("sh\0")}, .rc = -EINVAL},
};

static void test_exec_table(void **state)
{
	for (size_t i = 0; i < sizeof(exec_cases) / sizeof(exec_cases[0]); i++) {
		const struct exec_case *c = &exec_cases[i];
		struct event *ev = event_new();
		size_t size;
		void *rec = exec_record(&c->in, &size);
		int rc;

		rc = events__decode(rec, size, ev);
		CHECK_INT(c->name, rc, c->rc);
		if (rc == 0) {
			CHECK_INT(c->name, ev->kind, AISEC_EV_EXEC);
			assert_ptr_equal(ev->hdr, rec);
			assert_ptr_equal(ev->raw.exec, rec);
			CHECK_STR(c->name, ev->filename, c->filename);
			CHECK_INT(c->name, ev->filename_truncated, c->filename_truncated);
			CHECK_INT(c->name, ev->argc, c->argc);
			for (size_t a = 0; a < c->argc; a++)
				CHECK_STR(c->name, ev->argv[a], c->args[a]);
			CHECK_INT(c->name, ev->argv_truncated, c->argv_truncated);
		}
		free(rec);
		free(ev);
	}
}

/* "0\0" "1\0" ... for n arguments. */
static size_t numbered_args(char *block, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(block + len, "%zu", i) + 1;
	return len;
}

static void test_exec_argv_max(void **state)
{
	static const size_t counts[] = {EVENT_ARGV_MAX - 1, EVENT_ARGV_MAX, EVENT_ARGV_MAX + 1, 1000};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		char block[AISEC_EXEC_ARGV_MAX];
		struct exec_spec s = {FN("/bin/x\0")};
		struct event *ev = event_new();
		size_t size, want = counts[i] < EVENT_ARGV_MAX ? counts[i] : EVENT_ARGV_MAX;
		void *rec;
		char num[8];

		s.argv = block;
		s.argv_len = numbered_args(block, counts[i]);
		rec = exec_record(&s, &size);
		assert_int_equal(events__decode(rec, size, ev), 0);
		assert_int_equal(ev->argc, want);
		for (size_t a = 0; a < want; a++) {
			snprintf(num, sizeof(num), "%zu", a);
			assert_string_equal(ev->argv[a], num);
		}
		assert_int_equal(ev->argv_truncated, counts[i] > EVENT_ARGV_MAX);
		free(rec);
		free(ev);
	}
}

/* The whole argv block is one argument the kernel cut: the decoder adds the NUL. */
static void test_exec_argv_full_block_without_nul(void **state)
{
	char *block = malloc(AISEC_EXEC_ARGV_MAX);
	struct exec_spec s = {FN("/bin/x\0")};
	struct event *ev = event_new();
	size_t size;
	void *rec;

	assert_non_null(block);
	memset(block, 'x', AISEC_EXEC_ARGV_MAX);
	s.argv = block;
	s.argv_len = AISEC_EXEC_ARGV_MAX;
	s.argv_total = 100000;
	s.flags = AISEC_F_TRUNC_ARGV;
	rec = exec_record(&s, &size);
	assert_int_equal(size, sizeof(struct aisec_exec));
	assert_int_equal(events__decode(rec, size, ev), 0);
	assert_int_equal(ev->argc, 1);
	assert_int_equal(strlen(ev->argv[0]), AISEC_EXEC_ARGV_MAX);
	assert_memory_equal(ev->argv[0], block, AISEC_EXEC_ARGV_MAX);
	assert_true(ev->argv_truncated);
	free(rec);
	free(ev);
	free(block);
}

static void test_exec_filename_limits(void **state)
{
	char name[AISEC_EXEC_FILENAME_MAX];
	struct exec_spec s = {.filename = name, .filename_len = sizeof(name), AV("x\0")};
	struct event *ev = event_new();
	struct aisec_exec *t;
	size_t size;
	void *rec;

	/* The longest filename: 511 bytes and its NUL. */
	memset(name, 'f', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	rec = exec_record(&s, &size);
	assert_int_equal(events__decode(rec, size, ev), 0);
	assert_int_equal(strlen(ev->filename), AISEC_EXEC_FILENAME_MAX - 1);
	free(rec);

	/* A length one past the field, even with a NUL inside it. */
	rec = exec_record(&s, &size);
	t = rec;
	t->filename_len = AISEC_EXEC_FILENAME_MAX + 1;
	assert_int_equal(events__decode(rec, size, ev), -EINVAL);
	t->filename_len = UINT32_MAX;
	assert_int_equal(events__decode(rec, size, ev), -EINVAL);
	free(rec);
	free(ev);
}

static void test_exec_sizes(void **state)
{
	struct exec_spec s = {FN("/bin/sh\0"), AV("sh\0-c\0x\0")};
	struct aisec_exec *t = tmpl_new();
	struct event *ev = event_new();
	size_t real = EXEC_FIXED + s.argv_len, size;
	void *rec;

	fill_hdr(&t->hdr, AISEC_EV_EXEC, real);
	memcpy(t->filename, s.filename, s.filename_len);
	t->filename_len = (__u32)s.filename_len;
	memcpy(t->argv, s.argv, s.argv_len);
	t->argv_total = s.argv_len;

	/* argv_len one short and one past the bytes sent. */
	t->argv_len = (__u32)s.argv_len - 1;
	rec = record(t, real);
	assert_int_equal(events__decode(rec, real, ev), -EINVAL);
	free(rec);
	t->argv_len = (__u32)s.argv_len + 1;
	rec = record(t, real);
	assert_int_equal(events__decode(rec, real, ev), -EINVAL);
	free(rec);
	t->argv_len = UINT32_MAX;
	rec = record(t, real);
	assert_int_equal(events__decode(rec, real, ev), -EINVAL);
	free(rec);

	/* argv_len past the maximum, with a record that really is that long. */
	size = EXEC_FIXED + AISEC_EXEC_ARGV_MAX + 1;
	t->hdr.size = (__u32)size;
	t->argv_len = AISEC_EXEC_ARGV_MAX + 1;
	rec = record(t, size);
	assert_int_equal(events__decode(rec, size, ev), -EINVAL);
	free(rec);

	/* Shorter than the fixed part, down to the bare header. */
	for (size = EXEC_FIXED - 1; size >= sizeof(struct aisec_hdr); size -= 8) {
		t->hdr.size = (__u32)size;
		t->argv_len = 0;
		rec = record(t, size);
		assert_int_equal(events__decode(rec, size, ev), -EINVAL);
		free(rec);
	}
	free(t);
	free(ev);
}

/* ---- open ---- */

struct open_case {
	const char *name;
	const char *path;
	size_t path_len;
	__u16 flags;
	int rc;
	const char *want;
	bool truncated;
};

#define PATH(s) .path = s, .path_len = sizeof(s) - 1

static const struct open_case open_cases[] = {
    {.name = "exact path", PATH("/etc/passwd\0"), .want = "/etc/passwd"},
    {.name = "unreadable path", PATH(""), .want = ""},
    {.name = "unreadable path, read failure flagged", PATH(""), .flags = AISEC_F_READ_FAIL, .want = ""},
    {.name = "path with a NUL before its length", PATH("/a\0b\0"), .want = "/a"},
    {.name = "one-byte path: just the NUL", PATH("\0"), .want = ""},
    {.name = "path cut by the kernel",
     PATH("/very/long/pa\0"),
     .flags = AISEC_F_TRUNC_PATH,
     .want = "/very/long/pa",
     .truncated = true},
    {.name = "path without its NUL", PATH("/etc/passwd"), .rc = -EINVAL},
    {.name = "path without its NUL, truncation flagged",
     PATH("/etc/passwd"),
     .flags = AISEC_F_TRUNC_PATH,
     .rc = -EINVAL},
};

static void test_open_table(void **state)
{
	for (size_t i = 0; i < sizeof(open_cases) / sizeof(open_cases[0]); i++) {
		const struct open_case *c = &open_cases[i];
		struct event *ev = event_new();
		size_t size;
		void *rec = open_record(c->path, c->path_len, c->flags, &size);
		int rc;

		rc = events__decode(rec, size, ev);
		CHECK_INT(c->name, rc, c->rc);
		if (rc == 0) {
			CHECK_INT(c->name, ev->kind, AISEC_EV_OPEN);
			assert_ptr_equal(ev->raw.open, rec);
			CHECK_STR(c->name, ev->path, c->want);
			CHECK_INT(c->name, ev->path_truncated, c->truncated);
			/* Fixed fields are read through raw, untouched. */
			assert_int_equal(ev->raw.open->ret, -13);
			assert_int_equal(ev->raw.open->dirfd, -100);
			assert_int_equal(ev->raw.open->flags, 0101);
			assert_int_equal(ev->raw.open->mode, 0644);
			assert_int_equal(ev->raw.open->hdr.syscall, AISEC_SYS_OPENAT);
		}
		free(rec);
		free(ev);
	}
}

static void test_open_limits(void **state)
{
	char *path = malloc(AISEC_PATH_MAX + 1);
	struct event *ev = event_new();
	struct aisec_open *t = tmpl_new();
	size_t size;
	void *rec;

	assert_non_null(path);
	/* A full PATH_MAX path: 4095 bytes, NUL last, cut by the kernel. */
	memset(path, 'p', AISEC_PATH_MAX);
	path[AISEC_PATH_MAX - 1] = '\0';
	rec = open_record(path, AISEC_PATH_MAX, AISEC_F_TRUNC_PATH, &size);
	assert_int_equal(size, sizeof(struct aisec_open));
	assert_int_equal(events__decode(rec, size, ev), 0);
	assert_int_equal(strlen(ev->path), AISEC_PATH_MAX - 1);
	assert_true(ev->path_truncated);
	free(rec);

	/* One byte more than the field holds. */
	path[AISEC_PATH_MAX - 1] = 'p';
	path[AISEC_PATH_MAX] = '\0';
	rec = open_record(path, AISEC_PATH_MAX + 1, 0, &size);
	assert_int_equal(events__decode(rec, size, ev), -EINVAL);
	free(rec);

	/* path_len disagreeing with the record size either way. */
	fill_hdr(&t->hdr, AISEC_EV_OPEN, OPEN_FIXED + 6);
	memcpy(t->path, "/a/b\0\0", 6);
	t->path_len = 5;
	rec = record(t, OPEN_FIXED + 6);
	assert_int_equal(events__decode(rec, OPEN_FIXED + 6, ev), -EINVAL);
	free(rec);
	t->path_len = 7;
	rec = record(t, OPEN_FIXED + 6);
	assert_int_equal(events__decode(rec, OPEN_FIXED + 6, ev), -EINVAL);
	free(rec);
	t->path_len = UINT32_MAX;
	rec = record(t, OPEN_FIXED + 6);
	assert_int_equal(events__decode(rec, OPEN_FIXED + 6, ev), -EINVAL);
	free(rec);

	/* Shorter than the fixed part. */
	for (size = OPEN_FIXED - 1; size >= sizeof(struct aisec_hdr); size -= 8) {
		t->hdr.size = (__u32)size;
		t->path_len = 0;
		rec = record(t, size);
		assert_int_equal(events__decode(rec, size, ev), -EINVAL);
		free(rec);
	}
	free(t);
	free(ev);
	free(path);
}

/* ---- exit, fork, net ---- */

struct exit_case {
	const char *name;
	__u32 status;
	int code;
	int signal;
	bool core;
};

static const struct exit_case exit_cases[] = {
    {"exit 0", 0, 0, 0, false},
    {"exit 3", 3 << 8, 3, 0, false},
    {"exit 255", 255 << 8, 255, 0, false},
    {"SIGKILL", SIGKILL, 137, SIGKILL, false},
    {"SIGTERM", SIGTERM, 143, SIGTERM, false},
    {"SIGABRT with core", 0x80 | SIGABRT, 134, SIGABRT, true},
    {"SIGSEGV with core", 0x80 | SIGSEGV, 139, SIGSEGV, true},
    {"SIGINT", SIGINT, 130, SIGINT, false},
};

static void test_exit_status(void **state)
{
	for (size_t i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++) {
		const struct exit_case *c = &exit_cases[i];
		struct aisec_exit t = {0};
		struct event *ev = event_new();
		void *rec;

		fill_hdr(&t.hdr, AISEC_EV_EXIT, sizeof(t));
		t.status = c->status;
		rec = record(&t, sizeof(t));
		CHECK_INT(c->name, events__decode(rec, sizeof(t), ev), 0);
		CHECK_INT(c->name, ev->kind, AISEC_EV_EXIT);
		assert_ptr_equal(ev->raw.exit, rec);
		CHECK_INT(c->name, ev->exit_code, c->code);
		CHECK_INT(c->name, ev->exit_signal, c->signal);
		CHECK_INT(c->name, ev->core_dumped, c->core);
		free(rec);
		free(ev);
	}
}

static void test_fork(void **state)
{
	struct aisec_fork t = {0};
	struct event *ev = event_new();
	void *rec;

	fill_hdr(&t.hdr, AISEC_EV_FORK, sizeof(t));
	t.parent_tid = 555;
	rec = record(&t, sizeof(t));
	assert_int_equal(events__decode(rec, sizeof(t), ev), 0);
	assert_int_equal(ev->kind, AISEC_EV_FORK);
	assert_ptr_equal(ev->raw.fork, rec);
	assert_int_equal(ev->raw.fork->parent_tid, 555);
	assert_int_equal(ev->hdr->pid, 100);
	assert_int_equal(ev->hdr->ppid, 99);
	assert_string_equal(ev->comm, "bash");
	free(rec);
	free(ev);
}

/* cgroup_gone is a bare header; the removed cgroup is hdr.cgroup_id and the
 * rest describes the task that removed it. */
static void test_cgroup_gone(void **state)
{
	struct aisec_hdr t = {0};
	struct event *ev = event_new();
	void *rec;

	fill_hdr(&t, AISEC_EV_CGROUP_GONE, sizeof(t));
	t.cgroup_id = 0x100000abcULL;
	rec = record(&t, sizeof(t));
	assert_int_equal(events__decode(rec, sizeof(t), ev), 0);
	assert_int_equal(ev->kind, AISEC_EV_CGROUP_GONE);
	assert_ptr_equal(ev->hdr, rec);
	assert_int_equal(ev->hdr->cgroup_id, 0x100000abcULL);
	assert_int_equal(ev->hdr->pid, 100);
	assert_string_equal(ev->comm, "bash");
	assert_string_equal(events__kind_name(ev->kind), "cgroup_gone");
	free(rec);
	free(ev);
}

static void test_net_unix_len(void **state)
{
	static const __u32 kinds[] = {AISEC_EV_CONNECT, AISEC_EV_ACCEPT, AISEC_EV_BIND, AISEC_EV_LISTEN};
	static const struct {
		__u32 unix_len;
		int rc;
	} lens[] = {{0, 0},
		    {1, 0},
		    {AISEC_UNIX_PATH_MAX, 0},
		    {AISEC_UNIX_PATH_MAX + 1, -EINVAL},
		    {128, -EINVAL},
		    {UINT32_MAX, -EINVAL}};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			struct aisec_net t = {0};
			struct event *ev = event_new();
			void *rec;

			fill_hdr(&t.hdr, kinds[k], sizeof(t));
			t.family = 1; /* AF_UNIX */
			t.unix_len = lens[l].unix_len;
			t.backlog = 77;
			rec = record(&t, sizeof(t));
			assert_int_equal(events__decode(rec, sizeof(t), ev), lens[l].rc);
			if (lens[l].rc == 0) {
				assert_int_equal(ev->kind, kinds[k]);
				assert_ptr_equal(ev->raw.net, rec);
				assert_int_equal(ev->raw.net->backlog, 77);
			}
			free(rec);
			free(ev);
		}
	}
}

/* ---- header and size checks ---- */

struct size_case {
	__u32 kind;
	size_t size;
};

static const struct size_case bad_sizes[] = {
    {AISEC_EV_FORK, sizeof(struct aisec_hdr)},
    {AISEC_EV_FORK, sizeof(struct aisec_fork) - 1},
    {AISEC_EV_FORK, sizeof(struct aisec_fork) + 1},
    {AISEC_EV_FORK, sizeof(struct aisec_net)},
    {AISEC_EV_EXIT, sizeof(struct aisec_hdr)},
    {AISEC_EV_EXIT, sizeof(struct aisec_exit) - 1},
    {AISEC_EV_EXIT, sizeof(struct aisec_exit) + 8},
    {AISEC_EV_CONNECT, sizeof(struct aisec_hdr)},
    {AISEC_EV_CONNECT, sizeof(struct aisec_net) - 1},
    {AISEC_EV_ACCEPT, sizeof(struct aisec_net) + 1},
    {AISEC_EV_BIND, sizeof(struct aisec_fork)},
    {AISEC_EV_LISTEN, sizeof(struct aisec_net) - 4},
    {AISEC_EV_EXEC, sizeof(struct aisec_hdr)},
    {AISEC_EV_EXEC, EXEC_FIXED - 1},
    {AISEC_EV_EXEC, EXEC_FIXED + 1}, /* argv_len 0 in a zeroed record */
    {AISEC_EV_EXEC, sizeof(struct aisec_exec)},
    {AISEC_EV_OPEN, sizeof(struct aisec_hdr)},
    {AISEC_EV_OPEN, OPEN_FIXED - 1},
    {AISEC_EV_OPEN, OPEN_FIXED + 1}, /* path_len 0 in a zeroed record */
    {AISEC_EV_OPEN, sizeof(struct aisec_open)},
    {AISEC_EV_CGROUP_GONE, sizeof(struct aisec_hdr) + 1},
    {AISEC_EV_CGROUP_GONE, sizeof(struct aisec_hdr) + 8},
    {AISEC_EV_CGROUP_GONE, sizeof(struct aisec_fork)},
};

static void test_wrong_sizes(void **state)
{
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		void *t = tmpl_new();
		struct event *ev = event_new();
		void *rec;

		int rc;

		fill_hdr(t, bad_sizes[i].kind, bad_sizes[i].size);
		rec = record(t, bad_sizes[i].size);
		rc = events__decode(rec, bad_sizes[i].size, ev);
		if (rc != -EINVAL)
			fail_msg("kind %u, size %zu: returned %d, want -EINVAL", bad_sizes[i].kind, bad_sizes[i].size,
				 rc);
		free(rec);
		free(t);
		free(ev);
	}
}

/* The same zeroed records at their right sizes decode, so the cases above fail for their size alone. */
static void test_right_sizes(void **state)
{
	static const struct size_case good[] = {
	    {AISEC_EV_FORK, sizeof(struct aisec_fork)},
	    {AISEC_EV_EXIT, sizeof(struct aisec_exit)},
	    {AISEC_EV_CONNECT, sizeof(struct aisec_net)},
	    {AISEC_EV_ACCEPT, sizeof(struct aisec_net)},
	    {AISEC_EV_BIND, sizeof(struct aisec_net)},
	    {AISEC_EV_LISTEN, sizeof(struct aisec_net)},
	    {AISEC_EV_EXEC, EXEC_FIXED},
	    {AISEC_EV_OPEN, OPEN_FIXED},
	    {AISEC_EV_CGROUP_GONE, sizeof(struct aisec_hdr)},
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		void *t = tmpl_new();
		struct event *ev = event_new();
		void *rec;

		fill_hdr(t, good[i].kind, good[i].size);
		rec = record(t, good[i].size);
		assert_int_equal(events__decode(rec, good[i].size, ev), 0);
		assert_int_equal(ev->kind, good[i].kind);
		free(rec);
		free(t);
		free(ev);
	}
}

static void test_header_size_mismatch(void **state)
{
	struct aisec_fork f = {0};
	struct exec_spec s = {FN("/bin/sh\0"), AV("sh\0")};
	struct event *ev = event_new();
	unsigned char *big;
	size_t size;
	void *rec;

	/* The ring buffer delivered more than the header claims. */
	fill_hdr(&f.hdr, AISEC_EV_FORK, sizeof(f));
	big = calloc(1, sizeof(f) + 8);
	assert_non_null(big);
	memcpy(big, &f, sizeof(f));
	rec = record(big, sizeof(f) + 8);
	assert_int_equal(events__decode(rec, sizeof(f) + 8, ev), -EPROTO);
	free(rec);
	free(big);

	/* The header claims more, or less, or nothing. */
	f.hdr.size = sizeof(f) + 8;
	rec = record(&f, sizeof(f));
	assert_int_equal(events__decode(rec, sizeof(f), ev), -EPROTO);
	free(rec);
	f.hdr.size = sizeof(f) - 1;
	rec = record(&f, sizeof(f));
	assert_int_equal(events__decode(rec, sizeof(f), ev), -EPROTO);
	free(rec);
	f.hdr.size = 0;
	rec = record(&f, sizeof(f));
	assert_int_equal(events__decode(rec, sizeof(f), ev), -EPROTO);
	free(rec);

	/* A variable-length record whose header counts one byte too many. */
	rec = exec_record(&s, &size);
	((struct aisec_hdr *)rec)->size = (__u32)size + 1;
	assert_int_equal(events__decode(rec, size, ev), -EPROTO);
	/* Checked before the kind: an unknown kind with a wrong size is -EPROTO too. */
	((struct aisec_hdr *)rec)->kind = 99;
	assert_int_equal(events__decode(rec, size, ev), -EPROTO);
	free(rec);
	free(ev);
}

static void test_shorter_than_header(void **state)
{
	static const size_t sizes[] = {0, 1, 8, 16, 24, sizeof(struct aisec_hdr) - 1};
	struct event *ev = event_new();

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char t[sizeof(struct aisec_hdr)];
		void *rec;

		/* Bytes that would look like a valid fork header if read whole. */
		memset(t, 0, sizeof(t));
		fill_hdr((struct aisec_hdr *)t, AISEC_EV_FORK, sizes[i]);
		rec = record(t, sizes[i]);
		assert_int_equal(events__decode(rec, sizes[i], ev), -EINVAL);
		free(rec);
	}
	assert_int_equal(events__decode(NULL, sizeof(struct aisec_fork), ev), -EINVAL);
	assert_int_equal(events__decode(NULL, 0, ev), -EINVAL);
	free(ev);
}

static void test_unknown_kind(void **state)
{
	static const __u32 kinds[] = {0, AISEC_EV_KIND_MAX, AISEC_EV_KIND_MAX + 1, 0x100 | AISEC_EV_FORK,
				      0x100 | AISEC_EV_CGROUP_GONE, UINT32_MAX};
	static const size_t sizes[] = {sizeof(struct aisec_hdr), sizeof(struct aisec_fork), sizeof(struct aisec_net)};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			void *t = tmpl_new();
			struct event *ev = event_new();
			void *rec;

			fill_hdr(t, kinds[k], sizes[s]);
			rec = record(t, sizes[s]);
			assert_int_equal(events__decode(rec, sizes[s], ev), -EINVAL);
			free(rec);
			free(t);
			free(ev);
		}
	}
}

static void test_comm(void **state)
{
	struct aisec_fork f = {0};
	struct event *ev = event_new();
	void *rec;

	/* All 16 bytes used, no NUL: the view still ends in one. */
	fill_hdr(&f.hdr, AISEC_EV_FORK, sizeof(f));
	memcpy(f.hdr.comm, "abcdefghijklmnop", AISEC_COMM_LEN);
	rec = record(&f, sizeof(f));
	assert_int_equal(events__decode(rec, sizeof(f), ev), 0);
	assert_string_equal(ev->comm, "abcdefghijklmnop");
	free(rec);

	/* Bytes after the NUL are not part of the name. */
	memcpy(f.hdr.comm, "ab\0junkjunkjunk", AISEC_COMM_LEN);
	rec = record(&f, sizeof(f));
	assert_int_equal(events__decode(rec, sizeof(f), ev), 0);
	assert_string_equal(ev->comm, "ab");
	free(rec);
	free(ev);
}

static void test_names(void **state)
{
	static const struct {
		unsigned v;
		const char *name;
	} kinds[] =
	    {
		{0, "unknown"},
		{AISEC_EV_EXEC, "exec"},
		{AISEC_EV_FORK, "fork"},
		{AISEC_EV_EXIT, "exit"},
		{AISEC_EV_OPEN, "open"},
		{AISEC_EV_CONNECT, "connect"},
		{AISEC_EV_ACCEPT, "accept"},
		{AISEC_EV_BIND, "bind"},
		{AISEC_EV_LISTEN, "listen"},
		{AISEC_EV_PAYLOAD, "payload"},
		{AISEC_EV_CGROUP_GONE, "cgroup_gone"},
		{AISEC_EV_KIND_MAX, "unknown"},
		{1000, "unknown"},
		{UINT32_MAX, "unknown"},
	    },
	  syscalls[] = {
	      {AISEC_SYS_NONE, ""},
	      {AISEC_SYS_OPENAT, "openat"},
	      {AISEC_SYS_OPENAT2, "openat2"},
	      {AISEC_SYS_CONNECT, "connect"},
	      {AISEC_SYS_ACCEPT, "accept"},
	      {AISEC_SYS_ACCEPT4, "accept4"},
	      {AISEC_SYS_BIND, "bind"},
	      {AISEC_SYS_LISTEN, "listen"},
	      {AISEC_SYS_OPEN, "open"},
	      {AISEC_SYS_CREAT, "creat"},
	      {1000, ""},
	      {0xffff, ""},
	  };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		assert_string_equal(events__kind_name(kinds[i].v), kinds[i].name);
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		assert_string_equal(events__syscall_name(syscalls[i].v), syscalls[i].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec_table),
	    cmocka_unit_test(test_exec_argv_max),
	    cmocka_unit_test(test_exec_argv_full_block_without_nul),
	    cmocka_unit_test(test_exec_filename_limits),
	    cmocka_unit_test(test_exec_sizes),
	    cmocka_unit_test(test_open_table),
	    cmocka_unit_test(test_open_limits),
	    cmocka_unit_test(test_exit_status),
	    cmocka_unit_test(test_fork),
	    cmocka_unit_test(test_cgroup_gone),
	    cmocka_unit_test(test_net_unix_len),
	    cmocka_unit_test(test_wrong_sizes),
	    cmocka_unit_test(test_right_sizes),
	    cmocka_unit_test(test_header_size_mismatch),
	    cmocka_unit_test(test_shorter_than_header),
	    cmocka_unit_test(test_unknown_kind),
	    cmocka_unit_test(test_comm),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for agent/format.c: the aisec.event.v1 JSON object and the text
 * line for every event kind, built from records decoded by events__decode
 * exactly as the agent does, with no process, with a filled-in process, and
 * with ancestors from a process cache; plus the helpers (open flags, errno
 * names, shell quoting, RFC 3339 time, whose per-thread cache of the seconds
 * is checked against the uncached reference). JSON lines are parsed with
 * cJSON and every documented field is compared with its exact value; text
 * lines are compared whole. Text times are local: main() sets TZ=UTC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "format.h"

/* Boot time 5.123456789 s; the wall clock then read 2025-11-25T12:00:00.123456789Z. */
#define TS_BOOT 5123456789ull
#define BOOT_TO_WALL (1764072000000000000ll - 5000000000ll)
#define TIME_JSON "2025-11-25T12:00:00.123456789Z"
#define TIME_TEXT "12:00:00.123456"
/* The start of every text line for the header hdr_init() writes. */
#define PREFIX(kind) TIME_TEXT " " kind " curl[4321] ppid=4000 uid=1000 "

#define ID_DOCKER "cb2a1d3f19a4a2423ac93d7eb9efa2d0ab582a88e8e2bcc91aff4f34d8504c85"

static const struct format_ctx plain_ctx = {
    .procs = NULL,
    .host = "node-1",
    .boot_to_wall_ns = BOOT_TO_WALL,
    .color = false,
};

/* ---- records, decoded as the agent decodes them ---- */

static void hdr_init(struct aisec_hdr *h, __u32 kind, __u16 sys, size_t size)
{
	h->ts_ns = TS_BOOT;
	h->cgroup_id = 777;
	h->kind = kind;
	h->size = (__u32)size;
	h->pid = 4321;
	h->tid = 4322;
	h->ppid = 4000;
	h->uid = 1000;
	h->syscall = sys;
	memcpy(h->comm, "curl", 5);
}

/* Decode size bytes of tmpl from an exactly-sized copy; the event owns the copy. */
static struct event *decode(const void *tmpl, size_t size)
{
	void *rec = malloc(size);
	struct event *ev = calloc(1, sizeof(*ev));

	assert_non_null(rec);
	assert_non_null(ev);
	memcpy(rec, tmpl, size);
	assert_int_equal(events__decode(rec, size, ev), 0);
	return ev;
}

static void event_free(struct event *ev)
{
	if (!ev)
		return;
	free((void *)ev->hdr);
	free(ev);
}

static struct event *ev_exec(const char *filename, const char *argv, size_t argv_len, __u64 total, __u16 flags)
{
	struct aisec_exec *t = calloc(1, sizeof(*t));
	size_t size = offsetof(struct aisec_exec, argv) + argv_len;
	struct event *ev;

	assert_non_null(t);
	hdr_init(&t->hdr, AISEC_EV_EXEC, AISEC_SYS_NONE, size);
	t->hdr.flags = flags;
	t->filename_len = (__u32)strlen(filename) + 1;
	memcpy(t->filename, filename, t->filename_len);
	t->argv_len = (__u32)argv_len;
	t->argv_total = total ? total : argv_len;
	memcpy(t->argv, argv, argv_len);
	ev = decode(t, size);
	free(t);
	return ev;
}

struct open_in {
	__u16 sys;
	const char *path;
	__u64 flags;
	__u64 mode;
	__s32 dirfd;
	__s64 ret;
	__u64 resolve;
	__u16 hflags;
};

static struct event *ev_open(const struct open_in *in)
{
	struct aisec_open *t = calloc(1, sizeof(*t));
	size_t path_len = strlen(in->path) + 1, size = offsetof(struct aisec_open, path) + path_len;
	struct event *ev;

	assert_non_null(t);
	hdr_init(&t->hdr, AISEC_EV_OPEN, in->sys, size);
	t->hdr.flags = in->hflags;
	t->ret = in->ret;
	t->dirfd = in->dirfd;
	t->path_len = (__u32)path_len;
	t->flags = in->flags;
	t->mode = in->mode;
	t->resolve = in->resolve;
	memcpy(t->path, in->path, path_len);
	ev = decode(t, size);
	free(t);
	return ev;
}

static struct event *ev_exit(__u32 status)
{
	struct aisec_exit t = {0};

	hdr_init(&t.hdr, AISEC_EV_EXIT, AISEC_SYS_NONE, sizeof(t));
	t.status = status;
	return decode(&t, sizeof(t));
}

static struct event *ev_fork(__u32 parent_tid)
{
	struct aisec_fork t = {0};

	hdr_init(&t.hdr, AISEC_EV_FORK, AISEC_SYS_NONE, sizeof(t));
	t.parent_tid = parent_tid;
	return decode(&t, sizeof(t));
}

static struct aisec_net net_tmpl(__u32 kind, __u16 sys, __u16 family)
{
	struct aisec_net t = {0};

	hdr_init(&t.hdr, kind, sys, sizeof(t));
	t.family = family;
	t.sock_type = SOCK_STREAM;
	t.fd = 3;
	return t;
}

static void set_v4(__u8 *a, __u8 b0, __u8 b1, __u8 b2, __u8 b3)
{
	a[0] = b0;
	a[1] = b1;
	a[2] = b2;
	a[3] = b3;
}

/* ---- output checks ---- */

/* One line: a single newline, at the end, and no other byte below 0x20 or DEL. */
static void assert_one_line(const struct strbuf *sb)
{
	assert_false(sb->oom);
	assert_true(sb->len > 1);
	assert_int_equal(strlen(sb->data), sb->len);
	if (sb->data[sb->len - 1] != '\n')
		fail_msg("line does not end in a newline: %s", sb->data);
	for (size_t i = 0; i + 1 < sb->len; i++) {
		unsigned char c = (unsigned char)sb->data[i];

		if (c < 0x20 || c == 0x7f)
			fail_msg("raw control byte 0x%02x at %zu in %s", c, i, sb->data);
	}
}

/* The JSON line for e, checked for shape and parsed. */
static cJSON *json_of(const struct format_ctx *fc, const struct enriched *e)
{
	struct strbuf sb = STRBUF_INIT;
	const char *end = NULL;
	cJSON *root;

	format__json(&sb, fc, e);
	assert_one_line(&sb);
	root = cJSON_ParseWithOpts(sb.data, &end, false);
	if (!root)
		fail_msg("cJSON rejects %s", sb.data);
	/* Nothing but the newline after the object. */
	assert_ptr_equal(end, sb.data + sb.len - 1);
	strbuf__free(&sb);
	return root;
}

static cJSON *json_plain(const struct event *ev)
{
	struct enriched e = {.ev = ev};

	return json_of(&plain_ctx, &e);
}

/* The text line for e (colour off), checked for shape; caller frees. */
static char *text_of(const struct format_ctx *fc, const struct enriched *e)
{
	struct strbuf sb = STRBUF_INIT;

	format__text(&sb, fc, e);
	if (!fc->color)
		assert_one_line(&sb);
	return sb.data;
}

static void expect_text(const struct event *ev, const struct proc_info *p, const char *want)
{
	struct enriched e = {.ev = ev, .proc = p};
	char *line = text_of(&plain_ctx, &e);

	if (strcmp(line, want) != 0)
		fail_msg("text line\n  got:  %s  want: %s", line, want);
	free(line);
}

/* Member at a dotted path; numeric parts index arrays. NULL when absent. */
static const cJSON *jget(const cJSON *root, const char *path)
{
	char buf[128], *save = NULL, *part;
	const cJSON *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && cur; part = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(cur) && isdigit((unsigned char)part[0]))
			cur = cJSON_GetArrayItem(cur, atoi(part));
		else if (cJSON_IsObject(cur))
			cur = cJSON_GetObjectItemCaseSensitive(cur, part);
		else
			cur = NULL;
	}
	return cur;
}

static void expect_str(const cJSON *root, const char *path, const char *want)
{
	const cJSON *v = jget(root, path);

	if (!cJSON_IsString(v))
		fail_msg("%s: not a string (want \"%s\")", path, want);
	if (strcmp(v->valuestring, want) != 0)
		fail_msg("%s is \"%s\", want \"%s\"", path, v->valuestring, want);
}

static void expect_num(const cJSON *root, const char *path, double want)
{
	const cJSON *v = jget(root, path);

	if (!cJSON_IsNumber(v))
		fail_msg("%s: not a number (want %.0f)", path, want);
	if (v->valuedouble != want)
		fail_msg("%s is %.0f, want %.0f", path, v->valuedouble, want);
}

static void expect_bool(const cJSON *root, const char *path, bool want)
{
	const cJSON *v = jget(root, path);

	if (!cJSON_IsBool(v) || cJSON_IsTrue(v) != want)
		fail_msg("%s: want %s", path, want ? "true" : "false");
}

static void expect_null(const cJSON *root, const char *path)
{
	if (!cJSON_IsNull(jget(root, path)))
		fail_msg("%s: want null", path);
}

/* The object at path has exactly these members, in this order (docs/events.md fixes the order). */
static void expect_keys(const cJSON *root, const char *path, const char *const *keys)
{
	const cJSON *obj = path ? jget(root, path) : root, *c;
	size_t i = 0;

	if (!cJSON_IsObject(obj))
		fail_msg("%s: not an object", path ? path : "(root)");
	for (c = obj->child; c && keys[i]; c = c->next, i++)
		if (strcmp(c->string, keys[i]) != 0)
			fail_msg("%s: member %zu is \"%s\", want \"%s\"", path ? path : "(root)", i, c->string,
				 keys[i]);
	if (c)
		fail_msg("%s: unexpected member \"%s\"", path ? path : "(root)", c->string);
	if (keys[i])
		fail_msg("%s: no member \"%s\"", path ? path : "(root)", keys[i]);
}

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_envelope(const cJSON *root, const char *kind, const char *body)
{
	expect_keys(root, NULL, KEYS("schema", "time", "boot_ns", "kind", "host", "process", body));
	expect_str(root, "schema", "aisec.event.v1");
	expect_str(root, "time", TIME_JSON);
	expect_num(root, "boot_ns", (double)TS_BOOT);
	expect_str(root, "kind", kind);
	expect_str(root, "host", "node-1");
}

/* The process object when nothing is known beyond the record. */
static void expect_bare_process(const cJSON *root)
{
	expect_keys(root, "process",
		    KEYS("pid", "tid", "ppid", "uid", "comm", "exe", "cmdline", "cwd", "cgroup_id", "cgroup",
			 "container", "ancestry"));
	expect_num(root, "process.pid", 4321);
	expect_num(root, "process.tid", 4322);
	expect_num(root, "process.ppid", 4000);
	expect_num(root, "process.uid", 1000);
	expect_str(root, "process.comm", "curl");
	expect_str(root, "process.exe", "");
	expect_str(root, "process.cmdline", "");
	expect_str(root, "process.cwd", "");
	expect_num(root, "process.cgroup_id", 777);
	expect_str(root, "process.cgroup", "");
	expect_null(root, "process.container");
	assert_true(cJSON_IsArray(jget(root, "process.ancestry")));
	assert_int_equal(cJSON_GetArraySize(jget(root, "process.ancestry")), 0);
}

/* ---- JSON per kind ---- */

static void test_json_exec(void **state)
{
	static const char argv[] = "curl\0-s\0http://x y\0it's\0";
	struct event *ev = ev_exec("/usr/bin/curl", argv, sizeof(argv) - 1, 0, 0);
	cJSON *root = json_plain(ev);

	expect_envelope(root, "exec", "exec");
	expect_bare_process(root);
	expect_keys(root, "exec", KEYS("filename", "filename_truncated", "argv", "argv_truncated", "argv_bytes"));
	expect_str(root, "exec.filename", "/usr/bin/curl");
	expect_bool(root, "exec.filename_truncated", false);
	assert_int_equal(cJSON_GetArraySize(jget(root, "exec.argv")), 4);
	expect_str(root, "exec.argv.0", "curl");
	expect_str(root, "exec.argv.1", "-s");
	expect_str(root, "exec.argv.2", "http://x y");
	expect_str(root, "exec.argv.3", "it's");
	expect_bool(root, "exec.argv_truncated", false);
	expect_num(root, "exec.argv_bytes", sizeof(argv) - 1);
	cJSON_Delete(root);
	event_free(ev);
}

static void test_json_exec_truncated_and_odd_bytes(void **state)
{
	static const char argv[] = "sh\0\x01\"\\\n\0\xff\xfe";
	struct event *ev = ev_exec("/tmp/\xc3\xa9\xff", argv, sizeof(argv) - 1, 9000,
				   AISEC_F_TRUNC_ARGV | AISEC_F_TRUNC_PATH | AISEC_F_READ_FAIL);
	cJSON *root = json_plain(ev);

	expect_keys(root, NULL, KEYS("schema", "time", "boot_ns", "kind", "host", "process", "exec", "incomplete"));
	expect_bool(root, "incomplete", true);
	expect_str(root, "exec.filename", "/tmp/\xc3\xa9\xef\xbf\xbd");
	expect_bool(root, "exec.filename_truncated", true);
	assert_int_equal(cJSON_GetArraySize(jget(root, "exec.argv")), 3);
	expect_str(root, "exec.argv.1", "\x01\"\\\n");
	expect_str(root, "exec.argv.2", "\xef\xbf\xbd\xef\xbf\xbd");
	expect_bool(root, "exec.argv_truncated", true);
	expect_num(root, "exec.argv_bytes", 9000);
	cJSON_Delete(root);
	event_free(ev);
}

static void test_json_fork(void **state)
{
	struct event *ev = ev_fork(4001);
	cJSON *root = json_plain(ev);

	expect_envelope(root, "fork", "fork");
	expect_bare_process(root);
	expect_keys(root, "fork", KEYS("parent_pid", "parent_tid"));
	expect_num(root, "fork.parent_pid", 4000);
	expect_num(root, "fork.parent_tid", 4001);
	cJSON_Delete(root);
	event_free(ev);
}

static void test_json_exit(void **state)
{
	static const struct {
		__u32 status;
		int code, signal;
		const char *signal_name; /* NULL: member absent */
		bool core;
	} cases[] = {
	    {0, 0, 0, NULL, false},
	    {3 << 8, 3, 0, NULL, false},
	    {SIGKILL, 137, SIGKILL, "SIGKILL", false},
	    {0x80 | SIGSEGV, 139, SIGSEGV, "SIGSEGV", true},
	    {0x80 | SIGABRT, 134, SIGABRT, "SIGABRT", true},
	    /* A number glibc has no name for. */
	    {0x7e, 128 + 0x7e, 0x7e, "", false},
	    {SIGTERM, 143, SIGTERM, "SIGTERM", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event *ev = ev_exit(cases[i].status);
		cJSON *root = json_plain(ev);

		expect_envelope(root, "exit", "exit");
		if (cases[i].signal_name) {
			expect_keys(root, "exit", KEYS("code", "signal", "signal_name", "core_dumped"));
			expect_str(root, "exit.signal_name", cases[i].signal_name);
		} else {
			expect_keys(root, "exit", KEYS("code", "signal", "core_dumped"));
		}
		expect_num(root, "exit.code", cases[i].code);
		expect_num(root, "exit.signal", cases[i].signal);
		expect_bool(root, "exit.core_dumped", cases[i].core);
		cJSON_Delete(root);
		event_free(ev);
	}
}

static void test_json_open(void **state)
{
	struct open_in in = {
	    .sys = AISEC_SYS_OPENAT,
	    .path = "/tmp/out",
	    .flags = O_WRONLY | O_CREAT | O_TRUNC,
	    .mode = 0644,
	    .dirfd = AT_FDCWD,
	    .ret = 5,
	};
	struct event *ev = ev_open(&in);
	cJSON *root = json_plain(ev);

	expect_envelope(root, "open", "open");
	expect_bare_process(root);
	expect_keys(root, "open",
		    KEYS("syscall", "path", "path_truncated", "dirfd", "flags", "flags_raw", "mode", "ret"));
	expect_str(root, "open.syscall", "openat");
	expect_str(root, "open.path", "/tmp/out");
	expect_bool(root, "open.path_truncated", false);
	expect_num(root, "open.dirfd", AT_FDCWD);
	expect_str(root, "open.flags", "O_WRONLY|O_CREAT|O_TRUNC");
	expect_num(root, "open.flags_raw", O_WRONLY | O_CREAT | O_TRUNC);
	expect_str(root, "open.mode", "0644");
	expect_num(root, "open.ret", 5);
	cJSON_Delete(root);
	event_free(ev);
}

static void test_json_open_error_openat2(void **state)
{
	struct open_in in = {
	    .sys = AISEC_SYS_OPENAT2,
	    .path = "/root/\"secret\"",
	    .flags = O_RDONLY | O_CLOEXEC,
	    .mode = 04755,
	    .dirfd = 7,
	    .ret = -EACCES,
	    .resolve = 0x0c,
	    .hflags = AISEC_F_TRUNC_PATH,
	};
	struct event *ev = ev_open(&in);
	cJSON *root = json_plain(ev);

	expect_keys(root, "open",
		    KEYS("syscall", "path", "path_truncated", "dirfd", "flags", "flags_raw", "mode", "resolve", "ret",
			 "error"));
	expect_str(root, "open.syscall", "openat2");
	expect_str(root, "open.path", "/root/\"secret\"");
	expect_bool(root, "open.path_truncated", true);
	expect_num(root, "open.dirfd", 7);
	expect_str(root, "open.flags", "O_RDONLY|O_CLOEXEC");
	expect_str(root, "open.mode", "4755");
	expect_num(root, "open.resolve", 0x0c);
	expect_num(root, "open.ret", -EACCES);
	expect_str(root, "open.error", "EACCES");
	cJSON_Delete(root);
	event_free(ev);
}

/* The legacy syscalls: named as such, no resolve member. */
static void test_json_open_legacy(void **state)
{
	static const struct {
		__u16 sys;
		const char *name;
	} cases[] = {{AISEC_SYS_OPEN, "open"}, {AISEC_SYS_CREAT, "creat"}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct open_in in = {
		    .sys = cases[i].sys,
		    .path = "f",
		    .flags = O_WRONLY | O_CREAT | O_TRUNC,
		    .mode = 0640,
		    .dirfd = AT_FDCWD,
		    .ret = -ENOENT,
		    .resolve = 4,
		};
		struct event *ev = ev_open(&in);
		cJSON *root = json_plain(ev);

		expect_keys(
		    root, "open",
		    KEYS("syscall", "path", "path_truncated", "dirfd", "flags", "flags_raw", "mode", "ret", "error"));
		expect_str(root, "open.syscall", cases[i].name);
		expect_str(root, "open.path", "f");
		expect_num(root, "open.dirfd", AT_FDCWD);
		expect_str(root, "open.mode", "0640");
		expect_str(root, "open.error", "ENOENT");
		cJSON_Delete(root);
		event_free(ev);
	}
}

static void test_json_connect_inet(void **state)
{
	struct aisec_net t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_INET);
	struct event *ev;
	cJSON *root;

	t.ret = -EINPROGRESS;
	set_v4(t.addr, 10, 1, 2, 3);
	t.port = 5432;
	set_v4(t.laddr, 10, 0, 0, 5);
	t.lport = 40000;
	ev = decode(&t, sizeof(t));
	root = json_plain(ev);
	expect_envelope(root, "connect", "net");
	expect_bare_process(root);
	expect_keys(
	    root, "net",
	    KEYS("syscall", "fd", "ret", "error", "family", "sock_type", "addr", "port", "local_addr", "local_port"));
	expect_str(root, "net.syscall", "connect");
	expect_num(root, "net.fd", 3);
	expect_num(root, "net.ret", -EINPROGRESS);
	expect_str(root, "net.error", "EINPROGRESS");
	expect_str(root, "net.family", "inet");
	expect_str(root, "net.sock_type", "stream");
	expect_str(root, "net.addr", "10.1.2.3");
	expect_num(root, "net.port", 5432);
	expect_str(root, "net.local_addr", "10.0.0.5");
	expect_num(root, "net.local_port", 40000);
	cJSON_Delete(root);
	event_free(ev);
}

static void test_json_connect_inet6(void **state)
{
	struct aisec_net t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_INET6);
	struct event *ev;
	cJSON *root;

	t.sock_type = SOCK_DGRAM;
	t.addr[0] = 0x20;
	t.addr[1] = 0x01;
	t.addr[2] = 0x0d;
	t.addr[3] = 0xb8;
	t.addr[15] = 1;
	t.port = 443;
	t.laddr[15] = 1;
	t.lport = 65535;
	ev = decode(&t, sizeof(t));
	root = json_plain(ev);
	expect_keys(root, "net",
		    KEYS("syscall", "fd", "ret", "family", "sock_type", "addr", "port", "local_addr", "local_port"));
	expect_num(root, "net.ret", 0);
	expect_str(root, "net.family", "inet6");
	expect_str(root, "net.sock_type", "dgram");
	expect_str(root, "net.addr", "2001:db8::1");
	expect_num(root, "net.port", 443);
	expect_str(root, "net.local_addr", "::1");
	expect_num(root, "net.local_port", 65535);
	cJSON_Delete(root);
	event_free(ev);
}

static void test_json_connect_unix(void **state)
{
	static const struct {
		const char *path;
		__u32 len;
		const char *want;
	} cases[] = {
	    {"/run/app.sock", 14, "/run/app.sock"},
	    {"\0abstract", 9, "@abstract"},
	    {"/tmp/a\nb\\", 10, "/tmp/a\\x0ab\\x5c"},
	    {"", 0, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct aisec_net t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_UNIX);
		struct event *ev;
		cJSON *root;

		t.sock_type = 0; /* unknown: no sock_type member */
		t.fd = 4;
		memcpy(t.unix_path, cases[i].path, cases[i].len);
		t.unix_len = cases[i].len;
		ev = decode(&t, sizeof(t));
		root = json_plain(ev);
		expect_keys(root, "net", KEYS("syscall", "fd", "ret", "family", "unix_path"));
		expect_str(root, "net.family", "unix");
		expect_num(root, "net.fd", 4);
		expect_str(root, "net.unix_path", cases[i].want);
		cJSON_Delete(root);
		event_free(ev);
	}
}

static void test_json_accept_bind_listen(void **state)
{
	struct aisec_net t = net_tmpl(AISEC_EV_ACCEPT, AISEC_SYS_ACCEPT4, AF_INET);
	struct event *ev;
	cJSON *root;

	/* accept: the peer and the local end of the new socket. */
	t.ret = 7;
	set_v4(t.addr, 192, 168, 1, 9);
	t.port = 51000;
	set_v4(t.laddr, 10, 0, 0, 5);
	t.lport = 8080;
	ev = decode(&t, sizeof(t));
	root = json_plain(ev);
	expect_envelope(root, "accept", "net");
	expect_keys(root, "net",
		    KEYS("syscall", "fd", "ret", "family", "sock_type", "addr", "port", "local_addr", "local_port"));
	expect_str(root, "net.syscall", "accept4");
	expect_num(root, "net.ret", 7);
	expect_str(root, "net.addr", "192.168.1.9");
	expect_num(root, "net.port", 51000);
	expect_str(root, "net.local_addr", "10.0.0.5");
	expect_num(root, "net.local_port", 8080);
	cJSON_Delete(root);
	event_free(ev);

	/* bind: the kernel copies the address into both; only the local end is shown. */
	t = net_tmpl(AISEC_EV_BIND, AISEC_SYS_BIND, AF_INET);
	t.ret = -EADDRINUSE;
	set_v4(t.addr, 127, 0, 0, 1);
	set_v4(t.laddr, 127, 0, 0, 1);
	t.port = t.lport = 8080;
	ev = decode(&t, sizeof(t));
	root = json_plain(ev);
	expect_envelope(root, "bind", "net");
	expect_keys(root, "net",
		    KEYS("syscall", "fd", "ret", "error", "family", "sock_type", "local_addr", "local_port"));
	expect_str(root, "net.syscall", "bind");
	expect_str(root, "net.error", "EADDRINUSE");
	expect_str(root, "net.local_addr", "127.0.0.1");
	expect_num(root, "net.local_port", 8080);
	cJSON_Delete(root);
	event_free(ev);

	/* listen: the bound address and the backlog. */
	t = net_tmpl(AISEC_EV_LISTEN, AISEC_SYS_LISTEN, AF_INET6);
	t.backlog = 128;
	t.lport = 8443;
	ev = decode(&t, sizeof(t));
	root = json_plain(ev);
	expect_envelope(root, "listen", "net");
	expect_keys(root, "net",
		    KEYS("syscall", "fd", "ret", "family", "sock_type", "local_addr", "local_port", "backlog"));
	expect_str(root, "net.syscall", "listen");
	expect_str(root, "net.local_addr", "::");
	expect_num(root, "net.local_port", 8443);
	expect_num(root, "net.backlog", 128);
	cJSON_Delete(root);
	event_free(ev);

	/* listen on a unix socket: path and backlog, no addresses. */
	t = net_tmpl(AISEC_EV_LISTEN, AISEC_SYS_LISTEN, AF_UNIX);
	t.backlog = 5;
	memcpy(t.unix_path, "/run/s", 7);
	t.unix_len = 7;
	ev = decode(&t, sizeof(t));
	root = json_plain(ev);
	expect_keys(root, "net", KEYS("syscall", "fd", "ret", "family", "sock_type", "unix_path", "backlog"));
	expect_str(root, "net.unix_path", "/run/s");
	expect_num(root, "net.backlog", 5);
	cJSON_Delete(root);
	event_free(ev);

	/* An unknown family: no address members at all. */
	t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_NETLINK);
	ev = decode(&t, sizeof(t));
	root = json_plain(ev);
	expect_keys(root, "net", KEYS("syscall", "fd", "ret", "family", "sock_type"));
	expect_str(root, "net.family", "netlink");
	cJSON_Delete(root);
	event_free(ev);
}

/* A payload record (its bytes feed the SQL decoder) is not a net record: formatting
 * it must not read it as one. Its unix_path bytes, read through the net view,
 * would give a huge unix_len. */
static void test_payload_not_read_as_net(void **state)
{
	size_t size = offsetof(struct aisec_payload, data);
	struct aisec_payload *t = calloc(1, sizeof(*t));
	struct enriched e = {0};
	struct event *ev;
	cJSON *root;
	char *line;

	assert_non_null(t);
	hdr_init(&t->hdr, AISEC_EV_PAYLOAD, AISEC_SYS_WRITE, size);
	t->ret = 10;
	t->family = AF_UNIX;
	t->unix_len = AISEC_UNIX_PATH_MAX;
	memset(t->unix_path, 0xff, sizeof(t->unix_path));
	ev = decode(t, size);
	root = json_plain(ev);
	expect_keys(root, NULL, KEYS("schema", "time", "boot_ns", "kind", "host", "process"));
	expect_str(root, "kind", "payload");
	cJSON_Delete(root);
	e.ev = ev;
	line = text_of(&plain_ctx, &e);
	assert_string_equal(line, PREFIX("payload") "\n");
	free(line);
	event_free(ev);
	free(t);
}

/* ---- JSON process enrichment ---- */

static struct proc_info *proc_fixture(void)
{
	struct proc_info *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->pid = 4321;
	p->ppid = 4000;
	p->uid = 1000;
	snprintf(p->comm, sizeof(p->comm), "curl");
	snprintf(p->exe, sizeof(p->exe), "/usr/bin/curl");
	snprintf(p->cmdline, sizeof(p->cmdline), "curl -s \"http://x\"\t");
	snprintf(p->cwd, sizeof(p->cwd), "/home/u");
	snprintf(p->cgroup, sizeof(p->cgroup), "/system.slice/docker-%s.scope", ID_DOCKER);
	p->container.runtime = CONTAINER_DOCKER;
	snprintf(p->container.id, sizeof(p->container.id), "%s", ID_DOCKER);
	return p;
}

static void test_json_with_process(void **state)
{
	struct proc_info *p = proc_fixture();
	struct event *ev = ev_fork(4001);
	struct enriched e = {.ev = ev, .proc = p, .ancestry = {4000, 1}, .nancestry = 2};
	cJSON *root = json_of(&plain_ctx, &e);

	expect_str(root, "process.comm", "curl");
	expect_str(root, "process.exe", "/usr/bin/curl");
	expect_str(root, "process.cmdline", "curl -s \"http://x\"\t");
	expect_str(root, "process.cwd", "/home/u");
	expect_str(root, "process.cgroup", "/system.slice/docker-" ID_DOCKER ".scope");
	expect_keys(root, "process.container", KEYS("id", "runtime"));
	expect_str(root, "process.container.id", ID_DOCKER);
	expect_str(root, "process.container.runtime", "docker");
	/* No cache to look ancestors up in: pids only. */
	assert_int_equal(cJSON_GetArraySize(jget(root, "process.ancestry")), 2);
	expect_keys(root, "process.ancestry.0", KEYS("pid", "comm", "exe"));
	expect_num(root, "process.ancestry.0.pid", 4000);
	expect_str(root, "process.ancestry.0.comm", "");
	expect_str(root, "process.ancestry.0.exe", "");
	expect_num(root, "process.ancestry.1.pid", 1);
	cJSON_Delete(root);

	/* A process outside any container has container null. */
	p->container.runtime = CONTAINER_NONE;
	p->container.id[0] = '\0';
	root = json_of(&plain_ctx, &e);
	expect_null(root, "process.container");
	expect_str(root, "process.exe", "/usr/bin/curl");
	cJSON_Delete(root);
	event_free(ev);
	free(p);
}

static void test_json_ancestry_from_cache(void **state)
{
	char dir[] = "/tmp/aisec-format-test.XXXXXX";
	static const char *const bash_argv[] = {"bash"}, *const init_argv[] = {"/sbin/init"};
	struct proc_cache *c;
	struct format_ctx fc = plain_ctx;
	struct event *ev = ev_exit(0);
	struct enriched e = {.ev = ev, .ancestry = {4000, 1, 3999}, .nancestry = 3};
	cJSON *root;

	assert_non_null(mkdtemp(dir));
	c = proc_cache__new(dir, 16);
	assert_non_null(c);
	proc_cache__on_exec(c, 4000, 1, 1000, "bash", "/bin/bash", bash_argv, 1);
	proc_cache__on_exec(c, 1, 0, 0, "systemd", "/sbin/init", init_argv, 1);
	fc.procs = c;
	root = json_of(&fc, &e);
	assert_int_equal(cJSON_GetArraySize(jget(root, "process.ancestry")), 3);
	expect_num(root, "process.ancestry.0.pid", 4000);
	expect_str(root, "process.ancestry.0.comm", "bash");
	expect_str(root, "process.ancestry.0.exe", "/bin/bash");
	expect_num(root, "process.ancestry.1.pid", 1);
	expect_str(root, "process.ancestry.1.comm", "systemd");
	expect_str(root, "process.ancestry.1.exe", "/sbin/init");
	/* Not in the cache: the pid alone. */
	expect_num(root, "process.ancestry.2.pid", 3999);
	expect_str(root, "process.ancestry.2.comm", "");
	expect_str(root, "process.ancestry.2.exe", "");
	/* Formatting only peeks: it adds nothing to the cache. */
	assert_int_equal(proc_cache__size(c), 2);
	cJSON_Delete(root);
	proc_cache__free(c);
	assert_int_equal(rmdir(dir), 0);
	event_free(ev);
}

static void test_json_header_values(void **state)
{
	struct aisec_fork t = {0};
	struct format_ctx fc = plain_ctx;
	struct strbuf sb = STRBUF_INIT;
	struct event *ev;
	struct enriched e = {0};
	cJSON *root;

	/* Extreme header values, a comm that needs escaping, no host, wall = boot. */
	hdr_init(&t.hdr, AISEC_EV_FORK, AISEC_SYS_NONE, sizeof(t));
	t.hdr.cgroup_id = UINT64_MAX;
	t.hdr.pid = UINT32_MAX;
	t.hdr.ts_ns = 1500000000;
	memcpy(t.hdr.comm, "a\"b\\c\n\x01\x7f\xff", 10);
	ev = decode(&t, sizeof(t));
	e.ev = ev;
	fc.host = NULL;
	fc.boot_to_wall_ns = 0;
	strbuf__puts(&sb, "previous line\n");
	format__json(&sb, &fc, &e);
	/* Appended after what was there; the 64-bit id written exactly. */
	assert_memory_equal(sb.data, "previous line\n{", 15);
	assert_non_null(strstr(sb.data, "\"cgroup_id\":18446744073709551615,"));
	assert_non_null(strstr(sb.data, "\"pid\":4294967295,"));
	root = cJSON_Parse(sb.data + 14);
	assert_non_null(root);
	expect_str(root, "time", "1970-01-01T00:00:01.500000000Z");
	expect_num(root, "boot_ns", 1500000000);
	expect_str(root, "host", "");
	expect_str(root, "process.comm", "a\"b\\c\n\x01\x7f\xef\xbf\xbd");
	cJSON_Delete(root);
	strbuf__free(&sb);
	event_free(ev);
}

/* ---- text lines ---- */

static void test_text_exec(void **state)
{
	static const char argv[] = "curl\0-s\0http://x y\0it's\0\0";
	struct event *ev = ev_exec("/usr/bin/curl", argv, sizeof(argv) - 1, 0, 0);

	expect_text(ev, NULL, PREFIX("exec   ") "\"/usr/bin/curl\" curl -s 'http://x y' 'it'\\''s' ''\n");
	event_free(ev);

	ev = ev_exec("/tmp/x\ny\"", "a\x01\0b", 4, 100, AISEC_F_TRUNC_ARGV);
	expect_text(ev, NULL, PREFIX("exec   ") "\"/tmp/x\\x0ay\\\"\" $'a\\x01' b [argv truncated]\n");
	event_free(ev);

	ev = ev_exec("/very/lo", "lo\0", 3, 0, AISEC_F_TRUNC_PATH);
	expect_text(ev, NULL, PREFIX("exec   ") "\"/very/lo\" [filename truncated] lo\n");
	event_free(ev);
}

static void test_text_fork_exit(void **state)
{
	static const struct {
		__u32 status;
		const char *tail;
	} exits[] = {
	    {0, "code=0"},
	    {3 << 8, "code=3"},
	    {SIGKILL, "killed by SIGKILL"},
	    {0x80 | SIGSEGV, "killed by SIGSEGV (core dumped)"},
	};
	struct event *ev = ev_fork(4001);
	char want[256];

	expect_text(ev, NULL, PREFIX("fork   ") "child of 4000\n");
	event_free(ev);
	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
		ev = ev_exit(exits[i].status);
		snprintf(want, sizeof(want), PREFIX("exit   ") "%s\n", exits[i].tail);
		expect_text(ev, NULL, want);
		event_free(ev);
	}
}

static void test_text_open(void **state)
{
	static const struct {
		struct open_in in;
		const char *tail;
	} cases[] = {
	    {{.sys = AISEC_SYS_OPENAT, .path = "/etc/passwd", .flags = O_RDONLY, .ret = 3},
	     "openat \"/etc/passwd\" O_RDONLY = 3"},
	    {{.sys = AISEC_SYS_OPENAT,
	      .path = "/tmp/out",
	      .flags = O_WRONLY | O_CREAT | O_TRUNC,
	      .mode = 0644,
	      .ret = 5},
	     "openat \"/tmp/out\" O_WRONLY|O_CREAT|O_TRUNC mode=0644 = 5"},
	    {{.sys = AISEC_SYS_OPENAT, .path = "/tmp", .flags = O_RDWR | O_TMPFILE, .mode = 0600, .ret = 4},
	     "openat \"/tmp\" O_RDWR|O_TMPFILE mode=0600 = 4"},
	    {{.sys = AISEC_SYS_OPENAT2, .path = "/root/x", .flags = O_RDONLY, .mode = 0777, .ret = -EACCES},
	     "openat2 \"/root/x\" O_RDONLY = -13 EACCES"},
	    {{.sys = AISEC_SYS_OPENAT, .path = "", .flags = O_RDONLY, .ret = -ENOENT, .hflags = AISEC_F_READ_FAIL},
	     "openat \"\" O_RDONLY = -2 ENOENT [incomplete]"},
	    {{.sys = AISEC_SYS_OPENAT, .path = "/very/lo", .flags = O_RDONLY, .ret = 3, .hflags = AISEC_F_TRUNC_PATH},
	     "openat \"/very/lo\" [path truncated] O_RDONLY = 3"},
	    /* __O_TMPFILE without O_DIRECTORY is not O_TMPFILE: no mode. */
	    {{.sys = AISEC_SYS_OPENAT, .path = "/tmp", .flags = O_RDWR | 020000000, .mode = 0600, .ret = -EINVAL},
	     "openat \"/tmp\" O_RDWR|0x400000 = -22 EINVAL"},
	    {{.sys = AISEC_SYS_CREAT,
	      .path = "/tmp/c",
	      .flags = O_WRONLY | O_CREAT | O_TRUNC,
	      .mode = 0600,
	      .dirfd = AT_FDCWD,
	      .ret = 3},
	     "creat \"/tmp/c\" O_WRONLY|O_CREAT|O_TRUNC mode=0600 = 3"},
	    {{.sys = AISEC_SYS_OPEN, .path = "rel", .flags = O_RDONLY, .dirfd = AT_FDCWD, .ret = 3},
	     "open \"rel\" O_RDONLY = 3"},
	    {{.sys = AISEC_SYS_OPENAT, .path = "/t/\x1b[2J\\\xc3\xa9", .flags = O_RDONLY, .ret = 3},
	     "openat \"/t/\\x1b[2J\\\\\\xc3\\xa9\" O_RDONLY = 3"},
	};
	char want[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event *ev = ev_open(&cases[i].in);

		snprintf(want, sizeof(want), PREFIX("open   ") "%s\n", cases[i].tail);
		expect_text(ev, NULL, want);
		event_free(ev);
	}
}

static void test_text_net(void **state)
{
	struct aisec_net t;
	struct event *ev;

	t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_INET);
	t.ret = -EINPROGRESS;
	set_v4(t.addr, 10, 1, 2, 3);
	t.port = 5432;
	set_v4(t.laddr, 10, 0, 0, 5);
	t.lport = 40000;
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL,
		    PREFIX("connect") "connect inet 10.1.2.3:5432 local=10.0.0.5:40000 fd=3 = -115 EINPROGRESS\n");
	event_free(ev);

	t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_INET6);
	t.addr[0] = 0x20;
	t.addr[1] = 0x01;
	t.addr[2] = 0x0d;
	t.addr[3] = 0xb8;
	t.addr[15] = 1;
	t.port = 443;
	t.laddr[15] = 1;
	t.lport = 50000;
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("connect") "connect inet6 [2001:db8::1]:443 local=[::1]:50000 fd=3 = 0\n");
	event_free(ev);

	t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_UNIX);
	t.fd = 4;
	memcpy(t.unix_path, "\0bus\n", 5);
	t.unix_len = 5;
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("connect") "connect unix \"@bus\\x0a\" fd=4 = 0\n");
	event_free(ev);

	t = net_tmpl(AISEC_EV_ACCEPT, AISEC_SYS_ACCEPT4, AF_INET);
	t.ret = 7;
	set_v4(t.addr, 192, 168, 1, 9);
	t.port = 51000;
	set_v4(t.laddr, 10, 0, 0, 5);
	t.lport = 8080;
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("accept ") "accept4 inet 192.168.1.9:51000 local=10.0.0.5:8080 fd=3 = 7\n");
	event_free(ev);

	t = net_tmpl(AISEC_EV_BIND, AISEC_SYS_BIND, AF_INET);
	t.port = t.lport = 8080;
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("bind   ") "bind inet 0.0.0.0:8080 fd=3 = 0\n");
	event_free(ev);

	t = net_tmpl(AISEC_EV_LISTEN, AISEC_SYS_LISTEN, AF_INET6);
	t.backlog = 128;
	t.lport = 8443;
	t.ret = -EBADF;
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("listen ") "listen inet6 [::]:8443 backlog=128 fd=3 = -9 EBADF\n");
	event_free(ev);

	t = net_tmpl(AISEC_EV_LISTEN, AISEC_SYS_LISTEN, AF_UNIX);
	t.backlog = 5;
	memcpy(t.unix_path, "/run/s", 7);
	t.unix_len = 7;
	t.hdr.flags = AISEC_F_READ_FAIL;
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("listen ") "listen unix \"/run/s\" backlog=5 fd=3 = 0 [incomplete]\n");
	event_free(ev);

	/* No address for other families, and no stray space. */
	t = net_tmpl(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, AF_UNSPEC);
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("connect") "connect unspec fd=3 = 0\n");
	event_free(ev);
	t = net_tmpl(AISEC_EV_BIND, AISEC_SYS_BIND, AF_NETLINK);
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL, PREFIX("bind   ") "bind netlink fd=3 = 0\n");
	event_free(ev);
}

static void test_text_container_and_color(void **state)
{
	struct proc_info *p = proc_fixture();
	struct event *ev = ev_fork(4001);
	struct format_ctx fc = plain_ctx;
	struct enriched e = {.ev = ev, .proc = p};
	char *line;

	expect_text(ev, p, TIME_TEXT " fork    curl[4321] ppid=4000 uid=1000 ctr=cb2a1d3f19a4 child of 4000\n");
	fc.color = true;
	line = text_of(&fc, &e);
	assert_string_equal(line, TIME_TEXT
			    " \033[1mfork   \033[0m curl[4321] ppid=4000 uid=1000 ctr=cb2a1d3f19a4 child of 4000\n");
	free(line);
	event_free(ev);
	free(p);
}

/* A process can name itself anything (prctl PR_SET_NAME): the text line must stay one clean line. */
static void test_text_comm_escaped(void **state)
{
	struct aisec_fork t = {0};
	struct event *ev;

	hdr_init(&t.hdr, AISEC_EV_FORK, AISEC_SYS_NONE, sizeof(t));
	memcpy(t.hdr.comm, "x\n\033[2Jy\\\x7f\xc3\xa9", 11);
	ev = decode(&t, sizeof(t));
	expect_text(ev, NULL,
		    TIME_TEXT " fork    x\\x0a\\x1b[2Jy\\\\\\x7f\\xc3\\xa9[4321] ppid=4000 uid=1000 child of 4000\n");
	event_free(ev);
}

/* ---- helpers ---- */

static void test_open_flags(void **state)
{
	static const struct {
		__u64 flags;
		const char *want;
	} cases[] = {
	    {O_RDONLY, "O_RDONLY"},
	    {O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC"},
	    {O_RDWR | O_CLOEXEC | O_DIRECTORY, "O_RDWR|O_DIRECTORY|O_CLOEXEC"},
	    {O_DIRECTORY, "O_RDONLY|O_DIRECTORY"},
	    {O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE"},
	    {O_WRONLY | O_TMPFILE | O_EXCL, "O_WRONLY|O_TMPFILE|O_EXCL"},
	    {O_WRONLY | O_SYNC, "O_WRONLY|O_SYNC"},
	    {O_DSYNC, "O_RDONLY|O_DSYNC"},
	    {O_ACCMODE, "O_ACCMODE"},
	    {O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY | O_EXCL | O_CREAT,
	     "O_WRONLY|O_CREAT|O_EXCL|O_NOCTTY|O_APPEND|O_NONBLOCK"},
	    {O_PATH | O_NOFOLLOW | O_CLOEXEC, "O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH"},
	    {0100000, "O_RDONLY|O_LARGEFILE"},
	    {O_DIRECT | O_NOATIME | O_ASYNC, "O_RDONLY|O_ASYNC|O_DIRECT|O_NOATIME"},
	    {1ull << 40, "O_RDONLY|0x10000000000"},
	    {O_CREAT | 0x1000000, "O_RDONLY|O_CREAT|0x1000000"},
	    {O_RDWR | (1ull << 40) | (1ull << 63), "O_RDWR|0x8000010000000000"},
	    {O_RDWR | O_TMPFILE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC | O_ASYNC |
		 O_DIRECT | 0100000 | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | (1ull << 63),
	     "O_RDWR|O_TMPFILE|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_NONBLOCK|O_SYNC|O_ASYNC|O_DIRECT|"
	     "O_LARGEFILE|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|O_PATH|0x8000000000000000"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];
		size_t wlen = strlen(cases[i].want);

		format__open_flags(buf, sizeof(buf), cases[i].flags);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("flags 0x%llx: \"%s\", want \"%s\"", (unsigned long long)cases[i].flags, buf,
				 cases[i].want);
		/* Every shorter buffer, exactly sized: a NUL-terminated prefix, nothing written past it. */
		for (size_t len = 1; len <= wlen; len++) {
			char *small = malloc(len);

			assert_non_null(small);
			format__open_flags(small, len, cases[i].flags);
			assert_int_equal(strlen(small), len - 1);
			assert_memory_equal(small, cases[i].want, len - 1);
			free(small);
		}
	}
	/* Length 0 writes nothing. */
	{
		char *none = malloc(1);

		assert_non_null(none);
		*none = 'Z';
		format__open_flags(none, 0, O_WRONLY);
		assert_int_equal(*none, 'Z');
		free(none);
	}
}

static void test_errno_name(void **state)
{
	static const struct {
		__s64 ret;
		const char *want;
	} cases[] = {
	    {-2, "ENOENT"},
	    {-115, "EINPROGRESS"},
	    {-13, "EACCES"},
	    {-1, "EPERM"},
	    {-111, "ECONNREFUSED"},
	    {0, ""},
	    {3, ""},
	    {INT64_MAX, ""},
	    {-100000, "E?"},
	    /* Not errnos, though their low 32 bits are: must not be named after them. */
	    {-(1ll << 32) - 2, "E?"},
	    {INT64_MIN, "E?"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = format__errno_name(cases[i].ret);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%lld: \"%s\", want \"%s\"", (long long)cases[i].ret, got, cases[i].want);
	}
}

static void test_shell_words(void **state)
{
	static const struct {
		size_t argc;
		const char *argv[4];
		const char *want;
	} cases[] = {
	    {3, {"ls", "-la", "/tmp"}, "ls -la /tmp"},
	    {2, {"echo", "hello world"}, "echo 'hello world'"},
	    {2, {"echo", "it's"}, "echo 'it'\\''s'"},
	    {3, {"a", "", "b"}, "a '' b"},
	    {2,
	     {"printf", "a\x01"
			"b"},
	     "printf $'a\\x01b'"},
	    {2, {"x", "tab\there"}, "x $'tab\\x09here'"},
	    {2, {"x", "q'\x01\\"}, "x $'q\\'\\x01\\\\'"},
	    {2, {"x", "\xc3\xa9"}, "x $'\\xc3\\xa9'"},
	    {2, {"x", "a\x7f"}, "x $'a\\x7f'"},
	    {2, {"x", "$HOME"}, "x '$HOME'"},
	    {2, {"x", "a*b;c|d&e>f`g\"h\\"}, "x 'a*b;c|d&e>f`g\"h\\'"},
	    {2, {"k=v", "user@host:/p,q+r%_.-"}, "k=v user@host:/p,q+r%_.-"},
	    {1, {""}, "''"},
	    {0, {NULL}, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT;

		strbuf__puts(&sb, ">");
		format__shell_words(&sb, cases[i].argv, cases[i].argc);
		if (strcmp(sb.data + 1, cases[i].want) != 0)
			fail_msg("case %zu: %s, want %s", i, sb.data + 1, cases[i].want);
		assert_int_equal(sb.data[0], '>');
		strbuf__free(&sb);
	}
}

static void test_rfc3339(void **state)
{
	static const struct {
		__u64 ns;
		const char *want;
	} cases[] = {
	    {0, "1970-01-01T00:00:00.000000000Z"},
	    {999999999, "1970-01-01T00:00:00.999999999Z"},
	    {1000000000, "1970-01-01T00:00:01.000000000Z"},
	    {951782400000000001ull, "2000-02-29T00:00:00.000000001Z"},
	    {1764072000123456789ull, "2025-11-25T12:00:00.123456789Z"},
	    {4102444799999999999ull, "2099-12-31T23:59:59.999999999Z"},
	    {UINT64_MAX, "2554-07-21T23:34:33.709551615Z"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[48];

		format__rfc3339(buf, sizeof(buf), cases[i].ns);
		assert_string_equal(buf, cases[i].want);
	}
	/* Exactly the room the text needs. */
	{
		char *exact = malloc(31);

		assert_non_null(exact);
		format__rfc3339(exact, 31, 1764072000123456789ull);
		assert_string_equal(exact, "2025-11-25T12:00:00.123456789Z");
		free(exact);
	}
}

/* format__rfc3339 as it was written before the seconds were cached: the
 * reference the cached one must match byte for byte, at every buffer size. */
static void reference_rfc3339(char *buf, size_t len, __u64 wall_ns)
{
	time_t secs = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09lluZ", (unsigned long long)(wall_ns % 1000000000ull));
}

static void expect_rfc3339(__u64 ns)
{
	char got[48], want[48];

	format__rfc3339(got, sizeof(got), ns);
	reference_rfc3339(want, sizeof(want), ns);
	if (strcmp(got, want) != 0)
		fail_msg("%llu ns: %s, want %s", (unsigned long long)ns, got, want);
}

/* The seconds part is cached per thread (two seconds at a time): sequences
 * that hit, miss and evict must all read as if nothing were cached. */
static void test_rfc3339_cache(void **state)
{
	const __u64 s = 1764071999ull * 1000000000ull; /* 2025-11-25T11:59:59Z */
	const __u64 a = 1764072000123456789ull, b = 4102444799999999999ull, c = 951782400000000001ull;

	/* Across a second boundary, forwards and back. */
	expect_rfc3339(s + 999999998);
	expect_rfc3339(s + 999999999);
	expect_rfc3339(s + 1000000000);
	expect_rfc3339(s + 1000000001);
	expect_rfc3339(s + 999999999);
	expect_rfc3339(s + 2000000000);
	/* Two times alternating: both stay cached. */
	for (int i = 0; i < 6; i++) {
		expect_rfc3339(a + (__u64)i);
		expect_rfc3339(b - (__u64)i);
	}
	/* Three alternating: each miss evicts the entry used least recently. */
	for (int i = 0; i < 6; i++) {
		expect_rfc3339(a);
		expect_rfc3339(b);
		expect_rfc3339(c);
		expect_rfc3339(c + 1);
		expect_rfc3339(a + 999999999);
	}
	/* Second 0 (a zero-filled cache entry must not pass for it) and the last. */
	expect_rfc3339(0);
	expect_rfc3339(999999999);
	expect_rfc3339(UINT64_MAX);
	expect_rfc3339(0);
	/* Every second of a day's worth of seconds in steps, each twice. */
	for (__u64 t = s; t < s + 86400ull * 1000000000ull; t += 997ull * 1000000000ull + 123) {
		expect_rfc3339(t);
		expect_rfc3339(t + 1);
	}
	/* Buffers of every size, after and before the text is cached. */
	for (size_t len = 1; len <= 40; len++) {
		char *got = malloc(len), want[48];

		assert_non_null(got);
		reference_rfc3339(want, len, a);
		format__rfc3339(got, len, a);
		if (strcmp(got, want) != 0)
			fail_msg("buffer of %zu: %s, want %s", len, got, want);
		reference_rfc3339(want, len, c + 5000000000ull * len);
		format__rfc3339(got, len, c + 5000000000ull * len);
		if (strcmp(got, want) != 0)
			fail_msg("buffer of %zu (uncached): %s, want %s", len, got, want);
		free(got);
	}
}

/* Each thread times of its own second, interleaved with the others: a cache
 * shared by mistake would hand one thread another's text. */
static void *rfc3339_thread(void *arg)
{
	__u64 base = *(const __u64 *)arg;
	char got[48], want[48];

	for (int i = 0; i < 20000; i++) {
		__u64 ns = base + (__u64)(i % 3) * 1000000000ull + (__u64)i;

		format__rfc3339(got, sizeof(got), ns);
		reference_rfc3339(want, sizeof(want), ns);
		if (strcmp(got, want) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_rfc3339_threads(void **state)
{
	__u64 bases[4] = {1764072000000000000ull, 951782400000000000ull, 4102444700000000000ull, 0};
	pthread_t t[4];
	void *res;

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, rfc3339_thread, &bases[i]), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
}

/* The JSON "time" of events on both sides of a second, in turn. */
static void test_json_time_across_seconds(void **state)
{
	static const struct {
		__s64 boot_to_wall;
		const char *want;
	} cases[] = {
	    {BOOT_TO_WALL, TIME_JSON},
	    {BOOT_TO_WALL - 123456790, "2025-11-25T11:59:59.999999999Z"},
	    {BOOT_TO_WALL + 876543211, "2025-11-25T12:00:01.000000000Z"},
	    {BOOT_TO_WALL, TIME_JSON},
	    {BOOT_TO_WALL - 123456790, "2025-11-25T11:59:59.999999999Z"},
	};
	struct format_ctx fc = plain_ctx;
	struct event *ev = ev_fork(1);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *root;

		fc.boot_to_wall_ns = cases[i].boot_to_wall;
		root = json_of(&fc, &(struct enriched){.ev = ev});
		expect_str(root, "time", cases[i].want);
		cJSON_Delete(root);
	}
	event_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_exec),
	    cmocka_unit_test(test_json_exec_truncated_and_odd_bytes),
	    cmocka_unit_test(test_json_fork),
	    cmocka_unit_test(test_json_exit),
	    cmocka_unit_test(test_json_open),
	    cmocka_unit_test(test_json_open_error_openat2),
	    cmocka_unit_test(test_json_open_legacy),
	    cmocka_unit_test(test_json_connect_inet),
	    cmocka_unit_test(test_json_connect_inet6),
	    cmocka_unit_test(test_json_connect_unix),
	    cmocka_unit_test(test_json_accept_bind_listen),
	    cmocka_unit_test(test_payload_not_read_as_net),
	    cmocka_unit_test(test_json_with_process),
	    cmocka_unit_test(test_json_ancestry_from_cache),
	    cmocka_unit_test(test_json_header_values),
	    cmocka_unit_test(test_text_exec),
	    cmocka_unit_test(test_text_fork_exit),
	    cmocka_unit_test(test_text_open),
	    cmocka_unit_test(test_text_net),
	    cmocka_unit_test(test_text_container_and_color),
	    cmocka_unit_test(test_text_comm_escaped),
	    cmocka_unit_test(test_open_flags),
	    cmocka_unit_test(test_errno_name),
	    cmocka_unit_test(test_shell_words),
	    cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_rfc3339_cache),
	    cmocka_unit_test(test_rfc3339_threads),
	    cmocka_unit_test(test_json_time_across_seconds),
	};

	/* Text lines show local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

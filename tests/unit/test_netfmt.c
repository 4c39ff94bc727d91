/*
 * Unit tests for agent/netfmt.c: IPv4/IPv6 addresses and endpoints, unix
 * socket paths (filesystem, abstract, unprintable bytes), family and socket
 * type names. Every output goes into a heap buffer of exactly the length
 * passed, at every length from 0 up to the full output, so ASan flags any
 * write past it; the result must stay a NUL-terminated prefix of the full one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netfmt.h"
#include "rowcheck.h"

/* One call of a formatting function, so every function can go through the same length sweep. */
struct call {
	const char *row;
	size_t (*fmt)(const struct call *c, char *buf, size_t len);
	__u16 family;
	const __u8 *addr;
	__u16 port;
	const char *path;
	size_t path_len;
};

static size_t call_addr(const struct call *c, char *buf, size_t len)
{
	return netfmt__addr(buf, len, c->family, c->addr);
}

static size_t call_endpoint(const struct call *c, char *buf, size_t len)
{
	return netfmt__endpoint(buf, len, c->family, c->addr, c->port);
}

static size_t call_unix(const struct call *c, char *buf, size_t len)
{
	return netfmt__unix_path(buf, len, c->path, c->path_len);
}

/*
 * Run c into a NETFMT_MAX buffer and check it gives want; then at every
 * length 0..strlen(want)+1 into an exactly-sized heap buffer: nothing
 * written at length 0, otherwise a NUL-terminated prefix of want whose length
 * is the return value. exact_cut: the prefix is always len-1 bytes (snprintf
 * style); otherwise it may stop earlier (whole escapes only).
 */
static void check_call(const struct call *c, const char *want, bool exact_cut)
{
	char full[NETFMT_MAX];
	size_t n, wlen = strlen(want);
	char *canary;

	memset(full, 'Z', sizeof(full));
	n = c->fmt(c, full, sizeof(full));
	CHECK_STR(c->row, full, want);
	CHECK_INT(c->row, n, wlen);

	/* Length 0: not a byte written. */
	canary = malloc(1);
	assert_non_null(canary);
	*canary = 'Z';
	CHECK_INT(c->row, c->fmt(c, canary, 0), 0);
	CHECK_INT(c->row, *canary, 'Z');
	free(canary);

	for (size_t len = 1; len <= wlen + 1; len++) {
		char *buf = malloc(len);
		size_t got;

		assert_non_null(buf);
		memset(buf, 'Z', len);
		got = c->fmt(c, buf, len);
		if (memchr(buf, '\0', len) == NULL)
			fail_msg("\"%s\": not NUL-terminated at length %zu", c->row, len);
		CHECK_INT(c->row, strlen(buf), got);
		if (got > len - 1 || strncmp(buf, want, got) != 0)
			fail_msg("\"%s\": length %zu gave \"%s\", not a prefix of \"%s\"", c->row, len, buf, want);
		if (exact_cut)
			CHECK_INT(c->row, got, len - 1 < wlen ? len - 1 : wlen);
		free(buf);
	}
}

/* ---- addresses and endpoints ---- */

struct inet_case {
	const char *name;
	__u16 family;
	__u8 addr[16];
	__u16 port;
	const char *want_addr;
	const char *want_endpoint;
};

#define V4(a, b, c, d)                                                                                                 \
	{                                                                                                              \
		a, b, c, d                                                                                             \
	}
#define V6(...)                                                                                                        \
	{                                                                                                              \
		__VA_ARGS__                                                                                            \
	}

static const struct inet_case inet_cases[] = {
    {"loopback v4", AF_INET, V4(127, 0, 0, 1), 80, "127.0.0.1", "127.0.0.1:80"},
    {"any v4, port 0", AF_INET, V4(0, 0, 0, 0), 0, "0.0.0.0", "0.0.0.0:0"},
    {"broadcast, port 65535", AF_INET, V4(255, 255, 255, 255), 65535, "255.255.255.255", "255.255.255.255:65535"},
    {"private v4", AF_INET, V4(10, 1, 2, 3), 5432, "10.1.2.3", "10.1.2.3:5432"},
    /* Bytes past the first four are not part of an IPv4 address. */
    {"v4 ignores bytes 4..15", AF_INET, V6(192, 168, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9), 443, "192.168.0.1",
     "192.168.0.1:443"},
    {"loopback v6", AF_INET6, V6([15] = 1), 8080, "::1", "[::1]:8080"},
    {"any v6, port 0", AF_INET6, V6(0), 0, "::", "[::]:0"},
    {"full v6", AF_INET6, V6(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6), 65535, "2001:db8:1:2:3:4:5:6",
     "[2001:db8:1:2:3:4:5:6]:65535"},
    {"compressed v6", AF_INET6, V6(0x20, 0x01, 0x0d, 0xb8, [15] = 1), 443, "2001:db8::1", "[2001:db8::1]:443"},
    /* RFC 5952: the first of two equally long zero runs is the one compressed. */
    {"two zero runs", AF_INET6, V6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1), 1, "2001:db8::1:0:0:1",
     "[2001:db8::1:0:0:1]:1"},
    {"v6 lowercase hex, no leading zeros", AF_INET6,
     V6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x0a, 0xbc, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x0f), 22, "fe80::abc:ff:fe00:f",
     "[fe80::abc:ff:fe00:f]:22"},
    {"v4-mapped v6", AF_INET6, V6([10] = 0xff, [11] = 0xff, [12] = 1, [13] = 2, [14] = 3, [15] = 4), 443,
     "::ffff:1.2.3.4", "[::ffff:1.2.3.4]:443"},
    {"longest v6 text", AF_INET6, V6([10] = 0xff, [11] = 0xff, [12] = 255, [13] = 255, [14] = 255, [15] = 255), 65535,
     "::ffff:255.255.255.255", "[::ffff:255.255.255.255]:65535"},
    {"unix family", AF_UNIX, V4(1, 2, 3, 4), 80, "", ""},
    {"unspec family", 0, V4(1, 2, 3, 4), 80, "", ""},
    {"netlink family", AF_NETLINK, V4(1, 2, 3, 4), 80, "", ""},
    {"out-of-range family", 0xffff, V4(1, 2, 3, 4), 80, "", ""},
};

static void test_inet(void **state)
{
	for (size_t i = 0; i < sizeof(inet_cases) / sizeof(inet_cases[0]); i++) {
		const struct inet_case *c = &inet_cases[i];
		struct call a = {.row = c->name, .fmt = call_addr, .family = c->family, .addr = c->addr};
		struct call e = a;

		e.fmt = call_endpoint;
		e.port = c->port;
		check_call(&a, c->want_addr, true);
		check_call(&e, c->want_endpoint, true);
	}
}

/* ---- unix paths ---- */

struct unix_case {
	const char *name;
	const char *path;
	size_t path_len;
	const char *want;
};

#define UPATH(s) s, sizeof(s) - 1

static const struct unix_case unix_cases[] = {
    {"filesystem path with its NUL", UPATH("/run/app.sock\0"), "/run/app.sock"},
    {"filesystem path without a NUL", UPATH("/run/app.sock"), "/run/app.sock"},
    {"filesystem path ends at its first NUL", UPATH("/a\0junk\0"), "/a"},
    {"relative path", UPATH("sock\0"), "sock"},
    {"abstract name", UPATH("\0name"), "@name"},
    {"abstract name with an embedded NUL", UPATH("\0na\0me"), "@na\\x00me"},
    {"abstract name runs to its length", UPATH("\0x\0\0"), "@x\\x00\\x00"},
    {"abstract name, empty", UPATH("\0"), "@"},
    {"unprintable bytes",
     UPATH("/tmp/a\x01"
	   "b\x7f\xff\0"),
     "/tmp/a\\x01b\\x7f\\xff"},
    {"newline and escape", UPATH("/tmp/\n\033[31m\0"), "/tmp/\\x0a\\x1b[31m"},
    {"backslash", UPATH("/tmp/a\\b\0"), "/tmp/a\\x5cb"},
    {"utf-8 is escaped byte by byte", UPATH("/tmp/\xc3\xa9\0"), "/tmp/\\xc3\\xa9"},
    {"abstract with unprintable", UPATH("\0\x01\\"), "@\\x01\\x5c"},
    {"empty", "", 0, ""},
};

static void test_unix_table(void **state)
{
	for (size_t i = 0; i < sizeof(unix_cases) / sizeof(unix_cases[0]); i++) {
		const struct unix_case *c = &unix_cases[i];
		/* The path in an exactly-sized buffer: no byte past path_len may be read. */
		char *path = malloc(c->path_len ? c->path_len : 1);
		struct call u = {.row = c->name, .fmt = call_unix, .path = path, .path_len = c->path_len};

		assert_non_null(path);
		memcpy(path, c->path, c->path_len);
		check_call(&u, c->want, false);
		free(path);
	}
}

static void test_unix_null_and_zero(void **state)
{
	char buf[8] = "xxxxxxx";

	assert_int_equal(netfmt__unix_path(buf, sizeof(buf), NULL, 10), 0);
	assert_string_equal(buf, "");
	memcpy(buf, "xxxxxxx", 8);
	assert_int_equal(netfmt__unix_path(buf, sizeof(buf), "/a", 0), 0);
	assert_string_equal(buf, "");
}

/* The longest sun_path: 108 bytes, no NUL anywhere. */
static void test_unix_full_length(void **state)
{
	char *path = malloc(108), want[4 * 108 + 1];
	struct call u = {.row = "108 printable bytes", .fmt = call_unix, .path = path, .path_len = 108};

	assert_non_null(path);
	memset(path, 'a', 108);
	memset(want, 'a', 108);
	want[108] = '\0';
	check_call(&u, want, false);

	/* Every byte escaped: the worst case must still fit in NETFMT_MAX. */
	u.row = "108 unprintable bytes";
	memset(path, 0x01, 108);
	for (size_t i = 0; i < 108; i++)
		memcpy(want + 4 * i, "\\x01", 4);
	want[4 * 108] = '\0';
	check_call(&u, want, false);

	u.row = "abstract, 107 unprintable bytes";
	path[0] = '\0';
	memset(path + 1, 0xff, 107);
	want[0] = '@';
	for (size_t i = 0; i < 107; i++)
		memcpy(want + 1 + 4 * i, "\\xff", 4);
	want[1 + 4 * 107] = '\0';
	check_call(&u, want, false);
	free(path);
}

/* A cut never splits an escape: "\x0" is not written for "\x01". */
static void test_unix_cut_at_escape(void **state)
{
	static const char path[] = "ab\x01";
	static const struct {
		size_t len;
		const char *want;
	} cuts[] = {{1, ""}, {2, "a"}, {3, "ab"}, {4, "ab"}, {5, "ab"}, {6, "ab"}, {7, "ab\\x01"}};

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char *buf = malloc(cuts[i].len);

		assert_non_null(buf);
		assert_int_equal(netfmt__unix_path(buf, cuts[i].len, path, 3), strlen(cuts[i].want));
		assert_string_equal(buf, cuts[i].want);
		free(buf);
	}
	/* An abstract name needs room for "@" and the NUL before anything is written. */
	{
		char *one = malloc(1);

		assert_non_null(one);
		*one = 'Z';
		assert_int_equal(netfmt__unix_path(one, 1, "\0x", 2), 0);
		assert_int_equal(one[0], '\0');
		free(one);
	}
}

/* ---- names ---- */

static void test_family_names(void **state)
{
	static const struct {
		__u16 v;
		const char *want;
	} cases[] = {
	    {AF_INET, "inet"},	     {AF_INET6, "inet6"},   {AF_UNIX, "unix"},
	    {AF_NETLINK, "netlink"}, {AF_PACKET, "packet"}, {0, "unspec"},
	    {AF_BLUETOOTH, "other"}, {AF_VSOCK, "other"},   {0xffff, "other"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(netfmt__family(cases[i].v), cases[i].want);
}

static void test_sock_type_names(void **state)
{
	static const struct {
		__u16 v;
		const char *want;
	} cases[] = {
	    {SOCK_STREAM, "stream"},
	    {SOCK_DGRAM, "dgram"},
	    {SOCK_SEQPACKET, "seqpacket"},
	    {SOCK_RAW, "raw"},
	    {0, ""},
	    {SOCK_RDM, ""},
	    {SOCK_PACKET, ""},
	    {0xffff, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(netfmt__sock_type(cases[i].v), cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inet),
	    cmocka_unit_test(test_unix_table),
	    cmocka_unit_test(test_unix_null_and_zero),
	    cmocka_unit_test(test_unix_full_length),
	    cmocka_unit_test(test_unix_cut_at_escape),
	    cmocka_unit_test(test_family_names),
	    cmocka_unit_test(test_sock_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for agent/jsonw.c: commas and nesting, string escaping (quotes,
 * backslashes, control bytes, embedded NULs), UTF-8 kept when well formed and
 * replaced byte by byte with U+FFFD when not, integer limits, bool and null.
 * Every document is checked twice: against its exact expected text, and by
 * parsing it with cJSON and comparing the values that come back. A strict
 * checker also confirms every output is well-formed UTF-8 with no raw control
 * bytes, which cJSON alone does not enforce. The fast paths (eight bytes
 * tested at a time, plain keys copied whole, integers without printf) are
 * compared byte for byte with plain references: a byte-at-a-time escaper and
 * snprintf.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

#define FFFD "\xef\xbf\xbd"

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if none,
 * from the Unicode standard's table of well-formed byte sequences (3-7).
 */
static size_t wellformed(const unsigned char *s, size_t n)
{
	static const struct {
		unsigned char lo0, hi0, lo1, hi1;
		size_t len;
	} rows[] = {
	    {0x00, 0x7f, 0, 0, 1},	 {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
	    {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
	    {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0)
			continue;
		if (rows[r].len > n)
			return 0;
		if (rows[r].len > 1 && (s[1] < rows[r].lo1 || s[1] > rows[r].hi1))
			return 0;
		for (size_t i = 2; i < rows[r].len; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		return rows[r].len;
	}
	return 0;
}

/* Output fit for one NDJSON line: well-formed UTF-8, no byte below 0x20. */
static void assert_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = wellformed(p + i, n - i);

		if (l == 0)
			fail_msg("byte %zu (0x%02x) of %s is not well-formed UTF-8", i, p[i], s);
		if (p[i] < 0x20)
			fail_msg("raw control byte 0x%02x at %zu of %s", p[i], i, s);
		i += l;
	}
}

/* Parse a whole document (nothing after it), or fail showing it. */
static cJSON *parse(const struct strbuf *sb)
{
	const char *end = NULL;
	cJSON *root;

	assert_false(sb->oom);
	assert_int_equal(strlen(sb->data), sb->len);
	assert_clean(sb->data, sb->len);
	root = cJSON_ParseWithOpts(sb->data, &end, true);
	if (!root)
		fail_msg("cJSON rejects %s near \"%s\"", sb->data, end ? end : "?");
	return root;
}

/* ---- escaping ---- */

struct esc_case {
	const char *name;
	const char *in;
	size_t len;
	const char *literal; /* exact output of jsonw__escape */
	const char *decoded; /* the string cJSON reads back; NULL when it holds a NUL */
};

#define IN(s) .in = s, .len = sizeof(s) - 1
#define SAME(n, s)                                                                                                     \
	{                                                                                                              \
		.name = n, IN(s), .literal = "\"" s "\"", .decoded = s                                                 \
	}

static const struct esc_case esc_cases[] = {
    SAME("plain", "hello"),
    SAME("empty", ""),
    SAME("slash is not escaped", "/a/b"),
    SAME("DEL is legal JSON", "\x7f"),
    {.name = "quote", IN("a\"b"), .literal = "\"a\\\"b\"", .decoded = "a\"b"},
    {.name = "backslash", IN("a\\b"), .literal = "\"a\\\\b\"", .decoded = "a\\b"},
    {.name = "newline tab return", IN("\n\t\r"), .literal = "\"\\n\\t\\r\"", .decoded = "\n\t\r"},
    {.name = "control 0x01", IN("\x01"), .literal = "\"\\u0001\"", .decoded = "\x01"},
    {.name = "backspace and form feed", IN("\b\f"), .literal = "\"\\u0008\\u000c\"", .decoded = "\b\f"},
    {.name = "control 0x1f", IN("x\x1f"), .literal = "\"x\\u001f\"", .decoded = "x\x1f"},
    {.name = "terminal escape", IN("\033[0m"), .literal = "\"\\u001b[0m\"", .decoded = "\033[0m"},
    {.name = "every escape together",
     IN("\"\\\n\x02z"),
     .literal = "\"\\\"\\\\\\n\\u0002z\"",
     .decoded = "\"\\\n\x02z"},
    SAME("U+0080", "\xc2\x80"),
    SAME("2-byte e acute", "h\xc3\xa9llo"),
    SAME("U+0800", "\xe0\xa0\x80"),
    SAME("3-byte euro", "\xe2\x82\xac"),
    SAME("U+D7FF", "\xed\x9f\xbf"),
    SAME("U+E000", "\xee\x80\x80"),
    SAME("U+FFFF", "\xef\xbf\xbf"),
    SAME("U+10000", "\xf0\x90\x80\x80"),
    SAME("4-byte emoji", "\xf0\x9f\x98\x80"),
    SAME("U+10FFFF", "\xf4\x8f\xbf\xbf"),
    {.name = "lone continuation", IN("\x80"), .literal = "\"\\ufffd\"", .decoded = FFFD},
    {.name = "continuation inside text",
     IN("a\xbf"
	"b"),
     .literal = "\"a\\ufffdb\"",
     .decoded = "a" FFFD "b"},
    {.name = "overlong C0 80", IN("\xc0\x80"), .literal = "\"\\ufffd\\ufffd\"", .decoded = FFFD FFFD},
    {.name = "overlong C1 BF", IN("\xc1\xbf"), .literal = "\"\\ufffd\\ufffd\"", .decoded = FFFD FFFD},
    {.name = "overlong E0 80 AF",
     IN("\xe0\x80\xaf"),
     .literal = "\"\\ufffd\\ufffd\\ufffd\"",
     .decoded = FFFD FFFD FFFD},
    {.name = "overlong F0 8F BF BF",
     IN("\xf0\x8f\xbf\xbf"),
     .literal = "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
     .decoded = FFFD FFFD FFFD FFFD},
    {.name = "surrogate ED A0 80",
     IN("\xed\xa0\x80"),
     .literal = "\"\\ufffd\\ufffd\\ufffd\"",
     .decoded = FFFD FFFD FFFD},
    {.name = "surrogate ED BF BF",
     IN("\xed\xbf\xbf"),
     .literal = "\"\\ufffd\\ufffd\\ufffd\"",
     .decoded = FFFD FFFD FFFD},
    {.name = "3-byte sequence cut at the end",
     IN("ok\xe2\x82"),
     .literal = "\"ok\\ufffd\\ufffd\"",
     .decoded = "ok" FFFD FFFD},
    {.name = "4-byte sequence cut at the end",
     IN("\xf0\x9f\x98"),
     .literal = "\"\\ufffd\\ufffd\\ufffd\"",
     .decoded = FFFD FFFD FFFD},
    {.name = "sequence cut by ASCII",
     IN("\xe2\x82"
	"a"),
     .literal = "\"\\ufffd\\ufffda\"",
     .decoded = FFFD FFFD "a"},
    {.name = "lead byte then a quote", IN("\xc3\""), .literal = "\"\\ufffd\\\"\"", .decoded = FFFD "\""},
    {.name = "past U+10FFFF: F4 90 80 80",
     IN("\xf4\x90\x80\x80"),
     .literal = "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
     .decoded = FFFD FFFD FFFD FFFD},
    {.name = "F5 lead",
     IN("\xf5\x80\x80\x80"),
     .literal = "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
     .decoded = FFFD FFFD FFFD FFFD},
    {.name = "FE and FF", IN("\xfe\xff"), .literal = "\"\\ufffd\\ufffd\"", .decoded = FFFD FFFD},
    {.name = "valid after invalid", IN("\xff\xc3\xa9"), .literal = "\"\\ufffd\xc3\xa9\"", .decoded = FFFD "\xc3\xa9"},
    {.name = "embedded NUL", IN("a\0b"), .literal = "\"a\\u0000b\"", .decoded = NULL},
    {.name = "only a NUL", IN("\0"), .literal = "\"\\u0000\"", .decoded = NULL},
};

static void test_escape_table(void **state)
{
	for (size_t i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		const struct esc_case *c = &esc_cases[i];
		struct strbuf sb = STRBUF_INIT;
		/* Input in an exactly-sized block: nothing past len may be read. */
		char *in = malloc(c->len ? c->len : 1);
		struct jsonw w;
		cJSON *root, *item;

		assert_non_null(in);
		memcpy(in, c->in, c->len);
		jsonw__escape(&sb, in, c->len);
		if (strcmp(sb.data, c->literal) != 0)
			fail_msg("\"%s\": escaped to %s, want %s", c->name, sb.data, c->literal);
		assert_int_equal(sb.len, strlen(c->literal));

		/* The same bytes as a key and as a value of one object. */
		strbuf__reset(&sb);
		jsonw__init(&w, &sb);
		jsonw__obj_open(&w, NULL);
		jsonw__strn(&w, "v", in, c->len);
		jsonw__obj_close(&w);
		root = parse(&sb);
		item = cJSON_GetObjectItemCaseSensitive(root, "v");
		assert_true(cJSON_IsString(item));
		if (c->decoded && strcmp(item->valuestring, c->decoded) != 0)
			fail_msg("\"%s\": reads back as \"%s\"", c->name, item->valuestring);
		if (!c->decoded)
			assert_string_equal(item->valuestring, c->in); /* cJSON stops at the NUL */
		cJSON_Delete(root);

		if (c->decoded) {
			char *key = strndup(c->in, c->len);

			assert_non_null(key);
			strbuf__reset(&sb);
			jsonw__init(&w, &sb);
			jsonw__obj_open(&w, NULL);
			jsonw__int(&w, key, 7);
			jsonw__obj_close(&w);
			root = parse(&sb);
			assert_non_null(root->child);
			if (strcmp(root->child->string, c->decoded) != 0)
				fail_msg("\"%s\": key reads back as \"%s\"", c->name, root->child->string);
			assert_int_equal(root->child->valueint, 7);
			cJSON_Delete(root);
			free(key);
		}
		free(in);
		strbuf__free(&sb);
	}
}

/* Reference rendering of bytes as the string a reader gets: well-formed
 * sequences kept, every other byte one U+FFFD. */
static void reference_decode(const unsigned char *in, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n;) {
		size_t l = wellformed(in + i, n - i);

		if (l) {
			strbuf__append(out, (const char *)in + i, l);
			i += l;
		} else {
			strbuf__puts(out, FFFD);
			i++;
		}
	}
}

/* Random byte strings (no NUL, which cJSON cannot hand back) round-trip to the reference. */
static void test_escape_random(void **state)
{
	static const unsigned char pool[] = {'a',  '"',	 '\\', '\n', 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0,
					     0xc2, 0xc3, 0xa9, 0xe0, 0xa0, 0xed, 0x9f, 0xef, 0xbf, 0xf0,
					     0x90, 0xf4, 0x8f, 0xf5, 0xff, 0x9f, 0x98, 0x82, 0xe2, 0xac};
	unsigned seed = 12345;
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;

	for (int iter = 0; iter < 5000; iter++) {
		unsigned char in[48];
		size_t n;
		struct jsonw w;
		cJSON *root;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(in);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (seed >> 16) & 1 ? pool[(seed >> 17) % sizeof(pool)]
						 : (unsigned char)(1 + (seed >> 20) % 255);
		}
		strbuf__reset(&sb);
		strbuf__reset(&want);
		jsonw__init(&w, &sb);
		jsonw__arr_open(&w, NULL);
		jsonw__strn(&w, NULL, (const char *)in, n);
		jsonw__arr_close(&w);
		root = parse(&sb);
		reference_decode(in, n, &want);
		assert_true(cJSON_IsString(root->child));
		if (strcmp(root->child->valuestring, want.data ? want.data : "") != 0)
			fail_msg("iteration %d: %s reads back wrong", iter, sb.data);
		cJSON_Delete(root);
	}
	strbuf__free(&sb);
	strbuf__free(&want);
}

/* The escaper's output byte by byte, written the simplest way: what
 * jsonw__escape must produce exactly, whatever shortcuts it takes. */
static void reference_escape(const unsigned char *in, size_t n, struct strbuf *out)
{
	strbuf__putc(out, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = in[i];
		size_t l;

		if (c == '"' || c == '\\') {
			strbuf__putc(out, '\\');
			strbuf__putc(out, (char)c);
		} else if (c == '\n') {
			strbuf__puts(out, "\\n");
		} else if (c == '\t') {
			strbuf__puts(out, "\\t");
		} else if (c == '\r') {
			strbuf__puts(out, "\\r");
		} else if (c < 0x20) {
			strbuf__printf(out, "\\u%04x", c);
		} else if (c < 0x80) {
			strbuf__putc(out, (char)c);
		} else if ((l = wellformed(in + i, n - i)) > 0) {
			strbuf__append(out, (const char *)in + i, l);
			i += l;
			continue;
		} else {
			strbuf__puts(out, "\\ufffd");
		}
		i++;
	}
	strbuf__putc(out, '"');
}

/* jsonw__escape of n bytes from an exactly-sized copy (so a read past the
 * end shows under ASan) equals the reference. */
static void expect_escape_as_reference(const unsigned char *in, size_t n, const char *what)
{
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
	char *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	memcpy(copy, in, n);
	jsonw__escape(&got, copy, n);
	reference_escape(in, n, &want);
	assert_false(got.oom);
	if (got.len != want.len || memcmp(got.data, want.data, want.len) != 0)
		fail_msg("%s (%zu bytes): escaped to %s, want %s", what, n, got.data, want.data);
	assert_int_equal(got.data[got.len], '\0');
	free(copy);
	strbuf__free(&got);
	strbuf__free(&want);
}

/* One byte (or sequence) that needs care, at every position of plain runs of
 * every length up to 40: before, inside and after each 8-byte word. */
static void test_escape_word_boundaries(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
	} odd[] = {
	    {"\0", 1},
	    {"\x01", 1},
	    {"\n", 1},
	    {"\x1f", 1},
	    {"\"", 1},
	    {"\\", 1},
	    {" ", 1},
	    {"\x7f", 1},
	    {"\x80", 1},
	    {"\xff", 1},
	    {"\xc3\xa9", 2},
	    {"\xe2\x82\xac", 3},
	    {"\xe2\x82", 2},
	    {"\xf0\x9f\x98\x80", 4},
	    {"\xed\xa0\x80", 3},
	};
	unsigned char in[48];

	for (size_t len = 0; len <= 40; len++) {
		memset(in, 'a', sizeof(in));
		expect_escape_as_reference(in, len, "plain");
		for (size_t o = 0; o < sizeof(odd) / sizeof(odd[0]); o++) {
			for (size_t pos = 0; pos + odd[o].len <= len; pos++) {
				memset(in, 'a', sizeof(in));
				memcpy(in + pos, odd[o].bytes, odd[o].len);
				expect_escape_as_reference(in, len, "one odd sequence");
				/* A second one at the end: two runs to flush. */
				if (len >= 1 && pos + odd[o].len < len) {
					in[len - 1] = '"';
					expect_escape_as_reference(in, len, "two odd sequences");
				}
			}
		}
	}
	/* Every byte value, at each place of a 17-byte run. */
	for (unsigned b = 0; b < 256; b++) {
		for (size_t pos = 0; pos < 17; pos++) {
			memset(in, 'z', sizeof(in));
			in[pos] = (unsigned char)b;
			expect_escape_as_reference(in, 17, "byte value");
		}
	}
}

/* Random bytes (NULs included) of up to 120 bytes: exactly the reference. */
static void test_escape_random_exact(void **state)
{
	unsigned seed = 99;

	for (int iter = 0; iter < 20000; iter++) {
		unsigned char in[120];
		size_t n;
		unsigned mode;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(in);
		mode = (seed >> 8) % 3;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly plain ASCII, so runs are long; or any byte at all. */
			if (mode == 0 || (seed >> 16) % 16)
				in[i] = (unsigned char)(0x20 + (seed >> 17) % 0x60);
			else
				in[i] = (unsigned char)(seed >> 20);
		}
		expect_escape_as_reference(in, n, "random");
	}
}

/* A key and value written into a buffer with exactly `room` bytes free (NUL
 * included) after "{" or after a first member: the plain-key shortcut must
 * write what the escaper writes, at every size it does and does not fit. */
static void test_key_at_capacity(void **state)
{
	/* Plain keys of every length modulo 4, odd bytes at every position modulo 4. */
	static const char *const keys[] = {"pid",	  "",
					   "a",		  "ab",
					   "abcd",	  "abcdef",
					   "ab\ncd",	  "tab\tkey",
					   "del\x7f",	  "caf\xc3\xa9",
					   "bad\xff",	  "q\"",
					   "back\\slash", "a_rather_long_key_name_for_a_field_0123"};

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t n = strlen(keys[k]);
		struct strbuf lit = STRBUF_INIT;

		jsonw__escape(&lit, keys[k], n);
		for (int second = 0; second < 2; second++) {
			for (size_t room = 1; room < n + 12; room++) {
				struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
				struct jsonw w;

				strbuf__putc(&sb, '>');
				/* The writer's output starts here: '{', then maybe "x":1. */
				while (sb.len < sb.cap - room - (second ? 6 : 1))
					strbuf__putc(&sb, '.');
				strbuf__append(&want, sb.data, sb.len);
				jsonw__init(&w, &sb);
				jsonw__obj_open(&w, NULL);
				strbuf__putc(&want, '{');
				if (second) {
					jsonw__int(&w, "x", 1);
					strbuf__puts(&want, "\"x\":1,");
				}
				assert_int_equal(sb.cap - sb.len, room);
				jsonw__int(&w, keys[k], 7);
				jsonw__obj_close(&w);
				strbuf__append(&want, lit.data, lit.len);
				strbuf__puts(&want, ":7}");
				assert_false(sb.oom);
				if (sb.len != want.len || memcmp(sb.data, want.data, want.len) != 0)
					fail_msg("key %zu, room %zu: %s, want %s", k, room, sb.data, want.data);
				assert_int_equal(sb.data[sb.len], '\0');
				strbuf__free(&sb);
				strbuf__free(&want);
			}
		}
		strbuf__free(&lit);
	}
}

/* One integer as the whole document "[v]", compared with snprintf. */
static void expect_int(int64_t v)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	char want[32];

	snprintf(want, sizeof(want), "[%" PRId64 "]", v);
	jsonw__init(&w, &sb);
	jsonw__arr_open(&w, NULL);
	jsonw__int(&w, NULL, v);
	jsonw__arr_close(&w);
	if (strcmp(sb.data, want) != 0)
		fail_msg("int %" PRId64 ": %s", v, sb.data);
	assert_int_equal(sb.len, strlen(want));
	strbuf__free(&sb);
}

static void expect_uint(uint64_t v)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	char want[32];

	snprintf(want, sizeof(want), "[%" PRIu64 "]", v);
	jsonw__init(&w, &sb);
	jsonw__arr_open(&w, NULL);
	jsonw__uint(&w, NULL, v);
	jsonw__arr_close(&w);
	if (strcmp(sb.data, want) != 0)
		fail_msg("uint %" PRIu64 ": %s", v, sb.data);
	assert_int_equal(sb.len, strlen(want));
	strbuf__free(&sb);
}

/* Every number of digits: each power of ten, one less and one more, both
 * signs; the limits; then random values of every magnitude. */
static void test_integer_digits(void **state)
{
	static const uint64_t edges[] = {0,
					 1,
					 9,
					 10,
					 99,
					 100,
					 UINT32_MAX,
					 (uint64_t)UINT32_MAX + 1,
					 INT64_MAX,
					 (uint64_t)INT64_MAX + 1,
					 UINT64_MAX - 1,
					 UINT64_MAX};
	static const int64_t sedges[] = {
	    0, 1, -1, 9, -9, 10, -10, INT32_MIN, INT32_MAX, INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1};
	uint64_t p = 1, x = 0x9e3779b97f4a7c15ull;

	for (int d = 0; d < 20; d++) {
		expect_uint(p - 1);
		expect_uint(p);
		expect_uint(p + 1);
		if (p <= (uint64_t)INT64_MAX) {
			expect_int((int64_t)p);
			expect_int((int64_t)p - 1);
			expect_int(-(int64_t)p);
			expect_int(-(int64_t)p + 1);
			expect_int(-(int64_t)p - 1);
		}
		if (d < 19)
			p *= 10;
	}
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		expect_uint(edges[i]);
	for (size_t i = 0; i < sizeof(sedges) / sizeof(sedges[0]); i++)
		expect_int(sedges[i]);
	for (int i = 0; i < 20000; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		expect_uint((x * 2685821657736338717ull) >> (i % 64));
		expect_int((int64_t)(x * 2685821657736338717ull) >> (i % 64));
	}
}

/* ---- documents ---- */

static void test_nested(void **state)
{
	static const char want[] = "{\"a\":1,\"b\":[1,2,{\"c\":null},[]],\"d\":{},\"e\":[],\"f\":{\"g\":[[]]},"
				   "\"h\":true,\"i\":false,\"j\":\"x\",\"k\":null}";
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	cJSON *root, *b;

	jsonw__init(&w, &sb);
	jsonw__obj_open(&w, NULL);
	jsonw__int(&w, "a", 1);
	jsonw__arr_open(&w, "b");
	jsonw__int(&w, NULL, 1);
	jsonw__uint(&w, NULL, 2);
	jsonw__obj_open(&w, NULL);
	jsonw__null(&w, "c");
	jsonw__obj_close(&w);
	jsonw__arr_open(&w, NULL);
	jsonw__arr_close(&w);
	jsonw__arr_close(&w);
	jsonw__obj_open(&w, "d");
	jsonw__obj_close(&w);
	jsonw__arr_open(&w, "e");
	jsonw__arr_close(&w);
	jsonw__obj_open(&w, "f");
	jsonw__arr_open(&w, "g");
	jsonw__arr_open(&w, NULL);
	jsonw__arr_close(&w);
	jsonw__arr_close(&w);
	jsonw__obj_close(&w);
	jsonw__bool(&w, "h", true);
	jsonw__bool(&w, "i", false);
	jsonw__str(&w, "j", "x");
	jsonw__str(&w, "k", NULL);
	jsonw__obj_close(&w);
	assert_string_equal(sb.data, want);

	root = parse(&sb);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valueint, 1);
	b = cJSON_GetObjectItemCaseSensitive(root, "b");
	assert_int_equal(cJSON_GetArraySize(b), 4);
	assert_int_equal(cJSON_GetArrayItem(b, 1)->valueint, 2);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(b, 2), "c")));
	assert_true(cJSON_IsArray(cJSON_GetArrayItem(b, 3)));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "h")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "i")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "j")->valuestring, "x");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "k")));
	cJSON_Delete(root);
	strbuf__free(&sb);
}

static void test_top_level_array_and_nul(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	cJSON *root;

	jsonw__init(&w, &sb);
	jsonw__arr_open(&w, NULL);
	jsonw__strn(&w, NULL, "a\0b", 3);
	jsonw__str(&w, NULL, "x");
	jsonw__strn(&w, NULL, "yz", 1);
	jsonw__strn(&w, NULL, NULL, 0);
	jsonw__arr_close(&w);
	assert_string_equal(sb.data, "[\"a\\u0000b\",\"x\",\"y\",\"\"]");
	root = parse(&sb);
	assert_int_equal(cJSON_GetArraySize(root), 4);
	assert_string_equal(cJSON_GetArrayItem(root, 1)->valuestring, "x");
	assert_string_equal(cJSON_GetArrayItem(root, 2)->valuestring, "y");
	assert_string_equal(cJSON_GetArrayItem(root, 3)->valuestring, "");
	cJSON_Delete(root);
	strbuf__free(&sb);
}

static void test_keys_escaped(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	cJSON *root;

	jsonw__init(&w, &sb);
	jsonw__obj_open(&w, NULL);
	jsonw__int(&w, "k\"ey\n", 1);
	jsonw__str(&w, "\xff", "v");
	jsonw__obj_open(&w, "\\");
	jsonw__obj_close(&w);
	jsonw__obj_close(&w);
	assert_string_equal(sb.data, "{\"k\\\"ey\\n\":1,\"\\ufffd\":\"v\",\"\\\\\":{}}");
	root = parse(&sb);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "k\"ey\n")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, FFFD)->valuestring, "v");
	assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "\\")));
	cJSON_Delete(root);
	strbuf__free(&sb);
}

static void test_integers(void **state)
{
	static const char want[] = "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
				   "\"umax\":18446744073709551615,\"zero\":0,\"neg\":-1,\"uzero\":0}";
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	cJSON *root;

	jsonw__init(&w, &sb);
	jsonw__obj_open(&w, NULL);
	jsonw__int(&w, "min", INT64_MIN);
	jsonw__int(&w, "max", INT64_MAX);
	jsonw__uint(&w, "umax", UINT64_MAX);
	jsonw__int(&w, "zero", 0);
	jsonw__int(&w, "neg", -1);
	jsonw__uint(&w, "uzero", 0);
	jsonw__obj_close(&w);
	assert_string_equal(sb.data, want);
	root = parse(&sb);
	/* cJSON keeps numbers as doubles: these are exact powers of two. */
	assert_true(cJSON_GetObjectItemCaseSensitive(root, "min")->valuedouble == -9223372036854775808.0);
	assert_true(cJSON_GetObjectItemCaseSensitive(root, "umax")->valuedouble == 18446744073709551616.0);
	assert_true(cJSON_GetObjectItemCaseSensitive(root, "neg")->valuedouble == -1.0);
	cJSON_Delete(root);
	strbuf__free(&sb);
}

/* The writer appends; a second document after a reset of the writer starts without a comma. */
static void test_appends(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;

	strbuf__puts(&sb, "x=");
	jsonw__init(&w, &sb);
	jsonw__obj_open(&w, NULL);
	jsonw__int(&w, "a", 1);
	jsonw__obj_close(&w);
	strbuf__putc(&sb, '\n');
	jsonw__init(&w, &sb);
	jsonw__arr_open(&w, NULL);
	jsonw__bool(&w, NULL, true);
	jsonw__arr_close(&w);
	assert_string_equal(sb.data, "x={\"a\":1}\n[true]");
	strbuf__free(&sb);
}

/* Members rendered by a jsonw of their own, added as text: the same bytes as
 * writing them in place, commas included, before and after. */
static void test_members(void **state)
{
	struct strbuf frag = STRBUF_INIT, sb = STRBUF_INIT, want = STRBUF_INIT;
	struct jsonw w, fw;

	jsonw__init(&fw, &frag);
	jsonw__str(&fw, "exe", "/bin/\"x\"");
	jsonw__obj_open(&fw, "c");
	jsonw__null(&fw, "id");
	jsonw__obj_close(&fw);
	assert_string_equal(frag.data, "\"exe\":\"/bin/\\\"x\\\"\",\"c\":{\"id\":null}");

	/* First in an object, after a member, empty, and followed by one. */
	jsonw__init(&w, &sb);
	jsonw__obj_open(&w, NULL);
	jsonw__members(&w, frag.data, frag.len);
	jsonw__int(&w, "n", 1);
	jsonw__members(&w, frag.data, frag.len);
	jsonw__members(&w, "", 0);
	jsonw__obj_open(&w, "o");
	jsonw__members(&w, "", 0);
	jsonw__int(&w, "m", 2);
	jsonw__obj_close(&w);
	jsonw__obj_close(&w);

	jsonw__init(&w, &want);
	jsonw__obj_open(&w, NULL);
	jsonw__str(&w, "exe", "/bin/\"x\"");
	jsonw__obj_open(&w, "c");
	jsonw__null(&w, "id");
	jsonw__obj_close(&w);
	jsonw__int(&w, "n", 1);
	jsonw__str(&w, "exe", "/bin/\"x\"");
	jsonw__obj_open(&w, "c");
	jsonw__null(&w, "id");
	jsonw__obj_close(&w);
	jsonw__obj_open(&w, "o");
	jsonw__int(&w, "m", 2);
	jsonw__obj_close(&w);
	jsonw__obj_close(&w);
	assert_string_equal(sb.data, want.data);
	cJSON_Delete(parse(&sb));
	strbuf__free(&frag);
	strbuf__free(&sb);
	strbuf__free(&want);
}

/* Nesting as deep as the writer tracks commas for. */
static void test_deep_nesting(void **state)
{
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct jsonw w;
	const int levels = JSONW_MAX_DEPTH - 1;
	cJSON *root, *a;

	jsonw__init(&w, &sb);
	for (int i = 0; i < levels; i++) {
		jsonw__arr_open(&w, NULL);
		jsonw__int(&w, NULL, i);
		strbuf__printf(&want, "%s[%d", i ? "," : "", i);
	}
	for (int i = 0; i < levels; i++) {
		/* A sibling after each inner array, so a lost comma state shows. */
		if (i)
			jsonw__str(&w, NULL, "s");
		jsonw__arr_close(&w);
		strbuf__puts(&want, i ? ",\"s\"]" : "]");
	}
	assert_string_equal(sb.data, want.data);
	root = parse(&sb);
	a = root;
	for (int i = 0; i < levels; i++) {
		assert_true(cJSON_IsArray(a));
		assert_int_equal(cJSON_GetArrayItem(a, 0)->valueint, i);
		a = cJSON_GetArrayItem(a, 1);
	}
	cJSON_Delete(root);
	strbuf__free(&sb);
	strbuf__free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape_table),
	    cmocka_unit_test(test_escape_random),
	    cmocka_unit_test(test_nested),
	    cmocka_unit_test(test_top_level_array_and_nul),
	    cmocka_unit_test(test_keys_escaped),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_appends),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_members),
	    cmocka_unit_test(test_escape_word_boundaries),
	    cmocka_unit_test(test_escape_random_exact),
	    cmocka_unit_test(test_key_at_capacity),
	    cmocka_unit_test(test_integer_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

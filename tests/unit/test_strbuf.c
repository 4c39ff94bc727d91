/*
 * Unit tests for agent/strbuf: the appends inline in strbuf.h (the path
 * that copies without a call when the bytes and the NUL fit) and the slow
 * path that grows the buffer, at and around every capacity boundary:
 * exactly full, one byte short, an empty buffer that has no memory yet.
 * After every operation the content is compared with a reference copy and
 * the NUL the header promises is checked; growing keeps the content, reset
 * keeps the memory, free accepts anything.
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

#include "strbuf.h"

/* The reference the buffer must match: what was appended, in order. */
struct ref {
	char bytes[8192];
	size_t len;
};

static void ref_add(struct ref *r, const char *s, size_t n)
{
	assert_true(r->len + n <= sizeof(r->bytes));
	memcpy(r->bytes + r->len, s, n);
	r->len += n;
}

/* The content equals the reference and is NUL-terminated (cap > 0 always
 * holds here: something was appended). */
static void expect_ref(const struct strbuf *sb, const struct ref *r)
{
	assert_false(sb->oom);
	assert_int_equal(sb->len, r->len);
	assert_non_null(sb->data);
	assert_true(sb->len < sb->cap);
	assert_memory_equal(sb->data, r->bytes, r->len);
	assert_int_equal(sb->data[sb->len], '\0');
}

/* Fill sb with 'x' up to len bytes (its capacity already larger). */
static void fill_to(struct strbuf *sb, struct ref *r, size_t len)
{
	while (sb->len < len) {
		strbuf__putc(sb, 'x');
		ref_add(r, "x", 1);
	}
}

static void test_first_append_allocates(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT, d = STRBUF_INIT;

	/* Nothing allocated yet: every kind of append takes the slow path. */
	strbuf__putc(&a, 'q');
	assert_string_equal(a.data, "q");
	assert_int_equal(a.len, 1);
	assert_true(a.cap >= 2);
	strbuf__append(&b, "abc", 3);
	assert_string_equal(b.data, "abc");
	strbuf__puts(&c, "hello");
	assert_string_equal(c.data, "hello");
	assert_int_equal(c.len, 5);
	/* An empty append still makes the buffer a valid empty string. */
	strbuf__append(&d, "", 0);
	assert_non_null(d.data);
	assert_string_equal(d.data, "");
	assert_int_equal(d.len, 0);
	strbuf__free(&a);
	strbuf__free(&b);
	strbuf__free(&c);
	strbuf__free(&d);
}

/* append with the bytes and the NUL filling the buffer exactly: no growth;
 * one byte more: growth, content kept. */
static void test_append_exactly_full(void **state)
{
	static const char chunk[] = "0123456789abcdefghijklmnopqrstuvwxyz";

	for (size_t n = 1; n < sizeof(chunk); n++) {
		struct strbuf sb = STRBUF_INIT;
		struct ref r = {0};
		size_t cap;
		char *data;

		strbuf__putc(&sb, '<');
		ref_add(&r, "<", 1);
		cap = sb.cap;
		/* Leave exactly n bytes and the NUL free. */
		fill_to(&sb, &r, cap - 1 - n);
		data = sb.data;
		strbuf__append(&sb, chunk, n);
		ref_add(&r, chunk, n);
		expect_ref(&sb, &r);
		assert_int_equal(sb.len, cap - 1);
		assert_int_equal(sb.cap, cap);
		assert_ptr_equal(sb.data, data);

		/* Full (only the NUL's byte left): the next byte grows it. */
		strbuf__append(&sb, chunk, 1);
		ref_add(&r, chunk, 1);
		expect_ref(&sb, &r);
		assert_true(sb.cap > cap);
		strbuf__free(&sb);

		/* One byte more than fits: grows, keeps everything. */
		sb = (struct strbuf)STRBUF_INIT;
		r.len = 0;
		strbuf__putc(&sb, '<');
		ref_add(&r, "<", 1);
		fill_to(&sb, &r, cap - n);
		strbuf__append(&sb, chunk, n);
		ref_add(&r, chunk, n);
		expect_ref(&sb, &r);
		assert_true(sb.cap > cap);
		strbuf__free(&sb);
	}
}

/* putc with two bytes free (the byte and the NUL): fits; with one: grows. */
static void test_putc_exactly_full(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct ref r = {0};
	size_t cap;
	char *data;

	strbuf__putc(&sb, 'a');
	ref_add(&r, "a", 1);
	cap = sb.cap;
	fill_to(&sb, &r, cap - 2);
	data = sb.data;
	strbuf__putc(&sb, 'y');
	ref_add(&r, "y", 1);
	expect_ref(&sb, &r);
	assert_int_equal(sb.len, cap - 1);
	assert_int_equal(sb.cap, cap);
	assert_ptr_equal(sb.data, data);
	strbuf__putc(&sb, 'z');
	ref_add(&r, "z", 1);
	expect_ref(&sb, &r);
	assert_true(sb.cap > cap);
	strbuf__free(&sb);
}

/* Bytes that are not text: NULs and high bytes are counted and kept; the
 * terminating NUL follows them. */
static void test_binary_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct ref r = {0};

	strbuf__append(&sb, "a\0b", 3);
	ref_add(&r, "a\0b", 3);
	strbuf__putc(&sb, '\0');
	ref_add(&r, "\0", 1);
	strbuf__putc(&sb, (char)0xff);
	ref_add(&r, "\xff", 1);
	expect_ref(&sb, &r);
	assert_int_equal(sb.len, 5);
	strbuf__free(&sb);
}

/* Appends of every size from 0 to 300 bytes, mixed with putc, puts and
 * printf, across several doublings: the content always matches. */
static void test_mixed_sizes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct ref r = {0};
	char src[301];
	unsigned seed = 7;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (char)('A' + i % 26);
	for (int round = 0; round < 2; round++) {
		for (size_t n = 0; n <= 300 && r.len + 400 < sizeof(r.bytes); n += 7) {
			char num[32];
			int k;

			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 4) {
			case 0:
				strbuf__append(&sb, src, n);
				ref_add(&r, src, n);
				break;
			case 1:
				strbuf__putc(&sb, src[n % 26]);
				ref_add(&r, src + n % 26, 1);
				break;
			case 2:
				strbuf__puts(&sb, "puts");
				ref_add(&r, "puts", 4);
				break;
			default:
				k = snprintf(num, sizeof(num), "[%zu]", n);
				strbuf__printf(&sb, "[%zu]", n);
				ref_add(&r, num, (size_t)k);
			}
			expect_ref(&sb, &r);
		}
		/* Reset keeps the memory and starts over with an empty string. */
		{
			size_t cap = sb.cap;
			char *data = sb.data;

			strbuf__reset(&sb);
			assert_int_equal(sb.len, 0);
			assert_int_equal(sb.cap, cap);
			assert_ptr_equal(sb.data, data);
			assert_string_equal(sb.data, "");
			r.len = 0;
		}
	}
	strbuf__free(&sb);
}

/* printf right up to the end of the buffer, and past it. */
static void test_printf_boundaries(void **state)
{
	for (size_t pad = 0; pad < 8; pad++) {
		struct strbuf sb = STRBUF_INIT;
		struct ref r = {0};
		size_t cap;

		strbuf__putc(&sb, '-');
		ref_add(&r, "-", 1);
		cap = sb.cap;
		/* "%05d" needs 6 bytes with the NUL: room from 3 more to 4 fewer. */
		fill_to(&sb, &r, cap - 1 - 5 - 3 + pad);
		strbuf__printf(&sb, "%05d", 42);
		ref_add(&r, "00042", 5);
		expect_ref(&sb, &r);
		strbuf__putc(&sb, '!');
		ref_add(&r, "!", 1);
		expect_ref(&sb, &r);
		strbuf__free(&sb);
	}
}

static void test_free_and_reset_unused(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf__reset(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	strbuf__free(&sb);
	strbuf__free(NULL);
	/* Usable again after free. */
	strbuf__puts(&sb, "again");
	assert_string_equal(sb.data, "again");
	strbuf__free(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.cap, 0);
}

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer stops the program at an allocation it cannot serve;
 * here it returns NULL like malloc, so the test below runs in that build
 * too. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

/* An allocation that fails sets oom and leaves the content as it was. */
static void test_oom_keeps_content(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	static const char one = 'x';
	/* Far more than any machine can give; never read (the grow fails
	 * first). volatile: the compiler must not see the size. */
	volatile size_t huge = SIZE_MAX / 4;

	strbuf__puts(&sb, "kept");
	strbuf__append(&sb, &one, huge);
	assert_true(sb.oom);
	assert_int_equal(sb.len, 4);
	assert_string_equal(sb.data, "kept");
	strbuf__reset(&sb);
	assert_false(sb.oom);
	strbuf__free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_append_allocates),
	    cmocka_unit_test(test_append_exactly_full),
	    cmocka_unit_test(test_putc_exactly_full),
	    cmocka_unit_test(test_binary_bytes),
	    cmocka_unit_test(test_mixed_sizes),
	    cmocka_unit_test(test_printf_boundaries),
	    cmocka_unit_test(test_free_and_reset_unused),
	    cmocka_unit_test(test_oom_keeps_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * jsonw: streaming JSON writer (see jsonw.h).
 */
#include <string.h>

#include "jsonw.h"

void jsonw__init(struct jsonw *w, struct strbuf *out)
{
	w->out = out;
	w->depth = 0;
	w->need_comma[0] = false;
}

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Bytes a JSON string holds as they are: printable ASCII but '"' and '\\'
 * (DEL is legal). The rest needs an escape (control bytes, '"', '\\') or a
 * UTF-8 check (0x80 and up). A table, so the scan of a plain run is one load
 * and one test a byte.
 */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xa0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xb0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xc0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xd0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xe0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xf0 */
};

/* The escape of a byte that is not plain and not the start of well-formed UTF-8. */
static void escape_byte(struct strbuf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

	switch (c) {
	case '"':
	case '\\':
		e[1] = (char)c;
		strbuf__append(out, e, 2);
		break;
	case '\n':
		strbuf__append(out, "\\n", 2);
		break;
	case '\t':
		strbuf__append(out, "\\t", 2);
		break;
	case '\r':
		strbuf__append(out, "\\r", 2);
		break;
	default:
		/* Other control bytes as \u00xx; a byte of invalid UTF-8 as U+FFFD. */
		if (c < 0x20)
			strbuf__append(out, e, 6);
		else
			strbuf__append(out, "\\ufffd", 6);
	}
}

/*
 * Whether all 8 bytes at p are plain, tested as one word x. (y - k*ones) & ~y
 * & high is the classic test for "some byte of y is below k": when no byte
 * of y has its high bit set, it is nonzero exactly when one is. With y = x
 * and k = 0x20 it finds control bytes; with y = x ^ '"'*ones or x ^ '\\'*ones
 * and k = 1, a '"' or a '\\' (a zero byte after the xor); x & high finds the
 * bytes of 0x80 and up, which is what the other tests assume absent. Exact
 * for the word as a whole, whatever the byte order.
 */
static inline bool word_plain(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t x, q, b;

	memcpy(&x, p, 8); /* an unaligned load */
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	return ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & high) == 0;
}

void jsonw__escape(struct strbuf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* p[run..i) is copied as is, in one append */
	size_t l;

	strbuf__putc(out, '"');
	while (i < n) {
		/* The plain run: eight bytes at a time while eight are left, then
		 * byte by byte up to the byte that needs care or the end. */
		while (i + 8 <= n && word_plain(p + i))
			i += 8;
		while (i < n && plain[p[i]])
			i++;
		if (i == n)
			break;
		/* Well-formed UTF-8 is copied as is too: it extends the run. */
		if (p[i] >= 0x80 && (l = utf8_len(p + i, n - i)) > 0) {
			i += l;
			continue;
		}
		if (i > run)
			strbuf__append(out, (const char *)p + run, i - run);
		escape_byte(out, p[i]);
		run = ++i;
	}
	if (i > run)
		strbuf__append(out, (const char *)p + run, i - run);
	strbuf__putc(out, '"');
}

/* How many bytes of the C string s are plain: the scan stops at its NUL,
 * which is not plain. Four a round: each byte is read only once the one
 * before it was found plain, so never past the NUL. */
static size_t plain_prefix(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (;; n += 4) {
		if (!plain[p[n]])
			return n;
		if (!plain[p[n + 1]])
			return n + 1;
		if (!plain[p[n + 2]])
			return n + 2;
		if (!plain[p[n + 3]])
			return n + 3;
	}
}

/* Comma and key before a value. */
static void prefix(struct jsonw *w, const char *key)
{
	struct strbuf *out = w->out;
	bool comma = w->need_comma[w->depth];
	size_t n;

	w->need_comma[w->depth] = true;
	if (!key) {
		if (comma)
			strbuf__putc(out, ',');
		return;
	}
	/* Keys are mostly the schema's own names, plain ASCII: comma, quotes,
	 * key and colon in one copy when they fit, the same bytes the escape
	 * would write. Any other key goes the general way. */
	n = plain_prefix(key);
	/* Room for ,"key": (n + 4 bytes at most) and the NUL strbuf keeps. */
	if (key[n] == '\0' && n + 4 < out->cap - out->len) {
		char *d = out->data + out->len;

		*d = ',';
		d += comma;
		*d++ = '"';
		memcpy(d, key, n);
		d += n;
		*d++ = '"';
		*d++ = ':';
		*d = '\0';
		out->len = (size_t)(d - out->data);
		return;
	}
	if (comma)
		strbuf__putc(out, ',');
	jsonw__escape(out, key, n + strlen(key + n));
	strbuf__putc(out, ':');
}

static void open_container(struct jsonw *w, const char *key, char c)
{
	prefix(w, key);
	strbuf__putc(w->out, c);
	if (w->depth + 1 < JSONW_MAX_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_container(struct jsonw *w, char c)
{
	strbuf__putc(w->out, c);
	if (w->depth > 0)
		w->depth--;
}

void jsonw__obj_open(struct jsonw *w, const char *key)
{
	open_container(w, key, '{');
}

void jsonw__obj_close(struct jsonw *w)
{
	close_container(w, '}');
}

void jsonw__arr_open(struct jsonw *w, const char *key)
{
	open_container(w, key, '[');
}

void jsonw__arr_close(struct jsonw *w)
{
	close_container(w, ']');
}

void jsonw__strn(struct jsonw *w, const char *key, const char *val, size_t n)
{
	prefix(w, key);
	jsonw__escape(w->out, val, n);
}

void jsonw__str(struct jsonw *w, const char *key, const char *val)
{
	if (!val) {
		jsonw__null(w, key);
		return;
	}
	jsonw__strn(w, key, val, strlen(val));
}

/* The decimal digits of v, written backward so they end at end; returns
 * where they start. Two digits a division, from a table of 00..99. */
static char *u64_digits(char *end, uint64_t v)
{
	static const char pairs[200] = "0001020304050607080910111213141516171819"
				       "2021222324252627282930313233343536373839"
				       "4041424344454647484950515253545556575859"
				       "6061626364656667686970717273747576777879"
				       "8081828384858687888990919293949596979899";

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		end -= 2;
		memcpy(end, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, pairs + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

void jsonw__int(struct jsonw *w, const char *key, int64_t val)
{
	char buf[24], *end = buf + sizeof(buf), *p;

	prefix(w, key);
	/* The magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t. */
	p = u64_digits(end, val < 0 ? 0 - (uint64_t)val : (uint64_t)val);
	if (val < 0)
		*--p = '-';
	strbuf__append(w->out, p, (size_t)(end - p));
}

void jsonw__uint(struct jsonw *w, const char *key, uint64_t val)
{
	char buf[24], *end = buf + sizeof(buf), *p;

	prefix(w, key);
	p = u64_digits(end, val);
	strbuf__append(w->out, p, (size_t)(end - p));
}

void jsonw__bool(struct jsonw *w, const char *key, bool val)
{
	prefix(w, key);
	strbuf__puts(w->out, val ? "true" : "false");
}

void jsonw__null(struct jsonw *w, const char *key)
{
	prefix(w, key);
	strbuf__puts(w->out, "null");
}

void jsonw__raw(struct jsonw *w, const char *key, const char *json, size_t n)
{
	prefix(w, key);
	strbuf__append(w->out, json, n);
}

void jsonw__members(struct jsonw *w, const char *text, size_t n)
{
	if (!n)
		return;
	if (w->need_comma[w->depth])
		strbuf__putc(w->out, ',');
	w->need_comma[w->depth] = true;
	strbuf__append(w->out, text, n);
}

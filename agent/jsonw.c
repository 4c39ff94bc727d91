/*
 * jsonw: streaming JSON writer (see jsonw.h).
 */
#include <inttypes.h>
#include <stdio.h>
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

void jsonw__escape(struct strbuf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	strbuf__putc(out, '"');
	while (i < n) {
		unsigned char c = p[i];
		size_t l;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		/* Flush the plain run before the byte that needs care. */
		if (run) {
			strbuf__append(out, (const char *)p + i - run, run);
			run = 0;
		}
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			strbuf__append(out, e, 2);
			i++;
		} else if (c < 0x20) {
			switch (c) {
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
				strbuf__printf(out, "\\u%04x", c);
			}
			i++;
		} else if ((l = utf8_len(p + i, n - i)) > 0) {
			strbuf__append(out, (const char *)p + i, l);
			i += l;
		} else {
			strbuf__append(out, "\\ufffd", 6);
			i++;
		}
	}
	if (run)
		strbuf__append(out, (const char *)p + i - run, run);
	strbuf__putc(out, '"');
}

/* Comma and key before a value. */
static void prefix(struct jsonw *w, const char *key)
{
	if (w->need_comma[w->depth])
		strbuf__putc(w->out, ',');
	w->need_comma[w->depth] = true;
	if (key) {
		jsonw__escape(w->out, key, strlen(key));
		strbuf__putc(w->out, ':');
	}
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

void jsonw__int(struct jsonw *w, const char *key, int64_t val)
{
	prefix(w, key);
	strbuf__printf(w->out, "%" PRId64, val);
}

void jsonw__uint(struct jsonw *w, const char *key, uint64_t val)
{
	prefix(w, key);
	strbuf__printf(w->out, "%" PRIu64, val);
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

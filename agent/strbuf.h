/*
 * strbuf: a growable byte buffer for building output lines without a
 * malloc per line. Reused across events: reset keeps the memory.
 */
#ifndef AISEC_STRBUF_H
#define AISEC_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct strbuf {
	char *data;   /* always NUL-terminated when cap > 0 */
	size_t len;
	size_t cap;
	bool oom;     /* an append failed for lack of memory; content is incomplete */
};

#define STRBUF_INIT { NULL, 0, 0, false }

/* Forget the content, keep the memory. */
void strbuf__reset(struct strbuf *sb);

/* Free the memory. Accepts NULL and never-used buffers. */
void strbuf__free(struct strbuf *sb);

/* Append a formatted string. On allocation failure set sb->oom and leave
 * the content as it was. */
void strbuf__printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The slow path of the appends below: make room (growing the buffer), then
 * append as strbuf__append does. Call strbuf__append, not this. */
void strbuf__append_grow(struct strbuf *sb, const char *s, size_t n);

/*
 * Append n bytes / a C string / one byte. On allocation failure set sb->oom
 * and leave the content as it was.
 *
 * Inline because the JSON writer makes one for every piece of every event,
 * most of them a few bytes: when the bytes and the NUL fit, a copy and a
 * store, no call. cap - len cannot wrap: len < cap whenever cap > 0 (the NUL
 * is there), and both are 0 before the first append.
 */
static inline void strbuf__append(struct strbuf *sb, const char *s, size_t n)
{
	if (n < sb->cap - sb->len) {
		memcpy(sb->data + sb->len, s, n);
		sb->len += n;
		sb->data[sb->len] = '\0';
		return;
	}
	strbuf__append_grow(sb, s, n);
}

static inline void strbuf__puts(struct strbuf *sb, const char *s)
{
	strbuf__append(sb, s, strlen(s));
}

static inline void strbuf__putc(struct strbuf *sb, char c)
{
	if (sb->cap - sb->len > 1) {
		sb->data[sb->len++] = c;
		sb->data[sb->len] = '\0';
		return;
	}
	strbuf__append_grow(sb, &c, 1);
}

#endif /* AISEC_STRBUF_H */

/*
 * strbuf: a growable byte buffer for building output lines without a
 * malloc per line. Reused across events: reset keeps the memory.
 */
#ifndef AISEC_STRBUF_H
#define AISEC_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

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

/* Append n bytes / a C string / a formatted string. On allocation failure
 * set sb->oom and leave the content as it was. */
void strbuf__append(struct strbuf *sb, const char *s, size_t n);
void strbuf__puts(struct strbuf *sb, const char *s);
void strbuf__putc(struct strbuf *sb, char c);
void strbuf__printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* AISEC_STRBUF_H */

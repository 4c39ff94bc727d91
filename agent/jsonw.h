/*
 * jsonw: a streaming JSON writer into a strbuf, for the per-event output
 * path where building a cJSON tree per event would cost more than the event.
 * Strings are escaped per RFC 8259; invalid UTF-8 bytes become U+FFFD so the
 * output is always valid JSON. Keys are passed as NULL inside arrays.
 */
#ifndef AISEC_JSONW_H
#define AISEC_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define JSONW_MAX_DEPTH 32

struct jsonw {
	struct strbuf *out;
	unsigned depth;
	bool need_comma[JSONW_MAX_DEPTH];
};

/* Start writing into out (appends; does not reset it). */
void jsonw__init(struct jsonw *w, struct strbuf *out);

void jsonw__obj_open(struct jsonw *w, const char *key);
void jsonw__obj_close(struct jsonw *w);
void jsonw__arr_open(struct jsonw *w, const char *key);
void jsonw__arr_close(struct jsonw *w);

void jsonw__str(struct jsonw *w, const char *key, const char *val);
/* n bytes of val, which may hold NULs (written as \u0000). */
void jsonw__strn(struct jsonw *w, const char *key, const char *val, size_t n);
void jsonw__int(struct jsonw *w, const char *key, int64_t val);
void jsonw__uint(struct jsonw *w, const char *key, uint64_t val);
void jsonw__bool(struct jsonw *w, const char *key, bool val);
void jsonw__null(struct jsonw *w, const char *key);

/* A value that is already JSON text (n bytes), written as is. */
void jsonw__raw(struct jsonw *w, const char *key, const char *json, size_t n);

/*
 * Members that are already JSON text, n bytes of '"k":v,"k2":v2' (what the
 * calls above write into a jsonw of their own at depth 0), added to the open
 * object as if written here one by one: a comma first when a member came
 * before. n == 0 writes nothing.
 */
void jsonw__members(struct jsonw *w, const char *text, size_t n);

/* Append the JSON string literal for n bytes of s (quotes included). */
void jsonw__escape(struct strbuf *out, const char *s, size_t n);

#endif /* AISEC_JSONW_H */

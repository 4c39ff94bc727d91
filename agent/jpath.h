/*
 * jpath: the pieces shared by the JSON validators (config, rules) for
 * messages that name where a problem is: a JSON path built while descending
 * ("$.services[1][\"odd key\"]"), a value made fit for a one-line message,
 * the name of a cJSON value's type, repeated and unknown object keys, and the
 * line and column of a byte offset.
 *
 * The path is a small struct kept on the caller's stack; every push returns
 * the length to pop back to:
 *
 *	struct jpath p;
 *	size_t old;
 *
 *	jpath__init(&p, 0);
 *	old = jpath__key(&p, "services");
 *	... report at jpath__str(&p) ...
 *	jpath__pop(&p, old);
 */
#ifndef AISEC_JPATH_H
#define AISEC_JPATH_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

#define JPATH_LEN 256

struct jpath {
	char s[JPATH_LEN]; /* NUL-terminated; silently cut when full */
	size_t len;
	size_t key_max; /* keys longer than this are shown cut with "..."; 0: never */
};

/* Start p at "$". Keys longer than key_max bytes (0: no limit) are written
 * quoted, cut after key_max bytes and followed by "...". */
void jpath__init(struct jpath *p, size_t key_max);

/* The path so far, valid until p changes. */
const char *jpath__str(const struct jpath *p);

/* Append ".key" when key is a non-empty word of [A-Za-z0-9_-] (no longer than
 * key_max), else ["key"] with '"', '\\' and control characters escaped.
 * Returns the length to give jpath__pop. */
size_t jpath__key(struct jpath *p, const char *key);

/* Append "[i]"; returns the length to give jpath__pop. */
size_t jpath__idx(struct jpath *p, size_t i);

/* Go back to a length returned by jpath__key or jpath__idx. */
void jpath__pop(struct jpath *p, size_t old);

/* s made fit for a one-line message in buf (len >= 4 bytes): control
 * characters as '?', cut on a UTF-8 character boundary with "..." when it
 * does not fit. Returns buf. */
const char *jpath__shown(const char *s, char *buf, size_t len);

/* "a string", "a number", "a boolean", "null", "an array" or "an object". */
const char *jpath__type_name(const struct cJSON *item);

/* Whether a key equal to item's comes before item in obj (cJSON keeps every
 * copy of a repeated key; which one a lookup finds would be an accident). */
bool jpath__repeated_key(const struct cJSON *obj, const struct cJSON *item);

/* Whether key is one of known, a NULL-terminated list. */
bool jpath__known_key(const char *key, const char *const *known);

/* known (NULL-terminated) joined with ", " into buf, cut when it does not
 * fit. Returns buf. */
const char *jpath__key_list(const char *const *known, char *buf, size_t len);

/* The 1-based line and column of the byte at off in text (off <= its
 * length): every '\n' before it starts a new line. */
void jpath__line_col(const char *text, size_t off, size_t *line, size_t *col);

/* Parse len bytes of buf (not NUL-terminated) as one JSON value into
 * *root. 0; -EINVAL with "name:line:column: invalid JSON" in err where the
 * bytes stop being one JSON value (a NUL byte, a syntax error, bytes after
 * the value); -ENOMEM with "name: out of memory". */
int jpath__parse(const char *name, const char *buf, size_t len, struct cJSON **root, char *err, size_t errlen);

#endif /* AISEC_JPATH_H */

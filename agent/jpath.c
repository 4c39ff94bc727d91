/*
 * jpath: JSON paths, shown values, type names, key checks and line:column
 * positions for the validators' messages (config, rules). See jpath.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "jpath.h"

void jpath__init(struct jpath *p, size_t key_max)
{
	p->s[0] = '$';
	p->s[1] = '\0';
	p->len = 1;
	p->key_max = key_max;
}

const char *jpath__str(const struct jpath *p)
{
	return p->s;
}

static void append(struct jpath *p, const char *s, size_t n)
{
	if (n > sizeof(p->s) - 1 - p->len)
		n = sizeof(p->s) - 1 - p->len;
	memcpy(p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
}

size_t jpath__key(struct jpath *p, const char *key)
{
	size_t i, old = p->len, n = strlen(key);
	bool cut = p->key_max && n > p->key_max;
	bool plain = n > 0 && !cut;
	char esc[8];

	for (i = 0; plain && i < n; i++) {
		char ch = key[i];

		plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
			ch == '-';
	}
	if (plain) {
		append(p, ".", 1);
		append(p, key, n);
		return old;
	}
	if (cut)
		n = p->key_max;
	append(p, "[\"", 2);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			append(p, esc, 2);
		} else if (ch < 0x20 || ch == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			append(p, esc, 6);
		} else {
			append(p, &key[i], 1);
		}
	}
	if (cut)
		append(p, "...", 3);
	append(p, "\"]", 2);
	return old;
}

size_t jpath__idx(struct jpath *p, size_t i)
{
	size_t old = p->len;
	char num[32];
	int n = snprintf(num, sizeof(num), "[%zu]", i);

	append(p, num, (size_t)n);
	return old;
}

void jpath__pop(struct jpath *p, size_t old)
{
	p->len = old;
	p->s[old] = '\0';
}

const char *jpath__shown(const char *s, char *buf, size_t len)
{
	size_t i, n = strlen(s);
	bool cut = n > len - 1;

	if (cut) {
		n = len - 4;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (cut) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

const char *jpath__type_name(const cJSON *item)
{
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsBool(item))
		return "a boolean";
	if (cJSON_IsNull(item))
		return "null";
	if (cJSON_IsArray(item))
		return "an array";
	return "an object";
}

bool jpath__repeated_key(const cJSON *obj, const cJSON *item)
{
	const cJSON *o;

	for (o = obj->child; o && o != item; o = o->next) {
		if (strcmp(o->string, item->string) == 0)
			return true;
	}
	return false;
}

bool jpath__known_key(const char *key, const char *const *known)
{
	for (; *known; known++) {
		if (strcmp(*known, key) == 0)
			return true;
	}
	return false;
}

const char *jpath__key_list(const char *const *known, char *buf, size_t len)
{
	const char *const *k;
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (k = known; *k && n < len; k++)
		n += snprintf(buf + n, len - n, "%s%s", k == known ? "" : ", ", *k);
	return buf;
}

void jpath__line_col(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* "name:line:column: invalid JSON" for the byte at off. */
static int syntax_error(const char *name, const char *buf, size_t len, size_t off, char *err, size_t errlen)
{
	size_t line, col;

	if (off > len)
		off = len;
	jpath__line_col(buf, off, &line, &col);
	if (err && errlen)
		snprintf(err, errlen, "%s:%zu:%zu: invalid JSON", name, line, col);
	return -EINVAL;
}

int jpath__parse(const char *name, const char *buf, size_t len, struct cJSON **root, char *err, size_t errlen)
{
	const char *end = NULL, *nul;
	char *copy;
	int rc = 0;

	*root = NULL;
	/* cJSON wants a terminated string; a NUL inside is not JSON either */
	nul = len ? memchr(buf, '\0', len) : NULL;
	if (nul)
		return syntax_error(name, buf, len, (size_t)(nul - buf), err, errlen);
	copy = malloc(len + 1);
	if (!copy) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (len)
		memcpy(copy, buf, len);
	copy[len] = '\0';
	*root = cJSON_ParseWithLengthOpts(copy, len, &end, false);
	if (!*root) {
		if (!end)
			end = cJSON_GetErrorPtr();
		/* on allocation failure cJSON points nowhere in copy */
		rc = syntax_error(name, copy, len, end && end >= copy && end <= copy + len ? (size_t)(end - copy) : 0,
				  err, errlen);
		goto cleanup;
	}
	/* bytes after the value: cJSON stops there without complaint */
	end += strspn(end, " \t\r\n");
	if (end < copy + len) {
		rc = syntax_error(name, copy, len, (size_t)(end - copy), err, errlen);
		cJSON_Delete(*root);
		*root = NULL;
	}
cleanup:
	free(copy);
	return rc;
}

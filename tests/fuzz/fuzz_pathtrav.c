/*
 * libFuzzer target for agent/pathtrav.c with the shipped
 * rules/path-traversal.json (run from the repository root). The input is
 * "cwd NUL path NUL root" after one control byte (bit 0: the open failed;
 * bit 1: no root given). What must hold whatever the input:
 * - pathtrav__normalize() returns the result's length when given exactly
 *   length + 1 bytes and -ENAMETOOLONG with one byte less, writing nothing
 *   past either heap buffer;
 * - the result is normal: absolute when cwd or path is, then "/" or '/'
 *   followed by segments that are neither empty, "." nor ".."; relative, then
 *   "." or leading ".." segments followed by plain ones;
 * - it is a fixed point (normalising it again gives it back) and resolving a
 *   relative path against cwd gives what resolving "cwd/path" alone gives;
 * - observe returns 0 or 1; with 1, fields come from the rule, confidence is
 *   1..100, the reason is non-empty, NUL-terminated, free of control bytes;
 *   triggered only for a path with a ".." segment; the same input gives the
 *   same detection.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_pathtrav.c agent/pathtrav.c agent/detect.c -lcjson -o fuzz_pathtrav
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_rule.h"
#include "pathtrav.h"
#include "rules.h"

static struct pathtrav *det_;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct rule_family rule = {.name = "path-traversal", .cwes = {22, 23}, .ncwes = 2, .severity = "high"};
	char err[256] = "";

	fuzz_rule_params(&rule, "fuzz_pathtrav", "rules/path-traversal.json");
	det_ = pathtrav__new(&rule, err, sizeof(err));
	if (!det_) {
		fprintf(stderr, "fuzz_pathtrav: %s\n", err);
		abort();
	}
	return 0;
}

static bool has_dotdot(const char *p)
{
	const char *s = p;

	while ((s = strstr(s, "..")) != NULL) {
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
		s += 2;
	}
	return false;
}

/* Check out is in normal form; abs says which kind it must be. */
static void check_normal(const char *out, bool abs)
{
	const char *p = out, *e;
	bool plain_seen = false;

	if (abs) {
		if (out[0] != '/')
			abort();
		if (strcmp(out, "/") == 0)
			return;
		p++;
	} else {
		if (out[0] == '/')
			abort();
		if (strcmp(out, ".") == 0)
			return;
	}
	for (;;) {
		size_t n;

		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			abort();
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (abs || plain_seen)
				abort();
		} else {
			plain_seen = true;
		}
		if (!e)
			break;
		p = e + 1;
	}
}

/* Normalise into exactly-sized heap buffers; returns the result (malloc'd) or NULL if too long for int. */
static char *normalize(const char *cwd, const char *path)
{
	char probe[1];
	int n = pathtrav__normalize(cwd, path, probe, 1), m;
	size_t len;
	char *out;

	if (n == -ENAMETOOLONG) {
		/* Find the length with a buffer big enough for anything built from the input. */
		len = (cwd ? strlen(cwd) : 0) + strlen(path) + 4;
		out = malloc(len);
		if (!out)
			return NULL;
		n = pathtrav__normalize(cwd, path, out, len);
		free(out);
	}
	if (n < 0)
		abort();
	out = malloc((size_t)n + 1);
	if (!out)
		return NULL;
	m = pathtrav__normalize(cwd, path, out, (size_t)n + 1);
	if (m != n || strlen(out) != (size_t)n)
		abort();
	if (n > 0) {
		char *tight = malloc((size_t)n);

		if (tight) {
			memset(tight, 'Z', (size_t)n);
			if (pathtrav__normalize(cwd, path, tight, (size_t)n) != -ENAMETOOLONG)
				abort();
			for (m = 0; m < n; m++)
				if (tight[m] != 'Z')
					abort();
			free(tight);
		}
	}
	return out;
}

static void check_detection(const char *path, int r, const struct detection *det)
{
	size_t i, len;

	if (r == 0)
		return;
	if (r != 1)
		abort();
	if (det->status != FINDING_TRIGGERED && det->status != FINDING_CONFIRMED)
		abort();
	if (strcmp(det->detector, "path-traversal") != 0 || det->ncwes != 2 || det->cwes[0] != 22 ||
	    det->cwes[1] != 23 || strcmp(det->severity, "high") != 0)
		abort();
	if (det->confidence < 1 || det->confidence > 100)
		abort();
	len = strnlen(det->reason, sizeof(det->reason));
	if (len == 0 || len == sizeof(det->reason))
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)det->reason[i] < 0x20 || det->reason[i] == 0x7f)
			abort();
	if (det->status == FINDING_TRIGGERED && !has_dotdot(path))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *parts[3] = {NULL, NULL, NULL}, *out, *again, *joined;
	struct pathtrav_input in;
	struct detection a, b;
	size_t i, k = 0;
	int r;

	if (size < 1)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	buf[size] = '\0';
	parts[0] = buf;
	for (i = 0; i + 1 < size && k < 2; i++)
		if (buf[i] == '\0')
			parts[++k] = buf + i + 1;
	if (!parts[1])
		parts[1] = buf + size; /* "" */
	if (!parts[2] || (data[0] & 2))
		parts[2] = NULL;

	/* cwd = parts[0], path = parts[1]. */
	out = normalize(parts[0], parts[1]);
	if (out) {
		check_normal(out, parts[1][0] == '/' || parts[0][0] == '/');
		again = normalize(NULL, out);
		if (again && strcmp(again, out) != 0)
			abort();
		free(again);
		if (parts[1][0] != '/' && parts[0][0]) {
			joined = malloc(strlen(parts[0]) + strlen(parts[1]) + 2);
			if (joined) {
				sprintf(joined, "%s/%s", parts[0], parts[1]);
				again = normalize(NULL, joined);
				if (again && strcmp(again, out) != 0)
					abort();
				free(again);
				free(joined);
			}
		}
		free(out);
	}

	in.cwd = parts[0];
	in.path = parts[1];
	in.service_root = parts[2];
	in.ret = data[0] & 1 ? -EACCES : 3;
	memset(&a, 0x5a, sizeof(a));
	r = pathtrav__observe(det_, &in, &a);
	check_detection(in.path, r, &a);
	memset(&b, 0xa5, sizeof(b));
	if (pathtrav__observe(det_, &in, &b) != r)
		abort();
	if (r && (a.status != b.status || a.confidence != b.confidence || strcmp(a.reason, b.reason) != 0))
		abort();
	free(buf);
	return 0;
}

/*
 * pathtrav: path-traversal detector (CWE-22/23) over open events; pathtrav.h
 * says what triggers and what confirms, docs/rules.md lists the parameters.
 *
 * Paths are resolved lexically, never on the filesystem: no syscall and no
 * allocation per event. Symbolic links are therefore not followed, so
 * "/srv/app/link/../x" is judged as written. Glob lists use fnmatch(3)
 * without FNM_PATHNAME: a '*' also matches '/', so the glob /usr/lib/<star>
 * covers the whole tree below /usr/lib.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pathtrav.h"
#include "rules.h"

/* Room for any cwd (PATH_MAX) joined to any path the kernel accepts (PATH_MAX). */
#define RESOLVED_MAX (2 * 4096 + 2)
#define GLOB_MAX 1024

struct glob {
	char *pat;
	size_t prefix; /* bytes before the first wildcard: compared before calling fnmatch */
};

struct globlist {
	struct glob *v;
	size_t n;
};

struct pathtrav {
	struct detect_id id;		/* name, CWEs, severity from the rule */
	struct globlist sensitive;	/* confirmed when opened */
	struct globlist ok_when_direct; /* ...unless opened by this exact, canonical absolute path */
	struct globlist allow;		/* '..' opens resolving here are the runtime's own */
};

/* The parameters, each an array of path globs. */
static const char *const param_keys[] = {"sensitive_paths", "ok_when_direct", "allow"};


static int check_globs(const cJSON *arr, const char *key, char *err, size_t errlen)
{
	const cJSON *it;
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return detect__fail(err, errlen, "$.params.%s: expected an array of strings", key);
	cJSON_ArrayForEach(it, arr)
	{
		const char *s = cJSON_GetStringValue(it);

		if (!s)
			return detect__fail(err, errlen, "$.params.%s[%zu]: expected a string", key, i);
		if (!s[0])
			return detect__fail(err, errlen, "$.params.%s[%zu]: empty string", key, i);
		if (strlen(s) > GLOB_MAX)
			return detect__fail(err, errlen, "$.params.%s[%zu]: longer than %d bytes", key, i, GLOB_MAX);
		/* Paths are compared once resolved, so a glob must be able to match an absolute path. */
		if (s[0] != '/' && s[0] != '*')
			return detect__fail(err, errlen,
				    "$.params.%s[%zu]: expected an absolute path glob (\"/...\" or \"*...\")", key, i);
		i++;
	}
	return 0;
}

/*
 * Validate the path-traversal params: an object whose only keys are
 * sensitive_paths, ok_when_direct and allow, each an array of non-empty
 * globs starting with '/' or '*'. 0, or -EINVAL with "$.params.<path>:
 * problem" in err.
 */
int pathtrav__check_params(const struct cJSON *params, char *err, size_t errlen)
{
	const cJSON *it;
	size_t k;
	int ret;

	if (!cJSON_IsObject(params))
		return detect__fail(err, errlen, "$.params: expected an object");
	cJSON_ArrayForEach(it, params)
	{
		for (k = 0; k < sizeof(param_keys) / sizeof(param_keys[0]); k++)
			if (it->string && strcmp(it->string, param_keys[k]) == 0)
				break;
		if (k == sizeof(param_keys) / sizeof(param_keys[0]))
			return detect__fail(err, errlen, "$.params.%s: unknown key", it->string ? it->string : "");
		ret = check_globs(it, it->string, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static void globs_free(struct globlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].pat);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Copy params[key] (already validated; absent = empty) into l. */
static int globs_load(const cJSON *params, const char *key, struct globlist *l)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(params, key), *it;
	int n = cJSON_GetArraySize(arr);

	if (n <= 0)
		return 0;
	l->v = calloc((size_t)n, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr)
	{
		struct glob *g = &l->v[l->n];

		g->pat = strdup(it->valuestring);
		if (!g->pat)
			return -ENOMEM;
		g->prefix = strcspn(g->pat, "*?[\\");
		l->n++;
	}
	return 0;
}

/*
 * A detector for one service from its rule family. NULL with errno set
 * (EINVAL: no rule or invalid params, the reason in err; ENOMEM).
 */
struct pathtrav *pathtrav__new(const struct rule_family *rule, char *err, size_t errlen)
{
	const cJSON *params;
	struct pathtrav *d = NULL;
	int ret;

	ret = detect__params(rule, &params, err, errlen);
	if (!ret)
		ret = pathtrav__check_params(params, err, errlen);
	if (ret)
		goto cleanup;
	ret = -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d || detect_id__init(&d->id, rule, "path-traversal"))
		goto cleanup;
	ret = globs_load(params, "sensitive_paths", &d->sensitive);
	if (!ret)
		ret = globs_load(params, "ok_when_direct", &d->ok_when_direct);
	if (!ret)
		ret = globs_load(params, "allow", &d->allow);
	if (ret)
		goto cleanup;
	return d;

cleanup:
	if (ret == -ENOMEM)
		detect__fail(err, errlen, "out of memory");
	pathtrav__free(d);
	errno = -ret;
	return NULL;
}

/* Free d and everything it holds; accepts NULL. */
void pathtrav__free(struct pathtrav *d)
{
	if (!d)
		return;
	globs_free(&d->sensitive);
	globs_free(&d->ok_when_direct);
	globs_free(&d->allow);
	detect_id__free(&d->id);
	free(d);
}

/* The segment of s before *end (skipping separators), moving *end to its start; false when none is left. */
static bool prev_seg(const char *s, size_t *end, const char **seg, size_t *len)
{
	size_t e = *end, b;

	while (e > 0 && s[e - 1] == '/')
		e--;
	if (e == 0) {
		*end = 0;
		return false;
	}
	b = e;
	while (b > 0 && s[b - 1] != '/')
		b--;
	*seg = s + b;
	*len = e - b;
	*end = b;
	return true;
}

/* Where resolve_pass puts the kept items: counted always, written when out is set. */
struct walk {
	char *out;
	size_t pos;   /* items are written backwards, ending at the initial pos */
	size_t total; /* sum of item lengths plus one separator each */
	size_t nitems;
	bool abs;
};

static void emit(struct walk *w, const char *seg, size_t sl)
{
	w->total += sl + 1;
	w->nitems++;
	if (!w->out)
		return;
	w->pos -= sl;
	memcpy(w->out + w->pos, seg, sl);
	/* Absolute: every item follows a '/' (room for it is always left); relative: all but the first. */
	if (w->pos > 0)
		w->out[--w->pos] = '/';
}

/*
 * One pass over the segments of parts[0] then parts[1], taken from the last
 * to the first so a ".." simply skips the next kept segment: memory stays
 * constant and an intermediate result longer than the final one costs
 * nothing.
 */
static void resolve_pass(const char *const parts[2], struct walk *w)
{
	size_t skip = 0, end, sl;
	const char *seg;
	int p;

	for (p = 1; p >= 0; p--) {
		if (!parts[p])
			continue;
		end = strlen(parts[p]);
		while (prev_seg(parts[p], &end, &seg, &sl)) {
			if (sl == 1 && seg[0] == '.')
				continue;
			if (sl == 2 && seg[0] == '.' && seg[1] == '.')
				skip++;
			else if (skip)
				skip--;
			else
				emit(w, seg, sl);
		}
	}
	/* Above the root there is only the root; a relative path keeps its leading "..". */
	for (; !w->abs && skip; skip--)
		emit(w, "..", 2);
}

/*
 * Resolve path against cwd lexically: "." segments dropped, ".." removes the
 * segment before it (at the root it stays at the root), repeated and
 * trailing '/' collapse. An absolute path ignores cwd; a relative path with
 * cwd "" or NULL stays relative and keeps the ".." that climb above it
 * ("a/../../b" -> "../b"); an empty result is "/" or ".". Writes the
 * NUL-terminated result to out and returns its length; -ENAMETOOLONG when it
 * needs more than outlen bytes (out untouched), -EINVAL when path is NULL.
 */
int pathtrav__normalize(const char *cwd, const char *path, char *out, size_t outlen)
{
	const char *parts[2];
	struct walk w = {0};
	size_t n;

	if (!path || (!out && outlen))
		return -EINVAL;
	parts[0] = path[0] == '/' ? NULL : cwd;
	parts[1] = path;
	w.abs = path[0] == '/' || (cwd && cwd[0] == '/');
	resolve_pass(parts, &w);
	n = w.nitems == 0 ? 1 : w.abs ? w.total : w.total - 1;
	if (n >= outlen || n > INT_MAX)
		return -ENAMETOOLONG;
	if (w.nitems == 0) {
		out[0] = w.abs ? '/' : '.';
	} else {
		w.out = out;
		w.pos = n;
		w.total = w.nitems = 0;
		resolve_pass(parts, &w);
	}
	out[n] = '\0';
	return (int)n;
}

static bool glob_match(const struct globlist *l, const char *path, const char **hit)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strncmp(path, l->v[i].pat, l->v[i].prefix) != 0)
			continue;
		if (fnmatch(l->v[i].pat, path, 0) == 0) {
			if (hit)
				*hit = l->v[i].pat;
			return true;
		}
	}
	return false;
}

/* Whether path has a segment that is exactly "..". */
static bool has_dotdot(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
		p += 2;
	}
	return false;
}

/* Whether path is root or below it (both absolute and normalized). */
static bool inside(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* A reason being written into a fixed buffer: appends stop at the end, never overrun. */
struct reason {
	char *buf;
	size_t len, cap;
};

static void put(struct reason *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len + 1 >= r->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < r->cap - r->len ? (size_t)n : r->cap - r->len - 1;
}

/* Append s, control bytes escaped, cut to max bytes with "..." so one path cannot crowd out the rest. */
static void put_clip(struct reason *r, const char *s, size_t max)
{
	size_t used = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t w = (c < 0x20 || c == 0x7f) ? 4 : 1;

		if (used + w > max) {
			put(r, "...");
			return;
		}
		if (w == 4)
			put(r, "\\x%02x", c);
		else
			put(r, "%c", c);
		used += w;
	}
}

static void put_failed(struct reason *r, __s64 ret)
{
	const char *name;

	if (ret >= 0)
		return;
	name = ret >= -4095 ? strerrorname_np((int)-ret) : NULL;
	if (name)
		put(r, " (the open failed with %s)", name);
	else
		put(r, " (the open failed with error %lld)", (long long)-ret);
}

static int report(const struct pathtrav *d, struct detection *det, enum finding_status status, int confidence)
{
	detect_id__fill(&d->id, det, status, confidence);
	return 1;
}

/*
 * Look at one open; 1 with *det filled (detector, cwes, severity from the
 * rule; status, a one-sentence reason, confidence) when it shows path
 * traversal, 0 otherwise, -EINVAL on NULL arguments. In order:
 *   sensitive_paths match of the resolved path -> confirmed, unless the glob
 *     is also in ok_when_direct and the path was given as exactly that
 *     canonical absolute path (what the C library does for /etc/passwd);
 *   no ".." segment -> 0; resolved path in allow -> 0;
 *   resolved outside the service root (service_root, else cwd) -> confirmed;
 *   otherwise (inside, or root unknown) -> triggered.
 * A relative path with the cwd unknown that climbs above itself is confirmed.
 * Failed opens count the same. Reads nothing but its arguments.
 */
int pathtrav__observe(struct pathtrav *d, const struct pathtrav_input *in, struct detection *det)
{
	char full[RESOLVED_MAX], root[RESOLVED_MAX];
	const char *cwd, *rootsrc, *hit = NULL;
	struct reason r = {.buf = det ? det->reason : NULL, .cap = det ? sizeof(det->reason) : 0};
	bool dotdot, direct, escaped;
	int n;

	if (!d || !in || !det)
		return -EINVAL;
	if (!in->path || !in->path[0])
		return 0;
	cwd = in->cwd ? in->cwd : "";
	n = pathtrav__normalize(cwd, in->path, full, sizeof(full));
	if (n < 0)
		return 0; /* longer than cwd + path can be: not from the kernel */
	dotdot = has_dotdot(in->path);
	direct = in->path[0] == '/' && strcmp(in->path, full) == 0;
	r.buf[0] = '\0';

	if (glob_match(&d->sensitive, full, &hit) && !(direct && glob_match(&d->ok_when_direct, full, NULL))) {
		if (direct) {
			put(&r, "open of sensitive file ");
			put_clip(&r, full, 120);
		} else {
			put(&r, "open of '");
			put_clip(&r, in->path, 90);
			put(&r, "' resolves to sensitive file ");
			put_clip(&r, full, 60);
		}
		if (strcmp(hit, full) != 0)
			put(&r, " (matches %s)", hit);
		if (dotdot)
			put(&r, ", reached through '..'");
		put_failed(&r, in->ret);
		return report(d, det, FINDING_CONFIRMED, dotdot ? 95 : 85);
	}
	if (!dotdot || glob_match(&d->allow, full, NULL))
		return 0;

	rootsrc = in->service_root && in->service_root[0] ? in->service_root : cwd;
	put(&r, "open of '");
	put_clip(&r, in->path, 90);
	put(&r, "' resolves to ");
	put_clip(&r, full, 60);
	if (full[0] != '/') {
		/* cwd unknown: all we know is whether it climbs above where it starts. */
		escaped = strcmp(full, "..") == 0 || strncmp(full, "../", 3) == 0;
		put(&r, escaped ? ", climbing above its starting directory" : ", '..' staying below its start");
		put_failed(&r, in->ret);
		return report(d, det, escaped ? FINDING_CONFIRMED : FINDING_TRIGGERED, escaped ? 80 : 50);
	}
	if (rootsrc[0] != '/' || pathtrav__normalize(NULL, rootsrc, root, sizeof(root)) < 0) {
		put(&r, ", '..' with the service root unknown");
		put_failed(&r, in->ret);
		return report(d, det, FINDING_TRIGGERED, 50);
	}
	escaped = !inside(full, root);
	put(&r, escaped ? ", outside the service root " : ", '..' staying inside the service root ");
	put_clip(&r, root, 48);
	put_failed(&r, in->ret);
	return report(d, det, escaped ? FINDING_CONFIRMED : FINDING_TRIGGERED, escaped ? 85 : 60);
}

/*
 * correlate: raise finding statuses from runtime facts and emit evidence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"

/* Detections that matched no finding are emitted once per distinct
 * (detector, status, reason); this bounds how many keys are remembered. */
#define MISSED_KEYS 1024

#define NIL ((size_t)-1)

struct correlate {
	struct findings *fs;
	char *root;
	/* Findings by the hash of their uri's file name, so an opened file is
	 * checked against the few findings that can name it, not all of them. */
	size_t *heads, *next, nbuckets;
	size_t unreached;         /* indexed findings not yet reachable */
	correlate_emit_fn emit;
	void *ctx;
	__u64 missed[MISSED_KEYS];
	size_t nmissed;
	__u64 emitted, unmatched;
};

static void uri_unescape(const char *in, char *out, size_t outlen);

/* FNV-1a of the last path component. */
static __u64 base_hash(const char *path)
{
	const char *b = strrchr(path, '/');
	__u64 h = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *)(b ? b + 1 : path); *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

static int build_index(struct correlate *c)
{
	char u[4096];

	c->nbuckets = 16;
	while (c->nbuckets < 2 * c->fs->n)
		c->nbuckets *= 2;
	c->heads = malloc(c->nbuckets * sizeof(*c->heads));
	c->next = malloc((c->fs->n ? c->fs->n : 1) * sizeof(*c->next));
	if (!c->heads || !c->next)
		return -ENOMEM;
	for (size_t b = 0; b < c->nbuckets; b++)
		c->heads[b] = NIL;
	for (size_t i = 0; i < c->fs->n; i++) {
		size_t b;

		c->next[i] = NIL;
		if (!c->fs->v[i].uri || !*c->fs->v[i].uri)
			continue;
		uri_unescape(c->fs->v[i].uri, u, sizeof(u));
		b = base_hash(u) & (c->nbuckets - 1);
		c->next[i] = c->heads[b];
		c->heads[b] = i;
		if (c->fs->v[i].status < FINDING_REACHABLE)
			c->unreached++;
	}
	return 0;
}

struct correlate *correlate__new(struct findings *fs, const char *source_root, correlate_emit_fn emit, void *ctx)
{
	struct correlate *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fs = fs;
	c->emit = emit;
	c->ctx = ctx;
	if (source_root && *source_root) {
		size_t n;

		c->root = strdup(source_root);
		if (!c->root) {
			free(c);
			errno = ENOMEM;
			return NULL;
		}
		n = strlen(c->root);
		while (n > 1 && c->root[n - 1] == '/')
			c->root[--n] = '\0';
	}
	if (build_index(c)) {
		correlate__free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void correlate__free(struct correlate *c)
{
	if (!c)
		return;
	free(c->root);
	free(c->heads);
	free(c->next);
	free(c);
}

/* Decode %XX escapes of a URI path into out. */
static void uri_unescape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 1 < outlen; in++) {
		unsigned int v;

		if (in[0] == '%' && in[1] && in[2] && sscanf(in + 1, "%2x", &v) == 1) {
			out[o++] = (char)v;
			in += 2;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

bool correlate__uri_matches(const char *uri, const char *source_root, const char *path)
{
	char u[4096];
	const char *p = uri;
	size_t ul, pl;

	if (!uri || !*uri || !path || !*path)
		return false;
	if (strncmp(p, "file://", 7) == 0) {
		p += 7;
		/* file://host/path: skip an authority part */
		if (*p != '/') {
			p = strchr(p, '/');
			if (!p)
				return false;
		}
	}
	uri_unescape(p, u, sizeof(u));
	while (u[0] == '.' && u[1] == '/')
		memmove(u, u + 2, strlen(u + 2) + 1);
	if (u[0] == '/')
		return strcmp(u, path) == 0;
	if (source_root && *source_root) {
		size_t rl = strlen(source_root);

		return strncmp(path, source_root, rl) == 0 && path[rl] == '/' && strcmp(path + rl + 1, u) == 0;
	}
	/* No root: the uri must be a whole-component suffix of the path. */
	ul = strlen(u);
	pl = strlen(path);
	return pl > ul && strcmp(path + pl - ul, u) == 0 && path[pl - ul - 1] == '/';
}

static void rise(struct correlate *c, struct finding *f, enum finding_status to, const char *detector,
		 const char *reason, int confidence, const char *severity, const int *cwes, size_t ncwes, __u64 now)
{
	struct correlate_evidence ev = {
		.finding = f,
		.previous = f->status,
		.status = to,
		.detector = detector,
		.reason = reason,
		.confidence = confidence,
		.severity = severity,
		.cwes = cwes,
		.ncwes = ncwes,
	};

	f->evidence_count++;
	snprintf(f->last_reason, sizeof(f->last_reason), "%.*s", (int)sizeof(f->last_reason) - 1, reason);
	if (!f->first_seen_ns)
		f->first_seen_ns = now;
	f->last_seen_ns = now;
	/* Status only rises; the same or a lower status adds to the count only. */
	if (to <= f->status)
		return;
	if (f->status < FINDING_REACHABLE && f->uri && *f->uri)
		c->unreached--;
	f->status = to;
	c->emitted++;
	c->emit(c->ctx, &ev);
}

void correlate__recount(struct correlate *c)
{
	c->unreached = 0;
	for (size_t i = 0; i < c->fs->n; i++)
		if (c->fs->v[i].uri && *c->fs->v[i].uri && c->fs->v[i].status < FINDING_REACHABLE)
			c->unreached++;
}

bool correlate__wants_opens(const struct correlate *c)
{
	return c->unreached > 0;
}

void correlate__on_open(struct correlate *c, const char *path, __u64 now_ns)
{
	/* Per opened file: one hash, then only the findings with that file name. */
	if (c->unreached == 0)
		return;
	for (size_t i = c->heads[base_hash(path) & (c->nbuckets - 1)]; i != NIL; i = c->next[i]) {
		struct finding *f = &c->fs->v[i];
		char reason[sizeof(f->last_reason)];

		if (f->status >= FINDING_REACHABLE || !correlate__uri_matches(f->uri, c->root, path))
			continue;
		snprintf(reason, sizeof(reason), "the service loaded %.200s", path);
		rise(c, f, FINDING_REACHABLE, "reachability", reason, 100, "", f->cwes, f->ncwes, now_ns);
	}
}

static __u64 key_hash(const struct detection *det)
{
	__u64 h = 1469598103934665603ull;
	const char *parts[2] = { det->detector, det->reason };

	for (int k = 0; k < 2; k++)
		for (const unsigned char *p = (const unsigned char *)parts[k]; p && *p; p++)
			h = (h ^ *p) * 1099511628211ull;
	return h ^ (__u64)det->status;
}

static bool cwe_hit(const struct finding *f, const struct detection *det)
{
	for (size_t k = 0; k < det->ncwes; k++)
		if (finding__has_cwe(f, det->cwes[k]))
			return true;
	return false;
}

void correlate__on_detection(struct correlate *c, const struct detection *det, __u64 now_ns)
{
	bool matched = false, any_loaded = false;

	/* Findings whose file the service loaded are the ones a detection
	 * concerns; when it loaded none of those with the CWE (watch started
	 * after the code was loaded, or no uri), all of them are. */
	for (size_t i = 0; i < c->fs->n && !any_loaded; i++)
		any_loaded = c->fs->v[i].status >= FINDING_REACHABLE && cwe_hit(&c->fs->v[i], det);
	for (size_t i = 0; i < c->fs->n; i++) {
		struct finding *f = &c->fs->v[i];

		if (!cwe_hit(f, det) || (any_loaded && f->status < FINDING_REACHABLE))
			continue;
		matched = true;
		rise(c, f, det->status, det->detector, det->reason, det->confidence, det->severity, det->cwes,
		     det->ncwes, now_ns);
	}
	if (!matched) {
		__u64 key = key_hash(det);
		struct correlate_evidence ev = {
			.finding = NULL,
			.previous = FINDING_UNOBSERVED,
			.status = det->status,
			.detector = det->detector,
			.reason = det->reason,
			.confidence = det->confidence,
			.severity = det->severity,
			.cwes = det->cwes,
			.ncwes = det->ncwes,
		};

		c->unmatched++;
		for (size_t i = 0; i < c->nmissed; i++)
			if (c->missed[i] == key)
				return;
		if (c->nmissed < MISSED_KEYS)
			c->missed[c->nmissed++] = key;
		c->emitted++;
		c->emit(c->ctx, &ev);
	}
}

__u64 correlate__emitted(const struct correlate *c)
{
	return c->emitted;
}

__u64 correlate__unmatched(const struct correlate *c)
{
	return c->unmatched;
}

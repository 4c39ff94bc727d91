/*
 * triage: SARIF findings + aisec.evidence.v1 NDJSON -> the same SARIF with
 * runtime status on every result (and an extra run for attacks on code no
 * tool flagged), plus an optional OpenVEX document. Everything is read and
 * checked first; both outputs are then written through sink_file, so they
 * appear complete or not at all.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "findings.h"
#include "log.h"
#include "sarif.h"
#include "sink_file.h"
#include "strbuf.h"
#include "triage.h"

#ifndef AISEC_VERSION
#define AISEC_VERSION "0.0.0"
#endif

#define EVIDENCE_SCHEMA "aisec.evidence.v1"
#define SARIF_SCHEMA_URI "https://json.schemastore.org/sarif-2.1.0.json"
#define OPENVEX_CONTEXT "https://openvex.dev/ns/v0.2.0"
#define PROP_KEY "aisec-rt"
#define TOOL_NAME "aisec-rt"
#define MISSED_FP_KEY "aisecRtDetection/v1"
#define UNKNOWN_PRODUCT "urn:aisec-rt:product:unknown"

/* Open addressing from a hash (confirmed by an equality callback) to an
 * item index, so grouping stays linear however many items there are. */
struct imap {
	size_t *slot;             /* item index + 1; 0 = empty */
	uint64_t *hash;           /* the hash of the item in each slot */
	size_t cap, n;
};

/* One SARIF file: its whole document and its findings' range in t->fs. */
struct input {
	const char *path;
	cJSON *doc;
	size_t first, n;
};

/* The evidence folded onto one finding or one missed detection. Strings and
 * the record point into t->records, which outlives every agg. */
struct agg {
	int status;               /* highest enum finding_status seen; -1 while count == 0 */
	unsigned count;
	int64_t first_ns, last_ns;
	const char *first_time, *last_time;
	const cJSON *best;        /* the record shown as the example */
	int best_conf;            /* its confidence, -1 when it has none */
	int64_t best_ns;
};

/* Detections that matched no finding, one per distinct (detector, reason). */
struct missed {
	const char *detector, *reason;
	int cwes[FINDING_MAX_CWES];
	size_t ncwes;
	struct agg a;
	char fp[17];
};

struct triage {
	const struct triage_opts *o;
	struct input *in;
	size_t nin;
	struct findings fs;
	struct agg *aggs;         /* parallel to fs.v */
	size_t *by_fp;            /* indexes into fs.v, sorted by fingerprint */
	cJSON *records;           /* the evidence records kept (an array) */
	struct missed *missed;
	size_t nmissed, capmissed;
	struct imap missed_map;   /* (detector, reason) -> index into missed */
	const char *agent_version; /* agent.version of the first record, or NULL */
	unsigned long skipped, unmatched;
	unsigned counts[FINDING_CONFIRMED + 1];
};

static const char *const status_names[] = { "unobserved", "reachable", "triggered", "confirmed" };

/* Detector -> CWEs, for missed detections whose record names none: the
 * "cwes" of the shipped rules/ families. */
static const struct {
	const char *detector;
	int cwes[2];
} detector_cwes[] = {
	{ "sqli", { 89 } },
	{ "cmdi", { 78, 77 } },
	{ "path-traversal", { 22, 23 } },
	{ "ssrf", { 918 } },
};

static int status_rank(const char *s)
{
	for (int i = 0; i <= FINDING_CONFIRMED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* FNV-1a 64 over the strings a and b, each with its terminating NUL. */
static uint64_t fnv64(const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];

		do {
			h ^= *p;
			h *= 0x100000001b3ULL;
		} while (*p++);
	}
	return h;
}

typedef bool (*imap_eq_fn)(const void *ctx, size_t idx);

static void imap_free(struct imap *m)
{
	free(m->slot);
	free(m->hash);
}

/* The slot of the item with hash h for which eq holds, else the empty slot
 * where it goes. Call imap_reserve first. */
static size_t imap_probe(const struct imap *m, uint64_t h, imap_eq_fn eq, const void *ctx)
{
	size_t i = h & (m->cap - 1);

	while (m->slot[i] && !(m->hash[i] == h && eq(ctx, m->slot[i] - 1)))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Room for one more item (load at most 1/2). */
static int imap_reserve(struct imap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, *slot;
	uint64_t *hash;

	if ((m->n + 1) * 2 <= m->cap)
		return 0;
	slot = calloc(cap, sizeof(*slot));
	hash = calloc(cap, sizeof(*hash));
	if (!slot || !hash) {
		free(slot);
		free(hash);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slot[i])
			continue;
		for (j = m->hash[i] & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = m->slot[i];
		hash[j] = m->hash[i];
	}
	imap_free(m);
	m->slot = slot;
	m->hash = hash;
	m->cap = cap;
	return 0;
}

static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (cap - n < 65536) {
			char *nb = realloc(b, cap ? cap * 2 : 65536);

			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			b = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
	}
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Exactly n decimal digits. */
static bool digits(const char *p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

/* RFC 3339 date-time ("2026-11-25T13:00:00.123456789Z", or with +hh:mm) to
 * nanoseconds since the epoch. Digits past nanoseconds are ignored. */
static bool parse_time(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 100000000;
	const char *p = s + 19;
	time_t t;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	t -= sign * (oh * 3600 + om * 60);
	*ns = (int64_t)t * 1000000000 + frac;
	return true;
}

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09luZ", (unsigned long)ts.tv_nsec % 1000000000UL);
}

static void sarif_warn(void *ctx, const char *file, const char *json_path, const char *why)
{
	log_warn("%s: %s: %s", file, json_path, why);
}

/* Read each SARIF file once: findings through sarif.c (so fingerprints are
 * the agent's), and the whole document to annotate. */
static int load_inputs(struct triage *t)
{
	char err[512];

	t->in = calloc(t->o->nfindings, sizeof(*t->in));
	if (!t->in)
		return -ENOMEM;
	for (size_t k = 0; k < t->o->nfindings; k++) {
		struct input *in = &t->in[k];
		const cJSON *runs;
		char *buf = NULL;
		size_t len = 0;
		int rc;

		in->path = t->o->findings[k];
		rc = read_all(in->path, &buf, &len);
		if (rc) {
			log_err("cannot read findings file %s: %s", in->path, strerror(-rc));
			return rc == -ENOMEM ? rc : -EINVAL;
		}
		in->first = t->fs.n;
		err[0] = '\0';
		rc = sarif__load_buf(in->path, buf, len, NULL, &t->fs, sarif_warn, t, err, sizeof(err));
		if (rc) {
			log_err("%s", err[0] ? err : strerror(-rc));
			free(buf);
			return rc == -ENOMEM ? rc : -EINVAL;
		}
		in->n = t->fs.n - in->first;
		in->doc = cJSON_ParseWithLength(buf, len);
		free(buf);
		t->nin = k + 1;
		runs = cJSON_GetObjectItemCaseSensitive(in->doc, "runs");
		if (!cJSON_IsObject(in->doc) || !cJSON_IsArray(runs)) {
			log_err("%s: not a SARIF log (no runs array)", in->path);
			return in->doc ? -EINVAL : -ENOMEM;
		}
	}
	return 0;
}

static int cmp_fp(const void *a, const void *b, void *ctx)
{
	const struct findings *fs = ctx;

	return strcmp(fs->v[*(const size_t *)a].fingerprint, fs->v[*(const size_t *)b].fingerprint);
}

static int index_findings(struct triage *t)
{
	t->aggs = calloc(t->fs.n ? t->fs.n : 1, sizeof(*t->aggs));
	t->by_fp = calloc(t->fs.n ? t->fs.n : 1, sizeof(*t->by_fp));
	if (!t->aggs || !t->by_fp)
		return -ENOMEM;
	for (size_t i = 0; i < t->fs.n; i++) {
		t->aggs[i].status = -1;
		t->by_fp[i] = i;
	}
	qsort_r(t->by_fp, t->fs.n, sizeof(*t->by_fp), cmp_fp, &t->fs);
	return 0;
}

static void fold(struct agg *a, const cJSON *rec, int rank, int64_t ns, const char *time, int conf)
{
	if (a->count == 0 || ns < a->first_ns) {
		a->first_ns = ns;
		a->first_time = time;
	}
	if (a->count == 0 || ns > a->last_ns) {
		a->last_ns = ns;
		a->last_time = time;
	}
	/* The example: highest status, then highest confidence, then earliest. */
	if (a->count == 0 || rank > a->status || (rank == a->status && conf > a->best_conf) ||
	    (rank == a->status && conf == a->best_conf && ns < a->best_ns)) {
		a->status = rank;
		a->best = rec;
		a->best_conf = conf;
		a->best_ns = ns;
	}
	a->count++;
}

/* CWE numbers of a record: its top-level "cwe" (numbers or "CWE-n"
 * strings), else the detector's family. */
static void record_cwes(const cJSON *rec, const char *detector, int *cwes, size_t *n)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(rec, "cwe"), *c;

	*n = 0;
	cJSON_ArrayForEach(c, arr)
	{
		int v = 0;

		if (cJSON_IsNumber(c))
			v = c->valueint;
		else if (cJSON_IsString(c))
			v = atoi(c->valuestring + (strncasecmp(c->valuestring, "CWE-", 4) == 0 ? 4 : 0));
		if (v > 0 && *n < FINDING_MAX_CWES)
			cwes[(*n)++] = v;
	}
	if (*n)
		return;
	for (size_t i = 0; i < sizeof(detector_cwes) / sizeof(detector_cwes[0]); i++) {
		if (strcmp(detector, detector_cwes[i].detector) != 0)
			continue;
		for (size_t j = 0; j < 2 && detector_cwes[i].cwes[j]; j++)
			cwes[(*n)++] = detector_cwes[i].cwes[j];
	}
}

struct missed_key {
	const struct triage *t;
	const char *det, *why;
};

static bool missed_eq(const void *ctx, size_t idx)
{
	const struct missed_key *k = ctx;
	const struct missed *m = &k->t->missed[idx];

	return strcmp(m->detector, k->det) == 0 && strcmp(m->reason, k->why) == 0;
}

static int add_missed(struct triage *t, const cJSON *rec, int rank, int64_t ns, const char *time, int conf)
{
	const char *det = json_str(rec, "detector"), *why = json_str(rec, "reason");
	struct missed_key key = { t, det, why };
	uint64_t h = fnv64(det, why);
	int cwes[FINDING_MAX_CWES];
	struct missed *m;
	size_t ncwes, slot;

	if (imap_reserve(&t->missed_map))
		return -ENOMEM;
	slot = imap_probe(&t->missed_map, h, missed_eq, &key);
	if (t->missed_map.slot[slot]) {
		m = &t->missed[t->missed_map.slot[slot] - 1];
	} else {
		if (t->nmissed == t->capmissed) {
			size_t cap = t->capmissed ? t->capmissed * 2 : 8;
			struct missed *v = realloc(t->missed, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			t->missed = v;
			t->capmissed = cap;
		}
		m = &t->missed[t->nmissed];
		memset(m, 0, sizeof(*m));
		m->detector = det;
		m->reason = why;
		m->a.status = -1;
		snprintf(m->fp, sizeof(m->fp), "%016llx", (unsigned long long)h);
		t->missed_map.slot[slot] = ++t->nmissed;
		t->missed_map.hash[slot] = h;
		t->missed_map.n++;
	}
	/* The union of the CWEs its records name. */
	record_cwes(rec, det, cwes, &ncwes);
	for (size_t i = 0; i < ncwes; i++) {
		size_t j = 0;

		while (j < m->ncwes && m->cwes[j] != cwes[i])
			j++;
		if (j == m->ncwes && m->ncwes < FINDING_MAX_CWES)
			m->cwes[m->ncwes++] = cwes[i];
	}
	fold(&m->a, rec, rank, ns, time, conf);
	return 0;
}

/* Every finding with this fingerprint, from a file with this base name when
 * the record names one. */
static void match_finding(struct triage *t, const cJSON *rec, const cJSON *finding, int rank, int64_t ns,
			  const char *time, int conf)
{
	const char *fp = json_str(finding, "fingerprint"), *file = json_str(finding, "sarif_file");
	size_t lo = 0, hi = t->fs.n;
	bool matched = false;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->fs.v[t->by_fp[mid]].fingerprint, fp) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->fs.n && strcmp(t->fs.v[t->by_fp[lo]].fingerprint, fp) == 0; lo++) {
		size_t i = t->by_fp[lo], k = 0;

		while (k + 1 < t->nin && i >= t->in[k].first + t->in[k].n)
			k++;
		if (file && *file && strcmp(base_name(file), base_name(t->in[k].path)) != 0)
			continue;
		fold(&t->aggs[i], rec, rank, ns, time, conf);
		matched = true;
	}
	if (!matched) {
		t->unmatched++;
		log_debug("%s: evidence for %s (%s) matches no finding in the given files", t->o->evidence, fp,
			  file ? file : "no sarif_file");
	}
}

/* Check one evidence record; "$.path: problem" in err when it is unusable. */
static bool check_record(const cJSON *rec, int *rank, int64_t *ns, int *conf, char *err, size_t errlen)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec, "status");
	const cJSON *tm = cJSON_GetObjectItemCaseSensitive(rec, "time");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(rec, "finding");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, "confidence");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(rec, "events");
	const char *fp;

	if (!cJSON_IsString(st) || (*rank = status_rank(st->valuestring)) < 0) {
		snprintf(err, errlen, "$.status: expected \"reachable\", \"triggered\" or \"confirmed\"");
		return false;
	}
	if (!cJSON_IsString(tm) || !parse_time(tm->valuestring, ns)) {
		snprintf(err, errlen, "$.time: expected an RFC 3339 time like \"2026-11-25T13:00:00.000000000Z\"");
		return false;
	}
	if (!f || (!cJSON_IsNull(f) && !cJSON_IsObject(f))) {
		snprintf(err, errlen, "$.finding: expected an object or null");
		return false;
	}
	if (cJSON_IsObject(f)) {
		fp = json_str(f, "fingerprint");
		if (!fp || !*fp) {
			snprintf(err, errlen, "$.finding.fingerprint: expected a non-empty string");
			return false;
		}
		if (cJSON_GetObjectItemCaseSensitive(f, "sarif_file") && !json_str(f, "sarif_file") &&
		    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f, "sarif_file"))) {
			snprintf(err, errlen, "$.finding.sarif_file: expected a string");
			return false;
		}
	}
	/* Required when there is no finding: they name the new result. */
	for (int i = 0; i < 2; i++) {
		const char *key = i ? "reason" : "detector";
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

		if (cJSON_IsString(v) && v->valuestring[0]) {
			/* Detectors are family names ([a-z0-9-]+); a rule id is made of it. */
			if (i == 0 && strlen(v->valuestring) > 64) {
				snprintf(err, errlen, "$.detector: longer than 64 bytes");
				return false;
			}
			continue;
		}
		if (cJSON_IsNull(f) || (v && !cJSON_IsNull(v) && !cJSON_IsString(v))) {
			snprintf(err, errlen, "$.%s: expected a non-empty string%s", key,
				 cJSON_IsNull(f) ? " (finding is null)" : "");
			return false;
		}
	}
	*conf = -1;
	if (c && !cJSON_IsNull(c)) {
		if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 100) {
			snprintf(err, errlen, "$.confidence: expected a number 0..100");
			return false;
		}
		*conf = c->valueint;
	}
	if (ev && !cJSON_IsArray(ev)) {
		snprintf(err, errlen, "$.events: expected an array");
		return false;
	}
	return true;
}

/* Read the evidence NDJSON; any unusable line of our schema is fatal. */
static int load_evidence(struct triage *t)
{
	const char *path = t->o->evidence;
	FILE *f = fopen(path, "r");
	char *line = NULL, err[256];
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int rc = 0;

	if (!f) {
		log_err("cannot read evidence file %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	t->records = cJSON_CreateArray();
	if (!t->records) {
		fclose(f);
		return -ENOMEM;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		const char *end = NULL, *p;
		const cJSON *schema, *finding;
		cJSON *rec;
		int64_t ns;
		int rank, conf;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (!*p && (size_t)n == strlen(line))
			continue;
		if ((size_t)n != strlen(line)) {
			log_err("%s:%lu: contains a NUL byte: not an NDJSON line", path, lineno);
			rc = -EINVAL;
			break;
		}
		rec = cJSON_ParseWithOpts(line, &end, true);
		if (!rec) {
			log_err("%s:%lu:%ld: not JSON (fix or remove this line)", path, lineno,
				end ? (long)(end - line) + 1 : 1L);
			rc = -EINVAL;
			break;
		}
		if (!cJSON_IsObject(rec)) {
			cJSON_Delete(rec);
			log_err("%s:%lu: not a JSON object", path, lineno);
			rc = -EINVAL;
			break;
		}
		schema = cJSON_GetObjectItemCaseSensitive(rec, "schema");
		if (!cJSON_IsString(schema) || strcmp(schema->valuestring, EVIDENCE_SCHEMA) != 0) {
			/* Event records and anything else sharing the stream. */
			t->skipped++;
			cJSON_Delete(rec);
			continue;
		}
		if (!check_record(rec, &rank, &ns, &conf, err, sizeof(err))) {
			cJSON_Delete(rec);
			log_err("%s:%lu: %s", path, lineno, err);
			rc = -EINVAL;
			break;
		}
		cJSON_AddItemToArray(t->records, rec);
		if (!t->agent_version)
			t->agent_version = json_str(cJSON_GetObjectItemCaseSensitive(rec, "agent"), "version");
		finding = cJSON_GetObjectItemCaseSensitive(rec, "finding");
		if (cJSON_IsObject(finding)) {
			match_finding(t, rec, finding, rank, ns, json_str(rec, "time"), conf);
		} else {
			rc = add_missed(t, rec, rank, ns, json_str(rec, "time"), conf);
			if (rc)
				break;
		}
	}
	if (!rc && ferror(f)) {
		log_err("cannot read evidence file %s: %s", path, strerror(errno));
		rc = -EINVAL;
	}
	free(line);
	fclose(f);
	return rc;
}

static cJSON *add_str(cJSON *obj, const char *key, const char *val)
{
	return cJSON_AddStringToObject(obj, key, val ? val : "");
}

/* properties["aisec-rt"] for one finding or missed detection. */
static cJSON *make_props(const struct agg *a)
{
	cJSON *p = cJSON_CreateObject(), *ex;
	const cJSON *rec = a->best, *ev, *proc, *svc;
	const char *det;

	if (!p)
		return NULL;
	add_str(p, "status", status_names[a->count ? a->status : FINDING_UNOBSERVED]);
	if (a->count == 0) {
		cJSON_AddNumberToObject(p, "evidenceCount", 0);
		return p;
	}
	if (a->best_conf >= 0)
		cJSON_AddNumberToObject(p, "confidence", a->best_conf);
	add_str(p, "firstSeen", a->first_time);
	add_str(p, "lastSeen", a->last_time);
	cJSON_AddNumberToObject(p, "evidenceCount", a->count);
	det = json_str(rec, "detector");
	if (det)
		add_str(p, "detector", det);

	ex = cJSON_AddObjectToObject(p, "example");
	if (!ex)
		goto oom;
	add_str(ex, "time", json_str(rec, "time"));
	if (det)
		add_str(ex, "detector", det);
	if (json_str(rec, "reason"))
		add_str(ex, "reason", json_str(rec, "reason"));
	ev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rec, "events"), 0);
	proc = cJSON_GetObjectItemCaseSensitive(ev, "process");
	svc = cJSON_GetObjectItemCaseSensitive(rec, "service");
	if (json_str(ev, "kind"))
		add_str(ex, "eventKind", json_str(ev, "kind"));
	/* The process of the first event; the service when there is none. */
	if (!cJSON_IsObject(proc))
		proc = svc;
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(proc, "pid")))
		cJSON_AddNumberToObject(ex, "pid", cJSON_GetObjectItemCaseSensitive(proc, "pid")->valuedouble);
	if (json_str(proc, "exe"))
		add_str(ex, "exe", json_str(proc, "exe"));
	if (json_str(proc, "cmdline"))
		add_str(ex, "cmdline", json_str(proc, "cmdline"));
	if (!cJSON_GetObjectItemCaseSensitive(ex, "time"))
		goto oom;
	return p;
oom:
	cJSON_Delete(p);
	return NULL;
}

/* obj[key] = val, replacing any value; val is consumed. */
static int set_item(cJSON *obj, const char *key, cJSON *val)
{
	if (!val)
		return -ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val) ? 0 : -ENOMEM;
	return cJSON_AddItemToObject(obj, key, val) ? 0 : -ENOMEM;
}

/* obj.properties, created when absent. NULL when it is not an object. */
static cJSON *properties_of(cJSON *obj)
{
	cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "properties");

	if (!p)
		p = cJSON_AddObjectToObject(obj, "properties");
	return cJSON_IsObject(p) ? p : NULL;
}

static cJSON *make_counts(const unsigned counts[FINDING_CONFIRMED + 1])
{
	cJSON *c = cJSON_CreateObject();

	for (int s = FINDING_CONFIRMED; c && s >= FINDING_UNOBSERVED; s--)
		cJSON_AddNumberToObject(c, status_names[s], counts[s]);
	return c;
}

static int add_run_summary(struct triage *t, cJSON *run, const char *where,
			   const unsigned counts[FINDING_CONFIRMED + 1])
{
	cJSON *props = properties_of(run), *s;

	if (!props) {
		log_err("%s.properties: expected an object", where);
		return -EINVAL;
	}
	s = cJSON_CreateObject();
	if (!s)
		return -ENOMEM;
	add_str(s, "agentVersion", t->agent_version ? t->agent_version : AISEC_VERSION);
	add_str(s, "evidenceFile", t->o->evidence);
	cJSON_AddItemToObject(s, "counts", make_counts(counts));
	return set_item(props, PROP_KEY, s);
}

/* Element want of array arr, moving the cursor (*cur at index *i) forward;
 * from the start when want lies behind it. */
static cJSON *nth(const cJSON *arr, cJSON **cur, size_t *i, size_t want)
{
	if (!*cur || want < *i) {
		*cur = cJSON_IsArray(arr) ? arr->child : NULL;
		*i = 0;
	}
	while (*cur && *i < want) {
		*cur = (*cur)->next;
		(*i)++;
	}
	return *cur;
}

/* Annotate every result that has a finding, and every run. */
static int annotate(struct triage *t)
{
	for (size_t k = 0; k < t->nin; k++) {
		struct input *in = &t->in[k];
		cJSON *runs = cJSON_GetObjectItemCaseSensitive(in->doc, "runs");
		cJSON *run = NULL, *run_cur = NULL, *res_cur = NULL;
		size_t run_i = 0, res_i = 0, r = 0, nruns = (size_t)cJSON_GetArraySize(runs);
		unsigned (*counts)[FINDING_CONFIRMED + 1] = calloc(nruns + 1, sizeof(*counts));
		char where[600];
		int rc = 0;

		if (!counts)
			return -ENOMEM;

		for (size_t i = in->first; i < in->first + in->n; i++) {
			const struct finding *f = &t->fs.v[i];
			const struct agg *a = &t->aggs[i];
			cJSON *res, *props;

			snprintf(where, sizeof(where), "%s: $.runs[%zu].results[%zu]", in->path, f->run_index,
				 f->result_index);
			/* Findings come in document order: walk forward, never index. */
			if (run_i != f->run_index || !run) {
				run = nth(runs, &run_cur, &run_i, f->run_index);
				res_cur = NULL;
			}
			res = nth(cJSON_GetObjectItemCaseSensitive(run, "results"), &res_cur, &res_i, f->result_index);
			if (!cJSON_IsObject(res) || f->run_index >= nruns) {
				log_err("%s: expected a result object", where);
				rc = -EINVAL;
				break;
			}
			props = properties_of(res);
			if (!props) {
				log_err("%s.properties: expected an object", where);
				rc = -EINVAL;
				break;
			}
			rc = set_item(props, PROP_KEY, make_props(a));
			if (!rc && a->count && a->status == FINDING_CONFIRMED)
				rc = set_item(res, "level", cJSON_CreateString("error"));
			if (rc)
				break;
			t->counts[a->count ? a->status : FINDING_UNOBSERVED]++;
			counts[f->run_index][a->count ? a->status : FINDING_UNOBSERVED]++;
		}
		cJSON_ArrayForEach(run, runs)
		{
			if (rc)
				break;
			snprintf(where, sizeof(where), "%s: $.runs[%zu]", in->path, r);
			if (!cJSON_IsObject(run)) {
				log_err("%s: expected a run object", where);
				rc = -EINVAL;
				break;
			}
			rc = add_run_summary(t, run, where, counts[r++]);
		}
		free(counts);
		if (rc)
			return rc;
	}
	return 0;
}

/* "file://" URI of an absolute path, RFC 3986 percent-encoded. */
static void file_uri(struct strbuf *sb, const char *path)
{
	strbuf__puts(sb, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~", *p))
			strbuf__putc(sb, (char)*p);
		else
			strbuf__printf(sb, "%%%02X", *p);
	}
}

/* The exe the example names, or NULL. */
static const char *example_exe(const cJSON *props)
{
	const char *exe = json_str(cJSON_GetObjectItemCaseSensitive(props, "example"), "exe");

	return exe && exe[0] == '/' ? exe : NULL;
}

static cJSON *make_rule(const struct missed *m)
{
	cJSON *rule = cJSON_CreateObject(), *d, *props, *tags;
	char buf[320];

	if (!rule)
		return NULL;
	snprintf(buf, sizeof(buf), "%s/%s", TOOL_NAME, m->detector);
	add_str(rule, "id", buf);
	add_str(rule, "name", m->detector);
	d = cJSON_AddObjectToObject(rule, "shortDescription");
	snprintf(buf, sizeof(buf), "Runtime detection by aisec-rt's %s detector on code no static finding covers",
		 m->detector);
	add_str(d, "text", buf);
	d = cJSON_AddObjectToObject(rule, "defaultConfiguration");
	add_str(d, "level", "error");
	props = cJSON_AddObjectToObject(rule, "properties");
	tags = cJSON_AddArrayToObject(props, "tags");
	cJSON_AddItemToArray(tags, cJSON_CreateString("security"));
	cJSON_AddItemToArray(tags, cJSON_CreateString("runtime"));
	if (!tags) {
		cJSON_Delete(rule);
		return NULL;
	}
	return rule;
}

/* Add CWE tags of m to rule's tags (once each). */
static void add_cwe_tags(cJSON *rule, const struct missed *m)
{
	cJSON *tags = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rule, "properties"), "tags");

	for (size_t i = 0; i < m->ncwes; i++) {
		char tag[48];
		const cJSON *tg;
		bool have = false;

		snprintf(tag, sizeof(tag), "external/cwe/cwe-%d", m->cwes[i]);
		cJSON_ArrayForEach(tg, tags)
		{
			if (cJSON_IsString(tg) && strcmp(tg->valuestring, tag) == 0)
				have = true;
		}
		if (!have)
			cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
	}
}

/* The extra run holding detections that matched no finding. */
static int add_missed_run(struct triage *t, cJSON *runs)
{
	cJSON *run = cJSON_CreateObject(), *driver, *rules, *results;
	unsigned counts[FINDING_CONFIRMED + 1] = { 0 };
	struct strbuf sb = STRBUF_INIT;
	int rc = -ENOMEM;

	if (!run)
		return -ENOMEM;
	cJSON_AddItemToArray(runs, run);
	driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
	add_str(driver, "name", TOOL_NAME);
	add_str(driver, "version", AISEC_VERSION);
	add_str(driver, "semanticVersion", AISEC_VERSION);
	rules = cJSON_AddArrayToObject(driver, "rules");
	results = cJSON_AddArrayToObject(run, "results");
	if (!rules || !results)
		goto out;
	for (size_t i = 0; i < t->nmissed; i++) {
		const struct missed *m = &t->missed[i];
		cJSON *res, *rule = NULL, *r, *props, *loc;
		char id[320];
		int idx = 0;
		const char *exe;

		snprintf(id, sizeof(id), "%s/%s", TOOL_NAME, m->detector);
		cJSON_ArrayForEach(r, rules)
		{
			if (strcmp(json_str(r, "id"), id) == 0) {
				rule = r;
				break;
			}
			idx++;
		}
		if (!rule) {
			rule = make_rule(m);
			if (!rule)
				goto out;
			cJSON_AddItemToArray(rules, rule);
		}
		add_cwe_tags(rule, m);

		res = cJSON_CreateObject();
		if (!res)
			goto out;
		cJSON_AddItemToArray(results, res);
		add_str(res, "ruleId", id);
		cJSON_AddNumberToObject(res, "ruleIndex", idx);
		add_str(res, "level", "error");
		add_str(cJSON_AddObjectToObject(res, "message"), "text", m->reason);
		props = make_props(&m->a);
		if (!props)
			goto out;
		/* A location for consumers that require one: the program that was attacked. */
		exe = example_exe(props);
		if (exe) {
			strbuf__reset(&sb);
			file_uri(&sb, exe);
			if (sb.oom) {
				cJSON_Delete(props);
				goto out;
			}
			loc = cJSON_CreateObject();
			cJSON_AddItemToArray(cJSON_AddArrayToObject(res, "locations"), loc);
			add_str(cJSON_AddObjectToObject(cJSON_AddObjectToObject(loc, "physicalLocation"),
							"artifactLocation"),
				"uri", sb.data);
		}
		add_str(cJSON_AddObjectToObject(res, "partialFingerprints"), MISSED_FP_KEY, m->fp);
		cJSON_AddItemToObject(cJSON_AddObjectToObject(res, "properties"), PROP_KEY, props);
		counts[m->a.status]++;
	}
	rc = add_run_summary(t, run, "aisec-rt run", counts);
out:
	strbuf__free(&sb);
	return rc;
}

/* One log: the first file's document with every other file's runs appended,
 * $schema first (added when the first file has none). */
static cJSON *merge_docs(struct triage *t)
{
	cJSON *out = t->in[0].doc, *runs = cJSON_GetObjectItemCaseSensitive(out, "runs");

	for (size_t k = 1; k < t->nin; k++) {
		cJSON *from = cJSON_GetObjectItemCaseSensitive(t->in[k].doc, "runs");

		while (cJSON_GetArraySize(from) > 0)
			cJSON_AddItemToArray(runs, cJSON_DetachItemFromArray(from, 0));
	}
	if (!cJSON_GetObjectItemCaseSensitive(out, "$schema")) {
		cJSON *root = cJSON_CreateObject();

		if (!root || !cJSON_AddStringToObject(root, "$schema", SARIF_SCHEMA_URI)) {
			cJSON_Delete(root);
			return NULL;
		}
		while (out->child) {
			cJSON *it = cJSON_DetachItemViaPointer(out, out->child);
			char *key = strdup(it->string);

			if (!key) {
				cJSON_Delete(it);
				cJSON_Delete(root);
				return NULL;
			}
			cJSON_AddItemToObject(root, key, it);
			free(key);
		}
		cJSON_Delete(out);
		t->in[0].doc = root;
		out = root;
	}
	return out;
}

/* The VEX product: --vex-product, else the first repositoryUri in the runs'
 * versionControlProvenance, else a placeholder (with a warning). */
static const char *vex_product(struct triage *t, cJSON *runs)
{
	const cJSON *run;

	if (t->o->vex_product)
		return t->o->vex_product;
	cJSON_ArrayForEach(run, runs)
	{
		const cJSON *vcp = cJSON_GetObjectItemCaseSensitive(run, "versionControlProvenance");
		const char *uri = json_str(cJSON_GetArrayItem(vcp, 0), "repositoryUri");

		if (uri && *uri)
			return uri;
	}
	log_warn("no product named for the VEX statements: using %s (name it with --vex-product IRI)",
		 UNKNOWN_PRODUCT);
	return UNKNOWN_PRODUCT;
}

static void describe_evidence(struct strbuf *sb, const struct agg *a)
{
	const char *reason = json_str(a->best, "reason"), *det = json_str(a->best, "detector");

	if (reason)
		strbuf__printf(sb, ": %s", reason);
	strbuf__puts(sb, " (");
	if (det)
		strbuf__printf(sb, "detector %s, ", det);
	if (a->best_conf >= 0)
		strbuf__printf(sb, "confidence %d, ", a->best_conf);
	strbuf__printf(sb, "%u evidence record%s, %s to %s)", a->count, a->count == 1 ? "" : "s", a->first_time,
		       a->last_time);
}

/* One statement; vuln is "<rule id>#<fingerprint>". where names the code
 * (NULL for missed detections). */
static cJSON *make_statement(const char *vuln, const char *desc, const char *where, const char *product,
			     const struct agg *a)
{
	cJSON *s = cJSON_CreateObject(), *v, *p;
	int status = a->count ? a->status : FINDING_UNOBSERVED;
	struct strbuf sb = STRBUF_INIT;

	if (!s)
		return NULL;
	v = cJSON_AddObjectToObject(s, "vulnerability");
	add_str(v, "name", vuln);
	if (desc && *desc)
		add_str(v, "description", desc);
	if (a->count)
		add_str(s, "timestamp", a->last_time);
	p = cJSON_CreateObject();
	add_str(p, "@id", product);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "products"), p);
	switch (status) {
	case FINDING_CONFIRMED:
	case FINDING_TRIGGERED:
		add_str(s, "status", "affected");
		strbuf__puts(&sb, status == FINDING_CONFIRMED ? "aisec-rt saw this exploited at runtime"
							      : "aisec-rt saw this code's sink reached at runtime");
		describe_evidence(&sb, a);
		add_str(s, "status_notes", sb.data);
		strbuf__reset(&sb);
		if (where)
			strbuf__printf(&sb, "Fix the code flagged at %s", where);
		else
			strbuf__puts(&sb, "No static finding covers this: find and fix the code that handled it");
		strbuf__puts(&sb, status == FINDING_CONFIRMED ? "; until then treat the service as exploitable."
							      : "; the sink takes runtime input.");
		add_str(s, "action_statement", sb.data);
		break;
	case FINDING_REACHABLE:
		add_str(s, "status", "under_investigation");
		strbuf__puts(&sb, "aisec-rt saw this code loaded by the watched service but never saw its sink used");
		describe_evidence(&sb, a);
		add_str(s, "status_notes", sb.data);
		break;
	default:
		add_str(s, "status", "under_investigation");
		add_str(s, "status_notes",
			"aisec-rt watched the service and saw no runtime activity for this finding; this shows "
			"only that the workload observed did not exercise it, not that it cannot be exploited");
		break;
	}
	if (sb.oom || !cJSON_GetObjectItemCaseSensitive(s, "status")) {
		cJSON_Delete(s);
		s = NULL;
	}
	strbuf__free(&sb);
	return s;
}

/* Statements as they are made, before duplicates are merged. */
struct stmts {
	cJSON **v;
	char **name;
	int *status;
	size_t n;
	struct imap map;          /* name -> index */
};

static bool stmt_eq(const void *ctx, size_t idx)
{
	const void *const *k = ctx;
	const struct stmts *ss = k[0];

	return strcmp(ss->name[idx], (const char *)k[1]) == 0;
}

/* Add a statement (consumed) unless one about the same vulnerability is
 * there; then keep the one of higher status. name is consumed too. */
static int add_statement(struct stmts *ss, char *name, cJSON *st, int status)
{
	const void *key[2] = { ss, name };
	uint64_t h = fnv64(name, "");
	size_t slot;

	if (!st || imap_reserve(&ss->map)) {
		free(name);
		cJSON_Delete(st);
		return -ENOMEM;
	}
	slot = imap_probe(&ss->map, h, stmt_eq, key);
	if (ss->map.slot[slot]) {
		size_t i = ss->map.slot[slot] - 1;

		free(name);
		if (status > ss->status[i]) {
			cJSON_Delete(ss->v[i]);
			ss->v[i] = st;
			ss->status[i] = status;
		} else {
			cJSON_Delete(st);
		}
		return 0;
	}
	ss->v[ss->n] = st;
	ss->name[ss->n] = name;
	ss->status[ss->n] = status;
	ss->map.slot[slot] = ++ss->n;
	ss->map.hash[slot] = h;
	ss->map.n++;
	return 0;
}

static cJSON *make_vex(struct triage *t, cJSON *runs)
{
	size_t max = t->fs.n + t->nmissed + 1;
	struct stmts ss = { .v = calloc(max, sizeof(cJSON *)), .name = calloc(max, sizeof(char *)),
			    .status = calloc(max, sizeof(int)) };
	cJSON *doc = cJSON_CreateObject(), *stmts;
	const char *product = vex_product(t, runs);
	struct strbuf where = STRBUF_INIT, desc = STRBUF_INIT;
	unsigned char rnd[16];
	char id[64], now[64], tooling[64];
	bool ok = false;

	if (!doc || !ss.v || !ss.name || !ss.status)
		goto out;
	now_rfc3339(now, sizeof(now));
	snprintf(tooling, sizeof(tooling), "aisec-rt %s triage", AISEC_VERSION);
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
		/* Only uniqueness matters here: time and pid will do. */
		uint64_t a = fnv64(now, tooling), b = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);

		memcpy(rnd, &a, 8);
		memcpy(rnd + 8, &b, 8);
	}
	rnd[6] = (rnd[6] & 0x0f) | 0x40;
	rnd[8] = (rnd[8] & 0x3f) | 0x80;
	snprintf(id, sizeof(id), "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11],
		 rnd[12], rnd[13], rnd[14], rnd[15]);
	add_str(doc, "@context", OPENVEX_CONTEXT);
	add_str(doc, "@id", id);
	add_str(doc, "author", TOOL_NAME);
	add_str(doc, "role", "runtime verification");
	add_str(doc, "timestamp", now);
	cJSON_AddNumberToObject(doc, "version", 1);
	add_str(doc, "tooling", tooling);
	stmts = cJSON_AddArrayToObject(doc, "statements");
	if (!stmts)
		goto out;
	for (size_t i = 0; i < t->fs.n; i++) {
		const struct finding *f = &t->fs.v[i];
		const struct agg *a = &t->aggs[i];
		char *name;

		if (asprintf(&name, "%s#%s", *f->rule_id ? f->rule_id : "result", f->fingerprint) < 0)
			goto out;
		strbuf__reset(&where);
		strbuf__puts(&where, *f->uri ? f->uri : "(no location)");
		if (f->start_line > 0)
			strbuf__printf(&where, ":%d", f->start_line);
		strbuf__printf(&where, " (%s %s)", f->tool, f->rule_id);
		strbuf__reset(&desc);
		strbuf__puts(&desc, f->message);
		for (size_t c = 0; c < f->ncwes; c++)
			strbuf__printf(&desc, "%sCWE-%d%s", c ? ", " : " (", f->cwes[c], c + 1 == f->ncwes ? ")" : "");
		if (where.oom || desc.oom) {
			free(name);
			goto out;
		}
		if (add_statement(&ss, name, make_statement(name, desc.data, where.data, product, a),
				  a->count ? a->status : FINDING_UNOBSERVED))
			goto out;
	}
	for (size_t i = 0; i < t->nmissed; i++) {
		const struct missed *m = &t->missed[i];
		char *name;

		if (asprintf(&name, "%s/%s#%s", TOOL_NAME, m->detector, m->fp) < 0)
			goto out;
		if (add_statement(&ss, name, make_statement(name, m->reason, NULL, product, &m->a), m->a.status))
			goto out;
	}
	for (size_t i = 0; i < ss.n; i++) {
		cJSON_AddItemToArray(stmts, ss.v[i]);
		ss.v[i] = NULL;
	}
	ok = true;
out:
	for (size_t i = 0; i < ss.n; i++) {
		cJSON_Delete(ss.v[i]);
		free(ss.name[i]);
	}
	free(ss.v);
	free(ss.name);
	free(ss.status);
	imap_free(&ss.map);
	strbuf__free(&where);
	strbuf__free(&desc);
	if (!ok) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

static int write_json(struct sink_file *s, const cJSON *doc)
{
	char *text = cJSON_Print(doc);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = sink_file__write(s, text, strlen(text));
	if (!rc)
		rc = sink_file__write(s, "\n", 1);
	cJSON_free(text);
	return rc;
}

int triage__run(const struct triage_opts *o)
{
	struct triage t = { .o = o };
	struct sink_file *out = NULL, *vex_out = NULL;
	cJSON *log = NULL, *vex = NULL, *runs;
	char err[512];
	int rc, exit_code = 2;

	if (!o->nfindings || !o->evidence || !o->output) {
		log_err("triage needs --findings, --evidence and -o");
		return 2;
	}
	rc = load_inputs(&t);
	if (!rc)
		rc = index_findings(&t);
	if (!rc)
		rc = load_evidence(&t);
	if (!rc)
		rc = annotate(&t);
	if (rc) {
		/* Bad input was logged where it was found. */
		exit_code = rc == -ENOMEM ? 1 : 2;
		goto cleanup;
	}
	if (t.skipped)
		log_debug("%s: skipped %lu records of other schemas", o->evidence, t.skipped);
	if (t.unmatched)
		log_warn("%s: %lu evidence record(s) name findings that are in none of the --findings files",
			 o->evidence, t.unmatched);
	exit_code = 1;
	log = merge_docs(&t);
	if (!log)
		goto cleanup;
	runs = cJSON_GetObjectItemCaseSensitive(log, "runs");
	if (t.nmissed && add_missed_run(&t, runs))
		goto cleanup;
	if (o->vex) {
		if (t.fs.n + t.nmissed == 0) {
			/* OpenVEX needs at least one statement. */
			log_err("--vex: no findings and no detections, so no VEX statement to make");
			exit_code = 2;
			goto cleanup;
		}
		vex = make_vex(&t, runs);
		if (!vex)
			goto cleanup;
	}

	/* Create both temporary files before publishing either. */
	out = sink_file__open(o->output, err, sizeof(err));
	if (!out || (o->vex && !(vex_out = sink_file__open(o->vex, err, sizeof(err))))) {
		log_err("%s", err);
		exit_code = 2;
		goto cleanup;
	}
	rc = write_json(out, log);
	if (!rc && vex)
		rc = write_json(vex_out, vex);
	if (rc) {
		log_err("cannot write output: %s (nothing written)", strerror(-rc));
		goto cleanup;
	}
	rc = sink_file__commit(out, err, sizeof(err));
	out = NULL;
	if (rc) {
		log_err("%s", err);
		goto cleanup;
	}
	if (vex_out) {
		rc = sink_file__commit(vex_out, err, sizeof(err));
		vex_out = NULL;
		if (rc) {
			log_err("%s", err);
			/* Both or neither. */
			if (strcmp(o->output, "-") != 0)
				unlink(o->output);
			goto cleanup;
		}
	}
	fprintf(strcmp(o->output, "-") == 0 ? stderr : stdout,
		"%u findings: %u confirmed, %u triggered, %u reachable, %u unobserved; "
		"%zu attacks matched no finding (added as aisec-rt results)\n",
		(unsigned)t.fs.n, t.counts[FINDING_CONFIRMED], t.counts[FINDING_TRIGGERED], t.counts[FINDING_REACHABLE],
		t.counts[FINDING_UNOBSERVED], t.nmissed);
	exit_code = 0;

cleanup:
	/* The steps that only fail for lack of memory leave rc at 0. */
	if (exit_code == 1 && (rc == 0 || rc == -ENOMEM))
		log_err("out of memory");
	sink_file__abort(vex_out);
	sink_file__abort(out);
	cJSON_Delete(vex);
	for (size_t k = 0; k < t.nin; k++)
		cJSON_Delete(t.in[k].doc);
	free(t.in);
	cJSON_Delete(t.records);
	free(t.missed);
	imap_free(&t.missed_map);
	free(t.by_fp);
	free(t.aggs);
	findings__free(&t.fs);
	return exit_code;
}

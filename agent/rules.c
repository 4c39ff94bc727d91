/*
 * rules: load and validate the detectors' rule files, one JSON file per
 * weakness family plus tool-cwe-map.json. Every problem is reported with the
 * file and the JSON path; validation goes on after an error so that
 * `aisec-rt rules check` lists all of them, while ruleset__load keeps the
 * first one. Detector parameters are checked by the detectors themselves.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cmdi.h"
#include "jpath.h"
#include "pathtrav.h"
#include "rules.h"
#include "sqli.h"
#include "ssrf.h"

#define CWE_MAP_FILE "tool-cwe-map.json"
#define MAX_FILE_BYTES (4 << 20) /* rule files are hand-written; anything bigger is a mistake */
#define MAX_FAMILY_LEN 64
#define SHOWN_LEN 64
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct ruleset {
	struct rule_family *v;
	size_t n, cap;
	cJSON **docs; /* the parsed family files, v[i].params points into docs[i] */
	struct sarif_cwe_entry *map_v;
	size_t map_cap;
	struct sarif_cwe_map map;
};

typedef int (*check_params_fn)(const struct cJSON *params, char *err, size_t errlen);

static const struct {
	const char *name;
	check_params_fn check;
} detectors[] = {
	{ "sqli", sqli__check_params },
	{ "cmdi", cmdi__check_params },
	{ "path-traversal", pathtrav__check_params },
	{ "ssrf", ssrf__check_params },
};
#define KNOWN_DETECTORS "sqli, cmdi, path-traversal, ssrf"

/* The event kinds of aisec.event.v1 a family may read (docs/events.md). */
static const char *const event_kinds[] = { "exec",   "fork", "exit",   "open", "connect",
					   "accept", "bind", "listen", "sql" };
#define KNOWN_EVENTS "exec, fork, exit, open, connect, accept, bind, listen, sql"

static const char *const severities[] = { "low", "medium", "high", "critical" };

static const char *const family_keys[] = { "family",   "description", "detector", "cwes", "events",
					   "severity", "enabled",     "params",   NULL };

static const char *const map_keys[] = { "description", "tools", NULL };

/* Where errors go: every one to out (rules check), the first to err (load). */
struct report {
	FILE *out;
	char *err;
	size_t errlen;
	int first_errno;
	unsigned nerrors;
};

/* A family already seen in an earlier file, for cross-file checks. */
struct seen {
	char *name;
	char *file;
	char *detector; /* NULL unless enabled and known */
};

/* Validation state: the file being read, and what earlier files defined. */
struct ctx {
	struct report *r;
	const char *file;
	struct seen *seen;
	size_t nseen, seen_cap;
};

static void report(struct report *r, int errnum, const char *file, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct report *r, int errnum, const char *file, const char *path, const char *fmt, ...)
{
	char *msg = NULL, *line = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		msg = NULL;
	if (path)
		rc = asprintf(&line, "%s: %s: %s", file, path, msg ? msg : "out of memory");
	else
		rc = asprintf(&line, "%s: %s", file, msg ? msg : "out of memory");
	if (rc < 0)
		line = NULL;
	if (r->out)
		fprintf(r->out, "%s\n", line ? line : "out of memory");
	if (r->nerrors++ == 0) {
		r->first_errno = errnum;
		if (r->err && r->errlen)
			snprintf(r->err, r->errlen, "%s", line ? line : "out of memory");
	}
	free(line);
	free(msg);
}

static void fail(struct ctx *c, const struct jpath *p, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct ctx *c, const struct jpath *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(c->r, EINVAL, c->file, jpath__str(p), "%s", msg);
}

static int in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(s, list[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* Report repeated and unknown keys of an object (cJSON keeps both copies of a
 * repeated key; which one wins would be an accident). */
static void check_keys(struct ctx *c, const cJSON *obj, struct jpath *p, const char *const *known)
{
	const cJSON *item;
	char list[512];
	size_t old;

	cJSON_ArrayForEach(item, obj)
	{
		old = jpath__key(p, item->string);
		if (jpath__repeated_key(obj, item))
			fail(c, p, "key appears twice");
		else if (!jpath__known_key(item->string, known))
			fail(c, p, "unknown key (known: %s)", jpath__key_list(known, list, sizeof(list)));
		jpath__pop(p, old);
	}
}

/* First value of key in obj (exact case; cJSON_GetObjectItem ignores case). */
static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static bool positive_int(const cJSON *item, int *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	if (!(d >= 1 && d <= INT_MAX) || (double)(int)d != d)
		return false;
	*out = (int)d;
	return true;
}

/* A non-empty array of distinct positive integers into cwes; the count, or 0
 * after reporting why not. p is the array's path. */
static size_t parse_cwes(struct ctx *c, const cJSON *arr, struct jpath *p, int *cwes)
{
	const cJSON *item;
	size_t n = 0, i, j, old;
	bool ok = true;
	int v;

	if (!cJSON_IsArray(arr) || !arr->child) {
		fail(c, p, "expected a non-empty array of CWE numbers, e.g. [89]");
		return 0;
	}
	if ((size_t)cJSON_GetArraySize(arr) > FINDING_MAX_CWES) {
		fail(c, p, "at most %d CWE numbers", FINDING_MAX_CWES);
		return 0;
	}
	i = 0;
	cJSON_ArrayForEach(item, arr)
	{
		old = jpath__idx(p, i++);
		if (!positive_int(item, &v)) {
			fail(c, p, "expected a positive integer CWE number (89, not \"CWE-89\")");
			ok = false;
		} else {
			for (j = 0; j < n && cwes[j] != v; j++)
				;
			if (j < n) {
				fail(c, p, "CWE %d is listed twice", v);
				ok = false;
			} else {
				cwes[n++] = v;
			}
		}
		jpath__pop(p, old);
	}
	return ok ? n : 0;
}

static bool valid_family_name(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	}
	return n > 0 && n <= MAX_FAMILY_LEN;
}

static int detector_index(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(detectors); i++) {
		if (strcmp(name, detectors[i].name) == 0)
			return (int)i;
	}
	return -1;
}

static void free_family(struct rule_family *f)
{
	size_t i;

	free(f->name);
	free(f->file);
	free(f->description);
	free(f->detector);
	for (i = 0; i < f->nevents; i++)
		free(f->events[i]);
	free(f->events);
}

/* Grow *v (elements of size sz) so that it holds at least n + 1. */
static int reserve(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	nv = reallocarray(*v, ncap, sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* Room for one more family (v and docs grow together). */
static int grow_families(struct ruleset *rs)
{
	size_t ncap = rs->cap ? rs->cap * 2 : 8;
	struct rule_family *v;
	cJSON **docs;

	if (rs->n < rs->cap)
		return 0;
	v = reallocarray(rs->v, ncap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	rs->v = v;
	docs = reallocarray(rs->docs, ncap, sizeof(*docs));
	if (!docs)
		return -ENOMEM;
	rs->docs = docs;
	rs->cap = ncap;
	return 0;
}

static void oom(struct ctx *c)
{
	report(c->r, ENOMEM, c->file, NULL, "out of memory");
}

/* The enabled family in an earlier file that already uses detector, or NULL. */
static const struct seen *detector_taken(const struct ctx *c, const char *detector)
{
	size_t i;

	for (i = 0; i < c->nseen; i++) {
		if (c->seen[i].detector && strcmp(c->seen[i].detector, detector) == 0)
			return &c->seen[i];
	}
	return NULL;
}

/* Validate one family file; on success (no error reported for it) append it
 * to rs, which then owns doc. */
static void parse_family(struct ruleset *rs, struct ctx *c, cJSON *doc)
{
	const cJSON *family, *description, *detector, *cwes, *events, *severity, *enabled, *item;
	struct rule_family f = { .enabled = true };
	unsigned errors_before = c->r->nerrors;
	struct jpath p;
	char buf[SHOWN_LEN], buf2[SHOWN_LEN];
	cJSON *params;
	size_t i, j, old;
	int det = -1;

	jpath__init(&p, 0);
	if (!cJSON_IsObject(doc)) {
		fail(c, &p, "expected an object (a rule family; see docs/rules.md)");
		cJSON_Delete(doc);
		return;
	}
	check_keys(c, doc, &p, family_keys);
	family = get(doc, "family");
	description = get(doc, "description");
	detector = get(doc, "detector");
	cwes = get(doc, "cwes");
	events = get(doc, "events");
	severity = get(doc, "severity");
	enabled = get(doc, "enabled");
	params = cJSON_GetObjectItemCaseSensitive(doc, "params");

	old = jpath__key(&p, "family");
	if (!family) {
		fail(c, &p, "missing (every family file names its family)");
	} else if (!cJSON_IsString(family)) {
		fail(c, &p, "expected a string");
	} else if (!valid_family_name(family->valuestring)) {
		fail(c, &p, "'%s' is not a valid family name (1 to %d of a-z, 0-9 and '-')",
		     jpath__shown(family->valuestring, buf, sizeof(buf)), MAX_FAMILY_LEN);
	} else {
		for (i = 0; i < c->nseen && strcmp(c->seen[i].name, family->valuestring) != 0; i++)
			;
		if (i < c->nseen)
			fail(c, &p, "family '%s' is already defined in %s", family->valuestring, c->seen[i].file);
		else
			f.name = strdup(family->valuestring);
	}
	jpath__pop(&p, old);

	old = jpath__key(&p, "description");
	if (!description)
		fail(c, &p, "missing (say in a sentence what the family detects)");
	else if (!cJSON_IsString(description))
		fail(c, &p, "expected a string");
	else
		f.description = strdup(description->valuestring);
	jpath__pop(&p, old);

	old = jpath__key(&p, "detector");
	if (!detector) {
		fail(c, &p, "missing (one of: %s)", KNOWN_DETECTORS);
	} else if (!cJSON_IsString(detector)) {
		fail(c, &p, "expected a string (one of: %s)", KNOWN_DETECTORS);
	} else if ((det = detector_index(detector->valuestring)) < 0) {
		fail(c, &p, "unknown detector '%s' (known: %s)", jpath__shown(detector->valuestring, buf, sizeof(buf)),
		     KNOWN_DETECTORS);
	} else {
		f.detector = strdup(detector->valuestring);
	}
	jpath__pop(&p, old);

	old = jpath__key(&p, "cwes");
	if (!cwes)
		fail(c, &p, "missing (the CWE numbers the family covers, e.g. [89])");
	else
		f.ncwes = parse_cwes(c, cwes, &p, f.cwes);
	jpath__pop(&p, old);

	old = jpath__key(&p, "events");
	if (!events) {
		fail(c, &p, "missing (the event kinds the family reads, e.g. [\"sql\"])");
	} else if (!cJSON_IsArray(events) || !events->child) {
		fail(c, &p, "expected a non-empty array of event kinds, e.g. [\"exec\"]");
	} else {
		f.events = calloc((size_t)cJSON_GetArraySize(events), sizeof(*f.events));
		if (!f.events)
			oom(c);
		i = 0;
		cJSON_ArrayForEach(item, events)
		{
			size_t o = jpath__idx(&p, i++);

			if (!cJSON_IsString(item)) {
				fail(c, &p, "expected a string (one of: %s)", KNOWN_EVENTS);
			} else if (in_list(item->valuestring, event_kinds, ARRAY_SIZE(event_kinds)) < 0) {
				fail(c, &p, "unknown event kind '%s' (known: %s)",
				     jpath__shown(item->valuestring, buf, sizeof(buf)), KNOWN_EVENTS);
			} else if (f.events) {
				for (j = 0; j < f.nevents && strcmp(f.events[j], item->valuestring) != 0; j++)
					;
				if (j < f.nevents)
					fail(c, &p, "event kind '%s' is listed twice", item->valuestring);
				else if (!(f.events[f.nevents++] = strdup(item->valuestring)))
					oom(c);
			}
			jpath__pop(&p, o);
		}
	}
	jpath__pop(&p, old);

	old = jpath__key(&p, "severity");
	if (!severity)
		fail(c, &p, "missing (one of: low, medium, high, critical)");
	else if (!cJSON_IsString(severity))
		fail(c, &p, "expected a string (one of: low, medium, high, critical)");
	else if (in_list(severity->valuestring, severities, ARRAY_SIZE(severities)) < 0)
		fail(c, &p, "'%s' is not a severity (use low, medium, high or critical)",
		     jpath__shown(severity->valuestring, buf, sizeof(buf)));
	else
		snprintf(f.severity, sizeof(f.severity), "%s", severity->valuestring);
	jpath__pop(&p, old);

	old = jpath__key(&p, "enabled");
	if (enabled && !cJSON_IsBool(enabled))
		fail(c, &p, "expected true or false");
	else if (enabled)
		f.enabled = cJSON_IsTrue(enabled);
	jpath__pop(&p, old);

	old = jpath__key(&p, "params");
	if (params && !cJSON_IsObject(params)) {
		if (det >= 0)
			fail(c, &p, "expected an object (the %s detector's parameters)", detectors[det].name);
		else
			fail(c, &p, "expected an object");
	} else {
		/* Absent params are an empty object, so detectors see one shape. */
		if (!params && !(params = cJSON_AddObjectToObject(doc, "params")))
			oom(c);
		if (params && det >= 0) {
			char derr[512] = "";

			if (detectors[det].check(params, derr, sizeof(derr)) != 0) {
				/* One line per error, whatever the detector quoted. */
				for (char *d = derr; *d; d++) {
					if ((unsigned char)*d < 0x20 || *d == 0x7f)
						*d = '?';
				}
				report(c->r, EINVAL, c->file, NULL, "%s",
				       derr[0] ? derr : "$.params: rejected by the detector (no reason given)");
			}
		}
	}
	f.params = params;
	jpath__pop(&p, old);

	/* One enabled family per detector: ruleset__by_detector must not guess. */
	if (f.detector && f.enabled) {
		const struct seen *s = detector_taken(c, f.detector);

		if (s) {
			old = jpath__key(&p, "detector");
			fail(c, &p,
			     "detector '%s' already runs family '%s' (%s); set \"enabled\": false in one of them",
			     f.detector, jpath__shown(s->name, buf2, sizeof(buf2)), s->file);
			jpath__pop(&p, old);
		}
	}

	/* Remember the family for the files that follow, even when this one is bad. */
	if (f.name && reserve((void **)&c->seen, &c->seen_cap, c->nseen, sizeof(*c->seen)) == 0) {
		struct seen *s = &c->seen[c->nseen];

		s->name = strdup(f.name);
		s->file = strdup(c->file);
		s->detector = f.detector && f.enabled ? strdup(f.detector) : NULL;
		if (!s->name || !s->file || (f.detector && f.enabled && !s->detector)) {
			free(s->name);
			free(s->file);
			free(s->detector);
			oom(c);
		} else {
			c->nseen++;
		}
	}

	f.file = strdup(c->file);
	if (c->r->nerrors == errors_before &&
	    (!f.name || !f.description || !f.detector || !f.file || !f.params || f.nevents == 0 ||
	     grow_families(rs)))
		oom(c);
	if (c->r->nerrors != errors_before) {
		free_family(&f);
		cJSON_Delete(doc);
		return;
	}
	rs->v[rs->n] = f;
	rs->docs[rs->n] = doc;
	rs->n++;
}

/* Validate tool-cwe-map.json: {"description": "...", "tools": {TOOL: {RULE_ID: [CWE, ...]}}}.
 * The tool names group the rule ids for people; lookups use the rule id alone,
 * so a rule id may appear only once in the whole file. */
static void parse_cwe_map(struct ruleset *rs, struct ctx *c, cJSON *doc)
{
	const cJSON *description, *tools, *tool, *rule;
	struct jpath p;
	const char **owner = NULL; /* tool of each entry, for the twice-mapped message */
	size_t owner_cap = 0, old, old2, old3, i;
	struct sarif_cwe_entry e;

	jpath__init(&p, 0);
	if (!cJSON_IsObject(doc)) {
		fail(c, &p, "expected an object {\"description\": ..., \"tools\": {TOOL: {RULE_ID: [CWE, ...]}}}");
		goto out;
	}
	check_keys(c, doc, &p, map_keys);
	description = get(doc, "description");
	tools = get(doc, "tools");
	old = jpath__key(&p, "description");
	if (description && !cJSON_IsString(description))
		fail(c, &p, "expected a string");
	jpath__pop(&p, old);

	old = jpath__key(&p, "tools");
	if (!tools) {
		fail(c, &p, "missing (an object: tool name -> {rule id -> [CWE numbers]})");
		goto out;
	}
	if (!cJSON_IsObject(tools)) {
		fail(c, &p, "expected an object: tool name -> {rule id -> [CWE numbers]}");
		goto out;
	}
	cJSON_ArrayForEach(tool, tools)
	{
		old2 = jpath__key(&p, tool->string);
		if (jpath__repeated_key(tools, tool)) {
			fail(c, &p, "tool appears twice");
		} else if (!tool->string[0]) {
			fail(c, &p, "empty tool name");
		} else if (!cJSON_IsObject(tool)) {
			fail(c, &p, "expected an object: rule id -> [CWE numbers]");
		} else {
			cJSON_ArrayForEach(rule, tool)
			{
				old3 = jpath__key(&p, rule->string);
				memset(&e, 0, sizeof(e));
				for (i = 0; i < rs->map.n && strcmp(rs->map_v[i].rule_id, rule->string) != 0; i++)
					;
				if (!rule->string[0]) {
					fail(c, &p, "empty rule id");
				} else if (i < rs->map.n) {
					/* Also catches a key repeated in one tool object. */
					fail(c, &p, "rule id already mapped under tool '%s'", owner[i]);
				} else if ((e.ncwes = parse_cwes(c, rule, &p, e.cwes)) > 0) {
					if (reserve((void **)&rs->map_v, &rs->map_cap, rs->map.n, sizeof(*rs->map_v)) ||
					    reserve((void **)&owner, &owner_cap, rs->map.n, sizeof(*owner)) ||
					    !(e.rule_id = strdup(rule->string))) {
						oom(c);
					} else {
						owner[rs->map.n] = tool->string;
						rs->map_v[rs->map.n++] = e;
						rs->map.v = rs->map_v;
					}
				}
				jpath__pop(&p, old3);
			}
		}
		jpath__pop(&p, old2);
	}
	jpath__pop(&p, old);
out:
	free(owner);
	cJSON_Delete(doc);
}

/* Read a whole regular file, NUL-terminated; NULL with errno set. */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		rc = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (st.st_size > MAX_FILE_BYTES) {
		rc = EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = ENOMEM;
		goto fail;
	}
	/* Read to EOF, not to st_size: the file may change while we read. */
	while ((n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno;
			goto fail;
		}
		got += (size_t)n;
		if (got == (size_t)st.st_size)
			break;
	}
	buf[got] = '\0';
	close(fd);
	*len = got;
	return buf;
fail:
	free(buf);
	close(fd);
	errno = rc;
	return NULL;
}

/* Whether JSON text that is valid up to q expects an object key at q: the
 * innermost container open there is an object and the last character before
 * q (spaces aside) is its '{' or a ','. */
static bool key_expected_at(const char *text, size_t q)
{
	char open[256]; /* containers open at q, innermost last */
	bool in_string = false, escaped = false;
	size_t i, depth = 0;
	char last = 0;

	for (i = 0; i < q; i++) {
		char ch = text[i];

		if (in_string) {
			if (escaped)
				escaped = false;
			else if (ch == '\\')
				escaped = true;
			else if (ch == '"')
				in_string = false;
		} else if (ch == '"') {
			in_string = true;
		} else if (ch == '{' || ch == '[') {
			if (depth == sizeof(open))
				return false;
			open[depth++] = ch;
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		}
		if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
			last = ch;
	}
	return !in_string && depth > 0 && open[depth - 1] == '{' && (last == '{' || last == ',');
}

/* Parse text as JSON; NULL after reporting "file: line L, column C: invalid JSON". */
static cJSON *parse_json(struct ctx *c, const char *text, size_t len)
{
	const char *end = NULL, *nul, *at;
	size_t line, col;
	cJSON *doc;

	/* A NUL inside the text would end it early for cJSON: not JSON either. */
	nul = memchr(text, '\0', len);
	doc = nul ? NULL : cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
	if (doc)
		return doc;
	at = nul ? nul : cJSON_GetErrorPtr();
	if (!at || at < text || at > text + len)
		at = end && end >= text && end <= text + len ? end : text + len;
	/* Where an object key was expected cJSON points one past the offending
	 * character ("{\"a\": 1,}" points after the '}'): step back onto it. */
	if (!nul && at > text && !strchr("\" \t\r\n", at[-1]) && key_expected_at(text, (size_t)(at - 1 - text)))
		at--;
	jpath__line_col(text, (size_t)(at - text), &line, &col);
	report(c->r, EINVAL, c->file, NULL, "line %zu, column %zu: invalid JSON", line, col);
	return NULL;
}

static int json_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	/* Hidden files are editors' and tools' business, not rules. */
	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Byte order, whatever the locale: the order the families load in. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

struct load_stats {
	unsigned nfiles;
	unsigned bad_files;
};

/* Load and validate every rule file in dir, reporting every error to r.
 * Returns the ruleset (to be discarded when r->nerrors), NULL when out of memory. */
static struct ruleset *load_dir(const char *dir, struct report *r, struct load_stats *st)
{
	struct ctx c = { .r = r, .file = dir };
	struct dirent **names = NULL;
	struct ruleset *rs;
	size_t len, dlen = strlen(dir);
	unsigned before;
	char *path, *text;
	cJSON *doc;
	int n, i;

	rs = calloc(1, sizeof(*rs));
	if (!rs) {
		report(r, ENOMEM, dir, NULL, "out of memory");
		return NULL;
	}
	n = scandir(dir, &names, json_name, by_name);
	if (n < 0) {
		report(r, errno, dir, NULL, "cannot read the rules directory: %s", strerror(errno));
		return rs;
	}
	if (n == 0)
		report(r, ENOENT, dir, NULL, "no rule files (*.json) in this directory");
	for (i = 0; i < n; i++) {
		st->nfiles++;
		before = r->nerrors;
		if (asprintf(&path, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/", names[i]->d_name) < 0) {
			report(r, ENOMEM, dir, NULL, "out of memory");
			break;
		}
		c.file = path;
		text = read_file(path, &len);
		if (!text) {
			report(r, errno, path, NULL, "cannot read: %s", strerror(errno));
		} else if ((doc = parse_json(&c, text, len))) {
			if (strcmp(names[i]->d_name, CWE_MAP_FILE) == 0)
				parse_cwe_map(rs, &c, doc);
			else
				parse_family(rs, &c, doc);
		}
		free(text);
		free(path);
		if (r->nerrors != before)
			st->bad_files++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (size_t k = 0; k < c.nseen; k++) {
		free(c.seen[k].name);
		free(c.seen[k].file);
		free(c.seen[k].detector);
	}
	free(c.seen);
	return rs;
}

struct ruleset *ruleset__load(const char *dir, char *err, size_t errlen)
{
	struct report r = { .err = err, .errlen = errlen };
	struct load_stats st = { 0 };
	struct ruleset *rs;

	if (err && errlen)
		err[0] = '\0';
	rs = load_dir(dir, &r, &st);
	if (r.nerrors) {
		ruleset__free(rs);
		errno = r.first_errno ? r.first_errno : EINVAL;
		return NULL;
	}
	return rs;
}

void ruleset__free(struct ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++) {
		free_family(&rs->v[i]);
		cJSON_Delete(rs->docs[i]);
	}
	free(rs->v);
	free(rs->docs);
	for (i = 0; i < rs->map.n; i++)
		free((char *)rs->map_v[i].rule_id);
	free(rs->map_v);
	free(rs);
}

size_t ruleset__count(const struct ruleset *rs)
{
	return rs ? rs->n : 0;
}

const struct rule_family *ruleset__get(const struct ruleset *rs, size_t i)
{
	return rs && i < rs->n ? &rs->v[i] : NULL;
}

const struct rule_family *ruleset__by_detector(const struct ruleset *rs, const char *detector)
{
	size_t i;

	for (i = 0; rs && detector && i < rs->n; i++) {
		if (rs->v[i].enabled && strcmp(rs->v[i].detector, detector) == 0)
			return &rs->v[i];
	}
	return NULL;
}

const struct sarif_cwe_map *ruleset__cwe_map(const struct ruleset *rs)
{
	static const struct sarif_cwe_map empty;

	return rs ? &rs->map : &empty;
}

static const char *plural(unsigned long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int rules__check(const char *dir, FILE *out)
{
	struct report r = { .out = out };
	struct load_stats st = { 0 };
	struct ruleset *rs;
	size_t i, ndisabled = 0;
	const char *sep;

	rs = load_dir(dir, &r, &st);
	if (r.nerrors) {
		if (st.nfiles)
			fprintf(out, "%s: %u %s in %u of %u %s\n", dir, r.nerrors, plural(r.nerrors, "error", "errors"),
				st.bad_files, st.nfiles, plural(st.nfiles, "file", "files"));
		else
			fprintf(out, "%s: %u %s\n", dir, r.nerrors, plural(r.nerrors, "error", "errors"));
		ruleset__free(rs);
		return 2;
	}
	fprintf(out, "%s: ok: %zu %s%s", dir, rs->n, plural(rs->n, "family", "families"), rs->n ? " (" : "");
	for (i = 0, sep = ""; i < rs->n; i++) {
		if (rs->v[i].enabled) {
			fprintf(out, "%s%s", sep, rs->v[i].name);
			sep = ", ";
		} else {
			ndisabled++;
		}
	}
	if (ndisabled) {
		fprintf(out, "%sdisabled: ", rs->n > ndisabled ? "; " : "");
		for (i = 0, sep = ""; i < rs->n; i++) {
			if (!rs->v[i].enabled) {
				fprintf(out, "%s%s", sep, rs->v[i].name);
				sep = ", ";
			}
		}
	}
	fprintf(out, "%s, %zu tool rule %s mapped to CWEs\n", rs->n ? ")" : "", rs->map.n,
		plural(rs->map.n, "id", "ids"));
	ruleset__free(rs);
	return 0;
}

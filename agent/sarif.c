/*
 * sarif: read static findings from SARIF 2.1.0 logs (see sarif.h).
 *
 * A log is either taken as a whole or rejected as a whole:
 * - Not JSON: "f.sarif:12:5: invalid JSON; ..." (line and byte column of
 *   the position cJSON stopped at).
 * - Wrong shape: "f.sarif: $.runs[0].results[3].locations[0]
 *   .physicalLocation: expected an object". Every SARIF-defined object we
 *   read is checked for its JSON type (objects, arrays, strings, numbers);
 *   JSON null counts as absent. Property bags ("properties") are the tools'
 *   own: what we look for there (tags, cwe, issue_cwe) is read when it has a
 *   type we understand and ignored otherwise.
 * - A result we cannot attribute (no ruleId and no usable ruleIndex) or
 *   without a message is skipped and reported to the warning callback with
 *   its JSON path; so is a ruleIndex out of range, after which the ruleId is
 *   used. Warnings are delivered only once the whole log has been accepted,
 *   so a rejected log produces its error and nothing else.
 *
 * Choices the standard leaves open:
 * - An empty ruleId counts as none.
 * - The rule descriptor of a result: ruleIndex (or rule.index) in the
 *   component named by rule.toolComponent.index (tool.extensions[i]; the
 *   driver when absent), else the descriptor whose id is ruleId, else the
 *   one whose id is a hierarchical prefix of it ("CA2000/1" -> "CA2000").
 * - Levels other than none/note/warning/error are ignored (the next source
 *   is used), so consumers only ever see those four.
 * - A message is message.text, else the rule's messageStrings[message.id],
 *   with {N} placeholders replaced by message.arguments when there are any,
 *   else the rule's shortDescription.text.
 * - The uri is artifactLocation.uri, else run.artifacts[index].location.uri.
 * - A startLine that is a number but not a line (0, negative, fractional)
 *   reads as 0 (unknown): some tools emit 0 for whole-file results.
 * - CWEs, deduplicated, in this order: the rule's properties (tags, cwe),
 *   the rule's relationships, the result's properties (tags, cwe, issue_cwe),
 *   the result's taxa, then the caller's map for the rule id. A relationship
 *   or taxon counts when its toolComponent is named "CWE" (any case) or is
 *   run.taxonomies[i] with that name; its id may be "89", "CWE-89" or 89.
 * - Fingerprint: the first non-empty partialFingerprints value by key
 *   (bytewise order); one longer than FINDING_FP_LEN is replaced by its XXH64
 *   (hex), still marked as the tool's. Otherwise XXH64 over tool, rule id,
 *   uri, start line (decimal) and region.snippet.text, each preceded by its
 *   length as 8 little-endian bytes, printed as 16 hex digits. Stored
 *   fingerprints must stay comparable, so this encoding must not change.
 *
 * Cost is linear in the size of the log plus n log n sorts of rule ids and
 * map entries; arrays are walked, never indexed through cJSON.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "sarif.h"

#define PATH_LEN 320
/* Bound on a message built from placeholders, so arguments repeated many
 * times cannot blow up memory. */
#define MESSAGE_MAX (64 * 1024)
/* How many trailing "/component"s of a hierarchical ruleId we try to strip. */
#define RULE_ID_DEPTH 8
/* CWE numbers have at most this many digits (today's ids stay under 2000). */
#define CWE_DIGITS 7

struct rule_info {
	const char *id;               /* NULL when the descriptor has none */
	const char *level;            /* defaultConfiguration.level if valid, else NULL */
	const char *short_desc;       /* shortDescription.text, or NULL */
	const cJSON *message_strings; /* checked: members are objects with a text string */
	int cwes[FINDING_MAX_CWES];
	size_t ncwes;
};

struct component {
	struct rule_info *rules;
	size_t nrules;
};

struct rule_ref {
	const char *id;
	size_t order; /* position over all components, driver first: first one wins */
	const struct rule_info *rule;
};

struct artifact {
	const char *uri;
	const char *base;
};

struct run {
	const char *tool;
	struct component *comps; /* [0] the driver, [1 + e] tool.extensions[e] */
	size_t ncomps;
	struct rule_ref *by_id; /* rules with an id, sorted by id then order */
	size_t nby_id;
	bool *cwe_taxonomy; /* run.taxonomies[t] is the CWE taxonomy */
	size_t ntaxonomies;
	struct artifact *artifacts;
	size_t nartifacts;
};

struct warning {
	char *path;
	char *why;
};

struct ctx {
	const char *name;
	char *err;
	size_t errlen;
	char path[PATH_LEN];
	size_t plen;
	const struct sarif_cwe_entry **map; /* entries with a rule id, sorted by it */
	size_t nmap;
	struct warning *warns;
	size_t nwarns, capwarns;
	struct findings found;
};

enum jtype {
	J_OBJECT,
	J_ARRAY,
	J_STRING,
	J_NUMBER,
};

static const char *const expected[] = {
	[J_OBJECT] = "expected an object",
	[J_ARRAY] = "expected an array",
	[J_STRING] = "expected a string",
	[J_NUMBER] = "expected a number",
};

static const char *const levels[] = { "none", "note", "warning", "error" };

static size_t path_push(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(struct ctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen = old + (size_t)n < sizeof(c->path) ? old + (size_t)n : sizeof(c->path) - 1;
	return old;
}

static void path_pop(struct ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "name: $.path: <what>" into err; always -EINVAL. */
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s: %s: ", c->name, c->path);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int oom(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	return -ENOMEM;
}

static int warn(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Queue a warning for the result at the current path. */
static int warn(struct ctx *c, const char *fmt, ...)
{
	struct warning *w;
	va_list ap;
	char *why;
	int n;

	if (c->nwarns == c->capwarns) {
		size_t cap = c->capwarns ? c->capwarns * 2 : 8;

		w = realloc(c->warns, cap * sizeof(*w));
		if (!w)
			return oom(c);
		c->warns = w;
		c->capwarns = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&why, fmt, ap);
	va_end(ap);
	if (n < 0)
		return oom(c);
	w = &c->warns[c->nwarns];
	w->path = strdup(c->path);
	if (!w->path) {
		free(why);
		return oom(c);
	}
	w->why = why;
	c->nwarns++;
	return 0;
}

static bool is_type(const cJSON *v, enum jtype t)
{
	switch (t) {
	case J_OBJECT:
		return cJSON_IsObject(v);
	case J_ARRAY:
		return cJSON_IsArray(v);
	case J_STRING:
		return cJSON_IsString(v) && v->valuestring;
	case J_NUMBER:
		return cJSON_IsNumber(v);
	}
	return false;
}

/*
 * *out = parent.key when it has type t; NULL when absent or null. Fails
 * (naming the key) when it has another type, or is absent and required.
 */
static int get(struct ctx *c, const cJSON *parent, const char *key, enum jtype t, bool required, const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (!required)
			return 0;
	} else if (is_type(v, t)) {
		*out = v;
		return 0;
	}
	path_push(c, ".%s", key);
	return fail(c, "%s", expected[t]);
}

/* The same for a string: *out is its text or NULL. */
static int get_str(struct ctx *c, const cJSON *parent, const char *key, bool required, const char **out)
{
	const cJSON *v;
	int ret;

	ret = get(c, parent, key, J_STRING, required, &v);
	*out = v ? v->valuestring : NULL;
	return ret;
}

/* A number usable as an array index: an integer in [0, 2^53). */
static bool as_index(const cJSON *v, size_t *out)
{
	double d = v->valuedouble;

	if (!(d >= 0 && d < 9007199254740992.0) || (double)(uint64_t)d != d)
		return false;
#if SIZE_MAX < UINT64_MAX
	if ((uint64_t)d > SIZE_MAX)
		return false;
#endif
	*out = (size_t)d;
	return true;
}

/* A JSON number as written in messages: "7", "-2", "1.5", "1e+300". */
static const char *number_text(double d, char *buf, size_t len)
{
	if (d > -1e15 && d < 1e15 && (double)(long long)d == d)
		snprintf(buf, len, "%lld", (long long)d);
	else
		snprintf(buf, len, "%g", d);
	return buf;
}

static bool valid_level(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(s, levels[i]) == 0)
			return true;
	}
	return false;
}

/*
 * The CWE number in s[0..]: 1-7 digits (leading zeros allowed), not 0.
 * whole: nothing may follow; else only a character that is not a letter or
 * digit may ("CWE-78: ...", "CWE-119!").
 */
static int cwe_digits(const char *s, bool whole)
{
	int v = 0;
	size_t n;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == CWE_DIGITS)
			return 0;
		v = v * 10 + (s[n] - '0');
	}
	if (n == 0 || v == 0)
		return 0;
	if (whole ? s[n] != '\0' : isalnum((unsigned char)s[n]) != 0)
		return 0;
	return v;
}

/*
 * A CWE from the tag forms tools write, 0 if none: "external/cwe/cwe-089"
 * (CodeQL, Bandit), "CWE-78: Improper ..." (Semgrep), "CWE-22" (Bandit).
 */
static int cwe_from_tag(const char *s)
{
	static const char external[] = "external/cwe/cwe-";

	if (strncasecmp(s, external, sizeof(external) - 1) == 0)
		return cwe_digits(s + sizeof(external) - 1, true);
	if (strncasecmp(s, "cwe-", 4) == 0)
		return cwe_digits(s + 4, false);
	return 0;
}

/* A CWE from a number (89) or the text "89" / "CWE-89". */
static int cwe_from_value(const cJSON *v)
{
	size_t n;

	if (cJSON_IsNumber(v))
		return as_index(v, &n) && n > 0 && n < 10000000 ? (int)n : 0;
	if (cJSON_IsString(v) && v->valuestring)
		return strncasecmp(v->valuestring, "cwe-", 4) == 0 ? cwe_from_tag(v->valuestring)
								    : cwe_digits(v->valuestring, true);
	return 0;
}

static void add_cwe(int *cwes, size_t *n, int cwe)
{
	size_t i;

	if (cwe <= 0)
		return;
	for (i = 0; i < *n; i++) {
		if (cwes[i] == cwe)
			return;
	}
	if (*n < FINDING_MAX_CWES)
		cwes[(*n)++] = cwe;
}

/*
 * CWEs in a property bag: tags (strings in the tag forms), cwe (one such
 * string, a number, or an array of them), issue_cwe {"id": 78} (Bandit's
 * JSON shape). Other types are the tool's business and ignored.
 */
static void cwes_from_properties(const cJSON *props, int *cwes, size_t *n)
{
	const cJSON *v, *el;

	v = cJSON_GetObjectItemCaseSensitive(props, "tags");
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(el, v)
		{
			if (cJSON_IsString(el) && el->valuestring)
				add_cwe(cwes, n, cwe_from_tag(el->valuestring));
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(props, "cwe");
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(el, v)
			add_cwe(cwes, n, cwe_from_value(el));
	} else {
		add_cwe(cwes, n, cwe_from_value(v));
	}
	v = cJSON_GetObjectItemCaseSensitive(props, "issue_cwe");
	if (cJSON_IsObject(v))
		add_cwe(cwes, n, cwe_from_value(cJSON_GetObjectItemCaseSensitive(v, "id")));
}

/*
 * A reportingDescriptorReference (rule.relationships[].target, result.taxa[]):
 * *cwe is its CWE when it points into the CWE taxonomy, else 0.
 */
static int taxon_ref(struct ctx *c, const struct run *r, const cJSON *ref, int *cwe)
{
	const cJSON *id, *tc, *index;
	const char *name;
	bool is_cwe = false;
	size_t old, t;
	int ret;

	*cwe = 0;
	id = cJSON_GetObjectItemCaseSensitive(ref, "id");
	/* A number is not SARIF, but flawfinder before 2.0.16 wrote one. */
	if (id && !cJSON_IsNull(id) && !cJSON_IsNumber(id) && !is_type(id, J_STRING)) {
		path_push(c, ".id");
		return fail(c, "%s", expected[J_STRING]);
	}
	ret = get(c, ref, "toolComponent", J_OBJECT, false, &tc);
	if (ret || !tc)
		return ret;
	old = path_push(c, ".toolComponent");
	ret = get_str(c, tc, "name", false, &name);
	if (!ret)
		ret = get(c, tc, "index", J_NUMBER, false, &index);
	if (ret)
		return ret;
	path_pop(c, old);
	if (name)
		is_cwe = strcasecmp(name, "CWE") == 0;
	else if (index && as_index(index, &t) && t < r->ntaxonomies)
		is_cwe = r->cwe_taxonomy[t];
	if (is_cwe && id)
		*cwe = cwe_from_value(id);
	return 0;
}

/* The CWEs of an array of references (key "taxa") or relationships ("relationships"). */
static int cwes_from_refs(struct ctx *c, const struct run *r, const cJSON *parent, const char *key,
			  bool relationships, int *cwes, size_t *n)
{
	const cJSON *arr, *el, *target;
	size_t old, i = 0, old_el;
	int ret, cwe;

	ret = get(c, parent, key, J_ARRAY, false, &arr);
	if (ret || !arr)
		return ret;
	old = path_push(c, ".%s", key);
	cJSON_ArrayForEach(el, arr)
	{
		old_el = path_push(c, "[%zu]", i++);
		if (!cJSON_IsObject(el))
			return fail(c, "%s", expected[J_OBJECT]);
		target = el;
		if (relationships) {
			ret = get(c, el, "target", J_OBJECT, true, &target);
			if (ret)
				return ret;
			path_push(c, ".target");
		}
		ret = taxon_ref(c, r, target, &cwe);
		if (ret)
			return ret;
		add_cwe(cwes, n, cwe);
		path_pop(c, old_el);
	}
	path_pop(c, old);
	return 0;
}

/* Read one reportingDescriptor (at the current path) into ri. */
static int load_rule(struct ctx *c, const struct run *r, const cJSON *rule, struct rule_info *ri)
{
	const cJSON *cfg, *desc, *ms, *el, *props;
	const char *level;
	size_t old;
	int ret;

	if (!cJSON_IsObject(rule))
		return fail(c, "%s", expected[J_OBJECT]);
	ret = get_str(c, rule, "id", false, &ri->id);
	if (ret)
		return ret;

	ret = get(c, rule, "defaultConfiguration", J_OBJECT, false, &cfg);
	if (ret)
		return ret;
	if (cfg) {
		old = path_push(c, ".defaultConfiguration");
		ret = get_str(c, cfg, "level", false, &level);
		if (ret)
			return ret;
		path_pop(c, old);
		if (level && valid_level(level))
			ri->level = level;
	}

	ret = get(c, rule, "shortDescription", J_OBJECT, false, &desc);
	if (ret)
		return ret;
	if (desc) {
		old = path_push(c, ".shortDescription");
		ret = get_str(c, desc, "text", false, &ri->short_desc);
		if (ret)
			return ret;
		path_pop(c, old);
	}

	ret = get(c, rule, "messageStrings", J_OBJECT, false, &ms);
	if (ret)
		return ret;
	cJSON_ArrayForEach(el, ms)
	{
		/* Keys are the tool's data, so the path stops at messageStrings. */
		if (!cJSON_IsObject(el) || !is_type(cJSON_GetObjectItemCaseSensitive(el, "text"), J_STRING)) {
			path_push(c, ".messageStrings");
			return fail(c, "expected objects with a \"text\" string");
		}
	}
	ri->message_strings = ms;

	ret = get(c, rule, "properties", J_OBJECT, false, &props);
	if (ret)
		return ret;
	if (props)
		cwes_from_properties(props, ri->cwes, &ri->ncwes);
	return cwes_from_refs(c, r, rule, "relationships", true, ri->cwes, &ri->ncwes);
}

/* tool.driver or tool.extensions[e] (at the current path): its rules. */
static int load_component(struct ctx *c, const struct run *r, const cJSON *comp, struct component *out)
{
	const cJSON *rules, *el;
	size_t old, old_el, n = 0, i = 0;
	int ret;

	ret = get(c, comp, "rules", J_ARRAY, false, &rules);
	if (ret || !rules)
		return ret;
	cJSON_ArrayForEach(el, rules)
		n++;
	if (!n)
		return 0;
	out->rules = calloc(n, sizeof(*out->rules));
	if (!out->rules)
		return oom(c);
	out->nrules = n;
	old = path_push(c, ".rules");
	cJSON_ArrayForEach(el, rules)
	{
		old_el = path_push(c, "[%zu]", i);
		ret = load_rule(c, r, el, &out->rules[i]);
		if (ret)
			return ret;
		path_pop(c, old_el);
		i++;
	}
	path_pop(c, old);
	return 0;
}

static int cmp_rule_ref(const void *a, const void *b)
{
	const struct rule_ref *x = a, *y = b;
	int d = strcmp(x->id, y->id);

	if (d)
		return d;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Compare the first len bytes of key (a whole id) with id. */
static int cmp_prefix(const char *key, size_t len, const char *id)
{
	int d = strncmp(key, id, len);

	if (d)
		return d;
	return id[len] ? -1 : 0;
}

static const struct rule_info *rule_by_exact_id(const struct run *r, const char *id, size_t len)
{
	size_t lo = 0, hi = r->nby_id, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_prefix(id, len, r->by_id[mid].id) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nby_id && cmp_prefix(id, len, r->by_id[lo].id) == 0)
		return r->by_id[lo].rule;
	return NULL;
}

/* The descriptor named by ruleId, or by one of its hierarchical prefixes. */
static const struct rule_info *rule_by_id(const struct run *r, const char *id)
{
	const struct rule_info *ri;
	size_t len = strlen(id);
	const char *slash;
	int depth;

	for (depth = 0; depth <= RULE_ID_DEPTH; depth++) {
		ri = rule_by_exact_id(r, id, len);
		if (ri)
			return ri;
		slash = memrchr(id, '/', len);
		if (!slash)
			break;
		len = (size_t)(slash - id);
	}
	return NULL;
}

static int build_rule_index(struct ctx *c, struct run *r)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->ncomps; i++)
		n += r->comps[i].nrules;
	if (!n)
		return 0;
	r->by_id = malloc(n * sizeof(*r->by_id));
	if (!r->by_id)
		return oom(c);
	n = 0;
	for (i = 0; i < r->ncomps; i++) {
		for (j = 0; j < r->comps[i].nrules; j++) {
			const struct rule_info *ri = &r->comps[i].rules[j];

			if (!ri->id)
				continue;
			r->by_id[r->nby_id].id = ri->id;
			r->by_id[r->nby_id].order = n++;
			r->by_id[r->nby_id].rule = ri;
			r->nby_id++;
		}
	}
	qsort(r->by_id, r->nby_id, sizeof(*r->by_id), cmp_rule_ref);
	return 0;
}

/* run.taxonomies: which ones are CWE. */
static int load_taxonomies(struct ctx *c, const cJSON *run, struct run *r)
{
	const cJSON *arr, *el;
	const char *name;
	size_t old, old_el, n = 0;
	int ret;

	ret = get(c, run, "taxonomies", J_ARRAY, false, &arr);
	if (ret || !arr)
		return ret;
	cJSON_ArrayForEach(el, arr)
		n++;
	if (!n)
		return 0;
	r->cwe_taxonomy = calloc(n, sizeof(*r->cwe_taxonomy));
	if (!r->cwe_taxonomy)
		return oom(c);
	old = path_push(c, ".taxonomies");
	cJSON_ArrayForEach(el, arr)
	{
		old_el = path_push(c, "[%zu]", r->ntaxonomies);
		if (!cJSON_IsObject(el))
			return fail(c, "%s", expected[J_OBJECT]);
		ret = get_str(c, el, "name", false, &name);
		if (ret)
			return ret;
		r->cwe_taxonomy[r->ntaxonomies++] = name && strcasecmp(name, "CWE") == 0;
		path_pop(c, old_el);
	}
	path_pop(c, old);
	return 0;
}

/* run.artifacts: each one's location uri and uriBaseId, for artifactLocation.index. */
static int load_artifacts(struct ctx *c, const cJSON *run, struct run *r)
{
	const cJSON *arr, *el, *loc;
	size_t old, old_el, old_loc, n = 0;
	struct artifact *a;
	int ret;

	ret = get(c, run, "artifacts", J_ARRAY, false, &arr);
	if (ret || !arr)
		return ret;
	cJSON_ArrayForEach(el, arr)
		n++;
	if (!n)
		return 0;
	r->artifacts = calloc(n, sizeof(*r->artifacts));
	if (!r->artifacts)
		return oom(c);
	old = path_push(c, ".artifacts");
	cJSON_ArrayForEach(el, arr)
	{
		a = &r->artifacts[r->nartifacts];
		old_el = path_push(c, "[%zu]", r->nartifacts++);
		if (!cJSON_IsObject(el))
			return fail(c, "%s", expected[J_OBJECT]);
		ret = get(c, el, "location", J_OBJECT, false, &loc);
		if (ret)
			return ret;
		if (loc) {
			old_loc = path_push(c, ".location");
			ret = get_str(c, loc, "uri", false, &a->uri);
			if (!ret)
				ret = get_str(c, loc, "uriBaseId", false, &a->base);
			if (ret)
				return ret;
			path_pop(c, old_loc);
		}
		path_pop(c, old_el);
	}
	path_pop(c, old);
	return 0;
}

static void free_run(struct run *r)
{
	size_t i;

	for (i = 0; i < r->ncomps; i++)
		free(r->comps[i].rules);
	free(r->comps);
	free(r->by_id);
	free(r->cwe_taxonomy);
	free(r->artifacts);
}

struct buf {
	char *p;
	size_t len, cap;
	bool full;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->full)
		return 0;
	if (b->len + n > MESSAGE_MAX) {
		n = MESSAGE_MAX - b->len;
		b->full = true;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/*
 * fmt with "{N}" replaced by args[N] and "{{", "}}" by one brace (SARIF
 * 3.11.5); placeholders without an argument stay as written. NULL on ENOMEM.
 */
static char *format_message(const char *fmt, const char *const *args, size_t nargs)
{
	struct buf b = { 0 };
	const char *p = fmt;
	size_t span, n, i;

	if (buf_put(&b, "", 0))
		return NULL;
	while (*p && !b.full) {
		span = strcspn(p, "{}");
		if (buf_put(&b, p, span))
			goto fail;
		p += span;
		if (!*p)
			break;
		if (p[1] == p[0]) {
			if (buf_put(&b, p, 1))
				goto fail;
			p += 2;
			continue;
		}
		if (p[0] == '{') {
			for (n = 0, i = 0; n < CWE_DIGITS && p[1 + n] >= '0' && p[1 + n] <= '9'; n++)
				i = i * 10 + (size_t)(p[1 + n] - '0');
			if (n > 0 && n < CWE_DIGITS && p[1 + n] == '}' && i < nargs) {
				if (buf_put(&b, args[i], strlen(args[i])))
					goto fail;
				p += n + 2;
				continue;
			}
		}
		if (buf_put(&b, p, 1))
			goto fail;
		p++;
	}
	return b.p;
fail:
	free(b.p);
	return NULL;
}

static void hash_field(XXH64_state_t *st, const char *s)
{
	uint64_t len = strlen(s);
	unsigned char le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(len >> (8 * i));
	XXH64_update(st, le, sizeof(le));
	XXH64_update(st, s, (size_t)len);
}

static void our_fingerprint(struct finding *f, const char *snippet)
{
	XXH64_state_t st;
	char line[16];

	snprintf(line, sizeof(line), "%d", f->start_line);
	XXH64_reset(&st, 0);
	hash_field(&st, f->tool);
	hash_field(&st, f->rule_id);
	hash_field(&st, f->uri);
	hash_field(&st, line);
	hash_field(&st, snippet ? snippet : "");
	snprintf(f->fingerprint, sizeof(f->fingerprint), "%016" PRIx64, (uint64_t)XXH64_digest(&st));
}

static void map_cwes(const struct ctx *c, const char *rule_id, int *cwes, size_t *n)
{
	size_t lo = 0, hi = c->nmap, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(rule_id, c->map[mid]->rule_id) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nmap && strcmp(rule_id, c->map[lo]->rule_id) == 0; lo++) {
		for (k = 0; k < c->map[lo]->ncwes && k < FINDING_MAX_CWES; k++)
			add_cwe(cwes, n, c->map[lo]->cwes[k]);
	}
}

static struct finding *new_finding(struct ctx *c)
{
	struct findings *fs = &c->found;
	struct finding *v;
	size_t cap;

	if (fs->n == fs->cap) {
		cap = fs->cap ? fs->cap * 2 : 16;
		v = realloc(fs->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		fs->v = v;
		fs->cap = cap;
	}
	v = &fs->v[fs->n++];
	memset(v, 0, sizeof(*v));
	return v;
}

/* What a result says, before it becomes a finding. */
struct result_view {
	const char *rule_id;
	const char *level;
	const char *text;    /* message.text, or the messageStrings entry */
	const char *const *args;
	size_t nargs;
	const char *uri;
	const char *base;
	int start_line;
	const char *snippet;
	const char *fp;      /* chosen partialFingerprints value */
	int cwes[FINDING_MAX_CWES];
	size_t ncwes;
};

/* result.rule / ruleId / ruleIndex: the descriptor; *skip when unusable. */
static int resolve_rule(struct ctx *c, const struct run *r, const cJSON *res, const struct rule_info **out,
			const char **rule_id, bool *skip)
{
	const cJSON *ref = NULL, *rix, *tc = NULL, *tcix = NULL, *rix2 = NULL;
	const struct component *comp = &r->comps[0];
	const char *id, *id2 = NULL;
	char num[32];
	size_t old, i, e;
	int ret;

	*out = NULL;
	*skip = false;
	ret = get_str(c, res, "ruleId", false, &id);
	if (!ret)
		ret = get(c, res, "ruleIndex", J_NUMBER, false, &rix);
	if (!ret)
		ret = get(c, res, "rule", J_OBJECT, false, &ref);
	if (ret)
		return ret;
	if (ref) {
		old = path_push(c, ".rule");
		ret = get_str(c, ref, "id", false, &id2);
		if (!ret)
			ret = get(c, ref, "index", J_NUMBER, false, &rix2);
		if (!ret)
			ret = get(c, ref, "toolComponent", J_OBJECT, false, &tc);
		if (!ret && tc) {
			path_push(c, ".toolComponent");
			ret = get(c, tc, "index", J_NUMBER, false, &tcix);
		}
		if (ret)
			return ret;
		path_pop(c, old);
	}
	if (!id || !*id)
		id = id2 && *id2 ? id2 : NULL;
	if (!rix)
		rix = rix2;
	*rule_id = id;

	if (tcix) {
		if (as_index(tcix, &e) && e + 1 < r->ncomps) {
			comp = &r->comps[e + 1];
		} else {
			comp = NULL;
			number_text(tcix->valuedouble, num, sizeof(num));
			ret = id ? warn(c, "rule.toolComponent.index %s names no tool extension; using ruleId", num)
				 : warn(c, "rule.toolComponent.index %s names no tool extension and there is no "
					   "ruleId; result skipped",
					num);
			if (ret || !id) {
				*skip = true;
				return ret;
			}
		}
	}
	/* -1 is SARIF's "no index". */
	if (comp && rix && rix->valuedouble != -1) {
		if (as_index(rix, &i) && i < comp->nrules) {
			*out = &comp->rules[i];
		} else {
			number_text(rix->valuedouble, num, sizeof(num));
			ret = id ? warn(c, "ruleIndex %s is out of range (%zu rules); using ruleId", num, comp->nrules)
				 : warn(c, "ruleIndex %s is out of range (%zu rules) and there is no ruleId; "
					   "result skipped",
					num, comp->nrules);
			if (ret || !id) {
				*skip = true;
				return ret;
			}
		}
	}
	if (!*out && id)
		*out = rule_by_id(r, id);
	if (!*out && !id) {
		*skip = true;
		return warn(c, "no ruleId or ruleIndex; result skipped");
	}
	if (!*rule_id)
		*rule_id = (*out)->id ? (*out)->id : "";
	return 0;
}

/* result.message: text (and arguments), or *skip. */
static int read_message(struct ctx *c, const cJSON *res, const struct rule_info *rule, struct result_view *v,
			const char ***args, bool *skip)
{
	const cJSON *msg, *arr, *el, *ms;
	const char *mid;
	size_t old, n = 0;
	int ret;

	*skip = false;
	ret = get(c, res, "message", J_OBJECT, false, &msg);
	if (ret)
		return ret;
	if (!msg) {
		*skip = true;
		return warn(c, "no message; result skipped");
	}
	old = path_push(c, ".message");
	ret = get_str(c, msg, "text", false, &v->text);
	if (!ret)
		ret = get_str(c, msg, "id", false, &mid);
	if (!ret)
		ret = get(c, msg, "arguments", J_ARRAY, false, &arr);
	if (ret)
		return ret;
	cJSON_ArrayForEach(el, arr)
		n++;
	if (n) {
		*args = malloc(n * sizeof(**args));
		if (!*args)
			return oom(c);
		path_push(c, ".arguments");
		n = 0;
		cJSON_ArrayForEach(el, arr)
		{
			if (!is_type(el, J_STRING)) {
				path_push(c, "[%zu]", n);
				return fail(c, "%s", expected[J_STRING]);
			}
			(*args)[n++] = el->valuestring;
		}
		v->args = *args;
		v->nargs = n;
	}
	path_pop(c, old);

	if (!v->text && mid && rule && rule->message_strings) {
		ms = cJSON_GetObjectItemCaseSensitive(rule->message_strings, mid);
		if (ms)
			v->text = cJSON_GetObjectItemCaseSensitive(ms, "text")->valuestring;
	}
	if (!v->text && rule && rule->short_desc) {
		v->text = rule->short_desc;
		v->nargs = 0;
	}
	if (!v->text) {
		*skip = true;
		return warn(c, "message has no text; result skipped");
	}
	return 0;
}

/* result.locations[0]: uri, uriBaseId, startLine, snippet. */
static int read_location(struct ctx *c, const struct run *r, const cJSON *res, struct result_view *v)
{
	const cJSON *locs, *phys, *al, *region, *snip, *idx, *line;
	size_t old, old2, i;
	int ret;

	ret = get(c, res, "locations", J_ARRAY, false, &locs);
	if (ret || !locs || !locs->child)
		return ret;
	old = path_push(c, ".locations[0]");
	if (!cJSON_IsObject(locs->child))
		return fail(c, "%s", expected[J_OBJECT]);
	ret = get(c, locs->child, "physicalLocation", J_OBJECT, false, &phys);
	if (ret || !phys) {
		path_pop(c, old);
		return ret;
	}
	path_push(c, ".physicalLocation");
	ret = get(c, phys, "artifactLocation", J_OBJECT, false, &al);
	if (!ret)
		ret = get(c, phys, "region", J_OBJECT, false, &region);
	if (ret)
		return ret;
	if (al) {
		old2 = path_push(c, ".artifactLocation");
		ret = get_str(c, al, "uri", false, &v->uri);
		if (!ret)
			ret = get_str(c, al, "uriBaseId", false, &v->base);
		if (!ret)
			ret = get(c, al, "index", J_NUMBER, false, &idx);
		if (ret)
			return ret;
		path_pop(c, old2);
		if (idx && as_index(idx, &i) && i < r->nartifacts) {
			if (!v->uri) {
				v->uri = r->artifacts[i].uri;
				if (!v->base)
					v->base = r->artifacts[i].base;
			}
		}
	}
	if (region) {
		path_push(c, ".region");
		ret = get(c, region, "startLine", J_NUMBER, false, &line);
		if (!ret)
			ret = get(c, region, "snippet", J_OBJECT, false, &snip);
		if (ret)
			return ret;
		if (line && as_index(line, &i) && i >= 1 && i <= INT32_MAX)
			v->start_line = (int)i;
		if (snip) {
			path_push(c, ".snippet");
			ret = get_str(c, snip, "text", false, &v->snippet);
			if (ret)
				return ret;
		}
	}
	path_pop(c, old);
	return 0;
}

/* partialFingerprints: the non-empty value with the smallest key. */
static int read_fingerprint(struct ctx *c, const cJSON *res, struct result_view *v)
{
	const cJSON *pf, *el;
	const char *best_key = NULL;
	int ret;

	ret = get(c, res, "partialFingerprints", J_OBJECT, false, &pf);
	if (ret || !pf)
		return ret;
	cJSON_ArrayForEach(el, pf)
	{
		if (!is_type(el, J_STRING)) {
			path_push(c, ".partialFingerprints");
			return fail(c, "expected string values");
		}
		if (!el->string || !el->valuestring[0])
			continue;
		if (!best_key || strcmp(el->string, best_key) < 0) {
			best_key = el->string;
			v->fp = el->valuestring;
		}
	}
	return 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int add_finding(struct ctx *c, const struct run *r, size_t run_index, size_t result_index,
		       const struct result_view *v)
{
	struct finding *f = new_finding(c);
	size_t len;

	if (!f)
		return oom(c);
	f->run_index = run_index;
	f->result_index = result_index;
	f->start_line = v->start_line;
	memcpy(f->cwes, v->cwes, sizeof(f->cwes));
	f->ncwes = v->ncwes;
	f->status = FINDING_UNOBSERVED;
	f->file = strdup(c->name);
	f->tool = strdup(r->tool);
	f->rule_id = dup_or_empty(v->rule_id);
	f->level = strdup(v->level);
	f->message = v->nargs ? format_message(v->text, v->args, v->nargs) : strdup(v->text);
	f->uri = dup_or_empty(v->uri);
	f->uri_base_id = dup_or_empty(v->base);
	if (!f->file || !f->tool || !f->rule_id || !f->level || !f->message || !f->uri || !f->uri_base_id)
		return oom(c);

	if (v->fp) {
		f->fingerprint_from_tool = true;
		len = strlen(v->fp);
		if (len <= FINDING_FP_LEN)
			memcpy(f->fingerprint, v->fp, len + 1);
		else
			snprintf(f->fingerprint, sizeof(f->fingerprint), "%016" PRIx64,
				 (uint64_t)XXH64(v->fp, len, 0));
	} else {
		our_fingerprint(f, v->snippet);
	}
	return 0;
}

/* One result, at the current path: a finding, a skip with a warning, or an error. */
static int load_result(struct ctx *c, const struct run *r, const cJSON *res, size_t run_index, size_t result_index)
{
	struct result_view v = { 0 };
	const struct rule_info *rule;
	const char **args = NULL;
	const cJSON *level, *props;
	bool skip;
	size_t i;
	int ret;

	if (!cJSON_IsObject(res))
		return fail(c, "%s", expected[J_OBJECT]);
	ret = resolve_rule(c, r, res, &rule, &v.rule_id, &skip);
	if (ret || skip)
		return ret;
	ret = read_message(c, res, rule, &v, &args, &skip);
	if (ret || skip)
		goto cleanup;

	ret = get(c, res, "level", J_STRING, false, &level);
	if (ret)
		goto cleanup;
	if (level && valid_level(level->valuestring))
		v.level = level->valuestring;
	else if (rule && rule->level)
		v.level = rule->level;
	else
		v.level = "warning";

	ret = read_location(c, r, res, &v);
	if (!ret)
		ret = read_fingerprint(c, res, &v);
	if (!ret)
		ret = get(c, res, "properties", J_OBJECT, false, &props);
	if (ret)
		goto cleanup;

	if (rule) {
		for (i = 0; i < rule->ncwes; i++)
			add_cwe(v.cwes, &v.ncwes, rule->cwes[i]);
	}
	if (props)
		cwes_from_properties(props, v.cwes, &v.ncwes);
	ret = cwes_from_refs(c, r, res, "taxa", false, v.cwes, &v.ncwes);
	if (ret)
		goto cleanup;
	if (c->nmap && v.rule_id)
		map_cwes(c, v.rule_id, v.cwes, &v.ncwes);

	ret = add_finding(c, r, run_index, result_index, &v);
cleanup:
	free(args);
	return ret;
}

static int load_run(struct ctx *c, const cJSON *run, size_t run_index)
{
	const cJSON *tool, *driver, *exts, *el, *results;
	struct run r = { 0 };
	size_t old, old_el, n = 0, i;
	int ret;

	if (!cJSON_IsObject(run))
		return fail(c, "%s", expected[J_OBJECT]);
	ret = get(c, run, "tool", J_OBJECT, true, &tool);
	if (ret)
		return ret;
	old = path_push(c, ".tool");
	ret = get(c, tool, "driver", J_OBJECT, true, &driver);
	if (!ret)
		ret = get(c, tool, "extensions", J_ARRAY, false, &exts);
	if (ret)
		return ret;
	path_push(c, ".driver");
	ret = get_str(c, driver, "name", true, &r.tool);
	if (ret)
		return ret;
	path_pop(c, old);

	ret = load_taxonomies(c, run, &r);
	if (!ret)
		ret = load_artifacts(c, run, &r);
	if (ret)
		goto cleanup;

	cJSON_ArrayForEach(el, exts)
		n++;
	r.comps = calloc(n + 1, sizeof(*r.comps));
	if (!r.comps) {
		ret = oom(c);
		goto cleanup;
	}
	r.ncomps = n + 1;
	old = path_push(c, ".tool.driver");
	ret = load_component(c, &r, driver, &r.comps[0]);
	if (ret)
		goto cleanup;
	path_pop(c, old);
	i = 0;
	cJSON_ArrayForEach(el, exts)
	{
		old = path_push(c, ".tool.extensions[%zu]", i);
		if (!cJSON_IsObject(el)) {
			ret = fail(c, "%s", expected[J_OBJECT]);
			goto cleanup;
		}
		ret = load_component(c, &r, el, &r.comps[1 + i]);
		if (ret)
			goto cleanup;
		path_pop(c, old);
		i++;
	}
	ret = build_rule_index(c, &r);
	if (ret)
		goto cleanup;

	/* Absent or null: the tool produced no results (or none were computed). */
	ret = get(c, run, "results", J_ARRAY, false, &results);
	if (ret)
		goto cleanup;
	i = 0;
	cJSON_ArrayForEach(el, results)
	{
		old_el = path_push(c, ".results[%zu]", i);
		ret = load_result(c, &r, el, run_index, i);
		if (ret)
			goto cleanup;
		path_pop(c, old_el);
		i++;
	}
cleanup:
	free_run(&r);
	return ret;
}

/* Up to 32 bytes of s for a message, non-printable bytes as '?'. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < len && i < 32; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] : '?';
	if (s[i])
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

static int load_log(struct ctx *c, const cJSON *root)
{
	const cJSON *version, *runs, *run;
	char shown[40];
	size_t old, i = 0;
	int ret;

	path_push(c, "$");
	if (!cJSON_IsObject(root))
		return fail(c, "expected an object (a SARIF log)");
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!is_type(version, J_STRING) || strcmp(version->valuestring, "2.1.0") != 0) {
		path_push(c, ".version");
		if (!version)
			return fail(c, "missing; expected \"2.1.0\" (only SARIF 2.1.0 is supported)");
		if (!is_type(version, J_STRING))
			return fail(c, "expected the string \"2.1.0\" (only SARIF 2.1.0 is supported)");
		return fail(c, "\"%s\" is not supported; expected \"2.1.0\"",
			    printable(version->valuestring, shown, sizeof(shown)));
	}
	ret = get(c, root, "runs", J_ARRAY, true, &runs);
	if (ret)
		return ret;
	cJSON_ArrayForEach(run, runs)
	{
		old = path_push(c, ".runs[%zu]", i);
		ret = load_run(c, run, i);
		if (ret)
			return ret;
		path_pop(c, old);
		i++;
	}
	return 0;
}

static int cmp_map_entry(const void *a, const void *b)
{
	const struct sarif_cwe_entry *x = *(const struct sarif_cwe_entry *const *)a;
	const struct sarif_cwe_entry *y = *(const struct sarif_cwe_entry *const *)b;
	int d = strcmp(x->rule_id, y->rule_id);

	/* Entries sharing an id keep the caller's order, so their CWEs do too. */
	if (d)
		return d;
	return x < y ? -1 : x > y;
}

static int build_map(struct ctx *c, const struct sarif_cwe_map *map)
{
	size_t i;

	if (!map || !map->v || !map->n)
		return 0;
	c->map = malloc(map->n * sizeof(*c->map));
	if (!c->map)
		return oom(c);
	for (i = 0; i < map->n; i++) {
		if (map->v[i].rule_id)
			c->map[c->nmap++] = &map->v[i];
	}
	qsort(c->map, c->nmap, sizeof(*c->map), cmp_map_entry);
	return 0;
}

/* Move every finding of c into out: all or nothing. */
static int append_found(struct ctx *c, struct findings *out)
{
	struct finding *v;
	size_t cap;

	if (!c->found.n)
		return 0;
	if (out->n + c->found.n > out->cap) {
		cap = out->cap * 2 > out->n + c->found.n ? out->cap * 2 : out->n + c->found.n;
		v = realloc(out->v, cap * sizeof(*v));
		if (!v)
			return oom(c);
		out->v = v;
		out->cap = cap;
	}
	memcpy(out->v + out->n, c->found.v, c->found.n * sizeof(*v));
	out->n += c->found.n;
	/* The strings now belong to out. */
	c->found.n = 0;
	return 0;
}

/* The 1-based line and byte column of offset off in buf. */
static void line_col(const char *buf, size_t off, size_t *line, size_t *col)
{
	const char *nl;
	size_t start = 0;

	*line = 1;
	while ((nl = memchr(buf + start, '\n', off - start))) {
		(*line)++;
		start = (size_t)(nl - buf) + 1;
	}
	*col = off - start + 1;
}

static bool all_space(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	}
	return true;
}

int sarif__load_buf(const char *name, const char *buf, size_t len, const struct sarif_cwe_map *map,
		    struct findings *out, sarif_warn_fn warn_fn, void *warn_ctx, char *err, size_t errlen)
{
	struct ctx c = { .name = name ? name : "<buffer>", .err = err, .errlen = errlen };
	const char *end = NULL;
	cJSON *root = NULL;
	char *copy = NULL;
	size_t off, line, col, i;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out || (!buf && len)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: invalid argument", c.name);
		return -EINVAL;
	}
	/* cJSON wants a terminated buffer to stop at; the copy also lets
	 * ASan see any read past len. */
	copy = malloc(len + 1);
	if (!copy)
		return oom(&c);
	if (len)
		memcpy(copy, buf, len);
	copy[len] = '\0';

	if (all_space(copy, len)) {
		ret = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: empty file; expected a SARIF 2.1.0 log", c.name);
		goto cleanup;
	}
	root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	off = end && end >= copy && end <= copy + len ? (size_t)(end - copy) : len;
	if (root) {
		while (off < len && all_space(copy + off, 1))
			off++;
	}
	if (!root || off < len) {
		ret = -EINVAL;
		line_col(copy, off, &line, &col);
		if (err && errlen)
			snprintf(err, errlen, "%s:%zu:%zu: %s", c.name, line, col,
				 root ? "unexpected data after the JSON document"
				      : "invalid JSON; is the file complete SARIF output?");
		goto cleanup;
	}

	ret = build_map(&c, map);
	if (!ret)
		ret = load_log(&c, root);
	if (!ret)
		ret = append_found(&c, out);
	if (!ret && warn_fn) {
		for (i = 0; i < c.nwarns; i++)
			warn_fn(warn_ctx, c.name, c.warns[i].path, c.warns[i].why);
	}
cleanup:
	for (i = 0; i < c.nwarns; i++) {
		free(c.warns[i].path);
		free(c.warns[i].why);
	}
	free(c.warns);
	findings__free(&c.found);
	free(c.map);
	cJSON_Delete(root);
	free(copy);
	return ret;
}

/* The whole file in a NUL-terminated buffer; -errno. */
static int read_file(const char *path, char **data, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf, *p;
	ssize_t r;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		if (n + 1 >= cap) {
			p = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!p) {
				ret = -ENOMEM;
				goto cleanup;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return ret;
}

int sarif__load(const char *path, const struct sarif_cwe_map *map, struct findings *out, sarif_warn_fn warn_fn,
		void *warn_ctx, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0;
	int ret;

	if (!path) {
		if (err && errlen)
			snprintf(err, errlen, "no SARIF file given");
		return -EINVAL;
	}
	ret = read_file(path, &data, &len);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-ret));
		return ret;
	}
	ret = sarif__load_buf(path, data, len, map, out, warn_fn, warn_ctx, err, errlen);
	free(data);
	return ret;
}

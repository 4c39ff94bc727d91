/*
 * sqli: SQL-injection detector (CWE-89) over the queries a service sends
 * (see sqli.h for the contract, docs/rules.md for the parameters).
 *
 * Each query is lexed once with sqllex into a fixed token buffer and turned
 * into a template: string and number literals and bind parameters become ?,
 * a list of them after IN, VALUES or ARRAY becomes (?...), comments go,
 * spacing is rebuilt from the tokens alone and bare identifiers are case
 * folded (keywords upper, names lower). Templates are hashed (64-bit FNV-1a)
 * into a bounded LRU table; a template first seen without any attack sign is
 * "clean" (the service's own shape), and the hash of its text up to each
 * literal is kept in a prefix set. An injection lands inside a literal, so a
 * query that is not a clean template but whose text up to some literal is a
 * clean template's prefix shows where the injected part starts.
 *
 * Confirmed rules (the strongest one found is reported):
 *   standalone (need no learning): OR followed by a constant-true comparison
 *     (unless the query's own template is clean: a string-built optional
 *     filter "col = '' OR '' = ''" is the service's logic); a comment ending
 *     the query right after a string literal or swallowing the closing quote;
 *     a time-delay function anywhere but a bare "SELECT pg_sleep(n)"; UNION
 *     SELECT of constant columns or of system objects after a literal; a
 *     statement stacked after a string literal that is destructive, probes,
 *     delays or ends in a comment; an unbalanced quote answered by a syntax
 *     error.
 *   deviation (after the literal of a learned template, when the query's own
 *     template is not clean): UNION, a stacked statement, an AND/OR constant
 *     comparison (boolean-blind probe), a system-information probe, a trailing
 *     junk comment.
 * A stacked statement that repeats the first one or is a clean template by
 * itself is a batch (psycopg2 execute_batch), not an injection.
 * Triggered: simple-protocol SQL whose clean template was seen with
 * min_varying different sets of inline literal values.
 *
 * Memory is fixed at creation: the template table, the prefix set and the
 * per-query token buffers; observing a query allocates nothing and takes time
 * linear in its length (at most MAX_TOKS tokens are looked at).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rules.h"
#include "sqli.h"
#include "sqllex.h"

#define MAX_TOKS 8192	   /* tokens looked at per query; a longer query is judged on its start */
#define MAX_LEN (1u << 24) /* bytes looked at per query (token offsets are 32-bit) */
#define MAX_LITPOS 1024	   /* literal positions whose prefix hash is kept per query */
#define TMPL_TEXT 160	   /* template text kept for reasons (the hash covers all of it) */
#define NAME_LEN 64	   /* function / object names in params, NUL included */
#define MAX_NAMES 64	   /* entries per name list */
#define MAX_STATES 32	   /* entries per syntax-error list */
#define MAX_VARY 16	   /* highest min_varying: literal fingerprints kept per template */
#define MAX_STMTS 64	   /* statements of one query whose own template hash is kept */
#define MAX_TEMPLATES 65536
#define SNIP_LEN 48 /* query excerpt in a reason */
#define NIL UINT32_MAX
#define NONE ((size_t)-1)
#define PFX_PROBES 4

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* Detection reasons; each has its own confidence ("confidence" in params). */
enum reason {
	R_STRING_BUILT = 0, /* triggered */
	R_TAUTOLOGY,
	R_UNION,
	R_STACKED,
	R_TIME,
	R_COMMENT,
	R_BLIND,
	R_PROBE,
	R_QUOTE,
	R_COUNT,
	R_NONE = R_COUNT,
};

/* Each reason's params key under "confidence" and its default confidence. */
static const struct {
	const char *key;
	int conf;
} reasons[R_COUNT] = {
    [R_STRING_BUILT] = {"string_built", 50},
    [R_TAUTOLOGY] = {"tautology", 95},
    [R_UNION] = {"union", 90},
    [R_STACKED] = {"stacked", 90},
    [R_TIME] = {"time_function", 90},
    [R_COMMENT] = {"comment_truncation", 85},
    [R_BLIND] = {"boolean_blind", 80},
    [R_PROBE] = {"probe", 80},
    [R_QUOTE] = {"quote_break", 75},
};

/* clang-format off */
static const char *const default_time_fns[] = {
	"pg_sleep", "pg_sleep_for", "pg_sleep_until", "sleep", "benchmark", "waitfor", "dbms_lock.sleep",
	"dbms_pipe.receive_message",
};
static const char *const default_probes[] = {
	"version()", "@@version", "@@datadir", "@@hostname", "database()", "schema()", "user()", "system_user()",
	"current_user", "session_user", "current_setting()", "current_database()", "inet_server_addr()",
	"information_schema", "pg_catalog", "pg_shadow", "pg_user", "pg_roles", "pg_authid", "pg_database",
	"mysql.user", "load_file()", "pg_read_file()", "pg_ls_dir()", "lo_import()", "dblink()",
	"extractvalue()", "updatexml()", "gtid_subset()", "name_const()",
};
/* clang-format on */
static const char *const default_pg_states[] = {"42601"};
static const int default_my_codes[] = {1064, 1149};

/* A name from a params list, lower case, with how it must appear. */
struct name {
	char s[NAME_LEN]; /* without a trailing "()" */
	size_t len;
	bool dotted; /* schema.name: compared with a qualified name */
	bool call;   /* "name()": only a call counts */
};

struct cfg {
	uint32_t max_templates;
	uint32_t min_varying;
	bool tautology;
	struct name time_fns[MAX_NAMES];
	size_t ntime;
	struct name probes[MAX_NAMES];
	size_t nprobe;
	char pg_states[MAX_STATES][6];
	size_t npg;
	int my_codes[MAX_STATES];
	size_t nmy;
	int conf[R_COUNT];
};

/* Template flags. */
#define TF_CLEAN 0x01	 /* first seen without a confirmed detection: the service's own shape */
#define TF_REPORTED 0x02 /* its triggered state was reported */
#define TF_UNION 0x04
#define TF_STACKED 0x08
#define TF_COMMENT 0x10
#define TF_TAUT 0x20
#define TF_TIME 0x40
#define TF_LITERALS 0x80
#define TF_FEATURES (TF_UNION | TF_STACKED | TF_COMMENT | TF_TAUT | TF_TIME | TF_LITERALS)

struct tmpl {
	uint64_t hash;		/* 0: slot unused */
	uint64_t fps[MAX_VARY]; /* distinct literal-value fingerprints, up to min_varying */
	uint32_t nfps;
	uint32_t seen; /* saturates */
	uint32_t next; /* bucket chain */
	uint32_t lru_prev, lru_next;
	uint8_t flags;
	char text[TMPL_TEXT];
};

/* Prefix set entry: the text of template th up to one of its literals hashes to h. */
struct pfx {
	uint64_t h, th;
	uint32_t slot;
};

/* Token flags. */
#define TK_LINE 0x01   /* a -- or # comment */
#define TK_UNTERM 0x02 /* an unterminated block comment (lexed as an error) */
#define TK_TIME 0x04   /* names a time-delay function call */
#define TK_PROBE 0x08  /* names a system-information probe */

struct tok {
	uint32_t start, len;
	uint8_t kind; /* enum sql_tok_kind */
	uint8_t flags;
	uint16_t kw; /* enum kw for bare identifiers */
};

struct litpos {
	uint64_t h; /* template hash up to and including this literal's ? */
	size_t k;   /* its significant-token index (a collapsed list: the closer) */
};

struct sqli {
	struct detect_id id; /* name, CWEs, severity from the rule */
	struct cfg cfg;

	struct tmpl *slots;
	uint32_t nslots, used;
	uint32_t *buckets;
	uint32_t bmask;
	uint32_t lru_head, lru_tail; /* most and least recently seen */
	struct pfx *pfx;
	uint32_t pmask;

	struct tok *toks; /* per-query scratch: tokens but spaces */
	uint32_t *sig;	  /* indices of toks that are not comments */
	struct litpos *lp;
};

/* Keywords the rules or the template spelling need; other words are names. */
/* clang-format off */
#define KEYWORDS(X) \
	X(ALL) X(ALTER) X(AND) X(ANY) X(ARRAY) X(AS) X(ASC) X(BEGIN) X(BETWEEN) X(BY) X(CASE) X(COMMIT) \
	X(CONFLICT) X(COPY) X(CREATE) X(CROSS) X(DECLARE) X(DEFAULT) X(DELAY) X(DELETE) X(DESC) X(DISTINCT) \
	X(DO) X(DROP) X(ELSE) X(END) X(EXCEPT) X(EXEC) X(EXECUTE) X(EXISTS) X(FALSE) X(FOR) X(FROM) X(FULL) \
	X(FUNCTION) X(GRANT) X(GROUP) X(HAVING) X(ILIKE) X(IN) X(INDEX) X(INNER) X(INSERT) X(INTERSECT) \
	X(INTERVAL) X(INTO) X(IS) X(JOIN) X(KEY) X(LEFT) X(LIKE) X(LIMIT) X(NOT) X(NOTHING) X(NULL) \
	X(OFFSET) X(ON) X(OR) X(ORDER) X(OUTER) X(OVER) X(PARTITION) X(PRIMARY) X(PROCEDURE) X(REGEXP) \
	X(RETURNING) X(REVOKE) X(RIGHT) X(RLIKE) X(ROLE) X(ROLLBACK) X(SELECT) X(SET) X(SHOW) X(SHUTDOWN) \
	X(TABLE) X(THEN) X(TIME) X(TRUE) X(TRUNCATE) X(UNION) X(UPDATE) X(USER) X(USING) X(VALUES) \
	X(WAITFOR) X(WHEN) X(WHERE) X(WITH) X(XOR)

enum kw {
	KW_NONE = 0,
#define X(n) KW_##n,
	KEYWORDS(X)
#undef X
	KW_COUNT
};

static const char *const kw_names[KW_COUNT] = {
	"",
#define X(n) #n,
	KEYWORDS(X)
#undef X
};

static const unsigned char kw_lens[KW_COUNT] = {
	0,
#define X(n) sizeof(#n) - 1,
	KEYWORDS(X)
#undef X
};
/* clang-format on */

/* One query being judged. */
struct q {
	const char *s;
	size_t len;
	enum sql_dialect dia;
	bool my;
	bool cut; /* its end is not the query's end (captured truncated, or too long) */
	const struct tok *toks;
	size_t ntok;
	const uint32_t *sig;
	size_t nsig;
	struct litpos *lp;
	size_t nlp;

	uint64_t hash, litfp;
	uint64_t stmt_h[MAX_STMTS]; /* each statement's template hash, as if sent alone */
	size_t nstmt;
	size_t nlit; /* inline string/number literals */
	char text[TMPL_TEXT];
	unsigned feat; /* TF_* features */

	/* features pass */
	size_t time_k;		      /* first time-function call that is not exempt, or NONE */
	size_t last_time, last_probe; /* last index of such tokens, or NONE */
	size_t probe_after;	      /* first probe after the injection point, or NONE */
	size_t union_after;	      /* first UNION after the injection point, or NONE */

	/* verdict */
	enum reason reason;
	int conf;
	char msg[256];
};

/* Where the injected part of a query starts, if it deviates from a learned template. */
struct inj {
	bool clean;	      /* the query's own template is a clean learned one */
	bool dev;	      /* the query is not clean and L is a clean template's literal */
	size_t L;	      /* sig index of that literal, NONE when !dev */
	const struct tmpl *t; /* the learned template (own template when clean), or NULL */
};

/* ---- small helpers ------------------------------------------------------------------------------------------ */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 32 : c;
}

static bool is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


static uint64_t fnv(uint64_t h, int c)
{
	return (h ^ (unsigned char)c) * FNV_PRIME;
}

static bool ieq(const char *a, size_t an, const char *b)
{
	size_t i;

	for (i = 0; i < an; i++) {
		if (!b[i] || lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	}
	return b[an] == '\0';
}

static enum kw keyword(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || n > 9)
		return KW_NONE;
	for (i = 1; i < KW_COUNT; i++) {
		if (kw_lens[i] == n && upper((unsigned char)s[0]) == kw_names[i][0] && ieq(s, n, kw_names[i]))
			return (enum kw)i;
	}
	return KW_NONE;
}

/* ---- params ------------------------------------------------------------------------------------------------- */

static bool is_int(const cJSON *v, long lo, long hi, long *out)
{
	double x;

	if (!cJSON_IsNumber(v))
		return false;
	x = v->valuedouble;
	if (!(x >= (double)lo && x <= (double)hi) || x != (double)(long)x)
		return false;
	*out = (long)x;
	return true;
}

/* Parse one name of a list; probes may end in "()". */
static bool parse_name(const char *s, bool allow_call, struct name *nm)
{
	size_t n = strlen(s), i;

	memset(nm, 0, sizeof(*nm));
	if (allow_call && n > 2 && s[n - 2] == '(' && s[n - 1] == ')') {
		nm->call = true;
		n -= 2;
	}
	if (n == 0 || n >= NAME_LEN)
		return false;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!is_alnum(c) && c != '_' && c != '$' && !(c == '.' && i > 0 && i + 1 < n) && !(c == '@' && i < 2))
			return false;
		if (c == '.')
			nm->dotted = true;
		nm->s[i] = (char)lower(c);
	}
	nm->len = n;
	return true;
}

static int parse_names(const cJSON *v, const char *key, bool allow_call, struct name *out, size_t *n, char *err,
		       size_t errlen)
{
	const cJSON *e;
	size_t i = 0;

	if (!cJSON_IsArray(v))
		return detect__fail(err, errlen, "$.params.%s: expected an array of names", key);
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e) || !e->valuestring)
			return detect__fail(err, errlen, "$.params.%s[%zu]: expected a string", key, i);
		if (i >= MAX_NAMES)
			return detect__fail(err, errlen, "$.params.%s[%zu]: at most %d names", key, i, MAX_NAMES);
		if (!parse_name(e->valuestring, allow_call, &out[i]))
			return detect__fail(err, errlen,
				    allow_call
					? "$.params.%s[%zu]: expected a name of letters, digits, '_', '$', '.', "
					  "optionally '@@' first or '()' last (at most 63 bytes)"
					: "$.params.%s[%zu]: expected a function name of letters, digits, '_', '$', "
					  "'.' (at most 63 bytes)",
				    key, i);
		i++;
	}
	*n = i;
	return 0;
}

static int parse_states(const cJSON *v, struct cfg *c, char *err, size_t errlen)
{
	const cJSON *e, *x;
	size_t i, k;
	long code;

	if (!cJSON_IsObject(v))
		return detect__fail(err, errlen, "$.params.syntax_error_states: expected an object");
	cJSON_ArrayForEach(e, v)
	{
		if (e->string && strcmp(e->string, "postgres") == 0) {
			if (!cJSON_IsArray(e))
				return detect__fail(err, errlen, "$.params.syntax_error_states.postgres: expected an array");
			i = 0;
			cJSON_ArrayForEach(x, e)
			{
				const char *s = cJSON_IsString(x) ? x->valuestring : NULL;
				bool ok = s && strlen(s) == 5;

				for (k = 0; ok && k < 5; k++)
					ok = (s[k] >= '0' && s[k] <= '9') || (s[k] >= 'A' && s[k] <= 'Z');
				if (!ok)
					return detect__fail(err, errlen,
						    "$.params.syntax_error_states.postgres[%zu]: expected a SQLSTATE "
						    "string of 5 digits or capital letters",
						    i);
				if (i >= MAX_STATES)
					return detect__fail(err, errlen,
						    "$.params.syntax_error_states.postgres[%zu]: at most %d", i,
						    MAX_STATES);
				memcpy(c->pg_states[i], s, 6);
				i++;
			}
			c->npg = i;
		} else if (e->string && strcmp(e->string, "mysql") == 0) {
			if (!cJSON_IsArray(e))
				return detect__fail(err, errlen, "$.params.syntax_error_states.mysql: expected an array");
			i = 0;
			cJSON_ArrayForEach(x, e)
			{
				if (!is_int(x, 1, 65535, &code))
					return detect__fail(
					    err, errlen,
					    "$.params.syntax_error_states.mysql[%zu]: expected an integer from 1 "
					    "to 65535",
					    i);
				if (i >= MAX_STATES)
					return detect__fail(err, errlen, "$.params.syntax_error_states.mysql[%zu]: at most %d",
						    i, MAX_STATES);
				c->my_codes[i++] = (int)code;
			}
			c->nmy = i;
		} else {
			return detect__fail(err, errlen, "$.params.syntax_error_states.%s: unknown key",
				    e->string ? e->string : "");
		}
	}
	return 0;
}

static int parse_conf(const cJSON *v, struct cfg *c, char *err, size_t errlen)
{
	const cJSON *e;
	long x;
	int r;

	if (!cJSON_IsObject(v))
		return detect__fail(err, errlen, "$.params.confidence: expected an object");
	cJSON_ArrayForEach(e, v)
	{
		for (r = 0; r < R_COUNT; r++) {
			if (e->string && strcmp(e->string, reasons[r].key) == 0)
				break;
		}
		if (r == R_COUNT)
			return detect__fail(err, errlen, "$.params.confidence.%s: unknown key", e->string ? e->string : "");
		if (!is_int(e, 0, 100, &x))
			return detect__fail(err, errlen, "$.params.confidence.%s: expected an integer from 0 to 100",
				    e->string);
		c->conf[r] = (int)x;
	}
	return 0;
}

static void set_defaults(struct cfg *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->max_templates = 1024;
	c->min_varying = 2;
	c->tautology = true;
	for (i = 0; i < sizeof(default_time_fns) / sizeof(default_time_fns[0]); i++)
		parse_name(default_time_fns[i], false, &c->time_fns[c->ntime++]);
	for (i = 0; i < sizeof(default_probes) / sizeof(default_probes[0]); i++)
		parse_name(default_probes[i], true, &c->probes[c->nprobe++]);
	for (i = 0; i < sizeof(default_pg_states) / sizeof(default_pg_states[0]); i++)
		memcpy(c->pg_states[c->npg++], default_pg_states[i], 6);
	for (i = 0; i < sizeof(default_my_codes) / sizeof(default_my_codes[0]); i++)
		c->my_codes[c->nmy++] = default_my_codes[i];
	for (i = 0; i < R_COUNT; i++)
		c->conf[i] = reasons[i].conf;
}

/* Fill c from params (NULL or absent keys: defaults). */
static int parse_params(const cJSON *p, struct cfg *c, char *err, size_t errlen)
{
	const cJSON *e;
	long x;
	int rc;

	set_defaults(c);
	if (!p)
		return 0;
	if (!cJSON_IsObject(p))
		return detect__fail(err, errlen, "$.params: expected an object");
	cJSON_ArrayForEach(e, p)
	{
		const char *k = e->string ? e->string : "";

		if (strcmp(k, "max_templates") == 0) {
			if (!is_int(e, 1, MAX_TEMPLATES, &x))
				return detect__fail(err, errlen, "$.params.max_templates: expected an integer from 1 to %d",
					    MAX_TEMPLATES);
			c->max_templates = (uint32_t)x;
		} else if (strcmp(k, "min_varying") == 0) {
			if (!is_int(e, 2, MAX_VARY, &x))
				return detect__fail(err, errlen, "$.params.min_varying: expected an integer from 2 to %d",
					    MAX_VARY);
			c->min_varying = (uint32_t)x;
		} else if (strcmp(k, "tautology") == 0) {
			if (!cJSON_IsBool(e))
				return detect__fail(err, errlen, "$.params.tautology: expected true or false");
			c->tautology = cJSON_IsTrue(e);
		} else if (strcmp(k, "time_functions") == 0) {
			rc = parse_names(e, k, false, c->time_fns, &c->ntime, err, errlen);
			if (rc)
				return rc;
		} else if (strcmp(k, "probe_names") == 0) {
			rc = parse_names(e, k, true, c->probes, &c->nprobe, err, errlen);
			if (rc)
				return rc;
		} else if (strcmp(k, "syntax_error_states") == 0) {
			c->npg = c->nmy = 0;
			rc = parse_states(e, c, err, errlen);
			if (rc)
				return rc;
		} else if (strcmp(k, "confidence") == 0) {
			rc = parse_conf(e, c, err, errlen);
			if (rc)
				return rc;
		} else {
			return detect__fail(err, errlen, "$.params.%s: unknown key", k);
		}
	}
	return 0;
}

/*
 * Validate params (NULL: all defaults): every key optional, unknown keys are
 * errors; max_templates 1..65536, min_varying 2..16, tautology a boolean,
 * time_functions and probe_names arrays of names, syntax_error_states
 * {"postgres": [SQLSTATE...], "mysql": [code...]}, confidence {reason: 0..100}.
 * 0, or -EINVAL with "$.params.<path>: problem" in err (-ENOMEM when out of
 * memory).
 */
int sqli__check_params(const struct cJSON *params, char *err, size_t errlen)
{
	struct cfg *c = malloc(sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	rc = parse_params(params, c, err, errlen);
	free(c);
	return rc;
}

/* ---- template table ----------------------------------------------------------------------------------------- */

static void lru_unlink(struct sqli *d, uint32_t i)
{
	struct tmpl *t = &d->slots[i];

	if (t->lru_prev != NIL)
		d->slots[t->lru_prev].lru_next = t->lru_next;
	else
		d->lru_head = t->lru_next;
	if (t->lru_next != NIL)
		d->slots[t->lru_next].lru_prev = t->lru_prev;
	else
		d->lru_tail = t->lru_prev;
	t->lru_prev = t->lru_next = NIL;
}

static void lru_push(struct sqli *d, uint32_t i)
{
	struct tmpl *t = &d->slots[i];

	t->lru_prev = NIL;
	t->lru_next = d->lru_head;
	if (d->lru_head != NIL)
		d->slots[d->lru_head].lru_prev = i;
	d->lru_head = i;
	if (d->lru_tail == NIL)
		d->lru_tail = i;
}

static struct tmpl *tmpl_find(struct sqli *d, uint64_t h)
{
	uint32_t i;

	for (i = d->buckets[h & d->bmask]; i != NIL; i = d->slots[i].next) {
		if (d->slots[i].hash == h)
			return &d->slots[i];
	}
	return NULL;
}

static void bucket_unlink(struct sqli *d, uint32_t i)
{
	uint32_t *pp = &d->buckets[d->slots[i].hash & d->bmask];

	while (*pp != NIL) {
		if (*pp == i) {
			*pp = d->slots[i].next;
			return;
		}
		pp = &d->slots[*pp].next;
	}
}

/* A fresh slot for h: a free one, else the least recently seen template's. */
static struct tmpl *tmpl_add(struct sqli *d, uint64_t h)
{
	struct tmpl *t;
	uint32_t i;

	if (d->used < d->nslots) {
		i = d->used++;
	} else {
		i = d->lru_tail;
		lru_unlink(d, i);
		bucket_unlink(d, i);
	}
	t = &d->slots[i];
	memset(t, 0, sizeof(*t));
	t->hash = h;
	t->next = d->buckets[h & d->bmask];
	d->buckets[h & d->bmask] = i;
	lru_push(d, i);
	return t;
}

static void tmpl_touch(struct sqli *d, struct tmpl *t)
{
	uint32_t i = (uint32_t)(t - d->slots);

	if (d->lru_head != i) {
		lru_unlink(d, i);
		lru_push(d, i);
	}
}

static bool pfx_valid(const struct sqli *d, const struct pfx *p)
{
	const struct tmpl *t;

	if (p->h == 0 || p->slot >= d->used)
		return false;
	t = &d->slots[p->slot];
	return t->hash == p->th && (t->flags & TF_CLEAN);
}

static const struct tmpl *pfx_find(const struct sqli *d, uint64_t h)
{
	uint32_t i, j;

	for (i = 0; i < PFX_PROBES; i++) {
		j = (uint32_t)(h + i) & d->pmask;
		if (d->pfx[j].h == h && pfx_valid(d, &d->pfx[j]))
			return &d->slots[d->pfx[j].slot];
	}
	return NULL;
}

/* Remember that a clean template's text up to a literal hashes to h; a stale or the home entry gives way. */
static void pfx_put(struct sqli *d, uint64_t h, const struct tmpl *t)
{
	uint32_t i, j, home = (uint32_t)h & d->pmask;
	struct pfx *p;

	for (i = 0; i < PFX_PROBES; i++) {
		j = (uint32_t)(h + i) & d->pmask;
		p = &d->pfx[j];
		if (p->h == h && pfx_valid(d, p))
			return;
		if (!pfx_valid(d, p)) {
			home = j;
			break;
		}
	}
	p = &d->pfx[home];
	p->h = h;
	p->th = t->hash;
	p->slot = (uint32_t)(t - d->slots);
}

/* ---- lexing and templates ----------------------------------------------------------------------------------- */

static const struct tok *T(const struct q *q, size_t k)
{
	return &q->toks[q->sig[k]];
}

static const char *tx(const struct q *q, size_t k)
{
	return q->s + T(q, k)->start;
}

/* Token k is a punctuation or operator spelled exactly p. */
static bool is_sym(const struct q *q, size_t k, const char *p)
{
	const struct tok *t;

	if (k >= q->nsig)
		return false;
	t = T(q, k);
	if ((t->kind != SQL_TOK_PUNCT && t->kind != SQL_TOK_OPERATOR) || q->s[t->start] != p[0])
		return false;
	return t->len == strlen(p) && memcmp(q->s + t->start, p, t->len) == 0;
}

static enum kw kw_at(const struct q *q, size_t k)
{
	return k < q->nsig ? (enum kw)T(q, k)->kw : KW_NONE;
}

static bool is_kind(const struct q *q, size_t k, enum sql_tok_kind kind)
{
	return k < q->nsig && T(q, k)->kind == kind;
}

static bool is_literal(const struct q *q, size_t k)
{
	return is_kind(q, k, SQL_TOK_STRING) || is_kind(q, k, SQL_TOK_NUMBER);
}

/* MySQL version-comment markers (slash-star-! and its star-slash) delimit code, not comments. */
static bool is_vmarker(const char *s, const struct sql_tok *t, bool my)
{
	if (!my)
		return false;
	if (t->len >= 3 && s[t->start + 2] == '!')
		return true;
	if (t->len >= 4 && s[t->start + 2] == 'M' && s[t->start + 3] == '!')
		return true;
	return t->len == 2 && s[t->start] == '*';
}

static void lex(struct sqli *d, struct q *q)
{
	struct sqllex lx;
	struct sql_tok t;
	struct tok *o;
	const char *s = q->s;

	sqllex__init(&lx, s, q->len, q->dia);
	q->ntok = q->nsig = 0;
	for (;;) {
		sqllex__next(&lx, &t);
		if (t.kind == SQL_TOK_END)
			break;
		if (t.kind == SQL_TOK_SPACE)
			continue;
		if (q->ntok == MAX_TOKS) {
			q->cut = true;
			break;
		}
		o = &d->toks[q->ntok];
		o->start = (uint32_t)t.start;
		o->len = (uint32_t)t.len;
		o->kind = (uint8_t)t.kind;
		o->flags = 0;
		o->kw = KW_NONE;
		if (t.kind == SQL_TOK_COMMENT) {
			if (is_vmarker(s, &t, q->my))
				continue;
			if (s[t.start] == '-' || s[t.start] == '#')
				o->flags |= TK_LINE;
			q->feat |= TF_COMMENT;
			q->ntok++;
			continue;
		}
		if (t.kind == SQL_TOK_ERROR && t.len >= 2 && s[t.start] == '/' && s[t.start + 1] == '*') {
			o->kind = SQL_TOK_COMMENT;
			o->flags |= TK_UNTERM;
			q->feat |= TF_COMMENT;
			q->ntok++;
			continue;
		}
		if (t.kind == SQL_TOK_IDENT)
			o->kw = (uint16_t)keyword(s + t.start, t.len);
		d->sig[q->nsig++] = (uint32_t)q->ntok++;
	}
}

/* Spacing classes of template tokens. */
enum sc { SC_NONE, SC_WORD, SC_NAME, SC_OPEN, SC_CLOSE, SC_COMMA, SC_DOT, SC_CAST, SC_SEMI, SC_OP, SC_AT, SC_LIT };

struct tb {
	uint64_t h;
	char *out;
	size_t olen;
	enum sc prev;
	uint64_t sh; /* the current statement's hash, spaced as if it were sent alone */
	enum sc sprev;
};

enum fold { F_NONE, F_LOWER, F_UPPER };

static void tb_bytes(struct tb *b, const char *p, size_t n, enum fold f)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		c = f == F_LOWER ? lower(c) : f == F_UPPER ? upper(c) : c;
		b->h = fnv(b->h, c);
		b->sh = fnv(b->sh, c);
		if (b->olen < TMPL_TEXT - 1)
			b->out[b->olen++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
}

/* A space between two tokens unless the pair reads better without: f(x), a.b, x::t, (a, b), a[1]. */
static bool spaced(enum sc pv, enum sc cls, char c0)
{
	return pv != SC_NONE && pv != SC_OPEN && pv != SC_DOT && pv != SC_CAST && pv != SC_AT && cls != SC_CLOSE &&
	       cls != SC_COMMA && cls != SC_DOT && cls != SC_CAST && cls != SC_SEMI &&
	       !(cls == SC_OPEN && (pv == SC_NAME || c0 == '['));
}

static void tb_tok(struct tb *b, enum sc cls, const char *p, size_t n, enum fold f)
{
	if (spaced(b->prev, cls, *p)) {
		b->h = fnv(b->h, ' ');
		if (b->olen < TMPL_TEXT - 1)
			b->out[b->olen++] = ' ';
	}
	if (spaced(b->sprev, cls, *p))
		b->sh = fnv(b->sh, ' ');
	tb_bytes(b, p, n, f);
	b->prev = b->sprev = cls;
}

/* A statement ended: keep its hash, start the next one's. */
static void tb_stmt(struct q *q, struct tb *b, uint64_t seed)
{
	if (b->sprev != SC_NONE && q->nstmt < MAX_STMTS)
		q->stmt_h[q->nstmt++] = b->sh ? b->sh : 1;
	b->sh = seed;
	b->sprev = SC_NONE;
}

static void lit_fp(struct q *q, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		q->litfp = fnv(q->litfp, p[i]);
	q->litfp = fnv(q->litfp, 0x1f);
}

static void add_litpos(struct q *q, const struct tb *b, size_t k)
{
	if (q->nlp < MAX_LITPOS) {
		q->lp[q->nlp].h = b->h;
		q->lp[q->nlp].k = k;
		q->nlp++;
	}
}

/* A sign at k may be folded into the number after it: not after a value (a - 1 stays a subtraction). */
static bool sign_allowed(const struct q *q, size_t k)
{
	const struct tok *p;

	if (!(is_sym(q, k, "-") || is_sym(q, k, "+")) || !is_kind(q, k + 1, SQL_TOK_NUMBER))
		return false;
	if (k == 0)
		return true;
	p = T(q, k - 1);
	switch (p->kind) {
	case SQL_TOK_OPERATOR:
		return true;
	case SQL_TOK_PUNCT:
		return is_sym(q, k - 1, "(") || is_sym(q, k - 1, ",") || is_sym(q, k - 1, "[");
	case SQL_TOK_IDENT:
		return p->kw != KW_NONE;
	default:
		return false;
	}
}

/* Skip ::type casts (with [] for arrays) after a value at k; returns the index after them. */
static size_t skip_casts(const struct q *q, size_t k)
{
	while (is_sym(q, k, "::") && (is_kind(q, k + 1, SQL_TOK_IDENT) || is_kind(q, k + 1, SQL_TOK_QUOTED_IDENT))) {
		k += 2;
		if (is_sym(q, k, "[") && is_sym(q, k + 1, "]"))
			k += 2;
	}
	return k;
}

/* A constant list item at k (literal, parameter, NULL/TRUE/FALSE/DEFAULT, signed number, cast): its end or NONE. */
static size_t const_item(const struct q *q, size_t k)
{
	enum kw w;

	if (k >= q->nsig)
		return NONE;
	if (sign_allowed(q, k))
		k++;
	w = kw_at(q, k);
	if (is_literal(q, k) || is_kind(q, k, SQL_TOK_PARAM) || w == KW_NULL || w == KW_TRUE || w == KW_FALSE ||
	    w == KW_DEFAULT)
		return skip_casts(q, k + 1);
	return NONE;
}

/* At the opener k, a list of constant items up to its closer: the closer's index or NONE. */
static size_t const_list(const struct q *q, size_t k)
{
	const char *close = is_sym(q, k, "[") ? "]" : ")";
	size_t j = k + 1, e;

	for (;;) {
		e = const_item(q, j);
		if (e == NONE)
			return NONE;
		if (is_sym(q, e, ","))
			j = e + 1;
		else if (is_sym(q, e, close))
			return e;
		else
			return NONE;
	}
}

/* Fingerprint the literals of tokens [a, b) and count them; whether any was a literal or parameter. */
static bool list_literals(struct q *q, size_t a, size_t b)
{
	bool any = false;
	size_t k;

	for (k = a; k < b; k++) {
		if (is_literal(q, k)) {
			lit_fp(q, tx(q, k), T(q, k)->len);
			q->nlit++;
			any = true;
		} else if (is_kind(q, k, SQL_TOK_PARAM)) {
			any = true;
		} else if (sign_allowed(q, k)) {
			lit_fp(q, tx(q, k), 1);
		}
	}
	return any;
}

/* Emit the collapsed list opened at k and closed at e; returns e. */
static size_t collapse(struct q *q, struct tb *b, size_t k, size_t e)
{
	bool sq = is_sym(q, k, "[");

	tb_tok(b, SC_OPEN, sq ? "[" : "(", 1, F_NONE);
	tb_tok(b, SC_LIT, "?...", 4, F_NONE);
	if (list_literals(q, k + 1, e))
		add_litpos(q, b, e);
	tb_tok(b, SC_CLOSE, sq ? "]" : ")", 1, F_NONE);
	return e;
}

static enum sc sym_class(const struct q *q, size_t k)
{
	if (is_sym(q, k, "(") || is_sym(q, k, "["))
		return SC_OPEN;
	if (is_sym(q, k, ")") || is_sym(q, k, "]"))
		return SC_CLOSE;
	if (is_sym(q, k, ","))
		return SC_COMMA;
	if (is_sym(q, k, "."))
		return SC_DOT;
	if (is_sym(q, k, ";"))
		return SC_SEMI;
	if (is_sym(q, k, "::"))
		return SC_CAST;
	if (is_sym(q, k, "@@") || is_sym(q, k, "@"))
		return SC_AT;
	return SC_OP;
}

static void build(struct q *q)
{
	uint64_t seed = fnv(FNV_OFFSET, q->my ? 'm' : 'p');
	struct tb b = {.h = seed, .out = q->text, .olen = 0, .prev = SC_NONE, .sh = seed, .sprev = SC_NONE};
	const struct tok *t;
	size_t k, e;
	enum kw pk;

	q->litfp = FNV_OFFSET;
	q->nlit = q->nlp = 0;
	for (k = 0; k < q->nsig; k++) {
		t = T(q, k);
		switch (t->kind) {
		case SQL_TOK_STRING:
		case SQL_TOK_NUMBER:
		case SQL_TOK_ERROR:
			lit_fp(q, tx(q, k), t->len);
			q->nlit++;
			tb_tok(&b, SC_LIT, "?", 1, F_NONE);
			add_litpos(q, &b, k);
			break;
		case SQL_TOK_PARAM:
			tb_tok(&b, SC_LIT, "?", 1, F_NONE);
			add_litpos(q, &b, k);
			break;
		case SQL_TOK_IDENT:
			tb_tok(&b, t->kw ? SC_WORD : SC_NAME, tx(q, k), t->len, t->kw ? F_UPPER : F_LOWER);
			break;
		case SQL_TOK_QUOTED_IDENT:
			tb_tok(&b, SC_NAME, tx(q, k), t->len, F_NONE);
			break;
		case SQL_TOK_OPERATOR:
			if (sign_allowed(q, k)) {
				lit_fp(q, tx(q, k), 1);
				k++;
				lit_fp(q, tx(q, k), T(q, k)->len);
				q->nlit++;
				tb_tok(&b, SC_LIT, "?", 1, F_NONE);
				add_litpos(q, &b, k);
				break;
			}
			tb_tok(&b, sym_class(q, k), tx(q, k), t->len, F_NONE);
			break;
		default:
			/* IN (...), VALUES (...), (...) and ARRAY[...] of constants read as one (?...). */
			pk = k > 0 ? kw_at(q, k - 1) : KW_NONE;
			if (((is_sym(q, k, "(") && (pk == KW_IN || pk == KW_VALUES)) ||
			     (is_sym(q, k, "[") && pk == KW_ARRAY)) &&
			    (e = const_list(q, k)) != NONE) {
				k = collapse(q, &b, k, e);
				while (pk == KW_VALUES && is_sym(q, k + 1, ",") && is_sym(q, k + 2, "(") &&
				       (e = const_list(q, k + 2)) != NONE) {
					list_literals(q, k + 3, e);
					k = e;
				}
				break;
			}
			if (is_sym(q, k, ";")) {
				/* The ';' belongs to neither statement's own template. */
				tb_stmt(q, &b, seed);
				tb_tok(&b, SC_SEMI, ";", 1, F_NONE);
				b.sh = seed;
				b.sprev = SC_NONE;
				break;
			}
			tb_tok(&b, sym_class(q, k), tx(q, k), t->len, F_NONE);
			break;
		}
	}
	tb_stmt(q, &b, seed);
	q->text[b.olen] = '\0';
	q->hash = b.h ? b.h : 1;
	if (q->nlit)
		q->feat |= TF_LITERALS;
}

/* ---- names -------------------------------------------------------------------------------------------------- */

/* Lower-case text of token k into buf (NAME_LEN); 0 when too long. */
static size_t lname(const struct q *q, size_t k, char *buf, size_t off)
{
	const struct tok *t = T(q, k);
	size_t i;

	if (off + t->len >= NAME_LEN)
		return 0;
	for (i = 0; i < t->len; i++)
		buf[off + i] = (char)lower((unsigned char)q->s[t->start + i]);
	buf[off + t->len] = '\0';
	return off + t->len;
}

static bool is_name_tok(const struct q *q, size_t k)
{
	return is_kind(q, k, SQL_TOK_IDENT) || is_kind(q, k, SQL_TOK_QUOTED_IDENT);
}

/*
 * Whether the identifier at k matches a list entry: plain entries compare with
 * the word itself (so pg_catalog.pg_sleep matches pg_sleep), dotted ones with
 * "prev.word", "@@x" ones with a system variable. Call-only entries need "(" next.
 */
static const struct name *match(const struct q *q, size_t k, const struct name *v, size_t n, bool only_calls,
				bool delay_ok)
{
	char word[NAME_LEN], qual[NAME_LEN], sys[NAME_LEN];
	size_t i, l, wl, ql = 0, sl = 0;
	bool call;

	if (!is_kind(q, k, SQL_TOK_IDENT) || !(wl = lname(q, k, word, 0)))
		return NULL;
	call = is_sym(q, k + 1, "(");
	if (only_calls && !call && !(delay_ok && (kw_at(q, k + 1) == KW_DELAY || kw_at(q, k + 1) == KW_TIME)))
		return NULL;
	if (k >= 2 && is_sym(q, k - 1, ".") && is_name_tok(q, k - 2)) {
		l = lname(q, k - 2, qual, 0);
		if (l && l + 1 < NAME_LEN) {
			qual[l] = '.';
			ql = lname(q, k, qual, l + 1);
		}
	}
	if (k >= 1 && is_sym(q, k - 1, "@@")) {
		memcpy(sys, "@@", 2);
		sl = lname(q, k, sys, 2);
	}
	for (i = 0; i < n; i++) {
		const char *want = v[i].s[0] == '@' ? sys : v[i].dotted ? qual : word;
		size_t have = v[i].s[0] == '@' ? sl : v[i].dotted ? ql : wl;

		if (v[i].len == have && (!v[i].call || call) && memcmp(v[i].s, want, have) == 0)
			return &v[i];
	}
	return NULL;
}

/* ---- constant expressions ----------------------------------------------------------------------------------- */

enum vtype { V_NULL, V_BOOL, V_NUM, V_STR, V_HEX };

struct cval {
	enum vtype type;
	bool num_ok; /* num holds its numeric value */
	double num;
	bool exact; /* buf holds its whole value */
	char buf[64];
	size_t blen;
	const char *raw;
	size_t rawlen;
};

static bool parse_num(const char *p, size_t n, double *out)
{
	char tmp[64];
	char *end;
	size_t i = 0, j = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || n - i >= sizeof(tmp))
		return false;
	if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '+' || p[i] == '.'))
		return false;
	for (; i < n; i++) {
		if (p[i] != '_')
			tmp[j++] = p[i];
	}
	while (j > 0 && (tmp[j - 1] == ' ' || tmp[j - 1] == '\t'))
		j--;
	tmp[j] = '\0';
	*out = strtod(tmp, &end);
	return j > 0 && *end == '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void put_byte(struct cval *v, int c)
{
	if (v->blen < sizeof(v->buf))
		v->buf[v->blen++] = (char)c;
	else
		v->exact = false;
}

/* Hex digits p[0..n) as bytes and as an integer. */
static void hex_value(struct cval *v, const char *p, size_t n)
{
	size_t i;
	int hi, lo;

	v->type = V_HEX;
	v->exact = true;
	v->num_ok = n <= 13;
	v->num = 0;
	for (i = 0; i < n; i++) {
		hi = hexval((unsigned char)p[i]);
		if (hi < 0) {
			v->exact = v->num_ok = false;
			return;
		}
		v->num = v->num * 16 + hi;
	}
	i = 0;
	if (n % 2)
		put_byte(v, hexval((unsigned char)p[i++]));
	for (; i + 1 < n; i += 2) {
		hi = hexval((unsigned char)p[i]);
		lo = hexval((unsigned char)p[i + 1]);
		put_byte(v, hi * 16 + lo);
	}
}

static void number_value(const struct q *q, size_t k, bool neg, struct cval *v)
{
	const char *p = tx(q, k);
	size_t n = T(q, k)->len, i;
	double x = 0;
	int base = 0, dv;

	v->type = V_NUM;
	if (n > 2 && p[0] == '0' && q->my && p[1] == 'x') {
		hex_value(v, p + 2, n - 2);
		return;
	}
	if (n > 2 && p[0] == '0' && (lower(p[1]) == 'x' || lower(p[1]) == 'o' || lower(p[1]) == 'b'))
		base = lower(p[1]) == 'x' ? 16 : lower(p[1]) == 'o' ? 8 : 2;
	if (base) {
		v->num_ok = n <= 15;
		for (i = 2; i < n && v->num_ok; i++) {
			if (p[i] == '_')
				continue;
			dv = hexval((unsigned char)p[i]);
			if (dv < 0 || dv >= base)
				v->num_ok = false;
			x = x * base + dv;
		}
		v->num = x;
	} else {
		v->num_ok = parse_num(p, n, &v->num);
	}
	if (neg)
		v->num = -v->num;
	/* As text (for LIKE), the number reads as written. */
	v->exact = true;
	if (neg)
		put_byte(v, '-');
	for (i = 0; i < n; i++)
		put_byte(v, p[i]);
}

static void string_value(const struct q *q, size_t k, struct cval *v)
{
	const char *p = tx(q, k);
	size_t n = T(q, k)->len, i = 0, end, tag;
	bool bs = q->my, pg_e = false;
	int quote, c;

	v->type = V_STR;
	v->exact = true;
	if (!q->my && p[0] == '$') {
		for (tag = 1; tag < n && p[tag] != '$'; tag++)
			;
		tag++;
		if (n < 2 * tag) {
			v->exact = false;
			return;
		}
		for (i = tag; i < n - tag; i++)
			put_byte(v, p[i]);
		goto num;
	}
	if (q->my && p[0] == '_') {
		while (i < n && p[i] != '\'' && p[i] != '"')
			i++;
	} else if (p[0] != '\'' && p[0] != '"') {
		c = lower(p[0]);
		if (c == 'x' && q->my) {
			hex_value(v, p + 2, n >= 3 ? n - 3 : 0);
			return;
		}
		if (c == 'n' || (c == 'e' && !q->my)) {
			pg_e = c == 'e';
			bs = q->my || pg_e;
			i = 1;
		} else {
			/* B'..', X'..' (PostgreSQL bits), U&'..': compared by their spelling only. */
			v->exact = false;
			return;
		}
	}
	if (i >= n || n - i < 2) {
		v->exact = false;
		return;
	}
	quote = p[i];
	end = n - 1;
	for (i++; i < end; i++) {
		c = (unsigned char)p[i];
		if (c == quote && i + 1 < end && p[i + 1] == quote) {
			put_byte(v, c);
			i++;
		} else if (bs && c == '\\' && i + 1 < end) {
			c = (unsigned char)p[++i];
			if (pg_e && (c == 'x' || (c >= '0' && c <= '7') || c == 'u' || c == 'U'))
				v->exact = false;
			put_byte(v, c == 'n'   ? '\n'
				    : c == 't' ? '\t'
				    : c == 'r' ? '\r'
				    : c == '0' ? 0
				    : c == 'Z' ? 26
					       : c);
		} else {
			put_byte(v, c);
		}
	}
num:
	if (v->exact)
		v->num_ok = parse_num(v->buf, v->blen, &v->num);
}

/* A constant at k: [sign] number, string, NULL, TRUE, FALSE, with casts. The index after it, or NONE. */
static size_t parse_val(const struct q *q, size_t k, struct cval *v)
{
	bool neg = false;
	enum kw w;
	size_t k0 = k;

	memset(v, 0, sizeof(*v));
	if (k >= q->nsig)
		return NONE;
	if (sign_allowed(q, k) || ((is_sym(q, k, "-") || is_sym(q, k, "+")) && is_kind(q, k + 1, SQL_TOK_NUMBER))) {
		neg = is_sym(q, k, "-");
		k++;
	}
	w = kw_at(q, k);
	if (is_kind(q, k, SQL_TOK_NUMBER)) {
		number_value(q, k, neg, v);
	} else if (neg || k != k0) {
		return NONE;
	} else if (is_kind(q, k, SQL_TOK_STRING)) {
		string_value(q, k, v);
	} else if (w == KW_NULL) {
		v->type = V_NULL;
	} else if (w == KW_TRUE || w == KW_FALSE) {
		v->type = V_BOOL;
		v->num_ok = true;
		v->num = w == KW_TRUE;
	} else {
		return NONE;
	}
	v->raw = tx(q, k);
	v->rawlen = T(q, k)->len;
	return skip_casts(q, k + 1);
}

static int ceq(int a, int b, bool ci)
{
	return ci ? lower(a) == lower(b) : a == b;
}

static int bytecmp(const struct cval *a, const struct cval *b, bool ci)
{
	size_t i, n = a->blen < b->blen ? a->blen : b->blen;
	int x, y;

	for (i = 0; i < n; i++) {
		x = (unsigned char)a->buf[i];
		y = (unsigned char)b->buf[i];
		if (ci) {
			x = lower(x);
			y = lower(y);
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->blen < b->blen ? -1 : a->blen > b->blen;
}

/* SQL LIKE with % and _ and backslash escapes; s and p at most 64 bytes each. */
static bool like(const char *s, size_t sn, const char *p, size_t pn, bool ci)
{
	size_t i = 0, j = 0, star = NONE, mark = 0, w;
	int pc;

	while (i < sn) {
		if (j < pn && p[j] == '%') {
			star = j++;
			mark = i;
			continue;
		}
		if (j < pn) {
			pc = (unsigned char)p[j];
			w = 1;
			if (pc == '\\' && j + 1 < pn) {
				pc = (unsigned char)p[j + 1];
				w = 2;
			} else if (pc == '_') {
				i++;
				j++;
				continue;
			}
			if (ceq((unsigned char)s[i], pc, ci)) {
				i++;
				j += w;
				continue;
			}
		}
		if (star != NONE) {
			j = star + 1;
			i = ++mark;
			continue;
		}
		return false;
	}
	while (j < pn && p[j] == '%')
		j++;
	return j == pn;
}

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_NSEQ, OP_LIKE, OP_ILIKE };

/* Truth of a op b for constants: 1, 0, or -1 when it cannot be told. */
static int compare(const struct cval *a, enum cmp_op op, const struct cval *b, bool my)
{
	bool numeric, ci = my;
	int c;

	if (a->type == V_NULL || b->type == V_NULL)
		return op == OP_NSEQ ? a->type == b->type : 0;
	if (op == OP_LIKE || op == OP_ILIKE) {
		if (!a->exact || !b->exact || b->type == V_NUM)
			return -1;
		return like(a->buf, a->blen, b->buf, b->blen, ci || op == OP_ILIKE);
	}
	numeric = a->num_ok && b->num_ok &&
		  (a->type == V_NUM || a->type == V_BOOL || b->type == V_NUM || b->type == V_BOOL) &&
		  !((a->type == V_HEX && b->type == V_STR) || (a->type == V_STR && b->type == V_HEX));
	if (numeric) {
		c = (a->num > b->num) - (a->num < b->num);
	} else if (a->type != V_BOOL && b->type != V_BOOL && a->exact && b->exact &&
		   !(a->type == V_NUM && b->type == V_STR) && !(a->type == V_STR && b->type == V_NUM)) {
		c = bytecmp(a, b, ci);
	} else if (a->rawlen == b->rawlen && memcmp(a->raw, b->raw, a->rawlen) == 0 &&
		   (op == OP_EQ || op == OP_NE || op == OP_NSEQ)) {
		c = 0;
	} else {
		return -1;
	}
	switch (op) {
	case OP_EQ:
	case OP_NSEQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	case OP_GE:
		return c >= 0;
	default:
		return -1;
	}
}

/* buf equals the NUL-terminated word w, ignoring ASCII case. */
static bool buf_is(const struct cval *v, const char *w)
{
	return v->blen == strlen(w) && ieq(v->buf, v->blen, w);
}

/* Truth of a lone constant used as a condition (MySQL: as a number; PostgreSQL: as a boolean). */
static int truth(const struct cval *v, bool my)
{
	static const char *const yes[] = {"t", "true", "y", "yes", "on", "1"};
	static const char *const no[] = {"f", "false", "n", "no", "off", "0"};
	size_t i;

	switch (v->type) {
	case V_NULL:
		return 0;
	case V_BOOL:
	case V_NUM:
	case V_HEX:
		return v->num_ok ? v->num != 0 : -1;
	case V_STR:
		if (my)
			return v->num_ok ? v->num != 0 : v->exact ? 0 : -1;
		if (!v->exact)
			return -1;
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (buf_is(v, yes[i]))
				return 1;
			if (buf_is(v, no[i]))
				return 0;
		}
		return -1;
	}
	return -1;
}

static bool cmp_op_at(const struct q *q, size_t k, enum cmp_op *op, size_t *next)
{
	static const struct {
		const char *s;
		enum cmp_op op;
	} ops[] = {{"=", OP_EQ},  {"==", OP_EQ}, {"!=", OP_NE}, {"<>", OP_NE},	 {"<", OP_LT},
		   {"<=", OP_LE}, {">", OP_GT},	 {">=", OP_GE}, {"<=>", OP_NSEQ}};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (is_kind(q, k, SQL_TOK_OPERATOR) && is_sym(q, k, ops[i].s)) {
			*op = ops[i].op;
			*next = k + 1;
			return true;
		}
	}
	if (kw_at(q, k) == KW_LIKE) {
		*op = OP_LIKE;
		*next = k + 1;
		return true;
	}
	if (kw_at(q, k) == KW_ILIKE) {
		*op = OP_ILIKE;
		*next = k + 1;
		return true;
	}
	return false;
}

/*
 * A constant condition at k: "a op b", "a [NOT] LIKE b", "a IS [NOT] NULL|TRUE|FALSE" or a lone
 * constant. Its truth (1/0, -1 unknown or not constant), *end after it.
 */
static int eval_cond(const struct q *q, size_t k, size_t *end)
{
	struct cval a, b;
	enum cmp_op op;
	size_t p, p2;
	bool neg = false;
	int r;
	enum kw w;

	p = parse_val(q, k, &a);
	if (p == NONE)
		return -1;
	if (kw_at(q, p) == KW_IS) {
		p++;
		if (kw_at(q, p) == KW_NOT) {
			neg = true;
			p++;
		}
		w = kw_at(q, p);
		if (w == KW_NULL)
			r = a.type == V_NULL;
		else if (w == KW_TRUE || w == KW_FALSE)
			r = truth(&a, q->my) < 0 ? -1 : truth(&a, q->my) == (w == KW_TRUE);
		else
			return -1;
		*end = p + 1;
		return r < 0 ? -1 : neg ? !r : r;
	}
	if (kw_at(q, p) == KW_NOT && (kw_at(q, p + 1) == KW_LIKE || kw_at(q, p + 1) == KW_ILIKE)) {
		neg = true;
		p++;
	}
	if (cmp_op_at(q, p, &op, &p2)) {
		p2 = parse_val(q, p2, &b);
		if (p2 == NONE)
			return -1;
		r = compare(&a, op, &b, q->my);
		*end = p2;
		return r < 0 ? -1 : neg ? !r : r;
	}
	if (neg)
		return -1;
	*end = p;
	return truth(&a, q->my);
}

/* What may follow an injected condition: the end, a closer, or a clause that starts anew. */
static bool cond_follower(const struct q *q, size_t k)
{
	switch (kw_at(q, k)) {
	case KW_AND:
	case KW_OR:
	case KW_XOR:
	case KW_ORDER:
	case KW_GROUP:
	case KW_LIMIT:
	case KW_UNION:
	case KW_HAVING:
	case KW_OFFSET:
	case KW_FOR:
	case KW_RETURNING:
	case KW_INTO:
	case KW_PROCEDURE:
	case KW_THEN:
	case KW_ELSE:
	case KW_END:
	case KW_WHEN:
		return true;
	default:
		break;
	}
	return k >= q->nsig || is_sym(q, k, ")") || is_sym(q, k, ";") || is_kind(q, k, SQL_TOK_ERROR) ||
	       (q->my && (is_sym(q, k, "||") || is_sym(q, k, "&&")));
}

/* After a boolean operator: [NOT]... [(]... constant-condition with a proper follower. Truth or -1. */
static int cond_after(const struct q *q, size_t k, size_t *end)
{
	bool neg = false;
	size_t e;
	int r;

	while (kw_at(q, k) == KW_NOT || (q->my && is_sym(q, k, "!"))) {
		neg = !neg;
		k++;
	}
	while (is_sym(q, k, "("))
		k++;
	r = eval_cond(q, k, &e);
	if (r < 0)
		return -1;
	if (!cond_follower(q, e))
		return -1;
	*end = e;
	return neg ? !r : r;
}

static bool is_or(const struct q *q, size_t k)
{
	return kw_at(q, k) == KW_OR || (q->my && is_sym(q, k, "||"));
}

static bool is_and(const struct q *q, size_t k)
{
	return kw_at(q, k) == KW_AND || (q->my && is_sym(q, k, "&&"));
}

/* ---- reasons ------------------------------------------------------------------------------------------------ */

/* Query text of tokens [a, b) for a reason: spacing collapsed, printable ASCII, cut with "...". */
static void snip(const struct q *q, size_t a, size_t b, char *out, size_t cap)
{
	size_t i, o = 0, from, to;
	bool sp = false;
	int c;

	out[0] = '\0';
	if (a >= q->nsig || b <= a)
		return;
	if (b > q->nsig)
		b = q->nsig;
	from = T(q, a)->start;
	to = T(q, b - 1)->start + T(q, b - 1)->len;
	for (i = from; i < to && o + 4 < cap; i++) {
		c = (unsigned char)q->s[i];
		if (c <= ' ' || c == 0x7f) {
			sp = true;
			continue;
		}
		if (sp && o > 0)
			out[o++] = ' ';
		sp = false;
		out[o++] = c < 0x7f ? (char)c : '?';
	}
	if (i < to) {
		memcpy(out + (o > cap - 4 ? cap - 4 : o), "...", 4);
		return;
	}
	out[o] = '\0';
}

static void hit(struct q *q, const struct cfg *c, enum reason r, const char *fmt, ...)
{
	va_list ap;

	if (q->reason != R_NONE && c->conf[r] <= q->conf)
		return;
	q->reason = r;
	q->conf = c->conf[r];
	va_start(ap, fmt);
	vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
}

/* "learned template X" when there is one, else "query X" (the query's own template). */
static void where(const struct q *q, const struct inj *inj, char *out, size_t cap)
{
	if (inj->t)
		snprintf(out, cap, "learned template %.150s", inj->t->text);
	else
		snprintf(out, cap, "query %.150s", q->text);
}

/* ---- rules -------------------------------------------------------------------------------------------------- */

/* Index of the ')' closing the '(' at k within its statement, or NONE. */
static size_t close_paren(const struct q *q, size_t k)
{
	size_t depth = 0;

	for (; k < q->nsig && !is_sym(q, k, ";"); k++) {
		if (is_sym(q, k, "("))
			depth++;
		else if (is_sym(q, k, ")") && --depth == 0)
			return k;
	}
	return NONE;
}

/* "SELECT pg_sleep(1)" as the whole first statement is a service's own pause, not an injection. */
static bool time_exempt(const struct q *q, size_t k)
{
	size_t first = k >= 2 && is_sym(q, k - 1, ".") ? k - 2 : k, p;

	if (first != 1 || kw_at(q, 0) != KW_SELECT || !is_sym(q, k + 1, "("))
		return false;
	p = close_paren(q, k + 1);
	return p != NONE && (p + 1 == q->nsig || (is_sym(q, p + 1, ";") && p + 2 == q->nsig));
}

/* Mark time-function and probe tokens; first UNION / probe after the injection point. */
static void features(const struct cfg *c, struct q *q, struct tok *toks, const struct inj *inj)
{
	size_t k;

	q->time_k = q->last_time = q->last_probe = q->probe_after = q->union_after = NONE;
	for (k = 0; k < q->nsig; k++) {
		struct tok *t = &toks[q->sig[k]];

		if (t->kind != SQL_TOK_IDENT) {
			if (is_sym(q, k, ";") && k + 1 < q->nsig && !is_sym(q, k + 1, ";"))
				q->feat |= TF_STACKED;
			continue;
		}
		if (t->kw == KW_UNION) {
			q->feat |= TF_UNION;
			if (inj->dev && k > inj->L && q->union_after == NONE)
				q->union_after = k;
		}
		if (match(q, k, c->time_fns, c->ntime, true, true)) {
			t->flags |= TK_TIME;
			q->feat |= TF_TIME;
			q->last_time = k;
			if (q->time_k == NONE && !time_exempt(q, k))
				q->time_k = k;
		}
		if (match(q, k, c->probes, c->nprobe, false, false)) {
			t->flags |= TK_PROBE;
			q->last_probe = k;
			if (inj->dev && k > inj->L && q->probe_after == NONE)
				q->probe_after = k;
		}
	}
}

/* The call (name and parens) at k for a reason, e.g. "pg_sleep(5)". */
static void call_snip(const struct q *q, size_t k, char *out, size_t cap)
{
	size_t a = k >= 2 && is_sym(q, k - 1, ".") ? k - 2 : k >= 1 && is_sym(q, k - 1, "@@") ? k - 1 : k, e;

	e = is_sym(q, k + 1, "(") ? close_paren(q, k + 1) : NONE;
	if (e == NONE)
		e = kw_at(q, k + 1) == KW_DELAY || kw_at(q, k + 1) == KW_TIME ? k + 2 : k + 1;
	else
		e++;
	snip(q, a, e, out, cap);
}

static const char *clause_name(enum kw w)
{
	switch (w) {
	case KW_WHERE:
		return "WHERE";
	case KW_HAVING:
		return "HAVING";
	case KW_ON:
		return "ON";
	case KW_WHEN:
		return "WHEN";
	case KW_SET:
		return "SET";
	default:
		return NULL;
	}
}

static void rule_tautology(const struct cfg *c, struct q *q, const struct inj *inj)
{
	const char *clause = NULL, *cn;
	char s[SNIP_LEN], w[200];
	size_t k, e;

	for (k = 0; k < q->nsig; k++) {
		if ((cn = clause_name(kw_at(q, k))) != NULL)
			clause = cn;
		else if (is_sym(q, k, ";"))
			clause = NULL;
		if (!is_or(q, k) || cond_after(q, k + 1, &e) != 1)
			continue;
		q->feat |= TF_TAUT;
		snip(q, k, e, s, sizeof(s));
		where(q, inj, w, sizeof(w));
		hit(q, c, R_TAUTOLOGY, "tautology %s in %s of %s", s, clause ? clause : "the condition", w);
		return;
	}
}

/* The select list of a UNION branch at b: constants only (NULL, numbers, strings)? */
static bool const_columns(const struct q *q, size_t b, size_t *end)
{
	size_t k = b, e;
	struct cval v;

	for (;;) {
		e = parse_val(q, k, &v);
		if (e == NONE)
			return false;
		if (kw_at(q, e) == KW_AS && is_name_tok(q, e + 1))
			e += 2;
		if (!is_sym(q, e, ",")) {
			*end = e;
			return e >= q->nsig || kw_at(q, e) == KW_FROM || kw_at(q, e) == KW_UNION ||
			       kw_at(q, e) == KW_INTO || kw_at(q, e) == KW_ORDER || kw_at(q, e) == KW_LIMIT ||
			       is_sym(q, e, ")") || is_sym(q, e, ";") || is_kind(q, e, SQL_TOK_ERROR);
		}
		k = e + 1;
	}
}

static void rule_union(const struct cfg *c, struct q *q, const struct inj *inj)
{
	char s[SNIP_LEN];
	size_t k, b, e, j, lit = NONE;

	if (q->union_after != NONE && !(inj->t->flags & TF_UNION)) {
		/* "UNION SELECT a, b FROM t": up to the table when it comes soon. */
		for (e = q->union_after + 1; e < q->nsig && e < q->union_after + 12 && kw_at(q, e) != KW_FROM; e++)
			;
		snip(q, q->union_after, kw_at(q, e) == KW_FROM ? e + 2 : e, s, sizeof(s));
		hit(q, c, R_UNION, "%s appended to learned template %.150s", s, inj->t->text);
	}
	/* Standalone: after a literal, a branch of constant columns or reading system objects. */
	for (k = 0; k < q->nsig; k++) {
		if (is_literal(q, k))
			lit = k;
		else if (is_sym(q, k, ";"))
			lit = NONE;
		if (kw_at(q, k) != KW_UNION || lit == NONE)
			continue;
		b = k + 1;
		if (kw_at(q, b) == KW_ALL || kw_at(q, b) == KW_DISTINCT)
			b++;
		while (is_sym(q, b, "("))
			b++;
		if (kw_at(q, b) != KW_SELECT)
			continue;
		if (const_columns(q, b + 1, &e)) {
			snip(q, k, e, s, sizeof(s));
			hit(q, c, R_UNION, "%s (constant columns) after a literal in query %.150s", s, q->text);
			return;
		}
		/* The branch runs to the next UNION or ';': each token is looked at once. */
		for (j = b + 1; j < q->nsig && kw_at(q, j) != KW_UNION && !is_sym(q, j, ";"); j++) {
			if (T(q, j)->flags & TK_PROBE) {
				call_snip(q, j, s, sizeof(s));
				hit(q, c, R_UNION, "UNION SELECT reading %s after a literal in query %.150s", s,
				    q->text);
				return;
			}
		}
		k = j - 1;
	}
}

/* A statement start that only an attacker sends stacked after a string. */
static bool danger_verb(const struct q *q, size_t k)
{
	enum kw w = kw_at(q, k), n = kw_at(q, k + 1);

	switch (w) {
	case KW_DROP:
	case KW_TRUNCATE:
	case KW_SHUTDOWN:
	case KW_GRANT:
	case KW_REVOKE:
	case KW_COPY:
	case KW_EXEC:
	case KW_EXECUTE:
	case KW_DECLARE:
	case KW_WAITFOR:
		return true;
	case KW_ALTER:
	case KW_CREATE:
		return n == KW_USER || n == KW_ROLE || n == KW_FUNCTION || n == KW_PROCEDURE;
	default:
		return false;
	}
}

/* The query ends in a line comment, an unterminated block comment or an unterminated string. */
static bool ends_cut(const struct q *q)
{
	size_t i;

	if (q->cut || q->nsig == 0)
		return false;
	if (T(q, q->nsig - 1)->kind == SQL_TOK_ERROR)
		return true;
	for (i = q->sig[q->nsig - 1] + 1; i < q->ntok; i++) {
		if (q->toks[i].flags & (TK_LINE | TK_UNTERM))
			return true;
	}
	return false;
}

/*
 * Statement j of the query (0 = the first) repeats the first or is a clean
 * learned template by itself: a batch the service sends (psycopg2
 * execute_batch joins statements with ';'), not an injected one.
 */
static bool batch_stmt(const struct sqli *d, const struct q *q, size_t j)
{
	struct tmpl *t;

	if (j >= q->nstmt)
		return false;
	if (q->stmt_h[j] == q->stmt_h[0])
		return true;
	t = tmpl_find((struct sqli *)d, q->stmt_h[j]);
	return t && (t->flags & TF_CLEAN);
}

static void rule_stacked(const struct sqli *d, struct q *q, const struct inj *inj)
{
	const struct cfg *c = &d->cfg;
	char s[SNIP_LEN], w[200];
	size_t k, j = 0;

	for (k = 0; k + 1 < q->nsig; k++) {
		if (!is_sym(q, k, ";"))
			continue;
		if (k > 0 && !is_sym(q, k - 1, ";"))
			j++;
		if (is_sym(q, k + 1, ";") || batch_stmt(d, q, j))
			continue;
		snip(q, k + 1, k + 3, s, sizeof(s));
		if (inj->dev && k > inj->L && !(inj->t->flags & TF_STACKED)) {
			hit(q, c, R_STACKED,
			    "stacked statement %s after ';' following a literal of learned template %.150s", s,
			    inj->t->text);
			return;
		}
		if (k > 0 && is_kind(q, k - 1, SQL_TOK_STRING) &&
		    (danger_verb(q, k + 1) || (q->last_time != NONE && q->last_time > k) ||
		     (q->last_probe != NONE && q->last_probe > k) || ends_cut(q))) {
			where(q, inj, w, sizeof(w));
			hit(q, c, R_STACKED, "stacked statement %s after a string literal in %s", s, w);
			return;
		}
	}
}

static void rule_time(const struct cfg *c, struct q *q, const struct inj *inj)
{
	char s[SNIP_LEN];

	if (q->time_k == NONE)
		return;
	call_snip(q, q->time_k, s, sizeof(s));
	if (inj->dev && q->time_k > inj->L)
		hit(q, c, R_TIME, "time-delay function %s after a literal of learned template %.150s", s, inj->t->text);
	else
		hit(q, c, R_TIME, "time-delay function %s in query %.150s", s, q->text);
}

/* A line comment's text after its marker is junk: at most two letters or digits (--, -- -, --+, #). */
static bool junk_comment(const struct q *q, const struct tok *t)
{
	const char *p = q->s + t->start;
	size_t i = p[0] == '#' ? 1 : 2, alnum = 0;

	if (t->flags & TK_UNTERM)
		return true;
	for (; i < t->len; i++)
		alnum += is_alnum((unsigned char)p[i]);
	return alnum <= 2;
}

/*
 * A line comment that swallows the query's closing quote: after - + # % ) ;
 * and spaces comes a quote, and that quote appears an odd number of times in
 * it (the service's own rest of the query is balanced; "-- 'fast' path" is not
 * a swallowed quote).
 */
static bool eats_quote(const struct q *q, const struct tok *t)
{
	const char *p = q->s + t->start;
	size_t i = p[0] == '#' ? 1 : 2, j, n = 0;

	if (!(t->flags & TK_LINE))
		return false;
	for (; i < t->len && p[i] && strchr(" \t-+#%);", p[i]); i++)
		;
	if (i >= t->len || (p[i] != '\'' && p[i] != '"' && p[i] != '`'))
		return false;
	for (j = i; j < t->len; j++)
		n += p[j] == p[i];
	return n % 2 == 1;
}

static void rule_comment(const struct cfg *c, struct q *q, const struct inj *inj)
{
	const struct tok *cm = NULL, *last;
	char s[SNIP_LEN], w[200];
	size_t i;

	if (q->cut || q->nsig == 0)
		return;
	last = T(q, q->nsig - 1);
	for (i = q->sig[q->nsig - 1] + 1; i < q->ntok && !cm; i++) {
		if (q->toks[i].flags & (TK_LINE | TK_UNTERM))
			cm = &q->toks[i];
	}
	if (!cm)
		return;
	snprintf(s, sizeof(s), "%.*s", cm->len > 12 ? 12 : (int)cm->len, q->s + cm->start);
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
	}
	where(q, inj, w, sizeof(w));
	if (last->kind == SQL_TOK_STRING && junk_comment(q, cm))
		hit(q, c, R_COMMENT, "comment %s cuts the query right after a string literal (%s)", s, w);
	else if (eats_quote(q, cm))
		hit(q, c, R_COMMENT, "comment %s swallows the closing quote (%s)", s, w);
	else if (inj->dev && junk_comment(q, cm))
		hit(q, c, R_COMMENT, "comment %s cuts the query after a literal of %s", s, w);
}

static void rule_blind(const struct cfg *c, struct q *q, const struct inj *inj)
{
	char s[SNIP_LEN];
	size_t p, e;

	if (!inj->dev)
		return;
	for (p = inj->L + 1; is_sym(q, p, ")"); p++)
		;
	if (!(is_and(q, p) || is_or(q, p)) || cond_after(q, p + 1, &e) < 0)
		return;
	snip(q, p, e, s, sizeof(s));
	hit(q, c, R_BLIND, "boolean-blind probe %s appended to learned template %.150s", s, inj->t->text);
}

static void rule_probe(const struct cfg *c, struct q *q, const struct inj *inj)
{
	char s[SNIP_LEN];

	if (q->probe_after == NONE)
		return;
	call_snip(q, q->probe_after, s, sizeof(s));
	hit(q, c, R_PROBE, "system-information probe %s appended to learned template %.150s", s, inj->t->text);
}

static bool syntax_error(const struct cfg *c, const struct sqli_input *in)
{
	size_t i;

	if (in->outcome != SQL_OUTCOME_ERROR)
		return false;
	if (in->dialect != SQL_DIALECT_MYSQL && in->sqlstate) {
		for (i = 0; i < c->npg; i++) {
			if (strcmp(in->sqlstate, c->pg_states[i]) == 0)
				return true;
		}
	}
	if (in->dialect != SQL_DIALECT_POSTGRES) {
		for (i = 0; i < c->nmy; i++) {
			if (in->error_code == c->my_codes[i])
				return true;
		}
	}
	return false;
}

static void rule_quote(const struct cfg *c, struct q *q, const struct inj *inj, const struct sqli_input *in)
{
	char s[SNIP_LEN], w[200], code[24];
	size_t i;

	if (q->cut || !syntax_error(c, in))
		return;
	for (i = 0; i < q->ntok; i++) {
		if (q->toks[i].kind == SQL_TOK_ERROR || (q->toks[i].flags & TK_UNTERM))
			break;
	}
	if (i == q->ntok)
		return;
	snprintf(s, sizeof(s), "%.*s", q->toks[i].len > 16 ? 16 : (int)q->toks[i].len, q->s + q->toks[i].start);
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
	}
	if (in->dialect == SQL_DIALECT_MYSQL)
		snprintf(code, sizeof(code), "MySQL error %d", in->error_code);
	else
		snprintf(code, sizeof(code), "SQLSTATE %s", in->sqlstate);
	where(q, inj, w, sizeof(w));
	hit(q, c, R_QUOTE, "unbalanced quote at %s answered by syntax error (%s) in %s", s, code, w);
}

/* The last literal whose template prefix is a clean template's: where an injection starts. */
static void find_injection(const struct sqli *d, const struct q *q, struct inj *inj)
{
	const struct tmpl *t;
	size_t i;

	for (i = q->nlp; i-- > 0;) {
		t = pfx_find(d, q->lp[i].h);
		if (t) {
			inj->dev = true;
			inj->L = q->lp[i].k;
			inj->t = t;
			return;
		}
	}
}

/* ---- learning ----------------------------------------------------------------------------------------------- */

static struct tmpl *learn(struct sqli *d, struct q *q, struct tmpl *t, bool confirmed)
{
	size_t i;

	if (!t) {
		t = tmpl_add(d, q->hash);
		memcpy(t->text, q->text, sizeof(t->text));
		t->flags = (uint8_t)((q->feat & TF_FEATURES) | (confirmed ? 0 : TF_CLEAN));
		if (!confirmed) {
			for (i = 0; i < q->nlp; i++)
				pfx_put(d, q->lp[i].h, t);
		}
	} else {
		tmpl_touch(d, t);
	}
	if (t->seen < UINT32_MAX)
		t->seen++;
	return t;
}

/* Record the literal fingerprint; whether the template now shows min_varying different sets. */
static bool varies(const struct cfg *c, struct tmpl *t, uint64_t fp)
{
	uint32_t i;

	for (i = 0; i < t->nfps; i++) {
		if (t->fps[i] == fp)
			return t->nfps >= c->min_varying;
	}
	if (t->nfps < c->min_varying && t->nfps < MAX_VARY)
		t->fps[t->nfps++] = fp;
	return t->nfps >= c->min_varying;
}

static void fill(const struct sqli *d, struct detection *det, enum finding_status st, int conf, const char *msg)
{
	detect_id__fill(&d->id, det, st, conf < 0 ? 0 : conf > 100 ? 100 : conf);
	snprintf(det->reason, sizeof(det->reason), "%s", msg);
}

/*
 * Judge one QUERY or PARSE (EXECUTE and INIT_DB are ignored) and learn its
 * template. 1 with *det filled: confirmed when injected structure is seen
 * (every time it is seen), triggered the first time a QUERY's clean template
 * has shown min_varying different sets of inline literals; else 0, also for
 * NULL arguments and empty text. Allocates nothing; time linear in the
 * query's length. Not thread-safe: the learned templates are updated.
 */
int sqli__observe(struct sqli *d, const struct sqli_input *in, struct detection *det)
{
	struct q q;
	struct inj inj = {.dev = false, .L = NONE, .t = NULL};
	struct tmpl *t;
	char msg[256];
	bool clean;

	if (!d || !in || !det || !in->text || in->len == 0)
		return 0;
	if (in->kind != SQL_MSG_QUERY && in->kind != SQL_MSG_PARSE)
		return 0;
	memset(&q, 0, sizeof(q));
	q.s = in->text;
	q.len = in->len > MAX_LEN ? MAX_LEN : in->len;
	q.cut = in->truncated || in->len > MAX_LEN;
	q.my = in->dialect == SQL_DIALECT_MYSQL;
	q.dia = q.my ? SQL_DIALECT_MYSQL : SQL_DIALECT_POSTGRES;
	q.toks = d->toks;
	q.sig = d->sig;
	q.lp = d->lp;
	q.reason = R_NONE;
	lex(d, &q);
	if (q.nsig == 0)
		return 0;
	build(&q);

	t = tmpl_find(d, q.hash);
	clean = t && (t->flags & TF_CLEAN);
	inj.clean = clean;
	if (clean)
		inj.t = t;
	else
		find_injection(d, &q, &inj);
	features(&d->cfg, &q, d->toks, &inj);

	/* A constant OR in the service's own clean template is its own logic ("col = '' OR '' = ''"). */
	if (d->cfg.tautology && !inj.clean)
		rule_tautology(&d->cfg, &q, &inj);
	rule_union(&d->cfg, &q, &inj);
	rule_stacked(d, &q, &inj);
	rule_time(&d->cfg, &q, &inj);
	rule_comment(&d->cfg, &q, &inj);
	rule_blind(&d->cfg, &q, &inj);
	rule_probe(&d->cfg, &q, &inj);
	rule_quote(&d->cfg, &q, &inj, in);

	t = learn(d, &q, t, q.reason != R_NONE);
	if (q.reason != R_NONE) {
		fill(d, det, FINDING_CONFIRMED, q.conf, q.msg);
		return 1;
	}
	if (in->kind != SQL_MSG_QUERY || q.nlit == 0 || !(t->flags & TF_CLEAN))
		return 0;
	if (!varies(&d->cfg, t, q.litfp) || (t->flags & TF_REPORTED))
		return 0;
	t->flags |= TF_REPORTED;
	snprintf(msg, sizeof(msg), "string-built SQL: template %.150s seen with %u different inline literal sets",
		 t->text, t->nfps);
	fill(d, det, FINDING_TRIGGERED, d->cfg.conf[R_STRING_BUILT], msg);
	return 1;
}

/* ---- lifetime ----------------------------------------------------------------------------------------------- */

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * A detector for one service from its rule family: name, CWEs and severity
 * are copied, params validated as by sqli__check_params. All memory (template
 * table, prefix set, per-query scratch) is taken here. NULL with errno set
 * (EINVAL: no rule or invalid params, the reason in err; ENOMEM).
 */
struct sqli *sqli__new(const struct rule_family *rule, char *err, size_t errlen)
{
	struct sqli *d;
	uint32_t nb, np;
	int rc;

	if (!rule) {
		detect__fail(err, errlen, "sqli: no rule family");
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	rc = parse_params(rule->params, &d->cfg, err, errlen);
	if (rc) {
		free(d);
		errno = -rc;
		return NULL;
	}

	d->nslots = d->cfg.max_templates;
	nb = pow2_at_least(2ull * d->nslots);
	np = pow2_at_least(4ull * d->nslots);
	d->slots = calloc(d->nslots, sizeof(*d->slots));
	d->buckets = malloc(nb * sizeof(*d->buckets));
	d->pfx = calloc(np, sizeof(*d->pfx));
	d->toks = malloc(MAX_TOKS * sizeof(*d->toks));
	d->sig = malloc(MAX_TOKS * sizeof(*d->sig));
	d->lp = malloc(MAX_LITPOS * sizeof(*d->lp));
	if (detect_id__init(&d->id, rule, "sqli") || !d->slots || !d->buckets || !d->pfx || !d->toks || !d->sig ||
	    !d->lp) {
		sqli__free(d);
		detect__fail(err, errlen, "sqli: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	memset(d->buckets, 0xff, nb * sizeof(*d->buckets));
	d->bmask = nb - 1;
	d->pmask = np - 1;
	d->lru_head = d->lru_tail = NIL;
	return d;
}

/* Free d and everything it holds; accepts NULL. */
void sqli__free(struct sqli *d)
{
	if (!d)
		return;
	free(d->lp);
	free(d->sig);
	free(d->toks);
	free(d->pfx);
	free(d->buckets);
	free(d->slots);
	detect_id__free(&d->id);
	free(d);
}

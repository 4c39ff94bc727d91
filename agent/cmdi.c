/*
 * cmdi: command-injection detector (CWE-78/77) over exec events; cmdi.h says
 * what triggers and what confirms, docs/rules.md lists the parameters.
 *
 * A shell's -c string is read with a small shell lexer (quotes, backslash,
 * operators), so a ';' inside quotes is text, not chaining, and the first
 * word of every simple command is checked against the tool lists.
 * Everything per event lives on the stack: no allocation, no syscall.
 * Program lists hold "prog" or "prog ARGGLOB": prog is a path (compared with
 * the exec'd file) or a name (compared with its base name); ARGGLOB, when
 * given, must match (fnmatch) one of the arguments. busybox and toybox are
 * multi-call: their first argument names the program.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmdi.h"
#include "rules.h"

#define ENTRY_MAX 255
#define ALLOW_MAX 1024
#define META_MAX 8
#define LINE_BUF 8192 /* the exec'd file and its arguments, joined by spaces (cut beyond) */
#define SCAN_WORDS 16 /* words of one simple command kept for the tool check */
#define SCAN_WORD_LEN 256

struct prog {
	char *prog; /* path (has a '/') or base name */
	char *arg;  /* NULL, or a glob one of the arguments must match */
};

struct proglist {
	struct prog *v;
	size_t n;
};

struct strlist {
	char **v;
	size_t n;
};

struct cmdi {
	struct detect_id id; /* name, CWEs, severity from the rule */
	struct proglist shells, recon, net;
	struct strlist meta;  /* longest first, so "&&" is seen before "&" */
	struct strlist revsh; /* substrings */
	struct strlist allow; /* command globs */
	bool meta_first[256]; /* bytes that start a metacharacter: a '*' in an allow glob never matches them */
};

enum key_kind { K_SHELLS, K_TOOLS, K_META, K_PATTERNS, K_ALLOW };

static const struct {
	const char *key;
	enum key_kind kind;
} param_keys[] = {
    {"shells", K_SHELLS},
    {"metacharacters", K_META},
    {"recon_tools", K_TOOLS},
    {"network_tools", K_TOOLS},
    {"reverse_shell_patterns", K_PATTERNS},
    {"allow", K_ALLOW},
};

/* Programs that run the applet named by their first argument. */
static const char *const multicall[] = {"busybox", "toybox"};

/* Words that run the command after them (their options and numbers skipped). */
static const char *const wrappers[] = {"exec", "command", "builtin", "nohup", "env",  "nice",  "ionice",  "setsid",
				       "time", "timeout", "stdbuf",  "sudo",  "doas", "xargs", "busybox", "toybox"};


/* NULL when s is a valid entry of a list of this kind, else the problem. */
static const char *entry_problem(enum key_kind kind, const char *s)
{
	const char *sp;
	size_t len = strlen(s);

	if (!len)
		return "empty string";
	switch (kind) {
	case K_SHELLS:
		if (len > ENTRY_MAX || strpbrk(s, " \t\n"))
			return "expected a program path or name";
		break;
	case K_TOOLS:
		sp = strchr(s, ' ');
		if (len > ENTRY_MAX || s[0] == ' ' || strpbrk(s, "\t\n") || (sp && (sp[1] == '\0' || sp[1] == ' ')))
			return "expected \"program\" or \"program argument-glob\"";
		break;
	case K_META:
		if (len > META_MAX)
			return "metacharacter longer than 8 bytes";
		break;
	case K_PATTERNS:
		if (len > ENTRY_MAX)
			return "longer than 255 bytes";
		break;
	case K_ALLOW:
		if (len > ALLOW_MAX)
			return "longer than 1024 bytes";
		break;
	}
	return NULL;
}

/*
 * Validate the cmdi params: an object whose only keys are shells,
 * metacharacters, recon_tools, network_tools, reverse_shell_patterns and
 * allow, each an array of non-empty strings of the form its list needs. 0, or
 * -EINVAL with "$.params.<path>: problem" in err.
 */
int cmdi__check_params(const struct cJSON *params, char *err, size_t errlen)
{
	const cJSON *it, *e;
	const char *problem;
	size_t k, i;

	if (!cJSON_IsObject(params))
		return detect__fail(err, errlen, "$.params: expected an object");
	cJSON_ArrayForEach(it, params)
	{
		for (k = 0; k < sizeof(param_keys) / sizeof(param_keys[0]); k++)
			if (it->string && strcmp(it->string, param_keys[k].key) == 0)
				break;
		if (k == sizeof(param_keys) / sizeof(param_keys[0]))
			return detect__fail(err, errlen, "$.params.%s: unknown key", it->string ? it->string : "");
		if (!cJSON_IsArray(it))
			return detect__fail(err, errlen, "$.params.%s: expected an array of strings", it->string);
		i = 0;
		cJSON_ArrayForEach(e, it)
		{
			if (!cJSON_IsString(e) || !e->valuestring)
				return detect__fail(err, errlen, "$.params.%s[%zu]: expected a string", it->string, i);
			problem = entry_problem(param_keys[k].kind, e->valuestring);
			if (problem)
				return detect__fail(err, errlen, "$.params.%s[%zu]: %s", it->string, i, problem);
			i++;
		}
	}
	return 0;
}

static int strs_load(const cJSON *params, const char *key, struct strlist *l)
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
		l->v[l->n] = strdup(it->valuestring);
		if (!l->v[l->n])
			return -ENOMEM;
		l->n++;
	}
	return 0;
}

static void strs_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int progs_load(const cJSON *params, const char *key, struct proglist *l)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(params, key), *it;
	int n = cJSON_GetArraySize(arr);
	char *sp;

	if (n <= 0)
		return 0;
	l->v = calloc((size_t)n, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr)
	{
		struct prog *p = &l->v[l->n];

		p->prog = strdup(it->valuestring);
		if (!p->prog)
			return -ENOMEM;
		l->n++;
		sp = strchr(p->prog, ' ');
		if (sp) {
			*sp = '\0';
			p->arg = sp + 1;
		}
	}
	return 0;
}

static void progs_free(struct proglist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].prog);
	free(l->v);
}

static int longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

/*
 * A detector for one service from its rule family. NULL with errno set
 * (EINVAL: no rule or invalid params, the reason in err; ENOMEM).
 */
struct cmdi *cmdi__new(const struct rule_family *rule, char *err, size_t errlen)
{
	const cJSON *params;
	struct cmdi *d = NULL;
	size_t i;
	int ret;

	ret = detect__params(rule, &params, err, errlen);
	if (!ret)
		ret = cmdi__check_params(params, err, errlen);
	if (ret)
		goto cleanup;
	ret = -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d || detect_id__init(&d->id, rule, "cmdi"))
		goto cleanup;
	if ((ret = progs_load(params, "shells", &d->shells)) || (ret = progs_load(params, "recon_tools", &d->recon)) ||
	    (ret = progs_load(params, "network_tools", &d->net)) ||
	    (ret = strs_load(params, "metacharacters", &d->meta)) ||
	    (ret = strs_load(params, "reverse_shell_patterns", &d->revsh)) ||
	    (ret = strs_load(params, "allow", &d->allow)))
		goto cleanup;
	if (d->meta.n)
		qsort(d->meta.v, d->meta.n, sizeof(d->meta.v[0]), longest_first);
	for (i = 0; i < d->meta.n; i++)
		d->meta_first[(unsigned char)d->meta.v[i][0]] = true;
	d->meta_first['\n'] = true;
	return d;

cleanup:
	if (ret == -ENOMEM)
		detect__fail(err, errlen, "out of memory");
	cmdi__free(d);
	errno = -ret;
	return NULL;
}

/* Free d and everything it holds; accepts NULL. */
void cmdi__free(struct cmdi *d)
{
	if (!d)
		return;
	progs_free(&d->shells);
	progs_free(&d->recon);
	progs_free(&d->net);
	strs_free(&d->meta);
	strs_free(&d->revsh);
	strs_free(&d->allow);
	detect_id__free(&d->id);
	free(d);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool in_list(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Whether entry e names the program: by path (path may be NULL: not known) or by base name. */
static bool prog_is(const struct prog *e, const char *name, const char *path)
{
	if (strchr(e->prog, '/'))
		return path && strcmp(e->prog, path) == 0;
	return strcmp(e->prog, base_name(name)) == 0;
}

/* The first entry of l naming the program run with args, or NULL. */
static const struct prog *prog_find(const struct proglist *l, const char *name, const char *path,
				    const char *const *args, size_t nargs)
{
	size_t i, a;

	for (i = 0; i < l->n; i++) {
		if (!prog_is(&l->v[i], name, path))
			continue;
		if (!l->v[i].arg)
			return &l->v[i];
		for (a = 0; a < nargs; a++)
			if (args[a] && fnmatch(l->v[i].arg, args[a], 0) == 0)
				return &l->v[i];
	}
	return NULL;
}

/*
 * Glob match where '*' and '?' never match a byte that starts a
 * metacharacter (or a newline): "getent hosts *" allows "getent hosts db1"
 * but not "getent hosts x;id". Iterative, one backtrack point: linear-ish.
 */
static bool allow_glob(const struct cmdi *d, const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat && (*pat == *s || (*pat == '?' && !d->meta_first[(unsigned char)*s]))) {
			pat++;
			s++;
		} else if (star && !d->meta_first[(unsigned char)*resume]) {
			/* Let the last '*' take one more byte; one it may not take ends every match. */
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static bool allowed(const struct cmdi *d, const char *line, const char *baseline)
{
	size_t i;

	for (i = 0; i < d->allow.n; i++)
		if (allow_glob(d, d->allow.v[i], d->allow.v[i][0] == '/' ? line : baseline))
			return true;
	return false;
}

/* The first reverse-shell pattern in line, starting at a word boundary when it starts with a letter. */
static const char *revsh_find(const struct cmdi *d, const char *line)
{
	const char *p;
	size_t i;

	for (i = 0; i < d->revsh.n; i++) {
		const char *pat = d->revsh.v[i];
		bool word = isalnum((unsigned char)pat[0]);

		for (p = line; (p = strstr(p, pat)) != NULL; p++)
			if (!word || p == line || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))
				return pat;
	}
	return NULL;
}

/* What the shell lexer found in a -c string. */
struct scan {
	const struct cmdi *d;
	const char *meta;	 /* the first unquoted metacharacter (a params entry), or NULL */
	const struct prog *tool; /* the first recon or network tool run, or NULL */
	bool tool_net;
	char words[SCAN_WORDS][SCAN_WORD_LEN];
	size_t nwords, curlen;
	bool inword; /* a word is being read (possibly empty: "") */
	bool redir;  /* the next word is a redirection target, not an argument */
};

static void word_add(struct scan *sc, char c)
{
	sc->inword = true;
	if (sc->nwords < SCAN_WORDS && sc->curlen < SCAN_WORD_LEN - 1)
		sc->words[sc->nwords][sc->curlen++] = c;
}

static void word_end(struct scan *sc)
{
	if (!sc->inword)
		return;
	sc->inword = false;
	if (sc->redir)
		sc->redir = false;
	else if (sc->nwords < SCAN_WORDS)
		sc->words[sc->nwords++][sc->curlen] = '\0';
	sc->curlen = 0;
}

/* Before a redirection: a word of digits just read is its file descriptor ("2>"), not an argument. */
static void drop_fd_word(struct scan *sc)
{
	size_t i;

	if (!sc->inword || sc->nwords >= SCAN_WORDS)
		return;
	for (i = 0; i < sc->curlen; i++)
		if (!isdigit((unsigned char)sc->words[sc->nwords][i]))
			return;
	sc->inword = false;
	sc->curlen = 0;
}

static bool is_assignment(const char *w)
{
	if (!(isalpha((unsigned char)*w) || *w == '_'))
		return false;
	while (isalnum((unsigned char)*w) || *w == '_')
		w++;
	return *w == '=';
}

/* End of a simple command: find the program it runs (past assignments and wrappers) and check the tool lists. */
static void command_end(struct scan *sc)
{
	const char *args[SCAN_WORDS];
	const struct prog *t;
	size_t k = 0, i, n;

	word_end(sc);
	n = sc->nwords;
	sc->nwords = 0;
	sc->redir = false;
	if (sc->tool)
		return;
	while (k < n && is_assignment(sc->words[k]))
		k++;
	while (k < n && in_list(wrappers, sizeof(wrappers) / sizeof(wrappers[0]), sc->words[k])) {
		k++;
		while (k < n && (sc->words[k][0] == '-' || is_assignment(sc->words[k]) ||
				 isdigit((unsigned char)sc->words[k][0])))
			k++;
	}
	if (k >= n)
		return;
	for (i = k + 1; i < n; i++)
		args[i - k - 1] = sc->words[i];
	t = prog_find(&sc->d->recon, sc->words[k], sc->words[k], args, n - k - 1);
	if (!t) {
		t = prog_find(&sc->d->net, sc->words[k], sc->words[k], args, n - k - 1);
		sc->tool_net = t != NULL;
	}
	sc->tool = t;
}

/*
 * Length of a harmless redirection at p ("2>&1", ">&-", ">/dev/null",
 * "&> /dev/null", "</dev/null"), 0 when there is none: services write these
 * all the time, so they are neither metacharacters nor words.
 */
static size_t redirect_idiom(const char *p)
{
	const char *q = p;

	if (q[0] == '&' && q[1] == '>')
		q += 2;
	else if (q[0] == '>' && q[1] == '>')
		q += 2;
	else if (q[0] == '>' || q[0] == '<')
		q += 1;
	else
		return 0;
	if (p[0] != '&' && q[0] == '&' && (isdigit((unsigned char)q[1]) || q[1] == '-')) {
		q += 2;
		while (isdigit((unsigned char)*q))
			q++;
	} else {
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, "/dev/null", 9) != 0)
			return 0;
		q += 9;
	}
	if (*q && !strchr(" \t;&|\n)", *q))
		return 0;
	return (size_t)(q - p);
}

/* The metacharacter (a params entry) starting at p, or NULL; inside double quotes only $... and `... count. */
static const char *meta_at(const struct cmdi *d, const char *p, bool dquote)
{
	size_t i, len;

	if (!d->meta_first[(unsigned char)*p])
		return NULL;
	for (i = 0; i < d->meta.n; i++) {
		const char *m = d->meta.v[i];

		if (dquote && m[0] != '$' && m[0] != '`')
			continue;
		len = strlen(m);
		if (strncmp(p, m, len) == 0)
			return m;
	}
	return NULL;
}

/* Read a -c string the way sh would split it, noting metacharacters and the tools it runs. */
static void scan_shell(struct scan *sc, const char *s)
{
	enum { Q_NONE, Q_SINGLE, Q_DOUBLE } q = Q_NONE;
	const char *m;
	size_t i = 0, n = strlen(s), idiom;
	char c;

	while (i < n) {
		c = s[i];
		if (q == Q_SINGLE) {
			if (c == '\'')
				q = Q_NONE;
			else
				word_add(sc, c);
			i++;
			continue;
		}
		if (c == '\\') {
			/* Escaped: plain text; backslash-newline joins lines. */
			if (i + 1 < n && s[i + 1] != '\n')
				word_add(sc, s[i + 1]);
			i += 2;
			continue;
		}
		if (q == Q_NONE && (idiom = redirect_idiom(s + i)) != 0) {
			drop_fd_word(sc);
			word_end(sc);
			i += idiom;
			continue;
		}
		m = meta_at(sc->d, s + i, q == Q_DOUBLE);
		if (m && !sc->meta)
			sc->meta = m;
		if (c == '`' || (c == '$' && s[i + 1] == '(')) {
			/* Substitution, quoted or not: what follows is a new command. */
			command_end(sc);
			i += c == '`' ? 1 : 2;
			continue;
		}
		if (q == Q_DOUBLE) {
			if (c == '"')
				q = Q_NONE;
			else
				word_add(sc, c);
			i++;
			continue;
		}
		if (c == '\'' || c == '"') {
			q = c == '\'' ? Q_SINGLE : Q_DOUBLE;
			sc->inword = true;
		} else if (c == ' ' || c == '\t') {
			word_end(sc);
		} else if (strchr(";&|\n()", c)) {
			command_end(sc);
		} else if (c == '<' || c == '>') {
			drop_fd_word(sc);
			word_end(sc);
			sc->redir = true;
		} else {
			word_add(sc, c);
		}
		i++;
	}
	command_end(sc);
}

/* How a metacharacter reads in a reason. */
static const char *meta_what(const char *m)
{
	if (m[0] == '`' || m[0] == '$')
		return "command substitution with";
	if (m[0] == '|' && m[1] != '|')
		return "command piped with";
	if (m[0] == ';' || m[0] == '&' || m[0] == '|' || m[0] == '\n')
		return "command chained with";
	if (m[0] == '>' || m[0] == '<')
		return "redirection with";
	return "shell metacharacter";
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

static size_t esc_width(unsigned char c)
{
	return c == '\n' || c == '\t' ? 2 : (c < 0x20 || c == 0x7f) ? 4 : 1;
}

/* Append s with control bytes escaped, in at most max bytes: cut with "..." when longer. */
static void put_clip(struct reason *r, const char *s, size_t max)
{
	size_t full = 0, used = 0;
	const char *p;

	for (p = s; *p; p++)
		full += esc_width((unsigned char)*p);
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		size_t w = esc_width(c);

		if (full > max && used + w + 3 > max) {
			if (max >= 3)
				put(r, "...");
			return;
		}
		if (c == '\n')
			put(r, "\\n");
		else if (c == '\t')
			put(r, "\\t");
		else if (w == 4)
			put(r, "\\x%02x", c);
		else
			put(r, "%c", c);
		used += w;
	}
}

/* Join the detail parts of a reason with " and ". */
static void part(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len && len + 5 < cap) {
		memcpy(buf + len, " and ", 6);
		len += 5;
	}
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

static void tool_part(char *buf, size_t cap, const struct prog *t, bool net, const char *prefix)
{
	part(buf, cap, "%s%s tool %s%s%s", prefix, net ? "network" : "recon", t->prog, t->arg ? " " : "",
	     t->arg ? t->arg : "");
}

/*
 * Fill det: "<parent> ran <command> : <detail>", the command cut so the
 * detail always fits. cmd (a shell's -c string) is shown quoted after the
 * shell; otherwise line (file and arguments) is shown as it is.
 */
static int report(const struct cmdi *d, struct detection *det, enum finding_status status, int confidence,
		  const char *parent, const char *shell, const char *cmd, const char *line, const char *detail)
{
	struct reason r = {.buf = det->reason, .cap = sizeof(det->reason)};
	size_t room;

	det->reason[0] = '\0';
	put_clip(&r, parent, 32);
	put(&r, " ran ");
	if (cmd) {
		put_clip(&r, shell, 48);
		put(&r, " -c '");
	}
	/* What is left once "'", " : " and the detail are written. */
	room = r.cap - 1 - r.len;
	room = room > strlen(detail) + 4 ? room - strlen(detail) - 4 : 0;
	put_clip(&r, cmd ? cmd : line, room);
	put(&r, "%s : %s", cmd ? "'" : "", detail);

	detect_id__fill(&d->id, det, status, confidence);
	return 1;
}

/* Whether the process that exec'd is a network tool (a shell spawned by "nc -e" and the like). */
static const struct prog *parent_net_tool(const struct cmdi *d, const char *parent)
{
	size_t i;

	for (i = 0; i < d->net.n; i++)
		if (strcmp(base_name(d->net.v[i].prog), parent) == 0)
			return &d->net.v[i];
	return NULL;
}

/* A shell's options up to its operand, as sh and bash read them. */
struct shell_args {
	bool has_c, interactive;
	const char *operand; /* the -c string, or the script; NULL when commands come from stdin */
};

static void shell_args(const char *const *argv, size_t argc, size_t i, struct shell_args *sa)
{
	const char *a, *p;
	size_t skip;

	memset(sa, 0, sizeof(*sa));
	for (; i < argc; i++) {
		a = argv[i] ? argv[i] : "";
		if (strcmp(a, "--") == 0 || strcmp(a, "-") == 0) {
			i++;
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			if (strcmp(a, "--rcfile") == 0 || strcmp(a, "--init-file") == 0)
				i++;
			continue;
		}
		if ((a[0] != '-' && a[0] != '+') || a[1] == '\0')
			break;
		skip = 0;
		for (p = a + 1; *p; p++) {
			if (*p == 'c')
				sa->has_c = true;
			else if (*p == 'i' && a[0] == '-')
				sa->interactive = true;
			else if (*p == 'o' || *p == 'O')
				skip++; /* -o pipefail: the option name is the next argument */
		}
		i += skip;
	}
	if (i < argc)
		sa->operand = argv[i] ? argv[i] : "";
}

/*
 * Look at one exec; 1 with *det filled (detector, cwes, severity from the
 * rule; status, a one-sentence reason, confidence) when it shows command
 * injection, 0 otherwise, -EINVAL on NULL arguments.
 *   A shell with -c: triggered; confirmed when the string has an unquoted
 *   metacharacter, runs a recon or network tool, or has a reverse-shell
 *   pattern, unless it matches an allow glob (then triggered only).
 *   An interactive shell, or one started by a network tool: confirmed; a
 *   shell reading its commands from stdin otherwise: triggered.
 *   Any other program: confirmed when it is a recon or network tool or its
 *   command line has a reverse-shell pattern, unless allowed; else 0.
 * d is only read: one detector may serve several threads.
 */
int cmdi__observe(struct cmdi *d, const struct cmdi_input *in, struct detection *det)
{
	static const char *const empty_argv[] = {NULL};
	char line[LINE_BUF], detail[160] = "", shell[SCAN_WORD_LEN];
	const char *const *argv;
	const char *filename, *parent, *prog, *path, *baseline, *rev;
	const struct prog *t;
	struct shell_args sa;
	size_t argc, a0, i, len, nargs;
	bool net = false;
	int confidence;

	if (!d || !in || !det)
		return -EINVAL;
	filename = in->filename ? in->filename : "";
	parent = in->parent_comm && in->parent_comm[0] ? in->parent_comm : "a service process";
	argv = in->argv ? in->argv : empty_argv;
	argc = in->argv ? in->argc : 0;

	/* busybox sh -c ...: the applet is the program, its arguments follow it. */
	a0 = 0;
	if (argc > 1 && argv[1] && in_list(multicall, sizeof(multicall) / sizeof(multicall[0]), base_name(filename)))
		a0 = 1;
	prog = a0 ? argv[1] : filename;
	path = a0 ? NULL : filename;

	/* "file arg1 arg2 ...", and where "prog arg1 ..." starts in it. */
	len = (size_t)snprintf(line, sizeof(line), "%s", filename);
	len = len < sizeof(line) ? len : sizeof(line) - 1;
	baseline = line + (a0 ? len + 1 : (size_t)(base_name(line) - line));
	for (i = 1; i < argc && len + 1 < sizeof(line); i++) {
		int n = snprintf(line + len, sizeof(line) - len, " %s", argv[i] ? argv[i] : "");

		len += n > 0 && (size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1;
	}
	if (baseline > line + len)
		baseline = line + len;
	rev = revsh_find(d, line);
	nargs = argc > a0 + 1 ? argc - a0 - 1 : 0;

	if (!prog_find(&d->shells, prog, path, NULL, 0)) {
		if (allowed(d, line, baseline))
			return 0;
		t = prog_find(&d->recon, prog, path, argv + a0 + 1, nargs);
		if (!t) {
			t = prog_find(&d->net, prog, path, argv + a0 + 1, nargs);
			net = t != NULL;
		}
		if (!t && !rev)
			return 0;
		if (rev)
			part(detail, sizeof(detail), "reverse-shell shape '%s'", rev);
		if (t)
			tool_part(detail, sizeof(detail), t, net, "");
		len = strlen(detail);
		snprintf(detail + len, sizeof(detail) - len, " run by %s",
			 in->by_service_descendant ? "a descendant of the service" : "the service");
		/* A tool the service runs itself, not through a shell, is the weaker sign. */
		confidence = rev ? 95 : in->by_service_descendant ? 90 : 75;
		return report(d, det, FINDING_CONFIRMED, confidence, parent, NULL, NULL, line, detail);
	}

	snprintf(shell, sizeof(shell), "%s%s%s", filename, a0 ? " " : "", a0 ? argv[1] : "");
	shell_args(argv, argc, a0 + 1, &sa);
	if (sa.has_c) {
		struct scan sc = {.d = d};
		const char *cmd = sa.operand ? sa.operand : "";

		if (allowed(d, cmd, cmd))
			return report(d, det, FINDING_TRIGGERED, 70, parent, shell, cmd, NULL,
				      "allow-listed command run through a shell");
		scan_shell(&sc, cmd);
		if (rev)
			part(detail, sizeof(detail), "reverse-shell shape '%s'", rev);
		if (sc.meta)
			part(detail, sizeof(detail), "%s '%s'", meta_what(sc.meta),
			     strcmp(sc.meta, "\n") == 0 ? "\\n" : sc.meta);
		if (sc.tool)
			tool_part(detail, sizeof(detail), sc.tool, sc.tool_net, "ran ");
		if (!detail[0])
			return report(d, det, FINDING_TRIGGERED, 70, parent, shell, cmd, NULL,
				      "shell command sink reached, no injection shape in it");
		if (rev || (sc.meta && sc.tool))
			confidence = 95;
		else if (sc.tool || (sc.meta && sc.meta[0] != '>' && sc.meta[0] != '<'))
			confidence = 90;
		else
			confidence = 80; /* a redirection alone */
		return report(d, det, FINDING_CONFIRMED, confidence, parent, shell, cmd, NULL, detail);
	}
	if (allowed(d, line, baseline))
		return 0;
	if (sa.interactive || rev) {
		if (rev)
			snprintf(detail, sizeof(detail), "reverse-shell shape '%s'", rev);
		else
			snprintf(detail, sizeof(detail), "interactive shell started in the service");
		return report(d, det, FINDING_CONFIRMED, rev ? 95 : 90, parent, NULL, NULL, line, detail);
	}
	if (sa.operand)
		return 0; /* a script file: the service's own, as far as one exec tells */
	t = parent_net_tool(d, in->parent_comm ? in->parent_comm : "");
	if (t) {
		snprintf(detail, sizeof(detail), "shell started by network tool %s (reverse shell)", t->prog);
		return report(d, det, FINDING_CONFIRMED, 95, parent, NULL, NULL, line, detail);
	}
	return report(d, det, FINDING_TRIGGERED, 50, parent, NULL, NULL, line, "shell reading commands from its input");
}

/*
 * Unit tests for agent/sarif.c and agent/findings.c: every fixture in
 * tests/fixtures/sarif/ (CodeQL, Semgrep, Bandit, ESLint, flawfinder, gosec,
 * standard taxa, no CWE, several runs) read field by field; every CWE
 * convention and its near misses; fingerprints (the tool's, and ours: its
 * exact encoding, stability and sensitivity to each input); rejected logs
 * with their exact messages and an untouched output; skipped results and
 * their warnings; every truncation of a small log; a large log.
 *
 * Fixture paths are relative to the repository root, where `make test-unit`
 * runs; AISEC_SARIF_FIXTURES overrides the directory. Inline documents are
 * written with single quotes (turned into double quotes before parsing) and
 * copied into exactly-sized heap buffers, so ASan catches any read past them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "findings.h"
#include "sarif.h"

#define MAX_WARNINGS 8

struct warn_log {
	size_t n;
	char file[MAX_WARNINGS][256];
	char path[MAX_WARNINGS][128];
	char why[MAX_WARNINGS][256];
};

static void record_warn(void *ctx, const char *file, const char *json_path, const char *why)
{
	struct warn_log *wl = ctx;

	if (wl->n < MAX_WARNINGS) {
		snprintf(wl->file[wl->n], sizeof(wl->file[0]), "%s", file);
		snprintf(wl->path[wl->n], sizeof(wl->path[0]), "%s", json_path);
		snprintf(wl->why[wl->n], sizeof(wl->why[0]), "%s", why);
	}
	wl->n++;
}

static const char *fixture(const char *name)
{
	static char path[512];
	const char *dir = getenv("AISEC_SARIF_FIXTURES");

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "tests/fixtures/sarif", name);
	return path;
}

/* doc with ' turned into ", in an exactly-sized heap buffer (no terminator). */
static char *json_copy(const char *doc, size_t *len)
{
	size_t i, n = strlen(doc);
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = doc[i] == '\'' ? '"' : doc[i];
	*len = n;
	return p;
}

/* sarif__load_buf on doc (single-quoted JSON) under the name "x.sarif". */
static int load_doc(const char *doc, const struct sarif_cwe_map *map, struct findings *out, struct warn_log *wl,
		    char *err, size_t errlen)
{
	size_t len;
	char *buf = json_copy(doc, &len);
	int ret;

	ret = sarif__load_buf("x.sarif", buf, len, map, out, wl ? record_warn : NULL, wl, err, errlen);
	free(buf);
	return ret;
}

/* Our fingerprint, from its documented encoding: XXH64 over each field
 * preceded by its length as 8 little-endian bytes. */
static void our_hash(char out[FINDING_FP_LEN + 1], const char *tool, const char *rule, const char *uri, int line,
		     const char *snippet)
{
	const char *fields[5];
	char num[16];
	XXH64_state_t st;
	unsigned char le[8];
	uint64_t len;
	int i, k;

	snprintf(num, sizeof(num), "%d", line);
	fields[0] = tool;
	fields[1] = rule;
	fields[2] = uri;
	fields[3] = num;
	fields[4] = snippet ? snippet : "";
	XXH64_reset(&st, 0);
	for (i = 0; i < 5; i++) {
		len = strlen(fields[i]);
		for (k = 0; k < 8; k++)
			le[k] = (unsigned char)(len >> (8 * k));
		XXH64_update(&st, le, 8);
		XXH64_update(&st, fields[i], (size_t)len);
	}
	snprintf(out, FINDING_FP_LEN + 1, "%016" PRIx64, (uint64_t)XXH64_digest(&st));
}

struct exp_finding {
	size_t run, result;
	const char *tool, *rule_id, *level, *message, *uri, *base;
	int line;
	int cwes[FINDING_MAX_CWES];
	size_t ncwes;
	const char *fp;      /* the tool's partialFingerprints value; NULL: ours */
	const char *snippet; /* region.snippet.text, an input of ours */
};

#define CWES(...) .cwes = { __VA_ARGS__ }, .ncwes = sizeof((int[]){ __VA_ARGS__ }) / sizeof(int)

static void check_finding(const struct finding *f, const struct exp_finding *e, const char *file)
{
	char fp[FINDING_FP_LEN + 1];
	size_t i;

	assert_string_equal(f->file, file);
	assert_int_equal(f->run_index, e->run);
	assert_int_equal(f->result_index, e->result);
	assert_string_equal(f->tool, e->tool);
	assert_string_equal(f->rule_id, e->rule_id);
	assert_string_equal(f->level, e->level);
	assert_string_equal(f->message, e->message);
	assert_string_equal(f->uri, e->uri);
	assert_string_equal(f->uri_base_id, e->base);
	assert_int_equal(f->start_line, e->line);
	assert_int_equal(f->ncwes, e->ncwes);
	for (i = 0; i < e->ncwes; i++)
		assert_int_equal(f->cwes[i], e->cwes[i]);
	if (e->fp) {
		assert_true(f->fingerprint_from_tool);
		assert_string_equal(f->fingerprint, e->fp);
	} else {
		assert_false(f->fingerprint_from_tool);
		our_hash(fp, e->tool, e->rule_id, e->uri, e->line, e->snippet);
		assert_string_equal(f->fingerprint, fp);
	}
	assert_int_equal(f->status, FINDING_UNOBSERVED);
	assert_int_equal(f->evidence_count, 0);
	assert_int_equal(f->first_seen_ns, 0);
	assert_int_equal(f->last_seen_ns, 0);
}

/* Load a fixture and compare every finding; no warnings expected. */
static void check_fixture(const char *name, const struct sarif_cwe_map *map, const struct exp_finding *exp, size_t n)
{
	const char *path = fixture(name);
	struct findings fs = { 0 };
	struct warn_log wl = { 0 };
	char err[512] = "stale";
	size_t i;

	assert_int_equal(sarif__load(path, map, &fs, record_warn, &wl, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(wl.n, 0);
	assert_int_equal(fs.n, n);
	for (i = 0; i < n; i++)
		check_finding(&fs.v[i], &exp[i], path);
	findings__free(&fs);
}

#define CHECK_FIXTURE(name, map, exp) check_fixture(name, map, exp, sizeof(exp) / sizeof(exp[0]))

/* ---- the fixtures ---- */

static const char codeql_sql_msg[] = "This SQL query depends on a [user-provided value](1).";

static const struct exp_finding codeql_exp[] = {
	{ 0, 0, "CodeQL", "py/sql-injection", "error", codeql_sql_msg, "inventory/views.py", "%SRCROOT%", 58, CWES(89),
	  "c1f0a8e2b7d39d54:1", NULL },
	{ 0, 1, "CodeQL", "py/command-line-injection", "error",
	  "This command line depends on a [user-provided value](1).", "inventory/backup.py", "%SRCROOT%", 23,
	  CWES(78, 88), "5e2d9b0a44c1f7e3:1", NULL },
	{ 0, 2, "CodeQL", "py/path-injection", "error", "This path depends on a [user-provided value](1).",
	  "inventory/backup.py", "%SRCROOT%", 41, CWES(22, 23, 36, 73, 99), "0b77e5c3a9f21d68:2", NULL },
	/* result.level beats the rule's default; the smallest key wins though it comes second */
	{ 0, 3, "CodeQL", "py/sql-injection", "warning", codeql_sql_msg, "inventory/views.py", "%SRCROOT%", 97,
	  CWES(89), "9a4c0e6f1b2d8e73:1", NULL },
};

static void test_fixture_codeql(void **state)
{
	CHECK_FIXTURE("codeql.sarif", NULL, codeql_exp);
}

static const struct exp_finding semgrep_exp[] = {
	{ 0, 0, "Semgrep OSS", "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true", "error",
	  "Found 'subprocess' function 'run' with 'shell=True'. This is dangerous because this call will spawn the "
	  "command using a shell process. Doing so propagates current shell settings and variables, which makes it "
	  "much easier for a malicious actor to execute commands. Use 'shell=False' instead.",
	  "tasks/convert.py", "%SRCROOT%", 31, CWES(78), NULL,
	  "    subprocess.run(f\"convert {src} {dst}\", shell=True, check=True)" },
	/* tagged "CWE-89: ..." and properties.cwe "CWE-89: ...": one 89 */
	{ 0, 1, "Semgrep OSS", "python.django.security.injection.sql.sql-injection-using-raw", "warning",
	  "Detected the use of a string built with user input in 'raw()'. This could lead to SQL injection. Use "
	  "parameters in the query instead.",
	  "shop/models.py", "%SRCROOT%", 112, CWES(89), NULL,
	  "        return Order.objects.raw(\"SELECT * FROM shop_order WHERE ref = '%s'\" % ref)" },
	{ 0, 2, "Semgrep OSS", "python.lang.correctness.useless-eqeq.useless-eqeq", "note",
	  "This expression is always True: `total == total` or `total != total`. If testing for floating point NaN, "
	  "use `math.isnan(total)`, or `cmath.isnan(total)` if the number is complex.",
	  "shop/utils.py", "%SRCROOT%", 9, .ncwes = 0, NULL, "    if total == total:" },
};

static void test_fixture_semgrep(void **state)
{
	CHECK_FIXTURE("semgrep.sarif", NULL, semgrep_exp);
}

static const struct exp_finding bandit_exp[] = {
	{ 0, 0, "Bandit", "B602", "error", "subprocess call with shell=True identified, security issue.",
	  "billing/export.py", "", 44, CWES(78), "4d1c7a09e35bb8f2c6a0d917e4f38b25a1c9076de4b3f8a2150c6e9d7b4a3f10",
	  NULL },
	/* no result level (Bandit omits "warning"): the rule's default */
	{ 0, 1, "Bandit", "B608", "warning", "Possible SQL injection vector through string-based query construction.",
	  "billing/reports.py", "", 19, CWES(89), "a83f2e61c0d94b7758e1f02c3d6a9b4e7f105c28d3e6a9b1c4f7d0e3a6b9c2f5",
	  NULL },
	{ 0, 2, "Bandit", "B101", "note",
	  "Use of assert detected. The enclosed code will be removed when compiling to optimised byte code.",
	  "billing/reports.py", "", 27, CWES(703), "0f6e5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a1908",
	  NULL },
};

static void test_fixture_bandit(void **state)
{
	CHECK_FIXTURE("bandit.sarif", NULL, bandit_exp);
}

#define ESLINT_CHILD                                                                                                   \
	"security/detect-child-process", "warning", "Found require(\"child_process\")",                                \
		"file:///srv/notes-app/src/export.js", "", 4
#define ESLINT_FS                                                                                                      \
	"security/detect-non-literal-fs-filename", "warning",                                                          \
		"Found readFile from package \"fs\" with non literal argument at index 0",                             \
		"file:///srv/notes-app/src/attachments.js", "", 27
#define ESLINT_UNUSED                                                                                                  \
	"no-unused-vars", "error", "'tmpDir' is assigned a value but never used.",                                    \
		"file:///srv/notes-app/src/attachments.js", "", 8

static const struct exp_finding eslint_exp[] = {
	{ 0, 0, "ESLint", ESLINT_CHILD, .ncwes = 0 },
	{ 0, 1, "ESLint", ESLINT_FS, .ncwes = 0 },
	{ 0, 2, "ESLint", ESLINT_UNUSED, .ncwes = 0 },
};

static const struct exp_finding eslint_mapped_exp[] = {
	{ 0, 0, "ESLint", ESLINT_CHILD, CWES(78) },
	{ 0, 1, "ESLint", ESLINT_FS, CWES(22) },
	{ 0, 2, "ESLint", ESLINT_UNUSED, .ncwes = 0 },
};

static const struct sarif_cwe_entry eslint_entries[] = {
	{ "security/detect-non-literal-fs-filename", { 22 }, 1 },
	{ "security/detect-child-process", { 78 }, 1 },
	{ "security/detect-eval-with-expression", { 95 }, 1 },
};

static const struct sarif_cwe_map eslint_map = { eslint_entries, 3 };

static void test_fixture_eslint(void **state)
{
	CHECK_FIXTURE("eslint.sarif", NULL, eslint_exp);
}

static void test_fixture_eslint_with_map(void **state)
{
	CHECK_FIXTURE("eslint.sarif", &eslint_map, eslint_mapped_exp);
}

/* A fixed value of our fingerprint, so a change of its encoding (which would
 * orphan every stored fingerprint) fails here and not only in production. */
static void test_fingerprint_encoding_pinned(void **state)
{
	struct findings fs = { 0 };
	char err[256];

	assert_int_equal(sarif__load(fixture("eslint.sarif"), NULL, &fs, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(fs.n, 3);
	assert_string_equal(fs.v[0].fingerprint, "9c3b57768beca2e0");
	findings__free(&fs);
}

static const struct exp_finding flawfinder_exp[] = {
	{ 0, 0, "Flawfinder", "FF1044", "error",
	  "shell/system:This causes a new program to execute and is difficult to use safely (CWE-78).",
	  "src/rotate.c", "SRCROOT", 88, CWES(78), NULL, "        system(cmdline);" },
	{ 0, 1, "Flawfinder", "FF1004", "error",
	  "buffer/strcat:Does not check for buffer overflows when concatenating to destination [MS-banned] "
	  "(CWE-120).",
	  "src/rotate.c", "SRCROOT", 85, CWES(120), NULL, "    strcat(cmdline, logname);" },
	{ 0, 2, "Flawfinder", "FF1013", "note",
	  "buffer/char:Statically-sized arrays can be improperly restricted, leading to potential overflows or "
	  "other issues (CWE-119!/CWE-120).",
	  "src/rotate.c", "SRCROOT", 80, CWES(119, 120), NULL, "    char cmdline[256];" },
};

static void test_fixture_flawfinder(void **state)
{
	CHECK_FIXTURE("flawfinder.sarif", NULL, flawfinder_exp);
}

static const struct exp_finding taxa_exp[] = {
	/* ruleIndex only: the descriptor's id; uri from run.artifacts[0]; OWASP relationship ignored */
	{ 0, 0, "StdAnalyzer", "SA1001", "error", "Query string concatenated with $term.", "web/search.php", "SRCROOT",
	  14, CWES(89), NULL, "$sql = \"SELECT * FROM items WHERE name LIKE '%\" . $term . \"%'\";" },
	/* message from messageStrings with arguments; rule relationship then result taxa */
	{ 0, 1, "StdAnalyzer", "SA1002", "warning", "Value from $_GET['q'] reaches HTML output in render().",
	  "web/search.php", "SRCROOT", 31, CWES(79, 116), NULL, NULL },
	/* hierarchical ruleId; taxon through toolComponent.index; no locations */
	{ 0, 2, "StdAnalyzer", "SA1003/profile-form", "note", "The profile form posts without a CSRF token.", "", "",
	  0, CWES(352), NULL, NULL },
};

static void test_fixture_sarif_taxa(void **state)
{
	CHECK_FIXTURE("sarif-taxa.sarif", NULL, taxa_exp);
}

static const struct exp_finding no_cwe_exp[] = {
	{ 0, 0, "hadolint", "DL3008", "warning",
	  "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install "
	  "<package>=<version>`",
	  "docker/api.Dockerfile", "", 6, .ncwes = 0 },
	{ 0, 1, "hadolint", "DL3002", "warning", "Last USER should not be root", "docker/api.Dockerfile", "", 19,
	  .ncwes = 0 },
	/* no level anywhere: "warning"; empty locations: kept with no uri */
	{ 0, 2, "hadolint", "DL4006", "warning", "Set the SHELL option -o pipefail before RUN with a pipe in it.", "",
	  "", 0, .ncwes = 0 },
};

static void test_fixture_no_cwe(void **state)
{
	CHECK_FIXTURE("no-cwe.sarif", NULL, no_cwe_exp);
}

static const struct exp_finding multi_run_exp[] = {
	{ 0, 0, "CodeQL", "js/reflected-xss", "error",
	  "Cross-site scripting vulnerability due to a [user-provided value](1).", "routes/greet.js", "%SRCROOT%", 12,
	  CWES(79, 116), "61d0f2a5e8c3b794:1", NULL },
	{ 0, 1, "CodeQL", "js/sql-injection", "error", "This query string depends on a [user-provided value](1).",
	  "routes/orders.js", "%SRCROOT%", 33, CWES(89, 90, 943), "e07b3c94a1f56d28:1", NULL },
	{ 1, 0, "gosec", "G204", "warning", "Subprocess launched with a potential tainted input or cmd arguments",
	  "cmd/worker/thumbs.go", "", 57, CWES(78), NULL,
	  "cmd := exec.Command(\"sh\", \"-c\", \"convert \"+name+\" out.png\")" },
	{ 1, 1, "gosec", "G201", "warning", "SQL string formatting", "internal/store/orders.go", "", 88, CWES(89),
	  NULL, "q := fmt.Sprintf(\"SELECT id FROM orders WHERE owner = '%s'\", owner)" },
};

static void test_fixture_multi_run(void **state)
{
	CHECK_FIXTURE("multi-run.sarif", NULL, multi_run_exp);
}

static void test_fixture_empty_runs(void **state)
{
	struct findings fs = { 0 };
	struct warn_log wl = { 0 };
	char err[256] = "stale";

	assert_int_equal(sarif__load(fixture("empty-runs.sarif"), NULL, &fs, record_warn, &wl, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(fs.n, 0);
	assert_null(fs.v);
	assert_int_equal(wl.n, 0);
}

static const struct exp_finding without_rule_exp[] = {
	{ 0, 0, "Semgrep OSS", "javascript.express.security.audit.express-open-redirect.express-open-redirect",
	  "warning", "The application redirects to a URL specified by user-supplied input `next`.", "server/login.js",
	  "%SRCROOT%", 40, CWES(601), NULL, "  res.redirect(req.query.next);" },
	{ 0, 2, "Semgrep OSS", "javascript.express.security.audit.express-open-redirect.express-open-redirect",
	  "warning", "The application redirects to a URL specified by user-supplied input `to`.", "server/logout.js",
	  "%SRCROOT%", 11, CWES(601), NULL, "  return res.redirect(req.body.to);" },
};

static void test_fixture_result_without_rule(void **state)
{
	const char *path = fixture("result-without-rule.sarif");
	struct findings fs = { 0 };
	struct warn_log wl = { 0 };
	char err[256];
	size_t i;

	assert_int_equal(sarif__load(path, NULL, &fs, record_warn, &wl, err, sizeof(err)), 0);
	assert_int_equal(fs.n, 2);
	for (i = 0; i < 2; i++)
		check_finding(&fs.v[i], &without_rule_exp[i], path);
	assert_int_equal(wl.n, 1);
	assert_string_equal(wl.file[0], path);
	assert_string_equal(wl.path[0], "$.runs[0].results[1]");
	assert_string_equal(wl.why[0], "no ruleId or ruleIndex; result skipped");
	findings__free(&fs);

	/* No callback: the same findings, no crash. */
	assert_int_equal(sarif__load(path, NULL, &fs, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(fs.n, 2);
	findings__free(&fs);
}

/* ---- rejected files: exact message, out untouched, no warnings ---- */

struct bad_file {
	const char *name;
	int ret;
	const char *msg; /* after "<path>" */
};

static const struct bad_file bad_files[] = {
	{ "not-json.sarif", -EINVAL, ":8:11: invalid JSON; is the file complete SARIF output?" },
	{ "wrong-version.sarif", -EINVAL, ": $.version: \"2.0.0\" is not supported; expected \"2.1.0\"" },
	{ "runs-not-array.sarif", -EINVAL, ": $.runs: expected an array" },
	{ "location-wrong-type.sarif", -EINVAL,
	  ": $.runs[0].results[3].locations[0].physicalLocation: expected an object" },
	{ "does-not-exist.sarif", -ENOENT, ": cannot read: No such file or directory" },
	{ ".", -EISDIR, ": cannot read: Is a directory" },
};

static void test_bad_files(void **state)
{
	struct findings out = { 0 };
	struct finding *v_before;
	size_t i, cap_before;
	char err[512], want[512];
	struct warn_log wl = { 0 };
	const char *path;

	/* Something already in out, which must survive every failure as it was. */
	assert_int_equal(sarif__load(fixture("bandit.sarif"), NULL, &out, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(out.n, 3);
	v_before = out.v;
	cap_before = out.cap;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		path = fixture(bad_files[i].name);
		snprintf(want, sizeof(want), "%s%s", path, bad_files[i].msg);
		assert_int_equal(sarif__load(path, NULL, &out, record_warn, &wl, err, sizeof(err)), bad_files[i].ret);
		assert_string_equal(err, want);
		assert_int_equal(out.n, 3);
		assert_ptr_equal(out.v, v_before);
		assert_int_equal(out.cap, cap_before);
		assert_string_equal(out.v[0].rule_id, "B602");
		assert_string_equal(out.v[2].rule_id, "B101");
	}
	assert_int_equal(wl.n, 0);
	findings__free(&out);
}

/* Inline documents with the shape errors a user may meet. */
struct bad_doc {
	const char *doc;
	const char *err;
};

#define RUN(results) "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T'}},'results':[" results "]}]}"
#define RUN_RULES(rules, results)                                                                                      \
	"{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T','rules':[" rules "]}},'results':[" results "]}]}"
#define OK_RESULT "{'ruleId':'R','message':{'text':'m'}}"

static const struct bad_doc bad_docs[] = {
	{ "", "x.sarif: empty file; expected a SARIF 2.1.0 log" },
	{ " \n\t ", "x.sarif: empty file; expected a SARIF 2.1.0 log" },
	{ "{\n  'version': '2.1.0',\n  'runs': [1,,2]\n}", "x.sarif:3:14: invalid JSON; is the file complete SARIF output?" },
	{ "{'version':'2.1.0','runs':[]} x", "x.sarif:1:31: unexpected data after the JSON document" },
	{ "[]", "x.sarif: $: expected an object (a SARIF log)" },
	{ "{'runs':[]}", "x.sarif: $.version: missing; expected \"2.1.0\" (only SARIF 2.1.0 is supported)" },
	{ "{'version':2.1,'runs':[]}",
	  "x.sarif: $.version: expected the string \"2.1.0\" (only SARIF 2.1.0 is supported)" },
	{ "{'version':'2.1.0-rtm.5','runs':[]}", "x.sarif: $.version: \"2.1.0-rtm.5\" is not supported; expected \"2.1.0\"" },
	{ "{'version':'2.1.0'}", "x.sarif: $.runs: expected an array" },
	{ "{'version':'2.1.0','runs':null}", "x.sarif: $.runs: expected an array" },
	{ "{'version':'2.1.0','runs':[5]}", "x.sarif: $.runs[0]: expected an object" },
	{ "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T'}},'results':[]},"
	  "{'tool':{'driver':{'name':'U'}},'results':{}}]}",
	  "x.sarif: $.runs[1].results: expected an array" },
	{ "{'version':'2.1.0','runs':[{'results':[]}]}", "x.sarif: $.runs[0].tool: expected an object" },
	{ "{'version':'2.1.0','runs':[{'tool':{'driver':{}}}]}", "x.sarif: $.runs[0].tool.driver.name: expected a string" },
	{ RUN_RULES("{'id':'A'},7", ""), "x.sarif: $.runs[0].tool.driver.rules[1]: expected an object" },
	{ "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T'},'extensions':[{'name':'E','rules':[{'id':3}]}]}}]}",
	  "x.sarif: $.runs[0].tool.extensions[0].rules[0].id: expected a string" },
	{ RUN_RULES("{'id':'A','relationships':[{'kinds':['superset']}]}", ""),
	  "x.sarif: $.runs[0].tool.driver.rules[0].relationships[0].target: expected an object" },
	{ RUN_RULES("{'id':'A','relationships':[{'target':{'id':'89','toolComponent':'CWE'}}]}", ""),
	  "x.sarif: $.runs[0].tool.driver.rules[0].relationships[0].target.toolComponent: expected an object" },
	{ RUN_RULES("{'id':'A','defaultConfiguration':{'level':2}}", ""),
	  "x.sarif: $.runs[0].tool.driver.rules[0].defaultConfiguration.level: expected a string" },
	{ RUN_RULES("{'id':'A','messageStrings':{'default':'text'}}", ""),
	  "x.sarif: $.runs[0].tool.driver.rules[0].messageStrings: expected objects with a \"text\" string" },
	{ RUN(OK_RESULT ",'r'"), "x.sarif: $.runs[0].results[1]: expected an object" },
	{ RUN("{'ruleId':12,'message':{'text':'m'}}"), "x.sarif: $.runs[0].results[0].ruleId: expected a string" },
	{ RUN("{'ruleId':'R','ruleIndex':'0','message':{'text':'m'}}"),
	  "x.sarif: $.runs[0].results[0].ruleIndex: expected a number" },
	{ RUN("{'ruleId':'R','message':'SARIF 2.0 style'}"), "x.sarif: $.runs[0].results[0].message: expected an object" },
	{ RUN("{'ruleId':'R','message':{'text':'m {0}','arguments':['a',1]}}"),
	  "x.sarif: $.runs[0].results[0].message.arguments[1]: expected a string" },
	{ RUN("{'ruleId':'R','level':3,'message':{'text':'m'}}"), "x.sarif: $.runs[0].results[0].level: expected a string" },
	{ RUN("{'ruleId':'R','message':{'text':'m'},'locations':{}}"),
	  "x.sarif: $.runs[0].results[0].locations: expected an array" },
	{ RUN("{'ruleId':'R','message':{'text':'m'},'locations':['here']}"),
	  "x.sarif: $.runs[0].results[0].locations[0]: expected an object" },
	{ RUN("{'ruleId':'R','message':{'text':'m'},'locations':[{'physicalLocation':{'artifactLocation':{'uri':5}}}]}"),
	  "x.sarif: $.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri: expected a string" },
	{ RUN("{'ruleId':'R','message':{'text':'m'},'locations':[{'physicalLocation':{'region':{'startLine':'3'}}}]}"),
	  "x.sarif: $.runs[0].results[0].locations[0].physicalLocation.region.startLine: expected a number" },
	{ RUN("{'ruleId':'R','message':{'text':'m'},'partialFingerprints':{'h':7}}"),
	  "x.sarif: $.runs[0].results[0].partialFingerprints: expected string values" },
	{ RUN("{'ruleId':'R','message':{'text':'m'},'taxa':[{'id':'89','toolComponent':{'name':1}}]}"),
	  "x.sarif: $.runs[0].results[0].taxa[0].toolComponent.name: expected a string" },
	{ RUN("{'ruleId':'R','message':{'text':'m'},'properties':[]}"),
	  "x.sarif: $.runs[0].results[0].properties: expected an object" },
	{ "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T'}},'artifacts':[{'location':{'uri':[]}}]}]}",
	  "x.sarif: $.runs[0].artifacts[0].location.uri: expected a string" },
};

static void test_bad_docs(void **state)
{
	struct findings out = { 0 };
	struct warn_log wl = { 0 };
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		err[0] = '\0';
		assert_int_equal(load_doc(bad_docs[i].doc, NULL, &out, &wl, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad_docs[i].err);
		assert_int_equal(out.n, 0);
		assert_null(out.v);
	}
	assert_int_equal(wl.n, 0);
}

/* A log rejected after a skipped result: the error, and no warning at all. */
static void test_no_warning_when_rejected(void **state)
{
	struct findings out = { 0 };
	struct warn_log wl = { 0 };
	char err[256];

	assert_int_equal(load_doc(RUN(OK_RESULT ",{'message':{'text':'no rule'}}," OK_RESULT ",3"), NULL, &out, &wl,
				  err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "x.sarif: $.runs[0].results[3]: expected an object");
	assert_int_equal(wl.n, 0);
	assert_int_equal(out.n, 0);
}

/* A tiny err buffer is filled without overflow; a NULL one is fine. */
static void test_err_buffer_sizes(void **state)
{
	struct findings out = { 0 };
	char *err = malloc(8);

	assert_non_null(err);
	assert_int_equal(load_doc("[]", NULL, &out, NULL, err, 8), -EINVAL);
	assert_string_equal(err, "x.sarif");
	assert_int_equal(load_doc("[]", NULL, &out, NULL, NULL, 0), -EINVAL);
	assert_int_equal(load_doc("{", NULL, &out, NULL, NULL, 0), -EINVAL);
	assert_int_equal(sarif__load_buf("x", NULL, 0, NULL, &out, NULL, NULL, err, 8), -EINVAL);
	assert_int_equal(sarif__load_buf("x", "{}", 2, NULL, NULL, NULL, NULL, NULL, 0), -EINVAL);
	free(err);
}

/* ---- skipped and degraded results ---- */

struct warn_case {
	const char *doc;
	size_t nfound;
	const char *path; /* the one warning */
	const char *why;
	const char *rule_id, *level, *message; /* of the first finding, when nfound */
};

static const struct warn_case warn_cases[] = {
	{ RUN("{'ruleId':'R'}"), 0, "$.runs[0].results[0]", "no message; result skipped", NULL, NULL, NULL },
	{ RUN(OK_RESULT ",{'ruleId':'R','message':null}"), 1, "$.runs[0].results[1]", "no message; result skipped",
	  "R", "warning", "m" },
	{ RUN("{'ruleId':'R','message':{'markdown':'*m*'}}"), 0, "$.runs[0].results[0]",
	  "message has no text; result skipped", NULL, NULL, NULL },
	{ RUN("{'ruleId':'R','message':{'id':'missing'}}"), 0, "$.runs[0].results[0]",
	  "message has no text; result skipped", NULL, NULL, NULL },
	{ RUN("{'message':{'text':'m'},'ruleIndex':-1}"), 0, "$.runs[0].results[0]",
	  "no ruleId or ruleIndex; result skipped", NULL, NULL, NULL },
	{ RUN(OK_RESULT "," OK_RESULT ",{'ruleId':'','message':{'text':'m'}}"), 2, "$.runs[0].results[2]",
	  "no ruleId or ruleIndex; result skipped", "R", "warning", "m" },
	{ RUN_RULES("{'id':'A','defaultConfiguration':{'level':'error'}}",
		    "{'ruleId':'A','ruleIndex':5,'message':{'text':'m'}}"),
	  1, "$.runs[0].results[0]", "ruleIndex 5 is out of range (1 rules); using ruleId", "A", "error", "m" },
	{ RUN_RULES("{'id':'A'}", "{'ruleIndex':1.5,'message':{'text':'m'}}"), 0, "$.runs[0].results[0]",
	  "ruleIndex 1.5 is out of range (1 rules) and there is no ruleId; result skipped", NULL, NULL, NULL },
	{ RUN_RULES("{'id':'A'}", "{'ruleIndex':-2,'message':{'text':'m'}}"), 0, "$.runs[0].results[0]",
	  "ruleIndex -2 is out of range (1 rules) and there is no ruleId; result skipped", NULL, NULL, NULL },
	{ RUN_RULES("{'id':'A','shortDescription':{'text':'from rule'}}",
		    "{'ruleId':'A','rule':{'toolComponent':{'index':3}},'message':{}}"),
	  1, "$.runs[0].results[0]", "rule.toolComponent.index 3 names no tool extension; using ruleId", "A", "warning",
	  "from rule" },
	{ RUN("{'rule':{'index':0,'toolComponent':{'index':0}},'message':{'text':'m'}}"), 0, "$.runs[0].results[0]",
	  "rule.toolComponent.index 0 names no tool extension and there is no ruleId; result skipped", NULL, NULL, NULL },
};

static void test_warnings(void **state)
{
	const struct warn_case *wc;
	struct findings out = { 0 };
	struct warn_log wl;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(warn_cases) / sizeof(warn_cases[0]); i++) {
		wc = &warn_cases[i];
		memset(&wl, 0, sizeof(wl));
		assert_int_equal(load_doc(wc->doc, NULL, &out, &wl, err, sizeof(err)), 0);
		assert_int_equal(out.n, wc->nfound);
		assert_int_equal(wl.n, 1);
		assert_string_equal(wl.file[0], "x.sarif");
		assert_string_equal(wl.path[0], wc->path);
		assert_string_equal(wl.why[0], wc->why);
		if (wc->nfound) {
			assert_string_equal(out.v[0].rule_id, wc->rule_id);
			assert_string_equal(out.v[0].level, wc->level);
			assert_string_equal(out.v[0].message, wc->message);
		}
		findings__free(&out);
	}
}

/* ---- rule resolution, levels, messages, locations ---- */

struct field_case {
	const char *doc;
	const char *rule_id, *level, *message, *uri, *base;
	int line;
};

static const struct field_case field_cases[] = {
	/* ruleIndex -1 is "unset": no warning, ruleId used */
	{ RUN_RULES("{'id':'A','defaultConfiguration':{'level':'note'}}", "{'ruleId':'A','ruleIndex':-1,'message':{'text':'m'}}"),
	  "A", "note", "m", "", "", 0 },
	/* ruleIndex beats ruleId for the descriptor; ruleId stays the id */
	{ RUN_RULES("{'id':'A','defaultConfiguration':{'level':'note'}},{'id':'B','defaultConfiguration':{'level':'error'}}",
		    "{'ruleId':'A','ruleIndex':1,'message':{'text':'m'}}"),
	  "A", "error", "m", "", "", 0 },
	/* hierarchical ruleId */
	{ RUN_RULES("{'id':'R1','defaultConfiguration':{'level':'error'}}", "{'ruleId':'R1/sub/x','message':{'text':'m'}}"),
	  "R1/sub/x", "error", "m", "", "", 0 },
	/* duplicate rule ids: the first one */
	{ RUN_RULES("{'id':'D','defaultConfiguration':{'level':'note'}},{'id':'D','defaultConfiguration':{'level':'error'}}",
		    "{'ruleId':'D','message':{'text':'m'}}"),
	  "D", "note", "m", "", "", 0 },
	/* an invalid level falls through to the rule's, then to "warning" */
	{ RUN_RULES("{'id':'A','defaultConfiguration':{'level':'error'}}", "{'ruleId':'A','level':'fatal','message':{'text':'m'}}"),
	  "A", "error", "m", "", "", 0 },
	{ RUN_RULES("{'id':'A','defaultConfiguration':{'level':'severe'}}", "{'ruleId':'A','message':{'text':'m'}}"),
	  "A", "warning", "m", "", "", 0 },
	{ RUN("{'ruleId':'A','level':'none','message':{'text':'m'}}"), "A", "none", "m", "", "", 0 },
	/* null counts as absent */
	{ RUN("{'ruleId':'A','level':null,'locations':null,'message':{'text':'m','arguments':null}}"), "A", "warning",
	  "m", "", "", 0 },
	/* placeholders: escapes, a missing argument, repetition; none without arguments */
	{ RUN("{'ruleId':'A','message':{'text':'{{x}} {0}{0} {7} {1}','arguments':['a','b']}}"), "A", "warning",
	  "{x} aa {7} b", "", "", 0 },
	{ RUN("{'ruleId':'A','message':{'text':'{{x}} {0}'}}"), "A", "warning", "{{x}} {0}", "", "", 0 },
	{ RUN_RULES("{'id':'A','messageStrings':{'m1':{'text':'one {0}'},'m2':{'text':'two {0}'}}}",
		    "{'ruleId':'A','message':{'id':'m2','arguments':['x']}}"),
	  "A", "warning", "two x", "", "", 0 },
	/* text wins over the id */
	{ RUN_RULES("{'id':'A','messageStrings':{'m1':{'text':'one'}}}", "{'ruleId':'A','message':{'text':'own','id':'m1'}}"),
	  "A", "warning", "own", "", "", 0 },
	/* locations: only the first counts */
	{ RUN("{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'artifactLocation':{'uri':'a.c',"
	      "'uriBaseId':'SRC'},'region':{'startLine':7}}},{'physicalLocation':{'artifactLocation':{'uri':'b.c'}}}]}"),
	  "A", "warning", "m", "a.c", "SRC", 7 },
	/* a logical location only */
	{ RUN("{'ruleId':'A','message':{'text':'m'},'locations':[{'logicalLocations':[{'name':'f'}]}]}"), "A",
	  "warning", "m", "", "", 0 },
	/* start lines that are no lines */
	{ RUN("{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'region':{'startLine':0}}}]}"),
	  "A", "warning", "m", "", "", 0 },
	{ RUN("{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'region':{'startLine':-4}}}]}"),
	  "A", "warning", "m", "", "", 0 },
	{ RUN("{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'region':{'startLine':2.5}}}]}"),
	  "A", "warning", "m", "", "", 0 },
	{ RUN("{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'region':{'startLine':1e12}}}]}"),
	  "A", "warning", "m", "", "", 0 },
	{ RUN("{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'region':{'startLine':2147483647}}}]}"),
	  "A", "warning", "m", "", "", 2147483647 },
	/* artifact index out of range; uri given beats the artifact's */
	{ "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T'}},'artifacts':[{'location':{'uri':'art.c','uriBaseId':'B'}}],"
	  "'results':[{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'artifactLocation':{'index':1}}}]}]}]}",
	  "A", "warning", "m", "", "", 0 },
	{ "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T'}},'artifacts':[{'location':{'uri':'art.c','uriBaseId':'B'}}],"
	  "'results':[{'ruleId':'A','message':{'text':'m'},'locations':[{'physicalLocation':{'artifactLocation':{'uri':'own.c','index':0}}}]}]}]}",
	  "A", "warning", "m", "own.c", "", 0 },
	/* rule in an extension, through rule.toolComponent.index and rule.index */
	{ "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T','rules':[{'id':'D0'}]},'extensions':[{'name':'E',"
	  "'rules':[{'id':'E0'},{'id':'E1','defaultConfiguration':{'level':'note'}}]}]},"
	  "'results':[{'rule':{'index':1,'toolComponent':{'index':0}},'message':{'text':'m'}}]}]}",
	  "E1", "note", "m", "", "", 0 },
};

static void test_fields(void **state)
{
	const struct field_case *fc;
	struct findings out = { 0 };
	struct warn_log wl;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		fc = &field_cases[i];
		memset(&wl, 0, sizeof(wl));
		err[0] = '\0';
		assert_int_equal(load_doc(fc->doc, NULL, &out, &wl, err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_int_equal(wl.n, 0);
		assert_int_equal(out.n, 1);
		assert_string_equal(out.v[0].tool, "T");
		assert_string_equal(out.v[0].rule_id, fc->rule_id);
		assert_string_equal(out.v[0].level, fc->level);
		assert_string_equal(out.v[0].message, fc->message);
		assert_string_equal(out.v[0].uri, fc->uri);
		assert_string_equal(out.v[0].uri_base_id, fc->base);
		assert_int_equal(out.v[0].start_line, fc->line);
		findings__free(&out);
	}
}

/* A placeholder repeated many times with a long argument stays bounded. */
static void test_message_bounded(void **state)
{
	struct findings out = { 0 };
	size_t i, n = 200000;
	char *doc = malloc(n * 3 + 256), *p;
	char err[256];

	assert_non_null(doc);
	p = doc + sprintf(doc, "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T'}},'results':[{'ruleId':'A',"
			       "'message':{'text':'");
	for (i = 0; i < n / 2; i++)
		p += sprintf(p, "{0}");
	p += sprintf(p, "','arguments':['abcdefghijklmnopqrstuvwxyz']}}]}]}");
	assert_int_equal(load_doc(doc, NULL, &out, NULL, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(strlen(out.v[0].message), 64 * 1024);
	assert_memory_equal(out.v[0].message, "abcdefghijklmnopqrstuvwxyzabc", 29);
	findings__free(&out);
	free(doc);
}

/* ---- CWE conventions ---- */

struct cwe_case {
	const char *name;
	const char *doc;
	int cwes[FINDING_MAX_CWES];
	size_t ncwes;
};

#define RULE_TAGS(tags) RUN_RULES("{'id':'A','properties':{'tags':[" tags "]}}", "{'ruleId':'A','message':{'text':'m'}}")
#define RULE_PROP_CWE(v) RUN_RULES("{'id':'A','properties':{'cwe':" v "}}", "{'ruleId':'A','message':{'text':'m'}}")
#define RESULT_PROPS(props) RUN("{'ruleId':'A','message':{'text':'m'},'properties':" props "}")
#define REL(target) RUN_RULES("{'id':'A','relationships':[{'target':" target "}]}", "{'ruleId':'A','message':{'text':'m'}}")

static const struct cwe_case cwe_cases[] = {
	{ "codeql tag", RULE_TAGS("'security','external/cwe/cwe-089'"), CWES(89) },
	{ "codeql and semgrep tags of one CWE",
	  RULE_TAGS("'external/cwe/cwe-089','CWE-89: Improper Neutralization of Special Elements used in an SQL Command'"),
	  CWES(89) },
	{ "semgrep tag", RULE_TAGS("'CWE-78: Improper Neutralization of Special Elements used in an OS Command (\\u0027OS Command Injection\\u0027)'"),
	  CWES(78) },
	{ "bandit tag", RULE_TAGS("'CWE-22'"), CWES(22) },
	{ "lowercase", RULE_TAGS("'cwe-22','EXTERNAL/CWE/CWE-79'"), CWES(22, 79) },
	{ "order kept", RULE_TAGS("'CWE-352','CWE-20','CWE-352','external/cwe/cwe-020'"), CWES(352, 20) },
	{ "near misses",
	  RULE_TAGS("'CWE-','CWE-0','CWE-000','cwe-89abc','external/cwe/cwe-89x','external/cwe/cwe-','CWE-12345678',"
		    "'OWASP-A03:2021 - Injection','xCWE-89',' CWE-89','CWE 89','CWE_89','89','security',7,null"),
	  .ncwes = 0 },
	{ "seven digits", RULE_TAGS("'CWE-1234567','CWE-0000089'"), CWES(1234567, 89) },
	{ "capped at FINDING_MAX_CWES",
	  RULE_TAGS("'CWE-1','CWE-2','CWE-3','CWE-4','CWE-5','CWE-6','CWE-7','CWE-8','CWE-9','CWE-10'"),
	  CWES(1, 2, 3, 4, 5, 6, 7, 8) },
	{ "tags not an array", RUN_RULES("{'id':'A','properties':{'tags':'CWE-89'}}", "{'ruleId':'A','message':{'text':'m'}}"),
	  .ncwes = 0 },
	{ "properties.cwe string", RULE_PROP_CWE("'CWE-605'"), CWES(605) },
	{ "properties.cwe semgrep array", RULE_PROP_CWE("['CWE-89: SQL Injection','CWE-943: Improper Neutralization']"),
	  CWES(89, 943) },
	{ "properties.cwe number", RULE_PROP_CWE("79"), CWES(79) },
	{ "properties.cwe bare text", RULE_PROP_CWE("'352'"), CWES(352) },
	{ "properties.cwe junk", RULE_PROP_CWE("{'id':89}"), .ncwes = 0 },
	{ "properties.cwe bad numbers", RULE_PROP_CWE("[0,-3,1.5,1e300]"), .ncwes = 0 },
	{ "bandit issue_cwe", RESULT_PROPS("{'issue_cwe':{'id':78,'link':'https://cwe.mitre.org/data/definitions/78.html'}}"),
	  CWES(78) },
	{ "bandit result tags", RESULT_PROPS("{'issue_severity':'HIGH','tags':['bandit','B602','CWE-78']}"), CWES(78) },
	{ "result properties.cwe", RESULT_PROPS("{'cwe':'CWE-22'}"), CWES(22) },
	{ "rule before result", RUN_RULES("{'id':'A','properties':{'tags':['CWE-89']}}",
					  "{'ruleId':'A','message':{'text':'m'},'properties':{'tags':['CWE-20','CWE-89']}}"),
	  CWES(89, 20) },
	{ "relationship by name", REL("{'id':'89','toolComponent':{'name':'CWE'}}"), CWES(89) },
	{ "relationship name any case", REL("{'id':'CWE-89','toolComponent':{'name':'cwe'}}"), CWES(89) },
	{ "relationship numeric id (old flawfinder)", REL("{'id':120,'toolComponent':{'name':'CWE'}}"), CWES(120) },
	{ "relationship to another taxonomy", REL("{'id':'89','toolComponent':{'name':'OWASP'}}"), .ncwes = 0 },
	{ "relationship to a rule", REL("{'id':'89'}"), .ncwes = 0 },
	{ "relationship without id", REL("{'index':3,'toolComponent':{'name':'CWE'}}"), .ncwes = 0 },
	{ "relationship bad id", REL("{'id':'89a','toolComponent':{'name':'CWE'}}"), .ncwes = 0 },
	{ "relationship by taxonomy index",
	  "{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T','rules':[{'id':'A','relationships':["
	  "{'target':{'id':'1','toolComponent':{'index':0}}},{'target':{'id':'2','toolComponent':{'index':1}}},"
	  "{'target':{'id':'3','toolComponent':{'index':2}}}]}]}},'taxonomies':[{'name':'OWASP'},{'name':'CWE'}],"
	  "'results':[{'ruleId':'A','message':{'text':'m'}}]}]}",
	  CWES(2) },
	{ "result taxa", RUN("{'ruleId':'A','message':{'text':'m'},'taxa':[{'id':'79','toolComponent':{'name':'CWE'}},"
			     "{'id':'A1','toolComponent':{'name':'OWASP'}}]}"),
	  CWES(79) },
};

static void test_cwe_conventions(void **state)
{
	const struct cwe_case *cc;
	struct findings out = { 0 };
	char err[256];
	size_t i, k;

	for (i = 0; i < sizeof(cwe_cases) / sizeof(cwe_cases[0]); i++) {
		cc = &cwe_cases[i];
		assert_int_equal(load_doc(cc->doc, NULL, &out, NULL, err, sizeof(err)), 0);
		assert_int_equal(out.n, 1);
		/* Name the case before an assertion fails on it. */
		if (out.v[0].ncwes != cc->ncwes || memcmp(out.v[0].cwes, cc->cwes, cc->ncwes * sizeof(int)) != 0)
			print_message("case \"%s\"\n", cc->name);
		assert_int_equal(out.v[0].ncwes, cc->ncwes);
		for (k = 0; k < cc->ncwes; k++)
			assert_int_equal(out.v[0].cwes[k], cc->cwes[k]);
		findings__free(&out);
	}
}

/* The map: exact ids only, added after the file's own CWEs, duplicates merged. */
static void test_cwe_map(void **state)
{
	static const struct sarif_cwe_entry entries[] = {
		{ "B", { 22, 23 }, 2 },
		{ "A", { 89 }, 1 },
		{ NULL, { 1 }, 1 },
		{ "A", { 89, 564 }, 2 },
		{ "C", { 1, 2, 3, 4, 5, 6, 7, 8 }, 99 },
	};
	static const struct sarif_cwe_map map = { entries, 5 };
	struct findings out = { 0 };
	char err[256];

	assert_int_equal(load_doc(RUN_RULES("{'id':'A','properties':{'tags':['CWE-20']}}",
					    "{'ruleId':'A','message':{'text':'m'}},"
					    "{'ruleId':'B','message':{'text':'m'}},"
					    "{'ruleId':'A/x','message':{'text':'m'}},"
					    "{'ruleId':'a','message':{'text':'m'}},"
					    "{'ruleId':'C','message':{'text':'m'}}"),
				  &map, &out, NULL, err, sizeof(err)),
			 0);
	assert_int_equal(out.n, 5);
	assert_int_equal(out.v[0].ncwes, 3);
	assert_int_equal(out.v[0].cwes[0], 20);
	assert_int_equal(out.v[0].cwes[1], 89);
	assert_int_equal(out.v[0].cwes[2], 564);
	assert_int_equal(out.v[1].ncwes, 2);
	assert_int_equal(out.v[1].cwes[0], 22);
	assert_int_equal(out.v[1].cwes[1], 23);
	/* "A/x" finds rule A's tags through the hierarchy, but the map wants exact ids */
	assert_int_equal(out.v[2].ncwes, 1);
	assert_int_equal(out.v[2].cwes[0], 20);
	assert_int_equal(out.v[3].ncwes, 0);
	/* an entry's ncwes beyond FINDING_MAX_CWES is clamped */
	assert_int_equal(out.v[4].ncwes, 8);
	assert_int_equal(out.v[4].cwes[7], 8);
	findings__free(&out);

	/* An empty map and a map without entries change nothing. */
	{
		static const struct sarif_cwe_map empty = { NULL, 0 };

		assert_int_equal(load_doc(RUN("{'ruleId':'A','message':{'text':'m'}}"), &empty, &out, NULL, err,
					  sizeof(err)),
				 0);
		assert_int_equal(out.n, 1);
		assert_int_equal(out.v[0].ncwes, 0);
		findings__free(&out);
	}
}

/* ---- fingerprints ---- */

static void fingerprint_of(const char *doc, char fp[FINDING_FP_LEN + 1], bool *from_tool)
{
	struct findings out = { 0 };
	char err[256];

	assert_int_equal(load_doc(doc, NULL, &out, NULL, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	memcpy(fp, out.v[0].fingerprint, FINDING_FP_LEN + 1);
	*from_tool = out.v[0].fingerprint_from_tool;
	findings__free(&out);
}

#define FP_DOC(tool, rule, uri, line, snippet, level, msg)                                                             \
	"{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'" tool "'}},'results':[{'ruleId':'" rule               \
	"','level':'" level "','message':{'text':'" msg "'},'locations':[{'physicalLocation':{'artifactLocation':"  \
	"{'uri':'" uri "'},'region':{'startLine':" line ",'snippet':{'text':'" snippet "'}}}}]}]}]}"

static void test_fingerprint_ours(void **state)
{
	const char *changed[] = {
		FP_DOC("Tool2", "R", "a.py", "10", "x = 1", "error", "m"),
		FP_DOC("Tool", "R2", "a.py", "10", "x = 1", "error", "m"),
		FP_DOC("Tool", "R", "b.py", "10", "x = 1", "error", "m"),
		FP_DOC("Tool", "R", "a.py", "11", "x = 1", "error", "m"),
		FP_DOC("Tool", "R", "a.py", "10", "x = 2", "error", "m"),
		/* the same bytes split differently between fields */
		FP_DOC("To", "olR", "a.py", "10", "x = 1", "error", "m"),
		FP_DOC("Tool", "Ra.py", "", "10", "x = 1", "error", "m"),
	};
	const char *same[] = {
		FP_DOC("Tool", "R", "a.py", "10", "x = 1", "error", "m"),
		FP_DOC("Tool", "R", "a.py", "10", "x = 1", "note", "m"),
		FP_DOC("Tool", "R", "a.py", "10", "x = 1", "error", "another message"),
	};
	char base[FINDING_FP_LEN + 1], fp[FINDING_FP_LEN + 1], want[FINDING_FP_LEN + 1];
	bool from_tool;
	size_t i;

	fingerprint_of(FP_DOC("Tool", "R", "a.py", "10", "x = 1", "error", "m"), base, &from_tool);
	assert_false(from_tool);
	assert_int_equal(strlen(base), 16);
	our_hash(want, "Tool", "R", "a.py", 10, "x = 1");
	assert_string_equal(base, want);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		fingerprint_of(same[i], fp, &from_tool);
		assert_string_equal(fp, base);
	}
	for (i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		fingerprint_of(changed[i], fp, &from_tool);
		assert_false(from_tool);
		assert_string_not_equal(fp, base);
	}
}

static void test_fingerprint_from_tool(void **state)
{
	char fp[FINDING_FP_LEN + 1], want[FINDING_FP_LEN + 1];
	const char *long_value = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef+";
	char doc[512];
	bool from_tool;

	/* smallest key, whatever the order of the members */
	fingerprint_of(RUN("{'ruleId':'A','message':{'text':'m'},'partialFingerprints':{'b':'two','a':'one','c':'3'}}"),
		       fp, &from_tool);
	assert_true(from_tool);
	assert_string_equal(fp, "one");
	/* empty values are skipped */
	fingerprint_of(RUN("{'ruleId':'A','message':{'text':'m'},'partialFingerprints':{'a':'','b':'two'}}"), fp,
		       &from_tool);
	assert_true(from_tool);
	assert_string_equal(fp, "two");
	/* bytewise order: upper case sorts first */
	fingerprint_of(RUN("{'ruleId':'A','message':{'text':'m'},'partialFingerprints':{'primary':'p','Primary':'P'}}"),
		       fp, &from_tool);
	assert_string_equal(fp, "P");
	/* nothing usable: ours */
	fingerprint_of(RUN("{'ruleId':'A','message':{'text':'m'},'partialFingerprints':{'a':''}}"), fp, &from_tool);
	assert_false(from_tool);
	our_hash(want, "T", "A", "", 0, "");
	assert_string_equal(fp, want);
	/* exactly FINDING_FP_LEN is kept */
	fingerprint_of(RUN("{'ruleId':'A','message':{'text':'m'},'partialFingerprints':{'h':"
			   "'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}}"),
		       fp, &from_tool);
	assert_string_equal(fp, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* longer: its XXH64, still the tool's */
	snprintf(doc, sizeof(doc), RUN("{'ruleId':'A','message':{'text':'m'},'partialFingerprints':{'h':'%s'}}"),
		 long_value);
	fingerprint_of(doc, fp, &from_tool);
	assert_true(from_tool);
	snprintf(want, sizeof(want), "%016" PRIx64, (uint64_t)XXH64(long_value, strlen(long_value), 0));
	assert_string_equal(fp, want);
}

/* Loading the same file twice gives the same fingerprints (nothing random or address-based). */
static void test_fingerprint_stable(void **state)
{
	struct findings a = { 0 }, b = { 0 };
	char err[256];
	size_t i;

	assert_int_equal(sarif__load(fixture("semgrep.sarif"), NULL, &a, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(sarif__load(fixture("semgrep.sarif"), NULL, &b, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(b.n, 3);
	for (i = 0; i < a.n; i++)
		assert_string_equal(a.v[i].fingerprint, b.v[i].fingerprint);
	assert_string_not_equal(a.v[0].fingerprint, a.v[1].fingerprint);
	findings__free(&a);
	findings__free(&b);
}

/* ---- appending, truncation, size ---- */

static void test_append_to_existing(void **state)
{
	struct findings out = { 0 };
	char err[256];

	assert_int_equal(sarif__load(fixture("bandit.sarif"), NULL, &out, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(sarif__load(fixture("multi-run.sarif"), NULL, &out, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(sarif__load(fixture("empty-runs.sarif"), NULL, &out, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(out.n, 7);
	assert_true(out.cap >= 7);
	assert_string_equal(out.v[0].tool, "Bandit");
	assert_string_equal(out.v[2].rule_id, "B101");
	assert_string_equal(out.v[3].tool, "CodeQL");
	assert_string_equal(out.v[3].file, fixture("multi-run.sarif"));
	assert_string_equal(out.v[0].file, fixture("bandit.sarif"));
	assert_string_equal(out.v[6].rule_id, "G201");
	assert_int_equal(out.v[6].run_index, 1);
	findings__free(&out);
	assert_null(out.v);
	assert_int_equal(out.n, 0);
	assert_int_equal(out.cap, 0);
}

/* Every prefix of a small two-result log: an error (never a partial append)
 * until the whole document is there. */
static void test_truncated_everywhere(void **state)
{
	const char *doc =
		"{'version':'2.1.0','runs':[{'tool':{'driver':{'name':'T','rules':[{'id':'A','properties':{'tags':"
		"['CWE-89']}}]}},'results':[{'ruleId':'A','ruleIndex':0,'message':{'text':'first'},'locations':[{"
		"'physicalLocation':{'artifactLocation':{'uri':'a.c'},'region':{'startLine':3}}}]},{'ruleId':'A',"
		"'message':{'text':'second'},'partialFingerprints':{'h':'x'}}]}]}\n";
	struct findings out = { 0 };
	size_t full, len, end;
	char *json = json_copy(doc, &full), *buf;
	char err[256];
	int ret;

	/* A sentinel finding that must survive every failure. */
	assert_int_equal(load_doc(RUN("{'ruleId':'S','message':{'text':'sentinel'}}"), NULL, &out, NULL, err,
				  sizeof(err)),
			 0);
	assert_int_equal(out.n, 1);
	end = full - 1; /* without the newline */
	for (len = 0; len <= full; len++) {
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, json, len);
		err[0] = '\0';
		ret = sarif__load_buf("t.sarif", buf, len, NULL, &out, NULL, NULL, err, sizeof(err));
		free(buf);
		if (len < end) {
			assert_int_equal(ret, -EINVAL);
			assert_int_equal(out.n, 1);
			assert_string_equal(out.v[0].rule_id, "S");
			assert_true(strncmp(err, "t.sarif", 7) == 0);
		} else {
			assert_int_equal(ret, 0);
			assert_string_equal(err, "");
			assert_int_equal(out.n, 3);
			assert_string_equal(out.v[1].message, "first");
			assert_string_equal(out.v[2].message, "second");
			findings__free(&out);
			assert_int_equal(load_doc(RUN("{'ruleId':'S','message':{'text':'sentinel'}}"), NULL, &out, NULL,
						  err, sizeof(err)),
					 0);
		}
	}
	findings__free(&out);
	free(json);
}

/* Many rules looked up by id and many results: fast when lookups are not
 * linear (a quadratic reader takes minutes here). */
static void test_large_log(void **state)
{
	const size_t nrules = 40000, nresults = 100000;
	struct findings out = { 0 };
	struct timespec t0, t1;
	char *doc, *p, err[256];
	size_t i;
	double secs;

	doc = malloc(nrules * 96 + nresults * 200 + 256);
	assert_non_null(doc);
	p = doc + sprintf(doc, "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"Big\",\"rules\":[");
	for (i = 0; i < nrules; i++)
		p += sprintf(p, "%s{\"id\":\"rule-%zu\",\"properties\":{\"tags\":[\"CWE-%zu\"]}}", i ? "," : "", i,
			     i % 1000 + 1);
	p += sprintf(p, "]}},\"results\":[");
	for (i = 0; i < nresults; i++)
		p += sprintf(p,
			     "%s{\"ruleId\":\"rule-%zu\",\"message\":{\"text\":\"m\"},\"locations\":[{\"physicalLocation\":"
			     "{\"artifactLocation\":{\"uri\":\"f%zu.c\"},\"region\":{\"startLine\":%zu}}}]}",
			     i ? "," : "", (i * 7919) % nrules, i, i + 1);
	p += sprintf(p, "]}]}");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sarif__load_buf("big.sarif", doc, (size_t)(p - doc), NULL, &out, NULL, NULL, err, sizeof(err)),
			 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%zu results, %zu rules: %.2f s\n", nresults, nrules, secs);
	assert_true(secs < 20.0);
	assert_int_equal(out.n, nresults);
	i = nresults - 1;
	assert_string_equal(out.v[i].uri, "f99999.c");
	assert_int_equal(out.v[i].start_line, 100000);
	assert_int_equal(out.v[i].ncwes, 1);
	assert_int_equal(out.v[i].cwes[0], (int)(((i * 7919) % nrules) % 1000 + 1));
	findings__free(&out);
	free(doc);
}

/* Bytes that are not text at all, and NULs in the middle of a document. */
static void test_binary_input(void **state)
{
	static const char nul_inside[] = "{\"version\":\"2.1.0\",\"runs\":[]}\0{}";
	static const char nul_in_string[] = "{\"version\":\"2.1\0.0\",\"runs\":[]}";
	static const unsigned char junk[] = { 0xff, 0xfe, 0x00, 0x7b, 0x22, 0x80 };
	struct findings out = { 0 };
	char err[256];

	assert_int_equal(sarif__load_buf("n.sarif", nul_inside, sizeof(nul_inside) - 1, NULL, &out, NULL, NULL, err,
					 sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "n.sarif:1:30: unexpected data after the JSON document");
	assert_int_equal(sarif__load_buf("n.sarif", nul_in_string, sizeof(nul_in_string) - 1, NULL, &out, NULL, NULL,
					 err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "n.sarif: $.version: \"2.1\" is not supported; expected \"2.1.0\"");
	assert_int_equal(sarif__load_buf("j.sarif", (const char *)junk, sizeof(junk), NULL, &out, NULL, NULL, err,
					 sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "j.sarif:1:1: invalid JSON; is the file complete SARIF output?");
	/* A version full of control characters is shown tamed and cut. */
	assert_int_equal(load_doc("{'version':'\\u0001\\n2.1.0 and then a long tail of words that goes on','runs':[]}",
				  NULL, &out, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "x.sarif: $.version: \"??2.1.0 and then a long tail of ...\" is not supported; "
				 "expected \"2.1.0\"");
	assert_int_equal(out.n, 0);
}

/* ---- findings.c ---- */

static void test_findings_helpers(void **state)
{
	struct findings empty = { 0 };
	struct finding f = { .cwes = { 89, 564 }, .ncwes = 2 };

	findings__free(NULL);
	findings__free(&empty);
	assert_null(empty.v);
	assert_true(finding__has_cwe(&f, 89));
	assert_true(finding__has_cwe(&f, 564));
	assert_false(finding__has_cwe(&f, 78));
	assert_false(finding__has_cwe(&f, 0));
	assert_false(finding__has_cwe(NULL, 89));
	f.ncwes = 1;
	assert_false(finding__has_cwe(&f, 564));
	assert_string_equal(finding__status_name(FINDING_UNOBSERVED), "unobserved");
	assert_string_equal(finding__status_name(FINDING_REACHABLE), "reachable");
	assert_string_equal(finding__status_name(FINDING_TRIGGERED), "triggered");
	assert_string_equal(finding__status_name(FINDING_CONFIRMED), "confirmed");
	assert_string_equal(finding__status_name((enum finding_status)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_codeql),
		cmocka_unit_test(test_fixture_semgrep),
		cmocka_unit_test(test_fixture_bandit),
		cmocka_unit_test(test_fixture_eslint),
		cmocka_unit_test(test_fixture_eslint_with_map),
		cmocka_unit_test(test_fingerprint_encoding_pinned),
		cmocka_unit_test(test_fixture_flawfinder),
		cmocka_unit_test(test_fixture_sarif_taxa),
		cmocka_unit_test(test_fixture_no_cwe),
		cmocka_unit_test(test_fixture_multi_run),
		cmocka_unit_test(test_fixture_empty_runs),
		cmocka_unit_test(test_fixture_result_without_rule),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_bad_docs),
		cmocka_unit_test(test_no_warning_when_rejected),
		cmocka_unit_test(test_err_buffer_sizes),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_message_bounded),
		cmocka_unit_test(test_cwe_conventions),
		cmocka_unit_test(test_cwe_map),
		cmocka_unit_test(test_fingerprint_ours),
		cmocka_unit_test(test_fingerprint_from_tool),
		cmocka_unit_test(test_fingerprint_stable),
		cmocka_unit_test(test_append_to_existing),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_large_log),
		cmocka_unit_test(test_binary_input),
		cmocka_unit_test(test_findings_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Integration: `aisec-rt triage`, run as the real binary on fixture SARIF
 * (tests/fixtures/triage: a CodeQL-style log with CWE-89/78/22 results and a
 * Semgrep-style log whose one result shares the CWE-89 result's fingerprint)
 * and a hand-made evidence NDJSON: confirmed (two records, one naming the
 * SARIF file by an absolute path), triggered, reachable for the Semgrep
 * result only, two identical finding:null detections, a record for a finding
 * in no given file, and interleaved aisec.event.v1 lines. Every annotation is
 * compared whole; then the VEX document, the error paths (nothing may be left
 * at the output paths) and Microsoft's SARIF Multitool on the output.
 * Needs no root. Fixture paths are relative to $AISEC_SRC (default ".").
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "testutil.h"

#define FP_SQL "5f1c2d9e8a7b6c40:1"
#define PRODUCT "pkg:github/example/shop-api@0123abc"
#define SUMMARY                                                                                                        \
	"4 findings: 1 confirmed, 1 triggered, 1 reachable, 1 unobserved; "                                            \
	"1 attacks matched no finding (added as aisec-rt results)\n"
/* FNV-1a 64 of "ssrf\0" SSRF_REASON "\0": stable across runs and versions. */
#define FP_SSRF "3adabd9036bf7305"
#define SSRF_REASON "connect to link-local metadata address 169.254.169.254:80 from a request handler"

struct fx {
	char *dir;
	char codeql[1024], semgrep[1024], evidence[1024], out[1024], vex[1024];
	char sout[65536], serr[65536];
};

static const char *src_path(char *buf, size_t len, const char *rel)
{
	const char *src = getenv("AISEC_SRC");

	snprintf(buf, len, "%s/%s", src && *src ? src : ".", rel);
	return buf;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->dir = tu_tmpdir();
	if (!f->dir)
		return -1;
	src_path(f->codeql, sizeof(f->codeql), "tests/fixtures/triage/codeql.sarif");
	src_path(f->semgrep, sizeof(f->semgrep), "tests/fixtures/triage/semgrep.sarif");
	src_path(f->evidence, sizeof(f->evidence), "tests/fixtures/triage/evidence.ndjson");
	snprintf(f->out, sizeof(f->out), "%s/out.sarif", f->dir);
	snprintf(f->vex, sizeof(f->vex), "%s/out.vex.json", f->dir);
	if (access(f->codeql, R_OK) || access(tu_binary(), X_OK)) {
		fprintf(stderr, "need %s and %s (run from the repository root after make, or set AISEC_SRC)\n",
			f->codeql, tu_binary());
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Run `aisec-rt triage <args...>` (NULL-terminated); output in f->sout/serr. */
static int triage(struct fx *f, ...)
{
	const char *argv[32];
	size_t n = 0;
	va_list ap;
	int rc;

	argv[n++] = tu_binary();
	argv[n++] = "triage";
	va_start(ap, f);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	rc = tu_run(argv, f->sout, sizeof(f->sout), f->serr, sizeof(f->serr));
	if (f->serr[0])
		print_message("stderr: %s", f->serr);
	return rc;
}

static cJSON *read_json(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long len;
	cJSON *j;

	if (!fp) {
		print_error("cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	buf[len] = '\0';
	fclose(fp);
	j = cJSON_Parse(buf);
	if (!j)
		print_error("%s: not JSON\n", path);
	free(buf);
	return j;
}

static int write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Names in dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static cJSON *at(const cJSON *j, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(j, key);
}

static const char *str_at(const cJSON *j, const char *key)
{
	const cJSON *v = at(j, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* actual equals the JSON text expected, exactly (no more, no fewer keys). */
static void assert_json(const cJSON *actual, const char *expected, const char *what)
{
	cJSON *e = cJSON_Parse(expected);

	assert_non_null(e);
	if (!actual || !cJSON_Compare(actual, e, true)) {
		char *a = actual ? cJSON_PrintUnformatted(actual) : NULL;

		print_error("%s:\n  got      %s\n  expected %s\n", what, a ? a : "(absent)", expected);
		free(a);
		cJSON_Delete(e);
		fail();
	}
	cJSON_Delete(e);
}

static cJSON *result(const cJSON *log, int run, int res)
{
	return cJSON_GetArrayItem(at(cJSON_GetArrayItem(at(log, "runs"), run), "results"), res);
}

static int run_full(struct fx *f)
{
	return triage(f, "--findings", f->codeql, "--findings", f->semgrep, "--evidence", f->evidence, "-o", f->out,
		      "--vex", f->vex, "--vex-product", PRODUCT, NULL);
}

static void test_annotations(void **state)
{
	struct fx *f = *state;
	cJSON *log, *runs, *r;

	assert_int_equal(run_full(f), 0);
	assert_string_equal(f->sout, SUMMARY);
	/* The record about a finding in no given file is reported, not dropped silently. */
	assert_non_null(strstr(f->serr, "1 evidence record(s) name findings that are in none of the --findings files"));

	log = read_json(f->out);
	assert_non_null(log);
	assert_string_equal(str_at(log, "$schema"),
			    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json");
	assert_string_equal(str_at(log, "version"), "2.1.0");
	runs = at(log, "runs");
	assert_int_equal(cJSON_GetArraySize(runs), 3);

	/* CWE-89: two records (triggered, then confirmed with sarif_file as an absolute path). */
	r = result(log, 0, 0);
	assert_string_equal(str_at(r, "ruleId"), "py/sql-injection");
	assert_string_equal(str_at(r, "level"), "error");
	assert_json(at(r, "properties"),
		    "{\"aisec-rt\":{\"status\":\"confirmed\",\"confidence\":95,"
		    "\"firstSeen\":\"2026-11-25T13:00:05.000000000Z\",\"lastSeen\":\"2026-11-25T13:00:09.250000000Z\","
		    "\"evidenceCount\":2,\"detector\":\"sqli\",\"example\":{\"time\":\"2026-11-25T13:00:09.250000000Z\","
		    "\"detector\":\"sqli\",\"reason\":\"tautology OR '1'='1' appended to learned template "
		    "SELECT * FROM users WHERE name = ?\",\"eventKind\":\"sql\",\"pid\":1234,"
		    "\"exe\":\"/usr/bin/python3\",\"cmdline\":\"python3 app.py --port 8080\"}}}",
		    "runs[0].results[0].properties");
	assert_string_equal(str_at(at(r, "partialFingerprints"), "primaryLocationLineHash"), FP_SQL);

	/* CWE-78: triggered (record without sarif_file); level stays; its own properties kept. */
	r = result(log, 0, 1);
	assert_string_equal(str_at(r, "ruleId"), "py/command-line-injection");
	assert_string_equal(str_at(r, "level"), "warning");
	assert_json(at(r, "properties"),
		    "{\"github/alertNumber\":7,\"reviewer\":\"alice\",\"aisec-rt\":{\"status\":\"triggered\","
		    "\"confidence\":70,\"firstSeen\":\"2026-11-25T13:00:07.000000000Z\","
		    "\"lastSeen\":\"2026-11-25T13:00:07.000000000Z\",\"evidenceCount\":1,\"detector\":\"cmdi\","
		    "\"example\":{\"time\":\"2026-11-25T13:00:07.000000000Z\",\"detector\":\"cmdi\","
		    "\"reason\":\"shell started with a command line containing request data\",\"eventKind\":\"exec\","
		    "\"pid\":1300,\"exe\":\"/usr/bin/dash\",\"cmdline\":\"/bin/sh -c ping -c 1 example.org\"}}}",
		    "runs[0].results[1].properties");

	/* CWE-22: no evidence, still annotated; no level invented. */
	r = result(log, 0, 2);
	assert_string_equal(str_at(r, "ruleId"), "py/path-injection");
	assert_null(at(r, "level"));
	assert_json(at(r, "properties"), "{\"aisec-rt\":{\"status\":\"unobserved\",\"evidenceCount\":0}}",
		    "runs[0].results[2].properties");

	cJSON_Delete(log);
}

/* The run summaries name the evidence file as given; checked apart from the
 * fixed text above so the path can vary with AISEC_SRC. */
static void test_run_summaries(void **state)
{
	struct fx *f = *state;
	cJSON *log, *runs, *r;
	char want[8192];

	assert_int_equal(run_full(f), 0);
	log = read_json(f->out);
	assert_non_null(log);
	runs = at(log, "runs");

	snprintf(want, sizeof(want),
		 "{\"semmle.formatSpecifier\":\"sarif-latest\",\"aisec-rt\":{\"agentVersion\":\"0.1.0\","
		 "\"evidenceFile\":\"%s\",\"counts\":{\"confirmed\":1,\"triggered\":1,\"reachable\":0,"
		 "\"unobserved\":1}}}",
		 f->evidence);
	assert_json(at(cJSON_GetArrayItem(runs, 0), "properties"), want, "runs[0].properties");

	/* The Semgrep run: same fingerprint as the CodeQL SQL result, but the
	 * records name codeql.sarif, so only its own "reachable" record counts. */
	snprintf(want, sizeof(want),
		 "{\"aisec-rt\":{\"agentVersion\":\"0.1.0\",\"evidenceFile\":\"%s\",\"counts\":{\"confirmed\":0,"
		 "\"triggered\":0,\"reachable\":1,\"unobserved\":0}}}",
		 f->evidence);
	assert_json(at(cJSON_GetArrayItem(runs, 1), "properties"), want, "runs[1].properties");
	r = result(log, 1, 0);
	assert_null(at(r, "level"));
	assert_json(at(r, "properties"),
		    "{\"aisec-rt\":{\"status\":\"reachable\",\"firstSeen\":\"2026-11-25T13:00:01.000000000Z\","
		    "\"lastSeen\":\"2026-11-25T13:00:01.000000000Z\",\"evidenceCount\":1,"
		    "\"example\":{\"time\":\"2026-11-25T13:00:01.000000000Z\",\"reason\":\"app.py loaded by the "
		    "service\",\"pid\":1234,\"exe\":\"/usr/bin/python3\"}}}",
		    "runs[1].results[0].properties");

	/* The extra run: the two identical SSRF detections are one result. */
	snprintf(want, sizeof(want),
		 "{\"tool\":{\"driver\":{\"name\":\"aisec-rt\",\"version\":\"0.1.0\",\"semanticVersion\":\"0.1.0\","
		 "\"rules\":[{\"id\":\"aisec-rt/ssrf\",\"name\":\"ssrf\",\"shortDescription\":{\"text\":\"Runtime "
		 "detection by aisec-rt's ssrf detector on code no static finding covers\"},"
		 "\"defaultConfiguration\":{\"level\":\"error\"},\"properties\":{\"tags\":[\"security\",\"runtime\","
		 "\"external/cwe/cwe-918\"]}}]}},"
		 "\"results\":[{\"ruleId\":\"aisec-rt/ssrf\",\"ruleIndex\":0,\"level\":\"error\","
		 "\"message\":{\"text\":\"" SSRF_REASON "\"},"
		 "\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"file:///usr/bin/python3\"}}}],"
		 "\"partialFingerprints\":{\"aisecRtDetection/v1\":\"" FP_SSRF "\"},"
		 "\"properties\":{\"aisec-rt\":{\"status\":\"confirmed\",\"confidence\":80,"
		 "\"firstSeen\":\"2026-11-25T13:00:11.000000000Z\",\"lastSeen\":\"2026-11-25T13:00:12.500000000Z\","
		 "\"evidenceCount\":2,\"detector\":\"ssrf\",\"example\":{\"time\":\"2026-11-25T13:00:11.000000000Z\","
		 "\"detector\":\"ssrf\",\"reason\":\"" SSRF_REASON "\",\"eventKind\":\"connect\",\"pid\":1234,"
		 "\"exe\":\"/usr/bin/python3\",\"cmdline\":\"python3 app.py --port 8080\"}}}}],"
		 "\"properties\":{\"aisec-rt\":{\"agentVersion\":\"0.1.0\",\"evidenceFile\":\"%s\","
		 "\"counts\":{\"confirmed\":1,\"triggered\":0,\"reachable\":0,\"unobserved\":0}}}}",
		 f->evidence);
	assert_json(cJSON_GetArrayItem(runs, 2), want, "runs[2]");
	cJSON_Delete(log);
}

static const cJSON *statement(const cJSON *vex, const char *name)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, at(vex, "statements"))
	{
		if (strcmp(str_at(at(s, "vulnerability"), "name"), name) == 0)
			return s;
	}
	print_error("no VEX statement for %s\n", name);
	fail();
	return NULL;
}

static void test_vex(void **state)
{
	struct fx *f = *state;
	const cJSON *s, *st;
	cJSON *vex;

	assert_int_equal(run_full(f), 0);
	vex = read_json(f->vex);
	assert_non_null(vex);
	assert_string_equal(str_at(vex, "@context"), "https://openvex.dev/ns/v0.2.0");
	assert_int_equal(strncmp(str_at(vex, "@id"), "urn:uuid:", 9), 0);
	assert_string_equal(str_at(vex, "author"), "aisec-rt");
	assert_non_null(str_at(vex, "timestamp"));
	assert_int_equal(at(vex, "version")->valueint, 1);
	/* Four findings and the missed detection. */
	assert_int_equal(cJSON_GetArraySize(at(vex, "statements")), 5);
	cJSON_ArrayForEach(st, at(vex, "statements"))
	{
		assert_json(at(st, "products"), "[{\"@id\":\"" PRODUCT "\"}]", "statement products");
		assert_non_null(str_at(st, "status_notes"));
		/* OpenVEX: affected needs an action statement; nothing here is not_affected. */
		if (strcmp(str_at(st, "status"), "affected") == 0)
			assert_non_null(str_at(st, "action_statement"));
		else
			assert_string_equal(str_at(st, "status"), "under_investigation");
	}

	s = statement(vex, "py/sql-injection#" FP_SQL);
	assert_string_equal(str_at(s, "status"), "affected");
	assert_string_equal(str_at(s, "timestamp"), "2026-11-25T13:00:09.250000000Z");
	assert_non_null(strstr(str_at(s, "action_statement"), "app.py:42"));
	assert_non_null(strstr(str_at(s, "status_notes"), "exploited"));
	assert_non_null(strstr(str_at(at(s, "vulnerability"), "description"), "CWE-89"));
	s = statement(vex, "py/command-line-injection#a4e0b2c7d19f3e58:1");
	assert_string_equal(str_at(s, "status"), "affected");
	s = statement(vex, "py/path-injection#0b7d6e5f4a3c2b19:1");
	assert_string_equal(str_at(s, "status"), "under_investigation");
	assert_null(at(s, "timestamp"));
	assert_non_null(strstr(str_at(s, "status_notes"), "saw no runtime activity"));
	s = statement(vex, "python.lang.security.audit.formatted-sql-query.formatted-sql-query#" FP_SQL);
	assert_string_equal(str_at(s, "status"), "under_investigation");
	s = statement(vex, "aisec-rt/ssrf#" FP_SSRF);
	assert_string_equal(str_at(s, "status"), "affected");
	assert_non_null(strstr(str_at(s, "action_statement"), "No static finding covers this"));
	cJSON_Delete(vex);
}

static void test_missing_evidence(void **state)
{
	struct fx *f = *state;

	assert_int_equal(triage(f, "--findings", f->codeql, "-o", f->out, NULL), 2);
	assert_non_null(strstr(f->serr, "--evidence"));
	assert_false(exists(f->out));
	assert_int_equal(count_entries(f->dir), 0);
}

static void test_malformed_line(void **state)
{
	struct fx *f = *state;
	char bad[1200];

	snprintf(bad, sizeof(bad), "%s/bad.ndjson", f->dir);
	assert_int_equal(write_text(bad, "{\"schema\":\"aisec.event.v1\",\"kind\":\"exec\"}\n"
					 "\n"
					 "{\"schema\":\"aisec.evidence.v1\",\"time\":\"2026-11-25T13:00:00Z\",\n"),
			 0);
	assert_int_equal(triage(f, "--findings", f->codeql, "--evidence", bad, "-o", f->out, "--vex", f->vex, NULL),
			 2);
	assert_non_null(strstr(f->serr, "bad.ndjson:3:"));
	assert_false(exists(f->out));
	assert_false(exists(f->vex));
	assert_int_equal(count_entries(f->dir), 1);

	/* Valid JSON, but not a usable evidence record: named by line and key. */
	assert_int_equal(write_text(bad, "{\"schema\":\"aisec.event.v1\",\"kind\":\"exec\"}\n"
					 "{\"schema\":\"aisec.evidence.v1\",\"time\":\"2026-11-25T13:00:00Z\","
					 "\"status\":\"exploded\",\"finding\":null,\"detector\":\"sqli\",\"reason\":\"x\"}\n"),
			 0);
	assert_int_equal(triage(f, "--findings", f->codeql, "--evidence", bad, "-o", f->out, NULL), 2);
	assert_non_null(strstr(f->serr, "bad.ndjson:2: $.status"));
	assert_false(exists(f->out));
}

static void test_unwritable_output(void **state)
{
	struct fx *f = *state;
	char notdir[1200], out[1300];
	int rc;

	/* A regular file where a directory should be: fails for root too. */
	snprintf(notdir, sizeof(notdir), "%s/notadir", f->dir);
	assert_int_equal(write_text(notdir, "x"), 0);
	snprintf(out, sizeof(out), "%s/out.sarif", notdir);
	rc = triage(f, "--findings", f->codeql, "--evidence", f->evidence, "-o", out, NULL);
	assert_true(rc == 1 || rc == 2);
	assert_non_null(strstr(f->serr, out));
	assert_int_equal(count_entries(f->dir), 1);

	rc = triage(f, "--findings", f->codeql, "--evidence", f->evidence, "-o", "/nonexistent-aisec-dir/out.sarif",
		    NULL);
	assert_true(rc == 1 || rc == 2);
	assert_string_equal(f->sout, "");

	/* The SARIF could be written but the VEX cannot: neither appears. */
	snprintf(out, sizeof(out), "%s/vex.json", notdir);
	rc = triage(f, "--findings", f->codeql, "--evidence", f->evidence, "-o", f->out, "--vex", out, NULL);
	assert_true(rc == 1 || rc == 2);
	assert_false(exists(f->out));
	assert_int_equal(count_entries(f->dir), 1);
	assert_string_equal(f->sout, "");
}

/* Errors (effective level "error") in a Multitool validation log. */
static int validation_errors(const char *log_path)
{
	cJSON *log = read_json(log_path);
	const cJSON *run, *res;
	int errors = 0;

	if (!log)
		return -1;
	cJSON_ArrayForEach(run, at(log, "runs"))
	{
		const cJSON *rules = at(at(at(run, "tool"), "driver"), "rules");

		cJSON_ArrayForEach(res, at(run, "results"))
		{
			const char *level = str_at(res, "level");
			const cJSON *idx = at(res, "ruleIndex");

			if (!level && cJSON_IsNumber(idx))
				level = str_at(at(cJSON_GetArrayItem(rules, idx->valueint), "defaultConfiguration"),
					       "level");
			if (level && strcmp(level, "error") == 0) {
				char *m = cJSON_PrintUnformatted(res);

				print_message("validation error: %s\n", m);
				free(m);
				errors++;
			}
		}
	}
	cJSON_Delete(log);
	return errors;
}

static void test_sarif_multitool(void **state)
{
	struct fx *f = *state;
	char tool[1024], val[1200], bad[1200], rw[1200];
	const char *ci = getenv("CI");
	cJSON *log;
	char *text;

	src_path(tool, sizeof(tool), "tests/tools/node_modules/.bin/sarif-multitool");
	if (access(tool, X_OK)) {
		if (ci && strcmp(ci, "true") == 0)
			fail_msg("%s missing: run make deps (npm ci in tests/tools)", tool);
		print_message("%s missing (make deps installs it): skipping\n", tool);
		skip();
	}
	assert_int_equal(run_full(f), 0);
	snprintf(val, sizeof(val), "%s/validation.sarif", f->dir);
	snprintf(rw, sizeof(rw), "%s/rewritten.sarif", f->dir);
	snprintf(bad, sizeof(bad), "%s/bad.sarif", f->dir);

	{
		const char *argv[] = { tool, "validate", f->out, "--output", val, "--log", "ForceOverwrite", NULL };

		assert_int_equal(tu_run(argv, f->sout, sizeof(f->sout), f->serr, sizeof(f->serr)), 0);
		print_message("%s", f->sout);
	}
	assert_int_equal(validation_errors(val), 0);

	/* validate reports nothing at all for a log its object model cannot
	 * load (an enum value outside the schema, e.g. level "bogus"), so also
	 * load ours through that model: rewrite fails on such a log. */
	{
		const char *argv[] = { tool, "rewrite", f->out, "--output", rw, "--log", "ForceOverwrite", NULL };

		assert_int_equal(tu_run(argv, f->sout, sizeof(f->sout), f->serr, sizeof(f->serr)), 0);
	}

	/* Control: the same log with one property SARIF does not define must
	 * fail, proving validation really ran on this machine. */
	log = read_json(f->out);
	assert_non_null(log);
	cJSON_AddStringToObject(cJSON_GetArrayItem(at(log, "runs"), 0), "notASarifProperty", "x");
	text = cJSON_Print(log);
	assert_int_equal(write_text(bad, text), 0);
	free(text);
	cJSON_Delete(log);
	{
		const char *argv[] = { tool, "validate", bad, "--output", val, "--log", "ForceOverwrite", NULL };

		assert_int_equal(tu_run(argv, f->sout, sizeof(f->sout), f->serr, sizeof(f->serr)), 0);
	}
	assert_true(validation_errors(val) >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_annotations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_summaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sarif_multitool, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for agent/rules.c: a directory of valid rule files loads with
 * every field as written (defaults filled in); each kind of mistake gives its
 * exact message naming the file and the JSON path; rules__check lists every
 * error of every file and then a summary (exit value 2), or a summary of what
 * loaded (0); tool-cwe-map.json becomes the rule-id -> CWE table; only enabled
 * families are returned by detector. Each test writes its files into its own
 * mkdtemp() directory. Detector parameters are the detectors' business: only
 * the propagation of their verdict (file name prefixed) is tested here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "rules.h"

/* A family file that loads; tests change one thing in it. */
#define SQLI_OK                                                                                                        \
	"{\"family\": \"sqli\", \"description\": \"SQL injection\", \"detector\": \"sqli\", \"cwes\": [89],"           \
	" \"events\": [\"sql\"], \"severity\": \"high\"}"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	char *dir = strdup("/tmp/aisec-rules-test.XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *dir = *state;
	int err = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(dir);
	return err;
}

static void write_bytes(const char *dir, const char *name, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	write_bytes(dir, name, text, strlen(text));
}

static void remove_file(const char *dir, const char *name)
{
	char path[512];

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
	assert_int_equal(unlink(path), 0);
}

/* "<dir>/<rest>" in a static buffer (one at a time). */
static const char *in_dir(const char *dir, const char *rest)
{
	static char buf[256];

	assert_true((size_t)snprintf(buf, sizeof(buf), "%s/%s", dir, rest) < sizeof(buf));
	return buf;
}

/* rules__check's output and exit value; the caller frees the text. */
static char *check_output(const char *dir, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	*ret = rules__check(dir, out);
	assert_int_equal(fclose(out), 0);
	assert_non_null(text);
	return text;
}

/* Load must fail with exactly "<dir>/<expect>" and errno EINVAL. */
static void assert_load_error(const char *dir, const char *expect)
{
	char err[1024] = "unchanged";
	struct ruleset *rs;

	errno = 0;
	rs = ruleset__load(dir, err, sizeof(err));
	assert_null(rs);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, in_dir(dir, expect));
}

static void test_valid_directory_loads(void **state)
{
	const char *dir = *state;
	const struct rule_family *f;
	char err[512] = "";
	struct ruleset *rs;

	write_file(dir, "sqli.json",
		   "{\"family\": \"sqli\", \"description\": \"SQL injection\", \"detector\": \"sqli\",\n"
		   " \"cwes\": [89], \"events\": [\"sql\"], \"severity\": \"high\", \"enabled\": true,\n"
		   " \"params\": {}}\n");
	write_file(dir, "cmdi.json",
		   "{\"family\": \"cmdi\", \"description\": \"OS command injection\", \"detector\": \"cmdi\",\n"
		   " \"cwes\": [78, 77], \"events\": [\"exec\", \"fork\"], \"severity\": \"critical\"}\n");
	write_file(dir, "tool-cwe-map.json", "{\"tools\": {\"ESLint\": {\"security/detect-child-process\": [78]}}}");
	write_file(dir, "README.md", "not a rule file");
	write_file(dir, ".draft.json", "{ not even JSON");

	rs = ruleset__load(dir, err, sizeof(err));
	assert_non_null(rs);
	assert_string_equal(err, "");
	assert_int_equal(ruleset__count(rs), 2);

	/* Sorted by file name: cmdi.json, then sqli.json. */
	f = ruleset__get(rs, 0);
	assert_non_null(f);
	assert_string_equal(f->name, "cmdi");
	assert_string_equal(f->file, in_dir(dir, "cmdi.json"));
	assert_string_equal(f->description, "OS command injection");
	assert_string_equal(f->detector, "cmdi");
	assert_int_equal(f->ncwes, 2);
	assert_int_equal(f->cwes[0], 78);
	assert_int_equal(f->cwes[1], 77);
	assert_int_equal(f->nevents, 2);
	assert_string_equal(f->events[0], "exec");
	assert_string_equal(f->events[1], "fork");
	assert_string_equal(f->severity, "critical");
	assert_true(f->enabled); /* default */
	assert_non_null(f->params);
	assert_true(cJSON_IsObject(f->params)); /* absent: an empty object */
	assert_null(f->params->child);

	f = ruleset__get(rs, 1);
	assert_non_null(f);
	assert_string_equal(f->name, "sqli");
	assert_string_equal(f->file, in_dir(dir, "sqli.json"));
	assert_int_equal(f->ncwes, 1);
	assert_int_equal(f->cwes[0], 89);
	assert_int_equal(f->nevents, 1);
	assert_string_equal(f->events[0], "sql");
	assert_string_equal(f->severity, "high");
	assert_true(f->enabled);
	/* The file's own object (params keys are the detectors' business). */
	assert_non_null(f->params);
	assert_true(cJSON_IsObject(f->params));
	assert_string_equal(f->params->string, "params");

	assert_null(ruleset__get(rs, 2));
	assert_int_equal(ruleset__cwe_map(rs)->n, 1);
	ruleset__free(rs);
	ruleset__free(NULL);
}

struct bad_case {
	const char *what;
	const char *text;
	const char *expect; /* after "<dir>/f.json: " */
};

static const struct bad_case bad_cases[] = {
	{ "syntax error", "{\n  \"family\": \"sqli\",\n  \"cwes\": [89,]\n}\n", "line 3, column 15: invalid JSON" },
	{ "trailing comma in an object", "{\"family\": \"sqli\",\n}", "line 2, column 1: invalid JSON" },
	{ "key not a string", "{\n  family: \"sqli\"}", "line 2, column 3: invalid JSON" },
	{ "two commas", "{\"a\": 1,, \"b\": 2}", "line 1, column 9: invalid JSON" },
	{ "bad value after a comma in an array", "{\"cwes\": [89,[x]]}", "line 1, column 15: invalid JSON" },
	{ "bad value first in an array", "{\"cwes\": [x]}", "line 1, column 11: invalid JSON" },
	{ "key expected in a nested object", "{\"params\": {\"a\": [1, {\"b\": 2,}]}}",
	  "line 1, column 30: invalid JSON" },
	{ "missing colon", "{\"a\" 1}", "line 1, column 6: invalid JSON" },
	{ "truncated after a comma", "{\"family\": \"sqli\",\n", "line 2, column 1: invalid JSON" },
	{ "truncated", "{\"family\": \"sqli\"", "line 1, column 18: invalid JSON" },
	{ "trailing garbage", "{}\n}", "line 2, column 1: invalid JSON" },
	{ "empty file", "", "line 1, column 1: invalid JSON" },
	{ "not an object", "[1]", "$: expected an object (a rule family; see docs/rules.md)" },
	{ "missing family",
	  "{\"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89], \"events\": [\"sql\"],"
	  " \"severity\": \"high\"}",
	  "$.family: missing (every family file names its family)" },
	{ "family not a string",
	  "{\"family\": 1, \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89], \"events\": [\"sql\"],"
	  " \"severity\": \"high\"}",
	  "$.family: expected a string" },
	{ "family uppercase",
	  "{\"family\": \"SQLi\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\"}",
	  "$.family: 'SQLi' is not a valid family name (1 to 64 of a-z, 0-9 and '-')" },
	{ "family with a space",
	  "{\"family\": \"sql i\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\"}",
	  "$.family: 'sql i' is not a valid family name (1 to 64 of a-z, 0-9 and '-')" },
	{ "missing description",
	  "{\"family\": \"sqli\", \"detector\": \"sqli\", \"cwes\": [89], \"events\": [\"sql\"],"
	  " \"severity\": \"high\"}",
	  "$.description: missing (say in a sentence what the family detects)" },
	{ "cwes empty",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [], \"events\": [\"sql\"],"
	  " \"severity\": \"high\"}",
	  "$.cwes: expected a non-empty array of CWE numbers, e.g. [89]" },
	{ "cwes not an array",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": 89, \"events\": [\"sql\"],"
	  " \"severity\": \"high\"}",
	  "$.cwes: expected a non-empty array of CWE numbers, e.g. [89]" },
	{ "cwes strings",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89, \"CWE-564\"],"
	  " \"events\": [\"sql\"], \"severity\": \"high\"}",
	  "$.cwes[1]: expected a positive integer CWE number (89, not \"CWE-89\")" },
	{ "cwes negative",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [-89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\"}",
	  "$.cwes[0]: expected a positive integer CWE number (89, not \"CWE-89\")" },
	{ "cwes fraction",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89.5],"
	  " \"events\": [\"sql\"], \"severity\": \"high\"}",
	  "$.cwes[0]: expected a positive integer CWE number (89, not \"CWE-89\")" },
	{ "cwes zero",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [0], \"events\": [\"sql\"],"
	  " \"severity\": \"high\"}",
	  "$.cwes[0]: expected a positive integer CWE number (89, not \"CWE-89\")" },
	{ "cwes repeated",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89, 89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\"}",
	  "$.cwes[1]: CWE 89 is listed twice" },
	{ "cwes too many",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\","
	  " \"cwes\": [1, 2, 3, 4, 5, 6, 7, 8, 9], \"events\": [\"sql\"], \"severity\": \"high\"}",
	  "$.cwes: at most 8 CWE numbers" },
	{ "unknown event kind",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\", \"execve\"], \"severity\": \"high\"}",
	  "$.events[1]: unknown event kind 'execve' (known: exec, fork, exit, open, connect, accept, bind, listen,"
	  " sql)" },
	{ "events empty",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89], \"events\": [],"
	  " \"severity\": \"high\"}",
	  "$.events: expected a non-empty array of event kinds, e.g. [\"exec\"]" },
	{ "bad severity",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"severe\"}",
	  "$.severity: 'severe' is not a severity (use low, medium, high or critical)" },
	{ "severity wrong case",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"High\"}",
	  "$.severity: 'High' is not a severity (use low, medium, high or critical)" },
	{ "enabled not a boolean",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\", \"enabled\": \"yes\"}",
	  "$.enabled: expected true or false" },
	{ "unknown top-level key",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\", \"priority\": 1}",
	  "$.priority: unknown key (known: family, description, detector, cwes, events, severity, enabled, params)" },
	{ "key in another case",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\", \"Enabled\": false}",
	  "$.Enabled: unknown key (known: family, description, detector, cwes, events, severity, enabled, params)" },
	{ "repeated key",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\", \"severity\": \"low\"}",
	  "$.severity: key appears twice" },
	{ "unknown detector",
	  "{\"family\": \"xss\", \"description\": \"d\", \"detector\": \"xss\", \"cwes\": [79], \"events\": [\"sql\"],"
	  " \"severity\": \"high\"}",
	  "$.detector: unknown detector 'xss' (known: sqli, cmdi, path-traversal, ssrf)" },
	{ "params not an object",
	  "{\"family\": \"sqli\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
	  " \"events\": [\"sql\"], \"severity\": \"high\", \"params\": []}",
	  "$.params: expected an object (the sqli detector's parameters)" },
};

static void test_each_error_message(void **state)
{
	const char *dir = *state;
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char expect[1024];

		print_message("case: %s\n", bad_cases[i].what);
		write_file(dir, "f.json", bad_cases[i].text);
		snprintf(expect, sizeof(expect), "f.json: %s", bad_cases[i].expect);
		assert_load_error(dir, expect);
		remove_file(dir, "f.json");
	}
}

static void test_nul_byte_is_invalid_json(void **state)
{
	const char *dir = *state;
	static const char text[] = "{\"family\":\n \"sq\0li\"}";

	write_bytes(dir, "f.json", text, sizeof(text) - 1);
	assert_load_error(dir, "f.json: line 2, column 5: invalid JSON");
}

static void test_odd_strings_stay_on_one_line(void **state)
{
	const char *dir = *state;

	/* A newline in a value and a key that is not a plain word. */
	write_file(dir, "f.json",
		   "{\"family\": \"a\\nb\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
		   " \"events\": [\"sql\"], \"severity\": \"high\", \"my \\\"key\\\"\": 1}");
	assert_load_error(dir, "f.json: $[\"my \\\"key\\\"\"]: unknown key (known: family, description, detector,"
		" cwes, "
			       "events, severity, enabled, params)");
	write_file(dir, "f.json",
		   "{\"family\": \"a\\nb\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
		   " \"events\": [\"sql\"], \"severity\": \"high\"}");
	assert_load_error(dir, "f.json: $.family: 'a?b' is not a valid family name (1 to 64 of a-z, 0-9 and '-')");
}

static void test_duplicate_family_names_both_files(void **state)
{
	const char *dir = *state;
	char expect[1024];

	write_file(dir, "a.json", SQLI_OK);
	write_file(dir, "b.json",
		   "{\"family\": \"sqli\", \"description\": \"again\", \"detector\": \"sqli\", \"cwes\": [89],"
		   " \"events\": [\"sql\"], \"severity\": \"low\", \"enabled\": false}");
	snprintf(expect, sizeof(expect), "b.json: $.family: family 'sqli' is already defined in %s",
		 in_dir(dir, "a.json"));
	assert_load_error(dir, expect);
}

static void test_two_enabled_families_for_one_detector(void **state)
{
	const char *dir = *state;
	char expect[1024];

	write_file(dir, "a.json", SQLI_OK);
	write_file(dir, "b.json",
		   "{\"family\": \"sqli-strict\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
		   " \"events\": [\"sql\"], \"severity\": \"critical\"}");
	snprintf(expect, sizeof(expect),
		 "b.json: $.detector: detector 'sqli' already runs family 'sqli' (%s); set \"enabled\": false in one"
		 " of "
		 "them",
		 in_dir(dir, "a.json"));
	assert_load_error(dir, expect);
}

/* Every detector must refuse an unknown parameter (rules.h: unknown keys are
 * errors); its message comes back with the file name in front. */
static void test_detector_params_error_propagated(void **state)
{
	static const char *const names[] = { "sqli", "cmdi", "path-traversal", "ssrf" };
	const char *dir = *state;
	char text[512], prefix[512], err[1024];
	struct ruleset *rs;
	size_t i;

	for (i = 0; i < 4; i++) {
		print_message("detector: %s\n", names[i]);
		snprintf(text, sizeof(text),
			 "{\"family\": \"f\", \"description\": \"d\", \"detector\": \"%s\", \"cwes\": [89],"
			 " \"events\": [\"sql\"], \"severity\": \"high\", \"params\": {\"no-such-parameter\": true}}",
			 names[i]);
		write_file(dir, "f.json", text);
		snprintf(prefix, sizeof(prefix), "%s: $.params", in_dir(dir, "f.json"));
		errno = 0;
		rs = ruleset__load(dir, err, sizeof(err));
		assert_null(rs);
		assert_int_equal(errno, EINVAL);
		assert_memory_equal(err, prefix, strlen(prefix));
		assert_non_null(strstr(err, "no-such-parameter"));
		/* The file name once: detectors report paths, the loader the file. */
		assert_null(strstr(err + strlen(prefix), "f.json"));
	}
}

static void test_check_lists_every_error(void **state)
{
	const char *dir = *state;
	char expect[4096];
	char *out;
	int ret;

	write_file(dir, "a.json", "{\"family\": \"a\",");
	write_file(dir, "b.json",
		   "{\"family\": \"b\", \"description\": \"d\", \"detector\": \"cmdi\", \"cwes\": [78],"
		   " \"events\": [\"exec\"], \"severity\": \"urgent\"}");
	/* Three mistakes in one file: all three are listed. */
	write_file(dir, "c.json",
		   "{\"family\": \"c\", \"description\": \"d\", \"detector\": \"ssrf\", \"cwes\": [],"
		   " \"events\": [\"dns\"], \"severity\": \"high\", \"colour\": \"red\"}");
	write_file(dir, "d.json",
		   "{\"family\": \"d\", \"description\": \"d\", \"detector\": \"path-traversal\", \"cwes\": [22],"
		   " \"events\": [\"open\"], \"severity\": \"medium\"}");
	write_file(dir, "tool-cwe-map.json", "{\"tools\": {\"ESLint\": {\"no-eval\": \"CWE-95\"}}}");

	out = check_output(dir, &ret);
	assert_int_equal(ret, 2);
	snprintf(expect, sizeof(expect),
		 "%s/a.json: line 1, column 16: invalid JSON\n"
		 "%s/b.json: $.severity: 'urgent' is not a severity (use low, medium, high or critical)\n"
		 "%s/c.json: $.colour: unknown key (known: family, description, detector, cwes, events, severity,"
		 " enabled, "
		 "params)\n"
		 "%s/c.json: $.cwes: expected a non-empty array of CWE numbers, e.g. [89]\n"
		 "%s/c.json: $.events[0]: unknown event kind 'dns' (known: exec, fork, exit, open, connect, accept,"
		 " bind, "
		 "listen, sql)\n"
		 "%s/tool-cwe-map.json: $.tools.ESLint.no-eval: expected a non-empty array of CWE numbers, e.g. [89]\n"
		 "%s: 6 errors in 4 of 5 files\n",
		 dir, dir, dir, dir, dir, dir, dir);
	assert_string_equal(out, expect);
	free(out);
}

static void test_check_ok_summary(void **state)
{
	const char *dir = *state;
	char expect[1024];
	char *out;
	int ret;

	write_file(dir, "sqli.json", SQLI_OK);
	write_file(dir, "cmdi.json",
		   "{\"family\": \"cmdi\", \"description\": \"d\", \"detector\": \"cmdi\", \"cwes\": [78],"
		   " \"events\": [\"exec\"], \"severity\": \"high\", \"enabled\": false}");
	write_file(dir, "ssrf.json",
		   "{\"family\": \"ssrf\", \"description\": \"d\", \"detector\": \"ssrf\", \"cwes\": [918],"
		   " \"events\": [\"connect\"], \"severity\": \"high\"}");
	write_file(dir, "tool-cwe-map.json", "{\"tools\": {\"ESLint\": {\"no-eval\": [95], \"no-new-func\": [95]}}}");

	out = check_output(dir, &ret);
	assert_int_equal(ret, 0);
	snprintf(expect, sizeof(expect), "%s: ok: 3 families (sqli, ssrf; disabled: cmdi), 2 tool rule ids mapped to"
		" CWEs\n",
		 dir);
	assert_string_equal(out, expect);
	free(out);
}

static void test_directory_problems(void **state)
{
	const char *dir = *state;
	char err[1024], expect[1024];
	struct ruleset *rs;
	char *out;
	int ret;

	/* No rule files at all. */
	write_file(dir, "README.md", "x");
	errno = 0;
	rs = ruleset__load(dir, err, sizeof(err));
	assert_null(rs);
	assert_int_equal(errno, ENOENT);
	snprintf(expect, sizeof(expect), "%s: no rule files (*.json) in this directory", dir);
	assert_string_equal(err, expect);
	out = check_output(dir, &ret);
	assert_int_equal(ret, 2);
	snprintf(expect, sizeof(expect), "%s: no rule files (*.json) in this directory\n%s: 1 error\n", dir, dir);
	assert_string_equal(out, expect);
	free(out);

	/* Missing directory. */
	errno = 0;
	rs = ruleset__load(in_dir(dir, "nope"), err, sizeof(err));
	assert_null(rs);
	assert_int_equal(errno, ENOENT);
	snprintf(expect, sizeof(expect), "%s/nope: cannot read the rules directory: No such file or directory", dir);
	assert_string_equal(err, expect);

	/* A file where the directory should be. */
	errno = 0;
	rs = ruleset__load(in_dir(dir, "README.md"), err, sizeof(err));
	assert_null(rs);
	assert_int_equal(errno, ENOTDIR);

	/* A directory named like a rule file. */
	snprintf(expect, sizeof(expect), "%s/x.json", dir);
	assert_int_equal(mkdir(expect, 0700), 0);
	errno = 0;
	rs = ruleset__load(dir, err, sizeof(err));
	assert_null(rs);
	assert_int_equal(errno, EISDIR);
	snprintf(expect, sizeof(expect), "%s/x.json: cannot read: Is a directory", dir);
	assert_string_equal(err, expect);

	/* A trailing slash does not double in file names. */
	snprintf(expect, sizeof(expect), "%s/", dir);
	out = check_output(expect, &ret);
	assert_int_equal(ret, 2);
	assert_non_null(strstr(out, "/x.json: cannot read"));
	assert_null(strstr(out, "//x.json"));
	free(out);
}

static const struct sarif_cwe_entry *lookup(const struct sarif_cwe_map *map, const char *rule_id)
{
	size_t i;

	for (i = 0; i < map->n; i++) {
		if (strcmp(map->v[i].rule_id, rule_id) == 0)
			return &map->v[i];
	}
	return NULL;
}

static void test_tool_cwe_map(void **state)
{
	const char *dir = *state;
	const struct sarif_cwe_map *map;
	const struct sarif_cwe_entry *e;
	struct ruleset *rs;
	char err[512];

	/* The map alone is a valid directory: no families. */
	write_file(dir, "tool-cwe-map.json",
		   "{\"description\": \"test\", \"tools\": {\n  \"ESLint\": {\"security/detect-child-process\": [78],"
		   " \"security/detect-buffer-noassert\": [125, 787]},\n  \"OtherTool\": {\"OT001\": [89]}}}");
	rs = ruleset__load(dir, err, sizeof(err));
	assert_non_null(rs);
	assert_int_equal(ruleset__count(rs), 0);
	map = ruleset__cwe_map(rs);
	assert_non_null(map);
	assert_int_equal(map->n, 3);
	e = lookup(map, "security/detect-child-process");
	assert_non_null(e);
	assert_int_equal(e->ncwes, 1);
	assert_int_equal(e->cwes[0], 78);
	e = lookup(map, "security/detect-buffer-noassert");
	assert_non_null(e);
	assert_int_equal(e->ncwes, 2);
	assert_int_equal(e->cwes[0], 125);
	assert_int_equal(e->cwes[1], 787);
	e = lookup(map, "OT001");
	assert_non_null(e);
	assert_int_equal(e->cwes[0], 89);
	assert_null(lookup(map, "security/detect-eval-with-expression"));
	ruleset__free(rs);

	/* Without the map file the table is empty, not missing. */
	remove_file(dir, "tool-cwe-map.json");
	write_file(dir, "sqli.json", SQLI_OK);
	rs = ruleset__load(dir, err, sizeof(err));
	assert_non_null(rs);
	map = ruleset__cwe_map(rs);
	assert_non_null(map);
	assert_int_equal(map->n, 0);
	ruleset__free(rs);
	assert_int_equal(ruleset__cwe_map(NULL)->n, 0);
}

static const struct bad_case bad_maps[] = {
	{ "tools missing", "{\"description\": \"x\"}",
	  "$.tools: missing (an object: tool name -> {rule id -> [CWE numbers]})" },
	{ "unknown key", "{\"tools\": {}, \"rules\": {}}", "$.rules: unknown key (known: description, tools)" },
	{ "tool not an object", "{\"tools\": {\"ESLint\": [\"no-eval\"]}}",
	  "$.tools.ESLint: expected an object: rule id -> [CWE numbers]" },
	{ "cwes not numbers", "{\"tools\": {\"ESLint\": {\"security/detect-child-process\": [\"CWE-78\"]}}}",
	  "$.tools.ESLint[\"security/detect-child-process\"][0]: expected a positive integer CWE number (89, not "
	  "\"CWE-89\")" },
	{ "cwes empty", "{\"tools\": {\"ESLint\": {\"no-eval\": []}}}",
	  "$.tools.ESLint.no-eval: expected a non-empty array of CWE numbers, e.g. [89]" },
	{ "rule id under two tools", "{\"tools\": {\"A\": {\"R1\": [1]}, \"B\": {\"R1\": [2]}}}",
	  "$.tools.B.R1: rule id already mapped under tool 'A'" },
	{ "rule id twice in one tool", "{\"tools\": {\"A\": {\"R1\": [1], \"R1\": [1]}}}",
	  "$.tools.A.R1: rule id already mapped under tool 'A'" },
	{ "empty rule id", "{\"tools\": {\"A\": {\"\": [1]}}}", "$.tools.A[\"\"]: empty rule id" },
	{ "not an object", "[]",
	  "$: expected an object {\"description\": ..., \"tools\": {TOOL: {RULE_ID: [CWE, ...]}}}" },
};

static void test_tool_cwe_map_errors(void **state)
{
	const char *dir = *state;
	size_t i;

	for (i = 0; i < sizeof(bad_maps) / sizeof(bad_maps[0]); i++) {
		char expect[1024];

		print_message("case: %s\n", bad_maps[i].what);
		write_file(dir, "tool-cwe-map.json", bad_maps[i].text);
		snprintf(expect, sizeof(expect), "tool-cwe-map.json: %s", bad_maps[i].expect);
		assert_load_error(dir, expect);
	}
}

static void test_by_detector(void **state)
{
	const char *dir = *state;
	const struct rule_family *f;
	struct ruleset *rs;
	char err[512];

	write_file(dir, "a-sqli-strict.json",
		   "{\"family\": \"sqli-strict\", \"description\": \"d\", \"detector\": \"sqli\", \"cwes\": [89],"
		   " \"events\": [\"sql\"], \"severity\": \"critical\", \"enabled\": false}");
	write_file(dir, "b-sqli.json", SQLI_OK);
	write_file(dir, "cmdi.json",
		   "{\"family\": \"cmdi\", \"description\": \"d\", \"detector\": \"cmdi\", \"cwes\": [78],"
		   " \"events\": [\"exec\"], \"severity\": \"high\", \"enabled\": false}");
	rs = ruleset__load(dir, err, sizeof(err));
	assert_non_null(rs);
	assert_int_equal(ruleset__count(rs), 3);
	assert_false(ruleset__get(rs, 0)->enabled);

	/* The enabled one, although the disabled one comes first. */
	f = ruleset__by_detector(rs, "sqli");
	assert_non_null(f);
	assert_string_equal(f->name, "sqli");
	assert_true(f->enabled);
	assert_null(ruleset__by_detector(rs, "cmdi"));           /* only disabled */
	assert_null(ruleset__by_detector(rs, "ssrf"));           /* none */
	assert_null(ruleset__by_detector(rs, "path-traversal")); /* none */
	assert_null(ruleset__by_detector(NULL, "sqli"));
	ruleset__free(rs);
}

/* The repository's rules/, next to this file. */
static void repo_rules_dir(char *buf, size_t len)
{
	const char *src = __FILE__;
	const char *tail = strstr(src, "tests/unit/test_rules.c");

	assert_non_null(tail);
	assert_true((size_t)snprintf(buf, len, "%.*srules", (int)(tail - src), src) < len);
}

static void test_repo_tool_cwe_map(void **state)
{
	const char *dir = *state;
	const struct sarif_cwe_map *map;
	const struct sarif_cwe_entry *e;
	char repo[1024], path[1200], err[1024];
	struct ruleset *rs;
	char *text;
	size_t len;
	FILE *f;

	repo_rules_dir(repo, sizeof(repo));
	snprintf(path, sizeof(path), "%s/tool-cwe-map.json", repo);
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, 1 << 20);
	assert_non_null(text);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	write_bytes(dir, "tool-cwe-map.json", text, len);
	free(text);

	rs = ruleset__load(dir, err, sizeof(err));
	if (!rs)
		fail_msg("%s", err);
	map = ruleset__cwe_map(rs);
	assert_true(map->n >= 15); /* every eslint-plugin-security rule */
	e = lookup(map, "security/detect-child-process");
	assert_non_null(e);
	assert_int_equal(e->cwes[0], 78);
	e = lookup(map, "security/detect-non-literal-fs-filename");
	assert_non_null(e);
	assert_int_equal(e->cwes[0], 22);
	e = lookup(map, "security/detect-eval-with-expression");
	assert_non_null(e);
	assert_int_equal(e->cwes[0], 95);
	e = lookup(map, "security/detect-no-csrf-before-method-override");
	assert_non_null(e);
	assert_int_equal(e->cwes[0], 352);
	ruleset__free(rs);
}

/* The shipped rules/ directory passes its own check once the families are in. */
static void test_repo_rules_check(void **state)
{
	char repo[1024];
	char *out, *last;
	int ret;

	repo_rules_dir(repo, sizeof(repo));
	out = check_output(repo, &ret);
	if (strstr(out, ": ok: 0 families,")) {
		free(out);
		skip(); /* only tool-cwe-map.json so far */
	}
	if (ret != 0)
		fail_msg("%s", out);
	/* One line: "<repo>/rules: ok: N families (...), M tool rule ids ...". */
	last = strchr(out, '\n');
	assert_non_null(last);
	assert_string_equal(last, "\n");
	assert_memory_equal(out, repo, strlen(repo));
	assert_memory_equal(out + strlen(repo), ": ok: ", 6);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_directory_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_error_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte_is_invalid_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_strings_stay_on_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_family_names_both_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_enabled_families_for_one_detector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detector_params_error_propagated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_lists_every_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_ok_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_cwe_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_cwe_map_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_detector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_tool_cwe_map, setup, teardown),
		cmocka_unit_test(test_repo_rules_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Integration: the demo flow (examples/demo.sh) as a test. The Flask service
 * on PostgreSQL runs in a network namespace the demo creates (where
 * 169.254.169.254 is a local fake), watched from its first instruction with
 * its SARIF findings. Benign traffic alone must confirm nothing; benign then
 * attack traffic must confirm exactly the four findings the attacks target,
 * while the finding in a file the service never loads stays unobserved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "testutil.h"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Run the demo; its evidence records come back as an array. */
static cJSON *run_demo(bool benign_only)
{
	char evidence[512], out[8192], err[16384];
	const char *argv[] = { "/bin/bash", "examples/demo.sh", tu_binary(), "--quiet", "--evidence", evidence,
			       benign_only ? "--benign-only" : NULL, NULL };
	cJSON *ev;
	int rc;

	snprintf(evidence, sizeof(evidence), "%s/evidence-%d.json", tmp, benign_only);
	rc = tu_run(argv, out, sizeof(out), err, sizeof(err));
	if (rc != 0)
		print_error("demo exit %d\nstdout:\n%s\nstderr:\n%s\n", rc, out, err);
	assert_int_equal(rc, 0);
	ev = tu_read_ndjson(evidence);
	assert_non_null(ev);
	return ev;
}

/* Highest status seen per rule id + line, from the evidence records. */
static const char *status_of(cJSON *evidence, const char *uri, int line)
{
	static const char *const order[] = { "unobserved", "reachable", "triggered", "confirmed" };
	int best = 0;
	cJSON *e;

	cJSON_ArrayForEach(e, evidence)
	{
		cJSON *f = cJSON_GetObjectItem(e, "finding");
		const char *st = cJSON_GetObjectItem(e, "status")->valuestring;

		assert_string_equal(cJSON_GetObjectItem(e, "schema")->valuestring, "aisec.evidence.v1");
		if (!cJSON_IsObject(f) || strcmp(cJSON_GetObjectItem(f, "uri")->valuestring, uri) ||
		    (int)cJSON_GetObjectItem(f, "line")->valuedouble != line)
			continue;
		for (int i = 0; i < 4; i++)
			if (strcmp(st, order[i]) == 0 && i > best)
				best = i;
	}
	return order[best];
}

static int count_null_findings(cJSON *evidence)
{
	int n = 0;
	cJSON *e;

	cJSON_ArrayForEach(e, evidence)
		n += cJSON_IsNull(cJSON_GetObjectItem(e, "finding"));
	return n;
}

static void test_benign_confirms_nothing(void **state)
{
	cJSON *ev, *e;

	(void)state;
	tu_require_root();
	ev = run_demo(true);
	cJSON_ArrayForEach(e, ev)
		assert_string_not_equal(cJSON_GetObjectItem(e, "status")->valuestring, "confirmed");
	/* The service loaded app.py: its findings are at least reachable. */
	assert_string_not_equal(status_of(ev, "app.py", 50), "unobserved");
	assert_string_not_equal(status_of(ev, "app.py", 83), "unobserved");
	assert_string_equal(status_of(ev, "scripts/migrate.py", 13), "unobserved");
	cJSON_Delete(ev);
}

static void test_attacks_confirm_exactly_their_findings(void **state)
{
	cJSON *ev, *e;

	(void)state;
	tu_require_root();
	ev = run_demo(false);
	assert_string_equal(status_of(ev, "app.py", 50), "confirmed"); /* SQL injection */
	assert_string_equal(status_of(ev, "app.py", 60), "confirmed"); /* command injection */
	assert_string_equal(status_of(ev, "app.py", 73), "confirmed"); /* path traversal */
	assert_string_equal(status_of(ev, "app.py", 83), "confirmed"); /* SSRF to the metadata address */
	assert_string_equal(status_of(ev, "scripts/migrate.py", 13), "unobserved");
	assert_int_equal(count_null_findings(ev), 0);
	/* One agent run: same id on every record, sequence 1, 2, 3... without gaps. */
	{
		const char *id = NULL;
		int seq = 0;

		cJSON_ArrayForEach(e, ev)
		{
			cJSON *agent = cJSON_GetObjectItem(e, "agent");
			const char *this_id = cJSON_GetObjectItem(agent, "id")->valuestring;

			assert_int_equal(strlen(this_id), 36);
			if (!id)
				id = this_id;
			assert_string_equal(this_id, id);
			assert_int_equal((int)cJSON_GetObjectItem(agent, "seq")->valuedouble, ++seq);
		}
		assert_true(seq >= 8);
	}
	/* Each confirmation names its detector and carries the proving event. */
	cJSON_ArrayForEach(e, ev)
	{
		cJSON *events = cJSON_GetObjectItem(e, "events");

		if (strcmp(cJSON_GetObjectItem(e, "status")->valuestring, "confirmed"))
			continue;
		assert_true(cJSON_GetArraySize(events) == 1);
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 0), "schema")->valuestring,
				    "aisec.event.v1");
		assert_true(cJSON_GetObjectItem(e, "confidence")->valuedouble >= 50);
		assert_true(strlen(cJSON_GetObjectItem(e, "reason")->valuestring) > 10);
	}
	cJSON_Delete(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_benign_confirms_nothing),
		cmocka_unit_test(test_attacks_confirm_exactly_their_findings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

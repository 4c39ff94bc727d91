/*
 * correlate: status only rises, each rise is one evidence, detections reach
 * exactly the findings that list their CWE, unmatched detections are emitted
 * once as missed findings, and SARIF uris match opened files as documented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "correlate.h"

struct got {
	struct correlate_evidence ev[32];
	char reasons[32][256];
	int n;
};

static void on_ev(void *ctx, const struct correlate_evidence *ev)
{
	struct got *g = ctx;

	assert_true(g->n < 32);
	g->ev[g->n] = *ev;
	snprintf(g->reasons[g->n], sizeof(g->reasons[0]), "%s", ev->reason);
	g->ev[g->n].reason = g->reasons[g->n];
	g->n++;
}

static void add(struct findings *fs, const char *uri, int line, const int *cwes, size_t n)
{
	struct finding *f;

	fs->v = realloc(fs->v, (fs->n + 1) * sizeof(*fs->v));
	assert_non_null(fs->v);
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	f->file = strdup("x.sarif");
	f->tool = strdup("CodeQL");
	f->rule_id = strdup("rule");
	f->level = strdup("warning");
	f->message = strdup("m");
	f->uri = strdup(uri);
	f->uri_base_id = strdup("");
	f->start_line = line;
	memcpy(f->cwes, cwes, n * sizeof(int));
	f->ncwes = n;
	snprintf(f->fingerprint, sizeof(f->fingerprint), "fp%d", line);
}

static struct detection det(const char *name, enum finding_status st, int cwe, const char *reason)
{
	struct detection d = { .detector = name, .status = st, .ncwes = 1, .confidence = 90 };

	d.cwes[0] = cwe;
	snprintf(d.reason, sizeof(d.reason), "%s", reason);
	snprintf(d.severity, sizeof(d.severity), "high");
	return d;
}

static void test_rises_only(void **state)
{
	static const int sqli[] = { 89 }, cmdi[] = { 78, 77 }, none[] = { 0 };
	struct findings fs = { 0 };
	struct got g = { 0 };
	struct correlate *c;
	struct detection d;

	(void)state;
	add(&fs, "app.py", 10, sqli, 1);
	add(&fs, "src/tools.py", 20, cmdi, 2);
	add(&fs, "README.md", 1, none, 0);
	add(&fs, "scripts/migrate.py", 13, sqli, 1); /* same CWE, never loaded */
	c = correlate__new(&fs, NULL, on_ev, &g);
	assert_non_null(c);

	/* Reachability: app.py by suffix, whole components only. */
	correlate__on_open(c, "/srv/myapp.py", 1);
	assert_int_equal(g.n, 0);
	correlate__on_open(c, "/srv/app/app.py", 2);
	assert_int_equal(g.n, 1);
	assert_ptr_equal(g.ev[0].finding, &fs.v[0]);
	assert_int_equal(g.ev[0].previous, FINDING_UNOBSERVED);
	assert_int_equal(g.ev[0].status, FINDING_REACHABLE);
	assert_string_equal(g.ev[0].detector, "reachability");
	correlate__on_open(c, "/srv/app/app.py", 3); /* again: no new rise */
	assert_int_equal(g.n, 1);

	/* Triggered, then confirmed: two rises; then nothing more rises. */
	d = det("sqli", FINDING_TRIGGERED, 89, "string-built SQL");
	correlate__on_detection(c, &d, 4);
	d = det("sqli", FINDING_CONFIRMED, 89, "tautology");
	correlate__on_detection(c, &d, 5);
	d = det("sqli", FINDING_TRIGGERED, 89, "string-built SQL again");
	correlate__on_detection(c, &d, 6);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.ev[1].previous, FINDING_REACHABLE);
	assert_int_equal(g.ev[1].status, FINDING_TRIGGERED);
	assert_int_equal(g.ev[2].previous, FINDING_TRIGGERED);
	assert_int_equal(g.ev[2].status, FINDING_CONFIRMED);
	assert_string_equal(g.ev[2].reason, "tautology");
	assert_int_equal(fs.v[0].status, FINDING_CONFIRMED);
	assert_int_equal(fs.v[0].evidence_count, 4); /* open + 3 detections */
	assert_string_equal(fs.v[0].last_reason, "string-built SQL again");
	assert_int_equal(fs.v[0].first_seen_ns, 2);
	assert_int_equal(fs.v[0].last_seen_ns, 6);
	/* The other findings are untouched: a CWE-89 detection concerns the
	 * loaded app.py, not the never-loaded script with the same CWE. */
	assert_int_equal(fs.v[1].status, FINDING_UNOBSERVED);
	assert_int_equal(fs.v[2].status, FINDING_UNOBSERVED);
	assert_int_equal(fs.v[3].status, FINDING_UNOBSERVED);
	assert_int_equal(fs.v[3].evidence_count, 0);

	/* CWE-77 reaches the cmdi finding, straight to confirmed. */
	d = det("cmdi", FINDING_CONFIRMED, 77, "id ran");
	correlate__on_detection(c, &d, 7);
	assert_int_equal(g.n, 4);
	assert_ptr_equal(g.ev[3].finding, &fs.v[1]);
	assert_int_equal(g.ev[3].previous, FINDING_UNOBSERVED);

	/* No finding lists CWE-918: a missed finding, emitted once per reason. */
	d = det("ssrf", FINDING_CONFIRMED, 918, "metadata");
	correlate__on_detection(c, &d, 8);
	correlate__on_detection(c, &d, 9);
	assert_int_equal(g.n, 5);
	assert_null(g.ev[4].finding);
	assert_string_equal(g.ev[4].detector, "ssrf");
	assert_int_equal(correlate__unmatched(c), 2);
	d = det("ssrf", FINDING_CONFIRMED, 918, "another address");
	correlate__on_detection(c, &d, 10);
	assert_int_equal(g.n, 6);
	assert_int_equal(correlate__emitted(c), 6);

	correlate__free(c);
	findings__free(&fs);
}

static void test_uri_matching(void **state)
{
	(void)state;
	assert_true(correlate__uri_matches("app.py", NULL, "/srv/app.py"));
	assert_true(correlate__uri_matches("./app.py", NULL, "/srv/app.py"));
	assert_false(correlate__uri_matches("app.py", NULL, "/srv/webapp.py"));
	assert_false(correlate__uri_matches("app.py", NULL, "app.py"));
	assert_true(correlate__uri_matches("src/a b.py", NULL, "/x/src/a b.py"));
	assert_true(correlate__uri_matches("src/a%20b.py", NULL, "/x/src/a b.py"));
	assert_true(correlate__uri_matches("file:///srv/app.py", NULL, "/srv/app.py"));
	assert_true(correlate__uri_matches("file://host/srv/app.py", NULL, "/srv/app.py"));
	assert_false(correlate__uri_matches("file:///srv/app.py", NULL, "/other/srv/app.py"));
	assert_true(correlate__uri_matches("/srv/app.py", NULL, "/srv/app.py"));
	/* With a root: relative uris must sit exactly under it. */
	assert_true(correlate__uri_matches("app.py", "/srv", "/srv/app.py"));
	assert_false(correlate__uri_matches("app.py", "/srv", "/srv/sub/app.py"));
	assert_false(correlate__uri_matches("app.py", "/srv", "/srvx/app.py"));
	assert_true(correlate__uri_matches("sub/app.py", "/srv", "/srv/sub/app.py"));
	assert_false(correlate__uri_matches("", NULL, "/srv/app.py"));
	assert_false(correlate__uri_matches(NULL, NULL, "/srv/app.py"));
}

/* Many findings: an opened file reaches exactly the findings naming it, also
 * through file:// uris and %-escapes, and nothing else. */
static void test_open_index(void **state)
{
	static const int cwe[] = { 22 };
	struct findings fs = { 0 };
	struct got g = { 0 };
	struct correlate *c;
	char uri[64];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(uri, sizeof(uri), "src/mod%d.py", i);
		add(&fs, uri, i + 1, cwe, 1);
	}
	add(&fs, "file:///srv/app/lib/a%20b.py", 5000, cwe, 1);
	add(&fs, "", 5001, cwe, 1); /* no location: never reachable by a file */
	c = correlate__new(&fs, NULL, on_ev, &g);
	assert_non_null(c);
	correlate__on_open(c, "/srv/app/src/mod999.py", 1);
	assert_int_equal(g.n, 1);
	assert_ptr_equal(g.ev[0].finding, &fs.v[999]);
	correlate__on_open(c, "/srv/app/src/mod10.py", 2);
	assert_int_equal(g.n, 2);
	assert_ptr_equal(g.ev[1].finding, &fs.v[10]);
	correlate__on_open(c, "/srv/app/lib/a b.py", 3);
	assert_int_equal(g.n, 3);
	assert_ptr_equal(g.ev[2].finding, &fs.v[1000]);
	correlate__on_open(c, "/srv/app/src/mod1000.py", 4); /* no such finding */
	correlate__on_open(c, "/elsewhere/mod10.py", 5);       /* same name, other directory */
	assert_int_equal(g.n, 3);
	assert_int_equal(fs.v[1001].status, FINDING_UNOBSERVED);
	correlate__free(c);
	findings__free(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rises_only),
		cmocka_unit_test(test_uri_matching),
		cmocka_unit_test(test_open_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

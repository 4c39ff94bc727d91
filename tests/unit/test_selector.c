/*
 * Unit tests for agent/selector.c. One table: a config (services parsed with
 * config__parse), what is known of a cgroup (path, container or not, pod
 * metadata or none) and of a process (exe, cwd), and the expected step-1
 * verdict and service, and step-2 service. Cases: each criterion alone
 * (holds / fails / cannot be decided), combinations, config order and
 * priority between services, globs, processes in no container. A second
 * table for selector__path_under's edge cases.
 *
 * JSON is written with ' for " (converted before parsing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "selector.h"

/* Pod metadata for a case: labels as "k=v;k2=v2". */
struct podspec {
	const char *ns;
	const char *image;
	const char *labels;
};

static const struct podspec shop = { "shop", "registry.example/orders:1.2", "app=orders;tier=web" };
static const struct podspec shop_no_tier = { "shop", "registry.example/orders:1.2", "app=orders;tier=" };
static const struct podspec docker_only = { "", "nginx:1.25", "" }; /* a plain Docker container */
static const struct podspec no_image = { "shop", "", "app=orders" };

enum where {
	HOST,      /* no container */
	CTR,       /* a container */
	CTR_NONE,  /* a container_ref saying CONTAINER_NONE */
};

struct sel_case {
	const char *name;
	const char *services; /* JSON array */
	const char *path;
	enum where where;
	const struct podspec *pod; /* NULL: no metadata */
	const char *exe, *cwd;
	enum selector_verdict verdict;
	int service; /* step 1 */
	int process; /* step 2 */
};

#define S1(m) "[{'name':'a','match':{" m "}}]"
#define S2(m1, m2) "[{'name':'a','match':{" m1 "}},{'name':'b','match':{" m2 "}}]"
#define S3(m1, m2, m3) "[{'name':'a','match':{" m1 "}},{'name':'b','match':{" m2 "}},{'name':'c','match':{" m3 "}}]"

#define KP "/kubepods.slice/kubepods-pod1.slice/cri-containerd-1.scope"
#define PY "/usr/bin/python3.11"

static const struct sel_case cases[] = {
	/* namespace alone */
	{ "namespace holds", S1("'namespace':'shop'"), KP, CTR, &shop, PY, "/", SELECTOR_SELECT, 0, 0 },
	{ "namespace fails", S1("'namespace':'other'"), KP, CTR, &shop, PY, "/", SELECTOR_IGNORE, -1, -1 },
	{ "namespace undecided", S1("'namespace':'shop'"), KP, CTR, NULL, PY, "/", SELECTOR_UNDECIDED, -1, -1 },
	{ "namespace, no container", S1("'namespace':'shop'"), "/user.slice", HOST, NULL, PY, "/", SELECTOR_IGNORE, -1,
	  -1 },
	{ "namespace, container_ref NONE", S1("'namespace':'shop'"), "/user.slice", CTR_NONE, NULL, PY, "/",
	  SELECTOR_IGNORE, -1, -1 },
	{ "namespace, no container, stray pod", S1("'namespace':'shop'"), "/user.slice", HOST, &shop, PY, "/",
	  SELECTOR_IGNORE, -1, -1 },
	{ "namespace, docker container without one", S1("'namespace':'shop'"), "/docker/x", CTR, &docker_only, PY, "/",
	  SELECTOR_IGNORE, -1, -1 },
	/* pod_labels alone */
	{ "labels subset", S1("'pod_labels':{'app':'orders'}"), KP, CTR, &shop, "", "", SELECTOR_SELECT, 0, 0 },
	{ "labels all", S1("'pod_labels':{'tier':'web','app':'orders'}"), KP, CTR, &shop, "", "", SELECTOR_SELECT, 0,
	  0 },
	{ "labels key missing", S1("'pod_labels':{'app':'orders','team':'x'}"), KP, CTR, &shop, "", "", SELECTOR_IGNORE,
	  -1, -1 },
	{ "labels value differs", S1("'pod_labels':{'app':'billing'}"), KP, CTR, &shop, "", "", SELECTOR_IGNORE, -1,
	  -1 },
	{ "labels value is a prefix", S1("'pod_labels':{'app':'order'}"), KP, CTR, &shop, "", "", SELECTOR_IGNORE, -1,
	  -1 },
	{ "labels empty value wanted, pod has one", S1("'pod_labels':{'tier':''}"), KP, CTR, &shop, "", "",
	  SELECTOR_IGNORE, -1, -1 },
	{ "labels empty value", S1("'pod_labels':{'tier':''}"), KP, CTR, &shop_no_tier, "", "", SELECTOR_SELECT, 0,
	  0 },
	{ "labels, pod without labels", S1("'pod_labels':{'app':'orders'}"), KP, CTR, &docker_only, "", "",
	  SELECTOR_IGNORE, -1, -1 },
	{ "labels undecided", S1("'pod_labels':{'app':'orders'}"), KP, CTR, NULL, "", "", SELECTOR_UNDECIDED, -1, -1 },
	{ "labels, no container", S1("'pod_labels':{'app':'orders'}"), "/", HOST, NULL, "", "", SELECTOR_IGNORE, -1,
	  -1 },
	/* image alone: fnmatch with no flags */
	{ "image *", S1("'image':'registry.example/orders:*'"), KP, CTR, &shop, "", "", SELECTOR_SELECT, 0, 0 },
	{ "image ?", S1("'image':'registry.example/orders:1.?'"), KP, CTR, &shop, "", "", SELECTOR_SELECT, 0, 0 },
	{ "image [..]", S1("'image':'registry.example/orders:[0-9].[0-9]'"), KP, CTR, &shop, "", "", SELECTOR_SELECT,
	  0, 0 },
	{ "image [!..]", S1("'image':'registry.example/[!o]*'"), KP, CTR, &shop, "", "", SELECTOR_IGNORE, -1, -1 },
	{ "image * crosses /", S1("'image':'*orders*'"), KP, CTR, &shop, "", "", SELECTOR_SELECT, 0, 0 },
	{ "image whole name only", S1("'image':'registry.example/orders'"), KP, CTR, &shop, "", "", SELECTOR_IGNORE,
	  -1, -1 },
	{ "image fails", S1("'image':'registry.example/billing:*'"), KP, CTR, &shop, "", "", SELECTOR_IGNORE, -1, -1 },
	{ "image * on another pod", S1("'image':'*'"), KP, CTR, &docker_only, "", "", SELECTOR_SELECT, 0, 0 },
	{ "image \"\" in the metadata", S1("'image':'*'"), KP, CTR, &no_image, "", "", SELECTOR_IGNORE, -1, -1 },
	{ "image undecided", S1("'image':'*'"), KP, CTR, NULL, "", "", SELECTOR_UNDECIDED, -1, -1 },
	{ "image, no container", S1("'image':'*'"), "/system.slice/x.service", HOST, NULL, "", "", SELECTOR_IGNORE, -1,
	  -1 },
	/* cgroup_prefix alone: needs no container */
	{ "cgroup_prefix equal", S1("'cgroup_prefix':'" KP "'"), KP, CTR, NULL, "", "", SELECTOR_SELECT, 0, 0 },
	{ "cgroup_prefix parent", S1("'cgroup_prefix':'/kubepods.slice'"), KP, CTR, NULL, "", "", SELECTOR_SELECT, 0,
	  0 },
	{ "cgroup_prefix trailing /", S1("'cgroup_prefix':'/kubepods.slice/'"), KP, CTR, NULL, "", "", SELECTOR_SELECT,
	  0, 0 },
	{ "cgroup_prefix /", S1("'cgroup_prefix':'/'"), "/", HOST, NULL, "", "", SELECTOR_SELECT, 0, 0 },
	{ "cgroup_prefix not on a / boundary", S1("'cgroup_prefix':'/kubepods'"), KP, CTR, NULL, "", "",
	  SELECTOR_IGNORE, -1, -1 },
	{ "cgroup_prefix, host process", S1("'cgroup_prefix':'/system.slice'"), "/system.slice/db.service", HOST,
	  NULL, "", "", SELECTOR_SELECT, 0, 0 },
	{ "cgroup_prefix fails", S1("'cgroup_prefix':'/system.slice'"), "/user.slice", HOST, NULL, "", "",
	  SELECTOR_IGNORE, -1, -1 },
	/* exe alone: decided per process, fnmatch without FNM_PATHNAME */
	{ "exe *", S1("'exe':'/usr/bin/python3*'"), "/", HOST, NULL, PY, "", SELECTOR_PER_PROCESS, -1, 0 },
	{ "exe * crosses /", S1("'exe':'*/python3.11'"), "/", HOST, NULL, PY, "", SELECTOR_PER_PROCESS, -1, 0 },
	{ "exe ?", S1("'exe':'/usr/bin/python?.11'"), "/", HOST, NULL, PY, "", SELECTOR_PER_PROCESS, -1, 0 },
	{ "exe [..]", S1("'exe':'/usr/bin/[pr]ython3.1[0-9]'"), "/", HOST, NULL, PY, "", SELECTOR_PER_PROCESS, -1, 0 },
	{ "exe fails", S1("'exe':'/usr/bin/ruby*'"), "/", HOST, NULL, PY, "", SELECTOR_PER_PROCESS, -1, -1 },
	{ "exe unknown", S1("'exe':'*'"), "/", HOST, NULL, "", "/", SELECTOR_PER_PROCESS, -1, -1 },
	{ "exe NULL", S1("'exe':'*'"), "/", HOST, NULL, NULL, "/", SELECTOR_PER_PROCESS, -1, -1 },
	/* cwd_prefix alone */
	{ "cwd_prefix holds", S1("'cwd_prefix':'/srv/orders'"), "/", HOST, NULL, PY, "/srv/orders/app",
	  SELECTOR_PER_PROCESS, -1, 0 },
	{ "cwd_prefix equal", S1("'cwd_prefix':'/srv/orders/'"), "/", HOST, NULL, PY, "/srv/orders",
	  SELECTOR_PER_PROCESS, -1, 0 },
	{ "cwd_prefix not on a / boundary", S1("'cwd_prefix':'/srv/orders'"), "/", HOST, NULL, PY, "/srv/orders-old",
	  SELECTOR_PER_PROCESS, -1, -1 },
	{ "cwd_prefix unknown", S1("'cwd_prefix':'/'"), "/", HOST, NULL, PY, "", SELECTOR_PER_PROCESS, -1, -1 },
	/* combinations: all given criteria must hold */
	{ "namespace+labels+image hold", S1("'namespace':'shop','pod_labels':{'app':'orders'},'image':'*/orders:*'"), KP,
	  CTR, &shop, "", "", SELECTOR_SELECT, 0, 0 },
	{ "namespace+labels+image, image fails",
	  S1("'namespace':'shop','pod_labels':{'app':'orders'},'image':'*/billing:*'"), KP, CTR, &shop, "", "",
	  SELECTOR_IGNORE, -1, -1 },
	{ "cgroup_prefix+namespace hold", S1("'cgroup_prefix':'/kubepods.slice','namespace':'shop'"), KP, CTR, &shop,
	  "", "", SELECTOR_SELECT, 0, 0 },
	{ "cgroup_prefix fails, namespace undecided", S1("'cgroup_prefix':'/system.slice','namespace':'shop'"), KP, CTR,
	  NULL, "", "", SELECTOR_IGNORE, -1, -1 },
	{ "cgroup_prefix holds, namespace undecided", S1("'cgroup_prefix':'/kubepods.slice','namespace':'shop'"), KP,
	  CTR, NULL, "", "", SELECTOR_UNDECIDED, -1, -1 },
	{ "namespace+exe: per process", S1("'namespace':'shop','exe':'/usr/bin/python3*'"), KP, CTR, &shop, PY, "",
	  SELECTOR_PER_PROCESS, -1, 0 },
	{ "namespace+exe, exe fails", S1("'namespace':'shop','exe':'/usr/bin/python3*'"), KP, CTR, &shop, "/bin/sh", "",
	  SELECTOR_PER_PROCESS, -1, -1 },
	{ "namespace+exe, namespace fails", S1("'namespace':'other','exe':'/usr/bin/python3*'"), KP, CTR, &shop, PY, "",
	  SELECTOR_IGNORE, -1, -1 },
	{ "namespace+exe, undecided", S1("'namespace':'shop','exe':'/usr/bin/python3*'"), KP, CTR, NULL, PY, "",
	  SELECTOR_UNDECIDED, -1, -1 },
	{ "exe+cwd_prefix hold", S1("'exe':'/usr/bin/python3*','cwd_prefix':'/srv'"), "/", HOST, NULL, PY, "/srv/a",
	  SELECTOR_PER_PROCESS, -1, 0 },
	{ "exe+cwd_prefix, cwd fails", S1("'exe':'/usr/bin/python3*','cwd_prefix':'/srv'"), "/", HOST, NULL, PY, "/opt",
	  SELECTOR_PER_PROCESS, -1, -1 },
	/* order and priority */
	{ "two select: the first wins", S2("'namespace':'shop'", "'cgroup_prefix':'/'"), KP, CTR, &shop, "", "",
	  SELECTOR_SELECT, 0, 0 },
	{ "the first fails, the second selects", S2("'namespace':'other'", "'namespace':'shop'"), KP, CTR, &shop, "", "",
	  SELECTOR_SELECT, 1, 1 },
	{ "select first, per-process after: select", S2("'cgroup_prefix':'/'", "'exe':'*'"), KP, CTR, &shop, PY, "",
	  SELECTOR_SELECT, 0, 0 },
	{ "per-process before select: per process", S2("'exe':'/usr/bin/python3*'", "'namespace':'shop'"), KP, CTR,
	  &shop, PY, "", SELECTOR_PER_PROCESS, -1, 0 },
	{ "per-process before select, other exe: the second",
	  S2("'exe':'/usr/bin/python3*'", "'namespace':'shop'"), KP, CTR, &shop, "/bin/sh", "", SELECTOR_PER_PROCESS,
	  -1, 1 },
	{ "undecided before select: undecided", S2("'namespace':'shop'", "'cgroup_prefix':'/'"), KP, CTR, NULL, PY, "",
	  SELECTOR_UNDECIDED, -1, 1 },
	{ "undecided and per-process before select: undecided", S3("'exe':'*'", "'image':'*'", "'cgroup_prefix':'/'"),
	  KP, CTR, NULL, PY, "", SELECTOR_UNDECIDED, -1, 0 },
	{ "per-process then undecided, no select: undecided", S2("'exe':'/nothing'", "'image':'*'"), KP, CTR, NULL, PY,
	  "", SELECTOR_UNDECIDED, -1, -1 },
	{ "undecided then per-process, no select: undecided", S2("'image':'*'", "'exe':'*'"), KP, CTR, NULL, PY, "",
	  SELECTOR_UNDECIDED, -1, 1 },
	{ "two per-process: per process", S2("'exe':'/nothing'", "'cwd_prefix':'/srv'"), "/", HOST, NULL, PY, "/srv",
	  SELECTOR_PER_PROCESS, -1, 1 },
	{ "failing services before select do not count", S3("'namespace':'other'", "'image':'x'", "'cgroup_prefix':'/'"),
	  KP, CTR, &shop, "", "", SELECTOR_SELECT, 2, 2 },
	{ "none holds: ignore", S3("'namespace':'other'", "'image':'x'", "'cgroup_prefix':'/x'"), KP, CTR, &shop, PY,
	  "/", SELECTOR_IGNORE, -1, -1 },
	{ "host process: namespace fails without waiting", S2("'namespace':'shop'", "'cgroup_prefix':'/'"),
	  "/user.slice/session-1.scope", HOST, NULL, "", "", SELECTOR_SELECT, 1, 1 },
};

/* s with every ' turned into " (caller frees). */
static char *dq(const char *s)
{
	char *out = strdup(s), *p;

	assert_non_null(out);
	for (p = out; *p; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return out;
}

static struct config *parse_services(const char *services)
{
	char json[4096], err[256];
	struct config *c;
	char *s;

	snprintf(json, sizeof(json), "{'services':%s}", services);
	s = dq(json);
	c = config__parse("t.json", s, strlen(s), err, sizeof(err));
	free(s);
	if (!c)
		fail_msg("%s: %s", services, err);
	return c;
}

static struct pod_meta *make_pod(const struct podspec *spec)
{
	struct pod_meta *m = calloc(1, sizeof(*m));
	char labels[512], *save = NULL, *kv, *eq;

	assert_non_null(m);
	snprintf(m->namespace_, sizeof(m->namespace_), "%s", spec->ns);
	snprintf(m->image, sizeof(m->image), "%s", spec->image);
	snprintf(labels, sizeof(labels), "%s", spec->labels);
	for (kv = strtok_r(labels, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		eq = strchr(kv, '=');
		assert_non_null(eq);
		*eq = '\0';
		snprintf(m->labels[m->nlabels].key, PODMETA_STR, "%s", kv);
		snprintf(m->labels[m->nlabels].value, PODMETA_STR, "%s", eq + 1);
		m->nlabels++;
	}
	m->source = "kubelet";
	return m;
}

static void test_table(void **state)
{
	static const struct container_ref ctr = { CONTAINER_CONTAINERD, "1" };
	static const struct container_ref none = { CONTAINER_NONE, "" };
	size_t i, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sel_case *t = &cases[i];
		struct config *c = parse_services(t->services);
		struct pod_meta *pod = t->pod ? make_pod(t->pod) : NULL;
		struct selector_cgroup cg = {
			.path = t->path,
			.container = t->where == CTR ? &ctr : t->where == CTR_NONE ? &none : NULL,
			.pod = pod,
		};
		enum selector_verdict v;
		int svc = 42, proc;

		v = selector__cgroup(c, &cg, &svc);
		proc = selector__process(c, &cg, t->exe, t->cwd);
		if (v != t->verdict || svc != t->service || proc != t->process) {
			print_error("case \"%s\": got verdict %d service %d process %d, want %d %d %d\n", t->name, v,
				    svc, proc, t->verdict, t->service, t->process);
			failed++;
		}
		/* service may be NULL */
		assert_int_equal(selector__cgroup(c, &cg, NULL), v);
		free(pod);
		config__free(c);
	}
	assert_int_equal(failed, 0);
}

/* A pod with PODMETA_MAX_LABELS labels: the last one is seen. nlabels beyond
 * the array (a bug elsewhere) is not read past. */
static void test_many_labels(void **state)
{
	static const struct container_ref ctr = { CONTAINER_CRIO, "1" };
	struct config *c = parse_services(S1("'pod_labels':{'k31':'v31'}"));
	struct pod_meta *m = calloc(1, sizeof(*m));
	struct selector_cgroup cg = { .path = "/", .container = &ctr, .pod = m };
	int svc;
	size_t i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < PODMETA_MAX_LABELS; i++) {
		snprintf(m->labels[i].key, PODMETA_STR, "k%zu", i);
		snprintf(m->labels[i].value, PODMETA_STR, "v%zu", i);
	}
	m->nlabels = PODMETA_MAX_LABELS;
	assert_int_equal(selector__cgroup(c, &cg, &svc), SELECTOR_SELECT);
	assert_int_equal(svc, 0);
	m->nlabels = PODMETA_MAX_LABELS + 100;
	m->labels_truncated = true;
	assert_int_equal(selector__cgroup(c, &cg, &svc), SELECTOR_SELECT);
	config__free(c);
	c = parse_services(S1("'pod_labels':{'k32':'v32'}"));
	assert_int_equal(selector__cgroup(c, &cg, &svc), SELECTOR_IGNORE);
	assert_int_equal(svc, -1);
	config__free(c);
	free(m);
}

static void test_bad_arguments(void **state)
{
	struct config *c = parse_services(S1("'cgroup_prefix':'/'"));
	struct selector_cgroup cg = { .path = NULL };
	int svc = 42;

	(void)state;
	assert_int_equal(selector__cgroup(NULL, &cg, &svc), SELECTOR_IGNORE);
	assert_int_equal(svc, -1);
	assert_int_equal(selector__cgroup(c, NULL, &svc), SELECTOR_IGNORE);
	assert_int_equal(selector__cgroup(c, &cg, &svc), SELECTOR_IGNORE);
	assert_int_equal(selector__process(c, &cg, "/x", "/"), -1);
	assert_int_equal(selector__process(NULL, &cg, "/x", "/"), -1);
	config__free(c);
}

static void test_path_under(void **state)
{
	static const struct {
		const char *path, *prefix;
		bool under;
	} t[] = {
		{ "/a/b", "/a", true },       { "/a", "/a", true },        { "/ab", "/a", false },
		{ "/a", "/a/", true },        { "/a/b", "/a/", true },     { "/a/b", "/a//", true },
		{ "/a/", "/a", true },        { "/a//b", "/a", true },     { "/", "/", true },
		{ "/x/y", "/", true },        { "/", "//", true },         { "/", "/a", false },
		{ "/a", "/a/b", false },      { "/a/bc", "/a/b", false },  { "/a/b/c", "/a/b", true },
		{ "/A", "/a", false },        { "/a/../b", "/a", true },   { "/a/b", "/a/b/c", false },
		{ "", "/", false },           { "a/b", "/", false },       { "a/b", "a", false },
		{ "/a", "", false },          { "/a", "a", false },        { NULL, "/", false },
		{ "/a", NULL, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (selector__path_under(t[i].path, t[i].prefix) != t[i].under)
			fail_msg("path_under(\"%s\", \"%s\") should be %s", t[i].path ? t[i].path : "NULL",
				 t[i].prefix ? t[i].prefix : "NULL", t[i].under ? "true" : "false");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_many_labels),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_path_under),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for agent/ssrf.c, run with the shipped rules/ssrf.json (read from
 * disk, so the defaults are what is tested). The corpus replays a service's
 * first two minutes (its database, cache, internal API and DNS, all
 * learned), then a table of benign and attack connects with the verdict
 * expected of each; FP/FN counts printed. Also: IPv4-mapped IPv6, the
 * bounded learned set, exact reasons, parameter errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "rulefile.h"
#include "rowcheck.h"
#include "rules.h"
#include "ssrf.h"

#define RULE_FILE "rules/ssrf.json"

static struct ssrf *new_shipped(struct tu_rule_file *s)
{
	char err[256] = "";
	struct ssrf *d;

	tu_rule_file_load(s, RULE_FILE);
	d = ssrf__new(&s->rule, err, sizeof(err));
	if (!d)
		fail_msg("ssrf__new: %s", err);
	return d;
}

static void test_rule_file(void **state)
{
	struct tu_rule_file s;
	const cJSON *ev;
	char err[256] = "";

	tu_rule_file_load(&s, RULE_FILE);
	CHECK_STR(RULE_FILE, s.rule.name, "ssrf");
	CHECK_STR(RULE_FILE, s.rule.detector, "ssrf");
	CHECK_INT(RULE_FILE, s.rule.ncwes, 1);
	CHECK_INT(RULE_FILE, s.rule.cwes[0], 918);
	CHECK_STR(RULE_FILE, s.rule.severity, "high");
	ev = cJSON_GetObjectItem(s.root, "events");
	CHECK_INT(RULE_FILE, cJSON_GetArraySize(ev), 1);
	CHECK_STR(RULE_FILE, cJSON_GetStringValue(cJSON_GetArrayItem(ev, 0)), "connect");
	CHECK_INT(RULE_FILE, cJSON_GetNumberValue(cJSON_GetObjectItem(s.rule.params, "learning_seconds")), 120);
	if (ssrf__check_params(s.rule.params, err, sizeof(err)) != 0)
		fail_msg("%s: %s", RULE_FILE, err);
	cJSON_Delete(s.root);
}

#define NONE 0
#define TRIG FINDING_TRIGGERED
#define CONF FINDING_CONFIRMED
#define V4 AF_INET
#define V6 AF_INET6

/* Run one connect to addr (text, read as family); returns NONE, TRIG or CONF and checks the fixed fields. */
static int run(struct ssrf *d, const char *row, int family, const char *addr, unsigned port, long long ret, double secs,
	       struct detection *det)
{
	struct ssrf_input in = {.family = (__u16)family, .port = (__u16)port, .ret = ret, .secs_watched = secs};
	int r;

	if ((family == V4 || family == V6) && inet_pton(family, addr, in.addr) != 1)
		fail_msg("\"%s\": bad test address %s", row, addr);
	memset(det, 0xa5, sizeof(*det));
	r = ssrf__observe(d, &in, det);
	if (r == 0)
		return NONE;
	CHECK_INT(row, r, 1);
	CHECK_STR(row, det->detector, "ssrf");
	CHECK_INT(row, det->ncwes, 1);
	CHECK_INT(row, det->cwes[0], 918);
	CHECK_STR(row, det->severity, "high");
	if (det->confidence < 1 || det->confidence > 100)
		fail_msg("\"%s\": confidence %d", row, det->confidence);
	if (memchr(det->reason, '\0', sizeof(det->reason)) == NULL || det->reason[0] == '\0')
		fail_msg("\"%s\": reason empty or not terminated", row);
	if (det->status != FINDING_TRIGGERED && det->status != FINDING_CONFIRMED)
		fail_msg("\"%s\": status %d", row, det->status);
	return det->status;
}

/* The service's first two minutes: its own dependencies, all of which must stay quiet. */
/* clang-format off */
static const struct {
	int family;
	const char *addr;
	unsigned port;
	double secs;
} warmup[] = {
	{V4, "10.0.1.5", 5432, 0.4},      /* PostgreSQL */
	{V4, "127.0.0.1", 6379, 0.5},     /* local Redis */
	{V4, "127.0.0.53", 53, 0.6},      /* systemd-resolved stub (allowed: port 53) */
	{V4, "10.96.0.10", 53, 0.6},      /* kube-dns (allowed: port 53) */
	{V4, "10.0.2.20", 8080, 3.0},     /* internal API */
	{V6, "fd00:1::5", 443, 7.5},      /* internal IPv6 service */
	{V4, "192.168.1.10", 9092, 30.0}, /* Kafka */
	{V6, "::ffff:172.20.0.3", 11211, 90.0}, /* memcached through an IPv6 socket */
	{V4, "93.184.216.34", 443, 100.0},      /* a public API */
};
/* clang-format on */

struct row {
	const char *name;
	bool attack;
	int family;
	const char *addr;
	unsigned port;
	long long ret;
	double secs;
	int want;
};

/* clang-format off */
static const struct row rows[] = {
	/* Benign, after the learning window. */
	{"public https", false, V4, "93.184.216.34", 443, -EINPROGRESS, 300, NONE},
	{"github", false, V4, "140.82.112.3", 443, 0, 300, NONE},
	{"fastly", false, V4, "151.101.1.69", 443, 0, 300, NONE},
	{"public dns", false, V4, "8.8.8.8", 53, 0, 300, NONE},
	{"cloudflare", false, V4, "1.1.1.1", 443, 0, 300, NONE},
	{"public v6", false, V6, "2606:4700::1111", 443, 0, 300, NONE},
	{"google v6", false, V6, "2a00:1450:4001:82b::200e", 443, -EINPROGRESS, 300, NONE},
	{"s3", false, V4, "52.95.110.1", 443, 0, 300, NONE},
	{"mapped public", false, V6, "::ffff:93.184.216.34", 443, 0, 300, NONE},
	{"public on 8080", false, V4, "34.117.59.81", 8080, 0, 300, NONE},
	{"learned db", false, V4, "10.0.1.5", 5432, 0, 300, NONE},
	{"learned db, failed", false, V4, "10.0.1.5", 5432, -ECONNREFUSED, 400, NONE},
	{"learned db host, other port", false, V4, "10.0.1.5", 5433, 0, 300, NONE},
	{"learned redis", false, V4, "127.0.0.1", 6379, 0, 300, NONE},
	{"learned api", false, V4, "10.0.2.20", 8080, 0, 3600, NONE},
	{"learned v6", false, V6, "fd00:1::5", 443, 0, 300, NONE},
	{"learned kafka", false, V4, "192.168.1.10", 9092, 0, 300, NONE},
	{"learned via mapped, now v4", false, V4, "172.20.0.3", 11211, 0, 300, NONE},
	{"learned v4, now mapped", false, V6, "::ffff:10.0.1.5", 5432, 0, 300, NONE},
	{"resolver stub", false, V4, "127.0.0.53", 53, 0, 300, NONE},
	{"kube-dns", false, V4, "10.96.0.10", 53, 0, 300, NONE},
	{"v6 dns", false, V6, "fd00::53", 53, 0, 300, NONE},
	{"new resolver pod", false, V4, "10.96.0.11", 53, 0, 300, NONE},
	{"unix socket", false, AF_UNIX, "", 0, 0, 300, NONE},
	{"AF_UNSPEC disconnect", false, AF_UNSPEC, "", 0, 0, 300, NONE},
	{"netlink", false, AF_NETLINK, "", 0, 0, 300, NONE},
	{"public with admin-port number", false, V4, "198.51.100.7", 2375, 0, 300, NONE},
	{"private with admin-port number", false, V4, "10.0.2.20", 6443, 0, 300, NONE},
	{"during learning: new dependency", false, V4, "10.0.3.3", 5672, 0, 60, NONE},
	{"after learning: that dependency", false, V4, "10.0.3.3", 5672, 0, 600, NONE},
	/* A dependency that moved to a new pod IP after learning: triggered, not confirmed. */
	{"db failover to new IP", false, V4, "10.0.1.6", 5432, 0, 900, TRIG},

	/* Attacks. */
	{"aws metadata", true, V4, "169.254.169.254", 80, -EINPROGRESS, 300, CONF},
	{"aws metadata, mapped", true, V6, "::ffff:169.254.169.254", 80, 0, 300, CONF},
	{"aws metadata v6", true, V6, "fd00:ec2::254", 80, 0, 300, CONF},
	{"ecs task metadata", true, V4, "169.254.170.2", 80, 0, 300, CONF},
	{"eks pod identity", true, V4, "169.254.170.23", 80, 0, 300, CONF},
	{"eks pod identity v6", true, V6, "fd00:ec2::23", 80, 0, 300, CONF},
	{"alibaba metadata", true, V4, "100.100.100.200", 80, 0, 300, CONF},
	{"gcp metadata v6", true, V6, "fd20:ce::254", 80, 0, 300, CONF},
	{"tencent metadata", true, V4, "169.254.0.23", 80, 0, 300, CONF},
	{"metadata during learning", true, V4, "169.254.169.254", 80, 0, 5, CONF},
	{"metadata refused", true, V4, "169.254.169.254", 80, -ECONNREFUSED, 300, CONF},
	{"metadata other port", true, V4, "169.254.169.254", 8080, -ETIMEDOUT, 300, CONF},
	{"docker api", true, V4, "127.0.0.1", 2375, -ECONNREFUSED, 300, CONF},
	{"docker api tls", true, V4, "127.0.0.1", 2376, 0, 300, CONF},
	{"etcd", true, V4, "127.0.0.1", 2379, 0, 300, CONF},
	{"kubelet", true, V4, "127.0.0.1", 10250, 0, 300, CONF},
	{"kubelet read-only", true, V4, "127.0.0.1", 10255, 0, 300, CONF},
	{"k8s api on ::1", true, V6, "::1", 6443, 0, 300, CONF},
	{"consul via mapped loopback", true, V6, "::ffff:127.0.0.1", 8500, 0, 300, CONF},
	{"docker api via 0.0.0.0", true, V4, "0.0.0.0", 2375, 0, 300, CONF},
	{"envoy admin via ::", true, V6, "::", 15000, 0, 300, CONF},
	{"envoy admin 127.1.2.3", true, V4, "127.1.2.3", 9901, 0, 300, CONF},
	{"nomad", true, V4, "127.0.0.1", 4646, 0, 300, CONF},
	{"kubectl proxy", true, V4, "127.0.0.1", 8001, 0, 300, CONF},
	{"consul envoy admin", true, V4, "127.0.0.1", 19000, 0, 300, CONF},
	{"caddy admin", true, V4, "127.0.0.1", 2019, 0, 10, CONF},
	{"admin port on learned loopback", true, V4, "127.0.0.1", 2379, 0, 300, CONF},
	{"internal host", true, V4, "10.0.0.1", 80, 0, 300, TRIG},
	{"router admin", true, V4, "192.168.0.1", 80, 0, 300, TRIG},
	{"docker bridge api", true, V4, "172.17.0.1", 2375, 0, 300, TRIG},
	{"link-local", true, V4, "169.254.1.1", 80, 0, 300, TRIG},
	{"v6 link-local", true, V6, "fe80::1", 80, 0, 300, TRIG},
	{"v6 ULA", true, V6, "fc00::1", 8080, 0, 300, TRIG},
	{"cgnat", true, V4, "100.64.0.1", 80, 0, 300, TRIG},
	{"unlearned loopback", true, V4, "127.0.0.2", 6379, 0, 300, TRIG},
	{"mapped private", true, V6, "::ffff:10.9.9.9", 22, 0, 300, TRIG},
	{"this-network 0/8", true, V4, "0.1.2.3", 80, 0, 300, TRIG},
	/* Known misses. */
	{"FN: private, during learning", true, V4, "10.66.0.1", 80, 0, 30, NONE},
	{"FN: learned host, other port", true, V4, "10.0.1.5", 6379, 0, 300, NONE},
	{"FN: public callback (blind SSRF)", true, V4, "203.0.113.5", 80, 0, 300, NONE},
};
/* clang-format on */

static void test_corpus(void **state)
{
	struct tu_rule_file s;
	struct ssrf *d = new_shipped(&s);
	struct detection det;
	size_t i, nb = 0, na = 0, fp_conf = 0, fp_trig = 0, a_conf = 0, a_trig = 0, fn = 0, known_fn = 0;

	for (i = 0; i < sizeof(warmup) / sizeof(warmup[0]); i++)
		if (run(d, warmup[i].addr, warmup[i].family, warmup[i].addr, warmup[i].port, 0, warmup[i].secs, &det))
			fail_msg("warm-up connect to %s reported: %s", warmup[i].addr, det.reason);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int got = run(d, r->name, r->family, r->addr, r->port, r->ret, r->secs, &det);

		if (got != r->want)
			fail_msg("\"%s\": got %d, want %d; reason: %s", r->name, got, r->want, got ? det.reason : "-");
		if (!r->attack) {
			nb++;
			fp_conf += got == CONF;
			fp_trig += got == TRIG;
		} else {
			na++;
			a_conf += got == CONF;
			a_trig += got == TRIG;
			fn += got == NONE;
			known_fn += strncmp(r->name, "FN:", 3) == 0;
		}
	}
	print_message("ssrf: benign %zu: FP confirmed %zu, FP triggered %zu; attack %zu: confirmed %zu, "
		      "triggered only %zu, FN (missed) %zu\n",
		      nb, fp_conf, fp_trig, na, a_conf, a_trig, fn);
	assert_true(nb >= 30);
	assert_true(na >= 30);
	CHECK_INT("FP confirmed", fp_conf, 0);
	CHECK_INT("FN", fn, known_fn);
	ssrf__free(d);
	cJSON_Delete(s.root);
}

static void test_reasons(void **state)
{
	/* clang-format off */
	static const struct {
		int family;
		const char *addr;
		unsigned port;
		long long ret;
		const char *want;
	} cases[] = {
		{V4, "169.254.169.254", 80, 0, "connect to 169.254.169.254:80, a cloud metadata address"},
		{V4, "169.254.169.254", 80, -EINPROGRESS, "connect to 169.254.169.254:80, a cloud metadata address"},
		{V6, "::ffff:169.254.169.254", 80, 0,
		 "connect to 169.254.169.254:80 (given as ::ffff:169.254.169.254), a cloud metadata address"},
		{V6, "fd00:ec2::254", 80, 0, "connect to [fd00:ec2::254]:80, a cloud metadata address"},
		{V4, "127.0.0.1", 2375, -ECONNREFUSED,
		 "connect to 127.0.0.1:2375, admin port 2375 on the local host (the connect failed with ECONNREFUSED)"},
		{V4, "10.0.0.1", 80, 0, "connect to 10.0.0.1:80, private range 10.0.0.0/8, not used in the first 120 s of "
					"watching"},
		{V6, "fe80::1", 8080, 0, "connect to [fe80::1]:8080, private range fe80::/10, not used in the first 120 s "
					 "of watching"},
	};
	/* clang-format on */
	struct tu_rule_file s;
	struct ssrf *d = new_shipped(&s);
	struct detection det;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(
		    run(d, cases[i].want, cases[i].family, cases[i].addr, cases[i].port, cases[i].ret, 500, &det),
		    NONE);
		CHECK_STR(cases[i].want, det.reason, cases[i].want);
	}
	ssrf__free(d);
	cJSON_Delete(s.root);
}

/* The learned set holds learned_max addresses, no more; learning_seconds 0 learns nothing. */
static void test_learning_bounded(void **state)
{
	struct rule_family rule = {.name = "ssrf", .cwes = {918}, .ncwes = 1, .severity = "high"};
	struct detection det;
	char err[256] = "", addr[32];
	struct ssrf *d;
	int i;

	rule.params =
	    cJSON_Parse("{\"private_ranges\": [\"10.0.0.0/8\"], \"learning_seconds\": 60, \"learned_max\": 4}");
	assert_non_null(rule.params);
	d = ssrf__new(&rule, err, sizeof(err));
	if (!d)
		fail_msg("%s", err);
	/* Six addresses, two of them twice: the first four distinct ones are kept. */
	for (i = 1; i <= 6; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		assert_int_equal(run(d, addr, V4, addr, 80, 0, i, &det), NONE);
		assert_int_equal(run(d, addr, V4, addr, 80, 0, i + 0.5, &det), NONE);
	}
	for (i = 1; i <= 6; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		CHECK_INT(addr, run(d, addr, V4, addr, 80, 0, 61, &det), i <= 4 ? NONE : TRIG);
	}
	/* Exactly at the end of the window: no longer learning. */
	assert_int_equal(run(d, "edge", V4, "10.1.1.1", 80, 0, 60, &det), TRIG);
	ssrf__free(d);
	cJSON_Delete((cJSON *)rule.params);

	rule.params = cJSON_Parse("{\"private_ranges\": [\"::ffff:10.0.0.0/104\"], \"learning_seconds\": 0}");
	d = ssrf__new(&rule, err, sizeof(err));
	if (!d)
		fail_msg("%s", err);
	/* A range written as IPv4-mapped IPv6 covers plain IPv4 connects too. */
	assert_int_equal(run(d, "no window", V4, "10.2.3.4", 80, 0, 0, &det), TRIG);
	CHECK_STR("mapped range", det.reason,
		  "connect to 10.2.3.4:80, private range 10.0.0.0/8, not used in the first 0 s of watching");
	assert_int_equal(run(d, "not learned", V4, "10.2.3.4", 80, 0, 1, &det), TRIG);
	ssrf__free(d);
	cJSON_Delete((cJSON *)rule.params);
}

/* Allow entries: a range, a range with a port, an IPv6 range with a port. */
static void test_allow(void **state)
{
	struct rule_family rule = {.name = "ssrf", .cwes = {918}, .ncwes = 1, .severity = "high"};
	struct detection det;
	char err[256] = "";
	struct ssrf *d;

	rule.params = cJSON_Parse("{\"metadata_addresses\": [\"169.254.169.254\"], \"admin_ports\": [8500],"
				  " \"private_ranges\": [\"10.0.0.0/8\", \"fc00::/7\"], \"learning_seconds\": 0,"
				  " \"allow\": [\"169.254.169.254:80\", \"127.0.0.1:8500\", \"10.5.0.0/16\","
				  " \"[fd00::/8]:443\"]}");
	assert_non_null(rule.params);
	d = ssrf__new(&rule, err, sizeof(err));
	if (!d)
		fail_msg("%s", err);
	assert_int_equal(run(d, "imds allowed on 80", V4, "169.254.169.254", 80, 0, 9, &det), NONE);
	assert_int_equal(run(d, "imds other port", V4, "169.254.169.254", 8080, 0, 9, &det), CONF);
	assert_int_equal(run(d, "mapped imds on 80", V6, "::ffff:169.254.169.254", 80, 0, 9, &det), NONE);
	assert_int_equal(run(d, "local consul allowed", V4, "127.0.0.1", 8500, 0, 9, &det), NONE);
	assert_int_equal(run(d, "consul on ::1", V6, "::1", 8500, 0, 9, &det), CONF);
	assert_int_equal(run(d, "allowed range", V4, "10.5.9.9", 1234, 0, 9, &det), NONE);
	assert_int_equal(run(d, "outside allowed range", V4, "10.6.0.1", 1234, 0, 9, &det), TRIG);
	assert_int_equal(run(d, "v6 allowed on 443", V6, "fd12::1", 443, 0, 9, &det), NONE);
	assert_int_equal(run(d, "v6 other port", V6, "fd12::1", 80, 0, 9, &det), TRIG);
	ssrf__free(d);
	cJSON_Delete((cJSON *)rule.params);
}

static void test_params_errors(void **state)
{
	/* clang-format off */
	static const struct {
		const char *json;
		const char *want; /* NULL: valid */
	} cases[] = {
		{"{}", NULL},
		{"{\"allow\": [\"10.0.0.1:5432\", \"[fd00::1]:443\", \"fd00::/8\", \"0.0.0.0/0\"], \"learning_seconds\": 0.5}",
		 NULL},
		{"[]", "$.params: expected an object"},
		{"{\"foo\": 1}", "$.params.foo: unknown key"},
		{"{\"private_ranges\": [\"10.0.0.0/8\", \"172.16.0.0/12\", \"10.0.0.0/33\"]}",
		 "$.params.private_ranges[2]: not an address range"},
		{"{\"private_ranges\": [\"300.1.1.1/8\"]}", "$.params.private_ranges[0]: not an address range"},
		{"{\"private_ranges\": [\"10.0.0.0/\"]}", "$.params.private_ranges[0]: not an address range"},
		{"{\"private_ranges\": [\"10.0.0.0/-1\"]}", "$.params.private_ranges[0]: not an address range"},
		{"{\"private_ranges\": [\"fc00::/129\"]}", "$.params.private_ranges[0]: not an address range"},
		{"{\"private_ranges\": [\"10.0.0.0/8x\"]}", "$.params.private_ranges[0]: not an address range"},
		{"{\"private_ranges\": [10]}", "$.params.private_ranges[0]: expected a string"},
		{"{\"private_ranges\": \"10.0.0.0/8\"}", "$.params.private_ranges: expected an array"},
		{"{\"metadata_addresses\": [\"169.254.169.254\", \"metadata.google.internal\"]}",
		 "$.params.metadata_addresses[1]: not an address"},
		{"{\"metadata_addresses\": [\"169.254.169.254/32\"]}", "$.params.metadata_addresses[0]: not an address"},
		{"{\"admin_ports\": [2375, 0]}", "$.params.admin_ports[1]: expected a port number 1..65535"},
		{"{\"admin_ports\": [70000]}", "$.params.admin_ports[0]: expected a port number 1..65535"},
		{"{\"admin_ports\": [2375.5]}", "$.params.admin_ports[0]: expected a port number 1..65535"},
		{"{\"admin_ports\": [\"2375\"]}", "$.params.admin_ports[0]: expected a port number 1..65535"},
		{"{\"learning_seconds\": -1}", "$.params.learning_seconds: expected a number of seconds 0..1e9"},
		{"{\"learning_seconds\": \"120\"}", "$.params.learning_seconds: expected a number of seconds 0..1e9"},
		{"{\"learned_max\": 0}", "$.params.learned_max: expected an integer 1..1000000"},
		{"{\"learned_max\": 1.5}", "$.params.learned_max: expected an integer 1..1000000"},
		{"{\"allow\": [\"10.0.0.0/8:0\"]}",
		 "$.params.allow[0]: expected an address range, \"RANGE:PORT\" or \"[RANGE]:PORT\""},
		{"{\"allow\": [\"10.0.0.1\", \"[fd00::/8]443\"]}",
		 "$.params.allow[1]: expected an address range, \"RANGE:PORT\" or \"[RANGE]:PORT\""},
		{"{\"allow\": [\"10.0.0.1:\"]}",
		 "$.params.allow[0]: expected an address range, \"RANGE:PORT\" or \"[RANGE]:PORT\""},
	};
	/* clang-format on */
	struct rule_family rule = {.name = "ssrf", .severity = "high"};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *p = cJSON_Parse(cases[i].json);
		struct ssrf *d;
		int ret;

		assert_non_null(p);
		strcpy(err, "untouched");
		ret = ssrf__check_params(p, err, sizeof(err));
		if (!cases[i].want) {
			CHECK_INT(cases[i].json, ret, 0);
			CHECK_STR(cases[i].json, err, "untouched");
		} else {
			CHECK_INT(cases[i].json, ret, -EINVAL);
			CHECK_STR(cases[i].json, err, cases[i].want);
			rule.params = p;
			strcpy(err, "");
			errno = 0;
			d = ssrf__new(&rule, err, sizeof(err));
			assert_null(d);
			CHECK_INT(cases[i].json, errno, EINVAL);
			CHECK_STR(cases[i].json, err, cases[i].want);
		}
		cJSON_Delete(p);
	}
}

static void test_null_arguments(void **state)
{
	struct tu_rule_file s;
	struct ssrf *d = new_shipped(&s);
	struct ssrf_input in = {.family = AF_INET, .addr = {169, 254, 169, 254}, .port = 80};
	struct detection det;
	char err[64] = "";

	assert_int_equal(ssrf__observe(NULL, &in, &det), -EINVAL);
	assert_int_equal(ssrf__observe(d, NULL, &det), -EINVAL);
	assert_int_equal(ssrf__observe(d, &in, NULL), -EINVAL);
	assert_int_equal(ssrf__observe(d, &in, &det), 1);
	errno = 0;
	assert_null(ssrf__new(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	CHECK_STR("new(NULL)", err, "no rule family");
	ssrf__free(NULL);
	ssrf__free(d);
	cJSON_Delete(s.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_file),	   cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_reasons),	   cmocka_unit_test(test_learning_bounded),
	    cmocka_unit_test(test_allow),	   cmocka_unit_test(test_params_errors),
	    cmocka_unit_test(test_null_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for agent/podmeta.c: the kubelet PodList parser on a realistic
 * two-pod list (one running pod with two containers, one of them restarted,
 * and one pending pod), label truncation, long strings cut on a UTF-8
 * boundary; the runtime parser on realistic containerd, CRI-O (container and
 * sandbox) and Docker files; tables of malformed inputs, each with the exact
 * message expected; and the cache: lookups through podmeta__new with the
 * runtime roots in temporary directories holding each runtime's layout, and
 * through podmeta__start with a fake pod-list source (merge, expiry). Run
 * from the repository root (fixtures in tests/fixtures/podmeta). No network.
 *
 * JSON written inline uses ' for " (converted before parsing): byte offsets
 * do not change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kubelet.h"
#include "podmeta.h"
#include "testutil.h"

#define FIXTURES "tests/fixtures/podmeta/"

#define ID_ORDERS "1c168adb00d208e42f93314529f1fa9c0427eb63233ceda95a5db52b7012a719"
#define ID_ORDERS_OLD "f105f27b6de00232843359cd3f3edf2391bdcdc9de6a61618ca0768ed0717921"
#define ID_ENVOY "84532b306f259587c364bd7301e0813963d5b84fd27c9338f0862dab8f0499d7"
#define ID_CRIO "c64064614423cb790e88b3e5492ff5ccf673b25ae823089f7a60c65cda24d809"
#define ID_DOCKER "d548c5b83fa61d8e3bd86ad42a7ffea9b7c86e3f9d8095c1577d3e1270bb9420"
#define ID_SANDBOX "b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc"
#define ID_UNKNOWN "0000000000000000000000000000000000000000000000000000000000000001"
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD_UID "5f1c2d3e-8a9b-4c0d-9e1f-2a3b4c5d6e7f"
#define POD_NAME "orders-7d9f8b6c5-x2k4q"

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

/* The whole file (caller frees); *len its size. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("%s: cannot open (run from the repository root)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void mkdirs(const char *path)
{
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- kubelet PodList ---- */

#define MAX_GOT 16

struct got {
	size_t n;
	struct pod_meta m[MAX_GOT];
};

static void collect(void *ctx, const struct pod_meta *m)
{
	struct got *g = ctx;

	if (g->n < MAX_GOT)
		g->m[g->n] = *m;
	g->n++;
}

static struct got *new_got(void)
{
	struct got *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	return g;
}

static void assert_label(const struct pod_meta *m, size_t i, const char *key, const char *value)
{
	assert_true(i < m->nlabels);
	assert_string_equal(m->labels[i].key, key);
	assert_string_equal(m->labels[i].value, value);
}

static void assert_orders_pod(const struct pod_meta *m)
{
	assert_string_equal(m->namespace_, "shop");
	assert_string_equal(m->pod, POD_NAME);
	assert_string_equal(m->pod_uid, POD_UID);
	assert_int_equal(m->nlabels, 3);
	assert_false(m->labels_truncated);
	assert_label(m, 0, "app", "orders");
	assert_label(m, 1, "app.kubernetes.io/part-of", "shop");
	assert_label(m, 2, "pod-template-hash", "7d9f8b6c5");
	assert_string_equal(m->source, "kubelet");
}

/* The realistic list: envoy, orders (running) and orders' previous
 * instance (lastState.terminated); the pending pod has no id: skipped. */
static void test_kubelet_pod_list(void **state)
{
	struct got *g = new_got();
	char err[256] = "x";
	size_t len;
	char *json = slurp(FIXTURES "kubelet-pods.json", &len);

	assert_int_equal(podmeta__parse_kubelet("pods.json", json, len, collect, g, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(g->n, 3);

	assert_string_equal(g->m[0].container_id, ID_ENVOY);
	assert_string_equal(g->m[0].container, "envoy");
	assert_string_equal(g->m[0].image, "docker.io/envoyproxy/envoy:v1.30.1");
	assert_orders_pod(&g->m[0]);

	assert_string_equal(g->m[1].container_id, ID_ORDERS);
	assert_string_equal(g->m[1].container, "orders");
	assert_string_equal(g->m[1].image, "registry.example.com/shop/orders:2.3.1");
	assert_orders_pod(&g->m[1]);

	assert_string_equal(g->m[2].container_id, ID_ORDERS_OLD);
	assert_string_equal(g->m[2].container, "orders");
	assert_string_equal(g->m[2].image, "registry.example.com/shop/orders:2.3.1");
	assert_orders_pod(&g->m[2]);
	free(json);
	free(g);
}

/* Init and ephemeral containers, every runtime scheme, upper-case hex,
 * a pod without metadata, empty and null lists. */
static void test_kubelet_variants(void **state)
{
	static const char list[] =
	    "{'items':[{'metadata':{'namespace':'n','name':'p','uid':'u'},'status':{"
	    "'initContainerStatuses':[{'name':'init','image':'i0','containerID':'cri-o://" H64 "'}],"
	    "'containerStatuses':[{'name':'c','image':'i1','containerID':'docker://" ID_DOCKER "'},"
	    "{'name':'w','image':'i2','containerID':''},{'name':'x','image':'i3','containerID':null}],"
	    "'ephemeralContainerStatuses':[{'name':'debug','image':'busybox','containerID':"
	    "'containerd://ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789'}]}},"
	    "{'status':{'containerStatuses':[{'containerID':'containerd://" ID_CRIO "'}]}},"
	    "{'metadata':null,'status':null},{}]}";
	static const char *const empty[] = {"{'items':[]}", "{'items':null}", "{'kind':'PodList'}", "{}",
					    "{'kind':'PodList','apiVersion':'v1','metadata':{},'items':null}"};
	struct got *g = new_got();
	char err[256], *json = dq(list);
	size_t i;

	assert_int_equal(podmeta__parse_kubelet("k.json", json, strlen(json), collect, g, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(g->n, 4);
	assert_string_equal(g->m[0].container_id, H64);
	assert_string_equal(g->m[0].container, "init");
	assert_string_equal(g->m[0].image, "i0");
	assert_string_equal(g->m[0].namespace_, "n");
	assert_string_equal(g->m[0].pod, "p");
	assert_string_equal(g->m[0].pod_uid, "u");
	assert_int_equal(g->m[0].nlabels, 0);
	assert_string_equal(g->m[1].container_id, ID_DOCKER);
	assert_string_equal(g->m[1].container, "c");
	assert_string_equal(g->m[2].container_id, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	assert_string_equal(g->m[2].container, "debug");
	assert_string_equal(g->m[3].container_id, ID_CRIO);
	assert_string_equal(g->m[3].namespace_, "");
	assert_string_equal(g->m[3].container, "");
	assert_string_equal(g->m[3].source, "kubelet");

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		memset(g, 0, sizeof(*g));
		json = dq(empty[i]);
		assert_int_equal(podmeta__parse_kubelet("k.json", json, strlen(json), collect, g, err, sizeof(err)), 0);
		assert_int_equal(g->n, 0);
		free(json);
	}
	free(g);
}

/* A pod with n labels l00..; one running container. */
static char *labels_pod(size_t n)
{
	size_t cap = 256 + n * 32, len = 0, i;
	char *json = malloc(cap);

	assert_non_null(json);
	len += (size_t)sprintf(json + len, "{\"items\":[{\"metadata\":{\"labels\":{");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(json + len, "%s\"l%02zu\":\"v%zu\"", i ? "," : "", i, i);
	sprintf(json + len, "}},\"status\":{\"containerStatuses\":[{\"containerID\":\"containerd://%s\"}]}}]}", H64);
	return json;
}

static void test_label_truncation(void **state)
{
	struct got *g = new_got();
	char err[256], key[8], value[8], *json;
	size_t n;

	for (n = PODMETA_MAX_LABELS - 1; n <= PODMETA_MAX_LABELS + 8; n++) {
		memset(g, 0, sizeof(*g));
		json = labels_pod(n);
		assert_int_equal(podmeta__parse_kubelet("k.json", json, strlen(json), collect, g, err, sizeof(err)), 0);
		free(json);
		assert_int_equal(g->n, 1);
		assert_int_equal(g->m[0].nlabels, n < PODMETA_MAX_LABELS ? n : PODMETA_MAX_LABELS);
		assert_int_equal(g->m[0].labels_truncated, n > PODMETA_MAX_LABELS);
		/* the first ones, in document order */
		assert_label(&g->m[0], 0, "l00", "v0");
		snprintf(key, sizeof(key), "l%02zu", g->m[0].nlabels - 1);
		snprintf(value, sizeof(value), "v%zu", g->m[0].nlabels - 1);
		assert_label(&g->m[0], g->m[0].nlabels - 1, key, value);
	}
	free(g);
}

/* Longer than the fields: cut, terminated, on a UTF-8 character boundary. */
static void test_long_strings(void **state)
{
	struct got *g = new_got();
	size_t i, n = 100000, len = 0;
	char *json = malloc(8 * n + 512), err[256];
	char *big = malloc(n + 1), *utf = malloc(2 * n + 1);

	assert_non_null(json);
	assert_non_null(big);
	assert_non_null(utf);
	memset(big, 'a', n);
	big[n] = '\0';
	/* "xé" repeated: the 255-byte cut falls inside an 'é' */
	for (i = 0; i < 2 * n / 3; i += 3)
		memcpy(utf + i, "x\xc3\xa9", 3);
	utf[i] = '\0';
	len += (size_t)sprintf(json + len,
			       "{\"items\":[{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\",\"uid\":\"%s\","
			       "\"labels\":{\"%s\":\"%s\"}},",
			       big, utf, big, big, utf);
	sprintf(json + len,
		"\"status\":{\"containerStatuses\":[{\"name\":\"%s\",\"image\":\"%s\",\"containerID\":\"docker://"
		"%s\"}]}}]}",
		utf, big, H64);
	assert_int_equal(podmeta__parse_kubelet("k.json", json, strlen(json), collect, g, err, sizeof(err)), 0);
	assert_int_equal(g->n, 1);
	assert_int_equal(strlen(g->m[0].namespace_), PODMETA_STR - 1);
	assert_int_equal(strlen(g->m[0].pod_uid), sizeof(g->m[0].pod_uid) - 1);
	assert_int_equal(strlen(g->m[0].image), PODMETA_STR - 1);
	assert_int_equal(strlen(g->m[0].labels[0].key), PODMETA_STR - 1);
	/* 85 "xé" are 255 bytes: all fit */
	assert_int_equal(strlen(g->m[0].pod), 255);
	assert_memory_equal(g->m[0].pod, utf, 255);
	/* "é" repeated: 255 bytes would end inside the 128th: cut to 254 */
	memset(g, 0, sizeof(*g));
	for (i = 0; i + 2 < 2 * n; i += 2)
		memcpy(utf + i, "\xc3\xa9", 2);
	utf[i] = '\0';
	sprintf(json,
		"{\"items\":[{\"metadata\":{\"name\":\"%s\"},\"status\":{\"containerStatuses\":"
		"[{\"containerID\":\"docker://%s\"}]}}]}",
		utf, H64);
	assert_int_equal(podmeta__parse_kubelet("k.json", json, strlen(json), collect, g, err, sizeof(err)), 0);
	assert_int_equal(g->n, 1);
	assert_int_equal(strlen(g->m[0].pod), 254);
	assert_memory_equal(g->m[0].pod, utf, 254);
	free(json);
	free(big);
	free(utf);
	free(g);
}

struct bad_case {
	const char *json; /* ' for " */
	const char *msg;
};

#define POD(x) "{'items':[{'metadata':{'name':'p'},'status':{'containerStatuses':[" x "]}}]}"
#define META(x) "{'items':[{'metadata':{" x "}}]}"
#define CS "$.items[0].status.containerStatuses[0]"

static const struct bad_case bad_kubelet[] = {
    /* syntax, at the line and column where the JSON stops (cJSON names the
     * last byte when the text ends too early) */
    {"", "k.json:1:1: invalid JSON"},
    {"   \n\n", "k.json:2:1: invalid JSON"},
    {"{\n  'items': [,]\n}", "k.json:2:13: invalid JSON"},
    {"{'items':[]}\n\n  x", "k.json:3:3: invalid JSON"},
    /* an unterminated string: where it starts */
    {"{'items':[{'metadata':{'name':'a}]}", "k.json:1:32: invalid JSON"},
    {"{'items':[1 2]}", "k.json:1:13: invalid JSON"},
    /* a trailing comma: cJSON stops one byte past the '}' */
    {"{'items':[{'metadata':{'labels':{'a':'b',}}}]}", "k.json:1:43: invalid JSON"},
    /* top level */
    {"[]", "k.json: $: expected an object (a PodList), got an array"},
    {"null", "k.json: $: expected an object (a PodList), got null"},
    {"{'kind':'Status','status':'Failure','message':'Unauthorized'}",
     "k.json: $.kind: \"Status\": expected \"PodList\""},
    {"{'kind':1}", "k.json: $.kind: expected a string, got a number"},
    {"{'items':{}}", "k.json: $.items: expected an array, got an object"},
    {"{'items':'pods'}", "k.json: $.items: expected an array, got a string"},
    {"{'items':[1]}", "k.json: $.items[0]: expected an object, got a number"},
    {"{'items':[{},[]]}", "k.json: $.items[1]: expected an object, got an array"},
    /* metadata */
    {"{'items':[{'metadata':[]}]}", "k.json: $.items[0].metadata: expected an object, got an array"},
    {META("'name':7"), "k.json: $.items[0].metadata.name: expected a string, got a number"},
    {META("'namespace':true"), "k.json: $.items[0].metadata.namespace: expected a string, got a boolean"},
    {META("'uid':{}"), "k.json: $.items[0].metadata.uid: expected a string, got an object"},
    {META("'labels':['app']"), "k.json: $.items[0].metadata.labels: expected an object, got an array"},
    {META("'labels':'app=orders'"), "k.json: $.items[0].metadata.labels: expected an object, got a string"},
    {META("'labels':{'app':1}"), "k.json: $.items[0].metadata.labels.app: expected a string, got a number"},
    {META("'labels':{'a':'b','app.kubernetes.io/name':null}"),
     "k.json: $.items[0].metadata.labels[\"app.kubernetes.io/name\"]: expected a string, got null"},
    {META("'labels':{'" H64 "xyz':false}"),
     "k.json: $.items[0].metadata.labels[\"" H64 "...\"]: expected a string, got a boolean"},
    /* status */
    {"{'items':[{'status':'Running'}]}", "k.json: $.items[0].status: expected an object, got a string"},
    {"{'items':[{'status':{'containerStatuses':{}}}]}",
     "k.json: $.items[0].status.containerStatuses: expected an array, got an object"},
    {"{'items':[{'status':{'initContainerStatuses':1}}]}",
     "k.json: $.items[0].status.initContainerStatuses: expected an array, got a number"},
    {"{'items':[{'status':{'ephemeralContainerStatuses':'x'}}]}",
     "k.json: $.items[0].status.ephemeralContainerStatuses: expected an array, got a string"},
    {POD("'envoy'"), "k.json: " CS ": expected an object, got a string"},
    {POD("{'name':['orders']}"), "k.json: " CS ".name: expected a string, got an array"},
    {"{'items':[{},{'status':{'containerStatuses':[{},{'name':'c','image':5}]}}]}",
     "k.json: $.items[1].status.containerStatuses[1].image: expected a string, got a number"},
    {POD("{'containerID':42}"), "k.json: " CS ".containerID: expected a string, got a number"},
    /* container ids */
    {POD("{'containerID':'containerd:" H64 "'}"),
     "k.json: " CS ".containerID: \"containerd:" H64 "\": expected <runtime>://<64 hex digits>, e.g. "
     "containerd://<id>"},
    {POD("{'containerID':'" H64 "'}"),
     "k.json: " CS ".containerID: \"" H64 "\": expected <runtime>://<64 hex digits>, e.g. containerd://<id>"},
    {POD("{'containerID':'://" H64 "'}"),
     "k.json: " CS ".containerID: \"://" H64 "\": expected <runtime>://<64 hex digits>, e.g. containerd://<id>"},
    {POD("{'containerID':'Containerd://" H64 "'}"),
     "k.json: " CS ".containerID: \"Containerd://" H64 "\": expected <runtime>://<64 hex digits>, e.g. "
     "containerd://<id>"},
    {POD("{'containerID':'docker://abc123'}"),
     "k.json: " CS ".containerID: \"docker://abc123\": expected 64 hex digits after \"docker://\", got 6 "
     "characters"},
    {POD("{'containerID':'cri-o://" H64 "0'}"),
     "k.json: " CS ".containerID: \"cri-o://" H64 "0\": expected 64 hex digits after \"cri-o://\", got 65 "
     "characters"},
    {POD("{'containerID':'containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg'}"),
     "k.json: " CS ".containerID: \"containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\": "
     "expected 64 hex digits after \"containerd://\", found a non-hex character at 64"},
    {POD("{'containerID':'containerd:// " H64 "'}"),
     "k.json: " CS ".containerID: \"containerd:// " H64 "\": expected 64 hex digits after \"containerd://\", "
     "found a non-hex character at 1"},
    {"{'items':[{'status':{'initContainerStatuses':[{'containerID':'cri-o://xyz'}]}}]}",
     "k.json: $.items[0].status.initContainerStatuses[0].containerID: \"cri-o://xyz\": expected 64 hex digits "
     "after \"cri-o://\", found a non-hex character at 1"},
    /* the previous instance */
    {POD("{'containerID':'docker://" H64 "','lastState':[]}"),
     "k.json: " CS ".lastState: expected an object, got an array"},
    {POD("{'lastState':{'terminated':'OOMKilled'}}"),
     "k.json: " CS ".lastState.terminated: expected an object, got a string"},
    {POD("{'lastState':{'terminated':{'containerID':'docker://1'}}}"),
     "k.json: " CS ".lastState.terminated.containerID: \"docker://1\": expected 64 hex digits after "
     "\"docker://\", got 1 characters"},
    /* a good pod before a bad one: nothing reported (checked below) */
    {"{'items':[{'status':{'containerStatuses':[{'containerID':'docker://" H64 "'}]}},{'metadata':1}]}",
     "k.json: $.items[1].metadata: expected an object, got a number"},
};

static void test_kubelet_bad(void **state)
{
	struct got *g = new_got();
	size_t i;

	assert_true(sizeof(bad_kubelet) / sizeof(bad_kubelet[0]) >= 25);
	for (i = 0; i < sizeof(bad_kubelet) / sizeof(bad_kubelet[0]); i++) {
		char err[512] = "", *json = dq(bad_kubelet[i].json);
		int rc;

		g->n = 0;
		rc = podmeta__parse_kubelet("k.json", json, strlen(json), collect, g, err, sizeof(err));
		if (rc != -EINVAL || strcmp(err, bad_kubelet[i].msg) != 0)
			print_error("case %zu: %s\n  got:  %s (%d)\n  want: %s\n", i, bad_kubelet[i].json, err, rc,
				    bad_kubelet[i].msg);
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(err, bad_kubelet[i].msg);
		/* fn runs only for a list valid as a whole */
		assert_int_equal(g->n, 0);
		free(json);
	}
	free(g);
}

/* Inputs not expressible with the ' convention; argument checks; messages
 * cut to fit the buffer. */
static void test_kubelet_bad_raw(void **state)
{
	static const char nul[] = "{\"items\":\n [\0]}";
	struct got *g = new_got();
	char err[512], small[12], *deep;
	size_t i;

	assert_int_equal(podmeta__parse_kubelet("k.json", nul, sizeof(nul) - 1, collect, g, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k.json:2:3: invalid JSON");

	/* nesting beyond cJSON's limit is a syntax error, not a crash */
	deep = malloc(20001);
	assert_non_null(deep);
	memset(deep, '[', 20000);
	deep[20000] = '\0';
	assert_int_equal(podmeta__parse_kubelet("k.json", deep, 20000, collect, g, err, sizeof(err)), -EINVAL);
	assert_memory_equal(err, "k.json:1:", 9);
	free(deep);

	assert_int_equal(podmeta__parse_kubelet("k.json", "[]", 2, collect, g, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "k.json: $: ");
	assert_int_equal(podmeta__parse_kubelet("k.json", "[]", 2, collect, g, NULL, 0), -EINVAL);
	assert_int_equal(podmeta__parse_kubelet("k.json", NULL, 5, collect, g, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k.json: invalid argument");
	assert_int_equal(podmeta__parse_kubelet(NULL, "{}", 2, NULL, g, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "kubelet: invalid argument");
	/* only len bytes are read */
	assert_int_equal(podmeta__parse_kubelet("k.json", "{}garbage", 2, collect, g, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(err); i++)
		err[i] = 'x';
	assert_int_equal(podmeta__parse_kubelet("k.json", "{}", 2, collect, g, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(g->n, 0);
	free(g);
}

/* ---- runtime files ---- */

static void parse_fixture(const char *kind, const char *file, struct pod_meta *m)
{
	char err[512] = "x", path[256];
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), FIXTURES "%s", file);
	buf = slurp(path, &len);
	if (podmeta__parse_runtime(kind, path, buf, len, m, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	assert_string_equal(err, "");
	free(buf);
}

static void test_runtime_files(void **state)
{
	struct pod_meta *m = malloc(sizeof(*m));

	assert_non_null(m);
	parse_fixture("containerd", "containerd-config.json", m);
	assert_string_equal(m->source, "containerd");
	assert_string_equal(m->container_id, "");
	assert_string_equal(m->namespace_, "shop");
	assert_string_equal(m->pod, POD_NAME);
	assert_string_equal(m->pod_uid, POD_UID);
	assert_string_equal(m->container, "orders");
	assert_string_equal(m->image, "registry.example.com/shop/orders:2.3.1");
	assert_int_equal(m->nlabels, 0);

	parse_fixture("cri-o", "crio-config.json", m);
	assert_string_equal(m->source, "cri-o");
	assert_string_equal(m->namespace_, "shop");
	assert_string_equal(m->pod, POD_NAME);
	assert_string_equal(m->pod_uid, POD_UID);
	assert_string_equal(m->container, "orders");
	assert_string_equal(m->image, "quay.io/shop/orders:2.3.1");
	/* a container's CRI labels are the kubelet's bookkeeping only */
	assert_int_equal(m->nlabels, 0);

	parse_fixture("cri-o", "crio-sandbox-config.json", m);
	assert_string_equal(m->source, "cri-o");
	assert_string_equal(m->pod, POD_NAME);
	assert_string_equal(m->container, "");
	assert_int_equal(m->nlabels, 3);
	assert_label(m, 0, "app", "orders");
	assert_label(m, 1, "app.kubernetes.io/part-of", "shop");
	assert_label(m, 2, "pod-template-hash", "7d9f8b6c5");

	parse_fixture("docker", "docker-config.v2.json", m);
	assert_string_equal(m->source, "docker");
	assert_string_equal(m->namespace_, "shop");
	assert_string_equal(m->pod, POD_NAME);
	assert_string_equal(m->pod_uid, POD_UID);
	assert_string_equal(m->container, "orders");
	assert_string_equal(m->image, "registry.example.com/shop/orders:2.3.1");
	assert_int_equal(m->nlabels, 0);
	free(m);
}

/* Files that are fine but say nothing: no source. The CRI-O labels string
 * fills what the annotations left out. */
static void test_runtime_sparse(void **state)
{
	static const struct {
		const char *kind, *json;
	} cases[] = {
	    {"containerd", "{}"},
	    {"containerd", "{'annotations':null}"},
	    {"containerd", "{'annotations':{'io.kubernetes.cri.container-type':'sandbox','other':1}}"},
	    {"cri-o", "{'annotations':{}}"},
	    {"docker", "{'Config':{'Labels':null}}"},
	    {"docker", "{'ID':'x','Config':{'Labels':{'maintainer':'someone'}}}"},
	};
	struct pod_meta *m = malloc(sizeof(*m));
	char err[512], *json;
	size_t i;

	assert_non_null(m);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json = dq(cases[i].json);
		assert_int_equal(
		    podmeta__parse_runtime(cases[i].kind, "c.json", json, strlen(json), m, err, sizeof(err)), 0);
		assert_null(m->source);
		assert_string_equal(m->pod, "");
		free(json);
	}
	json = dq("{'annotations':{'io.kubernetes.pod.name':'p','io.kubernetes.cri-o.Labels':"
		  "'{\\'io.kubernetes.pod.name\\':\\'q\\',\\'io.kubernetes.pod.namespace\\':\\'ns\\',\\'tier\\':\\'"
		  "web\\'}'}}");
	assert_int_equal(podmeta__parse_runtime("cri-o", "c.json", json, strlen(json), m, err, sizeof(err)), 0);
	assert_string_equal(m->pod, "p");
	assert_string_equal(m->namespace_, "ns");
	assert_int_equal(m->nlabels, 1);
	assert_label(m, 0, "tier", "web");
	free(json);
	free(m);
}

#define CRIO_LABELS(s) "{'annotations':{'io.kubernetes.cri-o.Labels':" s "}}"
#define AN "$.annotations[\"io.kubernetes.cri-o.Labels\"]"

static const struct {
	const char *kind, *json, *msg;
} bad_runtime[] = {
    {"containerd", "", "c.json:1:1: invalid JSON"},
    {"containerd", "{\n 'annotations': {\n", "c.json:2:18: invalid JSON"},
    {"containerd", "[]", "c.json: $: expected an object, got an array"},
    {"containerd", "{'annotations':[]}", "c.json: $.annotations: expected an object, got an array"},
    {"containerd", "{'annotations':{'io.kubernetes.cri.sandbox-name':1}}",
     "c.json: $.annotations[\"io.kubernetes.cri.sandbox-name\"]: expected a string, got a number"},
    {"containerd", "{'annotations':{'io.kubernetes.cri.image-name':{}}}",
     "c.json: $.annotations[\"io.kubernetes.cri.image-name\"]: expected a string, got an object"},
    {"cri-o", "{'annotations':'x'}", "c.json: $.annotations: expected an object, got a string"},
    {"cri-o", "{'annotations':{'io.kubernetes.pod.uid':false}}",
     "c.json: $.annotations[\"io.kubernetes.pod.uid\"]: expected a string, got a boolean"},
    {"cri-o", CRIO_LABELS("7"), "c.json: " AN ": expected a string, got a number"},
    {"cri-o", CRIO_LABELS("'{\\'app\\':'"), "c.json: " AN ": invalid JSON inside the string at byte 8"},
    {"cri-o", CRIO_LABELS("''"), "c.json: " AN ": invalid JSON inside the string at byte 1"},
    {"cri-o", CRIO_LABELS("'{} x'"), "c.json: " AN ": invalid JSON inside the string at byte 4"},
    {"cri-o", CRIO_LABELS("'[1]'"), "c.json: " AN ": expected a JSON object inside the string, got an array"},
    {"cri-o", CRIO_LABELS("'{\\'app\\':1}'"), "c.json: " AN ".app: expected a string, got a number"},
    {"docker", "{'Config':[]}", "c.json: $.Config: expected an object, got an array"},
    {"docker", "{'Config':{'Image':1}}", "c.json: $.Config.Image: expected a string, got a number"},
    {"docker", "{'Config':{'Labels':['a']}}", "c.json: $.Config.Labels: expected an object, got an array"},
    {"docker", "{'Config':{'Labels':{'io.kubernetes.pod.name':null,'io.kubernetes.pod.namespace':2}}}",
     "c.json: $.Config.Labels[\"io.kubernetes.pod.namespace\"]: expected a string, got a number"},
    {"podman", "{}", "c.json: unknown runtime kind \"podman\"; expected containerd, cri-o or docker"},
    {NULL, "{}", "c.json: unknown runtime kind \"(null)\"; expected containerd, cri-o or docker"},
};

static void test_runtime_bad(void **state)
{
	struct pod_meta *m = malloc(sizeof(*m));
	size_t i;

	assert_non_null(m);
	for (i = 0; i < sizeof(bad_runtime) / sizeof(bad_runtime[0]); i++) {
		char err[512] = "", *json = dq(bad_runtime[i].json);
		int rc;

		memset(m, 'x', sizeof(*m));
		rc = podmeta__parse_runtime(bad_runtime[i].kind, "c.json", json, strlen(json), m, err, sizeof(err));
		if (rc != -EINVAL || strcmp(err, bad_runtime[i].msg) != 0)
			print_error("case %zu: %s\n  got:  %s (%d)\n  want: %s\n", i, bad_runtime[i].json, err, rc,
				    bad_runtime[i].msg);
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(err, bad_runtime[i].msg);
		/* nothing half-filled */
		assert_null(m->source);
		assert_string_equal(m->pod, "");
		free(json);
	}
	free(m);
}

/* ---- the cache, runtime files only ---- */

struct roots {
	char *dir;
	char containerd[4096], crio[4096], docker[4096];
};

/* A temporary directory with the three runtimes' layouts, one container each:
 * containerd ID_ORDERS, CRI-O ID_CRIO, Docker ID_DOCKER. */
static void make_roots(struct roots *r)
{
	char path[4200], *buf;
	size_t len;

	r->dir = tu_tmpdir();
	assert_non_null(r->dir);
	snprintf(r->containerd, sizeof(r->containerd), "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io",
		 r->dir);
	snprintf(r->crio, sizeof(r->crio), "%s/run/containers/storage/overlay-containers", r->dir);
	snprintf(r->docker, sizeof(r->docker), "%s/var/lib/docker/containers", r->dir);

	snprintf(path, sizeof(path), "%s/" ID_ORDERS, r->containerd);
	mkdirs(path);
	buf = slurp(FIXTURES "containerd-config.json", &len);
	strcat(path, "/config.json");
	tu_write_file(NULL, path, buf, len);
	free(buf);

	snprintf(path, sizeof(path), "%s/" ID_CRIO "/userdata", r->crio);
	mkdirs(path);
	buf = slurp(FIXTURES "crio-config.json", &len);
	strcat(path, "/config.json");
	tu_write_file(NULL, path, buf, len);
	free(buf);

	snprintf(path, sizeof(path), "%s/" ID_DOCKER, r->docker);
	mkdirs(path);
	buf = slurp(FIXTURES "docker-config.v2.json", &len);
	strcat(path, "/config.v2.json");
	tu_write_file(NULL, path, buf, len);
	free(buf);
}

static void free_roots(struct roots *r)
{
	tu_rmtree(r->dir);
	free(r->dir);
}

static void test_lookup_runtime_roots(void **state)
{
	struct pod_meta *m = malloc(sizeof(*m));
	struct podmeta_opts o = {0};
	struct podmeta_stats st;
	char err[256] = "x", path[4200];
	struct podmeta *pm;
	struct roots r;
	double t;
	int i;

	assert_non_null(m);
	make_roots(&r);
	o.containerd_root = r.containerd;
	o.crio_root = r.crio;
	o.docker_root = r.docker;
	pm = podmeta__new(&o, err, sizeof(err));
	assert_non_null(pm);
	assert_string_equal(err, "");

	for (i = 0; i < 2; i++) { /* the second time from the cache */
		assert_true(podmeta__lookup(pm, ID_ORDERS, m));
		assert_string_equal(m->source, "containerd");
		assert_string_equal(m->container_id, ID_ORDERS);
		assert_string_equal(m->namespace_, "shop");
		assert_string_equal(m->pod, POD_NAME);
		assert_string_equal(m->pod_uid, POD_UID);
		assert_string_equal(m->container, "orders");
		assert_string_equal(m->image, "registry.example.com/shop/orders:2.3.1");

		assert_true(podmeta__lookup(pm, ID_CRIO, m));
		assert_string_equal(m->source, "cri-o");
		assert_string_equal(m->container_id, ID_CRIO);
		assert_string_equal(m->image, "quay.io/shop/orders:2.3.1");

		/* upper case is the same id */
		assert_true(podmeta__lookup(pm, "D548C5B83FA61D8E3BD86AD42A7FFEA9B7C86E3F9D8095C1577D3E1270BB9420", m));
		assert_string_equal(m->source, "docker");
		assert_string_equal(m->container_id, ID_DOCKER);
		assert_string_equal(m->container, "orders");
	}
	podmeta__stats(pm, &st);
	assert_int_equal(st.runtime_reads, 3);
	assert_int_equal(st.runtime_errors, 0);
	assert_int_equal(st.hits, 6);
	assert_int_equal(st.misses, 0);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.kubelet_fetches, 0);
	assert_true(st.last_success_age_s == -1);

	/* unknown: false at once, out zeroed but for the id; the second time
	 * the remembered miss reads nothing */
	memset(m, 'x', sizeof(*m));
	t = now_s();
	assert_false(podmeta__lookup(pm, ID_UNKNOWN, m));
	assert_true(now_s() - t < 0.05);
	assert_string_equal(m->container_id, ID_UNKNOWN);
	assert_null(m->source);
	assert_string_equal(m->pod, "");
	assert_int_equal(m->nlabels, 0);
	assert_false(podmeta__lookup(pm, ID_UNKNOWN, m));
	podmeta__stats(pm, &st);
	assert_int_equal(st.runtime_reads, 3);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.entries, 4);

	/* not an id */
	assert_false(podmeta__lookup(pm, "abc", m));
	assert_string_equal(m->container_id, "");
	assert_false(podmeta__lookup(pm, ID_UNKNOWN "0", m));
	assert_false(podmeta__lookup(pm, NULL, m));
	assert_false(podmeta__lookup(pm, ID_ORDERS, NULL));
	assert_false(podmeta__lookup(NULL, ID_ORDERS, m));
	assert_string_equal(m->container_id, ID_ORDERS);

	/* an unparseable file: counted, nothing known */
	snprintf(path, sizeof(path), "%s/" H64, r.containerd);
	mkdirs(path);
	strcat(path, "/config.json");
	tu_write_file(NULL, path, "{\"annotations\": [", 17);
	assert_false(podmeta__lookup(pm, H64, m));
	podmeta__stats(pm, &st);
	assert_int_equal(st.runtime_reads, 4);
	assert_int_equal(st.runtime_errors, 1);
	podmeta__free(pm);

	/* "" disables a root */
	o.containerd_root = "";
	pm = podmeta__new(&o, err, sizeof(err));
	assert_non_null(pm);
	assert_false(podmeta__lookup(pm, ID_ORDERS, m));
	assert_true(podmeta__lookup(pm, ID_CRIO, m));
	podmeta__free(pm);
	podmeta__free(NULL);
	free_roots(&r);
	free(m);
}

/* cache_max bounds the entries; the least recently used go first. */
static void test_cache_max(void **state)
{
	struct pod_meta *m = malloc(sizeof(*m));
	struct podmeta_opts o = {.cache_max = 4};
	struct podmeta_stats st;
	char id[65], err[256];
	struct podmeta *pm;
	struct roots r;
	int i;

	assert_non_null(m);
	make_roots(&r);
	o.containerd_root = r.containerd;
	o.crio_root = r.crio;
	o.docker_root = r.docker;
	pm = podmeta__new(&o, err, sizeof(err));
	assert_non_null(pm);
	assert_true(podmeta__lookup(pm, ID_ORDERS, m));
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "%064x", i + 1);
		assert_false(podmeta__lookup(pm, id, m));
		/* kept in use: stays */
		assert_true(podmeta__lookup(pm, ID_ORDERS, m));
		podmeta__stats(pm, &st);
		assert_true(st.entries <= 4);
	}
	podmeta__stats(pm, &st);
	assert_int_equal(st.runtime_reads, 1);
	podmeta__free(pm);
	free_roots(&r);
	free(m);
}

/* Entries whose runtime file is gone expire (every refresh_seconds). */
static void test_runtime_expiry(void **state)
{
	struct pod_meta *m = malloc(sizeof(*m));
	struct podmeta_opts o = {.refresh_seconds = 1};
	struct podmeta_stats st;
	char err[256], path[4200];
	struct podmeta *pm;
	struct roots r;
	double end;

	assert_non_null(m);
	make_roots(&r);
	o.containerd_root = r.containerd;
	o.crio_root = r.crio;
	o.docker_root = r.docker;
	pm = podmeta__new(&o, err, sizeof(err));
	assert_non_null(pm);
	assert_true(podmeta__lookup(pm, ID_ORDERS, m));
	assert_true(podmeta__lookup(pm, ID_CRIO, m));
	snprintf(path, sizeof(path), "%s/" ID_ORDERS "/config.json", r.containerd);
	assert_int_equal(unlink(path), 0);
	for (end = now_s() + 5; now_s() < end; usleep(50000)) {
		podmeta__stats(pm, &st);
		if (st.entries == 1)
			break;
	}
	assert_int_equal(st.entries, 1);
	/* the one still on disk stayed, answered without reading again */
	assert_true(podmeta__lookup(pm, ID_CRIO, m));
	assert_false(podmeta__lookup(pm, ID_ORDERS, m));
	podmeta__free(pm);
	free_roots(&r);
	free(m);
}

/* ---- the cache with a fake pod-list source ---- */

struct fake {
	pthread_mutex_t lock;
	char *list; /* served as is; NULL: fail */
	int calls;
	bool freed;
};

static int fake_get(void *ctx, char **body, size_t *len, char *err, size_t errlen)
{
	struct fake *f = ctx;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	f->calls++;
	if (f->list) {
		*body = strdup(f->list);
		*len = strlen(f->list);
	} else {
		snprintf(err, errlen, "fake kubelet: HTTP 500");
		rc = -EIO;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static void fake_free(void *ctx)
{
	struct fake *f = ctx;

	f->freed = true;
}

static void fake_set(struct fake *f, const char *list)
{
	pthread_mutex_lock(&f->lock);
	free(f->list);
	f->list = list ? dq(list) : NULL;
	pthread_mutex_unlock(&f->lock);
}

static int fake_calls(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->calls;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Wait up to s seconds for podmeta__lookup(id) to be known. */
static bool wait_known(struct podmeta *pm, const char *id, struct pod_meta *m, double s)
{
	double end = now_s() + s;

	do {
		if (podmeta__lookup(pm, id, m))
			return true;
		usleep(20000);
	} while (now_s() < end);
	return false;
}

#define LIST_A                                                                                                         \
	"{'items':[{'metadata':{'namespace':'shop','name':'orders-1','uid':'u1','labels':{'app':'orders'}},"           \
	"'status':{'containerStatuses':[{'name':'orders','containerID':'containerd://" ID_ORDERS "'},"                 \
	"{'name':'envoy','image':'envoy:1','containerID':'containerd://" ID_ENVOY "'}]}}]}"

/* The kubelet wins where it knows a field; the runtime file fills the rest;
 * a container the kubelet no longer lists keeps its data while its runtime
 * file is there, and goes when that is gone too. */
static void test_merge_and_expiry(void **state)
{
	struct pod_meta *m = malloc(sizeof(*m));
	struct podmeta_opts o = {.refresh_seconds = 1};
	struct fake f = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct podmeta_fetch pf = {.ctx = &f, .get = fake_get, .free = fake_free};
	struct podmeta_stats st;
	char err[256], path[4200];
	struct podmeta *pm;
	struct roots r;
	double end;

	assert_non_null(m);
	make_roots(&r);
	o.containerd_root = r.containerd;
	o.crio_root = r.crio;
	o.docker_root = r.docker;
	fake_set(&f, LIST_A);
	pm = podmeta__start(&o, &pf, err, sizeof(err));
	assert_non_null(pm);
	assert_true(wait_known(pm, ID_ENVOY, m, 3));
	assert_string_equal(m->source, "kubelet");
	assert_string_equal(m->image, "envoy:1");

	/* orders: the list has no image; the containerd file has one. The
	 * lookup was answered by the list, so the file was never read. */
	assert_true(podmeta__lookup(pm, ID_ORDERS, m));
	assert_string_equal(m->source, "kubelet");
	assert_string_equal(m->pod, "orders-1");
	assert_string_equal(m->image, "");
	assert_int_equal(m->nlabels, 1);
	assert_label(m, 0, "app", "orders");

	/* the CRI-O container is not in the list: from its file */
	assert_true(podmeta__lookup(pm, ID_CRIO, m));
	assert_string_equal(m->source, "cri-o");
	assert_string_equal(m->pod, POD_NAME);

	/* a list without the envoy (no runtime file) and orders (file on disk) */
	fake_set(&f, "{'items':[]}");
	for (end = now_s() + 5; now_s() < end; usleep(50000)) {
		if (!podmeta__lookup(pm, ID_ENVOY, m))
			break;
	}
	assert_false(podmeta__lookup(pm, ID_ENVOY, m));
	assert_true(podmeta__lookup(pm, ID_ORDERS, m));
	assert_string_equal(m->source, "kubelet");
	assert_string_equal(m->pod, "orders-1");

	/* a failing source: counted, cache kept */
	fake_set(&f, NULL);
	for (end = now_s() + 5; now_s() < end; usleep(50000)) {
		podmeta__stats(pm, &st);
		if (st.kubelet_errors >= 1)
			break;
	}
	assert_true(st.kubelet_errors >= 1);
	assert_true(st.kubelet_fetches > st.kubelet_errors);
	assert_true(st.last_success_age_s >= 0);
	assert_true(podmeta__lookup(pm, ID_ORDERS, m));

	/* the runtime file goes too: the entry expires */
	snprintf(path, sizeof(path), "%s/" ID_ORDERS "/config.json", r.containerd);
	assert_int_equal(unlink(path), 0);
	for (end = now_s() + 5; now_s() < end; usleep(50000)) {
		if (!podmeta__lookup(pm, ID_ORDERS, m))
			break;
	}
	assert_false(podmeta__lookup(pm, ID_ORDERS, m));
	assert_true(fake_calls(&f) >= 3);
	podmeta__free(pm);
	assert_true(f.freed);
	fake_set(&f, NULL);
	free_roots(&r);
	free(m);
}

/* A miss asks for an early refresh: with refresh_seconds at an hour, a
 * container added to the list is found within a couple of seconds. */
static void test_miss_asks_refresh(void **state)
{
	struct pod_meta *m = malloc(sizeof(*m));
	struct podmeta_opts o = {.refresh_seconds = 3600, .containerd_root = "", .crio_root = "", .docker_root = ""};
	struct fake f = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct podmeta_fetch pf = {.ctx = &f, .get = fake_get};
	char err[256];
	struct podmeta *pm;
	double t;
	int calls;

	assert_non_null(m);
	fake_set(&f, "{'items':[]}");
	pm = podmeta__start(&o, &pf, err, sizeof(err));
	assert_non_null(pm);
	assert_false(wait_known(pm, ID_ENVOY, m, 0.3));
	fake_set(&f, LIST_A);
	t = now_s();
	assert_true(wait_known(pm, ID_ENVOY, m, 3));
	assert_true(now_s() - t < 2.5);
	/* the other container of the same list came with it */
	assert_true(podmeta__lookup(pm, ID_ORDERS, m));
	/* repeated misses of one id do not poll: 1 s, 2 s, 4 s ... apart */
	calls = fake_calls(&f);
	for (t = now_s(); now_s() - t < 1.5; usleep(10000))
		assert_false(podmeta__lookup(pm, ID_UNKNOWN, m));
	assert_true(fake_calls(&f) - calls <= 2);
	podmeta__free(pm);
	fake_set(&f, NULL);
	free(m);
}

static void test_new_errors(void **state)
{
	struct podmeta_opts o = {0};
	char err[512] = "", dir_path[4200], want[4400];
	struct podmeta *pm;
	char *dir = tu_tmpdir();

	errno = 0;
	assert_null(podmeta__new(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "podmeta: no options given");

	o.kubelet_url = "ftp://node/pods";
	assert_null(podmeta__new(&o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "kubelet URL \"ftp://node/pods\": not an http or https URL with a host; expected "
				 "http(s)://host[:port]/pods, e.g. https://127.0.0.1:10250/pods");
	o.kubelet_url = "pods";
	assert_null(podmeta__new(&o, err, sizeof(err)));
	assert_memory_equal(err, "kubelet URL \"pods\": ", 20);

	o.kubelet_url = "https://127.0.0.1:10250/pods";
	o.token_file = "/nonexistent/token";
	assert_null(podmeta__new(&o, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err, "token file /nonexistent/token: cannot open: No such file or directory");

	snprintf(dir_path, sizeof(dir_path), "%s/token", dir);
	tu_write_file(NULL, dir_path, " \n", 2);
	o.token_file = dir_path;
	assert_null(podmeta__new(&o, err, sizeof(err)));
	snprintf(want, sizeof(want), "token file %s is empty", dir_path);
	assert_string_equal(err, want);

	tu_write_file(NULL, dir_path, "abc\ndef\n", 8);
	assert_null(podmeta__new(&o, err, sizeof(err)));
	snprintf(want, sizeof(want), "token file %s: holds a control character; expected one token", dir_path);
	assert_string_equal(err, want);

	tu_write_file(NULL, dir_path, "tok\n", 4);
	o.ca_file = "/nonexistent/ca.crt";
	assert_null(podmeta__new(&o, err, sizeof(err)));
	assert_string_equal(err, "kubelet ca_file /nonexistent/ca.crt: cannot read: No such file or directory");

	/* good options start (nothing listens: the thread only counts errors) */
	o.ca_file = NULL;
	o.kubelet_url = "http://127.0.0.1:1/pods";
	o.timeout_ms = 200;
	pm = podmeta__new(&o, err, sizeof(err));
	assert_non_null(pm);
	podmeta__free(pm);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kubelet_pod_list), cmocka_unit_test(test_kubelet_variants),
	    cmocka_unit_test(test_label_truncation), cmocka_unit_test(test_long_strings),
	    cmocka_unit_test(test_kubelet_bad),	     cmocka_unit_test(test_kubelet_bad_raw),
	    cmocka_unit_test(test_runtime_files),    cmocka_unit_test(test_runtime_sparse),
	    cmocka_unit_test(test_runtime_bad),	     cmocka_unit_test(test_lookup_runtime_roots),
	    cmocka_unit_test(test_cache_max),	     cmocka_unit_test(test_runtime_expiry),
	    cmocka_unit_test(test_merge_and_expiry), cmocka_unit_test(test_miss_asks_refresh),
	    cmocka_unit_test(test_new_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Integration: podmeta's kubelet client (agent/kubelet.c) and cache against a
 * fake kubelet served by libmicrohttpd in this process on 127.0.0.1 (a free
 * port). The fake checks "Authorization: Bearer <token>" and serves a
 * PodList that the tests change while podmeta runs:
 * - the pods are found within a few seconds; a pod added to the list is
 *   found within about 2 s through the early refresh a lookup miss asks for,
 *   with the token file rotated in between (it is read at every request);
 * - a kubelet answering 500, then invalid JSON, then gone: lookups keep
 *   answering from the cache, each within 200 ms, and kubelet_errors counts;
 * - a wrong token: 401, counted as an error, nothing found;
 * - a kubelet that accepts the connection and never answers: lookups stay
 *   fast, the timeout is counted, podmeta__free does not wait for it;
 * - the client alone: responses over the size bound (with and without
 *   Content-Length), statuses other than 200, cancel, a token file gone;
 * - HTTPS with a self-signed certificate made with openssl here: trusted
 *   through ca_file, rejected without it, accepted with insecure_tls.
 * Runtime roots are disabled ("") so everything comes from the kubelet.
 * Needs no root; needs openssl on PATH for the HTTPS case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "kubelet.h"
#include "podmeta.h"
#include "testutil.h"

#define ID_A "1c168adb00d208e42f93314529f1fa9c0427eb63233ceda95a5db52b7012a719"
#define ID_B "c64064614423cb790e88b3e5492ff5ccf673b25ae823089f7a60c65cda24d809"
#define ID_UNKNOWN "0000000000000000000000000000000000000000000000000000000000000001"

#define POD_A                                                                                                          \
	"{\"metadata\":{\"namespace\":\"shop\",\"name\":\"orders-1\",\"uid\":\"u-1\",\"labels\":{\"app\":\"orders\"}}" \
	","                                                                                                            \
	"\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"orders\",\"image\":\"orders:2\","        \
	"\"containerID\":\"containerd://" ID_A "\"}]}}"
#define POD_B                                                                                                          \
	"{\"metadata\":{\"namespace\":\"shop\",\"name\":\"billing-0\",\"uid\":\"u-2\"},"                               \
	"\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"billing\",\"image\":\"billing:1\","      \
	"\"containerID\":\"cri-o://" ID_B "\"}]}}"
#define LIST_A "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[" POD_A "]}"
#define LIST_AB "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[" POD_A "," POD_B "]}"

/* Every lookup must return within this, whatever the kubelet does. */
#define LOOKUP_MAX_S 0.2

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the fake kubelet ---- */

struct kserver {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t lock; /* guards the rest: the daemon's thread reads it */
	char token[2][128];   /* accepted bearer tokens; "" for none */
	unsigned status;
	char *body;
	bool chunked; /* no Content-Length */
	int requests, unauthorized;
	char last_auth[256];
};

struct chunks {
	char *body;
	size_t len;
};

static ssize_t read_chunk(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct chunks *c = cls;
	size_t n;

	if (pos >= c->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = c->len - (size_t)pos < max ? c->len - (size_t)pos : max;
	if (n > 100)
		n = 100; /* many small chunks */
	memcpy(buf, c->body + pos, n);
	return (ssize_t)n;
}

static void free_chunks(void *cls)
{
	struct chunks *c = cls;

	free(c->body);
	free(c);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct kserver *s = cls;
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status;
	struct chunks *c;
	char *body;
	int i;
	bool ok = false, chunked;

	pthread_mutex_lock(&s->lock);
	s->requests++;
	snprintf(s->last_auth, sizeof(s->last_auth), "%s", auth ? auth : "");
	for (i = 0; i < 2; i++) {
		char want[160];

		snprintf(want, sizeof(want), "Bearer %s", s->token[i]);
		if (s->token[i][0] && auth && !strcmp(auth, want))
			ok = true;
	}
	if (strcmp(url, "/pods") || strcmp(method, "GET")) {
		status = MHD_HTTP_NOT_FOUND;
		body = strdup("404 page not found\n");
	} else if (!ok) {
		s->unauthorized++;
		status = MHD_HTTP_UNAUTHORIZED;
		body = strdup("Unauthorized\n");
	} else {
		status = s->status;
		body = strdup(s->body);
	}
	chunked = s->chunked;
	pthread_mutex_unlock(&s->lock);
	if (!body)
		return MHD_NO;
	if (chunked) {
		c = malloc(sizeof(*c));
		if (!c) {
			free(body);
			return MHD_NO;
		}
		c->body = body;
		c->len = strlen(body);
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_chunk, c, free_chunks);
		if (!r)
			free_chunks(c);
	} else {
		r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(body);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Serve status/body to token holders on 127.0.0.1, TLS when key is given. */
static struct kserver *kserver_start(const char *token, unsigned status, const char *body, const char *key,
				     const char *cert)
{
	struct kserver *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

	assert_non_null(s);
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->token[0], sizeof(s->token[0]), "%s", token);
	s->status = status;
	s->body = strdup(body);
	assert_non_null(s->body);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (key)
		s->d =
		    MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&sa, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT,
				     cert, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	else
		s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	assert_non_null(s->d);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
	assert_true(s->port > 0);
	return s;
}

static void kserver_set(struct kserver *s, unsigned status, const char *body)
{
	pthread_mutex_lock(&s->lock);
	s->status = status;
	free(s->body);
	s->body = strdup(body);
	pthread_mutex_unlock(&s->lock);
	assert_non_null(s->body);
}

static void kserver_tokens(struct kserver *s, const char *t0, const char *t1)
{
	pthread_mutex_lock(&s->lock);
	snprintf(s->token[0], sizeof(s->token[0]), "%s", t0);
	snprintf(s->token[1], sizeof(s->token[1]), "%s", t1);
	pthread_mutex_unlock(&s->lock);
}

static void kserver_halt(struct kserver *s)
{
	if (s->d)
		MHD_stop_daemon(s->d);
	s->d = NULL;
}

static void kserver_free(struct kserver *s)
{
	kserver_halt(s);
	pthread_mutex_destroy(&s->lock);
	free(s->body);
	free(s);
}

/* ---- podmeta side ---- */

struct env {
	char *dir;
	char token_file[4200];
	char url[128];
	struct podmeta_opts o;
	struct pod_meta m;
	double worst; /* slowest lookup so far */
};

static void write_text(const char *path, const char *text)
{
	char tmp[4300];
	FILE *f;

	/* replaced atomically, as the kubelet rotates projected tokens */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static struct env *env_new(const char *scheme, int port, const char *token)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->dir = tu_tmpdir();
	assert_non_null(e->dir);
	snprintf(e->token_file, sizeof(e->token_file), "%s/token", e->dir);
	write_text(e->token_file, token);
	snprintf(e->url, sizeof(e->url), "%s://127.0.0.1:%d/pods", scheme, port);
	e->o.kubelet_url = e->url;
	e->o.token_file = e->token_file;
	e->o.refresh_seconds = 60;
	e->o.timeout_ms = 2000;
	e->o.containerd_root = "";
	e->o.crio_root = "";
	e->o.docker_root = "";
	return e;
}

static void env_free(struct env *e)
{
	tu_rmtree(e->dir);
	free(e->dir);
	free(e);
}

static struct podmeta *start(struct env *e)
{
	char err[512] = "";
	struct podmeta *pm = podmeta__new(&e->o, err, sizeof(err));

	if (!pm)
		fail_msg("podmeta__new: %s", err);
	return pm;
}

/* One lookup, timed: every one must be fast. */
static bool lookup(struct env *e, struct podmeta *pm, const char *id)
{
	double t = now_s(), d;
	bool known = podmeta__lookup(pm, id, &e->m);

	d = now_s() - t;
	if (d > e->worst)
		e->worst = d;
	if (d >= LOOKUP_MAX_S)
		fail_msg("lookup took %.3f s", d);
	return known;
}

/* Wait up to s seconds for id to be known. */
static bool wait_known(struct env *e, struct podmeta *pm, const char *id, double s)
{
	double end = now_s() + s;

	do {
		if (lookup(e, pm, id))
			return true;
		usleep(20000);
	} while (now_s() < end);
	return false;
}

/* Wait up to s seconds for kubelet_errors >= n, looking up id (known:
 * expected answer) all along. */
static void wait_errors(struct env *e, struct podmeta *pm, __u64 n, const char *id, bool known, double s)
{
	struct podmeta_stats st;
	double end = now_s() + s;

	do {
		lookup(e, pm, ID_UNKNOWN);		    /* a miss: asks for a refresh */
		assert_int_equal(lookup(e, pm, id), known); /* last: e->m is id's */
		podmeta__stats(pm, &st);
		if (st.kubelet_errors >= n)
			return;
		usleep(20000);
	} while (now_s() < end);
	fail_msg("kubelet_errors %llu after %.1f s, expected >= %llu", (unsigned long long)st.kubelet_errors, s,
		 (unsigned long long)n);
}

static void assert_pod_a(const struct pod_meta *m)
{
	assert_string_equal(m->source, "kubelet");
	assert_string_equal(m->container_id, ID_A);
	assert_string_equal(m->namespace_, "shop");
	assert_string_equal(m->pod, "orders-1");
	assert_string_equal(m->pod_uid, "u-1");
	assert_string_equal(m->container, "orders");
	assert_string_equal(m->image, "orders:2");
	assert_int_equal(m->nlabels, 1);
	assert_string_equal(m->labels[0].key, "app");
	assert_string_equal(m->labels[0].value, "orders");
}

static void test_finds_pods_and_refreshes(void **state)
{
	struct kserver *s = kserver_start("t0k3n-1", 200, LIST_A, NULL, NULL);
	struct env *e = env_new("http", s->port, "t0k3n-1\n");
	struct podmeta_stats st;
	struct podmeta *pm = start(e);
	double t;

	assert_true(wait_known(e, pm, ID_A, 5));
	assert_pod_a(&e->m);
	pthread_mutex_lock(&s->lock);
	assert_string_equal(s->last_auth, "Bearer t0k3n-1");
	pthread_mutex_unlock(&s->lock);

	/* the token rotates, then a pod is added; refresh_seconds is 60 */
	kserver_tokens(s, "t0k3n-1", "t0k3n-2");
	write_text(e->token_file, "t0k3n-2");
	kserver_tokens(s, "t0k3n-2", "");
	kserver_set(s, 200, LIST_AB);
	t = now_s();
	assert_true(wait_known(e, pm, ID_B, 3));
	print_message("new pod found %.2f s after its first lookup\n", now_s() - t);
	assert_true(now_s() - t < 2.5);
	assert_string_equal(e->m.source, "kubelet");
	assert_string_equal(e->m.pod, "billing-0");
	assert_string_equal(e->m.container, "billing");
	assert_string_equal(e->m.image, "billing:1");
	assert_int_equal(e->m.nlabels, 0);
	pthread_mutex_lock(&s->lock);
	assert_string_equal(s->last_auth, "Bearer t0k3n-2");
	assert_int_equal(s->unauthorized, 0);
	pthread_mutex_unlock(&s->lock);
	assert_true(lookup(e, pm, ID_A));
	assert_pod_a(&e->m);

	podmeta__stats(pm, &st);
	assert_true(st.kubelet_fetches >= 2);
	assert_int_equal(st.kubelet_errors, 0);
	assert_true(st.last_success_age_s >= 0 && st.last_success_age_s < 3);
	assert_true(st.hits >= 3);
	assert_true(st.misses >= 1);
	assert_int_equal(st.runtime_reads, 0);
	print_message("slowest lookup %.2f ms\n", e->worst * 1e3);
	podmeta__free(pm);
	env_free(e);
	kserver_free(s);
}

/* 500, invalid JSON, gone: the cache keeps answering, fast. */
static void test_errors_keep_cache(void **state)
{
	struct kserver *s = kserver_start("tok", 200, LIST_A, NULL, NULL);
	struct env *e = env_new("http", s->port, "tok");
	struct podmeta_stats st;
	struct podmeta *pm;
	__u64 errors;

	e->o.refresh_seconds = 1;
	e->o.timeout_ms = 1000;
	pm = start(e);
	assert_true(wait_known(e, pm, ID_A, 5));

	kserver_set(s, 500, "{\"kind\":\"Status\",\"message\":\"internal error\"}");
	wait_errors(e, pm, 1, ID_A, true, 5);
	assert_pod_a(&e->m);

	podmeta__stats(pm, &st);
	errors = st.kubelet_errors;
	kserver_set(s, 200, "{\"kind\":\"PodList\",\"items\":[{\"metadata\":");
	wait_errors(e, pm, errors + 1, ID_A, true, 5);

	podmeta__stats(pm, &st);
	errors = st.kubelet_errors;
	kserver_halt(s);
	wait_errors(e, pm, errors + 2, ID_A, true, 6);
	assert_pod_a(&e->m);
	assert_false(lookup(e, pm, ID_B));

	podmeta__stats(pm, &st);
	assert_true(st.kubelet_fetches >= st.kubelet_errors + 1);
	assert_true(st.last_success_age_s > 0.5);
	print_message("%llu fetches, %llu errors; slowest lookup %.2f ms\n", (unsigned long long)st.kubelet_fetches,
		      (unsigned long long)st.kubelet_errors, e->worst * 1e3);
	podmeta__free(pm);
	env_free(e);
	kserver_free(s);
}

static void test_wrong_token(void **state)
{
	struct kserver *s = kserver_start("right", 200, LIST_A, NULL, NULL);
	struct env *e = env_new("http", s->port, "wrong");
	struct podmeta_stats st;
	struct podmeta *pm = start(e);

	wait_errors(e, pm, 1, ID_A, false, 5);
	podmeta__stats(pm, &st);
	assert_int_equal(st.kubelet_fetches, st.kubelet_errors);
	assert_true(st.last_success_age_s == -1);
	assert_false(lookup(e, pm, ID_A));
	pthread_mutex_lock(&s->lock);
	assert_true(s->unauthorized >= 1);
	assert_string_equal(s->last_auth, "Bearer wrong");
	pthread_mutex_unlock(&s->lock);
	podmeta__free(pm);
	env_free(e);
	kserver_free(s);
}

/* A listening socket nobody accepts on: connections complete, requests
 * are never answered. */
static int silent_listener(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_silent_kubelet(void **state)
{
	struct podmeta_stats st;
	struct podmeta *pm;
	struct env *e;
	int port, fd = silent_listener(&port);
	double t;

	e = env_new("http", port, "tok");
	e->o.timeout_ms = 300;
	e->o.refresh_seconds = 1;
	pm = start(e);
	wait_errors(e, pm, 1, ID_A, false, 5);
	podmeta__stats(pm, &st);
	assert_int_equal(st.kubelet_fetches, st.kubelet_errors);
	podmeta__free(pm);

	/* a long timeout: freeing cancels the request in progress */
	e->o.timeout_ms = 30000;
	pm = start(e);
	usleep(300000);
	assert_false(lookup(e, pm, ID_A));
	t = now_s();
	podmeta__free(pm);
	print_message("podmeta__free with a request in progress: %.2f s\n", now_s() - t);
	assert_true(now_s() - t < 2.0);
	close(fd);
	env_free(e);
}

/* The client alone: the size bound (with and without Content-Length), a
 * status other than 200, cancel. */
static void test_client(void **state)
{
	char *big = malloc(5001), err[4400], want[4400], url[128], *body;
	struct kserver *s;
	struct kubelet_opts ko = {.max_bytes = 1000, .timeout_ms = 2000};
	struct kubelet *k;
	struct env *e;
	size_t len;
	int rc;

	assert_non_null(big);
	memset(big, ' ', 5000);
	big[0] = '{';
	big[4999] = '}';
	big[5000] = '\0';
	s = kserver_start("tok", 200, big, NULL, NULL);
	e = env_new("http", s->port, "tok");
	ko.url = e->url;
	ko.token_file = e->token_file;
	k = kubelet__new(&ko, err, sizeof(err));
	assert_non_null(k);
	snprintf(want, sizeof(want), "kubelet %s: the pod list is larger than 1000 bytes", e->url);
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, -EFBIG);
	assert_null(body);
	assert_string_equal(err, want);
	pthread_mutex_lock(&s->lock);
	s->chunked = true;
	pthread_mutex_unlock(&s->lock);
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, -EFBIG);
	assert_string_equal(err, want);

	big[1000] = '\0';
	big[999] = '}';
	kserver_set(s, 200, big);
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(len, 1000);
	assert_string_equal(body, big);
	free(body);
	kserver_set(s, 200, "");
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(len, 0);
	assert_string_equal(body, "");
	free(body);

	kserver_set(s, 503, "busy");
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, -EIO);
	snprintf(want, sizeof(want), "kubelet %s: HTTP 503", e->url);
	assert_string_equal(err, want);

	kubelet__cancel(k);
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, -ECANCELED);
	kubelet__free(k);

	/* a wrong path, and the token file gone after the start */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/nope", s->port);
	ko.url = url;
	k = kubelet__new(&ko, err, sizeof(err));
	assert_non_null(k);
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, -EIO);
	snprintf(want, sizeof(want), "kubelet %s: HTTP 404", url);
	assert_string_equal(err, want);
	assert_int_equal(unlink(e->token_file), 0);
	rc = kubelet__get(k, &body, &len, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	snprintf(want, sizeof(want), "token file %s: cannot open: No such file or directory", e->token_file);
	assert_string_equal(err, want);
	kubelet__free(k);
	kubelet__free(NULL);
	env_free(e);
	kserver_free(s);
	free(big);
}

/* ---- HTTPS ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void test_https(void **state)
{
	char key_path[4200], cert_path[4200], out[4096], err[4096];
	struct podmeta_stats st;
	struct kserver *s;
	struct podmeta *pm;
	char *key, *cert;
	struct env *e;
	int rc;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		print_message("libmicrohttpd here has no TLS support: skipping the HTTPS case\n");
		skip();
	}
	e = env_new("https", 0, "tok");
	snprintf(key_path, sizeof(key_path), "%s/key.pem", e->dir);
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", e->dir);
	{
		/* tu_run does not search PATH */
		const char *argv[] = {"/usr/bin/openssl",
				      "req",
				      "-x509",
				      "-newkey",
				      "ec",
				      "-pkeyopt",
				      "ec_paramgen_curve:prime256v1",
				      "-nodes",
				      "-keyout",
				      key_path,
				      "-out",
				      cert_path,
				      "-days",
				      "2",
				      "-subj",
				      "/CN=127.0.0.1",
				      "-addext",
				      "subjectAltName=IP:127.0.0.1",
				      NULL};

		rc = tu_run(argv, out, sizeof(out), err, sizeof(err));
		if (rc)
			fail_msg("openssl req: exit %d: %s", rc, err);
	}
	key = slurp(key_path);
	cert = slurp(cert_path);
	s = kserver_start("tok", 200, LIST_A, key, cert);
	snprintf(e->url, sizeof(e->url), "https://127.0.0.1:%d/pods", s->port);

	/* trusted through ca_file */
	e->o.ca_file = cert_path;
	pm = start(e);
	assert_true(wait_known(e, pm, ID_A, 5));
	assert_pod_a(&e->m);
	podmeta__stats(pm, &st);
	assert_int_equal(st.kubelet_errors, 0);
	podmeta__free(pm);

	/* the system's CAs do not know it */
	e->o.ca_file = NULL;
	pm = start(e);
	wait_errors(e, pm, 1, ID_A, false, 5);
	podmeta__stats(pm, &st);
	assert_int_equal(st.kubelet_fetches, st.kubelet_errors);
	podmeta__free(pm);

	/* not checked at all */
	e->o.insecure_tls = true;
	pm = start(e);
	assert_true(wait_known(e, pm, ID_A, 5));
	assert_pod_a(&e->m);
	podmeta__free(pm);

	pthread_mutex_lock(&s->lock);
	assert_int_equal(s->unauthorized, 0);
	pthread_mutex_unlock(&s->lock);
	kserver_free(s);
	free(key);
	free(cert);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_finds_pods_and_refreshes),
	    cmocka_unit_test(test_errors_keep_cache),
	    cmocka_unit_test(test_wrong_token),
	    cmocka_unit_test(test_silent_kubelet),
	    cmocka_unit_test(test_client),
	    cmocka_unit_test(test_https),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

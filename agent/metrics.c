/*
 * metrics: the agent's /healthz and /metrics endpoint. One libmicrohttpd
 * daemon with its own polling thread serves both; the registry of counter
 * and gauge families lives behind one mutex, so the agent thread updates
 * values while a scrape renders a consistent snapshot. Everything is
 * bounded (families, samples, name/help/label lengths, connections, request
 * size, idle time), and requests libmicrohttpd cannot parse get its own 4xx.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "log.h"
#include "metrics.h"
#include "strbuf.h"

#define MAX_FAMILIES 256
#define MAX_SAMPLES 4096 /* over all families */
#define MAX_NAME_LEN 200
#define MAX_HELP_LEN 1024
#define MAX_LABELS_LEN 1024

#define HTTP_CONN_LIMIT 32
#define HTTP_TIMEOUT_S 10
/* Request line plus headers must fit here; larger requests get 414/431. */
#define HTTP_MEMORY_LIMIT (32 * 1024)

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct sample {
	char *labels; /* validated label body, without braces; "" for none */
	double value;
};

struct family {
	char *name;
	char *help; /* raw; escaped when rendered */
	enum metric_type type;
	struct sample *samples;
	size_t nsamples, cap;
};

struct metrics {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock; /* guards everything below */
	struct family families[MAX_FAMILIES];
	int nfamilies;
	size_t nsamples;
	bool ready;
	bool starting; /* libmicrohttpd messages go to start_err, not the log */
	char start_err[256];
	int port;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics *m = cls;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	pthread_mutex_lock(&m->lock);
	if (m->starting) {
		/* Keep the first reason: later ones are usually consequences. */
		if (!m->start_err[0])
			snprintf(m->start_err, sizeof(m->start_err), "%s", msg);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	pthread_mutex_unlock(&m->lock);
	/* Per-connection trouble is caused by clients: debug only, so a remote
	 * peer cannot flood the agent's log. */
	log_debug("metrics: %s", msg);
}

/* Parse "host:port" or "[v6]:port" (numeric addresses only, so starting
 * never waits on DNS) into ss. 0 or -EINVAL with a reason in err. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *hs, *he, *ps;
	unsigned long port;
	char *end;
	size_t hlen;

	if (!addr || !*addr) {
		snprintf(err, errlen, "empty listen address; expected host:port, e.g. 127.0.0.1:9464");
		return -EINVAL;
	}
	if (addr[0] == '[') {
		hs = addr + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':') {
			snprintf(err, errlen, "listen address '%s': expected [ipv6]:port, e.g. [::1]:9464", addr);
			return -EINVAL;
		}
		ps = he + 2;
	} else {
		hs = addr;
		he = strrchr(addr, ':');
		if (!he || memchr(hs, ':', (size_t)(he - hs))) {
			snprintf(err, errlen, "listen address '%s': expected host:port (IPv6 as [addr]:port)", addr);
			return -EINVAL;
		}
		ps = he + 1;
	}
	hlen = (size_t)(he - hs);
	if (!hlen || hlen >= sizeof(host)) {
		snprintf(err, errlen, "listen address '%s': missing or overlong host", addr);
		return -EINVAL;
	}
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (*ps < '0' || *ps > '9') {
		snprintf(err, errlen, "listen address '%s': port must be a number 0..65535", addr);
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(ps, &end, 10);
	if (errno || *end || port > 65535) {
		snprintf(err, errlen, "listen address '%s': port must be a number 0..65535", addr);
		return -EINVAL;
	}

	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			snprintf(err, errlen, "listen address '%s': '%s' is not an IPv6 address", addr, host);
			return -EINVAL;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			snprintf(err, errlen,
				 "listen address '%s': '%s' is not an IPv4 address (names are not resolved)", addr,
				 host);
			return -EINVAL;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*sslen = sizeof(*s4);
	}
	return 0;
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static bool valid_metric_name(const char *s)
{
	size_t n = 0;

	if (!s || !(name_start(*s) || *s == ':'))
		return false;
	for (; *s; s++, n++)
		if (!(name_char(*s) || *s == ':') || n >= MAX_NAME_LEN)
			return false;
	return true;
}

/* A label body as it goes between the braces: name="value" pairs separated
 * by commas, values already escaped (only \\, \" and \n allowed), so no
 * caller can break the exposition format with a stray quote or newline. */
static bool valid_labels(const char *s)
{
	if (!s || strlen(s) > MAX_LABELS_LEN)
		return false;
	while (*s) {
		if (!name_start(*s))
			return false;
		while (name_char(*s))
			s++;
		if (*s++ != '=' || *s++ != '"')
			return false;
		while (*s != '"') {
			if (!*s || *s == '\n')
				return false;
			if (*s == '\\') {
				s++;
				if (*s != '\\' && *s != '"' && *s != 'n')
					return false;
			}
			s++;
		}
		s++;
		if (*s == ',') {
			s++;
			if (!*s)
				return false;
		} else if (*s) {
			return false;
		}
	}
	return true;
}

static void put_help(struct strbuf *sb, const char *help)
{
	for (; *help; help++) {
		if (*help == '\\')
			strbuf__puts(sb, "\\\\");
		else if (*help == '\n')
			strbuf__puts(sb, "\\n");
		else
			strbuf__putc(sb, *help);
	}
}

/* Shortest of %.15g / %.17g that reads back as the same double. */
static void put_value(struct strbuf *sb, double v)
{
	char buf[64];

	if (isnan(v)) {
		strbuf__puts(sb, "NaN");
		return;
	}
	if (isinf(v)) {
		strbuf__puts(sb, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	strbuf__puts(sb, buf);
}

/* Called with m->lock held. */
static void render(struct metrics *m, struct strbuf *sb)
{
	for (int i = 0; i < m->nfamilies; i++) {
		const struct family *f = &m->families[i];

		strbuf__printf(sb, "# HELP %s ", f->name);
		put_help(sb, f->help);
		strbuf__printf(sb, "\n# TYPE %s %s\n", f->name, f->type == METRIC_COUNTER ? "counter" : "gauge");
		for (size_t j = 0; j < f->nsamples; j++) {
			const struct sample *s = &f->samples[j];

			strbuf__puts(sb, f->name);
			if (*s->labels)
				strbuf__printf(sb, "{%s}", s->labels);
			strbuf__putc(sb, ' ');
			put_value(sb, s->value);
			strbuf__putc(sb, '\n');
		}
	}
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *body, const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_metrics(struct metrics *m, struct MHD_Connection *conn)
{
	struct strbuf sb = STRBUF_INIT;
	struct MHD_Response *r;
	enum MHD_Result ret;

	pthread_mutex_lock(&m->lock);
	render(m, &sb);
	pthread_mutex_unlock(&m->lock);
	if (sb.oom) {
		strbuf__free(&sb);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", CT_TEXT);
	}
	/* MUST_FREE hands sb.data (realloc'ed) to libmicrohttpd. */
	r = MHD_create_response_from_buffer(sb.len, sb.data ? sb.data : (void *)"",
					    sb.data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		strbuf__free(&sb);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CT_METRICS);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Answered on the first call, right after the headers: no path reads a
 * body, so libmicrohttpd discards (or refuses) whatever a client sends. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct metrics *m = cls;
	bool get, metrics, healthz, ready;

	if (!url || !method)
		return reply(conn, MHD_HTTP_BAD_REQUEST, "bad request\n", CT_TEXT);
	metrics = !strcmp(url, "/metrics");
	healthz = !strcmp(url, "/healthz");
	if (!metrics && !healthz)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found\n", CT_TEXT);
	get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	if (!get)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", CT_TEXT);
	if (metrics)
		return reply_metrics(m, conn);
	pthread_mutex_lock(&m->lock);
	ready = m->ready;
	pthread_mutex_unlock(&m->lock);
	if (ready)
		return reply(conn, MHD_HTTP_OK, "ok\n", CT_TEXT);
	return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n", CT_TEXT);
}

static void free_families(struct metrics *m)
{
	for (int i = 0; i < m->nfamilies; i++) {
		struct family *f = &m->families[i];

		for (size_t j = 0; j < f->nsamples; j++)
			free(f->samples[j].labels);
		free(f->samples);
		free(f->name);
		free(f->help);
	}
	m->nfamilies = 0;
	m->nsamples = 0;
}

/* Start the daemon on addr; NULL with errno and a reason in err on a bad
 * address, a failed bind or lack of memory. */
struct metrics *metrics__start(const char *addr, char *err, size_t errlen)
{
	/* poll(), not epoll: with 0.9.75's edge-triggered epoll a FIN that
	 * arrives with the last request bytes can go unnoticed, keeping a
	 * half-closed connection until the timeout. A few dozen connections
	 * at most make poll() cheap. */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	struct metrics *m;
	socklen_t sslen;
	int rc;

	rc = parse_addr(addr, &ss, &sslen, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rc = pthread_mutex_init(&m->lock, NULL);
	if (rc) {
		snprintf(err, errlen, "metrics: mutex: %s", strerror(rc));
		free(m);
		errno = rc;
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->starting = true;
	errno = 0;
	m->daemon =
	    MHD_start_daemon(flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned int)HTTP_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m, MHD_OPTION_END);
	rc = errno ? errno : EADDRNOTAVAIL;
	pthread_mutex_lock(&m->lock);
	m->starting = false;
	pthread_mutex_unlock(&m->lock);
	if (!m->daemon) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", addr,
			 m->start_err[0] ? m->start_err : strerror(rc));
		goto cleanup;
	}
	info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port) {
		snprintf(err, errlen, "cannot serve metrics on %s: bound port unknown", addr);
		rc = EADDRNOTAVAIL;
		goto cleanup;
	}
	m->port = info->port;
	return m;

cleanup:
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	pthread_mutex_destroy(&m->lock);
	free(m);
	errno = rc;
	return NULL;
}

/* Stop the HTTP thread (waits for it), then free everything. Accepts NULL. */
void metrics__stop(struct metrics *m)
{
	if (!m)
		return;
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	free_families(m);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* The bound TCP port (the real one when started with port 0); -EINVAL for NULL. */
int metrics__port(const struct metrics *m)
{
	return m ? m->port : -EINVAL;
}

/* Switch /healthz between 200 and 503. NULL is ignored. */
void metrics__set_ready(struct metrics *m, bool ready)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->ready = ready;
	pthread_mutex_unlock(&m->lock);
}

/* Register (or look up) a family; id >= 0, -EINVAL, -ENOSPC or -ENOMEM.
 * help NULL is taken as "". */
int metrics__register(struct metrics *m, const char *name, const char *help, enum metric_type type)
{
	struct family *f;
	int id;

	if (!m || !valid_metric_name(name) || (type != METRIC_COUNTER && type != METRIC_GAUGE))
		return -EINVAL;
	if (!help)
		help = "";
	if (strlen(help) > MAX_HELP_LEN)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	for (id = 0; id < m->nfamilies; id++) {
		if (!strcmp(m->families[id].name, name)) {
			if (m->families[id].type != type)
				id = -EINVAL;
			goto out;
		}
	}
	if (m->nfamilies >= MAX_FAMILIES) {
		id = -ENOSPC;
		goto out;
	}
	f = &m->families[m->nfamilies];
	f->name = strdup(name);
	f->help = strdup(help);
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		memset(f, 0, sizeof(*f));
		id = -ENOMEM;
		goto out;
	}
	f->type = type;
	id = m->nfamilies++;
out:
	pthread_mutex_unlock(&m->lock);
	return id;
}

/* Called with m->lock held: the sample of f with these labels, created
 * (value 0) when new. NULL with *rc = -ENOSPC or -ENOMEM. */
static struct sample *find_sample(struct metrics *m, struct family *f, const char *labels, int *rc)
{
	struct sample *s;

	for (size_t i = 0; i < f->nsamples; i++)
		if (!strcmp(f->samples[i].labels, labels))
			return &f->samples[i];
	if (m->nsamples >= MAX_SAMPLES) {
		*rc = -ENOSPC;
		return NULL;
	}
	if (f->nsamples == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;

		s = realloc(f->samples, cap * sizeof(*s));
		if (!s) {
			*rc = -ENOMEM;
			return NULL;
		}
		f->samples = s;
		f->cap = cap;
	}
	s = &f->samples[f->nsamples];
	s->labels = strdup(labels);
	if (!s->labels) {
		*rc = -ENOMEM;
		return NULL;
	}
	s->value = 0;
	f->nsamples++;
	m->nsamples++;
	return s;
}

static int update(struct metrics *m, int id, const char *labels, double v, bool add)
{
	struct family *f;
	struct sample *s;
	int rc = 0;

	if (!m || !valid_labels(labels))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (id < 0 || id >= m->nfamilies) {
		rc = -EINVAL;
		goto out;
	}
	f = &m->families[id];
	/* Counters only go up: a negative or NaN step (or value) is a bug. */
	if (f->type == METRIC_COUNTER && !(v >= 0)) {
		rc = -EINVAL;
		goto out;
	}
	s = find_sample(m, f, labels, &rc);
	if (!s)
		goto out;
	if (add)
		s->value += v;
	else
		s->value = v;
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* Set a sample's value. Counters accept only values >= 0 (e.g. a kernel
 * counter read back); 0, -EINVAL, -ENOSPC or -ENOMEM. */
int metrics__set(struct metrics *m, int id, const char *labels, double value)
{
	return update(m, id, labels, value, false);
}

/* Add delta to a sample (created at 0). Counters accept only delta >= 0;
 * 0, -EINVAL, -ENOSPC or -ENOMEM. */
int metrics__add(struct metrics *m, int id, const char *labels, double delta)
{
	return update(m, id, labels, delta, true);
}

/*
 * Integration: the metrics module's HTTP endpoint (agent/metrics.c), started
 * in this process on 127.0.0.1:0. /metrics is scraped with curl and parsed
 * here as Prometheus text format 0.0.4 (HELP/TYPE/sample lines, escaping,
 * family order, label sets, values); /healthz, 404 and 405 are checked with
 * curl; malformed requests (binary junk, a 100 KB header, a 200 KB URL, too
 * many idle connections) go over raw TCP sockets and must get a 4xx or a
 * closed connection while the next good request still works. Scrapes run
 * concurrently with an updating thread; registration and update validation
 * and the family/sample limits are checked directly. Needs no root; needs
 * curl on PATH.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics.h"
#include "testutil.h"

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* ---- HTTP clients ---- */

struct resp {
	int status;
	char headers[8192];
	char body[262144];
	char out[270336];
	char err[4096];
};

/* One request with curl; fills status, headers and body. 0 or -1. */
static int curl_req(int port, const char *method, const char *path, struct resp *r)
{
	char url[512];
	const char *argv[16];
	char *sep;
	int n = 0, rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	argv[n++] = "/usr/bin/curl";
	argv[n++] = "-sS";
	argv[n++] = "--max-time";
	argv[n++] = "5";
	if (!strcmp(method, "HEAD")) {
		argv[n++] = "-I"; /* prints the headers itself; -D - would repeat them */
	} else {
		argv[n++] = "-D";
		argv[n++] = "-";
		argv[n++] = "-X";
		argv[n++] = method;
	}
	if (!strcmp(method, "POST")) {
		argv[n++] = "--data-binary";
		argv[n++] = "some=body";
	}
	argv[n++] = url;
	argv[n] = NULL;
	memset(r->headers, 0, sizeof(r->headers));
	r->body[0] = '\0';
	r->status = -1;
	rc = tu_run(argv, r->out, sizeof(r->out), r->err, sizeof(r->err));
	if (rc) {
		fprintf(stderr, "curl %s %s: exit %d: %s\n", method, url, rc, r->err);
		return -1;
	}
	if (sscanf(r->out, "HTTP/1.%*d %d", &r->status) != 1)
		return -1;
	sep = strstr(r->out, "\r\n\r\n");
	if (!sep || (size_t)(sep - r->out) >= sizeof(r->headers))
		return -1;
	memcpy(r->headers, r->out, (size_t)(sep - r->out) + 2);
	snprintf(r->body, sizeof(r->body), "%s", sep + 4);
	return 0;
}

/* Value of header name in r (case-insensitive name), or NULL. */
static const char *header(struct resp *r, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);

	for (char *line = r->headers; line && *line; line = strstr(line, "\r\n") ? strstr(line, "\r\n") + 2 : NULL) {
		char *end = strstr(line, "\r\n");

		if (!strncasecmp(line, name, nl) && line[nl] == ':') {
			const char *v = line + nl + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(end - v), v);
			return buf;
		}
	}
	return NULL;
}

static int connect_local(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send len bytes (send errors ignored: the server may hang up early), shut
 * down the write side, read until EOF. Returns bytes read (NUL-terminated),
 * 0 for a closed/reset connection, -ETIMEDOUT when nothing came within 5 s,
 * -1 when no connection could be made. */
static ssize_t raw_req(int port, const void *data, size_t len, char *out, size_t cap)
{
	size_t off = 0, got = 0;
	int fd = connect_local(port);

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, out + got, cap - 1 - got, 0);

		if (n > 0) {
			got += (size_t)n;
			if (got == cap - 1)
				break;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			close(fd);
			return -ETIMEDOUT;
		}
		break; /* EOF or ECONNRESET */
	}
	out[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

/* Status code of a raw HTTP response, or -1. */
static int raw_status(const char *resp)
{
	int st;

	return sscanf(resp, "HTTP/1.%*d %d", &st) == 1 ? st : -1;
}

/* ---- exposition format parser (strict, no cmocka calls: used in threads) ---- */

#define P_FAMS 40
#define P_SAMPLES 16

struct psample {
	char labels[256]; /* as between the braces */
	double value;
	char raw[64]; /* value token */
};

struct pfam {
	char name[128];
	char help[512]; /* unescaped */
	char type[16];
	int n;
	struct psample s[P_SAMPLES];
};

struct expo {
	int n;
	struct pfam f[P_FAMS];
	char err[256];
};

static bool pname_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool pname_char(char c)
{
	return pname_start(c) || (c >= '0' && c <= '9');
}

/* Copy src into dst[cap]; false when it does not fit. */
static bool pcopy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static int perr(struct expo *e, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(e->err, sizeof(e->err), "line %d: ", line);

	va_start(ap, fmt);
	vsnprintf(e->err + n, sizeof(e->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Check a label body: name="value" pairs, values with \\ \" \n escapes only. */
static bool plabels_ok(const char *s)
{
	while (*s) {
		if (!pname_start(*s))
			return false;
		while (pname_char(*s))
			s++;
		if (*s++ != '=' || *s++ != '"')
			return false;
		while (*s != '"') {
			if (!*s || *s == '\n')
				return false;
			if (*s == '\\' && (s[1] == '\\' || s[1] == '"' || s[1] == 'n'))
				s++;
			else if (*s == '\\')
				return false;
			s++;
		}
		s++;
		if (*s == ',' && s[1])
			s++;
		else if (*s)
			return false;
	}
	return true;
}

static int parse_expo(const char *text, struct expo *e)
{
	char line[2048];
	const char *p = text;
	struct pfam *f = NULL;
	int ln = 0;

	memset(e, 0, sizeof(*e));
	if (*text && text[strlen(text) - 1] != '\n')
		return perr(e, 0, "body does not end with a newline");
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p);

		ln++;
		if (len >= sizeof(line))
			return perr(e, ln, "line too long");
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (!strncmp(line, "# HELP ", 7)) {
			char *name = line + 7, *sp = strchr(name, ' '), *h, *o;

			if (!sp)
				return perr(e, ln, "HELP without text separator");
			*sp = '\0';
			if (e->n == P_FAMS)
				return perr(e, ln, "too many families for the test parser");
			for (int i = 0; i < e->n; i++)
				if (!strcmp(e->f[i].name, name))
					return perr(e, ln, "family %s repeated", name);
			f = &e->f[e->n++];
			if (!pcopy(f->name, sizeof(f->name), name))
				return perr(e, ln, "family name too long");
			if (!(pname_start(*name) || *name == ':'))
				return perr(e, ln, "bad family name '%s'", name);
			for (char *c = name; *c; c++)
				if (!pname_char(*c) && *c != ':')
					return perr(e, ln, "bad family name '%s'", name);
			for (h = sp + 1, o = f->help; *h; h++) {
				if (o - f->help >= (long)sizeof(f->help) - 1)
					return perr(e, ln, "help too long");
				if (*h == '\\') {
					h++;
					if (*h == '\\')
						*o++ = '\\';
					else if (*h == 'n')
						*o++ = '\n';
					else
						return perr(e, ln, "bad escape in HELP");
				} else {
					*o++ = *h;
				}
			}
			*o = '\0';
			/* TYPE must follow HELP directly, for the same name. */
			nl = strchr(p, '\n');
			if (!nl)
				return perr(e, ln + 1, "missing TYPE");
			ln++;
			len = (size_t)(nl - p);
			if (len >= sizeof(line))
				return perr(e, ln, "line too long");
			memcpy(line, p, len);
			line[len] = '\0';
			p = nl + 1;
			if (strncmp(line, "# TYPE ", 7) || strncmp(line + 7, f->name, strlen(f->name)) ||
			    line[7 + strlen(f->name)] != ' ')
				return perr(e, ln, "expected '# TYPE %s ...', got '%s'", f->name, line);
			if (!pcopy(f->type, sizeof(f->type), line + 8 + strlen(f->name)))
				return perr(e, ln, "bad type");
			if (strcmp(f->type, "counter") && strcmp(f->type, "gauge"))
				return perr(e, ln, "bad type '%s'", f->type);
			continue;
		}
		if (line[0] == '#')
			return perr(e, ln, "unexpected comment '%s'", line);
		if (!f)
			return perr(e, ln, "sample before any HELP/TYPE");
		{
			size_t nlen = strlen(f->name);
			char *rest = line + nlen, *vs, *end;
			struct psample *s;

			if (strncmp(line, f->name, nlen) || (*rest != ' ' && *rest != '{'))
				return perr(e, ln, "sample '%s' outside family %s", line, f->name);
			if (f->n == P_SAMPLES)
				return perr(e, ln, "too many samples for the test parser");
			s = &f->s[f->n++];
			if (*rest == '{') {
				char *close = strstr(rest, "} ");

				if (!close || (size_t)(close - rest - 1) >= sizeof(s->labels))
					return perr(e, ln, "bad label block in '%s'", line);
				memcpy(s->labels, rest + 1, (size_t)(close - rest - 1));
				s->labels[close - rest - 1] = '\0';
				if (!s->labels[0] || !plabels_ok(s->labels))
					return perr(e, ln, "bad labels '%s'", s->labels);
				rest = close + 1;
			}
			vs = rest + 1;
			if (!*vs || strchr(vs, ' '))
				return perr(e, ln, "bad value in '%s'", line);
			if (!pcopy(s->raw, sizeof(s->raw), vs))
				return perr(e, ln, "value too long");
			s->value = strtod(vs, &end);
			if (*end)
				return perr(e, ln, "bad value '%s'", vs);
			for (int i = 0; i < f->n - 1; i++)
				if (!strcmp(f->s[i].labels, s->labels))
					return perr(e, ln, "duplicate sample {%s}", s->labels);
		}
	}
	return 0;
}

static struct pfam *pfind(struct expo *e, const char *name)
{
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->f[i].name, name))
			return &e->f[i];
	return NULL;
}

static struct psample *psample(struct expo *e, const char *name, const char *labels)
{
	struct pfam *f = pfind(e, name);

	if (!f)
		return NULL;
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->s[i].labels, labels))
			return &f->s[i];
	return NULL;
}

/* Scrape /metrics with curl and parse it; asserts on the way. */
static void scrape(int port, struct resp *r, struct expo *e)
{
	char ct[256];

	assert_int_equal(curl_req(port, "GET", "/metrics", r), 0);
	assert_int_equal(r->status, 200);
	assert_non_null(header(r, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, CT_METRICS);
	if (parse_expo(r->body, e))
		fail_msg("exposition parse error: %s\n---\n%s", e->err, r->body);
}

/* ---- fixture ---- */

struct fx {
	struct metrics *m;
	int port;
	struct resp r;
	struct expo e;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	if (!f)
		return -1;
	f->m = metrics__start("127.0.0.1:0", err, sizeof(err));
	if (!f->m) {
		fprintf(stderr, "metrics__start: %s\n", err);
		free(f);
		return -1;
	}
	f->port = metrics__port(f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	metrics__stop(f->m);
	free(f);
	return 0;
}

/* ---- tests ---- */

static void test_start_and_addresses(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
	    "",
	    "127.0.0.1",
	    "127.0.0.1:",
	    "127.0.0.1:99999",
	    "127.0.0.1:-1",
	    "127.0.0.1:80x",
	    ":9464",
	    "localhost:9464",
	    "::1:9464",
	    "[::1]9464",
	    "[::1:9464",
	    "[127.0.0.1]:9464",
	    "300.1.1.1:80",
	    "[]:80",
	};
	char err[256], addr[64];
	struct metrics *m2;

	assert_true(f->port > 0 && f->port <= 65535);
	assert_int_equal(metrics__port(NULL), -EINVAL);
	metrics__stop(NULL);
	metrics__set_ready(NULL, true);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		errno = 0;
		m2 = metrics__start(bad[i], err, sizeof(err));
		if (m2) {
			metrics__stop(m2);
			fail_msg("address '%s' was accepted", bad[i]);
		}
		assert_int_equal(errno, EINVAL);
		assert_true(strlen(err) > 0);
	}
	err[0] = '\0';
	errno = 0;
	assert_null(metrics__start(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);

	/* The port we hold cannot be bound twice; the reason says why. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", f->port);
	err[0] = '\0';
	errno = 0;
	m2 = metrics__start(addr, err, sizeof(err));
	if (m2) {
		metrics__stop(m2);
		fail_msg("second bind to %s succeeded", addr);
	}
	assert_int_not_equal(errno, 0);
	assert_non_null(strstr(err, addr));

	/* IPv6 loopback, when this host has one. */
	err[0] = '\0';
	m2 = metrics__start("[::1]:0", err, sizeof(err));
	if (!m2) {
		fprintf(stderr, "note: no IPv6 loopback here (%s), skipping [::1]\n", err);
		return;
	}
	{
		const char *argv[] = {"/usr/bin/curl", "-sS", "--max-time",   "5",  "-o",
				      "/dev/null",     "-w",  "%{http_code}", NULL, NULL};
		char url[64];

		snprintf(url, sizeof(url), "http://[::1]:%d/healthz", metrics__port(m2));
		argv[8] = url;
		assert_true(metrics__port(m2) > 0);
		assert_int_equal(tu_run(argv, f->r.out, sizeof(f->r.out), f->r.err, sizeof(f->r.err)), 0);
		assert_string_equal(f->r.out, "503");
	}
	metrics__stop(m2);
}

static void test_healthz(void **state)
{
	struct fx *f = *state;
	char ct[256];

	assert_int_equal(curl_req(f->port, "GET", "/healthz", &f->r), 0);
	assert_int_equal(f->r.status, 503);
	assert_string_equal(f->r.body, "not ready\n");

	metrics__set_ready(f->m, true);
	assert_int_equal(curl_req(f->port, "GET", "/healthz", &f->r), 0);
	assert_int_equal(f->r.status, 200);
	assert_string_equal(f->r.body, "ok\n");
	assert_non_null(header(&f->r, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "text/plain; charset=utf-8");

	/* HEAD: same status and length, no body. */
	assert_int_equal(curl_req(f->port, "HEAD", "/healthz", &f->r), 0);
	assert_int_equal(f->r.status, 200);
	assert_string_equal(f->r.body, "");
	assert_non_null(header(&f->r, "Content-Length", ct, sizeof(ct)));
	assert_string_equal(ct, "3");

	metrics__set_ready(f->m, false);
	assert_int_equal(curl_req(f->port, "GET", "/healthz", &f->r), 0);
	assert_int_equal(f->r.status, 503);
	assert_string_equal(f->r.body, "not ready\n");
}

static void test_scrape(void **state)
{
	struct fx *f = *state;
	const char *help_esc = "Ring buffer fill.\nSecond line with a back\\slash.";
	struct pfam *pf;
	struct psample *s;
	int ev, fill, drops, empty, odd;

	/* An empty registry is an empty, valid exposition. */
	scrape(f->port, &f->r, &f->e);
	assert_int_equal(f->e.n, 0);
	assert_string_equal(f->r.body, "");

	ev = metrics__register(f->m, "aisec_events_total", "Events by kind.", METRIC_COUNTER);
	fill = metrics__register(f->m, "aisec_ringbuf_fill_ratio", help_esc, METRIC_GAUGE);
	drops = metrics__register(f->m, "aisec_dropped_total", "Records dropped per CPU.", METRIC_COUNTER);
	empty = metrics__register(f->m, "aisec_empty", "", METRIC_GAUGE);
	odd = metrics__register(f->m, "aisec_odd_values", "Values that need care.", METRIC_GAUGE);
	assert_int_equal(ev, 0);
	assert_int_equal(fill, 1);
	assert_int_equal(drops, 2);
	assert_int_equal(empty, 3);
	assert_int_equal(odd, 4);

	assert_int_equal(metrics__add(f->m, ev, "kind=\"exec\"", 3), 0);
	assert_int_equal(metrics__add(f->m, ev, "kind=\"open\"", 1), 0);
	assert_int_equal(metrics__add(f->m, ev, "kind=\"exec\"", 2), 0);
	assert_int_equal(metrics__set(f->m, fill, "", 0.25), 0);
	assert_int_equal(metrics__set(f->m, drops, "cpu=\"0\",reason=\"full\"", 7), 0);
	assert_int_equal(metrics__set(f->m, drops, "cpu=\"1\",reason=\"full\"", 0), 0);
	assert_int_equal(metrics__set(f->m, odd, "v=\"nan\"", NAN), 0);
	assert_int_equal(metrics__set(f->m, odd, "v=\"inf\"", INFINITY), 0);
	assert_int_equal(metrics__set(f->m, odd, "v=\"-inf\"", -INFINITY), 0);
	assert_int_equal(metrics__set(f->m, odd, "v=\"big\"", 1e300), 0);
	assert_int_equal(metrics__set(f->m, odd, "v=\"tenth\"", 0.1), 0);
	assert_int_equal(metrics__set(f->m, odd, "v=\"neg\"", -3), 0);
	assert_int_equal(metrics__set(f->m, odd, "v=\"exact\"", 0.1 + 0.2), 0);
	assert_int_equal(metrics__set(f->m, odd, "path=\"/a\\\"b\\\\c\\nd\"", 1), 0);

	scrape(f->port, &f->r, &f->e);
	assert_int_equal(f->e.n, 5);
	/* Families in registration order, with HELP (unescaped) and TYPE. */
	assert_string_equal(f->e.f[0].name, "aisec_events_total");
	assert_string_equal(f->e.f[1].name, "aisec_ringbuf_fill_ratio");
	assert_string_equal(f->e.f[2].name, "aisec_dropped_total");
	assert_string_equal(f->e.f[3].name, "aisec_empty");
	assert_string_equal(f->e.f[4].name, "aisec_odd_values");
	assert_string_equal(f->e.f[0].help, "Events by kind.");
	assert_string_equal(f->e.f[1].help, help_esc);
	assert_string_equal(f->e.f[3].help, "");
	assert_string_equal(f->e.f[0].type, "counter");
	assert_string_equal(f->e.f[1].type, "gauge");
	assert_string_equal(f->e.f[2].type, "counter");
	assert_string_equal(f->e.f[3].type, "gauge");
	/* The escaped HELP line literally, as the format spells it. */
	assert_non_null(strstr(f->r.body, "# HELP aisec_ringbuf_fill_ratio Ring buffer fill.\\nSecond line with a "
					  "back\\\\slash.\n# TYPE aisec_ringbuf_fill_ratio gauge\n"));
	assert_non_null(strstr(f->r.body, "\naisec_ringbuf_fill_ratio 0.25\n"));

	/* Label sets and values, and nothing more. */
	pf = pfind(&f->e, "aisec_events_total");
	assert_int_equal(pf->n, 2);
	assert_string_equal(pf->s[0].labels, "kind=\"exec\"");
	assert_true(pf->s[0].value == 5);
	assert_string_equal(pf->s[1].labels, "kind=\"open\"");
	assert_true(pf->s[1].value == 1);
	assert_int_equal(pfind(&f->e, "aisec_ringbuf_fill_ratio")->n, 1);
	assert_true(psample(&f->e, "aisec_ringbuf_fill_ratio", "")->value == 0.25);
	assert_int_equal(pfind(&f->e, "aisec_dropped_total")->n, 2);
	assert_true(psample(&f->e, "aisec_dropped_total", "cpu=\"0\",reason=\"full\"")->value == 7);
	assert_true(psample(&f->e, "aisec_dropped_total", "cpu=\"1\",reason=\"full\"")->value == 0);
	assert_int_equal(pfind(&f->e, "aisec_empty")->n, 0);
	assert_int_equal(pfind(&f->e, "aisec_odd_values")->n, 8);
	s = psample(&f->e, "aisec_odd_values", "v=\"nan\"");
	assert_non_null(s);
	assert_string_equal(s->raw, "NaN");
	assert_true(isnan(s->value));
	assert_string_equal(psample(&f->e, "aisec_odd_values", "v=\"inf\"")->raw, "+Inf");
	assert_string_equal(psample(&f->e, "aisec_odd_values", "v=\"-inf\"")->raw, "-Inf");
	assert_true(psample(&f->e, "aisec_odd_values", "v=\"big\"")->value == 1e300);
	assert_true(psample(&f->e, "aisec_odd_values", "v=\"tenth\"")->value == 0.1);
	assert_string_equal(psample(&f->e, "aisec_odd_values", "v=\"tenth\"")->raw, "0.1");
	assert_true(psample(&f->e, "aisec_odd_values", "v=\"neg\"")->value == -3);
	/* Values survive the text round trip bit for bit. */
	assert_true(psample(&f->e, "aisec_odd_values", "v=\"exact\"")->value == 0.1 + 0.2);
	assert_non_null(psample(&f->e, "aisec_odd_values", "path=\"/a\\\"b\\\\c\\nd\""));

	/* Counters move, and the next scrape shows it; a gauge moves both ways. */
	assert_int_equal(metrics__add(f->m, ev, "kind=\"exec\"", 10), 0);
	assert_int_equal(metrics__add(f->m, ev, "kind=\"connect\"", 1), 0);
	assert_int_equal(metrics__add(f->m, fill, "", -0.125), 0);
	metrics__set_ready(f->m, true);
	scrape(f->port, &f->r, &f->e);
	pf = pfind(&f->e, "aisec_events_total");
	assert_int_equal(pf->n, 3);
	assert_true(psample(&f->e, "aisec_events_total", "kind=\"exec\"")->value == 15);
	assert_true(psample(&f->e, "aisec_events_total", "kind=\"open\"")->value == 1);
	assert_true(psample(&f->e, "aisec_events_total", "kind=\"connect\"")->value == 1);
	assert_true(psample(&f->e, "aisec_ringbuf_fill_ratio", "")->value == 0.125);

	/* HEAD /metrics: headers only; a query string does not change the path. */
	assert_int_equal(curl_req(f->port, "HEAD", "/metrics", &f->r), 0);
	assert_int_equal(f->r.status, 200);
	assert_string_equal(f->r.body, "");
	assert_int_equal(curl_req(f->port, "GET", "/metrics?name[]=x", &f->r), 0);
	assert_int_equal(f->r.status, 200);
	assert_non_null(strstr(f->r.body, "# TYPE aisec_events_total counter\n"));
}

static void test_404_405(void **state)
{
	struct fx *f = *state;
	static const char *const missing[] = {"/", "/metricsx", "/metrics/", "/healthz/x", "/HEALTHZ", "/favicon.ico"};
	static const struct {
		const char *method, *path;
	} wrong[] = {
	    {"POST", "/metrics"},    {"DELETE", "/healthz"}, {"PUT", "/metrics"},
	    {"OPTIONS", "/healthz"}, {"DELETE", "/metrics"},
	};
	char allow[128];

	metrics__set_ready(f->m, true);
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		assert_int_equal(curl_req(f->port, "GET", missing[i], &f->r), 0);
		if (f->r.status != 404)
			fail_msg("GET %s: %d, expected 404", missing[i], f->r.status);
		assert_string_equal(f->r.body, "not found\n");
	}
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		assert_int_equal(curl_req(f->port, wrong[i].method, wrong[i].path, &f->r), 0);
		if (f->r.status != 405)
			fail_msg("%s %s: %d, expected 405", wrong[i].method, wrong[i].path, f->r.status);
		assert_non_null(header(&f->r, "Allow", allow, sizeof(allow)));
		assert_string_equal(allow, "GET, HEAD");
	}
	/* The 405s changed nothing. */
	assert_int_equal(curl_req(f->port, "GET", "/healthz", &f->r), 0);
	assert_int_equal(f->r.status, 200);
}

/* The server answers a good request after whatever came before. */
static void assert_still_serving(int port, const char *after)
{
	static const char good[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char buf[4096];
	ssize_t n = raw_req(port, good, sizeof(good) - 1, buf, sizeof(buf));

	if (n <= 0 || raw_status(buf) != 503 || !strstr(buf, "\r\n\r\nnot ready\n"))
		fail_msg("after %s: good request got %zd bytes: %.200s", after, n, n > 0 ? buf : "");
}

static void test_malformed(void **state)
{
	static const char nul_req[] = "GET /metr\0ics HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char no_colon[] = "GET /metrics HTTP/1.1\r\nHost x\r\n\r\n";
	static const char bad_len[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n";
	static const char huge_len[] =
	    "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n";
	static const char blank[] = "\r\n\r\n";
	static const char bad_version[] = "GET /metrics HTTP/x.y\r\nHost: x\r\n\r\n";
	static const char half[] = "GET /metr";
	struct fx *f = *state;
	size_t big = 100 * 1024, huge = 200 * 1024;
	char *hdr = malloc(big + 256), *url = malloc(huge + 256), junk[4096], buf[65536];
	struct {
		const char *what;
		const char *data;
		size_t len;
	} cases[16];
	size_t nc = 0, off;
	unsigned int seed = 12345;
	int idle[40];

	assert_non_null(hdr);
	assert_non_null(url);
	/* The raw client sees a good request answered, so the checks below can fail. */
	assert_still_serving(f->port, "nothing");

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(rand_r(&seed) & 0xff);
	cases[nc++] = (typeof(cases[0])){"binary junk", junk, sizeof(junk)};
	cases[nc++] = (typeof(cases[0])){"NUL in request line", nul_req, sizeof(nul_req) - 1};
	off = (size_t)sprintf(hdr, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(hdr + off, 'a', big);
	off += big;
	off += (size_t)sprintf(hdr + off, "\r\n\r\n");
	cases[nc++] = (typeof(cases[0])){"100 KB header", hdr, off};
	off = (size_t)sprintf(url, "GET /");
	memset(url + off, 'u', huge);
	off += huge;
	off += (size_t)sprintf(url + off, " HTTP/1.1\r\nHost: x\r\n\r\n");
	cases[nc++] = (typeof(cases[0])){"200 KB URL", url, off};
	cases[nc++] = (typeof(cases[0])){"header without colon", no_colon, sizeof(no_colon) - 1};
	cases[nc++] = (typeof(cases[0])){"non-numeric Content-Length", bad_len, sizeof(bad_len) - 1};
	cases[nc++] = (typeof(cases[0])){"overflowing Content-Length", huge_len, sizeof(huge_len) - 1};
	cases[nc++] = (typeof(cases[0])){"bad HTTP version", bad_version, sizeof(bad_version) - 1};
	cases[nc++] = (typeof(cases[0])){"half a request line", half, sizeof(half) - 1};
	cases[nc++] = (typeof(cases[0])){"blank lines only", blank, sizeof(blank) - 1};

	for (size_t i = 0; i < nc; i++) {
		ssize_t n = raw_req(f->port, cases[i].data, cases[i].len, buf, sizeof(buf));
		int st = n > 0 ? raw_status(buf) : 0;

		/* A 4xx, or the server hung up (0 bytes); never a timeout, never a 2xx. */
		if (n < 0 || (n > 0 && (st < 400 || st > 499)))
			fail_msg("%s: got %zd bytes, status %d: %.120s", cases[i].what, n, st, n > 0 ? buf : "");
		assert_still_serving(f->port, cases[i].what);
	}

	/* More idle connections than the limit: the extra ones are refused or
	 * closed, and once they go the server serves again. */
	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		idle[i] = connect_local(f->port);
	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		if (idle[i] >= 0)
			close(idle[i]);
	usleep(100 * 1000);
	assert_still_serving(f->port, "40 idle connections");
	free(hdr);
	free(url);
}

/* ---- concurrency ---- */

struct conc {
	struct metrics *m;
	int port, a, b, g;
	volatile int stop;
	long adds;
	int failures;
	char why[512];
	pthread_mutex_t lock;
};

static void conc_fail(struct conc *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&c->lock);
	if (!c->failures++) {
		va_start(ap, fmt);
		vsnprintf(c->why, sizeof(c->why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&c->lock);
}

static void *updater(void *arg)
{
	struct conc *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		if (metrics__add(c->m, c->a, "kind=\"x\"", 1) || metrics__add(c->m, c->b, "kind=\"x\"", 1) ||
		    metrics__set(c->m, c->g, "", (double)c->adds)) {
			conc_fail(c, "update failed");
			break;
		}
		c->adds++;
	}
	return NULL;
}

static void *scraper(void *arg)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct conc *c = arg;
	struct expo *e = malloc(sizeof(*e));
	char *buf = malloc(65536);
	double last = -1;

	if (!e || !buf) {
		conc_fail(c, "oom");
		goto out;
	}
	for (int i = 0; i < 40; i++) {
		ssize_t n = raw_req(c->port, req, sizeof(req) - 1, buf, 65536);
		char *body = n > 0 ? strstr(buf, "\r\n\r\n") : NULL;
		struct psample *a, *b;

		if (!body || raw_status(buf) != 200) {
			conc_fail(c, "scrape %d: %zd bytes: %.100s", i, n, n > 0 ? buf : "");
			break;
		}
		if (parse_expo(body + 4, e)) {
			conc_fail(c, "parse: %s", e->err);
			break;
		}
		a = psample(e, "conc_a_total", "kind=\"x\"");
		b = psample(e, "conc_b_total", "kind=\"x\"");
		/* a is added before b, each under the lock: b <= a <= b + 1. */
		if (!a || !b || a->value < b->value || a->value > b->value + 1 || a->value < last) {
			conc_fail(c, "inconsistent snapshot: a=%g b=%g last=%g", a ? a->value : -1, b ? b->value : -1,
				  last);
			break;
		}
		last = a->value;
	}
out:
	free(e);
	free(buf);
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fx *f = *state;
	struct conc c = {.m = f->m, .port = f->port};
	pthread_t up, sc[4];

	pthread_mutex_init(&c.lock, NULL);
	c.a = metrics__register(f->m, "conc_a_total", "a", METRIC_COUNTER);
	c.b = metrics__register(f->m, "conc_b_total", "b", METRIC_COUNTER);
	c.g = metrics__register(f->m, "conc_gauge", "g", METRIC_GAUGE);
	assert_true(c.a >= 0 && c.b >= 0 && c.g >= 0);
	assert_int_equal(metrics__add(f->m, c.a, "kind=\"x\"", 0), 0);
	assert_int_equal(metrics__add(f->m, c.b, "kind=\"x\"", 0), 0);
	assert_int_equal(pthread_create(&up, NULL, updater, &c), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&sc[i], NULL, scraper, &c), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(sc[i], NULL);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(up, NULL);
	if (c.failures)
		fail_msg("%d failures, first: %s", c.failures, c.why);
	assert_true(c.adds > 0);

	/* Every update counted exactly once. */
	scrape(f->port, &f->r, &f->e);
	assert_true(psample(&f->e, "conc_a_total", "kind=\"x\"")->value == (double)c.adds);
	assert_true(psample(&f->e, "conc_b_total", "kind=\"x\"")->value == (double)c.adds);
	pthread_mutex_destroy(&c.lock);
}

/* ---- validation and limits ---- */

static void test_register_validation(void **state)
{
	struct fx *f = *state;
	static const char *const bad_names[] = {"", "1abc", "a-b", "a b", "a\n", "caf\xc3\xa9", "a{x}", "a.b"};
	static const char *const good_names[] = {"a", "_x", "a:b_c9", ":x", "A_Z"};
	static const char *const bad_labels[] = {
	    "kind=exec", "kind=\"a",   "kind=\"a\"\n", "kind=\"a\",",	   "1k=\"a\"", "k=\"a\\q\"", "k=\"a\"x",
	    "{k=\"a\"}", "k=\"a\nb\"", "=\"a\"",       "k=\"a\" ,j=\"b\"", ",",	       "k:x=\"a\"",
	};
	char longname[300], longhelp[2000], longlabels[1100];
	int c, g, id;

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		if (metrics__register(f->m, bad_names[i], "h", METRIC_GAUGE) != -EINVAL)
			fail_msg("name '%s' accepted", bad_names[i]);
	assert_int_equal(metrics__register(f->m, NULL, "h", METRIC_GAUGE), -EINVAL);
	assert_int_equal(metrics__register(NULL, "ok", "h", METRIC_GAUGE), -EINVAL);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(metrics__register(f->m, longname, "h", METRIC_GAUGE), -EINVAL);
	memset(longhelp, 'h', sizeof(longhelp) - 1);
	longhelp[sizeof(longhelp) - 1] = '\0';
	assert_int_equal(metrics__register(f->m, "helpful", longhelp, METRIC_GAUGE), -EINVAL);
	assert_int_equal(metrics__register(f->m, "typeless", "h", (enum metric_type)0), -EINVAL);
	assert_int_equal(metrics__register(f->m, "typeless", "h", (enum metric_type)3), -EINVAL);
	for (size_t i = 0; i < sizeof(good_names) / sizeof(good_names[0]); i++)
		if (metrics__register(f->m, good_names[i], NULL, METRIC_GAUGE) != (int)i)
			fail_msg("name '%s' not registered as id %zu", good_names[i], i);

	/* Same name: same id with the same type, -EINVAL with another. */
	c = metrics__register(f->m, "v_total", "c", METRIC_COUNTER);
	assert_int_equal(c, 5);
	assert_int_equal(metrics__register(f->m, "v_total", "other help", METRIC_COUNTER), c);
	assert_int_equal(metrics__register(f->m, "v_total", "c", METRIC_GAUGE), -EINVAL);
	g = metrics__register(f->m, "v_gauge", "g", METRIC_GAUGE);
	assert_int_equal(g, 6);
	assert_int_equal(metrics__register(f->m, "v_gauge", "g", METRIC_COUNTER), -EINVAL);

	/* Updates: ids, label syntax, counter direction. */
	assert_int_equal(metrics__set(f->m, -1, "", 1), -EINVAL);
	assert_int_equal(metrics__set(f->m, 7, "", 1), -EINVAL);
	assert_int_equal(metrics__add(f->m, 1000, "", 1), -EINVAL);
	assert_int_equal(metrics__add(NULL, c, "", 1), -EINVAL);
	assert_int_equal(metrics__add(f->m, c, NULL, 1), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++)
		if (metrics__add(f->m, c, bad_labels[i], 1) != -EINVAL)
			fail_msg("labels '%s' accepted", bad_labels[i]);
	memset(longlabels, 'x', sizeof(longlabels));
	memcpy(longlabels, "k=\"", 3);
	memcpy(longlabels + sizeof(longlabels) - 2, "\"", 2);
	assert_int_equal(metrics__add(f->m, c, longlabels, 1), -EINVAL);
	assert_int_equal(metrics__add(f->m, c, "a=\"1\",b=\"x\\\"y\\\\z\\n\"", 1), 0);
	assert_int_equal(metrics__add(f->m, c, "", -1), -EINVAL);
	assert_int_equal(metrics__add(f->m, c, "", NAN), -EINVAL);
	assert_int_equal(metrics__set(f->m, c, "", -1), -EINVAL);
	assert_int_equal(metrics__set(f->m, c, "", 42), 0);
	assert_int_equal(metrics__set(f->m, g, "", -1), 0);
	assert_int_equal(metrics__add(f->m, g, "", -1), 0);

	/* Nothing rejected left a trace: exactly the accepted samples. */
	scrape(f->port, &f->r, &f->e);
	assert_int_equal(f->e.n, 7);
	assert_string_equal(pfind(&f->e, "v_total")->help, "c");
	assert_int_equal(pfind(&f->e, "v_total")->n, 2);
	assert_true(psample(&f->e, "v_total", "a=\"1\",b=\"x\\\"y\\\\z\\n\"")->value == 1);
	assert_true(psample(&f->e, "v_total", "")->value == 42);
	assert_int_equal(pfind(&f->e, "v_gauge")->n, 1);
	assert_true(psample(&f->e, "v_gauge", "")->value == -2);
	assert_string_equal(pfind(&f->e, "a")->help, "");

	/* Family limit: 256. */
	for (int i = f->e.n; i < 256; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fam_%d", i);
		id = metrics__register(f->m, name, "x", METRIC_GAUGE);
		if (id != i)
			fail_msg("family %d: %d", i, id);
	}
	assert_int_equal(metrics__register(f->m, "one_too_many", "x", METRIC_GAUGE), -ENOSPC);
	assert_int_equal(metrics__register(f->m, "v_total", "c", METRIC_COUNTER), c);

	/* Sample limit: 4096 over all families (3 used above). */
	for (int i = 3; i < 4096; i++) {
		char labels[32];
		int rc;

		snprintf(labels, sizeof(labels), "i=\"%d\"", i);
		rc = metrics__set(f->m, 7 + i % 249, labels, i);
		if (rc)
			fail_msg("sample %d: %d", i, rc);
	}
	assert_int_equal(metrics__set(f->m, g, "new=\"1\"", 1), -ENOSPC);
	assert_int_equal(metrics__add(f->m, c, "new=\"1\"", 1), -ENOSPC);
	assert_int_equal(metrics__add(f->m, c, "", 1), 0); /* existing samples still move */

	/* The full registry still renders: 256 families, 4096 samples. */
	assert_int_equal(curl_req(f->port, "GET", "/metrics", &f->r), 0);
	assert_int_equal(f->r.status, 200);
	{
		int helps = 0, types = 0, samples = 0;

		for (char *p = f->r.body; *p; p = strchr(p, '\n') + 1) {
			if (!strncmp(p, "# HELP ", 7))
				helps++;
			else if (!strncmp(p, "# TYPE ", 7))
				types++;
			else
				samples++;
		}
		assert_int_equal(helps, 256);
		assert_int_equal(types, 256);
		assert_int_equal(samples, 4096);
		assert_non_null(strstr(f->r.body, "\nv_total 43\n"));
		assert_non_null(strstr(f->r.body, "\nfam_255{i=\"3983\"} 3983\n"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_start_and_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_404_405, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_register_validation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * httpload: a small closed-loop HTTP/1.1 load generator for bench/e2e.sh.
 *
 * C connections (one thread each, blocking sockets) send keep-alive GET
 * requests to HOST:PORT, one outstanding request per connection, cycling
 * through the paths given. After a warm-up (W requests in all, not timed) the
 * threads meet at a barrier and send N requests in all; each request's latency
 * (from the send to the last byte of its response) is recorded. Prints one line:
 *
 *   requests N conns C seconds S rps R p50_us P p90_us Q p99_us X max_us M errors E
 *
 * and, with -v, the number of requests sent per path (warm-up included).
 * Responses need a Content-Length or end at close (what Werkzeug sends);
 * a response that is not 2xx, or a connection that fails, counts as an error
 * (the connection is reopened). Exit status 1 if any request failed.
 *
 * Usage: httpload [-h HOST] [-p PORT] [-c CONNS] [-n REQUESTS] [-w WARMUP] [-v] PATH...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATHS 32
#define BUF_SIZE (256 * 1024)

static const char *host = "127.0.0.1";
static int port = 8080;
static const char *paths[MAX_PATHS];
static char *requests[MAX_PATHS];
static size_t request_len[MAX_PATHS];
static int npaths;
static long total_n = 1000, warmup_n = 100;
static int conns = 1;
static pthread_barrier_t barrier;
static atomic_long next_req;       /* requests handed out in the timed phase */
static atomic_long path_count[MAX_PATHS];
static atomic_long errors;
static uint64_t *lat_ns;           /* one slot per timed request */
static uint64_t t_start, t_end;

struct worker {
	pthread_t thread;
	int id;
	int fd;
	unsigned next_path;
	char *buf;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_conn(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "httpload: %s: not an IPv4 address\n", host);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Requests are small and sent whole: no Nagle delay on the second one. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Header value of NAME in the header block [hdr, end), or NULL. */
static const char *header(const char *hdr, const char *end, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *line = hdr; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));

		if (!eol)
			break;
		if ((size_t)(eol - line) > nlen && !strncasecmp(line, name, nlen) && line[nlen] == ':') {
			const char *v = line + nlen + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
		line = eol + 1;
	}
	return NULL;
}

/*
 * One request on w->fd, response read whole. Returns 0 for a 2xx response,
 * 1 for another status, -1 when the connection failed. *keep is set to
 * whether the connection may carry the next request.
 */
static int do_request(struct worker *w, int pi, int *keep)
{
	size_t have = 0, body_at = 0, want = 0;
	long clen = -1;
	int status = 0;

	*keep = 0;
	if (send_all(w->fd, requests[pi], request_len[pi]) < 0)
		return -1;
	for (;;) {
		ssize_t n;

		if (have == BUF_SIZE - 1) {
			fprintf(stderr, "httpload: response larger than %d bytes\n", BUF_SIZE);
			return -1;
		}
		n = recv(w->fd, w->buf + have, BUF_SIZE - 1 - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			/* Closed: complete only if the length was given by the close. */
			if (body_at && clen < 0)
				return (status >= 200 && status < 300) ? 0 : 1;
			return -1;
		}
		have += (size_t)n;
		w->buf[have] = '\0';
		if (!body_at) {
			char *eoh = strstr(w->buf, "\r\n\r\n");
			const char *v;
			int minor;

			if (!eoh)
				continue;
			body_at = (size_t)(eoh - w->buf) + 4;
			if (sscanf(w->buf, "HTTP/1.%d %d", &minor, &status) != 2)
				return -1;
			if (header(w->buf, eoh + 2, "Transfer-Encoding")) {
				fprintf(stderr, "httpload: chunked responses are not supported\n");
				return -1;
			}
			v = header(w->buf, eoh + 2, "Content-Length");
			if (v)
				clen = strtol(v, NULL, 10);
			v = header(w->buf, eoh + 2, "Connection");
			*keep = minor >= 1 && clen >= 0 && !(v && !strncasecmp(v, "close", 5));
			if (v && !strncasecmp(v, "keep-alive", 10) && clen >= 0)
				*keep = 1;
			want = clen >= 0 ? body_at + (size_t)clen : 0;
		}
		if (clen >= 0 && have >= want)
			return (status >= 200 && status < 300) ? 0 : 1;
	}
}

/* One request with reconnects as needed; returns 0 when it succeeded. */
static int one(struct worker *w)
{
	int pi = (int)(w->next_path++ % (unsigned)npaths), keep, rc;

	atomic_fetch_add(&path_count[pi], 1);
	if (w->fd < 0) {
		w->fd = open_conn();
		if (w->fd < 0) {
			atomic_fetch_add(&errors, 1);
			return -1;
		}
	}
	rc = do_request(w, pi, &keep);
	if (rc != 0)
		atomic_fetch_add(&errors, 1);
	if (rc < 0 || !keep) {
		close(w->fd);
		w->fd = -1;
	}
	return rc;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	long my_warm = warmup_n / conns + (w->id < warmup_n % conns);

	w->next_path = (unsigned)w->id; /* connections start on different paths */
	for (long i = 0; i < my_warm; i++)
		one(w);
	if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
		t_start = now_ns();
	pthread_barrier_wait(&barrier);
	for (;;) {
		long i = atomic_fetch_add(&next_req, 1);
		uint64_t t0;

		if (i >= total_n)
			break;
		t0 = now_ns();
		one(w);
		lat_ns[i] = now_ns() - t0;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted array. */
static double pct_us(const uint64_t *v, long n, double p)
{
	long k = (long)(p / 100.0 * (double)n + 0.999999) - 1;

	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return (double)v[k] / 1000.0;
}

static void usage(void)
{
	fprintf(stderr, "usage: httpload [-h HOST] [-p PORT] [-c CONNS] [-n REQUESTS] [-w WARMUP] [-v] PATH...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct worker *ws;
	int opt, verbose = 0;
	double secs;

	while ((opt = getopt(argc, argv, "h:p:c:n:w:v")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'n': total_n = atol(optarg); break;
		case 'w': warmup_n = atol(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind >= argc || argc - optind > MAX_PATHS || conns < 1 || total_n < 1 || warmup_n < 0 || port <= 0)
		usage();
	for (int i = optind; i < argc; i++, npaths++) {
		size_t cap = strlen(argv[i]) + strlen(host) + 128;

		paths[npaths] = argv[i];
		requests[npaths] = malloc(cap);
		if (!requests[npaths])
			return 1;
		request_len[npaths] = (size_t)snprintf(requests[npaths], cap,
						       "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: aisec-httpload\r\n\r\n",
						       argv[i], host, port);
	}
	lat_ns = calloc((size_t)total_n, sizeof(*lat_ns));
	ws = calloc((size_t)conns, sizeof(*ws));
	if (!lat_ns || !ws)
		return 1;
	pthread_barrier_init(&barrier, NULL, (unsigned)conns);
	for (int i = 0; i < conns; i++) {
		ws[i].id = i;
		ws[i].fd = -1;
		ws[i].buf = malloc(BUF_SIZE);
		if (!ws[i].buf || pthread_create(&ws[i].thread, NULL, run, &ws[i]))
			return 1;
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].fd >= 0)
			close(ws[i].fd);
		free(ws[i].buf);
	}
	t_end = now_ns();
	secs = (double)(t_end - t_start) / 1e9;
	qsort(lat_ns, (size_t)total_n, sizeof(*lat_ns), cmp_u64);
	printf("requests %ld conns %d seconds %.3f rps %.1f p50_us %.1f p90_us %.1f p99_us %.1f max_us %.1f errors %ld\n",
	       total_n, conns, secs, (double)total_n / secs, pct_us(lat_ns, total_n, 50), pct_us(lat_ns, total_n, 90),
	       pct_us(lat_ns, total_n, 99), (double)lat_ns[total_n - 1] / 1000.0, atomic_load(&errors));
	if (verbose)
		for (int i = 0; i < npaths; i++)
			printf("path %s %ld\n", paths[i], atomic_load(&path_count[i]));
	free(lat_ns);
	free(ws);
	return atomic_load(&errors) ? 1 : 0;
}

/*
 * kubelet: GET the kubelet's pod list with libcurl (see kubelet.h), and
 * podmeta__new, which starts podmeta's cache with this client as the source
 * of its pod lists.
 *
 * Each request reads the token file again (projected service-account tokens
 * are rotated by the kubelet about hourly) and wipes it afterwards. The
 * transfer is bounded in time (timeout_ms) and size (max_bytes, checked as
 * the bytes arrive), never follows redirects, never goes through a proxy
 * (the kubelet is on this node, and a proxy would see the token) and only
 * speaks http and https.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "kubelet.h"
#include "podmeta.h"

#ifndef AISEC_VERSION
#define AISEC_VERSION "dev"
#endif

#define DEFAULT_TIMEOUT_MS 5000
#define TOKEN_MAX (64u << 10) /* a service-account JWT is about 1 KB */

struct kubelet {
	CURL *curl;
	char *url, *token_file, *ca_file;
	unsigned timeout_ms;
	size_t max_bytes;
	int cancelled; /* atomic */
	char errbuf[CURL_ERROR_SIZE];
};

/* What a response body is collected in. */
struct sink {
	char *buf;
	size_t len, cap, max;
	bool too_big, oom;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n, cap;
	char *buf;

	if (add > s->max - s->len) {
		s->too_big = true;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	if (s->len + add + 1 > s->cap) {
		for (cap = s->cap ? s->cap : 16384; cap < s->len + add + 1; cap *= 2)
			;
		buf = realloc(s->buf, cap);
		if (!buf) {
			s->oom = true;
			return 0;
		}
		s->buf = buf;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, add);
	s->len += add;
	s->buf[s->len] = '\0';
	return add;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct kubelet *k = arg;

	return __atomic_load_n(&k->cancelled, __ATOMIC_ACQUIRE) ? 1 : 0;
}

/* The bearer token: path's content without the white space around it, in
 * *tok (malloc'd; wipe and free it). 0 or a negative errno with a reason. */
static int read_token(const char *path, char **tok, char *err, size_t errlen)
{
	struct stat sb;
	size_t got = 0, start, i;
	ssize_t n;
	char *buf;
	int fd, rc = 0;

	*tok = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "token file %s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > TOKEN_MAX) {
		close(fd);
		snprintf(err, errlen, "token file %s: not a regular file of at most %u bytes", path, TOKEN_MAX);
		return -EINVAL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "token file %s: out of memory", path);
		return -ENOMEM;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "token file %s: read: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	while (got && strchr(" \t\r\n", buf[got - 1]))
		buf[--got] = '\0';
	for (start = 0; buf[start] && strchr(" \t\r\n", buf[start]); start++)
		;
	if (!rc && !buf[start]) {
		rc = -EINVAL;
		snprintf(err, errlen, "token file %s is empty", path);
	}
	for (i = start; !rc && buf[i]; i++) {
		/* it goes into an HTTP header: one line of printable bytes */
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			rc = -EINVAL;
			snprintf(err, errlen, "token file %s: holds a control character; expected one token", path);
		}
	}
	if (rc) {
		explicit_bzero(buf, got);
		free(buf);
		return rc;
	}
	memmove(buf, buf + start, got - start + 1);
	*tok = buf;
	return 0;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Scheme http or https and a host, in libcurl's own reading of the URL. */
static int check_url(const char *url, char *err, size_t errlen)
{
	char *scheme = NULL, *host = NULL;
	CURLU *u = curl_url();
	CURLUcode uc;
	int rc = 0;

	if (!u) {
		snprintf(err, errlen, "kubelet URL: out of memory");
		return -ENOMEM;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (uc || (strcmp(scheme, "http") && strcmp(scheme, "https")) || !host[0]) {
		snprintf(err, errlen,
			 "kubelet URL \"%.200s\": %s; expected http(s)://host[:port]/pods, e.g. "
			 "https://127.0.0.1:10250/pods",
			 url, uc ? curl_url_strerror(uc) : "not an http or https URL with a host");
		rc = -EINVAL;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

void kubelet__free(struct kubelet *k)
{
	if (!k)
		return;
	if (k->curl)
		curl_easy_cleanup(k->curl);
	free(k->url);
	free(k->token_file);
	free(k->ca_file);
	free(k);
}

struct kubelet *kubelet__new(const struct kubelet_opts *o, char *err, size_t errlen)
{
	struct kubelet *k = NULL;
	char *tok = NULL, dummy[1];
	CURL *c;
	int rc;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!o || !o->url) {
		snprintf(err, errlen, "kubelet: no URL given");
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc) {
		snprintf(err, errlen, "kubelet: libcurl: %s", curl_easy_strerror(curl_init_rc));
		errno = EIO;
		return NULL;
	}
	rc = check_url(o->url, err, errlen);
	if (rc)
		goto fail;
	if (o->token_file) {
		rc = read_token(o->token_file, &tok, err, errlen);
		wipe_free(tok);
		if (rc)
			goto fail;
	}
	if (o->ca_file && access(o->ca_file, R_OK)) {
		rc = -errno;
		snprintf(err, errlen, "kubelet ca_file %s: cannot read: %s", o->ca_file, strerror(errno));
		goto fail;
	}
	rc = -ENOMEM;
	k = calloc(1, sizeof(*k));
	if (!k)
		goto oom;
	k->url = strdup(o->url);
	k->token_file = o->token_file ? strdup(o->token_file) : NULL;
	k->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	k->curl = c = curl_easy_init();
	if (!k->url || (o->token_file && !k->token_file) || (o->ca_file && !k->ca_file) || !c)
		goto oom;
	k->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	k->max_bytes = o->max_bytes ? o->max_bytes : KUBELET_MAX_BYTES;

	/* a failing setopt is an option this libcurl lacks: the request will say */
	curl_easy_setopt(c, CURLOPT_URL, k->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)k->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)k->timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)k->max_bytes);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "aisec-rt/" AISEC_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, k);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, k->errbuf);
	if (k->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, k->ca_file);
	if (o->insecure_tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return k;
oom:
	snprintf(err, errlen, "kubelet: out of memory");
fail:
	kubelet__free(k);
	errno = -rc;
	return NULL;
}

void kubelet__cancel(struct kubelet *k)
{
	if (k)
		__atomic_store_n(&k->cancelled, 1, __ATOMIC_RELEASE);
}

/* A reason for a failed transfer, with what to do where we know it. */
static int transfer_error(struct kubelet *k, CURLcode cc, char *err, size_t errlen)
{
	const char *what = k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc);
	long os_err = 0;

	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(err, errlen,
			 "kubelet %s: TLS: %s; set ca_file to the CA that signed the kubelet's serving certificate "
			 "(its name must match the URL's host), or insecure_tls",
			 k->url, what);
		return -EPROTO;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "kubelet %s: no complete answer within %u ms", k->url, k->timeout_ms);
		return -ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(err, errlen, "kubelet %s: the pod list is larger than %zu bytes", k->url, k->max_bytes);
		return -EFBIG;
	case CURLE_COULDNT_CONNECT:
		/* not libcurl's text: it has the milliseconds taken, and a
		 * message that changes every time would be logged every time */
		if (curl_easy_getinfo(k->curl, CURLINFO_OS_ERRNO, &os_err) || !os_err)
			os_err = ECONNREFUSED;
		snprintf(err, errlen, "kubelet %s: cannot connect: %s; is the kubelet listening there?", k->url,
			 strerror((int)os_err));
		return -ECONNREFUSED;
	default:
		snprintf(err, errlen, "kubelet %s: %s", k->url, what);
		return -EIO;
	}
}

int kubelet__get(struct kubelet *k, char **body, size_t *len, char *err, size_t errlen)
{
	struct sink s = {.max = k->max_bytes};
	struct curl_slist *hdrs = NULL, *h, *l;
	char *tok = NULL, *auth = NULL;
	char dummy[1];
	long status = 0;
	CURLcode cc;
	int rc = 0;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	*body = NULL;
	*len = 0;
	if (__atomic_load_n(&k->cancelled, __ATOMIC_ACQUIRE)) {
		snprintf(err, errlen, "kubelet %s: cancelled", k->url);
		return -ECANCELED;
	}
	if (k->token_file) {
		rc = read_token(k->token_file, &tok, err, errlen);
		if (rc)
			return rc;
		if (asprintf(&auth, "Authorization: Bearer %s", tok) < 0)
			auth = NULL;
		wipe_free(tok);
		h = auth ? curl_slist_append(hdrs, auth) : NULL;
		wipe_free(auth);
		if (!h) {
			snprintf(err, errlen, "kubelet %s: out of memory", k->url);
			return -ENOMEM;
		}
		hdrs = h;
	}
	h = curl_slist_append(hdrs, "Accept: application/json");
	if (!h) {
		rc = -ENOMEM;
		snprintf(err, errlen, "kubelet %s: out of memory", k->url);
		goto cleanup;
	}
	hdrs = h;
	k->errbuf[0] = '\0';
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(k->curl);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, NULL);
	if (__atomic_load_n(&k->cancelled, __ATOMIC_ACQUIRE)) {
		rc = -ECANCELED;
		snprintf(err, errlen, "kubelet %s: cancelled", k->url);
	} else if (s.too_big) {
		rc = -EFBIG;
		snprintf(err, errlen, "kubelet %s: the pod list is larger than %zu bytes", k->url, k->max_bytes);
	} else if (s.oom) {
		rc = -ENOMEM;
		snprintf(err, errlen, "kubelet %s: out of memory", k->url);
	} else if (cc) {
		rc = transfer_error(k, cc, err, errlen);
	} else {
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200) {
			rc = -EIO;
			snprintf(err, errlen, "kubelet %s: HTTP %ld%s", k->url, status,
				 status == 401	 ? ": the token was not accepted; check token_file"
				 : status == 403 ? ": the token's service account may not get nodes/proxy"
						 : "");
		}
	}
	if (!rc && !s.buf) {
		s.buf = strdup("");
		if (!s.buf) {
			rc = -ENOMEM;
			snprintf(err, errlen, "kubelet %s: out of memory", k->url);
		}
	}
cleanup:
	/* the header list holds copies of the token */
	for (l = hdrs; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
	if (rc) {
		free(s.buf);
		return rc;
	}
	*body = s.buf;
	*len = s.len;
	return 0;
}

static int fetch_get(void *ctx, char **body, size_t *len, char *err, size_t errlen)
{
	return kubelet__get(ctx, body, len, err, errlen);
}

static void fetch_cancel(void *ctx)
{
	kubelet__cancel(ctx);
}

static void fetch_free(void *ctx)
{
	kubelet__free(ctx);
}

struct podmeta *podmeta__new(const struct podmeta_opts *o, char *err, size_t errlen)
{
	struct kubelet_opts ko = {0};
	struct podmeta_fetch f = {0};
	struct podmeta *pm;
	struct kubelet *k;
	char dummy[1];
	int saved;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!o || !o->kubelet_url)
		return podmeta__start(o, NULL, err, errlen);
	ko.url = o->kubelet_url;
	ko.token_file = o->token_file;
	ko.ca_file = o->ca_file;
	ko.insecure_tls = o->insecure_tls;
	ko.timeout_ms = o->timeout_ms;
	k = kubelet__new(&ko, err, errlen);
	if (!k)
		return NULL;
	f.name = o->kubelet_url;
	f.ctx = k;
	f.get = fetch_get;
	f.cancel = fetch_cancel;
	f.free = fetch_free;
	pm = podmeta__start(o, &f, err, errlen);
	if (!pm) {
		saved = errno;
		kubelet__free(k);
		errno = saved;
	}
	return pm;
}

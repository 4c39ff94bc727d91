/*
 * ssrf: server-side request forgery detector (CWE-918) over connect events;
 * ssrf.h says what triggers and what confirms, docs/rules.md lists the
 * parameters.
 *
 * Addresses are kept as 16 bytes, IPv4 as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), so an IPv6 socket connecting to ::ffff:169.254.169.254
 * is the same destination as an IPv4 one. The private addresses used during
 * the learning window go into a fixed-size open-addressing set allocated
 * up front: per event there is no allocation and no syscall.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "rules.h"
#include "ssrf.h"

#define DEFAULT_LEARNING_SECONDS 120.0
#define DEFAULT_LEARNED_MAX 1024
#define LEARNED_MAX_LIMIT 1000000
#define ADDR_TEXT_MAX 64

struct range {
	__u8 addr[16]; /* masked to bits */
	unsigned bits; /* prefix length over the 16 bytes (IPv4 /n is 96 + n) */
};

struct allow {
	struct range r;
	int port; /* -1: any */
};

struct ssrf {
	struct detect_id id; /* name, CWEs, severity from the rule */
	struct range *meta;
	size_t nmeta;
	__u8 admin[65536 / 8]; /* bitmap of admin ports */
	struct range *priv;
	size_t npriv;
	struct allow *allow;
	size_t nallow;
	double learning;
	/* Learned private addresses: open addressing, linear probing, never more than max of cap used. */
	__u8 (*set)[16];
	bool *used;
	size_t cap, count, max;
};

static const __u8 v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static const char *const param_keys[] = {"metadata_addresses", "admin_ports", "private_ranges",
					 "learning_seconds",   "learned_max", "allow"};


/*
 * Parse an IPv4 or IPv6 address into 16 bytes (IPv4 mapped). *v4 says it was
 * written as IPv4, so a prefix length after it counts IPv4 bits
 * ("::ffff:10.0.0.0/104" and "10.0.0.0/8" are the same range).
 */
static bool parse_addr(const char *s, __u8 out[16], bool *v4)
{
	*v4 = inet_pton(AF_INET, s, out + 12) == 1;
	if (*v4) {
		memcpy(out, v4mapped, 12);
		return true;
	}
	return inet_pton(AF_INET6, s, out) == 1;
}

static void mask(struct range *r)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		unsigned keep = r->bits > i * 8 ? r->bits - i * 8 : 0;

		if (keep < 8)
			r->addr[i] &= (__u8)(0xff00 >> keep);
	}
}

/* "ADDR" or "ADDR/LEN" (LEN up to 32 for IPv4, 128 for IPv6); with_len false: ADDR only. */
static bool parse_range(const char *s, bool with_len, struct range *r)
{
	char buf[ADDR_TEXT_MAX];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	bool v4;
	char *end;
	long len;

	if (n == 0 || n >= sizeof(buf) || (slash && !with_len))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!parse_addr(buf, r->addr, &v4))
		return false;
	r->bits = 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return false;
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (*end || errno || len < 0 || len > (v4 ? 32 : 128))
			return false;
		r->bits = (unsigned)len + (v4 ? 96 : 0);
	}
	mask(r);
	return true;
}

/* "RANGE", "RANGE:PORT" (IPv4) or "[RANGE]:PORT" (IPv6); *port -1 when none. */
static bool parse_allow(const char *s, struct allow *a)
{
	char buf[ADDR_TEXT_MAX];
	const char *portp = NULL, *colon;
	size_t n;
	char *end;
	long port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] != '\0' && close[1] != ':'))
			return false;
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			portp = close + 2;
		s++;
	} else {
		colon = strchr(s, ':');
		/* One ':' is an IPv4 range with a port; more is a bare IPv6 range. */
		if (colon && !strchr(colon + 1, ':')) {
			n = (size_t)(colon - s);
			portp = colon + 1;
		} else {
			n = strlen(s);
		}
	}
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!parse_range(buf, true, &a->r))
		return false;
	a->port = -1;
	if (portp) {
		if (*portp < '0' || *portp > '9')
			return false;
		errno = 0;
		port = strtol(portp, &end, 10);
		if (*end || errno || port < 1 || port > 65535)
			return false;
		a->port = (int)port;
	}
	return true;
}

/* Whether j is a number with an integer value in lo..hi. */
static bool int_in(const cJSON *j, double lo, double hi)
{
	return cJSON_IsNumber(j) && j->valuedouble >= lo && j->valuedouble <= hi &&
	       (double)(long long)j->valuedouble == j->valuedouble;
}

static int check_array(const cJSON *arr, const char *key, char *err, size_t errlen)
{
	const cJSON *it;
	size_t i = 0;
	struct range r;
	struct allow a;

	if (!cJSON_IsArray(arr))
		return detect__fail(err, errlen, "$.params.%s: expected an array", key);
	cJSON_ArrayForEach(it, arr)
	{
		const char *s = cJSON_GetStringValue(it);

		if (strcmp(key, "admin_ports") == 0) {
			if (!int_in(it, 1, 65535))
				return detect__fail(err, errlen, "$.params.%s[%zu]: expected a port number 1..65535", key, i);
		} else if (!s) {
			return detect__fail(err, errlen, "$.params.%s[%zu]: expected a string", key, i);
		} else if (strcmp(key, "metadata_addresses") == 0 && !parse_range(s, false, &r)) {
			return detect__fail(err, errlen, "$.params.%s[%zu]: not an address", key, i);
		} else if (strcmp(key, "private_ranges") == 0 && !parse_range(s, true, &r)) {
			return detect__fail(err, errlen, "$.params.%s[%zu]: not an address range", key, i);
		} else if (strcmp(key, "allow") == 0 && !parse_allow(s, &a)) {
			return detect__fail(err, errlen,
				    "$.params.%s[%zu]: expected an address range, \"RANGE:PORT\" or \"[RANGE]:PORT\"",
				    key, i);
		}
		i++;
	}
	return 0;
}

/*
 * Validate the ssrf params: an object whose only keys are
 * metadata_addresses (addresses), admin_ports (1..65535), private_ranges
 * (CIDR ranges), learning_seconds (a number >= 0), learned_max (an integer
 * 1..1000000) and allow (ranges, optionally with a port). 0, or -EINVAL with
 * "$.params.<path>: problem" in err.
 */
int ssrf__check_params(const struct cJSON *params, char *err, size_t errlen)
{
	const cJSON *it;
	size_t k;
	int ret;

	if (!cJSON_IsObject(params))
		return detect__fail(err, errlen, "$.params: expected an object");
	cJSON_ArrayForEach(it, params)
	{
		for (k = 0; k < sizeof(param_keys) / sizeof(param_keys[0]); k++)
			if (it->string && strcmp(it->string, param_keys[k]) == 0)
				break;
		if (k == sizeof(param_keys) / sizeof(param_keys[0]))
			return detect__fail(err, errlen, "$.params.%s: unknown key", it->string ? it->string : "");
		if (strcmp(it->string, "learning_seconds") == 0) {
			if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble <= 1e9))
				return detect__fail(err, errlen,
					    "$.params.learning_seconds: expected a number of seconds 0..1e9");
		} else if (strcmp(it->string, "learned_max") == 0) {
			if (!int_in(it, 1, LEARNED_MAX_LIMIT))
				return detect__fail(err, errlen, "$.params.learned_max: expected an integer 1..%d",
					    LEARNED_MAX_LIMIT);
		} else {
			ret = check_array(it, it->string, err, errlen);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int load(struct ssrf *d, const cJSON *params)
{
	const cJSON *it;
	size_t n;

	n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(params, "metadata_addresses"));
	d->meta = calloc(n ? n : 1, sizeof(*d->meta));
	n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(params, "private_ranges"));
	d->priv = calloc(n ? n : 1, sizeof(*d->priv));
	n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(params, "allow"));
	d->allow = calloc(n ? n : 1, sizeof(*d->allow));
	if (!d->meta || !d->priv || !d->allow)
		return -ENOMEM;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(params, "metadata_addresses"))
	{
		parse_range(it->valuestring, false, &d->meta[d->nmeta++]);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(params, "private_ranges"))
	{
		parse_range(it->valuestring, true, &d->priv[d->npriv++]);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(params, "allow"))
	{
		parse_allow(it->valuestring, &d->allow[d->nallow++]);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(params, "admin_ports"))
	{
		unsigned p = (unsigned)it->valuedouble;

		d->admin[p / 8] |= (__u8)(1u << (p % 8));
	}
	it = cJSON_GetObjectItemCaseSensitive(params, "learning_seconds");
	d->learning = it ? it->valuedouble : DEFAULT_LEARNING_SECONDS;
	it = cJSON_GetObjectItemCaseSensitive(params, "learned_max");
	d->max = it ? (size_t)it->valuedouble : DEFAULT_LEARNED_MAX;
	/* At most half full: probes stay short. */
	for (d->cap = 8; d->cap < 2 * d->max; d->cap *= 2)
		;
	d->set = calloc(d->cap, sizeof(*d->set));
	d->used = calloc(d->cap, sizeof(*d->used));
	if (!d->set || !d->used)
		return -ENOMEM;
	return 0;
}

/*
 * A detector for one service from its rule family. NULL with errno set
 * (EINVAL: no rule or invalid params, the reason in err; ENOMEM).
 */
struct ssrf *ssrf__new(const struct rule_family *rule, char *err, size_t errlen)
{
	const cJSON *params;
	struct ssrf *d = NULL;
	int ret;

	ret = detect__params(rule, &params, err, errlen);
	if (!ret)
		ret = ssrf__check_params(params, err, errlen);
	if (ret)
		goto cleanup;
	ret = -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d || detect_id__init(&d->id, rule, "ssrf"))
		goto cleanup;
	ret = load(d, params);
	if (ret)
		goto cleanup;
	return d;

cleanup:
	if (ret == -ENOMEM)
		detect__fail(err, errlen, "out of memory");
	ssrf__free(d);
	errno = -ret;
	return NULL;
}

/* Free d and everything it holds; accepts NULL. */
void ssrf__free(struct ssrf *d)
{
	if (!d)
		return;
	free(d->set);
	free(d->used);
	free(d->meta);
	free(d->priv);
	free(d->allow);
	detect_id__free(&d->id);
	free(d);
}

static bool in_range(const struct range *r, const __u8 a[16])
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (memcmp(r->addr, a, full) != 0)
		return false;
	return rest == 0 || (a[full] & (__u8)(0xff00 >> rest)) == r->addr[full];
}

static const struct range *find_range(const struct range *v, size_t n, const __u8 a[16])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (in_range(&v[i], a))
			return &v[i];
	return NULL;
}

/* 127/8, ::1, and the unspecified addresses 0.0.0.0 and ::, which Linux connects to the local host. */
static bool is_loopback(const __u8 a[16])
{
	static const __u8 zero[16];

	if (memcmp(a, v4mapped, 12) == 0)
		return a[12] == 127 || memcmp(a + 12, zero, 4) == 0;
	return memcmp(a, zero, 15) == 0 && (a[15] == 1 || a[15] == 0);
}

static size_t slot(const struct ssrf *d, const __u8 a[16])
{
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	for (i = h & (d->cap - 1); d->used[i] && memcmp(d->set[i], a, 16) != 0; i = (i + 1) & (d->cap - 1))
		;
	return i;
}

static bool learned(const struct ssrf *d, const __u8 a[16])
{
	return d->used[slot(d, a)];
}

static void learn(struct ssrf *d, const __u8 a[16])
{
	size_t i = slot(d, a);

	if (d->used[i] || d->count >= d->max)
		return;
	memcpy(d->set[i], a, 16);
	d->used[i] = true;
	d->count++;
}

/* "1.2.3.4" or "fd00::1" for a 16-byte address. */
static void addr_text(const __u8 a[16], char *buf, size_t len)
{
	if (memcmp(a, v4mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static void range_text(const struct range *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool v4 = memcmp(r->addr, v4mapped, 12) == 0 && r->bits >= 96;

	addr_text(r->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, v4 ? r->bits - 96 : r->bits);
}

static int report(const struct ssrf *d, const struct ssrf_input *in, const __u8 a[16], struct detection *det,
		  enum finding_status status, int confidence, const char *what)
{
	char addr[INET6_ADDRSTRLEN], given[INET6_ADDRSTRLEN] = "", failed[64] = "";
	bool v4 = memcmp(a, v4mapped, 12) == 0;
	const char *name;

	addr_text(a, addr, sizeof(addr));
	if (in->family == AF_INET6 && v4)
		inet_ntop(AF_INET6, in->addr, given, sizeof(given));
	if (in->ret < 0 && in->ret != -EINPROGRESS) {
		name = in->ret >= -4095 ? strerrorname_np((int)-in->ret) : NULL;
		if (name)
			snprintf(failed, sizeof(failed), " (the connect failed with %s)", name);
		else
			snprintf(failed, sizeof(failed), " (the connect failed with error %lld)", (long long)-in->ret);
	}
	snprintf(det->reason, sizeof(det->reason), "connect to %s%s%s:%u%s%s%s, %s%s", v4 ? "" : "[", addr,
		 v4 ? "" : "]", in->port, given[0] ? " (given as " : "", given, given[0] ? ")" : "", what, failed);
	detect_id__fill(&d->id, det, status, confidence);
	return 1;
}

/*
 * Look at one connect (AF_INET / AF_INET6 only; IPv4-mapped IPv6 is read as
 * IPv4); 1 with *det filled (detector, cwes, severity from the rule; status,
 * a one-sentence reason, confidence) when it shows SSRF, 0 otherwise,
 * -EINVAL on NULL arguments. In order: an allow match -> 0; a metadata
 * address -> confirmed; loopback (or 0.0.0.0 / ::) on an admin port ->
 * confirmed; a private range -> during the first learning_seconds the
 * address is remembered (up to learned_max) and 0, later triggered unless
 * remembered; anything else -> 0. Failed and in-progress connects count.
 * Not thread-safe: the learned set is updated.
 */
int ssrf__observe(struct ssrf *d, const struct ssrf_input *in, struct detection *det)
{
	char what[160], rt[ADDR_TEXT_MAX];
	const struct range *r;
	__u8 a[16];
	size_t i;

	if (!d || !in || !det)
		return -EINVAL;
	if (in->family == AF_INET) {
		memcpy(a, v4mapped, 12);
		memcpy(a + 12, in->addr, 4);
	} else if (in->family == AF_INET6) {
		memcpy(a, in->addr, 16);
	} else {
		return 0;
	}

	for (i = 0; i < d->nallow; i++)
		if (in_range(&d->allow[i].r, a) && (d->allow[i].port < 0 || d->allow[i].port == in->port))
			return 0;
	if (find_range(d->meta, d->nmeta, a))
		return report(d, in, a, det, FINDING_CONFIRMED, 95, "a cloud metadata address");
	if (is_loopback(a) && (d->admin[in->port / 8] & (1u << (in->port % 8)))) {
		snprintf(what, sizeof(what), "admin port %u on the local host", in->port);
		return report(d, in, a, det, FINDING_CONFIRMED, 90, what);
	}
	r = find_range(d->priv, d->npriv, a);
	if (!r)
		return 0;
	if (in->secs_watched < d->learning) {
		learn(d, a);
		return 0;
	}
	if (learned(d, a))
		return 0;
	range_text(r, rt, sizeof(rt));
	snprintf(what, sizeof(what), "private range %s, not used in the first %g s of watching", rt, d->learning);
	return report(d, in, a, det, FINDING_TRIGGERED, 60, what);
}

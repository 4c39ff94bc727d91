/*
 * sink_kafka: evidence to Kafka without loss (see sink_kafka.h and
 * docs/kafka.md).
 *
 * Two modes. Direct: records are produced straight to librdkafka; each
 * delivery report is served in sink_kafka__poll. Spooling: entered on the
 * first failed delivery report, a produce error, or librdkafka's "all brokers
 * down"; records go to the main spool (<spool_dir>) instead, and delivery is
 * probed by replaying a bounded batch.
 *
 * Replay without loss or duplicates. spool.h only knows "taken" (spent at
 * once) and "refused", so a batch taken from the main spool is first written
 * to a second, small spool (<spool_dir>/replay) before the main one marks it
 * spent: a crash in between leaves the record in both (one duplicate), never
 * in neither. The batch is produced and, once every report of it is in, the
 * delivered prefix is spent from the replay spool; failed records stay there
 * (and in memory) and are produced again by the next probe, before anything
 * newer. Records a crashed run left in the replay spool are older than the
 * main spool's; they are replayed first, one at a time (peeked by refusing).
 *
 * Order across the switch to spooling: records still in flight when the first
 * failure arrives may fail too, and their reports do not come in order (a
 * purge reports queued records before those in a request). So every direct
 * record carries a sequence number in its report opaque; failed ones and new
 * ones are held in memory until no direct record is in flight, then spooled
 * sorted by sequence.
 *
 * Spooled value: schema name, a NUL, then the record (the key is the spool
 * key); host and agent version are the sink's own.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>

#include "log.h"
#include "sink_kafka.h"
#include "spool.h"

#ifndef AISEC_VERSION
#define AISEC_VERSION "unknown"
#endif

#define DEFAULT_SPOOL_DIR "/var/lib/aisec-rt/spool"
#define DEFAULT_FLUSH_MS 5000
#define BATCH_MAX 256	       /* records in one replay batch */
#define BATCH_BYTES (1u << 20) /* bytes in one replay batch (at least one record) */
#define PROBE_MS 1000	       /* between a failed replay batch and the next */
#define PURGE_WAIT_MS 2000     /* close: time for purged records' reports */

enum ent_state { ENT_PENDING, ENT_INFLIGHT, ENT_OK, ENT_FAILED };

/* One record of the replay batch; it is also in the replay spool. */
struct ent {
	enum ent_state state;
	char *buf; /* key bytes, then the spooled value */
	size_t key_len, val_len;
};

/* A record held in memory while direct records are still in flight. */
struct held {
	__u64 seq;
	size_t key_len, val_len;
	char buf[]; /* key, then spooled value */
};

struct sink_kafka {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	struct spool *main, *replay;
	char *dir;
	char host[256];
	char *agent_version;
	int flush_ms;

	bool spooling;
	bool want_purge;
	long long next_probe_ms;
	long normal_inflight; /* direct records without a report yet */
	__u64 seq;	      /* next direct record's sequence number */
	struct held **held;
	size_t nheld, capheld;

	struct ent batch[BATCH_MAX]; /* the report opaque points here: never moved while in flight */
	size_t batch_n, batch_inflight;
	size_t batch_bytes;   /* while filling */
	bool batch_from_main; /* while filling: take from main (else peek one from replay) */
	int batch_err;	      /* while filling: first error appending to the replay spool */
	rd_kafka_resp_err_t last_err;

	char *scratch; /* spooled value being built */
	size_t scratch_cap;

	__u64 dropped; /* ours, beyond the spools' own */
	struct sink_kafka_stats st;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "aisec.evidence.v1" -> "1"; NULL when the name carries no ".v<digits>". */
static const char *schema_version(const char *schema)
{
	const char *p = schema ? strrchr(schema, '.') : NULL;
	const char *d;

	if (!p || p[1] != 'v' || !p[2])
		return NULL;
	for (d = p + 2; *d; d++)
		if (*d < '0' || *d > '9')
			return NULL;
	return p + 2;
}

/* Build "schema\0value" in k->scratch; its length, or -ENOMEM. */
static ssize_t spooled_value(struct sink_kafka *k, const char *schema, const void *val, size_t val_len)
{
	size_t slen = schema ? strlen(schema) : 0, need = slen + 1 + val_len;

	if (need > k->scratch_cap) {
		char *p = realloc(k->scratch, need);

		if (!p)
			return -ENOMEM;
		k->scratch = p;
		k->scratch_cap = need;
	}
	if (slen)
		memcpy(k->scratch, schema, slen);
	k->scratch[slen] = '\0';
	if (val_len)
		memcpy(k->scratch + slen + 1, val, val_len);
	return (ssize_t)need;
}

static int produce(struct sink_kafka *k, const void *key, size_t key_len, const void *val, size_t val_len,
		   const char *schema, void *opaque)
{
	const char *ver = schema_version(schema);
	rd_kafka_resp_err_t err;

	if (!schema)
		schema = "";
	if (ver)
		err = rd_kafka_producev(
		    k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
		    RD_KAFKA_V_HEADER("schema", schema, -1), RD_KAFKA_V_HEADER("schema-version", ver, -1),
		    RD_KAFKA_V_HEADER("host", k->host, -1), RD_KAFKA_V_HEADER("agent-version", k->agent_version, -1),
		    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
	else
		err = rd_kafka_producev(k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
					RD_KAFKA_V_HEADER("schema", schema, -1), RD_KAFKA_V_HEADER("host", k->host, -1),
					RD_KAFKA_V_HEADER("agent-version", k->agent_version, -1),
					RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
	if (err) {
		k->last_err = err;
		return -(err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? ENOBUFS : EIO);
	}
	k->st.produced++;
	return 0;
}

static void enter_spooling(struct sink_kafka *k, const char *why)
{
	if (k->spooling)
		return;
	k->spooling = true;
	k->want_purge = true; /* queued direct records fail now, in order, rather than one timeout later */
	k->next_probe_ms = now_ms() + PROBE_MS;
	log_warn("kafka: %s: spooling records to %s until delivery works again", why, k->dir);
}

/* Append one record (value already in spooled form) to the main spool. */
static int spool_raw(struct sink_kafka *k, const void *key, size_t key_len, const void *sval, size_t sval_len)
{
	int err = spool__append(k->main, key, key_len, sval, sval_len);

	if (err) {
		k->dropped++;
		log_err("kafka: cannot spool a record to %s: %s; it is lost (counted as dropped)", k->dir,
			strerror(-err));
		return err;
	}
	k->st.spooled++;
	return 0;
}

/* Keep a record in memory until the direct records in flight have reported. */
static int hold(struct sink_kafka *k, __u64 seq, const void *key, size_t key_len, const void *sval, size_t sval_len)
{
	struct held *h;

	if (k->nheld == k->capheld) {
		size_t n = k->capheld ? k->capheld * 2 : 64;
		struct held **p = realloc(k->held, n * sizeof(*p));

		if (!p)
			goto nomem;
		k->held = p;
		k->capheld = n;
	}
	h = malloc(sizeof(*h) + key_len + sval_len);
	if (!h)
		goto nomem;
	h->seq = seq;
	h->key_len = key_len;
	h->val_len = sval_len;
	if (key_len)
		memcpy(h->buf, key, key_len);
	memcpy(h->buf + key_len, sval, sval_len);
	k->held[k->nheld++] = h;
	return 0;
nomem:
	k->dropped++;
	log_err("kafka: out of memory holding a record; it is lost (counted as dropped)");
	return -ENOMEM;
}

static int cmp_held(const void *a, const void *b)
{
	const struct held *x = *(const struct held *const *)a, *y = *(const struct held *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Held records go to the spool in sequence order, once nothing direct is in flight. */
static void flush_held(struct sink_kafka *k)
{
	size_t i;

	if (k->nheld > 1)
		qsort(k->held, k->nheld, sizeof(*k->held), cmp_held);
	for (i = 0; i < k->nheld; i++) {
		struct held *h = k->held[i];

		spool_raw(k, h->key_len ? h->buf : NULL, h->key_len, h->buf + h->key_len, h->val_len);
		free(h);
	}
	k->nheld = 0;
}

/* A record that cannot be produced directly (now or any more): spool it behind whatever is older. */
static int divert(struct sink_kafka *k, __u64 seq, const void *key, size_t key_len, const void *val, size_t val_len,
		  const char *schema)
{
	ssize_t n = spooled_value(k, schema, val, val_len);

	if (n < 0) {
		k->dropped++;
		log_err("kafka: out of memory spooling a record; it is lost (counted as dropped)");
		return (int)n;
	}
	if (k->normal_inflight > 0 || k->nheld)
		return hold(k, seq, key, key_len, k->scratch, (size_t)n);
	return spool_raw(k, key, key_len, k->scratch, (size_t)n);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sink_kafka *k = opaque;
	uintptr_t tag = (uintptr_t)m->_private;
	struct ent *e = tag & 1 ? NULL : (struct ent *)tag;

	if (m->err) {
		k->st.failed++;
		k->last_err = m->err;
	} else {
		k->st.delivered++;
	}
	if (e) {
		e->state = m->err ? ENT_FAILED : ENT_OK;
		k->batch_inflight--;
		if (!m->err)
			k->st.replayed++;
		return;
	}
	k->normal_inflight--;
	if (m->err) {
		rd_kafka_headers_t *hdrs = NULL;
		const void *sv = NULL;
		size_t slen = 0;
		char schema[256] = "";

		if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    rd_kafka_header_get_last(hdrs, "schema", &sv, &slen) == RD_KAFKA_RESP_ERR_NO_ERROR && sv) {
			if (slen >= sizeof(schema))
				slen = sizeof(schema) - 1;
			memcpy(schema, sv, slen);
			schema[slen] = '\0';
		}
		enter_spooling(k, rd_kafka_err2str(m->err));
		divert(k, (__u64)(tag >> 1), m->key, m->key ? m->key_len : 0, m->payload, m->len, schema);
	}
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct sink_kafka *k = opaque;
	char why[512];

	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		enter_spooling(k, "all brokers down");
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		log_err("kafka: fatal producer error: %s; records are spooled from now on", why);
		enter_spooling(k, "fatal producer error");
		return;
	}
	log_debug("kafka: %s: %s", rd_kafka_err2str(err), reason);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	log_debug("librdkafka: %s: %s", fac, buf);
}

static void on_corrupt(void *ctx, const char *file, __u64 offset, const char *why)
{
	log_warn("kafka spool: %s at offset %llu: %s; skipped, the records around it are kept", file,
		 (unsigned long long)offset, why);
}

static int batch_add(struct sink_kafka *k, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct ent *e = &k->batch[k->batch_n];

	e->buf = malloc(key_len + val_len + 1);
	if (!e->buf)
		return -ENOMEM;
	if (key_len)
		memcpy(e->buf, key, key_len);
	if (val_len)
		memcpy(e->buf + key_len, val, val_len);
	e->key_len = key_len;
	e->val_len = val_len;
	e->state = ENT_PENDING;
	k->batch_n++;
	k->batch_bytes += key_len + val_len;
	return 0;
}

/* Replay callback: take a record from the main spool into the batch (replay spool first). */
static int take_cb(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct sink_kafka *k = ctx;
	int err;

	if (k->batch_n >= BATCH_MAX || (k->batch_n && k->batch_bytes + key_len + val_len > BATCH_BYTES))
		return 1;
	if (!k->batch_from_main) {
		batch_add(k, key, key_len, val, val_len); /* a peek: never taken, spent once delivered */
		return 1;
	}
	err = spool__append(k->replay, key, key_len, val, val_len);
	if (!err) {
		err = batch_add(k, key, key_len, val, val_len);
		if (err)
			k->dropped++; /* unreachable in practice: it stays in the replay spool, replayed next start */
	}
	if (err) {
		k->batch_err = err;
		return 1;
	}
	return 0;
}

struct spend_ctx {
	size_t left;
};

static int spend_cb(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct spend_ctx *c = ctx;

	if (!c->left)
		return 1;
	c->left--;
	return 0;
}

/* Produce the batch's pending records, in order; stop at the first that cannot be. */
static void batch_produce(struct sink_kafka *k)
{
	size_t i;

	for (i = 0; i < k->batch_n; i++) {
		struct ent *e = &k->batch[i];
		const char *schema = e->buf + e->key_len;
		size_t slen = strnlen(schema, e->val_len);
		const char *val = schema + slen + (slen < e->val_len);
		size_t vlen = e->val_len - slen - (slen < e->val_len);

		if (e->state != ENT_PENDING)
			continue;
		if (slen == e->val_len) { /* no schema part: all of it is the record */
			val = schema;
			vlen = e->val_len;
			schema = "";
		}
		if (produce(k, e->key_len ? e->buf : NULL, e->key_len, val, vlen, schema, e)) {
			e->state = ENT_FAILED;
			k->st.failed++;
			break;
		}
		e->state = ENT_INFLIGHT;
		k->batch_inflight++;
	}
}

/* All reports of the batch are in: spend the delivered prefix; false when a record failed. */
static bool batch_settle(struct sink_kafka *k)
{
	struct spend_ctx c = {0};
	bool failed = false;
	size_t i, j;
	int n;

	while (c.left < k->batch_n && k->batch[c.left].state == ENT_OK)
		c.left++;
	if (c.left) {
		size_t want = c.left;

		n = spool__replay(k->replay, spend_cb, on_corrupt, &c);
		if (n < 0 || (size_t)n != want)
			log_warn("kafka: replay spool %s/replay: %zu delivered records marked spent, %d taken (%s)",
				 k->dir, want, n, n < 0 ? strerror(-n) : "ok");
		c.left = want;
	}
	for (i = 0; i < c.left; i++)
		free(k->batch[i].buf);
	for (i = c.left, j = 0; i < k->batch_n; i++, j++) {
		k->batch[j] = k->batch[i];
		if (k->batch[j].state == ENT_FAILED || k->batch[j].state == ENT_INFLIGHT) {
			k->batch[j].state = ENT_PENDING;
			failed = true;
		}
	}
	k->batch_n = j;
	return !failed;
}

/* The spooling state machine: one step per poll. */
static void step(struct sink_kafka *k)
{
	if (!k->spooling || k->normal_inflight > 0)
		return;
	flush_held(k);
	if (k->batch_inflight)
		return;
	if (k->batch_n && !batch_settle(k)) {
		k->next_probe_ms = now_ms() + PROBE_MS;
		log_debug("kafka: replay batch failed (%s); next probe in %d ms", rd_kafka_err2str(k->last_err),
			  PROBE_MS);
		return;
	}
	if (now_ms() < k->next_probe_ms)
		return;
	if (!k->batch_n) {
		k->batch_bytes = 0;
		k->batch_err = 0;
		if (!spool__empty(k->replay)) {
			/* left by an earlier run: older than the main spool, replayed one at a time */
			k->batch_from_main = false;
			spool__replay(k->replay, take_cb, on_corrupt, k);
		} else if (!spool__empty(k->main)) {
			k->batch_from_main = true;
			spool__replay(k->main, take_cb, on_corrupt, k);
			if (k->batch_err)
				log_warn("kafka: cannot move records to the replay spool %s/replay: %s; retrying",
					 k->dir, strerror(-k->batch_err));
		}
	}
	if (!k->batch_n) {
		if (spool__empty(k->main) && spool__empty(k->replay) && !k->nheld) {
			k->spooling = false;
			log_info("kafka: delivery works again; spool %s is empty (%llu replayed)", k->dir,
				 (unsigned long long)k->st.replayed);
		} else {
			k->next_probe_ms = now_ms() + PROBE_MS;
		}
		return;
	}
	batch_produce(k);
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, char *err, size_t errlen)
{
	char why[512];

	if (rd_kafka_conf_set(conf, key, val, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "%s=%s: %s", key, val, why);
		return -EINVAL;
	}
	return 0;
}

/* Best compression this librdkafka build has: lz4, zstd, gzip, else none (logged). */
static const char *pick_compression(rd_kafka_conf_t *conf)
{
	static const char *const pref[] = {"lz4", "zstd", "gzip"};
	char feat[1024] = "", *tok, *save;
	size_t len = sizeof(feat);
	size_t i;

	rd_kafka_conf_get(conf, "builtin.features", feat, &len);
	for (i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		char copy[1024];

		snprintf(copy, sizeof(copy), "%s", feat);
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, pref[i]) == 0) {
				if (i)
					log_info("kafka: librdkafka has no lz4; compressing with %s", pref[i]);
				return pref[i];
			}
	}
	log_info("kafka: librdkafka has no lz4, zstd or gzip (features: %s); sending uncompressed", feat);
	return "none";
}

static rd_kafka_conf_t *make_conf(struct sink_kafka *k, const struct sink_kafka_opts *o, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	size_t i;

	if (!conf) {
		snprintf(err, errlen, "kafka: out of memory");
		return NULL;
	}
	if (conf_set(conf, "bootstrap.servers", o->brokers, err, errlen) ||
	    conf_set(conf, "acks", "all", err, errlen) || conf_set(conf, "enable.idempotence", "true", err, errlen) ||
	    conf_set(conf, "compression.type", pick_compression(conf), err, errlen) ||
	    conf_set(conf, "message.timeout.ms", "10000", err, errlen))
		goto fail;
	for (i = 0; i < o->nconf && i < SINK_KAFKA_MAX_CONF; i++) {
		const char *kv = o->conf[i], *eq = kv ? strchr(kv, '=') : NULL;
		char key[256];

		if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
			snprintf(err, errlen, "%s: expected key=value", kv ? kv : "(null)");
			goto fail;
		}
		memcpy(key, kv, (size_t)(eq - kv));
		key[eq - kv] = '\0';
		if (conf_set(conf, key, eq + 1, err, errlen))
			goto fail;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_opaque(conf, k);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

struct sink_kafka *sink_kafka__open(const struct sink_kafka_opts *o, char *err, size_t errlen)
{
	struct spool_opts so = {.fsync_each = true};
	struct sink_kafka *k = NULL;
	rd_kafka_conf_t *conf = NULL;
	char *rdir = NULL;
	char why[512];
	int e = EINVAL;

	if (err && errlen)
		err[0] = '\0';
	else {
		err = why;
		errlen = sizeof(why);
	}
	if (!o || !o->brokers || !o->brokers[0] || !o->topic || !o->topic[0]) {
		snprintf(err, errlen, "kafka: brokers and topic are required");
		goto fail;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		e = ENOMEM;
		snprintf(err, errlen, "kafka: out of memory");
		goto fail;
	}
	k->flush_ms = o->flush_timeout_ms > 0 ? o->flush_timeout_ms : DEFAULT_FLUSH_MS;
	k->dir = strdup(o->spool_dir ? o->spool_dir : DEFAULT_SPOOL_DIR);
	k->agent_version = strdup(o->agent_version ? o->agent_version : AISEC_VERSION);
	if (!k->dir || !k->agent_version || asprintf(&rdir, "%s/replay", k->dir) < 0) {
		rdir = NULL;
		e = ENOMEM;
		snprintf(err, errlen, "kafka: out of memory");
		goto fail;
	}
	if (o->host)
		snprintf(k->host, sizeof(k->host), "%s", o->host);
	else if (gethostname(k->host, sizeof(k->host) - 1))
		snprintf(k->host, sizeof(k->host), "unknown");

	so.dir = k->dir;
	so.max_bytes = o->spool_max_bytes;
	k->main = spool__open(&so, err, errlen);
	if (!k->main) {
		e = errno;
		goto fail;
	}
	/* holds one batch at most; never the one to drop records (see BATCH_BYTES) */
	so.dir = rdir;
	so.max_bytes = (o->spool_max_bytes ? o->spool_max_bytes : 256ull << 20) + 2 * BATCH_BYTES;
	k->replay = spool__open(&so, err, errlen);
	if (!k->replay) {
		e = errno;
		goto fail;
	}

	conf = make_conf(k, o, err, errlen);
	if (!conf)
		goto fail;
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!k->rk) {
		snprintf(err, errlen, "kafka: cannot create producer: %s", why);
		goto fail;
	}
	conf = NULL; /* owned by rk now */
	k->rkt = rd_kafka_topic_new(k->rk, o->topic, NULL);
	if (!k->rkt) {
		e = errno ? errno : EINVAL;
		snprintf(err, errlen, "kafka: topic %s: %s", o->topic, rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	if (!spool__empty(k->main) || !spool__empty(k->replay)) {
		struct spool_stats a, b;

		spool__stats(k->main, &a);
		spool__stats(k->replay, &b);
		k->spooling = true;
		k->next_probe_ms = 0;
		log_info("kafka: %llu records left in %s by an earlier run; replaying them first",
			 (unsigned long long)(a.records + b.records), k->dir);
	}
	free(rdir);
	return k;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	free(rdir);
	sink_kafka__close(k);
	errno = e;
	return NULL;
}

int sink_kafka__send(struct sink_kafka *k, const void *key, size_t key_len, const void *val, size_t val_len,
		     const char *schema)
{
	__u64 seq;
	int err;

	if (!k || (!key && key_len) || (!val && val_len))
		return -EINVAL;
	if (!key)
		key_len = 0;
	/* odd: a direct record's sequence number; a batch entry's address is even */
	seq = k->seq++;
	if (!k->spooling) {
		err = produce(k, key, key_len, val, val_len, schema, (void *)(uintptr_t)(seq << 1 | 1));
		if (!err) {
			k->normal_inflight++;
			return 0;
		}
		enter_spooling(k, rd_kafka_err2str(k->last_err));
	}
	return divert(k, seq, key, key_len, val, val_len, schema);
}

void sink_kafka__poll(struct sink_kafka *k, int timeout_ms)
{
	if (!k)
		return;
	rd_kafka_poll(k->rk, timeout_ms > 0 ? timeout_ms : 0);
	if (k->want_purge) {
		k->want_purge = false;
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
	}
	step(k);
}

void sink_kafka__close(struct sink_kafka *k)
{
	long long until;
	size_t i;

	if (!k)
		return;
	if (k->rk) {
		/* deliver what can be within the timeout, moving the spool on meanwhile */
		until = now_ms() + k->flush_ms;
		while (now_ms() < until && rd_kafka_outq_len(k->rk) > 0)
			sink_kafka__poll(k, 50);
		/* the rest fails now; its reports spool it */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		until = now_ms() + PURGE_WAIT_MS;
		while (rd_kafka_outq_len(k->rk) > 0 && now_ms() < until)
			rd_kafka_poll(k->rk, 50);
		if (k->normal_inflight > 0)
			log_warn("kafka: %ld records had no delivery report at shutdown; they may be lost",
				 k->normal_inflight);
		k->normal_inflight = 0;
		flush_held(k);
		if (k->batch_n && !k->batch_inflight)
			batch_settle(k); /* spend what was delivered; the rest stays in the replay spool */
		if (k->rkt)
			rd_kafka_topic_destroy(k->rkt);
		rd_kafka_destroy(k->rk);
	}
	flush_held(k);
	if (k->main) {
		struct spool_stats a;

		spool__stats(k->main, &a);
		if (a.records)
			log_info("kafka: %llu records stay in the spool %s for the next start",
				 (unsigned long long)a.records, k->dir);
	}
	for (i = 0; i < k->batch_n; i++)
		free(k->batch[i].buf);
	spool__close(k->replay);
	spool__close(k->main);
	free(k->held);
	free(k->scratch);
	free(k->agent_version);
	free(k->dir);
	free(k);
}

void sink_kafka__stats(const struct sink_kafka *k, struct sink_kafka_stats *out)
{
	struct spool_stats a, b;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!k)
		return;
	*out = k->st;
	spool__stats(k->main, &a);
	spool__stats(k->replay, &b);
	out->dropped = k->dropped + a.dropped_full + b.dropped_full;
	out->corrupt = a.corrupt + b.corrupt;
}

/*
 * config: the node agent's JSON configuration (`aisec-rt run --config FILE`),
 * parsed with cJSON and validated in one pass that stops at the first problem.
 * Messages name the file, the key as a JSON path and the problem
 * ("agent.json: $.services[1].match.cgroup_prefix: expected a string"), or
 * the line and column of a syntax error ("agent.json:3:14: invalid JSON").
 * Unknown and repeated keys are errors: a typo must not silently fall back to
 * a default. docs/configuration.md documents every key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "config.h"
#include "jpath.h"

#ifndef AISEC_RULES_DIR
#define AISEC_RULES_DIR "/usr/local/share/aisec-rt/rules"
#endif

#define MAX_FILE_BYTES (1 << 20) /* hand-written; anything bigger is a mistake */
#define SHOWN_LEN 64
#define NAME_MAX_LEN 63 /* a DNS label: service names end up in metric labels and topics */
#define PAYLOAD_MAX 16384
#define RINGBUF_MIN 4096ULL
#define RINGBUF_MAX (1ULL << 30) /* the kernel refuses bigger BPF ring buffers */
#define SPOOL_MAX (1ULL << 53)   /* exact in a JSON number */
#define REFRESH_MAX 86400
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DEFAULT_PAYLOAD 4096
#define DEFAULT_SQL_TEXT "redacted"
#define DEFAULT_METRICS "127.0.0.1:9464"
#define DEFAULT_RINGBUF (8ULL << 20)
#define DEFAULT_PROC_CACHE 8192
#define DEFAULT_SQL_CONNECTIONS 1024
#define DEFAULT_SPOOL (256ULL << 20)
#define DEFAULT_SPOOL_DIR "/var/lib/aisec-rt/spool"
#define DEFAULT_EVENTS_RATE 1000.0
#define DEFAULT_REFRESH 30

struct ctx {
	const char *name;
	char *err;
	size_t errlen;
	struct jpath path;
};

static const struct config_kv default_ports[] = {
	{ "5432", "postgres" },
	{ "3306", "mysql" },
};

static const struct config_kv default_sockets[] = {
	{ ".s.PGSQL.*", "postgres" },
	{ "*mysql*.sock", "mysql" },
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record "name: $.path: problem" and return -EINVAL. */
static int fail(struct ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s: %s", c->name, jpath__str(&c->path), msg);
	return -EINVAL;
}

static int oom(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	return -ENOMEM;
}

/* Fail at item's path unless it is an object. */
static int want_object(struct ctx *c, const cJSON *item)
{
	if (!cJSON_IsObject(item))
		return fail(c, "expected an object, got %s", jpath__type_name(item));
	return 0;
}

/* Reject a key that appears twice in obj: cJSON keeps both copies and which
 * one wins would be an accident. */
static int check_repeats(struct ctx *c, const cJSON *obj)
{
	const cJSON *item;
	size_t old;
	int err;

	cJSON_ArrayForEach(item, obj)
	{
		if (jpath__repeated_key(obj, item)) {
			old = jpath__key(&c->path, item->string);
			err = fail(c, "duplicate key");
			jpath__pop(&c->path, old);
			return err;
		}
	}
	return 0;
}

/* obj is an object with no repeated key and only keys of known (a
 * NULL-terminated list). */
static int check_keys(struct ctx *c, const cJSON *obj, const char *const *known)
{
	const cJSON *item;
	char list[512];
	size_t old;
	int err;

	err = want_object(c, obj);
	if (err)
		return err;
	err = check_repeats(c, obj);
	if (err)
		return err;
	cJSON_ArrayForEach(item, obj)
	{
		if (jpath__known_key(item->string, known))
			continue;
		old = jpath__key(&c->path, item->string);
		err = fail(c, "unknown key; expected one of: %s", jpath__key_list(known, list, sizeof(list)));
		jpath__pop(&c->path, old);
		return err;
	}
	return 0;
}

/* Copy item, a non-empty string (empty allowed when allow_empty), into *out
 * (replacing a default). Fails at the current path. */
static int take_string(struct ctx *c, const cJSON *item, bool allow_empty, char **out)
{
	char *s;

	if (!cJSON_IsString(item))
		return fail(c, "expected a string, got %s", jpath__type_name(item));
	if (!allow_empty && item->valuestring[0] == '\0')
		return fail(c, "expected a non-empty string");
	s = strdup(item->valuestring);
	if (!s)
		return oom(c);
	free(*out);
	*out = s;
	return 0;
}

/* The optional string obj.key into *out; absent leaves *out as it is. */
static int opt_string(struct ctx *c, const cJSON *obj, const char *key, char **out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t old;
	int err;

	if (!item)
		return 0;
	old = jpath__key(&c->path, key);
	err = take_string(c, item, false, out);
	jpath__pop(&c->path, old);
	return err;
}

/* An optional string that must begin with '/'. */
static int opt_abs_path(struct ctx *c, const cJSON *obj, const char *key, char **out)
{
	size_t old;
	int err;

	err = opt_string(c, obj, key, out);
	if (err || !*out || (*out)[0] == '/')
		return err;
	old = jpath__key(&c->path, key);
	err = fail(c, "expected an absolute path (starting with /)");
	jpath__pop(&c->path, old);
	return err;
}

/* The optional integer obj.key in min..max into *out; absent leaves *out. */
static int opt_uint(struct ctx *c, const cJSON *obj, const char *key, __u64 min, __u64 max, __u64 *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t old;
	double d;
	int err = 0;

	if (!item)
		return 0;
	old = jpath__key(&c->path, key);
	d = item->valuedouble;
	if (!cJSON_IsNumber(item))
		err = fail(c, "expected an integer, got %s", jpath__type_name(item));
	else if (!(d >= (double)min && d <= (double)max) || d != (double)(__u64)d)
		err = fail(c, "expected an integer from %llu to %llu", (unsigned long long)min,
			   (unsigned long long)max);
	else
		*out = (__u64)d;
	jpath__pop(&c->path, old);
	return err;
}

static int opt_u32(struct ctx *c, const cJSON *obj, const char *key, __u32 min, __u32 max, __u32 *out)
{
	__u64 v = *out;
	int err;

	err = opt_uint(c, obj, key, min, max, &v);
	if (!err)
		*out = (__u32)v;
	return err;
}

/* Copy a string-to-string object into kv (at most max pairs); keys must be
 * non-empty. check, when given, validates one pair at its path. */
static int take_map(struct ctx *c, const cJSON *obj, struct config_kv *kv, size_t max, size_t *n,
		    int (*check)(struct ctx *c, const cJSON *item))
{
	const cJSON *item;
	size_t old;
	int err;

	err = want_object(c, obj);
	if (!err)
		err = check_repeats(c, obj);
	if (err)
		return err;
	if ((size_t)cJSON_GetArraySize(obj) > max)
		return fail(c, "too many entries (at most %zu)", max);
	cJSON_ArrayForEach(item, obj)
	{
		old = jpath__key(&c->path, item->string);
		if (item->string[0] == '\0')
			err = fail(c, "empty key");
		else if (!cJSON_IsString(item))
			err = fail(c, "expected a string, got %s", jpath__type_name(item));
		else if (check)
			err = check(c, item);
		if (!err) {
			kv[*n].key = strdup(item->string);
			kv[*n].value = strdup(item->valuestring);
			(*n)++;
			if (!kv[*n - 1].key || !kv[*n - 1].value)
				err = oom(c);
		}
		jpath__pop(&c->path, old);
		if (err)
			return err;
	}
	return 0;
}

static int check_dialect(struct ctx *c, const cJSON *item)
{
	char buf[SHOWN_LEN];

	if (strcmp(item->valuestring, "postgres") != 0 && strcmp(item->valuestring, "mysql") != 0)
		return fail(c, "expected \"postgres\" or \"mysql\", got \"%s\"",
			    jpath__shown(item->valuestring, buf, sizeof(buf)));
	return 0;
}

static int check_port(struct ctx *c, const cJSON *item)
{
	const char *k = item->string;
	size_t n = strlen(k);

	if (n > 5 || strspn(k, "0123456789") != n || k[0] == '0' || atoi(k) > 65535)
		return fail(c, "expected a port number from 1 to 65535 as the key");
	return check_dialect(c, item);
}

static int parse_match(struct ctx *c, const cJSON *m, struct config_service *s)
{
	static const char *const known[] = { "namespace", "pod_labels", "image", "cgroup_prefix",
					      "exe",       "cwd_prefix", NULL };
	const cJSON *labels;
	size_t old;
	int err;

	err = check_keys(c, m, known);
	if (err)
		return err;
	if (!m->child)
		return fail(c, "no criterion; give at least one of: namespace, pod_labels, image, cgroup_prefix, "
			       "exe, cwd_prefix");
	err = opt_string(c, m, "namespace", &s->namespace_);
	if (!err)
		err = opt_string(c, m, "image", &s->image);
	if (!err)
		err = opt_abs_path(c, m, "cgroup_prefix", &s->cgroup_prefix);
	if (!err)
		err = opt_string(c, m, "exe", &s->exe);
	if (!err)
		err = opt_abs_path(c, m, "cwd_prefix", &s->cwd_prefix);
	if (err)
		return err;
	labels = cJSON_GetObjectItemCaseSensitive(m, "pod_labels");
	if (!labels)
		return 0;
	old = jpath__key(&c->path, "pod_labels");
	err = take_map(c, labels, s->labels, CONFIG_MAX_LABELS, &s->nlabels, NULL);
	if (!err && s->nlabels == 0)
		err = fail(c, "empty object; give at least one label or leave the key out");
	jpath__pop(&c->path, old);
	return err;
}

static int parse_findings(struct ctx *c, const cJSON *arr, struct config_service *s)
{
	const cJSON *item;
	size_t old, i = 0;
	int err;

	if (!cJSON_IsArray(arr))
		return fail(c, "expected an array, got %s", jpath__type_name(arr));
	if ((size_t)cJSON_GetArraySize(arr) > CONFIG_MAX_FINDINGS)
		return fail(c, "too many entries (at most %d)", CONFIG_MAX_FINDINGS);
	cJSON_ArrayForEach(item, arr)
	{
		old = jpath__idx(&c->path, i++);
		err = take_string(c, item, false, &s->findings[s->nfindings]);
		jpath__pop(&c->path, old);
		if (err)
			return err;
		s->nfindings++;
	}
	return 0;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NAME_MAX_LEN && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static int parse_service(struct ctx *c, const cJSON *obj, struct config *cfg, size_t idx)
{
	static const char *const known[] = { "name", "match", "findings", "source_root", NULL };
	struct config_service *s = &cfg->services[idx];
	const cJSON *item;
	char buf[SHOWN_LEN];
	size_t i, old;
	int err;

	err = check_keys(c, obj, known);
	if (err)
		return err;
	if (!cJSON_GetObjectItemCaseSensitive(obj, "name"))
		return fail(c, "missing key \"name\"");
	if (!cJSON_GetObjectItemCaseSensitive(obj, "match"))
		return fail(c, "missing key \"match\"");
	err = opt_string(c, obj, "name", &s->name);
	if (err)
		return err;
	old = jpath__key(&c->path, "name");
	if (!valid_name(s->name))
		err = fail(c, "\"%s\": expected 1 to %d characters of a-z, 0-9 and -", jpath__shown(s->name, buf, sizeof(buf)),
			   NAME_MAX_LEN);
	for (i = 0; !err && i < idx; i++) {
		if (strcmp(cfg->services[i].name, s->name) == 0)
			err = fail(c, "duplicate service name \"%s\" (also $.services[%zu])", s->name, i);
	}
	jpath__pop(&c->path, old);
	if (err)
		return err;

	old = jpath__key(&c->path, "match");
	err = parse_match(c, cJSON_GetObjectItemCaseSensitive(obj, "match"), s);
	jpath__pop(&c->path, old);
	if (err)
		return err;

	item = cJSON_GetObjectItemCaseSensitive(obj, "findings");
	if (item) {
		old = jpath__key(&c->path, "findings");
		err = parse_findings(c, item, s);
		jpath__pop(&c->path, old);
		if (err)
			return err;
	}
	return opt_abs_path(c, obj, "source_root", &s->source_root);
}

static int parse_services(struct ctx *c, const cJSON *arr, struct config *cfg)
{
	const cJSON *item;
	size_t old;
	int err;

	if (!cJSON_IsArray(arr))
		return fail(c, "expected an array, got %s", jpath__type_name(arr));
	if (cJSON_GetArraySize(arr) == 0)
		return fail(c, "empty; give at least one service");
	if ((size_t)cJSON_GetArraySize(arr) > CONFIG_MAX_SERVICES)
		return fail(c, "too many services (at most %d)", CONFIG_MAX_SERVICES);
	cJSON_ArrayForEach(item, arr)
	{
		old = jpath__idx(&c->path, cfg->nservices);
		err = parse_service(c, item, cfg, cfg->nservices);
		cfg->nservices++; /* so that config__free frees what was copied */
		jpath__pop(&c->path, old);
		if (err)
			return err;
	}
	return 0;
}

static int copy_defaults(struct ctx *c, const struct config_kv *from, size_t nfrom, struct config_kv *to, size_t *n)
{
	size_t i;

	for (i = 0; i < nfrom; i++) {
		to[i].key = strdup(from[i].key);
		to[i].value = strdup(from[i].value);
		*n = i + 1;
		if (!to[i].key || !to[i].value)
			return oom(c);
	}
	return 0;
}

static int parse_db(struct ctx *c, const cJSON *db, struct config *cfg)
{
	static const char *const known[] = { "ports", "sockets", "payload_bytes", "sql_text", NULL };
	const cJSON *ports = NULL, *sockets = NULL;
	char buf[SHOWN_LEN];
	size_t old;
	int err;

	if (db) {
		err = check_keys(c, db, known);
		if (err)
			return err;
		ports = cJSON_GetObjectItemCaseSensitive(db, "ports");
		sockets = cJSON_GetObjectItemCaseSensitive(db, "sockets");
		err = opt_u32(c, db, "payload_bytes", 1, PAYLOAD_MAX, &cfg->payload_bytes);
		if (!err)
			err = opt_string(c, db, "sql_text", &cfg->sql_text);
		if (err)
			return err;
		if (cfg->sql_text && strcmp(cfg->sql_text, "full") != 0 && strcmp(cfg->sql_text, "redacted") != 0 &&
		    strcmp(cfg->sql_text, "none") != 0) {
			old = jpath__key(&c->path, "sql_text");
			err = fail(c, "expected \"full\", \"redacted\" or \"none\", got \"%s\"",
				   jpath__shown(cfg->sql_text, buf, sizeof(buf)));
			jpath__pop(&c->path, old);
			return err;
		}
	}
	/* Each of ports and sockets defaults on its own when left out; {} means none. */
	if (ports) {
		old = jpath__key(&c->path, "ports");
		err = take_map(c, ports, cfg->db_ports, CONFIG_MAX_DB, &cfg->ndb_ports, check_port);
		jpath__pop(&c->path, old);
	} else {
		err = copy_defaults(c, default_ports, ARRAY_SIZE(default_ports), cfg->db_ports, &cfg->ndb_ports);
	}
	if (err)
		return err;
	if (sockets) {
		old = jpath__key(&c->path, "sockets");
		err = take_map(c, sockets, cfg->db_sockets, CONFIG_MAX_DB, &cfg->ndb_sockets, check_dialect);
		jpath__pop(&c->path, old);
	} else {
		err = copy_defaults(c, default_sockets, ARRAY_SIZE(default_sockets), cfg->db_sockets,
				    &cfg->ndb_sockets);
	}
	return err;
}

static int parse_kafka(struct ctx *c, const cJSON *k, struct config *cfg)
{
	static const char *const known[] = { "brokers",      "topic",       "conf", "spool_dir",
					     "events_topic", "events_rate", NULL };
	const cJSON *item;
	size_t old;
	int err;

	err = check_keys(c, k, known);
	if (err)
		return err;
	err = opt_string(c, k, "brokers", &cfg->kafka_brokers);
	if (!err)
		err = opt_string(c, k, "topic", &cfg->kafka_topic);
	if (!err)
		err = opt_abs_path(c, k, "spool_dir", &cfg->kafka_spool_dir);
	if (err)
		return err;
	if (!cfg->kafka_brokers != !cfg->kafka_topic)
		return fail(c, "\"brokers\" and \"topic\" go together; %s is missing",
			    cfg->kafka_brokers ? "\"topic\"" : "\"brokers\"");
	if (!cfg->kafka_brokers && k->child)
		return fail(c, "\"%s\" without \"brokers\" and \"topic\"", k->child->string);
	if (!cfg->kafka_brokers)
		return 0; /* "kafka": {} is no Kafka sink */

	item = cJSON_GetObjectItemCaseSensitive(k, "events_topic");
	if (item && !cJSON_IsNull(item)) {
		err = opt_string(c, k, "events_topic", &cfg->kafka_events_topic);
		if (err)
			return err;
	}
	item = cJSON_GetObjectItemCaseSensitive(k, "events_rate");
	if (item) {
		old = jpath__key(&c->path, "events_rate");
		if (!cJSON_IsNumber(item))
			err = fail(c, "expected a number, got %s", jpath__type_name(item));
		else if (!(item->valuedouble > 0) || !isfinite(item->valuedouble))
			err = fail(c, "expected a number greater than 0");
		else
			cfg->kafka_events_rate = item->valuedouble;
		jpath__pop(&c->path, old);
		if (err)
			return err;
	}
	item = cJSON_GetObjectItemCaseSensitive(k, "conf");
	if (item) {
		old = jpath__key(&c->path, "conf");
		err = take_map(c, item, cfg->kafka_conf, CONFIG_MAX_KAFKA_CONF, &cfg->nkafka_conf, NULL);
		jpath__pop(&c->path, old);
		if (err)
			return err;
	}
	if (!cfg->kafka_spool_dir) {
		cfg->kafka_spool_dir = strdup(DEFAULT_SPOOL_DIR);
		if (!cfg->kafka_spool_dir)
			return oom(c);
	}
	return 0;
}

/* obj.key, when present, must be a boolean. */
static int opt_bool(struct ctx *c, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t old;
	int err;

	if (!item)
		return 0;
	if (!cJSON_IsBool(item)) {
		old = jpath__key(&c->path, key);
		err = fail(c, "expected a boolean, got %s", jpath__type_name(item));
		jpath__pop(&c->path, old);
		return err;
	}
	*out = cJSON_IsTrue(item);
	return 0;
}

static int parse_sinks(struct ctx *c, const cJSON *sinks, struct config *cfg)
{
	static const char *const known[] = { "stdout", "file", "events", "kafka", NULL };
	const cJSON *item;
	size_t old;
	int err;

	err = check_keys(c, sinks, known);
	if (!err)
		err = opt_bool(c, sinks, "stdout", &cfg->sink_stdout);
	if (!err)
		err = opt_abs_path(c, sinks, "file", &cfg->sink_file);
	if (!err)
		err = opt_abs_path(c, sinks, "events", &cfg->sink_events);
	if (err)
		return err;
	item = cJSON_GetObjectItemCaseSensitive(sinks, "kafka");
	if (item) {
		old = jpath__key(&c->path, "kafka");
		err = parse_kafka(c, item, cfg);
		jpath__pop(&c->path, old);
	}
	return err;
}

static int parse_limits(struct ctx *c, const cJSON *l, struct config *cfg)
{
	static const char *const known[] = { "ringbuf_bytes", "proc_cache", "sql_connections", "spool_bytes", NULL };
	size_t old;
	int err;

	err = check_keys(c, l, known);
	if (!err)
		err = opt_uint(c, l, "ringbuf_bytes", RINGBUF_MIN, RINGBUF_MAX, &cfg->ringbuf_bytes);
	if (err)
		return err;
	if (cfg->ringbuf_bytes & (cfg->ringbuf_bytes - 1)) {
		old = jpath__key(&c->path, "ringbuf_bytes");
		err = fail(c, "expected a power of two");
		jpath__pop(&c->path, old);
		return err;
	}
	err = opt_u32(c, l, "proc_cache", 1, UINT32_MAX, &cfg->proc_cache);
	if (!err)
		err = opt_u32(c, l, "sql_connections", 1, UINT32_MAX, &cfg->sql_connections);
	if (!err)
		err = opt_uint(c, l, "spool_bytes", 1, SPOOL_MAX, &cfg->spool_bytes);
	return err;
}

/* "host:port" (host a name or IPv4 address) or "[v6]:port", port 1..65535. */
static bool valid_listen(const char *s)
{
	const char *colon, *port;
	size_t hostlen;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (!colon || colon == s + 1 || colon[1] != ':')
			return false;
		hostlen = (size_t)(colon - s - 1);
		if (strspn(s + 1, "0123456789abcdefABCDEF:.") != hostlen)
			return false;
		port = colon + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s)
			return false;
		hostlen = (size_t)(colon - s);
		if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != hostlen)
			return false;
		port = colon + 1;
	}
	return port[0] && strlen(port) <= 5 && strspn(port, "0123456789") == strlen(port) && port[0] != '0' &&
	       atoi(port) <= 65535;
}

static int parse_metrics(struct ctx *c, const cJSON *m, struct config *cfg)
{
	static const char *const known[] = { "listen", NULL };
	char buf[SHOWN_LEN];
	size_t old;
	int err;

	err = check_keys(c, m, known);
	if (!err)
		err = opt_string(c, m, "listen", &cfg->metrics_listen);
	if (err || !cfg->metrics_listen || valid_listen(cfg->metrics_listen))
		return err;
	old = jpath__key(&c->path, "listen");
	err = fail(c, "\"%s\": expected \"host:port\" or \"[ipv6]:port\" with a port from 1 to 65535",
		   jpath__shown(cfg->metrics_listen, buf, sizeof(buf)));
	jpath__pop(&c->path, old);
	return err;
}

static int parse_runtime(struct ctx *c, const cJSON *rt, struct config *cfg)
{
	static const char *const known[] = { "containerd_root", "crio_root", "docker_root", NULL };
	int err;

	err = check_keys(c, rt, known);
	if (!err)
		err = opt_abs_path(c, rt, "containerd_root", &cfg->runtime_containerd_root);
	if (!err)
		err = opt_abs_path(c, rt, "crio_root", &cfg->runtime_crio_root);
	if (!err)
		err = opt_abs_path(c, rt, "docker_root", &cfg->runtime_docker_root);
	return err;
}

/* http:// or https://, a non-empty host, no space or control character. */
static bool valid_url(const char *s)
{
	const char *rest, *p;

	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return false;
	if (rest[0] == '\0' || rest[0] == '/' || rest[0] == ':')
		return false;
	for (p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

static int parse_kubelet(struct ctx *c, const cJSON *k, struct config *cfg)
{
	static const char *const known[] = { "url", "token_file", "ca_file", "insecure_tls", "refresh_seconds", NULL };
	char buf[SHOWN_LEN];
	size_t old;
	int err;

	err = check_keys(c, k, known);
	if (err)
		return err;
	if (!cJSON_GetObjectItemCaseSensitive(k, "url"))
		return fail(c, "missing key \"url\"");
	err = opt_string(c, k, "url", &cfg->kubelet_url);
	if (err)
		return err;
	if (!valid_url(cfg->kubelet_url)) {
		old = jpath__key(&c->path, "url");
		err = fail(c, "\"%s\": expected an http:// or https:// URL", jpath__shown(cfg->kubelet_url, buf, sizeof(buf)));
		jpath__pop(&c->path, old);
		return err;
	}
	err = opt_abs_path(c, k, "token_file", &cfg->kubelet_token_file);
	if (!err)
		err = opt_abs_path(c, k, "ca_file", &cfg->kubelet_ca_file);
	if (!err)
		err = opt_bool(c, k, "insecure_tls", &cfg->kubelet_insecure_tls);
	if (!err)
		err = opt_u32(c, k, "refresh_seconds", 1, REFRESH_MAX, &cfg->kubelet_refresh_seconds);
	return err;
}

/* Call parse on root.key when present, with the path set. */
static int section(struct ctx *c, const cJSON *root, const char *key, struct config *cfg,
		   int (*parse)(struct ctx *c, const cJSON *obj, struct config *cfg))
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
	size_t old;
	int err;

	if (!item)
		return 0;
	old = jpath__key(&c->path, key);
	err = parse(c, item, cfg);
	jpath__pop(&c->path, old);
	return err;
}

static int parse_root(struct ctx *c, const cJSON *root, struct config *cfg)
{
	static const char *const known[] = { "services", "db",      "sinks",   "limits", "rules_dir",
					     "metrics",  "kubelet", "runtime", NULL };
	int err;

	err = check_keys(c, root, known);
	if (err)
		return err;
	if (!cJSON_GetObjectItemCaseSensitive(root, "services"))
		return fail(c, "missing key \"services\"");
	err = section(c, root, "services", cfg, parse_services);
	if (!err) {
		size_t old = jpath__key(&c->path, "db");

		/* parse_db runs without "db" too: it sets the default ports and sockets */
		err = parse_db(c, cJSON_GetObjectItemCaseSensitive(root, "db"), cfg);
		jpath__pop(&c->path, old);
	}
	if (!err)
		err = section(c, root, "sinks", cfg, parse_sinks);
	if (!err)
		err = section(c, root, "limits", cfg, parse_limits);
	if (!err)
		err = opt_abs_path(c, root, "rules_dir", &cfg->rules_dir);
	if (!err)
		err = section(c, root, "metrics", cfg, parse_metrics);
	if (!err)
		err = section(c, root, "kubelet", cfg, parse_kubelet);
	if (!err)
		err = section(c, root, "runtime", cfg, parse_runtime);
	if (err)
		return err;

	if (!cfg->sql_text)
		cfg->sql_text = strdup(DEFAULT_SQL_TEXT);
	if (!cfg->rules_dir)
		cfg->rules_dir = strdup(AISEC_RULES_DIR);
	if (!cfg->metrics_listen)
		cfg->metrics_listen = strdup(DEFAULT_METRICS);
	if (!cfg->sql_text || !cfg->rules_dir || !cfg->metrics_listen)
		return oom(c);
	return 0;
}

/* Parse and validate len bytes of buf (need not be NUL-terminated; name is
 * used in messages). The config, or NULL with errno EINVAL (invalid) or
 * ENOMEM and the first problem in err. */
struct config *config__parse(const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	struct ctx c = { .name = name ? name : "config", .err = err, .errlen = errlen };
	struct config *cfg = NULL;
	cJSON *root = NULL;
	int rc;

	jpath__init(&c.path, SHOWN_LEN);
	if (err && errlen)
		err[0] = '\0';
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		rc = oom(&c);
		goto cleanup;
	}
	cfg->payload_bytes = DEFAULT_PAYLOAD;
	cfg->kafka_events_rate = DEFAULT_EVENTS_RATE;
	cfg->ringbuf_bytes = DEFAULT_RINGBUF;
	cfg->proc_cache = DEFAULT_PROC_CACHE;
	cfg->sql_connections = DEFAULT_SQL_CONNECTIONS;
	cfg->spool_bytes = DEFAULT_SPOOL;
	cfg->kubelet_refresh_seconds = DEFAULT_REFRESH;
	cfg->file = strdup(c.name);
	if (!cfg->file) {
		rc = oom(&c);
		goto cleanup;
	}
	rc = jpath__parse(c.name, buf ? buf : "", buf ? len : 0, &root, c.err, c.errlen);
	if (!rc)
		rc = parse_root(&c, root, cfg);
cleanup:
	cJSON_Delete(root);
	if (rc) {
		config__free(cfg);
		errno = -rc;
		return NULL;
	}
	return cfg;
}

/* Read path (a regular file of at most 1 MiB) and parse it as config__parse
 * does, with path as the name. NULL with errno set by open/read or EINVAL,
 * EFBIG, ENOMEM, and the message in err. */
struct config *config__load(const char *path, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd = -1, rc = 0;

	if (err && errlen)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		snprintf(err, err ? errlen : 0, "%s: cannot open: %s", path, strerror(rc));
		goto cleanup;
	}
	if (fstat(fd, &st) < 0) {
		rc = errno;
		snprintf(err, err ? errlen : 0, "%s: cannot stat: %s", path, strerror(rc));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = EINVAL;
		snprintf(err, err ? errlen : 0, "%s: not a regular file", path);
		goto cleanup;
	}
	if (st.st_size > MAX_FILE_BYTES) {
		rc = EFBIG;
		snprintf(err, err ? errlen : 0, "%s: larger than %d bytes", path, MAX_FILE_BYTES);
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = ENOMEM;
		snprintf(err, err ? errlen : 0, "%s: out of memory", path);
		goto cleanup;
	}
	/* read to EOF, one byte past the size seen, so a file growing meanwhile is caught */
	while ((n = read(fd, buf + len, (size_t)st.st_size + 1 - len)) > 0 && len + (size_t)n <= (size_t)st.st_size)
		len += (size_t)n;
	if (n < 0) {
		rc = errno;
		snprintf(err, err ? errlen : 0, "%s: cannot read: %s", path, strerror(rc));
		goto cleanup;
	}
	if (n > 0) {
		rc = EAGAIN;
		snprintf(err, err ? errlen : 0, "%s: changed while being read", path);
		goto cleanup;
	}
	cfg = config__parse(path, buf, len, err, errlen);
	if (!cfg)
		rc = errno;
cleanup:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (rc) {
		errno = rc;
		return NULL;
	}
	return cfg;
}

/* Free c and every string it holds; NULL is fine. */
void config__free(struct config *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->nservices; i++) {
		struct config_service *s = &c->services[i];

		free(s->name);
		free(s->namespace_);
		for (j = 0; j < s->nlabels; j++) {
			free(s->labels[j].key);
			free(s->labels[j].value);
		}
		free(s->image);
		free(s->cgroup_prefix);
		free(s->exe);
		free(s->cwd_prefix);
		for (j = 0; j < s->nfindings; j++)
			free(s->findings[j]);
		free(s->source_root);
	}
	for (i = 0; i < c->ndb_ports; i++) {
		free(c->db_ports[i].key);
		free(c->db_ports[i].value);
	}
	for (i = 0; i < c->ndb_sockets; i++) {
		free(c->db_sockets[i].key);
		free(c->db_sockets[i].value);
	}
	for (i = 0; i < c->nkafka_conf; i++) {
		free(c->kafka_conf[i].key);
		free(c->kafka_conf[i].value);
	}
	free(c->file);
	free(c->sql_text);
	free(c->sink_file);
	free(c->sink_events);
	free(c->kafka_brokers);
	free(c->kafka_topic);
	free(c->kafka_spool_dir);
	free(c->kafka_events_topic);
	free(c->rules_dir);
	free(c->metrics_listen);
	free(c->kubelet_url);
	free(c->kubelet_token_file);
	free(c->kubelet_ca_file);
	free(c->runtime_containerd_root);
	free(c->runtime_crio_root);
	free(c->runtime_docker_root);
	free(c);
}

/*
 * podmeta: pod and container metadata by container id (see podmeta.h).
 *
 * This file holds the two parsers (pure, no I/O: fuzzed), the cache, the
 * runtime-file reads and the background thread. The kubelet's HTTP client is
 * in kubelet.c and reaches the thread through struct podmeta_fetch
 * (kubelet.h), so the parsers link without libcurl.
 *
 * The cache is one hash table of entries, one per container id, each with up
 * to two packed metadata records: what the kubelet said (kept from the last
 * pod list that named the container) and what the runtime's file said (read
 * on a lookup that the kubelet could not answer). An entry with neither is a
 * remembered miss, so an unknown id does not cost three open() calls per
 * lookup. Entries are kept in LRU order and bounded by cache_max.
 *
 * The background thread fetches the pod list every refresh_seconds, or
 * sooner when a lookup asked (at most once a second), parses it with nobody
 * waiting, and merges the result in under the mutex. Every refresh_seconds it
 * also drops the entries the last pod list did not name and whose runtime
 * file is gone, remembered misses once nobody asked for them for as long
 * (stat() outside the mutex). Lookups hold the mutex only to copy; the
 * runtime file of a miss is read without it.
 *
 * A miss (no kubelet record) retries the runtime files and asks the thread
 * for an early refresh, each id on its own schedule: at once, then after 1,
 * 2, 4 ... seconds up to refresh_seconds; it stops asking once the retries
 * are refresh_seconds apart (the regular fetches cover it). So a new
 * container is found within about a second of its first event, while the
 * events of a container the kubelet will never know (not a pod, a pod's
 * sandbox) do not make the agent poll the kubelet.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "jpath.h"
#include "kubelet.h"
#include "log.h"
#include "podmeta.h"

#define ID_LEN 64
#define SHOWN_LEN 64
#define KEY_SHOWN 64 /* longer keys are cut in JSON paths */

#define DEFAULT_REFRESH_S 30
#define DEFAULT_CACHE_MAX 4096
#define MAX_BUCKETS (1u << 20)
#define MIN_FETCH_GAP_S 1.0	    /* early refreshes at most this often */
#define RUNTIME_FILE_MAX (4u << 20) /* an OCI config.json is a few tens of KB */

#define DEFAULT_CONTAINERD_ROOT "/run/containerd/io.containerd.runtime.v2.task/k8s.io"
#define DEFAULT_CRIO_ROOT "/run/containers/storage/overlay-containers"
#define DEFAULT_DOCKER_ROOT "/var/lib/docker/containers"

/* ---- parsers ---- */

struct pctx {
	const char *name;
	char *err;
	size_t errlen;
	struct jpath path;
};

static int fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record "name: $.path: problem" and return -EINVAL. */
static int fail(struct pctx *c, const char *fmt, ...)
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

/* Copy src into dst (size bytes), cut on a UTF-8 character boundary when it
 * does not fit. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *kind_name(int type)
{
	switch (type) {
	case cJSON_String:
		return "a string";
	case cJSON_Array:
		return "an array";
	default:
		return "an object";
	}
}

/* obj[key] when it has the cJSON type given (cJSON_String, cJSON_Object,
 * cJSON_Array) into *out; NULL when absent or null; an error at .key when
 * it has another type. */
static int member(struct pctx *c, const cJSON *obj, const char *key, int type, const cJSON **out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!it || cJSON_IsNull(it))
		return 0;
	if ((it->type & 0xff) != type) {
		jpath__key(&c->path, key);
		return fail(c, "expected %s, got %s", kind_name(type), jpath__type_name(it));
	}
	*out = it;
	return 0;
}

/* The string obj[key] into dst (size bytes, cut to fit); dst unchanged when
 * absent or null. */
static int str_member(struct pctx *c, const cJSON *obj, const char *key, char *dst, size_t size)
{
	const cJSON *it;
	int err = member(c, obj, key, cJSON_String, &it);

	if (!err && it)
		copy_str(dst, size, it->valuestring);
	return err;
}

static void add_label(struct pod_meta *m, const char *key, const char *value)
{
	if (m->nlabels == PODMETA_MAX_LABELS) {
		m->labels_truncated = true;
		return;
	}
	copy_str(m->labels[m->nlabels].key, sizeof(m->labels[0].key), key);
	copy_str(m->labels[m->nlabels].value, sizeof(m->labels[0].value), value);
	m->nlabels++;
}

/* A string-to-string object's pairs as labels, in document order. */
static int take_labels(struct pctx *c, const cJSON *obj, struct pod_meta *m)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj)
	{
		if (!cJSON_IsString(it)) {
			jpath__key(&c->path, it->string);
			return fail(c, "expected a string, got %s", jpath__type_name(it));
		}
		add_label(m, it->string, it->valuestring);
	}
	return 0;
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* "<runtime>://<64 hex>" (containerStatuses[].containerID) into id, lowercase. */
static int parse_container_id(struct pctx *c, const char *s, char id[ID_LEN + 1])
{
	const char *sep = strstr(s, "://"), *hex, *p;
	char shown[SHOWN_LEN + 32], scheme[32];
	size_t i, n;

	jpath__shown(s, shown, sizeof(shown));
	for (p = s; sep && p < sep; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '+'))
			break;
	}
	if (!sep || sep == s || p != sep || (size_t)(sep - s) >= sizeof(scheme))
		return fail(c, "\"%s\": expected <runtime>://<64 hex digits>, e.g. containerd://<id>", shown);
	snprintf(scheme, sizeof(scheme), "%.*s", (int)(sep - s), s);
	hex = sep + 3;
	n = strlen(hex);
	for (i = 0; i < n && i < ID_LEN; i++) {
		if (!is_hex(hex[i]))
			return fail(c,
				    "\"%s\": expected 64 hex digits after \"%s://\", found a non-hex character at %zu",
				    shown, scheme, i + 1);
	}
	if (n != ID_LEN)
		return fail(c, "\"%s\": expected 64 hex digits after \"%s://\", got %zu characters", shown, scheme, n);
	for (i = 0; i < ID_LEN; i++)
		id[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	id[ID_LEN] = '\0';
	return 0;
}

struct kparse {
	struct pctx c;
	void (*fn)(void *ctx, const struct pod_meta *m);
	void *ctx;
	bool emit;	   /* second pass: call fn (the first only checks) */
	struct pod_meta m; /* the pod's fields; the container's set per status */
};

/* One containerID string of a status: checked, and reported when emitting. */
static int container_id(struct kparse *k, const cJSON *obj)
{
	struct pctx *c = &k->c;
	const cJSON *cid;
	size_t old;
	int err;

	err = member(c, obj, "containerID", cJSON_String, &cid);
	/* pending: a waiting container has no id yet */
	if (err || !cid || !cid->valuestring[0])
		return err;
	old = jpath__key(&c->path, "containerID");
	err = parse_container_id(c, cid->valuestring, k->m.container_id);
	if (err)
		return err;
	jpath__pop(&c->path, old);
	if (k->emit)
		k->fn(k->ctx, &k->m);
	return 0;
}

/* One entry of containerStatuses (or init/ephemeral): the container running
 * now, and the one before it (lastState.terminated) whose late events may
 * still come in; the latter is given the current name and image. */
static int container_status(struct kparse *k, const cJSON *st)
{
	struct pctx *c = &k->c;
	const cJSON *last, *term;
	size_t old;
	int err;

	if (!cJSON_IsObject(st))
		return fail(c, "expected an object, got %s", jpath__type_name(st));
	k->m.container[0] = '\0';
	k->m.image[0] = '\0';
	err = str_member(c, st, "name", k->m.container, sizeof(k->m.container));
	if (!err)
		err = str_member(c, st, "image", k->m.image, sizeof(k->m.image));
	if (!err)
		err = container_id(k, st);
	if (!err)
		err = member(c, st, "lastState", cJSON_Object, &last);
	if (err || !last)
		return err;
	old = jpath__key(&c->path, "lastState");
	err = member(c, last, "terminated", cJSON_Object, &term);
	if (err || !term)
		return err;
	jpath__key(&c->path, "terminated");
	err = container_id(k, term);
	jpath__pop(&c->path, old);
	return err;
}

static int pod(struct kparse *k, const cJSON *item)
{
	static const char *const lists[] = {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"};
	struct pctx *c = &k->c;
	const cJSON *meta, *labels, *status, *arr, *st;
	struct pod_meta *m = &k->m;
	size_t i, j, old, old2;
	int err;

	if (!cJSON_IsObject(item))
		return fail(c, "expected an object, got %s", jpath__type_name(item));
	memset(m, 0, sizeof(*m));
	m->source = "kubelet";
	err = member(c, item, "metadata", cJSON_Object, &meta);
	if (err)
		return err;
	if (meta) {
		old = jpath__key(&c->path, "metadata");
		err = str_member(c, meta, "namespace", m->namespace_, sizeof(m->namespace_));
		if (!err)
			err = str_member(c, meta, "name", m->pod, sizeof(m->pod));
		if (!err)
			err = str_member(c, meta, "uid", m->pod_uid, sizeof(m->pod_uid));
		if (!err)
			err = member(c, meta, "labels", cJSON_Object, &labels);
		if (err)
			return err;
		if (labels) {
			jpath__key(&c->path, "labels");
			err = take_labels(c, labels, m);
			if (err)
				return err;
		}
		jpath__pop(&c->path, old);
	}
	err = member(c, item, "status", cJSON_Object, &status);
	if (err || !status)
		return err;
	old = jpath__key(&c->path, "status");
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		err = member(c, status, lists[i], cJSON_Array, &arr);
		if (err)
			return err;
		if (!arr)
			continue;
		old2 = jpath__key(&c->path, lists[i]);
		j = 0;
		cJSON_ArrayForEach(st, arr)
		{
			size_t old3 = jpath__idx(&c->path, j++);

			err = container_status(k, st);
			if (err)
				return err;
			jpath__pop(&c->path, old3);
		}
		jpath__pop(&c->path, old2);
	}
	jpath__pop(&c->path, old);
	return 0;
}

/* Both passes over items: the first checks everything, so that fn is called
 * only for a list that is valid as a whole. */
static int pod_list(struct kparse *k, const cJSON *root)
{
	struct pctx *c = &k->c;
	const cJSON *kind, *items, *item;
	char shown[SHOWN_LEN];
	size_t i, old;
	int err, pass;

	if (!cJSON_IsObject(root))
		return fail(c, "expected an object (a PodList), got %s", jpath__type_name(root));
	err = member(c, root, "kind", cJSON_String, &kind);
	if (err)
		return err;
	if (kind && strcmp(kind->valuestring, "PodList") != 0) {
		jpath__key(&c->path, "kind");
		return fail(c, "\"%s\": expected \"PodList\"", jpath__shown(kind->valuestring, shown, sizeof(shown)));
	}
	/* Go writes an empty list as null */
	err = member(c, root, "items", cJSON_Array, &items);
	if (err || !items)
		return err;
	old = jpath__key(&c->path, "items");
	for (pass = 0; pass < 2; pass++) {
		k->emit = pass == 1;
		i = 0;
		cJSON_ArrayForEach(item, items)
		{
			size_t old2 = jpath__idx(&c->path, i++);

			err = pod(k, item);
			if (err)
				return err;
			jpath__pop(&c->path, old2);
		}
	}
	jpath__pop(&c->path, old);
	return 0;
}

int podmeta__parse_kubelet(const char *name, const char *buf, size_t len,
			   void (*fn)(void *ctx, const struct pod_meta *m), void *ctx, char *err, size_t errlen)
{
	struct kparse *k;
	cJSON *root = NULL;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!name)
		name = "kubelet";
	if ((!buf && len) || !fn) {
		if (err && errlen)
			snprintf(err, errlen, "%s: invalid argument", name);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	k->c.name = name;
	k->c.err = err;
	k->c.errlen = errlen;
	k->fn = fn;
	k->ctx = ctx;
	jpath__init(&k->c.path, KEY_SHOWN);
	rc = jpath__parse(k->c.name, buf ? buf : "", len, &root, k->c.err, k->c.errlen);
	if (!rc)
		rc = pod_list(k, root);
	cJSON_Delete(root);
	free(k);
	return rc;
}

enum rt_kind { RT_CONTAINERD, RT_CRIO, RT_DOCKER, RT_KINDS };

static const char *const rt_names[RT_KINDS] = {"containerd", "cri-o", "docker"};

/* CRI's own labels on a container (kubelet's bookkeeping, not pod labels). */
#define L_NAMESPACE "io.kubernetes.pod.namespace"
#define L_POD "io.kubernetes.pod.name"
#define L_UID "io.kubernetes.pod.uid"
#define L_CONTAINER "io.kubernetes.container.name"

/* CRI-O's io.kubernetes.cri-o.Labels: the CRI labels as a JSON object in a
 * string. For a pod's sandbox they are the pod's labels; for its containers
 * the kubelet sets only its own io.kubernetes.* ones, which fill the
 * identity fields the annotations left empty and are not labels. */
static int crio_labels(struct pctx *c, const char *s, struct pod_meta *m)
{
	const char *end = NULL;
	const cJSON *it;
	cJSON *obj;
	int err = 0;

	obj = cJSON_ParseWithOpts(s, &end, true);
	if (!obj) {
		if (!end)
			end = cJSON_GetErrorPtr();
		return fail(c, "invalid JSON inside the string at byte %zu",
			    end && end >= s && end <= s + strlen(s) ? (size_t)(end - s) + 1 : (size_t)1);
	}
	if (!cJSON_IsObject(obj)) {
		err = fail(c, "expected a JSON object inside the string, got %s", jpath__type_name(obj));
		goto cleanup;
	}
	cJSON_ArrayForEach(it, obj)
	{
		char *dst = NULL;
		size_t size = PODMETA_STR;

		if (!cJSON_IsString(it)) {
			jpath__key(&c->path, it->string);
			err = fail(c, "expected a string, got %s", jpath__type_name(it));
			goto cleanup;
		}
		if (!strcmp(it->string, L_NAMESPACE))
			dst = m->namespace_;
		else if (!strcmp(it->string, L_POD))
			dst = m->pod;
		else if (!strcmp(it->string, L_UID))
			dst = m->pod_uid, size = sizeof(m->pod_uid);
		else if (!strcmp(it->string, L_CONTAINER))
			dst = m->container;
		if (!dst)
			add_label(m, it->string, it->valuestring);
		else if (!dst[0])
			copy_str(dst, size, it->valuestring);
	}
cleanup:
	cJSON_Delete(obj);
	return err;
}

static int runtime_doc(struct pctx *c, enum rt_kind kind, const cJSON *root, struct pod_meta *m)
{
	const cJSON *obj, *labels, *s;
	int err;

	if (!cJSON_IsObject(root))
		return fail(c, "expected an object, got %s", jpath__type_name(root));
	if (kind == RT_DOCKER) {
		/* config.v2.json: the k8s identity is in the container's labels
		 * (dockershim, cri-dockerd). Other labels are not taken: docker
		 * merges the image's labels in, so they are not the pod's. */
		err = member(c, root, "Config", cJSON_Object, &obj);
		if (err || !obj)
			return err;
		jpath__key(&c->path, "Config");
		err = str_member(c, obj, "Image", m->image, sizeof(m->image));
		if (!err)
			err = member(c, obj, "Labels", cJSON_Object, &labels);
		if (err || !labels)
			return err;
		jpath__key(&c->path, "Labels");
		err = str_member(c, labels, L_NAMESPACE, m->namespace_, sizeof(m->namespace_));
		if (!err)
			err = str_member(c, labels, L_POD, m->pod, sizeof(m->pod));
		if (!err)
			err = str_member(c, labels, L_UID, m->pod_uid, sizeof(m->pod_uid));
		if (!err)
			err = str_member(c, labels, L_CONTAINER, m->container, sizeof(m->container));
		return err;
	}
	/* an OCI runtime spec (config.json): the CRI plugin's annotations */
	err = member(c, root, "annotations", cJSON_Object, &obj);
	if (err || !obj)
		return err;
	jpath__key(&c->path, "annotations");
	if (kind == RT_CONTAINERD) {
		err = str_member(c, obj, "io.kubernetes.cri.sandbox-namespace", m->namespace_, sizeof(m->namespace_));
		if (!err)
			err = str_member(c, obj, "io.kubernetes.cri.sandbox-name", m->pod, sizeof(m->pod));
		if (!err)
			err = str_member(c, obj, "io.kubernetes.cri.sandbox-uid", m->pod_uid, sizeof(m->pod_uid));
		if (!err)
			err =
			    str_member(c, obj, "io.kubernetes.cri.container-name", m->container, sizeof(m->container));
		if (!err)
			err = str_member(c, obj, "io.kubernetes.cri.image-name", m->image, sizeof(m->image));
		return err;
	}
	err = str_member(c, obj, L_NAMESPACE, m->namespace_, sizeof(m->namespace_));
	if (!err)
		err = str_member(c, obj, L_POD, m->pod, sizeof(m->pod));
	if (!err)
		err = str_member(c, obj, L_UID, m->pod_uid, sizeof(m->pod_uid));
	if (!err)
		err = str_member(c, obj, L_CONTAINER, m->container, sizeof(m->container));
	if (!err)
		err = str_member(c, obj, "io.kubernetes.cri-o.ImageName", m->image, sizeof(m->image));
	if (!err)
		err = member(c, obj, "io.kubernetes.cri-o.Labels", cJSON_String, &s);
	if (err || !s)
		return err;
	jpath__key(&c->path, "io.kubernetes.cri-o.Labels");
	return crio_labels(c, s->valuestring, m);
}

int podmeta__parse_runtime(const char *kind, const char *name, const char *buf, size_t len, struct pod_meta *out,
			   char *err, size_t errlen)
{
	struct pctx c = {.name = name ? name : "runtime", .err = err, .errlen = errlen};
	cJSON *root = NULL;
	int k, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out || (!buf && len)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: invalid argument", c.name);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	for (k = 0; k < RT_KINDS; k++) {
		if (kind && !strcmp(kind, rt_names[k]))
			break;
	}
	if (k == RT_KINDS) {
		if (err && errlen)
			snprintf(err, errlen, "%s: unknown runtime kind \"%s\"; expected containerd, cri-o or docker",
				 c.name, kind ? kind : "(null)");
		return -EINVAL;
	}
	jpath__init(&c.path, KEY_SHOWN);
	rc = jpath__parse(c.name, buf ? buf : "", len, &root, c.err, c.errlen);
	if (!rc)
		rc = runtime_doc(&c, (enum rt_kind)k, root, out);
	cJSON_Delete(root);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	if (out->namespace_[0] || out->pod[0] || out->pod_uid[0] || out->container[0] || out->image[0] || out->nlabels)
		out->source = rt_names[k];
	return 0;
}

/* ---- packed records: a pod_meta in one allocation of the bytes it uses ---- */

#define NFIELDS 5

struct packed {
	const char *source;
	size_t nlabels;
	bool labels_truncated;
	char data[]; /* NFIELDS strings, then key and value of each label, each NUL-terminated */
};

static struct packed *pack(const struct pod_meta *m)
{
	const char *fields[NFIELDS] = {m->namespace_, m->pod, m->pod_uid, m->container, m->image};
	size_t i, n, len = 0;
	struct packed *p;
	char *d;

	for (i = 0; i < NFIELDS; i++)
		len += strlen(fields[i]) + 1;
	for (i = 0; i < m->nlabels; i++)
		len += strlen(m->labels[i].key) + strlen(m->labels[i].value) + 2;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return NULL;
	p->source = m->source;
	p->nlabels = m->nlabels;
	p->labels_truncated = m->labels_truncated;
	d = p->data;
	for (i = 0; i < NFIELDS + 2 * m->nlabels; i++) {
		const char *s = i < NFIELDS	    ? fields[i]
				: (i - NFIELDS) % 2 ? m->labels[(i - NFIELDS) / 2].value
						    : m->labels[(i - NFIELDS) / 2].key;

		n = strlen(s) + 1;
		memcpy(d, s, n);
		d += n;
	}
	return p;
}

/* p into out. over: p wins where it knows a field, and for the labels. */
static void unpack(const struct packed *p, struct pod_meta *out, bool over)
{
	char *fields[NFIELDS] = {out->namespace_, out->pod, out->pod_uid, out->container, out->image};
	size_t sizes[NFIELDS] = {sizeof(out->namespace_), sizeof(out->pod), sizeof(out->pod_uid),
				 sizeof(out->container), sizeof(out->image)};
	const char *s = p->data;
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		if (*s || !over)
			copy_str(fields[i], sizes[i], s);
		s += strlen(s) + 1;
	}
	out->nlabels = p->nlabels;
	out->labels_truncated = p->labels_truncated;
	for (i = 0; i < p->nlabels; i++) {
		copy_str(out->labels[i].key, sizeof(out->labels[i].key), s);
		s += strlen(s) + 1;
		copy_str(out->labels[i].value, sizeof(out->labels[i].value), s);
		s += strlen(s) + 1;
	}
	out->source = p->source;
}

/* ---- the cache ---- */

struct entry {
	char id[ID_LEN + 1];
	struct packed *kube; /* from the last pod list that named it; NULL: none */
	struct packed *rt;   /* from the runtime's file; NULL: none (yet) */
	__u64 seen_gen;	     /* the pod list generation that last named it */
	double next_try;     /* a miss before this neither reads files nor asks */
	double backoff;
	double last_used; /* of the last lookup */
	struct entry *hnext;
	struct entry *prev, *next; /* LRU, most recent first */
};

struct podmeta {
	char *roots[RT_KINDS]; /* "" disabled */
	unsigned refresh_s;
	size_t cache_max;
	struct podmeta_fetch fetch;
	bool have_fetch;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;
	bool stop, want_refresh;
	double last_fetch;   /* monotonic start of the last request */
	double last_success; /* of the last good pod list; < 0: none */
	__u64 gen;	     /* pod lists merged so far */
	struct entry **buckets;
	size_t nbuckets, count;
	struct entry lru; /* sentinel */
	struct podmeta_stats st;

	char last_err[512]; /* the background thread's; what it logged last */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A 64-hex id, lowercased into id; false when s is not one. */
static bool valid_id(const char *s, char id[ID_LEN + 1])
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < ID_LEN; i++) {
		if (!is_hex(s[i]))
			return false;
		id[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	}
	id[ID_LEN] = '\0';
	return s[ID_LEN] == '\0';
}

static size_t bucket_of(const struct podmeta *pm, const char *id)
{
	__u64 h = 1469598103934665603ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < ID_LEN; i++) {
		h ^= (unsigned char)id[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h & (pm->nbuckets - 1));
}

static struct entry *find(struct podmeta *pm, const char *id)
{
	struct entry *e;

	for (e = pm->buckets[bucket_of(pm, id)]; e; e = e->hnext) {
		if (!memcmp(e->id, id, ID_LEN))
			return e;
	}
	return NULL;
}

static void lru_unlink(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_front(struct podmeta *pm, struct entry *e)
{
	e->next = pm->lru.next;
	e->prev = &pm->lru;
	pm->lru.next->prev = e;
	pm->lru.next = e;
}

static void touch(struct podmeta *pm, struct entry *e)
{
	lru_unlink(e);
	lru_front(pm, e);
}

static void entry_free(struct entry *e)
{
	free(e->kube);
	free(e->rt);
	free(e);
}

static void remove_entry(struct podmeta *pm, struct entry *e)
{
	struct entry **pp = &pm->buckets[bucket_of(pm, e->id)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(e);
	pm->count--;
	entry_free(e);
}

/* A new entry for id at the front, the least recently used ones dropped
 * beyond cache_max. NULL when out of memory. */
static struct entry *insert(struct podmeta *pm, const char *id)
{
	struct entry *e = calloc(1, sizeof(*e));
	size_t b;

	if (!e)
		return NULL;
	memcpy(e->id, id, ID_LEN + 1);
	e->backoff = MIN_FETCH_GAP_S;
	b = bucket_of(pm, id);
	e->hnext = pm->buckets[b];
	pm->buckets[b] = e;
	lru_front(pm, e);
	pm->count++;
	while (pm->count > pm->cache_max && pm->lru.prev != e)
		remove_entry(pm, pm->lru.prev);
	return e;
}

/* The runtime file of id for kind into path; false when the root is
 * disabled or the path does not fit. */
static bool runtime_path(const struct podmeta *pm, int kind, const char *id, char *path, size_t size)
{
	static const char *const fmts[RT_KINDS] = {"%s/%s/config.json", "%s/%s/userdata/config.json",
						   "%s/%s/config.v2.json"};
	int n;

	if (!pm->roots[kind][0])
		return false;
	n = snprintf(path, size, fmts[kind], pm->roots[kind], id);
	return n > 0 && (size_t)n < size;
}

/* Read a whole regular file of at most max bytes. 0, -ENOENT/-ENOTDIR when
 * it is not there, or another negative errno with a reason in err. */
static int read_file(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file of at most %zu bytes", path, max);
		goto cleanup;
	}
	*buf = malloc((size_t)sb.st_size + 1);
	if (!*buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	/* the size may change under us: read what is there, up to st_size */
	while (got < (size_t)sb.st_size) {
		n = read(fd, *buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	(*buf)[got] = '\0';
	*len = got;
	rc = 0;
cleanup:
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return rc;
}

struct rt_read {
	struct packed *meta; /* NULL: nothing known */
	unsigned reads, errors;
};

/* Look for id's file under each runtime root (outside the lock). Problems
 * are logged when log_errors (once per id: its first attempt). */
static void read_runtime(const struct podmeta *pm, const char *id, bool log_errors, struct rt_read *r)
{
	char path[4096], err[4096 + 1024], *buf;
	struct pod_meta *m;
	size_t len = 0;
	int k, rc;

	memset(r, 0, sizeof(*r));
	for (k = 0; k < RT_KINDS; k++) {
		if (!runtime_path(pm, k, id, path, sizeof(path)))
			continue;
		rc = read_file(path, RUNTIME_FILE_MAX, &buf, &len, err, sizeof(err));
		if (rc == -ENOENT || rc == -ENOTDIR)
			continue;
		r->reads++;
		if (rc) {
			r->errors++;
			if (log_errors)
				log_warn("podmeta: %s", err);
			continue;
		}
		m = malloc(sizeof(*m));
		rc = m ? podmeta__parse_runtime(rt_names[k], path, buf, len, m, err, sizeof(err)) : -ENOMEM;
		free(buf);
		if (rc) {
			r->errors++;
			if (log_errors && rc != -ENOMEM)
				log_warn("podmeta: %s", err);
		} else if (m->source) {
			r->meta = pack(m); /* NULL when out of memory: unknown this time */
		}
		free(m);
		/* a container has one runtime: the first file found is its own */
		return;
	}
}

/* Whether any runtime file of id is still there. */
static bool runtime_exists(const struct podmeta *pm, const char *id)
{
	char path[4096];
	struct stat sb;
	int k;

	for (k = 0; k < RT_KINDS; k++) {
		if (runtime_path(pm, k, id, path, sizeof(path)) &&
		    (stat(path, &sb) == 0 || (errno != ENOENT && errno != ENOTDIR)))
			return true;
	}
	return false;
}

static bool in_last_list(const struct podmeta *pm, const struct entry *e)
{
	return pm->gen && e->seen_gen == pm->gen;
}

bool podmeta__lookup(struct podmeta *pm, const char *container_id, struct pod_meta *out)
{
	char id[ID_LEN + 1];
	struct rt_read r;
	struct entry *e;
	bool known, try;
	double t;

	if (!out)
		return false;
	memset(out, 0, sizeof(*out));
	if (!valid_id(container_id, id)) {
		if (pm) {
			pthread_mutex_lock(&pm->lock);
			pm->st.misses++;
			pthread_mutex_unlock(&pm->lock);
		}
		return false;
	}
	memcpy(out->container_id, id, sizeof(id));
	if (!pm)
		return false;
	t = now_s();
	pthread_mutex_lock(&pm->lock);
	e = find(pm, id);
	if (!e)
		e = insert(pm, id);
	else
		touch(pm, e);
	if (e)
		e->last_used = t;
	try = e && !e->kube && t >= e->next_try;
	if (try) {
		bool first = e->next_try == 0;

		/* Once the retries are refresh_seconds apart the regular
		 * fetches cover them: an id the kubelet never names (not a
		 * pod) stops asking after about a minute. */
		if (pm->have_fetch && e->backoff < pm->refresh_s) {
			pm->want_refresh = true;
			pthread_cond_signal(&pm->cond);
		}
		/* the next miss of this id retries later; concurrent ones not at all */
		e->next_try = t + e->backoff;
		e->backoff = e->backoff * 2 > pm->refresh_s ? pm->refresh_s : e->backoff * 2;
		if (!e->rt) {
			pthread_mutex_unlock(&pm->lock);
			read_runtime(pm, id, first, &r);
			pthread_mutex_lock(&pm->lock);
			pm->st.runtime_reads += r.reads;
			pm->st.runtime_errors += r.errors;
			/* it may have gone (evicted) meanwhile */
			e = find(pm, id);
			if (!e && r.meta)
				e = insert(pm, id);
			if (e && !e->rt) {
				e->rt = r.meta;
				r.meta = NULL;
			}
			free(r.meta);
		}
	}
	if (e && e->rt)
		unpack(e->rt, out, false);
	if (e && e->kube)
		unpack(e->kube, out, true);
	known = out->source != NULL;
	if (known)
		pm->st.hits++;
	else
		pm->st.misses++;
	pthread_mutex_unlock(&pm->lock);
	return known;
}

void podmeta__stats(struct podmeta *pm, struct podmeta_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	out->last_success_age_s = -1;
	if (!pm)
		return;
	pthread_mutex_lock(&pm->lock);
	*out = pm->st;
	out->entries = pm->count;
	out->last_success_age_s = pm->last_success < 0 ? -1 : now_s() - pm->last_success;
	pthread_mutex_unlock(&pm->lock);
}

/* ---- the background thread ---- */

struct kitem {
	char id[ID_LEN + 1];
	struct packed *meta;
};

struct klist {
	struct kitem *v;
	size_t n, cap, max;
	bool oom, over;
};

static void collect(void *ctx, const struct pod_meta *m)
{
	struct klist *l = ctx;
	struct kitem *v;

	if (l->oom)
		return;
	if (l->n == l->max) {
		l->over = true;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	memcpy(l->v[l->n].id, m->container_id, ID_LEN + 1);
	l->v[l->n].meta = pack(m);
	if (!l->v[l->n].meta) {
		l->oom = true;
		return;
	}
	l->n++;
}

static void klist_free(struct klist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].meta);
	free(l->v);
}

/* Log a problem of the background thread when it differs from the last
 * one, so a kubelet that stays down is reported once, not every refresh. */
static void report(struct podmeta *pm, const char *msg)
{
	if (!strcmp(pm->last_err, msg))
		return;
	log_warn("podmeta: %s (pod metadata may be missing or stale until the kubelet answers)", msg);
	snprintf(pm->last_err, sizeof(pm->last_err), "%s", msg);
}

/* One request, parse and merge. */
static void fetch_once(struct podmeta *pm)
{
	struct klist l = {.max = pm->cache_max};
	char err[512], name[300], *body = NULL;
	size_t i, len = 0;
	struct entry *e;
	int rc;

	rc = pm->fetch.get(pm->fetch.ctx, &body, &len, err, sizeof(err));
	if (rc == -ECANCELED)
		return;
	if (!rc) {
		snprintf(name, sizeof(name), "pod list from %s", pm->fetch.name ? pm->fetch.name : "kubelet");
		rc = podmeta__parse_kubelet(name, body, len, collect, &l, err, sizeof(err));
		if (!rc && l.oom) {
			rc = -ENOMEM;
			snprintf(err, sizeof(err), "%s: out of memory", name);
		}
	}
	free(body);

	pthread_mutex_lock(&pm->lock);
	pm->st.kubelet_fetches++;
	if (rc) {
		pm->st.kubelet_errors++;
		pthread_mutex_unlock(&pm->lock);
		report(pm, err);
		klist_free(&l);
		return;
	}
	pm->gen++;
	pm->last_success = now_s();
	for (i = 0; i < l.n; i++) {
		struct packed *old;

		e = find(pm, l.v[i].id);
		if (e)
			touch(pm, e);
		else
			e = insert(pm, l.v[i].id);
		if (!e)
			continue;
		old = e->kube;
		e->kube = l.v[i].meta;
		l.v[i].meta = old;
		e->seen_gen = pm->gen;
	}
	pthread_mutex_unlock(&pm->lock);
	klist_free(&l);

	if (l.over)
		report(pm, "the pod list names more containers than the cache holds (cache_max); some are left out");
	else if (pm->last_err[0]) {
		log_info("podmeta: kubelet pod list fetched again (%zu containers)", l.n);
		pm->last_err[0] = '\0';
	}
}

/* Whether e may go if its runtime file is gone: the last pod list did not
 * name it and, for a remembered miss, nobody asked for it for a whole
 * refresh period (one still asked for keeps its retry schedule, so it does
 * not start asking the kubelet again). */
static bool expirable(const struct podmeta *pm, const struct entry *e, double now)
{
	return !in_last_list(pm, e) && (e->kube || e->rt || now - e->last_used >= pm->refresh_s);
}

/* Drop the expirable entries whose runtime file is gone: stat() outside the
 * lock, removal under it. */
static void sweep(struct podmeta *pm)
{
	char(*ids)[ID_LEN + 1] = NULL;
	size_t i, n = 0, cap;
	struct entry *e;
	bool *gone;
	double t;

	pthread_mutex_lock(&pm->lock);
	cap = pm->count;
	ids = cap ? malloc(cap * sizeof(*ids)) : NULL;
	t = now_s();
	for (e = pm->lru.next; ids && e != &pm->lru; e = e->next) {
		if (expirable(pm, e, t))
			memcpy(ids[n++], e->id, ID_LEN + 1);
	}
	pthread_mutex_unlock(&pm->lock);
	if (!n) {
		free(ids);
		return;
	}
	gone = calloc(n, sizeof(*gone));
	if (!gone) {
		free(ids);
		return;
	}
	for (i = 0; i < n; i++)
		gone[i] = !runtime_exists(pm, ids[i]);
	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < n; i++) {
		e = gone[i] ? find(pm, ids[i]) : NULL;
		if (e && expirable(pm, e, t))
			remove_entry(pm, e);
	}
	pthread_mutex_unlock(&pm->lock);
	free(gone);
	free(ids);
}

static struct timespec abs_time(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void *thread_main(void *arg)
{
	struct podmeta *pm = arg;
	double next_cycle = 0, t, wake;
	bool periodic, early, first = true;
	struct timespec ts;

	pthread_mutex_lock(&pm->lock);
	while (!pm->stop) {
		t = now_s();
		periodic = t >= next_cycle;
		early = pm->have_fetch && pm->want_refresh && t >= pm->last_fetch + MIN_FETCH_GAP_S;
		if (!periodic && !early) {
			wake = next_cycle;
			if (pm->have_fetch && pm->want_refresh && pm->last_fetch + MIN_FETCH_GAP_S < wake)
				wake = pm->last_fetch + MIN_FETCH_GAP_S;
			ts = abs_time(wake);
			pthread_cond_timedwait(&pm->cond, &pm->lock, &ts);
			continue;
		}
		pm->want_refresh = false;
		pm->last_fetch = t;
		pthread_mutex_unlock(&pm->lock);
		if (pm->have_fetch)
			fetch_once(pm);
		if (periodic) {
			/* nothing to expire yet at the start */
			if (!first)
				sweep(pm);
			first = false;
			next_cycle = now_s() + pm->refresh_s;
		}
		pthread_mutex_lock(&pm->lock);
	}
	pthread_mutex_unlock(&pm->lock);
	return NULL;
}

/* ---- life cycle ---- */

struct podmeta *podmeta__start(const struct podmeta_opts *o, const struct podmeta_fetch *f, char *err, size_t errlen)
{
	const char *roots[RT_KINDS],
	    *defaults[RT_KINDS] = {DEFAULT_CONTAINERD_ROOT, DEFAULT_CRIO_ROOT, DEFAULT_DOCKER_ROOT};
	pthread_condattr_t ca;
	struct podmeta *pm;
	int k, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!o || (f && !f->get)) {
		if (err && errlen)
			snprintf(err, errlen, "podmeta: no options given");
		errno = EINVAL;
		return NULL;
	}
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		goto oom;
	roots[RT_CONTAINERD] = o->containerd_root;
	roots[RT_CRIO] = o->crio_root;
	roots[RT_DOCKER] = o->docker_root;
	for (k = 0; k < RT_KINDS; k++) {
		pm->roots[k] = strdup(roots[k] ? roots[k] : defaults[k]);
		if (!pm->roots[k])
			goto oom;
	}
	pm->refresh_s = o->refresh_seconds ? o->refresh_seconds : DEFAULT_REFRESH_S;
	pm->cache_max = o->cache_max ? o->cache_max : DEFAULT_CACHE_MAX;
	for (pm->nbuckets = 16; pm->nbuckets < pm->cache_max && pm->nbuckets < MAX_BUCKETS; pm->nbuckets *= 2)
		;
	pm->buckets = calloc(pm->nbuckets, sizeof(*pm->buckets));
	if (!pm->buckets)
		goto oom;
	pm->lru.next = pm->lru.prev = &pm->lru;
	pm->last_success = -1;
	if (f) {
		pm->fetch = *f;
		pm->have_fetch = true;
	}
	pthread_mutex_init(&pm->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pm->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&pm->thread, NULL, thread_main, pm);
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "podmeta: cannot start its thread: %s", strerror(rc));
		pm->have_fetch = false; /* the caller keeps f->ctx */
		podmeta__free(pm);
		errno = rc;
		return NULL;
	}
	pm->thread_started = true;
	return pm;
oom:
	if (err && errlen)
		snprintf(err, errlen, "podmeta: out of memory");
	if (pm) {
		for (k = 0; k < RT_KINDS; k++)
			free(pm->roots[k]);
		free(pm->buckets);
		free(pm);
	}
	errno = ENOMEM;
	return NULL;
}

void podmeta__free(struct podmeta *pm)
{
	struct entry *e, *next;
	int k;

	if (!pm)
		return;
	if (pm->thread_started) {
		pthread_mutex_lock(&pm->lock);
		pm->stop = true;
		pthread_cond_signal(&pm->cond);
		pthread_mutex_unlock(&pm->lock);
		if (pm->have_fetch && pm->fetch.cancel)
			pm->fetch.cancel(pm->fetch.ctx);
		pthread_join(pm->thread, NULL);
	}
	if (pm->have_fetch && pm->fetch.free)
		pm->fetch.free(pm->fetch.ctx);
	for (e = pm->lru.next; e && e != &pm->lru; e = next) {
		next = e->next;
		entry_free(e);
	}
	pthread_cond_destroy(&pm->cond);
	pthread_mutex_destroy(&pm->lock);
	free(pm->buckets);
	for (k = 0; k < RT_KINDS; k++)
		free(pm->roots[k]);
	free(pm);
}

/*
 * podmeta: who a container is in Kubernetes terms. Pod namespace, name, uid
 * and labels, container name and image, looked up by container id.
 *
 * Two sources, merged (the kubelet wins where both know a field):
 *  - the container runtime's metadata on the node, read from files (no
 *    socket, no network): containerd's OCI bundle config.json annotations
 *    (<containerd_root>/<id>/config.json, io.kubernetes.cri.*), CRI-O's
 *    (<crio_root>/<id>/userdata/config.json, io.kubernetes.pod.* and
 *    io.kubernetes.cri-o.Labels), Docker's (<docker_root>/<id>/config.v2.json,
 *    Config.Labels io.kubernetes.* and Config.Image);
 *  - the kubelet's pod list (GET <kubelet_url>, normally
 *    https://127.0.0.1:10250/pods) with the pod's service-account token as a
 *    bearer token, checked against ca_file; fetched on a background thread
 *    every refresh_seconds, so a slow or absent kubelet never blocks events.
 *
 * Lookups are served from a cache (bounded, entries for gone containers
 * expire); a miss reads the runtime files at once and asks the background
 * thread for an early kubelet refresh (at most once a second). Missing
 * metadata is never an error: the lookup says "unknown" and events go on.
 *
 * Which containers the kubelet names: containerStatuses, initContainerStatuses
 * and ephemeralContainerStatuses, and for each the previous instance
 * (lastState.terminated.containerID, with the current name and image) whose
 * late events may still arrive. A container stays known while the last pod
 * list names it or its runtime file is on disk; entries that are neither
 * expire every refresh_seconds. A miss is retried (runtime files, early
 * refresh) after 1, 2, 4 ... seconds up to refresh_seconds for the same id;
 * early refreshes stop once the retries are refresh_seconds apart.
 * The implementation is in podmeta.c, the kubelet's HTTP client in kubelet.c.
 */
#ifndef AISEC_PODMETA_H
#define AISEC_PODMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PODMETA_MAX_LABELS 32
#define PODMETA_STR 256

struct pod_label {
	char key[PODMETA_STR];
	char value[PODMETA_STR];
};

/* What is known of one container; "" for fields nobody told us. */
struct pod_meta {
	char container_id[65];     /* full lowercase hex */
	char namespace_[PODMETA_STR];
	char pod[PODMETA_STR];
	char pod_uid[64];
	char container[PODMETA_STR]; /* container name in the pod spec */
	char image[PODMETA_STR];
	struct pod_label labels[PODMETA_MAX_LABELS];
	size_t nlabels;
	bool labels_truncated;     /* the pod had more than PODMETA_MAX_LABELS */
	const char *source;        /* "kubelet", "containerd", "cri-o", "docker" */
};

struct podmeta_opts {
	const char *kubelet_url;     /* NULL: no kubelet (runtime files only) */
	const char *token_file;      /* bearer token; NULL: none */
	const char *ca_file;         /* NULL: system CAs */
	bool insecure_tls;           /* do not verify the kubelet's certificate (kubelet certs are often not valid for 127.0.0.1) */
	unsigned refresh_seconds;    /* 0: 30 */
	unsigned timeout_ms;         /* per kubelet request; 0: 5000 */
	/* Runtime metadata roots; NULL: the defaults below. "" disables one. */
	const char *containerd_root; /* /run/containerd/io.containerd.runtime.v2.task/k8s.io */
	const char *crio_root;       /* /run/containers/storage/overlay-containers */
	const char *docker_root;     /* /var/lib/docker/containers */
	size_t cache_max;            /* 0: 4096 containers */
};

struct podmeta;

/* Start the background thread (kubelet fetches when kubelet_url is set;
 * expiry in any case). Never waits for the kubelet. NULL with errno and a
 * reason in err (bad URL, unreadable token or CA file, out of memory). */
struct podmeta *podmeta__new(const struct podmeta_opts *o, char *err, size_t errlen);
/* Stops the thread (a kubelet request in progress is cut off within about a
 * second). Accepts NULL. */
void podmeta__free(struct podmeta *pm);

/* Copy what is known of container id (64 hex, either case) into out. true
 * when anything is known (out->source set), false otherwise (out zeroed but
 * for the id, lowercased; "" when container_id is not an id). Never blocks
 * on the network; a miss may read up to three small local files. Thread-safe.
 * pm NULL: always false. */
bool podmeta__lookup(struct podmeta *pm, const char *container_id, struct pod_meta *out);

struct podmeta_stats {
	__u64 kubelet_fetches, kubelet_errors; /* requests made, and failed (HTTP, TLS, JSON) */
	__u64 runtime_reads, runtime_errors;   /* metadata files read, and unreadable or unparseable */
	__u64 hits, misses;                    /* lookups that returned true / false */
	size_t entries;                        /* containers cached, remembered misses included */
	double last_success_age_s;             /* seconds since the last good kubelet answer; -1: none yet */
};
void podmeta__stats(struct podmeta *pm, struct podmeta_stats *out);

/* Parsers, exposed for tests and fuzzing (pure: no I/O, no libcurl). name is
 * used in messages; buf need not be NUL-terminated.
 * kubelet: a PodList JSON; calls fn once per container found (id from
 * containerStatuses[].containerID "containerd://<id>", "cri-o://<id>",
 * "docker://<id>", lowercased; statuses without an id, i.e. pending, are
 * skipped), only when the whole list is valid. Strings longer than the
 * fields are cut on a UTF-8 boundary; labels beyond PODMETA_MAX_LABELS set
 * labels_truncated. Unknown keys are ignored, null is taken as absent.
 * 0, or -EINVAL with "name: $.path: problem" or "name:line:column: invalid
 * JSON" in err (-ENOMEM when out of memory). */
int podmeta__parse_kubelet(const char *name, const char *buf, size_t len,
			   void (*fn)(void *ctx, const struct pod_meta *m), void *ctx, char *err, size_t errlen);

/* One runtime metadata file (kind "containerd", "cri-o" or "docker") into out.
 * out->container_id is left "" (the caller knows the id); out->source is the
 * kind when the file told anything, NULL when it is valid but says nothing
 * (not a Kubernetes container). Docker labels are not taken as pod labels
 * (docker merges the image's labels in). 0, or -EINVAL with the reason in
 * err ("name: $.path: problem", as above) and out all zero. */
int podmeta__parse_runtime(const char *kind, const char *name, const char *buf, size_t len, struct pod_meta *out,
			   char *err, size_t errlen);

#endif /* AISEC_PODMETA_H */

/*
 * kubelet: the kubelet's pod list over HTTP(S) with libcurl, and the seam
 * between that client and podmeta's cache. Internal to podmeta: the rest of
 * the agent uses podmeta.h only.
 *
 * Why two files: the parsers in podmeta.c are fuzzed, and the fuzz targets
 * link with -lcjson -lxxhash -lz only. So podmeta.c never names libcurl or
 * this client: its cache is started with a struct podmeta_fetch (any "get the
 * pod list" function, a fake one in tests), and podmeta__new, defined in
 * kubelet.c, builds the libcurl client and hands it over. A program that
 * calls only the parsers therefore never pulls kubelet.o out of the archive.
 */
#ifndef AISEC_KUBELET_H
#define AISEC_KUBELET_H

#include <stdbool.h>
#include <stddef.h>

#include "podmeta.h"

/* Responses larger than this are an error (and the transfer stops there). */
#define KUBELET_MAX_BYTES (64u << 20)

struct kubelet_opts {
	const char *url;	/* http:// or https://, e.g. https://127.0.0.1:10250/pods */
	const char *token_file; /* read at every request (tokens rotate); NULL: no Authorization */
	const char *ca_file;	/* NULL: the system's CAs */
	bool insecure_tls;	/* no certificate or host name check */
	unsigned timeout_ms;	/* whole request; 0: 5000 */
	size_t max_bytes;	/* 0: KUBELET_MAX_BYTES */
};

struct kubelet;

/* A client for one URL. Checks what can be checked before the first
 * request: the URL (scheme, host), that the token file and the CA file can
 * be read. NULL with errno and a reason in err. */
struct kubelet *kubelet__new(const struct kubelet_opts *o, char *err, size_t errlen);

/* Accepts NULL. Not while kubelet__get runs (kubelet__cancel, then wait). */
void kubelet__free(struct kubelet *k);

/* GET the URL once. 0 with *body (malloc'd, NUL-terminated, *len bytes
 * without the NUL; the caller frees it), or a negative errno with a
 * one-line reason in err naming the URL and, where it helps, what to do:
 * the token file unreadable, connection or TLS failure, an HTTP status
 * other than 200, a response larger than max_bytes, cancelled. Never logs.
 * One request at a time per client. */
int kubelet__get(struct kubelet *k, char **body, size_t *len, char *err, size_t errlen);

/* From any thread: the request in progress (if any) and every later one
 * stop within about a second with -ECANCELED. For shutdown. */
void kubelet__cancel(struct kubelet *k);

/* What podmeta's background thread calls to get a pod list. */
struct podmeta_fetch {
	const char *name; /* where the lists come from, for messages (the URL); NULL: "kubelet" */
	void *ctx;
	/* As kubelet__get. */
	int (*get)(void *ctx, char **body, size_t *len, char *err, size_t errlen);
	/* As kubelet__cancel; may be NULL. */
	void (*cancel)(void *ctx);
	/* Release ctx; may be NULL. */
	void (*free)(void *ctx);
};

/* podmeta__new with the pod list coming from f instead of a kubelet URL
 * (NULL f: runtime files only). On success the podmeta owns f->ctx (freed
 * with f->free by podmeta__free); on failure (NULL, errno, reason in err)
 * the caller still does. o->kubelet_url, token_file, ca_file, insecure_tls
 * and timeout_ms are not looked at. Defined in podmeta.c. */
struct podmeta *podmeta__start(const struct podmeta_opts *o, const struct podmeta_fetch *f, char *err, size_t errlen);

#endif /* AISEC_KUBELET_H */

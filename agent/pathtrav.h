/*
 * pathtrav: path-traversal detector (CWE-22/23) over open events.
 *   triggered: an open of a path containing ".." segments by the service
 *              (request-shaped path), that stays inside the service root.
 *   confirmed: a path with ".." that resolves (lexically, against the
 *              process cwd for relative paths) outside the service root; or
 *              an open of a sensitive file (/etc/shadow, /etc/passwd,
 *              /proc/<pid>/environ, ~/.ssh/..., the Kubernetes service-account
 *              token ...) by a service process (glob list in params).
 * The service root is given (--source-root) or defaults to the service's cwd.
 */
#ifndef AISEC_PATHTRAV_H
#define AISEC_PATHTRAV_H

#include <stddef.h>
#include <linux/types.h>

#include "detect.h"

struct cJSON;
struct rule_family;

struct pathtrav_input {
	const char *path;          /* as given to open */
	const char *cwd;           /* the process cwd ("" unknown) */
	const char *service_root;  /* NULL or "" = no root known */
	__s64 ret;                 /* fd or -errno: failed opens count too */
};

struct pathtrav;

struct pathtrav *pathtrav__new(const struct rule_family *rule, char *err, size_t errlen);
void pathtrav__free(struct pathtrav *d);
int pathtrav__observe(struct pathtrav *d, const struct pathtrav_input *in, struct detection *det);
int pathtrav__check_params(const struct cJSON *params, char *err, size_t errlen);

/* Lexically resolve path against cwd ("." and ".." segments, repeated '/'),
 * into out. Returns the length, or -ENAMETOOLONG. */
int pathtrav__normalize(const char *cwd, const char *path, char *out, size_t outlen);

#endif /* AISEC_PATHTRAV_H */

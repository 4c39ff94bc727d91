/*
 * ssrf: server-side request forgery detector (CWE-918) over connect events.
 *   confirmed: a connect to a cloud metadata address (169.254.169.254,
 *              fd00:ec2::254, 100.100.100.200, metadata.google.internal's
 *              address ...), or to a loopback admin port from the list.
 *   triggered: a connect to a private range (10/8, 172.16/12, 192.168/16,
 *              fc00::/7, 169.254/16, 127/8) not seen during the service's
 *              first learning_seconds (default 120) of being watched.
 * Address lists and ports from rules/ssrf.json "params".
 */
#ifndef AISEC_SSRF_H
#define AISEC_SSRF_H

#include <stddef.h>
#include <linux/types.h>

#include "detect.h"

struct cJSON;
struct rule_family;

struct ssrf_input {
	__u16 family;          /* AF_INET / AF_INET6 (others are ignored) */
	__u8 addr[16];         /* network order; IPv4 in the first 4 bytes */
	__u16 port;
	__s64 ret;             /* 0, -EINPROGRESS or -errno: attempts count */
	double secs_watched;   /* seconds since the service began to be watched */
};

struct ssrf;

struct ssrf *ssrf__new(const struct rule_family *rule, char *err, size_t errlen);
void ssrf__free(struct ssrf *d);
int ssrf__observe(struct ssrf *d, const struct ssrf_input *in, struct detection *det);
int ssrf__check_params(const struct cJSON *params, char *err, size_t errlen);

#endif /* AISEC_SSRF_H */

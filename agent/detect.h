/*
 * detect: what the detectors (sqli, cmdi, pathtrav, ssrf) report. A detector
 * looks at one event and says whether it shows a weakness being exercised
 * (triggered) or exploited (confirmed), why, and how sure it is.
 *
 * Also what they share: the parameters of their rule family and the identity
 * (name, CWEs, severity) they copy from it and stamp on every detection.
 */
#ifndef AISEC_DETECT_H
#define AISEC_DETECT_H

#include <stddef.h>

#include "findings.h"

struct cJSON;
struct rule_family;

struct detection {
	const char *detector;       /* family name from the rule: "sqli", "cmdi", "path-traversal", "ssrf" */
	enum finding_status status; /* FINDING_TRIGGERED or FINDING_CONFIRMED */
	int cwes[FINDING_MAX_CWES]; /* the CWEs this family covers (from its rule) */
	size_t ncwes;
	char reason[256];           /* one human-readable sentence: what was seen */
	int confidence;             /* 0..100 */
	char severity[16];          /* from the rule: "low", "medium", "high", "critical" */
};

/* A detector's identity, copied from its rule family. */
struct detect_id {
	char *name; /* owned */
	int cwes[FINDING_MAX_CWES];
	size_t ncwes; /* cwes set; the rest stay zero in a calloc'd detector */
	char severity[16];
};

/*
 * The parameters of rule in *params: rule->params, or an empty object when it
 * has none (never freed). 0, or -EINVAL with "no rule family" in err when
 * rule is NULL.
 */
int detect__params(const struct rule_family *rule, const struct cJSON **params, char *err, size_t errlen);

/*
 * Copy rule's name (default_name when it has none), CWEs (at most
 * FINDING_MAX_CWES) and severity into id. 0, or -ENOMEM (id->name NULL).
 */
int detect_id__init(struct detect_id *id, const struct rule_family *rule, const char *default_name);

/* Free what id holds (not id itself); accepts NULL and an id never initialised past zero. */
void detect_id__free(struct detect_id *id);

/*
 * Stamp id on det: detector (points at id->name, so valid while id is), all
 * FINDING_MAX_CWES cwes and ncwes, severity; plus status and confidence.
 * The reason is left to the caller.
 */
void detect_id__fill(const struct detect_id *id, struct detection *det, enum finding_status status, int confidence);

/* Write a formatted message into err (when err and errlen allow) and return
 * -EINVAL: the detectors' parameter-check error path. */
int detect__fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* AISEC_DETECT_H */

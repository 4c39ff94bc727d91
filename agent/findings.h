/*
 * findings: static findings (from SARIF) and their runtime status.
 *
 * Status only rises: unobserved -> reachable (the finding's source file is
 * loaded by the watched service) -> triggered (the sink's behaviour is seen)
 * -> confirmed (an attack-shaped payload reached the sink).
 */
#ifndef AISEC_FINDINGS_H
#define AISEC_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum finding_status {
	FINDING_UNOBSERVED = 0,
	FINDING_REACHABLE = 1,
	FINDING_TRIGGERED = 2,
	FINDING_CONFIRMED = 3,
};

#define FINDING_MAX_CWES 8
#define FINDING_FP_LEN 64

struct finding {
	/* From the SARIF file */
	char *file;               /* the SARIF file it came from */
	size_t run_index;         /* runs[run_index].results[result_index] */
	size_t result_index;
	char *tool;               /* runs[].tool.driver.name */
	char *rule_id;            /* result.ruleId, or the rule's id via ruleIndex; "" if none */
	char *level;              /* result.level, else the rule's defaultConfiguration.level, else "warning" */
	char *message;            /* result.message.text (or the rule's shortDescription) */
	char *uri;                /* first location's physicalLocation.artifactLocation.uri ("" if none) */
	char *uri_base_id;        /* its uriBaseId ("" if none) */
	int start_line;           /* region.startLine, 0 if none */
	int cwes[FINDING_MAX_CWES]; /* CWE numbers (89, 78, ...), deduplicated, in order found */
	size_t ncwes;
	char fingerprint[FINDING_FP_LEN + 1]; /* tool's partialFingerprints value, or our hash (hex) */
	bool fingerprint_from_tool;

	/* Runtime state (correlate) */
	enum finding_status status;
	unsigned evidence_count;
	char last_reason[256];
	__u64 first_seen_ns, last_seen_ns; /* wall-clock ns of the first/last evidence, 0 if none */
};

struct findings {
	struct finding *v;
	size_t n, cap;
};

/* Free every finding and the array. Accepts NULL and an empty set. */
void findings__free(struct findings *fs);

/* Whether f lists cwe. */
bool finding__has_cwe(const struct finding *f, int cwe);

/* "unobserved", "reachable", "triggered", "confirmed". */
const char *finding__status_name(enum finding_status s);

#endif /* AISEC_FINDINGS_H */

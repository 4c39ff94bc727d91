/*
 * detect: what the detectors (sqli, cmdi, pathtrav, ssrf) report. A detector
 * looks at one event and says whether it shows a weakness being exercised
 * (triggered) or exploited (confirmed), why, and how sure it is.
 */
#ifndef AISEC_DETECT_H
#define AISEC_DETECT_H

#include <stddef.h>

#include "findings.h"

struct detection {
	const char *detector;       /* family name from the rule: "sqli", "cmdi", "path-traversal", "ssrf" */
	enum finding_status status; /* FINDING_TRIGGERED or FINDING_CONFIRMED */
	int cwes[FINDING_MAX_CWES]; /* the CWEs this family covers (from its rule) */
	size_t ncwes;
	char reason[256];           /* one human-readable sentence: what was seen */
	int confidence;             /* 0..100 */
	char severity[16];          /* from the rule: "low", "medium", "high", "critical" */
};

#endif /* AISEC_DETECT_H */

/*
 * sarif: read static findings from SARIF 2.1.0 files (cJSON).
 *
 * Every run's tool name and rules; every result's ruleId/ruleIndex, level,
 * message, first location (uri, uriBaseId, startLine), partialFingerprints,
 * and CWE ids from every convention in use:
 *   CodeQL      rule (or result) properties.tags "external/cwe/cwe-089"
 *   Semgrep     tags "CWE-89: Improper Neutralization ..." and properties.cwe
 *               (string or array of such strings)
 *   Bandit      properties.cwe / tags "CWE-78", or result.properties.issue_cwe {"id": 78}
 *   flawfinder  rule properties.tags / relationships to CWE taxonoma ("CWE-120")
 *   SARIF std   rule.relationships[].target {id "89", toolComponent.name "CWE"}
 *               and result.taxa[] with toolComponent CWE
 *   ESLint and  a rule-id -> CWE table (struct sarif_cwe_map, from rules/)
 *   others
 * Findings without a CWE are kept. The fingerprint is the first value of
 * result.partialFingerprints (sorted by key) when present, else the hex
 * XXH64-based hash of tool, ruleId, uri, startLine and snippet text.
 */
#ifndef AISEC_SARIF_H
#define AISEC_SARIF_H

#include <stddef.h>

#include "findings.h"

/* rule id -> CWE numbers, for tools whose SARIF carries no CWE (ESLint). */
struct sarif_cwe_entry {
	const char *rule_id;  /* exact rule id, e.g. "security/detect-child-process" */
	int cwes[FINDING_MAX_CWES];
	size_t ncwes;
};

struct sarif_cwe_map {
	const struct sarif_cwe_entry *v;
	size_t n;
};

/* Called for each result skipped (partly unusable): file, JSON path of the
 * result ("$.runs[0].results[3]") and why. May be NULL. */
typedef void (*sarif_warn_fn)(void *ctx, const char *file, const char *json_path, const char *why);

/* Append the findings of one SARIF file to out. 0, or -EINVAL when the file
 * is not SARIF 2.1.0 as a whole (not JSON: err names the file and line:column;
 * wrong shape: err names the file and the JSON path, e.g.
 * "f.sarif: $.runs[1].results: expected an array"), -errno when unreadable.
 * On error nothing is appended. map may be NULL. */
int sarif__load(const char *path, const struct sarif_cwe_map *map, struct findings *out, sarif_warn_fn warn,
		void *warn_ctx, char *err, size_t errlen);

/* The same from a buffer (name used in messages); for tests and fuzzing. */
int sarif__load_buf(const char *name, const char *buf, size_t len, const struct sarif_cwe_map *map,
		    struct findings *out, sarif_warn_fn warn, void *warn_ctx, char *err, size_t errlen);

#endif /* AISEC_SARIF_H */

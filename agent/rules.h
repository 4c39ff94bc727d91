/*
 * rules: the detectors' data, read from a directory of JSON files, one per
 * weakness family (rules/sqli.json, rules/cmdi.json, ...), plus
 * rules/tool-cwe-map.json (rule id -> CWE for tools whose SARIF has none).
 *
 * A family file:
 *   {
 *     "family": "sqli",                 unique name, [a-z0-9-]+
 *     "description": "...",
 *     "detector": "sqli",               which detector runs it: sqli | cmdi | path-traversal | ssrf
 *     "cwes": [89],                     CWE numbers it covers (>= 1)
 *     "events": ["sql"],                event kinds it reads (exec, open, connect, sql, ...)
 *     "severity": "high",               low | medium | high | critical
 *     "enabled": true,                  optional, default true
 *     "params": { ... }                 the detector's parameters, checked by that detector
 *   }
 * Errors name the file and the JSON path: "rules/sqli.json: $.params.functions[2]:
 * expected a string". Unknown keys are errors too (they are usually typos).
 */
#ifndef AISEC_RULES_H
#define AISEC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "findings.h"
#include "sarif.h"

struct cJSON;

struct rule_family {
	char *name;
	char *file;
	char *description;
	char *detector;
	int cwes[FINDING_MAX_CWES];
	size_t ncwes;
	char **events;
	size_t nevents;
	char severity[16];
	bool enabled;
	const struct cJSON *params; /* owned by the ruleset; never NULL (empty object when absent) */
};

struct ruleset;

/* Load and validate every *.json in dir (sorted by name). NULL with the first
 * error in err ("file: $.path: problem") and errno set (EINVAL bad content,
 * ENOENT/EACCES unreadable, ENOTDIR). */
struct ruleset *ruleset__load(const char *dir, char *err, size_t errlen);

void ruleset__free(struct ruleset *rs);

size_t ruleset__count(const struct ruleset *rs);
const struct rule_family *ruleset__get(const struct ruleset *rs, size_t i);

/* The enabled family run by this detector, or NULL. */
const struct rule_family *ruleset__by_detector(const struct ruleset *rs, const char *detector);

/* The tool rule-id -> CWE table (empty when the directory has none). */
const struct sarif_cwe_map *ruleset__cwe_map(const struct ruleset *rs);

/* `aisec-rt rules check DIR`: validate, print every error found (not just the
 * first) as "file: $.path: problem" lines to out, then a summary line.
 * Returns 0 when all is valid, 2 otherwise. */
int rules__check(const char *dir, FILE *out);

#endif /* AISEC_RULES_H */

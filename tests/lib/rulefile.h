/*
 * rulefile: a shipped rules/<family>.json read straight from disk into a
 * struct rule_family, as the detectors' unit tests build them (without the
 * ruleset's validation, so the file's own values are what is tested).
 * A cmocka helper: a file that cannot be read fails the running test.
 */
#ifndef AISEC_RULEFILE_H
#define AISEC_RULEFILE_H

#include "rules.h"

struct cJSON;

/* A family file, parsed; rule's strings and params point into root. */
struct tu_rule_file {
	struct cJSON *root;
	struct rule_family rule;
};

/*
 * Read the family file at path into *rf (zeroed first): rule.name from
 * "family", detector, cwes, severity and params from their keys, file = path
 * (not copied), enabled. Fails the test (naming path) when the file cannot be
 * read, is not JSON, has more than FINDING_MAX_CWES CWEs, or no "family" or
 * "params". The caller frees rf->root with cJSON_Delete().
 */
void tu_rule_file_load(struct tu_rule_file *rf, const char *path);

#endif /* AISEC_RULEFILE_H */

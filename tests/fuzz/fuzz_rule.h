/*
 * fuzz_rule: for the detector fuzz targets, the params of a shipped
 * rules/<family>.json, read once in LLVMFuzzerInitialize (run from the
 * repository root). Header-only: each target is built from its one .c file.
 */
#ifndef AISEC_FUZZ_RULE_H
#define AISEC_FUZZ_RULE_H

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "rules.h"

/*
 * Point rule->params at the "params" of the family file at path, parsed once
 * and kept for the whole run (the detector is built from it). Aborts when the
 * file cannot be opened (saying so, with target's name) or is not JSON.
 */
static void fuzz_rule_params(struct rule_family *rule, const char *target, const char *path)
{
	static char text[65536];
	static cJSON *root; /* kept for the whole run: the detector was built from it */
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: run from the repository root (%s)\n", target, path);
		abort();
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	root = cJSON_Parse(text);
	if (!root)
		abort();
	rule->params = cJSON_GetObjectItem(root, "params");
}

#endif /* AISEC_FUZZ_RULE_H */

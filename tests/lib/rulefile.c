/*
 * rulefile: read a shipped rule family file for the detectors' unit tests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "rulefile.h"

void tu_rule_file_load(struct tu_rule_file *rf, const char *path)
{
	const cJSON *it;
	FILE *f = fopen(path, "r");
	char *text;
	long n;

	memset(rf, 0, sizeof(*rf));
	if (!f)
		fail_msg("%s: %s (run the tests from the repository root)", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), n);
	fclose(f);
	rf->root = cJSON_Parse(text);
	free(text);
	if (!rf->root)
		fail_msg("%s: not JSON", path);
	rf->rule.name = cJSON_GetStringValue(cJSON_GetObjectItem(rf->root, "family"));
	rf->rule.detector = cJSON_GetStringValue(cJSON_GetObjectItem(rf->root, "detector"));
	rf->rule.file = (char *)path;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(rf->root, "cwes"))
	{
		assert_true(rf->rule.ncwes < FINDING_MAX_CWES);
		rf->rule.cwes[rf->rule.ncwes++] = it->valueint;
	}
	snprintf(rf->rule.severity, sizeof(rf->rule.severity), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(rf->root, "severity")));
	rf->rule.enabled = true;
	rf->rule.params = cJSON_GetObjectItem(rf->root, "params");
	assert_non_null(rf->rule.name);
	assert_non_null(rf->rule.params);
}

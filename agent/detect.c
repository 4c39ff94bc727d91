/*
 * detect: the part of a detector every one has the same: finding the rule
 * family's parameters, copying its identity (name, CWEs, severity) at
 * construction and stamping it on each detection.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "detect.h"
#include "rules.h"

int detect__params(const struct rule_family *rule, const struct cJSON **params, char *err, size_t errlen)
{
	static const cJSON empty = {.type = cJSON_Object};

	if (!rule) {
		if (err && errlen)
			snprintf(err, errlen, "no rule family");
		return -EINVAL;
	}
	*params = rule->params ? rule->params : &empty;
	return 0;
}

int detect_id__init(struct detect_id *id, const struct rule_family *rule, const char *default_name)
{
	id->name = strdup(rule->name ? rule->name : default_name);
	if (!id->name)
		return -ENOMEM;
	id->ncwes = rule->ncwes < FINDING_MAX_CWES ? rule->ncwes : FINDING_MAX_CWES;
	memcpy(id->cwes, rule->cwes, id->ncwes * sizeof(id->cwes[0]));
	snprintf(id->severity, sizeof(id->severity), "%s", rule->severity);
	return 0;
}

void detect_id__free(struct detect_id *id)
{
	if (!id)
		return;
	free(id->name);
	id->name = NULL;
}

void detect_id__fill(const struct detect_id *id, struct detection *det, enum finding_status status, int confidence)
{
	det->detector = id->name;
	det->status = status;
	memcpy(det->cwes, id->cwes, sizeof(det->cwes));
	det->ncwes = id->ncwes;
	det->confidence = confidence;
	snprintf(det->severity, sizeof(det->severity), "%s", id->severity);
}

int detect__fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

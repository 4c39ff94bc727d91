/*
 * findings: the small helpers over struct finding (see findings.h). The
 * findings themselves are built by sarif.c and updated by correlate.c.
 */
#include <stdlib.h>
#include <string.h>

#include "findings.h"

void findings__free(struct findings *fs)
{
	size_t i;

	if (!fs)
		return;
	for (i = 0; i < fs->n; i++) {
		struct finding *f = &fs->v[i];

		free(f->file);
		free(f->tool);
		free(f->rule_id);
		free(f->level);
		free(f->message);
		free(f->uri);
		free(f->uri_base_id);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
	fs->cap = 0;
}

bool finding__has_cwe(const struct finding *f, int cwe)
{
	size_t i;

	if (!f)
		return false;
	for (i = 0; i < f->ncwes && i < FINDING_MAX_CWES; i++) {
		if (f->cwes[i] == cwe)
			return true;
	}
	return false;
}

const char *finding__status_name(enum finding_status s)
{
	switch (s) {
	case FINDING_UNOBSERVED:
		return "unobserved";
	case FINDING_REACHABLE:
		return "reachable";
	case FINDING_TRIGGERED:
		return "triggered";
	case FINDING_CONFIRMED:
		return "confirmed";
	}
	return "unknown";
}

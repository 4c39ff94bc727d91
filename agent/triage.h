/*
 * triage: `aisec-rt triage`: fold the agent's evidence (aisec.evidence.v1
 * NDJSON) back into the static findings it was about. Every result of the
 * given SARIF files gets properties["aisec-rt"] (status, confidence, first and
 * last evidence time, count, detector, one example), every run a summary, and
 * detections that matched no finding become results of an extra "aisec-rt"
 * run. Optionally writes an OpenVEX 0.2.0 document with one statement per
 * finding. See docs/evidence.md, "Triage".
 */
#ifndef AISEC_TRIAGE_H
#define AISEC_TRIAGE_H

#include <stddef.h>

struct triage_opts {
	const char *const *findings; /* SARIF 2.1.0 files (--findings), in order; at least one */
	size_t nfindings;
	const char *evidence;        /* NDJSON with aisec.evidence.v1 records (other schemas are skipped) */
	const char *output;          /* the annotated SARIF, written atomically */
	const char *vex;             /* OpenVEX output, written atomically; NULL for none */
	const char *vex_product;     /* product IRI for the VEX statements; NULL to derive one */
};

/* Run the triage. Reads every input completely before writing anything; both
 * outputs appear complete or not at all (on any error neither exists, and an
 * older file at either path may be gone). Prints the one-line summary to
 * stdout. Returns the process exit code: 0 ok, 1 runtime error (cannot write
 * an output, out of memory), 2 bad input (unreadable or invalid SARIF or
 * evidence, with the file and position logged). */
int triage__run(const struct triage_opts *o);

#endif /* AISEC_TRIAGE_H */

/*
 * analyze: the detect-and-correlate stage of `watch`. Loads the rules and the
 * static findings, runs each event through the detectors its rule family
 * reads (sqli on sql, cmdi on exec, path-traversal on open, ssrf on connect),
 * feeds opened files and detections to the finding state machine, and hands
 * every evidence (with the event that caused it) back to the caller to write.
 */
#ifndef AISEC_ANALYZE_H
#define AISEC_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "correlate.h"
#include "format.h"

#define ANALYZE_MAX_FINDINGS_FILES 16

struct analyze_opts {
	const char *rules_dir;       /* NULL: $AISEC_RULES_DIR, ./rules, then the installed rules */
	const char *findings[ANALYZE_MAX_FINDINGS_FILES];
	size_t n_findings;
	const char *source_root;     /* where the SARIF uris are relative to; NULL: suffix match */
	__u32 service_pid;           /* the watched root: execs by its descendants count as the service's */
	const struct proc_cache *procs; /* for the names of parent processes; may be NULL */
};

/* cause: the event that produced the evidence (never NULL). */
typedef void (*analyze_evidence_fn)(void *ctx, const struct correlate_evidence *ev, const struct enriched *cause,
				    __u64 wall_ns);

struct analyze;

/* NULL with a one-line reason in err (bad rules: "file: $.path: problem";
 * bad SARIF: "file: $.path: problem" or "file: line L, column C: ..."), and
 * *exit_code set to the code the command should exit with (2 for bad input,
 * 1 otherwise). Skipped SARIF results are logged as warnings. */
struct analyze *analyze__new(const struct analyze_opts *o, analyze_evidence_fn fn, void *ctx, int *exit_code,
			     char *err, size_t errlen);
void analyze__free(struct analyze *an);

/* A kernel event of the watched tree (exec, open, connect...), enriched.
 * secs_watched: seconds since the watch began. */
void analyze__on_event(struct analyze *an, const struct enriched *e, __u64 wall_ns, double secs_watched);

/* A completed query (e->sql set). */
void analyze__on_sql(struct analyze *an, const struct enriched *e, __u64 wall_ns);

/* The end-of-watch table: finding, CWE, location, status, evidence count,
 * last reason; then detections that matched no finding. */
void analyze__print_table(const struct analyze *an, FILE *out);

size_t analyze__findings(const struct analyze *an);

/* How many findings are in each status (enum finding_status). */
void analyze__status_counts(const struct analyze *an, size_t out[4]);

/* Carry the runtime state of old's findings (status, evidence count, last
 * reason, first/last seen) over to the findings of an with the same
 * fingerprint, as after a reload; no evidence is emitted for it. Returns how
 * many findings took state. old may be NULL. */
size_t analyze__adopt(struct analyze *an, const struct analyze *old);

/* The process the service was selected by (see analyze_opts.service_pid);
 * the node agent sets it per event, since a service there has many. */
void analyze__set_service_pid(struct analyze *an, __u32 pid);

/* The rules directory that would be used for given (NULL: the default search). */
const char *analyze__rules_dir(const char *given);

#endif /* AISEC_ANALYZE_H */

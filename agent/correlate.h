/*
 * correlate: the finding state machine. Runtime facts (a source file opened,
 * a detection) raise the status of the static findings they concern; each
 * rise, and each detection that concerns no finding (an attack on code
 * nobody flagged), is handed to the caller as one evidence to write.
 *
 * Which findings a detection concerns: the findings listing one of its CWEs
 * whose source file the service loaded; if it loaded none of them (watch
 * began after the code was loaded), every finding listing one of its CWEs.
 * Which findings an opened file makes
 * reachable: those whose SARIF uri names that file (see correlate__on_open).
 */
#ifndef AISEC_CORRELATE_H
#define AISEC_CORRELATE_H

#include <stddef.h>
#include <linux/types.h>

#include "detect.h"
#include "findings.h"

struct correlate_evidence {
	const struct finding *finding;    /* NULL: the detection matches no finding */
	enum finding_status previous;     /* status before this rise (UNOBSERVED for finding == NULL) */
	enum finding_status status;       /* the new status */
	const char *detector;             /* detection's family, or "reachability" */
	const char *reason;
	int confidence;
	const char *severity;             /* "" for reachability */
	const int *cwes;                  /* the detection's CWEs (or the finding's for reachability) */
	size_t ncwes;
};

typedef void (*correlate_emit_fn)(void *ctx, const struct correlate_evidence *ev);

struct correlate;

/* Track fs (not copied; must outlive the correlator). source_root: directory
 * relative SARIF uris are resolved against (NULL: match by path suffix only). */
struct correlate *correlate__new(struct findings *fs, const char *source_root, correlate_emit_fn emit, void *ctx);
void correlate__free(struct correlate *c);

/* The service opened path (absolute, already resolved against its cwd),
 * successfully. Findings whose file this is become reachable. now_ns: wall
 * clock of the event. */
void correlate__on_open(struct correlate *c, const char *path, __u64 now_ns);

/* Whether an opened file can still raise anything (some finding with a
 * location is not reachable yet): callers skip building paths otherwise. */
bool correlate__wants_opens(const struct correlate *c);

/* A detector reported det. */
void correlate__on_detection(struct correlate *c, const struct detection *det, __u64 now_ns);

/* Whether the SARIF uri (with optional file:// scheme and %-escapes) names
 * the file at path, given source_root (may be NULL). Exposed for tests. */
bool correlate__uri_matches(const char *uri, const char *source_root, const char *path);

/* The findings' statuses were changed from outside (state carried over
 * from an earlier run of the same findings): recount what is left to reach. */
void correlate__recount(struct correlate *c);

/* Evidence records emitted so far, and detections that matched no finding. */
__u64 correlate__emitted(const struct correlate *c);
__u64 correlate__unmatched(const struct correlate *c);

#endif /* AISEC_CORRELATE_H */

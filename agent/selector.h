/*
 * selector: which configured service (config.h) a process belongs to.
 *
 * Selection runs in two steps, so the kernel can do most of it:
 *  1. per cgroup: the criteria a whole cgroup shares (cgroup_prefix, and
 *     through its container: namespace, pod_labels, image). The verdict goes
 *     into the kernel's cgroup map: SELECT (every process in it is the
 *     service's), IGNORE (none is: one lookup per exec and nothing more), or
 *     PER_PROCESS (some service also asks for exe / cwd_prefix: the kernel
 *     reports each exec there and step 2 decides).
 *  2. per process: exe (glob, fnmatch without FNM_PATHNAME) and cwd_prefix
 *     (path prefix on a "/" boundary) for the services step 1 left open.
 * Services are tried in config order; the first that matches wins.
 *
 * Pod criteria (namespace, pod_labels, image) never hold for a cgroup that is
 * no container. For a container with no pod metadata (cg->pod NULL: not known
 * yet) they cannot be decided: the cgroup is UNDECIDED, reported again at its
 * next exec. Given metadata is taken as the truth, "" fields included (a
 * plain Docker container has no namespace); a label beyond
 * PODMETA_MAX_LABELS is not seen, so a criterion on it fails.
 */
#ifndef AISEC_SELECTOR_H
#define AISEC_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "container.h"
#include "podmeta.h"

enum selector_verdict {
	SELECTOR_IGNORE = 0,
	SELECTOR_SELECT = 1,
	SELECTOR_PER_PROCESS = 2,
	SELECTOR_UNDECIDED = 3, /* metadata missing: decide again later */
};

/* What is known of a cgroup. */
struct selector_cgroup {
	const char *path;		       /* "/kubepods.slice/..." relative to the cgroup2 root; never NULL */
	const struct container_ref *container; /* NULL or runtime NONE: not a container */
	const struct pod_meta *pod;	       /* NULL: no metadata (yet) */
};

/* Step 1. Each service in config order is, on the criteria above: failing;
 * open (UNDECIDED for lack of metadata, or PER_PROCESS when they hold and it
 * also has exe / cwd_prefix); or selecting (they hold, nothing per process).
 * The verdict:
 *  - SELECT with *service = i when service i is the first selecting one and
 *    no service before it is open: every process is i's, later services
 *    do not matter;
 *  - when an open service comes before the first selecting one, it has
 *    priority: UNDECIDED if any of those is undecided (its metadata may
 *    still make it the cgroup's service), else PER_PROCESS (step 2 gives each
 *    process to the open service when its exe / cwd match, to the selecting
 *    one otherwise);
 *  - with no selecting service: UNDECIDED if any is undecided, else
 *    PER_PROCESS if any is open, else IGNORE.
 * *service is -1 for everything but SELECT (service may be NULL). */
enum selector_verdict selector__cgroup(const struct config *c, const struct selector_cgroup *cg, int *service);

/* Step 2, for a process in a PER_PROCESS (or UNDECIDED) cgroup: the index of
 * the first service whose every criterion holds, or -1. exe, cwd: absolute
 * paths, "" (or NULL) when unknown: an unknown value never matches a
 * criterion on it, and neither do pod criteria without metadata. */
int selector__process(const struct config *c, const struct selector_cgroup *cg, const char *exe, const char *cwd);

/* Whether path lies under prefix on a "/" boundary ("/a/b" and "/a" are under
 * "/a", "/ab" is not; "/" holds every absolute path). Trailing slashes of
 * prefix are ignored ("/a/" is "/a"); paths are not otherwise normalised
 * ("/a//b", "/a/../b" are taken as written). False when either is NULL or
 * not absolute ("" included). Exposed for tests. */
bool selector__path_under(const char *path, const char *prefix);

#endif /* AISEC_SELECTOR_H */

/*
 * selector: which configured service a cgroup, then a process, belongs to.
 * Pure functions over struct config and what the caller knows of the cgroup
 * (path, container, pod metadata) and the process (exe, cwd); no I/O.
 *
 * Each criterion evaluates to one of three values: it holds, it fails, or it
 * cannot be decided yet (it needs pod metadata of a container that the agent
 * does not have). A service's cgroup-level criteria together fail when any
 * fails, are undecided when none fails and one is undecided, and hold
 * otherwise.
 */
#include <fnmatch.h>
#include <string.h>

#include "selector.h"

enum tri {
	FAILS = 0,
	HOLDS = 1,
	UNKNOWN = 2,
};

static bool in_container(const struct selector_cgroup *cg)
{
	return cg->container && cg->container->runtime != CONTAINER_NONE;
}

static bool has_pod_criteria(const struct config_service *s)
{
	return s->namespace_ || s->nlabels || s->image;
}

static bool has_process_criteria(const struct config_service *s)
{
	return s->exe || s->cwd_prefix;
}

static bool glob_match(const char *pattern, const char *s)
{
	return s[0] && fnmatch(pattern, s, 0) == 0;
}

/* Every configured label is among the pod's, with the same value. A label the
 * pod has beyond PODMETA_MAX_LABELS is not seen, so the criterion fails:
 * waiting would not help, the metadata will never hold it. */
static bool labels_hold(const struct config_service *s, const struct pod_meta *pod)
{
	size_t n = pod->nlabels < PODMETA_MAX_LABELS ? pod->nlabels : PODMETA_MAX_LABELS;
	size_t i, j;

	for (i = 0; i < s->nlabels; i++) {
		for (j = 0; j < n && strcmp(pod->labels[j].key, s->labels[i].key); j++)
			;
		if (j == n || strcmp(pod->labels[j].value, s->labels[i].value))
			return false;
	}
	return true;
}

/* namespace, pod_labels, image. Outside any container they cannot hold; in
 * a container whose metadata is not known (yet) they cannot be decided. */
static enum tri pod_criteria(const struct config_service *s, const struct selector_cgroup *cg)
{
	const struct pod_meta *pod = cg->pod;

	if (!has_pod_criteria(s))
		return HOLDS;
	if (!in_container(cg))
		return FAILS;
	if (!pod)
		return UNKNOWN;
	if (s->namespace_ && strcmp(pod->namespace_, s->namespace_))
		return FAILS;
	if (s->nlabels && !labels_hold(s, pod))
		return FAILS;
	if (s->image && !glob_match(s->image, pod->image))
		return FAILS;
	return HOLDS;
}

/* Everything a whole cgroup shares: cgroup_prefix and the pod criteria. */
static enum tri cgroup_criteria(const struct config_service *s, const struct selector_cgroup *cg)
{
	if (s->cgroup_prefix && !selector__path_under(cg->path, s->cgroup_prefix))
		return FAILS;
	return pod_criteria(s, cg);
}

static bool process_criteria(const struct config_service *s, const char *exe, const char *cwd)
{
	if (s->exe && !(exe && glob_match(s->exe, exe)))
		return false;
	if (s->cwd_prefix && !(cwd && selector__path_under(cwd, s->cwd_prefix)))
		return false;
	return true;
}

enum selector_verdict selector__cgroup(const struct config *c, const struct selector_cgroup *cg, int *service)
{
	bool per_process = false, undecided = false;
	size_t i;

	if (service)
		*service = -1;
	if (!c || !cg || !cg->path)
		return SELECTOR_IGNORE;
	for (i = 0; i < c->nservices; i++) {
		const struct config_service *s = &c->services[i];

		switch (cgroup_criteria(s, cg)) {
		case FAILS:
			break;
		case UNKNOWN:
			undecided = true;
			break;
		case HOLDS:
			if (has_process_criteria(s)) {
				per_process = true;
				break;
			}
			/* Every process here not claimed by an earlier service is
			 * this one's, so later services do not matter. An earlier
			 * open service still comes first: its metadata may arrive
			 * (UNDECIDED), or it may claim some processes (PER_PROCESS,
			 * step 2 then gives the others to this one). */
			if (undecided)
				return SELECTOR_UNDECIDED;
			if (per_process)
				return SELECTOR_PER_PROCESS;
			if (service)
				*service = (int)i;
			return SELECTOR_SELECT;
		}
	}
	if (undecided)
		return SELECTOR_UNDECIDED;
	return per_process ? SELECTOR_PER_PROCESS : SELECTOR_IGNORE;
}

int selector__process(const struct config *c, const struct selector_cgroup *cg, const char *exe, const char *cwd)
{
	size_t i;

	if (!c || !cg || !cg->path)
		return -1;
	for (i = 0; i < c->nservices; i++) {
		const struct config_service *s = &c->services[i];

		/* Missing metadata: the criterion does not hold (UNKNOWN fails). */
		if (cgroup_criteria(s, cg) == HOLDS && process_criteria(s, exe, cwd))
			return (int)i;
	}
	return -1;
}

bool selector__path_under(const char *path, const char *prefix)
{
	size_t n;

	if (!path || !prefix || path[0] != '/' || prefix[0] != '/')
		return false;
	/* "/a/" is "/a", and "/" becomes "": every absolute path is under it. */
	n = strlen(prefix);
	while (n && prefix[n - 1] == '/')
		n--;
	return !strncmp(path, prefix, n) && (path[n] == '/' || path[n] == '\0');
}

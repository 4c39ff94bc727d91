/*
 * container: the container a process runs in, read from its cgroup path.
 *
 * Every runc-based runtime names the container's cgroup after the 64-hex
 * container id, in one of four shapes (one path component each):
 *
 *   <id>                        cgroupfs driver: /docker/<id>, /default/<id>,
 *                               /kubepods/burstable/pod<uuid>/<id>
 *   <prefix>-<id>               cgroupfs driver, CRI-O: .../crio-<id>
 *   <prefix>-<id>.scope         systemd driver: .../docker-<id>.scope,
 *                               .../cri-containerd-<id>.scope
 *   <slice>:<prefix>:<id>       a systemd-style cgroupsPath used verbatim as a
 *                               cgroupfs name, seen with containerd on v1:
 *                               .../kubepods-pod<uuid>.slice:cri-containerd:<id>
 *
 * Decisions for the ambiguous cases:
 * - The id must be exactly 64 lowercase hex digits. Runtimes only generate
 *   lowercase ids, so "ABCD..." or 63/65 digits name no container.
 * - A bare <id> is docker only under a "docker" parent (dockerd's cgroupfs
 *   parent). Anywhere else (a containerd namespace such as /default/<id>, a
 *   kubelet pod cgroup with the cgroupfs driver) the path cannot say which
 *   runtime created it; we report containerd, deliberately: it is the shim
 *   running every such container (dockerd sits on containerd too), and since
 *   Kubernetes dropped dockershim (1.24) it is the runtime behind almost all
 *   /kubepods/.../pod<uuid>/<id> paths. Docker with a custom --cgroup-parent
 *   is therefore reported as containerd.
 * - "crio-conmon-<id>" and "libpod-conmon-<id>" are the runtime's monitor
 *   process, which runs on the host outside the container's namespaces: it is
 *   not the container, so those components name none.
 * - Components below the container's own (/docker/<id>/init, a systemd
 *   inside the container) still belong to it. When several components name a
 *   container (docker-in-docker, kind nodes), the innermost one wins: it is
 *   the workload that actually ran the process (falco's libsinsp runc
 *   matcher likewise takes the last match, with rfind).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "container.h"

/*
 * The kernel formats each /proc/<pid>/cgroup path into a PATH_MAX buffer and
 * fails the read when it does not fit (proc_cgroup_show), so a longer path
 * cannot come from the kernel.
 */
#define CGROUP_PATH_MAX 4096

#define SCOPE_SUFFIX ".scope"
#define SCOPE_SUFFIX_LEN (sizeof(SCOPE_SUFFIX) - 1)

struct prefix {
	const char *name;
	enum container_runtime runtime;
};

/* Unit prefixes used by the systemd driver (and CRI-O's cgroupfs driver). */
static const struct prefix prefixes[] = {
	{ "docker", CONTAINER_DOCKER },
	{ "cri-containerd", CONTAINER_CONTAINERD },
	{ "nerdctl", CONTAINER_CONTAINERD },
	{ "crio", CONTAINER_CRIO },
	{ "libpod", CONTAINER_PODMAN },
};

static bool is_id(const char *s, size_t len)
{
	size_t i;

	if (len != CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static bool equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

static const struct prefix *find_prefix(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (equals(s, len, prefixes[i].name))
			return &prefixes[i];
	}
	return NULL;
}

/* "<prefix>-<id>" or "<prefix>-<id>.scope". */
static enum container_runtime match_unit(const char *c, size_t len, const char **id)
{
	const struct prefix *p;
	const char *dash;
	size_t rest;

	/* The last '-' before the id: "cri-containerd-<id>" has dashes in its prefix. */
	if (len < CONTAINER_ID_LEN + 2)
		return CONTAINER_NONE;
	if (len >= CONTAINER_ID_LEN + 2 + SCOPE_SUFFIX_LEN &&
	    memcmp(c + len - SCOPE_SUFFIX_LEN, SCOPE_SUFFIX, SCOPE_SUFFIX_LEN) == 0)
		rest = CONTAINER_ID_LEN + SCOPE_SUFFIX_LEN;
	else
		rest = CONTAINER_ID_LEN;
	dash = c + len - rest - 1;
	if (*dash != '-' || !is_id(dash + 1, CONTAINER_ID_LEN))
		return CONTAINER_NONE;
	/* "crio-conmon-<id>" has prefix "crio-conmon": unknown, so no container. */
	p = find_prefix(c, (size_t)(dash - c));
	if (!p)
		return CONTAINER_NONE;
	*id = dash + 1;
	return p->runtime;
}

/* "<slice>:<prefix>:<id>", exactly two colons. */
static enum container_runtime match_slice_form(const char *c, size_t len, const char **id)
{
	const char *first, *second, *end = c + len;
	const struct prefix *p;

	first = memchr(c, ':', len);
	if (!first || first == c)
		return CONTAINER_NONE;
	second = memchr(first + 1, ':', (size_t)(end - first - 1));
	if (!second || !is_id(second + 1, (size_t)(end - second - 1)))
		return CONTAINER_NONE;
	p = find_prefix(first + 1, (size_t)(second - first - 1));
	if (!p)
		return CONTAINER_NONE;
	*id = second + 1;
	return p->runtime;
}

/* The runtime a component names (and *id in it), given the component before it. */
static enum container_runtime match_component(const char *c, size_t len, const char *parent, size_t parent_len,
					      const char **id)
{
	enum container_runtime rt;

	if (is_id(c, len)) {
		*id = c;
		return parent && equals(parent, parent_len, "docker") ? CONTAINER_DOCKER : CONTAINER_CONTAINERD;
	}
	rt = match_unit(c, len, id);
	if (rt != CONTAINER_NONE)
		return rt;
	return match_slice_form(c, len, id);
}

static void clear_ref(struct container_ref *out)
{
	out->runtime = CONTAINER_NONE;
	memset(out->id, 0, sizeof(out->id));
}

/*
 * The innermost component of path[0..len) that names a container: 1 and *out
 * filled, or 0 and *out untouched (the callers clear it first).
 */
static int parse_path(const char *path, size_t len, struct container_ref *out)
{
	const char *end = path + len, *c = path, *next, *parent = NULL, *id = NULL, *found_id = NULL;
	enum container_runtime rt, found_rt = CONTAINER_NONE;
	size_t parent_len = 0;

	while (c < end) {
		next = memchr(c, '/', (size_t)(end - c));
		if (!next)
			next = end;
		/* Empty components ("//", a trailing '/') are not components. */
		if (next > c) {
			rt = match_component(c, (size_t)(next - c), parent, parent_len, &id);
			if (rt != CONTAINER_NONE) {
				found_rt = rt;
				found_id = id;
			}
			parent = c;
			parent_len = (size_t)(next - c);
		}
		c = next + 1;
	}

	if (found_rt == CONTAINER_NONE)
		return 0;
	out->runtime = found_rt;
	/* id[CONTAINER_ID_LEN] stays the '\0' the caller's clear_ref() put there. */
	memcpy(out->id, found_id, CONTAINER_ID_LEN);
	return 1;
}

/*
 * One cgroup path to its container: 1 and *out filled, 0 and *out cleared
 * (CONTAINER_NONE, "") when no component names one, -EINVAL on a NULL
 * argument (*out still cleared when out is not NULL).
 */
int container__from_path(const char *cgroup_path, struct container_ref *out)
{
	if (out)
		clear_ref(out);
	if (!cgroup_path || !out)
		return -EINVAL;
	return parse_path(cgroup_path, strlen(cgroup_path), out);
}

/*
 * The path of one "hierarchy-id:controllers:path" line [line, end): *path set
 * and 0, or -EINVAL when the line is not in the kernel's format. The path may
 * itself contain ':' (the slice form), so only the first two colons split.
 */
static int line_path(const char *line, const char *end, const char **path)
{
	const char *p = line;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == line || p == end || *p != ':')
		return -EINVAL;
	p = memchr(p + 1, ':', (size_t)(end - p - 1));
	if (!p || p + 1 == end || p[1] != '/')
		return -EINVAL;
	if (end - (p + 1) >= CGROUP_PATH_MAX)
		return -EINVAL;
	*path = p + 1;
	return 0;
}

/*
 * The container of the first line of /proc/<pid>/cgroup contents that names
 * one: 1 found, 0 none, -EINVAL on a NULL argument; *out is cleared first.
 * Lines not in "digits:controllers:/path" form, or with a path longer than
 * the kernel can print, are skipped. The last line need not end in '\n'.
 */
int container__from_proc_cgroup(const char *contents, struct container_ref *out)
{
	const char *line, *end, *path;

	if (out)
		clear_ref(out);
	if (!contents || !out)
		return -EINVAL;

	for (line = contents; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (line_path(line, end, &path) < 0)
			continue;
		if (parse_path(path, (size_t)(end - path), out) == 1)
			return 1;
	}
	return 0;
}

/* The runtime's display name; "" for CONTAINER_NONE and out-of-range values. */
const char *container__runtime_name(enum container_runtime rt)
{
	switch (rt) {
	case CONTAINER_DOCKER:
		return "docker";
	case CONTAINER_CONTAINERD:
		return "containerd";
	case CONTAINER_CRIO:
		return "cri-o";
	case CONTAINER_PODMAN:
		return "podman";
	case CONTAINER_NONE:
		break;
	}
	return "";
}

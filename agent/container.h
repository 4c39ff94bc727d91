/*
 * container: which container a process runs in, from its cgroup path alone.
 * Pure string parsing (no I/O), so every runtime and cgroup layout is unit
 * tested: docker, containerd (incl. Kubernetes/CRI "cri-containerd-"), cri-o
 * ("crio-"), podman ("libpod-"), in cgroup v1 and v2, cgroupfs and systemd
 * slice naming.
 */
#ifndef AISEC_CONTAINER_H
#define AISEC_CONTAINER_H

#include <stddef.h>

enum container_runtime {
	CONTAINER_NONE = 0,
	CONTAINER_DOCKER,
	CONTAINER_CONTAINERD,
	CONTAINER_CRIO,
	CONTAINER_PODMAN,
};

#define CONTAINER_ID_LEN 64

struct container_ref {
	enum container_runtime runtime;
	char id[CONTAINER_ID_LEN + 1]; /* full lowercase hex id, "" when none */
};

/*
 * Find the container id in one cgroup path (the part after "N:ctrl:" in
 * /proc/<pid>/cgroup), e.g. "/docker/<64hex>" or
 * "/kubepods.slice/.../cri-containerd-<64hex>.scope".
 * Returns 1 and fills *out when found, 0 when the path names no container
 * (out->runtime = CONTAINER_NONE, out->id = ""), -EINVAL on NULL input.
 */
int container__from_path(const char *cgroup_path, struct container_ref *out);

/*
 * Same over the whole contents of /proc/<pid>/cgroup (one "id:controllers:path"
 * line per hierarchy, v1 and v2 mixed). The first line that names a container
 * wins. Returns 1 found, 0 none, -EINVAL on NULL input. Malformed lines are
 * skipped.
 */
int container__from_proc_cgroup(const char *contents, struct container_ref *out);

/* "docker", "containerd", "cri-o", "podman", or "" for CONTAINER_NONE. */
const char *container__runtime_name(enum container_runtime rt);

#endif /* AISEC_CONTAINER_H */

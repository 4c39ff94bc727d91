/*
 * Unit tests for agent/container.c: cgroup path and /proc/<pid>/cgroup
 * parsing for docker, containerd, cri-o and podman in cgroup v1 and v2,
 * cgroupfs and systemd layouts, plus the paths that must name no container.
 * Inputs are copied into exactly-sized heap buffers and results written into
 * an exactly-sized heap struct, so ASan flags any read or write out of bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "container.h"

/* Realistic ids, all different, so a test catches the wrong one being copied. */
#define ID_DOCKER "cb2a1d3f19a4a2423ac93d7eb9efa2d0ab582a88e8e2bcc91aff4f34d8504c85"
#define ID_DOCKER2 "51427242d231747871cb50173e20a063e93fcd1f24149072a767f02cc2150502"
#define ID_CTRD "a50bef20c4b9bac2aacafb74d3cf1b619ba21828dee8680ae724743e834889a6"
#define ID_CTRD2 "64dbb11d2581d0652d0803f2fe5dc70509ab36d175a2f27bbe3a7183570e486d"
#define ID_CRIO "ac4ba5e7bafadda1ccc947a1bcaf7b1bb9192aa045e3715f94d0070303c7e999"
#define ID_PODMAN "09495f91f99cfc231ec75ecf3f428f011037269b8406444f0fe4b6bd81ea9596"
#define ID_K8S "7ba05c4d81e226faecfaa3640c48141e02226e79270805c3aa30bab49b3a2200"
#define ID_OTHER "cf543e7b6b405a16a5f0bfd311735c83a00ee6f6d2fe80cdca0327bd011f0b86"

/* Near misses of ID_DOCKER. */
#define ID_63 "cb2a1d3f19a4a2423ac93d7eb9efa2d0ab582a88e8e2bcc91aff4f34d8504c8"
#define ID_65 ID_DOCKER "0"
#define ID_UPPER "CB2A1D3F19A4A2423AC93D7EB9EFA2D0AB582A88E8E2BCC91AFF4F34D8504C85"
#define ID_MIXED "cb2a1d3f19a4a2423ac93d7eb9efa2d0ab582a88e8e2bcc91aff4f34d8504C85"
#define ID_NOTHEX "cb2a1d3f19a4a2423ac93d7eb9efa2d0ab582a88e8e2bcc91aff4f34d8504g85"

#define POD_UUID "55262bee-4740-4a02-99fa-b0d905a6144d"
#define POD_UUID_ "55262bee_4740_4a02_99fa_b0d905a6144d"
#define POD_UUID2_ "95e5b7f7_9471_4e82_8f1e_ac50a283a86c"

#define KUBEPODS_BURSTABLE_SLICE                                                                                       \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_UUID_ ".slice"

struct ref_case {
	const char *name;
	const char *input;
	int ret;
	enum container_runtime runtime;
	const char *id;
};

#define FOUND(n, in, rt, i)                                                                                            \
	{                                                                                                              \
		.name = n, .input = in, .ret = 1, .runtime = rt, .id = i                                               \
	}
#define NONE(n, in)                                                                                                    \
	{                                                                                                              \
		.name = n, .input = in, .ret = 0, .runtime = CONTAINER_NONE, .id = ""                                  \
	}

static const struct ref_case path_cases[] = {
	/* docker */
	FOUND("docker v1 cgroupfs", "/docker/" ID_DOCKER, CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker v1 systemd", "/system.slice/docker-" ID_DOCKER ".scope", CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker v2 systemd, whole line given", "0::/system.slice/docker-" ID_DOCKER ".scope", CONTAINER_DOCKER,
	      ID_DOCKER),
	FOUND("docker in kubernetes, systemd driver", KUBEPODS_BURSTABLE_SLICE "/docker-" ID_K8S ".scope",
	      CONTAINER_DOCKER, ID_K8S),
	/* Bare id under a kubelet cgroupfs pod cgroup: runtime not inferable, containerd by decision. */
	FOUND("bare id under kubepods cgroupfs", "/kubepods/burstable/pod" POD_UUID "/" ID_K8S,
	      CONTAINER_CONTAINERD, ID_K8S),
	FOUND("bare id under kubepods besteffort", "/kubepods/besteffort/pod" POD_UUID "/" ID_K8S,
	      CONTAINER_CONTAINERD, ID_K8S),
	FOUND("docker nested cgroup inside container", "/docker/" ID_DOCKER "/init", CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker systemd inside container", "/docker/" ID_DOCKER "/system.slice/nginx.service",
	      CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker scope with nested cgroup", "/system.slice/docker-" ID_DOCKER ".scope/init.scope",
	      CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker trailing slash", "/docker/" ID_DOCKER "/", CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker scope trailing slash", "/system.slice/docker-" ID_DOCKER ".scope/", CONTAINER_DOCKER,
	      ID_DOCKER),
	FOUND("docker doubled slashes", "//docker//" ID_DOCKER "//", CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker unit without .scope", "/system.slice/docker-" ID_DOCKER, CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker seen from another cgroup namespace", "/../../system.slice/docker-" ID_DOCKER ".scope",
	      CONTAINER_DOCKER, ID_DOCKER),
	FOUND("docker-in-docker: innermost wins", "/docker/" ID_DOCKER "/docker/" ID_DOCKER2, CONTAINER_DOCKER,
	      ID_DOCKER2),
	FOUND("kind node: pod container inside docker",
	      "/system.slice/docker-" ID_DOCKER ".scope/kubelet.slice/kubelet-kubepods.slice/"
	      "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" POD_UUID_
	      ".slice/cri-containerd-" ID_K8S ".scope",
	      CONTAINER_CONTAINERD, ID_K8S),
	FOUND("conmon inside docker belongs to the outer container",
	      "/docker/" ID_DOCKER "/kubepods.slice/crio-conmon-" ID_CRIO ".scope", CONTAINER_DOCKER, ID_DOCKER),

	/* containerd / CRI */
	FOUND("cri-containerd v2 systemd", KUBEPODS_BURSTABLE_SLICE "/cri-containerd-" ID_CTRD ".scope",
	      CONTAINER_CONTAINERD, ID_CTRD),
	FOUND("cri-containerd v1 systemd besteffort",
	      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_UUID2_
	      ".slice/cri-containerd-" ID_CTRD2 ".scope",
	      CONTAINER_CONTAINERD, ID_CTRD2),
	FOUND("cri-containerd guaranteed (no QoS slice)",
	      "/kubepods.slice/kubepods-pod" POD_UUID_ ".slice/cri-containerd-" ID_CTRD ".scope", CONTAINER_CONTAINERD,
	      ID_CTRD),
	FOUND("cri-containerd slice:prefix:id form",
	      "/system.slice/containerd.service/kubepods-besteffort-pod" POD_UUID_ ".slice:cri-containerd:" ID_CTRD,
	      CONTAINER_CONTAINERD, ID_CTRD),
	FOUND("containerd namespace default", "/default/" ID_CTRD, CONTAINER_CONTAINERD, ID_CTRD),
	FOUND("containerd namespace k8s.io", "/k8s.io/" ID_CTRD2, CONTAINER_CONTAINERD, ID_CTRD2),
	FOUND("bare id at the root", "/" ID_CTRD, CONTAINER_CONTAINERD, ID_CTRD),
	FOUND("bare id, no slash at all", ID_CTRD, CONTAINER_CONTAINERD, ID_CTRD),
	FOUND("nerdctl systemd", "/system.slice/nerdctl-" ID_CTRD ".scope", CONTAINER_CONTAINERD, ID_CTRD),

	/* cri-o */
	FOUND("crio v2 systemd", KUBEPODS_BURSTABLE_SLICE "/crio-" ID_CRIO ".scope", CONTAINER_CRIO, ID_CRIO),
	FOUND("crio v1 cgroupfs", "/kubepods/burstable/pod" POD_UUID "/crio-" ID_CRIO, CONTAINER_CRIO, ID_CRIO),
	FOUND("crio nested cgroup", KUBEPODS_BURSTABLE_SLICE "/crio-" ID_CRIO ".scope/container", CONTAINER_CRIO,
	      ID_CRIO),
	FOUND("crio slice:prefix:id form", "/kubepods-burstable-pod" POD_UUID_ ".slice:crio:" ID_CRIO, CONTAINER_CRIO,
	      ID_CRIO),
	NONE("crio conmon is not the container", KUBEPODS_BURSTABLE_SLICE "/crio-conmon-" ID_CRIO ".scope"),
	NONE("crio conmon cgroupfs", "/kubepods/burstable/pod" POD_UUID "/crio-conmon-" ID_CRIO),

	/* podman */
	FOUND("podman rootful", "/machine.slice/libpod-" ID_PODMAN ".scope", CONTAINER_PODMAN, ID_PODMAN),
	FOUND("podman rootless",
	      "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_PODMAN ".scope", CONTAINER_PODMAN,
	      ID_PODMAN),
	FOUND("podman pod member",
	      "/machine.slice/machine-libpod_pod_" ID_OTHER ".slice/libpod-" ID_PODMAN ".scope", CONTAINER_PODMAN,
	      ID_PODMAN),
	FOUND("podman split cgroups", "/machine.slice/libpod-" ID_PODMAN ".scope/container", CONTAINER_PODMAN,
	      ID_PODMAN),
	FOUND("podman cgroupfs", "/libpod_parent/libpod-" ID_PODMAN, CONTAINER_PODMAN, ID_PODMAN),
	NONE("podman conmon rootful", "/machine.slice/libpod-conmon-" ID_PODMAN ".scope"),
	NONE("podman conmon rootless",
	     "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" ID_PODMAN ".scope"),
	/* The pod slice holds a 64-hex pod id but is not a container. */
	NONE("podman pod slice", "/machine.slice/machine-libpod_pod_" ID_OTHER ".slice"),

	/* not containers */
	NONE("empty", ""),
	NONE("root", "/"),
	NONE("only slashes", "////"),
	NONE("user session", "/user.slice/user-0.slice/session-3.scope"),
	NONE("system service", "/system.slice/sshd.service"),
	NONE("init scope", "/init.scope"),
	NONE("docker daemon", "/system.slice/docker.service"),
	NONE("containerd daemon", "/system.slice/containerd.service"),
	NONE("kubepods pod slice", KUBEPODS_BURSTABLE_SLICE),
	NONE("kubepods cgroupfs pod", "/kubepods/burstable/pod" POD_UUID),
	NONE("docker directory alone", "/docker"),
	NONE("docker 63 hex", "/docker/" ID_63),
	NONE("docker 65 hex", "/docker/" ID_65),
	NONE("scope 63 hex", "/system.slice/docker-" ID_63 ".scope"),
	NONE("scope 65 hex", "/system.slice/docker-" ID_65 ".scope"),
	NONE("cri-containerd 65 hex", KUBEPODS_BURSTABLE_SLICE "/cri-containerd-" ID_65 ".scope"),
	NONE("uppercase hex bare", "/docker/" ID_UPPER),
	NONE("uppercase hex scope", "/system.slice/docker-" ID_UPPER ".scope"),
	NONE("one uppercase digit", "/docker/" ID_MIXED),
	NONE("non-hex letter", "/docker/" ID_NOTHEX),
	NONE("id with trailing text", "/docker/" ID_DOCKER "x"),
	NONE("id with leading text", "/docker/x" ID_DOCKER),
	NONE("scope then junk", "/system.slice/docker-" ID_DOCKER ".scopex"),
	NONE("other unit type", "/system.slice/docker-" ID_DOCKER ".service"),
	NONE("unit type as long as .scope", "/system.slice/docker-" ID_DOCKER ".slice"),
	NONE("mount unit", "/system.slice/docker-" ID_DOCKER ".mount"),
	NONE("unknown prefix", "/system.slice/lxc-" ID_DOCKER ".scope"),
	NONE("prefix without dash", "/system.slice/docker" ID_DOCKER ".scope"),
	NONE("prefix only", "/system.slice/docker-.scope"),
	NONE("dash and id, no prefix", "/system.slice/-" ID_DOCKER ".scope"),
	NONE("slice form unknown prefix", "/kubepods-pod" POD_UUID_ ".slice:runc:" ID_CTRD),
	NONE("slice form empty slice", "/:cri-containerd:" ID_CTRD),
	NONE("slice form 63 hex", "/kubepods-pod" POD_UUID_ ".slice:cri-containerd:" ID_63),
	NONE("slice form extra colon", "/kubepods-pod" POD_UUID_ ".slice:cri-containerd:" ID_CTRD ":x"),
	NONE("slice form one colon", "/kubepods-pod" POD_UUID_ ".slice:" ID_CTRD),
	NONE("id split by a slash", "/docker/cb2a1d3f19a4a2423ac93d7eb9efa2d0/ab582a88e8e2bcc91aff4f34d8504c85"),
};

static const struct ref_case proc_cases[] = {
	FOUND("v2 only", "0::/system.slice/docker-" ID_DOCKER ".scope\n", CONTAINER_DOCKER, ID_DOCKER),
	FOUND("v2 only, no final newline", "0::/system.slice/docker-" ID_DOCKER ".scope", CONTAINER_DOCKER,
	      ID_DOCKER),
	FOUND("v2 cri-containerd", "0::" KUBEPODS_BURSTABLE_SLICE "/cri-containerd-" ID_CTRD ".scope\n",
	      CONTAINER_CONTAINERD, ID_CTRD),
	FOUND("v2 crio", "0::" KUBEPODS_BURSTABLE_SLICE "/crio-" ID_CRIO ".scope\n", CONTAINER_CRIO, ID_CRIO),
	FOUND("v2 podman rootless",
	      "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_PODMAN ".scope\n",
	      CONTAINER_PODMAN, ID_PODMAN),
	FOUND("v1 hybrid docker cgroupfs",
	      "12:pids:/docker/" ID_DOCKER "\n"
	      "11:hugetlb:/docker/" ID_DOCKER "\n"
	      "10:net_cls,net_prio:/docker/" ID_DOCKER "\n"
	      "9:cpuset:/docker/" ID_DOCKER "\n"
	      "8:memory:/docker/" ID_DOCKER "\n"
	      "7:blkio:/docker/" ID_DOCKER "\n"
	      "6:devices:/docker/" ID_DOCKER "\n"
	      "5:freezer:/docker/" ID_DOCKER "\n"
	      "4:perf_event:/docker/" ID_DOCKER "\n"
	      "3:cpu,cpuacct:/docker/" ID_DOCKER "\n"
	      "2:rdma:/\n"
	      "1:name=systemd:/docker/" ID_DOCKER "\n"
	      "0::/docker/" ID_DOCKER "\n",
	      CONTAINER_DOCKER, ID_DOCKER),
	FOUND("v1 kubernetes containerd, slice:prefix:id paths with colons",
	      "11:memory:/system.slice/containerd.service/kubepods-besteffort-pod" POD_UUID_
	      ".slice:cri-containerd:" ID_CTRD "\n"
	      "1:name=systemd:/system.slice/containerd.service/kubepods-besteffort-pod" POD_UUID_
	      ".slice:cri-containerd:" ID_CTRD "\n",
	      CONTAINER_CONTAINERD, ID_CTRD),
	FOUND("container only on a later line", "2:rdma:/\n1:name=systemd:/docker/" ID_DOCKER "\n0::/\n",
	      CONTAINER_DOCKER, ID_DOCKER),
	FOUND("container on the last line, no final newline",
	      "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n0::/docker/" ID_DOCKER2, CONTAINER_DOCKER,
	      ID_DOCKER2),
	FOUND("first line naming a container wins", "12:pids:/docker/" ID_DOCKER "\n0::/docker/" ID_DOCKER2 "\n",
	      CONTAINER_DOCKER, ID_DOCKER),
	FOUND("conmon line skipped for a later container",
	      "1:name=systemd:/machine.slice/libpod-conmon-" ID_PODMAN ".scope\n0::/machine.slice/libpod-" ID_OTHER
	      ".scope\n",
	      CONTAINER_PODMAN, ID_OTHER),
	FOUND("malformed lines skipped",
	      "garbage\n"
	      "\n"
	      ":\n"
	      "::\n"
	      "0:\n"
	      "0::\n"
	      "0:/docker/" ID_DOCKER2 "\n"
	      "::/docker/" ID_DOCKER2 "\n"
	      "x::/docker/" ID_DOCKER2 "\n"
	      "-1::/docker/" ID_DOCKER2 "\n"
	      " 0::/docker/" ID_DOCKER2 "\n"
	      "0::docker/" ID_DOCKER2 "\n"
	      "0::/docker/" ID_DOCKER "\n",
	      CONTAINER_DOCKER, ID_DOCKER),
	FOUND("hierarchy id with many digits", "1234567890123456789012345::/docker/" ID_DOCKER, CONTAINER_DOCKER,
	      ID_DOCKER),
	FOUND("leading empty lines", "\n\n0::/docker/" ID_DOCKER "\n", CONTAINER_DOCKER, ID_DOCKER),
	NONE("empty", ""),
	NONE("only newlines", "\n\n\n"),
	NONE("host process v2", "0::/user.slice/user-1000.slice/session-2.scope\n"),
	NONE("host process v1 hybrid",
	     "12:pids:/user.slice/user-1000.slice/session-2.scope\n"
	     "4:memory:/user.slice/user-1000.slice/session-2.scope\n"
	     "2:rdma:/\n"
	     "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
	     "0::/user.slice/user-1000.slice/session-2.scope\n"),
	NONE("inside a container with its own cgroup namespace", "0::/\n"),
	NONE("conmon only", "0::" KUBEPODS_BURSTABLE_SLICE "/crio-conmon-" ID_CRIO ".scope\n"),
	NONE("no colons", "/docker/" ID_DOCKER "\n"),
	NONE("one colon", "0:/docker/" ID_DOCKER "\n"),
	NONE("no hierarchy id", "::/docker/" ID_DOCKER "\n"),
	NONE("non-numeric hierarchy id", "x::/docker/" ID_DOCKER "\n"),
	NONE("relative path", "0::docker/" ID_DOCKER "\n"),
	NONE("empty path", "0::\n"),
	NONE("63 hex", "0::/docker/" ID_63 "\n"),
	NONE("uppercase", "0::/docker/" ID_UPPER "\n"),
	NONE("id split across lines", "0::/docker/cb2a1d3f19a4a2423ac93d7eb9efa2d0\nab582a88e8e2bcc91aff4f34d8504c85\n"),
};

static const char *runtime_label(enum container_runtime rt)
{
	static char buf[32];
	const char *name = container__runtime_name(rt);

	snprintf(buf, sizeof(buf), "%d (%s)", (int)rt, name[0] ? name : "none");
	return buf;
}

static void check_ref(const char *what, const char *name, int ret, const struct container_ref *ref, int want_ret,
		      enum container_runtime want_rt, const char *want_id)
{
	if (ret != want_ret)
		fail_msg("%s \"%s\": returned %d, want %d", what, name, ret, want_ret);
	if (ref->runtime != want_rt)
		fail_msg("%s \"%s\": runtime %s, want %d", what, name, runtime_label(ref->runtime), (int)want_rt);
	if (ref->id[CONTAINER_ID_LEN] != '\0')
		fail_msg("%s \"%s\": id not NUL-terminated", what, name);
	if (strcmp(ref->id, want_id) != 0)
		fail_msg("%s \"%s\": id \"%s\", want \"%s\"", what, name, ref->id, want_id);
}

/* An exactly-sized result struct filled with junk, so ASan sees overruns and tests see missing writes. */
static struct container_ref *new_ref(void)
{
	struct container_ref *ref = malloc(sizeof(*ref));

	assert_non_null(ref);
	memset(ref, 0xa5, sizeof(*ref));
	return ref;
}

static int path_exact(const char *path, struct container_ref *ref)
{
	char *copy = strdup(path);
	int ret;

	assert_non_null(copy);
	ret = container__from_path(copy, ref);
	free(copy);
	return ret;
}

static int proc_exact(const char *contents, struct container_ref *ref)
{
	char *copy = strdup(contents);
	int ret;

	assert_non_null(copy);
	ret = container__from_proc_cgroup(copy, ref);
	free(copy);
	return ret;
}

static void check_fixture_id(const char *id, size_t want_len, int want_valid)
{
	size_t i, len = strlen(id);
	int valid = len == CONTAINER_ID_LEN;

	assert_int_equal(len, want_len);
	for (i = 0; i < len; i++)
		valid = valid && ((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'));
	assert_int_equal(valid, want_valid);
}

/* The test data itself: valid ids are 64 lowercase hex, near misses are what their names say. */
static void test_fixture_ids(void **state)
{
	const char *valid[] = { ID_DOCKER, ID_DOCKER2, ID_CTRD, ID_CTRD2, ID_CRIO, ID_PODMAN, ID_K8S, ID_OTHER };
	size_t i, j;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		check_fixture_id(valid[i], 64, 1);
		for (j = 0; j < i; j++)
			assert_string_not_equal(valid[i], valid[j]);
	}
	check_fixture_id(ID_63, 63, 0);
	check_fixture_id(ID_65, 65, 0);
	check_fixture_id(ID_UPPER, 64, 0);
	check_fixture_id(ID_MIXED, 64, 0);
	check_fixture_id(ID_NOTHEX, 64, 0);
	assert_int_equal(strncmp(ID_63, ID_DOCKER, 63), 0);
	assert_int_equal(strncasecmp(ID_UPPER, ID_DOCKER, 64), 0);
}

static void test_from_path_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct ref_case *c = &path_cases[i];
		struct container_ref *ref = new_ref();

		check_ref("path", c->name, path_exact(c->input, ref), ref, c->ret, c->runtime, c->id);
		free(ref);
	}
}

/*
 * Every path case as a /proc/<pid>/cgroup line, v2 and v1 style, with and
 * without a final newline: same answer, except that a line whose path does
 * not start with '/' is malformed and names nothing.
 */
static void test_proc_cgroup_agrees_with_path(void **state)
{
	static const char *const formats[] = { "0::%s\n", "0::%s", "4:memory:%s\n", "1:name=systemd:%s" };
	size_t i, f;
	char line[8192];

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct ref_case *c = &path_cases[i];
		int wellformed = c->input[0] == '/';

		for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
			struct container_ref *ref = new_ref();
			int n = snprintf(line, sizeof(line), formats[f], c->input);

			assert_true(n > 0 && (size_t)n < sizeof(line));
			check_ref(line, c->name, proc_exact(line, ref), ref, wellformed ? c->ret : 0,
				  wellformed ? c->runtime : CONTAINER_NONE, wellformed ? c->id : "");
			free(ref);
		}
	}
}

static void test_from_proc_cgroup_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(proc_cases) / sizeof(proc_cases[0]); i++) {
		const struct ref_case *c = &proc_cases[i];
		struct container_ref *ref = new_ref();

		check_ref("proc", c->name, proc_exact(c->input, ref), ref, c->ret, c->runtime, c->id);
		free(ref);
	}
}

static void test_null_arguments(void **state)
{
	struct container_ref *ref = new_ref();

	assert_int_equal(container__from_path(NULL, ref), -EINVAL);
	check_ref("path", "NULL path", 0, ref, 0, CONTAINER_NONE, "");
	assert_int_equal(container__from_path("/docker/" ID_DOCKER, NULL), -EINVAL);
	assert_int_equal(container__from_path(NULL, NULL), -EINVAL);

	memset(ref, 0xa5, sizeof(*ref));
	assert_int_equal(container__from_proc_cgroup(NULL, ref), -EINVAL);
	check_ref("proc", "NULL contents", 0, ref, 0, CONTAINER_NONE, "");
	assert_int_equal(container__from_proc_cgroup("0::/docker/" ID_DOCKER "\n", NULL), -EINVAL);
	assert_int_equal(container__from_proc_cgroup(NULL, NULL), -EINVAL);
	free(ref);
}

/* A struct that held a container is cleared by a later call that finds none. */
static void test_reused_ref_is_cleared(void **state)
{
	struct container_ref *ref = new_ref();

	assert_int_equal(path_exact("/docker/" ID_DOCKER, ref), 1);
	check_ref("path", "first call", 1, ref, 1, CONTAINER_DOCKER, ID_DOCKER);
	assert_int_equal(path_exact("/system.slice/sshd.service", ref), 0);
	check_ref("path", "second call", 0, ref, 0, CONTAINER_NONE, "");

	assert_int_equal(proc_exact("0::/machine.slice/libpod-" ID_PODMAN ".scope\n", ref), 1);
	check_ref("proc", "first call", 1, ref, 1, CONTAINER_PODMAN, ID_PODMAN);
	assert_int_equal(proc_exact("0::/init.scope\n", ref), 0);
	check_ref("proc", "second call", 0, ref, 0, CONTAINER_NONE, "");
	free(ref);
}

/* The id is copied: it survives the input being overwritten. */
static void test_id_is_copied(void **state)
{
	struct container_ref ref;
	char path[] = "/docker/" ID_DOCKER;

	assert_int_equal(container__from_path(path, &ref), 1);
	memset(path, 'x', sizeof(path) - 1);
	assert_string_equal(ref.id, ID_DOCKER);
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
	size_t ulen = strlen(unit), tlen = strlen(tail), i;
	char *s = malloc(ulen * times + tlen + 1);

	assert_non_null(s);
	for (i = 0; i < times; i++)
		memcpy(s + i * ulen, unit, ulen);
	memcpy(s + ulen * times, tail, tlen + 1);
	return s;
}

/*
 * The kernel prints at most PATH_MAX - 1 = 4095 path bytes: a path of that
 * length is read, one byte more makes the line malformed and skipped.
 */
static void test_proc_cgroup_long_lines(void **state)
{
	const char *tail = "/docker/" ID_DOCKER; /* 72 bytes */
	struct container_ref *ref = new_ref();
	char *path, *contents;
	size_t tail_len = strlen(tail);

	/* 4095 = 2 * 2011 + 1 + 72: "/a" components, one extra '/', then the container. */
	assert_int_equal(2 * 2011 + 1 + tail_len, 4095);
	path = repeat("/a", 2011, "/");
	contents = malloc(3 + 4095 + 1);
	assert_non_null(contents);
	snprintf(contents, 3 + 4095 + 1, "0::%s%s", path, tail);
	assert_int_equal(strlen(contents), 3 + 4095);
	check_ref("proc", "path of 4095 bytes", container__from_proc_cgroup(contents, ref), ref, 1, CONTAINER_DOCKER,
		  ID_DOCKER);
	free(contents);
	free(path);

	path = repeat("/a", 2012, "");
	contents = malloc(3 + 4096 + 1 + 64);
	assert_non_null(contents);
	snprintf(contents, 3 + 4096 + 1 + 64, "0::%s%s", path, tail);
	assert_int_equal(strlen(contents), 3 + 4096);
	check_ref("proc", "path of 4096 bytes", container__from_proc_cgroup(contents, ref), ref, 0, CONTAINER_NONE, "");
	free(contents);
	free(path);

	/* A skipped long line does not hide the next one. */
	path = repeat("/b", 5000, "/docker/" ID_DOCKER "\n0::/docker/" ID_DOCKER2 "\n");
	contents = malloc(strlen(path) + 4);
	assert_non_null(contents);
	sprintf(contents, "0::%s", path);
	check_ref("proc", "long line then container", proc_exact(contents, ref), ref, 1, CONTAINER_DOCKER, ID_DOCKER2);
	free(contents);
	free(path);

	/* 1 MiB of junk without a newline, and 1 MiB of newlines. */
	contents = repeat("x:", 512 * 1024, "");
	check_ref("proc", "1 MiB of junk", proc_exact(contents, ref), ref, 0, CONTAINER_NONE, "");
	free(contents);
	contents = repeat("\n", 1024 * 1024, "0::/docker/" ID_DOCKER);
	check_ref("proc", "1 MiB of newlines", proc_exact(contents, ref), ref, 1, CONTAINER_DOCKER, ID_DOCKER);
	free(contents);
	free(ref);
}

/* from_path itself has no length limit: it is handed paths, not kernel output. */
static void test_from_path_deep(void **state)
{
	struct container_ref *ref = new_ref();
	char *path = repeat("/a", 100000, "/system.slice/docker-" ID_DOCKER ".scope/init.scope");

	check_ref("path", "200 KB deep path", path_exact(path, ref), ref, 1, CONTAINER_DOCKER, ID_DOCKER);
	free(path);
	path = repeat("/" ID_65, 1000, "");
	check_ref("path", "1000 components of 65 hex", path_exact(path, ref), ref, 0, CONTAINER_NONE, "");
	free(path);
	free(ref);
}

/* Every length from 0 to 200 of a path cut short: no overread, and only full ids match. */
static void test_truncated_paths(void **state)
{
	const char *full = KUBEPODS_BURSTABLE_SLICE "/cri-containerd-" ID_CTRD ".scope";
	size_t len, full_len = strlen(full), id_end = full_len - strlen(".scope");
	struct container_ref *ref = new_ref();
	char *cut;

	for (len = 0; len <= full_len; len++) {
		cut = strndup(full, len);
		assert_non_null(cut);
		/* Found with the whole id, with or without the ".scope" suffix; never with part of it. */
		if (len == id_end || len == full_len)
			check_ref("path", cut, container__from_path(cut, ref), ref, 1, CONTAINER_CONTAINERD, ID_CTRD);
		else
			check_ref("path", cut, container__from_path(cut, ref), ref, 0, CONTAINER_NONE, "");
		free(cut);
	}
	free(ref);
}

static void test_runtime_name(void **state)
{
	static const struct {
		enum container_runtime rt;
		const char *name;
	} cases[] = {
		{ CONTAINER_NONE, "" },
		{ CONTAINER_DOCKER, "docker" },
		{ CONTAINER_CONTAINERD, "containerd" },
		{ CONTAINER_CRIO, "cri-o" },
		{ CONTAINER_PODMAN, "podman" },
		/* Out of range: a corrupted value still yields a printable string. */
		{ (enum container_runtime)99, "" },
		{ (enum container_runtime)-1, "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = container__runtime_name(cases[i].rt);

		assert_non_null(name);
		assert_string_equal(name, cases[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_ids),
		cmocka_unit_test(test_from_path_table),
		cmocka_unit_test(test_proc_cgroup_agrees_with_path),
		cmocka_unit_test(test_from_proc_cgroup_table),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_reused_ref_is_cleared),
		cmocka_unit_test(test_id_is_copied),
		cmocka_unit_test(test_proc_cgroup_long_lines),
		cmocka_unit_test(test_from_path_deep),
		cmocka_unit_test(test_truncated_paths),
		cmocka_unit_test(test_runtime_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_probe: runs the real probes against this kernel as root. Checks the
 * text and JSON reports, that probing leaves no fd behind, that tracefs gets
 * mounted (also from scratch, in a private mount namespace), and the
 * privilege check with all, some and no capabilities (in forked children).
 * Under CI=true a missing precondition (root, BTF) fails instead of skipping.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/magic.h>

#include <cmocka.h>
#include <bpf/btf.h>
#include <cjson/cJSON.h>
#include <sys/capability.h>

#include "probe.h"

/* Independently of the agent: is name a function in the kernel's BTF? */
static bool kfunc_in_btf(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has = btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;

	btf__free(btf);
	return has;
}

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

#define TRACEFS_DIR "/sys/kernel/tracing"

/* Labels the text report prints, and the matching JSON keys. */
static const struct {
	const char *label;
	const char *key;
	bool must_be_usable; /* on this machine and CI's */
} hooks[] = {
    {"syscall tracepoints", "tracepoint", true},
    {"raw_tp", "raw_tp", true},
    {"tp_btf", "tp_btf", true},
    {"fentry", "fentry", false},
    {"fexit", "fexit", false},
    {"LSM", "lsm", false},
    {"kprobes", "kprobe", false},
    {"uprobes", "uprobe", false},
    {"BPF iterators", "iter", false},
    {"ring buffer", "ringbuf", true},
};

#define N_HOOKS (sizeof(hooks) / sizeof(hooks[0]))

static bool in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && strcmp(ci, "true") == 0;
}

/* A missing precondition skips locally but fails in CI. */
#define REQUIRE(cond, what)                                                                                            \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			if (in_ci())                                                                                   \
				fail_msg("CI=true and precondition failed: %s", what);                                 \
			print_message("skipped: %s\n", what);                                                          \
			skip();                                                                                        \
		}                                                                                                      \
	} while (0)

#define REQUIRE_ROOT() REQUIRE(geteuid() == 0, "must run as root")

/* Runs probe__report into a string; *rc gets its return value. */
static char *report_to_string(bool json, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	*rc = probe__report(f, json);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

/* Copies what follows "\n  <label>: " up to the end of that line into out. */
static bool hook_line(const char *text, const char *label, char *out, size_t outlen)
{
	char needle[64];
	const char *p;
	size_t n;

	snprintf(needle, sizeof(needle), "\n  %s: ", label);
	p = strstr(text, needle);
	if (!p)
		return false;
	p += strlen(needle);
	n = strcspn(p, "\n");
	snprintf(out, outlen, "%.*s", (int)n, p);
	return true;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_report_text(void **state)
{
	char line[512], want[128];
	struct utsname uts;
	char *text;
	size_t i;
	int rc;

	REQUIRE_ROOT();
	REQUIRE(access("/sys/kernel/btf/vmlinux", R_OK) == 0, "kernel BTF at /sys/kernel/btf/vmlinux");

	text = report_to_string(false, &rc);
	assert_int_equal(rc, 0);

	assert_int_equal(uname(&uts), 0);
	snprintf(want, sizeof(want), "kernel: %s\n", uts.release);
	assert_true(starts_with(text, want));
	assert_non_null(strstr(text, "\nbtf: present (/sys/kernel/btf/vmlinux, "));
	assert_true(strstr(text, "\ntracefs: /sys/kernel/tracing") ||
		    strstr(text, "\ntracefs: /sys/kernel/debug/tracing"));
	assert_non_null(strstr(text, "\nunprivileged_bpf_disabled: "));
	assert_non_null(strstr(text, "CAP_BPF=yes"));
	assert_non_null(strstr(text, "CAP_SYS_ADMIN=yes"));
	assert_non_null(strstr(text, "CAP_NET_ADMIN="));

	for (i = 0; i < N_HOOKS; i++) {
		bool found = hook_line(text, hooks[i].label, line, sizeof(line));

		if (!found)
			fail_msg("no line for hook \"%s\" in:\n%s", hooks[i].label, text);
		if (hooks[i].must_be_usable && !starts_with(line, "usable"))
			fail_msg("%s: expected usable, got \"%s\"", hooks[i].label, line);
		/* Either verdict, never an empty reason. */
		if (!starts_with(line, "usable (") &&
		    !(starts_with(line, "not usable: ") && strlen(line) > strlen("not usable: ")))
			fail_msg("%s: malformed verdict \"%s\"", hooks[i].label, line);
	}
	/* The kprobe line says why when kprobes are missing. */
	assert_true(hook_line(text, "kprobes", line, sizeof(line)));
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) != 0)
		assert_non_null(strstr(line, "not usable: not compiled in (CONFIG_KPROBES)"));

	assert_non_null(strstr(text, "\nhook set: sched events: tp_btf; syscalls: tracepoints\n"));
	assert_non_null(strstr(text, "\nsyscall hooks: with SQL capture (the default): tp_btf/sys_exit dispatcher; "
				     "without: one tracepoint per hooked syscall\n"));
	/* The kernel's BTF says which SQL handlers the agent loads. */
	assert_non_null(strstr(text, kfunc_in_btf("bpf_rdonly_cast")
					     ? "\nSQL capture socket reads: typed loads (bpf_rdonly_cast)\n"
					     : "\nSQL capture socket reads: one probe read per field"));
	assert_non_null(strstr(text, "\ndefault hook set: usable\n"));
	free(text);
}

static void test_report_json(void **state)
{
	static const char *const caps[] = {"CAP_BPF",	     "CAP_PERFMON",	    "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE",
					   "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH", "CAP_NET_ADMIN"};
	cJSON *root, *obj, *hook, *item;
	char *text, *plain, line[512];
	struct utsname uts;
	size_t i;
	int rc;

	REQUIRE_ROOT();
	REQUIRE(access("/sys/kernel/btf/vmlinux", R_OK) == 0, "kernel BTF at /sys/kernel/btf/vmlinux");

	text = report_to_string(true, &rc);
	assert_int_equal(rc, 0);
	root = cJSON_Parse(text);
	if (!root)
		fail_msg("report is not JSON near: %.40s", cJSON_GetErrorPtr());
	assert_true(cJSON_IsObject(root));

	assert_int_equal(uname(&uts), 0);
	item = cJSON_GetObjectItemCaseSensitive(root, "kernel");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, uts.release);

	obj = cJSON_GetObjectItemCaseSensitive(root, "btf");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "present")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(obj, "size")));
	assert_true(cJSON_GetObjectItemCaseSensitive(obj, "size")->valuedouble > 0);

	obj = cJSON_GetObjectItemCaseSensitive(root, "tracefs");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "mounted")));
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, "path")));
	assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(obj, "mounted_now")));

	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "unprivileged_bpf_disabled")));

	obj = cJSON_GetObjectItemCaseSensitive(root, "capabilities");
	assert_true(cJSON_IsObject(obj));
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(obj, caps[i])))
			fail_msg("capabilities.%s missing or not boolean", caps[i]);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "CAP_SYS_ADMIN")));

	/* Same verdicts as the text report. */
	plain = report_to_string(false, &rc);
	assert_int_equal(rc, 0);
	obj = cJSON_GetObjectItemCaseSensitive(root, "hooks");
	assert_true(cJSON_IsObject(obj));
	assert_int_equal(cJSON_GetArraySize(obj), N_HOOKS);
	for (i = 0; i < N_HOOKS; i++) {
		hook = cJSON_GetObjectItemCaseSensitive(obj, hooks[i].key);
		if (!cJSON_IsObject(hook))
			fail_msg("hooks.%s missing", hooks[i].key);
		item = cJSON_GetObjectItemCaseSensitive(hook, "usable");
		if (!cJSON_IsBool(item))
			fail_msg("hooks.%s.usable missing or not boolean", hooks[i].key);
		if (hooks[i].must_be_usable && !cJSON_IsTrue(item))
			fail_msg("hooks.%s: expected usable", hooks[i].key);
		if (cJSON_IsFalse(item)) {
			cJSON *why = cJSON_GetObjectItemCaseSensitive(hook, "reason");

			if (!cJSON_IsString(why) || !why->valuestring[0])
				fail_msg("hooks.%s: not usable without a reason", hooks[i].key);
		}
		assert_true(hook_line(plain, hooks[i].label, line, sizeof(line)));
		if (cJSON_IsTrue(item) != starts_with(line, "usable"))
			fail_msg("hooks.%s: JSON and text disagree (text: \"%s\")", hooks[i].key, line);
	}

	obj = cJSON_GetObjectItemCaseSensitive(root, "hook_set");
	item = cJSON_GetObjectItemCaseSensitive(obj, "sched_events");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "tp_btf");
	item = cJSON_GetObjectItemCaseSensitive(obj, "syscalls");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "tracepoints");
	item = cJSON_GetObjectItemCaseSensitive(obj, "syscalls_sql_capture");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "tp_btf/sys_exit dispatcher");
	item = cJSON_GetObjectItemCaseSensitive(obj, "sql_socket_reads");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, kfunc_in_btf("bpf_rdonly_cast") ? "typed" : "probe_read");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "default_usable")));

	free(plain);
	cJSON_Delete(root);
	free(text);
}

/* Every probe closes its programs, links, maps and perf events. */
static void test_report_leaves_no_fd(void **state)
{
	char *text;
	int before, rc;

	REQUIRE_ROOT();
	/* A first run pays one-time costs (libbpf feature probes, tracefs mount). */
	free(report_to_string(false, &rc));
	before = count_fds();
	text = report_to_string(false, &rc);
	assert_int_equal(count_fds(), before);
	free(text);
	text = report_to_string(true, &rc);
	assert_int_equal(count_fds(), before);
	free(text);
}

static void test_ensure_tracefs(void **state)
{
	char err[256] = "";
	struct stat st;

	REQUIRE_ROOT();
	assert_int_equal(probe__ensure_tracefs(err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(stat(TRACEFS_DIR "/events/syscalls", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Already mounted is fine too. */
	assert_int_equal(probe__ensure_tracefs(err, sizeof(err)), 0);
}

static bool is_fs(const char *dir, unsigned long magic)
{
	struct statfs sfs;

	return statfs(dir, &sfs) == 0 && (unsigned long)sfs.f_type == magic;
}

struct mount_result {
	int setup_errno;  /* unshare/mount-private failure in the child */
	bool gone_before; /* tracefs really was unmounted before the call */
	int rc;
	char err[256];
	bool tracefs_after;
	bool syscalls_after;
};

/* In a private mount namespace: unmount every tracefs, then ask for it. */
static void mount_from_scratch_child(void *arg)
{
	struct mount_result *res = arg;
	struct stat st;
	int i;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		res->setup_errno = errno;
		return;
	}
	for (i = 0; i < 8 && is_fs(TRACEFS_DIR, TRACEFS_MAGIC); i++)
		umount2(TRACEFS_DIR, MNT_DETACH);
	/* debugfs would bring tracefs back at debug/tracing by automount. */
	for (i = 0; i < 8 && is_fs("/sys/kernel/debug", DEBUGFS_MAGIC); i++)
		umount2("/sys/kernel/debug", MNT_DETACH);
	res->gone_before = !is_fs(TRACEFS_DIR, TRACEFS_MAGIC) && !is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC);
	res->rc = probe__ensure_tracefs(res->err, sizeof(res->err));
	res->tracefs_after = is_fs(TRACEFS_DIR, TRACEFS_MAGIC);
	res->syscalls_after = stat(TRACEFS_DIR "/events/syscalls", &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Forks, runs fn(res) in the child and copies the result back
 * through a pipe, so cmocka's assertions all run in the parent.
 */
static void run_in_child(void (*fn)(void *res), void *res, size_t len)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		memset(res, 0, len);
		fn(res);
		n = write(pipefd[1], res, len);
		_exit(n == (ssize_t)len ? 0 : 1);
	}
	close(pipefd[1]);
	n = read(pipefd[0], res, len);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, (ssize_t)len);
}

static void test_ensure_tracefs_mounts_when_missing(void **state)
{
	struct mount_result res;

	REQUIRE_ROOT();
	run_in_child(mount_from_scratch_child, &res, sizeof(res));
	if (res.setup_errno)
		fail_msg("private mount namespace: %s", strerror(res.setup_errno));
	assert_true(res.gone_before);
	if (res.rc)
		fail_msg("probe__ensure_tracefs: %d (%s)", res.rc, res.err);
	assert_true(res.tracefs_after);
	assert_true(res.syscalls_after);
}

static void test_has_btf(void **state)
{
	REQUIRE(access("/sys/kernel/btf/vmlinux", F_OK) == 0, "kernel BTF at /sys/kernel/btf/vmlinux");
	REQUIRE_ROOT();
	assert_true(probe__has_btf());
}

static void test_check_privileges_root(void **state)
{
	char err[256] = "";

	REQUIRE_ROOT();
	if (probe__check_privileges(err, sizeof(err)) != 0)
		fail_msg("probe__check_privileges failed as root: %s", err);
	assert_string_equal(err, "");
}

struct priv_result {
	int setup_errno; /* libcap failure in the child */
	bool sys_admin_left;
	int rc;
	char err[256];
};

/* Which capabilities the child keeps (all others dropped). */
static const cap_value_t *keep_caps;
static int n_keep_caps;

static void check_privileges_child(void *arg)
{
	struct priv_result *res = arg;
	cap_flag_value_t v = CAP_SET;
	cap_t caps;

	caps = cap_get_proc();
	if (!caps || cap_clear(caps) ||
	    (n_keep_caps && (cap_set_flag(caps, CAP_EFFECTIVE, n_keep_caps, keep_caps, CAP_SET) ||
			     cap_set_flag(caps, CAP_PERMITTED, n_keep_caps, keep_caps, CAP_SET))) ||
	    cap_set_proc(caps)) {
		res->setup_errno = errno ? errno : EINVAL;
		cap_free(caps);
		return;
	}
	cap_free(caps);
	caps = cap_get_proc();
	if (!caps || cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v))
		res->setup_errno = errno ? errno : EINVAL;
	res->sys_admin_left = v == CAP_SET;
	cap_free(caps);
	res->rc = probe__check_privileges(res->err, sizeof(res->err));
}

static void check_privileges_keeping(const cap_value_t *keep, int n, struct priv_result *res)
{
	keep_caps = keep;
	n_keep_caps = n;
	run_in_child(check_privileges_child, res, sizeof(*res));
	if (res->setup_errno)
		fail_msg("dropping capabilities: %s", strerror(res->setup_errno));
	assert_false(res->sys_admin_left);
}

static void test_check_privileges_no_caps(void **state)
{
	struct priv_result res;

	REQUIRE_ROOT();
	check_privileges_keeping(NULL, 0, &res);
	assert_int_equal(res.rc, -EPERM);
	if (!strstr(res.err, "CAP_BPF") && !strstr(res.err, "CAP_SYS_ADMIN"))
		fail_msg("err does not name the capability: \"%s\"", res.err);
}

/* CAP_BPF alone is not enough: the error must name CAP_PERFMON. */
static void test_check_privileges_bpf_only(void **state)
{
	static const cap_value_t keep[] = {CAP_BPF};
	struct priv_result res;

	REQUIRE_ROOT();
	check_privileges_keeping(keep, 1, &res);
	assert_int_equal(res.rc, -EPERM);
	if (!strstr(res.err, "CAP_PERFMON"))
		fail_msg("err does not name CAP_PERFMON: \"%s\"", res.err);
}

/* CAP_BPF with CAP_PERFMON replaces CAP_SYS_ADMIN. */
static void test_check_privileges_bpf_perfmon(void **state)
{
	static const cap_value_t keep[] = {CAP_BPF, CAP_PERFMON};
	struct priv_result res;

	REQUIRE_ROOT();
	check_privileges_keeping(keep, 2, &res);
	if (res.rc != 0)
		fail_msg("CAP_BPF+CAP_PERFMON refused: %d (%s)", res.rc, res.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ensure_tracefs_mounts_when_missing),
	    cmocka_unit_test(test_ensure_tracefs),
	    cmocka_unit_test(test_has_btf),
	    cmocka_unit_test(test_report_text),
	    cmocka_unit_test(test_report_json),
	    cmocka_unit_test(test_report_leaves_no_fd),
	    cmocka_unit_test(test_check_privileges_root),
	    cmocka_unit_test(test_check_privileges_no_caps),
	    cmocka_unit_test(test_check_privileges_bpf_only),
	    cmocka_unit_test(test_check_privileges_bpf_perfmon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

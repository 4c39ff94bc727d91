/*
 * probe: find out what this kernel and this process can really do. Every hook
 * type is checked by loading (and, where it can be done without side effects,
 * attaching and at once detaching) a two-instruction BPF program, so a
 * "not usable" line carries the errno the kernel gave, not a guess from the
 * kernel version. Used by `aisec-rt probe` and by the loader's pre-checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <sys/capability.h>

#include "log.h"
#include "probe.h"

/* libcap headers older than Linux 5.8 do not know these two. */
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
#define TRACEFS_DEBUG_DIR "/sys/kernel/debug/tracing"
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"
#define LSM_LIST "/sys/kernel/security/lsm"
#define UNPRIV_BPF_SYSCTL "/proc/sys/kernel/unprivileged_bpf_disabled"
#define KPROBE_PMU_TYPE "/sys/bus/event_source/devices/kprobe/type"
#define UPROBE_PMU_TYPE "/sys/bus/event_source/devices/uprobe/type"

#define WHY_LEN 256

enum hook {
	HOOK_TRACEPOINT,
	HOOK_RAW_TP,
	HOOK_TP_BTF,
	HOOK_FENTRY,
	HOOK_FEXIT,
	HOOK_LSM,
	HOOK_KPROBE,
	HOOK_UPROBE,
	HOOK_ITER,
	HOOK_RINGBUF,
	HOOK_COUNT,
};

/* JSON key and the label printed in the text report. */
static const struct {
	const char *key;
	const char *label;
} hook_names[HOOK_COUNT] = {
    [HOOK_TRACEPOINT] = {"tracepoint", "syscall tracepoints"},
    [HOOK_RAW_TP] = {"raw_tp", "raw_tp"},
    [HOOK_TP_BTF] = {"tp_btf", "tp_btf"},
    [HOOK_FENTRY] = {"fentry", "fentry"},
    [HOOK_FEXIT] = {"fexit", "fexit"},
    [HOOK_LSM] = {"lsm", "LSM"},
    [HOOK_KPROBE] = {"kprobe", "kprobes"},
    [HOOK_UPROBE] = {"uprobe", "uprobes"},
    [HOOK_ITER] = {"iter", "BPF iterators"},
    [HOOK_RINGBUF] = {"ringbuf", "ring buffer"},
};

/* The capabilities the report lists, in print order. */
static const struct {
	cap_value_t cap;
	const char *name;
} report_caps[] = {
    {CAP_BPF, "CAP_BPF"},
    {CAP_PERFMON, "CAP_PERFMON"},
    {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
    {CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE"},
    {CAP_SYS_PTRACE, "CAP_SYS_PTRACE"},
    {CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH"},
    {CAP_NET_ADMIN, "CAP_NET_ADMIN"},
};

#define N_REPORT_CAPS (sizeof(report_caps) / sizeof(report_caps[0]))

struct hook_result {
	bool usable;
	/* Not usable: why. Usable: what was tried, for the curious. */
	char detail[WHY_LEN];
};

struct probe_state {
	char release[65];
	bool btf_present;
	long long btf_size;
	int tracefs_err; /* 0 when tracefs is usable at tracefs[] */
	char tracefs[64];
	bool tracefs_mounted_now;
	char tracefs_why[WHY_LEN];
	int unpriv_bpf_disabled; /* -1: could not read the sysctl */
	bool caps_known;
	bool caps[N_REPORT_CAPS];
	bool lsm_list_known;
	bool bpf_lsm_listed;
	char lsm_list[256];
	struct hook_result hooks[HOOK_COUNT];
	/* tp_btf on sys_exit, the syscall dispatcher's hook (not a hook type
	 * of its own, so not in hooks[]). */
	struct hook_result sys_exit_btf;
	/* The hook set the agent will use, or what is missing from it. */
	bool default_set_ok;
	char sched_hook[WHY_LEN];
	char syscall_hook[WHY_LEN];	/* without SQL capture: a tracepoint per syscall */
	char syscall_sql_hook[WHY_LEN]; /* with SQL capture: the sys_exit dispatcher */
	bool sql_typed;                 /* bpf_rdonly_cast: SQL handlers read sockets with typed loads */
};

/* r0 = 0; exit: accepted by every program type probed here. */
static const struct bpf_insn prog_ret0[] = {
    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
    {.code = BPF_JMP | BPF_EXIT},
};

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

/* "what: Operation not permitted (EPERM)" into buf; err is a positive errno. */
static void format_errno(char *buf, size_t len, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void format_errno(char *buf, size_t len, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return;
	snprintf(buf + n, len - n, ": %s (%s)", strerror(err), errno_name(err));
}

/* Probing fails on purpose; keep libbpf's complaints for -v only. */
static int libbpf_to_debug(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	log__vprintf(LOG_DEBUG, fmt, ap);
	return 0;
}

static bool is_tracefs(const char *dir)
{
	struct statfs sfs;

	return statfs(dir, &sfs) == 0 && (unsigned long)sfs.f_type == TRACEFS_MAGIC;
}

/*
 * Finds tracefs or mounts it at TRACEFS_DIR. mnt gets the mount point,
 * *mounted_now whether this call mounted it.
 */
static int find_or_mount_tracefs(char *mnt, size_t mntlen, bool *mounted_now, char *err, size_t errlen)
{
	int ret;

	*mounted_now = false;
	if (is_tracefs(TRACEFS_DIR)) {
		snprintf(mnt, mntlen, "%s", TRACEFS_DIR);
		return 0;
	}
	/* Where only debugfs is mounted, the kernel auto-mounts tracefs below it. */
	if (is_tracefs(TRACEFS_DEBUG_DIR)) {
		snprintf(mnt, mntlen, "%s", TRACEFS_DEBUG_DIR);
		return 0;
	}
	if (mount("nodev", TRACEFS_DIR, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		*mounted_now = true;
		snprintf(mnt, mntlen, "%s", TRACEFS_DIR);
		log_info("mounted tracefs at %s", TRACEFS_DIR);
		return 0;
	}
	ret = errno;
	/* Someone else may have mounted it between our check and our mount. */
	if (ret == EBUSY && is_tracefs(TRACEFS_DIR)) {
		snprintf(mnt, mntlen, "%s", TRACEFS_DIR);
		return 0;
	}
	if (ret == ENOENT)
		format_errno(err, errlen, ret, "cannot mount tracefs at %s (kernel built without CONFIG_TRACING?)",
			     TRACEFS_DIR);
	else if (ret == ENODEV)
		format_errno(err, errlen, ret, "cannot mount tracefs at %s (kernel has no tracefs)", TRACEFS_DIR);
	else if (ret == EPERM)
		format_errno(err, errlen, ret, "cannot mount tracefs at %s (needs CAP_SYS_ADMIN; run as root)",
			     TRACEFS_DIR);
	else
		format_errno(err, errlen, ret, "cannot mount tracefs at %s", TRACEFS_DIR);
	return -ret;
}

/*
 * Ensures tracefs is mounted; see probe.h. Mounts it at /sys/kernel/tracing
 * with nosuid,nodev,noexec when neither usual place has it.
 */
int probe__ensure_tracefs(char *err, size_t errlen)
{
	char mnt[64];
	bool mounted_now;
	int ret;

	/* The caller reports a failure; err says why. */
	ret = find_or_mount_tracefs(mnt, sizeof(mnt), &mounted_now, err, errlen);
	return ret;
}

/* True when kernel BTF can be read; see probe.h. */
bool probe__has_btf(void)
{
	return access(BTF_VMLINUX, R_OK) == 0;
}

/* See probe.h. */
bool probe__has_kfunc(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool has;

	if (!vmlinux)
		return false;
	has = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return has;
}

/* Reads the effective set; each out[i] for report_caps[i]. */
static int read_caps(bool *out)
{
	cap_flag_value_t val;
	cap_t caps;
	size_t i;
	int ret = 0;

	caps = cap_get_proc();
	if (!caps)
		return -errno;
	for (i = 0; i < N_REPORT_CAPS; i++) {
		if (cap_get_flag(caps, report_caps[i].cap, CAP_EFFECTIVE, &val)) {
			ret = -errno;
			break;
		}
		out[i] = val == CAP_SET;
	}
	cap_free(caps);
	return ret;
}

static bool cap_held(const bool *held, cap_value_t cap)
{
	size_t i;

	for (i = 0; i < N_REPORT_CAPS; i++)
		if (report_caps[i].cap == cap)
			return held[i];
	return false;
}

/*
 * Kernels since 5.11 charge BPF memory to the memory cgroup; older ones count
 * it against RLIMIT_MEMLOCK. The helper bpf_ktime_get_coarse_ns arrived in the
 * same release, which is how libbpf itself tells the two apart. 1: charged to
 * memlock, 0: not, <0: could not tell.
 */
static int memlock_charged(void)
{
	int ret;

	ret = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_ktime_get_coarse_ns, NULL);
	if (ret < 0)
		return ret;
	return ret == 0;
}

/*
 * Checks the effective capabilities for loading and attaching; see probe.h.
 * CAP_SYS_RESOURCE is only asked for where BPF memory counts against
 * RLIMIT_MEMLOCK and that limit is not already unlimited.
 */
int probe__check_privileges(char *err, size_t errlen)
{
	bool held[N_REPORT_CAPS];
	libbpf_print_fn_t old_print;
	struct rlimit rl;
	bool bpf, perfmon;
	int ret;

	ret = read_caps(held);
	if (ret) {
		format_errno(err, errlen, -ret, "cannot read process capabilities");
		return ret;
	}
	bpf = cap_held(held, CAP_BPF);
	perfmon = cap_held(held, CAP_PERFMON);
	if (!cap_held(held, CAP_SYS_ADMIN) && !(bpf && perfmon)) {
		if (!bpf && !perfmon)
			snprintf(err, errlen,
				 "missing CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run as root or grant them");
		else
			snprintf(err, errlen, "missing %s (or CAP_SYS_ADMIN): run as root or grant it",
				 bpf ? "CAP_PERFMON" : "CAP_BPF");
		return -EPERM;
	}

	old_print = libbpf_set_print(libbpf_to_debug);
	ret = memlock_charged();
	libbpf_set_print(old_print);
	if (ret < 0) {
		log_debug("could not tell whether BPF memory counts against RLIMIT_MEMLOCK: %s", strerror(-ret));
		return 0;
	}
	if (ret == 1 && !cap_held(held, CAP_SYS_RESOURCE) &&
	    !(getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY)) {
		snprintf(err, errlen,
			 "missing CAP_SYS_RESOURCE (this kernel charges BPF maps to RLIMIT_MEMLOCK): run as root or "
			 "grant it");
		return -EPERM;
	}
	return 0;
}

/* Reads a small decimal file such as a sysctl or a PMU type. */
static int read_long(const char *path, long *out)
{
	char buf[64], *end;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		goto cleanup;
	}
	buf[n] = '\0';
	errno = 0;
	*out = strtol(buf, &end, 10);
	if (errno || end == buf)
		ret = -EINVAL;
cleanup:
	close(fd);
	return ret;
}

/* Keeps only the last non-empty line of a verifier log, in place. */
static const char *last_log_line(char *log)
{
	char *end = log + strlen(log), *start;

	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(log, '\n');
	return start ? start + 1 : log;
}

/*
 * Loads prog_ret0 as the given type. Returns the fd, or -errno with the cause
 * (and the verifier's last word, when it said something) in why.
 */
static int load_prog(enum bpf_prog_type type, enum bpf_attach_type attach_type, __u32 btf_id, char *why, size_t whylen)
{
	char log[8192] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach_type, .attach_btf_id = btf_id,
		    .log_buf = log, .log_size = sizeof(log));
	const char *line;
	int fd;

	/* log_level 0 with a buffer: libbpf retries with a log only on failure. */
	fd = bpf_prog_load(type, "aisec_probe", "GPL", prog_ret0, sizeof(prog_ret0) / sizeof(prog_ret0[0]), &opts);
	if (fd >= 0)
		return fd;
	line = last_log_line(log);
	if (*line)
		format_errno(why, whylen, -fd, "load failed (verifier: %.120s)", line);
	else
		format_errno(why, whylen, -fd, "load failed");
	return fd;
}

static int perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu)
{
	int fd = syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Attaches prog_fd to a perf event for the length of this call. */
static int attach_perf_event(struct perf_event_attr *attr, pid_t pid, int cpu, int prog_fd, char *why, size_t whylen)
{
	int pfd, ret = 0;

	pfd = perf_event_open(attr, pid, cpu);
	if (pfd < 0) {
		format_errno(why, whylen, -pfd, "perf_event_open failed");
		return pfd;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0) {
		ret = -errno;
		format_errno(why, whylen, -ret, "PERF_EVENT_IOC_SET_BPF failed");
	}
	close(pfd);
	return ret;
}

static void check_tracepoint(struct probe_state *s, struct hook_result *r)
{
	struct perf_event_attr attr = {};
	char path[128];
	long id;
	int fd, ret;

	if (s->tracefs_err) {
		snprintf(r->detail, sizeof(r->detail), "no tracefs: %.200s", s->tracefs_why);
		return;
	}
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_openat/id", s->tracefs);
	ret = read_long(path, &id);
	if (ret) {
		format_errno(r->detail, sizeof(r->detail), -ret, "cannot read %s%s", path,
			     ret == -ENOENT ? " (kernel built without CONFIG_FTRACE_SYSCALLS?)" : "");
		return;
	}
	fd = load_prog(BPF_PROG_TYPE_TRACEPOINT, 0, 0, r->detail, sizeof(r->detail));
	if (fd < 0)
		return;
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	if (attach_perf_event(&attr, -1, 0, fd, r->detail, sizeof(r->detail)) == 0) {
		r->usable = true;
		snprintf(r->detail, sizeof(r->detail), "loaded; attached to syscalls/sys_enter_openat (id %ld)", id);
	}
	close(fd);
}

static void check_raw_tp(struct hook_result *r)
{
	int fd, lfd;

	fd = load_prog(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0, r->detail, sizeof(r->detail));
	if (fd < 0)
		return;
	lfd = bpf_raw_tracepoint_open("sys_enter", fd);
	if (lfd < 0) {
		format_errno(r->detail, sizeof(r->detail), -lfd, "attach to sys_enter failed");
	} else {
		r->usable = true;
		snprintf(r->detail, sizeof(r->detail), "loaded; attached to sys_enter");
		close(lfd);
	}
	close(fd);
}

/*
 * Loads a BTF-typed program (tp_btf, fentry, fexit, LSM, iterator) against the
 * first of targets found in vmlinux BTF and links it for a moment.
 */
static void check_btf_prog(const struct btf *btf, int btf_err, enum bpf_prog_type type,
			   enum bpf_attach_type attach_type, const char *const *targets, __u32 kind,
			   struct hook_result *r)
{
	const char *target = NULL;
	int id = -ENOENT, fd, lfd;

	if (!btf) {
		format_errno(r->detail, sizeof(r->detail), btf_err, "no vmlinux BTF");
		return;
	}
	for (; *targets; targets++) {
		id = btf__find_by_name_kind(btf, *targets, kind);
		if (id > 0) {
			target = *targets;
			break;
		}
	}
	if (!target) {
		format_errno(r->detail, sizeof(r->detail), -id, "attach target not found in vmlinux BTF");
		return;
	}
	fd = load_prog(type, attach_type, id, r->detail, sizeof(r->detail));
	if (fd < 0)
		return;
	/* Iterators link through BPF_LINK_CREATE; the rest through raw_tracepoint_open. */
	if (attach_type == BPF_TRACE_ITER)
		lfd = bpf_link_create(fd, 0, BPF_TRACE_ITER, NULL);
	else
		lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0) {
		format_errno(r->detail, sizeof(r->detail), -lfd, "loaded, but attach to %s failed", target);
	} else {
		r->usable = true;
		/* The tp_btf target is the tracepoint's BTF typedef; name the tracepoint. */
		if (strncmp(target, "btf_trace_", 10) == 0)
			target += 10;
		snprintf(r->detail, sizeof(r->detail), "loaded; attached to %s", target);
		close(lfd);
	}
	close(fd);
}

/* Reads the active LSM list; "bpf" must be in it for LSM programs to run. */
static void read_lsm_list(struct probe_state *s)
{
	char *tok, *save, copy[sizeof(s->lsm_list)];
	FILE *f;

	f = fopen(LSM_LIST, "re");
	if (!f)
		return;
	if (fgets(s->lsm_list, sizeof(s->lsm_list), f)) {
		s->lsm_list[strcspn(s->lsm_list, "\n")] = '\0';
		s->lsm_list_known = true;
		snprintf(copy, sizeof(copy), "%s", s->lsm_list);
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "bpf") == 0)
				s->bpf_lsm_listed = true;
	}
	fclose(f);
}

static void check_lsm(struct probe_state *s, const struct btf *btf, int btf_err, struct hook_result *r)
{
	static const char *const targets[] = {"bpf_lsm_file_open", NULL};
	size_t n;

	read_lsm_list(s);
	check_btf_prog(btf, btf_err, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, targets, BTF_KIND_FUNC, r);
	n = strlen(r->detail);
	if (s->lsm_list_known)
		snprintf(r->detail + n, sizeof(r->detail) - n, "; \"bpf\" %s in %s",
			 s->bpf_lsm_listed ? "is" : "is NOT", LSM_LIST);
	else
		snprintf(r->detail + n, sizeof(r->detail) - n, "; %s not readable (securityfs not mounted?)", LSM_LIST);
}

static void check_kprobe(struct probe_state *s, struct hook_result *r)
{
	struct perf_event_attr attr = {};
	char events[96];
	const char *func = "do_unlinkat";
	bool have_events;
	long type;
	int fd, ret;

	snprintf(events, sizeof(events), "%s/kprobe_events", s->tracefs_err ? TRACEFS_DIR : s->tracefs);
	have_events = access(events, F_OK) == 0;
	ret = read_long(KPROBE_PMU_TYPE, &type);
	if (ret == -ENOENT && !have_events) {
		snprintf(r->detail, sizeof(r->detail), "not compiled in (CONFIG_KPROBES): no %s, no %.64s",
			 KPROBE_PMU_TYPE, events);
		return;
	}
	if (ret && ret != -ENOENT) {
		format_errno(r->detail, sizeof(r->detail), -ret, "cannot read %s", KPROBE_PMU_TYPE);
		return;
	}
	fd = load_prog(BPF_PROG_TYPE_KPROBE, 0, 0, r->detail, sizeof(r->detail));
	if (fd < 0)
		return;
	if (ret == -ENOENT) {
		/* Old kernels: kprobe_events only; creating one there would change tracefs state. */
		r->usable = true;
		snprintf(r->detail, sizeof(r->detail), "loaded; no kprobe PMU, only legacy %.64s (attach not tried)",
			 events);
		goto cleanup;
	}
	/* Through the PMU, as libbpf does: the probe goes when the event fd closes. */
	attr.type = type;
	attr.size = sizeof(attr);
	attr.config1 = (__u64)(uintptr_t)func;
	attr.config2 = 0;
	if (attach_perf_event(&attr, -1, 0, fd, r->detail, sizeof(r->detail)) == 0) {
		r->usable = true;
		snprintf(r->detail, sizeof(r->detail), "loaded; attached to %s through the kprobe PMU", func);
	}
cleanup:
	close(fd);
}

/* Never called: a place in our own text for the uprobe check to attach to. */
__attribute__((noinline, used)) static int uprobe_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

/* Finds the file and offset that map addr, from /proc/self/maps. */
static int file_offset_of(uintptr_t addr, char *path, size_t pathlen, __u64 *offset)
{
	unsigned long start, end, pgoff;
	char line[PATH_MAX + 128], perms[8];
	int ret = -ENOENT, pos;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &pgoff, &pos) < 4)
			continue;
		if (addr < start || addr >= end || perms[2] != 'x' || line[pos] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, pathlen, "%s", line + pos);
		*offset = addr - start + pgoff;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static void check_uprobe(struct hook_result *r)
{
	struct perf_event_attr attr = {};
	char path[PATH_MAX];
	__u64 offset = 0;
	long type;
	int fd, ret;

	ret = read_long(UPROBE_PMU_TYPE, &type);
	if (ret) {
		format_errno(r->detail, sizeof(r->detail), -ret, "cannot read %s%s", UPROBE_PMU_TYPE,
			     ret == -ENOENT ? " (kernel built without CONFIG_UPROBE_EVENTS)" : "");
		return;
	}
	fd = load_prog(BPF_PROG_TYPE_KPROBE, 0, 0, r->detail, sizeof(r->detail));
	if (fd < 0)
		return;
	ret = file_offset_of((uintptr_t)uprobe_target, path, sizeof(path), &offset);
	if (ret) {
		/* The program type loads; only our own attach target is missing. */
		r->usable = true;
		format_errno(r->detail, sizeof(r->detail), -ret, "loaded; attach not tried: own text not found");
		goto cleanup;
	}
	/* On this process only, at a function it never calls. */
	attr.type = type;
	attr.size = sizeof(attr);
	attr.config1 = (__u64)(uintptr_t)path;
	attr.config2 = offset;
	if (attach_perf_event(&attr, getpid(), -1, fd, r->detail, sizeof(r->detail)) == 0) {
		r->usable = true;
		snprintf(r->detail, sizeof(r->detail), "loaded; attached to this process through the uprobe PMU");
	}
cleanup:
	close(fd);
}

static void check_ringbuf(struct hook_result *r)
{
	long size = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
	int probed, fd;

	/* libbpf's probe says 0 for "unsupported" and for "not allowed" alike;
	 * creating one ourselves gives the errno that tells them apart. */
	probed = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "aisec_probe_rb", 0, 0, size, NULL);
	if (fd < 0) {
		format_errno(r->detail, sizeof(r->detail), -fd, "creating a %ld-byte ring buffer failed%s", size,
			     probed == 0 && fd == -EINVAL ? " (map type not supported by this kernel)" : "");
		return;
	}
	close(fd);
	r->usable = true;
	snprintf(r->detail, sizeof(r->detail), "created one of %ld bytes%s", size,
		 probed == 1 ? "" : "; libbpf's probe disagreed");
}

/* Decides the hook set from the results and whether the default set is all there. */
static void choose_hook_set(struct probe_state *s)
{
	static const enum hook required[] = {HOOK_TRACEPOINT, HOOK_RAW_TP, HOOK_TP_BTF,
					     HOOK_UPROBE,     HOOK_ITER,   HOOK_RINGBUF};
	size_t i;

	s->default_set_ok = true;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!s->hooks[required[i]].usable)
			s->default_set_ok = false;
	if (s->hooks[HOOK_TP_BTF].usable)
		snprintf(s->sched_hook, sizeof(s->sched_hook), "tp_btf");
	else
		snprintf(s->sched_hook, sizeof(s->sched_hook), "MISSING (tp_btf not usable)");
	if (s->hooks[HOOK_TRACEPOINT].usable)
		snprintf(s->syscall_hook, sizeof(s->syscall_hook), "tracepoints");
	else
		snprintf(s->syscall_hook, sizeof(s->syscall_hook), "MISSING (syscall tracepoints not usable)");
	/* With SQL capture (the default) syscalls go through one program on
	 * sys_exit instead (agent/loader.c says why). */
	if (s->sys_exit_btf.usable) {
		snprintf(s->syscall_sql_hook, sizeof(s->syscall_sql_hook), "tp_btf/sys_exit dispatcher");
	} else {
		snprintf(s->syscall_sql_hook, sizeof(s->syscall_sql_hook), "MISSING (tp_btf on sys_exit: %.200s)",
			 s->sys_exit_btf.detail);
		s->default_set_ok = false;
	}
}

static void gather(struct probe_state *s)
{
	static const char *const tp_btf_targets[] = {"btf_trace_sched_process_exec", NULL};
	static const char *const sys_exit_targets[] = {"btf_trace_sys_exit", NULL};
	static const char *const fentry_targets[] = {"do_unlinkat", "vfs_unlink", NULL};
	static const char *const iter_targets[] = {"bpf_iter_task", NULL};
	libbpf_print_fn_t old_print;
	struct utsname uts;
	struct stat st;
	struct btf *btf;
	int btf_err = 0;
	long val;

	memset(s, 0, sizeof(*s));
	if (uname(&uts) == 0)
		snprintf(s->release, sizeof(s->release), "%s", uts.release);
	else
		snprintf(s->release, sizeof(s->release), "unknown");

	s->btf_present = probe__has_btf();
	s->btf_size = s->btf_present && stat(BTF_VMLINUX, &st) == 0 ? (long long)st.st_size : -1;

	s->tracefs_err = -find_or_mount_tracefs(s->tracefs, sizeof(s->tracefs), &s->tracefs_mounted_now, s->tracefs_why,
						sizeof(s->tracefs_why));
	s->unpriv_bpf_disabled = read_long(UNPRIV_BPF_SYSCTL, &val) == 0 ? (int)val : -1;
	s->caps_known = read_caps(s->caps) == 0;

	old_print = libbpf_set_print(libbpf_to_debug);
	btf = btf__load_vmlinux_btf();
	if (!btf)
		btf_err = errno ? errno : ENOENT;

	check_tracepoint(s, &s->hooks[HOOK_TRACEPOINT]);
	check_raw_tp(&s->hooks[HOOK_RAW_TP]);
	check_btf_prog(btf, btf_err, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, tp_btf_targets, BTF_KIND_TYPEDEF,
		       &s->hooks[HOOK_TP_BTF]);
	check_btf_prog(btf, btf_err, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, sys_exit_targets, BTF_KIND_TYPEDEF,
		       &s->sys_exit_btf);
	check_btf_prog(btf, btf_err, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, fentry_targets, BTF_KIND_FUNC,
		       &s->hooks[HOOK_FENTRY]);
	check_btf_prog(btf, btf_err, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, fentry_targets, BTF_KIND_FUNC,
		       &s->hooks[HOOK_FEXIT]);
	check_lsm(s, btf, btf_err, &s->hooks[HOOK_LSM]);
	check_kprobe(s, &s->hooks[HOOK_KPROBE]);
	check_uprobe(&s->hooks[HOOK_UPROBE]);
	check_btf_prog(btf, btf_err, BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, iter_targets, BTF_KIND_FUNC,
		       &s->hooks[HOOK_ITER]);
	check_ringbuf(&s->hooks[HOOK_RINGBUF]);
	s->sql_typed = btf && btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;

	btf__free(btf);
	libbpf_set_print(old_print);
	choose_hook_set(s);
}

static void print_text(FILE *out, const struct probe_state *s)
{
	const char *sep = "";
	size_t i;

	fprintf(out, "kernel: %s\n", s->release);
	if (s->btf_present)
		fprintf(out, "btf: present (%s, %lld bytes)\n", BTF_VMLINUX, s->btf_size);
	else
		fprintf(out, "btf: absent (%s not readable)\n", BTF_VMLINUX);
	if (s->tracefs_err)
		fprintf(out, "tracefs: not available: %s\n", s->tracefs_why);
	else
		fprintf(out, "tracefs: %s%s\n", s->tracefs, s->tracefs_mounted_now ? " (mounted it now)" : "");
	if (s->unpriv_bpf_disabled >= 0)
		fprintf(out, "unprivileged_bpf_disabled: %d\n", s->unpriv_bpf_disabled);
	else
		fprintf(out, "unprivileged_bpf_disabled: unknown (%s not readable)\n", UNPRIV_BPF_SYSCTL);
	fprintf(out, "capabilities (effective):");
	if (!s->caps_known)
		fprintf(out, " unknown (cap_get_proc failed)");
	for (i = 0; s->caps_known && i < N_REPORT_CAPS; i++)
		fprintf(out, " %s=%s", report_caps[i].name, s->caps[i] ? "yes" : "no");
	fprintf(out, "\nhooks:\n");
	for (i = 0; i < HOOK_COUNT; i++) {
		const struct hook_result *r = &s->hooks[i];

		if (r->usable)
			fprintf(out, "  %s: usable (%s)\n", hook_names[i].label, r->detail);
		else
			fprintf(out, "  %s: not usable: %s\n", hook_names[i].label, r->detail);
	}
	fprintf(out, "hook set: sched events: %s; syscalls: %s\n", s->sched_hook, s->syscall_hook);
	fprintf(out, "syscall hooks: with SQL capture (the default): %s; without: %s\n", s->syscall_sql_hook,
		s->hooks[HOOK_TRACEPOINT].usable ? "one tracepoint per hooked syscall" : s->syscall_hook);
	fprintf(out, "SQL capture socket reads: %s\n",
		s->sql_typed ? "typed loads (bpf_rdonly_cast)"
			     : "one probe read per field (no bpf_rdonly_cast kfunc: Linux before 6.2; slower, same records)");
	fprintf(out, "optional speed-ups:");
	for (i = HOOK_FENTRY; i <= HOOK_KPROBE; i++) {
		if (s->hooks[i].usable) {
			fprintf(out, "%s %s", sep, hook_names[i].label);
			sep = ",";
		}
	}
	fprintf(out, "%s\n", *sep ? "" : " none");
	fprintf(out, "default hook set: %s\n", s->default_set_ok ? "usable" : "NOT usable");
}

/* cJSON's Add* functions return NULL when an allocation fails. */
#define JSON_TRY(expr)                                                                                                 \
	do {                                                                                                           \
		if (!(expr))                                                                                           \
			goto nomem;                                                                                    \
	} while (0)

/* Builds the JSON form of the report; NULL on allocation failure. */
static cJSON *build_json(const struct probe_state *s)
{
	cJSON *root, *obj, *hooks;
	size_t i;

	root = cJSON_CreateObject();
	if (!root)
		return NULL;
	JSON_TRY(cJSON_AddStringToObject(root, "kernel", s->release));

	JSON_TRY(obj = cJSON_AddObjectToObject(root, "btf"));
	JSON_TRY(cJSON_AddBoolToObject(obj, "present", s->btf_present));
	JSON_TRY(cJSON_AddStringToObject(obj, "path", BTF_VMLINUX));
	JSON_TRY(cJSON_AddNumberToObject(obj, "size", (double)s->btf_size));

	JSON_TRY(obj = cJSON_AddObjectToObject(root, "tracefs"));
	JSON_TRY(cJSON_AddBoolToObject(obj, "mounted", s->tracefs_err == 0));
	if (s->tracefs_err)
		JSON_TRY(cJSON_AddStringToObject(obj, "error", s->tracefs_why));
	else
		JSON_TRY(cJSON_AddStringToObject(obj, "path", s->tracefs));
	JSON_TRY(cJSON_AddBoolToObject(obj, "mounted_now", s->tracefs_mounted_now));

	if (s->unpriv_bpf_disabled >= 0)
		JSON_TRY(cJSON_AddNumberToObject(root, "unprivileged_bpf_disabled", s->unpriv_bpf_disabled));
	else
		JSON_TRY(cJSON_AddNullToObject(root, "unprivileged_bpf_disabled"));

	if (s->caps_known) {
		JSON_TRY(obj = cJSON_AddObjectToObject(root, "capabilities"));
		for (i = 0; i < N_REPORT_CAPS; i++)
			JSON_TRY(cJSON_AddBoolToObject(obj, report_caps[i].name, s->caps[i]));
	} else {
		JSON_TRY(cJSON_AddNullToObject(root, "capabilities"));
	}

	if (s->lsm_list_known)
		JSON_TRY(cJSON_AddStringToObject(root, "lsm_list", s->lsm_list));
	else
		JSON_TRY(cJSON_AddNullToObject(root, "lsm_list"));

	JSON_TRY(hooks = cJSON_AddObjectToObject(root, "hooks"));
	for (i = 0; i < HOOK_COUNT; i++) {
		JSON_TRY(obj = cJSON_AddObjectToObject(hooks, hook_names[i].key));
		JSON_TRY(cJSON_AddStringToObject(obj, "name", hook_names[i].label));
		JSON_TRY(cJSON_AddBoolToObject(obj, "usable", s->hooks[i].usable));
		JSON_TRY(cJSON_AddStringToObject(obj, s->hooks[i].usable ? "detail" : "reason", s->hooks[i].detail));
	}

	JSON_TRY(obj = cJSON_AddObjectToObject(root, "hook_set"));
	JSON_TRY(cJSON_AddStringToObject(obj, "sched_events", s->sched_hook));
	JSON_TRY(cJSON_AddStringToObject(obj, "syscalls", s->syscall_hook));
	JSON_TRY(cJSON_AddStringToObject(obj, "syscalls_sql_capture", s->syscall_sql_hook));
	JSON_TRY(cJSON_AddStringToObject(obj, "sql_socket_reads", s->sql_typed ? "typed" : "probe_read"));
	JSON_TRY(cJSON_AddBoolToObject(obj, "default_usable", s->default_set_ok));
	return root;
nomem:
	cJSON_Delete(root);
	return NULL;
}

/*
 * Probes everything and prints the report; see probe.h. Returns 0 when the
 * default hook set is usable, 1 when not, -errno when the report could not be
 * written (-ENOMEM building the JSON, -EIO when out reports an error).
 */
int probe__report(FILE *out, bool json)
{
	struct probe_state *s;
	cJSON *root = NULL;
	char *text = NULL;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	gather(s);
	if (json) {
		root = build_json(s);
		text = root ? cJSON_Print(root) : NULL;
		if (!text) {
			ret = -ENOMEM;
			goto cleanup;
		}
		fprintf(out, "%s\n", text);
	} else {
		print_text(out, s);
	}
	if (fflush(out) || ferror(out)) {
		ret = -EIO;
		goto cleanup;
	}
	ret = s->default_set_ok ? 0 : 1;
cleanup:
	free(text);
	cJSON_Delete(root);
	free(s);
	return ret;
}

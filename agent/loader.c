/*
 * loader: libbpf skeleton life cycle (open, configure, load, attach), the
 * ring buffer consumer, the watched-set map, the cgroup verdicts of selection
 * and the task iterator.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "aisec.skel.h"
#include "loader.h"
#include "log.h"
#include "probe.h"

/* The kernel's sock_class entries (bpf/sql.bpf.c): the socket's inode
 * number, then the bytes of struct aisec_payload from family up to data. */
#define PEER_OFF offsetof(struct aisec_payload, family)
#define PEER_BYTES (offsetof(struct aisec_payload, data) - PEER_OFF)

/* Must match AISEC_WATCH_WORDS in bpf/lib/common.bpf.h. */
#define WATCH_WORDS (4194304 / 64)

/* One record of the task iterator; must match struct task_rec in
 * bpf/select.bpf.c. */
struct task_rec {
	__u32 tgid;
	__u32 _pad;
	__u64 cgroup_id;
};

struct loader {
	struct aisec_bpf *skel;
	__u64 *watch_bits;      /* the kernel's watched bitmap, mmap'd */
	struct ring_buffer *rb;
	/* The ring buffer's consumer and producer pages, read-only, for
	 * loader__ringbuf_unread (libbpf 1.1 has no ring__avail_data_size). */
	const void *rb_cons;
	const void *rb_prod;
	loader_record_fn fn;
	void *ctx;
	size_t rb_bytes;
	int ncpus;
	/* Unix socket verdicts set last (a ring): setting one of them again
	 * skips the walk over sock_class (nothing there can hold another
	 * verdict for that path), which would otherwise repeat for every
	 * record that arrived before the kernel had the verdict. */
	struct {
		char key[128];
		__u8 dialect;
		bool used;
	} verdicts[16];
	unsigned next_verdict;
};

/* libbpf's messages go through our logger: warnings as debug unless -v, since
 * the loader reports failures itself in one line. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log__level() < LOG_DEBUG)
		return 0;
	log__vprintf(LOG_DEBUG, fmt, ap);
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct loader *ld = ctx;

	return ld->fn(ld->ctx, data, size);
}

/*
 * The syscall hooks. Each hooked syscall has one handler with two ways in
 * (SYS_EXIT_HANDLER in bpf/lib/common.bpf.h), and one set is loaded:
 *  - with SQL capture: the sys_exit dispatcher (bpf/dispatch.bpf.c), one
 *    program on every syscall's exit that tail-calls tail_sys_exit_<name>
 *    through a slot per syscall number;
 *  - without: handle_sys_exit_<name> on the syscall's own tracepoint.
 * Through the dispatcher a hooked syscall costs an unwatched process 50-90 ns
 * less (a recorded one 120-180 ns less), but the dispatcher also runs on the
 * syscalls nobody hooks, ~50 ns more than the tracepoints' slow path: it
 * pays when the hooked syscalls are about half of all, as read and write
 * make them, and not for opens and connects alone (docs/PERFORMANCE.md,
 * "Syscall hooks").
 * Dispatcher slots are numbered by this build's headers, i.e. the
 * architecture the BPF object is built for: a syscall the architecture lacks
 * (arm64 has no open/creat) has no number, and its handler no slot.
 */
struct syscall_hook {
	struct bpf_program *tail;	 /* dispatcher's tail-call target */
	struct bpf_program *tail_compat; /* the same for kernels without bpf_rdonly_cast, or NULL */
	struct bpf_program *tp;		 /* the syscall's own tracepoint */
	long nr;		  /* -1: no such syscall on this architecture */
	bool sql;		  /* loaded only with SQL capture */
};

#ifdef __NR_open
#define NR_OPEN __NR_open
#else
#define NR_OPEN -1
#endif
#ifdef __NR_creat
#define NR_CREAT __NR_creat
#else
#define NR_CREAT -1
#endif

#define N_SYSCALL_HOOKS 17

static void syscall_hooks(struct aisec_bpf *skel, struct syscall_hook out[N_SYSCALL_HOOKS])
{
	/* clang-format off */
#define HOOK(name, nr, sql) { skel->progs.tail_sys_exit_##name, NULL, skel->progs.handle_sys_exit_##name, nr, sql }
#define SQL_HOOK(name, nr) { skel->progs.tail_sys_exit_##name, skel->progs.tail_sys_exit_##name##_compat, \
			     skel->progs.handle_sys_exit_##name, nr, true }
	const struct syscall_hook hooks[N_SYSCALL_HOOKS] = {
		HOOK(openat, __NR_openat, false),
		HOOK(openat2, __NR_openat2, false),
		HOOK(open, NR_OPEN, false),
		HOOK(creat, NR_CREAT, false),
		HOOK(connect, __NR_connect, false),
		HOOK(bind, __NR_bind, false),
		HOOK(listen, __NR_listen, false),
		HOOK(accept, __NR_accept, false),
		HOOK(accept4, __NR_accept4, false),
		SQL_HOOK(write, __NR_write),
		SQL_HOOK(writev, __NR_writev),
		SQL_HOOK(sendto, __NR_sendto),
		SQL_HOOK(sendmsg, __NR_sendmsg),
		SQL_HOOK(read, __NR_read),
		SQL_HOOK(readv, __NR_readv),
		SQL_HOOK(recvfrom, __NR_recvfrom),
		SQL_HOOK(recvmsg, __NR_recvmsg),
	};
#undef HOOK
#undef SQL_HOOK
	/* clang-format on */

	memcpy(out, hooks, sizeof(hooks));
}

/* The dispatcher's tail-call targets are loaded, never attached. */
static bool is_tail_target(struct aisec_bpf *skel, const struct bpf_program *prog)
{
	struct syscall_hook hooks[N_SYSCALL_HOOKS];

	syscall_hooks(skel, hooks);
	for (size_t i = 0; i < N_SYSCALL_HOOKS; i++)
		if (hooks[i].tail == prog || (hooks[i].tail_compat && hooks[i].tail_compat == prog))
			return true;
	return false;
}

/* A syscall tracepoint this kernel lacks (another architecture's syscall). */
static bool tracepoint_missing(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);
	char path[256];

	if (strncmp(sec, "tp/", 3) != 0)
		return false;
	/* tracefs where it is mounted: its own mount point, or under debugfs. */
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", sec + 3);
	if (access(path, F_OK) == 0)
		return false;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s", sec + 3);
	return access(path, F_OK) != 0;
}

/* The dispatcher's target for hook h: the fast handler, or its _compat twin
 * when there is one and typed is false. */
static struct bpf_program *tail_of(const struct syscall_hook *h, bool typed)
{
	return h->tail_compat && !typed ? h->tail_compat : h->tail;
}

/* Before load: the way in (dispatcher or tracepoints) and, of that set, the
 * handlers this configuration and this architecture need. Handlers for
 * missing syscalls are logged. typed: the kernel has bpf_rdonly_cast. */
static void choose_syscall_hooks(struct aisec_bpf *skel, bool dispatcher, bool sql, bool typed)
{
	struct syscall_hook hooks[N_SYSCALL_HOOKS];
	__u32 slots = bpf_map__max_entries(skel->maps.sys_exit_progs);

	syscall_hooks(skel, hooks);
	bpf_program__set_autoload(skel->progs.tp_btf_sys_exit, dispatcher);
	for (size_t i = 0; i < N_SYSCALL_HOOKS; i++) {
		struct bpf_program *use = dispatcher ? tail_of(&hooks[i], typed) : hooks[i].tp;
		bool missing = dispatcher ? hooks[i].nr < 0 || hooks[i].nr >= slots : tracepoint_missing(use);

		bpf_program__set_autoload(hooks[i].tail, false);
		if (hooks[i].tail_compat)
			bpf_program__set_autoload(hooks[i].tail_compat, false);
		bpf_program__set_autoload(hooks[i].tp, false);
		if (missing)
			log_info("not tracing %s: this kernel has no such syscall",
				 bpf_program__name(hooks[i].tp) + strlen("handle_sys_exit_"));
		else if (sql || !hooks[i].sql)
			bpf_program__set_autoload(use, true);
	}
	log_debug("syscall hooks: %s%s", dispatcher ? "one tp_btf/sys_exit dispatcher" : "one tracepoint per syscall",
		  sql ? (typed ? "; SQL handlers with typed loads" : "; SQL handlers with probe reads (compat)") : "");
}

/* After load, dispatcher only: every loaded handler into the slot of its
 * syscall. 0 or -errno, with the reason in err. */
static int fill_syscall_slots(struct aisec_bpf *skel, char *err, size_t errlen)
{
	struct syscall_hook hooks[N_SYSCALL_HOOKS];
	int map_fd = bpf_map__fd(skel->maps.sys_exit_progs);

	syscall_hooks(skel, hooks);
	for (size_t i = 0; i < N_SYSCALL_HOOKS; i++) {
		struct bpf_program *prog = hooks[i].tail;
		__u32 key = (__u32)hooks[i].nr;
		int prog_fd;

		if (hooks[i].tail_compat && bpf_program__autoload(hooks[i].tail_compat))
			prog = hooks[i].tail_compat;
		if (!bpf_program__autoload(prog))
			continue;
		prog_fd = bpf_program__fd(prog);
		if (bpf_map_update_elem(map_fd, &key, &prog_fd, BPF_ANY)) {
			int rc = -errno;

			snprintf(err, errlen, "cannot install %s in the syscall dispatcher (slot %u): %s",
				 bpf_program__name(prog), key, strerror(errno));
			return rc;
		}
	}
	return 0;
}

/* Selection by cgroup is for `run` only: without it the cgroup hooks are not
 * loaded, so moving tasks and removing cgroups costs nothing more. */
static void disable_select(struct aisec_bpf *skel)
{
	bpf_program__set_autoload(skel->progs.tp_btf_cgroup_attach_task, false);
	bpf_program__set_autoload(skel->progs.tp_btf_cgroup_rmdir, false);
}

static int set_db_ports(struct loader *ld, const struct loader_opts *opts)
{
	static const struct loader_db_port defaults[] = {
		{ 5432, AISEC_DIALECT_POSTGRES },
		{ 3306, AISEC_DIALECT_MYSQL },
	};
	const struct loader_db_port *ports = defaults;
	size_t n = sizeof(defaults) / sizeof(defaults[0]);
	int fd = bpf_map__fd(ld->skel->maps.db_ports);

	if (opts && opts->n_db_ports) {
		ports = opts->db_ports;
		n = opts->n_db_ports;
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, &ports[i].port, &ports[i].dialect, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* The ring buffer map's first page holds consumer_pos, the second
 * producer_pos (each an unsigned long at the page's start); both may be
 * mapped read-only by anyone holding the map fd. 0 or -errno. */
static int map_rb_positions(struct loader *ld)
{
	int fd = bpf_map__fd(ld->skel->maps.events);
	size_t pg = (size_t)getpagesize();
	void *p;

	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	ld->rb_cons = p;
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, (off_t)pg);
	if (p == MAP_FAILED)
		return -errno;
	ld->rb_prod = p;
	return 0;
}

static bool is_pow2(size_t v)
{
	return v && !(v & (v - 1));
}

struct loader *loader__open(const struct loader_opts *opts, loader_record_fn fn, void *ctx, char *err,
			    size_t errlen)
{
	struct loader *ld = NULL;
	size_t rb_bytes = opts && opts->ringbuf_bytes ? opts->ringbuf_bytes : 8u << 20;
	size_t wake = opts && opts->wakeup_bytes ? opts->wakeup_bytes : rb_bytes / 4;
	struct bpf_program *prog;
	int rc;

	libbpf_set_print(libbpf_print);
	if (!is_pow2(rb_bytes) || rb_bytes < (size_t)getpagesize()) {
		snprintf(err, errlen, "ring buffer size %zu is not a power of two of at least %d bytes", rb_bytes,
			 getpagesize());
		errno = EINVAL;
		return NULL;
	}
	if (!probe__has_btf()) {
		snprintf(err, errlen,
			 "kernel BTF not found at /sys/kernel/btf/vmlinux: this kernel needs CONFIG_DEBUG_INFO_BTF=y for CO-RE");
		errno = ENOENT;
		return NULL;
	}
	rc = probe__check_privileges(err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	rc = probe__ensure_tracefs(err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}

	/* 5.15 is the oldest kernel supported and tested; bpf_task_pt_regs,
	 * new in 5.15, tells it apart without trusting the version string. */
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) == 0) {
		snprintf(err, errlen, "this kernel lacks the bpf_task_pt_regs helper: aisec-rt needs Linux 5.15 or later");
		errno = ENOTSUP;
		return NULL;
	}

	ld = calloc(1, sizeof(*ld));
	if (!ld) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ld->fn = fn;
	ld->ctx = ctx;
	ld->rb_bytes = rb_bytes;
	ld->ncpus = libbpf_num_possible_cpus();
	if (ld->ncpus <= 0) {
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-ld->ncpus));
		rc = ld->ncpus;
		goto cleanup;
	}

	ld->skel = aisec_bpf__open();
	if (!ld->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(errno));
		goto cleanup;
	}
	ld->skel->rodata->wakeup_bytes = wake;
	ld->skel->rodata->payload_max = opts && opts->payload_bytes ? opts->payload_bytes : 4096;
	if (ld->skel->rodata->payload_max > AISEC_PAYLOAD_MAX) {
		rc = -EINVAL;
		snprintf(err, errlen, "payload capture of %u bytes exceeds the maximum of %d", ld->skel->rodata->payload_max,
			 AISEC_PAYLOAD_MAX);
		goto cleanup;
	}
	bpf_map__set_max_entries(ld->skel->maps.payload_scratch, (__u32)ld->ncpus);
	/* The dispatcher pays off when read and write are hooked (SQL capture). */
	choose_syscall_hooks(ld->skel, opts && opts->sql, opts && opts->sql,
			     !(opts && opts->bpf_compat) && probe__has_kfunc("bpf_rdonly_cast"));
	ld->skel->rodata->select_mode = opts && opts->select;
	if (!ld->skel->rodata->select_mode)
		disable_select(ld->skel);
	bpf_map__set_max_entries(ld->skel->maps.events, rb_bytes);

	rc = aisec_bpf__load(ld->skel);
	if (rc) {
		snprintf(err, errlen, "the kernel refused to load the BPF programs: %s (run with -v for the verifier log)",
			 strerror(-rc));
		goto cleanup;
	}
	/* The handlers go into the dispatcher's slots before it is attached,
	 * so a watched process's first syscall already finds them (no-op
	 * without the dispatcher: none of them is loaded). */
	rc = fill_syscall_slots(ld->skel, err, errlen);
	if (rc)
		goto cleanup;
	/* Attach one by one so a failure names its program. The task iterator
	 * is attached here too: its link only creates iterators, on demand
	 * (loader__tasks), and costs nothing until then. The dispatcher's
	 * handlers are not attached: it reaches them through its slots. */
	bpf_object__for_each_program(prog, ld->skel->obj)
	{
		struct bpf_link *link;

		if (!bpf_program__autoload(prog) || is_tail_target(ld->skel, prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			rc = -errno;
			snprintf(err, errlen, "cannot attach %s (%s): %s", bpf_program__name(prog),
				 bpf_program__section_name(prog), strerror(errno));
			goto cleanup;
		}
		/* The skeleton's links array owns them for destroy. */
		for (size_t i = 0; i < (size_t)ld->skel->skeleton->prog_cnt; i++) {
			if (*ld->skel->skeleton->progs[i].prog == prog) {
				*ld->skel->skeleton->progs[i].link = link;
				break;
			}
		}
	}

	if (bpf_map__max_entries(ld->skel->maps.watched) != WATCH_WORDS) {
		rc = -EPROTO;
		snprintf(err, errlen, "BPF object and agent disagree on the watched bitmap size (%u != %u words)",
			 bpf_map__max_entries(ld->skel->maps.watched), WATCH_WORDS);
		goto cleanup;
	}
	if (bpf_map__value_size(ld->skel->maps.sock_class) != sizeof(__u64) + PEER_BYTES) {
		rc = -EPROTO;
		snprintf(err, errlen, "BPF object and agent disagree on the socket class size (%u != %zu bytes)",
			 bpf_map__value_size(ld->skel->maps.sock_class), sizeof(__u64) + PEER_BYTES);
		goto cleanup;
	}
	rc = set_db_ports(ld, opts);
	if (rc) {
		snprintf(err, errlen, "cannot configure the database ports: %s", strerror(-rc));
		goto cleanup;
	}
	ld->watch_bits = mmap(NULL, WATCH_WORDS * sizeof(__u64), PROT_READ | PROT_WRITE, MAP_SHARED,
			      bpf_map__fd(ld->skel->maps.watched), 0);
	if (ld->watch_bits == MAP_FAILED) {
		ld->watch_bits = NULL;
		rc = -errno;
		snprintf(err, errlen, "cannot map the watched-process bitmap: %s", strerror(errno));
		goto cleanup;
	}

	ld->rb = ring_buffer__new(bpf_map__fd(ld->skel->maps.events), on_record, ld, NULL);
	if (!ld->rb) {
		rc = -errno;
		snprintf(err, errlen, "cannot set up the ring buffer consumer: %s", strerror(errno));
		goto cleanup;
	}
	rc = map_rb_positions(ld);
	if (rc) {
		snprintf(err, errlen, "cannot map the ring buffer's position pages: %s", strerror(-rc));
		goto cleanup;
	}
	log_debug("loaded and attached %u programs, ring buffer %zu bytes, wakeup past %zu bytes",
		  (unsigned)ld->skel->skeleton->prog_cnt, rb_bytes, wake);
	return ld;

cleanup:
	loader__free(ld);
	errno = rc < 0 ? -rc : EINVAL;
	return NULL;
}

void loader__free(struct loader *ld)
{
	if (!ld)
		return;
	ring_buffer__free(ld->rb);
	if (ld->rb_prod)
		munmap((void *)ld->rb_prod, (size_t)getpagesize());
	if (ld->rb_cons)
		munmap((void *)ld->rb_cons, (size_t)getpagesize());
	if (ld->watch_bits)
		munmap(ld->watch_bits, WATCH_WORDS * sizeof(__u64));
	aisec_bpf__destroy(ld->skel);
	free(ld);
}

/* The kernel's fork and exit hooks change other bits of the same words at
 * the same time, so every change here is one atomic read-modify-write. */
int loader__watch(struct loader *ld, __u32 tgid)
{
	if (tgid / 64 >= WATCH_WORDS)
		return -ERANGE;
	__atomic_fetch_or(&ld->watch_bits[tgid / 64], 1ULL << (tgid % 64), __ATOMIC_SEQ_CST);
	return 0;
}

int loader__unwatch(struct loader *ld, __u32 tgid)
{
	if (tgid / 64 >= WATCH_WORDS)
		return -ERANGE;
	__atomic_fetch_and(&ld->watch_bits[tgid / 64], ~(1ULL << (tgid % 64)), __ATOMIC_SEQ_CST);
	return 0;
}

size_t loader__watched(struct loader *ld, __u32 *out, size_t max)
{
	size_t n = 0;

	for (__u32 w = 0; w < WATCH_WORDS && n < max; w++) {
		__u64 bits = __atomic_load_n(&ld->watch_bits[w], __ATOMIC_ACQUIRE);

		while (bits && n < max) {
			int b = __builtin_ctzll(bits);

			out[n++] = w * 64 + (__u32)b;
			bits &= bits - 1;
		}
	}
	return n;
}

/* Sockets the kernel classified already keep their answer (sock_class):
 * forget those whose unix peer is path (128 bytes, zero-padded) so that a
 * changed verdict applies to open connections too. Rare (a verdict is set
 * once per database path), so a walk over the map is fine. */
static void forget_unix_peer(struct loader *ld, const char key[128])
{
	int fd = bpf_map__fd(ld->skel->maps.sock_class);
	unsigned char val[sizeof(__u64) + PEER_BYTES];
	struct aisec_payload p;
	__u64 k, next, *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, val))
			continue;
		memcpy((char *)&p + PEER_OFF, val + sizeof(__u64), PEER_BYTES);
		if (p.family == AF_UNIX && memcmp(p.unix_path, key, sizeof(p.unix_path)) == 0)
			bpf_map_delete_elem(fd, &k);
	}
}

int loader__set_unix_verdict(struct loader *ld, const char *path, size_t len, __u8 dialect)
{
	char key[128] = { 0 };

	memcpy(key, path, len < AISEC_UNIX_PATH_MAX ? len : AISEC_UNIX_PATH_MAX);
	/* Always written: the kernel's map is an LRU and may have dropped it. */
	if (bpf_map_update_elem(bpf_map__fd(ld->skel->maps.unix_verdict), key, &dialect, BPF_ANY))
		return -errno;
	for (size_t i = 0; i < sizeof(ld->verdicts) / sizeof(ld->verdicts[0]); i++)
		if (ld->verdicts[i].used && ld->verdicts[i].dialect == dialect &&
		    memcmp(ld->verdicts[i].key, key, sizeof(key)) == 0)
			return 0; /* sockets classified since hold this verdict already */
	forget_unix_peer(ld, key);
	/* Another verdict for the path, if remembered, no longer holds. */
	for (size_t i = 0; i < sizeof(ld->verdicts) / sizeof(ld->verdicts[0]); i++)
		if (ld->verdicts[i].used && memcmp(ld->verdicts[i].key, key, sizeof(key)) == 0)
			ld->verdicts[i].used = false;
	{
		unsigned i = ld->next_verdict++ % (sizeof(ld->verdicts) / sizeof(ld->verdicts[0]));

		memcpy(ld->verdicts[i].key, key, sizeof(key));
		ld->verdicts[i].dialect = dialect;
		ld->verdicts[i].used = true;
	}
	return 0;
}

int loader__poll(struct loader *ld, int timeout_ms)
{
	int n, m;

	/* Records are submitted without a wakeup, so epoll only fires past the
	 * kernel's threshold; the timeout bounds latency and consume drains. */
	n = ring_buffer__poll(ld->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(ld->rb);
	if (m < 0)
		return m;
	if (n == -EINTR)
		return m > 0 ? m : -EINTR;
	return n + m;
}

int loader__set_cgroup_verdict(struct loader *ld, __u64 cgroup_id, __u8 verdict)
{
	if (verdict != AISEC_CG_IGNORE && verdict != AISEC_CG_SELECT && verdict != AISEC_CG_PER_PROCESS)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(ld->skel->maps.cgroup_verdict), &cgroup_id, &verdict, BPF_ANY))
		/* A full hash map says E2BIG; the contract says ENOSPC. */
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int loader__del_cgroup_verdict(struct loader *ld, __u64 cgroup_id)
{
	if (bpf_map_delete_elem(bpf_map__fd(ld->skel->maps.cgroup_verdict), &cgroup_id))
		return -errno;
	return 0;
}

int loader__clear_cgroup_verdicts(struct loader *ld)
{
	int fd = bpf_map__fd(ld->skel->maps.cgroup_verdict);
	__u64 *keys = malloc(AISEC_CG_MAX_ENTRIES * sizeof(*keys));
	size_t n;
	int rc = 0;

	if (!keys)
		return -ENOMEM;
	/* Collect, then delete: a walk whose last key is deleted (the kernel
	 * does so for a removed cgroup) starts over from the first bucket, so
	 * deleting as we walk could revisit keys without end. Nothing adds
	 * entries meanwhile, so each pass shrinks the map until it is empty. */
	do {
		__u64 key;
		int err = bpf_map_get_next_key(fd, NULL, &key);

		n = 0;
		while (err == 0 && n < AISEC_CG_MAX_ENTRIES) {
			keys[n++] = key;
			err = bpf_map_get_next_key(fd, &keys[n - 1], &key);
		}
		if (err && errno != ENOENT) {
			rc = -errno;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (bpf_map_delete_elem(fd, &keys[i]) && errno != ENOENT) {
				rc = -errno;
				break;
			}
		}
	} while (rc == 0 && n > 0);
	free(keys);
	return rc;
}

int loader__tasks(struct loader *ld, void (*fn)(void *ctx, __u32 tgid, __u64 cgroup_id), void *ctx)
{
	struct task_rec buf[256];
	size_t have = 0;
	int fd, rc = 0;

	if (!ld->skel->links.iter_task)
		return -ENOTSUP;
	fd = bpf_iter_create(bpf_link__fd(ld->skel->links.iter_task));
	if (fd < 0)
		return -errno;
	/* read() may end inside a record; keep the partial tail for the next one. */
	for (;;) {
		ssize_t n = read(fd, (char *)buf + have, sizeof(buf) - have);
		size_t whole;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0) {
			if (have)
				rc = -EPROTO;
			break;
		}
		have += (size_t)n;
		whole = have / sizeof(buf[0]);
		for (size_t i = 0; i < whole; i++)
			fn(ctx, buf[i].tgid, buf[i].cgroup_id);
		have -= whole * sizeof(buf[0]);
		memmove(buf, buf + whole, have);
	}
	close(fd);
	return rc;
}

int loader__stats_percpu(struct loader *ld, __u64 (*out)[AISEC_STAT_MAX], size_t max_cpus, size_t *ncpus)
{
	int fd = bpf_map__fd(ld->skel->maps.stats);
	size_t n = (size_t)ld->ncpus < max_cpus ? (size_t)ld->ncpus : max_cpus;
	__u64 *vals = calloc((size_t)ld->ncpus, sizeof(__u64));

	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < AISEC_STAT_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			int rc = -errno;

			free(vals);
			return rc;
		}
		for (size_t c = 0; c < n; c++)
			out[c][k] = vals[c];
	}
	free(vals);
	*ncpus = n;
	return 0;
}

size_t loader__ringbuf_unread(const struct loader *ld)
{
	/* Consumer first: it only grows towards the producer, so reading it
	 * first never yields a negative difference. */
	unsigned long cons = __atomic_load_n((const unsigned long *)ld->rb_cons, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n((const unsigned long *)ld->rb_prod, __ATOMIC_ACQUIRE);

	return prod - cons;
}

int loader__stats(struct loader *ld, __u64 out[AISEC_STAT_MAX])
{
	int fd = bpf_map__fd(ld->skel->maps.stats);
	__u64 *vals = calloc((size_t)ld->ncpus, sizeof(__u64));

	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < AISEC_STAT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			int rc = -errno;

			free(vals);
			return rc;
		}
		for (int c = 0; c < ld->ncpus; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

size_t loader__ringbuf_size(const struct loader *ld)
{
	return ld->rb_bytes;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps, settings and helpers shared by every aisec-rt BPF program.
 *
 * All bpf/<concern>.bpf.c files are linked into one object with `bpftool gen object`,
 * so the maps below are declared __weak here and merged into one by the
 * linker; settings are defined once in process.bpf.c and extern elsewhere.
 */
#ifndef AISEC_COMMON_BPF_H
#define AISEC_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "aisec/events.h"

#ifndef EINPROGRESS
#define EINPROGRESS 115
#endif
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* Hide a value from clang's range reasoning so the mask or check that follows
 * stays in the program and the verifier sees the bound. */
#define opaque(x) asm volatile("" : "+r"(x))

/* Settings written by the agent between open and load (skeleton rodata). */
extern const volatile __u64 wakeup_bytes; /* force a consumer wakeup past this */
extern const volatile bool select_mode;   /* selection by cgroup (`run`): see cgroup_verdict */

/* The one ring buffer; its size is set by the agent before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps") __weak;

/* Watched thread groups as a bitmap: bit (tgid % 64) of word (tgid / 64),
 * covering every possible pid (PID_MAX_LIMIT = 4M on 64-bit: 512 KiB). The
 * verifier inlines array lookups, so checking an unwatched process costs a few
 * instructions and no helper call. The agent mmaps it and sets bits with
 * atomics; the fork hook adds children, the exit hook removes the dead. */
#define AISEC_WATCH_WORDS (4194304 / 64)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, AISEC_WATCH_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} watched SEC(".maps") __weak;

/* Counters of lost or degraded records (enum aisec_stat), one set per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AISEC_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps") __weak;

/* Selection by cgroup (select_mode only): cgroup v2 id -> enum aisec_cg_verdict,
 * written by the agent. The exec hook reads it for processes that are not
 * watched, cgroup_attach_task for tasks moved into a cgroup, cgroup_rmdir
 * deletes the entry of a removed cgroup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AISEC_CG_MAX_ENTRIES);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_verdict SEC(".maps") __weak;

/* Per-CPU scratch for records too large for the BPF stack; sent with
 * bpf_ringbuf_output() at their real length. */
union aisec_big {
	struct aisec_exec exec;
	struct aisec_open open;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union aisec_big);
} scratch SEC(".maps") __weak;

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1;
}

static __always_inline __u64 *watch_word(__u32 tgid)
{
	__u32 word = tgid / 64;

	return bpf_map_lookup_elem(&watched, &word);
}

static __always_inline bool tgid_watched(__u32 tgid)
{
	__u64 *w = watch_word(tgid);

	return w && ((*w >> (tgid % 64)) & 1);
}

static __always_inline void watch_add(__u32 tgid)
{
	__u64 *w = watch_word(tgid);

	if (w)
		__sync_fetch_and_or(w, 1ULL << (tgid % 64));
	else
		stat_inc(AISEC_STAT_WATCH_FULL);
}

static __always_inline void watch_remove(__u32 tgid)
{
	__u64 *w = watch_word(tgid);

	if (w)
		__sync_fetch_and_and(w, ~(1ULL << (tgid % 64)));
}

/* Submit flags: no wakeup per record. The consumer is woken by the record
 * that takes the unread data across a multiple of wakeup_bytes (the agent
 * also polls on a bounded interval), so a consumer that is behind gets one
 * wakeup per wakeup_bytes, not one per record: a forced wakeup is an
 * irq_work and an interrupt, microseconds on a VM. Two CPUs racing over the
 * same multiple may both miss it; the next multiple wakes the consumer. */
static __always_inline __u64 rb_wake(__u64 before, __u64 after)
{
	if (before / wakeup_bytes != after / wakeup_bytes) {
		stat_inc(AISEC_STAT_WAKEUPS);
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* For bpf_ringbuf_output() of size bytes: asked before the record is in. */
static __always_inline __u64 rb_flags_output(__u64 size)
{
	__u64 unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	return rb_wake(unread, unread + size);
}

/* For bpf_ringbuf_submit() of a reserved record of size bytes: the reserved
 * record counts as unread already. */
static __always_inline __u64 rb_flags_submit(__u64 size)
{
	__u64 unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	return rb_wake(unread > size ? unread - size : 0, unread);
}

/* Fill the common header for the current task (task: bpf_get_current_task_btf(),
 * for a caller that has it already). The task is a BTF pointer,
 * so its fields are plain loads (the verifier makes them fault-safe) instead
 * of a helper call each: on CPUs with return-thunk mitigations (SRSO,
 * retbleed) every helper call and return costs tens of cycles, and this runs
 * for every record (docs/PERFORMANCE.md, "After the profiles"). */
static __always_inline void fill_hdr_task(struct aisec_hdr *h, struct task_struct *task, __u32 kind, __u16 sys)
{
	const __u64 *comm = (const __u64 *)task->comm;

	h->ts_ns = bpf_ktime_get_boot_ns();
	/* What bpf_get_current_cgroup_id() returns: the cgroup v2 id. */
	h->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	h->kind = kind;
	h->size = 0;
	h->pid = task->tgid;
	h->tid = task->pid;
	h->ppid = task->real_parent->tgid;
	h->uid = task->cred->uid.val;
	h->syscall = sys;
	h->flags = 0;
	h->_pad = 0;
	/* comm is 16 bytes, NUL-padded by the kernel (__set_task_comm). */
	__builtin_memcpy(h->comm, &comm[0], 8);
	__builtin_memcpy(h->comm + 8, &comm[1], 8);
}

static __always_inline void fill_hdr(struct aisec_hdr *h, __u32 kind, __u16 sys)
{
	fill_hdr_task(h, bpf_get_current_task_btf(), kind, sys);
}

/* The first four arguments of the current syscall, read at sys_exit from
 * the registers saved at syscall entry (the kernel does not change them; only
 * the return register is written). One hook at exit instead of an enter/exit
 * pair with a stash map in between: a watched process pays no map update.
 * regs is a BTF pointer (the sys_exit tracepoint's argument, or
 * bpf_task_pt_regs()), so these are plain loads, not a helper call each. */
struct syscall_args {
	__u64 a[4];
};

static __always_inline void syscall_args(struct pt_regs *regs, struct syscall_args *args)
{
	args->a[0] = PT_REGS_PARM1_SYSCALL(regs);
	args->a[1] = PT_REGS_PARM2_SYSCALL(regs);
	args->a[2] = PT_REGS_PARM3_SYSCALL(regs);
	args->a[3] = PT_REGS_PARM4_SYSCALL(regs);
}

/* One handler per hooked syscall, with two ways in; the agent loads one set
 * (agent/loader.c: the dispatcher with SQL capture, the tracepoints without;
 * docs/PERFORMANCE.md has the numbers behind that choice):
 *  - tail_sys_exit_<name>: a tail-call target of the sys_exit dispatcher
 *    (dispatch.bpf.c), typed like it but never attached; the dispatcher has
 *    checked the watched set already;
 *  - handle_sys_exit_<name>: the syscall's own classic tracepoint, which
 *    checks the watched set first and finds the registers itself.
 * SYS_EXIT_HANDLER makes both from one body; SYS_EXIT_TAIL (a tail-call
 * target named prog) and SYS_EXIT_TP make one each, for handlers that come
 * in more than one build (bpf/sql.bpf.c).
 * body: an expression of regs (struct pt_regs *) and ret (long, the result). */
#define SYS_EXIT_TAIL(prog, body)                                                                                      \
	SEC("tp_btf/sys_exit")                                                                                         \
	int BPF_PROG(prog, struct pt_regs *regs, long ret)                                                             \
	{                                                                                                              \
		return body;                                                                                           \
	}

#define SYS_EXIT_TP(name, body)                                                                                        \
	SEC("tp/syscalls/sys_exit_" #name)                                                                             \
	int handle_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)                                               \
	{                                                                                                              \
		struct pt_regs *regs;                                                                                  \
		long ret = ctx->ret;                                                                                   \
                                                                                                                       \
		if (!tgid_watched(bpf_get_current_pid_tgid() >> 32))                                                   \
			return 0;                                                                                      \
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());                                 \
		return body;                                                                                           \
	}

#define SYS_EXIT_HANDLER(name, body) SYS_EXIT_TAIL(tail_sys_exit_##name, body) SYS_EXIT_TP(name, body)

/* The struct sock behind a socket fd of the current task, or NULL; *ino
 * (when ino is not NULL) gets the socket's inode number. */
static __always_inline struct sock *sock_from_fd(long fd, __u64 *ino)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file *f = NULL;
	struct socket *sock;

	if (fd < 0 || fd >= max)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	/* private_data is only a socket if the socket points back at the file. */
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return NULL;
	if (ino)
		*ino = BPF_CORE_READ(f, f_inode, i_ino);
	return BPF_CORE_READ(sock, sk);
}

#endif /* AISEC_COMMON_BPF_H */

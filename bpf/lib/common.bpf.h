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

/* The one ring buffer; its size is set by the agent before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps") __weak;

/* Watched thread groups: tgid -> flags. Filled by the agent, followed at fork,
 * emptied at exit. A miss here is all an unwatched process ever costs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} watched SEC(".maps") __weak;

/* Syscall arguments stashed at sys_enter for the matching sys_exit, keyed by
 * pid_tgid. Only watched threads ever insert. */
struct pending_args {
	__u64 a[4];
	__u32 syscall; /* enum aisec_syscall */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct pending_args);
} pending SEC(".maps") __weak;

/* Counters of lost or degraded records (enum aisec_stat), one set per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AISEC_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps") __weak;

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

static __always_inline bool tgid_watched(__u32 tgid)
{
	return bpf_map_lookup_elem(&watched, &tgid) != NULL;
}

/* Submit flags: no wakeup per record; wake the consumer only once unread data
 * passes wakeup_bytes (the agent also polls on a bounded interval). */
static __always_inline __u64 rb_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		stat_inc(AISEC_STAT_WAKEUPS);
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* Fill the common header for the current task. */
static __always_inline void fill_hdr(struct aisec_hdr *h, __u32 kind, __u16 sys)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->kind = kind;
	h->size = 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->syscall = sys;
	h->flags = 0;
	h->_pad = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Stash syscall arguments for the exit handler of a watched thread. */
static __always_inline void stash_args(__u32 sys, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_args args = { .a = { a0, a1, a2, a3 }, .syscall = sys };

	if (!tgid_watched(id >> 32))
		return;
	if (bpf_map_update_elem(&pending, &id, &args, BPF_ANY))
		stat_inc(AISEC_STAT_PENDING_FULL);
}

/* Take the stashed arguments of this thread's syscall, if it is one we want.
 * Copies them out so the map slot can be released at once. */
static __always_inline bool take_args(__u32 sys, struct pending_args *out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_args *args = bpf_map_lookup_elem(&pending, &id);

	if (!args)
		return false;
	*out = *args;
	bpf_map_delete_elem(&pending, &id);
	return out->syscall == sys;
}

#endif /* AISEC_COMMON_BPF_H */

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process life cycle: fork (the watched set follows children), exec (filename
 * and argv; with select_mode, the cgroup verdict of an unwatched process) and
 * exit (wait status). sched_* BTF tracepoints, so nothing here sits on the
 * syscall path.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Settings shared by all programs (declared extern in common.bpf.h). */
const volatile __u64 wakeup_bytes = 256 * 1024;
const volatile bool select_mode = false;

/* Selection by cgroup for an exec of a process that is not watched: 0 to
 * drop it (AISEC_CG_IGNORE), AISEC_F_SELECT to send it for the agent to
 * decide (AISEC_CG_PER_PROCESS or no entry), or -1 when its cgroup is
 * AISEC_CG_SELECT (it is watched from now on; a normal exec record). */
static __always_inline int select_exec(__u32 tgid)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	__u8 *verdict = bpf_map_lookup_elem(&cgroup_verdict, &cgid);

	if (!verdict || *verdict == AISEC_CG_PER_PROCESS)
		return AISEC_F_SELECT;
	if (*verdict == AISEC_CG_SELECT) {
		watch_add(tgid);
		return -1;
	}
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid;
	__u32 ctgid = child->tgid;
	struct aisec_fork *e;

	/* Threads stay in their group; only new processes are followed. */
	if (ctgid == ptgid || !tgid_watched(ptgid))
		return 0;
	watch_add(ctgid);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(AISEC_STAT_RB_DROP);
		return 0;
	}
	/* The header describes the child; ppid is the parent that forked it. */
	fill_hdr(&e->hdr, AISEC_EV_FORK, AISEC_SYS_NONE);
	e->hdr.size = sizeof(*e);
	e->hdr.pid = ctgid;
	e->hdr.tid = child->pid;
	e->hdr.ppid = ptgid;
	e->parent_tid = parent->pid;
	e->_pad = 0;
	bpf_ringbuf_submit(e, rb_flags_submit(sizeof(*e)));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	unsigned long start, end;
	__u64 total, len;
	__u32 zero = 0, size;
	struct aisec_exec *e;
	__u16 flags = 0;
	long n;

	/* Not watched: without selection that ends here; with it, the verdict
	 * of its cgroup decides (one lookup for an IGNORE cgroup). */
	if (!tgid_watched(tgid)) {
		int sel;

		if (!select_mode)
			return 0;
		sel = select_exec(tgid);
		if (sel == 0)
			return 0;
		if (sel > 0)
			flags = sel;
	}
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	fill_hdr(&e->hdr, AISEC_EV_EXEC, AISEC_SYS_NONE);
	e->hdr.flags = flags;

	/* Filename as the caller gave it to execve. */
	n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	if (n < 0) {
		e->filename_len = 0;
		e->filename[0] = 0;
		e->hdr.flags |= AISEC_F_READ_FAIL;
		stat_inc(AISEC_STAT_READ_FAIL);
	} else {
		e->filename_len = n;
		if (n == sizeof(e->filename)) {
			/* Full buffer: cut only if the name goes on past what fit. */
			const char *fn = BPF_CORE_READ(bprm, filename);
			char next = 0;

			bpf_probe_read_kernel(&next, 1, fn + sizeof(e->filename) - 1);
			if (next)
				e->hdr.flags |= AISEC_F_TRUNC_PATH;
		}
	}

	/* argv: one read of the NUL-separated block the new mm holds. */
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	total = end > start ? end - start : 0;
	len = total;
	if (len > AISEC_EXEC_ARGV_MAX) {
		len = AISEC_EXEC_ARGV_MAX;
		e->hdr.flags |= AISEC_F_TRUNC_ARGV;
	}
	e->argv_total = total;
	e->argv_len = 0;
	if (len == AISEC_EXEC_ARGV_MAX) {
		n = bpf_probe_read_user(e->argv, AISEC_EXEC_ARGV_MAX, (void *)start);
	} else {
		opaque(len);
		n = bpf_probe_read_user(e->argv, len & (AISEC_EXEC_ARGV_MAX - 1), (void *)start);
	}
	if (n == 0) {
		e->argv_len = len;
	} else {
		len = 0;
		e->hdr.flags |= AISEC_F_READ_FAIL;
		stat_inc(AISEC_STAT_READ_FAIL);
	}

	size = offsetof(struct aisec_exec, argv) + len;
	opaque(size);
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->hdr.size = size;
	if (bpf_ringbuf_output(&events, e, size, rb_flags_output(size)))
		stat_inc(AISEC_STAT_RB_DROP);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf_sched_process_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct aisec_exit *e;

	if (!tgid_watched(tgid))
		return 0;
	/* Report the process once, when its last thread goes. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		fill_hdr(&e->hdr, AISEC_EV_EXIT, AISEC_SYS_NONE);
		e->hdr.size = sizeof(*e);
		e->status = p->exit_code;
		e->_pad = 0;
		/* Wake the agent: an exit may end its run, and it must not wait. */
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	} else {
		stat_inc(AISEC_STAT_RB_DROP);
	}
	/* Leave the watched set only after the record is in the ring, so an
	 * agent that sees the set empty has every record already. */
	watch_remove(tgid);
	return 0;
}

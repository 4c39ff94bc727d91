// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sys_exit dispatcher: one tp_btf/sys_exit program, run at the exit of
 * every syscall of every process. An unwatched process costs the
 * watched-bitmap check and nothing more; for a watched one the syscall number
 * picks the handler (tail_sys_exit_*, file/net/sql .bpf.c) by tail call
 * through sys_exit_progs, which the agent fills by syscall number (its own
 * headers know this architecture's numbers) with the handlers it loaded.
 * Syscalls with no handler find their slot empty and end here.
 *
 * The other way in is one classic tracepoint per hooked syscall
 * (handle_sys_exit_*). Those go through perf's syscall event first
 * (perf_syscall_exit: a perf record allocated and filled, then the program),
 * which makes a hooked syscall 50-90 ns dearer than this program does; but
 * this program runs on every syscall, hooked or not, ~50 ns more than the
 * tracepoints cost an unhooked one. The agent uses it when SQL capture hooks
 * read and write, the busiest syscalls, and the tracepoints otherwise
 * (agent/loader.c; numbers in docs/PERFORMANCE.md).
 */
#include "common.bpf.h"

/* Slots by syscall number; numbers past the end (x32's, with bit 30 set)
 * find no program, like an empty slot. x86_64 and arm64 stay below 512. */
#define AISEC_SYSCALL_SLOTS 1024

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, AISEC_SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} sys_exit_progs SEC(".maps");

/* Compat (32-bit) syscalls have numbers of their own (ia32's 3 is read,
 * x86_64's is close) and 32-bit argument layouts: skipped, as the kernel's
 * syscall tracepoints skip them (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS, x86 and
 * arm64). x86: TS_COMPAT in thread_info.status, set for int 0x80 and 32-bit
 * processes alike (in_ia32_syscall()); arm64: TIF_32BIT, a 32-bit process
 * (is_compat_task()). */
static __always_inline bool compat_syscall(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	return task->thread_info.status & 0x0002; /* TS_COMPAT */
#elif defined(__TARGET_ARCH_arm64)
	return task->thread_info.flags & (1UL << 22); /* TIF_32BIT */
#else
#error "compat_syscall: add this architecture's compat test"
#endif
}

/* The syscall's number as the kernel dispatched it (syscall_get_nr()). */
static __always_inline __u32 syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
#error "syscall_nr: add this architecture's syscall number register"
#endif
}

/* tp_btf rather than raw_tp: same kernel path, but regs and the task are BTF
 * pointers read with plain loads instead of a helper call per field. */
SEC("tp_btf/sys_exit")
int BPF_PROG(tp_btf_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	/* Unwatched: done, before anything else is read. */
	if (!tgid_watched(task->tgid))
		return 0;
	if (compat_syscall(task))
		return 0;
	/* Returns only when the slot is empty (or the number out of range). */
	bpf_tail_call(ctx, &sys_exit_progs, syscall_nr(regs));
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * File opens: openat(2), openat2(2), and where they exist open(2) and creat(2),
 * one sys_exit handler each (SYS_EXIT_HANDLER, common.bpf.h: reached through
 * the dispatcher or the syscall's own tracepoint), run for watched processes
 * only. Arguments come from the saved registers; the path is read at exit,
 * when the kernel has already faulted its page in.
 */
#include "common.bpf.h"

static __always_inline int emit_open(struct pt_regs *regs, long ret, __u32 sys)
{
	struct syscall_args args;
	const char *upath;
	struct aisec_open *e;
	__u32 zero = 0, size;
	long n;

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	syscall_args(regs, &args);
	fill_hdr(&e->hdr, AISEC_EV_OPEN, sys);
	e->ret = ret;
	e->resolve = 0;
	if (sys == AISEC_SYS_OPEN || sys == AISEC_SYS_CREAT) {
		/* open(path, flags, mode) and creat(path, mode): no dirfd. */
		upath = (const char *)args.a[0];
		e->dirfd = -100; /* AT_FDCWD: what the kernel uses for them */
		e->flags = sys == AISEC_SYS_CREAT ? 01101 /* O_CREAT|O_WRONLY|O_TRUNC */ : (__u32)args.a[1];
		e->mode = (__u32)(sys == AISEC_SYS_CREAT ? args.a[1] : args.a[2]);
	} else if (sys == AISEC_SYS_OPENAT2) {
		struct open_how how = {};

		upath = (const char *)args.a[1];
		e->dirfd = (__s32)args.a[0];
		if (bpf_probe_read_user(&how, sizeof(how), (void *)args.a[2])) {
			e->hdr.flags |= AISEC_F_READ_FAIL;
			stat_inc(AISEC_STAT_READ_FAIL);
		}
		e->flags = how.flags;
		e->mode = how.mode;
		e->resolve = how.resolve;
	} else {
		upath = (const char *)args.a[1];
		e->dirfd = (__s32)args.a[0];
		e->flags = (__u32)args.a[2];
		e->mode = (__u32)args.a[3];
	}

	n = bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
	if (n < 0) {
		n = 0;
		e->hdr.flags |= AISEC_F_READ_FAIL;
		stat_inc(AISEC_STAT_READ_FAIL);
	} else if (n == sizeof(e->path)) {
		/* Full buffer: cut only if the source goes on past what fit. */
		char next = 0;

		bpf_probe_read_user(&next, 1, upath + sizeof(e->path) - 1);
		if (next)
			e->hdr.flags |= AISEC_F_TRUNC_PATH;
	}
	e->path_len = n;

	size = offsetof(struct aisec_open, path) + n;
	opaque(size);
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->hdr.size = size;
	if (bpf_ringbuf_output(&events, e, size, rb_flags_output(size)))
		stat_inc(AISEC_STAT_RB_DROP);
	return 0;
}

SYS_EXIT_HANDLER(openat, emit_open(regs, ret, AISEC_SYS_OPENAT))
SYS_EXIT_HANDLER(openat2, emit_open(regs, ret, AISEC_SYS_OPENAT2))
/* Legacy open(2) and creat(2) exist on x86_64 but not on arm64: the agent
 * loads these only where the syscall exists. */
SYS_EXIT_HANDLER(open, emit_open(regs, ret, AISEC_SYS_OPEN))
SYS_EXIT_HANDLER(creat, emit_open(regs, ret, AISEC_SYS_CREAT))

/*
 * probe: what this kernel and this process can do, checked rather than
 * assumed. `aisec-rt probe` prints the full report; the loader calls the
 * individual checks before loading so failures name their cause.
 */
#ifndef AISEC_PROBE_H
#define AISEC_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Make sure tracefs is mounted (at /sys/kernel/tracing, or found at
 * /sys/kernel/debug/tracing); mounts it when missing. 0, or -errno with a
 * one-line reason in err. */
int probe__ensure_tracefs(char *err, size_t errlen);

/* Kernel BTF readable at /sys/kernel/btf/vmlinux. */
bool probe__has_btf(void);

/* Whether the kernel's BTF has the kfunc name (e.g. "bpf_rdonly_cast",
 * Linux 6.2+, which the fast SQL capture handlers use). */
bool probe__has_kfunc(const char *name);

/* Whether this process holds what loading and attaching need (CAP_BPF and
 * CAP_PERFMON, or CAP_SYS_ADMIN; plus CAP_SYS_RESOURCE on kernels that charge
 * locked memory for BPF maps). 0, or -EPERM with the missing capability named
 * in err ("missing CAP_BPF (or CAP_SYS_ADMIN): run as root or grant it"). */
int probe__check_privileges(char *err, size_t errlen);

/* Print the full `aisec-rt probe` report to out: kernel release, BTF,
 * tracefs (mounting it if missing), each hook type (syscall tracepoints,
 * raw_tp, tp_btf, fentry/fexit, LSM, kprobes, uprobes, BPF iterators) usable or
 * not and why, ring buffer support, the capabilities held, and which hook set
 * the agent will use. json selects one JSON object instead of text.
 * Returns 0 when the default hook set is usable, 1 when it is not. */
int probe__report(FILE *out, bool json);

#endif /* AISEC_PROBE_H */

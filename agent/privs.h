/*
 * privs: least privilege for the running agent. After the BPF programs are
 * loaded and attached, the agent keeps only the capabilities it needs to run
 * (docs/deploy.md lists them and why), dropped with libcap from the effective,
 * permitted, inheritable, ambient and bounding sets, with no_new_privs set.
 */
#ifndef AISEC_PRIVS_H
#define AISEC_PRIVS_H

#include <stddef.h>
#include <linux/types.h>

/* What the running agent keeps, as a bit mask (1 << CAP_*):
 *   CAP_BPF             map updates, per-CPU counter reads and the task iterator
 *                       are bpf() calls on fds opened before the drop: kernels
 *                       before 6.5 refuse every bpf() call without CAP_BPF when
 *                       kernel.unprivileged_bpf_disabled is set (Debian's
 *                       default); later kernels check only at map creation and
 *                       program load. Ring buffer reads are mmap + epoll.
 *   CAP_SYS_PTRACE      readlink /proc/<pid>/exe and /cwd of other users' processes
 *   CAP_DAC_READ_SEARCH findings, rules and source files that root's uid alone
 *                       cannot read (mode 0600 files of other users), again on
 *                       SIGHUP; nothing the agent reads in /proc needs it
 *                       (tests/unit/test_privs.c). */
__u64 privs__runtime_set(void);

/* Keep exactly the capabilities in keep (1 << CAP_*) in the effective,
 * permitted and bounding sets; clear the inheritable and ambient sets; set
 * no_new_privs. The process stays uid 0. The bounding set is cut only with
 * CAP_SETPCAP in the effective set; without it (a container granted just
 * what the agent needs) it is left as given. Call it before starting any thread:
 * capabilities are per thread, so it refuses (-EBUSY) when others run.
 * 0, or -errno with "step: reason" in err: -EINVAL for a capability the
 * kernel does not know, -EPERM when keep holds one the process lacks (both
 * checked before anything changes), or the errno of the failing step. */
int privs__drop_to(__u64 keep, char *err, size_t errlen);

/* The capability sets and no_new_privs of a process, parsed from the
 * CapInh, CapPrm, CapEff, CapBnd, CapAmb and NoNewPrivs lines of
 * procfs/<pid>/status (procfs NULL: "/proc"; pid 0: "self"). 0, -errno when
 * the file cannot be read, -EINVAL when a Cap line is missing or malformed. */
struct privs_caps {
	__u64 eff, prm, inh, bnd, amb;
	int no_new_privs; /* -1 when the kernel does not say */
};
int privs__read(const char *procfs, int pid, struct privs_caps *out);

/* "cap_dac_read_search,cap_sys_ptrace": libcap's names in ascending order,
 * a number for one libcap does not name, "" for none. Cut between names
 * when len is too small. */
void privs__names(__u64 mask, char *buf, size_t len);

#endif /* AISEC_PRIVS_H */

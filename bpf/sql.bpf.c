// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Database socket payloads: the first payload_max bytes of every successful
 * write/writev/sendto/sendmsg and read/readv/recvfrom/recvmsg a watched
 * process makes on a socket whose peer is a database: a TCP port in db_ports,
 * or a unix socket whose peer path the agent classified in unix_verdict
 * (paths it has not classified yet are sent with AISEC_DIALECT_UNKNOWN until
 * it has). The decision is taken from the socket at each call, so connections
 * opened before the agent started are captured too. Reads are captured at
 * exit, with the byte count they returned. One handler per syscall
 * (SYS_EXIT_HANDLER, common.bpf.h), run for watched processes only; the agent
 * loads them only with SQL capture on.
 */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>

/* Most bytes copied per syscall, at most AISEC_PAYLOAD_MAX (set before load). */
const volatile __u32 payload_max = 4096;

/* Database TCP ports (peer port, host order) -> enum aisec_dialect. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} db_ports SEC(".maps");

/* Unix socket peer paths (zero-padded sun_path) -> enum aisec_dialect, with
 * AISEC_DIALECT_NONE for paths the agent found not to be databases. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, char[128]);
	__type(value, __u8);
} unix_verdict SEC(".maps");

/* Payload records are built here: one slot per CPU (the loader sizes it to
 * the possible CPUs), as a plain array because a per-CPU value is limited to
 * 32 KiB. Room past data[] lets a copy at a variable offset below
 * AISEC_PAYLOAD_MAX, of a size below it, be provably in bounds. Programs on
 * sys_exit (the dispatcher and the syscall tracepoints alike) run with
 * preemption off and do not nest on a CPU, so a slot has one user at a time. */
struct payload_slot {
	struct aisec_payload p;
	char slack[AISEC_PAYLOAD_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct payload_slot);
} payload_scratch SEC(".maps");

#define MAX_IOV 8

struct iovec_user {
	void *base;
	__u64 len;
};

/* Copy up to want bytes from user memory at src to data[off...]. */
static __always_inline __u32 copy_chunk(struct aisec_payload *e, __u64 off, const void *src, __u64 want)
{
	/* 64-bit throughout: the bound checked must be the register passed. */
	__u64 room = off < payload_max ? payload_max - off : 0;
	__u64 n = want > room ? room : want;

	opaque(n);
	opaque(off);
	if (off >= AISEC_PAYLOAD_MAX || n > AISEC_PAYLOAD_MAX || n == 0)
		return 0;
	if (bpf_probe_read_user(e->data + off, n, src))
		return 0;
	return n;
}

/* Copy from an iovec array: moved bytes spread over the vectors in order. */
static __always_inline __u32 copy_iov(struct aisec_payload *e, const struct iovec_user *iov, __u64 iovcnt,
				      __u64 moved)
{
	__u32 off = 0;

#pragma unroll
	for (int i = 0; i < MAX_IOV; i++) {
		struct iovec_user v;
		__u64 want;
		__u32 n;

		if (i >= iovcnt || moved == 0 || off >= payload_max)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), &iov[i]))
			break;
		want = v.len < moved ? v.len : moved;
		moved -= want;
		n = copy_chunk(e, off, v.base, want);
		if (n < want && off + n < payload_max)
			break; /* a read failed: what we have is contiguous */
		off += n;
	}
	return off;
}

/* Fill peer fields and the dialect; false when the socket is not a database. */
static __always_inline bool classify(struct aisec_payload *e, struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u8 *d;

	e->family = family;
	if (family == AF_INET || family == AF_INET6) {
		__u16 port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

		d = bpf_map_lookup_elem(&db_ports, &port);
		if (!d)
			return false;
		e->dialect = *d;
		e->port = port;
		if (family == AF_INET) {
			__u32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

			__builtin_memcpy(e->addr, &a, 4);
		} else {
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
		return true;
	}
	if (family == AF_UNIX) {
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		struct unix_address *ua;
		int len;

		if (!peer)
			return false;
		ua = BPF_CORE_READ((struct unix_sock *)peer, addr);
		if (!ua)
			return false;
		len = BPF_CORE_READ(ua, len) - (int)sizeof(__u16);
		if (len <= 0)
			return false;
		if (len > AISEC_UNIX_PATH_MAX)
			len = AISEC_UNIX_PATH_MAX;
		opaque(len);
		if (bpf_probe_read_kernel(e->unix_path, len & 0x7f, &ua->name[0].sun_path))
			return false;
		e->unix_len = len;
		d = bpf_map_lookup_elem(&unix_verdict, e->unix_path);
		if (d && *d == AISEC_DIALECT_NONE)
			return false;
		e->dialect = d ? *d : AISEC_DIALECT_UNKNOWN;
		return true;
	}
	return false;
}

static __always_inline int capture(struct pt_regs *regs, long ret, __u32 sys, __u8 dir)
{
	struct syscall_args a;
	struct aisec_payload *e;
	__u32 cpu, size, n;
	struct sock *sk;
	__u64 ino = 0;

	/* Nothing moved, nothing to see: decided before any read. */
	if (ret <= 0)
		return 0;
	syscall_args(regs, &a);
	sk = sock_from_fd(a.a[0], &ino);
	if (!sk)
		return 0;
	cpu = bpf_get_smp_processor_id();
	e = bpf_map_lookup_elem(&payload_scratch, &cpu);
	if (!e)
		return 0;
	__builtin_memset(e->unix_path, 0, sizeof(e->unix_path));
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->unix_len = 0;
	e->port = 0;
	if (!classify(e, sk))
		return 0;

	fill_hdr(&e->hdr, AISEC_EV_PAYLOAD, sys);
	e->sock_ino = ino;
	e->ret = ret;
	e->fd = (__s32)a.a[0];
	e->dir = dir;
	if (sys == AISEC_SYS_WRITEV || sys == AISEC_SYS_READV) {
		n = copy_iov(e, (const struct iovec_user *)a.a[1], a.a[2], ret);
	} else if (sys == AISEC_SYS_SENDMSG || sys == AISEC_SYS_RECVMSG) {
		struct user_msghdr mh = {};

		n = 0;
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)a.a[1]) == 0)
			n = copy_iov(e, (const struct iovec_user *)mh.msg_iov, mh.msg_iovlen, ret);
	} else {
		n = copy_chunk(e, 0, (const void *)a.a[1], ret);
	}
	if (n < ret && n < payload_max) {
		/* Fewer bytes than moved and than allowed: a read failed. */
		e->hdr.flags |= AISEC_F_READ_FAIL;
		stat_inc(AISEC_STAT_READ_FAIL);
	}
	e->captured = n;

	size = offsetof(struct aisec_payload, data) + n;
	opaque(size);
	if (size > sizeof(struct aisec_payload))
		size = sizeof(struct aisec_payload);
	e->hdr.size = size;
	if (bpf_ringbuf_output(&events, e, size, rb_flags()))
		stat_inc(AISEC_STAT_RB_DROP);
	return 0;
}

SYS_EXIT_HANDLER(write, capture(regs, ret, AISEC_SYS_WRITE, 0))
SYS_EXIT_HANDLER(writev, capture(regs, ret, AISEC_SYS_WRITEV, 0))
SYS_EXIT_HANDLER(sendto, capture(regs, ret, AISEC_SYS_SENDTO, 0))
SYS_EXIT_HANDLER(sendmsg, capture(regs, ret, AISEC_SYS_SENDMSG, 0))
SYS_EXIT_HANDLER(read, capture(regs, ret, AISEC_SYS_READ, 1))
SYS_EXIT_HANDLER(readv, capture(regs, ret, AISEC_SYS_READV, 1))
SYS_EXIT_HANDLER(recvfrom, capture(regs, ret, AISEC_SYS_RECVFROM, 1))
SYS_EXIT_HANDLER(recvmsg, capture(regs, ret, AISEC_SYS_RECVMSG, 1))

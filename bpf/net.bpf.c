// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Network: connect, accept/accept4, bind and listen, one sys_exit handler each
 * (SYS_EXIT_HANDLER, common.bpf.h), run for watched processes only (arguments
 * from the saved registers). Records carry the
 * address the caller passed (connect, bind) or the one the kernel socket holds
 * (accept: the peer of the new fd; listen: the bound address).
 */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>

/* Fill the local end (and the peer too when peer is set) from a kernel socket. */
static __always_inline void fill_from_sock(struct aisec_net *e, struct sock *sk, bool peer)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	e->family = family;
	e->sock_type = BPF_CORE_READ(sk, sk_type);
	if (family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(e->laddr, &l, 4);
		e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		if (peer) {
			__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);

			__builtin_memcpy(e->addr, &d, 4);
			e->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		}
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		if (peer) {
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
			e->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		}
	} else if (family == AF_UNIX) {
		/* A unix socket's name is the listener's path, shared with accepted sockets. */
		struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		int len;

		if (!ua)
			return;
		len = BPF_CORE_READ(ua, len) - (int)sizeof(__u16);
		if (len <= 0)
			return;
		if (len > AISEC_UNIX_PATH_MAX)
			len = AISEC_UNIX_PATH_MAX;
		opaque(len);
		if (bpf_probe_read_kernel(e->unix_path, len & 0x7f, &ua->name[0].sun_path) == 0)
			e->unix_len = len;
	}
}

/* Fill the address from a sockaddr the caller passed. */
static __always_inline void fill_from_user(struct aisec_net *e, const void *uaddr, __u64 addrlen)
{
	__u16 family = 0;

	if (!uaddr || bpf_probe_read_user(&family, sizeof(family), uaddr)) {
		e->hdr.flags |= AISEC_F_READ_FAIL;
		stat_inc(AISEC_STAT_READ_FAIL);
		return;
	}
	e->family = family;
	if (family == AF_INET) {
		struct sockaddr_in sin = {};

		bpf_probe_read_user(&sin, sizeof(sin), uaddr);
		e->port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(e->addr, &sin.sin_addr.s_addr, 4);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};

		bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
		e->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(e->addr, &sin6.sin6_addr.in6_u.u6_addr8, 16);
	} else if (family == AF_UNIX) {
		__u64 len = addrlen > sizeof(__u16) ? addrlen - sizeof(__u16) : 0;

		if (len > AISEC_UNIX_PATH_MAX)
			len = AISEC_UNIX_PATH_MAX;
		opaque(len);
		if (len && bpf_probe_read_user(e->unix_path, len & 0x7f, (const char *)uaddr + 2) == 0)
			e->unix_len = len;
	}
}

/* Reserve and zero a net record with the header filled in. */
static __always_inline struct aisec_net *net_reserve(__u32 kind, __u32 sys, long ret, __u64 fd)
{
	struct aisec_net *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(AISEC_STAT_RB_DROP);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_hdr(&e->hdr, kind, sys);
	e->hdr.size = sizeof(*e);
	e->ret = ret;
	e->fd = (__s32)fd;
	return e;
}

static __always_inline int emit_connect(struct pt_regs *regs, long ret)
{
	struct syscall_args a;
	struct aisec_net *e;
	struct sock *sk;

	syscall_args(regs, &a);
	e = net_reserve(AISEC_EV_CONNECT, AISEC_SYS_CONNECT, ret, a.a[0]);
	if (!e)
		return 0;
	/* Local end first (the port the kernel picked), then the target as given. */
	sk = sock_from_fd(a.a[0], NULL);
	if (sk)
		fill_from_sock(e, sk, false);
	if (e->family == AF_UNIX) {
		e->unix_len = 0;
		__builtin_memset(e->unix_path, 0, sizeof(e->unix_path));
	}
	fill_from_user(e, (const void *)a.a[1], a.a[2]);
	bpf_ringbuf_submit(e, rb_flags_submit(sizeof(*e)));
	return 0;
}

static __always_inline int emit_bind(struct pt_regs *regs, long ret)
{
	struct syscall_args a;
	struct aisec_net *e;
	struct sock *sk;

	syscall_args(regs, &a);
	e = net_reserve(AISEC_EV_BIND, AISEC_SYS_BIND, ret, a.a[0]);
	if (!e)
		return 0;
	fill_from_user(e, (const void *)a.a[1], a.a[2]);
	/* Port 0 binds get their real port from the socket. */
	e->lport = e->port;
	__builtin_memcpy(e->laddr, e->addr, sizeof(e->laddr));
	sk = sock_from_fd(a.a[0], NULL);
	if (sk) {
		e->sock_type = BPF_CORE_READ(sk, sk_type);
		if (ret == 0 && e->family != AF_UNIX)
			e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	}
	bpf_ringbuf_submit(e, rb_flags_submit(sizeof(*e)));
	return 0;
}

static __always_inline int emit_listen(struct pt_regs *regs, long ret)
{
	struct syscall_args a;
	struct aisec_net *e;
	struct sock *sk;

	syscall_args(regs, &a);
	e = net_reserve(AISEC_EV_LISTEN, AISEC_SYS_LISTEN, ret, a.a[0]);
	if (!e)
		return 0;
	e->backlog = (__u32)a.a[1];
	sk = sock_from_fd(a.a[0], NULL);
	if (sk)
		fill_from_sock(e, sk, false);
	bpf_ringbuf_submit(e, rb_flags_submit(sizeof(*e)));
	return 0;
}

static __always_inline int emit_accept(struct pt_regs *regs, long ret, __u32 sys)
{
	struct syscall_args a;
	struct aisec_net *e;
	struct sock *sk;

	syscall_args(regs, &a);
	e = net_reserve(AISEC_EV_ACCEPT, sys, ret, a.a[0]);
	if (!e)
		return 0;
	/* The new fd's socket knows both ends, even when the caller passed no sockaddr. */
	sk = ret >= 0 ? sock_from_fd(ret, NULL) : sock_from_fd(a.a[0], NULL);
	if (sk)
		fill_from_sock(e, sk, ret >= 0);
	bpf_ringbuf_submit(e, rb_flags_submit(sizeof(*e)));
	return 0;
}

SYS_EXIT_HANDLER(connect, emit_connect(regs, ret))
SYS_EXIT_HANDLER(bind, emit_bind(regs, ret))
SYS_EXIT_HANDLER(listen, emit_listen(regs, ret))
SYS_EXIT_HANDLER(accept, emit_accept(regs, ret, AISEC_SYS_ACCEPT))
SYS_EXIT_HANDLER(accept4, emit_accept(regs, ret, AISEC_SYS_ACCEPT4))

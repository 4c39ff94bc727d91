// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Database socket payloads: the first payload_max bytes of every successful
 * write/writev/sendto/sendmsg and read/readv/recvfrom/recvmsg a watched
 * process makes on a socket whose peer is a database: a TCP port in db_ports,
 * or a unix socket whose peer path the agent classified in unix_verdict
 * (paths it has not classified yet are sent with AISEC_DIALECT_UNKNOWN until
 * it has). The decision is taken from the socket itself, at its first call
 * by a watched process, and remembered per socket (sock_class), so
 * connections opened before the agent started are captured too. Reads are
 * captured at exit, with the byte count they returned. One handler per
 * syscall in two builds (SQL_HANDLER below), run for watched processes only;
 * the agent loads them only with SQL capture on.
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

/* bpf_rdonly_cast (Linux 6.2+, a kfunc the verifier turns into a register
 * move): gives a plain pointer read from the fd table a BTF type, so the
 * fast handlers follow file -> socket -> sock with plain loads instead of a
 * bpf_probe_read_kernel call per field. __weak: on older kernels the agent
 * loads the _compat handlers, which do not use it (agent/loader.c). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* The bytes of struct aisec_payload that describe the peer (family up to
 * unix_path, dir included but rewritten per record): what classify() finds. */
#define PEER_OFF __builtin_offsetof(struct aisec_payload, family)
#define PEER_BYTES (__builtin_offsetof(struct aisec_payload, data) - PEER_OFF)
#define PEER_DIALECT (__builtin_offsetof(struct aisec_payload, dialect) - PEER_OFF)

/* Sockets already classified, keyed by the address of their struct sock:
 * what classify() found, so a connection pays for it once (a unix peer path
 * read and a 128-byte hash) instead of at every call. ino is the socket's
 * inode number, checked at every use: a freed sock's memory soon holds
 * another socket, never one with the same inode number. Negative answers
 * (AISEC_DIALECT_NONE) are kept too, so a watched service's other sockets
 * (HTTP, logs) cost one lookup. A socket's peer does not change once it has
 * moved data (connected stream sockets; databases are not reached over
 * datagrams); unix peers the agent has not classified yet are not kept. */
struct sock_class {
	__u64 ino;
	char peer[PEER_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct sock_class);
} sock_class SEC(".maps");

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

/* The struct sock behind socket fd of the current task, with typed loads
 * (kernels with bpf_rdonly_cast); *ino gets the socket's inode number. Only
 * the fd table slot needs a helper: its index is a run-time value. */
static __always_inline struct sock *sock_from_fd_btf(struct task_struct *task, long fd, __u64 *ino)
{
	struct fdtable *fdt = task->files->fdt;
	struct file *f = NULL;
	struct socket *sock;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]) || !f)
		return NULL;
	f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	/* private_data is only a socket if the socket points back at the file. */
	if (!sock || (__u64)sock->file != (__u64)f)
		return NULL;
	*ino = f->f_inode->i_ino;
	return sock->sk;
}

/* Peer fields of e for sk: from sock_class when this socket was classified
 * before, else classify() and remember the answer. False: not a database. */
static __always_inline bool peer_of(struct aisec_payload *e, struct sock *sk, __u64 ino)
{
	__u64 key = (__u64)sk;
	struct sock_class *c = bpf_map_lookup_elem(&sock_class, &key);
	struct sock_class fresh;
	bool db;

	if (c && c->ino == ino) {
		if (c->peer[PEER_DIALECT] == AISEC_DIALECT_NONE)
			return false;
		__builtin_memcpy(&e->family, c->peer, PEER_BYTES);
		return true;
	}
	__builtin_memset(&e->family, 0, PEER_BYTES);
	db = classify(e, sk);
	if (!db)
		e->dialect = AISEC_DIALECT_NONE;
	else if (e->dialect == AISEC_DIALECT_UNKNOWN)
		return true; /* asked again until the agent has classified the path */
	fresh.ino = ino;
	__builtin_memcpy(fresh.peer, &e->family, PEER_BYTES);
	bpf_map_update_elem(&sock_class, &key, &fresh, BPF_ANY);
	return db;
}

/* fast: the handler for kernels with bpf_rdonly_cast (a constant: each
 * handler is compiled for one). */
static __always_inline int capture(struct pt_regs *regs, long ret, __u32 sys, __u8 dir, const bool fast)
{
	struct syscall_args a;
	struct task_struct *task;
	struct aisec_payload *e;
	__u32 cpu, size, n;
	struct sock *sk;
	__u64 ino = 0;

	/* Nothing moved, nothing to see: decided before any read. */
	if (ret <= 0)
		return 0;
	syscall_args(regs, &a);
	task = bpf_get_current_task_btf();
	sk = fast ? sock_from_fd_btf(task, a.a[0], &ino) : sock_from_fd(a.a[0], &ino);
	if (!sk)
		return 0;
	cpu = bpf_get_smp_processor_id();
	e = bpf_map_lookup_elem(&payload_scratch, &cpu);
	if (!e)
		return 0;
	if (!peer_of(e, sk, ino))
		return 0;

	fill_hdr_task(&e->hdr, task, AISEC_EV_PAYLOAD, sys);
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
	if (bpf_ringbuf_output(&events, e, size, rb_flags_output(size)))
		stat_inc(AISEC_STAT_RB_DROP);
	return 0;
}

/* Three ways in per syscall: tail_sys_exit_<name> for the dispatcher on
 * kernels with bpf_rdonly_cast, tail_sys_exit_<name>_compat for it on older
 * ones, and the syscall's own tracepoint (SYS_EXIT_TP, common.bpf.h; the
 * loader uses the dispatcher whenever SQL capture is on). */
#define SQL_HANDLER(name, sys, dir)                                                                                    \
	SYS_EXIT_TAIL(tail_sys_exit_##name, capture(regs, ret, sys, dir, true))                                        \
	SYS_EXIT_TAIL(tail_sys_exit_##name##_compat, capture(regs, ret, sys, dir, false))                              \
	SYS_EXIT_TP(name, capture(regs, ret, sys, dir, false))

SQL_HANDLER(write, AISEC_SYS_WRITE, 0)
SQL_HANDLER(writev, AISEC_SYS_WRITEV, 0)
SQL_HANDLER(sendto, AISEC_SYS_SENDTO, 0)
SQL_HANDLER(sendmsg, AISEC_SYS_SENDMSG, 0)
SQL_HANDLER(read, AISEC_SYS_READ, 1)
SQL_HANDLER(readv, AISEC_SYS_READV, 1)
SQL_HANDLER(recvfrom, AISEC_SYS_RECVFROM, 1)
SQL_HANDLER(recvmsg, AISEC_SYS_RECVMSG, 1)

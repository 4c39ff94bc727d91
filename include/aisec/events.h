/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record ABI shared by the kernel programs (bpf/) and the agent (agent/).
 *
 * Every record in the ring buffer starts with struct aisec_hdr; hdr.kind says
 * which struct follows and hdr.size how many bytes the record really holds
 * (variable-length records end in a byte array that is only partly sent).
 * Plain __u32-style types only, explicit padding, no includes: the BPF side
 * gets the types from vmlinux.h, the agent from <linux/types.h>. The agent
 * checks sizes and offsets with _Static_assert (agent/events.c).
 */
#ifndef AISEC_EVENTS_H
#define AISEC_EVENTS_H

#define AISEC_ABI_VERSION 1

#define AISEC_COMM_LEN 16
/* Paths given to open(2): PATH_MAX, sent as long as they really are. */
#define AISEC_PATH_MAX 4096
/* exec: filename as given to execve, and the argv block read from the new mm. */
#define AISEC_EXEC_FILENAME_MAX 512
#define AISEC_EXEC_ARGV_MAX 4096
#define AISEC_UNIX_PATH_MAX 108
/* DB-socket payloads: most bytes captured per syscall (the run-time setting
 * payload_max is at most this). */
#define AISEC_PAYLOAD_MAX 16384

enum aisec_kind {
	AISEC_EV_EXEC = 1,
	AISEC_EV_FORK = 2,
	AISEC_EV_EXIT = 3,
	AISEC_EV_OPEN = 4,
	AISEC_EV_CONNECT = 5,
	AISEC_EV_ACCEPT = 6,
	AISEC_EV_BIND = 7,
	AISEC_EV_LISTEN = 8,
	AISEC_EV_PAYLOAD = 9,   /* bytes moved on a database socket (decoded into sql events) */
	AISEC_EV_CGROUP_GONE = 10, /* selection (run): cgroup hdr.cgroup_id was removed; header only */
	AISEC_EV_KIND_MAX = 11,
};

/* Per-CPU counters in the "stats" map; userspace sums them over CPUs. */
enum aisec_stat {
	AISEC_STAT_RB_DROP = 0,     /* record could not be reserved in the ring buffer */
	AISEC_STAT_WATCH_FULL,      /* a forked child's pid is outside the watched bitmap */
	AISEC_STAT_READ_FAIL,       /* a user/kernel read failed (record still sent, field empty) */
	AISEC_STAT_WAKEUPS,         /* forced wakeups of the consumer */
	AISEC_STAT_MAX,
};

/* hdr.flags */
#define AISEC_F_TRUNC_PATH (1U << 0)     /* open path or exec filename cut at its max */
#define AISEC_F_TRUNC_ARGV (1U << 1)     /* argv block cut at AISEC_EXEC_ARGV_MAX */
#define AISEC_F_READ_FAIL (1U << 2)      /* a variable field could not be read */
#define AISEC_F_SELECT (1U << 3)         /* exec of a process that is not watched, sent for the
					  * agent to decide (selection by cgroup, `run`) */

/* Values of the cgroup_verdict map (selection by cgroup, `run`). */
enum aisec_cg_verdict {
	AISEC_CG_IGNORE = 0,        /* no process in this cgroup is watched */
	AISEC_CG_SELECT = 1,        /* every process that execs in (or moves into) it is watched */
	AISEC_CG_PER_PROCESS = 2,   /* report each exec of an unwatched process (AISEC_F_SELECT) */
};
#define AISEC_CG_MAX_ENTRIES 65536

/* hdr.syscall for open and net records */
enum aisec_syscall {
	AISEC_SYS_NONE = 0,
	AISEC_SYS_OPENAT = 1,
	AISEC_SYS_OPENAT2 = 2,
	AISEC_SYS_CONNECT = 3,
	AISEC_SYS_ACCEPT = 4,
	AISEC_SYS_ACCEPT4 = 5,
	AISEC_SYS_BIND = 6,
	AISEC_SYS_LISTEN = 7,
	AISEC_SYS_OPEN = 8,
	AISEC_SYS_CREAT = 9,
	AISEC_SYS_WRITE = 10,
	AISEC_SYS_WRITEV = 11,
	AISEC_SYS_SENDTO = 12,
	AISEC_SYS_SENDMSG = 13,
	AISEC_SYS_READ = 14,
	AISEC_SYS_READV = 15,
	AISEC_SYS_RECVFROM = 16,
	AISEC_SYS_RECVMSG = 17,
};

/* Values of aisec_payload.dialect and of the db_ports / unix_verdict maps. */
enum aisec_dialect {
	AISEC_DIALECT_NONE = 0,      /* not a database socket (unix_verdict only) */
	AISEC_DIALECT_POSTGRES = 1,
	AISEC_DIALECT_MYSQL = 2,
	AISEC_DIALECT_UNKNOWN = 255, /* unix socket not classified yet: the agent decides by path */
};

struct aisec_hdr {
	__u64 ts_ns;        /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;    /* cgroup v2 id of the task */
	__u32 kind;         /* enum aisec_kind */
	__u32 size;         /* bytes of the whole record, header included */
	__u32 pid;          /* tgid */
	__u32 tid;
	__u32 ppid;         /* tgid of real_parent */
	__u32 uid;
	__u16 syscall;      /* enum aisec_syscall, 0 for sched events */
	__u16 flags;        /* AISEC_F_* */
	__u32 _pad;
	char comm[AISEC_COMM_LEN];
};

/* fork: the header describes the new child; hdr.ppid is the forking parent. */
struct aisec_fork {
	struct aisec_hdr hdr;
	__u32 parent_tid;
	__u32 _pad;
};

/* exit: the last thread of a thread group died. */
struct aisec_exit {
	struct aisec_hdr hdr;
	__u32 status;       /* raw wait status: code << 8 | signal | 0x80 core */
	__u32 _pad;
};

/* exec: filename (NUL-terminated, as given to execve) and the argv block
 * (NUL-separated) read from the new mm. Only argv_len bytes of argv[] are sent. */
struct aisec_exec {
	struct aisec_hdr hdr;
	__u32 filename_len; /* bytes in filename[], NUL included; 0 if unreadable */
	__u32 argv_len;     /* bytes sent in argv[] */
	__u64 argv_total;   /* real size of the argv block in the new mm */
	char filename[AISEC_EXEC_FILENAME_MAX];
	char argv[AISEC_EXEC_ARGV_MAX];
};

/* open: openat/openat2/open/creat, sent at sys_exit with the return value. */
struct aisec_open {
	struct aisec_hdr hdr;
	__s64 ret;          /* fd, or -errno */
	__s32 dirfd;
	__u32 path_len;     /* bytes in path[], NUL included; 0 if unreadable */
	__u64 flags;        /* O_* */
	__u64 mode;
	__u64 resolve;      /* openat2 RESOLVE_*, 0 for openat */
	char path[AISEC_PATH_MAX];
};

/* connect/accept/bind/listen. For connect and bind, addr is the sockaddr the
 * caller passed; for accept, addr is the peer of the new socket and laddr the
 * local end; for listen, laddr is the bound address read from the socket. */
struct aisec_net {
	struct aisec_hdr hdr;
	__s64 ret;          /* 0 / new fd, or -errno (-EINPROGRESS for non-blocking) */
	__s32 fd;           /* socket the call was made on */
	__u32 backlog;      /* listen only */
	__u16 family;       /* AF_INET, AF_INET6, AF_UNIX, or 0 */
	__u16 port;         /* host byte order */
	__u16 lport;        /* host byte order */
	__u16 sock_type;    /* SOCK_STREAM, ... when known, else 0 */
	__u8 addr[16];      /* IPv4 in the first 4 bytes, network order */
	__u8 laddr[16];
	__u32 unix_len;     /* bytes of unix_path that are meaningful, <= AISEC_UNIX_PATH_MAX */
	char unix_path[128]; /* AF_UNIX sun_path (108 bytes; 128 so BPF can bound reads by a mask);
			      * abstract names start with a NUL */
	__u32 _pad2;
};

/* payload: the first `captured` bytes a watched process wrote to or read
 * from a database socket in one syscall, which moved `ret` bytes in all.
 * Sent at sys_exit, for successful calls only. Only captured bytes of data[]
 * are sent. */
struct aisec_payload {
	struct aisec_hdr hdr;
	__u64 sock_ino;     /* inode of the socket: the connection's id while it lives */
	__s64 ret;          /* bytes the syscall moved */
	__s32 fd;
	__u32 captured;     /* bytes in data[] (<= ret) */
	__u16 family;       /* AF_INET, AF_INET6 or AF_UNIX */
	__u16 port;         /* peer port, host order (inet) */
	__u8 dir;           /* 0: written (to the server), 1: read (from it) */
	__u8 dialect;       /* enum aisec_dialect */
	__u16 unix_len;     /* bytes of unix_path that are meaningful */
	__u8 addr[16];      /* peer address (inet) */
	char unix_path[128];/* AF_UNIX: the peer's bound path (the server socket), zero-padded */
	char data[AISEC_PAYLOAD_MAX];
};

#endif /* AISEC_EVENTS_H */

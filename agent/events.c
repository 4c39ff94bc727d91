/*
 * events: record decoding and ABI checks between include/aisec/events.h as
 * the BPF side compiled it and as the agent reads it.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "events.h"

/* The layout both sides must agree on. A change here is an ABI change. */
_Static_assert(sizeof(struct aisec_hdr) == 64, "aisec_hdr size");
_Static_assert(offsetof(struct aisec_hdr, kind) == 16, "aisec_hdr.kind offset");
_Static_assert(offsetof(struct aisec_hdr, comm) == 48, "aisec_hdr.comm offset");
_Static_assert(sizeof(struct aisec_fork) == 72, "aisec_fork size");
_Static_assert(sizeof(struct aisec_exit) == 72, "aisec_exit size");
_Static_assert(offsetof(struct aisec_exec, filename) == 80, "aisec_exec.filename offset");
_Static_assert(offsetof(struct aisec_exec, argv) == 80 + AISEC_EXEC_FILENAME_MAX, "aisec_exec.argv offset");
_Static_assert(offsetof(struct aisec_open, path) == 104, "aisec_open.path offset");
_Static_assert(sizeof(struct aisec_net) == 256, "aisec_net size");
_Static_assert(offsetof(struct aisec_net, unix_path) == 124, "aisec_net.unix_path offset");
_Static_assert(offsetof(struct aisec_payload, sock_ino) == 64, "aisec_payload.sock_ino offset");
_Static_assert(offsetof(struct aisec_payload, unix_path) == 112, "aisec_payload.unix_path offset");
_Static_assert(offsetof(struct aisec_payload, data) == 240, "aisec_payload.data offset");

const char *events__kind_name(unsigned kind)
{
	static const char *const names[AISEC_EV_KIND_MAX] = {
		[AISEC_EV_EXEC] = "exec",       [AISEC_EV_FORK] = "fork",     [AISEC_EV_EXIT] = "exit",
		[AISEC_EV_OPEN] = "open",       [AISEC_EV_CONNECT] = "connect", [AISEC_EV_ACCEPT] = "accept",
		[AISEC_EV_BIND] = "bind",       [AISEC_EV_LISTEN] = "listen",   [AISEC_EV_PAYLOAD] = "payload",
		[AISEC_EV_CGROUP_GONE] = "cgroup_gone",
	};

	if (kind >= AISEC_EV_KIND_MAX || !names[kind])
		return "unknown";
	return names[kind];
}

const char *events__syscall_name(unsigned sys)
{
	switch (sys) {
	case AISEC_SYS_OPENAT:
		return "openat";
	case AISEC_SYS_OPENAT2:
		return "openat2";
	case AISEC_SYS_CONNECT:
		return "connect";
	case AISEC_SYS_ACCEPT:
		return "accept";
	case AISEC_SYS_ACCEPT4:
		return "accept4";
	case AISEC_SYS_BIND:
		return "bind";
	case AISEC_SYS_LISTEN:
		return "listen";
	case AISEC_SYS_OPEN:
		return "open";
	case AISEC_SYS_CREAT:
		return "creat";
	case AISEC_SYS_WRITE:
		return "write";
	case AISEC_SYS_WRITEV:
		return "writev";
	case AISEC_SYS_SENDTO:
		return "sendto";
	case AISEC_SYS_SENDMSG:
		return "sendmsg";
	case AISEC_SYS_READ:
		return "read";
	case AISEC_SYS_READV:
		return "readv";
	case AISEC_SYS_RECVFROM:
		return "recvfrom";
	case AISEC_SYS_RECVMSG:
		return "recvmsg";
	default:
		return "";
	}
}

/* A string field of cap bytes of which the kernel says len are used (NUL
 * included). Returns it if it is terminated inside len, else "" and sets *bad. */
static const char *checked_str(const char *field, size_t cap, size_t len, bool *bad)
{
	if (len == 0)
		return "";
	if (len > cap || field[len - 1] != '\0') {
		*bad = true;
		return "";
	}
	return field;
}

/* Split the NUL-separated argv block into ev->argv, copying it so the last
 * argument is terminated even when the kernel cut it. */
static void split_argv(struct event *ev, const char *block, size_t len, bool cut)
{
	size_t i = 0;

	memcpy(ev->argv_buf, block, len);
	ev->argv_buf[len] = '\0';
	ev->argc = 0;
	ev->argv_truncated = cut;
	while (i < len) {
		if (ev->argc == EVENT_ARGV_MAX) {
			ev->argv_truncated = true;
			break;
		}
		ev->argv[ev->argc++] = ev->argv_buf + i;
		i += strlen(ev->argv_buf + i) + 1;
	}
}

int events__decode(const void *data, size_t size, struct event *ev)
{
	const struct aisec_hdr *h = data;
	bool bad = false;

	if (!data || size < sizeof(*h))
		return -EINVAL;
	if (h->size != size)
		return -EPROTO;
	ev->hdr = h;
	ev->kind = h->kind;
	memcpy(ev->comm, h->comm, AISEC_COMM_LEN);
	ev->comm[AISEC_COMM_LEN] = '\0';

	switch (h->kind) {
	case AISEC_EV_FORK:
		if (size != sizeof(struct aisec_fork))
			return -EINVAL;
		ev->raw.fork = data;
		return 0;
	case AISEC_EV_EXIT: {
		__u32 st;

		if (size != sizeof(struct aisec_exit))
			return -EINVAL;
		ev->raw.exit = data;
		st = ev->raw.exit->status;
		ev->exit_signal = st & 0x7f;
		ev->core_dumped = (st & 0x80) != 0;
		ev->exit_code = ev->exit_signal ? 128 + ev->exit_signal : (int)((st >> 8) & 0xff);
		return 0;
	}
	case AISEC_EV_EXEC: {
		const struct aisec_exec *e = data;

		if (size < offsetof(struct aisec_exec, argv) ||
		    e->argv_len > AISEC_EXEC_ARGV_MAX ||
		    size != offsetof(struct aisec_exec, argv) + e->argv_len)
			return -EINVAL;
		ev->raw.exec = e;
		ev->filename = checked_str(e->filename, sizeof(e->filename), e->filename_len, &bad);
		if (bad)
			return -EINVAL;
		ev->filename_truncated = (h->flags & AISEC_F_TRUNC_PATH) != 0;
		split_argv(ev, e->argv, e->argv_len,
			   (h->flags & AISEC_F_TRUNC_ARGV) != 0 || e->argv_total > e->argv_len);
		return 0;
	}
	case AISEC_EV_OPEN: {
		const struct aisec_open *o = data;

		if (size < offsetof(struct aisec_open, path) || o->path_len > AISEC_PATH_MAX ||
		    size != offsetof(struct aisec_open, path) + o->path_len)
			return -EINVAL;
		ev->raw.open = o;
		ev->path = checked_str(o->path, sizeof(o->path), o->path_len, &bad);
		if (bad)
			return -EINVAL;
		ev->path_truncated = (h->flags & AISEC_F_TRUNC_PATH) != 0;
		return 0;
	}
	case AISEC_EV_CONNECT:
	case AISEC_EV_ACCEPT:
	case AISEC_EV_BIND:
	case AISEC_EV_LISTEN:
		if (size != sizeof(struct aisec_net))
			return -EINVAL;
		ev->raw.net = data;
		if (ev->raw.net->unix_len > AISEC_UNIX_PATH_MAX)
			return -EINVAL;
		return 0;
	case AISEC_EV_PAYLOAD: {
		const struct aisec_payload *p = data;

		if (size < offsetof(struct aisec_payload, data) || p->captured > AISEC_PAYLOAD_MAX ||
		    size != offsetof(struct aisec_payload, data) + p->captured || p->ret < 0 ||
		    (__u64)p->ret < p->captured || p->unix_len > AISEC_UNIX_PATH_MAX || p->dir > 1)
			return -EINVAL;
		ev->raw.payload = p;
		return 0;
	}
	case AISEC_EV_CGROUP_GONE:
		/* Header only: the removed cgroup is hdr.cgroup_id. */
		if (size != sizeof(struct aisec_hdr))
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * events: turn one raw ring-buffer record into a checked, typed view.
 * Nothing past the record's real length is ever read, and every string a
 * view hands out is NUL-terminated, whatever the kernel sent.
 */
#ifndef AISEC_EVENTS_DECODE_H
#define AISEC_EVENTS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "aisec/events.h"

/* Most argv entries kept per exec; more set argv_truncated. */
#define EVENT_ARGV_MAX 64

struct event {
	const struct aisec_hdr *hdr; /* points into the record */
	enum aisec_kind kind;
	char comm[AISEC_COMM_LEN + 1];
	union {
		const struct aisec_fork *fork;
		const struct aisec_exit *exit;
		const struct aisec_exec *exec;
		const struct aisec_open *open;
		const struct aisec_net *net;
		const struct aisec_payload *payload;
	} raw;

	/* exec */
	const char *filename;  /* "" when the kernel could not read it */
	bool filename_truncated;
	const char *argv[EVENT_ARGV_MAX];
	size_t argc;
	bool argv_truncated;   /* cut by size in the kernel or by EVENT_ARGV_MAX here */
	char argv_buf[AISEC_EXEC_ARGV_MAX + 1];

	/* open */
	const char *path;      /* "" when unreadable */
	bool path_truncated;

	/* exit */
	int exit_code;
	int exit_signal;       /* 0 when the process exited normally */
	bool core_dumped;
};

/* Decode size bytes at data into ev. 0, or -EINVAL when the record is
 * malformed (short, inconsistent sizes, unknown kind), -EPROTO when its
 * header claims another size than the ring buffer delivered. */
int events__decode(const void *data, size_t size, struct event *ev);

/* "exec", "fork", "exit", "open", "connect", "accept", "bind", "listen", "payload", or "unknown". */
const char *events__kind_name(unsigned kind);

/* "openat", "openat2", "open", "creat", "connect", "accept", "accept4", "bind", "listen", or "". */
const char *events__syscall_name(unsigned sys);

#endif /* AISEC_EVENTS_DECODE_H */

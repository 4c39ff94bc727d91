/*
 * watch: `aisec-rt watch <pid>`: follow one process and all its descendants,
 * print their events, end on a signal, a time limit, or when the tree is gone.
 */
#ifndef AISEC_WATCH_H
#define AISEC_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum watch_format {
	WATCH_FORMAT_TEXT = 0,
	WATCH_FORMAT_JSON = 1,
};

struct watch_opts {
	__u32 pid;
	enum watch_format format;
	const char *output;     /* NULL or "-" = stdout */
	double duration_s;      /* 0 = no limit */
	size_t ringbuf_bytes;   /* 0 = loader default */
	unsigned poll_ms;       /* 0 = 100 */
	size_t proc_cache_max;  /* 0 = 8192 */
	const char *procfs;     /* NULL = "/proc" */
};

/* Run the watch. Returns the process exit code: 0 ok, 1 runtime error, 2 bad
 * input (unknown pid, unusable output path), with the reason logged. */
int watch__run(const struct watch_opts *opts);

#endif /* AISEC_WATCH_H */

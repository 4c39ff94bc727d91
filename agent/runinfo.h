/*
 * runinfo: what identifies one agent run and its clocks: a random id (UUID
 * v4) carried by every evidence record, monotonic seconds, and the offset
 * from the kernel's boot-time stamps to wall-clock time.
 */
#ifndef AISEC_RUNINFO_H
#define AISEC_RUNINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* A random UUID v4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") into buf (>= 37 bytes). */
void runinfo__agent_id(char *buf, size_t len);

/* CLOCK_MONOTONIC in seconds. */
double runinfo__now_s(void);

/* Add to a CLOCK_BOOTTIME stamp (bpf_ktime_get_boot_ns) for wall-clock ns. */
__s64 runinfo__boot_to_wall_ns(void);

/* CLOCK_BOOTTIME now, in ns (a made-up event's stamp). */
__u64 runinfo__boot_ns(void);

/* Whether procfs/<pid>/stat says the process is a zombie. */
bool runinfo__is_zombie(const char *procfs, __u32 pid);

/* A token bucket: at most rate a second, with a one-second burst. */
struct runinfo_bucket {
	double rate, tokens, at;
};

/* Start full at rate a second (rate <= 0: 1000). */
void runinfo__bucket_init(struct runinfo_bucket *b, double rate);

/* Whether one more may go now (and take its token). */
bool runinfo__bucket_take(struct runinfo_bucket *b);

#endif /* AISEC_RUNINFO_H */

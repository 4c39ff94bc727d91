/*
 * spool: a bounded, crash-safe disk queue for records that could not be
 * delivered yet (the Kafka sink's fallback). Append-only segment files in one
 * directory, each record zlib-compressed with a CRC; replayed in order, spent
 * segments removed. When the size bound is hit the oldest records go first and
 * are counted, never silently. A corrupt or truncated segment (a crash in the
 * middle of a write) is reported with file and offset, and the good records
 * around it are still delivered.
 *
 * Segment file: spool-<20-digit sequence>.seg. Record framing (little endian):
 *   magic u32 'ASR1' | flags u32 | raw_len u32 | comp_len u32 | key_len u32 |
 *   crc32 u32 of everything after it (key and compressed value) | key bytes |
 *   zlib-compressed value bytes
 * A reader that finds a bad frame scans forward for the next magic.
 */
#ifndef AISEC_SPOOL_H
#define AISEC_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct spool_opts {
	const char *dir;          /* created (0700) when missing */
	__u64 max_bytes;          /* bound on all segments together; 0 = 256 MiB */
	__u64 segment_bytes;      /* start a new segment past this; 0 = 8 MiB */
	bool fsync_each;          /* fdatasync after every append; when false, only when a
	                           * segment is finished and on close (set it for durability) */
};

struct spool_stats {
	__u64 appended;           /* records written */
	__u64 replayed;           /* records handed to the replay callback and accepted */
	__u64 dropped_full;       /* oldest records removed to respect max_bytes */
	__u64 corrupt;            /* bad frames found on replay (each reported) */
	__u64 bytes;              /* bytes on disk now */
	__u64 records;            /* records waiting now (best effort across restarts) */
};

struct spool;

/* Open (and scan) the spool directory. NULL with a reason in err and errno
 * set (e.g. the directory cannot be created or is not writable). Records a
 * previous run left are kept for replay. */
struct spool *spool__open(const struct spool_opts *o, char *err, size_t errlen);

/* Close, keeping what is not replayed. Accepts NULL. */
void spool__close(struct spool *s);

/* Append one record (key may be NULL/0). Durable when it returns 0 (fsync'd
 * per opts). -errno on failure; -EFBIG for a record larger than max_bytes. */
int spool__append(struct spool *s, const void *key, size_t key_len, const void *val, size_t val_len);

/* Called for each record in order. Return 0 when the record was taken (it is
 * then spent), non-zero to stop replay there (it stays for next time). */
typedef int (*spool_replay_fn)(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len);

/* Called for each bad frame: file, byte offset, what is wrong. May be NULL. */
typedef void (*spool_corrupt_fn)(void *ctx, const char *file, __u64 offset, const char *why);

/* Replay records oldest first until done or fn refuses one; fully spent
 * segments are deleted. Returns the number of records taken, or -errno. */
int spool__replay(struct spool *s, spool_replay_fn fn, spool_corrupt_fn on_corrupt, void *ctx);

/* Whether any record is waiting. */
bool spool__empty(const struct spool *s);

void spool__stats(const struct spool *s, struct spool_stats *out);

#endif /* AISEC_SPOOL_H */

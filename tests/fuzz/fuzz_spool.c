/*
 * libFuzzer target for agent/spool.c: each input is written as a segment file
 * into a temporary directory (in /dev/shm when there is one), then the spool
 * is opened and replayed. What must hold whatever the input:
 * - no crash, and every corrupt report names that file with an offset inside
 *   it and a reason;
 * - the walk is fully consumed: the segment is deleted and the spool empty;
 * - replay stopped after k records (k from the input's first byte), then the
 *   spool closed, reopened and replayed to the end, hands out exactly the same
 *   records in the same order, with the same number of reports, as one replay
 *   in one go (no duplicate, no loss across a restart).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_spool.c agent/spool.c -lz -o fuzz_spool
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

static char dir[64];
static char seg[128], cursor[128];

struct run {
	size_t size; /* of the input file */
	int stop_after;
	int n, reports;
	uint64_t hash; /* over every key and value, in order */
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	h ^= n + 0x9e3779b97f4a7c15ull;
	while (n--)
		h = (h ^ *c++) * 0x100000001b3ull;
	return h;
}

static int on_rec(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct run *r = ctx;

	if (r->stop_after >= 0 && r->n >= r->stop_after)
		return 1;
	if ((key_len && !key) || (val_len && !val) || key_len > r->size || val_len > r->size * 1032 + 1024)
		abort();
	r->hash = mix(r->hash, key, key_len);
	r->hash = mix(r->hash, val, val_len);
	r->n++;
	return 0;
}

static void on_bad(void *ctx, const char *file, __u64 offset, const char *why)
{
	struct run *r = ctx;

	if (!file || strcmp(file, seg) != 0 || offset >= r->size || !why || !why[0])
		abort();
	r->reports++;
}

static void put_file(const uint8_t *data, size_t size)
{
	int fd = open(seg, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	unlink(cursor);
}

static struct spool *open_spool(void)
{
	struct spool_opts o = {.dir = dir};
	char err[256];
	struct spool *s = spool__open(&o, err, sizeof(err));

	if (!s)
		abort();
	return s;
}

static void replay_to_end(struct spool *s, struct run *r)
{
	int got;

	r->stop_after = -1;
	got = spool__replay(s, on_rec, on_bad, r);
	if (got < 0 || !spool__empty(s) || access(seg, F_OK) == 0)
		abort();
}

static void remove_dir(void)
{
	unlink(seg);
	unlink(cursor);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(dir, sizeof(dir), "%s/fuzz_spool-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(seg, sizeof(seg), "%s/spool-%020d.seg", dir, 3);
	snprintf(cursor, sizeof(cursor), "%s/cursor", dir);
	atexit(remove_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run one = {.size = size}, two = {.size = size};
	struct spool_stats st;
	struct spool *s;
	int got;

	/* in one go */
	put_file(data, size);
	s = open_spool();
	replay_to_end(s, &one);
	spool__stats(s, &st);
	if (st.replayed != (uint64_t)one.n || st.corrupt != (uint64_t)one.reports || st.bytes != 0)
		abort();
	spool__close(s);

	/* stopped after k, then resumed by a new open */
	put_file(data, size);
	two.stop_after = size ? data[0] % 8 : 0;
	s = open_spool();
	got = spool__replay(s, on_rec, on_bad, &two);
	if (got < 0 || got != two.n || got > two.stop_after)
		abort();
	spool__close(s);
	s = open_spool();
	replay_to_end(s, &two);
	spool__close(s);
	if (two.n != one.n || two.hash != one.hash || two.reports != one.reports)
		abort();

	unlink(seg);
	unlink(cursor);
	return 0;
}

/*
 * Unit tests for agent/spool.c, each in its own temporary directory (no
 * root needed): order across segments, replay stopped part-way and resumed
 * after a reopen (no duplicate, no loss), spent segments deleted, the size
 * bound dropping the oldest (counted, never the newest), -EFBIG, a last
 * segment cut at every byte of its last record, a flipped byte anywhere in a
 * middle record, a garbage file named like a segment, directories that
 * cannot be used, reopen after close, a second opener, and the stats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define MAX_GOT 512

/* What the callbacks saw. */
struct got {
	int n;		/* records taken */
	int calls;	/* callback calls, refused ones included */
	int stop_after; /* refuse once n reaches this; -1 never */
	char key[MAX_GOT][32];
	char val[MAX_GOT][2048];
	size_t val_len[MAX_GOT];
	int ncorrupt;
	char cfile[8][4096];
	__u64 coff[8];
	char cwhy[8][128];
};

static int on_rec(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct got *g = ctx;

	g->calls++;
	if (g->stop_after >= 0 && g->n >= g->stop_after)
		return 1;
	assert_true(g->n < MAX_GOT);
	assert_true(key_len < sizeof(g->key[0]));
	assert_true(val_len <= sizeof(g->val[0]));
	memcpy(g->key[g->n], key ? key : "", key_len);
	g->key[g->n][key_len] = '\0';
	if (val_len)
		memcpy(g->val[g->n], val, val_len);
	g->val_len[g->n] = val_len;
	g->n++;
	return 0;
}

static void on_bad(void *ctx, const char *file, __u64 offset, const char *why)
{
	struct got *g = ctx;

	if (g->ncorrupt < 8) {
		snprintf(g->cfile[g->ncorrupt], sizeof(g->cfile[0]), "%s", file);
		g->coff[g->ncorrupt] = offset;
		snprintf(g->cwhy[g->ncorrupt], sizeof(g->cwhy[0]), "%s", why);
	}
	g->ncorrupt++;
}

static struct got *new_got(int stop_after)
{
	struct got *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	g->stop_after = stop_after;
	return g;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/test_spool-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void rm_dir(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Number of segment files in dir; *bytes their total size when not NULL. */
static int count_segs(const char *dir, __u64 *bytes)
{
	char path[4096];
	struct dirent *de;
	struct stat sb;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	if (bytes)
		*bytes = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "spool-", 6) != 0 || strlen(de->d_name) != 30)
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &sb), 0);
		if (bytes)
			*bytes += (__u64)sb.st_size;
	}
	closedir(d);
	return n;
}

/* Record i: key "k<i>", a value of varying length that names i. */
static size_t make_val(int i, char *buf, size_t cap)
{
	size_t len = (size_t)(20 + (i * 37) % 120);
	size_t j;

	assert_true(len < cap);
	snprintf(buf, cap, "value-%05d:", i);
	for (j = strlen(buf); j < len; j++)
		buf[j] = (char)('a' + (i + j * 7) % 26);
	return len;
}

static void append_n(struct spool *s, int from, int to)
{
	char key[32], val[256];
	int i;

	for (i = from; i < to; i++) {
		size_t len = make_val(i, val, sizeof(val));

		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(spool__append(s, key, strlen(key), val, len), 0);
	}
}

/* got's records from index at on are records first.. in order. */
static void check_seq(const struct got *g, int at, int first, int count)
{
	char key[32], val[256];
	int i;

	for (i = 0; i < count; i++) {
		size_t len = make_val(first + i, val, sizeof(val));

		snprintf(key, sizeof(key), "k%d", first + i);
		if (strcmp(g->key[at + i], key) != 0)
			fail_msg("record %d: key \"%s\", want \"%s\"", at + i, g->key[at + i], key);
		assert_int_equal(g->val_len[at + i], len);
		assert_memory_equal(g->val[at + i], val, len);
	}
}

static struct spool *open_dir(const char *dir, __u64 max_bytes, __u64 segment_bytes)
{
	struct spool_opts o = {.dir = dir, .max_bytes = max_bytes, .segment_bytes = segment_bytes, .fsync_each = true};
	char err[512];
	struct spool *s = spool__open(&o, err, sizeof(err));

	if (!s)
		fail_msg("spool__open(%s): %s", dir, err);
	return s;
}

static void test_order_across_segments(void **state)
{
	struct spool_stats st;
	struct spool *s;
	struct got *g = new_got(-1);
	char dir[64];
	__u64 bytes;

	make_dir(dir, sizeof(dir));
	s = open_dir(dir, 1 << 20, 512);
	assert_true(spool__empty(s));
	append_n(s, 0, 60);
	assert_false(spool__empty(s));
	assert_true(count_segs(dir, &bytes) >= 5);
	spool__stats(s, &st);
	assert_int_equal(st.appended, 60);
	assert_int_equal(st.records, 60);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.replayed, 0);
	assert_int_equal(st.dropped_full, 0);

	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 60);
	assert_int_equal(g->n, 60);
	check_seq(g, 0, 0, 60);
	assert_int_equal(g->ncorrupt, 0);
	assert_int_equal(count_segs(dir, NULL), 0);
	assert_true(spool__empty(s));
	spool__stats(s, &st);
	assert_int_equal(st.replayed, 60);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.corrupt, 0);

	/* nothing again, and appends after a full replay work */
	g->n = 0;
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 0);
	assert_int_equal(g->n, 0);
	append_n(s, 60, 62);
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 2);
	check_seq(g, 0, 60, 2);
	spool__close(s);
	free(g);
	rm_dir(dir);
}

static void test_resume_after_reopen(void **state)
{
	struct spool_stats st;
	struct spool *s;
	struct got *g = new_got(7);
	char dir[64];
	int segs_before;

	make_dir(dir, sizeof(dir));
	s = open_dir(dir, 1 << 20, 400);
	append_n(s, 0, 40);
	segs_before = count_segs(dir, NULL);
	assert_true(segs_before >= 4);

	/* take 7, refuse the 8th: it stays */
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 7);
	assert_int_equal(g->calls, 8);
	check_seq(g, 0, 0, 7);
	spool__stats(s, &st);
	assert_int_equal(st.replayed, 7);
	assert_int_equal(st.records, 33);
	assert_false(spool__empty(s));
	spool__close(s);

	/* a new process: resumes at record 7 and takes 20 more */
	s = open_dir(dir, 1 << 20, 400);
	spool__stats(s, &st);
	assert_int_equal(st.records, 33);
	g->stop_after = 27;
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 20);
	check_seq(g, 0, 0, 27);
	assert_true(count_segs(dir, NULL) < segs_before); /* spent segments gone */
	append_n(s, 40, 45);
	spool__close(s);

	s = open_dir(dir, 1 << 20, 400);
	spool__stats(s, &st);
	assert_int_equal(st.records, 18);
	g->stop_after = -1;
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 18);
	assert_int_equal(g->n, 45);
	check_seq(g, 0, 0, 45);
	assert_int_equal(g->ncorrupt, 0);
	assert_int_equal(count_segs(dir, NULL), 0);
	assert_true(spool__empty(s));
	spool__close(s);

	/* and nothing comes back after yet another reopen */
	s = open_dir(dir, 1 << 20, 400);
	assert_true(spool__empty(s));
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 0);
	assert_int_equal(g->n, 45);
	spool__close(s);
	free(g);
	rm_dir(dir);
}

/* Stop at every possible record, reopen, finish: always exactly 0..n-1. */
static void test_stop_at_every_record(void **state)
{
	struct spool *s;
	char dir[64];
	int stop;

	for (stop = 0; stop <= 12; stop++) {
		struct got *g = new_got(stop);

		make_dir(dir, sizeof(dir));
		s = open_dir(dir, 1 << 20, 300);
		append_n(s, 0, 12);
		assert_int_equal(spool__replay(s, on_rec, on_bad, g), stop);
		spool__close(s);
		s = open_dir(dir, 1 << 20, 300);
		g->stop_after = -1;
		assert_int_equal(spool__replay(s, on_rec, on_bad, g), 12 - stop);
		assert_int_equal(g->n, 12);
		check_seq(g, 0, 0, 12);
		spool__close(s);
		free(g);
		rm_dir(dir);
	}
}

static void fill_random(unsigned char *p, size_t n, unsigned *seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(*seed >> 16);
	}
}

static void test_bound_drops_oldest(void **state)
{
	struct spool_stats st;
	struct spool *s;
	struct got *g = new_got(-1);
	unsigned char val[200];
	unsigned seed = 1;
	char dir[64];
	__u64 bytes;
	int i, first;

	make_dir(dir, sizeof(dir));
	s = open_dir(dir, 4096, 0);
	for (i = 0; i < 200; i++) {
		fill_random(val, sizeof(val), &seed);
		memcpy(val, &i, sizeof(i)); /* the record's number, to check order */
		assert_int_equal(spool__append(s, NULL, 0, val, sizeof(val)), 0);
		spool__stats(s, &st);
		assert_true(st.bytes <= 4096);
		assert_int_equal(st.dropped_full + st.records, (__u64)i + 1);
	}
	spool__stats(s, &st);
	assert_true(st.dropped_full > 100);
	assert_true(st.records > 0);
	assert_int_equal(count_segs(dir, &bytes) > 1, 1);
	assert_int_equal(st.bytes, bytes);

	assert_int_equal(spool__replay(s, on_rec, on_bad, g), (int)st.records);
	first = 200 - g->n;
	assert_int_equal((__u64)first, st.dropped_full);
	for (i = 0; i < g->n; i++) {
		int num;

		assert_int_equal(g->val_len[i], sizeof(val));
		memcpy(&num, g->val[i], sizeof(num));
		assert_int_equal(num, first + i); /* a contiguous run ending with the newest */
	}
	spool__close(s);
	free(g);
	rm_dir(dir);
}

static void test_too_big(void **state)
{
	struct spool_stats st;
	struct spool *s;
	struct got *g = new_got(-1);
	unsigned char *val = malloc(8192);
	unsigned seed = 7;
	char dir[64];

	assert_non_null(val);
	fill_random(val, 8192, &seed);
	make_dir(dir, sizeof(dir));
	s = open_dir(dir, 4096, 0);
	assert_int_equal(spool__append(s, "k", 1, "x", 1), 0);
	assert_int_equal(spool__append(s, NULL, 0, val, 8192), -EFBIG);
	assert_int_equal(spool__append(s, NULL, 0, val, 4096), -EFBIG); /* header pushes it over */
	assert_int_equal(spool__append(s, val, 5000, "x", 1), -EFBIG);
	spool__stats(s, &st);
	assert_int_equal(st.appended, 1);
	assert_int_equal(st.dropped_full, 0);
	/* what was there is untouched and the spool still takes records that fit */
	assert_int_equal(spool__append(s, NULL, 0, val, 1000), 0);
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 2);
	assert_string_equal(g->key[0], "k");
	assert_int_equal(g->val_len[0], 1);
	assert_int_equal(g->val_len[1], 1000);
	assert_memory_equal(g->val[1], val, 1000);
	assert_int_equal(spool__append(NULL, NULL, 0, "x", 1), -EINVAL);
	assert_int_equal(spool__append(s, NULL, 3, "x", 1), -EINVAL);
	spool__close(s);
	free(val);
	free(g);
	rm_dir(dir);
}

static void test_empty_value_and_no_key(void **state)
{
	struct spool *s;
	struct got *g = new_got(-1);
	char dir[64];

	make_dir(dir, sizeof(dir));
	s = open_dir(dir, 0, 0);
	assert_int_equal(spool__append(s, NULL, 0, NULL, 0), 0);
	assert_int_equal(spool__append(s, "key", 3, "", 0), 0);
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 2);
	assert_string_equal(g->key[0], "");
	assert_int_equal(g->val_len[0], 0);
	assert_string_equal(g->key[1], "key");
	assert_int_equal(g->val_len[1], 0);
	spool__close(s);
	free(g);
	rm_dir(dir);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* Build a one-segment spool of n records; its bytes and each record's offset. */
static unsigned char *build_segment(int n, __u64 *offs, size_t *len)
{
	struct spool_stats st;
	struct spool *s;
	char dir[64], path[128];
	unsigned char *buf;
	struct stat sb;
	int i, fd;

	make_dir(dir, sizeof(dir));
	s = open_dir(dir, 0, 0);
	for (i = 0; i < n; i++) {
		spool__stats(s, &st);
		offs[i] = st.bytes;
		append_n(s, i, i + 1);
	}
	spool__close(s);
	snprintf(path, sizeof(path), "%s/spool-%020d.seg", dir, 1);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	*len = (size_t)sb.st_size;
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, *len), (ssize_t)*len);
	close(fd);
	rm_dir(dir);
	return buf;
}

static void test_truncated_last_segment(void **state)
{
	__u64 offs[5];
	size_t len, cut;
	unsigned char *seg = build_segment(5, offs, &len);

	for (cut = offs[4]; cut < len; cut++) {
		struct spool_stats st;
		struct got *g = new_got(-1);
		char dir[64], path[128];
		struct spool *s;

		make_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/spool-%020d.seg", dir, 1);
		write_file(path, seg, cut);
		s = open_dir(dir, 0, 0);
		spool__stats(s, &st);
		assert_int_equal(st.records, 4);
		assert_int_equal(st.bytes, cut);
		assert_int_equal(spool__replay(s, on_rec, on_bad, g), 4);
		check_seq(g, 0, 0, 4);
		if (cut == offs[4]) {
			assert_int_equal(g->ncorrupt, 0);
		} else {
			if (g->ncorrupt != 1)
				fail_msg("cut at %zu: %d reports", cut, g->ncorrupt);
			assert_string_equal(g->cfile[0], path);
			assert_int_equal(g->coff[0], offs[4]);
			assert_true(g->cwhy[0][0] != '\0');
		}
		spool__stats(s, &st);
		assert_int_equal(st.corrupt, cut == offs[4] ? 0 : 1);
		assert_int_equal(count_segs(dir, NULL), 0);
		/* reported once: a second replay finds nothing */
		assert_int_equal(spool__replay(s, on_rec, on_bad, g), 0);
		assert_int_equal(g->ncorrupt, cut == offs[4] ? 0 : 1);
		spool__close(s);
		free(g);
		rm_dir(dir);
	}
	free(seg);
}

static void test_flipped_byte(void **state)
{
	__u64 offs[3];
	size_t len, at;
	unsigned char *seg = build_segment(3, offs, &len);

	for (at = offs[1]; at < offs[2]; at++) {
		struct spool_stats st;
		struct got *g = new_got(-1);
		char dir[64], path[128];
		struct spool *s;

		make_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/spool-%020d.seg", dir, 1);
		seg[at] ^= 0x10;
		write_file(path, seg, len);
		seg[at] ^= 0x10;
		s = open_dir(dir, 0, 0);
		assert_int_equal(spool__replay(s, on_rec, on_bad, g), 2);
		check_seq(g, 0, 0, 1);
		check_seq(g, 1, 2, 1);
		if (g->ncorrupt != 1)
			fail_msg("byte %zu flipped: %d reports", at, g->ncorrupt);
		assert_string_equal(g->cfile[0], path);
		assert_int_equal(g->coff[0], offs[1]);
		spool__stats(s, &st);
		assert_int_equal(st.corrupt, 1);
		assert_int_equal(st.replayed, 2);
		spool__close(s);
		free(g);
		rm_dir(dir);
	}
	free(seg);
}

static void test_garbage_segment(void **state)
{
	static const char junk[] = "this is not a spool segment, ASR1 or not\n";
	struct spool_stats st;
	struct spool *s;
	struct got *g = new_got(-1);
	char dir[64], path[128], other[128];

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/spool-%020d.seg", dir, 7);
	write_file(path, junk, sizeof(junk) - 1);
	snprintf(other, sizeof(other), "%s/spool-12.seg", dir); /* not a segment name: left alone */
	write_file(other, junk, sizeof(junk) - 1);
	s = open_dir(dir, 0, 0);
	assert_false(spool__empty(s));
	spool__stats(s, &st);
	assert_int_equal(st.records, 0);
	append_n(s, 0, 2); /* goes after the garbage: segment 8 */
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 2);
	check_seq(g, 0, 0, 2);
	assert_int_equal(g->ncorrupt, 1);
	assert_string_equal(g->cfile[0], path);
	assert_int_equal(g->coff[0], 0);
	assert_true(spool__empty(s));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(other, F_OK), 0);
	spool__close(s);
	free(g);
	rm_dir(dir);
}

static void test_unusable_dir(void **state)
{
	struct spool_opts o = {0};
	char dir[64], path[128], err[512];
	struct spool *s, *s2;

	make_dir(dir, sizeof(dir));
	/* a path below a regular file cannot be created, root or not */
	snprintf(path, sizeof(path), "%s/file", dir);
	write_file(path, "x", 1);
	snprintf(path, sizeof(path), "%s/file/spool", dir);
	o.dir = path;
	err[0] = '\0';
	errno = 0;
	assert_null(spool__open(&o, err, sizeof(err)));
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err, path));

	/* not writable (only meaningful when not root) */
	snprintf(path, sizeof(path), "%s/ro", dir);
	assert_int_equal(mkdir(path, 0500), 0);
	if (geteuid() != 0) {
		err[0] = '\0';
		errno = 0;
		assert_null(spool__open(&o, err, sizeof(err)));
		assert_int_equal(errno, EACCES);
		assert_non_null(strstr(err, path));
	}

	o.dir = NULL;
	errno = 0;
	assert_null(spool__open(&o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_null(spool__open(NULL, NULL, 0));

	/* a second opener of the same spool is refused while the first holds it */
	snprintf(path, sizeof(path), "%s/sp", dir);
	o.dir = path;
	s = spool__open(&o, err, sizeof(err));
	assert_non_null(s);
	errno = 0;
	assert_null(spool__open(&o, err, sizeof(err)));
	assert_int_equal(errno, EBUSY);
	assert_non_null(strstr(err, path));
	spool__close(s);
	s2 = spool__open(&o, err, sizeof(err));
	assert_non_null(s2);
	spool__close(s2);
	spool__close(NULL);
	rm_dir(dir);
}

static void test_reopen_keeps_records(void **state)
{
	struct spool_stats st, st2;
	struct spool *s;
	struct got *g = new_got(-1);
	char dir[64], sub[96];
	__u64 bytes;

	make_dir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/created", dir); /* created on open */
	s = open_dir(sub, 0, 0);
	append_n(s, 0, 5);
	spool__stats(s, &st);
	spool__close(s);
	s = open_dir(sub, 0, 0);
	assert_false(spool__empty(s));
	spool__stats(s, &st2);
	assert_int_equal(st2.records, 5);
	assert_int_equal(st2.bytes, st.bytes);
	count_segs(sub, &bytes);
	assert_int_equal(st2.bytes, bytes);
	assert_int_equal(st2.appended, 0);
	/* new records go after the old ones, in a new segment */
	append_n(s, 5, 8);
	assert_int_equal(count_segs(sub, NULL), 2);
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 8);
	check_seq(g, 0, 0, 8);
	spool__stats(s, &st2);
	assert_int_equal(st2.appended, 3);
	assert_int_equal(st2.replayed, 8);
	assert_int_equal(st2.records, 0);
	spool__close(s);
	free(g);
	rm_dir(dir);
}

/* The cursor file's documented format: "<sequence> <offset>\n". */
static void test_cursor_file(void **state)
{
	struct spool_stats st;
	struct spool *s;
	struct got *g = new_got(-1);
	char dir[64], path[128];

	/* segments below the cursor's are spent (a crash before their unlink) */
	make_dir(dir, sizeof(dir));
	s = open_dir(dir, 0, 1);
	append_n(s, 0, 6); /* one record a segment */
	spool__close(s);
	assert_int_equal(count_segs(dir, NULL), 6);
	snprintf(path, sizeof(path), "%s/cursor", dir);
	write_file(path, "2 0\n", 4);
	s = open_dir(dir, 0, 1);
	assert_int_equal(count_segs(dir, NULL), 5);
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 5);
	check_seq(g, 0, 1, 5);
	assert_int_equal(count_segs(dir, NULL), 0);
	spool__close(s);
	rm_dir(dir);

	/* a stale cursor never applies to a segment made after it */
	g->n = 0;
	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/cursor", dir);
	write_file(path, "9 40\n", 5);
	s = open_dir(dir, 0, 0);
	append_n(s, 0, 3);
	spool__close(s);
	s = open_dir(dir, 0, 0);
	spool__stats(s, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 3);
	check_seq(g, 0, 0, 3);
	spool__close(s);

	/* an unreadable cursor means replay everything (duplicates, not loss) */
	g->n = 0;
	s = open_dir(dir, 0, 0);
	append_n(s, 0, 2);
	spool__close(s);
	write_file(path, "garbage", 7);
	s = open_dir(dir, 0, 0);
	assert_int_equal(spool__replay(s, on_rec, on_bad, g), 2);
	check_seq(g, 0, 0, 2);
	spool__close(s);
	free(g);
	rm_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_across_segments),
	    cmocka_unit_test(test_resume_after_reopen),
	    cmocka_unit_test(test_stop_at_every_record),
	    cmocka_unit_test(test_bound_drops_oldest),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_empty_value_and_no_key),
	    cmocka_unit_test(test_truncated_last_segment),
	    cmocka_unit_test(test_flipped_byte),
	    cmocka_unit_test(test_garbage_segment),
	    cmocka_unit_test(test_unusable_dir),
	    cmocka_unit_test(test_reopen_keeps_records),
	    cmocka_unit_test(test_cursor_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

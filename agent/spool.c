/*
 * spool: the bounded, crash-safe disk queue behind the Kafka sink (see
 * spool.h for the segment and frame format).
 *
 * Replay position. A small file "cursor" in the spool directory holds
 * "<segment sequence> <byte offset>\n": the next record to hand out is at that
 * offset of that segment; segments with a lower sequence are spent, segments
 * with a higher one are read from offset 0. It is written to "cursor.tmp",
 * fsync'd and renamed over "cursor" (then the directory is fsync'd) whenever a
 * replay stops part-way, so records already taken are not handed out again
 * after a restart. Fully spent segments are simply unlinked. Delivery is
 * at-least-once: a crash between the callback taking a record and the cursor
 * write or unlink that follows can replay that record once more; a clean stop
 * never does. A cursor file that cannot be parsed is ignored (everything is
 * replayed: duplicates rather than loss). New segments always get a sequence
 * above both the highest segment and the cursor's, so a stale cursor never
 * applies to a new file.
 *
 * Writing. Appends go to one open segment, created lazily with the next
 * sequence (never the tail of a previous run's segment, which may end in a
 * torn frame); a new segment starts when the frame would take the current one
 * past segment_bytes (capped at a quarter of max_bytes, so that reaching the
 * bound never drops more than about a quarter of the spool). A failed write is truncated back. Before a frame is
 * written, whole segments are removed oldest first until it fits under
 * max_bytes; the records they still held are counted in dropped_full. The
 * segment being written can be dropped too (the new frame then starts a fresh
 * one), so the newest record is never the one dropped. A frame larger than
 * max_bytes on its own is refused with -EFBIG.
 *
 * Reading. A segment is read whole into a reused buffer and walked frame by
 * frame; a frame is good when its magic, flags (0), lengths, CRC and zlib
 * stream all check out and the stream inflates to exactly raw_len bytes (the
 * CRC does not cover the header, so the length check is what catches a flipped
 * raw_len). After a bad frame the reader scans forward for the next magic that
 * starts a good frame; the whole bad stretch is reported once, with the
 * offset where it starts. A segment fully walked is deleted, corrupt or not.
 * Open walks every segment the same way (CRC, no inflate) to count the
 * records waiting.
 *
 * The directory is flock'ed while open so two agents cannot share a spool.
 * Not thread-safe; replay callbacks must not call back into the spool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "spool.h"

#define SPOOL_MAGIC 0x31525341u /* "ASR1" read as little endian */
#define HDR_SIZE 24u
#define DEFAULT_MAX_BYTES (256ull << 20)
#define DEFAULT_SEGMENT_BYTES (8ull << 20)
#define SEG_PREFIX "spool-"
#define SEG_SUFFIX ".seg"
#define SEG_DIGITS 20
#define CURSOR_NAME "cursor"
#define CURSOR_TMP "cursor.tmp"
/* deflate cannot do better than about 1032:1; anything claiming more is corrupt */
#define MAX_RATIO 1032ull

struct seg {
	__u64 seq;
	__u64 size;  /* bytes on disk */
	__u64 start; /* where the next unread record is (cursor for the cursor segment, else 0) */
	__u64 nrec;  /* records waiting from start (best effort) */
};

struct spool {
	char *dir;
	int dirfd;
	__u64 max_bytes;
	__u64 segment_bytes;
	bool fsync_each;

	struct seg *segs; /* ascending sequence */
	size_t nsegs, capsegs;
	int wfd; /* open for append on the last segment, or -1 */
	__u64 next_seq;

	__u64 cur_seq, cur_off; /* persisted replay position */

	unsigned char *wbuf, *rbuf, *vbuf; /* reused: frame being built, segment read, inflated value */
	size_t wcap, rcap, vcap;

	char path[4096];
	struct spool_stats st;
};

struct frame {
	__u32 flags, raw_len, comp_len, key_len, crc;
	const unsigned char *key, *comp;
	size_t len; /* whole frame */
};

static __u32 get32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static void put32(unsigned char *p, __u32 v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *p;
	size_t n = *cap ? *cap : 4096;

	if (need <= *cap)
		return 0;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

static const char *seg_path(struct spool *s, __u64 seq)
{
	snprintf(s->path, sizeof(s->path), "%s/" SEG_PREFIX "%020" PRIu64 SEG_SUFFIX, s->dir, (uint64_t)seq);
	return s->path;
}

/* Parse a segment name strictly; true with *seq set when it is one. */
static bool parse_seg_name(const char *name, __u64 *seq)
{
	size_t plen = strlen(SEG_PREFIX);
	__u64 v = 0;
	int i;

	if (strncmp(name, SEG_PREFIX, plen) != 0 || strlen(name) != plen + SEG_DIGITS + strlen(SEG_SUFFIX))
		return false;
	if (strcmp(name + plen + SEG_DIGITS, SEG_SUFFIX) != 0)
		return false;
	for (i = 0; i < SEG_DIGITS; i++) {
		char c = name[plen + i];

		if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (__u64)(c - '0');
	}
	*seq = v;
	return true;
}

/* Check the frame at p (avail bytes left); NULL when good, else why not. */
static const char *parse_frame(const unsigned char *p, size_t avail, struct frame *f)
{
	__u64 body;

	if (avail < HDR_SIZE)
		return avail >= 4 && get32(p) != SPOOL_MAGIC ? "bad magic" : "truncated frame header";
	if (get32(p) != SPOOL_MAGIC)
		return "bad magic";
	f->flags = get32(p + 4);
	f->raw_len = get32(p + 8);
	f->comp_len = get32(p + 12);
	f->key_len = get32(p + 16);
	f->crc = get32(p + 20);
	if (f->flags != 0)
		return "unknown flags";
	if ((__u64)f->raw_len > (__u64)f->comp_len * MAX_RATIO + 1024)
		return "implausible raw length";
	body = (__u64)f->key_len + f->comp_len;
	if (body > avail - HDR_SIZE)
		return "truncated frame";
	f->key = p + HDR_SIZE;
	f->comp = f->key + f->key_len;
	f->len = HDR_SIZE + (size_t)body;
	if ((__u32)crc32_z(0L, p + HDR_SIZE, (z_size_t)body) != f->crc)
		return "CRC mismatch";
	return NULL;
}

/* Inflate f into s->vbuf; NULL when it gives exactly raw_len bytes. */
static const char *inflate_frame(struct spool *s, const struct frame *f)
{
	uLongf out = f->raw_len;
	uLong in = f->comp_len;

	if (grow(&s->vbuf, &s->vcap, (size_t)f->raw_len + 1))
		return "out of memory inflating";
	if (uncompress2(s->vbuf, &out, f->comp, &in) != Z_OK || out != f->raw_len || in != f->comp_len)
		return "bad zlib stream";
	return NULL;
}

/* Index just past the next magic at or after from, or len. */
static size_t find_magic(const unsigned char *buf, size_t from, size_t len)
{
	static const unsigned char m[4] = {'A', 'S', 'R', '1'};
	const unsigned char *p;

	if (!buf || from >= len)
		return len;
	p = memmem(buf + from, len - from, m, sizeof(m));
	return p ? (size_t)(p - buf) : len;
}

/* Read [from, EOF) of segment seq into s->rbuf; *len set. -ENOENT when gone. */
static int read_seg(struct spool *s, __u64 seq, __u64 from, size_t *len)
{
	struct stat sb;
	size_t n = 0, want;
	int fd, err = 0;

	fd = open(seg_path(s, seq), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		err = -errno;
		goto cleanup;
	}
	want = (__u64)sb.st_size > from ? (size_t)((__u64)sb.st_size - from) : 0;
	if (grow(&s->rbuf, &s->rcap, want + 1)) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (n < want) {
		ssize_t r = pread(fd, s->rbuf + n, want - n, (off_t)(from + n));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
cleanup:
	close(fd);
	return err;
}

static int push_seg(struct spool *s, __u64 seq, __u64 size, __u64 start, __u64 nrec)
{
	if (s->nsegs == s->capsegs) {
		size_t n = s->capsegs ? s->capsegs * 2 : 16;
		struct seg *p = realloc(s->segs, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->segs = p;
		s->capsegs = n;
	}
	s->segs[s->nsegs++] = (struct seg){.seq = seq, .size = size, .start = start, .nrec = nrec};
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Unlink segment i and forget it; its waiting records leave the counts. */
static void remove_seg(struct spool *s, size_t i)
{
	struct seg *g = &s->segs[i];

	if (i == s->nsegs - 1 && s->wfd >= 0) {
		close(s->wfd);
		s->wfd = -1;
	}
	unlink(seg_path(s, g->seq));
	s->st.bytes -= g->size < s->st.bytes ? g->size : s->st.bytes;
	s->st.records -= g->nrec < s->st.records ? g->nrec : s->st.records;
	memmove(g, g + 1, (s->nsegs - i - 1) * sizeof(*g));
	s->nsegs--;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int save_cursor(struct spool *s)
{
	char line[64];
	int fd, err = 0, n;

	n = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", (uint64_t)s->cur_seq, (uint64_t)s->cur_off);
	fd = openat(s->dirfd, CURSOR_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, line, (size_t)n);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && renameat(s->dirfd, CURSOR_TMP, s->dirfd, CURSOR_NAME))
		err = -errno;
	if (!err && fsync(s->dirfd))
		err = -errno;
	if (err)
		unlinkat(s->dirfd, CURSOR_TMP, 0);
	return err;
}

static void load_cursor(struct spool *s)
{
	char line[64] = {0};
	unsigned long long seq, off;
	char extra;
	ssize_t n;
	int fd;

	s->cur_seq = s->cur_off = 0;
	fd = openat(s->dirfd, CURSOR_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0 || sscanf(line, "%llu %llu%c", &seq, &off, &extra) != 3 || extra != '\n')
		return;
	s->cur_seq = seq;
	s->cur_off = off;
}

/* Walk buf like replay does (without inflating) and count good frames. */
static __u64 count_frames(const unsigned char *buf, size_t len)
{
	struct frame f;
	size_t pos = 0;
	__u64 n = 0;

	while (pos < len) {
		if (parse_frame(buf + pos, len - pos, &f)) {
			pos = find_magic(buf, pos + 1, len);
			continue;
		}
		n++;
		pos += f.len;
	}
	return n;
}

static int scan_dir(struct spool *s)
{
	struct dirent *de;
	DIR *d;
	size_t i;
	int err = 0, fd;

	fd = dup(s->dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((errno = 0, de = readdir(d))) {
		__u64 seq;

		if (parse_seg_name(de->d_name, &seq) && (err = push_seg(s, seq, 0, 0, 0)))
			break;
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err)
		return err;
	if (s->nsegs)
		qsort(s->segs, s->nsegs, sizeof(*s->segs), cmp_seg);

	s->next_seq = s->cur_seq + 1;
	for (i = 0; i < s->nsegs;) {
		struct seg *g = &s->segs[i];
		struct stat sb;
		size_t len = 0;

		if (g->seq >= s->next_seq)
			s->next_seq = g->seq + 1;
		if (g->seq < s->cur_seq || stat(seg_path(s, g->seq), &sb)) {
			/* spent before a crash, or vanished */
			remove_seg(s, i);
			continue;
		}
		g->size = (__u64)sb.st_size;
		s->st.bytes += g->size;
		g->start = g->seq == s->cur_seq ? s->cur_off : 0;
		if (g->start > g->size)
			g->start = 0; /* a cursor past the end is wrong: replay all rather than lose */
		err = read_seg(s, g->seq, g->start, &len);
		if (err == -ENOENT) {
			remove_seg(s, i);
			err = 0;
			continue;
		}
		if (err)
			return err;
		g->nrec = count_frames(s->rbuf, len);
		s->st.records += g->nrec;
		i++;
	}
	return 0;
}

struct spool *spool__open(const struct spool_opts *o, char *err, size_t errlen)
{
	struct spool *s = NULL;
	int e = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!o || !o->dir || !o->dir[0]) {
		if (err && errlen)
			snprintf(err, errlen, "spool: no directory given");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		e = ENOMEM;
		goto cleanup;
	}
	s->dirfd = -1;
	s->wfd = -1;
	s->max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	s->segment_bytes = o->segment_bytes ? o->segment_bytes : DEFAULT_SEGMENT_BYTES;
	s->fsync_each = o->fsync_each;
	/* reaching the bound drops whole segments: keep each to a quarter of it */
	if (s->segment_bytes > s->max_bytes / 4)
		s->segment_bytes = s->max_bytes / 4 ? s->max_bytes / 4 : 1;
	s->dir = strdup(o->dir);
	if (!s->dir) {
		e = ENOMEM;
		goto cleanup;
	}
	if (mkdir(s->dir, 0700) && errno != EEXIST) {
		e = errno;
		if (err && errlen)
			snprintf(err, errlen, "spool: cannot create directory %s: %s", s->dir, strerror(e));
		goto cleanup;
	}
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		e = errno;
		if (err && errlen)
			snprintf(err, errlen, "spool: cannot open directory %s: %s", s->dir, strerror(e));
		goto cleanup;
	}
	if (faccessat(s->dirfd, ".", W_OK | X_OK, AT_EACCESS)) {
		e = errno;
		if (err && errlen)
			snprintf(err, errlen,
				 "spool: directory %s is not writable: %s (fix its permissions or choose another)",
				 s->dir, strerror(e));
		goto cleanup;
	}
	if (flock(s->dirfd, LOCK_EX | LOCK_NB)) {
		e = errno == EWOULDBLOCK ? EBUSY : errno;
		if (err && errlen)
			snprintf(err, errlen, "spool: directory %s is in use by another process", s->dir);
		goto cleanup;
	}
	load_cursor(s);
	e = -scan_dir(s);
	if (e) {
		if (err && errlen)
			snprintf(err, errlen, "spool: cannot scan directory %s: %s", s->dir, strerror(e));
		goto cleanup;
	}
	return s;
cleanup:
	spool__close(s);
	errno = e;
	return NULL;
}

void spool__close(struct spool *s)
{
	if (!s)
		return;
	if (s->wfd >= 0) {
		if (!s->fsync_each)
			fdatasync(s->wfd);
		close(s->wfd);
	}
	if (s->dirfd >= 0)
		close(s->dirfd); /* releases the flock */
	free(s->segs);
	free(s->wbuf);
	free(s->rbuf);
	free(s->vbuf);
	free(s->dir);
	free(s);
}

/* Start a new segment for writing; the old one is closed (fsync'd unless each append was). */
static int start_segment(struct spool *s)
{
	int fd, err;

	if (s->wfd >= 0) {
		if (!s->fsync_each && fdatasync(s->wfd))
			return -errno;
		close(s->wfd);
		s->wfd = -1;
	}
	fd = open(seg_path(s, s->next_seq), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = push_seg(s, s->next_seq, 0, 0, 0);
	if (err) {
		close(fd);
		unlink(s->path);
		return err;
	}
	if (fsync(s->dirfd)) {
		err = -errno;
		close(fd);
		unlink(s->path);
		s->nsegs--;
		return err;
	}
	s->next_seq++;
	s->wfd = fd;
	return 0;
}

int spool__append(struct spool *s, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct seg *g;
	uLongf comp_len;
	size_t bound, total;
	int err;

	if (!s || (!key && key_len) || (!val && val_len))
		return -EINVAL;
	if (key_len > UINT32_MAX || val_len > UINT32_MAX || HDR_SIZE + (__u64)key_len > s->max_bytes ||
	    (__u64)val_len / MAX_RATIO > s->max_bytes)
		return -EFBIG;
	bound = compressBound((uLong)val_len);
	if (grow(&s->wbuf, &s->wcap, HDR_SIZE + key_len + bound))
		return -ENOMEM;
	comp_len = bound;
	if (compress2(s->wbuf + HDR_SIZE + key_len, &comp_len, val ? val : (const void *)"", (uLong)val_len,
		      Z_DEFAULT_COMPRESSION) != Z_OK)
		return -EIO;
	total = HDR_SIZE + key_len + comp_len;
	if (total > s->max_bytes)
		return -EFBIG;
	if (key_len)
		memcpy(s->wbuf + HDR_SIZE, key, key_len);
	put32(s->wbuf, SPOOL_MAGIC);
	put32(s->wbuf + 4, 0);
	put32(s->wbuf + 8, (__u32)val_len);
	put32(s->wbuf + 12, (__u32)comp_len);
	put32(s->wbuf + 16, (__u32)key_len);
	put32(s->wbuf + 20, (__u32)crc32_z(0L, s->wbuf + HDR_SIZE, key_len + comp_len));

	/* make room: oldest whole segments go first, possibly the one being written */
	while (s->nsegs && s->st.bytes + total > s->max_bytes) {
		s->st.dropped_full += s->segs[0].nrec;
		remove_seg(s, 0);
	}
	g = s->wfd >= 0 ? &s->segs[s->nsegs - 1] : NULL;
	if (!g || (g->size && g->size + total > s->segment_bytes)) {
		err = start_segment(s);
		if (err)
			return err;
		g = &s->segs[s->nsegs - 1];
	}
	err = write_all(s->wfd, s->wbuf, total);
	if (!err && s->fsync_each && fdatasync(s->wfd))
		err = -errno;
	if (err) {
		/* leave no torn frame behind for the reader */
		if (ftruncate(s->wfd, (off_t)g->size) == 0 && s->fsync_each)
			fdatasync(s->wfd);
		return err;
	}
	g->size += total;
	g->nrec++;
	s->st.bytes += total;
	s->st.records++;
	s->st.appended++;
	return 0;
}

static void report(struct spool *s, __u64 seq, __u64 off, const char *why, spool_corrupt_fn on_corrupt, void *ctx)
{
	char file[4096];

	s->st.corrupt++;
	if (on_corrupt) {
		snprintf(file, sizeof(file), "%s", seg_path(s, seq));
		on_corrupt(ctx, file, off, why);
	}
}

/*
 * Replay one segment from its start. Returns records taken (>= 0) and sets
 * *stopped when fn refused one (then g->start is that record), or -errno.
 */
static int replay_seg(struct spool *s, struct seg *g, spool_replay_fn fn, spool_corrupt_fn on_corrupt, void *ctx,
		      bool *stopped)
{
	const char *bad_why = NULL;
	__u64 bad_off = 0, base = g->start;
	size_t len = 0, pos = 0;
	struct frame f;
	int taken = 0, err;

	err = read_seg(s, g->seq, base, &len);
	if (err)
		return err;
	while (pos < len) {
		const char *why = parse_frame(s->rbuf + pos, len - pos, &f);

		if (!why)
			why = inflate_frame(s, &f);
		if (why) {
			if (!bad_why) {
				bad_why = why;
				bad_off = base + pos;
			}
			pos = find_magic(s->rbuf, pos + 1, len);
			continue;
		}
		if (bad_why) {
			report(s, g->seq, bad_off, bad_why, on_corrupt, ctx);
			bad_why = NULL;
		}
		/* the position before the callback, so a refused record stays */
		g->start = base + pos;
		if (fn(ctx, f.key_len ? f.key : NULL, f.key_len, s->vbuf, f.raw_len)) {
			*stopped = true;
			return taken;
		}
		taken++;
		pos += f.len;
		g->start = base + pos;
		if (g->nrec) {
			g->nrec--;
			if (s->st.records)
				s->st.records--;
		}
		s->st.replayed++;
		if (taken == INT32_MAX) {
			*stopped = true; /* the return value cannot count more; the rest waits */
			return taken;
		}
	}
	if (bad_why)
		report(s, g->seq, bad_off, bad_why, on_corrupt, ctx);
	g->start = base + len;
	return taken;
}

int spool__replay(struct spool *s, spool_replay_fn fn, spool_corrupt_fn on_corrupt, void *ctx)
{
	bool stopped = false, removed = false;
	int total = 0, n, err = 0;

	if (!s || !fn)
		return -EINVAL;
	while (s->nsegs && !stopped) {
		struct seg *g = &s->segs[0];

		n = replay_seg(s, g, fn, on_corrupt, ctx, &stopped);
		if (n == -ENOENT) {
			remove_seg(s, 0);
			removed = true;
			continue;
		}
		if (n < 0) {
			err = n;
			break;
		}
		total += n;
		if (stopped || total == INT32_MAX) {
			stopped = true;
			break;
		}
		/* fully walked: spent. The segment being written goes too; appends start a new one. */
		g->nrec = 0;
		remove_seg(s, 0);
		removed = true;
	}
	if (s->nsegs && (stopped || err) && s->segs[0].start) {
		s->cur_seq = s->segs[0].seq;
		s->cur_off = s->segs[0].start;
		n = save_cursor(s);
		if (!err)
			err = n;
	} else if (removed) {
		fsync(s->dirfd);
	}
	return err ? err : total;
}

bool spool__empty(const struct spool *s)
{
	size_t i;

	if (!s)
		return true;
	for (i = 0; i < s->nsegs; i++)
		if (s->segs[i].size > s->segs[i].start)
			return false;
	return true;
}

void spool__stats(const struct spool *s, struct spool_stats *out)
{
	if (!out)
		return;
	if (!s) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = s->st;
}

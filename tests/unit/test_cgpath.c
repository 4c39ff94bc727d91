/*
 * Unit tests for agent/cgpath.c. A fake tree of plain directories in a
 * temporary directory (st_ino is the id there, as on cgroup2): ids and paths
 * round-trip, symbolic links and files are not walked, a directory created
 * after the first walk is found once the one-walk-a-second limit has passed,
 * removed and renamed ones are noticed, forget, a buffer too small, the bound
 * on entries. Then the real cgroup2 mount: "/" and this process's own cgroup
 * (from /proc/self/cgroup) round-trip; skipped when there is no cgroup2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgpath.h"
#include "testutil.h"

/* Past the one-walk-a-second limit. */
#define PAST_LIMIT_US 1100000

static __u64 ino(const char *dir, const char *rel)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	if (lstat(path, &st))
		fail_msg("lstat %s: %s", path, strerror(errno));
	return (__u64)st.st_ino;
}

static void mkdirs(const char *dir, const char *const *rels)
{
	char path[4096];

	for (; *rels; rels++) {
		snprintf(path, sizeof(path), "%s%s", dir, *rels);
		if (mkdir(path, 0755))
			fail_msg("mkdir %s: %s", path, strerror(errno));
	}
}

static void touch(const char *dir, const char *rel)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

/* cgpath__path into a fresh buffer; the result code, buf for the path. */
static int path_of(struct cgpath *c, __u64 id, char *buf, size_t len)
{
	memset(buf, 'x', len);
	return cgpath__path(c, id, buf, len);
}

static void assert_path(struct cgpath *c, __u64 id, const char *want)
{
	char buf[4096];
	int rc = path_of(c, id, buf, sizeof(buf));

	if (rc)
		fail_msg("path of %llu (want %s): %s", (unsigned long long)id, want, strerror(-rc));
	assert_string_equal(buf, want);
}

static void test_fake_tree(void **state)
{
	static const char *const dirs[] = { "/a", "/a/b", "/a/b/c", "/d", NULL };
	char *dir = tu_tmpdir(), *outside = tu_tmpdir();
	char buf[4096], link[4096];
	struct cgpath *c;
	__u64 id;

	(void)state;
	assert_non_null(dir);
	assert_non_null(outside);
	mkdirs(dir, dirs);
	touch(dir, "/a/file");
	/* A link to a directory outside the tree, and one inside it: neither
	 * is walked nor answered by path. */
	mkdirs(outside, (const char *const[]){ "/x", NULL });
	snprintf(link, sizeof(link), "%s/out", dir);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(link, sizeof(link), "%s/d/to-a", dir);
	assert_int_equal(symlink("../a", link), 0);

	c = cgpath__new(dir, 0);
	assert_non_null(c);
	assert_int_equal(cgpath__size(c), 0);
	assert_int_equal(cgpath__rescans(c), 0);

	/* the first miss walks once; the rest are hits */
	assert_path(c, ino(dir, "/a/b"), "/a/b");
	assert_int_equal(cgpath__rescans(c), 1);
	assert_int_equal(cgpath__size(c), 5);
	assert_path(c, ino(dir, ""), "/");
	assert_path(c, ino(dir, "/a"), "/a");
	assert_path(c, ino(dir, "/a/b/c"), "/a/b/c");
	assert_path(c, ino(dir, "/d"), "/d");
	assert_int_equal(path_of(c, ino(outside, "/x"), buf, sizeof(buf)), -ENOENT);
	assert_int_equal(path_of(c, ino(dir, "/a/file"), buf, sizeof(buf)), -ENOENT);
	assert_int_equal(path_of(c, 0, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgpath__rescans(c), 1);

	/* path -> id */
	assert_int_equal(cgpath__id(c, "/", &id), 0);
	assert_int_equal(id, ino(dir, ""));
	assert_int_equal(cgpath__id(c, "/a/b", &id), 0);
	assert_int_equal(id, ino(dir, "/a/b"));
	assert_int_equal(cgpath__id(c, "//a//b/", &id), 0);
	assert_int_equal(id, ino(dir, "/a/b"));
	assert_path(c, id, "/a/b");
	assert_int_equal(cgpath__id(c, "a/b", &id), -EINVAL);
	assert_int_equal(cgpath__id(c, "", &id), -EINVAL);
	assert_int_equal(cgpath__id(c, "/a/../d", &id), -EINVAL);
	assert_int_equal(cgpath__id(c, "/a/./b", &id), -EINVAL);
	assert_int_equal(cgpath__id(c, "/nope", &id), -ENOENT);
	assert_int_equal(cgpath__id(c, "/a/file", &id), -ENOTDIR);
	assert_int_equal(cgpath__id(c, "/out", &id), -ENOTDIR);
	assert_int_equal(cgpath__id(c, "/d/to-a", &id), -ENOTDIR);
	assert_int_equal(cgpath__id(c, NULL, &id), -EINVAL);
	assert_int_equal(cgpath__id(NULL, "/", &id), -EINVAL);
	assert_int_equal(cgpath__size(c), 5);
	assert_int_equal(cgpath__rescans(c), 1);

	cgpath__free(c);
	tu_rmtree(outside);
	tu_rmtree(dir);
	free(outside);
	free(dir);
}

static void test_changes(void **state)
{
	static const char *const dirs[] = { "/a", "/a/b", "/d", NULL };
	char *dir = tu_tmpdir();
	char buf[4096], from[4096], to[4096];
	__u64 a, b, d, e, id;
	struct cgpath *c;

	(void)state;
	assert_non_null(dir);
	mkdirs(dir, dirs);
	a = ino(dir, "/a");
	b = ino(dir, "/a/b");
	d = ino(dir, "/d");
	c = cgpath__new(dir, 0);
	assert_non_null(c);
	assert_path(c, d, "/d");
	assert_int_equal(cgpath__rescans(c), 1);
	assert_int_equal(cgpath__size(c), 4);

	/* Created, renamed, removed after the walk. Within the second: a miss
	 * does not walk again, a stale hit is noticed. */
	mkdirs(dir, (const char *const[]){ "/e", NULL });
	e = ino(dir, "/e");
	snprintf(from, sizeof(from), "%s/a", dir);
	snprintf(to, sizeof(to), "%s/a2", dir);
	assert_int_equal(rename(from, to), 0);
	snprintf(from, sizeof(from), "%s/d", dir);
	assert_int_equal(rmdir(from), 0);
	assert_int_equal(path_of(c, e, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(path_of(c, a, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(path_of(c, d, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgpath__rescans(c), 1);
	assert_int_equal(cgpath__size(c), 2); /* "/" and "/a/b", which is stale too but not asked for */

	/* After the second: one walk finds the new and the renamed ones. */
	usleep(PAST_LIMIT_US);
	assert_path(c, e, "/e");
	assert_int_equal(cgpath__rescans(c), 2);
	assert_path(c, a, "/a2");
	assert_path(c, b, "/a2/b");
	assert_int_equal(path_of(c, d, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgpath__rescans(c), 2);
	assert_int_equal(cgpath__size(c), 4); /* "/", "/a2", "/a2/b", "/e" */

	/* A walk drops removed cgroups nobody asked about. */
	snprintf(from, sizeof(from), "%s/e", dir);
	assert_int_equal(rmdir(from), 0);
	usleep(PAST_LIMIT_US);
	assert_int_equal(path_of(c, 0xfffffffffffULL, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgpath__rescans(c), 3);
	assert_int_equal(cgpath__size(c), 3);

	/* forget */
	cgpath__forget(c, b);
	assert_int_equal(cgpath__size(c), 2);
	assert_int_equal(path_of(c, b, buf, sizeof(buf)), -ENOENT); /* not walked again within the second */
	cgpath__forget(c, b);
	cgpath__forget(c, 12345);
	cgpath__forget(NULL, b);
	assert_int_equal(cgpath__size(c), 2);
	/* cgpath__id caches it again */
	assert_int_equal(cgpath__id(c, "/a2/b", &id), 0);
	assert_int_equal(id, b);
	assert_int_equal(cgpath__size(c), 3);
	assert_path(c, b, "/a2/b");
	assert_int_equal(cgpath__rescans(c), 3);

	cgpath__free(c);
	tu_rmtree(dir);
	free(dir);
}

static void test_buffer_too_small(void **state)
{
	static const char *const dirs[] = { "/abc", NULL };
	char *dir = tu_tmpdir();
	struct cgpath *c;
	char buf[8];
	__u64 id;

	(void)state;
	assert_non_null(dir);
	mkdirs(dir, dirs);
	id = ino(dir, "/abc");
	c = cgpath__new(dir, 0);
	assert_non_null(c);
	/* from the walk */
	assert_int_equal(path_of(c, id, buf, 4), -ENAMETOOLONG);
	assert_string_equal(buf, "");
	assert_int_equal(cgpath__rescans(c), 1);
	/* from the cache: it was cached all the same */
	assert_int_equal(path_of(c, id, buf, 4), -ENAMETOOLONG);
	assert_string_equal(buf, "");
	assert_int_equal(path_of(c, id, buf, 5), 0);
	assert_string_equal(buf, "/abc");
	assert_int_equal(path_of(c, ino(dir, ""), buf, 1), -ENAMETOOLONG);
	assert_int_equal(path_of(c, ino(dir, ""), buf, 2), 0);
	assert_string_equal(buf, "/");
	assert_int_equal(cgpath__path(c, id, NULL, 0), -ENAMETOOLONG);
	assert_int_equal(cgpath__path(c, id, NULL, 5), -EINVAL);
	assert_int_equal(cgpath__path(NULL, id, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cgpath__rescans(c), 1);
	cgpath__free(c);
	tu_rmtree(dir);
	free(dir);
}

/* 21 directories, 5 entries: the walk keeps 4 plus the one asked for. */
static void test_bound(void **state)
{
	char *dir = tu_tmpdir();
	char rel[32], buf[64];
	__u64 ids[21], id;
	struct cgpath *c;
	int i, hits = 0, miss = -1;

	(void)state;
	assert_non_null(dir);
	ids[0] = ino(dir, "");
	for (i = 1; i < 21; i++) {
		snprintf(rel, sizeof(rel), "/d%02d", i);
		mkdirs(dir, (const char *const[]){ rel, NULL });
		ids[i] = ino(dir, rel);
	}
	c = cgpath__new(dir, 5);
	assert_non_null(c);
	assert_int_equal(path_of(c, ids[20], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/d20");
	assert_int_equal(cgpath__size(c), 5);
	assert_int_equal(cgpath__rescans(c), 1);
	/* Exactly the cached ones answer within the second, the one asked for
	 * among them; the others wait for the next walk. */
	for (i = 0; i < 21; i++) {
		int rc = path_of(c, ids[i], buf, sizeof(buf));

		assert_true(rc == 0 || rc == -ENOENT);
		if (rc == 0) {
			hits++;
			if (i == 0)
				assert_string_equal(buf, "/");
		} else if (miss < 0) {
			miss = i;
		}
	}
	assert_true(miss > 0);
	assert_int_equal(hits, 5);
	assert_int_equal(path_of(c, ids[20], buf, sizeof(buf)), 0);
	assert_int_equal(cgpath__rescans(c), 1);
	assert_int_equal(cgpath__size(c), 5);
	/* cgpath__id answers but does not grow a full cache */
	snprintf(rel, sizeof(rel), "/d%02d", miss);
	assert_int_equal(cgpath__id(c, rel, &id), 0);
	assert_int_equal(id, ids[miss]);
	assert_int_equal(cgpath__size(c), 5);
	assert_int_equal(path_of(c, ids[miss], buf, sizeof(buf)), -ENOENT);
	/* a walk later: another one asked for gets in */
	usleep(PAST_LIMIT_US);
	assert_int_equal(path_of(c, ids[miss], buf, sizeof(buf)), 0);
	assert_string_equal(buf, rel);
	assert_int_equal(cgpath__size(c), 5);
	assert_int_equal(path_of(c, ids[miss], buf, sizeof(buf)), 0);
	assert_int_equal(cgpath__rescans(c), 2);
	cgpath__free(c);
	tu_rmtree(dir);
	free(dir);
}

static void test_new_errors(void **state)
{
	char *dir = tu_tmpdir();
	char path[4096];

	(void)state;
	assert_non_null(dir);
	touch(dir, "/file");
	snprintf(path, sizeof(path), "%s/file", dir);
	errno = 0;
	assert_null(cgpath__new(path, 0));
	assert_int_equal(errno, ENOTDIR);
	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 0;
	assert_null(cgpath__new(path, 0));
	assert_int_equal(errno, ENOENT);
	cgpath__free(NULL);
	assert_int_equal(cgpath__size(NULL), 0);
	assert_int_equal(cgpath__rescans(NULL), 0);
	tu_rmtree(dir);
	free(dir);
}

static bool is_cgroup2(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* This process's cgroup v2 path ("0::/path" in /proc/self/cgroup). */
static bool own_cgroup(char *out, size_t len)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, len, "%s", line + 3);
		found = true;
	}
	fclose(f);
	return found;
}

/* The cgroup id as the kernel gives it out (the file handle of a cgroup2
 * directory is its kernfs id, which bpf_get_current_cgroup_id returns);
 * 0 when the kernel gives no handle. */
static __u64 kernel_id(const char *root, const char *rel)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 64];
	} h;
	char path[4096];
	__u64 id;
	int mount_id;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	h.fh.handle_bytes = 64;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) || h.fh.handle_bytes != sizeof(id))
		return 0;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return id;
}

/* id == st_ino == the kernel's cgroup id, and path <-> id both ways. */
static void check_real(struct cgpath *c, const char *root, const char *rel)
{
	__u64 id, kid;

	assert_int_equal(cgpath__id(c, rel, &id), 0);
	assert_int_equal(id, ino(root, strcmp(rel, "/") ? rel : ""));
	kid = kernel_id(root, strcmp(rel, "/") ? rel : "");
	if (kid)
		assert_int_equal(kid, id);
	assert_path(c, id, rel);
	print_message("cgroup %s: id %llu (%s)\n", rel, (unsigned long long)id,
		      kid ? "the kernel's file handle agrees" : "no file handle to compare");
}

static void test_real_tree(void **state)
{
	const char *root = NULL;
	char own[4096], buf[4096];
	struct cgpath *c;
	__u64 id, root_id;

	(void)state;
	if (is_cgroup2("/sys/fs/cgroup"))
		root = "/sys/fs/cgroup";
	else if (is_cgroup2("/sys/fs/cgroup/unified"))
		root = "/sys/fs/cgroup/unified";
	if (!root) {
		print_message("no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified: skipped\n");
		skip();
	}
	/* NULL finds the same root (the unified one on a hybrid host) */
	c = cgpath__new(NULL, 0);
	assert_non_null(c);
	root_id = ino(root, "");
	assert_path(c, root_id, "/");
	assert_int_equal(cgpath__rescans(c), 1);
	assert_int_equal(cgpath__id(c, "/", &id), 0);
	assert_int_equal(id, root_id);
	print_message("cgroup2 at %s: %zu cgroups cached after one walk\n", root, cgpath__size(c));

	check_real(c, root, "/");

	assert_true(own_cgroup(own, sizeof(own)));
	if (cgpath__id(c, own, &id) != 0) {
		/* A cgroup namespace whose root is not this mount's. */
		print_message("own cgroup %s not under %s: not checked\n", own, root);
	} else {
		check_real(c, root, own);
		/* forgotten: not walked again within the second */
		cgpath__forget(c, id);
		assert_int_equal(path_of(c, id, buf, sizeof(buf)), -ENOENT);
	}

	/* As root: a cgroup made and removed here, found by a new walk. */
	snprintf(own, sizeof(own), "%s/aisec-test-cgpath.%d", root, (int)getpid());
	if (mkdir(own, 0755) == 0) {
		usleep(PAST_LIMIT_US);
		id = ino(own, "");
		assert_path(c, id, own + strlen(root));
		check_real(c, root, own + strlen(root));
		assert_int_equal(rmdir(own), 0);
		assert_int_equal(path_of(c, id, buf, sizeof(buf)), -ENOENT);
	} else {
		print_message("cannot create a cgroup in %s (%s): not checked\n", root, strerror(errno));
	}
	cgpath__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_tree),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_real_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

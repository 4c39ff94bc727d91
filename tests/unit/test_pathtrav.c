/*
 * Unit tests for agent/pathtrav.c, run with the shipped rules/path-traversal.json
 * (read from disk, so the defaults are what is tested): lexical
 * normalisation edge cases, each at its exact output size and one byte short
 * in heap buffers (ASan flags a write past them); the 70 opens a Python web
 * service really makes at start-up (strace of python3 importing http.server,
 * ssl, json, uuid... with getpwuid, getaddrinfo, mimetypes) which must all
 * stay quiet; a table of benign and attack opens with the expected verdict of
 * each, FP/FN counts printed; exact reasons; parameter errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pathtrav.h"
#include "rulefile.h"
#include "rowcheck.h"
#include "rules.h"

#define RULE_FILE "rules/path-traversal.json"

static void test_rule_file(void **state)
{
	struct tu_rule_file s;
	const cJSON *ev;
	char err[256] = "";

	tu_rule_file_load(&s, RULE_FILE);
	CHECK_STR(RULE_FILE, s.rule.name, "path-traversal");
	CHECK_STR(RULE_FILE, s.rule.detector, "path-traversal");
	CHECK_INT(RULE_FILE, s.rule.ncwes, 2);
	CHECK_INT(RULE_FILE, s.rule.cwes[0], 22);
	CHECK_INT(RULE_FILE, s.rule.cwes[1], 23);
	CHECK_STR(RULE_FILE, s.rule.severity, "high");
	ev = cJSON_GetObjectItem(s.root, "events");
	CHECK_INT(RULE_FILE, cJSON_GetArraySize(ev), 1);
	CHECK_STR(RULE_FILE, cJSON_GetStringValue(cJSON_GetArrayItem(ev, 0)), "open");
	if (pathtrav__check_params(s.rule.params, err, sizeof(err)) != 0)
		fail_msg("%s: %s", RULE_FILE, err);
	cJSON_Delete(s.root);
}

/* ---- normalisation ---- */

struct norm_case {
	const char *cwd;
	const char *path;
	const char *want;
};

/* clang-format off */
static const struct norm_case norm_cases[] = {
	{"/srv", "a/../../b", "/b"},
	{"", "a/../../b", "../b"},
	{NULL, "a/../../b", "../b"},
	{"/", "//x", "/x"},
	{"", "//x", "/x"},
	{"/srv", "/..", "/"},
	{"", "/..", "/"},
	{"/", "/../../..", "/"},
	{"/srv/app/", "files/", "/srv/app/files"},
	{"/", "/a/b/", "/a/b"},
	{"/", "/a/b///", "/a/b"},
	{"/a", "b/./c//d/", "/a/b/c/d"},
	{"", "", "."},
	{"/srv", "", "/srv"},
	{"", ".", "."},
	{"", "./..", ".."},
	{"", "../../x", "../../x"},
	{"/a/b", "../../../../c", "/c"},
	{"rel/cwd", "x", "rel/cwd/x"},
	{"rel", "../../x", "../x"},
	{"", "a/..", "."},
	{"", "a/../", "."},
	{"/a/b", "..", "/a"},
	{"/a/b/", "../..", "/"},
	{"/", "...", "/..."},
	{"/x", "..a/b..", "/x/..a/b.."},
	{"/srv/app", "/etc/passwd", "/etc/passwd"},
	{"////", "a", "/a"},
	{"/a/./b/.", ".", "/a/b"},
	{"/srv", "a/b/../../../../..", "/"},
	{"/srv/app/files", "../../../etc/shadow", "/etc/shadow"},
	{"/", "/srv/app/files/../../../../etc/shadow", "/etc/shadow"},
};
/* clang-format on */

static void test_normalize_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		size_t n = strlen(c->want), k;
		char row[128];
		char *out = malloc(n + 1);
		int ret;

		snprintf(row, sizeof(row), "cwd=%s path=%s", c->cwd ? c->cwd : "(null)", c->path);
		assert_non_null(out);
		ret = pathtrav__normalize(c->cwd, c->path, out, n + 1);
		CHECK_INT(row, ret, n);
		CHECK_STR(row, out, c->want);
		free(out);

		/* One byte short: refused, and not a byte written. */
		out = malloc(n ? n : 1);
		assert_non_null(out);
		memset(out, 'Z', n ? n : 1);
		ret = pathtrav__normalize(c->cwd, c->path, out, n);
		CHECK_INT(row, ret, -ENAMETOOLONG);
		for (k = 0; k < n; k++)
			if (out[k] != 'Z')
				fail_msg("\"%s\": byte %zu written on a refused call", row, k);
		free(out);
	}
}

static void test_normalize_long(void **state)
{
	char *path = malloc(20000), *cwd = malloc(20000), *out = malloc(8192);
	char small[3];
	size_t i;

	assert_non_null(path);
	assert_non_null(cwd);
	assert_non_null(out);

	/* One 5000-byte segment: too long for PATH_MAX, fits in 5002. */
	path[0] = '/';
	memset(path + 1, 'a', 5000);
	path[5001] = '\0';
	CHECK_INT("overlong", pathtrav__normalize("/", path, out, 4096), -ENAMETOOLONG);
	CHECK_INT("overlong", pathtrav__normalize("/", path, out, 5001), -ENAMETOOLONG);
	CHECK_INT("overlong", pathtrav__normalize("/", path, out, 5002), 5001);
	assert_memory_equal(out, path, 5002);

	/* cwd + path too long together though each fits. */
	memset(cwd, 'c', 3000);
	cwd[0] = '/';
	cwd[3000] = '\0';
	memset(path, 'p', 3000);
	path[3000] = '\0';
	CHECK_INT("cwd+path", pathtrav__normalize(cwd, path, out, 4096), -ENAMETOOLONG);
	CHECK_INT("cwd+path", pathtrav__normalize(cwd, path, out, 8192), 6001);
	CHECK_INT("cwd+path", out[3000], '/');

	/* Long on the way, short at the end: 1000 levels down and back up. */
	strcpy(cwd, "/");
	for (i = 0; i < 1000; i++)
		strcat(cwd, "dddd/");
	path[0] = '\0';
	for (i = 0; i < 1000; i++)
		strcat(path, "../");
	strcat(path, "x");
	CHECK_INT("down and up", pathtrav__normalize(cwd, path, small, sizeof(small)), 2);
	CHECK_STR("down and up", small, "/x");

	CHECK_INT("NULL path", pathtrav__normalize("/", NULL, out, 10), -EINVAL);
	CHECK_INT("NULL out", pathtrav__normalize("/", "/x", NULL, 0), -ENAMETOOLONG);
	CHECK_INT("NULL out, length", pathtrav__normalize("/", "/x", NULL, 10), -EINVAL);
	free(path);
	free(cwd);
	free(out);
}

/* ---- the detector ---- */

#define NONE 0
#define TRIG FINDING_TRIGGERED
#define CONF FINDING_CONFIRMED

static struct pathtrav *new_shipped(struct tu_rule_file *s)
{
	char err[256] = "";
	struct pathtrav *d;

	tu_rule_file_load(s, RULE_FILE);
	d = pathtrav__new(&s->rule, err, sizeof(err));
	if (!d)
		fail_msg("pathtrav__new: %s", err);
	return d;
}

/* Run one open; returns NONE, TRIG or CONF and checks the fields every detection must have. */
static int run(struct pathtrav *d, const char *row, const char *cwd, const char *root, const char *path, __s64 ret,
	       struct detection *det)
{
	struct pathtrav_input in = {.path = path, .cwd = cwd, .service_root = root, .ret = ret};
	int r;

	memset(det, 0xa5, sizeof(*det));
	r = pathtrav__observe(d, &in, det);
	if (r == 0)
		return NONE;
	CHECK_INT(row, r, 1);
	CHECK_STR(row, det->detector, "path-traversal");
	CHECK_INT(row, det->ncwes, 2);
	CHECK_INT(row, det->cwes[0], 22);
	CHECK_INT(row, det->cwes[1], 23);
	CHECK_STR(row, det->severity, "high");
	if (det->confidence < 1 || det->confidence > 100)
		fail_msg("\"%s\": confidence %d", row, det->confidence);
	if (memchr(det->reason, '\0', sizeof(det->reason)) == NULL || det->reason[0] == '\0')
		fail_msg("\"%s\": reason empty or not terminated", row);
	if (det->status != FINDING_TRIGGERED && det->status != FINDING_CONFIRMED)
		fail_msg("\"%s\": status %d", row, det->status);
	return det->status;
}

/* What a Python 3.11 web service opened at start-up (strace, cwd /srv/app), and the result. */
/* clang-format off */
static const struct {
	const char *path;
	__s64 ret;
} startup_opens[] = {
	{"/etc/ld.so.cache", 3},
	{"/lib/x86_64-linux-gnu/libm.so.6", 3},
	{"/lib/x86_64-linux-gnu/libz.so.1", 3},
	{"/lib/x86_64-linux-gnu/libexpat.so.1", 3},
	{"/lib/x86_64-linux-gnu/libc.so.6", 3},
	{"/usr/lib/locale/locale-archive", -ENOENT},
	{"/usr/lib/locale/C.UTF-8/LC_CTYPE", -ENOENT},
	{"/usr/lib/locale/C.utf8/LC_CTYPE", 3},
	{"/usr/lib/locale/C.utf8/LC_NUMERIC", 3},
	{"/usr/lib/locale/C.utf8/LC_TIME", 3},
	{"/usr/lib/locale/C.utf8/LC_COLLATE", 3},
	{"/usr/lib/locale/C.utf8/LC_MONETARY", 3},
	{"/usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES", 3},
	{"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", 3},
	{"/usr/bin/pyvenv.cfg", -ENOENT},
	{"/usr/pyvenv.cfg", -ENOENT},
	{"/usr/bin/python3._pth", -ENOENT},
	{"/usr/bin/python3.11._pth", -ENOENT},
	{"/usr/bin/pybuilddir.txt", -ENOENT},
	{"/usr/lib/python3.11", 3},
	{"/usr/lib/python3.11/encodings", 3},
	{"/usr/lib/python3.11/encodings/__pycache__/__init__.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/encodings/__pycache__/aliases.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/encodings/__pycache__/utf_8.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/lib-dynload", 4},
	{"/usr/local/lib/python3.11/dist-packages", 3},
	{"/usr/lib/python3/dist-packages", 3},
	{"/usr/lib/python3/dist-packages/distutils-precedence.pth", 3},
	{"/usr/lib/python3/dist-packages/_distutils_hack/__pycache__/__init__.cpython-311.pyc", 4},
	{"/usr/lib/python3.11/__pycache__/sitecustomize.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/http/__pycache__/server.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/http/__pycache__/client.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/email/__pycache__/parser.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/email/__pycache__/feedparser.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/socket.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/selectors.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/socketserver.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/ssl.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", 3},
	{"/lib/x86_64-linux-gnu/libssl.so.3", 3},
	{"/lib/x86_64-linux-gnu/libcrypto.so.3", 3},
	{"/usr/lib/python3.11/json/__pycache__/__init__.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so", 3},
	{"/usr/lib/python3.11/urllib/__pycache__/parse.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/uuid.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/lib-dynload/_uuid.cpython-311-x86_64-linux-gnu.so", 3},
	{"/lib/x86_64-linux-gnu/libuuid.so.1", 3},
	{"/usr/lib/python3.11/__pycache__/platform.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/getpass.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/tempfile.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/__pycache__/mimetypes.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/logging/__pycache__/__init__.cpython-311.pyc", 3},
	{"/usr/lib/python3.11/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so", 3},
	{"/lib/x86_64-linux-gnu/libbz2.so.1.0", 3},
	{"/lib/x86_64-linux-gnu/liblzma.so.5", 3},
	{"/etc/localtime", 3},
	{"/etc/passwd", 3}, /* getpwuid(), through NSS */
	{"/etc/nsswitch.conf", 3},
	{"/etc/host.conf", 3},
	{"/etc/resolv.conf", 3},
	{"/etc/hosts", 3},
	{"/etc/mime.types", 3},
	{"/usr/share/locale/locale.alias", 3},
	{"/usr/lib/ssl/openssl.cnf", 3},
	{"/etc/ssl/certs/ca-certificates.crt", 3},
	{"/etc/ssl/certs", 3},
	{"/tmp", 3},
	{"/tmp/ma2e9msi", 3},
	{"/dev/null", 5},
	{"/srv/app", 3},
	{"files/readme.txt", 3},
	/* Dynamic loader following $ORIGIN/../lib run paths: '..' the runtime writes itself. */
	{"/usr/local/bin/../lib/libpython3.11.so.1.0", 3},
	{"/srv/app/.venv/lib/python3.11/site-packages/numpy/core/../../numpy.libs/libopenblas64_p-r0-15028c96.3.21.so", 3},
	{"/usr/lib/x86_64-linux-gnu/../../share/locale/locale.alias", 3},
};
/* clang-format on */

static void test_startup_opens_quiet(void **state)
{
	struct tu_rule_file s;
	struct pathtrav *d = new_shipped(&s);
	struct detection det;
	size_t i, n = sizeof(startup_opens) / sizeof(startup_opens[0]);

	assert_true(n >= 50);
	for (i = 0; i < n; i++) {
		int got = run(d, startup_opens[i].path, "/srv/app", "/srv/app", startup_opens[i].path,
			      startup_opens[i].ret, &det);

		if (got != NONE)
			fail_msg("start-up open \"%s\" reported (%d): %s", startup_opens[i].path, got, det.reason);
	}
	print_message("pathtrav: %zu start-up opens of a Python service, 0 reported\n", n);
	pathtrav__free(d);
	cJSON_Delete(s.root);
}

struct row {
	const char *name;
	bool attack;
	const char *cwd;
	const char *root;
	const char *path;
	__s64 ret;
	int want;
};

#define APP "/srv/app"

/* clang-format off */
static const struct row rows[] = {
	/* Benign: what a web service opens while serving. */
	{"app source", false, APP, APP, "/srv/app/app.py", 3, NONE},
	{"relative data file", false, APP, APP, "files/readme.txt", 3, NONE},
	{"absolute data file", false, APP, APP, "/srv/app/files/readme.txt", 3, NONE},
	{"dot-relative config", false, APP, APP, "./config.yaml", 3, NONE},
	{"template", false, APP, APP, "templates/index.html", 3, NONE},
	{"static asset", false, APP, APP, "static/css/site.css", 3, NONE},
	{"missing static asset", false, APP, APP, "static/js/missing.js", -ENOENT, NONE},
	{"upload", false, APP, APP, "/srv/app/uploads/report.pdf", 3, NONE},
	{"directory listing", false, APP, APP, "/srv/app/files/", 3, NONE},
	{"cwd listing", false, APP, APP, ".", 3, NONE},
	{"bytecode cache", false, APP, APP, "/srv/app/__pycache__/app.cpython-311.pyc", 3, NONE},
	{"getpwuid", false, APP, APP, "/etc/passwd", 3, NONE},
	{"getgrgid", false, APP, APP, "/etc/group", 3, NONE},
	{"resolver hosts", false, APP, APP, "/etc/hosts", 3, NONE},
	{"resolver conf", false, APP, APP, "/etc/resolv.conf", 3, NONE},
	{"nsswitch", false, APP, APP, "/etc/nsswitch.conf", 3, NONE},
	{"CA bundle", false, APP, APP, "/etc/ssl/certs/ca-certificates.crt", 3, NONE},
	{"zoneinfo", false, APP, APP, "/usr/share/zoneinfo/Europe/Paris", 3, NONE},
	{"stdlib module", false, APP, APP, "/usr/lib/python3.11/os.py", 3, NONE},
	{"site package", false, APP, APP, "/usr/local/lib/python3.11/dist-packages/flask/__init__.py", 3, NONE},
	{"temp file", false, APP, APP, "/tmp/tmpa1b2c3d4", 3, NONE},
	{"dev null", false, APP, APP, "/dev/null", 3, NONE},
	{"proc status", false, APP, APP, "/proc/self/status", 3, NONE},
	{"proc fd dir", false, APP, APP, "/proc/self/fd", 3, NONE},
	{"cgroup cpu limit", false, APP, APP, "/sys/fs/cgroup/cpu.max", 3, NONE},
	{"cpu online", false, APP, APP, "/sys/devices/system/cpu/online", 3, NONE},
	{"log file", false, APP, APP, "/var/log/app/app.log", 3, NONE},
	{"pip cache", false, APP, APP, "/home/app/.cache/pip/selfcheck.json", -ENOENT, NONE},
	{"rpath $ORIGIN/..", false, APP, APP, "/opt/conda/bin/../lib/libz.so.1", 3, NONE},
	{"venv wheel libs", false, APP, APP, "/srv/app/.venv/lib/python3.11/site-packages/PIL/../pillow.libs/libjpeg-45e70d75.so.62.4.0", 3, NONE},
	{"locale via ..", false, APP, APP, "/usr/lib/x86_64-linux-gnu/../../share/locale/de/LC_MESSAGES/libc.mo", -ENOENT, NONE},
	{"locale file", false, APP, APP, "/usr/lib/locale/C.utf8/LC_CTYPE", 3, NONE},
	/* The service's own code climbing inside its root: triggered, a benign '..' the detector cannot tell apart. */
	{"app joins ../data", false, APP, APP, "/srv/app/lib/../data/db.sqlite", 3, TRIG},

	/* Attacks. */
	{"demo: files/../../../../../etc/shadow", true, APP, APP, "/srv/app/files/../../../../../etc/shadow", -EACCES, CONF},
	{"relative ../ to passwd", true, APP, APP, "files/../../../../etc/passwd", 3, CONF},
	{"shadow direct, EACCES", true, APP, APP, "/etc/shadow", -EACCES, CONF},
	{"gshadow", true, APP, APP, "/etc/gshadow", -EACCES, CONF},
	{"self environ", true, APP, APP, "/proc/self/environ", 3, CONF},
	{"pid 1 environ", true, APP, APP, "/proc/1/environ", -EACCES, CONF},
	{"task environ", true, APP, APP, "/proc/self/task/42/environ", 3, CONF},
	{"environ via ..", true, APP, APP, "/srv/app/files/../../../proc/self/environ", 3, CONF},
	{"root ssh key", true, APP, APP, "/root/.ssh/id_rsa", -EACCES, CONF},
	{"user ssh key", true, APP, APP, "/home/alice/.ssh/id_ed25519", 3, CONF},
	{"authorized_keys", true, APP, APP, "/home/app/.ssh/authorized_keys", 3, CONF},
	{"k8s token", true, APP, APP, "/var/run/secrets/kubernetes.io/serviceaccount/token", 3, CONF},
	{"k8s token via ..", true, APP, APP, "/srv/app/files/../../../run/secrets/kubernetes.io/serviceaccount/token", 3, CONF},
	{"eks token", true, APP, APP, "/run/secrets/eks.amazonaws.com/serviceaccount/token", 3, CONF},
	{"sudoers", true, APP, APP, "/etc/sudoers", -EACCES, CONF},
	{"sudoers.d", true, APP, APP, "/etc/sudoers.d/90-cloud-init-users", -EACCES, CONF},
	{"ssh host key", true, APP, APP, "/etc/ssh/ssh_host_ed25519_key", -EACCES, CONF},
	{"aws credentials", true, APP, APP, "/root/.aws/credentials", 3, CONF},
	{"kube config", true, APP, APP, "/home/app/.kube/config", 3, CONF},
	{"docker config", true, APP, APP, "/root/.docker/config.json", 3, CONF},
	{"bash history", true, APP, APP, "/root/.bash_history", 3, CONF},
	{"double slash shadow", true, APP, APP, "/etc//shadow", -EACCES, CONF},
	{"dotted passwd spelling", true, APP, APP, "/etc/./passwd", 3, CONF},
	{"group via ..", true, APP, APP, "/srv/app/files/../../../etc/group", 3, CONF},
	{"escape to non-sensitive", true, APP, APP, "/srv/app/files/../../../../../../../../../../etc/hostname", 3, CONF},
	{"escape then wander", true, APP, APP, "files/../../../../../../usr/share/../../etc/issue", 3, CONF},
	{"sibling dir with root prefix", true, APP, APP, "/srv/app/static/../../app2/config.yaml", 3, CONF},
	{"from a chdir'd worker", true, "/srv/app/files", APP, "../../../etc/hostname", -ENOENT, CONF},
	{"root differs from cwd", true, "/", APP, "srv/app/files/../../../etc/hostname", 3, CONF},
	{"root defaults to cwd", true, APP, NULL, "/srv/app/files/../../x", -ENOENT, CONF},
	{"cwd unknown, climbs", true, "", NULL, "../../../../etc/hostname", 3, CONF},
	{"proc cwd link, lexically", true, APP, APP, "/proc/self/cwd/../../../etc/shadow", -EACCES, CONF},
	{"inside root: ../app.py", true, APP, APP, "/srv/app/files/../app.py", 3, TRIG},
	{"inside root: relative", true, APP, APP, "files/../config.yaml", 3, TRIG},
	{"cwd and root unknown", true, "", "", "/srv/app/files/../app.py", 3, TRIG},
	{"cwd unknown, stays below", true, "", NULL, "files/../app.py", 3, TRIG},
	/* Known misses: absolute-path injection (os.path.join(BASE, "/etc/passwd") gives "/etc/passwd"). */
	{"FN: absolute passwd", true, APP, APP, "/etc/passwd", 3, NONE},
	{"FN: absolute non-sensitive", true, APP, APP, "/etc/hostname", 3, NONE},
};
/* clang-format on */

static void test_corpus(void **state)
{
	struct tu_rule_file s;
	struct pathtrav *d = new_shipped(&s);
	struct detection det;
	size_t i, nb = 0, na = 0, fp_conf = 0, fp_trig = 0, a_conf = 0, a_trig = 0, fn = 0, known_fn = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int got = run(d, r->name, r->cwd, r->root, r->path, r->ret, &det);

		if (got != r->want)
			fail_msg("\"%s\" (%s): got %d, want %d; reason: %s", r->name, r->path, got, r->want,
				 got ? det.reason : "-");
		if (!r->attack) {
			nb++;
			fp_conf += got == CONF;
			fp_trig += got == TRIG;
		} else {
			na++;
			a_conf += got == CONF;
			a_trig += got == TRIG;
			fn += got == NONE;
			known_fn += strncmp(r->name, "FN:", 3) == 0;
		}
	}
	print_message("pathtrav: benign %zu: FP confirmed %zu, FP triggered %zu; attack %zu: confirmed %zu, "
		      "triggered only %zu, FN (missed) %zu\n",
		      nb, fp_conf, fp_trig, na, a_conf, a_trig, fn);
	assert_true(nb >= 30);
	assert_true(na >= 30);
	CHECK_INT("FP confirmed", fp_conf, 0);
	CHECK_INT("FN", fn, known_fn);
	pathtrav__free(d);
	cJSON_Delete(s.root);
}

static void test_reasons(void **state)
{
	/* clang-format off */
	static const struct {
		const char *cwd, *root, *path;
		__s64 ret;
		const char *want;
	} cases[] = {
		{APP, APP, "/srv/app/files/../../../../../etc/shadow", -EACCES,
		 "open of '/srv/app/files/../../../../../etc/shadow' resolves to sensitive file /etc/shadow, reached "
		 "through '..' (the open failed with EACCES)"},
		{APP, APP, "/etc/shadow", -EACCES, "open of sensitive file /etc/shadow (the open failed with EACCES)"},
		{APP, APP, "/proc/1/environ", 3, "open of sensitive file /proc/1/environ (matches /proc/*/environ)"},
		{APP, APP, "files/../../../../etc/passwd", 3,
		 "open of 'files/../../../../etc/passwd' resolves to sensitive file /etc/passwd, reached through '..'"},
		{APP, APP, "/srv/app/files/../app.py", 3,
		 "open of '/srv/app/files/../app.py' resolves to /srv/app/app.py, '..' staying inside the service root "
		 "/srv/app"},
		{APP, APP, "/srv/app/static/../../app2/x", -ENOENT,
		 "open of '/srv/app/static/../../app2/x' resolves to /srv/app2/x, outside the service root /srv/app (the "
		 "open failed with ENOENT)"},
		{"", NULL, "../../x", 3, "open of '../../x' resolves to ../../x, climbing above its starting directory"},
	};
	/* clang-format on */
	struct tu_rule_file s;
	struct pathtrav *d = new_shipped(&s);
	struct detection det;
	char longpath[4096];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(
		    run(d, cases[i].path, cases[i].cwd, cases[i].root, cases[i].path, cases[i].ret, &det), NONE);
		CHECK_STR(cases[i].path, det.reason, cases[i].want);
	}

	/* A 4000-byte path is cut with "..." and the verdict still fits. */
	strcpy(longpath, "/srv/app/files/");
	memset(longpath + 15, 'a', 3970);
	strcpy(longpath + 3985, "/../../..");
	assert_int_equal(run(d, "long", APP, APP, longpath, 3, &det), CONF);
	assert_non_null(strstr(det.reason, "aaa..."));
	assert_non_null(strstr(det.reason, "outside the service root /srv/app"));
	assert_true(strlen(det.reason) < sizeof(det.reason));

	/* Control bytes in a path are escaped, never copied raw. */
	assert_int_equal(run(d, "ctl", APP, APP, "/srv/app/a\n/../../../etc/shadow", -ENOENT, &det), CONF);
	assert_non_null(strstr(det.reason, "a\\x0a/"));
	assert_null(strchr(det.reason, '\n'));
	pathtrav__free(d);
	cJSON_Delete(s.root);
}

/* A custom rule: no ok_when_direct means /etc/passwd always confirms; allow quiets a '..' tree. */
static void test_custom_params(void **state)
{
	struct rule_family rule = {.name = "pt-custom", .cwes = {22}, .ncwes = 1, .severity = "medium"};
	struct detection det;
	char err[256] = "";
	struct pathtrav *d;

	rule.params = cJSON_Parse("{\"sensitive_paths\": [\"/etc/passwd\", \"/data/secret/*\"],"
				  " \"allow\": [\"/srv/app/vendor/*\"]}");
	assert_non_null(rule.params);
	d = pathtrav__new(&rule, err, sizeof(err));
	if (!d)
		fail_msg("%s", err);
	struct pathtrav_input in = {.path = "/etc/passwd", .cwd = APP, .service_root = APP, .ret = 3};

	assert_int_equal(pathtrav__observe(d, &in, &det), 1);
	assert_int_equal(det.status, FINDING_CONFIRMED);
	CHECK_STR("custom", det.detector, "pt-custom");
	CHECK_STR("custom", det.severity, "medium");
	CHECK_INT("custom", det.ncwes, 1);
	CHECK_INT("custom", det.cwes[0], 22);
	in.path = "/data/secret/a/b";
	assert_int_equal(pathtrav__observe(d, &in, &det), 1);
	in.path = "/srv/app/vendor/x/../y.js";
	assert_int_equal(pathtrav__observe(d, &in, &det), 0);
	in.path = "/srv/app/files/../y.js";
	assert_int_equal(pathtrav__observe(d, &in, &det), 1);
	assert_int_equal(det.status, FINDING_TRIGGERED);
	pathtrav__free(d);
	cJSON_Delete((cJSON *)rule.params);
}

static void test_params_errors(void **state)
{
	/* clang-format off */
	static const struct {
		const char *json;
		const char *want; /* NULL: valid */
	} cases[] = {
		{"{}", NULL},
		{"{\"sensitive_paths\": [], \"allow\": [\"*.so\"], \"ok_when_direct\": [\"/etc/passwd\"]}", NULL},
		{"[]", "$.params: expected an object"},
		{"{\"foo\": []}", "$.params.foo: unknown key"},
		{"{\"allow\": [], \"sensitive_path\": []}", "$.params.sensitive_path: unknown key"},
		{"{\"sensitive_paths\": \"/etc/shadow\"}", "$.params.sensitive_paths: expected an array of strings"},
		{"{\"sensitive_paths\": [\"/etc/shadow\", 3]}", "$.params.sensitive_paths[1]: expected a string"},
		{"{\"allow\": [\"/usr/lib/*\", \"\"]}", "$.params.allow[1]: empty string"},
		{"{\"ok_when_direct\": [\"etc/passwd\"]}",
		 "$.params.ok_when_direct[0]: expected an absolute path glob (\"/...\" or \"*...\")"},
		{"{\"allow\": [null]}", "$.params.allow[0]: expected a string"},
	};
	/* clang-format on */
	struct rule_family rule = {.name = "path-traversal", .severity = "high"};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *p = cJSON_Parse(cases[i].json);
		struct pathtrav *d;
		int ret;

		assert_non_null(p);
		strcpy(err, "untouched");
		ret = pathtrav__check_params(p, err, sizeof(err));
		if (!cases[i].want) {
			CHECK_INT(cases[i].json, ret, 0);
			CHECK_STR(cases[i].json, err, "untouched");
		} else {
			CHECK_INT(cases[i].json, ret, -EINVAL);
			CHECK_STR(cases[i].json, err, cases[i].want);
			/* The constructor refuses them the same way. */
			rule.params = p;
			strcpy(err, "");
			errno = 0;
			d = pathtrav__new(&rule, err, sizeof(err));
			assert_null(d);
			CHECK_INT(cases[i].json, errno, EINVAL);
			CHECK_STR(cases[i].json, err, cases[i].want);
		}
		cJSON_Delete(p);
	}
	/* A tiny error buffer is filled, cut and terminated. */
	cJSON *p = cJSON_Parse("{\"foo\": 1}");

	memset(err, 'Z', sizeof(err));
	assert_int_equal(pathtrav__check_params(p, err, 6), -EINVAL);
	CHECK_STR("short err", err, "$.par");
	assert_int_equal(pathtrav__check_params(p, NULL, 0), -EINVAL);
	cJSON_Delete(p);
}

static void test_null_arguments(void **state)
{
	struct tu_rule_file s;
	struct pathtrav *d = new_shipped(&s);
	struct pathtrav_input in = {.path = "/etc/shadow"};
	struct detection det;
	char err[64] = "";

	assert_int_equal(pathtrav__observe(NULL, &in, &det), -EINVAL);
	assert_int_equal(pathtrav__observe(d, NULL, &det), -EINVAL);
	assert_int_equal(pathtrav__observe(d, &in, NULL), -EINVAL);
	/* NULL cwd and root, empty and NULL paths are ordinary input. */
	assert_int_equal(pathtrav__observe(d, &in, &det), 1);
	in.path = "";
	assert_int_equal(pathtrav__observe(d, &in, &det), 0);
	in.path = NULL;
	assert_int_equal(pathtrav__observe(d, &in, &det), 0);
	errno = 0;
	assert_null(pathtrav__new(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	CHECK_STR("new(NULL)", err, "no rule family");
	pathtrav__free(NULL);
	pathtrav__free(d);
	cJSON_Delete(s.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_file),	   cmocka_unit_test(test_normalize_table),
	    cmocka_unit_test(test_normalize_long), cmocka_unit_test(test_startup_opens_quiet),
	    cmocka_unit_test(test_corpus),	   cmocka_unit_test(test_reasons),
	    cmocka_unit_test(test_custom_params),  cmocka_unit_test(test_params_errors),
	    cmocka_unit_test(test_null_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

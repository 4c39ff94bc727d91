/*
 * `aisec-rt run --config`: the node agent, end to end with the real binary.
 * Two shell "services" in two cgroups this test creates; the config selects
 * one. Checks: only the selected one yields events and evidence; /metrics
 * (scraped with curl) moves as events happen and /healthz is ready; the
 * capabilities left after the drop, on every thread; SIGHUP with a changed
 * findings file keeps old state and tracks new findings; a broken config on
 * SIGHUP is refused without stopping; SIGTERM drains and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <sys/mount.h>
#include <sys/capability.h>

#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "privs.h"
#include "testutil.h"

struct svc {
	pid_t pid;
	int fifo;          /* write end of its command FIFO */
	__u64 cgid;
};

static char *tmp;
static char cgv2[64];      /* the cgroup2 mount */
static char cgroot[256];   /* this test's cgroup under it */
static int port;
/* Service a runs in a cgroup named as containerd names a container's, with
 * runtime metadata putting it in namespace "shop"; b in a plain cgroup. */
#define CTR_ID "4f0c3c9b2f1e8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170655"
#define CG_A "cri-containerd-" CTR_ID ".scope"
#define CG_B "b"
/* What teardown must stop when a test fails half-way. */
static struct svc svc_a = { .fifo = -1 }, svc_b = { .fifo = -1 };
static struct tu_agent agent;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *fmt, ...)
{
	char t[4096];
	va_list ap;
	FILE *f;

	snprintf(t, sizeof(t), "%s.tmp", path);
	f = fopen(t, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(t, path), 0);
}

/* A SARIF with findings on app/mod1.py (and app/mod2.py when two). */
static void write_findings(int n)
{
	static const char *const result =
		"{\"ruleId\":\"py/sql-injection\",\"message\":{\"text\":\"query from input in %s\"},"
		"\"partialFingerprints\":{\"primaryLocationLineHash\":\"fp-%s\"},"
		"\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"app/%s\"},"
		"\"region\":{\"startLine\":3}}}]}";
	char path[512], r1[1024], r2[1024];

	snprintf(r1, sizeof(r1), result, "mod1.py", "mod1", "mod1.py");
	snprintf(r2, sizeof(r2), result, "mod2.py", "mod2", "mod2.py");
	snprintf(path, sizeof(path), "%s/findings.sarif", tmp);
	write_file(path,
		   "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"CodeQL\",\"rules\":["
		   "{\"id\":\"py/sql-injection\",\"properties\":{\"tags\":[\"security\",\"external/cwe/cwe-089\"]}}]}},"
		   "\"results\":[%s%s%s]}]}\n",
		   r1, n > 1 ? "," : "", n > 1 ? r2 : "");
}

static void write_config(const char *name, const char *extra)
{
	char path[512], rules[4096];

	assert_non_null(realpath("rules", rules));
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	write_file(path,
		   "{\"services\":[{\"name\":\"alpha\",\"match\":{\"namespace\":\"shop\",\"cgroup_prefix\":\"%s\"},"
		   "\"findings\":[\"%s/findings.sarif\"],\"source_root\":\"%s\"}],"
		   "\"sinks\":{\"file\":\"%s/evidence.ndjson\",\"events\":\"%s/events.ndjson\"},"
		   "\"runtime\":{\"containerd_root\":\"%s/containerd\"},"
		   "\"rules_dir\":\"%s\",\"metrics\":{\"listen\":\"127.0.0.1:%d\"}%s}\n",
		   cgroot + strlen(cgv2), tmp, tmp, tmp, tmp, tmp, rules, port, extra);
}

static __u64 cgroup_id(const char *dir)
{
	struct stat st;

	assert_int_equal(stat(dir, &st), 0);
	return st.st_ino;
}

/* A shell that runs each line written to its FIFO, inside cgroup dir. */
static void start_svc(struct svc *s, const char *name)
{
	char fifo[512], procs[512], dir[300], script[1024];

	snprintf(dir, sizeof(dir), "%s/%s", cgroot, name);
	snprintf(fifo, sizeof(fifo), "%s/%.8s.fifo", tmp, name);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* O_RDWR: the open does not wait for the reader, and the shell never
	 * sees EOF while we hold it. */
	s->fifo = open(fifo, O_RDWR | O_CLOEXEC);
	assert_true(s->fifo >= 0);
	s->cgid = cgroup_id(dir);
	snprintf(script, sizeof(script), "cd %s && while read -r line; do eval \"$line\"; done < %s", tmp, fifo);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		FILE *f = fopen(procs, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
			_exit(126);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
}

static void svc_do(struct svc *s, const char *cmd)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s\n", cmd);

	assert_int_equal(write(s->fifo, line, (size_t)n), n);
}

static void stop_svc(struct svc *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->fifo > 0)
		close(s->fifo);
	s->fifo = -1;
}

/* Events / evidence records so far (the file may not exist yet). */
static cJSON *read_lines(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if (access(path, F_OK))
		return cJSON_CreateArray();
	return tu_read_ndjson(path);
}

static long long num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsNumber(x) ? (long long)x->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsString(x) ? x->valuestring : "";
}

/* Events from cgroup cgid (of kind, when not NULL). */
static int count_events(__u64 cgid, const char *kind, const char *path_suffix)
{
	cJSON *all = read_lines("events.ndjson"), *e;
	int n = 0;

	assert_non_null(all);
	cJSON_ArrayForEach(e, all) {
		size_t pl, sl;
		const char *p;

		if ((__u64)num(e, "process", "cgroup_id") != cgid)
			continue;
		if (kind && strcmp(str(e, "kind", NULL), kind))
			continue;
		if (path_suffix) {
			p = str(e, "open", "path");
			pl = strlen(p);
			sl = strlen(path_suffix);
			if (pl < sl || strcmp(p + pl - sl, path_suffix))
				continue;
		}
		n++;
	}
	cJSON_Delete(all);
	return n;
}

/* Evidence records for the finding on uri with status. */
static int count_evidence(const char *uri, const char *status)
{
	cJSON *all = read_lines("evidence.ndjson"), *e;
	int n = 0;

	assert_non_null(all);
	cJSON_ArrayForEach(e, all) {
		if (strcmp(str(e, "finding", "uri"), uri) == 0 && strcmp(str(e, "status", NULL), status) == 0 &&
		    strcmp(str(e, "service", "name"), "alpha") == 0)
			n++;
	}
	cJSON_Delete(all);
	return n;
}

static bool wait_for(int (*count)(void *), void *arg, int want, double timeout)
{
	double end = now_s() + timeout;

	while (now_s() < end) {
		if (count(arg) >= want)
			return true;
		usleep(100000);
	}
	return count(arg) >= want;
}

struct ev_q {
	__u64 cgid;
	const char *kind, *suffix;
};

static int ev_count(void *arg)
{
	struct ev_q *q = arg;

	return count_events(q->cgid, q->kind, q->suffix);
}

struct evd_q {
	const char *uri, *status;
};

static int evd_count(void *arg)
{
	struct evd_q *q = arg;

	return count_evidence(q->uri, q->status);
}

/* GET path with curl; body into out. Returns the HTTP status or -1. */
static int http_get(const char *path, char *out, size_t cap)
{
	char url[256], err[512];
	int rc, code = -1;
	char *nl;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	{
		const char *argv[] = { "/usr/bin/curl", "-s", "-w", "\n%{http_code}", "--max-time", "5", url, NULL };

		rc = tu_run(argv, out, cap, err, sizeof(err));
	}
	if (rc != 0)
		return -1;
	nl = strrchr(out, '\n');
	if (nl) {
		code = atoi(nl + 1);
		*nl = '\0';
	}
	return code;
}

/* The value of one sample ("name{labels}") in a Prometheus text body; -1 if absent. */
static double metric(const char *body, const char *sample)
{
	size_t n = strlen(sample);

	for (const char *p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, sample, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	return -1;
}

static double scrape(const char *sample)
{
	static char body[1 << 20];

	assert_int_equal(http_get("/metrics", body, sizeof(body)), 200);
	return metric(body, sample);
}

/* Metrics are refreshed about once a second: wait for sample to reach want. */
static double scrape_until(const char *sample, double want, double timeout)
{
	double end = now_s() + timeout, v;

	while ((v = scrape(sample)) < want && now_s() < end)
		usleep(200000);
	return v;
}

/* Every thread of pid has exactly the capabilities in mask. */
static void assert_caps(pid_t pid, __u64 mask)
{
	char dir[64], procfs[128];
	struct dirent *d;
	int threads = 0;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	dp = opendir(dir);
	assert_non_null(dp);
	while ((d = readdir(dp))) {
		struct privs_caps pc;
		int tid = atoi(d->d_name);

		if (tid <= 0)
			continue;
		snprintf(procfs, sizeof(procfs), "/proc/%d/task", pid);
		assert_int_equal(privs__read(procfs, tid, &pc), 0);
		if (pc.eff != mask || pc.prm != mask || pc.bnd != mask || pc.inh || pc.amb)
			fail_msg("thread %d: eff %llx prm %llx bnd %llx inh %llx amb %llx, want %llx", tid,
				 (unsigned long long)pc.eff, (unsigned long long)pc.prm, (unsigned long long)pc.bnd,
				 (unsigned long long)pc.inh, (unsigned long long)pc.amb, (unsigned long long)mask);
		assert_int_equal(pc.no_new_privs, 1);
		threads++;
	}
	closedir(dp);
	assert_true(threads >= 2); /* main + the HTTP server at least */
	printf("# agent: %d threads, each with exactly the runtime capabilities %llx\n", threads,
	       (unsigned long long)mask);
}

static int setup(void **state)
{
	char path[512];

	(void)state;
	tu_require_root();
	tmp = tu_tmpdir();
	if (!tmp)
		return -1;
	/* cgroup v2 alone, or systemd's hybrid layout with v2 under unified/. */
	{
		struct statfs sf;

		if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			snprintf(cgv2, sizeof(cgv2), "/sys/fs/cgroup");
		else if (statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			snprintf(cgv2, sizeof(cgv2), "/sys/fs/cgroup/unified");
		else
			return -1;
	}
	snprintf(cgroot, sizeof(cgroot), "%s/aisec-test-run-%d", cgv2, getpid());
	if (mkdir(cgroot, 0755))
		return -1;
	snprintf(path, sizeof(path), "%s/" CG_A, cgroot);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/" CG_B, cgroot);
	mkdir(path, 0755);
	/* containerd's bundle for that container, as the CRI plugin writes it. */
	snprintf(path, sizeof(path), "%s/containerd", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containerd/" CTR_ID, tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containerd/" CTR_ID "/config.json", tmp);
	write_file(path, "{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"sh\"]},\"annotations\":{"
			 "\"io.kubernetes.cri.container-type\":\"container\","
			 "\"io.kubernetes.cri.container-name\":\"web\","
			 "\"io.kubernetes.cri.image-name\":\"registry.example.com/orders:1.4\","
			 "\"io.kubernetes.cri.sandbox-name\":\"orders-7d9f8-x2x4q\","
			 "\"io.kubernetes.cri.sandbox-namespace\":\"shop\","
			 "\"io.kubernetes.cri.sandbox-uid\":\"0d6f3a52-8a1e-4b55-9a0e-3c1f2b7d9e10\"}}\n");
	snprintf(path, sizeof(path), "%s/app", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/app/mod1.py", tmp);
	write_file(path, "import db\n\ndb.execute('select ' + x)\n");
	snprintf(path, sizeof(path), "%s/app/mod2.py", tmp);
	write_file(path, "import db\n\ndb.execute('delete ' + y)\n");
	port = 20000 + getpid() % 20000;
	return 0;
}

static int teardown(void **state)
{
	char path[512];

	(void)state;
	if (agent.pid > 0 && kill(agent.pid, 0) == 0) {
		kill(agent.pid, SIGKILL);
		tu_agent_wait(&agent, 5);
	}
	stop_svc(&svc_a);
	stop_svc(&svc_b);
	snprintf(path, sizeof(path), "%s/" CG_A, cgroot);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/" CG_B, cgroot);
	rmdir(path);
	rmdir(cgroot);
	if (tmp)
		tu_rmtree(tmp);
	return 0;
}

static void test_node_agent(void **state)
{
	struct svc *a = &svc_a, *b = &svc_b;
	struct tu_agent *ag = &agent;
	char cfg[512], body[4096];
	struct ev_q q;
	struct evd_q eq;
	double opens0, opens1;
	size_t mark;
	int rc;

	(void)state;
	write_findings(1);
	write_config("agent.json", "");
	snprintf(cfg, sizeof(cfg), "%s/agent.json", tmp);
	{
		const char *args[] = { "run", "--config", cfg, NULL };

		rc = tu_agent_start(ag, "running:", 30, args);
	}
	if (rc) {
		kill(ag->pid, SIGKILL);
		tu_agent_wait(ag, 5);
		fail_msg("agent did not start:\n%s", ag->err);
	}

	/* Ready, and the capabilities are the documented runtime set. */
	assert_int_equal(http_get("/healthz", body, sizeof(body)), 200);
	assert_caps(ag->pid, privs__runtime_set());

	start_svc(a, CG_A);
	start_svc(b, CG_B);
	/* The selected service shows up (its exec, reported by the kernel). */
	q = (struct ev_q){ .cgid = a->cgid, .kind = "exec" };
	if (!wait_for(ev_count, &q, 1, 15))
		fail_msg("no exec event from the selected service; agent log:\n%s", ag->err);
	opens0 = scrape("aisec_events_total{kind=\"open\"}");
	assert_true(opens0 >= 0);

	svc_do(a, "cat app/mod1.py >/dev/null");
	svc_do(b, "cat app/mod1.py >/dev/null");
	eq = (struct evd_q){ .uri = "app/mod1.py", .status = "reachable" };
	if (!wait_for(evd_count, &eq, 1, 15))
		fail_msg("no evidence for app/mod1.py; agent log:\n%s", ag->err);
	q = (struct ev_q){ .cgid = a->cgid, .kind = "open", .suffix = "app/mod1.py" };
	assert_true(wait_for(ev_count, &q, 1, 5));

	/* Pod identity from the runtime's metadata, on events and evidence. */
	{
		cJSON *all = read_lines("events.ndjson"), *e;
		int with = 0;

		cJSON_ArrayForEach(e, all) {
			const cJSON *k8s = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(e, "process"), "k8s");

			if ((__u64)num(e, "process", "cgroup_id") != a->cgid)
				continue;
			assert_string_equal(str(e, "service", NULL), "alpha");
			assert_string_equal(str(k8s, "namespace", NULL), "shop");
			assert_string_equal(str(k8s, "pod", NULL), "orders-7d9f8-x2x4q");
			assert_string_equal(str(k8s, "pod_uid", NULL), "0d6f3a52-8a1e-4b55-9a0e-3c1f2b7d9e10");
			assert_string_equal(str(k8s, "container", NULL), "web");
			assert_string_equal(str(k8s, "image", NULL), "registry.example.com/orders:1.4");
			assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(e, "process"), "container", "id"),
					    CTR_ID);
			with++;
		}
		assert_true(with >= 2);
		cJSON_Delete(all);
		all = read_lines("evidence.ndjson");
		cJSON_ArrayForEach(e, all) {
			const cJSON *svc = cJSON_GetObjectItemCaseSensitive(e, "service");

			assert_string_equal(str(svc, "name", NULL), "alpha");
			assert_string_equal(str(svc, "k8s", "namespace"), "shop");
			assert_string_equal(str(svc, "k8s", "container"), "web");
		}
		cJSON_Delete(all);
	}

	/* Counters moved with the events. */
	opens1 = scrape_until("aisec_events_total{kind=\"open\"}", opens0 + 1, 5);
	printf("# aisec_events_total{kind=\"open\"}: %.0f -> %.0f\n", opens0, opens1);
	assert_true(opens1 > opens0);
	assert_true(scrape_until("aisec_findings{service=\"alpha\",status=\"reachable\"}", 1, 5) == 1);
	assert_true(scrape_until("aisec_evidence_total{service=\"alpha\"}", 1, 5) >= 1);
	assert_true(scrape("aisec_watched_processes") >= 1);

	/* SIGHUP with a second finding: the first keeps its state (no second
	 * "reachable" record for it), the new one is tracked. */
	write_findings(2);
	mark = ag->err_len;
	kill(ag->pid, SIGHUP);
	if (tu_agent_wait_text(ag, mark, "reloaded:", 15))
		fail_msg("no reload; agent log:\n%s", ag->err);
	svc_do(a, "cat app/mod1.py app/mod2.py >/dev/null");
	svc_do(b, "cat app/mod1.py app/mod2.py >/dev/null");
	eq = (struct evd_q){ .uri = "app/mod2.py", .status = "reachable" };
	if (!wait_for(evd_count, &eq, 1, 15))
		fail_msg("no evidence for app/mod2.py after the reload; agent log:\n%s", ag->err);
	q = (struct ev_q){ .cgid = a->cgid, .kind = "open", .suffix = "app/mod1.py" };
	assert_true(wait_for(ev_count, &q, 2, 5));
	assert_int_equal(count_evidence("app/mod1.py", "reachable"), 1);
	assert_int_equal(count_evidence("app/mod2.py", "reachable"), 1);
	assert_true(scrape_until("aisec_findings{service=\"alpha\",status=\"reachable\"}", 2, 5) == 2);
	assert_true(scrape_until("aisec_reloads_total{result=\"ok\"}", 1, 5) == 1);

	/* A broken config on SIGHUP is refused; the agent goes on. */
	write_config("agent.json", ",\"limits\":{\"ringbuf_bytes\":1000}");
	mark = ag->err_len;
	kill(ag->pid, SIGHUP);
	assert_int_equal(tu_agent_wait_text(ag, mark, "keeping the running config", 15), 0);
	assert_true(strstr(ag->err + mark, "$.limits.ringbuf_bytes") != NULL);
	assert_true(scrape_until("aisec_reloads_total{result=\"failed\"}", 1, 5) == 1);
	svc_do(a, "cat app/mod2.py >/dev/null");
	q = (struct ev_q){ .cgid = a->cgid, .kind = "open", .suffix = "app/mod2.py" };
	assert_true(wait_for(ev_count, &q, 2, 10));

	/* The unselected service: not one event, not one evidence record. */
	assert_int_equal(count_events(b->cgid, NULL, NULL), 0);
	{
		cJSON *all = read_lines("evidence.ndjson"), *e;

		cJSON_ArrayForEach(e, all) {
			const cJSON *evs = cJSON_GetObjectItemCaseSensitive(e, "events");

			assert_int_equal((__u64)num(cJSON_GetArrayItem(evs, 0), "process", "cgroup_id"), a->cgid);
		}
		cJSON_Delete(all);
	}

	/* SIGTERM: drain and exit 0. */
	mark = ag->err_len;
	kill(ag->pid, SIGTERM);
	rc = tu_agent_wait(ag, 20);
	stop_svc(a);
	stop_svc(b);
	if (rc != 0)
		fail_msg("agent exit %d; log:\n%s", rc, ag->err);
	assert_non_null(strstr(ag->err + mark, "draining"));
	assert_non_null(strstr(ag->err + mark, "service alpha:"));
}

static void test_bad_config_and_check(void **state)
{
	char cfg[512], out[4096], err[8192];
	int rc;

	(void)state;
	write_findings(1);
	write_config("good.json", "");
	snprintf(cfg, sizeof(cfg), "%s/good.json", tmp);
	{
		const char *argv[] = { tu_binary(), "run", "--check", "--config", cfg, NULL };

		rc = tu_run(argv, out, sizeof(out), err, sizeof(err));
		if (rc != 0)
			fail_msg("--check of a good config: exit %d: %s", rc, err);
		assert_non_null(strstr(err, "are valid (1 services)"));
	}
	write_config("bad.json", ",\"services\":3");
	snprintf(cfg, sizeof(cfg), "%s/bad.json", tmp);
	{
		const char *argv[] = { tu_binary(), "run", "--config", cfg, NULL };

		rc = tu_run(argv, out, sizeof(out), err, sizeof(err));
		assert_int_equal(rc, 2);
		assert_non_null(strstr(err, "bad.json: $.services: duplicate key"));
	}
	{
		const char *argv[] = { tu_binary(), "run", NULL };

		rc = tu_run(argv, out, sizeof(out), err, sizeof(err));
		assert_int_equal(rc, 2);
		assert_non_null(strstr(err, "run needs --config FILE"));
	}
}

/* The DaemonSet grants BPF, PERFMON, SYS_RESOURCE, SYS_PTRACE and
 * DAC_READ_SEARCH, nothing else (no SETPCAP, no SYS_ADMIN): the agent must
 * load, attach and drop to its runtime set with just those. */
static void test_daemonset_capabilities(void **state)
{
	static const int granted[] = { CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH };
	char drop[4096] = "--drop=", cfg[512], body[256], cmd[1024], *name;
	__u64 gmask = 0;
	struct privs_caps pc;
	int rc;

	(void)state;
	/* The agent cannot mount tracefs without SYS_ADMIN: the node has it. */
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY)
		fail_msg("mounting tracefs: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(granted) / sizeof(granted[0]); i++)
		gmask |= 1ULL << granted[i];
	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		if (gmask & (1ULL << c))
			continue;
		name = cap_to_name(c);
		snprintf(drop + strlen(drop), sizeof(drop) - strlen(drop), "%s%s", drop[7] ? "," : "", name);
		cap_free(name);
	}
	write_findings(1);
	write_config("caps.json", "");
	snprintf(cfg, sizeof(cfg), "%s/caps.json", tmp);
	snprintf(cmd, sizeof(cmd), "exec %s run --config %s", tu_binary(), cfg);
	{
		const char *args[] = { "/usr/sbin/capsh", drop, "--", "-c", cmd, NULL };

		rc = tu_agent_start_argv(&agent, "running:", 30, args);
	}
	if (rc)
		fail_msg("agent did not start with the DaemonSet's capabilities:\n%s", agent.err);
	assert_int_equal(http_get("/healthz", body, sizeof(body)), 200);
	assert_int_equal(privs__read("/proc", agent.pid, &pc), 0);
	printf("# DaemonSet set: eff %llx prm %llx bnd %llx\n", (unsigned long long)pc.eff, (unsigned long long)pc.prm,
	       (unsigned long long)pc.bnd);
	assert_int_equal(pc.eff, privs__runtime_set());
	assert_int_equal(pc.prm, privs__runtime_set());
	{
		struct privs_caps mine;

		/* No SETPCAP: the bounding set stays as granted (what of it this
		 * machine has: some lack SYS_RESOURCE). */
		assert_int_equal(privs__read(NULL, 0, &mine), 0);
		assert_int_equal(pc.bnd, gmask & mine.bnd);
	}
	assert_int_equal(pc.no_new_privs, 1);
	kill(agent.pid, SIGTERM);
	rc = tu_agent_wait(&agent, 20);
	if (rc)
		fail_msg("exit %d:\n%s", rc, agent.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config_and_check),
		cmocka_unit_test(test_node_agent),
		cmocka_unit_test(test_daemonset_capabilities),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * Integration: sink_kafka against librdkafka's mock cluster (the kafka_mock
 * test tool: real Kafka protocol on loopback TCP), consumed with kcat. Records
 * arrive exactly once, in order, with key and headers; a broker outage spools
 * them and the replay delivers them, in order, once; records spooled by a run
 * killed with SIGKILL are delivered by the next; a truncated segment and one
 * with a flipped byte are reported and the records around the damage arrive.
 * No root needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sink_kafka.h"
#include "spool.h"
#include "testutil.h"

#define KCAT "/usr/bin/kcat"
#define SCHEMA "aisec.evidence.v1"
#define HOST "test-host"
#define AVER "9.9.9"

static char *tmp;
static pid_t mock_pid = -1;
static FILE *mock_in, *mock_out;
static char bootstrap[256];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Send a command to kafka_mock and wait for its "ok". */
static void mock_cmd(const char *cmd)
{
	char line[256];

	fprintf(mock_in, "%s\n", cmd);
	fflush(mock_in);
	assert_non_null(fgets(line, sizeof(line), mock_out));
	if (strncmp(line, "ok", 2) != 0)
		fail_msg("kafka_mock %s: %s", cmd, line);
}

static int setup(void **state)
{
	const char *build = getenv("AISEC_BUILD") ? getenv("AISEC_BUILD") : "build";
	int pin[2], pout[2];
	char path[512], line[256];

	(void)state;
	if (access(KCAT, X_OK)) {
		fprintf(stderr, "kcat not found at %s (apt-get install kcat)\n", KCAT);
		return -1;
	}
	tmp = tu_tmpdir();
	if (!tmp)
		return -1;
	snprintf(path, sizeof(path), "%s/tests/tools/kafka_mock", build);
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC))
		return -1;
	mock_pid = fork();
	if (mock_pid < 0)
		return -1;
	if (mock_pid == 0) {
		dup2(pin[0], STDIN_FILENO);
		dup2(pout[1], STDOUT_FILENO);
		execl(path, path, "t-basic", "t-outage", "t-kill", "t-corrupt", "t-watch", "t-events", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	mock_in = fdopen(pin[1], "w");
	mock_out = fdopen(pout[0], "r");
	if (!mock_in || !mock_out || !fgets(line, sizeof(line), mock_out) ||
	    sscanf(line, "bootstrap=%255s", bootstrap) != 1) {
		fprintf(stderr, "kafka_mock did not print its bootstrap address\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (mock_in) {
		fprintf(mock_in, "quit\n");
		fclose(mock_in);
	}
	if (mock_out)
		fclose(mock_out);
	if (mock_pid > 0) {
		for (int i = 0; i < 50 && waitpid(mock_pid, NULL, WNOHANG) == 0; i++)
			usleep(100000);
		kill(mock_pid, SIGKILL);
		waitpid(mock_pid, NULL, 0);
	}
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

static void opts_for(struct sink_kafka_opts *o, const char *topic, const char *spool)
{
	memset(o, 0, sizeof(*o));
	o->brokers = bootstrap;
	o->topic = topic;
	o->spool_dir = spool;
	o->host = HOST;
	o->agent_version = AVER;
	o->flush_timeout_ms = 3000;
	/* failures surface fast; reconnect fast once the broker is back */
	o->conf[o->nconf++] = "message.timeout.ms=1500";
	o->conf[o->nconf++] = "reconnect.backoff.ms=50";
	o->conf[o->nconf++] = "reconnect.backoff.max.ms=300";
}

static char *spool_path(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", tmp, name) > 0);
	return p;
}

static int send_n(struct sink_kafka *k, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char key[32], val[64];
		int kl = snprintf(key, sizeof(key), "key-%d", i);
		int vl = snprintf(val, sizeof(val), "{\"seq\":%d}", i);
		int rc = sink_kafka__send(k, key, (size_t)kl, val, (size_t)vl, SCHEMA);

		if (rc)
			return rc;
		sink_kafka__poll(k, 0);
	}
	return 0;
}

/* Poll until stats field >= want or timeout_s passes; the field's value. */
static __u64 poll_until(struct sink_kafka *k, size_t off, __u64 want, double timeout_s)
{
	struct sink_kafka_stats st;
	double end = now_s() + timeout_s;

	for (;;) {
		sink_kafka__stats(k, &st);
		if (*(__u64 *)((char *)&st + off) >= want || now_s() > end)
			return *(__u64 *)((char *)&st + off);
		sink_kafka__poll(k, 20);
	}
}

#define POLL_UNTIL(k, field, want, t) poll_until(k, offsetof(struct sink_kafka_stats, field), want, t)

/* Consume the whole topic with kcat; the sequence numbers in order, checking key and headers. */
static int consume(const char *topic, int *seqs, int max)
{
	const char *argv[] = {KCAT, "-b", bootstrap,   "-t", topic,	     "-C", "-e",
			      "-q", "-o", "beginning", "-f", "%k\t%h\t%s\n", NULL};
	static char out[1 << 20], err[8192];
	char *line, *save;
	int rc, n = 0;

	rc = tu_run(argv, out, sizeof(out), err, sizeof(err));
	if (rc)
		fail_msg("kcat exited %d: %s", rc, err);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64], hdrs[512], want[64];
		int seq = -1;

		if (sscanf(line, "%63[^\t]\t%511[^\t]\t{\"seq\":%d}", key, hdrs, &seq) != 3)
			fail_msg("kcat line not understood: %s", line);
		snprintf(want, sizeof(want), "key-%d", seq);
		assert_string_equal(key, want);
		assert_string_equal(hdrs, "schema=" SCHEMA ",schema-version=1,host=" HOST ",agent-version=" AVER);
		assert_true(n < max);
		seqs[n++] = seq;
	}
	return n;
}

/* Exactly from..from+n-1, once each, in order. */
static void assert_seq(const int *seqs, int got, int n)
{
	assert_int_equal(got, n);
	for (int i = 0; i < n; i++)
		if (seqs[i] != i)
			fail_msg("record %d is seq %d (expected %d)", i, seqs[i], i);
}

static int count_segments(const char *dir)
{
	char sub[1024];
	const char *dirs[2] = {dir, sub};
	int n = 0;

	snprintf(sub, sizeof(sub), "%s/replay", dir);
	for (int i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d)))
			if (strstr(de->d_name, ".seg"))
				n++;
		closedir(d);
	}
	return n;
}

static void test_basic(void **state)
{
	struct sink_kafka_opts o;
	struct sink_kafka_stats st;
	struct sink_kafka *k;
	char *dir = spool_path("basic"), err[512];
	int seqs[200];

	(void)state;
	opts_for(&o, "t-basic", dir);
	k = sink_kafka__open(&o, err, sizeof(err));
	if (!k)
		fail_msg("open: %s", err);
	assert_int_equal(send_n(k, 0, 100), 0);
	assert_int_equal(POLL_UNTIL(k, delivered, 100, 15), 100);
	sink_kafka__close(k);
	assert_seq(seqs, consume("t-basic", seqs, 200), 100);
	assert_int_equal(count_segments(dir), 0);
	(void)st;
	free(dir);
}

static void test_bad_property(void **state)
{
	struct sink_kafka_opts o;
	char *dir = spool_path("badprop"), err[512];

	(void)state;
	opts_for(&o, "t-basic", dir);
	o.conf[o.nconf++] = "no.such.property=1";
	assert_null(sink_kafka__open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "no.such.property=1: "));
	free(dir);
}

static void test_outage(void **state)
{
	struct sink_kafka_opts o;
	struct sink_kafka_stats st;
	struct sink_kafka *k;
	char *dir = spool_path("outage"), err[512];
	int seqs[200];

	(void)state;
	opts_for(&o, "t-outage", dir);
	k = sink_kafka__open(&o, err, sizeof(err));
	if (!k)
		fail_msg("open: %s", err);
	assert_int_equal(send_n(k, 0, 10), 0);
	assert_int_equal(POLL_UNTIL(k, delivered, 10, 15), 10);

	/* down in the middle of production, with records in flight */
	for (int i = 10; i < 60; i++) {
		if (i == 20)
			mock_cmd("down");
		assert_int_equal(send_n(k, i, 1), 0);
		sink_kafka__poll(k, i < 20 ? 0 : 10);
	}
	/* everything is delivered or spooled once the in-flight reports are in */
	for (double end = now_s() + 15; now_s() < end;) {
		sink_kafka__stats(k, &st);
		if (st.delivered + st.spooled >= 60)
			break;
		sink_kafka__poll(k, 20);
	}
	sink_kafka__stats(k, &st);
	assert_true(st.spooled >= 40);
	assert_int_equal(st.delivered + st.spooled, 60);
	mock_cmd("up");
	assert_int_equal(POLL_UNTIL(k, delivered, 60, 30), 60);
	/* back to direct delivery */
	assert_int_equal(send_n(k, 60, 10), 0);
	assert_int_equal(POLL_UNTIL(k, delivered, 70, 15), 70);
	sink_kafka__stats(k, &st);
	print_message("outage: produced %llu delivered %llu spooled %llu replayed %llu failed %llu\n",
		      (unsigned long long)st.produced, (unsigned long long)st.delivered, (unsigned long long)st.spooled,
		      (unsigned long long)st.replayed, (unsigned long long)st.failed);
	assert_int_equal(st.replayed, st.spooled);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.corrupt, 0);
	sink_kafka__close(k);
	assert_int_equal(count_segments(dir), 0);
	assert_seq(seqs, consume("t-outage", seqs, 200), 70);
	free(dir);
}

static void test_sigkill(void **state)
{
	struct sink_kafka_opts o;
	struct sink_kafka_stats st;
	struct sink_kafka *k;
	char *dir = spool_path("kill"), err[512];
	int seqs[200], status;
	pid_t pid;

	(void)state;
	opts_for(&o, "t-kill", dir);
	mock_cmd("down");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		k = sink_kafka__open(&o, err, sizeof(err));
		if (!k || send_n(k, 0, 20) || POLL_UNTIL(k, spooled, 20, 15) != 20)
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(count_segments(dir) > 0);
	mock_cmd("up");

	k = sink_kafka__open(&o, err, sizeof(err));
	if (!k)
		fail_msg("open: %s", err);
	assert_int_equal(POLL_UNTIL(k, replayed, 20, 30), 20);
	sink_kafka__stats(k, &st);
	assert_int_equal(st.delivered, 20);
	sink_kafka__close(k);
	assert_int_equal(count_segments(dir), 0);
	assert_seq(seqs, consume("t-kill", seqs, 200), 20);
	free(dir);
}

static long file_size(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (long)sb.st_size;
}

/* The n-th (0-based) segment file of dir, by name order. */
static void nth_segment(const char *dir, int n, char *out, size_t cap)
{
	struct dirent **names;
	int cnt, seen = 0;

	cnt = scandir(dir, &names, NULL, alphasort);
	assert_true(cnt > 0);
	out[0] = '\0';
	for (int i = 0; i < cnt; i++) {
		if (strstr(names[i]->d_name, ".seg") && seen++ == n)
			snprintf(out, cap, "%s/%s", dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	assert_true(out[0]);
}

static void test_corrupt(void **state)
{
	struct spool_opts so = {.fsync_each = true};
	struct sink_kafka_opts o;
	struct sink_kafka_stats st;
	struct sink_kafka *k;
	char *dir = spool_path("corrupt"), *logpath = spool_path("corrupt.log"), err[512], seg[1024];
	char logbuf[8192] = "";
	int seqs[200], got, saved, fd;
	long size, frame;
	unsigned char b;
	FILE *f;

	(void)state;
	/* three segments of ten records, written as the sink spools them: schema, NUL, record */
	so.dir = dir;
	for (int s = 0; s < 3; s++) {
		struct spool *sp = spool__open(&so, err, sizeof(err));

		if (!sp)
			fail_msg("spool: %s", err);
		for (int i = s * 10; i < s * 10 + 10; i++) {
			char key[32], val[64];
			int kl = snprintf(key, sizeof(key), "key-%d", i);
			int vl = snprintf(val, sizeof(val), SCHEMA "%c{\"seq\":%d}", '\0', i);

			assert_int_equal(spool__append(sp, key, (size_t)kl, val, (size_t)vl), 0);
		}
		spool__close(sp);
	}
	/* the first loses the end of its last frame (a crash mid-write) */
	nth_segment(dir, 0, seg, sizeof(seg));
	size = file_size(seg);
	assert_int_equal(truncate(seg, size - 5), 0);
	/* the second gets a flipped byte in the data of its fourth frame (frames are the same size here) */
	nth_segment(dir, 1, seg, sizeof(seg));
	size = file_size(seg);
	frame = size / 10;
	assert_int_equal(frame * 10, size);
	fd = open(seg, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, 3 * frame + frame - 3), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, 3 * frame + frame - 3), 1);
	close(fd);

	/* capture the sink's log lines */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);

	opts_for(&o, "t-corrupt", dir);
	k = sink_kafka__open(&o, err, sizeof(err));
	if (k)
		POLL_UNTIL(k, replayed, 28, 30);
	sink_kafka__stats(k, &st);
	sink_kafka__close(k);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (!k)
		fail_msg("open: %s", err);

	f = fopen(logpath, "r");
	assert_non_null(f);
	logbuf[fread(logbuf, 1, sizeof(logbuf) - 1, f)] = '\0';
	fclose(f);
	print_message("sink log:\n%s", logbuf);
	assert_int_equal(st.replayed, 28);
	assert_int_equal(st.corrupt, 2);
	assert_non_null(strstr(logbuf, "truncated frame"));
	assert_non_null(strstr(logbuf, "CRC mismatch"));
	assert_non_null(strstr(logbuf, "at offset"));

	got = consume("t-corrupt", seqs, 200);
	assert_int_equal(got, 28);
	for (int i = 0, want = 0; i < got; i++, want++) {
		if (want == 9 || want == 13)
			want++; /* the two damaged records */
		assert_int_equal(seqs[i], want);
	}
	assert_int_equal(count_segments(dir), 0);
	free(logpath);
	free(dir);
}

/* A real watch run: its evidence records reach Kafka exactly once, in
 * order, byte for byte as written to --evidence, with key and headers. */
static void test_watch_to_kafka(void **state)
{
	char evfile[512], out[512], spool[512], pidstr[16], host[256] = "";
	const char *argv_kcat[] = { KCAT, "-b", bootstrap, "-t", "t-watch", "-C", "-e", "-q", "-o", "beginning",
				    "-f", "%k\t%h\t%s\n", NULL };
	static char got[1 << 20], kerr[8192], want[1 << 20];
	struct tu_agent agent;
	int go[2], status, rc, n = 0;
	char *line, *save, c;
	pid_t child;
	FILE *f;
	size_t wl;

	(void)state;
	tu_require_root();
	gethostname(host, sizeof(host) - 1);
	snprintf(evfile, sizeof(evfile), "%s/watch-evidence.json", tmp);
	snprintf(out, sizeof(out), "%s/watch-events.json", tmp);
	snprintf(spool, sizeof(spool), "%s/watch-spool", tmp);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(120);
		/* A shell chaining a recon tool, and a read of /etc/shadow: evidence
		 * with no static finding behind it (finding: null). */
		execl("/bin/sh", "/bin/sh", "-c", "id >/dev/null; cat /etc/shadow >/dev/null", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	snprintf(pidstr, sizeof(pidstr), "%d", child);
	{
		const char *args[] = { "watch", pidstr, "--format", "json", "--output", out, "--evidence", evfile,
				       "--kafka", bootstrap, "--topic", "t-watch", "--spool-dir", spool,
				       "--kafka-conf", "message.timeout.ms=5000", "--kafka-events-topic", "t-events",
				       "--kafka-events-rate", "10", NULL };

		rc = tu_agent_start(&agent, "watching pid", 30, args);
		if (rc) {
			print_error("agent stderr:\n%s\n", agent.err);
			kill(child, SIGKILL);
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(child, &status, 0), child);
	rc = tu_agent_wait(&agent, 30);
	if (rc)
		print_error("agent exit %d:\n%s\n", rc, agent.err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(agent.err, "kafka: "));
	assert_non_null(strstr(agent.err, " 0 spooled"));

	f = fopen(evfile, "r");
	assert_non_null(f);
	wl = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	want[wl] = '\0';
	assert_true(wl > 0);

	rc = tu_run(argv_kcat, got, sizeof(got), kerr, sizeof(kerr));
	if (rc)
		fail_msg("kcat exited %d: %s", rc, kerr);
	/* Message i is evidence line i: same bytes, same order, nothing extra. */
	{
		char *wsave, *wline = strtok_r(want, "\n", &wsave);

		for (line = strtok_r(got, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
			char hdrs[512];

			assert_non_null(t2);
			assert_non_null(wline);
			*t1 = *t2 = '\0';
			assert_true(strncmp(line, "missed-", 7) == 0);
			snprintf(hdrs, sizeof(hdrs), "schema=aisec.evidence.v1,schema-version=1,host=%s,agent-version=%s",
				 host, AISEC_VERSION);
			assert_string_equal(t1 + 1, hdrs);
			assert_string_equal(t2 + 1, wline);
			wline = strtok_r(NULL, "\n", &wsave);
			n++;
		}
		assert_null(wline);
	}
	assert_true(n >= 2);
	assert_int_equal(count_segments(spool), 0);

	/* Raw events went to their own topic, at most 10 a second (a burst of
	 * 10 at start): each message is one of the output's event lines, the
	 * rest were counted as rate-limited. */
	{
		const char *argv_ev[] = { KCAT, "-b", bootstrap, "-t", "t-events", "-C", "-e", "-q", "-o", "beginning",
					  "-f", "%k\t%s\n", NULL };
		unsigned long long limited = 0;
		int events = 0, sent = 0;
		const char *p;

		f = fopen(out, "r");
		assert_non_null(f);
		wl = fread(want, 1, sizeof(want) - 1, f);
		fclose(f);
		want[wl] = '\0';
		/* Event lines only: evidence lines embed their proving event too. */
		for (p = want; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			events += strncmp(p, "{\"schema\":\"aisec.event.v1\"", 26) == 0;
		rc = tu_run(argv_ev, got, sizeof(got), kerr, sizeof(kerr));
		if (rc)
			fail_msg("kcat exited %d: %s", rc, kerr);
		for (line = strtok_r(got, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *tab = strchr(line, '\t');

			assert_non_null(tab);
			assert_non_null(strstr(want, tab + 1)); /* the same bytes as an output line */
			sent++;
		}
		p = strstr(agent.err, "kafka events: ");
		assert_non_null(p);
		assert_int_equal(sscanf(strstr(p, "spooled, "), "spooled, %llu not sent", &limited), 1);
		assert_true(events > 12);
		assert_true(sent >= 10 && sent < events);
		assert_int_equal((unsigned long long)sent + limited, (unsigned long long)events);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),   cmocka_unit_test(test_bad_property), cmocka_unit_test(test_outage),
	    cmocka_unit_test(test_sigkill), cmocka_unit_test(test_corrupt), cmocka_unit_test(test_watch_to_kafka),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

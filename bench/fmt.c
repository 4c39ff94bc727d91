/*
 * bench/fmt: what formatting one enriched event as an aisec.event.v1 JSON
 * line costs (format__json, the agent's per-event work in `watch -f json`),
 * without the kernel, the ring buffer or the disk: a microbenchmark of the
 * output path alone, for changes to strbuf, jsonw and format.
 *
 *   usage: fmt [-u] [-n EVENTS] [-r ROUNDS] [-d FILE]
 *   -n EVENTS  events formatted per round and kind (default 50000)
 *   -r ROUNDS  rounds; the fastest round is reported (default 5), which
 *              keeps the number steady when other work shares the CPU
 *   -u         format without a format_cache (every member rendered every
 *              time), as before the agent had one
 *   -d FILE    no timing: write the JSON and text lines of a fixed set of
 *              varied events (every kind, bytes that need escaping, invalid
 *              UTF-8, extreme numbers, times alternating and crossing second
 *              boundaries) to FILE, so the output of two builds can be
 *              compared byte for byte (cmp). Every JSON line is made twice
 *              more with a format_cache (a first time and a reuse) and must
 *              be the same bytes. Then, not written to FILE, the cache check:
 *              events of a small set of processes (from a fake procfs, with
 *              bytes that need escaping) go through enrich__event as in the
 *              agent, forks, execs, exits, pid reuse and evictions among them,
 *              and every line is made with and without a format_cache and
 *              compared; exits 1 at the first difference.
 *
 * The timed events are what a SQL benchmark makes: an openat of a file and a
 * PostgreSQL query, from a process with exe, a 60-byte cmdline, cwd, a docker
 * cgroup and container (an entry of the process cache, loaded from a fake
 * procfs), and 3 ancestors found in the process cache. The out buffer is
 * reset and reused per event as the agent does; times advance 7919 ns an
 * event, so the wall-clock second changes now and then.
 * Prints one line: "fmt: open N ns/event, sql N ns/event, mixed N ns/event".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enrich.h"
#include "format.h"

#define BOOT_TO_WALL (1764072000000000000ll - 5000000000ll)
#define DOCKER_ID "cb2a1d3f19a4a2423ac93d7eb9efa2d0ab582a88e8e2bcc91aff4f34d8504c85"

/* The timed events and what they need. */
struct fixture {
	struct aisec_open *rec; /* the open record ev_open points into */
	struct event ev_open;
	struct aisec_hdr sql_hdr;
	struct event ev_sql;
	struct sql_query q;
	struct sql_session s;
	struct sql_event se;
	const struct proc_info *proc;
	struct proc_cache *procs;
	struct format_cache *cache;
	struct strbuf scratch;
	struct format_ctx fc;
	struct enriched open, sql;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void hdr_fill(struct aisec_hdr *h, __u32 kind, __u16 sys, size_t size)
{
	memset(h, 0, sizeof(*h));
	h->ts_ns = 5123456789ull;
	h->cgroup_id = 8812;
	h->kind = kind;
	h->size = (__u32)size;
	h->pid = 4321;
	h->tid = 4322;
	h->ppid = 4000;
	h->uid = 1000;
	h->syscall = sys;
	memcpy(h->comm, "python3", 8);
}

/* Write len bytes of data to dir/name. 0 or -errno. */
static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fwrite(data, 1, len, f) != len)
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

/* A fake procfs entry root/pid: stat, status, cmdline (argc NUL-terminated
 * strings in argv), cgroup (one v2 line), exe and cwd links. 0 or -errno. */
static int fake_proc(const char *root, __u32 pid, __u32 ppid, __u32 uid, const char *comm, const char *exe,
		     const char *argv, size_t argv_len, const char *cwd, const char *cgroup)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], buf[512];
	int rc;

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(buf, sizeof(buf), "%u (%s) S %u %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123 1000 50\n", pid,
		 comm, ppid, pid, pid);
	rc = write_file(dir, "stat", buf, strlen(buf));
	if (!rc) {
		snprintf(buf, sizeof(buf), "Name:\t%s\nUid:\t%u\t%u\t%u\t%u\n", comm, uid, uid, uid, uid);
		rc = write_file(dir, "status", buf, strlen(buf));
	}
	if (!rc)
		rc = write_file(dir, "cmdline", argv, argv_len);
	if (!rc) {
		snprintf(buf, sizeof(buf), "0::%s\n", cgroup);
		rc = write_file(dir, "cgroup", buf, strlen(buf));
	}
	for (int k = 0; k < 2 && !rc; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, k ? "cwd" : "exe");
		if ((unlink(path) && errno != ENOENT) || symlink(k ? cwd : exe, path))
			rc = -errno;
	}
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the tree at root. */
static void rm_tree(const char *root)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int fixture_init(struct fixture *f, bool cached)
{
	static const char argv[] = "python3\0/srv/app/manage.py\0runserver\0000.0.0.0:8000\0--noreload";
	static const char *const bash[] = {"bash"}, *const shim[] = {"containerd-shim-runc-v2", "-namespace", "moby"},
				 *const init[] = {"/sbin/init"};
	static const char path[] = "/srv/app/static/css/site.css";
	size_t size = offsetof(struct aisec_open, path) + sizeof(path);
	char dir[] = "/tmp/aisec-bench-fmt.XXXXXX";

	int rc;

	memset(f, 0, sizeof(*f));
	/* A procfs root with the one process the events come from: the cache
	 * loads it as the agent would; the ancestors come from on_exec. */
	if (!mkdtemp(dir))
		return -errno;
	f->procs = proc_cache__new(dir, 64);
	f->cache = cached ? format_cache__new() : NULL;
	if (!f->procs || (cached && !f->cache)) {
		rmdir(dir);
		return -ENOMEM;
	}
	proc_cache__on_exec(f->procs, 4000, 3000, 1000, "bash", "/usr/bin/bash", bash, 1);
	proc_cache__on_exec(f->procs, 3000, 1, 0, "containerd-shim", "/usr/bin/containerd-shim-runc-v2", shim, 3);
	proc_cache__on_exec(f->procs, 1, 0, 0, "systemd", "/sbin/init", init, 1);
	rc = fake_proc(dir, 4321, 4000, 1000, "python3", "/usr/bin/python3.11", argv, sizeof(argv), "/srv/app",
		       "/system.slice/docker-" DOCKER_ID ".scope");
	f->proc = rc ? NULL : proc_cache__get(f->procs, 4321);
	rm_tree(dir);
	if (rc)
		return rc;
	/* The process as the events show it (60 bytes of cmdline). */
	if (!f->proc || strcmp(f->proc->exe, "/usr/bin/python3.11") ||
	    strcmp(f->proc->cmdline, "python3 /srv/app/manage.py runserver 0.0.0.0:8000 --noreload") ||
	    strcmp(f->proc->cwd, "/srv/app") || strcmp(f->proc->cgroup, "/system.slice/docker-" DOCKER_ID ".scope") ||
	    f->proc->container.runtime != CONTAINER_DOCKER || strcmp(f->proc->container.id, DOCKER_ID))
		return -EINVAL;

	f->rec = calloc(1, sizeof(*f->rec));
	if (!f->rec)
		return -ENOMEM;
	hdr_fill(&f->rec->hdr, AISEC_EV_OPEN, AISEC_SYS_OPENAT, size);
	f->rec->ret = 7;
	f->rec->dirfd = AT_FDCWD;
	f->rec->path_len = sizeof(path);
	f->rec->flags = O_RDONLY | O_CLOEXEC;
	memcpy(f->rec->path, path, sizeof(path));
	if (events__decode(f->rec, size, &f->ev_open))
		return -EINVAL;

	hdr_fill(&f->sql_hdr, AISEC_EV_PAYLOAD, AISEC_SYS_WRITE, sizeof(f->sql_hdr));
	f->ev_sql.hdr = &f->sql_hdr;
	f->ev_sql.kind = AISEC_EV_PAYLOAD;
	strcpy(f->ev_sql.comm, "python3");
	f->q.kind = SQL_MSG_QUERY;
	f->q.text = "UPDATE pgbench_accounts SET abalance = abalance + -4265 WHERE aid = 81763;";
	f->q.text_len = strlen(f->q.text);
	f->q.text_total = f->q.text_len;
	f->q.statement = "";
	f->q.portal = "";
	f->q.param_count = -1;
	f->q.outcome = SQL_OUTCOME_OK;
	f->q.error_message = "";
	f->q.command_tag = "UPDATE 1";
	f->q.rows = 1;
	f->q.ts_request = 5123000000ull;
	f->q.ts_response = 5123412000ull;
	f->s.dialect = SQL_DIALECT_POSTGRES;
	f->s.user = "postgres";
	f->s.database = "pgbench";
	f->s.application_name = "pgbench";
	f->s.startup_seen = true;
	f->s.server_version = "15.8";
	f->se.q = &f->q;
	f->se.s = &f->s;
	f->se.dialect = SQL_DIALECT_POSTGRES;
	f->se.server = "127.0.0.1:5432";
	f->se.conn_id = 1735209;
	f->se.pid = 4321;
	f->se.tid = 4322;

	f->fc.procs = f->procs;
	f->fc.cache = f->cache;
	f->fc.sql_text = SQL_TEXT_FULL;
	f->fc.scratch = &f->scratch;
	f->fc.host = "bench-node-1";
	f->fc.boot_to_wall_ns = BOOT_TO_WALL;

	f->open = (struct enriched){.ev = &f->ev_open, .proc = f->proc, .ancestry = {4000, 3000, 1}, .nancestry = 3};
	f->sql = (struct enriched){
	    .ev = &f->ev_sql, .sql = &f->se, .proc = f->proc, .ancestry = {4000, 3000, 1}, .nancestry = 3};
	return 0;
}

static void fixture_free(struct fixture *f)
{
	proc_cache__free(f->procs);
	format_cache__free(f->cache);
	strbuf__free(&f->scratch);
	free(f->rec);
}

/* ns per event of one round: n events, open and sql as the mask picks. */
static double round_ns(struct fixture *f, struct strbuf *out, long n, unsigned mask, size_t *bytes)
{
	__u64 ts = 5123456789ull;
	double t0 = now_ns();

	*bytes = 0;
	for (long i = 0; i < n; i++) {
		bool sql = mask == 3 ? (i & 1) : mask == 2;

		ts += 7919;
		f->rec->hdr.ts_ns = ts;
		f->sql_hdr.ts_ns = ts;
		strbuf__reset(out);
		format__json(out, &f->fc, sql ? &f->sql : &f->open);
		*bytes += out->len;
	}
	return (now_ns() - t0) / (double)n;
}

static int run_timing(long n, int rounds, bool cached)
{
	static const char *const names[] = {"open", "sql", "mixed"};
	struct fixture f;
	struct strbuf out = STRBUF_INIT;
	double best[3];
	size_t bytes[3] = {0};
	int rc;

	rc = fixture_init(&f, cached);
	if (rc) {
		fprintf(stderr, "fmt: cannot set up the events: %s\n", strerror(-rc));
		fixture_free(&f);
		return 1;
	}
	for (int k = 0; k < 3; k++) {
		best[k] = 1e18;
		/* One short warm-up round, then the timed ones. */
		round_ns(&f, &out, n / 10 + 1, (unsigned)k + 1, &bytes[k]);
		for (int r = 0; r < rounds; r++) {
			double ns = round_ns(&f, &out, n, (unsigned)k + 1, &bytes[k]);

			if (ns < best[k])
				best[k] = ns;
		}
	}
	if (out.oom) {
		fprintf(stderr, "fmt: out of memory\n");
		rc = 1;
	}
	printf("fmt:");
	for (int k = 0; k < 3; k++)
		printf("%s %s %.1f ns/event", k ? "," : "", names[k], best[k]);
	printf(" (best of %d rounds of %ld events; %zu and %zu bytes a line; %s)\n", rounds, n, bytes[0] / (size_t)n,
	       bytes[1] / (size_t)n, cached ? "with a format_cache" : "-u: no format_cache");
	strbuf__free(&out);
	fixture_free(&f);
	return rc;
}

/* ---- -d: the varied set, for comparing two builds ---- */

static __u64 rng_state = 0x9e3779b97f4a7c15ull;

static __u64 rnd(void)
{
	/* xorshift64*: deterministic, the same on every build. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static __u64 pick(__u64 n)
{
	return rnd() % n;
}

/* An integer with the edge values over-represented. */
static __u64 rnd_u64(void)
{
	static const __u64 edges[] = {0,
				      1,
				      9,
				      10,
				      99,
				      100,
				      4294967295u,
				      4294967296ull,
				      9999999999ull,
				      10000000000ull,
				      INT64_MAX,
				      (__u64)INT64_MAX + 1,
				      UINT64_MAX - 1,
				      UINT64_MAX};

	switch (pick(4)) {
	case 0:
		return edges[pick(sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return pick(1000);
	case 2: {
		/* Two draws in a fixed order (operands of >> have none). */
		__u64 v = rnd();

		return v >> pick(64);
	}
	default:
		return rnd();
	}
}

/* A string of up to max bytes (max < size) into buf: plain text mostly, and
 * every byte class the JSON escaper treats apart. */
static void rnd_str(char *buf, size_t size, size_t max)
{
	static const char *const pieces[] = {
	    "/usr/bin/",
	    "python3",
	    " ",
	    "-c",
	    "SELECT * FROM t WHERE a = 'x'",
	    "\"",
	    "\\",
	    "\n",
	    "\t",
	    "\r",
	    "\x01",
	    "\x1f",
	    "\x7f",
	    "\b",
	    "\f",
	    "\xc3\xa9",
	    "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80",
	    "\xf4\x8f\xbf\xbf",
	    "\x80",
	    "\xc0\x80",
	    "\xed\xa0\x80",
	    "\xe2\x82",
	    "\xf5",
	    "\xff",
	    "\xf0\x9f\x98",
	    "/",
	    "a",
	    "0123456789",
	};
	size_t len = 0, want = pick(max + 1);

	while (len < want) {
		const char *p = pieces[pick(sizeof(pieces) / sizeof(pieces[0]))];
		size_t n = strlen(p);

		if (pick(3) == 0) {
			/* A random byte, NUL excluded (the strings are C strings). */
			buf[len++] = (char)(1 + pick(255));
			continue;
		}
		if (len + n > want)
			n = want - len;
		memcpy(buf + len, p, n);
		len += n;
	}
	if (len >= size)
		len = size - 1;
	buf[len] = '\0';
}

/* Times: sequential within a second, across its boundary, alternating
 * between two seconds, and anywhere. */
static __u64 rnd_ts(__u64 i)
{
	static const __u64 base = 5999999000ull;

	switch (pick(5)) {
	case 0:
		return base + i * 7;
	case 1:
		return (i & 1) ? 5000000001ull : 9000000999ull;
	case 2:
		return base + pick(4000);
	case 3:
		return pick(2000000000ull);
	default:
		return rnd_u64();
	}
}

struct vary {
	union {
		struct aisec_open open;
		struct aisec_exec exec;
		struct aisec_exit exit;
		struct aisec_fork fork;
		struct aisec_net net;
		struct aisec_hdr hdr;
	} rec;
	struct event ev;
	struct proc_info proc;
	struct pod_meta pod;
	struct sql_query q;
	struct sql_session s;
	struct sql_event se;
	char text[256], user[64], db[64], app[64], err[128], tag[64], stmt[32], server[64], service[64];
	char pv[4][32];
	const char *pvals[4];
	char host[64];
};

static void vary_hdr(struct aisec_hdr *h, __u32 kind, __u64 i)
{
	char comm[AISEC_COMM_LEN + 1];

	h->ts_ns = rnd_ts(i);
	h->cgroup_id = rnd_u64();
	h->kind = kind;
	h->pid = (__u32)rnd_u64();
	h->tid = (__u32)rnd_u64();
	h->ppid = (__u32)rnd_u64();
	h->uid = (__u32)rnd_u64();
	h->flags = (__u16)(pick(4) == 0 ? AISEC_F_READ_FAIL : 0);
	rnd_str(comm, sizeof(comm), AISEC_COMM_LEN);
	memcpy(h->comm, comm, AISEC_COMM_LEN);
}

/* Fill v with the i-th varied event; 0, or -1 when it did not decode. */
static int vary_event(struct vary *v, __u64 i, bool *is_sql)
{
	static const __u16 open_sys[] = {AISEC_SYS_OPENAT, AISEC_SYS_OPENAT2, AISEC_SYS_OPEN, AISEC_SYS_CREAT};
	static const __u32 net_kinds[] = {AISEC_EV_CONNECT, AISEC_EV_ACCEPT, AISEC_EV_BIND, AISEC_EV_LISTEN};
	static const __u16 net_sys[] = {AISEC_SYS_CONNECT, AISEC_SYS_ACCEPT4, AISEC_SYS_BIND, AISEC_SYS_LISTEN};
	static const __u16 families[] = {AF_INET, AF_INET6, AF_UNIX, 0, 99};
	size_t size;
	unsigned k = (unsigned)pick(6);

	memset(&v->rec, 0, sizeof(v->rec));
	*is_sql = false;
	switch (k) {
	case 0: { /* open */
		struct aisec_open *o = &v->rec.open;
		char p[200];

		rnd_str(p, sizeof(p), 120);
		o->path_len = (__u32)strlen(p) + 1;
		memcpy(o->path, p, o->path_len);
		size = offsetof(struct aisec_open, path) + o->path_len;
		vary_hdr(&o->hdr, AISEC_EV_OPEN, i);
		o->hdr.syscall = open_sys[pick(4)];
		o->ret = pick(3) ? (__s64)pick(50) - 40 : (__s64)rnd_u64();
		o->dirfd = (__s32)rnd_u64();
		o->flags = pick(2) ? pick(01000000) : rnd_u64();
		o->mode = pick(2) ? pick(07777) : rnd_u64();
		o->resolve = rnd_u64();
		break;
	}
	case 1: { /* exec */
		struct aisec_exec *x = &v->rec.exec;
		size_t argv_len = 0, argc = pick(6);
		char a[80];

		rnd_str(a, sizeof(a), 60);
		x->filename_len = (__u32)strlen(a) + 1;
		memcpy(x->filename, a, x->filename_len);
		for (size_t j = 0; j < argc; j++) {
			rnd_str(a, sizeof(a), 40);
			memcpy(x->argv + argv_len, a, strlen(a) + 1);
			argv_len += strlen(a) + 1;
		}
		x->argv_len = (__u32)argv_len;
		x->argv_total = argv_len;
		if (pick(2))
			x->argv_total += pick(1000);
		size = offsetof(struct aisec_exec, argv) + argv_len;
		vary_hdr(&x->hdr, AISEC_EV_EXEC, i);
		break;
	}
	case 2: /* exit */
		size = sizeof(v->rec.exit);
		vary_hdr(&v->rec.hdr, AISEC_EV_EXIT, i);
		v->rec.exit.status = (__u32)(pick(2) ? pick(256) << 8 : pick(256));
		break;
	case 3: /* fork */
		size = sizeof(v->rec.fork);
		vary_hdr(&v->rec.hdr, AISEC_EV_FORK, i);
		v->rec.fork.parent_tid = (__u32)rnd_u64();
		break;
	case 4: { /* net */
		struct aisec_net *n = &v->rec.net;
		unsigned nk = (unsigned)pick(4);

		size = sizeof(*n);
		vary_hdr(&n->hdr, net_kinds[nk], i);
		n->hdr.syscall = net_sys[nk];
		n->ret = pick(2) ? (__s64)pick(20) - 10 : (__s64)rnd_u64();
		n->fd = (__s32)rnd_u64();
		n->backlog = (__u32)rnd_u64();
		n->family = families[pick(5)];
		n->port = (__u16)rnd();
		n->lport = (__u16)rnd();
		n->sock_type = (__u16)pick(7);
		for (size_t j = 0; j < 16; j++) {
			n->addr[j] = (__u8)rnd();
			n->laddr[j] = (__u8)rnd();
		}
		n->unix_len = (__u32)pick(AISEC_UNIX_PATH_MAX + 1);
		for (size_t j = 0; j < n->unix_len; j++)
			n->unix_path[j] = (char)(pick(4) ? 'a' + pick(26) : rnd());
		break;
	}
	default: /* sql */
		*is_sql = true;
		vary_hdr(&v->rec.hdr, AISEC_EV_PAYLOAD, i);
		memset(&v->ev, 0, sizeof(v->ev));
		v->ev.hdr = &v->rec.hdr;
		v->ev.kind = AISEC_EV_PAYLOAD;
		memcpy(v->ev.comm, v->rec.hdr.comm, AISEC_COMM_LEN);
		v->ev.comm[AISEC_COMM_LEN] = '\0';
		return 0;
	}
	v->rec.hdr.size = (__u32)size;
	return events__decode(&v->rec, size, &v->ev) ? -1 : 0;
}

static void vary_sql(struct vary *v)
{
	static const enum sql_msg_kind kinds[] = {SQL_MSG_QUERY, SQL_MSG_PARSE, SQL_MSG_EXECUTE, SQL_MSG_INIT_DB};
	static const enum sql_outcome outcomes[] = {SQL_OUTCOME_OK, SQL_OUTCOME_ERROR, SQL_OUTCOME_UNKNOWN};
	struct sql_query *q = &v->q;

	memset(q, 0, sizeof(*q));
	rnd_str(v->text, sizeof(v->text), 200);
	rnd_str(v->stmt, sizeof(v->stmt), 10);
	rnd_str(v->err, sizeof(v->err), 100);
	rnd_str(v->tag, sizeof(v->tag), 20);
	rnd_str(v->user, sizeof(v->user), 20);
	rnd_str(v->db, sizeof(v->db), 20);
	rnd_str(v->app, sizeof(v->app), 20);
	rnd_str(v->server, sizeof(v->server), 40);
	q->kind = kinds[pick(4)];
	q->text = v->text;
	q->text_len = strlen(v->text);
	q->text_total = q->text_len;
	if (pick(2))
		q->text_total += pick(100000);
	q->truncated = q->text_total > q->text_len;
	q->statement = v->stmt;
	q->portal = "";
	q->param_count = (int)pick(40) - 1;
	for (size_t j = 0; j < SQL_MAX_PARAMS; j++)
		q->param_lengths[j] = (__s32)rnd_u64();
	for (size_t j = 0; j < 4; j++) {
		rnd_str(v->pv[j], sizeof(v->pv[j]), 20);
		v->pvals[j] = v->pv[j];
	}
	if (q->param_count > 4)
		q->param_count = 4;
	q->param_values = pick(2) ? v->pvals : NULL;
	q->outcome = outcomes[pick(3)];
	snprintf(q->sqlstate, sizeof(q->sqlstate), "%05u", (unsigned)pick(100000));
	q->error_code = (int)rnd_u64();
	q->error_message = pick(4) ? v->err : NULL;
	q->command_tag = pick(4) ? v->tag : NULL;
	q->rows = rnd_u64();
	q->ts_request = rnd_u64();
	q->ts_response = pick(3) ? q->ts_request + pick(1000000000) : rnd_u64();
	v->s.dialect = pick(2) ? SQL_DIALECT_POSTGRES : SQL_DIALECT_MYSQL;
	v->s.user = v->user;
	v->s.database = v->db;
	v->s.application_name = pick(2) ? v->app : NULL;
	v->s.startup_seen = pick(2);
	v->s.encrypted = pick(4) == 0;
	v->s.server_version = "";
	v->se.q = pick(8) ? q : NULL;
	v->se.s = pick(8) ? &v->s : NULL;
	v->se.dialect = v->s.dialect;
	v->se.server = v->server;
	v->se.conn_id = rnd_u64();
}

static void vary_proc(struct vary *v)
{
	static const enum container_runtime rts[] = {CONTAINER_NONE, CONTAINER_DOCKER, CONTAINER_CONTAINERD,
						     CONTAINER_CRIO, CONTAINER_PODMAN};
	struct proc_info *p = &v->proc;

	memset(p, 0, sizeof(*p));
	rnd_str(p->comm, sizeof(p->comm), PROC_COMM_LEN - 1);
	rnd_str(p->exe, sizeof(p->exe), 80);
	rnd_str(p->cmdline, sizeof(p->cmdline), 200);
	rnd_str(p->cwd, sizeof(p->cwd), 60);
	rnd_str(p->cgroup, sizeof(p->cgroup), 100);
	p->container.runtime = rts[pick(5)];
	rnd_str(p->container.id, sizeof(p->container.id), CONTAINER_ID_LEN);
}

static void vary_pod(struct vary *v)
{
	static const char *const sources[] = {"kubelet", "containerd", NULL};
	struct pod_meta *pod = &v->pod;

	memset(pod, 0, sizeof(*pod));
	rnd_str(pod->namespace_, sizeof(pod->namespace_), 20);
	rnd_str(pod->pod, sizeof(pod->pod), 30);
	rnd_str(pod->pod_uid, sizeof(pod->pod_uid), 36);
	rnd_str(pod->container, sizeof(pod->container), 20);
	rnd_str(pod->image, sizeof(pod->image), 40);
	pod->nlabels = pick(4);
	for (size_t j = 0; j < pod->nlabels; j++) {
		rnd_str(pod->labels[j].key, sizeof(pod->labels[j].key), 20);
		rnd_str(pod->labels[j].value, sizeof(pod->labels[j].value), 20);
	}
	pod->source = sources[pick(3)];
}

/* Whether the JSON line e makes with fc is also what it makes through cache,
 * a first time (rendering what the cache lacks) and a second (which must
 * render nothing); line: what fc made. *reused: the first time rendered
 * nothing either. */
static bool same_cached(const struct format_ctx *fc, struct format_cache *cache, const struct enriched *e,
			const struct strbuf *line, struct strbuf *tmp, bool *reused)
{
	struct format_ctx fcc = *fc;
	__u64 renders;

	fcc.cache = cache;
	for (int k = 0; k < 2; k++) {
		renders = format_cache__renders(cache);
		strbuf__reset(tmp);
		format__json(tmp, &fcc, e);
		if (tmp->oom || line->oom || tmp->len != line->len || memcmp(tmp->data, line->data, line->len)) {
			fprintf(stderr, "fmt: with a format_cache (%s time):\n%.*swithout:\n%.*s",
				k ? "second" : "first", (int)tmp->len, tmp->data ? tmp->data : "", (int)line->len,
				line->data ? line->data : "");
			return false;
		}
		if (k == 0)
			*reused = format_cache__renders(cache) == renders;
		if (k == 1 && format_cache__renders(cache) != renders) {
			fprintf(stderr, "fmt: the same event twice: the format_cache rendered again\n");
			return false;
		}
	}
	return true;
}

/* ---- -d, second part: the format_cache while the process cache changes ---- */

#define CHECK_PIDS 24

/* The processes of the check: 100..119, then four more in the format_cache
 * slot of 100 (pids 256 apart). */
static __u32 check_pid(size_t k)
{
	return k < 20 ? 100 + (__u32)k : 100 + 256 * (__u32)(k - 19);
}

/* The parent of the k-th: a tree under pid 1. */
static __u32 check_parent(size_t k)
{
	return k == 0 ? 1 : check_pid((k - 1) / 2);
}

/* A random string of 1 to max bytes, as a symlink target or cgroup path can
 * hold it (no NUL; no newline when one_line). */
static void rnd_path(char *buf, size_t size, size_t max, bool one_line)
{
	rnd_str(buf, size, max);
	if (!buf[0])
		strcpy(buf, "/");
	for (char *c = buf; one_line && *c; c++)
		if (*c == '\n')
			*c = '_';
}

/* (Re)write the fake procfs entry of pid with random content: what the cache
 * finds there the next time it loads pid (after an exit or an eviction). */
static int check_proc(const char *root, __u32 pid, __u32 ppid)
{
	char comm[16], exe[100], cwd[100], cgroup[160], argv[300];
	size_t argv_len = 0;

	rnd_str(comm, sizeof(comm), 15);
	rnd_path(exe, sizeof(exe), 80, false);
	rnd_path(cwd, sizeof(cwd), 60, false);
	if (pick(2))
		snprintf(cgroup, sizeof(cgroup), "/system.slice/docker-%016llx%016llx%016llx%016llx.scope",
			 (unsigned long long)rnd(), (unsigned long long)rnd(), (unsigned long long)rnd(),
			 (unsigned long long)rnd());
	else
		rnd_path(cgroup, sizeof(cgroup), 100, true);
	for (size_t k = pick(5); k > 0; k--) {
		char a[60];

		rnd_str(a, sizeof(a), 50);
		memcpy(argv + argv_len, a, strlen(a) + 1);
		argv_len += strlen(a) + 1;
	}
	return fake_proc(root, pid, ppid, (__u32)pick(2000), comm, exe, argv, argv_len, cwd, cgroup);
}

/*
 * n events of the check's processes, made as the agent makes them: decoded,
 * through enrich__event (which applies forks and execs to the cache, loads
 * what it lacks from the fake procfs, evicting from a cache of 24 for 25
 * processes) and, for exits, proc_cache__on_exit after the line. Forks,
 * execs and exits are one event in about eight, so lines between them can
 * reuse what the cache holds. Each line is made without and with the
 * format_cache and compared. 0, or 1 at the first difference.
 */
static int run_cache_check(long n)
{
	struct vary *v = calloc(1, sizeof(*v));
	struct strbuf out = STRBUF_INIT, tmp = STRBUF_INIT, scratch = STRBUF_INIT;
	char dir[] = "/tmp/aisec-bench-fmt.XXXXXX";
	struct format_cache *cache = format_cache__new();
	struct proc_cache *procs = NULL;
	long lines = 0, reuses = 0;
	size_t k = 0;
	int rc = 1;

	if (!v || !cache || !mkdtemp(dir)) {
		fprintf(stderr, "fmt: %s\n", strerror(errno));
		goto cleanup;
	}
	procs = proc_cache__new(dir, 24);
	if (!procs || check_proc(dir, 1, 0)) {
		fprintf(stderr, "fmt: %s: cannot make the fake procfs\n", dir);
		goto cleanup;
	}
	for (size_t k = 0; k < CHECK_PIDS; k++) {
		if (check_proc(dir, check_pid(k), check_parent(k))) {
			fprintf(stderr, "fmt: %s: cannot make the fake procfs\n", dir);
			goto cleanup;
		}
	}
	for (long i = 0; i < n; i++) {
		struct format_ctx fc = {.procs = procs, .scratch = &scratch, .host = "check-node"};
		struct enriched e = {0};
		struct aisec_hdr *h = &v->rec.hdr;
		bool is_sql, reused, again;
		int bad;

		/* Mostly the process of the event before, as in bursts of
		 * opens. */
		if (pick(4) == 0)
			k = pick(CHECK_PIDS);
		/* Now and then a process that is not cached yet gets a new
		 * life in procfs (the same pid, reused). */
		if (pick(8) == 0 && check_proc(dir, check_pid(k), check_parent(k))) {
			fprintf(stderr, "fmt: %s: cannot write the fake procfs\n", dir);
			goto cleanup;
		}
		do {
			bad = vary_event(v, (__u64)i, &is_sql);
			again = !is_sql &&
				(v->ev.kind == AISEC_EV_FORK || v->ev.kind == AISEC_EV_EXEC ||
				 v->ev.kind == AISEC_EV_EXIT) &&
				pick(4);
		} while (!bad && again);
		if (bad)
			continue;
		fc.sql_text = (enum sql_text_mode)pick(3);
		fc.boot_to_wall_ns = BOOT_TO_WALL;
		h->pid = check_pid(k);
		h->ppid = check_parent(k);
		if (v->ev.kind == AISEC_EV_FORK) {
			/* Into a pid that may still be cached: reused at once. */
			h->ppid = h->pid;
			h->pid = check_pid(pick(CHECK_PIDS));
		}
		e.ev = &v->ev;
		enrich__event(procs, &e);
		if (is_sql) {
			vary_sql(v);
			e.sql = &v->se;
		}
		if (pick(4) == 0) {
			vary_pod(v);
			e.service = "svc";
			e.pod = &v->pod;
		}
		strbuf__reset(&out);
		format__json(&out, &fc, &e);
		if (!same_cached(&fc, cache, &e, &out, &tmp, &reused)) {
			fprintf(stderr, "fmt: the format_cache check failed at event %ld\n", i);
			goto cleanup;
		}
		lines++;
		reuses += reused;
		if (v->ev.kind == AISEC_EV_EXIT)
			proc_cache__on_exit(procs, h->pid);
	}
	fprintf(stderr,
		"fmt: format_cache check: %ld lines the same with and without it, %ld of them made from what it held "
		"(%llu process cache evictions)\n",
		lines, reuses, (unsigned long long)proc_cache__evictions(procs));
	rc = 0;
cleanup:
	rm_tree(dir);
	proc_cache__free(procs);
	format_cache__free(cache);
	strbuf__free(&scratch);
	strbuf__free(&tmp);
	strbuf__free(&out);
	free(v);
	return rc;
}

static int run_dump(const char *path, long n)
{
	static const char *const argv1[] = {"sh", "-c", "sleep 1"};
	struct vary *v = calloc(1, sizeof(*v));
	struct format_cache *cache = format_cache__new();
	struct strbuf out = STRBUF_INIT, scratch = STRBUF_INIT, tmp = STRBUF_INIT;
	char dir[] = "/tmp/aisec-bench-fmt.XXXXXX";
	struct proc_cache *procs = NULL;
	FILE *f = NULL;
	int rc = 1;

	if (!v || !cache || !mkdtemp(dir)) {
		fprintf(stderr, "fmt: %s\n", strerror(errno));
		goto cleanup;
	}
	procs = proc_cache__new(dir, 64);
	rmdir(dir);
	f = fopen(path, "w");
	if (!procs || !f) {
		fprintf(stderr, "fmt: %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	/* Ancestors the cache knows: pids 1..8; others it does not. */
	for (__u32 pid = 1; pid <= 8; pid++) {
		char exe[80], comm[16];

		rnd_str(exe, sizeof(exe), 60);
		rnd_str(comm, sizeof(comm), 15);
		proc_cache__on_exec(procs, pid, pid - 1, 0, comm, exe, argv1, 3);
	}
	for (long i = 0; i < n; i++) {
		struct format_ctx fc = {.procs = pick(4) ? procs : NULL, .scratch = &scratch};
		struct enriched e = {0};
		bool is_sql, reused;

		if (vary_event(v, (__u64)i, &is_sql))
			continue;
		rnd_str(v->host, sizeof(v->host), 30);
		rnd_str(v->service, sizeof(v->service), 20);
		fc.host = pick(8) ? v->host : NULL;
		fc.sql_text = (enum sql_text_mode)pick(3);
		fc.boot_to_wall_ns = pick(2) ? BOOT_TO_WALL : (__s64)rnd_u64();
		fc.color = pick(2);
		e.ev = &v->ev;
		if (is_sql) {
			vary_sql(v);
			e.sql = &v->se;
		}
		if (pick(4)) {
			vary_proc(v);
			e.proc = &v->proc;
		}
		e.nancestry = pick(PROC_ANCESTRY_MAX + 1);
		for (size_t j = 0; j < e.nancestry; j++)
			e.ancestry[j] = (__u32)pick(12);
		if (pick(4) == 0)
			e.service = v->service;
		if (pick(4) == 0) {
			vary_pod(v);
			e.pod = &v->pod;
		}
		strbuf__reset(&out);
		format__json(&out, &fc, &e);
		if (!same_cached(&fc, cache, &e, &out, &tmp, &reused)) {
			fprintf(stderr, "fmt: event %ld\n", i);
			goto cleanup;
		}
		format__text(&out, &fc, &e);
		if (out.oom || fwrite(out.data, 1, out.len, f) != out.len) {
			fprintf(stderr, "fmt: %s: write failed\n", path);
			goto cleanup;
		}
	}
	/* The time alone, around second boundaries and alternating. */
	for (long i = 0; i < n; i++) {
		char ts[48];

		format__rfc3339(ts, sizeof(ts), rnd_ts((__u64)i));
		fprintf(f, "%s\n", ts);
	}
	rc = run_cache_check(n);
cleanup:
	if (f && fclose(f) && rc == 0) {
		fprintf(stderr, "fmt: %s: %s\n", path, strerror(errno));
		rc = 1;
	}
	proc_cache__free(procs);
	format_cache__free(cache);
	strbuf__free(&tmp);
	strbuf__free(&scratch);
	strbuf__free(&out);
	free(v);
	return rc;
}

int main(int argc, char **argv)
{
	const char *dump = NULL;
	bool cached = true;
	long n = 50000;
	int rounds = 5, opt;

	while ((opt = getopt(argc, argv, "un:r:d:")) != -1) {
		switch (opt) {
		case 'u':
			cached = false;
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'd':
			dump = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-u] [-n EVENTS] [-r ROUNDS] [-d FILE]\n", argv[0]);
			return 2;
		}
	}
	if (n < 1 || rounds < 1) {
		fprintf(stderr, "fmt: -n and -r must be at least 1\n");
		return 2;
	}
	/* Text lines show local time: the same on every machine. */
	setenv("TZ", "UTC", 1);
	tzset();
	return dump ? run_dump(dump, n) : run_timing(n, rounds, cached);
}

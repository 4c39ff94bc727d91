/*
 * run: the node agent (see run.h). One thread reads the ring buffer; the
 * metrics server, librdkafka and the kubelet client have their own threads,
 * all started after the capability drop.
 *
 * Selection: the kernel asks (an exec record flagged AISEC_F_SELECT) about
 * every process that execs in a cgroup it has no verdict for; the agent
 * decides with selector.h and writes the verdict back, so the next exec in
 * that cgroup costs one lookup in the kernel and nothing here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "cgpath.h"
#include "config.h"
#include "container.h"
#include "enrich.h"
#include "events.h"
#include "format.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "podmeta.h"
#include "privs.h"
#include "proc.h"
#include "run.h"
#include "runinfo.h"
#include "selector.h"
#include "sink_file.h"
#include "sink_kafka.h"
#include "sqlcap.h"
#include "strbuf.h"

#define PID_SLOTS 4194304u  /* PID_MAX_LIMIT on 64-bit */
#define PID_ROOT 0x80       /* pidsvc: selected itself, not a descendant */
#define CG_BUCKETS 4096
#define POD_TTL_S 30.0      /* pod metadata of a cgroup is looked up again after this */
#define UNDECIDED_RETRY_S 2.0

static volatile sig_atomic_t stop_signal, reload_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_signal = 1;
}

/* What the agent knows of one cgroup. */
struct run_cg {
	struct run_cg *next;
	__u64 id;
	enum selector_verdict verdict;
	int service;                 /* SELECT: index in the service set */
	bool decided;                /* verdict valid (UNDECIDED is decided again later) */
	double decided_at;
	struct container_ref ctr;
	struct pod_meta *pod;        /* NULL: none known */
	double pod_at;
};

struct run;

/* One configured service of the current config generation. */
struct run_service {
	struct run *r;
	const struct config_service *cs;
	struct analyze *an;
	__u64 evidence;
	double since;                 /* when its first process was selected (ssrf learns before it) */
};

struct run_services {
	struct run_service v[CONFIG_MAX_SERVICES];
	size_t n;
};

/* Metric ids. */
struct run_metrics {
	int events, dropped, rb_unread, rb_size, proc_entries, proc_evictions, watched, cgroups, findings, evidence,
		kafka, parse_errors, sql_queries, sql_conns, notices, reloads, pod, pod_entries, pod_age, up, caps;
};

struct run {
	const struct run_opts *o;
	const char *procfs;
	struct config *cfg;
	struct run_services *svcs;
	struct loader *ld;
	struct proc_cache *procs;
	struct sqlcap *sql;
	struct cgpath *cgp;
	struct podmeta *pm;
	struct metrics *m;
	struct run_metrics mid;
	struct sink_file *out;        /* sinks.stdout */
	int evfd, evidence_fd;        /* sinks.events, sinks.file (appended), or -1 */
	struct sink_kafka *kafka, *kevents;
	struct runinfo_bucket bucket; /* rate limit of raw events to Kafka */
	__u8 *pidsvc;                 /* per pid: service index + 1 (| PID_ROOT), 0: none */
	struct run_cg *cg[CG_BUCKETS];
	size_t ncg;
	struct format_ctx fc;
	struct format_cache *fcache;  /* fc's rendered process members */
	struct strbuf line, evline, cause, scratch;
	struct event ev;
	bool have_ev;
	char agent_id[40];
	__u64 seq;
	char host[256];
	double last_undecided;        /* when a cgroup was last left UNDECIDED */
	size_t nprocs;                /* processes with a service in pidsvc */
	__u64 percpu[1024][AISEC_STAT_MAX]; /* per-CPU kernel counters, for /metrics */
	/* counters */
	__u64 counts[AISEC_EV_KIND_MAX]; /* [0]: sql events */
	__u64 bad_records, notices, unattributed, events_limited, write_errors, reloads_ok, reloads_failed;
};

/* --- cgroups --------------------------------------------------------- */

static struct run_cg *cg_find(struct run *r, __u64 id)
{
	for (struct run_cg *c = r->cg[id % CG_BUCKETS]; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static struct run_cg *cg_get(struct run *r, __u64 id)
{
	struct run_cg *c = cg_find(r, id);

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = id;
	c->service = -1;
	c->next = r->cg[id % CG_BUCKETS];
	r->cg[id % CG_BUCKETS] = c;
	r->ncg++;
	return c;
}

static void cg_remove(struct run *r, __u64 id)
{
	struct run_cg **pp = &r->cg[id % CG_BUCKETS];

	for (; *pp; pp = &(*pp)->next) {
		struct run_cg *c = *pp;

		if (c->id != id)
			continue;
		*pp = c->next;
		free(c->pod);
		free(c);
		r->ncg--;
		return;
	}
}

static void cg_clear(struct run *r)
{
	for (size_t b = 0; b < CG_BUCKETS; b++) {
		while (r->cg[b]) {
			struct run_cg *c = r->cg[b];

			r->cg[b] = c->next;
			free(c->pod);
			free(c);
		}
	}
	r->ncg = 0;
}

/* The cgroup's pod metadata, looked up again when old. */
static const struct pod_meta *cg_pod(struct run *r, struct run_cg *c)
{
	double now;

	if (!r->pm || c->ctr.runtime == CONTAINER_NONE)
		return NULL;
	now = runinfo__now_s();
	if (c->pod_at && now - c->pod_at < (c->pod ? POD_TTL_S : UNDECIDED_RETRY_S))
		return c->pod;
	c->pod_at = now;
	if (!c->pod)
		c->pod = malloc(sizeof(*c->pod));
	if (c->pod && !podmeta__lookup(r->pm, c->ctr.id, c->pod)) {
		free(c->pod);
		c->pod = NULL;
	}
	return c->pod;
}

static __u8 kernel_verdict(enum selector_verdict v)
{
	return v == SELECTOR_SELECT ? AISEC_CG_SELECT : v == SELECTOR_IGNORE ? AISEC_CG_IGNORE : AISEC_CG_PER_PROCESS;
}

/* Decide (or look up) the verdict of cgroup id; NULL when out of memory. */
static struct run_cg *cg_decide(struct run *r, __u64 id, char *path, size_t pathlen)
{
	struct run_cg *c = cg_get(r, id);
	struct selector_cgroup sc;
	int rc;

	if (!c)
		return NULL;
	if (c->decided && c->verdict != SELECTOR_UNDECIDED)
		return c;
	rc = cgpath__path(r->cgp, id, path, pathlen);
	if (rc) {
		/* Created since the last walk of the tree (walks are rate
		 * limited), or gone already: decide again later; a gone one's
		 * entry leaves with its cgroup_gone record. */
		log_debug("cgroup %llu: no path yet (%s)", (unsigned long long)id, strerror(-rc));
		c->verdict = SELECTOR_UNDECIDED;
		c->decided = true;
		r->last_undecided = runinfo__now_s();
		return c;
	}
	container__from_path(path, &c->ctr);
	sc = (struct selector_cgroup){ .path = path, .container = &c->ctr, .pod = cg_pod(r, c) };
	c->verdict = selector__cgroup(r->cfg, &sc, &c->service);
	c->decided = true;
	c->decided_at = runinfo__now_s();
	if (c->verdict == SELECTOR_UNDECIDED) {
		r->last_undecided = c->decided_at;
		return c;
	}
	rc = loader__set_cgroup_verdict(r->ld, id, kernel_verdict(c->verdict));
	if (rc)
		log_warn("cgroup %s: cannot store its verdict in the kernel: %s; its execs will be reported again",
			 path, strerror(-rc));
	if (c->verdict == SELECTOR_SELECT)
		log_info("service %s: cgroup %s selected", r->svcs->v[c->service].cs->name, path);
	return c;
}

/* --- selection ------------------------------------------------------- */

static void readlink_proc(const char *procfs, __u32 pid, const char *what, char *buf, size_t len)
{
	char p[64];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%u/%s", procfs, pid, what);
	n = readlink(p, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

static void watch_pid(struct run *r, __u32 pid, int service, bool root)
{
	int rc;

	if (pid >= PID_SLOTS)
		return;
	rc = loader__watch(r->ld, pid);
	if (rc) {
		log_warn("cannot watch pid %u: %s", pid, strerror(-rc));
		return;
	}
	if (!r->pidsvc[pid])
		r->nprocs++;
	r->pidsvc[pid] = (__u8)(service + 1) | (root ? PID_ROOT : 0);
	if (!r->svcs->v[service].since)
		r->svcs->v[service].since = runinfo__now_s();
}

/* Whether process pid (in cgroup cgid) belongs to a service; watches it
 * when it does. exe_hint: the exec's filename when known. Returns the
 * service index or -1. */
static int select_process(struct run *r, __u32 pid, __u64 cgid, const char *exe_hint)
{
	char path[PATH_MAX], exe[PATH_MAX], cwd[PATH_MAX];
	struct run_cg *c = cg_decide(r, cgid, path, sizeof(path));
	struct selector_cgroup sc;
	int svc = -1;

	if (!c)
		return -1;
	if (c->verdict == SELECTOR_SELECT) {
		svc = c->service;
	} else if (c->verdict == SELECTOR_PER_PROCESS || c->verdict == SELECTOR_UNDECIDED) {
		if (cgpath__path(r->cgp, cgid, path, sizeof(path)))
			return -1;
		readlink_proc(r->procfs, pid, "exe", exe, sizeof(exe));
		if (!*exe && exe_hint && *exe_hint == '/')
			snprintf(exe, sizeof(exe), "%s", exe_hint);
		readlink_proc(r->procfs, pid, "cwd", cwd, sizeof(cwd));
		sc = (struct selector_cgroup){ .path = path, .container = &c->ctr, .pod = cg_pod(r, c) };
		svc = selector__process(r->cfg, &sc, exe, cwd);
	}
	if (svc < 0)
		return -1;
	watch_pid(r, pid, svc, true);
	log_debug("service %s: pid %u selected", r->svcs->v[svc].cs->name, pid);
	return svc;
}

struct task_list {
	__u32 *pid;
	__u64 *cg;
	size_t n, cap;
};

static void on_task(void *ctx, __u32 tgid, __u64 cgid)
{
	struct task_list *t = ctx;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		__u32 *p = realloc(t->pid, cap * sizeof(*p));
		__u64 *g;

		if (!p)
			return;
		t->pid = p;
		g = realloc(t->cg, cap * sizeof(*g));
		if (!g)
			return;
		t->cg = g;
		t->cap = cap;
	}
	t->pid[t->n] = tgid;
	t->cg[t->n++] = cgid;
}

/* Select among every running process (start, reload, and later for
 * cgroups whose metadata was missing). only_undecided: just processes in
 * cgroups left UNDECIDED. Returns how many processes were newly watched. */
static int select_running(struct run *r, bool only_undecided)
{
	struct task_list t = { 0 };
	int added = 0, rc;

	rc = loader__tasks(r->ld, on_task, &t);
	if (rc) {
		log_warn("cannot list running processes: %s", strerror(-rc));
		return 0;
	}
	for (size_t i = 0; i < t.n; i++) {
		struct run_cg *c;
		__u32 *kids = NULL;
		size_t nkids = 0;
		int svc;

		if (t.pid[i] >= PID_SLOTS || r->pidsvc[t.pid[i]])
			continue;
		if (only_undecided) {
			c = cg_find(r, t.cg[i]);
			if (!c || c->verdict != SELECTOR_UNDECIDED)
				continue;
		}
		svc = select_process(r, t.pid[i], t.cg[i], NULL);
		if (svc < 0)
			continue;
		added++;
		/* Its children started before us are the service's too. */
		if (proc__descendants(r->procfs, t.pid[i], &kids, &nkids) == 0) {
			for (size_t k = 0; k < nkids; k++) {
				if (kids[k] < PID_SLOTS && !r->pidsvc[kids[k]]) {
					watch_pid(r, kids[k], svc, false);
					added++;
				}
			}
			free(kids);
		}
	}
	free(t.pid);
	free(t.cg);
	return added;
}

/* The service of an event's process, or -1. Processes the kernel selected
 * by itself (SELECT verdict at exec or cgroup move) get theirs from the
 * cgroup. */
static int service_of(struct run *r, const struct aisec_hdr *h)
{
	struct run_cg *c;

	if (h->pid >= PID_SLOTS)
		return -1;
	if (r->pidsvc[h->pid])
		return (r->pidsvc[h->pid] & ~PID_ROOT) - 1;
	c = cg_find(r, h->cgroup_id);
	if (c && c->verdict == SELECTOR_SELECT) {
		r->pidsvc[h->pid] = (__u8)(c->service + 1) | PID_ROOT;
		r->nprocs++;
		if (!r->svcs->v[c->service].since)
			r->svcs->v[c->service].since = runinfo__now_s();
		return c->service;
	}
	return -1;
}

/* --- sinks ----------------------------------------------------------- */

static int open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		log_err("cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* Whole lines with O_APPEND: concurrent writers never interleave inside one. */
static void append_line(struct run *r, int fd, const char *what, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (r->write_errors++ == 0)
				log_err("cannot write %s: %s (counted in aisec_write_errors_total)", what, strerror(errno));
			return;
		}
		data += n;
		len -= (size_t)n;
	}
}

static void send_raw_event(struct run *r, const struct enriched *e)
{
	char key[16];

	if (!runinfo__bucket_take(&r->bucket)) {
		r->events_limited++;
		return;
	}
	snprintf(key, sizeof(key), "%u", e->ev->hdr->pid);
	sink_kafka__send(r->kevents, key, strlen(key), r->line.data, r->line.len - 1, FORMAT_EVENT_SCHEMA);
}

/* An event of a selected service: to the events sinks, then to its detectors. */
static void handle_event(struct run *r, struct run_service *s, struct enriched *e)
{
	struct run_cg *c = cg_find(r, e->ev->hdr->cgroup_id);

	e->service = s->cs->name;
	e->pod = c ? cg_pod(r, c) : NULL;
	if (r->evfd >= 0 || r->kevents) {
		strbuf__reset(&r->line);
		format__json(&r->line, &r->fc, e);
		if (!r->line.oom && r->line.len > 1) {
			if (r->evfd >= 0)
				append_line(r, r->evfd, "the events file", r->line.data, r->line.len);
			if (r->kevents)
				send_raw_event(r, e);
		}
	}
	if (!s->an)
		return;
	if (e->sql) {
		analyze__on_sql(s->an, e, e->ev->hdr->ts_ns + (__u64)r->fc.boot_to_wall_ns);
	} else {
		const struct aisec_hdr *h = e->ev->hdr;
		__u32 sp = 0;

		/* cmdi rates an exec by the service's own process higher than one
		 * by something deeper: the selected process is "the service". */
		if (h->pid < PID_SLOTS && (r->pidsvc[h->pid] & PID_ROOT))
			sp = h->pid;
		else if (h->ppid < PID_SLOTS && (r->pidsvc[h->ppid] & PID_ROOT))
			sp = h->ppid;
		analyze__set_service_pid(s->an, sp);
		analyze__on_event(s->an, e, h->ts_ns + (__u64)r->fc.boot_to_wall_ns,
				  s->since ? runinfo__now_s() - s->since : 0);
	}
}

static void on_evidence(void *ctx, const struct correlate_evidence *ev, const struct enriched *cause,
			__u64 wall_ns)
{
	struct run_service *s = ctx;
	struct run *r = s->r;
	const struct proc_info *p = cause ? cause->proc : NULL;
	struct format_service fs = {
		.name = s->cs->name,
		.pod = cause ? cause->pod : NULL,
		.pid = cause ? cause->ev->hdr->pid : 0,
		.comm = p ? p->comm : "",
		.exe = p ? p->exe : "",
		.agent_id = r->agent_id,
		.seq = ++r->seq,
	};
	char key[FINDING_FP_LEN + 24];

	s->evidence++;
	strbuf__reset(&r->cause);
	format__json(&r->cause, &r->fc, cause);
	if (r->cause.len && r->cause.data[r->cause.len - 1] == '\n')
		r->cause.len--;
	strbuf__reset(&r->evline);
	format__evidence_json(&r->evline, &r->fc, &fs, ev, wall_ns, r->cause.data, r->cause.len);
	if (r->evline.oom || r->evline.len < 2) {
		r->write_errors++;
		return;
	}
	if (r->out && sink_file__write(r->out, r->evline.data, r->evline.len))
		r->write_errors++;
	if (r->evidence_fd >= 0)
		append_line(r, r->evidence_fd, "the evidence file", r->evline.data, r->evline.len);
	if (r->kafka) {
		enrich__evidence_key(key, sizeof(key), ev, fs.exe);
		sink_kafka__send(r->kafka, key, strlen(key), r->evline.data, r->evline.len - 1, FORMAT_EVIDENCE_SCHEMA);
	}
	log_info("evidence: service %s: %s %s -> %s (%s)", s->cs->name,
		 ev->finding ? ev->finding->rule_id : "(no finding)", finding__status_name(ev->previous),
		 finding__status_name(ev->status), ev->reason);
}

/* --- records --------------------------------------------------------- */

static void on_sql(void *ctx, const struct sql_event *se)
{
	struct run *r = ctx;
	struct enriched e = { 0 };
	struct aisec_hdr h;
	struct event ev;
	int svc;

	/* A header made up at shutdown has no cgroup: no pod for that one. */
	enrich__sql(r->procs, &e, se, r->have_ev ? &r->ev : NULL, &h, &ev);
	svc = se->pid < PID_SLOTS && r->pidsvc[se->pid] ? (r->pidsvc[se->pid] & ~PID_ROOT) - 1 : -1;
	if (svc < 0 || (size_t)svc >= r->svcs->n) {
		r->unattributed++;
		return;
	}
	r->counts[0]++;
	handle_event(r, &r->svcs->v[svc], &e);
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct run *r = ctx;
	struct enriched e = { .ev = &r->ev };
	const struct aisec_hdr *h;
	int rc, svc;

	rc = events__decode(data, size, &r->ev);
	if (rc) {
		if (r->bad_records++ == 0)
			log_warn("malformed record from the kernel (%zu bytes): %s; counting and skipping such records",
				 size, strerror(-rc));
		return 0;
	}
	h = r->ev.hdr;
	if (r->ev.kind == AISEC_EV_CGROUP_GONE) {
		r->counts[AISEC_EV_CGROUP_GONE]++;
		cg_remove(r, h->cgroup_id);
		cgpath__forget(r->cgp, h->cgroup_id);
		return 0;
	}
	if (r->ev.kind == AISEC_EV_EXEC && (h->flags & AISEC_F_SELECT)) {
		r->notices++;
		if (select_process(r, h->pid, h->cgroup_id, r->ev.filename) < 0)
			return 0;
	}
	r->counts[r->ev.kind]++;
	if (r->ev.kind == AISEC_EV_PAYLOAD) {
		__u8 verdict;

		if (!r->sql)
			return 0;
		r->have_ev = true;
		if (sqlcap__on_payload(r->sql, r->ev.raw.payload, &verdict) == 1)
			loader__set_unix_verdict(r->ld, r->ev.raw.payload->unix_path, r->ev.raw.payload->unix_len,
						 verdict);
		r->have_ev = false;
		return 0;
	}
	if (r->ev.kind == AISEC_EV_FORK && h->pid < PID_SLOTS && h->ppid < PID_SLOTS && r->pidsvc[h->ppid] &&
	    !r->pidsvc[h->pid]) {
		r->pidsvc[h->pid] = r->pidsvc[h->ppid] & ~PID_ROOT;
		r->nprocs++;
	}
	svc = service_of(r, h);
	enrich__event(r->procs, &e);
	if (r->ev.kind == AISEC_EV_EXIT && r->sql) {
		r->have_ev = true;
		sqlcap__on_exit(r->sql, h->pid);
		r->have_ev = false;
	}
	if (svc >= 0 && (size_t)svc < r->svcs->n)
		handle_event(r, &r->svcs->v[svc], &e);
	else
		r->unattributed++;
	if (r->ev.kind == AISEC_EV_EXIT) {
		proc_cache__on_exit(r->procs, h->pid);
		if (h->pid < PID_SLOTS && r->pidsvc[h->pid]) {
			r->pidsvc[h->pid] = 0;
			r->nprocs--;
		}
	}
	return 0;
}

/* --- services and reload --------------------------------------------- */

static void services_free(struct run_services *ss)
{
	if (!ss)
		return;
	for (size_t i = 0; i < ss->n; i++)
		analyze__free(ss->v[i].an);
	free(ss);
}

/* One analyze per service of cfg. NULL with the reason logged and *code set. */
static struct run_services *services_new(struct run *r, const struct config *cfg, int *code)
{
	struct run_services *ss = calloc(1, sizeof(*ss));
	char err[1024];

	*code = 1;
	if (!ss) {
		log_err("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct config_service *cs = &cfg->services[i];
		struct run_service *s = &ss->v[i];
		struct analyze_opts ao = {
			.rules_dir = cfg->rules_dir,
			.n_findings = cs->nfindings,
			.source_root = cs->source_root,
			.procs = r->procs,
		};

		s->r = r;
		s->cs = cs;
		for (size_t f = 0; f < cs->nfindings && f < ANALYZE_MAX_FINDINGS_FILES; f++)
			ao.findings[f] = cs->findings[f];
		s->an = analyze__new(&ao, on_evidence, s, code, err, sizeof(err));
		ss->n = i + 1;
		if (!s->an) {
			log_err("%s: service %s: %s", cfg->file, cs->name, err);
			services_free(ss);
			return NULL;
		}
		log_info("service %s: %zu findings", cs->name, analyze__findings(s->an));
	}
	return ss;
}

static bool str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

static bool kv_differs(const struct config_kv *a, size_t na, const struct config_kv *b, size_t nb)
{
	if (na != nb)
		return true;
	for (size_t i = 0; i < na; i++)
		if (str_differs(a[i].key, b[i].key) || str_differs(a[i].value, b[i].value))
			return true;
	return false;
}

/* Settings a reload cannot change (they size kernel maps, threads or
 * connections set up at start): warn so nobody thinks they took. */
static void warn_restart_only(const struct config *a, const struct config *b)
{
	const char *what = NULL;

	if (a->ringbuf_bytes != b->ringbuf_bytes)
		what = "limits.ringbuf_bytes";
	else if (a->payload_bytes != b->payload_bytes)
		what = "db.payload_bytes";
	else if (kv_differs(a->db_ports, a->ndb_ports, b->db_ports, b->ndb_ports))
		what = "db.ports";
	else if (kv_differs(a->db_sockets, a->ndb_sockets, b->db_sockets, b->ndb_sockets))
		what = "db.sockets";
	else if (str_differs(a->sql_text, b->sql_text))
		what = "db.sql_text";
	else if (a->proc_cache != b->proc_cache || a->sql_connections != b->sql_connections ||
		 a->spool_bytes != b->spool_bytes)
		what = "limits";
	else if (str_differs(a->metrics_listen, b->metrics_listen))
		what = "metrics.listen";
	else if (str_differs(a->kafka_brokers, b->kafka_brokers) || str_differs(a->kafka_topic, b->kafka_topic) ||
		 str_differs(a->kafka_events_topic, b->kafka_events_topic) ||
		 kv_differs(a->kafka_conf, a->nkafka_conf, b->kafka_conf, b->nkafka_conf))
		what = "sinks.kafka";
	else if (str_differs(a->kubelet_url, b->kubelet_url) || str_differs(a->kubelet_token_file, b->kubelet_token_file) ||
		 str_differs(a->kubelet_ca_file, b->kubelet_ca_file))
		what = "kubelet";
	else if (str_differs(a->runtime_containerd_root, b->runtime_containerd_root) ||
		 str_differs(a->runtime_crio_root, b->runtime_crio_root) ||
		 str_differs(a->runtime_docker_root, b->runtime_docker_root))
		what = "runtime";
	else if (a->sink_stdout != b->sink_stdout)
		what = "sinks.stdout";
	if (what)
		log_warn("%s: %s changed; it takes effect at the next start (the rest of the config is reloaded)",
			 b->file, what);
}

/* Reopen the append sinks (after log rotation, or new paths). */
static int reopen_files(struct run *r, const struct config *cfg)
{
	int evfd = -1, efd = -1;

	if (cfg->sink_events && (evfd = open_append(cfg->sink_events)) < 0)
		return -1;
	if (cfg->sink_file && (efd = open_append(cfg->sink_file)) < 0) {
		if (evfd >= 0)
			close(evfd);
		return -1;
	}
	if (r->evfd >= 0)
		close(r->evfd);
	if (r->evidence_fd >= 0)
		close(r->evidence_fd);
	r->evfd = evfd;
	r->evidence_fd = efd;
	return 0;
}

static void reload(struct run *r)
{
	char err[1024];
	struct config *cfg = config__load(r->o->config, err, sizeof(err));
	struct run_services *ss;
	__u32 *pids;
	size_t n, kept = 0, carried = 0, gone = 0;
	int code, map[CONFIG_MAX_SERVICES];

	log_info("SIGHUP: reloading %s", r->o->config);
	if (!cfg) {
		log_err("%s; keeping the running config", err);
		r->reloads_failed++;
		return;
	}
	ss = services_new(r, cfg, &code);
	if (!ss) {
		log_err("reload failed; keeping the running config, rules and findings");
		config__free(cfg);
		r->reloads_failed++;
		return;
	}
	if (reopen_files(r, cfg)) {
		log_err("reload failed; keeping the running config, rules and findings");
		services_free(ss);
		config__free(cfg);
		r->reloads_failed++;
		return;
	}
	warn_restart_only(r->cfg, cfg);
	/* Finding state goes over by service name and finding fingerprint. */
	for (size_t i = 0; i < r->svcs->n; i++) {
		map[i] = -1;
		for (size_t j = 0; j < ss->n; j++) {
			if (strcmp(r->svcs->v[i].cs->name, ss->v[j].cs->name) == 0) {
				map[i] = (int)j;
				carried += analyze__adopt(ss->v[j].an, r->svcs->v[i].an);
				ss->v[j].evidence = r->svcs->v[i].evidence;
				ss->v[j].since = r->svcs->v[i].since;
				break;
			}
		}
	}
	/* Watched processes keep their service by name; those whose service
	 * is gone are let go. Selection is decided again from scratch. */
	pids = malloc(PID_SLOTS / 8 * sizeof(*pids));
	n = pids ? loader__watched(r->ld, pids, PID_SLOTS / 8) : 0;
	for (size_t k = 0; k < n; k++) {
		__u8 v = pids[k] < PID_SLOTS ? r->pidsvc[pids[k]] : 0;
		int old = (v & ~PID_ROOT) - 1;

		if (v && old >= 0 && (size_t)old < r->svcs->n && map[old] >= 0) {
			r->pidsvc[pids[k]] = (__u8)(map[old] + 1) | (v & PID_ROOT);
			kept++;
		} else {
			loader__unwatch(r->ld, pids[k]);
			if (v) {
				r->pidsvc[pids[k]] = 0;
				r->nprocs--;
			}
			gone++;
		}
	}
	free(pids);
	services_free(r->svcs);
	config__free(r->cfg);
	r->svcs = ss;
	r->cfg = cfg;
	cg_clear(r);
	loader__clear_cgroup_verdicts(r->ld);
	n = (size_t)select_running(r, false);
	r->reloads_ok++;
	log_info("reloaded: %zu services, finding state carried for %zu findings; %zu processes kept, %zu let go, "
		 "%zu newly selected",
		 ss->n, carried, kept, gone, n);
}

/* --- metrics --------------------------------------------------------- */

static int reg(struct run *r, const char *name, const char *help, enum metric_type t)
{
	int id = metrics__register(r->m, name, help, t);

	if (id < 0)
		log_warn("metric %s: cannot register (%s)", name, strerror(-id));
	return id;
}

static void metrics_register(struct run *r)
{
	struct run_metrics *m = &r->mid;

	m->up = reg(r, "aisec_build_info", "Agent version (value 1)", METRIC_GAUGE);
	m->events = reg(r, "aisec_events_total", "Events of selected services, by kind", METRIC_COUNTER);
	m->dropped = reg(r, "aisec_records_dropped_total",
			 "Kernel records lost, by CPU and reason (ring buffer full, watch table full)", METRIC_COUNTER);
	m->rb_unread = reg(r, "aisec_ringbuf_unread_bytes", "Ring buffer bytes written and not read yet",
			   METRIC_GAUGE);
	m->rb_size = reg(r, "aisec_ringbuf_size_bytes", "Ring buffer size", METRIC_GAUGE);
	m->proc_entries = reg(r, "aisec_process_cache_entries", "Processes in the enrichment cache", METRIC_GAUGE);
	m->proc_evictions = reg(r, "aisec_process_cache_evictions_total", "Process cache entries evicted for space",
				METRIC_COUNTER);
	m->watched = reg(r, "aisec_watched_processes", "Processes of selected services being watched", METRIC_GAUGE);
	m->cgroups = reg(r, "aisec_cgroups", "Cgroups the agent has a verdict for, by verdict", METRIC_GAUGE);
	m->findings = reg(r, "aisec_findings", "Static findings by service and runtime status", METRIC_GAUGE);
	m->evidence = reg(r, "aisec_evidence_total", "Evidence records by service", METRIC_COUNTER);
	m->kafka = reg(r, "aisec_kafka_records_total", "Kafka records by stream and outcome", METRIC_COUNTER);
	m->parse_errors = reg(r, "aisec_parse_errors_total", "Input the agent could not parse, by parser",
			      METRIC_COUNTER);
	m->sql_queries = reg(r, "aisec_sql_queries_total", "Queries decoded from database sockets", METRIC_COUNTER);
	m->sql_conns = reg(r, "aisec_sql_connections_total", "Database connections seen", METRIC_COUNTER);
	m->notices = reg(r, "aisec_selection_total", "Selection work: exec notices from the kernel, events of no service",
			 METRIC_COUNTER);
	m->reloads = reg(r, "aisec_reloads_total", "Config reloads by result", METRIC_COUNTER);
	m->pod = reg(r, "aisec_pod_metadata_total", "Pod metadata lookups and kubelet fetches, by outcome",
		     METRIC_COUNTER);
	m->pod_entries = reg(r, "aisec_pod_metadata_entries", "Containers in the pod metadata cache", METRIC_GAUGE);
	m->pod_age = reg(r, "aisec_kubelet_last_success_age_seconds",
			 "Seconds since the kubelet last answered with a good pod list (-1: never)", METRIC_GAUGE);
	m->caps = reg(r, "aisec_capabilities", "Effective capabilities of the agent after the drop (bit mask)",
		      METRIC_GAUGE);
}

static void kafka_metrics(struct run *r, struct sink_kafka *k, const char *stream)
{
	struct sink_kafka_stats st;
	char l[128];

	if (!k)
		return;
	sink_kafka__stats(k, &st);
#define KM(field)                                                                              \
	snprintf(l, sizeof(l), "stream=\"%s\",outcome=\"" #field "\"", stream);               \
	metrics__set(r->m, r->mid.kafka, l, (double)st.field)
	KM(produced);
	KM(delivered);
	KM(spooled);
	KM(replayed);
	KM(failed);
	KM(dropped);
	KM(corrupt);
#undef KM
}

static void metrics_update(struct run *r)
{
	struct run_metrics *m = &r->mid;
	struct sqlcap_stats ss = { 0 };
	size_t ncpu = 0, verdicts[4] = { 0 };
	char l[256];

	if (!r->m)
		return;
	for (int k = 1; k < AISEC_EV_KIND_MAX; k++) {
		if (k == AISEC_EV_PAYLOAD || k == AISEC_EV_CGROUP_GONE)
			continue;
		snprintf(l, sizeof(l), "kind=\"%s\"", events__kind_name(k));
		metrics__set(r->m, m->events, l, (double)r->counts[k]);
	}
	metrics__set(r->m, m->events, "kind=\"sql\"", (double)r->counts[0]);
	if (loader__stats_percpu(r->ld, r->percpu, 1024, &ncpu) == 0) {
		for (size_t c = 0; c < ncpu; c++) {
			snprintf(l, sizeof(l), "cpu=\"%zu\",reason=\"ringbuf_full\"", c);
			metrics__set(r->m, m->dropped, l, (double)r->percpu[c][AISEC_STAT_RB_DROP]);
			snprintf(l, sizeof(l), "cpu=\"%zu\",reason=\"watch_table_full\"", c);
			metrics__set(r->m, m->dropped, l, (double)r->percpu[c][AISEC_STAT_WATCH_FULL]);
		}
	}
	metrics__set(r->m, m->rb_unread, "", (double)loader__ringbuf_unread(r->ld));
	metrics__set(r->m, m->rb_size, "", (double)loader__ringbuf_size(r->ld));
	metrics__set(r->m, m->proc_entries, "", (double)proc_cache__size(r->procs));
	metrics__set(r->m, m->proc_evictions, "", (double)proc_cache__evictions(r->procs));
	metrics__set(r->m, m->watched, "", (double)r->nprocs);
	for (size_t b = 0; b < CG_BUCKETS; b++)
		for (struct run_cg *c = r->cg[b]; c; c = c->next)
			verdicts[c->verdict & 3]++;
	metrics__set(r->m, m->cgroups, "verdict=\"ignore\"", (double)verdicts[SELECTOR_IGNORE]);
	metrics__set(r->m, m->cgroups, "verdict=\"select\"", (double)verdicts[SELECTOR_SELECT]);
	metrics__set(r->m, m->cgroups, "verdict=\"per_process\"", (double)verdicts[SELECTOR_PER_PROCESS]);
	metrics__set(r->m, m->cgroups, "verdict=\"undecided\"", (double)verdicts[SELECTOR_UNDECIDED]);
	for (size_t i = 0; i < r->svcs->n; i++) {
		const struct run_service *s = &r->svcs->v[i];
		size_t st[4];

		analyze__status_counts(s->an, st);
		for (int k = 0; k < 4; k++) {
			snprintf(l, sizeof(l), "service=\"%s\",status=\"%s\"", s->cs->name, finding__status_name(k));
			metrics__set(r->m, m->findings, l, (double)st[k]);
		}
		snprintf(l, sizeof(l), "service=\"%s\"", s->cs->name);
		metrics__set(r->m, m->evidence, l, (double)s->evidence);
	}
	kafka_metrics(r, r->kafka, "evidence");
	kafka_metrics(r, r->kevents, "events");
	if (r->kevents)
		metrics__set(r->m, m->kafka, "stream=\"events\",outcome=\"rate_limited\"", (double)r->events_limited);
	if (r->sql)
		sqlcap__stats(r->sql, &ss);
	metrics__set(r->m, m->parse_errors, "parser=\"sql\"", (double)ss.parse_errors);
	metrics__set(r->m, m->parse_errors, "parser=\"kernel_record\"", (double)r->bad_records);
	metrics__set(r->m, m->sql_queries, "", (double)ss.queries);
	metrics__set(r->m, m->sql_conns, "", (double)ss.conns_opened);
	metrics__set(r->m, m->notices, "what=\"exec_notice\"", (double)r->notices);
	metrics__set(r->m, m->notices, "what=\"unattributed_event\"", (double)r->unattributed);
	metrics__set(r->m, m->reloads, "result=\"ok\"", (double)r->reloads_ok);
	metrics__set(r->m, m->reloads, "result=\"failed\"", (double)r->reloads_failed);
	if (r->pm) {
		struct podmeta_stats ps;

		podmeta__stats(r->pm, &ps);
		metrics__set(r->m, m->pod, "what=\"hit\"", (double)ps.hits);
		metrics__set(r->m, m->pod, "what=\"miss\"", (double)ps.misses);
		metrics__set(r->m, m->pod, "what=\"kubelet_fetch\"", (double)ps.kubelet_fetches);
		metrics__set(r->m, m->pod, "what=\"kubelet_error\"", (double)ps.kubelet_errors);
		metrics__set(r->m, m->pod, "what=\"runtime_read\"", (double)ps.runtime_reads);
		metrics__set(r->m, m->pod, "what=\"runtime_error\"", (double)ps.runtime_errors);
		metrics__set(r->m, m->pod_entries, "", (double)ps.entries);
		metrics__set(r->m, m->pod_age, "", ps.last_success_age_s);
	}
}

/* --- start and loop -------------------------------------------------- */

static int setup_sql(struct run *r, struct loader_opts *lo)
{
	struct sqlcap_opts so = { .max_conns = r->cfg->sql_connections };
	const struct config *c = r->cfg;

	for (size_t i = 0; i < c->ndb_ports && i < LOADER_MAX_DB_PORTS; i++) {
		lo->db_ports[i].port = (__u16)strtoul(c->db_ports[i].key, NULL, 10);
		lo->db_ports[i].dialect =
			strcmp(c->db_ports[i].value, "mysql") == 0 ? AISEC_DIALECT_MYSQL : AISEC_DIALECT_POSTGRES;
		lo->n_db_ports = i + 1;
	}
	for (size_t i = 0; i < c->ndb_sockets && i < SQLCAP_MAX_PATTERNS; i++) {
		so.patterns[i].glob = c->db_sockets[i].key;
		so.patterns[i].dialect =
			strcmp(c->db_sockets[i].value, "mysql") == 0 ? SQL_DIALECT_MYSQL : SQL_DIALECT_POSTGRES;
		so.n_patterns = i + 1;
	}
	r->sql = sqlcap__new(&so, on_sql, r);
	if (!r->sql) {
		log_err("cannot set up SQL capture: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_kafka(struct run *r)
{
	const struct config *c = r->cfg;
	struct sink_kafka_opts ko = {
		.brokers = c->kafka_brokers,
		.topic = c->kafka_topic,
		.spool_dir = c->kafka_spool_dir,
		.spool_max_bytes = c->spool_bytes,
		.host = r->host,
		.agent_version = AISEC_VERSION,
	};
	char err[1024], kv[CONFIG_MAX_KAFKA_CONF][512], spool[PATH_MAX];

	if (!c->kafka_brokers)
		return 0;
	for (size_t i = 0; i < c->nkafka_conf && i < SINK_KAFKA_MAX_CONF; i++) {
		snprintf(kv[i], sizeof(kv[i]), "%s=%s", c->kafka_conf[i].key, c->kafka_conf[i].value);
		ko.conf[i] = kv[i];
		ko.nconf = i + 1;
	}
	r->kafka = sink_kafka__open(&ko, err, sizeof(err));
	if (!r->kafka) {
		log_err("%s: sinks.kafka: %s", c->file, err);
		return -1;
	}
	if (c->kafka_events_topic) {
		snprintf(spool, sizeof(spool), "%s/events", c->kafka_spool_dir ? c->kafka_spool_dir : "/var/lib/aisec-rt/spool");
		ko.topic = c->kafka_events_topic;
		ko.spool_dir = spool;
		r->kevents = sink_kafka__open(&ko, err, sizeof(err));
		if (!r->kevents) {
			log_err("%s: sinks.kafka.events_topic: %s", c->file, err);
			return -1;
		}
		runinfo__bucket_init(&r->bucket, c->kafka_events_rate);
	}
	return 0;
}

static int drop_caps(struct run *r)
{
	struct privs_caps pc;
	char err[256], names[512];
	__u64 keep;
	int rc;

	if (r->o->keep_caps) {
		log_warn("--keep-caps: running with every capability the agent was started with");
		return 0;
	}
	/* Keep what is wanted and was given; say what is missing (the agent
	 * then runs with less: see docs/deploy.md for what each one is for). */
	keep = privs__runtime_set();
	if (privs__read("/proc", 0, &pc) == 0 && (keep & ~pc.prm)) {
		privs__names(keep & ~pc.prm, names, sizeof(names));
		log_warn("not granted: %s; the agent runs without it", names);
		keep &= pc.prm;
	}
	rc = privs__drop_to(keep, err, sizeof(err));
	if (rc) {
		log_err("cannot drop capabilities: %s", err);
		return -1;
	}
	if (privs__read("/proc", 0, &pc) == 0) {
		privs__names(pc.eff, names, sizeof(names));
		log_info("capabilities dropped; kept: %s", *names ? names : "none");
	}
	return 0;
}

static void final_summary(struct run *r)
{
	__u64 st[AISEC_STAT_MAX] = { 0 };

	if (loader__stats(r->ld, st) == 0)
		log_info("summary: %llu exec notices, %llu records dropped (ring buffer full %llu), %llu malformed",
			 (unsigned long long)r->notices,
			 (unsigned long long)(st[AISEC_STAT_RB_DROP] + st[AISEC_STAT_WATCH_FULL]),
			 (unsigned long long)st[AISEC_STAT_RB_DROP], (unsigned long long)r->bad_records);
	for (size_t i = 0; i < r->svcs->n; i++) {
		size_t s[4];

		analyze__status_counts(r->svcs->v[i].an, s);
		log_info("service %s: %llu evidence records; findings: %zu confirmed, %zu triggered, %zu reachable, "
			 "%zu unobserved",
			 r->svcs->v[i].cs->name, (unsigned long long)r->svcs->v[i].evidence, s[3], s[2], s[1], s[0]);
	}
}

int run__run(const struct run_opts *o)
{
	struct run r = {
		.o = o,
		.evfd = -1,
		.evidence_fd = -1,
		.line = STRBUF_INIT,
		.evline = STRBUF_INIT,
		.cause = STRBUF_INIT,
		.scratch = STRBUF_INIT,
	};
	struct loader_opts lo = { .sql = true, .select = true };
	struct sigaction sa = { .sa_handler = on_stop }, sh = { .sa_handler = on_hup };
	unsigned poll_ms = o->poll_ms ? o->poll_ms : 100;
	double deadline = 0, last_metrics = 0;
	char err[1024];
	int rc = 1, code, n;

	r.procfs = o->procfs ? o->procfs : "/proc";
	r.cfg = config__load(o->config, err, sizeof(err));
	if (!r.cfg) {
		log_err("%s", err);
		return 2;
	}
	r.procs = proc_cache__new(r.procfs, r.cfg->proc_cache);
	r.fcache = format_cache__new();
	r.pidsvc = calloc(PID_SLOTS, 1);
	r.cgp = cgpath__new(o->cgroup_root, 0);
	if (!r.procs || !r.fcache || !r.pidsvc) {
		log_err("out of memory");
		goto cleanup;
	}
	if (!r.cgp) {
		log_err("%s: cannot use the cgroup2 mount: %s", o->cgroup_root ? o->cgroup_root : "/sys/fs/cgroup (or /sys/fs/cgroup/unified)",
			strerror(errno));
		rc = 2;
		goto cleanup;
	}
	r.svcs = services_new(&r, r.cfg, &code);
	if (!r.svcs) {
		rc = code;
		goto cleanup;
	}
	if (o->check_only) {
		log_info("%s: config, rules and findings are valid (%zu services)", o->config, r.svcs->n);
		rc = 0;
		goto cleanup;
	}
	if (gethostname(r.host, sizeof(r.host) - 1))
		strcpy(r.host, "unknown");
	runinfo__agent_id(r.agent_id, sizeof(r.agent_id));
	r.fc = (struct format_ctx){
		.procs = r.procs,
		.cache = r.fcache,
		.sql_text = !r.cfg->sql_text || strcmp(r.cfg->sql_text, "redacted") == 0 ? SQL_TEXT_REDACTED
			    : strcmp(r.cfg->sql_text, "none") == 0			 ? SQL_TEXT_NONE
											 : SQL_TEXT_FULL,
		.scratch = &r.scratch,
		.host = r.host,
		.boot_to_wall_ns = runinfo__boot_to_wall_ns(),
	};
	if (setup_sql(&r, &lo))
		goto cleanup;
	if (reopen_files(&r, r.cfg)) {
		rc = 2;
		goto cleanup;
	}
	if (r.cfg->sink_stdout) {
		r.out = sink_file__open(NULL, err, sizeof(err));
		if (!r.out) {
			log_err("%s", err);
			goto cleanup;
		}
	}
	lo.ringbuf_bytes = r.cfg->ringbuf_bytes;
	lo.payload_bytes = r.cfg->payload_bytes;
	r.ld = loader__open(&lo, on_record, &r, err, sizeof(err));
	if (!r.ld) {
		log_err("%s", err);
		goto cleanup;
	}
	/* Loaded and attached: from here on the agent needs only what
	 * privs.h lists; threads (HTTP, Kafka, kubelet) start after the drop
	 * so none of them keeps more. */
	if (drop_caps(&r))
		goto cleanup;
	r.m = metrics__start(r.cfg->metrics_listen ? r.cfg->metrics_listen : "127.0.0.1:9464", err, sizeof(err));
	if (!r.m) {
		log_err("%s: metrics.listen: %s", r.cfg->file, err);
		rc = 2;
		goto cleanup;
	}
	metrics_register(&r);
	metrics__set(r.m, r.mid.up, "version=\"" AISEC_VERSION "\"", 1);
	{
		struct privs_caps pc;

		if (privs__read("/proc", 0, &pc) == 0)
			metrics__set(r.m, r.mid.caps, "", (double)pc.eff);
	}
	if (setup_kafka(&r)) {
		rc = 2;
		goto cleanup;
	}
	{
		struct podmeta_opts po = {
			.kubelet_url = r.cfg->kubelet_url,
			.token_file = r.cfg->kubelet_token_file,
			.ca_file = r.cfg->kubelet_ca_file,
			.insecure_tls = r.cfg->kubelet_insecure_tls,
			.refresh_seconds = r.cfg->kubelet_refresh_seconds,
			.containerd_root = r.cfg->runtime_containerd_root,
			.crio_root = r.cfg->runtime_crio_root,
			.docker_root = r.cfg->runtime_docker_root,
		};

		r.pm = podmeta__new(&po, err, sizeof(err));
		if (!r.pm)
			log_warn("pod metadata: %s; events will carry container ids only", err);
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sh, NULL);
	signal(SIGPIPE, SIG_IGN);
	n = select_running(&r, false);
	metrics__set_ready(r.m, true);
	log_info("running: %zu services, %d processes selected; metrics on http://%s/metrics (port %d)", r.svcs->n, n,
		 r.cfg->metrics_listen ? r.cfg->metrics_listen : "127.0.0.1:9464", metrics__port(r.m));
	if (o->duration_s > 0)
		deadline = runinfo__now_s() + o->duration_s;
	for (;;) {
		double now;

		n = loader__poll(r.ld, poll_ms);
		if (n < 0 && n != -EINTR) {
			log_err("reading the ring buffer failed: %s", strerror(-n));
			goto cleanup;
		}
		if (r.kafka)
			sink_kafka__poll(r.kafka, 0);
		if (r.kevents)
			sink_kafka__poll(r.kevents, 0);
		if (r.out)
			sink_file__flush(r.out);
		now = runinfo__now_s();
		if (reload_signal) {
			reload_signal = 0;
			reload(&r);
			metrics_update(&r);
		}
		if (r.last_undecided && now - r.last_undecided >= UNDECIDED_RETRY_S) {
			/* Metadata may have arrived for cgroups left undecided. */
			r.last_undecided = 0;
			for (size_t b = 0; b < CG_BUCKETS; b++)
				for (struct run_cg *c = r.cg[b]; c; c = c->next)
					if (c->verdict == SELECTOR_UNDECIDED)
						c->decided = false;
			select_running(&r, true);
		}
		if (now - last_metrics >= 1.0) {
			metrics_update(&r);
			last_metrics = now;
		}
		if (stop_signal) {
			log_info("stopping on %s; draining", strsignal(stop_signal));
			break;
		}
		if (deadline && now >= deadline) {
			log_info("duration of %.1f s reached; draining", o->duration_s);
			break;
		}
	}
	metrics__set_ready(r.m, false);
	loader__poll(r.ld, 0);
	if (r.sql) {
		struct sqlcap_stats ss;

		r.have_ev = false;
		sqlcap__free_report(r.sql, &ss);
		r.sql = NULL;
	}
	metrics_update(&r);
	final_summary(&r);
	rc = 0;

cleanup:
	sqlcap__free(r.sql);
	sink_kafka__close(r.kafka);
	sink_kafka__close(r.kevents);
	if (r.out) {
		if (sink_file__commit(r.out, err, sizeof(err)))
			log_err("%s", err);
	}
	if (r.evfd >= 0)
		close(r.evfd);
	if (r.evidence_fd >= 0)
		close(r.evidence_fd);
	if (r.write_errors && rc == 0)
		rc = 1;
	metrics__stop(r.m);
	podmeta__free(r.pm);
	loader__free(r.ld);
	services_free(r.svcs);
	cg_clear(&r);
	cgpath__free(r.cgp);
	proc_cache__free(r.procs);
	format_cache__free(r.fcache);
	free(r.pidsvc);
	config__free(r.cfg);
	strbuf__free(&r.line);
	strbuf__free(&r.evline);
	strbuf__free(&r.cause);
	strbuf__free(&r.scratch);
	return rc;
}

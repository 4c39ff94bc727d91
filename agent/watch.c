/*
 * watch: the `watch` command: load, seed the watched set with a process tree,
 * drain the ring buffer into enriched text/JSON lines, report a summary.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze.h"
#include "enrich.h"
#include "events.h"
#include "format.h"
#include "loader.h"
#include "log.h"
#include "proc.h"
#include "runinfo.h"
#include "sink_file.h"
#include "sqlcap.h"
#include "strbuf.h"
#include "watch.h"

/* Set by the SIGINT/SIGTERM handler; read by the poll loop only. */
static volatile sig_atomic_t stop_signal;

struct watch {
	const struct watch_opts *opts;
	const char *procfs;
	struct loader *ld;
	struct proc_cache *procs;
	struct sqlcap *sql;       /* NULL with --no-sql */
	struct analyze *an;       /* NULL when no rules were found and none were asked for */
	struct sink_file *out;
	struct sink_file *evidence; /* --evidence, or NULL */
	struct sink_kafka *kafka;   /* --kafka, or NULL */
	struct sink_kafka_stats kafka_stats; /* taken when the producer is closed */
	bool kafka_was_on;
	struct sink_kafka *kevents; /* --kafka-events-topic, or NULL */
	struct sink_kafka_stats kevents_stats;
	bool kevents_was_on;
	struct runinfo_bucket bucket; /* rate limit of raw events */
	__u64 events_limited;      /* raw events not sent to Kafka because of the rate limit */
	struct strbuf evjson;      /* raw event as JSON for Kafka when the output is text */
	struct strbuf evline;     /* evidence being written */
	struct strbuf cause;      /* JSON of the event behind an evidence */
	double start;             /* runinfo__now_s() when watching began */
	char agent_id[40];        /* random id of this run, in every evidence record */
	__u64 evidence_seq;       /* sequence number of the last evidence record */
	struct format_ctx fc;
	struct format_cache *fcache; /* fc's rendered process members */
	struct strbuf line;
	struct event ev;          /* decoded record; large, so kept here */
	bool have_ev;             /* ev is the record being handled (for sql events it completes) */
	struct strbuf scratch;    /* redaction */
	__u64 counts[AISEC_EV_KIND_MAX];
	__u64 bad_records;
	int write_error;          /* first output error (negative errno) */
	struct sqlcap_stats sql_stats; /* taken when SQL capture is shut down */
	bool sql_was_on;
	char host[256];
};

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Raw events to their Kafka topic, at most kafka_events_rate a second (a
 * token bucket allowing a one-second burst); the rest are counted. */
static void send_raw_event(struct watch *w, const struct enriched *e)
{
	const struct strbuf *json = &w->line;
	char key[16];

	if (!runinfo__bucket_take(&w->bucket)) {
		w->events_limited++;
		return;
	}
	if (w->opts->format != WATCH_FORMAT_JSON) {
		strbuf__reset(&w->evjson);
		format__json(&w->evjson, &w->fc, e);
		json = &w->evjson;
	}
	if (json->oom || json->len < 2)
		return;
	snprintf(key, sizeof(key), "%u", e->ev->hdr->pid);
	sink_kafka__send(w->kevents, key, strlen(key), json->data, json->len - 1, FORMAT_EVENT_SCHEMA);
}

/* Format one enriched event and write it. */
static int emit_line(struct watch *w, const struct enriched *e)
{
	int rc;

	if (!w->out)
		return -EBADF;
	strbuf__reset(&w->line);
	if (w->opts->format == WATCH_FORMAT_JSON)
		format__json(&w->line, &w->fc, e);
	else
		format__text(&w->line, &w->fc, e);
	if (w->line.oom) {
		w->write_error = -ENOMEM;
		return -ENOMEM;
	}
	rc = sink_file__write(w->out, w->line.data, w->line.len);
	if (rc)
		w->write_error = rc;
	if (w->kevents)
		send_raw_event(w, e);
	return rc;
}

/* Wall-clock ns of an event. */
static __u64 wall_of(const struct watch *w, const struct enriched *e)
{
	return e->ev->hdr->ts_ns + (__u64)w->fc.boot_to_wall_ns;
}

/* One evidence record: to the main output (JSON or a highlighted line) and,
 * as JSON, to --evidence. */
static void on_evidence(void *ctx, const struct correlate_evidence *ev, const struct enriched *cause, __u64 wall_ns)
{
	struct watch *w = ctx;
	const struct proc_info *svc = proc_cache__peek(w->procs, w->opts->pid);
	struct format_service s = {
		.pid = w->opts->pid,
		.comm = svc ? svc->comm : "",
		.exe = svc ? svc->exe : "",
		.agent_id = w->agent_id,
		.seq = ++w->evidence_seq,
	};
	int rc;

	strbuf__reset(&w->cause);
	format__json(&w->cause, &w->fc, cause);
	if (w->cause.len && w->cause.data[w->cause.len - 1] == '\n')
		w->cause.len--;
	strbuf__reset(&w->evline);
	format__evidence_json(&w->evline, &w->fc, &s, ev, wall_ns, w->cause.data, w->cause.len);
	if (w->evidence) {
		rc = sink_file__write(w->evidence, w->evline.data, w->evline.len);
		if (rc && !w->write_error)
			w->write_error = rc;
	}
	if (w->kafka) {
		char key[FINDING_FP_LEN + 16];

		enrich__evidence_key(key, sizeof(key), ev, s.exe);
		/* The JSON line without its newline is the message value. */
		sink_kafka__send(w->kafka, key, strlen(key), w->evline.data, w->evline.len - 1, FORMAT_EVIDENCE_SCHEMA);
	}
	if (w->opts->format != WATCH_FORMAT_JSON) {
		strbuf__reset(&w->evline);
		format__evidence_text(&w->evline, &w->fc, ev, wall_ns);
	}
	if (w->evline.oom) {
		w->write_error = -ENOMEM;
		return;
	}
	rc = sink_file__write(w->out, w->evline.data, w->evline.len);
	if (rc && !w->write_error)
		w->write_error = rc;
}

/* A completed query (or an encryption notice) from sqlcap. It belongs to the
 * record being handled; at shutdown there is none, and a header is made up
 * for the connection's process. */
static void on_sql(void *ctx, const struct sql_event *se)
{
	struct watch *w = ctx;
	struct enriched e = { 0 };
	struct aisec_hdr h;
	struct event ev;

	enrich__sql(w->procs, &e, se, w->have_ev ? &w->ev : NULL, &h, &ev);
	w->counts[0]++; /* slot 0 counts sql events */
	emit_line(w, &e);
	if (w->an)
		analyze__on_sql(w->an, &e, wall_of(w, &e));
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct watch *w = ctx;
	struct enriched e = { .ev = &w->ev };
	int rc;

	rc = events__decode(data, size, &w->ev);
	if (rc) {
		if (w->bad_records++ == 0)
			log_warn("malformed record from the kernel (%zu bytes): %s; counting and skipping such records",
				 size, strerror(-rc));
		return 0;
	}
	w->counts[w->ev.kind]++;
	if (w->ev.kind == AISEC_EV_PAYLOAD) {
		__u8 verdict;

		/* Payloads are not printed: their decoded queries are. */
		if (!w->sql)
			return 0;
		w->have_ev = true;
		if (sqlcap__on_payload(w->sql, w->ev.raw.payload, &verdict) == 1)
			loader__set_unix_verdict(w->ld, w->ev.raw.payload->unix_path, w->ev.raw.payload->unix_len,
						 verdict);
		w->have_ev = false;
		return w->write_error;
	}
	enrich__event(w->procs, &e);
	if (w->ev.kind == AISEC_EV_EXIT && w->sql) {
		/* Queries left pending on its connections come before its exit. */
		w->have_ev = true;
		sqlcap__on_exit(w->sql, w->ev.hdr->pid);
		w->have_ev = false;
	}
	rc = emit_line(w, &e);
	if (w->an && !rc)
		analyze__on_event(w->an, &e, wall_of(w, &e), runinfo__now_s() - w->start);
	if (w->ev.kind == AISEC_EV_EXIT)
		proc_cache__on_exit(w->procs, w->ev.hdr->pid);
	return rc ? rc : w->write_error;
}

/* Put root and its live descendants in the kernel's watched set. Two passes:
 * children forked between the scan and the map update are caught by the
 * second, later ones by the fork hook. Returns how many are watched. */
static int seed_watched(struct watch *w, __u32 root)
{
	int watched = 0;

	for (int pass = 0; pass < 2; pass++) {
		__u32 *pids = NULL;
		size_t n = 0;
		int rc;

		if (pass == 0) {
			rc = loader__watch(w->ld, root);
			if (rc)
				return rc;
		}
		rc = proc__descendants(w->procfs, root, &pids, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			rc = loader__watch(w->ld, pids[i]);
			if (rc) {
				free(pids);
				return rc;
			}
		}
		free(pids);
	}
	/* Drop what died before the hooks were attached: its exit is not coming. */
	{
		__u32 pids[4096];
		size_t n = loader__watched(w->ld, pids, sizeof(pids) / sizeof(pids[0]));

		for (size_t i = 0; i < n; i++) {
			if (!proc__exists(w->procfs, pids[i]) || runinfo__is_zombie(w->procfs, pids[i])) {
				loader__unwatch(w->ld, pids[i]);
				continue;
			}
			proc_cache__get(w->procs, pids[i]);
			watched++;
		}
	}
	return watched;
}

static void print_summary(struct watch *w, double secs)
{
	__u64 st[AISEC_STAT_MAX] = { 0 }, total = 0;
	struct strbuf sb = STRBUF_INIT;

	for (int k = 1; k < AISEC_EV_KIND_MAX; k++) {
		if (k == AISEC_EV_PAYLOAD || k == AISEC_EV_CGROUP_GONE)
			continue;
		total += w->counts[k];
		strbuf__printf(&sb, "%s%s %llu", k > 1 ? ", " : "", events__kind_name(k),
			       (unsigned long long)w->counts[k]);
	}
	total += w->counts[0];
	strbuf__printf(&sb, ", sql %llu", (unsigned long long)w->counts[0]);
	log_info("summary: %llu events in %.1f s (%s)", (unsigned long long)total, secs, sb.data ? sb.data : "");
	if (w->ld && loader__stats(w->ld, st) == 0)
		log_info("records dropped: %llu (ring buffer full %llu, watch table full %llu); "
			 "fields unreadable: %llu; malformed records: %llu; wakeups: %llu",
			 (unsigned long long)(st[AISEC_STAT_RB_DROP] + st[AISEC_STAT_WATCH_FULL]),
			 (unsigned long long)st[AISEC_STAT_RB_DROP], (unsigned long long)st[AISEC_STAT_WATCH_FULL],
			 (unsigned long long)st[AISEC_STAT_READ_FAIL],
			 (unsigned long long)w->bad_records, (unsigned long long)st[AISEC_STAT_WAKEUPS]);
	log_info("process cache: %zu entries, %llu evicted for space", proc_cache__size(w->procs),
		 (unsigned long long)proc_cache__evictions(w->procs));
	if (w->kafka_was_on) {
		const struct sink_kafka_stats *k = &w->kafka_stats;

		log_info("kafka: %llu evidence records delivered, %llu spooled, %llu replayed from the spool, %llu failed "
			 "deliveries, %llu dropped from a full spool, %llu corrupt spool frames",
			 (unsigned long long)k->delivered, (unsigned long long)k->spooled, (unsigned long long)k->replayed,
			 (unsigned long long)k->failed, (unsigned long long)k->dropped, (unsigned long long)k->corrupt);
	}
	if (w->kevents_was_on) {
		const struct sink_kafka_stats *k = &w->kevents_stats;

		log_info("kafka events: %llu delivered, %llu spooled, %llu not sent (rate limit %.0f/s), %llu failed "
			 "deliveries, %llu dropped from a full spool",
			 (unsigned long long)k->delivered, (unsigned long long)k->spooled,
			 (unsigned long long)w->events_limited,
			 w->opts->kafka_events_rate > 0 ? w->opts->kafka_events_rate : 1000, (unsigned long long)k->failed,
			 (unsigned long long)k->dropped);
	}
	if (w->sql_was_on) {
		const struct sqlcap_stats ss = w->sql_stats;

		log_info("sql: %llu queries on %llu connections from %llu payload records (%llu captured partially); "
			 "parse errors: %llu; connections closed for space: %llu",
			 (unsigned long long)ss.queries, (unsigned long long)ss.conns_opened,
			 (unsigned long long)w->counts[AISEC_EV_PAYLOAD], (unsigned long long)ss.gaps,
			 (unsigned long long)ss.parse_errors, (unsigned long long)ss.conns_evicted);
	}
	strbuf__free(&sb);
}

int watch__run(const struct watch_opts *opts)
{
	struct loader_opts lo = {
		.ringbuf_bytes = opts->ringbuf_bytes,
		.sql = !opts->no_sql,
		.payload_bytes = opts->payload_bytes,
		.n_db_ports = opts->n_db_ports,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct watch w = {
		.opts = opts,
		.line = STRBUF_INIT,
		.scratch = STRBUF_INIT,
		.evline = STRBUF_INIT,
		.cause = STRBUF_INIT,
		.evjson = STRBUF_INIT,
	};
	unsigned poll_ms = opts->poll_ms ? opts->poll_ms : 100;
	double start, deadline;
	char err[512] = "", events_spool[4096];
	int rc = 1, n, ntree;
	__u32 any;

	w.procfs = opts->procfs ? opts->procfs : "/proc";
	if (opts->pid == 0 || !proc__exists(w.procfs, opts->pid)) {
		log_err("no process with pid %u", opts->pid);
		return 2;
	}
	if (runinfo__is_zombie(w.procfs, opts->pid)) {
		log_err("process %u has already exited (zombie)", opts->pid);
		return 2;
	}
	w.procs = proc_cache__new(w.procfs, opts->proc_cache_max ? opts->proc_cache_max : 8192);
	if (!w.procs) {
		log_err("cannot create the process cache: %s", strerror(errno));
		return 1;
	}
	if (gethostname(w.host, sizeof(w.host) - 1))
		strcpy(w.host, "unknown");
	runinfo__agent_id(w.agent_id, sizeof(w.agent_id));
	if (!opts->no_sql) {
		struct sqlcap_opts so = { .n_patterns = opts->n_db_sockets };

		memcpy(so.patterns, opts->db_sockets, sizeof(so.patterns));
		so.limits.keep_param_values = opts->sql_param_values;
		w.sql = sqlcap__new(&so, on_sql, &w);
		if (!w.sql) {
			log_err("cannot set up SQL capture: %s", strerror(errno));
			goto cleanup;
		}
	}
	{
		struct analyze_opts ao = {
			.rules_dir = opts->rules_dir,
			.n_findings = opts->n_findings,
			.source_root = opts->source_root,
			.service_pid = opts->pid,
			.procs = w.procs,
		};
		int code;

		memcpy(ao.findings, opts->findings, sizeof(ao.findings));
		/* Without findings or rules asked for, a missing rules directory
		 * only means no detection. */
		if (!opts->n_findings && !opts->rules_dir && access(analyze__rules_dir(NULL), R_OK | X_OK)) {
			log_info("no rules directory at %s: events only, no detection", analyze__rules_dir(NULL));
		} else {
			w.an = analyze__new(&ao, on_evidence, &w, &code, err, sizeof(err));
			if (!w.an) {
				log_err("%s", err);
				rc = code;
				goto cleanup;
			}
		}
	}
	if (opts->kafka_brokers) {
		struct sink_kafka_opts ko = {
			.brokers = opts->kafka_brokers,
			.topic = opts->kafka_topic,
			.nconf = opts->n_kafka_conf,
			.spool_dir = opts->spool_dir,
			.host = w.host,
			.agent_version = AISEC_VERSION,
		};

		memcpy(ko.conf, opts->kafka_conf, sizeof(ko.conf));
		w.kafka = sink_kafka__open(&ko, err, sizeof(err));
		if (!w.kafka) {
			log_err("kafka: %s", err);
			rc = 2;
			goto cleanup;
		}
		if (opts->kafka_events_topic) {
			/* Raw events: their own topic and spool, so they never
			 * delay or reorder evidence. */
			snprintf(events_spool, sizeof(events_spool), "%s/events",
				 opts->spool_dir ? opts->spool_dir : "/var/lib/aisec-rt/spool");
			ko.topic = opts->kafka_events_topic;
			ko.spool_dir = events_spool;
			w.kevents = sink_kafka__open(&ko, err, sizeof(err));
			if (!w.kevents) {
				log_err("kafka (events): %s", err);
				rc = 2;
				goto cleanup;
			}
			runinfo__bucket_init(&w.bucket, opts->kafka_events_rate);
		}
	}
	if (opts->evidence_path) {
		w.evidence = sink_file__open(opts->evidence_path, err, sizeof(err));
		if (!w.evidence) {
			log_err("%s", err);
			rc = 2;
			goto cleanup;
		}
	}
	w.out = sink_file__open(opts->output, err, sizeof(err));
	if (!w.out) {
		log_err("%s", err);
		rc = 2;
		goto cleanup;
	}
	memcpy(lo.db_ports, opts->db_ports, sizeof(lo.db_ports));
	w.fcache = format_cache__new();
	if (!w.fcache) {
		log_err("out of memory");
		goto cleanup;
	}
	w.fc = (struct format_ctx){
		.procs = w.procs,
		.cache = w.fcache,
		.sql_text = opts->sql_text,
		.scratch = &w.scratch,
		.host = w.host,
		.boot_to_wall_ns = runinfo__boot_to_wall_ns(),
		.color = (!opts->output || strcmp(opts->output, "-") == 0) && isatty(STDOUT_FILENO) &&
			 !getenv("NO_COLOR"),
	};

	w.ld = loader__open(&lo, on_record, &w, err, sizeof(err));
	if (!w.ld) {
		log_err("%s", err);
		goto cleanup;
	}
	ntree = seed_watched(&w, opts->pid);
	if (ntree < 0) {
		log_err("cannot add pid %u to the watched set: %s", opts->pid, strerror(-ntree));
		goto cleanup;
	}
	if (ntree == 0) {
		log_err("process %u exited before it could be watched", opts->pid);
		rc = 2;
		goto cleanup;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("watching pid %u and %d descendant(s); Ctrl-C to stop", opts->pid, ntree - 1);

	start = runinfo__now_s();
	w.start = start;
	deadline = opts->duration_s > 0 ? start + opts->duration_s : 0;
	for (;;) {
		n = loader__poll(w.ld, poll_ms);
		if (w.write_error) {
			log_err("cannot write output: %s", strerror(-w.write_error));
			goto cleanup;
		}
		if (n < 0 && n != -EINTR) {
			log_err("reading the ring buffer failed: %s", strerror(-n));
			goto cleanup;
		}
		if (w.kafka)
			sink_kafka__poll(w.kafka, 0);
		if (w.kevents)
			sink_kafka__poll(w.kevents, 0);
		if (sink_file__flush(w.out)) {
			log_err("cannot write output: %s", strerror(errno));
			goto cleanup;
		}
		if (stop_signal) {
			log_info("stopping on %s", strsignal(stop_signal));
			break;
		}
		if (deadline && runinfo__now_s() >= deadline) {
			log_info("duration of %.1f s reached", opts->duration_s);
			break;
		}
		/* The exit hook leaves the set after its record is in the ring,
		 * so one more drain below reads everything. */
		if (loader__watched(w.ld, &any, 1) == 0) {
			log_info("watched process tree has exited");
			break;
		}
	}
	/* Final drain. */
	loader__poll(w.ld, 0);
	if (w.write_error) {
		log_err("cannot write output: %s", strerror(-w.write_error));
		goto cleanup;
	}
	/* Connections still open: their pending queries are reported now. */
	if (w.sql) {
		sqlcap__free_report(w.sql, &w.sql_stats);
		w.sql_was_on = true;
		w.sql = NULL;
	}
	if (w.write_error) {
		log_err("cannot write output: %s", strerror(-w.write_error));
		goto cleanup;
	}
	if (w.an)
		analyze__print_table(w.an, stderr);
	if (w.kafka) {
		/* Flush within the timeout; what is left goes to the spool. */
		sink_kafka__stats(w.kafka, &w.kafka_stats);
		sink_kafka__close(w.kafka);
		w.kafka = NULL;
		w.kafka_was_on = true;
	}
	if (w.kevents) {
		sink_kafka__stats(w.kevents, &w.kevents_stats);
		sink_kafka__close(w.kevents);
		w.kevents = NULL;
		w.kevents_was_on = true;
	}
	print_summary(&w, runinfo__now_s() - start);
	if (w.evidence) {
		rc = sink_file__commit(w.evidence, err, sizeof(err));
		w.evidence = NULL;
		if (rc) {
			log_err("%s", err);
			rc = 1;
			goto cleanup;
		}
	}
	rc = sink_file__commit(w.out, err, sizeof(err));
	w.out = NULL;
	if (rc) {
		log_err("%s", err);
		rc = 1;
		goto cleanup;
	}
	rc = 0;

cleanup:
	sqlcap__free(w.sql);
	analyze__free(w.an);
	sink_kafka__close(w.kafka);
	sink_kafka__close(w.kevents);
	sink_file__abort(w.evidence);
	sink_file__abort(w.out);
	loader__free(w.ld);
	proc_cache__free(w.procs);
	format_cache__free(w.fcache);
	strbuf__free(&w.line);
	strbuf__free(&w.scratch);
	strbuf__free(&w.evline);
	strbuf__free(&w.cause);
	strbuf__free(&w.evjson);
	return rc;
}

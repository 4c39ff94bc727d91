/*
 * analyze: rules + findings + detectors + correlation for one watched service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "cmdi.h"
#include "log.h"
#include "pathtrav.h"
#include "rules.h"
#include "sarif.h"
#include "sqli.h"
#include "ssrf.h"

#ifndef AISEC_RULES_DIR
#define AISEC_RULES_DIR "/usr/local/share/aisec-rt/rules"
#endif

struct analyze {
	struct analyze_opts o;
	struct ruleset *rules;
	struct findings fs;
	struct correlate *corr;
	struct sqli *sqli;
	struct cmdi *cmdi;
	struct pathtrav *pathtrav;
	struct ssrf *ssrf;
	analyze_evidence_fn fn;
	void *ctx;
	const struct enriched *cause; /* the event being analysed, for the evidence callback */
	__u64 cause_wall;
};

static void on_evidence(void *ctx, const struct correlate_evidence *ev)
{
	struct analyze *an = ctx;

	an->fn(an->ctx, ev, an->cause, an->cause_wall);
}

static void on_sarif_warning(void *ctx, const char *file, const char *json_path, const char *why)
{
	(void)ctx;
	log_warn("%s: %s: %s; this result is skipped", file, json_path, why);
}

/* The rules directory: given, or the first that exists of $AISEC_RULES_DIR,
 * ./rules and the installed one. */
const char *analyze__rules_dir(const char *given)
{
	const char *env = getenv("AISEC_RULES_DIR");
	struct stat st;

	if (given)
		return given;
	if (env && *env)
		return env;
	if (stat("rules", &st) == 0 && S_ISDIR(st.st_mode))
		return "rules";
	return AISEC_RULES_DIR;
}

struct analyze *analyze__new(const struct analyze_opts *o, analyze_evidence_fn fn, void *ctx, int *exit_code,
			     char *err, size_t errlen)
{
	struct analyze *an = calloc(1, sizeof(*an));
	const char *dir = analyze__rules_dir(o->rules_dir);
	const struct rule_family *fam;
	char derr[512];
	int rc;

	*exit_code = 1;
	if (!an) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	an->o = *o;
	an->fn = fn;
	an->ctx = ctx;
	an->rules = ruleset__load(dir, derr, sizeof(derr));
	if (!an->rules) {
		snprintf(err, errlen, "rules: %s (check them with: aisec-rt rules check %s)", derr, dir);
		*exit_code = 2;
		goto fail;
	}
	for (size_t i = 0; i < o->n_findings; i++) {
		rc = sarif__load(o->findings[i], ruleset__cwe_map(an->rules), &an->fs, on_sarif_warning, NULL, err,
				 errlen);
		if (rc) {
			*exit_code = rc == -ENOMEM ? 1 : 2; /* unreadable or malformed input */
			goto fail;
		}
	}
	an->corr = correlate__new(&an->fs, o->source_root, on_evidence, an);
	if (!an->corr) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* One detector per enabled family; a family missing from the rules is
	 * simply not run (and said so). */
	if ((fam = ruleset__by_detector(an->rules, "sqli")) && !(an->sqli = sqli__new(fam, derr, sizeof(derr))))
		goto bad_family;
	if ((fam = ruleset__by_detector(an->rules, "cmdi")) && !(an->cmdi = cmdi__new(fam, derr, sizeof(derr))))
		goto bad_family;
	if ((fam = ruleset__by_detector(an->rules, "path-traversal")) &&
	    !(an->pathtrav = pathtrav__new(fam, derr, sizeof(derr))))
		goto bad_family;
	if ((fam = ruleset__by_detector(an->rules, "ssrf")) && !(an->ssrf = ssrf__new(fam, derr, sizeof(derr))))
		goto bad_family;
	log_info("analysis: %zu finding(s) from %zu SARIF file(s); rules from %s: sqli %s, cmdi %s, path-traversal %s, "
		 "ssrf %s",
		 an->fs.n, o->n_findings, dir, an->sqli ? "on" : "off", an->cmdi ? "on" : "off",
		 an->pathtrav ? "on" : "off", an->ssrf ? "on" : "off");
	return an;

bad_family:
	snprintf(err, errlen, "%s: %s", fam->file, derr);
	*exit_code = 2;
fail:
	analyze__free(an);
	return NULL;
}

void analyze__free(struct analyze *an)
{
	if (!an)
		return;
	sqli__free(an->sqli);
	cmdi__free(an->cmdi);
	pathtrav__free(an->pathtrav);
	ssrf__free(an->ssrf);
	correlate__free(an->corr);
	findings__free(&an->fs);
	ruleset__free(an->rules);
	free(an);
}

static void detected(struct analyze *an, const struct detection *det)
{
	correlate__on_detection(an->corr, det, an->cause_wall);
}

void analyze__on_event(struct analyze *an, const struct enriched *e, __u64 wall_ns, double secs_watched)
{
	const struct event *ev = e->ev;
	const char *cwd = e->proc ? e->proc->cwd : "";
	struct detection det;

	an->cause = e;
	an->cause_wall = wall_ns;
	switch (ev->kind) {
	case AISEC_EV_OPEN: {
		const struct aisec_open *o = ev->raw.open;

		if (o->ret >= 0 && correlate__wants_opens(an->corr) &&
		    (ev->path[0] == '/' || (o->dirfd == -100 && cwd[0] == '/'))) {
			char full[4096];

			if (pathtrav__normalize(cwd, ev->path, full, sizeof(full)) > 0)
				correlate__on_open(an->corr, full, wall_ns);
		}
		if (an->pathtrav) {
			struct pathtrav_input in = {
				.path = ev->path,
				.cwd = o->dirfd == -100 ? cwd : "",
				.service_root = an->o.source_root,
				.ret = o->ret,
			};

			if (pathtrav__observe(an->pathtrav, &in, &det) == 1)
				detected(an, &det);
		}
		break;
	}
	case AISEC_EV_EXEC:
		if (an->cmdi) {
			const struct proc_info *parent =
				an->o.procs && e->nancestry ? proc_cache__peek(an->o.procs, e->ancestry[0]) : NULL;
			struct cmdi_input in = {
				.filename = ev->filename,
				.argv = ev->argv,
				.argc = ev->argc,
				.parent_comm = parent ? parent->comm : "",
				/* Not the service nor a process it started itself: deeper. */
				.by_service_descendant = ev->hdr->pid != an->o.service_pid &&
							 ev->hdr->ppid != an->o.service_pid,
			};

			if (cmdi__observe(an->cmdi, &in, &det) == 1)
				detected(an, &det);
		}
		break;
	case AISEC_EV_CONNECT:
		if (an->ssrf) {
			const struct aisec_net *n = ev->raw.net;
			struct ssrf_input in = {
				.family = n->family,
				.port = n->port,
				.ret = n->ret,
				.secs_watched = secs_watched,
			};

			memcpy(in.addr, n->addr, sizeof(in.addr));
			if (ssrf__observe(an->ssrf, &in, &det) == 1)
				detected(an, &det);
		}
		break;
	default:
		break;
	}
	an->cause = NULL;
}

void analyze__on_sql(struct analyze *an, const struct enriched *e, __u64 wall_ns)
{
	const struct sql_event *se = e->sql;
	struct detection det;
	struct sqli_input in;

	if (!an->sqli || !se || !se->q)
		return;
	in = (struct sqli_input){
		.dialect = se->dialect,
		.kind = se->q->kind,
		.text = se->q->text,
		.len = se->q->text_len,
		.truncated = se->q->truncated,
		.outcome = se->q->outcome,
		.sqlstate = se->q->sqlstate,
		.error_code = se->q->error_code,
	};
	an->cause = e;
	an->cause_wall = wall_ns;
	if (sqli__observe(an->sqli, &in, &det) == 1)
		detected(an, &det);
	an->cause = NULL;
}

void analyze__print_table(const struct analyze *an, FILE *out)
{
	if (an->fs.n == 0 && correlate__unmatched(an->corr) == 0)
		return;
	fprintf(out, "\n%-40s %-9s %-28s %-11s %8s  %s\n", "finding", "CWE", "location", "status", "evidence",
		"last reason");
	for (size_t i = 0; i < an->fs.n; i++) {
		const struct finding *f = &an->fs.v[i];
		char name[96], cwe[32] = "", loc[64];
		size_t n = 0;

		snprintf(name, sizeof(name), "%.28s (%.10s)", f->rule_id, f->tool);
		for (size_t k = 0; k < f->ncwes && n < sizeof(cwe); k++)
			n += (size_t)snprintf(cwe + n, sizeof(cwe) - n, "%s%d", k ? "," : "", f->cwes[k]);
		snprintf(loc, sizeof(loc), "%.22s:%d", f->uri, f->start_line);
		fprintf(out, "%-40s %-9s %-28s %-11s %8u  %.70s\n", name, cwe[0] ? cwe : "-", loc,
			finding__status_name(f->status), f->evidence_count, f->last_reason);
	}
	if (correlate__unmatched(an->corr))
		fprintf(out, "%llu detection(s) matched no static finding: see the evidence records with \"finding\": null\n",
			(unsigned long long)correlate__unmatched(an->corr));
}

size_t analyze__findings(const struct analyze *an)
{
	return an->fs.n;
}

void analyze__status_counts(const struct analyze *an, size_t out[4])
{
	for (int i = 0; i < 4; i++)
		out[i] = 0;
	for (size_t i = 0; i < an->fs.n; i++)
		if ((unsigned)an->fs.v[i].status < 4)
			out[an->fs.v[i].status]++;
}

size_t analyze__adopt(struct analyze *an, const struct analyze *old)
{
	size_t taken = 0;

	if (!old)
		return 0;
	/* Findings files are small (hundreds of results): pairs are fine. */
	for (size_t i = 0; i < an->fs.n; i++) {
		struct finding *f = &an->fs.v[i];

		for (size_t j = 0; j < old->fs.n; j++) {
			const struct finding *o = &old->fs.v[j];

			if (strcmp(f->fingerprint, o->fingerprint))
				continue;
			f->status = o->status;
			f->evidence_count = o->evidence_count;
			memcpy(f->last_reason, o->last_reason, sizeof(f->last_reason));
			f->first_seen_ns = o->first_seen_ns;
			f->last_seen_ns = o->last_seen_ns;
			taken++;
			break;
		}
	}
	correlate__recount(an->corr);
	return taken;
}

void analyze__set_service_pid(struct analyze *an, __u32 pid)
{
	an->o.service_pid = pid;
}

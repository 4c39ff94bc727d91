/*
 * enrich: events joined with the process cache (see enrich.h).
 */
#include <stdio.h>
#include <string.h>

#include "enrich.h"
#include "runinfo.h"

void enrich__event(struct proc_cache *procs, struct enriched *e)
{
	const struct event *ev = e->ev;
	const struct aisec_hdr *h = ev->hdr;

	if (ev->kind == AISEC_EV_FORK)
		proc_cache__on_fork(procs, h->pid, h->ppid, h->uid, ev->comm);
	else if (ev->kind == AISEC_EV_EXEC)
		proc_cache__on_exec(procs, h->pid, h->ppid, h->uid, ev->comm, ev->filename, ev->argv, ev->argc);
	/* get first: later ancestry loads evict the least recent, not this one. */
	e->proc = proc_cache__get(procs, h->pid);
	e->nancestry = proc_cache__ancestry(procs, h->pid, e->ancestry, PROC_ANCESTRY_MAX);
	e->proc = proc_cache__peek(procs, h->pid);
}

void enrich__sql(struct proc_cache *procs, struct enriched *e, const struct sql_event *se, const struct event *cur,
		 struct aisec_hdr *h, struct event *ev)
{
	const struct proc_info *p;

	e->sql = se;
	if (cur && cur->hdr && cur->hdr->pid == se->pid) {
		e->ev = cur;
	} else {
		memset(h, 0, sizeof(*h));
		memset(ev, 0, sizeof(*ev));
		ev->hdr = h;
		h->ts_ns = runinfo__boot_ns();
		h->pid = se->pid;
		h->tid = se->tid;
		p = proc_cache__peek(procs, se->pid);
		if (p) {
			h->ppid = p->ppid;
			h->uid = p->uid;
			memcpy(ev->comm, p->comm, sizeof(p->comm));
		}
		e->ev = ev;
	}
	e->proc = proc_cache__peek(procs, se->pid);
	e->nancestry = proc_cache__ancestry(procs, se->pid, e->ancestry, PROC_ANCESTRY_MAX);
	e->proc = proc_cache__peek(procs, se->pid);
}

void enrich__evidence_key(char *buf, size_t len, const struct correlate_evidence *ev, const char *exe)
{
	__u64 h = 1469598103934665603ull;

	if (ev->finding) {
		snprintf(buf, len, "%s", ev->finding->fingerprint);
		return;
	}
	for (const char *p = ev->detector; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = exe; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(buf, len, "missed-%016llx", (unsigned long long)h);
}

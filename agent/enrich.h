/*
 * enrich: an event with what the process cache knows, keeping the cache in
 * step with the kernel's fork and exec records. Shared by watch and run.
 */
#ifndef AISEC_ENRICH_H
#define AISEC_ENRICH_H

#include "format.h"
#include "proc.h"
#include "sqlcap.h"

/* e->ev set: update the cache for a fork/exec, then fill e->proc and the
 * ancestry. */
void enrich__event(struct proc_cache *procs, struct enriched *e);

/* A completed query se: it belongs to cur, the record being handled, when
 * that is the same process (cur may be NULL); otherwise (at shutdown, on a
 * process exit) a header for now is made up in *h and *ev from the cache.
 * Fills e (e->sql = se) and its process and ancestry. */
void enrich__sql(struct proc_cache *procs, struct enriched *e, const struct sql_event *se, const struct event *cur,
		 struct aisec_hdr *h, struct event *ev);

/* Key for an evidence record in Kafka: the finding's fingerprint; for an
 * attack no finding names, a stable hash of detector and service exe
 * ("missed-<16 hex>"), so its records share a partition. */
void enrich__evidence_key(char *buf, size_t len, const struct correlate_evidence *ev, const char *exe);

#endif /* AISEC_ENRICH_H */

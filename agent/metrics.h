/*
 * metrics: the agent's health and Prometheus endpoint, served with
 * libmicrohttpd on a configurable address (default 127.0.0.1:9464).
 *   GET /healthz  200 "ok\n" once the agent reports ready (attached), else 503
 *   GET /metrics  Prometheus text format 0.0.4 of every registered metric
 *   anything else 404; methods other than GET/HEAD 405; bad requests 4xx;
 *   never a crash.
 * Metrics are counters and gauges with optional labels, registered once and
 * updated from the agent's single thread; the HTTP thread reads them under a
 * mutex, so a scrape always sees a consistent snapshot.
 */
#ifndef AISEC_METRICS_H
#define AISEC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum metric_type {
	METRIC_COUNTER = 1,
	METRIC_GAUGE = 2,
};

struct metrics;

/* Start serving on addr ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464";
 * port 0 picks a free one, see metrics__port). NULL with a reason in err. */
struct metrics *metrics__start(const char *addr, char *err, size_t errlen);

/* Stop serving and free. Accepts NULL. */
void metrics__stop(struct metrics *m);

/* The TCP port actually bound. */
int metrics__port(const struct metrics *m);

/* /healthz answers 200 from now on (or 503 again with false). */
void metrics__set_ready(struct metrics *m, bool ready);

/* Register a metric family: name ([a-zA-Z_:][a-zA-Z0-9_:]*), help text, type.
 * Returns an id >= 0, or -EINVAL (bad name, or same name with another type)
 * / -ENOSPC. Registering the same name and type again returns the same id. */
int metrics__register(struct metrics *m, const char *name, const char *help, enum metric_type type);

/* Set / add to the sample of family id with the given label set
 * ("kind=\"exec\",cpu=\"0\"" style, already escaped; "" for none). A new
 * label set creates a sample. 0 or -errno. */
int metrics__set(struct metrics *m, int id, const char *labels, double value);
int metrics__add(struct metrics *m, int id, const char *labels, double delta);

#endif /* AISEC_METRICS_H */

/*
 * format: one decoded, enriched event as a line of text or as one
 * aisec.event.v1 JSON object (docs/events.md). Formatting reads the process
 * cache with peek only, so it never changes it.
 */
#ifndef AISEC_FORMAT_H
#define AISEC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "correlate.h"
#include "events.h"
#include "podmeta.h"
#include "proc.h"
#include "sqlcap.h"
#include "strbuf.h"

#define FORMAT_EVENT_SCHEMA "aisec.event.v1"

enum sql_text_mode {
	SQL_TEXT_FULL = 0,     /* queries as captured */
	SQL_TEXT_REDACTED = 1, /* every string and number literal replaced by ? */
	SQL_TEXT_NONE = 2,     /* no query text at all */
};

struct format_cache;

struct format_ctx {
	const struct proc_cache *procs; /* for ancestry entries; may be NULL */
	struct format_cache *cache;     /* the process members already rendered; NULL: render every time */
	enum sql_text_mode sql_text;
	struct strbuf *scratch;         /* for redaction; required when sql_text is REDACTED */
	const char *host;               /* this node's name */
	__s64 boot_to_wall_ns;          /* add to a boot-time stamp for wall time */
	bool color;                     /* text: ANSI colours */
};

/* An event with what enrichment found: the process (NULL when unknown) and
 * its ancestors' pids, parent first. */
struct enriched {
	const struct event *ev;         /* for an sql event: the payload record that completed it */
	const struct sql_event *sql;    /* non-NULL: this is an sql event */
	const struct proc_info *proc;
	__u32 ancestry[PROC_ANCESTRY_MAX];
	size_t nancestry;
	const char *service;            /* run: the configured service it belongs to; NULL in watch */
	const struct pod_meta *pod;     /* run: its pod and container, when known; else NULL */
};

/* Append one JSON object and a newline. */
void format__json(struct strbuf *out, const struct format_ctx *fc, const struct enriched *e);

/* Append one human-readable line and a newline. */
void format__text(struct strbuf *out, const struct format_ctx *fc, const struct enriched *e);

/*
 * format_cache: the members of the "process" object that come from the
 * process cache alone (exe, cmdline, cwd; cgroup, container; ancestry),
 * rendered once per process and reused by format__json while the process
 * cache's generation (proc_cache__generation) stays the same, so events
 * between two forks or execs cost no escaping of those strings. The output
 * is byte for byte what format__json writes without one. One slot per pid
 * modulo its size; a slot is used only for the same pid, the same process
 * cache at the same generation, the same proc_info (one of the cache's
 * entries: any other is rendered every time) and, for the ancestry, the same
 * ancestor pids. Owned by one thread, like the format_ctx that points to it.
 */

/* An empty cache. NULL and errno set on failure. */
struct format_cache *format_cache__new(void);

/* Free it. Accepts NULL. */
void format_cache__free(struct format_cache *cache);

/* How many times members were rendered into the cache rather than reused:
 * exe to container count one, the ancestry one. For tests and benchmarks. */
__u64 format_cache__renders(const struct format_cache *cache);

#define FORMAT_EVIDENCE_SCHEMA "aisec.evidence.v1"

/* The watched service, as evidence records name it, and the agent writing
 * them: its id for this run and the record's sequence number (1, 2, ... per
 * agent run, no gaps), so a consumer can tell when records are missing. */
struct format_service {
	const char *name;              /* run: the configured service's name; NULL in watch */
	const struct pod_meta *pod;    /* run: the pod of the process behind the evidence; may be NULL */
	__u32 pid;
	const char *comm;
	const char *exe;
	const char *agent_id;
	__u64 seq;
};

/* Append one aisec.evidence.v1 object and a newline. event_json: the JSON
 * object of the event that proves it (n bytes, no newline), or NULL. */
void format__evidence_json(struct strbuf *out, const struct format_ctx *fc, const struct format_service *svc,
			   const struct correlate_evidence *ev, __u64 wall_ns, const char *event_json, size_t n);

/* Append one highlighted text line for an evidence record and a newline. */
void format__evidence_text(struct strbuf *out, const struct format_ctx *fc, const struct correlate_evidence *ev,
			   __u64 wall_ns);

/* "O_RDONLY|O_CREAT|O_CLOEXEC" for open(2) flags; unknown bits as 0x... */
void format__open_flags(char *buf, size_t len, __u64 flags);

/* "ENOENT" for a negative errno return, "" for values >= 0. */
const char *format__errno_name(__s64 ret);

/* argv as a shell would read it: words quoted only where needed, bytes that
 * are not printable as \xNN inside $'...'. */
void format__shell_words(struct strbuf *out, const char *const *argv, size_t argc);

/* Wall-clock RFC 3339 UTC with nanoseconds: "2026-11-25T12:00:00.123456789Z"
 * (31 bytes with the NUL; a shorter buffer gets as much as fits, as with
 * snprintf). Safe from any thread: the date and time of the last two
 * seconds formatted are cached per thread. */
void format__rfc3339(char *buf, size_t len, __u64 wall_ns);

#endif /* AISEC_FORMAT_H */

/*
 * log: the agent's one logging module. Everything a user reads on stderr goes
 * through here; libbpf's own printer is routed in by the loader.
 */
#ifndef AISEC_LOG_H
#define AISEC_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Set the most verbose level printed (default LOG_INFO). */
void log__set_level(enum log_level level);

/* Current level, for callers that want to skip work nobody will see. */
enum log_level log__level(void);

/* Print "aisec-rt: <level>: <message>\n" to stderr when level is enabled. */
void log__vprintf(enum log_level level, const char *fmt, va_list ap);
void log__printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log__printf(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log__printf(LOG_WARN, __VA_ARGS__)
#define log_info(...) log__printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log__printf(LOG_DEBUG, __VA_ARGS__)

#endif /* AISEC_LOG_H */

/*
 * log: level-filtered messages to stderr, one line each, prefixed with the
 * program name so they stand out from event output on stdout.
 */
#include <stdio.h>

#include "log.h"

static enum log_level max_level = LOG_INFO;

void log__set_level(enum log_level level)
{
	max_level = level;
}

enum log_level log__level(void)
{
	return max_level;
}

void log__vprintf(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	int n;

	if (level > max_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* Messages end with exactly one newline whether or not the caller gave one. */
	while (n > 0 && (size_t)n < sizeof(line) && line[n - 1] == '\n')
		line[--n] = '\0';
	if (level == LOG_INFO)
		fprintf(stderr, "aisec-rt: %s\n", line);
	else
		fprintf(stderr, "aisec-rt: %s: %s\n", names[level], line);
}

void log__printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log__vprintf(level, fmt, ap);
	va_end(ap);
}

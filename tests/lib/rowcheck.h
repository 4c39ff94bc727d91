/*
 * rowcheck: checks for table-driven unit tests that name the failing row:
 * "<row>": <expression> is <got>, want <want>. Include after <cmocka.h>
 * and <string.h>.
 */
#ifndef AISEC_ROWCHECK_H
#define AISEC_ROWCHECK_H

/* Fail the test unless the strings got and want are equal. */
#define CHECK_STR(row, got, want)                                                                                      \
	do {                                                                                                           \
		const char *g_ = (got), *w_ = (want);                                                                  \
		if (strcmp(g_, w_) != 0)                                                                               \
			fail_msg("\"%s\": %s is \"%s\", want \"%s\"", row, #got, g_, w_);                              \
	} while (0)
/* Fail the test unless the integers got and want are equal. */
#define CHECK_INT(row, got, want)                                                                                      \
	do {                                                                                                           \
		long long g_ = (long long)(got), w_ = (long long)(want);                                               \
		if (g_ != w_)                                                                                          \
			fail_msg("\"%s\": %s is %lld, want %lld", row, #got, g_, w_);                                  \
	} while (0)

#endif /* AISEC_ROWCHECK_H */

/*
 * sqli: SQL-injection detector (CWE-89) over the queries a service sends.
 *
 * Uses sqllex to turn each query into a template (literals replaced by ?,
 * comments and spacing normalised) and learns the service's templates.
 *   triggered: simple-protocol SQL (SQL_MSG_QUERY) with inline literals whose
 *              template has been seen with different literal values
 *              (string-built SQL).
 *   confirmed: injected structure: a tautology (OR '1'='1', OR 1=1, OR 'a'='a',
 *              OR true), UNION SELECT appended to a learned template, stacked
 *              queries (a ';' followed by another statement where the template
 *              had none), a comment that cuts the query right after a string
 *              literal (' followed by --, # or a block comment), time/boolean-blind functions
 *              (pg_sleep, SLEEP, BENCHMARK, WAITFOR DELAY), or a query with an
 *              unbalanced quote answered by a server syntax error (PostgreSQL
 *              42601 / unterminated literal, MySQL 1064).
 * Known-good shapes stay quiet: a template learned without any of the above
 * and using bind parameters never triggers.
 * Parameters (rules/sqli.json "params"): lists and thresholds documented in
 * docs/rules.md, validated by sqli__check_params.
 */
#ifndef AISEC_SQLI_H
#define AISEC_SQLI_H

#include <stdbool.h>
#include <stddef.h>

#include "detect.h"
#include "sqlwire.h"

struct cJSON;
struct rule_family;

struct sqli_input {
	enum sql_dialect dialect;
	enum sql_msg_kind kind;
	const char *text;      /* the query as captured (not redacted) */
	size_t len;
	bool truncated;
	enum sql_outcome outcome;
	const char *sqlstate;  /* "" when none */
	int error_code;        /* MySQL error number, 0 when none */
};

struct sqli;

/* A detector for one service from its rule family (params, cwes, severity).
 * NULL with err set when params are invalid. */
struct sqli *sqli__new(const struct rule_family *rule, char *err, size_t errlen);
void sqli__free(struct sqli *d);

/* Look at one query; 1 with *det filled when it shows injection (triggered or
 * confirmed), 0 otherwise. Never fails on odd input. */
int sqli__observe(struct sqli *d, const struct sqli_input *in, struct detection *det);

/* Validate params; 0 or -EINVAL with "$.params.<path>: problem" in err. */
int sqli__check_params(const struct cJSON *params, char *err, size_t errlen);

#endif /* AISEC_SQLI_H */

/*
 * libFuzzer target for agent/sqli.c: each input is a sequence of queries
 * separated by 0xff bytes, all fed to one fresh detector with a 4-template
 * table (so templates are learned, looked up as prefixes and evicted within
 * one input). The first byte of each query picks its dialect (PostgreSQL,
 * MySQL, unknown), kind (QUERY, PARSE, EXECUTE, INIT_DB), outcome (ok,
 * error, unknown), error code (42601 / 1064 or another) and whether it was
 * captured truncated; the rest is the query text, copied into an exactly
 * sized heap buffer so that ASan flags a read past len. What must hold:
 * no crash or sanitizer report; a detection has detector "sqli", status
 * triggered or confirmed, CWE 89, severity "high", confidence 0..100, and a
 * non-empty NUL-terminated reason; EXECUTE and INIT_DB never report.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_sqli.c agent/sqli.c agent/sqllex.c agent/detect.c -lcjson -o fuzz_sqli
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rules.h"
#include "sqli.h"

static const char params_json[] =
    "{\"max_templates\": 4, \"min_varying\": 2, \"tautology\": true,"
    " \"time_functions\": [\"pg_sleep\", \"sleep\", \"benchmark\", \"waitfor\", \"dbms_lock.sleep\"],"
    " \"probe_names\": [\"version()\", \"@@version\", \"information_schema\", \"mysql.user\", \"current_user\"],"
    " \"syntax_error_states\": {\"postgres\": [\"42601\"], \"mysql\": [1064]}}";

static struct rule_family rule = {
    .name = "sqli",
    .cwes = {89},
    .ncwes = 1,
    .severity = "high",
    .enabled = true,
};

static void check(const struct detection *det, const struct sqli_input *in)
{
	const char *nul = memchr(det->reason, '\0', sizeof(det->reason));

	if (!nul || nul == det->reason)
		abort();
	if (!det->detector || strcmp(det->detector, "sqli") != 0)
		abort();
	if (det->status != FINDING_TRIGGERED && det->status != FINDING_CONFIRMED)
		abort();
	if (det->status == FINDING_TRIGGERED && in->kind != SQL_MSG_QUERY)
		abort();
	if (det->ncwes != 1 || det->cwes[0] != 89 || strcmp(det->severity, "high") != 0)
		abort();
	if (det->confidence < 0 || det->confidence > 100)
		abort();
}

static void feed(struct sqli *d, const uint8_t *p, size_t n)
{
	static const enum sql_dialect dialects[] = {SQL_DIALECT_POSTGRES, SQL_DIALECT_MYSQL, SQL_DIALECT_UNKNOWN,
						    SQL_DIALECT_POSTGRES};
	static const enum sql_msg_kind kinds[] = {SQL_MSG_QUERY, SQL_MSG_PARSE,	  SQL_MSG_QUERY, SQL_MSG_EXECUTE,
						  SQL_MSG_QUERY, SQL_MSG_INIT_DB, SQL_MSG_QUERY, SQL_MSG_QUERY};
	struct sqli_input in;
	struct detection det;
	uint8_t ctl;
	char *text;
	int r;

	if (n == 0)
		return;
	ctl = p[0];
	p++;
	n--;
	text = malloc(n ? n : 1);
	if (!text)
		return;
	memcpy(text, p, n);
	memset(&in, 0, sizeof(in));
	in.dialect = dialects[ctl & 3];
	in.kind = kinds[(ctl >> 2) & 7];
	in.text = text;
	in.len = n;
	in.truncated = (ctl & 0x80) != 0 && (ctl & 0x20) != 0;
	switch ((ctl >> 5) & 3) {
	case 0:
	case 1:
		in.outcome = SQL_OUTCOME_OK;
		in.sqlstate = "";
		break;
	case 2:
		in.outcome = SQL_OUTCOME_ERROR;
		in.sqlstate = in.dialect == SQL_DIALECT_MYSQL ? "42000" : "42601";
		in.error_code = in.dialect == SQL_DIALECT_MYSQL ? 1064 : 0;
		break;
	default:
		in.outcome = (ctl & 0x80) ? SQL_OUTCOME_UNKNOWN : SQL_OUTCOME_ERROR;
		in.sqlstate = "42P01";
		in.error_code = 1146;
		break;
	}
	memset(&det, 0xa5, sizeof(det));
	r = sqli__observe(d, &in, &det);
	if (r != 0 && r != 1)
		abort();
	if (r == 1) {
		if (in.kind == SQL_MSG_EXECUTE || in.kind == SQL_MSG_INIT_DB)
			abort();
		check(&det, &in);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON *params;
	char err[256];
	struct sqli *d;
	size_t i, start = 0;

	if (!params) {
		params = cJSON_Parse(params_json);
		if (!params || sqli__check_params(params, err, sizeof(err)) != 0)
			abort();
		rule.params = params;
	}
	d = sqli__new(&rule, err, sizeof(err));
	if (!d)
		abort();
	for (i = 0; i <= size; i++) {
		if (i == size || data[i] == 0xff) {
			feed(d, data + start, i - start);
			start = i + 1;
		}
	}
	sqli__free(d);
	return 0;
}

/*
 * libFuzzer target for agent/sarif.c: feeds each input to sarif__load_buf()
 * (with a small CWE map, so the map path runs too) and checks what must hold
 * whatever the input:
 * - the return value is 0 or -EINVAL (-ENOMEM aside) and err is set exactly
 *   on failure, naming the file;
 * - on failure nothing was appended; on success every new finding has every
 *   string set, a known level, ncwes <= FINDING_MAX_CWES with positive and
 *   distinct CWEs, a non-empty NUL-terminated fingerprint (16 hex digits
 *   when it is ours), and runtime fields at zero;
 * - a second load of the same input gives the same findings (determinism).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_sarif.c agent/sarif.c agent/findings.c -lcjson -lxxhash -o fuzz_sarif
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sarif.h"

static const struct sarif_cwe_entry entries[] = {
	{ "security/detect-child-process", { 78 }, 1 },
	{ "A", { 89, 564 }, 2 },
	{ "R", { 22 }, 1 },
};
static const struct sarif_cwe_map map = { entries, 3 };

static size_t warnings;

static void on_warn(void *ctx, const char *file, const char *json_path, const char *why)
{
	if (!file || !json_path || !why || strncmp(json_path, "$.runs[", 7) != 0 || !why[0])
		abort();
	warnings++;
}

static bool is_hex16(const char *s)
{
	size_t i;

	for (i = 0; i < 16; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[16] == '\0';
}

static void check_finding(const struct finding *f)
{
	size_t i, k;

	if (!f->file || !f->tool || !f->rule_id || !f->level || !f->message || !f->uri || !f->uri_base_id)
		abort();
	if (strcmp(f->file, "fuzz.sarif") != 0)
		abort();
	if (strcmp(f->level, "none") && strcmp(f->level, "note") && strcmp(f->level, "warning") &&
	    strcmp(f->level, "error"))
		abort();
	if (f->ncwes > FINDING_MAX_CWES)
		abort();
	for (i = 0; i < f->ncwes; i++) {
		if (f->cwes[i] <= 0)
			abort();
		for (k = 0; k < i; k++) {
			if (f->cwes[k] == f->cwes[i])
				abort();
		}
	}
	if (memchr(f->fingerprint, '\0', sizeof(f->fingerprint)) == NULL || f->fingerprint[0] == '\0')
		abort();
	if (!f->fingerprint_from_tool && !is_hex16(f->fingerprint))
		abort();
	if (f->start_line < 0 || f->status != FINDING_UNOBSERVED || f->evidence_count || f->first_seen_ns ||
	    f->last_seen_ns)
		abort();
}

static bool same_finding(const struct finding *a, const struct finding *b)
{
	return a->run_index == b->run_index && a->result_index == b->result_index && !strcmp(a->tool, b->tool) &&
	       !strcmp(a->rule_id, b->rule_id) && !strcmp(a->level, b->level) && !strcmp(a->message, b->message) &&
	       !strcmp(a->uri, b->uri) && !strcmp(a->uri_base_id, b->uri_base_id) && a->start_line == b->start_line &&
	       a->ncwes == b->ncwes && !memcmp(a->cwes, b->cwes, a->ncwes * sizeof(int)) &&
	       !strcmp(a->fingerprint, b->fingerprint) && a->fingerprint_from_tool == b->fingerprint_from_tool;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct findings out = { 0 }, again = { 0 };
	char err[256];
	char *buf;
	size_t i, nwarn;
	int ret;

	/* Exactly size bytes, so ASan catches a read past the end. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	warnings = 0;
	err[0] = 'x';
	err[1] = '\0';
	ret = sarif__load_buf("fuzz.sarif", buf, size, &map, &out, on_warn, NULL, err, sizeof(err));
	if (ret == -ENOMEM)
		goto cleanup;
	if (ret != 0 && ret != -EINVAL)
		abort();
	if (ret) {
		if (out.n || out.v || warnings || strncmp(err, "fuzz.sarif", 10) != 0)
			abort();
		goto cleanup;
	}
	if (err[0] != '\0' || out.n > out.cap)
		abort();
	for (i = 0; i < out.n; i++)
		check_finding(&out.v[i]);

	nwarn = warnings;
	warnings = 0;
	ret = sarif__load_buf("fuzz.sarif", buf, size, &map, &again, on_warn, NULL, err, sizeof(err));
	if (ret == 0) {
		if (again.n != out.n || warnings != nwarn)
			abort();
		for (i = 0; i < out.n; i++) {
			if (!same_finding(&out.v[i], &again.v[i]))
				abort();
		}
	} else if (ret != -ENOMEM) {
		abort();
	}
cleanup:
	findings__free(&out);
	findings__free(&again);
	free(buf);
	return 0;
}

/*
 * libFuzzer target for agent/cmdi.c with the shipped rules/cmdi.json (run from
 * the repository root). The input is an argv: its bytes after two control
 * bytes, split at NULs. The first control byte picks the parent (python3,
 * sh, nc, unknown) and whether the exec is by a descendant; the second how
 * the argv is run: as given (filename = argv[0]), as "/bin/sh -c ARGS", as
 * "/bin/busybox ARGS", or with a NULL element. What must hold whatever the input:
 * - observe returns 0 or 1; with 1, status is triggered or confirmed, the
 *   detector, CWEs 78/77 and severity come from the rule, confidence is
 *   1..100, the reason is non-empty, NUL-terminated inside its 256 bytes and
 *   holds no control byte (command text is escaped);
 * - triggered only when the program run is a shell of the rule's list;
 * - the same input gives the same detection (the detector keeps no state).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_cmdi.c agent/cmdi.c agent/detect.c -lcjson -o fuzz_cmdi
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmdi.h"
#include "fuzz_rule.h"
#include "rules.h"

#define MAX_ARGS 64

static struct cmdi *det_;
static const cJSON *shells_;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct rule_family rule = {.name = "cmdi", .cwes = {78, 77}, .ncwes = 2, .severity = "critical"};
	char err[256] = "";

	fuzz_rule_params(&rule, "fuzz_cmdi", "rules/cmdi.json");
	shells_ = cJSON_GetObjectItem(rule.params, "shells");
	det_ = cmdi__new(&rule, err, sizeof(err));
	if (!det_) {
		fprintf(stderr, "fuzz_cmdi: %s\n", err);
		abort();
	}
	return 0;
}

static bool is_shell(const char *prog, bool applet)
{
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	const cJSON *it;

	cJSON_ArrayForEach(it, shells_)
	{
		const char *s = it->valuestring;

		if (strchr(s, '/') ? !applet && strcmp(s, prog) == 0 : strcmp(s, base) == 0)
			return true;
	}
	return false;
}

static void check(const struct cmdi_input *in, int r, const struct detection *det)
{
	const char *prog = in->filename;
	bool applet = false;
	size_t i, len;

	if (r == 0)
		return;
	if (r != 1)
		abort();
	if (det->status != FINDING_TRIGGERED && det->status != FINDING_CONFIRMED)
		abort();
	if (strcmp(det->detector, "cmdi") != 0 || det->ncwes != 2 || det->cwes[0] != 78 || det->cwes[1] != 77 ||
	    strcmp(det->severity, "critical") != 0)
		abort();
	if (det->confidence < 1 || det->confidence > 100)
		abort();
	len = strnlen(det->reason, sizeof(det->reason));
	if (len == 0 || len == sizeof(det->reason))
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)det->reason[i] < 0x20 || det->reason[i] == 0x7f)
			abort();
	if (det->status == FINDING_TRIGGERED) {
		const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;

		if ((strcmp(base, "busybox") == 0 || strcmp(base, "toybox") == 0) && in->argc > 1 && in->argv[1]) {
			prog = in->argv[1];
			applet = true;
		}
		if (!is_shell(prog, applet))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const parents[] = {"python3", "sh", "nc", ""};
	const char *argv[MAX_ARGS + 3];
	struct cmdi_input in = {0};
	struct detection a, b;
	char *buf;
	size_t i, start, nargs = 0;
	int mode, r;

	if (size < 2)
		return 0;
	in.parent_comm = parents[data[0] & 3];
	in.by_service_descendant = data[0] & 4;
	mode = data[1] & 3;
	buf = malloc(size - 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 2, size - 2);
	buf[size - 2] = '\0';

	if (mode == 1) {
		argv[nargs++] = "sh";
		argv[nargs++] = "-c";
	} else if (mode == 2) {
		argv[nargs++] = "busybox";
	}
	for (i = 0, start = 0; i <= size - 2 && nargs < MAX_ARGS; i++) {
		if (i == size - 2 || buf[i] == '\0') {
			argv[nargs++] = buf + start;
			start = i + 1;
		}
	}
	if (mode == 3 && nargs > 1)
		argv[nargs / 2] = NULL; /* a NULL element reads as "" */
	argv[nargs] = NULL;
	in.argv = argv;
	in.argc = nargs;
	in.filename = mode == 1 ? "/bin/sh" : mode == 2 ? "/bin/busybox" : argv[0] ? argv[0] : "";

	memset(&a, 0x5a, sizeof(a));
	r = cmdi__observe(det_, &in, &a);
	check(&in, r, &a);
	memset(&b, 0xa5, sizeof(b));
	if (cmdi__observe(det_, &in, &b) != r)
		abort();
	if (r && (a.status != b.status || a.confidence != b.confidence || strcmp(a.reason, b.reason) != 0))
		abort();
	free(buf);
	return 0;
}

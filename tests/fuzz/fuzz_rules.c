/*
 * libFuzzer target for agent/rules.c: writes each input as the one file of a
 * private temporary directory (as tool-cwe-map.json when it mentions "tools",
 * else as a family file), loads it, checks it and frees it. Whatever the
 * input:
 * - ruleset__load and rules__check agree (a ruleset exactly when check
 *   returns 0, else 2), and a failed load leaves one line of error text that
 *   names the file;
 * - a loaded family has what rules.h promises: a valid name, 1..8 positive
 *   CWEs, at least one event kind, a params object, a severity;
 * - ruleset__by_detector only returns enabled families.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iagent \
 *	tests/fuzz/fuzz_rules.c agent/rules.c agent/sqli.c ... -lcjson -o fuzz_rules
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "rules.h"

static char dir[] = "/tmp/aisec-fuzz-rules.XXXXXX";
static char family_path[sizeof(dir) + 16];
static char map_path[sizeof(dir) + 32];
static FILE *devnull;

static void cleanup(void)
{
	unlink(family_path);
	unlink(map_path);
	rmdir(dir);
}

static int init(void)
{
	if (!mkdtemp(dir))
		return -errno;
	snprintf(family_path, sizeof(family_path), "%s/f.json", dir);
	snprintf(map_path, sizeof(map_path), "%s/tool-cwe-map.json", dir);
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		return -errno;
	atexit(cleanup);
	return 0;
}

static void check_family(const struct ruleset *rs, const struct rule_family *f)
{
	const struct rule_family *by;
	size_t i;

	if (!f || !f->name || !f->name[0] ||
	    strspn(f->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(f->name))
		abort();
	if (strcmp(f->file, family_path) != 0 || !f->description || !f->detector)
		abort();
	if (f->ncwes < 1 || f->ncwes > FINDING_MAX_CWES || f->nevents < 1 || !f->params || !cJSON_IsObject(f->params))
		abort();
	for (i = 0; i < f->ncwes; i++) {
		if (f->cwes[i] <= 0)
			abort();
	}
	if (strcmp(f->severity, "low") && strcmp(f->severity, "medium") && strcmp(f->severity, "high") &&
	    strcmp(f->severity, "critical"))
		abort();
	by = ruleset__by_detector(rs, f->detector);
	if (by != (f->enabled ? f : NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const struct sarif_cwe_map *map;
	const char *path, *other;
	struct ruleset *rs;
	char err[1024];
	size_t i;
	FILE *f;
	int ret, load_errno;

	if (!ready) {
		if (init())
			abort();
		ready = 1;
	}
	/* One file at a time, under the name that picks its parser. */
	if (memmem(data, size, "\"tools\"", 7)) {
		path = map_path;
		other = family_path;
	} else {
		path = family_path;
		other = map_path;
	}
	unlink(other);
	f = fopen(path, "w");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f))
		abort();

	errno = 0;
	rs = ruleset__load(dir, err, sizeof(err));
	load_errno = errno;
	ret = rules__check(dir, devnull);
	if (!rs) {
		if (ret != 2 || load_errno == 0 || !strstr(err, path) || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (ret != 0)
		abort();
	if (ruleset__count(rs) > 1 || ruleset__get(rs, ruleset__count(rs)))
		abort();
	for (i = 0; i < ruleset__count(rs); i++)
		check_family(rs, ruleset__get(rs, i));
	map = ruleset__cwe_map(rs);
	if (!map || (map->n && !map->v))
		abort();
	for (i = 0; i < map->n; i++) {
		if (!map->v[i].rule_id[0] || map->v[i].ncwes < 1 || map->v[i].ncwes > FINDING_MAX_CWES)
			abort();
	}
	ruleset__free(rs);
	return 0;
}

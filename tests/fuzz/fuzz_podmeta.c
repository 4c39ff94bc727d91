/*
 * libFuzzer target for agent/podmeta.c's parsers: every input goes through
 * podmeta__parse_kubelet and through podmeta__parse_runtime as each runtime
 * kind (so the fixtures in tests/fixtures/podmeta seed all of them). What
 * must hold whatever the input:
 * - the result is 0 or -EINVAL (-ENOMEM only when memory runs out); the
 *   message is NUL-terminated inside the buffer, on one line (no control
 *   byte), empty on success, starting with the name on failure;
 * - every container reported by the kubelet parser has a 64-digit lowercase
 *   hex id, source "kubelet", every string terminated inside its field, at
 *   most PODMETA_MAX_LABELS labels (labels_truncated only when full);
 *   nothing is reported for an input that fails;
 * - the runtime parser leaves out all zero on failure, and on success a
 *   source that is the kind or NULL (nothing known), with the same limits;
 * - no leak (ASan), no read past size (the input is not terminated).
 * The parsers need no libcurl: podmeta.o must link with -lcjson alone.
 *
 *   make build/fuzz/fuzz_podmeta && build/fuzz/fuzz_podmeta -max_total_time=60 -max_len=8192 \
 *	CORPUS_DIR tests/fixtures/podmeta
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podmeta.h"

#define NAME "fuzz.json"

static void check_err(int rc, const char *err, size_t len)
{
	size_t i;

	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (!memchr(err, '\0', len))
		abort();
	for (i = 0; err[i]; i++) {
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			abort();
	}
	if (rc == 0 && err[0])
		abort();
	if (rc == -EINVAL && strncmp(err, NAME, strlen(NAME)) != 0)
		abort();
}

static void check_str(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

static void check_meta(const struct pod_meta *m)
{
	size_t i;

	check_str(m->container_id, sizeof(m->container_id));
	check_str(m->namespace_, sizeof(m->namespace_));
	check_str(m->pod, sizeof(m->pod));
	check_str(m->pod_uid, sizeof(m->pod_uid));
	check_str(m->container, sizeof(m->container));
	check_str(m->image, sizeof(m->image));
	if (m->nlabels > PODMETA_MAX_LABELS || (m->labels_truncated && m->nlabels != PODMETA_MAX_LABELS))
		abort();
	for (i = 0; i < m->nlabels; i++) {
		check_str(m->labels[i].key, sizeof(m->labels[i].key));
		check_str(m->labels[i].value, sizeof(m->labels[i].value));
	}
}

static void on_container(void *ctx, const struct pod_meta *m)
{
	size_t *n = ctx, i;

	(*n)++;
	check_meta(m);
	if (!m->source || strcmp(m->source, "kubelet") != 0)
		abort();
	for (i = 0; i < 64; i++) {
		char c = m->container_id[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			abort();
	}
	if (m->container_id[64] != '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = {"containerd", "cri-o", "docker"};
	static struct pod_meta m; /* 18 KB: off the stack */
	static const struct pod_meta zero;
	char err[256];
	size_t n = 0, i;
	int rc;

	memset(err, 'x', sizeof(err));
	rc = podmeta__parse_kubelet(NAME, (const char *)data, size, on_container, &n, err, sizeof(err));
	check_err(rc, err, sizeof(err));
	if (rc && n)
		abort();

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		memset(err, 'x', sizeof(err));
		memset(&m, 'x', sizeof(m));
		rc = podmeta__parse_runtime(kinds[i], NAME, (const char *)data, size, &m, err, sizeof(err));
		check_err(rc, err, sizeof(err));
		if (rc) {
			if (memcmp(&m, &zero, sizeof(m)) != 0)
				abort();
			continue;
		}
		check_meta(&m);
		if (m.source && strcmp(m.source, kinds[i]) != 0)
			abort();
		if (m.container_id[0])
			abort();
	}
	return 0;
}

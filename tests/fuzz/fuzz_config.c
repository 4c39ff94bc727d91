/*
 * libFuzzer target for agent/config.c: config__parse on arbitrary bytes. What
 * must hold whatever the input:
 * - either a config comes back and the message is empty, or NULL with errno
 *   EINVAL and a message starting with the file name, on one line (no control
 *   byte), NUL-terminated inside the buffer;
 * - a config that parses has 1..CONFIG_MAX_SERVICES services, each with a
 *   name, and the limits the validator promises (payload 1..16384, ringbuf a
 *   power of two >= 4096, sql_text one of three words, metrics set);
 * - config__free releases everything (ASan's leak check).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_config.c agent/config.c -lcjson -o fuzz_config
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define NAME "fuzz.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct config *c;
	size_t i;

	memset(err, 'x', sizeof(err));
	errno = 0;
	c = config__parse(NAME, (const char *)data, size, err, sizeof(err));
	if (!memchr(err, '\0', sizeof(err)))
		abort();
	for (i = 0; err[i]; i++) {
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			abort();
	}
	if (!c) {
		if (errno != EINVAL || strncmp(err, NAME, strlen(NAME)) != 0)
			abort();
		return 0;
	}
	if (err[0] || c->nservices < 1 || c->nservices > CONFIG_MAX_SERVICES)
		abort();
	for (i = 0; i < c->nservices; i++) {
		if (!c->services[i].name || !c->services[i].name[0])
			abort();
	}
	if (c->payload_bytes < 1 || c->payload_bytes > 16384 || c->ringbuf_bytes < 4096 ||
	    (c->ringbuf_bytes & (c->ringbuf_bytes - 1)) || !c->metrics_listen || !c->rules_dir)
		abort();
	if (strcmp(c->sql_text, "full") && strcmp(c->sql_text, "redacted") && strcmp(c->sql_text, "none"))
		abort();
	if (!c->kafka_brokers != !c->kafka_topic)
		abort();
	config__free(c);
	return 0;
}

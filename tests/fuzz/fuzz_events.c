/*
 * libFuzzer target for agent/events.c and agent/format.c: each input is one
 * ring-buffer record, copied into a heap block of exactly its size so ASan
 * catches any read past it. It is decoded twice: as it is, and with the
 * length fields the kernel derives from the record size (hdr.size, and
 * argv_len / path_len for exec / open) set to agree with it, so the fuzzer
 * reaches the variable-length decoders without having to guess them. When
 * events__decode() accepts a record, the event is formatted both ways (no
 * process cache, no process) and checked:
 * - every string the view hands out is NUL-terminated and argc is in range;
 * - the JSON line is one line, parses with cJSON, and names the right kind;
 * - the text line is one line with no raw control bytes.
 * A fixed boot-to-wall offset and host keep runs reproducible.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_events.c agent/events.c agent/format.c agent/jsonw.c agent/strbuf.c \
 *	agent/netfmt.c agent/container.c agent/proc.c agent/log.c -lcjson -o fuzz_events
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "format.h"
#include "strbuf.h"

/* One line: ends in the only newline, and no other byte below 0x20 (DEL too for text). */
static void check_line(const struct strbuf *sb, int allow_del)
{
	if (sb->oom || sb->len < 2 || strlen(sb->data) != sb->len || sb->data[sb->len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < sb->len; i++) {
		unsigned char c = (unsigned char)sb->data[i];

		if (c < 0x20 || (c == 0x7f && !allow_del))
			abort();
	}
}

static void check_view(const struct event *ev)
{
	if (ev->comm[AISEC_COMM_LEN] != '\0')
		abort();
	switch (ev->kind) {
	case AISEC_EV_EXEC:
		if (ev->argc > EVENT_ARGV_MAX || strlen(ev->filename) >= AISEC_EXEC_FILENAME_MAX)
			abort();
		for (size_t i = 0; i < ev->argc; i++)
			if (strlen(ev->argv[i]) > AISEC_EXEC_ARGV_MAX)
				abort();
		break;
	case AISEC_EV_OPEN:
		if (strlen(ev->path) >= AISEC_PATH_MAX)
			abort();
		break;
	default:
		break;
	}
}

static void one(const uint8_t *data, size_t size, int fixup)
{
	static const struct format_ctx fc = {.procs = NULL, .host = "fuzz", .boot_to_wall_ns = 1700000000000000000ll};
	static struct event ev; /* large: not on the stack */
	struct strbuf sb = STRBUF_INIT;
	struct enriched e = {.ev = &ev, .proc = NULL, .nancestry = 0};
	const cJSON *kind;
	cJSON *root;
	void *rec;

	rec = malloc(size ? size : 1);
	if (!rec)
		return;
	memcpy(rec, data, size);
	if (fixup && size >= sizeof(struct aisec_hdr)) {
		struct aisec_hdr *h = rec;

		h->size = (__u32)size;
		if (h->kind == AISEC_EV_EXEC && size >= offsetof(struct aisec_exec, argv))
			((struct aisec_exec *)rec)->argv_len = (__u32)(size - offsetof(struct aisec_exec, argv));
		if (h->kind == AISEC_EV_OPEN && size >= offsetof(struct aisec_open, path))
			((struct aisec_open *)rec)->path_len = (__u32)(size - offsetof(struct aisec_open, path));
	}
	if (events__decode(rec, size, &ev) != 0) {
		free(rec);
		return;
	}
	check_view(&ev);

	format__json(&sb, &fc, &e);
	check_line(&sb, 1);
	root = cJSON_Parse(sb.data);
	if (!root)
		abort();
	kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	if (!cJSON_IsString(kind) || strcmp(kind->valuestring, events__kind_name(ev.kind)) != 0)
		abort();
	cJSON_Delete(root);

	strbuf__reset(&sb);
	format__text(&sb, &fc, &e);
	check_line(&sb, 0);

	strbuf__free(&sb);
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, 0);
	one(data, size, 1);
	return 0;
}

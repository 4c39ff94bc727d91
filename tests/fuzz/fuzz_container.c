/*
 * libFuzzer target for agent/container.c: feeds a NUL-terminated copy of each
 * input to container__from_path() and container__from_proc_cgroup() and
 * checks what every result must satisfy, whatever the input:
 * - the return value is 0 or 1 and *out matches it (a runtime and 64
 *   lowercase hex digits, or CONTAINER_NONE and "");
 * - a single absolute path of a length the kernel can print gives the same
 *   answer from both functions when written as a "0::<path>" line.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iagent \
 *	tests/fuzz/fuzz_container.c agent/container.c -o fuzz_container
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

static void check_result(int ret, const struct container_ref *ref)
{
	size_t i;

	if (ret == 0) {
		if (ref->runtime != CONTAINER_NONE || ref->id[0] != '\0')
			abort();
		return;
	}
	if (ret != 1 || ref->runtime == CONTAINER_NONE || container__runtime_name(ref->runtime)[0] == '\0')
		abort();
	if (ref->id[CONTAINER_ID_LEN] != '\0')
		abort();
	for (i = 0; i < CONTAINER_ID_LEN; i++) {
		if (!((ref->id[i] >= '0' && ref->id[i] <= '9') || (ref->id[i] >= 'a' && ref->id[i] <= 'f')))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_ref by_path, by_proc;
	char *input, *line;
	int ret_path, ret_proc;

	/* Exactly size + 1 bytes, so ASan catches a read past the terminator. */
	input = malloc(size + 1);
	if (!input)
		return 0;
	memcpy(input, data, size);
	input[size] = '\0';

	ret_path = container__from_path(input, &by_path);
	check_result(ret_path, &by_path);
	ret_proc = container__from_proc_cgroup(input, &by_proc);
	check_result(ret_proc, &by_proc);

	/* One absolute path without newlines or embedded NULs: both functions agree. */
	if (size > 0 && size < 4096 && input[0] == '/' && !memchr(data, '\n', size) && !memchr(data, '\0', size)) {
		line = malloc(size + 4);
		if (line) {
			memcpy(line, "0::", 3);
			memcpy(line + 3, input, size + 1);
			ret_proc = container__from_proc_cgroup(line, &by_proc);
			if (ret_proc != ret_path || by_proc.runtime != by_path.runtime ||
			    strcmp(by_proc.id, by_path.id) != 0)
				abort();
			free(line);
		}
	}

	free(input);
	return 0;
}

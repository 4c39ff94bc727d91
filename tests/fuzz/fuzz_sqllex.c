/*
 * libFuzzer target for agent/sqllex.c: lexes each input as PostgreSQL, as
 * MySQL and with the dialect unknown, and checks what must hold whatever the
 * input:
 * - tokens have a valid kind, are non-empty, contiguous and in bounds, an
 *   ERROR token runs to the end, END comes at len and stays; put together,
 *   the token texts give the input back byte for byte;
 * - sqllex__redact() returns the length the tokens call for (a '?' for each
 *   string, number or error token, the others as they are) and, at output
 *   lengths 0, 1, half, full and full + 1, each into an exactly-sized heap
 *   buffer, writes a NUL-terminated prefix of the full result and nothing
 *   past the buffer (length 0: nothing at all).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iagent \
 *	tests/fuzz/fuzz_sqllex.c agent/sqllex.c -o fuzz_sqllex
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqllex.h"

static bool is_literal(enum sql_tok_kind kind)
{
	return kind == SQL_TOK_STRING || kind == SQL_TOK_NUMBER || kind == SQL_TOK_ERROR;
}

/* Lex s as dialect d, check the tokens, and build in want what redaction must give; returns its length. */
static size_t check_tokens(const char *s, size_t len, enum sql_dialect d, char *cat, char *want)
{
	struct sqllex lx;
	struct sql_tok tok;
	size_t pos = 0, wlen = 0;

	sqllex__init(&lx, s, len, d);
	for (;;) {
		sqllex__next(&lx, &tok);
		if (tok.kind == SQL_TOK_END)
			break;
		if (tok.kind < SQL_TOK_IDENT || tok.kind > SQL_TOK_ERROR)
			abort();
		if (tok.start != pos || tok.len == 0 || tok.len > len - pos)
			abort();
		if (tok.kind == SQL_TOK_ERROR && tok.start + tok.len != len)
			abort();
		memcpy(cat + pos, s + tok.start, tok.len);
		pos += tok.len;
		if (is_literal(tok.kind)) {
			want[wlen++] = '?';
		} else {
			memcpy(want + wlen, s + tok.start, tok.len);
			wlen += tok.len;
		}
	}
	if (pos != len || tok.start != len || tok.len != 0 || memcmp(cat, s, len) != 0)
		abort();
	sqllex__next(&lx, &tok);
	if (tok.kind != SQL_TOK_END || tok.start != len || tok.len != 0)
		abort();
	return wlen;
}

static void check_redact(const char *s, size_t len, enum sql_dialect d, const char *want, size_t wlen, size_t outlen)
{
	char *out = malloc(outlen ? outlen : 1);
	size_t got, cut;

	if (!out)
		return;
	out[0] = 'Z';
	got = sqllex__redact(s, len, d, out, outlen);
	if (got != wlen)
		abort();
	if (outlen == 0) {
		if (out[0] != 'Z')
			abort();
	} else {
		cut = wlen < outlen ? wlen : outlen - 1;
		if (memcmp(out, want, cut) != 0 || out[cut] != '\0')
			abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sql_dialect dialects[] = {SQL_DIALECT_POSTGRES, SQL_DIALECT_MYSQL, SQL_DIALECT_UNKNOWN};
	const char *s = (const char *)data;
	char *cat, *want;
	size_t d, wlen;

	/* Redaction never grows the input: each token gives at most its own length. */
	cat = malloc(size ? size : 1);
	want = malloc(size ? size : 1);
	if (!cat || !want) {
		free(cat);
		free(want);
		return 0;
	}
	for (d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
		wlen = check_tokens(s, size, dialects[d], cat, want);
		if (wlen > size)
			abort();
		check_redact(s, size, dialects[d], want, wlen, 0);
		check_redact(s, size, dialects[d], want, wlen, 1);
		check_redact(s, size, dialects[d], want, wlen, wlen / 2 + 1);
		check_redact(s, size, dialects[d], want, wlen, wlen);
		check_redact(s, size, dialects[d], want, wlen, wlen + 1);
	}
	free(cat);
	free(want);
	return 0;
}

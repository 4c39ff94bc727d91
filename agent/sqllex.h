/*
 * sqllex: a SQL lexer for PostgreSQL and MySQL/MariaDB dialects, used to
 * redact literals out of captured queries (--sql-text redacted) and, later,
 * by the SQL-injection detector (templates, tautologies, stacked queries).
 *
 * It never fails: malformed input (an unterminated string or comment) ends
 * in a token of kind SQL_TOK_ERROR covering the rest, and the lexer never
 * reads past len. Dialect differences handled:
 *   strings:    '...' with '' doubling (both); PostgreSQL E'...' with backslash
 *               escapes, B'..'/X'..', U&'...', dollar quotes $$...$$ and
 *               $tag$...$tag$; MySQL backslash escapes in '...' and "...",
 *               "..." as a string, X'..', 0x.., b'..', _charset'...' introducers.
 *   identifiers: bare (letters, digits, _, $ (not first in PostgreSQL), non-ASCII bytes),
 *               "quoted" (PostgreSQL), `backquoted` (MySQL).
 *   comments:   -- to end of line (MySQL: only when followed by space/control
 *               or end), # to end of line (MySQL), slash-star ... star-slash (PostgreSQL nests
 *               them; MySQL slash-star-! version comments are code, not comments:
 *               the opening marker with its version and the closing star-slash
 *               are COMMENT tokens, what lies between is lexed as code).
 *   numbers:    123, 1.5, .5, 1e10, 0x1F, 0b101 (MySQL; PostgreSQL 16 too, with
 *               0o17 and 1_000).
 *   parameters: $1 (PostgreSQL), ? (MySQL; an operator in PostgreSQL), :name.
 *   operators:  multi-char ones kept whole (<=, >=, <>, !=, ||, &&, ::, ->, ->>, :=);
 *               PostgreSQL operators are cut from runs as its server cuts them
 *               (#>>, @> whole; =-5 is = then - then 5).
 */
#ifndef AISEC_SQLLEX_H
#define AISEC_SQLLEX_H

#include <stdbool.h>
#include <stddef.h>

#include "sqlwire.h"

enum sql_tok_kind {
	SQL_TOK_END = 0,
	SQL_TOK_IDENT,        /* bare identifier or keyword */
	SQL_TOK_QUOTED_IDENT, /* "x" (PG) or `x` (MySQL) */
	SQL_TOK_STRING,       /* any string literal form, quotes included */
	SQL_TOK_NUMBER,       /* numeric literal, incl. hex/bit forms */
	SQL_TOK_PARAM,        /* $1, ?, :name */
	SQL_TOK_OPERATOR,     /* = < > <= >= <> != || && + - * / % :: etc. */
	SQL_TOK_PUNCT,        /* ( ) , ; . [ ] */
	SQL_TOK_COMMENT,      /* -- ..., # ..., and block comments */
	SQL_TOK_SPACE,        /* whitespace run */
	SQL_TOK_ERROR,        /* unterminated string/comment/quoted identifier: the rest of the input */
};

struct sql_tok {
	enum sql_tok_kind kind;
	size_t start;         /* offset in the input */
	size_t len;
};

struct sqllex {
	const char *s;
	size_t len;
	size_t pos;
	enum sql_dialect dialect; /* SQL_DIALECT_UNKNOWN lexes as PostgreSQL */
	unsigned int state;       /* private to the lexer: context carried between tokens */
};

void sqllex__init(struct sqllex *lx, const char *s, size_t len, enum sql_dialect dialect);

/* The next token (SQL_TOK_END at the end, and forever after). */
void sqllex__next(struct sqllex *lx, struct sql_tok *tok);

/* Copy s to out with every string and number literal replaced by '?'
 * (identifiers, keywords, parameters, operators and comments kept; a
 * SQL_TOK_ERROR tail replaced by '?' too). Always NUL-terminates when
 * outlen > 0. Returns the length the full result needs (like snprintf). */
size_t sqllex__redact(const char *s, size_t len, enum sql_dialect dialect, char *out, size_t outlen);

#endif /* AISEC_SQLLEX_H */

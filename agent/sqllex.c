/*
 * sqllex: a SQL lexer for PostgreSQL and MySQL/MariaDB (see sqllex.h for the
 * token kinds and dialect rules), used to redact literals out of captured
 * queries and, later, by the SQL-injection detector.
 *
 * A detector must see a query the way the server will, so each dialect
 * follows its server's own lexer with default settings: PostgreSQL with
 * standard_conforming_strings on (scan.l); MySQL without ANSI_QUOTES or
 * NO_BACKSLASH_ESCAPES and with an ASCII-compatible character set such as
 * utf8mb4 or latin1 (sql_lex.cc). Where the servers disagree with each other
 * or with a setting we cannot see, the choice that hides less code is taken.
 *
 * Lexing a whole input takes time linear in its length (no byte is scanned
 * more than a bounded number of times), nothing is allocated, and no byte at
 * or past len is read.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "sqllex.h"

/*
 * Context carried from one token to the next in lx->state. MySQL: the flags
 * below. PostgreSQL: how many one-byte operators are left of a run whose
 * trailing + and - were split off (see pg_operator).
 */
#define ST_VCOMMENT 0x1u    /* inside a version comment: star-slash closes it */
#define ST_AFTER_IDENT 0x2u /* the last token was a bare identifier */
#define ST_IDENT_NEXT 0x4u  /* the last token was the '.' of a.b: an identifier follows, even 1e5 */

/* The byte at i, or -1 past the end. */
static int at(const unsigned char *s, size_t n, size_t i)
{
	return i < n ? s[i] : -1;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Space, \t, \n, \v, \f, \r: whitespace to both servers. */
static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* First byte of an identifier, a dollar-quote tag or a :name parameter. */
static bool ident_start(int c)
{
	return is_alpha(c) || c == '_' || c >= 0x80;
}

/* Later bytes of a bare identifier; MySQL also starts identifiers with any of them. */
static bool ident_cont(int c)
{
	return ident_start(c) || is_digit(c) || c == '$';
}

static bool is_punct(int c)
{
	return c == '(' || c == ')' || c == ',' || c == ';' || c == '.' || c == '[' || c == ']';
}

/*
 * Bytes PostgreSQL builds operators from (scan.l op_chars); OP_SPECIAL marks
 * those whose presence lets an operator end in + or -.
 */
#define OP_CHAR 1
#define OP_SPECIAL 2
static const unsigned char pg_op[256] = {
    ['+'] = OP_CHAR,
    ['-'] = OP_CHAR,
    ['*'] = OP_CHAR,
    ['/'] = OP_CHAR,
    ['<'] = OP_CHAR,
    ['>'] = OP_CHAR,
    ['='] = OP_CHAR,
    ['~'] = OP_CHAR | OP_SPECIAL,
    ['!'] = OP_CHAR | OP_SPECIAL,
    ['@'] = OP_CHAR | OP_SPECIAL,
    ['#'] = OP_CHAR | OP_SPECIAL,
    ['^'] = OP_CHAR | OP_SPECIAL,
    ['&'] = OP_CHAR | OP_SPECIAL,
    ['|'] = OP_CHAR | OP_SPECIAL,
    ['`'] = OP_CHAR | OP_SPECIAL,
    ['?'] = OP_CHAR | OP_SPECIAL,
    ['%'] = OP_CHAR | OP_SPECIAL,
};

static size_t span_space(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && is_space(s[i]))
		i++;
	return i;
}

static size_t span_ident(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && ident_cont(s[i]))
		i++;
	return i;
}

static size_t span_digits(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

/* A line comment from s[i] up to (not including) the line end; MySQL ends it at \n only. */
static size_t line_comment(const unsigned char *s, size_t n, size_t i, bool cr_ends)
{
	while (i < n && s[i] != '\n' && !(cr_ends && s[i] == '\r'))
		i++;
	return i;
}

static enum sql_tok_kind closed_or_error(enum sql_tok_kind kind, bool closed)
{
	return closed ? kind : SQL_TOK_ERROR;
}

/*
 * From the opening quote at s[i], the end of a run closed by q, in which qq
 * stands for one q and, when bs, a backslash escapes the byte after it.
 * Returns n with *closed false when the input ends first.
 */
static size_t scan_quoted(const unsigned char *s, size_t n, size_t i, int q, bool bs, bool *closed)
{
	size_t j = i + 1;

	while (j < n) {
		if (bs && s[j] == '\\') {
			j += 2;
			continue;
		}
		if (s[j] == q) {
			if (j + 1 < n && s[j + 1] == q) {
				j += 2;
				continue;
			}
			*closed = true;
			return j + 1;
		}
		j++;
	}
	*closed = false;
	return n;
}

/* X'..' and B'..' from the quote at s[i]: both servers end them at the next quote, doubled or not. */
static size_t scan_bits(const unsigned char *s, size_t n, size_t i, bool *closed)
{
	const unsigned char *q = memchr(s + i + 1, '\'', n - i - 1);

	*closed = q != NULL;
	return q ? (size_t)(q - s) + 1 : n;
}

/* PostgreSQL block comment from the slash at s[i]; they nest. */
static size_t pg_block_comment(const unsigned char *s, size_t n, size_t i, bool *closed)
{
	size_t j = i + 2, depth = 0;

	while (j < n) {
		if (s[j] == '/' && at(s, n, j + 1) == '*') {
			depth++;
			j += 2;
		} else if (s[j] == '*' && at(s, n, j + 1) == '/') {
			if (depth == 0) {
				*closed = true;
				return j + 2;
			}
			depth--;
			j += 2;
		} else {
			j++;
		}
	}
	*closed = false;
	return n;
}

/* PostgreSQL 16 integer part: digits, single underscores between them. */
static size_t pg_decint(const unsigned char *s, size_t n, size_t i)
{
	for (i++;;) {
		if (is_digit(at(s, n, i)))
			i++;
		else if (at(s, n, i) == '_' && is_digit(at(s, n, i + 1)))
			i += 2;
		else
			return i;
	}
}

static bool is_odigit(int c)
{
	return c >= '0' && c <= '7';
}

static bool is_bdigit(int c)
{
	return c == '0' || c == '1';
}

/* 0x1F, 0o17, 0b101 (PostgreSQL 16): 0 if s[i] does not start one, else its end. */
static size_t pg_radix_int(const unsigned char *s, size_t n, size_t i)
{
	bool (*digit)(int);
	size_t j = i + 2;

	switch (at(s, n, i + 1)) {
	case 'x':
	case 'X':
		digit = is_xdigit;
		break;
	case 'o':
	case 'O':
		digit = is_odigit;
		break;
	case 'b':
	case 'B':
		digit = is_bdigit;
		break;
	default:
		return 0;
	}
	if (!digit(at(s, n, j)) && !(at(s, n, j) == '_' && digit(at(s, n, j + 1))))
		return 0;
	for (;;) {
		if (digit(at(s, n, j)))
			j++;
		else if (at(s, n, j) == '_' && digit(at(s, n, j + 1)))
			j += 2;
		else
			return j;
	}
}

/*
 * A PostgreSQL number from s[i] (a digit, or a '.' before one). A letter
 * right after it starts the next token, as before PostgreSQL 15 (which calls
 * it trailing junk): 1union is 1 then union.
 */
static size_t pg_number(const unsigned char *s, size_t n, size_t i)
{
	size_t j, k;

	if (s[i] == '0' && (j = pg_radix_int(s, n, i)) != 0)
		return j;
	if (s[i] == '.') {
		j = pg_decint(s, n, i + 1);
	} else {
		j = pg_decint(s, n, i);
		/* 1..10 is an integer then "..", as in scan.l. */
		if (at(s, n, j) == '.' && at(s, n, j + 1) == '.')
			return j;
		if (at(s, n, j) == '.') {
			j++;
			if (is_digit(at(s, n, j)))
				j = pg_decint(s, n, j);
		}
	}
	if (at(s, n, j) == 'e' || at(s, n, j) == 'E') {
		k = j + 1;
		if (at(s, n, k) == '+' || at(s, n, k) == '-')
			k++;
		if (is_digit(at(s, n, k)))
			j = pg_decint(s, n, k);
	}
	return j;
}

/*
 * A PostgreSQL operator from s[i], as scan.l cuts it: the longest run of
 * operator bytes, stopped where -- or slash-star begins, then stripped of
 * trailing + and - unless it holds one of ~!@#^&|`?% (so "=-5" is "=" then
 * "-", but "@-" stays whole). Each byte of a stripped tail then is an
 * operator of its own: *tail says how many follow, so that the next calls
 * need not scan the run again (PostgreSQL does, quadratic on "+-+-+-...").
 * tail_in is that count left by the previous token.
 */
static size_t pg_operator(const unsigned char *s, size_t n, size_t i, unsigned int tail_in, unsigned int *tail)
{
	size_t e = i + 1, m, k;

	if (tail_in > 0 && (s[i] == '+' || s[i] == '-')) {
		*tail = tail_in - 1;
		return i + 1;
	}
	while (e < n && (pg_op[s[e]] & OP_CHAR) &&
	       !((s[e] == '-' && at(s, n, e + 1) == '-') || (s[e] == '/' && at(s, n, e + 1) == '*')))
		e++;
	m = e - i;
	if (m > 1 && (s[e - 1] == '+' || s[e - 1] == '-')) {
		for (k = i; k < e - 1; k++) {
			if (pg_op[s[k]] & OP_SPECIAL)
				return e;
		}
		while (m > 1 && (s[i + m - 1] == '+' || s[i + m - 1] == '-'))
			m--;
		k = e - (i + m);
		*tail = k < ~0u ? (unsigned int)k : ~0u;
	}
	return i + m;
}

/* True when the delimiter d (dl bytes, d[0] == '$') starts at s[k]; stops at the first difference. */
static bool delim_at(const unsigned char *s, size_t n, size_t k, const unsigned char *d, size_t dl)
{
	size_t m;

	if (n - k < dl)
		return false;
	for (m = 1; m < dl; m++) {
		if (s[k + m] != d[m])
			return false;
	}
	return true;
}

/*
 * PostgreSQL '$' at s[i]: $1 is a parameter; $$ or $tag$ opens a dollar-quoted
 * string running to the same delimiter; any other '$' is a lone byte.
 * Searching for the closing delimiter stays linear: a tag holds no '$', so a
 * comparison started at one '$' never reads past the next.
 */
static enum sql_tok_kind pg_dollar(const unsigned char *s, size_t n, size_t i, size_t *end)
{
	size_t j = i + 1, k, dl;

	if (is_digit(at(s, n, j))) {
		*end = span_digits(s, n, j);
		return SQL_TOK_PARAM;
	}
	if (ident_start(at(s, n, j))) {
		while (ident_start(at(s, n, j)) || is_digit(at(s, n, j)))
			j++;
	}
	if (at(s, n, j) != '$') {
		*end = i + 1;
		return SQL_TOK_OPERATOR;
	}
	dl = j + 1 - i;
	for (k = j + 1; k < n; k++) {
		if (s[k] == '$' && delim_at(s, n, k, s + i, dl)) {
			*end = k + dl;
			return SQL_TOK_STRING;
		}
	}
	*end = n;
	return SQL_TOK_ERROR;
}

/* ':' at s[i] in either dialect: ::, :=, :name or a lone ':'. */
static enum sql_tok_kind colon(const unsigned char *s, size_t n, size_t i, bool pg, size_t *end)
{
	int c1 = at(s, n, i + 1);

	if ((pg && c1 == ':') || c1 == '=') {
		*end = i + 2;
		return SQL_TOK_OPERATOR;
	}
	if (ident_start(c1)) {
		*end = span_ident(s, n, i + 2);
		return SQL_TOK_PARAM;
	}
	*end = i + 1;
	return SQL_TOK_OPERATOR;
}

static enum sql_tok_kind lex_pg(const unsigned char *s, size_t n, size_t i, unsigned int *st, size_t *end)
{
	int c = s[i], c1 = at(s, n, i + 1), c2 = at(s, n, i + 2);
	unsigned int tail = *st;
	bool closed;

	*st = 0;
	if (is_space(c)) {
		*end = span_space(s, n, i);
		return SQL_TOK_SPACE;
	}
	if (c == '-' && c1 == '-') {
		*end = line_comment(s, n, i, true);
		return SQL_TOK_COMMENT;
	}
	if (c == '/' && c1 == '*') {
		*end = pg_block_comment(s, n, i, &closed);
		return closed_or_error(SQL_TOK_COMMENT, closed);
	}
	switch (c) {
	case '\'':
		*end = scan_quoted(s, n, i, '\'', false, &closed);
		return closed_or_error(SQL_TOK_STRING, closed);
	case '"':
		*end = scan_quoted(s, n, i, '"', false, &closed);
		return closed_or_error(SQL_TOK_QUOTED_IDENT, closed);
	case 'e':
	case 'E':
		if (c1 != '\'')
			break;
		*end = scan_quoted(s, n, i + 1, '\'', true, &closed);
		return closed_or_error(SQL_TOK_STRING, closed);
	case 'b':
	case 'B':
	case 'x':
	case 'X':
		if (c1 != '\'')
			break;
		*end = scan_bits(s, n, i + 1, &closed);
		return closed_or_error(SQL_TOK_STRING, closed);
	case 'n':
	case 'N':
		if (c1 != '\'')
			break;
		*end = scan_quoted(s, n, i + 1, '\'', false, &closed);
		return closed_or_error(SQL_TOK_STRING, closed);
	case 'u':
	case 'U':
		/* U&'d\0061t' and U&"d\0061t": the backslash is a Unicode escape, not a quote escape. */
		if (c1 != '&' || (c2 != '\'' && c2 != '"'))
			break;
		*end = scan_quoted(s, n, i + 2, c2, false, &closed);
		return closed_or_error(c2 == '\'' ? SQL_TOK_STRING : SQL_TOK_QUOTED_IDENT, closed);
	case '$':
		return pg_dollar(s, n, i, end);
	case ':':
		return colon(s, n, i, true, end);
	}
	if (c == '.' && c1 == '.') {
		/* ".." is one token to PostgreSQL (PL/pgSQL ranges). */
		*end = i + 2;
		return SQL_TOK_OPERATOR;
	}
	if (is_digit(c) || (c == '.' && is_digit(c1))) {
		*end = pg_number(s, n, i);
		return SQL_TOK_NUMBER;
	}
	if (ident_start(c)) {
		*end = span_ident(s, n, i + 1);
		return SQL_TOK_IDENT;
	}
	if (is_punct(c)) {
		*end = i + 1;
		return SQL_TOK_PUNCT;
	}
	if (pg_op[c] & OP_CHAR) {
		*end = pg_operator(s, n, i, tail, st);
		return SQL_TOK_OPERATOR;
	}
	/* Anything else (a control byte, NUL, '\', '{') is a one-byte token of its own. */
	*end = i + 1;
	return SQL_TOK_OPERATOR;
}

/*
 * MySQL: from the '.' at s[j], the rest of a decimal number. An exponent
 * without digits (1.e, 1.5e+) is swallowed whole, as the server swallows it
 * and hands back only the byte after it: 1.e(0) reaches the parser as (0).
 */
static size_t my_real(const unsigned char *s, size_t n, size_t j)
{
	size_t k = span_digits(s, n, j + 1);

	if (at(s, n, k) != 'e' && at(s, n, k) != 'E')
		return k;
	k++;
	if (at(s, n, k) == '+' || at(s, n, k) == '-')
		k++;
	return span_digits(s, n, k);
}

/*
 * MySQL token starting with a digit. 0x1F, 0b101, 12, 1.5, 1e-3 are numbers
 * (x and b lowercase only); otherwise a run with letters in it is an
 * identifier: 1union, 0x1G and 1ex name columns to MySQL.
 */
static enum sql_tok_kind my_digit(const unsigned char *s, size_t n, size_t i, unsigned int *st, size_t *end)
{
	int c1 = at(s, n, i + 1), c;
	size_t j;

	if (s[i] == '0' && (c1 == 'x' || c1 == 'b')) {
		for (j = i + 2; c1 == 'x' ? is_xdigit(at(s, n, j)) : is_bdigit(at(s, n, j)); j++)
			;
		if (j > i + 2 && !ident_cont(at(s, n, j))) {
			*end = j;
			return SQL_TOK_NUMBER;
		}
		goto ident;
	}
	j = span_digits(s, n, i);
	c = at(s, n, j);
	if (!ident_cont(c)) {
		*end = c == '.' ? my_real(s, n, j) : j;
		return SQL_TOK_NUMBER;
	}
	if (c == 'e' || c == 'E') {
		if (is_digit(at(s, n, j + 1))) {
			*end = span_digits(s, n, j + 1);
			return SQL_TOK_NUMBER;
		}
		if ((at(s, n, j + 1) == '+' || at(s, n, j + 1) == '-') && is_digit(at(s, n, j + 2))) {
			*end = span_digits(s, n, j + 2);
			return SQL_TOK_NUMBER;
		}
	}
ident:
	*end = span_ident(s, n, i);
	*st |= ST_AFTER_IDENT;
	return SQL_TOK_IDENT;
}

/*
 * MySQL block comment from the slash at s[i]. A version comment (slash-star-!
 * with an optional 5- or 6-digit version, MariaDB's slash-star-M-! too) is code
 * whatever the version: only its marker is a comment, and the star-slash that
 * ends it is another. Other block comments do not nest.
 */
static enum sql_tok_kind my_block_comment(const unsigned char *s, size_t n, size_t i, unsigned int *st, size_t *end)
{
	int c2 = at(s, n, i + 2);
	bool maria = c2 == 'M' && at(s, n, i + 3) == '!';
	size_t j, k;

	if (c2 == '!' || maria) {
		j = i + (maria ? 4 : 3);
		for (k = 0; k < 5 && is_digit(at(s, n, j + k)); k++)
			;
		if (k == 5) {
			/* MySQL takes a sixth digit only before a space; MariaDB takes it always. */
			if (is_digit(at(s, n, j + 5)) && (maria || is_space(at(s, n, j + 6))))
				k = 6;
			j += k;
		}
		*st |= ST_VCOMMENT;
		*end = j;
		return SQL_TOK_COMMENT;
	}
	for (j = i + 2; j + 1 < n; j++) {
		if (s[j] == '*' && s[j + 1] == '/') {
			*end = j + 2;
			return SQL_TOK_COMMENT;
		}
	}
	*end = n;
	return SQL_TOK_ERROR;
}

/* Length of the MySQL operator at s[i]: <=> ->> <= >= <> != << >> && || -> or one byte. */
static size_t my_operator(const unsigned char *s, size_t n, size_t i)
{
	static const char ops2[][3] = {"<=", ">=", "<>", "!=", "<<", ">>", "&&", "||", "->"};
	int c = s[i], c1 = at(s, n, i + 1), c2 = at(s, n, i + 2);
	size_t k;

	if ((c == '<' && c1 == '=' && c2 == '>') || (c == '-' && c1 == '>' && c2 == '>'))
		return 3;
	for (k = 0; k < sizeof(ops2) / sizeof(ops2[0]); k++) {
		if (c == ops2[k][0] && c1 == ops2[k][1])
			return 2;
	}
	return 1;
}

static enum sql_tok_kind lex_my(const unsigned char *s, size_t n, size_t i, unsigned int *st, size_t *end)
{
	int c = s[i], c1 = at(s, n, i + 1), c2 = at(s, n, i + 2);
	unsigned int prev = *st;
	bool closed;
	size_t j;

	*st &= ST_VCOMMENT;
	if ((prev & ST_IDENT_NEXT) && ident_cont(c)) {
		/* After "a.", MySQL reads an identifier, never a number or a keyword: t.1e5 is column 1e5. */
		*end = span_ident(s, n, i);
		*st |= ST_AFTER_IDENT;
		return SQL_TOK_IDENT;
	}
	if (is_space(c)) {
		*end = span_space(s, n, i);
		return SQL_TOK_SPACE;
	}
	/* "--" comments only before a space or control byte, or at the end: --1 is minus minus one. */
	if ((c == '-' && c1 == '-' && (c2 < 0 || c2 <= ' ' || c2 == 0x7f)) || c == '#') {
		*end = line_comment(s, n, i, false);
		return SQL_TOK_COMMENT;
	}
	if (c == '/' && c1 == '*')
		return my_block_comment(s, n, i, st, end);
	if (c == '*' && c1 == '/' && (prev & ST_VCOMMENT)) {
		*st &= ~ST_VCOMMENT;
		*end = i + 2;
		return SQL_TOK_COMMENT;
	}
	switch (c) {
	case '\'':
	case '"':
		*end = scan_quoted(s, n, i, c, true, &closed);
		return closed_or_error(SQL_TOK_STRING, closed);
	case '`':
		*end = scan_quoted(s, n, i, '`', false, &closed);
		return closed_or_error(SQL_TOK_QUOTED_IDENT, closed);
	case 'b':
	case 'B':
	case 'x':
	case 'X':
		if (c1 != '\'')
			break;
		*end = scan_bits(s, n, i + 1, &closed);
		return closed_or_error(SQL_TOK_STRING, closed);
	case 'n':
	case 'N':
		if (c1 != '\'')
			break;
		*end = scan_quoted(s, n, i + 1, '\'', true, &closed);
		return closed_or_error(SQL_TOK_STRING, closed);
	case '_':
		/* _utf8mb4'abc': the charset introducer belongs to the literal. */
		j = span_ident(s, n, i + 1);
		if (at(s, n, j) == '\'' || at(s, n, j) == '"') {
			*end = scan_quoted(s, n, j, s[j], true, &closed);
			return closed_or_error(SQL_TOK_STRING, closed);
		}
		*end = j;
		*st |= ST_AFTER_IDENT;
		return SQL_TOK_IDENT;
	case '?':
		*end = i + 1;
		return SQL_TOK_PARAM;
	case ':':
		return colon(s, n, i, false, end);
	case '@':
		*end = i + (c1 == '@' ? 2 : 1);
		return SQL_TOK_OPERATOR;
	case '.':
		if (is_digit(c1) && !(prev & ST_AFTER_IDENT)) {
			*end = my_real(s, n, i);
			return SQL_TOK_NUMBER;
		}
		if (ident_cont(c1))
			*st |= ST_IDENT_NEXT;
		*end = i + 1;
		return SQL_TOK_PUNCT;
	}
	if (is_digit(c))
		return my_digit(s, n, i, st, end);
	if (ident_cont(c)) {
		*end = span_ident(s, n, i + 1);
		*st |= ST_AFTER_IDENT;
		return SQL_TOK_IDENT;
	}
	if (is_punct(c)) {
		*end = i + 1;
		return SQL_TOK_PUNCT;
	}
	/* Operators, and any other byte (NUL, control, '\', '{') as a one-byte token. */
	*end = i + my_operator(s, n, i);
	return SQL_TOK_OPERATOR;
}

void sqllex__init(struct sqllex *lx, const char *s, size_t len, enum sql_dialect dialect)
{
	lx->s = s;
	lx->len = len;
	lx->pos = 0;
	lx->dialect = dialect;
	lx->state = 0;
}

void sqllex__next(struct sqllex *lx, struct sql_tok *tok)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t i = lx->pos, end = 0;
	enum sql_tok_kind kind;

	if (i >= lx->len) {
		lx->pos = lx->len;
		tok->kind = SQL_TOK_END;
		tok->start = lx->len;
		tok->len = 0;
		return;
	}
	if (lx->dialect == SQL_DIALECT_MYSQL)
		kind = lex_my(s, lx->len, i, &lx->state, &end);
	else
		kind = lex_pg(s, lx->len, i, &lx->state, &end);
	tok->kind = kind;
	tok->start = i;
	tok->len = end - i;
	lx->pos = end;
}

/* Append p[0..n) to out as far as it fits, keeping the last byte for the NUL; count it all in *need. */
static void put(char *out, size_t outlen, size_t *need, const char *p, size_t n)
{
	size_t room;

	if (*need < outlen) {
		room = outlen - 1 - *need;
		memcpy(out + *need, p, n < room ? n : room);
	}
	*need += n;
}

size_t sqllex__redact(const char *s, size_t len, enum sql_dialect dialect, char *out, size_t outlen)
{
	struct sqllex lx;
	struct sql_tok tok;
	size_t need = 0;

	sqllex__init(&lx, s, len, dialect);
	for (;;) {
		sqllex__next(&lx, &tok);
		if (tok.kind == SQL_TOK_END)
			break;
		if (tok.kind == SQL_TOK_STRING || tok.kind == SQL_TOK_NUMBER || tok.kind == SQL_TOK_ERROR)
			put(out, outlen, &need, "?", 1);
		else
			put(out, outlen, &need, s + tok.start, tok.len);
	}
	if (outlen > 0)
		out[need < outlen ? need : outlen - 1] = '\0';
	return need;
}

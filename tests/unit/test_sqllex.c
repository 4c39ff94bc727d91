/*
 * Unit tests for agent/sqllex.c. A table of inputs, each lexed in one dialect
 * and compared token by token (kind and exact text) with what the server's
 * own lexer would make of it; a table of redactions, each run at every output
 * length from 0 to one past the full result into an exactly-sized heap buffer
 * (ASan flags a write past it); properties over 10,000 pseudo-random inputs
 * of SQL-ish bytes in every dialect (tokens non-empty, contiguous, in bounds,
 * together the input; redaction consistent with the tokens); and inputs that
 * would take minutes if any scan were quadratic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqllex.h"

#define PG SQL_DIALECT_POSTGRES
#define MY SQL_DIALECT_MYSQL
#define UNK SQL_DIALECT_UNKNOWN

/* An expected token; sizeof keeps embedded NUL bytes in the text. */
struct tokx {
	enum sql_tok_kind kind;
	const char *text;
	size_t len;
};

/* The tables read best one case to a line or two. */
/* clang-format off */
#define T(k, s) { SQL_TOK_##k, s, sizeof(s) - 1 }
#define ID(s) T(IDENT, s)
#define QI(s) T(QUOTED_IDENT, s)
#define STR(s) T(STRING, s)
#define NUM(s) T(NUMBER, s)
#define PAR(s) T(PARAM, s)
#define OP(s) T(OPERATOR, s)
#define PU(s) T(PUNCT, s)
#define CM(s) T(COMMENT, s)
#define SP(s) T(SPACE, s)
#define ER(s) T(ERROR, s)
#define S1 SP(" ")

#define MAX_TOKS 48

struct lex_case {
	const char *name;
	enum sql_dialect dialect;
	const char *in;
	size_t inlen;
	bool all; /* the list holds SPACE tokens too; otherwise they are left out of the comparison */
	struct tokx want[MAX_TOKS];
};

/* Every token, spaces included. */
#define FULL(name, d, in, ...) { name, d, in, sizeof(in) - 1, true, { __VA_ARGS__ } }
/* Every token but the SPACE ones. */
#define NOSP(name, d, in, ...) { name, d, in, sizeof(in) - 1, false, { __VA_ARGS__ } }

static const struct lex_case lex_cases[] = {
	/* ---- both dialects: the classic tautology with comment truncation ---- */
	FULL("pg tautology", PG, "SELECT * FROM users WHERE name = 'x' OR '1'='1' -- '", ID("SELECT"), S1, OP("*"), S1,
	     ID("FROM"), S1, ID("users"), S1, ID("WHERE"), S1, ID("name"), S1, OP("="), S1, STR("'x'"), S1, ID("OR"),
	     S1, STR("'1'"), OP("="), STR("'1'"), S1, CM("-- '")),
	FULL("my tautology", MY, "SELECT * FROM users WHERE name = 'x' OR '1'='1' -- '", ID("SELECT"), S1, OP("*"), S1,
	     ID("FROM"), S1, ID("users"), S1, ID("WHERE"), S1, ID("name"), S1, OP("="), S1, STR("'x'"), S1, ID("OR"),
	     S1, STR("'1'"), OP("="), STR("'1'"), S1, CM("-- '")),
	NOSP("pg stacked query", PG, "SELECT 1; DROP TABLE t", ID("SELECT"), NUM("1"), PU(";"), ID("DROP"), ID("TABLE"),
	     ID("t")),
	NOSP("my union select", MY, "1 UNION ALL SELECT user(),2", NUM("1"), ID("UNION"), ID("ALL"), ID("SELECT"),
	     ID("user"), PU("("), PU(")"), PU(","), NUM("2")),
	NOSP("pg time-based", PG, "1 AND pg_sleep(5) IS NULL", NUM("1"), ID("AND"), ID("pg_sleep"), PU("("), NUM("5"),
	     PU(")"), ID("IS"), ID("NULL")),
	NOSP("my time-based", MY, "1 AND SLEEP(5)#", NUM("1"), ID("AND"), ID("SLEEP"), PU("("), NUM("5"), PU(")"),
	     CM("#")),

	/* ---- PostgreSQL strings ---- */
	FULL("pg backslash does not escape", PG, "'it\\'s' x", STR("'it\\'"), ID("s"), ER("' x")),
	FULL("unknown dialect lexes as pg", UNK, "'it\\'s' x", STR("'it\\'"), ID("s"), ER("' x")),
	FULL("pg E string", PG, "E'it\\'s' x", STR("E'it\\'s'"), S1, ID("x")),
	FULL("pg e string doubled and escaped", PG, "e'a''b\\\\'x", STR("e'a''b\\\\'"), ID("x")),
	FULL("pg E string unterminated", PG, "E'abc\\'", ER("E'abc\\'")),
	FULL("pg doubled quote", PG, "'a''b'''", STR("'a''b'''")),
	FULL("pg dollar empty tag", PG, "$$a 'b' c$$", STR("$$a 'b' c$$")),
	FULL("pg dollar tag", PG, "$fn$ x $f $$ y $fn$;", STR("$fn$ x $f $$ y $fn$"), PU(";")),
	FULL("pg dollar tag is case sensitive", PG, "$q$ abc $Q$", ER("$q$ abc $Q$")),
	FULL("pg dollar unterminated", PG, "x $$ '", ID("x"), S1, ER("$$ '")),
	FULL("pg dollar param", PG, "$1,$23", PAR("$1"), PU(","), PAR("$23")),
	FULL("pg lone dollar", PG, "$a b", OP("$"), ID("a"), S1, ID("b")),
	FULL("pg dollar inside identifier", PG, "a$$b$$ c", ID("a$$b$$"), S1, ID("c")),
	FULL("pg param then identifier", PG, "$1abc", PAR("$1"), ID("abc")),
	FULL("pg dollar after number", PG, "1$$x$$", NUM("1"), STR("$$x$$")),
	NOSP("pg bit and hex strings", PG, "X'AB' b'01' N'x' x'a''b'", STR("X'AB'"), STR("b'01'"), STR("N'x'"),
	     STR("x'a'"), STR("'b'")),
	FULL("pg unicode string", PG, "U&'d\\0061t\\+000061' UESCAPE '!'", STR("U&'d\\0061t\\+000061'"), S1,
	     ID("UESCAPE"), S1, STR("'!'")),
	FULL("pg unicode string ends at quote", PG, "u&'\\' x", STR("u&'\\'"), S1, ID("x")),
	FULL("pg unicode identifier", PG, "U&\"d\\0061t\" u&x", QI("U&\"d\\0061t\""), S1, ID("u"), OP("&"), ID("x")),
	FULL("pg quoted identifiers", PG, "\"a\"\"b\" \"x'y\"", QI("\"a\"\"b\""), S1, QI("\"x'y\"")),
	FULL("pg unterminated quoted identifier", PG, "t.\"abc", ID("t"), PU("."), ER("\"abc")),
	FULL("pg unterminated string", PG, "SELECT 'abc", ID("SELECT"), S1, ER("'abc")),
	FULL("pg string continuation stays two tokens", PG, "'a'\n'b'", STR("'a'"), SP("\n"), STR("'b'")),
	FULL("pg prefix only at token start", PG, "selecte'x'", ID("selecte"), STR("'x'")),

	/* ---- PostgreSQL comments ---- */
	FULL("pg nested comment", PG, "/* a /* b */ c */x", CM("/* a /* b */ c */"), ID("x")),
	FULL("pg nested comment unterminated", PG, "/* a /* b */ c", ER("/* a /* b */ c")),
	FULL("pg comment slash-star-slash", PG, "/*/ x */y", CM("/*/ x */"), ID("y")),
	FULL("pg empty comment", PG, "/**/1", CM("/**/"), NUM("1")),
	FULL("pg dashdash needs no space", PG, "1--x\n2", NUM("1"), CM("--x"), SP("\n"), NUM("2")),
	FULL("pg dashdash ends at CR", PG, "a--x\rb", ID("a"), CM("--x"), SP("\r"), ID("b")),
	FULL("pg hash is an operator", PG, "a #> b # c", ID("a"), S1, OP("#>"), S1, ID("b"), S1, OP("#"), S1,
	     ID("c")),

	/* ---- PostgreSQL numbers ---- */
	NOSP("pg numbers", PG, "1 1.5 .5 1e-3 1E+10 1.e3 12.", NUM("1"), NUM("1.5"), NUM(".5"), NUM("1e-3"),
	     NUM("1E+10"), NUM("1.e3"), NUM("12.")),
	NOSP("pg radix and underscores", PG, "0x1F 0o17 0b101 1_000 0x_ff 1_000.5_5", NUM("0x1F"), NUM("0o17"),
	     NUM("0b101"), NUM("1_000"), NUM("0x_ff"), NUM("1_000.5_5")),
	NOSP("pg number then letters", PG, "1union 1e 0x 1__0 1e+", NUM("1"), ID("union"), NUM("1"), ID("e"), NUM("0"),
	     ID("x"), NUM("1"), ID("__0"), NUM("1"), ID("e"), OP("+")),
	FULL("pg dotdot", PG, "1..10", NUM("1"), OP(".."), NUM("10")),
	FULL("pg negative number", PG, "a=-5", ID("a"), OP("="), OP("-"), NUM("5")),

	/* ---- PostgreSQL operators and parameters ---- */
	FULL("pg cast", PG, "a::int[]", ID("a"), OP("::"), ID("int"), PU("["), PU("]")),
	NOSP("pg multi-char operators", PG, "a<>-1 a@-b a||b j->>'k' a!=b a>=b f(x=>1)", ID("a"), OP("<>"), OP("-"),
	     NUM("1"), ID("a"), OP("@-"), ID("b"), ID("a"), OP("||"), ID("b"), ID("j"), OP("->>"), STR("'k'"),
	     ID("a"), OP("!="), ID("b"), ID("a"), OP(">="), ID("b"), ID("f"), PU("("), ID("x"), OP("=>"), NUM("1"),
	     PU(")")),
	FULL("pg operator cut before comment", PG, "x*/*c*/y=--z", ID("x"), OP("*"), CM("/*c*/"), ID("y"), OP("="),
	     CM("--z")),
	FULL("pg trailing signs split off", PG, "+-+-2", OP("+"), OP("-"), OP("+"), OP("-"), NUM("2")),
	FULL("pg signs split off after an operator", PG, "a<+-+b<=+-c", ID("a"), OP("<"), OP("+"), OP("-"), OP("+"),
	     ID("b"), OP("<="), OP("+"), OP("-"), ID("c")),
	FULL("pg special byte keeps trailing signs", PG, "a~+-b !+", ID("a"), OP("~+-"), ID("b"), S1, OP("!+")),
	FULL("pg signs stop at comment", PG, "1*+--c\n+-/**/-", NUM("1"), OP("*"), OP("+"), CM("--c"), SP("\n"),
	     OP("+"), OP("-"), CM("/**/"), OP("-")),
	NOSP("pg question mark is an operator", PG, "j ? 'k' AND j ?| b", ID("j"), OP("?"), STR("'k'"), ID("AND"),
	     ID("j"), OP("?|"), ID("b")),
	NOSP("pg named parameter and colons", PG, "a = :name AND x[1:2] AND y := 1", ID("a"), OP("="), PAR(":name"),
	     ID("AND"), ID("x"), PU("["), NUM("1"), OP(":"), NUM("2"), PU("]"), ID("AND"), ID("y"), OP(":="),
	     NUM("1")),

	/* ---- PostgreSQL odd bytes ---- */
	NOSP("pg non-ASCII identifiers", PG, "SELECT \xc3\xb1" "ame FROM \"t\xc3\xa4" "ble\"", ID("SELECT"),
	     ID("\xc3\xb1" "ame"), ID("FROM"), QI("\"t\xc3\xa4" "ble\"")),
	FULL("pg high bytes are identifier bytes", PG, "\xff\x80 a\xff", ID("\xff\x80"), S1, ID("a\xff")),
	FULL("pg NUL byte", PG, "a\0b", ID("a"), OP("\0"), ID("b")),
	FULL("pg backslash and brace", PG, "\\x{", OP("\\"), ID("x"), OP("{")),
	FULL("pg all whitespace", PG, " \t\n\r\f\v", SP(" \t\n\r\f\v")),
	FULL("pg empty input", PG, ""),

	/* ---- MySQL strings ---- */
	FULL("my backslash escapes", MY, "'it\\'s' x", STR("'it\\'s'"), S1, ID("x")),
	FULL("my double-quoted strings", MY, "\"a\\\"b\" \"x\"\"y\"", STR("\"a\\\"b\""), S1, STR("\"x\"\"y\"")),
	FULL("my string ends in backslash", MY, "'abc\\'", ER("'abc\\'")),
	FULL("my escaped backslash then quote", MY, "'a\\\\' b", STR("'a\\\\'"), S1, ID("b")),
	NOSP("my hex and bit strings", MY, "X'AB' x'ab' B'01' b'1'", STR("X'AB'"), STR("x'ab'"), STR("B'01'"),
	     STR("b'1'")),
	NOSP("my national strings", MY, "N'abc' n'x\\'y'", STR("N'abc'"), STR("n'x\\'y'")),
	NOSP("my charset introducers", MY, "_utf8mb4'abc' _binary\"x\" _latin1 'y' _x", STR("_utf8mb4'abc'"),
	     STR("_binary\"x\""), ID("_latin1"), STR("'y'"), ID("_x")),
	FULL("my backquoted identifiers", MY, "`a``b`.`c'd`", QI("`a``b`"), PU("."), QI("`c'd`")),
	FULL("my unterminated backquote", MY, "`abc", ER("`abc")),
	FULL("my NUL inside a string", MY, "'a\0b' \0", STR("'a\0b'"), S1, OP("\0")),
	FULL("my double quote is a string (no ANSI_QUOTES)", MY, "\"col\"", STR("\"col\"")),
	FULL("my no dollar quotes", MY, "$a $$ a$b", ID("$a"), S1, ID("$$"), S1, ID("a$b")),

	/* ---- MySQL comments ---- */
	FULL("my dashdash without space is minus minus", MY, "1--x", NUM("1"), OP("-"), OP("-"), ID("x")),
	FULL("my dashdash with space", MY, "1-- x\n2", NUM("1"), CM("-- x"), SP("\n"), NUM("2")),
	FULL("my dashdash before tab and at end", MY, "1--\tx\n--", NUM("1"), CM("--\tx"), SP("\n"), CM("--")),
	FULL("my dashdash before control byte", MY, "1--\x01x", NUM("1"), CM("--\x01x")),
	FULL("my hash comment", MY, "a # b\nc", ID("a"), S1, CM("# b"), SP("\n"), ID("c")),
	FULL("my line comment not ended by CR", MY, "a -- x\rUNION SELECT\nb", ID("a"), S1, CM("-- x\rUNION SELECT"),
	     SP("\n"), ID("b")),
	FULL("my version comment is code", MY, "SELECT 1 /*!50000 UNION*/ SELECT 2", ID("SELECT"), S1, NUM("1"), S1,
	     CM("/*!50000"), S1, ID("UNION"), CM("*/"), S1, ID("SELECT"), S1, NUM("2")),
	FULL("my version comment without version", MY, "/*!UNION*/", CM("/*!"), ID("UNION"), CM("*/")),
	FULL("my version comment six digits", MY, "/*!100100 x*/", CM("/*!100100"), S1, ID("x"), CM("*/")),
	FULL("my version comment five digits then more", MY, "/*!500001x*/", CM("/*!50000"), ID("1x"), CM("*/")),
	FULL("my mariadb version comment", MY, "/*M!100100x */", CM("/*M!100100"), ID("x"), S1, CM("*/")),
	FULL("my comment inside version comment", MY, "/*!50000 a /* c */ b */", CM("/*!50000"), S1, ID("a"), S1,
	     CM("/* c */"), S1, ID("b"), S1, CM("*/")),
	FULL("my version comment literals are code", MY, "/*!'x'*/*2", CM("/*!"), STR("'x'"), CM("*/"), OP("*"),
	     NUM("2")),
	FULL("my star-slash outside a version comment", MY, "2*/3", NUM("2"), OP("*"), OP("/"), NUM("3")),
	FULL("my block comments do not nest", MY, "/* a /* b */ c */", CM("/* a /* b */"), S1, ID("c"), S1, OP("*"),
	     OP("/")),
	FULL("my unterminated comment", MY, "1 /* abc", NUM("1"), S1, ER("/* abc")),
	FULL("my optimizer hint is a comment", MY, "/*+ BKA(t) */", CM("/*+ BKA(t) */")),

	/* ---- MySQL numbers and identifiers ---- */
	NOSP("my numbers", MY, "1 1.5 .5 1e-3 1E+10 0x1F 0b101 12.", NUM("1"), NUM("1.5"), NUM(".5"), NUM("1e-3"),
	     NUM("1E+10"), NUM("0x1F"), NUM("0b101"), NUM("12.")),
	NOSP("my digit-led identifiers", MY, "1union 0x1G 0X1F 0b2 0x 1e 1e+x", ID("1union"), ID("0x1G"), ID("0X1F"),
	     ID("0b2"), ID("0x"), ID("1e"), ID("1e"), OP("+"), ID("x")),
	FULL("my float then identifier", MY, "1e5x 1.5e3y", NUM("1e5"), ID("x"), S1, NUM("1.5e3"), ID("y")),
	FULL("my malformed exponent swallowed", MY, "1.e(0)union", NUM("1.e"), PU("("), NUM("0"), PU(")"),
	     ID("union")),
	FULL("my identifier after dot", MY, "t.1e5 db.t.c", ID("t"), PU("."), ID("1e5"), S1, ID("db"), PU("."), ID("t"),
	     PU("."), ID("c")),
	FULL("my dot after backquote", MY, "`t`.5", QI("`t`"), NUM(".5")),
	FULL("my prefix letter after dot is an identifier", MY, "t.x'41'", ID("t"), PU("."), ID("x"), STR("'41'")),
	FULL("my negative number", MY, "a=-5", ID("a"), OP("="), OP("-"), NUM("5")),

	/* ---- MySQL operators and parameters ---- */
	NOSP("my operators", MY, "<=> ->> -> <= >= <> != << >> && || := ! ~ ^ % | &", OP("<=>"), OP("->>"), OP("->"),
	     OP("<="), OP(">="), OP("<>"), OP("!="), OP("<<"), OP(">>"), OP("&&"), OP("||"), OP(":="), OP("!"),
	     OP("~"), OP("^"), OP("%"), OP("|"), OP("&")),
	FULL("my json path", MY, "c->>'$.a'", ID("c"), OP("->>"), STR("'$.a'")),
	NOSP("my parameters", MY, "a=? AND b = :b", ID("a"), OP("="), PAR("?"), ID("AND"), ID("b"), OP("="), PAR(":b")),
	FULL("my variables", MY, "@@version @v", OP("@@"), ID("version"), S1, OP("@"), ID("v")),
	FULL("my no pg cast", MY, "a::b", ID("a"), OP(":"), PAR(":b")),
	NOSP("my non-ASCII identifiers", MY, "SELECT \xc3\xb1 FROM \xc3\xbc" "ber", ID("SELECT"), ID("\xc3\xb1"),
	     ID("FROM"), ID("\xc3\xbc" "ber")),
	FULL("my NUL byte alone", MY, "\0", OP("\0")),
};
/* clang-format on */

/* s as a C-ish literal, for failure messages. */
static const char *show(const char *s, size_t n)
{
	static char buf[4][512];
	static int which;
	char *b = buf[which++ % 4];
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < sizeof(buf[0]); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			b[o++] = (char)c;
		else
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "\\x%02x", c);
	}
	b[o] = '\0';
	return b;
}

/*
 * Lex in[0..n) to the end and check the tokens cover it exactly, in order,
 * none empty; returns how many. The lexer reads a heap copy of exactly n
 * bytes, so ASan flags any read past the end.
 */
static size_t lex_all(const char *in, size_t n, enum sql_dialect d, struct sql_tok *toks, size_t max, const char *name)
{
	struct sqllex lx;
	struct sql_tok tok;
	size_t count = 0, pos = 0;
	char *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	memcpy(copy, in, n);
	sqllex__init(&lx, copy, n, d);
	for (;;) {
		sqllex__next(&lx, &tok);
		if (tok.kind == SQL_TOK_END)
			break;
		if (tok.start != pos || tok.len == 0 || tok.len > n - pos)
			fail_msg("%s: token %zu at %zu+%zu, want start %zu, non-empty, within %zu", name, count,
				 tok.start, tok.len, pos, n);
		if (tok.kind < SQL_TOK_IDENT || tok.kind > SQL_TOK_ERROR)
			fail_msg("%s: token %zu has kind %d", name, count, (int)tok.kind);
		if (tok.kind == SQL_TOK_ERROR && tok.start + tok.len != n)
			fail_msg("%s: error token %zu does not run to the end", name, count);
		if (count < max)
			toks[count] = tok;
		count++;
		pos += tok.len;
	}
	if (pos != n || tok.start != n || tok.len != 0)
		fail_msg("%s: END at %zu+%zu after covering %zu of %zu bytes", name, tok.start, tok.len, pos, n);
	/* And END forever after. */
	sqllex__next(&lx, &tok);
	if (tok.kind != SQL_TOK_END || tok.start != n || tok.len != 0)
		fail_msg("%s: second END is kind %d at %zu+%zu", name, (int)tok.kind, tok.start, tok.len);
	free(copy);
	return count;
}

static void test_lex_table(void **state)
{
	static const char *const kind_name[] = {"END",	    "IDENT", "QUOTED_IDENT", "STRING", "NUMBER", "PARAM",
						"OPERATOR", "PUNCT", "COMMENT",	     "SPACE",  "ERROR"};
	struct sql_tok toks[256];
	size_t c, i, w, n;

	for (c = 0; c < sizeof(lex_cases) / sizeof(lex_cases[0]); c++) {
		const struct lex_case *lc = &lex_cases[c];

		n = lex_all(lc->in, lc->inlen, lc->dialect, toks, 256, lc->name);
		assert_true(n <= 256);
		for (i = 0, w = 0; i < n; i++) {
			const struct sql_tok *t = &toks[i];
			const struct tokx *x = &lc->want[w];

			if (!lc->all && t->kind == SQL_TOK_SPACE)
				continue;
			if (w >= MAX_TOKS || x->kind == SQL_TOK_END)
				fail_msg("%s: extra token %zu %s \"%s\"", lc->name, i, kind_name[t->kind],
					 show(lc->in + t->start, t->len));
			if (t->kind != x->kind || t->len != x->len || memcmp(lc->in + t->start, x->text, x->len) != 0)
				fail_msg("%s: token %zu is %s \"%s\", want %s \"%s\"", lc->name, w, kind_name[t->kind],
					 show(lc->in + t->start, t->len), kind_name[x->kind], show(x->text, x->len));
			w++;
		}
		if (w < MAX_TOKS && lc->want[w].kind != SQL_TOK_END)
			fail_msg("%s: input ended, still want %s \"%s\"", lc->name, kind_name[lc->want[w].kind],
				 show(lc->want[w].text, lc->want[w].len));
	}
	/* The table is as big as it claims to be. */
	assert_true(c >= 60);
}

/* A lexer keeps its MySQL context to itself, and sqllex__init() forgets it. */
static void test_state_per_lexer(void **state)
{
	static const char a[] = "/*!a*/", b[] = "b*/", c[] = "/*!x";
	struct sqllex la, lb;
	struct sql_tok ta, tb;

	sqllex__init(&la, a, sizeof(a) - 1, MY);
	sqllex__init(&lb, b, sizeof(b) - 1, MY);
	sqllex__next(&la, &ta); /* the marker: la is now inside a version comment */
	assert_int_equal(ta.kind, SQL_TOK_COMMENT);
	sqllex__next(&lb, &tb); /* b */
	sqllex__next(&lb, &tb); /* lb is in no comment: '*' is an operator */
	assert_int_equal(tb.kind, SQL_TOK_OPERATOR);
	assert_int_equal(tb.len, 1);
	sqllex__next(&la, &ta); /* a */
	sqllex__next(&la, &ta); /* la still is: star-slash closes it */
	assert_int_equal(ta.kind, SQL_TOK_COMMENT);
	assert_int_equal(ta.len, 2);

	/* Re-initialised while inside a version comment, the lexer starts afresh. */
	sqllex__init(&la, c, sizeof(c) - 1, MY);
	sqllex__next(&la, &ta);
	assert_int_equal(ta.kind, SQL_TOK_COMMENT);
	sqllex__init(&la, b + 1, 2, MY);
	sqllex__next(&la, &ta);
	assert_int_equal(ta.kind, SQL_TOK_OPERATOR);
	assert_int_equal(ta.len, 1);
}

struct redact_case {
	const char *name;
	enum sql_dialect dialect;
	const char *in;
	size_t inlen;
	const char *want;
	size_t wantlen;
};

/* clang-format off */
#define R(name, d, in, want) { name, d, in, sizeof(in) - 1, want, sizeof(want) - 1 }

static const struct redact_case redact_cases[] = {
	R("pg basic", PG, "SELECT * FROM t WHERE a = 'x' AND b = 42", "SELECT * FROM t WHERE a = ? AND b = ?"),
	R("my basic", MY, "SELECT * FROM t WHERE a = 'x' AND b = 42", "SELECT * FROM t WHERE a = ? AND b = ?"),
	R("pg params kept", PG, "SELECT $1, $2 FROM t WHERE a = 'x' AND b = :b", "SELECT $1, $2 FROM t WHERE a = ? AND b = :b"),
	R("my params kept", MY, "UPDATE t SET a = ? WHERE b = :b AND c = 1", "UPDATE t SET a = ? WHERE b = :b AND c = ?"),
	R("pg comments kept", PG, "SELECT 1 /* c 'x' */ -- 'y'", "SELECT ? /* c 'x' */ -- 'y'"),
	R("my comments kept", MY, "SELECT 1 # 'x'\n/* 2 */", "SELECT ? # 'x'\n/* 2 */"),
	R("pg unterminated string", PG, "SELECT * FROM t WHERE a = 'secret", "SELECT * FROM t WHERE a = ?"),
	R("my unterminated string", MY, "SELECT 'a\\' secret", "SELECT ?"),
	R("pg unterminated comment", PG, "SELECT 1 /* x /* y */", "SELECT ? ?"),
	R("my backslash escapes", MY, "WHERE a = 'it\\'s' AND b = \"x\\\"y\"", "WHERE a = ? AND b = ?"),
	R("pg backslash is literal", PG, "WHERE a = 'it\\'s'", "WHERE a = ?s?"),
	R("pg dollar quotes", PG, "DO $body$ BEGIN PERFORM 'x'; END $body$; SELECT $$s$$",
	  "DO ?; SELECT ?"),
	R("pg E string", PG, "a = E'it\\'s' OR b = e'\\\\'", "a = ? OR b = ?"),
	R("pg negative number keeps its sign", PG, "a = -5 AND b=-1.5e3", "a = -? AND b=-?"),
	R("my negative number keeps its sign", MY, "a = -5", "a = -?"),
	R("my hex, bit and introduced strings", MY, "0x1F X'AB' b'01' _utf8mb4'x' N'y'", "? ? ? ? ?"),
	R("pg bit, hex and unicode strings", PG, "X'AB' B'01' U&'\\0061' 0x1F", "? ? ? ?"),
	R("my version comment code redacted", MY, "/*!50000 SELECT 'x' */", "/*!50000 SELECT ? */"),
	R("my digit-led identifiers kept", MY, "t.1e5 = 1e5 AND 1col = 1", "t.1e5 = ? AND 1col = ?"),
	R("pg cast and quoted identifier kept", PG, "\"x'y\"::int = '1'", "\"x'y\"::int = ?"),
	R("pg in list", PG, "a IN (1, 2.5, 'x')", "a IN (?, ?, ?)"),
	R("pg empty", PG, "", ""),
	R("my embedded NUL bytes", MY, "a\0'x\0y'\0b", "a\0?\0b"),
	R("my unterminated backquote", MY, "SELECT `a", "SELECT ?"),
};
/* clang-format on */

static void check_redact(const struct redact_case *rc)
{
	char *buf;
	size_t len, got, cut;

	/* Every output length from 0 to one past the full result, each into an exactly-sized heap buffer. */
	for (len = 0; len <= rc->wantlen + 1; len++) {
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memset(buf, 'Z', len ? len : 1);
		got = sqllex__redact(rc->in, rc->inlen, rc->dialect, buf, len);
		if (got != rc->wantlen)
			fail_msg("%s: len %zu returns %zu, want %zu", rc->name, len, got, rc->wantlen);
		if (len == 0) {
			if (buf[0] != 'Z')
				fail_msg("%s: length 0 wrote a byte", rc->name);
		} else {
			cut = rc->wantlen < len ? rc->wantlen : len - 1;
			if (memcmp(buf, rc->want, cut) != 0 || buf[cut] != '\0')
				fail_msg("%s: len %zu gives \"%s\", want \"%s\" and a NUL", rc->name, len,
					 show(buf, cut), show(rc->want, cut));
		}
		free(buf);
	}
}

static void test_redact_table(void **state)
{
	size_t c;

	for (c = 0; c < sizeof(redact_cases) / sizeof(redact_cases[0]); c++)
		check_redact(&redact_cases[c]);
}

/* xorshift64*: fixed seed, same inputs on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const char alphabet[] = "'\"`\\$$--##//**!:.;(),=<>?@_&+|~^%[]"
			       "eExXbBnNuUMaqz019_ \t\n\r"
			       "\0\xff\x80";

#define RANDOM_INPUTS 10000

/*
 * 10,000 pseudo-random inputs, each lexed in all three dialects: the tokens
 * tile the input (lex_all), their texts put together give the input back,
 * and redaction agrees with the tokens at a random output length. Also checks
 * the inputs are rich enough to produce every token kind in each dialect.
 */
static void test_random_inputs(void **state)
{
	static const enum sql_dialect dialects[] = {PG, MY, UNK};
	static struct sql_tok toks[1024];
	char in[600], cat[600], full[600], *buf, *copy = NULL;
	size_t r, n, i, k, d, count, need, got, len, cut;
	unsigned int seen[3] = {0, 0, 0};

	for (r = 0; r < RANDOM_INPUTS; r++) {
		n = r % 100 == 0 ? rng() % 512 : rng() % 48;
		free(copy);
		copy = malloc(n ? n : 1); /* exactly n bytes: ASan flags a read past them */
		assert_non_null(copy);
		for (i = 0; i < n; i++)
			in[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
		for (d = 0; d < 3; d++) {
			count = lex_all(in, n, dialects[d], toks, 1024, show(in, n));
			assert_true(count <= n);
			need = 0;
			for (k = 0, len = 0; k < count; k++) {
				seen[d] |= 1u << toks[k].kind;
				memcpy(cat + len, in + toks[k].start, toks[k].len);
				len += toks[k].len;
				if (toks[k].kind == SQL_TOK_STRING || toks[k].kind == SQL_TOK_NUMBER ||
				    toks[k].kind == SQL_TOK_ERROR) {
					full[need++] = '?';
				} else {
					memcpy(full + need, in + toks[k].start, toks[k].len);
					need += toks[k].len;
				}
			}
			if (len != n || memcmp(cat, in, n) != 0)
				fail_msg("dialect %d: tokens of \"%s\" put together differ", (int)dialects[d],
					 show(in, n));
			/*
			 * PostgreSQL tokens depend on what follows only: a fresh lexer
			 * started at any token finds that same token (this checks the
			 * count of split-off signs carried between tokens).
			 */
			for (k = 0; dialects[d] != MY && k < count; k++) {
				struct sqllex fresh;
				struct sql_tok ft;

				memcpy(copy, in, n);
				sqllex__init(&fresh, copy + toks[k].start, n - toks[k].start, dialects[d]);
				sqllex__next(&fresh, &ft);
				if (ft.kind != toks[k].kind || ft.len != toks[k].len)
					fail_msg("dialect %d: \"%s\" token %zu is %d+%zu, but %d+%zu lexed afresh",
						 (int)dialects[d], show(in, n), k, (int)toks[k].kind, toks[k].len,
						 (int)ft.kind, ft.len);
			}

			len = rng() % (need + 2);
			buf = malloc(len ? len : 1);
			assert_non_null(buf);
			memcpy(copy, in, n);
			got = sqllex__redact(copy, n, dialects[d], buf, len);
			if (got != need)
				fail_msg("dialect %d: redact(\"%s\") returns %zu, want %zu", (int)dialects[d],
					 show(in, n), got, need);
			if (len > 0) {
				cut = need < len ? need : len - 1;
				if (memcmp(buf, full, cut) != 0 || buf[cut] != '\0')
					fail_msg("dialect %d: redact(\"%s\") at len %zu gives \"%s\", want \"%s\"",
						 (int)dialects[d], show(in, n), len, show(buf, cut), show(full, cut));
			}
			free(buf);
		}
	}
	free(copy);
	for (d = 0; d < 3; d++) {
		for (k = SQL_TOK_IDENT; k <= SQL_TOK_ERROR; k++) {
			if (!(seen[d] & (1u << k)))
				fail_msg("dialect %d: no token of kind %zu in %d random inputs", (int)dialects[d], k,
					 RANDOM_INPUTS);
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BIG (1u << 20)

/*
 * Inputs that make a careless scanner quadratic (a trillion steps at this
 * size): each must lex in well under the bound, with the expected shape.
 */
static void test_linear_time(void **state)
{
	struct {
		const char *name;
		enum sql_dialect dialect;
		const char *head, *unit, *tail;
		size_t want_tokens; /* 0: one per byte */
		enum sql_tok_kind last;
	} cases[] = {
	    {"pg +- run", PG, "", "+-", "", 0, SQL_TOK_OPERATOR},
	    {"pg < run", PG, "", "<", "", 1, SQL_TOK_OPERATOR},
	    {"pg +- tail after <", PG, "<", "+-", "", 0, SQL_TOK_OPERATOR},
	    {"pg dollar tag near misses", PG, "$abcdefgh$", "$abcdefg", "", 1, SQL_TOK_ERROR},
	    {"pg nested comments", PG, "", "/*", "", 1, SQL_TOK_ERROR},
	    {"pg E string escapes", PG, "E'", "\\'", "", 1, SQL_TOK_ERROR},
	    {"pg doubled quotes", PG, "'", "''", "", 1, SQL_TOK_ERROR},
	    {"my digits then letter", MY, "", "11", "x", 1, SQL_TOK_IDENT},
	    {"my unterminated comment", MY, "/*", "*", "", 1, SQL_TOK_ERROR},
	    {"my dotted identifiers", MY, "", "a.", "", 0, SQL_TOK_PUNCT},
	    {"my minus plus run", MY, "", "-+", "", 0, SQL_TOK_OPERATOR},
	};
	static char in[BIG + 16], out[BIG + 16];
	struct sqllex lx;
	struct sql_tok tok, last = {SQL_TOK_END, 0, 0};
	size_t c, n, count, hl, ul;
	double t0, dt;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		hl = strlen(cases[c].head);
		ul = strlen(cases[c].unit);
		memcpy(in, cases[c].head, hl);
		for (n = hl; n + ul <= BIG; n += ul)
			memcpy(in + n, cases[c].unit, ul);
		memcpy(in + n, cases[c].tail, strlen(cases[c].tail));
		n += strlen(cases[c].tail);

		t0 = now();
		sqllex__init(&lx, in, n, cases[c].dialect);
		for (count = 0;; count++) {
			sqllex__next(&lx, &tok);
			if (tok.kind == SQL_TOK_END)
				break;
			last = tok;
			/* Give up early rather than hang when something is quadratic. */
			if (count % 4096 == 0 && now() - t0 > 2.0)
				fail_msg("%s: still lexing after 2 s, at byte %zu of %zu", cases[c].name, tok.start, n);
		}
		sqllex__redact(in, n, cases[c].dialect, out, BIG + 16);
		dt = now() - t0;
		if (dt > 2.0)
			fail_msg("%s: %zu bytes took %.2f s", cases[c].name, n, dt);
		if (count != (cases[c].want_tokens ? cases[c].want_tokens : n) || last.kind != cases[c].last)
			fail_msg("%s: %zu tokens, last of kind %d", cases[c].name, count, (int)last.kind);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lex_table),	 cmocka_unit_test(test_state_per_lexer),
	    cmocka_unit_test(test_redact_table), cmocka_unit_test(test_random_inputs),
	    cmocka_unit_test(test_linear_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

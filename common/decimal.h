/*
 * decimal.h - exact fixed-point decimal numbers.
 *
 * A decimal is sign * coef / 10^scale with 0 <= coef < 10^38 and
 * 0 <= scale <= DEC_MAX_SCALE: up to 38 significant digits, which is what
 * money and counts need to add up to the cent.  Operations follow SQL
 * numeric: a sum keeps the larger scale (0.10 + 0.2 = 0.30), a product the sum
 * of the scales (19.99 * 3 = 59.97).  Every operation either gives the exact
 * result or returns DEC_INEXACT and leaves the result undefined: the caller
 * then falls back to binary floating point (CONVENTIONS section 1).  Nothing
 * is ever rounded silently.
 *
 * The value is a plain struct, no allocation: copy it freely.
 *
 * Numbers beyond the type are kept as their text; struct dec_text takes such
 * a text apart in place, and dec_text_cmp() is the one exact order of number
 * texts of any size (hash.c's and the expression language's).
 */
#ifndef ETL_DECIMAL_H
#define ETL_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#define DEC_MAX_DIGITS 38
#define DEC_MAX_SCALE 38
/* Longest text dec_format() writes, with sign, point, leading "0." and NUL. */
#define DEC_BUFSZ 80

typedef struct {
	unsigned __int128 coef; /* < 10^38 */
	int16_t scale;          /* digits after the point, 0..DEC_MAX_SCALE */
	uint8_t neg;            /* 1 when negative; never set when coef == 0 */
} dec_t;

enum { DEC_OK = 0, DEC_INEXACT = 1, DEC_SYNTAX = 2 };

/* Parse JSON number text (also a leading '+' is refused, as in JSON; an
 * exponent is applied exactly: "1.5e2" is 150, scale 0; "1e-3" is 0.001).
 * DEC_SYNTAX when s is not a JSON number, DEC_INEXACT when it is one but
 * needs more than 38 digits or a scale beyond DEC_MAX_SCALE. Trailing zeros
 * after the point are kept as scale ("2.50" has scale 2). */
int dec_parse(dec_t *d, const char *s, size_t n);
/* Like dec_parse but also accepts a leading '+' and leading zeros ("007",
 * "+1.5", ".5" and "5." are refused still): for CSV and cast input. */
int dec_parse_lenient(dec_t *d, const char *s, size_t n);
void dec_from_i64(dec_t *d, int64_t v);
int dec_add(dec_t *r, const dec_t *a, const dec_t *b);
int dec_sub(dec_t *r, const dec_t *a, const dec_t *b);
int dec_mul(dec_t *r, const dec_t *a, const dec_t *b);
/* -1, 0, 1: exact comparison whatever the scales (1.0 == 1.00). */
int dec_cmp(const dec_t *a, const dec_t *b);
void dec_neg(dec_t *d);
/* Change the scale; DEC_INEXACT if that would drop nonzero digits or overflow. */
int dec_rescale(dec_t *d, int scale);
/* Drop trailing fractional zeros (2.50 -> 2.5, 3.000 -> 3): the canonical
 * form used for keys, so that 1.0 and 1.00 compare and hash alike. */
void dec_normalize(dec_t *d);
/* Round half away from zero to scale digits (0 <= scale < d->scale; a
 * negative scale counts as 0), for round(). */
void dec_round(dec_t *d, int scale);
/* Plain notation, never an exponent: "-12.50", "0.001", "0". Writes a NUL;
 * returns the length. buf must hold DEC_BUFSZ bytes. */
size_t dec_format(const dec_t *d, char *buf);
double dec_to_double(const dec_t *d);
/* 1 and the value if d is an integer that fits int64_t, else 0. */
int dec_to_i64(const dec_t *d, int64_t *v);

/*
 * Number text of any size taken apart without a copy: a JSON number, also
 * with a leading '+' or leading zeros (what dec_parse_lenient() accepts), or
 * printf's "%e" output.  The digits of the integer and of the fraction form
 * one sequence, numbered from 0; the exponent's digits are kept as text,
 * however many there are.
 */
struct dec_text {
	const char *ip, *fp; /* the integer's and the fraction's digits */
	size_t nint, nfrac;
	const char *ep; /* the exponent's digits, without leading zeros */
	size_t ne;
	int neg, eneg;
	size_t z, last; /* the first and the last nonzero digit; z == nint + nfrac for 0 */
};

/* The exponent has more digits than this: dec_text_place() saturates. */
#define DEC_TEXT_EXP_DIGITS 30

/* Take the text apart; it must be a number, as described above. */
void dec_text_parse(struct dec_text *m, const char *s, size_t n);

/* Digit i of the sequence, as a character. */
static inline char dec_text_digit(const struct dec_text *m, size_t i)
{
	return i < m->nint ? m->ip[i] : m->fp[i - m->nint];
}

/* The power of ten of digit i: the exponent + nint - 1 - i.  1 when exact;
 * 0 when the exponent has more than DEC_TEXT_EXP_DIGITS digits, and *p is
 * then +-10^32 + nint - 1 - i (the exponent's sign): further from 0 than any
 * exact power, so comparisons with those, or with a digit count, hold. */
int dec_text_place(const struct dec_text *m, size_t i, __int128 *p);

/* Exact order of two number texts (as above), whatever their size and the
 * size of their exponents: -1, 0, 1.  No allocation. */
int dec_text_cmp(const char *a, size_t na, const char *b, size_t nb);

#endif

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

#endif

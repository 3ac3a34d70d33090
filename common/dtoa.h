/*
 * dtoa.h - shortest round-trip printing of doubles.
 *
 * dtoa_shortest() writes the shortest decimal text that reads back (strtod)
 * to exactly the same double: 0.1 + 0.2 prints 0.30000000000000004, 68.16
 * prints 68.16, never 68.159999999999997.  The form is JSON: positional when
 * 1e-6 <= |v| < 1e21 ("1e+21" above, "1e-7" below, like JavaScript), "-0" for negative zero.  Non-finite values cannot be JSON:
 * dtoa_shortest() returns 0 for them and writes nothing.
 */
#ifndef ETL_DTOA_H
#define ETL_DTOA_H

#include <stddef.h>

#define DTOA_BUFSZ 32

/* Returns the length written (NUL-terminated), or 0 for NaN and infinities. */
size_t dtoa_shortest(double v, char *buf);

#endif

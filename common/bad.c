/*
 * bad.c - the bad-record policy (bad.h).  Every bad record, whatever found
 * it (the scanner, a CSV row of the wrong width, a program's own check), goes
 * through bad_record(), so "nothing is lost silently" is enforced here: it is
 * fatal, or counted and reported, or written to the reject file.
 */
#include "bad.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "cli.h"
#include "die.h"
#include "jsonw.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

static enum { BAD_FAIL, BAD_SKIP, BAD_FILE } mode = BAD_FAIL;
static const char *reject_path;
static FILE *reject;
static uint64_t count, max_abs;
static double max_pct;
static int max_kind; /* 0 none, 1 absolute, 2 percent */
static struct buf line = BUF_INIT;

static size_t digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* N (digits only) or N% (digits, optionally a point and digits, at most
 * 100): strtod alone would also take blanks, signs, hex, exponents, "nan"
 * and "inf". */
static void parse_max_bad(const char *arg)
{
	size_t n = digits(arg);

	if (n && !arg[n]) {
		errno = 0;
		max_abs = strtoull(arg, NULL, 10);
		if (errno == ERANGE)
			cli_usage_error("--max-bad", "too large: '%s'", arg);
		max_kind = 1;
		return;
	}
	if (n && arg[n] == '.' && digits(arg + n + 1))
		n += 1 + digits(arg + n + 1);
	if (!n || strcmp(arg + n, "%") != 0 || (max_pct = strtod(arg, NULL)) > 100)
		cli_usage_error("--max-bad", "expected a count N or a percentage N%%, got '%s'",
				arg);
	max_kind = 2;
}

void bad_setup(const char *policy, const char *max_bad)
{
	if (!policy || strcmp(policy, "fail") == 0) {
		mode = BAD_FAIL;
	} else if (strcmp(policy, "skip") == 0) {
		mode = BAD_SKIP;
	} else if (!*policy) {
		cli_usage_error("--bad-records", "expected fail, skip or a file name");
	} else {
		mode = BAD_FILE;
		reject_path = policy;
	}
	if (max_bad) {
		parse_max_bad(max_bad);
		if (mode == BAD_FAIL)
			cli_usage_error("--max-bad", "needs --bad-records skip or FILE");
	}
}

static void write_reject(const char *file, uint64_t lineno, unsigned long col, const char *raw,
			 size_t rawlen, const char *msg)
{
	if (!reject) {
		reject = fopen(reject_path, "a");
		if (!reject)
			etl_die(ETL_EXIT_IOERR, reject_path, "cannot open reject file: %s",
				strerror(errno));
		/* each line goes out as it is made: a run ended by a signal
		 * (which cannot flush stdio) loses none of its rejects */
		setvbuf(reject, NULL, _IOLBF, 0);
	}
	buf_reset(&line);
	buf_adds(&line, "{\"file\":");
	jw_string(&line, file, strlen(file));
	buf_printf(&line, ",\"line\":%llu", (unsigned long long)lineno);
	if (col)
		buf_printf(&line, ",\"column\":%lu", col);
	buf_adds(&line, ",\"error\":");
	/* the message was cut to fit bad_record()'s buffer, maybe inside a
	 * character, or quotes bytes that are not UTF-8: the line must stay
	 * valid JSON whatever it holds */
	jw_string(&line, msg, utf8_valid_prefix(msg, strlen(msg)));
	if (raw && utf8_valid(raw, rawlen)) {
		buf_adds(&line, ",\"raw\":");
		jw_string(&line, raw, rawlen);
	} else if (raw) {
		buf_adds(&line, ",\"raw_base64\":\"");
		b64_encode(&line, raw, rawlen);
		buf_addc(&line, '"');
	}
	buf_adds(&line, "}\n");
	if (fwrite(line.p, 1, line.len, reject) != line.len)
		etl_die(ETL_EXIT_IOERR, reject_path, "write error: %s", strerror(errno));
}

void bad_record(const char *file, uint64_t lineno, unsigned long col, const char *raw,
		size_t rawlen, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	count++;
	stats.bad++;
	switch (mode) {
	case BAD_FAIL:
		etl_die(ETL_EXIT_DATA, etl_where(file, lineno, col), "%s", msg);
	case BAD_SKIP:
		if (count == 1)
			etl_warn(etl_where(file, lineno, col),
				 "%s (skipped; further bad records "
				 "are counted)",
				 msg);
		break;
	case BAD_FILE:
		write_reject(file, lineno, col, raw, rawlen, msg);
		break;
	}
	if (max_kind == 1 && count > max_abs)
		etl_die(ETL_EXIT_CHECK, etl_where(file, lineno, col),
			"too many bad records: more than %llu (--max-bad)",
			(unsigned long long)max_abs);
}

uint64_t bad_count(void)
{
	return count;
}

int bad_over_limit(void)
{
	return max_kind == 2 && stats.records_in &&
	       (double)count * 100.0 > max_pct * (double)stats.records_in;
}

void bad_flush(void)
{
	if (reject && fflush(reject) != 0)
		etl_die(ETL_EXIT_IOERR, reject_path, "write error: %s", strerror(errno));
}

int bad_finish(void)
{
	if (reject && fclose(reject) != 0) {
		reject = NULL;
		etl_die(ETL_EXIT_IOERR, reject_path, "write error: %s", strerror(errno));
	}
	reject = NULL;
	buf_release(&line);
	if (count && mode == BAD_SKIP)
		etl_warn(NULL, "%llu bad record%s skipped", (unsigned long long)count,
			 count == 1 ? "" : "s");
	else if (count && mode == BAD_FILE)
		etl_warn(NULL, "%llu bad record%s written to %s", (unsigned long long)count,
			 count == 1 ? "" : "s", reject_path);
	if (bad_over_limit()) {
		etl_error(NULL,
			  "too many bad records: %llu of %llu (%.2f%%) exceeds --max-bad %g%%",
			  (unsigned long long)count, (unsigned long long)stats.records_in,
			  100.0 * count / stats.records_in, max_pct);
		return ETL_EXIT_CHECK;
	}
	return 0;
}

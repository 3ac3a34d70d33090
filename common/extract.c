/*
 * extract.c - what the database sources share (extract.h).
 *
 * The programs keep their own SQL: how a watermark is bound and compared,
 * how a row is hashed into a slice, how values become JSON.  What is here
 * is what the options mean, so that the two sources cannot drift apart:
 * the same checks, the same messages, the same ORDER BY.
 */
#include "extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "banned.h"

struct extract_opts xo;

static void partition(const char *arg)
{
	/* digits only: strtol alone would take blanks and signs */
	size_t nk = strspn(arg, "0123456789");
	size_t nn = strspn(arg + nk + (arg[nk] == '/'), "0123456789");

	if (!nk || arg[nk] != '/' || !nn || arg[nk + 1 + nn])
		cli_usage_error(cli_optname, "expected K/N, got '%s'", arg);
	errno = 0;
	xo.part_k = strtol(arg, NULL, 10);
	xo.part_n = strtol(arg + nk + 1, NULL, 10);
	if (errno == ERANGE)
		cli_usage_error(cli_optname, "too large: '%s'", arg);
	if (xo.part_n < 1 || xo.part_k < 1 || xo.part_k > xo.part_n)
		cli_usage_error(cli_optname, "expected K/N with 1 <= K <= N, got '%s'", arg);
}

int extract_opt(int id, const char *arg)
{
	switch (id) {
	case EXTRACT_OPT_TABLE:
		xo.table = arg;
		break;
	case EXTRACT_OPT_QUERY:
		xo.query = arg;
		break;
	case EXTRACT_OPT_FILE:
		xo.file = arg;
		break;
	case EXTRACT_OPT_SINCE_COL:
		xo.since_col = arg;
		break;
	case EXTRACT_OPT_SINCE:
		xo.since = arg;
		break;
	case EXTRACT_OPT_ORDER:
		xo.order_by = arg;
		break;
	case EXTRACT_OPT_PART:
		partition(arg);
		break;
	case EXTRACT_OPT_PART_COL:
		xo.part_col = arg;
		break;
	default:
		return 0;
	}
	return 1;
}

void extract_check(void)
{
	if (!!xo.table + !!xo.query + !!xo.file != 1)
		cli_usage_error(NULL, "give one of --table, --query and --file");
	if (xo.since && !xo.since_col)
		cli_usage_error("--since", "needs --since-column");
	if (!!xo.part_n != !!xo.part_col)
		cli_usage_error(xo.part_n ? "--partition" : "--partition-column",
				"--partition and --partition-column go together");
}

int extract_has_since(void)
{
	return xo.since_col && xo.since && *xo.since;
}

static char *read_sql(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		etl_die(ETL_EXIT_IOERR, path, "cannot open: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f))
		etl_die(ETL_EXIT_IOERR, path, "read error: %s", strerror(errno));
	fclose(f);
	return buf_detach(&b, NULL);
}

char *extract_source_sql(enum extract_dialect d)
{
	char *s = xo.query ? xstrdup(xo.query) : read_sql(xo.file);

	if (!extract_trim_sql(s, d)) {
		free(s);
		cli_usage_error(xo.query ? "--query" : "--file", "the query is empty");
	}
	return s;
}

static int ident_char(char c)
{
	return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') ||
	       (unsigned char)c >= 0x80;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* PostgreSQL's $tag$ ... $tag$ at s + i (the tag possibly empty): the
 * index after it, or i when it is not one. */
static size_t dollar_quote(const char *s, size_t n, size_t i)
{
	size_t t = i + 1;

	while (t < n && ident_char(s[t]))
		t++;
	if (t < n && s[t] == '$' && !(s[i + 1] >= '0' && s[i + 1] <= '9')) {
		size_t tl = t + 1 - i;
		const char *q = s + t + 1;

		while ((q = memchr(q, '$', n - (q - s))) != NULL) {
			if ((size_t)(n - (q - s)) >= tl && !memcmp(q, s + i, tl))
				return (size_t)(q - s) + tl;
			q++;
		}
		return n;
	}
	return i;
}

size_t extract_trim_sql(char *s, enum extract_dialect d)
{
	size_t n = strlen(s), i = 0, end = 0;
	int my = d == EXTRACT_MYSQL;

	while (i < n) {
		char c = s[i];

		/* MySQL's "--" starts a comment only before a blank */
		if ((c == '-' && s[i + 1] == '-' && (!my || !s[i + 2] || blank(s[i + 2]))) ||
		    (my && c == '#')) {
			while (i < n && s[i] != '\n')
				i++;
		} else if (c == '/' && s[i + 1] == '*' &&
			   !(my && (s[i + 2] == '!' || (s[i + 2] == 'M' && s[i + 3] == '!')))) {
			/* PostgreSQL's comments nest, MySQL's do not */
			int depth = 1;

			for (i += 2; i < n && depth; i++) {
				if (!my && s[i] == '/' && s[i + 1] == '*')
					depth++, i++;
				else if (s[i] == '*' && s[i + 1] == '/')
					depth--, i++;
			}
		} else if (c == '/' && s[i + 1] == '*') {
			/* MySQL's executable comment is part of the query */
			const char *close = strstr(s + i + 2, "*/");

			end = i = close ? (size_t)(close - s) + 2 : n;
		} else if (c == '\'' || c == '"' || (my && c == '`')) {
			/* E'...' strings take backslash escapes; MySQL's strings
			 * all do (unless NO_BACKSLASH_ESCAPES, where a doubled
			 * quote is still read the same way) */
			int esc = my ? c != '`'
				     : c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');

			for (i++; i < n; i++) {
				if (esc && s[i] == '\\' && i + 1 < n)
					i++;
				else if (s[i] == c && s[i + 1] == c)
					i++;
				else if (s[i] == c)
					break;
			}
			/* an unterminated quote runs to the end: the server says so */
			end = i < n ? ++i : n;
		} else if (!my && c == '$' && (i == 0 || !ident_char(s[i - 1]))) {
			size_t j = dollar_quote(s, n, i);

			end = i = j > i ? j : i + 1;
		} else if (blank(c) || c == ';') {
			i++;
		} else {
			end = ++i;
		}
	}
	s[end] = '\0';
	return end;
}

char **extract_keys(char *const *names, int n, const char *where)
{
	struct buf b = BUF_INIT;
	char **keys = xcalloc(n, sizeof(*keys));

	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			if (!strcmp(names[j], names[i]))
				etl_die(ETL_EXIT_USAGE, where,
					"the column name \"%s\" occurs twice: "
					"give one an alias, a record cannot hold both",
					names[i]);
		buf_reset(&b);
		buf_adds(&b, i ? "," : "{");
		jw_string(&b, names[i], strlen(names[i]));
		buf_addc(&b, ':');
		keys[i] = xstrdup(b.p);
	}
	buf_release(&b);
	return keys;
}

void extract_keys_free(char **keys, int n)
{
	for (int i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
}

int extract_need_col(const char *opt, char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	cli_usage_error(opt, "no column \"%s\" in the %s", name, xo.table ? "table" : "query");
}

void extract_order_by(struct buf *q, char *const *names, int n,
		      void (*ident)(void *ctx, struct buf *b, const char *name), void *ctx)
{
	char **v;
	int first = 1;

	if (!xo.since_col && !xo.order_by)
		return;
	buf_adds(q, " ORDER BY ");
	if (xo.since_col) {
		extract_need_col("--since-column", names, n, xo.since_col);
		ident(ctx, q, xo.since_col);
		first = 0;
	}
	v = xo.order_by ? cli_split(xo.order_by, NULL) : NULL;
	for (char **p = v; p && *p; p++) {
		extract_need_col("--order-by", names, n, *p);
		if (!first)
			buf_adds(q, ", ");
		ident(ctx, q, *p);
		first = 0;
	}
	cli_split_free(v);
}

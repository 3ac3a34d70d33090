/*
 * etl-from-csv - RFC 4180 CSV to NDJSON: one JSON object per CSV record.
 *
 * The reading, naming and typing are common/csvread's, shared with
 * etl-fetch-api --format csv and etl-join --with FILE.csv; this file reads
 * the options and the files, and writes each record csvread hands back.
 * Every data record is counted once in stats.records_in and ends up either
 * written (records_out) or in bad_record() (bad).
 */
#include <stdlib.h>

#include "cast.h"
#include "cli.h"
#include "csvopt.h"
#include "csvread.h"
#include "die.h"
#include "input.h"
#include "mem.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "stats.h"
#include "banned.h"

enum {
	OPT_HEADER = 1,
	OPT_NO_HEADER,
	OPT_TYPES,
	OPT_VERBOSE,
};

static const struct cli_opt opts[] = {
	{OPT_HEADER, "header", 0, CLI_ARG, "NAMES", "column names; the first row is data"},
	{OPT_NO_HEADER, "no-header", 0, CLI_NOARG, NULL, "no header row: columns are c1..cN"},
	CSVOPT_OPTIONS,
	CSVREAD_OPTIONS,
	{OPT_TYPES, "types", 't', CLI_ARG, "COL=TYPE,...",
	 "type the columns (int, decimal, bool, date...)"},
	{OPT_VERBOSE, "verbose", 0, CLI_NOARG, NULL, "say which delimiter was detected"},
	{0, NULL, 0, 0, NULL, NULL},
};

/* The options, as csvread takes them. */
static struct csvread_opts ro = {.dialect = CSV_DIALECT_INIT, .count = 1, .threads = 1};
static struct path *given;
static size_t ngiven;
static struct cast_spec *types; /* paths of one segment: the columns' names */
static size_t ntypes;

static void on_opt(int id, const char *arg)
{
	if (csvread_on_opt(&ro, id, arg))
		return;
	switch (id) {
	case OPT_HEADER:
		path_list_free(given, ngiven);
		cli_paths(cli_optname, arg, &given, &ngiven);
		for (size_t i = 0; i < ngiven; i++) {
			if (given[i].nseg != 1)
				cli_usage_error(cli_optname,
						"'%s' is a path; quote a name that "
						"holds a dot: '\"a.b\"'",
						given[i].text);
			for (size_t j = 0; j < i; j++)
				if (path_seg_eq(&given[j].seg[0], &given[i].seg[0]))
					cli_usage_error(cli_optname, "duplicate name '%s'",
							given[i].text);
		}
		break;
	case OPT_NO_HEADER:
		break;
	case OPT_VERBOSE:
		ro.verbose = 1;
		break;
	case OPT_TYPES: {
		size_t n0 = ntypes;
		char err[256];

		if (cast_list_parse(arg, &types, &ntypes, err, sizeof(err)) < 0)
			cli_usage_error(cli_optname, "%s", err);
		for (size_t i = n0; i < ntypes; i++)
			if (types[i].path.nseg != 1)
				cli_usage_error(
					cli_optname,
					"column %zu: '%s' is a path; quote a name that holds "
					"a dot: '\"a.b\"=int'",
					types[i].col, types[i].path.text);
		break;
	}
	}
	if (id == OPT_HEADER || id == OPT_NO_HEADER) {
		int mode = id == OPT_HEADER ? CSVREAD_HEADER_GIVEN : CSVREAD_HEADER_NONE;

		if (ro.header != CSVREAD_HEADER_ROW && ro.header != mode)
			cli_usage_error(cli_optname, "conflicts with %s",
					mode == CSVREAD_HEADER_GIVEN ? "--no-header" : "--header");
		ro.header = mode;
	}
}

static const struct cli_prog prog = {
	"etl-from-csv",
	"[OPTIONS] [FILE...]",
	"Convert CSV (RFC 4180) to NDJSON, one object per record.",
	opts,
	0,
	on_opt,
};

static void emit(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	out_line(line, n);
}

int main(int argc, char **argv)
{
	struct csvread *r;
	struct input *in;
	const char *p, *file;
	size_t n;
	int first;

	cli_start(&prog, argc, argv);
	csvread_opts_check(&ro);
	ro.given = given;
	ro.ngiven = ngiven;
	ro.types = types;
	ro.ntypes = ntypes;
	r = csvread_new(&ro, emit, NULL);
	in = input_open(cli.files, cli.nfiles);
	progress_input(in);
	while (input_chunk(in, &p, &n, &file, &first)) {
		if (first)
			csvread_begin(r, file);
		csvread_feed(r, p, n);
	}
	csvread_end(r);
	csvread_free(r);
	input_close(in);
	path_list_free(given, ngiven);
	cast_list_free(types, ntypes);
	csvread_opts_release(&ro);
	cli_finish();
}

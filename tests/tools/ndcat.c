/*
 * ndcat - a test and bench tool, not installed: the validating NDJSON
 * pass-through of the common library and nothing else.  Every record is
 * checked by the scanner and written byte-exact; with -f PATHS, each record
 * is followed (on stderr-free stdout, tab-separated) by the raw text of the
 * wanted fields, so the tests can check field access directly.  --secret
 * takes a value that must never be echoed, for the tests of redaction.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "die.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "stats.h"
#include "banned.h"

enum { OPT_FIELDS = 1, OPT_SECRET };

static const struct cli_opt opts[] = {
	{OPT_FIELDS, "fields", 'f', CLI_ARG, "PATHS",
	 "print only these fields' raw values, tab-separated"},
	{OPT_SECRET, "secret", 0, CLI_ARG | CLI_SECRET, "VALUE",
	 "a value never echoed (for the tests of redaction)"},
	{0, NULL, 0, 0, NULL, NULL},
};

static struct path *want;
static size_t nwant;

static void on_opt(int id, const char *arg)
{
	if (id == OPT_FIELDS)
		cli_paths(cli_optname, arg, &want, &nwant);
}

static const struct cli_prog prog = {
	"ndcat", "[OPTIONS] [FILE...]", "Validate NDJSON and pass it through byte-exact.", opts, 0,
	on_opt,
};

int main(int argc, char **argv)
{
	struct ndjson *nd;
	struct record rec;

	cli_start(&prog, argc, argv);
	nd = nd_open(cli.files, cli.nfiles, want, nwant);
	while (nd_next(nd, &rec)) {
		if (!nwant) {
			out_line(rec.line.p, rec.line.n);
		} else {
			for (size_t i = 0; i < nwant; i++) {
				if (i)
					out_putc('\t');
				if (rec.vals[i].p)
					out_write(rec.vals[i].p, rec.vals[i].n);
				else
					out_puts("(missing)");
			}
			out_putc('\n');
		}
		stats.records_out++;
	}
	nd_close(nd);
	path_list_free(want, nwant);
	cli_finish();
}

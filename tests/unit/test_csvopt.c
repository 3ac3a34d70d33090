/*
 * test_csvopt.c - unit tests of common/csvopt.c, the CSV dialect options.
 *
 * What is proved: the defaults are ',' and '"'; -d, --tsv ("\t" too) and
 * --quote set the dialect; other option ids are left to the program; a
 * dialect whose quote differs from its delimiter passes the check.  The
 * refusals end the program (usage errors) and are checked by the bats
 * suites of etl-from-csv and etl-to-csv, which must print the same words.
 */
#include "csvopt.h"

#include "unit.h"

#include "banned.h"

int main(void)
{
	struct csv_dialect d = CSV_DIALECT_INIT;

	CHECK(d.delim == ',' && d.quote == '"');
	cli_optname = "-d";
	CHECK(csvopt_on_opt(&d, CSVOPT_DELIM, ";") == 1);
	CHECK(d.delim == ';');
	CHECK(csvopt_on_opt(&d, CSVOPT_DELIM, "\\t") == 1);
	CHECK(d.delim == '\t');
	cli_optname = "--quote";
	CHECK(csvopt_on_opt(&d, CSVOPT_QUOTE, "'") == 1);
	CHECK(d.quote == '\'');
	CHECK(csvopt_on_opt(&d, 1, "x") == 0);
	csvopt_check(&d);

	d = (struct csv_dialect)CSV_DIALECT_INIT;
	cli_optname = "--tsv";
	CHECK(csvopt_on_opt(&d, CSVOPT_TSV, NULL) == 1);
	CHECK(d.delim == '\t' && d.quote == '"');
	csvopt_check(&d);
	CHECK(1); /* the checks above did not end the program */
	return unit_done();
}

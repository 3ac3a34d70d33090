/*
 * csvopt.c - the CSV dialect options (csvopt.h).
 */
#include "csvopt.h"

#include "banned.h"

int csvopt_on_opt(struct csv_dialect *d, int id, const char *arg)
{
	switch (id) {
	case CSVOPT_DELIM:
	case CSVOPT_TSV:
		if (d->delim_opt && d->delim_opt != id)
			cli_usage_error(cli_optname, "conflicts with %s",
					d->delim_opt == CSVOPT_TSV ? "--tsv" : "--delimiter");
		d->delim = id == CSVOPT_TSV ? '\t' : cli_char(cli_optname, arg);
		d->delim_opt = id;
		return 1;
	case CSVOPT_QUOTE:
		d->quote = cli_char(cli_optname, arg);
		return 1;
	}
	return 0;
}

void csvopt_check(const struct csv_dialect *d)
{
	if (d->delim == d->quote)
		cli_usage_error("--quote", "the quote and the delimiter must differ");
}

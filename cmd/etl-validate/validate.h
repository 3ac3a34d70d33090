/*
 * validate.h - the parts of etl-validate: main.c (options, the schema and
 * the rules per record, the reject file), expect.c (the data-set
 * expectations decided at the end of the input, the report) and gate.c
 * (the valid records held back until the expectations are decided).
 */
#ifndef ETL_VALIDATE_H
#define ETL_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "ndjson.h"

/* expect.c */

void expect_init(void);
/* Parse one expectation option (its OPT_ id, see expect_opts) into the
 * list; field paths are added to fields.  A bad value is a usage error. */
void expect_add(int id, const char *arg, struct expr_fields *fields);
/* The OPT_ id of an expectation by its name ("not-null"), or -1. */
int expect_id(const char *name, size_t n);
/* Is any expectation given? */
int expect_any(void);
/* Account for one record (valid or not); vals are the fields' values. */
void expect_record(const struct record *rec, int valid);
/* Decide every expectation; print the table on stderr, write the report
 * (NULL: none).  Returns the number of failed fail-severity checks. */
size_t expect_finish(const char *report);
/* The run passed: save what must outlive it (--schema-drift's file). */
void expect_commit(void);
/* --partial: write the undecided states of every expectation to path. */
void expect_partial_write(const char *path);
/* --merge: fold the states that path holds (written with the same
 * expectations, else a usage error) into this run's. */
void expect_merge_file(const char *path);
void expect_release(void);

/* The option ids and table entries of the expectations (OPT_EXPECT_FIRST
 * and up), for main.c's table. */
enum {
	OPT_EXPECT_FIRST = 100,
	OPT_UNIQUE = OPT_EXPECT_FIRST,
	OPT_NOT_NULL,
	OPT_ROWS,
	OPT_FRESH,
	OPT_DISTINCT,
	OPT_ACCEPTED,
	OPT_RANGE,
	OPT_MAX_INVALID,
	OPT_SCHEMA_DRIFT,
	OPT_EXPECT_END,
	/* --warn-X is X + OPT_WARN */
	OPT_WARN = 100,
};

/* gate.c */

void gate_setup(uint64_t memory, const char *temp_dir);
/* Hold one valid record: where it lies in its file (rec->reread), else
 * its line. */
void gate_hold(const struct record *rec);
/* Write every held record to the output, in order. */
void gate_release(void);
/* The number of records held. */
uint64_t gate_count(void);
void gate_free(void);

#endif

/*
 * tempfile.h - scratch files for programs that spill to disk (through
 * spill.h): created in the chosen folder and unlinked at once, so that
 * nothing is left behind whatever way the run ends, even on SIGKILL.
 */
#ifndef ETL_TEMPFILE_H
#define ETL_TEMPFILE_H

/* An unlinked temporary file, read-write, in dir (NULL or "": $TMPDIR, or
 * /tmp when that is unset or empty), named after the program while it
 * exists.  Returns its descriptor, or -1 with errno set.  *used, when not
 * NULL, is set to the folder tried, for messages. */
int tempfile_open(const char *dir, const char **used);

#endif

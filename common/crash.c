/*
 * crash.c - named crash points (crash.h).
 */
#include "crash.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

void crash_point(const char *name)
{
	static int state; /* 0: not looked at yet, 1: armed, 2: off */
	static const char *want;
	static size_t wlen;
	static unsigned long left = 1;
	const char *at;

	if (state == 0) {
		want = getenv("ETL_CRASH_AT");
		state = want && *want ? 1 : 2;
		if (state == 1) {
			at = strchr(want, '@');
			wlen = at ? (size_t)(at - want) : strlen(want);
			if (at)
				left = strtoul(at + 1, NULL, 10);
			if (left == 0)
				left = 1;
		}
	}
	if (state != 1 || strlen(name) != wlen || memcmp(name, want, wlen) != 0)
		return;
	if (--left == 0)
		kill(getpid(), SIGKILL);
}

/*
 * test_tempfile.c - scratch files are created where asked, leave no name
 * behind, hold what is written, and a folder that cannot hold them is an
 * error with errno, not an exit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tempfile.h"
#include "unit.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	char dir[] = "/tmp/etl-test-tempfile.XXXXXX", back[6] = "";
	const char *used = NULL;
	int fd;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	fd = tempfile_open(dir, &used);
	CHECK(fd >= 0);
	CHECK(used && !strcmp(used, dir));
	CHECK(entries(dir) == 0); /* unlinked at once */
	CHECK(write(fd, "hello", 5) == 5);
	CHECK(pread(fd, back, 5, 0) == 5 && !memcmp(back, "hello", 5));
	close(fd);

	/* no folder given: $TMPDIR */
	setenv("TMPDIR", dir, 1);
	fd = tempfile_open(NULL, &used);
	CHECK(fd >= 0 && !strcmp(used, dir) && entries(dir) == 0);
	if (fd >= 0)
		close(fd);
	fd = tempfile_open("", &used);
	CHECK(fd >= 0 && !strcmp(used, dir));
	if (fd >= 0)
		close(fd);
	unsetenv("TMPDIR");
	fd = tempfile_open(NULL, &used);
	CHECK(fd >= 0 && !strcmp(used, "/tmp"));
	if (fd >= 0)
		close(fd);

	/* a folder that does not exist */
	errno = 0;
	fd = tempfile_open("/nonexistent-etl-folder", NULL);
	CHECK(fd == -1 && errno == ENOENT);

	rmdir(dir);
	return unit_done();
}

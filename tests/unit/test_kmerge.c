/*
 * test_kmerge.c - a k-way merge yields every item of every source in order,
 * ties to the lower source, whatever the number of sources (none, one,
 * many) and their lengths (some empty).
 */
#include <stdlib.h>

#include "kmerge.h"
#include "unit.h"

enum { K = 37, LEN = 50 };

struct srcs {
	int item[K][LEN];
	size_t len[K], at[K];
};

static int cmp(void *arg, size_t a, size_t b)
{
	struct srcs *s = arg;
	int x = s->item[a][s->at[a]], y = s->item[b][s->at[b]];

	return (x > y) - (x < y);
}

static int run(struct srcs *s, size_t k)
{
	struct kmerge m;
	int last = -1;
	size_t lastsrc = 0, total = 0, want = 0;
	int ok = 1;

	kmerge_init(&m, cmp, s);
	for (size_t i = 0; i < k; i++) {
		s->at[i] = 0;
		want += s->len[i];
		if (s->len[i])
			kmerge_add(&m, i);
	}
	while (kmerge_count(&m)) {
		size_t t = kmerge_top(&m);
		int v = s->item[t][s->at[t]];

		/* in order; an equal item from a lower source never comes later */
		if (v < last || (v == last && t < lastsrc))
			ok = 0;
		last = v;
		lastsrc = t;
		total++;
		kmerge_next(&m, ++s->at[t] < s->len[t]);
	}
	kmerge_release(&m);
	return ok && total == want;
}

int main(void)
{
	static struct srcs s;

	srand(3);
	for (size_t i = 0; i < K; i++) {
		int v = 0;

		s.len[i] = (size_t)rand() % LEN;
		for (size_t j = 0; j < s.len[i]; j++)
			s.item[i][j] = v += rand() % 3;
	}
	CHECK(run(&s, 0));
	CHECK(run(&s, 1));
	CHECK(run(&s, 2));
	CHECK(run(&s, K));
	return unit_done();
}

/*
 * bench_test.c: kernel/workloads/bench.c, the selection behind the
 * medians and percentiles the timing workloads print.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../kernel/workloads/bench-priv.h"
#include "host.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_select_matches_sort(void)
{
	uint64_t v[257], sorted[257], x = 88172645463325252ull;

	for (size_t n = 1; n <= 257; n += 17) {
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			sorted[i] = x % 50;	/* many duplicates */
		}
		qsort(sorted, n, sizeof(*sorted), cmp_u64);
		for (size_t k = 0; k < n; k += 1 + n / 7) {
			for (size_t i = 0; i < n; i++)
				v[i] = sorted[n - 1 - i];	/* reversed */
			CU_ASSERT_EQUAL(bench_select(v, n, k), sorted[k]);
		}
		for (size_t i = 0; i < n; i++)
			v[i] = sorted[i];
		CU_ASSERT_EQUAL(bench_median(v, n), sorted[n / 2]);
	}
}

static void test_select_small(void)
{
	uint64_t one[1] = { 7 }, two[2] = { 9, 3 }, same[5] = { 4, 4, 4, 4, 4 };

	CU_ASSERT_EQUAL(bench_median(one, 1), 7);
	CU_ASSERT_EQUAL(bench_median(two, 2), 9);
	CU_ASSERT_EQUAL(bench_select(two, 2, 0), 3);
	CU_ASSERT_EQUAL(bench_median(same, 5), 4);
}

void add_bench_suite(void)
{
	CU_pSuite s = CU_add_suite("bench", NULL, NULL);

	CU_add_test(s, "select matches a sort", test_select_matches_sort);
	CU_add_test(s, "select small", test_select_small);
}

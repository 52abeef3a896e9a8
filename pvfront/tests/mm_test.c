/*
 * mm_test.c: kernel/mm.c. The allocator works on guest addresses, so the
 * test maps scratch memory at PVH_GUEST_BASE; if something already lives
 * there, the suite is skipped.
 */
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>

#include <public/pvh_layout.h>
#include <pvos/errno.h>
#include <pvos/mm.h>

#include "host.h"

#define TEST_PAGES	512UL		/* a 2 MiB "domain" */
#define FREE_START	(PVH_GUEST_BASE + 64 * PVH_PAGE_SIZE)

static void *region;

static int map_region(void)
{
	region = mmap((void *)PVH_GUEST_BASE, TEST_PAGES * PVH_PAGE_SIZE,
		      PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (region != (void *)PVH_GUEST_BASE) {
		if (region != MAP_FAILED)
			munmap(region, TEST_PAGES * PVH_PAGE_SIZE);
		region = NULL;
		return 1;	/* CUnit: suite initialisation failed */
	}
	return 0;
}

static int unmap_region(void)
{
	if (region)
		munmap(region, TEST_PAGES * PVH_PAGE_SIZE);
	return 0;
}

static void test_init_checks(void)
{
	CU_ASSERT_EQUAL(mm_init(FREE_START + 1, TEST_PAGES), -EINVAL);
	CU_ASSERT_EQUAL(mm_init(PVH_GUEST_BASE - PVH_PAGE_SIZE, TEST_PAGES),
			-EINVAL);
	CU_ASSERT_EQUAL(mm_init(FREE_START, 64), -EINVAL);
	CU_ASSERT_EQUAL(mm_init(FREE_START, 65), -EINVAL); /* bitmap only */
	CU_ASSERT_EQUAL(mm_init(FREE_START, TEST_PAGES), 0);
	/* 448 pages need one bitmap page. */
	CU_ASSERT_EQUAL(mm_nr_total_pages(), TEST_PAGES - 64);
	CU_ASSERT_EQUAL(mm_nr_free_pages(), TEST_PAGES - 64 - 1);
}

static void test_alloc_free(void)
{
	unsigned char *a, *b;
	unsigned long before;

	CU_ASSERT_EQUAL_FATAL(mm_init(FREE_START, TEST_PAGES), 0);
	before = mm_nr_free_pages();
	a = mm_alloc_pages(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL((uintptr_t)a % PVH_PAGE_SIZE, 0);
	CU_ASSERT((uintptr_t)a > FREE_START);
	a[0] = 0xaa;
	b = mm_alloc_pages(3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(b >= a + PVH_PAGE_SIZE || b + 3 * PVH_PAGE_SIZE <= a);
	CU_ASSERT_EQUAL(mm_nr_free_pages(), before - 4);
	mm_free_pages(a, 1);
	mm_free_pages(b, 3);
	CU_ASSERT_EQUAL(mm_nr_free_pages(), before);
	/* Freed pages come back zeroed. */
	a = mm_alloc_pages(before);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	for (unsigned long i = 0; i < before * PVH_PAGE_SIZE; i++) {
		if (a[i]) {
			CU_FAIL("allocated memory is not zeroed");
			break;
		}
	}
	CU_ASSERT_PTR_NULL(mm_alloc_pages(1));
	CU_ASSERT_PTR_NULL(mm_alloc_pages(0));
	mm_free_pages(a, before);
}

static void expect_panic(void *p, unsigned long n, const char *why)
{
	jmp_buf jb;

	test_reset_stubs();
	test_panic_jmp = &jb;
	if (setjmp(jb) == 0) {
		mm_free_pages(p, n);
		CU_FAIL(why);
	}
	test_panic_jmp = NULL;
}

static void test_bad_frees(void)
{
	void *a;

	CU_ASSERT_EQUAL_FATAL(mm_init(FREE_START, TEST_PAGES), 0);
	a = mm_alloc_pages(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	mm_free_pages(a, 1);
	expect_panic(a, 1, "double free not caught");
	expect_panic((char *)a + 1, 1, "misaligned free not caught");
	expect_panic((void *)PVH_GUEST_BASE, 1, "free below the heap not caught");
	expect_panic(a, TEST_PAGES, "free past the end not caught");
}

void add_mm_suite(void)
{
	CU_pSuite s = CU_add_suite("mm", map_region, unmap_region);

	CU_add_test(s, "mm_init checks its range", test_init_checks);
	CU_add_test(s, "alloc and free", test_alloc_free);
	CU_add_test(s, "bad frees panic", test_bad_frees);
}

/*
 * mm.c: a page allocator over the domain's free pseudo-physical memory.
 *
 * A bitmap (one bit per page, set = in use) lives in the first pages of the
 * free range and marks itself in use. Allocation is first fit from a
 * moving hint, which is enough for the few long-lived buffers (rings,
 * bounce pages) pvos allocates. Only the bitmap is touched at boot.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/pvh_layout.h>
#include <pvos/errno.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>

#define BITS_PER_LONG	(sizeof(unsigned long) * 8)

static unsigned long *bitmap;
static uintptr_t base;		/* virtual address of page 0 of the range */
static unsigned long nr_pages;	/* pages in the range */
static unsigned long nr_free;
static unsigned long hint;

static bool is_used(unsigned long i)
{
	return bitmap[i / BITS_PER_LONG] & (1UL << (i % BITS_PER_LONG));
}

static void set_used(unsigned long i, bool used)
{
	if (used)
		bitmap[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
	else
		bitmap[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
}

int mm_init(uintptr_t free_start, unsigned long total_pages)
{
	uintptr_t end = PVH_GUEST_BASE + (total_pages << PVH_PAGE_SHIFT);
	unsigned long map_bytes, map_pages;

	if (free_start % PVH_PAGE_SIZE || free_start < PVH_GUEST_BASE ||
	    free_start >= end)
		return -EINVAL;
	base = free_start;
	nr_pages = (end - free_start) >> PVH_PAGE_SHIFT;
	map_bytes = (nr_pages + BITS_PER_LONG - 1) / BITS_PER_LONG *
		    sizeof(unsigned long);
	map_pages = (map_bytes + PVH_PAGE_SIZE - 1) >> PVH_PAGE_SHIFT;
	if (map_pages >= nr_pages)
		return -EINVAL;
	bitmap = (unsigned long *)base;
	memset(bitmap, 0, map_pages << PVH_PAGE_SHIFT);
	for (unsigned long i = 0; i < map_pages; i++)
		set_used(i, true);
	nr_free = nr_pages - map_pages;
	hint = map_pages;
	return 0;
}

static bool run_is_free(unsigned long first, unsigned long n)
{
	for (unsigned long i = first; i < first + n; i++) {
		if (is_used(i))
			return false;
	}
	return true;
}

static long find_run(unsigned long n)
{
	unsigned long start = hint;

	for (unsigned long tried = 0; tried < nr_pages; tried++) {
		unsigned long i = (start + tried) % nr_pages;

		if (i + n <= nr_pages && run_is_free(i, n))
			return (long)i;
	}
	return -1;
}

void *mm_alloc_pages(unsigned long n)
{
	long first;
	void *p;

	if (n == 0 || n > nr_free)
		return NULL;
	first = find_run(n);
	if (first < 0)
		return NULL;
	for (unsigned long i = 0; i < n; i++)
		set_used((unsigned long)first + i, true);
	nr_free -= n;
	hint = (unsigned long)first + n;
	p = (void *)(base + ((uintptr_t)first << PVH_PAGE_SHIFT));
	memset(p, 0, n << PVH_PAGE_SHIFT);
	return p;
}

void mm_free_pages(void *p, unsigned long n)
{
	uintptr_t va = (uintptr_t)p;
	unsigned long first;

	if (!p)
		return;
	/* A bad free is our own bug: stop before it corrupts memory. */
	if (va % PVH_PAGE_SIZE || va < base ||
	    ((va - base) >> PVH_PAGE_SHIFT) + n > nr_pages)
		panic("mm: free of %lu pages at %p outside the heap", n, p);
	first = (va - base) >> PVH_PAGE_SHIFT;
	for (unsigned long i = first; i < first + n; i++) {
		if (!is_used(i))
			panic("mm: double free of page %p",
			      (void *)(base + (i << PVH_PAGE_SHIFT)));
		set_used(i, false);
	}
	nr_free += n;
}

unsigned long mm_nr_free_pages(void)
{
	return nr_free;
}

unsigned long mm_nr_total_pages(void)
{
	return nr_pages;
}

/*
 * pvos/mm.h: the page allocator over the domain's free memory.
 *
 * Free memory runs from start_info.pt_base (just past the kernel image) to
 * start_info.nr_pages. The allocator keeps a bitmap at the start of that
 * range and never touches a page before it is allocated, so untouched
 * memory costs the host nothing.
 */
#ifndef PVOS_MM_H
#define PVOS_MM_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0, or -EINVAL if the range is empty or misaligned. */
int mm_init(uintptr_t free_start, unsigned long nr_pages);

/* n contiguous zeroed pages, or NULL. The caller owns them. */
void *mm_alloc_pages(unsigned long n);
void mm_free_pages(void *p, unsigned long n);

unsigned long mm_nr_free_pages(void);
unsigned long mm_nr_total_pages(void);

#endif /* PVOS_MM_H */

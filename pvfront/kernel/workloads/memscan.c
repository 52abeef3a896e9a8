/*
 * memscan.c: init=memscan find=S [find2=S]: read everything in this
 * process that can be reached, looking for host strings.
 *
 * A guest shares its process with the runner that started it, so every
 * readable byte of that process (the runner's binary, libc, ld.so, their
 * heaps, the stack exec built, the vDSO) is the guest's to read. This
 * workload reads it the way an attacker would and says whether it found
 * the strings it was given, which a test takes from the host (pvhv's
 * environment, the run directory). The sandbox must have left none.
 *
 * Finding the mappings: the thread pointer (%fs:0, the runner's libc
 * thread block) is the first lead; every 8-byte value in a readable page
 * that looks like a user address is another, and so are the pages on
 * either side of a readable run (up to SCAN_GAP_PAGES of hole, which
 * spans a library's PROT_NONE gap). A page is tested before it is
 * touched with ppoll's signal-mask argument, which the filter allows: the
 * kernel copies 8 bytes from it or fails with EFAULT, and writes nothing
 * there, so a hole costs a failed system call rather than a fatal fault.
 * Guest memory is left out: it holds the strings being looked for.
 *
 * Prints "memscan: region A-B" for each run of readable pages it read,
 * "memscan: find: found at A" or "memscan: find: not found" (find2
 * likewise), "memscan: done: R regions, P pages, Q probes", then waits
 * for events and answers control/shutdown like init=idle, so a test can
 * compare the regions with the process's maps.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/pvh_layout.h>
#include <pvos/arch.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/kernel.h>
#include <pvos/string.h>

#define SCAN_PAGE		4096ull
#define SCAN_USER_MIN		0x10000ull
#define SCAN_USER_END		0x800000000000ull	/* 47-bit user space */
#define SCAN_MAX_REGIONS	256
#define SCAN_GAP_PAGES		512			/* 2 MiB */
#define SCAN_RUN_PAGES		16384			/* 64 MiB one way */
#define SCAN_BAD_SLOTS		4096			/* remembered holes */

struct scan_region {
	uint64_t lo, hi;	/* [lo, hi), page aligned */
	bool skip;		/* guest memory: known, not read */
};

static struct {
	struct scan_region r[SCAN_MAX_REGIONS];
	unsigned int n;
	uint64_t bad[SCAN_BAD_SLOTS];	/* pages that failed the probe */
	uint64_t probes, pages;
	bool full;
} scan;

/* True when the kernel can read 8 bytes at page (see the file comment). */
static bool page_readable(uint64_t page)
{
	struct { long sec, nsec; } ts = { 0, 0 };
	uint64_t slot = (page / SCAN_PAGE) % SCAN_BAD_SLOTS;
	long r;

	if (page < SCAN_USER_MIN || page >= SCAN_USER_END || scan.bad[slot] == page)
		return false;
	scan.probes++;
	r = arch_syscall6(ARCH_SYS_ppoll, 0, 0, (long)&ts, (long)page, 8, 0);
	if (r != 0)
		scan.bad[slot] = page;
	return r == 0;
}

static bool known(uint64_t addr)
{
	for (unsigned int i = 0; i < scan.n; i++) {
		if (addr >= scan.r[i].lo && addr < scan.r[i].hi)
			return true;
	}
	return false;
}

static void add_region(uint64_t lo, uint64_t hi, bool skip)
{
	if (scan.n == SCAN_MAX_REGIONS) {
		scan.full = true;
		return;
	}
	scan.r[scan.n++] = (struct scan_region){ lo, hi, skip };
}

/* Grows the readable run around page (readable, not known) and records it. */
static void discover(uint64_t page)
{
	uint64_t lo = page, hi = page + SCAN_PAGE;

	for (int n = 0; n < SCAN_RUN_PAGES && !known(lo - SCAN_PAGE) &&
	     page_readable(lo - SCAN_PAGE); n++)
		lo -= SCAN_PAGE;
	for (int n = 0; n < SCAN_RUN_PAGES && !known(hi) && page_readable(hi); n++)
		hi += SCAN_PAGE;
	add_region(lo, hi, false);
}

/* A lead: an address that may be mapped. */
static void follow(uint64_t addr)
{
	uint64_t page = addr & ~(SCAN_PAGE - 1);

	if (page < SCAN_USER_MIN || page >= SCAN_USER_END || known(page))
		return;
	if (page_readable(page))
		discover(page);
}

/* Reads region i: every aligned word that looks like an address is a lead. */
static void read_region(unsigned int i)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)scan.r[i].lo;
	uint64_t words = (scan.r[i].hi - scan.r[i].lo) / 8;

	for (uint64_t k = 0; k < words; k++) {
		uint64_t v = w[k];

		if (v >= SCAN_USER_MIN && v < SCAN_USER_END)
			follow(v);
	}
	/* Neighbours across a hole: a library's segments, the vDSO's data. */
	for (uint64_t g = 1; g <= SCAN_GAP_PAGES; g++) {
		follow(scan.r[i].hi + (g - 1) * SCAN_PAGE);
		if (scan.r[i].lo >= g * SCAN_PAGE)
			follow(scan.r[i].lo - g * SCAN_PAGE);
	}
}

/* The first address in a region at which needle starts, or 0. */
static uint64_t search(const struct scan_region *r, const char *needle)
{
	const volatile char *p = (const volatile char *)(uintptr_t)r->lo;
	size_t len = strlen(needle);
	uint64_t size = r->hi - r->lo;

	for (uint64_t i = 0; len && i + len <= size; i++) {
		size_t k = 0;

		while (k < len && p[i + k] == needle[k])
			k++;
		if (k == len)
			return r->lo + i;
	}
	return 0;
}

static void report(const char *key)
{
	const char *needle = cmdline_get(key, NULL);
	uint64_t at = 0;

	if (!needle || !*needle)
		return;
	for (unsigned int i = 0; i < scan.n && !at; i++) {
		if (!scan.r[i].skip)
			at = search(&scan.r[i], needle);
	}
	if (at)
		printk("memscan: %s: found at %#lx\n", key, (unsigned long)at);
	else
		printk("memscan: %s: not found\n", key);
}

void workload_memscan(void)
{
	uint64_t tp;

	add_region(PVH_GUEST_BASE, PVH_GUEST_BASE + pvos_start_info.nr_pages * SCAN_PAGE, true);
	/* glibc keeps the thread block's own address at %fs:0. */
	__asm__ __volatile__("mov %%fs:0, %0" : "=r"(tp));
	printk("memscan: thread pointer %#lx\n", (unsigned long)tp);
	follow(tp);
	for (unsigned int i = 0; i < scan.n; i++) {
		if (scan.r[i].skip)
			continue;
		read_region(i);
		scan.pages += (scan.r[i].hi - scan.r[i].lo) / SCAN_PAGE;
	}
	for (unsigned int i = 0; i < scan.n; i++) {
		if (!scan.r[i].skip)
			printk("memscan: region %#lx-%#lx\n", (unsigned long)scan.r[i].lo,
			       (unsigned long)scan.r[i].hi);
	}
	report("find");
	report("find2");
	printk("memscan: done: %u regions, %lu pages, %lu probes%s\n", scan.n - 1,
	       (unsigned long)scan.pages, (unsigned long)scan.probes,
	       scan.full ? " (region table full)" : "");
	control_enable();
	for (;;)
		kernel_block(EVENTS_NO_DEADLINE);
}

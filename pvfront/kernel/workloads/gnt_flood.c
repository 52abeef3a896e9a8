/*
 * gnt_flood.c: what one guest's grant map and copy batches cost its
 * neighbours, for the measurement in docs/architecture.md §16.
 *
 * init=gnt-flood [hold=H]: grants one of its pages to itself, keeps H
 * mappings of it (default 3584, most of a guest's 4096 handles), then
 * maps and unmaps it in batches of 512 (the largest batch pvhv takes)
 * until it is destroyed. Every 1000 batches it prints what one batch
 * cost, from the hypercall to its answer:
 *
 *   gnt-flood: N batches map_median_ns=X unmap_median_ns=Y
 *
 * init=gnt-flood op=copy: copies that page through its grant to 512
 * others of its pages, one batch of 512 full pages (2 MiB), until destroyed,
 * printing every 1000 batches
 *
 *   gnt-flood: N batches copy_median_ns=X done=D eagain=E
 *
 * with how many ops of the last batch pvhv did and left undone.
 *
 * init=hcall-probe [count=N]: times N null hypercalls (xen_version) one
 * by one, then prints
 *
 *   hcall-probe: n=N median_ns=X p99_ns=Y p999_ns=W max_ns=Z
 *
 * and powers off. Unlike hcall-bench, which averages batches, it keeps
 * each call's time, so a neighbour that holds pvhv shows in p99 and max.
 */
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "../../xen/xenfront.h"
#include "bench-priv.h"

#define BATCH		512
#define HOLD_DEFAULT	3584
#define HOLD_MAX	(4096 - BATCH)
#define PROBE_DEFAULT	20000
#define PROBE_MAX	100000
#define FLOOD_REPORT	1000

static gnttab_map_grant_ref_t map[BATCH];
static gnttab_unmap_grant_ref_t unmap[BATCH];
static uint64_t samples[PROBE_MAX];
static uint64_t unmap_ns[FLOOD_REPORT];

/* n maps of ref in one hypercall; panics unless all worked. */
static void map_batch(domid_t self, grant_ref_t ref, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		map[i] = (gnttab_map_grant_ref_t){ .flags = GNTMAP_host_map, .ref = ref, .dom = self };
	if (gnttab_op(GNTTABOP_map_grant_ref, map, n) < 0)
		panic("gnt-flood: the map hypercall failed");
	for (unsigned int i = 0; i < n; i++)
		if (map[i].status != GNTST_okay)
			panic("gnt-flood: map %u failed (%d)", i, map[i].status);
}

static gnttab_copy_t copy[BATCH];

static __attribute__((noreturn)) void copy_flood(domid_t self, grant_ref_t ref, uint8_t *dest)
{
	for (unsigned long batches = 1;; batches++) {
		unsigned int k = (unsigned int)(batches % FLOOD_REPORT), done = 0, again = 0;
		uint64_t t0;

		for (unsigned int i = 0; i < BATCH; i++)
			copy[i] = (gnttab_copy_t){ .source = { .u.ref = ref, .domid = self },
				.dest = { .u.gmfn = virt_to_phys(dest + i * 4096) >> 12, .domid = DOMID_SELF },
				.len = 4096, .flags = GNTCOPY_source_gref };
		t0 = time_now_ns();
		if (gnttab_op(GNTTABOP_copy, copy, BATCH) < 0)
			panic("gnt-flood: the copy hypercall failed");
		samples[k] = time_now_ns() - t0;
		for (unsigned int i = 0; i < BATCH; i++) {
			done += copy[i].status == GNTST_okay;
			again += copy[i].status == GNTST_eagain;
		}
		if (k == 0)
			printk("gnt-flood: %lu batches copy_median_ns=%lu done=%u eagain=%u\n", batches,
			       (unsigned long)bench_median(samples, FLOOD_REPORT), done, again);
	}
}

void workload_gnt_flood(void)
{
	domid_t self = bench_own_domid();
	uint8_t *page = mm_alloc_pages(1 + BATCH);	/* the granted page, copy's destinations */
	const char *op = cmdline_get("op", "map");
	uint64_t hold;
	int ref;

	if (cmdline_get_u64("hold", HOLD_DEFAULT, 0, HOLD_MAX, &hold) < 0)
		panic("gnt-flood: hold= must be 0 to %d", HOLD_MAX);
	ref = page ? gnttab_grant_access(self, virt_to_phys(page) >> 12, false) : -1;
	if (ref < 0)
		panic("gnt-flood: cannot grant a page to ourselves");
	if (strcmp(op, "copy") == 0)
		copy_flood(self, (grant_ref_t)ref, page + 4096);
	for (uint64_t held = 0; held < hold; held += BATCH)
		map_batch(self, (grant_ref_t)ref, hold - held < BATCH ? (unsigned int)(hold - held) : BATCH);
	printk("gnt-flood: holding %lu mappings\n", (unsigned long)hold);
	for (unsigned long batches = 1;; batches++) {
		unsigned int k = (unsigned int)(batches % FLOOD_REPORT);
		uint64_t t0 = time_now_ns(), t1;

		map_batch(self, (grant_ref_t)ref, BATCH);
		t1 = time_now_ns();
		for (unsigned int i = 0; i < BATCH; i++)
			unmap[i] = (gnttab_unmap_grant_ref_t){ .handle = map[i].handle };
		if (gnttab_op(GNTTABOP_unmap_grant_ref, unmap, BATCH) < 0)
			panic("gnt-flood: the unmap hypercall failed");
		samples[k] = t1 - t0;
		unmap_ns[k] = time_now_ns() - t1;
		if (k == 0)
			printk("gnt-flood: %lu batches map_median_ns=%lu unmap_median_ns=%lu\n", batches,
			       (unsigned long)bench_median(samples, FLOOD_REPORT),
			       (unsigned long)bench_median(unmap_ns, FLOOD_REPORT));
	}
}

void workload_hcall_probe(void)
{
	uint64_t count;

	if (cmdline_get_u64("count", PROBE_DEFAULT, 100, PROBE_MAX, &count) < 0)
		panic("hcall-probe: count= must be a number from 100 to %d", PROBE_MAX);
	if (!time_is_available())
		panic("hcall-probe: no PV clock (tsc_to_system_mul is 0)");
	(void)HYPERVISOR_xen_version(XENVER_version, 0);	/* warm up */
	for (uint64_t i = 0; i < count; i++) {
		uint64_t t0 = time_now_ns();

		if (HYPERVISOR_xen_version(XENVER_version, 0) < 0)
			panic("hcall-probe: xen_version failed");
		samples[i] = time_now_ns() - t0;
	}
	printk("hcall-probe: n=%lu median_ns=%lu p99_ns=%lu p999_ns=%lu max_ns=%lu\n",
	       (unsigned long)count, (unsigned long)bench_median(samples, count),
	       (unsigned long)bench_select(samples, count, count * 99 / 100),
	       (unsigned long)bench_select(samples, count, count * 999 / 1000),
	       (unsigned long)bench_select(samples, count, count - 1));
	kernel_shutdown(SHUTDOWN_poweroff);
}

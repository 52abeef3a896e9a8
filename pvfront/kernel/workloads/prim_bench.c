/*
 * prim_bench.c: init=prim-bench, what the split-driver primitives cost
 * from inside a guest. One machine-readable line per measure:
 *
 *   prim-bench: evtchn-loopback-rtt median_ns=X
 *   prim-bench: gnt-map-unmap-1 median_ns=X
 *   prim-bench: gnt-map-unmap-32 median_ns=X        (one batch of 32 each way)
 *   prim-bench: gnt-copy-4k median_ns=X
 *   prim-bench: evtchn-dom0-rtt poll_us=P median_ns=X  (with peer=dom0)
 *
 * With peer=dom0 the guest offers an unbound port to dom0 and prints
 * "prim-bench: peer-port N"; bench/evtchn-peer binds it and answers every
 * event with one, so each round trip crosses into dom0 and back.
 * poll_us=P spins on the pending bit for up to P microseconds before
 * sleeping, the "short poll" backends use. Medians over ROUNDS samples.
 */
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "../../xen/xenfront.h"
#include "bench-priv.h"

#define ROUNDS		2000
#define BATCH		32
#define PEER_WAIT_NS	(30ull * 1000000000ull)

static uint64_t samples[ROUNDS];

static uint64_t median(unsigned int n)
{
	return bench_median(samples, n);
}

static volatile unsigned int arrivals;

static void on_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	arrivals++;
}

/* Takes the port's pending bit ourselves, if it is set. */
static bool take(evtchn_port_t port)
{
	if (!evtchn_is_pending(port))
		return false;
	evtchn_clear_pending(port);
	return true;
}

/*
 * Waits for an event on PORT: spins on its pending bit for up to poll_ns,
 * then blocks, which dispatches it to on_event. The port stays unmasked,
 * or nobody would wake us (a masked port is never delivered).
 */
static bool wait_port(evtchn_port_t port, uint64_t poll_ns, uint64_t deadline)
{
	unsigned int seen = arrivals;
	uint64_t spin_end = time_now_ns() + poll_ns;

	while (time_now_ns() < spin_end)
		if (take(port))
			return true;
	while (arrivals == seen) {
		if (take(port))
			return true;
		if (!events_block(deadline) && arrivals == seen && !take(port))
			return false;
	}
	return true;
}

static void bench_loopback(void)
{
	evtchn_port_t a, b;

	if (evtchn_alloc_unbound(DOMID_SELF, &a) < 0 || evtchn_bind_interdomain(DOMID_SELF, a, &b) < 0)
		panic("prim-bench: loopback bind failed");
	evtchn_set_handler(a, on_event, NULL);
	evtchn_set_handler(b, on_event, NULL);
	take(b);	/* the bind's own event */
	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint64_t t0 = time_now_ns();

		evtchn_send(a);
		wait_port(b, 0, EVENTS_NO_DEADLINE);
		evtchn_send(b);
		wait_port(a, 0, EVENTS_NO_DEADLINE);
		samples[i] = time_now_ns() - t0;
	}
	printk("prim-bench: evtchn-loopback-rtt median_ns=%lu\n", (unsigned long)median(ROUNDS));
	evtchn_close(a);
	evtchn_close(b);
}

static void bench_map(domid_t self, uint8_t *pages)
{
	static gnttab_map_grant_ref_t map[BATCH];
	static gnttab_unmap_grant_ref_t unmap[BATCH];
	grant_ref_t refs[BATCH];

	for (unsigned int i = 0; i < BATCH; i++)
		refs[i] = (grant_ref_t)gnttab_grant_access(self, virt_to_phys(pages + i * 4096) >> 12, false);
	for (unsigned int n = 1; n <= BATCH; n += BATCH - 1) {
		unsigned int rounds = n == 1 ? ROUNDS : ROUNDS / 4;

		for (unsigned int r = 0; r < rounds; r++) {
			uint64_t t0 = time_now_ns();

			for (unsigned int i = 0; i < n; i++)
				map[i] = (gnttab_map_grant_ref_t){ .flags = GNTMAP_host_map, .ref = refs[i], .dom = self };
			if (gnttab_op(GNTTABOP_map_grant_ref, map, n) < 0 || map[0].status != GNTST_okay)
				panic("prim-bench: map failed (%d)", map[0].status);
			for (unsigned int i = 0; i < n; i++)
				unmap[i] = (gnttab_unmap_grant_ref_t){ .handle = map[i].handle };
			if (gnttab_op(GNTTABOP_unmap_grant_ref, unmap, n) < 0)
				panic("prim-bench: unmap failed");
			samples[r] = time_now_ns() - t0;
		}
		printk("prim-bench: gnt-map-unmap-%u median_ns=%lu\n", n, (unsigned long)median(rounds));
	}
	for (unsigned int i = 0; i < BATCH; i++)
		gnttab_end_access(refs[i]);
}

static void bench_copy(domid_t self, uint8_t *pages)
{
	grant_ref_t ref = (grant_ref_t)gnttab_grant_access(self, virt_to_phys(pages) >> 12, true);
	gnttab_copy_t op;

	for (unsigned int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = time_now_ns();

		op = (gnttab_copy_t){ .source = { .u.ref = ref, .domid = self },
			.dest = { .u.gmfn = virt_to_phys(pages + 4096) >> 12, .domid = DOMID_SELF },
			.len = 4096, .flags = GNTCOPY_source_gref };
		if (gnttab_op(GNTTABOP_copy, &op, 1) < 0 || op.status != GNTST_okay)
			panic("prim-bench: copy failed (%d)", op.status);
		samples[r] = time_now_ns() - t0;
	}
	printk("prim-bench: gnt-copy-4k median_ns=%lu\n", (unsigned long)median(ROUNDS));
	gnttab_end_access(ref);
}

static void bench_dom0(uint64_t poll_us)
{
	uint64_t deadline = time_now_ns() + PEER_WAIT_NS;
	evtchn_port_t port;

	if (evtchn_alloc_unbound(0, &port) < 0)
		panic("prim-bench: cannot offer a port to dom0");
	evtchn_set_handler(port, on_event, NULL);
	printk("prim-bench: peer-port %u\n", port);
	/* The peer starts the game by notifying us once. */
	if (!wait_port(port, 0, deadline))
		panic("prim-bench: no peer bound port %u within 30 s", port);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint64_t t0 = time_now_ns();

		evtchn_send(port);
		if (!wait_port(port, poll_us * 1000, time_now_ns() + PEER_WAIT_NS))
			panic("prim-bench: the peer stopped answering");
		samples[i] = time_now_ns() - t0;
	}
	printk("prim-bench: evtchn-dom0-rtt poll_us=%lu median_ns=%lu\n", (unsigned long)poll_us,
	       (unsigned long)median(ROUNDS));
	evtchn_close(port);
}

void workload_prim_bench(void)
{
	uint8_t *pages = mm_alloc_pages(BATCH + 1);
	uint64_t poll_us;
	domid_t self;

	if (!pages || !gnttab_is_ready())
		panic("prim-bench: needs memory and a grant table");
	if (cmdline_get_u64("poll_us", 0, 0, 10000, &poll_us) < 0)
		panic("prim-bench: poll_us= must be 0..10000");
	self = bench_own_domid();
	bench_loopback();
	bench_map(self, pages);
	bench_copy(self, pages);
	if (strcmp(cmdline_get("peer", ""), "dom0") == 0)
		bench_dom0(poll_us);
	kernel_shutdown(SHUTDOWN_poweroff);
}

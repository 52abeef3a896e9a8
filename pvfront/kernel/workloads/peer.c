/*
 * peer.c: init=peer, event channels and grants between two guests.
 *
 * Two guests boot with init=peer; dom0 (the test, acting as toolstack)
 * writes each one's data/peer with the other's domid. The lower domid
 * serves: it offers an unbound port and a read-only grant of a page with
 * a known pattern to the peer and publishes them in data/port and
 * data/gref; dom0 copies those to the client's data/peer-port and
 * data/peer-gref. Then, with events as the steps:
 *
 *   client: bind the port; copy the granted page and check the pattern;
 *           map the grant read-only; fail to map it writable; send (A)
 *   server: on A, refuse to end access while it is mapped; send (B)
 *   client: on B, unmap; send (C)
 *   server: on C, end access; send (D)
 *   client: on D, done
 *
 * Each side prints "peer: ok NAME" or "peer: FAIL NAME: ..." per check and
 * "peer: N passed, M failed", then powers off.
 */
#include <stdint.h>

#include <pvos/console.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "../../xen/xenfront.h"

#define STEP_NS		(30ull * 1000000000ull)
#define PATTERN(i)	((uint8_t)(0x5a ^ (i) * 7))

static unsigned int passed, failed;
static volatile unsigned int arrivals;

static void result(bool ok, const char *name, const char *why)
{
	if (ok) {
		passed++;
		printk("peer: ok %s\n", name);
	} else {
		failed++;
		printk("peer: FAIL %s: %s\n", name, why);
	}
}

static void on_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	arrivals++;
}

/* Waits for the next event on our port; false after STEP_NS. */
static bool wait_step(unsigned int *seen)
{
	uint64_t deadline = time_now_ns() + STEP_NS;

	while (arrivals == *seen)
		if (!events_block(deadline) && arrivals == *seen)
			return false;
	*seen = arrivals;
	return true;
}

static uint64_t wait_value(const char *path)
{
	uint64_t v = 0;

	xenbus_watch(path, "peer");
	while (xenbus_read_u64(XBT_NIL, path, 0xffffffffu, &v) < 0)
		if (xenbus_wait_event_until("peer", NULL, 0, time_now_ns() + STEP_NS) < 0)
			panic("peer: nothing appeared at %s", path);
	xenbus_unwatch(path, "peer");
	return v;
}

static void serve(domid_t peer)
{
	uint8_t *page = mm_alloc_pages(1);
	evtchn_port_t port;
	unsigned int seen = 0;
	int ref;

	for (unsigned int i = 0; i < 4096; i++)
		page[i] = PATTERN(i);
	ref = gnttab_grant_access(peer, virt_to_phys(page) >> 12, true);
	if (ref < 0 || evtchn_alloc_unbound(peer, &port) < 0)
		panic("peer: cannot offer a grant and a port to domain %u", peer);
	evtchn_set_handler(port, on_event, NULL);
	xenbus_printf(XBT_NIL, "data/gref", "%d", ref);
	xenbus_printf(XBT_NIL, "data/port", "%u", port);
	printk("peer: serving domain %u on port %u, grant %d\n", peer, port, ref);
	result(wait_step(&seen), "event-from-peer", "no event from the client");
	result(!gnttab_end_access((grant_ref_t)ref), "end-access-while-mapped-refused",
	       "ended access to a grant the peer maps");
	evtchn_send(port);
	result(wait_step(&seen), "second-event", "the client did not unmap");
	result(gnttab_end_access((grant_ref_t)ref), "end-access-after-unmap",
	       "access could not be ended after the peer unmapped");
	evtchn_send(port);
}

static void client(domid_t self, domid_t peer)
{
	uint64_t rport = wait_value("data/peer-port"), gref = wait_value("data/peer-gref");
	uint8_t *page = mm_alloc_pages(1);
	gnttab_copy_t cp;
	gnttab_map_grant_ref_t map;
	gnttab_unmap_grant_ref_t unmap;
	evtchn_port_t port;
	unsigned int seen = 0;
	bool same = true;

	result(evtchn_bind_interdomain(peer, (evtchn_port_t)rport, &port) == 0, "bind-interdomain",
	       "could not bind the server's port");
	/*
	 * event_channel.c: a newly bound local port is set pending. That event
	 * is not the server's answer: take it before waiting for answers.
	 */
	evtchn_clear_pending(port);
	evtchn_set_handler(port, on_event, NULL);
	cp = (gnttab_copy_t){ .source = { .u.ref = (grant_ref_t)gref, .domid = peer },
		.dest = { .u.gmfn = virt_to_phys(page) >> 12, .domid = DOMID_SELF },
		.len = 4096, .flags = GNTCOPY_source_gref };
	gnttab_op(GNTTABOP_copy, &cp, 1);
	for (unsigned int i = 0; i < 4096 && cp.status == GNTST_okay; i++)
		same = same && page[i] == PATTERN(i);
	result(cp.status == GNTST_okay && same, "grant-copy-from-peer", "the copied page differs");
	map = (gnttab_map_grant_ref_t){ .flags = GNTMAP_host_map, .ref = (grant_ref_t)gref, .dom = peer };
	gnttab_op(GNTTABOP_map_grant_ref, &map, 1);
	result(map.status != GNTST_okay, "writable-map-of-ro-refused", "mapped a read-only grant writable");
	map = (gnttab_map_grant_ref_t){ .flags = GNTMAP_host_map | GNTMAP_readonly,
		.ref = (grant_ref_t)gref, .dom = peer };
	gnttab_op(GNTTABOP_map_grant_ref, &map, 1);
	result(map.status == GNTST_okay, "readonly-map", gnttab_status_name(map.status));
	(void)self;
	evtchn_send(port);
	result(wait_step(&seen), "event-from-server", "no answer from the server");
	unmap = (gnttab_unmap_grant_ref_t){ .handle = map.handle };
	gnttab_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
	result(unmap.status == GNTST_okay, "unmap", gnttab_status_name(unmap.status));
	evtchn_send(port);
	result(wait_step(&seen), "final-event", "no last answer from the server");
}

void workload_peer(void)
{
	uint64_t self, peer;

	if (xenbus_read_u64(XBT_NIL, "domid", 0x7fef, &self) < 0)
		panic("peer: cannot read our domid from XenStore");
	printk("peer: domain %lu waiting for data/peer\n", (unsigned long)self);
	peer = wait_value("data/peer");
	if (self < peer)
		serve((domid_t)peer);
	else
		client((domid_t)self, (domid_t)peer);
	printk("peer: %u passed, %u failed\n", passed, failed);
	kernel_shutdown(SHUTDOWN_poweroff);
}

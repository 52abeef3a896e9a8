/*
 * test-hv-evtchn-gnttab.c: event channels and grant tables between two
 * real domains (real memory, real event fds, no runners), through the
 * same entry points the hypercall dispatcher uses. Every case a hostile
 * guest could try is here: bad ports, foreign ports, floods, grants for
 * someone else, writable maps of read-only grants, stale handles, copies
 * past a page, a granter destroyed while mapped, a guest that makes dom0
 * map all it can, and handles out of range, unmapped twice or held by
 * another connection or domain.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>

#include "cunit-main.h"
#include "hv-priv.h"

#define MEM_SIZE	(4u << 20)
#define ARG		0x300000	/* where "guests" put hypercall arguments */


static struct hv_domain *a, *b;

static struct hv_domain *new_domain(uint32_t domid)
{
	struct hv_domain *d = calloc(1, sizeof(*d));

	d->domid = domid;
	snprintf(d->name, sizeof(d->name), "dom%u", domid);
	d->mem_size = MEM_SIZE;
	d->nr_pages = d->max_pages = MEM_SIZE >> 12;
	d->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	d->vcpus = 1;
	d->max_evtchn_port = 63;
	d->max_grant_frames = 4;
	d->mem_fd = d->pidfd = d->hcall_fd = d->notify_fd = d->timer_fd = d->console_fd = -1;
	d->kernel_fd = -1;
	d->event_fd = eventfd(0, EFD_NONBLOCK);
	d->on_poweroff = d->on_reboot = d->on_crash = PVH_ACTION_PRESERVE;
	CU_ASSERT_FATAL(hv_evtchn_init(d) == 0 && hv_gnttab_init(d) == 0);
	hv_gnttab_seed(d);
	for (int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (!hv.domains[i]) {
			hv.domains[i] = d;
			hv.ndomains++;
			break;
		}
	}
	return d;
}

static void setup(void)
{
	memset(&hv, 0, sizeof(hv));
	hv.epfd = epoll_create1(0);
	hv.rundir = "/tmp";
	CU_ASSERT_FATAL(hv_dom0_init() == 0);
	a = new_domain(1);
	b = new_domain(2);
}

static void teardown(void)
{
	hv_gnttab_destroy(&hv.dom0);	/* first: a granter dom0 maps would stay dying */
	hv_domain_destroy_all();
	hv_evtchn_destroy(&hv.dom0);
	hv_gnttab_free(&hv.dom0);
	close(hv.epfd);
}

static uint64_t kicks(struct hv_domain *d)
{
	uint64_t n = 0;

	if (read(d->event_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static shared_info_t *sh(struct hv_domain *d)
{
	return (shared_info_t *)d->mem;
}

static bool pending(struct hv_domain *d, uint32_t port)
{
	return sh(d)->evtchn_pending[port / 64] & (1ul << (port % 64));
}

/* Runs an event channel op with ARG as the guest's argument struct. */
static int64_t ev(struct hv_domain *d, int cmd, void *arg, size_t size)
{
	int64_t rc;

	memcpy(d->mem + ARG, arg, size);
	rc = hv_evtchn_op(d, (uint64_t)cmd, ARG);
	memcpy(arg, d->mem + ARG, size);
	return rc;
}

static uint32_t alloc_unbound(struct hv_domain *d, domid_t remote)
{
	evtchn_alloc_unbound_t au = { .dom = DOMID_SELF, .remote_dom = remote };

	CU_ASSERT_EQUAL_FATAL(ev(d, EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
	return au.port;
}

static int64_t bind(struct hv_domain *d, domid_t rdom, uint32_t rport, uint32_t *local)
{
	evtchn_bind_interdomain_t bi = { .remote_dom = rdom, .remote_port = rport };
	int64_t rc = ev(d, EVTCHNOP_bind_interdomain, &bi, sizeof(bi));

	*local = bi.local_port;
	return rc;
}

static uint32_t status_of(struct hv_domain *d, uint32_t port, evtchn_status_t *out)
{
	evtchn_status_t st = { .dom = DOMID_SELF, .port = port };

	CU_ASSERT_EQUAL(ev(d, EVTCHNOP_status, &st, sizeof(st)), 0);
	if (out)
		*out = st;
	return st.status;
}

static void test_bind_send_close(void)
{
	uint32_t pa, pb;
	evtchn_status_t st;

	setup();
	pa = alloc_unbound(a, 2);
	CU_ASSERT(pa >= 1);
	CU_ASSERT_EQUAL(status_of(a, pa, &st), EVTCHNSTAT_unbound);
	CU_ASSERT_EQUAL(st.u.unbound.dom, 2);
	kicks(b);
	CU_ASSERT_EQUAL(bind(b, 1, pa, &pb), 0);
	CU_ASSERT(pending(b, pb));			/* new local port is pending */
	CU_ASSERT_EQUAL(sh(b)->vcpu_info[0].evtchn_upcall_pending, 1);
	CU_ASSERT_EQUAL(kicks(b), 1);
	CU_ASSERT_EQUAL(status_of(b, pb, &st), EVTCHNSTAT_interdomain);
	CU_ASSERT_EQUAL(st.u.interdomain.port, pa);
	CU_ASSERT_EQUAL(hv_evtchn_send(a, pa), 0);
	CU_ASSERT_EQUAL(hv_evtchn_close(a, pa), 0);
	CU_ASSERT_EQUAL(status_of(b, pb, &st), EVTCHNSTAT_unbound);	/* peer back to unbound */
	CU_ASSERT_EQUAL(st.u.unbound.dom, 1);
	CU_ASSERT_EQUAL(hv_evtchn_send(b, pb), 0);		/* unbound: dropped */
	CU_ASSERT_EQUAL(hv_evtchn_send(a, pa), -EINVAL);	/* closed */
	CU_ASSERT_EQUAL(hv_evtchn_close(a, pa), -EINVAL);	/* twice */
	teardown();
}

static void test_hostile_ports(void)
{
	uint32_t pa, pb, junk;
	evtchn_alloc_unbound_t au = { .dom = 2, .remote_dom = 1 };
	evtchn_bind_virq_t bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	evtchn_status_t st = { .dom = 2, .port = 1 };

	setup();
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_alloc_unbound, &au, sizeof(au)), -EPERM);
	au = (evtchn_alloc_unbound_t){ .dom = DOMID_SELF, .remote_dom = 77 };
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);	/* Xen: need not exist */
	CU_ASSERT_EQUAL(hv_evtchn_close(a, au.port), 0);
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_status, &st, sizeof(st)), -EPERM);
	pa = alloc_unbound(a, 2);
	CU_ASSERT_EQUAL(bind(b, 1, pa + 1, &junk), -EINVAL);	/* free port */
	CU_ASSERT_EQUAL(bind(b, 1, 0, &junk), -EINVAL);		/* port 0 */
	CU_ASSERT_EQUAL(bind(b, 1, 1u << 30, &junk), -EINVAL);	/* past the table */
	CU_ASSERT_EQUAL(bind(b, 9, pa, &junk), -ESRCH);
	CU_ASSERT_EQUAL(bind(b, 1, pa, &pb), 0);
	CU_ASSERT_EQUAL(bind(b, 1, pa, &junk), -EINVAL);	/* already bound */
	CU_ASSERT_EQUAL(bind(a, 1, pa, &junk), -EINVAL);	/* not offered to a */
	CU_ASSERT_EQUAL(hv_evtchn_close(a, 0), -EINVAL);
	CU_ASSERT_EQUAL(status_of(a, 0, NULL), EVTCHNSTAT_closed);
	CU_ASSERT_EQUAL(hv_evtchn_send(a, UINT32_MAX), -EINVAL);
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_bind_virq, &bv, sizeof(bv)), 0);
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_bind_virq, &bv, sizeof(bv)), -EEXIST);
	bv.virq = 99;
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_bind_virq, &bv, sizeof(bv)), -EINVAL);
	bv = (evtchn_bind_virq_t){ .virq = VIRQ_DEBUG, .vcpu = 1 };
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_bind_virq, &bv, sizeof(bv)), -ENOENT);
	CU_ASSERT_EQUAL(hv_evtchn_op(a, EVTCHNOP_status, MEM_SIZE - 4), -EFAULT);
	CU_ASSERT_EQUAL(hv_evtchn_op(a, EVTCHNOP_send, UINT64_MAX), -EFAULT);
	CU_ASSERT_EQUAL(hv_evtchn_op(a, 999, ARG), -ENOSYS);
	CU_ASSERT_EQUAL(hv_evtchn_op(a, EVTCHNOP_init_control, ARG), -ENOSYS);
	teardown();
}

static void test_port_limit(void)
{
	uint32_t n = 0;
	evtchn_alloc_unbound_t au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };

	setup();
	while (ev(a, EVTCHNOP_alloc_unbound, &au, sizeof(au)) == 0)
		n++;
	CU_ASSERT_EQUAL(n, 63);			/* ports 1..63 */
	CU_ASSERT_EQUAL(ev(a, EVTCHNOP_alloc_unbound, &au, sizeof(au)), -ENOSPC);
	CU_ASSERT_EQUAL(hv_evtchn_close(a, 5), 0);
	CU_ASSERT_EQUAL(alloc_unbound(a, DOMID_SELF), 5);	/* lowest free */
	teardown();
}

static void test_flood_and_mask(void)
{
	uint32_t pa, pb;
	evtchn_unmask_t um;

	setup();
	pa = alloc_unbound(a, 2);
	bind(b, 1, pa, &pb);
	/* The guest consumes the bind event: clears pending and the selector. */
	sh(b)->evtchn_pending[0] = 0;
	sh(b)->vcpu_info[0].evtchn_pending_sel = 0;
	sh(b)->vcpu_info[0].evtchn_upcall_pending = 0;
	kicks(b);
	for (int i = 0; i < 1000000; i++)
		hv_evtchn_send(a, pa);
	CU_ASSERT_EQUAL(kicks(b), 1);		/* one edge, one wake-up */
	CU_ASSERT(pending(b, pb));
	/* Masked: pending is recorded, nobody is woken. */
	sh(b)->evtchn_pending[0] = 0;
	sh(b)->vcpu_info[0].evtchn_pending_sel = 0;
	sh(b)->evtchn_mask[0] = 1ul << pb;
	hv_evtchn_send(a, pa);
	CU_ASSERT(pending(b, pb));
	CU_ASSERT_EQUAL(sh(b)->vcpu_info[0].evtchn_pending_sel, 0);
	CU_ASSERT_EQUAL(kicks(b), 0);
	um.port = pb;
	CU_ASSERT_EQUAL(ev(b, EVTCHNOP_unmask, &um, sizeof(um)), 0);
	CU_ASSERT_EQUAL(sh(b)->evtchn_mask[0], 0);
	CU_ASSERT_EQUAL(sh(b)->vcpu_info[0].evtchn_pending_sel, 1);	/* re-raised */
	CU_ASSERT_EQUAL(kicks(b), 1);
	teardown();
}

static void test_destroy_unbinds_peer(void)
{
	uint32_t pa, pb;

	setup();
	pa = alloc_unbound(a, 2);
	bind(b, 1, pa, &pb);
	hv_domain_destroy(a);
	CU_ASSERT_EQUAL(status_of(b, pb, NULL), EVTCHNSTAT_unbound);
	CU_ASSERT_EQUAL(hv_evtchn_send(b, pb), 0);
	teardown();
}

/* --- grant tables --- */

static grant_entry_v1_t *gt(struct hv_domain *d)
{
	return (grant_entry_v1_t *)(d->mem + (PVH_GNTTAB_FIRST_PFN << 12));
}

static void grant(struct hv_domain *d, grant_ref_t ref, domid_t to, uint32_t frame, bool ro)
{
	gt(d)[ref].domid = to;
	gt(d)[ref].frame = frame;
	__atomic_store_n(&gt(d)[ref].flags, GTF_permit_access | (ro ? GTF_readonly : 0),
			 __ATOMIC_RELEASE);
}

static int16_t map(struct hv_domain *d, domid_t dom, grant_ref_t ref, uint32_t flags,
		   grant_handle_t *h)
{
	gnttab_map_grant_ref_t op = { .flags = flags, .ref = ref, .dom = dom };

	memcpy(d->mem + ARG, &op, sizeof(op));
	CU_ASSERT_EQUAL(hv_gnttab_op(d, GNTTABOP_map_grant_ref, ARG, 1), 0);
	memcpy(&op, d->mem + ARG, sizeof(op));
	if (h)
		*h = op.handle;
	return op.status;
}

static int16_t unmap(struct hv_domain *d, grant_handle_t h)
{
	gnttab_unmap_grant_ref_t op = { .handle = h };

	memcpy(d->mem + ARG, &op, sizeof(op));
	CU_ASSERT_EQUAL(hv_gnttab_op(d, GNTTABOP_unmap_grant_ref, ARG, 1), 0);
	memcpy(&op, d->mem + ARG, sizeof(op));
	return op.status;
}

static void test_map_unmap(void)
{
	grant_handle_t h, h2;

	setup();
	grant(a, 10, 2, 500, false);
	grant(a, 11, 2, 501, true);
	grant(a, 12, 0, 502, false);	/* for dom0, not b */
	CU_ASSERT_EQUAL(map(b, 1, 10, GNTMAP_host_map, &h), GNTST_okay);
	CU_ASSERT_EQUAL(gt(a)[10].flags & (GTF_reading | GTF_writing), GTF_reading | GTF_writing);
	CU_ASSERT_EQUAL(map(b, 1, 10, GNTMAP_host_map | GNTMAP_readonly, &h2), GNTST_okay);
	CU_ASSERT_EQUAL(unmap(b, h), GNTST_okay);
	CU_ASSERT_EQUAL(gt(a)[10].flags & (GTF_reading | GTF_writing), GTF_reading);
	CU_ASSERT_EQUAL(unmap(b, h2), GNTST_okay);
	CU_ASSERT_EQUAL(gt(a)[10].flags, GTF_permit_access);	/* flags cleared */
	CU_ASSERT_EQUAL(unmap(b, h2), GNTST_bad_handle);		/* stale */
	CU_ASSERT_EQUAL(unmap(b, 60000), GNTST_bad_handle);
	CU_ASSERT_EQUAL(map(b, 1, 11, GNTMAP_host_map, NULL), GNTST_general_error);	/* r/o as rw */
	CU_ASSERT_EQUAL(map(b, 1, 11, GNTMAP_host_map | GNTMAP_readonly, &h), GNTST_okay);
	CU_ASSERT_EQUAL(gt(a)[11].flags & GTF_writing, 0);
	CU_ASSERT_EQUAL(map(b, 1, 12, GNTMAP_host_map, NULL), GNTST_general_error);	/* not ours */
	CU_ASSERT_EQUAL(map(b, 1, 13, GNTMAP_host_map, NULL), GNTST_general_error);	/* invalid */
	CU_ASSERT_EQUAL(map(b, 1, 4096, GNTMAP_host_map, NULL), GNTST_bad_gntref);	/* past */
	CU_ASSERT_EQUAL(map(b, 1, UINT32_MAX, GNTMAP_host_map, NULL), GNTST_bad_gntref);
	CU_ASSERT_EQUAL(map(b, 9, 10, GNTMAP_host_map, NULL), GNTST_bad_domain);
	CU_ASSERT_EQUAL(map(b, DOMID_SELF, 10, GNTMAP_host_map, NULL), GNTST_bad_domain);
	/* The granter rewrites domid for someone else: the pin must fail. */
	gt(a)[15] = (grant_entry_v1_t){ GTF_permit_access, 3, 503 };
	CU_ASSERT_EQUAL(map(b, 1, 15, GNTMAP_host_map, NULL), GNTST_general_error);
	CU_ASSERT_EQUAL(gt(a)[15].flags, GTF_permit_access);
	CU_ASSERT_EQUAL(map(b, 1, 10, 0, NULL), GNTST_bad_gntref);	/* no map kind */
	grant(a, 14, 2, MEM_SIZE >> 12, false);
	CU_ASSERT_EQUAL(map(b, 1, 14, GNTMAP_host_map, NULL), GNTST_bad_page);
	teardown();
}

static void test_rewrite_while_mapped(void)
{
	grant_handle_t h;

	setup();
	grant(a, 20, 2, 600, false);
	CU_ASSERT_EQUAL(map(b, 1, 20, GNTMAP_host_map | GNTMAP_readonly, &h), GNTST_okay);
	/* The granter rewrites the entry for someone else while it is pinned. */
	gt(a)[20].domid = 3;
	gt(a)[20].frame = 700;
	CU_ASSERT_EQUAL(map(b, 1, 20, GNTMAP_host_map | GNTMAP_readonly, NULL), GNTST_okay);
	CU_ASSERT_EQUAL(a->gnt_active[20].frame, 600);	/* the pinned frame stands */
	gt(a)[20].domid = 2;		/* an upgrade to writing keeps it too */
	CU_ASSERT_EQUAL(map(b, 1, 20, GNTMAP_host_map, NULL), GNTST_okay);
	CU_ASSERT_EQUAL(a->gnt_active[20].frame, 600);
	hv_gnttab_release_maps(b);
	CU_ASSERT_EQUAL(a->gnt_pins, 0);
	CU_ASSERT_EQUAL(gt(a)[20].flags & (GTF_reading | GTF_writing), 0);
	teardown();
}

static int16_t copy(struct hv_domain *d, gnttab_copy_t *op)
{
	memcpy(d->mem + ARG, op, sizeof(*op));
	CU_ASSERT_EQUAL(hv_gnttab_op(d, GNTTABOP_copy, ARG, 1), 0);
	memcpy(op, d->mem + ARG, sizeof(*op));
	return op->status;
}

static void test_copy(void)
{
	gnttab_copy_t op;

	setup();
	memcpy(a->mem + (600 << 12) + 100, "granted bytes", 13);
	grant(a, 30, 2, 600, true);
	grant(a, 31, 2, 601, true);
	op = (gnttab_copy_t){ .source = { .u.ref = 30, .domid = 1, .offset = 100 },
		.dest = { .u.gmfn = 700, .domid = DOMID_SELF, .offset = 8 },
		.len = 13, .flags = GNTCOPY_source_gref };
	CU_ASSERT_EQUAL(copy(b, &op), GNTST_okay);
	CU_ASSERT_EQUAL(memcmp(b->mem + (700 << 12) + 8, "granted bytes", 13), 0);
	CU_ASSERT_EQUAL(a->gnt_pins, 0);		/* unpinned afterwards */
	CU_ASSERT_EQUAL(gt(a)[30].flags, GTF_permit_access | GTF_readonly);
	op.source.offset = 4000;
	op.len = 200;
	CU_ASSERT_EQUAL(copy(b, &op), GNTST_bad_copy_arg);
	op = (gnttab_copy_t){ .source = { .u.gmfn = 700, .domid = DOMID_SELF },
		.dest = { .u.ref = 31, .domid = 1 }, .len = 8, .flags = GNTCOPY_dest_gref };
	CU_ASSERT_EQUAL(copy(b, &op), GNTST_general_error);	/* read-only dest, as Xen */
	op = (gnttab_copy_t){ .source = { .u.gmfn = 700, .domid = 1 },
		.dest = { .u.gmfn = 701, .domid = DOMID_SELF }, .len = 8 };
	CU_ASSERT_EQUAL(copy(b, &op), GNTST_permission_denied);	/* a's raw frame */
	op.source.domid = DOMID_SELF;
	op.source.u.gmfn = MEM_SIZE >> 12;
	CU_ASSERT_EQUAL(copy(b, &op), GNTST_bad_page);
	CU_ASSERT_EQUAL(hv_gnttab_op(b, GNTTABOP_copy, ARG, 513), -EINVAL);
	CU_ASSERT_EQUAL(hv_gnttab_op(b, GNTTABOP_copy, MEM_SIZE - 8, 1), -EFAULT);
	CU_ASSERT_EQUAL(hv_gnttab_op(b, GNTTABOP_copy, ARG, 0), 0);
	CU_ASSERT_EQUAL(hv_gnttab_op(b, 99, ARG, 1), -ENOSYS);
	teardown();
}

static void test_setup_table(void)
{
	gnttab_setup_table_t st = { .dom = DOMID_SELF, .nr_frames = 4 };
	gnttab_query_size_t qs = { .dom = DOMID_SELF };
	xen_pfn_t frames[4];

	setup();
	set_xen_guest_handle(st.frame_list, (xen_pfn_t *)(uintptr_t)(ARG + 0x1000));
	memcpy(a->mem + ARG, &st, sizeof(st));
	CU_ASSERT_EQUAL(hv_gnttab_op(a, GNTTABOP_setup_table, ARG, 1), 0);
	memcpy(&st, a->mem + ARG, sizeof(st));
	CU_ASSERT_EQUAL(st.status, GNTST_okay);
	memcpy(frames, a->mem + ARG + 0x1000, sizeof(frames));
	CU_ASSERT_EQUAL(frames[0], PVH_GNTTAB_FIRST_PFN);
	CU_ASSERT_EQUAL(frames[3], PVH_GNTTAB_FIRST_PFN + 3);
	st.nr_frames = 5;
	memcpy(a->mem + ARG, &st, sizeof(st));
	CU_ASSERT_EQUAL(hv_gnttab_op(a, GNTTABOP_setup_table, ARG, 1), 0);
	memcpy(&st, a->mem + ARG, sizeof(st));
	CU_ASSERT_EQUAL(st.status, GNTST_general_error);
	set_xen_guest_handle(st.frame_list, (xen_pfn_t *)(uintptr_t)(MEM_SIZE - 8));
	st.nr_frames = 2;
	memcpy(a->mem + ARG, &st, sizeof(st));
	CU_ASSERT_EQUAL(hv_gnttab_op(a, GNTTABOP_setup_table, ARG, 1), -EFAULT);
	memcpy(a->mem + ARG, &qs, sizeof(qs));
	CU_ASSERT_EQUAL(hv_gnttab_op(a, GNTTABOP_query_size, ARG, 1), 0);
	memcpy(&qs, a->mem + ARG, sizeof(qs));
	CU_ASSERT_EQUAL(qs.nr_frames, 4);
	CU_ASSERT_EQUAL(qs.max_nr_frames, 4);
	CU_ASSERT_EQUAL(hv_gnttab_op(a, GNTTABOP_query_size, ARG, 2), -EINVAL);
	CU_ASSERT_EQUAL(hv_gnttab_op(a, GNTTABOP_setup_table, ARG, 0), -EINVAL);
	CU_ASSERT_EQUAL(gt(a)[GNTTAB_RESERVED_CONSOLE].frame, PVH_CONSOLE_PFN);	/* seeded */
	CU_ASSERT_EQUAL(gt(a)[GNTTAB_RESERVED_XENSTORE].frame, PVH_XENSTORE_PFN);
	teardown();
}

static void test_destroy_while_mapped(void)
{
	grant_handle_t h;

	setup();
	grant(a, 40, 2, 800, false);
	CU_ASSERT_EQUAL(map(b, 1, 40, GNTMAP_host_map, &h), GNTST_okay);
	hv_domain_destroy(a);
	CU_ASSERT_PTR_EQUAL(hv_domain_by_id(1), a);
	CU_ASSERT_EQUAL(a->state, PVH_STATE_DYING);
	CU_ASSERT_EQUAL(map(b, 1, 40, GNTMAP_host_map, NULL), GNTST_bad_domain);
	CU_ASSERT_EQUAL(unmap(b, h), GNTST_okay);
	CU_ASSERT_PTR_NULL(hv_domain_by_id(1));		/* reaped on the last unmap */
	teardown();
}

static void test_revoke_on_restart(void)
{
	grant_handle_t h, h2;

	setup();
	grant(a, 50, 2, 900, false);
	CU_ASSERT_EQUAL(map(b, 1, 50, GNTMAP_host_map, &h), GNTST_okay);
	hv_gnttab_revoke_foreign(a);
	CU_ASSERT_EQUAL(a->gnt_pins, 0);
	/* The revoked handle stays reserved: a new map gets another one. */
	CU_ASSERT_EQUAL(map(b, 1, 50, GNTMAP_host_map, &h2), GNTST_okay);
	CU_ASSERT_NOT_EQUAL(h, h2);
	CU_ASSERT_EQUAL(unmap(b, h), GNTST_okay);		/* releases only the slot */
	CU_ASSERT_EQUAL(a->gnt_pins, 1);			/* h2's pin stands */
	CU_ASSERT_EQUAL(unmap(b, h2), GNTST_okay);
	CU_ASSERT_EQUAL(a->gnt_pins, 0);
	CU_ASSERT_EQUAL(unmap(b, h), GNTST_bad_handle);
	teardown();
}

/* --- dom0's maptrack: handles, shares, hostile handles, copy budget --- */

#define SHARE	(4 * 512)	/* new_domain()'s max_grant_frames of entries */

/* Dom0's daemons, as pvhv's control connections: only their addresses matter. */
static const int conn1, conn2;

static int16_t dom0_map(const void *conn, uint32_t domid, grant_ref_t ref, uint32_t *h)
{
	uint64_t offset;
	uint32_t handle;
	int memfd;
	int16_t st = (int16_t)hv_dom0_map(conn, domid, ref, false, &handle, &offset, &memfd);

	if (h)
		*h = handle;
	return st;
}

static void test_dom0_share(void)
{
	struct hv_domain *c;
	uint32_t h, first;

	setup();
	grant(a, 10, 0, 500, false);
	grant(b, 10, 0, 500, false);
	/* a hands one ref to dom0 again and again: dom0 maps it up to a's share. */
	CU_ASSERT_EQUAL(dom0_map(&conn1, 1, 10, &first), GNTST_okay);
	for (unsigned int i = 1; i < SHARE; i++)
		CU_ASSERT_EQUAL_FATAL(dom0_map(&conn1, 1, 10, NULL), GNTST_okay);
	CU_ASSERT_EQUAL(a->dom0_maps, SHARE);
	CU_ASSERT_EQUAL(dom0_map(&conn1, 1, 10, NULL), GNTST_no_space);
	CU_ASSERT_EQUAL(dom0_map(&conn2, 1, GNTTAB_RESERVED_XENSTORE, NULL), GNTST_no_space);
	/* b's grants and rings are b's share: untouched. */
	CU_ASSERT_EQUAL(dom0_map(&conn2, 2, GNTTAB_RESERVED_XENSTORE, NULL), GNTST_okay);
	CU_ASSERT_EQUAL(dom0_map(&conn2, 2, GNTTAB_RESERVED_CONSOLE, NULL), GNTST_okay);
	CU_ASSERT_EQUAL(dom0_map(&conn1, 2, 10, NULL), GNTST_okay);
	CU_ASSERT_EQUAL(b->dom0_maps, 3);
	/* So are a new guest's: it can start while a's share is full. */
	c = new_domain(3);
	CU_ASSERT_EQUAL(dom0_map(&conn2, 3, GNTTAB_RESERVED_XENSTORE, &h), GNTST_okay);
	CU_ASSERT_EQUAL(c->dom0_maps, 1);
	/* One unmap gives a one map back. */
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn1, first), GNTST_okay);
	CU_ASSERT_EQUAL(a->dom0_maps, SHARE - 1);
	CU_ASSERT_EQUAL(dom0_map(&conn1, 1, 10, &h), GNTST_okay);
	CU_ASSERT_EQUAL(h, first);			/* the freed handle, reused */
	/* A connection that closes releases its mappings and a's share with them. */
	hv_dom0_release(&conn1);
	CU_ASSERT_EQUAL(a->dom0_maps, 0);
	CU_ASSERT_EQUAL(a->gnt_pins, 0);
	CU_ASSERT_EQUAL(gt(a)[10].flags, GTF_permit_access);
	CU_ASSERT_EQUAL(b->dom0_maps, 2);		/* conn2's stay */
	CU_ASSERT_EQUAL(dom0_map(&conn1, 1, 10, NULL), GNTST_okay);
	teardown();
}

static void test_handle_reuse(void)
{
	grant_handle_t h[4], again;
	unsigned int n = 0;

	setup();
	grant(a, 10, 2, 500, false);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(map(b, 1, 10, GNTMAP_host_map, &h[i]), GNTST_okay);
	CU_ASSERT(h[0] != h[1] && h[1] != h[2] && h[2] != h[3]);
	CU_ASSERT_EQUAL(unmap(b, h[2]), GNTST_okay);
	CU_ASSERT_EQUAL(unmap(b, h[1]), GNTST_okay);
	CU_ASSERT_EQUAL(map(b, 1, 10, GNTMAP_host_map, &again), GNTST_okay);
	CU_ASSERT_EQUAL(again, h[1]);			/* the last freed first */
	CU_ASSERT_EQUAL(map(b, 1, 10, GNTMAP_host_map, &again), GNTST_okay);
	CU_ASSERT_EQUAL(again, h[2]);
	hv_gnttab_release_maps(b);
	CU_ASSERT_EQUAL(a->gnt_pins, 0);
	/* A guest's own maptrack: 4096 handles, then no_space until one is freed. */
	while (map(b, 1, 10, GNTMAP_host_map | GNTMAP_readonly, &again) == GNTST_okay)
		n++;
	CU_ASSERT_EQUAL(n, 4096);
	CU_ASSERT_EQUAL(map(b, 1, 10, GNTMAP_host_map, NULL), GNTST_no_space);
	CU_ASSERT_EQUAL(unmap(b, 77), GNTST_okay);
	CU_ASSERT_EQUAL(map(b, 1, 10, GNTMAP_host_map, &again), GNTST_okay);
	CU_ASSERT_EQUAL(again, 77);
	CU_ASSERT_EQUAL(a->dom0_maps, 0);		/* guests' mappings are not dom0's */
	teardown();
}

static void test_hostile_handles(void)
{
	grant_handle_t ga;
	uint32_t h;

	setup();
	grant(a, 10, 0, 500, false);
	grant(b, 11, 1, 501, false);
	CU_ASSERT_EQUAL(dom0_map(&conn1, 1, 10, &h), GNTST_okay);
	/* Dom0: out of range, never used, another connection's, twice. */
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn1, UINT32_MAX), GNTST_bad_handle);
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn1, h + 1), GNTST_bad_handle);
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn1, 1u << 24), GNTST_bad_handle);
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn2, h), GNTST_bad_handle);
	CU_ASSERT_EQUAL(a->dom0_maps, 1);		/* conn2 released nothing */
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn1, h), GNTST_okay);
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn1, h), GNTST_bad_handle);
	CU_ASSERT_EQUAL(a->dom0_maps, 0);
	/* A guest: another domain's handle names nothing in its own maptrack. */
	CU_ASSERT_EQUAL(map(a, 2, 11, GNTMAP_host_map, &ga), GNTST_okay);
	CU_ASSERT_EQUAL(unmap(b, ga), GNTST_bad_handle);
	CU_ASSERT_EQUAL(b->gnt_pins, 1);
	CU_ASSERT_EQUAL(unmap(b, UINT32_MAX), GNTST_bad_handle);
	CU_ASSERT_EQUAL(unmap(a, ga + 1), GNTST_bad_handle);	/* past the slots used */
	CU_ASSERT_EQUAL(unmap(a, ga), GNTST_okay);
	CU_ASSERT_EQUAL(unmap(a, ga), GNTST_bad_handle);	/* on the free list now */
	CU_ASSERT_EQUAL(b->gnt_pins, 0);
	teardown();
}

/* Revoked mappings count against their granter until unmapped, never against a successor. */
static void test_revoked_share(void)
{
	struct hv_domain *again;
	uint32_t h;

	setup();
	grant(a, 10, 0, 500, false);
	CU_ASSERT_EQUAL(dom0_map(&conn1, 1, 10, &h), GNTST_okay);
	hv_gnttab_revoke_foreign(a);			/* a restarts */
	CU_ASSERT_EQUAL(a->dom0_maps, 1);
	hv_domain_destroy(a);				/* then is destroyed: nothing pinned */
	CU_ASSERT_PTR_NULL(hv_domain_by_id(1));
	again = new_domain(1);				/* the same domid, a new domain */
	CU_ASSERT_EQUAL(again->dom0_maps, 0);
	CU_ASSERT_EQUAL(hv_dom0_unmap(&conn1, h), GNTST_okay);
	CU_ASSERT_EQUAL(again->dom0_maps, 0);
	teardown();
}

static void test_copy_budget(void)
{
	static gnttab_copy_t ops[64];
	unsigned int done = 0;

	setup();
	grant(a, 30, 2, 600, true);
	for (int i = 0; i < 64; i++)
		ops[i] = (gnttab_copy_t){ .source = { .u.ref = 30, .domid = 1 },
			.dest = { .u.gmfn = 700 + i, .domid = DOMID_SELF }, .len = 4096,
			.flags = GNTCOPY_source_gref };
	memcpy(b->mem + ARG, ops, sizeof(ops));
	CU_ASSERT_EQUAL(hv_gnttab_op(b, GNTTABOP_copy, ARG, 64), 0);
	memcpy(ops, b->mem + ARG, sizeof(ops));
	/* 128 KiB per hypercall: the first 32 pages, the rest left for later, in order. */
	while (done < 64 && ops[done].status == GNTST_okay)
		done++;
	CU_ASSERT_EQUAL(done, 32);
	for (int i = 32; i < 64; i++)
		CU_ASSERT_EQUAL(ops[i].status, GNTST_eagain);
	CU_ASSERT_EQUAL(a->gnt_pins, 0);
	/* The guest sends the rest again. */
	memcpy(b->mem + ARG, ops + 32, 32 * sizeof(ops[0]));
	CU_ASSERT_EQUAL(hv_gnttab_op(b, GNTTABOP_copy, ARG, 32), 0);
	memcpy(ops + 32, b->mem + ARG, 32 * sizeof(ops[0]));
	for (int i = 32; i < 64; i++)
		CU_ASSERT_EQUAL(ops[i].status, GNTST_okay);
	/* Failed copies move nothing and take none of the budget. */
	for (int i = 0; i < 64; i++)
		ops[i].len = i < 48 ? 8000 : 4096;
	memcpy(b->mem + ARG, ops, sizeof(ops));
	CU_ASSERT_EQUAL(hv_gnttab_op(b, GNTTABOP_copy, ARG, 64), 0);
	memcpy(ops, b->mem + ARG, sizeof(ops));
	CU_ASSERT_EQUAL(ops[0].status, GNTST_bad_copy_arg);
	CU_ASSERT_EQUAL(ops[63].status, GNTST_okay);
	teardown();
}

int main(void)
{
	CU_TestInfo ev_tests[] = {
		{ "bind, send, close returns the peer to unbound", test_bind_send_close },
		{ "hostile ports and arguments", test_hostile_ports },
		{ "the port limit", test_port_limit },
		{ "a million sends make one wake-up; masking", test_flood_and_mask },
		{ "destroying a domain unbinds its peers", test_destroy_unbinds_peer },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo gt_tests[] = {
		{ "map and unmap with Xen's checks", test_map_unmap },
		{ "a grant rewritten while mapped", test_rewrite_while_mapped },
		{ "grant copy", test_copy },
		{ "setup_table and query_size", test_setup_table },
		{ "a granter destroyed while mapped is dying until unmapped", test_destroy_while_mapped },
		{ "a restart revokes others' mappings", test_revoke_on_restart },
		{ "dom0 maps a guest's grants within that guest's share", test_dom0_share },
		{ "handles are indices, reused from a free list", test_handle_reuse },
		{ "hostile handles: out of range, twice, another's", test_hostile_handles },
		{ "revoked mappings stay charged, never to a successor", test_revoked_share },
		{ "a copy batch moves at most 128 KiB per hypercall", test_copy_budget },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "evtchn", NULL, NULL, NULL, NULL, ev_tests },
		{ "gnttab", NULL, NULL, NULL, NULL, gt_tests },
		CU_SUITE_INFO_NULL,
	};

	return sv_cunit_run(suites);
}

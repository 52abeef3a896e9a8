/*
 * evtchn.c: event channels with Xen's semantics (event_channel.h) and
 * the 2-level delivery ABI in shared_info.
 *
 * Each domain has a port table sized by its limit (max_evtchn_port + 1,
 * at most the 4096 ports the 2-level ABI can name). Port 0 is reserved.
 * Handlers decode and check a private copy of the argument struct, then
 * act; the only guest memory written afterwards is the result struct and
 * the pending/selector bits, with atomics, since the guest changes its
 * mask and clears its pending bits concurrently (xen.h: "the guest
 * clears pending bits, the hypervisor sets them").
 *
 * Delivery: set the port's pending bit; if it was clear and the port is
 * unmasked, set the selector bit and upcall_pending, and wake the domain
 * through its event fd. A guest blocked in ppoll on that fd wakes; one
 * that is running sees the bits when it next checks. A domain cannot make
 * pvhv do more than one delivery per request, so a flood of sends costs
 * the sender its own hypercall slots and nobody else anything.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/event_channel.h>

#include "evtchn-2l.h"
#include "hv-priv.h"

#define EVTCHN_2L_MAX		(sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)
#define BITS_PER_WORD		(sizeof(xen_ulong_t) * 8)

static shared_info_t *shinfo(struct hv_domain *d)
{
	return d->mem ? (shared_info_t *)(d->mem + (PVH_SHARED_INFO_PFN << PVH_PAGE_SHIFT)) : NULL;
}

static bool test_and_set(xen_ulong_t *word, unsigned int bit)
{
	xen_ulong_t m = (xen_ulong_t)1 << bit;

	return __atomic_fetch_or(word, m, __ATOMIC_SEQ_CST) & m;
}

static bool test_bit(const xen_ulong_t *word, unsigned int bit)
{
	return __atomic_load_n(word, __ATOMIC_SEQ_CST) & ((xen_ulong_t)1 << bit);
}

static bool test_and_clear(xen_ulong_t *word, unsigned int bit)
{
	xen_ulong_t m = (xen_ulong_t)1 << bit;

	return __atomic_fetch_and(word, ~m, __ATOMIC_SEQ_CST) & m;
}

static void clear_bit(xen_ulong_t *word, unsigned int bit)
{
	__atomic_fetch_and(word, ~((xen_ulong_t)1 << bit), __ATOMIC_SEQ_CST);
}

/* Marks events pending for vCPU 0 and wakes the domain. */
static void mark_upcall(struct hv_domain *d, shared_info_t *sh, unsigned int port)
{
	vcpu_info_t *v = &sh->vcpu_info[0];

	if (!test_and_set(&v->evtchn_pending_sel, port / BITS_PER_WORD)) {
		__atomic_store_n(&v->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
		hv_domain_kick(d);
	}
}

void hv_evtchn_set_pending(struct hv_domain *d, uint32_t port)
{
	shared_info_t *sh = shinfo(d);

	if (d->domid == 0) {
		hv_dom0_deliver(port);
		return;
	}
	if (sh && port < d->nports && evtchn_2l_set_pending(sh, port))
		hv_domain_kick(d);
}

int hv_evtchn_init(struct hv_domain *d)
{
	uint32_t n = d->max_evtchn_port + 1;

	if (n > EVTCHN_2L_MAX)
		n = EVTCHN_2L_MAX;
	d->ports = calloc(n, sizeof(*d->ports));
	d->port_evfd = malloc(n * sizeof(*d->port_evfd));
	if (!d->ports || !d->port_evfd) {
		free(d->ports);
		free(d->port_evfd);
		d->ports = NULL;
		d->port_evfd = NULL;
		return -ENOMEM;
	}
	for (uint32_t p = 0; p < n; p++)
		d->port_evfd[p] = -1;
	d->nports = n;
	d->ports[0].state = HV_ECS_RESERVED;
	return 0;
}

static struct hv_evtchn *port_of(struct hv_domain *d, uint32_t port)
{
	return port < d->nports ? &d->ports[port] : NULL;
}

static int alloc_port(struct hv_domain *d, uint32_t *port_out)
{
	for (uint32_t p = 1; p < d->nports; p++) {
		if (d->ports[p].state == HV_ECS_FREE) {
			memset(&d->ports[p], 0, sizeof(d->ports[p]));
			*port_out = p;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Resolves a domid argument: DOMID_SELF is the caller. */
static struct hv_domain *resolve(struct hv_domain *caller, domid_t dom)
{
	if (dom == DOMID_SELF || dom == caller->domid)
		return caller;
	return hv_domain_by_id(dom);
}

/*
 * The eventfd dom0 polls for a port of this guest bound to it, made on
 * the first bind and kept for the port's life, so that a guest that took
 * it for the fast path (pvh_trap.h) still reaches dom0 after dom0 rebinds.
 */
int hv_evtchn_dom0_fd(struct hv_domain *d, uint32_t port)
{
	if (port >= d->nports || !d->port_evfd)
		return -EINVAL;
	if (d->port_evfd[port] < 0)
		d->port_evfd[port] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return d->port_evfd[port] < 0 ? -errno : d->port_evfd[port];
}

static void free_port(struct hv_domain *d, uint32_t port)
{
	shared_info_t *sh = shinfo(d);

	if (d->port_evfd && d->port_evfd[port] >= 0) {
		close(d->port_evfd[port]);
		d->port_evfd[port] = -1;
	}
	memset(&d->ports[port], 0, sizeof(d->ports[port]));
	if (sh)
		clear_bit(&sh->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD);
}

int hv_evtchn_alloc_unbound(struct hv_domain *d, uint16_t remote_dom, uint32_t *port_out)
{
	int rc = alloc_port(d, port_out);

	if (rc == 0) {
		d->ports[*port_out].state = HV_ECS_UNBOUND;
		d->ports[*port_out].remote_dom = remote_dom;
	}
	return rc;
}

static int64_t op_alloc_unbound(struct hv_domain *d, evtchn_alloc_unbound_t *a)
{
	domid_t remote;
	uint32_t port;
	int rc;

	if (a->dom != DOMID_SELF && a->dom != d->domid)
		return -EPERM;
	/* Xen does not look the remote domain up: it need not exist yet. */
	remote = a->remote_dom == DOMID_SELF ? (domid_t)d->domid : a->remote_dom;
	rc = hv_evtchn_alloc_unbound(d, remote, &port);
	if (rc < 0)
		return rc;
	a->port = port;
	return 0;
}

static int64_t op_bind_interdomain(struct hv_domain *d, evtchn_bind_interdomain_t *a)
{
	struct hv_domain *rd = resolve(d, a->remote_dom);
	struct hv_evtchn *rp;
	uint32_t port;
	int rc;

	if (!rd)
		return -ESRCH;
	rp = port_of(rd, a->remote_port);
	if (!rp || rp->state != HV_ECS_UNBOUND || rp->remote_dom != d->domid)
		return -EINVAL;
	rc = alloc_port(d, &port);
	if (rc < 0)
		return rc;
	/* alloc_port may have handed out the same slot only if rd != d. */
	d->ports[port] = (struct hv_evtchn){ .state = HV_ECS_INTERDOMAIN,
		.remote_dom = (domid_t)rd->domid, .remote_port = a->remote_port };
	*rp = (struct hv_evtchn){ .state = HV_ECS_INTERDOMAIN,
		.remote_dom = (domid_t)d->domid, .remote_port = port };
	a->local_port = port;
	/* event_channel.c: the new local port is always set pending. */
	hv_evtchn_set_pending(d, port);
	return 0;
}

static int64_t op_bind_virq(struct hv_domain *d, evtchn_bind_virq_t *a)
{
	uint32_t port;
	int rc;

	if (a->virq >= NR_VIRQS)
		return -EINVAL;
	if (a->vcpu >= d->vcpus)
		return -ENOENT;
	if (d->virq_to_port[a->virq])
		return -EEXIST;		/* event_channel.c: bound twice */
	rc = alloc_port(d, &port);
	if (rc < 0)
		return rc;
	d->ports[port] = (struct hv_evtchn){ .state = HV_ECS_VIRQ, .virq = (uint16_t)a->virq };
	d->virq_to_port[a->virq] = port;
	a->port = port;
	return 0;
}

static int64_t op_bind_ipi(struct hv_domain *d, evtchn_bind_ipi_t *a)
{
	uint32_t port;
	int rc;

	if (a->vcpu >= d->vcpus)
		return -ENOENT;
	rc = alloc_port(d, &port);
	if (rc < 0)
		return rc;
	d->ports[port].state = HV_ECS_IPI;
	a->port = port;
	return 0;
}

int hv_evtchn_close(struct hv_domain *d, uint32_t port)
{
	struct hv_evtchn *p = port_of(d, port);
	struct hv_domain *rd;

	if (!p || p->state == HV_ECS_FREE || p->state == HV_ECS_RESERVED)
		return -EINVAL;
	if (p->state == HV_ECS_INTERDOMAIN) {
		rd = p->remote_dom == d->domid ? d : hv_domain_by_id(p->remote_dom);
		/* event_channel.c: the peer goes back to unbound, bindable by us. */
		if (rd && p->remote_port < rd->nports &&
		    rd->ports[p->remote_port].state == HV_ECS_INTERDOMAIN)
			rd->ports[p->remote_port] = (struct hv_evtchn){ .state = HV_ECS_UNBOUND,
				.remote_dom = (domid_t)d->domid };
	} else if (p->state == HV_ECS_VIRQ) {
		d->virq_to_port[p->virq] = 0;
	}
	free_port(d, port);
	return 0;
}

int hv_evtchn_send(struct hv_domain *d, uint32_t port)
{
	struct hv_evtchn *p = port_of(d, port);
	struct hv_domain *rd;

	if (!p)
		return -EINVAL;
	switch (p->state) {
	case HV_ECS_INTERDOMAIN:
		rd = p->remote_dom == d->domid ? d : hv_domain_by_id(p->remote_dom);
		if (rd)
			hv_evtchn_set_pending(rd, p->remote_port);
		return 0;
	case HV_ECS_IPI:
		hv_evtchn_set_pending(d, port);
		return 0;
	case HV_ECS_UNBOUND:
		return 0;	/* dropped, as Xen does */
	default:
		return -EINVAL;
	}
}

/* A send to dom0 through pvhv also hands the guest the fast path. */
static int64_t send_and_offer_fd(struct hv_domain *d, uint32_t port)
{
	int rc = hv_evtchn_send(d, port);

	if (rc == 0 && port < d->nports && d->ports[port].state == HV_ECS_INTERDOMAIN &&
	    d->ports[port].remote_dom == 0 && d->port_evfd && d->port_evfd[port] >= 0)
		d->hcall_reply_fd = d->port_evfd[port];
	return rc;
}

static int64_t op_status(struct hv_domain *d, evtchn_status_t *a)
{
	static const uint32_t map[] = {
		[HV_ECS_FREE] = EVTCHNSTAT_closed, [HV_ECS_RESERVED] = EVTCHNSTAT_closed,
		[HV_ECS_UNBOUND] = EVTCHNSTAT_unbound, [HV_ECS_INTERDOMAIN] = EVTCHNSTAT_interdomain,
		[HV_ECS_VIRQ] = EVTCHNSTAT_virq, [HV_ECS_IPI] = EVTCHNSTAT_ipi,
	};
	struct hv_evtchn *p;

	if (a->dom != DOMID_SELF && a->dom != d->domid)
		return -EPERM;
	p = port_of(d, a->port);
	if (!p)
		return -EINVAL;
	memset(&a->u, 0, sizeof(a->u));
	a->status = map[p->state];
	a->vcpu = 0;
	if (p->state == HV_ECS_UNBOUND)
		a->u.unbound.dom = p->remote_dom;
	else if (p->state == HV_ECS_INTERDOMAIN) {
		a->u.interdomain.dom = p->remote_dom;
		a->u.interdomain.port = p->remote_port;
	} else if (p->state == HV_ECS_VIRQ)
		a->u.virq = p->virq;
	return 0;
}

static int64_t op_unmask(struct hv_domain *d, const evtchn_unmask_t *a)
{
	shared_info_t *sh = shinfo(d);
	unsigned int w = a->port / BITS_PER_WORD, b = a->port % BITS_PER_WORD;

	if (!sh || a->port >= d->nports)
		return -EINVAL;
	/* event_2l.c: a port that went pending while masked is raised now. */
	if (test_and_clear(&sh->evtchn_mask[w], b) && test_bit(&sh->evtchn_pending[w], b))
		mark_upcall(d, sh, a->port);
	return 0;
}

void hv_evtchn_reset(struct hv_domain *d)
{
	for (uint32_t p = 1; p < d->nports; p++) {
		if (d->ports[p].state != HV_ECS_FREE)
			hv_evtchn_close(d, p);
	}
}

void hv_evtchn_destroy(struct hv_domain *d)
{
	if (d->ports)
		hv_evtchn_reset(d);
	free(d->ports);
	free(d->port_evfd);
	d->ports = NULL;
	d->port_evfd = NULL;
	d->nports = 0;
}

void hv_evtchn_raise_virq(struct hv_domain *d, unsigned int virq)
{
	if (virq < NR_VIRQS && d->virq_to_port[virq])
		hv_evtchn_set_pending(d, d->virq_to_port[virq]);
}

/* The argument struct of each op, for the copy in and out. */
static size_t arg_size(uint64_t cmd)
{
	switch (cmd) {
	case EVTCHNOP_alloc_unbound: return sizeof(evtchn_alloc_unbound_t);
	case EVTCHNOP_bind_interdomain: return sizeof(evtchn_bind_interdomain_t);
	case EVTCHNOP_bind_virq: return sizeof(evtchn_bind_virq_t);
	case EVTCHNOP_bind_ipi: return sizeof(evtchn_bind_ipi_t);
	case EVTCHNOP_close: return sizeof(evtchn_close_t);
	case EVTCHNOP_send: return sizeof(evtchn_send_t);
	case EVTCHNOP_status: return sizeof(evtchn_status_t);
	case EVTCHNOP_unmask: return sizeof(evtchn_unmask_t);
	case EVTCHNOP_reset: return sizeof(evtchn_reset_t);
	case EVTCHNOP_bind_vcpu: return sizeof(evtchn_bind_vcpu_t);
	default: return 0;
	}
}

static int64_t run_op(struct hv_domain *d, uint64_t cmd, void *a)
{
	switch (cmd) {
	case EVTCHNOP_alloc_unbound: return op_alloc_unbound(d, a);
	case EVTCHNOP_bind_interdomain: return op_bind_interdomain(d, a);
	case EVTCHNOP_bind_virq: return op_bind_virq(d, a);
	case EVTCHNOP_bind_ipi: return op_bind_ipi(d, a);
	case EVTCHNOP_close: return hv_evtchn_close(d, ((evtchn_close_t *)a)->port);
	case EVTCHNOP_send: return send_and_offer_fd(d, ((evtchn_send_t *)a)->port);
	case EVTCHNOP_status: return op_status(d, a);
	case EVTCHNOP_unmask: return op_unmask(d, a);
	case EVTCHNOP_reset: {
		domid_t dom = ((evtchn_reset_t *)a)->dom;

		if (dom != DOMID_SELF && dom != d->domid)
			return -EPERM;
		hv_evtchn_reset(d);
		return 0;
	}
	case EVTCHNOP_bind_vcpu:
		return ((evtchn_bind_vcpu_t *)a)->vcpu < d->vcpus ? 0 : -ENOENT;
	default:
		return -ENOSYS;
	}
}

int64_t hv_evtchn_op(struct hv_domain *d, uint64_t cmd, uint64_t arg_paddr)
{
	union {
		evtchn_alloc_unbound_t au; evtchn_bind_interdomain_t bi; evtchn_status_t st;
		uint8_t raw[64];
	} a;
	size_t size = arg_size(cmd);
	int64_t rc;

	if (!size)
		return -ENOSYS;
	if (hv_gmem_read(d, arg_paddr, &a, size) < 0)
		return -EFAULT;
	rc = run_op(d, cmd, &a);
	if (rc == 0 && hv_gmem_write(d, arg_paddr, &a, size) < 0)
		return -EFAULT;
	return rc;
}

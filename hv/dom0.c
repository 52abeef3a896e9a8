/*
 * dom0.c: domain 0 as pvhv sees it. Dom0 is not a sandboxed process: it
 * is the host's trusted daemons, each talking to pvhv over its own control
 * connection. They share one dom0 port space and one maptrack, as Xen's
 * dom0 processes share dom0's, and each port and mapping remembers which
 * connection holds it, so a connection that closes (a daemon that exits
 * or crashes) releases exactly its own. The maptrack is shared but not a
 * common pool: each granter has its own share of it (gnttab.c), so what
 * one guest makes the daemons map never keeps them from another's rings.
 *
 * A dom0 port has no shared_info to set bits in: delivery writes the
 * port's eventfd, which the owning process polls.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

#include "hv-priv.h"

#define DOM0_PORTS	4096

static int port_fd[DOM0_PORTS];
static const void *port_owner[DOM0_PORTS];

#define DOM0_VIRQ_FDS	16
/* Dom0's global VIRQs: who listens, on which eventfd. */
static struct { const void *owner; uint32_t virq; int fd; } dom0_virqs[DOM0_VIRQ_FDS];

int hv_dom0_init(void)
{
	struct hv_domain *d = &hv.dom0;

	memset(d, 0, sizeof(*d));
	d->domid = 0;
	sv_strlcpy(d->name, "Domain-0", sizeof(d->name));
	d->vcpus = 1;
	d->max_evtchn_port = DOM0_PORTS - 1;
	d->mem_fd = d->pidfd = d->hcall_fd = d->event_fd = d->notify_fd = -1;
	d->timer_fd = d->console_fd = d->kernel_fd = -1;
	for (int i = 0; i < DOM0_PORTS; i++)
		port_fd[i] = -1;
	if (hv_evtchn_init(d) < 0 || hv_gnttab_init(d) < 0)
		return -ENOMEM;
	return 0;
}

void hv_dom0_deliver(uint32_t port)
{
	uint64_t one = 1;

	if (port < DOM0_PORTS && port_fd[port] >= 0 &&
	    write(port_fd[port], &one, sizeof(one)) < 0)
		sv_debug("dom0 port %u: eventfd write failed", port);
}

int hv_dom0_bind(const void *owner, uint32_t domid, uint32_t remote_port,
		 uint32_t *port_out, int *fd_out)
{
	struct hv_domain *rd = hv_domain_by_id(domid);
	struct hv_evtchn *rp;
	uint32_t port;
	int fd, rc;

	if (!rd || domid == 0)
		return -ESRCH;
	rp = remote_port < rd->nports ? &rd->ports[remote_port] : NULL;
	if (!rp || rp->state != HV_ECS_UNBOUND || rp->remote_dom != 0)
		return -EINVAL;
	/* The guest port's own eventfd: the guest may write it directly. */
	fd = hv_evtchn_dom0_fd(rd, remote_port);
	if (fd < 0)
		return fd;
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = hv_evtchn_alloc_unbound(&hv.dom0, (uint16_t)domid, &port);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	hv.dom0.ports[port] = (struct hv_evtchn){ .state = HV_ECS_INTERDOMAIN,
		.remote_dom = (uint16_t)domid, .remote_port = remote_port };
	*rp = (struct hv_evtchn){ .state = HV_ECS_INTERDOMAIN, .remote_dom = 0,
		.remote_port = port };
	port_fd[port] = fd;
	port_owner[port] = owner;
	*port_out = port;
	*fd_out = fd;
	return 0;
}

static bool owns_port(const void *owner, uint32_t port)
{
	return port < DOM0_PORTS && port_owner[port] == owner;
}

int hv_dom0_notify(const void *owner, uint32_t port)
{
	return owns_port(owner, port) ? hv_evtchn_send(&hv.dom0, port) : -EINVAL;
}

int hv_dom0_unbind(const void *owner, uint32_t port)
{
	if (!owns_port(owner, port))
		return -EINVAL;
	hv_evtchn_close(&hv.dom0, port);
	close(port_fd[port]);
	port_fd[port] = -1;
	port_owner[port] = NULL;
	return 0;
}

int hv_dom0_map(const void *owner, uint32_t domid, uint32_t ref, bool readonly,
		uint32_t *handle_out, uint64_t *offset_out, int *memfd_out)
{
	gnttab_map_grant_ref_t op = { .ref = ref, .dom = (domid_t)domid,
		.flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0) };
	struct hv_domain *rd = hv_domain_by_id(domid);

	if (!rd || domid == 0)
		return GNTST_bad_domain;
	hv_gnttab_map(&hv.dom0, &op);
	if (op.status != GNTST_okay)
		return op.status;
	hv.dom0.maptrack[op.handle].owner = owner;
	*handle_out = op.handle;
	*offset_out = op.dev_bus_addr;
	*memfd_out = rd->mem_fd;
	return GNTST_okay;
}

int hv_dom0_unmap(const void *owner, uint32_t handle)
{
	gnttab_unmap_grant_ref_t op = { .handle = (grant_handle_t)handle };
	struct hv_maptrack *m = hv_gnttab_maptrack(&hv.dom0, handle);

	if (!m || m->owner != owner)
		return GNTST_bad_handle;
	hv_gnttab_unmap(&hv.dom0, &op);
	return op.status;
}

/*
 * Claims the domain's ioreq socket for owner, which becomes (or already
 * is) its device model. The caller sends the descriptor and closes it:
 * from then on the device model holds the only copy.
 */
static int claim_ioreq(const void *owner, struct hv_domain *d, int *fd_out, const char **why)
{
	if (!d->has_ioreq) {
		*why = "the domain was not created with emulated devices";
		return -EINVAL;
	}
	if (d->dm_owner && d->dm_owner != owner) {
		*why = "the domain already has a device model";
		return -EBUSY;
	}
	if (d->pid <= 0 || d->state == PVH_STATE_DYING) {
		*why = "the domain is not running";
		return -ESRCH;
	}
	if (d->ioreq_fd < 0) {
		*why = "this connection already holds the domain's current ioreq socket";
		return -EALREADY;
	}
	d->dm_owner = owner;
	*fd_out = d->ioreq_fd;
	d->ioreq_fd = -1;
	sv_info("domain %u (%s): device model attached", d->domid, d->name);
	return 0;
}

int hv_dom0_dom_fd(const void *owner, uint32_t domid, uint32_t which, int *fd_out,
		   bool *close_after, const char **why)
{
	struct hv_domain *d = hv_domain_by_id(domid);
	bool bound = false;

	*close_after = false;
	*why = "no such domain";
	if (!d || domid == 0 || !d->mem)
		return -ESRCH;
	if (which == PVH_DOM_FD_IOREQ) {
		*close_after = true;
		return claim_ioreq(owner, d, fd_out, why);
	}
	for (uint32_t p = 1; p < DOM0_PORTS && !bound; p++)
		bound = port_owner[p] == owner && hv.dom0.ports[p].state == HV_ECS_INTERDOMAIN &&
			hv.dom0.ports[p].remote_dom == domid;
	if (!bound && !(d->dm_owner && d->dm_owner == owner)) {
		*why = "the connection is neither bound to an event channel of that domain nor its device model";
		return -EPERM;
	}
	*why = "unknown descriptor kind";
	*fd_out = which == PVH_DOM_FD_EVENT ? d->event_fd : which == PVH_DOM_FD_MEMORY ? d->mem_fd : -1;
	return *fd_out < 0 ? -EINVAL : 0;
}

int hv_dom0_virq_bind(const void *owner, uint32_t virq, int *fd_out)
{
	if (virq != VIRQ_DOM_EXC && virq != VIRQ_CONSOLE)
		return -EINVAL;
	for (int i = 0; i < DOM0_VIRQ_FDS; i++) {
		if (dom0_virqs[i].owner)
			continue;
		dom0_virqs[i].fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dom0_virqs[i].fd < 0)
			return -errno;
		dom0_virqs[i].owner = owner;
		dom0_virqs[i].virq = virq;
		*fd_out = dom0_virqs[i].fd;
		return 0;
	}
	return -ENOSPC;
}

void hv_dom0_raise_virq(uint32_t virq)
{
	uint64_t one = 1;

	for (int i = 0; i < DOM0_VIRQ_FDS; i++) {
		if (dom0_virqs[i].owner && dom0_virqs[i].virq == virq &&
		    write(dom0_virqs[i].fd, &one, sizeof(one)) < 0)
			sv_debug("dom0 VIRQ %u: eventfd write failed", virq);
	}
}

void hv_dom0_dom_exc(void)
{
	hv_dom0_raise_virq(VIRQ_DOM_EXC);
}

void hv_dom0_release(const void *owner)
{
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		struct hv_domain *d = hv.domains[i];

		if (!d || d->dm_owner != owner)
			continue;
		d->dm_owner = NULL;
		if (d->pid <= 0 || d->state == PVH_STATE_DYING)
			continue;
		/*
		 * A restart would bring the guest back without a device model
		 * (nobody starts a new one), its port I/O waiting forever:
		 * keep it crashed instead, for the toolstack to destroy.
		 */
		if (d->on_crash == PVH_ACTION_RESTART) {
			d->on_crash = PVH_ACTION_PRESERVE;
			hv_domain_crash(d, "its device model exited");
			d->on_crash = PVH_ACTION_RESTART;
		} else {
			hv_domain_crash(d, "its device model exited");
		}
	}
	for (int i = 0; i < DOM0_VIRQ_FDS; i++) {
		if (dom0_virqs[i].owner == owner) {
			close(dom0_virqs[i].fd);
			dom0_virqs[i].owner = NULL;
		}
	}
	for (uint32_t p = 0; p < DOM0_PORTS; p++) {
		if (port_owner[p] == owner)
			hv_dom0_unbind(owner, p);
	}
	for (uint32_t h = 0; h < hv.dom0.maptrack_len; h++)
		hv_dom0_unmap(owner, h);
}

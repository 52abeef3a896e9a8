/*
 * hvlink.c: pvxenstored's link to the hypervisor.
 *
 * 1. Guest rings. The struct xs_ring_ops that INTRODUCE uses are served
 *    by pvhv's control socket (common/hvclient.c): grant 1 of the domain
 *    is mapped (the XenStore ring the builder granted to dom0), the
 *    domain's store port is bound, and notifications go back on it.
 * 2. Domain exits. pvxenstored binds VIRQ_DOM_EXC. When it fires, it asks
 *    pvhv for the domain list and, as xenstored does, fires
 *    @releaseDomain for introduced domains that shut down or crashed,
 *    and releases domains that are gone: their connection, watches and
 *    transactions, and their nodes (/local/domain/N and its /vm/<uuid>),
 *    so a guest that powers itself off leaves nothing in the store.
 *
 * pvhv is optional: without it (the xenstore-utils tests run the daemon
 * alone) INTRODUCE answers ENOSYS, and nothing else changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvclient.h"
#include "public/pvh_ctl.h"
#include "xs-priv.h"

#define MAX_LINKS	512

struct hvlink {
	const char *rundir;
	int fd;				/* control connection, or -1 */
	struct xs_conn *self;		/* dom0's own connection, for cleanup */
	struct {
		unsigned int domid;
		uint32_t handle;
		void *page;
	} maps[MAX_LINKS];
	struct hvc_evtchn ports[MAX_LINKS];	/* evfd 0: a free slot */
	uint32_t restarts[0x8000];	/* per domid, as last seen */
};

static struct hvlink link_state = { .fd = -1 };

static int connect_hv(struct hvlink *l)
{
	char err[256];

	if (l->fd >= 0)
		return 0;
	l->fd = hvc_open(l->rundir, err, sizeof(err));
	if (l->fd < 0) {
		xs_log("cannot reach pvhv: %s", err);
		return l->fd;
	}
	return 0;
}

static int map_ring(void *opaque, unsigned int domid, uint64_t gfn,
		    struct xenstore_domain_interface **intf_out)
{
	struct hvlink *l = opaque;
	char err[256];
	void *page;
	uint32_t handle;
	int rc, slot = -1;

	(void)gfn;	/* Xen's xenstored ignores it too: grant 1 names the ring */
	for (int i = 0; i < MAX_LINKS && slot < 0; i++)
		if (!l->maps[i].page)
			slot = i;
	if (slot < 0)
		return -ENOSPC;
	rc = connect_hv(l);
	if (rc < 0)
		return -ENOSYS;
	rc = hvc_gnt_map(l->fd, domid, 1, false, &handle, &page, err, sizeof(err));
	if (rc < 0) {
		xs_log("domain %u: cannot map its XenStore ring: %s", domid, err);
		return rc;
	}
	l->maps[slot].domid = domid;
	l->maps[slot].handle = handle;
	l->maps[slot].page = page;
	*intf_out = page;
	return 0;
}

static void unmap_ring(void *opaque, unsigned int domid, struct xenstore_domain_interface *intf)
{
	struct hvlink *l = opaque;

	for (int i = 0; i < MAX_LINKS; i++) {
		if (l->maps[i].page == intf && l->maps[i].domid == domid) {
			hvc_gnt_unmap(l->fd, l->maps[i].handle, intf);
			l->maps[i].page = NULL;
		}
	}
}

static int bind_evtchn(void *opaque, unsigned int domid, uint32_t remote_port,
		       uint32_t *local_out)
{
	struct hvlink *l = opaque;
	char err[256];
	int rc, slot = -1;

	for (int i = 0; i < MAX_LINKS && slot < 0; i++)
		if (l->ports[i].evfd <= 0)
			slot = i;
	if (slot < 0)
		return -ENOSPC;
	rc = connect_hv(l);
	if (rc < 0)
		return -ENOSYS;
	rc = hvc_evtchn_open(l->fd, domid, remote_port, &l->ports[slot], err, sizeof(err));
	if (rc < 0) {
		l->ports[slot].evfd = 0;
		xs_log("domain %u: cannot bind its store port %u: %s", domid, remote_port, err);
		return rc;
	}
	*local_out = l->ports[slot].port;
	return l->ports[slot].evfd;
}

static void notify(void *opaque, unsigned int domid, uint32_t local_port)
{
	struct hvlink *l = opaque;

	for (int i = 0; i < MAX_LINKS; i++)
		if (l->ports[i].evfd > 0 && l->ports[i].port == local_port && l->ports[i].domid == domid)
			hvc_evtchn_kick(l->fd, &l->ports[i]);
}

static void unbind_evtchn(void *opaque, unsigned int domid, uint32_t local_port)
{
	struct hvlink *l = opaque;

	for (int i = 0; i < MAX_LINKS; i++) {
		if (l->ports[i].evfd > 0 && l->ports[i].port == local_port && l->ports[i].domid == domid) {
			hvc_evtchn_close(l->fd, &l->ports[i]);
			l->ports[i].evfd = 0;
		}
	}
}

static const struct xs_ring_ops hv_ring_ops = {
	.map_ring = map_ring,
	.unmap_ring = unmap_ring,
	.bind_evtchn = bind_evtchn,
	.notify = notify,
	.unbind_evtchn = unbind_evtchn,
};

static int discard_write(struct xs_conn *c, const void *buf, size_t len)
{
	(void)c;
	(void)buf;
	return (int)len;
}

static int no_read(struct xs_conn *c, void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return 0;
}

static const struct xs_transport self_transport = {
	.kind = "internal", .read = no_read, .write = discard_write,
};

int xs_hv_attach(struct xs_store *st, const char *rundir, int *dom_exc_fd_out)
{
	struct hvlink *l = &link_state;
	char err[256];

	l->rundir = rundir;
	st->ring_ops = &hv_ring_ops;
	st->ring_opaque = l;
	l->self = xs_conn_create(st, 0, true, &self_transport, NULL);
	*dom_exc_fd_out = -1;
	if (!l->self)
		return -ENOMEM;
	if (connect_hv(l) < 0)
		return 0;	/* no pvhv: rings come with the first INTRODUCE */
	if (hvc_dom_exc_bind(l->fd, dom_exc_fd_out, err, sizeof(err)) < 0)
		xs_log("cannot bind VIRQ_DOM_EXC: %s", err);
	return 0;
}

/* Removes a node as dom0 would, outside any client's transaction. */
static void rm_as_dom0(struct xs_store *st, const char *path)
{
	struct xs_tx implicit = { 0 };
	struct xs_ctx x = { st, link_state.self, &implicit, 0, XS_DOMID_INVALID, true };

	implicit.conn = link_state.self;
	xs_store_rm(&x, path);
	xs_tx_free(st, &implicit);
}

static void read_vm_path(struct xs_store *st, unsigned int domid, char *out, size_t size)
{
	struct xs_tx implicit = { 0 };
	struct xs_ctx x = { st, link_state.self, &implicit, 0, XS_DOMID_INVALID, true };
	char path[64];
	struct xs_view v;

	out[0] = '\0';
	implicit.conn = link_state.self;
	snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
	if (xs_store_read(&x, path, XS_PERM_READ, &v) == 0 && v.vlen < size &&
	    v.vlen > 4 && strncmp(v.value, "/vm/", 4) == 0) {
		memcpy(out, v.value, v.vlen);
		out[v.vlen] = '\0';
	}
	xs_tx_free(st, &implicit);
}

static void domain_gone(struct xs_store *st, unsigned int domid)
{
	char vm[128], path[64];

	link_state.restarts[domid & 0x7fff] = 0;
	read_vm_path(st, domid, vm, sizeof(vm));
	xs_domain_release(st, domid);
	if (vm[0])
		rm_as_dom0(st, vm);
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	rm_as_dom0(st, path);
	/* Its backends see their directories go and tear the devices down. */
	snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u", domid);
	rm_as_dom0(st, path);
	snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%u", domid);
	rm_as_dom0(st, path);
	xs_watch_fire_special(st, "@releaseDomain");
	xs_log("domain %u is gone: released it and removed its nodes", domid);
}

static const struct pvh_ctl_dominfo *lookup(const struct pvh_ctl_dominfo *doms, size_t n,
					    unsigned int domid)
{
	for (size_t i = 0; i < n; i++)
		if (doms[i].domid == domid)
			return &doms[i];
	return NULL;
}

static struct pvh_ctl_dominfo dom_list[MAX_LINKS];

/* pvhv's domain list into dom_list; the count, or -1 (logged with @why). */
static long list_domains(const char *why)
{
	struct hvlink *l = &link_state;
	char err[256];
	size_t len = 0;

	if (l->fd < 0 || hvc_call(l->fd, PVH_CTL_LIST, NULL, 0, -1, dom_list,
				  sizeof(dom_list), &len, NULL, err, sizeof(err)) < 0) {
		xs_log("%s: cannot list domains: %s", why, l->fd < 0 ? "no pvhv" : err);
		return -1;
	}
	return (long)(len / sizeof(dom_list[0]));
}

/*
 * The daemon restarted with a kept store (persist.c): every domain it had
 * introduced that pvhv still runs gets its ring back as it is; those that
 * are gone (or all of them, without pvhv) are released as on their exit.
 */
void xs_hv_restore(struct xs_store *st)
{
	struct hvlink *l = &link_state;
	long n = list_domains("restoring the store");
	unsigned int back = 0, gone = 0;

	for (struct xs_domain *d = st->domains, *next; d; d = next) {
		const struct pvh_ctl_dominfo *info;

		next = d->next;
		if (!d->introduced || d->domid == 0 || d->conn)
			continue;
		info = n > 0 ? lookup(dom_list, (size_t)n, d->domid) : NULL;
		if (!info || info->state == PVH_STATE_DYING) {
			domain_gone(st, d->domid);
			gone++;
			next = st->domains;	/* the list changed */
			continue;
		}
		l->restarts[d->domid & 0x7fff] = info->restarts;
		if (xs_domain_reattach(st, d->domid, info->store_port) < 0) {
			xs_log("domain %u: cannot re-attach its ring after the restart; "
			       "releasing it", d->domid);
			domain_gone(st, d->domid);
			gone++;
			next = st->domains;
			continue;
		}
		back++;
	}
	xs_log("store restored: %u domain%s re-attached, %u gone", back,
	       back == 1 ? "" : "s", gone);
}

void xs_hv_on_dom_exc(struct xs_store *st, int evfd)
{
	const struct pvh_ctl_dominfo *doms = dom_list;
	struct hvlink *l = &link_state;
	long count;
	size_t n;
	bool fire = false;

	hvc_evtchn_ack(evfd);
	count = list_domains("VIRQ_DOM_EXC");
	if (count < 0)
		return;
	n = (size_t)count;
	for (struct xs_domain *d = st->domains, *next; d; d = next) {
		const struct pvh_ctl_dominfo *info;

		next = d->next;
		if (!d->introduced || d->domid == 0)
			continue;
		info = lookup(doms, n, d->domid);
		if (!info || info->state == PVH_STATE_DYING) {
			domain_gone(st, d->domid);
			continue;
		}
		if (info->restarts != l->restarts[d->domid & 0x7fff] &&
		    info->state == PVH_STATE_RUNNING) {
			l->restarts[d->domid & 0x7fff] = info->restarts;
			if (xs_domain_reconnect(st, d->domid, info->store_port) < 0)
				xs_log("domain %u restarted, but its ring could not be reconnected",
				       d->domid);
			continue;
		}
		if ((info->state == PVH_STATE_SHUTDOWN || info->state == PVH_STATE_CRASHED) &&
		    !d->shutdown) {
			d->shutdown = true;
			fire = true;
		}
	}
	if (fire)
		xs_watch_fire_special(st, "@releaseDomain");
}

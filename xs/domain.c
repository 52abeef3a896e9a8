/*
 * domain.c: domain lifecycle requests and the ring connection glue.
 *
 * XS_INTRODUCE (dom0 only) maps the domain's ring page and binds its event
 * channel through the xs_ring_ops that pvhv registers, wraps the page in a
 * ring (ring.c) and creates the domain's connection; introducing a domain
 * again (after resume) only rebinds its event channel.  Without ops it fails
 * with ENOSYS: nothing is faked.  XS_RELEASE drops the connection, its
 * watches and transactions, every node the domain owns (XSA-419) and the
 * domain's entries in other nodes' permission lists (XSA-322), then fires
 * @releaseDomain.  Teardown is one function in reverse order of setup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

struct ringconn {
	struct xs_store *st;
	unsigned int domid;
	struct xenstore_domain_interface *intf;
	struct xs_ring *ring;
	uint32_t local_port;
	int fd;
};

static int ring_read(struct xs_conn *c, void *buf, size_t len)
{
	struct ringconn *rc = c->tp_priv;

	return xs_ring_read(rc->ring, buf, len);
}

static int ring_write(struct xs_conn *c, const void *buf, size_t len)
{
	struct ringconn *rc = c->tp_priv;

	return xs_ring_write(rc->ring, buf, len);
}

static void ring_kick(struct xs_conn *c)
{
	struct ringconn *rc = c->tp_priv;

	xs_ring_kick(rc->ring);
}

static void ring_dispatched(struct xs_conn *c)
{
	struct ringconn *rc = c->tp_priv;

	xs_ring_msg_done(rc->ring);
}

static void ring_settled(struct xs_conn *c)
{
	struct ringconn *rc = c->tp_priv;

	xs_ring_settle(rc->ring);
}

static void ringconn_free(struct ringconn *rc)
{
	const struct xs_ring_ops *ops = rc->st->ring_ops;
	void *opaque = rc->st->ring_opaque;

	if (rc->fd >= 0 && rc->st->unwatch_fd)
		rc->st->unwatch_fd(rc->st->loop_arg, rc->fd);
	if (rc->ring)
		xs_ring_destroy(rc->ring);
	if (rc->fd >= 0)
		ops->unbind_evtchn(opaque, rc->domid, rc->local_port);
	if (rc->intf)
		ops->unmap_ring(opaque, rc->domid, rc->intf);
	free(rc);
}

static void ring_destroy(struct xs_conn *c)
{
	ringconn_free(c->tp_priv);
}

const struct xs_transport xs_ring_transport = {
	.kind = "ring",
	.read = ring_read,
	.write = ring_write,
	.kick = ring_kick,
	.dispatched = ring_dispatched,
	.settled = ring_settled,
	.destroy = ring_destroy,
};

static void ring_notify(void *arg)
{
	struct ringconn *rc = arg;

	rc->st->ring_ops->notify(rc->st->ring_opaque, rc->domid,
				 rc->local_port);
}

int xs_ring_conn_event(struct xs_store *st, struct xs_conn *c)
{
	struct ringconn *rc = c->tp_priv;
	int r;

	if (c->dead)
		return 0;
	if (xs_ring_check_reconnect(rc->ring))
		xs_conn_reset(st, c);
	r = xs_conn_flush(c);
	if (r >= 0)
		r = xs_conn_handle_input(st, c);
	if (r == -E2BIG)
		xs_ring_set_error(rc->ring, XENSTORE_ERROR_PROTO);
	if (r < 0)
		xs_conn_reset(st, c);	/* ring broken; guest may reconnect */
	xs_ring_kick(rc->ring);
	return r < 0 ? 0 : r;
}

int xs_domid_arg(const char *s, unsigned int *domid_out)
{
	unsigned long v;

	if (xs_parse_uint(s, XS_DOMID_MAX, &v))
		return -EINVAL;
	*domid_out = (unsigned int)v;
	return 0;
}

/*
 * Map @domid's ring, bind its store port and make its connection.  A fresh
 * ring is reset; with @reattach (the daemon restarted under a running
 * guest) the indices in the page are taken as they are, so requests the
 * guest queued, or that were read but not answered, are served.
 */
static int ringconn_setup(struct xs_store *st, unsigned int domid,
			  uint64_t gfn, uint32_t port, bool reattach,
			  struct xs_conn **c_out)
{
	const struct xs_ring_ops *ops = st->ring_ops;
	struct ringconn *rc = calloc(1, sizeof(*rc));
	int r;

	if (!rc)
		return -ENOMEM;
	rc->st = st;
	rc->domid = domid;
	rc->fd = -1;
	r = ops->map_ring(st->ring_opaque, domid, gfn, &rc->intf);
	if (r)
		goto fail;
	r = ops->bind_evtchn(st->ring_opaque, domid, port, &rc->local_port);
	if (r < 0)
		goto fail;
	rc->fd = r;
	r = -ENOMEM;
	rc->ring = reattach ? xs_ring_attach(rc->intf, ring_notify, rc)
			    : xs_ring_create(rc->intf, ring_notify, rc);
	if (!rc->ring)
		goto fail;
	*c_out = xs_conn_create(st, domid, false, &xs_ring_transport, rc);
	if (!*c_out)
		goto fail;
	if (st->watch_fd && rc->fd >= 0)
		st->watch_fd(st->loop_arg, rc->fd, *c_out);
	return 0;
fail:
	if (r > 0)
		r = -EIO;
	ringconn_free(rc);
	return r;
}

/* Re-INTRODUCE (resume): only the event channel changes. */
static int ringconn_rebind(struct xs_store *st, struct xs_conn *c,
			   uint32_t port)
{
	const struct xs_ring_ops *ops = st->ring_ops;
	struct ringconn *rc = c->tp_priv;
	uint32_t local;
	int fd;

	fd = ops->bind_evtchn(st->ring_opaque, rc->domid, port, &local);
	if (fd < 0)
		return fd;
	if (st->unwatch_fd)
		st->unwatch_fd(st->loop_arg, rc->fd);
	ops->unbind_evtchn(st->ring_opaque, rc->domid, rc->local_port);
	rc->fd = fd;
	rc->local_port = local;
	if (st->watch_fd)
		st->watch_fd(st->loop_arg, fd, c);
	return 0;
}

/*
 * The domain restarted in place (same domid, fresh memory): its old ring
 * connection, watches and transactions go, a new ring is connected on the
 * store port it has now, and its nodes stay, as the domain is the same.
 */
int xs_domain_reconnect(struct xs_store *st, unsigned int domid, uint32_t port)
{
	struct xs_domain *d = xs_domain_find(st, domid);
	struct xs_conn *c;
	int r;

	if (!d || !d->introduced || !st->ring_ops)
		return -ENOENT;
	if (d->conn) {
		xs_watch_free_all(st, d->conn);
		xs_tx_free_all(st, d->conn);
		d->conn->dead = true;
		d->conn = NULL;
	}
	r = ringconn_setup(st, domid, 0, port, false, &c);
	if (r)
		return r;
	d->conn = c;
	d->shutdown = false;
	d->port = port;
	xs_persist_domain(st, d);
	return 0;
}

/*
 * After a restart of the daemon: domain @domid, introduced before and
 * still running, gets its ring back on @port and its watches, each fired
 * once.  The ring is not reset: the guest never saw the daemon go.
 */
int xs_domain_reattach(struct xs_store *st, unsigned int domid, uint32_t port)
{
	struct xs_domain *d = xs_domain_find(st, domid);
	struct xs_conn *c;
	int r;

	if (!d || !d->introduced || d->conn || !st->ring_ops)
		return -ENOENT;
	r = ringconn_setup(st, domid, 0, port, true, &c);
	if (r)
		return r;
	d->conn = c;
	d->port = port;
	xs_persist_domain(st, d);
	r = xs_persist_restore_watches(st, c);
	if (r)
		xs_log("domain %u: some of its watches could not be restored: %s",
		       domid, strerror(-r));
	/* Requests it queued while the daemon was away. */
	xs_ring_conn_event(st, c);
	return 0;
}

int xs_req_introduce(struct xs_ctx *x, struct xs_req *req)
{
	unsigned long gfn, port;
	unsigned int domid;
	struct xs_domain *d;
	struct xs_conn *c = NULL;
	int rc;

	if (!x->privileged)
		return -EACCES;
	if (xs_domid_arg(req->arg[0], &domid) || domid == 0 ||
	    xs_parse_uint(req->arg[1], ~0ul, &gfn) ||
	    xs_parse_uint(req->arg[2], 0xffffffffu, &port))
		return -EINVAL;
	d = xs_domain_find(x->st, domid);
	if (d && d->introduced) {
		rc = d->conn ? ringconn_rebind(x->st, d->conn, (uint32_t)port)
			     : 0;
		return rc ? rc : xs_reply_str(x->conn, req, "OK");
	}
	if (!x->st->ring_ops) {
		xs_log_client("INTRODUCE of domain %u: no ring transport "
			      "(pvhv ring ops not registered)", domid);
		return -ENOSYS;
	}
	d = xs_domain_get(x->st, domid);
	if (!d)
		return -ENOMEM;
	rc = ringconn_setup(x->st, domid, gfn, (uint32_t)port, false, &c);
	if (rc) {
		xs_domain_put_if_unused(x->st, d);
		return rc;
	}
	d->introduced = true;
	d->conn = c;
	d->port = (uint32_t)port;
	xs_persist_domain(x->st, d);
	xs_watch_fire_special(x->st, "@introduceDomain");
	return xs_reply_str(x->conn, req, "OK");
}

static int find_owned(struct xs_node *node, void *arg)
{
	struct xs_node **found = arg;
	unsigned int domid = (unsigned int)(uintptr_t)found[1];

	if (node->parent && node->perms.num && node->perms.p[0].domid == domid) {
		found[0] = node;
		return 1;
	}
	return 0;
}

struct scrub {
	struct xs_store *st;
	unsigned int domid;
};

static int scrub_acl(struct xs_node *node, void *arg)
{
	struct scrub *sc = arg;
	struct xs_perms np;
	unsigned int i, j;
	bool listed = false;

	for (i = 1; i < node->perms.num; i++)
		listed |= node->perms.p[i].domid == sc->domid;
	if (!listed || xs_perms_copy(&node->perms, &np))
		return 0;
	for (i = j = 0; i < np.num; i++)
		if (i == 0 || np.p[i].domid != sc->domid)
			np.p[j++] = np.p[i];
	np.num = j;
	xs_tree_set_perms(sc->st, node, &np);
	xs_perms_free(&np);
	return 0;
}

static void remove_owned_nodes(struct xs_store *st, unsigned int domid)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	struct scrub sc = { st, domid };
	struct xs_node *found[2];
	struct xs_perms old;

	for (;;) {
		found[0] = NULL;
		found[1] = (struct xs_node *)(uintptr_t)domid;
		xs_tree_walk(st, find_owned, found);
		if (!found[0] || xs_node_path(found[0], path, sizeof(path)) ||
		    xs_perms_copy(&found[0]->perms, &old))
			break;
		xs_tree_remove(st, found[0]);
		xs_store_changed(st, path, &old, true);
		xs_perms_free(&old);
	}
	xs_tree_walk(st, scrub_acl, &sc);
}

void xs_domain_release(struct xs_store *st, unsigned int domid)
{
	struct xs_domain *d = xs_domain_find(st, domid);

	if (d && d->conn) {
		xs_watch_free_all(st, d->conn);
		xs_tx_free_all(st, d->conn);
		d->conn->dead = true;
		d->conn = NULL;
	}
	remove_owned_nodes(st, domid);
	xs_persist_forget_watches(st, domid);
	d = xs_domain_find(st, domid);
	if (d) {
		d->introduced = false;
		xs_persist_domain(st, d);
		xs_domain_put_if_unused(st, d);
	}
}

int xs_req_release(struct xs_ctx *x, struct xs_req *req)
{
	unsigned int domid;
	struct xs_domain *d;

	if (!x->privileged)
		return -EACCES;
	if (xs_domid_arg(req->arg[0], &domid) || domid == 0)
		return -EINVAL;
	d = xs_domain_find(x->st, domid);
	if (!d || !d->introduced)
		return -ENOENT;
	xs_domain_release(x->st, domid);
	xs_watch_fire_special(x->st, "@releaseDomain");
	return xs_reply_str(x->conn, req, "OK");
}

int xs_req_is_introduced(struct xs_ctx *x, struct xs_req *req)
{
	unsigned int domid;
	struct xs_domain *d;

	if (xs_domid_arg(req->arg[0], &domid))
		return -EINVAL;
	d = xs_domain_find(x->st, domid);
	return xs_reply_str(x->conn, req,
			    domid == 0 || (d && d->introduced) ? "T" : "F");
}

int xs_req_domain_path(struct xs_ctx *x, struct xs_req *req)
{
	char buf[32];
	unsigned int domid;

	if (xs_domid_arg(req->arg[0], &domid))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
	return xs_reply_str(x->conn, req, buf);
}

int xs_req_resume(struct xs_ctx *x, struct xs_req *req)
{
	unsigned int domid;
	struct xs_domain *d;

	if (!x->privileged)
		return -EACCES;
	if (xs_domid_arg(req->arg[0], &domid))
		return -EINVAL;
	d = xs_domain_find(x->st, domid);
	if (!d || !d->introduced)
		return -ENOENT;
	d->shutdown = false;
	xs_persist_domain(x->st, d);
	return xs_reply_str(x->conn, req, "OK");
}

int xs_req_set_target(struct xs_ctx *x, struct xs_req *req)
{
	unsigned int domid, target;
	struct xs_domain *d;

	if (!x->privileged)
		return -EACCES;
	if (xs_domid_arg(req->arg[0], &domid) ||
	    xs_domid_arg(req->arg[1], &target) || domid == target)
		return -EINVAL;
	d = xs_domain_find(x->st, domid);
	if (!d || !d->introduced)
		return -ENOENT;
	d->target = target;
	xs_persist_domain(x->st, d);
	return xs_reply_str(x->conn, req, "OK");
}

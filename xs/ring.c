/*
 * ring.c: the XenStore ring page (struct xenstore_domain_interface).
 *
 * The page is shared with the guest and hostile (STYLE "Shared memory is
 * hostile").  We keep our own indices (req_cons, rsp_prod) privately and
 * only publish them, so the guest cannot corrupt them; the guest's indices
 * (req_prod, rsp_cons) are read once into a local, followed by a barrier,
 * and checked: prod - cons must never exceed XENSTORE_RING_SIZE.  A bad
 * index sets error = XENSTORE_ERROR_RINGIDX and the ring stops working
 * until the guest requests a reconnect (connection = XENSTORE_RECONNECT),
 * which resets all indices to zero (xenstore-ring.txt).  Data is copied out
 * with wrap-around and never read twice.  Reads and writes only note that
 * the guest should be notified; xs_ring_kick() sends one notification for
 * the whole batch.
 *
 * So that a daemon killed at any moment loses no request (persist.c),
 * consumption is published late: req_cons in the page moves past a request
 * only once it was handled and every reply up to it was written
 * (xs_ring_msg_done(), xs_ring_settle()), and a reply that fits the ring is
 * written whole or not at all.  A restarted daemon that attaches to the
 * page as it is (xs_ring_attach()) reads again what was not answered; the
 * guest drops a reply whose req_id it no longer waits for.  When the
 * unpublished bytes are all the guest could write (a request longer than
 * the ring), they are published at once so the guest can go on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

struct xs_ring {
	struct xenstore_domain_interface *intf;
	void (*notify)(void *arg);
	void *arg;
	XENSTORE_RING_IDX req_cons;	/* ours: what we have read */
	XENSTORE_RING_IDX req_done;	/* end of the last request handled */
	XENSTORE_RING_IDX req_pub;	/* req_cons as published to intf */
	XENSTORE_RING_IDX rsp_prod;	/* ours; published to intf */
	bool broken;
	bool need_notify;		/* indices moved since the last kick */
};

static uint32_t load_shared(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store_shared(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void ring_reset(struct xs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;

	r->req_cons = 0;
	r->req_done = 0;
	r->req_pub = 0;
	r->rsp_prod = 0;
	r->broken = false;
	store_shared(&intf->req_cons, 0);
	store_shared(&intf->req_prod, 0);
	store_shared(&intf->rsp_cons, 0);
	store_shared(&intf->rsp_prod, 0);
	store_shared(&intf->server_features,
		     XENSTORE_SERVER_FEATURE_RECONNECTION |
		     XENSTORE_SERVER_FEATURE_ERROR);
	store_shared(&intf->error, XENSTORE_ERROR_NONE);
	/* Indices are reset before the guest may see CONNECTED. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	store_shared(&intf->connection, XENSTORE_CONNECTED);
}

struct xs_ring *xs_ring_create(struct xenstore_domain_interface *intf,
			       void (*notify)(void *arg), void *arg)
{
	struct xs_ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->intf = intf;
	r->notify = notify;
	r->arg = arg;
	ring_reset(r);
	return r;
}

struct xs_ring *xs_ring_attach(struct xenstore_domain_interface *intf,
			       void (*notify)(void *arg), void *arg)
{
	struct xs_ring *r = calloc(1, sizeof(*r));
	XENSTORE_RING_IDX req_prod, rsp_cons;

	if (!r)
		return NULL;
	r->intf = intf;
	r->notify = notify;
	r->arg = arg;
	r->req_cons = load_shared(&intf->req_cons);
	r->rsp_prod = load_shared(&intf->rsp_prod);
	req_prod = load_shared(&intf->req_prod);
	rsp_cons = load_shared(&intf->rsp_cons);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	r->req_done = r->req_pub = r->req_cons;
	/* The page is the guest's too: indices that make no sense break the
	 * ring until the guest asks for a reconnect. */
	if (req_prod - r->req_cons > XENSTORE_RING_SIZE ||
	    r->rsp_prod - rsp_cons > XENSTORE_RING_SIZE)
		xs_ring_set_error(r, XENSTORE_ERROR_RINGIDX);
	return r;
}

void xs_ring_destroy(struct xs_ring *r)
{
	free(r);
}

void xs_ring_set_error(struct xs_ring *r, uint32_t error)
{
	r->broken = true;
	store_shared(&r->intf->error, error);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (r->notify)
		r->notify(r->arg);
}

/* Copy @len bytes from ring @ring at free-running index @idx. */
static void copy_out(void *dst, const char *ring, XENSTORE_RING_IDX idx,
		     size_t len)
{
	size_t off = MASK_XENSTORE_IDX(idx);
	size_t first = XENSTORE_RING_SIZE - off;

	if (first > len)
		first = len;
	memcpy(dst, ring + off, first);
	memcpy((char *)dst + first, ring, len - first);
}

static void copy_in(char *ring, XENSTORE_RING_IDX idx, const void *src,
		    size_t len)
{
	size_t off = MASK_XENSTORE_IDX(idx);
	size_t first = XENSTORE_RING_SIZE - off;

	if (first > len)
		first = len;
	memcpy(ring + off, src, first);
	memcpy(ring, (const char *)src + first, len - first);
}

static void publish_cons(struct xs_ring *r, XENSTORE_RING_IDX upto)
{
	/* Never backwards, never past what we read. */
	if ((int32_t)(upto - r->req_pub) <= 0 ||
	    upto - r->req_pub > r->req_cons - r->req_pub)
		return;
	/* Finish reading the data before the guest may reuse the space. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->req_pub = upto;
	store_shared(&r->intf->req_cons, upto);
	r->need_notify = true;
}

void xs_ring_msg_done(struct xs_ring *r)
{
	r->req_done = r->req_cons;
}

void xs_ring_settle(struct xs_ring *r)
{
	if (!r->broken)
		publish_cons(r, r->req_done);
}

int xs_ring_read(struct xs_ring *r, void *buf, size_t len)
{
	XENSTORE_RING_IDX cons = r->req_cons, prod, avail;

	if (r->broken)
		return -EIO;
	prod = load_shared(&r->intf->req_prod);
	/* Read the index before the data; pairs with the guest's wmb. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	avail = prod - cons;
	if (avail > XENSTORE_RING_SIZE || prod - r->req_pub > XENSTORE_RING_SIZE) {
		xs_ring_set_error(r, XENSTORE_ERROR_RINGIDX);
		return -EIO;
	}
	if (avail > len)
		avail = (XENSTORE_RING_IDX)len;
	if (!avail) {
		/* The guest waits for room only we can give: give it. */
		if (prod - r->req_pub == XENSTORE_RING_SIZE)
			publish_cons(r, cons);
		return 0;
	}
	copy_out(buf, r->intf->req, cons, avail);
	r->req_cons = cons + avail;
	return (int)avail;
}

int xs_ring_write(struct xs_ring *r, const void *buf, size_t len)
{
	XENSTORE_RING_IDX prod = r->rsp_prod, cons, used, space;

	if (r->broken)
		return -EIO;
	cons = load_shared(&r->intf->rsp_cons);
	/* The guest's consumption must be seen before we overwrite. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	used = prod - cons;
	if (used > XENSTORE_RING_SIZE) {
		xs_ring_set_error(r, XENSTORE_ERROR_RINGIDX);
		return -EIO;
	}
	space = XENSTORE_RING_SIZE - used;
	/* Whole messages only, when they fit: a restarted daemon must not
	 * find half a reply in the ring. */
	if (space < len && len <= XENSTORE_RING_SIZE)
		return 0;
	if (space > len)
		space = (XENSTORE_RING_IDX)len;
	if (!space)
		return 0;
	copy_in(r->intf->rsp, prod, buf, space);
	/* Publish data before the index; pairs with the guest's rmb. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->rsp_prod = prod + space;
	store_shared(&r->intf->rsp_prod, r->rsp_prod);
	r->need_notify = true;
	return (int)space;
}

void xs_ring_kick(struct xs_ring *r)
{
	/* One notification per batch: wakeups cost far more than copies. */
	if (!r->need_notify)
		return;
	r->need_notify = false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->notify(r->arg);
}

bool xs_ring_check_reconnect(struct xs_ring *r)
{
	if (load_shared(&r->intf->connection) != XENSTORE_RECONNECT)
		return false;
	ring_reset(r);
	r->notify(r->arg);
	return true;
}

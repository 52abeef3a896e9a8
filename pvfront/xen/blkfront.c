/*
 * blkfront.c: the blkif frontend (io/blkif.h, reference §4.3 and §5).
 *
 * Handshake, from our side of the xenbus state machine:
 *  1. read ~/device/vbd/<devid>/backend and backend-id, watch the
 *     backend's state; write Initialising (a reopen starts from there);
 *  2. wait for the backend's InitWait, read its feature-persistent,
 *     max-ring-page-order and multi-queue-max-queues;
 *  3. per queue (the fewest of what we offer, blkfront_offer_queues(), and
 *     what it offers), allocate and grant 1 << order ring pages and an
 *     unbound event channel for the backend domain; in one transaction
 *     (retried on EAGAIN) write ring-page-order (if more than one page),
 *     ring-ref or ring-ref0..N-1 and event-channel (flat for one queue,
 *     else multi-queue-num-queues and queue-N/...), protocol=x86_64-abi
 *     and feature-persistent; go Initialised;
 *  4. wait for the backend's Connected, read sectors, sector-size, info
 *     and the feature-* keys (feature-max-indirect-segments among them);
 *     go Connected;
 *  5. on close: Closing, wait for the backend to be Closing or Closed,
 *     Closed, wait for its Closed; then revoke and free what we granted.
 *
 * A backend that goes Closing or Closed by itself while we are connected
 * (it restarted the device) is followed down and then up again: we go
 * Closing and Closed, take the responses it left on the rings, release
 * the rings and grants, go Initialising, and redo steps 2 to 4; requests
 * that were outstanding are then issued again on the new rings, not lost.
 * A backend whose online node is 0 (the toolstack is detaching the disk)
 * or whose directory went, or one that does not come back within
 * BLKFRONT_STATE_TIMEOUT_NS, fails them instead and closes for good.
 *
 * Data moves through bounce pages from a pool of BLKFRONT_POOL_PAGES per
 * device, so a caller's buffer is never shown to the backend. With
 * persistent grants (both sides wrote feature-persistent=1) the pool's
 * pages are granted once at connect and their refs reused for every
 * request; otherwise each request grants its pages (read-only for writes)
 * and revokes them when the response comes.
 *
 * Requests are built in slots (one per ring entry of each queue) and go
 * to the ring when the frontend is next kicked (blkfront_poll(),
 * blkfront_wait(), blkfront_kick()): a read or write that continues the
 * last one still waiting there is merged into it, up to the segment
 * limit. A slot of more than 11 segments becomes an indirect request
 * (BLKIF_OP_INDIRECT) when the backend offers them: its segments go in a
 * pool page granted read-only. New slots go to the queues in turn.
 *
 * The backend is not trusted (user-pain-and-security.md §7): the response
 * producer is read once, fenced and checked against the ring size, each
 * response is copied out before it is looked at, its id must name a slot
 * with a request outstanding and its operation must match. A backend that
 * breaks those rules gets the device marked broken: outstanding requests
 * fail, and their pages, which it may still hold, are never reused.
 * Every wait blocks on events (xenport_block()); none spins.
 */
#include "xenfront.h"

/* ring.h leaves its barriers to the includer. */
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#define PAGE_SIZE		4096u
#define SECTOR_SIZE		512u
#define SECTORS_PER_PAGE	(PAGE_SIZE / SECTOR_SIZE)
#define DIRECT_SEGS		BLKIF_MAX_SEGMENTS_PER_REQUEST
#define RING_PAGES_MAX		(1u << BLKFRONT_RING_ORDER_MAX)
#define NR_SLOTS_MAX		__CONST_RING_SIZE(blkif, PAGE_SIZE * RING_PAGES_MAX)
#define NO_PAGE			0xffffu
#define STATE_WAITS		10000	/* watch events while waiting for a state */
#define BAD_RESPONSES_MAX	1

/* One ring entry's request, while built, waiting for the ring, or in flight. */
struct slot {
	bool busy;
	bool queued;		/* built, not on the ring yet */
	bool lost;		/* the backend may still hold its pages */
	uint8_t op;		/* READ, WRITE or FLUSH_DISKCACHE */
	uint8_t wire_op;	/* the operation its response must carry (op, also for INDIRECT) */
	uint8_t nreq;
	uint16_t nseg;
	uint64_t sector;
	uint64_t nsect;
	struct blkfront_req *req[BLKFRONT_MERGE_MAX];
	uint16_t req_page[BLKFRONT_MERGE_MAX];	/* each request's first segment */
	uint16_t page[BLKFRONT_SEGS_MAX];	/* pool pages of the segments */
	uint8_t last_sect[BLKFRONT_SEGS_MAX];	/* each segment covers 0..last_sect */
	grant_ref_t gref[BLKFRONT_SEGS_MAX];	/* per-request grants */
	uint16_t ind_page;			/* indirect: the page of segments */
	grant_ref_t ind_gref;
};

struct queue {
	blkif_sring_t *sring;
	blkif_front_ring_t ring;
	int ring_ref[RING_PAGES_MAX];		/* < 0: not granted */
	evtchn_port_t port;
	unsigned int nslots;
	uint16_t queued[NR_SLOTS_MAX];		/* slots built, in order */
	unsigned int nqueued;
	struct slot slots[NR_SLOTS_MAX];
};

struct blkfront_dev {
	bool used;
	unsigned int devid;
	char node[64];		/* device/vbd/<devid> */
	char backend[128];
	char token[XENBUS_TOKEN_MAX];
	bool watching;
	struct blkfront_info info;
	bool persistent;
	bool connected;
	bool broken;
	bool closed;		/* we wrote Closed (the backend asked) */

	unsigned int nqueues, ring_order, max_segs;
	struct queue *q;	/* nqueues of them, from xenport_alloc_pages() */
	unsigned int q_pages;
	unsigned int next_q;
	struct slot *last;	/* the newest slot still queued: merges go there */
	struct queue *last_q;

	/* The bounce page pool. */
	uint8_t *pool;
	bool pool_lost;		/* a page the backend kept: never free the pool */
	unsigned int pool_pages;
	grant_ref_t pool_gref[BLKFRONT_POOL_PAGES_MAX];	/* persistent grants */
	bool pool_granted[BLKFRONT_POOL_PAGES_MAX];
	uint16_t free_pages[BLKFRONT_POOL_PAGES_MAX];
	unsigned int nfree;

	/* Requests to issue again after a reconnect, oldest first. */
	struct blkfront_req *backlog, **backlog_tail;
	unsigned int outstanding;
	unsigned long bad_responses;
	struct blkfront_stats stats;
};

static struct blkfront_dev devs[BLKFRONT_MAX_DEVS];
static bool offer_persistent = true;
static unsigned int offer_queues = BLKFRONT_DEFAULT_QUEUES;
static unsigned int offer_ring_order = BLKFRONT_RING_ORDER_MAX;
static unsigned int pool_pages = BLKFRONT_POOL_PAGES;

void blkfront_set_pool_pages(unsigned int n)
{
	pool_pages = n < BLKFRONT_SEGS_MAX + 1 ? BLKFRONT_SEGS_MAX + 1 :
		     n > BLKFRONT_POOL_PAGES_MAX ? BLKFRONT_POOL_PAGES_MAX : n;
}

void blkfront_offer_persistent(bool offer)
{
	offer_persistent = offer;
}

void blkfront_offer_queues(const char *n)
{
	/* One digit, 1..BLKFRONT_MAX_QUEUES; anything else is the default. */
	if (n && n[0] >= '1' && n[0] <= '0' + BLKFRONT_MAX_QUEUES && n[1] == '\0')
		offer_queues = (unsigned int)(n[0] - '0');
	else
		offer_queues = BLKFRONT_DEFAULT_QUEUES;
}

void blkfront_offer_ring_order(unsigned int order)
{
	offer_ring_order = order > BLKFRONT_RING_ORDER_MAX ? BLKFRONT_RING_ORDER_MAX : order;
}

static const char *const state_names[] = {
	"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
	"Closing", "Closed", "Reconfiguring", "Reconfigured",
};

const char *blkfront_state_name(int state)
{
	if (state < 0 || (size_t)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[state];
}

/* ---- xenbus helpers ---- */

static int switch_state(struct blkfront_dev *d, int state)
{
	return xenbus_switch_state(d->node, state);
}

static int backend_state(struct blkfront_dev *d)
{
	uint64_t st;
	int rc = xenbus_read_u64_at(d->backend, "state", XenbusStateReconfigured,
			   XenbusStateUnknown, &st);

	return rc < 0 ? rc : (int)st;
}

/*
 * Block until the backend's state is one of want (a bit mask of states),
 * or it is past Connected when that is not wanted (it gave up). Returns
 * the state or a negative errno.
 */
static int last_backend_state = -1;

int blkfront_last_backend_state(void)
{
	return last_backend_state;
}

static int wait_backend(struct blkfront_dev *d, unsigned int want)
{
	uint64_t deadline = xenport_now_ns() + BLKFRONT_STATE_TIMEOUT_NS;

	for (int i = 0; i < STATE_WAITS; i++) {
		int st = backend_state(d), rc;

		if (st < 0)
			return st;
		last_backend_state = st;
		if (want & (1u << st))
			return st;
		if (st >= XenbusStateClosing && st <= XenbusStateClosed &&
		    !(want & (1u << XenbusStateClosing | 1u << XenbusStateClosed)))
			return -XEN_ENODEV;
		rc = xenbus_wait_event_until(d->token, NULL, 0, deadline);
		if (rc < 0)
			return rc;
	}
	return -XEN_ETIMEDOUT;
}

/*
 * InitWait, once we wrote Initialising: a backend still Closed (or
 * Closing) from an earlier connection gets BLKFRONT_REOPEN_NS to notice
 * us and come back; one that stays Closed is -XEN_ENODEV.
 */
static int wait_initwait(struct blkfront_dev *d)
{
	uint64_t grace = xenport_now_ns() + BLKFRONT_REOPEN_NS;

	for (int i = 0; i < STATE_WAITS; i++) {
		int st = backend_state(d), rc;

		if (st < 0)
			return st;
		last_backend_state = st;
		if (st == XenbusStateInitWait)
			return st;
		if (st < XenbusStateClosing || st > XenbusStateClosed)
			return wait_backend(d, 1u << XenbusStateInitWait);
		rc = xenbus_wait_event_until(d->token, NULL, 0, grace);
		if (rc == -XEN_ETIMEDOUT)
			return -XEN_ENODEV;
		if (rc < 0)
			return rc;
	}
	return -XEN_ETIMEDOUT;
}

/* ---- the bounce page pool ---- */

static uint8_t *pool_page(struct blkfront_dev *d, uint16_t i)
{
	return d->pool + (size_t)i * PAGE_SIZE;
}

/* The pool's pages, all free; the memory of a previous connection is reused. */
static int pool_alloc(struct blkfront_dev *d)
{
	if (!d->pool) {
		d->pool_pages = pool_pages;
		d->pool = xenport_alloc_pages(d->pool_pages);
	}
	if (!d->pool)
		return -XEN_ENOMEM;
	d->nfree = 0;
	for (unsigned int i = d->pool_pages; i-- > 0;) {
		d->pool_granted[i] = false;
		d->free_pages[d->nfree++] = (uint16_t)i;
	}
	return 0;
}

/* Persistent grants: every pool page granted once, read-write. */
static int pool_grant(struct blkfront_dev *d)
{
	for (unsigned int i = 0; i < d->pool_pages; i++) {
		int ref = gnttab_grant_access(d->info.backend_id,
			xenport_virt_to_phys(pool_page(d, (uint16_t)i)) / PAGE_SIZE, false);

		if (ref < 0)
			return ref;
		d->pool_gref[i] = (grant_ref_t)ref;
		d->pool_granted[i] = true;
	}
	return 0;
}

/*
 * Revoke the persistent grants; a page the backend still maps is kept
 * from reuse (the whole pool is then never freed). keep: the memory stays
 * for the next connection if nothing was lost.
 */
static void pool_release(struct blkfront_dev *d, bool keep)
{
	if (!d->pool)
		return;
	for (unsigned int i = 0; i < d->pool_pages; i++) {
		if (d->pool_granted[i] && !gnttab_end_access(d->pool_gref[i]))
			d->pool_lost = true;	/* still mapped: leak, never reuse */
		d->pool_granted[i] = false;
	}
	d->nfree = 0;
	if (keep && !d->pool_lost)
		return;
	if (!d->pool_lost)
		xenport_free_pages(d->pool, d->pool_pages);
	d->pool = NULL;
	d->pool_lost = false;
}

static uint16_t page_get(struct blkfront_dev *d)
{
	return d->nfree ? d->free_pages[--d->nfree] : NO_PAGE;
}

/* A page back to the pool, its per-request grant revoked; false if the backend holds it. */
static bool page_put(struct blkfront_dev *d, uint16_t pg, bool granted, grant_ref_t ref)
{
	if (pg == NO_PAGE)
		return true;
	if (granted && !gnttab_end_access(ref)) {
		d->pool_lost = true;	/* never handed out again */
		return false;
	}
	d->free_pages[d->nfree++] = pg;
	return true;
}

/* A page for the backend: its persistent grant, or a new one. */
static int page_grant(struct blkfront_dev *d, uint16_t pg, bool readonly, grant_ref_t *ref_out)
{
	int ref;

	if (d->persistent) {
		*ref_out = d->pool_gref[pg];
		return 0;
	}
	ref = gnttab_grant_access(d->info.backend_id,
				  xenport_virt_to_phys(pool_page(d, pg)) / PAGE_SIZE, readonly);
	if (ref < 0)
		return ref;
	*ref_out = (grant_ref_t)ref;
	return 0;
}

/* ---- slots ---- */

/* Give back a slot's pages (revoking per-request grants); the slot is free after. */
static void slot_release(struct blkfront_dev *d, struct slot *s)
{
	bool ok = true;

	if (s->lost) {
		d->pool_lost = true;	/* its pages stay out of the pool */
	} else {
		for (unsigned int j = 0; j < s->nseg; j++)
			ok &= page_put(d, s->page[j], !d->persistent, s->gref[j]);
		ok &= page_put(d, s->ind_page, !d->persistent && s->ind_page != NO_PAGE, s->ind_gref);
	}
	if (!ok)
		s->lost = true;		/* the backend kept a mapping: never reuse the slot */
	s->nseg = 0;
	s->ind_page = NO_PAGE;
	s->busy = false;
	s->queued = false;
	s->nreq = 0;
	if (d->last == s)
		d->last = NULL;
}

static struct slot *free_slot(struct queue *q)
{
	for (unsigned int i = 0; i < q->nslots; i++)
		if (!q->slots[i].busy && !q->slots[i].lost)
			return &q->slots[i];
	return NULL;
}

/* ---- handshake ---- */

static void on_event(evtchn_port_t port, void *data)
{
	/* Responses are taken by blkfront_poll() after every wakeup. */
	(void)port;
	(void)data;
}

static int setup_queue(struct blkfront_dev *d, struct queue *q)
{
	unsigned int n = 1u << d->ring_order;
	int rc;

	for (unsigned int i = 0; i < RING_PAGES_MAX; i++)
		q->ring_ref[i] = -1;
	for (unsigned int i = 0; i < NR_SLOTS_MAX; i++)
		q->slots[i].ind_page = NO_PAGE;
	q->sring = xenport_alloc_pages(n);
	if (!q->sring)
		return -XEN_ENOMEM;
	SHARED_RING_INIT(q->sring);
	FRONT_RING_INIT(&q->ring, q->sring, PAGE_SIZE * n);
	q->nslots = RING_SIZE(&q->ring);
	for (unsigned int i = 0; i < n; i++) {
		rc = gnttab_grant_access(d->info.backend_id,
			xenport_virt_to_phys((uint8_t *)q->sring + i * PAGE_SIZE) / PAGE_SIZE, false);
		if (rc < 0)
			return rc;
		q->ring_ref[i] = rc;
	}
	rc = evtchn_alloc_unbound(d->info.backend_id, &q->port);
	if (rc < 0)
		return rc;
	return evtchn_set_handler(q->port, on_event, d);
}

/* One queue's keys in dir (the device's directory, or its queue-N/). */
static int write_queue_keys(xenbus_transaction_t t, struct blkfront_dev *d,
			    const char *dir, const struct queue *q)
{
	char path[128];
	int rc = 0;

	if (d->ring_order == 0) {
		snprintf(path, sizeof(path), "%s/ring-ref", dir);
		rc = xenbus_printf(t, path, "%d", q->ring_ref[0]);
	}
	for (unsigned int i = 0; d->ring_order && i < 1u << d->ring_order && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/ring-ref%u", dir, i);
		rc = xenbus_printf(t, path, "%d", q->ring_ref[i]);
	}
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/event-channel", dir);
		rc = xenbus_printf(t, path, "%u", (unsigned int)q->port);
	}
	return rc;
}

static int write_ring_keys(xenbus_transaction_t t, void *data)
{
	struct blkfront_dev *d = data;
	char path[96];
	int rc = 0;

	if (d->ring_order) {
		snprintf(path, sizeof(path), "%s/ring-page-order", d->node);
		rc = xenbus_printf(t, path, "%u", d->ring_order);
	}
	if (rc == 0 && d->nqueues > 1) {
		snprintf(path, sizeof(path), "%s/multi-queue-num-queues", d->node);
		rc = xenbus_printf(t, path, "%u", d->nqueues);
	}
	for (unsigned int i = 0; i < d->nqueues && rc == 0; i++) {
		if (d->nqueues == 1) {
			rc = write_queue_keys(t, d, d->node, &d->q[i]);
		} else {
			snprintf(path, sizeof(path), "%s/queue-%u", d->node, i);
			rc = write_queue_keys(t, d, path, &d->q[i]);
		}
	}
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/protocol", d->node);
		rc = xenbus_write(t, path, XEN_IO_PROTO_ABI_NATIVE);
	}
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/feature-persistent", d->node);
		rc = xenbus_write(t, path, offer_persistent ? "1" : "0");
	}
	return rc;
}

static int read_backend_info(struct blkfront_dev *d)
{
	struct blkfront_info *in = &d->info;
	uint64_t v;
	int rc;

	rc = xenbus_read_u64_at(d->backend, "sectors", UINT64_MAX >> 9, 0, &in->sectors);
	if (rc == 0)
		rc = xenbus_read_u64_at(d->backend, "sector-size", 1u << 16, SECTOR_SIZE, &v);
	if (rc < 0)
		return rc;
	in->sector_size = (uint32_t)v;
	/* We address the disk in 512-byte units, as blkif does. */
	if (in->sector_size != SECTOR_SIZE || in->sectors == 0)
		return -XEN_EINVAL;
	rc = xenbus_read_u64_at(d->backend, "info", UINT32_MAX, 0, &v);
	in->vdisk_info = (uint32_t)v;
	in->readonly = (v & VDISK_READONLY) != 0;
	if (rc == 0)
		rc = xenbus_read_u64_at(d->backend, "feature-flush-cache", 1, 0, &v);
	in->flush = v == 1;
	if (rc == 0)
		rc = xenbus_read_u64_at(d->backend, "feature-discard", 1, 0, &v);
	in->discard = v == 1;
	if (rc == 0)
		rc = xenbus_read_u64_at(d->backend, "feature-persistent", 1, 0, &v);
	in->persistent = v == 1;
	if (rc == 0)
		rc = xenbus_read_u64_at(d->backend, "feature-max-indirect-segments",
			       UINT32_MAX, 0, &v);
	in->max_indirect_segments = (uint32_t)v;
	return rc;
}

static int find_backend(struct blkfront_dev *d)
{
	char path[192];
	uint64_t id;
	int rc;

	snprintf(path, sizeof(path), "%s/backend", d->node);
	rc = xenbus_read(XBT_NIL, path, d->backend, sizeof(d->backend));
	if (rc < 0)
		return rc;
	if (!xenbus_path_sane(d->backend))
		return -XEN_EINVAL;
	rc = xenbus_read_u64_at(d->node, "backend-id", DOMID_FIRST_RESERVED - 1,
		       0, &id);
	if (rc < 0)
		return rc;
	d->info.backend_id = (domid_t)id;
	snprintf(path, sizeof(path), "%s/state", d->backend);
	rc = xenbus_watch(path, d->token);
	if (rc == 0)
		d->watching = true;
	return rc;
}

/*
 * Rings, event channels, grants: everything one connection owns, given
 * back. keep: the pool's and the queues' memory stays for the next one.
 */
static void release_rings(struct blkfront_dev *d, bool keep)
{
	for (unsigned int i = 0; d->q && i < d->nqueues; i++) {
		struct queue *q = &d->q[i];
		bool leak = false;

		if (q->port) {
			evtchn_clear_handler(q->port);
			evtchn_close(q->port);
			q->port = 0;
		}
		for (unsigned int j = 0; j < q->nslots; j++) {
			if (q->slots[j].busy)
				slot_release(d, &q->slots[j]);
			leak |= q->slots[j].lost;
		}
		for (unsigned int j = 0; j < RING_PAGES_MAX; j++) {
			if (q->ring_ref[j] >= 0 && !gnttab_end_access((grant_ref_t)q->ring_ref[j]))
				leak = true;	/* still mapped: leak the ring */
			q->ring_ref[j] = -1;
		}
		if (q->sring && !leak)
			xenport_free_pages(q->sring, 1u << d->ring_order);
		q->sring = NULL;
		if (leak)
			d->pool_lost = true;
	}
	pool_release(d, keep);
	if (d->q && !keep) {
		xenport_free_pages(d->q, d->q_pages);
		d->q = NULL;
	}
	d->last = NULL;
	d->connected = false;
}

/* Steps 2 to 4, from the backend's InitWait to our Connected. */
static int connect_rings(struct blkfront_dev *d)
{
	uint64_t be_persistent, be_order, be_queues;
	unsigned int q_pages;
	int rc;

	rc = wait_initwait(d);
	if (rc < 0)
		return rc;
	rc = xenbus_read_u64_at(d->backend, "feature-persistent", 1, 0, &be_persistent);
	if (rc == 0)
		rc = xenbus_read_u64_at(d->backend, "max-ring-page-order", 64, 0, &be_order);
	if (rc == 0)
		rc = xenbus_read_u64_at(d->backend, "multi-queue-max-queues", UINT32_MAX, 1, &be_queues);
	if (rc < 0)
		return rc;
	d->persistent = offer_persistent && be_persistent == 1;
	d->ring_order = be_order < offer_ring_order ? (unsigned int)be_order : offer_ring_order;
	d->nqueues = be_queues < offer_queues ? (unsigned int)be_queues : offer_queues;
	if (d->nqueues == 0)
		d->nqueues = 1;
	q_pages = (unsigned int)((sizeof(struct queue) * d->nqueues + PAGE_SIZE - 1) / PAGE_SIZE);
	if (d->q && d->q_pages < q_pages) {
		xenport_free_pages(d->q, d->q_pages);
		d->q = NULL;
	}
	if (d->q) {
		memset(d->q, 0, (size_t)q_pages * PAGE_SIZE);	/* a reconnect: reuse */
	} else {
		d->q_pages = q_pages;
		d->q = xenport_alloc_pages(q_pages);
	}
	rc = d->q ? pool_alloc(d) : -XEN_ENOMEM;
	if (rc == 0 && d->persistent)
		rc = pool_grant(d);
	for (unsigned int i = 0; i < d->nqueues && rc == 0; i++)
		rc = setup_queue(d, &d->q[i]);
	if (rc == 0)
		rc = xenbus_transact(write_ring_keys, d);
	if (rc == 0)
		rc = switch_state(d, XenbusStateInitialised);
	if (rc == 0)
		rc = wait_backend(d, 1u << XenbusStateConnected);
	if (rc >= 0)
		rc = read_backend_info(d);
	if (rc < 0)
		return rc;
	/* Both must have said so (we wrote 1 before the backend connected). */
	if (d->persistent && !d->info.persistent) {
		for (unsigned int i = 0; i < d->pool_pages; i++)
			if (d->pool_granted[i] && gnttab_end_access(d->pool_gref[i]))
				d->pool_granted[i] = false;
		d->persistent = false;
	}
	d->info.persistent = d->persistent;
	d->info.nqueues = d->nqueues;
	d->info.ring_pages = 1u << d->ring_order;
	d->max_segs = DIRECT_SEGS;
	if (d->info.max_indirect_segments > DIRECT_SEGS)
		d->max_segs = d->info.max_indirect_segments < BLKFRONT_SEGS_MAX ?
			      d->info.max_indirect_segments : BLKFRONT_SEGS_MAX;
	d->info.segs_per_request = d->max_segs;
	rc = switch_state(d, XenbusStateConnected);
	if (rc == 0)
		d->connected = true;
	return rc;
}

static int connect(struct blkfront_dev *d)
{
	int rc = find_backend(d);

	if (rc == 0)	/* a reopen starts over (reference §4.3 step 6) */
		rc = switch_state(d, XenbusStateInitialising);
	return rc < 0 ? rc : connect_rings(d);
}

/* Closing, then Closed, each after the backend followed (reference §4.3). */
static void disconnect(struct blkfront_dev *d)
{
	int st;

	if (d->closed)
		return;
	/* A backend that never took part has nothing to wind down. */
	st = d->watching ? backend_state(d) : -1;
	if (st >= 0 && st < XenbusStateInitWait) {
		(void)switch_state(d, XenbusStateClosed);
		return;
	}
	if (d->watching && switch_state(d, XenbusStateClosing) == 0 &&
	    wait_backend(d, 1u << XenbusStateClosing | 1u << XenbusStateClosed) >= 0 &&
	    switch_state(d, XenbusStateClosed) == 0)
		(void)wait_backend(d, 1u << XenbusStateClosed);
}

static void teardown(struct blkfront_dev *d)
{
	char path[192];

	release_rings(d, false);
	if (d->watching) {
		snprintf(path, sizeof(path), "%s/state", d->backend);
		(void)xenbus_unwatch(path, d->token);
		d->watching = false;
	}
	d->used = false;
}

int blkfront_open(unsigned int devid, struct blkfront_dev **dev_out)
{
	struct blkfront_dev *d = NULL;
	int rc;

	for (int i = 0; i < BLKFRONT_MAX_DEVS && !d; i++)
		if (!devs[i].used)
			d = &devs[i];
	if (!d)
		return -XEN_ENOSPC;
	memset(d, 0, sizeof(*d));
	d->used = true;
	d->devid = devid;
	d->info.devid = devid;
	d->backlog_tail = &d->backlog;
	snprintf(d->node, sizeof(d->node), "device/vbd/%u", devid);
	snprintf(d->token, sizeof(d->token), "blkfront-%u", devid);
	rc = connect(d);
	if (rc < 0) {
		int seen = last_backend_state;	/* where the handshake stopped */

		disconnect(d);
		teardown(d);
		last_backend_state = seen;
		return rc;
	}
	*dev_out = d;
	return 0;
}

const struct blkfront_info *blkfront_get_info(const struct blkfront_dev *d)
{
	return &d->info;
}

const char *blkfront_backend(const struct blkfront_dev *d)
{
	return d->backend;
}

void blkfront_get_stats(const struct blkfront_dev *d, struct blkfront_stats *out)
{
	*out = d->stats;
}

/* ---- requests ---- */

static int check_req(const struct blkfront_dev *d, const struct blkfront_req *r)
{
	uint64_t nsect = r->len / SECTOR_SIZE;

	if (r->op == BLKIF_OP_FLUSH_DISKCACHE)
		return d->info.flush ? 0 : -XEN_EOPNOTSUPP;
	if (r->op != BLKIF_OP_READ && r->op != BLKIF_OP_WRITE)
		return -XEN_EINVAL;
	if (r->op == BLKIF_OP_WRITE && d->info.readonly)
		return -XEN_EROFS;
	if (r->len == 0 || r->len % SECTOR_SIZE || r->len > BLKFRONT_MAX_BYTES)
		return -XEN_EINVAL;
	if (r->sector >= d->info.sectors || nsect > d->info.sectors - r->sector)
		return -XEN_EINVAL;
	return 0;
}

/*
 * Add r's data pages to slot s as segments (copying a write's data in and
 * granting unless persistent); an indirect page too once s needs one.
 * Leaves s as it was on failure.
 */
static int add_pages(struct blkfront_dev *d, struct slot *s, struct blkfront_req *r)
{
	unsigned int n = (unsigned int)((r->len + PAGE_SIZE - 1) / PAGE_SIZE), first = s->nseg;
	bool need_ind = first + n > DIRECT_SEGS && s->ind_page == NO_PAGE;
	size_t left = r->len;
	int rc = 0;

	if (first + n > d->max_segs || s->nreq == BLKFRONT_MERGE_MAX)
		return -XEN_EBUSY;
	if (d->nfree < n + need_ind)
		return -XEN_EBUSY;
	if (need_ind) {
		s->ind_page = page_get(d);
		rc = page_grant(d, s->ind_page, true, &s->ind_gref);
		if (rc < 0) {
			page_put(d, s->ind_page, false, 0);
			s->ind_page = NO_PAGE;
			return rc;
		}
	}
	for (unsigned int j = 0; j < n; j++) {
		size_t len = left < PAGE_SIZE ? left : PAGE_SIZE;
		uint16_t pg = page_get(d);

		if (r->op == BLKIF_OP_WRITE)
			memcpy(pool_page(d, pg), (const uint8_t *)r->buf + (size_t)j * PAGE_SIZE, len);
		rc = page_grant(d, pg, r->op == BLKIF_OP_WRITE, &s->gref[first + j]);
		if (rc < 0) {
			page_put(d, pg, false, 0);
			while (j-- > 0)
				page_put(d, s->page[first + j], !d->persistent, s->gref[first + j]);
			if (need_ind) {
				page_put(d, s->ind_page, !d->persistent, s->ind_gref);
				s->ind_page = NO_PAGE;
			}
			return rc;
		}
		s->page[first + j] = pg;
		s->last_sect[first + j] = (uint8_t)(len / SECTOR_SIZE - 1);
		left -= len;
	}
	s->req_page[s->nreq] = (uint16_t)first;
	s->req[s->nreq++] = r;
	s->nseg = (uint16_t)(first + n);
	s->nsect += r->len / SECTOR_SIZE;
	return 0;
}

/* r continues the newest queued slot: same op, the next sector. */
static bool try_merge(struct blkfront_dev *d, struct blkfront_req *r)
{
	struct slot *s = d->last;

	if (!s || !s->queued || r->op == BLKIF_OP_FLUSH_DISKCACHE || s->op != r->op ||
	    s->sector + s->nsect != r->sector)
		return false;
	if (add_pages(d, s, r) < 0)
		return false;
	d->stats.merged++;
	return true;
}

/* Put r in a new slot of the next queue with room. */
static int place(struct blkfront_dev *d, struct blkfront_req *r)
{
	for (unsigned int k = 0; k < d->nqueues; k++) {
		struct queue *q = &d->q[(d->next_q + k) % d->nqueues];
		struct slot *s = free_slot(q);
		int rc;

		if (!s)
			continue;
		s->op = r->op;
		s->sector = r->op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : r->sector;
		s->nsect = 0;
		s->nseg = 0;
		s->nreq = 0;
		s->ind_page = NO_PAGE;
		if (r->op == BLKIF_OP_FLUSH_DISKCACHE) {
			s->req[s->nreq++] = r;
		} else {
			rc = add_pages(d, s, r);
			if (rc < 0)
				return rc;
		}
		s->busy = true;
		s->queued = true;
		q->queued[q->nqueued++] = (uint16_t)(s - q->slots);
		d->last = s;
		d->last_q = q;
		d->next_q = (unsigned int)(q - d->q + 1) % d->nqueues;
		return 0;
	}
	return -XEN_EBUSY;
}

static int enqueue(struct blkfront_dev *d, struct blkfront_req *r)
{
	int rc = 0;

	if (!try_merge(d, r))
		rc = place(d, r);
	if (rc == 0)
		r->status = 1;	/* in flight */
	return rc;
}

int blkfront_submit(struct blkfront_dev *d, struct blkfront_req *r)
{
	int rc;

	if (!d->connected || d->broken)
		return -XEN_EIO;
	rc = check_req(d, r);
	if (rc < 0)
		return rc;
	if (d->backlog)
		return -XEN_EBUSY;	/* requests issued again go first */
	rc = enqueue(d, r);
	if (rc == 0)
		d->outstanding++;
	return rc;
}

/* Write one queued slot's ring request, built in private and copied whole. */
static void put_on_ring(struct blkfront_dev *d, struct queue *q, struct slot *s)
{
	blkif_request_t req;
	unsigned int id = (unsigned int)(s - q->slots);

	memset(&req, 0, sizeof(req));
	if (s->nseg > DIRECT_SEGS) {
		blkif_request_indirect_t ind;
		struct blkif_request_segment *segs = (void *)pool_page(d, s->ind_page);

		memset(&ind, 0, sizeof(ind));
		for (unsigned int j = 0; j < s->nseg; j++)
			segs[j] = (struct blkif_request_segment){
				.gref = s->gref[j], .first_sect = 0, .last_sect = s->last_sect[j] };
		ind.operation = BLKIF_OP_INDIRECT;
		ind.indirect_op = s->op;
		ind.nr_segments = s->nseg;
		ind.id = id;
		ind.sector_number = s->sector;
		ind.handle = (blkif_vdev_t)d->devid;
		ind.indirect_grefs[0] = s->ind_gref;
		memcpy(&req, &ind, sizeof(ind));
		/* blkif.h: the response to an indirect request carries indirect_op. */
		s->wire_op = s->op;
		d->stats.indirect++;
	} else {
		req.operation = s->op;
		req.handle = (blkif_vdev_t)d->devid;
		req.id = id;
		req.sector_number = s->sector;
		req.nr_segments = (uint8_t)s->nseg;
		for (unsigned int j = 0; j < s->nseg; j++)
			req.seg[j] = (struct blkif_request_segment){
				.gref = s->gref[j], .first_sect = 0, .last_sect = s->last_sect[j] };
		s->wire_op = s->op;
	}
	memcpy(RING_GET_REQUEST(&q->ring, q->ring.req_prod_pvt), &req, sizeof(req));
	q->ring.req_prod_pvt++;
	s->queued = false;
	d->stats.requests++;
}

/* Place what waits to be issued again, then push every queue's built slots. */
void blkfront_kick(struct blkfront_dev *d)
{
	if (!d->connected || d->broken)
		return;
	while (d->backlog) {
		struct blkfront_req *r = d->backlog;
		int rc = check_req(d, r);	/* the disk may have shrunk meanwhile */

		if (rc == 0 && enqueue(d, r) < 0)
			break;
		d->backlog = r->next;
		if (!d->backlog)
			d->backlog_tail = &d->backlog;
		if (rc < 0) {
			d->outstanding--;
			r->status = rc;
			if (r->done)
				r->done(r);
		}
	}
	d->last = NULL;		/* what goes on the ring is no longer merged into */
	for (unsigned int i = 0; i < d->nqueues; i++) {
		struct queue *q = &d->q[i];
		int notify;

		if (!q->nqueued)
			continue;
		for (unsigned int k = 0; k < q->nqueued; k++)	/* a slot per ring entry: room */
			put_on_ring(d, q, &q->slots[q->queued[k]]);
		q->nqueued = 0;
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring, notify);
		if (notify)
			evtchn_send(q->port);
	}
}

/* A slot's requests are done: copy reads out, give pages back, tell the callers. */
static void complete(struct blkfront_dev *d, struct slot *s, int status)
{
	unsigned int nreq = s->nreq;
	struct blkfront_req *reqs[BLKFRONT_MERGE_MAX];

	for (unsigned int k = 0; k < nreq; k++) {
		struct blkfront_req *r = s->req[k];

		reqs[k] = r;
		if (status == 0 && r->op == BLKIF_OP_READ)
			for (size_t off = 0; off < r->len; off += PAGE_SIZE)
				memcpy((uint8_t *)r->buf + off,
				       pool_page(d, s->page[s->req_page[k] + off / PAGE_SIZE]),
				       r->len - off < PAGE_SIZE ? r->len - off : PAGE_SIZE);
	}
	slot_release(d, s);
	for (unsigned int k = 0; k < nreq; k++) {
		d->outstanding--;
		reqs[k]->status = status;
		if (reqs[k]->done)
			reqs[k]->done(reqs[k]);
	}
}

static void fail_backlog(struct blkfront_dev *d)
{
	while (d->backlog) {
		struct blkfront_req *r = d->backlog;

		d->backlog = r->next;
		d->outstanding--;
		r->status = -XEN_EIO;
		if (r->done)
			r->done(r);
	}
	d->backlog_tail = &d->backlog;
}

/* The backend broke the protocol or went: fail everything outstanding. */
static void mark_broken(struct blkfront_dev *d)
{
	d->broken = true;
	for (unsigned int i = 0; d->q && i < d->nqueues; i++) {
		struct queue *q = &d->q[i];

		for (unsigned int j = 0; j < q->nslots; j++) {
			struct slot *s = &q->slots[j];

			if (!s->busy)
				continue;
			if (!s->queued)
				s->lost = true;	/* it may still hold the pages */
			complete(d, s, -XEN_EIO);
		}
		q->nqueued = 0;
	}
	fail_backlog(d);
}

static int status_to_errno(int16_t status)
{
	switch (status) {
	case BLKIF_RSP_OKAY:		return 0;
	case BLKIF_RSP_EOPNOTSUPP:	return -XEN_EOPNOTSUPP;
	default:			return -XEN_EIO;
	}
}

/* One response, copied out: is it for a request we have outstanding? */
static void take_response(struct blkfront_dev *d, struct queue *q, const blkif_response_t *rsp)
{
	struct slot *s = rsp->id < q->nslots ? &q->slots[rsp->id] : NULL;

	if (!s || !s->busy || s->queued || s->wire_op != rsp->operation) {
		d->bad_responses++;
		if (d->bad_responses >= BAD_RESPONSES_MAX)
			mark_broken(d);
		return;
	}
	complete(d, s, status_to_errno(rsp->status));
}

static unsigned int poll_queue(struct blkfront_dev *d, struct queue *q)
{
	unsigned int done = 0;
	int more;

	/* Bounded: each round takes at most a ring's worth. */
	for (int round = 0; round < 4; round++) {
		RING_IDX prod, cons;

		prod = __atomic_load_n(&q->sring->rsp_prod, __ATOMIC_RELAXED);
		xen_rmb();	/* the index before the responses it covers */
		if (RING_RESPONSE_PROD_OVERFLOW(&q->ring, prod) ||
		    prod - q->ring.rsp_cons > q->ring.req_prod_pvt - q->ring.rsp_cons) {
			mark_broken(d);
			return done;
		}
		for (cons = q->ring.rsp_cons; cons != prod; cons++) {
			blkif_response_t rsp;

			RING_COPY_RESPONSE(&q->ring, cons, &rsp);
			take_response(d, q, &rsp);
			done++;
			if (d->broken)
				return done;
		}
		q->ring.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&q->ring, more);
		if (!more)
			break;
	}
	return done;
}

static unsigned int take_responses(struct blkfront_dev *d)
{
	unsigned int done = 0;

	for (unsigned int i = 0; i < d->nqueues && d->connected && !d->broken; i++)
		done += poll_queue(d, &d->q[i]);
	return done;
}

unsigned int blkfront_poll(struct blkfront_dev *d)
{
	unsigned int done;

	if (!d->connected || d->broken)
		return 0;
	blkfront_kick(d);
	done = take_responses(d);
	blkfront_kick(d);	/* room freed: place what waits */
	return done;
}

/*
 * The backend went (its directory, or its state, is gone): fail what is
 * outstanding and close our end as blkif.h asks, Closing then Closed.
 */
static void close_on_request(struct blkfront_dev *d)
{
	d->broken = true;	/* no new requests while we say so */
	if (switch_state(d, XenbusStateClosing) == 0 &&
	    switch_state(d, XenbusStateClosed) == 0)
		d->closed = true;
	mark_broken(d);
}

/* Every request not answered, in slot order, onto the backlog. */
static void collect_outstanding(struct blkfront_dev *d)
{
	for (unsigned int i = 0; i < d->nqueues; i++) {
		struct queue *q = &d->q[i];

		for (unsigned int j = 0; j < q->nslots; j++) {
			struct slot *s = &q->slots[j];

			if (!s->busy)
				continue;
			for (unsigned int k = 0; k < s->nreq; k++) {
				s->req[k]->next = NULL;
				*d->backlog_tail = s->req[k];
				d->backlog_tail = &s->req[k]->next;
				d->stats.resubmitted++;
			}
			s->nreq = 0;
			slot_release(d, s);
		}
		q->nqueued = 0;
	}
}

/*
 * The backend closed the device by itself: follow it down, keep what was
 * outstanding, and connect again (the file's comment). Returns 0 once
 * connected again, or a negative errno with everything failed.
 */
static int reconnect(struct blkfront_dev *d)
{
	int rc;

	d->connected = false;
	rc = switch_state(d, XenbusStateClosing);
	if (rc == 0)
		rc = wait_backend(d, 1u << XenbusStateClosing | 1u << XenbusStateClosed);
	if (rc >= 0)
		rc = switch_state(d, XenbusStateClosed);
	if (rc == 0)
		rc = wait_backend(d, 1u << XenbusStateClosed);
	if (rc > 0)
		rc = 0;		/* a state, as wanted */
	if (rc == 0) {
		/* It answered what it drained before going Closed: take those. */
		d->connected = true;
		take_responses(d);
		d->connected = false;
	}
	if (!d->broken)
		collect_outstanding(d);
	release_rings(d, true);
	if (rc == 0 && !d->broken)
		rc = switch_state(d, XenbusStateInitialising);
	if (rc == 0 && !d->broken)
		rc = connect_rings(d);
	if (rc < 0 || d->broken) {
		d->broken = true;
		fail_backlog(d);
		if (switch_state(d, XenbusStateClosed) == 0)
			d->closed = true;
		return rc < 0 ? rc : -XEN_EIO;
	}
	d->stats.reconnects++;
	d->bad_responses = 0;
	blkfront_kick(d);
	return 0;
}

/*
 * True when the toolstack is taking the device away: it writes the
 * backend's online node 0 before asking the backend to close (a detach,
 * as xl does), where a backend that restarts the device leaves it 1.
 */
static bool backend_offline(struct blkfront_dev *d)
{
	uint64_t online;

	return xenbus_read_u64_at(d->backend, "online", 1, 1, &online) < 0 || online == 0;
}

/*
 * Notice a backend that is going away while we are connected: a detach
 * closes the device for good, a backend that restarts it is followed
 * down and up again.
 */
static void check_backend(struct blkfront_dev *d)
{
	int st;

	if (!xenbus_take_event(d->token, NULL, 0) || d->broken)
		return;
	st = backend_state(d);
	if (st < 0 || st == XenbusStateUnknown)
		close_on_request(d);
	else if ((st == XenbusStateClosing || st == XenbusStateClosed) && backend_offline(d))
		close_on_request(d);
	else if (st == XenbusStateClosing || st == XenbusStateClosed)
		(void)reconnect(d);
}

int blkfront_wait(struct blkfront_dev *d)
{
	check_backend(d);
	if (blkfront_poll(d))
		return 0;
	if (!d->connected || d->broken)
		return -XEN_EIO;
	xenport_block();
	blkfront_poll(d);
	check_backend(d);
	return d->broken ? -XEN_EIO : 0;
}

unsigned int blkfront_outstanding(const struct blkfront_dev *d)
{
	return d->outstanding;
}

unsigned int blkfront_slots(void)
{
	return NR_SLOTS_MAX * BLKFRONT_MAX_QUEUES;
}

static void sync_done(struct blkfront_req *r)
{
	(void)r;
}

#define IO_REQS		64

int blkfront_io(struct blkfront_dev *d, uint8_t op, uint64_t sector,
		void *buf, size_t len)
{
	struct blkfront_req reqs[IO_REQS];
	size_t off = 0;
	unsigned int next = 0, inflight = 0;
	int rc = 0;

	memset(reqs, 0, sizeof(reqs));
	while ((off < len || inflight) && rc == 0) {
		/* Fill free request slots, then wait for any to finish. */
		while (off < len && inflight < IO_REQS) {
			struct blkfront_req *r = &reqs[next];
			size_t n = len - off < BLKFRONT_MAX_BYTES ? len - off : BLKFRONT_MAX_BYTES;

			if (r->status == 1)
				break;
			r->op = op;
			r->sector = sector + off / SECTOR_SIZE;
			r->buf = (uint8_t *)buf + off;
			r->len = n;
			r->done = sync_done;
			rc = blkfront_submit(d, r);
			if (rc == -XEN_EBUSY) {
				rc = 0;
				break;
			}
			if (rc < 0)
				break;
			off += n;
			inflight++;
			next = (next + 1) % IO_REQS;
		}
		if (rc < 0 || !inflight)
			break;
		rc = blkfront_wait(d);
		inflight = 0;
		for (unsigned int i = 0; i < IO_REQS; i++) {
			if (reqs[i].status == 1)
				inflight++;
			else if (reqs[i].status < 0 && rc == 0)
				rc = reqs[i].status;
		}
	}
	/* A failure leaves nothing of ours on the ring: drain what is left. */
	while (inflight && blkfront_wait(d) == 0) {
		inflight = 0;
		for (unsigned int i = 0; i < IO_REQS; i++)
			inflight += reqs[i].status == 1;
	}
	return rc;
}

int blkfront_flush(struct blkfront_dev *d)
{
	struct blkfront_req r = { .op = BLKIF_OP_FLUSH_DISKCACHE };
	int rc;

	if (!d->info.flush)
		return 0;	/* no cache to flush, blkif.h says */
	rc = blkfront_submit(d, &r);
	while (rc == -XEN_EBUSY) {
		rc = blkfront_wait(d);
		if (rc == 0)
			rc = blkfront_submit(d, &r);
	}
	while (rc == 0 && r.status == 1)
		rc = blkfront_wait(d);
	return rc < 0 ? rc : r.status;
}

void blkfront_close(struct blkfront_dev *d)
{
	while (d->outstanding && !d->broken && blkfront_wait(d) == 0)
		;
	disconnect(d);
	teardown(d);
}

/* ---- for hostile test workloads: the raw ring of queue 0 ---- */

blkif_front_ring_t *blkfront_raw_ring(struct blkfront_dev *d, evtchn_port_t *port_out)
{
	return blkfront_raw_queue(d, 0, port_out);
}

blkif_front_ring_t *blkfront_raw_queue(struct blkfront_dev *d, unsigned int i, evtchn_port_t *port_out)
{
	if (!d->connected || !d->q || i >= d->nqueues)
		return NULL;
	*port_out = d->q[i].port;
	return &d->q[i].ring;
}

int blkfront_backend_state(struct blkfront_dev *d)
{
	return backend_state(d);
}

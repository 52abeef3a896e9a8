/*
 * blkfront.c: the blkif frontend (io/blkif.h, reference §4.3 and §5).
 *
 * Handshake, from our side of the xenbus state machine:
 *  1. read ~/device/vbd/<devid>/backend and backend-id, watch the
 *     backend's state;
 *  2. wait for the backend's InitWait, read its feature-persistent;
 *  3. allocate and grant the ring page, allocate an unbound event channel
 *     for the backend domain, and in one transaction (retried on EAGAIN)
 *     write ring-ref, event-channel, protocol=x86_64-abi and
 *     feature-persistent=1; go Initialised;
 *  4. wait for the backend's Connected, read sectors, sector-size, info
 *     and the feature-* keys; go Connected;
 *  5. on close: Closing, wait for the backend to be Closing or Closed,
 *     Closed, wait for its Closed; then revoke and free what we granted.
 *     A backend that goes Closing by itself (detach) is followed at the
 *     next wait: outstanding requests fail, we go Closing and Closed.
 *
 * Data moves through bounce pages: each of the RING_SIZE request slots
 * owns BLKIF_MAX_SEGMENTS_PER_REQUEST pages, so a caller's buffer is never
 * shown to the backend and can be anywhere. With persistent grants
 * (both sides wrote feature-persistent=1) those pages are granted once at
 * connect and their refs reused for every request (blkif.h
 * feature-persistent); otherwise each request grants its pages (read-only
 * for writes) and revokes them when the response comes.
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
#define NR_SLOTS		__CONST_RING_SIZE(blkif, PAGE_SIZE)
#define SEGS			BLKIF_MAX_SEGMENTS_PER_REQUEST
#define STATE_WAITS		10000	/* watch events while waiting for a state */
#define BAD_RESPONSES_MAX	1

struct slot {
	bool busy;
	bool lost;		/* the backend may still hold its pages */
	uint8_t op;
	uint8_t nseg;
	struct blkfront_req *req;
	uint8_t *pages;		/* SEGS bounce pages */
	grant_ref_t gref[SEGS];
	bool granted[SEGS];
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

	blkif_sring_t *sring;
	blkif_front_ring_t ring;
	int ring_ref;		/* < 0: not granted */
	evtchn_port_t port;
	struct slot slots[NR_SLOTS];
	unsigned int outstanding;
	unsigned long bad_responses;
};

static struct blkfront_dev devs[BLKFRONT_MAX_DEVS];
static bool offer_persistent = true;

void blkfront_offer_persistent(bool offer)
{
	offer_persistent = offer;
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

static int read_node(struct blkfront_dev *d, const char *dir, const char *key,
		     uint64_t max, uint64_t def, uint64_t *val_out)
{
	char path[192];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path))
		return -XEN_E2BIG;
	(void)d;
	rc = xenbus_read_u64(XBT_NIL, path, max, val_out);
	if (rc == -XEN_ENOENT) {
		*val_out = def;
		return 0;
	}
	return rc;
}

static int switch_state(struct blkfront_dev *d, int state)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/state", d->node);
	return xenbus_printf(XBT_NIL, path, "%d", state);
}

static int backend_state(struct blkfront_dev *d)
{
	uint64_t st;
	int rc = read_node(d, d->backend, "state", XenbusStateReconfigured,
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

/* A backend path we are willing to use: absolute, plain characters. */
static bool is_sane_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* ---- slots and bounce pages ---- */

static void free_slots(struct blkfront_dev *d)
{
	for (unsigned int i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &d->slots[i];
		bool keep = s->lost;

		for (unsigned int j = 0; j < SEGS; j++) {
			if (s->granted[j] && !gnttab_end_access(s->gref[j]))
				keep = true;	/* still mapped: leak, never reuse */
			else
				s->granted[j] = false;
		}
		if (s->pages && !keep)
			xenport_free_pages(s->pages, SEGS);
		s->pages = NULL;
	}
}

static int alloc_slots(struct blkfront_dev *d)
{
	for (unsigned int i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &d->slots[i];

		memset(s, 0, sizeof(*s));
		s->pages = xenport_alloc_pages(SEGS);
		if (!s->pages)
			return -XEN_ENOMEM;
	}
	return 0;
}

/* Persistent grants: every bounce page granted once, read-write. */
static int grant_slots(struct blkfront_dev *d)
{
	for (unsigned int i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &d->slots[i];

		for (unsigned int j = 0; j < SEGS; j++) {
			int ref = gnttab_grant_access(d->info.backend_id,
				xenport_virt_to_phys(s->pages + j * PAGE_SIZE) / PAGE_SIZE,
				false);

			if (ref < 0)
				return ref;
			s->gref[j] = (grant_ref_t)ref;
			s->granted[j] = true;
		}
	}
	return 0;
}

/* ---- handshake ---- */

static void on_event(evtchn_port_t port, void *data)
{
	/* Responses are taken by blkfront_poll() after every wakeup. */
	(void)port;
	(void)data;
}

static int setup_ring(struct blkfront_dev *d)
{
	int rc;

	d->sring = xenport_alloc_pages(1);
	if (!d->sring)
		return -XEN_ENOMEM;
	SHARED_RING_INIT(d->sring);
	FRONT_RING_INIT(&d->ring, d->sring, PAGE_SIZE);
	rc = gnttab_grant_access(d->info.backend_id,
				 xenport_virt_to_phys(d->sring) / PAGE_SIZE, false);
	if (rc < 0)
		return rc;
	d->ring_ref = rc;
	rc = evtchn_alloc_unbound(d->info.backend_id, &d->port);
	if (rc < 0)
		return rc;
	return evtchn_set_handler(d->port, on_event, d);
}

static int write_ring_keys(xenbus_transaction_t t, void *data)
{
	struct blkfront_dev *d = data;
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "%s/ring-ref", d->node);
	rc = xenbus_printf(t, path, "%d", d->ring_ref);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/event-channel", d->node);
		rc = xenbus_printf(t, path, "%u", (unsigned int)d->port);
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

	rc = read_node(d, d->backend, "sectors", UINT64_MAX >> 9, 0, &in->sectors);
	if (rc == 0)
		rc = read_node(d, d->backend, "sector-size", 1u << 16, SECTOR_SIZE, &v);
	if (rc < 0)
		return rc;
	in->sector_size = (uint32_t)v;
	/* We address the disk in 512-byte units, as blkif does. */
	if (in->sector_size != SECTOR_SIZE || in->sectors == 0)
		return -XEN_EINVAL;
	rc = read_node(d, d->backend, "info", UINT32_MAX, 0, &v);
	in->vdisk_info = (uint32_t)v;
	in->readonly = (v & VDISK_READONLY) != 0;
	if (rc == 0)
		rc = read_node(d, d->backend, "feature-flush-cache", 1, 0, &v);
	in->flush = v == 1;
	if (rc == 0)
		rc = read_node(d, d->backend, "feature-discard", 1, 0, &v);
	in->discard = v == 1;
	if (rc == 0)
		rc = read_node(d, d->backend, "feature-persistent", 1, 0, &v);
	in->persistent = v == 1;
	if (rc == 0)
		rc = read_node(d, d->backend, "feature-max-indirect-segments",
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
	if (!is_sane_path(d->backend))
		return -XEN_EINVAL;
	rc = read_node(d, d->node, "backend-id", DOMID_FIRST_RESERVED - 1,
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

static int connect(struct blkfront_dev *d)
{
	uint64_t be_persistent;
	int rc;

	rc = find_backend(d);
	if (rc < 0)
		return rc;
	rc = wait_backend(d, 1u << XenbusStateInitWait);
	if (rc < 0)
		return rc;
	rc = read_node(d, d->backend, "feature-persistent", 1, 0, &be_persistent);
	if (rc < 0)
		return rc;
	d->persistent = offer_persistent && be_persistent == 1;
	rc = alloc_slots(d);
	if (rc == 0 && d->persistent)
		rc = grant_slots(d);
	if (rc == 0)
		rc = setup_ring(d);
	if (rc == 0)
		rc = xenbus_transact(write_ring_keys, d);
	if (rc == 0)
		rc = switch_state(d, XenbusStateInitialised);
	if (rc == 0)
		rc = wait_backend(d, 1u << XenbusStateConnected);
	if (rc < 0)
		return rc;
	rc = read_backend_info(d);
	if (rc < 0)
		return rc;
	/* Both must have said so (we wrote 1 before the backend connected). */
	d->persistent = d->persistent && d->info.persistent;
	d->info.persistent = d->persistent;
	if (!d->persistent && offer_persistent && be_persistent == 1) {
		free_slots(d);		/* drop the grants made for nothing */
		rc = alloc_slots(d);
	}
	if (rc == 0)
		rc = switch_state(d, XenbusStateConnected);
	if (rc == 0)
		d->connected = true;
	return rc;
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

	d->connected = false;
	if (d->port) {
		evtchn_clear_handler(d->port);
		evtchn_close(d->port);
		d->port = 0;
	}
	free_slots(d);
	if (d->ring_ref >= 0 && !gnttab_end_access((grant_ref_t)d->ring_ref))
		d->sring = NULL;	/* still mapped: leak the page */
	d->ring_ref = -1;
	if (d->sring)
		xenport_free_pages(d->sring, 1);
	d->sring = NULL;
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
	d->ring_ref = -1;
	d->info.devid = devid;
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

/* ---- requests ---- */

static struct slot *free_slot(struct blkfront_dev *d, unsigned int *id_out)
{
	for (unsigned int i = 0; i < NR_SLOTS; i++) {
		if (!d->slots[i].busy && !d->slots[i].lost) {
			*id_out = i;
			return &d->slots[i];
		}
	}
	return NULL;
}

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

/* Fill the segments of a read or write; grants unless persistent. */
static int build_segments(struct blkfront_dev *d, struct slot *s,
			  const struct blkfront_req *r, blkif_request_t *req)
{
	size_t left = r->len;

	s->nseg = (uint8_t)((r->len + PAGE_SIZE - 1) / PAGE_SIZE);
	for (unsigned int j = 0; j < s->nseg; j++) {
		size_t n = left < PAGE_SIZE ? left : PAGE_SIZE;
		uint8_t *page = s->pages + j * PAGE_SIZE;

		if (r->op == BLKIF_OP_WRITE)
			memcpy(page, (const uint8_t *)r->buf + j * PAGE_SIZE, n);
		if (!d->persistent) {
			int ref = gnttab_grant_access(d->info.backend_id,
				xenport_virt_to_phys(page) / PAGE_SIZE,
				r->op == BLKIF_OP_WRITE);

			if (ref < 0)
				return ref;	/* the caller revokes what was granted */
			s->gref[j] = (grant_ref_t)ref;
			s->granted[j] = true;
		}
		req->seg[j].gref = s->gref[j];
		req->seg[j].first_sect = 0;
		req->seg[j].last_sect = (uint8_t)(n / SECTOR_SIZE - 1);
		left -= n;
	}
	req->nr_segments = s->nseg;
	return 0;
}

/* Revoke a slot's per-request grants; false if the backend holds one. */
static bool release_grants(struct blkfront_dev *d, struct slot *s)
{
	bool ok = true;

	if (d->persistent)
		return true;
	for (unsigned int j = 0; j < SEGS; j++) {
		if (!s->granted[j])
			continue;
		if (gnttab_end_access(s->gref[j]))
			s->granted[j] = false;
		else
			ok = false;
	}
	return ok;
}

int blkfront_submit(struct blkfront_dev *d, struct blkfront_req *r)
{
	blkif_request_t req;
	struct slot *s;
	unsigned int id;
	int notify, rc;

	if (!d->connected || d->broken)
		return -XEN_EIO;
	rc = check_req(d, r);
	if (rc < 0)
		return rc;
	if (RING_FULL(&d->ring) || !(s = free_slot(d, &id)))
		return -XEN_EBUSY;
	/* Built in private and copied whole: no stale bytes reach the ring. */
	memset(&req, 0, sizeof(req));
	req.operation = r->op;
	req.handle = (blkif_vdev_t)d->devid;
	req.id = id;
	req.sector_number = r->op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : r->sector;
	s->nseg = 0;
	if (r->op != BLKIF_OP_FLUSH_DISKCACHE) {
		rc = build_segments(d, s, r, &req);
		if (rc < 0) {
			(void)release_grants(d, s);
			return rc;
		}
	}
	s->busy = true;
	s->op = r->op;
	s->req = r;
	r->status = 1;	/* in flight */
	memcpy(RING_GET_REQUEST(&d->ring, d->ring.req_prod_pvt), &req, sizeof(req));
	d->ring.req_prod_pvt++;
	d->outstanding++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&d->ring, notify);
	if (notify)
		evtchn_send(d->port);
	return 0;
}

static void complete(struct blkfront_dev *d, struct slot *s, int status)
{
	struct blkfront_req *r = s->req;

	if (!release_grants(d, s))
		s->lost = true;		/* the backend kept a mapping */
	if (status == 0 && r->op == BLKIF_OP_READ)
		memcpy(r->buf, s->pages, r->len);
	s->busy = false;
	s->req = NULL;
	d->outstanding--;
	r->status = status;
	if (r->done)
		r->done(r);
}

/* The backend broke the protocol: fail everything outstanding. */
static void mark_broken(struct blkfront_dev *d)
{
	d->broken = true;
	for (unsigned int i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &d->slots[i];

		if (s->busy) {
			complete(d, s, -XEN_EIO);
			s->lost = true;
		}
	}
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
static void take_response(struct blkfront_dev *d, const blkif_response_t *rsp)
{
	struct slot *s;

	if (rsp->id >= NR_SLOTS || !d->slots[rsp->id].busy ||
	    d->slots[rsp->id].op != rsp->operation) {
		d->bad_responses++;
		if (d->bad_responses >= BAD_RESPONSES_MAX)
			mark_broken(d);
		return;
	}
	s = &d->slots[rsp->id];
	complete(d, s, status_to_errno(rsp->status));
}

unsigned int blkfront_poll(struct blkfront_dev *d)
{
	unsigned int done = 0;
	int more;

	if (!d->connected || d->broken)
		return 0;
	/* Bounded: each round takes at most a ring's worth. */
	for (int round = 0; round < 4; round++) {
		RING_IDX prod, cons;

		prod = __atomic_load_n(&d->sring->rsp_prod, __ATOMIC_RELAXED);
		xen_rmb();	/* the index before the responses it covers */
		if (RING_RESPONSE_PROD_OVERFLOW(&d->ring, prod) ||
		    prod - d->ring.rsp_cons > d->ring.req_prod_pvt - d->ring.rsp_cons) {
			mark_broken(d);
			return done;
		}
		for (cons = d->ring.rsp_cons; cons != prod; cons++) {
			blkif_response_t rsp;

			RING_COPY_RESPONSE(&d->ring, cons, &rsp);
			take_response(d, &rsp);
			done++;
			if (d->broken)
				return done;
		}
		d->ring.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&d->ring, more);
		if (!more)
			break;
	}
	return done;
}

/*
 * The backend is going away (Closing, or Closed, or its state is gone):
 * fail what is outstanding and close our end as blkif.h asks, Closing then
 * Closed. The pages of failed requests are never reused (the backend may
 * still hold them); the rest goes in blkfront_close().
 */
static void close_on_request(struct blkfront_dev *d)
{
	d->broken = true;	/* no new requests while we say so */
	if (switch_state(d, XenbusStateClosing) == 0 &&
	    switch_state(d, XenbusStateClosed) == 0)
		d->closed = true;
	mark_broken(d);
}

/* Notice a backend that is going away while we are connected. */
static void check_backend(struct blkfront_dev *d)
{
	int st;

	if (!xenbus_take_event(d->token, NULL, 0))
		return;
	st = backend_state(d);
	if (st < 0 || st == XenbusStateClosing || st == XenbusStateClosed ||
	    st == XenbusStateUnknown)
		close_on_request(d);
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
	return NR_SLOTS;
}

static void sync_done(struct blkfront_req *r)
{
	(void)r;
}

int blkfront_io(struct blkfront_dev *d, uint8_t op, uint64_t sector,
		void *buf, size_t len)
{
	struct blkfront_req reqs[NR_SLOTS];
	size_t off = 0;
	unsigned int next = 0, inflight = 0;
	int rc = 0;

	memset(reqs, 0, sizeof(reqs));
	while ((off < len || inflight) && rc == 0) {
		/* Fill free request slots, then wait for any to finish. */
		while (off < len && inflight < NR_SLOTS) {
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
			next = (next + 1) % NR_SLOTS;
		}
		if (rc < 0 || !inflight)
			break;
		rc = blkfront_wait(d);
		inflight = 0;
		for (unsigned int i = 0; i < NR_SLOTS; i++) {
			if (reqs[i].status == 1)
				inflight++;
			else if (reqs[i].status < 0 && rc == 0)
				rc = reqs[i].status;
		}
	}
	/* A failure leaves nothing of ours on the ring: drain what is left. */
	while (inflight && blkfront_wait(d) == 0) {
		inflight = 0;
		for (unsigned int i = 0; i < NR_SLOTS; i++)
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

/*
 * netfront.c: the netif frontend (io/netif.h, reference §4.4 and §6).
 *
 * Handshake, from our side of the xenbus state machine:
 *  1. read ~/device/vif/<devid>/backend, backend-id and mac, watch the
 *     backend's state; write Initialising (a reopen starts from there);
 *  2. wait for the backend's InitWait; it must offer feature-rx-copy=1;
 *  3. grant a one-page TX ring and RX ring, NETFRONT_TX_BUFS pages
 *     read-only and NETFRONT_RX_BUFS pages writable, allocate an unbound
 *     event channel for the backend domain; in one transaction (retried
 *     on EAGAIN) write tx-ring-ref, rx-ring-ref, event-channel,
 *     request-rx-copy=1, feature-rx-notify=1 and feature-no-csum-offload=1;
 *     go Connected (as Linux's netfront does, skipping Initialised);
 *  4. wait for the backend's Connected, post every RX buffer;
 *  5. on close: Closing, wait for the backend to be Closing or Closed,
 *     Closed, wait for its Closed; then revoke and free what we granted.
 * A backend that goes Closing or Closed by itself (a detach) is followed
 * to Closed and the device released; later calls say -XEN_ENODEV.
 *
 * The buffers stay granted for the connection's life: a send copies the
 * frame into a free TX page, a receive copies out of the RX page the
 * response names and posts it again at once. The backend is not trusted:
 * response producers are read once, fenced and checked against the ring
 * size; each response is copied out before it is looked at; its id must
 * name a buffer we handed over, and an RX length must fit its page. A
 * backend that breaks those rules gets the device closed, and pages it
 * may still hold are never freed.
 */
#include "xenfront.h"

/* ring.h leaves its barriers to the includer. */
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

#define PAGE_SIZE	4096u
#define STATE_WAITS	10000	/* watch events while waiting for a state */
#define NO_REF		(-1)

struct netfront_dev {
	bool used, connected, closed, watching;
	unsigned int devid;
	char node[64];
	char backend[128];
	char token[32];
	domid_t backend_id;
	uint8_t mac[6];
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	netif_tx_sring_t *tx_sring;
	netif_rx_sring_t *rx_sring;
	int tx_ring_ref, rx_ring_ref;
	evtchn_port_t port;
	uint8_t *tx_pages, *rx_pages;
	int tx_gref[NETFRONT_TX_BUFS];
	int rx_gref[NETFRONT_RX_BUFS];
	bool tx_busy[NETFRONT_TX_BUFS];
	bool rx_posted[NETFRONT_RX_BUFS];
	bool leak;		/* the backend may still hold our pages */
	struct netfront_stats stats;
};

static struct netfront_dev devs[NETFRONT_MAX_DEVS];

/* ---- xenbus ---- */

static int set_state(struct netfront_dev *d, int state)
{
	return xenbus_switch_state(d->node, state);
}

static int be_state(struct netfront_dev *d)
{
	uint64_t st;
	int rc = xenbus_read_u64_at(d->backend, "state", XenbusStateReconfigured, XenbusStateUnknown, &st);

	return rc < 0 ? rc : (int)st;
}

/*
 * Block until the backend's state is in want (a bit mask), or until
 * deadline. A backend Closing or Closed when that is not wanted has given
 * up (-XEN_ENODEV), unless it is still in grace (a reopen: it was Closed
 * from our last connection and will come back to InitWait).
 */
static int wait_be(struct netfront_dev *d, unsigned int want, uint64_t grace_ns)
{
	uint64_t now = xenport_now_ns();
	uint64_t deadline = now + NETFRONT_STATE_TIMEOUT_NS, grace = now + grace_ns;

	for (int i = 0; i < STATE_WAITS; i++) {
		int st = be_state(d), rc;
		bool closing = st >= XenbusStateClosing && st <= XenbusStateClosed;
		bool wants_close = want & (1u << XenbusStateClosing | 1u << XenbusStateClosed);

		if (st < 0)
			return st;
		if (want & (1u << st))
			return st;
		if (closing && !wants_close && xenport_now_ns() >= grace)
			return -XEN_ENODEV;
		rc = xenbus_wait_event_until(d->token, NULL, 0,
					     closing && !wants_close ? grace : deadline);
		if (rc == -XEN_ETIMEDOUT && closing && !wants_close)
			return -XEN_ENODEV;
		if (rc < 0)
			return rc;
	}
	return -XEN_ETIMEDOUT;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aa:bb:cc:dd:ee:ff", exactly. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hi < 0 ? -1 : hexval(s[3 * i + 1]);
		char sep = s[3 * i + 2];

		if (hi < 0 || lo < 0 || sep != (i == 5 ? '\0' : ':'))
			return -XEN_EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int find_backend(struct netfront_dev *d)
{
	char path[192], mac[32];
	uint64_t id;
	int rc;

	snprintf(path, sizeof(path), "%s/mac", d->node);
	rc = xenbus_read(XBT_NIL, path, mac, sizeof(mac));
	if (rc >= 0)
		rc = parse_mac(mac, d->mac);
	snprintf(path, sizeof(path), "%s/backend", d->node);
	if (rc >= 0)
		rc = xenbus_read(XBT_NIL, path, d->backend, sizeof(d->backend));
	if (rc < 0)
		return rc;
	if (!xenbus_path_sane(d->backend))
		return -XEN_EINVAL;
	rc = xenbus_read_u64_at(d->node, "backend-id", DOMID_FIRST_RESERVED - 1, 0, &id);
	if (rc < 0)
		return rc;
	d->backend_id = (domid_t)id;
	snprintf(path, sizeof(path), "%s/state", d->backend);
	rc = xenbus_watch(path, d->token);
	if (rc == 0)
		d->watching = true;
	return rc;
}

/* ---- rings and buffers ---- */

static void on_event(evtchn_port_t port, void *data)
{
	/* Responses are taken by netfront_recv() after every wakeup. */
	(void)port;
	(void)data;
}

static int grant(struct netfront_dev *d, const void *page, bool readonly)
{
	return gnttab_grant_access(d->backend_id, xenport_virt_to_phys(page) / PAGE_SIZE, readonly);
}

static int setup_rings(struct netfront_dev *d)
{
	int rc;

	d->tx_sring = xenport_alloc_pages(1);
	d->rx_sring = xenport_alloc_pages(1);
	d->tx_pages = xenport_alloc_pages(NETFRONT_TX_BUFS);
	d->rx_pages = xenport_alloc_pages(NETFRONT_RX_BUFS);
	if (!d->tx_sring || !d->rx_sring || !d->tx_pages || !d->rx_pages)
		return -XEN_ENOMEM;
	SHARED_RING_INIT(d->tx_sring);
	SHARED_RING_INIT(d->rx_sring);
	FRONT_RING_INIT(&d->tx, d->tx_sring, PAGE_SIZE);
	FRONT_RING_INIT(&d->rx, d->rx_sring, PAGE_SIZE);
	if ((d->tx_ring_ref = grant(d, d->tx_sring, false)) < 0)
		return d->tx_ring_ref;
	if ((d->rx_ring_ref = grant(d, d->rx_sring, false)) < 0)
		return d->rx_ring_ref;
	for (unsigned int i = 0; i < NETFRONT_TX_BUFS; i++)
		if ((d->tx_gref[i] = grant(d, d->tx_pages + i * PAGE_SIZE, true)) < 0)
			return d->tx_gref[i];
	for (unsigned int i = 0; i < NETFRONT_RX_BUFS; i++)
		if ((d->rx_gref[i] = grant(d, d->rx_pages + i * PAGE_SIZE, false)) < 0)
			return d->rx_gref[i];
	rc = evtchn_alloc_unbound(d->backend_id, &d->port);
	if (rc < 0)
		return rc;
	return evtchn_set_handler(d->port, on_event, d);
}

static int write_ring_keys(xenbus_transaction_t t, void *data)
{
	struct netfront_dev *d = data;
	static const char *const flags[] = { "request-rx-copy", "feature-rx-notify",
					     "feature-no-csum-offload" };
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "%s/tx-ring-ref", d->node);
	rc = xenbus_printf(t, path, "%d", d->tx_ring_ref);
	snprintf(path, sizeof(path), "%s/rx-ring-ref", d->node);
	if (rc == 0)
		rc = xenbus_printf(t, path, "%d", d->rx_ring_ref);
	snprintf(path, sizeof(path), "%s/event-channel", d->node);
	if (rc == 0)
		rc = xenbus_printf(t, path, "%u", (unsigned int)d->port);
	for (unsigned int i = 0; i < sizeof(flags) / sizeof(flags[0]) && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", d->node, flags[i]);
		rc = xenbus_write(t, path, "1");
	}
	return rc;
}

static void notify(struct netfront_dev *d)
{
	(void)evtchn_send(d->port);
}

static void post_rx(struct netfront_dev *d, unsigned int i)
{
	netif_rx_request_t *req = RING_GET_REQUEST(&d->rx, d->rx.req_prod_pvt);

	req->id = (uint16_t)i;
	req->gref = (grant_ref_t)d->rx_gref[i];
	d->rx.req_prod_pvt++;
	d->rx_posted[i] = true;
}

static void push_rx(struct netfront_dev *d)
{
	int n;

	/* ring.h: the wmb before req_prod pairs with the backend's rmb. */
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&d->rx, n);
	if (n)
		notify(d);
}

/* Revoke what we granted; pages the backend still maps are leaked, not reused. */
static void release(struct netfront_dev *d)
{
	bool leak = d->leak;

	if (d->port) {
		evtchn_clear_handler(d->port);
		evtchn_close(d->port);
		d->port = 0;
	}
	for (unsigned int i = 0; i < NETFRONT_TX_BUFS; i++)
		if (d->tx_gref[i] >= 0 && !gnttab_end_access((grant_ref_t)d->tx_gref[i]))
			leak = true;
	for (unsigned int i = 0; i < NETFRONT_RX_BUFS; i++)
		if (d->rx_gref[i] >= 0 && !gnttab_end_access((grant_ref_t)d->rx_gref[i]))
			leak = true;
	if (d->tx_ring_ref >= 0 && !gnttab_end_access((grant_ref_t)d->tx_ring_ref))
		leak = true;
	if (d->rx_ring_ref >= 0 && !gnttab_end_access((grant_ref_t)d->rx_ring_ref))
		leak = true;
	if (!leak) {
		if (d->tx_sring)
			xenport_free_pages(d->tx_sring, 1);
		if (d->rx_sring)
			xenport_free_pages(d->rx_sring, 1);
		if (d->tx_pages)
			xenport_free_pages(d->tx_pages, NETFRONT_TX_BUFS);
		if (d->rx_pages)
			xenport_free_pages(d->rx_pages, NETFRONT_RX_BUFS);
	}
	d->tx_sring = NULL;
	d->rx_sring = NULL;
	d->tx_pages = d->rx_pages = NULL;
	d->tx_ring_ref = d->rx_ring_ref = NO_REF;
	for (unsigned int i = 0; i < NETFRONT_TX_BUFS; i++)
		d->tx_gref[i] = NO_REF;
	for (unsigned int i = 0; i < NETFRONT_RX_BUFS; i++)
		d->rx_gref[i] = NO_REF;
	d->connected = false;
}

/* Closing, then Closed, each after the backend followed. */
static void disconnect(struct netfront_dev *d)
{
	int st;

	if (d->closed)
		return;
	d->closed = true;
	d->connected = false;
	st = d->watching ? be_state(d) : -1;
	if (st >= 0 && st < XenbusStateInitWait) {
		(void)set_state(d, XenbusStateClosed);
		return;
	}
	if (d->watching && set_state(d, XenbusStateClosing) == 0 &&
	    wait_be(d, 1u << XenbusStateClosing | 1u << XenbusStateClosed, 0) >= 0 &&
	    set_state(d, XenbusStateClosed) == 0)
		(void)wait_be(d, 1u << XenbusStateClosed, 0);
}

static void teardown(struct netfront_dev *d)
{
	char path[192];

	release(d);
	if (d->watching) {
		snprintf(path, sizeof(path), "%s/state", d->backend);
		(void)xenbus_unwatch(path, d->token);
		d->watching = false;
	}
}

static int connect(struct netfront_dev *d)
{
	uint64_t rx_copy;
	int rc = find_backend(d);

	if (rc == 0)
		rc = set_state(d, XenbusStateInitialising);
	if (rc == 0)	/* a backend still Closed from our last connection gets 5 s */
		rc = wait_be(d, 1u << XenbusStateInitWait, 5ULL * 1000000000ULL);
	if (rc >= 0)
		rc = xenbus_read_u64_at(d->backend, "feature-rx-copy", 1, 0, &rx_copy);
	if (rc >= 0 && rx_copy != 1)
		rc = -XEN_ENODEV;	/* netif.h: we only take copies */
	if (rc >= 0)
		rc = setup_rings(d);
	if (rc >= 0)
		rc = xenbus_transact(write_ring_keys, d);
	if (rc >= 0)
		rc = set_state(d, XenbusStateConnected);
	if (rc >= 0)
		rc = wait_be(d, 1u << XenbusStateConnected, 0);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < NETFRONT_RX_BUFS; i++)
		post_rx(d, i);
	push_rx(d);
	d->connected = true;
	return 0;
}

int netfront_open(unsigned int devid, struct netfront_dev **dev_out)
{
	struct netfront_dev *d = NULL;
	int rc;

	for (int i = 0; i < NETFRONT_MAX_DEVS && !d; i++)
		if (!devs[i].used)
			d = &devs[i];
	if (!d)
		return -XEN_ENOSPC;
	memset(d, 0, sizeof(*d));
	d->used = true;
	d->devid = devid;
	d->tx_ring_ref = d->rx_ring_ref = NO_REF;
	for (unsigned int i = 0; i < NETFRONT_TX_BUFS; i++)
		d->tx_gref[i] = NO_REF;
	for (unsigned int i = 0; i < NETFRONT_RX_BUFS; i++)
		d->rx_gref[i] = NO_REF;
	snprintf(d->node, sizeof(d->node), "device/vif/%u", devid);
	snprintf(d->token, sizeof(d->token), "netfront-%u", devid);
	rc = connect(d);
	if (rc < 0) {
		disconnect(d);
		teardown(d);
		d->used = false;
		return rc;
	}
	*dev_out = d;
	return 0;
}

const uint8_t *netfront_mac(const struct netfront_dev *d)
{
	return d->mac;
}

void netfront_get_stats(const struct netfront_dev *d, struct netfront_stats *out)
{
	*out = d->stats;
}

bool netfront_is_connected(const struct netfront_dev *d)
{
	return d->connected;
}

/* ---- data ---- */

/* The backend broke the protocol: close, and keep its pages from reuse. */
static void give_up(struct netfront_dev *d)
{
	d->leak = true;
	disconnect(d);
	teardown(d);
}

static void take_tx(struct netfront_dev *d)
{
	RING_IDX rp = __atomic_load_n(&d->tx.sring->rsp_prod, __ATOMIC_RELAXED);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* pairs with the backend's wmb */
	if (rp - d->tx.rsp_cons > d->tx.req_prod_pvt - d->tx.rsp_cons) {
		give_up(d);	/* responses to requests never made */
		return;
	}
	while (d->tx.rsp_cons != rp) {
		netif_tx_response_t rsp;

		memcpy(&rsp, RING_GET_RESPONSE(&d->tx, d->tx.rsp_cons), sizeof(rsp));
		d->tx.rsp_cons++;
		if (rsp.id >= NETFRONT_TX_BUFS || !d->tx_busy[rsp.id]) {
			give_up(d);
			return;
		}
		d->tx_busy[rsp.id] = false;
		if (rsp.status == NETIF_RSP_OKAY)
			d->stats.tx_packets++;
		else
			d->stats.tx_errors++;
	}
	d->tx.sring->rsp_event = d->tx.rsp_cons + 1;
}

int netfront_send(struct netfront_dev *d, const void *frame, size_t len)
{
	netif_tx_request_t *req;
	unsigned int i;
	int n;

	if (!d->connected)
		return -XEN_ENODEV;
	if (len < NETFRONT_FRAME_MIN || len > NETFRONT_FRAME_MAX)
		return -XEN_EINVAL;
	take_tx(d);
	if (!d->connected)
		return -XEN_ENODEV;
	for (i = 0; i < NETFRONT_TX_BUFS && d->tx_busy[i]; i++)
		;
	if (i == NETFRONT_TX_BUFS) {
		d->stats.tx_busy++;
		return -XEN_EBUSY;
	}
	memcpy(d->tx_pages + i * PAGE_SIZE, frame, len);
	req = RING_GET_REQUEST(&d->tx, d->tx.req_prod_pvt);
	req->gref = (grant_ref_t)d->tx_gref[i];
	req->offset = 0;
	req->flags = 0;		/* checksums are in the frame; one slot */
	req->id = (uint16_t)i;
	req->size = (uint16_t)len;
	d->tx.req_prod_pvt++;
	d->tx_busy[i] = true;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&d->tx, n);
	if (n)
		notify(d);
	return 0;
}

/* A backend that went Closing or Closed by itself: follow it down. */
static void check_backend(struct netfront_dev *d)
{
	int st;

	if (!xenbus_take_event(d->token, NULL, 0))
		return;
	st = be_state(d);
	if (st < 0 || st == XenbusStateUnknown || st == XenbusStateClosing || st == XenbusStateClosed) {
		disconnect(d);
		teardown(d);
	}
}

/* One RX response, checked: the frame's length, or -1 (counted, reposted if we can). */
static int take_one_rx(struct netfront_dev *d, void *buf, size_t size)
{
	netif_rx_response_t rsp;
	int len;

	memcpy(&rsp, RING_GET_RESPONSE(&d->rx, d->rx.rsp_cons), sizeof(rsp));
	d->rx.rsp_cons++;
	if (rsp.id >= NETFRONT_RX_BUFS || !d->rx_posted[rsp.id]) {
		give_up(d);
		return -1;
	}
	d->rx_posted[rsp.id] = false;
	len = rsp.status;
	if (len < NETFRONT_FRAME_MIN || rsp.offset >= PAGE_SIZE || (unsigned int)len > PAGE_SIZE - rsp.offset ||
	    (rsp.flags & (NETRXF_more_data | NETRXF_extra_info)) || (size_t)len > size) {
		d->stats.rx_errors++;
		len = -1;
	} else {
		memcpy(buf, d->rx_pages + rsp.id * PAGE_SIZE + rsp.offset, (size_t)len);
		d->stats.rx_packets++;
	}
	post_rx(d, rsp.id);
	push_rx(d);
	return len;
}

int netfront_recv(struct netfront_dev *d, void *buf, size_t size)
{
	check_backend(d);
	if (!d->connected)
		return -XEN_ENODEV;
	take_tx(d);
	/* Bounded: a backend that produces responses forever gets a ring's worth. */
	for (unsigned int n = 0; d->connected && n <= RING_SIZE(&d->rx); n++) {
		RING_IDX rp = __atomic_load_n(&d->rx.sring->rsp_prod, __ATOMIC_RELAXED);
		int len;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (rp - d->rx.rsp_cons > RING_SIZE(&d->rx)) {
			give_up(d);
			break;
		}
		if (rp == d->rx.rsp_cons) {
			d->rx.sring->rsp_event = d->rx.rsp_cons + 1;	/* kick us for the next */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (d->rx.sring->rsp_prod == rp)
				return 0;
			continue;
		}
		len = take_one_rx(d, buf, size);
		if (len > 0)
			return len;
	}
	return d->connected ? 0 : -XEN_ENODEV;
}

void netfront_close(struct netfront_dev *d)
{
	disconnect(d);
	teardown(d);
	d->used = false;
}

netif_tx_front_ring_t *netfront_raw_tx(struct netfront_dev *d, evtchn_port_t *port_out)
{
	*port_out = d->port;
	return d->connected ? &d->tx : NULL;
}

int netfront_backend_state(struct netfront_dev *d)
{
	return be_state(d);
}

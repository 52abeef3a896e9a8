/*
 * netio.c: the I/O thread of one connected vif.
 *
 * The thread owns a control connection to pvhv through which it mapped
 * the TX and RX rings, bound the event channel and maps the guest's
 * buffers one at a time; closing it at the end releases all of them even
 * if something went wrong. The tap descriptor stays the main thread's.
 *
 * The loop:
 *   1. TX (guest to host): read req_prod once, fence, check it against
 *      what we answered and the ring size (a frontend that lies is
 *      disconnected); collect a packet's slots (netreq.c copies each once
 *      and checks them); map each fragment's grant read-only, copy it into
 *      a private frame, unmap; write the frame to the tap; answer every
 *      slot (OKAY, or ERROR for a packet that failed a check or a mapping);
 *   2. RX (host to guest): while the tap has frames, read one; take the
 *      next buffer the guest posted (its request copied once), map its
 *      grant writable, copy the frame in, unmap, and answer in the same
 *      slot with the length. With no buffer posted, frames stay in the
 *      tap's queue, which the kernel bounds (txqueuelen) by dropping the
 *      excess: a guest that posts nothing costs us no memory and never
 *      blocks the thread, which still serves its TX ring;
 *   3. push responses, kick the guest if its rsp_event asks;
 *   4. with nothing left, arm both rings' req_event
 *      (RING_FINAL_CHECK_FOR_REQUESTS) and sleep in poll() on the event
 *      channel, the tap and the vif's stop eventfd.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "netback-priv.h"
#include "hvclient.h"
#include "sv.h"

struct netio {
	struct net_dev *d;
	int hv;
	uint32_t tx_handle, rx_handle;
	void *tx_page, *rx_page;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	struct hvc_evtchn ev;
	bool broken;
	bool hv_gone;		/* pvhv hung up: it died, and the guest with it */
	uint64_t tx_pkts, tx_errors, rx_pkts, rx_dropped;
	struct sv_ratelimit rl;
	uint8_t frame[NET_FRAME_MAX];
};

static void warn(struct netio *io, const char *what)
{
	unsigned long missed = 0;

	if (sv_ratelimit_ok(&io->rl, &missed))
		sv_warn("vif %u/%u: %s", io->d->domid, io->d->devid, what);
}

/* RING_COPY_REQUEST for netreq.c: one memcpy of the shared slot. */
static void get_tx_slot(const void *ring, uint32_t idx, netif_tx_request_t *out)
{
	const netif_tx_back_ring_t *r = ring;

	memcpy(out, &r->sring->ring[idx & (r->nr_ents - 1)].req, sizeof(*out));
}

/* ---- TX: guest to host ---- */

static void tx_respond(struct netio *io, uint16_t id, int16_t status)
{
	netif_tx_response_t r;

	memset(&r, 0, sizeof(r));	/* no stale padding reaches the guest */
	r.id = id;
	r.status = status;
	memcpy(RING_GET_RESPONSE(&io->tx, io->tx.rsp_prod_pvt), &r, sizeof(r));
	io->tx.rsp_prod_pvt++;
}

/* Copies the packet's fragments into io->frame, one read-only mapping at a time. */
static int tx_gather(struct netio *io, const struct net_tx_pkt *pkt)
{
	uint32_t at = 0;
	char err[200];

	for (unsigned int i = 0; i < pkt->nslots; i++) {
		uint32_t handle;
		void *page;

		if (pkt->len[i] == 0)
			continue;
		if (hvc_gnt_map(io->hv, io->d->domid, pkt->slot[i].gref, true, &handle, &page,
				err, sizeof(err)) < 0) {
			warn(io, err);
			return -EPERM;
		}
		memcpy(io->frame + at, (const uint8_t *)page + pkt->slot[i].offset, pkt->len[i]);
		hvc_gnt_unmap(io->hv, handle, page);
		at += pkt->len[i];
	}
	return 0;
}

static void tx_one(struct netio *io, const struct net_tx_pkt *pkt)
{
	int16_t status = pkt->status;

	if (status == NETIF_RSP_OKAY && tx_gather(io, pkt) < 0)
		status = NETIF_RSP_ERROR;
	if (status == NETIF_RSP_OKAY && write(io->d->tap_fd, io->frame, pkt->total) != (ssize_t)pkt->total)
		status = NETIF_RSP_DROPPED;	/* the tap is down or full */
	if (status == NETIF_RSP_OKAY)
		io->tx_pkts++;
	else
		io->tx_errors++;
	for (unsigned int i = 0; i < pkt->nslots; i++)
		tx_respond(io, pkt->slot[i].id, status);
}

/* Step 1. Returns whether it did anything. */
static bool tx_work(struct netio *io)
{
	RING_IDX rp = __atomic_load_n(&io->tx.sring->req_prod, __ATOMIC_RELAXED);
	bool did = false;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* pairs with the frontend's wmb */
	if (rp - io->tx.rsp_prod_pvt > RING_SIZE(&io->tx)) {
		warn(io, "the frontend's TX producer index is beyond the ring; closing the vif");
		io->broken = true;
		return false;
	}
	for (unsigned int n = 0; n < NET_BATCH && io->tx.req_cons != rp; n++) {
		struct net_tx_pkt pkt;
		enum net_tx_verdict v = netreq_tx_collect(&io->tx, RING_SIZE(&io->tx), io->tx.req_cons,
							  rp, get_tx_slot, &pkt);

		if (v == NET_TX_WAIT)
			break;
		if (v == NET_TX_FATAL) {
			char msg[160];

			snprintf(msg, sizeof(msg), "closing the vif: %s", pkt.why);
			warn(io, msg);
			io->broken = true;
			return false;
		}
		if (v == NET_TX_BAD) {
			char msg[160];

			snprintf(msg, sizeof(msg), "TX packet refused: %s", pkt.why);
			warn(io, msg);
		}
		io->tx.req_cons += pkt.nslots;
		tx_one(io, &pkt);
		did = true;
	}
	return did;
}

/* ---- RX: host to guest ---- */

static void rx_respond(struct netio *io, uint16_t id, int16_t status)
{
	netif_rx_response_t r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.offset = 0;
	r.flags = 0;		/* a whole frame, checksums as they came from the host */
	r.status = status;
	/* netif.h: the response goes in the slot of the request it answers. */
	memcpy(RING_GET_RESPONSE(&io->rx, io->rx.rsp_prod_pvt), &r, sizeof(r));
	io->rx.rsp_prod_pvt++;
}

/* Posted buffers not used yet, or -1 if the frontend's index lies. */
static int rx_posted(struct netio *io)
{
	RING_IDX rp = __atomic_load_n(&io->rx.sring->req_prod, __ATOMIC_RELAXED);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (rp - io->rx.rsp_prod_pvt > RING_SIZE(&io->rx))
		return -1;
	return (int)(rp - io->rx.req_cons);
}

static void rx_deliver(struct netio *io, size_t len)
{
	netif_rx_request_t req;
	char err[200];
	uint32_t handle;
	void *page;

	memcpy(&req, RING_GET_REQUEST(&io->rx, io->rx.req_cons), sizeof(req));
	io->rx.req_cons++;
	if (hvc_gnt_map(io->hv, io->d->domid, req.gref, false, &handle, &page, err, sizeof(err)) < 0) {
		warn(io, err);
		io->rx_dropped++;
		rx_respond(io, req.id, NETIF_RSP_ERROR);
		return;
	}
	memcpy(page, io->frame, len);
	hvc_gnt_unmap(io->hv, handle, page);
	io->rx_pkts++;
	rx_respond(io, req.id, (int16_t)len);
}

/* Step 2. Returns whether it did anything. */
static bool rx_work(struct netio *io)
{
	bool did = false;

	for (unsigned int n = 0; n < NET_BATCH; n++) {
		int posted = rx_posted(io);
		ssize_t len;

		if (posted < 0) {
			warn(io, "the frontend's RX producer index is beyond the ring; closing the vif");
			io->broken = true;
			return false;
		}
		if (posted == 0)
			break;	/* frames wait in the tap's queue, which the kernel bounds */
		len = read(io->d->tap_fd, io->frame, sizeof(io->frame));
		if (len <= 0)
			break;	/* EAGAIN: the tap is empty */
		did = true;
		if (!netreq_rx_fits((size_t)len)) {
			io->rx_dropped++;	/* no room for it in one buffer: drop */
			continue;
		}
		rx_deliver(io, (size_t)len);
	}
	return did;
}

static void push(struct netio *io)
{
	int ntx, nrx;

	/* ring.h: the write barrier before rsp_prod pairs with the frontend's rmb. */
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->tx, ntx);
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->rx, nrx);
	if (ntx || nrx)
		hvc_evtchn_kick(io->hv, &io->ev);
}

static void *run(void *arg)
{
	struct netio *io = arg;
	/* pvhv answers on io->hv only when asked: readable or hung up means it died. */
	struct pollfd p[4] = {
		{ .fd = io->ev.evfd, .events = POLLIN }, { .fd = io->d->tap_fd, .events = POLLIN },
		{ .fd = io->d->stop_fd, .events = POLLIN }, { .fd = io->hv, .events = POLLIN },
	};

	for (;;) {
		bool did = tx_work(io);
		int more_tx, more_rx;

		if (!io->broken)
			did |= rx_work(io);
		push(io);
		if (io->broken)
			break;
		if (did)
			continue;
		/* Ask for a kick on new TX requests and on new RX buffers (feature-rx-notify). */
		RING_FINAL_CHECK_FOR_REQUESTS(&io->tx, more_tx);
		RING_FINAL_CHECK_FOR_REQUESTS(&io->rx, more_rx);
		if (more_tx)
			continue;
		/* Frames wait in the tap while no buffer is posted; the guest's post wakes us. */
		p[1].events = more_rx || !io->d->rx_notify ? POLLIN : 0;
		if (poll(p, 4, io->d->rx_notify ? -1 : 10) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			break;
		if (p[3].revents) {
			io->hv_gone = true;
			break;
		}
		hvc_evtchn_ack(io->ev.evfd);
	}
	push(io);
	if (io->broken || io->hv_gone) {
		uint64_t one = 1;

		/* The main loop closes the vif, or releases it for a pvhv that died. */
		if (io->hv_gone)
			io->d->hv_gone = true;
		else
			io->d->broken = true;
		if (write(io->d->wake_fd, &one, sizeof(one)) < 0)
			warn(io, "cannot wake the main loop to close the vif");
	}
	return io;
}

static void release(struct netio *io)
{
	struct net_dev *d = io->d;

	if (io->tx_page)
		hvc_gnt_unmap(io->hv, io->tx_handle, io->tx_page);
	if (io->rx_page)
		hvc_gnt_unmap(io->hv, io->rx_handle, io->rx_page);
	hvc_evtchn_close(io->hv, &io->ev);
	if (io->hv >= 0)
		close(io->hv);	/* pvhv releases anything left */
	__atomic_fetch_add(&d->tx_pkts, io->tx_pkts, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->tx_errors, io->tx_errors, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->rx_pkts, io->rx_pkts, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->rx_dropped, io->rx_dropped, __ATOMIC_RELAXED);
	free(io);
}

/*
 * Rings an earlier pvnetback served (netback.c, can_resume()): carry on
 * from the last response the guest was shown. Our indices are private,
 * so the shared rsp_prod, read once, is all there is; the first pass's
 * producer checks (tx_work(), rx_posted()) then hold the guest's req_prod
 * to a ring's worth beyond it, as for any connection.
 */
static void take_over(RING_IDX *rsp_prod_pvt, RING_IDX *req_cons, const RING_IDX *shared_rsp_prod)
{
	RING_IDX rsp = __atomic_load_n(shared_rsp_prod, __ATOMIC_RELAXED);

	*rsp_prod_pvt = rsp;
	*req_cons = rsp;
}

static int setup(struct netio *io, char *err, size_t errlen)
{
	struct net_dev *d = io->d;
	int rc;

	io->hv = hvc_open(d->rundir, err, errlen);
	if (io->hv < 0)
		return io->hv;
	rc = hvc_gnt_map(io->hv, d->domid, d->tx_ref, false, &io->tx_handle, &io->tx_page, err, errlen);
	if (rc < 0)
		return rc;
	rc = hvc_gnt_map(io->hv, d->domid, d->rx_ref, false, &io->rx_handle, &io->rx_page, err, errlen);
	if (rc < 0)
		return rc;
	BACK_RING_INIT(&io->tx, (netif_tx_sring_t *)io->tx_page, NET_PAGE_SIZE);
	BACK_RING_INIT(&io->rx, (netif_rx_sring_t *)io->rx_page, NET_PAGE_SIZE);
	if (d->resume) {
		take_over(&io->tx.rsp_prod_pvt, &io->tx.req_cons, &io->tx.sring->rsp_prod);
		take_over(&io->rx.rsp_prod_pvt, &io->rx.req_cons, &io->rx.sring->rsp_prod);
	}
	rc = hvc_evtchn_open(io->hv, d->domid, d->remote_port, &io->ev, err, errlen);
	if (rc == 0 && d->resume)
		hvc_evtchn_kick(io->hv, &io->ev);	/* responses it may have missed a kick for */
	return rc;
}

int netio_start(struct net_dev *d)
{
	struct sv_ratelimit rl = SV_RATELIMIT_INIT(10, 1);
	struct netio *io = calloc(1, sizeof(*io));
	char err[256] = "";
	int rc;

	if (!io)
		return -ENOMEM;
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (d->stop_fd < 0) {
		free(io);
		return -errno;
	}
	io->d = d;
	io->hv = io->ev.evfd = io->ev.kick_fd = -1;
	io->rl = rl;
	rc = setup(io, err, sizeof(err));
	if (rc == 0)
		rc = -pthread_create(&d->thread, NULL, run, io);
	if (rc < 0) {
		sv_warn("vif %u/%u: cannot connect: %s", d->domid, d->devid, err[0] ? err : strerror(-rc));
		release(io);
		close(d->stop_fd);
		d->stop_fd = -1;
		return rc;
	}
	d->connected = true;
	return 0;
}

void netio_stop(struct net_dev *d)
{
	uint64_t one = 1;
	void *io;

	if (!d->connected)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) < 0)
		sv_warn("vif %u/%u: cannot signal its I/O thread", d->domid, d->devid);
	pthread_join(d->thread, &io);
	release(io);
	close(d->stop_fd);
	d->stop_fd = -1;
	d->connected = false;
}

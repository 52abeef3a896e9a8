/*
 * net_hostile.c: init=net-hostile, a netfront that lies on its TX ring
 * once connected, to show pvnetback refuses each lie and keeps serving
 * other guests. Each step prints "net-hostile: <step>: status S" (the
 * backend's answer) and the last one "net-hostile: closed by the
 * backend" or "net-hostile: still connected":
 *   past-page   offset 4000 + size 200, over the end of the page
 *   bad-gref    a grant reference outside our table
 *   runt        a 6-byte packet
 *   prod-beyond a producer index 1000 past what the backend answered,
 *               which must close the vif
 * Then it idles and answers control/shutdown.
 */
#include <stdint.h>

#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/kernel.h>
#include <pvos/string.h>
#include <pvos/time.h>

#include "xenfront.h"

/* ring.h leaves its barriers to the includer. */
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#define WAIT_NS		(20ULL * 1000000000ULL)

static netif_tx_front_ring_t *ring;
static evtchn_port_t port;

static void push(void)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(ring, notify);
	(void)notify;
	evtchn_send(port);	/* always: a hostile frontend does not care */
}

static void send_bad(const char *name, grant_ref_t gref, uint16_t offset, uint16_t size)
{
	netif_tx_request_t *req = RING_GET_REQUEST(ring, ring->req_prod_pvt);
	netif_tx_response_t rsp;

	req->gref = gref;
	req->offset = offset;
	req->flags = 0;
	req->id = 7;
	req->size = size;
	ring->req_prod_pvt++;
	push();
	for (uint64_t end = time_now_ns() + WAIT_NS;
	     ring->sring->rsp_prod == ring->rsp_cons && time_now_ns() < end;)
		kernel_block(time_now_ns() + 100000000ULL);
	if (ring->sring->rsp_prod == ring->rsp_cons) {
		printk("net-hostile: %s: no response\n", name);
		return;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(&rsp, RING_GET_RESPONSE(ring, ring->rsp_cons), sizeof(rsp));
	ring->rsp_cons++;
	printk("net-hostile: %s: status %d\n", name, rsp.status);
}

void workload_net_hostile(void)
{
	struct netfront_dev *dev;
	int rc, st = -1;

	control_enable();
	rc = netfront_open(0, &dev);
	if (rc < 0)
		panic("net-hostile: cannot connect vif 0 (%d)", rc);
	ring = netfront_raw_tx(dev, &port);
	if (!ring)
		panic("net-hostile: vif 0 is not connected");
	printk("net-hostile: connected\n");
	/* A real ref of ours would do for the first: the offset is the lie. */
	send_bad("past-page", 60000, 4000, 200);
	send_bad("bad-gref", 60000, 0, 60);
	send_bad("runt", 60000, 0, 6);
	ring->sring->req_prod = ring->rsp_cons + 1000;	/* beyond the ring */
	evtchn_send(port);
	for (uint64_t end = time_now_ns() + WAIT_NS; time_now_ns() < end;) {
		st = netfront_backend_state(dev);
		if (st == 5 || st == 6)		/* XenbusStateClosing, XenbusStateClosed */
			break;
		kernel_block(time_now_ns() + 100000000ULL);
	}
	printk(st == 5 || st == 6 ? "net-hostile: closed by the backend\n"
				  : "net-hostile: still connected\n");
	for (;;)
		kernel_block(EVENTS_NO_DEADLINE);
}

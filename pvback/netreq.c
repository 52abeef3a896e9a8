/*
 * netreq.c: what a frontend put on its TX ring, checked before anything
 * is mapped or written (netif.h "Guest transmit"; reference §6).
 *
 * A packet is a first slot whose size is the whole packet's, followed by
 * one slot per further fragment while NETTXF_more_data is set. Each slot
 * is copied out of the ring once (through the caller's get_slot, which a
 * test can make as hostile as it likes) and only the copy is looked at.
 * No I/O and no state: unit-tested by tests/unit/test-netreq.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "netback-priv.h"

const char *netreq_verdict_name(enum net_tx_verdict v)
{
	switch (v) {
	case NET_TX_OK:		return "ok";
	case NET_TX_BAD:	return "bad";
	case NET_TX_WAIT:	return "wait";
	case NET_TX_FATAL:	return "fatal";
	}
	return "?";
}

static bool in_page(uint32_t offset, uint32_t len)
{
	return offset < NET_PAGE_SIZE && len <= NET_PAGE_SIZE - offset;
}

/* The slots are all copied: work out each fragment's length and check it. */
static enum net_tx_verdict check_packet(struct net_tx_pkt *pkt)
{
	uint32_t rest = 0;

	for (unsigned int i = 1; i < pkt->nslots; i++) {
		const netif_tx_request_t *s = &pkt->slot[i];

		if (!in_page(s->offset, s->size)) {
			pkt->why = "a fragment runs past its page";
			return NET_TX_BAD;
		}
		pkt->len[i] = s->size;
		rest += s->size;	/* at most 17 * 4096: no overflow */
	}
	pkt->total = pkt->slot[0].size;
	/* netif.h: the first slot's size is the packet's; its own part is what the others leave. */
	if (rest > pkt->total) {
		pkt->why = "the fragments add up to more than the packet";
		return NET_TX_BAD;
	}
	pkt->len[0] = (uint16_t)(pkt->total - rest);
	if (!in_page(pkt->slot[0].offset, pkt->len[0])) {
		pkt->why = "the first fragment runs past its page";
		return NET_TX_BAD;
	}
	if (pkt->total < NET_FRAME_MIN) {
		pkt->why = "the packet is shorter than an Ethernet header";
		return NET_TX_BAD;
	}
	return NET_TX_OK;
}

enum net_tx_verdict netreq_tx_collect(const void *ring, uint32_t ring_size, uint32_t cons,
				      uint32_t prod, net_get_slot_fn get_slot, struct net_tx_pkt *pkt)
{
	uint32_t avail = prod - cons;
	enum net_tx_verdict v;

	pkt->nslots = 0;
	pkt->total = 0;
	pkt->status = NETIF_RSP_OKAY;
	pkt->why = NULL;
	if (avail == 0)
		return NET_TX_WAIT;
	for (;;) {
		netif_tx_request_t *s = &pkt->slot[pkt->nslots];

		get_slot(ring, cons + pkt->nslots, s);	/* the one read of this slot */
		pkt->nslots++;
		if (s->flags & NETTXF_extra_info) {
			pkt->why = "an extra-info slot, for a feature we did not offer";
			return NET_TX_FATAL;
		}
		if (!(s->flags & NETTXF_more_data))
			break;
		if (pkt->nslots == NET_TX_SLOTS_MAX) {
			pkt->why = "a packet chained over more slots than netif.h allows";
			return NET_TX_FATAL;
		}
		if (pkt->nslots == avail) {
			if (avail >= ring_size) {
				pkt->why = "a packet that never ends fills the ring";
				return NET_TX_FATAL;
			}
			return NET_TX_WAIT;	/* the rest is not produced yet */
		}
	}
	v = check_packet(pkt);
	if (v != NET_TX_OK)
		pkt->status = NETIF_RSP_ERROR;
	return v;
}

bool netreq_rx_fits(size_t len)
{
	return len >= NET_FRAME_MIN && len <= NET_PAGE_SIZE;
}

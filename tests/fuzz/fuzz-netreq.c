/*
 * fuzz-netreq.c: pvnetback's TX decoding (pvback/netreq.c) over a ring a
 * hostile frontend filled: any slots, any flags, any producer index up to
 * a full ring, packets taken one after another as netback.c does.
 *
 * Input: the ring's order (1 to 256 slots), the consumer index, how many
 * slots are produced, then the slots.
 *
 * Oracles: each slot is read once and only between cons and prod; an
 * accepted packet has 1..NET_TX_SLOTS_MAX slots, chained by
 * NETTXF_more_data up to its last, fragments that each lie in their page
 * and add up to the first slot's size, and at least an Ethernet header.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "netback-priv.h"

#define RING_MAX	256u

static netif_tx_request_t ring[RING_MAX];
static uint32_t ring_size, lo, hi;	/* slots get_slot may read: [lo, hi) */
static uint8_t reads[RING_MAX];

static void get_slot(const void *r, uint32_t idx, netif_tx_request_t *out)
{
	FUZZ_CHECK(r == ring);
	FUZZ_CHECK(idx - lo < hi - lo);
	FUZZ_CHECK(reads[idx % ring_size]++ == 0);
	*out = ring[idx % ring_size];
	/* The frontend rewrites the slot once it has been read. */
	memset(&ring[idx % ring_size], 0xff, sizeof(ring[0]));
}

static void check_ok(const struct net_tx_pkt *pkt)
{
	uint32_t sum = 0;

	FUZZ_CHECK(pkt->nslots >= 1 && pkt->nslots <= NET_TX_SLOTS_MAX);
	FUZZ_CHECK(pkt->status == NETIF_RSP_OKAY);
	for (unsigned int i = 0; i < pkt->nslots; i++) {
		bool more = pkt->slot[i].flags & NETTXF_more_data;

		FUZZ_CHECK(more == (i + 1 < pkt->nslots));
		FUZZ_CHECK(pkt->slot[i].offset < NET_PAGE_SIZE);
		FUZZ_CHECK(pkt->len[i] <= NET_PAGE_SIZE - pkt->slot[i].offset);
		sum += pkt->len[i];
	}
	FUZZ_CHECK(sum == pkt->total && pkt->total == pkt->slot[0].size);
	FUZZ_CHECK(pkt->total >= NET_FRAME_MIN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	static struct net_tx_pkt pkt;
	uint32_t cons, prod;

	ring_size = 1u << (fuzz_u8(&in) % 9);
	cons = fuzz_u32(&in);
	prod = cons + fuzz_u16(&in) % (ring_size + 1);
	fuzz_take(&in, ring, ring_size * sizeof(ring[0]));
	memset(reads, 0, sizeof(reads));
	lo = cons;
	hi = prod;
	for (unsigned int round = 0; round <= ring_size; round++) {
		enum net_tx_verdict v = netreq_tx_collect(ring, ring_size, cons, prod, get_slot, &pkt);

		FUZZ_CHECK(netreq_verdict_name(v)[0] != '?');
		FUZZ_CHECK(pkt.nslots <= prod - cons);
		if (v == NET_TX_WAIT || v == NET_TX_FATAL) {
			FUZZ_CHECK(v == NET_TX_WAIT || pkt.why != NULL);
			break;
		}
		if (v == NET_TX_OK)
			check_ok(&pkt);
		else
			FUZZ_CHECK(pkt.status == NETIF_RSP_ERROR && pkt.why != NULL);
		cons += pkt.nslots;
		/* The next packet's slots have not been read yet. */
		lo = cons;
	}
	return 0;
}

/*
 * test-netreq.c: netif TX packets from a hostile frontend: slots past
 * their page (offset + size over 4096, a bogus offset), fragments that
 * add up to more than the packet, runt packets, chains longer than
 * netif.h allows, extra-info slots nobody offered, a packet whose end is
 * not produced yet or never can be (the ring full of one chain), ring
 * indices that wrap, and a frontend that rewrites a slot after the
 * backend copied it (the copy is what counts).
 */
#include <stdint.h>
#include <string.h>

#include "netback-priv.h"
#include "cunit-main.h"

#define RING	256u

static netif_tx_request_t ring[RING];
static unsigned int reads[RING];

/* The fake frontend's ring: counts reads of each slot and can scribble after one. */
static bool scribble;

static void get_slot(const void *r, uint32_t idx, netif_tx_request_t *out)
{
	/* The ring is ours (a static array): find the writable slot behind r. */
	netif_tx_request_t *slot = r == ring ? &ring[idx % RING] : NULL;
	const netif_tx_request_t *ro = &((const netif_tx_request_t *)r)[idx % RING];

	memcpy(out, ro, sizeof(*out));
	reads[idx % RING]++;
	if (scribble && slot) {		/* the frontend rewrites the slot right after our copy */
		slot->size = 0xffff;
		slot->offset = 0xfff0;
		slot->flags = NETTXF_more_data | NETTXF_extra_info;
	}
}

static void put(uint32_t idx, uint16_t offset, uint16_t size, uint16_t flags)
{
	ring[idx % RING] = (netif_tx_request_t){ .gref = 1000 + idx, .offset = offset,
						 .flags = flags, .id = (uint16_t)idx, .size = size };
}

static void reset(void)
{
	memset(ring, 0, sizeof(ring));
	memset(reads, 0, sizeof(reads));
	scribble = false;
}

static enum net_tx_verdict collect(uint32_t cons, uint32_t prod, struct net_tx_pkt *pkt)
{
	return netreq_tx_collect(ring, RING, cons, prod, get_slot, pkt);
}

static void test_single(void)
{
	struct net_tx_pkt pkt;

	reset();
	put(0, 100, 60, 0);
	CU_ASSERT_EQUAL(collect(0, 1, &pkt), NET_TX_OK);
	CU_ASSERT_EQUAL(pkt.nslots, 1);
	CU_ASSERT_EQUAL(pkt.total, 60);
	CU_ASSERT_EQUAL(pkt.len[0], 60);
	CU_ASSERT_EQUAL(pkt.status, NETIF_RSP_OKAY);
	CU_ASSERT_EQUAL(reads[0], 1);
	put(1, 0, 4096, 0);	/* a whole page is fine */
	CU_ASSERT_EQUAL(collect(1, 2, &pkt), NET_TX_OK);
}

static void test_empty(void)
{
	struct net_tx_pkt pkt;

	reset();
	CU_ASSERT_EQUAL(collect(5, 5, &pkt), NET_TX_WAIT);
	CU_ASSERT_EQUAL(reads[5], 0);
}

static void test_past_page(void)
{
	struct net_tx_pkt pkt;

	reset();
	put(0, 4000, 200, 0);	/* offset + size past the page */
	CU_ASSERT_EQUAL(collect(0, 1, &pkt), NET_TX_BAD);
	CU_ASSERT_EQUAL(pkt.status, NETIF_RSP_ERROR);
	CU_ASSERT_EQUAL(pkt.nslots, 1);	/* one slot to answer */
	put(1, 4096, 20, 0);	/* an offset that is not in the page at all */
	CU_ASSERT_EQUAL(collect(1, 2, &pkt), NET_TX_BAD);
	put(2, 0xffff, 0xffff, 0);
	CU_ASSERT_EQUAL(collect(2, 3, &pkt), NET_TX_BAD);
	put(3, 0, 0xffff, 0);	/* 65535 in one slot */
	CU_ASSERT_EQUAL(collect(3, 4, &pkt), NET_TX_BAD);
}

static void test_runt(void)
{
	struct net_tx_pkt pkt;

	reset();
	put(0, 0, 13, 0);
	CU_ASSERT_EQUAL(collect(0, 1, &pkt), NET_TX_BAD);
	put(1, 0, 0, 0);
	CU_ASSERT_EQUAL(collect(1, 2, &pkt), NET_TX_BAD);
	put(2, 0, 14, 0);
	CU_ASSERT_EQUAL(collect(2, 3, &pkt), NET_TX_OK);
}

static void test_chain(void)
{
	struct net_tx_pkt pkt;

	reset();
	put(0, 0, 9000, NETTXF_more_data);	/* total 9000: 4096 + 4096 + 808 */
	put(1, 0, 4096, NETTXF_more_data);
	put(2, 0, 808, 0);
	CU_ASSERT_EQUAL(collect(0, 3, &pkt), NET_TX_OK);
	CU_ASSERT_EQUAL(pkt.nslots, 3);
	CU_ASSERT_EQUAL(pkt.len[0], 4096);
	CU_ASSERT_EQUAL(pkt.len[1], 4096);
	CU_ASSERT_EQUAL(pkt.len[2], 808);
	CU_ASSERT_EQUAL(pkt.total, 9000);
	/* The end not produced yet: wait, consuming nothing. */
	CU_ASSERT_EQUAL(collect(0, 2, &pkt), NET_TX_WAIT);
}

static void test_chain_lies(void)
{
	struct net_tx_pkt pkt;

	reset();
	put(0, 0, 100, NETTXF_more_data);	/* fragments larger than the total */
	put(1, 0, 200, 0);
	CU_ASSERT_EQUAL(collect(0, 2, &pkt), NET_TX_BAD);
	CU_ASSERT_EQUAL(pkt.nslots, 2);		/* both slots are answered */
	put(0, 0, 9000, NETTXF_more_data);	/* a first fragment that cannot fit its page */
	put(1, 0, 100, 0);
	CU_ASSERT_EQUAL(collect(0, 2, &pkt), NET_TX_BAD);
	put(0, 0, 200, NETTXF_more_data);	/* a later fragment past its page */
	put(1, 4000, 100, 0);
	CU_ASSERT_EQUAL(collect(0, 2, &pkt), NET_TX_BAD);
}

static void test_chain_too_long(void)
{
	struct net_tx_pkt pkt;

	reset();
	for (uint32_t i = 0; i < RING; i++)
		put(i, 0, 100, NETTXF_more_data);
	CU_ASSERT_EQUAL(collect(0, RING, &pkt), NET_TX_FATAL);
	CU_ASSERT_EQUAL(pkt.nslots, NET_TX_SLOTS_MAX);
	CU_ASSERT_EQUAL(reads[NET_TX_SLOTS_MAX], 0);	/* never read past the limit */
	/* 18 slots is what netif.h says a backend must take. */
	reset();
	put(0, 0, 18 * 100, NETTXF_more_data);
	for (uint32_t i = 1; i < NET_TX_SLOTS_MAX; i++)
		put(i, 0, 100, i + 1 < NET_TX_SLOTS_MAX ? NETTXF_more_data : 0);
	CU_ASSERT_EQUAL(collect(0, NET_TX_SLOTS_MAX, &pkt), NET_TX_OK);
}

static void test_full_ring_of_one_packet(void)
{
	struct net_tx_pkt pkt;
	netif_tx_request_t small[4];
	uint32_t n = 4;

	/* A 4-slot ring, all of it one unfinished chain: it can never end. */
	for (uint32_t i = 0; i < n; i++)
		small[i] = (netif_tx_request_t){ .size = 100, .flags = NETTXF_more_data };
	CU_ASSERT_EQUAL(netreq_tx_collect(small, n, 0, n, get_slot, &pkt), NET_TX_FATAL);
}

static void test_extra_info(void)
{
	struct net_tx_pkt pkt;

	reset();
	put(0, 0, 100, NETTXF_extra_info);
	CU_ASSERT_EQUAL(collect(0, 2, &pkt), NET_TX_FATAL);
}

static void test_wrap(void)
{
	struct net_tx_pkt pkt;
	uint32_t cons = UINT32_MAX - 1;

	reset();
	put(cons, 0, 300, NETTXF_more_data);
	put(cons + 1, 0, 100, NETTXF_more_data);
	put(cons + 2, 0, 100, 0);	/* index 0 after the wrap */
	CU_ASSERT_EQUAL(collect(cons, cons + 3, &pkt), NET_TX_OK);
	CU_ASSERT_EQUAL(pkt.len[0], 100);
	CU_ASSERT_EQUAL(pkt.slot[2].gref, 1000 + 0);
}

static void test_rewrite_after_copy(void)
{
	struct net_tx_pkt pkt;

	reset();
	put(0, 0, 300, NETTXF_more_data);
	put(1, 0, 200, 0);
	scribble = true;
	CU_ASSERT_EQUAL(collect(0, 2, &pkt), NET_TX_OK);
	CU_ASSERT_EQUAL(pkt.total, 300);
	CU_ASSERT_EQUAL(pkt.len[0], 100);
	CU_ASSERT_EQUAL(pkt.len[1], 200);
	CU_ASSERT_EQUAL(reads[0], 1);
	CU_ASSERT_EQUAL(reads[1], 1);
}

static void test_rx_fits(void)
{
	CU_ASSERT_TRUE(netreq_rx_fits(60));
	CU_ASSERT_TRUE(netreq_rx_fits(4096));
	CU_ASSERT_FALSE(netreq_rx_fits(4097));
	CU_ASSERT_FALSE(netreq_rx_fits(13));
	CU_ASSERT_STRING_EQUAL(netreq_verdict_name(NET_TX_FATAL), "fatal");
}

static CU_TestInfo tx_tests[] = {
	{ "one slot", test_single },
	{ "nothing produced", test_empty },
	{ "a slot past its page", test_past_page },
	{ "runt packets", test_runt },
	{ "a chain of fragments", test_chain },
	{ "chains whose sizes lie", test_chain_lies },
	{ "a chain over 18 slots", test_chain_too_long },
	{ "a ring full of one packet", test_full_ring_of_one_packet },
	{ "extra-info slots", test_extra_info },
	{ "indices that wrap", test_wrap },
	{ "a slot rewritten after the copy", test_rewrite_after_copy },
	{ "rx frame sizes", test_rx_fits },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "netreq", NULL, NULL, NULL, NULL, tx_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return sv_cunit_run(suites);
}

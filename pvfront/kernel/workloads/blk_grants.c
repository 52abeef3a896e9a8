/*
 * blk_grants.c: a frontend that makes pvblkback map as many of its grants
 * as it will keep, and an honest guest to run beside it, for
 * tests/integration/blk-grants.sh.
 *
 * init=blk-grants [grants=N] [hold=0|1]: connects the first disk through
 * blkfront (with the queues blk-queues= asks for), grants one page to the
 * backend under N distinct refs (default 1056, pvblkback's persistent
 * grants per queue) and, behind blkfront's back, sends direct reads whose
 * segments name those refs, N / 11 requests on each queue's ring in turn.
 * Each queue's persistent-grant cache keeps every ref it sees mapped, so
 * dom0 is asked to hold queues x N mappings of this guest's grants, all
 * of them legal blkif. One line per queue:
 *
 *   blk-grants: queue Q: R requests, K ok, E errors
 *
 * then "blk-grants: holding", and with hold=1 (the default) it waits,
 * everything still mapped, until it is destroyed; hold=0 powers off.
 *
 * init=blk-rounds: the honest guest. Round after round it writes 256 KiB
 * of that round's pattern at the start of the first disk, reads it back
 * and compares, printing "blk-rounds: round N ok" every ROUNDS_PRINT
 * rounds, until it is destroyed; the first failure prints
 * "blk-rounds: round N failed: ..." and crashes the guest.
 */
#include <stdint.h>

#include <pvos/blk.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

/* ring.h leaves its barriers to the includer. */
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#define GRANTS_DEFAULT	1056
#define GRANTS_MAX	1500	/* what pvos's table leaves beside blkfront's own */
#define WAIT_NS		(60 * NSEC_PER_SEC)	/* for one queue's answers */
#define ROUND_PAGES	64	/* 256 KiB per round */
#define ROUNDS_PRINT	8

static struct {
	struct blkfront_dev *fe;
	unsigned int devid;
	uint8_t *page;
	grant_ref_t ref[GRANTS_MAX];
	unsigned int n;
} g;

/* Direct read number i: its segments are refs i * 11 onwards. */
static void put_read(blkif_front_ring_t *ring, unsigned int i)
{
	blkif_request_t r;
	unsigned int first = i * BLKIF_MAX_SEGMENTS_PER_REQUEST;
	unsigned int nseg = g.n - first < BLKIF_MAX_SEGMENTS_PER_REQUEST ?
			    g.n - first : BLKIF_MAX_SEGMENTS_PER_REQUEST;

	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_READ;
	r.id = i;
	r.handle = (blkif_vdev_t)g.devid;
	r.nr_segments = (uint8_t)nseg;
	for (unsigned int s = 0; s < nseg; s++)
		r.seg[s] = (struct blkif_request_segment){ .gref = g.ref[first + s],
							   .first_sect = 0, .last_sect = 7 };
	memcpy(RING_GET_REQUEST(ring, ring->req_prod_pvt), &r, sizeof(r));
	ring->req_prod_pvt++;
}

/* Takes the responses there are; counts the OK ones in *ok. */
static unsigned int take(blkif_front_ring_t *ring, unsigned int *ok)
{
	RING_IDX rp = ring->sring->rsp_prod;
	unsigned int n = 0;

	xen_rmb();	/* the responses before rsp_prod: pairs with the backend's wmb */
	for (; ring->rsp_cons != rp && n < RING_SIZE(ring); n++) {
		blkif_response_t rsp;

		memcpy(&rsp, RING_GET_RESPONSE(ring, ring->rsp_cons), sizeof(rsp));
		ring->rsp_cons++;
		*ok += rsp.status == BLKIF_RSP_OKAY;
	}
	return n;
}

static void fill_queue(unsigned int q)
{
	unsigned int nreq = (g.n + BLKIF_MAX_SEGMENTS_PER_REQUEST - 1) / BLKIF_MAX_SEGMENTS_PER_REQUEST;
	unsigned int sent = 0, answered = 0, ok = 0;
	blkif_front_ring_t *ring;
	evtchn_port_t port;
	int more, notify;

	ring = blkfront_raw_queue(g.fe, q, &port);
	if (!ring)
		panic("blk-grants: queue %u has no ring", q);
	for (uint64_t end = time_now_ns() + WAIT_NS; answered < nreq && time_now_ns() < end;) {
		while (sent < nreq && ring->req_prod_pvt - ring->rsp_cons < RING_SIZE(ring))
			put_read(ring, sent++);
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(ring, notify);
		(void)notify;
		evtchn_send(port);
		answered += take(ring, &ok);
		RING_FINAL_CHECK_FOR_RESPONSES(ring, more);
		if (!more && answered < sent)
			xenport_block();
	}
	printk("blk-grants: queue %u: %u requests, %u ok, %u errors%s\n", q, nreq, ok, answered - ok,
	       answered == nreq ? "" : " (missing responses)");
}

void workload_blk_grants(void)
{
	struct blk_dev *dev;
	uint64_t n, hold;
	domid_t be;

	if (cmdline_get_u64("grants", GRANTS_DEFAULT, 1, GRANTS_MAX, &n) < 0 ||
	    cmdline_get_u64("hold", 1, 0, 1, &hold) < 0)
		panic("blk-grants: grants= must be 1 to %d, hold= 0 or 1", GRANTS_MAX);
	if (blk_open_first(&dev) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	g.fe = blk_xen_frontend(dev);
	if (!g.fe)
		panic("blk-grants: the first disk is not a PV disk");
	g.devid = blkfront_get_info(g.fe)->devid;
	be = blkfront_get_info(g.fe)->backend_id;
	g.page = mm_alloc_pages(1);
	if (!g.page)
		panic("blk-grants: no memory");
	for (g.n = 0; g.n < n; g.n++) {
		int ref = gnttab_grant_access(be, virt_to_phys(g.page) >> 12, false);

		if (ref < 0)
			panic("blk-grants: cannot grant ref %u (%d)", g.n, ref);
		g.ref[g.n] = (grant_ref_t)ref;
	}
	printk("blk-grants: %u refs for one page, %u queues\n", g.n, blkfront_get_info(g.fe)->nqueues);
	for (unsigned int q = 0; q < blkfront_get_info(g.fe)->nqueues; q++)
		fill_queue(q);
	printk("blk-grants: holding\n");
	if (!hold)
		kernel_shutdown(SHUTDOWN_poweroff);
	for (;;)
		xenport_block();
}

static void pattern(uint8_t *buf, size_t len, uint64_t round)
{
	uint64_t x = round * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
}

void workload_blk_rounds(void)
{
	const size_t len = ROUND_PAGES * 4096;
	struct blk_dev *dev;
	uint8_t *out, *in;

	if (blk_open_first(&dev) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	out = mm_alloc_pages(ROUND_PAGES);
	in = mm_alloc_pages(ROUND_PAGES);
	if (!out || !in)
		panic("blk-rounds: no memory");
	for (uint64_t round = 1;; round++) {
		int rc;

		pattern(out, len, round);
		rc = blk_write(dev, 0, out, len / BLK_SECTOR_SIZE);
		if (rc == 0)
			rc = blk_read(dev, 0, in, len / BLK_SECTOR_SIZE);
		if (rc == 0 && memcmp(out, in, len) != 0)
			panic("blk-rounds: round %lu failed: the data read back differs", (unsigned long)round);
		if (rc < 0)
			panic("blk-rounds: round %lu failed: I/O error %d", (unsigned long)round, rc);
		if (round % ROUNDS_PRINT == 0)
			printk("blk-rounds: round %lu ok\n", (unsigned long)round);
	}
}

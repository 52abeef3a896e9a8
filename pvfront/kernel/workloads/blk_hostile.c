/*
 * blk_hostile.c: init=blk-hostile [case=all|nseg|gref|indirect|noconsume|prod],
 * a frontend that lies to pvblkback on a live ring, for the integration
 * tests (tests/integration/blk-hostile.sh). It connects the first disk
 * honestly through blkfront, then writes its own requests on queue 0's
 * ring behind blkfront's back:
 *
 *   nseg       a direct read of 200 segments, an indirect read of 1000
 *              segments (over any advertised maximum), an indirect request
 *              whose indirect_op is a flush
 *   gref       reads into grant refs never granted (one past the table,
 *              one free in it) and a read into a page granted read-only
 *   indirect   an indirect read whose page of segments is garbage, one
 *              with a segment first_sect > last_sect, one past the page,
 *              one whose sectors run past the end of the disk
 *   noconsume  ten rings' worth of good reads without ever taking a
 *              response (responses are overwritten by the next requests)
 *   prod       req_prod a thousand entries ahead: the backend must close
 *              the device
 *
 * Each case prints "blk-hostile: <case>: ..." lines: for the first three
 * the status of every response ("status -1" is BLKIF_RSP_ERROR), for
 * noconsume how many requests went, for prod the backend's state
 * afterwards. case=all (the default) runs them in that order. It powers
 * off without closing the device: the backend must clean up after it.
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
#include <xen/io/xenbus.h>

/* ring.h leaves its barriers to the includer. */
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#define WAIT_NS		(20 * NSEC_PER_SEC)	/* for the backend's answers */

static struct {
	struct blk_dev *dev;
	struct blkfront_dev *fe;
	unsigned int devid;
	blkif_front_ring_t *ring;
	evtchn_port_t port;
	domid_t be;
	uint8_t *data;		/* a page granted read-write */
	uint8_t *ro;		/* a page granted read-only */
	uint8_t *ind;		/* a page of segments, granted read-only */
	grant_ref_t data_ref, ro_ref, ind_ref;
} h;

static grant_ref_t grant(uint8_t *page, bool readonly)
{
	int ref = gnttab_grant_access(h.be, virt_to_phys(page) >> 12, readonly);

	if (ref < 0)
		panic("blk-hostile: cannot grant a page (%d)", ref);
	return (grant_ref_t)ref;
}

static void put(const void *req)
{
	memcpy(RING_GET_REQUEST(h.ring, h.ring->req_prod_pvt), req, sizeof(blkif_request_t));
	h.ring->req_prod_pvt++;
}

static void push(void)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(h.ring, notify);
	(void)notify;
	evtchn_send(h.port);	/* always: a hostile frontend does not care */
}

/* Wait for the responses to everything pushed and print their statuses. */
static void report(const char *name)
{
	char line[160];
	size_t len;
	int more;

	for (uint64_t end = time_now_ns() + WAIT_NS;
	     h.ring->sring->rsp_prod != h.ring->req_prod_pvt && time_now_ns() < end;)
		xenport_block();
	len = (size_t)snprintf(line, sizeof(line), "blk-hostile: %s:", name);
	while (h.ring->rsp_cons != h.ring->sring->rsp_prod && len < sizeof(line) - 16) {
		blkif_response_t rsp;

		xen_rmb();
		memcpy(&rsp, RING_GET_RESPONSE(h.ring, h.ring->rsp_cons), sizeof(rsp));
		h.ring->rsp_cons++;
		len += (size_t)snprintf(line + len, sizeof(line) - len, " status %d", rsp.status);
	}
	RING_FINAL_CHECK_FOR_RESPONSES(h.ring, more);
	(void)more;
	printk("%s%s\n", line, h.ring->rsp_cons == h.ring->req_prod_pvt ? "" : " (missing responses)");
}

static blkif_request_t direct(uint8_t op, uint64_t sector, grant_ref_t ref)
{
	blkif_request_t r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.id = h.ring->req_prod_pvt;
	r.sector_number = sector;
	r.handle = (blkif_vdev_t)h.devid;
	r.nr_segments = 1;
	r.seg[0] = (struct blkif_request_segment){ .gref = ref, .first_sect = 0, .last_sect = 7 };
	return r;
}

static blkif_request_indirect_t indirect(uint8_t op, uint16_t nseg, uint64_t sector)
{
	blkif_request_indirect_t r;

	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_INDIRECT;
	r.indirect_op = op;
	r.nr_segments = nseg;
	r.id = h.ring->req_prod_pvt;
	r.sector_number = sector;
	r.handle = (blkif_vdev_t)h.devid;
	r.indirect_grefs[0] = h.ind_ref;
	return r;
}

static void fill_segments(unsigned int n)
{
	struct blkif_request_segment *s = (void *)h.ind;

	for (unsigned int i = 0; i < n; i++)
		s[i] = (struct blkif_request_segment){ .gref = h.data_ref, .first_sect = 0, .last_sect = 7 };
}

static void case_nseg(void)
{
	blkif_request_t r = direct(BLKIF_OP_READ, 0, h.data_ref);
	blkif_request_indirect_t ir;

	r.nr_segments = 200;
	put(&r);
	fill_segments(512);
	ir = indirect(BLKIF_OP_READ, 1000, 0);
	put(&ir);
	ir = indirect(BLKIF_OP_FLUSH_DISKCACHE, 1, 0);
	put(&ir);
	push();
	report("nseg");
}

static void case_gref(void)
{
	blkif_request_t r = direct(BLKIF_OP_READ, 0, GNTTAB_CLIENT_MAX_ENTRIES);

	put(&r);
	r = direct(BLKIF_OP_READ, 0, GNTTAB_CLIENT_MAX_ENTRIES - 1);	/* free: never granted */
	put(&r);
	r = direct(BLKIF_OP_READ, 0, h.ro_ref);		/* a read writes the page */
	put(&r);
	push();
	report("gref");
}

/* An indirect read of the 64 segments in h.ind from sector, and its status. */
static void send_indirect(const char *name, uint64_t sector)
{
	blkif_request_indirect_t ir = indirect(BLKIF_OP_READ, 64, sector);

	put(&ir);
	push();
	report(name);
}

static void case_indirect(void)
{
	struct blkif_request_segment *s = (void *)h.ind;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (unsigned int i = 0; i < 4096 / 8; i++) {	/* garbage */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(h.ind + 8 * i, &x, 8);
	}
	send_indirect("indirect-garbage", 0);
	fill_segments(64);
	s[10].first_sect = 5;
	s[10].last_sect = 4;
	send_indirect("indirect-first-after-last", 0);
	fill_segments(64);
	s[63].last_sect = 8;
	send_indirect("indirect-past-page", 0);
	fill_segments(64);
	send_indirect("indirect-past-end", h.dev->sectors - 64 * 8 + 8);
	send_indirect("indirect-good", h.dev->sectors - 64 * 8);
}

static void case_noconsume(void)
{
	unsigned int n = 10 * RING_SIZE(h.ring), sent = 0;

	while (sent < n) {
		/* Up to what the backend answered: it never sees more than a ring. */
		while (sent < n && h.ring->req_prod_pvt - h.ring->sring->rsp_prod < RING_SIZE(h.ring)) {
			blkif_request_t r = direct(BLKIF_OP_READ, (sent * 8) % (h.dev->sectors - 8),
						   h.data_ref);

			put(&r);
			sent++;
		}
		push();
		xenport_block();
	}
	for (uint64_t end = time_now_ns() + WAIT_NS;
	     h.ring->sring->rsp_prod != h.ring->req_prod_pvt && time_now_ns() < end;)
		xenport_block();
	printk("blk-hostile: noconsume: %u requests, %u answered, none taken\n", sent,
	       h.ring->sring->rsp_prod - h.ring->rsp_cons);
	h.ring->rsp_cons = h.ring->sring->rsp_prod;
}

static void case_prod(void)
{
	int st = 0;

	h.ring->sring->req_prod = h.ring->req_prod_pvt + 1000;
	xen_mb();
	evtchn_send(h.port);
	/* Bounded by time: every XenStore reply wakes xenport_block() too. */
	for (uint64_t end = time_now_ns() + WAIT_NS; time_now_ns() < end;) {
		st = blkfront_backend_state(h.fe);
		if (st == XenbusStateClosing || st == XenbusStateClosed)
			break;
		xenport_block();
	}
	printk("blk-hostile: prod: the backend is %s\n", blkfront_state_name(st));
}

void workload_blk_hostile(void)
{
	const char *c = cmdline_get("case", "all");
	bool all = strcmp(c, "all") == 0;

	if (blk_open_first(&h.dev) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	h.fe = blk_xen_frontend(h.dev);
	if (!h.fe)
		panic("blk-hostile: the first disk is not a PV disk");
	h.ring = blkfront_raw_ring(h.fe, &h.port);
	h.be = blkfront_get_info(h.fe)->backend_id;
	h.devid = blkfront_get_info(h.fe)->devid;
	h.data = mm_alloc_pages(3);
	if (!h.ring || !h.data)
		panic("blk-hostile: no ring or no memory");
	h.ro = h.data + 4096;
	h.ind = h.data + 8192;
	h.data_ref = grant(h.data, false);
	h.ro_ref = grant(h.ro, true);
	h.ind_ref = grant(h.ind, true);
	if (all || strcmp(c, "nseg") == 0)
		case_nseg();
	if (all || strcmp(c, "gref") == 0)
		case_gref();
	if (all || strcmp(c, "indirect") == 0)
		case_indirect();
	if (all || strcmp(c, "noconsume") == 0)
		case_noconsume();
	if (all || strcmp(c, "prod") == 0)
		case_prod();
	printk("blk-hostile: done\n");
	kernel_shutdown(SHUTDOWN_poweroff);
}

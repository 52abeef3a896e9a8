/*
 * test-blkreq.c: blkif request decoding against a hostile frontend: every
 * field out of range, overflowing sector arithmetic, writes to read-only
 * disks, unsupported operations, indirect requests (segment counts over
 * the limit, garbage in the pages of segments, segments out of their page,
 * sectors past the end), the checks on multi-page ring sizes, and a
 * frontend that rewrites a ring slot or a page of segments between the
 * backend's reads (a test hook runs right after each copy).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "blkback-priv.h"
#include "cunit-main.h"

static const struct blk_disk disk = { .sectors = 1000, .readonly = false, .can_discard = true };
static const struct blk_disk rodisk = { .sectors = 1000, .readonly = true };
static const struct blk_disk idisk = { .sectors = 1u << 20, .max_indirect = BLK_SEGS_MAX };
static const struct blk_disk roidisk = { .sectors = 1u << 20, .readonly = true, .max_indirect = 64 };

static blkif_request_t rw(uint8_t op, uint64_t sector, uint8_t nseg)
{
	blkif_request_t r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.id = 0xfeedface;
	r.sector_number = sector;
	r.nr_segments = nseg;
	for (uint8_t i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		r.seg[i] = (struct blkif_request_segment){ .gref = 100u + i, .first_sect = 0, .last_sect = 7 };
	return r;
}

static int dec(const blkif_request_t *r, const struct blk_disk *d, struct blk_op *op)
{
	return blkreq_decode(r, d, op);
}

static void test_good_read(void)
{
	blkif_request_t r = rw(BLKIF_OP_READ, 8, 2);
	struct blk_op op;

	r.seg[1].first_sect = 2;
	r.seg[1].last_sect = 5;
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(op.id, 0xfeedface);
	CU_ASSERT_EQUAL(op.offset, 8 * 512);
	CU_ASSERT_EQUAL(op.len, (8 + 4) * 512);
	CU_ASSERT_EQUAL(op.seg[1].gref, 101);
	CU_ASSERT_EQUAL(op.seg[1].offset, 1024);
	CU_ASSERT_EQUAL(op.seg[1].len, 2048);
}

static void test_bad_segments(void)
{
	blkif_request_t r;
	struct blk_op op;

	r = rw(BLKIF_OP_READ, 0, 0);
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 0, 11);
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_OKAY);
	r.nr_segments = 12;
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	r.nr_segments = 255;
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, 1);
	r.seg[0].first_sect = 5;
	r.seg[0].last_sect = 4;
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = 8;			/* past the page */
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	r.seg[0].first_sect = 200;
	r.seg[0].last_sect = 255;
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
}

static void test_bad_ranges(void)
{
	blkif_request_t r;
	struct blk_op op;

	r = rw(BLKIF_OP_READ, 992, 1);		/* the last 8 sectors */
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_OKAY);
	r = rw(BLKIF_OP_READ, 993, 1);		/* one past the end */
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, UINT64_MAX - 3, 1);	/* wraps around */
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 1u << 30, 1);
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
}

static void test_readonly(void)
{
	blkif_request_t r = rw(BLKIF_OP_WRITE, 0, 1);
	struct blk_op op;

	CU_ASSERT_EQUAL(dec(&r, &rodisk, &op), BLKIF_RSP_ERROR);
	r.operation = BLKIF_OP_READ;
	CU_ASSERT_EQUAL(dec(&r, &rodisk, &op), BLKIF_RSP_OKAY);
	r.operation = BLKIF_OP_FLUSH_DISKCACHE;
	CU_ASSERT_EQUAL(dec(&r, &rodisk, &op), BLKIF_RSP_OKAY);
}

static void test_ops(void)
{
	blkif_request_t r = rw(BLKIF_OP_WRITE_BARRIER, 0, 1);
	blkif_request_discard_t dr;
	struct blk_op op;

	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_EOPNOTSUPP);
	r.operation = BLKIF_OP_INDIRECT;
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_EOPNOTSUPP);
	r.operation = 42;
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_EOPNOTSUPP);
	CU_ASSERT_EQUAL(op.id, 0xfeedface);	/* echoed even when refused */
	memset(&dr, 0, sizeof(dr));
	dr.operation = BLKIF_OP_DISCARD;
	dr.sector_number = 100;
	dr.nr_sectors = 50;
	memcpy(&r, &dr, sizeof(dr));
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(op.offset, 100 * 512);
	CU_ASSERT_EQUAL(op.len, 50 * 512);
	CU_ASSERT_EQUAL(dec(&r, &rodisk, &op), BLKIF_RSP_EOPNOTSUPP);
	dr.nr_sectors = 0;
	memcpy(&r, &dr, sizeof(dr));
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
	dr.nr_sectors = UINT64_MAX;
	memcpy(&r, &dr, sizeof(dr));
	CU_ASSERT_EQUAL(dec(&r, &disk, &op), BLKIF_RSP_ERROR);
}

/* A one-page ring with one request posted by the frontend. */
static void post_one(blkif_request_t req, blkif_front_ring_t *front, blkif_back_ring_t *back)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	blkif_sring_t *sring = (blkif_sring_t *)page;

	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(front, sring, sizeof(page));
	BACK_RING_INIT(back, sring, sizeof(page));
	*RING_GET_REQUEST(front, front->req_prod_pvt) = req;
	front->req_prod_pvt++;
	RING_PUSH_REQUESTS(front);
}

/* The backend decodes its copy; a later rewrite of the slot changes nothing. */
static void test_rewrite_after_copy(void)
{
	blkif_front_ring_t front;
	blkif_back_ring_t back;
	blkif_request_t copy;
	struct blk_op op;

	post_one(rw(BLKIF_OP_READ, 0, 1), &front, &back);
	RING_COPY_REQUEST(&back, back.req_cons, &copy);
	back.req_cons++;
	/* The frontend now makes the slot hostile. */
	RING_GET_REQUEST(&front, 0)->nr_segments = 200;
	RING_GET_REQUEST(&front, 0)->sector_number = UINT64_MAX;
	CU_ASSERT_EQUAL(dec(&copy, &disk, &op), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(op.nseg, 1);
	CU_ASSERT_EQUAL(op.offset, 0);
	CU_ASSERT_EQUAL(RING_SIZE(&back), 32);	/* one page holds 32 requests */
}

/* ---- indirect requests ---- */

static blkif_request_t ind(uint8_t op, uint64_t sector, uint16_t nseg, grant_ref_t page_ref)
{
	blkif_request_indirect_t r;
	blkif_request_t out;

	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_INDIRECT;
	r.indirect_op = op;
	r.nr_segments = nseg;
	r.id = 0xabcdef;
	r.sector_number = sector;
	r.indirect_grefs[0] = page_ref;
	memcpy(&out, &r, sizeof(r));
	return out;
}

static struct blkif_request_segment ipage[4096 / sizeof(struct blkif_request_segment)]
	__attribute__((aligned(4096)));

static void fill_ipage(unsigned int n)
{
	memset(ipage, 0, sizeof(ipage));
	for (unsigned int i = 0; i < n; i++)
		ipage[i] = (struct blkif_request_segment){ .gref = 1000 + i, .first_sect = 0, .last_sect = 7 };
}

static int dec_ind(blkif_request_t *r, const struct blk_disk *d, struct blk_op *op)
{
	const void *pages[BLK_IND_PAGES_MAX] = { ipage };
	int st = blkreq_decode(r, d, op);

	if (st != BLKIF_RSP_OKAY)
		return st;
	CU_ASSERT_EQUAL(op->nind, 1);
	CU_ASSERT_EQUAL(op->ind_gref[0], 77);
	return blkreq_decode_indirect(op, pages, d);
}

static void test_indirect_good(void)
{
	blkif_request_t r = ind(BLKIF_OP_WRITE, 16, BLK_SEGS_MAX, 77);
	struct blk_op op;

	fill_ipage(BLK_SEGS_MAX);
	ipage[3].first_sect = 1;
	ipage[3].last_sect = 2;
	CU_ASSERT_EQUAL(dec_ind(&r, &idisk, &op), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(op.op, BLKIF_OP_INDIRECT);	/* the response carries op.io */
	CU_ASSERT_EQUAL(op.io, BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(op.id, 0xabcdef);
	CU_ASSERT_EQUAL(op.nseg, BLK_SEGS_MAX);
	CU_ASSERT_EQUAL(op.offset, 16 * 512);
	CU_ASSERT_EQUAL(op.len, ((BLK_SEGS_MAX - 1) * 8 + 2) * 512);
	CU_ASSERT_EQUAL(op.seg[3].offset, 512);
	CU_ASSERT_EQUAL(op.seg[3].len, 1024);
	CU_ASSERT_EQUAL(op.seg[255].gref, 1255);
	/* The whole disk's last page, and no further. */
	r = ind(BLKIF_OP_READ, (1u << 20) - 8, 1, 77);
	CU_ASSERT_EQUAL(dec_ind(&r, &idisk, &op), BLKIF_RSP_OKAY);
}

static void test_indirect_bad_slot(void)
{
	blkif_request_t r;
	struct blk_op op;

	fill_ipage(BLK_SEGS_MAX);
	r = ind(BLKIF_OP_READ, 0, BLK_SEGS_MAX + 1, 77);	/* over the advertised max */
	CU_ASSERT_EQUAL(blkreq_decode(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_READ, 0, 65, 77);			/* over a smaller max */
	CU_ASSERT_EQUAL(blkreq_decode(&r, &roidisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_READ, 0, UINT16_MAX, 77);
	CU_ASSERT_EQUAL(blkreq_decode(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_READ, 0, 0, 77);
	CU_ASSERT_EQUAL(blkreq_decode(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_FLUSH_DISKCACHE, 0, 1, 77);		/* only reads and writes */
	CU_ASSERT_EQUAL(blkreq_decode(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_INDIRECT, 0, 1, 77);
	CU_ASSERT_EQUAL(blkreq_decode(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(200, 0, 1, 77);
	CU_ASSERT_EQUAL(blkreq_decode(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_WRITE, 0, 1, 77);			/* read-only disk */
	CU_ASSERT_EQUAL(blkreq_decode(&r, &roidisk, &op), BLKIF_RSP_ERROR);
	r.operation = BLKIF_OP_INDIRECT;
	((blkif_request_indirect_t *)&r)->indirect_op = BLKIF_OP_READ;
	CU_ASSERT_EQUAL(blkreq_decode(&r, &roidisk, &op), BLKIF_RSP_OKAY);
	r = ind(BLKIF_OP_READ, 1u << 20, 1, 77);		/* starts past the end */
	CU_ASSERT_EQUAL(blkreq_decode(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_READ, 0, 1, 77);			/* not advertised */
	CU_ASSERT_EQUAL(blkreq_decode(&r, &disk, &op), BLKIF_RSP_EOPNOTSUPP);
	CU_ASSERT_EQUAL(op.id, 0xabcdef);
	/* The second step refuses an op whose first step did not pass. */
	memset(&op, 0, sizeof(op));
	op.op = BLKIF_OP_READ;
	op.nseg = 1;
	op.nind = 1;
	CU_ASSERT_EQUAL(blkreq_decode_indirect(&op, (const void *[]){ ipage }, &idisk), BLKIF_RSP_ERROR);
}

static void test_indirect_bad_page(void)
{
	blkif_request_t r = ind(BLKIF_OP_READ, 0, 8, 77);
	struct blk_op op;

	fill_ipage(8);
	ipage[5].first_sect = 6;				/* first > last */
	ipage[5].last_sect = 5;
	CU_ASSERT_EQUAL(dec_ind(&r, &idisk, &op), BLKIF_RSP_ERROR);
	fill_ipage(8);
	ipage[7].last_sect = 8;					/* past the page */
	CU_ASSERT_EQUAL(dec_ind(&r, &idisk, &op), BLKIF_RSP_ERROR);
	/* Garbage: whatever bytes, a bad page gives an error, never a crash. */
	for (unsigned int seed = 1; seed < 200; seed++) {
		uint32_t x = seed;
		uint8_t *b = (uint8_t *)ipage;
		int st;

		for (size_t i = 0; i < sizeof(ipage); i++) {
			x = x * 1103515245u + 12345u;
			b[i] = (uint8_t)(x >> 16);
		}
		r = ind(BLKIF_OP_READ, 0, BLK_SEGS_MAX, 77);
		st = dec_ind(&r, &idisk, &op);
		CU_ASSERT(st == BLKIF_RSP_ERROR);	/* 256 random segments all in range: no */
	}
	/* Segments that add up past the end of the disk. */
	fill_ipage(BLK_SEGS_MAX);
	r = ind(BLKIF_OP_READ, (1u << 20) - 8 * 255, BLK_SEGS_MAX, 77);
	CU_ASSERT_EQUAL(dec_ind(&r, &idisk, &op), BLKIF_RSP_ERROR);
	r = ind(BLKIF_OP_READ, (1u << 20) - 8 * 256, BLK_SEGS_MAX, 77);
	CU_ASSERT_EQUAL(dec_ind(&r, &idisk, &op), BLKIF_RSP_OKAY);
}

/* ---- double fetch: the frontend rewrites shared memory right after each copy ---- */

static unsigned int hook_calls;

static void rewrite_shared(const void *shared, size_t len)
{
	hook_calls++;
	/* The frontend's CPU: make every segment and field hostile. */
	memset((void *)(uintptr_t)shared, 0xff, len);
}

static void test_double_fetch_ring(void)
{
	blkif_front_ring_t front;
	blkif_back_ring_t back;
	blkif_request_t copy;
	struct blk_op op;

	post_one(rw(BLKIF_OP_WRITE, 24, 3), &front, &back);
	hook_calls = 0;
	blkreq_after_copy_hook = rewrite_shared;
	blkreq_copy(RING_GET_REQUEST(&back, back.req_cons), &copy);
	blkreq_after_copy_hook = NULL;
	CU_ASSERT_EQUAL(hook_calls, 1);
	CU_ASSERT_EQUAL(RING_GET_REQUEST(&back, 0)->nr_segments, 0xff);	/* the slot did change */
	CU_ASSERT_EQUAL(dec(&copy, &disk, &op), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(op.nseg, 3);
	CU_ASSERT_EQUAL(op.offset, 24 * 512);
	CU_ASSERT_EQUAL(op.seg[2].gref, 102);
	CU_ASSERT_EQUAL(op.seg[2].len, 4096);
}

static void test_double_fetch_indirect(void)
{
	blkif_request_t r = ind(BLKIF_OP_READ, 0, 100, 77);
	struct blk_op op;

	fill_ipage(100);
	hook_calls = 0;
	blkreq_after_copy_hook = rewrite_shared;
	CU_ASSERT_EQUAL(dec_ind(&r, &idisk, &op), BLKIF_RSP_OKAY);
	blkreq_after_copy_hook = NULL;
	CU_ASSERT_EQUAL(hook_calls, 1);
	CU_ASSERT_EQUAL(ipage[0].last_sect, 0xff);	/* the page did change */
	CU_ASSERT_EQUAL(op.len, 100 * 4096);
	for (unsigned int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(op.seg[i].gref, 1000 + i);
		CU_ASSERT_EQUAL(op.seg[i].offset, 0);
		CU_ASSERT_EQUAL(op.seg[i].len, 4096);
	}
}

/* ---- multi-page rings ---- */

static void test_ring_sizes(void)
{
	static uint8_t pages[BLK_RING_PAGES_MAX * 4096] __attribute__((aligned(4096)));
	blkif_back_ring_t back;

	for (unsigned int order = 0; order <= BLK_RING_ORDER_MAX; order++) {
		SHARED_RING_INIT((blkif_sring_t *)pages);
		BACK_RING_INIT(&back, (blkif_sring_t *)pages, 4096u << order);
		CU_ASSERT_EQUAL(RING_SIZE(&back), 32u << order);
	}
	CU_ASSERT_EQUAL(BLK_RING_PAGES_MAX, 16);
	/* What the frontend wrote against what we offered (4 queues, order 4). */
	CU_ASSERT_PTR_NULL(blkreq_check_layout(-ENOENT, 0, -ENOENT, 0, 4, 4));	/* flat keys */
	CU_ASSERT_PTR_NULL(blkreq_check_layout(0, 1, 0, 0, 4, 4));
	CU_ASSERT_PTR_NULL(blkreq_check_layout(0, 4, 0, 4, 4, 4));
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(0, 0, -ENOENT, 0, 4, 4));	/* no queues */
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(0, 5, -ENOENT, 0, 4, 4));	/* over the max */
	CU_ASSERT_PTR_NULL(blkreq_check_layout(0, 16, -ENOENT, 0, 16, 4));
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(0, 17, -ENOENT, 0, 100, 4));	/* over our array */
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(-EINVAL, 0, -ENOENT, 0, 4, 4));	/* not a number */
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(-ENOENT, 0, 0, 5, 4, 4));	/* order over the max */
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(-ENOENT, 0, 0, 2, 4, 1));	/* over what we offered */
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(-ENOENT, 0, 0, 9, 4, 100));	/* over our array */
	CU_ASSERT_PTR_NOT_NULL(blkreq_check_layout(-ENOENT, 0, -EINVAL, 0, 4, 4));
	CU_ASSERT_EQUAL(BLK_IND_PAGES_MAX, 1);
	CU_ASSERT(BLK_IND_PAGES_MAX <= BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "a good read", test_good_read },
		{ "segments out of range", test_bad_segments },
		{ "sectors out of range", test_bad_ranges },
		{ "read-only disks", test_readonly },
		{ "operations", test_ops },
		{ "a slot rewritten after the copy", test_rewrite_after_copy },
		{ "indirect: a good request", test_indirect_good },
		{ "indirect: bad ring slots", test_indirect_bad_slot },
		{ "indirect: bad pages of segments", test_indirect_bad_page },
		{ "double fetch: a ring slot", test_double_fetch_ring },
		{ "double fetch: a page of segments", test_double_fetch_indirect },
		{ "multi-page ring sizes", test_ring_sizes },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = { { "blkreq", NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };

	return sv_cunit_run(suites);
}

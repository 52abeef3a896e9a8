/*
 * test-blkreq.c: blkif request decoding against a hostile frontend: every
 * field out of range, overflowing sector arithmetic, writes to read-only
 * disks, unsupported operations, and a frontend that rewrites a ring slot
 * after the backend copied it.
 */
#include <stdint.h>
#include <string.h>

#include "blkback-priv.h"
#include "cunit-main.h"

static const struct blk_disk disk = { .sectors = 1000, .readonly = false, .can_discard = true };
static const struct blk_disk rodisk = { .sectors = 1000, .readonly = true };

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

/* The backend decodes its copy; a later rewrite of the slot changes nothing. */
static void test_rewrite_after_copy(void)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	blkif_sring_t *sring = (blkif_sring_t *)page;
	blkif_front_ring_t front;
	blkif_back_ring_t back;
	blkif_request_t copy, good = rw(BLKIF_OP_READ, 0, 1);
	struct blk_op op;

	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&front, sring, sizeof(page));
	BACK_RING_INIT(&back, sring, sizeof(page));
	*RING_GET_REQUEST(&front, front.req_prod_pvt) = good;
	front.req_prod_pvt++;
	RING_PUSH_REQUESTS(&front);
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

int main(void)
{
	CU_TestInfo tests[] = {
		{ "a good read", test_good_read },
		{ "segments out of range", test_bad_segments },
		{ "sectors out of range", test_bad_ranges },
		{ "read-only disks", test_readonly },
		{ "operations", test_ops },
		{ "a slot rewritten after the copy", test_rewrite_after_copy },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = { { "blkreq", NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };

	return sv_cunit_run(suites);
}

/*
 * fuzz-blkreq.c: pvblkback's request decoding (pvback/blkreq.c) on a ring
 * slot and a page of indirect segments written by a hostile frontend.
 *
 * Input: the disk (sectors, read-only, discard, max indirect segments),
 * then the bytes of one ring slot, then the page of segments an indirect
 * request points to. The frontend rewrites the slot and the page right
 * after each copy out of them (blkreq_after_copy_hook), as it may.
 *
 * Oracles: the status is one of the three blkif.h allows; an accepted
 * read, write or discard lies inside the disk and does not write to a
 * read-only one; every accepted segment lies inside its page; the request
 * id is the slot's.
 */
#include <stdbool.h>

#include "blkback-priv.h"
#include "fuzz.h"

#define PAGE	4096u
#define DISK_SECTORS_MAX	((1ull << 54) - 1)	/* a 2^63-byte file */

static uint8_t page[PAGE];
static union {
	blkif_request_t req;
	uint8_t b[sizeof(blkif_request_t)];
} slot;

/* The frontend's turn, right after a copy out of its memory. */
static void scribble(const void *shared, size_t len)
{
	if (shared == &slot)
		memset(&slot, 0xa5, sizeof(slot));
	else if (shared == page)
		memset(page, 0xa5, len);
}

static void check_segs(const struct blk_op *op, const struct blk_disk *disk)
{
	uint64_t bytes = 0;

	FUZZ_CHECK(op->nseg >= 1 && op->nseg <= BLK_SEGS_MAX);
	for (unsigned int i = 0; i < op->nseg; i++) {
		FUZZ_CHECK(op->seg[i].len > 0 && op->seg[i].len % 512 == 0);
		FUZZ_CHECK(op->seg[i].offset % 512 == 0);
		FUZZ_CHECK((uint32_t)op->seg[i].offset + op->seg[i].len <= PAGE);
		bytes += op->seg[i].len;
	}
	FUZZ_CHECK(op->len == bytes);
	FUZZ_CHECK(op->io == BLKIF_OP_READ || op->io == BLKIF_OP_WRITE);
	FUZZ_CHECK(op->io == BLKIF_OP_READ || !disk->readonly);
}

static void check_range(const struct blk_op *op, const struct blk_disk *disk)
{
	FUZZ_CHECK(op->offset == op->sector << 9);
	FUZZ_CHECK(op->offset <= disk->sectors * 512);
	FUZZ_CHECK(op->len <= disk->sectors * 512 - op->offset);
}

static bool status_ok(int st)
{
	return st == BLKIF_RSP_OKAY || st == BLKIF_RSP_ERROR || st == BLKIF_RSP_EOPNOTSUPP;
}

static void indirect(struct blk_op *op, const struct blk_disk *disk)
{
	const void *pages[BLK_IND_PAGES_MAX];
	int st;

	FUZZ_CHECK(op->nind >= 1 && op->nind <= BLK_IND_PAGES_MAX);
	FUZZ_CHECK(op->nseg <= disk->max_indirect);
	for (unsigned int i = 0; i < op->nind; i++)
		pages[i] = page;
	st = blkreq_decode_indirect(op, pages, disk);
	FUZZ_CHECK(status_ok(st));
	if (st != BLKIF_RSP_OKAY)
		return;
	check_segs(op, disk);
	check_range(op, disk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	blkif_request_t req;
	struct blk_disk disk;
	struct blk_op op;
	uint8_t flags;
	int st;

	disk.sectors = fuzz_u64(&in) & DISK_SECTORS_MAX;
	flags = fuzz_u8(&in);
	disk.readonly = flags & 1;
	disk.can_discard = flags & 2;
	disk.max_indirect = fuzz_u16(&in) % (BLK_SEGS_MAX + 2);
	fuzz_take(&in, slot.b, sizeof(slot.b));
	fuzz_take(&in, page, sizeof(page));

	blkreq_after_copy_hook = scribble;
	blkreq_copy(&slot, &req);
	memset(&op, 0x5a, sizeof(op));
	st = blkreq_decode(&req, &disk, &op);
	FUZZ_CHECK(status_ok(st));
	FUZZ_CHECK(op.id == req.id || req.operation == BLKIF_OP_INDIRECT);
	if (st != BLKIF_RSP_OKAY)
		return 0;
	switch (req.operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		check_segs(&op, &disk);
		check_range(&op, &disk);
		FUZZ_CHECK(op.nseg <= BLK_DIRECT_SEGS_MAX);
		break;
	case BLKIF_OP_DISCARD:
		FUZZ_CHECK(disk.can_discard && !disk.readonly && op.len > 0);
		check_range(&op, &disk);
		break;
	case BLKIF_OP_INDIRECT:
		indirect(&op, &disk);
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		break;
	default:
		FUZZ_CHECK(!"an unknown operation was accepted");
	}
	return 0;
}

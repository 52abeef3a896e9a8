/*
 * blkreq.c: decoding blkif requests (blkif.h).
 *
 * The request is a private copy (blkreq_copy(), one memcpy out of the
 * ring slot), so nothing here can change under us; still, every field is
 * checked before use: the operation, the segment count (1..11 for direct
 * reads and writes, 1..max_indirect for indirect ones), each segment's
 * first_sect <= last_sect < 8, the sector range inside the disk with
 * overflow-safe arithmetic, and writes to a read-only disk. An indirect
 * request is decoded in two steps: the ring slot (indirect_op,
 * nr_segments, the grant refs of the pages of segments), then, once the
 * caller mapped those pages, one copy of the segments out of them, which
 * is validated like a direct request's. A bad request gets an error
 * response; it never reaches the disk.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "blkback-priv.h"

#define SECTORS_PER_PAGE	8

void (*blkreq_after_copy_hook)(const void *shared, size_t len);

const char *blkreq_op_name(uint8_t op)
{
	switch (op) {
	case BLKIF_OP_READ: return "read";
	case BLKIF_OP_WRITE: return "write";
	case BLKIF_OP_WRITE_BARRIER: return "barrier";
	case BLKIF_OP_FLUSH_DISKCACHE: return "flush";
	case BLKIF_OP_DISCARD: return "discard";
	case BLKIF_OP_INDIRECT: return "indirect";
	default: return "unknown";
	}
}

static void copy_shared(void *dst, const void *shared, size_t len)
{
	memcpy(dst, shared, len);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);	/* the compiler may not re-read it */
	if (blkreq_after_copy_hook)
		blkreq_after_copy_hook(shared, len);
}

void blkreq_copy(const void *slot, blkif_request_t *out)
{
	copy_shared(out, slot, sizeof(*out));
}

static bool range_ok(const struct blk_disk *disk, uint64_t sector, uint64_t nsect)
{
	uint64_t end;

	return !__builtin_add_overflow(sector, nsect, &end) && end <= disk->sectors;
}

/* Segments of a read or write, from a private copy; fills out's segments and range. */
static int decode_segs(const struct blkif_request_segment *segs, unsigned int n,
		       const struct blk_disk *disk, struct blk_op *out)
{
	uint64_t nsect = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct blkif_request_segment *s = &segs[i];

		if (s->first_sect > s->last_sect || s->last_sect >= SECTORS_PER_PAGE)
			return BLKIF_RSP_ERROR;
		out->seg[i].gref = s->gref;
		out->seg[i].offset = (uint16_t)(s->first_sect << BLK_SECTOR_SHIFT);
		out->seg[i].len = (uint16_t)((s->last_sect - s->first_sect + 1) << BLK_SECTOR_SHIFT);
		nsect += s->last_sect - s->first_sect + 1u;
	}
	if (!range_ok(disk, out->sector, nsect))
		return BLKIF_RSP_ERROR;
	out->nseg = (uint16_t)n;
	out->offset = out->sector << BLK_SECTOR_SHIFT;
	out->len = nsect << BLK_SECTOR_SHIFT;
	return BLKIF_RSP_OKAY;
}

static int decode_rw(const blkif_request_t *req, const struct blk_disk *disk, struct blk_op *out)
{
	if (req->nr_segments == 0 || req->nr_segments > BLK_DIRECT_SEGS_MAX)
		return BLKIF_RSP_ERROR;
	if (req->operation == BLKIF_OP_WRITE && disk->readonly)
		return BLKIF_RSP_ERROR;
	out->sector = req->sector_number;
	return decode_segs(req->seg, req->nr_segments, disk, out);
}

static int decode_discard(const blkif_request_t *req, const struct blk_disk *disk,
			  struct blk_op *out)
{
	blkif_request_discard_t d;

	memcpy(&d, req, sizeof(d));
	if (!disk->can_discard)
		return BLKIF_RSP_EOPNOTSUPP;
	if (disk->readonly || d.nr_sectors == 0 || !range_ok(disk, d.sector_number, d.nr_sectors))
		return BLKIF_RSP_ERROR;
	out->sector = d.sector_number;
	out->offset = d.sector_number << BLK_SECTOR_SHIFT;
	out->len = d.nr_sectors << BLK_SECTOR_SHIFT;
	return BLKIF_RSP_OKAY;
}

/* The ring slot of an indirect request: what to map, nothing read from it yet. */
static int decode_indirect_slot(const blkif_request_t *req, const struct blk_disk *disk,
				struct blk_op *out)
{
	blkif_request_indirect_t ind;
	unsigned int max = disk->max_indirect < BLK_SEGS_MAX ? disk->max_indirect : BLK_SEGS_MAX;

	memcpy(&ind, req, sizeof(ind));
	out->id = ind.id;
	if (max == 0)
		return BLKIF_RSP_EOPNOTSUPP;
	if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE)
		return BLKIF_RSP_ERROR;
	if (ind.nr_segments == 0 || ind.nr_segments > max)
		return BLKIF_RSP_ERROR;
	if (ind.indirect_op == BLKIF_OP_WRITE && disk->readonly)
		return BLKIF_RSP_ERROR;
	if (ind.sector_number >= disk->sectors)
		return BLKIF_RSP_ERROR;
	out->io = ind.indirect_op;
	out->nseg = ind.nr_segments;
	out->sector = ind.sector_number;
	out->nind = (uint8_t)((ind.nr_segments + BLK_SEGS_PER_PAGE - 1) / BLK_SEGS_PER_PAGE);
	for (unsigned int i = 0; i < out->nind; i++)
		out->ind_gref[i] = ind.indirect_grefs[i];
	return BLKIF_RSP_OKAY;
}

int blkreq_decode_indirect(struct blk_op *op, const void *const pages[], const struct blk_disk *disk)
{
	static _Thread_local struct blkif_request_segment segs[BLK_SEGS_MAX];
	unsigned int n = op->nseg, done = 0;

	if (op->op != BLKIF_OP_INDIRECT || n == 0 || n > BLK_SEGS_MAX ||
	    op->nind != (n + BLK_SEGS_PER_PAGE - 1) / BLK_SEGS_PER_PAGE)
		return BLKIF_RSP_ERROR;
	for (unsigned int p = 0; p < op->nind; p++) {
		unsigned int k = n - done < BLK_SEGS_PER_PAGE ? n - done : (unsigned int)BLK_SEGS_PER_PAGE;

		copy_shared(&segs[done], pages[p], k * sizeof(segs[0]));
		done += k;
	}
	return decode_segs(segs, n, disk, op);
}

int blkreq_decode(const blkif_request_t *req, const struct blk_disk *disk, struct blk_op *out)
{
	memset(out, 0, offsetof(struct blk_op, seg));
	out->id = req->id;
	out->op = req->operation;
	out->io = req->operation;
	switch (req->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		return decode_rw(req, disk, out);
	case BLKIF_OP_FLUSH_DISKCACHE:
		return BLKIF_RSP_OKAY;	/* harmless on a read-only disk too */
	case BLKIF_OP_DISCARD:
		return decode_discard(req, disk, out);
	case BLKIF_OP_INDIRECT:
		return decode_indirect_slot(req, disk, out);
	default:
		/* Barriers are not advertised. */
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

const char *blkreq_check_layout(int nq_rc, uint32_t nq, int order_rc, uint32_t order,
				unsigned int max_queues, unsigned int max_order)
{
	if (nq_rc < 0 && nq_rc != -ENOENT)
		return "multi-queue-num-queues is not a number";
	if (nq_rc == 0 && (nq == 0 || nq > max_queues || nq > BLK_QUEUES_MAX))
		return "multi-queue-num-queues out of range";
	if (order_rc < 0 && order_rc != -ENOENT)
		return "ring-page-order is not a number";
	if (order_rc == 0 && (order > max_order || order > BLK_RING_ORDER_MAX))
		return "ring-page-order out of range";
	return NULL;
}

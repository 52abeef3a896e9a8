/*
 * blkreq.c: decoding blkif requests (blkif.h).
 *
 * The request is a private copy (RING_COPY_REQUEST), so nothing here can
 * change under us; still, every field is checked before use: the
 * operation, the segment count (1..11 for reads and writes), each
 * segment's first_sect <= last_sect < 8, the sector range inside the disk
 * with overflow-safe arithmetic, and writes to a read-only disk. A bad
 * request gets an error response; it never reaches the disk.
 */
#include <stddef.h>
#include <string.h>

#include "blkback-priv.h"

#define SECTORS_PER_PAGE	8

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

static bool range_ok(const struct blk_disk *disk, uint64_t sector, uint64_t nsect)
{
	uint64_t end;

	return !__builtin_add_overflow(sector, nsect, &end) && end <= disk->sectors;
}

static int decode_rw(const blkif_request_t *req, const struct blk_disk *disk, struct blk_op *out)
{
	uint64_t nsect = 0;

	if (req->nr_segments == 0 || req->nr_segments > BLK_SEGS_MAX)
		return BLKIF_RSP_ERROR;
	if (req->operation == BLKIF_OP_WRITE && disk->readonly)
		return BLKIF_RSP_ERROR;
	for (unsigned int i = 0; i < req->nr_segments; i++) {
		const struct blkif_request_segment *s = &req->seg[i];

		if (s->first_sect > s->last_sect || s->last_sect >= SECTORS_PER_PAGE)
			return BLKIF_RSP_ERROR;
		out->seg[i].gref = s->gref;
		out->seg[i].offset = (uint16_t)(s->first_sect << BLK_SECTOR_SHIFT);
		out->seg[i].len = (uint16_t)((s->last_sect - s->first_sect + 1) << BLK_SECTOR_SHIFT);
		nsect += s->last_sect - s->first_sect + 1u;
	}
	if (!range_ok(disk, req->sector_number, nsect))
		return BLKIF_RSP_ERROR;
	out->nseg = req->nr_segments;
	out->offset = req->sector_number << BLK_SECTOR_SHIFT;
	out->len = nsect << BLK_SECTOR_SHIFT;
	return BLKIF_RSP_OKAY;
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
	out->offset = d.sector_number << BLK_SECTOR_SHIFT;
	out->len = d.nr_sectors << BLK_SECTOR_SHIFT;
	return BLKIF_RSP_OKAY;
}

int blkreq_decode(const blkif_request_t *req, const struct blk_disk *disk, struct blk_op *out)
{
	memset(out, 0, sizeof(*out));
	out->id = req->id;
	out->op = req->operation;
	switch (req->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		return decode_rw(req, disk, out);
	case BLKIF_OP_FLUSH_DISKCACHE:
		return BLKIF_RSP_OKAY;	/* harmless on a read-only disk too */
	case BLKIF_OP_DISCARD:
		return decode_discard(req, disk, out);
	default:
		/* Barriers and indirect descriptors are not advertised. */
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

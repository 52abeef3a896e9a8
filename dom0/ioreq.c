/*
 * ioreq.c: decode, then act. A request from the runner carries what a
 * guest instruction asked for, so every field is checked on a private
 * copy of the header before the drive sees any of it; the response has
 * every field set, and its data is exactly count * size bytes.
 */
#include <errno.h>
#include <string.h>

#include "ioreq.h"

int ioreq_check(const void *msg, size_t len, struct pvh_ioreq *hdr_out, const char **why_out)
{
	struct pvh_ioreq h;
	size_t data;

	if (len < sizeof(h)) {
		*why_out = "shorter than its header";
		return -EINVAL;
	}
	memcpy(&h, msg, sizeof(h));
	if (h.magic != PVH_IOREQ_MAGIC)
		*why_out = "bad magic";
	else if (h.size != 1 && h.size != 2 && h.size != 4)
		*why_out = "item size is not 1, 2 or 4";
	else if (h.dir != PVH_IOREQ_OUT && h.dir != PVH_IOREQ_IN)
		*why_out = "unknown direction";
	else if (h.count == 0)
		*why_out = "count is 0";
	else if (h.count > PVH_IOREQ_DATA_MAX / h.size)
		*why_out = "count * size exceeds PVH_IOREQ_DATA_MAX";
	else
		*why_out = NULL;
	if (*why_out)
		return -EINVAL;
	data = h.dir == PVH_IOREQ_OUT ? (size_t)h.count * h.size : 0;
	if (len != sizeof(h) + data) {
		*why_out = h.dir == PVH_IOREQ_OUT ? "length is not the header plus count * size" :
						    "an IN request carries data";
		return -EINVAL;
	}
	*hdr_out = h;
	return 0;
}

static uint32_t peek_seq(const void *msg, size_t len)
{
	struct pvh_ioreq h;

	if (len < sizeof(h))
		return 0;
	memcpy(&h, msg, sizeof(h));
	return h.seq;
}

size_t ioreq_serve(struct ata *a, const void *msg, size_t len, void *rsp,
		   struct ioreq_stats *st, const char **why_out)
{
	struct pvh_ioreq_rsp r;
	struct pvh_ioreq h;
	const char *why;
	size_t data = 0;

	memset(&r, 0, sizeof(r));
	r.magic = PVH_IOREQ_MAGIC;
	if (ioreq_check(msg, len, &h, &why) < 0) {
		st->bad++;
		r.seq = peek_seq(msg, len);
		r.status = PVH_IOREQ_EBADREQ;
		memcpy(rsp, &r, sizeof(r));
		if (why_out)
			*why_out = why;
		return sizeof(r);
	}
	if (why_out)
		*why_out = NULL;
	st->reqs++;
	st->items += h.count;
	st->by_group[ata_port_group(h.port)]++;
	if (h.dir == PVH_IOREQ_IN) {
		st->in++;
		data = (size_t)h.count * h.size;
		ata_port_in(a, h.port, h.size, h.count, (uint8_t *)rsp + sizeof(r));
	} else {
		st->out++;
		ata_port_out(a, h.port, h.size, h.count, (const uint8_t *)msg + sizeof(h));
	}
	r.seq = h.seq;
	r.status = PVH_IOREQ_OK;
	r.count = h.count;
	memcpy(rsp, &r, sizeof(r));
	return sizeof(r) + data;
}

/*
 * ioreq.h: one port I/O request from a guest's runner to pvdm, checked
 * and served (public/pvh_ioreq.h). Kept apart from the daemon's loop so
 * that the unit tests can feed it any bytes.
 */
#ifndef IOREQ_H
#define IOREQ_H

#include <stddef.h>
#include <stdint.h>

#include "ata.h"
#include "public/pvh_ioreq.h"

#define IOREQ_RSP_MAX	(sizeof(struct pvh_ioreq_rsp) + PVH_IOREQ_DATA_MAX)

struct ioreq_stats {
	uint64_t reqs;			/* well-formed requests served */
	uint64_t bad;			/* malformed, answered PVH_IOREQ_EBADREQ */
	uint64_t items;			/* port accesses they carried */
	uint64_t by_group[ATA_PG_COUNT];	/* requests by the port they hit */
	uint64_t in, out;		/* by direction */
};

/*
 * Checks one request message of len bytes, as received: the magic, size
 * in {1, 2, 4}, dir, 1 <= count, count * size <= PVH_IOREQ_DATA_MAX, and
 * that len is exactly the header plus, for OUT, the data. Returns 0 with
 * a copy of the header in *hdr_out, or -EINVAL with *why_out saying what
 * was wrong (a static string).
 */
int ioreq_check(const void *msg, size_t len, struct pvh_ioreq *hdr_out, const char **why_out);

/*
 * Serves one request message against the drive and writes the response
 * into rsp (at least IOREQ_RSP_MAX bytes). Returns the response length.
 * A malformed request is answered with status PVH_IOREQ_EBADREQ, count 0
 * and no data, and *why_out (if not NULL) says why; else *why_out is NULL.
 */
size_t ioreq_serve(struct ata *a, const void *msg, size_t len, void *rsp,
		   struct ioreq_stats *st, const char **why_out);

#endif /* IOREQ_H */

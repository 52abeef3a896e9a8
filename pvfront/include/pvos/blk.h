/*
 * pvos/blk.h: pvos's block devices. One API over two kinds of disk:
 *
 *  - xen: a PV disk under ~/device/vbd/, through the blkif frontend
 *    (xen/blkfront.c); requests queue on its ring;
 *  - ide: the master disk of the emulated primary IDE channel, through
 *    the legacy ATA driver (legacy/ata.c) in PIO or DMA mode; it cannot
 *    queue: one request at a time, done before blk_submit() returns.
 *
 * Which one blk_open_first() opens comes from the command line:
 *   blk=xen|ide     default: the first vbd if there is one, else the ATA
 *                   disk if the probe finds one
 *   ata-mode=pio|dma  for ide; default dma, falling back to pio (with a
 *                   line saying why) when DMA is not possible and the
 *                   mode was not asked for explicitly
 *   blk-persistent=0  for xen: do not offer persistent grants
 */
#ifndef PVOS_BLK_H
#define PVOS_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenfront.h"

#define BLK_SECTOR_SIZE	512u

enum blk_op {
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH,
};

/*
 * One asynchronous request: op; sector and len (a multiple of 512, at
 * most dev->max_req_bytes) for reads and writes; buf is the caller's and
 * stays the caller's. status is 1 while in flight, then 0 or a negative
 * errno; done (may be NULL) runs from blk_wait() once it completed. The
 * request must stay put until then; the rest is the device's.
 */
struct blk_req {
	enum blk_op op;
	uint64_t sector;
	void *buf;
	size_t len;
	int status;
	void (*done)(struct blk_req *r);
	void *data;
	struct blkfront_req fe;		/* xen: the ring request */
};

struct blk_dev;

/* What a kind of disk implements; the blk_*() calls dispatch here. */
struct blk_ops {
	const char *kind;		/* "xen", "ide" */
	int (*rw)(struct blk_dev *dev, bool write, uint64_t sector, void *buf,
		  size_t nsect);
	int (*flush)(struct blk_dev *dev);
	int (*submit)(struct blk_dev *dev, struct blk_req *req);
	int (*wait)(struct blk_dev *dev);
	void (*close)(struct blk_dev *dev);
};

struct blk_dev {
	const struct blk_ops *ops;
	void *priv;			/* blkfront_dev or ata_dev */
	uint64_t sectors;
	bool readonly;			/* known read-only (xen says so) */
	unsigned int max_inflight;	/* requests blk_submit() takes at once */
	size_t max_req_bytes;		/* per blk_req */
	struct blk_req *completed;	/* ide: done, for blk_wait() to report */
};

/*
 * Open the disk the command line selects (see above), printing one line
 * about it. Returns 0 with *dev_out or a negative errno (printed).
 */
int blk_open_first(struct blk_dev **dev_out);

/*
 * The blkfront device under a PV disk, or NULL for any other kind: for
 * workloads that speak blkif themselves (blk-hostile, blk-cycle).
 */
struct blkfront_dev *blk_xen_frontend(struct blk_dev *dev);

/* Synchronous I/O of nsect sectors from sector; flush the disk's cache. */
int blk_read(struct blk_dev *dev, uint64_t sector, void *buf, size_t nsect);
int blk_write(struct blk_dev *dev, uint64_t sector, const void *buf,
	      size_t nsect);
int blk_flush(struct blk_dev *dev);

/*
 * Queue one request: 0, -EBUSY when max_inflight requests are
 * outstanding, -EINVAL for a malformed one, or another negative errno.
 */
int blk_submit(struct blk_dev *dev, struct blk_req *req);
/*
 * Block until at least one outstanding request completed and run its done
 * (returns at once when nothing is outstanding); -EIO once broken.
 */
int blk_wait(struct blk_dev *dev);

/* Whether the device keeps more than one request in flight. */
static inline bool blk_can_queue(const struct blk_dev *dev)
{
	return dev->max_inflight > 1;
}

/* Wait for what is outstanding and let the disk go. */
void blk_close(struct blk_dev *dev);

#endif /* PVOS_BLK_H */

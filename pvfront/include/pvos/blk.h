/*
 * pvos/blk.h: pvos's block devices, over the blkif frontend
 * (xen/blkfront.c). Disks are found under ~/device/vbd/ and opened in
 * order of their device id; "the first disk" is the lowest id.
 */
#ifndef PVOS_BLK_H
#define PVOS_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "xenfront.h"

#define BLK_SECTOR_SIZE	512u

struct blk_dev {
	struct blkfront_dev *fe;
	const struct blkfront_info *info;
	unsigned int devid;
	uint64_t sectors;
};

/*
 * Connect the first disk (the lowest devid under ~/device/vbd), printing
 * one line about it. Returns 0 with *dev_out or a negative errno (printed).
 */
int blk_open_first(struct blk_dev **dev_out);

/* Synchronous I/O of nsect sectors from sector; flush the disk's cache. */
int blk_read(struct blk_dev *dev, uint64_t sector, void *buf, size_t nsect);
int blk_write(struct blk_dev *dev, uint64_t sector, const void *buf,
	      size_t nsect);
int blk_flush(struct blk_dev *dev);

/* Close the device with the backend (Closing, Closed). */
void blk_close(struct blk_dev *dev);

#endif /* PVOS_BLK_H */

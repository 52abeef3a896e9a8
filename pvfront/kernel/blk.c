/*
 * blk.c: pvos's block device layer: find the disks the toolstack gave us
 * (~/device/vbd/<devid>, reference §4.2) and drive them through the blkif
 * frontend, which owns the handshake, the ring and the grants.
 */
#include <stdint.h>

#include <pvos/blk.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/errno.h>
#include <pvos/kernel.h>
#include <pvos/string.h>

#define VBD_LIST_MAX	1024

static struct blk_dev disk;

/* The lowest numeric devid in ~/device/vbd; -ENOENT if there is none. */
static int first_devid(unsigned int *devid_out)
{
	static char names[VBD_LIST_MAX];
	uint64_t best = UINT64_MAX;
	const char *p = names;
	int n = xenbus_directory(XBT_NIL, "device/vbd", names, sizeof(names));

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++, p += strlen(p) + 1) {
		uint64_t v = 0;
		bool ok = *p != '\0';

		for (const char *c = p; *c && ok; c++) {
			ok = *c >= '0' && *c <= '9' && v < UINT32_MAX / 10;
			v = v * 10 + (uint64_t)(*c - '0');
		}
		if (ok && v < best)
			best = v;
	}
	if (best == UINT64_MAX)
		return -ENOENT;
	*devid_out = (unsigned int)best;
	return 0;
}

int blk_open_first(struct blk_dev **dev_out)
{
	const struct blkfront_info *in;
	unsigned int devid;
	int rc;

	/* blk-persistent=0 turns persistent grants off (for tests). */
	blkfront_offer_persistent(strcmp(cmdline_get("blk-persistent", "1"), "0") != 0);
	blkfront_offer_queues(cmdline_get("blk-queues", ""));
	rc = first_devid(&devid);
	if (rc < 0) {
		printk("blk: no disk under device/vbd (%d)\n", rc);
		return rc;
	}
	rc = blkfront_open(devid, &disk.fe);
	if (rc < 0) {
		int st = blkfront_last_backend_state();

		printk("blk: vbd %u: cannot connect to the backend (%d%s); its "
		       "state was %s: is pvblkback running?\n", devid, rc,
		       rc == -ETIMEDOUT ? ", timed out" : "",
		       st < 0 ? "unknown" : blkfront_state_name(st));
		return rc;
	}
	in = blkfront_get_info(disk.fe);
	disk.info = in;
	disk.devid = devid;
	disk.sectors = in->sectors;
	printk("blk: vbd %u: %lu sectors (%lu MiB) from domain %u %s, %s%s%s%s\n",
	       devid, (unsigned long)in->sectors,
	       (unsigned long)(in->sectors >> 11), (unsigned int)in->backend_id,
	       blkfront_backend(disk.fe), in->readonly ? "read-only" : "read-write",
	       in->flush ? ", flush" : "", in->discard ? ", discard" : "",
	       in->persistent ? ", persistent grants" : ", grants per request");
	*dev_out = &disk;
	return 0;
}

int blk_read(struct blk_dev *dev, uint64_t sector, void *buf, size_t nsect)
{
	return blkfront_io(dev->fe, BLKIF_OP_READ, sector, buf,
			   nsect * BLK_SECTOR_SIZE);
}

int blk_write(struct blk_dev *dev, uint64_t sector, const void *buf,
	      size_t nsect)
{
	/* blkfront only reads buf for a write (it is copied to its pages). */
	return blkfront_io(dev->fe, BLKIF_OP_WRITE, sector, (void *)(uintptr_t)buf,
			   nsect * BLK_SECTOR_SIZE);
}

int blk_flush(struct blk_dev *dev)
{
	return blkfront_flush(dev->fe);
}

void blk_close(struct blk_dev *dev)
{
	blkfront_close(dev->fe);
	dev->fe = NULL;
}

/*
 * blk_cycle.c: init=blk-cycle [n=N], N (default 1000, at most 100000)
 * connect/disconnect cycles of the first disk: each one runs the whole
 * xenbus handshake with the backend (blkfront_open()), reads the first
 * 4 KiB and checks they are what the first cycle read, and closes it
 * (Closing, Closed, both sides). Prints "blk-cycle: N cycles ok" or the
 * cycle that failed, and powers off. For tests/integration/blk-cycle.sh,
 * which counts the backend's descriptors and threads before and after.
 */
#include <stdint.h>

#include <pvos/blk.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/xen.h>

void workload_blk_cycle(void)
{
	struct blk_dev *dev;
	struct blkfront_dev *fe;
	uint8_t *first, *buf;
	unsigned int devid;
	uint64_t n;
	int rc;

	if (cmdline_get_u64("n", 1000, 1, 100000, &n) < 0)
		panic("blk-cycle: n= must be 1..100000");
	first = mm_alloc_pages(2);
	if (!first)
		panic("blk-cycle: no memory");
	buf = first + 4096;
	if (blk_open_first(&dev) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	fe = blk_xen_frontend(dev);
	if (!fe)
		panic("blk-cycle: the first disk is not a PV disk");
	devid = blkfront_get_info(fe)->devid;
	rc = blk_read(dev, 0, first, 8);
	blk_close(dev);
	if (rc < 0)
		panic("blk-cycle: the first read failed (%d)", rc);
	for (uint64_t i = 1; i < n; i++) {
		rc = blkfront_open(devid, &fe);
		if (rc < 0) {
			printk("blk-cycle: cycle %lu: cannot connect (%d)\n", (unsigned long)i, rc);
			kernel_shutdown(SHUTDOWN_crash);
		}
		rc = blkfront_io(fe, BLKIF_OP_READ, 0, buf, 4096);
		blkfront_close(fe);
		if (rc < 0 || memcmp(buf, first, 4096) != 0) {
			printk("blk-cycle: cycle %lu: the read %s (%d)\n", (unsigned long)i,
			       rc < 0 ? "failed" : "differs", rc);
			kernel_shutdown(SHUTDOWN_crash);
		}
	}
	printk("blk-cycle: %lu cycles ok\n", (unsigned long)n);
	kernel_shutdown(SHUTDOWN_poweroff);
}

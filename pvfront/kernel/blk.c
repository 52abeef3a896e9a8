/*
 * blk.c: pvos's block device layer. blk_open_first() picks the disk the
 * command line asks for (pvos/blk.h), and every blk_*() call goes through
 * that disk's ops table:
 *
 *  - xen: the disks the toolstack gave us (~/device/vbd/<devid>,
 *    reference §4.2), driven through the blkif frontend, which owns the
 *    handshake, the ring and the grants. A blk_req carries its ring
 *    request, so submitting costs a few stores and one indirect call on
 *    top of blkfront_submit();
 *  - ide: the ATA master of the primary channel (legacy/ata.c). Its
 *    commands complete while the port write that starts them traps, so a
 *    submit does the whole I/O and leaves the request for the next
 *    blk_wait() to report: at most one in flight.
 */
#include <stdint.h>

#include <public/pvh_ioreq.h>
#include <pvos/ata.h>
#include <pvos/blk.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/errno.h>
#include <pvos/kernel.h>
#include <pvos/string.h>

#define VBD_LIST_MAX	1024
/* What one ide request may carry: blkbench's largest I/O. */
#define IDE_MAX_REQ_BYTES	(1024u * 1024u)

static struct blk_dev disk;

/* ---- xen: blkfront ---- */

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

static int xen_rw(struct blk_dev *dev, bool write, uint64_t sector, void *buf,
		  size_t nsect)
{
	return blkfront_io(dev->priv, write ? BLKIF_OP_WRITE : BLKIF_OP_READ,
			   sector, buf, nsect * BLK_SECTOR_SIZE);
}

static int xen_flush(struct blk_dev *dev)
{
	return blkfront_flush(dev->priv);
}

static void xen_done(struct blkfront_req *fe)
{
	struct blk_req *req = fe->data;

	req->status = fe->status;
	if (req->done)
		req->done(req);
}

static int xen_submit(struct blk_dev *dev, struct blk_req *req)
{
	static const uint8_t ops[] = {
		[BLK_OP_READ] = BLKIF_OP_READ, [BLK_OP_WRITE] = BLKIF_OP_WRITE,
		[BLK_OP_FLUSH] = BLKIF_OP_FLUSH_DISKCACHE,
	};

	req->fe = (struct blkfront_req){
		.op = ops[req->op], .sector = req->sector, .buf = req->buf,
		.len = req->len, .done = xen_done, .data = req,
	};
	req->status = 1;
	return blkfront_submit(dev->priv, &req->fe);
}

static int xen_wait(struct blk_dev *dev)
{
	return blkfront_outstanding(dev->priv) ? blkfront_wait(dev->priv) : 0;
}

static void xen_close(struct blk_dev *dev)
{
	blkfront_close(dev->priv);
}

static const struct blk_ops xen_ops = {
	.kind = "xen", .rw = xen_rw, .flush = xen_flush, .submit = xen_submit,
	.wait = xen_wait, .close = xen_close,
};

struct blkfront_dev *blk_xen_frontend(struct blk_dev *dev)
{
	return dev->ops == &xen_ops ? dev->priv : NULL;
}

static int open_xen(unsigned int devid)
{
	const struct blkfront_info *in;
	struct blkfront_dev *fe;
	int rc;

	/* blk-persistent=0 turns persistent grants off (for tests). */
	blkfront_offer_persistent(strcmp(cmdline_get("blk-persistent", "1"), "0") != 0);
	blkfront_offer_queues(cmdline_get("blk-queues", ""));
	rc = blkfront_open(devid, &fe);
	if (rc < 0) {
		int st = blkfront_last_backend_state();

		printk("blk: vbd %u: cannot connect to the backend (%d%s); its "
		       "state was %s: is pvblkback running?\n", devid, rc,
		       rc == -ETIMEDOUT ? ", timed out" : "",
		       st < 0 ? "unknown" : blkfront_state_name(st));
		return rc;
	}
	in = blkfront_get_info(fe);
	disk = (struct blk_dev){
		.ops = &xen_ops, .priv = fe, .sectors = in->sectors,
		.readonly = in->readonly, .max_inflight = blkfront_slots(),
		.max_req_bytes = BLKFRONT_MAX_BYTES,
	};
	printk("blk: vbd %u: %lu sectors (%lu MiB) from domain %u %s, %s%s%s%s\n",
	       devid, (unsigned long)in->sectors,
	       (unsigned long)(in->sectors >> 11), (unsigned int)in->backend_id,
	       blkfront_backend(fe), in->readonly ? "read-only" : "read-write",
	       in->flush ? ", flush" : "", in->discard ? ", discard" : "",
	       in->persistent ? ", persistent grants" : ", grants per request");
	return 0;
}

/* ---- ide: legacy/ata.c ---- */

static struct ata_dev ata;

static int ide_rw(struct blk_dev *dev, bool write, uint64_t sector, void *buf,
		  size_t nsect)
{
	return write ? ata_write(dev->priv, sector, buf, nsect) :
		       ata_read(dev->priv, sector, buf, nsect);
}

static int ide_flush(struct blk_dev *dev)
{
	return ata_flush(dev->priv);
}

/* The whole I/O happens here; blk_wait() reports it. */
static int ide_submit(struct blk_dev *dev, struct blk_req *req)
{
	if (dev->completed)
		return -EBUSY;
	if (req->op == BLK_OP_FLUSH)
		req->status = ata_flush(dev->priv);
	else
		req->status = ide_rw(dev, req->op == BLK_OP_WRITE, req->sector,
				     req->buf, req->len / BLK_SECTOR_SIZE);
	dev->completed = req;
	return 0;
}

static int ide_wait(struct blk_dev *dev)
{
	struct blk_req *req = dev->completed;

	dev->completed = NULL;
	if (req && req->done)
		req->done(req);
	return 0;
}

static void ide_close(struct blk_dev *dev)
{
	ide_wait(dev);
}

static const struct blk_ops ide_ops = {
	.kind = "ide", .rw = ide_rw, .flush = ide_flush, .submit = ide_submit,
	.wait = ide_wait, .close = ide_close,
};

/* ata-mode=pio|dma; DMA by default, PIO when it is impossible. */
static int ide_mode(void)
{
	const char *want = cmdline_get("ata-mode", "");
	int rc;

	if (strcmp(want, "pio") == 0)
		return ata_set_mode(&ata, ATA_MODE_PIO);
	if (*want && strcmp(want, "dma") != 0) {
		printk("blk: ata-mode=%s: want pio or dma\n", want);
		return -EINVAL;
	}
	rc = ata_set_mode(&ata, ATA_MODE_DMA);
	if (rc == 0 || *want)
		return rc;
	printk("blk: ide: DMA not possible (%d), using PIO\n", rc);
	return ata_set_mode(&ata, ATA_MODE_PIO);
}

static void ide_line(void)
{
	const struct ata_identity *id = &ata.id;

	printk("blk: ide %#x master: \"%s\" serial \"%s\" firmware \"%s\", %lu "
	       "sectors (%lu MiB), %s%s, mode %s\n", ata.cmd, id->model,
	       id->serial, id->firmware, (unsigned long)id->sectors,
	       (unsigned long)(id->sectors >> 11), id->lba48 ? "lba48" : "lba28",
	       id->flush_ext ? ", flush ext" : id->flush ? ", flush" : "",
	       ata_mode_name(ata.mode));
}

/* After a successful ata_probe(). */
static int open_ide(void)
{
	int rc = ide_mode();

	if (rc < 0)
		return rc;
	disk = (struct blk_dev){
		.ops = &ide_ops, .priv = &ata, .sectors = ata.id.sectors,
		.max_inflight = 1, .max_req_bytes = IDE_MAX_REQ_BYTES,
	};
	ide_line();
	return 0;
}

static int probe_ide(void)
{
	return ata_probe(&ata, PVH_IDE_CMD_BASE, PVH_IDE_CTL_PORT, PVH_IDE_BM_BASE);
}

/* ---- selection and dispatch ---- */

static int open_selected(const char *want)
{
	unsigned int devid;
	int rc;

	if (strcmp(want, "xen") == 0) {
		rc = first_devid(&devid);
		if (rc < 0)
			printk("blk: blk=xen: no disk under device/vbd (%d)\n", rc);
		return rc < 0 ? rc : open_xen(devid);
	}
	if (strcmp(want, "ide") == 0) {
		rc = probe_ide();
		if (rc == -ENODEV)
			printk("blk: blk=ide: no ATA controller (status port %#x reads 0xff)\n",
			       PVH_IDE_CMD_BASE + ATA_REG_STATUS);
		return rc < 0 ? rc : open_ide();
	}
	printk("blk: blk=%s: want xen or ide\n", want);
	return -EINVAL;
}

int blk_open_first(struct blk_dev **dev_out)
{
	const char *want = cmdline_get("blk", "");
	unsigned int devid;
	int rc;

	if (*want)
		rc = open_selected(want);
	else if (first_devid(&devid) == 0)
		rc = open_xen(devid);
	else if ((rc = probe_ide()) == 0)
		rc = open_ide();
	else if (rc == -ENODEV)
		printk("blk: no disk: nothing under device/vbd and no ATA disk\n");
	if (rc == 0)
		*dev_out = &disk;
	return rc;
}

int blk_read(struct blk_dev *dev, uint64_t sector, void *buf, size_t nsect)
{
	return dev->ops->rw(dev, false, sector, buf, nsect);
}

int blk_write(struct blk_dev *dev, uint64_t sector, const void *buf,
	      size_t nsect)
{
	/* Both kinds only read buf for a write. */
	return dev->ops->rw(dev, true, sector, (void *)(uintptr_t)buf, nsect);
}

int blk_flush(struct blk_dev *dev)
{
	return dev->ops->flush(dev);
}

int blk_submit(struct blk_dev *dev, struct blk_req *req)
{
	if (req->op != BLK_OP_FLUSH &&
	    (req->op > BLK_OP_FLUSH || req->len == 0 ||
	     req->len % BLK_SECTOR_SIZE || req->len > dev->max_req_bytes))
		return -EINVAL;
	return dev->ops->submit(dev, req);
}

int blk_wait(struct blk_dev *dev)
{
	return dev->ops->wait(dev);
}

void blk_close(struct blk_dev *dev)
{
	dev->ops->close(dev);
	dev->priv = NULL;
}

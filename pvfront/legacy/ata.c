/*
 * ata.c: a legacy ATA disk driver, the way a driver for a real PC's IDE
 * channel works, for the emulated controller of pvdm (pvh_ioreq.h).
 *
 * The flow (pvos/ata.h has the API):
 *  1. probe: a status register reading 0xff is a floating bus (no
 *     controller; a domain without a device model reads all ones); the
 *     command block must hold what we write into it; soft reset (SRST);
 *     the reset signature must be an ATA device's; IDENTIFY DEVICE, whose
 *     256 words are checked and decoded by ata_parse_identify();
 *  2. ata_set_mode(): PIO, or DMA through the SFF-8038i bus master with a
 *     one-page PRD table and bounce pages below 4 GiB; SET FEATURES picks
 *     the fastest transfer mode the drive reports;
 *  3. each command: wait for BSY and DRQ to clear, write the taskfile
 *     (LBA28 when it fits, else LBA48), write the command, wait 400 ns;
 *     PIO then moves each sector with rep insw/outsw after its DRQ, DMA
 *     starts the bus master and polls its status and the drive's; the
 *     final status must have BSY, DRQ, ERR and DF clear.
 *
 * No interrupts are delivered (nIEN is set): every wait polls, and every
 * poll is bounded by a deadline and by a count of reads, so a device that
 * stays busy or lies costs a timeout. The drive's answers are never
 * trusted beyond the register read: counts and sizes come from us.
 */
#include <stdint.h>

#include <pvos/arch.h>
#include <pvos/ata.h>
#include <pvos/console.h>
#include <pvos/errno.h>
#include <pvos/hypercall.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/time.h>

#include "pio.h"

#define CMD_TIMEOUT_NS		(5 * NSEC_PER_SEC)
#define FLUSH_TIMEOUT_NS	(30 * NSEC_PER_SEC)
#define RESET_TIMEOUT_NS	(5 * NSEC_PER_SEC)
/* Checks of a clock that does not move before a deadline counts as passed. */
#define CLOCK_STILL_MAX		10000ul
#define LBA28_LIMIT		(1ull << 28)
#define DMA_LIMIT		(1ull << 32)

/* ---- identify data ---- */

/* ATA strings hold two characters per word, the first in the high byte. */
static void id_string(const uint16_t *w, unsigned int nwords, char *out)
{
	size_t start = 0, end = 0;

	for (unsigned int i = 0; i < nwords; i++) {
		out[2 * i] = (char)(w[i] >> 8);
		out[2 * i + 1] = (char)(w[i] & 0xff);
	}
	for (size_t i = 0; i < 2 * nwords; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			out[i] = '?';
	while (start < 2 * nwords && out[start] == ' ')
		start++;
	for (size_t i = start; i < 2 * nwords; i++)
		if (out[i] != ' ')
			end = i + 1;
	if (end < start)
		end = start;
	memmove(out, out + start, end - start);
	out[end - start] = '\0';
}

static int highest_bit(unsigned int v)
{
	int b = -1;

	for (; v; v >>= 1)
		b++;
	return b;
}

static bool word_valid(uint16_t w)
{
	return (w & 0xc000) == 0x4000;
}

static void id_modes(const uint16_t *w, struct ata_identity *id)
{
	id->dma = w[49] & (1u << 8);
	id->udma_max = (w[53] & 4) ? highest_bit(w[88] & 0x7f) : -1;
	id->mwdma_max = highest_bit(w[63] & 7);
	if ((w[53] & 2) && (w[64] & 3))
		id->pio_max = (w[64] & 2) ? 4 : 3;
	else
		id->pio_max = (w[51] >> 8) > 2 ? 2 : w[51] >> 8;
}

int ata_parse_identify(const uint16_t w[256], struct ata_identity *id,
		       const char **why_out)
{
	uint64_t lba48 = 0;
	uint8_t sum = 0;

	memset(id, 0, sizeof(*id));
	*why_out = "";
	if (w[0] & 0x8000) {
		*why_out = "not an ATA device (word 0 bit 15)";
		return -ENODEV;
	}
	if ((w[255] & 0xff) == 0xa5) {
		for (unsigned int i = 0; i < 256; i++)
			sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
		if (sum != 0) {
			*why_out = "identify checksum (word 255) is wrong";
			return -EINVAL;
		}
	}
	if (!(w[49] & (1u << 9))) {
		*why_out = "no LBA addressing (word 49 bit 9)";
		return -EINVAL;
	}
	if (word_valid(w[106]) && (w[106] & (1u << 12)) &&
	    (w[117] | (uint32_t)w[118] << 16) != 256) {
		*why_out = "logical sectors are not 512 bytes (words 106, 117-118)";
		return -EINVAL;
	}
	for (int i = 3; i >= 0; i--)
		lba48 = lba48 << 16 | w[100 + i];
	if (word_valid(w[83])) {
		id->lba48 = (w[83] & (1u << 10)) && lba48 != 0;
		id->flush = w[83] & (1u << 12);
		id->flush_ext = id->lba48 && (w[83] & (1u << 13));
	}
	id->sectors = id->lba48 ? lba48 : (w[60] | (uint32_t)w[61] << 16);
	if (id->sectors == 0) {
		*why_out = "zero capacity (words 60-61, 100-103)";
		return -EINVAL;
	}
	id_modes(w, id);
	id_string(w + 27, 20, id->model);
	id_string(w + 10, 10, id->serial);
	id_string(w + 23, 4, id->firmware);
	return 0;
}

/* ---- PRD tables ---- */

int ata_prd_build(struct ata_prd *table, unsigned int max, uint64_t paddr,
		  size_t len)
{
	unsigned int n = 0;

	if (len == 0 || (len & 1) || (paddr & 1) || paddr >= DMA_LIMIT ||
	    len > DMA_LIMIT - paddr)
		return -EINVAL;
	while (len) {
		size_t room = ATA_PRD_MAX_BYTES - (size_t)(paddr & (ATA_PRD_MAX_BYTES - 1));
		size_t chunk = len < room ? len : room;

		if (n == max)
			return -EINVAL;
		table[n].addr = (uint32_t)paddr;
		table[n].count = (uint16_t)chunk;	/* 64 KiB is 0 */
		table[n].flags = 0;
		paddr += chunk;
		len -= chunk;
		n++;
	}
	table[n - 1].flags = ATA_PRD_EOT;
	return (int)n;
}

/* ---- registers and waits ---- */

static uint8_t read_status(struct ata_dev *d)
{
	return d->status = inb(d->cmd + ATA_REG_STATUS);
}

static uint8_t read_error(struct ata_dev *d)
{
	return d->error = inb(d->cmd + ATA_REG_ERROR);
}

/*
 * A deadline for a poll. It also passes after CLOCK_STILL_MAX checks that
 * saw the clock stand still, so a missing clock cannot make a poll endless.
 */
struct deadline {
	uint64_t end, last;
	unsigned long still;
};

static struct deadline deadline_in(uint64_t ns)
{
	uint64_t now = time_now_ns();

	return (struct deadline){ .end = now + ns, .last = now };
}

static bool deadline_passed(struct deadline *dl)
{
	uint64_t now = time_now_ns();

	if (now != dl->last) {
		dl->last = now;
		dl->still = 0;
	} else if (++dl->still >= CLOCK_STILL_MAX) {
		return true;
	}
	return now > dl->end;
}

static void delay_ns(uint64_t ns)
{
	struct deadline dl = deadline_in(ns);

	while (!deadline_passed(&dl))
		arch_cpu_relax();
}

/* The 400 ns a device may take to raise BSY after a command or select. */
static void pause400(struct ata_dev *d)
{
	struct deadline dl = deadline_in(400);

	(void)inb(d->ctl);
	while (!deadline_passed(&dl))
		arch_cpu_relax();
}

/* Poll the status register until BSY clears: 0 or -ETIMEDOUT. */
static int wait_not_busy(struct ata_dev *d, uint64_t timeout_ns)
{
	struct deadline dl = deadline_in(timeout_ns);

	while (read_status(d) & ATA_SR_BSY) {
		if (deadline_passed(&dl))
			return -ETIMEDOUT;
		arch_cpu_relax();
	}
	return 0;
}

static const char *cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case ATA_CMD_READ_SECTORS:	return "READ SECTORS";
	case ATA_CMD_READ_SECTORS_EXT:	return "READ SECTORS EXT";
	case ATA_CMD_READ_DMA:		return "READ DMA";
	case ATA_CMD_READ_DMA_EXT:	return "READ DMA EXT";
	case ATA_CMD_WRITE_SECTORS:	return "WRITE SECTORS";
	case ATA_CMD_WRITE_SECTORS_EXT:	return "WRITE SECTORS EXT";
	case ATA_CMD_WRITE_DMA:		return "WRITE DMA";
	case ATA_CMD_WRITE_DMA_EXT:	return "WRITE DMA EXT";
	case ATA_CMD_FLUSH_CACHE:	return "FLUSH CACHE";
	case ATA_CMD_FLUSH_CACHE_EXT:	return "FLUSH CACHE EXT";
	case ATA_CMD_IDENTIFY:		return "IDENTIFY DEVICE";
	case ATA_CMD_SET_FEATURES:	return "SET FEATURES";
	default:			return "command";
	}
}

/* The error register's bits by name, into buf. */
static const char *error_bits(uint8_t err, char *buf, size_t size)
{
	static const struct { uint8_t bit; const char *name; } bits[] = {
		{ ATA_ER_ICRC, "ICRC" }, { ATA_ER_UNC, "UNC" },
		{ 0x20, "MC" }, { ATA_ER_IDNF, "IDNF" }, { 0x08, "MCR" },
		{ ATA_ER_ABRT, "ABRT" }, { 0x02, "NM" }, { 0x01, "AMNF" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		size_t len = strlen(bits[i].name);

		if (!(err & bits[i].bit) || used + len + 2 > size)
			continue;
		if (used)
			buf[used++] = ' ';
		memcpy(buf + used, bits[i].name, len + 1);
		used += len;
	}
	return used ? buf : "none";
}

/* A taskfile: what one command carries. */
struct tf {
	uint8_t command, features;
	uint64_t lba;
	uint32_t count;		/* sectors; 0 for non-data commands */
	bool ext;
};

/*
 * One line about a failed command and the errno for it. why says what
 * went wrong when it is not the device's ERR/DF.
 */
static int fail(struct ata_dev *d, const struct tf *tf, int rc, const char *why)
{
	char bits[48];

	d->errors++;
	d->prd_loaded = false;	/* rewrite it after any trouble */
	printk("ata: %s at lba %lu count %u failed (%d): %s, status %#x error %#x (%s)\n",
	       cmd_name(tf->command), (unsigned long)tf->lba, tf->count, rc, why,
	       d->status, d->error, error_bits(d->error, bits, sizeof(bits)));
	return rc;
}

/* After BSY cleared: ERR/DF is the device's error; DRQ must be want_drq. */
static int check_status(struct ata_dev *d, const struct tf *tf, bool want_drq)
{
	uint8_t st = d->status;

	if (st & (ATA_SR_ERR | ATA_SR_DF)) {
		read_error(d);
		return fail(d, tf, -EIO, st & ATA_SR_DF ? "device fault" :
			    "the device reported an error");
	}
	d->error = 0;
	if (!!(st & ATA_SR_DRQ) != want_drq)
		return fail(d, tf, -EIO, want_drq ? "no data request (DRQ clear)" :
			    "data request left over (DRQ set)");
	return 0;
}

static int wait_check(struct ata_dev *d, const struct tf *tf, bool want_drq,
		      uint64_t timeout_ns)
{
	if (wait_not_busy(d, timeout_ns) < 0) {
		d->error = 0;
		return fail(d, tf, -ETIMEDOUT, "still busy at the deadline");
	}
	return check_status(d, tf, want_drq);
}

/* Write the taskfile and the command (ATA8-APT: device idle first). */
static int issue(struct ata_dev *d, const struct tf *tf)
{
	uint16_t c = d->cmd;
	int rc = wait_check(d, tf, false, CMD_TIMEOUT_NS);

	if (rc < 0)
		return rc;
	d->commands++;
	if (tf->ext) {
		outb(ATA_DEV_OBS | ATA_DEV_LBA, c + ATA_REG_DEVICE);
		outb(0, c + ATA_REG_FEATURES);
		outb((uint8_t)(tf->count >> 8), c + ATA_REG_COUNT);
		outb((uint8_t)(tf->lba >> 24), c + ATA_REG_LBA_LOW);
		outb((uint8_t)(tf->lba >> 32), c + ATA_REG_LBA_MID);
		outb((uint8_t)(tf->lba >> 40), c + ATA_REG_LBA_HIGH);
	} else {
		outb(ATA_DEV_OBS | ATA_DEV_LBA | (uint8_t)((tf->lba >> 24) & 0xf),
		     c + ATA_REG_DEVICE);
	}
	outb(tf->features, c + ATA_REG_FEATURES);
	outb((uint8_t)tf->count, c + ATA_REG_COUNT);
	outb((uint8_t)tf->lba, c + ATA_REG_LBA_LOW);
	outb((uint8_t)(tf->lba >> 8), c + ATA_REG_LBA_MID);
	outb((uint8_t)(tf->lba >> 16), c + ATA_REG_LBA_HIGH);
	outb(tf->command, c + ATA_REG_COMMAND);
	pause400(d);
	return 0;
}

/* A command without data: issue, then the final status. */
static int non_data(struct ata_dev *d, const struct tf *tf, uint64_t timeout_ns)
{
	int rc = issue(d, tf);

	return rc < 0 ? rc : wait_check(d, tf, false, timeout_ns);
}

/* ---- PIO ---- */

/* Each sector: BSY clear, DRQ set, 256 words through the data port. */
static int pio_xfer(struct ata_dev *d, const struct tf *tf, bool write, uint8_t *buf)
{
	uint16_t data = d->cmd + ATA_REG_DATA;
	int rc = issue(d, tf);

	for (uint32_t i = 0; rc == 0 && i < tf->count; i++) {
		rc = wait_check(d, tf, true, CMD_TIMEOUT_NS);
		if (rc < 0)
			break;
		if (write)
			outsw(data, buf + (size_t)i * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE / 2);
		else
			insw(data, buf + (size_t)i * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE / 2);
	}
	return rc < 0 ? rc : wait_check(d, tf, false, CMD_TIMEOUT_NS);
}

/* ---- bus-master DMA ---- */

/* Whether the bus master can reach buf directly (even, below 4 GiB). */
static bool dma_reachable(const void *buf, size_t len)
{
	uint64_t pa = virt_to_phys(buf);

	return !((uintptr_t)buf & 1) && pa < DMA_LIMIT && len <= DMA_LIMIT - pa;
}

/* Poll the bus master until it raised IRQ, stopped, or the drive failed. */
static uint8_t dma_wait(struct ata_dev *d)
{
	struct deadline dl = deadline_in(CMD_TIMEOUT_NS);

	for (;;) {
		uint8_t bms = inb(d->bm + ATA_BM_STATUS), st;

		if ((bms & (ATA_BMS_IRQ | ATA_BMS_ERROR)) || !(bms & ATA_BMS_ACTIVE))
			return bms;
		st = inb(d->ctl);
		if ((!(st & ATA_SR_BSY) && (st & (ATA_SR_ERR | ATA_SR_DF))) ||
		    deadline_passed(&dl))
			return bms;
		arch_cpu_relax();
	}
}

static int dma_xfer(struct ata_dev *d, const struct tf *tf, bool write, void *buf)
{
	size_t len = (size_t)tf->count * ATA_SECTOR_SIZE;
	uint8_t dir = write ? 0 : ATA_BMC_TO_MEMORY, bms;
	int n = ata_prd_build(d->prd, ATA_PRD_TABLE_ENTRIES, virt_to_phys(buf), len);
	int rc;

	if (n < 0)
		return fail(d, tf, -EINVAL, "buffer cannot be described in PRD entries");
	if (!d->prd_loaded) {
		outl((uint32_t)virt_to_phys(d->prd), d->bm + ATA_BM_PRD_ADDR);
		d->prd_loaded = true;
	}
	outb(dir, d->bm + ATA_BM_COMMAND);
	bms = inb(d->bm + ATA_BM_STATUS);
	outb(bms | ATA_BMS_IRQ | ATA_BMS_ERROR, d->bm + ATA_BM_STATUS);
	rc = issue(d, tf);
	if (rc < 0)
		return rc;
	outb(dir | ATA_BMC_START, d->bm + ATA_BM_COMMAND);
	bms = dma_wait(d);
	outb(dir, d->bm + ATA_BM_COMMAND);
	outb(bms | ATA_BMS_IRQ | ATA_BMS_ERROR, d->bm + ATA_BM_STATUS);
	rc = wait_check(d, tf, false, CMD_TIMEOUT_NS);
	if (rc < 0)
		return rc;
	if (bms & ATA_BMS_ERROR)
		return fail(d, tf, -EIO, "bus master error (BM status bit 1)");
	if (!(bms & ATA_BMS_IRQ))
		return fail(d, tf, -EIO, (bms & ATA_BMS_ACTIVE) ?
			    "bus master still active at the deadline" :
			    "bus master stopped without completion");
	return 0;
}

/* DMA into/out of the bounce pages, for buffers the bus master can't reach. */
static int dma_bounced(struct ata_dev *d, const struct tf *tf, bool write, uint8_t *buf)
{
	size_t len = (size_t)tf->count * ATA_SECTOR_SIZE;
	int rc;

	if (write)
		memcpy(d->bounce, buf, len);
	rc = dma_xfer(d, tf, write, d->bounce);
	if (rc == 0 && !write)
		memcpy(buf, d->bounce, len);
	return rc;
}

/* ---- commands ---- */

static struct tf rw_tf(const struct ata_dev *d, bool write, uint64_t lba, uint32_t n)
{
	static const uint8_t cmds[2][2][2] = {	/* [dma][write][ext] */
		{ { ATA_CMD_READ_SECTORS, ATA_CMD_READ_SECTORS_EXT },
		  { ATA_CMD_WRITE_SECTORS, ATA_CMD_WRITE_SECTORS_EXT } },
		{ { ATA_CMD_READ_DMA, ATA_CMD_READ_DMA_EXT },
		  { ATA_CMD_WRITE_DMA, ATA_CMD_WRITE_DMA_EXT } },
	};
	bool ext = !(lba + n < LBA28_LIMIT && n <= ATA_LBA28_MAX_SECTORS);

	return (struct tf){
		.command = cmds[d->mode == ATA_MODE_DMA][write][ext],
		.lba = lba, .count = n, .ext = ext,
	};
}

/* Sectors one command may cover starting at buf. */
static size_t per_command(const struct ata_dev *d, const void *buf)
{
	size_t max = d->id.lba48 ? ATA_LBA48_MAX_SECTORS : ATA_LBA28_MAX_SECTORS;

	if (d->mode == ATA_MODE_PIO)
		return max;
	if (max > ATA_DMA_MAX_SECTORS)
		max = ATA_DMA_MAX_SECTORS;
	if (!dma_reachable(buf, max * ATA_SECTOR_SIZE))
		max = ATA_BOUNCE_PAGES * 4096 / ATA_SECTOR_SIZE;
	return max;
}

static int rw(struct ata_dev *d, bool write, uint64_t lba, uint8_t *buf, size_t nsect)
{
	if (lba > d->id.sectors || nsect > d->id.sectors - lba) {
		printk("ata: %s of %lu sectors at lba %lu is past the end (%lu sectors)\n",
		       write ? "write" : "read", (unsigned long)nsect,
		       (unsigned long)lba, (unsigned long)d->id.sectors);
		return -EINVAL;
	}
	while (nsect) {
		size_t max = per_command(d, buf), n = nsect < max ? nsect : max;
		struct tf tf = rw_tf(d, write, lba, (uint32_t)n);
		int rc;

		if (d->mode == ATA_MODE_PIO)
			rc = pio_xfer(d, &tf, write, buf);
		else if (dma_reachable(buf, n * ATA_SECTOR_SIZE))
			rc = dma_xfer(d, &tf, write, buf);
		else
			rc = dma_bounced(d, &tf, write, buf);
		if (rc < 0)
			return rc;
		lba += n;
		buf += n * ATA_SECTOR_SIZE;
		nsect -= n;
	}
	return 0;
}

int ata_read(struct ata_dev *d, uint64_t lba, void *buf, size_t nsect)
{
	return rw(d, false, lba, buf, nsect);
}

int ata_write(struct ata_dev *d, uint64_t lba, const void *buf, size_t nsect)
{
	/* Only read from for a write; the cast keeps one transfer path. */
	return rw(d, true, lba, (uint8_t *)(uintptr_t)buf, nsect);
}

int ata_flush(struct ata_dev *d)
{
	struct tf tf = { .command = ATA_CMD_FLUSH_CACHE };

	if (!d->id.flush && !d->id.flush_ext)
		return 0;
	if (d->id.flush_ext) {
		tf.command = ATA_CMD_FLUSH_CACHE_EXT;
		tf.ext = true;
	}
	return non_data(d, &tf, FLUSH_TIMEOUT_NS);
}

/* ---- probe and mode ---- */

/* SRST, then BSY must clear; the device is selected again afterwards. */
static int soft_reset(struct ata_dev *d)
{
	outb(ATA_CTL_NIEN | ATA_CTL_SRST, d->ctl);
	delay_ns(5 * NSEC_PER_USEC);
	outb(ATA_CTL_NIEN, d->ctl);
	delay_ns(2 * NSEC_PER_MSEC);
	if (wait_not_busy(d, RESET_TIMEOUT_NS) < 0) {
		printk("ata: %#x: still busy %lu ms after a soft reset (status %#x)\n",
		       d->cmd, (unsigned long)(RESET_TIMEOUT_NS / NSEC_PER_MSEC), d->status);
		return -ETIMEDOUT;
	}
	outb(ATA_DEV_OBS, d->cmd + ATA_REG_DEVICE);
	pause400(d);
	return 0;
}

/* The command block keeps what is written to it, if anything is there. */
static bool registers_hold(struct ata_dev *d)
{
	outb(0x55, d->cmd + ATA_REG_COUNT);
	outb(0xaa, d->cmd + ATA_REG_LBA_LOW);
	return inb(d->cmd + ATA_REG_COUNT) == 0x55 &&
	       inb(d->cmd + ATA_REG_LBA_LOW) == 0xaa;
}

/* After reset, LBA mid/high hold the signature: 00/00 PATA, 3c/c3 SATA. */
static int check_signature(struct ata_dev *d)
{
	uint8_t mid = inb(d->cmd + ATA_REG_LBA_MID);
	uint8_t high = inb(d->cmd + ATA_REG_LBA_HIGH);

	if ((mid == 0 && high == 0) || (mid == 0x3c && high == 0xc3))
		return 0;
	printk("ata: %#x: master has signature %02x/%02x (%s), not an ATA disk\n",
	       d->cmd, mid, high, mid == 0x14 && high == 0xeb ? "ATAPI" : "unknown");
	return -ENODEV;
}

static int identify(struct ata_dev *d)
{
	static uint16_t words[256];
	struct tf tf = { .command = ATA_CMD_IDENTIFY };
	const char *why;
	int rc = issue(d, &tf);

	if (rc == 0)
		rc = wait_check(d, &tf, true, CMD_TIMEOUT_NS);
	if (rc < 0)
		return rc;
	insw(d->cmd + ATA_REG_DATA, words, 256);
	rc = wait_check(d, &tf, false, CMD_TIMEOUT_NS);
	if (rc < 0)
		return rc;
	rc = ata_parse_identify(words, &d->id, &why);
	if (rc < 0)
		printk("ata: %#x: cannot use the master: %s\n", d->cmd, why);
	return rc;
}

int ata_probe(struct ata_dev *d, uint16_t cmd, uint16_t ctl, uint16_t bm)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->cmd = cmd;
	d->ctl = ctl;
	d->bm = bm;
	d->mode = ATA_MODE_PIO;
	if (read_status(d) == 0xff)
		return -ENODEV;	/* floating bus: nothing there */
	if (!registers_hold(d)) {
		printk("ata: %#x: the command block does not hold its values: no device\n", cmd);
		return -ENODEV;
	}
	rc = soft_reset(d);
	if (rc == 0)
		rc = check_signature(d);
	if (rc == 0)
		rc = identify(d);
	if (rc < 0)
		return rc;
	d->has_bm = inb(bm + ATA_BM_STATUS) != 0xff;
	return 0;
}

/* The mode value SET FEATURES takes for the fastest mode of this kind. */
static uint8_t xfer_mode_value(const struct ata_identity *id, enum ata_mode mode)
{
	if (mode == ATA_MODE_PIO)
		return (uint8_t)(0x08 | id->pio_max);
	if (id->udma_max >= 0)
		return (uint8_t)(0x40 | id->udma_max);
	return (uint8_t)(0x20 | (id->mwdma_max >= 0 ? id->mwdma_max : 0));
}

static bool below_4g(const void *p, size_t len)
{
	return p && dma_reachable(p, len);
}

static int dma_buffers(struct ata_dev *d)
{
	if (!d->prd)
		d->prd = mm_alloc_pages(1);
	if (!d->bounce)
		d->bounce = mm_alloc_pages(ATA_BOUNCE_PAGES);
	if (!below_4g(d->prd, 4096) || !below_4g(d->bounce, ATA_BOUNCE_PAGES * 4096)) {
		printk("ata: no memory below 4 GiB for the PRD table and bounce pages\n");
		return -ENOMEM;
	}
	d->prd_loaded = false;
	return 0;
}

int ata_set_mode(struct ata_dev *d, enum ata_mode mode)
{
	struct tf tf = { .command = ATA_CMD_SET_FEATURES,
			 .features = ATA_SETFEAT_XFER_MODE };
	int rc;

	if (mode == ATA_MODE_DMA) {
		if (!d->id.dma || !d->has_bm) {
			printk("ata: %#x: no DMA: %s\n", d->cmd, !d->id.dma ?
			       "the drive does not support it (word 49 bit 8)" :
			       "no bus master answers at its base");
			return -ENODEV;
		}
		rc = dma_buffers(d);
		if (rc < 0)
			return rc;
	}
	tf.count = xfer_mode_value(&d->id, mode);
	/* The mode rides in the count register; no data moves. */
	if (non_data(d, &tf, CMD_TIMEOUT_NS) < 0)
		printk("ata: %#x: transfer mode %#x refused; keeping the drive's own\n",
		       d->cmd, tf.count);
	d->mode = mode;
	return 0;
}

const char *ata_mode_name(enum ata_mode mode)
{
	return mode == ATA_MODE_DMA ? "dma" : "pio";
}

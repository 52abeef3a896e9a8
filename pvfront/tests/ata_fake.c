/*
 * ata_fake.c: the fake IDE channel of ata_fake.h, serving fakeio/pio.h.
 *
 * Registers: the command block at 0x1f0 with the LBA48 "previous" bytes
 * (HOB) kept on each write, the control block at 0x3f6 (SRST, alternate
 * status), the bus master at PVH_IDE_BM_BASE. A PIO data phase moves one
 * sector per DRQ through the 16-bit data port. A DMA transfer walks the
 * PRD table in guest memory and checks each entry against SFF-8038i.
 */
#include <stdint.h>
#include <string.h>

#include <public/pvh_ioreq.h>
#include <public/pvh_layout.h>
#include <pvos/ata.h>

#include "ata_fake.h"
#include "pio.h"

struct fake_ata fake;

static struct {
	uint8_t feat[2], count[2], lbal[2], lbam[2], lbah[2];	/* [0] current */
	uint8_t device, status, error, ctl;
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
	/* A pending DMA command, run when the bus master starts. */
	bool dma_pending, dma_write;
	uint64_t lba;
	uint32_t left;			/* sectors in the data phase */
	bool pio_write, identify;
	uint8_t sector[512];
	unsigned int pos;		/* bytes of sector moved */
} r;

static uint8_t low[FAKE_SECTORS * 512], high[FAKE_HIGH_SECTORS * 512];

uint8_t *fake_sector(uint64_t lba)
{
	if (lba < FAKE_SECTORS)
		return low + lba * 512;
	if (lba >= FAKE_HIGH_LBA && lba < FAKE_HIGH_LBA + FAKE_HIGH_SECTORS)
		return high + (lba - FAKE_HIGH_LBA) * 512;
	return NULL;
}

static void put_string(uint16_t *w, unsigned int nwords, const char *s)
{
	char buf[64];

	memset(buf, ' ', sizeof(buf));
	memcpy(buf, s, strlen(s));
	for (unsigned int i = 0; i < nwords; i++)
		w[i] = (uint16_t)((uint8_t)buf[2 * i] << 8 | (uint8_t)buf[2 * i + 1]);
}

void fake_identify(uint16_t w[256], bool lba48)
{
	uint32_t lba28 = FAKE_CAPACITY < (1u << 28) ? FAKE_CAPACITY : (1u << 28) - 1;

	memset(w, 0, 512);
	w[0] = 0x0040;
	put_string(w + 10, 10, "FAKE0001");
	put_string(w + 23, 4, "1.0");
	put_string(w + 27, 20, "Fake ATA disk");
	w[49] = (1u << 9) | (1u << 8);
	w[53] = 6;
	w[60] = (uint16_t)lba28;
	w[61] = (uint16_t)(lba28 >> 16);
	w[63] = 7;
	w[64] = 3;
	w[83] = 0x4000 | (1u << 12) | (lba48 ? (1u << 10) | (1u << 13) : 0);
	w[88] = 0x3f;
	if (lba48) {
		w[100] = (uint16_t)FAKE_CAPACITY;
		w[101] = (uint16_t)(FAKE_CAPACITY >> 16);
	}
}

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	memset(&r, 0, sizeof(r));
	fake_identify(fake.identify, true);
	fake.dma_capable = true;
	r.status = ATA_SR_DRDY;
	for (unsigned int i = 0; i < sizeof(low); i++)
		low[i] = (uint8_t)(i * 7 + 3);
	for (unsigned int i = 0; i < sizeof(high); i++)
		high[i] = (uint8_t)(i * 13 + 1);
}

uint8_t fake_last_command(void)
{
	return fake.ncommands ? fake.commands[fake.ncommands - 1] : 0;
}

/* ---- command execution ---- */

static void finish(uint8_t status, uint8_t error)
{
	r.status = status;
	r.error = error;
	r.left = 0;
	r.pos = 0;
}

static void abort_cmd(uint8_t error)
{
	finish(ATA_SR_DRDY | ATA_SR_ERR, error);
}

static bool decode_rw(bool ext)
{
	uint32_t count;

	if (ext) {
		r.lba = (uint64_t)r.lbal[0] | (uint64_t)r.lbam[0] << 8 | (uint64_t)r.lbah[0] << 16 |
			(uint64_t)r.lbal[1] << 24 | (uint64_t)r.lbam[1] << 32 | (uint64_t)r.lbah[1] << 40;
		count = r.count[0] | (uint32_t)r.count[1] << 8;
		r.left = count ? count : 65536;
	} else {
		r.lba = (uint64_t)r.lbal[0] | (uint64_t)r.lbam[0] << 8 | (uint64_t)r.lbah[0] << 16 |
			(uint64_t)(r.device & 0xf) << 24;
		r.left = r.count[0] ? r.count[0] : 256;
	}
	if (!(r.device & ATA_DEV_LBA) || r.lba + r.left > FAKE_CAPACITY) {
		abort_cmd(ATA_ER_IDNF | ATA_ER_ABRT);
		return false;
	}
	for (uint32_t i = 0; i < r.left; i++)
		if (!fake_sector(r.lba + i)) {
			abort_cmd(ATA_ER_IDNF);
			return false;
		}
	return true;
}

static void data_phase(void)
{
	r.pos = 0;
	if (!r.pio_write)
		memcpy(r.sector, r.identify ? (void *)fake.identify : fake_sector(r.lba), 512);
	r.status = ATA_SR_DRDY | ATA_SR_DRQ;
}

/* A read or write command's checks: false once it was aborted. */
static bool accept_rw(bool write, bool ext)
{
	if (write && fake.fault == FAULT_READ_ONLY) {
		abort_cmd(ATA_ER_ABRT);
		return false;
	}
	return decode_rw(ext);
}

static void pio_cmd(bool write, bool ext)
{
	if (!accept_rw(write, ext))
		return;
	if (fake.fault == FAULT_NO_DRQ) {
		finish(ATA_SR_DRDY, 0);
		return;
	}
	r.pio_write = write;
	r.identify = false;
	data_phase();
}

static void dma_run(void);

static void dma_cmd(bool write, bool ext)
{
	if (!accept_rw(write, ext))
		return;
	r.dma_pending = true;
	r.dma_write = write;
	r.status = ATA_SR_DRDY | ATA_SR_BSY;
	if (r.bm_cmd & ATA_BMC_START)
		dma_run();
}

static void command(uint8_t cmd)
{
	if (fake.ncommands < sizeof(fake.commands))
		fake.commands[fake.ncommands++] = cmd;
	r.error = 0;
	if (fake.fault == FAULT_BSY_STUCK) {
		r.status = ATA_SR_BSY;
		return;
	}
	if (fake.fault == FAULT_DEVICE_FAULT && cmd != ATA_CMD_IDENTIFY &&
	    cmd != ATA_CMD_SET_FEATURES) {
		finish(ATA_SR_DRDY | ATA_SR_DF | ATA_SR_ERR, 0);
		return;
	}
	switch (cmd) {
	case ATA_CMD_IDENTIFY:
		r.identify = true;
		r.pio_write = false;
		r.left = 1;
		data_phase();
		break;
	case ATA_CMD_READ_SECTORS:	pio_cmd(false, false); break;
	case ATA_CMD_READ_SECTORS_EXT:	pio_cmd(false, true); break;
	case ATA_CMD_WRITE_SECTORS:	pio_cmd(true, false); break;
	case ATA_CMD_WRITE_SECTORS_EXT:	pio_cmd(true, true); break;
	case ATA_CMD_READ_DMA:		dma_cmd(false, false); break;
	case ATA_CMD_READ_DMA_EXT:	dma_cmd(false, true); break;
	case ATA_CMD_WRITE_DMA:		dma_cmd(true, false); break;
	case ATA_CMD_WRITE_DMA_EXT:	dma_cmd(true, true); break;
	case ATA_CMD_FLUSH_CACHE:
	case ATA_CMD_FLUSH_CACHE_EXT:
		finish(ATA_SR_DRDY, 0);
		break;
	case ATA_CMD_SET_FEATURES:
		if (fake.fault == FAULT_SETFEAT || r.feat[0] != ATA_SETFEAT_XFER_MODE) {
			abort_cmd(ATA_ER_ABRT);
			break;
		}
		fake.last_xfer_mode = r.count[0];
		finish(ATA_SR_DRDY, 0);
		break;
	default:
		abort_cmd(ATA_ER_ABRT);
	}
}

/* ---- DMA ---- */

static uint8_t *guest(uint32_t paddr, uint32_t len)
{
	if (paddr >= FAKE_MEM_BYTES || len > FAKE_MEM_BYTES - paddr)
		return NULL;
	return (uint8_t *)(PVH_GUEST_BASE + paddr);
}

/* Move one PRD entry's bytes; false if the entry breaks a rule. */
static bool dma_entry(const struct ata_prd *e, uint32_t *moved)
{
	uint32_t len = e->count ? e->count : 0x10000;
	uint8_t *p = guest(e->addr, len);

	if (!p || (e->addr & 1) || (len & 1) ||
	    (e->addr & 0xffff) + len > 0x10000 || *moved + len > r.left * 512u)
		return false;
	for (uint32_t off = 0; off < len; off += 512) {
		uint8_t *s = fake_sector(r.lba + (*moved + off) / 512);
		uint32_t n = len - off < 512 ? len - off : 512;

		if ((*moved + off) % 512)
			return false;	/* the test driver never splits sectors */
		if (r.dma_write)
			memcpy(s, p + off, n);
		else
			memcpy(p + off, s, n);
	}
	*moved += len;
	return true;
}

static void dma_run(void)
{
	const struct ata_prd *t = (const struct ata_prd *)guest(r.bm_prd, 4096);
	uint32_t moved = 0;
	unsigned int n = 0;
	bool ok = t && !(r.bm_prd & 3) &&
		  !!(r.bm_cmd & ATA_BMC_TO_MEMORY) == !r.dma_write;

	r.dma_pending = false;
	for (; ok && n < 512; n++) {
		ok = dma_entry(&t[n], &moved);
		if (t[n].flags & ATA_PRD_EOT)
			break;
	}
	if (n + 1 > fake.prd_entries_max)
		fake.prd_entries_max = n + 1;
	fake.prd_violation |= !ok;
	if (!ok || fake.fault == FAULT_BM_ERROR) {
		/* A bad table fails the command too; a bus error alone does not. */
		r.bm_status = (uint8_t)((r.bm_status & ~ATA_BMS_ACTIVE) | ATA_BMS_ERROR | ATA_BMS_IRQ);
		if (!ok)
			abort_cmd(ATA_ER_ABRT);
		else
			finish(ATA_SR_DRDY, 0);
		return;
	}
	if (fake.fault == FAULT_BM_SHORT) {
		r.bm_status &= (uint8_t)~ATA_BMS_ACTIVE;
		finish(ATA_SR_DRDY, 0);
		return;
	}
	r.bm_status = (uint8_t)((r.bm_status & ~ATA_BMS_ACTIVE) | ATA_BMS_IRQ);
	finish(ATA_SR_DRDY, 0);
}

/* ---- ports ---- */

static void control(uint8_t v)
{
	bool was_reset = r.ctl & ATA_CTL_SRST;

	r.ctl = v;
	if (v & ATA_CTL_SRST) {
		r.status = ATA_SR_BSY;
		return;
	}
	if (!was_reset)
		return;
	fake.resets++;
	r.status = fake.fault == FAULT_RESET_STUCK ? ATA_SR_BSY : ATA_SR_DRDY;
	r.error = 1;
	r.count[0] = r.lbal[0] = 1;
	r.lbam[0] = fake.fault == FAULT_ATAPI ? 0x14 : 0;
	r.lbah[0] = fake.fault == FAULT_ATAPI ? 0xeb : 0;
	r.left = 0;
}

static void push(uint8_t reg[2], uint8_t v)
{
	reg[1] = reg[0];
	reg[0] = v;
}

void outb(uint8_t v, uint16_t port)
{
	if (fake.fault == FAULT_ABSENT)
		return;
	switch (port) {
	case 0x1f1: push(r.feat, v); break;
	case 0x1f2: push(r.count, v); break;
	case 0x1f3: push(r.lbal, v); break;
	case 0x1f4: push(r.lbam, v); break;
	case 0x1f5: push(r.lbah, v); break;
	case 0x1f6: r.device = v; break;
	case 0x1f7: command(v); break;
	case PVH_IDE_CTL_PORT: control(v); break;
	case PVH_IDE_BM_BASE + ATA_BM_COMMAND:
		r.bm_cmd = v;
		if (v & ATA_BMC_START) {
			r.bm_status |= ATA_BMS_ACTIVE;
			if (r.dma_pending)
				dma_run();
		} else {
			r.bm_status &= (uint8_t)~ATA_BMS_ACTIVE;
		}
		break;
	case PVH_IDE_BM_BASE + ATA_BM_STATUS:
		r.bm_status &= (uint8_t)~(v & (ATA_BMS_IRQ | ATA_BMS_ERROR));
		break;
	default:
		break;
	}
}

uint8_t inb(uint16_t port)
{
	if (fake.fault == FAULT_ABSENT)
		return 0xff;
	switch (port) {
	case 0x1f1: return r.error;
	case 0x1f2: return r.count[0];
	case 0x1f3: return r.lbal[0];
	case 0x1f4: return r.lbam[0];
	case 0x1f5: return r.lbah[0];
	case 0x1f6: return r.device;
	case 0x1f7:
	case PVH_IDE_CTL_PORT:
		return r.status;
	case PVH_IDE_BM_BASE + ATA_BM_COMMAND:
		return fake.no_bm ? 0xff : r.bm_cmd;
	case PVH_IDE_BM_BASE + ATA_BM_STATUS:
		return fake.no_bm ? 0xff :
		       (uint8_t)(r.bm_status | (fake.dma_capable ? ATA_BMS_DRV0_DMA : 0));
	default:
		return 0xff;
	}
}

/* The data port: one word of the current sector each way. */
static void data_word(uint16_t *w, bool write)
{
	if (!(r.status & ATA_SR_DRQ) || write != r.pio_write) {
		if (!write)
			*w = 0xffff;
		return;
	}
	fake.data_words++;
	if (write)
		memcpy(r.sector + r.pos, w, 2);
	else
		memcpy(w, r.sector + r.pos, 2);
	r.pos += 2;
	if (r.pos < 512)
		return;
	if (write)
		memcpy(fake_sector(r.lba), r.sector, 512);
	r.lba++;
	if (--r.left == 0)
		finish(ATA_SR_DRDY, 0);
	else
		data_phase();
}

uint16_t inw(uint16_t port)
{
	uint16_t w = 0xffff;

	if (port == 0x1f0 && fake.fault != FAULT_ABSENT)
		data_word(&w, false);
	return w;
}

void outw(uint16_t v, uint16_t port)
{
	if (port == 0x1f0 && fake.fault != FAULT_ABSENT)
		data_word(&v, true);
}

uint32_t inl(uint16_t port)
{
	return port == 0x1f0 ? (uint32_t)inw(port) | (uint32_t)inw(port) << 16 : 0xffffffffu;
}

void outl(uint32_t v, uint16_t port)
{
	if (port == PVH_IDE_BM_BASE + ATA_BM_PRD_ADDR && fake.fault != FAULT_ABSENT)
		r.bm_prd = v;
}

void insb(uint16_t port, void *addr, size_t count)
{
	for (size_t i = 0; i < count; i++)
		((uint8_t *)addr)[i] = inb(port);
}

void insw(uint16_t port, void *addr, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint16_t w = inw(port);

		memcpy((uint8_t *)addr + 2 * i, &w, 2);
	}
}

void insl(uint16_t port, void *addr, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t v = inl(port);

		memcpy((uint8_t *)addr + 4 * i, &v, 4);
	}
}

void outsb(uint16_t port, const void *addr, size_t count)
{
	for (size_t i = 0; i < count; i++)
		outb(((const uint8_t *)addr)[i], port);
}

void outsw(uint16_t port, const void *addr, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint16_t w;

		memcpy(&w, (const uint8_t *)addr + 2 * i, 2);
		outw(w, port);
	}
}

void outsl(uint16_t port, const void *addr, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t v;

		memcpy(&v, (const uint8_t *)addr + 4 * i, 4);
		outw((uint16_t)v, port);
		outw((uint16_t)(v >> 16), port);
	}
}

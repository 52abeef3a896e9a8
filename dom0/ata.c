/*
 * ata.c: the emulated ATA/IDE disk and its bus-master DMA engine.
 *
 * The drive's registers are the ATA taskfile with the two-deep FIFOs
 * LBA48 needs (ATA/ATAPI-6 6.20: each write pushes the previous value into
 * the "HOB" slot; HOB in device control selects it for reading). A command
 * is decoded from the taskfile into a private transfer description, checked
 * (range, read-only, drive state), and then run:
 *
 *   PIO in   the first chunk of sectors is read into the bounce buffer and
 *            DRQ set; the guest drains it word by word; the next chunk is
 *            read when it is empty; DRQ clears after the last word.
 *   PIO out  DRQ is set; the guest fills the buffer; each full chunk (and
 *            the last, partial one) is written before DRQ is raised again.
 *   DMA      the drive waits (BSY) until the bus-master start bit is set,
 *            then the PRD table is copied out of guest memory and checked
 *            in full (every entry inside guest memory, an end-of-table bit
 *            within ATA_PRD_MAX entries or enough bytes for the transfer),
 *            and only then does data move, chunk by chunk.
 *
 * Everything the guest programs is hostile: nothing it writes can make the
 * model touch memory outside [mem, mem + mem_size) or the disk outside its
 * sectors; it gets ERR with ABRT, IDNF or UNC, or the bus-master error bit,
 * as a real controller would answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ata.h"
#include "public/pvh_ioreq.h"

#define BUF_BYTES	(ATA_CHUNK_SECTORS * ATA_SECTOR_SIZE)

/* Legacy geometry for CHS addressing and IDENTIFY words 1-6 and 54-58. */
#define CHS_HEADS	16u
#define CHS_SPT		63u
#define CHS_CYL_MAX	16383u

enum xfer {
	XFER_NONE = 0,
	XFER_PIO_IN,		/* drive to host through the data port */
	XFER_PIO_OUT,
	XFER_DMA_IN,		/* waiting for (or running) the bus master */
	XFER_DMA_OUT,
};

struct prd {
	uint64_t addr;
	uint32_t len;
};

/* A register and its previous value, for LBA48 (the "HOB" byte). */
struct fifo {
	uint8_t cur, prev;
};

struct ata {
	const struct ata_backend *be;
	uint64_t sectors;
	bool readonly;
	uint8_t *mem;
	uint64_t mem_size;

	/* The taskfile. */
	struct fifo feature, nsect, lbal, lbam, lbah;
	uint8_t device, error, status, devctl;

	/* The command in progress. */
	enum xfer xfer;
	uint64_t lba;		/* next sector to load (PIO in) or of the chunk */
	uint32_t left;		/* sectors not yet loaded into / taken from the buffer */
	uint8_t *buf;		/* ATA_CHUNK_SECTORS sectors, aligned */
	size_t buf_len, buf_pos;
	bool buf_from_disk;	/* false for IDENTIFY */

	uint16_t identify[256];
	uint8_t xfer_mode;	/* SET FEATURES 03h value, 0 = PIO default */

	/* The bus-master block. */
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
	struct prd *prd;	/* ATA_PRD_MAX, the validated copy */

	struct ata_stats st;
};

/* ---- Small helpers ------------------------------------------------------ */

static void fifo_write(struct fifo *f, uint8_t v)
{
	f->prev = f->cur;
	f->cur = v;
}

static uint8_t fifo_read(const struct ata *a, const struct fifo *f)
{
	return (a->devctl & ATA_CTL_HOB) ? f->prev : f->cur;
}

static bool dev1_selected(const struct ata *a)
{
	return a->device & ATA_DEV_DEV;
}

static void set_signature(struct ata *a)
{
	/* ATA/ATAPI-6 9.12: the signature of a non-packet device. */
	a->nsect = (struct fifo){ 1, 0 };
	a->lbal = (struct fifo){ 1, 0 };
	a->lbam = (struct fifo){ 0, 0 };
	a->lbah = (struct fifo){ 0, 0 };
	a->device = 0;
	a->error = 0x01;	/* diagnostics passed */
}

static void end_transfer(struct ata *a)
{
	a->xfer = XFER_NONE;
	a->buf_len = a->buf_pos = 0;
	a->left = 0;
}

static void cmd_done(struct ata *a)
{
	end_transfer(a);
	a->status = ATA_ST_DRDY | ATA_ST_DSC;
}

static void cmd_fail(struct ata *a, uint8_t error)
{
	end_transfer(a);
	a->error = error;
	a->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR;
	a->st.errors++;
}

static void cmd_abort(struct ata *a)
{
	a->st.cmds[ATA_SC_ABORTED]++;
	cmd_fail(a, ATA_ER_ABRT);
}

/* On an I/O error the LBA registers name the first sector that failed. */
static void report_lba(struct ata *a, uint64_t lba)
{
	a->lbal.cur = (uint8_t)lba;
	a->lbam.cur = (uint8_t)(lba >> 8);
	a->lbah.cur = (uint8_t)(lba >> 16);
	a->lbal.prev = (uint8_t)(lba >> 24);
	a->lbam.prev = (uint8_t)(lba >> 32);
	a->lbah.prev = (uint8_t)(lba >> 40);
}

/* ---- IDENTIFY DEVICE ------------------------------------------------------ */

/* ATA strings: space padded, two characters per word, first in the high byte. */
static void id_string(uint16_t *words, size_t nwords, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < nwords * 2; i++) {
		uint8_t c = i < n ? (uint8_t)s[i] : ' ';

		if (c < 0x20 || c > 0x7e)
			c = ' ';
		if (i % 2 == 0)
			words[i / 2] = (uint16_t)(c << 8);
		else
			words[i / 2] |= c;
	}
}

static void id_chs(struct ata *a, uint16_t *id)
{
	uint64_t cyl = a->sectors / (CHS_HEADS * CHS_SPT);
	uint32_t chs_sectors;

	if (cyl > CHS_CYL_MAX)
		cyl = CHS_CYL_MAX;
	if (cyl == 0)
		cyl = 1;
	chs_sectors = (uint32_t)cyl * CHS_HEADS * CHS_SPT;
	id[1] = id[54] = (uint16_t)cyl;
	id[3] = id[55] = CHS_HEADS;
	id[6] = id[56] = CHS_SPT;
	id[57] = (uint16_t)chs_sectors;
	id[58] = (uint16_t)(chs_sectors >> 16);
}

/* Words 63 and 88: supported modes, and the one SET FEATURES selected. */
static void id_modes(struct ata *a)
{
	uint16_t *id = a->identify;
	uint8_t m = a->xfer_mode;

	id[63] = 0x0007;		/* multiword DMA 0-2 */
	id[88] = 0x003f;		/* Ultra DMA 0-5 */
	if ((m & 0xf8) == 0x20)
		id[63] |= (uint16_t)(0x100 << (m & 7));
	else if ((m & 0xf8) == 0x40)
		id[88] |= (uint16_t)(0x100 << (m & 7));
}

static void id_checksum(uint16_t *id)
{
	uint8_t sum = 0xa5;

	id[255] = 0x00a5;
	for (int i = 0; i < 255; i++)
		sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
	id[255] |= (uint16_t)((uint8_t)-sum << 8);
}

static void build_identify(struct ata *a, const char *serial)
{
	uint16_t *id = a->identify;
	uint64_t lba28 = a->sectors < ATA_LBA28_MAX ? a->sectors : ATA_LBA28_MAX;
	uint64_t lba48 = a->sectors < ATA_LBA48_MAX ? a->sectors : ATA_LBA48_MAX;

	memset(id, 0, sizeof(a->identify));
	id[0] = 0x0040;			/* fixed ATA device */
	id_chs(a, id);
	id_string(&id[10], 10, serial);
	id_string(&id[23], 4, "1.0");
	id_string(&id[27], 20, "Splitvisor IDE disk");
	id[47] = 0x8000;		/* READ/WRITE MULTIPLE: not supported */
	id[49] = 0x0300;		/* LBA and DMA supported */
	id[50] = 0x4000;
	id[51] = 0x0200;		/* PIO timing mode 2 */
	id[53] = 0x0007;		/* words 54-58, 64-70 and 88 are valid */
	id[60] = (uint16_t)lba28;
	id[61] = (uint16_t)(lba28 >> 16);
	id[64] = 0x0003;		/* PIO modes 3 and 4 */
	id[65] = id[66] = id[67] = id[68] = 120;
	id[80] = 0x007e;		/* ATA-1 to ATA-6 */
	id[82] = 0x0000;
	id[83] = 0x7400;		/* 48-bit, FLUSH CACHE (EXT) */
	id[84] = 0x4000;
	id[85] = 0x0000;
	id[86] = 0x3400;		/* the same, enabled */
	id[87] = 0x4000;
	id[93] = 0x6009;		/* device 0 passed, 80-wire cable */
	id[100] = (uint16_t)lba48;
	id[101] = (uint16_t)(lba48 >> 16);
	id[102] = (uint16_t)(lba48 >> 32);
	id[103] = (uint16_t)(lba48 >> 48);
	id_modes(a);
	id_checksum(id);
}

/* ---- Commands ------------------------------------------------------------ */

struct rw {
	bool lba48, write, dma;
	uint64_t lba;
	uint32_t count;
};

/* Decodes the address and count of a read/write command from the taskfile. */
static int decode_rw(const struct ata *a, uint8_t cmd, struct rw *rw_out)
{
	struct rw rw = { 0 };

	rw.lba48 = cmd == ATA_CMD_READ_SECTORS_EXT || cmd == ATA_CMD_WRITE_SECTORS_EXT ||
		   cmd == ATA_CMD_READ_DMA_EXT || cmd == ATA_CMD_WRITE_DMA_EXT;
	rw.write = cmd == ATA_CMD_WRITE_SECTORS || cmd == ATA_CMD_WRITE_SECTORS_EXT ||
		   cmd == ATA_CMD_WRITE_DMA || cmd == ATA_CMD_WRITE_DMA_EXT;
	rw.dma = cmd == ATA_CMD_READ_DMA || cmd == ATA_CMD_READ_DMA_EXT ||
		 cmd == ATA_CMD_WRITE_DMA || cmd == ATA_CMD_WRITE_DMA_EXT;
	if (rw.lba48) {
		rw.count = (uint32_t)a->nsect.prev << 8 | a->nsect.cur;
		rw.count = rw.count ? rw.count : 65536;
		rw.lba = (uint64_t)a->lbah.prev << 40 | (uint64_t)a->lbam.prev << 32 |
			 (uint64_t)a->lbal.prev << 24 | (uint64_t)a->lbah.cur << 16 |
			 (uint64_t)a->lbam.cur << 8 | a->lbal.cur;
	} else if (a->device & ATA_DEV_LBA) {
		rw.count = a->nsect.cur ? a->nsect.cur : 256;
		rw.lba = (uint64_t)(a->device & 0x0f) << 24 | (uint64_t)a->lbah.cur << 16 |
			 (uint64_t)a->lbam.cur << 8 | a->lbal.cur;
	} else {
		/* CHS: cylinder in LBA mid/high, head in the device register. */
		uint32_t cyl = (uint32_t)a->lbah.cur << 8 | a->lbam.cur;
		uint32_t head = a->device & 0x0f, sect = a->lbal.cur;

		rw.count = a->nsect.cur ? a->nsect.cur : 256;
		if (sect == 0 || sect > CHS_SPT || head >= CHS_HEADS)
			return -ERANGE;
		rw.lba = ((uint64_t)cyl * CHS_HEADS + head) * CHS_SPT + sect - 1;
	}
	/* sectors >= 1, so this cannot underflow; lba + count cannot overflow 64 bits. */
	if (rw.lba >= a->sectors || rw.count > a->sectors - rw.lba)
		return -ERANGE;
	*rw_out = rw;
	return 0;
}

/* Loads the next chunk of a PIO read into the buffer. */
static int pio_load(struct ata *a)
{
	uint32_t n = a->left < ATA_CHUNK_SECTORS ? a->left : ATA_CHUNK_SECTORS;
	int rc = a->be->read(a->be->ctx, a->buf, a->lba * ATA_SECTOR_SIZE,
			     (size_t)n * ATA_SECTOR_SIZE);

	if (rc < 0) {
		report_lba(a, a->lba);
		cmd_fail(a, ATA_ER_UNC);
		return rc;
	}
	a->st.sectors_read += n;
	a->buf_len = (size_t)n * ATA_SECTOR_SIZE;
	a->buf_pos = 0;
	a->lba += n;
	a->left -= n;
	a->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	return 0;
}

/* Opens the buffer for the next chunk of a PIO write. */
static void pio_open_out(struct ata *a)
{
	uint32_t n = a->left < ATA_CHUNK_SECTORS ? a->left : ATA_CHUNK_SECTORS;

	a->buf_len = (size_t)n * ATA_SECTOR_SIZE;
	a->buf_pos = 0;
	a->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
}

/* The buffer of a PIO write is full: write it, then ask for more or finish. */
static void pio_flush_out(struct ata *a)
{
	uint32_t n = (uint32_t)(a->buf_len / ATA_SECTOR_SIZE);
	int rc = a->be->write(a->be->ctx, a->buf, a->lba * ATA_SECTOR_SIZE, a->buf_len);

	if (rc < 0) {
		report_lba(a, a->lba);
		cmd_fail(a, ATA_ER_ABRT);
		return;
	}
	a->st.sectors_written += n;
	a->lba += n;
	a->left -= n;
	if (a->left)
		pio_open_out(a);
	else
		cmd_done(a);
}

static void dma_try_run(struct ata *a);

static void start_rw(struct ata *a, uint8_t cmd)
{
	struct rw rw;

	if (decode_rw(a, cmd, &rw) < 0) {
		cmd_fail(a, ATA_ER_IDNF | ATA_ER_ABRT);
		return;
	}
	if (rw.write && a->readonly) {
		cmd_fail(a, ATA_ER_ABRT);
		return;
	}
	a->st.cmds[rw.dma ? (rw.write ? ATA_SC_WRITE_DMA : ATA_SC_READ_DMA) :
			    (rw.write ? ATA_SC_WRITE_PIO : ATA_SC_READ_PIO)]++;
	a->lba = rw.lba;
	a->left = rw.count;
	a->buf_from_disk = true;
	a->error = 0;
	if (rw.dma) {
		a->xfer = rw.write ? XFER_DMA_OUT : XFER_DMA_IN;
		a->status = ATA_ST_BSY | ATA_ST_DRDY | ATA_ST_DSC;
		dma_try_run(a);
	} else if (rw.write) {
		a->xfer = XFER_PIO_OUT;
		pio_open_out(a);
	} else {
		a->xfer = XFER_PIO_IN;
		pio_load(a);
	}
}

static void cmd_identify(struct ata *a)
{
	a->st.cmds[ATA_SC_IDENTIFY]++;
	for (int i = 0; i < 256; i++) {
		a->buf[2 * i] = (uint8_t)a->identify[i];
		a->buf[2 * i + 1] = (uint8_t)(a->identify[i] >> 8);
	}
	a->xfer = XFER_PIO_IN;
	a->buf_from_disk = false;
	a->buf_len = ATA_SECTOR_SIZE;
	a->buf_pos = 0;
	a->left = 0;
	a->error = 0;
	a->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
}

static void cmd_flush(struct ata *a)
{
	int rc;

	a->st.cmds[ATA_SC_FLUSH]++;
	rc = a->be->flush(a->be->ctx);
	if (rc < 0) {
		cmd_fail(a, ATA_ER_ABRT);
		return;
	}
	a->error = 0;
	cmd_done(a);
}

/* SET FEATURES: only "set transfer mode" (03h), with a mode we offer. */
static void cmd_set_features(struct ata *a)
{
	uint8_t mode = a->nsect.cur;
	bool ok;

	a->st.cmds[ATA_SC_SET_FEATURES]++;
	if (a->feature.cur != 0x03) {
		cmd_abort(a);
		return;
	}
	ok = mode <= 0x01 ||			/* PIO default */
	     ((mode & 0xf8) == 0x08 && (mode & 7) <= 4) ||	/* PIO 0-4 */
	     ((mode & 0xf8) == 0x20 && (mode & 7) <= 2) ||	/* MWDMA 0-2 */
	     ((mode & 0xf8) == 0x40 && (mode & 7) <= 5);	/* UDMA 0-5 */
	if (!ok) {
		cmd_abort(a);
		return;
	}
	a->xfer_mode = mode;
	id_modes(a);
	id_checksum(a->identify);
	a->error = 0;
	cmd_done(a);
}

static void write_command(struct ata *a, uint8_t cmd)
{
	if (dev1_selected(a))
		return;			/* nobody there */
	if (a->status & ATA_ST_BSY)
		return;			/* a busy drive does not see it */
	if (a->status & ATA_ST_DRQ) {
		/* The host broke the protocol: drop the transfer and the command. */
		cmd_abort(a);
		return;
	}
	switch (cmd) {
	case ATA_CMD_IDENTIFY:
		cmd_identify(a);
		break;
	case ATA_CMD_READ_SECTORS: case ATA_CMD_READ_SECTORS_EXT:
	case ATA_CMD_WRITE_SECTORS: case ATA_CMD_WRITE_SECTORS_EXT:
	case ATA_CMD_READ_DMA: case ATA_CMD_READ_DMA_EXT:
	case ATA_CMD_WRITE_DMA: case ATA_CMD_WRITE_DMA_EXT:
		start_rw(a, cmd);
		break;
	case ATA_CMD_FLUSH_CACHE: case ATA_CMD_FLUSH_CACHE_EXT:
		cmd_flush(a);
		break;
	case ATA_CMD_SET_FEATURES:
		cmd_set_features(a);
		break;
	default:
		cmd_abort(a);
		break;
	}
}

/* ---- Bus-master DMA --------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool mem_range_ok(const struct ata *a, uint64_t addr, uint64_t len)
{
	return a->mem && addr < a->mem_size && len <= a->mem_size - addr;
}

/*
 * Copies the PRD table out of guest memory into a->prd, entries until the
 * transfer's bytes are covered or the end-of-table bit. Returns the number
 * of entries, or -EFAULT (outside memory), -ENOSPC (the table ends before
 * the transfer does), -ELOOP (no end within ATA_PRD_MAX entries).
 * *exact_out says whether the transfer ends exactly at the end of the
 * table (SFF-8038i: then Active clears; else it stays set).
 */
static int prd_load(struct ata *a, uint64_t need, bool *exact_out)
{
	uint64_t have = 0;
	uint32_t i;

	for (i = 0; i < ATA_PRD_MAX && have < need; i++) {
		uint64_t at = (uint64_t)a->bm_prd + (uint64_t)i * 8;
		uint8_t e[8];
		uint32_t len, flags;

		if (!mem_range_ok(a, at, sizeof(e)))
			return -EFAULT;
		memcpy(e, a->mem + at, sizeof(e));	/* read once, then decide */
		flags = le32(e + 4);
		len = flags & 0xfffe;		/* bit 0 is reserved */
		a->prd[i].addr = le32(e) & ~1u;
		a->prd[i].len = len ? len : 65536;
		if (!mem_range_ok(a, a->prd[i].addr, a->prd[i].len))
			return -EFAULT;
		have += a->prd[i].len;
		if (flags & 0x80000000u) {
			i++;
			if (have < need)
				return -ENOSPC;
			*exact_out = have == need;
			return (int)i;
		}
	}
	if (have < need)
		return -ELOOP;
	*exact_out = false;
	return (int)i;
}

/* Moves len bytes between the bounce buffer and the PRD regions at *pos. */
struct prd_pos {
	uint32_t idx;
	uint32_t off;
};

static void prd_copy(struct ata *a, struct prd_pos *pos, size_t len, bool to_mem)
{
	size_t done = 0;

	while (done < len) {
		const struct prd *p = &a->prd[pos->idx];
		size_t n = p->len - pos->off;
		uint8_t *g = a->mem + p->addr + pos->off;

		if (n > len - done)
			n = len - done;
		if (to_mem)
			memcpy(g, a->buf + done, n);
		else
			memcpy(a->buf + done, g, n);
		done += n;
		pos->off += (uint32_t)n;
		if (pos->off == p->len) {
			pos->idx++;
			pos->off = 0;
		}
	}
}

static void dma_error(struct ata *a)
{
	a->st.dma_errors++;
	a->bm_status = (uint8_t)((a->bm_status & ~ATA_BM_ST_ACTIVE) | ATA_BM_ST_ERROR |
				 ATA_BM_ST_INTR);
	cmd_fail(a, ATA_ER_ABRT);
}

/* The transfer proper, once the PRD table checked out. */
static int dma_move(struct ata *a, bool to_mem)
{
	struct prd_pos pos = { 0, 0 };

	while (a->left) {
		uint32_t n = a->left < ATA_CHUNK_SECTORS ? a->left : ATA_CHUNK_SECTORS;
		size_t len = (size_t)n * ATA_SECTOR_SIZE;
		uint64_t off = a->lba * ATA_SECTOR_SIZE;
		int rc;

		if (to_mem) {
			rc = a->be->read(a->be->ctx, a->buf, off, len);
			if (rc == 0)
				prd_copy(a, &pos, len, true);
		} else {
			prd_copy(a, &pos, len, false);
			rc = a->be->write(a->be->ctx, a->buf, off, len);
		}
		if (rc < 0) {
			report_lba(a, a->lba);
			return rc;
		}
		if (to_mem)
			a->st.sectors_read += n;
		else
			a->st.sectors_written += n;
		a->lba += n;
		a->left -= n;
	}
	return 0;
}

/* Runs a DMA command once both the drive and the bus master are ready. */
static void dma_try_run(struct ata *a)
{
	bool to_mem = a->xfer == XFER_DMA_IN, exact = false;
	int n;

	if ((a->xfer != XFER_DMA_IN && a->xfer != XFER_DMA_OUT) ||
	    !(a->bm_status & ATA_BM_ST_ACTIVE))
		return;
	if (!!(a->bm_cmd & ATA_BM_CMD_TO_MEM) != to_mem) {
		dma_error(a);		/* the controller and the drive disagree */
		return;
	}
	n = prd_load(a, (uint64_t)a->left * ATA_SECTOR_SIZE, &exact);
	if (n < 0) {
		dma_error(a);
		return;
	}
	if (dma_move(a, to_mem) < 0) {
		a->bm_status = (uint8_t)((a->bm_status & ~ATA_BM_ST_ACTIVE) | ATA_BM_ST_INTR);
		cmd_fail(a, to_mem ? ATA_ER_UNC : ATA_ER_ABRT);
		return;
	}
	a->bm_status |= ATA_BM_ST_INTR;
	if (exact)
		a->bm_status &= (uint8_t)~ATA_BM_ST_ACTIVE;
	cmd_done(a);
}

static void bm_write(struct ata *a, uint16_t off, uint8_t v)
{
	switch (off) {
	case 0:
		if (!(v & ATA_BM_CMD_START)) {
			/* Stop: the engine halts; a waiting DMA command stays with the drive. */
			a->bm_status &= (uint8_t)~ATA_BM_ST_ACTIVE;
			a->bm_cmd = v & ATA_BM_CMD_TO_MEM;
			return;
		}
		if (!(a->bm_cmd & ATA_BM_CMD_START)) {
			a->bm_cmd = v & (ATA_BM_CMD_START | ATA_BM_CMD_TO_MEM);
			a->bm_status |= ATA_BM_ST_ACTIVE;
			dma_try_run(a);
		}
		/* SFF-8038i: the direction must not change while the engine runs. */
		return;
	case 2:
		a->bm_status = (uint8_t)((a->bm_status & ATA_BM_ST_ACTIVE) |
					 (a->bm_status & ~v & (ATA_BM_ST_ERROR | ATA_BM_ST_INTR)) |
					 (v & (ATA_BM_ST_DRV0_DMA | ATA_BM_ST_DRV1_DMA)));
		return;
	case 4: case 5: case 6: case 7: {
		unsigned int shift = (off - 4) * 8;
		uint32_t mask = 0xffu << shift;

		a->bm_prd = ((a->bm_prd & ~mask) | ((uint32_t)v << shift)) & ~3u;
		return;
	}
	default:
		return;
	}
}

static uint8_t bm_read(const struct ata *a, uint16_t off)
{
	switch (off) {
	case 0:
		return a->bm_cmd;
	case 2:
		return a->bm_status;
	case 4: case 5: case 6: case 7:
		return (uint8_t)(a->bm_prd >> ((off - 4) * 8));
	default:
		return 0;
	}
}

/* ---- Registers ------------------------------------------------------------- */

static void soft_reset(struct ata *a)
{
	end_transfer(a);
	a->st.resets++;
	set_signature(a);
	a->xfer_mode = 0;
	id_modes(a);
	id_checksum(a->identify);
	a->status = ATA_ST_DRDY | ATA_ST_DSC;
}

static void write_devctl(struct ata *a, uint8_t v)
{
	bool was = a->devctl & ATA_CTL_SRST, now = v & ATA_CTL_SRST;

	a->devctl = v & (ATA_CTL_NIEN | ATA_CTL_SRST | ATA_CTL_HOB);
	if (now && !was) {
		/* Reset asserted: abandon whatever runs; BSY until it is released. */
		end_transfer(a);
		a->status = ATA_ST_BSY;
	} else if (!now && was) {
		soft_reset(a);
	}
}

static uint8_t status_read(const struct ata *a)
{
	if (a->devctl & ATA_CTL_SRST)
		return ATA_ST_BSY;
	return dev1_selected(a) ? 0 : a->status;
}

static uint8_t reg_read(struct ata *a, uint16_t port)
{
	switch (port) {
	case PVH_IDE_CMD_BASE + 1: return a->error;
	case PVH_IDE_CMD_BASE + 2: return fifo_read(a, &a->nsect);
	case PVH_IDE_CMD_BASE + 3: return fifo_read(a, &a->lbal);
	case PVH_IDE_CMD_BASE + 4: return fifo_read(a, &a->lbam);
	case PVH_IDE_CMD_BASE + 5: return fifo_read(a, &a->lbah);
	case PVH_IDE_CMD_BASE + 6: return a->device | 0xa0;	/* obsolete bits read 1 */
	case PVH_IDE_CMD_BASE + 7:
	case PVH_IDE_CTL_PORT: return status_read(a);
	default: return 0xff;
	}
}

static void reg_write(struct ata *a, uint16_t port, uint8_t v)
{
	if (port == PVH_IDE_CTL_PORT) {
		write_devctl(a, v);
		return;
	}
	if (a->status & ATA_ST_BSY)
		return;		/* registers belong to the drive while it is busy */
	a->devctl &= (uint8_t)~ATA_CTL_HOB;	/* any taskfile write clears HOB */
	switch (port) {
	case PVH_IDE_CMD_BASE + 1: fifo_write(&a->feature, v); break;
	case PVH_IDE_CMD_BASE + 2: fifo_write(&a->nsect, v); break;
	case PVH_IDE_CMD_BASE + 3: fifo_write(&a->lbal, v); break;
	case PVH_IDE_CMD_BASE + 4: fifo_write(&a->lbam, v); break;
	case PVH_IDE_CMD_BASE + 5: fifo_write(&a->lbah, v); break;
	case PVH_IDE_CMD_BASE + 6: a->device = v & 0x5f; break;
	case PVH_IDE_CMD_BASE + 7: write_command(a, v); break;
	default: break;
	}
}

/* ---- The data port ------------------------------------------------------------- */

static uint16_t data_read(struct ata *a)
{
	uint16_t w;

	if (a->xfer != XFER_PIO_IN || !(a->status & ATA_ST_DRQ) || dev1_selected(a) ||
	    a->buf_pos + 2 > a->buf_len)
		return 0xffff;
	w = (uint16_t)(a->buf[a->buf_pos] | a->buf[a->buf_pos + 1] << 8);
	a->buf_pos += 2;
	if (a->buf_pos == a->buf_len) {
		if (a->buf_from_disk && a->left)
			pio_load(a);
		else
			cmd_done(a);
	}
	return w;
}

static void data_write(struct ata *a, uint16_t w)
{
	if (a->xfer != XFER_PIO_OUT || !(a->status & ATA_ST_DRQ) || dev1_selected(a) ||
	    a->buf_pos + 2 > a->buf_len)
		return;
	a->buf[a->buf_pos] = (uint8_t)w;
	a->buf[a->buf_pos + 1] = (uint8_t)(w >> 8);
	a->buf_pos += 2;
	if (a->buf_pos == a->buf_len)
		pio_flush_out(a);
}

/* ---- Port dispatch ------------------------------------------------------------- */

static bool is_cmd_port(uint16_t port)
{
	return port >= PVH_IDE_CMD_BASE && port <= PVH_IDE_CMD_BASE + 7;
}

static bool is_bm_port(uint16_t port)
{
	return port >= PVH_IDE_BM_BASE && port <= PVH_IDE_BM_BASE + 7;
}

bool ata_claims_port(uint16_t port)
{
	return is_cmd_port(port) || port == PVH_IDE_CTL_PORT || is_bm_port(port);
}

enum ata_port_group ata_port_group(uint16_t port)
{
	if (port == PVH_IDE_CMD_BASE)
		return ATA_PG_DATA;
	if (port == PVH_IDE_CMD_BASE + 7 || port == PVH_IDE_CTL_PORT)
		return ATA_PG_STATUS;
	if (is_cmd_port(port))
		return ATA_PG_TASKFILE;
	return is_bm_port(port) ? ATA_PG_BM : ATA_PG_OTHER;
}

static uint8_t byte_in(struct ata *a, uint16_t port)
{
	if (is_bm_port(port))
		return bm_read(a, (uint16_t)(port - PVH_IDE_BM_BASE));
	if (is_cmd_port(port) || port == PVH_IDE_CTL_PORT)
		return reg_read(a, port);
	return 0xff;
}

static void byte_out(struct ata *a, uint16_t port, uint8_t v)
{
	if (is_bm_port(port))
		bm_write(a, (uint16_t)(port - PVH_IDE_BM_BASE), v);
	else if (is_cmd_port(port) || port == PVH_IDE_CTL_PORT)
		reg_write(a, port, v);
}

static uint32_t one_in(struct ata *a, uint16_t port, unsigned int size)
{
	uint32_t v = 0;

	a->st.accesses[ata_port_group(port)]++;
	if (port == PVH_IDE_CMD_BASE) {
		v = data_read(a);
		if (size == 4)
			v |= (uint32_t)data_read(a) << 16;
		return size == 1 ? (v & 0xff) : v;
	}
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)byte_in(a, (uint16_t)(port + i)) << (8 * i);
	return v;
}

static void one_out(struct ata *a, uint16_t port, unsigned int size, uint32_t v)
{
	a->st.accesses[ata_port_group(port)]++;
	if (port == PVH_IDE_CMD_BASE) {
		data_write(a, (uint16_t)(size == 1 ? (v & 0xff) : v));
		if (size == 4)
			data_write(a, (uint16_t)(v >> 16));
		return;
	}
	for (unsigned int i = 0; i < size; i++)
		byte_out(a, (uint16_t)(port + i), (uint8_t)(v >> (8 * i)));
}

void ata_port_in(struct ata *a, uint16_t port, unsigned int size, uint32_t count,
		 uint8_t *data_out)
{
	for (uint32_t i = 0; i < count; i++) {
		uint32_t v = one_in(a, port, size);

		for (unsigned int b = 0; b < size; b++)
			data_out[(size_t)i * size + b] = (uint8_t)(v >> (8 * b));
	}
}

void ata_port_out(struct ata *a, uint16_t port, unsigned int size, uint32_t count,
		  const uint8_t *data)
{
	for (uint32_t i = 0; i < count; i++) {
		uint32_t v = 0;

		for (unsigned int b = 0; b < size; b++)
			v |= (uint32_t)data[(size_t)i * size + b] << (8 * b);
		one_out(a, port, size, v);
	}
}

uint32_t ata_inb(struct ata *a, uint16_t port) { return one_in(a, port, 1); }
uint32_t ata_inw(struct ata *a, uint16_t port) { return one_in(a, port, 2); }
uint32_t ata_inl(struct ata *a, uint16_t port) { return one_in(a, port, 4); }
void ata_outb(struct ata *a, uint16_t port, uint32_t v) { one_out(a, port, 1, v); }
void ata_outw(struct ata *a, uint16_t port, uint32_t v) { one_out(a, port, 2, v); }
void ata_outl(struct ata *a, uint16_t port, uint32_t v) { one_out(a, port, 4, v); }

/* ---- Life cycle ----------------------------------------------------------------- */

void ata_reset(struct ata *a)
{
	a->devctl = 0;
	a->feature = (struct fifo){ 0, 0 };
	a->bm_cmd = 0;
	a->bm_status = ATA_BM_ST_DRV0_DMA;
	a->bm_prd = 0;
	soft_reset(a);
}

struct ata *ata_create(const struct ata_backend *be, uint64_t sectors, bool readonly,
		       const char *serial)
{
	struct ata *a;
	void *buf = NULL;

	if (!be || !be->read || !be->write || !be->flush || sectors == 0 ||
	    sectors > ATA_LBA48_MAX) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->prd = calloc(ATA_PRD_MAX, sizeof(*a->prd));
	if (!a->prd || posix_memalign(&buf, 4096, BUF_BYTES) != 0) {
		free(a->prd);
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->buf = buf;
	a->be = be;
	a->sectors = sectors;
	a->readonly = readonly;
	build_identify(a, serial ? serial : "");
	ata_reset(a);
	a->st.resets = 0;
	return a;
}

void ata_destroy(struct ata *a)
{
	if (!a)
		return;
	free(a->buf);
	free(a->prd);
	free(a);
}

void ata_set_memory(struct ata *a, void *base, uint64_t size)
{
	a->mem = base;
	a->mem_size = base ? size : 0;
}

const struct ata_stats *ata_stats(const struct ata *a)
{
	return &a->st;
}

const uint16_t *ata_identify_data(const struct ata *a)
{
	return a->identify;
}

const char *ata_stat_cmd_name(enum ata_stat_cmd c)
{
	static const char *const names[ATA_SC_COUNT] = {
		[ATA_SC_IDENTIFY] = "identify", [ATA_SC_READ_PIO] = "read-pio",
		[ATA_SC_WRITE_PIO] = "write-pio", [ATA_SC_READ_DMA] = "read-dma",
		[ATA_SC_WRITE_DMA] = "write-dma", [ATA_SC_FLUSH] = "flush",
		[ATA_SC_SET_FEATURES] = "set-features", [ATA_SC_ABORTED] = "aborted",
	};

	return (unsigned int)c < ATA_SC_COUNT ? names[c] : "?";
}

const char *ata_port_group_name(enum ata_port_group g)
{
	static const char *const names[ATA_PG_COUNT] = {
		[ATA_PG_DATA] = "data", [ATA_PG_TASKFILE] = "taskfile",
		[ATA_PG_STATUS] = "status/control", [ATA_PG_BM] = "bus-master",
		[ATA_PG_OTHER] = "unclaimed",
	};

	return (unsigned int)g < ATA_PG_COUNT ? names[g] : "?";
}

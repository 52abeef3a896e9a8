/*
 * test-ata.c: the emulated IDE drive (dom0/ata.c) and pvdm's ioreq checks
 * (dom0/ioreq.c), in-process.
 *
 * Two backends: a temporary image file (pread/pwrite/fdatasync), for
 * data that must really reach a file, and a synthetic disk whose sector
 * n holds a pattern derived from n, which can be as large as LBA48 allows
 * without using any space and can be told to fail. Guest memory is a
 * malloc'd buffer; PRD tables are written into it as a guest would.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ata.h"
#include "cunit-main.h"
#include "ioreq.h"

#define CMD	PVH_IDE_CMD_BASE
#define CTL	PVH_IDE_CTL_PORT
#define BM	PVH_IDE_BM_BASE
#define SS	ATA_SECTOR_SIZE
#define SV_ARRAY_SIZE_T(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- Backends ------------------------------------------------------------- */

struct filedisk {
	int fd;
	char path[64];
};

static int fd_read(void *ctx, void *buf, uint64_t off, size_t len)
{
	struct filedisk *f = ctx;

	return pread(f->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static int fd_write(void *ctx, const void *buf, uint64_t off, size_t len)
{
	struct filedisk *f = ctx;

	return pwrite(f->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static int fd_flush(void *ctx)
{
	struct filedisk *f = ctx;

	return fdatasync(f->fd) < 0 ? -errno : 0;
}

struct synth {
	int fail_read, fail_write, fail_flush;	/* -errno to return, or 0 */
	uint64_t last_off;
	size_t last_len;
	uint64_t written;			/* bytes */
	uint32_t sum;				/* of the bytes written */
	int flushes;
};

static uint8_t pattern(uint64_t byte)
{
	uint64_t sector = byte / SS;

	return (uint8_t)(sector * 7 + (byte % SS) + (sector >> 24));
}

static int syn_read(void *ctx, void *buf, uint64_t off, size_t len)
{
	struct synth *s = ctx;

	s->last_off = off;
	s->last_len = len;
	if (s->fail_read)
		return s->fail_read;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = pattern(off + i);
	return 0;
}

static int syn_write(void *ctx, const void *buf, uint64_t off, size_t len)
{
	struct synth *s = ctx;

	s->last_off = off;
	s->last_len = len;
	if (s->fail_write)
		return s->fail_write;
	for (size_t i = 0; i < len; i++)
		s->sum += ((const uint8_t *)buf)[i];
	s->written += len;
	return 0;
}

static int syn_flush(void *ctx)
{
	struct synth *s = ctx;

	s->flushes++;
	return s->fail_flush;
}

/* ---- Fixtures --------------------------------------------------------------- */

#define FILE_SECTORS	200u
#define MEM_SIZE	(1u << 20)

static struct filedisk fdisk;
static struct ata_backend fbe = { fd_read, fd_write, fd_flush, &fdisk };
static struct synth syn;
static struct ata_backend sbe = { syn_read, syn_write, syn_flush, &syn };
static uint8_t *mem;

static struct ata *file_drive(bool readonly)
{
	uint8_t sector[SS];
	struct ata *a;

	snprintf(fdisk.path, sizeof(fdisk.path), "/tmp/test-ata-XXXXXX");
	fdisk.fd = mkstemp(fdisk.path);
	CU_ASSERT_FATAL(fdisk.fd >= 0);
	unlink(fdisk.path);
	for (uint32_t s = 0; s < FILE_SECTORS; s++) {
		for (uint32_t i = 0; i < SS; i++)
			sector[i] = pattern((uint64_t)s * SS + i);
		CU_ASSERT_FATAL(pwrite(fdisk.fd, sector, SS, (off_t)s * SS) == SS);
	}
	a = ata_create(&fbe, FILE_SECTORS, readonly, "TESTSERIAL");
	CU_ASSERT_FATAL(a != NULL);
	ata_set_memory(a, mem, MEM_SIZE);
	return a;
}

static void file_drive_done(struct ata *a)
{
	ata_destroy(a);
	close(fdisk.fd);
}

static struct ata *synth_drive(uint64_t sectors, bool readonly)
{
	struct ata *a;

	memset(&syn, 0, sizeof(syn));
	a = ata_create(&sbe, sectors, readonly, "SYNTH");
	CU_ASSERT_FATAL(a != NULL);
	ata_set_memory(a, mem, MEM_SIZE);
	return a;
}

static int suite_init(void)
{
	mem = calloc(1, MEM_SIZE);
	return mem ? 0 : -1;
}

static int suite_clean(void)
{
	free(mem);
	return 0;
}

/* ---- Guest-side helpers ------------------------------------------------------ */

static uint8_t status(struct ata *a)
{
	return (uint8_t)ata_inb(a, CMD + 7);
}

static uint8_t error_reg(struct ata *a)
{
	return (uint8_t)ata_inb(a, CMD + 1);
}

static void tf28(struct ata *a, uint32_t lba, uint8_t count)
{
	ata_outb(a, CMD + 2, count);
	ata_outb(a, CMD + 3, lba & 0xff);
	ata_outb(a, CMD + 4, (lba >> 8) & 0xff);
	ata_outb(a, CMD + 5, (lba >> 16) & 0xff);
	ata_outb(a, CMD + 6, 0xe0 | ((lba >> 24) & 0x0f));
}

static void tf48(struct ata *a, uint64_t lba, uint16_t count)
{
	ata_outb(a, CMD + 2, count >> 8);
	ata_outb(a, CMD + 3, (lba >> 24) & 0xff);
	ata_outb(a, CMD + 4, (lba >> 32) & 0xff);
	ata_outb(a, CMD + 5, (lba >> 40) & 0xff);
	ata_outb(a, CMD + 2, count & 0xff);
	ata_outb(a, CMD + 3, lba & 0xff);
	ata_outb(a, CMD + 4, (lba >> 8) & 0xff);
	ata_outb(a, CMD + 5, (lba >> 16) & 0xff);
	ata_outb(a, CMD + 6, 0x40);
}

static void command(struct ata *a, uint8_t cmd)
{
	ata_outb(a, CMD + 7, cmd);
}

/* Reads n sectors by PIO, one rep insw per sector, checking DRQ each time. */
static bool pio_in(struct ata *a, uint8_t *buf, uint32_t n)
{
	for (uint32_t s = 0; s < n; s++) {
		if ((status(a) & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_ERR)) != ATA_ST_DRQ)
			return false;
		ata_port_in(a, CMD, 2, SS / 2, buf + (size_t)s * SS);
	}
	return true;
}

static bool pio_out(struct ata *a, const uint8_t *buf, uint32_t n)
{
	for (uint32_t s = 0; s < n; s++) {
		if ((status(a) & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_ERR)) != ATA_ST_DRQ)
			return false;
		ata_port_out(a, CMD, 4, SS / 4, buf + (size_t)s * SS);
	}
	return true;
}

static bool is_pattern(const uint8_t *buf, uint64_t lba, uint32_t n)
{
	for (size_t i = 0; i < (size_t)n * SS; i++)
		if (buf[i] != pattern(lba * SS + i))
			return false;
	return true;
}

static bool done_ok(struct ata *a)
{
	return status(a) == (ATA_ST_DRDY | ATA_ST_DSC);
}

static bool failed_with(struct ata *a, uint8_t err)
{
	return status(a) == (ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR) && error_reg(a) == err;
}

/* A PRD entry at guest address at. */
static void prd(uint32_t at, uint32_t addr, uint32_t len, bool eot)
{
	uint32_t flags = (len & 0xffff) | (eot ? 0x80000000u : 0);

	memcpy(mem + at, &addr, 4);
	memcpy(mem + at + 4, &flags, 4);
}

static void bm_setup(struct ata *a, uint32_t table, bool to_mem)
{
	ata_outb(a, BM + 2, ATA_BM_ST_INTR | ATA_BM_ST_ERROR);	/* clear */
	ata_outl(a, BM + 4, table);
	ata_outb(a, BM, to_mem ? ATA_BM_CMD_TO_MEM : 0);
}

static void bm_start(struct ata *a, bool to_mem)
{
	ata_outb(a, BM, ATA_BM_CMD_START | (to_mem ? ATA_BM_CMD_TO_MEM : 0));
}

static uint8_t bm_status(struct ata *a)
{
	return (uint8_t)ata_inb(a, BM + 2);
}

/* ---- IDENTIFY ------------------------------------------------------------------ */

static void test_identify(void)
{
	struct ata *a = synth_drive(0x123456789ull, false);
	uint16_t id[256];
	uint8_t sum = 0;
	char model[41];

	CU_ASSERT_EQUAL(status(a), ATA_ST_DRDY | ATA_ST_DSC);
	/* The reset signature of an ATA (not ATAPI) device. */
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 2), 1);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 3), 1);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 4), 0);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 5), 0);
	ata_outb(a, CMD + 6, 0xa0);
	command(a, ATA_CMD_IDENTIFY);
	CU_ASSERT_EQUAL(status(a), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ);
	ata_port_in(a, CMD, 2, 256, (uint8_t *)id);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(ata_inw(a, CMD), 0xffff);	/* no more data */
	CU_ASSERT_EQUAL(memcmp(id, ata_identify_data(a), sizeof(id)), 0);
	CU_ASSERT_EQUAL(id[0] & 0x8000, 0);		/* ATA device */
	CU_ASSERT_EQUAL(id[49] & 0x0300, 0x0300);	/* LBA, DMA */
	CU_ASSERT_EQUAL(id[60] | (uint32_t)id[61] << 16, 0x0fffffff);
	CU_ASSERT_EQUAL(id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
			(uint64_t)id[103] << 48, 0x123456789ull);
	CU_ASSERT_EQUAL(id[83] & 0xc400, 0x4400);	/* valid, 48-bit */
	CU_ASSERT_EQUAL(id[86] & 0x0400, 0x0400);
	CU_ASSERT_EQUAL(id[83] & 0x3000, 0x3000);	/* FLUSH CACHE (EXT) */
	CU_ASSERT_EQUAL(id[53] & 0x0006, 0x0006);
	CU_ASSERT_EQUAL(id[63] & 0x0007, 0x0007);
	CU_ASSERT_EQUAL(id[88] & 0x003f, 0x003f);
	for (int i = 0; i < 20; i++) {
		model[2 * i] = (char)(id[27 + i] >> 8);
		model[2 * i + 1] = (char)id[27 + i];
	}
	model[40] = '\0';
	CU_ASSERT_EQUAL(strncmp(model, "Splitvisor IDE disk ", 20), 0);
	CU_ASSERT_EQUAL(id[10] >> 8, 'S');		/* "SYNTH", byte-swapped words */
	CU_ASSERT_EQUAL(id[10] & 0xff, 'Y');
	CU_ASSERT_EQUAL(id[255] & 0xff, 0xa5);
	for (int i = 0; i < 512; i++)
		sum = (uint8_t)(sum + ((uint8_t *)id)[i]);
	CU_ASSERT_EQUAL(sum, 0);
	ata_destroy(a);
}

static void test_identify_small_and_features(void)
{
	struct ata *a = synth_drive(1000, false);
	const uint16_t *id = ata_identify_data(a);
	uint8_t sum = 0;

	CU_ASSERT_EQUAL(id[60], 1000);
	CU_ASSERT_EQUAL(id[61], 0);
	CU_ASSERT_EQUAL(id[100], 1000);
	/* SET FEATURES, transfer mode: UDMA 5 accepted and shown in word 88. */
	ata_outb(a, CMD + 1, 0x03);
	ata_outb(a, CMD + 2, 0x45);
	command(a, ATA_CMD_SET_FEATURES);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(id[88] & 0x3f00, 0x2000);
	for (int i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
	CU_ASSERT_EQUAL(sum, 0);
	/* UDMA 7 does not exist here; another subcommand is not supported. */
	ata_outb(a, CMD + 2, 0x47);
	command(a, ATA_CMD_SET_FEATURES);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	ata_outb(a, CMD + 1, 0x66);
	ata_outb(a, CMD + 2, 0);
	command(a, ATA_CMD_SET_FEATURES);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	/* Anything else aborts: SMART, IDENTIFY PACKET, READ MULTIPLE. */
	command(a, 0xb0);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	command(a, 0xa1);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	command(a, 0xc4);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	/* A good command clears the error. */
	command(a, ATA_CMD_FLUSH_CACHE);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(syn.flushes, 1);
	ata_destroy(a);
}

/* ---- PIO ------------------------------------------------------------------------ */

static void test_pio_read_lba28(void)
{
	struct ata *a = file_drive(false);
	uint8_t buf[4 * SS];

	tf28(a, 5, 3);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(pio_in(a, buf, 3));
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_TRUE(is_pattern(buf, 5, 3));
	/* The last sector of the disk is readable; the one after is not. */
	tf28(a, FILE_SECTORS - 1, 1);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(pio_in(a, buf, 1));
	CU_ASSERT_TRUE(is_pattern(buf, FILE_SECTORS - 1, 1));
	CU_ASSERT_EQUAL(ata_stats(a)->sectors_read, 4);
	file_drive_done(a);
}

static void test_pio_write_lba28(void)
{
	struct ata *a = file_drive(false);
	uint8_t buf[2 * SS], back[2 * SS];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	tf28(a, 10, 2);
	command(a, ATA_CMD_WRITE_SECTORS);
	CU_ASSERT_TRUE(pio_out(a, buf, 2));
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(pread(fdisk.fd, back, sizeof(back), 10 * SS), (ssize_t)sizeof(back));
	CU_ASSERT_EQUAL(memcmp(buf, back, sizeof(buf)), 0);
	/* Its neighbours are untouched. */
	CU_ASSERT_EQUAL(pread(fdisk.fd, back, SS, 9 * SS), SS);
	CU_ASSERT_TRUE(is_pattern(back, 9, 1));
	CU_ASSERT_EQUAL(pread(fdisk.fd, back, SS, 12 * SS), SS);
	CU_ASSERT_TRUE(is_pattern(back, 12, 1));
	/* And the drive reads back what it wrote. */
	tf28(a, 10, 2);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(pio_in(a, back, 2));
	CU_ASSERT_EQUAL(memcmp(buf, back, sizeof(buf)), 0);
	command(a, ATA_CMD_FLUSH_CACHE_EXT);
	CU_ASSERT_TRUE(done_ok(a));
	file_drive_done(a);
}

static void test_pio_lba48(void)
{
	uint64_t lba = 0x123456789aull;
	struct ata *a = synth_drive(lba + 10, false);
	uint8_t buf[3 * SS];

	tf48(a, lba, 3);
	/* HOB reads back the high bytes. */
	ata_outb(a, CTL, ATA_CTL_HOB);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 3), 0x34);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 4), 0x12);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 5), 0x00);
	ata_outb(a, CTL, 0);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 3), 0x9a);
	command(a, ATA_CMD_READ_SECTORS_EXT);
	CU_ASSERT_TRUE(pio_in(a, buf, 3));
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(syn.last_off, lba * SS);
	CU_ASSERT_TRUE(is_pattern(buf, lba, 3));
	/* A write past the LBA28 range lands where LBA48 says. */
	tf48(a, lba + 7, 1);
	command(a, ATA_CMD_WRITE_SECTORS_EXT);
	CU_ASSERT_TRUE(pio_out(a, buf, 1));
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(syn.last_off, (lba + 7) * SS);
	CU_ASSERT_EQUAL(syn.written, SS);
	ata_destroy(a);
}

static void test_pio_chs(void)
{
	struct ata *a = file_drive(false);
	uint8_t buf[SS];

	/* Cylinder 0, head 1, sector 2: LBA (0 * 16 + 1) * 63 + 1 = 64. */
	ata_outb(a, CMD + 2, 1);
	ata_outb(a, CMD + 3, 2);
	ata_outb(a, CMD + 4, 0);
	ata_outb(a, CMD + 5, 0);
	ata_outb(a, CMD + 6, 0xa1);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(pio_in(a, buf, 1));
	CU_ASSERT_TRUE(is_pattern(buf, 64, 1));
	/* Sector 0 does not exist in CHS. */
	ata_outb(a, CMD + 3, 0);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_IDNF | ATA_ER_ABRT));
	file_drive_done(a);
}

static void test_count_zero(void)
{
	struct ata *a = synth_drive(1000, false);
	static uint8_t buf[256 * SS];

	/* LBA28: 0 means 256 sectors. */
	tf28(a, 100, 0);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(pio_in(a, buf, 256));
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_TRUE(is_pattern(buf, 100, 256));
	CU_ASSERT_EQUAL(ata_stats(a)->sectors_read, 256);
	/* 256 sectors from 800 run past the end of a 1000-sector disk. */
	tf28(a, 800, 0);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_IDNF | ATA_ER_ABRT));
	/* LBA48: 0 means 65536, more than this disk has. */
	tf48(a, 0, 0);
	command(a, ATA_CMD_READ_SECTORS_EXT);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_IDNF | ATA_ER_ABRT));
	ata_destroy(a);
}

static void test_count_zero_lba48_dma(void)
{
	struct ata *a = synth_drive(70000, false);
	uint8_t *big = malloc((size_t)65536 * SS + 65536);
	uint32_t table = 0;

	CU_ASSERT_FATAL(big != NULL);
	/* 512 PRD entries of 64 KiB (length 0 means 64 KiB) cover 32 MiB. */
	for (uint32_t i = 0; i < 512; i++) {
		uint32_t addr = 65536 + i * 65536, flags = (i == 511 ? 0x80000000u : 0);

		memcpy(big + table + i * 8, &addr, 4);
		memcpy(big + table + i * 8 + 4, &flags, 4);
	}
	ata_set_memory(a, big, (size_t)65536 * SS + 65536);
	ata_outl(a, BM + 4, table);
	tf48(a, 1, 0);
	command(a, ATA_CMD_READ_DMA_EXT);
	CU_ASSERT_EQUAL(status(a) & ATA_ST_BSY, ATA_ST_BSY);
	bm_start(a, true);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(bm_status(a) & 7, ATA_BM_ST_INTR);	/* exact: not active */
	CU_ASSERT_EQUAL(ata_stats(a)->sectors_read, 65536);
	CU_ASSERT_TRUE(is_pattern(big + 65536, 1, 65536));
	ata_destroy(a);
	free(big);
}

/* ---- DMA ------------------------------------------------------------------------- */

static void test_dma_read_write(void)
{
	struct ata *a = file_drive(false);
	uint8_t back[8 * SS];

	/* Read 8 sectors into three regions: 1024 + 2048 + 1024 bytes. */
	memset(mem, 0, MEM_SIZE);
	prd(0x1000, 0x10000, 1024, false);
	prd(0x1008, 0x20000, 2048, false);
	prd(0x1010, 0x30000, 1024, true);
	bm_setup(a, 0x1000, true);
	tf28(a, 20, 8);
	command(a, ATA_CMD_READ_DMA);
	CU_ASSERT_EQUAL(status(a), ATA_ST_BSY | ATA_ST_DRDY | ATA_ST_DSC);
	bm_start(a, true);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(bm_status(a) & 7, ATA_BM_ST_INTR);
	CU_ASSERT_TRUE(is_pattern(mem + 0x10000, 20, 2));
	CU_ASSERT_TRUE(is_pattern(mem + 0x20000, 22, 4));
	CU_ASSERT_TRUE(is_pattern(mem + 0x30000, 26, 2));
	CU_ASSERT_EQUAL(mem[0x30000 + 1024], 0);		/* nothing beyond */
	ata_outb(a, BM, 0);
	/* The interrupt bit is write-1-to-clear. */
	ata_outb(a, BM + 2, 0);
	CU_ASSERT_EQUAL(bm_status(a) & ATA_BM_ST_INTR, ATA_BM_ST_INTR);
	ata_outb(a, BM + 2, ATA_BM_ST_INTR);
	CU_ASSERT_EQUAL(bm_status(a) & ATA_BM_ST_INTR, 0);

	/* Write them back elsewhere, start bit first, then the command. */
	prd(0x2000, 0x10000, 4096, true);
	memmove(mem + 0x10000 + 1024, mem + 0x20000, 2048);
	memcpy(mem + 0x10000 + 3072, mem + 0x30000, 1024);
	bm_setup(a, 0x2000, false);
	bm_start(a, false);
	CU_ASSERT_EQUAL(bm_status(a) & ATA_BM_ST_ACTIVE, ATA_BM_ST_ACTIVE);
	tf28(a, 100, 8);
	command(a, ATA_CMD_WRITE_DMA);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(bm_status(a) & 7, ATA_BM_ST_INTR);
	CU_ASSERT_EQUAL(pread(fdisk.fd, back, sizeof(back), 100 * SS), (ssize_t)sizeof(back));
	CU_ASSERT_TRUE(is_pattern(back, 20, 8));
	CU_ASSERT_EQUAL(ata_stats(a)->cmds[ATA_SC_READ_DMA], 1);
	CU_ASSERT_EQUAL(ata_stats(a)->cmds[ATA_SC_WRITE_DMA], 1);
	file_drive_done(a);
}

static void test_dma_prd_larger(void)
{
	struct ata *a = file_drive(false);

	/* SFF-8038i: a table larger than the transfer leaves Active set. */
	prd(0x1000, 0x10000, 8192, true);
	bm_setup(a, 0x1000, true);
	tf28(a, 0, 2);
	command(a, ATA_CMD_READ_DMA);
	bm_start(a, true);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(bm_status(a) & 7, ATA_BM_ST_INTR | ATA_BM_ST_ACTIVE);
	ata_outb(a, BM, ATA_BM_CMD_TO_MEM);	/* stop */
	CU_ASSERT_EQUAL(bm_status(a) & ATA_BM_ST_ACTIVE, 0);
	CU_ASSERT_TRUE(is_pattern(mem + 0x10000, 0, 2));
	file_drive_done(a);
}

/* Runs a READ DMA of count sectors at LBA 0 against the table at `table`. */
static void dma_expect_error(struct ata *a, uint32_t table, uint8_t count)
{
	uint64_t before = ata_stats(a)->sectors_read;

	bm_setup(a, table, true);
	tf28(a, 0, count);
	command(a, ATA_CMD_READ_DMA);
	bm_start(a, true);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	CU_ASSERT_EQUAL(bm_status(a) & 7, ATA_BM_ST_ERROR | ATA_BM_ST_INTR);
	CU_ASSERT_EQUAL(ata_stats(a)->sectors_read, before);	/* nothing moved */
	ata_outb(a, BM, 0);
}

static void test_dma_hostile_prd(void)
{
	struct ata *a = file_drive(false);

	/* The table itself outside memory, and straddling its end. */
	dma_expect_error(a, 0xfffffff0u, 1);
	dma_expect_error(a, MEM_SIZE - 4, 1);
	/* An entry pointing outside memory, and one running over its end. */
	prd(0x1000, MEM_SIZE, 512, true);
	dma_expect_error(a, 0x1000, 1);
	prd(0x1000, MEM_SIZE - 256, 512, true);
	dma_expect_error(a, 0x1000, 1);
	prd(0x1000, 0xfffffe00u, 512, true);
	dma_expect_error(a, 0x1000, 1);
	/* A short table: 1024 bytes for a 4-sector transfer. */
	prd(0x1000, 0x10000, 1024, true);
	dma_expect_error(a, 0x1000, 4);
	/* An endless table: 8192 two-byte entries, no end bit, for 64 sectors. */
	for (uint32_t i = 0; i < ATA_PRD_MAX; i++)
		prd(0x20000 + i * 8, 0x80000, 2, false);
	dma_expect_error(a, 0x20000, 64);
	/* An endless table running off the end of memory. */
	for (uint32_t i = 0; i < 16; i++)
		prd(MEM_SIZE - 128 + i * 8, 0x80000, 2, false);
	dma_expect_error(a, MEM_SIZE - 128, 64);
	/* The bus master and the command disagree on the direction. */
	prd(0x1000, 0x10000, 512, true);
	bm_setup(a, 0x1000, false);
	tf28(a, 0, 1);
	command(a, ATA_CMD_READ_DMA);
	bm_start(a, false);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	CU_ASSERT_EQUAL(bm_status(a) & ATA_BM_ST_ERROR, ATA_BM_ST_ERROR);
	/* No guest memory at all. */
	ata_set_memory(a, NULL, 0);
	dma_expect_error(a, 0x1000, 1);
	ata_set_memory(a, mem, MEM_SIZE);
	/* The drive still works after all that. */
	prd(0x1000, 0x10000, 512, true);
	bm_setup(a, 0x1000, true);
	tf28(a, 3, 1);
	command(a, ATA_CMD_READ_DMA);
	bm_start(a, true);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_TRUE(is_pattern(mem + 0x10000, 3, 1));
	CU_ASSERT_EQUAL(ata_stats(a)->dma_errors, 10);
	file_drive_done(a);
}

static void test_bm_registers(void)
{
	struct ata *a = synth_drive(100, false);

	/* The PRD address is dword aligned; reserved bits read 0. */
	ata_outl(a, BM + 4, 0x12345677);
	CU_ASSERT_EQUAL(ata_inl(a, BM + 4), 0x12345674);
	ata_outw(a, BM + 6, 0xabcd);
	CU_ASSERT_EQUAL(ata_inl(a, BM + 4), 0xabcd5674);
	/* Drive-DMA-capable bits are read/write; active is read-only. */
	CU_ASSERT_EQUAL(bm_status(a), ATA_BM_ST_DRV0_DMA);
	ata_outb(a, BM + 2, ATA_BM_ST_DRV1_DMA | ATA_BM_ST_ACTIVE);
	CU_ASSERT_EQUAL(bm_status(a), ATA_BM_ST_DRV1_DMA);
	ata_outb(a, BM, 0xff);
	CU_ASSERT_EQUAL(ata_inb(a, BM), ATA_BM_CMD_START | ATA_BM_CMD_TO_MEM);
	CU_ASSERT_EQUAL(bm_status(a) & ATA_BM_ST_ACTIVE, ATA_BM_ST_ACTIVE);
	ata_outb(a, BM, 0);
	CU_ASSERT_EQUAL(bm_status(a) & ATA_BM_ST_ACTIVE, 0);
	ata_destroy(a);
}

/* ---- Hostile sequences ---------------------------------------------------------------- */

static void test_lba_past_end(void)
{
	struct ata *a = file_drive(false);
	uint8_t buf[SS];

	tf28(a, FILE_SECTORS, 1);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_IDNF | ATA_ER_ABRT));
	CU_ASSERT_EQUAL(ata_inw(a, CMD), 0xffff);
	tf28(a, FILE_SECTORS - 2, 3);
	command(a, ATA_CMD_WRITE_SECTORS);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_IDNF | ATA_ER_ABRT));
	tf48(a, 0xffffffffffffull, 1);
	command(a, ATA_CMD_READ_DMA_EXT);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_IDNF | ATA_ER_ABRT));
	tf28(a, 0x0fffffff, 255);
	command(a, ATA_CMD_WRITE_DMA);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_IDNF | ATA_ER_ABRT));
	CU_ASSERT_EQUAL(ata_stats(a)->sectors_read + ata_stats(a)->sectors_written, 0);
	CU_ASSERT_EQUAL(pread(fdisk.fd, buf, SS, (FILE_SECTORS - 1) * SS), SS);
	CU_ASSERT_TRUE(is_pattern(buf, FILE_SECTORS - 1, 1));
	file_drive_done(a);
}

static void test_data_port_without_drq(void)
{
	struct ata *a = file_drive(false);
	uint8_t buf[64], back[SS];

	CU_ASSERT_EQUAL(ata_inw(a, CMD), 0xffff);
	CU_ASSERT_EQUAL(ata_inl(a, CMD), 0xffffffffu);
	CU_ASSERT_EQUAL(ata_inb(a, CMD), 0xff);
	memset(buf, 0x5a, sizeof(buf));
	ata_port_out(a, CMD, 2, 32, buf);
	CU_ASSERT_TRUE(done_ok(a));
	/* And after a read finished, more reads get ones and change nothing. */
	tf28(a, 0, 1);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(pio_in(a, back, 1));
	ata_port_in(a, CMD, 2, 32, buf);
	for (size_t i = 0; i < sizeof(buf); i++)
		CU_ASSERT_EQUAL_FATAL(buf[i], 0xff);
	CU_ASSERT_EQUAL(pread(fdisk.fd, back, SS, 0), SS);
	CU_ASSERT_TRUE(is_pattern(back, 0, 1));
	file_drive_done(a);
}

static void test_command_while_busy_or_drq(void)
{
	struct ata *a = file_drive(false);
	uint8_t buf[SS];

	/* DRQ: a new command in the middle of a PIO read aborts both. */
	tf28(a, 0, 2);
	command(a, ATA_CMD_READ_SECTORS);
	ata_port_in(a, CMD, 2, 100, buf);
	command(a, ATA_CMD_IDENTIFY);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	CU_ASSERT_EQUAL(ata_inw(a, CMD), 0xffff);
	/* The same in the middle of a PIO write: nothing is written. */
	tf28(a, 0, 1);
	command(a, ATA_CMD_WRITE_SECTORS);
	memset(buf, 0, sizeof(buf));
	ata_port_out(a, CMD, 2, 100, buf);
	command(a, ATA_CMD_FLUSH_CACHE);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	CU_ASSERT_EQUAL(pread(fdisk.fd, buf, SS, 0), SS);
	CU_ASSERT_TRUE(is_pattern(buf, 0, 1));
	/* BSY: a DMA command waiting for the bus master ignores commands and registers. */
	tf28(a, 0, 1);
	command(a, ATA_CMD_READ_DMA);
	CU_ASSERT_EQUAL(status(a) & ATA_ST_BSY, ATA_ST_BSY);
	command(a, ATA_CMD_IDENTIFY);
	ata_outb(a, CMD + 2, 77);
	CU_ASSERT_EQUAL(status(a) & (ATA_ST_BSY | ATA_ST_DRQ), ATA_ST_BSY);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 2), 1);
	CU_ASSERT_EQUAL(ata_inw(a, CMD), 0xffff);
	/* Software reset gets the drive back. */
	ata_outb(a, CTL, ATA_CTL_SRST);
	ata_outb(a, CTL, 0);
	CU_ASSERT_TRUE(done_ok(a));
	file_drive_done(a);
}

static void test_srst_mid_command(void)
{
	struct ata *a = file_drive(false);
	uint64_t before;
	uint8_t buf[SS];

	tf28(a, 4, 3);
	command(a, ATA_CMD_READ_SECTORS);
	ata_port_in(a, CMD, 2, 10, buf);
	ata_outb(a, CTL, ATA_CTL_SRST | ATA_CTL_NIEN);
	CU_ASSERT_EQUAL(status(a), ATA_ST_BSY);
	CU_ASSERT_EQUAL(ata_inb(a, CTL), ATA_ST_BSY);
	command(a, ATA_CMD_IDENTIFY);			/* ignored while in reset */
	ata_outb(a, CTL, ATA_CTL_NIEN);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 2), 1);	/* the signature again */
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 3), 1);
	CU_ASSERT_EQUAL(error_reg(a), 0x01);
	CU_ASSERT_EQUAL(ata_inw(a, CMD), 0xffff);	/* the transfer is gone */
	/* A write interrupted by reset writes nothing. */
	tf28(a, 4, 1);
	command(a, ATA_CMD_WRITE_SECTORS);
	memset(buf, 0, sizeof(buf));
	ata_port_out(a, CMD, 2, 255, buf);
	ata_outb(a, CTL, ATA_CTL_SRST);
	ata_outb(a, CTL, 0);
	ata_outw(a, CMD, 0);
	CU_ASSERT_EQUAL(pread(fdisk.fd, buf, SS, 4 * SS), SS);
	CU_ASSERT_TRUE(is_pattern(buf, 4, 1));
	/* And a DMA command waiting for the bus master is dropped. */
	before = ata_stats(a)->sectors_read;
	prd(0x1000, 0x10000, 512, true);
	bm_setup(a, 0x1000, true);
	tf28(a, 4, 1);
	command(a, ATA_CMD_READ_DMA);
	ata_outb(a, CTL, ATA_CTL_SRST);
	ata_outb(a, CTL, 0);
	bm_start(a, true);
	CU_ASSERT_EQUAL(ata_stats(a)->sectors_read, before);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(ata_stats(a)->resets, 3);
	file_drive_done(a);
}

static void test_readonly(void)
{
	struct ata *a = file_drive(true);
	uint8_t buf[SS];

	tf28(a, 0, 1);
	command(a, ATA_CMD_WRITE_SECTORS);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	CU_ASSERT_EQUAL(status(a) & ATA_ST_DRQ, 0);
	tf48(a, 0, 1);
	command(a, ATA_CMD_WRITE_DMA_EXT);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	tf28(a, 0, 1);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(pio_in(a, buf, 1));
	CU_ASSERT_TRUE(is_pattern(buf, 0, 1));
	CU_ASSERT_EQUAL(ata_stats(a)->sectors_written, 0);
	file_drive_done(a);
}

static void test_backend_errors(void)
{
	struct ata *a = synth_drive(1000, false);
	uint8_t buf[SS];

	syn.fail_read = -EIO;
	tf28(a, 300, 2);
	command(a, ATA_CMD_READ_SECTORS);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_UNC));
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 3), 300 & 0xff);	/* the failing sector */
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 4), 300 >> 8);
	/* DMA read: UNC, the bus master itself saw no error. */
	prd(0x1000, 0x10000, 1024, true);
	bm_setup(a, 0x1000, true);
	tf28(a, 300, 2);
	command(a, ATA_CMD_READ_DMA);
	bm_start(a, true);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_UNC));
	CU_ASSERT_EQUAL(bm_status(a) & 7, ATA_BM_ST_INTR);
	ata_outb(a, BM, 0);
	syn.fail_read = 0;
	/* A write that runs out of space. */
	syn.fail_write = -ENOSPC;
	tf28(a, 5, 1);
	command(a, ATA_CMD_WRITE_SECTORS);
	memset(buf, 1, sizeof(buf));
	CU_ASSERT_TRUE(pio_out(a, buf, 1));
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	bm_setup(a, 0x1000, false);
	tf48(a, 5, 2);
	command(a, ATA_CMD_WRITE_DMA_EXT);
	bm_start(a, false);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	ata_outb(a, BM, 0);
	syn.fail_write = 0;
	syn.fail_flush = -EIO;
	command(a, ATA_CMD_FLUSH_CACHE);
	CU_ASSERT_TRUE(failed_with(a, ATA_ER_ABRT));
	syn.fail_flush = 0;
	command(a, ATA_CMD_FLUSH_CACHE);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(ata_stats(a)->errors, 5);
	ata_destroy(a);
}

static void test_device1_absent(void)
{
	struct ata *a = synth_drive(100, false);

	ata_outb(a, CMD + 6, 0xb0);
	CU_ASSERT_EQUAL(status(a), 0);
	command(a, ATA_CMD_IDENTIFY);
	CU_ASSERT_EQUAL(status(a), 0);
	CU_ASSERT_EQUAL(ata_inw(a, CMD), 0xffff);
	/* Shared registers still echo, as Linux's probe expects. */
	ata_outb(a, CMD + 2, 0x55);
	CU_ASSERT_EQUAL(ata_inb(a, CMD + 2), 0x55);
	ata_outb(a, CMD + 6, 0xa0);
	CU_ASSERT_TRUE(done_ok(a));
	CU_ASSERT_EQUAL(ata_stats(a)->cmds[ATA_SC_IDENTIFY], 0);
	/* Ports next to ours are not ours. */
	CU_ASSERT_EQUAL(ata_inb(a, 0x3f7), 0xff);
	CU_ASSERT_EQUAL(ata_inb(a, BM + 8), 0xff);
	CU_ASSERT_FALSE(ata_claims_port(0x1f8));
	CU_ASSERT_TRUE(ata_claims_port(0x3f6));
	ata_destroy(a);
}

/*
 * Random programming: a million accesses of random sizes and values to
 * every port the drive owns (and its neighbours), with guest memory full
 * of random PRD tables. Nothing may crash or touch memory outside the
 * buffer (run under valgrind or ASan to see it), and afterwards a reset
 * must give a working drive.
 */
static void test_random_programming(void)
{
	static const uint16_t ports[] = {
		CMD, CMD + 1, CMD + 2, CMD + 3, CMD + 4, CMD + 5, CMD + 6, CMD + 7, CTL,
		BM, BM + 2, BM + 4, BM + 6, CMD - 1, CTL + 1, BM + 8,
	};
	static const uint8_t cmds[] = {
		ATA_CMD_READ_SECTORS, ATA_CMD_WRITE_SECTORS, ATA_CMD_READ_DMA, ATA_CMD_WRITE_DMA,
		ATA_CMD_READ_SECTORS_EXT, ATA_CMD_WRITE_SECTORS_EXT, ATA_CMD_READ_DMA_EXT,
		ATA_CMD_WRITE_DMA_EXT, ATA_CMD_IDENTIFY, ATA_CMD_FLUSH_CACHE, ATA_CMD_SET_FEATURES,
	};
	struct ata *a = synth_drive(5000, false);
	uint32_t x = 12345;
	uint8_t data[64];

	for (uint32_t i = 0; i < MEM_SIZE / 4; i++) {
		x = x * 1103515245u + 12345u;
		memcpy(mem + i * 4, &x, 4);
	}
	/* Most entries point inside memory, so that some DMA succeeds. */
	for (uint32_t i = 0; i < MEM_SIZE / 8; i++) {
		uint32_t addr = (i * 4096u) % (MEM_SIZE - 65536);

		if (i % 64)
			memcpy(mem + i * 8, &addr, 4);
	}
	for (int i = 0; i < 1000000; i++) {
		uint16_t port;
		unsigned int size;
		uint32_t count;

		x = x * 1103515245u + 12345u;
		port = ports[(x >> 8) % SV_ARRAY_SIZE_T(ports)];
		size = 1u << ((x >> 4) % 3);
		count = 1 + (x >> 20) % (sizeof(data) / size);
		if ((x & 3) == 0) {
			ata_port_in(a, port, size, count, data);
		} else if (port == BM + 4 || port == BM + 6) {
			ata_outl(a, BM + 4, (x >> 3) % MEM_SIZE);	/* mostly inside memory */
		} else if (port == CMD + 7 && (x & 0x30) != 0) {
			ata_outb(a, port, cmds[(x >> 12) % SV_ARRAY_SIZE_T(cmds)]);
		} else {
			for (size_t b = 0; b < sizeof(data); b++)
				data[b] = (uint8_t)(x >> (b % 24));
			ata_port_out(a, port, size, count, data);
		}
	}
	if (getenv("TEST_ATA_VERBOSE"))
		fprintf(stderr, "\nread-dma %llu write-dma %llu read-pio %llu write-pio %llu sectors %llu/%llu dma errors %llu\n",
			(unsigned long long)ata_stats(a)->cmds[ATA_SC_READ_DMA],
			(unsigned long long)ata_stats(a)->cmds[ATA_SC_WRITE_DMA],
			(unsigned long long)ata_stats(a)->cmds[ATA_SC_READ_PIO],
			(unsigned long long)ata_stats(a)->cmds[ATA_SC_WRITE_PIO],
			(unsigned long long)ata_stats(a)->sectors_read,
			(unsigned long long)ata_stats(a)->sectors_written,
			(unsigned long long)ata_stats(a)->dma_errors);
	ata_outb(a, CTL, ATA_CTL_SRST);
	ata_outb(a, CTL, 0);
	ata_outb(a, CMD + 6, 0xa0);
	command(a, ATA_CMD_IDENTIFY);
	CU_ASSERT_EQUAL(status(a), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ);
	CU_ASSERT_TRUE(ata_stats(a)->sectors_read + ata_stats(a)->sectors_written > 0);
	ata_destroy(a);
}

/* ---- ioreq messages --------------------------------------------------------------- */

static size_t mkreq(uint8_t *msg, uint16_t port, uint8_t size, uint8_t dir, uint32_t count)
{
	struct pvh_ioreq h = { PVH_IOREQ_MAGIC, 42, port, size, dir, count };

	memcpy(msg, &h, sizeof(h));
	return sizeof(h) + (dir == PVH_IOREQ_OUT ? (size_t)count * size : 0);
}

static int32_t serve_status(struct ata *a, const uint8_t *msg, size_t len,
			    struct pvh_ioreq_rsp *r_out, uint8_t *rsp)
{
	struct ioreq_stats st = { 0 };
	const char *why = "unset";
	size_t n = ioreq_serve(a, msg, len, rsp, &st, &why);

	memcpy(r_out, rsp, sizeof(*r_out));
	CU_ASSERT_EQUAL(r_out->magic, PVH_IOREQ_MAGIC);
	if (r_out->status == PVH_IOREQ_EBADREQ) {
		CU_ASSERT_EQUAL(n, sizeof(*r_out));
		CU_ASSERT_EQUAL(r_out->count, 0);
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_EQUAL(st.bad, 1);
	} else {
		CU_ASSERT_PTR_NULL(why);
	}
	return r_out->status;
}

static void test_ioreq_malformed(void)
{
	static uint8_t msg[PVH_IOREQ_MSG_MAX + 16], rsp[IOREQ_RSP_MAX];
	struct ata *a = synth_drive(100, false);
	struct pvh_ioreq_rsp r;
	struct pvh_ioreq h;
	size_t len;

	memset(msg, 0, sizeof(msg));
	len = mkreq(msg, CMD + 7, 1, PVH_IOREQ_IN, 1);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(r.seq, 42);
	CU_ASSERT_EQUAL(r.count, 1);
	CU_ASSERT_EQUAL(rsp[sizeof(r)], ATA_ST_DRDY | ATA_ST_DSC);
	/* Too short for a header; empty. */
	CU_ASSERT_EQUAL(serve_status(a, msg, sizeof(h) - 1, &r, rsp), PVH_IOREQ_EBADREQ);
	CU_ASSERT_EQUAL(r.seq, 0);
	CU_ASSERT_EQUAL(serve_status(a, msg, 0, &r, rsp), PVH_IOREQ_EBADREQ);
	/* Each header field out of range. */
	len = mkreq(msg, CMD + 7, 1, PVH_IOREQ_IN, 1);
	msg[0] ^= 1;
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_EBADREQ);
	CU_ASSERT_EQUAL(r.seq, 42);
	for (uint8_t size = 0; size < 9; size++) {
		len = mkreq(msg, CMD, size, PVH_IOREQ_IN, 1);
		CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp),
				size == 1 || size == 2 || size == 4 ? PVH_IOREQ_OK : PVH_IOREQ_EBADREQ);
	}
	len = mkreq(msg, CMD + 7, 1, 2, 1);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_EBADREQ);
	len = mkreq(msg, CMD + 7, 1, 0xff, 1);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_EBADREQ);
	len = mkreq(msg, CMD, 2, PVH_IOREQ_IN, 0);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_EBADREQ);
	/* count * size: at the limit, one over, and wrapping 32 bits. */
	len = mkreq(msg, CMD, 4, PVH_IOREQ_IN, PVH_IOREQ_DATA_MAX / 4);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_OK);
	len = mkreq(msg, CMD, 4, PVH_IOREQ_IN, PVH_IOREQ_DATA_MAX / 4 + 1);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_EBADREQ);
	len = mkreq(msg, CMD, 4, PVH_IOREQ_IN, 0x40000001u);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_EBADREQ);
	len = mkreq(msg, CMD, 2, PVH_IOREQ_OUT, 0x80000001u);
	CU_ASSERT_EQUAL(serve_status(a, msg, sizeof(h) + 2, &r, rsp), PVH_IOREQ_EBADREQ);
	/* Lengths that do not match the header. */
	len = mkreq(msg, CMD + 2, 1, PVH_IOREQ_OUT, 4);
	CU_ASSERT_EQUAL(serve_status(a, msg, len, &r, rsp), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(serve_status(a, msg, len - 1, &r, rsp), PVH_IOREQ_EBADREQ);
	CU_ASSERT_EQUAL(serve_status(a, msg, len + 1, &r, rsp), PVH_IOREQ_EBADREQ);
	CU_ASSERT_EQUAL(serve_status(a, msg, sizeof(msg), &r, rsp), PVH_IOREQ_EBADREQ);
	len = mkreq(msg, CMD + 7, 1, PVH_IOREQ_IN, 1);
	CU_ASSERT_EQUAL(serve_status(a, msg, len + 1, &r, rsp), PVH_IOREQ_EBADREQ);
	/* None of that disturbed the drive. */
	CU_ASSERT_TRUE(done_ok(a));
	ata_destroy(a);
}

static void test_ioreq_pio_sector(void)
{
	static uint8_t msg[PVH_IOREQ_MSG_MAX], rsp[IOREQ_RSP_MAX];
	struct ata *a = synth_drive(100, false);
	struct ioreq_stats st = { 0 };
	struct pvh_ioreq_rsp r;
	size_t len, n;

	/* The taskfile in one rep outsb (ports 0x1F2..), then the command. */
	tf28(a, 9, 1);
	len = mkreq(msg, CMD + 7, 1, PVH_IOREQ_OUT, 1);
	msg[sizeof(struct pvh_ioreq)] = ATA_CMD_READ_SECTORS;
	n = ioreq_serve(a, msg, len, rsp, &st, NULL);
	CU_ASSERT_EQUAL(n, sizeof(r));
	/* rep insl of a whole sector: 128 dwords in one request. */
	len = mkreq(msg, CMD, 4, PVH_IOREQ_IN, SS / 4);
	n = ioreq_serve(a, msg, len, rsp, &st, NULL);
	memcpy(&r, rsp, sizeof(r));
	CU_ASSERT_EQUAL(n, sizeof(r) + SS);
	CU_ASSERT_EQUAL(r.status, PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(r.count, SS / 4);
	CU_ASSERT_TRUE(is_pattern(rsp + sizeof(r), 9, 1));
	CU_ASSERT_TRUE(done_ok(a));
	/* An unclaimed port reads as all ones. */
	len = mkreq(msg, 0x60, 2, PVH_IOREQ_IN, 3);
	n = ioreq_serve(a, msg, len, rsp, &st, NULL);
	CU_ASSERT_EQUAL(n, sizeof(r) + 6);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(rsp[sizeof(r) + i], 0xff);
	CU_ASSERT_EQUAL(st.reqs, 3);
	CU_ASSERT_EQUAL(st.by_group[ATA_PG_DATA], 1);
	CU_ASSERT_EQUAL(st.by_group[ATA_PG_STATUS], 1);
	CU_ASSERT_EQUAL(st.by_group[ATA_PG_OTHER], 1);
	CU_ASSERT_EQUAL(st.items, 1 + SS / 4 + 3);
	ata_destroy(a);
}

int main(void)
{
	static CU_TestInfo drive[] = {
		{ "identify contents and checksum", test_identify },
		{ "identify of a small disk, set features, aborts", test_identify_small_and_features },
		{ "PIO read LBA28", test_pio_read_lba28 },
		{ "PIO write LBA28", test_pio_write_lba28 },
		{ "PIO LBA48 and HOB", test_pio_lba48 },
		{ "PIO CHS addressing", test_pio_chs },
		{ "sector count 0", test_count_zero },
		{ "sector count 0, LBA48 DMA of 65536 sectors", test_count_zero_lba48_dma },
		{ "DMA read and write", test_dma_read_write },
		{ "DMA with a larger PRD table", test_dma_prd_larger },
		{ "bus-master registers", test_bm_registers },
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo hostile[] = {
		{ "LBA past the end", test_lba_past_end },
		{ "PRD tables outside memory, endless, short", test_dma_hostile_prd },
		{ "data port without DRQ", test_data_port_without_drq },
		{ "commands while BSY or DRQ", test_command_while_busy_or_drq },
		{ "SRST mid-command", test_srst_mid_command },
		{ "read-only disk", test_readonly },
		{ "backend I/O errors", test_backend_errors },
		{ "device 1 absent", test_device1_absent },
		{ "a million random accesses", test_random_programming },
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo ioreq[] = {
		{ "malformed requests answered EBADREQ", test_ioreq_malformed },
		{ "a PIO sector through ioreqs", test_ioreq_pio_sector },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "ata", suite_init, suite_clean, NULL, NULL, drive },
		{ "ata-hostile", suite_init, suite_clean, NULL, NULL, hostile },
		{ "ioreq", suite_init, suite_clean, NULL, NULL, ioreq },
		CU_SUITE_INFO_NULL,
	};

	return sv_cunit_run(suites);
}

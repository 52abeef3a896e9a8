/*
 * ata_test.c: legacy/ata.c and the ide half of kernel/blk.c against the
 * fake controller of ata_fake.c: PRD tables (64 KiB boundaries, EOT, what
 * cannot be described), IDENTIFY decoding from raw words, probe, PIO and
 * DMA round trips with LBA28 and LBA48 commands, bounce buffers, and a
 * controller that is absent, stays busy, skips DRQ, faults, aborts
 * writes or whose bus master fails; then blk_* dispatch with blk=ide.
 *
 * The bus master reaches "guest memory": the suite maps FAKE_MEM_BYTES
 * at PVH_GUEST_BASE (as mm_test does) and hands it to the page allocator,
 * so the driver's PRD table and bounce pages are real guest-physical
 * addresses; a buffer on the host's heap is not, and must be bounced.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <public/pvh_ioreq.h>
#include <public/pvh_layout.h>
#include <pvos/ata.h>
#include <pvos/blk.h>
#include <pvos/cmdline.h>
#include <pvos/errno.h>
#include <pvos/mm.h>

#include "ata_fake.h"
#include "host.h"

static void *region;
static struct ata_dev dev;

static int map_region(void)
{
	region = mmap((void *)PVH_GUEST_BASE, FAKE_MEM_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (region != (void *)PVH_GUEST_BASE) {
		if (region != MAP_FAILED)
			munmap(region, FAKE_MEM_BYTES);
		region = NULL;
		return 1;
	}
	return 0;
}

static int unmap_region(void)
{
	if (region)
		munmap(region, FAKE_MEM_BYTES);
	return 0;
}

/* A fresh fake, a fresh heap in guest memory, and a clean console. */
static void fresh(void)
{
	fake_reset();
	test_reset_stubs();
	CU_ASSERT_EQUAL_FATAL(mm_init(PVH_GUEST_BASE + 64 * PVH_PAGE_SIZE,
				      FAKE_MEM_BYTES / PVH_PAGE_SIZE), 0);
}

/* A fresh fake with an LBA48 or LBA28-only drive, probed, in mode. */
static void probe_drive(bool lba48, enum ata_mode mode)
{
	fresh();
	fake_identify(fake.identify, lba48);
	CU_ASSERT_EQUAL_FATAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
					PVH_IDE_BM_BASE), 0);
	CU_ASSERT_EQUAL_FATAL(ata_set_mode(&dev, mode), 0);
}

static void probe_ok(enum ata_mode mode)
{
	probe_drive(true, mode);
}

/* ---- PRD tables ---- */

static void test_prd_single(void)
{
	struct ata_prd t[4];

	CU_ASSERT_EQUAL(ata_prd_build(t, 4, 0x10000, 4096), 1);
	CU_ASSERT_EQUAL(t[0].addr, 0x10000);
	CU_ASSERT_EQUAL(t[0].count, 4096);
	CU_ASSERT_EQUAL(t[0].flags, ATA_PRD_EOT);
}

static void test_prd_full_64k_is_zero(void)
{
	struct ata_prd t[4];

	CU_ASSERT_EQUAL(ata_prd_build(t, 4, 0x20000, 0x10000), 1);
	CU_ASSERT_EQUAL(t[0].count, 0);
	CU_ASSERT_EQUAL(t[0].flags, ATA_PRD_EOT);
	CU_ASSERT_EQUAL(ata_prd_build(t, 4, 0x20000, 0x20000), 2);
	CU_ASSERT_EQUAL(t[1].addr, 0x30000);
	CU_ASSERT_EQUAL(t[0].flags, 0);
	CU_ASSERT_EQUAL(t[1].flags, ATA_PRD_EOT);
}

static void test_prd_splits_at_64k(void)
{
	struct ata_prd t[8];
	uint64_t total = 0;
	int n = ata_prd_build(t, 8, 0x1fe00, 0x10400);

	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(t[0].addr, 0x1fe00);
	CU_ASSERT_EQUAL(t[0].count, 0x200);
	CU_ASSERT_EQUAL(t[1].addr, 0x20000);
	CU_ASSERT_EQUAL(t[1].count, 0);
	CU_ASSERT_EQUAL(t[2].addr, 0x30000);
	CU_ASSERT_EQUAL(t[2].count, 0x200);
	for (int i = 0; i < n; i++) {
		uint32_t len = t[i].count ? t[i].count : 0x10000;

		CU_ASSERT((t[i].addr & 0xffff) + len <= 0x10000);
		CU_ASSERT_EQUAL(t[i].flags, i == n - 1 ? ATA_PRD_EOT : 0);
		total += len;
	}
	CU_ASSERT_EQUAL(total, 0x10400);
}

static void test_prd_refuses(void)
{
	struct ata_prd t[2];

	CU_ASSERT_EQUAL(ata_prd_build(t, 2, 0x1001, 512), -EINVAL);	/* odd address */
	CU_ASSERT_EQUAL(ata_prd_build(t, 2, 0x1000, 511), -EINVAL);	/* odd length */
	CU_ASSERT_EQUAL(ata_prd_build(t, 2, 0x1000, 0), -EINVAL);
	CU_ASSERT_EQUAL(ata_prd_build(t, 2, 1ull << 32, 512), -EINVAL);
	CU_ASSERT_EQUAL(ata_prd_build(t, 2, (1ull << 32) - 512, 1024), -EINVAL);
	CU_ASSERT_EQUAL(ata_prd_build(t, 2, 0x8000, 0x20000), -EINVAL);	/* 3 needed */
	CU_ASSERT_EQUAL(ata_prd_build(t, 2, (1ull << 32) - 512, 512), 1);
}

/* ---- IDENTIFY ---- */

static void test_identify_lba48(void)
{
	uint16_t w[256];
	struct ata_identity id;
	const char *why;

	fake_identify(w, true);
	CU_ASSERT_EQUAL_FATAL(ata_parse_identify(w, &id, &why), 0);
	CU_ASSERT_EQUAL(id.sectors, FAKE_CAPACITY);
	CU_ASSERT(id.lba48 && id.dma && id.flush && id.flush_ext);
	CU_ASSERT_STRING_EQUAL(id.model, "Fake ATA disk");
	CU_ASSERT_STRING_EQUAL(id.serial, "FAKE0001");
	CU_ASSERT_STRING_EQUAL(id.firmware, "1.0");
	CU_ASSERT_EQUAL(id.udma_max, 5);
	CU_ASSERT_EQUAL(id.mwdma_max, 2);
	CU_ASSERT_EQUAL(id.pio_max, 4);
}

static void test_identify_lba28(void)
{
	uint16_t w[256];
	struct ata_identity id;
	const char *why;

	fake_identify(w, false);
	w[60] = 0x4000;
	w[61] = 0x0001;		/* 0x14000 sectors */
	w[100] = 0x1234;	/* ignored without the feature bit */
	CU_ASSERT_EQUAL_FATAL(ata_parse_identify(w, &id, &why), 0);
	CU_ASSERT_EQUAL(id.sectors, 0x14000);
	CU_ASSERT(!id.lba48 && !id.flush_ext && id.flush);
	/* LBA48 advertised with zero words 100-103 falls back to LBA28. */
	w[83] |= 1u << 10;
	w[100] = 0;
	CU_ASSERT_EQUAL_FATAL(ata_parse_identify(w, &id, &why), 0);
	CU_ASSERT(!id.lba48);
	CU_ASSERT_EQUAL(id.sectors, 0x14000);
	/* Word 83 not valid (bits 15:14 not 01): no feature bits at all. */
	w[83] = 0xffff;
	CU_ASSERT_EQUAL_FATAL(ata_parse_identify(w, &id, &why), 0);
	CU_ASSERT(!id.flush && !id.lba48);
}

static void test_identify_strings_hostile(void)
{
	uint16_t w[256];
	struct ata_identity id;
	const char *why;

	fake_identify(w, true);
	for (int i = 27; i < 47; i++)
		w[i] = 0x0a7f;		/* newline, DEL: not printable */
	w[10] = 0x2020;
	w[11] = 0x2041;		/* "   A" then spaces: trimmed both sides */
	for (int i = 12; i < 20; i++)
		w[i] = 0x2020;
	CU_ASSERT_EQUAL_FATAL(ata_parse_identify(w, &id, &why), 0);
	CU_ASSERT_EQUAL(strlen(id.model), 40);
	CU_ASSERT_EQUAL(strspn(id.model, "?"), 40);
	CU_ASSERT_STRING_EQUAL(id.serial, "A");
}

static void test_identify_checksum(void)
{
	uint16_t w[256];
	struct ata_identity id;
	const char *why;
	uint8_t sum = 0;

	fake_identify(w, true);
	w[255] = 0x00a5;
	for (int i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	w[255] = (uint16_t)(0x00a5 | (uint8_t)(0x100 - (sum - 0xa5) - 0xa5) << 8);
	sum = 0;
	for (int i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	CU_ASSERT_EQUAL_FATAL(sum, 0);
	CU_ASSERT_EQUAL(ata_parse_identify(w, &id, &why), 0);
	w[60] ^= 1;
	CU_ASSERT_EQUAL(ata_parse_identify(w, &id, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "checksum"));
}

static void test_identify_refuses(void)
{
	uint16_t w[256];
	struct ata_identity id;
	const char *why;

	fake_identify(w, true);
	w[0] = 0x8580;		/* ATAPI */
	CU_ASSERT_EQUAL(ata_parse_identify(w, &id, &why), -ENODEV);
	fake_identify(w, true);
	w[49] &= (uint16_t)~(1u << 9);
	CU_ASSERT_EQUAL(ata_parse_identify(w, &id, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "LBA"));
	fake_identify(w, false);
	w[60] = w[61] = 0;
	CU_ASSERT_EQUAL(ata_parse_identify(w, &id, &why), -EINVAL);
	fake_identify(w, true);
	w[106] = 0x4000 | (1u << 12);
	w[117] = 2048;		/* 4096-byte logical sectors */
	CU_ASSERT_EQUAL(ata_parse_identify(w, &id, &why), -EINVAL);
	w[117] = 256;
	CU_ASSERT_EQUAL(ata_parse_identify(w, &id, &why), 0);
}

/* ---- probe ---- */

static void test_probe_absent(void)
{
	fresh();
	fake.fault = FAULT_ABSENT;
	CU_ASSERT_EQUAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
				  PVH_IDE_BM_BASE), -ENODEV);
	CU_ASSERT_STRING_EQUAL(test_console, "");
	CU_ASSERT_EQUAL(fake.ncommands, 0);
}

static void test_probe_good(void)
{
	probe_ok(ATA_MODE_DMA);
	CU_ASSERT_EQUAL(fake.resets, 1);
	CU_ASSERT_EQUAL(fake.commands[0], ATA_CMD_IDENTIFY);
	CU_ASSERT_EQUAL(dev.id.sectors, FAKE_CAPACITY);
	CU_ASSERT(dev.has_bm);
	CU_ASSERT_EQUAL(dev.mode, ATA_MODE_DMA);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_SET_FEATURES);
	CU_ASSERT_EQUAL(fake.last_xfer_mode, 0x45);	/* UDMA5 */
	CU_ASSERT_EQUAL(ata_set_mode(&dev, ATA_MODE_PIO), 0);
	CU_ASSERT_EQUAL(fake.last_xfer_mode, 0x0c);	/* PIO4 */
}

static void test_probe_bad_devices(void)
{
	fresh();
	fake.fault = FAULT_ATAPI;
	CU_ASSERT_EQUAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
				  PVH_IDE_BM_BASE), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "ATAPI"));
	fresh();
	fake.fault = FAULT_RESET_STUCK;
	CU_ASSERT_EQUAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
				  PVH_IDE_BM_BASE), -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "soft reset"));
	fresh();
	fake.identify[49] = 0;		/* no LBA */
	CU_ASSERT_EQUAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
				  PVH_IDE_BM_BASE), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "no LBA"));
}

static void test_no_dma(void)
{
	fresh();
	fake.no_bm = true;
	CU_ASSERT_EQUAL_FATAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
					PVH_IDE_BM_BASE), 0);
	CU_ASSERT_EQUAL(ata_set_mode(&dev, ATA_MODE_DMA), -ENODEV);
	CU_ASSERT_EQUAL(dev.mode, ATA_MODE_PIO);
	fresh();
	fake.identify[49] &= (uint16_t)~(1u << 8);
	CU_ASSERT_EQUAL_FATAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
					PVH_IDE_BM_BASE), 0);
	CU_ASSERT_EQUAL(ata_set_mode(&dev, ATA_MODE_DMA), -ENODEV);
	/* A refused transfer mode is said, and the mode is still taken. */
	fresh();
	fake.fault = FAULT_SETFEAT;
	CU_ASSERT_EQUAL_FATAL(ata_probe(&dev, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL,
					PVH_IDE_BM_BASE), 0);
	CU_ASSERT_EQUAL(ata_set_mode(&dev, ATA_MODE_DMA), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "refused"));
}

/* ---- I/O ---- */

static uint8_t *guest_buf(size_t bytes)
{
	uint8_t *p = mm_alloc_pages((bytes + 4095) / 4096);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

/* Read n sectors at lba, compare with the disk, write them back changed. */
static void round_trip(uint8_t *buf, uint64_t lba, size_t n)
{
	CU_ASSERT_EQUAL_FATAL(ata_read(&dev, lba, buf, n), 0);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(memcmp(buf + i * 512, fake_sector(lba + i), 512), 0);
	for (size_t i = 0; i < n * 512; i++)
		buf[i] ^= 0x5a;
	CU_ASSERT_EQUAL_FATAL(ata_write(&dev, lba, buf, n), 0);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(memcmp(buf + i * 512, fake_sector(lba + i), 512), 0);
	CU_ASSERT_STRING_EQUAL(test_console, "");
}

static void test_pio_lba28(void)
{
	probe_ok(ATA_MODE_PIO);
	round_trip(guest_buf(8 * 512), 3, 8);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_WRITE_SECTORS);
	CU_ASSERT_EQUAL(fake.commands[fake.ncommands - 2], ATA_CMD_READ_SECTORS);
	CU_ASSERT_EQUAL(ata_flush(&dev), 0);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_FLUSH_CACHE_EXT);
}

static void test_pio_lba48(void)
{
	probe_ok(ATA_MODE_PIO);
	/* More than 256 sectors: one EXT command each way. */
	round_trip(guest_buf(300 * 512), 100, 300);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_WRITE_SECTORS_EXT);
	CU_ASSERT_EQUAL(fake.commands[fake.ncommands - 2], ATA_CMD_READ_SECTORS_EXT);
	/* Reaching sector 2^28: EXT even for a few sectors. */
	round_trip(guest_buf(16 * 512), FAKE_HIGH_LBA + 56, 16);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_WRITE_SECTORS_EXT);
	/* Just below it: the short form. */
	round_trip(guest_buf(8 * 512), FAKE_HIGH_LBA, 8);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_WRITE_SECTORS);
}

static void test_pio_lba28_drive_splits(void)
{
	probe_drive(false, ATA_MODE_PIO);
	fake.ncommands = 0;
	round_trip(guest_buf(600 * 512), 0, 600);
	/* 256 + 256 + 88 each way, never EXT. */
	CU_ASSERT_EQUAL(fake.ncommands, 6);
	for (unsigned int i = 0; i < fake.ncommands; i++)
		CU_ASSERT(fake.commands[i] == ATA_CMD_READ_SECTORS ||
			  fake.commands[i] == ATA_CMD_WRITE_SECTORS);
	CU_ASSERT_EQUAL(ata_flush(&dev), 0);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_FLUSH_CACHE);
}

static void test_dma_round_trip(void)
{
	uint8_t *buf;

	probe_ok(ATA_MODE_DMA);
	buf = guest_buf(2048 * 512);
	fake.ncommands = 0;
	/* 1 MiB: one READ DMA EXT, 16 or 17 entries of at most 64 KiB. */
	round_trip(buf, 0, 2048);
	CU_ASSERT_EQUAL(fake.ncommands, 2);
	CU_ASSERT_EQUAL(fake.commands[0], ATA_CMD_READ_DMA_EXT);
	CU_ASSERT_EQUAL(fake.commands[1], ATA_CMD_WRITE_DMA_EXT);
	CU_ASSERT(fake.prd_entries_max >= 16 && fake.prd_entries_max <= 17);
	CU_ASSERT(!fake.prd_violation);
	/* A buffer straddling a 64 KiB boundary of guest memory. */
	round_trip(buf + 0xfe00 - ((uintptr_t)buf & 0xffff) + 0x10000, 5, 4);
	CU_ASSERT_EQUAL(fake_last_command(), ATA_CMD_WRITE_DMA);
	CU_ASSERT_EQUAL(fake.prd_entries_max >= 2, true);
	CU_ASSERT(!fake.prd_violation);
	CU_ASSERT_EQUAL(fake.data_words, 256);	/* IDENTIFY only */
}

static void test_dma_bounce(void)
{
	uint8_t *heap = malloc(200 * 512 + 1);

	probe_ok(ATA_MODE_DMA);
	CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
	/* The host heap is not guest memory the bus master can reach. */
	round_trip(heap, 40, 200);
	/* Nor is an odd address, even in guest memory. */
	round_trip(guest_buf(4 * 512 + 1) + 1, 7, 4);
	CU_ASSERT(!fake.prd_violation);
	free(heap);
}

/* An LBA28-only drive in DMA mode: 256 sectors a command, less bounced. */
static void test_dma_lba28_drive(void)
{
	uint8_t *heap = malloc(300 * 512);

	CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
	probe_drive(false, ATA_MODE_DMA);
	fake.ncommands = 0;
	round_trip(guest_buf(300 * 512), 0, 300);
	CU_ASSERT_EQUAL(fake.ncommands, 4);	/* 256 + 44 each way */
	fake.ncommands = 0;
	round_trip(heap, 0, 300);
	CU_ASSERT_EQUAL(fake.ncommands, 6);	/* 128 + 128 + 44 each way */
	for (unsigned int i = 0; i < fake.ncommands; i++)
		CU_ASSERT(fake.commands[i] == ATA_CMD_READ_DMA ||
			  fake.commands[i] == ATA_CMD_WRITE_DMA);
	CU_ASSERT(!fake.prd_violation);
	free(heap);
}

/* Every failure is an errno and one line with status and error. */
static void expect_failure(enum fake_fault fault, enum ata_mode mode, bool write,
			   int want_rc, const char *want_text)
{
	uint8_t *buf;
	int rc;

	probe_ok(mode);
	buf = guest_buf(4 * 512);
	fake.fault = fault;
	rc = write ? ata_write(&dev, 0, buf, 4) : ata_read(&dev, 0, buf, 4);
	CU_ASSERT_EQUAL(rc, want_rc);
	if (!strstr(test_console, want_text))
		fprintf(stderr, "\nwanted \"%s\" in: %s", want_text, test_console);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, want_text));
	CU_ASSERT_EQUAL(dev.errors, 1);
}

static void test_errors(void)
{
	expect_failure(FAULT_READ_ONLY, ATA_MODE_PIO, true, -EIO, "error 0x4 (ABRT)");
	expect_failure(FAULT_READ_ONLY, ATA_MODE_DMA, true, -EIO, "WRITE DMA at lba 0");
	expect_failure(FAULT_BSY_STUCK, ATA_MODE_PIO, false, -ETIMEDOUT, "still busy");
	expect_failure(FAULT_BSY_STUCK, ATA_MODE_DMA, false, -ETIMEDOUT, "still busy");
	expect_failure(FAULT_NO_DRQ, ATA_MODE_PIO, false, -EIO, "DRQ clear");
	expect_failure(FAULT_DEVICE_FAULT, ATA_MODE_PIO, true, -EIO, "device fault");
	expect_failure(FAULT_DEVICE_FAULT, ATA_MODE_DMA, false, -EIO, "device fault");
	expect_failure(FAULT_BM_ERROR, ATA_MODE_DMA, false, -EIO, "bus master error");
	expect_failure(FAULT_BM_SHORT, ATA_MODE_DMA, false, -EIO, "without completion");
}

static void test_range(void)
{
	uint8_t *buf;

	probe_ok(ATA_MODE_PIO);
	buf = guest_buf(4 * 512);
	fake.ncommands = 0;
	CU_ASSERT_EQUAL(ata_read(&dev, FAKE_CAPACITY - 1, buf, 2), -EINVAL);
	CU_ASSERT_EQUAL(ata_read(&dev, UINT64_MAX, buf, 2), -EINVAL);
	CU_ASSERT_EQUAL(ata_write(&dev, FAKE_CAPACITY, buf, 1), -EINVAL);
	CU_ASSERT_EQUAL(fake.ncommands, 0);
	CU_ASSERT_EQUAL(ata_read(&dev, FAKE_CAPACITY - 1, buf, 1), 0);
	CU_ASSERT_EQUAL(ata_read(&dev, 0, buf, 0), 0);
	/* A sector the device cannot find: IDNF. */
	CU_ASSERT_EQUAL(ata_read(&dev, FAKE_SECTORS, buf, 1), -EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "IDNF"));
}

/* ---- blk dispatch over the ide disk ---- */

static unsigned int dones;

static void on_done(struct blk_req *r)
{
	(void)r;
	dones++;
}

static void set_cmdline(const char *s)
{
	cmdline_init(s, strlen(s));
}

static void test_blk_ide(void)
{
	struct blk_dev *bd;
	struct blk_req a = { 0 }, b = { 0 };
	uint8_t *buf;

	fresh();
	set_cmdline("blk=ide ata-mode=pio");
	CU_ASSERT_EQUAL_FATAL(blk_open_first(&bd), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "\"Fake ATA disk\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "mode pio"));
	CU_ASSERT_EQUAL(bd->sectors, FAKE_CAPACITY);
	CU_ASSERT(!blk_can_queue(bd));
	buf = guest_buf(8 * 512);
	CU_ASSERT_EQUAL(blk_read(bd, 8, buf, 8), 0);
	CU_ASSERT_EQUAL(memcmp(buf, fake_sector(8), 512), 0);
	memset(buf, 0xee, 512);
	CU_ASSERT_EQUAL(blk_write(bd, 9, buf, 1), 0);
	CU_ASSERT_EQUAL(fake_sector(9)[511], 0xee);
	CU_ASSERT_EQUAL(blk_flush(bd), 0);

	/* One request at a time, reported by the next wait. */
	dones = 0;
	a = (struct blk_req){ .op = BLK_OP_READ, .sector = 9, .buf = buf, .len = 512,
			      .done = on_done };
	b = a;
	CU_ASSERT_EQUAL(blk_submit(bd, &a), 0);
	CU_ASSERT_EQUAL(blk_submit(bd, &b), -EBUSY);
	CU_ASSERT_EQUAL(dones, 0);
	CU_ASSERT_EQUAL(blk_wait(bd), 0);
	CU_ASSERT_EQUAL(dones, 1);
	CU_ASSERT_EQUAL(a.status, 0);
	CU_ASSERT_EQUAL(blk_wait(bd), 0);	/* nothing outstanding */
	CU_ASSERT_EQUAL(dones, 1);
	b.len = 100;
	CU_ASSERT_EQUAL(blk_submit(bd, &b), -EINVAL);
	b.len = 2 * 1024 * 1024;
	CU_ASSERT_EQUAL(blk_submit(bd, &b), -EINVAL);
	b = (struct blk_req){ .op = BLK_OP_FLUSH, .done = on_done };
	CU_ASSERT_EQUAL(blk_submit(bd, &b), 0);
	CU_ASSERT_EQUAL(blk_wait(bd), 0);
	CU_ASSERT_EQUAL(dones, 2);
	CU_ASSERT_EQUAL(b.status, 0);
	/* A failing request reports its errno through status. */
	fake.fault = FAULT_READ_ONLY;
	a = (struct blk_req){ .op = BLK_OP_WRITE, .sector = 0, .buf = buf, .len = 512 };
	CU_ASSERT_EQUAL(blk_submit(bd, &a), 0);
	CU_ASSERT_EQUAL(blk_wait(bd), 0);
	CU_ASSERT_EQUAL(a.status, -EIO);
	blk_close(bd);
}

static void test_blk_select(void)
{
	struct blk_dev *bd = NULL;

	fresh();
	set_cmdline("blk=scsi");
	CU_ASSERT_EQUAL(blk_open_first(&bd), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "want xen or ide"));
	fresh();
	set_cmdline("blk=ide ata-mode=udma");
	CU_ASSERT_EQUAL(blk_open_first(&bd), -EINVAL);
	fresh();
	fake.fault = FAULT_ABSENT;
	set_cmdline("blk=ide");
	CU_ASSERT_EQUAL(blk_open_first(&bd), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "no ATA controller"));
	/* DMA by default; PIO, with a line, when the drive has no DMA. */
	fresh();
	set_cmdline("blk=ide");
	CU_ASSERT_EQUAL(blk_open_first(&bd), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "mode dma"));
	fresh();
	fake.identify[49] &= (uint16_t)~(1u << 8);
	CU_ASSERT_EQUAL(blk_open_first(&bd), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "using PIO"));
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "mode pio"));
	/* ... but not when DMA was asked for. */
	fresh();
	fake.identify[49] &= (uint16_t)~(1u << 8);
	set_cmdline("blk=ide ata-mode=dma");
	CU_ASSERT_EQUAL(blk_open_first(&bd), -ENODEV);
	set_cmdline("");
}

void add_ata_suite(void)
{
	CU_pSuite s = CU_add_suite("ata", map_region, unmap_region);

	CU_add_test(s, "prd single entry", test_prd_single);
	CU_add_test(s, "prd 64 KiB is count 0", test_prd_full_64k_is_zero);
	CU_add_test(s, "prd splits at 64 KiB boundaries", test_prd_splits_at_64k);
	CU_add_test(s, "prd refuses what it cannot describe", test_prd_refuses);
	CU_add_test(s, "identify lba48", test_identify_lba48);
	CU_add_test(s, "identify lba28", test_identify_lba28);
	CU_add_test(s, "identify hostile strings", test_identify_strings_hostile);
	CU_add_test(s, "identify checksum", test_identify_checksum);
	CU_add_test(s, "identify refuses", test_identify_refuses);
	CU_add_test(s, "probe: no controller", test_probe_absent);
	CU_add_test(s, "probe: good disk", test_probe_good);
	CU_add_test(s, "probe: bad devices", test_probe_bad_devices);
	CU_add_test(s, "no dma", test_no_dma);
	CU_add_test(s, "pio lba28", test_pio_lba28);
	CU_add_test(s, "pio lba48", test_pio_lba48);
	CU_add_test(s, "pio on an lba28-only drive", test_pio_lba28_drive_splits);
	CU_add_test(s, "dma round trip", test_dma_round_trip);
	CU_add_test(s, "dma bounce", test_dma_bounce);
	CU_add_test(s, "dma on an lba28-only drive", test_dma_lba28_drive);
	CU_add_test(s, "errors", test_errors);
	CU_add_test(s, "range", test_range);
	CU_add_test(s, "blk over ide", test_blk_ide);
	CU_add_test(s, "blk selection", test_blk_select);
}

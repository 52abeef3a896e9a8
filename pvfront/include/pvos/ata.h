/*
 * pvos/ata.h: the legacy ATA disk driver (legacy/ata.c), for the master
 * device of an IDE channel: probe, soft reset, IDENTIFY DEVICE, then
 * READ/WRITE SECTORS (PIO) or READ/WRITE DMA through the SFF-8038i bus
 * master, and FLUSH CACHE. Every register access is a real in/out
 * instruction (arch/x86_64/pio.h).
 *
 * No interrupts are used: the driver polls the status registers, every
 * wait bounded by time and by a count of reads, so a dead or hostile
 * controller costs a timeout, never a hang. Errors come back as a
 * negative errno after one printed line naming the command, the status
 * and the device's error register.
 *
 * Addressing: LBA28 commands when the range fits (first sector and last
 * below 2^28, at most 256 sectors), the EXT (LBA48) forms otherwise. The
 * LBA28 taskfile is 5 register writes instead of 10, and every write is
 * a trap, so the short form is the fast one.
 */
#ifndef PVOS_ATA_H
#define PVOS_ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATA_SECTOR_SIZE		512u

/* Primary channel, as pvh_ioreq.h places it. */
#define ATA_PRIMARY_CMD		0x1f0
#define ATA_PRIMARY_CTL		0x3f6

/* Command block register offsets (ATA8-ACS/ATA8-APT). */
#define ATA_REG_DATA		0
#define ATA_REG_ERROR		1	/* read */
#define ATA_REG_FEATURES	1	/* write */
#define ATA_REG_COUNT		2
#define ATA_REG_LBA_LOW		3
#define ATA_REG_LBA_MID		4
#define ATA_REG_LBA_HIGH	5
#define ATA_REG_DEVICE		6
#define ATA_REG_STATUS		7	/* read */
#define ATA_REG_COMMAND		7	/* write */

/* Status register. */
#define ATA_SR_BSY		0x80
#define ATA_SR_DRDY		0x40
#define ATA_SR_DF		0x20
#define ATA_SR_DRQ		0x08
#define ATA_SR_ERR		0x01

/* Error register. */
#define ATA_ER_ICRC		0x80
#define ATA_ER_UNC		0x40
#define ATA_ER_IDNF		0x10
#define ATA_ER_ABRT		0x04

/* Device control register (the control block port, write). */
#define ATA_CTL_NIEN		0x02
#define ATA_CTL_SRST		0x04
#define ATA_CTL_HOB		0x80

/* Device register: LBA addressing, master; bits 7 and 5 obsolete ones. */
#define ATA_DEV_LBA		0x40
#define ATA_DEV_OBS		0xa0

/* Commands. */
#define ATA_CMD_READ_SECTORS		0x20
#define ATA_CMD_READ_SECTORS_EXT	0x24
#define ATA_CMD_READ_DMA_EXT		0x25
#define ATA_CMD_WRITE_SECTORS		0x30
#define ATA_CMD_WRITE_SECTORS_EXT	0x34
#define ATA_CMD_WRITE_DMA_EXT		0x35
#define ATA_CMD_READ_DMA		0xc8
#define ATA_CMD_WRITE_DMA		0xca
#define ATA_CMD_FLUSH_CACHE		0xe7
#define ATA_CMD_FLUSH_CACHE_EXT		0xea
#define ATA_CMD_IDENTIFY		0xec
#define ATA_CMD_SET_FEATURES		0xef
#define ATA_SETFEAT_XFER_MODE		0x03

/* SFF-8038i bus master registers, from the channel's bus-master base. */
#define ATA_BM_COMMAND		0
#define ATA_BM_STATUS		2
#define ATA_BM_PRD_ADDR		4
#define ATA_BMC_START		0x01
#define ATA_BMC_TO_MEMORY	0x08	/* bus master writes memory: ATA read */
#define ATA_BMS_ACTIVE		0x01
#define ATA_BMS_ERROR		0x02
#define ATA_BMS_IRQ		0x04
#define ATA_BMS_DRV0_DMA	0x20

/*
 * A physical region descriptor: a buffer of count bytes (0 means 64 KiB)
 * at a 32-bit guest-physical address, even, not crossing a 64 KiB
 * boundary; the last entry of a table has ATA_PRD_EOT.
 */
struct ata_prd {
	uint32_t addr;
	uint16_t count;
	uint16_t flags;
};

#define ATA_PRD_EOT		0x8000
#define ATA_PRD_MAX_BYTES	0x10000u
/* One page of descriptors. */
#define ATA_PRD_TABLE_ENTRIES	512u

/* Per command: LBA28 counts up to 256; EXT commands are capped by us. */
#define ATA_LBA28_MAX_SECTORS	256u
#define ATA_LBA48_MAX_SECTORS	65536u
/* A DMA command covers at most 1 MiB (17 descriptors at worst). */
#define ATA_DMA_MAX_SECTORS	2048u
/* Bounce pages for buffers the bus master cannot reach (odd, >= 4 GiB). */
#define ATA_BOUNCE_PAGES	16u

/* What IDENTIFY DEVICE said, checked and decoded. */
struct ata_identity {
	char model[41];		/* words 27-46, trimmed, printable */
	char serial[21];	/* words 10-19 */
	char firmware[9];	/* words 23-26 */
	uint64_t sectors;	/* user-addressable, 512-byte */
	bool lba48;		/* 48-bit address feature set (word 83) */
	bool dma;		/* DMA supported (word 49 bit 8) */
	bool flush, flush_ext;	/* FLUSH CACHE (EXT) supported (word 83) */
	int udma_max;		/* highest Ultra DMA mode (word 88), or -1 */
	int mwdma_max;		/* highest multiword DMA mode (word 63), or -1 */
	int pio_max;		/* highest PIO mode: 0..2, or 3/4 (word 64) */
};

/*
 * Decode the 256 words of IDENTIFY DEVICE data (little-endian words as
 * read from the data port). Returns 0, -ENODEV if it is not an ATA disk
 * (word 0 bit 15), -EINVAL with *why_out set if it cannot be used: no
 * LBA, zero capacity, a bad checksum (word 255), logical sectors other
 * than 512 bytes.
 */
int ata_parse_identify(const uint16_t words[256], struct ata_identity *id_out,
		       const char **why_out);

/*
 * Describe len bytes of guest-physical memory from paddr in PRD entries:
 * at most 64 KiB each, none crossing a 64 KiB boundary, EOT on the last.
 * Returns the number of entries, or -EINVAL if paddr is odd, len is zero
 * or odd, the range does not lie below 4 GiB, or it needs more than max.
 */
int ata_prd_build(struct ata_prd *table, unsigned int max, uint64_t paddr,
		  size_t len);

enum ata_mode {
	ATA_MODE_PIO,
	ATA_MODE_DMA,
};

struct ata_dev {
	uint16_t cmd, ctl, bm;		/* port bases */
	struct ata_identity id;
	enum ata_mode mode;
	bool has_bm;			/* the bus-master block answers */
	bool prd_loaded;		/* BM PRD address holds our table */
	struct ata_prd *prd;		/* one page, below 4 GiB */
	uint8_t *bounce;		/* ATA_BOUNCE_PAGES, below 4 GiB */
	uint8_t status, error;		/* as last read */
	unsigned long commands, errors;
};

/*
 * Find the master device of the channel at cmd/ctl (bus master at bm):
 * a floating status (0xff) means no controller, -ENODEV, printing
 * nothing; then soft reset, signature check, IDENTIFY and its checks.
 * Fills *dev (which the caller owns for good); returns 0 or -errno.
 */
int ata_probe(struct ata_dev *dev, uint16_t cmd, uint16_t ctl, uint16_t bm);

/*
 * Choose PIO or DMA. DMA needs the drive's DMA support, an answering bus
 * master and two pages below 4 GiB; SET FEATURES programs the fastest
 * transfer mode IDENTIFY reports. Returns 0 or -errno (the mode is then
 * unchanged).
 */
int ata_set_mode(struct ata_dev *dev, enum ata_mode mode);
const char *ata_mode_name(enum ata_mode mode);

/* Synchronous I/O of nsect sectors from lba; buf is any memory. */
int ata_read(struct ata_dev *dev, uint64_t lba, void *buf, size_t nsect);
int ata_write(struct ata_dev *dev, uint64_t lba, const void *buf, size_t nsect);
/* FLUSH CACHE (EXT); 0 without a command if the drive has no flush. */
int ata_flush(struct ata_dev *dev);

#endif /* PVOS_ATA_H */

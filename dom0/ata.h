/*
 * ata.h: an emulated ATA/IDE disk on the primary channel, with the
 * SFF-8038i bus-master DMA block of that channel.
 *
 * The model is a pure state machine: it does no I/O of its own. It reads
 * and writes the disk image through struct ata_backend and reaches guest
 * memory (PRD tables and DMA buffers) through a base pointer and a size
 * that the caller sets with ata_set_memory(); every guest-physical address
 * is checked against that size before it is used. pvdm (dom0/pvdm.c) wires
 * it to an image file and to the domain's memory; the unit tests wire it
 * to a temporary file and a malloc'd buffer.
 *
 * Each command completes synchronously inside the port access that starts
 * it (the command write, the last data word of a PIO sector block, or the
 * bus-master start bit), so the next status read sees the result. There is
 * no interrupt line: the guest polls the status register, or the
 * bus-master status register, whose interrupt bit is set when a DMA
 * command ends (whatever nIEN says: it records "the drive is done" for a
 * polling driver).
 *
 * Ports, as on a PC (ATA/ATAPI-6, SFF-8038i):
 *   0x1F0 data (16-bit; a 32-bit access moves two words, an 8-bit access
 *         one word of which the low byte is seen), 0x1F1 error/features,
 *   0x1F2 sector count, 0x1F3-0x1F5 LBA low/mid/high, 0x1F6 device,
 *   0x1F7 status/command, 0x3F6 alternate status/device control (nIEN,
 *   SRST, HOB), PVH_IDE_BM_BASE + 0 BM command, + 2 BM status, + 4 the
 *   PRD table address (32-bit). A wider access to a byte register is split
 *   into byte accesses at consecutive ports, as PCI byte enables do.
 * Device 1 is absent: with DEV set in the device register the status
 * reads 0 and commands are ignored.
 */
#ifndef ATA_H
#define ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATA_SECTOR_SIZE		512u
#define ATA_CHUNK_SECTORS	256u	/* bounce buffer: 128 KiB */
#define ATA_PRD_MAX		8192u	/* a 64 KiB table of 8-byte entries */
#define ATA_LBA28_MAX		0x0fffffffull
#define ATA_LBA48_MAX		0xffffffffffffull

/* Status register (ATA/ATAPI-6 7.15.6). */
#define ATA_ST_ERR	0x01
#define ATA_ST_DRQ	0x08
#define ATA_ST_DSC	0x10
#define ATA_ST_DF	0x20
#define ATA_ST_DRDY	0x40
#define ATA_ST_BSY	0x80

/* Error register. */
#define ATA_ER_ABRT	0x04
#define ATA_ER_IDNF	0x10
#define ATA_ER_UNC	0x40

/* Device control register. */
#define ATA_CTL_NIEN	0x02
#define ATA_CTL_SRST	0x04
#define ATA_CTL_HOB	0x80

/* Device register. */
#define ATA_DEV_LBA	0x40
#define ATA_DEV_DEV	0x10

/* Bus-master command and status (SFF-8038i). */
#define ATA_BM_CMD_START	0x01
#define ATA_BM_CMD_TO_MEM	0x08	/* "read": the controller writes memory */
#define ATA_BM_ST_ACTIVE	0x01
#define ATA_BM_ST_ERROR		0x02
#define ATA_BM_ST_INTR		0x04
#define ATA_BM_ST_DRV0_DMA	0x20
#define ATA_BM_ST_DRV1_DMA	0x40

enum ata_cmd {
	ATA_CMD_READ_SECTORS = 0x20,
	ATA_CMD_READ_SECTORS_EXT = 0x24,
	ATA_CMD_READ_DMA_EXT = 0x25,
	ATA_CMD_WRITE_SECTORS = 0x30,
	ATA_CMD_WRITE_SECTORS_EXT = 0x34,
	ATA_CMD_WRITE_DMA_EXT = 0x35,
	ATA_CMD_READ_DMA = 0xc8,
	ATA_CMD_WRITE_DMA = 0xca,
	ATA_CMD_FLUSH_CACHE = 0xe7,
	ATA_CMD_FLUSH_CACHE_EXT = 0xea,
	ATA_CMD_IDENTIFY = 0xec,
	ATA_CMD_SET_FEATURES = 0xef,
};

/*
 * The disk image. buf is the model's bounce buffer (4096-byte aligned);
 * offset and len are multiples of 512 and within the disk. Each returns 0
 * or -errno; a short transfer is the backend's to retry or to fail.
 */
struct ata_backend {
	int (*read)(void *ctx, void *buf, uint64_t offset, size_t len);
	int (*write)(void *ctx, const void *buf, uint64_t offset, size_t len);
	int (*flush)(void *ctx);
	void *ctx;
};

/* Counters for the log and the benchmark. */
enum ata_port_group {
	ATA_PG_DATA = 0,	/* 0x1F0 */
	ATA_PG_TASKFILE,	/* 0x1F1-0x1F6 */
	ATA_PG_STATUS,		/* 0x1F7 and 0x3F6 */
	ATA_PG_BM,		/* the bus-master block */
	ATA_PG_OTHER,		/* ports the model does not claim */
	ATA_PG_COUNT
};

enum ata_stat_cmd {
	ATA_SC_IDENTIFY = 0, ATA_SC_READ_PIO, ATA_SC_WRITE_PIO, ATA_SC_READ_DMA,
	ATA_SC_WRITE_DMA, ATA_SC_FLUSH, ATA_SC_SET_FEATURES, ATA_SC_ABORTED,
	ATA_SC_COUNT
};

struct ata_stats {
	uint64_t accesses[ATA_PG_COUNT];	/* port accesses (items) */
	uint64_t cmds[ATA_SC_COUNT];		/* commands by kind */
	uint64_t errors;			/* commands that ended in ERR */
	uint64_t dma_errors;			/* BM status error bit set */
	uint64_t sectors_read;
	uint64_t sectors_written;
	uint64_t resets;
};

struct ata;

/*
 * Creates a drive of `sectors` 512-byte sectors (at least 1) behind be,
 * which must outlive it. serial names the drive in IDENTIFY (up to 20
 * characters, copied). Returns NULL with errno set.
 */
struct ata *ata_create(const struct ata_backend *be, uint64_t sectors, bool readonly,
		       const char *serial);
void ata_destroy(struct ata *a);

/* Guest memory for DMA: [base, base + size). NULL/0: DMA always fails. */
void ata_set_memory(struct ata *a, void *base, uint64_t size);

/* Power-on reset: registers, transfer state and the bus-master block. */
void ata_reset(struct ata *a);

/* Does the model own this port, and which register group is it? */
bool ata_claims_port(uint16_t port);
enum ata_port_group ata_port_group(uint16_t port);

/*
 * count accesses of size bytes (1, 2 or 4) at port, as one rep ins/outs
 * or a single in/out (count 1). data holds count * size bytes,
 * little-endian. A port the model does not claim reads as all ones.
 */
void ata_port_in(struct ata *a, uint16_t port, unsigned int size, uint32_t count,
		 uint8_t *data_out);
void ata_port_out(struct ata *a, uint16_t port, unsigned int size, uint32_t count,
		  const uint8_t *data);

/* Single accesses, for tests and small callers. */
uint32_t ata_inb(struct ata *a, uint16_t port);
uint32_t ata_inw(struct ata *a, uint16_t port);
uint32_t ata_inl(struct ata *a, uint16_t port);
void ata_outb(struct ata *a, uint16_t port, uint32_t val);
void ata_outw(struct ata *a, uint16_t port, uint32_t val);
void ata_outl(struct ata *a, uint16_t port, uint32_t val);

const struct ata_stats *ata_stats(const struct ata *a);
/* The IDENTIFY DEVICE block as the guest reads it. */
const uint16_t *ata_identify_data(const struct ata *a);
const char *ata_stat_cmd_name(enum ata_stat_cmd c);
const char *ata_port_group_name(enum ata_port_group g);

#endif /* ATA_H */

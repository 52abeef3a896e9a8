/*
 * ata_fake.h: a fake primary IDE channel for the host tests of
 * legacy/ata.c and kernel/blk.c, behind fakeio/pio.h's port functions.
 *
 * It behaves like pvdm's controller: every command completes inside the
 * port write that starts it (a DMA command at whichever of the command
 * write and the bus-master start comes last), status and error registers
 * as ATA8-ACS says, the PRD table and buffers read from "guest memory"
 * (the test's region at PVH_GUEST_BASE). It can be told to misbehave.
 */
#ifndef PVFRONT_TESTS_ATA_FAKE_H
#define PVFRONT_TESTS_ATA_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_SECTORS		2048u	/* stored from lba 0 */
#define FAKE_HIGH_LBA		((1u << 28) - 64)	/* a second window */
#define FAKE_HIGH_SECTORS	128u
#define FAKE_CAPACITY		(FAKE_HIGH_LBA + FAKE_HIGH_SECTORS)
#define FAKE_MEM_BYTES		(4u << 20)	/* guest memory the bus master reaches */

enum fake_fault {
	FAULT_NONE,
	FAULT_ABSENT,		/* no controller: every port reads 0xff */
	FAULT_BSY_STUCK,	/* BSY stays set after a command */
	FAULT_RESET_STUCK,	/* BSY stays set after a soft reset */
	FAULT_NO_DRQ,		/* a data command ends without a data phase */
	FAULT_DEVICE_FAULT,	/* DF and ERR after a command */
	FAULT_READ_ONLY,	/* writes fail with ABRT */
	FAULT_BM_ERROR,		/* the bus master reports an error */
	FAULT_BM_SHORT,		/* the bus master stops without IRQ */
	FAULT_ATAPI,		/* the reset signature is an ATAPI device's */
	FAULT_SETFEAT,		/* SET FEATURES is aborted */
};

struct fake_ata {
	enum fake_fault fault;
	uint16_t identify[256];
	bool dma_capable;		/* BM status bit 5 */
	bool no_bm;			/* the bus master block floats */
	/* What the driver did. */
	uint8_t commands[256];
	unsigned int ncommands;
	unsigned int prd_entries_max;	/* most entries one transfer used */
	unsigned int resets, data_words;
	uint8_t last_xfer_mode;
	bool prd_violation;		/* an entry broke the PRD rules */
};

extern struct fake_ata fake;

/* A fresh controller with a good LBA48 disk; mem is guest memory. */
void fake_reset(void);
/* An IDENTIFY block for the fake disk (lba48 or LBA28 only). */
void fake_identify(uint16_t w[256], bool lba48);
/* The fake disk's sector lba, or NULL outside both stored windows. */
uint8_t *fake_sector(uint64_t lba);
uint8_t fake_last_command(void);

#endif /* PVFRONT_TESTS_ATA_FAKE_H */

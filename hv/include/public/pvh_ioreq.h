/*
 * pvh_ioreq.h: port I/O from a guest to its device model.
 *
 * A guest has no I/O privilege, so every in, out, ins and outs it executes
 * faults (#GP, delivered to the vCPU runner as SIGSEGV). The runner's trap
 * handler decodes the instruction (hv/pio-decode.c), turns it into one
 * ioreq, sends it to the domain's device model, waits for the answer,
 * writes the result into the guest's registers and memory, and resumes the
 * guest after the instruction. This is what a hardware VM exit to a user
 * space device model costs, on a different trap.
 *
 * Transport. A domain created with PVH_CREATE_IOREQ gets a SOCK_SEQPACKET
 * socket at descriptor PVH_FD_IOREQ in its runner. pvhv holds the other
 * end until a dom0 process claims it with PVH_CTL_DOM_FD (which =
 * PVH_DOM_FD_IOREQ); that process is then the domain's device model
 * (pvdm). Each vCPU has at most one ioreq in flight: the runner writes one
 * request message and reads one response message.
 *
 * Request: struct pvh_ioreq, then for PVH_IOREQ_OUT count * size bytes of
 * data (the items in order, little-endian). Response: struct pvh_ioreq_rsp,
 * then for PVH_IOREQ_IN count * size bytes. A device model serves every
 * item it is asked for: a port nobody claims reads as all ones and ignores
 * writes, as on a PC. count * size never exceeds PVH_IOREQ_DATA_MAX; the
 * runner serves a longer rep ins/outs in chunks, re-executing the
 * instruction until %rcx reaches zero, as KVM does.
 *
 * Everything in a request comes from an untrusted guest: the device model
 * validates the header (magic, size in {1, 2, 4}, dir, count, and that the
 * message length equals the header plus the data), and treats a malformed
 * request as a fatal guest error (it answers PVH_IOREQ_EBADREQ, and the
 * runner crashes the domain).
 *
 * A domain without a device model answers its port I/O in the runner
 * itself: reads return all ones, writes are dropped, with the same trap
 * cost minus the round trip.
 *
 * Emulated devices a device model offers, at fixed ports:
 *   - the primary ATA/IDE channel: command block 0x1F0-0x1F7, control
 *     block 0x3F6 (alternate status / device control);
 *   - the PCI IDE bus-master registers of that channel at
 *     PVH_IDE_BM_BASE (command +0, status +2, PRD table address +4),
 *     as in the SFF-8038i specification. There is no PCI configuration
 *     space: the base is fixed here instead.
 * The device model reaches guest memory for DMA (PRD tables and buffers)
 * through the domain's memory descriptor (PVH_DOM_FD_MEMORY); every
 * guest-physical address it is given is checked against the domain's size.
 */
#ifndef PVH_IOREQ_H
#define PVH_IOREQ_H

#include <stdint.h>

#define PVH_FD_IOREQ		255	/* in the runner; PVH_FD_MAX - 1 */

#define PVH_IOREQ_MAGIC		0x51524f49u	/* "IORQ" */
#define PVH_IOREQ_DATA_MAX	4096u

enum pvh_ioreq_dir {
	PVH_IOREQ_OUT = 0,	/* guest to device: out, outs */
	PVH_IOREQ_IN = 1,	/* device to guest: in, ins */
};

struct pvh_ioreq {
	uint32_t magic;		/* PVH_IOREQ_MAGIC */
	uint32_t seq;		/* echoed by the response */
	uint16_t port;
	uint8_t size;		/* bytes per item: 1, 2 or 4 */
	uint8_t dir;		/* enum pvh_ioreq_dir */
	uint32_t count;		/* items, >= 1; count * size <= DATA_MAX */
	/* OUT: uint8_t data[count * size] */
};

enum {
	PVH_IOREQ_OK = 0,
	PVH_IOREQ_EBADREQ = -22,	/* malformed request: crash the domain */
};

struct pvh_ioreq_rsp {
	uint32_t magic;		/* PVH_IOREQ_MAGIC */
	uint32_t seq;		/* the request's */
	int32_t status;		/* PVH_IOREQ_OK or PVH_IOREQ_EBADREQ */
	uint32_t count;		/* items served: the request's count */
	/* IN: uint8_t data[count * size] */
};

#define PVH_IOREQ_MSG_MAX	(sizeof(struct pvh_ioreq) + PVH_IOREQ_DATA_MAX)

/* The emulated primary IDE channel and its bus-master block. */
#define PVH_IDE_CMD_BASE	0x1f0
#define PVH_IDE_CTL_PORT	0x3f6
#define PVH_IDE_BM_BASE		0xc000

#endif /* PVH_IOREQ_H */

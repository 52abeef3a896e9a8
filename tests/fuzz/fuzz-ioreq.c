/*
 * fuzz-ioreq.c: pvdm's request decoding and its emulated IDE drive
 * (dom0/ioreq.c, dom0/ata.c), driven as a hostile guest drives them: any
 * sequence of port accesses, malformed requests among them, and PRD
 * tables and DMA buffers the guest wrote into its memory.
 *
 * Input: one byte of drive flags (read-only, size), then records, each a
 * kind byte and its fields: a well-formed request built from a port (one
 * of the drive's, or any), size, direction, count and OUT data; a raw
 * message of any bytes; or bytes the guest writes into its memory.
 *
 * Oracles: every response has the magic, echoes the sequence number and
 * is exactly as long as ioreq.h says; a well-formed request is served,
 * a malformed one refused; the drive touches its image only in whole
 * sectors inside it, through the aligned bounce buffer.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "ioreq.h"

#define MEM_SIZE	(64u * 1024)
#define RECORDS_MAX	2048

static uint8_t *image;
static uint64_t image_bytes;
static uint8_t guest_mem[MEM_SIZE];
static uint8_t msg[PVH_IOREQ_MSG_MAX + 64];
static uint8_t rsp[IOREQ_RSP_MAX];

static void check_io(const void *buf, uint64_t off, size_t len)
{
	FUZZ_CHECK((uintptr_t)buf % 4096 == 0);
	FUZZ_CHECK(off % ATA_SECTOR_SIZE == 0 && len % ATA_SECTOR_SIZE == 0);
	FUZZ_CHECK(off <= image_bytes && len <= image_bytes - off);
}

static int mem_read(void *ctx, void *buf, uint64_t off, size_t len)
{
	check_io(buf, off, len);
	memcpy(buf, image + off, len);
	return 0;
}

static int mem_write(void *ctx, const void *buf, uint64_t off, size_t len)
{
	check_io(buf, off, len);
	memcpy(image + off, buf, len);
	return 0;
}

static int mem_flush(void *ctx)
{
	return 0;
}

static const struct ata_backend backend = { mem_read, mem_write, mem_flush, NULL };

static const uint16_t ports[] = {
	PVH_IDE_CMD_BASE + 0, PVH_IDE_CMD_BASE + 1, PVH_IDE_CMD_BASE + 2,
	PVH_IDE_CMD_BASE + 3, PVH_IDE_CMD_BASE + 4, PVH_IDE_CMD_BASE + 5,
	PVH_IDE_CMD_BASE + 6, PVH_IDE_CMD_BASE + 7, PVH_IDE_CTL_PORT,
	PVH_IDE_BM_BASE + 0, PVH_IDE_BM_BASE + 2, PVH_IDE_BM_BASE + 4,
};

/* A request the drive must serve: the header ioreq.h describes and OUT data. */
static size_t make_request(struct fuzz_in *in, uint32_t seq, struct pvh_ioreq *h)
{
	static const uint8_t sizes[] = { 1, 2, 4, 2 };
	uint8_t sel = fuzz_u8(in), b = fuzz_u8(in);
	size_t data;

	memset(h, 0, sizeof(*h));
	h->magic = PVH_IOREQ_MAGIC;
	h->seq = seq;
	h->port = sel < sizeof(ports) / sizeof(ports[0]) * 16 ?
		  ports[sel % (sizeof(ports) / sizeof(ports[0]))] : fuzz_u16(in);
	h->size = sizes[b & 3];
	h->dir = (b & 4) ? PVH_IOREQ_IN : PVH_IOREQ_OUT;
	/* Mostly single accesses and rep strings of a sector or two. */
	h->count = (b & 8) ? 1u + fuzz_u16(in) % (PVH_IOREQ_DATA_MAX / h->size) :
			     1u + (b >> 4);
	data = h->dir == PVH_IOREQ_OUT ? (size_t)h->count * h->size : 0;
	memcpy(msg, h, sizeof(*h));
	fuzz_take(in, msg + sizeof(*h), data);
	return sizeof(*h) + data;
}

static void serve(struct ata *a, struct ioreq_stats *st, size_t len, bool well_formed,
		  uint32_t seq)
{
	struct pvh_ioreq_rsp r;
	struct pvh_ioreq h;
	const char *why = "unset";
	size_t n;

	n = ioreq_serve(a, msg, len, rsp, st, &why);
	memcpy(&r, rsp, sizeof(r));
	FUZZ_CHECK(r.magic == PVH_IOREQ_MAGIC);
	if (r.status != PVH_IOREQ_OK) {
		FUZZ_CHECK(!well_formed && r.status == PVH_IOREQ_EBADREQ);
		FUZZ_CHECK(why != NULL && r.count == 0 && n == sizeof(r));
		FUZZ_CHECK(ioreq_check(msg, len, &h, &why) < 0);
		return;
	}
	FUZZ_CHECK(why == NULL && ioreq_check(msg, len, &h, &why) == 0);
	FUZZ_CHECK(r.seq == h.seq && (!well_formed || r.seq == seq));
	FUZZ_CHECK(r.count == h.count);
	FUZZ_CHECK(n == sizeof(r) + (h.dir == PVH_IOREQ_IN ? (size_t)h.count * h.size : 0));
}

static void run(struct ata *a, struct fuzz_in *in)
{
	struct ioreq_stats st = { 0 };
	struct pvh_ioreq h;
	uint32_t seq = 0;

	for (unsigned int i = 0; i < RECORDS_MAX && in->left; i++) {
		uint8_t kind = fuzz_u8(in);
		size_t len, off;

		switch (kind % 8) {
		case 0:		/* the guest writes its memory: a PRD table, a buffer */
			off = fuzz_u16(in) % MEM_SIZE;
			len = fuzz_u8(in);
			fuzz_take(in, guest_mem + off, len < MEM_SIZE - off ? len : MEM_SIZE - off);
			break;
		case 1:		/* any bytes at all */
			len = fuzz_u16(in) % sizeof(msg);
			fuzz_take(in, msg, len);
			serve(a, &st, len, false, 0);
			break;
		default:
			len = make_request(in, ++seq, &h);
			serve(a, &st, len, true, seq);
			break;
		}
	}
	FUZZ_CHECK(st.in + st.out == st.reqs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	uint64_t sectors = 1u + (flags >> 1) * 8u;	/* 1 to 1017 sectors */
	struct ata *a;

	image_bytes = sectors * ATA_SECTOR_SIZE;
	image = calloc(1, image_bytes);
	if (!image)
		return 0;
	memset(guest_mem, 0, sizeof(guest_mem));
	a = ata_create(&backend, sectors, flags & 1, "FUZZ0001");
	if (a) {
		ata_set_memory(a, guest_mem, sizeof(guest_mem));
		run(a, &in);
		ata_destroy(a);
	}
	free(image);
	return 0;
}

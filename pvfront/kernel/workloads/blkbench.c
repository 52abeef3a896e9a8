/*
 * blkbench.c: init=blkbench [ms=N] [bs=A,B,..] [qd=A,B,..] [ops=X,Y,..],
 * block I/O on the disk blk_open_first() selects (blk=xen|ide): sequential
 * and random reads and writes (ops, default
 * seqread,seqwrite,randread,randwrite) at each block size (bs,
 * 4096..1048576 in multiples of 512, default 4096,65536,1048576) and queue
 * depth (qd, 1..32, default 1,8,32), for N ms (default 200) per case. One
 * line per case:
 *
 *   blkbench: op=randread bs=4096 qd=1 iops=12345 mib_s=48.2 lat_us_p50=75
 *
 * A device that cannot queue (ide) runs the qd=1 cases; each case with a
 * deeper queue is one line instead, without numbers:
 *
 *   blkbench: op=randread bs=4096 qd=32 skipped=cannot-queue device_qd=1
 *
 * An I/O bigger than one device request (44 KiB on a blkif ring) is split
 * into several; its latency is from its first submission to its last
 * completion. The queue depth counts I/Os in flight, limited by the
 * device's requests in flight (32 on the ring). Writes overwrite the disk.
 * Powers off when done.
 */
#include <stdint.h>

#include <pvos/blk.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/errno.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "bench-priv.h"

#define MAX_QD		32
#define MAX_BS		(1024 * 1024)
#define MAX_SAMPLES	4096
#define SLOTS		32

struct bio {
	bool active;
	uint64_t sector;
	size_t bs, next_off;
	unsigned int pending;
	uint64_t start_ns;
};

struct chunk {
	struct blk_req r;
	struct bio *io;
};

struct run {
	struct blk_dev *dev;
	enum blk_op op;
	bool random;
	size_t bs;
	unsigned int qd;
	uint8_t *buf;
	uint64_t seq_next, rnd;
	struct bio ios[MAX_QD];
	struct chunk chunks[SLOTS];
	uint64_t done, nsamples;
	uint64_t lat_us[MAX_SAMPLES];
};

static struct run run;

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void chunk_done(struct blk_req *r)
{
	struct chunk *c = r->data;
	struct bio *io = c->io;

	c->io = NULL;
	if (r->status < 0)
		panic("blkbench: %s of sector %lu failed (%d)",
		      r->op == BLK_OP_READ ? "read" : "write",
		      (unsigned long)r->sector, r->status);
	if (--io->pending || io->next_off < io->bs)
		return;
	if (run.nsamples < MAX_SAMPLES)
		run.lat_us[run.nsamples++] = (time_now_ns() - io->start_ns) / 1000;
	run.done++;
	io->active = false;
}

static void start_io(struct bio *io)
{
	uint64_t span = run.bs / BLK_SECTOR_SIZE, slots = run.dev->sectors / span;

	if (run.random) {
		io->sector = next_random(&run.rnd) % slots * span;
	} else {
		if (run.seq_next + span > run.dev->sectors)
			run.seq_next = 0;
		io->sector = run.seq_next;
		run.seq_next += span;
	}
	io->bs = run.bs;
	io->next_off = 0;
	io->pending = 0;
	io->active = true;
	io->start_ns = time_now_ns();
}

static struct chunk *free_chunk(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (!run.chunks[i].io)
			return &run.chunks[i];
	return NULL;
}

/* Put as many pieces of active I/Os on the ring as fit. */
static void submit_pieces(void)
{
	for (unsigned int i = 0; i < run.qd; i++) {
		struct bio *io = &run.ios[i];

		while (io->active && io->next_off < io->bs) {
			struct chunk *c = free_chunk();
			size_t n = io->bs - io->next_off;
			int rc;

			if (!c)
				return;
			if (n > run.dev->max_req_bytes)
				n = run.dev->max_req_bytes;
			c->r = (struct blk_req){
				.op = run.op, .sector = io->sector + io->next_off / BLK_SECTOR_SIZE,
				.buf = run.buf + io->next_off, .len = n,
				.done = chunk_done, .data = c,
			};
			c->io = io;
			rc = blk_submit(run.dev, &c->r);
			if (rc == -EBUSY) {
				c->io = NULL;
				return;
			}
			if (rc < 0)
				panic("blkbench: submit failed (%d)", rc);
			io->next_off += n;
			io->pending++;
		}
	}
}

static void one_case(const char *name, uint64_t ms)
{
	uint64_t t0 = time_now_ns(), end = t0 + ms * NSEC_PER_MSEC, el, iops, mibx10;
	bool busy = true;

	run.done = run.nsamples = 0;
	run.seq_next = 0;
	memset(run.ios, 0, sizeof(run.ios));
	while (busy) {
		bool starting = time_now_ns() < end;

		busy = false;
		for (unsigned int i = 0; i < run.qd; i++) {
			if (!run.ios[i].active && starting)
				start_io(&run.ios[i]);
			busy |= run.ios[i].active;
		}
		submit_pieces();
		if (busy && blk_wait(run.dev) < 0)
			panic("blkbench: the disk broke");
	}
	el = time_now_ns() - t0;
	iops = run.done * NSEC_PER_SEC / el;
	/* 128 bits: dividing by 1 MiB first would round small rates to 0. */
	mibx10 = (uint64_t)((unsigned __int128)run.done * run.bs * 10 * NSEC_PER_SEC /
			    1048576 / el);
	printk("blkbench: op=%s bs=%lu qd=%u iops=%lu mib_s=%lu.%lu lat_us_p50=%lu\n",
	       name, (unsigned long)run.bs, run.qd, (unsigned long)iops,
	       (unsigned long)(mibx10 / 10), (unsigned long)(mibx10 % 10),
	       run.nsamples ? (unsigned long)bench_median(run.lat_us, run.nsamples) : 0ul);
}

#define MAX_LIST	8

struct op_kind {
	const char *name;
	enum blk_op op;
	bool random;
};

static const struct op_kind op_kinds[] = {
	{ "seqread", BLK_OP_READ, false }, { "seqwrite", BLK_OP_WRITE, false },
	{ "randread", BLK_OP_READ, true }, { "randwrite", BLK_OP_WRITE, true },
};

/* A comma-separated list of numbers in [min, max]; returns how many. */
static unsigned int parse_list(const char *key, const char *def, uint64_t min,
			       uint64_t max, uint64_t out[MAX_LIST])
{
	const char *p = cmdline_get(key, def);
	unsigned int n = 0;

	while (*p) {
		uint64_t v = 0;
		bool digits = false;

		for (; *p >= '0' && *p <= '9' && v <= max; p++, digits = true)
			v = v * 10 + (uint64_t)(*p - '0');
		if (!digits || v < min || v > max || n == MAX_LIST ||
		    (*p && *p != ','))
			panic("blkbench: %s= wants up to %d numbers in [%lu, %lu] "
			      "separated by commas", key, MAX_LIST,
			      (unsigned long)min, (unsigned long)max);
		out[n++] = v;
		if (*p == ',')
			p++;
	}
	return n;
}

/* Which op kinds ops= names, as a bit mask over op_kinds[]. */
static unsigned int parse_ops(void)
{
	const char *p = cmdline_get("ops", "seqread,seqwrite,randread,randwrite");
	unsigned int mask = 0;

	while (*p) {
		size_t len = 0, k;

		while (p[len] && p[len] != ',')
			len++;
		for (k = 0; k < ARRAY_SIZE(op_kinds); k++)
			if (strlen(op_kinds[k].name) == len &&
			    strncmp(op_kinds[k].name, p, len) == 0)
				break;
		if (k == ARRAY_SIZE(op_kinds))
			panic("blkbench: ops= takes seqread, seqwrite, randread, "
			      "randwrite separated by commas");
		mask |= 1u << k;
		p += len + (p[len] == ',');
	}
	return mask;
}

void workload_blkbench(void)
{
	uint64_t ms, sizes[MAX_LIST], depths[MAX_LIST];
	unsigned int nsizes, ndepths, ops;

	if (!time_is_available())
		panic("blkbench: no PV clock");
	if (cmdline_get_u64("ms", 200, 1, 60000, &ms) < 0)
		panic("blkbench: ms= must be 1..60000");
	nsizes = parse_list("bs", "4096,65536,1048576", BLK_SECTOR_SIZE, MAX_BS, sizes);
	ndepths = parse_list("qd", "1,8,32", 1, MAX_QD, depths);
	ops = parse_ops();
	for (unsigned int b = 0; b < nsizes; b++)
		if (sizes[b] % BLK_SECTOR_SIZE)
			panic("blkbench: bs=%lu is not a multiple of 512",
			      (unsigned long)sizes[b]);
	if (blk_open_first(&run.dev) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	run.buf = mm_alloc_pages(MAX_BS / 4096);
	if (!run.buf)
		panic("blkbench: no memory for a 1 MiB buffer");
	run.rnd = time_now_ns() | 1;
	printk("blkbench: %lu sectors, %lu ms per case\n",
	       (unsigned long)run.dev->sectors, (unsigned long)ms);
	for (size_t o = 0; o < ARRAY_SIZE(op_kinds); o++) {
		if (!(ops & (1u << o)))
			continue;
		for (unsigned int b = 0; b < nsizes; b++) {
			if (sizes[b] / BLK_SECTOR_SIZE > run.dev->sectors)
				continue;
			for (unsigned int q = 0; q < ndepths; q++) {
				if (depths[q] > 1 && !blk_can_queue(run.dev)) {
					printk("blkbench: op=%s bs=%lu qd=%lu skipped=cannot-queue "
					       "device_qd=%u\n", op_kinds[o].name,
					       (unsigned long)sizes[b], (unsigned long)depths[q],
					       run.dev->max_inflight);
					continue;
				}
				run.op = op_kinds[o].op;
				run.random = op_kinds[o].random;
				run.bs = sizes[b];
				run.qd = (unsigned int)depths[q];
				one_case(op_kinds[o].name, ms);
			}
		}
	}
	printk("blkbench: done\n");
	blk_close(run.dev);
	kernel_shutdown(SHUTDOWN_poweroff);
}

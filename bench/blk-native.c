/*
 * blk-native.c: the host's own block I/O on an image file, the native
 * baseline pvbench sets against a guest's blkbench. It does what pvos
 * init=blkbench does, the same way, so the two can be compared line by
 * line:
 *
 *   blk-native [--direct] [--ms N] [--bs A,B,..] [--qd A,B,..]
 *              [--ops X,Y,..] [--seed N] FILE
 *
 * The same cases (ops seqread, seqwrite, randread, randwrite; block sizes
 * 512..1048576 in multiples of 512, default 4096,65536,1048576; queue
 * depths 1..32, default 1,8,32; N ms per case, default 200), the same
 * access patterns (sequential from sector 0, wrapping at the end; random
 * block-aligned offsets from the same xorshift64 generator, seeded from
 * the clock unless --seed), the same statistics (IOPS and MiB/s over the
 * case including the drain of the last I/Os, the median latency of the
 * first 4096 I/Os) and the same output line, with blk-native: in front:
 *
 *   blk-native: op=randread bs=4096 qd=1 iops=12345 mib_s=48.2 lat_us_p50=75
 *
 * Queue depth 1 uses pread/pwrite; deeper queues keep that many I/Os in
 * flight through io_uring. --direct opens the file with O_DIRECT, as
 * pvblkback does, so reads go to the disk rather than the page cache.
 * Writes overwrite the file. Exits 2 on a bad argument, 1 on an I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECTOR		512u
#define MAX_QD		32
#define MAX_BS		(1024 * 1024)
#define MAX_SAMPLES	4096
#define MAX_LIST	8
#define NSEC_PER_SEC	1000000000ull
#define NSEC_PER_MSEC	1000000ull

struct op_kind {
	const char *name;
	bool write, random;
};

static const struct op_kind op_kinds[] = {
	{ "seqread", false, false }, { "seqwrite", true, false },
	{ "randread", false, true }, { "randwrite", true, true },
};

struct bio {
	bool active;
	uint64_t sector, start_ns;
};

struct run {
	int fd;
	uint64_t sectors;
	const struct op_kind *op;
	size_t bs;
	unsigned int qd;
	uint8_t *bufs;		/* MAX_QD buffers of MAX_BS, page aligned */
	uint64_t seq_next, rnd;
	struct bio ios[MAX_QD];
	uint64_t done, nsamples;
	uint32_t lat_us[MAX_SAMPLES];
	struct io_uring ring;
	bool ring_ready;
};

static struct run run;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* blkbench's generator, so both sides draw offsets the same way. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void start_io(struct bio *io)
{
	uint64_t span = run.bs / SECTOR, slots = run.sectors / span;

	if (run.op->random) {
		io->sector = next_random(&run.rnd) % slots * span;
	} else {
		if (run.seq_next + span > run.sectors)
			run.seq_next = 0;
		io->sector = run.seq_next;
		run.seq_next += span;
	}
	io->active = true;
	io->start_ns = now_ns();
}

static void io_done(struct bio *io)
{
	if (run.nsamples < MAX_SAMPLES)
		run.lat_us[run.nsamples++] = (uint32_t)((now_ns() - io->start_ns) / 1000);
	run.done++;
	io->active = false;
}

static void die_io(const struct bio *io, int err)
{
	fprintf(stderr, "blk-native: %s of %zu bytes at sector %" PRIu64 " failed: %s\n",
		run.op->write ? "write" : "read", run.bs, io->sector,
		err ? strerror(err) : "short transfer");
	exit(1);
}

/* Queue depth 1: one synchronous pread/pwrite at a time. */
static void case_sync(uint64_t end)
{
	struct bio *io = &run.ios[0];

	while (now_ns() < end) {
		off_t off;
		ssize_t n;

		start_io(io);
		off = (off_t)(io->sector * SECTOR);
		n = run.op->write ? pwrite(run.fd, run.bufs, run.bs, off)
				  : pread(run.fd, run.bufs, run.bs, off);
		if (n != (ssize_t)run.bs)
			die_io(io, n < 0 ? errno : 0);
		io_done(io);
	}
}

static void submit_one(unsigned int slot)
{
	struct bio *io = &run.ios[slot];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&run.ring);
	uint8_t *buf = run.bufs + (size_t)slot * MAX_BS;
	off_t off = (off_t)(io->sector * SECTOR);

	if (!sqe) {	/* the ring has MAX_QD entries and at most qd are in flight */
		fprintf(stderr, "blk-native: io_uring submission queue full\n");
		exit(1);
	}
	if (run.op->write)
		io_uring_prep_write(sqe, run.fd, buf, (unsigned int)run.bs, off);
	else
		io_uring_prep_read(sqe, run.fd, buf, (unsigned int)run.bs, off);
	io_uring_sqe_set_data64(sqe, slot);
}

/* Deeper queues: keep qd I/Os in flight through io_uring. */
static void case_ring(uint64_t end)
{
	unsigned int inflight = 0;

	for (unsigned int i = 0; i < run.qd; i++) {
		start_io(&run.ios[i]);
		submit_one(i);
		inflight++;
	}
	while (inflight) {
		struct io_uring_cqe *cqe;
		unsigned int slot, head, seen = 0;
		int r = io_uring_submit_and_wait(&run.ring, 1);

		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "blk-native: io_uring_submit_and_wait: %s\n", strerror(-r));
			exit(1);
		}
		io_uring_for_each_cqe(&run.ring, head, cqe) {
			slot = (unsigned int)io_uring_cqe_get_data64(cqe);
			if (slot >= run.qd || !run.ios[slot].active) {
				fprintf(stderr, "blk-native: unexpected completion %u\n", slot);
				exit(1);
			}
			if (cqe->res != (int)run.bs)
				die_io(&run.ios[slot], cqe->res < 0 ? -cqe->res : 0);
			io_done(&run.ios[slot]);
			inflight--;
			seen++;
			if (now_ns() < end) {
				start_io(&run.ios[slot]);
				submit_one(slot);
				inflight++;
			}
		}
		io_uring_cq_advance(&run.ring, seen);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void one_case(uint64_t ms)
{
	uint64_t t0 = now_ns(), end = t0 + ms * NSEC_PER_MSEC, el, iops, mibx10;
	uint32_t p50 = 0;

	run.done = run.nsamples = 0;
	run.seq_next = 0;
	memset(run.ios, 0, sizeof(run.ios));
	if (run.qd == 1)
		case_sync(end);
	else
		case_ring(end);
	el = now_ns() - t0;
	iops = run.done * NSEC_PER_SEC / el;
	/* blkbench's arithmetic, so rounding agrees too: 128 bits, because
	 * dividing by 1 MiB first would round small rates down to 0. */
	mibx10 = (uint64_t)((unsigned __int128)run.done * run.bs * 10 * NSEC_PER_SEC /
			    1048576 / el);
	if (run.nsamples) {
		qsort(run.lat_us, run.nsamples, sizeof(run.lat_us[0]), cmp_u32);
		p50 = run.lat_us[run.nsamples / 2];
	}
	printf("blk-native: op=%s bs=%zu qd=%u iops=%" PRIu64 " mib_s=%" PRIu64 ".%" PRIu64
	       " lat_us_p50=%" PRIu32 "\n", run.op->name, run.bs, run.qd, iops,
	       mibx10 / 10, mibx10 % 10, p50);
	fflush(stdout);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "blk-native: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: blk-native [--direct] [--ms N] [--bs A,B,..] [--qd A,B,..] "
		"[--ops seqread,seqwrite,randread,randwrite] [--seed N] FILE\n");
	exit(2);
}

/* A comma-separated list of up to MAX_LIST numbers in [min, max]. */
static unsigned int parse_list(const char *opt, const char *s, uint64_t min,
			       uint64_t max, uint64_t out[MAX_LIST])
{
	const char *p = s;
	unsigned int n = 0;

	do {
		uint64_t v = 0;
		bool digits = false;

		for (; *p >= '0' && *p <= '9' && v <= max; p++, digits = true)
			v = v * 10 + (uint64_t)(*p - '0');
		if (!digits || v < min || v > max || n == MAX_LIST || (*p && *p != ','))
			usage_error("%s wants up to %d numbers in [%" PRIu64 ", %" PRIu64 "] "
				    "separated by commas, not '%s'", opt, MAX_LIST, min, max, s);
		out[n++] = v;
	} while (*p && *++p);
	if (p > s && p[-1] == ',')
		usage_error("%s: trailing comma in '%s'", opt, s);
	return n;
}

static unsigned int parse_ops(const char *s)
{
	unsigned int mask = 0;
	const char *p = s;

	if (!*p)
		usage_error("--ops wants at least one of seqread, seqwrite, randread, randwrite");
	while (*p) {
		size_t len = strcspn(p, ","), k;

		for (k = 0; k < sizeof(op_kinds) / sizeof(op_kinds[0]); k++)
			if (strlen(op_kinds[k].name) == len && strncmp(op_kinds[k].name, p, len) == 0)
				break;
		if (k == sizeof(op_kinds) / sizeof(op_kinds[0]))
			usage_error("unknown op in '%s' (seqread, seqwrite, randread, randwrite)", s);
		mask |= 1u << k;
		p += len;
		if (*p == ',' && !*++p)
			usage_error("--ops: trailing comma in '%s'", s);
	}
	return mask;
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		usage_error("%s wants a number in [%" PRIu64 ", %" PRIu64 "], not '%s'",
			    opt, min, max, s);
	return v;
}

struct opts {
	bool direct;
	uint64_t ms, seed;
	uint64_t sizes[MAX_LIST], depths[MAX_LIST];
	unsigned int nsizes, ndepths, ops;
	const char *file;
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "direct", no_argument, NULL, 'd' }, { "ms", required_argument, NULL, 'm' },
		{ "bs", required_argument, NULL, 'b' }, { "qd", required_argument, NULL, 'q' },
		{ "ops", required_argument, NULL, 'o' }, { "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .ms = 200 };
	o->nsizes = parse_list("--bs", "4096,65536,1048576", SECTOR, MAX_BS, o->sizes);
	o->ndepths = parse_list("--qd", "1,8,32", 1, MAX_QD, o->depths);
	o->ops = 0xf;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->direct = true; break;
		case 'm': o->ms = parse_u64("--ms", optarg, 1, 60000); break;
		case 'b': o->nsizes = parse_list("--bs", optarg, SECTOR, MAX_BS, o->sizes); break;
		case 'q': o->ndepths = parse_list("--qd", optarg, 1, MAX_QD, o->depths); break;
		case 'o': o->ops = parse_ops(optarg); break;
		case 's': o->seed = parse_u64("--seed", optarg, 1, UINT64_MAX); break;
		case 'h': usage_error("runs blkbench's cases on a host file");
		default: usage_error("unknown option");
		}
	}
	for (unsigned int b = 0; b < o->nsizes; b++)
		if (o->sizes[b] % SECTOR)
			usage_error("--bs %" PRIu64 " is not a multiple of 512", o->sizes[b]);
	if (optind != argc - 1)
		usage_error("wants exactly one FILE");
	o->file = argv[optind];
}

static void open_file(const struct opts *o)
{
	struct stat st;
	int r;

	run.fd = open(o->file, O_RDWR | O_CLOEXEC | (o->direct ? O_DIRECT : 0));
	if (run.fd < 0) {
		fprintf(stderr, "blk-native: %s: %s%s\n", o->file, strerror(errno),
			o->direct && errno == EINVAL ? " (its file system refuses O_DIRECT)" : "");
		exit(1);
	}
	if (fstat(run.fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)SECTOR) {
		fprintf(stderr, "blk-native: %s: not a regular file of at least 512 bytes\n", o->file);
		exit(1);
	}
	run.sectors = (uint64_t)st.st_size / SECTOR;
	r = posix_memalign((void **)&run.bufs, 4096, (size_t)MAX_QD * MAX_BS);
	if (r) {
		fprintf(stderr, "blk-native: no memory for buffers: %s\n", strerror(r));
		exit(1);
	}
	memset(run.bufs, 0xa5, (size_t)MAX_QD * MAX_BS);
	r = io_uring_queue_init(MAX_QD, &run.ring, 0);
	if (r < 0) {
		fprintf(stderr, "blk-native: io_uring_queue_init: %s\n", strerror(-r));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct opts o;

	parse_args(argc, argv, &o);
	open_file(&o);
	run.rnd = o.seed ? o.seed : (now_ns() | 1);
	printf("blk-native: %" PRIu64 " sectors, %" PRIu64 " ms per case%s\n",
	       run.sectors, o.ms, o.direct ? ", O_DIRECT" : "");
	for (size_t k = 0; k < sizeof(op_kinds) / sizeof(op_kinds[0]); k++) {
		if (!(o.ops & (1u << k)))
			continue;
		for (unsigned int b = 0; b < o.nsizes; b++) {
			if (o.sizes[b] / SECTOR > run.sectors)
				continue;
			for (unsigned int q = 0; q < o.ndepths; q++) {
				run.op = &op_kinds[k];
				run.bs = o.sizes[b];
				run.qd = (unsigned int)o.depths[q];
				one_case(o.ms);
			}
		}
	}
	printf("blk-native: done\n");
	io_uring_queue_exit(&run.ring);
	close(run.fd);
	free(run.bufs);
	return 0;
}

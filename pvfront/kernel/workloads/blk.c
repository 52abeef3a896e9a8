/*
 * blk.c: the whole-disk workloads on the first disk.
 *
 *  init=blk-sha256          prints "sha256 <hex>" of the whole disk
 *  init=blk-idle            the same as "blk-idle: sha256 <hex>", then
 *                           stays up with the disk connected
 *  init=blk-fill seed=N     writes the pattern below over the whole disk,
 *                           flushes, and prints "blk-fill: N sectors"
 *  init=blk-verify seed=N   prints "blk-verify: ok", or the first sector
 *                           that does not hold the pattern
 *
 * The pattern: sector s holds 64 little-endian 64-bit words, word i being
 * splitmix64(seed ^ (s * 64 + i)). All but blk-idle power off when done
 * (crash if the disk could not be used).
 */
#include <stdint.h>

#include <pvos/blk.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/sha256.h>
#include <pvos/string.h>
#include <pvos/xen.h>

#define CHUNK_PAGES	128	/* 512 KiB per pass */
#define CHUNK_SECTORS	(CHUNK_PAGES * 4096 / BLK_SECTOR_SIZE)
#define WORDS		(BLK_SECTOR_SIZE / 8)

static uint64_t splitmix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void fill_sector(uint8_t *p, uint64_t seed, uint64_t s)
{
	for (uint64_t i = 0; i < WORDS; i++)
		put_le64(p + 8 * i, splitmix64(seed ^ (s * WORDS + i)));
}

/* The first word of sector s that differs, or -1. */
static int check_sector(const uint8_t *p, uint64_t seed, uint64_t s,
			uint64_t *got_out, uint64_t *want_out)
{
	for (uint64_t i = 0; i < WORDS; i++) {
		uint64_t want = splitmix64(seed ^ (s * WORDS + i));
		uint64_t got = get_le64(p + 8 * i);

		if (got != want) {
			*got_out = got;
			*want_out = want;
			return (int)i;
		}
	}
	return -1;
}

struct setup {
	struct blk_dev *dev;
	uint8_t *buf;
	uint64_t seed;
};

static void setup(const char *name, struct setup *s, bool want_seed)
{
	if (want_seed && cmdline_get_u64("seed", 0, 0, UINT64_MAX, &s->seed) < 0)
		panic("%s: seed= must be a number", name);
	if (blk_open_first(&s->dev) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	s->buf = mm_alloc_pages(CHUNK_PAGES);
	if (!s->buf)
		panic("%s: no memory for a %u KiB buffer", name, CHUNK_PAGES * 4);
}

static uint64_t chunk_at(const struct setup *s, uint64_t sector)
{
	uint64_t left = s->dev->sectors - sector;

	return left < CHUNK_SECTORS ? left : CHUNK_SECTORS;
}

static __attribute__((noreturn)) void io_failed(struct setup *s, const char *name,
						 const char *what, uint64_t sector, int rc)
{
	printk("%s: %s at sector %lu failed (%d)\n", name, what,
	       (unsigned long)sector, rc);
	blk_close(s->dev);
	kernel_shutdown(SHUTDOWN_crash);
}

static __attribute__((noreturn)) void done(struct setup *s)
{
	blk_close(s->dev);
	kernel_shutdown(SHUTDOWN_poweroff);
}

/* The whole disk's SHA-256 as hex; a failed read crashes the domain. */
static void disk_sha256(struct setup *s, const char *name, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256 h;

	sha256_init(&h);
	for (uint64_t sec = 0; sec < s->dev->sectors; ) {
		uint64_t n = chunk_at(s, sec);
		int rc = blk_read(s->dev, sec, s->buf, n);

		if (rc < 0)
			io_failed(s, name, "read", sec, rc);
		sha256_update(&h, s->buf, n * BLK_SECTOR_SIZE);
		sec += n;
	}
	sha256_final(&h, digest);
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
		hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
	}
	hex[2 * SHA256_DIGEST_SIZE] = '\0';
}

void workload_blk_sha256(void)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	struct setup s;

	setup("blk-sha256", &s, false);
	disk_sha256(&s, "blk-sha256", hex);
	printk("sha256 %s\n", hex);
	done(&s);
}

/*
 * init=blk-idle: blk-sha256, then idle with the disk still connected
 * (answering control/shutdown), for load tests of many guests at once.
 */
void workload_blk_idle(void)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	struct setup s;

	setup("blk-idle", &s, false);
	disk_sha256(&s, "blk-idle", hex);
	control_enable();
	printk("blk-idle: sha256 %s; waiting for events\n", hex);
	for (;;)
		kernel_block(EVENTS_NO_DEADLINE);
}

void workload_blk_fill(void)
{
	struct setup s;
	int rc;

	setup("blk-fill", &s, true);
	for (uint64_t sec = 0; sec < s.dev->sectors; ) {
		uint64_t n = chunk_at(&s, sec);

		for (uint64_t i = 0; i < n; i++)
			fill_sector(s.buf + i * BLK_SECTOR_SIZE, s.seed, sec + i);
		rc = blk_write(s.dev, sec, s.buf, n);
		if (rc < 0)
			io_failed(&s, "blk-fill", "write", sec, rc);
		sec += n;
	}
	rc = blk_flush(s.dev);
	if (rc < 0)
		io_failed(&s, "blk-fill", "flush", 0, rc);
	printk("blk-fill: %lu sectors written with seed %lu and flushed\n",
	       (unsigned long)s.dev->sectors, (unsigned long)s.seed);
	done(&s);
}

void workload_blk_verify(void)
{
	struct setup s;

	setup("blk-verify", &s, true);
	for (uint64_t sec = 0; sec < s.dev->sectors; ) {
		uint64_t n = chunk_at(&s, sec), got, want;
		int rc = blk_read(s.dev, sec, s.buf, n);

		if (rc < 0)
			io_failed(&s, "blk-verify", "read", sec, rc);
		for (uint64_t i = 0; i < n; i++) {
			int w = check_sector(s.buf + i * BLK_SECTOR_SIZE, s.seed,
					     sec + i, &got, &want);

			if (w >= 0) {
				printk("blk-verify: bad sector %lu word %d: got "
				       "%#lx, want %#lx\n", (unsigned long)(sec + i),
				       w, (unsigned long)got, (unsigned long)want);
				done(&s);
			}
		}
		sec += n;
	}
	printk("blk-verify: ok\n");
	done(&s);
}

/*
 * pio_bench.c: init=pio-bench [count=N], what one trapped port read costs.
 *
 *   pio-bench: port=0x510 n=N ns_per_op=X p90_ns=Y
 *   pio-bench: port=0x3f6 n=N ns_per_op=X p90_ns=Y
 *   pio-bench: port=0x3f6 skipped=no-ata-controller
 *
 * Port 0x510 is claimed by no device: reading it is the trap, the
 * runner's decode and the resume (in a domain with a device model, plus
 * the round trip to it, which answers all ones). Port 0x3f6 is the IDE
 * alternate status register, which has no side effects: each read is a
 * full round trip to the device model. It is measured only when an ATA
 * controller answers (the status port does not float at 0xff).
 *
 * N reads (default 20000) are timed in up to BATCHES batches with the PV
 * clock; each batch gives a time per read, and the line has the median
 * and 90th percentile over batches. Powers off when done.
 */
#include <stdint.h>

#include <public/pvh_ioreq.h>
#include <pvos/ata.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/kernel.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "pio.h"
#include "bench-priv.h"

#define PIO_BENCH_DEFAULT_COUNT	20000
#define PIO_BENCH_MAX_COUNT	10000000
#define BATCHES			100
#define UNCLAIMED_PORT		0x510

static uint64_t batch_ns[BATCHES];

static uint64_t time_batch(uint16_t port, uint64_t reads)
{
	uint64_t start = time_now_ns();

	for (uint64_t i = 0; i < reads; i++)
		(void)inb(port);
	return (time_now_ns() - start) / reads;
}

static void bench_port(uint16_t port, uint64_t count)
{
	unsigned int batches = count < BATCHES ? (unsigned int)count : BATCHES;
	uint64_t med, p90;

	(void)inb(port);	/* warm up */
	for (unsigned int b = 0; b < batches; b++)
		batch_ns[b] = time_batch(port, count / batches + (b < count % batches));
	med = bench_median(batch_ns, batches);
	p90 = bench_select(batch_ns, batches, batches * 9 / 10);
	printk("pio-bench: port=%#x n=%lu ns_per_op=%lu p90_ns=%lu\n", port,
	       (unsigned long)count, (unsigned long)med, (unsigned long)p90);
}

void workload_pio_bench(void)
{
	uint64_t count;

	if (cmdline_get_u64("count", PIO_BENCH_DEFAULT_COUNT, 1,
			    PIO_BENCH_MAX_COUNT, &count) < 0)
		panic("pio-bench: count= must be a number from 1 to %d",
		      PIO_BENCH_MAX_COUNT);
	if (!time_is_available())
		panic("pio-bench: no PV clock (tsc_to_system_mul is 0)");
	bench_port(UNCLAIMED_PORT, count);
	if (inb(PVH_IDE_CMD_BASE + ATA_REG_STATUS) == 0xff)
		printk("pio-bench: port=%#x skipped=no-ata-controller\n", PVH_IDE_CTL_PORT);
	else
		bench_port(PVH_IDE_CTL_PORT, count);
	kernel_shutdown(SHUTDOWN_poweroff);
}

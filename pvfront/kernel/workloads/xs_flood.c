/*
 * xs_flood.c: init=xs-flood role=flood|probe|tick, XenStore under load
 * and across a restart of the XenStore daemon.
 *
 *   role=flood  the noisy neighbour: writes data/flood as fast as the
 *               daemon answers, for ever, and prints "xs-flood: N writes"
 *               every 2000.
 *   role=probe  the honest guest: [ops=N] (default 300) timed round trips
 *               of one read and one write, then "xs-probe: ops N mean-us M
 *               p50-us P p99-us Q max-us X" and a power-off.
 *   role=tick   a guest that keeps using XenStore: every [period-ms=N]
 *               (default 50) writes data/tick = i and reads it back,
 *               prints "xs-tick: i" every 20, and a line naming the
 *               failure if a request fails, whose count it also writes
 *               to data/tick-failed (the host may not see its console).
 *               Answers control/shutdown.
 * Latencies come from the PV clock; nothing here judges them (the
 * integration test reports their ratio).
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/kernel.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "xenfront.h"

#define PROBE_MAX_OPS	2000

static void flood(void)
{
	char val[24];
	uint64_t n;
	int rc;

	printk("xs-flood: writing data/flood as fast as XenStore answers\n");
	for (n = 1;; n++) {
		snprintf(val, sizeof(val), "%lu", (unsigned long)n);
		rc = xenbus_write(XBT_NIL, "data/flood", val);
		if (rc < 0) {
			printk("xs-flood: write %lu failed: %d\n",
			       (unsigned long)n, rc);
			kernel_shutdown(SHUTDOWN_crash);
		}
		if (n % 2000 == 0)
			printk("xs-flood: %lu writes\n", (unsigned long)n);
		if (n % 100 == 0)
			control_poll();
	}
}

static void sort_u64(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static uint64_t lat[PROBE_MAX_OPS];

static void probe(void)
{
	uint64_t ops, sum = 0, t0;
	char buf[64];
	int rc;

	if (cmdline_get_u64("ops", 300, 1, PROBE_MAX_OPS, &ops) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	for (uint64_t i = 0; i < ops; i++) {
		t0 = time_now_ns();
		rc = xenbus_read(XBT_NIL, "name", buf, sizeof(buf));
		if (rc >= 0)
			rc = xenbus_write(XBT_NIL, "data/probe", "x");
		if (rc < 0) {
			printk("xs-probe: request %lu failed: %d\n",
			       (unsigned long)i, rc);
			kernel_shutdown(SHUTDOWN_crash);
		}
		lat[i] = time_now_ns() - t0;
		sum += lat[i];
	}
	sort_u64(lat, (unsigned int)ops);
	printk("xs-probe: ops %lu mean-us %lu p50-us %lu p99-us %lu max-us %lu\n",
	       (unsigned long)ops, (unsigned long)(sum / ops / NSEC_PER_USEC),
	       (unsigned long)(lat[ops / 2] / NSEC_PER_USEC),
	       (unsigned long)(lat[ops * 99 / 100] / NSEC_PER_USEC),
	       (unsigned long)(lat[ops - 1] / NSEC_PER_USEC));
	kernel_shutdown(SHUTDOWN_poweroff);
}

static void tick(void)
{
	uint64_t period, i, failed = 0;
	char val[24], back[24];
	int rc;

	if (cmdline_get_u64("period-ms", 50, 1, 10000, &period) < 0)
		kernel_shutdown(SHUTDOWN_crash);
	control_enable();
	printk("xs-tick: writing data/tick every %lu ms\n", (unsigned long)period);
	for (i = 1;; i++) {
		snprintf(val, sizeof(val), "%lu", (unsigned long)i);
		rc = xenbus_write(XBT_NIL, "data/tick", val);
		if (rc >= 0)
			rc = xenbus_read(XBT_NIL, "data/tick", back, sizeof(back));
		if (rc >= 0 && strcmp(back, val) != 0)
			rc = -XEN_EIO;
		if (rc < 0) {
			printk("xs-tick: tick %lu failed: %d\n", (unsigned long)i, rc);
			snprintf(val, sizeof(val), "%lu", (unsigned long)++failed);
			xenbus_write(XBT_NIL, "data/tick-failed", val);
		}
		if (i % 20 == 0)
			printk("xs-tick: %lu\n", (unsigned long)i);
		kernel_block(time_now_ns() + period * NSEC_PER_MSEC);
	}
}

void workload_xs_flood(void)
{
	const char *role = cmdline_get("role", "probe");

	if (!xenbus_is_ready()) {
		printk("xs-flood: no XenStore\n");
		kernel_shutdown(SHUTDOWN_crash);
	}
	if (strcmp(role, "flood") == 0)
		flood();
	else if (strcmp(role, "tick") == 0)
		tick();
	else if (strcmp(role, "probe") == 0)
		probe();
	printk("xs-flood: unknown role '%s' (flood, probe or tick)\n", role);
	kernel_shutdown(SHUTDOWN_crash);
}

/*
 * timer.c: init=timer [ticks=N] [via=set_timer_op|vcpu_op], the PV clock
 * and the hypervisor's one-shot timer together.
 *
 * Each tick arms a one-shot timer 50 ms ahead in system time, with
 * set_timer_op (the default) or VCPUOP_set_singleshot_timer, blocks until
 * the clock passes the deadline, and prints the elapsed PV-clock time and
 * what woke us. pvhv writes the event descriptor when the timer expires
 * (pvh_trap.h); our own ppoll timeout is a safety net a second later, so a
 * tick that ends by it ("wake=timeout") means the hypervisor's timer did
 * not fire. Wakeups before the deadline are counted as early.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#define TIMER_PERIOD_NS		(50 * NSEC_PER_MSEC)
#define TIMER_GRACE_NS		NSEC_PER_SEC
#define TIMER_DEFAULT_TICKS	5
#define TIMER_MAX_TICKS		1000

static bool use_vcpu_op;

static long arm_timer(uint64_t deadline)
{
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline };

	if (!use_vcpu_op)
		return HYPERVISOR_set_timer_op(deadline);
	return HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0,
				  virt_to_phys(&t));
}

static void cancel_timer(void)
{
	if (use_vcpu_op)
		HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, 0);
	else
		HYPERVISOR_set_timer_op(0);	/* xen.h: 0 cancels */
}

/* One tick; returns true if the hypervisor's timer woke us. */
static bool run_tick(uint64_t tick)
{
	uint64_t start, deadline, now;
	unsigned int early = 0;
	long rc;
	int woke = 0;

	start = time_now_ns();
	deadline = start + TIMER_PERIOD_NS;
	rc = arm_timer(deadline);
	if (rc < 0)
		panic("timer: arming a timer for %lu failed (%ld)",
		      (unsigned long)deadline, rc);
	for (;;) {
		woke = events_block(deadline + TIMER_GRACE_NS);
		now = time_now_ns();
		if (now >= deadline)
			break;
		early++;
	}
	printk("timer: tick %lu elapsed_ns=%lu wake=%s early=%u\n",
	       (unsigned long)tick, (unsigned long)(now - start),
	       woke ? "event" : "timeout", early);
	return woke;
}

void workload_timer(void)
{
	const char *via = cmdline_get("via", "set_timer_op");
	uint64_t ticks, fired = 0;

	if (strcmp(via, "vcpu_op") == 0)
		use_vcpu_op = true;
	else if (strcmp(via, "set_timer_op") != 0)
		panic("timer: via=%s; known: set_timer_op vcpu_op", via);
	if (cmdline_get_u64("ticks", TIMER_DEFAULT_TICKS, 1, TIMER_MAX_TICKS,
			    &ticks) < 0)
		panic("timer: ticks= must be a number from 1 to %d",
		      TIMER_MAX_TICKS);
	if (!time_is_available())
		panic("timer: no PV clock (tsc_to_system_mul is 0)");
	printk("timer: %lu ticks of %lu ms via %s\n", (unsigned long)ticks,
	       (unsigned long)(TIMER_PERIOD_NS / NSEC_PER_MSEC), via);
	for (uint64_t i = 1; i <= ticks; i++)
		fired += run_tick(i);
	cancel_timer();
	if (fired != ticks)
		panic("timer: only %lu of %lu ticks were woken by the hypervisor",
		      (unsigned long)fired, (unsigned long)ticks);
	printk("timer: %lu ticks done, powering off\n", (unsigned long)ticks);
	kernel_shutdown(SHUTDOWN_poweroff);
}

/*
 * timer.c: init=timer [ticks=N], the PV clock and set_timer_op together.
 *
 * Each tick arms a one-shot timer 50 ms ahead in system time, blocks until
 * the clock passes the deadline, and prints the elapsed PV-clock time and
 * what woke us. pvhv writes the event descriptor when the timer expires
 * (pvh_trap.h); our own ppoll timeout is a safety net a second later, so a
 * tick that ends by it ("wake=timeout") means the hypervisor's timer did
 * not fire. Wakeups before the deadline are counted as early.
 */
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/time.h>

#define TIMER_PERIOD_NS		(50 * NSEC_PER_MSEC)
#define TIMER_GRACE_NS		NSEC_PER_SEC
#define TIMER_DEFAULT_TICKS	5
#define TIMER_MAX_TICKS		1000

/* One tick; returns true if the hypervisor's timer woke us. */
static bool run_tick(uint64_t tick)
{
	uint64_t start, deadline, now;
	unsigned int early = 0;
	long rc;
	int woke = 0;

	start = time_now_ns();
	deadline = start + TIMER_PERIOD_NS;
	rc = HYPERVISOR_set_timer_op(deadline);
	if (rc < 0)
		panic("timer: set_timer_op(%lu) failed (%ld)",
		      (unsigned long)deadline, rc);
	for (;;) {
		woke = events_block(deadline + TIMER_GRACE_NS);
		events_dispatch();
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
	uint64_t ticks, fired = 0;

	if (cmdline_get_u64("ticks", TIMER_DEFAULT_TICKS, 1, TIMER_MAX_TICKS,
			    &ticks) < 0)
		panic("timer: ticks= must be a number from 1 to %d",
		      TIMER_MAX_TICKS);
	if (!time_is_available())
		panic("timer: no PV clock (tsc_to_system_mul is 0)");
	printk("timer: %lu ticks of %lu ms\n", (unsigned long)ticks,
	       (unsigned long)(TIMER_PERIOD_NS / NSEC_PER_MSEC));
	for (uint64_t i = 1; i <= ticks; i++)
		fired += run_tick(i);
	HYPERVISOR_set_timer_op(0);	/* xen.h: 0 cancels the timer */
	if (fired != ticks)
		panic("timer: only %lu of %lu ticks were woken by the hypervisor",
		      (unsigned long)fired, (unsigned long)ticks);
	printk("timer: %lu ticks done, powering off\n", (unsigned long)ticks);
	kernel_shutdown(SHUTDOWN_poweroff);
}

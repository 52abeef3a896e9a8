/*
 * events.c: pvos's event loop. The 2-level bits, the handler table and the
 * scan are the event channel client's (xen/evtchn.c); this file adds what
 * is pvos's own: blocking on the event descriptor and the timer VIRQ.
 *
 * Blocking (SCHEDOP_block, pvh_trap.h) is: check upcall_pending, ppoll on
 * the event descriptor, read it to clear, dispatch. pvhv sets the bits
 * before it writes the descriptor, so a bit set after our check still
 * wakes the ppoll; the read comes before the dispatch, so a write that
 * lands after the ppoll returns is not lost either (its bits are seen now
 * or wake the next block).
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/time.h>
#include <pvos/xen.h>

static evtchn_port_t timer_port;
static uint64_t timer_fired;

void events_init(shared_info_t *shared_info)
{
	evtchn_init(shared_info);
	timer_port = 0;
	timer_fired = 0;
}

shared_info_t *events_shared_info(void)
{
	return evtchn_shared_info();
}

static void on_timer(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	timer_fired++;
}

int events_bind_timer(void)
{
	evtchn_port_t port;
	int rc;

	if (timer_port)
		return 0;
	rc = evtchn_bind_virq(VIRQ_TIMER, 0, &port);
	if (rc < 0)
		return rc;
	rc = evtchn_set_handler(port, on_timer, NULL);
	if (rc < 0) {
		evtchn_close(port);
		return rc;
	}
	timer_port = port;
	return 0;
}

evtchn_port_t events_timer_port(void)
{
	return timer_port;
}

uint64_t events_timer_fired(void)
{
	return timer_fired;
}

int events_block(uint64_t deadline_ns)
{
	int64_t timeout = -1;
	int woke;

	if (evtchn_upcall_pending()) {
		evtchn_dispatch();
		return 1;
	}
	if (deadline_ns != EVENTS_NO_DEADLINE) {
		uint64_t now = time_now_ns();

		if (now >= deadline_ns)
			return 0;
		timeout = deadline_ns - now > INT64_MAX ? INT64_MAX :
			  (int64_t)(deadline_ns - now);
	}
	woke = hv_event_wait(timeout);
	hv_event_clear();
	evtchn_dispatch();
	return woke;
}

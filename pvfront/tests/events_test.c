/* events_test.c: kernel/events.c, pvos's block loop over the evtchn client. */
#include <string.h>

#include <pvos/errno.h>
#include <pvos/events.h>
#include <pvos/xen.h>

#include "host.h"

static shared_info_t shared;
static unsigned int calls;

static void handler(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	calls++;
}

static void raise_port(evtchn_port_t port)
{
	shared.evtchn_pending[port / 64] |= 1UL << (port % 64);
	shared.vcpu_info[0].evtchn_pending_sel |= 1UL << (port / 64);
	shared.vcpu_info[0].evtchn_upcall_pending = 1;
}

static void setup(void)
{
	memset(&shared, 0, sizeof(shared));
	events_init(&shared);
	calls = 0;
	test_evtchn_rc = 0;
	test_reset_stubs();
}

/* SCHEDOP_block semantics: an event already pending returns at once. */
static void test_block_pending_dispatches(void)
{
	setup();
	evtchn_set_handler(5, handler, NULL);
	raise_port(5);
	CU_ASSERT_EQUAL(events_block(EVENTS_NO_DEADLINE), 1);
	CU_ASSERT_EQUAL(test_event_waits, 0);	/* no sleep when pending */
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_FALSE(evtchn_upcall_pending());
}

static void test_block_sleeps_then_dispatches(void)
{
	setup();
	evtchn_set_handler(5, handler, NULL);
	CU_ASSERT_EQUAL(events_block(EVENTS_NO_DEADLINE), 1);
	CU_ASSERT_EQUAL(test_event_waits, 1);
	CU_ASSERT_EQUAL(calls, 0);
	/* The stub clock says 1000 ns: a deadline in the past does not sleep. */
	CU_ASSERT_EQUAL(events_block(999), 0);
	CU_ASSERT_EQUAL(test_event_waits, 1);
}

static void test_timer_without_evtchn(void)
{
	setup();
	test_evtchn_rc = -ENOSYS;
	CU_ASSERT_EQUAL(events_bind_timer(), -ENOSYS);
	CU_ASSERT_EQUAL(events_timer_port(), 0);
}

void add_events_suite(void)
{
	CU_pSuite s = CU_add_suite("events", NULL, NULL);

	CU_add_test(s, "block dispatches a pending event",
		    test_block_pending_dispatches);
	CU_add_test(s, "block sleeps only when idle",
		    test_block_sleeps_then_dispatches);
	CU_add_test(s, "no VIRQ_TIMER without event channels",
		    test_timer_without_evtchn);
}

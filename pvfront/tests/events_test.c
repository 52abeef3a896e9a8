/* events_test.c: kernel/events.c, against a shared_info in host memory. */
#include <string.h>

#include <pvos/errno.h>
#include <pvos/events.h>
#include <pvos/xen.h>

#include "host.h"

static shared_info_t shared;
static unsigned int calls;
static evtchn_port_t last_port;

static void handler(evtchn_port_t port, void *data)
{
	calls++;
	last_port = port;
	CU_ASSERT_PTR_EQUAL(data, &calls);
}

/* Do what the hypervisor does in evtchn_2l_set_pending. */
static void raise_port(evtchn_port_t port)
{
	unsigned int w = port / 64, b = port % 64;

	shared.evtchn_pending[w] |= 1UL << b;
	if (!(shared.evtchn_mask[w] & (1UL << b))) {
		shared.vcpu_info[0].evtchn_pending_sel |= 1UL << w;
		shared.vcpu_info[0].evtchn_upcall_pending = 1;
	}
}

static int setup(void)
{
	memset(&shared, 0, sizeof(shared));
	events_init(&shared);
	calls = 0;
	test_reset_stubs();
	return 0;
}

static void test_init_masks_all(void)
{
	setup();
	CU_ASSERT_EQUAL(shared.vcpu_info[0].evtchn_upcall_mask, 1);
	CU_ASSERT_EQUAL(shared.evtchn_mask[0], ~0UL);
	CU_ASSERT_EQUAL(shared.evtchn_mask[63], ~0UL);
}

static void test_bind_bounds(void)
{
	setup();
	CU_ASSERT_EQUAL(events_bind(0, handler, &calls), -EINVAL);
	CU_ASSERT_EQUAL(events_bind(4096, handler, &calls), -EINVAL);
	CU_ASSERT_EQUAL(events_bind(4095, handler, &calls), 0);
	CU_ASSERT_EQUAL(events_bind(5, NULL, NULL), -EINVAL);
}

static void test_dispatch(void)
{
	setup();
	CU_ASSERT_EQUAL(events_bind(130, handler, &calls), 0);
	raise_port(130);
	CU_ASSERT(events_pending());
	CU_ASSERT_EQUAL(events_dispatch(), 1);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_EQUAL(last_port, 130);
	CU_ASSERT_EQUAL(shared.evtchn_pending[2], 0);
	CU_ASSERT_FALSE(events_pending());
	CU_ASSERT_EQUAL(events_dispatch(), 0);
}

/* xen.h: an edge while masked sets only pending; unmask must catch it. */
static void test_unmask_catches_edge(void)
{
	setup();
	raise_port(7);
	CU_ASSERT_FALSE(events_pending());
	CU_ASSERT_EQUAL(events_bind(7, handler, &calls), 0);
	CU_ASSERT(events_pending());
	CU_ASSERT_EQUAL(events_dispatch(), 1);
	CU_ASSERT_EQUAL(calls, 1);
}

/* A hypervisor that sets selector bits with nothing behind them. */
static void test_hostile_selector(void)
{
	setup();
	shared.vcpu_info[0].evtchn_pending_sel = ~0UL;
	shared.vcpu_info[0].evtchn_upcall_pending = 1;
	shared.evtchn_pending[3] = ~0UL;	/* all masked */
	CU_ASSERT_EQUAL(events_dispatch(), 0);
	CU_ASSERT_EQUAL(shared.vcpu_info[0].evtchn_pending_sel, 0);
	CU_ASSERT_EQUAL(calls, 0);
}

static void test_block(void)
{
	setup();
	shared.vcpu_info[0].evtchn_upcall_pending = 1;
	CU_ASSERT_EQUAL(events_block(EVENTS_NO_DEADLINE), 1);
	CU_ASSERT_EQUAL(test_event_waits, 0);	/* no sleep when pending */
	shared.vcpu_info[0].evtchn_upcall_pending = 0;
	CU_ASSERT_EQUAL(events_block(EVENTS_NO_DEADLINE), 1);
	CU_ASSERT_EQUAL(test_event_waits, 1);
	/* The stub clock says 1000 ns: a deadline in the past does not sleep. */
	CU_ASSERT_EQUAL(events_block(999), 0);
	CU_ASSERT_EQUAL(test_event_waits, 1);
}

void add_events_suite(void)
{
	CU_pSuite s = CU_add_suite("events", NULL, NULL);

	CU_add_test(s, "init masks every port", test_init_masks_all);
	CU_add_test(s, "bind checks the port", test_bind_bounds);
	CU_add_test(s, "dispatch runs and clears", test_dispatch);
	CU_add_test(s, "unmask catches a masked edge", test_unmask_catches_edge);
	CU_add_test(s, "hostile selector bits", test_hostile_selector);
	CU_add_test(s, "block sleeps only when idle", test_block);
}

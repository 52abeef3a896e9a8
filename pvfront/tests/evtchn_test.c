/*
 * evtchn_test.c: xen/evtchn.c's 2-level scan against a shared_info in
 * host memory, with this file playing the hypervisor's set_pending.
 */
#include <string.h>

#include "xenfront.h"

#include "host.h"

#define MAX_SEEN	64

static shared_info_t shared;
static evtchn_port_t seen[MAX_SEEN];
static unsigned int nr_seen;
static bool reraise;

/* xen.h / event_2l.c set_pending: edge-like, selector only if unmasked. */
static void raise_port(evtchn_port_t port)
{
	unsigned int w = port / 64;
	xen_ulong_t bit = 1UL << (port % 64);

	if (shared.evtchn_pending[w] & bit)
		return;
	shared.evtchn_pending[w] |= bit;
	if (!(shared.evtchn_mask[w] & bit) &&
	    !(shared.vcpu_info[0].evtchn_pending_sel & (1UL << w))) {
		shared.vcpu_info[0].evtchn_pending_sel |= 1UL << w;
		shared.vcpu_info[0].evtchn_upcall_pending = 1;
	}
}

static void record(evtchn_port_t port, void *data)
{
	CU_ASSERT_PTR_EQUAL(data, &nr_seen);
	/* The scan clears the bit before the call, so a new edge is kept. */
	CU_ASSERT_FALSE(evtchn_is_pending(port));
	if (nr_seen < MAX_SEEN)
		seen[nr_seen] = port;
	nr_seen++;
	if (reraise)
		raise_port(port);
}

static void setup(void)
{
	memset(&shared, 0, sizeof(shared));
	evtchn_init(&shared);
	nr_seen = 0;
	reraise = false;
	test_evtchn_rc = 0;
	test_reset_stubs();
}

static void test_init_masks_all(void)
{
	setup();
	CU_ASSERT_EQUAL(shared.vcpu_info[0].evtchn_upcall_mask, 1);
	CU_ASSERT_EQUAL(shared.evtchn_mask[0], ~0UL);
	CU_ASSERT_EQUAL(shared.evtchn_mask[63], ~0UL);
	CU_ASSERT_PTR_EQUAL(evtchn_shared_info(), &shared);
}

static void test_handler_bounds(void)
{
	setup();
	CU_ASSERT_EQUAL(evtchn_set_handler(0, record, &nr_seen), -XEN_EINVAL);
	CU_ASSERT_EQUAL(evtchn_set_handler(4096, record, &nr_seen), -XEN_EINVAL);
	CU_ASSERT_EQUAL(evtchn_set_handler(4095, record, &nr_seen), 0);
	CU_ASSERT_FALSE(evtchn_is_masked(4095));
	CU_ASSERT_EQUAL(evtchn_set_handler(5, NULL, NULL), -XEN_EINVAL);
	CU_ASSERT(evtchn_is_masked(5));
	CU_ASSERT(evtchn_is_masked(4096));	/* past the ABI: never live */
	CU_ASSERT_FALSE(evtchn_is_pending(4096));
}

static void test_dispatch_clears(void)
{
	setup();
	evtchn_set_handler(130, record, &nr_seen);
	raise_port(130);
	CU_ASSERT(evtchn_upcall_pending());
	CU_ASSERT_EQUAL(evtchn_dispatch(), 1);
	CU_ASSERT_EQUAL(nr_seen, 1);
	CU_ASSERT_EQUAL(seen[0], 130);
	CU_ASSERT_EQUAL(shared.evtchn_pending[2], 0);
	CU_ASSERT_EQUAL(shared.vcpu_info[0].evtchn_pending_sel, 0);
	CU_ASSERT_FALSE(evtchn_upcall_pending());
	CU_ASSERT_EQUAL(evtchn_dispatch(), 0);
}

/* Ports in several words, lowest word and bit first. */
static void test_dispatch_order(void)
{
	static const evtchn_port_t ports[] = { 4095, 64, 1, 63, 700 };

	setup();
	for (unsigned int i = 0; i < 5; i++) {
		evtchn_set_handler(ports[i], record, &nr_seen);
		raise_port(ports[i]);
	}
	CU_ASSERT_EQUAL(evtchn_dispatch(), 5);
	CU_ASSERT_EQUAL(nr_seen, 5);
	CU_ASSERT_EQUAL(seen[0], 1);
	CU_ASSERT_EQUAL(seen[1], 63);
	CU_ASSERT_EQUAL(seen[2], 64);
	CU_ASSERT_EQUAL(seen[3], 700);
	CU_ASSERT_EQUAL(seen[4], 4095);
}

/* pending & ~mask: a masked port in a selected word stays pending. */
static void test_masked_stays_pending(void)
{
	setup();
	evtchn_set_handler(3, record, &nr_seen);
	raise_port(3);
	raise_port(4);		/* masked: pending only, no selector */
	CU_ASSERT_EQUAL(evtchn_dispatch(), 1);
	CU_ASSERT_EQUAL(seen[0], 3);
	CU_ASSERT(evtchn_is_pending(4));
	CU_ASSERT_FALSE(evtchn_is_pending(3));
}

/* xen.h: an edge while masked sets only pending; unmask must catch it. */
static void test_unmask_reraises(void)
{
	setup();
	raise_port(7);
	CU_ASSERT_FALSE(evtchn_upcall_pending());
	CU_ASSERT_EQUAL(shared.vcpu_info[0].evtchn_pending_sel, 0);
	CU_ASSERT_EQUAL(evtchn_set_handler(7, record, &nr_seen), 0);
	CU_ASSERT(evtchn_upcall_pending());
	CU_ASSERT_EQUAL(shared.vcpu_info[0].evtchn_pending_sel, 1);
	CU_ASSERT_EQUAL(evtchn_dispatch(), 1);
	CU_ASSERT_EQUAL(nr_seen, 1);
}

/* A pending port with no handler is cleared, not left to spin. */
static void test_no_handler(void)
{
	setup();
	evtchn_unmask(9);
	raise_port(9);
	CU_ASSERT_EQUAL(evtchn_dispatch(), 1);
	CU_ASSERT_FALSE(evtchn_is_pending(9));
	CU_ASSERT_EQUAL(nr_seen, 0);
}

/* A hypervisor that sets selector bits with nothing behind them. */
static void test_hostile_selector(void)
{
	setup();
	shared.vcpu_info[0].evtchn_pending_sel = ~0UL;
	shared.vcpu_info[0].evtchn_upcall_pending = 1;
	shared.evtchn_pending[3] = ~0UL;	/* all masked */
	CU_ASSERT_EQUAL(evtchn_dispatch(), 0);
	CU_ASSERT_EQUAL(shared.vcpu_info[0].evtchn_pending_sel, 0);
	CU_ASSERT_EQUAL(shared.evtchn_pending[3], ~0UL);
	CU_ASSERT_EQUAL(nr_seen, 0);
}

/* A handler that raises its own port every time: bounded rounds. */
static void test_bounded_rounds(void)
{
	unsigned int fired;

	setup();
	evtchn_set_handler(12, record, &nr_seen);
	reraise = true;
	raise_port(12);
	fired = evtchn_dispatch();
	CU_ASSERT(fired >= 2);		/* the re-raise was seen again */
	CU_ASSERT(fired <= 8);		/* but not forever */
	CU_ASSERT_EQUAL(nr_seen, fired);
	CU_ASSERT(evtchn_is_pending(12));	/* left for the next block */
	CU_ASSERT(evtchn_upcall_pending());
}

static void test_clear_handler_masks(void)
{
	setup();
	evtchn_set_handler(20, record, &nr_seen);
	evtchn_clear_handler(20);
	CU_ASSERT(evtchn_is_masked(20));
	raise_port(20);
	CU_ASSERT_EQUAL(evtchn_dispatch(), 0);
	CU_ASSERT_EQUAL(nr_seen, 0);
}

/* A failing hypercall leaves outputs untouched and passes the error on. */
static void test_ops_pass_errors(void)
{
	evtchn_port_t port = 77;
	struct evtchn_status st = { .port = 99 };

	setup();
	test_evtchn_rc = -XEN_ENOSYS;
	CU_ASSERT_EQUAL(evtchn_alloc_unbound(DOMID_SELF, &port), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(test_evtchn_last_cmd, EVTCHNOP_alloc_unbound);
	CU_ASSERT_EQUAL(evtchn_bind_interdomain(DOMID_SELF, 3, &port),
			-XEN_ENOSYS);
	CU_ASSERT_EQUAL(evtchn_bind_virq(VIRQ_TIMER, 0, &port), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(evtchn_bind_ipi(0, &port), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(evtchn_status(3, &st), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(port, 77);
	CU_ASSERT_EQUAL(st.port, 99);
	CU_ASSERT_EQUAL(evtchn_send(3), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(test_evtchn_last_cmd, EVTCHNOP_send);
	CU_ASSERT_EQUAL(evtchn_close(3), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(evtchn_unmask_op(3), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(test_evtchn_last_cmd, EVTCHNOP_unmask);
	CU_ASSERT_EQUAL(evtchn_reset(), -XEN_ENOSYS);
	CU_ASSERT_STRING_EQUAL(evtchn_op_name(EVTCHNOP_reset), "EVTCHNOP_reset");
	CU_ASSERT_STRING_EQUAL(evtchn_op_name(99), "EVTCHNOP_?");
	CU_ASSERT_STRING_EQUAL(evtchn_op_name(-1), "EVTCHNOP_?");
}

void add_evtchn_suite(void)
{
	CU_pSuite s = CU_add_suite("evtchn", NULL, NULL);

	CU_add_test(s, "init masks every port", test_init_masks_all);
	CU_add_test(s, "handlers only for real ports", test_handler_bounds);
	CU_add_test(s, "dispatch runs and clears", test_dispatch_clears);
	CU_add_test(s, "dispatch order over words", test_dispatch_order);
	CU_add_test(s, "masked ports stay pending", test_masked_stays_pending);
	CU_add_test(s, "unmask re-raises a masked edge", test_unmask_reraises);
	CU_add_test(s, "pending without a handler", test_no_handler);
	CU_add_test(s, "hostile selector bits", test_hostile_selector);
	CU_add_test(s, "re-raising handler is bounded", test_bounded_rounds);
	CU_add_test(s, "clear_handler masks", test_clear_handler_masks);
	CU_add_test(s, "ops pass errors through", test_ops_pass_errors);
}

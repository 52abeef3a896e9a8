/*
 * selftest_evtchn.c: init=selftest's event channel tests (event_channel.h
 * semantics as Xen implements them, reference §2.2-2.3). Each test makes
 * the ports it needs and closes them, so one failure does not cascade.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/errno.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "selftest-priv.h"

#define WAKE_LIMIT_NS		NSEC_PER_SEC
#define TIMER_DELAY_NS		(10 * NSEC_PER_MSEC)
#define MAX_BLOCKS		100

static unsigned int handled;
static evtchn_port_t handled_port;

static void count_handler(evtchn_port_t port, void *data)
{
	(void)data;
	handled++;
	handled_port = port;
}

static void close_pair(evtchn_port_t a, evtchn_port_t b)
{
	evtchn_clear_handler(a);
	evtchn_clear_handler(b);
	evtchn_close(b);
	evtchn_close(a);
	evtchn_clear_pending(a);
	evtchn_clear_pending(b);
}

/* Status of port must be interdomain and point at peer (and at us). */
static bool points_at(struct st_ctx *c, evtchn_port_t port,
		      evtchn_port_t peer)
{
	struct evtchn_status st = { 0 };
	int rc = evtchn_status(port, &st);

	if (rc < 0) {
		st_fail(c, "EVTCHNOP_status(%u): %s", port, st_err(rc));
		return false;
	}
	if (st.status != EVTCHNSTAT_interdomain || st.u.interdomain.port != peer ||
	    (c->has_self && st.u.interdomain.dom != c->self)) {
		st_fail(c, "port %u: status %u dom %u port %u, expected "
			"interdomain (2) to port %u", port, st.status,
			st.u.interdomain.dom, st.u.interdomain.port, peer);
		return false;
	}
	return true;
}

static enum st_result t_loopback(struct st_ctx *c)
{
	evtchn_port_t a, b;
	enum st_result r = ST_FAIL;
	int rc = evtchn_alloc_unbound(DOMID_SELF, &a);

	if (rc < 0)
		return st_fail(c, "EVTCHNOP_alloc_unbound: %s", st_err(rc));
	rc = evtchn_bind_interdomain(DOMID_SELF, a, &b);
	if (rc < 0) {
		evtchn_close(a);
		return st_fail(c, "EVTCHNOP_bind_interdomain: %s", st_err(rc));
	}
	if (a == 0 || b == 0 || a == b)
		st_fail(c, "ports %u and %u", a, b);
	else if (points_at(c, a, b) && points_at(c, b, a)) {
		if (!evtchn_is_pending(b))
			st_fail(c, "the new local port %u is not pending "
				"after bind", b);
		else
			r = ST_PASS;
	}
	close_pair(a, b);
	return r;
}

static enum st_result t_send(struct st_ctx *c)
{
	evtchn_port_t a, b;
	enum st_result r = ST_FAIL;
	int rc = st_loopback(&a, &b);

	if (rc < 0)
		return st_fail(c, "loopback pair: %s", st_err(rc));
	evtchn_clear_pending(a);
	handled = 0;
	evtchn_set_handler(a, count_handler, NULL);
	/*
	 * event_2l.c kicks the vCPU only when the selector bit goes 0 -> 1,
	 * so empty the selector first or a stale bit would hide the wake-up.
	 */
	evtchn_dispatch();
	hv_event_clear();
	rc = evtchn_send(b);
	if (rc < 0)
		st_fail(c, "EVTCHNOP_send(%u): %s", b, st_err(rc));
	else if (!evtchn_is_pending(a))
		st_fail(c, "send on %u did not set the peer %u pending", b, a);
	else if (!evtchn_upcall_pending())
		st_fail(c, "peer %u is unmasked but upcall_pending is 0", a);
	else if (!hv_event_wait((int64_t)WAKE_LIMIT_NS))
		st_fail(c, "the event descriptor did not wake a 1 s block");
	else if (events_block(time_now_ns() + WAKE_LIMIT_NS) != 1 ||
		 handled != 1 || handled_port != a)
		st_fail(c, "block did not dispatch port %u (handled %u)", a,
			handled);
	else
		r = ST_PASS;
	close_pair(a, b);
	return r;
}

static enum st_result t_send_unbound(struct st_ctx *c)
{
	evtchn_port_t a;
	enum st_result r = ST_PASS;
	int rc = evtchn_alloc_unbound(DOMID_SELF, &a);

	if (rc < 0)
		return st_fail(c, "EVTCHNOP_alloc_unbound: %s", st_err(rc));
	evtchn_clear_pending(a);
	rc = evtchn_send(a);
	if (rc != 0)
		r = st_fail(c, "EVTCHNOP_send on unbound %u: %s, expected 0",
			    a, st_err(rc));
	else if (evtchn_is_pending(a))
		r = st_fail(c, "send on unbound %u set it pending", a);
	evtchn_close(a);
	return r;
}

static enum st_result t_close_peer(struct st_ctx *c)
{
	struct evtchn_status st = { 0 };
	evtchn_port_t a, b;
	enum st_result r = ST_FAIL;
	int rc = st_loopback(&a, &b);

	if (rc < 0)
		return st_fail(c, "loopback pair: %s", st_err(rc));
	rc = evtchn_close(b);
	if (rc < 0) {
		close_pair(a, b);
		return st_fail(c, "EVTCHNOP_close(%u): %s", b, st_err(rc));
	}
	rc = evtchn_status(a, &st);
	if (rc < 0)
		st_fail(c, "EVTCHNOP_status(%u): %s", a, st_err(rc));
	else if (st.status != EVTCHNSTAT_unbound)
		st_fail(c, "peer %u has status %u after close, expected "
			"unbound (1)", a, st.status);
	else if (c->has_self && st.u.unbound.dom != c->self)
		st_fail(c, "peer %u is unbound for dom %u, expected us (%u)", a,
			st.u.unbound.dom, c->self);
	else if (evtchn_status(b, &st) < 0 || st.status != EVTCHNSTAT_closed)
		st_fail(c, "closed port %u has status %u, expected closed (0)",
			b, st.status);
	else
		r = ST_PASS;
	evtchn_close(a);
	evtchn_clear_pending(a);
	evtchn_clear_pending(b);
	return r;
}

static enum st_result t_bind_taken(struct st_ctx *c)
{
	evtchn_port_t for0, a, b, x;
	enum st_result r = ST_FAIL;
	int rc = evtchn_alloc_unbound(0, &for0);

	if (rc < 0)
		return st_fail(c, "EVTCHNOP_alloc_unbound for dom0: %s",
			       st_err(rc));
	rc = st_loopback(&a, &b);
	if (rc < 0) {
		evtchn_close(for0);
		return st_fail(c, "loopback pair: %s", st_err(rc));
	}
	rc = evtchn_bind_interdomain(DOMID_SELF, for0, &x);
	if (rc != -EINVAL) {
		st_fail(c, "bind to %u (unbound for dom0): %s, expected -EINVAL",
			for0, st_err(rc));
		if (rc == 0)
			evtchn_close(x);
	} else {
		rc = evtchn_bind_interdomain(DOMID_SELF, a, &x);
		if (rc != -EINVAL) {
			st_fail(c, "bind to %u (already interdomain): %s, "
				"expected -EINVAL", a, st_err(rc));
			if (rc == 0)
				evtchn_close(x);
		} else {
			r = ST_PASS;
		}
	}
	close_pair(a, b);
	evtchn_close(for0);
	return r;
}

static enum st_result t_send_closed(struct st_ctx *c)
{
	evtchn_port_t a;
	int rc = evtchn_alloc_unbound(DOMID_SELF, &a);

	if (rc < 0)
		return st_fail(c, "EVTCHNOP_alloc_unbound: %s", st_err(rc));
	rc = evtchn_close(a);
	if (rc < 0)
		return st_fail(c, "EVTCHNOP_close(%u): %s", a, st_err(rc));
	rc = evtchn_send(a);
	if (rc != -EINVAL)
		return st_fail(c, "send on closed %u: %s, expected -EINVAL", a,
			       st_err(rc));
	return ST_PASS;
}

static enum st_result t_port0(struct st_ctx *c)
{
	struct evtchn_status st = { 0 };
	int rc = evtchn_status(0, &st);

	if (rc < 0)
		return st_fail(c, "EVTCHNOP_status(0): %s, expected 0 with "
			       "status closed", st_err(rc));
	if (st.status != EVTCHNSTAT_closed)
		return st_fail(c, "port 0 has status %u, expected closed (0)",
			       st.status);
	rc = evtchn_close(0);
	if (rc != -EINVAL)
		return st_fail(c, "EVTCHNOP_close(0): %s, expected -EINVAL",
			       st_err(rc));
	return ST_PASS;
}

static evtchn_port_t limit_ports[EVTCHN_NR_PORTS];

/* Close what t_port_limit allocated; returns how many closes failed. */
static unsigned int close_all(unsigned int n)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (evtchn_close(limit_ports[i]) < 0)
			bad++;
		evtchn_clear_pending(limit_ports[i]);
	}
	return bad;
}

/*
 * Allocate until -ENOSPC. The limit is the hypervisor's; what we can
 * check is that it was reached with every port up to the highest in use
 * (ours plus the ones used before), i.e. count = limit - used.
 */
static enum st_result t_port_limit(struct st_ctx *c)
{
	evtchn_port_t highest = 0;
	unsigned int n = 0, in_use = 0, bad;
	int rc = 0;

	while (n < EVTCHN_NR_PORTS) {
		rc = evtchn_alloc_unbound(DOMID_SELF, &limit_ports[n]);
		if (rc < 0)
			break;
		if (limit_ports[n] > highest)
			highest = limit_ports[n];
		n++;
	}
	if (rc != -ENOSPC) {
		close_all(n);
		return st_fail(c, "after %u ports alloc_unbound returned %s, "
			       "expected -ENOSPC", n, st_err(rc));
	}
	for (evtchn_port_t p = 1; p <= highest; p++) {
		struct evtchn_status st;

		if (evtchn_status(p, &st) == 0 && st.status != EVTCHNSTAT_closed)
			in_use++;
	}
	bad = close_all(n);
	if (n == 0)
		return st_fail(c, "no port could be allocated");
	if (in_use != highest)
		return st_fail(c, "-ENOSPC with %u of ports 1..%u in use "
			       "(%u ours)", in_use, highest, n);
	if (bad)
		return st_fail(c, "%u of %u closes failed", bad, n);
	rc = evtchn_alloc_unbound(DOMID_SELF, &limit_ports[0]);
	if (rc < 0)
		return st_fail(c, "alloc after freeing %u ports: %s", n,
			       st_err(rc));
	evtchn_close(limit_ports[0]);
	return ST_PASS;
}

/*
 * The ABI pvhv was given says -EBUSY; Xen's own evtchn_bind_virq answers
 * a second bind on the same vCPU with -EEXIST (its -EBUSY is for a global
 * VIRQ another domain handles). Either is a refusal; anything else fails.
 */
static enum st_result t_virq_twice(struct st_ctx *c)
{
	evtchn_port_t first = events_timer_port(), second;
	bool ours = false;
	int rc;

	if (!first) {
		rc = evtchn_bind_virq(VIRQ_TIMER, 0, &first);
		if (rc < 0)
			return st_fail(c, "EVTCHNOP_bind_virq(TIMER): %s",
				       st_err(rc));
		ours = true;
	}
	rc = evtchn_bind_virq(VIRQ_TIMER, 0, &second);
	if (ours)
		evtchn_close(first);
	if (rc != -EBUSY && rc != -EEXIST) {
		if (rc == 0)
			evtchn_close(second);
		return st_fail(c, "second bind of VIRQ_TIMER: %s, expected "
			       "-EBUSY (or Xen's -EEXIST)", st_err(rc));
	}
	return ST_PASS;
}

/* event_channel.c: an IPI port is bound to a vCPU; send raises it on us. */
static enum st_result t_ipi(struct st_ctx *c)
{
	struct evtchn_status st = { 0 };
	enum st_result r = ST_FAIL;
	evtchn_port_t port;
	int rc = evtchn_bind_ipi(0, &port);

	if (rc < 0)
		return st_fail(c, "EVTCHNOP_bind_ipi(0): %s", st_err(rc));
	evtchn_clear_pending(port);
	rc = evtchn_status(port, &st);
	if (rc < 0 || st.status != EVTCHNSTAT_ipi || st.vcpu != 0)
		st_fail(c, "status of IPI port %u: %s status %u vcpu %u, "
			"expected ipi (5) on vcpu 0", port, st_err(rc),
			st.status, st.vcpu);
	else if ((rc = evtchn_send(port)) < 0)
		st_fail(c, "EVTCHNOP_send on IPI port %u: %s", port, st_err(rc));
	else if (!evtchn_is_pending(port))
		st_fail(c, "send on IPI port %u did not set it pending", port);
	else
		r = ST_PASS;
	evtchn_close(port);
	evtchn_clear_pending(port);
	return r;
}

static bool sel_has(evtchn_port_t port)
{
	xen_ulong_t sel = __atomic_load_n(
		&evtchn_shared_info()->vcpu_info[0].evtchn_pending_sel,
		__ATOMIC_SEQ_CST);

	return sel & ((xen_ulong_t)1 << (port / (sizeof(xen_ulong_t) * 8)));
}

/*
 * xen.h / event_2l.c: a send to a masked port sets only its pending bit;
 * EVTCHNOP_unmask clears the mask and, since the port is pending, sets
 * the selector and upcall_pending.
 */
/*
 * True if a port other than PORT in PORT's selector word is pending and
 * unmasked: dom0 kicks the console and XenStore ports (word 0) at any
 * time, and that legitimately sets the same selector bit.
 */
static bool other_pending_in_word(evtchn_port_t port)
{
	shared_info_t *sh = evtchn_shared_info();
	unsigned int w = port / (sizeof(xen_ulong_t) * 8);
	xen_ulong_t mine = (xen_ulong_t)1 << (port % (sizeof(xen_ulong_t) * 8));

	return (sh->evtchn_pending[w] & ~sh->evtchn_mask[w] & ~mine) != 0;
}

static enum st_result t_mask_unmask(struct st_ctx *c)
{
	evtchn_port_t a, b;
	enum st_result r = ST_FAIL;
	int rc = st_loopback(&a, &b);

	if (rc < 0)
		return st_fail(c, "loopback pair: %s", st_err(rc));
	handled = 0;
	evtchn_set_handler(a, count_handler, NULL);
	evtchn_mask(a);
	evtchn_clear_pending(a);
	evtchn_dispatch();	/* empties the selector */
	rc = evtchn_send(b);
	if (rc < 0)
		st_fail(c, "EVTCHNOP_send(%u): %s", b, st_err(rc));
	else if (!evtchn_is_pending(a))
		st_fail(c, "masked %u is not pending after send", a);
	else if (sel_has(a) && !other_pending_in_word(a))
		st_fail(c, "masked pending %u set the selector", a);
	else if ((rc = evtchn_unmask_op(a)) < 0)
		st_fail(c, "EVTCHNOP_unmask(%u): %s", a, st_err(rc));
	else if (evtchn_is_masked(a))
		st_fail(c, "EVTCHNOP_unmask left %u masked", a);
	else if (!sel_has(a) || !evtchn_upcall_pending())
		st_fail(c, "EVTCHNOP_unmask of pending %u did not set the "
			"selector and upcall_pending", a);
	else if (events_block(time_now_ns() + WAKE_LIMIT_NS) != 1 ||
		 handled != 1)
		st_fail(c, "unmasked %u was not dispatched (handled %u)", a,
			handled);
	else
		r = ST_PASS;
	close_pair(a, b);
	return r;
}

static enum st_result t_timer_virq(struct st_ctx *c)
{
	evtchn_port_t port = events_timer_port();
	uint64_t before = events_timer_fired(), limit;
	struct evtchn_status st = { 0 };
	long rc;

	if (!port)
		return st_fail(c, "VIRQ_TIMER was not bound at boot");
	rc = evtchn_status(port, &st);
	if (rc < 0 || st.status != EVTCHNSTAT_virq || st.u.virq != VIRQ_TIMER)
		return st_fail(c, "status of timer port %u: %s status %u virq "
			       "%u, expected virq (4) TIMER", port, st_err(rc),
			       rc ? 0 : st.status, rc ? 0 : st.u.virq);
	rc = HYPERVISOR_set_timer_op(time_now_ns() + TIMER_DELAY_NS);
	if (rc < 0)
		return st_fail(c, "set_timer_op: %s", st_err(rc));
	limit = time_now_ns() + WAKE_LIMIT_NS;
	for (unsigned int i = 0; i < MAX_BLOCKS; i++) {
		if (events_timer_fired() != before)
			return ST_PASS;
		if (!events_block(limit))
			break;
	}
	HYPERVISOR_set_timer_op(0);
	return st_fail(c, "no VIRQ_TIMER on port %u within 1 s of a 10 ms "
		       "timer", port);
}

const struct selftest selftest_evtchn[] = {
	{ "evtchn-loopback", t_loopback },
	{ "evtchn-send", t_send },
	{ "evtchn-send-unbound", t_send_unbound },
	{ "evtchn-close-peer-unbound", t_close_peer },
	{ "evtchn-bind-taken", t_bind_taken },
	{ "evtchn-send-closed", t_send_closed },
	{ "evtchn-port0-reserved", t_port0 },
	{ "evtchn-port-limit", t_port_limit },
	{ "evtchn-virq-twice", t_virq_twice },
	{ "evtchn-ipi", t_ipi },
	{ "evtchn-mask-unmask", t_mask_unmask },
	{ "evtchn-timer-virq", t_timer_virq },
};
const unsigned int selftest_evtchn_count =
	sizeof(selftest_evtchn) / sizeof(selftest_evtchn[0]);

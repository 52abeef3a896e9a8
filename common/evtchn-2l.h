/*
 * evtchn-2l.h: raising an event with Xen's 2-level ABI (xen.h,
 * event_2l.c), shared by pvhv and by dom0's fast path, which raises
 * events in a guest's shared_info directly instead of asking pvhv.
 *
 * Set the port's pending bit; if it was clear and the port is unmasked,
 * set its selector bit in vcpu_info[0]; if that was clear, set
 * upcall_pending. The caller wakes the domain (writes its event fd) when
 * this returns true. Atomics throughout: the guest clears pending and
 * selector bits and changes its mask concurrently.
 */
#ifndef EVTCHN_2L_H
#define EVTCHN_2L_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>

#define EVTCHN_2L_BITS		(sizeof(xen_ulong_t) * 8)
#define EVTCHN_2L_PORTS		(EVTCHN_2L_BITS * EVTCHN_2L_BITS)

static inline bool evtchn_2l_test_and_set(xen_ulong_t *word, unsigned int bit)
{
	xen_ulong_t m = (xen_ulong_t)1 << bit;

	return __atomic_fetch_or(word, m, __ATOMIC_SEQ_CST) & m;
}

/* Returns true when the domain must be woken. */
static inline bool evtchn_2l_set_pending(shared_info_t *sh, uint32_t port)
{
	unsigned int w = port / EVTCHN_2L_BITS, b = port % EVTCHN_2L_BITS;
	vcpu_info_t *v = &sh->vcpu_info[0];

	if (port >= EVTCHN_2L_PORTS || evtchn_2l_test_and_set(&sh->evtchn_pending[w], b))
		return false;		/* already pending: the edge was delivered */
	if (__atomic_load_n(&sh->evtchn_mask[w], __ATOMIC_SEQ_CST) & ((xen_ulong_t)1 << b))
		return false;		/* masked: the guest looks when it unmasks */
	if (evtchn_2l_test_and_set(&v->evtchn_pending_sel, w))
		return false;
	__atomic_store_n(&v->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	return true;
}

#endif /* EVTCHN_2L_H */

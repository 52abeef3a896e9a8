/*
 * events.c: event channels over the 2-level ABI, polled.
 *
 * xen.h: the hypervisor (or a dom0 backend) sets evtchn_pending[port]; if
 * the port is unmasked it also sets the port's word in the vCPU's
 * evtchn_pending_sel and evtchn_upcall_pending. pvos cannot take upcalls,
 * so it leaves evtchn_upcall_mask at 1 and scans instead:
 *
 *  1. clear upcall_pending, then take pending_sel with an atomic exchange;
 *  2. for each selected word, take pending & ~mask, clear each bit it
 *     handles with an atomic and, and call the port's handler.
 *
 * Blocking (SCHEDOP_block, pvh_trap.h) is: check upcall_pending, ppoll on
 * the event descriptor, then read it to clear. pvhv sets the bits before
 * it writes the descriptor, so a bit set after our check still wakes the
 * ppoll; the read comes before the caller's next check, so a write that
 * lands after the ppoll returns is not lost either.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/errno.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#define BITS_PER_WORD		(sizeof(xen_ulong_t) * 8)
#define NR_PORTS		(BITS_PER_WORD * BITS_PER_WORD)

struct port_handler {
	event_handler_t fn;
	void *data;
};

static shared_info_t *shared;
static struct port_handler handlers[NR_PORTS];

void events_init(shared_info_t *shared_info)
{
	shared = shared_info;
	/* pvh_layout.h: the builder leaves upcalls masked; keep it so. */
	shared->vcpu_info[0].evtchn_upcall_mask = 1;
	for (unsigned int w = 0; w < BITS_PER_WORD; w++)
		__atomic_store_n(&shared->evtchn_mask[w], ~(xen_ulong_t)0,
				 __ATOMIC_SEQ_CST);
}

shared_info_t *events_shared_info(void)
{
	return shared;
}

static bool port_is_valid(evtchn_port_t port)
{
	/* Port 0 is reserved (event_channel.h). */
	return port > 0 && port < NR_PORTS;
}

void events_mask(evtchn_port_t port)
{
	if (!port_is_valid(port))
		return;
	__atomic_fetch_or(&shared->evtchn_mask[port / BITS_PER_WORD],
			  (xen_ulong_t)1 << (port % BITS_PER_WORD),
			  __ATOMIC_SEQ_CST);
}

void events_unmask(evtchn_port_t port)
{
	unsigned int w = port / BITS_PER_WORD;
	xen_ulong_t bit;

	if (!port_is_valid(port))
		return;
	bit = (xen_ulong_t)1 << (port % BITS_PER_WORD);
	__atomic_fetch_and(&shared->evtchn_mask[w], ~bit, __ATOMIC_SEQ_CST);
	/*
	 * xen.h: an edge that arrived while masked set only the pending bit.
	 * Redo the hypervisor's half so the next scan sees it.
	 */
	if (__atomic_load_n(&shared->evtchn_pending[w], __ATOMIC_SEQ_CST) & bit) {
		__atomic_fetch_or(&shared->vcpu_info[0].evtchn_pending_sel,
				  (xen_ulong_t)1 << w, __ATOMIC_SEQ_CST);
		__atomic_store_n(&shared->vcpu_info[0].evtchn_upcall_pending, 1,
				 __ATOMIC_SEQ_CST);
	}
}

int events_bind(evtchn_port_t port, event_handler_t fn, void *data)
{
	if (!port_is_valid(port) || !fn)
		return -EINVAL;
	handlers[port] = (struct port_handler){ fn, data };
	events_unmask(port);
	return 0;
}

void events_unbind(evtchn_port_t port)
{
	if (!port_is_valid(port))
		return;
	events_mask(port);
	handlers[port] = (struct port_handler){ 0 };
}

bool events_pending(void)
{
	return __atomic_load_n(&shared->vcpu_info[0].evtchn_upcall_pending,
			       __ATOMIC_SEQ_CST) != 0;
}

static unsigned int dispatch_word(unsigned int w)
{
	xen_ulong_t ready;
	unsigned int fired = 0;

	ready = __atomic_load_n(&shared->evtchn_pending[w], __ATOMIC_SEQ_CST) &
		~__atomic_load_n(&shared->evtchn_mask[w], __ATOMIC_SEQ_CST);
	while (ready) {
		unsigned int b = (unsigned int)__builtin_ctzl(ready);
		evtchn_port_t port = w * BITS_PER_WORD + b;

		ready &= ready - 1;
		__atomic_fetch_and(&shared->evtchn_pending[w],
				   ~((xen_ulong_t)1 << b), __ATOMIC_SEQ_CST);
		if (handlers[port].fn)
			handlers[port].fn(port, handlers[port].data);
		fired++;
	}
	return fired;
}

unsigned int events_dispatch(void)
{
	vcpu_info_t *v = &shared->vcpu_info[0];
	xen_ulong_t sel;
	unsigned int fired = 0;

	__atomic_store_n(&v->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
	sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		unsigned int w = (unsigned int)__builtin_ctzl(sel);

		sel &= sel - 1;
		fired += dispatch_word(w);
	}
	return fired;
}

int events_block(uint64_t deadline_ns)
{
	int64_t timeout = -1;
	int woke;

	if (events_pending())
		return 1;
	if (deadline_ns != EVENTS_NO_DEADLINE) {
		uint64_t now = time_now_ns();

		if (now >= deadline_ns)
			return 0;
		timeout = deadline_ns - now > INT64_MAX ? INT64_MAX :
			  (int64_t)(deadline_ns - now);
	}
	woke = hv_event_wait(timeout);
	hv_event_clear();
	return woke;
}

/*
 * evtchn.c: event channels, the guest side (event_channel.h, xen.h).
 *
 * The 2-level ABI: shared_info holds evtchn_pending[] and evtchn_mask[]
 * (one bit per port) and each vcpu_info a selector, evtchn_pending_sel,
 * with one bit per word of evtchn_pending. The hypervisor sets a port's
 * pending bit; only if it was clear and the port is unmasked does it set
 * the selector bit and evtchn_upcall_pending. The guest owns the mask and
 * clears pending bits itself, here in the scan of evtchn_dispatch():
 *
 *  1. clear upcall_pending, then take the selector with an atomic exchange
 *     (an event after the exchange sets it again and is seen next round);
 *  2. for each selected word take pending & ~mask, clear each bit with an
 *     atomic and before calling its handler (so an event raised during the
 *     handler is a new edge, not lost).
 *
 * Every word is shared with the hypervisor, so every access is atomic.
 * The scan is bounded: at most DISPATCH_ROUNDS passes over at most 64
 * words of 64 bits, however the hypervisor (or a handler) keeps raising.
 */
#include "xenfront.h"

#define BITS_PER_WORD		(sizeof(xen_ulong_t) * 8)
#define DISPATCH_ROUNDS		4

struct port_handler {
	evtchn_handler_t fn;
	void *data;
};

static shared_info_t *shared;
static struct port_handler handlers[EVTCHN_NR_PORTS];
/* Fast-path descriptors by port, +1 so that zeroed memory means none. */
static int fast_fd1[EVTCHN_NR_PORTS];

static const char *const op_names[] = {
	[EVTCHNOP_bind_interdomain] = "EVTCHNOP_bind_interdomain",
	[EVTCHNOP_bind_virq] = "EVTCHNOP_bind_virq",
	[EVTCHNOP_bind_pirq] = "EVTCHNOP_bind_pirq",
	[EVTCHNOP_close] = "EVTCHNOP_close",
	[EVTCHNOP_send] = "EVTCHNOP_send",
	[EVTCHNOP_status] = "EVTCHNOP_status",
	[EVTCHNOP_alloc_unbound] = "EVTCHNOP_alloc_unbound",
	[EVTCHNOP_bind_ipi] = "EVTCHNOP_bind_ipi",
	[EVTCHNOP_bind_vcpu] = "EVTCHNOP_bind_vcpu",
	[EVTCHNOP_unmask] = "EVTCHNOP_unmask",
	[EVTCHNOP_reset] = "EVTCHNOP_reset",
};

const char *evtchn_op_name(int cmd)
{
	if (cmd < 0 || (unsigned int)cmd >= sizeof(op_names) / sizeof(op_names[0]) ||
	    !op_names[cmd])
		return "EVTCHNOP_?";
	return op_names[cmd];
}

static bool port_is_valid(evtchn_port_t port)
{
	/* event_channel.h: port 0 is reserved, never handed out. */
	return port > 0 && port < EVTCHN_NR_PORTS;
}

static xen_ulong_t port_bit(evtchn_port_t port)
{
	return (xen_ulong_t)1 << (port % BITS_PER_WORD);
}

void evtchn_init(shared_info_t *shared_info)
{
	shared = shared_info;
	/* pvh_layout.h: the builder leaves upcalls masked; keep it so. */
	__atomic_store_n(&shared->vcpu_info[0].evtchn_upcall_mask, 1,
			 __ATOMIC_SEQ_CST);
	for (unsigned int w = 0; w < BITS_PER_WORD; w++)
		__atomic_store_n(&shared->evtchn_mask[w], ~(xen_ulong_t)0,
				 __ATOMIC_SEQ_CST);
	for (unsigned int p = 0; p < EVTCHN_NR_PORTS; p++)
		handlers[p] = (struct port_handler){ 0 };
}

shared_info_t *evtchn_shared_info(void)
{
	return shared;
}

void evtchn_mask(evtchn_port_t port)
{
	if (!port_is_valid(port))
		return;
	__atomic_fetch_or(&shared->evtchn_mask[port / BITS_PER_WORD],
			  port_bit(port), __ATOMIC_SEQ_CST);
}

void evtchn_unmask(evtchn_port_t port)
{
	unsigned int w = port / BITS_PER_WORD;
	vcpu_info_t *v;

	if (!port_is_valid(port))
		return;
	v = &shared->vcpu_info[0];
	__atomic_fetch_and(&shared->evtchn_mask[w], ~port_bit(port),
			   __ATOMIC_SEQ_CST);
	/*
	 * xen.h: an edge that arrived while masked set only the pending bit.
	 * Do the hypervisor's half of set_pending so the next scan sees it;
	 * no hypercall is needed since nothing can be interrupted.
	 */
	if (__atomic_load_n(&shared->evtchn_pending[w], __ATOMIC_SEQ_CST) &
	    port_bit(port)) {
		__atomic_fetch_or(&v->evtchn_pending_sel, (xen_ulong_t)1 << w,
				  __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	}
}

bool evtchn_is_masked(evtchn_port_t port)
{
	if (port >= EVTCHN_NR_PORTS)
		return true;
	return __atomic_load_n(&shared->evtchn_mask[port / BITS_PER_WORD],
			       __ATOMIC_SEQ_CST) & port_bit(port);
}

bool evtchn_is_pending(evtchn_port_t port)
{
	if (port >= EVTCHN_NR_PORTS)
		return false;
	return __atomic_load_n(&shared->evtchn_pending[port / BITS_PER_WORD],
			       __ATOMIC_SEQ_CST) & port_bit(port);
}

void evtchn_clear_pending(evtchn_port_t port)
{
	if (port >= EVTCHN_NR_PORTS)
		return;
	__atomic_fetch_and(&shared->evtchn_pending[port / BITS_PER_WORD],
			   ~port_bit(port), __ATOMIC_SEQ_CST);
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *data)
{
	if (!port_is_valid(port) || !fn)
		return -XEN_EINVAL;
	handlers[port] = (struct port_handler){ fn, data };
	evtchn_unmask(port);
	return 0;
}

void evtchn_clear_handler(evtchn_port_t port)
{
	if (!port_is_valid(port))
		return;
	evtchn_mask(port);
	handlers[port] = (struct port_handler){ 0 };
}

bool evtchn_upcall_pending(void)
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
		unsigned int b = (unsigned int)__builtin_ctzll(ready);
		evtchn_port_t port = w * BITS_PER_WORD + b;
		struct port_handler h = handlers[port];

		ready &= ready - 1;
		__atomic_fetch_and(&shared->evtchn_pending[w],
				   ~((xen_ulong_t)1 << b), __ATOMIC_SEQ_CST);
		if (h.fn)
			h.fn(port, h.data);
		fired++;
	}
	return fired;
}

unsigned int evtchn_dispatch(void)
{
	vcpu_info_t *v = &shared->vcpu_info[0];
	unsigned int fired = 0;

	for (unsigned int round = 0; round < DISPATCH_ROUNDS; round++) {
		xen_ulong_t sel;

		__atomic_store_n(&v->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
		sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0,
					  __ATOMIC_SEQ_CST);
		if (!sel)
			break;
		while (sel) {
			unsigned int w = (unsigned int)__builtin_ctzll(sel);

			sel &= sel - 1;
			fired += dispatch_word(w);
		}
	}
	return fired;
}

/* ---- the hypercalls ---- */

static int op(int cmd, void *arg)
{
	return (int)xenport_event_channel_op(cmd, arg);
}

int evtchn_alloc_unbound(domid_t remote_dom, evtchn_port_t *port_out)
{
	struct evtchn_alloc_unbound a = {
		.dom = DOMID_SELF,
		.remote_dom = remote_dom,
	};
	int rc = op(EVTCHNOP_alloc_unbound, &a);

	if (rc == 0)
		*port_out = a.port;
	return rc;
}

int evtchn_bind_interdomain(domid_t remote_dom, evtchn_port_t remote_port,
			    evtchn_port_t *local_port_out)
{
	struct evtchn_bind_interdomain b = {
		.remote_dom = remote_dom,
		.remote_port = remote_port,
	};
	int rc = op(EVTCHNOP_bind_interdomain, &b);

	if (rc == 0)
		*local_port_out = b.local_port;
	return rc;
}

int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port_out)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
	int rc = op(EVTCHNOP_bind_virq, &b);

	if (rc == 0)
		*port_out = b.port;
	return rc;
}

int evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port_out)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu };
	int rc = op(EVTCHNOP_bind_ipi, &b);

	if (rc == 0)
		*port_out = b.port;
	return rc;
}

/*
 * A port bound to dom0 is notified without a hypercall once the
 * hypervisor has handed us its descriptor (the reply to our first send).
 */
int evtchn_send(evtchn_port_t port)
{
	struct evtchn_send s = { .port = port };
	int rc, fd;

	if (port < EVTCHN_NR_PORTS && fast_fd1[port]) {
		xenport_fd_notify(fast_fd1[port] - 1);
		return 0;
	}
	rc = op(EVTCHNOP_send, &s);
	fd = xenport_take_fd();
	if (fd >= 0 && port < EVTCHN_NR_PORTS && !fast_fd1[port])
		fast_fd1[port] = fd + 1;
	else if (fd >= 0)
		xenport_fd_close(fd);
	return rc;
}

int evtchn_close(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };

	if (port < EVTCHN_NR_PORTS && fast_fd1[port]) {
		xenport_fd_close(fast_fd1[port] - 1);
		fast_fd1[port] = 0;
	}
	return op(EVTCHNOP_close, &c);
}

int evtchn_status(evtchn_port_t port, struct evtchn_status *status_out)
{
	struct evtchn_status s = { .dom = DOMID_SELF, .port = port };
	int rc = op(EVTCHNOP_status, &s);

	if (rc == 0)
		*status_out = s;
	return rc;
}

int evtchn_unmask_op(evtchn_port_t port)
{
	struct evtchn_unmask u = { .port = port };

	return op(EVTCHNOP_unmask, &u);
}

int evtchn_reset(void)
{
	struct evtchn_reset r = { .dom = DOMID_SELF };

	return op(EVTCHNOP_reset, &r);
}

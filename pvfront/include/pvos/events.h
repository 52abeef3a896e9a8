/*
 * pvos/events.h: pvos's event loop over the event channel client
 * (xen/evtchn.c, declared in xenfront.h).
 *
 * pvos has no upcalls: a sandboxed process cannot be interrupted by the
 * hypervisor, so vcpu_info.evtchn_upcall_mask stays 1 and the kernel polls.
 * events_block() is SCHEDOP_block done in the guest, as pvh_trap.h says:
 * sleep until an event may be pending, then dispatch what is.
 */
#ifndef PVOS_EVENTS_H
#define PVOS_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <pvos/xen.h>

#include "xenfront.h"

#define EVENTS_NO_DEADLINE	UINT64_MAX

void events_init(shared_info_t *shared_info);

/* The shared_info page (for time.c, which reads vcpu_info and wallclock). */
shared_info_t *events_shared_info(void);

/*
 * Bind VIRQ_TIMER on vCPU 0 to a handler that counts expiries. Returns 0
 * or the hypercall's error (-ENOSYS if pvhv does not serve event
 * channels: the timer still wakes a block through the event descriptor).
 */
int events_bind_timer(void);

/* The VIRQ_TIMER port (0 if unbound) and how often its handler ran. */
evtchn_port_t events_timer_port(void);
uint64_t events_timer_fired(void);

/*
 * SCHEDOP_block: if an event is pending, dispatch it and return 1 at
 * once; otherwise sleep until the event descriptor fires or system time
 * reaches deadline_ns (EVENTS_NO_DEADLINE: no limit), then dispatch.
 * Returns 1 if woken by the descriptor or an event was pending, 0 if the
 * deadline passed. Wakeups can be spurious: callers re-check what they
 * wait for.
 */
int events_block(uint64_t deadline_ns);

#endif /* PVOS_EVENTS_H */

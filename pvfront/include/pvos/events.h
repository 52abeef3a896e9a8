/*
 * pvos/events.h: event channels, 2-level ABI (xen.h shared_info).
 *
 * pvos has no upcalls: a sandboxed process cannot be interrupted by the
 * hypervisor, so vcpu_info.evtchn_upcall_mask stays 1 and the kernel polls.
 * events_block() is SCHEDOP_block done in the guest, as pvh_trap.h says;
 * events_dispatch() runs the handlers of pending, unmasked ports.
 */
#ifndef PVOS_EVENTS_H
#define PVOS_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <pvos/xen.h>

#define EVENTS_NO_DEADLINE	UINT64_MAX

typedef void (*event_handler_t)(evtchn_port_t port, void *data);

void events_init(shared_info_t *shared_info);

/* The shared_info page (for time.c, which reads vcpu_info and wallclock). */
shared_info_t *events_shared_info(void);

/* Bind a handler to a port and unmask it; -EINVAL for a bad port. */
int events_bind(evtchn_port_t port, event_handler_t fn, void *data);
void events_unbind(evtchn_port_t port);
void events_mask(evtchn_port_t port);
void events_unmask(evtchn_port_t port);

/* True if the hypervisor marked an event pending for this vCPU. */
bool events_pending(void);

/* Run handlers of pending, unmasked ports; returns how many fired. */
unsigned int events_dispatch(void);

/*
 * Sleep until an event may be pending or system time reaches deadline_ns
 * (EVENTS_NO_DEADLINE: no limit). Returns 1 if woken by the event
 * descriptor or found an event pending, 0 if the deadline passed. Wakeups
 * can be spurious: callers re-check what they wait for.
 */
int events_block(uint64_t deadline_ns);

#endif /* PVOS_EVENTS_H */

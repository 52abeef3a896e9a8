/*
 * pvos/hypercall.h: hypercalls over Splitvisor's trap (pvh_trap.h).
 *
 * Every HYPERVISOR_*() wrapper takes pointer arguments as guest-physical
 * addresses (paddr_t), exactly as pvhv reads them; callers convert with
 * virt_to_phys(). The wrappers return Xen's result: >= 0 on success or a
 * negative errno. A broken channel (pvhv gone, short message, wrong reply)
 * is not an error a caller could handle, so the transport ends the domain.
 */
#ifndef PVOS_HYPERCALL_H
#define PVOS_HYPERCALL_H

#include <stdint.h>

#include <public/pvh_layout.h>

typedef uint64_t paddr_t;

static inline paddr_t virt_to_phys(const volatile void *p)
{
	return (paddr_t)((uintptr_t)p - PVH_GUEST_BASE);
}

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + PVH_GUEST_BASE);
}

/*
 * The event channel fast path (pvh_trap.h): the descriptor the last reply
 * carried, taken once (-1 if none); notify through one; close one.
 */
int hypercall_take_fd(void);
void arch_fd_notify(int fd);
void arch_fd_close(int fd);

long hypercall(unsigned int op, uint64_t a0, uint64_t a1, uint64_t a2,
	       uint64_t a3, uint64_t a4);

long HYPERVISOR_console_io(int cmd, unsigned int count, paddr_t buf);
long HYPERVISOR_sched_op(int cmd, paddr_t arg);
long HYPERVISOR_xen_version(int cmd, paddr_t arg);
long HYPERVISOR_memory_op(unsigned int cmd, paddr_t arg);
long HYPERVISOR_set_timer_op(uint64_t deadline_ns);
long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpuid, paddr_t arg);
long HYPERVISOR_event_channel_op(int cmd, paddr_t arg);
long HYPERVISOR_grant_table_op(unsigned int cmd, paddr_t args,
			       unsigned int count);

/*
 * The event wait of pvh_trap.h. hv_event_wait() sleeps until the event
 * descriptor is readable or timeout_ns passes (timeout_ns < 0: forever);
 * it returns 1 if the descriptor fired, 0 on timeout. hv_event_clear()
 * drains the descriptor without blocking.
 */
int hv_event_wait(int64_t timeout_ns);
void hv_event_clear(void);

#endif /* PVOS_HYPERCALL_H */

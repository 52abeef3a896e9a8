/*
 * xenport.c: what pvos supplies to the protocol code in pvfront/xen/
 * (xenport.h): the two hypercalls over pvos's transport, address
 * conversion, and a 16-bit compare-and-exchange.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/mm.h>
#include <pvos/time.h>

#include "xenport.h"

long xenport_event_channel_op(int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, virt_to_phys(arg));
}

long xenport_grant_table_op(unsigned int cmd, void *args, unsigned int count)
{
	return HYPERVISOR_grant_table_op(cmd, virt_to_phys(args), count);
}

uint64_t xenport_virt_to_phys(const volatile void *p)
{
	return virt_to_phys(p);
}

void *xenport_phys_to_virt(uint64_t paddr)
{
	return phys_to_virt(paddr);
}

bool xenport_cmpxchg16(volatile uint16_t *p, uint16_t *expected,
		       uint16_t desired)
{
	return __atomic_compare_exchange_n(p, expected, desired, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* A notification lost to a peer that was not bound yet costs 100 ms. */
#define XENPORT_BLOCK_NS	(100 * NSEC_PER_MSEC)

void xenport_block(void)
{
	events_block(time_is_available() ? time_now_ns() + XENPORT_BLOCK_NS :
		     EVENTS_NO_DEADLINE);
}

void *xenport_alloc_pages(unsigned long n)
{
	return mm_alloc_pages(n);
}

void xenport_free_pages(void *p, unsigned long n)
{
	mm_free_pages(p, n);
}

uint64_t xenport_now_ns(void)
{
	return time_now_ns();
}

int xenport_take_fd(void)
{
	return hypercall_take_fd();
}

void xenport_fd_notify(int fd)
{
	arch_fd_notify(fd);
}

void xenport_fd_close(int fd)
{
	arch_fd_close(fd);
}

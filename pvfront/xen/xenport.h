/*
 * xenport.h: what the protocol code in pvfront/xen/ needs from the kernel
 * it runs in, and nothing more.
 *
 * evtchn.c and gnttab.c speak Xen's public interface only; they include
 * this header and xenfront.h, never a kernel's own headers, so a second
 * guest kernel can reuse them by supplying these few functions. pvos
 * supplies them in kernel/xenport.c; the host unit tests supply stand-ins
 * (tests/xenport_stubs.c) that run the code over plain memory.
 *
 * Error numbers are Xen's (xen/errno.h: XEN_EINVAL, ...), which equal
 * Linux's for every code these calls use.
 */
#ifndef PVFRONT_XENPORT_H
#define PVFRONT_XENPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>

/*
 * The two hypercalls, with arguments as this kernel's virtual pointers:
 * the port converts them to whatever its transport wants (for pvos,
 * guest-physical addresses, pvh_trap.h). They return Xen's result, 0 or
 * a negative errno (-XEN_ENOSYS if the hypervisor does not serve the op).
 */
long xenport_event_channel_op(int cmd, void *arg);
long xenport_grant_table_op(unsigned int cmd, void *args, unsigned int count);

/*
 * The event channel fast path (pvh_trap.h): the descriptor the last
 * hypercall's reply carried, taken once (-1 if none); a notification
 * through such a descriptor; closing it. Kernels without a fast path
 * return -1 and never see the other two called.
 */
int xenport_take_fd(void);
void xenport_fd_notify(int fd);
void xenport_fd_close(int fd);

/* Guest-physical address of a kernel pointer, and back. */
uint64_t xenport_virt_to_phys(const volatile void *p);
void *xenport_phys_to_virt(uint64_t paddr);

/*
 * Atomic compare-and-exchange of a 16-bit word another domain (or the
 * hypervisor) writes too: if *p equals *expected, store desired and return
 * true; otherwise load the current value into *expected and return false.
 * A port, not a builtin, so the unit tests can let a "peer" write between
 * a read and the exchange.
 */
bool xenport_cmpxchg16(volatile uint16_t *p, uint16_t *expected,
		       uint16_t desired);

/*
 * Sleep until an event may have arrived, then run the handlers of the
 * pending ports (evtchn_dispatch()). Wakeups may be spurious, and a kernel
 * may also return after a while without one (pvos: 100 ms), which lets
 * the protocol code notice a peer that changed shared memory without
 * notifying; callers re-check what they wait for. The xenbus client blocks here whenever it
 * waits for XenStore, so it never spins. Never called from a handler.
 */
void xenport_block(void);

/* A monotonic clock in nanoseconds, for the protocol code's timeouts. */
uint64_t xenport_now_ns(void);

/*
 * n contiguous, page-aligned, zeroed pages of the kernel's memory (ring
 * pages and I/O bounce pages for the frontends), or NULL; and back.
 */
void *xenport_alloc_pages(unsigned long n);
void xenport_free_pages(void *p, unsigned long n);

/*
 * The C library functions the protocol code uses; every kernel has them
 * (pvos in kernel/string.c and kernel/printf.c).
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int vsnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...);

#endif /* PVFRONT_XENPORT_H */

/*
 * pvos/console.h: the kernel console. Output goes to the hypervisor
 * (console_io CONSOLEIO_write) during early boot and after a panic, and to
 * the PV console ring (io/console.h) once console_ring_init() succeeded;
 * input comes from the ring only.
 *
 * Output is line buffered: a line leaves when it ends, when the buffer
 * fills, or on console_flush(). Writing to the ring may block until
 * pvconsoled makes room, so printk() must not be called from an event
 * handler. One vCPU and no upcalls mean no locking is needed.
 */
#ifndef PVOS_CONSOLE_H
#define PVOS_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "xenfront.h"

#include <xen/io/console.h>

void console_write(const char *s, size_t len);
void console_flush(void);
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * Switch output to the ring page and take input from it; port is the
 * console event channel. Returns 0, or a negative errno (output stays on
 * console_io) if the page's indices are already inconsistent.
 */
int console_ring_init(struct xencons_interface *ring, evtchn_port_t port);
bool console_ring_is_active(void);

/* Back to console_io for good (panic: it needs nothing from dom0). */
void console_emergency(void);

/* Up to len bytes of input, without blocking; 0 if none is waiting. */
size_t console_read(char *buf, size_t len);

/* Flush, then wait (bounded, blocking) until pvconsoled took everything. */
void console_sync(void);

#endif /* PVOS_CONSOLE_H */

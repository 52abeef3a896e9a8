/*
 * pvos/console.h: the hypervisor console (console_io CONSOLEIO_write).
 *
 * Output is line buffered: a line goes to the hypervisor when it ends, when
 * the buffer fills, or on console_flush(). One vCPU and no upcalls mean no
 * locking is needed.
 */
#ifndef PVOS_CONSOLE_H
#define PVOS_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void console_write(const char *s, size_t len);
void console_flush(void);
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif /* PVOS_CONSOLE_H */

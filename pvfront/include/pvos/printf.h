/*
 * pvos/printf.h: formatting into a bounded buffer.
 *
 * Supports %d %i %u %x %X %p %s %c %% with the flags '-', '0' and '#', a
 * field width (or '*'), a precision for %s (or '.*'), and the length
 * modifiers hh h l ll z.
 * Like C's vsnprintf it returns the length the full output would have had.
 */
#ifndef PVOS_PRINTF_H
#define PVOS_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* PVOS_PRINTF_H */

/*
 * pvos/string.h: the C string functions pvos provides for itself.
 *
 * The compiler emits calls to memcpy, memset, memmove and memcmp even in
 * freestanding code, so these keep their standard names and semantics.
 */
#ifndef PVOS_STRING_H
#define PVOS_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* PVOS_STRING_H */

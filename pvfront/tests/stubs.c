/*
 * stubs.c: host stand-ins for the parts of pvos that need the hypervisor:
 * the console records output, panic() returns control to the test, and
 * the event wait and clock are counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/time.h>

#include "host.h"

jmp_buf *test_panic_jmp;
char test_panic_msg[256];
char test_console[4096];
int test_event_waits;

void test_reset_stubs(void)
{
	test_panic_jmp = NULL;
	test_panic_msg[0] = '\0';
	test_console[0] = '\0';
	test_event_waits = 0;
}

int vprintk(const char *fmt, va_list ap)
{
	size_t used = strlen(test_console);

	return vsnprintf(test_console + used, sizeof(test_console) - used, fmt,
			 ap);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(test_panic_msg, sizeof(test_panic_msg), fmt, ap);
	va_end(ap);
	if (!test_panic_jmp) {
		fprintf(stderr, "unexpected panic: %s\n", test_panic_msg);
		abort();
	}
	longjmp(*test_panic_jmp, 1);
}

int hv_event_wait(int64_t timeout_ns)
{
	test_event_waits++;
	return 1;
}

void hv_event_clear(void)
{
}

uint64_t time_now_ns(void)
{
	return 1000;
}

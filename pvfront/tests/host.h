/*
 * host.h: what the pvos unit tests share.
 *
 * The tests build pvos's portable sources for the host. printf.c and
 * string.c define names the C library also defines, so they are compiled
 * through wrappers that rename them with a pvos_ prefix.
 */
#ifndef PVFRONT_TESTS_HOST_H
#define PVFRONT_TESTS_HOST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

int pvos_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int pvos_snprintf(char *buf, size_t size, const char *fmt, ...);
void *pvos_memmove(void *dst, const void *src, size_t n);
int pvos_memcmp(const void *a, const void *b, size_t n);
int pvos_strncmp(const char *a, const char *b, size_t n);
size_t pvos_strnlen(const char *s, size_t max);

/* The stubs in stubs.c: panic() longjmps here when a test armed it. */
extern jmp_buf *test_panic_jmp;
extern char test_panic_msg[256];
extern char test_console[4096];
extern int test_event_waits;

void test_reset_stubs(void);

/* The xenport.h stand-ins in xenport_stubs.c. */
#define TEST_GUEST_PAGES	512
#define TEST_ARENA_FIRST_PFN	16
#define TEST_UNBOUND_PORT	9
#define TEST_GNTTAB_FIRST_PFN	8
extern uint8_t test_guest_mem[];
extern long test_evtchn_rc;
extern int test_evtchn_last_cmd;
extern int16_t test_setup_status;
extern bool test_setup_scatter;
extern unsigned int test_gnttab_calls;
extern void (*test_cmpxchg_peer)(volatile uint16_t *flags);
extern unsigned int test_cmpxchg_calls;
extern void (*test_block_hook)(void);
extern unsigned int test_block_calls;
extern unsigned int test_evtchn_sends;
extern uint64_t test_now_ns;
extern void *test_last_page;
void test_arena_reset(void);

void add_printf_suite(void);
void add_string_suite(void);
void add_cmdline_suite(void);
void add_mm_suite(void);
void add_events_suite(void);
void add_evtchn_suite(void);
void add_gnttab_suite(void);
void add_xenbus_suite(void);
void add_blkfront_suite(void);
void add_pio_suite(void);
void add_ata_suite(void);
void add_bench_suite(void);
void add_net_suite(void);

#endif /* PVFRONT_TESTS_HOST_H */

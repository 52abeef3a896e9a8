/* printf_test.c: kernel/printf.c. */
#include <stdint.h>
#include <string.h>

#include "host.h"

static char buf[128];

#define CHECK_FMT(expect, ...)						\
	do {								\
		int n_ = pvos_snprintf(buf, sizeof(buf), __VA_ARGS__);	\
		CU_ASSERT_STRING_EQUAL(buf, expect);			\
		CU_ASSERT_EQUAL(n_, (int)strlen(expect));		\
	} while (0)

static void test_integers(void)
{
	CHECK_FMT("0 -1 42", "%d %d %u", 0, -1, 42u);
	CHECK_FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK_FMT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK_FMT("ff FF 0xff", "%x %X %#x", 255u, 255u, 255u);
	CHECK_FMT("deadbeefcafe", "%lx", 0xdeadbeefcafeUL);
	CHECK_FMT("12345", "%zu", (size_t)12345);
	CHECK_FMT("-1 255", "%hhd %hhu", (signed char)-1, (unsigned char)255);
}

static void test_widths(void)
{
	CHECK_FMT("   42|42   |00042", "%5d|%-5d|%05d", 42, 42, 42);
	CHECK_FMT("-0042", "%05d", -42);
	CHECK_FMT("0x0000001f", "%#010x", 31u);
	CHECK_FMT("  ab|ab  |a", "%4s|%-4s|%.1s", "ab", "ab", "ab");
	CHECK_FMT("  x", "%*c", 3, 'x');
	CHECK_FMT("abc", "%.*s", 3, "abcdef");
	CHECK_FMT("0x1000", "%p", (void *)0x1000);
	CHECK_FMT("(null) 100%", "%s 100%%", (const char *)NULL);
}

static void test_truncation(void)
{
	char small[4];
	int n = pvos_snprintf(small, sizeof(small), "%s", "abcdef");

	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_STRING_EQUAL(small, "abc");
	n = pvos_snprintf(NULL, 0, "%d", 12345);
	CU_ASSERT_EQUAL(n, 5);
}

void add_printf_suite(void)
{
	CU_pSuite s = CU_add_suite("printf", NULL, NULL);

	CU_add_test(s, "integers and length modifiers", test_integers);
	CU_add_test(s, "widths, padding and precision", test_widths);
	CU_add_test(s, "truncation keeps the full length", test_truncation);
}

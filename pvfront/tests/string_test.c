/* string_test.c: kernel/string.c. */
#include <string.h>

#include "host.h"

static void test_memmove_overlap(void)
{
	char a[] = "abcdefgh";
	char b[] = "abcdefgh";

	pvos_memmove(a + 2, a, 5);
	CU_ASSERT_STRING_EQUAL(a, "ababcdeh");
	pvos_memmove(b, b + 2, 5);
	CU_ASSERT_STRING_EQUAL(b, "cdefgfgh");
}

static void test_compare(void)
{
	CU_ASSERT(pvos_memcmp("ab\x80", "ab\x01", 3) > 0);
	CU_ASSERT_EQUAL(pvos_strncmp("init=x", "init", 4), 0);
	CU_ASSERT(pvos_strncmp("a", "ab", 5) < 0);
	CU_ASSERT_EQUAL(pvos_strnlen("abc", 2), 2);
	CU_ASSERT_EQUAL(pvos_strnlen("abc", 10), 3);
}

void add_string_suite(void)
{
	CU_pSuite s = CU_add_suite("string", NULL, NULL);

	CU_add_test(s, "memmove handles both overlaps", test_memmove_overlap);
	CU_add_test(s, "comparisons are unsigned and bounded", test_compare);
}

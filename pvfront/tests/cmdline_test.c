/* cmdline_test.c: kernel/cmdline.c. */
#include <stdint.h>
#include <string.h>

#include <pvos/cmdline.h>
#include <pvos/errno.h>
#include <pvos/xen.h>

#include "host.h"

static void parse(const char *s)
{
	cmdline_init(s, strlen(s));
}

static void test_words(void)
{
	parse("  init=hello escape=open\tseed=3 quiet init=timer ");
	CU_ASSERT_STRING_EQUAL(cmdline_get("init", "x"), "timer");
	CU_ASSERT_STRING_EQUAL(cmdline_get("escape", "x"), "open");
	CU_ASSERT_STRING_EQUAL(cmdline_get("quiet", "x"), "");
	CU_ASSERT_STRING_EQUAL(cmdline_get("missing", "dflt"), "dflt");
	CU_ASSERT_PTR_NULL(cmdline_get("in", NULL));
}

static void test_numbers(void)
{
	uint64_t v = 0;

	parse("count=20000 big=18446744073709551616 neg=-1 empty= x=12a");
	CU_ASSERT_EQUAL(cmdline_get_u64("count", 5, 1, 100000, &v), 0);
	CU_ASSERT_EQUAL(v, 20000);
	CU_ASSERT_EQUAL(cmdline_get_u64("absent", 5, 1, 10, &v), 0);
	CU_ASSERT_EQUAL(v, 5);
	CU_ASSERT_EQUAL(cmdline_get_u64("count", 5, 1, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(cmdline_get_u64("big", 5, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(cmdline_get_u64("neg", 5, 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(cmdline_get_u64("empty", 5, 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(cmdline_get_u64("x", 5, 0, 100, &v), -EINVAL);
}

/* What if the builder fills cmd_line to the end without a terminator? */
static void test_unterminated(void)
{
	static char line[MAX_GUEST_CMDLINE];

	memset(line, 'a', sizeof(line));
	memcpy(line, "init=spin ", 10);
	cmdline_init(line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(cmdline_get("init", NULL), "spin");
}

static void test_too_many_words(void)
{
	char line[200] = "";

	test_reset_stubs();
	for (int i = 0; i < 40; i++)
		strcat(line, "w ");
	strcat(line, "init=idle");
	parse(line);
	CU_ASSERT_PTR_NULL(cmdline_get("init", NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(test_console, "ignored"));
}

void add_cmdline_suite(void)
{
	CU_pSuite s = CU_add_suite("cmdline", NULL, NULL);

	CU_add_test(s, "key=value words, last wins", test_words);
	CU_add_test(s, "numbers are checked", test_numbers);
	CU_add_test(s, "unterminated cmd_line", test_unterminated);
	CU_add_test(s, "too many words", test_too_many_words);
}

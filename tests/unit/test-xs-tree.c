/*
 * test-xs-tree.c: the node tree through XS_WRITE/READ/MKDIR/RM/DIRECTORY.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

static void test_initial_tree(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;

	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/tool/xenstored"), "");
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/local/domain"), "");
	th_req(st, c, XS_DIRECTORY, 0, &r, "/", NULL);
	CU_ASSERT_EQUAL(r.type, XS_DIRECTORY);
	CU_ASSERT_EQUAL(r.len, strlen("tool") + strlen("local") + 2);
	th_req(st, c, XS_GET_PERMS, 0, &r, "@releaseDomain", NULL);
	CU_ASSERT_EQUAL(r.type, XS_GET_PERMS);
	CU_ASSERT_STRING_EQUAL(r.data, "n0");
	th_store_free(st);
}

static void test_write_read(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;

	CU_ASSERT_STRING_EQUAL(th_write(st, c, 0, "/a/b/c", "hello"), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/a/b/c"), "hello");
	/* Missing parents are created with empty values. */
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/a/b"), "");
	CU_ASSERT_STRING_EQUAL(th_write(st, c, 0, "/a/b/c", "again"), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/a/b/c"), "again");
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/a/x"), "ENOENT");
	/* READ returns the bytes without a NUL; binary values survive. */
	th_req_raw(st, c, XS_WRITE, 0, "/bin\0a\0b", 8, &r);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_req(st, c, XS_READ, 0, &r, "/bin", NULL);
	CU_ASSERT_EQUAL(r.len, 3);
	CU_ASSERT(memcmp(r.data, "a\0b", 3) == 0);
	th_store_free(st);
}

static void test_mkdir_rm(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;

	th_write(st, c, 0, "/d", "keep");
	th_req(st, c, XS_MKDIR, 0, &r, "/d", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/d"), "keep");
	th_write(st, c, 0, "/d/e/f", "1");
	th_req(st, c, XS_RM, 0, &r, "/d", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/d/e/f"), "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/d"), "ENOENT");
	/* Missing node with an existing parent is fine; missing parent not. */
	th_req(st, c, XS_RM, 0, &r, "/d", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_req(st, c, XS_RM, 0, &r, "/d/e", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOENT");
	th_req(st, c, XS_RM, 0, &r, "/", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_store_free(st);
}

static void test_deep_remove(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	char path[XENSTORE_ABS_PATH_MAX + 1];
	unsigned int base = st->nnodes, i;
	struct th_reply r;
	size_t off = 0;

	for (i = 0; i < 1000; i++)
		off += (size_t)snprintf(path + off, sizeof(path) - off, "/x");
	CU_ASSERT_STRING_EQUAL(th_write(st, c, 0, path, "deep"), "OK");
	CU_ASSERT_EQUAL(st->nnodes, base + 1000);
	th_req(st, c, XS_RM, 0, &r, "/x", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(st->nnodes, base);
	th_store_free(st);
}

static void test_directory_part(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	char path[64], off[16], *seen = calloc(5000, 1);
	unsigned int i, total = 0, rounds = 0;
	struct th_reply r;
	size_t o = 0;

	for (i = 0; i < 5000; i++) {
		snprintf(path, sizeof(path), "/many/child%u", i);
		CU_ASSERT_STRING_EQUAL(th_write(st, c, 0, path, ""), "OK");
	}
	th_req(st, c, XS_DIRECTORY, 0, &r, "/many", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "E2BIG");
	for (;;) {
		size_t p, glen;

		snprintf(off, sizeof(off), "%zu", o);
		th_req(st, c, XS_DIRECTORY_PART, 0, &r, "/many", off, NULL);
		CU_ASSERT_EQUAL_FATAL(r.type, XS_DIRECTORY_PART);
		glen = strlen(r.data) + 1;
		for (p = glen; p < r.len && r.data[p]; p += strlen(r.data + p) + 1) {
			i = (unsigned int)atoi(r.data + p + 5);
			CU_ASSERT(i < 5000 && !seen[i]);
			if (i < 5000)
				seen[i] = 1;
			total++;
			o += strlen(r.data + p) + 1;
		}
		rounds++;
		if (p < r.len || rounds > 100)
			break;	/* empty string: end of list */
	}
	CU_ASSERT_EQUAL(total, 5000);
	CU_ASSERT(rounds > 1);
	free(seen);
	th_store_free(st);
}

static void test_relative_paths(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *dom0 = th_conn(st, 0, true);
	struct xs_conn *g;
	struct th_reply r;

	th_req(st, dom0, XS_MKDIR, 0, &r, "/local/domain/5", NULL);
	th_req(st, dom0, XS_SET_PERMS, 0, &r, "/local/domain/5", "n5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	g = th_conn(st, 5, false);
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "data/x", "1"), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(st, dom0, 0, "/local/domain/5/data/x"),
			       "1");
	th_req(st, g, XS_GET_DOMAIN_PATH, 0, &r, "5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "/local/domain/5");
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "initial tree", test_initial_tree },
	{ "write and read", test_write_read },
	{ "mkdir and rm", test_mkdir_rm },
	{ "remove of a 1000-deep tree", test_deep_remove },
	{ "DIRECTORY_PART over 5000 children", test_directory_part },
	{ "relative paths", test_relative_paths },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs tree", tests);
}

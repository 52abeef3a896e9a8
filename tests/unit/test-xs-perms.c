/*
 * test-xs-perms.c: owner-first permissions, inheritance, privileged dom0.
 */
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

static void test_parse_format(void)
{
	struct xs_perms p;
	char buf[64];

	CU_ASSERT_EQUAL(xs_perms_parse("n0\0r5\0b7", 9, 5, &p), 0);
	CU_ASSERT_EQUAL(p.num, 3);
	CU_ASSERT_EQUAL(xs_perms_format(&p, buf, sizeof(buf)), 9);
	CU_ASSERT(memcmp(buf, "n0\0r5\0b7", 9) == 0);
	CU_ASSERT_EQUAL(xs_perms_access(&p, 0, XS_DOMID_INVALID), XS_PERM_BOTH);
	CU_ASSERT_EQUAL(xs_perms_access(&p, 5, XS_DOMID_INVALID), XS_PERM_READ);
	CU_ASSERT_EQUAL(xs_perms_access(&p, 9, XS_DOMID_INVALID), XS_PERM_NONE);
	CU_ASSERT_EQUAL(xs_perms_access(&p, 9, 7), XS_PERM_BOTH);
	xs_perms_free(&p);
	CU_ASSERT_EQUAL(xs_perms_parse("x0", 3, 5, &p), -EINVAL);
	CU_ASSERT_EQUAL(xs_perms_parse("r", 2, 5, &p), -EINVAL);
	CU_ASSERT_EQUAL(xs_perms_parse("r99999", 7, 5, &p), -EINVAL);
	CU_ASSERT_EQUAL(xs_perms_parse("r1\0r2\0r3", 9, 2, &p), -ENOSPC);
}

static void test_access(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct xs_conn *g1 = th_conn(st, 1, false), *g2 = th_conn(st, 2, false);
	struct th_reply r;

	th_write(st, d0, 0, "/shared/v", "s");
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/shared/v", "n0", "r1", NULL);
	CU_ASSERT_STRING_EQUAL(th_read(st, g1, 0, "/shared/v"), "s");
	CU_ASSERT_STRING_EQUAL(th_read(st, g2, 0, "/shared/v"), "EACCES");
	CU_ASSERT_STRING_EQUAL(th_write(st, g1, 0, "/shared/v", "x"), "EACCES");
	/* The root is an ordinary node (XSA-353). */
	CU_ASSERT_STRING_EQUAL(th_write(st, g1, 0, "/evil", "x"), "EACCES");
	th_req(st, g1, XS_SET_PERMS, 0, &r, "/", "b1", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_req(st, g1, XS_RM, 0, &r, "/local", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_req(st, g1, XS_DIRECTORY, 0, &r, "/", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_store_free(st);
}

static void test_inherit_owner(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct xs_conn *g3 = th_conn(st, 3, false);
	struct th_reply r;

	th_req(st, d0, XS_MKDIR, 0, &r, "/local/domain/3", NULL);
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/local/domain/3", "n0", "b3",
	       NULL);
	CU_ASSERT_STRING_EQUAL(th_write(st, g3, 0, "/local/domain/3/a/b", "v"),
			       "OK");
	th_req(st, d0, XS_GET_PERMS, 0, &r, "/local/domain/3/a/b", NULL);
	/* Inherited list, owner replaced by the creating domain. */
	CU_ASSERT_EQUAL(r.len, 6);
	CU_ASSERT(memcmp(r.data, "n3\0b3", 6) == 0);
	/* dom0 creating keeps the parent's owner. */
	th_write(st, d0, 0, "/local/domain/3/fromdom0", "v");
	th_req(st, d0, XS_GET_PERMS, 0, &r, "/local/domain/3/fromdom0", NULL);
	CU_ASSERT(memcmp(r.data, "n0\0b3", 6) == 0);
	th_store_free(st);
}

static void test_set_perms_rules(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct xs_conn *g4 = th_conn(st, 4, false), *g5 = th_conn(st, 5, false);
	struct th_reply r;

	th_req(st, d0, XS_MKDIR, 0, &r, "/local/domain/4", NULL);
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/local/domain/4", "n4", NULL);
	/* The owner may change the list but not give the node away. */
	th_req(st, g4, XS_SET_PERMS, 0, &r, "/local/domain/4", "n4", "r5",
	       NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_req(st, g4, XS_SET_PERMS, 0, &r, "/local/domain/4", "n5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EPERM");
	/* Not the owner. */
	th_req(st, g5, XS_SET_PERMS, 0, &r, "/local/domain/4", "b5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	/* Too many entries for an unprivileged domain. */
	th_req(st, g4, XS_SET_PERMS, 0, &r, "/local/domain/4", "n4", "r1",
	       "r2", "r3", "r5", "r6", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOSPC");
	/* Special nodes: only dom0 changes them. */
	th_req(st, g4, XS_SET_PERMS, 0, &r, "@releaseDomain", "r4", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_req(st, d0, XS_SET_PERMS, 0, &r, "@releaseDomain", "n0", "r4",
	       NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_store_free(st);
}

static void test_privileged_only_ops(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *g = th_conn(st, 6, false);
	struct th_reply r;

	th_req(st, g, XS_INTRODUCE, 0, &r, "7", "0", "1", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_req(st, g, XS_RELEASE, 0, &r, "6", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_req(st, g, XS_CONTROL, 0, &r, "print", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_req(st, g, XS_SET_TARGET, 0, &r, "6", "1", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	th_store_free(st);
}

static void test_set_target(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct xs_conn *dm = th_conn(st, 12, false);
	struct th_reply r;

	th_write(st, d0, 0, "/local/domain/11/dm", "x");
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/local/domain/11/dm", "n11", NULL);
	CU_ASSERT_STRING_EQUAL(th_read(st, dm, 0, "/local/domain/11/dm"),
			       "EACCES");
	/* A device model domain gets its target's powers. */
	th_req(st, d0, XS_SET_TARGET, 0, &r, "12", "11", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(st, dm, 0, "/local/domain/11/dm"), "x");
	th_req(st, d0, XS_SET_TARGET, 0, &r, "99", "11", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOENT");
	th_store_free(st);
}

static void test_access_log(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct th_reply r;
	char line[512];

	st->access_log = tmpfile();
	CU_ASSERT_FATAL(st->access_log != NULL);
	th_req(st, d0, XS_CONTROL, 0, &r, "log", "on", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_read(st, d0, 0, "/nothing");
	th_req_raw(st, d0, XS_READ, 0, "/bad\npath", 10, &r);
	th_req(st, d0, XS_CONTROL, 0, &r, "log", "off", NULL);
	th_read(st, d0, 0, "/not-logged");
	rewind(st->access_log);
	CU_ASSERT(fgets(line, sizeof(line), st->access_log) != NULL);
	CU_ASSERT(strstr(line, "type=CONTROL") != NULL);
	CU_ASSERT(fgets(line, sizeof(line), st->access_log) != NULL);
	CU_ASSERT(strstr(line, "dom=0 type=READ tx=0 path=/nothing "
			       "result=ENOENT") != NULL);
	CU_ASSERT(fgets(line, sizeof(line), st->access_log) != NULL);
	CU_ASSERT(strstr(line, "path=/bad?path result=EINVAL") != NULL);
	/* "log off" and what follows are not logged. */
	CU_ASSERT(fgets(line, sizeof(line), st->access_log) == NULL);
	fclose(st->access_log);
	st->access_log = NULL;
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "parse and format", test_parse_format },
	{ "access checks, root included", test_access },
	{ "inheritance replaces the owner", test_inherit_owner },
	{ "SET_PERMS rules", test_set_perms_rules },
	{ "dom0-only requests", test_privileged_only_ops },
	{ "SET_TARGET", test_set_target },
	{ "access log on and off", test_access_log },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs permissions", tests);
}

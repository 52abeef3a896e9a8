/*
 * test-xs-wire.c: what if a client sends garbage?
 *
 * Oversize lengths, missing NULs, bad path characters, "//", trailing
 * slashes, paths too long, unknown types, client-only types, closed
 * transaction ids, disconnect mid-message.  The daemon must answer with an
 * error or drop the connection, never crash or change state.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

static void test_oversize(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };

	CU_ASSERT_EQUAL(th_feed(st, c, &h, sizeof(h)), -E2BIG);
	CU_ASSERT_EQUAL(c->body, NULL);	/* nothing allocated */
	h.len = 0xffffffffu;
	CU_ASSERT_EQUAL(xs_wire_check_header(&h), -E2BIG);
	h.len = XENSTORE_PAYLOAD_MAX;
	CU_ASSERT_EQUAL(xs_wire_check_header(&h), 0);
	th_store_free(st);
}

static void test_missing_nul(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;

	th_req_raw(st, c, XS_READ, 0, "/local", 6, &r);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req_raw(st, c, XS_WATCH, 0, "/local\0tok", 10, &r);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req_raw(st, c, XS_SET_PERMS, 0, "/local\0r0", 9, &r);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req_raw(st, c, XS_READ, 0, "", 0, &r);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_store_free(st);
}

static void test_bad_paths(void)
{
	static const char *const bad[] = {
		"", "/a//b", "/a/", "a/", "/a b", "/a\n", "/\xff", "/a\\b",
		"@releaseDomain", "/a/./b" , "..",
	};
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	char *longp = malloc(XENSTORE_ABS_PATH_MAX + 2);
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *res = th_write(st, c, 0, bad[i], "v");

		if (strcmp(res, "EINVAL") != 0)
			fprintf(stderr, "path '%s' gave %s\n", bad[i], res);
		CU_ASSERT_STRING_EQUAL(res, "EINVAL");
	}
	longp[0] = '/';
	memset(longp + 1, 'a', XENSTORE_ABS_PATH_MAX);
	longp[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, longp), "EINVAL");
	longp[XENSTORE_ABS_PATH_MAX] = '\0';	/* exactly the maximum */
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, longp), "ENOENT");
	free(longp);
	th_store_free(st);
}

static void test_canonical(void)
{
	char out[XENSTORE_ABS_PATH_MAX + 32], rel[XENSTORE_REL_PATH_MAX + 2];

	CU_ASSERT_EQUAL(xs_path_canonical("x/y", 7, false, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/local/domain/7/x/y");
	CU_ASSERT_EQUAL(xs_path_canonical("/", 7, false, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(xs_path_canonical("@introduceDomain", 0, true, out,
					  sizeof(out)), 0);
	memset(rel, 'r', sizeof(rel) - 1);
	rel[sizeof(rel) - 1] = '\0';
	CU_ASSERT_EQUAL(xs_path_canonical(rel, 7, false, out, sizeof(out)),
			-EINVAL);
	CU_ASSERT(xs_path_is_prefix("/a", "/a/b"));
	CU_ASSERT(!xs_path_is_prefix("/a", "/ab"));
	CU_ASSERT(xs_path_is_prefix("/", "/ab"));
}

static void test_unknown_types(void)
{
	static const uint32_t types[] = {
		XS_TYPE_COUNT, XS_TYPE_COUNT + 1, 20, XS_WATCH_EVENT,
		XS_ERROR, XS_INVALID, 0x7fffffffu, 0xffffffffu,
	};
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		th_req(st, c, types[i], 0, &r, "/local", NULL);
		CU_ASSERT_EQUAL(r.type, XS_ERROR);
		CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	}
	th_store_free(st);
}

static void test_numbers(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;
	unsigned long v;

	CU_ASSERT_EQUAL(xs_parse_uint("4294967295", 0xffffffffu, &v), 0);
	CU_ASSERT_EQUAL(xs_parse_uint("4294967296", 0xffffffffu, &v), -EINVAL);
	CU_ASSERT_EQUAL(xs_parse_uint("-1", 0xffffffffu, &v), -EINVAL);
	CU_ASSERT_EQUAL(xs_parse_uint("", 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(xs_parse_uint("99999999999999999999999", ~0ul, &v),
			-EINVAL);
	th_req(st, c, XS_GET_DOMAIN_PATH, 0, &r, "70000", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req(st, c, XS_DIRECTORY_PART, 0, &r, "/", "99999", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req(st, c, XS_INTRODUCE, 0, &r, "0", "1", "1", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req(st, c, XS_INTRODUCE, 0, &r, "3", "1", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	/* Without pvhv's ring ops INTRODUCE says so instead of faking it. */
	th_req(st, c, XS_INTRODUCE, 0, &r, "3", "1", "1", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOSYS");
	th_req(st, c, XS_IS_DOMAIN_INTRODUCED, 0, &r, "3", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "F");
	th_store_free(st);
}

static void test_closed_tx(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	uint32_t tx = th_tx_start(st, c);
	struct th_reply r;

	th_tx_end(st, c, tx, true);
	th_req(st, c, XS_DIRECTORY, tx, &r, "/", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOENT");
	CU_ASSERT_EQUAL(r.tx_id, tx);	/* replies echo the header */
	th_store_free(st);
}

static void test_disconnect_mid_message(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct xsd_sockmsg h = { XS_WRITE, 1, 0, 100 };

	th_feed(st, c, &h, sizeof(h));
	th_feed(st, c, "/half", 5);
	CU_ASSERT(c->body != NULL);
	CU_ASSERT_EQUAL(c->body_got, 5);
	xs_conn_destroy(st, c);	/* frees the partial body */
	c = th_conn(st, 0, true);
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/half"), "ENOENT");
	/* A header split over reads is reassembled. */
	th_feed(st, c, &h, 7);
	CU_ASSERT_EQUAL(c->hdr_got, 7);
	th_store_free(st);
}

static void test_reply_header(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;

	th_req(st, c, XS_READ, 0, &r, "/nothing", NULL);
	CU_ASSERT_EQUAL(r.type, XS_ERROR);
	CU_ASSERT_EQUAL(r.len, 7);
	CU_ASSERT(memcmp(r.data, "ENOENT", 7) == 0);
	CU_ASSERT_STRING_EQUAL(xs_errno_name(-EAGAIN), "EAGAIN");
	CU_ASSERT_STRING_EQUAL(xs_errno_name(-ENOBUFS), "EINVAL");
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "len > 4096", test_oversize },
	{ "missing NULs", test_missing_nul },
	{ "bad paths", test_bad_paths },
	{ "canonical paths", test_canonical },
	{ "unknown and client-only types", test_unknown_types },
	{ "numbers and domain ids", test_numbers },
	{ "tx_id of a closed transaction", test_closed_tx },
	{ "disconnect mid-message", test_disconnect_mid_message },
	{ "error replies", test_reply_header },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs wire", tests);
}

/*
 * test-xs-watch.c: watch registration, matching, permissions, specials.
 */
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

static void test_fire_on_register(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	char p[128], t[64];
	struct th_reply r;

	th_req(st, c, XS_WATCH, 0, &r, "/w", "tok", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(th_event(c, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "/w");
	CU_ASSERT_STRING_EQUAL(t, "tok");
	th_req(st, c, XS_WATCH, 0, &r, "/w", "tok", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EEXIST");
	th_req(st, c, XS_UNWATCH, 0, &r, "/w", "nope", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOENT");
	th_store_free(st);
}

static void test_matching(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	char p[128], t[64];
	struct th_reply r;

	th_write(st, c, 0, "/w/sub/leaf", "1");
	th_req(st, c, XS_WATCH, 0, &r, "/w/sub", "a", NULL);
	th_event(c, p, sizeof(p), t, sizeof(t));
	th_write(st, c, 0, "/w/subling", "no match");
	CU_ASSERT_EQUAL(th_nevents(c), 0);
	th_write(st, c, 0, "/w/sub/leaf", "2");
	CU_ASSERT_EQUAL(th_event(c, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "/w/sub/leaf");
	/* Removing an ancestor fires with the watch's own path. */
	th_req(st, c, XS_RM, 0, &r, "/w", NULL);
	CU_ASSERT_EQUAL(th_event(c, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "/w/sub");
	th_req(st, c, XS_UNWATCH, 0, &r, "/w/sub", "a", NULL);
	th_write(st, c, 0, "/w/sub/leaf", "3");
	CU_ASSERT_EQUAL(th_nevents(c), 0);
	th_store_free(st);
}

static void test_permission_filter(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g = th_conn(st, 8, false);
	char p[128], t[64];
	struct th_reply r;

	th_write(st, d0, 0, "/secret", "s");
	th_write(st, d0, 0, "/open", "o");
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/open", "r0", NULL);
	th_req(st, g, XS_WATCH, 0, &r, "/", "root", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_event(g, p, sizeof(p), t, sizeof(t));
	th_write(st, d0, 0, "/secret", "changed");
	CU_ASSERT_EQUAL(th_nevents(g), 0);	/* XSA-115 */
	th_write(st, d0, 0, "/open", "changed");
	CU_ASSERT_EQUAL(th_nevents(g), 1);
	th_store_free(st);
}

static void test_relative_events(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	char p[128], t[64];
	struct th_reply r;

	th_req(st, d0, XS_MKDIR, 0, &r, "/local/domain/3", NULL);
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/local/domain/3", "n3", NULL);
	g = th_conn(st, 3, false);
	th_req(st, g, XS_WATCH, 0, &r, "device", "dev", NULL);
	CU_ASSERT_EQUAL(th_event(g, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "device");
	th_write(st, d0, 0, "/local/domain/3/device/vbd", "x");
	CU_ASSERT_EQUAL(th_event(g, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "device/vbd");
	th_store_free(st);
}

static void test_special(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g = th_conn(st, 4, false);
	char p[128], t[64];
	struct th_reply r;

	th_req(st, d0, XS_WATCH, 0, &r, "@releaseDomain", "rel", NULL);
	th_req(st, g, XS_WATCH, 0, &r, "@releaseDomain", "spy", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_event(d0, p, sizeof(p), t, sizeof(t));
	th_event(g, p, sizeof(p), t, sizeof(t));
	th_req(st, d0, XS_RELEASE, 0, &r, "4", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(th_event(d0, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "@releaseDomain");
	th_req(st, d0, XS_WATCH, 0, &r, "@bogus/x", "t", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_store_free(st);
}

static void test_special_hidden_from_guests(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct xs_conn *g = th_conn(st, 4, false);
	char p[128], t[64];
	struct th_reply r;

	th_conn(st, 6, false);
	th_req(st, g, XS_WATCH, 0, &r, "@releaseDomain", "spy", NULL);
	th_event(g, p, sizeof(p), t, sizeof(t));
	th_req(st, d0, XS_RELEASE, 0, &r, "6", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(th_nevents(g), 0);
	/* Unless dom0 grants the guest access on the special node. */
	th_req(st, d0, XS_SET_PERMS, 0, &r, "@releaseDomain", "n0", "r4",
	       NULL);
	th_conn(st, 6, false);
	th_req(st, d0, XS_RELEASE, 0, &r, "6", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(th_event(g, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "@releaseDomain");
	th_store_free(st);
}

static void test_long_token(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	char tok[1100];
	struct th_reply r;

	memset(tok, 't', sizeof(tok) - 1);
	tok[sizeof(tok) - 1] = '\0';
	th_req(st, c, XS_WATCH, 0, &r, "/w", tok, NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "E2BIG");	/* XSA-324 */
	th_store_free(st);
}

static void test_reset_watches(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *c = th_conn(st, 0, true);
	struct th_reply r;

	th_req(st, c, XS_WATCH, 0, &r, "/a", "1", NULL);
	th_req(st, c, XS_WATCH, 0, &r, "/b", "2", NULL);
	th_req(st, c, XS_RESET_WATCHES, 0, &r, "", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(c->watches, NULL);
	th_store_free(st);
}

static void test_unread_events_disconnect(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *w = th_conn(st, 0, true), *c = th_conn(st, 0, true);
	struct th_reply r;
	unsigned int i;

	th_req(st, w, XS_WATCH, 0, &r, "/flood", "tok", NULL);
	th_set_reading(w, false);
	for (i = 0; i < 40000 && !w->dead; i++)
		th_write(st, c, 0, "/flood/x", "y");
	CU_ASSERT(w->dead);
	CU_ASSERT(w->out_bytes <= XS_OUTQ_MAX_BYTES);
	xs_conn_reap(st);
	CU_ASSERT_STRING_EQUAL(th_read(st, c, 0, "/flood/x"), "y");
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "fires once on registration", test_fire_on_register },
	{ "path matching and recursive remove", test_matching },
	{ "events filtered by permission", test_permission_filter },
	{ "relative watch, relative events", test_relative_events },
	{ "@releaseDomain", test_special },
	{ "special events not sent to guests", test_special_hidden_from_guests },
	{ "token too long for an event", test_long_token },
	{ "RESET_WATCHES", test_reset_watches },
	{ "a watcher that never reads is dropped", test_unread_events_disconnect },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs watches", tests);
}

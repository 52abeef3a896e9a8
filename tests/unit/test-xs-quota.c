/*
 * test-xs-quota.c: per-domain quotas and cleanup on release.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

static struct xs_conn *guest_with_home(struct xs_store *st,
				       struct xs_conn *d0, unsigned int domid)
{
	char home[32], perm[16];
	struct th_reply r;

	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	snprintf(perm, sizeof(perm), "n%u", domid);
	th_req(st, d0, XS_MKDIR, 0, &r, home, NULL);
	th_req(st, d0, XS_SET_PERMS, 0, &r, home, "n0", perm + 0, NULL);
	perm[0] = 'b';
	th_req(st, d0, XS_SET_PERMS, 0, &r, home, "n0", perm, NULL);
	return th_conn(st, domid, false);
}

static void test_nodes(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	char path[64];
	unsigned int i;

	xs_quota_set(st->quota, "nodes=20");
	g = guest_with_home(st, d0, 1);
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "n%u", i);
		CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, path, "v"), "OK");
	}
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "one-more", "v"), "ENOSPC");
	/* Implicit parents count too, and nothing is left behind. */
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "n0/a/b", "v"), "ENOSPC");
	CU_ASSERT_STRING_EQUAL(th_read(st, g, 0, "n0/a"), "ENOENT");
	/* dom0 is not bound. */
	CU_ASSERT_STRING_EQUAL(th_write(st, d0, 0, "/local/domain/1/x", "v"),
			       "OK");
	th_store_free(st);
}

static void test_node_size(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	char *big = malloc(3000);

	memset(big, 'a', 2999);
	big[2999] = '\0';
	g = guest_with_home(st, d0, 2);
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "big", big), "ENOSPC");
	big[1500] = '\0';
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "big", big), "OK");
	free(big);
	th_store_free(st);
}

static void test_memory(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	char path[64], value[1024];
	unsigned int i;
	const char *res = "OK";

	memset(value, 'm', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	xs_quota_set(st->quota, "memory=20000");
	g = guest_with_home(st, d0, 6);
	for (i = 0; i < 100 && !strcmp(res, "OK"); i++) {
		snprintf(path, sizeof(path), "m%u", i);
		res = th_write(st, g, 0, path, value);
	}
	CU_ASSERT_STRING_EQUAL(res, "ENOSPC");
	CU_ASSERT(i > 10 && i < 25);
	CU_ASSERT(xs_domain_find(st, 6)->memory <= 20000);
	th_store_free(st);
}

static void test_transaction_memory(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	char path[64], value[2000];
	uint32_t tx[10];
	unsigned int i, j, ok = 0;

	memset(value, 'm', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	xs_quota_set(st->quota, "memory=50000");
	g = guest_with_home(st, d0, 7);
	/* Values parked in open transactions count against memory. */
	for (i = 0; i < 10; i++) {
		tx[i] = th_tx_start(st, g);
		for (j = 0; j < 10; j++) {
			snprintf(path, sizeof(path), "t%u", j);
			if (!strcmp(th_write(st, g, tx[i], path, value), "OK"))
				ok++;
		}
	}
	CU_ASSERT(ok < 30);
	CU_ASSERT(xs_domain_find(st, 7)->tx_memory <= 50000);
	for (i = 0; i < 10; i++)
		th_tx_end(st, g, tx[i], false);
	CU_ASSERT_EQUAL(xs_domain_find(st, 7)->tx_memory, 0);
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "after", value), "OK");
	th_store_free(st);
}

static void test_watches(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	struct th_reply r;
	char tok[16];
	unsigned int i;

	g = guest_with_home(st, d0, 3);
	for (i = 0; i < 128; i++) {
		snprintf(tok, sizeof(tok), "t%u", i);
		th_req(st, g, XS_WATCH, 0, &r, "data", tok, NULL);
		CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	}
	th_req(st, g, XS_WATCH, 0, &r, "data", "t-over", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOSPC");
	th_req(st, g, XS_UNWATCH, 0, &r, "data", "t5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_req(st, g, XS_WATCH, 0, &r, "data", "t-over", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	th_store_free(st);
}

static void test_outstanding(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	struct xsd_sockmsg h = { XS_GET_DOMAIN_PATH, 1, 0, 2 };
	char msg[sizeof(h) + 2];
	unsigned int i;

	g = guest_with_home(st, d0, 4);
	th_set_reading(g, false);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), "4", 2);
	for (i = 0; i < 30; i++)
		th_feed(st, g, msg, sizeof(msg));
	/* Only 20 replies are handled while the client does not read. */
	CU_ASSERT_EQUAL(g->out_replies, 20);
	th_set_reading(g, true);
	xs_conn_flush(g);
	xs_conn_handle_input(st, g);
	xs_conn_flush(g);
	CU_ASSERT_EQUAL(g->out_replies, 0);
	CU_ASSERT_EQUAL(g->hdr_got, 0);
	th_store_free(st);
}

static void test_release_cleans_up(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	unsigned int base;
	struct th_reply r;

	base = st->nnodes;
	g = guest_with_home(st, d0, 5);
	th_write(st, g, 0, "a/b/c", "1");
	th_req(st, g, XS_WATCH, 0, &r, "a", "tok", NULL);
	th_tx_start(st, g);
	CU_ASSERT(xs_domain_find(st, 5)->nodes == 3);
	th_req(st, d0, XS_WATCH, 0, &r, "@releaseDomain", "rel", NULL);
	th_req(st, d0, XS_RELEASE, 0, &r, "5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/local/domain/5/a"),
			       "ENOENT");
	CU_ASSERT(g->dead);
	CU_ASSERT_EQUAL(g->watches, NULL);
	CU_ASSERT_EQUAL(g->txs, NULL);
	xs_conn_reap(st);
	CU_ASSERT_EQUAL(xs_domain_find(st, 5), NULL);
	/* Only the dom0-owned home remains. */
	CU_ASSERT_EQUAL(st->nnodes, base + 1);
	/* Its ACL entry is scrubbed (XSA-322). */
	th_req(st, d0, XS_GET_PERMS, 0, &r, "/local/domain/5", NULL);
	CU_ASSERT_EQUAL(r.len, 3);
	/* @releaseDomain fired: registration + release. */
	CU_ASSERT_EQUAL(th_nevents(d0), 2);
	th_req(st, d0, XS_IS_DOMAIN_INTRODUCED, 0, &r, "5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "F");
	th_req(st, d0, XS_RELEASE, 0, &r, "5", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOENT");
	th_store_free(st);
}

static void test_quota_option(void)
{
	unsigned int q[XS_QUOTA_COUNT];

	xs_quota_defaults(q);
	CU_ASSERT_EQUAL(q[XS_Q_NODES], 1000);
	CU_ASSERT_EQUAL(q[XS_Q_NODE_SIZE], 2048);
	CU_ASSERT_EQUAL(q[XS_Q_WATCHES], 128);
	CU_ASSERT_EQUAL(q[XS_Q_TRANSACTIONS], 10);
	CU_ASSERT_EQUAL(q[XS_Q_OUTSTANDING], 20);
	CU_ASSERT_EQUAL(xs_quota_set(q, "watches=7"), 0);
	CU_ASSERT_EQUAL(q[XS_Q_WATCHES], 7);
	CU_ASSERT_EQUAL(xs_quota_set(q, "bogus=7"), -ENOENT);
	CU_ASSERT_EQUAL(xs_quota_set(q, "watches=x"), -EINVAL);
	CU_ASSERT_EQUAL(xs_quota_set(q, "watches"), -EINVAL);
}

static void test_report(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct th_reply r;

	guest_with_home(st, d0, 9);
	th_req(st, d0, XS_CONTROL, 0, &r, "quota", NULL);
	CU_ASSERT_EQUAL(r.type, XS_CONTROL);
	CU_ASSERT(strstr(r.data, "watches=128") != NULL);
	CU_ASSERT(strstr(r.data, "domain 9:") != NULL);
	th_req(st, d0, XS_CONTROL, 0, &r, "memreport", NULL);
	CU_ASSERT(strstr(r.data, "nodes ") != NULL);
	th_req(st, d0, XS_CONTROL, 0, &r, "print", NULL);
	CU_ASSERT(strstr(r.data, "/local/domain/9") != NULL);
	th_req(st, d0, XS_CONTROL, 0, &r, "help", NULL);
	CU_ASSERT(strstr(r.data, "memreport") != NULL);
	th_req(st, d0, XS_CONTROL, 0, &r, "log", "on", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOENT");
	th_req(st, d0, XS_CONTROL, 0, &r, "nonsense", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	/* quota set NAME N, dom0 only. */
	th_req(st, d0, XS_CONTROL, 0, &r, "quota", "set", "request-rate", "50",
	       NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(st->quota[XS_Q_RATE], 50);
	th_req(st, d0, XS_CONTROL, 0, &r, "quota", NULL);
	CU_ASSERT(strstr(r.data, "request-rate=50") != NULL);
	CU_ASSERT(strstr(r.data, "rate-limited 0") != NULL);
	th_req(st, d0, XS_CONTROL, 0, &r, "quota", "set", "no-such", "1", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req(st, d0, XS_CONTROL, 0, &r, "quota", "set", "watches", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	th_req(st, th_conn(st, 9, false), XS_CONTROL, 0, &r, "quota", "set",
	       "watches", "1000", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EACCES");
	CU_ASSERT_EQUAL(st->quota[XS_Q_WATCHES], 128);
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "nodes per domain", test_nodes },
	{ "node size", test_node_size },
	{ "memory per domain", test_memory },
	{ "memory held in transactions", test_transaction_memory },
	{ "watches per domain", test_watches },
	{ "outstanding requests", test_outstanding },
	{ "release removes nodes, watches, transactions", test_release_cleans_up },
	{ "--quota parsing and defaults", test_quota_option },
	{ "CONTROL reports", test_report },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs quotas", tests);
}

/*
 * test-xs-transaction.c: per-node conflict detection.
 *
 * EAGAIN only when a node the transaction read changed; write-only nodes
 * and disjoint subtrees never conflict; changes are invisible to others
 * until commit; deletes conflict with readers.
 */
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

struct fixture {
	struct xs_store *st;
	struct xs_conn *a, *b;
};

static void setup(struct fixture *f)
{
	f->st = th_store();
	f->a = th_conn(f->st, 0, true);
	f->b = th_conn(f->st, 0, true);
	th_write(f->st, f->a, 0, "/d1/x", "1");
	th_write(f->st, f->a, 0, "/d2/y", "2");
}

static void test_read_then_changed(void)
{
	struct fixture f;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT(tx != 0);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "1");
	th_write(f.st, f.a, tx, "/d1/z", "from-tx");
	CU_ASSERT_STRING_EQUAL(th_write(f.st, f.b, 0, "/d1/x", "changed"),
			       "OK");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	/* Nothing of the failed transaction is visible. */
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/z"), "ENOENT");
	/* The id is gone after END. */
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "ENOENT");
	th_store_free(f.st);
}

static void test_write_only_no_conflict(void)
{
	struct fixture f;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d1/x", "tx");
	th_write(f.st, f.b, 0, "/d1/x", "other");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "tx");
	th_store_free(f.st);
}

static void test_disjoint_subtrees(void)
{
	struct fixture f;
	uint32_t t1, t2;

	setup(&f);
	t1 = th_tx_start(f.st, f.a);
	t2 = th_tx_start(f.st, f.b);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, t1, "/d1/x"), "1");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, t2, "/d2/y"), "2");
	th_write(f.st, f.a, t1, "/d1/x", "a");
	th_write(f.st, f.a, t1, "/d1/new", "a");
	th_write(f.st, f.b, t2, "/d2/y", "b");
	th_write(f.st, f.b, t2, "/d2/new", "b");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, t1, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.b, t2, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, 0, "/d1/new"), "a");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, 0, "/d2/new"), "b");
	th_store_free(f.st);
}

static void test_isolation(void)
{
	struct fixture f;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d1/x", "inside");
	th_req(f.st, f.a, XS_RM, tx, &r, "/d2", NULL);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "inside");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d2/y"), "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "1");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d2/y"), "2");
	/* Re-creating below a removed node hides the old children. */
	th_write(f.st, f.a, tx, "/d2/fresh", "f");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d2/y"), "ENOENT");
	th_req(f.st, f.a, XS_DIRECTORY, tx, &r, "/d2", NULL);
	CU_ASSERT_EQUAL(r.len, strlen("fresh") + 1);
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d2/y"), "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d2/fresh"), "f");
	th_store_free(f.st);
}

static void test_delete_conflicts(void)
{
	struct fixture f;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	/* A node read in the transaction is removed by someone else. */
	tx = th_tx_start(f.st, f.a);
	th_read(f.st, f.a, tx, "/d1/x");
	th_req(f.st, f.b, XS_RM, 0, &r, "/d1", NULL);
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	/* A node read as absent appears meanwhile. */
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "ENOENT");
	th_write(f.st, f.b, 0, "/d1/x", "back");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	/* A transaction creating below a parent removed meanwhile (XSA-415). */
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d2/y/child", "c");
	th_req(f.st, f.b, XS_RM, 0, &r, "/d2", NULL);
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d2/y/child"), "ENOENT");
	th_store_free(f.st);
}

static void test_directory_conflict(void)
{
	struct fixture f;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	th_req(f.st, f.a, XS_DIRECTORY, tx, &r, "/d1", NULL);
	CU_ASSERT_EQUAL(r.type, XS_DIRECTORY);
	th_write(f.st, f.b, 0, "/d1/sibling", "s");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	th_store_free(f.st);
}

static void test_abort_and_errors(void)
{
	struct fixture f;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d1/x", "never");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, false), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, 0, "/d1/x"), "1");
	/* Closed, unknown, foreign ids; nesting. */
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_write(f.st, f.a, 12345, "/q", ""), "ENOENT");
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, tx, "/d1/x"), "ENOENT");
	th_req(f.st, f.a, XS_TRANSACTION_START, tx, &r, "", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EBUSY");
	th_req(f.st, f.a, XS_TRANSACTION_END, tx, &r, "X", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "EINVAL");
	/* RESET_WATCHES inside a transaction drops it, without crashing. */
	th_req(f.st, f.a, XS_RESET_WATCHES, tx, &r, "", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "ENOENT");
	th_store_free(f.st);
}

static void test_watch_after_commit(void)
{
	struct fixture f;
	char p[64], t[64];
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	th_req(f.st, f.b, XS_WATCH, 0, &r, "/d1", "tok", NULL);
	CU_ASSERT_EQUAL(th_event(f.b, p, sizeof(p), t, sizeof(t)), 0);
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d1/x", "w");
	CU_ASSERT_EQUAL(th_nevents(f.b), 0);
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "OK");
	CU_ASSERT_EQUAL(th_event(f.b, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "/d1/x");
	CU_ASSERT_STRING_EQUAL(t, "tok");
	th_store_free(f.st);
}

static void test_tx_quota(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *dom0 = th_conn(st, 0, true), *g;
	unsigned int i;

	(void)dom0;
	g = th_conn(st, 7, false);
	for (i = 0; i < 10; i++)
		CU_ASSERT(th_tx_start(st, g) != 0);
	CU_ASSERT_EQUAL(th_tx_start(st, g), 0);
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "read node changed: EAGAIN", test_read_then_changed },
	{ "write-only node: no conflict", test_write_only_no_conflict },
	{ "disjoint subtrees never conflict", test_disjoint_subtrees },
	{ "isolation until commit", test_isolation },
	{ "delete conflicts", test_delete_conflicts },
	{ "listed directory changed: EAGAIN", test_directory_conflict },
	{ "abort, closed ids, nesting", test_abort_and_errors },
	{ "watches fire after commit", test_watch_after_commit },
	{ "transaction quota", test_tx_quota },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs transactions", tests);
}

/*
 * test-xs-transaction.c: per-node conflict detection.
 *
 * Repeatable reads: a node or directory listing reads as it was at the
 * transaction's first access to it, whatever is committed meanwhile; own
 * writes are visible.  EAGAIN when a node the transaction read or changed
 * changed outside; disjoint subtrees never conflict; changes are invisible
 * to others until commit; deletes conflict with readers.
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

/* A node the transaction changes is checked at commit too. */
static void test_written_then_changed(void)
{
	struct fixture f;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d1/x", "tx");
	th_write(f.st, f.b, 0, "/d1/x", "other");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "other");
	/* Unchanged outside: the write commits. */
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d1/x", "tx");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "tx");
	th_store_free(f.st);
}

/* A node read once reads the same until the end, whatever happens. */
static void test_repeatable_read(void)
{
	struct fixture f;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "1");
	th_write(f.st, f.b, 0, "/d1/x", "2");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "1");
	th_write(f.st, f.b, 0, "/d1/x", "3");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "1");
	/* A node first read after the outside change shows that change. */
	th_write(f.st, f.b, 0, "/d2/y", "later");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d2/y"), "later");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	th_store_free(f.st);
}

/* Names of a DIRECTORY reply, joined with ',' for comparison. */
static const char *dir_of(struct xs_store *st, struct xs_conn *c, uint32_t tx,
			  const char *path)
{
	static char out[512];
	struct th_reply r;
	size_t off = 0, o = 0;

	th_req(st, c, XS_DIRECTORY, tx, &r, path, NULL);
	if (r.type != XS_DIRECTORY)
		return th_result(&r);
	while (off < r.len && o + 1 < sizeof(out)) {
		size_t n = strnlen(r.data + off, r.len - off);

		if (o)
			out[o++] = ',';
		if (o + n >= sizeof(out))
			break;
		memcpy(out + o, r.data + off, n);
		o += n;
		off += n + 1;
	}
	out[o] = '\0';
	return out;
}

static void test_repeatable_directory(void)
{
	struct fixture f;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	th_write(f.st, f.a, 0, "/d1/w", "0");
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, tx, "/d1"), "x,w");
	th_write(f.st, f.b, 0, "/d1/outside", "o");
	th_req(f.st, f.b, XS_RM, 0, &r, "/d1/w", NULL);
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, tx, "/d1"), "x,w");
	/* Its own changes show on top of the list it first saw. */
	th_write(f.st, f.a, tx, "/d1/mine", "m");
	th_req(f.st, f.a, XS_RM, tx, &r, "/d1/x", NULL);
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, tx, "/d1"), "w,mine");
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.b, 0, "/d1"), "x,outside");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.b, 0, "/d1"), "x,outside");
	th_store_free(f.st);
}

static void test_deleted_outside(void)
{
	struct fixture f;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "1");
	th_req(f.st, f.b, XS_RM, 0, &r, "/d1", NULL);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "1");
	th_req(f.st, f.a, XS_GET_PERMS, tx, &r, "/d1/x", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "n0");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	th_store_free(f.st);
}

static void test_created_outside(void)
{
	struct fixture f;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/new"), "ENOENT");
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, tx, "/d1"), "x");
	th_write(f.st, f.b, 0, "/d1/new", "n");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/new"), "ENOENT");
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, tx, "/d1"), "x");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	/* Created on both sides: the second creator fails. */
	tx = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, tx, "/d2/both", "tx");
	th_write(f.st, f.b, 0, "/d2/both", "outside");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "EAGAIN");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d2/both"), "outside");
	th_store_free(f.st);
}

static void test_own_writes(void)
{
	struct fixture f;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	tx = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "1");
	th_write(f.st, f.a, tx, "/d1/x", "mine");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d1/x"), "mine");
	th_write(f.st, f.a, tx, "/d3/deep/node", "v");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d3/deep/node"), "v");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d3/deep"), "");
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, tx, "/d3"), "deep");
	th_req(f.st, f.a, XS_RM, tx, &r, "/d3/deep", NULL);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, tx, "/d3/deep/node"),
			       "ENOENT");
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, tx, "/d3"), "");
	th_req(f.st, f.a, XS_SET_PERMS, tx, &r, "/d1/x", "n0", "r4", NULL);
	th_req(f.st, f.a, XS_GET_PERMS, tx, &r, "/d1/x", NULL);
	CU_ASSERT_EQUAL(r.len, 6);
	CU_ASSERT(memcmp(r.data, "n0\0r4\0", 6) == 0);
	/* Outside sees none of it until the commit. */
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "1");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "mine");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d3"), "");
	th_store_free(f.st);
}

/* The view a transaction keeps includes the permissions it saw. */
static void test_perms_checked(void)
{
	struct fixture f;
	struct xs_conn *g;
	struct th_reply r;
	uint32_t tx;

	setup(&f);
	g = th_conn(f.st, 5, false);
	tx = th_tx_start(f.st, g);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, g, tx, "/d1/x"), "EACCES");
	th_req(f.st, f.a, XS_SET_PERMS, 0, &r, "/d1/x", "n0", "b5", NULL);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, g, 0, "/d1/x"), "1");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, g, tx, "/d1/x"), "EACCES");
	CU_ASSERT_STRING_EQUAL(th_write(f.st, g, tx, "/d1/x", "g"), "EACCES");
	CU_ASSERT_STRING_EQUAL(th_write(f.st, g, tx, "/d2/y", "g"), "EACCES");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, g, tx, true), "EAGAIN");
	/* Granted before the first access: allowed in the transaction. */
	tx = th_tx_start(f.st, g);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, g, tx, "/d1/x"), "1");
	CU_ASSERT_STRING_EQUAL(th_write(f.st, g, tx, "/d1/x", "g"), "OK");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, g, tx, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, 0, "/d1/x"), "g");
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

/* Sibling creation under one parent in two transactions: no conflict. */
static void test_disjoint_siblings(void)
{
	struct fixture f;
	uint32_t t1, t2;

	setup(&f);
	t1 = th_tx_start(f.st, f.a);
	t2 = th_tx_start(f.st, f.b);
	th_write(f.st, f.a, t1, "/d1/c1/k", "a");
	th_write(f.st, f.b, t2, "/d1/c2/k", "b");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, t1, true), "OK");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.b, t2, true), "OK");
	CU_ASSERT_STRING_EQUAL(dir_of(f.st, f.a, 0, "/d1"), "x,c1,c2");
	th_store_free(f.st);
}

/* Several transactions on one connection each keep their own view. */
static void test_many_transactions(void)
{
	struct fixture f;
	uint32_t t[3];
	unsigned int i;

	setup(&f);
	t[0] = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, t[0], "/d1/x"), "1");
	th_write(f.st, f.b, 0, "/d1/x", "2");
	t[1] = th_tx_start(f.st, f.a);
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, t[1], "/d1/x"), "2");
	t[2] = th_tx_start(f.st, f.a);
	th_write(f.st, f.a, t[2], "/d1/x", "3");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, t[2], "/d1/x"), "3");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, t[1], "/d1/x"), "2");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.a, t[0], "/d1/x"), "1");
	CU_ASSERT(t[0] != t[1] && t[1] != t[2] && t[0] != t[2]);
	/* The first to commit wins; the others saw a node it changed. */
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, t[2], true), "OK");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, t[1], true), "EAGAIN");
	CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, t[0], true), "EAGAIN");
	CU_ASSERT_STRING_EQUAL(th_read(f.st, f.b, 0, "/d1/x"), "3");
	/* Many in a row: a retry loop converges. */
	for (i = 0; i < 100; i++) {
		uint32_t tx = th_tx_start(f.st, f.a);

		th_read(f.st, f.a, tx, "/d2/y");
		th_write(f.st, f.a, tx, "/d2/y", i % 2 ? "odd" : "even");
		CU_ASSERT_STRING_EQUAL(th_tx_end(f.st, f.a, tx, true), "OK");
	}
	CU_ASSERT_PTR_NULL(f.a->txs);
	th_store_free(f.st);
}

static void test_tx_quota(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *dom0 = th_conn(st, 0, true), *g;
	struct xs_domain *d;
	unsigned int i;
	uint32_t tx;

	(void)dom0;
	g = th_conn(st, 7, false);
	for (i = 0; i < 10; i++)
		CU_ASSERT(th_tx_start(st, g) != 0);
	CU_ASSERT_EQUAL(th_tx_start(st, g), 0);
	/* Ending one makes room for one. */
	CU_ASSERT_STRING_EQUAL(th_tx_end(st, g, g->txs->id, false), "OK");
	CU_ASSERT(th_tx_start(st, g) != 0);
	CU_ASSERT_EQUAL(th_tx_start(st, g), 0);
	while (g->txs)
		th_tx_end(st, g, g->txs->id, false);
	/* transaction-nodes: a node read then written counts once. */
	st->quota[XS_Q_TX_NODES] = 3;
	tx = th_tx_start(st, g);
	CU_ASSERT_STRING_EQUAL(th_read(st, g, tx, "/local/domain/7/a"),
			       "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_write(st, g, tx, "/local/domain/7/a", "1"),
			       "EACCES");
	CU_ASSERT_STRING_EQUAL(th_read(st, g, tx, "/local/domain/7/b"),
			       "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_read(st, g, tx, "/local/domain/7/c"),
			       "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_read(st, g, tx, "/local/domain/7/d"),
			       "ENOSPC");
	/* Copies are charged while the transaction lives, then released. */
	d = xs_domain_find(st, 7);
	CU_ASSERT(d && d->tx_memory > 0);
	CU_ASSERT_STRING_EQUAL(th_tx_end(st, g, tx, false), "OK");
	d = xs_domain_find(st, 7);
	CU_ASSERT(!d || d->tx_memory == 0);
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "read node changed: EAGAIN", test_read_then_changed },
	{ "written node changed: EAGAIN", test_written_then_changed },
	{ "repeatable read of a node", test_repeatable_read },
	{ "repeatable directory listing", test_repeatable_directory },
	{ "node deleted outside", test_deleted_outside },
	{ "node created outside after seen absent", test_created_outside },
	{ "own writes visible", test_own_writes },
	{ "permissions checked on the kept view", test_perms_checked },
	{ "siblings created in two transactions", test_disjoint_siblings },
	{ "many transactions per connection", test_many_transactions },
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

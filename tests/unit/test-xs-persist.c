/*
 * test-xs-persist.c: the store kept across a restart (persist.c).
 *
 * A store is opened in a private directory, changed through the real
 * request path, and dropped without a clean stop, as a killed daemon
 * would; a fresh store opened there must hold the same nodes, permissions,
 * quota usage, introduced domains and guests' watches.  Also: a torn
 * record at the journal's end, a journal older than the snapshot, the
 * compaction of a growing journal, and a clean stop, which ends the store.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

static char dir[64];

static struct xs_store *open_store(bool *restored_out)
{
	struct xs_store *st = th_store();
	bool restored;

	CU_ASSERT_FATAL(xs_persist_open(st, dir, &restored) == 0);
	if (restored_out)
		*restored_out = restored;
	return st;
}

/*
 * As a killed daemon after its last round: what was flushed stays and
 * nothing else is written (closing without discarding writes nothing more
 * once flushed; the files are as a SIGKILL would leave them).
 */
static void crash(struct xs_store *st)
{
	xs_persist_flush(st);
	xs_persist_close(st, false);
	th_store_free(st);
}

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xs-persist.XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT(system(cmd) == 0);
}

static off_t file_size(const char *name)
{
	char path[128];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) ? -1 : sb.st_size;
}

static void test_nodes_survive(void)
{
	struct xs_store *st;
	struct xs_conn *d0, *g;
	struct th_reply r;
	bool restored;
	unsigned int nodes, gnodes;

	make_dir();
	st = open_store(&restored);
	CU_ASSERT(!restored);
	d0 = th_conn(st, 0, true);
	th_write(st, d0, 0, "/local/domain/3/name", "guest");
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/local/domain/3", "n3", "r0", NULL);
	g = th_conn(st, 3, false);
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "data/x", "from-guest"), "OK");
	th_write(st, d0, 0, "/gone/soon", "1");
	th_req(st, d0, XS_RM, 0, &r, "/gone", NULL);
	th_req(st, d0, XS_SET_PERMS, 0, &r, "@releaseDomain", "n0", "r3", NULL);
	/* A transaction not committed leaves nothing. */
	th_write(st, d0, th_tx_start(st, d0), "/uncommitted", "u");
	nodes = st->nnodes;
	gnodes = xs_domain_find(st, 3)->nodes;
	crash(st);

	st = open_store(&restored);
	CU_ASSERT(restored);
	d0 = th_conn(st, 0, true);
	CU_ASSERT_EQUAL(st->nnodes, nodes);
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/local/domain/3/name"), "guest");
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/local/domain/3/data/x"),
			       "from-guest");
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/gone"), "ENOENT");
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/uncommitted"), "ENOENT");
	th_req(st, d0, XS_GET_PERMS, 0, &r, "/local/domain/3", NULL);
	CU_ASSERT_EQUAL(r.len, 6);
	CU_ASSERT(memcmp(r.data, "n3\0r0\0", 6) == 0);
	th_req(st, d0, XS_GET_PERMS, 0, &r, "@releaseDomain", NULL);
	CU_ASSERT(memcmp(r.data, "n0\0r3\0", 6) == 0);
	CU_ASSERT_EQUAL(xs_domain_find(st, 3)->nodes, gnodes);
	/* The guest's permissions hold as before. */
	g = th_conn(st, 3, false);
	CU_ASSERT_STRING_EQUAL(th_read(st, g, 0, "data/x"), "from-guest");
	CU_ASSERT_STRING_EQUAL(th_write(st, g, 0, "/local/domain/4", "x"),
			       "EACCES");
	/* A clean stop ends the store. */
	xs_persist_close(st, true);
	th_store_free(st);
	CU_ASSERT_EQUAL(file_size("store"), -1);
	CU_ASSERT_EQUAL(file_size("journal"), -1);
	st = open_store(&restored);
	CU_ASSERT(!restored);
	d0 = th_conn(st, 0, true);
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/local/domain/3/name"), "ENOENT");
	xs_persist_close(st, true);
	th_store_free(st);
	remove_dir();
}

static void append_file(const char *name, const void *buf, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

static void test_torn_tail(void)
{
	struct xs_store *st;
	struct xs_conn *d0;
	uint32_t half[3] = { 'N', 1000, 0 };

	make_dir();
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	th_write(st, d0, 0, "/a", "1");
	th_write(st, d0, 0, "/b", "2");
	crash(st);
	/* The daemon was killed in the middle of a write. */
	append_file("journal", half, sizeof(half));
	append_file("journal", "abc", 3);
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/a"), "1");
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/b"), "2");
	/* And the store goes on from there. */
	th_write(st, d0, 0, "/c", "3");
	crash(st);
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/c"), "3");
	xs_persist_close(st, true);
	th_store_free(st);
	remove_dir();
}

static void test_old_journal_ignored(void)
{
	char path[128], *old;
	struct xs_store *st;
	struct xs_conn *d0;
	off_t len;
	FILE *f;

	make_dir();
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	th_write(st, d0, 0, "/a", "old");
	xs_persist_flush(st);
	len = file_size("journal");
	snprintf(path, sizeof(path), "%s/journal", dir);
	old = malloc((size_t)len);
	f = fopen(path, "r");
	CU_ASSERT_FATAL(f && old);
	CU_ASSERT(fread(old, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	th_write(st, d0, 0, "/a", "new");
	CU_ASSERT_EQUAL(xs_persist_compact(st), 0);
	crash(st);
	/* Killed after the snapshot's rename, before the journal's reset. */
	f = fopen(path, "w");
	CU_ASSERT(fwrite(old, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	free(old);
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/a"), "new");
	xs_persist_close(st, true);
	th_store_free(st);
	remove_dir();
}

static void test_compaction(void)
{
	struct xs_store *st;
	struct xs_conn *d0;
	char val[32];
	unsigned int i;

	make_dir();
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	for (i = 0; i < 30000; i++) {
		snprintf(val, sizeof(val), "%u", i);
		th_write(st, d0, 0, "/counter", val);
	}
	xs_persist_flush(st);
	/* The journal was folded into the snapshot on the way. */
	CU_ASSERT(file_size("journal") < 1024 * 1024 + 4096);
	CU_ASSERT(file_size("store") > 0);
	crash(st);
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	CU_ASSERT_STRING_EQUAL(th_read(st, d0, 0, "/counter"), "29999");
	xs_persist_close(st, true);
	th_store_free(st);
	remove_dir();
}

static void test_domains_and_watches(void)
{
	char p[64], t[64];
	struct xs_store *st;
	struct xs_conn *d0, *g;
	struct xs_domain *d;
	struct th_reply r;

	make_dir();
	st = open_store(NULL);
	d0 = th_conn(st, 0, true);
	th_write(st, d0, 0, "/local/domain/5/x", "1");
	th_req(st, d0, XS_SET_PERMS, 0, &r, "/local/domain/5", "n5", NULL);
	d = xs_domain_get(st, 5);
	d->introduced = true;
	d->port = 7;
	xs_persist_domain(st, d);
	d = xs_domain_get(st, 6);
	d->introduced = true;
	xs_persist_domain(st, d);
	d->introduced = false;
	xs_persist_domain(st, d);	/* released again */
	g = th_conn(st, 5, false);
	th_req(st, g, XS_WATCH, 0, &r, "x", "kept", NULL);
	th_req(st, g, XS_WATCH, 0, &r, "/local/domain/5", "dropped", NULL);
	th_req(st, g, XS_UNWATCH, 0, &r, "/local/domain/5", "dropped", NULL);
	th_req(st, d0, XS_WATCH, 0, &r, "/", "dom0-not-kept", NULL);
	crash(st);

	st = open_store(NULL);
	d = xs_domain_find(st, 5);
	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT(d->introduced);
	CU_ASSERT_EQUAL(d->port, 7);
	CU_ASSERT_PTR_NULL(d->conn);
	d = xs_domain_find(st, 6);
	CU_ASSERT(!d || !d->introduced);
	/* Its connection back: its watch too, fired once. */
	g = th_conn(st, 5, false);
	CU_ASSERT_EQUAL(xs_persist_restore_watches(st, g), 0);
	CU_ASSERT_EQUAL(th_nevents(g), 1);
	CU_ASSERT_EQUAL(th_event(g, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "x");
	CU_ASSERT_STRING_EQUAL(t, "kept");
	d0 = th_conn(st, 0, true);
	th_write(st, d0, 0, "/local/domain/5/x", "2");
	CU_ASSERT_EQUAL(th_event(g, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "x");
	CU_ASSERT_EQUAL(th_nevents(d0), 0);
	CU_ASSERT_EQUAL(xs_domain_find(st, 5)->watches, 1);
	xs_persist_close(st, true);
	th_store_free(st);
	remove_dir();
}

static CU_TestInfo tests[] = {
	{ "nodes, perms and quotas survive a crash", test_nodes_survive },
	{ "a torn record at the journal's end", test_torn_tail },
	{ "a journal older than the snapshot", test_old_journal_ignored },
	{ "the journal is compacted as it grows", test_compaction },
	{ "introduced domains and guests' watches", test_domains_and_watches },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs persistence", tests);
}

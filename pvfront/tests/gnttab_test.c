/*
 * gnttab_test.c: xen/gnttab.c over plain memory. The table is frames of
 * test_guest_mem; a "peer" (the hypervisor pinning a grant for a mapper)
 * writes flags through test_cmpxchg_peer at the worst moment: after the
 * client read flags and before its exchange.
 */
#include <string.h>

#include "xenfront.h"

#include "host.h"

#define NR_FRAMES	2
#define NR_ENTRIES	(NR_FRAMES * 512)

static grant_entry_v1_t *table(void)
{
	return (grant_entry_v1_t *)(test_guest_mem +
				    TEST_GNTTAB_FIRST_PFN * 4096);
}

static void setup(void)
{
	memset(test_guest_mem, 0, TEST_GUEST_PAGES * 4096);
	test_setup_status = GNTST_okay;
	test_setup_scatter = false;
	test_cmpxchg_peer = NULL;
	test_cmpxchg_calls = 0;
	test_gnttab_calls = 0;
	CU_ASSERT_EQUAL_FATAL(gnttab_init(NR_FRAMES, NULL), 0);
}

static void test_init(void)
{
	int16_t st = 99;

	setup();
	CU_ASSERT(gnttab_is_ready());
	CU_ASSERT_EQUAL(gnttab_nr_frames(), NR_FRAMES);
	CU_ASSERT_EQUAL(gnttab_nr_entries(), NR_ENTRIES);
	CU_ASSERT_EQUAL(gnttab_nr_free(), NR_ENTRIES - GNTTAB_NR_RESERVED_ENTRIES);
	CU_ASSERT_EQUAL(gnttab_init(0, &st), -XEN_EINVAL);
	CU_ASSERT_EQUAL(gnttab_init(GNTTAB_CLIENT_MAX_FRAMES + 1, &st),
			-XEN_EINVAL);
	test_setup_status = GNTST_general_error;
	CU_ASSERT_EQUAL(gnttab_init(1, &st), -XEN_EIO);
	CU_ASSERT_EQUAL(st, GNTST_general_error);
	test_setup_status = GNTST_okay;
	test_setup_scatter = true;	/* frames 8, 10: not one array */
	CU_ASSERT_EQUAL(gnttab_init(2, &st), -XEN_EFAULT);
}

/* grant_table.h: domid, frame, then flags; reserved refs never used. */
static void test_grant_writes_entry(void)
{
	int ref;

	setup();
	ref = gnttab_grant_access(3, 0x1234, false);
	CU_ASSERT(ref >= GNTTAB_NR_RESERVED_ENTRIES);
	CU_ASSERT_EQUAL(table()[ref].domid, 3);
	CU_ASSERT_EQUAL(table()[ref].frame, 0x1234);
	CU_ASSERT_EQUAL(table()[ref].flags, GTF_permit_access);
	CU_ASSERT_EQUAL(gnttab_entry_flags((grant_ref_t)ref), GTF_permit_access);
	ref = gnttab_grant_access(4, 0x99, true);
	CU_ASSERT_EQUAL(table()[ref].flags, GTF_permit_access | GTF_readonly);
	CU_ASSERT_EQUAL(gnttab_grant_access(4, 1ULL << 32, false), -XEN_EINVAL);
	for (unsigned int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++)
		CU_ASSERT_EQUAL(table()[i].flags, 0);
}

static void test_exhaustion(void)
{
	static bool used[NR_ENTRIES];
	unsigned int n = 0;
	int ref;

	setup();
	memset(used, 0, sizeof(used));
	while ((ref = gnttab_grant_access(0, 100, false)) >= 0) {
		CU_ASSERT_FATAL(ref >= GNTTAB_NR_RESERVED_ENTRIES &&
				ref < NR_ENTRIES);
		CU_ASSERT_FALSE(used[ref]);
		used[ref] = true;
		n++;
		CU_ASSERT_FATAL(n <= NR_ENTRIES);
	}
	CU_ASSERT_EQUAL(ref, -XEN_ENOSPC);
	CU_ASSERT_EQUAL(n, NR_ENTRIES - GNTTAB_NR_RESERVED_ENTRIES);
	CU_ASSERT(gnttab_end_access(500));
	CU_ASSERT_EQUAL(gnttab_grant_access(0, 100, false), 500);
}

static void test_end_access(void)
{
	unsigned int free_before;
	int ref;

	setup();
	free_before = gnttab_nr_free();
	ref = gnttab_grant_access(1, 7, false);
	CU_ASSERT(gnttab_end_access((grant_ref_t)ref));
	CU_ASSERT_EQUAL(table()[ref].flags, 0);
	CU_ASSERT_EQUAL(gnttab_nr_free(), free_before);
	CU_ASSERT_FALSE(gnttab_end_access((grant_ref_t)ref));	/* twice */
	CU_ASSERT_EQUAL(gnttab_nr_free(), free_before);
	CU_ASSERT_FALSE(gnttab_end_access(0));		/* console: builder's */
	CU_ASSERT_FALSE(gnttab_end_access(NR_ENTRIES));
	CU_ASSERT_FALSE(gnttab_end_access(UINT32_MAX));
}

/* An entry the peer has mapped cannot be revoked. */
static void test_end_access_refused_while_mapped(void)
{
	static const uint16_t in_use[] = {
		GTF_reading, GTF_writing, GTF_reading | GTF_writing,
	};

	for (unsigned int i = 0; i < 3; i++) {
		int ref;

		setup();
		ref = gnttab_grant_access(1, 7, false);
		table()[ref].flags |= in_use[i];
		CU_ASSERT_FALSE(gnttab_end_access((grant_ref_t)ref));
		CU_ASSERT_EQUAL(table()[ref].flags, GTF_permit_access | in_use[i]);
		CU_ASSERT_EQUAL(test_cmpxchg_calls, 0);
		/* The peer unmaps: now it goes. */
		table()[ref].flags &= (uint16_t)~in_use[i];
		CU_ASSERT(gnttab_end_access((grant_ref_t)ref));
	}
}

static void peer_maps(volatile uint16_t *flags)
{
	*flags |= GTF_reading;
	test_cmpxchg_peer = NULL;	/* once */
}

/* The race the cmpxchg exists for: a map between our read and our write. */
static void test_end_access_race(void)
{
	unsigned int free_before;
	int ref;

	setup();
	ref = gnttab_grant_access(1, 7, false);
	free_before = gnttab_nr_free();
	test_cmpxchg_peer = peer_maps;
	CU_ASSERT_FALSE(gnttab_end_access((grant_ref_t)ref));
	CU_ASSERT_EQUAL(test_cmpxchg_calls, 1);
	CU_ASSERT_EQUAL(table()[ref].flags, GTF_permit_access | GTF_reading);
	CU_ASSERT_EQUAL(gnttab_nr_free(), free_before);	/* not freed */
}

static void peer_flips(volatile uint16_t *flags)
{
	*flags ^= GTF_PWT;	/* changes, but never maps */
}

/* A peer that keeps rewriting flags makes us give up, not spin. */
static void test_unstable_entry_bounded(void)
{
	int ref;

	setup();
	ref = gnttab_grant_access(1, 7, false);
	test_cmpxchg_peer = peer_flips;
	CU_ASSERT_FALSE(gnttab_end_access((grant_ref_t)ref));
	CU_ASSERT(test_cmpxchg_calls >= 2);
	CU_ASSERT(test_cmpxchg_calls <= 16);
	test_cmpxchg_calls = 0;
	CU_ASSERT_FALSE(gnttab_make_readonly((grant_ref_t)ref));
	CU_ASSERT(test_cmpxchg_calls <= 16);
	test_cmpxchg_peer = NULL;
	CU_ASSERT(gnttab_end_access((grant_ref_t)ref));
}

static void peer_maps_writable(volatile uint16_t *flags)
{
	*flags |= GTF_reading | GTF_writing;
	test_cmpxchg_peer = NULL;
}

static void test_make_readonly(void)
{
	int ref;

	setup();
	ref = gnttab_grant_access(1, 7, false);
	CU_ASSERT(gnttab_make_readonly((grant_ref_t)ref));
	CU_ASSERT_EQUAL(table()[ref].flags, GTF_permit_access | GTF_readonly);
	CU_ASSERT_EQUAL(table()[ref].domid, 1);
	CU_ASSERT_EQUAL(table()[ref].frame, 7);
	/* Mapped read-only by the peer: the downgrade is still fine. */
	ref = gnttab_grant_access(1, 8, false);
	table()[ref].flags |= GTF_reading;
	CU_ASSERT(gnttab_make_readonly((grant_ref_t)ref));
	CU_ASSERT_EQUAL(table()[ref].flags,
			GTF_permit_access | GTF_readonly | GTF_reading);
	/* Mapped writable: refused. */
	ref = gnttab_grant_access(1, 9, false);
	table()[ref].flags |= GTF_reading | GTF_writing;
	CU_ASSERT_FALSE(gnttab_make_readonly((grant_ref_t)ref));
	CU_ASSERT_FALSE(table()[ref].flags & GTF_readonly);
	/* Mapped writable between our read and our exchange: refused. */
	ref = gnttab_grant_access(1, 10, false);
	test_cmpxchg_peer = peer_maps_writable;
	CU_ASSERT_FALSE(gnttab_make_readonly((grant_ref_t)ref));
	CU_ASSERT_FALSE(table()[ref].flags & GTF_readonly);
	/* Not a grant at all. */
	CU_ASSERT_FALSE(gnttab_make_readonly(1));
	CU_ASSERT_FALSE(gnttab_make_readonly(NR_ENTRIES));
}

static void test_ops_and_names(void)
{
	uint32_t nr = 11, max = 12;
	int16_t st = 5;

	setup();
	CU_ASSERT_EQUAL(gnttab_query_size(&nr, &max, &st), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(nr, 11);
	CU_ASSERT_EQUAL(max, 12);
	CU_ASSERT_STRING_EQUAL(gnttab_status_name(GNTST_okay), "GNTST_okay");
	CU_ASSERT_STRING_EQUAL(gnttab_status_name(GNTST_bad_copy_arg),
			       "GNTST_bad_copy_arg");
	CU_ASSERT_STRING_EQUAL(gnttab_status_name(GNTST_no_space),
			       "GNTST_no_space");
	CU_ASSERT_STRING_EQUAL(gnttab_status_name(-14), "GNTST_?");
	CU_ASSERT_STRING_EQUAL(gnttab_status_name(1), "GNTST_?");
	CU_ASSERT_STRING_EQUAL(gnttab_status_name(INT16_MIN), "GNTST_?");
}

void add_gnttab_suite(void)
{
	CU_pSuite s = CU_add_suite("gnttab", NULL, NULL);

	CU_add_test(s, "setup_table and its failures", test_init);
	CU_add_test(s, "grant writes domid, frame, flags",
		    test_grant_writes_entry);
	CU_add_test(s, "free list: bounded, no reserved refs", test_exhaustion);
	CU_add_test(s, "end_access revokes once", test_end_access);
	CU_add_test(s, "end_access refused while mapped",
		    test_end_access_refused_while_mapped);
	CU_add_test(s, "end_access loses the race to a map",
		    test_end_access_race);
	CU_add_test(s, "unstable entry: bounded retries",
		    test_unstable_entry_bounded);
	CU_add_test(s, "make_readonly", test_make_readonly);
	CU_add_test(s, "ops and status names", test_ops_and_names);
}

/*
 * gnttab.c: grant tables, the granting side (grant_table.h, v1 entries).
 *
 * The table is frames the hypervisor names in GNTTABOP_setup_table; in
 * Splitvisor they are pfns of our own memory, so the table is ordinary
 * memory that the hypervisor writes too (GTF_reading/GTF_writing while a
 * grantee has an entry mapped). grant_table.h's rules for the guest:
 *
 *  - create: write domid, then frame, then a write barrier, then flags,
 *    so the hypervisor never sees GTF_permit_access with a stale frame;
 *  - revoke: only while !(flags & (GTF_reading|GTF_writing)), and with a
 *    cmpxchg of flags to 0, so a map racing the revoke either finds the
 *    entry gone or makes the cmpxchg fail;
 *  - downgrade to read-only: cmpxchg GTF_readonly in while !GTF_writing.
 *
 * A peer can keep changing flags, so every cmpxchg loop is bounded and a
 * loop that runs out refuses, as Xen's own bounded loop does.
 *
 * Free refs are a stack of ref numbers with a bitmap that catches a double
 * free; refs below GNTTAB_NR_RESERVED_ENTRIES are never on it.
 */
#include "xenfront.h"

#define CMPXCHG_RETRIES		8
#define IN_USE_FLAGS		(GTF_reading | GTF_writing)

static grant_entry_v1_t *table;
static unsigned int nr_frames;
static unsigned int nr_entries;
static grant_ref_t free_refs[GNTTAB_CLIENT_MAX_ENTRIES];
static unsigned int nr_free;
static uint64_t is_free[GNTTAB_CLIENT_MAX_ENTRIES / 64];

static const char *const status_names[] = {
	"GNTST_okay", "GNTST_general_error", "GNTST_bad_domain",
	"GNTST_bad_gntref", "GNTST_bad_handle", "GNTST_bad_virt_addr",
	"GNTST_bad_dev_addr", "GNTST_no_device_space",
	"GNTST_permission_denied", "GNTST_bad_page", "GNTST_bad_copy_arg",
	"GNTST_address_too_big", "GNTST_eagain", "GNTST_no_space",
};

const char *gnttab_status_name(int16_t status)
{
	int i = -status;

	if (i < 0 || (unsigned int)i >= sizeof(status_names) / sizeof(status_names[0]))
		return "GNTST_?";
	return status_names[i];
}

static bool ref_is_free(grant_ref_t ref)
{
	return is_free[ref / 64] & (1ULL << (ref % 64));
}

static void set_free(grant_ref_t ref, bool free)
{
	if (free)
		is_free[ref / 64] |= 1ULL << (ref % 64);
	else
		is_free[ref / 64] &= ~(1ULL << (ref % 64));
}

static void free_ref(grant_ref_t ref)
{
	if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nr_entries ||
	    ref_is_free(ref))
		return;
	set_free(ref, true);
	free_refs[nr_free++] = ref;
}

static int alloc_ref(grant_ref_t *ref_out)
{
	grant_ref_t ref;

	if (nr_free == 0)
		return -XEN_ENOSPC;
	ref = free_refs[--nr_free];
	set_free(ref, false);
	*ref_out = ref;
	return 0;
}

int gnttab_op(unsigned int cmd, void *args, unsigned int count)
{
	return (int)xenport_grant_table_op(cmd, args, count);
}

int gnttab_query_size(uint32_t *nr_frames_out, uint32_t *max_frames_out,
		      int16_t *gntst_out)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	int rc = gnttab_op(GNTTABOP_query_size, &q, 1);

	if (gntst_out)
		*gntst_out = rc == 0 ? q.status : GNTST_okay;
	if (rc < 0)
		return rc;
	if (q.status != GNTST_okay)
		return -XEN_EIO;
	*nr_frames_out = q.nr_frames;
	*max_frames_out = q.max_nr_frames;
	return 0;
}

/* The frames must be one run of pfns for the table to be one array. */
static bool frames_are_contiguous(const xen_pfn_t *frames, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		if (frames[i] != frames[0] + i)
			return false;
	}
	return true;
}

int gnttab_init(unsigned int want_frames, int16_t *gntst_out)
{
	xen_pfn_t frames[GNTTAB_CLIENT_MAX_FRAMES] = { 0 };
	struct gnttab_setup_table setup = {
		.dom = DOMID_SELF,
		.nr_frames = want_frames,
	};
	int rc;

	if (gntst_out)
		*gntst_out = GNTST_okay;
	if (want_frames == 0 || want_frames > GNTTAB_CLIENT_MAX_FRAMES)
		return -XEN_EINVAL;
	/* pvh_trap.h: a guest handle carries a guest-physical address. */
	set_xen_guest_handle(setup.frame_list,
			     (xen_pfn_t *)(uintptr_t)xenport_virt_to_phys(frames));
	rc = gnttab_op(GNTTABOP_setup_table, &setup, 1);
	if (rc < 0)
		return rc;
	if (gntst_out)
		*gntst_out = setup.status;
	if (setup.status != GNTST_okay)
		return -XEN_EIO;
	if (frames[0] == 0 || !frames_are_contiguous(frames, want_frames))
		return -XEN_EFAULT;
	table = xenport_phys_to_virt((uint64_t)frames[0] * 4096);
	nr_frames = want_frames;
	nr_entries = want_frames * GNTTAB_ENTRIES_PER_FRAME;
	nr_free = 0;
	for (unsigned int i = 0; i < sizeof(is_free) / sizeof(is_free[0]); i++)
		is_free[i] = 0;
	/* Highest first, so the lowest refs come off the stack first. */
	for (grant_ref_t ref = nr_entries; ref-- > GNTTAB_NR_RESERVED_ENTRIES;)
		free_ref(ref);
	return 0;
}

bool gnttab_is_ready(void)
{
	return table != NULL;
}

unsigned int gnttab_nr_frames(void)
{
	return nr_frames;
}

unsigned int gnttab_nr_entries(void)
{
	return nr_entries;
}

unsigned int gnttab_nr_free(void)
{
	return nr_free;
}

uint16_t gnttab_entry_flags(grant_ref_t ref)
{
	if (!table || ref >= nr_entries)
		return 0;
	return __atomic_load_n(&table[ref].flags, __ATOMIC_SEQ_CST);
}

int gnttab_grant_access(domid_t domid, xen_pfn_t pfn, bool readonly)
{
	grant_entry_v1_t *e;
	grant_ref_t ref;
	int rc;

	if (!table)
		return -XEN_ENODEV;
	if (pfn > UINT32_MAX)
		return -XEN_EINVAL;	/* v1 frames are 32 bits */
	rc = alloc_ref(&ref);
	if (rc < 0)
		return rc;
	e = &table[ref];
	e->domid = domid;
	e->frame = (uint32_t)pfn;
	/* Pairs with the hypervisor reading flags before domid and frame. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->flags,
			 (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
			 __ATOMIC_SEQ_CST);
	return (int)ref;
}

static bool ref_is_granted(grant_ref_t ref)
{
	return table && ref >= GNTTAB_NR_RESERVED_ENTRIES && ref < nr_entries &&
	       !ref_is_free(ref);
}

bool gnttab_end_access(grant_ref_t ref)
{
	uint16_t flags;

	if (!ref_is_granted(ref))
		return false;
	flags = __atomic_load_n(&table[ref].flags, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < CMPXCHG_RETRIES; i++) {
		if (flags & IN_USE_FLAGS)
			return false;
		/* A failed exchange reloads flags: the peer may have mapped. */
		if (xenport_cmpxchg16(&table[ref].flags, &flags, 0)) {
			free_ref(ref);
			return true;
		}
	}
	return false;
}

bool gnttab_make_readonly(grant_ref_t ref)
{
	uint16_t flags;

	if (!ref_is_granted(ref))
		return false;
	flags = __atomic_load_n(&table[ref].flags, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < CMPXCHG_RETRIES; i++) {
		if (flags & GTF_writing)
			return false;
		if ((flags & GTF_type_mask) != GTF_permit_access)
			return false;
		if (xenport_cmpxchg16(&table[ref].flags, &flags,
				      (uint16_t)(flags | GTF_readonly)))
			return true;
	}
	return false;
}

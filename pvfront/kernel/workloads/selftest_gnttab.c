/*
 * selftest_gnttab.c: init=selftest's grant table tests (grant_table.h and
 * Xen's map/copy validation, reference §1.2-1.4). We grant our own pages
 * to ourselves and map or copy them: in Splitvisor a guest's map is
 * validation and pinning only (GTF_reading/GTF_writing in our entry until
 * the unmap), which is exactly what these tests look at.
 */
#include <stdbool.h>
#include <stdint.h>

#include <public/pvh_layout.h>
#include <pvos/errno.h>
#include <pvos/hypercall.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/xen.h>

#include "selftest-priv.h"

#define EXPECTED_MAX_FRAMES	64	/* grant_table.c: gnttab_max_frames */
#define NEVER_MAPPED_HANDLE	0x7fffu
#define OVER_MAX_LIST		128
#define HCALL_FAILED		INT16_MIN	/* not a GNTST_* code */

/* The last op's hypercall result, for what() when it was not 0. */
static int hcall_rc;

static xen_pfn_t page_pfn(const void *p)
{
	return virt_to_phys(p) >> PVH_PAGE_SHIFT;
}

static int16_t map_ref(domid_t dom, grant_ref_t ref, bool readonly,
		       grant_handle_t *handle_out)
{
	struct gnttab_map_grant_ref m = {
		.flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0),
		.ref = ref,
		.dom = dom,
		.status = 1,	/* not GNTST_okay until pvhv says so */
	};
	hcall_rc = gnttab_op(GNTTABOP_map_grant_ref, &m, 1);
	if (hcall_rc < 0)
		return HCALL_FAILED;
	*handle_out = m.handle;
	return m.status;
}

static int16_t unmap_handle(grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref u = { .handle = handle, .status = 1 };
	hcall_rc = gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1);
	return hcall_rc < 0 ? HCALL_FAILED : u.status;
}

/* A hypercall error is an errno; a per-op status is a GNTST code. */
static const char *what(int16_t status)
{
	return status == HCALL_FAILED ? st_err(hcall_rc) :
	       gnttab_status_name(status);
}

static enum st_result need_table(struct st_ctx *c, bool need_self)
{
	if (!gnttab_is_ready())
		return st_fail(c, "no grant table: GNTTABOP_setup_table failed "
			       "at boot (see the boot log)");
	if (need_self && !c->has_self)
		return st_skip(c, "%s", c->no_self);
	return ST_PASS;
}

static enum st_result t_setup_query(struct st_ctx *c)
{
	uint32_t nr, max;
	int16_t gntst;
	int rc;

	if (need_table(c, false) != ST_PASS)
		return ST_FAIL;
	rc = gnttab_query_size(&nr, &max, &gntst);
	if (rc < 0)
		return st_fail(c, "GNTTABOP_query_size: %s %s", st_err(rc),
			       gnttab_status_name(gntst));
	if (nr != gnttab_nr_frames() || max != EXPECTED_MAX_FRAMES)
		return st_fail(c, "query_size says %u frames of max %u, "
			       "expected %u of max %u", nr, max,
			       gnttab_nr_frames(), EXPECTED_MAX_FRAMES);
	return ST_PASS;
}

static enum st_result t_setup_over_max(struct st_ctx *c)
{
	static xen_pfn_t frames[OVER_MAX_LIST];
	struct gnttab_setup_table s = { .dom = DOMID_SELF, .status = 1 };
	uint32_t nr = 0, max = EXPECTED_MAX_FRAMES;
	int rc;

	if (need_table(c, false) != ST_PASS)
		return ST_FAIL;
	gnttab_query_size(&nr, &max, NULL);
	if (max + 1 > OVER_MAX_LIST)
		return st_fail(c, "max_nr_frames %u is past the test's list", max);
	s.nr_frames = max + 1;
	set_xen_guest_handle(s.frame_list,
			     (xen_pfn_t *)(uintptr_t)virt_to_phys(frames));
	rc = gnttab_op(GNTTABOP_setup_table, &s, 1);
	if (rc < 0)
		return st_fail(c, "GNTTABOP_setup_table(%u): %s", max + 1,
			       st_err(rc));
	if (s.status != GNTST_general_error)
		return st_fail(c, "setup_table of %u frames (max %u): %s, "
			       "expected GNTST_general_error", max + 1, max,
			       gnttab_status_name(s.status));
	if (gnttab_query_size(&nr, &max, NULL) < 0 || nr != gnttab_nr_frames())
		return st_fail(c, "the failed setup_table changed the table to "
			       "%u frames", nr);
	return ST_PASS;
}

static enum st_result t_grant_end(struct st_ctx *c)
{
	void *page = mm_alloc_pages(1);
	unsigned int free_before = gnttab_nr_free();
	enum st_result r = ST_FAIL;
	int ref;

	if (need_table(c, false) != ST_PASS) {
		mm_free_pages(page, 1);
		return ST_FAIL;
	}
	if (!page)
		return st_fail(c, "out of pages");
	ref = gnttab_grant_access(0, page_pfn(page), false);
	if (ref < 0)
		st_fail(c, "grant_access: %s", st_err(ref));
	else if (ref < GNTTAB_NR_RESERVED_ENTRIES)
		st_fail(c, "grant_access handed out reserved ref %d", ref);
	else if (gnttab_entry_flags((grant_ref_t)ref) != GTF_permit_access)
		st_fail(c, "ref %d has flags %#x, expected GTF_permit_access",
			ref, gnttab_entry_flags((grant_ref_t)ref));
	else if (!gnttab_end_access((grant_ref_t)ref))
		st_fail(c, "end_access of unused ref %d was refused", ref);
	else if (gnttab_entry_flags((grant_ref_t)ref) != 0 ||
		 gnttab_nr_free() != free_before)
		st_fail(c, "after end_access: flags %#x, %u free refs (was %u)",
			gnttab_entry_flags((grant_ref_t)ref), gnttab_nr_free(),
			free_before);
	else
		r = ST_PASS;
	mm_free_pages(page, 1);
	return r;
}

/*
 * Grant a fresh page to domid (readonly or not); on success the caller
 * owns *page_out and the ref. Fails the test (with the reason) otherwise.
 */
static int grant_page(struct st_ctx *c, domid_t domid, bool readonly,
		      void **page_out)
{
	void *page = mm_alloc_pages(1);
	int ref;

	if (!page) {
		st_fail(c, "out of pages");
		return -ENOMEM;
	}
	ref = gnttab_grant_access(domid, page_pfn(page), readonly);
	if (ref < 0) {
		mm_free_pages(page, 1);
		st_fail(c, "grant_access: %s", st_err(ref));
		return ref;
	}
	*page_out = page;
	return ref;
}

/* The table, and one of our pages granted to ourselves: most tests start so. */
static enum st_result with_grant(struct st_ctx *c, bool readonly, int *ref_out, void **page_out)
{
	enum st_result r = need_table(c, true);

	if (r != ST_PASS)
		return r;
	*ref_out = grant_page(c, c->self, readonly, page_out);
	return *ref_out < 0 ? ST_FAIL : ST_PASS;
}


/* Revoke and free; a refusal here is reported if nothing else failed. */
static enum st_result release(struct st_ctx *c, enum st_result r, int ref,
			      void *page)
{
	if (!gnttab_end_access((grant_ref_t)ref)) {
		if (r == ST_PASS)
			r = st_fail(c, "end_access of ref %d refused at the "
				    "end (flags %#x)", ref,
				    gnttab_entry_flags((grant_ref_t)ref));
		return r;	/* the page stays granted: leak it */
	}
	mm_free_pages(page, 1);
	return r;
}

/* A map that should fail; if it worked, undo it. */
static enum st_result expect_map_fails(struct st_ctx *c, domid_t dom,
				       grant_ref_t ref, bool readonly,
				       int16_t want, const char *why)
{
	grant_handle_t h = 0;
	int16_t s = map_ref(dom, ref, readonly, &h);

	if (s == want)
		return ST_PASS;
	if (s == GNTST_okay)
		unmap_handle(h);
	return st_fail(c, "%s: %s, expected %s", why, what(s),
		       gnttab_status_name(want));
}

static enum st_result t_map_wrong_domid(struct st_ctx *c)
{
	enum st_result r = need_table(c, true);
	void *page;
	int ref;

	if (r != ST_PASS)
		return r;
	ref = grant_page(c, 0, false, &page);
	if (ref < 0)
		return ST_FAIL;
	r = expect_map_fails(c, c->self, (grant_ref_t)ref, false,
			     GNTST_general_error,
			     "map of our grant to dom0 by us");
	return release(c, r, ref, page);
}

static enum st_result t_map_rw_of_ro(struct st_ctx *c)
{
	void *page;
	int ref;
	enum st_result r = with_grant(c, true, &ref, &page);

	if (r != ST_PASS)
		return r;
	r = expect_map_fails(c, c->self, (grant_ref_t)ref, false,
			     GNTST_general_error,
			     "writable map of a read-only grant");
	if (r == ST_PASS && (gnttab_entry_flags((grant_ref_t)ref) &
			     (GTF_reading | GTF_writing)))
		r = st_fail(c, "the refused map left flags %#x",
			    gnttab_entry_flags((grant_ref_t)ref));
	return release(c, r, ref, page);
}

static enum st_result check_mapped(struct st_ctx *c, int ref,
				   grant_handle_t h)
{
	uint16_t flags = gnttab_entry_flags((grant_ref_t)ref);
	int16_t s;

	if ((flags & (GTF_reading | GTF_writing)) != (GTF_reading | GTF_writing))
		return st_fail(c, "writable map left flags %#x, expected "
			       "GTF_reading|GTF_writing", flags);
	if (gnttab_end_access((grant_ref_t)ref))
		return st_fail(c, "end_access of mapped ref %d succeeded", ref);
	if (gnttab_make_readonly((grant_ref_t)ref))
		return st_fail(c, "make_readonly of writably mapped ref %d "
			       "succeeded", ref);
	s = unmap_handle(h);
	if (s != GNTST_okay)
		return st_fail(c, "unmap: %s", what(s));
	flags = gnttab_entry_flags((grant_ref_t)ref);
	if (flags & (GTF_reading | GTF_writing))
		return st_fail(c, "unmap left flags %#x", flags);
	return ST_PASS;
}

static enum st_result t_end_while_mapped(struct st_ctx *c)
{
	enum st_result r = need_table(c, true);
	grant_handle_t h = 0;
	void *page;
	int16_t s;
	int ref;

	if (r != ST_PASS)
		return r;
	ref = grant_page(c, c->self, false, &page);
	if (ref < 0)
		return ST_FAIL;
	s = map_ref(c->self, (grant_ref_t)ref, false, &h);
	if (s != GNTST_okay)
		r = st_fail(c, "writable map of our own grant: %s",
			    what(s));
	else
		r = check_mapped(c, ref, h);
	return release(c, r, ref, page);
}

static enum st_result t_readonly_downgrade(struct st_ctx *c)
{
	void *page;
	int ref;
	enum st_result r = with_grant(c, false, &ref, &page);

	if (r != ST_PASS)
		return r;
	if (!gnttab_make_readonly((grant_ref_t)ref))
		r = st_fail(c, "make_readonly of an unmapped grant refused");
	else if (!(gnttab_entry_flags((grant_ref_t)ref) & GTF_readonly))
		r = st_fail(c, "make_readonly left flags %#x",
			    gnttab_entry_flags((grant_ref_t)ref));
	else
		r = expect_map_fails(c, c->self, (grant_ref_t)ref, false,
				     GNTST_general_error,
				     "writable map after make_readonly");
	return release(c, r, ref, page);
}

static enum st_result t_map_bad_ref(struct st_ctx *c)
{
	enum st_result r = need_table(c, true);
	uint32_t nr = 0, max = 0;

	if (r != ST_PASS)
		return r;
	if (gnttab_query_size(&nr, &max, NULL) < 0)
		return st_fail(c, "GNTTABOP_query_size failed");
	return expect_map_fails(c, c->self,
				nr * (uint32_t)GNTTAB_ENTRIES_PER_FRAME, true,
				GNTST_bad_gntref, "map of the ref past the table");
}

static enum st_result t_unmap_bad_handle(struct st_ctx *c)
{
	int16_t s;

	if (need_table(c, false) != ST_PASS)
		return ST_FAIL;
	s = unmap_handle(NEVER_MAPPED_HANDLE);
	if (s != GNTST_bad_handle)
		return st_fail(c, "unmap of never-mapped handle %#x: %s, "
			       "expected GNTST_bad_handle", NEVER_MAPPED_HANDLE,
			       what(s));
	return ST_PASS;
}

static int16_t copy_one(struct gnttab_copy *op)
{
	op->status = 1;
	hcall_rc = gnttab_op(GNTTABOP_copy, op, 1);
	return hcall_rc < 0 ? HCALL_FAILED : op->status;
}

static bool bytes_are(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != v)
			return false;
	}
	return true;
}

/* Copy 1000 bytes from our read-only grant (offset 100) to a pfn (200). */
static enum st_result copy_check(struct st_ctx *c, int ref, uint8_t *src)
{
	uint8_t *dst = mm_alloc_pages(1);
	struct gnttab_copy op = {
		.source = { .u.ref = (grant_ref_t)ref, .domid = c->self,
			    .offset = 100 },
		.dest = { .domid = DOMID_SELF, .offset = 200 },
		.len = 1000,
		.flags = GNTCOPY_source_gref,
	};
	enum st_result r = ST_PASS;
	int16_t s;

	if (!dst)
		return st_fail(c, "out of pages");
	op.dest.u.gmfn = page_pfn(dst);
	for (unsigned int i = 0; i < PVH_PAGE_SIZE; i++)
		src[i] = (uint8_t)(i * 7 + 1);
	s = copy_one(&op);
	if (s != GNTST_okay)
		r = st_fail(c, "copy: %s", what(s));
	else if (memcmp(dst + 200, src + 100, 1000) != 0 ||
		 !bytes_are(dst, 200, 0) ||
		 !bytes_are(dst + 1200, PVH_PAGE_SIZE - 1200, 0))
		r = st_fail(c, "copy reported okay but the bytes differ");
	else if (gnttab_entry_flags((grant_ref_t)ref) &
		 (GTF_reading | GTF_writing))
		r = st_fail(c, "copy left flags %#x on the source grant",
			    gnttab_entry_flags((grant_ref_t)ref));
	mm_free_pages(dst, 1);
	return r;
}

static enum st_result t_copy_from_ro(struct st_ctx *c)
{
	void *page;
	int ref;
	enum st_result r = with_grant(c, true, &ref, &page);

	if (r != ST_PASS)
		return r;
	r = copy_check(c, ref, page);
	return release(c, r, ref, page);
}

static enum st_result t_copy_bad_len(struct st_ctx *c)
{
	uint8_t *a = mm_alloc_pages(1), *b = mm_alloc_pages(1);
	struct gnttab_copy op = {
		.source = { .domid = DOMID_SELF, .offset = 4000 },
		.dest = { .domid = DOMID_SELF, .offset = 0 },
		.len = 200,
	};
	enum st_result r = ST_PASS;
	int16_t s;

	if (!a || !b) {
		r = st_fail(c, "out of pages");
		goto out;
	}
	op.source.u.gmfn = page_pfn(a);
	op.dest.u.gmfn = page_pfn(b);
	memset(a, 0x5a, PVH_PAGE_SIZE);
	s = copy_one(&op);
	if (s != GNTST_bad_copy_arg)
		r = st_fail(c, "copy of 200 bytes at source offset 4000: %s, "
			    "expected GNTST_bad_copy_arg",
			    what(s));
	else if (!bytes_are(b, PVH_PAGE_SIZE, 0))
		r = st_fail(c, "the refused copy wrote the destination");
out:
	mm_free_pages(a, 1);
	mm_free_pages(b, 1);
	return r;
}

/*
 * Xen refuses with GNTST_general_error (the write-pin of a r/o entry);
 * any refusal that leaves the page alone passes here.
 */
static enum st_result t_copy_to_ro(struct st_ctx *c)
{
	enum st_result r = need_table(c, true);
	struct gnttab_copy op = { .len = 64, .flags = GNTCOPY_dest_gref };
	uint8_t *src;
	void *page;
	int16_t s;
	int ref;

	if (r != ST_PASS)
		return r;
	src = mm_alloc_pages(1);
	if (!src)
		return st_fail(c, "out of pages");
	ref = grant_page(c, c->self, true, &page);
	if (ref < 0) {
		mm_free_pages(src, 1);
		return ST_FAIL;
	}
	memset(src, 0xa5, PVH_PAGE_SIZE);
	op.source.u.gmfn = page_pfn(src);
	op.source.domid = DOMID_SELF;
	op.dest.u.ref = (grant_ref_t)ref;
	op.dest.domid = c->self;
	s = copy_one(&op);
	if (s == GNTST_okay)
		r = st_fail(c, "copy into read-only grant %d succeeded", ref);
	else if (s == HCALL_FAILED)
		r = st_fail(c, "copy into read-only grant: %s", what(s));
	else if (!bytes_are(page, PVH_PAGE_SIZE, 0))
		r = st_fail(c, "the refused copy wrote the read-only page");
	mm_free_pages(src, 1);
	return release(c, r, ref, page);
}

const struct selftest selftest_gnttab[] = {
	{ "gnttab-setup-query", t_setup_query },
	{ "gnttab-setup-over-max", t_setup_over_max },
	{ "gnttab-grant-end", t_grant_end },
	{ "gnttab-map-wrong-domid", t_map_wrong_domid },
	{ "gnttab-map-rw-of-ro", t_map_rw_of_ro },
	{ "gnttab-end-while-mapped", t_end_while_mapped },
	{ "gnttab-readonly-downgrade", t_readonly_downgrade },
	{ "gnttab-map-bad-ref", t_map_bad_ref },
	{ "gnttab-unmap-bad-handle", t_unmap_bad_handle },
	{ "gnttab-copy-from-ro", t_copy_from_ro },
	{ "gnttab-copy-bad-len", t_copy_bad_len },
	{ "gnttab-copy-to-ro", t_copy_to_ro },
};
const unsigned int selftest_gnttab_count =
	sizeof(selftest_gnttab) / sizeof(selftest_gnttab[0]);

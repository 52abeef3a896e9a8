/*
 * gnttab.c: grant tables, version 1 (grant_table.h).
 *
 * A domain's grant table lives in its own memory, at pfns
 * PVH_GNTTAB_FIRST_PFN onwards (pvh_layout.h); GNTTABOP_setup_table only
 * reports those frames and raises how many are in use, up to the
 * domain's max_grant_frames. The guest writes entries; pvhv reads each
 * entry once into a local (one 64-bit load), validates the copy, and
 * changes only the GTF_reading/GTF_writing bits with a compare-and-swap
 * that fails if the guest changed anything in between, retried at most
 * CMPXCHG_TRIES times as Xen does ("shared grant entry is unstable").
 *
 * Mappings are tracked twice: in the mapper's maptrack (handle -> granter,
 * ref, access) and as pin counts on the granter's active entry, so the
 * last unmap clears the flags and a granter can tell that a grant is in
 * use. A destroyed granter with pages still mapped stays "dying" until
 * the last unmap (domain.c). A handle is its maptrack index: lookup is
 * one bounds check, allocation pops a free list (or takes the next
 * never-used slot, growing the array on demand), unmap pushes it back.
 *
 * Dom0's maptrack is shared by every dom0 daemon, so each granter has a
 * share of it: dom0 holds at most as many mappings of a granter's grants
 * as its largest table has entries (dom0_share()). Only the granter's
 * own grants count against its share, revoked mappings included until
 * they are unmapped, so a guest that makes dom0 map all it can only makes
 * its own further maps fail; the XenStore and console rings of every
 * other guest, old or new, are mapped from that guest's own share.
 *
 * Mapping a grant never gives a guest access to foreign memory (guests
 * cannot map anything): for a guest mapper it is validation and pinning,
 * and dev_bus_addr reports the frame's guest-physical address in the
 * granter's memory, which is what dom0 backends use. Copy pins both sides
 * for its duration and copies between the two domains' memory; one
 * hypercall copies at most COPY_BUDGET bytes, later ops in its batch are
 * left undone with GNTST_eagain for the guest to send again, so no batch
 * holds pvhv for long.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

#include "hv-priv.h"

#define ENTRIES_PER_FRAME	(PVH_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define CMPXCHG_TRIES		5
#define MAPTRACK_MAX		4096	/* handles per guest mapper */
/* Dom0's: every granter's whole share, an upper bound never reached first. */
#define DOM0_MAPTRACK_MAX	((uint32_t)HV_MAX_DOMAINS * PVH_GNTTAB_MAX_FRAMES * ENTRIES_PER_FRAME)
#define MAPTRACK_FIRST		64	/* slots of a mapper's first allocation */
#define BATCH_MAX		512	/* ops per hypercall */
#define COPY_BUDGET		(128u * 1024)	/* bytes copied per hypercall */

static uint32_t nr_entries(const struct hv_domain *d)
{
	return d->gnt_frames * ENTRIES_PER_FRAME;
}

static grant_entry_v1_t *entry_of(struct hv_domain *d, grant_ref_t ref)
{
	return (grant_entry_v1_t *)(d->mem + (PVH_GNTTAB_FIRST_PFN << PVH_PAGE_SHIFT)) + ref;
}

int hv_gnttab_init(struct hv_domain *d)
{
	size_t max = (size_t)d->max_grant_frames * ENTRIES_PER_FRAME;

	if (d->max_grant_frames > PVH_GNTTAB_MAX_FRAMES)
		return -EINVAL;
	d->gnt_active = calloc(max, sizeof(*d->gnt_active));
	if (!d->gnt_active)
		return -ENOMEM;
	d->gnt_frames = 1;
	d->maptrack = NULL;	/* allocated by the first map */
	d->maptrack_cap = d->maptrack_len = 0;
	d->maptrack_free = HV_MAPTRACK_END;
	d->dom0_maps = 0;
	return 0;
}

/*
 * How many mappings dom0 may hold of granter's grants: as many as its
 * largest table has entries, max_grant_frames * 512 (32768 by default,
 * 512 KiB of maptrack at most). That holds pvblkback's every persistent
 * grant, ring and indirect page on 4 queues of 7 disks (4 * (1056 + 16)
 * each) beside the XenStore and console rings and netback's, and any
 * frontend that keeps each grant on one queue; a guest that wants dom0
 * to map more than that only makes its own further maps fail.
 */
static uint32_t dom0_share(const struct hv_domain *granter)
{
	return granter->max_grant_frames * (uint32_t)ENTRIES_PER_FRAME;
}

/* The builder's seed: console and XenStore rings granted to dom0. */
void hv_gnttab_seed(struct hv_domain *d)
{
	grant_entry_v1_t *e = entry_of(d, 0);

	e[GNTTAB_RESERVED_CONSOLE] = (grant_entry_v1_t){ GTF_permit_access, 0, PVH_CONSOLE_PFN };
	e[GNTTAB_RESERVED_XENSTORE] = (grant_entry_v1_t){ GTF_permit_access, 0, PVH_XENSTORE_PFN };
}

static grant_entry_v1_t load_entry(struct hv_domain *d, grant_ref_t ref)
{
	uint64_t raw = __atomic_load_n((uint64_t *)entry_of(d, ref), __ATOMIC_ACQUIRE);
	grant_entry_v1_t e;

	memcpy(&e, &raw, sizeof(e));
	return e;
}

/*
 * Sets `add` in the entry's flags if the entry grants `mapper` access of
 * the right kind. Returns a GNTST_* code.
 */
static int16_t pin_flags(struct hv_domain *rd, grant_ref_t ref, domid_t mapper,
			 bool write, uint16_t add, bool first)
{
	/*
	 * flags and domid are swapped together, as Xen's v1 code does: a
	 * granter that rewrites domid between our check and the swap makes
	 * the swap fail instead of pinning for the old grantee.
	 */
	uint32_t *word = (uint32_t *)entry_of(rd, ref);

	for (int i = 0; i < CMPXCHG_TRIES; i++) {
		grant_entry_v1_t e = load_entry(rd, ref);
		uint32_t old = (uint32_t)e.flags | (uint32_t)e.domid << 16;
		uint32_t want = old | add;
		uint16_t added = (uint16_t)(add & ~e.flags);
		uint32_t frame;

		if ((e.flags & (GTF_type_mask | GTF_sub_page)) != GTF_permit_access ||
		    e.domid != mapper)
			return GNTST_general_error;
		if (write && (e.flags & GTF_readonly))
			return GNTST_general_error;
		if (!__atomic_compare_exchange_n(word, &old, want, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			continue;
		if (!first)
			return GNTST_okay;	/* an upgrade keeps the first pin's frame */
		/* The frame is read after the pin, as Xen does. */
		frame = __atomic_load_n(&entry_of(rd, ref)->frame, __ATOMIC_ACQUIRE);
		if (frame >= rd->nr_pages) {
			__atomic_fetch_and(&entry_of(rd, ref)->flags, (uint16_t)~added, __ATOMIC_SEQ_CST);
			return GNTST_bad_page;
		}
		rd->gnt_active[ref].frame = frame;
		return GNTST_okay;
	}
	return GNTST_general_error;	/* the guest keeps rewriting the entry */
}

/* Takes one pin of the given kind on rd's entry for `mapper`. */
static int16_t pin(struct hv_domain *rd, grant_ref_t ref, domid_t mapper, bool write)
{
	struct hv_gnt_active *act;
	int16_t st;

	if (ref >= nr_entries(rd))
		return GNTST_bad_gntref;
	act = &rd->gnt_active[ref];
	if (act->pin_r + act->pin_w && act->domid != mapper)
		return GNTST_general_error;
	if (act->pin_r == UINT16_MAX || act->pin_w == UINT16_MAX)
		return GNTST_general_error;
	if (!(act->pin_r + act->pin_w) || (write && !act->pin_w)) {
		st = pin_flags(rd, ref, mapper, write, GTF_reading | (write ? GTF_writing : 0),
			       !(act->pin_r + act->pin_w));
		if (st != GNTST_okay)
			return st;
	}
	act->domid = mapper;
	if (write)
		act->pin_w++;
	else
		act->pin_r++;
	rd->gnt_pins++;
	return GNTST_okay;
}

static void unpin(struct hv_domain *rd, grant_ref_t ref, bool write)
{
	struct hv_gnt_active *act = &rd->gnt_active[ref];
	uint16_t *flags = &entry_of(rd, ref)->flags;

	if (write && act->pin_w)
		act->pin_w--;
	else if (!write && act->pin_r)
		act->pin_r--;
	else
		return;
	rd->gnt_pins--;
	/* grant_table.c: the last writer clears GTF_writing, the last pin GTF_reading. */
	if (!act->pin_w)
		__atomic_fetch_and(flags, (uint16_t)~GTF_writing, __ATOMIC_SEQ_CST);
	if (!act->pin_w && !act->pin_r)
		__atomic_fetch_and(flags, (uint16_t)~GTF_reading, __ATOMIC_SEQ_CST);
	if (!rd->gnt_pins && rd->state == PVH_STATE_DYING)
		hv_domain_reap(rd);
}

/* Map and unmap name domains by id only (Xen: DOMID_SELF is bad_domain). */
static struct hv_domain *granter(struct hv_domain *d, domid_t dom)
{
	return dom == d->domid ? d : hv_domain_by_id(dom);
}

/* Copy also accepts DOMID_SELF. */
static struct hv_domain *copy_granter(struct hv_domain *d, domid_t dom)
{
	return dom == DOMID_SELF ? d : granter(d, dom);
}

static int grow_maptrack(struct hv_domain *d)
{
	uint32_t limit = d->domid == 0 ? DOM0_MAPTRACK_MAX : MAPTRACK_MAX;
	uint32_t cap = d->maptrack_cap ? d->maptrack_cap * 2 : MAPTRACK_FIRST;
	struct hv_maptrack *m;

	if (d->maptrack_cap >= limit)
		return -ENOSPC;
	if (cap > limit)
		cap = limit;
	m = realloc(d->maptrack, (size_t)cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	d->maptrack = m;
	d->maptrack_cap = cap;
	return 0;
}

/* A free handle: the free list's head, else the next never-used slot. */
static int alloc_handle(struct hv_domain *d, uint32_t *h_out)
{
	uint32_t h = d->maptrack_free;

	if (h != HV_MAPTRACK_END) {
		d->maptrack_free = d->maptrack[h].next_free;
	} else {
		if (d->maptrack_len == d->maptrack_cap && grow_maptrack(d) < 0)
			return -ENOSPC;
		h = d->maptrack_len++;
	}
	*h_out = h;
	return 0;
}

static void free_handle(struct hv_domain *d, uint32_t h)
{
	d->maptrack[h] = (struct hv_maptrack){ .next_free = d->maptrack_free };
	d->maptrack_free = h;
}

/* The mapping behind a handle, or NULL if the handle names none. */
struct hv_maptrack *hv_gnttab_maptrack(struct hv_domain *d, uint32_t handle)
{
	if (handle >= d->maptrack_len || !d->maptrack[handle].in_use)
		return NULL;
	return &d->maptrack[handle];
}

/* Dom0 maps only within the granter's share; says so when it is used up. */
static bool within_share(struct hv_domain *d, struct hv_domain *rd)
{
	if (d->domid != 0 || rd->dom0_maps < dom0_share(rd))
		return true;
	if (sv_ratelimit_ok(&rd->log_rl, NULL))
		sv_warn("domain %u (%s): dom0 already maps %u of its grants, all of its share; "
			"further maps of its grants fail until some are unmapped",
			rd->domid, rd->name, rd->dom0_maps);
	return false;
}

void hv_gnttab_map(struct hv_domain *d, gnttab_map_grant_ref_t *op)
{
	bool write = !(op->flags & GNTMAP_readonly);
	struct hv_domain *rd;
	uint32_t h;

	op->handle = 0;
	op->dev_bus_addr = 0;
	if (!(op->flags & (GNTMAP_host_map | GNTMAP_device_map))) {
		op->status = GNTST_bad_gntref;
		return;
	}
	rd = granter(d, op->dom);
	if (!rd || !rd->mem || rd->state == PVH_STATE_DYING) {
		op->status = GNTST_bad_domain;
		return;
	}
	if (!within_share(d, rd) || alloc_handle(d, &h) < 0) {
		op->status = GNTST_no_space;
		return;
	}
	op->status = pin(rd, op->ref, (domid_t)d->domid, write);
	if (op->status != GNTST_okay) {
		free_handle(d, h);
		return;
	}
	d->maptrack[h] = (struct hv_maptrack){ .in_use = true, .write = write,
		.dom = (domid_t)rd->domid, .ref = op->ref, .charged = d->domid == 0 };
	if (d->domid == 0)
		rd->dom0_maps++;
	op->handle = (grant_handle_t)h;
	op->dev_bus_addr = (uint64_t)rd->gnt_active[op->ref].frame << PVH_PAGE_SHIFT;
}

/*
 * A revoked mapping pins nothing; it still counts against its granter's
 * share while the granter exists. The unpin comes last: it may free a
 * dying granter.
 */
void hv_gnttab_unmap(struct hv_domain *d, gnttab_unmap_grant_ref_t *op)
{
	struct hv_maptrack *m = hv_gnttab_maptrack(d, op->handle);
	struct hv_domain *rd;
	bool pinned, write;
	uint32_t ref;

	if (!m) {
		op->status = GNTST_bad_handle;
		return;
	}
	pinned = !m->revoked;
	rd = pinned || m->charged ? granter(d, m->dom) : NULL;
	if (rd && pinned && op->dev_bus_addr &&
	    op->dev_bus_addr != (uint64_t)rd->gnt_active[m->ref].frame << PVH_PAGE_SHIFT) {
		op->status = GNTST_bad_dev_addr;
		return;
	}
	if (rd && m->charged)
		rd->dom0_maps--;
	ref = m->ref;
	write = m->write;
	free_handle(d, op->handle);
	if (rd && pinned)
		unpin(rd, ref, write);
	op->status = GNTST_okay;
}

void hv_gnttab_release_maps(struct hv_domain *d)
{
	for (uint32_t h = 0; h < d->maptrack_len; h++) {
		gnttab_unmap_grant_ref_t op = { .handle = (grant_handle_t)h };

		if (d->maptrack[h].in_use)
			hv_gnttab_unmap(d, &op);
	}
}

static void revoke_in(struct hv_domain *mapper, uint32_t granter_id)
{
	for (uint32_t h = 0; h < mapper->maptrack_len; h++) {
		struct hv_maptrack *m = &mapper->maptrack[h];

		if (m->in_use && !m->revoked && m->dom == granter_id)
			m->revoked = true;
	}
}

/*
 * A granter is restarting with fresh memory: every mapping of its old
 * memory is revoked. Holders keep their handles, reserved so that they
 * can never name a later mapping, until they unmap them; what they still
 * have mapped is the old memory, which no longer belongs to anyone.
 */
void hv_gnttab_revoke_foreign(struct hv_domain *g)
{
	revoke_in(&hv.dom0, g->domid);
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (hv.domains[i] && hv.domains[i] != g)
			revoke_in(hv.domains[i], g->domid);
	}
	memset(g->gnt_active, 0, (size_t)g->max_grant_frames * ENTRIES_PER_FRAME * sizeof(*g->gnt_active));
	g->gnt_pins = 0;
}

/* Resolves one side of a copy to a byte pointer; pins a grant side. */
static int16_t copy_side(struct hv_domain *d, const struct gnttab_copy_ptr *p, bool is_gref,
			 bool write, uint16_t len, uint8_t **ptr_out, struct hv_domain **rd_out)
{
	struct hv_domain *rd;
	uint64_t frame;
	int16_t st;

	if (p->offset > PVH_PAGE_SIZE || len > PVH_PAGE_SIZE - p->offset)
		return GNTST_bad_copy_arg;
	if (!is_gref) {
		if (p->domid != DOMID_SELF && p->domid != d->domid)
			return GNTST_permission_denied;
		if (p->u.gmfn >= d->nr_pages)
			return GNTST_bad_page;
		*rd_out = NULL;
		*ptr_out = d->mem + (p->u.gmfn << PVH_PAGE_SHIFT) + p->offset;
		return GNTST_okay;
	}
	rd = copy_granter(d, p->domid);
	if (!rd || !rd->mem || rd->state == PVH_STATE_DYING)
		return GNTST_bad_domain;
	st = pin(rd, p->u.ref, (domid_t)d->domid, write);
	if (st != GNTST_okay)
		return st;
	frame = rd->gnt_active[p->u.ref].frame;
	*rd_out = rd;
	*ptr_out = rd->mem + (frame << PVH_PAGE_SHIFT) + p->offset;
	return GNTST_okay;
}

static void copy_one(struct hv_domain *d, gnttab_copy_t *op)
{
	struct hv_domain *srd = NULL, *drd = NULL;
	uint8_t *src = NULL, *dst = NULL;

	op->status = copy_side(d, &op->source, op->flags & GNTCOPY_source_gref, false,
			       op->len, &src, &srd);
	if (op->status != GNTST_okay)
		return;
	op->status = copy_side(d, &op->dest, op->flags & GNTCOPY_dest_gref, true,
			       op->len, &dst, &drd);
	if (op->status == GNTST_okay)
		memmove(dst, src, op->len);
	if (drd)
		unpin(drd, op->dest.u.ref, true);
	if (srd)
		unpin(srd, op->source.u.ref, false);
}

/* A copy within the hypercall's byte budget; past it, left for the guest to resend. */
static void copy_within(struct hv_domain *d, gnttab_copy_t *op, uint64_t *copied)
{
	if (*copied >= COPY_BUDGET) {
		op->status = GNTST_eagain;
		return;
	}
	copy_one(d, op);
	if (op->status == GNTST_okay)
		*copied += op->len;
}

static int64_t setup_table(struct hv_domain *d, gnttab_setup_table_t *op)
{
	op->status = GNTST_okay;
	if (op->dom != DOMID_SELF && op->dom != d->domid) {
		op->status = GNTST_permission_denied;
		return 0;
	}
	if (op->nr_frames > d->max_grant_frames) {
		op->status = GNTST_general_error;
		return 0;
	}
	for (uint32_t i = 0; i < op->nr_frames; i++) {
		xen_pfn_t pfn = PVH_GNTTAB_FIRST_PFN + i;
		uint64_t at = (uint64_t)(uintptr_t)op->frame_list.p + i * sizeof(pfn);

		if (hv_gmem_write(d, at, &pfn, sizeof(pfn)) < 0)
			return -EFAULT;
	}
	if (op->nr_frames > d->gnt_frames)
		d->gnt_frames = op->nr_frames;
	return 0;
}

static int64_t query_size(struct hv_domain *d, gnttab_query_size_t *op)
{
	if (op->dom != DOMID_SELF && op->dom != d->domid) {
		op->status = GNTST_permission_denied;
		return 0;
	}
	op->nr_frames = d->gnt_frames;
	op->max_nr_frames = d->max_grant_frames;
	op->status = GNTST_okay;
	return 0;
}

static size_t op_size(uint64_t cmd)
{
	switch (cmd) {
	case GNTTABOP_map_grant_ref: return sizeof(gnttab_map_grant_ref_t);
	case GNTTABOP_unmap_grant_ref: return sizeof(gnttab_unmap_grant_ref_t);
	case GNTTABOP_setup_table: return sizeof(gnttab_setup_table_t);
	case GNTTABOP_copy: return sizeof(gnttab_copy_t);
	case GNTTABOP_query_size: return sizeof(gnttab_query_size_t);
	default: return 0;
	}
}

static int64_t run_one(struct hv_domain *d, uint64_t cmd, void *op, uint64_t *copied)
{
	switch (cmd) {
	case GNTTABOP_map_grant_ref: hv_gnttab_map(d, op); return 0;
	case GNTTABOP_unmap_grant_ref: hv_gnttab_unmap(d, op); return 0;
	case GNTTABOP_copy: copy_within(d, op, copied); return 0;
	case GNTTABOP_setup_table: return setup_table(d, op);
	case GNTTABOP_query_size: return query_size(d, op);
	default: return -ENOSYS;
	}
}

int64_t hv_gnttab_op(struct hv_domain *d, uint64_t cmd, uint64_t args, uint64_t count)
{
	size_t size = op_size(cmd);
	_Alignas(8) uint8_t op[64];	/* the largest op, aligned for its fields */

	if (!size)
		return -ENOSYS;
	if (count > BATCH_MAX)
		return -EINVAL;
	/* grant_table.c: these two take exactly one argument. */
	if ((cmd == GNTTABOP_setup_table || cmd == GNTTABOP_query_size) && count != 1)
		return -EINVAL;
	for (uint64_t i = 0, copied = 0; i < count; i++) {
		uint64_t at = args + i * size;
		int64_t rc;

		if (hv_gmem_read(d, at, op, size) < 0)
			return -EFAULT;
		rc = run_one(d, cmd, op, &copied);
		if (rc < 0)
			return rc;
		if (hv_gmem_write(d, at, op, size) < 0)
			return -EFAULT;
	}
	return 0;
}

void hv_gnttab_destroy(struct hv_domain *d)
{
	hv_gnttab_release_maps(d);
	free(d->maptrack);
	d->maptrack = NULL;
	d->maptrack_cap = d->maptrack_len = 0;
	d->maptrack_free = HV_MAPTRACK_END;
}

/*
 * The granter's memory goes. Dom0 can still hold revoked mappings of it
 * (it restarted, then was destroyed): they stay until unmapped but are
 * nobody's charge now, so a later domain with the same id never pays.
 */
void hv_gnttab_free(struct hv_domain *d)
{
	struct hv_domain *z = &hv.dom0;

	for (uint32_t h = 0; d->dom0_maps && h < z->maptrack_len; h++) {
		struct hv_maptrack *m = &z->maptrack[h];

		if (m->in_use && m->charged && m->dom == d->domid) {
			m->charged = false;
			d->dom0_maps--;
		}
	}
	free(d->gnt_active);
	d->gnt_active = NULL;
}

/*
 * xenfront.h: the guest side of Xen's event channels and grant tables,
 * kernel-independent (the kernel supplies xenport.h's functions).
 *
 * Event channels (evtchn.c) use the 2-level ABI in shared_info (xen.h):
 * the client owns a per-port handler table and the scan that dispatches
 * pending, unmasked ports. It cannot be interrupted, so it never enables
 * upcalls; the kernel's block loop calls evtchn_dispatch() after waking.
 *
 * Grant tables (gnttab.c) use v1 entries (grant_table.h). The client sets
 * the table up, hands out references from a free list (never the reserved
 * 0..GNTTAB_NR_RESERVED_ENTRIES-1, which the builder seeds for the console
 * and XenStore), and writes entries in the order grant_table.h requires.
 *
 * Everything here runs on one vCPU with no upcalls: no locking.
 */
#ifndef PVFRONT_XENFRONT_H
#define PVFRONT_XENFRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "xenport.h"

/* ---- event channels (evtchn.c) ---- */

#define EVTCHN_NR_PORTS		(sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)

typedef void (*evtchn_handler_t)(evtchn_port_t port, void *data);

/* Take over shared_info's event bits: every port starts masked. */
void evtchn_init(shared_info_t *shared_info);
shared_info_t *evtchn_shared_info(void);

/*
 * Install a handler for a port and unmask it; -XEN_EINVAL for port 0, a
 * port past the ABI, or no handler. evtchn_clear_handler() masks it again.
 * The handler's data stays the caller's.
 */
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *data);
void evtchn_clear_handler(evtchn_port_t port);

/*
 * Local mask and unmask (the guest owns evtchn_mask). evtchn_unmask()
 * re-raises a port that went pending while masked, as xen.h asks.
 */
void evtchn_mask(evtchn_port_t port);
void evtchn_unmask(evtchn_port_t port);
bool evtchn_is_masked(evtchn_port_t port);
bool evtchn_is_pending(evtchn_port_t port);
void evtchn_clear_pending(evtchn_port_t port);

/* vcpu_info[0].evtchn_upcall_pending: something may be waiting. */
bool evtchn_upcall_pending(void);

/*
 * The 2-level scan: clear upcall_pending, exchange the selector with 0,
 * and for each selected word take pending & ~mask, clear each pending bit
 * and call its handler (a pending port without one is just cleared). A
 * handler may raise more events; the scan repeats a bounded number of
 * rounds. Returns how many ports were cleared.
 */
unsigned int evtchn_dispatch(void);

/*
 * EVTCHNOP_* for this domain (event_channel.h); each returns 0 or Xen's
 * negative errno and fills its output only on success.
 */
int evtchn_alloc_unbound(domid_t remote_dom, evtchn_port_t *port_out);
int evtchn_bind_interdomain(domid_t remote_dom, evtchn_port_t remote_port,
			    evtchn_port_t *local_port_out);
int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port_out);
int evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port_out);
int evtchn_send(evtchn_port_t port);
int evtchn_close(evtchn_port_t port);
int evtchn_status(evtchn_port_t port, struct evtchn_status *status_out);
int evtchn_unmask_op(evtchn_port_t port);
int evtchn_reset(void);

/* "EVTCHNOP_send", ... for messages; "EVTCHNOP_?" if unknown. */
const char *evtchn_op_name(int cmd);

/* ---- grant tables (gnttab.c) ---- */

/* The most frames the client asks for (512 v1 entries each). */
#define GNTTAB_CLIENT_MAX_FRAMES	4
#define GNTTAB_ENTRIES_PER_FRAME	(4096 / sizeof(grant_entry_v1_t))
#define GNTTAB_CLIENT_MAX_ENTRIES	\
	(GNTTAB_CLIENT_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME)

/*
 * GNTTABOP_setup_table for nr_frames (1..GNTTAB_CLIENT_MAX_FRAMES) and
 * fill the free list with refs GNTTAB_NR_RESERVED_ENTRIES and up. The
 * frames must be consecutive pfns (the table is used as one array).
 * Returns 0, a negative errno from the hypercall, or -XEN_EIO with the
 * op's GNTST_* status in *gntst_out (may be NULL).
 */
int gnttab_init(unsigned int nr_frames, int16_t *gntst_out);
bool gnttab_is_ready(void);
unsigned int gnttab_nr_frames(void);
unsigned int gnttab_nr_entries(void);
unsigned int gnttab_nr_free(void);

/* Raw ops: the hypercall's result; per-op status is in each struct. */
int gnttab_op(unsigned int cmd, void *args, unsigned int count);
int gnttab_query_size(uint32_t *nr_frames_out, uint32_t *max_frames_out,
		      int16_t *gntst_out);

/*
 * Grant domid access to the frame pfn: takes a ref from the free list and
 * writes domid, frame, a write barrier, then flags (grant_table.h).
 * Returns the ref, -XEN_ENOSPC when none is free, -XEN_ENODEV before
 * gnttab_init().
 */
int gnttab_grant_access(domid_t domid, xen_pfn_t pfn, bool readonly);

/*
 * Revoke a grant. Refused (false, the grant stays) while the grantee has
 * it mapped (GTF_reading|GTF_writing) or if the entry keeps changing; on
 * success the flags are 0 and the ref is back on the free list.
 */
bool gnttab_end_access(grant_ref_t ref);

/* Downgrade a grant to read-only; refused while it is mapped writable. */
bool gnttab_make_readonly(grant_ref_t ref);

/* The entry's flags as they are now (0 for a ref outside the table). */
uint16_t gnttab_entry_flags(grant_ref_t ref);

/* "GNTST_okay", ... for messages. */
const char *gnttab_status_name(int16_t status);

#endif /* PVFRONT_XENFRONT_H */

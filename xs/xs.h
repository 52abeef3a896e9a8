/*
 * xs.h: what pvxenstored exports to the rest of Splitvisor.
 *
 * Only one thing crosses the component boundary: the hooks through which
 * pvxenstored reaches a guest's XenStore ring page and event channel.  The
 * hypervisor side (pvhv) implements struct xs_ring_ops; pvxenstored calls it
 * when dom0 sends XS_INTRODUCE and XS_RELEASE.  Until an implementation is
 * registered, XS_INTRODUCE answers ENOSYS instead of pretending to succeed.
 *
 * The ring page layout is Xen's struct xenstore_domain_interface
 * (xen/io/xs_wire.h); grant entry 1 (GNTTAB_RESERVED_XENSTORE) names it.
 */
#ifndef SPLITVISOR_XS_H
#define SPLITVISOR_XS_H

#include <stdint.h>
#include <xen/io/xs_wire.h>

struct xs_ring_ops {
	/*
	 * Map domain @domid's XenStore ring page (grant entry 1; @gfn is what
	 * dom0 passed in XS_INTRODUCE and may be ignored).  On success store the
	 * mapping in *@intf_out and return 0; return -errno otherwise.  The
	 * page stays mapped until unmap_ring() is called with the same pointer.
	 */
	int (*map_ring)(void *opaque, unsigned int domid, uint64_t gfn,
			struct xenstore_domain_interface **intf_out);
	void (*unmap_ring)(void *opaque, unsigned int domid,
			   struct xenstore_domain_interface *intf);
	/*
	 * Bind a local port to the domain's event channel @remote_port.
	 * Return a file descriptor that becomes readable when the guest
	 * notifies (pvxenstored reads and discards 8 bytes, eventfd-style) and
	 * store an opaque local port handle in *@local_out, or return -errno.
	 */
	int (*bind_evtchn)(void *opaque, unsigned int domid,
			   uint32_t remote_port, uint32_t *local_out);
	/* Notify the guest on the bound port.  Must not block. */
	void (*notify)(void *opaque, unsigned int domid, uint32_t local_port);
	/* Release the binding made by bind_evtchn(); closes its fd. */
	void (*unbind_evtchn)(void *opaque, unsigned int domid,
			      uint32_t local_port);
};

#endif

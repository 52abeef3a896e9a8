/*
 * pvh_layout.h: where things are in a guest's memory.
 *
 * A domain's pseudo-physical memory is one memfd owned by pvhv; a page
 * frame number (pfn) is a page offset in it. Splitvisor has no separate
 * machine frames, so wherever Xen's ABI says "mfn" or "machine address"
 * (start_info.store_mfn, console.domU.mfn, start_info.shared_info, grant
 * entry frames) the value is the pfn or guest-physical address.
 *
 * The vCPU runner maps that memory at the fixed virtual address
 * PVH_GUEST_BASE, so guest-physical address p is at PVH_GUEST_BASE + p in
 * the guest. Guest kernels are linked for that address (the base is below
 * 2 GiB so kernels can use the small code model). Pointer arguments to
 * hypercalls are guest-physical addresses, never guest-virtual ones.
 *
 * The builder lays out the first MiB (the "boot area") as below and loads
 * the kernel's PT_LOAD segments at or above PVH_KERNEL_MIN_PADDR:
 *
 *   pfn 0            shared_info (vcpu_info[0], event bits, wallclock)
 *   pfn 1            start_info
 *   pfn 2            console ring (struct xencons_interface), grant entry 0
 *   pfn 3            XenStore ring (struct xenstore_domain_interface), grant 1
 *   pfn 8 .. 71      grant table frames (up to PVH_GNTTAB_MAX_FRAMES)
 *   pfn 224 .. 255   boot stack; %rsp starts at the top of pfn 255
 *
 * Free memory for the guest's allocator starts at start_info.pt_base (a
 * guest-virtual address, page aligned, just past the highest loaded
 * segment; Splitvisor has no page tables, so nr_pt_frames is 0) and ends at
 * start_info.nr_pages.
 *
 * Entry: the kernel's ELF entry point, with %rsi = guest-virtual address of
 * start_info, %rsp = PVH_GUEST_BASE + PVH_STACK_TOP_PADDR, every other
 * general-purpose register zero, and vcpu_info[0].evtchn_upcall_mask = 1.
 */
#ifndef PVH_LAYOUT_H
#define PVH_LAYOUT_H

#define PVH_PAGE_SHIFT		12
#define PVH_PAGE_SIZE		(1UL << PVH_PAGE_SHIFT)

#define PVH_GUEST_BASE		0x40000000UL

#define PVH_SHARED_INFO_PFN	0
#define PVH_START_INFO_PFN	1
#define PVH_CONSOLE_PFN		2
#define PVH_XENSTORE_PFN	3
#define PVH_GNTTAB_FIRST_PFN	8
#define PVH_GNTTAB_MAX_FRAMES	64
#define PVH_STACK_FIRST_PFN	224
#define PVH_STACK_PAGES		32
#define PVH_STACK_TOP_PADDR	((PVH_STACK_FIRST_PFN + PVH_STACK_PAGES) << PVH_PAGE_SHIFT)

#define PVH_KERNEL_MIN_PADDR	0x100000UL

/* Smallest and largest domain a builder accepts, in bytes. */
#define PVH_MEM_MIN		(4UL << 20)
#define PVH_MEM_MAX		(64UL << 30)

#endif /* PVH_LAYOUT_H */

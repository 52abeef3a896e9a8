/*
 * main.c: pvos boot.
 *
 * The flow, from start.S's call to pvos_main(start_info):
 *  1. check that %rsi points where pvh_layout.h puts start_info, copy it
 *     (its cmd_line need not be terminated) and check the magic, the
 *     memory size, shared_info's address and the link address;
 *  2. find shared_info and set up events, then time, the page allocator and
 *     the command line;
 *  3. print the banner (the first line starts with "pvos ", which tests
 *     look for) and what the hypervisor says about itself;
 *  4. bind VIRQ_TIMER and set up the grant table; a hypervisor that does
 *     not serve event channels or grant tables yet (-ENOSYS) is reported
 *     and pvos carries on without them;
 *  5. attach to XenStore (xen/xenbus.c) and move the console to its ring
 *     (control.c);
 *  6. run the workload named by init= (default hello); workloads never
 *     return, they shut the domain down.
 */
#include <stdint.h>

#include <public/pvh_layout.h>
#include <pvos/cmdline.h>
#include <pvos/errno.h>
#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/mm.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#define START_INFO_MAGIC	"xen-3.0-x86_64"
#define PVOS_GNTTAB_FRAMES	GNTTAB_CLIENT_MAX_FRAMES

start_info_t pvos_start_info;

extern char _start[];

static const struct workload workloads[] = {
	{ "hello", workload_hello },
	{ "escape", workload_escape },
	{ "memscan", workload_memscan },
	{ "spin", workload_spin },
	{ "idle", workload_idle },
	{ "timer", workload_timer },
	{ "hcall-bench", workload_hcall_bench },
	{ "prim-bench", workload_prim_bench },
	{ "pio-bench", workload_pio_bench },
	{ "peer", workload_peer },
	{ "selftest", workload_selftest },
	{ "echo", workload_echo },
	{ "blk-sha256", workload_blk_sha256 },
	{ "blk-idle", workload_blk_idle },
	{ "blk-fill", workload_blk_fill },
	{ "blk-verify", workload_blk_verify },
	{ "blkbench", workload_blkbench },
	{ "pio-test", workload_pio_test },
	{ "blk-hostile", workload_blk_hostile },
	{ "blk-cycle", workload_blk_cycle },
	{ "blk-grants", workload_blk_grants },
	{ "blk-rounds", workload_blk_rounds },
	{ "gnt-flood", workload_gnt_flood },
	{ "hcall-probe", workload_hcall_probe },
	{ "net-echo", workload_net_echo },
	{ "net-hostile", workload_net_hostile },
	{ "xs-flood", workload_xs_flood },
	{ "hcall-flood", workload_hcall_flood },
	{ "reboot-loop", workload_reboot_loop },
	{ "console-flood", workload_console_flood },
	{ "ioreq-flood", workload_ioreq_flood },
	{ "hcall-latency", workload_hcall_latency },
};

__attribute__((noreturn)) void pvos_main(const start_info_t *si);

static void check_boot(const start_info_t *si)
{
	uint64_t bytes = pvos_start_info.nr_pages << PVH_PAGE_SHIFT;

	if ((uintptr_t)_start != PVH_GUEST_BASE + PVH_KERNEL_MIN_PADDR)
		panic("linked at %p, expected %p", (void *)_start,
		      (void *)(PVH_GUEST_BASE + PVH_KERNEL_MIN_PADDR));
	if (strncmp((const char *)pvos_start_info.magic, START_INFO_MAGIC,
		    sizeof(START_INFO_MAGIC) - 1) != 0)
		panic("start_info at %p has magic \"%.32s\", expected \"%s\"",
		      (const void *)si, (const char *)pvos_start_info.magic,
		      START_INFO_MAGIC);
	if (pvos_start_info.nr_pages > PVH_MEM_MAX >> PVH_PAGE_SHIFT ||
	    bytes < PVH_MEM_MIN)
		panic("start_info says %lu pages, outside [%lu, %lu]",
		      (unsigned long)pvos_start_info.nr_pages,
		      PVH_MEM_MIN >> PVH_PAGE_SHIFT,
		      PVH_MEM_MAX >> PVH_PAGE_SHIFT);
	if (pvos_start_info.shared_info % PVH_PAGE_SIZE ||
	    pvos_start_info.shared_info >= bytes)
		panic("start_info.shared_info %#lx is not a page in memory",
		      (unsigned long)pvos_start_info.shared_info);
}

static void init_heap(void)
{
	int rc = mm_init(pvos_start_info.pt_base,
			 (unsigned long)pvos_start_info.nr_pages);

	if (rc < 0)
		panic("no usable free memory: pt_base %#lx, %lu pages (%d)",
		      (unsigned long)pvos_start_info.pt_base,
		      (unsigned long)pvos_start_info.nr_pages, rc);
}

static void print_banner(void)
{
	const start_info_t *si = &pvos_start_info;
	const char *cmdline = (const char *)si->cmd_line;

	printk("pvos " PVOS_VERSION ": %lu MiB (%lu pages), cmdline \"%.*s\"\n",
	       (unsigned long)(si->nr_pages >> (20 - PVH_PAGE_SHIFT)),
	       (unsigned long)si->nr_pages,
	       (int)strnlen(cmdline, sizeof(si->cmd_line)), cmdline);
	printk("pvos: start_info magic \"%.32s\" flags %#lx, shared_info %#lx, "
	       "store pfn %lu evtchn %u, console pfn %lu evtchn %u\n",
	       (const char *)si->magic, (unsigned long)si->flags,
	       (unsigned long)si->shared_info, (unsigned long)si->store_mfn,
	       (unsigned int)si->store_evtchn,
	       (unsigned long)si->console.domU.mfn,
	       (unsigned int)si->console.domU.evtchn);
	printk("pvos: heap %lu of %lu pages free from %#lx\n",
	       mm_nr_free_pages(), mm_nr_total_pages(),
	       (unsigned long)si->pt_base);
}

static void print_hypervisor(void)
{
	static xen_extraversion_t extra;
	domid_t self = DOMID_SELF;
	long version, cur, max;

	version = HYPERVISOR_xen_version(XENVER_version, 0);
	if (HYPERVISOR_xen_version(XENVER_extraversion, virt_to_phys(extra)) < 0)
		extra[0] = '\0';
	extra[sizeof(extra) - 1] = '\0';
	cur = HYPERVISOR_memory_op(XENMEM_current_reservation,
				   virt_to_phys(&self));
	max = HYPERVISOR_memory_op(XENMEM_maximum_reservation,
				   virt_to_phys(&self));
	if (version < 0)
		printk("pvos: xen_version failed (%ld)\n", version);
	else
		printk("pvos: hypervisor xen %ld.%ld%s, reservation %ld of "
		       "%ld pages\n", version >> 16, version & 0xffff, extra,
		       cur, max);
}

static const char *rc_text(long rc)
{
	switch (rc) {
	case -ENOSYS:	return "-ENOSYS, not served by the hypervisor";
	case -EINVAL:	return "-EINVAL";
	case -EBUSY:	return "-EBUSY";
	case -ENOSPC:	return "-ENOSPC";
	case -EIO:	return "-EIO, the op's status was not GNTST_okay";
	case -EFAULT:	return "-EFAULT, the frames are not consecutive";
	default:	return "an error";
	}
}

/* VIRQ_TIMER and the grant table; one line says what we got. */
static void init_xen(void)
{
	int evt_rc = events_bind_timer();
	int16_t gntst = GNTST_okay;
	int gnt_rc = gnttab_init(PVOS_GNTTAB_FRAMES, &gntst);

	if (evt_rc < 0)
		printk("pvos: no VIRQ_TIMER: EVTCHNOP_bind_virq returned %d (%s)\n",
		       evt_rc, rc_text(evt_rc));
	if (gnt_rc < 0)
		printk("pvos: no grant table: GNTTABOP_setup_table of %d frames "
		       "returned %d (%s) status %d %s\n", PVOS_GNTTAB_FRAMES,
		       gnt_rc, rc_text(gnt_rc), gntst, gnttab_status_name(gntst));
	if (evt_rc == 0 && gnt_rc == 0)
		printk("pvos: VIRQ_TIMER on port %u, grant table %u frames with "
		       "%u free refs\n", (unsigned int)events_timer_port(),
		       gnttab_nr_frames(), gnttab_nr_free());
}

static void print_clock(void)
{
	uint64_t sec;
	uint32_t nsec;

	if (!time_is_available()) {
		printk("pvos: no PV clock (tsc_to_system_mul is 0)\n");
		return;
	}
	time_wallclock(&sec, &nsec);
	printk("pvos: clock tsc %lu kHz, system time %lu ns, wallclock "
	       "%lu.%09u\n", (unsigned long)time_tsc_khz(),
	       (unsigned long)time_now_ns(), (unsigned long)sec, nsec);
}

static __attribute__((noreturn)) void run_init(void)
{
	const char *init = cmdline_get("init", "hello");

	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++) {
		if (strcmp(workloads[i].name, init) == 0)
			workloads[i].run();
	}
	printk("pvos: unknown init=%s; known:", init);
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		printk(" %s", workloads[i].name);
	printk("\n");
	kernel_shutdown(SHUTDOWN_crash);
}

void pvos_main(const start_info_t *si)
{
	uintptr_t expect = PVH_GUEST_BASE +
			   (PVH_START_INFO_PFN << PVH_PAGE_SHIFT);

	/* pvh_layout.h fixes where start_info is; don't chase a bad %rsi. */
	if ((uintptr_t)si != expect)
		panic("entered with start_info at %p, expected %p",
		      (const void *)si, (void *)expect);
	memcpy(&pvos_start_info, si, sizeof(pvos_start_info));
	check_boot(si);
	events_init(phys_to_virt(pvos_start_info.shared_info));
	init_heap();
	cmdline_init((const char *)pvos_start_info.cmd_line,
		     sizeof(pvos_start_info.cmd_line));
	print_banner();
	print_hypervisor();
	init_xen();
	print_clock();
	control_init();
	run_init();
}

/*
 * hv_hostile.c: guests that attack pvhv itself rather than a backend.
 *
 *   init=hcall-flood [window=N]
 *       window=0 (the default): writes hypercall requests to its socket
 *       forever and never reads a reply. pvhv must crash the domain
 *       ("does not read its hypercall replies") instead of blocking on
 *       it. window=N (1..128): keeps N requests in flight, reading one
 *       reply for each new request, so its socket is never empty: pvhv
 *       must still serve every other guest and pvctl.
 *   init=reboot-loop
 *       reboots as soon as it has booted. With on_reboot=restart, pvhv's
 *       restart brake must stop it.
 *   init=console-flood
 *       writes 64 KiB through console_io, forever. pvhv must hold it to
 *       its console budget.
 *   init=ioreq-flood
 *       (a domain with an IDE disk) writes port-I/O requests to its
 *       ioreq socket itself, bypassing the runner's trap handler, and
 *       never reads the answers. pvdm must not block on it; once it has
 *       dropped the socket, the guest's next port access crashes it.
 *
 * Each prints one line saying what it does before it starts, so a test
 * can tell that it ran.
 */
#include <stdint.h>

#include <public/pvh_ioreq.h>
#include <public/pvh_trap.h>
#include <pvos/arch.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/xen.h>

#include "pio.h"

#define FLOOD_WINDOW_MAX	128
#define CONSOLE_FLOOD_BYTES	(64 * 1024)	/* pvhv's largest console_io */

static const struct pvh_hcall_req version_req = {
	.magic = PVH_HCALL_MAGIC,
	.op = __HYPERVISOR_xen_version,
	.arg = { XENVER_version },
};

static void send_request(void)
{
	long r = arch_syscall6(ARCH_SYS_write, PVH_FD_HCALL, (long)&version_req,
			       sizeof(version_req), 0, 0, 0);

	if (r != (long)sizeof(version_req))
		arch_die();	/* pvhv hung up: the domain is being killed */
}

static void read_reply(void)
{
	struct pvh_hcall_rsp rsp;
	long r = arch_syscall6(ARCH_SYS_read, PVH_FD_HCALL, (long)&rsp,
			       sizeof(rsp), 0, 0, 0);

	if (r != (long)sizeof(rsp))
		arch_die();
}

void workload_hcall_flood(void)
{
	uint64_t window;

	if (cmdline_get_u64("window", 0, 0, FLOOD_WINDOW_MAX, &window) < 0)
		panic("hcall-flood: window= must be a number from 0 to %d",
		      FLOOD_WINDOW_MAX);
	if (!window) {
		printk("hcall-flood: sending hypercalls without reading the replies\n");
		for (;;)
			send_request();
	}
	printk("hcall-flood: keeping %lu hypercalls in flight\n",
	       (unsigned long)window);
	for (uint64_t i = 0; i < window; i++)
		send_request();
	for (;;) {
		read_reply();
		send_request();
	}
}

void workload_reboot_loop(void)
{
	printk("reboot-loop: rebooting\n");
	kernel_shutdown(SHUTDOWN_reboot);
}

void workload_ioreq_flood(void)
{
	/* Reads of the alternate status port: valid, and without side effects. */
	struct pvh_ioreq req = {
		.magic = PVH_IOREQ_MAGIC,
		.port = PVH_IDE_CTL_PORT,
		.size = 1,
		.dir = PVH_IOREQ_IN,
		.count = 1,
	};

	printk("ioreq-flood: sending port I/O requests without reading the answers\n");
	for (;;) {
		long r = arch_syscall6(ARCH_SYS_write, PVH_FD_IOREQ, (long)&req,
				       sizeof(req), 0, 0, 0);

		if (r != (long)sizeof(req))
			break;	/* the device model dropped the socket */
		req.seq++;
	}
	/* Carry on as a guest would: the next trapped access finds no device model. */
	printk("ioreq-flood: the device model hung up; trying real port I/O\n");
	for (;;)
		(void)inb(PVH_IDE_CTL_PORT);
}

void workload_console_flood(void)
{
	static char buf[CONSOLE_FLOOD_BYTES];

	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 64 == 63) ? '\n' : 'x';
	printk("console-flood: writing %d bytes through console_io, forever\n",
	       CONSOLE_FLOOD_BYTES);
	for (;;)
		(void)HYPERVISOR_console_io(CONSOLEIO_write, sizeof(buf),
					    virt_to_phys(buf));
}

/*
 * control.c: pvos's use of XenStore: the rings at boot and the toolstack's
 * cooperative shutdown.
 *
 * At boot the xenbus client (xen/xenbus.c) attaches to start_info's store
 * page and port, and the console moves to its ring page. Both pages are
 * checked to be inside our memory first: start_info is the hypervisor's,
 * but a bad pfn would make us scribble on ourselves.
 *
 * Shutdown (xenstore-paths control/shutdown): the toolstack writes
 * "poweroff" or "reboot" into ~/control/shutdown, which is ours to write
 * too. We watch it; on a command we know, we acknowledge by writing ""
 * inside a transaction that read the command (so two requests racing
 * cannot both be acknowledged by one read; EAGAIN starts again), say so on
 * the console and SCHEDOP_shutdown with the matching reason.
 */
#include <stdint.h>

#include <public/pvh_layout.h>
#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/errno.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/string.h>
#include <pvos/xen.h>

#include "xenfront.h"

#define SHUTDOWN_PATH	"control/shutdown"
#define SHUTDOWN_TOKEN	"pvos-shutdown"

static long domid = -1;
static bool enabled;

struct command {
	const char *name;
	unsigned int reason;
};

static const struct command commands[] = {
	{ "poweroff", SHUTDOWN_poweroff },
	{ "halt", SHUTDOWN_poweroff },
	{ "reboot", SHUTDOWN_reboot },
};

static bool pfn_in_memory(xen_pfn_t pfn)
{
	return pfn > 0 && pfn < pvos_start_info.nr_pages;
}

static void *pfn_to_virt(xen_pfn_t pfn)
{
	return phys_to_virt((paddr_t)pfn << PVH_PAGE_SHIFT);
}

static int init_store(void)
{
	const start_info_t *si = &pvos_start_info;
	uint64_t id;
	int rc;

	if (!pfn_in_memory(si->store_mfn) || si->store_evtchn == 0)
		return -EINVAL;
	rc = xenbus_init(pfn_to_virt(si->store_mfn), si->store_evtchn);
	if (rc < 0)
		return rc;
	rc = xenbus_read_u64(XBT_NIL, "domid", DOMID_FIRST_RESERVED - 1, &id);
	if (rc == 0)
		domid = (long)id;
	return rc;
}

void control_init(void)
{
	const start_info_t *si = &pvos_start_info;
	int xs_rc = init_store(), con_rc = -EINVAL;

	if (xs_rc < 0)
		printk("pvos: no XenStore on pfn %lu port %u (%d%s%s)\n",
		       (unsigned long)si->store_mfn,
		       (unsigned int)si->store_evtchn, xs_rc,
		       xenbus_fault()[0] ? ": " : "", xenbus_fault());
	else
		printk("pvos: XenStore ring on port %u, domid %ld\n",
		       (unsigned int)si->store_evtchn, domid);
	if (pfn_in_memory(si->console.domU.mfn) && si->console.domU.evtchn) {
		printk("pvos: console ring on port %u\n",
		       (unsigned int)si->console.domU.evtchn);
		con_rc = console_ring_init(pfn_to_virt(si->console.domU.mfn),
					   si->console.domU.evtchn);
	}
	if (con_rc < 0)
		printk("pvos: no console ring on pfn %lu port %u (%d); staying "
		       "on console_io\n", (unsigned long)si->console.domU.mfn,
		       (unsigned int)si->console.domU.evtchn, con_rc);
}

long control_domid(void)
{
	return domid;
}

int control_enable(void)
{
	int rc;

	if (enabled)
		return 0;
	if (!xenbus_is_ready())
		return -ENODEV;
	rc = xenbus_watch(SHUTDOWN_PATH, SHUTDOWN_TOKEN);
	if (rc < 0) {
		printk("pvos: cannot watch control/shutdown: %d\n", rc);
		return rc;
	}
	enabled = true;
	rc = xenbus_write(XBT_NIL, "control/feature-poweroff", "1");
	if (rc == 0)
		rc = xenbus_write(XBT_NIL, "control/feature-reboot", "1");
	if (rc < 0)
		printk("pvos: cannot write control/feature-poweroff and "
		       "feature-reboot (%d): the toolstack must create them "
		       "writable by the guest; answering control/shutdown "
		       "anyway\n", rc);
	return rc;
}

/* In a transaction: read the command and acknowledge one we know. */
static int take_command(xenbus_transaction_t t, void *data)
{
	const struct command **cmd_out = data;
	char value[32];
	int rc = xenbus_read(t, SHUTDOWN_PATH, value, sizeof(value));

	*cmd_out = NULL;
	if (rc == -ENOENT || rc == -E2BIG || rc == 0)
		return 0;	/* nothing (or nothing we know) asked */
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(value, commands[i].name) == 0) {
			*cmd_out = &commands[i];
			return xenbus_write(t, SHUTDOWN_PATH, "");
		}
	}
	return 0;
}

void control_poll(void)
{
	const struct command *cmd = NULL;
	int rc;

	if (!enabled || !xenbus_take_event(SHUTDOWN_TOKEN, NULL, 0))
		return;
	rc = xenbus_transact(take_command, &cmd);
	if (rc < 0) {
		printk("pvos: reading control/shutdown failed: %d\n", rc);
		return;
	}
	if (!cmd)
		return;
	printk("pvos: shutdown requested (%s)\n", cmd->name);
	kernel_shutdown(cmd->reason);
}

int kernel_block(uint64_t deadline_ns)
{
	int woke = events_block(deadline_ns);

	control_poll();
	return woke;
}

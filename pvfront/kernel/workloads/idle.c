/*
 * idle.c: init=idle, a guest that sleeps until events arrive and dispatches
 * them, re-blocking after every wakeup (spurious ones included). It costs
 * the host nothing while idle. Later it will answer control/shutdown
 * through XenStore.
 */
#include <pvos/console.h>
#include <pvos/events.h>
#include <pvos/kernel.h>

void workload_idle(void)
{
	printk("idle: waiting for events\n");
	for (;;) {
		events_block(EVENTS_NO_DEADLINE);
	}
}

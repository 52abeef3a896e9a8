/*
 * idle.c: init=idle, a guest that sleeps until events arrive and dispatches
 * them, re-blocking after every wakeup (spurious ones included). It costs
 * the host nothing while idle, and answers control/shutdown, so
 * `pvctl shutdown` and `pvctl reboot` work on it.
 */
#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/kernel.h>

void workload_idle(void)
{
	control_enable();
	printk("idle: waiting for events\n");
	for (;;)
		kernel_block(EVENTS_NO_DEADLINE);
}

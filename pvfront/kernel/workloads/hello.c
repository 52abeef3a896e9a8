/*
 * hello.c: init=hello, the smallest boot test: the banner, one line, and a
 * clean power-off (SHUTDOWN_poweroff).
 */
#include <pvos/console.h>
#include <pvos/kernel.h>
#include <pvos/xen.h>

void workload_hello(void)
{
	printk("hello: powering off\n");
	kernel_shutdown(SHUTDOWN_poweroff);
}

/*
 * spin.c: init=spin, a guest that burns its CPU and never makes another
 * hypercall or system call. Tests use it for pause, destroy and CPU limits.
 */
#include <pvos/arch.h>
#include <pvos/console.h>
#include <pvos/kernel.h>

void workload_spin(void)
{
	printk("spin: looping forever\n");
	for (;;)
		arch_cpu_relax();
}

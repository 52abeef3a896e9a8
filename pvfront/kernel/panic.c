/*
 * panic.c: orderly and disorderly ends of the domain.
 *
 * Both go through SCHEDOP_shutdown so pvhv records why the domain ended.
 * If the hypercall returns (it must not), the process dies by an invalid
 * instruction, which pvhv reports as a crash.
 */
#include <stdarg.h>

#include <pvos/arch.h>
#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/xen.h>

void kernel_shutdown(unsigned int reason)
{
	struct sched_shutdown shutdown = { .reason = reason };

	console_flush();
	HYPERVISOR_sched_op(SCHEDOP_shutdown, virt_to_phys(&shutdown));
	arch_die();
}

void panic(const char *fmt, ...)
{
	va_list ap;

	console_flush();
	printk("pvos: panic: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	kernel_shutdown(SHUTDOWN_crash);
}

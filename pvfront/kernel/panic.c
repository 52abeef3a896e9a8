/*
 * panic.c: orderly and disorderly ends of the domain.
 *
 * Both go through SCHEDOP_shutdown so pvhv records why the domain ended.
 * An orderly end waits (bounded) for pvconsoled to take the console ring's
 * last lines; a panic writes through console_io only, which needs nothing
 * but pvhv.
 * If the hypercall returns (it must not), the process dies by an invalid
 * instruction, which pvhv reports as a crash.
 */
#include <stdarg.h>
#include <stdint.h>

#include <pvos/arch.h>
#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/xen.h>

void kernel_shutdown(unsigned int reason)
{
	struct sched_shutdown shutdown = { .reason = reason };

	/* The last lines reach the log before the domain stops. */
	console_sync();
	HYPERVISOR_sched_op(SCHEDOP_shutdown, virt_to_phys(&shutdown));
	arch_die();
}

void panic(const char *fmt, ...)
{
	va_list ap;

	console_emergency();
	console_flush();
	printk("pvos: panic: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	kernel_shutdown(SHUTDOWN_crash);
}

/* start.S calls this if pvos_main() returns, which it must not. */
void kernel_entry_returned(void)
{
	panic("pvos_main returned");
}

/*
 * Stack protector support. pvos is built with -fno-stack-protector, but a
 * packager's CFLAGS come after ours and may turn it back on; with
 * -mstack-protector-guard=global (which theirs do not override) the
 * canary is this variable rather than %fs:0x28, which pvos does not own.
 */
uintptr_t __stack_chk_guard = 0x5e1f7a5b0c4d2e91UL;

__attribute__((noreturn)) void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	panic("stack smashing detected");
}

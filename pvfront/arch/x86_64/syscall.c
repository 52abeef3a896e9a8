/*
 * syscall.c: raw Linux system calls and the one way to die without one.
 *
 * Only the hypercall transport and the escape workload call these; every
 * other system call kills the domain (pvh_trap.h).
 */
#include <pvos/arch.h>

long arch_syscall6(long nr, long a0, long a1, long a2, long a3, long a4,
		   long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;

	/* The kernel clobbers rcx (return rip) and r11 (rflags). */
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "0"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
			       "r"(r8), "r"(r9)
			     : "rcx", "r11", "memory");
	return ret;
}

void arch_die(void)
{
	for (;;)
		__asm__ __volatile__("ud2");
}

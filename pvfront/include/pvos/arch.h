/*
 * pvos/arch.h: the few x86_64 primitives the kernel needs.
 *
 * pvos runs as the only code of a sandboxed Linux process, so "the machine"
 * is the user-mode instruction set plus the system calls the sandbox
 * allows. Raw system calls live here so that the places that may issue
 * them are easy to audit: the hypercall transport, and the escape and
 * memscan workloads (which exist to prove what the sandbox refuses and
 * what it leaves readable).
 */
#ifndef PVOS_ARCH_H
#define PVOS_ARCH_H

#include <stdint.h>

/* Linux x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define ARCH_SYS_read		0
#define ARCH_SYS_write		1
#define ARCH_SYS_open		2
#define ARCH_SYS_close		3
#define ARCH_SYS_mmap		9
#define ARCH_SYS_socket		41
#define ARCH_SYS_execve		59
#define ARCH_SYS_ptrace		101
#define ARCH_SYS_ppoll		271

/* Issue a raw Linux system call; returns the kernel's value (-errno). */
long arch_syscall6(long nr, long a0, long a1, long a2, long a3, long a4,
		   long a5);

/*
 * End the process without a system call: an invalid instruction makes the
 * host kill it with SIGILL. Used only when the hypercall channel itself is
 * broken, so a shutdown hypercall cannot be delivered.
 */
__attribute__((noreturn)) void arch_die(void);

static inline uint64_t arch_rdtsc(void)
{
	uint32_t lo, hi;

	/* lfence keeps earlier instructions from drifting past the read. */
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void arch_cpu_relax(void)
{
	__asm__ __volatile__("pause" : : : "memory");
}

/* Compiler barriers suffice on x86 for loads vs loads and stores vs stores. */
#define arch_rmb()	__asm__ __volatile__("" : : : "memory")
#define arch_wmb()	__asm__ __volatile__("" : : : "memory")
#define arch_mb()	__asm__ __volatile__("mfence" : : : "memory")

#endif /* PVOS_ARCH_H */

/*
 * escape.c: init=escape escape=open|socket|ptrace|execve|mmap, and
 * escape=write-fd|close-fd fd=N.
 *
 * The guest tries one host system call the sandbox must forbid. The
 * expected outcome is that the host kills the domain at the call, and pvhv
 * reports it crashed naming the call. If the call returns instead, the
 * sandbox has failed: say so loudly and crash the domain.
 *
 * write-fd and close-fd aim at a descriptor the filter must refuse, given
 * as a full 64-bit number: the kernel reads a descriptor argument as an
 * unsigned int, so (1 << 32) | 2 is fd 2 (the runner's stderr) to it, and a
 * filter that compared all 64 bits would let it through. write-fd writes
 * WRITE_FD_TEXT, which a test can look for wherever it might have landed.
 */
#include <stddef.h>

#include <pvos/arch.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/kernel.h>
#include <pvos/string.h>
#include <pvos/xen.h>

#define LINUX_O_RDONLY		0
#define LINUX_AF_INET		2
#define LINUX_SOCK_STREAM	1
#define LINUX_PTRACE_TRACEME	0
#define LINUX_PROT_RW		0x3
#define LINUX_MAP_PRIVATE_ANON	0x22

#define WRITE_FD_TEXT		"escape: high-fd write reached its target\n"

struct escape {
	const char *name;
	const char *what;	/* the call as a reader would write it */
	long (*call)(void);
};

static long escape_open(void)
{
	return arch_syscall6(ARCH_SYS_open, (long)"/etc/passwd",
			     LINUX_O_RDONLY, 0, 0, 0, 0);
}

static long escape_socket(void)
{
	return arch_syscall6(ARCH_SYS_socket, LINUX_AF_INET, LINUX_SOCK_STREAM,
			     0, 0, 0, 0);
}

static long escape_ptrace(void)
{
	return arch_syscall6(ARCH_SYS_ptrace, LINUX_PTRACE_TRACEME, 0, 0, 0, 0,
			     0);
}

static long escape_execve(void)
{
	static const char *const argv[] = { "/bin/sh", NULL };

	return arch_syscall6(ARCH_SYS_execve, (long)argv[0], (long)argv, 0, 0,
			     0, 0);
}

static long escape_mmap(void)
{
	return arch_syscall6(ARCH_SYS_mmap, 0, 4096, LINUX_PROT_RW,
			     LINUX_MAP_PRIVATE_ANON, -1, 0);
}

/* The fd= value, or ~0 (no descriptor at all) if it is missing or bad. */
static long fd_arg(void)
{
	uint64_t fd;

	if (cmdline_get_u64("fd", ~0ull, 0, ~0ull, &fd) < 0)
		return -1;
	return (long)fd;
}

static long escape_write_fd(void)
{
	static const char text[] = WRITE_FD_TEXT;

	return arch_syscall6(ARCH_SYS_write, fd_arg(), (long)text,
			     sizeof(text) - 1, 0, 0, 0);
}

static long escape_close_fd(void)
{
	return arch_syscall6(ARCH_SYS_close, fd_arg(), 0, 0, 0, 0, 0);
}

static const struct escape escapes[] = {
	{ "open", "open(\"/etc/passwd\", O_RDONLY)", escape_open },
	{ "socket", "socket(AF_INET, SOCK_STREAM, 0)", escape_socket },
	{ "ptrace", "ptrace(PTRACE_TRACEME)", escape_ptrace },
	{ "execve", "execve(\"/bin/sh\")", escape_execve },
	{ "mmap", "mmap(NULL, 4096, PROT_READ|PROT_WRITE, "
		  "MAP_PRIVATE|MAP_ANONYMOUS)", escape_mmap },
	{ "write-fd", "write(fd=, text)", escape_write_fd },
	{ "close-fd", "close(fd=)", escape_close_fd },
};

void workload_escape(void)
{
	const char *name = cmdline_get("escape", "open");
	long r;

	for (size_t i = 0; i < ARRAY_SIZE(escapes); i++) {
		if (strcmp(escapes[i].name, name) != 0)
			continue;
		printk("escape: calling %s; the sandbox must kill this domain\n",
		       escapes[i].what);
		console_flush();
		r = escapes[i].call();
		printk("escape: SANDBOX FAILED: %s returned %ld\n", name, r);
		kernel_shutdown(SHUTDOWN_crash);
	}
	printk("escape: unknown escape=%s; known:", name);
	for (size_t i = 0; i < ARRAY_SIZE(escapes); i++)
		printk(" %s", escapes[i].name);
	printk("\n");
	kernel_shutdown(SHUTDOWN_crash);
}

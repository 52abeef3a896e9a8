/*
 * linux-profile.c: the seccomp profile of a Linux guest's runner.
 *
 * A Linux guest is User-Mode Linux: its kernel is this process and its
 * user processes are children it creates with clone() and drives with
 * ptrace(PTRACE_SYSEMU), so the guest's own system calls stop in the
 * tracer and never reach this filter. What does reach it is what UML's
 * kernel half and its per-process stubs ask of the host: memory (mmap of
 * anonymous memory or of the domain's memory at RUNNER_FD_MEM), processes
 * (clone without new namespaces, ptrace, wait4, kill), signals and timers,
 * epoll for its interrupts, and the Splitvisor descriptors. Everything
 * else goes to pvhv's listener, which kills the domain and names the call
 * (hv_domain_on_notify); the open family answers EACCES instead, because
 * glibc and UML probe a few host files (/proc/cpuinfo) and cope without.
 *
 * The list is what the patched UML 6.1 needs to boot and run fio and
 * iperf3; docs/architecture.md §16 says what it gives a hostile guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <time.h>

#include "public/pvh_trap.h"
#include "runner.h"
#include "runner-linux.h"

#define ALLOW(ctx, name) \
	seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), 0)

/* Calls with no argument a guest could turn against the host. */
static const int plain_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(close), SCMP_SYS(recvmsg), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(lseek), SCMP_SYS(fsync),
	SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(mincore),
	SCMP_SYS(wait4), SCMP_SYS(waitid),
	SCMP_SYS(kill), SCMP_SYS(tgkill), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(gettid), SCMP_SYS(setsid),
	SCMP_SYS(modify_ldt), SCMP_SYS(arch_prctl), SCMP_SYS(set_tid_address),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(sched_yield),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigsuspend), SCMP_SYS(sigaltstack),
	SCMP_SYS(timer_create), SCMP_SYS(timer_settime), SCMP_SYS(timer_gettime),
	SCMP_SYS(timer_delete), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(nanosleep),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_create), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(ppoll), SCMP_SYS(poll),
	SCMP_SYS(uname), SCMP_SYS(getrandom), SCMP_SYS(futex), SCMP_SYS(getrlimit),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(sysinfo),
};

/*
 * ptrace requests UML makes of its own children: TRACEME, PEEKUSR,
 * POKEUSR, CONT, KILL, GETREGS, SETREGS, GETFPREGS, SETFPREGS,
 * OLDSETOPTIONS (21), SYSCALL, ARCH_PRCTL (30), SYSEMU (31),
 * SYSEMU_SINGLESTEP (32), GETSIGINFO, GETREGSET, SETREGSET. Never ATTACH:
 * UML's processes ask to be traced, and nothing else is in reach.
 */
static const long ptrace_requests[] = {
	PTRACE_TRACEME, PTRACE_PEEKUSER, PTRACE_POKEUSER, PTRACE_CONT,
	PTRACE_KILL, PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_GETFPREGS,
	PTRACE_SETFPREGS, 21, PTRACE_SYSCALL, 30, 31, 32,
	PTRACE_GETSIGINFO, PTRACE_GETREGSET, PTRACE_SETREGSET,
};

/* fcntl commands UML uses to make a descriptor raise SIGIO. */
static const int fcntl_cmds[] = {
	F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_SETOWN, F_SETSIG, F_GETOWN,
};

static int add_memory(scmp_filter_ctx ctx)
{
	int rc = 0;

	/* Anonymous memory, or the domain's own at RUNNER_FD_MEM. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A4(SCMP_CMP_EQ, RUNNER_FD_MEM));
	return rc;
}

static int add_processes(scmp_filter_ctx ctx)
{
	const int new_ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
			   CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
	int rc = 0;

	/* clone without new namespaces; clone3 hides its flags: ENOSYS. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			       SCMP_A0(SCMP_CMP_MASKED_EQ, new_ns, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (size_t i = 0; i < sizeof(ptrace_requests) / sizeof(ptrace_requests[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 1,
				       SCMP_A0(SCMP_CMP_EQ, ptrace_requests[i]));
	/* Read the limits, never raise them. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
			       SCMP_A2(SCMP_CMP_EQ, 0));
	return rc;
}

static int add_descriptors(scmp_filter_ctx ctx)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				       SCMP_A1(SCMP_CMP_EQ, fcntl_cmds[i]));
	/* UML's helper threads' wake-up pipes are socketpairs. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
			       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	rc |= ALLOW(ctx, pipe2);
	rc |= ALLOW(ctx, pipe);
	/* The one exec: the guest image, by descriptor. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 2,
			       SCMP_A0(SCMP_CMP_EQ, RUNNER_FD_KERNEL),
			       SCMP_A4(SCMP_CMP_EQ, AT_EMPTY_PATH));
	/* Host files: there are none to reach; say so instead of killing. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(access), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(readlink), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0);
	return rc;
}

int linux_profile_add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(plain_calls) / sizeof(plain_calls[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain_calls[i], 0);
	rc |= add_memory(ctx);
	rc |= add_processes(ctx);
	rc |= add_descriptors(ctx);
	return rc;
}

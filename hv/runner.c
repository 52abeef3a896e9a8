/*
 * runner.c: pvhv-runner, the process a domain runs in.
 *
 * pvhv forks and execs this with the domain's descriptors in fixed places:
 * PVH_FD_HCALL (3), PVH_FD_EVENT (4) and the memory memfd at RUNNER_FD_MEM
 * (5). The runner then, in order:
 *
 *   1. maps the memfd at PVH_GUEST_BASE and closes it;
 *   2. enters fresh mount, network, IPC, UTS, PID and cgroup namespaces
 *      and chroots into an empty directory;
 *   3. sets rlimits (no files, no processes, no core dumps);
 *   4. drops to the domain's unprivileged uid and gid, with no groups;
 *   5. sets no_new_privs, a parent-death signal and non-dumpable;
 *   6. loads a seccomp allow-list: read/write/recvmsg on the hypercall
 *      socket, read on the event fd, ppoll, write and close on the
 *      descriptors it receives for the event channel fast path.
 *      Anything else is reported to pvhv through a seccomp listener
 *      (pvhv records the call and kills the domain) or, on kernels
 *      without listeners, kills the process outright;
 *   7. tells pvhv it is ready, waits for "go", and jumps to the kernel's
 *      entry with %rsi = start_info and the boot stack.
 *
 * After step 7 this process is the guest: everything it can do, the guest
 * can do, so by then it must hold nothing but the domain's own
 * descriptors. Setup failures exit with RUNNER_EXIT_SETUP and a message on
 * stderr, which pvhv's log receives.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "public/pvh_layout.h"
#include "public/pvh_trap.h"
#include "runner.h"

struct runner_args {
	uint32_t domid;
	uint64_t mem_size;
	uint64_t entry;
	uint64_t start_info;
	uint64_t stack;
	uid_t uid;
	gid_t gid;
	pid_t parent;
	const char *chroot_dir;
	bool no_ns;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("pvhv-runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(RUNNER_EXIT_SETUP);
}

static uint64_t num_arg(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s)
		die("bad --%s '%s'", what, s);
	return v;
}

static void parse_args(int argc, char **argv, struct runner_args *a)
{
	static const struct option opts[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "mem-size", required_argument, NULL, 'm' },
		{ "entry", required_argument, NULL, 'e' },
		{ "start-info", required_argument, NULL, 's' },
		{ "stack", required_argument, NULL, 'k' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "parent", required_argument, NULL, 'p' },
		{ "chroot", required_argument, NULL, 'c' },
		{ "no-namespaces", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->domid = (uint32_t)num_arg(optarg, "domid"); break;
		case 'm': a->mem_size = num_arg(optarg, "mem-size"); break;
		case 'e': a->entry = num_arg(optarg, "entry"); break;
		case 's': a->start_info = num_arg(optarg, "start-info"); break;
		case 'k': a->stack = num_arg(optarg, "stack"); break;
		case 'u': a->uid = (uid_t)num_arg(optarg, "uid"); break;
		case 'g': a->gid = (gid_t)num_arg(optarg, "gid"); break;
		case 'p': a->parent = (pid_t)num_arg(optarg, "parent"); break;
		case 'c': a->chroot_dir = optarg; break;
		case 'n': a->no_ns = true; break;
		default: die("usage: pvhv-runner is started by pvhv only");
		}
	}
	if (!a->mem_size || !a->entry || !a->start_info || !a->stack || !a->uid ||
	    !a->gid || !a->parent || !a->chroot_dir)
		die("missing arguments; pvhv-runner is started by pvhv only");
}

static void map_memory(const struct runner_args *a)
{
	void *p = mmap((void *)PVH_GUEST_BASE, a->mem_size, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_SHARED | MAP_FIXED_NOREPLACE, RUNNER_FD_MEM, 0);

	if (p == MAP_FAILED)
		die("domain %u: cannot map %lu bytes of memory at %#lx: %s", a->domid,
		    (unsigned long)a->mem_size, PVH_GUEST_BASE, strerror(errno));
	if (p != (void *)PVH_GUEST_BASE)
		die("domain %u: memory landed at %p, not %#lx", a->domid, p, PVH_GUEST_BASE);
	close(RUNNER_FD_MEM);
}

static void confine(const struct runner_args *a)
{
	static const struct { int res; rlim_t lim; } limits[] = {
		{ RLIMIT_NOFILE, PVH_FD_MAX }, { RLIMIT_NPROC, 0 }, { RLIMIT_FSIZE, 0 },
		{ RLIMIT_CORE, 0 }, { RLIMIT_MEMLOCK, 0 }, { RLIMIT_MSGQUEUE, 0 },
	};
	int ns = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
		 CLONE_NEWPID | CLONE_NEWCGROUP;

	if (!a->no_ns && unshare(ns) < 0)
		die("domain %u: unshare namespaces: %s", a->domid, strerror(errno));
	if (chroot(a->chroot_dir) < 0 || chdir("/") < 0)
		die("domain %u: chroot %s: %s", a->domid, a->chroot_dir, strerror(errno));
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl = { limits[i].lim, limits[i].lim };

		if (setrlimit(limits[i].res, &rl) < 0)
			die("domain %u: setrlimit %d: %s", a->domid, limits[i].res, strerror(errno));
	}
	if (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0 ||
	    setresuid(a->uid, a->uid, a->uid) < 0)
		die("domain %u: drop to uid %u: %s", a->domid, (unsigned)a->uid, strerror(errno));
	if (setuid(0) == 0)
		die("domain %u: could regain root after dropping it", a->domid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("domain %u: prctl: %s", a->domid, strerror(errno));
	if (getppid() != a->parent)
		die("domain %u: pvhv went away during start-up", a->domid);
}

static int add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
			       SCMP_A0(SCMP_CMP_EQ, PVH_FD_HCALL));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
			       SCMP_A0(SCMP_CMP_EQ, PVH_FD_EVENT));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
			       SCMP_A0(SCMP_CMP_EQ, PVH_FD_HCALL));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
			       SCMP_A0(SCMP_CMP_EQ, PVH_FD_HCALL));
	/* The fast path: eventfds dom0 polls, received from pvhv. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
			       SCMP_A0(SCMP_CMP_GE, PVH_FD_FIRST_PORT));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ppoll), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(close), 1,
			       SCMP_A0(SCMP_CMP_GE, RUNNER_FD_MEM));
	return rc;
}

/* Loads the filter; returns the listener descriptor, or -1 without one. */
static int load_filter(const struct runner_args *a)
{
	scmp_filter_ctx ctx = NULL;
	int fd = -1;

	if (seccomp_api_get() >= 5)
		ctx = seccomp_init(SCMP_ACT_NOTIFY);
	if (ctx && (add_rules(ctx) || seccomp_load(ctx))) {
		seccomp_release(ctx);
		ctx = NULL;
	}
	if (ctx) {
		fd = seccomp_notify_fd(ctx);
		return fd;	/* the context stays: it owns nothing we need back */
	}
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx || add_rules(ctx) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) ||
	    seccomp_load(ctx))
		die("domain %u: cannot load the seccomp filter", a->domid);
	return -1;
}

static void handshake(int notify_fd)
{
	struct pvh_runner_msg msg = {
		.magic = PVH_RUNNER_MAGIC, .type = PVH_RUNNER_READY, .notify_fd = notify_fd,
	};

	/* Only calls the filter allows from here on. */
	if (write(PVH_FD_HCALL, &msg, sizeof(msg)) != sizeof(msg))
		_exit(RUNNER_EXIT_SETUP);
	if (read(PVH_FD_HCALL, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.magic != PVH_RUNNER_MAGIC || msg.type != PVH_RUNNER_GO)
		_exit(RUNNER_EXIT_SETUP);
	if (notify_fd >= 0)
		close(notify_fd);
}

/*
 * Enters the guest: the boot stack, %rsi = start_info, every other
 * general-purpose register zero. The entry address travels on the guest's
 * own stack so that no register has to hold it.
 */
static void __attribute__((noreturn)) enter_guest(uint64_t entry, uint64_t si, uint64_t sp)
{
	__asm__ volatile(
		"mov %2, %%rsp\n\t"
		"push %0\n\t"
		"mov %1, %%rsi\n\t"
		"xor %%eax, %%eax\n\t" "xor %%ebx, %%ebx\n\t" "xor %%ecx, %%ecx\n\t"
		"xor %%edx, %%edx\n\t" "xor %%edi, %%edi\n\t" "xor %%ebp, %%ebp\n\t"
		"xor %%r8d, %%r8d\n\t" "xor %%r9d, %%r9d\n\t" "xor %%r10d, %%r10d\n\t"
		"xor %%r11d, %%r11d\n\t" "xor %%r12d, %%r12d\n\t" "xor %%r13d, %%r13d\n\t"
		"xor %%r14d, %%r14d\n\t" "xor %%r15d, %%r15d\n\t"
		"cld\n\t"
		"ret\n\t"
		: : "r"(entry), "r"(si), "r"(sp) : "memory");
	__builtin_unreachable();
}

int main(int argc, char **argv)
{
	struct runner_args a = { 0 };
	int notify_fd;

	parse_args(argc, argv, &a);
	map_memory(&a);
	confine(&a);
	notify_fd = load_filter(&a);
	handshake(notify_fd);
	enter_guest(a.entry, a.start_info, a.stack);
}

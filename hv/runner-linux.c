/*
 * runner-linux.c: pvhv-runner-linux, the process a Linux guest runs in.
 *
 * A Linux guest is User-Mode Linux patched as a Splitvisor guest
 * (pvfront/linux/): a static Linux program, exec'd rather than entered.
 * pvhv clones this runner into a fresh PID namespace (linux-guest.c), so
 * it and then UML are pid 1 there and UML's death takes every process
 * it made, with the domain's descriptors in place: PVH_FD_HCALL (3), the
 * event pipe's read end at PVH_FD_EVENT (4), the memory memfd at
 * RUNNER_FD_MEM (5) and the kernel image at RUNNER_FD_KERNEL (7). Then:
 *
 *   1. fresh mount, network, IPC, UTS and cgroup namespaces, and a chroot
 *      into the empty directory, as for pvos;
 *   2. rlimits that bound a whole UML (its processes, its descriptors;
 *      writes only into its own memory file);
 *   3. no address space randomisation, so UML's layout is exact;
 *   4. the domain's uid and gid, no groups, no_new_privs and a
 *      parent-death signal;
 *   5. the Linux seccomp profile (linux-profile.c) with pvhv as listener;
 *   6. the READY/GO handshake of public/pvh_trap.h;
 *   7. execveat() of the image with the command line the builder wrote
 *      into start_info and mem= set to the domain's memory.
 *
 * UML then copies itself into the domain's memory and maps all of it
 * (its arch/um/os-Linux/splitvisor.c). Set-up failures exit with
 * RUNNER_EXIT_SETUP and a message on stderr, which pvhv's log receives.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xen/xen.h>

#include "public/pvh_layout.h"
#include "public/pvh_trap.h"
#include "runner.h"
#include "runner-linux.h"

#define MAX_ARGS	64
#define LINUX_NPROC	256	/* UML's kernel, helpers and one per guest process */

struct args {
	uint32_t domid;
	uint64_t mem_size;
	uid_t uid;
	gid_t gid;
	const char *chroot_dir;
	bool no_ns;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("pvhv-runner-linux: ", stderr);
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

static void parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "mem-size", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "chroot", required_argument, NULL, 'c' },
		{ "no-namespaces", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->domid = (uint32_t)num_arg(optarg, "domid"); break;
		case 'm': a->mem_size = num_arg(optarg, "mem-size"); break;
		case 'u': a->uid = (uid_t)num_arg(optarg, "uid"); break;
		case 'g': a->gid = (gid_t)num_arg(optarg, "gid"); break;
		case 'c': a->chroot_dir = optarg; break;
		case 'n': a->no_ns = true; break;
		default: die("usage: pvhv-runner-linux is started by pvhv only");
		}
	}
	if (!a->mem_size || !a->uid || !a->gid || !a->chroot_dir)
		die("missing arguments; pvhv-runner-linux is started by pvhv only");
}

static void confine(const struct args *a)
{
	const struct { int res; rlim_t lim; } limits[] = {
		{ RLIMIT_NOFILE, PVH_FD_MAX }, { RLIMIT_NPROC, LINUX_NPROC },
		{ RLIMIT_FSIZE, a->mem_size }, { RLIMIT_CORE, 0 },
		{ RLIMIT_MEMLOCK, 0 }, { RLIMIT_MSGQUEUE, 0 },
	};
	int ns = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

	if (!a->no_ns && getpid() != 1)
		die("domain %u: not pid 1 of its own PID namespace", a->domid);
	if (!a->no_ns && unshare(ns) < 0)
		die("domain %u: unshare namespaces: %s", a->domid, strerror(errno));
	if (chroot(a->chroot_dir) < 0 || chdir("/") < 0)
		die("domain %u: chroot %s: %s", a->domid, a->chroot_dir, strerror(errno));
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl = { limits[i].lim, limits[i].lim };

		if (setrlimit(limits[i].res, &rl) < 0)
			die("domain %u: setrlimit %d: %s", a->domid, limits[i].res, strerror(errno));
	}
	if (personality(ADDR_NO_RANDOMIZE) < 0)
		die("domain %u: personality: %s", a->domid, strerror(errno));
	if (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0 ||
	    setresuid(a->uid, a->uid, a->uid) < 0)
		die("domain %u: drop to uid %u: %s", a->domid, (unsigned)a->uid, strerror(errno));
	if (setuid(0) == 0)
		die("domain %u: could regain root after dropping it", a->domid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die("domain %u: prctl: %s", a->domid, strerror(errno));
	if (fcntl(RUNNER_FD_KERNEL, F_SETFD, FD_CLOEXEC) < 0)
		die("domain %u: no kernel image at descriptor %d", a->domid, RUNNER_FD_KERNEL);
}

/*
 * UML's argv: the builder's command line from start_info, split at
 * spaces (UML joins its arguments with spaces again), and mem= for the
 * whole domain. Returns the argument count.
 */
static int make_argv(const struct args *a, char *cmdline, size_t cmdlen,
		     char *mem_arg, size_t memlen, char **argv)
{
	/* Static: argv outlives this function, a compound literal does not. */
	static char name[] = "linux";
	off_t off = (off_t)(PVH_START_INFO_PFN << PVH_PAGE_SHIFT) +
		    (off_t)offsetof(start_info_t, cmd_line);
	ssize_t n = pread(RUNNER_FD_MEM, cmdline, cmdlen - 1, off);
	int argc = 0;
	char *save = NULL;

	if (n < 0)
		die("domain %u: reading start_info: %s", a->domid, strerror(errno));
	cmdline[n] = '\0';
	snprintf(mem_arg, memlen, "mem=%lluK", (unsigned long long)(a->mem_size >> 10));
	argv[argc++] = name;
	argv[argc++] = mem_arg;
	for (char *w = strtok_r(cmdline, " \t\n", &save); w && argc < MAX_ARGS - 1;
	     w = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return argc;
}

static int load_filter(const struct args *a)
{
	scmp_filter_ctx ctx = NULL;
	int fd = -1;

	if (seccomp_api_get() >= 5)
		ctx = seccomp_init(SCMP_ACT_NOTIFY);
	if (ctx && (linux_profile_add_rules(ctx) || seccomp_load(ctx))) {
		seccomp_release(ctx);
		ctx = NULL;
	}
	if (ctx)
		return seccomp_notify_fd(ctx);
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx || linux_profile_add_rules(ctx) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) ||
	    seccomp_load(ctx))
		die("domain %u: cannot load the seccomp filter", a->domid);
	return fd;
}

static void handshake(int notify_fd)
{
	struct pvh_runner_msg msg = {
		.magic = PVH_RUNNER_MAGIC, .type = PVH_RUNNER_READY, .notify_fd = notify_fd,
	};

	if (write(PVH_FD_HCALL, &msg, sizeof(msg)) != sizeof(msg))
		_exit(RUNNER_EXIT_SETUP);
	if (read(PVH_FD_HCALL, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.magic != PVH_RUNNER_MAGIC || msg.type != PVH_RUNNER_GO)
		_exit(RUNNER_EXIT_SETUP);
	if (notify_fd >= 0)
		close(notify_fd);
}

int main(int argc, char **argv)
{
	static char cmdline[MAX_GUEST_CMDLINE + 1];
	char mem_arg[32], *guest_argv[MAX_ARGS], *envp[] = { NULL };
	struct args a = { 0 };
	int notify_fd;

	parse_args(argc, argv, &a);
	confine(&a);
	make_argv(&a, cmdline, sizeof(cmdline), mem_arg, sizeof(mem_arg), guest_argv);
	notify_fd = load_filter(&a);
	handshake(notify_fd);
	syscall(SYS_execveat, RUNNER_FD_KERNEL, "", guest_argv, envp, AT_EMPTY_PATH);
	_exit(RUNNER_EXIT_SETUP);
}

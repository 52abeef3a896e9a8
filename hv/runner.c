/*
 * runner.c: pvhv-runner, the process a domain runs in.
 *
 * pvhv forks and execs this with an empty environment, only the numbers
 * it needs on its command line, and the domain's descriptors in fixed
 * places: PVH_FD_HCALL (3), PVH_FD_EVENT (4), the memory memfd at
 * RUNNER_FD_MEM (5), the directory to chroot into at RUNNER_FD_ROOT (6)
 * and, with a device model, the ioreq socket at PVH_FD_IOREQ (255); fd 2
 * is pvhv's log. The runner then, in order:
 *
 *   0. scrubs its command line and the strings the kernel put on its
 *      stack (below), and points 0, 1 and 2 at /dev/null, keeping the log
 *      only at a number the filter lets it close;
 *   1. maps the memfd at PVH_GUEST_BASE and closes it;
 *   2. enters fresh mount, network, IPC, UTS, PID and cgroup namespaces
 *      and chroots into the directory at RUNNER_FD_ROOT, closing it;
 *   3. sets rlimits (no files, no processes, no core dumps);
 *   4. drops to the domain's unprivileged uid and gid, with no groups;
 *   5. sets no_new_privs, a parent-death signal and non-dumpable;
 *   6. installs the port I/O trap handler (below) and loads a seccomp
 *      allow-list: read/write/recvmsg on the hypercall socket, read on
 *      the event fd, ppoll, write and close on the descriptors it
 *      receives for the event channel fast path, read and write on the
 *      ioreq socket, rt_sigreturn for the trap handler, and exit_group
 *      with the one status that reports a failed ioreq.
 *      Anything else is reported to pvhv through a seccomp listener
 *      (pvhv records the call and kills the domain) or, on kernels
 *      without listeners, kills the process outright;
 *   7. tells pvhv it is ready, waits for "go", closes the listener and
 *      the log, zeroes the stack it used, and jumps to the kernel's entry
 *      with %rsi = start_info and the boot stack.
 *
 * After step 7 this process is the guest: everything it can do, the guest
 * can do, and everything in its address space the guest can read (the
 * thread pointer leads to every mapping). So by then it must hold nothing
 * but the domain's own descriptors (0-2 are /dev/null, which the filter
 * does not let it use), and its memory nothing of the host's: no
 * environment (pvhv passes none, and whatever a hand-started runner got is
 * zeroed), no arguments beyond argv[0], no executable path or platform
 * string from the auxiliary vector, no pvhv pid or descriptor numbers in
 * dead stack frames. Setup failures exit with RUNNER_EXIT_SETUP and a
 * message on pvhv's log.
 *
 * Trap-and-emulate. The guest runs without I/O privilege, so its in, out,
 * ins and outs fault with #GP, which Linux delivers as SIGSEGV with
 * si_code SI_KERNEL. The handler, on its own stack outside guest memory,
 * decodes the instruction at %rip (pio-decode.c), sends one ioreq to the
 * device model over PVH_FD_IOREQ and waits for the answer (public/
 * pvh_ioreq.h), writes the result into the saved registers or guest memory
 * and returns past the instruction. A rep ins/outs is served in chunks of
 * at most PVH_IOREQ_DATA_MAX bytes; %rip stays put until %rcx reaches zero,
 * so the instruction traps again for the next chunk. Without a device
 * model, reads return all ones and writes are dropped. Any other fault
 * (or a port instruction whose memory operand lies outside guest memory)
 * blocks SIGSEGV in the saved mask and returns: the instruction faults
 * again, the kernel forces the default action, and pvhv reports the
 * domain killed by SIGSEGV. A failed ioreq exits with RUNNER_EXIT_IOREQ.
 * rt_sigreturn gives the guest nothing it lacks: it already owns every
 * register and every byte of this process.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
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
#include <ucontext.h>
#include <unistd.h>

#include "pio-decode.h"
#include "public/pvh_ioreq.h"
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
	pid_t parent;		/* pvhv, as it was when we started */
	bool no_ns;
	bool ioreq;
};

/* The trap handler's state: set before the guest runs, then its own. */
static struct {
	uint64_t mem_size;
	bool ioreq;
	uint32_t seq;
	uint8_t req[PVH_IOREQ_MSG_MAX];
	uint8_t rsp[sizeof(struct pvh_ioreq_rsp) + PVH_IOREQ_DATA_MAX];
	uint8_t data[PVH_IOREQ_DATA_MAX];
} trap;

static uint8_t trap_stack[64 * 1024] __attribute__((aligned(64)));

/* pvhv's log: fd 2 at exec, then a copy the filter lets us close. */
static int log_fd = STDERR_FILENO;

/* How much dead stack scrub_stack() zeroes: set-up uses far less. */
#define SCRUB_STACK_BYTES	(128 * 1024)

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "pvhv-runner: ");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(msg);
	msg[n++] = '\n';
	if (write(log_fd, msg, (size_t)n) < 0)
		_exit(RUNNER_EXIT_SETUP);
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
		{ "no-namespaces", no_argument, NULL, 'n' },
		{ "ioreq", no_argument, NULL, 'i' },
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
		case 'n': a->no_ns = true; break;
		case 'i': a->ioreq = true; break;
		default: die("usage: pvhv-runner is started by pvhv only");
		}
	}
	if (!a->mem_size || !a->entry || !a->start_info || !a->stack || !a->uid || !a->gid)
		die("missing arguments; pvhv-runner is started by pvhv only");
}

static void zero_string(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
}

/*
 * Zeroes what exec put on our stack beyond argv[0]: the other argument
 * strings, the environment, and the auxiliary vector's strings (the
 * executable's path, the platform names) and random bytes, which libc has
 * consumed by now. Their pointers go too. argv[0] stays so that ps still
 * names us; pvhv makes it "pvhv-runner".
 */
static void scrub_exec_strings(int argc, char **argv, char **envp)
{
	Elf64_auxv_t *av;
	char **e;

	for (int i = 1; i < argc; i++) {
		zero_string(argv[i]);
		argv[i] = NULL;
	}
	for (e = envp; *e; e++) {
		zero_string(*e);
		*e = NULL;
	}
	/* The auxiliary vector follows the environment's NULL. */
	for (av = (Elf64_auxv_t *)(e + 1); av->a_type != AT_NULL; av++) {
		char *p = (char *)(uintptr_t)av->a_un.a_val;

		switch (av->a_type) {
		case AT_EXECFN: case AT_PLATFORM: case AT_BASE_PLATFORM:
			zero_string(p);
			av->a_un.a_val = 0;
			break;
		case AT_RANDOM:
			if (p)
				explicit_bzero(p, 16);
			av->a_un.a_val = 0;
			break;
		default:
			break;
		}
	}
}

/*
 * Points 0, 1 and 2 at /dev/null (so that no descriptor we receive later
 * lands there) and keeps pvhv's log at a number of PVH_FD_FIRST_PORT or
 * more, which handshake() can still close once the filter is in place.
 */
static void detach_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, PVH_FD_FIRST_PORT);

	if (null < 0 || log < 0)
		die("cannot open /dev/null: %s", strerror(errno));
	log_fd = log;
	for (int fd = 0; fd <= STDERR_FILENO; fd++) {
		if (dup2(null, fd) < 0)
			die("cannot point fd %d at /dev/null: %s", fd, strerror(errno));
	}
	close(null);
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

	/* Into the directory first: unshare then carries our cwd over into
	 * the new mount namespace, and chroot(".") roots us there. An open
	 * directory outside the root is a way out, so it is closed at once. */
	if (fchdir(RUNNER_FD_ROOT) < 0 || close(RUNNER_FD_ROOT) < 0)
		die("domain %u: cannot enter the directory at fd %d: %s", a->domid,
		    RUNNER_FD_ROOT, strerror(errno));
	if (!a->no_ns && unshare(ns) < 0)
		die("domain %u: unshare namespaces: %s", a->domid, strerror(errno));
	if (chroot(".") < 0 || chdir("/") < 0)
		die("domain %u: chroot into its empty directory: %s", a->domid, strerror(errno));
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
	/* Changing uid cleared the parent-death signal pvhv set before exec:
	 * set it again, then make sure pvhv did not die in between. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("domain %u: prctl: %s", a->domid, strerror(errno));
	if (getppid() != a->parent)
		die("domain %u: pvhv went away during start-up", a->domid);
}

/* True when [addr, addr + len) lies inside guest memory. */
static bool guest_range(uint64_t addr, uint64_t len)
{
	return addr >= PVH_GUEST_BASE && len <= trap.mem_size &&
	       addr - PVH_GUEST_BASE <= trap.mem_size - len;
}

static ssize_t io_retry(bool rd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = rd ? read(PVH_FD_IOREQ, buf, len) : write(PVH_FD_IOREQ, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * One ioreq round trip: count items of size bytes at port, out of or into
 * trap.data. Without a device model the runner answers itself.
 */
static void ioreq(uint16_t port, uint8_t size, bool in, uint32_t count)
{
	struct pvh_ioreq *q = (struct pvh_ioreq *)trap.req;
	const struct pvh_ioreq_rsp *r = (const struct pvh_ioreq_rsp *)trap.rsp;
	size_t bytes = (size_t)count * size;
	size_t qlen = sizeof(*q) + (in ? 0 : bytes);
	size_t want = sizeof(*r) + (in ? bytes : 0);

	if (!trap.ioreq) {
		if (in)
			memset(trap.data, 0xff, bytes);
		return;
	}
	*q = (struct pvh_ioreq){
		.magic = PVH_IOREQ_MAGIC, .seq = ++trap.seq, .port = port, .size = size,
		.dir = in ? PVH_IOREQ_IN : PVH_IOREQ_OUT, .count = count,
	};
	if (!in)
		memcpy(q + 1, trap.data, bytes);
	if (io_retry(false, q, qlen) != (ssize_t)qlen ||
	    io_retry(true, trap.rsp, sizeof(trap.rsp)) != (ssize_t)want ||
	    r->magic != PVH_IOREQ_MAGIC || r->seq != trap.seq ||
	    r->status != PVH_IOREQ_OK || r->count != count)
		_exit(RUNNER_EXIT_IOREQ);
	if (in)
		memcpy(trap.data, r + 1, bytes);
}

/* in/out: one item between %al/%ax/%eax and the port. */
static void emulate_simple(greg_t *g, const struct pio_insn *in, uint16_t port)
{
	uint32_t v = (uint32_t)g[REG_RAX];

	if (!in->in)
		memcpy(trap.data, &v, in->size);
	ioreq(port, in->size, in->in, 1);
	if (in->in) {
		uint64_t rax = (uint64_t)g[REG_RAX];

		v = 0;
		memcpy(&v, trap.data, in->size);
		if (in->size == 1)
			rax = (rax & ~0xffull) | v;
		else if (in->size == 2)
			rax = (rax & ~0xffffull) | v;
		else
			rax = v;	/* a 32-bit write zero-extends */
		g[REG_RAX] = (greg_t)rax;
	}
	g[REG_RIP] += in->len;
}

/*
 * ins/outs, with or without rep: one chunk per trap. Returns false when
 * the memory operand lies outside guest memory (a real fault).
 */
static bool emulate_string(greg_t *g, const struct pio_insn *in, uint16_t port)
{
	uint64_t amask = in->addr_size == 4 ? 0xffffffffull : ~0ull;
	uint64_t count = in->rep ? (uint64_t)g[REG_RCX] & amask : 1;
	bool down = (g[REG_EFL] & 0x400) != 0;	/* EFLAGS.DF */
	int reg = in->in ? REG_RDI : REG_RSI;
	uint64_t addr = (uint64_t)g[reg] & amask, span, lo, chunk;
	uint8_t *mem;

	if (count == 0) {
		g[REG_RIP] += in->len;
		return true;
	}
	chunk = count < PVH_IOREQ_DATA_MAX / in->size ? count : PVH_IOREQ_DATA_MAX / in->size;
	span = (chunk - 1) * in->size;
	if (down && addr < span)
		return false;
	lo = down ? addr - span : addr;
	if (!guest_range(lo, chunk * in->size))
		return false;
	mem = (uint8_t *)(uintptr_t)lo;
	/* Item i lives at addr + i*size, or addr - i*size going down. */
	if (!in->in) {
		for (uint64_t i = 0; i < chunk; i++)
			memcpy(trap.data + i * in->size,
			       mem + (down ? span - i * in->size : i * in->size), in->size);
	}
	ioreq(port, in->size, in->in, (uint32_t)chunk);
	if (in->in) {
		for (uint64_t i = 0; i < chunk; i++)
			memcpy(mem + (down ? span - i * in->size : i * in->size),
			       trap.data + i * in->size, in->size);
	}
	addr = down ? addr - chunk * in->size : addr + chunk * in->size;
	if (in->addr_size == 4)
		g[reg] = (greg_t)(addr & amask);
	else
		g[reg] = (greg_t)addr;
	if (in->rep)
		g[REG_RCX] = (greg_t)((count - chunk) & amask);
	if (!in->rep || count == chunk)
		g[REG_RIP] += in->len;
	return true;
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	struct pio_insn in;
	uint16_t port;

	(void)sig;
	if (si->si_code != SI_KERNEL || !guest_range(rip, 1))
		goto fatal;
	if (pio_decode((const uint8_t *)(uintptr_t)rip,
		       trap.mem_size - (rip - PVH_GUEST_BASE), &in) != PIO_OK)
		goto fatal;
	port = in.port_imm ? in.imm : (uint16_t)g[REG_RDX];
	if (!in.string) {
		emulate_simple(g, &in, port);
		return;
	}
	if (emulate_string(g, &in, port))
		return;
fatal:
	/* Refault with SIGSEGV blocked: the kernel then kills the process. */
	sigaddset(&uc->uc_sigmask, SIGSEGV);
}

static void install_trap(const struct runner_args *a)
{
	stack_t ss = { .ss_sp = trap_stack, .ss_size = sizeof(trap_stack) };
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK };

	trap.mem_size = a->mem_size;
	trap.ioreq = a->ioreq;
	sigemptyset(&sa.sa_mask);
	if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGSEGV, &sa, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("domain %u: cannot install the port I/O trap: %s", a->domid, strerror(errno));
}

/*
 * Allows syscall nr when its descriptor (argument 0) is in [lo, hi] as the
 * kernel sees it. Descriptor arguments are unsigned int: the kernel uses
 * the low 32 bits of the register, while a seccomp comparison sees all
 * 64, so write((1 << 32) | 2) must be judged as write(2). Each rule
 * therefore masks the upper half away (SCMP_CMP_MASKED_EQ with a 32-bit
 * mask); a range is cut into aligned power-of-two blocks, one rule each.
 */
static int allow_fds(scmp_filter_ctx ctx, int nr, uint32_t lo, uint32_t hi)
{
	int rc = 0;

	while (lo <= hi) {
		uint64_t block = lo ? (uint64_t)(lo & -lo) : 1ull << 32;

		while (block > (uint64_t)hi - lo + 1)
			block >>= 1;
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, (uint32_t)~(block - 1), lo));
		if ((uint64_t)lo + block > hi)
			break;
		lo += (uint32_t)block;
	}
	return rc;
}

static int add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

	rc |= allow_fds(ctx, SCMP_SYS(read), PVH_FD_HCALL, PVH_FD_EVENT);
	rc |= allow_fds(ctx, SCMP_SYS(write), PVH_FD_HCALL, PVH_FD_HCALL);
	rc |= allow_fds(ctx, SCMP_SYS(recvmsg), PVH_FD_HCALL, PVH_FD_HCALL);
	/* The fast path: eventfds dom0 polls, received from pvhv, and the
	 * ioreq socket at PVH_FD_IOREQ; RLIMIT_NOFILE keeps them all below
	 * PVH_FD_MAX. The same range may be closed. */
	rc |= allow_fds(ctx, SCMP_SYS(write), PVH_FD_FIRST_PORT, PVH_FD_MAX - 1);
	rc |= allow_fds(ctx, SCMP_SYS(close), PVH_FD_FIRST_PORT, PVH_FD_MAX - 1);
	/* The descriptors in ppoll's array are in memory, out of the
	 * filter's reach; polling only reports readiness. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ppoll), 0);
	/* The port I/O trap: the ioreq socket (write is above). */
	rc |= allow_fds(ctx, SCMP_SYS(read), PVH_FD_IOREQ, PVH_FD_IOREQ);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigreturn), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 1,
			       SCMP_A0(SCMP_CMP_EQ, RUNNER_EXIT_IOREQ));
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
	close(log_fd);
	log_fd = -1;
}

/*
 * Zeroes the dead stack below this frame, where set-up left pvhv's pid,
 * descriptor numbers and libseccomp's work: the guest can read it.
 */
static void __attribute__((noinline)) scrub_stack(void)
{
	uint8_t dead[SCRUB_STACK_BYTES];

	explicit_bzero(dead, sizeof(dead));
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

int main(int argc, char **argv, char **envp)
{
	struct runner_args a = { .parent = getppid() };
	uint64_t entry, si, sp;
	int notify_fd;

	parse_args(argc, argv, &a);
	scrub_exec_strings(argc, argv, envp);
	detach_stdio();
	map_memory(&a);
	confine(&a);
	install_trap(&a);
	notify_fd = load_filter(&a);
	handshake(notify_fd);
	entry = a.entry;
	si = a.start_info;
	sp = a.stack;
	explicit_bzero(&a, sizeof(a));
	scrub_stack();
	enter_guest(entry, si, sp);
}

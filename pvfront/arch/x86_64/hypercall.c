/*
 * hypercall.c: the hypercall transport of pvh_trap.h.
 *
 * A hypercall is one pvh_hcall_req written to PVH_FD_HCALL and one
 * pvh_hcall_rsp read back, with raw system calls (syscall.c): pvos has no
 * libc, and the sandbox allows exactly these calls. Blocking waits are a
 * ppoll on PVH_FD_EVENT followed by a read that clears the eventfd.
 */
#include <stdint.h>

#include <public/pvh_trap.h>
#include <pvos/arch.h>
#include <pvos/errno.h>
#include <pvos/hypercall.h>
#include <pvos/xen.h>

#define POLLIN		0x0001
#define KERNEL_SIGSET_SIZE	8	/* pvh_trap.h: ppoll's last argument */

struct linux_pollfd {
	int fd;
	short events;
	short revents;
};

struct linux_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

static long sys_retry(long nr, long a0, long a1, long a2, long a3, long a4)
{
	long r;

	do
		r = arch_syscall6(nr, a0, a1, a2, a3, a4, 0);
	while (r == -EINTR);
	return r;
}

/* Linux's x86-64 recvmsg structures, for the one reply we read. */
struct linux_iovec {
	void *base;
	uint64_t len;
};

struct linux_msghdr {
	void *name;
	uint32_t namelen;
	uint32_t pad0;
	struct linux_iovec *iov;
	uint64_t iovlen;
	void *control;
	uint64_t controllen;
	int32_t flags;
	uint32_t pad1;
};

struct linux_cmsg_fd {
	uint64_t len;
	int32_t level;		/* SOL_SOCKET = 1 */
	int32_t type;		/* SCM_RIGHTS = 1 */
	int32_t fd;
	int32_t pad;
};

#define ARCH_SYS_recvmsg	47

/* The descriptor the last reply carried (pvh_trap.h's fast path), or -1. */
static int received_fd = -1;

int hypercall_take_fd(void)
{
	int fd = received_fd;

	received_fd = -1;
	return fd;
}

void arch_fd_notify(int fd)
{
	uint64_t one = 1;

	(void)sys_retry(ARCH_SYS_write, fd, (long)&one, sizeof(one), 0, 0);
}

void arch_fd_close(int fd)
{
	(void)arch_syscall6(ARCH_SYS_close, fd, 0, 0, 0, 0, 0);
}

/* Reads one reply; keeps a descriptor it carries (closing an unclaimed one). */
static long read_reply(struct pvh_hcall_rsp *rsp)
{
	struct linux_cmsg_fd cmsg = { 0 };
	struct linux_iovec iov = { rsp, sizeof(*rsp) };
	struct linux_msghdr msg = { .iov = &iov, .iovlen = 1, .control = &cmsg,
		.controllen = sizeof(cmsg) };
	long r = sys_retry(ARCH_SYS_recvmsg, PVH_FD_HCALL, (long)&msg, 0, 0, 0);

	if (r > 0 && msg.controllen >= 20 && cmsg.level == 1 && cmsg.type == 1 &&
	    cmsg.fd >= PVH_FD_FIRST_PORT) {
		if (received_fd >= 0)
			arch_fd_close(received_fd);
		received_fd = cmsg.fd;
	}
	return r;
}

long hypercall(unsigned int op, uint64_t a0, uint64_t a1, uint64_t a2,
	       uint64_t a3, uint64_t a4)
{
	struct pvh_hcall_req req = {
		.magic = PVH_HCALL_MAGIC,
		.op = op,
		.arg = { a0, a1, a2, a3, a4 },
	};
	struct pvh_hcall_rsp rsp = { 0 };
	long r;

	/*
	 * A failed or short transfer means pvhv is gone or the channel is
	 * corrupt; no caller could recover, and a shutdown hypercall would
	 * fail the same way, so the process dies.
	 */
	r = sys_retry(ARCH_SYS_write, PVH_FD_HCALL, (long)&req, sizeof(req),
		      0, 0);
	if (r != (long)sizeof(req))
		arch_die();
	r = read_reply(&rsp);
	if (r != (long)sizeof(rsp) || rsp.magic != PVH_HCALL_MAGIC ||
	    rsp.op != op)
		arch_die();
	return rsp.ret;
}

long HYPERVISOR_console_io(int cmd, unsigned int count, paddr_t buf)
{
	return hypercall(__HYPERVISOR_console_io, (uint64_t)cmd, count, buf,
			 0, 0);
}

long HYPERVISOR_sched_op(int cmd, paddr_t arg)
{
	return hypercall(__HYPERVISOR_sched_op, (uint64_t)cmd, arg, 0, 0, 0);
}

long HYPERVISOR_xen_version(int cmd, paddr_t arg)
{
	return hypercall(__HYPERVISOR_xen_version, (uint64_t)cmd, arg, 0, 0,
			 0);
}

long HYPERVISOR_memory_op(unsigned int cmd, paddr_t arg)
{
	return hypercall(__HYPERVISOR_memory_op, cmd, arg, 0, 0, 0);
}

long HYPERVISOR_set_timer_op(uint64_t deadline_ns)
{
	return hypercall(__HYPERVISOR_set_timer_op, deadline_ns, 0, 0, 0, 0);
}

long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpuid, paddr_t arg)
{
	return hypercall(__HYPERVISOR_vcpu_op, (uint64_t)cmd, vcpuid, arg, 0,
			 0);
}

long HYPERVISOR_event_channel_op(int cmd, paddr_t arg)
{
	return hypercall(__HYPERVISOR_event_channel_op, (uint64_t)cmd, arg, 0,
			 0, 0);
}

long HYPERVISOR_grant_table_op(unsigned int cmd, paddr_t args,
			       unsigned int count)
{
	return hypercall(__HYPERVISOR_grant_table_op, cmd, args, count, 0, 0);
}

int hv_event_wait(int64_t timeout_ns)
{
	struct linux_pollfd pfd = { .fd = PVH_FD_EVENT, .events = POLLIN };
	struct linux_timespec ts;
	struct linux_timespec *tsp = NULL;
	long r;

	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000LL;
		ts.tv_nsec = timeout_ns % 1000000000LL;
		tsp = &ts;
	}
	/* ppoll updates ts on EINTR, so a retry waits only the remainder. */
	r = sys_retry(ARCH_SYS_ppoll, (long)&pfd, 1, (long)tsp, 0,
		      KERNEL_SIGSET_SIZE);
	if (r < 0)
		arch_die();
	return r > 0;
}

void hv_event_clear(void)
{
	uint64_t count;

	/* Non-blocking eventfd: -EAGAIN just means nothing was written. */
	(void)sys_retry(ARCH_SYS_read, PVH_FD_EVENT, (long)&count,
			sizeof(count), 0, 0);
}

/*
 * pvh_trap.h: how a guest enters the hypervisor.
 *
 * A Splitvisor guest is a sandboxed Linux process. Instead of Xen's
 * `syscall` into ring 0, a guest makes a hypercall by writing one request
 * message to a SOCK_SEQPACKET socket that pvhv holds the other end of, then
 * reading one reply message. The socket is always file descriptor
 * PVH_FD_HCALL in the guest. The guest issues the two raw Linux system calls
 * itself:
 *
 *     write(PVH_FD_HCALL, &req, sizeof req);      SYS_write = 1
 *     read(PVH_FD_HCALL, &rsp, sizeof rsp);       SYS_read  = 0
 *
 * Hypercall numbers, sub-op numbers, argument structs and return values are
 * Xen's (xen.h, sched.h, memory.h, event_channel.h, grant_table.h, vcpu.h,
 * version.h). A pointer argument is a guest-physical address: pvhv copies
 * each argument struct out of guest memory into its own, validates the
 * copy, acts, then copies results back. Errors are negative Linux errno
 * values, which for every code Xen uses in these calls equal Xen's.
 *
 * A message of the wrong size or with the wrong magic crashes the domain;
 * an unknown hypercall or sub-op returns -ENOSYS. There is exactly one
 * request in flight per vCPU.
 *
 * Events and blocking. Every domain has an eventfd at PVH_FD_EVENT that
 * becomes readable when an event may be pending for it (pvhv or a dom0
 * backend set a bit in shared_info and then wrote the eventfd). SCHEDOP_block
 * and SCHEDOP_poll are served in the guest's own context, without a trip
 * through pvhv: the guest's hypercall layer re-checks its pending bits and
 * then waits with
 *
 *     ppoll({PVH_FD_EVENT, POLLIN}, 1, timeout, NULL, 8);   SYS_ppoll = 271
 *     read(PVH_FD_EVENT, &u64, 8);                          clears it
 *
 * The eventfd is non-blocking, so the read fails with EAGAIN when nothing
 * was written. Timers (set_timer_op, VCPUOP_set_singleshot_timer) are
 * hypercalls: pvhv raises VIRQ_TIMER, if bound, and writes the eventfd when
 * they expire.
 *
 * The event channel fast path, guest to dom0. Replies are read with
 * recvmsg (SYS_recvmsg = 47) because one may carry a descriptor: the
 * reply to EVTCHNOP_send on a port bound to dom0 attaches (SCM_RIGHTS) the
 * eventfd dom0 polls for that port. From then on the guest notifies that
 * port by writing an 8-byte 1 to the descriptor, without a hypercall,
 * until it closes the port, when it closes the descriptor too
 * (SYS_close = 3). Descriptors the guest receives are numbered from
 * PVH_FD_FIRST_PORT up; write and close are allowed on those.
 *
 * Nothing else is allowed. The runner's seccomp filter permits exactly the
 * calls above on exactly those descriptors; any other system call kills
 * the domain, and pvhv reports it crashed with the call's number and name.
 */
#ifndef PVH_TRAP_H
#define PVH_TRAP_H

#include <stdint.h>

#define PVH_FD_HCALL		3
#define PVH_FD_EVENT		4
#define PVH_FD_FIRST_PORT	5	/* descriptors received for the fast path */
#define PVH_FD_MAX		256	/* the guest's descriptor limit */

#define PVH_HCALL_MAGIC		0x4c435648u	/* "HVCL" */
#define PVH_HCALL_NARGS		5

struct pvh_hcall_req {
	uint32_t magic;			/* PVH_HCALL_MAGIC */
	uint32_t op;			/* __HYPERVISOR_* */
	uint64_t arg[PVH_HCALL_NARGS];	/* Xen's rdi, rsi, rdx, r10, r8 */
};

struct pvh_hcall_rsp {
	uint32_t magic;			/* PVH_HCALL_MAGIC */
	uint32_t op;			/* echoes the request */
	int64_t ret;			/* Xen's rax */
};

/*
 * The runner's start-up handshake on the same socket, before the guest
 * runs: the runner sends one PVH_RUNNER_READY message naming its seccomp
 * notification descriptor (or -1 if the kernel offers none), pvhv takes a
 * copy of it with pidfd_getfd() and answers PVH_RUNNER_GO; the runner then
 * closes its copy and jumps to the guest.
 */
#define PVH_RUNNER_MAGIC	0x4e555256u	/* "VRUN" */
#define PVH_RUNNER_READY	1
#define PVH_RUNNER_GO		2

struct pvh_runner_msg {
	uint32_t magic;			/* PVH_RUNNER_MAGIC */
	uint32_t type;			/* PVH_RUNNER_READY or PVH_RUNNER_GO */
	int32_t notify_fd;		/* READY: the runner's descriptor */
	int32_t pad;
};

#endif /* PVH_TRAP_H */

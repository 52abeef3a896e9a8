/*
 * pvh_ctl.h: the dom0 control protocol between the toolstack and pvhv.
 *
 * pvhv listens on the Unix socket <rundir>/pvhv.sock (SOCK_SEQPACKET, mode
 * 0600). Only root may connect: pvhv checks SO_PEERCRED on every
 * connection and closes it otherwise. A connection acts as domain 0.
 *
 * Each request is one message: struct pvh_ctl_req followed by a body of
 * req.len bytes whose layout depends on req.type. PVH_CTL_CREATE carries
 * the kernel image as an open file descriptor (SCM_RIGHTS), so the
 * toolstack resolves and opens the path and pvhv never reopens it (it keeps
 * the descriptor to rebuild the domain on reboot).
 *
 * Each reply is one message: struct pvh_ctl_rsp followed by rsp.len bytes.
 * status is 0 or a negative errno; on error the body is a NUL-terminated
 * sentence for the user that names what failed and why.
 *
 * A domain selector (struct pvh_ctl_dom) is a name or a decimal domid.
 * Strings in these structs are NUL-terminated within their arrays; pvhv
 * rejects any that are not.
 */
#ifndef PVH_CTL_H
#define PVH_CTL_H

#include <stdint.h>

#define PVH_CTL_MAGIC		0x4c544356u	/* "VCTL" */
#define PVH_CTL_SOCKET		"pvhv.sock"
#define PVH_CTL_MSG_MAX		(256 * 1024)

#define PVH_NAME_MAX		64	/* with the NUL */
#define PVH_CMDLINE_MAX		1024	/* MAX_GUEST_CMDLINE, with the NUL */
#define PVH_REASON_MAX		128

enum pvh_ctl_type {
	PVH_CTL_HOST_INFO = 1,	/* -> struct pvh_ctl_host */
	PVH_CTL_CREATE,		/* struct pvh_ctl_create + fd -> struct pvh_ctl_created */
	PVH_CTL_LIST,		/* -> struct pvh_ctl_dominfo[] */
	PVH_CTL_DOMINFO,	/* struct pvh_ctl_dom -> struct pvh_ctl_dominfo */
	PVH_CTL_DESTROY,	/* struct pvh_ctl_dom; idempotent */
	PVH_CTL_PAUSE,		/* struct pvh_ctl_dom */
	PVH_CTL_UNPAUSE,	/* struct pvh_ctl_dom */
	PVH_CTL_EVTCHN_BIND,	/* struct pvh_ctl_evtchn -> struct pvh_ctl_evtchn + eventfd */
	PVH_CTL_EVTCHN_NOTIFY,	/* struct pvh_ctl_evtchn; no reply */
	PVH_CTL_EVTCHN_UNBIND,	/* struct pvh_ctl_evtchn */
	PVH_CTL_GNT_MAP,	/* struct pvh_ctl_gnt -> struct pvh_ctl_gnt + memfd */
	PVH_CTL_GNT_UNMAP,	/* struct pvh_ctl_gnt */
	PVH_CTL_VIRQ_BIND,	/* struct pvh_ctl_virq -> eventfd */
	PVH_CTL_DOM_FD,		/* struct pvh_ctl_dom_fd -> the descriptor */
	PVH_CTL_TYPE_COUNT
};

/* What to do when a domain shuts down for a reason (xl.cfg on_*). */
enum pvh_action {
	PVH_ACTION_DESTROY = 0,
	PVH_ACTION_RESTART,
	PVH_ACTION_PRESERVE,
	PVH_ACTION_COUNT
};

enum pvh_dom_state {
	PVH_STATE_RUNNING = 0,
	PVH_STATE_PAUSED,
	PVH_STATE_SHUTDOWN,	/* reason: SHUTDOWN_* in pvh_ctl_dominfo.reason */
	PVH_STATE_CRASHED,	/* cause in pvh_ctl_dominfo.cause */
	PVH_STATE_DYING,	/* destroyed, waiting for mappings to go */
	PVH_STATE_COUNT
};

struct pvh_ctl_req {
	uint32_t magic;
	uint32_t type;		/* enum pvh_ctl_type */
	uint32_t len;		/* body bytes */
	uint32_t pad;
};

struct pvh_ctl_rsp {
	uint32_t magic;
	uint32_t type;		/* echoes the request */
	int32_t status;		/* 0 or -errno */
	uint32_t len;		/* body bytes */
};

struct pvh_ctl_dom {
	char dom[PVH_NAME_MAX];	/* name or decimal domid */
};

struct pvh_ctl_create {
	char name[PVH_NAME_MAX];
	uint8_t uuid[16];
	uint64_t mem_kib;
	uint32_t vcpus;
	uint8_t on_poweroff;	/* enum pvh_action */
	uint8_t on_reboot;
	uint8_t on_crash;
	uint8_t start_paused;
	uint32_t max_evtchn_port;	/* 0: default 1023 */
	uint32_t max_grant_frames;	/* 0: default 64 */
	uint32_t flags;			/* PVH_CREATE_* */
	uint32_t pad;
	char cmdline[PVH_CMDLINE_MAX];
};

/*
 * PVH_CREATE_IOREQ: the domain has emulated devices. Its runner gets an
 * ioreq socket (public/pvh_ioreq.h) whose other end a device model
 * claims with DOM_FD; create the domain paused and unpause it once the
 * device model holds it.
 */
#define PVH_CREATE_IOREQ	(1u << 0)

struct pvh_ctl_created {
	uint32_t domid;
	uint32_t store_port;	/* the guest's ports offered to dom0 */
	uint32_t console_port;
	uint32_t pad;
};

struct pvh_ctl_dominfo {
	uint32_t domid;
	uint32_t state;		/* enum pvh_dom_state */
	int32_t reason;		/* SHUTDOWN_* when state is SHUTDOWN, else -1 */
	uint32_t vcpus;
	char name[PVH_NAME_MAX];
	uint8_t uuid[16];
	uint64_t mem_kib;	/* current reservation */
	uint64_t max_mem_kib;
	uint64_t cpu_ns;	/* guest CPU time */
	uint64_t start_unix_ns;	/* when it was (re)built, CLOCK_REALTIME */
	uint64_t uptime_ns;
	uint32_t restarts;	/* on_reboot/on_crash restarts so far */
	int32_t pid;		/* runner process, 0 when none */
	char cause[PVH_REASON_MAX];	/* why it crashed, for people */
	uint32_t store_port;	/* XenStore ring event channel */
	uint32_t console_port;	/* console ring event channel */
};

struct pvh_ctl_host {
	char version[32];
	uint64_t budget_kib;	/* host memory budget for domains */
	uint64_t used_kib;
	uint32_t domains;
	uint32_t pad;
	uint64_t uptime_ns;
	uint64_t tsc_khz;
};

/*
 * Dom0's event channels and grant mappings. A dom0 process holds them
 * through its control connection: closing the connection closes its ports
 * and unmaps its grants, so a backend that dies leaks nothing.
 *
 * EVTCHN_BIND binds a new dom0 port to the guest's unbound port (offered
 * to domain 0); the reply carries the local port and an eventfd that pvhv
 * writes whenever the port goes pending (the dom0 process reads it to
 * clear it). EVTCHN_NOTIFY sends on a dom0 port and has no reply, so a
 * backend can notify without waiting.
 *
 * GNT_MAP validates a grant exactly as for a guest mapper (domid 0),
 * within the granter's share of dom0's mappings (max_grant_frames * 512
 * of its grants; past it GNTST_no_space), and answers with a handle,
 * the frame's byte offset in the granter's memory and, attached, the
 * granter's memory descriptor to mmap at that offset (dom0 is trusted,
 * as Xen's gntdev users are). Unmap the page before
 * GNT_UNMAP; a destroyed granter stays dying until then.
 */
struct pvh_ctl_evtchn {
	uint32_t domid;		/* BIND: the guest */
	uint32_t remote_port;	/* BIND: the guest's unbound port */
	uint32_t local_port;	/* BIND reply; NOTIFY/UNBIND: the dom0 port */
	uint32_t pad;
};

struct pvh_ctl_gnt {
	uint32_t domid;		/* MAP: the granter */
	uint32_t ref;		/* MAP: the grant reference */
	uint32_t readonly;	/* MAP: map for reading only */
	uint32_t handle;	/* MAP reply; UNMAP */
	uint64_t offset;	/* MAP reply: byte offset of the frame */
};

/*
 * VIRQ_BIND gives a dom0 process an eventfd that pvhv writes when a
 * global virtual interrupt fires. Dom0 has two: VIRQ_DOM_EXC, some domain
 * changed state (created, shut down, crashed, dying, destroyed; the
 * process asks PVH_CTL_LIST what changed, as xenstored does), and
 * VIRQ_CONSOLE, a guest wrote to the hypervisor's console (console_io,
 * logged in <rundir>/console/<name>.log).
 */
struct pvh_ctl_virq {
	uint32_t virq;		/* VIRQ_DOM_EXC or VIRQ_CONSOLE */
	uint32_t pad;
};

/*
 * DOM_FD is the event channel fast path: it hands dom0 a guest's event fd
 * (PVH_DOM_FD_EVENT) or its memory (PVH_DOM_FD_MEMORY, shared_info at
 * offset 0). A dom0 process that holds both raises an event on a bound
 * port by setting the 2-level bits itself (common/evtchn-2l.h) and
 * writing the event fd, with no trip through pvhv. Only for a guest the
 * connection has an event channel bound to.
 *
 * PVH_DOM_FD_IOREQ makes the connection the device model of a domain
 * created with PVH_CREATE_IOREQ: the reply carries the device model's end
 * of the ioreq socket of the domain's current runner (public/pvh_ioreq.h).
 * Only one connection may be a domain's device model; it may then also
 * take PVH_DOM_FD_MEMORY (for DMA) and PVH_DOM_FD_EVENT. When the runner
 * is replaced (an in-place restart) the socket ends with it, and the
 * device model asks again for the new one. If the device model's
 * connection closes while the domain exists, pvhv crashes the domain,
 * with "its device model exited" as the cause; on_crash=restart is then
 * not applied (nothing would answer the restarted guest's port I/O), the
 * domain stays crashed for the toolstack to destroy.
 */
enum { PVH_DOM_FD_EVENT = 0, PVH_DOM_FD_MEMORY = 1, PVH_DOM_FD_IOREQ = 2 };

struct pvh_ctl_dom_fd {
	uint32_t domid;
	uint32_t which;		/* PVH_DOM_FD_* */
};

#endif /* PVH_CTL_H */

/*
 * hv-priv.h: pvhv's internal interfaces. Nothing outside hv/ includes it.
 *
 * pvhv is one single-threaded daemon with an epoll loop (pvhv.c). It owns
 * every domain's memory (domain.c), builds domains from ELF kernels
 * (builder.c), starts and supervises their sandboxed vCPU runners
 * (spawn.c, runner.c), serves their hypercalls (hypercall.c) and the dom0
 * control socket (ctl.c).
 */
#ifndef HV_PRIV_H
#define HV_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "public/pvh_ctl.h"
#include "public/pvh_layout.h"
#include "sv.h"

#define HV_MAX_DOMAINS		512
#define HV_DOMID_FIRST		1
#define HV_DOMID_LAST		0x7fef	/* DOMID_FIRST_RESERVED - 1 */
#define HV_CONSOLE_LOG_MAX	(1u << 20)	/* then rotate to .log.old */
#define HV_LOG_MAX		(8u << 20)	/* pvhv.log, then pvhv.log.old */
#define HV_CONSOLE_BURST	(256u << 10)	/* console_io bytes at once ... */
#define HV_CONSOLE_RATE		(64u << 10)	/* ... and per second after that */
#define HV_HCALL_BUDGET		8	/* hypercalls per domain per loop turn */
#define HV_CTL_BUDGET		1024	/* messages per control connection per turn */
#define HV_RESTART_BURST	5	/* restarts within HV_RESTART_WINDOW */
#define HV_RESTART_WINDOW_NS	(10ull * 1000000000ull)

/* What an epoll event belongs to. */
enum hv_src_kind {
	HV_SRC_SIGNAL = 1,
	HV_SRC_CTL_LISTEN,
	HV_SRC_CTL_CONN,
	HV_SRC_DOM_HCALL,
	HV_SRC_DOM_NOTIFY,
	HV_SRC_DOM_TIMER,
	HV_SRC_DOM_EXIT,
};

struct hv_src {
	enum hv_src_kind kind;
	void *obj;
};

/* Event channel port states (event_channel.c's ECS_*). */
enum hv_ecs {
	HV_ECS_FREE = 0,
	HV_ECS_RESERVED,
	HV_ECS_UNBOUND,
	HV_ECS_INTERDOMAIN,
	HV_ECS_VIRQ,
	HV_ECS_IPI,
};

struct hv_evtchn {
	uint8_t state;		/* enum hv_ecs */
	uint16_t virq;
	uint16_t remote_dom;	/* unbound: who may bind; interdomain: the peer */
	uint32_t remote_port;
};

/* A granted entry in use: pins by kind, and what was pinned. */
struct hv_gnt_active {
	uint16_t pin_r, pin_w;
	uint16_t domid;		/* the mapper holding the pins */
	uint64_t frame;		/* the frame as it was when first pinned */
};

/*
 * One mapping a domain holds of another's grant; its handle is its index.
 * A free slot holds the next free handle instead of a ref.
 */
struct hv_maptrack {
	union {
		uint32_t ref;
		uint32_t next_free;	/* HV_MAPTRACK_END ends the list */
	};
	uint16_t dom;
	bool in_use : 1;
	bool revoked : 1;	/* the granter restarted; only unmap is left */
	bool write : 1;
	bool charged : 1;	/* counted in the granter's dom0_maps */
	const void *owner;	/* dom0: the control connection holding it */
};
#define HV_MAPTRACK_END		UINT32_MAX

#define HV_NR_VIRQS		24	/* NR_VIRQS */

/* The result of building a domain: where the runner starts it. */
struct hv_boot {
	uint64_t entry;		/* guest-virtual */
	uint64_t start_info_va;
	uint64_t stack_va;
	uint64_t free_paddr;	/* first byte after the kernel image */
	uint64_t kernel_end;	/* guest-physical end of the highest segment */
};

struct hv_build_params {
	uint64_t nr_pages;
	const char *cmdline;
	uint32_t console_evtchn;
	uint32_t store_evtchn;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint64_t system_time_ns;	/* at tsc_stamp */
	uint64_t tsc_stamp;
	uint64_t wallclock_ns;		/* CLOCK_REALTIME at system time 0 */
};

struct hv_domain {
	uint32_t domid;
	char name[PVH_NAME_MAX];
	uint8_t uuid[16];
	enum pvh_dom_state state;
	int reason;			/* SHUTDOWN_* or -1 */
	char cause[PVH_REASON_MAX];
	bool shutdown_requested;	/* the guest asked; its exit is expected */
	bool destroying;
	bool vcpu_started;		/* "go" sent to the runner */
	uint32_t vcpus;
	uint64_t nr_pages;
	uint64_t max_pages;
	enum pvh_action on_poweroff, on_reboot, on_crash;
	char cmdline[PVH_CMDLINE_MAX];
	uint32_t max_evtchn_port;
	uint32_t max_grant_frames;

	int kernel_fd;			/* kept to rebuild on restart */
	int mem_fd;
	uint8_t *mem;			/* pvhv's mapping of all of it */
	uint64_t mem_size;
	struct hv_boot boot;

	pid_t pid;			/* runner, 0 when none */
	int pidfd;
	int hcall_fd;
	int event_fd;
	int notify_fd;
	int timer_fd;
	bool has_ioreq;			/* emulated devices: PVH_CREATE_IOREQ */
	bool is_linux;			/* a Linux guest (linux-guest.c) */
	int event_rd_fd;		/* Linux: the event pipe's guest end, or -1 */
	int ioreq_fd;			/* the device model's end until it claims it */
	const void *dm_owner;		/* the device model's control connection */
	int console_fd;
	uint64_t console_bytes;
	char cgroup[2][160];		/* its cgroup directories, or "" */

	uint64_t start_unix_ns;
	uint64_t start_mono_ns;
	uint64_t stop_mono_ns;		/* when the runner last stopped, or 0 */
	uint64_t cpu_ns_prev;		/* CPU time of earlier runners */
	uint32_t restarts;
	uint32_t brake_count;		/* restarts the brake has seen */
	uint64_t restart_times[HV_RESTART_BURST];

	struct hv_evtchn *ports;	/* event channels, nports of them */
	int *port_evfd;			/* per port offered to dom0: dom0 polls it */
	int hcall_reply_fd;		/* attached to the current reply, or -1 */
	uint32_t nports;
	uint32_t virq_to_port[HV_NR_VIRQS];
	uint32_t store_port, console_port;	/* offered to dom0 at build */

	uint32_t gnt_frames;		/* grant table frames in use */
	struct hv_gnt_active *gnt_active;	/* per entry, max_grant_frames' worth */
	uint64_t gnt_pins;		/* pins others hold on our grants */
	struct hv_maptrack *maptrack;	/* grants of others we hold */
	uint32_t maptrack_cap, maptrack_len, maptrack_free;	/* allocated, used, free list */
	uint32_t dom0_maps;		/* dom0's mappings of our grants (gnttab.c) */

	struct hv_src src_hcall, src_notify, src_timer, src_exit;
	struct sv_ratelimit log_rl;
	struct sv_ratelimit console_rl;	/* console_io bytes (hypercall.c) */
	bool console_warned;		/* the log said it went over once */
};

/* The daemon's global state. */
struct hv {
	const char *rundir;
	char runner_path[4096];
	int epfd;
	uint64_t budget_kib;
	uint64_t used_kib;
	uint32_t uid_base;
	uint32_t next_domid;
	uint64_t start_mono_ns;
	uint64_t tsc_khz;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	bool no_sandbox_ns;		/* for hosts without namespaces */
	struct hv_domain dom0;		/* the host's daemons, as one domain */
	struct hv_domain *domains[HV_MAX_DOMAINS];
	unsigned int ndomains;
	uint64_t epoll_dels;		/* descriptors removed: ends a batch */
};

extern struct hv hv;

/* builder.c: ELF loading and start_info/shared_info, over a buffer. */
int hv_build(uint8_t *mem, uint64_t mem_size, const uint8_t *elf, size_t elf_size,
	     const struct hv_build_params *p, struct hv_boot *boot_out,
	     char *err, size_t errlen);

/* gmem.c: bounded access to a domain's memory by guest-physical address. */
int hv_gmem_read(const struct hv_domain *d, uint64_t paddr, void *dst, size_t len);
int hv_gmem_write(struct hv_domain *d, uint64_t paddr, const void *src, size_t len);

/* time.c */
void hv_time_calibrate(void);
uint64_t hv_rdtsc(void);
void hv_tsc_scale(uint64_t tsc_hz, uint32_t *mul_out, int8_t *shift_out);

/* domain.c */
struct hv_domain *hv_domain_find(const char *sel);
struct hv_domain *hv_domain_by_id(uint32_t domid);
void hv_domain_reap(struct hv_domain *d);
int hv_domain_create(const struct pvh_ctl_create *req, int kernel_fd,
		     uint32_t *domid_out, char *err, size_t errlen);
int hv_domain_destroy(struct hv_domain *d);
int hv_domain_pause(struct hv_domain *d, char *err, size_t errlen);
int hv_domain_unpause(struct hv_domain *d, char *err, size_t errlen);
void hv_domain_info(const struct hv_domain *d, struct pvh_ctl_dominfo *out);
void hv_domain_shutdown(struct hv_domain *d, int reason);
void hv_domain_crash(struct hv_domain *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hv_domain_on_exit(struct hv_domain *d);
void hv_domain_on_notify(struct hv_domain *d);
void hv_domain_on_timer(struct hv_domain *d);
void hv_domain_kick(struct hv_domain *d);
uint64_t hv_domain_cpu_ns(const struct hv_domain *d);
void hv_domain_destroy_all(void);
const char *hv_state_name(enum pvh_dom_state state);
int hv_budget_check(uint64_t kib, char *err, size_t errlen);

/* evtchn.c */
int hv_evtchn_init(struct hv_domain *d);
int hv_evtchn_alloc_unbound(struct hv_domain *d, uint16_t remote_dom, uint32_t *port_out);
int hv_evtchn_dom0_fd(struct hv_domain *d, uint32_t port);
void hv_evtchn_destroy(struct hv_domain *d);
void hv_evtchn_reset(struct hv_domain *d);
int64_t hv_evtchn_op(struct hv_domain *d, uint64_t cmd, uint64_t arg_paddr);
int hv_evtchn_close(struct hv_domain *d, uint32_t port);
int hv_evtchn_send(struct hv_domain *d, uint32_t port);
void hv_evtchn_set_pending(struct hv_domain *d, uint32_t port);
void hv_evtchn_raise_virq(struct hv_domain *d, unsigned int virq);

/* gnttab.c */
int hv_gnttab_init(struct hv_domain *d);
void hv_gnttab_seed(struct hv_domain *d);
int64_t hv_gnttab_op(struct hv_domain *d, uint64_t cmd, uint64_t args, uint64_t count);
void hv_gnttab_release_maps(struct hv_domain *d);
void hv_gnttab_revoke_foreign(struct hv_domain *granter);
struct gnttab_map_grant_ref;
struct gnttab_unmap_grant_ref;
void hv_gnttab_map(struct hv_domain *d, struct gnttab_map_grant_ref *op);
void hv_gnttab_unmap(struct hv_domain *d, struct gnttab_unmap_grant_ref *op);
struct hv_maptrack *hv_gnttab_maptrack(struct hv_domain *d, uint32_t handle);

/* dom0.c: domain 0's ports and mappings, held by control connections. */
int hv_dom0_init(void);
void hv_dom0_deliver(uint32_t port);
int hv_dom0_bind(const void *owner, uint32_t domid, uint32_t remote_port,
		 uint32_t *port_out, int *fd_out);
int hv_dom0_notify(const void *owner, uint32_t port);
int hv_dom0_unbind(const void *owner, uint32_t port);
int hv_dom0_map(const void *owner, uint32_t domid, uint32_t ref, bool readonly,
		uint32_t *handle_out, uint64_t *offset_out, int *memfd_out);
int hv_dom0_unmap(const void *owner, uint32_t handle);
void hv_dom0_release(const void *owner);
int hv_dom0_virq_bind(const void *owner, uint32_t virq, int *fd_out);
void hv_dom0_dom_exc(void);
void hv_dom0_raise_virq(uint32_t virq);
int hv_dom0_dom_fd(const void *owner, uint32_t domid, uint32_t which, int *fd_out,
		   bool *close_after, const char **why);
void hv_gnttab_destroy(struct hv_domain *d);
void hv_gnttab_free(struct hv_domain *d);

/* cgroup.c: best-effort limits per domain */
void hv_cgroup_attach(struct hv_domain *d);
void hv_cgroup_release(struct hv_domain *d);
void hv_cgroup_cleanup(void);

/*
 * linux-guest.c: Linux guests (User-Mode Linux, pvfront/linux/), known by
 * their Xen GUEST_OS note: an event pipe instead of an eventfd, and a
 * runner cloned into its own PID namespace that execs the image.
 */
#define HV_LINUX_GUEST_OS	"linux-uml-splitvisor"
#define HV_LINUX_PIDS_MAX	"256"	/* UML, its helpers and the guest's processes */
bool hv_linux_image(const uint8_t *elf, size_t elf_size);
int hv_linux_prepare(struct hv_domain *d, char *err, size_t errlen);
pid_t hv_linux_fork(void);
void hv_linux_child_exec(struct hv_domain *d, int hcall) __attribute__((noreturn));

/* spawn.c: start a runner for a built domain and do the handshake. */
int hv_spawn_runner(struct hv_domain *d, bool start_paused, char *err, size_t errlen);
void hv_runner_go(struct hv_domain *d);

/* hypercall.c */
void hv_hcall_on_readable(struct hv_domain *d);
int64_t hv_hcall_dispatch(struct hv_domain *d, uint32_t op, const uint64_t arg[5]);
void hv_console_write(struct hv_domain *d, const char *buf, size_t len);

/* ctl.c */
int hv_ctl_listen(const char *rundir);
void hv_ctl_on_accept(int lfd);
bool hv_ctl_on_readable(void *conn);
void hv_ctl_close_all(void);

/* pvhv.c */
int hv_epoll_add(int fd, struct hv_src *src);
void hv_epoll_del(int fd);

#endif /* HV_PRIV_H */

/*
 * hypercall.c: serving a domain's hypercalls.
 *
 * One request arrives as one message on the domain's hypercall socket
 * (public/pvh_trap.h). It is read into pvhv's memory, checked for size and
 * magic, and dispatched by Xen's hypercall number through a table. Each
 * handler copies its argument structs out of guest memory (gmem.c),
 * validates the copies, acts, and writes results back. A handler that
 * ends the domain's run (shutdown, crash) returns HCALL_GONE: the domain
 * may have been freed, so nothing touches it afterwards.
 *
 * Console output is appended to <rundir>/console/<name>.log, rotated at
 * HV_CONSOLE_LOG_MAX so a chatty guest cannot fill the disk, and limited
 * to a byte budget per second so it cannot keep pvhv busy writing.
 *
 * Replies never block: a guest that does not read them is crashed
 * (send_reply), and a guest gets at most HV_HCALL_BUDGET requests served
 * per turn of the event loop.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#include "hv-priv.h"
#include "public/pvh_trap.h"

#define HCALL_GONE		INT64_MIN
#define CONSOLE_CHUNK_MAX	(64 * 1024)
#define XEN_MAJOR		4
#define XEN_MINOR		17

typedef int64_t (*hcall_fn)(struct hv_domain *d, const uint64_t arg[5]);

static void rotate_console(struct hv_domain *d)
{
	char path[4096], old[4200];

	snprintf(path, sizeof(path), "%s/console/%s.log", hv.rundir, d->name);
	snprintf(old, sizeof(old), "%s.old", path);
	if (rename(path, old) < 0)
		return;
	/* The open descriptor follows the renamed file; start a new one. */
	close(d->console_fd);
	d->console_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	d->console_bytes = 0;
}

void hv_console_write(struct hv_domain *d, const char *buf, size_t len)
{
	if (d->console_fd < 0)
		return;
	if (d->console_bytes + len > HV_CONSOLE_LOG_MAX)
		rotate_console(d);
	if (d->console_fd >= 0 && sv_write_all(d->console_fd, buf, len) == 0)
		d->console_bytes += len;
	/* xen.h: VIRQ_CONSOLE, bytes arrived on the hypervisor's console. */
	hv_dom0_raise_virq(VIRQ_CONSOLE);
}

/*
 * console_io is for early boot and panics; the console ring carries the
 * rest. A guest gets HV_CONSOLE_BURST bytes at once and HV_CONSOLE_RATE a
 * second after that; what is over is dropped instead of written (the
 * copy out of guest memory is cheap, the write to the log is not), and
 * the log says how much at the next write that fits.
 */
static bool console_budget_ok(struct hv_domain *d, uint64_t count)
{
	unsigned long dropped = 0;
	char note[128];
	int n;

	if (!sv_ratelimit_take(&d->console_rl, (unsigned long)count, &dropped)) {
		if (!d->console_warned)
			sv_warn("domain %u (%s): console_io over its budget of %u bytes/s; dropping what is over (said once; its console log counts it)",
				d->domid, d->name, HV_CONSOLE_RATE);
		d->console_warned = true;
		return false;
	}
	if (dropped) {
		n = snprintf(note, sizeof(note), "\n[pvhv: %lu bytes of console output dropped: over its budget]\n",
			     dropped);
		hv_console_write(d, note, (size_t)n);
	}
	return true;
}

static int64_t do_console_io(struct hv_domain *d, const uint64_t arg[5])
{
	static char buf[CONSOLE_CHUNK_MAX];
	uint64_t count = arg[1];

	switch (arg[0]) {
	case CONSOLEIO_write:
		if (count > CONSOLE_CHUNK_MAX)
			return -EINVAL;
		if (hv_gmem_read(d, arg[2], buf, count) < 0)
			return -EFAULT;
		if (!console_budget_ok(d, count))
			return 0;	/* dropped, as a full console would */
		hv_console_write(d, buf, count);
		return 0;
	case CONSOLEIO_read:
		return 0;	/* input arrives on the console ring */
	default:
		return -ENOSYS;
	}
}

static int64_t do_sched_op(struct hv_domain *d, const uint64_t arg[5])
{
	struct sched_shutdown sd;

	switch (arg[0]) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_block:
	case SCHEDOP_poll:
		/* Served in the guest (pvh_trap.h); as a trap it wakes at once. */
		return 0;
	case SCHEDOP_shutdown:
		if (hv_gmem_read(d, arg[1], &sd, sizeof(sd)) < 0)
			return -EFAULT;
		if (sd.reason > SHUTDOWN_MAX)
			return -EINVAL;
		hv_domain_shutdown(d, (int)sd.reason);
		return HCALL_GONE;
	case SCHEDOP_shutdown_code:
		return 0;
	case SCHEDOP_remote_shutdown:
		return -EPERM;	/* only dom0 may shut others down */
	default:
		return -ENOSYS;
	}
}

static int64_t copy_version_string(struct hv_domain *d, uint64_t paddr, const char *s, size_t size)
{
	char buf[1024];

	memset(buf, 0, size);
	sv_strlcpy(buf, s, size);
	return hv_gmem_write(d, paddr, buf, size) < 0 ? -EFAULT : 0;
}

static int64_t do_xen_version(struct hv_domain *d, const uint64_t arg[5])
{
	xen_feature_info_t fi;

	switch (arg[0]) {
	case XENVER_version:
		return (XEN_MAJOR << 16) | XEN_MINOR;
	case XENVER_extraversion:
		return copy_version_string(d, arg[1], "-splitvisor", sizeof(xen_extraversion_t));
	case XENVER_capabilities:
		return copy_version_string(d, arg[1], "xen-3.0-x86_64", sizeof(xen_capabilities_info_t));
	case XENVER_get_features:
		if (hv_gmem_read(d, arg[1], &fi, sizeof(fi)) < 0)
			return -EFAULT;
		fi.submap = 0;	/* no optional features in any submap yet */
		return hv_gmem_write(d, arg[1], &fi, sizeof(fi)) < 0 ? -EFAULT : 0;
	case XENVER_pagesize:
		return PVH_PAGE_SIZE;
	default:
		return -ENOSYS;
	}
}

static int64_t do_memory_op(struct hv_domain *d, const uint64_t arg[5])
{
	domid_t dom;

	switch (arg[0]) {
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		if (hv_gmem_read(d, arg[1], &dom, sizeof(dom)) < 0)
			return -EFAULT;
		if (dom != DOMID_SELF && dom != d->domid)
			return -EPERM;
		return (int64_t)(arg[0] == XENMEM_current_reservation ? d->nr_pages : d->max_pages);
	default:
		return -ENOSYS;
	}
}

static int set_timer(struct hv_domain *d, uint64_t deadline_ns)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (deadline_ns) {
		its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
		its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	return timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -EINVAL : 0;
}

static int64_t do_set_timer_op(struct hv_domain *d, const uint64_t arg[5])
{
	return set_timer(d, arg[0]);
}

static int64_t do_vcpu_op(struct hv_domain *d, const uint64_t arg[5])
{
	struct vcpu_set_singleshot_timer t;
	struct vcpu_runstate_info rs;

	if (arg[1] >= d->vcpus)
		return -ENOENT;
	switch (arg[0]) {
	case VCPUOP_is_up:
		return 1;
	case VCPUOP_set_singleshot_timer:
		if (hv_gmem_read(d, arg[2], &t, sizeof(t)) < 0)
			return -EFAULT;
		if ((t.flags & VCPU_SSHOTTMR_future) && t.timeout_abs_ns < sv_now_ns())
			return -ETIME;
		return set_timer(d, t.timeout_abs_ns ? t.timeout_abs_ns : 1);
	case VCPUOP_stop_singleshot_timer:
		return set_timer(d, 0);
	case VCPUOP_get_runstate_info:
		memset(&rs, 0, sizeof(rs));
		rs.state = RUNSTATE_running;
		rs.state_entry_time = sv_now_ns();
		rs.time[RUNSTATE_running] = d->cpu_ns_prev + hv_domain_cpu_ns(d);
		return hv_gmem_write(d, arg[2], &rs, sizeof(rs)) < 0 ? -EFAULT : 0;
	default:
		return -ENOSYS;
	}
}

static int64_t do_event_channel_op(struct hv_domain *d, const uint64_t arg[5])
{
	return hv_evtchn_op(d, arg[0], arg[1]);
}

static int64_t do_grant_table_op(struct hv_domain *d, const uint64_t arg[5])
{
	return hv_gnttab_op(d, arg[0], arg[1], arg[2]);
}

static const hcall_fn hcall_table[] = {
	[__HYPERVISOR_event_channel_op] = do_event_channel_op,
	[__HYPERVISOR_grant_table_op] = do_grant_table_op,
	[__HYPERVISOR_console_io] = do_console_io,
	[__HYPERVISOR_sched_op] = do_sched_op,
	[__HYPERVISOR_xen_version] = do_xen_version,
	[__HYPERVISOR_memory_op] = do_memory_op,
	[__HYPERVISOR_set_timer_op] = do_set_timer_op,
	[__HYPERVISOR_vcpu_op] = do_vcpu_op,
};

int64_t hv_hcall_dispatch(struct hv_domain *d, uint32_t op, const uint64_t arg[5])
{
	if (op >= SV_ARRAY_SIZE(hcall_table) || !hcall_table[op])
		return -ENOSYS;
	return hcall_table[op](d, arg);
}

/* Sends the reply; false when the domain was crashed for not draining them. */
static bool send_reply(struct hv_domain *d, const struct pvh_hcall_req *req, int64_t ret)
{
	struct pvh_hcall_rsp rsp = { .magic = PVH_HCALL_MAGIC, .op = req->op, .ret = ret };
	ssize_t n;

	/*
	 * pvh_trap.h: one request in flight, so a guest that drains its
	 * replies never finds our end full. One that does not would block
	 * pvhv for everyone; it is crashed instead.
	 */
	n = sv_send_msg_nowait(d->hcall_fd, &rsp, sizeof(rsp), d->hcall_reply_fd);
	if (n == -EAGAIN) {
		hv_domain_crash(d, "does not read its hypercall replies");
		return false;
	}
	if (n != sizeof(rsp) && sv_ratelimit_ok(&d->log_rl, NULL))
		sv_warn("domain %u: could not answer hypercall %u", d->domid, req->op);
	return true;
}

/* Serves one request. Returns false when there is nothing more to do for d now. */
static bool serve_one(struct hv_domain *d)
{
	struct pvh_hcall_req req;
	ssize_t n;
	int64_t ret;

	n = sv_recv_msg(d->hcall_fd, &req, sizeof(req), NULL);
	if (n == -EAGAIN)
		return false;
	if (n == 0 || n == -ECONNRESET) {
		hv_epoll_del(d->hcall_fd);	/* the exit handler reports why */
		return false;
	}
	if (n < 0) {
		hv_domain_crash(d, "malformed hypercall message (%s)", strerror((int)-n));
		return false;
	}
	if (n != sizeof(req) || req.magic != PVH_HCALL_MAGIC) {
		hv_domain_crash(d, "malformed hypercall message (%zd bytes)", n);
		return false;
	}
	d->hcall_reply_fd = -1;
	ret = hv_hcall_dispatch(d, req.op, req.arg);
	if (ret == HCALL_GONE)
		return false;
	return send_reply(d, &req, ret);
}

/*
 * At most HV_HCALL_BUDGET requests per turn of the event loop: a guest
 * that keeps its socket readable gets its share and no more (pvhv.c).
 */
void hv_hcall_on_readable(struct hv_domain *d)
{
	for (unsigned int i = 0; i < HV_HCALL_BUDGET; i++) {
		if (!serve_one(d))
			break;
	}
}

/*
 * domain.c: the domain table and every domain's lifecycle.
 *
 *   create:   validate the request, reserve memory in the host budget,
 *             make the memfd, build the kernel into it (builder.c), open
 *             the console log, start the runner (spawn.c). Any failure
 *             unwinds through domain_release(), the one teardown path.
 *   running:  hypercalls (hypercall.c); pause/unpause stop and continue
 *             the runner.
 *   stopping: the guest shuts down (SCHEDOP_shutdown), crashes (a
 *             forbidden system call, a fatal signal, a bad hypercall
 *             message), or is destroyed. Then on_poweroff/on_reboot/
 *             on_crash decide: destroy, restart (rebuild from the kept
 *             kernel descriptor, with a crash-loop brake) or preserve.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/sched.h>

#include "hv-priv.h"
#include "runner.h"

#define KERNEL_MAX_BYTES	(64u << 20)

static const char *const state_names[PVH_STATE_COUNT] = {
	[PVH_STATE_RUNNING] = "running",
	[PVH_STATE_PAUSED] = "paused",
	[PVH_STATE_SHUTDOWN] = "shutdown",
	[PVH_STATE_CRASHED] = "crashed",
	[PVH_STATE_DYING] = "dying",
};

static const char *const reason_names[] = {
	[SHUTDOWN_poweroff] = "poweroff",
	[SHUTDOWN_reboot] = "reboot",
	[SHUTDOWN_suspend] = "suspend",
	[SHUTDOWN_crash] = "crash",
	[SHUTDOWN_watchdog] = "watchdog",
	[SHUTDOWN_soft_reset] = "soft_reset",
};

const char *hv_state_name(enum pvh_dom_state state)
{
	return (unsigned)state < PVH_STATE_COUNT ? state_names[state] : "?";
}

static const char *reason_name(int reason)
{
	if (reason < 0 || (size_t)reason >= SV_ARRAY_SIZE(reason_names))
		return "unknown";
	return reason_names[reason];
}

struct hv_domain *hv_domain_find(const char *sel)
{
	uint32_t domid;
	bool by_id = sv_parse_u32(sel, &domid) == 0;

	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		struct hv_domain *d = hv.domains[i];

		if (!d)
			continue;
		if (by_id ? d->domid == domid : strcmp(d->name, sel) == 0)
			return d;
	}
	return NULL;
}

struct hv_domain *hv_domain_by_id(uint32_t domid)
{
	if (domid == 0)
		return hv.dom0.ports ? &hv.dom0 : NULL;
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (hv.domains[i] && hv.domains[i]->domid == domid)
			return hv.domains[i];
	}
	return NULL;
}

static struct hv_domain *find_uuid(const uint8_t uuid[16])
{
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (hv.domains[i] && memcmp(hv.domains[i]->uuid, uuid, 16) == 0)
			return hv.domains[i];
	}
	return NULL;
}

static bool domid_in_use(uint32_t domid)
{
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (hv.domains[i] && hv.domains[i]->domid == domid)
			return true;
	}
	return false;
}

/* Domids go round-robin so a new domain never reuses a fresh corpse's id. */
static uint32_t alloc_domid(void)
{
	for (uint32_t tries = 0; tries <= HV_DOMID_LAST; tries++) {
		uint32_t id = hv.next_domid++;

		if (hv.next_domid > HV_DOMID_LAST)
			hv.next_domid = HV_DOMID_FIRST;
		if (!domid_in_use(id))
			return id;
	}
	return 0;
}

int hv_budget_check(uint64_t kib, char *err, size_t errlen)
{
	char need[32], freeb[32], total[32];

	if (hv.used_kib <= hv.budget_kib && kib <= hv.budget_kib - hv.used_kib)
		return 0;
	snprintf(err, errlen,
		 "not enough memory: the domain needs %s but only %s of the host's %s budget is free (pvctl info shows it; raise it with pvctl host start --mem-budget)",
		 sv_fmt_kib(kib, need, sizeof(need)),
		 sv_fmt_kib(hv.budget_kib - (hv.used_kib < hv.budget_kib ? hv.used_kib : hv.budget_kib),
			    freeb, sizeof(freeb)),
		 sv_fmt_kib(hv.budget_kib, total, sizeof(total)));
	return -ENOMEM;
}

static bool name_ok(const char *name)
{
	bool all_digits = true;

	if (!*name)
		return false;
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return false;
		if (*p < '0' || *p > '9')
			all_digits = false;
	}
	return !all_digits && strcmp(name, ".") && strcmp(name, "..");
}

static int check_request(const struct pvh_ctl_create *r, char *err, size_t errlen)
{
	if (!sv_str_bounded(r->name, sizeof(r->name)) || !name_ok(r->name)) {
		snprintf(err, errlen, "bad domain name: use 1-63 of A-Z a-z 0-9 _ . - and not only digits");
		return -EINVAL;
	}
	if (!sv_str_bounded(r->cmdline, sizeof(r->cmdline))) {
		snprintf(err, errlen, "command line is longer than %d bytes", PVH_CMDLINE_MAX - 1);
		return -EINVAL;
	}
	if (r->mem_kib < (PVH_MEM_MIN >> 10) || r->mem_kib > (PVH_MEM_MAX >> 10) || r->mem_kib % 4) {
		snprintf(err, errlen, "memory %" PRIu64 " KiB is outside 4 MiB..64 GiB or not a whole number of pages",
			 r->mem_kib);
		return -EINVAL;
	}
	if (r->vcpus != 1) {
		snprintf(err, errlen, "%u vCPUs requested; this version runs exactly 1 vCPU per domain", r->vcpus);
		return -EINVAL;
	}
	if (r->on_poweroff >= PVH_ACTION_COUNT || r->on_reboot >= PVH_ACTION_COUNT ||
	    r->on_crash >= PVH_ACTION_COUNT) {
		snprintf(err, errlen, "unknown on_poweroff/on_reboot/on_crash action");
		return -EINVAL;
	}
	if (r->flags & ~PVH_CREATE_IOREQ) {
		snprintf(err, errlen, "unknown create flags %#x", r->flags & ~PVH_CREATE_IOREQ);
		return -EINVAL;
	}
	if (hv_domain_find(r->name)) {
		snprintf(err, errlen, "a domain named '%s' already exists (pvctl list shows it)", r->name);
		return -EEXIST;
	}
	if (find_uuid(r->uuid)) {
		snprintf(err, errlen, "a domain with this uuid already exists ('%s')", find_uuid(r->uuid)->name);
		return -EEXIST;
	}
	return hv_budget_check(r->mem_kib, err, errlen);
}

static int alloc_memory(struct hv_domain *d, char *err, size_t errlen)
{
	char name[32];

	snprintf(name, sizeof(name), "splitvisor-dom%u", d->domid);
	d->mem_fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->mem_fd < 0 || ftruncate(d->mem_fd, (off_t)d->mem_size) < 0 ||
	    fcntl(d->mem_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		snprintf(err, errlen, "cannot create the domain's memory: %s", strerror(errno));
		return -errno;
	}
	d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->mem_fd, 0);
	if (d->mem == MAP_FAILED) {
		d->mem = NULL;
		snprintf(err, errlen, "cannot map the domain's memory: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void free_memory(struct hv_domain *d)
{
	if (d->mem)
		munmap(d->mem, d->mem_size);
	d->mem = NULL;
	if (d->mem_fd >= 0)
		close(d->mem_fd);
	d->mem_fd = -1;
}

static int read_kernel(int fd, uint8_t **buf_out, size_t *size_out, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the kernel is not a regular file");
		return -EINVAL;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > KERNEL_MAX_BYTES) {
		snprintf(err, errlen, "the kernel is %lld bytes (1 to %u allowed)",
			 (long long)st.st_size, KERNEL_MAX_BYTES);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + off, (size_t)st.st_size - off, (off_t)off);

		if (n <= 0) {
			snprintf(err, errlen, "reading the kernel: %s", n < 0 ? strerror(errno) : "short file");
			free(buf);
			return -EIO;
		}
		off += (size_t)n;
	}
	*buf_out = buf;
	*size_out = off;
	return 0;
}

static int build(struct hv_domain *d, char *err, size_t errlen)
{
	struct hv_build_params p = {
		.nr_pages = d->nr_pages,
		.cmdline = d->cmdline,
		.tsc_to_system_mul = hv.tsc_to_system_mul,
		.tsc_shift = hv.tsc_shift,
		.store_evtchn = d->store_port,
		.console_evtchn = d->console_port,
	};
	char why[256];
	uint8_t *elf = NULL;
	size_t elf_size = 0;
	int rc;

	rc = read_kernel(d->kernel_fd, &elf, &elf_size, err, errlen);
	if (rc < 0)
		return rc;
	p.tsc_stamp = hv_rdtsc();
	p.system_time_ns = sv_now_ns();
	p.wallclock_ns = sv_realtime_ns() - p.system_time_ns;
	rc = hv_build(d->mem, d->mem_size, elf, elf_size, &p, &d->boot, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "bad kernel image: %s", why);
	/* A Linux guest (linux-guest.c) is started differently. */
	d->is_linux = rc == 0 && hv_linux_image(elf, elf_size);
	if (d->is_linux && d->has_ioreq) {
		snprintf(err, errlen, "a Linux guest cannot have emulated (IDE) devices");
		rc = -EINVAL;
	}
	if (rc == 0 && d->is_linux)
		rc = hv_linux_prepare(d, err, errlen);
	free(elf);
	return rc;
}

static int open_console(struct hv_domain *d, bool truncate, char *err, size_t errlen)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/console/%s.log", hv.rundir, d->name);
	d->console_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
			     (truncate ? O_TRUNC : 0), 0640);
	if (d->console_fd < 0) {
		snprintf(err, errlen, "cannot open the console log %s: %s", path, strerror(errno));
		return -errno;
	}
	d->console_bytes = (uint64_t)lseek(d->console_fd, 0, SEEK_END);
	return 0;
}

static int make_fds(struct hv_domain *d, char *err, size_t errlen)
{
	d->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->event_fd < 0 || d->timer_fd < 0) {
		snprintf(err, errlen, "eventfd/timerfd: %s", strerror(errno));
		return -errno;
	}
	d->src_timer = (struct hv_src){ HV_SRC_DOM_TIMER, d };
	return hv_epoll_add(d->timer_fd, &d->src_timer);
}

static void close_fd(int *fd, bool epoll_registered)
{
	if (*fd < 0)
		return;
	if (epoll_registered)
		hv_epoll_del(*fd);
	close(*fd);
	*fd = -1;
}

static uint64_t runner_cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

uint64_t hv_domain_cpu_ns(const struct hv_domain *d)
{
	return d->pid > 0 ? runner_cpu_ns(d->pid) : 0;
}

/* Kills and reaps the runner; the domain's memory and identity stay. */
static void stop_runner(struct hv_domain *d)
{
	siginfo_t si;

	if (d->pid > 0) {
		d->cpu_ns_prev += runner_cpu_ns(d->pid);
		kill(d->pid, SIGKILL);
		kill(d->pid, SIGCONT);
		memset(&si, 0, sizeof(si));
		while (waitid(P_PIDFD, (id_t)d->pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
		d->pid = 0;
	}
	hv_cgroup_release(d);
	if (d->start_mono_ns && !d->stop_mono_ns)
		d->stop_mono_ns = sv_now_ns();
	close_fd(&d->pidfd, true);
	close_fd(&d->hcall_fd, true);
	close_fd(&d->notify_fd, true);
	close_fd(&d->ioreq_fd, false);
	if (d->timer_fd >= 0) {
		struct itimerspec off = { { 0, 0 }, { 0, 0 } };

		timerfd_settime(d->timer_fd, 0, &off, NULL);
	}
}

static void table_remove(struct hv_domain *d)
{
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (hv.domains[i] == d) {
			hv.domains[i] = NULL;
			hv.ndomains--;
		}
	}
}

/* The one teardown path: undoes whatever part of create happened. */
static void domain_release(struct hv_domain *d)
{
	hv_dom0_dom_exc();
	stop_runner(d);
	hv_evtchn_destroy(d);
	hv_gnttab_destroy(d);
	hv_gnttab_free(d);
	close_fd(&d->timer_fd, true);
	close_fd(&d->event_fd, false);
	close_fd(&d->event_rd_fd, false);
	close_fd(&d->console_fd, false);
	close_fd(&d->kernel_fd, false);
	free_memory(d);
	if (d->max_pages) {
		hv.used_kib -= d->max_pages * (PVH_PAGE_SIZE >> 10);
		d->max_pages = 0;
	}
	table_remove(d);
	free(d);
}

static struct hv_domain *domain_new(const struct pvh_ctl_create *r, int kernel_fd)
{
	struct hv_domain *d = calloc(1, sizeof(*d));
	struct sv_ratelimit rl = SV_RATELIMIT_INIT(20, 2);
	struct sv_ratelimit console_rl = SV_RATELIMIT_INIT(HV_CONSOLE_BURST, HV_CONSOLE_RATE);

	if (!d)
		return NULL;
	d->kernel_fd = kernel_fd;
	d->mem_fd = d->pidfd = d->hcall_fd = d->event_fd = -1;
	d->event_rd_fd = -1;
	d->notify_fd = d->timer_fd = d->console_fd = d->ioreq_fd = -1;
	d->has_ioreq = (r->flags & PVH_CREATE_IOREQ) != 0;
	d->reason = -1;
	d->state = PVH_STATE_RUNNING;
	sv_strlcpy(d->name, r->name, sizeof(d->name));
	sv_strlcpy(d->cmdline, r->cmdline, sizeof(d->cmdline));
	memcpy(d->uuid, r->uuid, 16);
	d->vcpus = r->vcpus;
	d->mem_size = r->mem_kib << 10;
	d->nr_pages = d->mem_size >> PVH_PAGE_SHIFT;
	d->on_poweroff = r->on_poweroff;
	d->on_reboot = r->on_reboot;
	d->on_crash = r->on_crash;
	d->max_evtchn_port = r->max_evtchn_port ? r->max_evtchn_port : 1023;
	d->max_grant_frames = r->max_grant_frames ? r->max_grant_frames : 64;
	d->log_rl = rl;
	d->console_rl = console_rl;	/* kept across restarts */
	return d;
}

static bool table_insert(struct hv_domain *d)
{
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (!hv.domains[i]) {
			hv.domains[i] = d;
			hv.ndomains++;
			return true;
		}
	}
	return false;
}

/* Memory, image, console and runner: the part a restart repeats. */
static int boot_domain(struct hv_domain *d, bool start_paused, bool fresh_log,
		       char *err, size_t errlen)
{
	int rc;

	rc = alloc_memory(d, err, errlen);
	/* The toolstack's part in Xen: ring ports offered to dom0. */
	if (rc == 0 && (hv_evtchn_alloc_unbound(d, 0, &d->store_port) < 0 ||
			hv_evtchn_alloc_unbound(d, 0, &d->console_port) < 0)) {
		snprintf(err, errlen, "no event channel ports left for the rings");
		rc = -ENOSPC;
	}
	if (rc == 0)
		rc = build(d, err, errlen);
	if (rc == 0) {
		d->gnt_frames = 1;
		hv_gnttab_seed(d);
	}
	if (rc == 0 && d->console_fd < 0)
		rc = open_console(d, fresh_log, err, errlen);
	if (rc == 0)
		rc = hv_spawn_runner(d, start_paused, err, errlen);
	return rc;
}

int hv_domain_create(const struct pvh_ctl_create *req, int kernel_fd,
		     uint32_t *domid_out, char *err, size_t errlen)
{
	struct hv_domain *d;
	int rc;

	rc = check_request(req, err, errlen);
	if (rc < 0)
		return rc;
	d = domain_new(req, kernel_fd);
	if (!d) {
		snprintf(err, errlen, "out of memory in pvhv");
		return -ENOMEM;
	}
	d->domid = alloc_domid();
	if (!d->domid || !table_insert(d)) {
		snprintf(err, errlen, "too many domains (at most %d)", HV_MAX_DOMAINS);
		d->kernel_fd = -1;	/* the caller still owns it */
		free(d);
		return -ENOSPC;
	}
	d->max_pages = d->nr_pages;
	hv.used_kib += d->max_pages * (PVH_PAGE_SIZE >> 10);
	rc = make_fds(d, err, errlen);
	if (rc == 0 && (hv_evtchn_init(d) < 0 || hv_gnttab_init(d) < 0)) {
		snprintf(err, errlen, "out of memory for the domain's event channels and grant table");
		rc = -ENOMEM;
	}
	if (rc == 0)
		rc = boot_domain(d, req->start_paused, true, err, errlen);
	if (rc < 0) {
		d->kernel_fd = -1;	/* the caller still owns it on failure */
		domain_release(d);
		return rc;
	}
	hv_dom0_dom_exc();
	sv_info("domain %u (%s) created: %" PRIu64 " KiB, cmdline \"%s\"%s", d->domid, d->name,
		req->mem_kib, d->cmdline, req->start_paused ? ", paused" : "");
	*domid_out = d->domid;
	return 0;
}

/*
 * Destroy stops the domain at once. Its memory goes too unless other
 * domains still map its grants: then it stays "dying" until the last
 * unmap (gnttab.c calls hv_domain_reap).
 */
int hv_domain_destroy(struct hv_domain *d)
{
	if (d->state == PVH_STATE_DYING)
		return 0;
	stop_runner(d);
	hv_evtchn_destroy(d);
	hv_gnttab_release_maps(d);
	if (d->gnt_pins) {
		d->state = PVH_STATE_DYING;
		hv_dom0_dom_exc();
		sv_info("domain %u (%s) dying: %llu grant mappings still held", d->domid, d->name,
			(unsigned long long)d->gnt_pins);
		return 0;
	}
	sv_info("domain %u (%s) destroyed", d->domid, d->name);
	domain_release(d);
	return 0;
}

void hv_domain_reap(struct hv_domain *d)
{
	sv_info("domain %u (%s): last grant mapping released; destroyed", d->domid, d->name);
	domain_release(d);
}

int hv_domain_pause(struct hv_domain *d, char *err, size_t errlen)
{
	if (d->state == PVH_STATE_PAUSED)
		return 0;
	if (d->state != PVH_STATE_RUNNING || d->pid <= 0) {
		snprintf(err, errlen, "domain %u (%s) is %s; only a running domain can be paused",
			 d->domid, d->name, hv_state_name(d->state));
		return -EINVAL;
	}
	if (kill(d->pid, SIGSTOP) < 0)
		return -errno;
	d->state = PVH_STATE_PAUSED;
	return 0;
}

int hv_domain_unpause(struct hv_domain *d, char *err, size_t errlen)
{
	if (d->state == PVH_STATE_RUNNING)
		return 0;
	if (d->state != PVH_STATE_PAUSED || d->pid <= 0) {
		snprintf(err, errlen, "domain %u (%s) is %s; only a paused domain can be unpaused",
			 d->domid, d->name, hv_state_name(d->state));
		return -EINVAL;
	}
	if (!d->vcpu_started) {
		d->vcpu_started = true;
		hv_runner_go(d);
	} else if (kill(d->pid, SIGCONT) < 0) {
		return -errno;
	}
	d->state = PVH_STATE_RUNNING;
	return 0;
}

void hv_domain_info(const struct hv_domain *d, struct pvh_ctl_dominfo *out)
{
	memset(out, 0, sizeof(*out));
	out->domid = d->domid;
	out->state = d->state;
	out->reason = d->reason;
	out->vcpus = d->vcpus;
	sv_strlcpy(out->name, d->name, sizeof(out->name));
	memcpy(out->uuid, d->uuid, 16);
	out->mem_kib = d->nr_pages * (PVH_PAGE_SIZE >> 10);
	out->max_mem_kib = d->max_pages * (PVH_PAGE_SIZE >> 10);
	out->cpu_ns = d->cpu_ns_prev + (d->pid > 0 ? runner_cpu_ns(d->pid) : 0);
	out->start_unix_ns = d->start_unix_ns;
	if (d->start_mono_ns)
		out->uptime_ns = (d->stop_mono_ns ? d->stop_mono_ns : sv_now_ns()) - d->start_mono_ns;
	out->restarts = d->restarts;
	out->pid = d->pid;
	sv_strlcpy(out->cause, d->cause, sizeof(out->cause));
	out->store_port = d->store_port;
	out->console_port = d->console_port;
}

/* True when restarts, for any reason, have come too fast: the domain loops. */
static bool restart_too_fast(struct hv_domain *d)
{
	uint64_t now = sv_now_ns();
	uint64_t oldest = d->restart_times[d->brake_count % HV_RESTART_BURST];

	if (d->brake_count >= HV_RESTART_BURST && now - oldest < HV_RESTART_WINDOW_NS)
		return true;
	d->restart_times[d->brake_count % HV_RESTART_BURST] = now;
	d->brake_count++;
	return false;
}

/*
 * The brake: a reboot loop costs pvhv as much as a crash loop (each
 * restart rereads the image and rebuilds memory in the event loop), so
 * every restart counts. The domain stays crashed, saying why.
 */
static void brake(struct hv_domain *d)
{
	char last[48];	/* the cause, shortened to fit */
	bool crashed = d->state == PVH_STATE_CRASHED;

	sv_strlcpy(last, crashed ? d->cause : reason_name(d->reason), sizeof(last));
	d->state = PVH_STATE_CRASHED;
	snprintf(d->cause, sizeof(d->cause), "%s %d times in %llu s (last: %s); stopped restarting",
		 crashed ? "crashed" : "restarted", HV_RESTART_BURST,
		 HV_RESTART_WINDOW_NS / 1000000000ull, last);
	sv_warn("domain %u (%s): %s", d->domid, d->name, d->cause);
	hv_dom0_dom_exc();
	stop_runner(d);
}

static void restart(struct hv_domain *d)
{
	char err[512], line[160];
	int n;

	if (restart_too_fast(d)) {
		brake(d);
		return;
	}
	stop_runner(d);
	hv_evtchn_reset(d);
	hv_gnttab_release_maps(d);
	hv_gnttab_revoke_foreign(d);
	free_memory(d);
	d->restarts++;
	d->state = PVH_STATE_RUNNING;
	d->reason = -1;
	d->cause[0] = '\0';
	d->vcpu_started = false;
	n = snprintf(line, sizeof(line), "\n[pvhv: domain %u restarting (restart %u)]\n",
		     d->domid, d->restarts);
	hv_console_write(d, line, (size_t)n);
	if (boot_domain(d, false, false, err, sizeof(err)) < 0) {
		d->state = PVH_STATE_CRASHED;
		sv_strlcpy(d->cause, "restart failed (see the pvhv log)", sizeof(d->cause));
		sv_err("domain %u (%s): restart failed: %s", d->domid, d->name, err);
		stop_runner(d);
	}
}

static void apply_action(struct hv_domain *d, enum pvh_action action)
{
	switch (action) {
	case PVH_ACTION_DESTROY:
		hv_domain_destroy(d);
		break;
	case PVH_ACTION_RESTART:
		restart(d);
		break;
	case PVH_ACTION_PRESERVE:
	default:
		stop_runner(d);
		break;
	}
}

void hv_domain_shutdown(struct hv_domain *d, int reason)
{
	enum pvh_action action;

	hv_dom0_dom_exc();
	d->state = PVH_STATE_SHUTDOWN;
	d->reason = reason;
	sv_info("domain %u (%s) shut down (%s)", d->domid, d->name, reason_name(reason));
	switch (reason) {
	case SHUTDOWN_poweroff: action = d->on_poweroff; break;
	case SHUTDOWN_reboot: action = d->on_reboot; break;
	case SHUTDOWN_crash:
	case SHUTDOWN_watchdog:
		d->state = PVH_STATE_CRASHED;
		snprintf(d->cause, sizeof(d->cause), "the guest reported a %s", reason_name(reason));
		action = d->on_crash;
		break;
	default: action = PVH_ACTION_PRESERVE; break;	/* suspend: keep it */
	}
	apply_action(d, action);
}

void hv_domain_crash(struct hv_domain *d, const char *fmt, ...)
{
	va_list ap;

	d->state = PVH_STATE_CRASHED;
	d->reason = -1;
	va_start(ap, fmt);
	vsnprintf(d->cause, sizeof(d->cause), fmt, ap);
	va_end(ap);
	sv_warn("domain %u (%s) crashed: %s", d->domid, d->name, d->cause);
	hv_dom0_dom_exc();
	apply_action(d, d->on_crash);
}

void hv_domain_on_exit(struct hv_domain *d)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)d->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	d->pid = 0;
	d->stop_mono_ns = sv_now_ns();
	if (si.si_code == CLD_EXITED && si.si_status == RUNNER_EXIT_SETUP)
		hv_domain_crash(d, "its sandbox failed to set up (see the pvhv log)");
	else if (si.si_code == CLD_EXITED && si.si_status == RUNNER_EXIT_IOREQ)
		hv_domain_crash(d, "its device model refused or stopped answering port I/O");
	else if (si.si_code == CLD_EXITED)
		hv_domain_crash(d, "the vCPU exited with status %d", si.si_status);
	else
		hv_domain_crash(d, "killed by signal %d (SIG%s)", si.si_status,
				sigabbrev_np(si.si_status) ? sigabbrev_np(si.si_status) : "?");
}

/*
 * Receives one notification, retrying a receive a signal interrupted.
 * Returns 0, or -errno: -ENOENT when the notification went away before
 * we took it (its thread was killed, as our own SIGKILL does).
 */
static int notify_receive(int fd, struct seccomp_notif *req)
{
	for (int tries = 0; tries < 16; tries++) {
		int rc = seccomp_notify_receive(fd, req);
		int err = errno;

		if (rc == 0)
			return 0;
		if (rc != -EINTR && err != EINTR)
			return -err;
	}
	return -EINTR;
}

/*
 * The listener is readable: a forbidden system call waits. Only a hangup
 * (the filter has no process left) means the runner is gone; closing the
 * listener while the runner lives would turn its forbidden calls into
 * -ENOSYS instead of a crash, so every other failure crashes the domain.
 */
void hv_domain_on_notify(struct hv_domain *d)
{
	struct pollfd pfd = { .fd = d->notify_fd, .events = POLLIN };
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	char *name;
	int nr, rc;

	/* The receive blocks when nothing waits; epoll may report a stale event. */
	if (d->notify_fd < 0 || poll(&pfd, 1, 0) <= 0)
		return;
	if (!(pfd.revents & POLLIN)) {
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			close_fd(&d->notify_fd, true);	/* the exit handler reports why */
		return;
	}
	if (seccomp_notify_alloc(&req, &resp) < 0)
		return;
	rc = notify_receive(d->notify_fd, req);
	nr = req->data.nr;
	seccomp_notify_free(req, resp);
	if (rc == -ENOENT)
		return;
	if (rc < 0) {
		hv_domain_crash(d, "its seccomp notification cannot be read (%s)", strerror(-rc));
		return;
	}
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	hv_domain_crash(d, "forbidden system call %d (%s)", nr, name ? name : "unknown");
	free(name);
}

void hv_domain_kick(struct hv_domain *d)
{
	uint64_t one = 1;

	if (d->event_fd >= 0 && write(d->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		sv_warn("domain %u: event kick: %s", d->domid, strerror(errno));
}

void hv_domain_on_timer(struct hv_domain *d)
{
	uint64_t expirations;

	if (read(d->timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	hv_evtchn_raise_virq(d, VIRQ_TIMER);
	hv_domain_kick(d);
}

void hv_domain_destroy_all(void)
{
	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (hv.domains[i])
			hv_domain_destroy(hv.domains[i]);
	}
}

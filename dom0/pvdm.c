/*
 * pvdm.c: the device model of one domain with emulated devices.
 *
 * pvdm emulates the primary ATA/IDE channel (ata.c) with one disk, backed
 * by an image file or block device, for a domain created with
 * PVH_CREATE_IOREQ. The flow:
 *
 *   1. open the disk image (O_DIRECT where the file system allows it,
 *      with the buffered descriptor as the fallback, as pvblkback does);
 *   2. connect to pvhv and claim the domain's ioreq socket
 *      (PVH_CTL_DOM_FD, PVH_DOM_FD_IOREQ), then its memory
 *      (PVH_DOM_FD_MEMORY), mapped shared; its size comes from fstat and
 *      bounds every DMA address;
 *   3. write one byte to --ready-fd: pvctl unpauses the domain then;
 *   4. serve: read one request, check it in full (ioreq.c), hand it to
 *      the drive, answer. A malformed request is answered
 *      PVH_IOREQ_EBADREQ (the runner crashes the domain). An answer that
 *      would block (the guest writes requests and does not read) drops
 *      the socket instead: pvdm never waits on a guest;
 *   5. when the socket ends (the runner was replaced by an in-place
 *      restart, or the domain died), ask pvhv again for the new socket
 *      and map the memory again; the drive is reset, as at power-on. When
 *      pvhv says the domain is gone, exit 0.
 *
 * Counters (requests per register group, commands, sectors) go to the log
 * on SIGUSR1 and on exit. SIGTERM and SIGINT end it cleanly; pvhv then
 * crashes the domain if it still exists ("its device model exited").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ata.h"
#include "hvclient.h"
#include "ioreq.h"
#include "public/pvh_ctl.h"
#include "sv.h"

#define RECLAIM_POLL_MS		100

struct opts {
	const char *rundir;
	uint32_t domid;
	const char *disk;
	bool readonly;
	int ready_fd;
	const char *log;
	const char *pidfile;
	bool verbose;
};

struct disk {
	int fd;
	int fd_buffered;	/* for O_DIRECT requests the kernel refuses */
	bool direct;
	bool readonly;
	const char *path;
	uint64_t sectors;
};

struct pvdm {
	struct opts o;
	struct disk disk;
	struct ata_backend be;
	struct ata *ata;
	int hv;
	int ioreq;
	void *mem;
	uint64_t mem_size;
	int sigfd;
	struct ioreq_stats st;
	uint64_t reclaims;
	struct sv_ratelimit rl;
};

/* ---- The disk image ------------------------------------------------------ */

static int disk_fd_for(struct disk *d, bool retry)
{
	if (!retry || !d->direct)
		return d->fd;
	if (d->fd_buffered < 0)
		d->fd_buffered = open(d->path, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	return d->fd_buffered;
}

/* A pread (rbuf) or pwrite (wbuf) loop; O_DIRECT refusals are retried through the page cache. */
static int disk_io(struct disk *d, void *rbuf, const void *wbuf, uint64_t off, size_t len)
{
	bool write = wbuf != NULL;
	bool retry = false;
	size_t done = 0;

	while (done < len) {
		int fd = disk_fd_for(d, retry);
		ssize_t n;

		if (fd < 0)
			return -EIO;
		n = write ? pwrite(fd, (const char *)wbuf + done, len - done, (off_t)(off + done)) :
			    pread(fd, (char *)rbuf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && d->direct && !retry) {
			retry = true;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return write ? -ENOSPC : -EIO;	/* the image shrank under us */
		done += (size_t)n;
	}
	return 0;
}

static int be_read(void *ctx, void *buf, uint64_t off, size_t len)
{
	return disk_io(ctx, buf, NULL, off, len);
}

static int be_write(void *ctx, const void *buf, uint64_t off, size_t len)
{
	return disk_io(ctx, NULL, buf, off, len);
}

static int be_flush(void *ctx)
{
	struct disk *d = ctx;

	if (fdatasync(d->fd) < 0)
		return -errno;
	if (d->fd_buffered >= 0 && fdatasync(d->fd_buffered) < 0)
		return -errno;
	return 0;
}

static int disk_open(struct disk *d, const char *path, bool readonly)
{
	struct sv_image img;

	d->path = path;
	d->readonly = readonly;
	d->fd_buffered = -1;
	d->fd = sv_open_image(path, readonly, &img);
	if (d->fd < 0)
		return d->fd;
	d->direct = img.direct;
	d->sectors = img.bytes / ATA_SECTOR_SIZE;
	return d->sectors ? 0 : -ENOSPC;
}

/* ---- The domain: ioreq socket and memory ------------------------------------ */

static void unmap_memory(struct pvdm *p)
{
	ata_set_memory(p->ata, NULL, 0);
	if (p->mem)
		munmap(p->mem, p->mem_size);
	p->mem = NULL;
	p->mem_size = 0;
}

static int map_memory(struct pvdm *p, char *err, size_t errlen)
{
	struct pvh_ctl_dom_fd req = { .domid = p->o.domid, .which = PVH_DOM_FD_MEMORY };
	struct stat st;
	int fd = -1, rc;

	rc = hvc_call(p->hv, PVH_CTL_DOM_FD, &req, sizeof(req), -1, NULL, 0, NULL, &fd, err, errlen);
	if (rc < 0)
		return rc;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0) {
		snprintf(err, errlen, "pvhv sent no usable memory descriptor");
		rc = -EPROTO;
		goto out;
	}
	p->mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		rc = -errno;
		snprintf(err, errlen, "cannot map the domain's memory: %s", strerror(errno));
		goto out;
	}
	p->mem_size = (uint64_t)st.st_size;
	ata_set_memory(p->ata, p->mem, p->mem_size);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Claims the domain's current ioreq socket, then maps its memory. */
static int claim(struct pvdm *p, char *err, size_t errlen)
{
	struct pvh_ctl_dom_fd req = { .domid = p->o.domid, .which = PVH_DOM_FD_IOREQ };
	int fd = -1, rc;

	rc = hvc_call(p->hv, PVH_CTL_DOM_FD, &req, sizeof(req), -1, NULL, 0, NULL, &fd, err, errlen);
	if (rc < 0)
		return rc;
	if (fd < 0) {
		snprintf(err, errlen, "pvhv sent no ioreq socket");
		return -EPROTO;
	}
	p->ioreq = fd;
	rc = map_memory(p, err, errlen);
	if (rc < 0) {
		close(p->ioreq);
		p->ioreq = -1;
	}
	return rc;
}

static bool domain_gone(int rc)
{
	return rc == -ESRCH || rc == -ENOENT;
}

/*
 * The socket ended: a new runner (in-place restart), or no domain. While
 * a restart is under way, or the domain is shut down and preserved, pvhv
 * has no socket to give, so we ask again every RECLAIM_POLL_MS for as
 * long as the domain exists, still answering signals. Returns 0 (claimed
 * again), 1 (the domain is gone, or a signal asked us to stop) or -errno
 * (pvhv went away).
 */
static bool handle_signal(struct pvdm *p, int *exit_rc);

static int reclaim(struct pvdm *p)
{
	char err[300] = "";
	int rc, exit_rc = 0;

	close(p->ioreq);
	p->ioreq = -1;
	unmap_memory(p);
	for (unsigned long tries = 0;; tries++) {
		struct pollfd pf = { .fd = p->sigfd, .events = POLLIN };

		rc = claim(p, err, sizeof(err));
		if (rc == 0) {
			ata_reset(p->ata);
			p->reclaims++;
			sv_info("domain %u: serving its new runner", p->o.domid);
			return 0;
		}
		if (domain_gone(rc))
			return 1;
		if (rc == -EPROTO || rc == -EPIPE || rc == -ECONNRESET) {
			sv_err("domain %u: pvhv went away: %s", p->o.domid, err);
			return rc;
		}
		if (tries == 0)
			sv_info("domain %u: no runner to serve yet (%s); waiting", p->o.domid, err);
		if (poll(&pf, 1, RECLAIM_POLL_MS) > 0 && !handle_signal(p, &exit_rc))
			return 1;
	}
}

/* ---- Serving ------------------------------------------------------------------- */

/*
 * The same counters as one line of key=value pairs for scripts (pvbench
 * divides ioreqs by commands for its exits-per-request figures):
 * "stats: domid=N ioreqs=.. in=.. out=.. accesses=.. malformed=..
 * ioreqs.<group>=.. cmd.<kind>=.. sectors_read=.. sectors_written=..
 * errors=.. dma_errors=.."
 */
static void print_stats_line(const struct pvdm *p)
{
	const struct ata_stats *a = ata_stats(p->ata);
	char line[1024];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "stats: domid=%u ioreqs=%" PRIu64 " in=%" PRIu64
			     " out=%" PRIu64 " accesses=%" PRIu64 " malformed=%" PRIu64,
			     p->o.domid, p->st.reqs, p->st.in, p->st.out, p->st.items, p->st.bad);
	for (int g = 0; g < ATA_PG_COUNT && n < sizeof(line); g++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " ioreqs.%s=%" PRIu64,
				      g == ATA_PG_STATUS ? "status" :
				      ata_port_group_name((enum ata_port_group)g), p->st.by_group[g]);
	for (int c = 0; c < ATA_SC_COUNT && n < sizeof(line); c++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " cmd.%s=%" PRIu64,
				      ata_stat_cmd_name((enum ata_stat_cmd)c), a->cmds[c]);
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " sectors_read=%" PRIu64 " sectors_written=%"
			 PRIu64 " errors=%" PRIu64 " dma_errors=%" PRIu64, a->sectors_read,
			 a->sectors_written, a->errors, a->dma_errors);
	sv_info("%s", line);
}

static void print_stats(const struct pvdm *p)
{
	const struct ata_stats *a = ata_stats(p->ata);

	sv_info("domain %u: %" PRIu64 " ioreqs (%" PRIu64 " in, %" PRIu64 " out, %" PRIu64
		" port accesses, %" PRIu64 " malformed), %" PRIu64 " new runners",
		p->o.domid, p->st.reqs, p->st.in, p->st.out, p->st.items, p->st.bad, p->reclaims);
	for (int g = 0; g < ATA_PG_COUNT; g++)
		sv_info("  ioreqs %-15s %" PRIu64 " (%" PRIu64 " accesses)",
			ata_port_group_name((enum ata_port_group)g), p->st.by_group[g],
			a->accesses[g]);
	for (int c = 0; c < ATA_SC_COUNT; c++)
		sv_info("  commands %-13s %" PRIu64, ata_stat_cmd_name((enum ata_stat_cmd)c),
			a->cmds[c]);
	sv_info("  sectors read %" PRIu64 ", written %" PRIu64 ", command errors %" PRIu64
		", DMA errors %" PRIu64 ", resets %" PRIu64,
		a->sectors_read, a->sectors_written, a->errors, a->dma_errors, a->resets);
	print_stats_line(p);
}

/* One message. Returns 0, or 1 when the socket ended. */
static int serve_one(struct pvdm *p)
{
	static uint8_t msg[PVH_IOREQ_MSG_MAX + 1] __attribute__((aligned(16)));
	static uint8_t rsp[IOREQ_RSP_MAX] __attribute__((aligned(16)));
	const char *why = NULL;
	unsigned long missed = 0;
	ssize_t n;
	size_t len;

	/* MSG_TRUNC: a message longer than the buffer reports its real length. */
	n = recv(p->ioreq, msg, sizeof(msg), MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return 1;
	/* Longer than any valid message is clipped to one byte too many: refused. */
	len = (size_t)n > sizeof(msg) ? sizeof(msg) : (size_t)n;
	len = ioreq_serve(p->ata, msg, len, rsp, &p->st, &why);
	if (why && sv_ratelimit_ok(&p->rl, &missed))
		sv_warn("domain %u: malformed ioreq (%s) answered EBADREQ", p->o.domid, why);
	/*
	 * The runner waits for each answer, so the socket never fills while
	 * it plays by the rules; a guest writing requests itself without
	 * reading must not block us. We drop the socket: the runner then
	 * exits and pvhv crashes the domain.
	 */
	do
		n = send(p->ioreq, rsp, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN) {
		sv_warn("domain %u: its vCPU does not read its ioreq responses; dropping the socket",
			p->o.domid);
		return 1;
	}
	return n < 0 ? 1 : 0;
}

/* Returns true to go on, false to exit. */
static bool handle_signal(struct pvdm *p, int *exit_rc)
{
	struct signalfd_siginfo si;

	if (read(p->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return true;
	if (si.ssi_signo == SIGUSR1) {
		print_stats(p);
		return true;
	}
	sv_info("domain %u: signal %u, exiting", p->o.domid, si.ssi_signo);
	*exit_rc = 0;
	return false;
}

static int serve(struct pvdm *p)
{
	int rc = 0;

	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = p->ioreq, .events = POLLIN },
			{ .fd = p->sigfd, .events = POLLIN },
			{ .fd = p->hv, .events = POLLIN },
		};

		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			sv_err("poll: %s", strerror(errno));
			return 1;
		}
		if (pf[1].revents && !handle_signal(p, &rc))
			return rc;
		if (pf[2].revents) {
			sv_err("domain %u: pvhv closed our connection; exiting", p->o.domid);
			return 1;
		}
		if (!pf[0].revents)
			continue;
		if (serve_one(p) == 0)
			continue;
		rc = reclaim(p);
		if (rc == 1) {
			sv_info("domain %u is gone; exiting", p->o.domid);
			return 0;
		}
		if (rc < 0)
			return 1;
	}
}

/* ---- Start-up ------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pvdm --domid N --disk PATH [options]\n"
		"The device model of one domain: an emulated IDE disk (primary channel,\n"
		"PIO and bus-master DMA) served over the domain's ioreq socket.\n"
		"  --rundir DIR     the run directory of pvhv (default $SPLITVISOR_RUNDIR\n"
		"                   or " SV_DEFAULT_RUNDIR ")\n"
		"  --domid N        the domain, created with PVH_CREATE_IOREQ\n"
		"  --disk PATH      the disk image or block device (hda)\n"
		"  --readonly       open it read-only; guest writes fail with ABRT\n"
		"  --ready-fd FD    write one byte to FD once the domain is claimed\n"
		"  --pidfile FILE   write our pid there (removed on exit)\n"
		"  --log FILE       append the log to FILE instead of stderr\n"
		"  --verbose        log more\n"
		"  --help           this text\n"
		"SIGUSR1 logs the counters; they are also logged on exit.\n");
}

/* One option that takes a value. Returns 1 if it was one, 0 if not, -EINVAL if bad. */
static int opt_value(struct opts *o, const char *a, const char *v, bool *have_domid)
{
	uint32_t n;

	if (strcmp(a, "--rundir") == 0)
		o->rundir = v;
	else if (strcmp(a, "--disk") == 0)
		o->disk = v;
	else if (strcmp(a, "--log") == 0)
		o->log = v;
	else if (strcmp(a, "--pidfile") == 0)
		o->pidfile = v;
	else if (strcmp(a, "--domid") == 0 && sv_parse_u32(v, &o->domid) == 0)
		*have_domid = true;
	else if (strcmp(a, "--ready-fd") == 0 && sv_parse_u32(v, &n) == 0 && n < INT_MAX)
		o->ready_fd = (int)n;
	else
		return strcmp(a, "--domid") == 0 || strcmp(a, "--ready-fd") == 0 ? -EINVAL : 0;
	return 1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	bool have_domid = false;

	*o = (struct opts){ .ready_fd = -1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(a, "--readonly") == 0) {
			o->readonly = true;
			continue;
		}
		if (strcmp(a, "--verbose") == 0) {
			o->verbose = true;
			continue;
		}
		if (i + 1 < argc)
			r = opt_value(o, a, argv[i + 1], &have_domid);
		if (r <= 0) {
			fprintf(stderr, "pvdm: %s option '%s'\n", r < 0 ? "a bad value for the" :
				"unknown or incomplete", a);
			return -EINVAL;
		}
		i++;
	}
	if (!have_domid || !o->disk) {
		fprintf(stderr, "pvdm: --domid and --disk are required\n");
		return -EINVAL;
	}
	return 0;
}

static int setup(struct pvdm *p, char *err, size_t errlen)
{
	char serial[24];
	int rc;

	rc = disk_open(&p->disk, p->o.disk, p->o.readonly);
	if (rc < 0) {
		snprintf(err, errlen, "cannot use the disk %s: %s", p->o.disk,
			 rc == -ENOSPC ? "it is smaller than one sector" : strerror(-rc));
		return rc;
	}
	p->be = (struct ata_backend){ be_read, be_write, be_flush, &p->disk };
	snprintf(serial, sizeof(serial), "SV-DOM%u-HDA", p->o.domid);
	p->ata = ata_create(&p->be, p->disk.sectors, p->o.readonly, serial);
	if (!p->ata) {
		snprintf(err, errlen, "cannot create the drive: %s", strerror(errno));
		return -errno;
	}
	p->hv = hvc_open(p->o.rundir ? p->o.rundir : sv_rundir(NULL), err, errlen);
	if (p->hv < 0)
		return p->hv;
	return claim(p, err, errlen);
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void signal_ready(struct pvdm *p)
{
	if (p->o.ready_fd < 0)
		return;
	if (write(p->o.ready_fd, "R", 1) != 1)
		sv_warn("cannot write to the ready descriptor %d: %s", p->o.ready_fd, strerror(errno));
	close(p->o.ready_fd);
}

int main(int argc, char **argv)
{
	struct pvdm p = { .hv = -1, .ioreq = -1, .sigfd = -1,
			  .rl = SV_RATELIMIT_INIT(10, 1) };
	char err[400] = "";
	int rc;

	if (parse_opts(argc, argv, &p.o) < 0) {
		usage(stderr);
		return 2;
	}
	if (p.o.log && !freopen(p.o.log, "a", stderr)) {
		fprintf(stdout, "pvdm: cannot open the log %s: %s\n", p.o.log, strerror(errno));
		return 1;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	sv_log_init("pvdm", p.o.verbose ? SV_LOG_DEBUG : SV_LOG_INFO);
	p.sigfd = block_signals();
	if (p.sigfd < 0) {
		sv_err("signalfd: %s", strerror(errno));
		return 1;
	}
	rc = setup(&p, err, sizeof(err));
	if (rc < 0) {
		sv_err("domain %u: %s", p.o.domid, err);
		return 1;
	}
	if (p.o.pidfile && sv_pidfile_write(p.o.pidfile) < 0)
		sv_warn("cannot write the pidfile %s: %s", p.o.pidfile, strerror(errno));
	sv_info("domain %u: hda is %s (%" PRIu64 " sectors, %s%s), memory %" PRIu64 " KiB",
		p.o.domid, p.o.disk, p.disk.sectors, p.o.readonly ? "read-only" : "read-write",
		p.disk.direct ? ", O_DIRECT" : "", p.mem_size / 1024);
	signal_ready(&p);
	rc = serve(&p);
	print_stats(&p);
	if (p.o.pidfile)
		unlink(p.o.pidfile);
	unmap_memory(&p);
	ata_destroy(p.ata);
	return rc;
}

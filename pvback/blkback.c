/*
 * blkback.c: pvblkback, the block backend: options, the XenStore watch
 * loop and the xenbus state machine of every vbd (blkif.h, reference
 * §4.3; docs/xenbus.md).
 *
 * Any watch event makes the daemon reconcile: it finds new device
 * directories under /local/domain/0/backend/vbd, and for each device
 * compares what the frontend's state now is with ours and takes the
 * step the protocol prescribes, whatever order events came in:
 *
 *   new directory    open the image, advertise features, -> InitWait
 *   fe Initialised   read ring-ref, event-channel, protocol; map, bind,
 *   or Connected     start the I/O thread; write sectors/info; -> Connected
 *   fe Closing       -> Closing
 *   fe Closed        stop the I/O thread (unmapping everything); -> Closed
 *   fe Initialising  (after Closed) -> InitWait again, ready to reconnect
 *   directory gone   stop and forget the device
 *
 * Errors in what the frontend wrote (a bad ring-ref, an unknown protocol,
 * a multi-page ring we did not offer) close the device, never the daemon;
 * so does a frontend whose ring indices lie (blkio.c flags it and wakes
 * the main loop, which closes the device).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#include "blkback-priv.h"
#include "hvclient.h"
#include "sv.h"

#define BACKEND_DIR	"/local/domain/0/backend/vbd"

static struct {
	const char *rundir;
	struct xs_handle *xs;
	struct blk_dev *devs;
	int wake_fd;		/* an I/O thread gave up on its frontend */
} bb;

static char *xs_get(const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(bb.xs, XBT_NULL, path, &len);
}

static int xs_get_u32(const char *dir, const char *key, uint32_t *out)
{
	char *v = xs_get(dir, key);
	int rc = v ? sv_parse_u32(v, out) : -ENOENT;

	free(v);
	return rc;
}

static bool xs_put(xs_transaction_t t, const char *dir, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool xs_put(xs_transaction_t t, const char *dir, const char *key, const char *fmt, ...)
{
	char path[256], val[64];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xs_write(bb.xs, t, path, val, strlen(val));
}

static void set_state(struct blk_dev *d, int state)
{
	d->state = state;
	xs_put(XBT_NULL, d->bpath, "state", "%d", state);
}

static int open_image(struct blk_dev *d)
{
	int flags = (d->disk.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	uint64_t bytes = 0;

	d->fd = open(d->params, flags | O_DIRECT);
	d->direct = d->fd >= 0;
	if (d->fd < 0)
		d->fd = open(d->params, flags);
	if (d->fd < 0 || fstat(d->fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		bytes = (uint64_t)st.st_size;
	else if (S_ISBLK(st.st_mode) && ioctl(d->fd, BLKGETSIZE64, &bytes) < 0)
		return -errno;
	else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -ENOTBLK;
	d->disk.sectors = bytes >> BLK_SECTOR_SHIFT;
	d->disk.can_discard = S_ISREG(st.st_mode) && !d->disk.readonly;
	return 0;
}

/* A new device directory: open the image and wait for the frontend. */
static int probe(struct blk_dev *d)
{
	char *params = xs_get(d->bpath, "params"), *mode = xs_get(d->bpath, "mode");
	char *fe = xs_get(d->bpath, "frontend");
	uint32_t fe_id;
	int rc = -EINVAL;

	if (!params || !mode || !fe || xs_get_u32(d->bpath, "frontend-id", &fe_id) < 0 ||
	    fe_id != d->domid || strlen(fe) >= sizeof(d->fpath) || strlen(params) >= sizeof(d->params))
		goto out;
	sv_strlcpy(d->fpath, fe, sizeof(d->fpath));
	sv_strlcpy(d->params, params, sizeof(d->params));
	d->disk.readonly = strcmp(mode, "w") != 0;
	rc = open_image(d);
	if (rc < 0) {
		sv_warn("vbd %u/%u: cannot open %s: %s", d->domid, d->devid, params, strerror(-rc));
		goto out;
	}
	xs_put(XBT_NULL, d->bpath, "feature-flush-cache", "1");
	xs_put(XBT_NULL, d->bpath, "feature-persistent", "1");
	xs_put(XBT_NULL, d->bpath, "max-ring-page-order", "0");
	xs_put(XBT_NULL, d->bpath, "multi-queue-max-queues", "1");
	set_state(d, XenbusStateInitWait);
	xs_watch(bb.xs, d->fpath, "fe");
	sv_info("vbd %u/%u: %s (%llu sectors, %s%s) waiting for the frontend", d->domid, d->devid,
		d->params, (unsigned long long)d->disk.sectors, d->disk.readonly ? "read-only" : "read-write",
		d->direct ? ", O_DIRECT" : "");
out:
	free(params);
	free(mode);
	free(fe);
	return rc;
}

static bool advertise(struct blk_dev *d)
{
	for (int tries = 0; tries < 16; tries++) {
		xs_transaction_t t = xs_transaction_start(bb.xs);
		bool ok = t != XBT_NULL &&
			  xs_put(t, d->bpath, "sectors", "%llu", (unsigned long long)d->disk.sectors) &&
			  xs_put(t, d->bpath, "sector-size", "512") &&
			  xs_put(t, d->bpath, "physical-sector-size", "512") &&
			  xs_put(t, d->bpath, "info", "%u", d->disk.readonly ? VDISK_READONLY : 0) &&
			  xs_put(t, d->bpath, "feature-discard", "%d", d->disk.can_discard) &&
			  xs_put(t, d->bpath, "discard-granularity", "4096") &&
			  xs_put(t, d->bpath, "state", "%d", XenbusStateConnected);

		if (t != XBT_NULL && xs_transaction_end(bb.xs, t, !ok) && ok) {
			d->state = XenbusStateConnected;
			return true;
		}
		if (!ok || errno != EAGAIN)
			return false;
	}
	return false;
}

/* The frontend is ready: read what it wrote, connect, advertise. */
static void connect(struct blk_dev *d)
{
	char *proto = xs_get(d->fpath, "protocol");
	uint32_t order = 0, persistent = 0;
	bool ok = xs_get_u32(d->fpath, "ring-ref", &d->ring_ref) == 0 &&
		  xs_get_u32(d->fpath, "event-channel", &d->remote_port) == 0;

	xs_get_u32(d->fpath, "ring-page-order", &order);
	xs_get_u32(d->fpath, "feature-persistent", &persistent);
	if (!ok || order != 0 || (proto && strcmp(proto, XEN_IO_PROTO_ABI_NATIVE) != 0)) {
		sv_warn("vbd %u/%u: the frontend wrote a ring we cannot use (ring-ref, event-channel, ring-page-order %u, protocol %s); closing",
			d->domid, d->devid, order, proto ? proto : "(none)");
		set_state(d, XenbusStateClosing);
		free(proto);
		return;
	}
	free(proto);
	d->persistent = persistent == 1;
	d->rundir = bb.rundir;
	if (blkio_start(d) < 0) {
		set_state(d, XenbusStateClosing);
		return;
	}
	if (!advertise(d)) {
		blkio_stop(d);
		set_state(d, XenbusStateClosing);
		return;
	}
	sv_info("vbd %u/%u: connected (%spersistent grants)", d->domid, d->devid, d->persistent ? "" : "no ");
}

static void step(struct blk_dev *d)
{
	uint32_t fe = XenbusStateClosed;

	if (xs_get_u32(d->fpath, "state", &fe) < 0)
		fe = XenbusStateClosed;		/* the frontend went away */
	d->fe_state = (int)fe;
	switch (fe) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (!d->connected && d->state == XenbusStateInitWait)
			connect(d);
		break;
	case XenbusStateClosing:
		if (d->state != XenbusStateClosing && d->state != XenbusStateClosed)
			set_state(d, XenbusStateClosing);
		break;
	case XenbusStateClosed:
		blkio_stop(d);
		if (d->state != XenbusStateClosed && d->state != XenbusStateInitWait)
			set_state(d, XenbusStateClosed);
		break;
	case XenbusStateInitialising:
		if (d->state == XenbusStateClosed && d->fd >= 0) {	/* not a failed probe */
			blkio_stop(d);
			set_state(d, XenbusStateInitWait);	/* ready to reconnect */
		}
		break;
	default:
		break;
	}
}

static void forget(struct blk_dev *d)
{
	struct blk_dev **pp;

	blkio_stop(d);
	if (d->fpath[0])
		xs_unwatch(bb.xs, d->fpath, "fe");
	if (d->fd >= 0)
		close(d->fd);
	for (pp = &bb.devs; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	sv_info("vbd %u/%u: removed (%llu requests, %llu errors)", d->domid, d->devid,
		(unsigned long long)d->reqs, (unsigned long long)d->errors);
	free(d);
}

static struct blk_dev *find(unsigned int domid, unsigned int devid)
{
	for (struct blk_dev *d = bb.devs; d; d = d->next)
		if (d->domid == domid && d->devid == devid)
			return d;
	return NULL;
}

static void discover(void)
{
	unsigned int ndom = 0, ndev;
	char **doms = xs_directory(bb.xs, XBT_NULL, BACKEND_DIR, &ndom), **devs, path[128];

	for (unsigned int i = 0; doms && i < ndom; i++) {
		uint32_t domid, devid;

		if (sv_parse_u32(doms[i], &domid) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%u", BACKEND_DIR, domid);
		devs = xs_directory(bb.xs, XBT_NULL, path, &ndev);
		for (unsigned int j = 0; devs && j < ndev; j++) {
			struct blk_dev *d;

			if (sv_parse_u32(devs[j], &devid) < 0 || find(domid, devid))
				continue;
			d = calloc(1, sizeof(*d));
			if (!d)
				continue;
			d->domid = domid;
			d->devid = devid;
			d->fd = d->stop_fd = -1;
			d->wake_fd = bb.wake_fd;
			snprintf(d->bpath, sizeof(d->bpath), "%s/%u/%u", BACKEND_DIR, domid, devid);
			d->next = bb.devs;
			bb.devs = d;
			if (probe(d) < 0) {
				if (d->fd >= 0)
					close(d->fd);
				d->fd = -1;
				set_state(d, XenbusStateClosed);
			}
		}
		free(devs);
	}
	free(doms);
}

/* Devices whose I/O thread gave up on a misbehaving frontend: close them. */
static void close_broken(void)
{
	hvc_evtchn_ack(bb.wake_fd);	/* drains any eventfd */
	for (struct blk_dev *d = bb.devs; d; d = d->next) {
		if (!d->broken)
			continue;
		d->broken = false;
		blkio_stop(d);
		set_state(d, XenbusStateClosing);
		sv_warn("vbd %u/%u: closed: its frontend broke the ring protocol", d->domid, d->devid);
	}
}

static void reconcile(void)
{
	unsigned int n;
	char **ev = xs_read_watch(bb.xs, &n);

	free(ev);
	discover();
	for (struct blk_dev *d = bb.devs, *next; d; d = next) {
		char *st = xs_get(d->bpath, "state");

		next = d->next;
		if (!st)
			forget(d);	/* the toolstack removed the device */
		else
			step(d);
		free(st);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "rundir", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 } };
	char path[PATH_MAX];
	struct pollfd p[3];
	sigset_t set;
	int c;

	sv_log_init("pvblkback", SV_LOG_INFO);
	bb.rundir = sv_rundir(NULL);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r') {
			fprintf(stderr, "usage: pvblkback [--rundir DIR]\n");
			return 2;
		}
		bb.rundir = optarg;
	}
	snprintf(path, sizeof(path), "%s/xenstored/socket", bb.rundir);
	setenv("XENSTORED_PATH", path, 1);
	bb.xs = xs_open(0);
	if (!bb.xs || !xs_watch(bb.xs, BACKEND_DIR, "be")) {
		sv_err("cannot watch %s in XenStore at %s: is pvxenstored running?", BACKEND_DIR, path);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	bb.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p[0] = (struct pollfd){ .fd = xs_fileno(bb.xs), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = signalfd(-1, &set, SFD_CLOEXEC), .events = POLLIN };
	p[2] = (struct pollfd){ .fd = bb.wake_fd, .events = POLLIN };
	snprintf(path, sizeof(path), "%s/pvblkback.pid", bb.rundir);
	sv_pidfile_write(path);
	sv_info("serving %s", BACKEND_DIR);
	while (poll(p, 3, -1) >= 0 || errno == EINTR) {
		if (p[1].revents)
			break;
		if (p[2].revents)
			close_broken();
		if (p[0].revents)
			reconcile();
	}
	while (bb.devs)
		forget(bb.devs);
	unlink(path);
	sv_info("stopped");
	return 0;
}

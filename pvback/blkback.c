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
 *   fe Initialised   read the queues' ring-refs and event-channels and the
 *   or Connected     protocol; map, bind, start one I/O thread per queue;
 *                    write sectors/info; -> Connected
 *   fe Closing       -> Closing
 *   fe Closed        stop the I/O thread (unmapping everything); -> Closed
 *   fe Initialising  (after Closed) -> InitWait again, ready to reconnect
 *   directory gone   stop and forget the device
 *
 * Errors in what the frontend wrote (a missing ring-ref, an unknown
 * protocol, more queues or a bigger ring order than we offered) close the
 * device, never the daemon;
 * so does a frontend whose ring indices lie (blkio.c flags it and wakes
 * the main loop, which closes the device).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#include "blkback-priv.h"
#include "hvclient.h"
#include "xsback.h"
#include "sv.h"

#define BACKEND_DIR	"/local/domain/0/backend/vbd"

static struct {
	const char *rundir;
	struct blk_opts opts;
	struct blk_dev *devs;
	struct xsb_daemon dm;	/* its XenStore handle and wake eventfd */
} bb;

static char *xs_get(const char *dir, const char *key)
{
	return xsb_get(bb.dm.xs, dir, key);
}

static int xs_get_u32(const char *dir, const char *key, uint32_t *out)
{
	return xsb_get_u32(bb.dm.xs, dir, key, out);
}

/* blkif.h: what we offer, written with our first state. */
static bool put_features(struct blk_dev *d, xs_transaction_t t)
{
	return xsb_put(bb.dm.xs, t, d->bpath, "feature-flush-cache", "1") &&
	       xsb_put(bb.dm.xs, t, d->bpath, "feature-persistent", "%d", bb.opts.max_persistent > 0) &&
	       xsb_put(bb.dm.xs, t, d->bpath, "feature-max-indirect-segments", "%u", bb.opts.max_indirect) &&
	       xsb_put(bb.dm.xs, t, d->bpath, "max-ring-page-order", "%u", bb.opts.max_ring_order) &&
	       xsb_put(bb.dm.xs, t, d->bpath, "multi-queue-max-queues", "%u", bb.opts.max_queues);
}

/*
 * Our state, written only while the device's directory is still there:
 * in a transaction that first reads its frontend key, so a directory the
 * toolstack or pvxenstored just removed is not brought back as a lone
 * state node (the next reconcile then forgets the device). With features,
 * what we offer goes in the same transaction.
 */
static void publish_state(struct blk_dev *d, int state, bool features)
{
	char path[256];

	d->state = state;
	snprintf(path, sizeof(path), "%s/frontend", d->bpath);
	for (int tries = 0; tries < 16; tries++) {
		xs_transaction_t t = xs_transaction_start(bb.dm.xs);
		unsigned int len;
		char *fe = t != XBT_NULL ? xs_read(bb.dm.xs, t, path, &len) : NULL;
		bool ok = fe && (!features || put_features(d, t)) &&
			  xsb_put(bb.dm.xs, t, d->bpath, "state", "%d", state);

		free(fe);
		if (t == XBT_NULL)
			return;
		if (xs_transaction_end(bb.dm.xs, t, !ok) || !ok || errno != EAGAIN)
			return;
	}
}

static void set_state(struct blk_dev *d, int state)
{
	publish_state(d, state, false);
}

static int open_image(struct blk_dev *d)
{
	struct sv_image img;
	int fd = sv_open_image(d->params, d->disk.readonly, &img);

	if (fd < 0)
		return fd;
	d->fd = fd;
	d->direct = img.direct;
	d->disk.sectors = img.bytes >> BLK_SECTOR_SHIFT;
	d->disk.can_discard = img.regular && !d->disk.readonly;
	return 0;
}

/*
 * The state to take up on a device we find, given the state an earlier
 * pvblkback left (killed, or stopped while the guest ran) and the
 * frontend's. One that had connected left a frontend with requests on
 * rings nobody serves, and we cannot take them over: responses overwrite
 * request slots, and which requests were answered died with it. So the
 * device restarts: Closing with online still 1, which the frontend follows
 * down and up again, issuing what it had outstanding on new rings
 * (pvos's blkfront; docs/architecture.md, "Daemons that come back").
 * Nothing was mapped before InitWait: a fresh device, or one never
 * connected, just starts.
 */
static int restart_state(uint32_t old, uint32_t fe)
{
	if (old <= XenbusStateInitWait)
		return XenbusStateInitWait;
	switch (fe) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
	case XenbusStateClosing:
		return XenbusStateClosing;
	case XenbusStateClosed:
		return XenbusStateClosed;
	default:
		return XenbusStateInitWait;	/* the frontend is (re)opening */
	}
}

/* A new device directory: open the image and wait for the frontend. */
static int probe(struct blk_dev *d)
{
	char *params = xs_get(d->bpath, "params"), *mode = xs_get(d->bpath, "mode");
	char *fe = xs_get(d->bpath, "frontend");
	uint32_t fe_id, old = XenbusStateUnknown, fe_state = XenbusStateUnknown;
	int rc = -EINVAL, next;

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
	xs_get_u32(d->bpath, "state", &old);
	xs_get_u32(d->fpath, "state", &fe_state);
	next = restart_state(old, fe_state);
	if (next != XenbusStateInitWait)
		sv_info("vbd %u/%u: found in state %u (frontend %u) from an earlier pvblkback: restarting it; "
			"the frontend reconnects and issues again what was not answered", d->domid, d->devid,
			old, fe_state);
	publish_state(d, next, true);	/* not into a removed directory */
	xs_watch(bb.dm.xs, d->fpath, "fe");
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
	char path[256];

	snprintf(path, sizeof(path), "%s/frontend", d->bpath);
	for (int tries = 0; tries < 16; tries++) {
		xs_transaction_t t = xs_transaction_start(bb.dm.xs);
		unsigned int len;
		char *fe = t != XBT_NULL ? xs_read(bb.dm.xs, t, path, &len) : NULL;	/* still there? */
		bool ok = fe &&
			  xsb_put(bb.dm.xs, t, d->bpath, "sectors", "%llu", (unsigned long long)d->disk.sectors) &&
			  xsb_put(bb.dm.xs, t, d->bpath, "sector-size", "512") &&
			  xsb_put(bb.dm.xs, t, d->bpath, "physical-sector-size", "512") &&
			  xsb_put(bb.dm.xs, t, d->bpath, "info", "%u", d->disk.readonly ? VDISK_READONLY : 0) &&
			  xsb_put(bb.dm.xs, t, d->bpath, "feature-discard", "%d", d->disk.can_discard) &&
			  xsb_put(bb.dm.xs, t, d->bpath, "discard-granularity", "4096") &&
			  xsb_put(bb.dm.xs, t, d->bpath, "state", "%d", XenbusStateConnected);

		free(fe);
		if (t != XBT_NULL && xs_transaction_end(bb.dm.xs, t, !ok) && ok) {
			d->state = XenbusStateConnected;
			return true;
		}
		if (!ok || errno != EAGAIN)
			return false;
	}
	return false;
}

/*
 * One queue's ring refs and event channel, from dir (the frontend's
 * directory, or its queue-N/ for several queues): ring-ref for a one-page
 * ring, ring-ref0..N-1 for 1 << order pages; every one must be there.
 */
static bool read_queue(struct blk_dev *d, const char *dir, struct blk_queue *q, bool order_given)
{
	unsigned int n = 1u << d->ring_order;
	char key[32];

	if (xs_get_u32(dir, "event-channel", &q->remote_port) < 0)
		return false;
	if (!order_given && xs_get_u32(dir, "ring-ref", &q->ring_ref[0]) == 0)
		return true;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "ring-ref%u", i);
		if (xs_get_u32(dir, key, &q->ring_ref[i]) < 0)
			return false;
	}
	return true;
}

/*
 * What the frontend wrote about its rings: multi-queue-num-queues (absent:
 * one queue, flat keys; more than one: queue-N/ directories), ring-page-
 * order (absent: 0), the refs and event channels. Returns a reason to
 * refuse, or NULL.
 */
static const char *read_rings(struct blk_dev *d)
{
	uint32_t nq = 1, order = 0;
	int nq_rc = xs_get_u32(d->fpath, "multi-queue-num-queues", &nq);
	int order_rc = xs_get_u32(d->fpath, "ring-page-order", &order);
	bool order_given = order_rc == 0;
	const char *bad = blkreq_check_layout(nq_rc, nq, order_rc, order, bb.opts.max_queues,
					      bb.opts.max_ring_order);
	char dir[192];

	if (bad)
		return bad;
	if (nq_rc < 0)
		nq = 1;
	if (order_rc < 0)
		order = 0;
	d->nqueues = nq;
	d->ring_order = order;
	for (unsigned int i = 0; i < nq; i++) {
		if (nq == 1)
			snprintf(dir, sizeof(dir), "%s", d->fpath);
		else
			snprintf(dir, sizeof(dir), "%s/queue-%u", d->fpath, i);
		if (!read_queue(d, dir, &d->q[i], order_given))
			return nq == 1 ? "a ring-ref or the event-channel is missing"
				       : "a queue's ring-ref or event-channel is missing";
	}
	return NULL;
}

/* The frontend is ready: read what it wrote, connect, advertise. */
static void connect(struct blk_dev *d)
{
	char *proto = xs_get(d->fpath, "protocol");
	uint32_t persistent = 0;
	const char *bad = read_rings(d);

	xs_get_u32(d->fpath, "feature-persistent", &persistent);
	if (!bad && proto && strcmp(proto, XEN_IO_PROTO_ABI_NATIVE) != 0)
		bad = "unknown protocol";
	if (bad) {
		sv_warn("vbd %u/%u: the frontend wrote rings we cannot use (%s; protocol %s); closing",
			d->domid, d->devid, bad, proto ? proto : "(none)");
		set_state(d, XenbusStateClosing);
		free(proto);
		return;
	}
	free(proto);
	d->persistent = persistent == 1 && bb.opts.max_persistent > 0;
	d->opts = &bb.opts;
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
	sv_info("vbd %u/%u: connected (%u queue%s of %u-page rings, %spersistent grants)", d->domid,
		d->devid, d->nqueues, d->nqueues == 1 ? "" : "s", 1u << d->ring_order,
		d->persistent ? "" : "no ");
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
		xs_unwatch(bb.dm.xs, d->fpath, "fe");
	if (d->fd >= 0)
		close(d->fd);
	for (pp = &bb.devs; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	sv_info("vbd %u/%u: removed (%llu requests, %llu indirect, %llu errors, %llu persistent grants evicted)",
		d->domid, d->devid, (unsigned long long)d->reqs, (unsigned long long)d->indirect,
		(unsigned long long)d->errors, (unsigned long long)d->evictions);
	free(d);
}

static struct blk_dev *find(unsigned int domid, unsigned int devid)
{
	for (struct blk_dev *d = bb.devs; d; d = d->next)
		if (d->domid == domid && d->devid == devid)
			return d;
	return NULL;
}

static bool known(uint32_t domid, uint32_t devid)
{
	return find(domid, devid) != NULL;
}

static void add(uint32_t domid, uint32_t devid)
{
	struct blk_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return;
	d->domid = domid;
	d->devid = devid;
	d->fd = d->stop_fd = -1;
	d->wake_fd = bb.dm.wake_fd;
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

/* Devices whose I/O thread gave up on a misbehaving frontend: close them. */
static void close_broken(void)
{
	hvc_evtchn_ack(bb.dm.wake_fd);	/* drains any eventfd */
	for (struct blk_dev *d = bb.devs; d; d = d->next) {
		if (d->hv_gone) {
			d->hv_gone = false;
			blkio_stop(d);
			sv_warn("vbd %u/%u: pvhv went away, and the guest with it: released its rings and grants",
				d->domid, d->devid);
		}
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
	char **ev = xs_read_watch(bb.dm.xs, &n);

	free(ev);
	xsb_discover(bb.dm.xs, BACKEND_DIR, known, add);
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

static void forget_all(void)
{
	while (bb.devs)
		forget(bb.devs);
}

static void count(unsigned int *devices_out, unsigned int *connected_out)
{
	for (struct blk_dev *d = bb.devs; d; d = d->next) {
		(*devices_out)++;
		*connected_out += d->connected;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pvblkback [--rundir DIR] [--max-queues N] [--max-ring-order N]\n"
		"                 [--max-indirect N] [--max-persistent N] [--poll-us N]\n"
		"  --max-queues N      multi-queue-max-queues, 1..%u (default %u)\n"
		"  --max-ring-order N  max-ring-page-order, 0..%u (default %u)\n"
		"  --max-indirect N    feature-max-indirect-segments, 0 (none) or 12..%u (default %u)\n"
		"  --max-persistent N  persistent grants kept mapped per queue, the least recently\n"
		"                      used evicted beyond; 0 turns them off (default %u)\n"
		"  --poll-us N         spin on an idle ring this long before sleeping, 0..1000 (default %u)\n",
		BLK_QUEUES_MAX, BLK_QUEUES_DEFAULT, BLK_RING_ORDER_MAX, BLK_RING_ORDER_MAX, BLK_SEGS_MAX,
		BLK_SEGS_MAX, BLK_PERSISTENT_MAX, BLK_POLL_US_DEFAULT);
}

static bool parse_opt(const char *arg, uint32_t min, uint32_t max, unsigned int *out)
{
	uint32_t v;

	if (sv_parse_u32(arg, &v) < 0 || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "max-queues", required_argument, NULL, 'q' },
		{ "max-ring-order", required_argument, NULL, 'o' },
		{ "max-indirect", required_argument, NULL, 'i' },
		{ "max-persistent", required_argument, NULL, 'p' },
		{ "poll-us", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	sv_log_init("pvblkback", SV_LOG_INFO);
	bb.rundir = sv_rundir(NULL);
	bb.opts = (struct blk_opts){ .max_queues = BLK_QUEUES_DEFAULT, .max_ring_order = BLK_RING_ORDER_MAX,
				     .max_indirect = BLK_SEGS_MAX, .max_persistent = BLK_PERSISTENT_MAX,
				     .poll_us = BLK_POLL_US_DEFAULT };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		bool ok;

		switch (c) {
		case 'r': bb.rundir = optarg; ok = true; break;
		case 'q': ok = parse_opt(optarg, 1, BLK_QUEUES_MAX, &bb.opts.max_queues); break;
		case 'o': ok = parse_opt(optarg, 0, BLK_RING_ORDER_MAX, &bb.opts.max_ring_order); break;
		case 'i': ok = parse_opt(optarg, 0, BLK_SEGS_MAX, &bb.opts.max_indirect) &&
			       (bb.opts.max_indirect == 0 || bb.opts.max_indirect > BLK_DIRECT_SEGS_MAX); break;
		case 'p': ok = parse_opt(optarg, 0, 1u << 20, &bb.opts.max_persistent); break;
		case 'u': ok = parse_opt(optarg, 0, 1000, &bb.opts.poll_us); break;
		default: ok = false; break;
		}
		if (!ok) {
			usage();
			return 2;
		}
	}
	bb.dm = (struct xsb_daemon){ .name = "pvblkback", .rundir = bb.rundir, .dir = BACKEND_DIR,
				     .reconcile = reconcile, .close_broken = close_broken, .stop = forget_all,
				     .count = count };
	return xsb_serve(&bb.dm);
}

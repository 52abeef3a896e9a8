/*
 * netback.c: pvnetback, the network backend: the XenStore watch loop,
 * the tap devices and the xenbus state machine of every vif (netif.h,
 * reference §4.4; docs/xenbus.md).
 *
 * Any watch event makes the daemon reconcile: it finds new vif
 * directories under /local/domain/0/backend/vif, and for each compares
 * the frontend's state with ours and takes the step the protocol
 * prescribes, whatever order events came in:
 *
 *   new directory    create the tap vif<domid>.<devid>, put it on the
 *                    bridge, bring it up, advertise features, -> InitWait
 *                    (no such bridge: an error node, -> Closed)
 *   fe Initialised   read tx-ring-ref, rx-ring-ref, event-channel,
 *   or Connected     request-rx-copy, feature-rx-notify; map, bind, start
 *                    the I/O thread; -> Connected
 *   fe Closing       -> Closing
 *   fe Closed        stop the I/O thread (unmapping everything); -> Closed
 *   fe Initialising  (after Closed) -> InitWait again, ready to reconnect
 *   directory gone   stop the vif, close (and so delete) its tap, forget it
 *
 * Errors in what the frontend wrote close the vif, never the daemon; so
 * does a frontend whose ring indices lie (netio.c flags it and wakes the
 * main loop, which closes the vif).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "netback-priv.h"
#include "hvclient.h"
#include "xsback.h"
#include "sv.h"

#define BACKEND_DIR	"/local/domain/0/backend/vif"

static struct {
	const char *rundir;
	struct net_dev *devs;
	struct xsb_daemon dm;	/* its XenStore handle and wake eventfd */
	int sock;		/* for interface ioctls */
} nb;

static char *xs_get(const char *dir, const char *key)
{
	return xsb_get(nb.dm.xs, dir, key);
}

static int xs_get_u32(const char *dir, const char *key, uint32_t *out)
{
	return xsb_get_u32(nb.dm.xs, dir, key, out);
}

struct kv {
	const char *key, *val;
};

/*
 * Keys and then our state, written only while the vif's directory is
 * still there: in one transaction that first reads its frontend key, so
 * a directory the toolstack just removed (a destroy racing our probe) is
 * not brought back as a few lone nodes.
 */
static bool publish(struct net_dev *d, const struct kv *kv, size_t n, int state)
{
	char path[256];

	d->state = state;
	snprintf(path, sizeof(path), "%s/frontend", d->bpath);
	for (int tries = 0; tries < 16; tries++) {
		xs_transaction_t t = xs_transaction_start(nb.dm.xs);
		unsigned int len;
		char *fe = t != XBT_NULL ? xs_read(nb.dm.xs, t, path, &len) : NULL;
		bool ok = fe != NULL;

		for (size_t i = 0; ok && i < n; i++)
			ok = xsb_put(nb.dm.xs, t, d->bpath, kv[i].key, "%s", kv[i].val);
		ok = ok && xsb_put(nb.dm.xs, t, d->bpath, "state", "%d", state);
		free(fe);
		if (t == XBT_NULL)
			return false;
		if (xs_transaction_end(nb.dm.xs, t, !ok) && ok)
			return true;
		if (!ok || errno != EAGAIN)
			return false;
	}
	return false;
}

static bool set_state(struct net_dev *d, int state)
{
	return publish(d, NULL, 0, state);
}

/* A vif that cannot work: say why where the toolstack looks, and go to state. */
static void fail_to(struct net_dev *d, const char *why, int state)
{
	const struct kv kv[] = { { "error", why } };

	sv_warn("vif %u/%u: %s", d->domid, d->devid, why);
	publish(d, kv, 1, state);
}

static void fail(struct net_dev *d, const char *why)
{
	fail_to(d, why, XenbusStateClosed);
}

static int ifr_ioctl(unsigned long req, struct ifreq *ifr)
{
	return ioctl(nb.sock, req, ifr) < 0 ? -errno : 0;
}

/*
 * The tap's own MAC is fe:ff:ff:ff:ff:ff, as Xen's vif scripts set it:
 * the guest's MAC is the guest's, and a bridge, which takes the lowest
 * MAC of its ports, never takes this one.
 */
static int tap_configure(struct net_dev *d, char *err, size_t errlen)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	sv_strlcpy(ifr.ifr_name, d->ifname, sizeof(ifr.ifr_name));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
	ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
	rc = ifr_ioctl(SIOCSIFHWADDR, &ifr);
	if (rc == 0 && d->bridge[0]) {
		memset(&ifr, 0, sizeof(ifr));
		sv_strlcpy(ifr.ifr_name, d->bridge, sizeof(ifr.ifr_name));
		ifr.ifr_ifindex = (int)if_nametoindex(d->ifname);
		rc = ifr_ioctl(SIOCBRADDIF, &ifr);
		if (rc < 0) {
			snprintf(err, errlen, "cannot add %s to the bridge %s: %s", d->ifname, d->bridge,
				 strerror(-rc));
			return rc;
		}
	}
	memset(&ifr, 0, sizeof(ifr));
	sv_strlcpy(ifr.ifr_name, d->ifname, sizeof(ifr.ifr_name));
	if (rc == 0)
		rc = ifr_ioctl(SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0)
		rc = ifr_ioctl(SIOCSIFFLAGS, &ifr);
	if (rc < 0)
		snprintf(err, errlen, "cannot set up %s: %s", d->ifname, strerror(-rc));
	return rc;
}

/* The tap: gone with its descriptor (it is not persistent). */
static int tap_create(struct net_dev *d, char *err, size_t errlen)
{
	struct ifreq ifr;
	int rc;

	if (d->bridge[0] && if_nametoindex(d->bridge) == 0) {
		snprintf(err, errlen, "there is no bridge %s on this host; create it with: ip link add %s type bridge",
			 d->bridge, d->bridge);
		return -ENODEV;
	}
	d->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d->tap_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(-rc));
		return rc;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	sv_strlcpy(ifr.ifr_name, d->ifname, sizeof(ifr.ifr_name));
	if (ioctl(d->tap_fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the tap %s: %s", d->ifname, strerror(-rc));
		return rc;
	}
	return tap_configure(d, err, errlen);
}

/* A bridge name from XenStore: a plain interface name, or none. */
static bool read_bridge(struct net_dev *d)
{
	char *br = xs_get(d->bpath, "bridge");
	bool ok = true;

	d->bridge[0] = '\0';
	if (br) {
		ok = br[0] && strlen(br) < sizeof(d->bridge) && !strchr(br, '/');
		if (ok)
			sv_strlcpy(d->bridge, br, sizeof(d->bridge));
	}
	free(br);
	return ok;
}

/*
 * A vif an earlier pvnetback had connected (it was killed, or stopped
 * while the guest ran), whose frontend is still connected: netif's rings
 * can be taken over where they are, unlike blkif's (netfront does not
 * follow a backend that restarts the vif). Every request not answered
 * yet is served again from the responses the guest has seen: a packet
 * may go out twice, or a slot the dead backend had already answered
 * without pushing is refused; both are what a network tolerates.
 */
static bool can_resume(const struct net_dev *d)
{
	uint32_t old = XenbusStateUnknown, fe = XenbusStateUnknown;

	xs_get_u32(d->bpath, "state", &old);
	xs_get_u32(d->fpath, "state", &fe);
	return old == XenbusStateConnected &&
	       (fe == XenbusStateConnected || fe == XenbusStateInitialised);
}

/* A new vif directory: make its tap and wait for the frontend. */
static int probe(struct net_dev *d)
{
	/* netif.h: what we implement, and nothing more (no GSO, no checksum offload). */
	const struct kv features[] = {
		{ "feature-rx-copy", "1" }, { "feature-rx-flip", "0" }, { "feature-rx-notify", "1" },
		{ "feature-sg", "1" }, { "feature-gso-tcpv4", "0" }, { "feature-gso-tcpv6", "0" },
		{ "feature-ipv6-csum-offload", "0" }, { "feature-split-event-channels", "0" },
		{ "vifname", d->ifname },
	};
	char *fe = xs_get(d->bpath, "frontend");
	char err[256] = "";
	uint32_t fe_id;
	int rc = -EINVAL;

	if (!fe || xs_get_u32(d->bpath, "frontend-id", &fe_id) < 0 || fe_id != d->domid ||
	    strlen(fe) >= sizeof(d->fpath)) {
		fail(d, "the backend directory has no usable frontend or frontend-id");
		goto out;
	}
	sv_strlcpy(d->fpath, fe, sizeof(d->fpath));
	if (!read_bridge(d)) {
		fail(d, "the bridge key is not an interface name");
		goto out;
	}
	rc = tap_create(d, err, sizeof(err));
	if (rc < 0) {
		fail(d, err);
		goto out;
	}
	d->resume = can_resume(d);
	if (d->resume) {	/* connect_vif() takes the rings over and says Connected */
		d->state = XenbusStateInitWait;
		sv_info("vif %u/%u: connected by an earlier pvnetback: taking its rings over", d->domid,
			d->devid);
	} else {
		publish(d, features, SV_ARRAY_SIZE(features), XenbusStateInitWait);
	}
	xs_watch(nb.dm.xs, d->fpath, "fe");
	d->probed = true;
	sv_info("vif %u/%u: %s%s%s waiting for the frontend", d->domid, d->devid, d->ifname,
		d->bridge[0] ? " on " : "", d->bridge);
out:
	free(fe);
	return rc;
}

/* What the frontend wrote about its rings; a reason to refuse, or NULL. */
static const char *read_rings(struct net_dev *d)
{
	uint32_t v;

	if (xs_get_u32(d->fpath, "multi-queue-num-queues", &v) == 0 && v > 1)
		return "more than one queue, which we did not offer";
	if (xs_get_u32(d->fpath, "tx-ring-ref", &d->tx_ref) < 0 ||
	    xs_get_u32(d->fpath, "rx-ring-ref", &d->rx_ref) < 0)
		return "tx-ring-ref or rx-ring-ref is missing";
	if (xs_get_u32(d->fpath, "event-channel", &d->remote_port) < 0)
		return "event-channel is missing (split event channels are not offered)";
	/* netif.h: request-rx-copy; we do not flip pages. */
	if (xs_get_u32(d->fpath, "request-rx-copy", &v) < 0 || v != 1)
		return "request-rx-copy is not 1 (we only copy)";
	d->rx_notify = xs_get_u32(d->fpath, "feature-rx-notify", &v) == 0 && v == 1;
	return NULL;
}

static void connect_vif(struct net_dev *d)
{
	const char *bad = read_rings(d);

	if (bad) {
		char why[160];

		snprintf(why, sizeof(why), "the frontend wrote rings we cannot use: %s", bad);
		fail_to(d, why, XenbusStateClosing);
		return;
	}
	d->rundir = nb.rundir;
	if (netio_start(d) < 0) {
		d->resume = false;
		set_state(d, XenbusStateClosing);
		return;
	}
	d->resume = false;
	if (!set_state(d, XenbusStateConnected)) {
		netio_stop(d);
		set_state(d, XenbusStateClosing);
		return;
	}
	sv_info("vif %u/%u: connected (%s, %s)", d->domid, d->devid, d->ifname,
		d->rx_notify ? "rx notify" : "no rx notify: polling");
}

static void step(struct net_dev *d)
{
	uint32_t fe = XenbusStateClosed;

	if (xs_get_u32(d->fpath, "state", &fe) < 0)
		fe = XenbusStateClosed;		/* the frontend went away */
	switch (fe) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (!d->connected && d->state == XenbusStateInitWait)
			connect_vif(d);
		break;
	case XenbusStateClosing:
		if (d->state != XenbusStateClosing && d->state != XenbusStateClosed)
			set_state(d, XenbusStateClosing);
		break;
	case XenbusStateClosed:
		netio_stop(d);
		if (d->state != XenbusStateClosed && d->state != XenbusStateInitWait)
			set_state(d, XenbusStateClosed);
		break;
	case XenbusStateInitialising:
		if (d->state == XenbusStateClosed && d->probed) {
			netio_stop(d);
			set_state(d, XenbusStateInitWait);	/* ready to reconnect */
		}
		break;
	default:
		break;
	}
}

static void forget(struct net_dev *d)
{
	struct net_dev **pp;

	netio_stop(d);
	if (d->probed)
		xs_unwatch(nb.dm.xs, d->fpath, "fe");
	if (d->tap_fd >= 0)
		close(d->tap_fd);	/* deletes the tap */
	for (pp = &nb.devs; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	sv_info("vif %u/%u: removed (tx %llu packets, %llu refused; rx %llu, %llu dropped)", d->domid,
		d->devid, (unsigned long long)d->tx_pkts, (unsigned long long)d->tx_errors,
		(unsigned long long)d->rx_pkts, (unsigned long long)d->rx_dropped);
	free(d);
}

static struct net_dev *find(unsigned int domid, unsigned int devid)
{
	for (struct net_dev *d = nb.devs; d; d = d->next)
		if (d->domid == domid && d->devid == devid)
			return d;
	return NULL;
}

/* A vif found by xsb_discover(): probe it (known() vouched for the ids). */
static void add(uint32_t domid, uint32_t devid)
{
	struct net_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return;
	d->domid = domid;
	d->devid = devid;
	d->tap_fd = d->stop_fd = -1;
	d->wake_fd = nb.dm.wake_fd;
	snprintf(d->bpath, sizeof(d->bpath), "%s/%u/%u", BACKEND_DIR, domid, devid);
	snprintf(d->ifname, sizeof(d->ifname), "vif%u.%u", domid, devid);
	d->next = nb.devs;
	nb.devs = d;
	if (probe(d) < 0 && d->tap_fd >= 0) {
		close(d->tap_fd);
		d->tap_fd = -1;
	}
}

static bool known(uint32_t domid, uint32_t devid)
{
	return domid > 0xffff || devid > 0xffff || find(domid, devid) != NULL;
}

/* Vifs whose I/O thread gave up on a misbehaving frontend: close them. */
static void close_broken(void)
{
	hvc_evtchn_ack(nb.dm.wake_fd);	/* drains any eventfd */
	for (struct net_dev *d = nb.devs; d; d = d->next) {
		if (d->hv_gone) {
			d->hv_gone = false;
			netio_stop(d);
			sv_warn("vif %u/%u: pvhv went away, and the guest with it: released its rings",
				d->domid, d->devid);
		}
		if (!d->broken)
			continue;
		d->broken = false;
		netio_stop(d);
		fail_to(d, "closed: the frontend broke the ring protocol", XenbusStateClosing);
	}
}

static void reconcile(void)
{
	unsigned int n;
	char **ev = xs_read_watch(nb.dm.xs, &n);

	free(ev);
	xsb_discover(nb.dm.xs, BACKEND_DIR, known, add);
	for (struct net_dev *d = nb.devs, *next; d; d = next) {
		char *st = xs_get(d->bpath, "state");

		next = d->next;
		if (!st)
			forget(d);	/* the toolstack removed the vif */
		else
			step(d);
		free(st);
	}
}

static void forget_all(void)
{
	while (nb.devs)
		forget(nb.devs);
}

static void count(unsigned int *devices_out, unsigned int *connected_out)
{
	for (struct net_dev *d = nb.devs; d; d = d->next) {
		(*devices_out)++;
		*connected_out += d->connected;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: pvnetback [--rundir DIR]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	sv_log_init("pvnetback", SV_LOG_INFO);
	nb.rundir = sv_rundir(NULL);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r') {
			usage();
			return 2;
		}
		nb.rundir = optarg;
	}
	nb.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nb.sock < 0) {
		sv_err("cannot open a socket for interface ioctls: %s", strerror(errno));
		return 1;
	}
	nb.dm = (struct xsb_daemon){ .name = "pvnetback", .rundir = nb.rundir, .dir = BACKEND_DIR,
				     .reconcile = reconcile, .close_broken = close_broken, .stop = forget_all,
				     .count = count };
	return xsb_serve(&nb.dm);
}

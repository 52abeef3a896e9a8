/*
 * pvctl-device.c: disks while a domain runs, as xl does it:
 * `block-attach`, `block-detach`, `block-list`, and the detach protocol
 * that network-detach shares.
 *
 * Attach writes the vbd's frontend and backend directories in one
 * transaction with the same code create uses (xslayout.c); the check that
 * the target is free is part of that transaction. pvblkback notices the
 * new backend directory by itself.
 *
 * Detach follows Xen's protocol (reference §4.3 "Close"): the toolstack
 * writes the backend's online=0 and state=Closing; the frontend answers
 * Closing then Closed, the backend follows to Closed; then the toolstack
 * removes both directories, and the backend forgets the device. A
 * frontend that never connected (state Initialising) holds nothing, and a
 * domain that no longer runs cannot answer: both are removed at once.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "domcfg.h"
#include "pvctl.h"
#include "sv.h"

#define POLL_MS		100
#define DEFAULT_DETACH_TIMEOUT_S	10

/* The domain, running or paused; prints why not otherwise. */
int pvctl_live_domain(const char *dom, struct pvh_ctl_dominfo *d)
{
	if (pvctl_dominfo(dom, d, false) < 0)
		return -ENOENT;
	if (d->state != PVH_STATE_RUNNING && d->state != PVH_STATE_PAUSED) {
		pvctl_err("domain %s is %s; devices can only be changed while it runs or is paused",
			  d->name, pvctl_state_name(d->state));
		return -ESRCH;
	}
	return 0;
}

struct xs_handle *pvctl_xs_open_or_say(void)
{
	char err[300];
	struct xs_handle *h = pvctl_xs_open(err, sizeof(err));

	if (!h)
		pvctl_err("%s", err);
	return h;
}

uint32_t pvctl_detach_timeout(void)
{
	return pvctl_conf.detach_timeout_s ? pvctl_conf.detach_timeout_s : DEFAULT_DETACH_TIMEOUT_S;
}

static bool domain_stopped(uint32_t domid)
{
	struct pvh_ctl_dominfo d;
	char id[16];

	snprintf(id, sizeof(id), "%u", domid);
	return pvctl_dominfo(id, &d, true) < 0 ||
	       (d.state != PVH_STATE_RUNNING && d.state != PVH_STATE_PAUSED);
}

/* The daemon serving backends of KIND, when there is one and it runs. */
static bool backend_alive(const char *kind)
{
	return pvctl_daemon_alive(strcmp(kind, "vbd") == 0 ? "pvblkback" : "pvnetback");
}

static bool put(struct xs_handle *h, const char *dir, const char *key, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_write(h, XBT_NULL, path, val, strlen(val));
}

/*
 * Done when the frontend let go and nothing will write into the
 * directories any more: the frontend never connected; or it closed and a
 * backend that was serving followed it to Closed (a backend still
 * stepping would recreate the directory we remove); or the domain stopped
 * and its frontend is frozen where it is.
 */
static bool released(struct xs_handle *h, uint32_t domid, const char *fdir, const char *bdir,
		     bool be_was_serving)
{
	int fe = pvctl_xs_get_state(h, fdir), be = pvctl_xs_get_state(h, bdir);

	if (fe <= XenbusStateInitialising)
		return true;
	if (!be_was_serving)
		return fe == XenbusStateClosed || domain_stopped(domid);
	if (fe == XenbusStateClosed)
		return be == XenbusStateClosed || be < 0;
	if (!domain_stopped(domid))
		return false;
	/* Stopped between its Closing and its Closed: the backend followed to Closing. */
	return fe != XenbusStateClosing || be == XenbusStateClosing;
}

int pvctl_dev_detach(struct xs_handle *h, const char *domname, uint32_t domid, const char *kind,
		     uint32_t devid, const char *label, uint32_t timeout_s, bool force)
{
	struct timespec ts = { 0, POLL_MS * 1000000L };
	const char *cmd = strcmp(kind, "vbd") == 0 ? "block-detach" : "network-detach";
	char fdir[96], bdir[96], state[8];
	bool done = false, serving;
	int be, rc;

	pvctl_xs_dev_paths(domid, kind, devid, fdir, bdir);
	be = pvctl_xs_get_state(h, bdir);
	/*
	 * A device just attached may not have been probed yet: let its backend
	 * finish (it leaves Initialising) first, or its probe could write
	 * into a directory we are removing.
	 */
	for (uint64_t waited = 0; be == XenbusStateInitialising && backend_alive(kind) &&
	     waited < (uint64_t)timeout_s * 1000; waited += POLL_MS / 10) {
		struct timespec pause = { 0, POLL_MS * 100000L };

		nanosleep(&pause, NULL);
		be = pvctl_xs_get_state(h, bdir);
	}
	serving = be >= XenbusStateInitWait && be <= XenbusStateConnected;
	snprintf(state, sizeof(state), "%d", XenbusStateClosing);
	if (be >= 0 && (!put(h, bdir, "online", "0") || !put(h, bdir, "state", state))) {
		pvctl_err("cannot write %s/state: %s", bdir, strerror(errno));
		return -EIO;
	}
	for (uint64_t waited = 0;; waited += POLL_MS) {
		done = released(h, domid, fdir, bdir, serving);
		if (done || waited >= (uint64_t)timeout_s * 1000)
			break;
		nanosleep(&ts, NULL);
	}
	if (!done && !force) {
		pvctl_err("domain %s did not release %s within %u s (its frontend is %s); "
			  "pvctl %s --force %s %s removes it anyway", domname, label, timeout_s,
			  pvctl_xenbus_state_name(pvctl_xs_get_state(h, fdir)), cmd, domname, label);
		return -ETIMEDOUT;
	}
	rc = pvctl_xs_dev_remove(h, domid, kind, devid);
	if (rc < 0) {
		pvctl_err("cannot remove %s and %s: %s", fdir, bdir, strerror(-rc));
		return rc;
	}
	if (!done)
		pvctl_err("domain %s did not release %s within %u s; removed it anyway (the guest may see errors)",
			  domname, label, timeout_s);
	printf("Detached %s from domain %s.\n", label, domname);
	return 0;
}

/* ---- block-attach ------------------------------------------------------ */

static int disk_from_args(const char *source, char *target, bool ro, bool shareable,
			  struct domcfg_disk *d, char *abs)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	if (!realpath(source, abs) || stat(abs, &st) < 0) {
		pvctl_err("cannot find the image %s: %s; give the path of an existing file or block device "
			  "(a new image: truncate -s 64M %s)", source, strerror(errno), source);
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		pvctl_err("%s is neither a regular file nor a block device", abs);
		return -EINVAL;
	}
	if (access(abs, ro ? R_OK : R_OK | W_OK) < 0) {
		pvctl_err("cannot %s %s: %s%s", ro ? "read" : "read and write", abs, strerror(errno),
			  ro ? "" : " (add 'ro' to attach it read-only)");
		return -EACCES;
	}
	if (domcfg_vdev_encode(target, &d->vdev) < 0 || strncmp(target, "xvd", 3) != 0) {
		pvctl_err("'%s' is not a PV disk target; expected xvdb, xvdc, ... (emulated hdX disks cannot be attached while a domain runs)",
			  target);
		return -EINVAL;
	}
	d->type = S_ISBLK(st.st_mode) ? DOMCFG_DISK_BLOCK : DOMCFG_DISK_FILE;
	d->source = abs;
	d->target = target;
	d->bus = DOMCFG_BUS_XEN;
	d->readonly = ro;
	d->shareable = shareable;
	return 0;
}

static void name_of(struct xs_handle *h, int domid, char *out, size_t size)
{
	char dir[48], *name;

	snprintf(dir, sizeof(dir), "/local/domain/%d", domid);
	name = pvctl_xs_get(h, dir, "name");
	snprintf(out, size, "%s", name ? name : "?");
	free(name);
}

int pvctl_cmd_block_attach(int argc, char **argv)
{
	const char *pos[3] = { NULL };
	bool ro = false, shareable = false;
	struct pvh_ctl_dominfo d;
	struct domcfg_disk disk;
	char abs[PATH_MAX], other[PVH_NAME_MAX], target[16];
	struct xs_handle *h;
	int npos = 0, user, rc;

	if (pvctl_wants_help(argc, argv, "block-attach"))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (npos == 3 && (strcmp(argv[i], "ro") == 0 || strcmp(argv[i], "r") == 0))
			ro = true;
		else if (npos == 3 && (strcmp(argv[i], "rw") == 0 || strcmp(argv[i], "w") == 0))
			ro = false;
		else if (npos == 3 && strcmp(argv[i], "shareable") == 0)
			shareable = true;
		else if (npos < 3 && argv[i][0] != '-')
			pos[npos++] = argv[i];
		else
			return pvctl_usage("block-attach");
	}
	if (npos != 3)
		return pvctl_usage("block-attach");
	sv_strlcpy(target, pos[2], sizeof(target));
	if (disk_from_args(pos[1], target, ro, shareable, &disk, abs) < 0 ||
	    pvctl_live_domain(pos[0], &d) < 0)
		return 1;
	h = pvctl_xs_open_or_say();
	if (!h)
		return 1;
	user = shareable ? -1 : pvctl_xs_disk_user(abs, !ro);
	if (user >= 0) {
		name_of(h, user, other, sizeof(other));
		if ((uint32_t)user == d.domid)
			pvctl_err("%s is already attached to domain %s; a disk is attached once (pvctl block-list %s)",
				  abs, d.name, d.name);
		else
			pvctl_err("%s is already attached%s to domain %d (%s); attach it %sor detach it there first",
				  abs, ro ? " read-write" : "", user, other,
				  ro ? "with 'shareable' on both sides, " : "read-only with 'ro' on both sides, ");
		xs_close(h);
		return 1;
	}
	rc = pvctl_xs_attach(h, d.domid, &disk, 0, NULL);
	if (rc == -EEXIST)
		pvctl_err("domain %s already has a disk at %s (pvctl block-list %s); choose another target or detach it first",
			  d.name, pos[2], d.name);
	else if (rc == -ESRCH)
		pvctl_err("domain %s has no XenStore tree (it is being destroyed)", d.name);
	else if (rc < 0)
		pvctl_err("cannot write the vbd of %s: %s", pos[2], strerror(-rc));
	xs_close(h);
	if (rc < 0)
		return 1;
	printf("Attached %s to domain %s as %s (%s, vbd %u).\n", abs, d.name, pos[2],
	       ro ? "read-only" : "read-write", disk.vdev);
	if (!pvctl_daemon_alive("pvblkback"))
		pvctl_err("note: pvblkback is not running, so nothing serves the disk yet (pvctl host start starts it)");
	return 0;
}

/* ---- block-detach ------------------------------------------------------ */

/* Parses "--timeout S" and "--force" around N positional arguments. */
int pvctl_detach_args(int argc, char **argv, const char *cmd, const char **pos, int npos,
		      uint32_t *timeout_s, bool *force)
{
	int n = 0;

	*timeout_s = pvctl_detach_timeout();
	*force = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-F") == 0)
			*force = true;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (sv_parse_u32(argv[++i], timeout_s) < 0)
				return pvctl_usage(cmd);
		} else if (argv[i][0] != '-' && n < npos)
			pos[n++] = argv[i];
		else
			return pvctl_usage(cmd);
	}
	return n == npos ? 0 : pvctl_usage(cmd);
}

/* The devid of TARGET ("xvdb" or "51728") on DOMID, or -ENOENT. */
static int find_vbd(struct xs_handle *h, uint32_t domid, const char *target, uint32_t *devid)
{
	char fdir[96], bdir[96], *dev;
	bool found;

	if (sv_parse_u32(target, devid) < 0 && domcfg_vdev_encode(target, devid) < 0)
		return -EINVAL;
	pvctl_xs_dev_paths(domid, "vbd", *devid, fdir, bdir);
	dev = pvctl_xs_get(h, bdir, "dev");
	found = dev != NULL || pvctl_xs_get_state(h, fdir) >= 0;
	free(dev);
	return found ? 0 : -ENOENT;
}

int pvctl_cmd_block_detach(int argc, char **argv)
{
	const char *pos[2];
	struct pvh_ctl_dominfo d;
	struct xs_handle *h;
	uint32_t timeout_s, devid;
	bool force;
	int rc;

	if (pvctl_wants_help(argc, argv, "block-detach"))
		return 0;
	rc = pvctl_detach_args(argc, argv, "block-detach", pos, 2, &timeout_s, &force);
	if (rc)
		return rc;
	if (pvctl_dom_and_xs(pos[0], &d, &h) < 0)
		return 1;
	rc = find_vbd(h, d.domid, pos[1], &devid);
	if (rc == -EINVAL)
		pvctl_err("'%s' is not a disk target; expected a name like xvdb or a vbd number like 51728", pos[1]);
	else if (rc < 0)
		pvctl_err("domain %s has no disk %s (pvctl block-list %s shows its disks)", d.name, pos[1], d.name);
	else
		rc = pvctl_dev_detach(h, d.name, d.domid, "vbd", devid, pos[1], timeout_s, force);
	xs_close(h);
	return rc < 0 ? 1 : 0;
}

/* ---- block-list -------------------------------------------------------- */

/* The devids of KIND on DOMID, frontend and backend merged, sorted. */
size_t pvctl_dev_ids(struct xs_handle *h, uint32_t domid, const char *kind, uint32_t *ids,
		     size_t max)
{
	char dirs[2][96];
	size_t n = 0;

	snprintf(dirs[0], sizeof(dirs[0]), "/local/domain/%u/device/%s", domid, kind);
	snprintf(dirs[1], sizeof(dirs[1]), "/local/domain/0/backend/%s/%u", kind, domid);
	for (int k = 0; k < 2; k++) {
		unsigned int cnt = 0;
		char **ents = xs_directory(h, XBT_NULL, dirs[k], &cnt);

		for (unsigned int i = 0; ents && i < cnt; i++) {
			uint32_t id;
			size_t j;

			if (sv_parse_u32(ents[i], &id) < 0)
				continue;
			for (j = 0; j < n && ids[j] != id; j++)
				;
			if (j == n && n < max)
				ids[n++] = id;
		}
		free(ents);
	}
	for (size_t i = 1; i < n; i++)	/* insertion sort: a handful at most */
		for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint32_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}

/*
 * "[--json] DOM" for the list commands: -1 with the domain found and
 * XenStore open, else the exit status (0 after --help).
 */
int pvctl_list_args(int argc, char **argv, const char *cmd, bool *json,
		    struct pvh_ctl_dominfo *d, struct xs_handle **h)
{
	const char *dom = NULL;

	*json = false;
	if (pvctl_wants_help(argc, argv, cmd))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = true;
		else if (argv[i][0] != '-' && !dom)
			dom = argv[i];
		else
			return pvctl_usage(cmd);
	}
	if (!dom)
		return pvctl_usage(cmd);
	return pvctl_dom_and_xs(dom, d, h) < 0 ? 1 : -1;
}

/* The domain DOM (any state) and a XenStore handle; -1 after saying why not. */
int pvctl_dom_and_xs(const char *dom, struct pvh_ctl_dominfo *d, struct xs_handle **h)
{
	if (pvctl_dominfo(dom, d, false) < 0)
		return -1;
	*h = pvctl_xs_open_or_say();
	return *h ? 0 : -1;
}

/* Prints "key": "value" or "key": null. */
void pvctl_json_kv(const char *key, const char *val, bool comma)
{
	printf("%s\"%s\": ", comma ? ", " : "", key);
	if (val)
		pvctl_json_str(val);
	else
		printf("null");
}

int pvctl_cmd_block_list(int argc, char **argv)
{
	struct pvh_ctl_dominfo d;
	struct xs_handle *h;
	uint32_t ids[256];
	bool json;
	size_t n;
	int rc = pvctl_list_args(argc, argv, "block-list", &json, &d, &h);

	if (rc >= 0)
		return rc;
	n = pvctl_dev_ids(h, d.domid, "vbd", ids, SV_ARRAY_SIZE(ids));
	if (json)
		printf("[");
	else
		printf("%-6s %-7s %-4s %-13s %-13s %s\n", "Vdev", "Target", "Mode", "Frontend",
		       "Backend", "Source");
	for (size_t i = 0; i < n; i++) {
		char fdir[96], bdir[96];
		char *dev, *mode, *params;
		const char *fe, *be;

		pvctl_xs_dev_paths(d.domid, "vbd", ids[i], fdir, bdir);
		dev = pvctl_xs_get(h, bdir, "dev");
		mode = pvctl_xs_get(h, bdir, "mode");
		params = pvctl_xs_get(h, bdir, "params");
		fe = pvctl_xenbus_state_name(pvctl_xs_get_state(h, fdir));
		be = pvctl_xenbus_state_name(pvctl_xs_get_state(h, bdir));
		if (json) {
			printf("%s{\"devid\": %u", i ? ",\n " : "", ids[i]);
			pvctl_json_kv("target", dev, true);
			pvctl_json_kv("source", params, true);
			pvctl_json_kv("mode", mode, true);
			pvctl_json_kv("frontend_state", fe, true);
			pvctl_json_kv("backend_state", be, true);
			printf("}");
		} else {
			printf("%-6u %-7s %-4s %-13s %-13s %s\n", ids[i], dev ? dev : "-",
			       mode ? mode : "-", fe, be, params ? params : "-");
		}
		free(dev);
		free(mode);
		free(params);
	}
	if (json)
		printf("]\n");
	xs_close(h);
	return 0;
}

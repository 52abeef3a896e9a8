/*
 * pvctl-dom.c: commands that act on one domain through pvhv: destroy,
 * pause, unpause; and the wait that makes destroy deterministic.
 *
 * destroy is idempotent: destroying a domain that is already gone
 * succeeds and says so. As xl destroy does, it returns only when nothing
 * of the domain is left, so that a script can create it again at once:
 * pvhv no longer lists it (every dom0 mapping of its pages is gone, so
 * the backends and pvconsoled have let go), its XenStore directories
 * (/local/domain/N, /vm/<uuid>, its vbd and vif backends) are gone, its
 * taps are gone, pvblkback no longer has its images open, its device
 * model has exited and its pidfile is gone. The wait is bounded; when it
 * runs out, pvctl names what is left and fails.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "pvctl-dm.h"
#include "pvctl.h"
#include "sv.h"

#define GONE_POLL_MS	50

/* Appends "; what" to left (a bounded list for the error message). */
static void note(char *left, size_t size, const char *fmt, ...)
{
	size_t used = strlen(left);
	va_list ap;

	if (used + 3 >= size)
		return;
	if (used)
		used += (size_t)snprintf(left + used, size - used, "; ");
	va_start(ap, fmt);
	vsnprintf(left + used, size - used, fmt, ap);
	va_end(ap);
}

/* The images of the domain's PV disks, while its backend directories exist. */
static void collect_images(struct pvctl_gone *g)
{
	char err[200], dir[96], path[160], *params;
	struct xs_handle *h = pvctl_xs_open(err, sizeof(err));
	unsigned int n = 0, len;
	char **devs;

	if (!h)
		return;
	snprintf(dir, sizeof(dir), "/local/domain/0/backend/vbd/%u", g->domid);
	devs = xs_directory(h, XBT_NULL, dir, &n);
	for (unsigned int i = 0; devs && i < n && g->nimages < PVCTL_GONE_MAX_IMAGES; i++) {
		snprintf(path, sizeof(path), "%s/%s/params", dir, devs[i]);
		params = xs_read(h, XBT_NULL, path, &len);
		if (params && !realpath(params, g->images[g->nimages]))
			sv_strlcpy(g->images[g->nimages], params, PATH_MAX);
		if (params)
			g->nimages++;
		free(params);
	}
	free(devs);
	xs_close(h);
}

void pvctl_gone_init(struct pvctl_gone *g, const struct pvh_ctl_dominfo *d)
{
	memset(g, 0, sizeof(*g));
	g->domid = d->domid;
	memcpy(g->uuid, d->uuid, sizeof(g->uuid));
	sv_strlcpy(g->name, d->name, sizeof(g->name));
	collect_images(g);
}

/* Whether pvhv still has this domain (the same id and uuid). */
static bool hv_has(const struct pvctl_gone *g, char *left, size_t size)
{
	struct pvh_ctl_dominfo now;
	char id[16];

	snprintf(id, sizeof(id), "%u", g->domid);
	if (pvctl_dominfo(id, &now, true) < 0 || memcmp(now.uuid, g->uuid, sizeof(g->uuid)) != 0)
		return false;
	if (now.state == PVH_STATE_DYING)
		note(left, size, "pvhv lists it dying (its grants are still mapped, %s)",
		     "by a dom0 process or another domain");
	else
		note(left, size, "pvhv lists it %s", pvctl_state_name(now.state));
	return true;
}

/* Its XenStore directories; removed again first once pvhv let it go. */
static void xs_left(struct xs_handle *h, const struct pvctl_gone *g, bool sweep, char *left,
		    size_t size)
{
	char dirs[PVCTL_XS_DOM_DIRS][96], *v;
	unsigned int len;

	if (!h)
		return;
	pvctl_xs_dom_dirs(g->domid, g->uuid, dirs);
	for (size_t i = 0; i < PVCTL_XS_DOM_DIRS; i++) {
		if (!dirs[i][0])
			continue;
		if (sweep)
			xs_rm(h, XBT_NULL, dirs[i]);
		v = xs_read(h, XBT_NULL, dirs[i], &len);
		if (v)
			note(left, size, "XenStore node %s", dirs[i]);
		free(v);
	}
}

/* Its taps, vif<domid>.<devid>, which pvnetback deletes. */
static void taps_left(const struct pvctl_gone *g, char *left, size_t size)
{
	DIR *dir = opendir("/sys/class/net");
	char prefix[24];
	struct dirent *e;

	if (!dir)
		return;
	snprintf(prefix, sizeof(prefix), "vif%u.", g->domid);
	while ((e = readdir(dir)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			note(left, size, "tap %s", e->d_name);
	closedir(dir);
}

/* Whether pid has path open. */
static bool has_open(pid_t pid, const char *path)
{
	char fddir[64], link[PATH_MAX + 32], target[PATH_MAX];
	bool found = false;
	struct dirent *e;
	DIR *dir;
	ssize_t n;

	snprintf(fddir, sizeof(fddir), "/proc/%d/fd", (int)pid);
	dir = opendir(fddir);
	while (dir && !found && (e = readdir(dir))) {
		snprintf(link, sizeof(link), "%s/%s", fddir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strcmp(target, path) == 0;
		}
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Its images, still open in pvblkback (unless another domain uses one too). */
static void images_left(const struct pvctl_gone *g, char *left, size_t size)
{
	char pidfile[PATH_MAX];
	pid_t pid;

	snprintf(pidfile, sizeof(pidfile), "%s/pvblkback.pid", pvctl_rundir());
	pid = g->nimages ? sv_pidfile_alive(pidfile) : 0;
	for (size_t i = 0; pid && i < g->nimages; i++)
		if (has_open(pid, g->images[i]) && pvctl_xs_disk_user(g->images[i], true) < 0)
			note(left, size, "pvblkback has %s open", g->images[i]);
}

/* Its device model's pidfile; the device model is stopped once pvhv let it go. */
static void dm_left(const struct pvctl_gone *g, bool stop, char *left, size_t size)
{
	char pidfile[PATH_MAX];

	snprintf(pidfile, sizeof(pidfile), "%s/pvdm/%u.pid", pvctl_rundir(), g->domid);
	if (access(pidfile, F_OK) != 0)
		return;
	if (stop)
		pvctl_dm_stop(g->domid);
	if (access(pidfile, F_OK) == 0)
		note(left, size, "the device model's %s", pidfile);
}

/* What is left of the domain, as a list for people; "" when nothing is. */
static void what_is_left(const struct pvctl_gone *g, struct xs_handle *h, char *left, size_t size)
{
	bool in_hv;

	left[0] = '\0';
	in_hv = hv_has(g, left, size);
	xs_left(h, g, !in_hv, left, size);
	dm_left(g, !in_hv, left, size);
	taps_left(g, left, size);
	images_left(g, left, size);
}

int pvctl_gone_wait(const struct pvctl_gone *g, uint32_t timeout_s)
{
	struct timespec ts = { 0, GONE_POLL_MS * 1000000L };
	uint64_t deadline = sv_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	char err[200], left[1024];
	struct xs_handle *h = pvctl_xs_open(err, sizeof(err));
	int rc = 0;

	for (;;) {
		what_is_left(g, h, left, sizeof(left));
		if (!left[0])
			break;
		if (sv_now_ns() >= deadline) {
			pvctl_err("domain %s (%u) was destroyed but is not gone after %u s: %s",
				  g->name, g->domid, timeout_s, left);
			rc = -ETIMEDOUT;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (h)
		xs_close(h);
	return rc;
}

int pvctl_destroy_wait(const struct pvh_ctl_dominfo *d, uint32_t timeout_s)
{
	struct pvctl_gone g;
	struct pvh_ctl_dom sel;
	char err[600] = "";
	int rc;

	pvctl_gone_init(&g, d);
	snprintf(sel.dom, sizeof(sel.dom), "%u", d->domid);
	rc = pvctl_call_quiet(PVH_CTL_DESTROY, &sel, sizeof(sel), -1, NULL, 0, NULL, err, sizeof(err));
	if (rc < 0 && rc != -ENOENT) {
		pvctl_err("%s", err[0] ? err : strerror(-rc));
		return rc;
	}
	pvctl_xs_release(d->domid);
	pvctl_dm_stop(d->domid);	/* it exits by itself; make sure */
	return pvctl_gone_wait(&g, timeout_s);
}

static int destroy_args(int argc, char **argv, const char **dom, uint32_t *timeout_s)
{
	*dom = NULL;
	*timeout_s = PVCTL_GONE_TIMEOUT_S;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (sv_parse_u32(argv[++i], timeout_s) < 0)
				return pvctl_usage("destroy");
		} else if (argv[i][0] != '-' && !*dom) {
			*dom = argv[i];
		} else {
			return pvctl_usage("destroy");
		}
	}
	return *dom ? 0 : pvctl_usage("destroy");
}

/* The domain to destroy: 0, -ENOENT when pvhv has no such domain, else -errno after saying why. */
static int lookup(const char *dom, struct pvh_ctl_dominfo *info)
{
	struct pvh_ctl_dom sel;
	char err[600] = "";
	size_t len = 0;
	int rc;

	if (sv_strlcpy(sel.dom, dom, sizeof(sel.dom)) >= sizeof(sel.dom)) {
		pvctl_err("'%s' is too long for a domain name", dom);
		return -ENAMETOOLONG;
	}
	rc = pvctl_call_quiet(PVH_CTL_DOMINFO, &sel, sizeof(sel), -1, info, sizeof(*info), &len,
			      err, sizeof(err));
	if (rc == -ENOENT && strstr(err, "no domain"))
		return -ENOENT;
	if (rc == 0 && len != sizeof(*info))
		rc = -EPROTO;
	if (rc < 0)
		pvctl_err("%s", err[0] ? err : strerror(-rc));
	return rc;
}

int pvctl_cmd_destroy(int argc, char **argv)
{
	struct pvh_ctl_dominfo info;
	uint32_t timeout_s;
	const char *dom;
	int rc;

	if (pvctl_wants_help(argc, argv, "destroy"))
		return 0;
	rc = destroy_args(argc, argv, &dom, &timeout_s);
	if (rc)
		return rc;
	rc = lookup(dom, &info);
	if (rc == -ENOENT) {
		printf("No domain '%s': nothing to destroy.\n", dom);
		return 0;
	}
	if (rc < 0 || pvctl_destroy_wait(&info, timeout_s) < 0)
		return 1;
	printf("Domain %s destroyed.\n", dom);
	return 0;
}

static int domain_op(int argc, char **argv, const char *cmd, uint32_t type, const char *done)
{
	struct pvh_ctl_dom sel;
	char err[600] = "";
	int rc;

	if (pvctl_wants_help(argc, argv, cmd))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return pvctl_usage(cmd);
	if (sv_strlcpy(sel.dom, argv[1], sizeof(sel.dom)) >= sizeof(sel.dom)) {
		pvctl_err("'%s' is too long for a domain name", argv[1]);
		return 1;
	}
	rc = pvctl_call_quiet(type, &sel, sizeof(sel), -1, NULL, 0, NULL, err, sizeof(err));
	if (rc < 0) {
		pvctl_err("%s", err[0] ? err : strerror(-rc));
		return 1;
	}
	printf("Domain %s %s.\n", argv[1], done);
	return 0;
}

int pvctl_cmd_pause(int argc, char **argv)
{
	return domain_op(argc, argv, "pause", PVH_CTL_PAUSE, "paused");
}

int pvctl_cmd_unpause(int argc, char **argv)
{
	return domain_op(argc, argv, "unpause", PVH_CTL_UNPAUSE, "unpaused");
}

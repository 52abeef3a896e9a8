/*
 * pvctl-shutdown.c: `pvctl shutdown` and `pvctl reboot`, the cooperative
 * way, as xl does it: write "poweroff" or "reboot" to the guest's
 * control/shutdown node and let its kernel act. A guest that advertises
 * neither control/feature-poweroff nor control/feature-reboot cannot
 * answer; pvctl says so rather than waiting for nothing.
 *
 * --wait waits for the domain to stop running (for reboot: to have
 * restarted), up to --timeout seconds (default 60); a domain that goes
 * away (on_poweroff=destroy) has stopped once nothing of it is left, as
 * pvctl destroy waits for it. --force destroys the domain when it does
 * not answer in time, or at once when it cannot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

#include "pvctl.h"
#include "sv.h"

#define POLL_MS		100

struct opts {
	bool wait, force;
	uint32_t timeout_s;
	const char *dom;
};

static int parse(int argc, char **argv, const char *cmd, struct opts *o)
{
	o->timeout_s = pvctl_conf.shutdown_timeout_s ? pvctl_conf.shutdown_timeout_s : 60;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0 || strcmp(argv[i], "-w") == 0)
			o->wait = true;
		else if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-F") == 0)
			o->force = true;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			if (sv_parse_u32(argv[++i], &o->timeout_s) < 0)
				return pvctl_usage(cmd);
			else
				o->wait = true;
		else if (argv[i][0] != '-' && !o->dom)
			o->dom = argv[i];
		else
			return pvctl_usage(cmd);
	}
	return o->dom ? 0 : pvctl_usage(cmd);
}

static bool has_feature(struct xs_handle *h, uint32_t domid, const char *what)
{
	char path[96], *v;
	unsigned int len;
	bool yes;

	snprintf(path, sizeof(path), "/local/domain/%u/control/feature-%s", domid, what);
	v = xs_read(h, XBT_NULL, path, &len);
	yes = v && strcmp(v, "1") == 0;
	free(v);
	return yes;
}

static int destroy(const struct pvh_ctl_dominfo *d)
{
	if (pvctl_destroy_wait(d, PVCTL_GONE_TIMEOUT_S) < 0)
		return 1;
	printf("Domain %s destroyed.\n", d->name);
	return 0;
}

/* Whether the request was carried out; *gone_out when the domain no longer exists. */
static bool done(const struct pvh_ctl_dominfo *before, bool reboot, bool *gone_out)
{
	struct pvh_ctl_dominfo now;

	*gone_out = pvctl_dominfo(before->name, &now, true) < 0 || now.domid != before->domid ||
		    now.state == PVH_STATE_DYING;
	if (*gone_out)
		return true;	/* on_poweroff=destroy */
	if (reboot)
		return now.restarts != before->restarts || now.state != PVH_STATE_RUNNING;
	return now.state != PVH_STATE_RUNNING && now.state != PVH_STATE_PAUSED;
}

/*
 * A domain that went away (on_poweroff=destroy) counts as shut down once
 * nothing of it is left, as after pvctl destroy.
 */
static int wait_for(const struct pvh_ctl_dominfo *d, const struct pvctl_gone *g,
		    const struct opts *o, bool reboot)
{
	struct timespec ts = { 0, POLL_MS * 1000000L };
	bool gone;

	for (uint64_t waited = 0; waited < (uint64_t)o->timeout_s * 1000; waited += POLL_MS) {
		if (done(d, reboot, &gone)) {
			if (gone && pvctl_gone_wait(g, PVCTL_GONE_TIMEOUT_S) < 0)
				return 1;
			printf("Domain %s %s.\n", d->name, reboot ? "rebooted" : "shut down");
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	if (o->force) {
		pvctl_err("domain %s did not %s within %u s; destroying it", d->name,
			  reboot ? "reboot" : "shut down", o->timeout_s);
		return destroy(d);
	}
	pvctl_err("domain %s did not %s within %u s (pvctl destroy %s stops it now)", d->name,
		  reboot ? "reboot" : "shut down", o->timeout_s, d->name);
	return 1;
}

static int request(int argc, char **argv, const char *cmd, const char *what)
{
	bool reboot = strcmp(what, "reboot") == 0;
	struct pvh_ctl_dominfo d;
	struct pvctl_gone g;
	struct xs_handle *h;
	char err[300], path[96];
	struct opts o = { 0 };
	int rc;

	if (pvctl_wants_help(argc, argv, cmd))
		return 0;
	rc = parse(argc, argv, cmd, &o);
	if (rc)
		return rc;
	if (pvctl_dominfo(o.dom, &d, false) < 0)
		return 1;
	if (d.state != PVH_STATE_RUNNING && d.state != PVH_STATE_PAUSED) {
		printf("Domain %s is already %s.\n", d.name, pvctl_state_name(d.state));
		return 0;
	}
	h = pvctl_xs_open(err, sizeof(err));
	if (!h) {
		pvctl_err("%s", err);
		return 1;
	}
	if (!has_feature(h, d.domid, reboot ? "reboot" : "poweroff")) {
		xs_close(h);
		if (o.force)
			return destroy(&d);
		pvctl_err("domain %s does not answer control/shutdown (its kernel set no control/feature-%s); pvctl %s --force %s destroys it",
			  d.name, reboot ? "reboot" : "poweroff", cmd, d.name);
		return 1;
	}
	if (o.wait)
		pvctl_gone_init(&g, &d);	/* while its backend directories exist */
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", d.domid);
	rc = xs_write(h, XBT_NULL, path, what, strlen(what)) ? 0 : -errno;
	xs_close(h);
	if (rc < 0) {
		pvctl_err("cannot write %s: %s", path, strerror(-rc));
		return 1;
	}
	if (!o.wait) {
		printf("Asked domain %s to %s.\n", d.name, reboot ? "reboot" : "power off");
		return 0;
	}
	return wait_for(&d, &g, &o, reboot);
}

int pvctl_cmd_shutdown(int argc, char **argv)
{
	return request(argc, argv, "shutdown", "poweroff");
}

int pvctl_cmd_reboot(int argc, char **argv)
{
	return request(argc, argv, "reboot", "reboot");
}

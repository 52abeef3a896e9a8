/*
 * pvctl-dom.c: commands that act on one domain through pvhv: destroy,
 * pause, unpause. destroy is idempotent: destroying a domain that is
 * already gone succeeds and says so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pvctl-dm.h"
#include "pvctl.h"
#include "sv.h"

static int domain_op(int argc, char **argv, const char *cmd, uint32_t type, const char *done)
{
	struct pvh_ctl_dominfo info;
	struct pvh_ctl_dom sel;
	char err[600] = "";
	bool id_known;
	int rc;

	if (pvctl_wants_help(argc, argv, cmd))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return pvctl_usage(cmd);
	if (sv_strlcpy(sel.dom, argv[1], sizeof(sel.dom)) >= sizeof(sel.dom)) {
		pvctl_err("'%s' is too long for a domain name", argv[1]);
		return 1;
	}
	id_known = type == PVH_CTL_DESTROY && pvctl_dominfo(argv[1], &info, true) == 0;
	rc = pvctl_call_quiet(type, &sel, sizeof(sel), -1, NULL, 0, NULL, err, sizeof(err));
	if (rc == -ENOENT && type == PVH_CTL_DESTROY && strstr(err, "no domain")) {
		printf("No domain '%s': nothing to destroy.\n", argv[1]);
		return 0;
	}
	if (rc < 0) {
		pvctl_err("%s", err[0] ? err : strerror(-rc));
		return 1;
	}
	if (type == PVH_CTL_DESTROY && id_known) {
		pvctl_xs_release(info.domid);
		pvctl_dm_stop(info.domid);	/* it exits by itself; make sure */
	}
	printf("Domain %s %s.\n", argv[1], done);
	return 0;
}

int pvctl_cmd_destroy(int argc, char **argv)
{
	return domain_op(argc, argv, "destroy", PVH_CTL_DESTROY, "destroyed");
}

int pvctl_cmd_pause(int argc, char **argv)
{
	return domain_op(argc, argv, "pause", PVH_CTL_PAUSE, "paused");
}

int pvctl_cmd_unpause(int argc, char **argv)
{
	return domain_op(argc, argv, "unpause", PVH_CTL_UNPAUSE, "unpaused");
}

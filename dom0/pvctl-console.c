/*
 * pvctl-console.c: `pvctl console [--dump] DOM`.
 *
 * Every guest's console output is logged to <rundir>/console/<name>.log.
 * --dump prints that log and exits. Without it, pvctl prints the log and
 * then follows it until the domain stops running or the user presses
 * Ctrl-C. (Interactive input arrives with the console ring daemon.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvctl.h"
#include "sv.h"

#define FOLLOW_POLL_MS	50

static int copy_out(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (sv_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			return -EIO;
	}
	return n < 0 ? -errno : 0;
}

/* The domain's name: pvhv's answer if it knows DOM, else DOM itself. */
static int resolve_name(const char *dom, char *name, size_t size, bool *live)
{
	struct pvh_ctl_dominfo d;
	uint32_t id;

	*live = false;
	if (pvctl_dominfo(dom, &d, true) == 0) {
		sv_strlcpy(name, d.name, size);
		*live = d.state == PVH_STATE_RUNNING || d.state == PVH_STATE_PAUSED;
		return 0;
	}
	if (sv_parse_u32(dom, &id) == 0) {
		pvctl_err("no domain %s (pvctl list shows the domains)", dom);
		return -ENOENT;
	}
	sv_strlcpy(name, dom, size);
	return 0;
}

static bool still_running(const char *name)
{
	struct pvh_ctl_dominfo d;

	if (pvctl_dominfo(name, &d, true) < 0)
		return false;
	return d.state == PVH_STATE_RUNNING || d.state == PVH_STATE_PAUSED;
}

static int follow(int fd, const char *name)
{
	struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };
	int rc = 0;

	while (rc == 0) {
		rc = copy_out(fd);
		if (!still_running(name))
			return copy_out(fd);
		nanosleep(&ts, NULL);
	}
	return rc;
}

int pvctl_cmd_console(int argc, char **argv)
{
	char name[PVH_NAME_MAX], path[PATH_MAX];
	const char *dom = NULL;
	bool dump = false, live;
	int fd, rc;

	if (pvctl_wants_help(argc, argv, "console"))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0 || strcmp(argv[i], "-d") == 0)
			dump = true;
		else if (argv[i][0] != '-' && !dom)
			dom = argv[i];
		else
			return pvctl_usage("console");
	}
	if (!dom)
		return pvctl_usage("console");
	if (resolve_name(dom, name, sizeof(name), &live) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/console/%s.log", pvctl_rundir(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pvctl_err("no console log for '%s' (%s: %s)", name, path, strerror(errno));
		return 1;
	}
	rc = dump || !live ? copy_out(fd) : follow(fd, name);
	close(fd);
	return rc < 0 ? 1 : 0;
}

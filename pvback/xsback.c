/*
 * xsback.c: the backend side of xenbus shared by pvblkback and pvnetback
 * (xsback.h): key access, device discovery and the watch loop. The state
 * machines themselves stay in each backend: they differ in what a step
 * does, not in how the daemon waits for one.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "xsback.h"
#include "sv.h"

char *xsb_get(struct xs_handle *xs, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(xs, XBT_NULL, path, &len);
}

int xsb_get_u32(struct xs_handle *xs, const char *dir, const char *key, uint32_t *out)
{
	char *v = xsb_get(xs, dir, key);
	int rc = v ? sv_parse_u32(v, out) : -ENOENT;

	free(v);
	return rc;
}

bool xsb_put(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
	     const char *fmt, ...)
{
	char path[256], val[256];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xs_write(xs, t, path, val, strlen(val));
}

void xsb_discover(struct xs_handle *xs, const char *dir, bool (*known)(uint32_t domid, uint32_t devid),
		  void (*add)(uint32_t domid, uint32_t devid))
{
	unsigned int ndom = 0, ndev;
	char **doms = xs_directory(xs, XBT_NULL, dir, &ndom), **devs, path[128];

	for (unsigned int i = 0; doms && i < ndom; i++) {
		uint32_t domid, devid;

		if (sv_parse_u32(doms[i], &domid) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%u", dir, domid);
		devs = xs_directory(xs, XBT_NULL, path, &ndev);
		for (unsigned int j = 0; devs && j < ndev; j++) {
			if (sv_parse_u32(devs[j], &devid) == 0 && !known(domid, devid))
				add(domid, devid);
		}
		free(devs);
	}
	free(doms);
}

int xsb_serve(const char *name, const char *rundir, const char *dir, struct xs_handle **xs_out,
	      int *wake_fd_out, void (*reconcile)(void), void (*close_broken)(void), void (*stop)(void))
{
	char path[PATH_MAX];
	struct pollfd p[3];
	sigset_t set;

	snprintf(path, sizeof(path), "%s/xenstored/socket", rundir);
	setenv("XENSTORED_PATH", path, 1);
	*xs_out = xs_open(0);
	if (!*xs_out || !xs_watch(*xs_out, dir, "be")) {
		sv_err("cannot watch %s in XenStore at %s: is pvxenstored running?", dir, path);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*wake_fd_out = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p[0] = (struct pollfd){ .fd = xs_fileno(*xs_out), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = signalfd(-1, &set, SFD_CLOEXEC), .events = POLLIN };
	p[2] = (struct pollfd){ .fd = *wake_fd_out, .events = POLLIN };
	snprintf(path, sizeof(path), "%s/%s.pid", rundir, name);
	sv_pidfile_write(path);
	sv_info("serving %s", dir);
	while (poll(p, 3, -1) >= 0 || errno == EINTR) {
		if (p[1].revents)
			break;
		if (p[2].revents)
			close_broken();
		if (p[0].revents)
			reconcile();
	}
	stop();
	unlink(path);
	sv_info("stopped");
	return 0;
}

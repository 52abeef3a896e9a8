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
#include <sys/socket.h>
#include <unistd.h>

#include "xsback.h"
#include "sv.h"

/* How often an idle daemon makes sure pvxenstored is still there. */
#define XSB_CHECK_MS	1000

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

/* One status line to whoever connected, then close: the health check. */
static void answer_status(struct xsb_daemon *dm, int lfd)
{
	unsigned int devs = 0, conn = 0;
	char line[128];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	dm->count(&devs, &conn);
	snprintf(line, sizeof(line), "ok %s pid %d: %u device%s, %u connected\n", dm->name,
		 (int)getpid(), devs, devs == 1 ? "" : "s", conn);
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		sv_debug("a status client went away before its answer");
	close(fd);
}

/*
 * libxenstore's reader thread closes the connection when pvxenstored goes
 * away, but wakes nobody who polls: ask something cheap now and then.
 */
static bool xenstore_alive(struct xs_handle *xs)
{
	unsigned int n;
	char **ents = xs_directory(xs, XBT_NULL, "/", &n);

	free(ents);
	return ents != NULL;
}

int xsb_serve(struct xsb_daemon *dm)
{
	char pidfile[PATH_MAX], sock[PATH_MAX];
	struct pollfd p[4];
	int rc = 0, r;
	sigset_t set;

	snprintf(sock, sizeof(sock), "%s/xenstored/socket", dm->rundir);
	setenv("XENSTORED_PATH", sock, 1);
	dm->xs = xs_open(0);
	if (!dm->xs || !xs_watch(dm->xs, dm->dir, "be")) {
		sv_err("cannot watch %s in XenStore at %s: is pvxenstored running?", dm->dir, sock);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	dm->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	snprintf(sock, sizeof(sock), "%s/%s.sock", dm->rundir, dm->name);
	p[0] = (struct pollfd){ .fd = xs_fileno(dm->xs), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = signalfd(-1, &set, SFD_CLOEXEC), .events = POLLIN };
	p[2] = (struct pollfd){ .fd = dm->wake_fd, .events = POLLIN };
	p[3] = (struct pollfd){ .fd = sv_listen_unix(sock, SOCK_STREAM), .events = POLLIN };
	if (p[3].fd < 0) {
		sv_err("cannot listen on %s: %s", sock, strerror(-p[3].fd));
		return 1;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", dm->rundir, dm->name);
	sv_pidfile_write(pidfile);
	sv_info("serving %s", dm->dir);
	while ((r = poll(p, 4, XSB_CHECK_MS)) >= 0 || errno == EINTR) {
		if (r == 0 && !xenstore_alive(dm->xs)) {
			sv_err("lost the connection to pvxenstored: stopping every device and exiting");
			rc = 1;
			break;
		}
		if (r <= 0)
			continue;
		if (p[1].revents)
			break;
		if (p[2].revents)
			dm->close_broken();
		if (p[0].revents)
			dm->reconcile();
		if (p[3].revents)
			answer_status(dm, p[3].fd);
	}
	dm->stop();
	close(p[3].fd);
	unlink(sock);
	unlink(pidfile);
	sv_info("stopped");
	return rc;
}

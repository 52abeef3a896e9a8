/*
 * pvctl-console.c: `pvctl console [--dump] DOM`.
 *
 * Every guest's console output is logged to <rundir>/console/<name>.log.
 * --dump prints that log and exits. Without it, pvctl prints the log so
 * far and attaches to the domain's console through pvconsoled: output
 * appears as the guest writes it, keystrokes go to the guest (the
 * terminal is in raw mode), and Ctrl-] detaches. With stdin not a
 * terminal, its bytes are sent as they are and pvctl keeps printing until
 * the console closes. Without pvconsoled it follows the log instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
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

#define DETACH_KEY	0x1d	/* Ctrl-] */

static int connect_once(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[160], reply[128];
	ssize_t n;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/pvconsoled.sock", pvctl_rundir());
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	snprintf(line, sizeof(line), "attach %s\n", name);
	if (sv_write_all(fd, line, strlen(line)) < 0)
		goto fail;
	/* The answer is one line: "ok" or "error: ...". */
	for (size_t got = 0; got < sizeof(reply) - 1; got++) {
		n = read(fd, reply + got, 1);
		if (n <= 0)
			goto fail;
		if (reply[got] == '\n') {
			reply[got] = '\0';
			if (strcmp(reply, "ok") == 0)
				return fd;
			break;
		}
	}
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* pvconsoled attaches a new domain when it sees it introduced: allow it a moment. */
static int connect_consoled(const char *name)
{
	struct timespec ts = { 0, 40 * 1000000L };

	for (int tries = 0; tries < 50; tries++) {
		int fd = connect_once(name);

		if (fd >= 0 || !still_running(name))
			return fd;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Relays between the terminal and the console until either side ends. */
static int interact(int sock, bool tty)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = sock, .events = POLLIN } };
	char buf[4096];
	ssize_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			return -errno;
		if (p[1].revents) {
			n = read(sock, buf, sizeof(buf));
			if (n <= 0)
				return 0;	/* the console went away */
			if (sv_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				return -EIO;
		}
		if (p[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0) {
				shutdown(sock, SHUT_WR);
				p[0].fd = -1;	/* no more input; keep printing */
				continue;
			}
			if (tty && memchr(buf, DETACH_KEY, (size_t)n))
				return 0;
			if (sv_write_all(sock, buf, (size_t)n) < 0)
				return 0;
		}
	}
}

static int attach_console(int log_fd, const char *name)
{
	struct termios saved, raw;
	bool tty = isatty(STDIN_FILENO);
	int sock = connect_consoled(name), rc;

	if (sock < 0)
		return 1;	/* no console daemon: the caller follows the log */
	copy_out(log_fd);
	if (tty) {
		fprintf(stderr, "[connected to %s's console; Ctrl-] detaches]\r\n", name);
		tcgetattr(STDIN_FILENO, &saved);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	rc = interact(sock, tty);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		fprintf(stderr, "\n[detached from %s]\n", name);
	}
	close(sock);
	return rc < 0 ? -1 : 0;
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
	if (dump || !live)
		rc = copy_out(fd);
	else if ((rc = attach_console(fd, name)) > 0)
		rc = follow(fd, name);
	close(fd);
	return rc < 0 ? 1 : 0;
}

/*
 * pvxenstored.c: the XenStore daemon: options, run directory, event loop.
 *
 * One thread, one epoll loop.  Entries are the listening socket, dom0
 * socket clients, guests' event channel fds (ring connections) and a
 * signalfd for SIGTERM/SIGINT, which end the loop cleanly: the socket,
 * pidfile and kept store are removed, as the host is stopping.  After every
 * round of events, the round's changes go to the journal, queued output
 * (replies and watch events for other connections) is flushed and
 * connections marked dead are freed.  Nothing a client sends can end the
 * loop.  A daemon that dies any other way (a crash, kill -9) finds its
 * store in its directory when started again (persist.c), and re-attaches
 * the rings of the guests pvhv still runs (hvlink.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xs-priv.h"

struct daemon {
	struct xs_store st;
	const char *rundir;
	const char *pidfile;
	const char *access_log;
	const char *log_file;
	bool foreground;
	bool volatile_store;		/* --volatile: keep nothing on disk */
	char dir[4096];
	char sock_path[4200];
	int epfd;
	struct xs_pollent listen_ent, signal_ent, dom_exc_ent;
	struct xs_pollent *rings;
	bool restored;			/* a kept store was loaded */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pvxenstored --rundir DIR [--foreground] [--pidfile FILE]\n"
		"                   [--access-log FILE] [--log-file FILE]\n"
		"                   [--quota NAME=N ...] [--volatile]\n"
		"Serves XenStore on DIR/xenstored/socket (dom0 clients; use\n"
		"XENSTORED_PATH=DIR/xenstored/socket with the xenstore-* tools).\n"
		"The store is kept in DIR/xenstored/ across a crash or kill, unless\n"
		"--volatile; a clean stop (SIGTERM) removes it.\n"
		"Quotas: nodes node-size watches transactions outstanding memory\n"
		"        perms transaction-nodes request-rate request-burst\n");
}

static int parse_args(struct daemon *dm, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "access-log", required_argument, NULL, 'a' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "quota", required_argument, NULL, 'q' },
		{ "volatile", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "r:Fp:a:l:q:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': dm->rundir = optarg; break;
		case 'F': dm->foreground = true; break;
		case 'p': dm->pidfile = optarg; break;
		case 'a': dm->access_log = optarg; break;
		case 'l': dm->log_file = optarg; break;
		case 'V': dm->volatile_store = true; break;
		case 'q':
			if (xs_quota_set(dm->st.quota, optarg)) {
				fprintf(stderr, "pvxenstored: bad --quota '%s': "
					"expected NAME=N\n", optarg);
				usage(stderr);
				return -EINVAL;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int make_rundir(struct daemon *dm)
{
	if (mkdir(dm->rundir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(dm->dir, sizeof(dm->dir), "%s/xenstored", dm->rundir);
	if (mkdir(dm->dir, 0700) && errno != EEXIST)
		return -errno;
	if (chmod(dm->dir, 0700))
		return -errno;
	snprintf(dm->sock_path, sizeof(dm->sock_path), "%s/socket", dm->dir);
	return 0;
}

static int add_fd(struct daemon *dm, struct xs_pollent *pe)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = pe };

	pe->epfd = dm->epfd;
	return epoll_ctl(dm->epfd, EPOLL_CTL_ADD, pe->fd, &ev) ? -errno : 0;
}

static int watch_ring_fd(void *arg, int fd, struct xs_conn *c)
{
	struct daemon *dm = arg;
	struct xs_pollent *pe = calloc(1, sizeof(*pe));
	int rc;

	if (!pe)
		return -ENOMEM;
	pe->kind = XS_POLL_RING;
	pe->fd = fd;
	pe->c = c;
	rc = add_fd(dm, pe);
	if (rc) {
		free(pe);
		return rc;
	}
	pe->next = dm->rings;
	dm->rings = pe;
	return 0;
}

static void unwatch_ring_fd(void *arg, int fd)
{
	struct daemon *dm = arg;
	struct xs_pollent **pp, *pe;

	for (pp = &dm->rings; (pe = *pp); pp = &pe->next) {
		if (pe->fd == fd) {
			epoll_ctl(dm->epfd, EPOLL_CTL_DEL, fd, NULL);
			*pp = pe->next;
			free(pe);
			return;
		}
	}
}

static int setup_signals(struct daemon *dm)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	dm->signal_ent.kind = XS_POLL_SIGNAL;
	dm->signal_ent.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (dm->signal_ent.fd < 0)
		return -errno;
	return add_fd(dm, &dm->signal_ent);
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) ? -errno : 0;
}

static void handle_sock(struct xs_store *st, struct xs_pollent *pe,
			uint32_t events)
{
	int rc = 0;

	if (pe->c->dead)
		return;
	if (events & EPOLLOUT)
		rc = xs_conn_flush(pe->c);
	if (!rc && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		rc = xs_conn_handle_input(st, pe->c);
	if (rc < 0)
		pe->c->dead = true;
}

static void handle_ring(struct xs_store *st, struct xs_pollent *pe)
{
	uint64_t count;

	if (read(pe->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		xs_log("ring of domain %u: event channel read: %s",
		       pe->c->domid, strerror(errno));
	xs_ring_conn_event(st, pe->c);
}

static void flush_all(struct xs_store *st)
{
	struct xs_conn *c;

	for (c = st->conns; c; c = c->next)
		if (c->out_head && !c->dead && xs_conn_flush(c) < 0)
			c->dead = true;
}

/*
 * Round robin: a ring that used its budget this round, or whose domain ran
 * out of request tokens, still has input in its page; give it its next
 * turn after everyone else had theirs.  Sockets need no such pass: their
 * unread input keeps their fd ready (level-triggered).
 */
static bool rerun_rings(struct daemon *dm)
{
	struct xs_pollent *pe;
	bool more = false;

	for (pe = dm->rings; pe; pe = pe->next)
		if (xs_ring_conn_event(&dm->st, pe->c) > 0)
			more = true;
	return more;
}

/* How long the loop may sleep: not past the next token a ring waits for. */
static int loop_timeout_ms(struct daemon *dm, bool more)
{
	uint64_t ns;

	if (more)
		return 0;
	ns = xs_rate_next_ns(&dm->st);
	if (ns == 0)
		return -1;
	return (int)((ns + 999999) / 1000000);
}

static void handle_event(struct daemon *dm, struct xs_pollent *pe,
			 uint32_t events)
{
	switch (pe->kind) {
	case XS_POLL_LISTEN:
		while (xs_sock_accept(&dm->st, pe->fd, dm->epfd) == 0)
			;
		break;
	case XS_POLL_SOCK:
		handle_sock(&dm->st, pe, events);
		break;
	case XS_POLL_RING:
		handle_ring(&dm->st, pe);
		break;
	case XS_POLL_DOM_EXC:
		xs_hv_on_dom_exc(&dm->st, pe->fd);
		break;
	case XS_POLL_SIGNAL:
		break;	/* handled by run() */
	}
}

static int run(struct daemon *dm)
{
	struct epoll_event evs[64];
	bool more = false;
	int n, i;

	for (;;) {
		n = epoll_wait(dm->epfd, evs, 64, loop_timeout_ms(dm, more));
		if (n < 0 && errno != EINTR)
			return -errno;
		dm->st.now_ns = xs_monotonic_ns();
		dm->st.round++;
		for (i = 0; i < n; i++) {
			struct xs_pollent *pe = evs[i].data.ptr;

			if (pe->kind == XS_POLL_SIGNAL)
				return 0;
			handle_event(dm, pe, evs[i].events);
		}
		more = dm->rings && rerun_rings(dm);
		flush_all(&dm->st);
		xs_persist_flush(&dm->st);
		xs_conn_reap(&dm->st);
	}
}

static int open_logs(struct daemon *dm)
{
	FILE *f;

	if (dm->log_file) {
		f = fopen(dm->log_file, "a");
		if (!f)
			return -errno;
		xs_log_set_file(f);
	}
	if (dm->access_log) {
		dm->st.access_log = fopen(dm->access_log, "a");
		if (!dm->st.access_log)
			return -errno;
		dm->st.access_log_on = true;
	}
	return 0;
}

static int setup(struct daemon *dm)
{
	int rc;

	rc = make_rundir(dm);
	if (rc) {
		xs_log("cannot create run directory %s: %s", dm->rundir,
		       strerror(-rc));
		return rc;
	}
	rc = open_logs(dm);
	if (rc) {
		xs_log("cannot open log file: %s", strerror(-rc));
		return rc;
	}
	rc = dm->volatile_store ? 0 : xs_persist_open(&dm->st, dm->dir,
						       &dm->restored);
	if (rc) {
		xs_log("cannot keep the store in %s: %s", dm->dir, strerror(-rc));
		return rc;
	}
	dm->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dm->epfd < 0)
		return -errno;
	rc = xs_sock_listen(dm->sock_path, &dm->listen_ent.fd);
	if (rc) {
		xs_log("cannot listen on %s: %s%s", dm->sock_path,
		       strerror(-rc), rc == -EADDRINUSE ?
		       " (is another pvxenstored running there?)" : "");
		return rc;
	}
	dm->listen_ent.kind = XS_POLL_LISTEN;
	rc = add_fd(dm, &dm->listen_ent);
	if (rc)
		return rc;
	rc = xs_hv_attach(&dm->st, dm->rundir, &dm->dom_exc_ent.fd);
	if (!rc && dm->restored)
		xs_hv_restore(&dm->st);
	if (rc || dm->dom_exc_ent.fd < 0)
		return rc;
	dm->dom_exc_ent.kind = XS_POLL_DOM_EXC;
	return add_fd(dm, &dm->dom_exc_ent);
}

int main(int argc, char **argv)
{
	static struct daemon dm;
	int rc;

	if (xs_store_init(&dm.st)) {
		fprintf(stderr, "pvxenstored: out of memory\n");
		return 1;
	}
	dm.rundir = "/run/splitvisor";
	dm.listen_ent.fd = -1;
	if (parse_args(&dm, argc, argv))
		return 2;
	dm.st.watch_fd = watch_ring_fd;
	dm.st.unwatch_fd = unwatch_ring_fd;
	dm.st.loop_arg = &dm;
	rc = setup(&dm);
	if (!rc && !dm.foreground && daemon(1, 0))
		rc = -errno;
	/* After daemon(): a signalfd polled across fork() never wakes. */
	if (!rc)
		rc = setup_signals(&dm);
	if (!rc && dm.pidfile)
		rc = write_pidfile(dm.pidfile);
	if (!rc) {
		xs_log("serving %s", dm.sock_path);
		rc = run(&dm);
	}
	if (dm.listen_ent.fd >= 0)
		unlink(dm.sock_path);
	if (dm.pidfile)
		unlink(dm.pidfile);
	/* Stopped on purpose (SIGTERM): the store ends with the host. */
	xs_persist_close(&dm.st, rc == 0);
	xs_store_dispose(&dm.st);
	if (dm.st.access_log)
		fclose(dm.st.access_log);
	if (rc)
		xs_log("exiting: %s", strerror(-rc));
	return rc ? 1 : 0;
}

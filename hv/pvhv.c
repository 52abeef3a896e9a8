/*
 * pvhv.c: the hypervisor daemon's entry point and event loop.
 *
 * pvhv owns every domain's memory and mediates everything that crosses a
 * domain boundary. It is one thread with one epoll set: the control
 * socket and its connections, and per domain the hypercall socket, the
 * seccomp listener, the timer and the runner's pidfd. Handlers are short
 * and never block on a guest (our ends of its sockets are non-blocking),
 * and every ready descriptor is served in each turn (run_loop); a guest
 * can only slow down its own requests.
 *
 * Usage: pvhv --rundir DIR [--mem-budget SIZE] [--uid-base N]
 *             [--no-namespaces] [--debug]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-priv.h"

struct hv hv;

static volatile bool quit;

int hv_epoll_add(int fd, struct hv_src *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(hv.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Every removal ends the current batch (run_loop): its object may be freed. */
void hv_epoll_del(int fd)
{
	epoll_ctl(hv.epfd, EPOLL_CTL_DEL, fd, NULL);
	hv.epoll_dels++;
}

static uint64_t default_budget_kib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || psize <= 0)
		return 1ull << 20;
	return (uint64_t)pages * (uint64_t)psize / 1024 / 2;	/* half the host */
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pvhv --rundir DIR [--mem-budget SIZE] [--uid-base N] [--no-namespaces] [--debug]\n"
		"pvhv is normally started by 'pvctl host start'.\n");
	exit(2);
}

static void parse_args(int argc, char **argv, enum sv_log_level *level)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "mem-budget", required_argument, NULL, 'm' },
		{ "uid-base", required_argument, NULL, 'u' },
		{ "no-namespaces", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t bytes;
	int c;

	hv.budget_kib = default_budget_kib();
	hv.uid_base = 0x50000000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': hv.rundir = optarg; break;
		case 'm':
			if (sv_parse_size(optarg, &bytes) < 0 || bytes < PVH_MEM_MIN) {
				fprintf(stderr, "pvhv: bad --mem-budget '%s' (e.g. 2G, 512M)\n", optarg);
				exit(2);
			}
			hv.budget_kib = bytes >> 10;
			break;
		case 'u':
			if (sv_parse_u32(optarg, &hv.uid_base) < 0 || hv.uid_base < 1000 ||
			    hv.uid_base > 0x7fff0000u) {
				fprintf(stderr, "pvhv: bad --uid-base '%s'\n", optarg);
				exit(2);
			}
			break;
		case 'n': hv.no_sandbox_ns = true; break;
		case 'd': *level = SV_LOG_DEBUG; break;
		default: usage();
		}
	}
	if (!hv.rundir || optind != argc)
		usage();
}

static int find_runner(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = '\0';
	snprintf(hv.runner_path, sizeof(hv.runner_path), "%s/pvhv-runner", dirname(self));
	return access(hv.runner_path, X_OK) == 0 ? 0 : -ENOENT;
}

static int setup_rundir(void)
{
	char path[PATH_MAX];
	int rc;

	rc = sv_mkdir_p(hv.rundir, 0755);
	snprintf(path, sizeof(path), "%s/console", hv.rundir);
	if (rc == 0)
		rc = sv_mkdir_p(path, 0750);
	/* The runners chroot here: empty and not writable by them. */
	snprintf(path, sizeof(path), "%s/empty", hv.rundir);
	if (rc == 0)
		rc = sv_mkdir_p(path, 0555);
	if (rc == 0 && chmod(path, 0555) < 0)
		rc = -errno;
	return rc;
}

static int setup_signals(struct hv_src *src)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	*src = (struct hv_src){ HV_SRC_SIGNAL, NULL };
	return hv_epoll_add(fd, src) < 0 ? -1 : fd;
}

/*
 * Control connections are root's (the dom0 daemons, pvctl), and each is
 * drained in its turn: what one sent before another's request is served
 * first, as a daemon's unmaps of a destroyed domain before the `pvctl
 * create` that reuses its name. A connection that closes, or a domain
 * its message frees, ends the drain (hv_epoll_del).
 */
static void serve_ctl(void *conn)
{
	uint64_t dels = hv.epoll_dels;

	for (unsigned int i = 0; i < HV_CTL_BUDGET && hv.epoll_dels == dels; i++) {
		if (!hv_ctl_on_readable(conn))
			break;
	}
}

static void handle(struct epoll_event *ev, int lfd, int sfd)
{
	struct hv_src *src = ev->data.ptr;
	struct signalfd_siginfo si;

	switch (src->kind) {
	case HV_SRC_SIGNAL:
		if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			sv_info("signal %u: shutting down", si.ssi_signo);
			quit = true;
		}
		break;
	case HV_SRC_CTL_LISTEN: hv_ctl_on_accept(lfd); break;
	case HV_SRC_CTL_CONN: serve_ctl(src->obj); break;
	case HV_SRC_DOM_HCALL: hv_hcall_on_readable(src->obj); break;
	case HV_SRC_DOM_NOTIFY: hv_domain_on_notify(src->obj); break;
	case HV_SRC_DOM_TIMER: hv_domain_on_timer(src->obj); break;
	case HV_SRC_DOM_EXIT: hv_domain_on_exit(src->obj); break;
	}
}

/*
 * pvhv.log, when stderr is it, is rotated to pvhv.log.old at HV_LOG_MAX:
 * with every line a guest can trigger rate-limited and restarts braked,
 * this bounds what pvhv's log holds on disk whatever the guests do.
 */
static struct {
	bool on;
	char path[4096];
} hvlog;

static void log_rotation_init(void)
{
	struct stat st_err, st_log;

	snprintf(hvlog.path, sizeof(hvlog.path), "%s/pvhv.log", hv.rundir);
	hvlog.on = fstat(STDERR_FILENO, &st_err) == 0 && stat(hvlog.path, &st_log) == 0 &&
		   S_ISREG(st_err.st_mode) && st_err.st_dev == st_log.st_dev &&
		   st_err.st_ino == st_log.st_ino;
}

static void log_rotate_if_full(void)
{
	char old[4200];
	struct stat st;
	int fd;

	if (!hvlog.on || fstat(STDERR_FILENO, &st) < 0 || st.st_size < HV_LOG_MAX)
		return;
	snprintf(old, sizeof(old), "%s.old", hvlog.path);
	fd = rename(hvlog.path, old) == 0 ?
	     open(hvlog.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : -1;
	if (fd < 0) {
		hvlog.on = false;	/* keep writing where we are rather than loop */
		sv_err("cannot rotate %s: %s; the log is no longer bounded", hvlog.path, strerror(errno));
		return;
	}
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	sv_info("log rotated at %u bytes; the previous part is %s", HV_LOG_MAX, old);
}

/*
 * One batch of ready descriptors is served in full, each handler doing a
 * bounded amount of work (a domain gets at most HV_HCALL_BUDGET
 * hypercalls): a guest that keeps its socket readable gets its turn like
 * everybody else, and cannot starve other guests or the control socket.
 * The batch is served in epoll's order, the order in which descriptors
 * became ready, so that a dom0 daemon's unmap that came before a new
 * `pvctl create` is served before it.
 *
 * A handler may free a domain or connection that a later event in this
 * batch points at; every such teardown first removes descriptors from
 * epoll (hv_epoll_del), so the batch stops after one, and level-triggered
 * epoll reports the rest again on the next wait.
 */
static void run_loop(int lfd, int sfd)
{
	struct epoll_event evs[64];

	while (!quit) {
		int n = epoll_wait(hv.epfd, evs, (int)SV_ARRAY_SIZE(evs), -1);
		uint64_t dels = hv.epoll_dels;

		if (n < 0 && errno != EINTR) {
			sv_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !quit && hv.epoll_dels == dels; i++)
			handle(&evs[i], lfd, sfd);
		log_rotate_if_full();
	}
}

int main(int argc, char **argv)
{
	struct hv_src src_sig, src_listen = { HV_SRC_CTL_LISTEN, NULL };
	enum sv_log_level level = SV_LOG_INFO;
	char pidfile[PATH_MAX];
	int lfd, sfd, rc;

	parse_args(argc, argv, &level);
	sv_log_init("pvhv", level);
	if (geteuid() != 0) {
		sv_err("pvhv must run as root (it builds sandboxes and owns guest memory)");
		return 1;
	}
	hv.next_domid = HV_DOMID_FIRST;
	hv.start_mono_ns = sv_now_ns();
	hv.epfd = epoll_create1(EPOLL_CLOEXEC);
	rc = setup_rundir();
	if (rc < 0 || hv.epfd < 0) {
		sv_err("cannot set up the run directory %s: %s", hv.rundir, strerror(-rc));
		return 1;
	}
	if (find_runner() < 0) {
		sv_err("cannot find pvhv-runner next to pvhv (%s); reinstall Splitvisor", hv.runner_path);
		return 1;
	}
	hv_time_calibrate();
	if (hv_dom0_init() < 0) {
		sv_err("out of memory setting up domain 0");
		return 1;
	}
	sfd = setup_signals(&src_sig);
	lfd = hv_ctl_listen(hv.rundir);
	if (sfd < 0) {
		sv_err("cannot set up signal handling");
		return 1;
	}
	if (lfd < 0 || hv_epoll_add(lfd, &src_listen) < 0) {
		sv_err("cannot listen on %s/%s: %s", hv.rundir, PVH_CTL_SOCKET,
		       strerror(lfd < 0 ? -lfd : errno));
		return 1;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/pvhv.pid", hv.rundir);
	sv_pidfile_write(pidfile);
	log_rotation_init();
	sv_info("pvhv %s ready: run directory %s, memory budget %" PRIu64 " MiB, TSC %" PRIu64 " kHz",
		PACKAGE_VERSION, hv.rundir, hv.budget_kib >> 10, hv.tsc_khz);
	run_loop(lfd, sfd);
	hv_domain_destroy_all();
	hv_ctl_close_all();
	hv_cgroup_cleanup();
	snprintf(pidfile, sizeof(pidfile), "%s/%s", hv.rundir, PVH_CTL_SOCKET);
	unlink(pidfile);
	snprintf(pidfile, sizeof(pidfile), "%s/pvhv.pid", hv.rundir);
	unlink(pidfile);
	sv_info("pvhv stopped");
	return 0;
}

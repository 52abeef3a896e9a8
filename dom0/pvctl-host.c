/*
 * pvctl-host.c: `pvctl host start|stop|status|run|wait`, the host daemons'
 * life.
 *
 * A daemon is running when its pidfile names a live process (not a
 * zombie, and one with the daemon's name) *and* it answers a health check
 * on its socket within HEALTH_TIMEOUT_MS: pvhv a HOST_INFO request,
 * pvxenstored a DIRECTORY of /, pvconsoled a "status" line, pvblkback and
 * pvnetback a status line on their control sockets. Otherwise it is
 * stopped (no pidfile), dead (the pid exited or is a zombie nobody reaped)
 * or not answering (alive but silent, or answering garbage).
 *
 * start brings up, in dependency order, each daemon that is not running,
 * detached in its own session with its log in the run directory, and waits
 * until each answers before starting the next; one already running is
 * left alone. A daemon that must start again takes down first the running
 * daemons that depend on it (their links to it died with it): a new pvhv
 * means no guest survived (as after a hypervisor crash) and everything
 * else restarts with it; a new pvxenstored restarts pvconsoled and the
 * backends. pvconsoled, pvblkback and pvnetback restart alone: they take
 * their guests' consoles and devices back from XenStore
 * (docs/architecture.md, "Daemons that come back"). Whenever pvxenstored
 * starts, domains it still lists that pvhv does not know are released.
 *
 * stop takes them down in reverse order: SIGTERM, then SIGKILL after a
 * grace period. pvhv destroys every domain when it stops.
 *
 * run and wait are for a service manager (dist/systemd): run execs one
 * daemon in the foreground with the arguments start would give it, wait
 * returns once it answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/xs_wire.h>

#include "pvctl.h"
#include "sv.h"

#define START_TIMEOUT_MS	10000
#define STOP_TIMEOUT_MS		10000
/* Generous: a daemon on a loaded 2-core host still answers well within it. */
#define HEALTH_TIMEOUT_MS	5000

enum probe_kind { PROBE_HV, PROBE_XS, PROBE_LINE };

struct daemon {
	const char *name;
	const char *socket;	/* relative to the run directory */
	enum probe_kind probe;
	unsigned int needs;	/* bits: indexes in daemons[] whose restart restarts this one */
};

enum { D_HV, D_XS, D_CONSOLE, D_BLK, D_NET, D_COUNT };

/* Start order; stop runs it backwards. */
static const struct daemon daemons[D_COUNT] = {
	[D_HV] = { "pvhv", PVH_CTL_SOCKET, PROBE_HV, 0 },
	[D_XS] = { "pvxenstored", "xenstored/socket", PROBE_XS, 1u << D_HV },
	[D_CONSOLE] = { "pvconsoled", "pvconsoled.sock", PROBE_LINE, 1u << D_HV | 1u << D_XS },
	[D_BLK] = { "pvblkback", "pvblkback.sock", PROBE_LINE, 1u << D_HV | 1u << D_XS },
	[D_NET] = { "pvnetback", "pvnetback.sock", PROBE_LINE, 1u << D_HV | 1u << D_XS },
};

enum health { H_RUNNING, H_STOPPED, H_DEAD, H_ZOMBIE, H_SILENT };

struct status {
	enum health health;
	pid_t pid;		/* from the pidfile, 0 if none */
	char detail[128];	/* what the daemon said about itself, or why it is silent */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void pidfile_path(const struct daemon *dm, char *out, size_t size)
{
	snprintf(out, size, "%s/%s.pid", pvctl_rundir(), dm->name);
}

static pid_t pidfile_pid(const struct daemon *dm)
{
	char path[PATH_MAX], buf[32] = "";
	ssize_t n;
	long pid;
	int fd;

	pidfile_path(dm, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	pid = n > 0 ? strtol(buf, NULL, 10) : 0;
	return pid > 1 && pid <= INT32_MAX ? (pid_t)pid : 0;
}

/*
 * From /proc/PID/stat: its state letter, and whether its name is the
 * daemon's (a pid the kernel gave to someone else since is not ours).
 * '\0' if there is no such process.
 */
static char proc_state(pid_t pid, const char *name, bool *ours_out)
{
	char path[64], buf[512], *open_paren, *close_paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '\0';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '\0';
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
		return '\0';
	*close_paren = '\0';
	/* comm is cut to 15 characters. */
	*ours_out = strncmp(open_paren + 1, name, 15) == 0;
	return close_paren[2];
}

static int connect_unix(const struct daemon *dm, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { HEALTH_TIMEOUT_MS / 1000, (HEALTH_TIMEOUT_MS % 1000) * 1000 };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", pvctl_rundir(), dm->socket);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* pvhv: HOST_INFO, answered with a reply of the right magic and type. */
static bool probe_hv(int fd, char *detail, size_t size)
{
	struct pvh_ctl_req req = { .magic = PVH_CTL_MAGIC, .type = PVH_CTL_HOST_INFO, .len = 0 };
	uint8_t buf[sizeof(struct pvh_ctl_rsp) + sizeof(struct pvh_ctl_host)];
	struct pvh_ctl_rsp rsp;
	struct pvh_ctl_host host;
	ssize_t n;

	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return false;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(rsp))
		return false;
	memcpy(&rsp, buf, sizeof(rsp));
	if (rsp.magic != PVH_CTL_MAGIC || rsp.type != PVH_CTL_HOST_INFO || rsp.status != 0 ||
	    (size_t)n != sizeof(rsp) + sizeof(host))
		return false;
	memcpy(&host, buf + sizeof(rsp), sizeof(host));
	snprintf(detail, size, "%u domain%s", host.domains, host.domains == 1 ? "" : "s");
	return true;
}

/* pvxenstored: DIRECTORY of /, answered (any reply to our req_id will do). */
static bool probe_xs(int fd)
{
	struct {
		struct xsd_sockmsg h;
		char path[2];
	} req = { { .type = XS_DIRECTORY, .req_id = 0x5356, .tx_id = 0, .len = 2 }, "/" };
	struct xsd_sockmsg rsp;
	size_t got = 0;

	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return false;
	while (got < sizeof(rsp)) {
		ssize_t n = recv(fd, (char *)&rsp + got, sizeof(rsp) - got, 0);

		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return rsp.req_id == req.h.req_id && (rsp.type == XS_DIRECTORY || rsp.type == XS_ERROR);
}

/* pvconsoled and the backends: one line that starts "ok <name> ". */
static bool probe_line(int fd, const struct daemon *dm, char *detail, size_t size)
{
	char buf[160], want[32];
	const char *rest;
	size_t got = 0;

	/* pvconsoled reads a request line; the backends answer whoever connects. */
	if (strcmp(dm->name, "pvconsoled") == 0 &&
	    send(fd, "status\n", 7, MSG_NOSIGNAL) != 7)
		return false;
	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	snprintf(want, sizeof(want), "ok %s ", dm->name);
	if (strncmp(buf, want, strlen(want)) != 0 || !strchr(buf, '\n'))
		return false;
	*strchr(buf, '\n') = '\0';
	/* "ok pvblkback pid 12: 2 devices, 2 connected": keep what follows the pid. */
	rest = strstr(buf + strlen(want), ": ");
	snprintf(detail, size, "%s", rest ? rest + 2 : "");
	return true;
}

/* Whether it answers its health check; detail gets what it said or why not. */
static bool answers(const struct daemon *dm, char *detail, size_t size)
{
	int fd = connect_unix(dm, dm->probe == PROBE_HV ? SOCK_SEQPACKET : SOCK_STREAM);
	bool ok;

	detail[0] = '\0';
	if (fd < 0) {
		snprintf(detail, size, "its socket refuses connections: %s", strerror(-fd));
		return false;
	}
	switch (dm->probe) {
	case PROBE_HV: ok = probe_hv(fd, detail, size); break;
	case PROBE_XS: ok = probe_xs(fd); break;
	default: ok = probe_line(fd, dm, detail, size); break;
	}
	close(fd);
	if (!ok)
		snprintf(detail, size, "no answer on its socket within %d s", HEALTH_TIMEOUT_MS / 1000);
	return ok;
}

static void check(const struct daemon *dm, struct status *st)
{
	bool ours = false;
	char state;

	memset(st, 0, sizeof(*st));
	st->pid = pidfile_pid(dm);
	if (!st->pid) {
		st->health = H_STOPPED;
		return;
	}
	state = proc_state(st->pid, dm->name, &ours);
	if (state == '\0' || !ours) {
		st->health = H_DEAD;
		return;
	}
	if (state == 'Z' || state == 'X') {
		st->health = H_ZOMBIE;
		return;
	}
	st->health = answers(dm, st->detail, sizeof(st->detail)) ? H_RUNNING : H_SILENT;
}

bool pvctl_daemon_alive(const char *name)
{
	struct status st;

	for (int i = 0; i < D_COUNT; i++) {
		if (strcmp(daemons[i].name, name) == 0) {
			check(&daemons[i], &st);
			return st.health == H_RUNNING;
		}
	}
	return false;
}

static const char *health_text(const struct status *st, char *buf, size_t size)
{
	switch (st->health) {
	case H_RUNNING:
		snprintf(buf, size, "running (pid %d%s%s)", (int)st->pid, st->detail[0] ? ", " : "",
			 st->detail);
		break;
	case H_STOPPED:
		snprintf(buf, size, "stopped");
		break;
	case H_DEAD:
		snprintf(buf, size, "dead (pid %d in its pidfile has exited)", (int)st->pid);
		break;
	case H_ZOMBIE:
		snprintf(buf, size, "dead (pid %d has exited and is a zombie nobody reaped)", (int)st->pid);
		break;
	case H_SILENT:
		snprintf(buf, size, "not answering (pid %d is alive, but %s)", (int)st->pid, st->detail);
		break;
	}
	return buf;
}

void pvctl_daemon_stdio(const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0);
}

/* Execs the daemon with the command line both start and run give it. */
static void exec_daemon(const char *path, const char *name, const char *budget)
{
	char pidfile[PATH_MAX];
	char *argv[16];
	int n = 0;

	argv[n++] = strdup(name);
	argv[n++] = strdup("--rundir");
	argv[n++] = strdup(pvctl_rundir());
	if (budget && strcmp(name, "pvhv") == 0) {
		argv[n++] = strdup("--mem-budget");
		argv[n++] = strdup(budget);
	}
	if (pvctl_conf.uid_base && strcmp(name, "pvhv") == 0) {	/* splitvisor.conf */
		argv[n++] = strdup("--uid-base");
		argv[n++] = strdup(pvctl_conf.uid_base);
	}
	if (pvctl_conf.log_level && strcmp(pvctl_conf.log_level, "debug") == 0 &&
	    strcmp(name, "pvhv") == 0)
		argv[n++] = strdup("--debug");
	if (strcmp(name, "pvxenstored") == 0) {
		snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", pvctl_rundir(), name);
		argv[n++] = strdup("--foreground");
		argv[n++] = strdup("--pidfile");
		argv[n++] = strdup(pidfile);
	}
	argv[n] = NULL;
	execv(path, argv);
	fprintf(stderr, "pvctl: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

static void show_log_tail(const char *name)
{
	char path[PATH_MAX], cmd[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s.log", pvctl_rundir(), name);
	fprintf(stderr, "--- last lines of %s ---\n", path);
	snprintf(cmd, sizeof(cmd), "tail -n 8 '%s' >&2", path);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
}

/* Polls until it answers, it exits (pid, if ours), or the timeout. */
static int wait_ready(const struct daemon *dm, pid_t child)
{
	char detail[128];
	int status;

	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		if (answers(dm, detail, sizeof(detail)))
			return 0;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			pvctl_err("%s exited during start-up", dm->name);
			show_log_tail(dm->name);
			return -ECHILD;
		}
		sleep_ms(20);
	}
	pvctl_err("%s did not answer within %d s", dm->name, START_TIMEOUT_MS / 1000);
	show_log_tail(dm->name);
	return -ETIMEDOUT;
}

/*
 * XenStore's domains that pvhv does not know are left from a pvhv that
 * died (or from before a crash of the whole host): release them as
 * destroy would, so their nodes, their backends' devices and pvxenstored's
 * mappings go.
 */
static void release_stale_domains(void)
{
	/* As many as one reply can carry: a list cut short would release live domains. */
	static struct pvh_ctl_dominfo doms[PVH_CTL_MSG_MAX / sizeof(struct pvh_ctl_dominfo)];
	char err[200];
	struct xs_handle *h;
	unsigned int n = 0;
	size_t len = 0;
	char **ents;

	if (pvctl_call_quiet(PVH_CTL_LIST, NULL, 0, -1, doms, sizeof(doms), &len, err, sizeof(err)) < 0)
		return;
	h = pvctl_xs_open(err, sizeof(err));
	if (!h)
		return;
	ents = xs_directory(h, XBT_NULL, "/local/domain", &n);
	xs_close(h);
	for (unsigned int i = 0; ents && i < n; i++) {
		uint32_t domid;
		bool known = false;

		if (sv_parse_u32(ents[i], &domid) < 0 || domid == 0)
			continue;
		for (size_t j = 0; j < len / sizeof(doms[0]); j++)
			known |= doms[j].domid == domid;
		if (known)
			continue;
		pvctl_xs_release(domid);
		printf("released domain %u from XenStore: pvhv does not know it\n", domid);
	}
	free(ents);
}

static int spawn(const struct daemon *dm, const char *budget)
{
	char path[PATH_MAX], log[PATH_MAX];
	pid_t pid;
	int rc;

	if (pvctl_find_daemon(dm->name, path, sizeof(path)) < 0) {
		pvctl_err("cannot find %s (looked for %s); build or reinstall Splitvisor", dm->name, path);
		return -ENOENT;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setsid();
		snprintf(log, sizeof(log), "%s/%s.log", pvctl_rundir(), dm->name);
		pvctl_daemon_stdio(log);
		exec_daemon(path, dm->name, budget);
	}
	rc = wait_ready(dm, pid);
	if (rc == 0)
		printf("%s started (pid %d)\n", dm->name, (int)pid);
	if (rc == 0 && dm == &daemons[D_XS])
		release_stale_domains();
	return rc;
}

/*
 * SIGTERM, then SIGKILL after STOP_TIMEOUT_MS. Returns once the process is
 * gone; one that has exited but is left a zombie (its parent, often init,
 * has not reaped it yet) gets the rest of the time to be reaped, so that
 * a caller finds no trace of it, and is then counted as stopped.
 */
static void stop_pid(const struct daemon *dm, pid_t pid)
{
	bool ours = false, exited = false;
	char st;

	kill(pid, SIGTERM);
	for (int waited = 0; waited < STOP_TIMEOUT_MS; waited += 20) {
		st = proc_state(pid, dm->name, &ours);
		if (st == '\0' || !ours)
			break;
		exited = st == 'Z' || st == 'X';
		sleep_ms(20);
	}
	st = proc_state(pid, dm->name, &ours);
	if (st != '\0' && ours && !exited && st != 'Z' && st != 'X') {
		pvctl_err("%s (pid %d) ignored SIGTERM for %d s; killing it", dm->name, (int)pid,
			  STOP_TIMEOUT_MS / 1000);
		kill(pid, SIGKILL);
		return;
	}
	printf("%s stopped\n", dm->name);
}

static void stop_one(const struct daemon *dm)
{
	struct status st;

	check(dm, &st);
	if (st.health == H_RUNNING || st.health == H_SILENT)
		stop_pid(dm, st.pid);
}

/*
 * Which daemons start: those not running, and the running ones that depend
 * on one of those (their links to it died with it). Says why, for the
 * second kind. Refuses (-EBUSY) a daemon that is alive but silent.
 */
static int plan_start(struct status st[D_COUNT], unsigned int *start_out)
{
	unsigned int start = 0;
	char text[256];

	for (int i = 0; i < D_COUNT; i++) {
		check(&daemons[i], &st[i]);
		if (st[i].health == H_SILENT) {
			pvctl_err("%s is %s: stop it (pvctl host stop, or kill %d) and start again",
				  daemons[i].name, health_text(&st[i], text, sizeof(text)), (int)st[i].pid);
			return -EBUSY;
		}
		if (st[i].health != H_RUNNING)
			start |= 1u << i;
	}
	if ((start & 1u << D_HV) && start != (1u << D_COUNT) - 1)
		printf("pvhv was not running, so no guest survived: the other daemons start afresh\n");
	for (int i = 0; i < D_COUNT; i++) {
		if ((daemons[i].needs & start) && !(start & 1u << i)) {
			start |= 1u << i;
			printf("%s depends on a daemon that starts again: restarting it too\n", daemons[i].name);
		}
	}
	*start_out = start;
	return 0;
}

static int host_start(const char *budget)
{
	struct status st[D_COUNT];
	unsigned int start;
	char text[256];
	int rc = sv_mkdir_p(pvctl_rundir(), 0755);

	if (rc < 0) {
		pvctl_err("cannot create the run directory %s: %s", pvctl_rundir(), strerror(-rc));
		return 1;
	}
	if (plan_start(st, &start) < 0)
		return 1;
	for (int i = D_COUNT; i-- > 0;) {
		if ((start & 1u << i) && st[i].health == H_RUNNING)
			stop_pid(&daemons[i], st[i].pid);
	}
	for (int i = 0; i < D_COUNT; i++) {
		if (!(start & 1u << i)) {
			printf("%s is already running (pid %d)\n", daemons[i].name, (int)st[i].pid);
			continue;
		}
		if (st[i].health == H_DEAD || st[i].health == H_ZOMBIE)
			printf("%s was %s; starting it again\n", daemons[i].name,
			       health_text(&st[i], text, sizeof(text)));
		if (spawn(&daemons[i], budget) < 0)
			return 1;
	}
	return 0;
}

static int host_stop(void)
{
	for (size_t i = SV_ARRAY_SIZE(daemons); i-- > 0;)
		stop_one(&daemons[i]);
	return 0;
}

static int host_status(void)
{
	char text[256];
	int down = 0;

	printf("run directory: %s\n", pvctl_rundir());
	for (int i = 0; i < D_COUNT; i++) {
		struct status st;

		check(&daemons[i], &st);
		printf("%-12s %s\n", daemons[i].name, health_text(&st, text, sizeof(text)));
		down += st.health != H_RUNNING;
	}
	return down ? 3 : 0;
}

static const struct daemon *daemon_named(const char *name)
{
	for (int i = 0; i < D_COUNT; i++)
		if (strcmp(daemons[i].name, name) == 0)
			return &daemons[i];
	pvctl_err("no host daemon '%s' (pvhv, pvxenstored, pvconsoled, pvblkback, pvnetback)", name);
	return NULL;
}

/* run NAME: become the daemon, in the foreground, for a service manager. */
static int host_run(const char *name, const char *budget)
{
	const struct daemon *dm = daemon_named(name);
	char path[PATH_MAX], text[256];
	struct status st;
	int rc = sv_mkdir_p(pvctl_rundir(), 0755);

	if (!dm)
		return 2;
	check(dm, &st);
	if (st.health == H_RUNNING || st.health == H_SILENT) {
		pvctl_err("%s is already %s in %s: stop that one first", dm->name,
			  health_text(&st, text, sizeof(text)), pvctl_rundir());
		return 1;
	}
	if (rc < 0) {
		pvctl_err("cannot create the run directory %s: %s", pvctl_rundir(), strerror(-rc));
		return 1;
	}
	if (pvctl_find_daemon(dm->name, path, sizeof(path)) < 0) {
		pvctl_err("cannot find %s (looked for %s); build or reinstall Splitvisor", dm->name, path);
		return 1;
	}
	exec_daemon(path, dm->name, budget);
	return 1;
}

/* wait NAME: until it answers (a service manager's readiness check). */
static int host_wait(const char *name)
{
	const struct daemon *dm = daemon_named(name);

	if (!dm)
		return 2;
	if (wait_ready(dm, 0) < 0)
		return 1;
	if (dm == &daemons[D_XS])
		release_stale_domains();
	return 0;
}

int pvctl_cmd_host(int argc, char **argv)
{
	const char *budget = pvctl_conf.mem_budget;	/* --mem-budget overrides it */
	const char *name = NULL;
	bool named;

	if (pvctl_wants_help(argc, argv, "host"))
		return 0;
	if (argc < 2)
		return pvctl_usage("host");
	named = strcmp(argv[1], "run") == 0 || strcmp(argv[1], "wait") == 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--mem-budget") == 0 && i + 1 < argc)
			budget = argv[++i];
		else if (named && !name)
			name = argv[i];
		else
			return pvctl_usage("host");
	}
	if (named && !name)
		return pvctl_usage("host");
	if (geteuid() != 0) {
		pvctl_err("the host daemons need root: run pvctl as root");
		return 1;
	}
	if (strcmp(argv[1], "start") == 0)
		return host_start(budget);
	if (strcmp(argv[1], "stop") == 0)
		return host_stop();
	if (strcmp(argv[1], "status") == 0)
		return host_status();
	if (strcmp(argv[1], "run") == 0)
		return host_run(name, budget);
	if (strcmp(argv[1], "wait") == 0)
		return host_wait(name);
	return pvctl_usage("host");
}

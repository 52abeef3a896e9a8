/*
 * pvctl-host.c: `pvctl host start|stop|status`, the host daemons' life.
 *
 * start brings the daemons up in dependency order, each detached in its
 * own session with its log in the run directory, and waits until each
 * answers before starting the next; it is idempotent. stop takes them
 * down in reverse order: SIGTERM, then SIGKILL after a grace period.
 * pvhv destroys every domain when it stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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

#include "pvctl.h"
#include "sv.h"

#define START_TIMEOUT_MS	10000
#define STOP_TIMEOUT_MS		10000

struct daemon {
	const char *name;
	const char *socket;	/* relative to the run directory: ready when it accepts */
	int socktype;
	bool optional;		/* not built yet in this tree: skip quietly */
};

/* Start order; stop runs it backwards. */
static const struct daemon daemons[] = {
	{ "pvhv", PVH_CTL_SOCKET, SOCK_SEQPACKET, false },
	{ "pvxenstored", "xenstored/socket", SOCK_STREAM, false },
	{ "pvconsoled", "pvconsoled.sock", SOCK_STREAM, false },
	{ "pvblkback", NULL, 0, false },
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

/* Ready: it accepts on its socket, or, with no socket, wrote its pidfile. */
static bool sock_answers(const struct daemon *dm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char pidfile[PATH_MAX];
	bool ok;
	int fd;

	if (!dm->socket) {
		pidfile_path(dm, pidfile, sizeof(pidfile));
		return sv_pidfile_alive(pidfile) != 0;
	}
	fd = socket(AF_UNIX, dm->socktype | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", pvctl_rundir(), dm->socket);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
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

static void exec_daemon(const char *path, const char *name, const char *budget)
{
	char log[PATH_MAX], pidfile[PATH_MAX];
	char *argv[16];
	int n = 0;

	setsid();
	snprintf(log, sizeof(log), "%s/%s.log", pvctl_rundir(), name);
	pvctl_daemon_stdio(log);
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

static int start_one(const struct daemon *dm, const char *budget)
{
	char path[PATH_MAX], pidfile[PATH_MAX];
	pid_t pid, alive;
	int status;

	pidfile_path(dm, pidfile, sizeof(pidfile));
	alive = sv_pidfile_alive(pidfile);
	if (alive && sock_answers(dm)) {
		printf("%s is already running (pid %d)\n", dm->name, (int)alive);
		return 0;
	}
	if (pvctl_find_daemon(dm->name, path, sizeof(path)) < 0) {
		if (dm->optional)
			return 0;
		pvctl_err("cannot find %s (looked for %s); build or reinstall Splitvisor", dm->name, path);
		return -ENOENT;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		exec_daemon(path, dm->name, budget);
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		if (sock_answers(dm)) {
			printf("%s started (pid %d)\n", dm->name, (int)pid);
			return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
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

static int stop_one(const struct daemon *dm)
{
	char pidfile[PATH_MAX];
	pid_t pid;

	pidfile_path(dm, pidfile, sizeof(pidfile));
	pid = sv_pidfile_alive(pidfile);
	if (!pid)
		return 0;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < STOP_TIMEOUT_MS; waited += 20) {
		if (kill(pid, 0) < 0) {
			printf("%s stopped\n", dm->name);
			return 0;
		}
		sleep_ms(20);
	}
	pvctl_err("%s (pid %d) ignored SIGTERM for %d s; killing it", dm->name, (int)pid,
		  STOP_TIMEOUT_MS / 1000);
	kill(pid, SIGKILL);
	return 0;
}

static int host_start(const char *budget)
{
	int rc = sv_mkdir_p(pvctl_rundir(), 0755);

	if (rc < 0) {
		pvctl_err("cannot create the run directory %s: %s", pvctl_rundir(), strerror(-rc));
		return 1;
	}
	for (size_t i = 0; i < SV_ARRAY_SIZE(daemons); i++) {
		if (start_one(&daemons[i], budget) < 0)
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
	char pidfile[PATH_MAX], path[PATH_MAX];
	int down = 0;

	printf("run directory: %s\n", pvctl_rundir());
	for (size_t i = 0; i < SV_ARRAY_SIZE(daemons); i++) {
		const struct daemon *dm = &daemons[i];
		pid_t pid;

		if (dm->optional && pvctl_find_daemon(dm->name, path, sizeof(path)) < 0)
			continue;
		pidfile_path(dm, pidfile, sizeof(pidfile));
		pid = sv_pidfile_alive(pidfile);
		if (pid && sock_answers(dm)) {
			printf("%-12s running (pid %d)\n", dm->name, (int)pid);
		} else {
			printf("%-12s stopped\n", dm->name);
			down++;
		}
	}
	return down ? 3 : 0;
}

int pvctl_cmd_host(int argc, char **argv)
{
	const char *budget = pvctl_conf.mem_budget;	/* --mem-budget overrides it */

	if (pvctl_wants_help(argc, argv, "host"))
		return 0;
	if (argc < 2)
		return pvctl_usage("host");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--mem-budget") == 0 && i + 1 < argc)
			budget = argv[++i];
		else
			return pvctl_usage("host");
	}
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
	return pvctl_usage("host");
}

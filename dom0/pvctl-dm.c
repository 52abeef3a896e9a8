/*
 * pvctl-dm.c: starting and stopping a domain's device model (pvdm).
 *
 * create builds a domain with an IDE disk paused with PVH_CREATE_IOREQ,
 * then pvctl_dm_start() runs pvdm for it: detached (its own session,
 * reparented to init), its log in <rundir>/pvdm/<name>.log, its pid in
 * <rundir>/pvdm/<domid>.pid. pvdm writes one byte to a pipe once it holds
 * the domain's ioreq socket and memory; only then is the domain unpaused.
 * pvdm exits by itself when its domain goes away; destroy also stops it
 * (pvctl_dm_stop), checking that the pid is still a pvdm.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domcfg.h"
#include "pvctl-dm.h"
#include "pvctl.h"
#include "sv.h"

#define DM_READY_TIMEOUT_MS	10000
#define DM_STOP_TIMEOUT_MS	5000

const struct domcfg_disk *pvctl_dm_disk(const struct domcfg *cfg)
{
	for (size_t i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].bus == DOMCFG_BUS_IDE)
			return &cfg->disks[i];
	return NULL;
}

static void dm_path(char *out, size_t size, const char *leaf)
{
	snprintf(out, size, "%s/pvdm/%s", pvctl_rundir(), leaf);
}

static void pidfile_of(uint32_t domid, char *out, size_t size)
{
	char leaf[32];

	snprintf(leaf, sizeof(leaf), "%u.pid", domid);
	dm_path(out, size, leaf);
}

/* In the grandchild: becomes pvdm with its log and the pipe's write end as fd 3. */
static void exec_pvdm(const char *exe, const char *log, const char *pidfile, uint32_t domid,
		      const struct domcfg_disk *d, int ready_w)
{
	char domid_s[16], *argv[16];
	int n = 0;

	pvctl_daemon_stdio(log);
	/* dup2 onto itself would keep O_CLOEXEC: clear it by hand then. */
	if (ready_w == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(ready_w, 3) < 0)
		_exit(127);
	/* Nothing of pvctl's (XenStore, pvhv connections) goes with it. */
	syscall(SYS_close_range, 4u, ~0u, 0u);
	snprintf(domid_s, sizeof(domid_s), "%u", domid);
	argv[n++] = strdup("pvdm");
	argv[n++] = strdup("--rundir");
	argv[n++] = strdup(pvctl_rundir());
	argv[n++] = strdup("--domid");
	argv[n++] = domid_s;
	argv[n++] = strdup("--disk");
	argv[n++] = d->source;
	argv[n++] = strdup("--ready-fd");
	argv[n++] = strdup("3");
	argv[n++] = strdup("--pidfile");
	argv[n++] = strdup(pidfile);
	if (d->readonly)
		argv[n++] = strdup("--readonly");
	argv[n] = NULL;
	execv(exe, argv);
	fprintf(stderr, "pvctl: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

static int write_pid(const char *path, pid_t pid)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc;

	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	rc = sv_write_all(fd, buf, strlen(buf));
	close(fd);
	return rc;
}

/* Forks twice so that pvdm is init's child, not ours. */
static int spawn(const char *exe, const char *log, const char *pidfile, uint32_t domid,
		 const struct domcfg_disk *d, int ready_w)
{
	pid_t pid = fork(), gc;
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setsid();
		gc = fork();
		if (gc == 0)
			exec_pvdm(exe, log, pidfile, domid, d, ready_w);
		/* pvdm rewrites it; written here too so a pvdm stuck early can be stopped. */
		_exit(gc < 0 || write_pid(pidfile, gc) < 0 ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	return 0;
}

/* Waits for pvdm's byte. 0: ready; -EPIPE: it exited; -ETIMEDOUT. */
static int wait_ready(int ready_r)
{
	struct pollfd pf = { .fd = ready_r, .events = POLLIN };
	char c;
	int r;

	do
		r = poll(&pf, 1, DM_READY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	return read(ready_r, &c, 1) == 1 ? 0 : -EPIPE;
}

static void show_log_tail(const char *log)
{
	char line[512];
	FILE *f = fopen(log, "r");
	long size;
	int n = 0;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > 2048 ? size - 2048 : 0, SEEK_SET);
	if (size > 2048 && !fgets(line, sizeof(line), f))	/* skip a partial line */
		size = 0;
	fprintf(stderr, "--- last lines of %s ---\n", log);
	while (fgets(line, sizeof(line), f) && n++ < 8)
		fputs(line, stderr);
	fclose(f);
}

int pvctl_dm_start(const struct domcfg *cfg, uint32_t domid)
{
	const struct domcfg_disk *d = pvctl_dm_disk(cfg);
	char exe[PATH_MAX], dir[PATH_MAX], log[PATH_MAX], pidfile[PATH_MAX], leaf[PVH_NAME_MAX + 8];
	int pipefd[2], rc;

	if (!d)
		return 0;
	if (pvctl_find_daemon("pvdm", exe, sizeof(exe)) < 0) {
		pvctl_err("cannot find the device model pvdm (looked for %s); build or reinstall Splitvisor", exe);
		return -ENOENT;
	}
	dm_path(dir, sizeof(dir), "");
	rc = sv_mkdir_p(dir, 0755);
	if (rc < 0) {
		pvctl_err("cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	snprintf(leaf, sizeof(leaf), "%s.log", cfg->name);
	dm_path(log, sizeof(log), leaf);
	pidfile_of(domid, pidfile, sizeof(pidfile));
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	rc = spawn(exe, log, pidfile, domid, d, pipefd[1]);
	close(pipefd[1]);
	if (rc == 0)
		rc = wait_ready(pipefd[0]);
	close(pipefd[0]);
	if (rc == 0)
		return 0;
	pvctl_err("the device model for domain %u (%s, hda %s) %s", domid, cfg->name, d->source,
		  rc == -ETIMEDOUT ? "did not get ready within 10 s" :
		  rc == -EPIPE ? "exited during start-up" : "could not be started");
	show_log_tail(log);
	pvctl_dm_stop(domid);
	return rc;
}

/* Is pid a pvdm? Guards against a stale pidfile whose pid was reused. */
static bool is_pvdm(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strcmp(comm, "pvdm\n") == 0;
}

void pvctl_dm_stop(uint32_t domid)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char pidfile[PATH_MAX];
	pid_t pid;

	pidfile_of(domid, pidfile, sizeof(pidfile));
	pid = sv_pidfile_alive(pidfile);
	if (pid && is_pvdm(pid)) {
		kill(pid, SIGTERM);
		for (int waited = 0; waited < DM_STOP_TIMEOUT_MS && kill(pid, 0) == 0; waited += 20)
			nanosleep(&ts, NULL);
		if (kill(pid, 0) == 0) {
			pvctl_err("the device model of domain %u (pid %d) ignored SIGTERM; killing it",
				  domid, (int)pid);
			kill(pid, SIGKILL);
		}
	}
	unlink(pidfile);
}

/*
 * spawn.c: starting a domain's vCPU runner and taking its seccomp
 * listener.
 *
 * The child gets exactly the domain's descriptors at the numbers
 * public/pvh_trap.h and runner.h fix, then execs pvhv-runner, which
 * confines itself (runner.c). Whatever the runner is given is within the
 * guest's reach (they share an address space), so it gets no environment,
 * only numbers on its command line (which it scrubs before the jump
 * anyway), and the directory to chroot into as a descriptor, not a path.
 * The start-up handshake runs synchronously here with a deadline, so that
 * `create` can report a sandbox that failed to come up as its own error
 * and leave nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv-priv.h"
#include "public/pvh_ioreq.h"
#include "public/pvh_trap.h"
#include "runner.h"

#define HANDSHAKE_TIMEOUT_MS	10000

/*
 * Moves fds to their fixed numbers in the child. Each is first copied
 * above the target range so that no dup2 clobbers a source.
 */
static void child_setup_fds(int hcall, int event, int mem, int ioreq)
{
	char empty[4200];
	int devnull = open("/dev/null", O_RDWR), root;

	/* The runner chroots through this descriptor: no path to pass. */
	snprintf(empty, sizeof(empty), "%s/empty", hv.rundir);
	root = open(empty, O_PATH | O_DIRECTORY);
	hcall = fcntl(hcall, F_DUPFD, 16);
	event = fcntl(event, F_DUPFD, 16);
	mem = fcntl(mem, F_DUPFD, 16);
	root = fcntl(root, F_DUPFD, 16);
	if (ioreq >= 0)
		ioreq = fcntl(ioreq, F_DUPFD, 16);
	if (devnull < 0 || hcall < 0 || event < 0 || mem < 0 || root < 0 ||
	    dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		_exit(RUNNER_EXIT_SETUP);
	if (dup2(hcall, PVH_FD_HCALL) < 0 || dup2(event, PVH_FD_EVENT) < 0 ||
	    dup2(mem, RUNNER_FD_MEM) < 0 || dup2(root, RUNNER_FD_ROOT) < 0)
		_exit(RUNNER_EXIT_SETUP);
	if (ioreq >= 0 && (ioreq == PVH_FD_IOREQ || dup2(ioreq, PVH_FD_IOREQ) < 0))
		_exit(RUNNER_EXIT_SETUP);
	if (syscall(SYS_close_range, RUNNER_FD_ROOT + 1, PVH_FD_IOREQ - 1, 0) < 0 ||
	    syscall(SYS_close_range, PVH_FD_IOREQ + (ioreq >= 0), ~0U, 0) < 0)
		_exit(RUNNER_EXIT_SETUP);
}

static void child_exec(struct hv_domain *d, pid_t pvhv, int hcall, int event, int ioreq)
{
	char a_domid[16], a_mem[32], a_entry[32], a_si[32], a_stack[32], a_uid[16],
	     a_no_ns[] = "--no-namespaces", a_ioreq[] = "--ioreq";
	uint32_t uid = hv.uid_base + d->domid;
	char *argv[24], *envp[] = { NULL };
	int n = 0;

	/* The runner dies with pvhv from here on (exec keeps this; the
	 * runner sets it again after changing uid, which clears it). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != pvhv)
		_exit(RUNNER_EXIT_SETUP);

	snprintf(a_domid, sizeof(a_domid), "%u", d->domid);
	snprintf(a_mem, sizeof(a_mem), "%" PRIu64, d->mem_size);
	snprintf(a_entry, sizeof(a_entry), "%#" PRIx64, d->boot.entry);
	snprintf(a_si, sizeof(a_si), "%#" PRIx64, d->boot.start_info_va);
	snprintf(a_stack, sizeof(a_stack), "%#" PRIx64, d->boot.stack_va);
	snprintf(a_uid, sizeof(a_uid), "%u", uid);
	child_setup_fds(hcall, event, d->mem_fd, ioreq);
	argv[n++] = (char[]){ "pvhv-runner" };
	argv[n++] = (char[]){ "--domid" }; argv[n++] = a_domid;
	argv[n++] = (char[]){ "--mem-size" }; argv[n++] = a_mem;
	argv[n++] = (char[]){ "--entry" }; argv[n++] = a_entry;
	argv[n++] = (char[]){ "--start-info" }; argv[n++] = a_si;
	argv[n++] = (char[]){ "--stack" }; argv[n++] = a_stack;
	argv[n++] = (char[]){ "--uid" }; argv[n++] = a_uid;
	argv[n++] = (char[]){ "--gid" }; argv[n++] = a_uid;
	/* Not compound literals: those would die with the if's scope. */
	if (hv.no_sandbox_ns)
		argv[n++] = a_no_ns;
	if (ioreq >= 0)
		argv[n++] = a_ioreq;
	argv[n] = NULL;
	execve(hv.runner_path, argv, envp);
	fprintf(stderr, "pvhv: exec %s: %s\n", hv.runner_path, strerror(errno));
	_exit(RUNNER_EXIT_SETUP);
}

/* Waits for the runner's READY; returns its listener number or -1. */
static int await_ready(struct hv_domain *d, int *notify_nr_out, char *err, size_t errlen)
{
	struct pvh_runner_msg msg;
	struct pollfd pfd = { .fd = d->hcall_fd, .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&pfd, 1, HANDSHAKE_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		snprintf(err, errlen, "the domain's sandbox did not come up within %d s",
			 HANDSHAKE_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	n = sv_recv_msg(d->hcall_fd, &msg, sizeof(msg), NULL);
	if (n != sizeof(msg) || msg.magic != PVH_RUNNER_MAGIC || msg.type != PVH_RUNNER_READY) {
		snprintf(err, errlen, "the domain's sandbox failed to start (pvhv's log has the runner's message)");
		return -ECHILD;
	}
	*notify_nr_out = msg.notify_fd;
	return 0;
}

static int take_listener(struct hv_domain *d, int nr)
{
	int fd;

	if (nr < 0) {
		sv_warn("domain %u: the kernel offers no seccomp listener; forbidden system calls will kill the domain without naming the call",
			d->domid);
		return 0;
	}
	fd = (int)syscall(SYS_pidfd_getfd, d->pidfd, nr, 0);
	if (fd < 0)
		return -errno;
	d->notify_fd = fd;
	d->src_notify = (struct hv_src){ HV_SRC_DOM_NOTIFY, d };
	return hv_epoll_add(fd, &d->src_notify);
}

void hv_runner_go(struct hv_domain *d)
{
	struct pvh_runner_msg msg = { .magic = PVH_RUNNER_MAGIC, .type = PVH_RUNNER_GO };

	if (sv_send_msg_nowait(d->hcall_fd, &msg, sizeof(msg), -1) != sizeof(msg))
		sv_warn("domain %u: could not start its vCPU", d->domid);
}

static int fork_runner(struct hv_domain *d, int child_hcall, int child_ioreq,
		       char *err, size_t errlen)
{
	pid_t self = getpid(), pid = d->is_linux ? hv_linux_fork() : fork();

	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0 && d->is_linux)
		hv_linux_child_exec(d, child_hcall);
	if (pid == 0)
		child_exec(d, self, child_hcall, d->event_fd, child_ioreq);
	d->pid = pid;
	d->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (d->pidfd < 0) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int hv_spawn_runner(struct hv_domain *d, bool start_paused, char *err, size_t errlen)
{
	int sv[2], io[2] = { -1, -1 }, notify_nr = -1, rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -errno;
	}
	d->hcall_fd = sv[0];
	/* A fresh ioreq socket per runner: the device model claims its end. */
	if (d->has_ioreq && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, io) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		close(sv[1]);
		return -errno;
	}
	d->ioreq_fd = io[0];
	/*
	 * Our ends never block: a guest that stops reading must not stall
	 * pvhv or its device model. The runner's ends stay blocking.
	 */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
	    (io[0] >= 0 && fcntl(io[0], F_SETFL, O_NONBLOCK) < 0)) {
		rc = -errno;
		snprintf(err, errlen, "fcntl O_NONBLOCK: %s", strerror(-rc));
	} else
		rc = fork_runner(d, sv[1], io[1], err, errlen);
	close(sv[1]);
	if (io[1] >= 0)
		close(io[1]);
	if (rc < 0)
		return rc;
	rc = await_ready(d, &notify_nr, err, errlen);
	if (rc < 0)
		return rc;
	hv_cgroup_attach(d);	/* before the guest runs a single instruction */
	rc = take_listener(d, notify_nr);
	if (rc < 0) {
		snprintf(err, errlen, "cannot take the sandbox's seccomp listener: %s", strerror(-rc));
		return rc;
	}
	d->src_hcall = (struct hv_src){ HV_SRC_DOM_HCALL, d };
	d->src_exit = (struct hv_src){ HV_SRC_DOM_EXIT, d };
	rc = hv_epoll_add(d->hcall_fd, &d->src_hcall);
	if (rc == 0)
		rc = hv_epoll_add(d->pidfd, &d->src_exit);
	if (rc < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(-rc));
		return rc;
	}
	d->start_unix_ns = sv_realtime_ns();
	d->start_mono_ns = sv_now_ns();
	d->stop_mono_ns = 0;
	if (start_paused)
		d->state = PVH_STATE_PAUSED;	/* "go" waits for unpause */
	else {
		d->vcpu_started = true;
		hv_runner_go(d);
	}
	return 0;
}

/*
 * ipc-rtt.c: the host's own round trip over the transport a hypercall
 * uses (a SOCK_SEQPACKET socketpair between two processes, one request
 * and one reply of the same sizes), so a hypercall's cost can be read as
 * a ratio to it. Prints "ipc-rtt: n=N median_ns=X p90_ns=Y".
 *
 * With --eventfd it times the other host primitive an event channel
 * round trip is made of: two processes waking each other through a pair
 * of eventfds, blocking in poll().
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "public/pvh_trap.h"

#define BATCH	100

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void serve(int fd)
{
	struct pvh_hcall_req req;
	struct pvh_hcall_rsp rsp = { .magic = PVH_HCALL_MAGIC };

	while (read(fd, &req, sizeof(req)) == sizeof(req)) {
		rsp.op = req.op;
		if (write(fd, &rsp, sizeof(rsp)) != sizeof(rsp))
			break;
	}
	_exit(0);
}

static void kick_and_wait(int out, int in)
{
	struct pollfd p = { .fd = in, .events = POLLIN };
	uint64_t one = 1, n;

	if (write(out, &one, sizeof(one)) != sizeof(one) || poll(&p, 1, -1) != 1 ||
	    read(in, &n, sizeof(n)) != sizeof(n))
		_exit(1);
}

static void eventfd_rtt(unsigned int batches, uint64_t *per)
{
	int ping = eventfd(0, 0), pong = eventfd(0, 0);
	uint64_t n;
	pid_t child = fork();

	if (child == 0) {
		struct pollfd p = { .fd = ping, .events = POLLIN };

		for (;;) {
			if (poll(&p, 1, -1) != 1 || read(ping, &n, sizeof(n)) != sizeof(n))
				_exit(0);
			n = 1;
			if (write(pong, &n, sizeof(n)) != sizeof(n))
				_exit(0);
		}
	}
	for (unsigned int b = 0; b < batches; b++) {
		uint64_t t0 = now_ns();

		for (unsigned int i = 0; i < BATCH; i++)
			kick_and_wait(ping, pong);
		per[b] = (now_ns() - t0) / BATCH;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

int main(int argc, char **argv)
{
	bool use_eventfd = argc > 1 && strcmp(argv[1], "--eventfd") == 0;
	unsigned int n = argc > 1 + use_eventfd ? (unsigned int)atoi(argv[1 + use_eventfd]) : 20000;
	unsigned int batches = n / BATCH ? n / BATCH : 1;
	uint64_t *per = calloc(batches, sizeof(*per));
	struct pvh_hcall_req req = { .magic = PVH_HCALL_MAGIC, .op = 17 };
	struct pvh_hcall_rsp rsp;
	int sv[2];

	if (!per || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 1;
	if (use_eventfd) {
		eventfd_rtt(batches, per);
		goto report;
	}
	if (fork() == 0) {
		close(sv[0]);
		serve(sv[1]);
	}
	close(sv[1]);
	for (unsigned int b = 0; b < batches; b++) {
		uint64_t t0 = now_ns();

		for (unsigned int i = 0; i < BATCH; i++) {
			if (write(sv[0], &req, sizeof(req)) != sizeof(req) ||
			    read(sv[0], &rsp, sizeof(rsp)) != sizeof(rsp))
				return 1;
		}
		per[b] = (now_ns() - t0) / BATCH;
	}
	close(sv[0]);
	wait(NULL);
report:
	qsort(per, batches, sizeof(*per), cmp);
	printf("ipc-rtt: %s n=%u median_ns=%llu p90_ns=%llu\n", use_eventfd ? "eventfd" : "seqpacket",
	       batches * BATCH, (unsigned long long)per[batches / 2],
	       (unsigned long long)per[batches * 9 / 10]);
	return 0;
}

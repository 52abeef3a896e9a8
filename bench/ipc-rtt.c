/*
 * ipc-rtt.c: the host's own round trip over the transport a hypercall
 * uses (a SOCK_SEQPACKET socketpair between two processes, one request
 * and one reply of the same sizes), so a hypercall's cost can be read as
 * a ratio to it. Prints "ipc-rtt: n=N median_ns=X p90_ns=Y".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 20000;
	unsigned int batches = n / BATCH ? n / BATCH : 1;
	uint64_t *per = calloc(batches, sizeof(*per));
	struct pvh_hcall_req req = { .magic = PVH_HCALL_MAGIC, .op = 17 };
	struct pvh_hcall_rsp rsp;
	int sv[2];

	if (!per || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 1;
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
	qsort(per, batches, sizeof(*per), cmp);
	printf("ipc-rtt: n=%u median_ns=%llu p90_ns=%llu\n", batches * BATCH,
	       (unsigned long long)per[batches / 2], (unsigned long long)per[batches * 9 / 10]);
	return 0;
}

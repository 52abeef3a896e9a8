/*
 * virq-wait.c: binds one of dom0's global VIRQs, prints "bound", and waits
 * up to 30 s for it to fire; prints "fired" and exits 0 if it did.
 *
 *   virq-wait RUNDIR console|dom_exc
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xen/xen.h>

#include "hvclient.h"

int main(int argc, char **argv)
{
	char err[256];
	int hv, evfd;
	uint32_t virq;
	struct pollfd p;

	if (argc != 3 || (strcmp(argv[2], "console") && strcmp(argv[2], "dom_exc"))) {
		fprintf(stderr, "usage: virq-wait RUNDIR console|dom_exc\n");
		return 2;
	}
	virq = strcmp(argv[2], "console") == 0 ? VIRQ_CONSOLE : VIRQ_DOM_EXC;
	hv = hvc_open(argv[1], err, sizeof(err));
	if (hv < 0 || hvc_virq_bind(hv, virq, &evfd, err, sizeof(err)) < 0) {
		fprintf(stderr, "virq-wait: %s\n", err);
		return 1;
	}
	printf("bound\n");
	fflush(stdout);
	p = (struct pollfd){ .fd = evfd, .events = POLLIN };
	if (poll(&p, 1, 30000) != 1)
		return 1;
	printf("fired\n");
	return 0;
}

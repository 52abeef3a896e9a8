/*
 * gnt-hold.c: a dom0 program that maps one grant of a guest and holds it
 * until its standard input closes, as a backend that has not yet let go
 * would. Prints "mapped" once the page is mapped. Usage:
 *
 *   gnt-hold RUNDIR DOMID REF
 */
#include <stdio.h>
#include <unistd.h>

#include "hvclient.h"
#include "sv.h"

int main(int argc, char **argv)
{
	uint32_t domid, ref, handle;
	char err[256], buf[64];
	void *page;
	int hv;

	if (argc != 4 || sv_parse_u32(argv[2], &domid) < 0 || sv_parse_u32(argv[3], &ref) < 0) {
		fprintf(stderr, "usage: gnt-hold RUNDIR DOMID REF\n");
		return 2;
	}
	hv = hvc_open(argv[1], err, sizeof(err));
	if (hv < 0 || hvc_gnt_map(hv, domid, ref, true, &handle, &page, err, sizeof(err)) < 0) {
		fprintf(stderr, "gnt-hold: %s\n", err);
		return 1;
	}
	printf("mapped\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	return hvc_gnt_unmap(hv, handle, page) == 0 ? 0 : 1;
}

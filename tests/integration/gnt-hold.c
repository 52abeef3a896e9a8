/*
 * gnt-hold.c: a dom0 program that maps a guest's grant and holds the
 * mapping until its standard input closes, as a backend that has not yet
 * let go would. Usage:
 *
 *   gnt-hold RUNDIR DOMID REF [all]
 *
 * maps REF once and prints "mapped 1"; with "all" it maps REF again and
 * again until pvhv refuses, as a backend mapping everything a guest asks
 * for would, and prints "mapped N" and "refused: <why>". Then it holds
 * every mapping until its standard input closes and unmaps them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvclient.h"
#include "sv.h"

#define MAPS_MAX	65536	/* above any share; mmaps stay under vm.max_map_count */

struct held {
	uint32_t handle;
	void *page;
};

int main(int argc, char **argv)
{
	bool all = argc == 5 && strcmp(argv[4], "all") == 0;
	uint32_t domid, ref, n = 0;
	char err[256] = "", buf[64];
	struct held *h;
	int hv, rc = 0;

	if ((argc != 4 && !all) || sv_parse_u32(argv[2], &domid) < 0 ||
	    sv_parse_u32(argv[3], &ref) < 0) {
		fprintf(stderr, "usage: gnt-hold RUNDIR DOMID REF [all]\n");
		return 2;
	}
	h = calloc(all ? MAPS_MAX : 1, sizeof(*h));
	hv = hvc_open(argv[1], err, sizeof(err));
	if (!h || hv < 0) {
		fprintf(stderr, "gnt-hold: %s\n", h ? err : "out of memory");
		return 1;
	}
	while (n < (all ? MAPS_MAX : 1) &&
	       hvc_gnt_map(hv, domid, ref, true, &h[n].handle, &h[n].page, err, sizeof(err)) == 0)
		n++;
	if (n == 0 || (!all && n != 1)) {
		fprintf(stderr, "gnt-hold: %s\n", err);
		return 1;
	}
	printf("mapped %u\n", n);
	if (all)
		printf("refused: %s\n", err[0] ? err : "never");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	while (n--)
		rc |= hvc_gnt_unmap(hv, h[n].handle, h[n].page);
	return rc == 0 ? 0 : 1;
}

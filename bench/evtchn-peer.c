/*
 * evtchn-peer.c: dom0's end of prim-bench's round trips. Binds the port
 * a guest offered, notifies once to start, then answers every event with
 * one, spinning up to --poll-us on the event fd before sleeping in poll(),
 * until --count events or 30 s of silence. Usage:
 *
 *   evtchn-peer --rundir DIR --domid N --port P [--count N] [--poll-us U] [--via-pvhv]
 *
 * By default it answers through the fast path (common/evtchn-2l.h);
 * --via-pvhv sends every notification through pvhv instead, to compare.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "hvclient.h"
#include "sv.h"

static bool wait_event(int evfd, uint64_t poll_us)
{
	uint64_t end = sv_now_ns() + poll_us * 1000, n;
	struct pollfd p = { .fd = evfd, .events = POLLIN };

	do {
		if (read(evfd, &n, sizeof(n)) == sizeof(n))
			return true;
	} while (sv_now_ns() < end);
	if (poll(&p, 1, 30000) <= 0)
		return false;
	hvc_evtchn_ack(evfd);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' }, { "domid", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' }, { "count", required_argument, NULL, 'c' },
		{ "poll-us", required_argument, NULL, 'u' }, { "via-pvhv", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t domid = 0, port = 0, count = 2000, poll_us = 0;
	struct hvc_evtchn e;
	bool via_pvhv = false;
	const char *rundir = NULL;
	char err[256];
	int c, hv;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'r': rundir = optarg; break;
		case 'd': bad = sv_parse_u32(optarg, &domid); break;
		case 'p': bad = sv_parse_u32(optarg, &port); break;
		case 'c': bad = sv_parse_u32(optarg, &count); break;
		case 'u': bad = sv_parse_u32(optarg, &poll_us); break;
		case 'v': via_pvhv = true; break;
		default: bad = 1;
		}
		if (bad) {
			fprintf(stderr, "usage: evtchn-peer --rundir DIR --domid N --port P [--count N] [--poll-us U]\n");
			return 2;
		}
	}
	hv = hvc_open(sv_rundir(rundir), err, sizeof(err));
	if (hv < 0 || hvc_evtchn_open(hv, domid, port, &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "evtchn-peer: %s\n", err);
		return 1;
	}
	if (via_pvhv)
		e.shinfo = NULL;	/* hvc_evtchn_kick then asks pvhv */
	hvc_evtchn_ack(e.evfd);		/* the bind's own pending event */
	hvc_evtchn_kick(hv, &e);
	for (uint32_t i = 0; i < count; i++) {
		if (!wait_event(e.evfd, poll_us))
			break;
		hvc_evtchn_kick(hv, &e);
	}
	close(hv);
	return 0;
}

/*
 * pvctl-top.c: `pvctl top` and `pvctl mem-set`.
 *
 * top samples pvhv's domain list every --delay seconds (default 1) and
 * shows each domain's CPU use over the last interval, computed from the
 * cpu_ns counter pvhv keeps per domain, with its memory and devices. It
 * redraws the terminal, or with --batch prints one block per interval for
 * scripts (--iterations N stops after N). pvblkback publishes no I/O
 * counters, so the device columns count vbds and vifs and how many of them
 * are connected.
 *
 * mem-set writes the balloon target, memory/target in KiB, as xl does; it
 * never goes above the domain's maximum memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "domcfg.h"
#include "pvctl.h"
#include "sv.h"

#define MAX_DOMS	512
#define MIN_TARGET_KIB	(4ULL * 1024)

/* ---- mem-set ----------------------------------------------------------- */

int pvctl_cmd_mem_set(int argc, char **argv)
{
	struct pvh_ctl_dominfo d;
	struct xs_handle *h;
	char path[96], val[32], want[32], max[32];
	uint64_t kib;
	int rc;

	if (pvctl_wants_help(argc, argv, "mem-set"))
		return 0;
	if (argc != 3 || argv[1][0] == '-')
		return pvctl_usage("mem-set");
	rc = domcfg_size_to_kib(argv[2], &kib);
	if (rc < 0) {
		pvctl_err("'%s' is not a size; expected a number with an optional unit as in domain XML "
			  "(KiB when none): 65536, 256M, 512MiB, 1G, 2GB", argv[2]);
		return 1;
	}
	if (pvctl_live_domain(argv[1], &d) < 0)
		return 1;
	if (kib > d.max_mem_kib) {
		pvctl_err("%s is more than domain %s's maximum memory of %s; a domain's maximum is set "
			  "by <memory> when it is created", sv_fmt_kib(kib, want, sizeof(want)), d.name,
			  sv_fmt_kib(d.max_mem_kib, max, sizeof(max)));
		return 1;
	}
	if (kib < MIN_TARGET_KIB) {
		pvctl_err("%s is less than the minimum of 4 MiB a domain keeps",
			  sv_fmt_kib(kib, want, sizeof(want)));
		return 1;
	}
	h = pvctl_xs_open_or_say();
	if (!h)
		return 1;
	snprintf(path, sizeof(path), "/local/domain/%u/memory/target", d.domid);
	snprintf(val, sizeof(val), "%" PRIu64, kib);
	rc = xs_write(h, XBT_NULL, path, val, strlen(val)) ? 0 : -errno;
	xs_close(h);
	if (rc < 0) {
		pvctl_err("cannot write %s: %s", path, strerror(-rc));
		return 1;
	}
	printf("Memory target of domain %s set to %s (of %s).\n", d.name,
	       sv_fmt_kib(kib, want, sizeof(want)), sv_fmt_kib(d.max_mem_kib, max, sizeof(max)));
	return 0;
}

/* ---- top --------------------------------------------------------------- */

struct sample {
	struct pvh_ctl_dominfo doms[MAX_DOMS];
	size_t n;
	uint64_t at_ns;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int take(struct sample *s)
{
	size_t len = 0;

	if (pvctl_call(PVH_CTL_LIST, NULL, 0, -1, s->doms, sizeof(s->doms), &len) < 0)
		return -1;
	s->n = len / sizeof(s->doms[0]);
	s->at_ns = sv_now_ns();
	return 0;
}

/* Devices of KIND on DOMID: how many, and how many have both ends Connected. */
static void count_devs(struct xs_handle *h, uint32_t domid, const char *kind, unsigned int *n,
		       unsigned int *up)
{
	uint32_t ids[64];
	size_t cnt = h ? pvctl_dev_ids(h, domid, kind, ids, SV_ARRAY_SIZE(ids)) : 0;
	char fdir[96], bdir[96];

	*n = (unsigned int)cnt;
	*up = 0;
	for (size_t i = 0; i < cnt; i++) {
		pvctl_xs_dev_paths(domid, kind, ids[i], fdir, bdir);
		if (pvctl_xs_get_state(h, fdir) == XenbusStateConnected &&
		    pvctl_xs_get_state(h, bdir) == XenbusStateConnected)
			(*up)++;
	}
}

static const struct pvh_ctl_dominfo *find_prev(const struct sample *prev, uint32_t domid)
{
	for (size_t i = 0; i < prev->n; i++)
		if (prev->doms[i].domid == domid)
			return &prev->doms[i];
	return NULL;
}

static void show(const struct sample *prev, const struct sample *now, bool batch)
{
	uint64_t dt = now->at_ns - prev->at_ns;
	struct xs_handle *h;
	char err[200];
	double total = 0;

	h = pvctl_xs_open(err, sizeof(err));
	if (!batch)
		printf("\033[H\033[2J");
	for (size_t i = 0; i < now->n; i++) {
		const struct pvh_ctl_dominfo *p = find_prev(prev, now->doms[i].domid);

		if (p && dt && now->doms[i].cpu_ns >= p->cpu_ns)
			total += 100.0 * (double)(now->doms[i].cpu_ns - p->cpu_ns) / (double)dt;
	}
	printf("pvctl top: %zu domains, %.1f%% CPU in total%s\n", now->n, total,
	       h ? "" : " (pvxenstored is not running: no device counts)");
	printf("%-5s %-20s %-9s %6s %9s %9s %5s %9s %7s %7s\n", "ID", "Name", "State", "CPU%",
	       "CPU(s)", "Mem(MiB)", "VCPUs", "Uptime(s)", "VBDs", "VIFs");
	for (size_t i = 0; i < now->n; i++) {
		const struct pvh_ctl_dominfo *d = &now->doms[i], *p = find_prev(prev, d->domid);
		unsigned int nb, ub, nn, un;
		char vbd[16], vif[16], pct[16];

		count_devs(h, d->domid, "vbd", &nb, &ub);
		count_devs(h, d->domid, "vif", &nn, &un);
		snprintf(vbd, sizeof(vbd), "%u/%u", ub, nb);
		snprintf(vif, sizeof(vif), "%u/%u", un, nn);
		if (p && dt && d->cpu_ns >= p->cpu_ns && p->uptime_ns <= d->uptime_ns)
			snprintf(pct, sizeof(pct), "%.1f", 100.0 * (double)(d->cpu_ns - p->cpu_ns) / (double)dt);
		else
			snprintf(pct, sizeof(pct), "-");	/* new since the last sample */
		printf("%-5u %-20s %-9s %6s %9.2f %9" PRIu64 " %5u %9.1f %7s %7s\n", d->domid, d->name,
		       pvctl_state_name(d->state), pct, (double)d->cpu_ns / 1e9, d->mem_kib >> 10,
		       d->vcpus, (double)d->uptime_ns / 1e9, vbd, vif);
	}
	if (batch)
		printf("\n");
	fflush(stdout);
	if (h)
		xs_close(h);
}

int pvctl_cmd_top(int argc, char **argv)
{
	static struct sample a, b;
	struct sample *prev = &a, *now = &b, *t;
	uint32_t iterations = 0, delay_s = 1;
	bool batch = false;
	struct timespec ts;

	if (pvctl_wants_help(argc, argv, "top"))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--batch") == 0 || strcmp(argv[i], "-b") == 0)
			batch = true;
		else if ((strcmp(argv[i], "--iterations") == 0 || strcmp(argv[i], "-n") == 0) &&
			 i + 1 < argc && sv_parse_u32(argv[i + 1], &iterations) == 0 && iterations)
			i++;
		else if ((strcmp(argv[i], "--delay") == 0 || strcmp(argv[i], "-d") == 0) &&
			 i + 1 < argc && sv_parse_u32(argv[i + 1], &delay_s) == 0 && delay_s)
			i++;
		else
			return pvctl_usage("top");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (take(prev) < 0)
		return 1;
	for (uint32_t it = 0; !stop && (!iterations || it < iterations); it++) {
		ts = (struct timespec){ delay_s, 0 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
			;
		if (stop)
			break;
		if (take(now) < 0)
			return 1;
		show(prev, now, batch);
		t = prev;
		prev = now;
		now = t;
	}
	return 0;
}

/*
 * pvctl-list.c: `pvctl list`, `dominfo` and `info`: what pvhv knows, as a
 * table for people or JSON for programs. JSON field names are stable.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/sched.h>

#include "pvctl.h"
#include "sv.h"

#define MAX_LIST	512

const char *pvctl_state_name(uint32_t state)
{
	static const char *const names[PVH_STATE_COUNT] = {
		"running", "paused", "shutdown", "crashed", "dying",
	};

	return state < PVH_STATE_COUNT ? names[state] : "unknown";
}

const char *pvctl_reason_name(int reason)
{
	static const char *const names[] = {
		[SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
		[SHUTDOWN_suspend] = "suspend", [SHUTDOWN_crash] = "crash",
		[SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
	};

	if (reason < 0 || (size_t)reason >= SV_ARRAY_SIZE(names))
		return NULL;
	return names[reason];
}

void pvctl_uuid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

void pvctl_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* "shutdown (poweroff)", "crashed (forbidden ...)", "running". */
static void state_text(const struct pvh_ctl_dominfo *d, char *out, size_t size)
{
	const char *reason = pvctl_reason_name(d->reason);

	if (d->state == PVH_STATE_SHUTDOWN && reason)
		snprintf(out, size, "shutdown (%s)", reason);
	else if (d->state == PVH_STATE_CRASHED && d->cause[0])
		snprintf(out, size, "crashed (%s)", d->cause);
	else
		snprintf(out, size, "%s", pvctl_state_name(d->state));
}

static void print_json(const struct pvh_ctl_dominfo *d)
{
	const char *reason = pvctl_reason_name(d->reason);
	char uuid[37];

	pvctl_uuid_str(d->uuid, uuid);
	printf("{\"domid\": %u, \"name\": ", d->domid);
	pvctl_json_str(d->name);
	printf(", \"uuid\": \"%s\", \"state\": \"%s\", \"reason\": ", uuid, pvctl_state_name(d->state));
	if (reason)
		printf("\"%s\"", reason);
	else
		printf("null");
	printf(", \"cause\": ");
	pvctl_json_str(d->cause);
	printf(", \"memory_kib\": %" PRIu64 ", \"max_memory_kib\": %" PRIu64
	       ", \"vcpus\": %u, \"uptime_s\": %.3f, \"cpu_s\": %.3f, \"restarts\": %u, \"pid\": %d}",
	       d->mem_kib, d->max_mem_kib, d->vcpus, (double)d->uptime_ns / 1e9,
	       (double)d->cpu_ns / 1e9, d->restarts, d->pid);
}

static bool json_flag(int argc, char **argv, int *pos_out)
{
	bool json = false;

	*pos_out = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (!*pos_out)
			*pos_out = i;
	}
	return json;
}

int pvctl_cmd_list(int argc, char **argv)
{
	static struct pvh_ctl_dominfo doms[MAX_LIST];
	size_t len = 0, n;
	int pos;
	bool json = json_flag(argc, argv, &pos);

	if (pvctl_wants_help(argc, argv, "list"))
		return 0;
	if (pos)
		return pvctl_usage("list");
	if (pvctl_call(PVH_CTL_LIST, NULL, 0, -1, doms, sizeof(doms), &len) < 0)
		return 1;
	n = len / sizeof(doms[0]);
	if (json) {
		printf("[");
		for (size_t i = 0; i < n; i++) {
			printf(i ? ",\n " : "");
			print_json(&doms[i]);
		}
		printf("]\n");
		return 0;
	}
	printf("%-5s %-20s %9s %5s %10s %9s  %s\n", "ID", "Name", "Mem(MiB)", "VCPUs",
	       "Uptime(s)", "CPU(s)", "State");
	for (size_t i = 0; i < n; i++) {
		char state[200];

		state_text(&doms[i], state, sizeof(state));
		printf("%-5u %-20s %9" PRIu64 " %5u %10.1f %9.2f  %s\n", doms[i].domid, doms[i].name,
		       doms[i].mem_kib >> 10, doms[i].vcpus, (double)doms[i].uptime_ns / 1e9,
		       (double)doms[i].cpu_ns / 1e9, state);
	}
	return 0;
}

int pvctl_cmd_dominfo(int argc, char **argv)
{
	struct pvh_ctl_dominfo d;
	char uuid[37], state[200], mem[32];
	int pos;
	bool json = json_flag(argc, argv, &pos);

	if (pvctl_wants_help(argc, argv, "dominfo"))
		return 0;
	if (!pos)
		return pvctl_usage("dominfo");
	if (pvctl_dominfo(argv[pos], &d, false) < 0)
		return 1;
	if (json) {
		print_json(&d);
		printf("\n");
		return 0;
	}
	pvctl_uuid_str(d.uuid, uuid);
	state_text(&d, state, sizeof(state));
	printf("domid      %u\nname       %s\nuuid       %s\nstate      %s\nmemory     %s\n"
	       "vcpus      %u\nuptime     %.1f s\ncpu time   %.2f s\nrestarts   %u\n",
	       d.domid, d.name, uuid, state, sv_fmt_kib(d.mem_kib, mem, sizeof(mem)), d.vcpus,
	       (double)d.uptime_ns / 1e9, (double)d.cpu_ns / 1e9, d.restarts);
	if (d.pid)
		printf("runner pid %d\n", d.pid);
	return 0;
}

int pvctl_cmd_info(int argc, char **argv)
{
	struct pvh_ctl_host h;
	char budget[32], used[32], freeb[32];
	size_t len = 0;
	int pos;
	bool json = json_flag(argc, argv, &pos);

	if (pvctl_wants_help(argc, argv, "info"))
		return 0;
	if (pos)
		return pvctl_usage("info");
	if (pvctl_call(PVH_CTL_HOST_INFO, NULL, 0, -1, &h, sizeof(h), &len) < 0)
		return 1;
	if (json) {
		printf("{\"version\": \"%s\", \"rundir\": ", h.version);
		pvctl_json_str(pvctl_rundir());
		printf(", \"budget_kib\": %" PRIu64 ", \"used_kib\": %" PRIu64
		       ", \"domains\": %u, \"uptime_s\": %.1f, \"tsc_khz\": %" PRIu64 "}\n",
		       h.budget_kib, h.used_kib, h.domains, (double)h.uptime_ns / 1e9, h.tsc_khz);
		return 0;
	}
	printf("version        %s\nrun directory  %s\nmemory budget  %s\nmemory used    %s\n"
	       "memory free    %s\ndomains        %u\npvhv uptime    %.1f s\nTSC            %" PRIu64 " kHz\n",
	       h.version, pvctl_rundir(), sv_fmt_kib(h.budget_kib, budget, sizeof(budget)),
	       sv_fmt_kib(h.used_kib, used, sizeof(used)),
	       sv_fmt_kib(h.budget_kib > h.used_kib ? h.budget_kib - h.used_kib : 0, freeb, sizeof(freeb)),
	       h.domains, (double)h.uptime_ns / 1e9, h.tsc_khz);
	return 0;
}

/*
 * pvctl.c: the toolstack's one command, in the manner of xl. Global
 * options come first (--rundir DIR), then a command from the table below.
 * Commands return their exit status: 0 success, 1 failure, 2 usage, and
 * for `host status` 3 when a daemon is down.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"
#include "sv.h"

struct pvctl_opts pvctl_opts;

static const struct pvctl_cmd commands[] = {
	{ "host", pvctl_cmd_host, "host start|stop|status|run NAME|wait NAME [--mem-budget SIZE]",
	  "start, stop or check the host daemons" },
	{ "create", pvctl_cmd_create, "create [--paused] [--dry-run] [-c|--console] FILE.xml",
	  "create a domain from libvirt-style domain XML" },
	{ "validate", pvctl_cmd_validate, "validate FILE.xml",
	  "check domain XML without creating anything" },
	{ "list", pvctl_cmd_list, "list [--json]", "list domains" },
	{ "dominfo", pvctl_cmd_dominfo, "dominfo [--json] DOM", "show one domain" },
	{ "info", pvctl_cmd_info, "info [--json]", "show the host: version, memory budget, domains" },
	{ "shutdown", pvctl_cmd_shutdown, "shutdown [--wait] [--timeout S] [--force] DOM",
	  "ask a domain to power off (control/shutdown)" },
	{ "reboot", pvctl_cmd_reboot, "reboot [--wait] [--timeout S] [--force] DOM",
	  "ask a domain to reboot (control/shutdown)" },
	{ "destroy", pvctl_cmd_destroy, "destroy [--timeout S] DOM",
	  "stop a domain now and free everything it had" },
	{ "pause", pvctl_cmd_pause, "pause DOM", "stop a domain's vCPU" },
	{ "unpause", pvctl_cmd_unpause, "unpause DOM", "resume a paused domain" },
	{ "console", pvctl_cmd_console, "console [--dump] DOM",
	  "show a domain's console (--dump: print what it wrote so far and exit)" },
	{ "block-attach", pvctl_cmd_block_attach, "block-attach DOM SOURCE TARGET [ro|rw] [shareable]",
	  "attach a disk image or block device to a running domain (TARGET: xvdb, xvdc...)" },
	{ "block-detach", pvctl_cmd_block_detach, "block-detach [--timeout S] [--force] DOM TARGET",
	  "detach a disk: the guest releases it, then it is removed (--force: after the timeout anyway)" },
	{ "block-list", pvctl_cmd_block_list, "block-list [--json] DOM",
	  "list a domain's disks with their frontend and backend states" },
	{ "network-attach", pvctl_cmd_network_attach,
	  "network-attach DOM [bridge=BR] [mac=MAC] [script=PATH] [model=netfront]",
	  "add a network interface (vif) to a running domain" },
	{ "network-detach", pvctl_cmd_network_detach,
	  "network-detach [--timeout S] [--force] DOM DEVID|MAC", "remove a network interface" },
	{ "network-list", pvctl_cmd_network_list, "network-list [--json] DOM",
	  "list a domain's network interfaces with their states" },
	{ "mem-set", pvctl_cmd_mem_set, "mem-set DOM SIZE",
	  "set a domain's memory target (SIZE as in domain XML: 65536 KiB, 256M, 1GiB...)" },
	{ "top", pvctl_cmd_top, "top [--batch] [--iterations N] [--delay S]",
	  "a live view of each domain's CPU, memory and devices" },
};

void pvctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("pvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int pvctl_usage(const char *cmd)
{
	for (size_t i = 0; i < SV_ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, cmd) == 0)
			fprintf(stderr, "usage: pvctl [--rundir DIR] %s\n", commands[i].usage);
	}
	return 2;
}

bool pvctl_wants_help(int argc, char **argv, const char *cmd)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			for (size_t j = 0; j < SV_ARRAY_SIZE(commands); j++) {
				if (strcmp(commands[j].name, cmd) == 0)
					printf("usage: pvctl [--rundir DIR] %s\n  %s\n",
					       commands[j].usage, commands[j].summary);
			}
			return true;
		}
	}
	return false;
}

static void help(FILE *f)
{
	fprintf(f, "usage: pvctl [--rundir DIR] COMMAND [ARGS]\n\n"
		   "The run directory is --rundir, else $SPLITVISOR_RUNDIR, else rundir in the\n"
		   "config file ($SPLITVISOR_CONF, else " SV_SYSCONFDIR "/splitvisor/splitvisor.conf),\n"
		   "else %s.\n"
		   "DOM is a domain name or id. Commands:\n\n", SV_DEFAULT_RUNDIR);
	for (size_t i = 0; i < SV_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'pvctl COMMAND --help' shows a command's options; man pvctl has the rest.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--rundir") == 0 && i + 1 < argc) {
			pvctl_opts.rundir = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--rundir=", 9) == 0) {
			pvctl_opts.rundir = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("pvctl (Splitvisor) %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			pvctl_err("unknown option '%s' (pvctl --help lists them)", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		help(stderr);
		return 2;
	}
	for (size_t c = 0; c < SV_ARRAY_SIZE(commands); c++) {
		if (strcmp(commands[c].name, argv[i]) == 0) {
			if (pvctl_conf_load() < 0)
				return 1;
			return commands[c].run(argc - i, argv + i);
		}
	}
	pvctl_err("unknown command '%s' (pvctl --help lists them)", argv[i]);
	return 2;
}

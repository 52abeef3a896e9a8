/*
 * pvctl-create.c: `pvctl create`, `create --dry-run` and `validate`.
 *
 * All three run prepare(): load and validate the domain XML (domcfg.c),
 * resolve the kernel, check everything pvctl can check before pvhv sees
 * the request. validate stops there; --dry-run also asks pvhv whether the
 * memory fits; create sends the request with the kernel's descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domcfg.h"
#include "pvctl-dm.h"
#include "pvctl.h"
#include "sv.h"

struct prepared {
	struct domcfg cfg;
	struct pvh_ctl_create req;
	char kernel[PATH_MAX];
};

static int resolve_kernel(struct prepared *p)
{
	const struct domcfg *cfg = &p->cfg;

	if (access(cfg->kernel, R_OK) == 0) {
		sv_strlcpy(p->kernel, cfg->kernel, sizeof(p->kernel));
		return 0;
	}
	if (!strchr(cfg->kernel_arg, '/') &&
	    pvctl_find_kernel(cfg->kernel_arg, p->kernel, sizeof(p->kernel)) == 0)
		return 0;
	if (strchr(cfg->kernel_arg, '/'))
		pvctl_err("%s: <kernel>: cannot read %s: %s", cfg->path, cfg->kernel, strerror(errno));
	else
		pvctl_err("%s: <kernel>: no kernel '%s' next to the file (%s) or among the installed kernels (%s)",
			  cfg->path, cfg->kernel_arg, cfg->kernel, p->kernel);
	return -ENOENT;
}

static int check_disk(const struct domcfg *cfg, const struct domcfg_disk *d)
{
	int user;

	if (!d->source) {
		pvctl_err("%s:%d: <disk> %s: an empty drive needs a <source>", cfg->path, d->line, d->target);
		return -EINVAL;
	}
	if (access(d->source, d->readonly ? R_OK : R_OK | W_OK) < 0) {
		pvctl_err("%s:%d: <disk> %s: cannot %s %s: %s", cfg->path, d->line, d->target,
			  d->readonly ? "read" : "read and write", d->source, strerror(errno));
		return -errno;
	}
	user = d->shareable ? -1 : pvctl_xs_disk_user(d->source, !d->readonly);
	if (user >= 0) {
		pvctl_err("%s:%d: <disk> %s: %s is already attached%s to domain %d; mark both <shareable/> or detach it first",
			  cfg->path, d->line, d->target, d->source, d->readonly ? " read-write" : "", user);
		return -EBUSY;
	}
	return 0;
}

static int check_devices(const struct domcfg *cfg)
{
	for (size_t i = 0; i < cfg->ndisks; i++) {
		int rc = check_disk(cfg, &cfg->disks[i]);

		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < cfg->nnics; i++) {
		int rc = pvctl_check_nic(cfg, &cfg->nics[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int fill_request(struct prepared *p, bool paused)
{
	const struct domcfg *cfg = &p->cfg;
	struct pvh_ctl_create *r = &p->req;

	memset(r, 0, sizeof(*r));
	if (sv_strlcpy(r->name, cfg->name, sizeof(r->name)) >= sizeof(r->name) ||
	    sv_strlcpy(r->cmdline, cfg->cmdline, sizeof(r->cmdline)) >= sizeof(r->cmdline)) {
		pvctl_err("%s: <name> or <cmdline> is too long (%d and %d bytes at most)", cfg->path,
			  PVH_NAME_MAX - 1, PVH_CMDLINE_MAX - 1);
		return -EINVAL;
	}
	memcpy(r->uuid, cfg->uuid, 16);
	r->mem_kib = (cfg->mem_kib + 3) & ~3ull;	/* whole pages */
	r->vcpus = cfg->vcpus;
	r->on_poweroff = (uint8_t)cfg->on_poweroff;
	r->on_reboot = (uint8_t)cfg->on_reboot;
	r->on_crash = (uint8_t)cfg->on_crash;
	r->start_paused = paused;
	if (pvctl_dm_disk(cfg))
		r->flags |= PVH_CREATE_IOREQ;	/* pvdm serves its IDE disk */
	return 0;
}

static int prepare(const char *file, bool paused, struct prepared *p)
{
	char schema[PATH_MAX], *err = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	if (pvctl_find_schema(schema, sizeof(schema)) < 0) {
		pvctl_err("cannot find the domain XML schema (looked for %s); reinstall Splitvisor", schema);
		return -ENOENT;
	}
	rc = domcfg_load(file, schema, &p->cfg, &err);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err ? err : strerror(-rc));
		free(err);
		return rc;
	}
	rc = resolve_kernel(p);
	if (rc == 0)
		rc = check_devices(&p->cfg);
	if (rc == 0)
		rc = fill_request(p, paused);
	return rc;
}

static void describe_devices(const struct domcfg *cfg)
{
	char mac[18];

	for (size_t i = 0; i < cfg->ndisks; i++)
		printf("  disk     %s %s (%s%s)\n", cfg->disks[i].target,
		       cfg->disks[i].source ? cfg->disks[i].source : "(empty)",
		       cfg->disks[i].readonly ? "read-only" : "read-write",
		       cfg->disks[i].bus == DOMCFG_BUS_IDE ? ", emulated IDE served by pvdm" : "");
	for (size_t i = 0; i < cfg->nnics; i++) {
		domcfg_mac_format(cfg->nics[i].mac, mac);
		printf("  vif %-4zu %s%s %s %s\n", i, mac, cfg->nics[i].mac_generated ? " (generated)" : "",
		       cfg->nics[i].type == DOMCFG_NIC_BRIDGE ? "bridge" : "ethernet",
		       cfg->nics[i].bridge ? cfg->nics[i].bridge : "");
	}
}

static void describe(const struct prepared *p)
{
	char mem[32], uuid[37];

	pvctl_uuid_str(p->cfg.uuid, uuid);
	printf("  name     %s\n  uuid     %s%s\n  memory   %s\n  vcpus    %u\n  kernel   %s\n  cmdline  %s\n",
	       p->cfg.name, uuid, p->cfg.uuid_generated ? " (generated)" : "",
	       sv_fmt_kib(p->req.mem_kib, mem, sizeof(mem)), p->cfg.vcpus, p->kernel,
	       p->cfg.cmdline);
	printf("  actions  on_poweroff=%s on_reboot=%s on_crash=%s\n",
	       domcfg_action_name(p->cfg.on_poweroff), domcfg_action_name(p->cfg.on_reboot),
	       domcfg_action_name(p->cfg.on_crash));
	describe_devices(&p->cfg);
}

int pvctl_cmd_validate(int argc, char **argv)
{
	struct prepared p;
	int rc;

	if (pvctl_wants_help(argc, argv, "validate"))
		return 0;
	if (argc != 2)
		return pvctl_usage("validate");
	rc = prepare(argv[1], false, &p);
	if (rc == 0) {
		printf("%s: valid\n", argv[1]);
		describe(&p);
	}
	domcfg_free(&p.cfg);
	return rc < 0 ? 1 : 0;
}

static int dry_run(const struct prepared *p, const char *file)
{
	struct pvh_ctl_host h;
	char err[600] = "", need[32], freeb[32];
	size_t len = 0;

	printf("%s: valid; would create:\n", file);
	describe(p);
	if (pvctl_call_quiet(PVH_CTL_HOST_INFO, NULL, 0, -1, &h, sizeof(h), &len, err, sizeof(err)) < 0) {
		printf("(pvhv is not running, so the memory budget was not checked)\n");
		return 0;
	}
	if (h.used_kib > h.budget_kib || p->req.mem_kib > h.budget_kib - h.used_kib) {
		pvctl_err("not enough memory: the domain needs %s but only %s of the host budget is free",
			  sv_fmt_kib(p->req.mem_kib, need, sizeof(need)),
			  sv_fmt_kib(h.budget_kib > h.used_kib ? h.budget_kib - h.used_kib : 0,
				     freeb, sizeof(freeb)));
		return -ENOMEM;
	}
	printf("the host has room for it\n");
	return 0;
}

/* Takes back a create that failed half-way: nothing of the domain stays. */
static void undo_create(uint32_t domid)
{
	struct pvh_ctl_dominfo d;
	char id[16];

	snprintf(id, sizeof(id), "%u", domid);
	if (pvctl_dominfo(id, &d, true) == 0) {
		pvctl_destroy_wait(&d, PVCTL_GONE_TIMEOUT_S);
		return;
	}
	pvctl_xs_release(domid);
	pvctl_dm_stop(domid);
}

/*
 * XenStore's part of create; on failure the domain goes again. Only PV
 * disks get vbd directories: the IDE disk is pvdm's, not pvblkback's.
 */
static int introduce(const struct prepared *p, const struct pvh_ctl_created *out)
{
	struct domcfg_disk *pv = calloc(p->cfg.ndisks + 1, sizeof(*pv));
	struct pvctl_xs_domain x = {
		.domid = out->domid, .name = p->req.name, .uuid = p->req.uuid,
		.mem_kib = p->req.mem_kib, .store_port = out->store_port,
		.console_port = out->console_port, .disks = pv,
		.nics = p->cfg.nics, .nnics = p->cfg.nnics,
	};
	char err[400] = "out of memory";
	int rc = -ENOMEM;

	for (size_t i = 0; pv && i < p->cfg.ndisks; i++)
		if (p->cfg.disks[i].bus == DOMCFG_BUS_XEN)
			pv[x.ndisks++] = p->cfg.disks[i];	/* shallow: cfg owns the strings */
	if (pv)
		rc = pvctl_xs_introduce(&x, err, sizeof(err));
	free(pv);
	if (rc == 0)
		return 0;
	pvctl_err("%s; the domain was not created", err);
	undo_create(out->domid);
	return rc;
}

/* The device model, for a domain with an IDE disk, before it runs. */
static int start_dm(const struct prepared *p, const struct pvh_ctl_created *out)
{
	int rc = pvctl_dm_start(&p->cfg, out->domid);

	if (rc < 0) {
		pvctl_err("domain %u (%s) was not created", out->domid, p->req.name);
		undo_create(out->domid);
	}
	return rc;
}

static int unpause(const struct pvh_ctl_created *out)
{
	struct pvh_ctl_dom sel;

	snprintf(sel.dom, sizeof(sel.dom), "%u", out->domid);
	return pvctl_call(PVH_CTL_UNPAUSE, &sel, sizeof(sel), -1, NULL, 0, NULL);
}

static int create(struct prepared *p)
{
	struct pvh_ctl_create req;
	struct pvh_ctl_created out;
	size_t len = 0;
	int fd, rc;

	fd = open(p->kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pvctl_err("cannot open the kernel %s: %s", p->kernel, strerror(errno));
		return -errno;
	}
	/* As xl does: build paused, set XenStore up, then let it run. */
	req = p->req;
	req.start_paused = 1;
	rc = pvctl_call(PVH_CTL_CREATE, &req, sizeof(req), fd, &out, sizeof(out), &len);
	close(fd);
	if (rc < 0)
		return rc;
	rc = introduce(p, &out);
	if (rc == 0)
		rc = start_dm(p, &out);
	if (rc == 0 && !p->req.start_paused)
		rc = unpause(&out);
	if (rc == 0)
		printf("Domain %u (%s) created%s.\n", out.domid, p->req.name,
		       p->req.start_paused ? ", paused" : "");
	fflush(stdout);		/* before any console output that follows */
	return rc;
}

int pvctl_cmd_create(int argc, char **argv)
{
	bool paused = false, dry = false, console = false;
	const char *file = NULL;
	struct prepared p;
	int rc;

	if (pvctl_wants_help(argc, argv, "create"))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--paused") == 0 || strcmp(argv[i], "-p") == 0)
			paused = true;
		else if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0)
			dry = true;
		else if (strcmp(argv[i], "--console") == 0 || strcmp(argv[i], "-c") == 0)
			console = true;
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return pvctl_usage("create");
	}
	if (!file)
		return pvctl_usage("create");
	rc = prepare(file, paused, &p);
	if (rc == 0)
		rc = dry ? dry_run(&p, file) : create(&p);
	if (rc == 0 && console && !dry) {
		char *args[] = { (char[]){ "console" }, p.req.name, NULL };

		domcfg_free(&p.cfg);
		return pvctl_cmd_console(2, args);
	}
	domcfg_free(&p.cfg);
	return rc < 0 ? 1 : 0;
}

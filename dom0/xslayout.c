/*
 * xslayout.c: a domain's XenStore tree, as the toolstack writes it.
 *
 * On create, everything under /local/domain/N and /vm/<uuid> is written in
 * one transaction (retried on EAGAIN), with libxl's ownership: "ro" nodes
 * are owned by dom0 and readable by the guest, "rw" nodes are owned by the
 * guest (reference: xenstore-paths). Then the domain is introduced to
 * pvxenstored with its ring's frame and port, and its ring comes alive.
 * On destroy the domain is released and its nodes removed; pvxenstored
 * does the same by itself when pvhv reports a domain gone, so a domain
 * that powers itself off leaves nothing behind either.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <xenstore.h>

#include "public/pvh_layout.h"
#include "domcfg.h"
#include "pvctl.h"
#include "sv.h"

#define TX_TRIES	16

enum access { RO, RW };

struct node {
	const char *path;	/* relative to /local/domain/N; "" is itself */
	enum access access;
	const char *value;	/* NULL: an empty directory */
};

struct xs_handle *pvctl_xs_open(char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct xs_handle *h;

	snprintf(path, sizeof(path), "%s/xenstored/socket", pvctl_rundir());
	setenv("XENSTORED_PATH", path, 1);
	h = xs_open(0);
	if (!h)
		snprintf(err, errlen, "pvxenstored is not running in %s (start the host with: pvctl host start)",
			 pvctl_rundir());
	return h;
}

static bool set_perms(struct xs_handle *h, xs_transaction_t t, const char *path,
		      enum access access, uint32_t domid)
{
	struct xs_permissions ro[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
	struct xs_permissions rw[1] = { { domid, XS_PERM_NONE } };

	return access == RO ? xs_set_permissions(h, t, path, ro, 2)
			    : xs_set_permissions(h, t, path, rw, 1);
}

static bool put(struct xs_handle *h, xs_transaction_t t, const char *path, const char *value,
		enum access access, uint32_t domid)
{
	bool ok = value ? xs_write(h, t, path, value, strlen(value)) : xs_mkdir(h, t, path);

	return ok && set_perms(h, t, path, access, domid);
}

static bool write_tree(struct xs_handle *h, xs_transaction_t t, const struct pvctl_xs_domain *x)
{
	char dom[64], vm[64], uuid[37], v_domid[16], v_mem[32], v_sport[16], v_cport[16],
	     v_sref[16], v_cref[16], path[160];
	const struct node nodes[] = {
		{ "", RO, NULL }, { "name", RO, x->name }, { "domid", RO, v_domid },
		{ "vm", RO, vm }, { "cpu/0/availability", RO, "online" },
		{ "memory/static-max", RO, v_mem }, { "memory/target", RO, v_mem },
		{ "store/port", RO, v_sport }, { "store/ring-ref", RO, v_sref },
		{ "console/port", RO, v_cport }, { "console/ring-ref", RO, v_cref },
		{ "console/limit", RO, "1048576" }, { "console/type", RO, "xenconsoled" },
		{ "console/backend-id", RO, "0" }, { "console/protocol", RO, "vt100" },
		{ "device", RO, NULL }, { "control", RO, NULL },
		{ "control/shutdown", RW, "" },
		/* The guest says "1" here when its kernel answers control/shutdown. */
		{ "control/feature-poweroff", RW, "" },
		{ "control/feature-reboot", RW, "" },
		{ "control/platform-feature-multiprocessor-suspend", RO, "1" },
		{ "control/platform-feature-xs_reset_watches", RO, "1" },
		{ "data", RW, NULL }, { "drivers", RW, NULL }, { "feature", RW, NULL },
		{ "attr", RW, NULL }, { "error", RW, NULL },
	};

	pvctl_uuid_str(x->uuid, uuid);
	snprintf(dom, sizeof(dom), "/local/domain/%u", x->domid);
	snprintf(vm, sizeof(vm), "/vm/%s", uuid);
	snprintf(v_domid, sizeof(v_domid), "%u", x->domid);
	snprintf(v_mem, sizeof(v_mem), "%" PRIu64, x->mem_kib);
	snprintf(v_sport, sizeof(v_sport), "%u", x->store_port);
	snprintf(v_cport, sizeof(v_cport), "%u", x->console_port);
	snprintf(v_sref, sizeof(v_sref), "%lu", (unsigned long)PVH_XENSTORE_PFN);
	snprintf(v_cref, sizeof(v_cref), "%lu", (unsigned long)PVH_CONSOLE_PFN);
	for (size_t i = 0; i < SV_ARRAY_SIZE(nodes); i++) {
		snprintf(path, sizeof(path), "%s%s%s", dom, nodes[i].path[0] ? "/" : "", nodes[i].path);
		if (!put(h, t, path, nodes[i].value, nodes[i].access, x->domid))
			return false;
	}
	snprintf(path, sizeof(path), "%s/uuid", vm);
	if (!put(h, t, vm, NULL, RO, x->domid) || !put(h, t, path, uuid, RO, x->domid))
		return false;
	snprintf(path, sizeof(path), "%s/name", vm);
	return put(h, t, path, x->name, RO, x->domid);
}

/*
 * One device: the frontend directory belongs to the guest (the backend may
 * read it), the backend directory to dom0 (the guest may read it), both
 * written in the caller's transaction (reference §4.2). A key whose value
 * is NULL is left out. With must_be_new, a device that already has either
 * directory is refused with EEXIST, which makes attach's "is the target
 * free" check and its write one atomic step.
 */
struct kv {
	const char *key;
	const char *val;
};

static bool write_dev(struct xs_handle *h, xs_transaction_t t, uint32_t domid, const char *kind,
		      uint32_t devid, const struct kv *fkeys, size_t nf, const struct kv *bkeys,
		      size_t nb, bool must_be_new)
{
	struct xs_permissions fe[2] = { { domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };
	struct xs_permissions be[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
	char fdir[96], bdir[96], path[160];
	unsigned int len;
	void *old;

	pvctl_xs_dev_paths(domid, kind, devid, fdir, bdir);
	if (must_be_new) {
		old = xs_read(h, t, fdir, &len);
		if (!old)
			old = xs_read(h, t, bdir, &len);
		if (old) {
			free(old);
			errno = EEXIST;
			return false;
		}
	}
	if (!xs_mkdir(h, t, fdir) || !xs_set_permissions(h, t, fdir, fe, 2) ||
	    !xs_mkdir(h, t, bdir) || !xs_set_permissions(h, t, bdir, be, 2))
		return false;
	for (size_t i = 0; i < nf + nb; i++) {
		const struct kv *kv = i < nf ? &fkeys[i] : &bkeys[i - nf];

		if (!kv->val)
			continue;
		snprintf(path, sizeof(path), "%s/%s", i < nf ? fdir : bdir, kv->key);
		if (!xs_write(h, t, path, kv->val, strlen(kv->val)) ||
		    !xs_set_permissions(h, t, path, i < nf ? fe : be, 2))
			return false;
	}
	return true;
}

void pvctl_xs_dev_paths(uint32_t domid, const char *kind, uint32_t devid, char fdir[96],
			char bdir[96])
{
	snprintf(fdir, 96, "/local/domain/%u/device/%s/%u", domid, kind, devid);
	snprintf(bdir, 96, "/local/domain/0/backend/%s/%u/%u", kind, domid, devid);
}

static bool write_vbd(struct xs_handle *h, xs_transaction_t t, uint32_t domid,
		      const struct domcfg_disk *disk, bool must_be_new)
{
	char fdir[96], bdir[96], v[16], id[16];
	const char *type = disk->is_cdrom ? "cdrom" : "disk";
	const struct kv fkeys[] = {
		{ "backend", bdir }, { "backend-id", "0" }, { "state", "1" },
		{ "virtual-device", v }, { "device-type", type },
	}, bkeys[] = {
		{ "frontend", fdir }, { "frontend-id", id }, { "online", "1" },
		{ "removable", "0" }, { "bootable", "1" }, { "state", "1" },
		{ "dev", disk->target }, { "type", disk->type == DOMCFG_DISK_BLOCK ? "phy" : "file" },
		{ "mode", disk->readonly ? "r" : "w" }, { "device-type", type },
		{ "params", disk->source },
	};

	snprintf(v, sizeof(v), "%u", disk->vdev);
	snprintf(id, sizeof(id), "%u", domid);
	pvctl_xs_dev_paths(domid, "vbd", disk->vdev, fdir, bdir);
	return write_dev(h, t, domid, "vbd", disk->vdev, fkeys, SV_ARRAY_SIZE(fkeys), bkeys,
			 SV_ARRAY_SIZE(bkeys), must_be_new);
}

/*
 * One vif (reference §4.2, libxl_nic.c). No hotplug-status is written:
 * there is no hotplug script runner, and a backend must not wait for one.
 * The script is recorded for the network backend to run; a bridge
 * interface defaults to vif-bridge as in xl.
 */
static bool write_vif(struct xs_handle *h, xs_transaction_t t, uint32_t domid, uint32_t devid,
		      const struct domcfg_nic *nic, bool must_be_new)
{
	char fdir[96], bdir[96], handle[16], id[16], mac[18];
	const char *script = nic->script ? nic->script :
			     nic->type == DOMCFG_NIC_BRIDGE ? "vif-bridge" : NULL;
	const struct kv fkeys[] = {
		{ "backend", bdir }, { "backend-id", "0" }, { "state", "1" },
		{ "handle", handle }, { "mac", mac },
	}, bkeys[] = {
		{ "frontend", fdir }, { "frontend-id", id }, { "online", "1" }, { "state", "1" },
		{ "script", script }, { "mac", mac }, { "bridge", nic->bridge },
		{ "handle", handle }, { "type", "vif" },
	};

	snprintf(handle, sizeof(handle), "%u", devid);
	snprintf(id, sizeof(id), "%u", domid);
	domcfg_mac_format(nic->mac, mac);
	pvctl_xs_dev_paths(domid, "vif", devid, fdir, bdir);
	return write_dev(h, t, domid, "vif", devid, fkeys, SV_ARRAY_SIZE(fkeys), bkeys,
			 SV_ARRAY_SIZE(bkeys), must_be_new);
}

static bool write_devices(struct xs_handle *h, xs_transaction_t t, const struct pvctl_xs_domain *x)
{
	for (size_t i = 0; i < x->ndisks; i++)
		if (!write_vbd(h, t, x->domid, &x->disks[i], false))
			return false;
	for (size_t i = 0; i < x->nnics; i++)
		if (!write_vif(h, t, x->domid, (uint32_t)i, &x->nics[i], false))
			return false;
	return true;
}

/*
 * The domid of another domain that has SOURCE attached: read-write, or
 * with want_write in any mode. -1 if none.
 */
int pvctl_xs_disk_user(const char *source, bool want_write)
{
	char err[200], path[256], *params, *mode;
	struct xs_handle *h = pvctl_xs_open(err, sizeof(err));
	unsigned int ndom = 0, ndev, len;
	char **doms, **devs;
	int user = -1;

	if (!h)
		return -1;
	doms = xs_directory(h, XBT_NULL, "/local/domain/0/backend/vbd", &ndom);
	for (unsigned int i = 0; doms && i < ndom && user < 0; i++) {
		snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%s", doms[i]);
		devs = xs_directory(h, XBT_NULL, path, &ndev);
		for (unsigned int j = 0; devs && j < ndev && user < 0; j++) {
			snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%s/%s/params", doms[i], devs[j]);
			params = xs_read(h, XBT_NULL, path, &len);
			snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%s/%s/mode", doms[i], devs[j]);
			mode = xs_read(h, XBT_NULL, path, &len);
			if (params && mode && strcmp(params, source) == 0 &&
			    (want_write || strcmp(mode, "w") == 0))
				user = atoi(doms[i]);
			free(params);
			free(mode);
		}
		free(devs);
	}
	free(doms);
	xs_close(h);
	return user;
}

/*
 * Runs WRITE in a transaction, retried on EAGAIN (another writer got in
 * first). Returns 0 or -errno; EEXIST from write_dev is passed on.
 */
static int transact(struct xs_handle *h, bool (*write)(struct xs_handle *, xs_transaction_t, const void *),
		    const void *arg)
{
	for (int tries = 0;; tries++) {
		xs_transaction_t t = xs_transaction_start(h);
		bool ok = t != XBT_NULL && write(h, t, arg);
		int saved = errno;

		if (t != XBT_NULL && xs_transaction_end(h, t, !ok) && ok)
			return 0;
		if (!ok)
			errno = saved;
		if (errno == EAGAIN && tries < TX_TRIES)
			continue;
		return errno ? -errno : -EIO;
	}
}

static bool write_all(struct xs_handle *h, xs_transaction_t t, const void *arg)
{
	return write_tree(h, t, arg) && write_devices(h, t, arg);
}

int pvctl_xs_introduce(const struct pvctl_xs_domain *x, char *err, size_t errlen)
{
	struct xs_handle *h = pvctl_xs_open(err, errlen);
	int rc;

	if (!h)
		return -ECONNREFUSED;
	rc = transact(h, write_all, x);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write domain %u's XenStore tree: %s", x->domid, strerror(-rc));
		rc = -EIO;
	} else if (!xs_introduce_domain(h, x->domid, PVH_XENSTORE_PFN, x->store_port)) {
		snprintf(err, errlen, "pvxenstored refused to introduce domain %u: %s", x->domid, strerror(errno));
		rc = -EIO;
	}
	xs_close(h);
	return rc;
}

struct attach {
	uint32_t domid, devid;
	const struct domcfg_disk *disk;
	const struct domcfg_nic *nic;
};

static bool write_attach(struct xs_handle *h, xs_transaction_t t, const void *arg)
{
	const struct attach *a = arg;
	char path[64];
	unsigned int len;
	char *name;

	/* The domain must still be there, inside the same transaction. */
	snprintf(path, sizeof(path), "/local/domain/%u/name", a->domid);
	name = xs_read(h, t, path, &len);
	if (!name) {
		errno = ESRCH;
		return false;
	}
	free(name);
	return a->disk ? write_vbd(h, t, a->domid, a->disk, true)
		       : write_vif(h, t, a->domid, a->devid, a->nic, true);
}

int pvctl_xs_attach(struct xs_handle *h, uint32_t domid, const struct domcfg_disk *disk,
		    uint32_t nic_devid, const struct domcfg_nic *nic)
{
	struct attach a = { .domid = domid, .devid = nic_devid, .disk = disk, .nic = nic };

	return transact(h, write_attach, &a);
}

static char *dirname_of(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash)
		*slash = '\0';
	return path;
}

static bool rm_if_empty(struct xs_handle *h, xs_transaction_t t, const char *dir)
{
	unsigned int n = 0;
	char **ents = xs_directory(h, t, dir, &n);

	free(ents);
	return !ents || n > 0 || xs_rm(h, t, dir);
}

struct remove {
	uint32_t domid, devid;
	const char *kind;
};

static bool write_remove(struct xs_handle *h, xs_transaction_t t, const void *arg)
{
	const struct remove *r = arg;
	char fdir[96], bdir[96];

	pvctl_xs_dev_paths(r->domid, r->kind, r->devid, fdir, bdir);
	if (!(xs_rm(h, t, fdir) || errno == ENOENT) || !(xs_rm(h, t, bdir) || errno == ENOENT))
		return false;
	/* The last device of its kind takes the domain's empty directories along. */
	return rm_if_empty(h, t, dirname_of(fdir)) && rm_if_empty(h, t, dirname_of(bdir));
}

int pvctl_xs_dev_remove(struct xs_handle *h, uint32_t domid, const char *kind, uint32_t devid)
{
	struct remove r = { .domid = domid, .devid = devid, .kind = kind };

	return transact(h, write_remove, &r);
}

char *pvctl_xs_get(struct xs_handle *h, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(h, XBT_NULL, path, &len);
}

int pvctl_xs_get_state(struct xs_handle *h, const char *dir)
{
	char *v = pvctl_xs_get(h, dir, "state");
	uint32_t n;
	int st = -1;

	if (v && sv_parse_u32(v, &n) == 0 && n <= 8)
		st = (int)n;
	free(v);
	return st;
}

const char *pvctl_xenbus_state_name(int state)
{
	static const char *const names[] = {
		"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
		"Closing", "Closed", "Reconfiguring", "Reconfigured",
	};

	return state >= 0 && (size_t)state < SV_ARRAY_SIZE(names) ? names[state] : "absent";
}

/* The domain and devid that use MAC in a vif backend, or -1. */
int pvctl_xs_mac_user(struct xs_handle *h, const uint8_t mac[6], uint32_t *devid_out)
{
	unsigned int ndom = 0, ndev;
	char **doms = xs_directory(h, XBT_NULL, "/local/domain/0/backend/vif", &ndom), **devs;
	char want[18], dir[128], *v;
	int user = -1;

	domcfg_mac_format(mac, want);
	for (unsigned int i = 0; doms && i < ndom && user < 0; i++) {
		snprintf(dir, sizeof(dir), "/local/domain/0/backend/vif/%s", doms[i]);
		devs = xs_directory(h, XBT_NULL, dir, &ndev);
		for (unsigned int j = 0; devs && j < ndev && user < 0; j++) {
			snprintf(dir, sizeof(dir), "/local/domain/0/backend/vif/%s/%s", doms[i], devs[j]);
			v = pvctl_xs_get(h, dir, "mac");
			if (v && strcasecmp(v, want) == 0) {
				user = atoi(doms[i]);
				*devid_out = (uint32_t)atoi(devs[j]);
			}
			free(v);
		}
		free(devs);
	}
	free(doms);
	return user;
}

/* With uuid NULL, the /vm entry is left empty. */
void pvctl_xs_dom_dirs(uint32_t domid, const uint8_t uuid[16], char dirs[PVCTL_XS_DOM_DIRS][96])
{
	char u[37] = "";

	if (uuid)
		pvctl_uuid_str(uuid, u);
	snprintf(dirs[0], 96, "/local/domain/%u", domid);
	snprintf(dirs[1], 96, "%s%s", uuid ? "/vm/" : "", u);
	snprintf(dirs[2], 96, "/local/domain/0/backend/vbd/%u", domid);
	snprintf(dirs[3], 96, "/local/domain/0/backend/vif/%u", domid);
}

/*
 * Its /vm entry as /local/domain/N/vm names it, the domain's connection
 * to pvxenstored, then its directories. Idempotent; pvctl_gone_wait()
 * removes the directories once more after pvhv let the domain go.
 */
void pvctl_xs_release(uint32_t domid)
{
	char err[200], dirs[PVCTL_XS_DOM_DIRS][96], path[64], *vm;
	struct xs_handle *h = pvctl_xs_open(err, sizeof(err));
	unsigned int len;

	if (!h)
		return;
	snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
	vm = xs_read(h, XBT_NULL, path, &len);
	if (vm && strncmp(vm, "/vm/", 4) == 0)
		xs_rm(h, XBT_NULL, vm);
	free(vm);
	xs_release_domain(h, domid);
	pvctl_xs_dom_dirs(domid, NULL, dirs);
	for (size_t i = 0; i < PVCTL_XS_DOM_DIRS; i++)
		if (dirs[i][0])
			xs_rm(h, XBT_NULL, dirs[i]);
	xs_close(h);
}

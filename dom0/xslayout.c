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

#include <xenstore.h>

#include "public/pvh_layout.h"
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

int pvctl_xs_introduce(const struct pvctl_xs_domain *x, char *err, size_t errlen)
{
	struct xs_handle *h = pvctl_xs_open(err, errlen);
	int rc = 0;

	if (!h)
		return -ECONNREFUSED;
	for (int tries = 0;; tries++) {
		xs_transaction_t t = xs_transaction_start(h);
		bool ok = t != XBT_NULL && write_tree(h, t, x);

		if (t != XBT_NULL && xs_transaction_end(h, t, !ok) && ok)
			break;
		if (ok && errno == EAGAIN && tries < TX_TRIES)
			continue;
		snprintf(err, errlen, "cannot write domain %u's XenStore tree: %s", x->domid, strerror(errno));
		rc = -EIO;
		goto out;
	}
	if (!xs_introduce_domain(h, x->domid, PVH_XENSTORE_PFN, x->store_port)) {
		snprintf(err, errlen, "pvxenstored refused to introduce domain %u: %s", x->domid, strerror(errno));
		rc = -EIO;
	}
out:
	xs_close(h);
	return rc;
}

void pvctl_xs_release(uint32_t domid)
{
	char err[200], path[64], *vm;
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
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	xs_rm(h, XBT_NULL, path);
	xs_close(h);
}

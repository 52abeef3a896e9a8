/*
 * pvctl-net.c: network interfaces. `network-attach`, `network-detach`,
 * `network-list`, and the checks create makes for each <interface>: the
 * bridge exists on this host, the MAC is not used by another vif.
 *
 * The vif's XenStore directories follow Xen's layout (reference §4.2,
 * xslayout.c). pvnetback serves them (a tap per vif on the bridge); when
 * it is not running nothing moves a vif out of Initialising, and the
 * commands say so rather than pretend.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xenstore.h>

#include "domcfg.h"
#include "pvctl.h"
#include "sv.h"

#define DEFAULT_BRIDGE	"xenbr0"
#define MAX_VIFS	64
#define NO_BACKEND_NOTE	"pvnetback is not running, so the vif stays Initialising until it is (pvctl host start)"

int pvctl_check_bridge(const char *br, char *err, size_t errlen)
{
	char path[64];
	struct stat st;

	if (!br[0] || strlen(br) >= IFNAMSIZ || strchr(br, '/') || strcmp(br, ".") == 0 ||
	    strcmp(br, "..") == 0) {
		snprintf(err, errlen, "'%s' is not a network interface name (1 to %d characters, no '/')",
			 br, IFNAMSIZ - 1);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", br);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s", br);
	if (stat(path, &st) == 0)
		snprintf(err, errlen, "the host interface %s is not a bridge; give a bridge "
			 "(ip -d link show type bridge lists them)", br);
	else
		snprintf(err, errlen, "there is no bridge %s on this host; create it with: "
			 "ip link add %s type bridge && ip link set %s up", br, br, br);
	return -ENODEV;
}

/* -EBUSY (with a message) when another vif uses MAC. */
static int check_mac_free(struct xs_handle *h, const uint8_t mac[6], char *err, size_t errlen)
{
	char text[18];
	uint32_t devid = 0;
	int user = pvctl_xs_mac_user(h, mac, &devid);

	if (user < 0)
		return 0;
	domcfg_mac_format(mac, text);
	snprintf(err, errlen, "the MAC %s is already used by vif %u of domain %d; give another "
		 "<mac address>, or leave it out to get a generated one", text, devid, user);
	return -EBUSY;
}

int pvctl_check_nic(const struct domcfg *cfg, const struct domcfg_nic *n)
{
	char err[400], e2[200];
	struct xs_handle *h;
	int rc = 0;

	if (n->bridge && (rc = pvctl_check_bridge(n->bridge, err, sizeof(err))) < 0) {
		pvctl_err("%s:%d: <interface>: %s", cfg->path, n->line, err);
		return rc;
	}
	h = pvctl_xs_open(e2, sizeof(e2));	/* validate works without the daemons */
	if (h) {
		rc = check_mac_free(h, n->mac, err, sizeof(err));
		xs_close(h);
	}
	if (rc < 0)
		pvctl_err("%s:%d: <interface>: %s", cfg->path, n->line, err);
	return rc;
}

/* ---- network-attach ---------------------------------------------------- */

struct nic_args {
	struct domcfg_nic nic;
	bool mac_given;
	char bridge[64], script[4096], model[16];
};

static int parse_attach(int argc, char **argv, const char **dom, struct nic_args *a)
{
	memset(a, 0, sizeof(*a));
	a->nic.type = DOMCFG_NIC_BRIDGE;
	sv_strlcpy(a->bridge, pvctl_conf.bridge ? pvctl_conf.bridge : DEFAULT_BRIDGE, sizeof(a->bridge));
	sv_strlcpy(a->model, "netfront", sizeof(a->model));
	a->nic.bridge = a->bridge;
	a->nic.model = a->model;
	*dom = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v = strchr(argv[i], '=');

		if (argv[i][0] != '-' && !v && !*dom) {
			*dom = argv[i];
		} else if (v && strncmp(argv[i], "bridge=", 7) == 0) {
			sv_strlcpy(a->bridge, v + 1, sizeof(a->bridge));
		} else if (v && strncmp(argv[i], "script=", 7) == 0 && v[1]) {
			sv_strlcpy(a->script, v + 1, sizeof(a->script));
			a->nic.script = a->script;
		} else if (v && strncmp(argv[i], "model=", 6) == 0) {
			if (strcmp(v + 1, "netfront") != 0) {
				pvctl_err("model '%s' is not supported; the only model is netfront (paravirtual)", v + 1);
				return 1;
			}
		} else if (v && strncmp(argv[i], "mac=", 4) == 0) {
			const char *why;

			if (domcfg_mac_parse(v + 1, a->nic.mac) < 0) {
				pvctl_err("'%s' is not a MAC address; expected six hex pairs like %s:5a:1c:07",
					  v + 1, DOMCFG_MAC_PREFIX);
				return 1;
			}
			if ((why = domcfg_mac_unusable(a->nic.mac))) {
				pvctl_err("'%s' is %s; expected a unicast address like %s:5a:1c:07", v + 1, why,
					  DOMCFG_MAC_PREFIX);
				return 1;
			}
			a->mac_given = true;
		} else {
			return pvctl_usage("network-attach");
		}
	}
	return *dom ? 0 : pvctl_usage("network-attach");
}

/* A random MAC no vif uses; a handful of tries in a 24-bit space. */
static int pick_mac(struct xs_handle *h, uint8_t mac[6])
{
	uint32_t devid;

	for (int tries = 0; tries < 16; tries++) {
		domcfg_mac_random(mac);
		if (pvctl_xs_mac_user(h, mac, &devid) < 0)
			return 0;
	}
	return -EBUSY;
}

static uint32_t free_devid(struct xs_handle *h, uint32_t domid)
{
	uint32_t ids[MAX_VIFS * 2], id = 0;
	size_t n = pvctl_dev_ids(h, domid, "vif", ids, SV_ARRAY_SIZE(ids));

	for (size_t i = 0; i < n && ids[i] == id; i++)	/* sorted */
		id++;
	return id;
}

int pvctl_cmd_network_attach(int argc, char **argv)
{
	struct pvh_ctl_dominfo d;
	struct nic_args a;
	struct xs_handle *h;
	const char *dom;
	char err[400], mac[18];
	uint32_t devid = 0;
	int rc;

	if (pvctl_wants_help(argc, argv, "network-attach"))
		return 0;
	rc = parse_attach(argc, argv, &dom, &a);
	if (rc)
		return rc;
	if (pvctl_check_bridge(a.nic.bridge, err, sizeof(err)) < 0) {
		pvctl_err("%s", err);
		return 1;
	}
	if (pvctl_live_domain(dom, &d) < 0)
		return 1;
	h = pvctl_xs_open_or_say();
	if (!h)
		return 1;
	rc = a.mac_given ? check_mac_free(h, a.nic.mac, err, sizeof(err)) : pick_mac(h, a.nic.mac);
	if (rc < 0) {
		pvctl_err("%s", a.mac_given ? err : "cannot find a free MAC; give one with mac=");
		xs_close(h);
		return 1;
	}
	for (int tries = 0; tries < 4; tries++) {	/* another attach may take the devid */
		devid = free_devid(h, d.domid);
		if (devid >= MAX_VIFS) {
			rc = -ENOSPC;
			break;
		}
		rc = pvctl_xs_attach(h, d.domid, NULL, devid, &a.nic);
		if (rc != -EEXIST)
			break;
	}
	if (rc == -ENOSPC)
		pvctl_err("domain %s already has %d interfaces, the most it can have", d.name, MAX_VIFS);
	else if (rc == -ESRCH)
		pvctl_err("domain %s has no XenStore tree (it is being destroyed)", d.name);
	else if (rc < 0)
		pvctl_err("cannot write the vif: %s", strerror(-rc));
	xs_close(h);
	if (rc < 0)
		return 1;
	domcfg_mac_format(a.nic.mac, mac);
	printf("Attached vif %u (mac %s, bridge %s) to domain %s.\n", devid, mac, a.nic.bridge, d.name);
	if (!pvctl_daemon_alive("pvnetback"))
		pvctl_err("note: %s", NO_BACKEND_NOTE);
	return 0;
}

/* ---- network-detach ---------------------------------------------------- */

/* DEVID or MAC to the devid of one of DOMID's vifs. */
static int find_vif(struct xs_handle *h, uint32_t domid, const char *what, uint32_t *devid)
{
	uint8_t mac[6];
	char fdir[96], bdir[96];

	if (domcfg_mac_parse(what, mac) == 0)
		return pvctl_xs_mac_user(h, mac, devid) == (int)domid ? 0 : -ENOENT;
	if (sv_parse_u32(what, devid) < 0)
		return -EINVAL;
	pvctl_xs_dev_paths(domid, "vif", *devid, fdir, bdir);
	return pvctl_xs_get_state(h, bdir) >= 0 || pvctl_xs_get_state(h, fdir) >= 0 ? 0 : -ENOENT;
}

int pvctl_cmd_network_detach(int argc, char **argv)
{
	const char *pos[2];
	struct pvh_ctl_dominfo d;
	struct xs_handle *h;
	uint32_t timeout_s, devid;
	char label[32];
	bool force;
	int rc;

	if (pvctl_wants_help(argc, argv, "network-detach"))
		return 0;
	rc = pvctl_detach_args(argc, argv, "network-detach", pos, 2, &timeout_s, &force);
	if (rc)
		return rc;
	if (pvctl_dom_and_xs(pos[0], &d, &h) < 0)
		return 1;
	rc = find_vif(h, d.domid, pos[1], &devid);
	if (rc == -EINVAL) {
		pvctl_err("'%s' is neither a vif number nor a MAC address (pvctl network-list %s shows both)",
			  pos[1], d.name);
	} else if (rc < 0) {
		pvctl_err("domain %s has no interface %s (pvctl network-list %s shows them)", d.name,
			  pos[1], d.name);
	} else {
		snprintf(label, sizeof(label), "vif %u", devid);
		rc = pvctl_dev_detach(h, d.name, d.domid, "vif", devid, label, timeout_s, force);
	}
	xs_close(h);
	return rc < 0 ? 1 : 0;
}

/* ---- network-list ------------------------------------------------------ */

int pvctl_cmd_network_list(int argc, char **argv)
{
	struct pvh_ctl_dominfo d;
	struct xs_handle *h;
	uint32_t ids[MAX_VIFS * 2];
	bool json, waiting = false;
	size_t n;
	int rc = pvctl_list_args(argc, argv, "network-list", &json, &d, &h);

	if (rc >= 0)
		return rc;
	n = pvctl_dev_ids(h, d.domid, "vif", ids, SV_ARRAY_SIZE(ids));
	if (json)
		printf("[");
	else
		printf("%-4s %-17s %-12s %-13s %-13s %s\n", "Idx", "MAC", "Bridge", "Frontend",
		       "Backend", "Script");
	for (size_t i = 0; i < n; i++) {
		char fdir[96], bdir[96], *mac, *bridge, *script;
		int bst;
		const char *fe, *be;

		pvctl_xs_dev_paths(d.domid, "vif", ids[i], fdir, bdir);
		mac = pvctl_xs_get(h, bdir, "mac");
		bridge = pvctl_xs_get(h, bdir, "bridge");
		script = pvctl_xs_get(h, bdir, "script");
		bst = pvctl_xs_get_state(h, bdir);
		fe = pvctl_xenbus_state_name(pvctl_xs_get_state(h, fdir));
		be = pvctl_xenbus_state_name(bst);
		waiting |= bst == 1;
		if (json) {
			printf("%s{\"devid\": %u", i ? ",\n " : "", ids[i]);
			pvctl_json_kv("mac", mac, true);
			pvctl_json_kv("bridge", bridge, true);
			pvctl_json_kv("script", script, true);
			pvctl_json_kv("frontend_state", fe, true);
			pvctl_json_kv("backend_state", be, true);
			printf("}");
		} else {
			printf("%-4u %-17s %-12s %-13s %-13s %s\n", ids[i], mac ? mac : "-",
			       bridge ? bridge : "-", fe, be, script ? script : "-");
		}
		free(mac);
		free(bridge);
		free(script);
	}
	if (json)
		printf("]\n");
	else if (waiting && !pvctl_daemon_alive("pvnetback"))
		printf("(%s)\n", NO_BACKEND_NOTE);
	xs_close(h);
	return 0;
}

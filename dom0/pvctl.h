/*
 * pvctl.h: shared pieces of the pvctl commands. Each command lives in its
 * own pvctl-<cmd>.c and is listed in pvctl.c's command table.
 */
#ifndef PVCTL_H
#define PVCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/pvh_ctl.h"

/* Global options, parsed before the command name. */
struct pvctl_opts {
	const char *rundir;
};

/*
 * Host defaults from the config file (pvctl-conf.c): $SPLITVISOR_CONF, else
 * SYSCONFDIR/splitvisor/splitvisor.conf. Command-line flags and
 * $SPLITVISOR_RUNDIR override it. NULL or 0 when not set.
 */
struct pvctl_conf {
	char *rundir;
	char *mem_budget;		/* passed to pvhv --mem-budget */
	char *uid_base;			/* passed to pvhv --uid-base */
	char *log_level;		/* "info" or "debug" */
	char *bridge;			/* network-attach's default bridge */
	uint32_t detach_timeout_s;	/* block-/network-detach --timeout default */
	uint32_t shutdown_timeout_s;	/* shutdown/reboot --timeout default */
	char path[4096];		/* the file read, "" if none */
};
extern struct pvctl_conf pvctl_conf;
/* Reads the config file; 0, or -errno after printing what is wrong. */
int pvctl_conf_load(void);
extern struct pvctl_opts pvctl_opts;

struct pvctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

/* Prints "pvctl: " + message to stderr. */
void pvctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the command's usage line and returns 2. */
int pvctl_usage(const char *cmd);
/* True if argv has --help or -h; prints usage. */
bool pvctl_wants_help(int argc, char **argv, const char *cmd);

/* pvctl-host.c: in a daemon's child, stdout and stderr to log, stdin from /dev/null. */
void pvctl_daemon_stdio(const char *log);

/* paths.c: where our programs, kernels and schema are. */
const char *pvctl_rundir(void);
int pvctl_find_daemon(const char *name, char *out, size_t size);
int pvctl_find_kernel(const char *name, char *out, size_t size);
int pvctl_find_schema(char *out, size_t size);

/*
 * ctlclient.c: one request to pvhv and its reply. body_out receives up to
 * body_size bytes; *len_out the body length. On error the message pvhv
 * sent is printed and the -errno returned. When pvhv is not running, says
 * so and how to start it.
 */
int pvctl_call(uint32_t type, const void *req, size_t req_len, int fd,
	       void *body_out, size_t body_size, size_t *len_out);
int pvctl_call_quiet(uint32_t type, const void *req, size_t req_len, int fd,
		     void *body_out, size_t body_size, size_t *len_out,
		     char *err, size_t errlen);
/* Looks a domain up by name or id. Returns 0, -ENOENT, or another -errno. */
int pvctl_dominfo(const char *dom, struct pvh_ctl_dominfo *out, bool quiet);

/* xslayout.c: the domain's XenStore tree, introduce and release. */
struct pvctl_xs_domain {
	uint32_t domid;
	const char *name;
	const uint8_t *uuid;
	uint64_t mem_kib;
	uint32_t store_port;
	uint32_t console_port;
	const struct domcfg_disk *disks;
	size_t ndisks;
	const struct domcfg_nic *nics;
	size_t nnics;
};
struct domcfg_disk;
struct domcfg_nic;
struct xs_handle;
int pvctl_xs_disk_user(const char *source, bool want_write);
struct xs_handle *pvctl_xs_open(char *err, size_t errlen);
int pvctl_xs_introduce(const struct pvctl_xs_domain *x, char *err, size_t errlen);
void pvctl_xs_release(uint32_t domid);
/* A domain's top directories: /local/domain/N, /vm/<uuid>, its vbd and vif backends. */
#define PVCTL_XS_DOM_DIRS	4
void pvctl_xs_dom_dirs(uint32_t domid, const uint8_t uuid[16], char dirs[PVCTL_XS_DOM_DIRS][96]);
/* Frontend and backend directories of device KIND ("vbd", "vif") DEVID. */
void pvctl_xs_dev_paths(uint32_t domid, const char *kind, uint32_t devid, char fdir[96],
			char bdir[96]);
/*
 * Writes one device's frontend and backend directories in one transaction,
 * exactly as create does (disk, or nic with its devid). -EEXIST when either
 * directory already exists, -ESRCH when the domain has no tree.
 */
int pvctl_xs_attach(struct xs_handle *h, uint32_t domid, const struct domcfg_disk *disk,
		    uint32_t nic_devid, const struct domcfg_nic *nic);
/* Removes both directories of one device in one transaction. */
int pvctl_xs_dev_remove(struct xs_handle *h, uint32_t domid, const char *kind, uint32_t devid);
/* DIR/KEY's value (malloc'd) or NULL; a state node as 0..8, or -1. */
char *pvctl_xs_get(struct xs_handle *h, const char *dir, const char *key);
int pvctl_xs_get_state(struct xs_handle *h, const char *dir);
const char *pvctl_xenbus_state_name(int state);
/* The domid whose vif uses MAC (and its devid), or -1. */
int pvctl_xs_mac_user(struct xs_handle *h, const uint8_t mac[6], uint32_t *devid_out);

/*
 * pvctl-dom.c: what is left of a destroyed domain, and the wait until
 * nothing is (pvhv's entry, XenStore directories, taps, images open in
 * pvblkback, the device model and its pidfile). pvctl_gone_init() takes
 * its note while the domain's backend directories still exist.
 */
#define PVCTL_GONE_TIMEOUT_S	120
#define PVCTL_GONE_MAX_IMAGES	8
struct pvctl_gone {
	uint32_t domid;
	uint8_t uuid[16];
	char name[PVH_NAME_MAX];
	size_t nimages;
	char images[PVCTL_GONE_MAX_IMAGES][4096];
};
void pvctl_gone_init(struct pvctl_gone *g, const struct pvh_ctl_dominfo *d);
/* Polls until nothing of the domain is left: 0, or -ETIMEDOUT after naming what is. */
int pvctl_gone_wait(const struct pvctl_gone *g, uint32_t timeout_s);
/* Destroys the domain, removes its nodes, stops its device model and waits as above. */
int pvctl_destroy_wait(const struct pvh_ctl_dominfo *d, uint32_t timeout_s);

/* pvctl-net.c: whether a host bridge exists, with an error naming it. */
int pvctl_check_bridge(const char *bridge, char *err, size_t errlen);
/* create's checks of one <interface>: its bridge exists, its MAC is free. */
struct domcfg;
int pvctl_check_nic(const struct domcfg *cfg, const struct domcfg_nic *nic);

/*
 * pvctl-device.c: the detach protocol shared by block- and network-detach:
 * backend online=0 and state Closing, wait up to timeout_s for the frontend
 * to reach Closed (or to be one that never connected), then remove both
 * directories; with force, remove them after the timeout anyway.
 */
int pvctl_dev_detach(struct xs_handle *h, const char *domname, uint32_t domid, const char *kind,
		     uint32_t devid, const char *label, uint32_t timeout_s, bool force);
/* The domain, which must be running or paused; says why not otherwise. */
int pvctl_live_domain(const char *dom, struct pvh_ctl_dominfo *d);
/* pvctl_xs_open() that prints its error. */
struct xs_handle *pvctl_xs_open_or_say(void);
/* pvctl-host.c: whether host daemon NAME runs and answers its health check. */
bool pvctl_daemon_alive(const char *name);
/* The config's detach_timeout, else 10 s. */
uint32_t pvctl_detach_timeout(void);
/* "[--timeout S] [--force]" around exactly npos positional arguments. */
int pvctl_detach_args(int argc, char **argv, const char *cmd, const char **pos, int npos,
		      uint32_t *timeout_s, bool *force);
/* The devids of KIND on DOMID (frontend and backend merged), sorted. */
size_t pvctl_dev_ids(struct xs_handle *h, uint32_t domid, const char *kind, uint32_t *ids,
		     size_t max);
/* "[--json] DOM": -1 with d and *h set, else the exit status. */
int pvctl_list_args(int argc, char **argv, const char *cmd, bool *json,
		    struct pvh_ctl_dominfo *d, struct xs_handle **h);
/* The domain (any state) and an open XenStore handle; -1 after saying why not. */
int pvctl_dom_and_xs(const char *dom, struct pvh_ctl_dominfo *d, struct xs_handle **h);
/* Prints ', "key": "val"' (or null) for JSON objects. */
void pvctl_json_kv(const char *key, const char *val, bool comma);

/* Formatting shared by list and dominfo. */
const char *pvctl_state_name(uint32_t state);
const char *pvctl_reason_name(int reason);
void pvctl_uuid_str(const uint8_t uuid[16], char out[37]);
void pvctl_json_str(const char *s);

/* The commands. */
int pvctl_cmd_host(int argc, char **argv);
int pvctl_cmd_create(int argc, char **argv);
int pvctl_cmd_validate(int argc, char **argv);
int pvctl_cmd_list(int argc, char **argv);
int pvctl_cmd_dominfo(int argc, char **argv);
int pvctl_cmd_info(int argc, char **argv);
int pvctl_cmd_destroy(int argc, char **argv);
int pvctl_cmd_pause(int argc, char **argv);
int pvctl_cmd_unpause(int argc, char **argv);
int pvctl_cmd_console(int argc, char **argv);
int pvctl_cmd_shutdown(int argc, char **argv);
int pvctl_cmd_reboot(int argc, char **argv);
int pvctl_cmd_block_attach(int argc, char **argv);
int pvctl_cmd_block_detach(int argc, char **argv);
int pvctl_cmd_block_list(int argc, char **argv);
int pvctl_cmd_network_attach(int argc, char **argv);
int pvctl_cmd_network_detach(int argc, char **argv);
int pvctl_cmd_network_list(int argc, char **argv);
int pvctl_cmd_mem_set(int argc, char **argv);
int pvctl_cmd_top(int argc, char **argv);

#endif /* PVCTL_H */

/*
 * domcfg.h: a domain's configuration, read from libvirt-style domain XML.
 *
 * domcfg_load() parses FILE with libxml2, validates it against the RelaxNG
 * schema shipped in the tree (dom0/domain.rng, installed under
 * $(pkgdatadir)/schemas), then checks what a schema cannot (sizes, names,
 * uuid syntax, unique targets, MAC syntax) and fills struct domcfg. It is
 * the only code path that reads domain XML: pvctl validate, create
 * --dry-run and create all call it.
 *
 * Errors are one message for a person, "FILE:LINE: <element>: what is
 * wrong; what was expected" with a "did you mean <x>?" hint for misspelled
 * element and attribute names. Unknown elements and attributes are errors.
 *
 * Relative file paths (kernel, disk sources) are resolved against the
 * directory of FILE. The caller owns the struct and frees it with
 * domcfg_free(), which is idempotent.
 */
#ifndef DOMCFG_H
#define DOMCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/pvh_ctl.h"

enum domcfg_disk_bus { DOMCFG_BUS_XEN = 0, DOMCFG_BUS_IDE };
enum domcfg_disk_type { DOMCFG_DISK_FILE = 0, DOMCFG_DISK_BLOCK };
enum domcfg_nic_type { DOMCFG_NIC_BRIDGE = 0, DOMCFG_NIC_ETHERNET };

struct domcfg_disk {
	enum domcfg_disk_type type;
	bool is_cdrom;			/* device='cdrom' */
	char *driver_name;		/* NULL when absent */
	char *driver_type;		/* "raw" */
	char *source;			/* absolute path */
	char *target;			/* "xvda", "hda" */
	enum domcfg_disk_bus bus;
	uint32_t vdev;			/* Xen virtual-device number: xvda = 51712 */
	bool readonly;
	bool shareable;
	int line;			/* where it was declared */
};

struct domcfg_nic {
	enum domcfg_nic_type type;
	uint8_t mac[6];			/* generated (locally administered) when absent */
	bool mac_generated;
	char *bridge;			/* NULL when absent */
	char *model;			/* "netfront" by default */
	char *script;			/* NULL when absent */
	int line;
};

struct domcfg {
	char *path;			/* the file, as given */
	char *name;
	uint8_t uuid[16];		/* generated with libuuid when absent */
	bool uuid_generated;
	char *title;			/* NULL when absent */
	char *description;		/* NULL when absent */
	uint64_t mem_kib;		/* <memory>, in KiB */
	uint64_t cur_mem_kib;		/* <currentMemory>, or mem_kib */
	uint32_t vcpus;			/* 1 when absent */
	char *os_type;			/* "linux" or "xen" */
	char *kernel;			/* absolute path, resolved against the file */
	char *kernel_arg;		/* the text as written */
	char *cmdline;			/* "" when absent */
	enum pvh_action on_poweroff;	/* default destroy */
	enum pvh_action on_reboot;	/* default restart */
	enum pvh_action on_crash;	/* default destroy */
	bool has_console;
	struct domcfg_disk *disks;
	size_t ndisks;
	struct domcfg_nic *nics;
	size_t nnics;
};

/*
 * Loads and validates FILE. schema_path is the RelaxNG schema to use.
 * Returns 0, or -errno with *err_out set to a malloc'd message that the
 * caller frees.
 */
int domcfg_load(const char *file, const char *schema_path,
		struct domcfg *cfg_out, char **err_out);
void domcfg_free(struct domcfg *cfg);

/* Parses "xvda", "xvdab", "hdc" into a Xen virtual-device number. */
int domcfg_vdev_encode(const char *target, uint32_t *vdev_out);

/*
 * MACs. Generated ones start with DOMCFG_MAC_PREFIX, 02:53:56: the locally
 * administered bit set, unicast, then "SV"; the last three bytes are a hash
 * of the domain's uuid and the interface's index (stable across restarts),
 * or random for network-attach. 00:16:3e is Xen's own OUI, not ours to use.
 */
#define DOMCFG_MAC_PREFIX	"02:53:56"
/* "02:53:56:xx:xx:xx" syntax only; 0 or -EINVAL. */
int domcfg_mac_parse(const char *s, uint8_t mac[6]);
/* NULL if usable, else why not ("multicast", "all zeros"). */
const char *domcfg_mac_unusable(const uint8_t mac[6]);
/* Into out[18], lower case. */
void domcfg_mac_format(const uint8_t mac[6], char out[18]);
/* A random MAC under DOMCFG_MAC_PREFIX. */
void domcfg_mac_random(uint8_t mac[6]);

/*
 * "65536", "256M", "512MiB", "1G", "4GB": a number with an optional unit as
 * <memory unit='...'> takes them (a bare number is KiB), into KiB.
 * 0, -EINVAL or -ERANGE.
 */
int domcfg_size_to_kib(const char *s, uint64_t *kib_out);

/* Names for enum pvh_action as domain XML spells them. */
const char *domcfg_action_name(enum pvh_action action);

#endif /* DOMCFG_H */

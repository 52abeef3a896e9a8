/*
 * pvctl-dm.h: the device model's life, for create and destroy
 * (pvctl-dm.c).
 */
#ifndef PVCTL_DM_H
#define PVCTL_DM_H

#include <stdint.h>

struct domcfg;
struct domcfg_disk;

/* The domain's emulated (IDE) disk, or NULL: then it needs no pvdm. */
const struct domcfg_disk *pvctl_dm_disk(const struct domcfg *cfg);

/*
 * Starts pvdm for a domain built paused with PVH_CREATE_IOREQ and waits
 * until it holds the domain's ioreq socket. Returns 0 (also when the
 * domain has no IDE disk), or -errno after printing why and the tail of
 * pvdm's log; pvdm is stopped then, the domain is the caller's to destroy.
 */
int pvctl_dm_start(const struct domcfg *cfg, uint32_t domid);

/* Stops the domain's pvdm if it still runs; quiet when there is none. */
void pvctl_dm_stop(uint32_t domid);

#endif /* PVCTL_DM_H */

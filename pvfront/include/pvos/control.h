/*
 * pvos/control.h: XenStore at boot, and the toolstack's control/shutdown
 * requests (xenstore-paths: control/shutdown, control/feature-*).
 */
#ifndef PVOS_CONTROL_H
#define PVOS_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Connect the xenbus client to the XenStore ring and switch the console to
 * its ring (start_info's store and console pages). Prints one line saying
 * what it got; carries on without either if dom0 does not serve them.
 */
void control_init(void);

/* This domain's id as XenStore says (~/domid), or -1 if unknown. */
long control_domid(void);

/*
 * Advertise control/feature-poweroff and control/feature-reboot and watch
 * control/shutdown. Only workloads that block call this: a kernel that
 * never looks at control/shutdown must not claim it answers (pvctl then
 * tells the user to use --force). Returns 0 or a negative errno.
 */
int control_enable(void);

/*
 * Act on queued control/shutdown events: a "poweroff", "halt" or "reboot"
 * is acknowledged (written "" in a transaction), announced and carried out
 * (SCHEDOP_shutdown, never returns). Other values are left alone.
 */
void control_poll(void);

/*
 * events_block() for workloads: sleep until an event or deadline_ns, then
 * answer control/shutdown. Returns what events_block() returned.
 */
int kernel_block(uint64_t deadline_ns);

#endif /* PVOS_CONTROL_H */

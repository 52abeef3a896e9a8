/*
 * xsback.h: the backend side of xenbus that pvblkback and pvnetback
 * share: reading and writing a device's keys, finding new devices under
 * a backend directory, and the daemon's watch loop.
 */
#ifndef XSBACK_H
#define XSBACK_H

#include <stdbool.h>
#include <stdint.h>

#include <xenstore.h>

/* dir/key as the store has it (malloc'd, the caller frees), or NULL. */
char *xsb_get(struct xs_handle *xs, const char *dir, const char *key);
/* dir/key as a decimal u32: 0, -ENOENT if absent, -EINVAL if not a number. */
int xsb_get_u32(struct xs_handle *xs, const char *dir, const char *key, uint32_t *out);
/* Writes dir/key = the formatted value (at most 255 bytes) in t. */
bool xsb_put(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * For every <dir>/<domid>/<devid> whose two names are numbers and that
 * known() does not know, calls add(domid, devid).
 */
void xsb_discover(struct xs_handle *xs, const char *dir, bool (*known)(uint32_t domid, uint32_t devid),
		  void (*add)(uint32_t domid, uint32_t devid));

/*
 * A backend daemon's life: connects to <rundir>/xenstored/socket, watches
 * dir (token "be"), writes <rundir>/<name>.pid and then, until SIGTERM or
 * SIGINT, calls reconcile() on XenStore activity and close_broken() when
 * the eventfd in *wake_fd_out (for I/O threads that give up on a frontend)
 * is raised. *xs_out and *wake_fd_out are set before the first call.
 * After the loop it calls stop(), removes the pidfile and returns 0; 1 if
 * XenStore could not be reached (with a message).
 */
int xsb_serve(const char *name, const char *rundir, const char *dir, struct xs_handle **xs_out,
	      int *wake_fd_out, void (*reconcile)(void), void (*close_broken)(void), void (*stop)(void));

#endif /* XSBACK_H */

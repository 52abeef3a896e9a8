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

/* What a backend daemon hands xsb_serve(). */
struct xsb_daemon {
	const char *name;		/* pvblkback: its pidfile, socket and log name */
	const char *rundir;
	const char *dir;		/* the backend directory it serves */
	void (*reconcile)(void);	/* XenStore activity */
	void (*close_broken)(void);	/* the eventfd in wake_fd was raised */
	void (*stop)(void);		/* SIGTERM: stop and forget every device */
	/* Its devices for a status reply: how many, and how many connected. */
	void (*count)(unsigned int *devices_out, unsigned int *connected_out);
	/* Set by xsb_serve() before the first call of any of the above: */
	struct xs_handle *xs;
	int wake_fd;			/* for I/O threads that give up on a frontend */
};

/*
 * A backend daemon's life: connects to <rundir>/xenstored/socket, watches
 * dir (token "be"), listens on <rundir>/<name>.sock, writes
 * <rundir>/<name>.pid and then, until SIGTERM or SIGINT, calls
 * reconcile() on XenStore activity and close_broken() when wake_fd is
 * raised. Each connection to the socket gets one status line and is
 * closed: "ok <name> pid <pid>: <n> devices, <m> connected" (pvctl
 * host status). After the loop it calls stop(), removes the pidfile and the
 * socket and returns 0.
 *
 * A daemon whose XenStore connection is gone (pvxenstored died) cannot
 * see its devices any more: it stops them and returns 1, to be started
 * again against the new pvxenstored (by pvctl host start or its systemd
 * unit). 1 also if XenStore could not be reached at all (with a message).
 */
int xsb_serve(struct xsb_daemon *dm);

#endif /* XSBACK_H */

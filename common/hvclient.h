/*
 * hvclient.h: how dom0 programs talk to pvhv (public/pvh_ctl.h): pvctl
 * for domain control, and the dom0 daemons for their event channels and
 * grant mappings, which live as long as the connection.
 */
#ifndef HVCLIENT_H
#define HVCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Connects to <rundir>/pvhv.sock. Returns the descriptor, or -errno with
 * a sentence for the user in err (e.g. how to start pvhv).
 */
int hvc_open(const char *rundir, char *err, size_t errlen);

/*
 * One request and its reply. fd_in (or -1) is attached to the request;
 * *fd_out (if not NULL) receives a descriptor attached to the reply, or
 * -1. The reply body is copied into body (at most size bytes), its length
 * into *len_out. On a failure pvhv reports, returns its -errno with its
 * message in err.
 */
int hvc_call(int fd, uint32_t type, const void *req, size_t req_len, int fd_in,
	     void *body, size_t size, size_t *len_out, int *fd_out,
	     char *err, size_t errlen);

/* Event channels: bind to a guest's port offered to dom0. */
int hvc_evtchn_bind(int fd, uint32_t domid, uint32_t remote_port,
		    uint32_t *port_out, int *evfd_out, char *err, size_t errlen);
int hvc_evtchn_notify(int fd, uint32_t port);
int hvc_evtchn_unbind(int fd, uint32_t port);
/* Clears an event fd after it polled readable. */
void hvc_evtchn_ack(int evfd);

/*
 * A dom0 end of an event channel with the fast path: events from the guest
 * arrive on evfd; hvc_evtchn_kick raises the guest's end by setting its
 * 2-level bits and writing its event fd directly, falling back to asking
 * pvhv when the fast path could not be set up. A kick after the guest
 * closed or reused its port may be spurious, which every Xen driver must
 * tolerate anyway.
 */
struct hvc_evtchn {
	uint32_t port;		/* ours, in dom0's space */
	uint32_t domid;
	uint32_t remote_port;
	int evfd;		/* readable when the guest notified us */
	int kick_fd;		/* the guest's event fd, or -1 */
	void *shinfo;		/* the guest's shared_info, or NULL */
};

int hvc_evtchn_open(int fd, uint32_t domid, uint32_t remote_port, struct hvc_evtchn *e,
		    char *err, size_t errlen);
void hvc_evtchn_kick(int fd, const struct hvc_evtchn *e);
void hvc_evtchn_close(int fd, struct hvc_evtchn *e);

/*
 * An eventfd pvhv writes when dom0's global VIRQ fires: VIRQ_DOM_EXC (some
 * domain changed state) or VIRQ_CONSOLE (a guest wrote console_io).
 */
int hvc_virq_bind(int fd, uint32_t virq, int *evfd_out, char *err, size_t errlen);
int hvc_dom_exc_bind(int fd, int *evfd_out, char *err, size_t errlen);

/* Grants: maps one granted page into this process, and back. */
int hvc_gnt_map(int fd, uint32_t domid, uint32_t ref, bool readonly,
		uint32_t *handle_out, void **page_out, char *err, size_t errlen);
int hvc_gnt_unmap(int fd, uint32_t handle, void *page);

#endif /* HVCLIENT_H */

/*
 * xenfront.h: the guest side of Xen's event channels and grant tables,
 * kernel-independent (the kernel supplies xenport.h's functions).
 *
 * Event channels (evtchn.c) use the 2-level ABI in shared_info (xen.h):
 * the client owns a per-port handler table and the scan that dispatches
 * pending, unmasked ports. It cannot be interrupted, so it never enables
 * upcalls; the kernel's block loop calls evtchn_dispatch() after waking.
 *
 * Grant tables (gnttab.c) use v1 entries (grant_table.h). The client sets
 * the table up, hands out references from a free list (never the reserved
 * 0..GNTTAB_NR_RESERVED_ENTRIES-1, which the builder seeds for the console
 * and XenStore), and writes entries in the order grant_table.h requires.
 *
 * Everything here runs on one vCPU with no upcalls: no locking.
 */
#ifndef PVFRONT_XENFRONT_H
#define PVFRONT_XENFRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "xenport.h"

/* ---- event channels (evtchn.c) ---- */

#define EVTCHN_NR_PORTS		(sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)

typedef void (*evtchn_handler_t)(evtchn_port_t port, void *data);

/* Take over shared_info's event bits: every port starts masked. */
void evtchn_init(shared_info_t *shared_info);
shared_info_t *evtchn_shared_info(void);

/*
 * Install a handler for a port and unmask it; -XEN_EINVAL for port 0, a
 * port past the ABI, or no handler. evtchn_clear_handler() masks it again.
 * The handler's data stays the caller's.
 */
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *data);
void evtchn_clear_handler(evtchn_port_t port);

/*
 * Local mask and unmask (the guest owns evtchn_mask). evtchn_unmask()
 * re-raises a port that went pending while masked, as xen.h asks.
 */
void evtchn_mask(evtchn_port_t port);
void evtchn_unmask(evtchn_port_t port);
bool evtchn_is_masked(evtchn_port_t port);
bool evtchn_is_pending(evtchn_port_t port);
void evtchn_clear_pending(evtchn_port_t port);

/* vcpu_info[0].evtchn_upcall_pending: something may be waiting. */
bool evtchn_upcall_pending(void);

/*
 * The 2-level scan: clear upcall_pending, exchange the selector with 0,
 * and for each selected word take pending & ~mask, clear each pending bit
 * and call its handler (a pending port without one is just cleared). A
 * handler may raise more events; the scan repeats a bounded number of
 * rounds. Returns how many ports were cleared.
 */
unsigned int evtchn_dispatch(void);

/*
 * EVTCHNOP_* for this domain (event_channel.h); each returns 0 or Xen's
 * negative errno and fills its output only on success.
 */
int evtchn_alloc_unbound(domid_t remote_dom, evtchn_port_t *port_out);
int evtchn_bind_interdomain(domid_t remote_dom, evtchn_port_t remote_port,
			    evtchn_port_t *local_port_out);
int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port_out);
int evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port_out);
int evtchn_send(evtchn_port_t port);
int evtchn_close(evtchn_port_t port);
int evtchn_status(evtchn_port_t port, struct evtchn_status *status_out);
int evtchn_unmask_op(evtchn_port_t port);
int evtchn_reset(void);

/* "EVTCHNOP_send", ... for messages; "EVTCHNOP_?" if unknown. */
const char *evtchn_op_name(int cmd);

/* ---- grant tables (gnttab.c) ---- */

/* The most frames the client asks for (512 v1 entries each). */
#define GNTTAB_CLIENT_MAX_FRAMES	4
#define GNTTAB_ENTRIES_PER_FRAME	(4096 / sizeof(grant_entry_v1_t))
#define GNTTAB_CLIENT_MAX_ENTRIES	\
	(GNTTAB_CLIENT_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME)

/*
 * GNTTABOP_setup_table for nr_frames (1..GNTTAB_CLIENT_MAX_FRAMES) and
 * fill the free list with refs GNTTAB_NR_RESERVED_ENTRIES and up. The
 * frames must be consecutive pfns (the table is used as one array).
 * Returns 0, a negative errno from the hypercall, or -XEN_EIO with the
 * op's GNTST_* status in *gntst_out (may be NULL).
 */
int gnttab_init(unsigned int nr_frames, int16_t *gntst_out);
bool gnttab_is_ready(void);
unsigned int gnttab_nr_frames(void);
unsigned int gnttab_nr_entries(void);
unsigned int gnttab_nr_free(void);

/* Raw ops: the hypercall's result; per-op status is in each struct. */
int gnttab_op(unsigned int cmd, void *args, unsigned int count);
int gnttab_query_size(uint32_t *nr_frames_out, uint32_t *max_frames_out,
		      int16_t *gntst_out);

/*
 * Grant domid access to the frame pfn: takes a ref from the free list and
 * writes domid, frame, a write barrier, then flags (grant_table.h).
 * Returns the ref, -XEN_ENOSPC when none is free, -XEN_ENODEV before
 * gnttab_init().
 */
int gnttab_grant_access(domid_t domid, xen_pfn_t pfn, bool readonly);

/*
 * Revoke a grant. Refused (false, the grant stays) while the grantee has
 * it mapped (GTF_reading|GTF_writing) or if the entry keeps changing; on
 * success the flags are 0 and the ref is back on the free list.
 */
bool gnttab_end_access(grant_ref_t ref);

/* Downgrade a grant to read-only; refused while it is mapped writable. */
bool gnttab_make_readonly(grant_ref_t ref);

/* The entry's flags as they are now (0 for a ref outside the table). */
uint16_t gnttab_entry_flags(grant_ref_t ref);

/* "GNTST_okay", ... for messages. */
const char *gnttab_status_name(int16_t status);

/* ---- XenStore client over the domain's ring (xenbus.c) ---- */

/* xs_wire.h; included by xenbus.c only (its error table wants errno.h). */
struct xenstore_domain_interface;

typedef uint32_t xenbus_transaction_t;
#define XBT_NIL			((xenbus_transaction_t)0)

/* What the client keeps per queued watch event and registered watch. */
#define XENBUS_PATH_MAX		256	/* event paths are cut to this */
#define XENBUS_TOKEN_MAX	32
#define XENBUS_MAX_WATCHES	16
#define XENBUS_EVENT_QUEUE	32
#define XENBUS_TX_RETRIES	32	/* xenbus_transact() on EAGAIN */

/*
 * Attach to the ring page (struct xenstore_domain_interface, shared with
 * the XenStore daemon and hostile) and its event channel, and install the
 * port's handler. Indices are taken from the page as they are (they need
 * not start at 0) and checked. Returns 0 or -XEN_EIO if the page is
 * already inconsistent.
 */
int xenbus_init(struct xenstore_domain_interface *ring, evtchn_port_t port);
bool xenbus_is_ready(void);

/*
 * Requests. Each sends one message, blocks (xenport_block()) until the
 * reply with its req_id arrives, and returns 0 (or a length) or a negative
 * Xen errno: the daemon's error name ("ENOENT" -> -XEN_ENOENT), -XEN_EIO
 * if the ring broke or the reply makes no sense, -XEN_E2BIG if a request
 * or a reply does not fit. Paths may be relative (to ~, the daemon says
 * where). t is XBT_NIL or a transaction from xenbus_transaction_start().
 */
/* The value, NUL-terminated in buf (size bytes); returns its length. */
int xenbus_read(xenbus_transaction_t t, const char *path, char *buf,
		size_t size);
/* A decimal value in [0, max]; -XEN_EINVAL if it is not one. */
int xenbus_read_u64(xenbus_transaction_t t, const char *path, uint64_t max,
		    uint64_t *val_out);
/*
 * For frontends: dir/key as in xenbus_read_u64, def when the node does not
 * exist; a device's state node set to state; and whether a path another
 * domain wrote (a backend's) is absolute and of plain characters.
 */
int xenbus_read_u64_at(const char *dir, const char *key, uint64_t max, uint64_t def,
		       uint64_t *val_out);
int xenbus_switch_state(const char *node, int state);
bool xenbus_path_sane(const char *p);
int xenbus_write(xenbus_transaction_t t, const char *path, const char *value);
int xenbus_printf(xenbus_transaction_t t, const char *path,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int xenbus_mkdir(xenbus_transaction_t t, const char *path);
int xenbus_rm(xenbus_transaction_t t, const char *path);
/*
 * The children of path as NUL-terminated names one after another in buf;
 * returns how many (each name is checked to be terminated and non-empty).
 */
int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf,
		     size_t size);

int xenbus_transaction_start(xenbus_transaction_t *t_out);
/* Commit (abort false) or discard; a conflicting commit is -XEN_EAGAIN. */
int xenbus_transaction_end(xenbus_transaction_t t, bool abort);
/*
 * Run fn in a transaction and commit it, starting again on EAGAIN up to
 * XENBUS_TX_RETRIES times. fn's negative result aborts the transaction
 * and is returned; so is -XEN_EAGAIN if every attempt conflicted.
 */
int xenbus_transact(int (*fn)(xenbus_transaction_t t, void *data),
		    void *data);

/*
 * Watches. The daemon fires a watch once when it is set, then on every
 * change at or below path. Events are queued (by token and path, a
 * duplicate of a queued event is coalesced into it) until taken. The
 * client keeps its watches and sets them again after a reconnect.
 */
int xenbus_watch(const char *path, const char *token);
int xenbus_unwatch(const char *path, const char *token);
/* Take the oldest queued event for token without blocking; path_out may be NULL. */
bool xenbus_take_event(const char *token, char *path_out, size_t size);
/* Block until an event for token is queued, then take it. */
int xenbus_wait_event(const char *token, char *path_out, size_t size);
/* The same, giving up with -XEN_ETIMEDOUT at xenport_now_ns() >= deadline_ns. */
int xenbus_wait_event_until(const char *token, char *path_out, size_t size,
			    uint64_t deadline_ns);

/* Pull replies and events off the ring now (the port handler does this). */
void xenbus_poll(void);

/*
 * Ask the daemon to reset the ring (connection = XENSTORE_RECONNECT,
 * xenstore-ring.txt), wait for it, and set the watches again. The request
 * in flight, if any, fails with -XEN_EIO. Done by itself when the daemon
 * reports an error or the indices are inconsistent; at most a few times,
 * then the client stays broken.
 */
int xenbus_reconnect(void);

/* Diagnostics: why the ring last failed ("" if never), and counters. */
struct xenbus_stats {
	unsigned long requests, events, events_dropped, stray_replies,
		      reconnects, resets;
};
const char *xenbus_fault(void);
void xenbus_get_stats(struct xenbus_stats *stats_out);

/* "ENOENT" -> -XEN_ENOENT; unknown names are -XEN_EIO. */
int xenbus_errno_from_name(const char *name);

/* ---- blkif frontend (blkfront.c) ---- */

#include <xen/io/blkif.h>	/* BLKIF_OP_*, VDISK_* */

#define BLKFRONT_MAX_DEVS	4
/* How long the handshake waits for each backend state. */
#define BLKFRONT_STATE_TIMEOUT_NS	(30ULL * 1000000000ULL)
/* How long a backend still Closed gets to answer our Initialising with InitWait. */
#define BLKFRONT_REOPEN_NS		(5ULL * 1000000000ULL)
/* One blkfront_req: BLKIF_MAX_SEGMENTS_PER_REQUEST (11) pages. */
#define BLKFRONT_MAX_BYTES	(11u * 4096u)
/* Queues we use at most, and by default (blkfront_offer_queues()). */
#define BLKFRONT_MAX_QUEUES	4
#define BLKFRONT_DEFAULT_QUEUES	1
/* Ring pages per queue at most: 1 << 2 = 4 pages, 128 requests. */
#define BLKFRONT_RING_ORDER_MAX	2
/* Segments per ring request with indirect descriptors (256 KiB). */
#define BLKFRONT_SEGS_MAX	64
/* blkfront_reqs merged into one ring request at most. */
#define BLKFRONT_MERGE_MAX	16
/* Bounce pages per device (2 MiB), persistently granted when both agree. */
#define BLKFRONT_POOL_PAGES	512
#define BLKFRONT_POOL_PAGES_MAX	1024

struct blkfront_dev;

/* What the backend advertised (blkif.h), as read at connect, and what we use. */
struct blkfront_info {
	unsigned int devid;
	domid_t backend_id;
	uint64_t sectors;		/* 512-byte units */
	uint32_t sector_size;
	uint32_t vdisk_info;		/* VDISK_* */
	bool readonly, flush, discard, persistent;
	uint32_t max_indirect_segments;	/* advertised */
	unsigned int nqueues;		/* in use */
	unsigned int ring_pages;	/* per queue */
	unsigned int segs_per_request;	/* 11, or more with indirect requests */
};

/* Counters since blkfront_open(). */
struct blkfront_stats {
	unsigned long requests;		/* ring requests */
	unsigned long indirect;		/* of which BLKIF_OP_INDIRECT */
	unsigned long merged;		/* blkfront_reqs merged into another's */
	unsigned long reconnects;	/* the backend restarted the device */
	unsigned long resubmitted;	/* requests issued again after one */
};

/*
 * One request: op is BLKIF_OP_READ, _WRITE or _FLUSH_DISKCACHE; sector and
 * len (a multiple of 512, at most BLKFRONT_MAX_BYTES) for reads and
 * writes; buf is any memory of the caller's, which stays the caller's (the
 * data goes through the device's own bounce pages). status is 1 while in
 * flight, then 0 or a negative Xen errno; done (may be NULL) runs from
 * blkfront_poll()/blkfront_wait() when the response came. next is
 * blkfront's own.
 */
struct blkfront_req {
	uint8_t op;
	uint64_t sector;
	void *buf;
	size_t len;
	int status;
	void (*done)(struct blkfront_req *r);
	void *data;
	struct blkfront_req *next;
};

/*
 * Connect to ~/device/vbd/<devid> through the whole xenbus handshake
 * (blocking until the backend is Connected). Returns 0 with *dev_out, or
 * a negative Xen errno after undoing everything: -XEN_ETIMEDOUT if the
 * backend did not reach a state in BLKFRONT_STATE_TIMEOUT_NS, -XEN_ENODEV
 * if it closed. blkfront_last_backend_state() then says where it was.
 */
int blkfront_open(unsigned int devid, struct blkfront_dev **dev_out);
int blkfront_last_backend_state(void);
/* Whether later opens write feature-persistent=1 (the default) or 0. */
void blkfront_offer_persistent(bool offer);
/*
 * How many queues later opens use at most: n is "1".."4" (the guest's
 * blk-queues=); NULL, "" or anything else means BLKFRONT_DEFAULT_QUEUES.
 * The backend may offer fewer.
 */
void blkfront_offer_queues(const char *n);
/* Bounce pages of later opens (BLKFRONT_SEGS_MAX + 1 .. BLKFRONT_POOL_PAGES_MAX). */
void blkfront_set_pool_pages(unsigned int n);
/* The ring-page-order later opens use at most (0..BLKFRONT_RING_ORDER_MAX). */
void blkfront_offer_ring_order(unsigned int order);
const struct blkfront_info *blkfront_get_info(const struct blkfront_dev *dev);
void blkfront_get_stats(const struct blkfront_dev *dev, struct blkfront_stats *out);
const char *blkfront_backend(const struct blkfront_dev *dev);
const char *blkfront_state_name(int state);

/*
 * Queue one request; -XEN_EBUSY when no ring slot or bounce page is free.
 * It goes to the backend at the next blkfront_kick(), blkfront_poll() or
 * blkfront_wait(); until then a request that continues it (same op, the
 * next sector) may be merged into the same ring request.
 */
int blkfront_submit(struct blkfront_dev *dev, struct blkfront_req *req);
/* Put what was submitted on the rings and notify the backend if it asked. */
void blkfront_kick(struct blkfront_dev *dev);
/* Kick, then take responses that arrived; returns how many. Never blocks. */
unsigned int blkfront_poll(struct blkfront_dev *dev);
/* Block until something happened, then poll; -XEN_EIO once broken. */
int blkfront_wait(struct blkfront_dev *dev);
unsigned int blkfront_outstanding(const struct blkfront_dev *dev);
unsigned int blkfront_slots(void);

/* Synchronous helpers: any length (split into ring requests), flush. */
int blkfront_io(struct blkfront_dev *dev, uint8_t op, uint64_t sector,
		void *buf, size_t len);
int blkfront_flush(struct blkfront_dev *dev);

/* Wait for what is outstanding, go Closing/Closed with the backend, free. */
void blkfront_close(struct blkfront_dev *dev);

/*
 * For workloads that play a hostile frontend: queue 0's ring and event
 * channel as they are (NULL if not connected), and the backend's state now.
 */
blkif_front_ring_t *blkfront_raw_ring(struct blkfront_dev *dev, evtchn_port_t *port_out);
/* The same for queue i (0 .. nqueues - 1). */
blkif_front_ring_t *blkfront_raw_queue(struct blkfront_dev *dev, unsigned int i, evtchn_port_t *port_out);
int blkfront_backend_state(struct blkfront_dev *dev);

/* ---- netif frontend (netfront.c) ---- */

#include <xen/io/netif.h>	/* netif_tx_front_ring_t, NETIF_RSP_* */

#define NETFRONT_MAX_DEVS	2
/* Pages each device keeps granted: TX bounce buffers and posted RX buffers. */
#define NETFRONT_TX_BUFS	32
#define NETFRONT_RX_BUFS	64
/* One frame per ring slot (we neither offer nor accept feature-sg chains). */
#define NETFRONT_FRAME_MIN	14
#define NETFRONT_FRAME_MAX	4096u
#define NETFRONT_STATE_TIMEOUT_NS	(30ULL * 1000000000ULL)

struct netfront_dev;

struct netfront_stats {
	unsigned long tx_packets, tx_errors;	/* errors: the backend said so */
	unsigned long rx_packets, rx_errors;	/* errors: bad responses, frames too big */
	unsigned long tx_busy;			/* sends refused: every TX buffer in flight */
};

/*
 * Connect to ~/device/vif/<devid> through the netif handshake (reference
 * §4.4): wait for the backend's InitWait, require feature-rx-copy, grant
 * a TX and an RX ring and the buffers, write tx-ring-ref, rx-ring-ref,
 * event-channel, request-rx-copy=1 and feature-rx-notify=1 in one
 * transaction, go Connected, wait for the backend's Connected, post every
 * RX buffer. Returns 0 with *dev_out, or a negative Xen errno after
 * undoing everything (-XEN_ENODEV: the backend closed or offers no
 * rx-copy; -XEN_ETIMEDOUT).
 */
int netfront_open(unsigned int devid, struct netfront_dev **dev_out);
/* The MAC the toolstack gave the vif (~/device/vif/<devid>/mac). */
const uint8_t *netfront_mac(const struct netfront_dev *dev);
void netfront_get_stats(const struct netfront_dev *dev, struct netfront_stats *out);
/* Still connected: false once the backend closed or broke the protocol. */
bool netfront_is_connected(const struct netfront_dev *dev);

/*
 * Send one Ethernet frame (NETFRONT_FRAME_MIN..NETFRONT_FRAME_MAX bytes),
 * copied into a TX buffer: 0, -XEN_EBUSY if every buffer is in flight,
 * -XEN_EINVAL for a bad length, -XEN_ENODEV once disconnected.
 */
int netfront_send(struct netfront_dev *dev, const void *frame, size_t len);
/*
 * Take one received frame into buf: its length, 0 if none is waiting
 * (or it did not fit size bytes: counted, dropped), -XEN_ENODEV once
 * disconnected. Also takes TX responses and follows a backend that
 * closes (a detach): we go Closing and Closed and release everything.
 */
int netfront_recv(struct netfront_dev *dev, void *buf, size_t size);
/* Go Closing/Closed with the backend, revoke and free everything. */
void netfront_close(struct netfront_dev *dev);

/*
 * For workloads that play a hostile frontend: the TX ring and event
 * channel as they are (NULL if not connected), and the backend's state
 * now. Whoever writes the ring must not call netfront_send/_recv after.
 */
netif_tx_front_ring_t *netfront_raw_tx(struct netfront_dev *dev, evtchn_port_t *port_out);
int netfront_backend_state(struct netfront_dev *dev);

#endif /* PVFRONT_XENFRONT_H */

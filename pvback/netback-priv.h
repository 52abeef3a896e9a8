/*
 * netback-priv.h: pvnetback's internals.
 *
 * pvnetback serves netif (xen/io/netif.h) for every vif whose backend
 * directory appears under /local/domain/0/backend/vif. The main thread
 * runs the xenbus state machine of every vif and owns its tap device
 * (netback.c); each connected vif gets one I/O thread (netio.c) with its
 * own control connection to pvhv, so its ring mappings, event channel and
 * grant mappings go when the thread's connection closes. What the guest
 * put on its TX ring is checked by netreq.c, which sees nothing but
 * private copies.
 */
#ifndef NETBACK_PRIV_H
#define NETBACK_PRIV_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* ring.h leaves its barriers to the includer. */
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/netif.h>

#define NET_PAGE_SIZE		4096u
/* netif.h: XEN_NETIF_NR_SLOTS_MIN, the slots a backend must accept per packet. */
#define NET_TX_SLOTS_MAX	XEN_NETIF_NR_SLOTS_MIN
#define NET_FRAME_MIN		14		/* an Ethernet header */
#define NET_FRAME_MAX		XEN_NETIF_MAX_TX_SIZE	/* 65535 */
/* Packets (TX) and frames (RX) handled per wakeup before looking elsewhere. */
#define NET_BATCH		64

/*
 * One TX packet after validation: its slots (copied out of the ring once)
 * and how many bytes each contributes. status is NETIF_RSP_OKAY, or the
 * status every slot's response carries (NETIF_RSP_ERROR).
 */
struct net_tx_pkt {
	unsigned int nslots;
	netif_tx_request_t slot[NET_TX_SLOTS_MAX];
	uint16_t len[NET_TX_SLOTS_MAX];
	uint32_t total;
	int16_t status;
	const char *why;	/* for the log, when status is not OKAY */
};

/*
 * The outcome of looking at the slots a frontend produced for one packet:
 * a packet (OK, or BAD: answer every slot with an error), not all of its
 * slots produced yet (WAIT), or a frontend that broke the protocol beyond
 * answering (FATAL: close the vif).
 */
enum net_tx_verdict { NET_TX_OK, NET_TX_BAD, NET_TX_WAIT, NET_TX_FATAL };

/*
 * Collects one packet from a TX ring of ring_size slots: the slots from
 * index cons up to (not including) prod (prod - cons <= ring_size, checked
 * by the caller; a packet still unfinished when the ring is full is FATAL), each copied out of shared memory
 * once with get_slot(ring, idx, out), then validated (netreq.c): offset +
 * size within the page, a chain of NETTXF_more_data no longer than
 * NET_TX_SLOTS_MAX, fragment sizes that add up to the first slot's total,
 * a total of at least an Ethernet header, no extra-info slots (we offer no
 * feature that needs them). Never touches shared memory but through
 * get_slot.
 */
typedef void (*net_get_slot_fn)(const void *ring, uint32_t idx, netif_tx_request_t *out);
enum net_tx_verdict netreq_tx_collect(const void *ring, uint32_t ring_size, uint32_t cons,
				      uint32_t prod, net_get_slot_fn get_slot, struct net_tx_pkt *pkt);

/*
 * Validates an RX response's worth of work: a frame of len bytes goes
 * into one posted buffer (we offer no feature-sg toward the guest).
 * Returns true if it fits a page.
 */
bool netreq_rx_fits(size_t len);

const char *netreq_verdict_name(enum net_tx_verdict v);

struct netio;

/* A vif as the main thread sees it. */
struct net_dev {
	unsigned int domid;
	unsigned int devid;
	char bpath[128];		/* backend directory */
	char fpath[128];		/* frontend directory */
	char bridge[IFNAMSIZ];		/* "" if none */
	char ifname[IFNAMSIZ];		/* the tap, vif<domid>.<devid> */
	int state;			/* our XenbusState */
	int tap_fd;			/* -1 before the probe or after a failed one */
	bool probed;
	bool resume;			/* take over the rings an earlier pvnetback served */
	/* What the frontend wrote, read at connect. */
	grant_ref_t tx_ref, rx_ref;
	uint32_t remote_port;
	bool rx_notify;			/* feature-rx-notify */
	/* While connected: */
	bool connected;
	int stop_fd;			/* eventfd: tell the I/O thread to stop */
	pthread_t thread;
	const char *rundir;
	volatile bool broken;		/* the I/O thread gave up on the frontend */
	volatile bool hv_gone;		/* the I/O thread lost pvhv (it died) */
	int wake_fd;			/* the main loop's eventfd, to say so */
	/* Counters, for logs (added by the I/O thread when it stops). */
	uint64_t tx_pkts, tx_errors, rx_pkts, rx_dropped;
	struct net_dev *next;
};

/* netio.c: the I/O thread of one connected vif. */
int netio_start(struct net_dev *d);
void netio_stop(struct net_dev *d);

#endif /* NETBACK_PRIV_H */

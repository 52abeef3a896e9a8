/*
 * blkback-priv.h: pvblkback's internals.
 *
 * pvblkback serves blkif (xen/io/blkif.h) for every vbd whose backend
 * directory appears under /local/domain/0/backend/vbd. The main thread
 * runs the xenbus state machine for every device (blkback.c); each
 * connected device gets one I/O thread (blkio.c) with its own control
 * connection to pvhv, so its ring mapping, event channel and grant
 * mappings all go when the thread's connection closes. Requests are
 * decoded by blkreq.c, which sees nothing but a private copy.
 */
#ifndef BLKBACK_PRIV_H
#define BLKBACK_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* ring.h leaves its barriers to the includer. */
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#include <xen/xen.h>
#include <xen/io/blkif.h>

#define BLK_SECTOR_SHIFT	9
#define BLK_DIRECT_SEGS_MAX	BLKIF_MAX_SEGMENTS_PER_REQUEST	/* 11 */
/*
 * feature-max-indirect-segments: 256 segments (1 MiB of 4 KiB pages, the
 * value Linux blkback advertises) fit in one indirect page of 512
 * segments, so an indirect request maps at most one page of segments.
 */
#define BLK_SEGS_MAX		256
#define BLK_SEGS_PER_PAGE	(4096 / sizeof(struct blkif_request_segment))
#define BLK_IND_PAGES_MAX	((BLK_SEGS_MAX + BLK_SEGS_PER_PAGE - 1) / BLK_SEGS_PER_PAGE)
#define BLK_PERSISTENT_MAX	1056		/* Linux blkback's max_persistent_grants */
#define BLK_RING_ORDER_MAX	4		/* 16 pages, 512 requests (XENBUS_MAX_RING_GRANT_ORDER) */
#define BLK_RING_PAGES_MAX	(1u << BLK_RING_ORDER_MAX)
#define BLK_QUEUES_MAX		16		/* the most --max-queues accepts */
#define BLK_QUEUES_DEFAULT	4
#define BLK_POLL_US_DEFAULT	20

/* One segment of a decoded request: a grant and a byte range in its page. */
struct blk_seg {
	grant_ref_t gref;
	uint16_t offset;	/* bytes into the page */
	uint16_t len;		/* bytes */
};

/*
 * A request after validation: everything the I/O path may use. op is the
 * operation the response echoes (BLKIF_OP_INDIRECT for an indirect
 * request), io the one done (never BLKIF_OP_INDIRECT).
 */
struct blk_op {
	uint64_t id;
	uint8_t op;		/* BLKIF_OP_*, as the request said */
	uint8_t io;		/* READ, WRITE, FLUSH_DISKCACHE or DISCARD */
	uint16_t nseg;
	uint64_t sector;
	uint64_t offset;	/* bytes into the disk */
	uint64_t len;		/* bytes, for read/write/discard */
	/* An indirect request before blkreq_decode_indirect(): its pages. */
	uint8_t nind;
	grant_ref_t ind_gref[BLK_IND_PAGES_MAX];
	struct blk_seg seg[BLK_SEGS_MAX];
};

struct blk_disk {
	uint64_t sectors;	/* in 512-byte units */
	bool readonly;
	bool can_discard;
	unsigned int max_indirect;	/* 0: indirect requests are refused */
};

/*
 * Copies one request out of its ring slot with a single memcpy (what
 * RING_COPY_REQUEST does); everything after looks at the copy only.
 */
void blkreq_copy(const void *slot, blkif_request_t *out);

/*
 * Decodes a private copy of a request. Returns BLKIF_RSP_OKAY with *out
 * filled, or the status the response must carry (BLKIF_RSP_ERROR,
 * BLKIF_RSP_EOPNOTSUPP). Never touches shared memory. For an indirect
 * request, OKAY means the ring slot was valid: out->nind pages of
 * segments (out->ind_gref) must then be mapped and passed to
 * blkreq_decode_indirect().
 */
int blkreq_decode(const blkif_request_t *req, const struct blk_disk *disk, struct blk_op *out);

/*
 * The second half of an indirect request: copies out->nseg segments out
 * of the mapped indirect pages (shared, hostile: read once, one memcpy
 * per page) and validates the copy as for a direct request.
 */
int blkreq_decode_indirect(struct blk_op *op, const void *const pages[], const struct blk_disk *disk);
const char *blkreq_op_name(uint8_t op);

/*
 * The frontend's multi-queue-num-queues and ring-page-order, each as read
 * (rc 0, -ENOENT if absent, another negative errno if not a number),
 * against what we advertised: NULL if usable, else why not.
 */
const char *blkreq_check_layout(int nq_rc, uint32_t nq, int order_rc, uint32_t order,
				unsigned int max_queues, unsigned int max_order);

/*
 * Test hook: called with the shared memory just after each copy out of it
 * (a ring slot or an indirect page), so a test can play the frontend that
 * rewrites it between the backend's reads. NULL outside tests.
 */
extern void (*blkreq_after_copy_hook)(const void *shared, size_t len);

/* pvblkback's options (blkback.c's command line). */
struct blk_opts {
	unsigned int max_queues;	/* multi-queue-max-queues */
	unsigned int max_ring_order;	/* max-ring-page-order */
	unsigned int max_indirect;	/* feature-max-indirect-segments */
	unsigned int max_persistent;	/* persistent grants per queue, LRU beyond */
	unsigned int poll_us;		/* spin on the ring this long before sleeping */
};

struct blkio;

/* One queue: what the frontend wrote for it, and its thread while connected. */
struct blk_queue {
	grant_ref_t ring_ref[BLK_RING_PAGES_MAX];
	uint32_t remote_port;
	bool running;
	pthread_t thread;
	struct blkio *io;
};

/* A device as the main thread sees it. */
struct blk_dev {
	unsigned int domid;
	unsigned int devid;
	char bpath[128];		/* backend directory */
	char fpath[128];		/* frontend directory */
	int state;			/* our XenbusState */
	int fe_state;
	int fd;				/* the backing file or device */
	struct blk_disk disk;
	char params[4096];
	bool direct;			/* opened with O_DIRECT */
	/* While connected: */
	bool connected;
	int stop_fd;			/* eventfd: tell the I/O threads to stop */
	unsigned int ring_order;	/* each queue's ring: 1 << ring_order pages */
	unsigned int nqueues;
	struct blk_queue q[BLK_QUEUES_MAX];
	bool persistent;
	const struct blk_opts *opts;
	const char *rundir;
	volatile bool broken;		/* an I/O thread gave up on the frontend */
	volatile bool hv_gone;		/* an I/O thread lost pvhv (it died) */
	int wake_fd;			/* the main loop's eventfd, to say so */
	/* Counters, for logs (summed from the queues at stop). */
	uint64_t reqs, errors, indirect, evictions;
	struct blk_dev *next;
};

/* blkio.c: the I/O threads of one connected device, one per queue. */
int blkio_start(struct blk_dev *d);
void blkio_stop(struct blk_dev *d);

#endif /* BLKBACK_PRIV_H */

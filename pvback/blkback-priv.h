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
#define BLK_SEGS_MAX		BLKIF_MAX_SEGMENTS_PER_REQUEST
#define BLK_PERSISTENT_MAX	1056		/* Linux blkback's max_persistent_grants */

/* One segment of a decoded request: a grant and a byte range in its page. */
struct blk_seg {
	grant_ref_t gref;
	uint16_t offset;	/* bytes into the page */
	uint16_t len;		/* bytes */
};

/* A request after validation: everything the I/O path may use. */
struct blk_op {
	uint64_t id;
	uint8_t op;		/* BLKIF_OP_* */
	uint8_t nseg;
	uint64_t offset;	/* bytes into the disk */
	uint64_t len;		/* bytes, for read/write/discard */
	struct blk_seg seg[BLK_SEGS_MAX];
};

struct blk_disk {
	uint64_t sectors;	/* in 512-byte units */
	bool readonly;
	bool can_discard;
};

/*
 * Decodes a private copy of a request. Returns BLKIF_RSP_OKAY with *out
 * filled, or the status the response must carry (BLKIF_RSP_ERROR,
 * BLKIF_RSP_EOPNOTSUPP). Never touches shared memory.
 */
int blkreq_decode(const blkif_request_t *req, const struct blk_disk *disk, struct blk_op *out);
const char *blkreq_op_name(uint8_t op);

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
	pthread_t thread;
	int stop_fd;			/* eventfd: tell the I/O thread to stop */
	grant_ref_t ring_ref;
	uint32_t remote_port;
	bool persistent;
	const char *rundir;
	volatile bool broken;		/* the I/O thread gave up on the frontend */
	int wake_fd;			/* the main loop's eventfd, to say so */
	/* Counters, for logs. */
	uint64_t reqs, errors;
	struct blk_dev *next;
};

/* blkio.c: the I/O thread of one connected device. */
int blkio_start(struct blk_dev *d);
void blkio_stop(struct blk_dev *d);

#endif /* BLKBACK_PRIV_H */

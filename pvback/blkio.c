/*
 * blkio.c: one connected vbd's I/O thread.
 *
 * The thread owns a control connection to pvhv through which it mapped
 * the ring, bound the event channel and maps data grants; closing it at
 * the end releases all of them even if something went wrong.
 *
 * The loop, per wake-up (the event channel, io_uring completions, or a
 * stop request):
 *   1. read req_prod once, barrier, check it against req_cons and the ring
 *      size (a frontend that lies is disconnected: the thread stops and
 *      the main loop moves the device to Closing);
 *   2. copy each request out of the ring (RING_COPY_REQUEST) and decode
 *      the copy (blkreq.c); answer bad requests at once;
 *   3. map the request's grants (kept mapped across requests when the
 *      frontend uses persistent grants), queue one readv/writev, fdatasync
 *      or hole punch on io_uring;
 *   4. for each completion, unmap what is not persistent and write a
 *      response with every field set, then push responses and notify only
 *      if the frontend asked (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY), and
 *      check for more requests before sleeping (RING_FINAL_CHECK_FOR_*).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blkback-priv.h"
#include "hvclient.h"
#include "sv.h"

#define QUEUE_DEPTH	64

struct slot {
	bool used;
	struct blk_op op;
	uint32_t handle[BLK_SEGS_MAX];	/* data grants mapped for this request */
	void *page[BLK_SEGS_MAX];
	bool persistent[BLK_SEGS_MAX];
	struct iovec iov[BLK_SEGS_MAX];
	bool retried;
};

struct pgrant {
	grant_ref_t gref;
	uint32_t handle;
	void *page;
};

struct blkio {
	struct blk_dev *d;
	int hv;
	void *ring_page;
	uint32_t ring_handle;
	blkif_back_ring_t ring;
	struct hvc_evtchn ev;
	int fd_buffered;		/* for O_DIRECT requests the kernel refuses */
	struct io_uring uring;
	int uring_evfd;
	unsigned int inflight;
	struct slot slots[QUEUE_DEPTH];
	struct pgrant pgrants[BLK_PERSISTENT_MAX];
	unsigned int npgrants;
	bool broken;
	struct sv_ratelimit rl;
};

static void warn(struct blkio *io, const char *what)
{
	unsigned long missed = 0;

	if (sv_ratelimit_ok(&io->rl, &missed))
		sv_warn("vbd %u/%u: %s", io->d->domid, io->d->devid, what);
}

static void *persistent_get(struct blkio *io, grant_ref_t gref)
{
	char err[200];
	uint32_t handle;
	void *page;

	for (unsigned int i = 0; i < io->npgrants; i++)
		if (io->pgrants[i].gref == gref)
			return io->pgrants[i].page;
	if (io->npgrants == BLK_PERSISTENT_MAX)
		return NULL;
	/* blkif.h: persistent grants are always read-write. */
	if (hvc_gnt_map(io->hv, io->d->domid, gref, false, &handle, &page, err, sizeof(err)) < 0)
		return NULL;
	io->pgrants[io->npgrants++] = (struct pgrant){ gref, handle, page };
	return page;
}

static void unmap_slot(struct blkio *io, struct slot *s)
{
	for (unsigned int i = 0; i < s->op.nseg; i++) {
		if (s->page[i] && !s->persistent[i])
			hvc_gnt_unmap(io->hv, s->handle[i], s->page[i]);
		s->page[i] = NULL;
	}
}

/* Maps every segment; a read writes into the guest's pages. */
static int map_segments(struct blkio *io, struct slot *s)
{
	bool readonly = s->op.op == BLKIF_OP_WRITE;
	char err[200];

	for (unsigned int i = 0; i < s->op.nseg; i++) {
		const struct blk_seg *g = &s->op.seg[i];

		s->persistent[i] = io->d->persistent;
		s->page[i] = io->d->persistent ? persistent_get(io, g->gref) : NULL;
		if (!s->page[i]) {
			s->persistent[i] = false;
			if (hvc_gnt_map(io->hv, io->d->domid, g->gref, readonly, &s->handle[i],
					&s->page[i], err, sizeof(err)) < 0) {
				s->page[i] = NULL;
				warn(io, err);
				return -EPERM;
			}
		}
		s->iov[i].iov_base = (char *)s->page[i] + g->offset;
		s->iov[i].iov_len = g->len;
	}
	return 0;
}

static void respond(struct blkio *io, uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t *rsp = RING_GET_RESPONSE(&io->ring, io->ring.rsp_prod_pvt);
	blkif_response_t r;
	int notify;

	memset(&r, 0, sizeof(r));	/* no stale padding reaches the guest */
	r.id = id;
	r.operation = op;
	r.status = status;
	memcpy(rsp, &r, sizeof(r));
	io->ring.rsp_prod_pvt++;
	/* ring.h: the write barrier before rsp_prod pairs with the frontend's rmb. */
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->ring, notify);
	if (status != BLKIF_RSP_OKAY)
		io->d->errors++;
	if (notify)
		hvc_evtchn_kick(io->hv, &io->ev);
}

static void submit(struct blkio *io, struct slot *s, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->uring);

	switch (s->op.op) {
	case BLKIF_OP_READ:
		io_uring_prep_readv(sqe, fd, s->iov, s->op.nseg, s->op.offset);
		break;
	case BLKIF_OP_WRITE:
		io_uring_prep_writev(sqe, fd, s->iov, s->op.nseg, s->op.offset);
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BLKIF_OP_DISCARD:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					s->op.offset, s->op.len);
		break;
	}
	io_uring_sqe_set_data(sqe, s);
	io->inflight++;
}

static struct slot *free_slot(struct blkio *io)
{
	for (unsigned int i = 0; i < QUEUE_DEPTH; i++)
		if (!io->slots[i].used)
			return &io->slots[i];
	return NULL;
}

static void handle_request(struct blkio *io, const blkif_request_t *req)
{
	struct slot *s = free_slot(io);
	int st;

	memset(s, 0, sizeof(*s));
	io->d->reqs++;
	st = blkreq_decode(req, &io->d->disk, &s->op);
	if (st != BLKIF_RSP_OKAY) {
		respond(io, req->id, req->operation, (int16_t)st);
		return;
	}
	if ((s->op.op == BLKIF_OP_READ || s->op.op == BLKIF_OP_WRITE) && map_segments(io, s) < 0) {
		unmap_slot(io, s);
		respond(io, s->op.id, s->op.op, BLKIF_RSP_ERROR);
		return;
	}
	s->used = true;
	submit(io, s, io->d->fd);
}

/* Steps 1 and 2: consume what the frontend produced, bounded by our slots. */
static void consume(struct blkio *io)
{
	int more;

	do {
		RING_IDX rp = io->ring.sring->req_prod;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* pairs with the frontend's wmb */
		if (rp - io->ring.req_cons > RING_SIZE(&io->ring)) {
			warn(io, "the frontend's request producer index is beyond the ring; closing the device");
			io->broken = true;
			return;
		}
		while (io->ring.req_cons != rp && io->inflight < QUEUE_DEPTH) {
			blkif_request_t req;

			RING_COPY_REQUEST(&io->ring, io->ring.req_cons, &req);
			io->ring.req_cons++;
			handle_request(io, &req);
		}
		io_uring_submit(&io->uring);
		if (io->inflight == QUEUE_DEPTH)
			return;		/* completions will bring us back */
		RING_FINAL_CHECK_FOR_REQUESTS(&io->ring, more);
	} while (more);
}

static void complete(struct blkio *io, struct io_uring_cqe *cqe)
{
	struct slot *s = io_uring_cqe_get_data(cqe);
	int res = cqe->res;
	int16_t st;

	io->inflight--;
	/* O_DIRECT refuses some layouts: try once more through the page cache. */
	if (res == -EINVAL && io->d->direct && !s->retried && io->fd_buffered >= 0) {
		s->retried = true;
		submit(io, s, io->fd_buffered);
		io_uring_submit(&io->uring);
		return;
	}
	if (s->op.op == BLKIF_OP_READ || s->op.op == BLKIF_OP_WRITE)
		st = res == (int)s->op.len ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
	else
		st = res == 0 ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
	if (st != BLKIF_RSP_OKAY && res < 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s at byte %llu: %s", blkreq_op_name(s->op.op),
			 (unsigned long long)s->op.offset, strerror(-res));
		warn(io, msg);
	}
	unmap_slot(io, s);
	s->used = false;
	respond(io, s->op.id, s->op.op, st);
}

static void reap(struct blkio *io)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&io->uring, &cqe) == 0) {
		complete(io, cqe);
		io_uring_cqe_seen(&io->uring, cqe);
	}
}

static void drain(struct blkio *io)
{
	struct io_uring_cqe *cqe;

	while (io->inflight && io_uring_wait_cqe(&io->uring, &cqe) == 0) {
		complete(io, cqe);
		io_uring_cqe_seen(&io->uring, cqe);
	}
}

static void *run(void *arg)
{
	struct blkio *io = arg;
	struct pollfd p[3] = {
		{ .fd = io->ev.evfd, .events = POLLIN }, { .fd = io->uring_evfd, .events = POLLIN },
		{ .fd = io->d->stop_fd, .events = POLLIN },
	};

	consume(io);	/* requests may be waiting already */
	while (!io->broken) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			break;
		hvc_evtchn_ack(io->ev.evfd);
		hvc_evtchn_ack(io->uring_evfd);
		reap(io);
		consume(io);
	}
	drain(io);
	if (io->broken) {
		uint64_t one = 1;

		io->d->broken = true;	/* the main loop closes the device */
		if (write(io->d->wake_fd, &one, sizeof(one)) < 0)
			warn(io, "cannot wake the main loop to close the device");
	}
	return io;
}

static void release(struct blkio *io)
{
	for (unsigned int i = 0; i < io->npgrants; i++)
		hvc_gnt_unmap(io->hv, io->pgrants[i].handle, io->pgrants[i].page);
	if (io->ring_page)
		hvc_gnt_unmap(io->hv, io->ring_handle, io->ring_page);
	if (io->uring_evfd >= 0) {
		io_uring_queue_exit(&io->uring);
		close(io->uring_evfd);
	}
	hvc_evtchn_close(io->hv, &io->ev);
	if (io->fd_buffered >= 0)
		close(io->fd_buffered);
	if (io->hv >= 0)
		close(io->hv);	/* pvhv releases anything left */
	free(io);
}

static int setup(struct blkio *io, char *err, size_t errlen)
{
	struct blk_dev *d = io->d;
	int rc;

	io->hv = hvc_open(d->rundir, err, errlen);
	if (io->hv < 0)
		return io->hv;
	rc = hvc_gnt_map(io->hv, d->domid, d->ring_ref, false, &io->ring_handle, &io->ring_page,
			 err, errlen);
	if (rc < 0)
		return rc;
	BACK_RING_INIT(&io->ring, (blkif_sring_t *)io->ring_page, 4096);
	rc = hvc_evtchn_open(io->hv, d->domid, d->remote_port, &io->ev, err, errlen);
	if (rc < 0)
		return rc;
	io->uring_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->uring_evfd < 0 || io_uring_queue_init(QUEUE_DEPTH * 2, &io->uring, 0) < 0) {
		snprintf(err, errlen, "cannot set up io_uring");
		return -ENOMEM;
	}
	io_uring_register_eventfd(&io->uring, io->uring_evfd);
	if (d->direct)
		io->fd_buffered = open(d->params, (d->disk.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	return 0;
}

int blkio_start(struct blk_dev *d)
{
	struct blkio *io = calloc(1, sizeof(*io));
	struct sv_ratelimit rl = SV_RATELIMIT_INIT(10, 1);
	char err[256] = "";
	int rc;

	if (!io)
		return -ENOMEM;
	io->d = d;
	io->hv = io->ev.evfd = io->ev.kick_fd = io->uring_evfd = io->fd_buffered = -1;
	io->rl = rl;
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	rc = d->stop_fd < 0 ? -errno : setup(io, err, sizeof(err));
	if (rc == 0)
		rc = -pthread_create(&d->thread, NULL, run, io);
	if (rc < 0) {
		sv_warn("vbd %u/%u: cannot connect: %s", d->domid, d->devid, err[0] ? err : strerror(-rc));
		release(io);
		if (d->stop_fd >= 0)
			close(d->stop_fd);
		d->stop_fd = -1;
		return rc;
	}
	d->connected = true;
	return 0;
}

void blkio_stop(struct blk_dev *d)
{
	uint64_t one = 1;
	void *io;

	if (!d->connected)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) < 0)
		sv_warn("vbd %u/%u: cannot signal its I/O thread", d->domid, d->devid);
	pthread_join(d->thread, &io);
	release(io);
	close(d->stop_fd);
	d->stop_fd = -1;
	d->connected = false;
}

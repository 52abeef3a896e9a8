/*
 * blkio.c: the I/O threads of one connected vbd, one per queue.
 *
 * Each queue's thread owns a control connection to pvhv through which it
 * mapped its ring (1 << ring_order pages, made contiguous with mremap),
 * bound its event channel and maps data grants; closing it at the end
 * releases all of them even if something went wrong.
 *
 * The loop:
 *   1. reap io_uring completions: unmap what is not persistent, write a
 *      response with every field set (responses are pushed once per batch,
 *      and the frontend kicked only if its rsp_event asks for it);
 *   2. read req_prod once, fence, and check it against what we answered
 *      and the ring size (a frontend that lies is disconnected: the thread
 *      stops and the main loop moves the device to Closing);
 *   3. copy each request out of the ring (blkreq_copy) and decode the copy
 *      (blkreq.c); for an indirect request, map its pages of segments
 *      read-only, copy the segments out once, unmap, and decode the copy;
 *      answer bad requests at once;
 *   4. map the request's data grants (persistent ones from a bounded LRU
 *      cache, else per request) and queue one readv/writev, fdatasync or
 *      hole punch on io_uring;
 *   5. with nothing left to do, spin on the ring and the completion queue
 *      for up to --poll-us microseconds with notifications still off; then
 *      arm them (RING_FINAL_CHECK_FOR_REQUESTS sets req_event and looks
 *      again) and sleep in poll() on the event channel, io_uring's eventfd
 *      and the device's stop eventfd.
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
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "blkback-priv.h"
#include "hvclient.h"
#include "sv.h"

#define QUEUE_DEPTH	64
#define PAGE_SIZE	4096u
#define PC_HASH		1024		/* buckets of the persistent grant cache */

struct slot {
	bool used;
	bool retried;
	struct blk_op op;
	uint32_t handle[BLK_SEGS_MAX];	/* data grants mapped for this request only */
	void *page[BLK_SEGS_MAX];
	int pgrant[BLK_SEGS_MAX];	/* index in the persistent cache, or -1 */
	struct iovec iov[BLK_SEGS_MAX];
};

/* One persistently mapped grant: kept until evicted or the queue stops. */
struct pgrant {
	grant_ref_t gref;
	uint32_t handle;
	void *page;
	unsigned int users;		/* requests in flight using it */
	uint64_t last_use;
	int next;			/* hash chain, -1 ends it */
};

struct pcache {
	struct pgrant *e;
	unsigned int n, max;
	int head[PC_HASH];
	uint64_t clock, evictions;
};

struct blkio {
	struct blk_dev *d;
	unsigned int qi;
	int hv;
	void *ring_area;
	unsigned int ring_pages;	/* mapped so far */
	uint32_t ring_handle[BLK_RING_PAGES_MAX];
	blkif_back_ring_t ring;
	struct hvc_evtchn ev;
	int fd_buffered;		/* for O_DIRECT requests the kernel refuses */
	struct io_uring uring;
	bool uring_up;
	int uring_evfd;
	unsigned int inflight;
	struct slot slots[QUEUE_DEPTH];
	struct pcache pc;
	bool broken;
	bool hv_gone;		/* pvhv hung up: it died, and the guest with it */
	uint64_t reqs, errors, indirect;
	struct sv_ratelimit rl;
};

static void warn(struct blkio *io, const char *what)
{
	unsigned long missed = 0;

	if (sv_ratelimit_ok(&io->rl, &missed))
		sv_warn("vbd %u/%u queue %u: %s", io->d->domid, io->d->devid, io->qi, what);
}

/* ---- the persistent grant cache: a hash on gref, LRU among the unused ---- */

static void pc_init(struct pcache *pc, unsigned int max)
{
	pc->max = max;
	pc->e = max ? calloc(max, sizeof(*pc->e)) : NULL;
	if (!pc->e)
		pc->max = 0;
	for (unsigned int i = 0; i < PC_HASH; i++)
		pc->head[i] = -1;
}

static void pc_unlink(struct pcache *pc, int idx)
{
	int *pp = &pc->head[pc->e[idx].gref % PC_HASH];

	while (*pp != idx)
		pp = &pc->e[*pp].next;
	*pp = pc->e[idx].next;
}

/* The least recently used entry no request in flight uses, or -1. */
static int pc_victim(const struct pcache *pc)
{
	int best = -1;

	for (unsigned int i = 0; i < pc->n; i++)
		if (!pc->e[i].users && (best < 0 || pc->e[i].last_use < pc->e[best].last_use))
			best = (int)i;
	return best;
}

/*
 * The cache entry for gref, mapped read-write (blkif.h: persistent grants
 * always are), with one more user; -1 if it cannot be cached (the caller
 * maps it for this request only).
 */
static int pc_get(struct blkio *io, grant_ref_t gref)
{
	struct pcache *pc = &io->pc;
	char err[200];
	uint32_t handle;
	void *page;
	int idx;

	for (idx = pc->head[gref % PC_HASH]; idx >= 0; idx = pc->e[idx].next)
		if (pc->e[idx].gref == gref)
			break;
	if (idx < 0) {
		if (pc->max == 0)
			return -1;
		if (pc->n < pc->max) {
			idx = (int)pc->n;
		} else {
			idx = pc_victim(pc);
			if (idx < 0)
				return -1;	/* every entry is busy */
		}
		if (hvc_gnt_map(io->hv, io->d->domid, gref, false, &handle, &page, err, sizeof(err)) < 0)
			return -1;
		if (idx < (int)pc->n) {		/* evict the old entry */
			pc_unlink(pc, idx);
			hvc_gnt_unmap(io->hv, pc->e[idx].handle, pc->e[idx].page);
			pc->evictions++;
		} else {
			pc->n++;
		}
		pc->e[idx] = (struct pgrant){ .gref = gref, .handle = handle, .page = page,
					      .next = pc->head[gref % PC_HASH] };
		pc->head[gref % PC_HASH] = idx;
	}
	pc->e[idx].users++;
	pc->e[idx].last_use = ++pc->clock;
	return idx;
}

static void pc_release(struct blkio *io)
{
	for (unsigned int i = 0; i < io->pc.n; i++)
		hvc_gnt_unmap(io->hv, io->pc.e[i].handle, io->pc.e[i].page);
	free(io->pc.e);
	io->pc.e = NULL;
	io->pc.n = 0;
}

/* ---- requests ---- */

static void unmap_slot(struct blkio *io, struct slot *s)
{
	for (unsigned int i = 0; i < s->op.nseg; i++) {
		if (s->pgrant[i] >= 0)
			io->pc.e[s->pgrant[i]].users--;
		else if (s->page[i])
			hvc_gnt_unmap(io->hv, s->handle[i], s->page[i]);
		s->page[i] = NULL;
		s->pgrant[i] = -1;
	}
}

/* Maps every segment; a read writes into the guest's pages. */
static int map_segments(struct blkio *io, struct slot *s)
{
	bool readonly = s->op.io == BLKIF_OP_WRITE;
	char err[200];

	for (unsigned int i = 0; i < s->op.nseg; i++)
		s->pgrant[i] = -1;
	for (unsigned int i = 0; i < s->op.nseg; i++) {
		const struct blk_seg *g = &s->op.seg[i];

		if (io->d->persistent && (s->pgrant[i] = pc_get(io, g->gref)) >= 0) {
			s->page[i] = io->pc.e[s->pgrant[i]].page;
		} else if (hvc_gnt_map(io->hv, io->d->domid, g->gref, readonly, &s->handle[i],
				       &s->page[i], err, sizeof(err)) < 0) {
			s->page[i] = NULL;
			warn(io, err);
			return -EPERM;
		}
		s->iov[i].iov_base = (char *)s->page[i] + g->offset;
		s->iov[i].iov_len = g->len;
	}
	return 0;
}

/* Maps an indirect request's pages of segments read-only, decodes a copy, unmaps. */
/*
 * Maps the request's pages of segments and decodes them (from a private
 * copy). With persistent grants a frontend takes its indirect pages from
 * its persistently granted pool, so they come from the cache like data
 * pages instead of costing a map and an unmap through pvhv each time;
 * a ref the cache cannot hold is mapped read-only for this request.
 */
static int fetch_indirect(struct blkio *io, struct blk_op *op)
{
	const void *pages[BLK_IND_PAGES_MAX] = { NULL };
	void *mapped[BLK_IND_PAGES_MAX];
	uint32_t handle[BLK_IND_PAGES_MAX];
	int cached[BLK_IND_PAGES_MAX];
	char err[200];
	int st = BLKIF_RSP_OKAY;
	unsigned int n;

	for (n = 0; n < op->nind; n++) {
		cached[n] = io->d->persistent ? pc_get(io, op->ind_gref[n]) : -1;
		if (cached[n] >= 0) {
			pages[n] = io->pc.e[cached[n]].page;
			continue;
		}
		if (hvc_gnt_map(io->hv, io->d->domid, op->ind_gref[n], true, &handle[n], &mapped[n],
				err, sizeof(err)) < 0) {
			warn(io, err);
			st = BLKIF_RSP_ERROR;
			break;
		}
		pages[n] = mapped[n];
	}
	if (st == BLKIF_RSP_OKAY)
		st = blkreq_decode_indirect(op, pages, &io->d->disk);
	while (n--) {
		if (cached[n] >= 0)
			io->pc.e[cached[n]].users--;
		else
			hvc_gnt_unmap(io->hv, handle[n], mapped[n]);
	}
	return st;
}

/*
 * The operation a response carries: the request's own, except that an
 * indirect request is answered with its inner operation (indirect_op),
 * as Xen's blkback does and Linux's xen-blkfront checks.
 */
static uint8_t response_op(const struct blk_op *op)
{
	return op->op == BLKIF_OP_INDIRECT ? op->io : op->op;
}

/* Writes one response (not yet visible: push_responses() publishes). */
static void respond(struct blkio *io, uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t *rsp = RING_GET_RESPONSE(&io->ring, io->ring.rsp_prod_pvt);
	blkif_response_t r;

	memset(&r, 0, sizeof(r));	/* no stale padding reaches the guest */
	r.id = id;
	r.operation = op;
	r.status = status;
	memcpy(rsp, &r, sizeof(r));
	io->ring.rsp_prod_pvt++;
	if (status != BLKIF_RSP_OKAY)
		io->errors++;
}

static void push_responses(struct blkio *io)
{
	int notify;

	/* ring.h: the write barrier before rsp_prod pairs with the frontend's rmb;
	 * the frontend's rsp_event says whether it wants an event. */
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->ring, notify);
	if (notify)
		hvc_evtchn_kick(io->hv, &io->ev);
}

static void submit(struct blkio *io, struct slot *s, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->uring);

	switch (s->op.io) {
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

	s->retried = false;
	io->reqs++;
	st = blkreq_decode(req, &io->d->disk, &s->op);
	if (st != BLKIF_RSP_OKAY) {
		respond(io, req->id, req->operation, (int16_t)st);
		return;
	}
	if (s->op.op == BLKIF_OP_INDIRECT) {
		io->indirect++;
		st = fetch_indirect(io, &s->op);
	}
	if (st != BLKIF_RSP_OKAY) {
		respond(io, s->op.id, response_op(&s->op), (int16_t)st);
		return;
	}
	if ((s->op.io == BLKIF_OP_READ || s->op.io == BLKIF_OP_WRITE) && map_segments(io, s) < 0) {
		unmap_slot(io, s);
		respond(io, s->op.id, response_op(&s->op), BLKIF_RSP_ERROR);
		return;
	}
	s->used = true;
	submit(io, s, io->d->fd);
}

/* Steps 2 and 3: consume what the frontend produced, bounded by our slots. */
static void consume(struct blkio *io)
{
	RING_IDX rp = __atomic_load_n(&io->ring.sring->req_prod, __ATOMIC_RELAXED);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* pairs with the frontend's wmb */
	/* More requests outstanding than the ring holds: it lies (RING_REQUEST_PROD_OVERFLOW). */
	if (rp - io->ring.rsp_prod_pvt > RING_SIZE(&io->ring)) {
		warn(io, "the frontend's request producer index is beyond the ring; closing the device");
		io->broken = true;
		return;
	}
	while (io->ring.req_cons != rp && io->inflight < QUEUE_DEPTH) {
		blkif_request_t req;

		blkreq_copy(RING_GET_REQUEST(&io->ring, io->ring.req_cons), &req);
		io->ring.req_cons++;
		handle_request(io, &req);
	}
	io_uring_submit(&io->uring);
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
	if (s->op.io == BLKIF_OP_READ || s->op.io == BLKIF_OP_WRITE)
		st = res == (int)s->op.len ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
	else
		st = res == 0 ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
	if (st != BLKIF_RSP_OKAY) {
		char msg[160];

		/* A short write is no success (a full disk says so this way too). */
		snprintf(msg, sizeof(msg), "%s at byte %llu: %s", blkreq_op_name(s->op.io),
			 (unsigned long long)s->op.offset,
			 res < 0 ? strerror(-res) : "short transfer");
		warn(io, msg);
	}
	unmap_slot(io, s);
	s->used = false;
	respond(io, s->op.id, response_op(&s->op), st);
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
	push_responses(io);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Something to do without sleeping: requests we have room for, or completions. */
static bool has_work(struct blkio *io)
{
	RING_IDX rp = __atomic_load_n(&io->ring.sring->req_prod, __ATOMIC_RELAXED);

	return (rp != io->ring.req_cons && io->inflight < QUEUE_DEPTH) ||
	       io_uring_cq_ready(&io->uring);
}

/* Step 5's spin: notifications stay off while we look. */
static bool poll_briefly(struct blkio *io)
{
	uint64_t end;

	if (!io->d->opts->poll_us)
		return false;
	end = now_ns() + (uint64_t)io->d->opts->poll_us * 1000u;
	do {
		if (has_work(io))
			return true;
		__builtin_ia32_pause();
	} while (now_ns() < end);
	return false;
}

static void *run(void *arg)
{
	struct blkio *io = arg;
	/* pvhv answers on io->hv only when asked: readable or hung up means it died. */
	struct pollfd p[4] = {
		{ .fd = io->ev.evfd, .events = POLLIN }, { .fd = io->uring_evfd, .events = POLLIN },
		{ .fd = io->d->stop_fd, .events = POLLIN }, { .fd = io->hv, .events = POLLIN },
	};

	for (;;) {
		int more;

		reap(io);
		consume(io);
		push_responses(io);
		if (io->broken)
			break;
		if (poll_briefly(io))
			continue;
		RING_FINAL_CHECK_FOR_REQUESTS(&io->ring, more);
		if ((more && io->inflight < QUEUE_DEPTH) || io_uring_cq_ready(&io->uring))
			continue;
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			break;
		if (p[3].revents) {
			io->hv_gone = true;
			break;
		}
		hvc_evtchn_ack(io->ev.evfd);
		hvc_evtchn_ack(io->uring_evfd);
	}
	drain(io);
	if (io->broken || io->hv_gone) {
		uint64_t one = 1;

		/* The main loop closes the device, or releases it for a pvhv that died. */
		if (io->hv_gone)
			io->d->hv_gone = true;
		else
			io->d->broken = true;
		if (write(io->d->wake_fd, &one, sizeof(one)) < 0)
			warn(io, "cannot wake the main loop to close the device");
	}
	return io;
}

static void release(struct blkio *io)
{
	struct blk_dev *d = io->d;

	pc_release(io);
	for (unsigned int i = 0; i < io->ring_pages; i++)
		hvc_gnt_unmap(io->hv, io->ring_handle[i], (char *)io->ring_area + i * PAGE_SIZE);
	if (io->ring_area)
		munmap(io->ring_area, (size_t)PAGE_SIZE << d->ring_order);
	if (io->uring_up)
		io_uring_queue_exit(&io->uring);
	if (io->uring_evfd >= 0)
		close(io->uring_evfd);
	hvc_evtchn_close(io->hv, &io->ev);
	if (io->fd_buffered >= 0)
		close(io->fd_buffered);
	if (io->hv >= 0)
		close(io->hv);	/* pvhv releases anything left */
	__atomic_fetch_add(&d->reqs, io->reqs, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->errors, io->errors, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->indirect, io->indirect, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->evictions, io->pc.evictions, __ATOMIC_RELAXED);
	free(io);
}

/* The queue's ring pages, mapped one by one and moved next to each other. */
static int map_ring(struct blkio *io, const struct blk_queue *q, char *err, size_t errlen)
{
	unsigned int n = 1u << io->d->ring_order;
	int rc;

	io->ring_area = mmap(NULL, (size_t)PAGE_SIZE * n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (io->ring_area == MAP_FAILED) {
		io->ring_area = NULL;
		snprintf(err, errlen, "cannot reserve %u pages for the ring", n);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		char *want = (char *)io->ring_area + i * PAGE_SIZE;
		void *page;

		rc = hvc_gnt_map(io->hv, io->d->domid, q->ring_ref[i], false, &io->ring_handle[i], &page,
				 err, errlen);
		if (rc < 0)
			return rc;
		if (mremap(page, PAGE_SIZE, PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, want) != want) {
			rc = -errno;
			hvc_gnt_unmap(io->hv, io->ring_handle[i], page);
			snprintf(err, errlen, "cannot place ring page %u: %s", i, strerror(-rc));
			return rc;
		}
		io->ring_pages = i + 1;
	}
	BACK_RING_INIT(&io->ring, (blkif_sring_t *)io->ring_area, (size_t)PAGE_SIZE * n);
	return 0;
}

static int setup(struct blkio *io, const struct blk_queue *q, char *err, size_t errlen)
{
	struct blk_dev *d = io->d;
	/* Per queue, as Linux's max_persistent_grants is per ring: a frontend
	 * spreads its pool over every queue, so a share of it would thrash. */
	unsigned int pmax = d->persistent ? d->opts->max_persistent : 0;
	int rc;

	io->hv = hvc_open(d->rundir, err, errlen);
	if (io->hv < 0)
		return io->hv;
	rc = map_ring(io, q, err, errlen);
	if (rc < 0)
		return rc;
	rc = hvc_evtchn_open(io->hv, d->domid, q->remote_port, &io->ev, err, errlen);
	if (rc < 0)
		return rc;
	io->uring_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->uring_evfd < 0 || io_uring_queue_init(QUEUE_DEPTH * 2, &io->uring, 0) < 0) {
		snprintf(err, errlen, "cannot set up io_uring");
		return -ENOMEM;
	}
	io->uring_up = true;
	io_uring_register_eventfd(&io->uring, io->uring_evfd);
	if (d->direct)
		io->fd_buffered = open(d->params, (d->disk.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	pc_init(&io->pc, pmax);
	return 0;
}

static void stop_queues(struct blk_dev *d)
{
	uint64_t one = 1;

	if (write(d->stop_fd, &one, sizeof(one)) < 0)
		sv_warn("vbd %u/%u: cannot signal its I/O threads", d->domid, d->devid);
	for (unsigned int i = 0; i < d->nqueues; i++) {
		struct blk_queue *q = &d->q[i];
		void *io;

		if (!q->running)
			continue;
		pthread_join(q->thread, &io);
		release(io);
		q->running = false;
	}
	close(d->stop_fd);
	d->stop_fd = -1;
}

int blkio_start(struct blk_dev *d)
{
	struct sv_ratelimit rl = SV_RATELIMIT_INIT(10, 1);
	char err[256] = "";
	int rc = 0;

	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (d->stop_fd < 0)
		return -errno;
	d->disk.max_indirect = d->opts->max_indirect;
	for (unsigned int i = 0; i < d->nqueues && rc == 0; i++) {
		struct blkio *io = calloc(1, sizeof(*io));

		if (!io) {
			rc = -ENOMEM;
			break;
		}
		io->d = d;
		io->qi = i;
		io->hv = io->ev.evfd = io->ev.kick_fd = io->uring_evfd = io->fd_buffered = -1;
		io->rl = rl;
		rc = setup(io, &d->q[i], err, sizeof(err));
		if (rc == 0)
			rc = -pthread_create(&d->q[i].thread, NULL, run, io);
		if (rc < 0) {
			sv_warn("vbd %u/%u: cannot connect queue %u: %s", d->domid, d->devid, i,
				err[0] ? err : strerror(-rc));
			release(io);
			break;
		}
		d->q[i].running = true;
	}
	if (rc < 0) {
		stop_queues(d);
		return rc;
	}
	d->connected = true;
	return 0;
}

void blkio_stop(struct blk_dev *d)
{
	if (!d->connected)
		return;
	stop_queues(d);
	d->connected = false;
}

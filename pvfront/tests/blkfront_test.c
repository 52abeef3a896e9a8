/*
 * blkfront_test.c: xen/blkfront.c against a fake dom0 that runs whenever
 * the frontend blocks: a tiny XenStore (a key table, watches that fire on
 * registration and on writes below them) on the xenbus ring, and a blkif
 * backend that follows the frontend's states and answers requests on the
 * ring by reading and writing the granted pages through the grant table.
 * The backend can be told to misbehave: a response for an id nobody
 * asked about, a wrong operation, a producer index past what was asked,
 * an error status, or closing by itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xenfront.h"
#include <xen/io/xs_wire.h>
#include <xen/io/xenbus.h>

#include "host.h"

#define XS_PORT		5
#define HDR		sizeof(struct xsd_sockmsg)
#define FE		"device/vbd/51712"
#define BE		"/be/vbd/51712"
#define NKEYS		64
#define NWATCH		8
#define DISK_SECTORS	1000

enum mode { GOOD, BAD_ID, WRONG_OP, PROD_PAST, STATUS_ERROR, HOLD };

static struct xenstore_domain_interface *xs;
static uint32_t d_req_cons, d_rsp_prod;
static uint8_t d_in[HDR + XENSTORE_PAYLOAD_MAX];
static size_t d_in_len;
static uint8_t d_out[4 * (HDR + XENSTORE_PAYLOAD_MAX)];
static size_t d_out_len;
static char keys[NKEYS][128], vals[NKEYS][128];
static char wpath[NWATCH][128], wtoken[NWATCH][32];
static enum mode mode;
static bool restartable;	/* the backend comes back after Closed */
static RING_IDX be_req_cons;
static unsigned int be_requests;
static uint8_t disk[DISK_SECTORS * 512];

static const char *st_get(const char *k)
{
	for (int i = 0; i < NKEYS; i++)
		if (keys[i][0] && strcmp(keys[i], k) == 0)
			return vals[i];
	return NULL;
}

static void d_send(uint32_t type, uint32_t req_id, const void *body, uint32_t len)
{
	struct xsd_sockmsg m = { .type = type, .req_id = req_id, .len = len };

	memcpy(d_out + d_out_len, &m, HDR);
	memcpy(d_out + d_out_len + HDR, body, len);
	d_out_len += HDR + len;
}

static void fire(const char *path)
{
	for (int i = 0; i < NWATCH; i++) {
		size_t n = strlen(wpath[i]);
		char ev[192];
		int len;

		if (!wpath[i][0] || strncmp(path, wpath[i], n) != 0 ||
		    (path[n] != '\0' && path[n] != '/'))
			continue;
		len = snprintf(ev, sizeof(ev), "%s%c%s", path, 0, wtoken[i]);
		d_send(XS_WATCH_EVENT, 0, ev, (uint32_t)len + 1);
	}
}

static void st_set(const char *k, const char *v)
{
	int slot = -1;

	for (int i = 0; i < NKEYS; i++) {
		if (keys[i][0] && strcmp(keys[i], k) == 0) {
			slot = i;
			break;
		}
		if (!keys[i][0] && slot < 0)
			slot = i;
	}
	snprintf(keys[slot], sizeof(keys[slot]), "%s", k);
	snprintf(vals[slot], sizeof(vals[slot]), "%s", v);
	fire(k);
}

static void xs_request(const struct xsd_sockmsg *m, const char *body)
{
	const char *v;

	switch (m->type) {
	case XS_READ:
		v = st_get(body);
		if (v)
			d_send(XS_READ, m->req_id, v, (uint32_t)strlen(v));
		else
			d_send(XS_ERROR, m->req_id, "ENOENT", 7);
		return;
	case XS_WRITE: {
		char val[128];
		size_t plen = strlen(body);

		snprintf(val, sizeof(val), "%.*s", (int)(m->len - plen - 1), body + plen + 1);
		st_set(body, val);
		break;
	}
	case XS_TRANSACTION_START:
		d_send(m->type, m->req_id, "7", 2);
		return;
	case XS_WATCH:
		for (int i = 0; i < NWATCH; i++) {
			if (!wpath[i][0]) {
				snprintf(wpath[i], sizeof(wpath[i]), "%s", body);
				snprintf(wtoken[i], sizeof(wtoken[i]), "%s", body + strlen(body) + 1);
				break;
			}
		}
		d_send(m->type, m->req_id, "OK", 3);
		fire(body);
		return;
	case XS_UNWATCH:
		for (int i = 0; i < NWATCH; i++)
			if (strcmp(wpath[i], body) == 0)
				wpath[i][0] = '\0';
		break;
	default:
		break;
	}
	d_send(m->type, m->req_id, "OK", 3);
}

static void xs_run(void)
{
	uint32_t prod = xs->req_prod, room;

	for (; d_req_cons != prod; d_req_cons++) {
		struct xsd_sockmsg m;

		d_in[d_in_len++] = (uint8_t)xs->req[MASK_XENSTORE_IDX(d_req_cons)];
		if (d_in_len < HDR)
			continue;
		memcpy(&m, d_in, HDR);
		if (d_in_len < HDR + m.len)
			continue;
		d_in[d_in_len] = 0;
		xs_request(&m, (const char *)d_in + HDR);
		d_in_len = 0;
	}
	xs->req_cons = d_req_cons;
	room = XENSTORE_RING_SIZE - (d_rsp_prod - xs->rsp_cons);
	if (room > d_out_len)
		room = (uint32_t)d_out_len;
	for (uint32_t i = 0; i < room; i++)
		xs->rsp[MASK_XENSTORE_IDX(d_rsp_prod + i)] = (char)d_out[i];
	memmove(d_out, d_out + room, d_out_len - room);
	d_out_len -= room;
	d_rsp_prod += room;
	xs->rsp_prod = d_rsp_prod;
}

static const char *fe_state(void)
{
	const char *v = st_get(FE "/state");

	return v ? v : "";
}

/* The page a grant ref names, through the guest's grant table. */
static uint8_t *granted_page(grant_ref_t ref)
{
	grant_entry_v1_t *e = (grant_entry_v1_t *)(test_guest_mem +
		TEST_GNTTAB_FIRST_PFN * 4096) + ref;

	CU_ASSERT(e->flags & GTF_permit_access);
	return xenport_phys_to_virt((uint64_t)e->frame << 12);
}

static void serve(blkif_sring_t *s, const blkif_request_t *rq)
{
	blkif_response_t *rsp = &s->ring[s->rsp_prod % 32].rsp;
	uint64_t off = rq->sector_number * 512;

	for (unsigned int i = 0; i < rq->nr_segments && mode == GOOD; i++) {
		uint8_t *page = granted_page(rq->seg[i].gref) + rq->seg[i].first_sect * 512;
		size_t n = (size_t)(rq->seg[i].last_sect - rq->seg[i].first_sect + 1) * 512;

		if (rq->operation == BLKIF_OP_READ)
			memcpy(page, disk + off, n);
		else if (rq->operation == BLKIF_OP_WRITE)
			memcpy(disk + off, page, n);
		off += n;
	}
	memset(rsp, 0, sizeof(*rsp));
	rsp->id = mode == BAD_ID ? rq->id + 1000 : rq->id;
	rsp->operation = mode == WRONG_OP ? (uint8_t)(rq->operation ^ 1) : rq->operation;
	rsp->status = mode == STATUS_ERROR ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->rsp_prod++;
	if (mode == PROD_PAST)
		s->rsp_prod += 40;
}

/* The backend: follow the frontend's state, serve the ring. */
static void be_run(void)
{
	const char *st = fe_state(), *bst = st_get(BE "/state");
	blkif_sring_t *s = test_last_page;

	if (!bst)
		return;
	if (strcmp(st, "3") == 0 && strcmp(bst, "2") == 0) {
		st_set(BE "/sectors", "1000");
		st_set(BE "/sector-size", "512");
		st_set(BE "/info", "0");
		st_set(BE "/state", "4");
	} else if (strcmp(st, "5") == 0 && strcmp(bst, "5") != 0) {
		st_set(BE "/state", "5");
	} else if (strcmp(st, "6") == 0 && strcmp(bst, "6") != 0) {
		st_set(BE "/state", "6");
	} else if (strcmp(st, "1") == 0 && strcmp(bst, "6") == 0 && restartable) {
		be_req_cons = 0;	/* a new ring comes */
		st_set(BE "/state", "2");
	}
	if (!s || strcmp(st_get(BE "/state"), "4") != 0 || mode == HOLD)
		return;
	while (be_req_cons != s->req_prod) {
		blkif_request_t rq;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		rq = s->ring[be_req_cons % 32].req;
		be_req_cons++;
		be_requests++;
		serve(s, &rq);
	}
}

static void dom0_run(void)
{
	/* Twice: a state the backend writes may need the store's answer. */
	xs_run();
	be_run();
	xs_run();
}

static void setup(const char *persistent)
{
	static shared_info_t shared;
	int16_t st;

	memset(&shared, 0, sizeof(shared));
	memset(keys, 0, sizeof(keys));
	memset(wpath, 0, sizeof(wpath));
	evtchn_init(&shared);
	test_arena_reset();
	test_evtchn_rc = 0;
	test_setup_status = GNTST_okay;
	test_setup_scatter = false;
	CU_ASSERT_EQUAL(gnttab_init(4, &st), 0);
	xs = (void *)(test_guest_mem + 4096);
	memset(xs, 0, sizeof(*xs));
	d_req_cons = d_rsp_prod = 0;
	d_in_len = d_out_len = 0;
	be_req_cons = 0;
	be_requests = 0;
	mode = GOOD;
	restartable = false;
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + i / 512);
	test_block_hook = dom0_run;
	blkfront_set_pool_pages(128);	/* the test arena is 512 pages */
	CU_ASSERT_EQUAL(xenbus_init(xs, XS_PORT), 0);
	st_set(FE "/backend", BE);
	st_set(FE "/backend-id", "0");
	st_set(FE "/state", "1");
	st_set(BE "/state", "2");
	st_set(BE "/feature-persistent", persistent);
	st_set(BE "/feature-flush-cache", "1");
	d_out_len = 0;		/* no events for watches nobody set yet */
}

static void teardown(struct blkfront_dev *d)
{
	if (d)
		blkfront_close(d);
	test_block_hook = NULL;
	evtchn_clear_handler(XS_PORT);
}

static struct blkfront_dev *open_dev(void)
{
	struct blkfront_dev *d = NULL;

	CU_ASSERT_EQUAL_FATAL(blkfront_open(51712, &d), 0);
	return d;
}

static void test_handshake(void)
{
	struct blkfront_dev *d;

	setup("1");
	d = open_dev();
	CU_ASSERT_STRING_EQUAL(st_get(FE "/protocol"), "x86_64-abi");
	CU_ASSERT_STRING_EQUAL(st_get(FE "/feature-persistent"), "1");
	CU_ASSERT_STRING_EQUAL(st_get(FE "/event-channel"), "9");
	CU_ASSERT_PTR_NOT_NULL(st_get(FE "/ring-ref"));
	CU_ASSERT_STRING_EQUAL(fe_state(), "4");
	CU_ASSERT_EQUAL(blkfront_get_info(d)->sectors, DISK_SECTORS);
	CU_ASSERT_TRUE(blkfront_get_info(d)->persistent);
	CU_ASSERT_TRUE(blkfront_get_info(d)->flush);
	teardown(d);
	CU_ASSERT_STRING_EQUAL(fe_state(), "6");
	CU_ASSERT_STRING_EQUAL(st_get(BE "/state"), "6");
}

static void io_roundtrip(const char *persistent)
{
	static uint8_t buf[64 * 1024];
	struct blkfront_dev *d;
	unsigned int free_before;

	setup(persistent);
	d = open_dev();
	free_before = gnttab_nr_free();
	CU_ASSERT_EQUAL(blkfront_io(d, BLKIF_OP_READ, 10, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(memcmp(buf, disk + 10 * 512, sizeof(buf)), 0);
	memset(buf, 0xab, 4096);
	CU_ASSERT_EQUAL(blkfront_io(d, BLKIF_OP_WRITE, 900, buf, 4096), 0);
	CU_ASSERT_EQUAL(disk[900 * 512], 0xab);
	CU_ASSERT_EQUAL(disk[900 * 512 + 4095], 0xab);
	CU_ASSERT_EQUAL(blkfront_flush(d), 0);
	CU_ASSERT_EQUAL(be_requests, 4);	/* 44 KiB + 20 KiB, write, flush */
	CU_ASSERT_EQUAL(gnttab_nr_free(), free_before);	/* nothing leaked */
	CU_ASSERT_EQUAL(blkfront_io(d, BLKIF_OP_READ, DISK_SECTORS - 1, buf, 1024),
			-XEN_EINVAL);	/* past the end */
	teardown(d);
}

static void test_io_persistent(void)
{
	io_roundtrip("1");
}

static void test_io_grant_per_request(void)
{
	io_roundtrip("0");
}

static void misbehave(enum mode m)
{
	static uint8_t buf[4096];
	struct blkfront_dev *d;

	setup("1");
	d = open_dev();
	mode = m;
	CU_ASSERT_EQUAL(blkfront_io(d, BLKIF_OP_READ, 0, buf, sizeof(buf)), -XEN_EIO);
	mode = GOOD;
	/* An error status is not a protocol violation; the others break
	 * the device for good. */
	CU_ASSERT_EQUAL(blkfront_io(d, BLKIF_OP_READ, 0, buf, sizeof(buf)),
			m == STATUS_ERROR ? 0 : -XEN_EIO);
	teardown(d);
}

static void test_bad_id(void)
{
	misbehave(BAD_ID);
}

static void test_wrong_op(void)
{
	misbehave(WRONG_OP);
}

static void test_prod_past(void)
{
	misbehave(PROD_PAST);
}

static void test_status_error(void)
{
	misbehave(STATUS_ERROR);
}

static void test_backend_closes(void)
{
	static uint8_t buf[4096];
	struct blkfront_dev *d;

	setup("1");
	d = open_dev();
	st_set(BE "/state", "5");
	CU_ASSERT_EQUAL(blkfront_wait(d), -XEN_EIO);
	CU_ASSERT_STRING_EQUAL(fe_state(), "6");
	CU_ASSERT_EQUAL(blkfront_io(d, BLKIF_OP_READ, 0, buf, sizeof(buf)), -XEN_EIO);
	teardown(d);
}

/* The backend restarts the device with a request outstanding: it is issued again. */
static void test_backend_restarts(void)
{
	static uint8_t buf[8192];
	struct blkfront_req r = { .op = BLKIF_OP_READ, .sector = 40, .buf = buf, .len = sizeof(buf) };
	struct blkfront_stats stats;
	struct blkfront_dev *d;

	setup("1");
	d = open_dev();
	restartable = true;
	mode = HOLD;
	CU_ASSERT_EQUAL(blkfront_submit(d, &r), 0);
	blkfront_kick(d);
	dom0_run();
	CU_ASSERT_EQUAL(r.status, 1);		/* held by the backend */
	mode = GOOD;
	st_set(BE "/state", "5");		/* it closes the device by itself */
	for (int i = 0; i < 20 && r.status == 1; i++)
		CU_ASSERT_EQUAL(blkfront_wait(d), 0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(buf, disk + 40 * 512, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(fe_state(), "4");
	blkfront_get_stats(d, &stats);
	CU_ASSERT_EQUAL(stats.reconnects, 1);
	CU_ASSERT_EQUAL(stats.resubmitted, 1);
	CU_ASSERT_EQUAL(blkfront_outstanding(d), 0);
	CU_ASSERT_EQUAL(blkfront_io(d, BLKIF_OP_READ, 0, buf, sizeof(buf)), 0);
	teardown(d);
}

/* Adjacent requests submitted together go as one ring request. */
static void test_merging(void)
{
	static uint8_t buf[3 * 4096];
	struct blkfront_req r[3];
	struct blkfront_stats stats;
	struct blkfront_dev *d;

	setup("1");
	d = open_dev();
	for (int i = 0; i < 3; i++) {
		r[i] = (struct blkfront_req){ .op = BLKIF_OP_READ, .sector = 100 + 8 * (uint64_t)i,
					      .buf = buf + 4096 * i, .len = 4096 };
		CU_ASSERT_EQUAL(blkfront_submit(d, &r[i]), 0);
	}
	be_requests = 0;
	while (r[0].status == 1 || r[1].status == 1 || r[2].status == 1)
		CU_ASSERT_EQUAL_FATAL(blkfront_wait(d), 0);
	CU_ASSERT_EQUAL(be_requests, 1);
	CU_ASSERT_EQUAL(memcmp(buf, disk + 100 * 512, sizeof(buf)), 0);
	blkfront_get_stats(d, &stats);
	CU_ASSERT_EQUAL(stats.merged, 2);
	teardown(d);
}

static void test_backend_never_ready(void)
{
	struct blkfront_dev *d = NULL;

	setup("1");
	st_set(BE "/state", "6");	/* closed before we came */
	d_out_len = 0;
	CU_ASSERT_EQUAL(blkfront_open(51712, &d), -XEN_ENODEV);
	CU_ASSERT_STRING_EQUAL(st_get(FE "/state"), "6");	/* closed our end too */
	teardown(NULL);
}

static void test_backend_never_comes(void)
{
	struct blkfront_dev *d = NULL;

	setup("1");
	st_set(BE "/state", "1");	/* stuck in Initialising */
	d_out_len = 0;
	test_now_ns = 0;
	CU_ASSERT_EQUAL(blkfront_open(51712, &d), -XEN_ETIMEDOUT);
	CU_ASSERT_EQUAL(blkfront_last_backend_state(), XenbusStateInitialising);
	CU_ASSERT(test_now_ns >= BLKFRONT_STATE_TIMEOUT_NS);
	/* and we did not wait for it a second time to close */
	CU_ASSERT(test_now_ns < 2 * BLKFRONT_STATE_TIMEOUT_NS);
	CU_ASSERT_STRING_EQUAL(fe_state(), "6");
	teardown(NULL);
}

void add_blkfront_suite(void)
{
	CU_pSuite s = CU_add_suite("blkfront", NULL, NULL);

	CU_add_test(s, "handshake and close", test_handshake);
	CU_add_test(s, "I/O with persistent grants", test_io_persistent);
	CU_add_test(s, "I/O with a grant per request", test_io_grant_per_request);
	CU_add_test(s, "a response with an id nobody asked about", test_bad_id);
	CU_add_test(s, "a response with the wrong operation", test_wrong_op);
	CU_add_test(s, "rsp_prod past the requests made", test_prod_past);
	CU_add_test(s, "an error status fails one request", test_status_error);
	CU_add_test(s, "the backend closes by itself", test_backend_closes);
	CU_add_test(s, "the backend restarts: requests issued again", test_backend_restarts);
	CU_add_test(s, "adjacent requests are merged", test_merging);
	CU_add_test(s, "a backend that is closed already", test_backend_never_ready);
	CU_add_test(s, "a backend that never gets ready times out", test_backend_never_comes);
}

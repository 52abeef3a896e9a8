/*
 * test-xs-ring.c: the guest ring page, with a page in memory.
 *
 * Corrupt indices (prod = cons + size + 1, rsp_cons ahead of rsp_prod),
 * wrap-around, reconnect, an oversize message, consumption published only
 * for answered requests, attaching to a page a previous daemon served, and
 * INTRODUCE/RELEASE end to end through fake xs_ring_ops standing in for
 * pvhv.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

static unsigned int notifies;

static void count_notify(void *arg)
{
	notifies++;
}

/* The guest's side: put bytes into req[], as a frontend would. */
static void guest_send(struct xenstore_domain_interface *intf,
		       const void *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		intf->req[MASK_XENSTORE_IDX(intf->req_prod + i)] =
			((const char *)buf)[i];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	intf->req_prod += (uint32_t)len;
}

static size_t guest_recv(struct xenstore_domain_interface *intf, void *buf,
			 size_t len)
{
	size_t n = intf->rsp_prod - intf->rsp_cons, i;

	if (n > len)
		n = len;
	for (i = 0; i < n; i++)
		((char *)buf)[i] = intf->rsp[MASK_XENSTORE_IDX(intf->rsp_cons + i)];
	intf->rsp_cons += (uint32_t)n;
	return n;
}

static void test_basic_and_wrap(void)
{
	struct xenstore_domain_interface *intf = calloc(1, 4096);
	struct xs_ring *r;
	char buf[2048], data[700];
	unsigned int i;

	intf->req_prod = 55;	/* garbage before INTRODUCE is reset */
	r = xs_ring_create(intf, count_notify, NULL);
	CU_ASSERT_EQUAL(intf->req_prod, 0);
	CU_ASSERT_EQUAL(intf->server_features,
			XENSTORE_SERVER_FEATURE_RECONNECTION |
			XENSTORE_SERVER_FEATURE_ERROR);
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), 0);
	for (i = 0; i < 5; i++) {	/* 3500 bytes: wraps several times */
		memset(data, 'a' + (int)i, sizeof(data));
		guest_send(intf, data, sizeof(data));
		CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), 700);
		CU_ASSERT(memcmp(buf, data, sizeof(data)) == 0);
		xs_ring_msg_done(r);
		xs_ring_settle(r);
		CU_ASSERT_EQUAL(intf->req_cons, intf->req_prod);
		CU_ASSERT_EQUAL(xs_ring_write(r, data, sizeof(data)), 700);
		CU_ASSERT_EQUAL(guest_recv(intf, buf, sizeof(buf)), 700);
		CU_ASSERT(memcmp(buf, data, sizeof(data)) == 0);
	}
	/* A full response ring takes no more. */
	CU_ASSERT_EQUAL(xs_ring_write(r, buf, 2000), XENSTORE_RING_SIZE);
	CU_ASSERT_EQUAL(xs_ring_write(r, buf, 10), 0);
	/* One notification for the whole batch. */
	notifies = 0;
	xs_ring_kick(r);
	xs_ring_kick(r);
	CU_ASSERT_EQUAL(notifies, 1);
	xs_ring_destroy(r);
	free(intf);
}

static void test_corrupt_req_prod(void)
{
	struct xenstore_domain_interface *intf = calloc(1, 4096);
	struct xs_ring *r = xs_ring_create(intf, count_notify, NULL);
	char buf[64];

	intf->req_prod = intf->req_cons + XENSTORE_RING_SIZE + 1;
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), -EIO);
	CU_ASSERT_EQUAL(intf->error, XENSTORE_ERROR_RINGIDX);
	/* Stays broken even if the guest "fixes" the index... */
	intf->req_prod = 0;
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), -EIO);
	/* ...until it asks for a reconnect. */
	intf->connection = XENSTORE_RECONNECT;
	CU_ASSERT(xs_ring_check_reconnect(r));
	CU_ASSERT_EQUAL(intf->connection, XENSTORE_CONNECTED);
	CU_ASSERT_EQUAL(intf->error, XENSTORE_ERROR_NONE);
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), 0);
	CU_ASSERT(!xs_ring_check_reconnect(r));
	/* prod behind cons is a huge unsigned distance too. */
	intf->req_prod = (uint32_t)-1;
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), -EIO);
	xs_ring_destroy(r);
	free(intf);
}

static void test_corrupt_rsp_cons(void)
{
	struct xenstore_domain_interface *intf = calloc(1, 4096);
	struct xs_ring *r = xs_ring_create(intf, count_notify, NULL);

	/* Guest claims to have consumed responses we never produced. */
	intf->rsp_cons = 5000;
	CU_ASSERT_EQUAL(xs_ring_write(r, "x", 1), -EIO);
	CU_ASSERT_EQUAL(intf->error, XENSTORE_ERROR_RINGIDX);
	xs_ring_destroy(r);
	free(intf);
}

static void test_free_running_indices(void)
{
	struct xenstore_domain_interface *intf = calloc(1, 4096);
	struct xs_ring *r = xs_ring_create(intf, count_notify, NULL);
	char buf[16];
	unsigned int i;

	/* Drive the indices across the 2^32 wrap. */
	for (i = 0; i < 3; i++) {
		guest_send(intf, "0123456789", 10);
		CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), 10);
		xs_ring_msg_done(r);
		xs_ring_settle(r);
	}
	xs_ring_destroy(r);
	free(intf);
}

/*
 * Consumption is published only for handled requests whose replies are
 * written, so a daemon attaching to the page after a crash reads again
 * what was not answered.
 */
static void test_late_publication_and_attach(void)
{
	struct xenstore_domain_interface *intf = calloc(1, 4096);
	struct xs_ring *r = xs_ring_create(intf, count_notify, NULL);
	char buf[64];

	guest_send(intf, "first", 5);
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), 5);
	xs_ring_msg_done(r);
	xs_ring_settle(r);
	CU_ASSERT_EQUAL(intf->req_cons, 5);
	/* Read, not yet answered: the page still holds it... */
	guest_send(intf, "second", 6);
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), 6);
	CU_ASSERT_EQUAL(intf->req_cons, 5);
	xs_ring_settle(r);	/* nothing handled since: nothing moves */
	CU_ASSERT_EQUAL(intf->req_cons, 5);
	CU_ASSERT_EQUAL(xs_ring_write(r, "reply1", 6), 6);
	/* ...so a daemon that died now is followed by one that reads it. */
	xs_ring_destroy(r);
	r = xs_ring_attach(intf, count_notify, NULL);
	CU_ASSERT_EQUAL(intf->error, XENSTORE_ERROR_NONE);
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), 6);
	CU_ASSERT(memcmp(buf, "second", 6) == 0);
	/* Replies continue after those already in the ring. */
	CU_ASSERT_EQUAL(xs_ring_write(r, "reply2", 6), 6);
	CU_ASSERT_EQUAL(intf->rsp_prod, 12);
	CU_ASSERT_EQUAL(guest_recv(intf, buf, sizeof(buf)), 12);
	CU_ASSERT(memcmp(buf, "reply1reply2", 12) == 0);
	xs_ring_msg_done(r);
	xs_ring_settle(r);
	CU_ASSERT_EQUAL(intf->req_cons, 11);
	xs_ring_destroy(r);
	/* A page with impossible indices breaks the ring at once. */
	intf->req_prod = intf->req_cons + XENSTORE_RING_SIZE + 1;
	r = xs_ring_attach(intf, count_notify, NULL);
	CU_ASSERT_EQUAL(intf->error, XENSTORE_ERROR_RINGIDX);
	CU_ASSERT_EQUAL(xs_ring_read(r, buf, sizeof(buf)), -EIO);
	xs_ring_destroy(r);
	free(intf);
}

static void test_whole_replies_and_long_requests(void)
{
	struct xenstore_domain_interface *intf = calloc(1, 4096);
	struct xs_ring *r = xs_ring_create(intf, count_notify, NULL);
	static char big[XENSTORE_RING_SIZE], out[XENSTORE_RING_SIZE];

	/* A reply that fits the ring goes whole or waits. */
	CU_ASSERT_EQUAL(xs_ring_write(r, big, 1000), 1000);
	CU_ASSERT_EQUAL(xs_ring_write(r, big, 100), 0);
	CU_ASSERT_EQUAL(guest_recv(intf, out, 500), 500);
	CU_ASSERT_EQUAL(xs_ring_write(r, big, 100), 100);
	/* A request as long as the ring: the guest must get room to go on. */
	guest_send(intf, big, XENSTORE_RING_SIZE);
	CU_ASSERT_EQUAL(xs_ring_read(r, out, sizeof(out)), XENSTORE_RING_SIZE);
	CU_ASSERT_EQUAL(intf->req_cons, 0);
	CU_ASSERT_EQUAL(xs_ring_read(r, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(intf->req_cons, XENSTORE_RING_SIZE);
	xs_ring_destroy(r);
	free(intf);
}

/* ---- fake pvhv ring ops ---- */

struct fake_hv {
	struct xenstore_domain_interface *page;
	int evfd[8];
	unsigned int maps, unmaps, binds, unbinds, notifies;
	int fail_map;
};

static int fake_map(void *opaque, unsigned int domid, uint64_t gfn,
		    struct xenstore_domain_interface **intf_out)
{
	struct fake_hv *hv = opaque;

	if (hv->fail_map)
		return hv->fail_map;
	hv->maps++;
	*intf_out = hv->page;
	return 0;
}

static void fake_unmap(void *opaque, unsigned int domid,
		       struct xenstore_domain_interface *intf)
{
	struct fake_hv *hv = opaque;

	hv->unmaps++;
}

static int fake_bind(void *opaque, unsigned int domid, uint32_t remote,
		     uint32_t *local_out)
{
	struct fake_hv *hv = opaque;

	*local_out = hv->binds;
	hv->evfd[hv->binds] = eventfd(0, EFD_NONBLOCK);
	return hv->evfd[hv->binds++];
}

static void fake_notify(void *opaque, unsigned int domid, uint32_t port)
{
	struct fake_hv *hv = opaque;

	hv->notifies++;
}

static void fake_unbind(void *opaque, unsigned int domid, uint32_t port)
{
	struct fake_hv *hv = opaque;

	hv->unbinds++;
	close(hv->evfd[port]);
}

static const struct xs_ring_ops fake_ops = {
	fake_map, fake_unmap, fake_bind, fake_notify, fake_unbind,
};

static void guest_request(struct xenstore_domain_interface *intf,
			  uint32_t type, const char *payload, size_t len)
{
	struct xsd_sockmsg h = { type, 77, 0, (uint32_t)len };

	guest_send(intf, &h, sizeof(h));
	guest_send(intf, payload, len);
}

static void test_introduce_end_to_end(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g;
	struct fake_hv hv = { .page = calloc(1, 4096) };
	char buf[256], p[64], t[64];
	struct xsd_sockmsg h;
	struct th_reply r;

	st->ring_ops = &fake_ops;
	st->ring_opaque = &hv;
	th_req(st, d0, XS_WATCH, 0, &r, "@introduceDomain", "intro", NULL);
	th_event(d0, p, sizeof(p), t, sizeof(t));
	th_req(st, d0, XS_INTRODUCE, 0, &r, "9", "1234", "3", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(hv.maps, 1);
	CU_ASSERT_EQUAL(hv.binds, 1);
	CU_ASSERT_EQUAL(th_event(d0, p, sizeof(p), t, sizeof(t)), 0);
	CU_ASSERT_STRING_EQUAL(p, "@introduceDomain");
	th_req(st, d0, XS_IS_DOMAIN_INTRODUCED, 0, &r, "9", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "T");
	/* The guest asks for its domain path over the ring. */
	g = xs_domain_find(st, 9)->conn;
	CU_ASSERT_FATAL(g != NULL);
	guest_request(hv.page, XS_GET_DOMAIN_PATH, "9", 2);
	CU_ASSERT(xs_ring_conn_event(st, g) >= 0);
	CU_ASSERT_EQUAL(guest_recv(hv.page, &h, sizeof(h)), sizeof(h));
	CU_ASSERT_EQUAL(h.type, XS_GET_DOMAIN_PATH);
	CU_ASSERT_EQUAL(h.req_id, 77);
	CU_ASSERT_EQUAL(guest_recv(hv.page, buf, h.len), h.len);
	CU_ASSERT_STRING_EQUAL(buf, "/local/domain/9");
	CU_ASSERT(hv.notifies > 0);
	/* An oversize message sets error=PROTO instead of killing us. */
	h.type = XS_READ;
	h.len = 5000;
	guest_send(hv.page, &h, sizeof(h));
	xs_ring_conn_event(st, g);
	CU_ASSERT_EQUAL(hv.page->error, XENSTORE_ERROR_PROTO);
	/* Reconnect: the guest resets and talks again. */
	hv.page->connection = XENSTORE_RECONNECT;
	xs_ring_conn_event(st, g);
	CU_ASSERT_EQUAL(hv.page->error, XENSTORE_ERROR_NONE);
	guest_request(hv.page, XS_GET_DOMAIN_PATH, "9", 2);
	xs_ring_conn_event(st, g);
	CU_ASSERT_EQUAL(guest_recv(hv.page, &h, sizeof(h)), sizeof(h));
	CU_ASSERT_EQUAL(h.type, XS_GET_DOMAIN_PATH);
	/* Introducing again (resume) only rebinds the event channel. */
	th_req(st, d0, XS_INTRODUCE, 0, &r, "9", "1234", "4", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	CU_ASSERT_EQUAL(hv.maps, 1);
	CU_ASSERT_EQUAL(hv.binds, 2);
	CU_ASSERT_EQUAL(hv.unbinds, 1);
	th_req(st, d0, XS_RELEASE, 0, &r, "9", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "OK");
	xs_conn_reap(st);
	CU_ASSERT_EQUAL(hv.unmaps, 1);
	CU_ASSERT_EQUAL(hv.unbinds, 2);
	th_store_free(st);
	free(hv.page);
}

static void test_introduce_map_fails(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true);
	struct fake_hv hv = { .page = calloc(1, 4096), .fail_map = -ENOENT };
	struct th_reply r;

	st->ring_ops = &fake_ops;
	st->ring_opaque = &hv;
	th_req(st, d0, XS_INTRODUCE, 0, &r, "9", "1", "3", NULL);
	CU_ASSERT_STRING_EQUAL(th_result(&r), "ENOENT");
	CU_ASSERT_EQUAL(xs_domain_find(st, 9), NULL);
	CU_ASSERT_EQUAL(hv.binds, 0);
	th_store_free(st);
	free(hv.page);
}

static CU_TestInfo tests[] = {
	{ "copy and wrap-around", test_basic_and_wrap },
	{ "req_prod = cons + size + 1", test_corrupt_req_prod },
	{ "rsp_cons ahead of rsp_prod", test_corrupt_rsp_cons },
	{ "free-running indices", test_free_running_indices },
	{ "late publication; attach after a crash", test_late_publication_and_attach },
	{ "whole replies; requests longer than the ring", test_whole_replies_and_long_requests },
	{ "INTRODUCE/RELEASE with ring ops", test_introduce_end_to_end },
	{ "INTRODUCE when mapping fails", test_introduce_map_fails },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs ring", tests);
}

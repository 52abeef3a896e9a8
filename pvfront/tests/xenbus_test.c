/*
 * xenbus_test.c: xen/xenbus.c against a scripted XenStore daemon that
 * runs whenever the client blocks (test_block_hook): it takes requests off
 * the ring page, lets the test's script answer each, and streams the
 * answers back as the ring has room. The "what if" cases are the ones a
 * hostile or broken daemon can cause: a producer index past the ring, a
 * reply over XENSTORE_PAYLOAD_MAX, a reply for someone else, replies
 * bigger than the ring, a ring reset in the middle of a request, EAGAIN on
 * commit, and malformed directory and watch-event payloads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xenfront.h"
#include <xen/io/xs_wire.h>

#include "host.h"

#define PORT		5
#define HDR		sizeof(struct xsd_sockmsg)

static struct xenstore_domain_interface *ring;
static uint32_t d_req_cons, d_rsp_prod;
static uint8_t d_in[HDR + XENSTORE_PAYLOAD_MAX];
static size_t d_in_len;
static uint8_t d_out[4 * (HDR + XENSTORE_PAYLOAD_MAX)];
static size_t d_out_len;
static void (*script)(const struct xsd_sockmsg *req, const char *body);
static unsigned int requests_seen, eagains_left, resets_left;
static bool reset_on_next;

static void d_send(uint32_t type, uint32_t req_id, const void *body, uint32_t len)
{
	struct xsd_sockmsg m = { .type = type, .req_id = req_id, .len = len };

	memcpy(d_out + d_out_len, &m, HDR);
	memcpy(d_out + d_out_len + HDR, body, len);
	d_out_len += HDR + len;
}

static void d_send_str(uint32_t type, uint32_t req_id, const char *s)
{
	d_send(type, req_id, s, (uint32_t)strlen(s) + 1);
}

static void d_reset(void)
{
	ring->req_cons = ring->req_prod = ring->rsp_cons = ring->rsp_prod = 0;
	d_req_cons = d_rsp_prod = 0;
	d_in_len = d_out_len = 0;
	ring->connection = XENSTORE_CONNECTED;
}

/* The daemon's turn: take requests, answer them, push answers. */
static void daemon_run(void)
{
	uint32_t prod, room;

	if (ring->connection == XENSTORE_RECONNECT) {
		d_reset();
		return;
	}
	prod = ring->req_prod;
	for (; d_req_cons != prod; d_req_cons++) {
		struct xsd_sockmsg m;

		d_in[d_in_len++] = (uint8_t)ring->req[MASK_XENSTORE_IDX(d_req_cons)];
		if (d_in_len < HDR)
			continue;
		memcpy(&m, d_in, HDR);
		if (d_in_len < HDR + m.len)
			continue;
		requests_seen++;
		d_in[d_in_len] = 0;
		if (reset_on_next && resets_left) {
			resets_left--;
			ring->req_cons = ring->req_prod = 0;
			ring->rsp_cons = ring->rsp_prod = 0;
			d_req_cons = d_rsp_prod = 0;
			d_in_len = d_out_len = 0;
			return;
		}
		script(&m, (const char *)d_in + HDR);
		d_in_len = 0;
	}
	ring->req_cons = d_req_cons;
	room = XENSTORE_RING_SIZE - (d_rsp_prod - ring->rsp_cons);
	if (room > d_out_len)
		room = (uint32_t)d_out_len;
	for (uint32_t i = 0; i < room; i++)
		ring->rsp[MASK_XENSTORE_IDX(d_rsp_prod + i)] = (char)d_out[i];
	memmove(d_out, d_out + room, d_out_len - room);
	d_out_len -= room;
	d_rsp_prod += room;
	ring->rsp_prod = d_rsp_prod;
}

/* A daemon that answers everything sensibly. */
static void answer_ok(const struct xsd_sockmsg *m, const char *body)
{
	switch (m->type) {
	case XS_READ:
		if (strcmp(body, "missing") == 0)
			d_send_str(XS_ERROR, m->req_id, "ENOENT");
		else if (strncmp(body, "num", 3) == 0)
			d_send(XS_READ, m->req_id, body + 3, (uint32_t)strlen(body + 3));
		else if (strcmp(body, "big") == 0) {
			static char v[3000];

			memset(v, 'b', sizeof(v));
			d_send(XS_READ, m->req_id, v, sizeof(v));
		} else
			d_send(XS_READ, m->req_id, "hello", 5);
		break;
	case XS_TRANSACTION_START:
		d_send_str(XS_TRANSACTION_START, m->req_id, "42");
		break;
	case XS_TRANSACTION_END:
		if (eagains_left) {
			eagains_left--;
			d_send_str(XS_ERROR, m->req_id, "EAGAIN");
		} else
			d_send_str(m->type, m->req_id, "OK");
		break;
	case XS_DIRECTORY:
		d_send(XS_DIRECTORY, m->req_id, "a\0bc\0", 5);
		break;
	case XS_WATCH:
		d_send_str(XS_WATCH, m->req_id, "OK");
		d_send(XS_WATCH_EVENT, 0, "p/q\0tok\0", 8);
		break;
	default:
		d_send_str(m->type, m->req_id, "OK");
		break;
	}
}

static void setup(void)
{
	static shared_info_t shared;

	memset(&shared, 0, sizeof(shared));
	evtchn_init(&shared);
	ring = (void *)(test_guest_mem + 4096);
	memset(ring, 0, sizeof(*ring));
	ring->server_features = XENSTORE_SERVER_FEATURE_RECONNECTION |
				XENSTORE_SERVER_FEATURE_ERROR;
	d_reset();
	script = answer_ok;
	requests_seen = eagains_left = resets_left = 0;
	reset_on_next = false;
	test_evtchn_rc = 0;
	test_block_hook = daemon_run;
	CU_ASSERT_EQUAL(xenbus_init(ring, PORT), 0);
}

static void teardown(void)
{
	test_block_hook = NULL;
	evtchn_clear_handler(PORT);
}

static void test_read_write(void)
{
	char buf[16];

	setup();
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, sizeof(buf)), 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	CU_ASSERT_EQUAL(xenbus_write(XBT_NIL, "x", "v"), 0);
	CU_ASSERT_EQUAL(xenbus_printf(XBT_NIL, "x", "%d", 7), 0);
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "missing", buf, sizeof(buf)), -XEN_ENOENT);
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, 5), -XEN_E2BIG);
	teardown();
}

static void test_read_u64(void)
{
	uint64_t v = 0;

	setup();
	CU_ASSERT_EQUAL(xenbus_read_u64(XBT_NIL, "num42", 100, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(xenbus_read_u64(XBT_NIL, "num5", 1, &v), -XEN_EINVAL);
	CU_ASSERT_EQUAL(xenbus_read_u64(XBT_NIL, "num18446744073709551615", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(xenbus_read_u64(XBT_NIL, "num18446744073709551616", UINT64_MAX, &v), -XEN_EINVAL);
	CU_ASSERT_EQUAL(xenbus_read_u64(XBT_NIL, "num1x", 100, &v), -XEN_EINVAL);
	CU_ASSERT_EQUAL(xenbus_read_u64(XBT_NIL, "num", 100, &v), -XEN_EINVAL);
	teardown();
}

static void test_big_reply_streams(void)
{
	static char buf[4000];

	setup();
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "big", buf, sizeof(buf)), 3000);
	CU_ASSERT_EQUAL(buf[2999], 'b');
	CU_ASSERT_EQUAL(buf[3000], '\0');
	teardown();
}

static void stray_first(const struct xsd_sockmsg *m, const char *body)
{
	d_send(XS_READ, m->req_id + 100, "other", 5);
	answer_ok(m, body);
}

static void test_stray_reply_dropped(void)
{
	struct xenbus_stats st;
	char buf[16];

	setup();
	script = stray_first;
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, sizeof(buf)), 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	xenbus_get_stats(&st);
	CU_ASSERT_EQUAL(st.stray_replies, 1);
	teardown();
}

static void overrun(const struct xsd_sockmsg *m, const char *body)
{
	(void)m;
	(void)body;
	ring->rsp_prod = ring->rsp_cons + XENSTORE_RING_SIZE + 1;
	d_rsp_prod = ring->rsp_prod;
}

static void test_prod_past_ring_reconnects(void)
{
	struct xenbus_stats st;
	char buf[16];

	setup();
	script = overrun;
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, sizeof(buf)), -XEN_EIO);
	xenbus_get_stats(&st);
	CU_ASSERT_EQUAL(st.reconnects, 1);
	script = answer_ok;
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, sizeof(buf)), 5);
	teardown();
}

static void too_long(const struct xsd_sockmsg *m, const char *body)
{
	struct xsd_sockmsg r = { .type = XS_READ, .req_id = m->req_id,
				 .len = XENSTORE_PAYLOAD_MAX + 1 };

	(void)body;
	memcpy(d_out + d_out_len, &r, HDR);
	d_out_len += HDR;
}

static void test_reply_over_payload_max(void)
{
	char buf[16];

	setup();
	script = too_long;
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, sizeof(buf)), -XEN_EIO);
	CU_ASSERT_STRING_EQUAL(xenbus_fault(), "");	/* reset since */
	script = answer_ok;
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, sizeof(buf)), 5);
	teardown();
}

static void test_reset_resends(void)
{
	struct xenbus_stats st;
	char buf[16];

	setup();
	reset_on_next = true;
	resets_left = 1;
	CU_ASSERT_EQUAL(xenbus_read(XBT_NIL, "x", buf, sizeof(buf)), 5);
	CU_ASSERT_EQUAL(requests_seen, 2);
	xenbus_get_stats(&st);
	CU_ASSERT_EQUAL(st.resets, 1);
	teardown();
}

static int tx_calls;

static int tx_body(xenbus_transaction_t t, void *data)
{
	(void)data;
	tx_calls++;
	return t == 42 ? xenbus_write(t, "x", "y") : -XEN_EINVAL;
}

static void test_transact_retries_eagain(void)
{
	setup();
	tx_calls = 0;
	eagains_left = 2;
	CU_ASSERT_EQUAL(xenbus_transact(tx_body, NULL), 0);
	CU_ASSERT_EQUAL(tx_calls, 3);
	eagains_left = 1000;
	CU_ASSERT_EQUAL(xenbus_transact(tx_body, NULL), -XEN_EAGAIN);
	teardown();
}

static void bad_dir(const struct xsd_sockmsg *m, const char *body)
{
	(void)body;
	d_send(XS_DIRECTORY, m->req_id, "a\0bc", 4);	/* no final NUL */
}

static void test_directory(void)
{
	char buf[16];

	setup();
	CU_ASSERT_EQUAL(xenbus_directory(XBT_NIL, "d", buf, sizeof(buf)), 2);
	CU_ASSERT_STRING_EQUAL(buf + 2, "bc");
	script = bad_dir;
	CU_ASSERT_EQUAL(xenbus_directory(XBT_NIL, "d", buf, sizeof(buf)), -XEN_EIO);
	teardown();
}

static void junk_events(const struct xsd_sockmsg *m, const char *body)
{
	answer_ok(m, body);
	d_send(XS_WATCH_EVENT, 0, "p/q", 3);		/* no token */
	d_send(XS_WATCH_EVENT, 0, "p/q\0tok", 7);	/* token unterminated */
	d_send(XS_WATCH_EVENT, 0, "p/q\0tok\0", 8);	/* a duplicate */
	d_send(XS_WATCH_EVENT, 0, "p/r\0tok\0", 8);
}

static void test_watch_events(void)
{
	char path[32];

	setup();
	script = junk_events;
	CU_ASSERT_EQUAL(xenbus_watch("p", "tok"), 0);
	CU_ASSERT_EQUAL(xenbus_watch("p", "tok"), -XEN_EEXIST);
	CU_ASSERT_EQUAL(xenbus_wait_event("tok", path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(path, "p/q");
	CU_ASSERT_TRUE(xenbus_take_event("tok", path, sizeof(path)));
	CU_ASSERT_STRING_EQUAL(path, "p/r");
	CU_ASSERT_FALSE(xenbus_take_event("tok", path, sizeof(path)));
	CU_ASSERT_EQUAL(xenbus_unwatch("p", "tok"), 0);
	teardown();
}

static void test_errno_names(void)
{
	CU_ASSERT_EQUAL(xenbus_errno_from_name("EACCES"), -XEN_EACCES);
	CU_ASSERT_EQUAL(xenbus_errno_from_name("EAGAIN"), -XEN_EAGAIN);
	CU_ASSERT_EQUAL(xenbus_errno_from_name("EWHATEVER"), -XEN_EIO);
}

void add_xenbus_suite(void)
{
	CU_pSuite s = CU_add_suite("xenbus", NULL, NULL);

	CU_add_test(s, "read, write, errors", test_read_write);
	CU_add_test(s, "numbers are checked against their maximum", test_read_u64);
	CU_add_test(s, "a reply bigger than the ring", test_big_reply_streams);
	CU_add_test(s, "a reply for another request is dropped", test_stray_reply_dropped);
	CU_add_test(s, "rsp_prod past the ring: reconnect", test_prod_past_ring_reconnects);
	CU_add_test(s, "a reply over XENSTORE_PAYLOAD_MAX", test_reply_over_payload_max);
	CU_add_test(s, "a ring reset mid-request resends it", test_reset_resends);
	CU_add_test(s, "transactions retry on EAGAIN, bounded", test_transact_retries_eagain);
	CU_add_test(s, "directory payloads are checked", test_directory);
	CU_add_test(s, "watch events: malformed, coalesced, by token", test_watch_events);
	CU_add_test(s, "error names", test_errno_names);
}

/*
 * fuzz-xenbus.c: pvos's XenStore client (pvfront/xen/xenbus.c) against a
 * hostile daemon on the other side of its ring page.
 *
 * The input is one stream read by both sides in turn: the client takes a
 * byte to pick its next call (read, directory, write, transaction, watch,
 * wait for an event...), and whenever the client blocks, the daemon takes
 * its next action: answer the request in flight (its id or another, of
 * its type or another, any body, any length, past XENSTORE_PAYLOAD_MAX
 * too), send a watch event or raw bytes, write any producer index, reset
 * the ring, raise its error field, play the reconnect protocol or not.
 * When the input runs out the daemon reports an error it offers no
 * reconnect for (xenstore-ring.txt), so every wait must end.
 *
 * Oracles: no call blocks forever (a bound on the wakeups of one input);
 * results are what xenfront.h promises (a read's value is terminated
 * inside the buffer and as long as it says, a directory's names are
 * terminated and non-empty); the request stream the client writes always
 * parses (headers within XENSTORE_PAYLOAD_MAX).
 */
#include <stdbool.h>

#include "fuzz.h"
#include "xenfront.h"
#include <xen/io/xs_wire.h>

#define HDR		sizeof(struct xsd_sockmsg)
#define PORT		5
#define OPS_MAX		48
#define BLOCKS_MAX	20000

static struct xenstore_domain_interface page __attribute__((aligned(4096)));
static struct fuzz_in in;
static uint32_t d_req_cons, d_rsp_prod;
static uint8_t d_req[HDR + XENSTORE_PAYLOAD_MAX];
static size_t d_req_len;
static struct xsd_sockmsg last;		/* the last request taken whole */
static uint8_t d_out[4 * (HDR + XENSTORE_PAYLOAD_MAX)];
static size_t d_out_len;
static unsigned long blocks;
static uint64_t now_ns;
static xenbus_transaction_t tx;		/* the client's open transaction */

/* ---- what xenbus.c needs of the kernel ---- */

int evtchn_send(evtchn_port_t port) { (void)port; return 0; }
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *data)
{
	(void)fn;
	(void)data;
	return port == PORT ? 0 : -XEN_EINVAL;
}
long xenport_event_channel_op(int cmd, void *arg) { (void)cmd; (void)arg; return 0; }
int xenport_take_fd(void) { return -1; }
void xenport_fd_notify(int fd) { (void)fd; }
void xenport_fd_close(int fd) { (void)fd; }
uint64_t xenport_now_ns(void) { return now_ns; }

/* ---- the daemon ---- */

static void take_requests(void)
{
	uint32_t prod = page.req_prod;

	FUZZ_CHECK(prod - d_req_cons <= XENSTORE_RING_SIZE);
	for (; d_req_cons != prod; d_req_cons++) {
		struct xsd_sockmsg m;

		d_req[d_req_len++] = (uint8_t)page.req[MASK_XENSTORE_IDX(d_req_cons)];
		if (d_req_len < HDR)
			continue;
		memcpy(&m, d_req, HDR);
		FUZZ_CHECK(m.len <= XENSTORE_PAYLOAD_MAX);
		if (d_req_len < HDR + m.len)
			continue;
		last = m;
		d_req_len = 0;
	}
	page.req_cons = d_req_cons;
}

static void out_bytes(const void *p, size_t n)
{
	n = n < sizeof(d_out) - d_out_len ? n : sizeof(d_out) - d_out_len;
	memcpy(d_out + d_out_len, p, n);
	d_out_len += n;
}

/* A message whose body comes from the input (zeros past its end). */
static void out_msg(uint32_t type, uint32_t req_id, uint32_t len)
{
	struct xsd_sockmsg m = { .type = type, .req_id = req_id, .len = len };
	uint8_t body[XENSTORE_PAYLOAD_MAX + 16];
	size_t n = len < sizeof(body) ? len : sizeof(body);

	fuzz_take(&in, body, n);
	out_bytes(&m, HDR);
	out_bytes(body, n);
}

static void push(void)
{
	uint32_t room = XENSTORE_RING_SIZE - (d_rsp_prod - page.rsp_cons);

	if (room > XENSTORE_RING_SIZE)
		room = 0;	/* the client's rsp_cons is off: it resets */
	if (room > d_out_len)
		room = (uint32_t)d_out_len;
	for (uint32_t i = 0; i < room; i++)
		page.rsp[MASK_XENSTORE_IDX(d_rsp_prod + i)] = (char)d_out[i];
	memmove(d_out, d_out + room, d_out_len - room);
	d_out_len -= room;
	d_rsp_prod += room;
	page.rsp_prod = d_rsp_prod;
}

static void reset_ring(void)
{
	page.req_cons = page.req_prod = page.rsp_cons = page.rsp_prod = 0;
	d_req_cons = d_rsp_prod = 0;
	d_req_len = d_out_len = 0;
	page.connection = XENSTORE_CONNECTED;
}

/* An answer to the request in flight: its type or any, its id or any. */
static void answer(uint8_t b)
{
	uint32_t type = b < 224 ? last.type : b % 32u;
	uint32_t id = (b & 1) ? last.req_id : fuzz_u32(&in);
	uint32_t len = (b & 2) ? fuzz_u16(&in) % (XENSTORE_PAYLOAD_MAX + 16) : fuzz_u8(&in);

	out_msg(type, id, len);
}

static void act(uint8_t a)
{
	uint8_t b = fuzz_u8(&in);

	switch (a % 12) {
	case 0: case 1: case 2: case 3:
		answer(b);
		break;
	case 4:
		out_msg(XS_ERROR, last.req_id, b % 12);
		break;
	case 5: {
		uint32_t id = fuzz_u32(&in);

		out_msg(XS_WATCH_EVENT, id, b);
		break;
	}
	case 6: {			/* raw bytes */
		uint8_t raw[256];

		fuzz_take(&in, raw, b);
		out_bytes(raw, b);
		break;
	}
	case 7:
		d_rsp_prod = page.rsp_prod = fuzz_u32(&in);
		break;
	case 8:
		reset_ring();
		break;
	case 9:
		page.error = b % 3;
		break;
	case 10:
		if (page.connection == XENSTORE_RECONNECT && !(b & 1))
			reset_ring();
		else
			page.connection = b % 3;
		break;
	case 11:
		page.server_features = b % 4;
		break;
	}
}

void xenport_block(void)
{
	FUZZ_CHECK(++blocks < BLOCKS_MAX);
	now_ns += 100000000ull;
	take_requests();
	if (!in.left) {
		/* The daemon gives up: an error it cannot recover from. */
		page.server_features = XENSTORE_SERVER_FEATURE_ERROR;
		page.error = XENSTORE_ERROR_COMM;
		return;
	}
	act(fuzz_u8(&in));
	push();
}

/* ---- the client ---- */

static const char *const paths[] = {
	"device/vbd/51712/state", "control/shutdown", "/local/domain/0/backend",
	"data", "",
};
static const char *const tokens[] = { "blk", "ctl", "t" };

static void check_read(int rc, const char *buf, size_t size)
{
	if (rc >= 0)
		FUZZ_CHECK((size_t)rc < size && buf[rc] == '\0');
}

static void check_dir(int rc, const char *buf, size_t size)
{
	size_t off = 0;

	for (int i = 0; i < rc; i++) {
		size_t len = strnlen(buf + off, size - off);

		FUZZ_CHECK(len > 0 && off + len < size);
		off += len + 1;
	}
}

static void client_op(uint8_t op)
{
	xenbus_transaction_t t = tx;
	const char *path = paths[(op >> 4) % (sizeof(paths) / sizeof(paths[0]))];
	const char *token = tokens[(op >> 4) % (sizeof(tokens) / sizeof(tokens[0]))];
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	size_t size = (op & 0x80) ? sizeof(buf) : 16;
	uint64_t v;
	int rc;

	switch (op % 12) {
	case 0:
		check_read(xenbus_read(t, path, buf, size), buf, size);
		break;
	case 1:
		rc = xenbus_read_u64(t, path, 1u << 20, &v);
		FUZZ_CHECK(rc < 0 || v <= 1u << 20);
		break;
	case 2:
		rc = xenbus_directory(t, path, buf, size);
		check_dir(rc, buf, size);
		break;
	case 3:
		(void)xenbus_printf(t, path, "%u", op);
		break;
	case 4:
		(void)xenbus_write(t, path, "value");
		break;
	case 5:
		if (t == XBT_NIL) {
			if (xenbus_transaction_start(&tx) < 0)
				tx = XBT_NIL;
		} else {
			(void)xenbus_transaction_end(t, op & 0x80);
			tx = XBT_NIL;
		}
		break;
	case 6:
		(void)xenbus_watch(path, token);
		break;
	case 7:
		(void)xenbus_unwatch(path, token);
		break;
	case 8:
		rc = xenbus_wait_event_until(token, buf, size, now_ns + 1000000000ull);
		if (rc == 0)
			FUZZ_CHECK(strnlen(buf, size) < size);
		break;
	case 9:
		(void)xenbus_take_event(token, buf, size);
		break;
	case 10:
		(void)(op & 0x80 ? xenbus_mkdir(t, path) : xenbus_rm(t, path));
		break;
	case 11:
		rc = xenbus_read_u64_at("device/vbd/51712", "ring-ref", 255, 7, &v);
		FUZZ_CHECK(rc < 0 || v <= 255);
		(void)xenbus_switch_state("device/vbd/51712", 4);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in = (struct fuzz_in){ data, size };
	memset(&page, 0, sizeof(page));
	reset_ring();
	/* The indices need not start at 0 (xenbus_init takes them as they are). */
	page.req_prod = page.req_cons = d_req_cons = fuzz_u32(&in);
	page.rsp_prod = page.rsp_cons = d_rsp_prod = fuzz_u32(&in);
	page.server_features = fuzz_u8(&in) % 4;
	memset(&last, 0, sizeof(last));
	blocks = 0;
	tx = XBT_NIL;
	if (xenbus_init(&page, PORT) < 0)
		return 0;
	for (unsigned int i = 0; i < OPS_MAX && in.left; i++)
		client_op(fuzz_u8(&in));
	return 0;
}

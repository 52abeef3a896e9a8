/*
 * xenbus.c: the guest's XenStore client over its ring page
 * (xs_wire.h struct xenstore_domain_interface, xenstore-ring.txt).
 *
 * The page holds two byte rings of XENSTORE_RING_SIZE: req (we produce,
 * the daemon consumes) and rsp (the daemon produces replies and watch
 * events, we consume). Messages are an xsd_sockmsg header and up to
 * XENSTORE_PAYLOAD_MAX bytes, streamed through the ring and possibly
 * wrapping, so a message bigger than the ring is sent and received in
 * pieces with a notification after each.
 *
 * The page is shared with dom0 and we distrust it (STYLE "Shared memory is
 * hostile", frontends distrust backends too):
 *  - our own indices (req_prod, rsp_cons) are kept privately and only
 *    published; the daemon's (req_cons, rsp_prod) are read once per pass
 *    into a local, followed by a barrier, and checked: prod - cons must
 *    not exceed the ring size;
 *  - a reply's length is checked against XENSTORE_PAYLOAD_MAX before any
 *    of its body is taken, and bodies are copied into our buffer, never
 *    parsed in place;
 *  - every loop is bounded by the ring size or by a fixed count; waiting
 *    for the daemon blocks on events (xenport_block()), never spins;
 *  - a broken ring (bad index, or the daemon's error field) is reset with
 *    the reconnect protocol when the daemon offers it, a few times at most.
 *
 * One request is in flight at a time (one vCPU, no upcalls): a reply is
 * matched by req_id, anything else that is not a watch event is dropped
 * and counted. Watch events go to a small queue, taken by token.
 */
#include <stdarg.h>

#include "xenfront.h"

/*
 * xs_wire.h's xsd_errors[] table names the C library's errno macros; a
 * freestanding kernel has none, so Xen's (equal) numbers stand in.
 */
#define XB_ERRNO(name) XEN_##name
#ifndef EINVAL
#define EINVAL XB_ERRNO(EINVAL)
#define EACCES XB_ERRNO(EACCES)
#define EEXIST XB_ERRNO(EEXIST)
#define EISDIR XB_ERRNO(EISDIR)
#define ENOENT XB_ERRNO(ENOENT)
#define ENOMEM XB_ERRNO(ENOMEM)
#define ENOSPC XB_ERRNO(ENOSPC)
#define EIO XB_ERRNO(EIO)
#define ENOTEMPTY XB_ERRNO(ENOTEMPTY)
#define ENOSYS XB_ERRNO(ENOSYS)
#define EROFS XB_ERRNO(EROFS)
#define EBUSY XB_ERRNO(EBUSY)
#define EAGAIN XB_ERRNO(EAGAIN)
#define EISCONN XB_ERRNO(EISCONN)
#define E2BIG XB_ERRNO(E2BIG)
#define EPERM XB_ERRNO(EPERM)
#endif
#include <xen/io/xs_wire.h>

#define HDR_SIZE		sizeof(struct xsd_sockmsg)
#define MAX_RECONNECTS		4
#define RECONNECT_WAITS		1000	/* wakeups to wait for the daemon */
#define MAX_RESENDS		4	/* of one request, after ring resets */

struct watch_event {
	bool used;
	char token[XENBUS_TOKEN_MAX];
	char path[XENBUS_PATH_MAX];
};

struct watch_reg {
	bool used;
	char token[XENBUS_TOKEN_MAX];
	char path[XENBUS_PATH_MAX];
};

static struct {
	struct xenstore_domain_interface *intf;
	evtchn_port_t port;
	bool ready;
	bool broken;			/* for good: no more requests */
	bool in_reconnect;
	bool rewatch;			/* set the watches again before the next request */
	unsigned int reconnects;
	const char *fault;

	XENSTORE_RING_IDX req_prod;	/* ours, published to intf */
	XENSTORE_RING_IDX rsp_cons;	/* ours, published to intf */

	/* The message being received: header, then body. */
	uint8_t rx[HDR_SIZE + XENSTORE_PAYLOAD_MAX];
	size_t rx_have;

	/* The request in flight (kept whole, to send again) and its reply. */
	uint8_t tx[HDR_SIZE + XENSTORE_PAYLOAD_MAX];
	size_t tx_len;
	bool reset_seen;		/* the daemon reset the ring under us */
	bool waiting;
	bool reply_ready;
	bool request_failed;		/* the ring was reset under it */
	uint32_t want_id;
	uint32_t next_id;
	uint32_t reply_type;
	uint32_t reply_len;
	char reply[XENSTORE_PAYLOAD_MAX + 1];

	struct watch_event events[XENBUS_EVENT_QUEUE];
	unsigned long event_seq[XENBUS_EVENT_QUEUE];
	unsigned long seq;
	struct watch_reg watches[XENBUS_MAX_WATCHES];

	struct xenbus_stats stats;
} xb;

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "EINVAL", XEN_EINVAL }, { "EACCES", XEN_EACCES },
	{ "EEXIST", XEN_EEXIST }, { "EISDIR", XEN_EISDIR },
	{ "ENOENT", XEN_ENOENT }, { "ENOMEM", XEN_ENOMEM },
	{ "ENOSPC", XEN_ENOSPC }, { "EIO", XEN_EIO },
	{ "ENOTEMPTY", XEN_ENOTEMPTY }, { "ENOSYS", XEN_ENOSYS },
	{ "EROFS", XEN_EROFS }, { "EBUSY", XEN_EBUSY },
	{ "EAGAIN", XEN_EAGAIN }, { "EISCONN", XEN_EISCONN },
	{ "E2BIG", XEN_E2BIG }, { "EPERM", XEN_EPERM },
};

int xenbus_errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(errnames[i].name, name) == 0)
			return -errnames[i].err;
	return -XEN_EIO;
}

static uint32_t load_once(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store_once(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Copy at most size-1 bytes of a peer string and terminate it. */
static void copy_str(char *dst, size_t size, const char *src, size_t len)
{
	if (len > size - 1)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void notify(void)
{
	/* Indices are published before the daemon is told (pairs with its
	 * read barrier after it reads them). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	evtchn_send(xb.port);
}

/* The ring is inconsistent: note why; the next wait resets it. */
static void ring_fault(const char *why)
{
	xb.fault = why;
	if (!xb.broken && !xb.in_reconnect && xb.intf && load_once(
	    &xb.intf->server_features) & XENSTORE_SERVER_FEATURE_RECONNECTION)
		return;		/* reset by check_ring() */
	xb.broken = true;
}

static bool ring_is_faulty(void)
{
	uint32_t features = load_once(&xb.intf->server_features);

	if (xb.fault && xb.fault[0] && !xb.broken)
		return true;
	return (features & XENSTORE_SERVER_FEATURE_ERROR) &&
	       load_once(&xb.intf->error) != XENSTORE_ERROR_NONE;
}

/* ---- receiving ---- */

static void queue_event(const char *body, uint32_t len)
{
	size_t plen = strnlen(body, len), tlen;
	char path[XENBUS_PATH_MAX];
	const char *token;
	int slot = -1;

	/* "<path>\0<token>\0": both must be there and terminated. */
	if (plen == len || plen == 0)
		return;
	token = body + plen + 1;
	tlen = strnlen(token, len - plen - 1);
	if (tlen == len - plen - 1 || tlen >= XENBUS_TOKEN_MAX || tlen == 0)
		return;		/* not a token of ours */
	xb.stats.events++;
	copy_str(path, sizeof(path), body, plen);
	for (int i = 0; i < XENBUS_EVENT_QUEUE; i++) {
		struct watch_event *e = &xb.events[i];

		if (e->used && strcmp(e->token, token) == 0 &&
		    strcmp(e->path, path) == 0)
			return;		/* coalesced: still queued */
		if (!e->used && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		xb.stats.events_dropped++;
		return;
	}
	xb.events[slot].used = true;
	xb.event_seq[slot] = ++xb.seq;
	copy_str(xb.events[slot].token, XENBUS_TOKEN_MAX, token, tlen);
	copy_str(xb.events[slot].path, XENBUS_PATH_MAX, path, strlen(path));
}

static void deliver(void)
{
	struct xsd_sockmsg hdr;

	memcpy(&hdr, xb.rx, HDR_SIZE);
	if (hdr.type == XS_WATCH_EVENT) {
		queue_event((const char *)xb.rx + HDR_SIZE, hdr.len);
		return;
	}
	if (!xb.waiting || xb.reply_ready || hdr.req_id != xb.want_id) {
		xb.stats.stray_replies++;
		return;
	}
	xb.reply_type = hdr.type;
	xb.reply_len = hdr.len;
	memcpy(xb.reply, xb.rx + HDR_SIZE, hdr.len);
	xb.reply[hdr.len] = '\0';
	xb.reply_ready = true;
}

/* How many more bytes the message being received needs. */
static size_t rx_need(void)
{
	struct xsd_sockmsg hdr;

	if (xb.rx_have < HDR_SIZE)
		return HDR_SIZE - xb.rx_have;
	memcpy(&hdr, xb.rx, HDR_SIZE);
	return HDR_SIZE + hdr.len - xb.rx_have;
}

static bool check_reset(void);

/* Take what the daemon produced; bounded by one ring's worth per call. */
void xenbus_poll(void)
{
	XENSTORE_RING_IDX prod, avail, took = 0;
	struct xsd_sockmsg hdr;

	if (!xb.ready || xb.broken || xb.in_reconnect ||
	    load_once(&xb.intf->connection) != XENSTORE_CONNECTED)
		return;
	if (xb.fault[0] || check_reset())
		return;		/* a fault waits for check_ring() to reset */
	prod = load_once(&xb.intf->rsp_prod);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* index before data */
	avail = prod - xb.rsp_cons;
	if (avail > XENSTORE_RING_SIZE) {
		ring_fault("the daemon's rsp_prod is past the ring");
		return;
	}
	while (took < avail) {
		size_t need = rx_need(), n = avail - took;

		if (n > need)
			n = need;
		for (size_t i = 0; i < n; i++)
			xb.rx[xb.rx_have + i] = ((volatile char *)xb.intf->rsp)
				[MASK_XENSTORE_IDX(xb.rsp_cons + took + i)];
		took += (XENSTORE_RING_IDX)n;
		xb.rx_have += n;
		if (xb.rx_have == HDR_SIZE) {
			memcpy(&hdr, xb.rx, HDR_SIZE);
			if (hdr.len > XENSTORE_PAYLOAD_MAX) {
				ring_fault("the daemon sent a message over XENSTORE_PAYLOAD_MAX");
				return;
			}
		}
		if (xb.rx_have >= HDR_SIZE && rx_need() == 0) {
			deliver();
			xb.rx_have = 0;
		}
	}
	if (took == 0)
		return;
	xb.rsp_cons += took;
	/* Our reads of the data are done before the space is handed back. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	store_once(&xb.intf->rsp_cons, xb.rsp_cons);
	notify();
}

static void on_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	xenbus_poll();
}

/* ---- reconnect ---- */

static void reset_client(void)
{
	xb.rx_have = 0;
	xb.req_prod = load_once(&xb.intf->req_prod);
	xb.rsp_cons = load_once(&xb.intf->rsp_cons);
	xb.fault = "";
	if (xb.waiting) {
		xb.request_failed = true;
		xb.reply_ready = false;
	}
}

/*
 * Only we write req_prod and rsp_cons; if the page says otherwise, the
 * daemon reset the ring (it does when it introduces a restarted domain
 * whose kernel was already talking). Start again from the page's indices,
 * send the request in flight again and set the watches again.
 */
static bool check_reset(void)
{
	if (load_once(&xb.intf->req_prod) == xb.req_prod &&
	    load_once(&xb.intf->rsp_cons) == xb.rsp_cons)
		return false;
	reset_client();
	xb.request_failed = false;
	xb.reset_seen = true;
	xb.rewatch = true;
	xb.stats.resets++;
	return true;
}

int xenbus_reconnect(void)
{
	uint32_t features;
	unsigned int waits = 0;

	if (!xb.intf)
		return -XEN_ENODEV;
	features = load_once(&xb.intf->server_features);
	if (!(features & XENSTORE_SERVER_FEATURE_RECONNECTION) ||
	    xb.reconnects >= MAX_RECONNECTS) {
		xb.broken = true;
		return -XEN_EIO;
	}
	xb.reconnects++;
	xb.stats.reconnects++;
	xb.in_reconnect = true;
	store_once(&xb.intf->connection, XENSTORE_RECONNECT);
	notify();
	while (load_once(&xb.intf->connection) != XENSTORE_CONNECTED) {
		if (++waits > RECONNECT_WAITS) {
			xb.in_reconnect = false;
			xb.broken = true;
			xb.fault = "the daemon never finished a reconnect";
			return -XEN_EIO;
		}
		xenport_block();
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	xb.in_reconnect = false;
	reset_client();
	/* The daemon dropped our watches; any queued event may be stale but
	 * watches fire again when set, so nothing is lost. */
	xb.rewatch = true;
	return 0;
}

/* Reset the ring if it went bad. Returns false if it cannot be used. */
static bool check_ring(void)
{
	if (xb.broken)
		return false;
	if (ring_is_faulty() && xenbus_reconnect() < 0)
		return false;
	return !xb.broken;
}

static void wait_once(void)
{
	xenport_block();
	xenbus_poll();
	(void)check_ring();
}

/* ---- sending ---- */

static int ring_write(const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		XENSTORE_RING_IDX cons, used, space;

		if (!check_ring() || xb.request_failed)
			return -XEN_EIO;
		if (xb.reset_seen || check_reset())
			return -XEN_EAGAIN;	/* the caller starts again */
		cons = load_once(&xb.intf->req_cons);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* cons before reuse */
		used = xb.req_prod - cons;
		if (used > XENSTORE_RING_SIZE) {
			ring_fault("the daemon's req_cons is past our req_prod");
			continue;
		}
		space = XENSTORE_RING_SIZE - used;
		if (space == 0) {
			wait_once();
			continue;
		}
		if (space > len)
			space = (XENSTORE_RING_IDX)len;
		for (XENSTORE_RING_IDX i = 0; i < space; i++)
			((volatile char *)xb.intf->req)
				[MASK_XENSTORE_IDX(xb.req_prod + i)] = (char)p[i];
		xb.req_prod += space;
		/* Data before the index (pairs with the daemon's read barrier). */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		store_once(&xb.intf->req_prod, xb.req_prod);
		notify();
		p += space;
		len -= space;
	}
	return 0;
}

struct part {
	const void *data;
	size_t len;
};

static int set_watches(void);

/*
 * Send one request made of parts and wait for its reply (in xb.reply,
 * terminated). Returns the reply's length or a negative errno; a reply
 * of another type than the request is -XEN_EIO.
 */
static int request(uint32_t type, xenbus_transaction_t t,
		   const struct part *parts, unsigned int nparts)
{
	struct xsd_sockmsg hdr = { .type = type, .tx_id = t };
	size_t len = 0;
	int rc = 0;

	if (!xb.ready)
		return -XEN_ENODEV;
	if (!check_ring())
		return -XEN_EIO;
	if (xb.rewatch && type != XS_WATCH) {
		xb.rewatch = false;
		rc = set_watches();
		if (rc < 0)
			return rc;
	}
	for (unsigned int i = 0; i < nparts; i++)
		len += parts[i].len;
	if (len > XENSTORE_PAYLOAD_MAX)
		return -XEN_E2BIG;
	hdr.len = (uint32_t)len;
	hdr.req_id = xb.next_id++;
	memcpy(xb.tx, &hdr, HDR_SIZE);
	xb.tx_len = HDR_SIZE;
	for (unsigned int i = 0; i < nparts; i++) {
		memcpy(xb.tx + xb.tx_len, parts[i].data, parts[i].len);
		xb.tx_len += parts[i].len;
	}
	xb.want_id = hdr.req_id;
	xb.waiting = true;
	xb.request_failed = false;
	xb.stats.requests++;
	for (int attempt = 0; attempt < MAX_RESENDS; attempt++) {
		xb.reset_seen = false;
		xb.reply_ready = false;
		rc = ring_write(xb.tx, xb.tx_len);
		if (rc == 0)
			xenbus_poll();
		while (rc == 0 && !xb.reply_ready && !xb.reset_seen) {
			if (xb.broken || xb.request_failed)
				rc = -XEN_EIO;
			else
				wait_once();
		}
		if (!xb.reset_seen && rc != -XEN_EAGAIN)
			break;
		rc = -XEN_EIO;
	}
	xb.waiting = false;
	if (rc < 0)
		return rc;
	if (xb.reply_type == XS_ERROR)
		return xenbus_errno_from_name(xb.reply);
	if (xb.reply_type != type)
		return -XEN_EIO;
	return (int)xb.reply_len;
}

/* A reply that must be "OK". */
static int request_ok(uint32_t type, xenbus_transaction_t t,
		      const struct part *parts, unsigned int nparts)
{
	int rc = request(type, t, parts, nparts);

	if (rc < 0)
		return rc;
	return rc >= 2 && memcmp(xb.reply, "OK", 2) == 0 ? 0 : -XEN_EIO;
}

static int path_part(const char *path, struct part *p)
{
	size_t len = strnlen(path, XENSTORE_ABS_PATH_MAX + 1);

	if (len == 0 || len > XENSTORE_ABS_PATH_MAX)
		return -XEN_EINVAL;
	p->data = path;
	p->len = len + 1;	/* with its NUL */
	return 0;
}

int xenbus_init(struct xenstore_domain_interface *ring, evtchn_port_t port)
{
	int rc;

	memset(&xb, 0, sizeof(xb));
	xb.intf = ring;
	xb.port = port;
	xb.fault = "";
	xb.next_id = 1;
	reset_client();
	if (load_once(&ring->rsp_prod) - xb.rsp_cons > XENSTORE_RING_SIZE ||
	    xb.req_prod - load_once(&ring->req_cons) > XENSTORE_RING_SIZE) {
		/* Start from a clean ring if the daemon can give us one. */
		rc = xenbus_reconnect();
		if (rc < 0)
			return rc;
	}
	rc = evtchn_set_handler(port, on_event, NULL);
	if (rc < 0)
		return rc;
	xb.ready = true;
	xenbus_poll();
	return 0;
}

bool xenbus_is_ready(void)
{
	return xb.ready && !xb.broken;
}

const char *xenbus_fault(void)
{
	return xb.fault ? xb.fault : "";
}

void xenbus_get_stats(struct xenbus_stats *stats_out)
{
	*stats_out = xb.stats;
}

/* ---- requests ---- */

int xenbus_read(xenbus_transaction_t t, const char *path, char *buf,
		size_t size)
{
	struct part p;
	int rc = path_part(path, &p);

	if (rc == 0)
		rc = request(XS_READ, t, &p, 1);
	if (rc < 0)
		return rc;
	if ((size_t)rc >= size)
		return -XEN_E2BIG;
	memcpy(buf, xb.reply, (size_t)rc);
	buf[rc] = '\0';
	return rc;
}

int xenbus_read_u64(xenbus_transaction_t t, const char *path, uint64_t max,
		    uint64_t *val_out)
{
	char buf[24];
	uint64_t v = 0;
	int rc = xenbus_read(t, path, buf, sizeof(buf));

	if (rc < 0)
		return rc == -XEN_E2BIG ? -XEN_EINVAL : rc;
	if (rc == 0)
		return -XEN_EINVAL;
	for (int i = 0; i < rc; i++) {
		unsigned int d = (unsigned int)(buf[i] - '0');

		if (d > 9 || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, d, &v) || v > max)
			return -XEN_EINVAL;
	}
	*val_out = v;
	return 0;
}

int xenbus_read_u64_at(const char *dir, const char *key, uint64_t max, uint64_t def,
		       uint64_t *val_out)
{
	char path[192];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path))
		return -XEN_E2BIG;
	rc = xenbus_read_u64(XBT_NIL, path, max, val_out);
	if (rc == -XEN_ENOENT) {
		*val_out = def;
		return 0;
	}
	return rc;
}

int xenbus_switch_state(const char *node, int state)
{
	char path[192];

	if (snprintf(path, sizeof(path), "%s/state", node) >= (int)sizeof(path))
		return -XEN_E2BIG;
	return xenbus_printf(XBT_NIL, path, "%d", state);
}

bool xenbus_path_sane(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* A value of len bytes (no NUL on the wire); request() checks the total. */
static int write_len(xenbus_transaction_t t, const char *path,
		     const char *value, size_t len)
{
	struct part p[2];
	int rc = path_part(path, &p[0]);

	if (rc < 0)
		return rc;
	p[1].data = value;
	p[1].len = len;
	return request_ok(XS_WRITE, t, p, 2);
}

int xenbus_write(xenbus_transaction_t t, const char *path, const char *value)
{
	return write_len(t, path, value,
			 strnlen(value, XENSTORE_PAYLOAD_MAX + 1));
}

int xenbus_printf(xenbus_transaction_t t, const char *path,
		  const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -XEN_E2BIG;
	/* vsnprintf() gave the length: the buffer is never scanned past it. */
	return write_len(t, path, buf, (size_t)n);
}

int xenbus_mkdir(xenbus_transaction_t t, const char *path)
{
	struct part p;
	int rc = path_part(path, &p);

	return rc < 0 ? rc : request_ok(XS_MKDIR, t, &p, 1);
}

int xenbus_rm(xenbus_transaction_t t, const char *path)
{
	struct part p;
	int rc = path_part(path, &p);

	return rc < 0 ? rc : request_ok(XS_RM, t, &p, 1);
}

int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf,
		     size_t size)
{
	struct part p;
	int rc = path_part(path, &p), n = 0;

	if (rc == 0)
		rc = request(XS_DIRECTORY, t, &p, 1);
	if (rc < 0)
		return rc;
	if ((size_t)rc > size || (rc > 0 && xb.reply[rc - 1] != '\0'))
		return rc > 0 && xb.reply[rc - 1] != '\0' ? -XEN_EIO : -XEN_E2BIG;
	for (int i = 0; i < rc; i++) {
		if (xb.reply[i] == '\0') {
			if (i == 0 || xb.reply[i - 1] == '\0')
				return -XEN_EIO;	/* an empty name */
			n++;
		}
	}
	memcpy(buf, xb.reply, (size_t)rc);
	return n;
}

int xenbus_transaction_start(xenbus_transaction_t *t_out)
{
	struct part p = { "", 1 };
	uint64_t id = 0;
	int rc = request(XS_TRANSACTION_START, XBT_NIL, &p, 1);

	if (rc < 0)
		return rc;
	/* "<decimal id>\0", non-zero. */
	for (int i = 0; i < rc && xb.reply[i]; i++) {
		unsigned int d = (unsigned int)(xb.reply[i] - '0');

		if (d > 9 || id > UINT32_MAX / 10)
			return -XEN_EIO;
		id = id * 10 + d;
	}
	if (id == 0 || id > UINT32_MAX)
		return -XEN_EIO;
	*t_out = (xenbus_transaction_t)id;
	return 0;
}

int xenbus_transaction_end(xenbus_transaction_t t, bool abort)
{
	struct part p = { abort ? "F" : "T", 2 };

	return request_ok(XS_TRANSACTION_END, t, &p, 1);
}

int xenbus_transact(int (*fn)(xenbus_transaction_t t, void *data),
		    void *data)
{
	for (int i = 0; i < XENBUS_TX_RETRIES; i++) {
		xenbus_transaction_t t;
		int rc = xenbus_transaction_start(&t);

		if (rc < 0)
			return rc;
		rc = fn(t, data);
		if (rc < 0) {
			(void)xenbus_transaction_end(t, true);
			return rc;
		}
		rc = xenbus_transaction_end(t, false);
		if (rc != -XEN_EAGAIN)
			return rc;
	}
	return -XEN_EAGAIN;
}

/* ---- watches ---- */

static int send_watch(uint32_t type, const char *path, const char *token)
{
	struct part p[2];
	int rc = path_part(path, &p[0]);

	if (rc < 0)
		return rc;
	p[1].data = token;
	p[1].len = strlen(token) + 1;
	return request_ok(type, XBT_NIL, p, 2);
}

static int set_watches(void)
{
	for (int i = 0; i < XENBUS_MAX_WATCHES; i++) {
		struct watch_reg *w = &xb.watches[i];
		int rc;

		if (!w->used)
			continue;
		rc = send_watch(XS_WATCH, w->path, w->token);
		if (rc < 0 && rc != -XEN_EEXIST)
			return rc;
	}
	return 0;
}

static struct watch_reg *find_watch(const char *path, const char *token)
{
	for (int i = 0; i < XENBUS_MAX_WATCHES; i++) {
		struct watch_reg *w = &xb.watches[i];

		if (w->used && strcmp(w->path, path) == 0 &&
		    strcmp(w->token, token) == 0)
			return w;
	}
	return NULL;
}

int xenbus_watch(const char *path, const char *token)
{
	struct watch_reg *w = NULL;
	size_t tlen = strnlen(token, XENBUS_TOKEN_MAX);
	int rc;

	if (tlen == 0 || tlen >= XENBUS_TOKEN_MAX ||
	    strnlen(path, XENBUS_PATH_MAX) >= XENBUS_PATH_MAX)
		return -XEN_EINVAL;
	if (find_watch(path, token))
		return -XEN_EEXIST;
	for (int i = 0; i < XENBUS_MAX_WATCHES && !w; i++)
		if (!xb.watches[i].used)
			w = &xb.watches[i];
	if (!w)
		return -XEN_ENOSPC;
	rc = send_watch(XS_WATCH, path, token);
	if (rc < 0)
		return rc;
	w->used = true;
	copy_str(w->path, sizeof(w->path), path, strlen(path));
	copy_str(w->token, sizeof(w->token), token, tlen);
	return 0;
}

int xenbus_unwatch(const char *path, const char *token)
{
	struct watch_reg *w = find_watch(path, token);
	int rc;

	if (!w)
		return -XEN_ENOENT;
	w->used = false;
	rc = send_watch(XS_UNWATCH, path, token);
	for (int i = 0; i < XENBUS_EVENT_QUEUE; i++)
		if (xb.events[i].used && strcmp(xb.events[i].token, token) == 0)
			xb.events[i].used = false;
	return rc;
}

bool xenbus_take_event(const char *token, char *path_out, size_t size)
{
	int best = -1;

	for (int i = 0; i < XENBUS_EVENT_QUEUE; i++) {
		if (xb.events[i].used && strcmp(xb.events[i].token, token) == 0 &&
		    (best < 0 || xb.event_seq[i] < xb.event_seq[best]))
			best = i;
	}
	if (best < 0)
		return false;
	xb.events[best].used = false;
	if (path_out && size)
		copy_str(path_out, size, xb.events[best].path,
			 strlen(xb.events[best].path));
	return true;
}

int xenbus_wait_event_until(const char *token, char *path_out, size_t size,
			    uint64_t deadline_ns)
{
	if (!xb.ready)
		return -XEN_ENODEV;
	xenbus_poll();
	while (!xenbus_take_event(token, path_out, size)) {
		if (!check_ring())
			return -XEN_EIO;
		if (xb.rewatch && set_watches() == 0)
			xb.rewatch = false;
		if (xenport_now_ns() >= deadline_ns)
			return -XEN_ETIMEDOUT;
		wait_once();
	}
	return 0;
}

int xenbus_wait_event(const char *token, char *path_out, size_t size)
{
	return xenbus_wait_event_until(token, path_out, size, UINT64_MAX);
}

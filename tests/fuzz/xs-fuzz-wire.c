/*
 * xs-fuzz-wire.c: libFuzzer target for pvxenstored's wire parser.
 *
 * Each input is a fresh store with a dom0 connection and an unprivileged
 * guest connection.  Byte 0 picks the transport: a byte stream fed to a
 * socket-like connection (dom0 or guest), or a guest ring page whose request
 * area and indices come from the input.  The rest is fed as client input,
 * in chunks whose sizes also come from the input, so messages split at any
 * point.  Oracles: no crash, no sanitizer report, no leak, and the store's
 * node count matches a walk of the tree afterwards.
 *
 * Build and run: tests/fuzz/xs-fuzz.sh [SECONDS]
 */
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

struct feed {
	const uint8_t *data;
	size_t len, off;
	size_t chunk;
};

static int feed_read(struct xs_conn *c, void *buf, size_t len)
{
	struct feed *f = c->tp_priv;
	size_t n = f->len - f->off;

	if (n > len)
		n = len;
	if (n > f->chunk)
		n = f->chunk;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (int)n;
}

static int sink_write(struct xs_conn *c, const void *buf, size_t len)
{
	return (int)len;
}

static const struct xs_transport feed_transport = {
	.kind = "fuzz", .read = feed_read, .write = sink_write,
};

static int count_node(struct xs_node *node, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

/* ---- a ring page filled from the input ---- */

static struct xenstore_domain_interface *fuzz_page;

static int map(void *o, unsigned int d, uint64_t g,
	       struct xenstore_domain_interface **out)
{
	*out = fuzz_page;
	return 0;
}
static void unmap(void *o, unsigned int d, struct xenstore_domain_interface *i) { }
static int bind(void *o, unsigned int d, uint32_t p, uint32_t *l)
{
	*l = 1;
	return 0;
}
static void notify(void *o, unsigned int d, uint32_t p) { }
static void unbind(void *o, unsigned int d, uint32_t p) { }
static const struct xs_ring_ops ops = { map, unmap, bind, notify, unbind };

static void fuzz_ring(struct xs_store *st, struct xs_conn *d0,
		      const uint8_t *data, size_t len)
{
	struct xsd_sockmsg h = { XS_INTRODUCE, 1, 0, 0 };
	static const char intro[] = "5\0" "0\0" "1";
	struct xs_domain *d;
	struct feed f = { (const uint8_t *)0, 0, 0, 1 << 20 };
	char msg[sizeof(h) + sizeof(intro)];
	unsigned int round;
	size_t n;

	fuzz_page = calloc(1, 4096);
	st->ring_ops = &ops;
	h.len = sizeof(intro);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), intro, sizeof(intro));
	f.data = (const uint8_t *)msg;
	f.len = sizeof(msg);
	d0->tp_priv = &f;
	xs_conn_handle_input(st, d0);
	d = xs_domain_find(st, 5);
	for (round = 0; d && d->conn && len && round < 8; round++) {
		n = len < XENSTORE_RING_SIZE ? len : XENSTORE_RING_SIZE;
		memcpy(fuzz_page->req, data, n);
		/* The indices are hostile too: take them from the input. */
		fuzz_page->req_prod += (uint32_t)n;
		if (n >= 8)
			memcpy(&fuzz_page->rsp_cons, data + n - 8, 4);
		if (n >= 4 && data[0] == 0xff)
			fuzz_page->connection = XENSTORE_RECONNECT;
		st->round++;
		xs_ring_conn_event(st, d->conn);
		data += n;
		len -= n;
	}
	xs_conn_reap(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_store st;
	struct xs_conn *d0, *g;
	struct feed f;
	unsigned int walked = 0;

	if (size < 2 || xs_store_init(&st))
		return 0;
	d0 = xs_conn_create(&st, 0, true, &feed_transport, NULL);
	g = xs_conn_create(&st, 5, false, &feed_transport, NULL);
	if (!d0 || !g)
		goto out;
	if (data[0] & 0x80) {
		fuzz_ring(&st, d0, data + 1, size - 1);
	} else {
		f.data = data + 2;
		f.len = size - 2;
		f.off = 0;
		f.chunk = data[1] ? data[1] : 4096;
		d0->tp_priv = &f;
		g->tp_priv = &f;
		/* Drain the whole input, one wakeup at a time. */
		while (f.off < f.len) {
			struct xs_conn *c = data[0] & 1 ? g : d0;
			size_t before = f.off;

			if (c->dead || xs_conn_handle_input(&st, c) < 0)
				break;
			if (f.off == before)
				break;
			st.round++;	/* each wakeup is a round: a fresh budget */
		}
	}
	xs_tree_walk(&st, count_node, &walked);
	if (walked != st.nnodes)
		abort();	/* accounting and tree disagree */
out:
	xs_store_dispose(&st);
	free(fuzz_page);
	fuzz_page = NULL;
	return 0;
}

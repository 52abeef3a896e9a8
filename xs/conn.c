/*
 * conn.c: connections, whatever their transport.
 *
 * Input is pulled from the transport in two steps per message: the 16-byte
 * header, which is checked before anything is allocated, then exactly len
 * body bytes.  A connection whose client disconnects mid-message just frees
 * the partial body.  Service is round robin: a connection handles at most
 * XS_REQS_PER_ROUND requests per round of the daemon's loop (st->round),
 * and the loop comes back to those with input left after every other
 * connection had its turn, so a flooding client delays an honest one by
 * one budget at most.  An unprivileged connection with "outstanding"
 * unsent replies is not read until the client drains them, nor while its
 * domain is out of request tokens (ratelimit.c).  Output is a queue of messages
 * bounded by XS_OUTQ_MAX_BYTES: a client that never reads is disconnected
 * instead of growing the daemon (XSA-326).  Connections are marked dead and
 * freed by xs_conn_reap() from the main loop, never in the middle of a walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

struct xs_conn *xs_conn_create(struct xs_store *st, unsigned int domid,
			       bool privileged, const struct xs_transport *tp,
			       void *tp_priv)
{
	struct xs_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->st = st;
	c->id = ++st->next_conn_id;
	c->domid = domid;
	c->privileged = privileged;
	c->tp = tp;
	c->tp_priv = tp_priv;
	c->round = st->round - 1;	/* a fresh budget on its first turn */
	c->next = st->conns;
	st->conns = c;
	return c;
}

static void free_output(struct xs_conn *c)
{
	struct xs_outmsg *m;

	while ((m = c->out_head)) {
		c->out_head = m->next;
		free(m);
	}
	c->out_tail = NULL;
	c->out_bytes = 0;
	c->out_replies = 0;
}

void xs_conn_destroy(struct xs_store *st, struct xs_conn *c)
{
	struct xs_conn **pp;
	struct xs_domain *d;

	for (pp = &st->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	xs_watch_free_all(st, c);
	xs_tx_free_all(st, c);
	free_output(c);
	free(c->body);
	if (c->tp && c->tp->destroy)
		c->tp->destroy(c);
	d = xs_domain_find(st, c->domid);
	if (d && d->conn == c) {
		d->conn = NULL;
		xs_domain_put_if_unused(st, d);
	}
	free(c);
}

void xs_conn_reap(struct xs_store *st)
{
	struct xs_conn *c, *next;

	for (c = st->conns; c; c = next) {
		next = c->next;
		if (c->dead)
			xs_conn_destroy(st, c);
	}
}

int xs_conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id,
		  uint32_t tx_id, const void *p1, size_t l1, const void *p2,
		  size_t l2, bool is_reply)
{
	struct xsd_sockmsg hdr = { type, req_id, tx_id, (uint32_t)(l1 + l2) };
	size_t len = sizeof(hdr) + l1 + l2;
	struct xs_outmsg *m;

	if (c->dead)
		return -ECONNRESET;
	if (c->out_bytes + len > XS_OUTQ_MAX_BYTES) {
		xs_log_client("connection %u (domain %u): %zu bytes of output "
			      "unread, disconnecting", c->id, c->domid,
			      c->out_bytes);
		c->dead = true;
		return -ENOBUFS;
	}
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	memcpy(m->data, &hdr, sizeof(hdr));
	if (l1)
		memcpy(m->data + sizeof(hdr), p1, l1);
	if (l2)
		memcpy(m->data + sizeof(hdr) + l1, p2, l2);
	m->len = len;
	m->off = 0;
	m->is_reply = is_reply;
	m->next = NULL;
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_bytes += len;
	if (is_reply)
		c->out_replies++;
	return 0;
}

int xs_conn_flush(struct xs_conn *c)
{
	struct xs_outmsg *m;
	int r = 0;

	/* Nothing is acknowledged before it is in the journal (persist.c). */
	if (c->out_head)
		xs_persist_flush(c->st);
	while ((m = c->out_head) && !c->dead) {
		r = c->tp->write(c, m->data + m->off, m->len - m->off);
		if (r <= 0)
			break;
		m->off += (size_t)r;
		if (m->off < m->len)
			break;
		c->out_head = m->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_bytes -= m->len;
		if (m->is_reply)
			c->out_replies--;
		free(m);
	}
	if (!c->out_replies && !c->dead && c->tp->settled)
		c->tp->settled(c);
	if (c->tp->kick)
		c->tp->kick(c);
	if (r < 0)
		return r;
	if (c->tp->want_write)
		c->tp->want_write(c, c->out_head != NULL);
	return c->dead ? -ECONNRESET : 0;
}

void xs_conn_reset(struct xs_store *st, struct xs_conn *c)
{
	xs_watch_free_all(st, c);
	xs_tx_free_all(st, c);
	free_output(c);
	free(c->body);
	c->body = NULL;
	c->hdr_got = 0;
	c->body_got = 0;
}

bool xs_conn_throttled(struct xs_store *st, const struct xs_conn *c)
{
	return !c->privileged && c->out_replies >= st->quota[XS_Q_OUTSTANDING];
}

static int dispatch(struct xs_store *st, struct xs_conn *c)
{
	struct xs_req req;
	int rc;

	memset(&req, 0, sizeof(req));
	req.hdr = c->hdr;
	req.body = c->body;
	req.body[req.hdr.len] = '\0';
	c->body = NULL;
	c->hdr_got = 0;
	c->body_got = 0;
	rc = xs_request_handle(st, c, &req);
	free(req.body);
	if (c->tp->dispatched)
		c->tp->dispatched(c);
	return rc;
}

/* One read step; returns >0 when progress was made, 0 if idle. */
static int step(struct xs_store *st, struct xs_conn *c)
{
	int r, rc;

	if (c->hdr_got < sizeof(c->hdr)) {
		r = c->tp->read(c, (char *)&c->hdr + c->hdr_got,
				sizeof(c->hdr) - c->hdr_got);
		if (r <= 0)
			return r;
		c->hdr_got += (size_t)r;
		if (c->hdr_got < sizeof(c->hdr))
			return 1;
		rc = xs_wire_check_header(&c->hdr);
		if (rc) {
			xs_log_client("connection %u (domain %u): message of "
				      "%u bytes exceeds %u, disconnecting",
				      c->id, c->domid, c->hdr.len,
				      XENSTORE_PAYLOAD_MAX);
			return rc;
		}
		c->body = malloc(c->hdr.len + 1);
		if (!c->body)
			return -ENOMEM;
		c->body_got = 0;
	}
	if (c->body_got < c->hdr.len) {
		r = c->tp->read(c, c->body + c->body_got,
				c->hdr.len - c->body_got);
		if (r <= 0)
			return r;
		c->body_got += (size_t)r;
	}
	if (c->body_got == c->hdr.len) {
		rc = dispatch(st, c);
		return rc < 0 ? rc : 2;
	}
	return 1;
}

static void log_throttle(struct xs_store *st, struct xs_conn *c)
{
	if (xs_conn_throttled(st, c) && !c->throttle_logged) {
		xs_log_client("connection %u (domain %u): quota 'outstanding' "
			      "reached (%u unread replies); not reading until "
			      "the client reads", c->id, c->domid,
			      c->out_replies);
		c->throttle_logged = true;
	} else if (!xs_conn_throttled(st, c)) {
		c->throttle_logged = false;
	}
}

/* May @c start reading another message in this round? */
static bool may_start(struct xs_store *st, struct xs_conn *c)
{
	if (c->hdr_got != 0)
		return true;	/* finish the message under way */
	return c->budget > 0 && xs_rate_may_read(st, c);
}

int xs_conn_handle_input(struct xs_store *st, struct xs_conn *c)
{
	unsigned int steps = 0;
	int r = 0;

	if (c->round != st->round) {
		c->round = st->round;
		c->budget = XS_REQS_PER_ROUND;
	}
	while (!c->dead && steps < 4 * XS_REQS_PER_ROUND &&
	       !xs_conn_throttled(st, c) && may_start(st, c)) {
		r = step(st, c);
		if (r <= 0)
			break;
		steps++;
		if (r == 2) {
			c->budget--;
			xs_rate_take(st, c);
		}
	}
	if (r < 0)
		return r;
	log_throttle(st, c);
	r = xs_conn_flush(c);
	if (r < 0)
		return r;
	/* Out of budget, input may remain: come back next round. */
	return c->budget == 0 && !c->dead ? 1 : 0;
}

/*
 * test-xs-harness.c: the in-memory transport and request helpers used by
 * every pvxenstored unit test (declared in xs/xs-test.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

struct memconn {
	char *in;
	size_t in_len, in_off;
	char *out;
	size_t out_len, out_cap;
	bool reading;
	struct th_reply *events;
	unsigned int nevents, evhead;
};

static int mem_read(struct xs_conn *c, void *buf, size_t len)
{
	struct memconn *m = c->tp_priv;
	size_t n = m->in_len - m->in_off;

	if (n > len)
		n = len;
	memcpy(buf, m->in + m->in_off, n);
	m->in_off += n;
	return (int)n;
}

static int mem_write(struct xs_conn *c, const void *buf, size_t len)
{
	struct memconn *m = c->tp_priv;

	if (!m->reading)
		return 0;
	if (m->out_len + len > m->out_cap) {
		m->out_cap = (m->out_len + len) * 2;
		m->out = realloc(m->out, m->out_cap);
	}
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	return (int)len;
}

static void mem_destroy(struct xs_conn *c)
{
	struct memconn *m = c->tp_priv;

	free(m->in);
	free(m->out);
	free(m->events);
	free(m);
}

static const struct xs_transport mem_transport = {
	.kind = "memory",
	.read = mem_read,
	.write = mem_write,
	.destroy = mem_destroy,
};

struct xs_store *th_store(void)
{
	struct xs_store *st = calloc(1, sizeof(*st));

	CU_ASSERT_FATAL(st != NULL);
	CU_ASSERT_FATAL(xs_store_init(st) == 0);
	return st;
}

void th_store_free(struct xs_store *st)
{
	xs_store_dispose(st);
	free(st);
}

struct xs_conn *th_conn(struct xs_store *st, unsigned int domid, bool priv)
{
	struct memconn *m = calloc(1, sizeof(*m));
	struct xs_conn *c;

	CU_ASSERT_FATAL(m != NULL);
	m->reading = true;
	c = xs_conn_create(st, domid, priv, &mem_transport, m);
	CU_ASSERT_FATAL(c != NULL);
	if (!priv) {
		struct xs_domain *d = xs_domain_get(st, domid);

		d->introduced = true;
		d->conn = c;
	}
	return c;
}

void th_set_reading(struct xs_conn *c, bool on)
{
	struct memconn *m = c->tp_priv;

	m->reading = on;
}

void th_queue(struct xs_conn *c, const void *buf, size_t len)
{
	struct memconn *m = c->tp_priv;

	m->in = realloc(m->in, m->in_len - m->in_off + len + 1);
	memmove(m->in, m->in + m->in_off, m->in_len - m->in_off);
	m->in_len -= m->in_off;
	m->in_off = 0;
	memcpy(m->in + m->in_len, buf, len);
	m->in_len += len;
}

int th_feed(struct xs_store *st, struct xs_conn *c, const void *buf,
	    size_t len)
{
	int rc;

	th_queue(c, buf, len);
	/* Each feed is a round of the loop, a millisecond after the last. */
	st->now_ns += 1000000;
	do {
		st->round++;
		rc = xs_conn_handle_input(st, c);
	} while (rc == 1);
	return rc;
}

/* Move complete messages out of the output; events aside. */
static int take_reply(struct xs_conn *c, struct th_reply *out)
{
	struct memconn *m = c->tp_priv;
	int found = -1;

	while (m->out_len >= sizeof(struct xsd_sockmsg)) {
		struct xsd_sockmsg h;
		struct th_reply r;
		size_t total;

		memcpy(&h, m->out, sizeof(h));
		total = sizeof(h) + h.len;
		if (m->out_len < total || h.len > XENSTORE_PAYLOAD_MAX)
			break;
		memset(&r, 0, sizeof(r));
		r.type = h.type;
		r.req_id = h.req_id;
		r.tx_id = h.tx_id;
		r.len = h.len;
		memcpy(r.data, m->out + sizeof(h), h.len);
		memmove(m->out, m->out + total, m->out_len - total);
		m->out_len -= total;
		if (h.type == XS_WATCH_EVENT) {
			m->events = realloc(m->events, (m->nevents + 1) *
					    sizeof(*m->events));
			m->events[m->nevents++] = r;
		} else if (found < 0) {
			*out = r;
			found = 0;
		}
	}
	return found;
}

int th_req_raw(struct xs_store *st, struct xs_conn *c, uint32_t type,
	       uint32_t tx, const void *payload, size_t len,
	       struct th_reply *out)
{
	static uint32_t req_id = 100;
	struct xsd_sockmsg h = { type, ++req_id, tx, (uint32_t)len };
	char *buf = malloc(sizeof(h) + len + 1);
	struct th_reply dummy;
	int rc;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	rc = th_feed(st, c, buf, sizeof(h) + len);
	free(buf);
	xs_conn_flush(c);
	if (!out)
		out = &dummy;
	memset(out, 0, sizeof(*out));
	out->type = XS_INVALID;
	if (take_reply(c, out) == 0 && out->req_id != h.req_id)
		out->type = XS_INVALID;
	return rc;
}

int th_req(struct xs_store *st, struct xs_conn *c, uint32_t type,
	   uint32_t tx, struct th_reply *out, ...)
{
	char payload[XENSTORE_PAYLOAD_MAX * 2];
	size_t len = 0;
	const char *s;
	va_list ap;

	va_start(ap, out);
	while ((s = va_arg(ap, const char *))) {
		size_t n = strlen(s) + 1;

		memcpy(payload + len, s, n);
		len += n;
	}
	va_end(ap);
	return th_req_raw(st, c, type, tx, payload, len, out);
}

const char *th_result(const struct th_reply *r)
{
	static char buf[XENSTORE_PAYLOAD_MAX + 64];

	if (r->type == XS_INVALID)
		return "(no reply)";
	memcpy(buf, r->data, r->len);
	buf[r->len] = '\0';
	return buf;
}

const char *th_write(struct xs_store *st, struct xs_conn *c, uint32_t tx,
		     const char *path, const char *value)
{
	char payload[XENSTORE_PAYLOAD_MAX * 2];
	size_t pl = strlen(path) + 1, vl = strlen(value);
	struct th_reply r;

	memcpy(payload, path, pl);
	memcpy(payload + pl, value, vl);
	th_req_raw(st, c, XS_WRITE, tx, payload, pl + vl, &r);
	return th_result(&r);
}

const char *th_read(struct xs_store *st, struct xs_conn *c, uint32_t tx,
		    const char *path)
{
	struct th_reply r;

	th_req(st, c, XS_READ, tx, &r, path, NULL);
	return th_result(&r);
}

uint32_t th_tx_start(struct xs_store *st, struct xs_conn *c)
{
	struct th_reply r;

	th_req(st, c, XS_TRANSACTION_START, 0, &r, "", NULL);
	if (r.type != XS_TRANSACTION_START)
		return 0;
	return (uint32_t)strtoul(r.data, NULL, 10);
}

const char *th_tx_end(struct xs_store *st, struct xs_conn *c, uint32_t tx,
		      bool commit)
{
	struct th_reply r;

	th_req(st, c, XS_TRANSACTION_END, tx, &r, commit ? "T" : "F", NULL);
	return th_result(&r);
}

int th_event(struct xs_conn *c, char *path, size_t psize, char *token,
	     size_t tsize)
{
	struct memconn *m = c->tp_priv;
	struct th_reply dummy, *e;

	xs_conn_flush(c);
	take_reply(c, &dummy);
	if (m->evhead == m->nevents)
		return -1;
	e = &m->events[m->evhead++];
	snprintf(path, psize, "%s", e->data);
	snprintf(token, tsize, "%s", e->data + strlen(e->data) + 1);
	return 0;
}

unsigned int th_nevents(struct xs_conn *c)
{
	struct memconn *m = c->tp_priv;
	struct th_reply dummy;

	xs_conn_flush(c);
	take_reply(c, &dummy);
	return m->nevents - m->evhead;
}

int th_run(const char *name, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {
		{ name, NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() +
		   CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}

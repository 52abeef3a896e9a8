/*
 * test-xs-ratelimit.c: per-domain request rate limits and round-robin
 * service (ratelimit.c, conn.c).
 *
 * Time is the store's clock, set by the test: a domain gets its burst, then
 * one request per 1/rate seconds; the wait the loop is told matches; dom0
 * and a rate of 0 are never limited; a flooding connection gets one budget
 * per round while an honest one is served in the same round.
 */
#include <string.h>
#include <CUnit/Basic.h>

#include "xs-test.h"

#define NS_PER_MS 1000000ull

/* Queue @n GET_DOMAIN_PATH requests on @c without handling them. */
static void queue_requests(struct xs_conn *c, unsigned int n)
{
	struct xsd_sockmsg h = { XS_GET_DOMAIN_PATH, 1, 0, 2 };
	char msg[sizeof(h) + 2];

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), "4", 2);
	while (n--)
		th_queue(c, msg, sizeof(msg));
}

/* One round of the loop for @c; returns the requests it handled. */
static unsigned int round_of(struct xs_store *st, struct xs_conn *c)
{
	unsigned int before = c->out_replies;

	st->round++;
	xs_conn_handle_input(st, c);
	return c->out_replies - before;
}

static unsigned int drain(struct xs_store *st, struct xs_conn *c)
{
	unsigned int n = 0, got;

	do {
		got = round_of(st, c);
		n += got;
		xs_conn_flush(c);
		c->out_replies = 0;	/* as if the client read them */
	} while (got);
	return n;
}

static void test_bucket(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *g = th_conn(st, 4, false);

	st->quota[XS_Q_RATE] = 10;
	st->quota[XS_Q_BURST] = 5;
	st->now_ns = 1000 * NS_PER_MS;
	th_set_reading(g, false);
	queue_requests(g, 40);
	CU_ASSERT_EQUAL(drain(st, g), 5);	/* the burst */
	CU_ASSERT(g->rate_blocked);
	CU_ASSERT_EQUAL(xs_rate_next_ns(st), 100 * NS_PER_MS);
	st->now_ns += 50 * NS_PER_MS;
	CU_ASSERT_EQUAL(drain(st, g), 0);
	CU_ASSERT_EQUAL(xs_rate_next_ns(st), 50 * NS_PER_MS);
	st->now_ns += 50 * NS_PER_MS;
	CU_ASSERT_EQUAL(drain(st, g), 1);	/* one token per 100 ms */
	st->now_ns += 350 * NS_PER_MS;
	CU_ASSERT_EQUAL(drain(st, g), 3);
	st->now_ns += 10000 * NS_PER_MS;
	CU_ASSERT_EQUAL(drain(st, g), 5);	/* refills to the burst only */
	CU_ASSERT_EQUAL(xs_domain_find(st, 4)->rate_delays, 4);
	/* The requests were held back, not failed. */
	CU_ASSERT_EQUAL(g->hdr_got, 0);
	th_store_free(st);
}

static void test_unlimited(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *d0 = th_conn(st, 0, true), *g = th_conn(st, 4, false);

	st->quota[XS_Q_RATE] = 10;
	st->quota[XS_Q_BURST] = 5;
	th_set_reading(d0, false);
	queue_requests(d0, 100);
	CU_ASSERT_EQUAL(drain(st, d0), 100);	/* dom0 is not limited */
	st->quota[XS_Q_RATE] = 0;
	th_set_reading(g, false);
	queue_requests(g, 100);
	CU_ASSERT_EQUAL(drain(st, g), 100);	/* a rate of 0: no limit */
	CU_ASSERT_EQUAL(xs_rate_next_ns(st), 0);
	th_store_free(st);
}

static void test_domains_apart(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *flood = th_conn(st, 4, false);
	struct xs_conn *honest = th_conn(st, 5, false);

	st->quota[XS_Q_RATE] = 10;
	st->quota[XS_Q_BURST] = 5;
	th_set_reading(flood, false);
	th_set_reading(honest, false);
	queue_requests(flood, 50);
	CU_ASSERT_EQUAL(drain(st, flood), 5);
	/* The flooder's empty bucket is not the honest domain's. */
	queue_requests(honest, 3);
	CU_ASSERT_EQUAL(drain(st, honest), 3);
	th_store_free(st);
}

static void test_round_robin(void)
{
	struct xs_store *st = th_store();
	struct xs_conn *flood = th_conn(st, 0, true);
	struct xs_conn *honest = th_conn(st, 0, true);
	unsigned int rounds = 0;

	th_set_reading(flood, false);
	th_set_reading(honest, false);
	queue_requests(flood, 100);
	queue_requests(honest, 1);
	/* One round: each gets a turn, the flooder one budget only. */
	st->round++;
	CU_ASSERT_EQUAL(xs_conn_handle_input(st, flood), 1);
	CU_ASSERT_EQUAL(xs_conn_handle_input(st, honest), 0);
	CU_ASSERT_EQUAL(flood->out_replies, XS_REQS_PER_ROUND);
	CU_ASSERT_EQUAL(honest->out_replies, 1);
	/* A second turn in the same round gets nothing more. */
	CU_ASSERT_EQUAL(xs_conn_handle_input(st, flood), 1);
	CU_ASSERT_EQUAL(flood->out_replies, XS_REQS_PER_ROUND);
	while (xs_conn_handle_input(st, flood) == 1 && rounds++ < 100)
		st->round++;
	CU_ASSERT_EQUAL(flood->out_replies, 100);
	CU_ASSERT_EQUAL(rounds, (100 + XS_REQS_PER_ROUND - 1) / XS_REQS_PER_ROUND - 1);
	th_store_free(st);
}

static CU_TestInfo tests[] = {
	{ "token bucket: burst, refill, cap", test_bucket },
	{ "dom0 and rate 0 are not limited", test_unlimited },
	{ "one bucket per domain", test_domains_apart },
	{ "round robin with a budget per round", test_round_robin },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return th_run("xs rate limits", tests);
}

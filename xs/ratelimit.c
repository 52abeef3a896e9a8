/*
 * ratelimit.c: per-domain request rate limits (token buckets).
 *
 * Quotas bound what a domain holds; this bounds how fast it asks.  Each
 * unprivileged domain has a bucket of "request-burst" tokens refilled at
 * "request-rate" tokens per second (both --quota names; a rate of 0 turns
 * the limit off).  Every request a domain's connection dispatches takes a
 * token; with none left the connection is simply not read until one has
 * accrued, so a flooding guest waits on its own ring (its requests stay
 * there) instead of failing, and the daemon's time goes to the others.
 * C xenstored 4.17 limits writes the same way (reference §3.5: 200 writes/s
 * per domain with a small burst) and delays rather than fails the domain;
 * we count every request, reads included, since any request costs the
 * daemon time, and default to limits an honest guest never meets.
 *
 * Time is st->now_ns, set by the daemon's loop (CLOCK_MONOTONIC) and by
 * the unit tests, so the arithmetic is deterministic under test.  Tokens
 * are kept in thousandths so slow rates still accrue between wakeups.
 */
#include <time.h>

#include "xs-priv.h"

#define MILLI 1000u
#define NSEC_PER_SEC 1000000000ull

uint64_t xs_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static bool limited(const struct xs_store *st, const struct xs_conn *c)
{
	return !c->privileged && st->quota[XS_Q_RATE] != 0;
}

static void refill(struct xs_store *st, struct xs_domain *d)
{
	uint64_t cap = (uint64_t)st->quota[XS_Q_BURST] * MILLI;
	uint64_t rate = st->quota[XS_Q_RATE], elapsed, add;

	if (!d->rate_started) {
		d->rate_started = true;
		d->rate_tokens = cap;
		d->rate_stamp = st->now_ns;
		return;
	}
	if (st->now_ns <= d->rate_stamp)
		return;
	elapsed = st->now_ns - d->rate_stamp;
	/* Past a full refill the elapsed time no longer matters (and the
	 * product below stays far from overflow). */
	if (elapsed > 3600 * NSEC_PER_SEC)
		elapsed = 3600 * NSEC_PER_SEC;
	add = elapsed * rate / (NSEC_PER_SEC / MILLI);
	if (add == 0)
		return;		/* keep the stamp: let small steps add up */
	d->rate_tokens = d->rate_tokens + add > cap ? cap : d->rate_tokens + add;
	d->rate_stamp = st->now_ns;
}

bool xs_rate_may_read(struct xs_store *st, struct xs_conn *c)
{
	bool was_blocked = c->rate_blocked;
	struct xs_domain *d;

	c->rate_blocked = false;
	if (!limited(st, c))
		return true;
	d = xs_domain_get(st, c->domid);
	if (!d)
		return true;	/* no accounting possible; do not wedge it */
	refill(st, d);
	c->rate_blocked = d->rate_tokens < MILLI;
	if (c->rate_blocked && !was_blocked)
		d->rate_delays++;
	return !c->rate_blocked;
}

void xs_rate_take(struct xs_store *st, struct xs_conn *c)
{
	struct xs_domain *d;

	if (!limited(st, c))
		return;
	d = xs_domain_find(st, c->domid);
	if (d && d->rate_tokens >= MILLI)
		d->rate_tokens -= MILLI;
}

uint64_t xs_rate_next_ns(struct xs_store *st)
{
	uint64_t best = 0, rate = st->quota[XS_Q_RATE];
	struct xs_conn *c;

	if (rate == 0)
		return 0;
	for (c = st->conns; c; c = c->next) {
		struct xs_domain *d;
		uint64_t wait;

		if (!c->rate_blocked || c->dead)
			continue;
		d = xs_domain_find(st, c->domid);
		if (!d || d->rate_tokens >= MILLI)
			return 1;
		wait = ((MILLI - d->rate_tokens) * (NSEC_PER_SEC / MILLI) +
			rate - 1) / rate;
		if (st->now_ns > d->rate_stamp)
			wait = wait > st->now_ns - d->rate_stamp ?
			       wait - (st->now_ns - d->rate_stamp) : 1;
		if (best == 0 || wait < best)
			best = wait;
	}
	return best;
}

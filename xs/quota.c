/*
 * quota.c: the quota table and per-domain usage.
 *
 * Defaults are C xenstored 4.17's (reference §3.5).  Quotas bind only
 * unprivileged domains.  A domain entry exists while the domain owns nodes,
 * holds a connection or is introduced; it is the one place usage is kept,
 * so every check reads the same numbers (CVE-2018-15470 came from checks in
 * two places).  When a quota is hit, the log names the quota and the domain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

const char *const xs_quota_names[XS_QUOTA_COUNT] = {
	[XS_Q_NODES] = "nodes",
	[XS_Q_NODE_SIZE] = "node-size",
	[XS_Q_WATCHES] = "watches",
	[XS_Q_TRANSACTIONS] = "transactions",
	[XS_Q_OUTSTANDING] = "outstanding",
	[XS_Q_MEMORY] = "memory",
	[XS_Q_PERMS] = "perms",
	[XS_Q_TX_NODES] = "transaction-nodes",
	[XS_Q_RATE] = "request-rate",
	[XS_Q_BURST] = "request-burst",
};

void xs_quota_defaults(unsigned int *quota)
{
	quota[XS_Q_NODES] = 1000;
	quota[XS_Q_NODE_SIZE] = 2048;
	quota[XS_Q_WATCHES] = 128;
	quota[XS_Q_TRANSACTIONS] = 10;
	quota[XS_Q_OUTSTANDING] = 20;
	quota[XS_Q_MEMORY] = 2 * 1024 * 1024;
	quota[XS_Q_PERMS] = 5;
	quota[XS_Q_TX_NODES] = 1024;
	/* Requests per second and burst per domain: well above what a guest
	 * booting with a few devices asks (tens), far below the daemon's
	 * capacity (docs/benchmarks.md). */
	quota[XS_Q_RATE] = 2000;
	quota[XS_Q_BURST] = 500;
}

int xs_quota_set(unsigned int *quota, const char *name_eq_value)
{
	const char *eq = strchr(name_eq_value, '=');
	unsigned long v;
	unsigned int i;

	if (!eq || xs_parse_uint(eq + 1, 0x7fffffff, &v))
		return -EINVAL;
	for (i = 0; i < XS_QUOTA_COUNT; i++) {
		size_t n = strlen(xs_quota_names[i]);

		if ((size_t)(eq - name_eq_value) == n &&
		    strncmp(name_eq_value, xs_quota_names[i], n) == 0) {
			quota[i] = (unsigned int)v;
			return 0;
		}
	}
	return -ENOENT;
}

struct xs_domain *xs_domain_find(struct xs_store *st, unsigned int domid)
{
	struct xs_domain *d;

	for (d = st->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

struct xs_domain *xs_domain_get(struct xs_store *st, unsigned int domid)
{
	struct xs_domain *d = xs_domain_find(st, domid);

	if (d)
		return d;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->target = XS_DOMID_INVALID;
	d->next = st->domains;
	st->domains = d;
	return d;
}

void xs_domain_put_if_unused(struct xs_store *st, struct xs_domain *d)
{
	struct xs_domain **pp;

	if (d->nodes || d->watches || d->transactions || d->introduced ||
	    d->conn || d->domid == 0)
		return;
	for (pp = &st->domains; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			free(d);
			return;
		}
	}
}

void xs_quota_node_add(struct xs_store *st, unsigned int owner, size_t size)
{
	struct xs_domain *d = xs_domain_get(st, owner);

	/* Accounting must not fail; an allocation failure here only loses
	 * the numbers for a domain we could not even record. */
	if (!d)
		return;
	d->nodes++;
	d->memory += size;
}

void xs_quota_node_del(struct xs_store *st, unsigned int owner, size_t size)
{
	struct xs_domain *d = xs_domain_find(st, owner);

	if (!d)
		return;
	if (d->nodes)
		d->nodes--;
	d->memory = d->memory > size ? d->memory - size : 0;
	xs_domain_put_if_unused(st, d);
}

static size_t usage_of(const struct xs_domain *d, enum xs_quota_id q)
{
	switch (q) {
	case XS_Q_NODES: return d->nodes;
	case XS_Q_WATCHES: return d->watches;
	case XS_Q_TRANSACTIONS: return d->transactions;
	case XS_Q_MEMORY: return d->memory + d->tx_memory;
	default: return 0;
	}
}

/* @want: the new total for count quotas, the size for size quotas. */
int xs_quota_check(struct xs_store *st, unsigned int domid,
		   enum xs_quota_id q, size_t want)
{
	struct xs_domain *d = xs_domain_find(st, domid);
	size_t have = d ? usage_of(d, q) : 0;
	size_t total;

	switch (q) {
	case XS_Q_NODE_SIZE:
	case XS_Q_PERMS:
	case XS_Q_OUTSTANDING:
	case XS_Q_TX_NODES:
		total = want;
		break;
	default:
		total = have + want;
	}
	if (total <= st->quota[q])
		return 0;
	xs_log_client("domain %u: quota '%s' exceeded (%zu > %u); raise it "
		      "with --quota %s=N", domid, xs_quota_names[q], total,
		      st->quota[q], xs_quota_names[q]);
	return -ENOSPC;
}

int xs_quota_report(struct xs_store *st, char *buf, size_t size)
{
	const struct xs_domain *d;
	size_t off = 0;
	unsigned int i;
	int n;

	n = snprintf(buf, size, "quotas:");
	for (i = 0; i < XS_QUOTA_COUNT && n >= 0 && (size_t)n < size - off;
	     i++) {
		off += (size_t)n;
		n = snprintf(buf + off, size - off, " %s=%u", xs_quota_names[i],
			     st->quota[i]);
	}
	for (d = st->domains; d && n >= 0 && (size_t)n < size - off;
	     d = d->next) {
		off += (size_t)n;
		n = snprintf(buf + off, size - off,
			     "\ndomain %u: nodes %u watches %u transactions %u "
			     "memory %zu (+%zu in transactions) "
			     "rate-limited %lu%s", d->domid,
			     d->nodes, d->watches, d->transactions, d->memory,
			     d->tx_memory, d->rate_delays,
			     d->introduced ? " introduced" : "");
	}
	if (n < 0 || (size_t)n >= size - off)
		return -E2BIG;
	off += (size_t)n;
	return (int)off;
}

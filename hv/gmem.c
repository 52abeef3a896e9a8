/*
 * gmem.c: pvhv's only way into a domain's memory by guest-physical
 * address. Every hypercall argument is copied through here into pvhv's
 * own memory before it is looked at (copy, then validate), so a guest that
 * rewrites its arguments while pvhv works on them changes nothing.
 */
#include <errno.h>
#include <string.h>

#include "hv-priv.h"

static bool in_range(const struct hv_domain *d, uint64_t paddr, size_t len)
{
	return d->mem && paddr < d->mem_size && len <= d->mem_size - paddr;
}

int hv_gmem_read(const struct hv_domain *d, uint64_t paddr, void *dst, size_t len)
{
	if (!in_range(d, paddr, len))
		return -EFAULT;
	memcpy(dst, d->mem + paddr, len);
	return 0;
}

int hv_gmem_write(struct hv_domain *d, uint64_t paddr, const void *src, size_t len)
{
	if (!in_range(d, paddr, len))
		return -EFAULT;
	memcpy(d->mem + paddr, src, len);
	return 0;
}

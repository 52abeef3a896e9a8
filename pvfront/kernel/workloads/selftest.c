/*
 * selftest.c: init=selftest, each event channel and grant table primitive
 * against the real hypervisor, all loopback within this one domain.
 *
 * Output, one line per test, then the count, then SHUTDOWN_poweroff even
 * if something failed (the count says so):
 *
 *   selftest: ok <name>
 *   selftest: FAIL <name>: <what went wrong>
 *   selftest: skip <name>: <why it could not run>
 *   selftest: N passed, M failed
 *
 * Tests that map or copy our own grants need our domid, which start_info
 * does not carry. Xen resolves DOMID_SELF when it allocates a port, so
 * EVTCHNOP_status of a port allocated for remote_dom = DOMID_SELF reports
 * it; if that does not work those tests are skipped with the reason.
 */
#include <stdarg.h>
#include <stdint.h>

#include <pvos/console.h>
#include <pvos/errno.h>
#include <pvos/kernel.h>
#include <pvos/printf.h>
#include <pvos/xen.h>

#include "selftest-priv.h"

static unsigned int passed, failed;

enum st_result st_fail(struct st_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return ST_FAIL;
}

enum st_result st_skip(struct st_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return ST_SKIP;
}

const char *st_err(long rc)
{
	static char other[24];

	switch (rc) {
	case 0:		return "0";
	case -EPERM:	return "-EPERM";
	case -ESRCH:	return "-ESRCH";
	case -EIO:	return "-EIO";
	case -EFAULT:	return "-EFAULT";
	case -EBUSY:	return "-EBUSY";
	case -EEXIST:	return "-EEXIST";
	case -ENODEV:	return "-ENODEV";
	case -EINVAL:	return "-EINVAL";
	case -ENOSPC:	return "-ENOSPC";
	case -ENOSYS:	return "-ENOSYS (pvhv does not serve it)";
	default:
		snprintf(other, sizeof(other), "%ld", rc);
		return other;
	}
}

int st_loopback(evtchn_port_t *a_out, evtchn_port_t *b_out)
{
	evtchn_port_t a, b;
	int rc;

	rc = evtchn_alloc_unbound(DOMID_SELF, &a);
	if (rc < 0)
		return rc;
	rc = evtchn_bind_interdomain(DOMID_SELF, a, &b);
	if (rc < 0) {
		evtchn_close(a);
		return rc;
	}
	*a_out = a;
	*b_out = b;
	return 0;
}

/* Our domid from the status of an unbound port we allocated for us. */
static void learn_domid(struct st_ctx *c)
{
	struct evtchn_status st;
	evtchn_port_t port;
	int rc;

	c->has_self = false;
	rc = evtchn_alloc_unbound(DOMID_SELF, &port);
	if (rc < 0) {
		c->no_self = "EVTCHNOP_alloc_unbound failed, so the domid is unknown";
		return;
	}
	rc = evtchn_status(port, &st);
	evtchn_close(port);
	if (rc < 0 || st.status != EVTCHNSTAT_unbound) {
		c->no_self = "EVTCHNOP_status of an unbound port failed, so the domid is unknown";
		return;
	}
	if (st.u.unbound.dom >= DOMID_FIRST_RESERVED) {
		c->no_self = "EVTCHNOP_status reported a reserved domid for "
			     "remote_dom DOMID_SELF (Xen reports the caller's id)";
		return;
	}
	c->self = st.u.unbound.dom;
	c->has_self = true;
}

static void run(struct st_ctx *c, const struct selftest *t)
{
	enum st_result r;

	c->why[0] = '\0';
	r = t->fn(c);
	switch (r) {
	case ST_PASS:
		passed++;
		printk("selftest: ok %s\n", t->name);
		break;
	case ST_SKIP:
		printk("selftest: skip %s: %s\n", t->name, c->why);
		break;
	default:
		failed++;
		printk("selftest: FAIL %s: %s\n", t->name, c->why);
		break;
	}
}

void workload_selftest(void)
{
	static struct st_ctx ctx;

	learn_domid(&ctx);
	for (unsigned int i = 0; i < selftest_evtchn_count; i++)
		run(&ctx, &selftest_evtchn[i]);
	for (unsigned int i = 0; i < selftest_gnttab_count; i++)
		run(&ctx, &selftest_gnttab[i]);
	printk("selftest: %u passed, %u failed\n", passed, failed);
	kernel_shutdown(SHUTDOWN_poweroff);
}

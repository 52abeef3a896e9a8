/*
 * selftest-priv.h: what init=selftest's three files share.
 *
 * A test is a function that returns ST_PASS, or ST_FAIL/ST_SKIP with a
 * reason formatted by st_fail()/st_skip(); selftest.c prints one line per
 * test and the closing count.
 */
#ifndef PVOS_SELFTEST_PRIV_H
#define PVOS_SELFTEST_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <pvos/xen.h>

#include "xenfront.h"

enum st_result { ST_PASS, ST_FAIL, ST_SKIP };

struct st_ctx {
	domid_t self;		/* our domid, if has_self */
	bool has_self;
	const char *no_self;	/* why has_self is false */
	char why[192];
};

struct selftest {
	const char *name;
	enum st_result (*fn)(struct st_ctx *c);
};

enum st_result st_fail(struct st_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum st_result st_skip(struct st_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "-EINVAL", "-ENOSYS (pvhv does not serve it)", "0", ... */
const char *st_err(long rc);

/* Make a loopback pair: a unbound for ourselves, b bound to it. */
int st_loopback(evtchn_port_t *a_out, evtchn_port_t *b_out);

extern const struct selftest selftest_evtchn[];
extern const unsigned int selftest_evtchn_count;
extern const struct selftest selftest_gnttab[];
extern const unsigned int selftest_gnttab_count;

#endif /* PVOS_SELFTEST_PRIV_H */

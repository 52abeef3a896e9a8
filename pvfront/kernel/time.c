/*
 * time.c: PV system time and the wall clock (xen.h vcpu_time_info).
 *
 * The hypervisor publishes a snapshot (tsc_timestamp, system_time) and the
 * TSC-to-nanoseconds scale; the guest extrapolates with its own rdtsc:
 *
 *   now = system_time + (((tsc - tsc_timestamp) << tsc_shift) * mul) >> 32
 *
 * with a negative tsc_shift meaning a right shift. The snapshot is read
 * under its version seqlock: an odd version means an update is under way,
 * and a changed version means the copy is torn; either way, read again.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/arch.h>
#include <pvos/events.h>
#include <pvos/time.h>
#include <pvos/xen.h>

struct clock_snapshot {
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
};

/* Bound the retries: a hypervisor stuck mid-update must not hang us. */
#define SEQLOCK_MAX_TRIES	1000000

static void read_snapshot(struct clock_snapshot *snap)
{
	const volatile struct vcpu_time_info *t =
		&events_shared_info()->vcpu_info[0].time;
	uint32_t version;

	for (int tries = 0; tries < SEQLOCK_MAX_TRIES; tries++) {
		version = t->version;
		arch_rmb();
		snap->tsc_timestamp = t->tsc_timestamp;
		snap->system_time = t->system_time;
		snap->mul = t->tsc_to_system_mul;
		snap->shift = t->tsc_shift;
		arch_rmb();
		if (!(version & 1) && version == t->version)
			return;
		arch_cpu_relax();
	}
	/* Use the last (possibly torn) copy rather than stop the clock. */
}

static uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	/* 64x32 -> 96-bit product; the multiply is one instruction. */
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

bool time_is_available(void)
{
	struct clock_snapshot snap;

	read_snapshot(&snap);
	return snap.mul != 0;
}

uint64_t time_now_ns(void)
{
	struct clock_snapshot snap;
	uint64_t tsc;

	read_snapshot(&snap);
	tsc = arch_rdtsc();
	/* A TSC behind the snapshot (not expected) counts as no time. */
	if (tsc < snap.tsc_timestamp)
		return snap.system_time;
	return snap.system_time +
	       scale_delta(tsc - snap.tsc_timestamp, snap.mul, snap.shift);
}

uint64_t time_tsc_khz(void)
{
	struct clock_snapshot snap;
	uint64_t khz;

	read_snapshot(&snap);
	if (snap.mul == 0)
		return 0;
	/* xen.h: Hz = ((10^9 << 32) / mul) >> shift; kHz avoids overflow. */
	khz = (1000000ULL << 32) / snap.mul;
	return snap.shift < 0 ? khz << -snap.shift : khz >> snap.shift;
}

void time_wallclock(uint64_t *sec_out, uint32_t *nsec_out)
{
	const volatile shared_info_t *s = events_shared_info();
	uint64_t sec = 0, ns, now;
	uint32_t version, nsec = 0;

	for (int tries = 0; tries < SEQLOCK_MAX_TRIES; tries++) {
		version = s->wc_version;
		arch_rmb();
		sec = s->wc_sec | ((uint64_t)s->wc_sec_hi << 32);
		nsec = s->wc_nsec;
		arch_rmb();
		if (!(version & 1) && version == s->wc_version)
			break;
		arch_cpu_relax();
	}
	/* The wall clock is the epoch time at system time 0. */
	now = time_now_ns();
	ns = (uint64_t)nsec + now % NSEC_PER_SEC;
	*sec_out = sec + now / NSEC_PER_SEC + ns / NSEC_PER_SEC;
	*nsec_out = (uint32_t)(ns % NSEC_PER_SEC);
}

/*
 * time.c: the PV clock. Guests compute system time from the TSC with
 * Xen's formula (xen.h, struct vcpu_time_info):
 *
 *   ns = system_time + ((((tsc - tsc_timestamp) << shift) * mul) >> 32)
 *
 * (a negative shift is a right shift). System time is the host's
 * CLOCK_MONOTONIC, so timer deadlines map straight onto timerfds. pvhv
 * calibrates the TSC once at start-up against CLOCK_MONOTONIC_RAW.
 */
#include <time.h>
#include <x86intrin.h>

#include "hv-priv.h"

uint64_t hv_rdtsc(void)
{
	return __rdtsc();
}

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hv_tsc_scale(uint64_t tsc_hz, uint32_t *mul_out, int8_t *shift_out)
{
	const uint64_t ns_per_sec = 1000000000ull;
	uint64_t hz = tsc_hz ? tsc_hz : ns_per_sec;
	int shift = 0;

	/* Bring hz into (1e9, 2e9] so that mul lands in [2^31, 2^32). */
	while (hz > 2 * ns_per_sec) {
		hz >>= 1;
		shift--;
	}
	while (hz <= ns_per_sec) {
		hz <<= 1;
		shift++;
	}
	*mul_out = (uint32_t)((ns_per_sec << 32) / hz);
	*shift_out = (int8_t)shift;
}

void hv_time_calibrate(void)
{
	uint64_t t0, c0, t1, c1, best_hz = 0;

	/* Three 20 ms windows; the last one counts (the first warm the caches). */
	for (int i = 0; i < 3; i++) {
		struct timespec d = { 0, 20 * 1000000 };

		t0 = raw_ns();
		c0 = hv_rdtsc();
		nanosleep(&d, NULL);
		t1 = raw_ns();
		c1 = hv_rdtsc();
		best_hz = (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
	}
	hv.tsc_khz = best_hz / 1000;
	hv_tsc_scale(best_hz, &hv.tsc_to_system_mul, &hv.tsc_shift);
}

/*
 * pvos/time.h: PV time (xen.h vcpu_time_info) and the wall clock.
 *
 * System time is nanoseconds since the domain was built, extrapolated from
 * the hypervisor's last snapshot with the TSC. It is the time base of
 * set_timer_op deadlines.
 */
#ifndef PVOS_TIME_H
#define PVOS_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

/* True if the hypervisor gave us a usable clock (a non-zero multiplier). */
bool time_is_available(void);

/* Nanoseconds of system time now. */
uint64_t time_now_ns(void);

/* The wall clock now, as seconds and nanoseconds since the Unix epoch. */
void time_wallclock(uint64_t *sec_out, uint32_t *nsec_out);

/* The TSC frequency implied by the clock parameters, in kHz (0 if none). */
uint64_t time_tsc_khz(void);

#endif /* PVOS_TIME_H */

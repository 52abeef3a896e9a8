/*
 * unit.c: the pvos unit tests, run on the host by make check.
 *
 * One suite per pvos source file that can run outside a domain: printf,
 * string, cmdline, mm and events, and the protocol code in xen/
 * (evtchn, gnttab) over plain memory. The "what if" cases feed them what a
 * careless builder or a hostile hypervisor could.
 */
#include <stdio.h>

#include <CUnit/Basic.h>

#include "host.h"

int main(void)
{
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	add_printf_suite();
	add_string_suite();
	add_cmdline_suite();
	add_mm_suite();
	add_events_suite();
	add_evtchn_suite();
	add_gnttab_suite();
	add_xenbus_suite();
	add_blkfront_suite();
	add_pio_suite();
	add_ata_suite();
	add_bench_suite();
	add_net_suite();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}

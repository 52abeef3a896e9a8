/*
 * cunit-main.h: one way to run a CUnit program. Each suite file defines
 * its suites and calls sv_cunit_run(), which prints CUnit's summary and
 * returns non-zero if anything failed, so automake counts it right.
 */
#ifndef CUNIT_MAIN_H
#define CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

static inline int sv_cunit_run(CU_SuiteInfo *suites)
{
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#endif /* CUNIT_MAIN_H */

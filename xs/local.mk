# pvxenstored: the XenStore daemon (see xs/README.md).
noinst_LIBRARIES += xs/libxs.a
xs_libxs_a_SOURCES = \
	xs/xs.h xs/xs-priv.h \
	xs/path.c xs/perms.c xs/tree.c xs/quota.c xs/transaction.c \
	xs/store.c xs/watch.c xs/wire.c xs/conn.c xs/request.c \
	xs/domain.c xs/control.c xs/ring.c xs/sock.c xs/log.c \
	xs/ratelimit.c xs/persist.c

pkglibexec_PROGRAMS += xs/pvxenstored
xs_pvxenstored_SOURCES = xs/pvxenstored.c xs/hvlink.c
xs_pvxenstored_LDADD = xs/libxs.a common/libsv.a

EXTRA_DIST += xs/README.md

# Unit tests: CUnit programs over the real request path (xs/xs-test.h).
XS_TESTS = tests/unit/test-xs-tree tests/unit/test-xs-transaction tests/unit/test-xs-perms tests/unit/test-xs-quota tests/unit/test-xs-watch tests/unit/test-xs-wire tests/unit/test-xs-ring tests/unit/test-xs-ratelimit tests/unit/test-xs-persist
check_PROGRAMS += $(XS_TESTS)
TESTS += $(XS_TESTS)
EXTRA_DIST += xs/xs-test.h
XS_TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/xs
XS_TEST_LDADD = xs/libxs.a $(CUNIT_LIBS)
tests_unit_test_xs_tree_SOURCES = tests/unit/test-xs-tree.c tests/unit/test-xs-harness.c
tests_unit_test_xs_tree_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_tree_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_transaction_SOURCES = tests/unit/test-xs-transaction.c tests/unit/test-xs-harness.c
tests_unit_test_xs_transaction_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_transaction_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_perms_SOURCES = tests/unit/test-xs-perms.c tests/unit/test-xs-harness.c
tests_unit_test_xs_perms_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_perms_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_quota_SOURCES = tests/unit/test-xs-quota.c tests/unit/test-xs-harness.c
tests_unit_test_xs_quota_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_quota_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_watch_SOURCES = tests/unit/test-xs-watch.c tests/unit/test-xs-harness.c
tests_unit_test_xs_watch_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_watch_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_wire_SOURCES = tests/unit/test-xs-wire.c tests/unit/test-xs-harness.c
tests_unit_test_xs_wire_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_wire_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_ring_SOURCES = tests/unit/test-xs-ring.c tests/unit/test-xs-harness.c
tests_unit_test_xs_ring_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_ring_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_ratelimit_SOURCES = tests/unit/test-xs-ratelimit.c tests/unit/test-xs-harness.c
tests_unit_test_xs_ratelimit_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_ratelimit_LDADD = $(XS_TEST_LDADD)
tests_unit_test_xs_persist_SOURCES = tests/unit/test-xs-persist.c tests/unit/test-xs-harness.c
tests_unit_test_xs_persist_CFLAGS = $(XS_TEST_CFLAGS)
tests_unit_test_xs_persist_LDADD = $(XS_TEST_LDADD)

# Integration: the real daemon driven by Debian's xenstore-* tools.
TESTS += tests/integration/xs-utils.sh
EXTRA_DIST += tests/integration/xs-utils.sh

# Fuzzing is explicit (needs clang): tests/fuzz/xs-fuzz.sh [SECONDS].
EXTRA_DIST += tests/fuzz/xs-fuzz.sh tests/fuzz/xs-fuzz-wire.c
fuzz-xs:
	$(SHELL) $(top_srcdir)/tests/fuzz/xs-fuzz.sh $(XS_FUZZ_SECONDS)
.PHONY: fuzz-xs

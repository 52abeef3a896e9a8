# pvback/: backend drivers facing guests.
noinst_LIBRARIES += pvback/libblkback.a
pvback_libblkback_a_SOURCES = pvback/blkback-priv.h pvback/blkreq.c

pkglibexec_PROGRAMS += pvback/pvblkback
pvback_pvblkback_SOURCES = pvback/blkback.c pvback/blkio.c pvback/xsback.c pvback/xsback.h
pvback_pvblkback_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS) $(LIBURING_CFLAGS) -pthread
pvback_pvblkback_LDADD = pvback/libblkback.a common/libsv.a $(XENSTORE_LIBS) $(LIBURING_LIBS)
pvback_pvblkback_LDFLAGS = $(AM_LDFLAGS) -pthread

check_PROGRAMS += tests/unit/test-blkreq
TESTS += tests/unit/test-blkreq
tests_unit_test_blkreq_SOURCES = tests/unit/test-blkreq.c tests/unit/cunit-main.h
tests_unit_test_blkreq_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/pvback
tests_unit_test_blkreq_LDADD = pvback/libblkback.a $(CUNIT_LIBS)

noinst_LIBRARIES += pvback/libnetback.a
pvback_libnetback_a_SOURCES = pvback/netback-priv.h pvback/netreq.c

pkglibexec_PROGRAMS += pvback/pvnetback
pvback_pvnetback_SOURCES = pvback/netback.c pvback/netio.c pvback/xsback.c pvback/xsback.h
pvback_pvnetback_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS) -pthread
pvback_pvnetback_LDADD = pvback/libnetback.a common/libsv.a $(XENSTORE_LIBS)
pvback_pvnetback_LDFLAGS = $(AM_LDFLAGS) -pthread

check_PROGRAMS += tests/unit/test-netreq
TESTS += tests/unit/test-netreq
tests_unit_test_netreq_SOURCES = tests/unit/test-netreq.c tests/unit/cunit-main.h
tests_unit_test_netreq_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/pvback
tests_unit_test_netreq_LDADD = pvback/libnetback.a $(CUNIT_LIBS)

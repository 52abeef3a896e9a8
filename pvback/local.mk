# pvback/: backend drivers facing guests.
noinst_LIBRARIES += pvback/libblkback.a
pvback_libblkback_a_SOURCES = pvback/blkback-priv.h pvback/blkreq.c

pkglibexec_PROGRAMS += pvback/pvblkback
pvback_pvblkback_SOURCES = pvback/blkback.c pvback/blkio.c
pvback_pvblkback_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS) $(LIBURING_CFLAGS) -pthread
pvback_pvblkback_LDADD = pvback/libblkback.a common/libsv.a $(XENSTORE_LIBS) $(LIBURING_LIBS)
pvback_pvblkback_LDFLAGS = $(AM_LDFLAGS) -pthread

# The domain XML loader: dom0/domcfg.c reads libvirt-style domain XML and
# validates it against dom0/domain.rng, which is installed so that pvctl
# finds it at run time as $(pkgdatadir)/schemas/domain.rng.
noinst_LIBRARIES += dom0/libdomcfg.a
# pvh_ctl.h is listed because domcfg.h includes it (enum pvh_action);
# automake then distributes it even before hv/ lists its headers.
dom0_libdomcfg_a_SOURCES = dom0/domcfg.c dom0/domcfg.h hv/include/public/pvh_ctl.h
dom0_libdomcfg_a_CFLAGS = $(AM_CFLAGS) $(LIBXML2_CFLAGS) $(UUID_CFLAGS)

schemasdir = $(pkgdatadir)/schemas
dist_schemas_DATA = dom0/domain.rng

EXTRA_DIST += examples/hello.xml examples/pvdisk.xml examples/full.xml examples/idedisk.xml

check_PROGRAMS += tests/unit/test-domcfg
TESTS += tests/unit/test-domcfg
tests_unit_test_domcfg_SOURCES = tests/unit/test-domcfg.c
tests_unit_test_domcfg_CFLAGS = $(AM_CFLAGS) $(LIBXML2_CFLAGS) $(UUID_CFLAGS) \
	$(CUNIT_CFLAGS) -I$(top_srcdir)/dom0
tests_unit_test_domcfg_LDADD = dom0/libdomcfg.a $(LIBXML2_LIBS) $(UUID_LIBS) $(CUNIT_LIBS)
EXTRA_DIST += tests/domcfg

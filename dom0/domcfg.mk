# The domain XML loader: dom0/domcfg.c reads libvirt-style domain XML and
# validates it against dom0/domain.rng, which is installed so that pvctl
# finds it at run time as $(pkgdatadir)/schemas/domain.rng.
noinst_LIBRARIES += dom0/libdomcfg.a
dom0_libdomcfg_a_SOURCES = dom0/domcfg.c dom0/domcfg.h
dom0_libdomcfg_a_CFLAGS = $(AM_CFLAGS) $(LIBXML2_CFLAGS) $(UUID_CFLAGS)

schemasdir = $(pkgdatadir)/schemas
dist_schemas_DATA = dom0/domain.rng

# dom0/: the toolstack (pvctl) and, later, the console daemon and device model.
include dom0/domcfg.mk

sbin_PROGRAMS += dom0/pvctl
dom0_pvctl_SOURCES = dom0/pvctl.h dom0/pvctl.c dom0/paths.c dom0/ctlclient.c \
	dom0/pvctl-host.c dom0/pvctl-create.c dom0/pvctl-list.c dom0/pvctl-dom.c \
	dom0/pvctl-console.c dom0/pvctl-shutdown.c dom0/xslayout.c \
	dom0/pvctl-device.c dom0/pvctl-net.c dom0/pvctl-top.c dom0/pvctl-conf.c \
	dom0/pvctl-dm.c dom0/pvctl-dm.h
dom0_pvctl_CPPFLAGS = $(AM_CPPFLAGS) -DSV_ABS_SRCDIR='"$(abs_top_srcdir)"' \
	-DSV_SYSCONFDIR='"$(sysconfdir)"'
dom0_pvctl_CFLAGS = $(AM_CFLAGS) $(LIBXML2_CFLAGS) $(UUID_CFLAGS) $(XENSTORE_CFLAGS)
dom0_pvctl_LDADD = dom0/libdomcfg.a common/libsv.a $(LIBXML2_LIBS) $(UUID_LIBS) $(XENSTORE_LIBS)

EXTRA_DIST += dom0/README.md

pkglibexec_PROGRAMS += dom0/pvconsoled
dom0_pvconsoled_SOURCES = dom0/pvconsoled.c
dom0_pvconsoled_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS)
dom0_pvconsoled_LDADD = common/libsv.a $(XENSTORE_LIBS)

# pvdm, the device model: the emulated IDE drive (ata.c) behind the
# domain's ioreq socket. test-ata runs the drive and the ioreq checks
# in-process against a temporary image and a malloc'd guest memory.
pkglibexec_PROGRAMS += dom0/pvdm
dom0_pvdm_SOURCES = dom0/pvdm.c dom0/ata.c dom0/ata.h dom0/ioreq.c dom0/ioreq.h
dom0_pvdm_LDADD = common/libsv.a

check_PROGRAMS += tests/unit/test-ata
TESTS += tests/unit/test-ata
tests_unit_test_ata_SOURCES = tests/unit/test-ata.c tests/unit/cunit-main.h \
	dom0/ata.c dom0/ata.h dom0/ioreq.c dom0/ioreq.h
tests_unit_test_ata_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/dom0
tests_unit_test_ata_LDADD = $(CUNIT_LIBS)

# pvdm as a process, against a stand-in for pvhv and the runner.
check_PROGRAMS += tests/unit/test-pvdm
TESTS += tests/unit/test-pvdm
tests_unit_test_pvdm_SOURCES = tests/unit/test-pvdm.c tests/unit/cunit-main.h
tests_unit_test_pvdm_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/dom0
tests_unit_test_pvdm_LDADD = common/libsv.a $(CUNIT_LIBS)

# pvdm's life around pvctl create and destroy, with the real daemons.
TESTS += tests/integration/ide-toolstack.sh
EXTRA_DIST += tests/integration/ide-toolstack.sh

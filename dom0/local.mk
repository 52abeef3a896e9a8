# dom0/: the toolstack (pvctl) and, later, the console daemon and device model.
include dom0/domcfg.mk

sbin_PROGRAMS += dom0/pvctl
dom0_pvctl_SOURCES = dom0/pvctl.h dom0/pvctl.c dom0/paths.c dom0/ctlclient.c \
	dom0/pvctl-host.c dom0/pvctl-create.c dom0/pvctl-list.c dom0/pvctl-dom.c \
	dom0/pvctl-console.c dom0/pvctl-shutdown.c dom0/xslayout.c \
	dom0/pvctl-device.c dom0/pvctl-net.c dom0/pvctl-top.c dom0/pvctl-conf.c
dom0_pvctl_CPPFLAGS = $(AM_CPPFLAGS) -DSV_ABS_SRCDIR='"$(abs_top_srcdir)"' \
	-DSV_SYSCONFDIR='"$(sysconfdir)"'
dom0_pvctl_CFLAGS = $(AM_CFLAGS) $(LIBXML2_CFLAGS) $(UUID_CFLAGS) $(XENSTORE_CFLAGS)
dom0_pvctl_LDADD = dom0/libdomcfg.a common/libsv.a $(LIBXML2_LIBS) $(UUID_LIBS) $(XENSTORE_LIBS)

EXTRA_DIST += dom0/README.md

pkglibexec_PROGRAMS += dom0/pvconsoled
dom0_pvconsoled_SOURCES = dom0/pvconsoled.c
dom0_pvconsoled_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS)
dom0_pvconsoled_LDADD = common/libsv.a $(XENSTORE_LIBS)

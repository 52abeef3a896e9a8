# pvxenstored: the XenStore daemon (see xs/README.md).
noinst_LIBRARIES += xs/libxs.a
xs_libxs_a_SOURCES = \
	xs/xs.h xs/xs-priv.h \
	xs/path.c xs/perms.c xs/tree.c xs/quota.c xs/transaction.c \
	xs/store.c xs/watch.c xs/wire.c xs/conn.c xs/request.c \
	xs/domain.c xs/control.c xs/ring.c xs/sock.c xs/log.c

sbin_PROGRAMS += xs/pvxenstored
xs_pvxenstored_SOURCES = xs/pvxenstored.c
xs_pvxenstored_LDADD = xs/libxs.a

EXTRA_DIST += xs/README.md

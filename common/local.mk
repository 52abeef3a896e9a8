# common/: utilities shared by every host-side program.
noinst_LIBRARIES += common/libsv.a
common_libsv_a_SOURCES = common/sv.h common/log.c common/util.c \
	common/hvclient.h common/hvclient.c common/evtchn-2l.h

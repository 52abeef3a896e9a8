# tests/: integration tests run the real daemons and boot real guests.
TESTS += tests/integration/hv-boot.sh tests/integration/hv-escape.sh \
	tests/integration/hv-lifecycle.sh tests/integration/hv-bad-input.sh \
	tests/integration/toolstack-xs.sh tests/integration/hv-dying.sh \
	tests/integration/blk-host.sh tests/integration/evtchn-two-guests.sh \
	tests/integration/console-viewers.sh \
	tests/integration/blk-hostile.sh tests/integration/blk-cycle.sh \
	tests/integration/blk-mq.sh tests/integration/blk-enospc.sh
# The legacy ATA driver against pvdm (pvfront/legacy/ata.c).
TESTS += tests/integration/guest-ide.sh
EXTRA_DIST += tests/integration/guest-ide.sh
# A guest that makes dom0 map all it can of its grants, through pvblkback
# and straight from dom0 up to its share.
TESTS += tests/integration/blk-grants.sh tests/integration/hv-gnt-share.sh
EXTRA_DIST += tests/integration/blk-grants.sh tests/integration/hv-gnt-share.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/hv-boot.sh \
	tests/integration/hv-escape.sh tests/integration/hv-lifecycle.sh \
	tests/integration/hv-bad-input.sh tests/integration/toolstack-xs.sh \
	tests/integration/hv-dying.sh tests/integration/blk-host.sh \
	tests/integration/evtchn-two-guests.sh tests/integration/console-viewers.sh \
	tests/integration/blk-lib.sh tests/integration/blk-hostile.sh \
	tests/integration/blk-cycle.sh tests/integration/blk-mq.sh \
	tests/integration/blk-enospc.sh \
	tests/unit/cunit-main.h

# A dom0 program that holds a grant mapping, for hv-dying.sh.
check_PROGRAMS += tests/integration/gnt-hold
tests_integration_gnt_hold_SOURCES = tests/integration/gnt-hold.c
tests_integration_gnt_hold_LDADD = common/libsv.a

# A dom0 program that waits for one of dom0's VIRQs, for hv-boot.sh.
check_PROGRAMS += tests/integration/virq-wait
tests_integration_virq_wait_SOURCES = tests/integration/virq-wait.c
tests_integration_virq_wait_LDADD = common/libsv.a

# What a hostile guest finds in its sandbox: descriptors judged by their low
# 32 bits, no host environment or paths in its address space.
TESTS += tests/integration/hv-sandbox.sh
EXTRA_DIST += tests/integration/hv-sandbox.sh

# Trap-and-emulate of guest port I/O in the runner.
TESTS += tests/integration/hv-pio.sh
EXTRA_DIST += tests/integration/hv-pio.sh

# The toolstack's devices, networking and operations (pvctl, XenStore, pvblkback).
TOOLSTACK_TESTS = tests/integration/toolstack-block.sh tests/integration/toolstack-net.sh \
	tests/integration/toolstack-ops.sh
TESTS += $(TOOLSTACK_TESTS)
EXTRA_DIST += $(TOOLSTACK_TESTS) tests/integration/toolstack-lib.sh

# pvbench --quick and blk-native's argument checks (bench/).
TESTS += tests/integration/pvbench-quick.sh
EXTRA_DIST += tests/integration/pvbench-quick.sh

# netfront against pvnetback on a bridge made for the test (ping, UDP echo, detach).
TESTS += tests/integration/guest-net.sh
EXTRA_DIST += tests/integration/guest-net.sh

# The whole suite 3 times in a row under a CPU hog on each core; stops at
# the first failure and names it (tests/stress.sh, tests/README.md).
check-stress: all
	SV_BUILDDIR='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/tests/stress.sh '$(abs_top_builddir)'
.PHONY: check-stress
EXTRA_DIST += tests/stress.sh

# Many guests at once (tests/load.sh: 200 by default, LOAD_GUESTS=N);
# minutes, so not part of make check.
check-load: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS=tests/load.sh
.PHONY: check-load
EXTRA_DIST += tests/load.sh

# Daemons that come back: kill -9 of pvblkback, pvnetback, pvconsoled and
# pvhv under running guests (makes a bridge: run it under /tmp/sv-net.lock).
TESTS += tests/integration/daemon-restart.sh
EXTRA_DIST += tests/integration/daemon-restart.sh

# XenStore under a flooding guest, and across a kill -9 of pvxenstored.
TESTS += tests/integration/xs-flood.sh tests/integration/xs-restart.sh
EXTRA_DIST += tests/integration/xs-flood.sh tests/integration/xs-restart.sh \
	tests/integration/xs-lib.sh

# Guests that attack pvhv itself: unread replies, floods, reboot loops.
TESTS += tests/integration/hv-hostile.sh
EXTRA_DIST += tests/integration/hv-hostile.sh

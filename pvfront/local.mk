# pvfront: the pvos guest kernel. It runs as the only code of a sandboxed
# domain process, so it is built freestanding with its own flags: none of
# the host's (sanitizers, PIE, stack protector) may leak in, since they
# would need a libc and system calls the sandbox forbids.
pvoskerneldir = $(pkglibdir)/kernel
pvoskernel_PROGRAMS = pvfront/pvos

# The ABI headers are listed too: pvos is built from them, so they must be
# in the tarball even when nothing else distributes them.
pvfront_pvos_SOURCES = \
	pvfront/arch/x86_64/start.S \
	pvfront/arch/x86_64/elfnote.c \
	pvfront/arch/x86_64/hypercall.c \
	pvfront/arch/x86_64/syscall.c \
	pvfront/kernel/main.c \
	pvfront/kernel/console.c \
	pvfront/kernel/printf.c \
	pvfront/kernel/string.c \
	pvfront/kernel/cmdline.c \
	pvfront/kernel/time.c \
	pvfront/kernel/events.c \
	pvfront/kernel/mm.c \
	pvfront/kernel/panic.c \
	pvfront/kernel/xenport.c \
	pvfront/kernel/control.c \
	pvfront/kernel/blk.c \
	pvfront/kernel/sha256.c \
	pvfront/kernel/workloads/hello.c \
	pvfront/kernel/workloads/escape.c \
	pvfront/kernel/workloads/memscan.c \
	pvfront/kernel/workloads/pio_test.c \
	pvfront/kernel/workloads/spin.c \
	pvfront/kernel/workloads/idle.c \
	pvfront/kernel/workloads/echo.c \
	pvfront/kernel/workloads/blk.c \
	pvfront/kernel/workloads/blkbench.c \
	pvfront/kernel/workloads/blk_hostile.c pvfront/kernel/workloads/blk_cycle.c \
	pvfront/kernel/workloads/blk_grants.c pvfront/kernel/workloads/gnt_flood.c \
	pvfront/kernel/workloads/timer.c \
	pvfront/kernel/workloads/hcall_bench.c pvfront/kernel/workloads/prim_bench.c pvfront/kernel/workloads/peer.c \
	pvfront/kernel/workloads/bench.c \
	pvfront/kernel/workloads/bench-priv.h \
	pvfront/kernel/workloads/pio_bench.c \
	pvfront/kernel/workloads/selftest.c \
	pvfront/kernel/workloads/selftest_evtchn.c \
	pvfront/kernel/workloads/selftest_gnttab.c \
	pvfront/kernel/workloads/selftest-priv.h \
	pvfront/xen/xenport.h \
	pvfront/xen/xenfront.h \
	pvfront/xen/evtchn.c \
	pvfront/xen/gnttab.c \
	pvfront/xen/xenbus.c \
	pvfront/xen/blkfront.c \
	pvfront/xen/netfront.c \
	pvfront/kernel/net.c \
	pvfront/kernel/workloads/net_echo.c \
	pvfront/kernel/workloads/net_hostile.c \
	pvfront/kernel/workloads/xs_flood.c \
	pvfront/include/pvos/net.h \
	pvfront/legacy/ata.c \
	pvfront/arch/x86_64/pio.h \
	pvfront/include/pvos/arch.h \
	pvfront/include/pvos/ata.h \
	pvfront/include/pvos/cmdline.h \
	pvfront/include/pvos/console.h \
	pvfront/include/pvos/control.h \
	pvfront/include/pvos/blk.h \
	pvfront/include/pvos/sha256.h \
	pvfront/include/pvos/errno.h \
	pvfront/include/pvos/events.h \
	pvfront/include/pvos/hypercall.h \
	pvfront/include/pvos/kernel.h \
	pvfront/include/pvos/mm.h \
	pvfront/include/pvos/printf.h \
	pvfront/include/pvos/string.h \
	pvfront/include/pvos/time.h \
	pvfront/include/pvos/xen.h \
	hv/include/public/pvh_ioreq.h \
	hv/include/public/pvh_layout.h \
	hv/include/public/pvh_trap.h

# Per-target flags replace AM_CPPFLAGS/AM_CFLAGS/AM_LDFLAGS, which carry
# host-only settings (_GNU_SOURCE, config.h, sanitizers).
#  -ffreestanding: no hosted libc assumptions; we supply mem*/str*.
#  -fno-pic -fno-pie -mcmodel=small: linked at a fixed address below 2 GiB.
#  -mno-red-zone: harmless for a user-mode process, and keeps the code
#   valid if it ever runs where something can interrupt the stack.
#  -mgeneral-regs-only: no SSE state, so no float/vector code sneaks in.
#  -fno-asynchronous-unwind-tables: no .eh_frame to load.
#  -mstack-protector-guard=global: if user CFLAGS (which come after these)
#   re-enable the stack protector, its canary is a pvos variable, not TLS.
pvfront_pvos_CPPFLAGS = -D__XEN_TOOLS__ \
	-I$(top_srcdir)/hv/include -I$(top_srcdir)/pvfront/include \
	-I$(top_srcdir)/pvfront/xen -I$(top_srcdir)/pvfront/arch/x86_64
pvfront_pvos_CFLAGS = -std=gnu11 $(SV_WARN_CFLAGS) -ffreestanding \
	-fno-stack-protector -fno-pic -fno-pie -mcmodel=small -mno-red-zone \
	-fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-mgeneral-regs-only -mstack-protector-guard=global
pvfront_pvos_CCASFLAGS = -fno-pic -fno-pie
pvfront_pvos_LDFLAGS = -nostdlib -static -no-pie \
	-Wl,-T,$(top_srcdir)/pvfront/pvos.ld -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,norelro
pvfront_pvos_LDADD = -lgcc
EXTRA_pvfront_pvos_DEPENDENCIES = $(top_srcdir)/pvfront/pvos.ld

EXTRA_DIST += pvfront/pvos.ld pvfront/README.md

# Unit tests: pvos's portable sources built for the host (with the host's
# flags, sanitizers included) and run by make check. printf.c and string.c
# come in through *_host.c wrappers that rename their C library names.
check_PROGRAMS += pvfront/tests/pvos-unit
TESTS += pvfront/tests/pvos-unit
pvfront_tests_pvos_unit_SOURCES = \
	pvfront/tests/host.h \
	pvfront/tests/unit.c \
	pvfront/tests/stubs.c \
	pvfront/tests/printf_host.c \
	pvfront/tests/printf_test.c \
	pvfront/tests/string_host.c \
	pvfront/tests/string_test.c \
	pvfront/tests/cmdline_test.c \
	pvfront/kernel/cmdline.c \
	pvfront/tests/mm_test.c \
	pvfront/kernel/mm.c \
	pvfront/tests/events_test.c \
	pvfront/kernel/events.c \
	pvfront/tests/xenport_stubs.c \
	pvfront/tests/evtchn_test.c \
	pvfront/xen/evtchn.c \
	pvfront/tests/gnttab_test.c \
	pvfront/xen/gnttab.c \
	pvfront/tests/xenbus_test.c \
	pvfront/xen/xenbus.c \
	pvfront/tests/blkfront_test.c \
	pvfront/xen/blkfront.c \
	pvfront/tests/pio_test.c \
	pvfront/tests/fakeio/pio.h \
	pvfront/tests/ata_fake.h \
	pvfront/tests/ata_fake.c \
	pvfront/tests/ata_test.c \
	pvfront/legacy/ata.c \
	pvfront/kernel/blk.c \
	pvfront/tests/bench_test.c \
	pvfront/kernel/workloads/bench.c \
	pvfront/tests/net_test.c \
	pvfront/kernel/net.c
# fakeio/ stands in for arch/x86_64/pio.h: legacy/ata.c's ports are
# served by the fake controller in ata_fake.c.
pvfront_tests_pvos_unit_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/pvfront/include -I$(top_srcdir)/pvfront/xen \
	-I$(top_srcdir)/pvfront/tests/fakeio \
	$(CUNIT_CFLAGS)
pvfront_tests_pvos_unit_LDADD = $(CUNIT_LIBS)
EXTRA_DIST += pvfront/kernel/printf.c pvfront/kernel/string.c

# init=selftest booted under the real daemons (tests/integration/lib.sh):
# every event channel and grant table primitive against pvhv.
TESTS += pvfront/tests/selftest.sh
EXTRA_DIST += pvfront/tests/selftest.sh

# Integration tests of the guest's own drivers (console ring, xenbus,
# control/shutdown) against the real daemons.
TESTS += tests/integration/guest-console.sh tests/integration/guest-shutdown.sh \
	tests/integration/guest-blk.sh
EXTRA_DIST += tests/integration/guest-console.sh \
	tests/integration/guest-shutdown.sh tests/integration/guest-blk.sh

# hv/: the hypervisor daemon and the vCPU runner it starts per domain.
noinst_LIBRARIES += hv/libhv.a
hv_libhv_a_SOURCES = hv/hv-priv.h hv/runner.h \
	hv/builder.c hv/gmem.c hv/time.c hv/domain.c hv/spawn.c \
	hv/hypercall.c hv/ctl.c hv/evtchn.c hv/gnttab.c hv/dom0.c hv/cgroup.c \
	hv/linux-guest.c
hv_libhv_a_CFLAGS = $(AM_CFLAGS) $(LIBSECCOMP_CFLAGS)

pkglibexec_PROGRAMS += hv/pvhv hv/pvhv-runner hv/pvhv-runner-linux
hv_pvhv_SOURCES = hv/pvhv.c
hv_pvhv_CFLAGS = $(AM_CFLAGS) $(LIBSECCOMP_CFLAGS)
hv_pvhv_LDADD = hv/libhv.a common/libsv.a $(LIBSECCOMP_LIBS)

# The runner is the sandbox boundary and the guest's own process: keep it
# small and free of sanitizer runtimes, which would make system calls
# the seccomp filter forbids and map memory where guests live.
hv_pvhv_runner_SOURCES = hv/runner.c hv/pio-decode.c hv/pio-decode.h
hv_pvhv_runner_CFLAGS = -std=gnu11 $(SV_WARN_CFLAGS) $(LIBSECCOMP_CFLAGS)
hv_pvhv_runner_LDFLAGS =
hv_pvhv_runner_LDADD = $(LIBSECCOMP_LIBS)

# The Linux guests' runner (linux-guest.c): the same sandbox, a wider
# seccomp profile (linux-profile.c), and an exec of the guest's image.
hv_pvhv_runner_linux_SOURCES = hv/runner-linux.c hv/linux-profile.c hv/runner-linux.h
hv_pvhv_runner_linux_CFLAGS = -std=gnu11 $(SV_WARN_CFLAGS) $(LIBSECCOMP_CFLAGS)
hv_pvhv_runner_linux_LDFLAGS =
hv_pvhv_runner_linux_LDADD = $(LIBSECCOMP_LIBS)

EXTRA_DIST += hv/README.md hv/include/public/pvh_layout.h \
	hv/include/public/pvh_trap.h hv/include/public/pvh_ctl.h \
	hv/include/public/pvh_ioreq.h

# Unit tests: the builder and hypercall handlers run in user space as-is.
check_PROGRAMS += tests/unit/test-hv-builder tests/unit/test-hv-hypercall \
	tests/unit/test-hv-evtchn-gnttab
TESTS += tests/unit/test-hv-builder tests/unit/test-hv-hypercall \
	tests/unit/test-hv-evtchn-gnttab
tests_unit_test_hv_builder_SOURCES = tests/unit/test-hv-builder.c tests/unit/cunit-main.h
tests_unit_test_hv_builder_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/hv
tests_unit_test_hv_builder_LDADD = hv/libhv.a common/libsv.a $(CUNIT_LIBS)
tests_unit_test_hv_hypercall_SOURCES = tests/unit/test-hv-hypercall.c tests/unit/hv-test-env.c \
	tests/unit/cunit-main.h
tests_unit_test_hv_hypercall_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/hv
tests_unit_test_hv_hypercall_LDADD = hv/libhv.a common/libsv.a $(LIBSECCOMP_LIBS) $(CUNIT_LIBS)
tests_unit_test_hv_evtchn_gnttab_SOURCES = tests/unit/test-hv-evtchn-gnttab.c tests/unit/hv-test-env.c \
	tests/unit/cunit-main.h
tests_unit_test_hv_evtchn_gnttab_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/hv
tests_unit_test_hv_evtchn_gnttab_LDADD = hv/libhv.a common/libsv.a $(LIBSECCOMP_LIBS) $(CUNIT_LIBS)

# Linux guests recognised by their note (linux-guest.c).
check_PROGRAMS += tests/unit/test-hv-linux
TESTS += tests/unit/test-hv-linux
tests_unit_test_hv_linux_SOURCES = tests/unit/test-hv-linux.c tests/unit/cunit-main.h
tests_unit_test_hv_linux_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/hv
tests_unit_test_hv_linux_LDADD = hv/libhv.a common/libsv.a $(CUNIT_LIBS)

# The port I/O decoder the runner's trap handler uses.
check_PROGRAMS += tests/unit/test-pio-decode
TESTS += tests/unit/test-pio-decode
tests_unit_test_pio_decode_SOURCES = tests/unit/test-pio-decode.c hv/pio-decode.c hv/pio-decode.h \
	tests/unit/cunit-main.h
tests_unit_test_pio_decode_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -I$(top_srcdir)/hv
tests_unit_test_pio_decode_LDADD = $(CUNIT_LIBS)

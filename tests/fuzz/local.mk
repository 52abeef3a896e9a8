# tests/fuzz/: one libFuzzer harness per parser of untrusted input
# (tests/README.md, "Fuzzing"). Each harness is built twice:
#  - by `make check` as tests/fuzz/replay-TARGET, a plain program (this
#    build's compiler and sanitizers) that replays its seed and regression
#    corpus tests/fuzz/corpus/TARGET/;
#  - by `make fuzz` with clang's libFuzzer, ASan and UBSan as
#    tests/fuzz/fuzz-TARGET, then run for FUZZ_SECONDS each by
#    tests/fuzz/fuzz.sh (new inputs under tests/fuzz/work/, crashes under
#    tests/fuzz/crashes/ of the build tree).
FUZZ_TARGETS = xs-wire domcfg builder blkreq netreq ioreq pio-decode xenbus
FUZZ_SECONDS = 30

FUZZ_REPLAY = tests/fuzz/replay.c tests/fuzz/fuzz.h
FUZZ_REPLAY_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz \
	-DFUZZ_SRCDIR='"$(abs_top_srcdir)"'
FUZZ_REPLAYS = tests/fuzz/replay-xs-wire tests/fuzz/replay-domcfg \
	tests/fuzz/replay-builder tests/fuzz/replay-blkreq \
	tests/fuzz/replay-netreq tests/fuzz/replay-ioreq \
	tests/fuzz/replay-pio-decode tests/fuzz/replay-xenbus
check_PROGRAMS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)

# What each harness drives: its flags and the sources or libraries.
fuzz_xs_wire_flags = -I$(top_srcdir)/xs
fuzz_xs_wire_srcs = tests/fuzz/fuzz-xs-wire.c $(xs_libxs_a_SOURCES)
tests_fuzz_replay_xs_wire_SOURCES = tests/fuzz/fuzz-xs-wire.c $(FUZZ_REPLAY)
tests_fuzz_replay_xs_wire_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_xs_wire_flags)
tests_fuzz_replay_xs_wire_LDADD = xs/libxs.a

fuzz_domcfg_flags = -I$(top_srcdir)/dom0 $(LIBXML2_CFLAGS) $(UUID_CFLAGS)
fuzz_domcfg_libs = $(LIBXML2_LIBS) $(UUID_LIBS)
fuzz_domcfg_srcs = tests/fuzz/fuzz-domcfg.c dom0/domcfg.c
tests_fuzz_replay_domcfg_SOURCES = tests/fuzz/fuzz-domcfg.c $(FUZZ_REPLAY)
tests_fuzz_replay_domcfg_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_domcfg_flags)
tests_fuzz_replay_domcfg_LDADD = dom0/libdomcfg.a $(fuzz_domcfg_libs)

fuzz_builder_flags = -I$(top_srcdir)/hv
fuzz_builder_srcs = tests/fuzz/fuzz-builder.c hv/builder.c common/util.c
tests_fuzz_replay_builder_SOURCES = tests/fuzz/fuzz-builder.c $(FUZZ_REPLAY)
tests_fuzz_replay_builder_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_builder_flags)
tests_fuzz_replay_builder_LDADD = hv/libhv.a common/libsv.a

fuzz_blkreq_flags = -I$(top_srcdir)/pvback
fuzz_blkreq_srcs = tests/fuzz/fuzz-blkreq.c pvback/blkreq.c
tests_fuzz_replay_blkreq_SOURCES = tests/fuzz/fuzz-blkreq.c $(FUZZ_REPLAY)
tests_fuzz_replay_blkreq_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_blkreq_flags)
tests_fuzz_replay_blkreq_LDADD = pvback/libblkback.a

fuzz_netreq_flags = -I$(top_srcdir)/pvback
fuzz_netreq_srcs = tests/fuzz/fuzz-netreq.c pvback/netreq.c
tests_fuzz_replay_netreq_SOURCES = tests/fuzz/fuzz-netreq.c $(FUZZ_REPLAY)
tests_fuzz_replay_netreq_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_netreq_flags)
tests_fuzz_replay_netreq_LDADD = pvback/libnetback.a

fuzz_ioreq_flags = -I$(top_srcdir)/dom0
fuzz_ioreq_srcs = tests/fuzz/fuzz-ioreq.c dom0/ioreq.c dom0/ata.c
tests_fuzz_replay_ioreq_SOURCES = $(fuzz_ioreq_srcs) $(FUZZ_REPLAY)
tests_fuzz_replay_ioreq_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_ioreq_flags)

fuzz_pio_decode_flags = -I$(top_srcdir)/hv
fuzz_pio_decode_srcs = tests/fuzz/fuzz-pio-decode.c hv/pio-decode.c
tests_fuzz_replay_pio_decode_SOURCES = $(fuzz_pio_decode_srcs) $(FUZZ_REPLAY)
tests_fuzz_replay_pio_decode_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_pio_decode_flags)

# pvos's client, built for the host as pvfront/tests/pvos-unit builds it.
fuzz_xenbus_flags = -I$(top_srcdir)/pvfront/include -I$(top_srcdir)/pvfront/xen
fuzz_xenbus_srcs = tests/fuzz/fuzz-xenbus.c pvfront/xen/xenbus.c
tests_fuzz_replay_xenbus_SOURCES = $(fuzz_xenbus_srcs) $(FUZZ_REPLAY)
tests_fuzz_replay_xenbus_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) $(fuzz_xenbus_flags)

EXTRA_DIST += tests/fuzz/fuzz.sh tests/fuzz/local.mk tests/fuzz/make-seeds.py \
	tests/fuzz/corpus

# ---- make fuzz: the libFuzzer builds (clang) and their run ----
# Warnings are the main build's business (-Werror there); this one only
# has to build and find bugs.
FUZZ_CFLAGS = -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
FUZZ_BINS = tests/fuzz/fuzz-xs-wire tests/fuzz/fuzz-domcfg \
	tests/fuzz/fuzz-builder tests/fuzz/fuzz-blkreq tests/fuzz/fuzz-netreq \
	tests/fuzz/fuzz-ioreq tests/fuzz/fuzz-pio-decode tests/fuzz/fuzz-xenbus
FUZZ_HDRS = tests/fuzz/fuzz.h config.h
fuzz_verbose = $(fuzz_verbose_@AM_V@)
fuzz_verbose_ = $(fuzz_verbose_@AM_DEFAULT_V@)
fuzz_verbose_0 = @echo "  FUZZ     $@";
# One clang command per target, over the .c files among its prerequisites.
FUZZ_LINK = $(fuzz_verbose)if test -z '$(FUZZ_CC)'; then \
	echo "make fuzz needs clang (apt-get install clang), then ./configure again" >&2; \
	exit 1; fi; $(MKDIR_P) tests/fuzz && set -- && \
	for f in $^; do case $$f in *.c) set -- "$$@" "$$f";; esac; done && \
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) "$$@" -o $@

tests/fuzz/fuzz-xs-wire: $(fuzz_xs_wire_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_xs_wire_flags)
tests/fuzz/fuzz-domcfg: $(fuzz_domcfg_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_domcfg_flags) $(fuzz_domcfg_libs)
tests/fuzz/fuzz-builder: $(fuzz_builder_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_builder_flags)
tests/fuzz/fuzz-blkreq: $(fuzz_blkreq_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_blkreq_flags)
tests/fuzz/fuzz-netreq: $(fuzz_netreq_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_netreq_flags)
tests/fuzz/fuzz-ioreq: $(fuzz_ioreq_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_ioreq_flags)
tests/fuzz/fuzz-pio-decode: $(fuzz_pio_decode_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_pio_decode_flags)
tests/fuzz/fuzz-xenbus: $(fuzz_xenbus_srcs) $(FUZZ_HDRS)
	$(FUZZ_LINK) $(fuzz_xenbus_flags)

fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	SV_SRCDIR='$(abs_top_srcdir)' $(SHELL) $(srcdir)/tests/fuzz/fuzz.sh \
		tests/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)
# The pvxenstored target alone, as before.
fuzz-xs:
	$(MAKE) $(AM_MAKEFLAGS) fuzz FUZZ_TARGETS=xs-wire
clean-fuzz:
	-rm -rf $(FUZZ_BINS) tests/fuzz/work tests/fuzz/crashes
.PHONY: fuzz fuzz-build fuzz-xs clean-fuzz

# The whole test list, for scripts that run a subset of it (setup.sh's
# sanitizer pass).
print-tests:
	@echo $(TESTS)
.PHONY: print-tests

# pvfront/linux: the Linux guest, User-Mode Linux from Debian's
# linux-source-6.1 with the patch series in patches/ and the config
# fragment splitvisor.config, built out of tree by build.sh (see
# README.md). Only with ./configure --enable-linux-guest.
LINUX_GUEST_PATCHES = \
	pvfront/linux/patches/0001-um-add-a-Splitvisor-guest-option-that-provides-confi.patch \
	pvfront/linux/patches/0002-xen-build-time.c-only-where-the-architecture-is-para.patch \
	pvfront/linux/patches/0003-um-leave-room-for-Xen-event-channel-interrupts.patch \
	pvfront/linux/patches/0004-um-Xen-interface-headers-for-a-Splitvisor-guest.patch \
	pvfront/linux/patches/0005-um-make-a-Splitvisor-domain-s-memory-UML-s-physical-.patch \
	pvfront/linux/patches/0006-um-Splitvisor-hypercalls-start_info-and-events-as-an.patch \
	pvfront/linux/patches/0007-xen-events-unmask-2-level-events-by-hypercall-on-UML.patch \
	pvfront/linux/patches/0008-um-power-off-and-restart-a-Splitvisor-guest-through-.patch \
	pvfront/linux/patches/0009-um-no-umid-directory-for-a-Splitvisor-guest.patch \
	pvfront/linux/patches/0010-xen-require-the-PV-MMU-features-only-of-a-PV-MMU-gue.patch \
	pvfront/linux/patches/0011-um-drop-the-inherited-rseq-registration-in-a-userspa.patch

LINUX_GUEST_INPUTS = \
	pvfront/linux/build.sh \
	pvfront/linux/splitvisor.config \
	pvfront/linux/patches/series \
	$(LINUX_GUEST_PATCHES)
LINUX_GUEST_SRC_INPUTS = $(LINUX_GUEST_INPUTS:%=$(srcdir)/%)

EXTRA_DIST += $(LINUX_GUEST_INPUTS) pvfront/linux/README.md \
	pvfront/linux/mkrootfs.sh tests/integration/linux-boot.sh

# Boots the Linux guest; skips (77) when it is not built.
TESTS += tests/integration/linux-boot.sh

if LINUX_GUEST
linuxkerneldir = $(pkglibdir)/kernel
linuxkernel_SCRIPTS = pvfront/linux/linux

# Runs only when an input changed; build.sh's own stamps then decide
# whether to unpack, configure, or just let Kbuild rebuild.
pvfront/linux/linux: $(LINUX_GUEST_SRC_INPUTS)
	$(AM_V_GEN)LINUX_TARBALL='$(LINUX_TARBALL)' $(SHELL) \
		$(srcdir)/pvfront/linux/build.sh $(srcdir)/pvfront/linux pvfront/linux

endif

# Always defined, so that the one clean-local in Makefile.am can name it.
clean-linux-guest:
	rm -rf pvfront/linux/src pvfront/linux/src.tmp pvfront/linux/obj \
		pvfront/linux/linux pvfront/linux/linux.tmp \
		pvfront/linux/stamp-source pvfront/linux/stamp-config

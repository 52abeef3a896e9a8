# dist/: what an installed host needs besides the programs: the systemd
# units, bash completion, the example splitvisor.conf, and the domain.xml(5)
# man page that goes with docs/pvctl.8.

# One unit per host daemon, and splitvisor.target over them (see the
# target's comment). systemdsystemunitdir may be overridden:
# make systemdsystemunitdir=/lib/systemd/system
SPLITVISOR_UNITS = dist/systemd/splitvisor-pvhv.service dist/systemd/splitvisor-pvxenstored.service \
	dist/systemd/splitvisor-pvconsoled.service dist/systemd/splitvisor-pvblkback.service \
	dist/systemd/splitvisor-pvnetback.service
systemdsystemunitdir = $(prefix)/lib/systemd/system
systemdsystemunit_DATA = $(SPLITVISOR_UNITS)
dist_systemdsystemunit_DATA = dist/systemd/splitvisor.target
$(SPLITVISOR_UNITS): $(SPLITVISOR_UNITS:%=$(top_srcdir)/%.in) Makefile
	$(AM_V_GEN)$(MKDIR_P) dist/systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(top_srcdir)/$@.in > $@
CLEANFILES += $(SPLITVISOR_UNITS)
EXTRA_DIST += $(SPLITVISOR_UNITS:=.in)

bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = dist/bash-completion/pvctl

# The example is always installed next to the schema; the live file in
# SYSCONFDIR/splitvisor only when there is none yet (never overwrites a
# host's settings).
dist_pkgdata_DATA += dist/splitvisor.conf
install-data-local: install-splitvisor-conf
install-splitvisor-conf:
	@if [ ! -e "$(DESTDIR)$(sysconfdir)/splitvisor/splitvisor.conf" ]; then \
		$(MKDIR_P) "$(DESTDIR)$(sysconfdir)/splitvisor" && \
		echo " $(INSTALL_DATA) dist/splitvisor.conf $(DESTDIR)$(sysconfdir)/splitvisor/splitvisor.conf" && \
		$(INSTALL_DATA) $(top_srcdir)/dist/splitvisor.conf "$(DESTDIR)$(sysconfdir)/splitvisor/splitvisor.conf"; \
	fi
uninstall-local: uninstall-splitvisor-conf
uninstall-splitvisor-conf:
	@if [ -e "$(DESTDIR)$(sysconfdir)/splitvisor/splitvisor.conf" ] && \
	    cmp -s "$(top_srcdir)/dist/splitvisor.conf" "$(DESTDIR)$(sysconfdir)/splitvisor/splitvisor.conf"; then \
		rm -f "$(DESTDIR)$(sysconfdir)/splitvisor/splitvisor.conf"; \
	fi
.PHONY: install-splitvisor-conf uninstall-splitvisor-conf

dist_man_MANS += docs/domain.xml.5

# tests/: integration tests run the real daemons and boot real guests.
TESTS += tests/integration/hv-boot.sh tests/integration/hv-escape.sh \
	tests/integration/hv-lifecycle.sh tests/integration/hv-bad-input.sh \
	tests/integration/toolstack-xs.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/hv-boot.sh \
	tests/integration/hv-escape.sh tests/integration/hv-lifecycle.sh \
	tests/integration/hv-bad-input.sh tests/integration/toolstack-xs.sh \
	tests/unit/cunit-main.h

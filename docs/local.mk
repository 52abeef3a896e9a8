# docs/: the man page and the design, protocol and reference pages.
dist_man_MANS += docs/pvctl.8
EXTRA_DIST += docs/architecture.md docs/domain-xml.md docs/hypercalls.md \
	docs/xenbus.md docs/benchmarks.md
# These READMEs belong to directories whose local.mk does not list them
# yet; ship them from here so a release tarball has every README.
EXTRA_DIST += common/README.md tests/README.md pvback/README.md

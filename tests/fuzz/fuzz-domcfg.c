/*
 * fuzz-domcfg.c: the domain XML loader (dom0/domcfg.c), every step of it:
 * libxml2's parse of the bytes, the RelaxNG validation against the
 * tree's dom0/domain.rng, the plain-words explanation of what failed, and
 * the checks and conversions that fill struct domcfg.
 *
 * domcfg_load() reads a file, so each input is written to one in a
 * private directory first.
 *
 * Oracles: a load either fails with a message that names the file, or
 * gives a configuration inside the loader's documented limits (a name, 4
 * MiB..64 GiB of memory and no more current than maximum, 1..64 vCPUs, at
 * most 64 disks and 32 NICs, each with a target and an absolute source
 * (an empty cdrom has none), unicast MACs); nothing leaks either way (LeakSanitizer).
 */
#include <stdbool.h>
#include <unistd.h>

#include "domcfg.h"
#include "fuzz.h"

static char file[4096], schema[4096];

static bool setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];

	if (snprintf(dir, sizeof(dir), "%s/sv-fuzz-domcfg.XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(dir) || !mkdtemp(dir))
		return false;
	return snprintf(file, sizeof(file), "%s/domain.xml", dir) < (int)sizeof(file) &&
	       snprintf(schema, sizeof(schema), "%s/dom0/domain.rng", fuzz_srcdir()) <
	       (int)sizeof(schema);
}

static void cleanup(void)
{
	char *slash = strrchr(file, '/');

	unlink(file);
	if (slash) {
		*slash = '\0';
		rmdir(file);
	}
}

static bool write_input(const uint8_t *data, size_t size)
{
	FILE *f = fopen(file, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && ok;
}

static void check_cfg(const struct domcfg *c)
{
	FUZZ_CHECK(c->path && strcmp(c->path, file) == 0);
	FUZZ_CHECK(c->name && c->name[0] && strlen(c->name) <= 63);
	FUZZ_CHECK(c->mem_kib >= 4 * 1024 && c->mem_kib <= 64ull * 1024 * 1024);
	FUZZ_CHECK(c->cur_mem_kib <= c->mem_kib);
	FUZZ_CHECK(c->vcpus >= 1 && c->vcpus <= 64);
	FUZZ_CHECK(c->kernel && c->kernel[0] == '/' && c->cmdline);
	FUZZ_CHECK(c->ndisks <= 64 && c->nnics <= 32);
	for (size_t i = 0; i < c->ndisks; i++)
		FUZZ_CHECK(c->disks[i].target && (c->disks[i].source ?
			   c->disks[i].source[0] == '/' : c->disks[i].is_cdrom));
	for (size_t i = 0; i < c->nnics; i++)
		FUZZ_CHECK(!(c->nics[i].mac[0] & 1));
	FUZZ_CHECK(domcfg_action_name(c->on_poweroff)[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct domcfg cfg;
	char *err = NULL;

	if (!ready) {
		FUZZ_CHECK(setup());
		atexit(cleanup);
		ready = true;
	}
	FUZZ_CHECK(write_input(data, size));
	if (domcfg_load(file, schema, &cfg, &err) == 0) {
		FUZZ_CHECK(err == NULL);
		check_cfg(&cfg);
		domcfg_free(&cfg);
		domcfg_free(&cfg);	/* idempotent, as domcfg.h says */
	} else {
		FUZZ_CHECK(err && strncmp(err, file, strlen(file)) == 0);
		free(err);
	}
	return 0;
}

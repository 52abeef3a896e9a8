/*
 * paths.c: where pvctl finds its daemons, guest kernels and schema. Run
 * from a build tree (pvctl next to ../hv/pvhv), it uses the build tree and
 * the source tree it was configured from; installed, it uses the
 * configured directories. Nothing else is searched, so a stale copy
 * elsewhere on PATH is never picked up by accident.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvctl.h"
#include "sv.h"

/* The directory of the running pvctl, and whether it is a build tree. */
static const char *self_dir(bool *in_build_tree)
{
	static char dir[PATH_MAX];
	static bool build_tree, done;
	char probe[PATH_MAX + 32];
	ssize_t n;

	if (!done) {
		n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		dir[n > 0 ? n : 0] = '\0';
		sv_strlcpy(dir, dirname(dir), sizeof(dir));
		snprintf(probe, sizeof(probe), "%s/../hv/pvhv", dir);
		build_tree = access(probe, X_OK) == 0;
		done = true;
	}
	*in_build_tree = build_tree;
	return dir;
}

/* --rundir, then $SPLITVISOR_RUNDIR, then the config file, then the default. */
const char *pvctl_rundir(void)
{
	const char *env = getenv("SPLITVISOR_RUNDIR");

	if (!pvctl_opts.rundir && !(env && env[0]) && pvctl_conf.rundir)
		return pvctl_conf.rundir;
	return sv_rundir(pvctl_opts.rundir);
}

static int first_existing(char *out, size_t size, int mode, const char *a, const char *b)
{
	if (a && access(a, mode) == 0)
		return (int)sv_strlcpy(out, a, size) < (int)size ? 0 : -ENAMETOOLONG;
	if (b && access(b, mode) == 0)
		return (int)sv_strlcpy(out, b, size) < (int)size ? 0 : -ENAMETOOLONG;
	sv_strlcpy(out, a ? a : b, size);
	return -ENOENT;
}

int pvctl_find_daemon(const char *name, char *out, size_t size)
{
	static const struct { const char *name, *subdir; } where[] = {
		{ "pvhv", "hv" }, { "pvxenstored", "xs" }, { "pvconsoled", "dom0" },
		{ "pvblkback", "pvback" }, { "pvnetback", "pvback" }, { "pvdm", "dom0" },
	};
	char built[PATH_MAX + 64] = "", installed[PATH_MAX];
	bool tree;
	const char *dir = self_dir(&tree);

	for (size_t i = 0; i < SV_ARRAY_SIZE(where); i++) {
		if (tree && strcmp(where[i].name, name) == 0)
			snprintf(built, sizeof(built), "%s/../%s/%s", dir, where[i].subdir, name);
	}
	snprintf(installed, sizeof(installed), "%s/%s", SV_PKGLIBEXECDIR, name);
	return first_existing(out, size, X_OK, built[0] ? built : NULL, installed);
}

int pvctl_find_kernel(const char *name, char *out, size_t size)
{
	char built[PATH_MAX + 64] = "", installed[PATH_MAX];
	bool tree;
	const char *dir = self_dir(&tree);

	if (tree)
		snprintf(built, sizeof(built), "%s/../pvfront/%s", dir, name);
	snprintf(installed, sizeof(installed), "%s/%s", SV_KERNELDIR, name);
	return first_existing(out, size, R_OK, built[0] ? built : NULL, installed);
}

int pvctl_find_schema(char *out, size_t size)
{
	char built[PATH_MAX + 64] = "", installed[PATH_MAX];
	bool tree;

	self_dir(&tree);
	if (tree)
		snprintf(built, sizeof(built), "%s/dom0/domain.rng", SV_ABS_SRCDIR);
	snprintf(installed, sizeof(installed), "%s/schemas/domain.rng", SV_PKGDATADIR);
	return first_existing(out, size, R_OK, built[0] ? built : NULL, installed);
}

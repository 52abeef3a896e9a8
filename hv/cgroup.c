/*
 * cgroup.c: a cgroup per domain where the host has one to give.
 *
 * Before a runner is let go, it is moved into splitvisor-<pvhv pid>/dom<N>
 * with pids.max = 1 (the guest can never fork, even if its seccomp filter
 * were wrong) and a memory limit of the domain's memory plus
 * CGROUP_MEM_SLACK for the runner itself. Both the unified hierarchy
 * (cgroup v2) and the v1 pids and memory controllers are supported. It is
 * best effort, as the design says: without cgroups (or where pvhv may not
 * create them) the sandbox still stands on its namespaces, uid, rlimits
 * and seccomp filter, and pvhv says once that cgroups are off.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-priv.h"

#define CGROUP_ROOT		"/sys/fs/cgroup"
#define CGROUP_MEM_SLACK	(64ull << 20)

static bool warned;

static int put(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static int make_dir(const char *parent, uint32_t domid, char *out, size_t size)
{
	char top[96];

	snprintf(top, sizeof(top), "%s/splitvisor-%d", parent, (int)getpid());
	if (mkdir(top, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(out, size, "%s/dom%u", top, domid);
	if (mkdir(out, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int join(struct hv_domain *d, const char *controller_root, const char *limit_file,
		const char *limit, char *out, size_t size)
{
	char pid[16];
	int rc;

	rc = make_dir(controller_root, d->domid, out, size);
	if (rc == 0)
		rc = put(out, limit_file, limit);
	snprintf(pid, sizeof(pid), "%d", (int)d->pid);
	if (rc == 0)
		rc = put(out, "cgroup.procs", pid);
	if (rc < 0) {
		rmdir(out);
		out[0] = '\0';
	}
	return rc;
}

void hv_cgroup_attach(struct hv_domain *d)
{
	char mem[32], top[PATH_MAX];
	/* A Linux guest (linux-guest.c) is a process tree, pvos one process. */
	const char *pids = d->is_linux ? HV_LINUX_PIDS_MAX : "1";
	int rc;

	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)(d->mem_size + CGROUP_MEM_SLACK));
	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) == 0) {
		snprintf(top, sizeof(top), "%s/splitvisor-%d", CGROUP_ROOT, (int)getpid());
		if (mkdir(top, 0755) == 0 || errno == EEXIST)
			put(top, "cgroup.subtree_control", "+pids +memory");
		rc = join(d, CGROUP_ROOT, "pids.max", pids, d->cgroup[0], sizeof(d->cgroup[0]));
		if (rc == 0)
			put(d->cgroup[0], "memory.max", mem);
	} else {
		rc = join(d, CGROUP_ROOT "/pids", "pids.max", pids, d->cgroup[0], sizeof(d->cgroup[0]));
		if (rc == 0)
			rc = join(d, CGROUP_ROOT "/memory", "memory.limit_in_bytes", mem,
				  d->cgroup[1], sizeof(d->cgroup[1]));
	}
	if (rc < 0 && !warned) {
		warned = true;
		sv_warn("domains run without cgroups (%s); namespaces, uid, rlimits and seccomp still confine them",
			strerror(-rc));
	}
}

/* After the runner is gone. */
void hv_cgroup_release(struct hv_domain *d)
{
	for (int i = 0; i < 2; i++) {
		if (d->cgroup[i][0] && rmdir(d->cgroup[i]) < 0 && errno != ENOENT)
			sv_debug("domain %u: rmdir %s: %s", d->domid, d->cgroup[i], strerror(errno));
		d->cgroup[i][0] = '\0';
	}
}

/* When pvhv stops: its top directories, empty by then. */
void hv_cgroup_cleanup(void)
{
	static const char *const roots[] = { CGROUP_ROOT, CGROUP_ROOT "/pids", CGROUP_ROOT "/memory" };
	char top[PATH_MAX];

	for (size_t i = 0; i < SV_ARRAY_SIZE(roots); i++) {
		snprintf(top, sizeof(top), "%s/splitvisor-%d", roots[i], (int)getpid());
		rmdir(top);
	}
}

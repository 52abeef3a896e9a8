/*
 * pvctl-conf.c: host defaults from splitvisor.conf.
 *
 * The file is $SPLITVISOR_CONF if set, else SYSCONFDIR/splitvisor/
 * splitvisor.conf (/etc/splitvisor/splitvisor.conf for a package). A
 * missing file is fine; a file that is there is read strictly: one
 * "key = value" per line, '#' starts a comment, and an unknown key or a
 * bad value stops pvctl with the file and line, as domain XML does.
 * Command-line flags and $SPLITVISOR_RUNDIR take precedence.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"
#include "sv.h"

#define MAX_LINE	1024

struct pvctl_conf pvctl_conf;

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int set_str(char **slot, const char *val)
{
	char *copy = strdup(val);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

/* Applies one key; returns 0, or -EINVAL with *why saying what was expected. */
static int apply(const char *key, const char *val, const char **why)
{
	uint64_t bytes;
	uint32_t n;

	if (strcmp(key, "rundir") == 0) {
		*why = "an absolute directory such as /run/splitvisor";
		return val[0] == '/' ? set_str(&pvctl_conf.rundir, val) : -EINVAL;
	}
	if (strcmp(key, "mem_budget") == 0) {
		*why = "a size such as 4G or 2048M";
		return sv_parse_size(val, &bytes) == 0 && bytes ? set_str(&pvctl_conf.mem_budget, val)
								: -EINVAL;
	}
	if (strcmp(key, "uid_base") == 0) {
		*why = "a number from 1000 to 2147418112 (domain N runs as uid_base + N)";
		return sv_parse_u32(val, &n) == 0 && n >= 1000 && n <= 0x7fff0000u
		       ? set_str(&pvctl_conf.uid_base, val) : -EINVAL;
	}
	if (strcmp(key, "log_level") == 0) {
		*why = "info or debug";
		return strcmp(val, "info") == 0 || strcmp(val, "debug") == 0
		       ? set_str(&pvctl_conf.log_level, val) : -EINVAL;
	}
	if (strcmp(key, "bridge") == 0) {
		*why = "a bridge name such as xenbr0";
		return val[0] && strlen(val) < 16 && !strchr(val, '/') ? set_str(&pvctl_conf.bridge, val)
								      : -EINVAL;
	}
	if (strcmp(key, "detach_timeout") == 0 || strcmp(key, "shutdown_timeout") == 0) {
		*why = "a number of seconds, at least 1";
		if (sv_parse_u32(val, &n) < 0 || n == 0)
			return -EINVAL;
		if (key[0] == 'd')
			pvctl_conf.detach_timeout_s = n;
		else
			pvctl_conf.shutdown_timeout_s = n;
		return 0;
	}
	*why = NULL;
	return -ENOENT;
}

int pvctl_conf_load(void)
{
	const char *path = getenv("SPLITVISOR_CONF");
	char line[MAX_LINE + 2];
	int lineno = 0, rc = 0;
	FILE *f;

	if (!path || !path[0])
		path = SV_SYSCONFDIR "/splitvisor/splitvisor.conf";
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		pvctl_err("cannot read the config file %s: %s", path, strerror(errno));
		return -errno;
	}
	sv_strlcpy(pvctl_conf.path, path, sizeof(pvctl_conf.path));
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val;
		const char *why = NULL;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			pvctl_err("%s:%d: the line is longer than %d characters", path, lineno, MAX_LINE);
			rc = -EINVAL;
			break;
		}
		if ((s = strchr(line, '#')))
			*s = '\0';
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			pvctl_err("%s:%d: '%s' is not 'key = value'", path, lineno, s);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		rc = apply(key, val, &why);
		if (rc == -ENOENT)
			pvctl_err("%s:%d: unknown key '%s'; known keys: rundir, mem_budget, uid_base, "
				  "log_level, bridge, detach_timeout, shutdown_timeout", path, lineno, key);
		else if (rc == -EINVAL)
			pvctl_err("%s:%d: %s: '%s' is not valid; expected %s", path, lineno, key, val, why);
		else if (rc < 0)
			pvctl_err("%s:%d: %s", path, lineno, strerror(-rc));
	}
	fclose(f);
	return rc;
}

/*
 * path.c: validate and canonicalise XenStore paths from the wire.
 *
 * xenstore.txt: path characters are [A-Za-z0-9-/_@], no "//", no trailing
 * "/" except for the root, never empty.  A relative path (no leading "/")
 * means /local/domain/<domid>/<path>.  The length limit is checked after
 * canonicalisation (XSA-323 checked the wrong one): the absolute form must
 * fit XENSTORE_ABS_PATH_MAX and a relative form XENSTORE_REL_PATH_MAX.
 * Special names ("@releaseDomain") are only valid where a caller allows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs-priv.h"

static bool is_path_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' ||
	       ch == '_' || ch == '@';
}

static int check_chars(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!is_path_char(p[i]))
			return -EINVAL;
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '/')
			return -EINVAL;
	}
	if (len > 1 && p[len - 1] == '/')
		return -EINVAL;
	return 0;
}

bool xs_path_is_special(const char *path)
{
	return path[0] == '@';
}

int xs_path_canonical(const char *in, unsigned int domid, bool allow_special,
		      char *out, size_t size)
{
	size_t len = strnlen(in, XENSTORE_ABS_PATH_MAX + 1);
	int n, rc;

	rc = check_chars(in, len);
	if (rc)
		return rc;
	if (in[0] == '@') {
		if (!allow_special || len > XENSTORE_REL_PATH_MAX ||
		    strchr(in, '/'))
			return -EINVAL;
		n = snprintf(out, size, "%s", in);
	} else if (in[0] == '/') {
		if (len > XENSTORE_ABS_PATH_MAX)
			return -EINVAL;
		n = snprintf(out, size, "%s", in);
	} else {
		if (len > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		n = snprintf(out, size, "/local/domain/%u/%s", domid, in);
	}
	if (n < 0 || (size_t)n >= size || n > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	return 0;
}

bool xs_path_is_prefix(const char *anc, const char *path)
{
	size_t n = strlen(anc);

	if (strcmp(anc, "/") == 0)
		return path[0] == '/';
	if (strncmp(anc, path, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '/';
}

const char *xs_path_basename(const char *path, size_t *parent_len_out)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*parent_len_out = 0;
		return path;
	}
	*parent_len_out = slash == path ? 1 : (size_t)(slash - path);
	return slash + 1;
}

unsigned int xs_path_depth(const char *path)
{
	unsigned int depth = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	for (; *path; path++)
		if (*path == '/')
			depth++;
	return depth;
}

/*
 * perms.c: node permission lists.
 *
 * A list is one or more "<letter><domid>" entries (n none, r read, w write,
 * b both).  Entry 0 is the owner: the owner has full access and its letter
 * is what every domain not listed gets.  Privileged connections never reach
 * here (store.c checks first).  A domain acting for a target (SET_TARGET)
 * gets the better of its own and its target's access.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

static int letter_to_perm(char ch, uint8_t *out)
{
	switch (ch) {
	case 'n': *out = XS_PERM_NONE; return 0;
	case 'r': *out = XS_PERM_READ; return 0;
	case 'w': *out = XS_PERM_WRITE; return 0;
	case 'b': *out = XS_PERM_BOTH; return 0;
	default: return -EINVAL;
	}
}

static char perm_to_letter(uint8_t perm)
{
	static const char letters[] = "nrwb";

	return letters[perm & 3];
}

static int parse_one(const char *s, struct xs_perm *out)
{
	unsigned long domid;
	int rc;

	rc = letter_to_perm(s[0], &out->perm);
	if (rc)
		return rc;
	rc = xs_parse_uint(s + 1, 0xffff, &domid);
	if (rc)
		return rc;
	out->domid = (uint16_t)domid;
	return 0;
}

/* @buf holds @len bytes of NUL-terminated strings (the last one too). */
int xs_perms_parse(const char *buf, size_t len, unsigned int max,
		   struct xs_perms *out)
{
	struct xs_perm tmp[64];
	unsigned int n = 0;
	size_t off = 0;
	int rc;

	if (len == 0 || buf[len - 1] != '\0')
		return -EINVAL;
	while (off < len) {
		if (n == max || n == 64)
			return -ENOSPC;
		rc = parse_one(buf + off, &tmp[n]);
		if (rc)
			return rc;
		off += strlen(buf + off) + 1;
		n++;
	}
	out->p = calloc(n, sizeof(*out->p));
	if (!out->p)
		return -ENOMEM;
	memcpy(out->p, tmp, n * sizeof(*out->p));
	out->num = n;
	return 0;
}

int xs_perms_format(const struct xs_perms *perms, char *buf, size_t size)
{
	size_t off = 0;
	unsigned int i;
	int n;

	for (i = 0; i < perms->num; i++) {
		n = snprintf(buf + off, size - off, "%c%u",
			     perm_to_letter(perms->p[i].perm), perms->p[i].domid);
		if (n < 0 || (size_t)n + 1 > size - off)
			return -E2BIG;
		off += (size_t)n + 1;	/* keep the NUL */
	}
	return (int)off;
}

int xs_perms_copy(const struct xs_perms *src, struct xs_perms *out)
{
	out->p = calloc(src->num ? src->num : 1, sizeof(*out->p));
	if (!out->p)
		return -ENOMEM;
	memcpy(out->p, src->p, src->num * sizeof(*out->p));
	out->num = src->num;
	return 0;
}

void xs_perms_free(struct xs_perms *perms)
{
	free(perms->p);
	perms->p = NULL;
	perms->num = 0;
}

static unsigned int access_of(const struct xs_perms *perms, unsigned int domid)
{
	unsigned int i;

	if (perms->num == 0)
		return XS_PERM_NONE;
	if (perms->p[0].domid == domid)
		return XS_PERM_BOTH;
	for (i = 1; i < perms->num; i++)
		if (perms->p[i].domid == domid)
			return perms->p[i].perm;
	return perms->p[0].perm;
}

unsigned int xs_perms_access(const struct xs_perms *perms, unsigned int domid,
			     unsigned int target)
{
	unsigned int acc = access_of(perms, domid);

	if (target != XS_DOMID_INVALID)
		acc |= access_of(perms, target);
	return acc;
}

int xs_perms_inherit(const struct xs_perms *parent, unsigned int creator,
		     bool privileged, struct xs_perms *out)
{
	int rc = xs_perms_copy(parent, out);

	if (rc)
		return rc;
	/* core.c construct_node: an unprivileged creator becomes the owner. */
	if (!privileged && out->num > 0)
		out->p[0].domid = (uint16_t)creator;
	return 0;
}

/*
 * store.c: node operations as one request sees them.
 *
 * Every operation runs against a transaction: the client's, or an implicit
 * one that commits at the end of the operation.  A lookup consults the
 * overlay first, then (unless a removal in the overlay hides it) the view
 * of the committed node the transaction kept at its first access, taking
 * one now for a node it reads or changes; directories likewise keep the
 * child list first seen.  So a transaction reads the same thing every
 * time, whatever is committed meanwhile, and sees its own writes.  All access
 * decisions go through can(), the root included (XSA-353).  Creation
 * inherits the nearest existing ancestor's permissions with the owner
 * replaced by an unprivileged creator, and is charged to that domain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

static bool can(const struct xs_ctx *x, const struct xs_perms *perms,
		unsigned int need)
{
	if (x->privileged)
		return true;
	return (xs_perms_access(perms, x->domid, x->target) & need) == need;
}

static void parent_of(const char *path, char *out)
{
	size_t plen;

	xs_path_basename(path, &plen);
	memcpy(out, path, plen);
	out[plen] = '\0';
}

/* A removal of an ancestor of @path in the overlay hides committed nodes. */
static bool hidden(struct xs_tx *tx, const char *path)
{
	char buf[XENSTORE_ABS_PATH_MAX + 1];
	struct xs_txnode *tn;

	if (tx->nnodes == 0)
		return false;
	snprintf(buf, sizeof(buf), "%s", path);
	while (strcmp(buf, "/") != 0) {
		parent_of(buf, buf);
		tn = xs_tx_lookup(tx, buf);
		if (tn && (tn->deleted || tn->wiped))
			return true;
	}
	return false;
}

/*
 * @record: this access is one the commit must check (the node read, or
 * the node a request changes), so its view is kept from now on.  Other
 * lookups (ancestors a creation walks) use a kept view if there is one.
 */
static int lookup(struct xs_ctx *x, const char *path, bool record,
		  struct xs_view *out)
{
	struct xs_txnode *tn = xs_tx_lookup(x->tx, path);
	const struct xs_txread *r;
	struct xs_node *node;
	int rc;

	if (tn) {
		if (tn->deleted)
			return -ENOENT;
		out->value = tn->value ? tn->value : "";
		out->vlen = tn->vlen;
		out->perms = &tn->perms;
		return 0;
	}
	if (hidden(x->tx, path))
		return -ENOENT;
	r = xs_tx_seen(x->tx, path, false);
	if (!r && record) {
		rc = xs_tx_snapshot(x->st, x->tx, path, false, &r);
		if (rc)
			return rc;
	}
	if (r) {
		if (r->gen == 0)
			return -ENOENT;
		out->value = r->value;
		out->vlen = r->vlen;
		out->perms = &r->perms;
		return 0;
	}
	node = xs_tree_lookup(x->st, path);
	if (!node)
		return -ENOENT;
	out->value = node->value ? node->value : "";
	out->vlen = node->vlen;
	out->perms = &node->perms;
	return 0;
}

/* End of a changing operation: an implicit transaction commits now. */
static int done(struct xs_ctx *x, int rc)
{
	if (x->tx->id != 0)
		return rc;
	if (rc) {
		xs_tx_free(x->st, x->tx);
		return rc;
	}
	return xs_tx_end(x->st, x->tx, true);
}

int xs_store_read(struct xs_ctx *x, const char *path, unsigned int need,
		  struct xs_view *out)
{
	int rc = lookup(x, path, true, out);

	if (rc)
		return rc;
	return can(x, out->perms, need) ? 0 : -EACCES;
}

/*
 * Overlay values of a client transaction are charged to the domain's
 * memory quota until the transaction ends (XSA-326: maximum-size nodes in
 * every transaction).
 */
static void charge_tx(struct xs_ctx *x, long delta)
{
	xs_tx_charge(x->st, x->tx, delta);
}

static int set_value(struct xs_ctx *x, struct xs_txnode *tn,
		     const char *value, unsigned int vlen)
{
	char *v = malloc(vlen ? vlen : 1);

	if (!v)
		return -ENOMEM;
	memcpy(v, value, vlen);
	charge_tx(x, (long)vlen - (long)tn->vlen);
	free(tn->value);
	tn->value = v;
	tn->vlen = vlen;
	tn->deleted = false;
	tn->dirty = true;
	tn->implicit = false;
	return 0;
}

/* Overlay entry for an existing node, seeded from its current view. */
static struct xs_txnode *touch_existing(struct xs_ctx *x, const char *path,
					const struct xs_view *v, int *rc_out)
{
	struct xs_txnode *tn = xs_tx_touch(x->st, x->tx, path, rc_out);

	if (!tn || !tn->deleted)
		return tn;
	*rc_out = xs_perms_copy(v->perms, &tn->perms);
	if (!*rc_out)
		*rc_out = set_value(x, tn, v->value, v->vlen);
	return *rc_out ? NULL : tn;
}

/* Node size and memory quotas for what an unprivileged domain writes. */
static int check_size(struct xs_ctx *x, const char *path, unsigned int vlen,
		      const struct xs_perms *perms)
{
	size_t size = vlen + perms->num * sizeof(struct xs_perm);
	int rc;

	if (x->privileged)
		return 0;
	rc = xs_quota_check(x->st, x->domid, XS_Q_NODE_SIZE, size);
	if (!rc)
		rc = xs_quota_check(x->st, x->domid, XS_Q_MEMORY,
				    size + strlen(path) + sizeof(struct xs_node));
	return rc;
}

static int create_missing(struct xs_ctx *x, const char *path,
			  unsigned int missing, const struct xs_perms *inh)
{
	char buf[XENSTORE_ABS_PATH_MAX + 1];
	unsigned int i, skip;
	int rc = 0;

	/* Create from the top: the first missing ancestor comes first. */
	for (i = missing; i-- > 0 && !rc;) {
		struct xs_txnode *tn;

		snprintf(buf, sizeof(buf), "%s", path);
		for (skip = 0; skip < i; skip++)
			parent_of(buf, buf);
		tn = xs_tx_touch(x->st, x->tx, buf, &rc);
		if (!tn)
			break;
		xs_perms_free(&tn->perms);
		rc = xs_perms_copy(inh, &tn->perms);
		if (!rc)
			rc = set_value(x, tn, "", 0);
		/* Xen fires watches for the written node, not its parents. */
		tn->implicit = true;
	}
	return rc;
}

static int create(struct xs_ctx *x, const char *path, const char *value,
		  unsigned int vlen)
{
	char anc[XENSTORE_ABS_PATH_MAX + 1];
	struct xs_perms inh = { 0, NULL };
	unsigned int missing = 1;
	struct xs_view v;
	int rc;

	if (xs_path_depth(path) > XS_MAX_DEPTH)
		return -E2BIG;
	parent_of(path, anc);
	while ((rc = lookup(x, anc, false, &v)) == -ENOENT) {
		parent_of(anc, anc);
		missing++;
	}
	if (rc)
		return rc;
	if (!can(x, v.perms, XS_PERM_WRITE))
		return -EACCES;
	rc = xs_perms_inherit(v.perms, x->domid, x->privileged, &inh);
	if (!rc)
		rc = check_size(x, path, vlen, &inh);
	if (!rc && !x->privileged)
		rc = xs_quota_check(x->st, x->domid, XS_Q_NODES, missing);
	if (!rc)
		rc = create_missing(x, path, missing, &inh);
	if (!rc) {
		struct xs_txnode *tn = xs_tx_lookup(x->tx, path);

		rc = tn ? set_value(x, tn, value, vlen) : -EIO;
	}
	xs_perms_free(&inh);
	return rc;
}

int xs_store_write(struct xs_ctx *x, const char *path, const char *value,
		   unsigned int vlen, bool only_create)
{
	struct xs_txnode *tn;
	struct xs_view v;
	int rc = lookup(x, path, true, &v);

	if (rc == -ENOENT)
		return done(x, create(x, path, value, vlen));
	if (rc)
		return done(x, rc);
	if (!can(x, v.perms, XS_PERM_WRITE))
		return done(x, -EACCES);
	if (only_create)
		return done(x, 0);	/* MKDIR leaves an existing node alone */
	rc = check_size(x, path, vlen, v.perms);
	if (rc)
		return done(x, rc);
	tn = touch_existing(x, path, &v, &rc);
	if (tn)
		rc = set_value(x, tn, value, vlen);
	return done(x, rc);
}

static void mark_subtree_deleted(struct xs_ctx *x, const char *path)
{
	struct xs_tx *tx = x->tx;
	unsigned int i;

	for (i = 0; i < tx->nnodes; i++) {
		struct xs_txnode *tn = &tx->nodes[i];

		if (!xs_path_is_prefix(path, tn->path))
			continue;
		tn->deleted = true;
		tn->dirty = false;
		charge_tx(x, -(long)tn->vlen);
		free(tn->value);
		tn->value = NULL;
		tn->vlen = 0;
	}
}

int xs_store_rm(struct xs_ctx *x, const char *path)
{
	char parent[XENSTORE_ABS_PATH_MAX + 1];
	struct xs_txnode *tn;
	struct xs_view v;
	int rc;

	if (strcmp(path, "/") == 0)
		return done(x, -EINVAL);
	rc = lookup(x, path, true, &v);
	if (rc == -ENOENT) {
		/* xenstore.txt: a missing node is fine, a missing parent not. */
		parent_of(path, parent);
		return done(x, lookup(x, parent, false, &v));
	}
	if (rc)
		return done(x, rc);
	if (!can(x, v.perms, XS_PERM_WRITE))
		return done(x, -EACCES);
	tn = xs_tx_touch(x->st, x->tx, path, &rc);
	if (!tn)
		return done(x, rc);
	mark_subtree_deleted(x, path);
	tn->wiped = true;
	return done(x, 0);
}

int xs_store_set_perms(struct xs_ctx *x, const char *path,
		       const struct xs_perms *perms)
{
	struct xs_txnode *tn;
	struct xs_view v;
	int rc = lookup(x, path, true, &v);

	if (rc)
		return done(x, rc);
	if (!x->privileged) {
		unsigned int owner = v.perms->num ? v.perms->p[0].domid : 0;

		if (owner != x->domid && owner != x->target)
			return done(x, -EACCES);
		/* XSA-352: an unprivileged owner cannot give a node away. */
		if (perms->p[0].domid != owner)
			return done(x, -EPERM);
		rc = check_size(x, path, v.vlen, perms);
		if (rc)
			return done(x, rc);
	}
	tn = touch_existing(x, path, &v, &rc);
	if (!tn)
		return done(x, rc);
	xs_perms_free(&tn->perms);
	rc = xs_perms_copy(perms, &tn->perms);
	tn->dirty = true;
	return done(x, rc);
}

struct namebuf {
	char *buf;
	size_t len, cap;
};

static int add_name(struct namebuf *nb, const char *name)
{
	size_t n = strlen(name) + 1;

	if (nb->len + n > nb->cap) {
		size_t cap = (nb->len + n) * 2;
		char *b = realloc(nb->buf, cap);

		if (!b)
			return -ENOMEM;
		nb->buf = b;
		nb->cap = cap;
	}
	memcpy(nb->buf + nb->len, name, n);
	nb->len += n;
	return 0;
}

static bool has_name(const char *names, size_t len, const char *name)
{
	size_t off;

	for (off = 0; off < len; off += strlen(names + off) + 1)
		if (strcmp(names + off, name) == 0)
			return true;
	return false;
}

static int list_committed(const struct xs_node *node, struct namebuf *nb)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < node->nchildren && !rc; i++)
		rc = add_name(nb, node->children[i]->name);
	return rc;
}

/*
 * The committed children of @path as the transaction first listed them
 * (or as they are now, for an implicit transaction), minus those it
 * removed.  The list before the removals goes to @names_out, @nlen_out.
 */
static int committed_children(struct xs_ctx *x, const char *path,
			      struct namebuf *nb, uint64_t *gen_out,
			      const char **names_out, size_t *nlen_out)
{
	char child[XENSTORE_ABS_PATH_MAX + 2];
	const struct xs_txread *r;
	const char *names;
	size_t nlen, off;
	int rc;

	rc = xs_tx_snapshot(x->st, x->tx, path, true, &r);
	if (rc)
		return rc;
	if (r) {
		*gen_out = r->gen;
		names = r->names;
		nlen = r->names ? r->nlen : 0;
	} else {
		struct xs_node *node = xs_tree_lookup(x->st, path);

		if (!node)
			return 0;
		*gen_out = node->cgen;
		/* Implicit: no overlay, nothing to hide or to add. */
		return list_committed(node, nb);
	}
	*names_out = names;
	*nlen_out = nlen;
	for (off = 0; off < nlen && !rc; off += strlen(names + off) + 1) {
		struct xs_txnode *tn;

		snprintf(child, sizeof(child), "%s/%s",
			 strcmp(path, "/") ? path : "", names + off);
		tn = xs_tx_lookup(x->tx, child);
		if (tn && tn->deleted)
			continue;
		rc = add_name(nb, names + off);
	}
	return rc;
}

static int overlay_children(struct xs_ctx *x, const char *path,
			    const char *listed, size_t listed_len,
			    struct namebuf *nb)
{
	char parent[XENSTORE_ABS_PATH_MAX + 1];
	unsigned int i;
	int rc = 0;

	for (i = 0; i < x->tx->nnodes && !rc; i++) {
		struct xs_txnode *tn = &x->tx->nodes[i];
		size_t plen;
		const char *base;

		if (tn->deleted || strcmp(tn->path, "/") == 0)
			continue;
		parent_of(tn->path, parent);
		if (strcmp(parent, path) != 0)
			continue;
		base = xs_path_basename(tn->path, &plen);
		if (listed && has_name(listed, listed_len, base))
			continue;	/* already listed */
		rc = add_name(nb, base);
	}
	return rc;
}

int xs_store_children(struct xs_ctx *x, const char *path, char **buf_out,
		      size_t *len_out, uint64_t *gen_out)
{
	struct namebuf nb = { NULL, 0, 0 };
	const char *listed = NULL;
	size_t listed_len = 0;
	struct xs_txnode *tn;
	struct xs_view v;
	int rc;

	rc = xs_store_read(x, path, XS_PERM_READ, &v);
	if (rc)
		return rc;
	tn = xs_tx_lookup(x->tx, path);
	*gen_out = 0;
	if (!(tn && tn->wiped) && !hidden(x->tx, path))
		rc = committed_children(x, path, &nb, gen_out, &listed,
					&listed_len);
	/* An implicit transaction has no overlay entries to add. */
	if (!rc && x->tx->nnodes)
		rc = overlay_children(x, path, listed, listed_len, &nb);
	if (rc) {
		free(nb.buf);
		return rc;
	}
	*buf_out = nb.buf;
	*len_out = nb.len;
	return 0;
}

void xs_store_changed(struct xs_store *st, const char *path,
		      const struct xs_perms *perms, bool recursive)
{
	xs_watch_fire(st, path, perms, recursive);
}

int xs_store_init(struct xs_store *st)
{
	static struct xs_perm n0 = { 0, XS_PERM_NONE };
	struct xs_perms pn0 = { 1, &n0 };
	int rc;

	memset(st, 0, sizeof(*st));
	xs_quota_defaults(st->quota);
	rc = xs_tree_init(st);
	if (!rc)
		rc = xs_perms_copy(&pn0, &st->special_perms[0]);
	if (!rc)
		rc = xs_perms_copy(&pn0, &st->special_perms[1]);
	return rc;
}

void xs_store_dispose(struct xs_store *st)
{
	struct xs_domain *d;

	while (st->conns)
		xs_conn_destroy(st, st->conns);
	xs_tree_dispose(st);
	xs_perms_free(&st->special_perms[0]);
	xs_perms_free(&st->special_perms[1]);
	while ((d = st->domains)) {
		st->domains = d->next;
		free(d);
	}
}

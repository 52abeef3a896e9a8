/*
 * transaction.c: transactions as copy-on-write overlays with a read set.
 *
 * A transaction never copies the tree (B5).  It keeps:
 *  - an overlay: one entry per path it wrote, created or removed, holding
 *    the new value and permissions, or a "deleted" mark.  "wiped" says the
 *    committed children below this path are gone (a remove happened here,
 *    even if the node was created again afterwards);
 *  - a read set: for each committed node the transaction read or changed,
 *    a copy of the node (value, permissions; or "absent") and its
 *    generation at the first access, and for each directory it listed, the
 *    child names and child-list generation at the first listing.  Later
 *    accesses return the copy, so the transaction's view stays consistent
 *    (repeatable reads) whatever is committed outside it.
 * Commit fails with EAGAIN if anything in the read set changed, so
 * transactions on disjoint subtrees never conflict.  Creating a child does
 * not change its parent's generation (only its child-list generation), so
 * two transactions creating siblings do not conflict either.  A created
 * node whose parent vanished meanwhile also fails the commit (XSA-415).
 * Copies are charged to the domain's memory quota and count towards the
 * transaction-nodes quota.  Requests outside a transaction use a
 * short-lived implicit one that keeps no copies (nothing can intervene),
 * so every change goes through the same commit and watch code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

struct xs_txnode *xs_tx_lookup(struct xs_tx *tx, const char *path)
{
	unsigned int i;

	for (i = 0; i < tx->nnodes; i++)
		if (strcmp(tx->nodes[i].path, path) == 0)
			return &tx->nodes[i];
	return NULL;
}

static bool tx_full(struct xs_store *st, struct xs_tx *tx)
{
	if (!tx->conn || tx->conn->privileged)
		return false;
	return tx->naccessed >= st->quota[XS_Q_TX_NODES];
}

static int tx_full_error(struct xs_store *st, struct xs_tx *tx)
{
	return xs_quota_check(st, tx->conn->domid, XS_Q_TX_NODES,
			      (size_t)st->quota[XS_Q_TX_NODES] + 1);
}

void xs_tx_charge(struct xs_store *st, struct xs_tx *tx, long delta)
{
	struct xs_domain *d;

	if (tx->id == 0 || delta == 0 || !tx->conn)
		return;
	tx->bytes = (size_t)((long)tx->bytes + delta);
	d = xs_domain_find(st, tx->conn->domid);
	if (d)
		d->tx_memory = (size_t)((long)d->tx_memory + delta);
}

const struct xs_txread *xs_tx_seen(const struct xs_tx *tx, const char *path,
				   bool dir)
{
	unsigned int i;

	for (i = 0; i < tx->nreads; i++)
		if (tx->reads[i].dir == dir && !strcmp(tx->reads[i].path, path))
			return &tx->reads[i];
	return NULL;
}

/* The committed children of @node as NUL-separated names. */
static int list_names(const struct xs_node *node, char **out, size_t *len_out)
{
	size_t len = 0, off = 0;
	unsigned int i;

	for (i = 0; i < node->nchildren; i++)
		len += strlen(node->children[i]->name) + 1;
	*out = malloc(len ? len : 1);
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < node->nchildren; i++) {
		size_t n = strlen(node->children[i]->name) + 1;

		memcpy(*out + off, node->children[i]->name, n);
		off += n;
	}
	*len_out = len;
	return 0;
}

/* Copy what @node looks like now into @r (node @r->dir false, or list). */
static int take_snapshot(const struct xs_node *node, struct xs_txread *r)
{
	int rc;

	if (!node)
		return 0;
	r->gen = r->dir ? node->cgen : node->gen;
	if (r->dir)
		return list_names(node, &r->names, &r->nlen);
	rc = xs_perms_copy(&node->perms, &r->perms);
	if (rc)
		return rc;
	r->value = malloc(node->vlen ? node->vlen : 1);
	if (!r->value)
		return -ENOMEM;
	memcpy(r->value, node->value ? node->value : "", node->vlen);
	r->vlen = node->vlen;
	return 0;
}

static size_t snapshot_bytes(const struct xs_txread *r)
{
	return strlen(r->path) + 1 + r->vlen + r->nlen +
	       r->perms.num * sizeof(struct xs_perm);
}

static void read_clear(struct xs_txread *r)
{
	free(r->path);
	free(r->value);
	free(r->names);
	xs_perms_free(&r->perms);
	memset(r, 0, sizeof(*r));
}

static int grow_reads(struct xs_tx *tx)
{
	unsigned int cap;
	struct xs_txread *n;

	if (tx->nreads < tx->capreads)
		return 0;
	cap = tx->capreads ? tx->capreads * 2 : 8;
	n = realloc(tx->reads, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	tx->reads = n;
	tx->capreads = cap;
	return 0;
}

/*
 * Snapshots are charged to the domain's memory quota while the transaction
 * lives, as overlay values are: a guest cannot make the daemon copy the
 * store into many transactions for free.
 */
static int charge_snapshot(struct xs_store *st, struct xs_tx *tx,
			   const struct xs_txread *r)
{
	size_t size = snapshot_bytes(r);
	int rc = 0;

	if (tx->conn && !tx->conn->privileged)
		rc = xs_quota_check(st, tx->conn->domid, XS_Q_MEMORY, size);
	if (!rc)
		xs_tx_charge(st, tx, (long)size);
	return rc;
}

int xs_tx_snapshot(struct xs_store *st, struct xs_tx *tx, const char *path,
		   bool dir, const struct xs_txread **out)
{
	struct xs_txread *r;
	int rc;

	*out = NULL;
	if (tx->id == 0)
		return 0;
	*out = xs_tx_seen(tx, path, dir);
	if (*out)
		return 0;
	if (tx_full(st, tx))
		return tx_full_error(st, tx);
	rc = grow_reads(tx);
	if (rc)
		return rc;
	r = &tx->reads[tx->nreads];
	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->path = strdup(path);
	rc = r->path ? take_snapshot(xs_tree_lookup(st, path), r) : -ENOMEM;
	if (!rc)
		rc = charge_snapshot(st, tx, r);
	if (rc) {
		read_clear(r);
		return rc;
	}
	/* A node written before it was read is already counted. */
	if (dir || !xs_tx_lookup(tx, path))
		tx->naccessed++;
	tx->nreads++;
	*out = r;
	return 0;
}

/* Return the overlay entry for @path, adding an empty one if needed. */
struct xs_txnode *xs_tx_touch(struct xs_store *st, struct xs_tx *tx,
			      const char *path, int *rc_out)
{
	struct xs_txnode *tn = xs_tx_lookup(tx, path);

	*rc_out = 0;
	if (tn)
		return tn;
	if (!xs_tx_seen(tx, path, false) && tx_full(st, tx)) {
		*rc_out = tx_full_error(st, tx);
		return NULL;
	}
	if (tx->nnodes == tx->capnodes) {
		unsigned int cap = tx->capnodes ? tx->capnodes * 2 : 8;
		struct xs_txnode *n = realloc(tx->nodes, cap * sizeof(*n));

		if (!n) {
			*rc_out = -ENOMEM;
			return NULL;
		}
		tx->nodes = n;
		tx->capnodes = cap;
	}
	tn = &tx->nodes[tx->nnodes];
	memset(tn, 0, sizeof(*tn));
	tn->path = strdup(path);
	if (!tn->path) {
		*rc_out = -ENOMEM;
		return NULL;
	}
	tn->deleted = true;
	if (!xs_tx_seen(tx, path, false))
		tx->naccessed++;
	tx->nnodes++;
	return tn;
}

int xs_tx_start(struct xs_store *st, struct xs_conn *c, uint32_t *id_out)
{
	struct xs_domain *d;
	struct xs_tx *tx;
	int rc;

	if (!c->privileged) {
		rc = xs_quota_check(st, c->domid, XS_Q_TRANSACTIONS, 1);
		if (rc)
			return rc;
	}
	d = xs_domain_get(st, c->domid);
	tx = calloc(1, sizeof(*tx));
	if (!tx || !d) {
		free(tx);
		return -ENOMEM;
	}
	do {
		tx->id = ++st->next_tx_id;
	} while (tx->id == 0 || xs_tx_find(c, tx->id));
	tx->conn = c;
	tx->next = c->txs;
	c->txs = tx;
	d->transactions++;
	*id_out = tx->id;
	return 0;
}

struct xs_tx *xs_tx_find(struct xs_conn *c, uint32_t id)
{
	struct xs_tx *tx;

	for (tx = c->txs; tx; tx = tx->next)
		if (tx->id == id)
			return tx;
	return NULL;
}

static void tx_clear(struct xs_tx *tx)
{
	unsigned int i;

	for (i = 0; i < tx->nnodes; i++) {
		free(tx->nodes[i].path);
		free(tx->nodes[i].value);
		xs_perms_free(&tx->nodes[i].perms);
	}
	for (i = 0; i < tx->nreads; i++)
		read_clear(&tx->reads[i]);
	free(tx->nodes);
	free(tx->reads);
	tx->nodes = NULL;
	tx->reads = NULL;
	tx->nnodes = tx->nreads = tx->naccessed = 0;
}

void xs_tx_free(struct xs_store *st, struct xs_tx *tx)
{
	struct xs_tx **pp;
	struct xs_domain *d;

	if (tx->id && tx->conn) {
		for (pp = &tx->conn->txs; *pp; pp = &(*pp)->next) {
			if (*pp == tx) {
				*pp = tx->next;
				break;
			}
		}
		d = xs_domain_find(st, tx->conn->domid);
		if (d)
			d->tx_memory -= tx->bytes < d->tx_memory ?
					tx->bytes : d->tx_memory;
		if (d && d->transactions) {
			d->transactions--;
			xs_domain_put_if_unused(st, d);
		}
	}
	tx_clear(tx);
	if (tx->id)
		free(tx);
}

void xs_tx_free_all(struct xs_store *st, struct xs_conn *c)
{
	while (c->txs)
		xs_tx_free(st, c->txs);
}

static int reads_unchanged(struct xs_store *st, const struct xs_tx *tx)
{
	unsigned int i;

	for (i = 0; i < tx->nreads; i++) {
		const struct xs_txread *r = &tx->reads[i];
		struct xs_node *node = xs_tree_lookup(st, r->path);
		uint64_t now = node ? (r->dir ? node->cgen : node->gen) : 0;

		if (now != r->gen)
			return -EAGAIN;
	}
	return 0;
}

static bool overlay_has_parent(struct xs_tx *tx, const char *path)
{
	struct xs_txnode *tn;
	char parent[XENSTORE_ABS_PATH_MAX + 1];
	size_t plen;

	xs_path_basename(path, &plen);
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	tn = xs_tx_lookup(tx, parent);
	return tn && !tn->deleted;
}

static int parents_exist(struct xs_store *st, struct xs_tx *tx)
{
	unsigned int i;

	for (i = 0; i < tx->nnodes; i++) {
		const char *path = tx->nodes[i].path;
		char parent[XENSTORE_ABS_PATH_MAX + 1];
		size_t plen;

		if (tx->nodes[i].deleted || strcmp(path, "/") == 0 ||
		    overlay_has_parent(tx, path))
			continue;
		xs_path_basename(path, &plen);
		memcpy(parent, path, plen);
		parent[plen] = '\0';
		if (!xs_tree_lookup(st, parent))
			return -EAGAIN;
	}
	return 0;
}

static int cmp_txnode(const void *a, const void *b)
{
	const struct xs_txnode *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static void apply_removals(struct xs_store *st, struct xs_tx *tx)
{
	unsigned int i;

	for (i = 0; i < tx->nnodes; i++) {
		struct xs_txnode *tn = &tx->nodes[i];
		struct xs_node *node;
		struct xs_perms old;

		if (!tn->deleted && !tn->wiped)
			continue;
		node = xs_tree_lookup(st, tn->path);
		if (!node || !node->parent ||
		    xs_perms_copy(&node->perms, &old))
			continue;
		xs_tree_remove(st, node);
		xs_store_changed(st, tn->path, &old, true);
		xs_perms_free(&old);
	}
}

static int apply_one(struct xs_store *st, struct xs_txnode *tn)
{
	struct xs_node *node = xs_tree_lookup(st, tn->path);
	int rc;

	if (!node) {
		char parent_path[XENSTORE_ABS_PATH_MAX + 1];
		struct xs_node *parent;
		size_t plen;
		const char *base = xs_path_basename(tn->path, &plen);

		memcpy(parent_path, tn->path, plen);
		parent_path[plen] = '\0';
		parent = xs_tree_lookup(st, parent_path);
		if (!parent)
			return -EAGAIN;	/* checked before; cannot happen */
		rc = xs_tree_create(st, parent, base, &tn->perms, &node);
	} else {
		rc = xs_tree_set_perms(st, node, &tn->perms);
	}
	if (!rc)
		rc = xs_tree_set_value(st, node, tn->value ? tn->value : "",
				       tn->vlen);
	if (!rc && !tn->implicit)
		xs_store_changed(st, tn->path, &tn->perms, false);
	return rc;
}

static int apply(struct xs_store *st, struct xs_tx *tx)
{
	unsigned int i;
	int rc = 0;

	if (tx->nnodes)
		qsort(tx->nodes, tx->nnodes, sizeof(*tx->nodes), cmp_txnode);
	apply_removals(st, tx);
	for (i = 0; i < tx->nnodes && !rc; i++) {
		if (tx->nodes[i].deleted || !tx->nodes[i].dirty)
			continue;
		rc = apply_one(st, &tx->nodes[i]);
	}
	return rc;
}

int xs_tx_end(struct xs_store *st, struct xs_tx *tx, bool commit)
{
	int rc = 0;

	if (commit) {
		rc = reads_unchanged(st, tx);
		if (!rc)
			rc = parents_exist(st, tx);
		if (!rc)
			rc = apply(st, tx);
	}
	xs_tx_free(st, tx);
	return rc;
}

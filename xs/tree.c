/*
 * tree.c: the committed node tree.
 *
 * Nodes hold a name component, a value, a permission list and two
 * generation counts taken from one store-wide counter: gen changes when the
 * node is created or its value or permissions change, cgen when a child is
 * added or removed.  Transactions compare them at commit to find conflicts
 * per node (transaction.c).  Every change is handed to persist.c, which
 * keeps the store across a restart.  Removal walks the subtree without recursion so
 * a deep tree cannot exhaust the stack (XSA-418).  Every create and removal
 * is charged to the owner's quota here, in one place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

size_t xs_node_size(const struct xs_node *node)
{
	size_t size = node->vlen + node->perms.num * sizeof(struct xs_perm);
	unsigned int i;

	for (i = 0; i < node->nchildren; i++)
		size += strlen(node->children[i]->name) + 1;
	return size;
}

static size_t charge_of(const struct xs_node *node)
{
	return strlen(node->name) + 1 + node->vlen +
	       node->perms.num * sizeof(struct xs_perm) + sizeof(*node);
}

static unsigned int owner_of(const struct xs_node *node)
{
	return node->perms.num ? node->perms.p[0].domid : 0;
}

static struct xs_node *node_alloc(const char *name, size_t len)
{
	struct xs_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->name = strndup(name, len);
	if (!node->name) {
		free(node);
		return NULL;
	}
	return node;
}

static void node_free(struct xs_node *node)
{
	free(node->name);
	free(node->value);
	free(node->children);
	xs_perms_free(&node->perms);
	free(node);
}

struct xs_node *xs_tree_child(const struct xs_node *node, const char *name,
			      size_t len)
{
	unsigned int i;

	for (i = 0; i < node->nchildren; i++) {
		struct xs_node *ch = node->children[i];

		if (strncmp(ch->name, name, len) == 0 && ch->name[len] == '\0')
			return ch;
	}
	return NULL;
}

struct xs_node *xs_tree_lookup(struct xs_store *st, const char *path)
{
	struct xs_node *node = st->root;
	const char *p = path;

	if (path[0] != '/')
		return NULL;
	while (node && *p) {
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		node = xs_tree_child(node, p, (size_t)(end - p));
		p = end;
	}
	return node;
}

static int add_child(struct xs_node *parent, struct xs_node *child)
{
	if (parent->nchildren == parent->cap) {
		unsigned int cap = parent->cap ? parent->cap * 2 : 4;
		struct xs_node **n = realloc(parent->children,
					     cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		parent->children = n;
		parent->cap = cap;
	}
	parent->children[parent->nchildren++] = child;
	return 0;
}

int xs_tree_create(struct xs_store *st, struct xs_node *parent,
		   const char *name, const struct xs_perms *perms,
		   struct xs_node **node_out)
{
	struct xs_node *node = node_alloc(name, strlen(name));
	int rc = -ENOMEM;

	if (!node)
		goto out;
	rc = xs_perms_copy(perms, &node->perms);
	if (rc)
		goto out;
	rc = add_child(parent, node);
	if (rc)
		goto out;
	node->parent = parent;
	node->gen = ++st->gen;
	parent->cgen = ++st->gen;
	st->nnodes++;
	xs_quota_node_add(st, owner_of(node), charge_of(node));
	xs_persist_node(st, node);
	*node_out = node;
	node = NULL;
out:
	if (node)
		node_free(node);
	return rc;
}

int xs_tree_set_value(struct xs_store *st, struct xs_node *node,
		      const char *value, unsigned int vlen)
{
	char *v = malloc(vlen ? vlen : 1);

	if (!v)
		return -ENOMEM;
	memcpy(v, value, vlen);
	xs_quota_node_del(st, owner_of(node), charge_of(node));
	free(node->value);
	node->value = v;
	node->vlen = vlen;
	node->gen = ++st->gen;
	xs_quota_node_add(st, owner_of(node), charge_of(node));
	xs_persist_node(st, node);
	return 0;
}

int xs_tree_set_perms(struct xs_store *st, struct xs_node *node,
		      const struct xs_perms *perms)
{
	struct xs_perms copy;
	int rc = xs_perms_copy(perms, &copy);

	if (rc)
		return rc;
	xs_quota_node_del(st, owner_of(node), charge_of(node));
	xs_perms_free(&node->perms);
	node->perms = copy;
	node->gen = ++st->gen;
	xs_quota_node_add(st, owner_of(node), charge_of(node));
	xs_persist_node(st, node);
	return 0;
}

static void unlink_child(struct xs_node *parent, struct xs_node *child)
{
	unsigned int i;

	for (i = 0; i < parent->nchildren; i++) {
		if (parent->children[i] == child) {
			parent->children[i] =
				parent->children[--parent->nchildren];
			return;
		}
	}
}

static void free_one(struct xs_store *st, struct xs_node *node)
{
	xs_quota_node_del(st, owner_of(node), charge_of(node));
	st->nnodes--;
	node_free(node);
}

void xs_tree_remove(struct xs_store *st, struct xs_node *node)
{
	struct xs_node *top = node, *parent = node->parent;

	if (!parent)
		return;
	xs_persist_remove(st, node);
	unlink_child(parent, node);
	parent->cgen = ++st->gen;
	/* Post-order without recursion: descend to a leaf, free it, go up. */
	while (node) {
		struct xs_node *up;

		if (node->nchildren) {
			node = node->children[--node->nchildren];
			continue;
		}
		up = node == top ? NULL : node->parent;
		free_one(st, node);
		node = up;
	}
}

int xs_node_path(const struct xs_node *node, char *buf, size_t size)
{
	const struct xs_node *n;
	size_t len = 0, off;

	if (!node->parent)
		return snprintf(buf, size, "/") < (int)size ? 0 : -E2BIG;
	for (n = node; n->parent; n = n->parent)
		len += strlen(n->name) + 1;
	if (len + 1 > size)
		return -E2BIG;
	buf[len] = '\0';
	off = len;
	for (n = node; n->parent; n = n->parent) {
		size_t l = strlen(n->name);

		off -= l;
		memcpy(buf + off, n->name, l);
		buf[--off] = '/';
	}
	return 0;
}

int xs_tree_walk(struct xs_store *st, int (*fn)(struct xs_node *, void *),
		 void *arg)
{
	struct xs_node **stack;
	unsigned int sp = 0, cap = 64;
	int rc = 0;

	stack = malloc(cap * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	stack[sp++] = st->root;
	while (sp && !rc) {
		struct xs_node *node = stack[--sp];
		unsigned int i;

		rc = fn(node, arg);
		if (rc)
			break;
		for (i = node->nchildren; i-- > 0;) {
			if (sp == cap) {
				struct xs_node **n = realloc(stack,
						2 * cap * sizeof(*n));

				if (!n) {
					rc = -ENOMEM;
					goto out;
				}
				stack = n;
				cap *= 2;
			}
			stack[sp++] = node->children[i];
		}
	}
out:
	free(stack);
	return rc;
}

static int create_path(struct xs_store *st, const char *path,
		       const struct xs_perms *perms)
{
	struct xs_node *parent, *node;
	size_t plen;
	const char *base = xs_path_basename(path, &plen);
	char parent_path[64];

	memcpy(parent_path, path, plen);
	parent_path[plen] = '\0';
	parent = xs_tree_lookup(st, parent_path);
	if (!parent)
		return -ENOENT;
	return xs_tree_create(st, parent, base, perms, &node);
}

int xs_tree_init(struct xs_store *st)
{
	static struct xs_perm n0 = { 0, XS_PERM_NONE };
	static struct xs_perm r0 = { 0, XS_PERM_READ };
	struct xs_perms pn0 = { 1, &n0 }, pr0 = { 1, &r0 };
	int rc;

	st->root = node_alloc("", 0);
	if (!st->root)
		return -ENOMEM;
	rc = xs_perms_copy(&pn0, &st->root->perms);
	if (rc)
		return rc;
	st->root->gen = ++st->gen;
	st->nnodes = 1;
	xs_quota_node_add(st, 0, charge_of(st->root));
	rc = create_path(st, "/tool", &pn0);
	if (!rc)
		rc = create_path(st, "/tool/xenstored", &pn0);
	if (!rc)
		rc = create_path(st, "/local", &pr0);
	if (!rc)
		rc = create_path(st, "/local/domain", &pr0);
	return rc;
}

void xs_tree_dispose(struct xs_store *st)
{
	struct xs_node *root = st->root;

	if (!root)
		return;
	while (root->nchildren)
		xs_tree_remove(st, root->children[root->nchildren - 1]);
	free_one(st, root);
	st->root = NULL;
}

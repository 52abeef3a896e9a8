/*
 * watch.c: watch registration and event delivery.
 *
 * A watch on P fires for a change at P or below it; when a subtree is
 * removed, watches below the removed node fire too, with their own path.
 * An event goes only to a watcher that may read the node (checked against
 * the permissions the node had, XSA-115); "@" watches go to privileged
 * connections and to domains granted access on the special node.  Events
 * for relative watches carry relative paths.  At WATCH time we check that
 * any event the watch can produce fits in one message (XSA-324).  Events
 * are queued on the watcher's connection, whose queue is bounded (conn.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

int xs_watch_add(struct xs_store *st, struct xs_conn *c, const char *path,
		 const char *token, bool relative, unsigned int depth)
{
	size_t tlen = strlen(token);
	struct xs_domain *d;
	struct xs_watch *w;
	int rc;

	if (tlen + XENSTORE_ABS_PATH_MAX + 2 > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	for (w = c->watches; w; w = w->next)
		if (!strcmp(w->path, path) && !strcmp(w->token, token))
			return -EEXIST;
	if (!c->privileged) {
		rc = xs_quota_check(st, c->domid, XS_Q_WATCHES, 1);
		if (rc)
			return rc;
	}
	d = xs_domain_get(st, c->domid);
	w = calloc(1, sizeof(*w));
	if (!w || !d)
		goto nomem;
	w->path = strdup(path);
	w->token = strdup(token);
	if (!w->path || !w->token)
		goto nomem;
	w->relative = relative;
	w->depth = depth;
	w->next = c->watches;
	c->watches = w;
	d->watches++;
	xs_persist_watch(st, c, w, true);
	return 0;
nomem:
	if (w) {
		free(w->path);
		free(w->token);
		free(w);
	}
	return -ENOMEM;
}

static void watch_free(struct xs_store *st, struct xs_conn *c,
		       struct xs_watch *w)
{
	struct xs_domain *d = xs_domain_find(st, c->domid);

	if (d && d->watches) {
		d->watches--;
		xs_domain_put_if_unused(st, d);
	}
	free(w->path);
	free(w->token);
	free(w);
}

int xs_watch_del(struct xs_store *st, struct xs_conn *c, const char *path,
		 const char *token)
{
	struct xs_watch **pp, *w;

	for (pp = &c->watches; (w = *pp); pp = &w->next) {
		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			xs_persist_watch(st, c, w, false);
			watch_free(st, c, w);
			return 0;
		}
	}
	return -ENOENT;
}

void xs_watch_free_all(struct xs_store *st, struct xs_conn *c)
{
	struct xs_watch *w;

	xs_persist_unwatch_all(st, c);
	while ((w = c->watches)) {
		c->watches = w->next;
		watch_free(st, c, w);
	}
}

int xs_watch_event(struct xs_conn *c, const struct xs_watch *w,
		   const char *path)
{
	char home[32];
	size_t hlen;

	if (w->relative) {
		hlen = (size_t)snprintf(home, sizeof(home), "/local/domain/%u/",
					c->domid);
		if (strncmp(path, home, hlen) == 0)
			path += hlen;
	}
	return xs_conn_queue(c, XS_WATCH_EVENT, 0, 0, path, strlen(path) + 1,
			     w->token, strlen(w->token) + 1, false);
}

static bool may_see(const struct xs_conn *c, const struct xs_perms *perms,
		    unsigned int target)
{
	if (c->privileged)
		return true;
	return xs_perms_access(perms, c->domid, target) & XS_PERM_READ;
}

static bool within_depth(const struct xs_watch *w, const char *path)
{
	if (!w->depth)
		return true;
	return xs_path_depth(path) - xs_path_depth(w->path) <= w->depth;
}

static unsigned int target_of(struct xs_store *st, const struct xs_conn *c)
{
	struct xs_domain *d = xs_domain_find(st, c->domid);

	return d ? d->target : XS_DOMID_INVALID;
}

void xs_watch_fire(struct xs_store *st, const char *path,
		   const struct xs_perms *perms, bool recursive)
{
	struct xs_conn *c;
	struct xs_watch *w;

	for (c = st->conns; c; c = c->next) {
		if (c->dead || !may_see(c, perms, target_of(st, c)))
			continue;
		for (w = c->watches; w && !c->dead; w = w->next) {
			if (xs_path_is_special(w->path))
				continue;
			if (xs_path_is_prefix(w->path, path) &&
			    within_depth(w, path))
				xs_watch_event(c, w, path);
			else if (recursive && xs_path_is_prefix(path, w->path))
				xs_watch_event(c, w, w->path);
		}
	}
}

void xs_watch_fire_special(struct xs_store *st, const char *name)
{
	const struct xs_perms *perms =
		&st->special_perms[strcmp(name, "@introduceDomain") ? 1 : 0];
	struct xs_conn *c;
	struct xs_watch *w;

	for (c = st->conns; c; c = c->next) {
		if (c->dead || !may_see(c, perms, target_of(st, c)))
			continue;
		for (w = c->watches; w && !c->dead; w = w->next)
			if (!strcmp(w->path, name))
				xs_watch_event(c, w, name);
	}
}

/*
 * persist.c: the store survives a restart of the daemon.
 *
 * Design: a snapshot plus a journal in the daemon's directory
 * (<rundir>/xenstored/, mode 0700).
 *   - "journal": every committed change is appended as one record (a node's
 *     full state, a removed subtree, a domain introduced or released, a
 *     guest's watch added or removed).  Records of one round of the loop
 *     are collected in memory and written with one write(2) before any
 *     reply of that round leaves the daemon (xs_conn_flush() calls
 *     xs_persist_flush()), so a reply is only ever sent for a change the
 *     kernel already holds: a daemon killed at any point loses nothing it
 *     acknowledged.  No fsync per record: the file outlives the process,
 *     which is the failure this covers; a host that loses power loses its
 *     guests too, and a fresh pvhv has no domain to come back to.
 *   - "store": a snapshot of everything, written to "store.tmp", fsync'ed,
 *     renamed over "store" and the directory fsync'ed, so it is always
 *     either the old or the new one.  It is written when the journal has
 *     grown past JOURNAL_COMPACT and four times the last snapshot, and
 *     after a restore; the journal then starts again, empty.
 * Each file begins with a generation record; a journal whose generation
 * is not the snapshot's predates it (the daemon died between the rename
 * and the truncation) and is ignored, as the snapshot already holds it.
 *
 * A record is a header (type, payload length, FNV-1a of the payload) and
 * the payload.  Loading stops at the first record that is short or whose
 * checksum fails: the tail of a write the daemon was killed in.  Every
 * length in a record is checked before use; the files are ours, but a
 * corrupt one must not crash the daemon (it starts with what was valid).
 *
 * Guests' watches are kept (their connections come back with their
 * rings); dom0's socket clients reconnect and watch again.  Transactions
 * are not kept: an END for one started before the restart gets ENOENT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xs-priv.h"

#define JOURNAL_COMPACT	(1024u * 1024u)
#define REC_MAX		(XENSTORE_ABS_PATH_MAX + 65536u)

enum rec_type {
	REC_GEN = 'G',		/* u64 generation */
	REC_NODE = 'N',		/* path, perms, value */
	REC_REMOVE = 'R',	/* path */
	REC_DOMAIN = 'D',	/* domid, port, target, shutdown */
	REC_DOMAIN_GONE = 'U',	/* domid */
	REC_WATCH = 'W',	/* domid, path, token, relative, depth */
	REC_UNWATCH = 'w',	/* domid, path, token */
	REC_UNWATCH_ALL = 'X',	/* domid */
	REC_SPECIAL = 'S',	/* which (0 @introduceDomain, 1 @releaseDomain), perms */
};

struct rec_hdr {
	uint32_t type;
	uint32_t len;
	uint32_t sum;
};

struct kept_watch {
	unsigned int domid;
	char *path, *token;
	bool relative;
	unsigned int depth;
	struct kept_watch *next;
};

struct xs_persist {
	char dir[4096];
	int jfd;			/* journal, O_APPEND */
	uint64_t gen;
	size_t jbytes;			/* journal size */
	size_t snap_bytes;		/* last snapshot size */
	bool loading;			/* replaying: changes are not logged */
	bool failed_logged;
	/* records not yet written */
	char *buf;
	size_t len, cap;
	bool broken;			/* a record could not be built */
	struct kept_watch *watches;	/* restored, not yet re-attached */
};

static uint32_t fnv1a(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* ---- building records ---- */

struct rec {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct rec *r, const void *p, size_t len)
{
	if (r->oom)
		return;
	if (r->len + len > r->cap) {
		size_t cap = (r->len + len) * 2 + 64;
		char *b = realloc(r->buf, cap);

		if (!b) {
			r->oom = true;
			return;
		}
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, len);
	r->len += len;
}

static void put_u32(struct rec *r, uint32_t v)
{
	put(r, &v, sizeof(v));
}

/* A string: u32 length, bytes (no NUL). */
static void put_str(struct rec *r, const char *s, size_t len)
{
	put_u32(r, (uint32_t)len);
	put(r, s, len);
}

static void put_perms(struct rec *r, const struct xs_perms *perms)
{
	unsigned int i;

	put_u32(r, perms->num);
	for (i = 0; i < perms->num; i++) {
		put_u32(r, perms->p[i].domid);
		put_u32(r, perms->p[i].perm);
	}
}

/* Frame @payload as a record at the end of @out. */
static void frame(struct rec *out, uint32_t type, const struct rec *payload)
{
	struct rec_hdr h = { type, (uint32_t)payload->len,
			     fnv1a(payload->buf, payload->len) };

	if (payload->oom) {
		out->oom = true;
		return;
	}
	put(out, &h, sizeof(h));
	put(out, payload->buf, payload->len);
}

static void node_payload(const struct xs_node *node, const char *path,
			 struct rec *r)
{
	put_str(r, path, strlen(path));
	put_perms(r, &node->perms);
	put_str(r, node->value ? node->value : "", node->vlen);
}

/* Append a record to the pending journal bytes. */
static void log_rec(struct xs_store *st, uint32_t type, struct rec *payload)
{
	struct xs_persist *p = st->persist;
	struct rec out = { p->buf, p->len, p->cap, false };

	frame(&out, type, payload);
	free(payload->buf);
	if (out.oom) {
		p->broken = true;
		return;
	}
	p->buf = out.buf;
	p->len = out.len;
	p->cap = out.cap;
}

static bool logging(struct xs_store *st)
{
	return st->persist && !st->persist->loading;
}

/*
 * The path of a node about to be journalled, or false when nothing is to
 * be written: not logging, or a path that does not fit (the journal is
 * then marked broken, so the next round writes a whole snapshot).
 */
static bool journal_path(struct xs_store *st, const struct xs_node *node, char *path, size_t size)
{
	if (!logging(st))
		return false;
	if (xs_node_path(node, path, size)) {
		st->persist->broken = true;
		return false;
	}
	return true;
}

void xs_persist_node(struct xs_store *st, const struct xs_node *node)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	struct rec r = { 0 };

	if (!journal_path(st, node, path, sizeof(path)))
		return;
	node_payload(node, path, &r);
	log_rec(st, REC_NODE, &r);
}

void xs_persist_remove(struct xs_store *st, const struct xs_node *node)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	struct rec r = { 0 };

	if (!journal_path(st, node, path, sizeof(path)))
		return;
	put_str(&r, path, strlen(path));
	log_rec(st, REC_REMOVE, &r);
}

static void domain_payload(const struct xs_domain *d, struct rec *r)
{
	put_u32(r, d->domid);
	put_u32(r, d->port);
	put_u32(r, d->target);
	put_u32(r, d->shutdown);
}

void xs_persist_domain(struct xs_store *st, const struct xs_domain *d)
{
	struct rec r = { 0 };

	if (!logging(st))
		return;
	domain_payload(d, &r);
	log_rec(st, d->introduced ? REC_DOMAIN : REC_DOMAIN_GONE, &r);
}

/* Only guests' watches are kept: dom0 clients reconnect by themselves. */
static bool keeps_watches(const struct xs_conn *c)
{
	return !c->privileged;
}

static void watch_payload(unsigned int domid, const char *path,
			  const char *token, bool relative, unsigned int depth,
			  struct rec *r)
{
	put_u32(r, domid);
	put_str(r, path, strlen(path));
	put_str(r, token, strlen(token));
	put_u32(r, relative);
	put_u32(r, depth);
}

void xs_persist_watch(struct xs_store *st, const struct xs_conn *c,
		      const struct xs_watch *w, bool added)
{
	struct rec r = { 0 };

	if (!logging(st) || !keeps_watches(c))
		return;
	watch_payload(c->domid, w->path, w->token, w->relative, w->depth, &r);
	log_rec(st, added ? REC_WATCH : REC_UNWATCH, &r);
}

void xs_persist_unwatch_all(struct xs_store *st, const struct xs_conn *c)
{
	struct rec r = { 0 };

	if (!logging(st) || !keeps_watches(c) || !c->watches)
		return;
	put_u32(&r, c->domid);
	log_rec(st, REC_UNWATCH_ALL, &r);
}

void xs_persist_special(struct xs_store *st, unsigned int which)
{
	struct rec r = { 0 };

	if (!logging(st) || which > 1)
		return;
	put_u32(&r, which);
	put_perms(&r, &st->special_perms[which]);
	log_rec(st, REC_SPECIAL, &r);
}

/* ---- writing files ---- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static void gen_rec(struct rec *out, uint64_t gen)
{
	struct rec r = { 0 };

	put(&r, &gen, sizeof(gen));
	frame(out, REC_GEN, &r);
	free(r.buf);
}

struct snap_walk {
	struct xs_store *st;
	struct rec *out;
};

static int snap_node(struct xs_node *node, void *arg)
{
	struct snap_walk *sw = arg;
	char path[XENSTORE_ABS_PATH_MAX + 1];
	struct rec r = { 0 };

	if (xs_node_path(node, path, sizeof(path)))
		return -E2BIG;
	node_payload(node, path, &r);
	frame(sw->out, REC_NODE, &r);
	free(r.buf);
	return sw->out->oom ? -ENOMEM : 0;
}

static void snap_domains_and_watches(struct xs_store *st, struct rec *out)
{
	struct xs_domain *d;
	struct xs_conn *c;
	struct kept_watch *kw;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct rec r = { 0 };

		put_u32(&r, i);
		put_perms(&r, &st->special_perms[i]);
		frame(out, REC_SPECIAL, &r);
		free(r.buf);
	}
	for (d = st->domains; d; d = d->next) {
		struct rec r = { 0 };

		if (!d->introduced)
			continue;
		domain_payload(d, &r);
		frame(out, REC_DOMAIN, &r);
		free(r.buf);
	}
	for (c = st->conns; c; c = c->next) {
		const struct xs_watch *w;

		if (c->dead || !keeps_watches(c))
			continue;
		for (w = c->watches; w; w = w->next) {
			struct rec r = { 0 };

			watch_payload(c->domid, w->path, w->token, w->relative,
				      w->depth, &r);
			frame(out, REC_WATCH, &r);
			free(r.buf);
		}
	}
	for (kw = st->persist->watches; kw; kw = kw->next) {
		struct rec r = { 0 };

		watch_payload(kw->domid, kw->path, kw->token, kw->relative,
			      kw->depth, &r);
		frame(out, REC_WATCH, &r);
		free(r.buf);
	}
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

static int write_file(const char *path, const struct rec *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -errno;
	rc = write_all(fd, data->buf, data->len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

static void file_path(const struct xs_persist *p, const char *name,
		      char *out, size_t size)
{
	snprintf(out, size, "%s/%s", p->dir, name);
}

/* A new snapshot (generation + 1), then an empty journal of that generation. */
int xs_persist_compact(struct xs_store *st)
{
	struct xs_persist *p = st->persist;
	char tmp[4200], path[4200];
	struct rec out = { 0 };
	struct snap_walk sw = { st, &out };
	int rc;

	if (!p)
		return 0;
	rc = xs_persist_flush(st);
	if (rc)
		return rc;
	gen_rec(&out, p->gen + 1);
	rc = xs_tree_walk(st, snap_node, &sw);
	if (!rc)
		snap_domains_and_watches(st, &out);
	if (!rc && out.oom)
		rc = -ENOMEM;
	file_path(p, "store.tmp", tmp, sizeof(tmp));
	file_path(p, "store", path, sizeof(path));
	if (!rc)
		rc = write_file(tmp, &out);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (!rc)
		rc = fsync_dir(p->dir);
	if (!rc) {
		p->gen++;
		p->snap_bytes = out.len;
		free(out.buf);
		memset(&out, 0, sizeof(out));
		gen_rec(&out, p->gen);
		if (ftruncate(p->jfd, 0) || out.oom)
			rc = out.oom ? -ENOMEM : -errno;
		if (!rc)
			rc = write_all(p->jfd, out.buf, out.len);
		p->jbytes = out.len;
	}
	free(out.buf);
	if (rc)
		xs_log("cannot write the store's snapshot in %s: %s", p->dir,
		       strerror(-rc));
	return rc;
}

int xs_persist_flush(struct xs_store *st)
{
	struct xs_persist *p = st->persist;
	int rc;

	if (!p || (!p->len && !p->broken))
		return 0;
	if (p->broken) {
		/* A record was lost to an allocation failure: only a full
		 * snapshot is trustworthy now. */
		p->broken = false;
		p->len = 0;
		return xs_persist_compact(st);
	}
	rc = write_all(p->jfd, p->buf, p->len);
	if (rc && !p->failed_logged) {
		xs_log("cannot append to the store's journal in %s: %s; "
		       "changes may not survive a restart", p->dir,
		       strerror(-rc));
		p->failed_logged = true;
	}
	p->jbytes += p->len;
	p->len = 0;
	if (p->jbytes > JOURNAL_COMPACT && p->jbytes > 4 * p->snap_bytes)
		return xs_persist_compact(st);
	return rc;
}

/* ---- loading ---- */

struct cursor {
	const char *p;
	size_t left;
	bool bad;
};

static uint32_t get_u32(struct cursor *c)
{
	uint32_t v = 0;

	if (c->left < sizeof(v)) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	c->left -= sizeof(v);
	return v;
}

/* A string copied out, NUL-terminated, into @out of @size. */
static size_t get_str(struct cursor *c, char *out, size_t size)
{
	uint32_t len = get_u32(c);

	if (c->bad || len >= size || len > c->left) {
		c->bad = true;
		if (size)
			out[0] = '\0';
		return 0;
	}
	memcpy(out, c->p, len);
	out[len] = '\0';
	c->p += len;
	c->left -= len;
	return len;
}

static int get_perms(struct cursor *c, struct xs_perms *out)
{
	uint32_t n = get_u32(c), i;

	out->num = 0;
	out->p = NULL;
	if (c->bad || n == 0 || n > c->left / 8) {
		c->bad = true;
		return -EINVAL;
	}
	out->p = calloc(n, sizeof(*out->p));
	if (!out->p)
		return -ENOMEM;
	out->num = n;
	for (i = 0; i < n; i++) {
		uint32_t domid = get_u32(c), perm = get_u32(c);

		if (domid > 0xffff || perm > XS_PERM_BOTH)
			c->bad = true;
		out->p[i].domid = (uint16_t)domid;
		out->p[i].perm = (uint8_t)perm;
	}
	return c->bad ? -EINVAL : 0;
}

static int parent_node(struct xs_store *st, const char *path,
		       struct xs_node **parent_out, const char **base_out)
{
	char parent[XENSTORE_ABS_PATH_MAX + 1];
	size_t plen;

	*base_out = xs_path_basename(path, &plen);
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	*parent_out = xs_tree_lookup(st, parent);
	return *parent_out ? 0 : -ENOENT;
}

static int load_node(struct xs_store *st, struct cursor *c)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	struct xs_perms perms = { 0, NULL };
	struct xs_node *node, *parent;
	const char *base, *value;
	uint32_t vlen;
	int rc;

	get_str(c, path, sizeof(path));
	rc = get_perms(c, &perms);
	vlen = get_u32(c);
	if (c->bad || rc || vlen > c->left || path[0] != '/') {
		xs_perms_free(&perms);
		return rc ? rc : -EINVAL;
	}
	value = c->p;
	node = xs_tree_lookup(st, path);
	if (!node) {
		rc = parent_node(st, path, &parent, &base);
		if (!rc)
			rc = xs_tree_create(st, parent, base, &perms, &node);
	} else {
		rc = xs_tree_set_perms(st, node, &perms);
	}
	if (!rc)
		rc = xs_tree_set_value(st, node, value, vlen);
	xs_perms_free(&perms);
	return rc;
}

static int load_remove(struct xs_store *st, struct cursor *c)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	struct xs_node *node;

	get_str(c, path, sizeof(path));
	if (c->bad)
		return -EINVAL;
	node = xs_tree_lookup(st, path);
	if (node)
		xs_tree_remove(st, node);
	return 0;
}

static int load_domain(struct xs_store *st, struct cursor *c, bool introduced)
{
	uint32_t domid = get_u32(c), port = get_u32(c);
	uint32_t target = get_u32(c), shutdown = get_u32(c);
	struct xs_domain *d;

	if (c->bad || domid == 0 || domid > XS_DOMID_MAX)
		return -EINVAL;
	d = introduced ? xs_domain_get(st, domid) : xs_domain_find(st, domid);
	if (!d)
		return introduced ? -ENOMEM : 0;
	d->introduced = introduced;
	d->port = port;
	d->target = target > XS_DOMID_MAX ? XS_DOMID_INVALID : target;
	d->shutdown = shutdown != 0;
	if (!introduced)
		xs_domain_put_if_unused(st, d);
	return 0;
}

static void kept_free(struct kept_watch *kw)
{
	free(kw->path);
	free(kw->token);
	free(kw);
}

static int load_watch(struct xs_persist *p, struct cursor *c, uint32_t type)
{
	char path[XENSTORE_ABS_PATH_MAX + 1], token[XENSTORE_PAYLOAD_MAX + 1];
	struct kept_watch **pp, *kw;
	unsigned int domid = get_u32(c);

	if (type == REC_UNWATCH_ALL) {
		path[0] = token[0] = '\0';
	} else {
		get_str(c, path, sizeof(path));
		get_str(c, token, sizeof(token));
	}
	if (c->bad)
		return -EINVAL;
	/* A repeated add replaces; removals drop one or all of the domain's. */
	for (pp = &p->watches; (kw = *pp);) {
		if (kw->domid == domid && (type == REC_UNWATCH_ALL ||
		    (!strcmp(kw->path, path) && !strcmp(kw->token, token)))) {
			*pp = kw->next;
			kept_free(kw);
			continue;
		}
		pp = &kw->next;
	}
	if (type != REC_WATCH)
		return 0;
	kw = calloc(1, sizeof(*kw));
	if (!kw)
		return -ENOMEM;
	kw->domid = domid;
	kw->path = strdup(path);
	kw->token = strdup(token);
	kw->relative = get_u32(c) != 0;
	kw->depth = get_u32(c);
	if (!kw->path || !kw->token || c->bad) {
		kept_free(kw);
		return c->bad ? -EINVAL : -ENOMEM;
	}
	kw->next = p->watches;
	p->watches = kw;
	return 0;
}

static int load_special(struct xs_store *st, struct cursor *c)
{
	uint32_t which = get_u32(c);
	struct xs_perms perms;
	int rc = get_perms(c, &perms);

	if (!rc && which <= 1) {
		xs_perms_free(&st->special_perms[which]);
		st->special_perms[which] = perms;
		return 0;
	}
	xs_perms_free(&perms);
	return rc ? rc : -EINVAL;
}

static int apply_rec(struct xs_store *st, uint32_t type, struct cursor *c)
{
	switch (type) {
	case REC_NODE: return load_node(st, c);
	case REC_REMOVE: return load_remove(st, c);
	case REC_DOMAIN: return load_domain(st, c, true);
	case REC_DOMAIN_GONE: return load_domain(st, c, false);
	case REC_WATCH:
	case REC_UNWATCH:
	case REC_UNWATCH_ALL: return load_watch(st->persist, c, type);
	case REC_SPECIAL: return load_special(st, c);
	default: return -EINVAL;
	}
}

static int read_file(const char *path, char **buf_out, size_t *len_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	ssize_t r;
	int rc = 0;

	*buf_out = NULL;
	*len_out = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) || sb.st_size < 0) {
		rc = -errno;
		goto out;
	}
	*buf_out = malloc((size_t)sb.st_size + 1);
	if (!*buf_out) {
		rc = -ENOMEM;
		goto out;
	}
	r = read(fd, *buf_out, (size_t)sb.st_size);
	if (r < 0)
		rc = -errno;
	else
		*len_out = (size_t)r;
out:
	close(fd);
	return rc;
}

/*
 * Replay the records of @buf.  Returns the length of the valid prefix;
 * *gen_out gets the file's generation (0 if it has none).
 */
static size_t replay(struct xs_store *st, const char *name, const char *buf,
		     size_t len, bool expect_gen, uint64_t *gen_out)
{
	size_t off = 0;
	unsigned int bad = 0;

	*gen_out = 0;
	while (len - off >= sizeof(struct rec_hdr)) {
		struct rec_hdr h;
		struct cursor c;

		memcpy(&h, buf + off, sizeof(h));
		if (h.len > REC_MAX || h.len > len - off - sizeof(h) ||
		    fnv1a(buf + off + sizeof(h), h.len) != h.sum)
			break;	/* the torn tail of a write */
		c.p = buf + off + sizeof(h);
		c.left = h.len;
		c.bad = false;
		if (off == 0 && expect_gen) {
			if (h.type != REC_GEN || h.len != sizeof(*gen_out))
				break;
			memcpy(gen_out, c.p, sizeof(*gen_out));
		} else if (apply_rec(st, h.type, &c)) {
			bad++;
		}
		off += sizeof(h) + h.len;
	}
	if (bad)
		xs_log("%s: %u record%s could not be applied", name, bad,
		       bad == 1 ? "" : "s");
	return off;
}

static int load(struct xs_store *st)
{
	struct xs_persist *p = st->persist;
	char path[4200], *buf;
	uint64_t snap_gen = 0, jgen = 0;
	size_t len, valid;
	int rc;

	file_path(p, "store", path, sizeof(path));
	rc = read_file(path, &buf, &len);
	if (rc)
		return rc;
	valid = replay(st, "store", buf, len, true, &snap_gen);
	free(buf);
	if (valid != len)
		xs_log("%s: %zu bytes past the last valid record ignored",
		       path, len - valid);
	p->snap_bytes = len;
	p->gen = snap_gen;
	file_path(p, "journal", path, sizeof(path));
	rc = read_file(path, &buf, &len);
	if (rc)
		return rc;
	if (len >= sizeof(struct rec_hdr)) {
		struct rec_hdr h;

		memcpy(&h, buf, sizeof(h));
		if (h.type == REC_GEN && h.len == sizeof(jgen) &&
		    len >= sizeof(h) + sizeof(jgen))
			memcpy(&jgen, buf + sizeof(h), sizeof(jgen));
	}
	if (len && jgen == snap_gen)
		replay(st, "journal", buf, len, true, &jgen);
	free(buf);
	return 0;
}

int xs_persist_open(struct xs_store *st, const char *dir, bool *restored_out)
{
	struct xs_persist *p = calloc(1, sizeof(*p));
	char path[4200];
	struct stat sb;
	int rc;

	*restored_out = false;
	if (!p)
		return -ENOMEM;
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	p->jfd = -1;
	st->persist = p;
	file_path(p, "store", path, sizeof(path));
	*restored_out = stat(path, &sb) == 0;
	p->loading = true;
	rc = load(st);
	p->loading = false;
	if (rc)
		goto fail;
	file_path(p, "journal", path, sizeof(path));
	p->jfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (p->jfd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Start from a snapshot of what was loaded: one file to trust. */
	rc = xs_persist_compact(st);
	if (rc)
		goto fail;
	return 0;
fail:
	xs_persist_close(st, false);
	return rc;
}

void xs_persist_close(struct xs_store *st, bool discard)
{
	struct xs_persist *p = st->persist;
	struct kept_watch *kw;
	char path[4200];

	if (!p)
		return;
	if (!discard)
		xs_persist_flush(st);
	if (p->jfd >= 0)
		close(p->jfd);
	if (discard) {
		file_path(p, "journal", path, sizeof(path));
		unlink(path);
		file_path(p, "store", path, sizeof(path));
		unlink(path);
	}
	while ((kw = p->watches)) {
		p->watches = kw->next;
		kept_free(kw);
	}
	free(p->buf);
	free(p);
	st->persist = NULL;
}

int xs_persist_restore_watches(struct xs_store *st, struct xs_conn *c)
{
	struct xs_persist *p = st->persist;
	struct kept_watch **pp, *kw;
	struct xs_watch *w;
	int rc = 0;

	if (!p)
		return 0;
	for (pp = &p->watches; (kw = *pp);) {
		if (kw->domid != c->domid) {
			pp = &kw->next;
			continue;
		}
		*pp = kw->next;
		if (!rc)
			rc = xs_watch_add(st, c, kw->path, kw->token,
					  kw->relative, kw->depth);
		kept_free(kw);
	}
	/* Fire each once, as on registration: the guest looks again at
	 * whatever changed while the daemon was away. */
	for (w = c->watches; w; w = w->next)
		xs_watch_event(c, w, w->path);
	return rc;
}

void xs_persist_forget_watches(struct xs_store *st, unsigned int domid)
{
	struct xs_persist *p = st->persist;
	struct kept_watch **pp, *kw;

	if (!p)
		return;
	for (pp = &p->watches; (kw = *pp);) {
		if (kw->domid == domid) {
			*pp = kw->next;
			kept_free(kw);
			continue;
		}
		pp = &kw->next;
	}
}

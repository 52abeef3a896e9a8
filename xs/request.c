/*
 * request.c: decode an XS_* request and run its handler.
 *
 * xs_request_handle() looks the type up in one table that says how many
 * string arguments the payload must hold, whether a path is canonicalised
 * (and whether "@" names are allowed), and whether the request runs in a
 * transaction.  Decoding happens on the private copy of the body before a
 * handler changes anything.  A handler returns 0 after queueing its reply,
 * or -errno, which becomes an XS_ERROR reply with the errno name.  The
 * access log gets one line per request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

struct handler {
	int (*fn)(struct xs_ctx *x, struct xs_req *req, const char *path);
	unsigned int min_args;
	bool has_path;
	bool allow_special;
	bool in_tx;
};

static int do_read(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	struct xs_view v;
	int rc = xs_store_read(x, path, XS_PERM_READ, &v);

	return rc ? rc : xs_reply(x->conn, req, v.value, v.vlen);
}

static int do_directory(struct xs_ctx *x, struct xs_req *req,
			const char *path)
{
	char *buf = NULL;
	size_t len;
	uint64_t gen;
	int rc = xs_store_children(x, path, &buf, &len, &gen);

	if (rc)
		return rc;
	rc = len > XENSTORE_PAYLOAD_MAX ? -E2BIG : xs_reply(x->conn, req,
							   buf, len);
	free(buf);
	return rc;
}

/* Largest prefix of whole names from @off that fits in @room bytes. */
static size_t part_len(const char *buf, size_t len, size_t off, size_t room)
{
	size_t end = off;

	while (end < len) {
		size_t n = strlen(buf + end) + 1;

		if (end - off + n > room)
			break;
		end += n;
	}
	return end - off;
}

static int do_directory_part(struct xs_ctx *x, struct xs_req *req,
			     const char *path)
{
	char head[32], *out = NULL, *buf = NULL;
	unsigned long off;
	size_t len, hlen, n;
	uint64_t gen;
	int rc;

	if (xs_parse_uint(req->arg[1], 0xffffffffu, &off))
		return -EINVAL;
	rc = xs_store_children(x, path, &buf, &len, &gen);
	if (rc)
		return rc;
	if (off > len) {
		rc = -EINVAL;
		goto out;
	}
	hlen = (size_t)snprintf(head, sizeof(head), "%llu",
				(unsigned long long)gen) + 1;
	n = part_len(buf, len, off, XENSTORE_PAYLOAD_MAX - hlen - 1);
	out = malloc(hlen + n + 1);
	rc = -ENOMEM;
	if (!out)
		goto out;
	memcpy(out, head, hlen);
	memcpy(out + hlen, buf + off, n);
	/* xenstore.txt: an empty string marks the end of the list. */
	if (off + n == len)
		out[hlen + n++] = '\0';
	rc = xs_reply(x->conn, req, out, hlen + n);
out:
	free(out);
	free(buf);
	return rc;
}

static const char *special_perms_name(const char *path)
{
	if (!strcmp(path, "@introduceDomain") || !strcmp(path,
							  "@releaseDomain"))
		return path;
	return NULL;
}

static struct xs_perms *special_perms(struct xs_store *st, const char *path)
{
	if (!special_perms_name(path))
		return NULL;
	return &st->special_perms[strcmp(path, "@introduceDomain") ? 1 : 0];
}

static int reply_perms(struct xs_ctx *x, struct xs_req *req,
		       const struct xs_perms *perms)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	int n = xs_perms_format(perms, buf, sizeof(buf));

	return n < 0 ? n : xs_reply(x->conn, req, buf, (size_t)n);
}

static int do_get_perms(struct xs_ctx *x, struct xs_req *req,
			const char *path)
{
	struct xs_view v;
	int rc;

	if (xs_path_is_special(path)) {
		struct xs_perms *sp = special_perms(x->st, path);

		if (!sp)
			return -ENOENT;
		return reply_perms(x, req, sp);
	}
	rc = xs_store_read(x, path, XS_PERM_READ, &v);
	return rc ? rc : reply_perms(x, req, v.perms);
}

static int set_special_perms(struct xs_ctx *x, const char *path,
			     const struct xs_perms *perms)
{
	struct xs_perms *sp = special_perms(x->st, path);
	struct xs_perms copy;
	int rc;

	if (!sp)
		return -ENOENT;
	if (!x->privileged)
		return -EACCES;
	rc = xs_perms_copy(perms, &copy);
	if (rc)
		return rc;
	xs_perms_free(sp);
	*sp = copy;
	xs_persist_special(x->st, (unsigned int)(sp - x->st->special_perms));
	return 0;
}

static int do_set_perms(struct xs_ctx *x, struct xs_req *req,
			const char *path)
{
	const char *start = req->arg[1];
	size_t len = req->hdr.len - (size_t)(start - req->body);
	unsigned int max = x->privileged ? 64 : x->st->quota[XS_Q_PERMS];
	struct xs_perms perms = { 0, NULL };
	int rc = xs_perms_parse(start, len, max, &perms);

	if (rc == -ENOSPC)
		xs_log_client("domain %u: quota 'perms' exceeded (more than %u "
			      "entries) on %.64s", x->domid, max, path);
	if (rc)
		return rc;
	if (xs_path_is_special(path))
		rc = set_special_perms(x, path, &perms);
	else
		rc = xs_store_set_perms(x, path, &perms);
	xs_perms_free(&perms);
	return rc ? rc : xs_reply_str(x->conn, req, "OK");
}

static int do_write(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	size_t off = strlen(req->arg[0]) + 1;
	const char *value = req->body + off;
	unsigned int vlen = req->hdr.len - (unsigned int)off;
	int rc = xs_store_write(x, path, value, vlen, false);

	return rc ? rc : xs_reply_str(x->conn, req, "OK");
}

static int do_mkdir(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	int rc = xs_store_write(x, path, "", 0, true);

	return rc ? rc : xs_reply_str(x->conn, req, "OK");
}

static int do_rm(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	int rc = xs_store_rm(x, path);

	return rc ? rc : xs_reply_str(x->conn, req, "OK");
}

static int do_watch(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	unsigned long depth = 0;
	const struct xs_watch *w;
	int rc;

	if (req->nargs > 2 && req->arg[2][0] &&
	    xs_parse_uint(req->arg[2], 0xffff, &depth))
		return -EINVAL;
	rc = xs_watch_add(x->st, x->conn, path, req->arg[1],
			  req->arg[0][0] != '/' && req->arg[0][0] != '@',
			  (unsigned int)depth);
	if (rc)
		return rc;
	rc = xs_reply_str(x->conn, req, "OK");
	/* watch.c do_watch in xenstored: "We fire once up front". */
	w = x->conn->watches;
	if (!rc)
		rc = xs_watch_event(x->conn, w, w->path);
	return rc;
}

static int do_unwatch(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	int rc = xs_watch_del(x->st, x->conn, path, req->arg[1]);

	return rc ? rc : xs_reply_str(x->conn, req, "OK");
}

static int do_tx_start(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	char buf[16];
	uint32_t id;
	int rc;

	if (req->hdr.tx_id != 0)
		return -EBUSY;	/* transactions do not nest */
	rc = xs_tx_start(x->st, x->conn, &id);
	if (rc)
		return rc;
	snprintf(buf, sizeof(buf), "%u", id);
	return xs_reply_str(x->conn, req, buf);
}

static int do_tx_end(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	bool commit;
	int rc;

	if (!x->tx)
		return -ENOENT;
	if (!strcmp(req->arg[0], "T"))
		commit = true;
	else if (!strcmp(req->arg[0], "F"))
		commit = false;
	else
		return -EINVAL;
	rc = xs_tx_end(x->st, x->tx, commit);
	x->tx = NULL;
	return rc ? rc : xs_reply_str(x->conn, req, "OK");
}

static int do_reset_watches(struct xs_ctx *x, struct xs_req *req,
			    const char *path)
{
	xs_watch_free_all(x->st, x->conn);
	xs_tx_free_all(x->st, x->conn);
	x->tx = NULL;
	return xs_reply_str(x->conn, req, "OK");
}

static int do_invalid(struct xs_ctx *x, struct xs_req *req, const char *path)
{
	return -EINVAL;
}

#define DOMAIN_OP(fn) \
	static int do_##fn(struct xs_ctx *x, struct xs_req *req, \
			   const char *path) { return xs_req_##fn(x, req); }
DOMAIN_OP(introduce)
DOMAIN_OP(release)
DOMAIN_OP(is_introduced)
DOMAIN_OP(domain_path)
DOMAIN_OP(resume)
DOMAIN_OP(set_target)
DOMAIN_OP(control)

static const struct handler handlers[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { do_control, 1, false, false, false },
	[XS_DIRECTORY] = { do_directory, 1, true, false, true },
	[XS_READ] = { do_read, 1, true, false, true },
	[XS_GET_PERMS] = { do_get_perms, 1, true, true, true },
	[XS_WATCH] = { do_watch, 2, true, true, false },
	[XS_UNWATCH] = { do_unwatch, 2, true, true, false },
	[XS_TRANSACTION_START] = { do_tx_start, 0, false, false, false },
	[XS_TRANSACTION_END] = { do_tx_end, 1, false, false, true },
	[XS_INTRODUCE] = { do_introduce, 3, false, false, false },
	[XS_RELEASE] = { do_release, 1, false, false, false },
	[XS_GET_DOMAIN_PATH] = { do_domain_path, 1, false, false, false },
	[XS_WRITE] = { do_write, 1, true, false, true },
	[XS_MKDIR] = { do_mkdir, 1, true, false, true },
	[XS_RM] = { do_rm, 1, true, false, true },
	[XS_SET_PERMS] = { do_set_perms, 2, true, true, true },
	[XS_WATCH_EVENT] = { do_invalid, 0, false, false, false },
	[XS_ERROR] = { do_invalid, 0, false, false, false },
	[XS_IS_DOMAIN_INTRODUCED] = { do_is_introduced, 1, false, false,
				      false },
	[XS_RESUME] = { do_resume, 1, false, false, false },
	[XS_SET_TARGET] = { do_set_target, 2, false, false, false },
	[XS_SET_TARGET + 1] = { do_invalid, 0, false, false, false },
	[XS_RESET_WATCHES] = { do_reset_watches, 0, false, false, false },
	[XS_DIRECTORY_PART] = { do_directory_part, 2, true, false, true },
};

static int decode(struct xs_ctx *x, struct xs_req *req,
		  const struct handler *h, char *path, size_t size)
{
	int rc = xs_wire_split(req, h->min_args);

	if (rc)
		return rc;
	if (h->has_path) {
		rc = xs_path_canonical(req->arg[0], x->domid, h->allow_special,
				       path, size);
		if (rc)
			return rc;
	}
	if (h->in_tx && req->hdr.tx_id) {
		x->tx = xs_tx_find(x->conn, req->hdr.tx_id);
		if (!x->tx)
			return -ENOENT;
	}
	return 0;
}

int xs_request_handle(struct xs_store *st, struct xs_conn *c,
		      struct xs_req *req)
{
	char path[XENSTORE_ABS_PATH_MAX + 32];
	struct xs_tx implicit = { 0 };
	struct xs_domain *d = xs_domain_find(st, c->domid);
	struct xs_ctx x = { st, c, NULL, c->domid,
			    d ? d->target : XS_DOMID_INVALID, c->privileged };
	const struct handler *h = NULL;
	int rc;

	implicit.conn = c;
	if (req->hdr.type < XS_TYPE_COUNT)
		h = &handlers[req->hdr.type];
	if (!h || !h->fn) {
		rc = -EINVAL;
		goto out;
	}
	rc = decode(&x, req, h, path, sizeof(path));
	if (rc)
		goto out;
	if (h->in_tx && !x.tx && req->hdr.type != XS_TRANSACTION_END)
		x.tx = &implicit;
	rc = h->fn(&x, req, path);
out:
	xs_access_log(st, c, req, rc);
	xs_tx_free(st, &implicit);
	if (rc)
		xs_reply_error(c, req, rc);
	return c->dead ? -ECONNRESET : 0;
}

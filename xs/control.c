/*
 * control.c: XS_CONTROL commands (dom0 only).
 *
 * "log on|off" switches the access log, "memreport" and "quota" report
 * memory and per-domain quota use ("quota set NAME N" changes one), "print" dumps the tree (truncated to one
 * message), "help" lists the commands.  Replies are text, NUL-terminated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

#define REPLY_MAX (XENSTORE_PAYLOAD_MAX - 1)

struct dump {
	char *buf;
	size_t off, size;
	bool truncated;
};

static int dump_node(struct xs_node *node, void *arg)
{
	char path[XENSTORE_ABS_PATH_MAX + 1], perms[256];
	struct dump *d = arg;
	unsigned int i;
	int n, plen;

	if (xs_node_path(node, path, sizeof(path)))
		return 0;
	plen = xs_perms_format(&node->perms, perms, sizeof(perms));
	for (i = 0; plen > 0 && i + 1 < (unsigned int)plen; i++)
		if (perms[i] == '\0')
			perms[i] = ',';
	n = snprintf(d->buf + d->off, d->size - d->off, "%s = \"%.*s\" (%s)\n",
		     path, node->vlen > 64 ? 64 : (int)node->vlen,
		     node->value ? node->value : "", plen > 0 ? perms : "?");
	if (n < 0 || (size_t)n >= d->size - d->off) {
		d->truncated = true;
		return 1;
	}
	d->off += (size_t)n;
	return 0;
}

static int cmd_print(struct xs_ctx *x, struct xs_req *req)
{
	char buf[REPLY_MAX];
	struct dump d = { buf, 0, sizeof(buf) - 16, false };

	buf[0] = '\0';
	xs_tree_walk(x->st, dump_node, &d);
	if (d.truncated)
		snprintf(buf + d.off, sizeof(buf) - d.off, "...truncated\n");
	return xs_reply_str(x->conn, req, buf);
}

/* "quota set NAME N" changes a quota at run time, as in C xenstored. */
static int quota_set(struct xs_ctx *x, struct xs_req *req)
{
	char buf[64];

	if (req->nargs < 4 ||
	    snprintf(buf, sizeof(buf), "%s=%s", req->arg[2], req->arg[3]) >=
	    (int)sizeof(buf))
		return -EINVAL;
	if (xs_quota_set(x->st->quota, buf))
		return -EINVAL;
	xs_log("quota %s set by CONTROL", buf);
	return xs_reply_str(x->conn, req, "OK");
}

static int cmd_quota(struct xs_ctx *x, struct xs_req *req)
{
	char buf[REPLY_MAX];
	int n;

	if (req->nargs >= 2 && !strcmp(req->arg[1], "set"))
		return quota_set(x, req);
	n = xs_quota_report(x->st, buf, sizeof(buf));

	if (n < 0)
		snprintf(buf + sizeof(buf) - 16, 16, "\n...truncated");
	return xs_reply_str(x->conn, req, buf);
}

static int cmd_memreport(struct xs_ctx *x, struct xs_req *req)
{
	char buf[REPLY_MAX];
	const struct xs_conn *c;
	size_t outq = 0, off;
	unsigned int nconns = 0;
	int n;

	for (c = x->st->conns; c; c = c->next) {
		nconns++;
		outq += c->out_bytes;
	}
	off = (size_t)snprintf(buf, sizeof(buf), "nodes %u\nconnections %u\n"
			       "queued output bytes %zu\n", x->st->nnodes,
			       nconns, outq);
	n = xs_quota_report(x->st, buf + off, sizeof(buf) - off);
	if (n < 0)
		snprintf(buf + sizeof(buf) - 16, 16, "\n...truncated");
	return xs_reply_str(x->conn, req, buf);
}

static int cmd_log(struct xs_ctx *x, struct xs_req *req)
{
	if (req->nargs < 2)
		return -EINVAL;
	if (!strcmp(req->arg[1], "on")) {
		if (!x->st->access_log)
			return -ENOENT;	/* start with --access-log FILE */
		x->st->access_log_on = true;
	} else if (!strcmp(req->arg[1], "off")) {
		x->st->access_log_on = false;
	} else {
		return -EINVAL;
	}
	return xs_reply_str(x->conn, req, "OK");
}

static int cmd_help(struct xs_ctx *x, struct xs_req *req)
{
	return xs_reply_str(x->conn, req,
			    "Supported commands:\n"
			    "  help              this list\n"
			    "  log on|off        switch the access log\n"
			    "  memreport         memory and connection use\n"
			    "  quota             quotas and per-domain use\n"
			    "  quota set NAME N  change a quota (--quota names)\n"
			    "  print             dump the tree (truncated)\n");
}

static const struct {
	const char *name;
	int (*fn)(struct xs_ctx *x, struct xs_req *req);
} commands[] = {
	{ "help", cmd_help },
	{ "log", cmd_log },
	{ "memreport", cmd_memreport },
	{ "quota", cmd_quota },
	{ "print", cmd_print },
};

int xs_req_control(struct xs_ctx *x, struct xs_req *req)
{
	unsigned int i;

	if (!x->privileged)
		return -EACCES;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(req->arg[0], commands[i].name))
			return commands[i].fn(x, req);
	return -EINVAL;
}

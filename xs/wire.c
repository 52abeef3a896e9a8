/*
 * wire.c: xs_wire message framing.
 *
 * A message is struct xsd_sockmsg followed by len bytes of NUL-separated
 * strings (xen/io/xs_wire.h).  The header is checked before any body byte is
 * read or allocated: len above XENSTORE_PAYLOAD_MAX is a protocol violation
 * that closes the connection.  The body is split in a private copy that
 * always has a NUL appended, so no handler can run off its end; a string
 * argument without its own terminating NUL is EINVAL.  Errors are sent as
 * the errno name (xsd_errors[]).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs-priv.h"

static const char *const type_names[XS_TYPE_COUNT] = {
	[XS_CONTROL] = "CONTROL",
	[XS_DIRECTORY] = "DIRECTORY",
	[XS_READ] = "READ",
	[XS_GET_PERMS] = "GET_PERMS",
	[XS_WATCH] = "WATCH",
	[XS_UNWATCH] = "UNWATCH",
	[XS_TRANSACTION_START] = "TRANSACTION_START",
	[XS_TRANSACTION_END] = "TRANSACTION_END",
	[XS_INTRODUCE] = "INTRODUCE",
	[XS_RELEASE] = "RELEASE",
	[XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
	[XS_WRITE] = "WRITE",
	[XS_MKDIR] = "MKDIR",
	[XS_RM] = "RM",
	[XS_SET_PERMS] = "SET_PERMS",
	[XS_WATCH_EVENT] = "WATCH_EVENT",
	[XS_ERROR] = "ERROR",
	[XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
	[XS_RESUME] = "RESUME",
	[XS_SET_TARGET] = "SET_TARGET",
	[XS_RESET_WATCHES] = "RESET_WATCHES",
	[XS_DIRECTORY_PART] = "DIRECTORY_PART",
};

const char *xs_type_name(uint32_t type)
{
	if (type < XS_TYPE_COUNT && type_names[type])
		return type_names[type];
	return "INVALID";
}

const char *xs_errno_name(int err)
{
	unsigned int i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EINVAL";
}

int xs_wire_check_header(const struct xsd_sockmsg *hdr)
{
	if (hdr->len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	return 0;
}

int xs_wire_split(struct xs_req *req, unsigned int want_min)
{
	size_t off = 0, len = req->hdr.len;

	req->nargs = 0;
	while (off < len && req->nargs < XS_MAX_ARGS) {
		const char *s = req->body + off;
		size_t n = strnlen(s, len - off);

		if (n == len - off)
			break;	/* no NUL: not a complete string */
		req->arg[req->nargs++] = s;
		off += n + 1;
	}
	if (req->nargs < want_min)
		return -EINVAL;
	return 0;
}

int xs_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

int xs_reply(struct xs_conn *c, const struct xs_req *req, const void *data,
	     size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return xs_reply_error(c, req, -E2BIG);
	return xs_conn_queue(c, req->hdr.type, req->hdr.req_id,
			     req->hdr.tx_id, data, len, NULL, 0, true);
}

int xs_reply_str(struct xs_conn *c, const struct xs_req *req, const char *s)
{
	return xs_reply(c, req, s, strlen(s) + 1);
}

int xs_reply_error(struct xs_conn *c, const struct xs_req *req, int err)
{
	const char *name = xs_errno_name(err);

	return xs_conn_queue(c, XS_ERROR, req->hdr.req_id, req->hdr.tx_id,
			     name, strlen(name) + 1, NULL, 0, true);
}

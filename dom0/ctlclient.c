/*
 * ctlclient.c: pvctl's side of the control protocol (public/pvh_ctl.h):
 * connect to <rundir>/pvhv.sock, send one request, read one reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvctl.h"
#include "sv.h"

static int connect_pvhv(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", pvctl_rundir(), PVH_CTL_SOCKET);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			snprintf(err, errlen, "pvhv is not running in %s (start the host with: pvctl host start)",
				 pvctl_rundir());
		else if (e == EACCES)
			snprintf(err, errlen, "permission denied on %s: pvctl must run as root", sa.sun_path);
		else
			snprintf(err, errlen, "cannot connect to %s: %s", sa.sun_path, strerror(e));
		return -e;
	}
	return fd;
}

int pvctl_call_quiet(uint32_t type, const void *req, size_t req_len, int fd,
		     void *body_out, size_t body_size, size_t *len_out,
		     char *err, size_t errlen)
{
	static uint8_t buf[PVH_CTL_MSG_MAX];
	struct pvh_ctl_req hdr = { .magic = PVH_CTL_MAGIC, .type = type, .len = (uint32_t)req_len };
	struct pvh_ctl_rsp rsp;
	ssize_t n;
	int sock, rc = 0;

	sock = connect_pvhv(err, errlen);
	if (sock < 0)
		return sock;
	memcpy(buf, &hdr, sizeof(hdr));
	if (req_len)
		memcpy(buf + sizeof(hdr), req, req_len);
	n = sv_send_msg(sock, buf, sizeof(hdr) + req_len, fd);
	if (n >= 0)
		n = sv_recv_msg(sock, buf, sizeof(buf), NULL);
	close(sock);
	if (n < (ssize_t)sizeof(rsp)) {
		snprintf(err, errlen, "pvhv closed the connection without answering (see %s/pvhv.log)",
			 pvctl_rundir());
		return -EPROTO;
	}
	memcpy(&rsp, buf, sizeof(rsp));
	if (rsp.magic != PVH_CTL_MAGIC || rsp.len != (size_t)n - sizeof(rsp))
		return -EPROTO;
	if (rsp.status < 0) {
		buf[n < (ssize_t)sizeof(buf) ? n : (ssize_t)sizeof(buf) - 1] = '\0';
		snprintf(err, errlen, "%s", rsp.len ? (char *)buf + sizeof(rsp) : strerror(-rsp.status));
		return rsp.status;
	}
	if (len_out)
		*len_out = rsp.len < body_size ? rsp.len : body_size;
	if (body_out && rsp.len)
		memcpy(body_out, buf + sizeof(rsp), rsp.len < body_size ? rsp.len : body_size);
	return rc;
}

int pvctl_call(uint32_t type, const void *req, size_t req_len, int fd,
	       void *body_out, size_t body_size, size_t *len_out)
{
	char err[600] = "";
	int rc;

	rc = pvctl_call_quiet(type, req, req_len, fd, body_out, body_size, len_out, err, sizeof(err));
	if (rc < 0)
		pvctl_err("%s", err[0] ? err : strerror(-rc));
	return rc;
}

int pvctl_dominfo(const char *dom, struct pvh_ctl_dominfo *out, bool quiet)
{
	struct pvh_ctl_dom sel;
	char err[600] = "";
	size_t len = 0;
	int rc;

	if (sv_strlcpy(sel.dom, dom, sizeof(sel.dom)) >= sizeof(sel.dom)) {
		if (!quiet)
			pvctl_err("'%s' is too long for a domain name", dom);
		return -ENAMETOOLONG;
	}
	rc = pvctl_call_quiet(PVH_CTL_DOMINFO, &sel, sizeof(sel), -1, out, sizeof(*out), &len,
			      err, sizeof(err));
	if (rc == 0 && len != sizeof(*out))
		rc = -EPROTO;
	if (rc < 0 && !quiet)
		pvctl_err("%s", err[0] ? err : strerror(-rc));
	return rc;
}

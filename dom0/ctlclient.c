/*
 * ctlclient.c: pvctl's requests to pvhv, one connection per request,
 * through common/hvclient.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hvclient.h"
#include "pvctl.h"
#include "sv.h"

int pvctl_call_quiet(uint32_t type, const void *req, size_t req_len, int fd,
		     void *body_out, size_t body_size, size_t *len_out,
		     char *err, size_t errlen)
{
	int sock = hvc_open(pvctl_rundir(), err, errlen);
	int rc;

	if (sock < 0)
		return sock;
	rc = hvc_call(sock, type, req, req_len, fd, body_out, body_size, len_out, NULL,
		      err, errlen);
	close(sock);
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

/*
 * pvctl.h: shared pieces of the pvctl commands. Each command lives in its
 * own pvctl-<cmd>.c and is listed in pvctl.c's command table.
 */
#ifndef PVCTL_H
#define PVCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/pvh_ctl.h"

/* Global options, parsed before the command name. */
struct pvctl_opts {
	const char *rundir;
};
extern struct pvctl_opts pvctl_opts;

struct pvctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

/* Prints "pvctl: " + message to stderr. */
void pvctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the command's usage line and returns 2. */
int pvctl_usage(const char *cmd);
/* True if argv has --help or -h; prints usage. */
bool pvctl_wants_help(int argc, char **argv, const char *cmd);

/* paths.c: where our programs, kernels and schema are. */
const char *pvctl_rundir(void);
int pvctl_find_daemon(const char *name, char *out, size_t size);
int pvctl_find_kernel(const char *name, char *out, size_t size);
int pvctl_find_schema(char *out, size_t size);

/*
 * ctlclient.c: one request to pvhv and its reply. body_out receives up to
 * body_size bytes; *len_out the body length. On error the message pvhv
 * sent is printed and the -errno returned. When pvhv is not running, says
 * so and how to start it.
 */
int pvctl_call(uint32_t type, const void *req, size_t req_len, int fd,
	       void *body_out, size_t body_size, size_t *len_out);
int pvctl_call_quiet(uint32_t type, const void *req, size_t req_len, int fd,
		     void *body_out, size_t body_size, size_t *len_out,
		     char *err, size_t errlen);
/* Looks a domain up by name or id. Returns 0, -ENOENT, or another -errno. */
int pvctl_dominfo(const char *dom, struct pvh_ctl_dominfo *out, bool quiet);

/* xslayout.c: the domain's XenStore tree, introduce and release. */
struct pvctl_xs_domain {
	uint32_t domid;
	const char *name;
	const uint8_t *uuid;
	uint64_t mem_kib;
	uint32_t store_port;
	uint32_t console_port;
};
struct xs_handle;
struct xs_handle *pvctl_xs_open(char *err, size_t errlen);
int pvctl_xs_introduce(const struct pvctl_xs_domain *x, char *err, size_t errlen);
void pvctl_xs_release(uint32_t domid);

/* Formatting shared by list and dominfo. */
const char *pvctl_state_name(uint32_t state);
const char *pvctl_reason_name(int reason);
void pvctl_uuid_str(const uint8_t uuid[16], char out[37]);
void pvctl_json_str(const char *s);

/* The commands. */
int pvctl_cmd_host(int argc, char **argv);
int pvctl_cmd_create(int argc, char **argv);
int pvctl_cmd_validate(int argc, char **argv);
int pvctl_cmd_list(int argc, char **argv);
int pvctl_cmd_dominfo(int argc, char **argv);
int pvctl_cmd_info(int argc, char **argv);
int pvctl_cmd_destroy(int argc, char **argv);
int pvctl_cmd_pause(int argc, char **argv);
int pvctl_cmd_unpause(int argc, char **argv);
int pvctl_cmd_console(int argc, char **argv);
int pvctl_cmd_shutdown(int argc, char **argv);
int pvctl_cmd_reboot(int argc, char **argv);

#endif /* PVCTL_H */

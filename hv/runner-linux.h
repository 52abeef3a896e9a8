/*
 * runner-linux.h: the Linux guests' runner (runner-linux.c) and its
 * seccomp profile (linux-profile.c).
 */
#ifndef RUNNER_LINUX_H
#define RUNNER_LINUX_H

#include <seccomp.h>

/* Adds the Linux guest's allow-list to ctx; returns 0 or a libseccomp error. */
int linux_profile_add_rules(scmp_filter_ctx ctx);

#endif /* RUNNER_LINUX_H */

/*
 * pvos/errno.h: the error numbers pvos uses. pvh_trap.h: hypercalls return
 * negative Linux errno values, which equal Xen's for these codes.
 */
#ifndef PVOS_ERRNO_H
#define PVOS_ERRNO_H

#define EPERM		1
#define ENOENT		2
#define ESRCH		3
#define EINTR		4
#define EIO		5
#define E2BIG		7
#define EAGAIN		11
#define ENOMEM		12
#define EACCES		13
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define ENODEV		19
#define EINVAL		22
#define ENOSPC		28
#define ENOSYS		38
#define ETIMEDOUT	110

#endif /* PVOS_ERRNO_H */

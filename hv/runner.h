/*
 * runner.h: what pvhv and pvhv-runner agree on beyond public/pvh_trap.h:
 * where the memory and root descriptors sit at exec, and the exit status of a
 * runner whose set-up failed (its message is on pvhv's stderr).
 */
#ifndef RUNNER_H
#define RUNNER_H

#define RUNNER_FD_MEM		5
#define RUNNER_FD_ROOT		6	/* the directory to chroot into */
#define RUNNER_FD_KERNEL	7	/* Linux guests: the image the runner execs */
#define RUNNER_EXIT_SETUP	71
#define RUNNER_EXIT_IOREQ	72	/* the device model failed an ioreq */

#endif /* RUNNER_H */

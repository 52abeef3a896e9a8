/*
 * pvos/xen.h: Xen's public interface, as pvos sees it.
 *
 * Xen's headers expect the C99 integer types to be declared first; pvos is
 * freestanding, so they come from the compiler's own <stdint.h>. The build
 * defines __XEN_TOOLS__ so the current interface version is selected.
 */
#ifndef PVOS_XEN_H
#define PVOS_XEN_H

#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/memory.h>
#include <xen/vcpu.h>

#endif /* PVOS_XEN_H */

/*
 * pio.h: x86 port I/O, as the real instructions.
 *
 * pvos has no I/O privilege (it is a user-mode process), so every one of
 * these faults; the vCPU runner decodes the instruction, has the domain's
 * device model serve it (pvh_ioreq.h), writes the result back and resumes
 * after it. A domain without a device model reads all ones and drops
 * writes. Nothing here knows that: the same code would drive real ports.
 *
 * Argument order is value first, port second, as in Linux and the BSDs.
 * The single accesses use the "Nd" constraint: a port the compiler knows
 * to be below 256 is encoded as an immediate (in al, imm8), any other goes
 * through %dx. The string forms (rep ins/outs) exist only with %dx; they
 * move count items between the port and memory at addr, forwards (the ABI
 * keeps the direction flag clear).
 */
#ifndef PVOS_ARCH_PIO_H
#define PVOS_ARCH_PIO_H

#include <stddef.h>
#include <stdint.h>

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %w1, %b0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ __volatile__("inw %w1, %w0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %w1, %k0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outb(uint8_t v, uint16_t port)
{
	__asm__ __volatile__("outb %b0, %w1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t v, uint16_t port)
{
	__asm__ __volatile__("outw %w0, %w1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint32_t v, uint16_t port)
{
	__asm__ __volatile__("outl %k0, %w1" : : "a"(v), "Nd"(port) : "memory");
}

/* rep insX: count items from port into addr. */
static inline void insb(uint16_t port, void *addr, size_t count)
{
	__asm__ __volatile__("rep insb" : "+D"(addr), "+c"(count)
			     : "d"(port) : "memory");
}

static inline void insw(uint16_t port, void *addr, size_t count)
{
	__asm__ __volatile__("rep insw" : "+D"(addr), "+c"(count)
			     : "d"(port) : "memory");
}

static inline void insl(uint16_t port, void *addr, size_t count)
{
	__asm__ __volatile__("rep insl" : "+D"(addr), "+c"(count)
			     : "d"(port) : "memory");
}

/* rep outsX: count items from addr to port. */
static inline void outsb(uint16_t port, const void *addr, size_t count)
{
	__asm__ __volatile__("rep outsb" : "+S"(addr), "+c"(count)
			     : "d"(port) : "memory");
}

static inline void outsw(uint16_t port, const void *addr, size_t count)
{
	__asm__ __volatile__("rep outsw" : "+S"(addr), "+c"(count)
			     : "d"(port) : "memory");
}

static inline void outsl(uint16_t port, const void *addr, size_t count)
{
	__asm__ __volatile__("rep outsl" : "+S"(addr), "+c"(count)
			     : "d"(port) : "memory");
}

#endif /* PVOS_ARCH_PIO_H */

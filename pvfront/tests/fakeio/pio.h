/*
 * fakeio/pio.h: the host tests' stand-in for arch/x86_64/pio.h. The same
 * names, served by the fake IDE controller in ata_test.c instead of
 * trapping instructions, so legacy/ata.c builds unchanged for the host.
 */
#ifndef PVOS_TESTS_FAKE_PIO_H
#define PVOS_TESTS_FAKE_PIO_H

#include <stddef.h>
#include <stdint.h>

uint8_t inb(uint16_t port);
uint16_t inw(uint16_t port);
uint32_t inl(uint16_t port);
void outb(uint8_t v, uint16_t port);
void outw(uint16_t v, uint16_t port);
void outl(uint32_t v, uint16_t port);
void insb(uint16_t port, void *addr, size_t count);
void insw(uint16_t port, void *addr, size_t count);
void insl(uint16_t port, void *addr, size_t count);
void outsb(uint16_t port, const void *addr, size_t count);
void outsw(uint16_t port, const void *addr, size_t count);
void outsl(uint16_t port, const void *addr, size_t count);

#endif /* PVOS_TESTS_FAKE_PIO_H */

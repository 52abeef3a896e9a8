/*
 * pio-decode.h: decoding the x86-64 port I/O instructions a guest traps on.
 *
 * The forms: in/out with an 8-bit immediate port (E4-E7) or the port in
 * %dx (EC-EF), and the string forms ins/outs (6C-6F), each in byte, word
 * (0x66 prefix) and dword sizes. Prefixes: operand size (66), address size
 * (67: the string forms use %ecx/%esi/%edi), rep (F3; F2 acts the same on
 * these opcodes), lock (F0: #UD on a real CPU, so refused), segment
 * overrides (2E 36 3E 26 have base 0 in 64-bit mode; 64/65 name fs/gs,
 * whose bases belong to the runner, so an outs through them is refused),
 * and REX prefixes (40-4F). A REX counts only right before the opcode (a
 * CPU ignores one that a legacy prefix follows); there its W bit overrides
 * 0x66, and since these opcodes have no 64-bit form the size is then 32
 * bits (66 48 ed is in (%dx),%eax, as hardware executes it). At most 15
 * bytes, as on a CPU.
 *
 * Pure: no system calls, no globals, so the runner's trap handler and the
 * unit tests run the same code.
 */
#ifndef PIO_DECODE_H
#define PIO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIO_INSN_MAX	15

enum pio_decode_err {
	PIO_OK = 0,
	PIO_NOT_IO = -1,	/* some other instruction: a real fault */
	PIO_TRUNCATED = -2,	/* ran out of bytes before the opcode ended */
	PIO_BAD_FORM = -3,	/* an I/O opcode in a form we refuse (lock, fs/gs) */
};

struct pio_insn {
	uint8_t len;		/* instruction bytes, prefixes included */
	uint8_t size;		/* 1, 2 or 4 */
	bool in;		/* in/ins (device to guest) or out/outs */
	bool string;		/* ins/outs */
	bool rep;		/* F3/F2 on a string form */
	bool port_imm;		/* port is imm8, else %dx */
	uint8_t imm;		/* the port when port_imm */
	uint8_t addr_size;	/* 8, or 4 with a 0x67 prefix */
};

/* Decodes the instruction in code[0..avail); returns PIO_OK or an error. */
int pio_decode(const uint8_t *code, size_t avail, struct pio_insn *out);

const char *pio_decode_strerror(int err);

#endif /* PIO_DECODE_H */

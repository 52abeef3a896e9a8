/*
 * pio-decode.c: the port I/O instruction decoder (see pio-decode.h).
 */
#include "pio-decode.h"

int pio_decode(const uint8_t *code, size_t avail, struct pio_insn *out)
{
	struct pio_insn in = { .size = 4, .addr_size = 8 };
	bool opsize16 = false, lock = false, fsgs = false;
	size_t i = 0;
	uint8_t op;

	if (avail > PIO_INSN_MAX)
		avail = PIO_INSN_MAX;
	for (;; i++) {
		if (i >= avail)
			return PIO_TRUNCATED;
		switch (code[i]) {
		case 0x66: opsize16 = true; continue;
		case 0x67: in.addr_size = 4; continue;
		case 0xf2: case 0xf3: in.rep = true; continue;
		case 0xf0: lock = true; continue;
		case 0x2e: case 0x36: case 0x3e: case 0x26: continue;
		case 0x64: case 0x65: fsgs = true; continue;
		default: break;
		}
		/* REX (40-4F): skipped here; only the one right before the
		 * opcode counts (below). */
		if ((code[i] & 0xf0) == 0x40)
			continue;
		break;
	}
	/*
	 * A REX counts only when it immediately precedes the opcode (SDM
	 * vol. 2 2.2.1: other placements are ignored, so of several the last
	 * one wins). Its W bit takes precedence over 0x66 (SDM vol. 1 3.6.1);
	 * in/out/ins/outs have no 64-bit form, so the operand size is then
	 * the default 32 bits: 66 48 ed is in (%dx),%eax.
	 */
	if (i > 0 && (code[i - 1] & 0xf8) == 0x48)
		opsize16 = false;
	op = code[i++];
	switch (op) {
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		if (i >= avail)
			return PIO_TRUNCATED;
		in.port_imm = true;
		in.imm = code[i++];
		in.in = op <= 0xe5;
		in.size = (op & 1) ? (opsize16 ? 2 : 4) : 1;
		break;
	case 0xec: case 0xed: case 0xee: case 0xef:
		in.in = op <= 0xed;
		in.size = (op & 1) ? (opsize16 ? 2 : 4) : 1;
		break;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:
		in.string = true;
		in.in = op <= 0x6d;
		in.size = (op & 1) ? (opsize16 ? 2 : 4) : 1;
		/* outs reads through its segment; ins always writes %es:(%rdi). */
		if (fsgs && !in.in)
			return PIO_BAD_FORM;
		break;
	default:
		return PIO_NOT_IO;
	}
	if (lock)
		return PIO_BAD_FORM;
	if (!in.string)
		in.rep = false;
	in.len = (uint8_t)i;
	*out = in;
	return PIO_OK;
}

const char *pio_decode_strerror(int err)
{
	switch (err) {
	case PIO_OK: return "ok";
	case PIO_NOT_IO: return "not a port I/O instruction";
	case PIO_TRUNCATED: return "instruction truncated";
	case PIO_BAD_FORM: return "port I/O instruction in a refused form";
	default: return "unknown decoder error";
	}
}

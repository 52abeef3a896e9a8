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
		/* REX (40-4F): these opcodes ignore it, and a CPU ignores one
		 * that a legacy prefix follows, so skip it wherever it is. */
		if ((code[i] & 0xf0) == 0x40)
			continue;
		break;
	}
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

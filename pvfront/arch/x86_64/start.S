/*
 * start.S: the pvos entry point (its ELF notes are in elfnote.c).
 *
 * pvh_layout.h: the runner jumps here with %rsi = the guest-virtual address
 * of start_info, %rsp at the top of the boot stack and every other register
 * zero. We clear .bss (a loader that already zeroed it loses nothing), pass
 * start_info to pvos_main() per the SysV ABI, and make sure nothing returns
 * from here: if pvos_main() ever does, the domain is crashed.
 */
	.section .text.entry, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	movq	%rsi, %rbx		/* callee-saved across the clear */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	cld
	rep stosb
	andq	$-16, %rsp		/* SysV: 16-byte aligned at the call */
	xorl	%ebp, %ebp		/* ends frame-pointer backtraces */
	movq	%rbx, %rdi
	call	pvos_main
	call	kernel_entry_returned
1:	ud2
	jmp	1b
	.size	_start, . - _start

	.section .note.GNU-stack, "", @progbits

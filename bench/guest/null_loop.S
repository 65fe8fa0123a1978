/* A guest that makes COUNT null downcalls (DkSemaphorePeek on a live semaphore) and exits.
 * No Dk note: e_entry is LibOsInitialize. */
/* Call numbers: 0xD000 + index (ABI.md section 2). */

        .text
        .globl _start
_start:
        sub     $24, %rsp                  /* [rsp] = handle, [rsp+8] = count out */
        mov     $0xD009, %eax
        mov     $1, %edi
        mov     $1, %esi
        mov     %rsp, %rdx
        syscall
        mov     $COUNT, %r12
        test    %r12, %r12
        jz      2f
1:      mov     $0xD00B, %eax
        mov     (%rsp), %rdi
        lea     8(%rsp), %rsi
        syscall
        dec     %r12
        jnz     1b
2:      mov     $0xD012, %eax
        xor     %edi, %edi
        syscall
        ud2
        .section .note.GNU-stack,"",@progbits

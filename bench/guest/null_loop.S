/* A guest that makes COUNT null downcalls (DkSemaphorePeek on a live semaphore) and exits.
 * No Dk note: e_entry is LibOsInitialize. The loop has the bare hook's shape (bench/
 * downcall_bench.cc): the call number and arguments are set in registers, the handle kept in
 * r13 as compiled code keeps a loop invariant, so the loop body makes no guest memory access
 * of its own and the difference between the two is the downcall. */
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
        mov     (%rsp), %r13
        lea     8(%rsp), %r14
        mov     $COUNT, %r12
        test    %r12, %r12
        jz      2f
1:      mov     $0xD00B, %eax
        mov     %r13, %rdi
        mov     %r14, %rsi
        syscall
        dec     %r12
        jnz     1b
2:      mov     $0xD012, %eax
        xor     %edi, %edi
        syscall
        ud2
        .section .note.GNU-stack,"",@progbits

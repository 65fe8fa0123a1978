/* The emulation benchmarks' guests (bench/emulation_bench.cc), one image per LOOP:
 *   LOOP=1 compute: an FNV-style hash over the loop counter, registers only, no memory
 *          access and no downcall in the loop (one basic block per iteration);
 *   LOOP=2 memory: a walk over a 4 MiB buffer (.bss), one 64-byte cache line further each
 *          iteration, wrapping around: a load and a store per iteration, a new page every
 *          64 iterations;
 *   LOOP=3 hello: one DkStreamWrite of a greeting to the boot info's stdout, then exit.
 * Freestanding: e_entry is LibOsInitialize (rdi = the boot info), no Dk note, no libos, so a
 * bare Unicorn runner that serves DkProcessExit alone (and answers every other call with 0)
 * runs the very same bytes. The iteration count is the 8 bytes after the marker below: the
 * benchmark patches them in the image it runs, so one image serves every count. The loops
 * end in DkProcessExit(low byte of the result), so their work cannot be dropped. */
/* Call numbers: 0xD000 + index (ABI.md section 2). */
#define DK_STREAM_WRITE 0xD017
#define DK_PROCESS_EXIT 0xD012
#define BUFFER_SIZE (4 << 20)

        .data
        .balign 8
        .globl  dk_bench_iterations
dk_bench_iterations:
        .ascii  "DkBenchN"              /* the marker the benchmark looks for */
        .quad   1000                    /* iterations */

        .text
        .globl  _start
_start:
        mov     dk_bench_iterations+8(%rip), %rcx
#if LOOP == 1
        movabs  $0xcbf29ce484222325, %rax   /* FNV-1a offset basis */
        movabs  $0x100000001b3, %rdx        /* FNV prime */
        xor     %esi, %esi
        test    %rcx, %rcx
        jz      2f
1:      xor     %rsi, %rax
        imul    %rdx, %rax
        inc     %rsi
        cmp     %rcx, %rsi
        jne     1b
2:      mov     %eax, %edi
#elif LOOP == 2
        lea     buffer(%rip), %r8
        xor     %eax, %eax              /* running sum */
        xor     %esi, %esi              /* offset in the buffer */
        test    %rcx, %rcx
        jz      2f
1:      add     (%r8,%rsi), %rax
        mov     %rax, (%r8,%rsi)
        add     $64, %rsi
        and     $(BUFFER_SIZE - 8), %rsi
        dec     %rcx
        jnz     1b
2:      mov     %eax, %edi
#elif LOOP == 3
        sub     $24, %rsp
        movq    $(greeting_end - greeting), (%rsp)
        mov     48(%rdi), %rdi          /* dk_boot_info.stdout_h */
        xor     %esi, %esi
        lea     greeting(%rip), %rdx
        mov     %rsp, %r10
        mov     $DK_STREAM_WRITE, %eax
        syscall
        xor     %edi, %edi
#else
#error "LOOP must be 1, 2 or 3"
#endif
        and     $0xff, %edi
        mov     $DK_PROCESS_EXIT, %eax
        syscall
        ud2

#if LOOP == 3
        .section .rodata
greeting:
        .ascii  "hello from a bench guest\n"
greeting_end:
#endif

#if LOOP == 2
        .bss
        .balign 4096
buffer:
        .skip   BUFFER_SIZE
#endif

        .section .note.GNU-stack,"",@progbits

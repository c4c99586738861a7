; cutover's test guest: a 512-byte boot sector that proves memory integrity and progress.
;
; It switches to 32-bit protected mode, then forever walks the pages of conventional memory
; (LOW_START to LOW_END) and from WALK_START to WALK_END, adding one to several bytes of each
; 4 KiB page: every STAMP_STRIDE bytes, STAMPS_PER_PAGE times, then the page's last byte.
; After every full pass it bumps a pass counter in low memory and writes PASS_CHAR to COM1;
; on boot it writes BOOT_CHAR once. The harness time-stamps every serial character
; (progress, downtime, reboots), and after a migration it reads the walked pages back: every
; stamp equals the one before it except for a single step of one where the walk was
; interrupted, so a page copied only in part shows as well as a page not copied.
;
; Build: nasm -f bin -o pagewalk.img pagewalk.asm   (the harness passes the -D values)

%ifndef LOW_START
%define LOW_START  0x00010000   ; 64 KiB: above the counters, the stack and the boot sector
%endif
%ifndef LOW_END
%define LOW_END    0x00090000   ; 576 KiB: below the EBDA and the BIOS
%endif
%ifndef STAMP_STRIDE
%define STAMP_STRIDE 1024
%endif
%ifndef STAMPS_PER_PAGE
%define STAMPS_PER_PAGE 4
%endif
%ifndef WALK_START
%define WALK_START 0x00100000   ; 1 MiB: above the BIOS and the boot sector
%endif
%ifndef WALK_END
%define WALK_END   0x06400000   ; 100 MiB
%endif
%define PAGE_SIZE  4096
%define COM1       0x3f8
%define BOOT_CHAR  'A'
%define PASS_CHAR  'B'
%define COUNTERS   0x1000        ; dword pass counter, then dword boot counter

%include "boot32.inc"

; One page's stamps, at eax, in the order the memory check reads them.
%macro STAMP_PAGE 0
%assign off 0
%rep STAMPS_PER_PAGE
    inc byte [eax + off]
%assign off off + STAMP_STRIDE
%endrep
    inc byte [eax + PAGE_SIZE - 1]
%endmacro

org 0x7c00

boot:
    BOOT32_ENTER

    inc dword [COUNTERS + 4]    ; boots seen by this memory (survives a warm reset)
    mov dx, COM1
    mov al, BOOT_CHAR
    out dx, al

walk:
    mov eax, LOW_START
.low:
    STAMP_PAGE
    add eax, PAGE_SIZE
    cmp eax, LOW_END
    jb .low
    mov eax, WALK_START
.page:
    STAMP_PAGE
    add eax, PAGE_SIZE
    cmp eax, WALK_END
    jb .page

    inc dword [COUNTERS]
    mov dx, COM1
    mov al, PASS_CHAR
    out dx, al
    jmp walk

BOOT32_GDT

times 510 - ($ - $$) db 0
dw 0xaa55

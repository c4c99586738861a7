; cutover's test guest: a 512-byte boot sector that proves memory integrity and progress.
;
; It switches to 32-bit protected mode, then forever walks the pages from WALK_START to
; WALK_END, adding one to the first byte of each 4 KiB page. After every full pass it
; bumps a pass counter in low memory and writes PASS_CHAR to COM1; on boot it writes
; BOOT_CHAR once. The harness time-stamps every serial character (progress, downtime,
; reboots), and after a migration it reads the walked pages back: every page equals its
; neighbour except for a single step of one where the walk was interrupted.
;
; Build: nasm -f bin -o pagewalk.img pagewalk.asm   (the harness passes the -D values)

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

bits 16
org 0x7c00

boot:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00

    ; A20 through the "fast A20" port, so addresses above 1 MiB do not wrap.
    in al, 0x92
    or al, 2
    and al, 0xfe                ; bit 0 would reset the machine
    out 0x92, al

    lgdt [gdt_descriptor]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword 0x08:protected

bits 32
protected:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7c00

    inc dword [COUNTERS + 4]    ; boots seen by this memory (survives a warm reset)
    mov dx, COM1
    mov al, BOOT_CHAR
    out dx, al

walk:
    mov eax, WALK_START
.page:
    inc byte [eax]
    add eax, PAGE_SIZE
    cmp eax, WALK_END
    jb .page

    inc dword [COUNTERS]
    mov dx, COM1
    mov al, PASS_CHAR
    out dx, al
    jmp walk

align 8
gdt:
    dq 0                        ; null descriptor
    dq 0x00cf9a000000ffff       ; 0x08: flat 4 GiB code, 32-bit
    dq 0x00cf92000000ffff       ; 0x10: flat 4 GiB data, 32-bit
gdt_descriptor:
    dw gdt_descriptor - gdt - 1
    dd gdt

times 510 - ($ - $$) db 0
dw 0xaa55

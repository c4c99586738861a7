; cutover's disk-reading test guest: a 512-byte boot sector that proves a disk reads back
; what was written to it, block by block, for as long as it runs.
;
; It switches to 32-bit protected mode, then forever reads every sector of the data disk
; (primary slave, ATA PIO, LBA28) and checks the sector's first dword against the harness's
; pattern: the sector number XOR PATTERN. A sector of zeros writes ZERO_CHAR to COM1, any
; other mismatch BAD_CHAR, a read the disk reports as failed ERROR_CHAR; after each full pass
; it writes PASS_CHAR. A disk that silently hands back zeros is seen at once.
;
; Build: nasm -f bin -o diskwalk.img diskwalk.asm   (the harness passes the -D values)

%ifndef DISK_SECTORS
%define DISK_SECTORS 32768      ; 16 MiB
%endif
%ifndef PATTERN
%define PATTERN    0xa5a5a5a5
%endif
%define COM1       0x3f8
%define ATA        0x1f0         ; primary channel: data port; +2 count, +3..5 LBA, +6 drive, +7 status/command
%define BUFFER     0x8000
%define BOOT_CHAR  'A'
%define PASS_CHAR  'B'
%define ERROR_CHAR 'E'
%define ZERO_CHAR  'Z'
%define BAD_CHAR   'X'
%define COUNTERS   0x1000        ; dword pass counter, then dword boot counter

%include "boot32.inc"

org 0x7c00

boot:
    BOOT32_ENTER
    inc dword [COUNTERS + 4]
    mov al, BOOT_CHAR
    call say

pass:
    xor ebx, ebx                ; ebx: the sector being read
.sector:
    mov dx, ATA + 6
    mov eax, ebx
    shr eax, 24
    or al, 0xf0                 ; LBA, slave
    out dx, al
    mov dx, ATA + 2
    mov al, 1
    out dx, al
    inc dx                      ; +3: LBA bits 0..7
    mov al, bl
    out dx, al
    inc dx                      ; +4: bits 8..15
    mov al, bh
    out dx, al
    inc dx                      ; +5: bits 16..23
    mov eax, ebx
    shr eax, 16
    out dx, al
    mov dx, ATA + 7
    mov al, 0x20                ; READ SECTORS
    out dx, al
.wait:
    in al, dx
    test al, 0x80               ; busy
    jnz .wait
    test al, 0x01               ; the disk says the read failed
    jnz .failed
    test al, 0x08               ; data ready
    jz .wait
    mov dx, ATA
    mov edi, BUFFER
    mov ecx, 256
    rep insw
    mov eax, ebx
    xor eax, PATTERN
    mov edx, [BUFFER]
    cmp edx, eax
    je .next
    mov al, BAD_CHAR
    test edx, edx
    jnz .tell
    mov al, ZERO_CHAR
    jmp .tell
.failed:
    mov al, ERROR_CHAR
.tell:
    call say
.next:
    inc ebx
    cmp ebx, DISK_SECTORS
    jb .sector
    inc dword [COUNTERS]
    mov al, PASS_CHAR
    call say
    jmp pass

say:                            ; al -> COM1
    mov dx, COM1
    out dx, al
    ret

BOOT32_GDT

times 510 - ($ - $$) db 0
dw 0xaa55

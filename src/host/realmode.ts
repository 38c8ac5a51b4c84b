/**
 * The guest of guest_memfd_test.c test_guest_memfd_guest, as 16-bit real-mode machine code: the
 * smallest program a vCPU runs without page tables or descriptor tables. It checks that every
 * byte of [gpa, gpa + size) holds `expect` (else it writes the first wrong byte to `assertPort`
 * and halts: the selftest's __GUEST_ASSERT), then fills the range with `fill` and halts
 * (GUEST_DONE). The range must lie below 64 KiB (SI/DI with DS = ES = 0 after reset).
 */
export function checkAndFill(
  gpa: number,
  size: number,
  expect: number,
  fill: number,
  assertPort: number,
): Buffer {
  const w = (n: number) => [n & 0xff, (n >> 8) & 0xff];
  const size16 = size & 0xffff; // LOOP counts CX down to 0: 0x10000 bytes is CX = 0
  // prettier-ignore
  return Buffer.from([
    0xbe, ...w(gpa),          // 0x00 mov si, gpa
    0xb9, ...w(size16),       // 0x03 mov cx, size
    0x80, 0x3c, expect,       // 0x06 cmp byte [si], expect
    0x75, 0x10,               // 0x09 jne wrong (0x1b)
    0x46,                     // 0x0b inc si
    0xe2, 0xf8,               // 0x0c loop 0x06
    0xbf, ...w(gpa),          // 0x0e mov di, gpa
    0xb9, ...w(size16),       // 0x11 mov cx, size
    0xc6, 0x05, fill,         // 0x14 mov byte [di], fill
    0x47,                     // 0x17 inc di
    0xe2, 0xfa,               // 0x18 loop 0x14
    0xf4,                     // 0x1a hlt: done
    0x8a, 0x04,               // 0x1b wrong: mov al, [si]
    0xe6, assertPort,         // 0x1d out assertPort, al
    0xf4,                     // 0x1f hlt
  ]);
}

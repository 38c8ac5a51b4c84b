import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAndFill } from '../../src/host/realmode.js';

const objdump = spawnSync('objdump', ['--version']).status === 0;

describe('the guest of test_guest_memfd_guest, as real-mode code', () => {
  it('disassembles (objdump, i8086) to the check-then-fill program', (ctx) => {
    if (!objdump) return ctx.skip('objdump (binutils) is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'septcheck-guest-'));
    try {
      writeFileSync(join(dir, 'guest.bin'), checkAndFill(0x1000, 0x1000, 0xaa, 0xff, 0x10));
      const out = spawnSync(
        'objdump',
        ['-D', '-b', 'binary', '-m', 'i8086', join(dir, 'guest.bin')],
        { encoding: 'utf8' },
      ).stdout;
      const code = out
        .split('\n')
        .filter((l) => /^\s+[0-9a-f]+:\t/.test(l))
        .map((l) => l.split('\t').at(-1)!.replace(/\s+/g, ' ').trim());
      expect(code).toEqual([
        'mov $0x1000,%si',
        'mov $0x1000,%cx',
        'cmpb $0xaa,(%si)',
        'jne 0x1b',
        'inc %si',
        'loop 0x6',
        'mov $0x1000,%di',
        'mov $0x1000,%cx',
        'movb $0xff,(%di)',
        'inc %di',
        'loop 0x14',
        'hlt',
        'mov (%si),%al',
        'out %al,$0x10',
        'hlt',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

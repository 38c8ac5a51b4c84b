import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  check,
  libc,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  Session,
  withSession,
} from '../../src/host/index.js';
import { KVM, SIZEOF } from '../../src/host/uapi.js';

/** What this process holds: open descriptors, and ranges mapped from the tests' memfds (not all
 * of /proc/self/maps: V8 maps and unmaps its own heap at any time). */
function held() {
  return {
    fds: readdirSync('/proc/self/fd').length,
    maps: readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .filter((line) => line.includes('/memfd:septcheck-test')).length,
  };
}

/** A memfd of `size` bytes (an ordinary shared-memory file: no KVM needed). */
function memfd(s: Session, size: number): number {
  const fd = s.adopt(check(libc().memfdCreate('septcheck-test', 0)));
  if (!fd.ok) throw new Error(fd.errno);
  expect(libc().ftruncate(fd.value, size)).toBe(0);
  return fd.value;
}

describe('the host session', () => {
  it('loads and stores through a mapping without touching it from JavaScript', () => {
    withSession((s) => {
      const m = s.mmap(8192, PROT_READ | PROT_WRITE, MAP_SHARED, memfd(s, 8192));
      if (!m.ok) throw new Error(m.errno);
      expect(s.store(m.value.addr + 4096, 0xaa, 4096)).toEqual({ ok: true, value: 4096 });
      const r = s.load(m.value.addr + 4096, 4096);
      expect(r.ok && [...new Set(r.value)]).toEqual([0xaa]);
      expect(s.load(m.value.addr)).toEqual({ ok: true, value: Buffer.from([0]) });
    });
  });

  it('a fault that would be SIGBUS (a page past the end of the file) is EFAULT, and no signal is sent', () => {
    withSession((s) => {
      const m = s.mmap(16384, PROT_READ | PROT_WRITE, MAP_SHARED, memfd(s, 4096));
      if (!m.ok) throw new Error(m.errno);
      expect(s.load(m.value.addr + 8192)).toEqual({ ok: false, errno: 'EFAULT' });
      expect(s.store(m.value.addr + 8192, 1)).toEqual({ ok: false, errno: 'EFAULT' });
      // a memset across the end stops at the end: the bytes before it were written
      expect(s.store(m.value.addr, 7, 16384)).toEqual({ ok: true, value: 4096 });
      const back = s.load(m.value.addr, 16384);
      expect(back.ok && back.value.length).toBe(4096);
      // the pipe was drained: the next load reads the file, not a leftover byte
      expect(s.load(m.value.addr + 1)).toEqual({ ok: true, value: Buffer.from([7]) });
    });
  });

  it('gives back every descriptor and mapping when the body throws midway', () => {
    const before = held();
    expect(() =>
      withSession((s) => {
        const fd = memfd(s, 4096);
        s.mmap(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
        s.mmap(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
        expect(s.load(0)).toEqual({ ok: false, errno: 'EFAULT' }); // the pipe exists now too
        expect(held().fds).toBeGreaterThan(before.fds);
        expect(held().maps).toBeGreaterThan(before.maps);
        throw new Error('midway');
      }),
    ).toThrow('midway');
    expect(held()).toEqual(before);
  });

  it('never closes a descriptor it does not own', () => {
    const s = new Session();
    expect(s.close(0)).toEqual({ ok: false, errno: 'EBADF' });
    expect(readdirSync('/proc/self/fd')).toContain('0');
  });
});

describe('KVM ioctl numbers (include/uapi/linux/kvm.h, _IOC encoding)', () => {
  it.each([
    ['KVM_CREATE_VM', KVM.CREATE_VM, 0xae01],
    ['KVM_CHECK_EXTENSION', KVM.CHECK_EXTENSION, 0xae03],
    ['KVM_RUN', KVM.RUN, 0xae80],
    ['KVM_GET_REGS', KVM.GET_REGS, 0x8090ae81],
    ['KVM_SET_SREGS', KVM.SET_SREGS, 0x4138ae84],
    ['KVM_SET_USER_MEMORY_REGION2', KVM.SET_USER_MEMORY_REGION2, 0x40a0ae49],
    ['KVM_CREATE_GUEST_MEMFD', KVM.CREATE_GUEST_MEMFD, 0xc040aed4],
    ['KVM_SET_MEMORY_ATTRIBUTES', KVM.SET_MEMORY_ATTRIBUTES, 0x4020aed2],
  ])('%s is 0x%s', (_, got, want) => expect(got).toBe(want));

  it('structure sizes add up from their fields', () => {
    expect(SIZEOF.kvm_userspace_memory_region2).toBe(4 + 4 + 8 * 4 + 4 + 4 + 14 * 8);
    expect(SIZEOF.kvm_sregs).toBe(8 * 24 + 2 * 16 + 7 * 8 + 4 * 8);
  });
});

describe('layers', () => {
  it('src/host never imports src/kernel (the comparison happens in src/script)', () => {
    const dir = join(import.meta.dirname, '../../src/host');
    const imports = readdirSync(dir).flatMap((f) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(/from '([^']+)'/g)].map(
        (m) => `${f}: ${m[1]}`,
      ),
    );
    expect(imports.filter((i) => /kernel\/|\.\.\//.test(i))).toEqual([]);
    expect(imports.length).toBeGreaterThan(5);
  });
});

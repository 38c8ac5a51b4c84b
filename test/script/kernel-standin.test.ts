/**
 * The kernel runner's own code on a machine without /dev/kvm: a stand-in KVM whose guest_memfd
 * files are memfds (ordinary shared-memory files, real descriptors and mappings) runs every
 * default-VM script. It is not the oracle (memfds answer differently from guest_memfd, and the
 * report says so as mismatches): it shows that every step runs, that an unexpected answer is a
 * mismatch and not a crash, and that nothing is left behind, here too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  check,
  libc,
  MAP_ANONYMOUS,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  type KvmApi,
  type Result,
  type Session,
} from '../../src/host/index.js';
import { parseScript, runOnKernel } from '../../src/script/index.js';

/** Open descriptors, and the mappings the host layer makes (files of KVM, memfds, shared anonymous
 * memory): the JavaScript heap maps and unmaps memory of its own meanwhile. */
const held = () => ({
  fds: readdirSync('/proc/self/fd').length,
  maps: readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => /kvm|memfd:|\/dev\/zero/.test(l)).length,
});

function standIn(s: Session): Result<KvmApi> {
  const memfd = (size: number): Result => {
    const fd = s.adopt(check(libc().memfdCreate('standin', 0)));
    if (fd.ok) libc().ftruncate(fd.value, size);
    return fd;
  };
  const kvm = memfd(0);
  if (!kvm.ok) return kvm;
  return {
    ok: true,
    value: {
      fd: kvm.value,
      checkExtension: () => ({ ok: true, value: 3 }),
      createVm: () => memfd(0),
      createGuestMemfd: (_vm, size, flags) =>
        size % 4096 || flags > 3 ? { ok: false, errno: 'EINVAL' } : memfd(size),
      setUserMemoryRegion2: () => ({ ok: true, value: 0 }),
      createVcpu: () => {
        const fd = memfd(4096);
        const run = s.mmap(4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
        return fd.ok && run.ok
          ? { ok: true, value: { fd: fd.value, run: run.value } }
          : { ok: false, errno: 'ENOMEM' };
      },
      enterRealMode: () => ({ ok: true, value: 0 }),
      run: () => ({ exit: 'KVM_EXIT_HLT' }),
    },
  };
}

const dir = join(import.meta.dirname, '../selftests');
const scripts = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(dir, f))
  .filter((f) => parseScript(readFileSync(f, 'utf8'), f).vm.type === 'default');

describe('the kernel runner on a stand-in KVM (memfds)', () => {
  it.each(scripts)('%s: every step runs and nothing is left behind', (file) => {
    const before = held();
    const report = runOnKernel(parseScript(readFileSync(file, 'utf8'), file), file, {
      open: standIn,
    });
    expect(report.kernel.checked).toBe(report.steps.length);
    expect(held()).toEqual(before);
  });

  it('where the stand-in answers otherwise than guest_memfd, each is a mismatch line, not a crash', () => {
    const file = join(dir, 'guest_memfd_test/no-flags.yaml');
    const report = runOnKernel(parseScript(readFileSync(file, 'utf8'), file), file, {
      open: standIn,
    });
    // a memfd can be read (64 bytes) where guest_memfd refuses, and mmapped where it has no MMAP flag
    expect(report.kernel.disagreements).toContainEqual({
      step: 2,
      do: 'read',
      kernel: 'returns 64',
      model: '-EINVAL',
    });
    expect(report.kernel.disagreements).toContainEqual({
      step: 8,
      do: 'mmap',
      kernel: 'returns 0',
      model: '-ENODEV',
    });
    expect(report.kernel.disagreements).toContainEqual({
      step: 4,
      do: 'pread',
      kernel: 'returns 64',
      model: '-ESPIPE',
    });
    expect(report.passed).toBe(false);
  });

  it('an access through a memfd mapping past the end of the file is SIGBUS, seen as EFAULT', () => {
    const file = join(dir, 'guest_memfd_test/mmap-init-shared.yaml');
    const report = runOnKernel(parseScript(readFileSync(file, 'utf8'), file), file, {
      open: standIn,
    });
    const overflow = report.steps.find((s) => s.do === 'access' && s.kernel === 'SIGBUS');
    expect(overflow).toBeDefined();
    expect(report.steps.filter((s) => s.do === 'access' && s.agree).length).toBeGreaterThan(4);
  });
});

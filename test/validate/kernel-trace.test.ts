import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents } from '../../src/cli/events-file.js';
import { validate, type LoggedEvent } from '../../src/engine/index.js';
import { hostAccess } from '../../src/host/index.js';
import { parseScript, scriptEventModel } from '../../src/script/index.js';
import { root, septcheck } from '../cli/run.js';

const guest = 'test/selftests/guest_memfd_test/guest.yaml';
const model = (file: string) =>
  scriptEventModel(parseScript(readFileSync(join(root, file), 'utf8'), file), file);

/** What the model says the capture logs, in order (its only run). */
function predicted(file: string): LoggedEvent[] {
  const m = model(file);
  let s = m.initial()[0]!;
  const log: LoggedEvent[] = [];
  for (const a of m.actions) {
    const next = Uint8Array.from(s);
    next[0] = s[0]! + 1;
    log.push(...(a.observe?.(s, next) ?? []));
    s = next;
  }
  return log;
}

describe('a default-VM script as a model of a kernel capture', () => {
  it('the log it predicts for test_guest_memfd_guest', () => {
    expect(predicted(guest)).toEqual([
      { fn: 'KVM_CHECK_EXTENSION', ret: 3 },
      { fn: 'KVM_CREATE_GUEST_MEMFD', ret: 0 },
      { fn: 'KVM_SET_USER_MEMORY_REGION2', args: { slot: 0 }, ret: 0 },
      { fn: 'KVM_SET_USER_MEMORY_REGION2', args: { slot: 1 }, ret: 0 },
      { fn: 'kvm_userspace_exit', args: { reason: 5, errno: 0 } },
      { fn: 'KVM_RUN', ret: 0 },
    ]);
  });

  it('validates that log, skipping what it does not observe, and rejects a guest that exits otherwise', () => {
    const log = predicted(guest);
    const noisy = [{ fn: 'KVM_CREATE_VCPU', ret: 5 }, ...log];
    expect(validate(model(guest), noisy)).toMatchObject({
      valid: true,
      matched: log.length,
      ignored: 1,
    });
    const wrong = log.map((e) =>
      e.fn === 'kvm_userspace_exit' ? { ...e, args: { reason: 2, errno: 0 } } : e,
    );
    expect(validate(model(guest), wrong)).toMatchObject({ valid: false, index: 4, matched: 4 });
  });

  it('a fallocate answered otherwise than the model says is the event named', () => {
    const file = 'test/selftests/guest_memfd_test/no-flags.yaml';
    const log = predicted(file);
    const at = log.findIndex((e) => e.fn === 'fallocate' && e.ret !== 0);
    const r = validate(
      model(file),
      log.map((e, i) => (i === at ? { ...e, ret: 0 } : e)),
    );
    expect(r).toMatchObject({ valid: false, index: at });
  });
});

// The capture mounts tracefs and loads BPF programs: root only. Skipped, with the reason, elsewhere.
const isRoot = process.getuid?.() === 0;
const bpftrace = spawnSync('bpftrace', ['--version'], { encoding: 'utf8' }).status === 0;
const canCapture = !isRoot
  ? 'the capture needs root (it mounts tracefs and loads BPF programs)'
  : !bpftrace
    ? 'bpftrace is not installed'
    : undefined;

describe('tools/septcheck-kvm-trace.bt on this kernel', () => {
  it('attaches to its tracepoints and logs KVM ioctls (slot read from the caller) and fallocate(2) in the event format', (ctx) => {
    if (canCapture) return ctx.skip(canCapture);
    const dir = mkdtempSync(join(tmpdir(), 'septcheck-trace-'));
    try {
      const file = join(dir, 'f');
      const r = spawnSync(
        'tools/septcheck-kvm-capture.sh',
        [join(dir, 'events.jsonl'), process.execPath, 'test/fixtures/kvm-ioctl-noise.mjs', file],
        { cwd: root, encoding: 'utf8' },
      );
      expect(r.status).toBe(0);
      expect(
        readEvents(join(dir, 'events.jsonl')).map(({ fn, args, ret }) => ({ fn, args, ret })),
      ).toEqual([
        { fn: 'KVM_SET_USER_MEMORY_REGION2', args: { slot: 7 }, ret: -25 },
        { fn: 'KVM_CHECK_EXTENSION', args: undefined, ret: -25 },
        { fn: 'fallocate', args: { mode: 0, offset: 0, len: 8192 }, ret: 0 },
      ]);
      expect(existsSync('/sys/kernel/tracing/events/kvm/kvm_userspace_exit')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('captures `septcheck run --kernel` of test_guest_memfd_guest and `septcheck validate --script` finds it valid', (ctx) => {
    if (canCapture) return ctx.skip(canCapture);
    const kvm = hostAccess();
    if (!kvm.ok) return ctx.skip(kvm.reason);
    const dir = mkdtempSync(join(tmpdir(), 'septcheck-trace-'));
    try {
      const log = join(dir, 'events.jsonl');
      const r = spawnSync(
        'tools/septcheck-kvm-capture.sh',
        [log, process.execPath, 'dist/src/cli/main.js', 'run', '--kernel', guest],
        { cwd: root, encoding: 'utf8' },
      );
      expect(r.status).toBe(0);
      const v = septcheck('validate', log, '--script', guest, '--json');
      expect(v.code).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, matched: 6 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

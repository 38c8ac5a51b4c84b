import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelRunText } from '../../src/cli/run-report.js';
import { hostAccess, kernelRelease } from '../../src/host/index.js';
import {
  compareAnswers,
  parseScript,
  runOnKernel,
  runScript,
  type Script,
} from '../../src/script/index.js';
import type { RunReport } from '../../src/script/run.js';
import { septcheck } from '../cli/run.js';

const load = (file: string): Script => parseScript(readFileSync(file, 'utf8'), file);
/** Open descriptors, and the mappings the host layer makes (files of KVM, memfds, shared anonymous
 * memory): the JavaScript heap maps and unmaps memory of its own meanwhile. */
const held = () => ({
  fds: readdirSync('/proc/self/fd').length,
  maps: readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => /kvm|memfd:|\/dev\/zero/.test(l)).length,
});
const host = hostAccess();
const skipReason = host.ok ? undefined : host.reason;

/** The model's run with step `index` answering `ret: 0` instead: a deliberately wrong model. */
function wrongModel(script: Script, file: string, index: number): RunReport {
  const right = runScript(script, file);
  return {
    ...right,
    steps: right.steps.map((s) =>
      s.index === index ? { ...s, answer: { ret: 0 }, outcome: 'returns 0' } : s,
    ),
  };
}

const noFlags = 'test/selftests/guest_memfd_test/no-flags.yaml';
// step 16 of no-flags.yaml: a punch hole at an unaligned offset, which fails
const PUNCH_UNALIGNED = 16;

describe('septcheck run --kernel: bad input is refused before anything is created', () => {
  it('a TDX operation: one line naming the step, exit 2 (before /dev/kvm is even opened: exit 3 would say it was)', () => {
    const r = septcheck('run', '--kernel', 'test/selftests/private_mem_kvm_exits_test.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'septcheck: test/selftests/private_mem_kvm_exits_test.yaml: steps[0].do: "finalize" cannot run on the kernel: it needs a TDX VM, and the kernel oracle runs a default VM (KVM_X86_DEFAULT_VM; this host has no TDX module)\n',
    );
  });

  it('a guest with nowhere to put its code: one line naming the step, exit 2', () => {
    const r = septcheck('run', '--kernel', 'test/fixtures/scripts/guest-without-code.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'septcheck: test/fixtures/scripts/guest-without-code.yaml: steps[2].do: run_guest needs an earlier set_memory_region with anonymous: true at gpa 0 (its code lives there)\n',
    );
  });
});

describe('loops of the selftests', () => {
  it('a create looped over sizes answers once when every case agrees, and names the first that does not', () => {
    const script = (range: string) =>
      parseScript(
        `name: loop\nvm: { type: default }\nsteps:\n  - { do: create_guest_memfd, each_size: ${range} }\n`,
        'loop.yaml',
      );
    expect(runScript(script('[1, 4095]'), 'loop.yaml').steps[0]!.outcome).toBe('-EINVAL');
    expect(runScript(script('[4095, 4097]'), 'loop.yaml').steps[0]!.outcome).toBe(
      '-EINVAL, but case 1: returns 0',
    );
  });

  it('flag bits above 31 are refused like the others (the model tests a __u64, not a 32-bit int)', () => {
    const r = runScript(
      parseScript(
        'name: bits\nvm: { type: default }\nsteps:\n  - { do: create_guest_memfd, size: 4096, each_flag_bit: [31, 63] }\n',
        'bits.yaml',
      ),
      'bits.yaml',
    );
    expect(r.steps[0]!.answer).toEqual({ errno: 'EINVAL' });
  });
});

describe('comparing answers', () => {
  it('a deliberately wrong model is a mismatch line: the step, both answers, the kernel release', () => {
    // The model's own answers stand in for the kernel's here, so that the line is checked on every
    // machine; the test below does the same against the real kernel where there is one.
    const script = load(noFlags);
    const model = runScript(script, noFlags);
    const report = compareAnswers(
      script,
      wrongModel(script, noFlags, PUNCH_UNALIGNED),
      model.steps.map((s) => s.answer),
      model.steps.map((s) => s.checks),
      '6.18.44-test',
    );
    expect(report.passed).toBe(false);
    expect(report.kernel).toMatchObject({
      release: '6.18.44-test',
      tree: 'v6.18',
      relation: 'same',
      checked: 37,
      mismatches: 1,
    });
    expect(kernelRunText(report).split('\n')).toContain(
      'mismatch: step 16 fallocate: kernel -EINVAL, model returns 0 (Linux 6.18.44-test, tree v6.18)',
    );
  });

  it('a kernel newer than the tree says so beside a disagreement', () => {
    const script = load(noFlags);
    const model = runScript(script, noFlags);
    const report = compareAnswers(
      script,
      model,
      model.steps.map((s) => s.answer),
      model.steps.map((s) => s.checks),
      '6.19.2',
    );
    expect(report.kernel).toMatchObject({ relation: 'newer', mismatches: 0 });
    expect(kernelRunText(report)).toContain(
      'compared under tree v6.18; the kernel is newer than the tree, so a disagreement may be a change between them',
    );
  });
});

describe('on the running kernel', () => {
  it('without /dev/kvm: not compared, one line with the reason, exit 3 (never a pass)', (ctx) => {
    if (!skipReason) return ctx.skip('/dev/kvm exists here');
    const r = septcheck('run', '--kernel', noFlags);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `septcheck: ${noFlags}: not compared with the kernel: cannot open /dev/kvm: ENOENT (Linux ${kernelRelease()})\n`,
    );
  });

  it('a deliberately wrong model: the mismatch line, exit 1', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const script = load(noFlags);
    const report = runOnKernel(script, noFlags, {
      model: wrongModel(script, noFlags, PUNCH_UNALIGNED),
    });
    expect(report.kernel.disagreements).toEqual([
      { step: PUNCH_UNALIGNED, do: 'fallocate', kernel: '-EINVAL', model: 'returns 0' },
    ]);
    expect(kernelRunText(report)).toContain(
      `mismatch: step 16 fallocate: kernel -EINVAL, model returns 0 (Linux ${kernelRelease()}, tree v6.18)`,
    );
  });

  it('--json gives kernel: { release, checked, mismatches }', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const r = septcheck('run', '--kernel', '--json', noFlags);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).kernel).toMatchObject({
      release: kernelRelease(),
      checked: 37,
      mismatches: 0,
    });
  });

  it('a script that fails midway leaves no descriptor or mapping behind', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const file = 'test/fixtures/scripts/kernel-fails-midway.yaml';
    const before = held();
    const report = runOnKernel(load(file), file);
    expect(report.passed).toBe(false);
    expect(report.steps[2]!.checks).toEqual([
      { what: 'errno', expected: 'EINVAL', actual: null, pass: false },
    ]);
    expect(held()).toEqual(before);
    // and when the comparison itself throws after everything was created
    expect(() =>
      runOnKernel(load(file), file, { model: { ...runScript(load(file), file), steps: [] } }),
    ).toThrow();
    expect(held()).toEqual(before);
  });
});

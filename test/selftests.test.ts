import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostAccess } from '../src/host/index.js';
import {
  kernelRefusal,
  parseScript,
  runOnKernel,
  runScript,
  type Script,
} from '../src/script/index.js';
import { septcheck } from './cli/run.js';

const dir = join(import.meta.dirname, 'selftests');
const scripts = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const load = (file: string): Script =>
  parseScript(readFileSync(join(dir, file), 'utf8'), join(dir, file));
/** The scripts a default VM runs: every one the kernel oracle can check. */
const kernelScripts = scripts.filter((f) => load(f).vm.type === 'default');

describe('ported kernel selftests', () => {
  it('there are nine scripts, seven of them on a default VM', () => {
    expect(scripts).toHaveLength(9);
    expect(kernelScripts).toHaveLength(7);
  });

  it.each(scripts)('%s: every expectation holds', (file) => {
    const path = join(dir, file);
    const report = runScript(parseScript(readFileSync(path, 'utf8'), path), path);
    const failed = report.steps.flatMap((s) =>
      s.checks
        .filter((c) => !c.pass)
        .map(
          (c) =>
            `step ${s.index} ${s.do}: ${c.what}: expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(c.actual)}`,
        ),
    );
    expect(failed).toEqual([]);
    expect(report.source).toMatch(/^(tools\/testing\/selftests\/kvm\/|virt\/kvm\/)/);
  });

  it.each(kernelScripts)('%s: the kernel oracle accepts it', (file) => {
    expect(() => kernelRefusal(load(file), file)).not.toThrow();
  });
});

// Where /dev/kvm is missing these are skipped with the reason, never passed.
const host = hostAccess();
const skipReason = host.ok ? undefined : host.reason;

describe('the scripts on the running kernel (/dev/kvm, default VM)', () => {
  it.for(kernelScripts)(
    '%s: the kernel agrees with the model at every step and meets every expectation',
    (file, ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const report = runOnKernel(load(file), file);
      expect(report.kernel.disagreements).toEqual([]);
      expect(
        report.steps.flatMap((s) =>
          s.checks.filter((c) => !c.pass).map((c) => `step ${s.index}: ${c.what}`),
        ),
      ).toEqual([]);
      expect(report.kernel.checked).toBe(load(file).steps.length);
    },
  );
});

describe('septcheck run', () => {
  it('prints each step and PASS per expectation, exit 0', () => {
    const r = septcheck('run', 'test/selftests/private_mem_kvm_exits_test.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '  2  run: exit KVM_EXIT_MEMORY_FAULT gpa=0x1000 flags=KVM_MEMORY_EXIT_FLAG_PRIVATE\n       PASS exit: expected "KVM_EXIT_MEMORY_FAULT"\n',
    );
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('PASS: 7 of 7 expectations hold');
  });

  it('a wrong expectation is a FAIL line, exit 1', () => {
    const r = septcheck('run', 'test/fixtures/scripts/wrong-expectation.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '  1  fallocate: -EINVAL\n       FAIL errno: expected "EOPNOTSUPP", got "EINVAL"\n',
    );
    expect(
      JSON.parse(septcheck('run', 'test/fixtures/scripts/wrong-expectation.json', '--json').stdout),
    ).toMatchObject({ passed: false });
  });

  it.each([
    [
      'bad-op.yaml',
      'test/fixtures/scripts/bad-op.yaml: steps[1].do: unknown operation "fallocat" for a default VM (known: create_guest_memfd, fstat, read, write, fallocate, mmap, access, close, check_extension, pread, pwrite, munmap, create_memfd, set_memory_region, run_guest)',
    ],
    [
      'bad-expect.yaml',
      'test/fixtures/scripts/bad-expect.yaml: steps[0].expect.ret: expected a number, got "zero"',
    ],
    [
      'bad-vm.yaml',
      'test/fixtures/scripts/bad-vm.yaml: vm.pages: expected an integer from 1 to 8, got 9',
    ],
    ['bad-yaml.yaml', 'test/fixtures/scripts/bad-yaml.yaml: not YAML: '],
    ['missing.yaml', 'test/fixtures/scripts/missing.yaml: no such file'],
  ])('a bad script (%s) is one line naming the file and field, exit 2', (_, message) => {
    const r = septcheck('run', `test/fixtures/scripts/${_}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`septcheck: ${message}`)).toBe(true);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failure } from '../../src/cli/failure.js';
import { expectSchema, inProcess, root } from '../fuzz/harness.js';
import { septcheck } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'septcheck-robust-'));

describe("a user's model that throws or breaks the contract: exit 2, one line naming the file and line", () => {
  const cases: [string, string[], string][] = [
    [
      'build()',
      ['test/fixtures/throwing/build.ts'],
      'test/fixtures/throwing/build.ts:6: build threw: RangeError: no such size',
    ],
    [
      'view',
      ['test/fixtures/throwing/view.ts'],
      'test/fixtures/throwing/view.ts:11: view threw: view failed',
    ],
    [
      'no actions',
      ['test/fixtures/throwing/no-actions.ts'],
      'test/fixtures/throwing/no-actions.ts: build().actions: expected a non-empty list of actions',
    ],
    [
      'a helper module it imports',
      ['test/fixtures/throwing/imports-helper.ts'],
      'test/fixtures/throwing/helper.ts:3: action "inc" threw: helper failed in state [2]',
    ],
  ];
  // In-process under vitest, whose stack traces ignore Node's source maps, a .ts file's line
  // numbers are those of the compiled code: the exact lines are checked in real processes.
  const anyLine = (text: string) => text.replace(/\.ts:\d+:/, '.ts:N:');
  for (const command of [['check'], ['simulate'], ['swarm', '--shard', '1/1']]) {
    it.each(cases)(`${command[0]}: %s`, async (_, args, line) => {
      const r = await inProcess([...command, ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(anyLine(r.stderr)).toBe(anyLine(`septcheck: ${line}\n`));
    });
  }

  it.each([
    ...cases.map(([what, args, line]): [string, string[], string] => [what, args, line]),
    [
      'canonical under --symmetry',
      ['test/fixtures/throwing/canonical.ts', '--symmetry'],
      'test/fixtures/throwing/canonical.ts:10: canonical threw: canonical failed',
    ],
    [
      'a liveness predicate',
      ['test/fixtures/throwing/liveness.ts'],
      'test/fixtures/throwing/liveness.ts:10: p threw: predicate failed',
    ],
    [
      'an action, in a CommonJS folder',
      ['test/fixtures/commonjs/throws.ts'],
      'test/fixtures/commonjs/throws.ts:9: action "step" threw: cannot read page 7 in state [1]',
    ],
    [
      '--symmetry on a model without symmetry',
      ['hanoi', '--symmetry'],
      '--symmetry: hanoi (disks=10) declares no interchangeable parts (no canonical)',
    ],
  ])('check, as a real process: %s', (_, args, line) => {
    expect(septcheck('check', ...args)).toEqual({
      code: 2,
      stdout: '',
      stderr: `septcheck: ${line}\n`,
    });
  });
});

describe('loading model and policy files', () => {
  it('a .ts model in a folder whose package.json is not "type": "module", importing only types, loads', async () => {
    const r = await inProcess([
      'check',
      'test/fixtures/commonjs/counter.ts',
      '--param',
      'limit=4',
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      model: 'counter',
      params: { limit: 4 },
      result: 'violation',
      distinctStates: 5,
    });
  });

  it('a policy with a syntax error names the file, the line and the message', async () => {
    writeFileSync(join(dir, 'syntax.ts'), "export default {\n  name: 'p',\n  onMap( {\n};\n");
    const r = await inProcess(['check', '--scenario', 'basic', '--policy', join(dir, 'syntax.ts')]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `septcheck: ${join(dir, 'syntax.ts')}:4: does not compile: Expected ")" but found ";"\n`,
    });
  });

  it('a file that throws while loading names its line', async () => {
    writeFileSync(join(dir, 'top.ts'), 'export default 1;\nthrow new Error("not today");\n');
    expect((await inProcess(['check', join(dir, 'top.ts')])).stderr).toBe(
      `septcheck: ${join(dir, 'top.ts')}:2: threw while loading: not today\n`,
    );
  });
});

describe('internal errors: exit 70, never 2', () => {
  const stack = (top: string) =>
    `TypeError: x is undefined\n    at f (${top}:10:5)\n    at async Command.parseAsync (${join(root, 'node_modules/commander/lib/command.js')}:1:1)\n    at run (${join(root, 'test/fuzz/harness.ts')}:3:3)`;
  it("an error raised in septcheck's own code", () => {
    const e = new TypeError('x is undefined');
    e.stack = stack(join(root, 'dist/src/engine/search.js'));
    expect(failure(e)).toEqual({
      code: 70,
      line: 'septcheck: internal error, please report: TypeError: x is undefined (at dist/src/engine/search.js:10)',
    });
  });
  it("an error raised in the user's file", () => {
    const e = new TypeError('x is undefined');
    e.stack = stack(join(root, 'my-model.ts'));
    expect(failure(e)).toEqual({
      code: 2,
      line: 'septcheck: my-model.ts:10: f threw: TypeError: x is undefined',
    });
  });
});

describe('input files that name code run it only when it is given on the command line', () => {
  it('replay of a trace naming a policy file: one line saying which file, then runs with --policy', async () => {
    const trace = join(dir, 'leaky.json');
    expect(
      (
        await inProcess([
          'check',
          '--scenario',
          'basic',
          '--faults',
          'remove-fails=1',
          '--policy',
          'test/fixtures/leaky-policy.ts',
          '--trace-out',
          trace,
        ])
      ).code,
    ).toBe(1);
    expect(await inProcess(['replay', trace])).toEqual({
      code: 2,
      stdout: '',
      stderr: `septcheck: ${trace}: names the policy file "test/fixtures/leaky-policy.ts"; it runs only when given on the command line too: --policy test/fixtures/leaky-policy.ts\n`,
    });
    const other = JSON.parse(readFileSync(trace, 'utf8'));
    other.target.policy = 'test/fixtures/unused-var-policy.ts';
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(other));
    expect(
      (
        await inProcess([
          'replay',
          join(dir, 'edited.json'),
          '--policy',
          'test/fixtures/leaky-policy.ts',
        ])
      ).stderr,
    ).toMatch(/names the policy file "test\/fixtures\/unused-var-policy.ts"/);
    const r = await inProcess(['replay', trace, '--policy', './test/fixtures/leaky-policy.ts']);
    expect(r).toEqual({
      code: 0,
      stdout: `${trace}: confirmed: all 26 steps replay and leak teardown-reclaims is still violated\n`,
      stderr: '',
    });
  });

  it('a trace naming a model file needs --model', async () => {
    const trace = join(dir, 'counter.json');
    await inProcess(['check', 'test/fixtures/counter-model.ts', '--trace-out', trace]);
    expect((await inProcess(['replay', trace])).stderr).toBe(
      `septcheck: ${trace}: names the model file "test/fixtures/counter-model.ts"; it runs only when given on the command line too: --model test/fixtures/counter-model.ts\n`,
    );
    expect(
      (await inProcess(['replay', trace, '--model', 'test/fixtures/counter-model.ts'])).code,
    ).toBe(0);
  });

  it('a run script whose vm.policy names a file runs it only with --policy', async () => {
    const script = join(dir, 'own-policy.yaml');
    writeFileSync(
      script,
      'name: x\nvm: { type: tdx, pages: 2, policy: test/fixtures/leaky-policy.ts }\nsteps:\n  - { do: finalize, expect: { ret: 0 } }\n',
    );
    expect(await inProcess(['run', script])).toEqual({
      code: 2,
      stdout: '',
      stderr: `septcheck: ${script}: names the policy file "test/fixtures/leaky-policy.ts"; it runs only when given on the command line too: --policy test/fixtures/leaky-policy.ts\n`,
    });
    const r = await inProcess([
      'run',
      script,
      '--policy',
      'test/fixtures/leaky-policy.ts',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expectSchema('run-report', JSON.parse(r.stdout));
  });

  it('a run script converting GFN 7 on a 2-page VM is refused', async () => {
    writeFileSync(
      join(dir, 'gfn7.yaml'),
      'name: x\nvm: { type: tdx, pages: 2 }\nsteps:\n  - { do: finalize }\n  - { do: convert, gfns: [7], to: shared }\n',
    );
    expect(await inProcess(['run', join(dir, 'gfn7.yaml')])).toEqual({
      code: 2,
      stdout: '',
      stderr: `septcheck: ${join(dir, 'gfn7.yaml')}: steps[1].gfns: expected a list of GFNs from 0 to 1 (vm.pages is 2)\n`,
    });
  });
});

describe('outputs', () => {
  it('merge --json and check --json carry the counterexample in one shape', async () => {
    const shard = join(dir, 'shard.json');
    expect(
      (
        await inProcess([
          'swarm',
          '--scenario',
          'basic',
          '--faults',
          'remove-fails=1',
          '--shard',
          '1/1',
          '--out',
          shard,
        ])
      ).code,
    ).toBe(1);
    const merged = JSON.parse((await inProcess(['merge', shard, '--json'])).stdout);
    const checked = JSON.parse(
      (await inProcess(['check', '--scenario', 'basic', '--faults', 'remove-fails=1', '--json']))
        .stdout,
    );
    expectSchema('merge-report', merged);
    expectSchema('check-report', checked);
    // merge adds the shard that found it, and how that shard shrank its depth-first path
    expect(Object.keys(merged.violation).sort()).toEqual(
      [...Object.keys(checked.violation), 'shard', 'shrunk'].sort(),
    );
    expect(Object.keys(merged.violation.trace[1]).sort()).toEqual(
      Object.keys(checked.violation.trace[1]).sort(),
    );
  });

  it('a --trace-out that cannot be written: one line, exit 2, no temporary file left', async () => {
    const r = await inProcess(['check', 'naive-mutex', '--trace-out', dir]);
    expect(r).toEqual({
      code: 2,
      stdout: 'model naive-mutex\n'.slice(0, 0),
      stderr: `septcheck: ${dir}: cannot write (EISDIR)\n`,
    });
    expect(
      readdirSync(join(dir, '..')).filter(
        (f) => f.endsWith('.tmp') && f.startsWith('septcheck-robust-'),
      ),
    ).toEqual([]);
  });

  it('claims --json matches its schema and exits 0 though cells fail', () => {
    const r = septcheck('claims', '--json');
    expect(r.code).toBe(0);
    expectSchema('claims', JSON.parse(r.stdout));
  });

  it('the schemas ship with the package', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schemas');
    expect(readdirSync(join(root, 'schemas')).sort()).toEqual([
      'check-report.schema.json',
      'claims.schema.json',
      'counterexample.schema.json',
      'merge-report.schema.json',
      'replay-report.schema.json',
      'run-report.schema.json',
      'simulate-report.schema.json',
      'swarm-result.schema.json',
      'trace.schema.json',
      'validate-report.schema.json',
    ]);
  });
});

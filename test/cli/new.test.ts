import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { septcheckAsync as septcheck } from './run.js';

describe('septcheck new: starting points that the commands accept as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'septcheck-new-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a model: check passes it, and shows the lost update with --param locked=0', async () => {
    const file = join(dir, 'counter.ts');
    expect(await septcheck('new', 'model', file)).toMatchObject({
      code: 0,
      stdout: `wrote ${file}; try: septcheck check ${file}\n`,
      stderr: '',
    });
    expect(readFileSync(file, 'utf8')).toContain("name: 'counter',");
    const ok = await septcheck('check', file, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      model: 'counter',
      params: { locked: 1 },
      result: 'ok',
      distinctStates: 9,
      transitions: 8,
      depth: 4,
    });
    const lost = JSON.parse(
      (await septcheck('check', file, '--param', 'locked=0', '--json')).stdout,
    );
    expect(lost).toMatchObject({
      result: 'violation',
      violation: { kind: 'invariant', property: 'no-lost-update' },
    });
    expect(
      lost.violation.trace.map(
        (t: { action: string; process: string }) => `${t.process} ${t.action}`,
      ),
    ).toEqual([
      'null null',
      'p0 read counter',
      'p1 read counter',
      'p0 write counter',
      'p1 write counter',
    ]);
    expect(lost.violation.trace[4].state).toEqual({
      counter: 1,
      lock: 'free',
      p0: 'done',
      p1: 'done',
    });
  });

  it('a policy: claims --policy adds its row, check --policy runs it', async () => {
    const file = join(dir, 'my-policy.ts');
    expect((await septcheck('new', 'policy', file)).code).toBe(0);
    const claims = await septcheck('claims', '--policy', file, '--json');
    expect(claims.code).toBe(0);
    const row = JSON.parse(claims.stdout).rows.find(
      (r: { policy: string }) => r.policy === 'my-policy',
    );
    expect(row.cells.map((c: { verdict: string }) => c.verdict)).toEqual([
      'pass',
      'pass',
      'leak',
      'pass',
      'pass',
      'pass',
      'leak', // a failed WBINVD: the template's reference is taken for it too
      'pass',
    ]);
    const check = JSON.parse(
      (
        await septcheck(
          'check',
          '--scenario',
          'basic',
          '--policy',
          file,
          '--faults',
          'remove-fails=1',
          '--json',
        )
      ).stdout,
    );
    expect(check).toMatchObject({
      params: { policy: 'my-policy' },
      result: 'leak',
      distinctStates: 2535,
    });
  }, 120_000); // a whole claims table in a process of its own

  it('a script: run passes every expectation', async () => {
    const file = join(dir, 'first.yaml');
    expect((await septcheck('new', 'script', file)).code).toBe(0);
    const r = await septcheck('run', file);
    expect(r.stdout).toContain('first (written with septcheck new)\n');
    expect(r.stdout).toContain('\nPASS: 7 of 7 expectations hold\n');
    expect(r.code).toBe(0);
  });

  it.each([
    [['new', 'model', 'x.js'], 'septcheck: x.js: a model file must end in .ts or .mts\n'],
    [['new', 'script', 'x.ts'], 'septcheck: x.ts: a script file must end in .yaml or .yml\n'],
    [
      ['new', 'model', 'no/such/dir/x.ts'],
      'septcheck: no/such/dir/x.ts: no such folder no/such/dir\n',
    ],
    [
      ['new', 'thing', 'x.ts'],
      "septcheck: command-argument value 'thing' is invalid for argument 'kind'. Allowed choices are model, policy, script.\n",
    ],
  ])('bad input %j: one line, exit 2, nothing written', async (args, stderr) => {
    expect(await septcheck(...args)).toMatchObject({ code: 2, stdout: '', stderr });
  });

  it('never overwrites a file', async () => {
    const file = join(dir, 'mine.ts');
    writeFileSync(file, '// mine\n');
    expect(await septcheck('new', 'model', file)).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `septcheck: ${file}: already exists (septcheck new does not overwrite a file)\n`,
    });
    expect(readFileSync(file, 'utf8')).toBe('// mine\n');
  });
});

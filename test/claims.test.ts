import { describe, expect, it } from 'vitest';
import { verdictTable } from '../src/claims/index.js';
import { policies } from '../src/policies/index.js';
import refOnRemoveFailure from '../examples/policies/ref-on-remove-failure.js';
import { septcheck } from './cli/run.js';

type Expected = [string, string?];
const pass: Expected = ['pass'];

/** Every cell of the verdict table, so a model change that flips a verdict is noticed. */
const expected: Record<string, Expected[]> = {
  pin: [
    pass,
    ['fail', 'conversion-completes@op0'],
    ['leak', 'teardown-reclaims'],
    pass,
    pass,
    pass,
  ],
  nopin: [pass, pass, ['fail', 'no-reuse-while-mapped'], pass, pass, pass],
  'unmap-error': [pass, pass, ['leak', 'teardown-reclaims'], pass, pass, pass],
  'ref-on-zap-failure': [pass, pass, ['leak', 'teardown-reclaims'], pass, pass, pass],
  'page-flag': [
    pass,
    pass,
    ['leak', 'teardown-reclaims'],
    pass,
    ['fail', 'no-reuse-while-mapped'],
    pass,
  ],
  hwpoison: [pass, pass, ['leak', 'teardown-reclaims'], pass, pass, pass],
  'ref-on-remove-failure': [pass, pass, ['fail', 'no-reuse-while-mapped'], pass, pass, pass],
};

describe('the verdict table', () => {
  const rows = verdictTable([...Object.values(policies), refOnRemoveFailure]);

  it.each(Object.keys(expected))('%s', (policy) => {
    const row = rows.find((r) => r.policy === policy)!;
    expect(row.cells.map((c) => (c.property ? [c.verdict, c.property] : [c.verdict]))).toEqual(
      expected[policy],
    );
  });

  it('every fail or leak names a command that prints that very counterexample', () => {
    const nopinFail = rows.find((r) => r.policy === 'nopin')!.cells[2]!;
    expect(nopinFail.command).toBe(
      'septcheck check --scenario basic --policy nopin --faults remove-fails=1',
    );
    const hvo = rows.find((r) => r.policy === 'page-flag')!.cells[4]!;
    expect(hvo.command).toBe(
      'septcheck check --scenario convert --policy page-flag --faults remove-fails=1 --hvo',
    );
    const j = JSON.parse(
      septcheck(
        'check',
        '--scenario',
        'convert',
        '--policy',
        'page-flag',
        '--faults',
        'remove-fails=1',
        '--hvo',
        '--json',
      ).stdout,
    );
    expect(j.violation.property).toBe('no-reuse-while-mapped');
  });

  it('each cell says how long it took and which runs decided it', () => {
    const cell = rows[0]!.cells[0]!;
    expect(cell.seconds).toBeGreaterThan(0);
    expect(cell.runs).toHaveLength(12);
    expect(cell.runs[0]).toMatchObject({
      scenario: 'basic',
      faults: '',
      hvo: false,
      verdict: 'pass',
      distinctStates: 1050,
      tree: 'v6.17',
      hypothetical: false,
    });
  });
});

describe('septcheck claims', () => {
  it('prints the Markdown table with the user policy as its last row', () => {
    const r = septcheck(
      'claims',
      '--markdown',
      '--policy',
      'examples/policies/ref-on-remove-failure.ts',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| page-flag | pass | pass | leak [6] | pass | fail [7] | pass |\n');
    expect(r.stdout).toContain(
      '| ref-on-remove-failure | pass | pass | fail [9] | pass | pass | pass |\n',
    );
    expect(r.stdout).toContain(
      '- fail [9] ref-on-remove-failure, failed zap never reuses a mapped frame: no-reuse-while-mapped (series-v3): `septcheck check --scenario basic --policy examples/policies/ref-on-remove-failure.ts --faults block-fails=1`',
    );
  });
});

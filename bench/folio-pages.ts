/**
 * `node dist/bench/folio-pages.js [N]`: the verdict table's `convert` cells with a HugeTLB folio
 * of N subpages (default 4; `--param folio-pages=N`), every design, against the cells the table
 * has at the default 2 (test/claims.test.ts asserts those). Too long for `npm test` (the runs
 * with transient-refs=2 reach about three million states each at 4 subpages). Prints each cell
 * with its states and seconds; exits 1 if a cell's verdict differs from the same cell at 2
 * subpages, or `convert`'s state count from the one measured.
 */
import { questions, verdictTable, type Question } from '../src/claims/index.js';
import type { Cell } from '../src/index.js';
import { check } from '../src/engine/index.js';
import { buildSystem } from '../src/kernel/index.js';
import { policies } from '../src/policies/index.js';
import { scenarioFamilies } from '../src/scenarios/index.js';

const pages = Number(process.argv[2] ?? 4);

/** `convert` with nopin and no fault, safety only: its states by folio size (too slow for
 * `npm test` at 4; 2 is asserted in test/kernel/system.test.ts with liveness: 4,254). */
const convertStates: Readonly<Record<number, number>> = { 2: 4_254, 3: 26_720, 4: 139_640 };
const safety = check(
  buildSystem({
    scenario: scenarioFamilies.convert!.build({
      vcpus: 1,
      'folio-pages': pages,
      'spare-blocks': 0,
    }),
    policy: policies.nopin!,
    faults: {},
    hvo: false,
  }),
  { liveness: false },
);
const want = convertStates[pages];
console.log(
  `convert folio-pages=${pages}, nopin, safety: ${safety.result}, ${safety.distinctStates.toLocaleString('en-US')} states${want !== undefined && want !== safety.distinctStates ? `  EXPECTED ${want}` : ''}`,
);
let differs =
  safety.result !== 'ok' || (want !== undefined && want !== safety.distinctStates) ? 1 : 0;

/** The questions, each with its `convert` runs only (at `n` subpages); questions without one
 * are left out. */
const convertQuestions = (n: number): Question[] =>
  questions.flatMap((q) => {
    const runs = q.runs
      .filter((r) => r.scenario === 'convert')
      .map((r) => ({ ...r, params: { 'folio-pages': n } }));
    return runs.length ? [{ ...q, runs }] : [];
  });

/** Each cell's verdict at the default 2 subpages (what test/claims.test.ts asserts), to compare:
 * a design's answer should not depend on the folio's size. */
const atTwo = new Map<string, string>(
  verdictTable(Object.values(policies), undefined, convertQuestions(2)).flatMap((row) =>
    row.cells.map((c): [string, string] => [`${row.policy}: ${c.question}`, verdictText(c)]),
  ),
);

function verdictText(c: Cell): string {
  return `${c.verdict}${c.property ? ` (${c.property})` : ''}`;
}

for (const row of verdictTable(Object.values(policies), undefined, convertQuestions(pages))) {
  for (const cell of row.cells) {
    const states = cell.runs.reduce((n, r) => n + r.distinctStates, 0);
    const key = `${row.policy}: ${cell.question}`;
    const got = verdictText(cell);
    const want = atTwo.get(key)!;
    if (want !== got) differs = 1;
    console.log(
      `${key.padEnd(52)} ${got.padEnd(40)} ${states.toLocaleString('en-US').padStart(12)} states ${cell.seconds.toFixed(1).padStart(7)} s${want !== got ? `  AT 2: ${want}` : ''}`,
    );
  }
}
process.exitCode = differs;

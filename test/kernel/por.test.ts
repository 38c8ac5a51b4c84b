/**
 * Partial-order reduction on the kernel model (src/engine/por.ts): what it relies on, checked
 * against what the steps and properties really do, and its verdicts against the full search's
 * on every run of the verdict table.
 */
import { describe, expect, it } from 'vitest';
import { check, replay, viewState, type Model, type State } from '../../src/engine/index.js';
import { StubbornSets } from '../../src/engine/por.js';
import { Expander } from '../../src/engine/successors.js';
import { buildSystem, parseFaults } from '../../src/kernel/index.js';
import { questions } from '../../src/claims/questions.js';
import { policies } from '../../src/policies/index.js';
import { scenarios } from '../../src/scenarios/index.js';
import { system, type Run } from './helpers.js';

const key = (s: State) => Buffer.from(s).toString('latin1');

/** Up to `max` states breadth first (violating states expanded too), and every transition
 * from them, to `visit`. */
function walk(
  model: Model,
  max: number,
  visit: (s: State, successors: { action: number; next: State }[]) => void,
): number {
  const expander = new Expander(model);
  const seen = new Set<string>();
  const queue: State[] = [];
  const add = (s: State) => {
    if (queue.length < max && !seen.has(key(s))) seen.add(key(s)) && queue.push(s);
  };
  model.initial().forEach(add);
  for (let h = 0; h < queue.length; h++) {
    const successors = expander.of(queue[h]!);
    visit(queue[h]!, successors);
    for (const { next } of successors) add(next);
  }
  return queue.length;
}

// Runs whose invariants and findings do change value (mutations, leaking policies), so the
// checks below see transitions that matter.
const changing: Run[] = [
  { scenario: 'basic', policy: 'nopin', mutations: ['skip-wbinvd'] },
  { scenario: 'basic', policy: 'nopin', mutations: ['truncate-before-unmap'] },
  { scenario: 'basic', policy: 'nopin', mutations: ['double-put'] },
  { scenario: 'convert', policy: 'nopin', mutations: ['convert-without-zap'] },
  { scenario: 'convert', policy: 'nopin', mutations: ['zap-whole-folio'] },
  { scenario: 'basic', policy: 'pin', faults: 'remove-fails=1,block-fails=1' },
  // issue 17: the 2M level's invariant
  { scenario: 'convert', policy: 'nopin', mutations: ['split-skipped'], tree: 'hugepage-v3' },
];

describe('partial-order reduction on the kernel model', () => {
  it("every invariant's declared reads are sound: its value changes only across a transition that changes one of them", () => {
    const changed = new Set<string>();
    const undeclared: string[] = [];
    for (const run of changing) {
      const model = system(run);
      const invariants = model.invariants!;
      expect(invariants.every((i) => i.reads !== undefined)).toBe(true);
      const reads = invariants.map((i) => new Set(i.reads));
      walk(model, 20_000, (s, successors) => {
        const before = invariants.map((i) => i.check(s));
        for (const { action, next } of successors)
          invariants.forEach((inv, i) => {
            if (inv.check(next) === before[i]) return;
            changed.add(inv.name);
            if (!Array.from(next).some((x, v) => x !== s[v] && reads[i]!.has(v)))
              undeclared.push(`${run.scenario}: ${inv.name} by ${model.actions[action]!.name}`);
          });
      });
    }
    // Every invariant and finding changed value somewhere in these runs.
    expect([...changed].sort()).toEqual(
      system(changing[0]!)
        .invariants!.map((i) => i.name)
        .sort(),
    );
    expect(undeclared).toEqual([]);
  }, 60_000);

  it.each([
    ['contention vcpus=2 busy=1', { scenario: 'contention', faults: 'busy=1' }],
    [
      'basic pin, zap failures',
      { scenario: 'basic', policy: 'pin', faults: 'remove-fails=1,block-fails=1,busy=1' },
    ],
    ['convert page-flag', { scenario: 'convert', policy: 'page-flag', faults: 'transient-refs=1' }],
  ] as const)(
    'two steps the reduction calls independent commute and neither disables the other, in every reachable state where both are enabled (%s)',
    (_, run) => {
      const model = system(run);
      const sets = new StubbornSets(model);
      const expander = new Expander(model);
      const after = (s: State, a: number) => expander.of(s, (_, i) => i === a).map((x) => x.next);
      const bad: string[] = [];
      let pairs = 0;
      walk(model, 10_000, (s, successors) => {
        const enabled = [...new Set(successors.map((x) => x.action))];
        for (const a of enabled)
          for (const b of enabled) {
            if (a >= b || sets.dependent(a, b)) continue;
            pairs++;
            const ab = after(s, a).flatMap((t) => after(t, b).map(key));
            const ba = after(s, b).flatMap((t) => after(t, a).map(key));
            const name = `${model.actions[a]!.process} ${model.actions[a]!.name} / ${model.actions[b]!.process} ${model.actions[b]!.name}`;
            if (after(s, a).some((t) => after(t, b).length === 0)) bad.push(`${name}: disables`);
            if (after(s, b).some((t) => after(t, a).length === 0)) bad.push(`${name}: disabled by`);
            if ([...new Set(ab)].sort().join() !== [...new Set(ba)].sort().join())
              bad.push(`${name}: do not commute`);
          }
      });
      expect(pairs).toBeGreaterThan(0);
      expect([...new Set(bad)]).toEqual([]);
    },
    60_000,
  );

  // Every run of the verdict table (src/claims), judged on its question's invariants and
  // findings (liveness is not checked under --por).
  const cases = Object.values(policies).flatMap((policy) =>
    questions.flatMap((q) =>
      q.invariants.length + q.findings.length === 0
        ? []
        : q.runs.map((run) => ({ policy, q, run })),
    ),
  );
  it(`on the ${cases.length} runs of the verdict table, the same verdict with --por as without, and every counterexample found with --por replays`, () => {
    const differ: string[] = [];
    const replays: string[] = [];
    for (const { policy, q, run } of cases) {
      const full = buildSystem({
        scenario: scenarios[run.scenario]!,
        policy,
        faults: parseFaults(run.faults),
        hvo: run.hvo,
      });
      const judged = new Set([...q.invariants, ...q.findings]);
      const model = { ...full, invariants: full.invariants!.filter((i) => judged.has(i.name)) };
      const verdict = (r: ReturnType<typeof check>) =>
        JSON.stringify([r.result, r.violation?.property, r.findings.map((f) => f.property).sort()]);
      const plain = check(model, { liveness: false });
      const reduced = check(model, { liveness: false, por: true });
      const name = `${policy.name} ${q.id} ${run.scenario} ${run.faults}${run.hvo ? ' hvo' : ''}`;
      if (verdict(plain) !== verdict(reduced))
        differ.push(`${name}: ${verdict(plain)} / ${verdict(reduced)}`);
      for (const found of [
        ...(reduced.violation ? [reduced.violation] : []),
        ...reduced.findings,
      ]) {
        const steps = found.trace.map((t) => ({
          action: t.action,
          process: t.process,
          state: viewState(model, t.state),
        }));
        const r = replay(model, steps);
        if (!r.ok) replays.push(`${name} ${found.property}: ${JSON.stringify(r)}`);
      }
    }
    expect(cases.length).toBeGreaterThan(100);
    expect(differ).toEqual([]);
    expect(replays).toEqual([]);
  }, 120_000);
});

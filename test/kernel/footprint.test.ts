/**
 * Each kernel step declares what it reads and writes (the engine Action's `reads` / `writes`,
 * which partial-order reduction relies on). Checked against what each step really does: on
 * every transition of a breadth-first exploration, every variable that changed is in the
 * step's declared writes, and every guard variable is in its declared reads.
 */
import { describe, expect, it } from 'vitest';
import type { Model, State } from '../../src/engine/index.js';
import { Expander } from '../../src/engine/successors.js';
import { system, type Run } from './helpers.js';

interface Footprints {
  states: number;
  transitions: number;
  /** "action: variable" for each undeclared write seen, with a count */
  undeclared: Record<string, number>;
}

/** Explores up to `max` states breadth first, checking every transition's writes. */
function explore(model: Model, max: number): Footprints {
  const writes = model.actions.map((a) => new Set(a.writes));
  const expander = new Expander(model);
  const key = (s: State) => Buffer.from(s).toString('latin1');
  const seen = new Set<string>();
  const queue: State[] = [];
  for (const s of model.initial()) {
    seen.add(key(s));
    queue.push(s);
  }
  const undeclared: Record<string, number> = {};
  let transitions = 0;
  for (let h = 0; h < queue.length; h++) {
    const s = queue[h]!;
    for (const { action, next } of expander.of(s)) {
      transitions++;
      for (let i = 0; i < s.length; i++) {
        if (s[i] !== next[i] && !writes[action]!.has(i)) {
          const what = `${model.actions[action]!.process} ${model.actions[action]!.name}: variable ${i}`;
          undeclared[what] = (undeclared[what] ?? 0) + 1;
        }
      }
      if (queue.length < max && !seen.has(key(next))) {
        seen.add(key(next));
        queue.push(next);
      }
    }
  }
  return { states: queue.length, transitions, undeclared };
}

describe('step footprints', () => {
  it('every kernel step declares its reads and writes, guards and writes among its reads', () => {
    const model = system({ scenario: 'host' });
    const bad = model.actions.flatMap((a) => {
      if (!a.reads || !a.writes) return [`${a.process} ${a.name}: no footprint`];
      const reads = new Set(a.reads);
      return [...(a.guard ?? []).map(([x]) => x), ...a.writes]
        .filter((x) => !reads.has(x))
        .map((x) => `${a.process} ${a.name}: ${x} not in reads`);
    });
    expect(bad).toEqual([]);
    expect(model.actions.length).toBeGreaterThan(40);
  });

  it('declared writes cover every change on the host scenario, up to 100,000 states', () => {
    const r = explore(system({ scenario: 'host' }), 100_000);
    expect(r.states).toBe(100_000);
    expect(r.transitions).toBeGreaterThan(200_000);
    expect(r.undeclared).toEqual({});
  }, 120_000);

  // The host scenario has no faults, no GUP, no huge folio: these cover the steps it leaves out.
  const more: Run[] = [
    {
      scenario: 'basic',
      policy: 'pin',
      faults: 'remove-fails=1,block-fails=1,busy=1,transient-refs=1',
    },
    {
      scenario: 'basic',
      policy: 'unmap-error',
      faults: 'remove-fails=1,memory-failure=1,wbinvd-fails=1',
    },
    { scenario: 'convert', policy: 'page-flag', faults: 'block-fails=1,transient-refs=1' },
    { scenario: 'convert', policy: 'hwpoison', faults: 'remove-fails=1,memory-failure=1' },
    { scenario: 'contention', policy: 'ref-on-zap-failure', faults: 'busy=2,remove-fails=1' },
    { scenario: 'convert', policy: 'page-ext', faults: 'remove-fails=1,wbinvd-fails=1' },
    // issue 17: the 2M level (2M AUG and zap, SEPT.ADD, the split, DEMOTE and its failure)
    {
      scenario: 'convert',
      policy: 'unmap-error',
      faults: 'demote-fails=1,busy=1,wbinvd-fails=1',
      tree: 'hugepage-v3',
    },
    // guest_memfd on hugepage-v3: the refused punch, the merge's -EAGAIN and the punch again
    { scenario: 'huge-punch', policy: 'page-flag', faults: '' },
    // the guest's accept level: touch before ACCEPT, tdx_honor_guest_accept_level's split
    {
      scenario: 'huge-map',
      policy: 'nopin',
      faults: 'demote-fails=1,busy=1',
      tree: 'hugepage-v3',
      params: { accept: 3 }, // either
    },
  ];
  it.each(
    more.map(
      (r) => [`${r.scenario} ${r.policy} ${r.faults}${r.tree ? ` ${r.tree}` : ''}`, r] as const,
    ),
  )('and on %s', (_, run) => {
    const r = explore(system(run), 30_000);
    expect(r.states).toBeGreaterThan(1_000);
    expect(r.undeclared).toEqual({});
  });
});

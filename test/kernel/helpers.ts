import { check, type CheckOptions, type Model, type State } from '../../src/engine/index.js';
import { Expander } from '../../src/engine/successors.js';
import { buildSystem, parseFaults, type Mutation, type TreeName } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { scenarioFamilies, scenarios } from '../../src/scenarios/index.js';

export interface Run {
  scenario: string;
  policy?: string;
  faults?: string;
  mutations?: Mutation[];
  hvo?: boolean;
  withoutPageExt?: boolean;
  /** keep only these liveness properties */
  only?: string[];
  /** the kernel tree, when not the one resolveTree picks */
  tree?: TreeName;
  /** the scenario's parameters, when not its defaults */
  params?: Record<string, number>;
}

export function system(r: Run): Model {
  const model = buildSystem({
    scenario: r.params
      ? scenarioFamilies[r.scenario]!.build({
          ...Object.fromEntries(
            Object.entries(scenarioFamilies[r.scenario]!.params).map(([k, p]) => [k, p.default]),
          ),
          ...r.params,
        })
      : scenarios[r.scenario]!,
    policy: policies[r.policy ?? 'nopin']!,
    faults: parseFaults(r.faults ?? ''),
    hvo: r.hvo ?? false,
    withoutPageExt: r.withoutPageExt ?? false,
    mutations: new Set(r.mutations ?? []),
    ...(r.tree ? { tree: r.tree } : {}),
  });
  return r.only
    ? { ...model, liveness: model.liveness!.filter((p) => r.only!.includes(p.name)) }
    : model;
}

export function run(r: Run, options: CheckOptions = {}) {
  const model = system(r);
  return { model, result: check(model, options) };
}

/** `process:action` of each step of a counterexample. */
export function steps(trace: { process: string | null; action: string | null }[]): string[] {
  return trace.map((t) => (t.action ? `${t.process}:${t.action}` : 'init'));
}

/** Every transition of a small model, breadth-first from its initial states: each reachable
 * state with each of its successors (for models of a few thousand states). */
export function* transitions(model: Model): Generator<{ s: State; action: number; next: State }> {
  const expander = new Expander(model);
  const seen = new Set<string>();
  const queue = model.initial();
  for (const s of queue) seen.add(Buffer.from(s).toString('latin1'));
  while (queue.length) {
    const s = queue.pop()!;
    for (const { action, next } of expander.of(s, () => true)) {
      yield { s, action, next };
      const key = Buffer.from(next).toString('latin1');
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
}

/** The call text of every step taken from every reachable state of a small model. */
export function callsReached(model: Model): Set<string> {
  const calls = new Set<string>();
  for (const { s, action, next } of transitions(model))
    calls.add(model.actions[action]!.explain?.(s, next) ?? '');
  return calls;
}

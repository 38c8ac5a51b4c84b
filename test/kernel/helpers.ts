import { check, type CheckOptions, type Model } from '../../src/engine/index.js';
import { buildSystem, parseFaults, type Mutation } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { scenarios } from '../../src/scenarios/index.js';

export interface Run {
  scenario: string;
  policy?: string;
  faults?: string;
  mutations?: Mutation[];
  /** keep only these liveness properties */
  only?: string[];
}

export function system(r: Run): Model {
  const model = buildSystem({
    scenario: scenarios[r.scenario]!,
    policy: policies[r.policy ?? 'nopin']!,
    faults: parseFaults(r.faults ?? ''),
    hvo: false,
    mutations: new Set(r.mutations ?? []),
  });
  return r.only ? { ...model, liveness: model.liveness!.filter((p) => r.only!.includes(p.name)) } : model;
}

export function run(r: Run, options: CheckOptions = {}) {
  const model = system(r);
  return { model, result: check(model, options) };
}

/** `process:action` of each step of a counterexample. */
export function steps(trace: { process: string | null; action: string | null }[]): string[] {
  return trace.map((t) => (t.action ? `${t.process}:${t.action}` : 'init'));
}

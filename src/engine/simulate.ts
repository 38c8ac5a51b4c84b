import { ModelError } from './errors.js';
import type { Model, State } from './model.js';
import { Expander } from './successors.js';
import { step, type Counterexample, type TraceStep } from './trace.js';

export interface SimulateOptions {
  readonly runs: number;
  readonly depth: number;
  readonly seed: number;
  readonly deadlock?: boolean;
}

export interface SimulateResult {
  readonly result: 'ok' | 'violation';
  readonly runs: number;
  readonly steps: number;
  readonly seconds: number;
  readonly seed: number;
  readonly violation?: Counterexample;
  /** the steps of the last run (the violating one, if any) */
  readonly lastRun: TraceStep[];
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same runs. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random simulation: `runs` random walks of at most `depth` steps, each step chosen uniformly
 * among all successors; every state is checked against the safety invariants (findings
 * included) and for deadlock. Stops at the first violation.
 */
export function simulate(model: Model, options: SimulateOptions): SimulateResult {
  const started = performance.now();
  const rand = random(options.seed);
  const expander = new Expander(model);
  const initial = model.initial();
  if (initial.length === 0) throw new ModelError('initial() returned no states');
  let steps = 0;
  let trace: TraceStep[] = [];
  for (let run = 0; run < options.runs; run++) {
    let s: State = initial[Math.floor(rand() * initial.length)]!.slice();
    trace = [step(model.actions, -1, s)];
    for (let d = 0; ; d++) {
      const bad = (model.invariants ?? []).find((inv) => !inv.check(s));
      if (bad)
        return done('violation', run + 1, {
          kind: bad.severity === 'finding' ? (bad.findingKind ?? 'finding') : 'invariant',
          property: bad.name,
          doc: bad.doc,
          trace,
        });
      if (d === options.depth || (model.constraint && !model.constraint(s))) break;
      const next = expander.of(s);
      if (next.length === 0) {
        if ((options.deadlock ?? model.deadlock ?? true) && !model.isFinal?.(s)) {
          return done('violation', run + 1, {
            kind: 'deadlock',
            property: 'deadlock',
            doc: 'A state with no successors that the model does not call final.',
            trace,
          });
        }
        break;
      }
      const chosen = next[Math.floor(rand() * next.length)]!;
      s = chosen.next;
      trace.push(step(model.actions, chosen.action, s));
      steps++;
    }
  }
  return done('ok', options.runs);

  function done(
    result: 'ok' | 'violation',
    runs: number,
    violation?: Counterexample,
  ): SimulateResult {
    return {
      result,
      runs,
      steps,
      seconds: (performance.now() - started) / 1000,
      seed: options.seed,
      ...(violation ? { violation } : {}),
      lastRun: trace,
    };
  }
}

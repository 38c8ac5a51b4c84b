import { check } from './check.js';
import type { Model, State } from './model.js';
import { Expander } from './successors.js';
import { step, type Counterexample, type TraceStep } from './trace.js';

export interface Shrunk {
  readonly counterexample: Counterexample;
  /** `bfs`: a shortest counterexample of the same property; `delta`: steps removed from the
   * found one (delta debugging with replay); `none`: neither made it shorter */
  readonly method: 'bfs' | 'delta' | 'none';
  /** steps before and after */
  readonly before: number;
  readonly after: number;
}

/** Distinct states the breadth-first search may visit before shrinking falls back to delta
 * debugging: enough for the bundled examples and scenarios, bounded for larger models. */
export const SHRINK_MAX_STATES = 200_000;

/**
 * Shortens a safety counterexample (an invariant, a finding or a deadlock) found by a random
 * or depth-first search. First a breadth-first search no deeper than the counterexample, for
 * the same property only: the shortest counterexample there is, if the search fits in
 * `maxStates`. Otherwise delta debugging: remove runs of steps, halving their length, and keep
 * a removal when replaying the remaining actions from the same initial state still breaks the
 * property (the replay stops where it first breaks, which can shorten it further).
 */
export function shrink(model: Model, c: Counterexample, maxStates = SHRINK_MAX_STATES): Shrunk {
  const before = c.trace.length - 1;
  const result = (counterexample: Counterexample, method: Shrunk['method']): Shrunk => ({
    counterexample,
    method,
    before,
    after: counterexample.trace.length - 1,
  });
  if (c.loopStart !== undefined || before <= 1) return result(c, 'none');
  const bfs = shortest(model, c, before, maxStates);
  if (bfs) return result(bfs, bfs.trace.length < c.trace.length ? 'bfs' : 'none');
  const delta = deltaDebug(model, c);
  return result(delta, delta.trace.length < c.trace.length ? 'delta' : 'none');
}

/** The property alone, so the search stops at it and nothing else. The model is extended, not
 * copied: its fields may live on its prototype (a class, or a checked user model). */
function onlyProperty(model: Model, c: Counterexample): Model {
  const invariants = (model.invariants ?? []).filter(
    (i) => c.kind !== 'deadlock' && i.name === c.property,
  );
  return Object.assign(Object.create(model) as Model, { invariants, liveness: [] });
}

function shortest(
  model: Model,
  c: Counterexample,
  depth: number,
  maxStates: number,
): Counterexample | undefined {
  const r = check(onlyProperty(model, c), {
    maxDepth: depth,
    maxStates,
    deadlock: c.kind === 'deadlock',
    liveness: false,
  });
  const found = r.violation ?? r.findings[0];
  return found && found.property === c.property ? { ...c, trace: found.trace } : undefined;
}

/** Whether `s` shows the counterexample's property broken. */
function breaks(model: Model, c: Counterexample, s: State, expander: Expander): boolean {
  if (c.kind === 'deadlock') return expander.of(s).length === 0 && !model.isFinal?.(s);
  const inv = model.invariants?.find((i) => i.name === c.property);
  return inv !== undefined && !inv.check(s);
}

/** Replays `actions` from `initial`, each step by the first successor its action gives; the trace
 * up to the first state that breaks the property, or undefined if none does. */
function replayActions(
  model: Model,
  c: Counterexample,
  initial: State,
  actions: number[],
  expander: Expander,
): TraceStep[] | undefined {
  let s = initial;
  const trace: TraceStep[] = [step(model.actions, -1, s)];
  for (const a of actions) {
    const next = expander.of(s, (_, k) => k === a)[0];
    if (!next) return undefined;
    s = next.next;
    trace.push(step(model.actions, a, s));
    if (breaks(model, c, s, expander)) return trace;
  }
  return undefined;
}

function deltaDebug(model: Model, c: Counterexample): Counterexample {
  const expander = new Expander(model);
  const initial = c.trace[0]!.state;
  let best = c.trace;
  for (let chunk = Math.floor((best.length - 1) / 2); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let at = 1; at + chunk <= best.length;) {
      const actions = [...best.slice(1, at), ...best.slice(at + chunk)].map((t) => t.actionIndex);
      const shorter = replayActions(model, c, initial, actions, expander);
      if (shorter && shorter.length < best.length) best = shorter;
      // Short runs are tried at every position: a step and the one that undoes it (a TD exit and
      // the next entry) are rarely aligned to a multiple of two.
      else at += chunk <= 4 ? 1 : chunk;
    }
  }
  return { ...c, trace: best };
}

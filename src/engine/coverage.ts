import type { Model } from './model.js';
import type { StateStore } from './store.js';
import { Expander } from './successors.js';
import { actionLabel, INITIAL } from './trace.js';

/** What one action did in a search. */
export interface ActionCoverage {
  /** `name@process`, and ` #k` when the process has several steps of that name (the k-th) */
  readonly label: string;
  readonly name: string;
  readonly process?: string;
  /** successors it generated (transitions, known states included) */
  readonly fired: number;
  /** states it found first (each state is found by exactly one action, or is initial) */
  readonly newStates: number;
  /** milliseconds its `next` took over every expanded state, in a second pass after the search */
  readonly ms: number;
}

export interface Coverage {
  readonly actions: ActionCoverage[];
  /** the labels of the actions that never fired in this run */
  readonly neverEnabled: string[];
}

/**
 * Coverage of a finished search: `fired` was counted by the search (only when asked for); the
 * new states come from the store (the action that first reached each state); the time per
 * action from running each action alone over the `expanded` states again (twice: the first warms
 * the compiler up), so the search itself carries no timer.
 */
export function coverageOf(
  model: Model,
  store: StateStore,
  fired: Float64Array,
  expanded: number,
): Coverage {
  const found = new Float64Array(model.actions.length);
  for (let id = 0; id < store.count; id++) if (store.via[id] !== INITIAL) found[store.via[id]!]++;
  const states = Array.from({ length: expanded }, (_, id) => store.get(id)).filter(
    (s) => !model.constraint || model.constraint(s),
  );
  const expander = new Expander(model);
  const labels = distinctLabels(model);
  const timed = (i: number) => {
    const started = performance.now();
    for (const s of states) expander.of(s, (_, k) => k === i);
    return performance.now() - started;
  };
  // The first pass warms the compiler up; the second is timed.
  model.actions.forEach((_, i) => timed(i));
  const actions = model.actions.map((a, i): ActionCoverage => ({
    label: labels[i]!,
    name: a.name,
    ...(a.process !== undefined ? { process: a.process } : {}),
    fired: fired[i]!,
    newStates: found[i]!,
    ms: Math.round(timed(i) * 1000) / 1000,
  }));
  return { actions, neverEnabled: actions.filter((a) => a.fired === 0).map((a) => a.label) };
}

/** Each action's label, numbered where a process has several steps of one name. */
function distinctLabels(model: Model): string[] {
  const labels = model.actions.map(actionLabel);
  const seen = new Map<string, number>();
  return labels.map((l) => {
    if (labels.indexOf(l) === labels.lastIndexOf(l)) return l;
    const k = (seen.get(l) ?? 0) + 1;
    seen.set(l, k);
    return `${l} #${k}`;
  });
}

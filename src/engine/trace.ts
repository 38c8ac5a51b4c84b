import { ModelError } from './errors.js';
import type { Action, Model, State } from './model.js';

/** One step of a counterexample: the action that led to `state` (none for the first state). */
export interface TraceStep {
  readonly action: string | null;
  readonly process: string | null;
  /** index into the model's actions, -1 for an initial state */
  readonly actionIndex: number;
  readonly state: State;
}

export interface Counterexample {
  /** `invariant`, `deadlock`, `liveness`, or a finding's kind (such as `leak`) */
  readonly kind: string;
  readonly property: string;
  readonly doc: string;
  readonly trace: TraceStep[];
  /** For a lasso: the last step leads back to the state at this index. */
  readonly loopStart?: number;
  /** The fairness conditions the lasso respects. */
  readonly fairness?: string[];
}

export const INITIAL = 0xffff;

export function step(actions: readonly Action[], actionIndex: number, state: State): TraceStep {
  const action = actionIndex === INITIAL || actionIndex < 0 ? undefined : actions[actionIndex];
  return {
    action: action?.name ?? null,
    process: action?.process ?? null,
    actionIndex: action ? actionIndex : -1,
    state,
  };
}

/** Human label of an action for fairness lists and messages: `name@process`. */
export function actionLabel(a: Action): string {
  return a.process ? `${a.name}@${a.process}` : a.name;
}

/** The model's readable view of a state, or its raw variables. */
export function viewState(model: Model, s: State): Record<string, unknown> {
  if (model.view) {
    const view: unknown = model.view(s);
    if (typeof view !== 'object' || view === null)
      throw new ModelError(
        `view() returned ${view === null ? 'null' : typeof view}, not an object of facts`,
      );
    return view as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  s.forEach((v, i) => (out[`v${i}`] = v));
  return out;
}

/** The variables of a view that differ between two states, as `name: before -> after`. */
export function diffViews(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  const out: string[] = [];
  for (const key of Object.keys(after)) {
    const a = formatValue(before[key]);
    const b = formatValue(after[key]);
    if (a !== b) out.push(`${key}: ${a} -> ${b}`);
  }
  return out;
}

/** A view's value in a trace line: strings as they are, anything else as JSON. */
export function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '-' : JSON.stringify(v);
}

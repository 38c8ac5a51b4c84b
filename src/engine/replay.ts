import type { Action, Model, State } from './model.js';
import { Expander } from './successors.js';
import { diffViews, viewState } from './trace.js';

/** A recorded step: the action and process that took it, and the state it reached as viewed. */
export interface RecordedStep {
  readonly action: string | null;
  readonly process: string | null;
  readonly state: Record<string, unknown>;
}

export type ReplayResult =
  | { readonly ok: true; readonly states: State[] }
  | { readonly ok: false; readonly step: number; readonly reason: string };

/**
 * Re-executes a recorded trace against a model: the first state must be an initial state, and
 * each step must be a successor under an action of the same name and process. States are
 * compared by the model's view, so a trace survives changes to how the model lays out its state.
 */
export function replay(model: Model, steps: readonly RecordedStep[]): ReplayResult {
  const key = (s: State) => JSON.stringify(viewState(model, s));
  const want = (i: number) => JSON.stringify(steps[i]!.state);
  if (steps.length === 0) return { ok: false, step: 0, reason: 'the trace has no steps' };
  const first = model.initial().find((s) => key(s) === want(0));
  if (!first)
    return {
      ok: false,
      step: 0,
      reason: `no initial state of the model is this one (${closest(model, model.initial(), steps[0]!.state)})`,
    };
  const states: State[] = [first];
  const expander = new Expander(model);
  for (let i = 1; i < steps.length; i++) {
    const { action, process } = steps[i]!;
    const label = `${process ?? '-'} ${action}`;
    const named = (a: Action) => a.name === action && (a.process ?? null) === process;
    if (!model.actions.some(named))
      return {
        ok: false,
        step: i,
        reason: `the model has no action "${action}" of process ${process ?? '(none)'}`,
      };
    const successors = expander.of(states[i - 1]!, named).map((s) => s.next);
    if (successors.length === 0)
      return { ok: false, step: i, reason: `${label} is not enabled in the state before it` };
    const next = successors.find((s) => key(s) === want(i));
    if (!next)
      return {
        ok: false,
        step: i,
        reason: `${label} leads elsewhere: ${closest(model, successors, steps[i]!.state)}`,
      };
    states.push(next);
  }
  return { ok: true, states };
}

/** How the nearest candidate differs from the recorded state. */
function closest(model: Model, candidates: State[], recorded: Record<string, unknown>): string {
  let best: string[] | undefined;
  for (const s of candidates) {
    const diff = diffViews(recorded, viewState(model, s));
    if (!best || diff.length < best.length) best = diff;
  }
  return best && best.length ? `recorded -> model: ${best.join('; ')}` : 'no candidate';
}

/** What a replayed counterexample claims. */
export interface Claim {
  readonly kind: string;
  readonly property: string;
  readonly loopStart?: number;
}

/**
 * Does the replayed run still show what it claims? An invariant or a finding must fail in the
 * last state; a deadlock must have no successor there; a liveness lasso must close on its loop
 * state and never pay the property from where it was owed. Returns why not, or undefined.
 */
export function stillViolates(
  model: Model,
  states: readonly State[],
  claim: Claim,
): string | undefined {
  const last = states[states.length - 1]!;
  if (claim.kind === 'deadlock') {
    return new Expander(model).of(last).length > 0
      ? 'the last state has successors now: no deadlock'
      : undefined;
  }
  if (claim.kind === 'liveness') {
    const prop = model.liveness?.find((p) => p.name === claim.property);
    if (!prop) return `the model has no liveness property "${claim.property}"`;
    const loop = claim.loopStart ?? -1;
    if (loop < 0 || loop >= states.length) return 'the trace has no loop';
    if (JSON.stringify(viewState(model, last)) !== JSON.stringify(viewState(model, states[loop]!)))
      return `the last step does not lead back to step ${loop}`;
    const cycle = states.slice(loop);
    if (prop.kind === 'eventually')
      return states.some((s) => prop.p(s)) ? `${claim.property} is paid on the way` : undefined;
    if (prop.kind === 'alwaysEventually')
      return cycle.some((s) => prop.p(s)) ? `${claim.property} is paid inside the loop` : undefined;
    const q = prop.q!;
    for (let i = 0; i < states.length; i++) {
      if (prop.p(states[i]!) && !states.slice(i).some((s) => q(s)) && !cycle.some((s) => q(s)))
        return undefined;
    }
    return `${claim.property} is paid after every state that owes it`;
  }
  const inv = model.invariants?.find((i) => i.name === claim.property);
  if (!inv) return `the model has no invariant "${claim.property}"`;
  return inv.check(last) ? `${claim.property} holds in the last state now` : undefined;
}

import { ModelError } from './errors.js';
import type { LoggedEvent, Model, Observation, State } from './model.js';
import { Expander } from './successors.js';
import type { TraceStep } from './trace.js';

export type { LoggedEvent } from './model.js';

export type ValidationResult =
  | {
      readonly valid: true;
      readonly matched: number;
      readonly ignored: number;
      readonly explored: number;
    }
  | {
      readonly valid: false;
      /** index (in the log) of the first event the model cannot explain */
      readonly index: number;
      readonly matched: number;
      readonly ignored: number;
      readonly explored: number;
      /** a state the run can be in just before that event */
      readonly state: State;
      /** the events the model would have allowed there */
      readonly allowed: Observation[];
    };

/** A search node: a state, and the events its last step showed that the log has yet to show. */
interface Node {
  readonly state: State;
  readonly pending: readonly Observation[];
}

/** Does a logged event show this observation? Arguments both have must agree; results as the
 * model compares them (by default, equal as strings). */
export function matches(
  o: Observation,
  e: LoggedEvent,
  model?: Pick<Model, 'sameResult'>,
): boolean {
  if (o.fn !== e.fn) return false;
  if (o.ret !== undefined && e.ret !== undefined) {
    if (!(model?.sameResult ? model.sameResult(o.ret, e.ret) : String(o.ret) === String(e.ret)))
      return false;
  }
  for (const [k, v] of Object.entries(o.args ?? {}))
    if (e.args?.[k] !== undefined && e.args[k] !== v) return false;
  return true;
}

/**
 * Trace validation: is the log one of the model's behaviours? Steps the log cannot show (a lock
 * taken, a guest access, an unlogged reference) are searched for between the logged events; a
 * step that shows several events must show them in a row. Answers how many events matched, or
 * the first event no behaviour explains, with a state just before it and what could have come.
 */
export function validate(
  model: Model,
  log: readonly LoggedEvent[],
  maxStates = 200_000,
): ValidationResult {
  const known = model.observes ? new Set(model.observes) : undefined;
  const positions = log.flatMap((e, i) => (!known || known.has(e.fn) ? [i] : []));
  const events = positions.map((i) => log[i]!);
  const ignored = log.length - events.length;
  const expander = new Expander(model);
  const key = (n: Node) =>
    `${String.fromCharCode(...n.state)}|${n.pending.map((o) => o.fn).join(',')}`;
  let explored = 0;

  /** Every step from `s`, with what it shows. */
  const steps = (s: State) =>
    expander
      .of(s)
      .map(({ action, next }) => ({ next, seen: model.actions[action]!.observe?.(s, next) ?? [] }));

  /** Everything reachable by silent steps (nodes with pending events wait for the log). */
  const closure = (frontier: Node[]): Node[] => {
    const seen = new Map<string, Node>();
    const queue: Node[] = [];
    for (const n of frontier) {
      if (seen.has(key(n))) continue;
      seen.set(key(n), n);
      queue.push(n);
    }
    for (let h = 0; h < queue.length; h++) {
      const n = queue[h]!;
      if (n.pending.length > 0) continue;
      for (const { next, seen: shown } of steps(n.state)) {
        if (shown.length > 0) continue;
        const m = { state: next, pending: [] };
        if (seen.has(key(m))) continue;
        if (++explored > maxStates)
          throw new ModelError(
            `validation explored more than ${maxStates} states between two events`,
          );
        seen.set(key(m), m);
        queue.push(m);
      }
    }
    return queue;
  };

  let frontier: Node[] = model.initial().map((state) => ({ state, pending: [] }));
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const here = closure(frontier);
    const next = new Map<string, Node>();
    for (const n of here) {
      if (n.pending.length > 0) {
        if (matches(n.pending[0]!, e, model)) {
          const m = { state: n.state, pending: n.pending.slice(1) };
          next.set(key(m), m);
        }
        continue;
      }
      for (const { next: t, seen } of steps(n.state)) {
        if (seen.length === 0 || !matches(seen[0]!, e, model)) continue;
        const m = { state: t, pending: seen.slice(1) };
        next.set(key(m), m);
      }
    }
    if (next.size === 0) {
      const allowed = new Map<string, Observation>();
      for (const n of here) {
        const candidates =
          n.pending.length > 0
            ? [n.pending[0]!]
            : steps(n.state).flatMap((s) => s.seen.slice(0, 1));
        for (const o of candidates) allowed.set(JSON.stringify(o), o);
      }
      return {
        valid: false,
        index: positions[i]!,
        matched: i,
        ignored,
        explored,
        state: here[0]!.state,
        allowed: [...allowed.values()].slice(0, 12),
      };
    }
    frontier = [...next.values()];
  }
  return { valid: true, matched: events.length, ignored, explored };
}

/** What a tracer would have logged of a run (for tests, and to see what a capture looks like). */
export function observeRun(
  model: Model,
  trace: readonly TraceStep[],
  cpuOf: (process: string | null) => number = () => 0,
): LoggedEvent[] {
  const out: LoggedEvent[] = [];
  for (let i = 1; i < trace.length; i++) {
    const t = trace[i]!;
    const action = model.actions[t.actionIndex];
    for (const o of action?.observe?.(trace[i - 1]!.state, t.state) ?? []) {
      out.push({ ts: out.length * 1000, cpu: cpuOf(t.process), task: t.process ?? '', ...o });
    }
  }
  return out;
}

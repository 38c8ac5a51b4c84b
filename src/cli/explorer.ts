import {
  diffViews,
  Expander,
  replay,
  traceStep,
  viewState,
  type Model,
  type RecordedStep,
  type State,
  type TraceStep,
} from '../engine/index.js';
import { InputError } from './input-error.js';
import { traceDoc, type TraceDoc, type TraceTarget } from './trace-doc.js';

/** The longest path a request may name: each request replays its path, so this bounds its work. */
export const MAX_PATH = 2000;

/** A step the explorer offers: the successor's index, what it is, and what it changes. */
export interface EnabledStep {
  readonly index: number;
  readonly action: string;
  readonly process: string | null;
  readonly where?: string;
  readonly call?: string;
  readonly changes: string[];
}

export interface Explored {
  /** the path so far, as a trace (kind `path`, or the invariant its last state breaks) */
  readonly trace: TraceDoc;
  readonly path: number[];
  readonly enabled: EnabledStep[];
}

/**
 * Interactive exploration of one model, fixed when the view starts: a path is the list of
 * choices made from the initial state, each the index of a successor in the order the model's
 * actions give them. Every request names its whole path and is replayed, so the server keeps
 * nothing per client and a request's work is bounded by MAX_PATH steps.
 */
export class Explorer {
  private readonly expander: Expander;

  constructor(
    readonly model: Model,
    readonly title: string,
    readonly target: TraceTarget,
    readonly start: readonly number[] = [],
  ) {
    this.expander = new Expander(model);
  }

  /** The explorer starting at the end of a trace (replayed against the model first). */
  static fromTrace(
    model: Model,
    title: string,
    target: TraceTarget,
    steps: readonly RecordedStep[],
    file: string,
  ): Explorer {
    const r = replay(model, steps);
    if (!r.ok)
      throw new InputError(`${file}: step ${r.step} no longer fits the model: ${r.reason}`);
    const explorer = new Explorer(model, title, target);
    const view = (s: State) => JSON.stringify(viewState(model, s));
    const path = r.states.slice(1).map((s, i) => {
      const { action, process } = steps[i + 1]!;
      return explorer.expander
        .of(r.states[i]!)
        .findIndex(
          (n) =>
            model.actions[n.action]!.name === action &&
            (model.actions[n.action]!.process ?? null) === process &&
            view(n.next) === view(s),
        );
    });
    return new Explorer(model, title, target, path);
  }

  /** "0.3.1" -> [0, 3, 1], refused when it is not a path or longer than MAX_PATH. */
  static parsePath(text: string): number[] {
    if (text === '') return [];
    const parts = text.split('.');
    if (parts.length > MAX_PATH)
      throw new InputError(`path: ${parts.length} steps; at most ${MAX_PATH}`);
    if (parts.some((p) => !/^\d{1,6}$/.test(p)))
      throw new InputError(`path: "${text}" is not a list of successor indices like 0.3.1`);
    return parts.map(Number);
  }

  at(path: readonly number[]): Explored {
    const { model } = this;
    if (path.length > MAX_PATH)
      throw new InputError(`path: ${path.length} steps; at most ${MAX_PATH}`);
    // Paths start at the first initial state: every bundled model and scenario has one.
    const initial = model.initial()[0]!;
    const trace: TraceStep[] = [traceStep(model.actions, -1, initial)];
    let s = initial;
    path.forEach((k, i) => {
      const next = this.expander.of(s)[k];
      if (!next)
        throw new InputError(
          `path: step ${i + 1} picks successor ${k}, but only ${this.expander.of(s).length} are enabled there`,
        );
      s = next.next;
      trace.push(traceStep(model.actions, next.action, s));
    });
    const before = viewState(model, s);
    const enabled = this.expander.of(s).map(({ action, next }, index): EnabledStep => {
      const a = model.actions[action]!;
      const call = a.explain?.(s, next);
      return {
        index,
        action: a.name,
        process: a.process ?? null,
        ...(a.where ? { where: a.where } : {}),
        ...(call ? { call } : {}),
        changes: diffViews(before, viewState(model, next)),
      };
    });
    const broken = model.invariants?.find((inv) => !inv.check(s));
    const claim = broken
      ? {
          kind: broken.severity === 'finding' ? (broken.findingKind ?? 'finding') : 'invariant',
          property: broken.name,
          doc: broken.doc,
        }
      : {
          kind: 'path',
          property: '',
          doc: 'A path picked step by step in septcheck view --explore.',
        };
    return {
      trace: traceDoc(model, { ...claim, trace }, this.title, this.target),
      path: [...path],
      enabled,
    };
  }
}

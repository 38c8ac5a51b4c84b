import type { Action, Fairness, Observation, State, Successors } from '../engine/index.js';

export interface StepSpec {
  readonly process: string;
  /** the kernel function or SEAMCALL the step stands for */
  readonly fn: string;
  /** the file it lives in, relative to the kernel tree */
  readonly file: string;
  readonly fairness?: Fairness;
  /** Writes one successor per possible result; none when the step's preconditions fail. */
  next(s: State, out: Successors): void;
  /** What the step did, for the trace: the call, its arguments and its result. */
  call?(before: State, after: State): string;
  /** What a tracer on a real host sees of the step (tools/septcheck-trace.bt). */
  observe?(before: State, after: State): readonly Observation[];
}

/** A step of a kernel path: one atomic move from one label of the real code to the next. */
export function kernelStep(spec: StepSpec): Action {
  return {
    name: spec.fn,
    process: spec.process,
    ...(spec.fairness ? { fairness: spec.fairness } : {}),
    next: spec.next,
    where: spec.file,
    ...(spec.call ? { explain: spec.call } : {}),
    ...(spec.observe ? { observe: spec.observe } : {}),
  };
}

export const gpa = (gfn: number) => `0x${(gfn * 0x1000).toString(16)}`;

import type { Action, Fairness, Observation, State, Successors } from '../engine/index.js';

/** A variable and the value a step needs it to have. */
export type Condition = readonly [variable: number, value: number];

export interface StepSpec {
  readonly process: string;
  /** the kernel function or SEAMCALL the step stands for */
  readonly fn: string;
  /** the file it lives in, relative to the kernel tree */
  readonly file: string;
  readonly fairness?: Fairness;
  /** The step's process is at this label: [variable, value] of its program counter. */
  readonly at?: Condition;
  /** Other variables' values the step needs (a lock free, a flag clear). The engine tests
   * these and `at` before calling `next`, which need not test them again. */
  readonly requires?: readonly Condition[];
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
    ...(spec.at || spec.requires ? { guard: [...(spec.at ? [spec.at] : []), ...(spec.requires ?? [])] } : {}),
    next: spec.next,
    where: spec.file,
    ...(spec.call ? { explain: spec.call } : {}),
    ...(spec.observe ? { observe: spec.observe } : {}),
  };
}

export const gpa = (gfn: number) => `0x${(gfn * 0x1000).toString(16)}`;

import type { Action, Fairness, Observation, State, Successors } from '../engine/index.js';
import { assertHeld, type HeldLock } from './locks.js';

/** A variable and the value a step needs it to have. */
export type Condition = readonly [variable: number, value: number];

/**
 * One step of a kernel path, declared at its top: the process, the kernel function it stands
 * for and its file; its label (`at`) and what else it needs (`requires`); the locks the real
 * code holds there (`holds`, asserted as lockdep would); and its footprint: the variables it
 * may read and write (Kernel.frames / vcpuFields / scalars make the lists).
 */
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
  /** Locks the real code holds at this label: asserted before the step runs. */
  readonly holds?: readonly HeldLock[];
  /** Variables the step may read beyond `at`, `requires`, `holds` and its writes. */
  readonly reads: readonly number[];
  /** Variables the step may write, in any of its successors. */
  readonly writes: readonly number[];
  /** Writes one successor per possible result; none when the step's preconditions fail. */
  next(s: State, out: Successors): void;
  /** What the step did, for the trace: the call, its arguments and its result. */
  call?(before: State, after: State): string;
  /** What a tracer on a real host sees of the step (tools/septcheck-trace.bt). */
  observe?(before: State, after: State): readonly Observation[];
}

/** A step of a kernel path: one atomic move from one label of the real code to the next. */
export function kernelStep(spec: StepSpec): Action {
  const guard = [...(spec.at ? [spec.at] : []), ...(spec.requires ?? [])];
  const holds = spec.holds ?? [];
  const body = spec.next;
  const next =
    holds.length === 0
      ? body
      : (s: State, out: Successors) => {
          for (const lock of holds) assertHeld(lock, s);
          body(s, out);
        };
  const reads = new Set([
    ...guard.map(([x]) => x),
    ...holds.map((l) => l.variable),
    ...spec.reads,
    ...spec.writes,
  ]);
  return {
    name: spec.fn,
    process: spec.process,
    ...(spec.fairness ? { fairness: spec.fairness } : {}),
    ...(guard.length ? { guard } : {}),
    reads: [...reads].sort((a, b) => a - b),
    writes: [...new Set(spec.writes)].sort((a, b) => a - b),
    next,
    where: spec.file,
    ...(spec.call ? { explain: spec.call } : {}),
    ...(spec.observe ? { observe: spec.observe } : {}),
  };
}

export const gpa = (gfn: number) => `0x${(gfn * 0x1000).toString(16)}`;

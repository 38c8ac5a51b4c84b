/**
 * A step of the VMM's script (vmm.ts, teardown.ts): enabled when its op is current and the VMM
 * is at its label; how an op ends and the next begins.
 */
import type { Action, Observation, State } from '../engine/index.js';
import type { VmmOp } from './config.js';
import type { Kernel } from './kernel.js';
import { VMM_DONE } from './programs.js';
import { kernelStep } from './step.js';
import { entryPc } from './vmm_script.js';

/** The op is over: on to the next one (or, with `any` op, back to choosing). */
export function advance(k: Kernel, t: State): void {
  const v = k.v;
  if (k.script.any) t[v.vmmOp] = k.script.current(t)?.op === 'teardown' ? VMM_DONE : 0;
  else t[v.vmmOp]!++;
  startOp(k, t);
  t[v.vmmCursor] = 0;
  t[v.vmmStatus] = 0;
}
/** What advance writes. */
export const advanceWrites = (k: Kernel) => [k.v.vmmOp, k.v.vmmPc, k.v.vmmCursor, k.v.vmmStatus];

/** The VMM takes up its current op, to begin it whenever it likes. */
export function startOp(k: Kernel, t: State): void {
  t[k.v.vmmPc] = entryPc(k.script.current(t));
}

/** A step of the VMM's script: enabled when op `op` is current, the VMM is at `at` and the
 * step is `ready`; strongly fair, as what it waits for (a free frame, a lock) is granted
 * fairly. It runs on the successor; its footprint adds to the script's (vmm.op, vmm.pc). */
export interface VmmStep {
  readonly op: VmmOp['op'];
  readonly at: number;
  readonly fn: string;
  readonly file: string;
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  ready?(s: State): boolean;
  run(s: State, t: State, op: VmmOp): void;
  call?(b: State, a: State): string;
  observe?(b: State, a: State): Observation[];
}

export function vmmStep(k: Kernel, step: VmmStep): Action {
  const v = k.v;
  const ready = step.ready;
  return kernelStep({
    process: 'vmm',
    fn: step.fn,
    file: step.file,
    fairness: 'strong',
    at: [v.vmmPc, step.at],
    reads: [v.vmmOp, ...step.reads],
    writes: step.writes,
    next(s, out) {
      const op = k.script.current(s);
      if (op?.op !== step.op || (ready && !ready(s))) return;
      step.run(s, out.next(), op);
    },
    ...(step.call ? { call: step.call } : {}),
    ...(step.observe ? { observe: step.observe } : {}),
  });
}

/** The GFN the current op names. */
export function opGfn(k: Kernel, s: State): number {
  const op = k.script.current(s);
  return op && 'gfn' in op ? op.gfn : 0;
}

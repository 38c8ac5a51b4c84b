/**
 * The VMM's operations as the model's steps ask about them on every state: which op is current,
 * where it starts, which GFNs it covers. Worked out once per scenario, so the questions the
 * guest's and the VMM's steps ask on every state cost an array read.
 */
import type { State } from '../engine/index.js';
import type { Scenario, VmmOp } from './config.js';
import { INV_LOCK, VMM_DONE, VMM_START, VMM_STOP_VCPUS } from './programs.js';
import { S } from './seam.js';

/** The GFNs an op names, as a bit mask. */
export const opRange = (op: VmmOp): number =>
  'gfns' in op ? op.gfns.reduce((m, g) => m | (1 << g), 0) : 'gfn' in op ? 1 << op.gfn : 0;

/** Where an op starts. */
export function entryPc(op: VmmOp | undefined): number {
  if (!op) return VMM_START;
  if (op.op === 'punch-hole' || op.op === 'to-shared') return INV_LOCK;
  if (op.op === 'teardown') return VMM_STOP_VCPUS;
  return VMM_START;
}

export class VmmScript {
  /** `any`: the ops are a menu (see Scenario.vmm) */
  readonly any: boolean;
  readonly ops: readonly VmmOp[];
  /** per op: its entry pc, and the GFNs it invalidates (teardown: all) */
  private readonly entry: Uint8Array;
  private readonly range: Int32Array;

  constructor(
    scenario: Scenario,
    private readonly opVar: number,
    private readonly pcVar: number,
    private readonly statusVar: number,
  ) {
    this.any = scenario.vmm === 'any';
    this.ops = scenario.ops;
    this.entry = Uint8Array.from(this.ops, entryPc);
    this.range = Int32Array.from(this.ops, (op) =>
      op.op === 'teardown' ? (1 << scenario.gfns) - 1 : opRange(op),
    );
  }

  /** The index of the current op, or -1 between ops (any) or after the last. */
  index(s: State): number {
    const op = s[this.opVar]!;
    if (this.any) return op === 0 || op === VMM_DONE ? -1 : op - 1;
    return op < this.ops.length ? op : -1;
  }

  current(s: State): VmmOp | undefined {
    const i = this.index(s);
    return i < 0 ? undefined : this.ops[i];
  }

  done(s: State): boolean {
    return this.any ? s[this.opVar] === VMM_DONE : s[this.opVar]! >= this.ops.length;
  }

  /** The GFNs the current op covers (teardown: every one), or 0. */
  currentRange(s: State): number {
    const i = this.index(s);
    return i < 0 ? 0 : this.range[i]!;
  }

  /** Has the VMM begun converting or discarding GFN `g` (so the guest has given it up)? A
   * punch back at its start to try again after -EAGAIN (guest_memfd.ts) still has (a
   * conversion to private retrying is at its start: the GFNs are shared until it succeeds). */
  holds(s: State, g: number): boolean {
    const i = this.index(s);
    if (i < 0) return false;
    const retrying = this.entry[i] === INV_LOCK && s[this.statusVar] === S.EAGAIN;
    if (s[this.pcVar] === this.entry[i] && !retrying) return false;
    return (this.range[i]! & (1 << g)) !== 0;
  }
}

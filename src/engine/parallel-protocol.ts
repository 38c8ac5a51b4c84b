import type { VisitedTable } from './visited.js';

/** What the main thread and the workers of the parallel search tell each other. */

/** How a worker builds the model: `(await import(url))[exportName](arg)`. */
export interface ModelRef {
  readonly url: string;
  readonly exportName: string;
  readonly arg: unknown;
  /** the deadlock option of the search, when given */
  readonly deadlock?: boolean;
}

/** Expand states [from, to) of the shared store (its blocks' buffers, store.ts). */
export interface ChunkJob {
  /** the blocks of the store that hold rows [from, to), from block `firstBlock` on */
  readonly blocks: readonly SharedArrayBuffer[];
  readonly firstBlock: number;
  readonly from: number;
  readonly to: number;
  /**
   * `all`: send every successor back (the edges of liveness need them all, and the main thread
   * knows their ids). `claim`: claim each successor in the shared visited table (visited.ts
   * `claim`) and send back only the states this chunk owns.
   */
  readonly mode: 'all' | 'claim';
  /** claim mode: the `owners` table, this chunk's owner number, the level's shared count of
   * new states, and the count at which to stop (the table is as full as it may get) */
  readonly visited?: VisitedTable;
  readonly chunk?: number;
  readonly inserts?: Int32Array;
  readonly limit?: number;
  /** rewrite each successor to its symmetry class's representative first */
  readonly symmetry: boolean;
  /** a merged chunk's buffer, handed back for this chunk's records (allocating one per chunk
   * costs, in zeroing and in garbage collection) */
  readonly buffer?: ArrayBuffer;
}

export interface ChunkResult {
  readonly count: number;
  /** successors the worker found already visited after its last record: transitions only */
  readonly skipped: number;
  /** where the worker stopped (`to` unless the table got full) */
  readonly stoppedAt: number;
  /** the most successors one state had */
  readonly branching: number;
  /** claim mode: fingerprints (hi, lo pairs) of the states this chunk took over from a later
   * chunk, whose records of them the main thread must drop */
  readonly taken: Int32Array;
  readonly buffer: ArrayBuffer;
}

/** A record's words before its state: */
export const REC_PARENT = 0;
export const REC_ACTION = 1; // or DEADLOCK
export const REC_HI = 2; // the fingerprint
export const REC_LO = 3;
export const REC_BROKEN = 4; // the first safety invariant it breaks + 1, or 0
export const REC_SKIPPED = 5; // successors found already visited since the previous record
export const REC_FINDINGS = 6; // bit i: it breaks the model's i-th finding invariant
export const REC_ORDINAL = 7; // which of its parent's successors it is (parents.ts)
export const RECORD_HEADER = 8;
/** The action of a record that marks its parent as a deadlock. */
export const DEADLOCK = -1;

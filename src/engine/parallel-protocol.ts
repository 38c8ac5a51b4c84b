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

/** Expand states [from, to) of the shared arena. */
export interface ChunkJob {
  readonly arena: SharedArrayBuffer;
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

/** Words before a record's state: parent, action, fingerprint hi and lo, violated invariant + 1,
 * and the successors found already visited since the previous record (transitions only, so
 * the count stops exactly where a violation does). */
export const RECORD_HEADER = 6;
/** The action of a record that marks its parent as a deadlock. */
export const DEADLOCK = -1;

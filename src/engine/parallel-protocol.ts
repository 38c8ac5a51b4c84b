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

/** Expand states [from, to) of the shared arena; successors already in the visited table (read
 * while the main thread may be adding to it) need not be sent back. */
export interface ChunkJob {
  readonly arena: SharedArrayBuffer;
  readonly from: number;
  readonly to: number;
  readonly visited: VisitedTable;
  /** words per slot of the visited table */
  readonly visitedSlot: number;
  /** send every successor back, visited or not (the edges of liveness need them) */
  readonly all: boolean;
  /** rewrite each successor to its symmetry class's representative first */
  readonly symmetry: boolean;
}

/** Words before a record's state: parent, action, fingerprint hi and lo, violated invariant. */
export const RECORD_HEADER = 5;
/** The action of a record that marks its parent as a deadlock. */
export const DEADLOCK = -1;

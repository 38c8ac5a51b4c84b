/** What the main thread and the workers of the parallel search tell each other (parallel.ts,
 * partition.ts). Every array here lives in a SharedArrayBuffer: a message hands it over without
 * a copy. */

/** How a worker builds the model: `(await import(url))[exportName](arg)`. */
export interface ModelRef {
  readonly url: string;
  readonly exportName: string;
  readonly arg: unknown;
  /** the deadlock option of the search, when given */
  readonly deadlock?: boolean;
}

/** A partition of the search: the states whose fingerprints it owns (`ownerOf`). */
export interface Part {
  /** its visited table (a plain one, visited.ts) and how many fingerprints it holds */
  readonly visited: Int32Array;
  readonly used: number;
  /** the states of the current level it owns, in the level's order: rows in blocks of
   * BLOCK_ROWS (store.ts), and each one's position in the level */
  readonly rows: Int32Array[];
  readonly count: number;
  readonly pos: Int32Array;
}

/** Expand a partition's states of the level. */
export interface ExpandJob {
  readonly kind: 'expand';
  /** the partition's number, and the partition */
  readonly index: number;
  readonly part: Part;
  /** how many partitions there are */
  readonly parts: number;
  /** rewrite each successor to its symmetry class's representative first */
  readonly symmetry: boolean;
  /** the bytes its outboxes may reach */
  readonly budget: number;
}

/** A partition's successors, one outbox per owner, each in the order of their keys (parent's
 * position in the level, ordinal). */
export interface Expanded {
  readonly out: Int32Array[];
  readonly counts: number[];
  /** per state expanded: the successors of this partition's states up to it, itself included */
  readonly ends: Int32Array;
  /** the position of the first state without successors (a deadlock), or -1; the states after
   * it are not expanded */
  readonly deadlock: number;
  /** the position of the state whose successors would have passed the budget, or -1; neither
   * it nor the states after it are expanded */
  readonly full: number;
}

/** Admit the new states among the successors sent to a partition (one inbox per partition that
 * expanded), in key order. `budget`: the bytes its table and new rows may reach. */
export interface AdmitJob {
  readonly kind: 'admit';
  readonly part: Part;
  readonly inboxes: readonly { readonly records: Int32Array; readonly count: number }[];
  readonly budget: number;
}

/** What stopped a partition's admission before its inboxes' end. */
export const STOP_NONE = 0;
export const STOP_VIOLATION = 1; // its last new state breaks safety invariant `broken`
export const STOP_MEMORY = 2; // the record of key `cut` did not fit in the budget

export interface Admitted {
  /** the partition with its next level: the new states, their positions to be filled in */
  readonly part: Part;
  /** each new state's key: its parent's position in the level, and its ordinal */
  readonly parent: Int32Array;
  readonly ordinal: Int32Array;
  readonly stop: number;
  readonly broken: number;
  readonly cut: readonly [number, number];
  /** per finding invariant, the first new state that fails it, or -1 */
  readonly findings: Int32Array;
  /** the bytes of its table, rows and arrays */
  readonly bytes: number;
}

/** A record of an outbox: its key, the fingerprint, then the state's words. */
export const REC_PARENT = 0;
export const REC_ORDINAL = 1;
export const REC_HI = 2;
export const REC_LO = 3;
export const RECORD_HEADER = 4;

/** The partition (of `parts`) that owns fingerprint (hi, ·): its high bits, which the visited
 * table's probe (its low bits) leaves alone. */
export const ownerOf = (hi: number, parts: number): number => ((hi >>> 16) * parts) >>> 16;

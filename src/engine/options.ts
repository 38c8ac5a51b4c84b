/** What a check is asked (bounds, liveness, symmetry) and what it answers. */
import type { Coverage } from './coverage.js';
import type { SpillOptions } from './spill.js';
import type { Counterexample } from './trace.js';

export interface CheckOptions {
  /** Stop (result `incomplete`) once this many distinct states are known. */
  readonly maxStates?: number;
  /** Do not expand states at this depth (result `incomplete` if any would have been). */
  readonly maxDepth?: number;
  /** Stop (result `incomplete`) before the checker's tables would grow past this many bytes. */
  readonly maxMemory?: number;
  /** With a safety search: when the memory bound is reached, move the queue's blocks to disk
   * (a directory of the run's own under `dir`, removed at the end) instead of stopping. */
  readonly spill?: SpillOptions;
  /** Report states without successors (default: the model's choice, else true). */
  readonly deadlock?: boolean;
  /** Check liveness properties (default true). */
  readonly liveness?: boolean;
  /** Apply the actions' fairness to liveness checks (default true). */
  readonly fairness?: boolean;
  /** Symmetry reduction with the model's `canonical` (liveness is then not checked: fairness
   * names processes, which the reduction swaps). */
  readonly symmetry?: boolean;
  /** Partial-order reduction (stubborn sets from the actions' footprints, por.ts): invariants
   * and deadlocks are checked on the reduced graph, liveness too unless an action is strongly
   * fair (then it is not checked). */
  readonly por?: boolean;
  /** Count, per action, the successors it generated and the states it found first (coverage.ts);
   * sequential search only. */
  readonly coverage?: boolean;
  readonly onProgress?: (p: Progress) => void;
}

export interface Progress {
  readonly states: number;
  readonly transitions: number;
  readonly queue: number;
  readonly depth: number;
  readonly seconds: number;
}

export type Outcome = 'ok' | 'violation' | 'incomplete';

export interface CheckResult {
  readonly result: Outcome;
  /** Which bound stopped an incomplete run. */
  readonly stoppedBy?: 'max-states' | 'max-depth' | 'max-memory' | 'max-disk';
  readonly distinctStates: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  readonly collisionProbability: number;
  /** The most bytes the run's tables held at once (the store with its queue, the visited
   * table, for liveness the edge table and the liveness check's arrays), per distinct state. */
  readonly bytesPerState: number;
  /** Bytes a visited state costs: its share of the visited table and its parent and ordinal in
   * the store (two bytes), and where every state is kept (liveness, coverage), its row. */
  readonly bytesPerVisitedState: number;
  /** Bytes a queued state costs: its row. */
  readonly bytesPerQueuedState: number;
  /** A search on threads: the CPU seconds each thread used (this one first), where the system
   * tells (thread-cpu.ts). Not in the command's report: the bench's measure of the threads. */
  readonly threadCpuSeconds?: readonly number[];
  /** With `spill`: the most bytes of the queue on disk at once. */
  readonly spilledBytes?: number;
  readonly violation?: Counterexample;
  /** With partial-order reduction: the properties checked on the reduced graph, and those not
   * checked at all (liveness, where an action is strongly fair). */
  readonly reduction?: {
    readonly method: 'stubborn-sets';
    readonly reduced: string[];
    readonly notChecked: string[];
  };
  /** Weaker results that did not stop the search (shortest counterexample each). */
  readonly findings: Counterexample[];
  /** With the `coverage` option. */
  readonly coverage?: Coverage;
}

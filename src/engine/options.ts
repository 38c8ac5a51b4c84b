/** What a check is asked (bounds, liveness, symmetry) and what it answers. */
import type { Coverage } from './coverage.js';
import type { Counterexample } from './trace.js';

export interface CheckOptions {
  /** Stop (result `incomplete`) once this many distinct states are known. */
  readonly maxStates?: number;
  /** Do not expand states at this depth (result `incomplete` if any would have been). */
  readonly maxDepth?: number;
  /** Stop (result `incomplete`) before the checker's tables would grow past this many bytes. */
  readonly maxMemory?: number;
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
   * and deadlocks are checked on the reduced graph; liveness is then not checked. */
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
  readonly stoppedBy?: 'max-states' | 'max-depth' | 'max-memory';
  readonly distinctStates: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  readonly collisionProbability: number;
  /** Bytes of the state store, visited table and (for liveness) edge table per distinct state. */
  readonly bytesPerState: number;
  /** Bytes a visited state costs: its row in the store and its share of the visited table. */
  readonly bytesPerVisitedState: number;
  /** Bytes a queued state costs: the queue is the unexpanded tail of the store, so its row. */
  readonly bytesPerQueuedState: number;
  readonly violation?: Counterexample;
  /** With partial-order reduction: the properties checked on the reduced graph, and those not
   * checked at all (liveness). */
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

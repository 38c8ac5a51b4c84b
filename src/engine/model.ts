/**
 * The model contract: what a model gives the checker.
 *
 * A state is a fixed-length vector of small integers (0..255), one byte per model variable,
 * the way SPIN's state vector is. The engine stores, hashes and compares these vectors; the
 * model only reads and writes its variables by index and never sees how states are kept.
 */
export type State = Uint8Array;

/** Where an action writes its successors. */
export interface Successors {
  /**
   * A fresh successor slot that starts as a copy of the state being expanded. Mutate it to
   * make the successor; every slot requested is one successor.
   */
  next(): State;
}

export type Fairness = 'weak' | 'strong';

/** What a step shows an outside observer, such as a tracing probe on a real system: a function,
 * its arguments and its result. */
export interface Observation {
  readonly fn: string;
  readonly args?: Readonly<Record<string, number>>;
  readonly ret?: number | string;
}

/** One line of a captured log: what a probe saw, when, where. */
export interface LoggedEvent extends Observation {
  readonly ts?: number;
  readonly cpu?: number;
  readonly task?: string;
}

export interface Action {
  /** Shown in traces; for a model of a system, the function the step stands for. */
  readonly name: string;
  /** The process that takes this step, if the model has processes. */
  readonly process?: string;
  /** Weak or strong fairness of this action (per action and process), used by liveness checks. */
  readonly fairness?: Fairness;
  /**
   * Preconditions the engine tests before it calls `next`: the action can only be enabled where
   * each listed variable has the listed value (its process's program counter, typically).
   * Elsewhere the engine skips it without a call, as SPIN's transition table skips the
   * statements of a process that is elsewhere; `next` need not test them again.
   */
  readonly guard?: readonly (readonly [variable: number, value: number])[];
  /**
   * The step's footprint for partial-order reduction: the variables (by index) it may read and
   * the ones it may write, guard variables included. Absent means it may touch any variable.
   */
  readonly reads?: readonly number[];
  readonly writes?: readonly number[];
  /** Writes every successor of `s` under this action into `out`; writes none when disabled.
   * Called only where `guard` holds. */
  next(s: State, out: Successors): void;
  /** Where the step lives (for the kernel model, the source file), for traces. */
  readonly where?: string;
  /** Optional one-line description of a step taken by this action, for traces. */
  explain?(before: State, after: State): string;
  /** What a step taken by this action shows a tracer, in order; none for a silent step. */
  observe?(before: State, after: State): readonly Observation[];
}

export interface Invariant {
  readonly name: string;
  /** One sentence: what a violation means. */
  readonly doc: string;
  check(s: State): boolean;
  /** The variables (by index) `check` reads, for partial-order reduction: a step that writes
   * none of them cannot change the verdict. Absent means it may read any. */
  readonly reads?: readonly number[];
  /**
   * `violation` (default) stops the search at the first, shortest, counterexample.
   * `finding` records the shortest counterexample and goes on: a weaker kind of result that
   * still fails the check (a deliberate leak, for example), reported under `findings`.
   */
  readonly severity?: 'violation' | 'finding';
  /** The kind reported for a finding (for example `leak`); defaults to `finding`. */
  readonly findingKind?: string;
}

export type LivenessKind = 'eventually' | 'leadsTo' | 'alwaysEventually';

export interface Liveness {
  readonly name: string;
  readonly doc: string;
  /** `eventually p`, `p leadsTo q` (always, p implies eventually q), `always eventually p`. */
  readonly kind: LivenessKind;
  p(s: State): boolean;
  /** Required for `leadsTo`. */
  q?(s: State): boolean;
  /** The variables (by index) `p` and `q` read, for partial-order reduction. Absent means they
   * may read any. */
  readonly reads?: readonly number[];
}

export interface Model {
  /** Number of byte variables in a state. */
  readonly stateSize: number;
  /** The initial states. */
  initial(): State[];
  readonly actions: readonly Action[];
  readonly invariants?: readonly Invariant[];
  readonly liveness?: readonly Liveness[];
  /** States outside the bound are checked but not expanded (TLC's state constraint). */
  constraint?(s: State): boolean;
  /** States where stopping is intended, so they are not deadlocks. */
  isFinal?(s: State): boolean;
  /**
   * Report states without successors as deadlocks (default true). A model whose liveness
   * properties already judge every stuck state (it stutters there forever) may say false, so a
   * hang is reported as the property it breaks.
   */
  readonly deadlock?: boolean;
  /** A readable view of a state for traces and JSON; defaults to the raw variables. */
  view?(s: State): Record<string, unknown>;
  /**
   * Symmetry: rewrites `s` in place to the representative of its class (for instance with
   * interchangeable processes sorted). Used only when a check asks for symmetry reduction; the
   * actions must treat the interchangeable parts alike.
   */
  canonical?(s: State): void;
  /** Every `fn` the actions' observations can show; logged events of other functions are not
   * the model's business and validation skips them. */
  readonly observes?: readonly string[];
  /** Does a step's result match a logged one (trace validation)? Default: equal as strings.
   * The model knows what its results are (a status whose low bits carry an operand id, say). */
  sameResult?(observed: number | string, logged: number | string): boolean;
  /** Renames a real system's addresses in a log to the model's (`validate --map-addresses`);
   * only the model knows which arguments are addresses and how they relate. */
  mapAddresses?(events: readonly LoggedEvent[]): LoggedEvent[];
}

export interface ParamSpec {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly doc: string;
  /** A parameter given by name: the names of its values 0..max (`--param accept=4k`); the
   * model gets the index. */
  readonly values?: readonly string[];
}

export type Params = Record<string, number>;

/** What a model file exports (as its default export): a named, parameterised model. */
export interface ModelDefinition {
  readonly name: string;
  readonly doc: string;
  readonly params?: Readonly<Record<string, ParamSpec>>;
  build(params: Params): Model;
}

/** Identity helper that gives a model file its types. */
export function defineModel(def: ModelDefinition): ModelDefinition {
  return def;
}

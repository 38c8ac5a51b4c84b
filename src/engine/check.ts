import { actionError, inModel, message, ModelError } from './errors.js';
import { collisionProbability, fingerprint, fp } from './fingerprint.js';
import { checkLiveness } from './liveness.js';
import type { Invariant, Model, State } from './model.js';
import { EdgeStore, StateStore } from './store.js';
import { SuccessorBuffer } from './successors.js';
import { INITIAL, step, type Counterexample } from './trace.js';
import { VisitedSet } from './visited.js';

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
  /** Bytes of the state store and visited table per distinct state. */
  readonly bytesPerState: number;
  readonly violation?: Counterexample;
  /** Weaker results that did not stop the search (shortest counterexample each). */
  readonly findings: Counterexample[];
}

/** Exhaustive breadth-first search: every invariant counterexample found is a shortest one. */
export function check(model: Model, options: CheckOptions = {}): CheckResult {
  const started = performance.now();
  const size = model.stateSize;
  const store = new StateStore(size);
  const stride = store.stride;
  const words = stride >> 2;
  const visited = new VisitedSet();
  const buf = new SuccessorBuffer(size, stride);
  const wantLiveness = options.liveness !== false && (model.liveness?.length ?? 0) > 0;
  const edges = wantLiveness ? new EdgeStore() : undefined;
  const actions = model.actions;
  if (actions.length >= INITIAL) throw new ModelError(`model has ${actions.length} actions; at most ${INITIAL - 1} are supported`);
  const safety = (model.invariants ?? []).filter((i) => i.severity !== 'finding');
  const findingProps = (model.invariants ?? []).filter((i) => i.severity === 'finding');
  const findings: Counterexample[] = [];
  const deadlock = options.deadlock ?? model.deadlock ?? true;
  const maxStates = options.maxStates ?? Infinity;
  const maxDepth = options.maxDepth ?? Infinity;
  const maxMemory = options.maxMemory ?? Infinity;
  /** The tables at their next doubling must fit in the budget, and each in one typed array
   * (V8 allows at most 2^32 bytes): checked every 4096 states. */
  const memoryLeft = () =>
    2 * (store.bytes + visited.bytes + (edges?.bytes ?? 0)) <= maxMemory && 2 * Math.max(store.arena.length, visited.bytes / 3, edges?.targets.byteLength ?? 0) <= 2 ** 32;

  let transitions = 0;
  let violation: Counterexample | undefined;
  let stoppedBy: CheckResult['stoppedBy'];

  const traceTo = (id: number) => store.pathTo(id).map((i) => step(actions, store.via[i]!, store.get(i)));
  const checkState = (s: State, id: number): boolean => {
    const bad = firstBroken(safety, s);
    if (bad) {
      violation = { kind: 'invariant', property: bad.name, doc: bad.doc, trace: traceTo(id) };
      return false;
    }
    for (let i = 0; i < findingProps.length; i++) {
      const f = findingProps[i]!;
      if (!holds(f, s) && !findings.some((x) => x.property === f.name)) {
        findings.push({ kind: f.findingKind ?? 'finding', property: f.name, doc: f.doc, trace: traceTo(id) });
      }
    }
    return true;
  };

  // Initial states go through the successor buffer so they are hashed like any other.
  const initial = inModel('initial()', () => model.initial());
  buf.reset(new Uint8Array(stride));
  for (const s of initial) {
    if (s.length !== size) throw new ModelError(`initial() returned a state of ${s.length} variables; stateSize is ${size}`);
    buf.next().set(s);
  }
  for (let k = 0; k < buf.count && !violation; k++) {
    fingerprint(buf.words, k * words, words);
    if (visited.findOrInsert(fp[0]!, fp[1]!, store.count) >= 0) continue;
    const id = store.add(buf.bytes, k * stride, -1, INITIAL);
    checkState(buf.view(k), id);
  }

  const cur = new Uint8Array(stride);
  const curView = cur.subarray(0, size);
  let head = 0;
  let levelEnd = store.count;
  let depth = 0;
  let nextReport = 1 << 14;
  const report = () =>
    options.onProgress?.({
      states: store.count,
      transitions,
      queue: store.count - head,
      depth,
      seconds: (performance.now() - started) / 1000,
    });

  search: while (head < store.count && !violation) {
    if (head === levelEnd) {
      depth++;
      levelEnd = store.count;
    }
    if (depth >= maxDepth) {
      stoppedBy = 'max-depth';
      break;
    }
    if (store.count >= maxStates) {
      stoppedBy = 'max-states';
      break;
    }
    if (head >= nextReport) {
      nextReport += 1 << 14;
      report();
    }
    if ((head & 4095) === 0 && !memoryLeft()) {
      stoppedBy = 'max-memory';
      break;
    }
    const id = head++;
    store.load(id, cur);
    if (model.constraint && !predicate(model, 'constraint', curView)) continue;
    edges?.openRow(id);
    let successors = 0;
    for (let a = 0; a < actions.length; a++) {
      buf.reset(cur);
      try {
        actions[a]!.next(curView, buf);
      } catch (err) {
        throw actionError(actions[a]!, curView, err);
      }
      successors += buf.count;
      for (let k = 0; k < buf.count; k++) {
        transitions++;
        fingerprint(buf.words, k * words, words);
        const known = visited.findOrInsert(fp[0]!, fp[1]!, store.count);
        if (known >= 0) {
          edges?.add(known, a);
          continue;
        }
        const next = store.add(buf.bytes, k * stride, id, a);
        edges?.add(next, a);
        if (!checkState(buf.view(k), next)) break search;
      }
    }
    if (successors === 0 && deadlock && !(model.isFinal && predicate(model, 'isFinal', curView))) {
      violation = { kind: 'deadlock', property: 'deadlock', doc: 'A state with no successors that the model does not call final.', trace: traceTo(id) };
    }
  }
  // The depth reached is that of the deepest state found (initial states are depth 0).
  if (head === store.count || violation) depth = stateDepth(store, store.count - 1);
  report();

  if (!violation && !stoppedBy && edges) {
    edges.finish(store.count);
    violation = checkLiveness(model, store, edges, options.fairness !== false);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    result: violation ? 'violation' : stoppedBy ? 'incomplete' : 'ok',
    ...(stoppedBy && !violation ? { stoppedBy } : {}),
    distinctStates: store.count,
    transitions,
    depth,
    seconds,
    statesPerSecond: Math.round(store.count / Math.max(seconds, 1e-6)),
    collisionProbability: collisionProbability(store.count, transitions + initial.length),
    bytesPerState: Math.round((store.bytes + visited.bytes + (edges?.bytes ?? 0)) / Math.max(1, store.count)),
    ...(violation ? { violation } : {}),
    findings,
  };
}

function firstBroken(invariants: readonly Invariant[], s: State): Invariant | undefined {
  for (let i = 0; i < invariants.length; i++) if (!holds(invariants[i]!, s)) return invariants[i];
  return undefined;
}

function holds(inv: Invariant, s: State): boolean {
  try {
    return inv.check(s);
  } catch (err) {
    throw new ModelError(`invariant "${inv.name}" threw: ${message(err)} in state ${JSON.stringify(Array.from(s))}`, { cause: err });
  }
}

function predicate(model: Model, name: 'constraint' | 'isFinal', s: State): boolean {
  try {
    return model[name]!(s);
  } catch (err) {
    throw new ModelError(`${name}() threw: ${message(err)} in state ${JSON.stringify(Array.from(s))}`, { cause: err });
  }
}

/** Depth of a state: the number of steps from an initial state. */
function stateDepth(store: StateStore, id: number): number {
  let d = 0;
  if (id < 0) return 0;
  for (let at = store.parent[id]!; at >= 0; at = store.parent[at]!) d++;
  return d;
}

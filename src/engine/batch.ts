/**
 * The successors of a batch of states, generated and fingerprinted before any of them is looked
 * up in the visited set. The sequential search and the parallel search's partitions
 * (partition.ts) both expand this way: with a batch's fingerprints known, their slots in the
 * visited table can be read ahead together, so the reads' cache misses overlap, where one lookup
 * at a time would wait for each in turn. The successors stay in order (state, then action), so
 * what is done with them afterwards happens in the order one state at a time would give.
 */
import { actionError, message, ModelError } from './errors.js';
import { fingerprint, fp } from './fingerprint.js';
import { ActionGuards } from './guards.js';
import type { Model, State } from './model.js';
import type { StubbornSets } from './por.js';
import { loadRow, strideOf, type Rows } from './store.js';
import { SuccessorBuffer } from './successors.js';

/** States expanded in one batch. */
export const BATCH = 64;

/** What came of a state of the batch. */
export const EXPANDED = 0;
export const CUT_OFF = 1; // outside the state constraint: not expanded
export const DEADLOCKED = 2; // no successors, and not a final state

export class SuccessorBatch {
  /** the successors, in order */
  readonly buf: SuccessorBuffer;
  /** per state of the batch: the index of its first successor (and, after the last, the count) */
  readonly first = new Int32Array(BATCH + 1);
  readonly outcome = new Uint8Array(BATCH);
  /** per successor: the action that made it, and its fingerprint (hi, lo) */
  action = new Int32Array(256);
  fingerprints = new Uint32Array(512);
  /** With partial-order reduction: per state, whether it was reduced (some of its successors
   * left out), and per successor, whether its action is in the state's stubborn set (por.ts). */
  readonly reduced = new Uint8Array(BATCH);
  kept = new Uint8Array(256);
  private readonly enabled: Int32Array;
  private readonly words: number;
  private readonly cur: Int32Array;
  private readonly view: Uint8Array;
  private readonly guards: ActionGuards;
  private readonly candidates: Int32Array;

  /** `deadlock`: whether a state without successors (not final) is an outcome of its own. */
  constructor(
    private readonly model: Model,
    private readonly deadlock: boolean,
    private readonly stubborn?: StubbornSets,
  ) {
    const stride = strideOf(model.stateSize);
    this.words = stride >> 2;
    this.buf = new SuccessorBuffer(model.stateSize, stride);
    this.cur = new Int32Array(this.words);
    this.view = new Uint8Array(this.cur.buffer, 0, model.stateSize);
    this.guards = new ActionGuards(model.actions);
    this.candidates = new Int32Array(this.guards.words);
    this.enabled = new Int32Array(this.guards.words);
  }

  /** How many successors the batch has. */
  get count(): number {
    return this.buf.count;
  }

  /** Generates the successors of rows [from, to) of `rows` (at most BATCH), each rewritten by
   * `canonical` (symmetry) before it is fingerprinted. */
  generate(
    rows: Rows,
    from: number,
    to: number,
    canonical: ((s: State) => void) | undefined,
  ): void {
    const { model, buf, cur, view, words, candidates } = this;
    const actions = model.actions;
    buf.reset(cur);
    for (let id = from; id < to; id++) {
      const i = id - from;
      this.first[i] = buf.count;
      loadRow(rows, words, id, cur);
      if (model.constraint && !predicate(model, 'constraint', view)) {
        this.outcome[i] = CUT_OFF;
        continue;
      }
      this.guards.candidates(view, candidates);
      for (let w = 0; w < candidates.length; w++) {
        for (let bits = candidates[w]!; bits !== 0; bits &= bits - 1) {
          const a = (w << 5) | (31 - Math.clz32(bits & -bits));
          if (a >= actions.length) break;
          const before = buf.count;
          try {
            actions[a]!.next(view, buf);
          } catch (err) {
            throw actionError(actions[a]!, view, err);
          }
          for (let k = before; k < buf.count; k++) {
            if (canonical) canonical(buf.view(k));
            fingerprint(buf.words, k * words, words);
            this.add(k, a, fp[0]!, fp[1]!);
          }
        }
      }
      if (this.stubborn) this.reduce(i);
      const successors = buf.count - this.first[i]!;
      this.outcome[i] =
        successors === 0 && this.deadlock && !(model.isFinal && predicate(model, 'isFinal', view))
          ? DEADLOCKED
          : EXPANDED;
    }
    this.first[to - from] = buf.count;
  }

  /** Marks which successors of state i the stubborn set keeps. */
  private reduce(i: number): void {
    const { enabled, action, kept } = this;
    const from = this.first[i]!;
    const to = this.buf.count;
    enabled.fill(0);
    for (let k = from; k < to; k++) enabled[action[k]! >> 5]! |= 1 << (action[k]! & 31);
    const keep = to > from ? this.stubborn!.reduce(this.view, enabled) : undefined;
    this.reduced[i] = keep ? 1 : 0;
    for (let k = from; k < to; k++)
      kept[k] = keep ? (keep[action[k]! >> 5]! >>> (action[k]! & 31)) & 1 : 1;
  }

  private add(k: number, action: number, hi: number, lo: number): void {
    if (k === this.action.length) {
      const kept = new Uint8Array(k * 2);
      kept.set(this.kept);
      this.kept = kept;
      const a = new Int32Array(k * 2);
      a.set(this.action);
      this.action = a;
      const f = new Uint32Array(k * 4);
      f.set(this.fingerprints);
      this.fingerprints = f;
    }
    this.action[k] = action;
    this.fingerprints[2 * k] = hi;
    this.fingerprints[2 * k + 1] = lo;
  }
}

/** The model's constraint or isFinal on a state, with an error that says which threw where. */
export function predicate(model: Model, name: 'constraint' | 'isFinal', s: State): boolean {
  try {
    return model[name]!(s);
  } catch (err) {
    throw new ModelError(
      `${name}() threw: ${message(err)} in state ${JSON.stringify(Array.from(s))}`,
      { cause: err },
    );
  }
}

import { actionError } from './errors.js';
import type { Action, Model, State, Successors } from './model.js';
import { ActionGuards } from './guards.js';
import { strideOf } from './store.js';

/**
 * The scratch buffer actions write successors into: fixed-stride slots in one buffer, each
 * slot view created once, so generating a successor allocates nothing.
 */
export class SuccessorBuffer implements Successors {
  bytes: Uint8Array;
  words: Int32Array;
  private views: State[] = [];
  private rows: Int32Array[] = [];
  /** successors written since the last reset (of one state, or of a batch of them) */
  count = 0;
  private source!: Int32Array;
  private readonly strideWords: number;

  constructor(
    readonly stateSize: number,
    readonly stride: number,
    capacity = 64,
  ) {
    this.strideWords = stride >> 2;
    this.bytes = new Uint8Array(capacity * stride);
    this.words = new Int32Array(this.bytes.buffer);
    this.makeViews();
  }

  /** Starts the successors of `source` (a row of `stride` bytes, as 32-bit words). */
  reset(source: Int32Array): void {
    this.source = source;
    this.count = 0;
  }

  next(): State {
    if (this.count === this.views.length) this.grow();
    const k = this.count++;
    // TypedArray.set copies a short row faster than a loop of element moves does.
    this.words.set(this.source, k * this.strideWords);
    return this.views[k]!;
  }

  view(k: number): State {
    return this.views[k]!;
  }

  /** Successor k's whole row, as words. */
  row(k: number): Int32Array {
    return this.rows[k]!;
  }

  private grow(): void {
    const bytes = new Uint8Array(this.bytes.length * 2);
    bytes.set(this.bytes);
    this.bytes = bytes;
    this.words = new Int32Array(bytes.buffer);
    this.makeViews();
  }

  private makeViews(): void {
    const slots = this.bytes.length / this.stride;
    this.views = [];
    this.rows = [];
    for (let k = 0; k < slots; k++) {
      this.views.push(this.bytes.subarray(k * this.stride, k * this.stride + this.stateSize));
      this.rows.push(this.words.subarray(k * this.strideWords, (k + 1) * this.strideWords));
    }
  }
}

/** A successor of a state, copied out, with the index of the action that made it. */
export interface Successor {
  readonly action: number;
  readonly next: State;
}

/**
 * Whole successor lists, for the paths that are not the search's hot loop (replay, validation,
 * simulation, swarm members, scripted runs): each successor a copy; an action that throws is
 * reported with its name and the state.
 */
export class Expander {
  private readonly buf: SuccessorBuffer;
  private readonly row: Uint8Array;
  private readonly rowWords: Int32Array;
  private readonly guards: ActionGuards;

  constructor(private readonly model: Model) {
    const stride = strideOf(model.stateSize);
    this.buf = new SuccessorBuffer(model.stateSize, stride);
    this.row = new Uint8Array(stride);
    this.rowWords = new Int32Array(this.row.buffer);
    this.guards = new ActionGuards(model.actions);
  }

  /** The successors of `s` under every action `pick` accepts (all by default), in action order. */
  of(s: State, pick: (a: Action, index: number) => boolean = () => true): Successor[] {
    const { model, buf, row, guards } = this;
    const out: Successor[] = [];
    row.set(s);
    const view = row.subarray(0, model.stateSize);
    model.actions.forEach((a, i) => {
      if (!pick(a, i) || !guards.allows(i, view)) return;
      buf.reset(this.rowWords);
      try {
        a.next(view, buf);
      } catch (err) {
        throw actionError(a, view, err);
      }
      for (let k = 0; k < buf.count; k++) out.push({ action: i, next: buf.view(k).slice() });
    });
    return out;
  }
}

import type { State, Successors } from './model.js';

/**
 * The scratch buffer actions write successors into: fixed-stride slots in one buffer, each
 * slot view created once, so generating a successor allocates nothing.
 */
export class SuccessorBuffer implements Successors {
  bytes: Uint8Array;
  words: Int32Array;
  private views: State[] = [];
  /** successors written so far for the state being expanded */
  count = 0;
  private source!: Uint8Array;

  constructor(readonly stateSize: number, readonly stride: number, capacity = 64) {
    this.bytes = new Uint8Array(capacity * stride);
    this.words = new Int32Array(this.bytes.buffer);
    this.makeViews();
  }

  /** Starts the successors of `source` (a row of `stride` bytes). */
  reset(source: Uint8Array): void {
    this.source = source;
    this.count = 0;
  }

  next(): State {
    if (this.count === this.views.length) this.grow();
    const k = this.count++;
    const at = k * this.stride;
    const bytes = this.bytes;
    const src = this.source;
    for (let i = 0; i < this.stride; i++) bytes[at + i] = src[i]!;
    return this.views[k]!;
  }

  view(k: number): State {
    return this.views[k]!;
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
    for (let k = 0; k < slots; k++) {
      this.views.push(this.bytes.subarray(k * this.stride, k * this.stride + this.stateSize));
    }
  }
}

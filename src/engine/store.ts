/**
 * The state store: every distinct state's parent and ordinal (parents.ts), in discovery
 * (breadth-first) order, and the states' rows, fixed-stride in blocks. Because breadth-first
 * search expands states in id order, the rows double as the search queue. A store that keeps
 * only its frontier (`keep: 'frontier'`) frees a block once every state in it is expanded, and
 * may move blocks of the queue to disk (spill.ts) until the search reaches them: a visited state
 * then costs its two bytes here and its slot in the visited table. One that keeps every row
 * (`keep: 'all'`, for liveness and coverage) also keeps the action that reached each state.
 */
import { ParentLog } from './parents.js';
import type { Spill } from './spill.js';

/** Bytes per state row: the state size rounded up to whole 32-bit words, so rows hash as words. */
export function strideOf(stateSize: number): number {
  return Math.max(4, (stateSize + 3) & ~3);
}

/** Rows per block of the store (the first block grows to this size; later ones start at it):
 * small, so that a store that keeps its frontier holds little more than the frontier. */
export const BLOCK_SHIFT = 12;
const BLOCK_ROWS = 1 << BLOCK_SHIFT;

/** The rows of a store: blocks of BLOCK_ROWS rows of `words` 32-bit words each. */
export type Rows = readonly Int32Array[];

/** A freed (expanded) or spilled block. */
const GONE = new Int32Array(0);

/** Copies row `id` of `rows` into `dst`. */
export function loadRow(rows: Rows, words: number, id: number, dst: Int32Array): void {
  const block = rows[id >>> BLOCK_SHIFT]!;
  const at = (id & (BLOCK_ROWS - 1)) * words;
  for (let i = 0; i < words; i++) dst[i] = block[at + i]!;
}

export class StateStore {
  /** Bytes per row: the state size rounded up to whole 32-bit words, so rows hash as words. */
  readonly stride: number;
  private readonly words: number;
  /** The rows, in blocks: a full block is never copied again as the store grows. */
  readonly blocks: Int32Array[];
  readonly parents = new ParentLog();
  /** index into the model's actions of the step that reached the state; 0xffff for initial
   * (kept only with every row) */
  via: Uint16Array;
  count = 0;
  /** bytes of the blocks in memory */
  private blockBytes: number;
  /** where blocks of the queue go when memory runs short (a store that keeps its frontier) */
  spill: Spill | undefined;
  /** blocks below this one are freed */
  private freedBelow = 0;

  constructor(
    readonly stateSize: number,
    initialCapacity = 1 << 12,
    readonly keep: 'all' | 'frontier' = 'all',
  ) {
    this.stride = strideOf(stateSize);
    this.words = this.stride >> 2;
    this.blocks = [this.block(Math.min(initialCapacity, BLOCK_ROWS))];
    this.blockBytes = this.blocks[0]!.byteLength;
    this.via = new Uint16Array(keep === 'all' ? initialCapacity : 0);
  }

  get bytes(): number {
    return this.blockBytes + this.parents.bytes + this.via.byteLength;
  }

  /** What a state costs once expanded: its parent and ordinal, and with every row kept, its row
   * and action. */
  get visitedBytes(): number {
    return (
      (this.parents.bytes + this.via.byteLength) / Math.max(1, this.count) +
      (this.keep === 'all' ? this.stride : 0)
    );
  }

  /** The bytes of one more block (the rows grow a block at a time). */
  get blockGrowth(): number {
    return BLOCK_ROWS * this.stride;
  }

  /** What the store may allocate next while it keeps what it holds: a block of rows, a block of
   * the parent log, and a doubled copy of the actions (with every row kept). */
  get growthBytes(): number {
    return this.blockGrowth + this.parents.blockBytes + 2 * this.via.byteLength;
  }

  /** The length of the largest single array the store holds (V8 caps a typed array's length). */
  get largestArray(): number {
    return Math.max(this.via.length, this.blocks[0]!.length, this.blockGrowth / 4);
  }

  /** Frees every row: the parallel search keeps them in its partitions from now on, and the
   * store only the parent log (`addUnkept`). */
  dropRows(): void {
    this.blocks.fill(GONE);
    this.blockBytes = 0;
    this.freedBelow = this.blocks.length;
  }

  /** Puts back the row of state `id` (one added by `addUnkept`), from word `from` of `src`. */
  restore(id: number, src: Int32Array, from: number): void {
    const b = id >>> BLOCK_SHIFT;
    if (this.blocks[b] === GONE) {
      this.blocks[b] = this.block(BLOCK_ROWS);
      this.blockBytes += this.blockGrowth;
    }
    const block = this.blocks[b]!;
    const at = (id & (BLOCK_ROWS - 1)) * this.words;
    for (let i = 0; i < this.words; i++) block[at + i] = src[from + i]!;
  }

  /** Appends a state whose row is kept elsewhere (a partition, parallel.ts): its parent and
   * ordinal; returns its id. */
  addUnkept(parent: number, ordinal: number): number {
    while (this.blocks.length <= this.count >>> BLOCK_SHIFT) this.blocks.push(GONE);
    this.parents.add(parent, ordinal);
    return this.count++;
  }

  /** Appends a row copied from `src` at word offset `from`, reached from `parent` as its
   * `ordinal`-th successor by action `via`; returns its id. */
  add(src: Int32Array, from: number, parent: number, ordinal: number, via: number): number {
    const id = this.count;
    const n = this.words;
    const b = id >>> BLOCK_SHIFT;
    const at = (id & (BLOCK_ROWS - 1)) * n;
    if (b === this.blocks.length) {
      this.blocks.push(this.block(BLOCK_ROWS));
      this.blockBytes += this.blockGrowth;
    } else if (b === 0 && at === this.blocks[0]!.length) this.growFirstBlock();
    const block = this.blocks[b]!;
    if (from === 0 && src.length === n) block.set(src, at);
    else for (let i = 0; i < n; i++) block[at + i] = src[from + i]!;
    this.parents.add(parent, ordinal);
    if (this.keep === 'all') {
      if (id === this.via.length) this.via = grown(this.via);
      this.via[id] = via;
    }
    this.count = id + 1;
    return id;
  }

  /** With only the frontier kept: frees the blocks of rows below `head` (expanded). */
  release(head: number): void {
    if (this.keep === 'all') return;
    for (const end = head >>> BLOCK_SHIFT; this.freedBelow < end; this.freedBelow++) {
      const b = this.freedBelow;
      if (this.blocks[b] !== GONE) this.blockBytes -= this.blocks[b]!.byteLength;
      else this.spill?.drop(b);
      this.blocks[b] = GONE;
    }
  }

  /** Moves the queue's blocks after the one at `head` and before the last (being filled) to
   * disk: the bytes moved (0 if there were none, or the disk bound would be passed). */
  spillQueue(head: number): number {
    const spill = this.spill;
    if (!spill) return 0;
    let moved = 0;
    for (let b = (head >>> BLOCK_SHIFT) + 1; b < this.blocks.length - 1; b++) {
      const block = this.blocks[b]!;
      if (block === GONE) continue;
      if (!spill.write(b, block)) break;
      this.blocks[b] = GONE;
      this.blockBytes -= block.byteLength;
      moved += block.byteLength;
    }
    return moved;
  }

  /** Brings the spilled blocks of rows [from, to) back into memory. */
  ensure(from: number, to: number): void {
    if (!this.spill?.holds) return;
    for (let b = from >>> BLOCK_SHIFT; b <= (to - 1) >>> BLOCK_SHIFT; b++) {
      if (this.blocks[b] !== GONE) continue;
      const block = this.block(BLOCK_ROWS);
      this.spill.read(b, block);
      this.blocks[b] = block;
      this.blockBytes += block.byteLength;
    }
  }

  /** Copies state `id` into `dst` (a row of `stride` bytes, as words); its block must be kept. */
  load(id: number, dst: Int32Array): void {
    loadRow(this.blocks, this.words, id, dst);
  }

  /** Whether state `id`'s row is in memory. */
  has(id: number): boolean {
    return id < this.count && this.blocks[id >>> BLOCK_SHIFT] !== GONE;
  }

  /** A copy of state `id`, for traces (not for the hot path); its block must be kept. */
  get(id: number): Uint8Array {
    const row = new Int32Array(this.words);
    this.load(id, row);
    return new Uint8Array(row.buffer, 0, this.stateSize).slice();
  }

  private block(rows: number): Int32Array {
    const bytes = rows * this.stride;
    return new Int32Array(bytes / 4);
  }

  /** The first block starts small (most searches are small) and doubles up to a full block. */
  private growFirstBlock(): void {
    const old = this.blocks[0]!;
    const next = this.block(Math.min(BLOCK_ROWS, (old.length / this.words) * 2));
    next.set(old);
    this.blocks[0] = next;
    this.blockBytes += next.byteLength - old.byteLength;
  }

  /** Ids from an initial state to `id`, following parent pointers. */
  pathTo(id: number): number[] {
    return this.parents.pathTo(id);
  }
}

/** Every transition of the explored graph in compressed rows: the successors of state i are
 * targets[start[i] .. start[i+1]), each labelled with its action. Kept for liveness only. */
export class EdgeStore {
  start: Int32Array = new Int32Array(1 << 12);
  targets: Int32Array = new Int32Array(1 << 14);
  actions = new Uint16Array(1 << 14);
  count = 0;
  private rows = 0;

  get bytes(): number {
    return this.start.length * 4 + this.targets.length * 6;
  }

  /** Marks the start of state `id`'s row; rows must be opened in id order. */
  openRow(id: number): void {
    while (this.rows <= id + 1) {
      if (this.rows + 1 >= this.start.length) this.start = grown(this.start);
      this.start[this.rows++] = this.count;
    }
  }

  add(target: number, action: number): void {
    if (this.count === this.targets.length) {
      this.targets = grown(this.targets);
      this.actions = grown(this.actions);
    }
    this.targets[this.count] = target;
    this.actions[this.count++] = action;
    this.start[this.rows - 1] = this.count;
  }

  /** Closes the table so that every state up to `states` has a (possibly empty) row. */
  finish(states: number): void {
    this.openRow(states - 1);
  }
}

/** A copy of `a` twice as long. */
function grown<T extends Int32Array | Uint16Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
